#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# verify-nadra (SPEC 1, 3, 4, 5.1-5.3): every ok applicant against the
# NADRA register (the CNIC exists, is active, and name, father's name, date
# of birth and sex agree), against the renunciation certificates (RC), one
# step each; the register's index (--index) and the block list of renounced
# citizens whose CNIC is still active (--blocklist). Records not ok pass
# through byte for byte.
# One batch of hand-written applications, its register extract and its
# renunciations are built, ingested and validated once in setup_file, and
# verify-nadra runs on them a few times there; most tests read one record of
# those outputs.

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
CIT_COLUMNS="register certificate_no issued_on name father_name date_of_birth place_of_birth cnic previous_nationality country mission remarks"
NADRA_HEADER=cnic,name,father_name,date_of_birth,sex,status
BLOCK_HEADER=cnic,certificate_no,issued_on,name,father_name,register_name,register_father_name,register_status
PHOTO=dddb32b03a7e8400719198323b6e917e78fb70f02cd254cd8442053ea7805599
TODAY=2026-11-28
OK_TEXT="CNIC active in the register; name, father's name, date of birth and sex agree"
USAGE='usage: verify-nadra --nadra FILE [--renunciations FILE] [--blocklist OUT]'

# app ID cnic=CNIC KEY=CELL...: one CSV row (SPEC 5.1 order) of a valid
# ordinary application of ALI RAZA KHAN, son of AHMED KHAN, born 1990-05-17,
# with tracking id ID and the cells given replaced (quote them yourself)
app() {
	local -A v=([office]=LHR [category]=normal [passport_type]=ordinary [surname]=KHAN
		[given_names]='ALI RAZA' [father_name]='AHMED KHAN' [sex]=M
		[date_of_birth]=1990-05-17 [place_of_birth]=LAHORE [nationality]=PAK
		[validity_years]=10 [pages]=36 [delivery_office]=LHR [delivery_mode]=counter
		[phone]=03001234567 [photo_sha256]=$PHOTO [fee_receipt]=260001234567
		[fee_amount]=9000 [applied_on]=2026-11-20)
	local kv c out='' sep=''
	v[tracking_id]=$1
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

# reg CNIC KEY=CELL...: one row of the NADRA extract (SPEC 5.2): ALI RAZA KHAN,
# son of AHMED KHAN, born 1990-05-17, M, active, with the cells given replaced
reg() {
	local -A v=([name]='ALI RAZA KHAN' [father_name]='AHMED KHAN' [date_of_birth]=1990-05-17
		[sex]=M [status]=active)
	local kv c out=$1
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in name father_name date_of_birth sex status; do out+=,${v[$c]}; done
	printf '%s\n' "$out"
}

# cert REGISTER NUMBER CNIC KEY=CELL...: one row of a citizenship register
# (SPEC 5.3): certificate NUMBER of ALI RAZA KHAN, issued 14.08.2001
cert() {
	local -A v=([issued_on]=14.08.2001
		[name]='ALI RAZA KHAN' [father_name]='AHMED KHAN' [date_of_birth]=1990-05-17
		[place_of_birth]=LAHORE [previous_nationality]=PAKISTAN [country]=GERMANY
		[mission]=Berlin)
	local kv c out='' sep=''
	v[register]=$1
	v[certificate_no]=$2
	v[cnic]=$3
	shift 3
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $CIT_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

# The applications (a.csv) and the register (n.csv), side by side. CNICs:
# 35201-00000NN-S for the checks, 35202-... for the name variants; the last
# digit is odd for men, even for women.
cases() {
	local which=$1
	row() { if [ "$which" = "$1" ]; then shift; "$@"; fi; }
	row a echo "${APP_COLUMNS// /,}"
	row n echo "$NADRA_HEADER"
	# the CNIC: found, active, blocked, cancelled, deceased, unknown status, twice
	row a app OK-BASE cnic=3520100000011;        row n reg 3520100000011
	row a app NOT-FOUND cnic=3520100000021
	row a app BLOCKED cnic=35201-0000003-1;      row n reg 3520100000031 status=blocked
	row a app CANCELLED cnic=3520100000041;      row n reg 3520100000041 status=cancelled
	row a app DECEASED cnic=3520100000051;       row n reg 3520100000051 status=deceased
	row a app STATUS-ODD cnic=3520100000061;     row n reg 3520100000061 status=suspended
	row a app DUPLICATE cnic=3520100000071;      row n reg 3520100000071
	row n reg 3520100000071 name='ASIF ALI' father_name='SHAUKAT ALI' date_of_birth=1971-01-02
	row a app SHORT-ROW cnic=3520100000081
	# date of birth, sex
	row a app DOB cnic=3520100000091;            row n reg 3520100000091 date_of_birth=1991-05-17
	row a app DOB-DAY cnic=3520100000101 date_of_birth=1990-05-18
	row n reg 3520100000101
	row a app DOB-YM cnic=3520100000111 date_of_birth=1990-05
	row n reg 3520100000111
	row a app DOB-Y cnic=3520100000121 date_of_birth=1990
	row n reg 3520100000121
	row a app DOB-YM-OTHER cnic=3520100000131 date_of_birth=1990-06
	row n reg 3520100000131
	row a app DOB-Y-OTHER cnic=3520100000141 date_of_birth=1989
	row n reg 3520100000141
	row a app SEX cnic=3520100000152 sex=F;      row n reg 3520100000152 sex=M
	# names that are other names
	row a app NAME cnic=3520100000161 given_names=ASIF
	row n reg 3520100000161 name='IMRAN KHAN'
	row a app FATHER cnic=3520100000171;         row n reg 3520100000171 father_name='BASHIR KHAN'
	row a app NAME-DROPPED cnic=3520100000181 given_names=ALI surname=
	row n reg 3520100000181
	row a app NAME-SURNAME cnic=3520100000191 given_names=ALI
	row n reg 3520100000191 name='ALI RAZA'
	# several problems in one step
	row a app MULTI-HELD cnic=3520100000201
	row n reg 3520100000201 name='IMRAN KHAN' father_name='BASHIR KHAN' date_of_birth=1991-05-17 sex=F
	row a app MULTI-REJECTED cnic=3520100000211
	row n reg 3520100000211 name='IMRAN KHAN' status=deceased
	row a app MULTI-UNKNOWN cnic=3520100000221
	row n reg 3520100000221 date_of_birth=1991-05-17 status=suspended
	# renunciations (r.csv): RC rows count, whatever else the register says
	row a app REN cnic=3520100000301;            row n reg 3520100000301
	row a app REN-DECEASED cnic=3520100000311;   row n reg 3520100000311 status=deceased
	row a app REN-ABSENT cnic=3520100000321
	row a app REN-BLOCKED cnic=3520100000331;    row n reg 3520100000331 status=blocked
	row a app REN-LOWER cnic=3520100000341;      row n reg 3520100000341
	row a app REN-BAD-DATE cnic=3520100000351;   row n reg 3520100000351
	row a app PCC cnic=3520100000361;            row n reg 3520100000361
	row a app NC cnic=3520100000371;             row n reg 3520100000371
	row n reg 3520100000382 name='"BIBI, SADIA"' father_name='GHULAM RASOOL' sex=F
	# a renunciation without a CNIC (RC/2003/00001): the person, found by name,
	# father's name and date of birth; namesakes with another father or day
	row a app REN-PERSON cnic=3520100000392 given_names=NAILA surname=PARVEEN \
		'father_name=MOHAMMAD SADIQ' sex=F date_of_birth=1984-02-29
	row n reg 3520100000392 name='NAILA PARVEEN' father_name='MUHAMMAD SADIQ' \
		date_of_birth=1984-02-29 sex=F
	row a app REN-PERSON-FATHER cnic=3520100000402 given_names=NAILA surname=PARVEEN \
		'father_name=GHULAM NABI' sex=F date_of_birth=1984-02-29
	row n reg 3520100000402 name='NAILA PARVEEN' father_name='GHULAM NABI' \
		date_of_birth=1984-02-29 sex=F
	row a app REN-PERSON-DOB cnic=3520100000412 given_names=NAILA surname=PARVEEN \
		'father_name=MUHAMMAD SADIQ' sex=F date_of_birth=1984-03-01
	row n reg 3520100000412 name='NAILA PARVEEN' father_name='MUHAMMAD SADIQ' \
		date_of_birth=1984-03-01 sex=F
	# spellings of one name
	row a app V-MOHAMMAD cnic=3520200000011 'given_names=MUHAMMAD ALI'
	row n reg 3520200000011 name='MOHAMMAD ALI KHAN'
	row a app V-MOHAMMED cnic=3520200000021 'given_names=MOHAMMED ALI'
	row n reg 3520200000021 name='MUHAMMAD ALI KHAN'
	row a app V-MOHD cnic=3520200000031 'given_names=MUHAMMAD ALI'
	row n reg 3520200000031 name='MOHD ALI KHAN'
	row a app V-SYED cnic=3520200000041 surname=SHAH 'father_name=HASSAN SHAH'
	row n reg 3520200000041 name='SYED ALI RAZA SHAH' father_name='SYED HASSAN SHAH'
	row a app V-MALIK cnic=3520200000051 given_names=ASIF surname=AWAN 'father_name=MALIK AKRAM AWAN'
	row n reg 3520200000051 name='MALIK ASIF AWAN' father_name='AKRAM AWAN'
	row a app V-CH cnic=3520200000061 given_names=MUHAMMAD 'surname=CHAUDHRY ASLAM' 'father_name=CH AKRAM'
	row n reg 3520200000061 name='CH MUHAMMAD ASLAM' father_name='CHAUDHRY AKRAM'
	row a app V-HAFIZ cnic=3520200000071 given_names=ZAHID surname=IQBAL 'father_name=HAFIZ ALTAF'
	row n reg 3520200000071 name='HAFIZ ZAHID IQBAL' father_name='ALTAF'
	row a app V-MIAN-RANA cnic=3520200000081 'given_names=TARIQ MEHMOOD' surname=RANA 'father_name=MIAN BASHIR AHMED'
	row n reg 3520200000081 name='TARIQ MEHMOOD' father_name='BASHIR AHMED'
	row a app V-SHEIKH cnic=3520200000091 given_names=HASSAN surname=SHEIKH 'father_name=KHALID SHEIKH'
	row n reg 3520200000091 name='HASSAN' father_name='KHALID'
	row a app V-HUSSAIN cnic=3520200000101 given_names=ZAHID surname=HUSSAIN 'father_name=ALTAF HUSAIN'
	row n reg 3520200000101 name='ZAHID HUSAIN' father_name='ALTAF HUSSAIN'
	row a app V-ORDER cnic=3520200000111 given_names=ALI 'surname=RAZA KHAN'
	row n reg 3520200000111
	row a app V-ORDER-2 cnic=3520200000121 'given_names=KHAN ALI' surname=RAZA
	row n reg 3520200000121
	row a app V-ABDURREHMAN cnic=3520200000131 given_names=ABDURREHMAN
	row n reg 3520200000131 name='ABDUL REHMAN KHAN'
	row a app V-ABDUL-REHMAN cnic=3520200000141 'given_names=ABDUL REHMAN'
	row n reg 3520200000141 name='ABDURREHMAN KHAN'
	row a app V-NO-MUHAMMAD cnic=3520200000151 given_names=ALI
	row n reg 3520200000151 name='MUHAMMAD ALI KHAN' father_name='MUHAMMAD AHMED KHAN'
	row a app V-REG-CASE cnic=3520200000161
	row n reg 3520200000161 name="'ali raza  khan'" father_name='Ahmed-Khan.'
	row a app FATHER-REG-CASE cnic=3520200000181
	row n reg 3520200000181 name='Ali Raza Khan.' father_name='bashir-khan'
	row a app V-TYPO cnic=3520200000172 given_names=NASREEN surname=AKHTAR 'father_name=JAVED AKHTAR' sex=F
	row n reg 3520200000172 name='NASREEN AKHTER' father_name='JAVED AKHTER' sex=F
	# not ok when verify-nadra sees it: passes untouched
	row a app BAD-PHOTO cnic=3520100000011 photo_sha256=abc
	unset -f row
}

# the renunciations, a citizenship register (SPEC 5.3), RCs not in CNIC order
renunciations() {
	echo "${CIT_COLUMNS// /,}"
	cert RC RC/2010/00382 3520100000382 issued_on=15.03.2010 name='SADIA BIBI' \
		father_name='GHULAM RASOOL'
	cert RC RC/2001/00301 35201-0000030-1
	cert RC RC/2001/00311 3520100000311
	cert RC RC/2001/00321 3520100000321
	cert RC RC/2001/00331 3520100000331
	cert ' rc ' RC/2001/00341 3520100000341
	cert RC RC/1999/00351 3520100000351 issued_on=31/02/1999
	cert RC RC/2003/00001 '' name='NAYLA PARVEEN' father_name='MUHAMMAD SADIQ' \
		date_of_birth=29.02.1984
	cert PCC PCC/2001/00361 3520100000361
	cert NC NC/2001/00371 3520100000371
}

# the NADRA rows the index must leave out, between two good ones
bad_rows() {
	echo "$NADRA_HEADER"
	reg 3520100000011                                     # line 2
	reg 352010000001                                      # line 3: 12 digits
	reg 35201-000000A-1                                   # line 4: a letter
	reg ''                                                # line 5: no CNIC
	echo '3520100000081,ALI RAZA KHAN'                    # line 6: 2 fields of 6
	echo "$(reg 3520100000011),extra"                     # line 7: 7 fields of 6
	reg 352010000001X                                     # line 8
	reg 35201-00000-0011                                  # line 9
	reg 3520100000171                                     # line 10
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	cases a > a.csv
	cases n > n.csv
	renunciations > r.csv
	bad_rows > bad.csv
	ingest -b B-N a.csv 2> i.err | tee i.xml | validate --today "$TODAY" > v.xml 2> v.err
	ingest -k citizenship -b B-R r.csv > ri.xml 2> ri.err
	validate --today "$TODAY" ri.xml > rv.xml 2> rv.err
	verify-nadra --index n.csv -o n.idx 2> idx.err
	# the register as CSV; renunciations from the register CSV; the block list too
	verify-nadra --nadra n.csv --renunciations r.csv --blocklist bl.csv v.xml > o.xml 2> o.err
	# the same from the index
	verify-nadra --nadra n.idx -r r.csv v.xml > oi.xml 2> oi.err
	# renunciations from the sealed citizenship stream, as ingested and as validated
	verify-nadra -n n.idx -r ri.xml v.xml > os.xml 2> os.err
	verify-nadra -n n.idx -r rv.xml -b blv.csv v.xml > ov.xml 2> ov.err
	# every name must be the same name
	verify-nadra -n n.idx --threshold 1 v.xml > t1.xml 2> t1.err
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/*.csv "$KT"/*.xml "$KT"/*.err "$KT"/n.idx .
}


# pick KEY FILE: RECS, the record lines of FILE with id KEY; REC, the first.
# The last pick is kept (FILE is not rewritten in a test once read).
pick() {
	if [ "${PICKED-}" = "$1 $2" ]; then return 0; fi
	mapfile -t RECS < <(grep -F -e " id=\"$1\" " "$2")
	REC=${RECS[0]-}
	PICKED="$1 $2"
}

record_of() { pick "$@"; if [ ${#RECS[@]} -gt 0 ]; then printf '%s\n' "${RECS[@]}"; fi; }

# step_of KEY FILE: verify-nadra's step of that record
step_of() {
	local re='<step stage="verify-nadra" [^>]*>[^<]*</step>' r
	pick "$@"
	for r in "${RECS[@]}"; do
		if [[ $r =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[0]}"; fi
	done
}

status_of() {
	local re='^<record [^>]* status="([a-z]*)">'
	pick "$@"
	if [[ $REC =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
}

# step_is KEY FILE RESULT CODE SENTENCE: the record's status is RESULT and
# verify-nadra's step is exactly this one
step_is() {
	local key=$1 want="<step stage=\"verify-nadra\" result=\"$3\" code=\"$4\">$5</step>" got='' status=''
	local step_re='<step stage="verify-nadra" [^>]*>[^<]*</step>' status_re='^<record [^>]* status="([a-z]*)">'
	pick "$key" "$2"
	[ ${#RECS[@]} -eq 1 ] || fail "$key: ${#RECS[@]} records in $2, not one"
	if [[ $REC =~ $step_re ]]; then got=${BASH_REMATCH[0]}; fi
	if [[ $REC =~ $status_re ]]; then status=${BASH_REMATCH[1]}; fi
	[[ $got == "$want" ]] || fail "$key: step
   got: $got
  want: $want"
	[ "$status" = "$3" ] || fail "$key: status $status, not $3"
}

# ok_step KEY FILE [NAME]: NADRA_OK; with NAME, the register spells the name so
# (the step says it when the spellings differ)
ok_step() {
	if [ $# -ge 3 ]; then
		step_is "$1" "$2" ok NADRA_OK "$OK_TEXT; the register writes the name $3"
	else
		step_is "$1" "$2" ok NADRA_OK "$OK_TEXT"
	fi
}

# ok_variant KEY FILE: NADRA_OK, the register writing the name another way
ok_variant() {
	local re
	pick "$1" "$2"
	re="<step stage=\"verify-nadra\" result=\"ok\" code=\"NADRA_OK\">$OK_TEXT; the register writes the name [A-Za-z .'-]+</step>"
	[[ $REC =~ $re ]] || fail "$1: not NADRA_OK with the register's spelling: $REC"
}





# ---- the inputs are what the tests think they are ---------------------------------

conserved() { stage_conserved verify-nadra "$@"; }
one_step_each() { stage_one_step_each verify-nadra "$@"; }

@test "the fixtures: every application but BAD-PHOTO passed validate; the register stream has its RC rows" {
	run -0 grep -c '^<record [^>]* status="ok">' v.xml
	assert_output "$(($(grep -c . a.csv) - 2))"
	assert_equal "$(status_of BAD-PHOTO v.xml)" rejected
	assert_equal "$(grep -c '^<record ' rv.xml)" 10
	assert_equal "$(grep -c 'register="RC"\|register=" rc "' ri.xml)" 8
}

# ---- the stage: what is examined, what is kept, what is counted -------------------

@test "one step for every ok record; records not ok pass byte for byte; the counts add up" {
	one_step_each v.xml o.xml
	conserved "$(cat o.err)" o.xml B-N
	assert_equal "$(record_of BAD-PHOTO o.xml)" "$(record_of BAD-PHOTO v.xml)"
	# (oi.xml and os.xml are compared with o.xml line for line elsewhere)
	for f in ov.xml t1.xml; do
		one_step_each v.xml "$f"
		conserved "$(cat "${f%.xml}.err")" "$f" B-N
	done
}

@test "a record held by an earlier stage is not examined, and is counted as held" {
	passthru --hold OK-BASE v.xml > h.xml 2> /dev/null
	run -0 --separate-stderr verify-nadra -n n.idx h.xml
	printf '%s\n' "$output" > hn.xml
	conserved "$stderr" hn.xml B-N
	one_step_each h.xml hn.xml
	assert_equal "$(record_of OK-BASE hn.xml)" "$(record_of OK-BASE h.xml)"
	assert_equal "$(status_of OK-BASE hn.xml)" held
}

@test "values never change: the input line plus one step and the status" {
	diff <(records v.xml) <(records o.xml | sed -E '/<step stage="verify-nadra" /{
		s|<step stage="verify-nadra" [^>]*>[^<]*</step>||
		s|^(<record [^>]*) status="[a-z]*">|\1 status="ok">|
	}')
	# the step is the last of the trail
	run -1 grep '<step stage="verify-nadra" [^>]*>[^<]*</step><step ' o.xml
}

@test "the output verifies and is valid against impass.xsd, whole and one record line at a time" {
	for f in o.xml t1.xml; do
		run -0 --separate-stderr passthru "$f"
		run xmllint --noout --schema "$TESTS/../schemas/impass.xsd" "$f"
		assert_success
		assert_output "$f validates"
	done
	run -0 sh -c "grep -F ' id=\"MULTI-HELD\" ' o.xml | xmllint --noout --schema '$TESTS/../schemas/impass.xsd' -"
	# the seal names verify-nadra; the provenance keeps ingest and validate
	run -0 grep -c '^<seal stage="verify-nadra" ' o.xml
	run -0 grep -c '^<provenance><sealed stage="ingest" [^>]*/><sealed stage="validate" [^>]*/></provenance>$' o.xml
}

@test "a stream on standard input, or '-', gives the same output" {
	run -0 --separate-stderr verify-nadra -n n.idx -r r.csv < v.xml
	diff <(unsealed oi.xml) <(grep -v '^<seal ' <<< "$output")
	conserved "$stderr" oi.xml B-N
	run -0 --separate-stderr verify-nadra -n n.idx -r r.csv - < v.xml
	diff <(unsealed oi.xml) <(grep -v '^<seal ' <<< "$output")
}

@test "the batch's CNICs are looked up in ascending order before the first record: the same output as one look-up a record (IMPASS_NADRA_PREFETCH=0), from a file or a pipe; a CNIC twice in the batch, one not in the register, one twice in it" {
	{
		echo "${APP_COLUMNS// /,}"
		app TWICE-1 cnic=3520100000011
		app TWICE-2 cnic=35201-0000001-1 given_names=ASIF
		app ABSENT-1 cnic=3520100000021
		app DUP-1 cnic=3520100000071
		app ABSENT-2 cnic=3520100000021
		app DUP-2 cnic=3520100000071
		app TWICE-3 cnic=3520100000011
	} > p.csv
	ingest -b B-P p.csv 2> /dev/null | validate --today "$TODAY" > pv.xml 2> /dev/null
	run -0 --separate-stderr verify-nadra -n n.idx pv.xml
	printf '%s\n' "$output" > p1.xml
	conserved "$stderr" p1.xml B-P
	ok_step TWICE-1 p1.xml
	ok_step TWICE-3 p1.xml
	step_is TWICE-2 p1.xml held NADRA_NAME_MISMATCH 'applicant ASIF KHAN (given names ASIF, surname KHAN), register ALI RAZA KHAN: similarity 0.40, 0.85 needed'
	step_is ABSENT-1 p1.xml rejected NADRA_NOT_FOUND 'CNIC 3520100000021 is not in the NADRA register'
	step_is ABSENT-2 p1.xml rejected NADRA_NOT_FOUND 'CNIC 3520100000021 is not in the NADRA register'
	for k in DUP-1 DUP-2; do
		step_is $k p1.xml held NADRA_DUPLICATE 'CNIC 3520100000071 is in the NADRA register 2 times: ALI RAZA KHAN, father AHMED KHAN, born 1990-05-17, active; ASIF ALI, father SHAUKAT ALI, born 1971-01-02, active'
	done
	run -0 --separate-stderr env IMPASS_NADRA_PREFETCH=0 verify-nadra -n n.idx pv.xml
	diff <(unsealed p1.xml) <(grep -v '^<seal ' <<< "$output")
	conserved "$stderr" p1.xml B-P
	run -0 --separate-stderr verify-nadra -n n.idx < pv.xml
	diff <(unsealed p1.xml) <(grep -v '^<seal ' <<< "$output")
	# the fixtures' batch, with renunciations, and a generated one of 400
	run -0 --separate-stderr env IMPASS_NADRA_PREFETCH=0 verify-nadra -n n.idx -r r.csv v.xml
	diff <(unsealed oi.xml) <(grep -v '^<seal ' <<< "$output")
	"$GEN" applications 400 > ga.csv
	"$GEN" nadra 370 > gn.csv
	ingest -b B-G ga.csv 2> /dev/null | validate --today "$TODAY" > gv.xml 2> /dev/null
	verify-nadra -n gn.csv gv.xml > g1.xml 2> g1.err
	IMPASS_NADRA_PREFETCH=0 verify-nadra -n gn.csv gv.xml > g0.xml 2> g0.err
	diff <(unsealed g1.xml) <(unsealed g0.xml)
	diff <(sed 's/, [0-9.]* s$//' g1.err) <(sed 's/, [0-9.]* s$//' g0.err)
	# the index is read before the first record is written (the stream is
	# written 64 KB at a time: 400 records are several writes), and not
	# after; with IMPASS_NADRA_PREFETCH=0 while the records are written
	# LeakSanitizer cannot run under ptrace
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
	verify-nadra --index gn.csv -o gn.idx 2> /dev/null
	strace -qq -e trace=openat,pread64,write -o p1.trace verify-nadra -n gn.idx gv.xml > gp1.xml 2> /dev/null
	strace -qq -e trace=openat,pread64,write -o p0.trace env IMPASS_NADRA_PREFETCH=0 \
		verify-nadra -n gn.idx gv.xml > gp0.xml 2> /dev/null
	diff <(unsealed gp1.xml) <(unsealed g1.xml)
	diff <(unsealed gp0.xml) <(unsealed g1.xml)
	# index reads before and after the first write of the stream
	reads() {
		awk '/^openat\(.*"gn\.idx"/ { fd = $NF } /^write\(1, / { w = 1 }
			fd != "" && index($0, "pread64(" fd ", ") == 1 { n[w + 0]++ }
			END { print n[0] + 0, n[1] + 0 }' "$1"
	}
	run -0 reads p1.trace
	[[ $output =~ ^[0-9]+\ 0$ ]] && [ "${output% *}" -gt 400 ] || fail "prefetched: $output"
	run -0 reads p0.trace
	[ "${output#* }" -gt 300 ] || fail "one a record: $output"
}

# ---- the CNIC in the register -----------------------------------------------------------

@test "a CNIC active in the register, with name, father's name, date of birth and sex agreeing, is NADRA_OK" {
	ok_step OK-BASE o.xml
	run -0 record_of OK-BASE o.xml
	assert_output --partial '<step stage="validate" result="ok" code="VALIDATE_OK">every field valid</step><step stage="verify-nadra" result="ok" code="NADRA_OK">'"$OK_TEXT"'</step></trail></record>'
}

@test "a CNIC not in the register, blocked, cancelled or of a deceased citizen is rejected (NADRA_NOT_FOUND, NADRA_BLOCKED, NADRA_CANCELLED, NADRA_DECEASED)" {
	step_is NOT-FOUND o.xml rejected NADRA_NOT_FOUND 'CNIC 3520100000021 is not in the NADRA register'
	# entered with dashes, compared as 13 digits
	step_is BLOCKED o.xml rejected NADRA_BLOCKED 'CNIC 3520100000031 is blocked in the register'
	step_is CANCELLED o.xml rejected NADRA_CANCELLED 'CNIC 3520100000041 is cancelled in the register'
	step_is DECEASED o.xml rejected NADRA_DECEASED 'CNIC 3520100000051 belongs to a citizen registered as deceased'
}

@test "a status that is none of active, blocked, cancelled, deceased (NADRA_STATUS_UNKNOWN), a CNIC twice in the register (NADRA_DUPLICATE) are held" {
	step_is STATUS-ODD o.xml held NADRA_STATUS_UNKNOWN "CNIC 3520100000061 has status 'suspended' in the register, which is none of active, blocked, cancelled, deceased"
	step_is DUPLICATE o.xml held NADRA_DUPLICATE 'CNIC 3520100000071 is in the NADRA register 2 times: ALI RAZA KHAN, father AHMED KHAN, born 1990-05-17, active; ASIF ALI, father SHAUKAT ALI, born 1971-01-02, active'
}

# ---- identity: date of birth, sex -------------------------------------------------

@test "another date of birth is held (NADRA_DOB_MISMATCH), with both dates; one known in part (1990-05, 1990) agrees when its known parts do" {
	step_is DOB o.xml held NADRA_DOB_MISMATCH 'date of birth: applicant 1990-05-17, register 1991-05-17'
	step_is DOB-DAY o.xml held NADRA_DOB_MISMATCH 'date of birth: applicant 1990-05-18, register 1990-05-17'
	ok_step DOB-YM o.xml
	ok_step DOB-Y o.xml
	step_is DOB-YM-OTHER o.xml held NADRA_DOB_MISMATCH 'date of birth: applicant 1990-06, register 1990-05-17'
	step_is DOB-Y-OTHER o.xml held NADRA_DOB_MISMATCH 'date of birth: applicant 1989, register 1990-05-17'
}

@test "another sex is held (NADRA_SEX_MISMATCH), with both" {
	step_is SEX o.xml held NADRA_SEX_MISMATCH 'sex: applicant F, register M'
}

# ---- identity: names ----------------------------------------------------------------

@test "another given name, or a real part of the name dropped, is held (NADRA_NAME_MISMATCH): the applicant's given names and surname, the register's name" {
	step_is NAME o.xml held NADRA_NAME_MISMATCH 'applicant ASIF KHAN (given names ASIF, surname KHAN), register IMRAN KHAN: similarity 0.50, 0.85 needed'
	# register ALI RAZA KHAN, applicant ALI; register ALI RAZA, applicant ALI KHAN
	step_is NAME-DROPPED o.xml held NADRA_NAME_MISMATCH 'applicant ALI (given names ALI, surname none), register ALI RAZA KHAN: similarity 0.50, 0.85 needed'
	step_is NAME-SURNAME o.xml held NADRA_NAME_MISMATCH 'applicant ALI KHAN (given names ALI, surname KHAN), register ALI RAZA: similarity 0.50, 0.85 needed'
}

@test "another father is held (NADRA_FATHER_MISMATCH), with both fathers' names" {
	step_is FATHER o.xml held NADRA_FATHER_MISMATCH "father's name: applicant AHMED KHAN, register BASHIR KHAN: similarity 0.50, 0.85 needed"
}

@test "spellings of one name: MUHAMMAD, MOHAMMAD, MOHAMMED, MOHD; HUSSAIN, HUSAIN; ABDURREHMAN, ABDUL REHMAN; MUHAMMAD left out" {
	ok_variant V-MOHAMMAD o.xml
	ok_variant V-MOHAMMED o.xml
	ok_variant V-MOHD o.xml
	# doubled letters count as one
	ok_variant V-HUSSAIN o.xml
	# one word is two joined, either way round
	ok_variant V-ABDURREHMAN o.xml
	ok_variant V-ABDUL-REHMAN o.xml
	# MUHAMMAD may be missing on one side, in the name and the father's name
	ok_variant V-NO-MUHAMMAD o.xml
}

@test "an honorific added or dropped does not count: SYED, MALIK, CH / CHAUDHRY, HAFIZ, MIAN, RANA, SHEIKH" {
	for id in V-SYED V-MALIK V-CH V-HAFIZ V-MIAN-RANA V-SHEIKH; do ok_variant "$id" o.xml; done
}

@test "the order of the words and which were written as surname do not matter" {
	ok_step V-ORDER o.xml
	ok_variant V-ORDER-2 o.xml
}

@test "the register's names are normalised too: lower case, hyphens, dots, runs of spaces; the sentence shows them as registered" {
	ok_step V-REG-CASE o.xml
	# equal once normalised, not merely alike
	step_is V-REG-CASE t1.xml ok NADRA_OK "$OK_TEXT"
	# the applicant's side normalised (by validate), the register's as it is
	step_is FATHER-REG-CASE o.xml held NADRA_FATHER_MISMATCH "father's name: applicant AHMED KHAN, register bashir-khan: similarity 0.50, 0.85 needed"
}

@test "one typo in a long name passes (NASREEN AKHTAR, NASREEN AKHTER); --threshold 1 holds it, but not a spelling of one name" {
	ok_variant V-TYPO o.xml
	step_is V-TYPO t1.xml held NADRA_NAME_MISMATCH "applicant NASREEN AKHTAR (given names NASREEN, surname AKHTAR), register NASREEN AKHTER: similarity 0.95, 1.00 needed; also NADRA_FATHER_MISMATCH: father's name: applicant JAVED AKHTAR, register JAVED AKHTER: similarity 0.95, 1.00 needed"
	for id in OK-BASE V-ORDER; do ok_step "$id" t1.xml; done
	for id in V-MOHAMMAD V-MOHD V-SYED V-HUSSAIN V-NO-MUHAMMAD; do ok_variant "$id" t1.xml; done
	step_is NAME t1.xml held NADRA_NAME_MISMATCH 'applicant ASIF KHAN (given names ASIF, surname KHAN), register IMRAN KHAN: similarity 0.50, 1.00 needed'
}

# ---- several problems --------------------------------------------------------------

@test "several problems: one step, coded by the first of the worst result, the others after '; also'" {
	step_is MULTI-HELD o.xml held NADRA_DOB_MISMATCH "date of birth: applicant 1990-05-17, register 1991-05-17; also NADRA_SEX_MISMATCH: sex: applicant M, register F; also NADRA_NAME_MISMATCH: applicant ALI RAZA KHAN (given names ALI RAZA, surname KHAN), register IMRAN KHAN: similarity 0.40, 0.85 needed; also NADRA_FATHER_MISMATCH: father's name: applicant AHMED KHAN, register BASHIR KHAN: similarity 0.50, 0.85 needed"
	step_is MULTI-REJECTED o.xml rejected NADRA_DECEASED "CNIC 3520100000211 belongs to a citizen registered as deceased; also NADRA_NAME_MISMATCH: applicant ALI RAZA KHAN (given names ALI RAZA, surname KHAN), register IMRAN KHAN: similarity 0.40, 0.85 needed"
	step_is MULTI-UNKNOWN o.xml held NADRA_STATUS_UNKNOWN "CNIC 3520100000221 has status 'suspended' in the register, which is none of active, blocked, cancelled, deceased; also NADRA_DOB_MISMATCH: date of birth: applicant 1990-05-17, register 1991-05-17"
}

# ---- renunciations -------------------------------------------------------------------

@test "a renounced citizen is rejected (CITIZENSHIP_RENOUNCED), naming the certificate, whatever the register says of the CNIC" {
	# the RC row has the CNIC with dashes
	step_is REN o.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000301 renounced Pakistani citizenship: RC certificate RC/2001/00301 issued 2001-08-14 to ALI RAZA KHAN'
	step_is REN-DECEASED o.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000311 renounced Pakistani citizenship: RC certificate RC/2001/00311 issued 2001-08-14 to ALI RAZA KHAN; also NADRA_DECEASED: CNIC 3520100000311 belongs to a citizen registered as deceased'
	step_is REN-ABSENT o.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000321 renounced Pakistani citizenship: RC certificate RC/2001/00321 issued 2001-08-14 to ALI RAZA KHAN; also NADRA_NOT_FOUND: CNIC 3520100000321 is not in the NADRA register'
	step_is REN-BLOCKED o.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000331 renounced Pakistani citizenship: RC certificate RC/2001/00331 issued 2001-08-14 to ALI RAZA KHAN; also NADRA_BLOCKED: CNIC 3520100000331 is blocked in the register'
	# the register column typed ' rc '
	step_is REN-LOWER o.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000341 renounced Pakistani citizenship: RC certificate RC/2001/00341 issued 2001-08-14 to ALI RAZA KHAN'
	# the issue date as typed, even an impossible one: the renunciation stands
	step_is REN-BAD-DATE o.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000351 renounced Pakistani citizenship: RC certificate RC/1999/00351 issued 31/02/1999 to ALI RAZA KHAN'
}

@test "PCC and NC rows are not renunciations" {
	ok_step PCC o.xml
	ok_step NC o.xml
}

@test "a renounced citizen whose RC row gives no CNIC is found by person (name, father's name, date of birth): held CITIZENSHIP_RENOUNCED_PERSON with the evidence; another father or another day passes" {
	# NAILA and NAYLA are one spelling (lib/names.c: AI and AY before a consonant as E)
	step_is REN-PERSON o.xml held CITIZENSHIP_RENOUNCED_PERSON "RC certificate RC/2003/00001 issued 2001-08-14, which gives no CNIC, is likely this applicant's: name NAILA PARVEEN ~ NAYLA PARVEEN (1.00), father's name MOHAMMAD SADIQ ~ MUHAMMAD SADIQ (1.00), date of birth 1984-02-29 equal; the applicant may have renounced Pakistani citizenship"
	ok_step REN-PERSON-FATHER o.xml
	ok_step REN-PERSON-DOB o.xml
	# from the register CSV, the index, and the citizenship stream alike
	step_is REN-PERSON oi.xml held CITIZENSHIP_RENOUNCED_PERSON "RC certificate RC/2003/00001 issued 2001-08-14, which gives no CNIC, is likely this applicant's: name NAILA PARVEEN ~ NAYLA PARVEEN (1.00), father's name MOHAMMAD SADIQ ~ MUHAMMAD SADIQ (1.00), date of birth 1984-02-29 equal; the applicant may have renounced Pakistani citizenship"
	step_is REN-PERSON ov.xml held CITIZENSHIP_RENOUNCED_PERSON "RC certificate RC/2003/00001 issued 2001-08-14, which gives no CNIC, is likely this applicant's: name NAILA PARVEEN ~ NAYLA PARVEEN (1.00), father's name MOHAMMAD SADIQ ~ MUHAMMAD SADIQ (1.00), date of birth 1984-02-29 equal; the applicant may have renounced Pakistani citizenship"
	# --threshold 1: names must be the same; without renunciations nobody is held
	ok_step REN-PERSON t1.xml
}

@test "renunciations from a sealed citizenship stream as ingested give the same output as from the register CSV" {
	diff <(unsealed oi.xml) <(unsealed os.xml)
}

@test "renunciations from a validated citizenship stream: RC records count whatever their status, with the normalised values, in the steps and the block list" {
	# validate rejected the certificate of 31 February
	run -0 grep -c 'status="rejected"><certificate register="RC" number="RC/1999/00351">' rv.xml
	step_is REN ov.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000301 renounced Pakistani citizenship: RC certificate RC/2001/00301 issued 2001-08-14 to ALI RAZA KHAN'
	step_is REN-LOWER ov.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000341 renounced Pakistani citizenship: RC certificate RC/2001/00341 issued 2001-08-14 to ALI RAZA KHAN'
	step_is REN-BAD-DATE ov.xml rejected CITIZENSHIP_RENOUNCED 'CNIC 3520100000351 renounced Pakistani citizenship: RC certificate RC/1999/00351 issued 31/02/1999 to ALI RAZA KHAN'
	for id in REN-DECEASED REN-ABSENT REN-BLOCKED; do
		run -0 step_of "$id" ov.xml
		assert_output --regexp '^<step stage="verify-nadra" result="rejected" code="CITIZENSHIP_RENOUNCED">.* issued 2001-08-14 to ALI RAZA KHAN; also NADRA_'
	done
	for id in PCC NC OK-BASE; do ok_step "$id" ov.xml; done
	# nothing else differs from the run with the CSV
	diff <(unsealed o.xml | sed 's/issued 14.08.2001/issued 2001-08-14/') <(unsealed ov.xml)
	# the block list made with them has the normalised dates
	assert_equal "$(sed -n 2p blv.csv)" '3520100000301,RC/2001/00301,2001-08-14,ALI RAZA KHAN,AHMED KHAN,ALI RAZA KHAN,AHMED KHAN,active'
	assert_equal "$(sed -n 5p blv.csv)" '3520100000382,RC/2010/00382,2010-03-15,SADIA BIBI,GHULAM RASOOL,"BIBI, SADIA",GHULAM RASOOL,active'
	assert_equal "$(cut -d, -f1 blv.csv)" "$(cut -d, -f1 bl.csv)"
}

@test "renunciations: a file that cannot be opened (66), a register CSV without a column it needs (65, naming it), a stream of another kind (65)" {
	run -66 --separate-stderr verify-nadra -n n.idx -r missing.csv v.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: cannot open renunciations missing.csv: No such file or directory'
	printf 'register,cnic,issued_on,name,father_name\nRC,3520100000011,14.08.2001,ALI RAZA KHAN,AHMED KHAN\n' > r2.csv
	run -65 --separate-stderr verify-nadra -n n.idx -r r2.csv v.xml
	assert_output ''
	assert_equal "$stderr" "verify-nadra: r2.csv line 1: required column 'certificate_no' is missing; add it to the header (cells may be empty)"
	run -65 --separate-stderr verify-nadra -n n.idx -r v.xml v.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: renunciations v.xml are a stream of kind application, not citizenship'
}

@test "renunciations: a stream whose seal is bad is refused (65), the message naming the renunciations file; no output, no block list" {
	sed 's/SADIA BIBI/SADIA BEGUM/' ri.xml > changed.xml
	run -65 --separate-stderr verify-nadra -n n.idx -r changed.xml -b changed.csv v.xml
	assert_output ''
	[ ! -e changed.csv ] || fail "a block list was written from a stream that does not verify"
	[[ $stderr == *'do not hash to the sealed root'* ]] || fail "stderr: $stderr"
	# the operator must know it is the renunciations, not the applications, that are bad
	[[ $stderr == *changed.xml* ]] || fail "the message does not name the renunciations file: $stderr"
	head -n -2 ri.xml > cut.xml
	run -65 --separate-stderr verify-nadra -n n.idx -r cut.xml v.xml
	assert_output ''
	[[ $stderr == *'cut.xml ends after record 10 with no seal'* ]] || fail "stderr: $stderr"
}

# ---- the block list -------------------------------------------------------------------

@test "the block list: one row per renounced citizen with a CNIC active in the register, sorted by CNIC, mode 0600" {
	run -0 cat bl.csv
	assert_output "$BLOCK_HEADER
3520100000301,RC/2001/00301,2001-08-14,ALI RAZA KHAN,AHMED KHAN,ALI RAZA KHAN,AHMED KHAN,active
3520100000341,RC/2001/00341,2001-08-14,ALI RAZA KHAN,AHMED KHAN,ALI RAZA KHAN,AHMED KHAN,active
3520100000351,RC/1999/00351,31/02/1999,ALI RAZA KHAN,AHMED KHAN,ALI RAZA KHAN,AHMED KHAN,active
3520100000382,RC/2010/00382,2010-03-15,SADIA BIBI,GHULAM RASOOL,\"BIBI, SADIA\",GHULAM RASOOL,active"
	assert_equal "$(stat -c %a "$KT/bl.csv")" 600
	# written atomically: nothing left beside it
	run -0 ls "$KT"
	refute_output --partial 'bl.csv.'
}

@test "with a stream and --blocklist, both are made; stderr says how many of how many, then the summary" {
	assert_equal "$(grep -c '<step stage="verify-nadra" ' o.xml)" "$(grep -c '^<record [^>]* status="ok">' v.xml)"
	run -0 cat o.err
	assert_line --index 0 'verify-nadra: B-N: block list bl.csv: 4 renounced citizens with an active CNIC, of 7 renunciations with a CNIC'
	assert_equal "${#lines[@]}" 2
	conserved "$output" o.xml B-N
}

@test "with --blocklist and no stream operand, no stream is read: stdin closed or empty, nothing on stdout" {
	run -0 --separate-stderr verify-nadra -n n.idx -r r.csv -b only.csv < /dev/null
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: block list only.csv: 4 renounced citizens with an active CNIC, of 7 renunciations with a CNIC'
	cmp only.csv bl.csv
	assert_equal "$(stat -c %a only.csv)" 600
	run -0 --separate-stderr verify-nadra -n n.csv -r ri.xml -b closed.csv <&-
	assert_output ''
	cmp closed.csv bl.csv
	# without renunciations the list is the header alone
	run -0 --separate-stderr verify-nadra -n n.idx -b none.csv < /dev/null
	assert_equal "$stderr" 'verify-nadra: block list none.csv: 0 renounced citizens with an active CNIC, of 0 renunciations with a CNIC'
	assert_equal "$(cat none.csv)" "$BLOCK_HEADER"
	# a block list that cannot be written is an error (73)
	run -73 --separate-stderr verify-nadra -n n.idx -r r.csv -b nodir/bl.csv < /dev/null
	assert_output ''
	[[ $stderr == "verify-nadra: cannot create nodir/bl.csv"* ]] || fail "stderr: $stderr"
}

# ---- the index -------------------------------------------------------------------------

@test "--index writes the index: magic IMPNADR2, mode 0600, a summary line on stderr" {
	assert_equal "$(head -c 8 n.idx)" IMPNADR2
	assert_equal "$(stat -c %a "$KT/n.idx")" 600
	run -0 cat idx.err
	assert_output --regexp "^verify-nadra: indexed $(($(grep -c . n.csv) - 1)) rows of n\\.csv into n\\.idx, 0 left out, [0-9]+\\.[0-9] s\$"
	run -0 ls "$KT"
	refute_output --partial 'n.idx.'
}

@test "--nadra takes the CSV or the index with identical results" {
	diff <(unsealed o.xml) <(unsealed oi.xml)
	assert_equal "$(tail -n 1 o.err | sed 's/, [0-9.]* s$//')" "$(tail -n 1 oi.err | sed 's/, [0-9.]* s$//')"
}

@test "rows without a CNIC of 13 digits or with the wrong number of fields are left out, the first 5 named by line" {
	run -0 --separate-stderr verify-nadra --index bad.csv -o bad.idx
	assert_output ''
	assert_equal "${#stderr_lines[@]}" 6
	local i=0 line
	for line in 3 4 5 6 7; do
		assert_equal "${stderr_lines[i]}" "verify-nadra: bad.csv line $line: no CNIC of 13 digits, or the wrong number of fields; the row is left out"
		i=$((i + 1))
	done
	[[ ${stderr_lines[5]} =~ ^verify-nadra:\ indexed\ 2\ rows\ of\ bad\.csv\ into\ bad\.idx,\ 7\ left\ out,\ [0-9]+\.[0-9]\ s$ ]] ||
		fail "summary: ${stderr_lines[5]}"
}

@test "a register row with too few fields is left out, not completed from the row before it" {
	# bad.csv line 6 is '3520100000081,ALI RAZA KHAN'; the row before it is active
	run -0 --separate-stderr verify-nadra -n bad.csv v.xml
	printf '%s\n' "$output" > b.xml
	[[ $stderr == *'bad.csv line 6: no CNIC of 13 digits, or the wrong number of fields; the row is left out'* ]] ||
		fail "stderr: $stderr"
	step_is SHORT-ROW b.xml rejected NADRA_NOT_FOUND 'CNIC 3520100000081 is not in the NADRA register'
	# the row of 7 fields (line 7) is left out too: OK-BASE's CNIC is there once
	ok_step OK-BASE b.xml
	ok_step FATHER b.xml
}

@test "an index that cannot be built leaves no file, and an index already there unchanged" {
	printf 'cnic,name,date_of_birth,sex,status\n3520100000011,ALI RAZA KHAN,1990-05-17,M,active\n' > nofather.csv
	run -65 --separate-stderr verify-nadra --index nofather.csv -o new.idx
	assert_equal "$stderr" "verify-nadra: nofather.csv line 1: required column 'father_name' is missing; add it to the header (cells may be empty)"
	cp n.idx old.idx
	run -65 --separate-stderr verify-nadra --index nofather.csv -o old.idx
	cmp old.idx n.idx
	run -0 ls
	refute_output --partial 'new.idx'
	refute_output --partial 'old.idx.'
	run -66 --separate-stderr verify-nadra --index missing.csv -o new.idx
	assert_equal "$stderr" 'verify-nadra: cannot open missing.csv: No such file or directory'
}

@test "a damaged index is refused (65): build it again" {
	cp n.idx cut.idx
	truncate -s -8 cut.idx
	run -65 --separate-stderr verify-nadra -n cut.idx v.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: NADRA index cut.idx is damaged: build it again with verify-nadra --index'
	# cut inside its header: still an index (it has the magic), still damaged
	cp n.idx head.idx
	truncate -s 20 head.idx
	run -65 --separate-stderr verify-nadra -n head.idx v.xml
	assert_output ''
	[[ $stderr == *damaged* && $stderr == *'verify-nadra --index'* ]] || fail "stderr: $stderr"
}

@test "an index of another format (1, the array searched by pread) is refused (65): build it again" {
	cp n.idx old.idx
	printf IMPNADR1 | dd of=old.idx conv=notrunc status=none
	run -65 --separate-stderr verify-nadra -n old.idx v.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: NADRA index old.idx was made by another version of verify-nadra (format 1, this one reads format 2): build it again with verify-nadra --index'
	# a format that is no digit is not written out as it is
	printf 'IMPNADR\033' | dd of=old.idx conv=notrunc status=none
	run -65 --separate-stderr verify-nadra -n old.idx v.xml
	assert_equal "$stderr" 'verify-nadra: NADRA index old.idx was made by another version of verify-nadra (format ?, this one reads format 2): build it again with verify-nadra --index'
}

@test "--extract: the index of the extract as it is runs as without it; another extract, the extract changed or copied (its time), or an index made from standard input is refused (65) naming the command" {
	# setup copied n.csv here (another time): the extract the index was made from is "$KT/n.csv"
	run -0 --separate-stderr verify-nadra -n n.idx --extract "$KT/n.csv" -r r.csv v.xml
	printf '%s\n' "$output" > oe.xml
	diff <(unsealed oi.xml) <(unsealed oe.xml)
	local refused="build it again with verify-nadra --index n.csv -o n.idx"
	run -65 --separate-stderr verify-nadra -n n.idx --extract n.csv v.xml
	assert_output ''
	assert_equal "$stderr" "verify-nadra: the NADRA index n.idx is not that of n.csv (made from another extract, or before n.csv changed: its size or time differs): $refused"
	# the copy indexed: its index passes, and with another row or another time it does not
	verify-nadra --index n.csv -o n.idx 2> n.err
	run -0 --separate-stderr verify-nadra -n n.idx --extract n.csv v.xml
	# a CSV given to --nadra is its own extract
	run -0 --separate-stderr verify-nadra -n n.csv --extract n.csv v.xml
	touch -d '2026-01-01 00:00:00' n.csv
	run -65 --separate-stderr verify-nadra -n n.idx --extract n.csv v.xml
	assert_equal "$stderr" "verify-nadra: the NADRA index n.idx is not that of n.csv (made from another extract, or before n.csv changed: its size or time differs): $refused"
	verify-nadra --index n.csv -o n.idx 2> n.err
	cp -p n.csv n2.csv
	echo '3520100099999,ZAHID ALI,ALI AHMED,1970-01-01,M,active' >> n2.csv
	touch -r n.csv n2.csv
	run -65 --separate-stderr verify-nadra -n n.idx --extract n2.csv v.xml
	assert_equal "$stderr" "verify-nadra: the NADRA index n.idx is not that of n2.csv (made from another extract, or before n2.csv changed: its size or time differs): build it again with verify-nadra --index n2.csv -o n.idx"
	# an index made from standard input has no extract to compare
	verify-nadra --index - -o in.idx < n.csv 2> in.err
	run -65 --separate-stderr verify-nadra -n in.idx --extract n.csv v.xml
	assert_equal "$stderr" "verify-nadra: the NADRA index in.idx was made from standard input, not from a file: build it with verify-nadra --index n.csv -o in.idx"
	# no extract there
	run -66 --separate-stderr verify-nadra -n n.idx --extract missing.csv v.xml
	assert_equal "$stderr" "verify-nadra: cannot open the NADRA extract missing.csv: No such file or directory"
}

# ---- the register CSV ------------------------------------------------------------------

@test "the register: columns in any order; a missing column is an error naming it (65); a CSV is indexed in TMPDIR and nothing is left there" {
	{
		echo 'status,sex,date_of_birth,father_name,name,cnic'
		echo 'active,M,1990-05-17,AHMED KHAN,ALI RAZA KHAN,3520100000011'
	} > order.csv
	run -0 --separate-stderr verify-nadra -n order.csv v.xml
	printf '%s\n' "$output" > ord.xml
	ok_step OK-BASE ord.xml
	step_is NOT-FOUND ord.xml rejected NADRA_NOT_FOUND 'CNIC 3520100000021 is not in the NADRA register'
	run -0 ls "$TMPDIR"
	refute_output --partial impass-nadra
	printf 'cnic,name,father_name,date_of_birth,sex\n' > nostatus.csv
	run -65 --separate-stderr verify-nadra -n nostatus.csv v.xml
	assert_output ''
	assert_equal "$stderr" "verify-nadra: nostatus.csv line 1: required column 'status' is missing; add it to the header (cells may be empty)"
}

@test "an unknown column in the register is an error naming it (65; SPEC 5: unknown or missing columns)" {
	{ echo "$NADRA_HEADER,address"; echo "$(reg 3520100000011),LAHORE"; } > extra.csv
	run --separate-stderr verify-nadra -n extra.csv v.xml
	[ "$status" -eq 65 ] || fail "exit $status, not 65: the column 'address' was taken silently"
	assert_output ''
	[[ $stderr == *"'address'"* ]] || fail "stderr: $stderr"
}

@test "a register that cannot be opened is 66; no --nadra is a usage error (64) that says to pass it" {
	run -66 --separate-stderr verify-nadra -n missing.csv v.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: cannot open the NADRA extract missing.csv: No such file or directory'
	run -64 --separate-stderr verify-nadra v.xml
	assert_output ''
	assert_equal "${stderr%%$'\n'*}" "verify-nadra: no register: pass --nadra FILE, the NADRA extract (CSV, see impass-csv(5)) or its index (made with --index CSV -o OUT)"
	[[ ${stderr#*$'\n'} == "$USAGE"* ]] || fail "stderr: $stderr"
}

# ---- the input stream ------------------------------------------------------------------

@test "a stream that has not been through validate, or of kind citizenship, is refused (65), nothing written" {
	run -65 --separate-stderr verify-nadra -n n.idx i.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: B-N: batch B-N has not been through validate; verify-nadra reads its output'
	run -65 --separate-stderr verify-nadra -n n.idx rv.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: B-R: verify-nadra reads application streams, not citizenship'
}

@test "a batch that has been through verify-nadra is not verified again, even after another stage" {
	run -65 --separate-stderr verify-nadra -n n.idx o.xml
	assert_output ''
	assert_equal "$stderr" 'verify-nadra: B-N: batch B-N has been through verify-nadra already; run verify-nadra on the stream that came before it'
	passthru o.xml > p.xml 2> /dev/null
	run -65 --separate-stderr verify-nadra -n n.idx p.xml
	assert_output ''
}

@test "a stream whose records changed after validate is refused (65), no seal written" {
	sed '/ id="NAME" /s/<given_names>ASIF</<given_names>IMRAN</' v.xml > forged.xml
	run -65 --separate-stderr verify-nadra -n n.idx forged.xml
	refute_output --partial '<seal '
	[[ $stderr == *'do not hash to the sealed root'* ]] || fail "stderr: $stderr"
}

@test "a record with no normalised CNIC is held (NADRA_NO_CNIC)" {
	small v.xml OK-BASE BAD-PHOTO | sed '/ id="OK-BASE" /s|<cnic>3520100000011</cnic>||2' > s0.xml
	reseal s0.xml "$STAGE_FPR" > s.xml
	run -0 --separate-stderr verify-nadra -n n.idx s.xml
	printf '%s\n' "$output" > sn.xml
	step_is OK-BASE sn.xml held NADRA_NO_CNIC 'the record has no normalised CNIC; it must come through validate'
	conserved "$stderr" sn.xml B-N
}

# ---- the command line ------------------------------------------------------------------

@test "--threshold must be a number from 0 to 1 (64), before anything is read" {
	for x in 2 abc -0.1 ''; do
		run --separate-stderr verify-nadra -n n.idx --threshold "$x" v.xml
		[ "$status" -eq 64 ] || fail "--threshold '$x': exit $status, not 64"
		assert_output ''
		assert_equal "$stderr" "verify-nadra: --threshold '$x' is not a number from 0 to 1"
	done
	run -0 --separate-stderr verify-nadra -n n.idx --threshold 0.5 v.xml
}

@test "--threshold nan is not a number from 0 to 1 (64): no name would ever be held" {
	run --separate-stderr verify-nadra -n n.idx --threshold nan v.xml
	if [ "$status" -eq 0 ]; then
		printf '%s\n' "$output" > nan.xml
		fail "--threshold nan was taken; NAME is then: $(step_of NAME nan.xml)"
	fi
	assert_equal "$status" 64
	assert_output ''
	assert_equal "$stderr" "verify-nadra: --threshold 'nan' is not a number from 0 to 1"
}

@test "usage: -h and --help on stdout (0); a bad option, two operands, --index without -o or with --nadra or --extract (64) on stderr" {
	for opt in -h --help; do
		run -0 --separate-stderr verify-nadra "$opt"
		assert_line --index 0 "$USAGE"
		assert_line --partial '--index CSV -o OUT'
		assert_line --partial '--threshold X'
		assert_line --partial '--extract CSV'
		assert_equal "$stderr" ''
	done
	for args in '-x' '-n n.idx v.xml v.xml' '--index n.csv' '--index n.csv -o x.idx -n n.csv' '--index n.csv -o x.idx v.xml' '--index n.csv -o x.idx --extract n.csv'; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr verify-nadra $args
		assert_output ''
		[[ $stderr == *"$USAGE"* ]] || fail "$args: stderr: $stderr"
	done
	[ ! -e x.idx ]
}

# ---- a generated batch ---------------------------------------------------------------

@test "a generated batch: every applicant whose register row is active passes; the others get their register status" {
	"$GEN" applications 400 > ga.csv
	"$GEN" nadra 370 > gn.csv
	ingest -b B-G ga.csv 2> /dev/null | validate --today "$TODAY" > gv.xml 2> /dev/null
	run -0 --separate-stderr verify-nadra -n gn.csv gv.xml
	printf '%s\n' "$output" > go.xml
	conserved "$stderr" go.xml B-G
	one_step_each gv.xml go.xml
	# the code each applicant must get, from the register row of their CNIC
	run awk -F, 'NR == FNR { if (FNR > 1) st[$1] = $6; next }
	{
		if (!match($0, /<normalised>.*<cnic>[0-9]*<\/cnic>/)) next
		c = substr($0, RSTART, RLENGTH); sub(/.*<cnic>/, "", c); sub(/<.*/, "", c)
		want = !(c in st) ? "NADRA_NOT_FOUND" : st[c] == "active" ? "NADRA_OK" : "NADRA_" toupper(st[c])
		if (index($0, "<step stage=\"verify-nadra\" result=\"" (want == "NADRA_OK" ? "ok" : "rejected") "\" code=\"" want "\">") == 0)
			print c ": not " want
	}' gn.csv <(records go.xml)
	assert_output ''
	assert_equal "$(grep -c 'code="NADRA_NOT_FOUND"' go.xml)" 30
	[ "$(grep -c 'code="NADRA_OK"' go.xml)" -gt 300 ]
}
