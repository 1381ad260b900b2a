#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# validate (SPEC 3, 4, 5.1, 5.3, 9): every ok record checked against
# schemas/impass.xsd and the field rules of its kind, one step each; the
# checked values written, normalised, in <normalised> beside the values as
# entered, which never change. Records not ok pass through byte for byte.
# Two batches (applications, citizenship registers) are built, ingested and
# validated once in setup_file; most tests read one record of that output.

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
CIT_COLUMNS="register certificate_no issued_on name father_name date_of_birth place_of_birth cnic previous_nationality country mission remarks"
PHOTO=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
EMPTY_PHOTO=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
TODAY=2026-11-28
R='<record xmlns="urn:impass:batch:1"'
USAGE='usage: validate [-s FPR] [-t FILE] [--today YYYY-MM-DD] [--dates day-first|any]'
A10=ABCDEFGHIJ
A100=$A10$A10$A10$A10$A10$A10$A10$A10$A10$A10
# 100 characters, 105 letters once transliterated (Ü is UE)
U100=${A100//?/A}
U100=${U100:0:95}ÜÜÜÜÜ
# 120 characters: within the 150 allowed for a certificate's name
N120="$A100$A10 ${A10:0:9}"

# key PREFIX COLUMN: a tracking id for a row about COLUMN (MISS-PASSPORT-TYPE)
key() {
	local k=${2^^}
	echo "$1-${k//_/-}"
}

# app ID KEY=CELL...: one CSV row (SPEC 5.1 order) of a valid ordinary
# application with tracking id ID, with the cells given replaced. A CELL is
# written as given (quote it yourself); @NL@ in it becomes a newline.
app() {
	local -A v=([office]=ISB [category]=normal [passport_type]=ordinary [surname]=QURESHI
		[given_names]=ALI [father_name]="TARIQ MEHMOOD QURESHI" [sex]=M
		[date_of_birth]=1991-03-14 [place_of_birth]=RAWALPINDI [cnic]=3740512345671
		[nationality]=PAK [validity_years]=10 [pages]=36 [delivery_office]=ISB
		[delivery_mode]=counter [phone]=03001234567 [photo_sha256]=$PHOTO
		[fee_receipt]=260001234567 [fee_amount]=9000 [applied_on]=2026-11-20)
	local kv c out='' sep=''
	v[tracking_id]=$1
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "${out//@NL@/$'\n'}"
}

# cit LABEL KEY=CELL...: one register row (SPEC 5.3 order) of a valid PCC
# certificate, with the cells given replaced; LABEL goes in remarks, so
# that record_of finds the record by it.
cit() {
	local -A v=([register]=PCC [certificate_no]=PCC/1998/00417 [issued_on]=1998-08-14
		[name]="JOHN DSOUZA" [father_name]="PETER DSOUZA" [date_of_birth]=1961-04-03
		[place_of_birth]=GOA [previous_nationality]=INDIA [country]=INDIA)
	local kv c out='' sep=''
	v[remarks]=$1
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $CIT_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

applications() {
	echo "${APP_COLUMNS// /,}"
	echo "BAD-COUNT,ISB,normal"                       # rejected by ingest: 3 fields
	app OK-BASE
	app BAD-CTRL $'surname=KH\x01AN' given_names=ALI2    # rejected by ingest: control character
	app OK-FOLD 'category= Normal ' passport_type=ORDINARY 'sex= m ' nationality=pak \
		'validity_years= 5' 'pages= 72 ' delivery_mode=Counter office=isb-g9 'delivery_office= isb '
	app OK-SEX-F sex=f cnic=37405-1234567-2
	app OK-APOS "surname=D'SOUZA" given_names=JOHN "father_name=PETER D’SOUZA"
	app OK-HYPH given_names=ABDUL-REHMAN
	app OK-LOWER surname=khan 'given_names=muhammad ali' 'father_name=ahmed khan'
	app OK-SPACES 'surname=  Khan ' 'given_names=Muhammad   Ali'
	app OK-NO-SURNAME surname=
	app OK-NO-GIVEN given_names=
	app OK-DOB-YM date_of_birth=1990-05
	app OK-DOB-Y date_of_birth=1990
	app OK-DOB-1890 date_of_birth=1890
	app OK-LEAP date_of_birth=2000-02-29
	app OK-X-ODD sex=X
	app OK-X-EVEN sex=x cnic=3740512345672
	app OK-CNIC-DASH cnic=37405-1234567-1
	app OK-CRLF delivery_mode=courier $'address="House 12\r\nStreet 5\r\n\r\nIslamabad"'
	app OK-DIA-1 surname=MÜLLER 'given_names=JOSÉ ÑUÑEZ' 'father_name=HANS GROßMANN'
	app OK-DIA-2 surname=ÅSTRÖM given_names=bjørn 'father_name=ÞÓR ÆGIR'
	app OK-LONG "surname=$A100" "given_names=${A100:0:49} ${A100:0:50}" "father_name=$A100"
	app OK-LONG-DIA "surname=$U100"
	app OK-PREV 'previous_passport=AB 1234567'
	app OK-PREV-2 'previous_passport=ab-1234567'
	app OK-PHOTO-UPPER "photo_sha256=${PHOTO^^}"
	app OK-OFFICIAL passport_type=official fee_receipt= fee_amount=
	app OK-DIPLOMATIC passport_type=Diplomatic fee_receipt= fee_amount=
	app OK-OFFICIAL-ZERO passport_type=official fee_receipt= fee_amount=0
	app OK-PHONE 'phone=+92 (300) 123-4567'
	app OK-NO-PHONE phone=
	app OK-APPLIED-TODAY applied_on=2026-11-28
	app OK-BORN-APPLIED date_of_birth=2026-11-20
	app isb-1
	app ISB-2026-00000000000000001
	app DUP-1
	app DUP-1 surname=KHAN
	for c in office category passport_type father_name sex date_of_birth place_of_birth cnic \
		nationality validity_years pages delivery_office delivery_mode photo_sha256 applied_on; do
		app "$(key MISS "$c")" "$c="
	done
	app MISS-NAMES surname= given_names=
	app LONG-SURNAME "surname=${A100}K"
	app LONG-GIVEN-NAMES "given_names=${A100}K"
	app LONG-FATHER-NAME "father_name=${A100}K"
	app LONG-PLACE-OF-BIRTH "place_of_birth=${A100:0:65}"
	app LONG-ADDRESS "address=$A100$A100${A100}K"
	app LONG-PHONE 'phone=0300 1234567 0300 1234567'
	app LONG-FEE-RECEIPT "fee_receipt=$(printf '1%.0s' {1..33})"
	app LONG-FEE-AMOUNT "fee_amount=$(printf '1%.0s' {1..13})"
	app LONG-PREVIOUS-PASSPORT previous_passport=AB12345671234567X
	app VAL-CATEGORY category=express
	app VAL-PASSPORT-TYPE passport_type=regular
	app VAL-SEX sex=Male
	app VAL-NATIONALITY nationality=IND
	app VAL-VALIDITY-YEARS validity_years=7
	app VAL-PAGES pages=48
	app VAL-DELIVERY-MODE delivery_mode=post
	app VAL-TWO-CATEGORY 'category=normal urgent'
	app VAL-TWO-SEX 'sex=M F'
	app VAL-TWO-PAGES 'pages=36 72'
	app OFFICE-SHORT office=I
	app OFFICE-LONG office=ABCDEFGHIJKLM
	app OFFICE-SLASH delivery_office=ISB/G9
	app NAME-DOTS surname=... given_names=...
	app NAME-DOTS-SURNAME surname=...
	app FATHER-DOTS "father_name=.'-"
	app NAME-DIGITS given_names=ALI2
	app FATHER-DIGITS 'father_name=TARIQ 2ND'
	app SCRIPT-AR surname=قریشی
	app SCRIPT-CY given_names=Иван
	app SCRIPT-DEV father_name=राम
	app CNIC-FMT cnic=12345-123456-12
	app CNIC-12 cnic=374051234567
	app CNIC-LETTER cnic=37405-12345A7-1
	app CNIC-SEX-M cnic=3740512345672
	app CNIC-SEX-F sex=F
	app DOB-FEB30 date_of_birth=1990-02-30
	app DOB-FEB29 date_of_birth=1991-02-29
	app DOB-SLASH date_of_birth=14/03/1991
	app DOB-MONTH13 date_of_birth=1990-13
	app APPLIED-MONTH applied_on=2026-11
	app APPLIED-FEB30 applied_on=2026-02-30
	app DOB-FUTURE date_of_birth=2026-12-01
	app DOB-FUTURE-YEAR date_of_birth=2027
	app DOB-EARLY date_of_birth=1889-12-31
	app APPLIED-FUTURE applied_on=2026-11-29
	app DATE-ORDER date_of_birth=2026-11-25
	app PHOTO-SHORT "photo_sha256=${PHOTO:1}"
	app PHOTO-NOT-HEX "photo_sha256=${PHOTO:1}g"
	app PHOTO-EMPTY "photo_sha256=$EMPTY_PHOTO"
	app ADDR-MISSING delivery_mode=courier
	app ADDR-BLANK delivery_mode=courier 'address="   "'
	app PREV-FMT previous_passport=A1234567
	app PHONE-LETTERS phone=0300-CALLNOW
	app PHONE-SHORT phone=12345
	app FEE-COMMA 'fee_amount="9,000"'
	app FEE-ZERO fee_amount=0
	app FEE-GRATIS-PAISA passport_type=diplomatic fee_receipt= fee_amount=0.50
	app FEE-PAISA fee_amount=9000.50
	app FEE-NO-RECEIPT fee_receipt=
	app FEE-NO-AMOUNT fee_amount=
	app MULTI cnic=123 previous_passport=X1 phone=12
	app MULTI-HELD-FIRST previous_passport=X1 phone=12
	app MULTI-AFTER-MISSING office= surname= given_names=
}

registers() {
	echo "${CIT_COLUMNS// /,}"
	cit C-OK
	cit C-LOWER register=pcc 'name=anna müller' cnic=42201-1234567-2
	cit C-NC register=' nc ' cnic=4220112345671
	cit C-REG-BAD register=XYZ
	cit C-REG-EMPTY register=
	cit C-REG-TWO 'register=PCC NC'
	cit C-NO-NUMBER certificate_no=
	cit C-NO-ISSUED issued_on=
	cit C-DOTS issued_on=14.08.1998
	cit C-SLASH-YY issued_on=14/08/98
	cit C-ISO issued_on=1998-08-14
	cit C-MON issued_on=14-Aug-1998
	cit C-MONTH 'issued_on=14 August 1998'
	cit C-ONE-DIGIT issued_on=14/8/1998
	cit C-MONTH-FIRST issued_on=08/14/1998
	cit C-TH 'issued_on=14th August 1998'
	cit C-US-MONTH 'issued_on="Aug 14, 1998"'
	cit C-MON-YY issued_on=14-AUG-98
	cit C-AMBIGUOUS issued_on=03/04/98
	cit C-SAME issued_on=05/05/98
	cit C-IMPOSSIBLE issued_on=31/02/1999
	cit C-UNREADABLE 'issued_on=sometime 1980'
	cit C-1950 issued_on=1950-12-31
	cit C-1951 issued_on=01.01.1951 date_of_birth=1940-05-01
	cit C-TOMORROW issued_on=2026-11-29
	cit C-TODAY issued_on=28.11.2026
	cit C-DOB-1889 date_of_birth=1889-12-31
	cit C-DOB-AFTER date_of_birth=1999-01-01
	cit C-DOB-ON-ISSUE date_of_birth=14.08.1998
	cit C-YY-ISSUED issued_on=14/08/05
	cit C-YY-DOB date_of_birth=14/05/03
	cit C-YY-DOB-DAY-MONTH date_of_birth=12/05/03
	cit C-YY-BOTH issued_on=2010-01-01 date_of_birth=15/05/03
	cit C-DOB-YEAR date_of_birth=1940
	cit C-NAME-MISSING name=
	cit C-NAME-DIGITS 'name=JOHN 2'
	cit C-NAME-SCRIPT 'name=محمد علی'
	cit C-FATHER-SCRIPT 'father_name=Пётр'
	cit C-CNIC cnic=12345-123456-12
	cit C-LONG-NAME "name=$N120"
	cit C-MULTI register=XYZ name=
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	applications > a.csv
	ingest -b B-V a.csv > i.xml 2> i.err
	validate --today "$TODAY" i.xml > v.xml 2> v.err
	registers > r.csv
	ingest -k citizenship -b B-C r.csv > ri.xml 2> ri.err
	validate --today "$TODAY" ri.xml > rv.xml 2> rv.err
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/i.xml "$KT"/v.xml "$KT"/ri.xml "$KT"/rv.xml "$KT"/*.err .
}


# pick KEY FILE: RECS, the record lines of FILE with id KEY or (certificates)
# remarks KEY; REC, the first. The last pick is kept (FILE is not rewritten
# in a test once read): checking several things of one record greps once.
pick() {
	if [ "${PICKED-}" = "$1 $2" ]; then return 0; fi
	mapfile -t RECS < <(grep -F -e " id=\"$1\" " -e "<remarks>$1</remarks>" "$2")
	REC=${RECS[0]-}
	PICKED="$1 $2"
}

record_of() { pick "$@"; if [ ${#RECS[@]} -gt 0 ]; then printf '%s\n' "${RECS[@]}"; fi; }

# step_of KEY FILE: validate's step of that record
step_of() {
	local re='<step stage="validate" [^>]*>[^<]*</step>' r
	pick "$@"
	for r in "${RECS[@]}"; do
		if [[ $r =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[0]}"; fi
	done
}

# norm_of KEY FILE: its <normalised> element
norm_of() {
	local re='<normalised>.*</normalised>'
	pick "$@"
	if [[ $REC =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[0]}"; fi
}

# norm KEY FILE FIELD: one value of its <normalised> element
norm() {
	local re="<normalised>.*<$3>([^<]*)</$3>.*</normalised>"
	pick "$1" "$2"
	if [[ $REC =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
}


status_of() {
	local re='^<record [^>]* status="([a-z]*)">'
	pick "$@"
	if [[ $REC =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
}

# verdict is|starts KEY FILE RESULT CODE SENTENCE: the record's status is
# RESULT and validate's step is exactly this one (is), or its sentence
# starts with SENTENCE (starts: other problems may follow as "; also ...")
verdict() {
	local how=$1 key=$2 want="<step stage=\"validate\" result=\"$4\" code=\"$5\">$6" rec got='' status=''
	local step_re='<step stage="validate" [^>]*>[^<]*</step>' status_re='^<record [^>]* status="([a-z]*)">'
	pick "$key" "$3"
	[ ${#RECS[@]} -eq 1 ] || fail "$key: ${#RECS[@]} records in $3, not one"
	rec=$REC
	if [[ $rec =~ $step_re ]]; then got=${BASH_REMATCH[0]}; fi
	if [[ $rec =~ $status_re ]]; then status=${BASH_REMATCH[1]}; fi
	if [ "$how" = is ]; then want+='</step>'; fi
	[[ $got == "$want" || ( $how == starts && $got == "$want"* ) ]] || fail "$key: step
   got: $got
  want: $want$([ "$how" = is ] || echo ...)"
	[ "$status" = "$4" ] || fail "$key: status $status, not $4"
}

step_is() { verdict is "$@"; }
step_starts() { verdict starts "$@"; }

ok_step() { step_is "$1" "$2" ok VALIDATE_OK 'every field valid'; }



# ---- the stage: what is examined, what is kept, what is counted -----------------

conserved() { stage_conserved validate "$@"; }
one_step_each() { stage_one_step_each validate "$@"; }

@test "one step for every ok record; records already rejected pass byte for byte; the counts add up" {
	assert_equal "$(grep -c '^<record ' v.xml)" "$(grep -c '^<record ' i.xml)"
	conserved "$(cat v.err)" v.xml B-V
	one_step_each i.xml v.xml
	# the two rows ingest rejected were not examined
	assert_equal "$(status_of BAD-COUNT i.xml)/$(status_of BAD-CTRL i.xml)" rejected/rejected
	assert_equal "$(record_of BAD-COUNT v.xml)" "$(record_of BAD-COUNT i.xml)"
	assert_equal "$(record_of BAD-CTRL v.xml)" "$(record_of BAD-CTRL i.xml)"
	conserved "$(cat rv.err)" rv.xml B-C
	one_step_each ri.xml rv.xml
	# a record held by an earlier stage is not examined either
	passthru --hold OK-BASE i.xml > held.xml 2> /dev/null
	run -0 --separate-stderr validate --today "$TODAY" held.xml
	printf '%s\n' "$output" > hv.xml
	conserved "$stderr" hv.xml B-V
	one_step_each held.xml hv.xml
	assert_equal "$(record_of OK-BASE hv.xml)" "$(record_of OK-BASE held.xml)"
}

@test "values as entered never change: the input line plus <normalised> before <trail>, one step and the status" {
	for pair in i.xml:v.xml ri.xml:rv.xml; do
		diff <(records "${pair%%:*}") <(records "${pair#*:}" | sed -E '/<step stage="validate" /{
			s|<normalised>.*</normalised>||
			s|<step stage="validate" [^>]*>[^<]*</step>||
			s|^(<record [^>]*) status="[a-z]*">|\1 status="ok">|
		}')
		run -1 grep '<normalised>' <(records "${pair#*:}" | grep -v '</normalised><trail><step ')
		[ "$(grep -c '<normalised>' "${pair#*:}")" -gt 20 ]
	done
}

@test "a valid application becomes exactly this record line" {
	run -0 record_of OK-BASE v.xml
	assert_output "$R"' id="OK-BASE" status="ok"><application><tracking_id>OK-BASE</tracking_id><office>ISB</office><category>normal</category><passport_type>ordinary</passport_type><surname>QURESHI</surname><given_names>ALI</given_names><father_name>TARIQ MEHMOOD QURESHI</father_name><sex>M</sex><date_of_birth>1991-03-14</date_of_birth><place_of_birth>RAWALPINDI</place_of_birth><cnic>3740512345671</cnic><nationality>PAK</nationality><validity_years>10</validity_years><pages>36</pages><delivery_office>ISB</delivery_office><delivery_mode>counter</delivery_mode><phone>03001234567</phone><photo_sha256>'$PHOTO'</photo_sha256><fee_receipt>260001234567</fee_receipt><fee_amount>9000</fee_amount><applied_on>2026-11-20</applied_on></application><normalised><category>normal</category><passport_type>ordinary</passport_type><sex>M</sex><validity_years>10</validity_years><pages>36</pages><delivery_mode>counter</delivery_mode><office>ISB</office><delivery_office>ISB</delivery_office><surname>QURESHI</surname><given_names>ALI</given_names><father_name>TARIQ MEHMOOD QURESHI</father_name><cnic>3740512345671</cnic><date_of_birth>1991-03-14</date_of_birth><applied_on>2026-11-20</applied_on></normalised><trail><step stage="ingest" result="ok" code="INGEST_OK">read from a.csv line 3</step><step stage="validate" result="ok" code="VALIDATE_OK">every field valid</step></trail></record>'
}

@test "a record that does not follow impass.xsd is rejected with RECORD_SCHEMA; the others are still checked" {
	small i.xml OK-BASE OK-SEX-F OK-DIA-1 BAD-COUNT |
		sed -e '/ id="OK-BASE" /s|<office>|<foo/><office>|' \
		-e '/ id="OK-SEX-F" /s|<office>ISB</office><category>normal</category>|<category>normal</category><office>ISB</office>|' > s0.xml
	reseal s0.xml "$STAGE_FPR" > s.xml
	run -0 --separate-stderr validate --today "$TODAY" s.xml
	printf '%s\n' "$output" > sv.xml
	conserved "$stderr" sv.xml B-V
	step_starts OK-BASE sv.xml rejected RECORD_SCHEMA "the record does not follow schemas/impass.xsd: Element '{urn:impass:batch:1}foo': This element is not expected."
	step_starts OK-SEX-F sv.xml rejected RECORD_SCHEMA "the record does not follow schemas/impass.xsd: Element '{urn:impass:batch:1}office': This element is not expected."
	# no field rule ran on them: no normalised values, the record otherwise as it came
	assert_equal "$(norm_of OK-BASE sv.xml)" ''
	assert_equal "$(record_of OK-BASE sv.xml | sed 's|<step stage="validate" [^>]*>[^<]*</step>||; s| status="rejected">| status="ok">|')" \
		"$(record_of OK-BASE s.xml)"
	assert_equal "$(record_of OK-DIA-1 sv.xml)" "$(record_of OK-DIA-1 v.xml)"
	assert_equal "$(record_of BAD-COUNT sv.xml)" "$(record_of BAD-COUNT v.xml)"
}

# ---- applications: awkward but valid ---------------------------------------------

@test "case and surrounding spaces of the enumerations and office codes are folded" {
	ok_step OK-FOLD v.xml
	run -0 norm_of OK-FOLD v.xml
	assert_output '<normalised><category>normal</category><passport_type>ordinary</passport_type><sex>M</sex><validity_years>5</validity_years><pages>72</pages><delivery_mode>counter</delivery_mode><office>ISB-G9</office><delivery_office>ISB</delivery_office><surname>QURESHI</surname><given_names>ALI</given_names><father_name>TARIQ MEHMOOD QURESHI</father_name><cnic>3740512345671</cnic><date_of_birth>1991-03-14</date_of_birth><applied_on>2026-11-20</applied_on></normalised>'
	record_of OK-FOLD v.xml | grep -qF '<category> Normal </category><passport_type>ORDINARY</passport_type>'
	ok_step OK-SEX-F v.xml
	assert_equal "$(norm OK-SEX-F v.xml sex)" F
	ok_step OK-DIPLOMATIC v.xml
	assert_equal "$(norm OK-DIPLOMATIC v.xml passport_type)" diplomatic
}

@test "names: apostrophes dropped, hyphens separate words, lower case raised, runs of spaces one" {
	for id in OK-APOS OK-HYPH OK-LOWER OK-SPACES; do ok_step "$id" v.xml; done
	assert_equal "$(norm OK-APOS v.xml surname)/$(norm OK-APOS v.xml father_name)" "DSOUZA/PETER DSOUZA"
	assert_equal "$(norm OK-HYPH v.xml given_names)" "ABDUL REHMAN"
	assert_equal "$(norm OK-LOWER v.xml surname)/$(norm OK-LOWER v.xml given_names)/$(norm OK-LOWER v.xml father_name)" \
		"KHAN/MUHAMMAD ALI/AHMED KHAN"
	assert_equal "$(norm OK-SPACES v.xml surname)/$(norm OK-SPACES v.xml given_names)" "KHAN/MUHAMMAD ALI"
	# as entered, untouched
	record_of OK-APOS v.xml | grep -qF "<surname>D'SOUZA</surname>"
	record_of OK-SPACES v.xml | grep -qF '<surname>  Khan </surname><given_names>Muhammad   Ali</given_names>'
}

@test "diacritics are transliterated by ICAO 9303-3: Ü UE, Ñ N, ß SS, Å AA, Ø OE, Þ TH, Æ AE" {
	ok_step OK-DIA-1 v.xml
	ok_step OK-DIA-2 v.xml
	assert_equal "$(norm OK-DIA-1 v.xml surname)/$(norm OK-DIA-1 v.xml given_names)/$(norm OK-DIA-1 v.xml father_name)" \
		"MUELLER/JOSE NUNEZ/HANS GROSSMANN"
	assert_equal "$(norm OK-DIA-2 v.xml surname)/$(norm OK-DIA-2 v.xml given_names)/$(norm OK-DIA-2 v.xml father_name)" \
		"AASTROEM/BJOERN/THOR AEGIR"
	record_of OK-DIA-1 v.xml | grep -qF '<surname>MÜLLER</surname><given_names>JOSÉ ÑUÑEZ</given_names><father_name>HANS GROßMANN</father_name>'
}

@test "a single name: an empty surname or empty given names is valid; both empty is NAME_MISSING" {
	ok_step OK-NO-SURNAME v.xml
	ok_step OK-NO-GIVEN v.xml
	run -0 norm_of OK-NO-SURNAME v.xml
	refute_output --partial '<surname>'
	assert_output --partial '<given_names>ALI</given_names>'
	run -0 norm_of OK-NO-GIVEN v.xml
	refute_output --partial '<given_names>'
	assert_output --partial '<surname>QURESHI</surname>'
	step_is MISS-NAMES v.xml rejected NAME_MISSING 'surname and given_names are both empty; one of them is required'
}

@test "names of 100 characters are within the limit; 101 is FIELD_TOO_LONG" {
	ok_step OK-LONG v.xml
	assert_equal "$(norm OK-LONG v.xml surname)" "$A100"
	assert_equal "$(norm OK-LONG v.xml given_names)" "${A100:0:49} ${A100:0:50}"
	for c in surname given_names father_name; do
		step_is "$(key LONG "$c")" v.xml rejected FIELD_TOO_LONG "$c has 101 characters, more than the 100 allowed"
	done
}

@test "a 100-character name that transliterates to more letters passes, and its record is still valid against impass.xsd" {
	ok_step OK-LONG-DIA v.xml
	assert_equal "$(norm OK-LONG-DIA v.xml surname)" "${U100:0:95}UEUEUEUEUE"
	record_of OK-LONG-DIA v.xml > one.xml
	run xmllint --noout --schema "$TESTS/../schemas/impass.xsd" one.xml
	assert_success
}

@test "partial dates of birth (YYYY-MM, YYYY) are kept as they are; 29 February of a leap year is real" {
	for id in OK-DOB-YM OK-DOB-Y OK-DOB-1890 OK-LEAP OK-APPLIED-TODAY OK-BORN-APPLIED; do ok_step "$id" v.xml; done
	assert_equal "$(norm OK-DOB-YM v.xml date_of_birth)" 1990-05
	assert_equal "$(norm OK-DOB-Y v.xml date_of_birth)" 1990
	assert_equal "$(norm OK-DOB-1890 v.xml date_of_birth)" 1890
	assert_equal "$(norm OK-LEAP v.xml date_of_birth)" 2000-02-29
	assert_equal "$(norm OK-APPLIED-TODAY v.xml applied_on)" 2026-11-28
}

@test "CNIC: 13 digits or 5-7-1 dashed, stored as 13 digits (CNIC_FORMAT); the last digit odd for M, even for F, X exempt (CNIC_SEX_MISMATCH)" {
	ok_step OK-CNIC-DASH v.xml
	assert_equal "$(norm OK-CNIC-DASH v.xml cnic)" 3740512345671
	record_of OK-CNIC-DASH v.xml | grep -qF '<cnic>37405-1234567-1</cnic>'
	assert_equal "$(norm OK-SEX-F v.xml cnic)" 3740512345672
	ok_step OK-X-ODD v.xml
	ok_step OK-X-EVEN v.xml
	assert_equal "$(norm OK-X-ODD v.xml sex)/$(norm OK-X-EVEN v.xml sex)" X/X
	step_is CNIC-FMT v.xml rejected CNIC_FORMAT "cnic '12345-123456-12' is not 13 digits (written 1234512345671 or 12345-1234567-1)"
	step_is CNIC-12 v.xml rejected CNIC_FORMAT "cnic '374051234567' is not 13 digits (written 1234512345671 or 12345-1234567-1)"
	step_is CNIC-LETTER v.xml rejected CNIC_FORMAT "cnic '37405-12345A7-1' is not 13 digits (written 1234512345671 or 12345-1234567-1)"
	step_is CNIC-SEX-M v.xml rejected CNIC_SEX_MISMATCH 'cnic 3740512345672 ends in an even digit but sex is M; the last digit is odd for men and even for women: check both'
	step_is CNIC-SEX-F v.xml rejected CNIC_SEX_MISMATCH 'cnic 3740512345671 ends in an odd digit but sex is F; the last digit is odd for men and even for women: check both'
}

@test "courier delivery needs an address (ADDRESS_MISSING); CR/LF inside a quoted one make a valid address" {
	step_is ADDR-MISSING v.xml rejected ADDRESS_MISSING 'delivery_mode is courier but the address is empty'
	step_is ADDR-BLANK v.xml rejected ADDRESS_MISSING 'delivery_mode is courier but the address is empty'
	ok_step OK-CRLF v.xml
	record_of OK-CRLF v.xml | grep -qF '<address>House 12 Street 5 Islamabad</address>'
	assert_equal "$(norm OK-CRLF v.xml delivery_mode)" courier
}

@test "previous_passport: spaces and dashes dropped, case raised; any other shape is held, not rejected" {
	ok_step OK-PREV v.xml
	ok_step OK-PREV-2 v.xml
	assert_equal "$(norm OK-PREV v.xml previous_passport)/$(norm OK-PREV-2 v.xml previous_passport)" AB1234567/AB1234567
	step_is PREV-FMT v.xml held PREVIOUS_PASSPORT_FORMAT "previous_passport 'A1234567' is not two letters and seven digits; check the old passport"
	# a held record keeps its normalised values, for the officer and the later stages
	assert_equal "$(norm PREV-FMT v.xml cnic)" 3740512345671
	run -0 norm_of PREV-FMT v.xml
	refute_output --partial '<previous_passport>'
}

# ---- applications: rejected -----------------------------------------------------

# by_tracking TRACKING_ID FILE: the records whose <tracking_id> is this one
by_tracking() { grep -F "<tracking_id>$1</tracking_id>" "$2"; }

@test "a tracking id that is not 1 to 24 of A-Z, 0-9 and dashes reaches validate only as ingest's rejected ROW-N record, passed untouched" {
	local t line
	for t in isb-1 ISB-2026-00000000000000001; do
		run -0 by_tracking "$t" v.xml
		assert_equal "${#lines[@]}" 1
		line=$(grep -nF "$t," "$KT/a.csv" | cut -d: -f1)
		assert_output "$(by_tracking "$t" i.xml)"
		assert_regex "$output" "^$R id=\"ROW-$line\" status=\"rejected\">.*<trail><step stage=\"ingest\" result=\"rejected\" code=\"TRACKING_ID_FORMAT\">a.csv line $line: tracking_id '$t' is not 1 to 24 capital letters, digits and dashes, so the record is named ROW-$line; correct it and submit the row again</step></trail></record>\$"
	done
}

@test "a tracking id used twice: ingest rejects the second under ROW-N naming the first by its record number; validate checks the first" {
	run -0 by_tracking DUP-1 v.xml
	assert_equal "${#lines[@]}" 2
	# the first DUP-1 is record n of the batch (records rejected by ingest count)
	n=$(records v.xml | grep -nF ' id="DUP-1" ' | cut -d: -f1)
	[ "$n" -gt 30 ]
	line=$(grep -nF 'DUP-1,' "$KT/a.csv" | sed -n 2p | cut -d: -f1)
	assert_equal "$(step_of DUP-1 v.xml)" '<step stage="validate" result="ok" code="VALIDATE_OK">every field valid</step>'
	assert_equal "$(status_of DUP-1 v.xml)" ok
	assert_equal "${lines[1]}" "$(grep -F " id=\"ROW-$line\" " i.xml)"
	assert_regex "${lines[1]}" "^$R id=\"ROW-$line\" status=\"rejected\">.*<trail><step stage=\"ingest\" result=\"rejected\" code=\"TRACKING_ID_DUPLICATE\">a.csv line $line: tracking_id DUP-1 was already used by record $n of this batch, so this record is named ROW-$line; one application, one tracking id</step></trail></record>\$"
}

@test "each required field, when empty, is FIELD_MISSING naming it" {
	for c in office category passport_type father_name sex date_of_birth place_of_birth cnic \
		nationality validity_years pages delivery_office delivery_mode photo_sha256 applied_on; do
		step_is "$(key MISS "$c")" v.xml rejected FIELD_MISSING "$c is empty; it is required"
	done
}

@test "each length limit: FIELD_TOO_LONG naming the field, its length and the limit" {
	step_is LONG-PLACE-OF-BIRTH v.xml rejected FIELD_TOO_LONG 'place_of_birth has 65 characters, more than the 64 allowed'
	step_is LONG-ADDRESS v.xml rejected FIELD_TOO_LONG 'address has 301 characters, more than the 300 allowed'
	step_is LONG-FEE-RECEIPT v.xml rejected FIELD_TOO_LONG 'fee_receipt has 33 characters, more than the 32 allowed'
	step_starts LONG-PHONE v.xml rejected FIELD_TOO_LONG 'phone has 25 characters, more than the 24 allowed; also PHONE_FORMAT: '
	step_starts LONG-FEE-AMOUNT v.xml rejected FIELD_TOO_LONG 'fee_amount has 13 characters, more than the 12 allowed; also FEE_INVALID: '
	step_starts LONG-PREVIOUS-PASSPORT v.xml rejected FIELD_TOO_LONG 'previous_passport has 17 characters, more than the 16 allowed; also PREVIOUS_PASSPORT_FORMAT: '
}

@test "enumerations outside their values are VALUE_INVALID, naming the values allowed" {
	step_is VAL-CATEGORY v.xml rejected VALUE_INVALID "category 'express' is not one of: normal urgent fasttrack"
	step_is VAL-PASSPORT-TYPE v.xml rejected VALUE_INVALID "passport_type 'regular' is not one of: ordinary official diplomatic"
	step_is VAL-SEX v.xml rejected VALUE_INVALID "sex 'Male' is not one of: M F X"
	step_is VAL-NATIONALITY v.xml rejected VALUE_INVALID "nationality 'IND' is not one of: PAK"
	step_is VAL-VALIDITY-YEARS v.xml rejected VALUE_INVALID "validity_years '7' is not one of: 5 10"
	step_is VAL-PAGES v.xml rejected VALUE_INVALID "pages '48' is not one of: 36 72 100"
	step_is VAL-DELIVERY-MODE v.xml rejected VALUE_INVALID "delivery_mode 'post' is not one of: counter courier mission"
}

@test "a value holding two allowed values ('normal urgent', 'M F', '36 72') is VALUE_INVALID" {
	step_is VAL-TWO-CATEGORY v.xml rejected VALUE_INVALID "category 'normal urgent' is not one of: normal urgent fasttrack"
	step_is VAL-TWO-SEX v.xml rejected VALUE_INVALID "sex 'M F' is not one of: M F X"
	step_is VAL-TWO-PAGES v.xml rejected VALUE_INVALID "pages '36 72' is not one of: 36 72 100"
}

@test "office codes: 2 to 12 of A-Z, 0-9 and dashes (OFFICE_FORMAT)" {
	step_is OFFICE-SHORT v.xml rejected OFFICE_FORMAT "office 'I' is not an office code of 2 to 12 letters, digits and dashes"
	step_is OFFICE-LONG v.xml rejected OFFICE_FORMAT "office 'ABCDEFGHIJKLM' is not an office code of 2 to 12 letters, digits and dashes"
	step_is OFFICE-SLASH v.xml rejected OFFICE_FORMAT "delivery_office 'ISB/G9' is not an office code of 2 to 12 letters, digits and dashes"
}

@test "a name with no letters is NAME_MISSING, and the sentence says it has no letters" {
	step_is FATHER-DOTS v.xml rejected NAME_MISSING "father_name '.'-' has no letters"
	# surname and given names of dots only: they are not empty, they have no letters
	step_starts NAME-DOTS v.xml rejected NAME_MISSING ''
	run -0 step_of NAME-DOTS v.xml
	assert_output --partial 'no letters'
	refute_output --partial 'both empty'
	# a surname of dots only is not a single name: it is a name with no letters
	step_starts NAME-DOTS-SURNAME v.xml rejected NAME_MISSING 'surname'
	run -0 step_of NAME-DOTS-SURNAME v.xml
	assert_output --partial 'no letters'
}

@test "a digit in a name is NAME_DIGITS; a letter of another script is NAME_SCRIPT, naming the script and the code point" {
	step_is NAME-DIGITS v.xml rejected NAME_DIGITS "given_names 'ALI2' holds the digit 2; a name has letters only"
	step_is FATHER-DIGITS v.xml rejected NAME_DIGITS "father_name 'TARIQ 2ND' holds the digit 2; a name has letters only"
	step_is SCRIPT-AR v.xml rejected NAME_SCRIPT "surname 'قریشی' holds U+0642, Arabic script (Urdu); enter the name in Latin letters as on the applicant's documents"
	step_is SCRIPT-CY v.xml rejected NAME_SCRIPT "given_names 'Иван' holds U+0418, Cyrillic script; enter the name in Latin letters as on the applicant's documents"
	step_is SCRIPT-DEV v.xml rejected NAME_SCRIPT "father_name 'राम' holds U+0930, Devanagari script; enter the name in Latin letters as on the applicant's documents"
}

@test "application dates: not a real YYYY-MM-DD (YYYY-MM, YYYY for a birth) is DATE_INVALID, an unambiguous 14/03/1991 too (impass-csv(5): the office system writes ISO dates); then DOB_FUTURE, DOB_TOO_EARLY, APPLIED_FUTURE, DATE_ORDER" {
	step_is DOB-FEB30 v.xml rejected DATE_INVALID "date_of_birth '1990-02-30' is not a real date written YYYY-MM-DD (or YYYY-MM, YYYY when only that is known)"
	step_is DOB-FEB29 v.xml rejected DATE_INVALID "date_of_birth '1991-02-29' is not a real date written YYYY-MM-DD (or YYYY-MM, YYYY when only that is known)"
	step_is DOB-SLASH v.xml rejected DATE_INVALID "date_of_birth '14/03/1991' is not a real date written YYYY-MM-DD (or YYYY-MM, YYYY when only that is known)"
	step_is DOB-MONTH13 v.xml rejected DATE_INVALID "date_of_birth '1990-13' is not a real date written YYYY-MM-DD (or YYYY-MM, YYYY when only that is known)"
	step_is APPLIED-MONTH v.xml rejected DATE_INVALID "applied_on '2026-11' is not a real date written YYYY-MM-DD"
	step_is APPLIED-FEB30 v.xml rejected DATE_INVALID "applied_on '2026-02-30' is not a real date written YYYY-MM-DD"
	step_is DOB-FUTURE v.xml rejected DOB_FUTURE 'date_of_birth 2026-12-01 is after today, 2026-11-28'
	step_is DOB-FUTURE-YEAR v.xml rejected DOB_FUTURE 'date_of_birth 2027 is after today, 2026-11-28'
	step_is DOB-EARLY v.xml rejected DOB_TOO_EARLY 'date_of_birth 1889-12-31 is before 1890'
	step_is APPLIED-FUTURE v.xml rejected APPLIED_FUTURE 'applied_on 2026-11-29 is after today, 2026-11-28'
	step_is DATE-ORDER v.xml rejected DATE_ORDER 'date_of_birth 2026-11-25 is after applied_on 2026-11-20'
}

@test "photo_sha256: 64 hex digits of either case (PHOTO_HASH), not the empty file's hash (PHOTO_EMPTY)" {
	ok_step OK-PHOTO-UPPER v.xml
	step_is PHOTO-SHORT v.xml rejected PHOTO_HASH "photo_sha256 '${PHOTO:1}' is not 64 hex digits"
	step_is PHOTO-NOT-HEX v.xml rejected PHOTO_HASH "photo_sha256 '${PHOTO:1}g' is not 64 hex digits"
	step_is PHOTO-EMPTY v.xml rejected PHOTO_EMPTY 'photo_sha256 is the hash of an empty file: the photo is missing; capture it again'
}

@test "phone: 7 to 15 digits, with + ( ) - and spaces (PHONE_FORMAT); it may be absent" {
	ok_step OK-PHONE v.xml
	ok_step OK-NO-PHONE v.xml
	step_is PHONE-LETTERS v.xml rejected PHONE_FORMAT "phone '0300-CALLNOW' is not a telephone number of 7 to 15 digits"
	step_is PHONE-SHORT v.xml rejected PHONE_FORMAT "phone '12345' is not a telephone number of 7 to 15 digits"
}

@test "fees: whole rupees (FEE_INVALID), 0 only for the gratis official and diplomatic passports; an ordinary passport needs receipt and amount (FEE_MISSING), official and diplomatic do not" {
	step_is FEE-COMMA v.xml rejected FEE_INVALID "fee_amount '9,000' is not a whole number of rupees from 1 to 9999999"
	step_is FEE-ZERO v.xml rejected FEE_INVALID "fee_amount '0' is not a whole number of rupees from 1 to 9999999"
	step_is FEE-PAISA v.xml rejected FEE_INVALID "fee_amount '9000.50' is not a whole number of rupees from 1 to 9999999"
	step_is FEE-NO-RECEIPT v.xml rejected FEE_MISSING 'fee_receipt is empty; an ordinary passport needs fee_receipt and fee_amount'
	step_is FEE-NO-AMOUNT v.xml rejected FEE_MISSING 'fee_amount is empty; an ordinary passport needs fee_receipt and fee_amount'
	step_is FEE-GRATIS-PAISA v.xml rejected FEE_INVALID "fee_amount '0.50' is not a whole number of rupees from 0 to 9999999"
	ok_step OK-OFFICIAL v.xml
	ok_step OK-DIPLOMATIC v.xml
	ok_step OK-OFFICIAL-ZERO v.xml
}

@test "several problems: one step, coded by the first problem of the worst result, the others after '; also'" {
	step_is MULTI v.xml rejected CNIC_FORMAT "cnic '123' is not 13 digits (written 1234512345671 or 12345-1234567-1); also PREVIOUS_PASSPORT_FORMAT: previous_passport 'X1' is not two letters and seven digits; check the old passport; also PHONE_FORMAT: phone '12' is not a telephone number of 7 to 15 digits"
	# a rejection found after a hold outranks it
	step_is MULTI-HELD-FIRST v.xml rejected PHONE_FORMAT "phone '12' is not a telephone number of 7 to 15 digits; also PREVIOUS_PASSPORT_FORMAT: previous_passport 'X1' is not two letters and seven digits; check the old passport"
}

@test "every problem is listed, also those found after the record was already rejected" {
	step_is MULTI-AFTER-MISSING v.xml rejected FIELD_MISSING 'office is empty; it is required; also NAME_MISSING: surname and given_names are both empty; one of them is required'
	step_is C-MULTI rv.xml rejected FIELD_MISSING "name is empty; it is required; also REGISTER_INVALID: register 'XYZ' is not PCC, NC or RC"
}

# ---- citizenship registers ------------------------------------------------------

@test "a valid certificate: register, names, CNIC and dates normalised; the text as typed kept" {
	ok_step C-OK rv.xml
	run -0 norm_of C-OK rv.xml
	assert_output '<normalised><register>PCC</register><name>JOHN DSOUZA</name><father_name>PETER DSOUZA</father_name><issued_on>1998-08-14</issued_on><date_of_birth>1961-04-03</date_of_birth></normalised>'
	ok_step C-LOWER rv.xml
	assert_equal "$(norm C-LOWER rv.xml register)/$(norm C-LOWER rv.xml name)/$(norm C-LOWER rv.xml cnic)" \
		PCC/ANNA\ MUELLER/4220112345672
	record_of C-LOWER rv.xml | grep -qF '<certificate register="pcc" number="PCC/1998/00417"><issued_on>1998-08-14</issued_on><name>anna müller</name>'
	ok_step C-NC rv.xml
	assert_equal "$(norm C-NC rv.xml register)/$(norm C-NC rv.xml cnic)" NC/4220112345671
}

@test "the register must be PCC, NC or RC (REGISTER_INVALID)" {
	step_is C-REG-BAD rv.xml rejected REGISTER_INVALID "register 'XYZ' is not PCC, NC or RC"
	step_is C-REG-EMPTY rv.xml rejected FIELD_MISSING 'register is empty; it is required'
	step_is C-REG-TWO rv.xml rejected REGISTER_INVALID "register 'PCC NC' is not PCC, NC or RC"
}

@test "unambiguous dates typed from paper become YYYY-MM-DD in <normalised>; the text as typed stays" {
	for label in C-DOTS:14.08.1998 C-SLASH-YY:14/08/98 C-ISO:1998-08-14 C-MON:14-Aug-1998 \
		'C-MONTH:14 August 1998' C-ONE-DIGIT:14/8/1998 C-MONTH-FIRST:08/14/1998 \
		'C-TH:14th August 1998' 'C-US-MONTH:Aug 14, 1998' C-MON-YY:14-AUG-98; do
		ok_step "${label%%:*}" rv.xml
		assert_equal "$(norm "${label%%:*}" rv.xml issued_on)" 1998-08-14
		record_of "${label%%:*}" rv.xml | grep -qF "<issued_on>${label#*:}</issued_on>" ||
			fail "${label%%:*}: the date as typed is lost"
	done
	ok_step C-SAME rv.xml
	assert_equal "$(norm C-SAME rv.xml issued_on)" 1998-05-05
	ok_step C-1951 rv.xml
	assert_equal "$(norm C-1951 rv.xml issued_on)/$(norm C-1951 rv.xml date_of_birth)" 1951-01-01/1940-05-01
	ok_step C-TODAY rv.xml
	assert_equal "$(norm C-TODAY rv.xml issued_on)" 2026-11-28
	ok_step C-DOB-ON-ISSUE rv.xml
	assert_equal "$(norm C-DOB-ON-ISSUE rv.xml date_of_birth)" 1998-08-14
}

@test "an ambiguous date is held (DATE_AMBIGUOUS) with every reading; the other values are still normalised" {
	step_is C-AMBIGUOUS rv.xml held DATE_AMBIGUOUS "issued_on '03/04/98' could be 1998-04-03 or 1998-03-04; read the paper register and enter it as YYYY-MM-DD"
	run -0 norm_of C-AMBIGUOUS rv.xml
	assert_output '<normalised><register>PCC</register><name>JOHN DSOUZA</name><father_name>PETER DSOUZA</father_name><date_of_birth>1961-04-03</date_of_birth></normalised>'
	# 12/05/03 is day-month ambiguous too, whatever the century
	step_is C-YY-DOB-DAY-MONTH rv.xml held DATE_AMBIGUOUS "date_of_birth '12/05/03' could be 1903-05-12 or 1903-12-05; read the paper register and enter it as YYYY-MM-DD"
}

@test "an impossible date is rejected (DATE_INVALID), one out of range too (DATE_RANGE: issued before 1951 or after today, born before 1890 or after the issue); an unreadable one is held" {
	step_is C-IMPOSSIBLE rv.xml rejected DATE_INVALID "issued_on '31/02/1999' is not a real calendar date; correct the date"
	step_is C-UNREADABLE rv.xml held DATE_UNREADABLE "issued_on 'sometime 1980' is not a date in a known form (14.08.1998, 14/08/98, 1998-08-14, 14-Aug-1998); read the paper register and enter it as YYYY-MM-DD"
	step_is C-1950 rv.xml rejected DATE_RANGE "issued_on '1950-12-31' is outside 1951-01-01 to 2026-11-28; correct the date"
	step_is C-TOMORROW rv.xml rejected DATE_RANGE "issued_on '2026-11-29' is outside 1951-01-01 to 2026-11-28; correct the date"
	step_is C-DOB-1889 rv.xml rejected DATE_RANGE "date_of_birth '1889-12-31' is outside 1890-01-01 to 1998-08-14; correct the date"
	step_is C-DOB-AFTER rv.xml rejected DATE_RANGE "date_of_birth '1999-01-01' is outside 1890-01-01 to 1998-08-14; correct the date"
}

@test "a two-digit year takes the century that puts the date in range; when both fit, the date is held" {
	ok_step C-YY-ISSUED rv.xml
	assert_equal "$(norm C-YY-ISSUED rv.xml issued_on)" 2005-08-14
	ok_step C-YY-DOB rv.xml
	assert_equal "$(norm C-YY-DOB rv.xml date_of_birth)" 1903-05-14
	step_is C-YY-BOTH rv.xml held DATE_AMBIGUOUS "date_of_birth '15/05/03' could be 1903-05-15 or 2003-05-15; read the paper register and enter it as YYYY-MM-DD"
}

@test "a date of birth known only by its year is kept as the year, as for applications" {
	ok_step C-DOB-YEAR rv.xml
	assert_equal "$(norm C-DOB-YEAR rv.xml date_of_birth)" 1940
}

@test "certificates: certificate_no and issued_on are required (FIELD_MISSING); names and CNICs follow the rules of applications" {
	step_is C-NO-NUMBER rv.xml rejected FIELD_MISSING 'certificate_no is empty; it is required'
	step_is C-NO-ISSUED rv.xml rejected FIELD_MISSING 'issued_on is empty; it is required'
	step_is C-NAME-MISSING rv.xml rejected FIELD_MISSING 'name is empty; it is required'
	step_is C-NAME-DIGITS rv.xml rejected NAME_DIGITS "name 'JOHN 2' holds the digit 2; a name has letters only"
	step_is C-NAME-SCRIPT rv.xml rejected NAME_SCRIPT "name 'محمد علی' holds U+0645, Arabic script (Urdu); enter the name in Latin letters as on the applicant's documents"
	step_is C-FATHER-SCRIPT rv.xml rejected NAME_SCRIPT "father_name 'Пётр' holds U+041F, Cyrillic script; enter the name in Latin letters as on the applicant's documents"
	step_is C-CNIC rv.xml rejected CNIC_FORMAT "cnic '12345-123456-12' is not 13 digits (written 1234512345671 or 12345-1234567-1), nor an old NIC of 11 digits (657-80-291030)"
}

@test "a certificate name of 120 characters (150 allowed) passes, and its record is still valid against impass.xsd" {
	ok_step C-LONG-NAME rv.xml
	assert_equal "$(norm C-LONG-NAME rv.xml name)" "$N120"
	record_of C-LONG-NAME rv.xml > one.xml
	run xmllint --noout --schema "$TESTS/../schemas/impass.xsd" one.xml
	assert_success
}

# ---- the output, the command line ------------------------------------------------

@test "the output verifies and is valid against impass.xsd, whole and one record line at a time" {
	for f in v.xml rv.xml; do
		run -0 --separate-stderr passthru "$f"
		run xmllint --noout --schema "$TESTS/../schemas/impass.xsd" "$f"
		assert_success
		assert_output "$f validates"
	done
	run -0 sh -c "grep -F ' id=\"OK-DIA-1\" ' v.xml | xmllint --noout --schema '$TESTS/../schemas/impass.xsd' -"
	run -0 sh -c "grep -F '<remarks>C-MON</remarks>' rv.xml | xmllint --noout --schema '$TESTS/../schemas/impass.xsd' -"
}

@test "--today must be a real date written YYYY-MM-DD (64), before any input is read" {
	for d in 2026-02-30 20261128 2026-11 28/11/2026 ''; do
		run -64 --separate-stderr validate --today "$d" i.xml
		assert_output ''
		assert_equal "$stderr" "validate: --today '$d' is not a real date written YYYY-MM-DD"
	done
	run -0 --separate-stderr validate --today 2024-02-29 i.xml
}

@test "--dates is day-first or any (64 otherwise); day-first reads a certificate's 03/04/98 as 3 April" {
	run -64 --separate-stderr validate --dates month-first i.xml
	assert_output ''
	assert_equal "$stderr" "validate: --dates 'month-first': give day-first or any"
	printf '%s\n' 'register,certificate_no,issued_on,name,father_name,date_of_birth,place_of_birth,cnic,previous_nationality,country,mission,remarks' \
		'PCC,1,03/04/98,ZAFAR IQBAL,S/O MUHAMMAD IQBAL,1961,DELHI,,INDIA,PAKISTAN,,' > c.csv
	ingest --kind citizenship -b B-DF-01 c.csv > c.xml 2> /dev/null
	run -0 --separate-stderr validate --dates day-first --today 2026-11-28 c.xml
	assert_output --partial '<normalised><register>PCC</register><name>ZAFAR IQBAL</name><father_name>MUHAMMAD IQBAL</father_name><issued_on>1998-04-03</issued_on><date_of_birth>1961</date_of_birth></normalised>'
	assert_output --partial '<step stage="validate" result="ok" code="VALIDATE_OK">every field valid; dates read day first, as the register is written</step>'
	run -0 --separate-stderr validate --dates any --today 2026-11-28 c.xml
	assert_output --partial 'code="DATE_AMBIGUOUS">issued_on '"'"'03/04/98'"'"' could be 1998-04-03 or 1998-03-04;'
}

@test "a stream of kind printed is refused (65), naming the kinds validate reads, and nothing is sealed" {
	small i.xml OK-BASE BAD-COUNT | sed '2s/kind="application"/kind="printed"/' > p0.xml
	reseal p0.xml "$STAGE_FPR" > p.xml
	run -0 passthru p.xml
	run -65 --separate-stderr validate --today "$TODAY" p.xml
	refute_output --partial '<seal '
	assert_equal "$stderr" 'validate: B-V: validate reads application or citizenship streams, not printed'
}

@test "usage: -h and --help on stdout (0); a bad option or two operands (64) on stderr" {
	for opt in -h --help; do
		run -0 --separate-stderr validate "$opt"
		assert_line --index 0 "$USAGE"
		assert_line --partial '--today DATE'
		assert_equal "$stderr" ''
	done
	run -64 --separate-stderr validate -x i.xml
	assert_output ''
	[[ $stderr == *"$USAGE"* ]] || fail "stderr: $stderr"
	run -64 --separate-stderr validate i.xml i.xml
	assert_output ''
	[[ $stderr == *"$USAGE"* ]] || fail "stderr: $stderr"
}

@test "a batch that has been through validate is not validated again" {
	run -65 --separate-stderr validate --today 2026-11-28 v.xml
	assert_output ''
	[[ $stderr == "validate: B-V: batch B-V has been through validate already; run validate on the stream that came before it" ]] || fail "stderr: $stderr"
	passthru v.xml > p.xml 2> /dev/null
	run -65 --separate-stderr validate --today 2026-11-28 p.xml
	assert_output ''
}
