#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# render-mrz (SPEC 3, 4, 6, 7, 9; issue 7): each ok application gets a
# passport number from the series in the state database, its issue and
# expiry dates, its document code and the two lines of the TD3 machine
# readable zone (ICAO 9303); records not ok pass through untouched. The
# numbers are given in one transaction once the input verified and made
# "sealed" only after the output was sealed: a crash at any point, then a
# re-run, neither duplicates nor silently loses a number. Also --tsv (the
# renderer as a filter), --check (a presented MRZ checked field by field),
# --add-range, --report and --void.
# One batch of hand-written applications is built, ingested, validated and
# rendered at three issue dates in setup_file, and a generated batch of
# 2000; the series tests run on fresh state databases of their own.

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
PHOTO=dddb32b03a7e8400719198323b6e917e78fb70f02cd254cd8442053ea7805599
TODAY=2026-11-28
RANGE=AB1000000-AB1999999
T=$'\t'
TSV_HEADER="doc_code${T}issuing_state${T}surname${T}given_names${T}passport_no${T}nationality${T}date_of_birth${T}sex${T}date_of_expiry${T}optional_data"
USAGE='usage: render-mrz [--state FILE] [--issue-date YYYY-MM-DD] [--proof DIR] [-s FPR]'
# ICAO 9303-4 appendix, the specimen passport of Anna Maria Eriksson
SPEC1='P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
SPEC2='L898902C36UTO7408122F1204159ZE184226B<<<<<10'
# the ok records of the hand-written batch, in order: they get AB1000000...
OK_IDS="ORD ORD-5 OFF DIP SEX-F SEX-X DOB-YM DOB-Y NAME-DIA NAME-APOS NAME-HYPH NAME-LONG NO-SURNAME NO-GIVEN LAST"

# app ID KEY=CELL...: one CSV row (SPEC 5.1 order) of a valid ordinary
# application of ALI RAZA KHAN, M, born 1990-05-17, 10 years, with tracking
# id ID and the cells given replaced (quote them yourself)
app() {
	local -A v=([office]=LHR [category]=normal [passport_type]=ordinary [surname]=KHAN
		[given_names]='ALI RAZA' [father_name]='AHMED KHAN' [sex]=M
		[date_of_birth]=1990-05-17 [place_of_birth]=LAHORE [cnic]=3520100000011
		[nationality]=PAK [validity_years]=10 [pages]=36 [delivery_office]=LHR
		[delivery_mode]=counter [phone]=03001234567 [photo_sha256]=$PHOTO
		[fee_receipt]=260001234567 [fee_amount]=9000 [applied_on]=2026-11-20)
	local kv c out='' sep=''
	v[tracking_id]=$1
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

# The hand-written batch: one record per SPEC 9 choice; REJ (a CNIC of 5
# digits) is rejected and HELD (a previous passport of another shape) held
# by validate, between ok records.
applications() {
	echo "${APP_COLUMNS// /,}"
	app ORD
	app ORD-5 validity_years=5 cnic=35201-0000002-1
	app OFF passport_type=official fee_receipt= fee_amount= cnic=3520100000031
	app DIP passport_type=diplomatic fee_receipt= fee_amount= cnic=3520100000041
	app REJ cnic=12345
	app SEX-F sex=F given_names=AYESHA cnic=3520100000052
	app SEX-X sex=X cnic=3520100000060
	app HELD previous_passport=X1
	app DOB-YM date_of_birth=1990-05 cnic=3520100000071
	app DOB-Y date_of_birth=1990 cnic=3520100000081
	app NAME-DIA surname=Müller 'given_names=José Ñuñez' cnic=3520100000091
	app NAME-APOS "surname=O'Connor" 'given_names=Enya Siobhan' sex=F cnic=3520100000102
	app NAME-HYPH surname=Smith-Jones given_names=john cnic=3520100000111
	app NAME-LONG surname=KHAN 'given_names=MUHAMMAD ABDUL REHMAN QURESHI AL BCD' cnic=3520100000121
	app NO-SURNAME surname= given_names=ALI cnic=3520100000131
	app NO-GIVEN surname=ARKFREITH given_names= cnic=3520100000141
	app LAST cnic=3520100000151
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	applications > a.csv
	ingest -b B-M a.csv > i.xml 2> i.err
	validate --today "$TODAY" i.xml > v.xml 2> v.err
	local d
	for d in 2027-12-31 2028-01-01 2028-02-29; do
		render-mrz --state "s-$d.db" --add-range A "$RANGE" 2> /dev/null
		render-mrz --state "s-$d.db" --issue-date "$d" v.xml > "o-$d.xml" 2> "o-$d.err"
	done
	"$GEN" applications 2000 > g.csv
	ingest -b B-G g.csv 2> /dev/null | validate --today "$TODAY" > gv.xml 2> /dev/null
	render-mrz --state g.db --add-range A "$RANGE" 2> /dev/null
	render-mrz --state g.db --issue-date 2028-01-01 gv.xml > go.xml 2> go.err
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
}

# ---- helpers ---------------------------------------------------------------------------

record_of() { grep -F -e " id=\"$1\" " "$2"; }


# numbers FILE: the passport numbers of FILE's records, in record order
numbers() { LC_ALL=C grep -o '<passport number="[A-Z0-9]*"' "$1" | cut -d'"' -f2; }

# series FIRST COUNT [PREFIX]: the numbers PREFIX+FIRST ... PREFIX+FIRST+COUNT-1
series() {
	awk -v f="$1" -v n="$2" -v p="${3:-AB}" 'BEGIN { for (i = 0; i < n; i++) printf "%s%07d\n", p, f + i }'
}

# mrz_pairs FILE: LINE1<TAB>LINE2 of every passport in FILE, '<' unescaped
mrz_pairs() {
	grep -o '<mrz>[^<]*</mrz><mrz>[^<]*</mrz>' "$1" |
		sed 's|^<mrz>||; s|</mrz><mrz>|\t|; s|</mrz>$||; s/&lt;/</g'
}

# fresh DB [RANGE] [NAME]: a new state database with one range
fresh() { render-mrz --state "$1" --add-range "${3:-A}" "${2:-$RANGE}" 2> /dev/null; }

# report_row DB NAME: the row of range NAME in --report, one space between fields
report_row() { render-mrz --state "$1" --report | awk -v n="$2" '$1 == n { $1 = $1; print }'; }

# unsealed_of DB: the part of --report that lists batches waiting for an
# operator (numbers given but never sealed, or sealed but never spooled)
# (only the first kind: render-mrz alone never spools)
unsealed_of() {
	local r
	r=$(render-mrz --state "$1" --report | sed -n '/^waiting for an operator:/,$p' |
		grep -e '^waiting for an operator:$' -e '^  batch [^ ]*: [0-9]* numbers given but never sealed, ')
	[ -z "$r" ] || [ "$r" = 'waiting for an operator:' ] || printf '%s\n' "$r"
}

# pad44 TEXT: TEXT filled with '<' to 44 characters
pad44() { local s=$1; while [ ${#s} -lt 44 ]; do s+='<'; done; printf '%s\n' "$s"; }

# xml TEXT: TEXT as written in an attribute or element (only '<' occurs in an MRZ)
xml() { local lt='&lt;'; printf '%s\n' "${1//</"$lt"}"; }

# passport_is ID FILE NUMBER ISSUED EXPIRES TYPE LINE1 LINE2: the record's
# <passport> is exactly this, right after <normalised> and before <trail>,
# and its last step is MRZ_RENDERED naming the number
passport_is() {
	local id=$1 file=$2 num=$3 issued=$4 expires=$5 type=$6 l1=$7 l2=$8 rec want step
	rec=$(record_of "$id" "$file")
	want="<passport number=\"$num\" issued=\"$issued\" expires=\"$expires\" type=\"$(xml "$type")\"><mrz>$(xml "$l1")</mrz><mrz>$(xml "$l2")</mrz></passport>"
	[[ $rec == *"</normalised>$want<trail>"* ]] || fail "$id in $file: not
  want: $want
   got: $(grep -o '</normalised>.*<trail>' <<< "$rec")"
	step="<step stage=\"render-mrz\" result=\"ok\" code=\"MRZ_RENDERED\" number=\"$num\">passport $num ($(xml "$type")), issued $issued, expires $expires</step></trail></record>"
	[[ $rec == *"$step" ]] || fail "$id in $file: the last step is not
  want: $step
   got: $(grep -o '<step stage="render-mrz".*' <<< "$rec")"
	[[ $rec =~ ^\<record\ [^\>]*\ status=\"ok\"\> ]] || fail "$id: status not ok"
}


# An independent reading of the MRZ (ICAO 9303-3 4.9, 9303-4 4.2.2, SPEC 9),
# written apart from lib/mrz.c: for every record with a <passport>, both
# lines are 44 of A-Z0-9<, every check digit (7-3-1) and the composite are
# right, and both lines are exactly what the record's normalised fields and
# the passport's attributes say (the name field exactly when it fits in 39,
# else ending on a letter). Prints one line per fault, then "checked N".
MRZ_AWK='
function val(c) {
	if (c ~ /^[0-9]$/) return c + 0
	if (c == "<") return 0
	return index("ABCDEFGHIJKLMNOPQRSTUVWXYZ", c) + 9
}
function digit(s,   i, sum) {
	sum = 0
	for (i = 1; i <= length(s); i++)
		sum += val(substr(s, i, 1)) * substr("731", (i - 1) % 3 + 1, 1)
	return (sum % 10) ""
}
function tag(s, t) {
	if (!match(s, "<" t ">[^<]*</" t ">")) return ""
	return substr(s, RSTART + length(t) + 2, RLENGTH - 2 * length(t) - 5)
}
function attr(s, a) {
	if (!match(s, " " a "=\"[^\"]*\"")) return ""
	return substr(s, RSTART + length(a) + 3, RLENGTH - length(a) - 4)
}
function pad(s, n) { while (length(s) < n) s = s "<"; return s }
function yymmdd(d) {
	return substr(d, 3, 2) (length(d) >= 7 ? substr(d, 6, 2) : "<<") (length(d) == 10 ? substr(d, 9, 2) : "<<")
}
function bad(what) { print id ": " what; nbad++ }
/<passport / {
	n++
	id = attr($0, "id")
	norm = $0; sub(/.*<normalised>/, "", norm); sub(/<\/normalised>.*/, "", norm)
	pp = $0; sub(/.*<passport /, "<passport ", pp); sub(/<\/passport>.*/, "", pp)
	if (!match(pp, /<mrz>[^<]*<\/mrz><mrz>[^<]*<\/mrz>/)) { bad("not two <mrz>"); next }
	split(substr(pp, RSTART + 5, RLENGTH - 11), ln, "</mrz><mrz>")
	l1 = ln[1]; l2 = ln[2]; gsub(/&lt;/, "<", l1); gsub(/&lt;/, "<", l2)
	if (length(l1) != 44 || length(l2) != 44) bad("a line is not 44 characters")
	if (l1 !~ /^[A-Z0-9<]+$/ || l2 !~ /^[A-Z0-9<]+$/) bad("a line has characters outside A-Z0-9<")
	if (digit(substr(l2, 1, 9)) != substr(l2, 10, 1)) bad("document number check digit: " l2)
	if (digit(substr(l2, 14, 6)) != substr(l2, 20, 1)) bad("date of birth check digit: " l2)
	if (digit(substr(l2, 22, 6)) != substr(l2, 28, 1)) bad("date of expiry check digit: " l2)
	if (digit(substr(l2, 29, 14)) != substr(l2, 43, 1)) bad("optional data check digit: " l2)
	if (digit(substr(l2, 1, 10) substr(l2, 14, 7) substr(l2, 22, 22)) != substr(l2, 44, 1))
		bad("composite check digit: " l2)
	# what the record says
	num = attr(pp, "number"); issued = attr(pp, "issued"); expires = attr(pp, "expires")
	type = attr(pp, "type"); gsub(/&lt;/, "<", type)
	pt = tag(norm, "passport_type")
	code = pt == "official" ? "PO" : pt == "diplomatic" ? "PD" : issued < "2028-01-01" ? "P<" : "PP"
	if (type != code) bad("type " type ", not " code)
	md = substr(issued, 5); if (md == "-02-29") md = "-02-28"
	if (expires != (substr(issued, 1, 4) + tag(norm, "validity_years")) md) bad("expires " expires)
	sex = tag(norm, "sex"); if (sex == "X") sex = "<"
	dob = yymmdd(tag(norm, "date_of_birth")); ex = yymmdd(expires)
	opt = pad(tag(norm, "cnic"), 14)
	w = num digit(num) "PAK" dob digit(dob) sex ex digit(ex) opt digit(opt)
	w = w digit(substr(w, 1, 10) substr(w, 14, 7) substr(w, 22, 22))
	if (l2 != w) bad("line 2 " l2 ", not " w)
	sur = tag(norm, "surname"); giv = tag(norm, "given_names")
	name = sur != "" && giv != "" ? sur "<<" giv : sur giv
	gsub(/ /, "<", name)
	if (length(name) <= 39 && l1 != pad(code "PAK" name, 44)) bad("line 1 " l1 ", not " pad(code "PAK" name, 44))
	if (length(name) > 39 && (substr(l1, 1, 5) != code "PAK" || substr(l1, 44, 1) !~ /^[A-Z]$/))
		bad("line 1 " l1 " of a long name does not end on a letter")
	if (index($0, "code=\"MRZ_RENDERED\" number=\"" num "\">") == 0) bad("no MRZ_RENDERED step naming " num)
}
END { print "checked " n + 0 }'

# ---- the ICAO specimen and the name field (--tsv) -----------------------------------------

conserved() { stage_conserved render-mrz "$@"; }

@test "--tsv: the ICAO 9303 specimen (ERIKSSON ANNA MARIA, L898902C3) exactly" {
	printf '%s\n' "$TSV_HEADER" "P<${T}UTO${T}ERIKSSON${T}ANNA MARIA${T}L898902C3${T}UTO${T}1974-08-12${T}F${T}2012-04-15${T}ZE184226B" > s.tsv
	run -0 --separate-stderr render-mrz --tsv s.tsv
	assert_output "$SPEC1$T$SPEC2"
	assert_equal "$stderr" ''
	# from stdin and from '-' too; case and diacritics of the name do not matter
	printf '%s\n' "$TSV_HEADER" "P<${T}uto${T}Eriksson${T}Anna María${T}L898902C3${T}UTO${T}1974-08-12${T}F${T}2012-04-15${T}ze184226b" > s2.tsv
	run -0 --separate-stderr render-mrz --tsv < s2.tsv
	assert_output "$SPEC1$T$SPEC2"
	run -0 --separate-stderr render-mrz --tsv - < s.tsv
	assert_output "$SPEC1$T$SPEC2"
}

@test "--tsv: columns in any order, CRLF line ends; sex X and a partial date of birth are '<'; no optional data is 14 '<' and check digit 0" {
	{
		echo "optional_data${T}sex${T}date_of_expiry${T}date_of_birth${T}nationality${T}passport_no${T}given_names${T}surname${T}issuing_state${T}doc_code"
		echo "ZE184226B${T}F${T}2012-04-15${T}1974-08-12${T}UTO${T}L898902C3${T}ANNA MARIA${T}ERIKSSON${T}UTO${T}P<"
		echo "ZE184226B${T}X${T}2012-04-15${T}1974-08${T}UTO${T}L898902C3${T}ANNA MARIA${T}ERIKSSON${T}UTO${T}P<"
		echo "${T}M${T}2012-04-15${T}1974${T}UTO${T}L898902C3${T}ANNA MARIA${T}ERIKSSON${T}UTO${T}P<"
	} | sed 's/$/\r/' > o.tsv
	run -0 --separate-stderr render-mrz --tsv o.tsv
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 "$SPEC1$T$SPEC2"
	assert_line --index 1 "$SPEC1${T}L898902C36UTO7408<<7<1204159ZE184226B<<<<<10"
	assert_line --index 2 "$SPEC1${T}L898902C36UTO74<<<<1M1204159<<<<<<<<<<<<<<06"
}

@test "--tsv: the truncation examples of ICAO 9303-4 and SPEC 9; position 44 is always a letter; transliteration by 9303-3" {
	local -a rows=(
		'NILAVADHANANANDA|CHAYAPA DEJTHAMRONG KRASUANG|NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K'
		'NILAVADHANANANDA|ARNPOL PETCH CHARONGUANG|NILAVADHANANANDA<<ARNPOL<PETCH<CHARONGU'
		'PAPANDROPOULOUS|JONATHON WARREN TREVOR|PAPANDROPOULOUS<<JONATHON<WARREN<TREVOR'
		"O'Connor|Enya Siobhan|OCONNOR<<ENYA<SIOBHAN"
		'Smith-Jones|Anna|SMITH<JONES<<ANNA'
		'ARKFREITH||ARKFREITH'
		'|Ali|ALI'
		'BENNELONG WOOLOOMOOLOO WARRANDYTE WARNAMBOOL|DINGO POTOROO|BENNELONG<WOOLOOMOOLOO<WARRANDYTE<WA<<D'
		'KHAN|MUHAMMAD ABDUL REHMAN QURESHI AL BCD|KHAN<<MUHAMMAD<ABDUL<REHMAN<QURESHI<A<B'
		'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA BCD||AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA<B'
		'Müller|Ñuñez Groß|MUELLER<<NUNEZ<GROSS'
		'Åström|Bjørn Þór Ægir|AASTROEM<<BJOERN<THOR<AEGIR'
		'ST. JOHN|Ali,Raza   Mir|ST<JOHN<<ALI<RAZA<MIR'
	)
	local r s g name
	{
		echo "$TSV_HEADER"
		for r in "${rows[@]}"; do
			IFS='|' read -r s g _ <<< "$r"
			echo "P<${T}UTO${T}$s${T}$g${T}L898902C3${T}UTO${T}1974-08-12${T}F${T}2012-04-15${T}ZE184226B"
		done
	} > n.tsv
	run -0 --separate-stderr render-mrz --tsv n.tsv
	assert_equal "${#lines[@]}" "${#rows[@]}"
	local i=0
	for r in "${rows[@]}"; do
		name=${r##*|}
		assert_equal "${lines[i]}" "$(pad44 "P<UTO$name")$T$SPEC2"
		# position 44 of line 1: a letter, or the filler of a name shorter than 39
		[[ ${lines[i]:43:1} =~ [A-Z] ]] || [ ${#name} -lt 39 ] || fail "row $i: position 44 is ${lines[i]:43:1}"
		i=$((i + 1))
	done
}

@test "--tsv: a name in another script, a bad date, sex, document code, number or a short row is an error line naming the row (65); the good rows still print" {
	{
		echo "$TSV_HEADER"
		echo "P<${T}UTO${T}محمد${T}ALI${T}L898902C3${T}UTO${T}1974-08-12${T}F${T}2012-04-15${T}"
		echo "P<${T}UTO${T}ERIKSSON${T}ANNA MARIA${T}L898902C3${T}UTO${T}1974-08-12${T}F${T}2012-04-15${T}ZE184226B"
		echo "P<${T}UTO${T}A${T}B${T}L898902C3${T}UTO${T}1974-13-12${T}M${T}2012-04-15${T}"
		echo "P<${T}UTO${T}A${T}B${T}L898902C3${T}UTO${T}1974-12-12${T}M${T}2012-02-30${T}"
		echo "P<${T}UTO${T}A${T}B${T}L898902C3${T}UTO${T}1974-12-12${T}Q${T}2012-02-28${T}"
		echo "P1${T}UTO${T}A${T}B${T}L898902C3${T}UTO${T}1974-12-12${T}M${T}2012-02-28${T}"
		echo "P<${T}UTO${T}A${T}B${T}L898902C3X${T}UTO${T}1974-12-12${T}M${T}2012-02-28${T}"
		echo "P<${T}UTO${T} - ${T}${T}L898902C3${T}UTO${T}1974-12-12${T}M${T}2012-02-28${T}"
		echo "P<${T}UTO"
	} > e.tsv
	run -65 --separate-stderr render-mrz --tsv e.tsv
	assert_equal "${#lines[@]}" 9
	assert_line --index 0 "error: e.tsv line 2: surname 'محمد' has U+0645, which has no Latin transliteration in ICAO 9303-3"
	assert_line --index 1 "$SPEC1$T$SPEC2"
	assert_line --index 2 "error: e.tsv line 4: date_of_birth '1974-13-12' is not YYYY-MM-DD, YYYY-MM or YYYY"
	assert_line --index 3 "error: e.tsv line 5: date_of_expiry '2012-02-30' is not a date YYYY-MM-DD"
	assert_line --index 4 "error: e.tsv line 6: sex 'Q' is not M, F or X"
	assert_line --index 5 "error: e.tsv line 7: document code 'P1' is not P followed by a letter or <"
	assert_line --index 6 "error: e.tsv line 8: document number 'L898902C3X' is not up to 9 letters and digits"
	assert_line --index 7 "error: e.tsv line 9: the name has no letters"
	assert_line --index 8 "error: e.tsv line 10 has 2 fields, not 10"
	assert_equal "$stderr" 'render-mrz: 8 of 9 rows could not be rendered'
}

# line2 NUMBER NAT BIRTH SEX EXPIRY OPTIONAL: a TD3 line 2 with its check
# digits worked out here (7-3-1, '<' 0, A 10), apart from lib/mrz.c
line2() {
	awk -v n="$1" -v nat="$2" -v b="$3" -v sx="$4" -v x="$5" -v o="$6" '
	function val(c) { if (c ~ /[0-9]/) return c + 0; if (c == "<") return 0; return index("ABCDEFGHIJKLMNOPQRSTUVWXYZ", c) + 9 }
	function digit(s,   i, t) { for (i = 1; i <= length(s); i++) t += val(substr(s, i, 1)) * substr("731", (i - 1) % 3 + 1, 1); return t % 10 }
	BEGIN { printf "%s%d%s%s%d%s%s%d%s%d%d\n", n, digit(n), nat, b, digit(b), sx, x, digit(x), o, digit(o),
		digit(n digit(n) b digit(b) x digit(x) o digit(o)) }'
}

@test "--tsv: ICAO's forms: document code P for P<, sex <, a hyphen in the number as <, a name in decomposed Unicode (macOS) as the precomposed one" {
	{
		echo "$TSV_HEADER"
		echo "P${T}UTO${T}ERIKSSON${T}ANNA MARIA${T}L898902C3${T}UTO${T}1974-08-12${T}F${T}2012-04-15${T}ZE184226B"
		echo "P<${T}UTO${T}A${T}B${T}AB-12345${T}UTO${T}1974-12-12${T}<${T}2012-02-28${T}"
		printf 'P<\tUTO\tRE\xcc\x81NE\xcc\x81E\tJO\xcc\x88RG A\xcc\x8aSA\tAB1234567\tUTO\t1974-12-12\tM\t2012-02-28\t\n'
		printf 'P<\tUTO\tRE\xcc\x81N\xc3\x89E\tJ\xc3\x96RG \xc3\x85SA\tAB1234567\tUTO\t1974-12-12\tM\t2012-02-28\t\n'
	} > f.tsv
	run -0 --separate-stderr render-mrz --tsv f.tsv
	assert_line --index 0 "$SPEC1$T$SPEC2"
	assert_line --index 1 "P<UTOA<<B<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<${T}$(line2 'AB<12345<' UTO 741212 '<' 120228 '<<<<<<<<<<<<<<')"
	assert_line --index 2 "P<UTORENEE<<JOERG<AASA<<<<<<<<<<<<<<<<<<<<<<${T}$(line2 AB1234567 UTO 741212 M 120228 '<<<<<<<<<<<<<<')"
	# decomposed and precomposed give the same lines
	assert_equal "${lines[3]}" "${lines[2]}"
	# and the checker takes what was rendered
	printf '%s\n' "${lines[@]}" | render-mrz --check > /dev/null
}

@test "--tsv: a header missing a column is refused (65) naming it; an empty file too" {
	printf 'doc_code\tissuing_state\tsurname\tpassport_no\tnationality\tdate_of_birth\tsex\tdate_of_expiry\toptional_data\n' > h.tsv
	run -65 --separate-stderr render-mrz --tsv h.tsv
	assert_output ''
	assert_equal "$stderr" 'render-mrz: h.tsv line 1: the header has no column given_names; it must name: doc_code issuing_state surname given_names passport_no nationality date_of_birth sex date_of_expiry optional_data (tab-separated)'
	: > empty.tsv
	run -65 --separate-stderr render-mrz --tsv empty.tsv
	assert_output ''
	[[ $stderr == *'empty.tsv is empty'* ]] || fail "stderr: $stderr"
	run -66 --separate-stderr render-mrz --tsv missing.tsv
	assert_equal "$stderr" 'render-mrz: cannot open missing.tsv: No such file or directory'
}

# ---- --check ----------------------------------------------------------------------------

@test "--check: the specimen is ok; a wrong character is named by its field, the first wrong one (65)" {
	local L1=$SPEC1 L2=$SPEC2
	{
		printf '%s\t%s\n' "$L1" "$L2"
		printf '%s\t%s\n' "$L1" "${L2:0:9}7${L2:10}"                                # 2
		printf '%s\t%s\n' "$L1" "${L2:0:18}3${L2:19}"                               # 3
		printf '%s\t%s\n' "$L1" "L898902C36UTO7413128F1204159ZE184226B<<<<<10"      # 4
		printf '%s\t%s\n' "$L1" "${L2:0:27}8${L2:28}"                               # 5
		printf '%s\t%s\n' "$L1" "${L2:0:42}2${L2:43}"                               # 6
		printf '%s\t%s\n' "$L1" "${L2:0:43}1"                                       # 7
		printf '%s\t%s\n' "$L1" "${L2:0:20}Z${L2:21}"                               # 8
		printf '%s\t%s\n' "$L1" "${L2:0:10}<TO${L2:13}"                             # 9
		printf '%s\t%s\n' "$L1" "${L2:0:43}"                                        # 10
		printf '%s\n' "$L1"                                                         # 11
		printf '%s\t%s\n' "P<UTOERIKSSON<<<ANNA<MARIA<<<<<<<<<<<<<<<<<<" "$L2"      # 12
		printf '%s\t%s\n' "${L1,,}" "$L2"                                           # 13
		printf '%s\t%s\n' "X${L1:1}" "$L2"                                          # 14
		printf '%s\t%s\n' "$L1" "L898902C36UTO7408122F1202311ZE184226B<<<<<14"      # 15
		printf '%s\t%s\n' "$L1" "${L2:0:28}<<<<<<<<<<<<<<<${L2:43}"                 # 16
	} > c.tsv
	run -65 --separate-stderr render-mrz --check c.tsv
	assert_equal "${#lines[@]}" 16
	assert_line --index 0 'c.tsv line 1: ok'
	assert_line --index 1 "c.tsv line 2: wrong: document number check digit is '7', should be '6'"
	assert_line --index 2 "c.tsv line 3: wrong: date of birth check digit is '2', should be '3'"
	assert_line --index 3 "c.tsv line 4: wrong: date of birth '741312': the month is not 01 to 12"
	assert_line --index 4 "c.tsv line 5: wrong: date of expiry check digit is '8', should be '9'"
	assert_line --index 5 "c.tsv line 6: wrong: optional data check digit is '2', should be '1'"
	assert_line --index 6 "c.tsv line 7: wrong: composite check digit is '1', should be '0'"
	assert_line --index 7 "c.tsv line 8: wrong: sex 'Z' is not M, F or <"
	assert_line --index 8 "c.tsv line 9: wrong: nationality '<TO' is not a code of letters"
	assert_line --index 9 'c.tsv line 10: wrong: line 2 is not 44 characters of A-Z, 0-9 and <'
	assert_line --index 10 'c.tsv line 11: wrong: not LINE1<TAB>LINE2'
	assert_line --index 11 "c.tsv line 12: wrong: name 'ERIKSSON<<<ANNA<MARIA<<<<<<<<<<<<<<<<<<' has <<< inside it"
	assert_line --index 12 'c.tsv line 13: wrong: line 1 is not 44 characters of A-Z, 0-9 and <'
	assert_line --index 13 "c.tsv line 14: wrong: document code 'X<' is not P followed by a letter or <"
	assert_line --index 14 "c.tsv line 15: wrong: date of expiry '120231': the day is not a day of that month"
	# optional data all '<' may have '<' as its check digit; the composite is then that of no optional data
	assert_line --index 15 "c.tsv line 16: wrong: composite check digit is '0', should be '8'"
	assert_equal "$stderr" 'render-mrz: 15 of 16 rows are wrong'
	# all right: 0
	printf '%s\t%s\n' "$L1" "$L2" "$L1" "L898902C36UTO74<<<<1M1204159<<<<<<<<<<<<<<06" "$L1" "${L2:0:28}<<<<<<<<<<<<<<<8" > ok.tsv
	run -0 --separate-stderr render-mrz --check < ok.tsv
	assert_output $'stdin line 1: ok\nstdin line 2: ok\nstdin line 3: ok'
	assert_equal "$stderr" ''
}

# ---- the stage: each SPEC 9 choice on the hand-written batch ------------------------------------

@test "the fixtures: validate passed all but REJ (rejected) and HELD (held)" {
	run -0 grep -o '^<record [^>]*>' "$KT/v.xml"
	assert_equal "$(grep -c 'status="ok"' <<< "$output")" 15
	assert_line --partial ' id="REJ" status="rejected">'
	assert_line --partial ' id="HELD" status="held">'
	assert_equal "$(grep -o '^<record [^>]* status="ok">' "$KT/v.xml" | cut -d'"' -f4 | tr '\n' ' ')" "$OK_IDS "
}

@test "issued before 2028-01-01: ordinary P<, official PO, diplomatic PD; PAK; CNIC, its '<' and check digit as optional data; 10 and 5 years" {
	local o=$KT/o-2027-12-31.xml L='KHAN<<ALI<RAZA'
	passport_is ORD "$o" AB1000000 2027-12-31 2037-12-31 'P<' "$(pad44 "P<PAK$L")" 'AB10000004PAK9005178M37123173520100000011<94'
	passport_is ORD-5 "$o" AB1000001 2027-12-31 2032-12-31 'P<' "$(pad44 "P<PAK$L")" 'AB10000015PAK9005178M32123123520100000021<04'
	passport_is OFF "$o" AB1000002 2027-12-31 2037-12-31 PO "$(pad44 "POPAK$L")" 'AB10000026PAK9005178M37123173520100000031<14'
	passport_is DIP "$o" AB1000003 2027-12-31 2037-12-31 PD "$(pad44 "PDPAK$L")" 'AB10000037PAK9005178M37123173520100000041<24'
	passport_is LAST "$o" AB1000014 2027-12-31 2037-12-31 'P<' "$(pad44 "P<PAK$L")" 'AB10000141PAK9005178M37123173520100000151<64'
}

@test "issued from 2028-01-01: ordinary PP, official PO, diplomatic PD" {
	local o=$KT/o-2028-01-01.xml L='KHAN<<ALI<RAZA'
	passport_is ORD "$o" AB1000000 2028-01-01 2038-01-01 PP "$(pad44 "PPPAK$L")" 'AB10000004PAK9005178M38010133520100000011<92'
	passport_is ORD-5 "$o" AB1000001 2028-01-01 2033-01-01 PP "$(pad44 "PPPAK$L")" 'AB10000015PAK9005178M33010183520100000021<02'
	passport_is OFF "$o" AB1000002 2028-01-01 2038-01-01 PO "$(pad44 "POPAK$L")" 'AB10000026PAK9005178M38010133520100000031<12'
	passport_is DIP "$o" AB1000003 2028-01-01 2038-01-01 PD "$(pad44 "PDPAK$L")" 'AB10000037PAK9005178M38010133520100000041<22'
	run -0 grep -c 'type="PP"><mrz>PPPAK' "$o"
	assert_output 13
	run -1 grep -c 'type="P&lt;"' "$o"
	assert_output 0
}

@test "expiry: issue date + validity years, same day; 2028-02-29 + 5 is 2033-02-28, + 10 is 2038-02-28" {
	local o=$KT/o-2028-02-29.xml L='KHAN<<ALI<RAZA'
	passport_is ORD "$o" AB1000000 2028-02-29 2038-02-28 PP "$(pad44 "PPPAK$L")" 'AB10000004PAK9005178M38022833520100000011<98'
	passport_is ORD-5 "$o" AB1000001 2028-02-29 2033-02-28 PP "$(pad44 "PPPAK$L")" 'AB10000015PAK9005178M33022883520100000021<08'
	run -0 grep -c ' issued="2028-02-29" expires="2038-02-28" ' "$o"
	assert_output 14
}

@test "sex F is F, sex X is '<' (the record keeps X); a date of birth YYYY-MM is YYMM<<, YYYY is YY<<<<" {
	local o=$KT/o-2027-12-31.xml
	passport_is SEX-F "$o" AB1000004 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKKHAN<<AYESHA')" 'AB10000048PAK9005178F37123173520100000052<08'
	passport_is SEX-X "$o" AB1000005 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKKHAN<<ALI<RAZA')" 'AB10000059PAK9005178<37123173520100000060<70'
	[[ $(record_of SEX-X "$o") == *'<normalised>'*'<sex>X</sex>'* ]]
	passport_is DOB-YM "$o" AB1000006 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKKHAN<<ALI<RAZA')" 'AB10000060PAK9005<<8M37123173520100000071<54'
	passport_is DOB-Y "$o" AB1000007 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKKHAN<<ALI<RAZA')" 'AB10000071PAK90<<<<3M37123173520100000081<64'
}

@test "names from validate's normalised form: Müller MUELLER, Ñ N, apostrophe dropped, hyphen '<', lower case raised, long names cut to a letter, a single name alone" {
	local o=$KT/o-2027-12-31.xml
	passport_is NAME-DIA "$o" AB1000008 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKMUELLER<<JOSE<NUNEZ')" 'AB10000082PAK9005178M37123173520100000091<74'
	passport_is NAME-APOS "$o" AB1000009 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKOCONNOR<<ENYA<SIOBHAN')" 'AB10000093PAK9005178F37123173520100000102<84'
	passport_is NAME-HYPH "$o" AB1000010 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKSMITH<JONES<<JOHN')" 'AB10000107PAK9005178M37123173520100000111<24'
	passport_is NAME-LONG "$o" AB1000011 2027-12-31 2037-12-31 'P<' 'P<PAKKHAN<<MUHAMMAD<ABDUL<REHMAN<QURESHI<A<B' 'AB10000118PAK9005178M37123173520100000121<34'
	passport_is NO-SURNAME "$o" AB1000012 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKALI')" 'AB10000129PAK9005178M37123173520100000131<44'
	passport_is NO-GIVEN "$o" AB1000013 2027-12-31 2037-12-31 'P<' "$(pad44 'P<PAKARKFREITH')" 'AB10000130PAK9005178M37123173520100000141<54'
}

@test "numbers in record order, contiguous from the range start; records not ok get none and pass byte for byte" {
	local d o
	for d in 2027-12-31 2028-01-01 2028-02-29; do
		o=$KT/o-$d.xml
		diff <(series 1000000 15) <(numbers "$o")
		# the number of each ok record, by id
		assert_equal "$(grep -o '^<record [^>]* id="[^"]*" status="ok">.*<passport number="[A-Z0-9]*"' "$o" |
			sed 's/^<record [^>]* id="\([^"]*\)".*<passport number="\([A-Z0-9]*\)"$/\1=\2/' | tr '\n' ' ')" \
			"ORD=AB1000000 ORD-5=AB1000001 OFF=AB1000002 DIP=AB1000003 SEX-F=AB1000004 SEX-X=AB1000005 DOB-YM=AB1000006 DOB-Y=AB1000007 NAME-DIA=AB1000008 NAME-APOS=AB1000009 NAME-HYPH=AB1000010 NAME-LONG=AB1000011 NO-SURNAME=AB1000012 NO-GIVEN=AB1000013 LAST=AB1000014 "
		assert_equal "$(record_of REJ "$o")" "$(record_of REJ "$KT/v.xml")"
		assert_equal "$(record_of HELD "$o")" "$(record_of HELD "$KT/v.xml")"
		run -1 grep -c 'render-mrz' <<< "$(record_of REJ "$o")$(record_of HELD "$o")"
		# one <passport> and one step for every ok record, none for the others
		assert_equal "$(grep -c '<passport ' "$o")" 15
		assert_equal "$(grep -o '<step stage="render-mrz" ' "$o" | wc -l)" 15
		assert_equal "$(report_row "$KT/s-$d.db" A)" "A $RANGE 1000000 15 0 0 999985"
	done
}

@test "values never change: each ok record is its input line plus <passport> before <trail> and one step at the end" {
	diff <(records "$KT/v.xml") <(records "$KT/o-2027-12-31.xml" | sed -e 's|<passport [^>]*>.*</passport><trail>|<trail>|' \
		-e 's|<step stage="render-mrz" [^>]*>[^<]*</step></trail>|</trail>|')
	run -1 grep -c '<step stage="render-mrz" [^>]*>[^<]*</step><step ' "$KT/o-2027-12-31.xml"
}

@test "--proof DIR: one SVG data page per passport (NUMBER.svg, 0600 in a 0700 folder) with its number, names and both MRZ lines" {
	fresh s.db
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 --proof pages "$KT/v.xml"
	printf '%s\n' "$output" > p.xml
	assert_equal "$(stat -c %a pages)" 700
	diff <(numbers p.xml | sed 's/$/.svg/' | sort) <(ls pages)
	assert_equal "$(find pages -type f ! -perm 600 | wc -l)" 0
	local n l1 l2 svg sur
	while IFS=$'\t' read -r l1 l2; do
		n=${l2:0:9}
		n=${n%%<*}
		svg=pages/$n.svg
		run -0 xmllint --noout "$svg"
		grep -qF ">${l1//</\&lt;}</text>" "$svg" || fail "$svg: no first MRZ line $l1"
		grep -qF ">${l2//</\&lt;}</text>" "$svg" || fail "$svg: no second MRZ line $l2"
		grep -qF ">$n</text>" "$svg" || fail "$svg: no passport number $n"
		# the surname as in the MRZ, its fillers as blanks
		sur=${l1:5}
		sur=${sur%%<<*}
		grep -qF ">${sur//</ }</text>" "$svg" || fail "$svg: no surname ${sur//</ }"
	done < <(mrz_pairs p.xml)
	assert_equal "$(ls pages | wc -l)" 15
}

@test "the output verifies (inspect): sealed by render-mrz, provenance ingest and validate; the summary line adds up" {
	local d
	for d in 2027-12-31 2028-01-01 2028-02-29; do
		run -0 --separate-stderr inspect "$KT/o-$d.xml"
		assert_line --index 0 'batch       B-M'
		assert_line --index 2 'records     17 (ok 15, held 1, rejected 1)'
		assert_line --index 3 --regexp "^seal        good: render-mrz by $STAGE_FPR .*, 17 records, "
		conserved "$(cat "$KT/o-$d.err")" "$KT/o-$d.xml" B-M
		assert_equal "$(wc -l < "$KT/o-$d.err")" 1
	done
	run -0 grep -c '^<provenance><sealed stage="ingest" [^>]*/><sealed stage="validate" [^>]*/></provenance>$' "$KT/o-2027-12-31.xml"
	run -0 grep -c '^<seal stage="render-mrz" count="17" ' "$KT/o-2027-12-31.xml"
}

@test "the output is valid against impass.xsd, whole and one record line at a time" {
	run xmllint --noout --schema "$TESTS/../schemas/impass.xsd" "$KT/o-2027-12-31.xml"
	assert_success
	run -0 sh -c "grep -F ' id=\"SEX-X\" ' '$KT/o-2027-12-31.xml' | xmllint --noout --schema '$TESTS/../schemas/impass.xsd' -"
}

@test "a stream on standard input, or '-', gives the same output" {
	fresh s.db
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 < "$KT/v.xml"
	diff <(unsealed "$KT/o-2027-12-31.xml") <(grep -v '^<seal ' <<< "$output")
	fresh t.db
	run -0 --separate-stderr render-mrz --state t.db --issue-date 2027-12-31 - < "$KT/v.xml"
	diff <(unsealed "$KT/o-2027-12-31.xml") <(grep -v '^<seal ' <<< "$output")
}

@test "a record whose normalised fields do not allow a passport is rejected (MRZ_NO_DATA); its number is void once sealed" {
	# ORD, OFF without its normalised validity_years, LAST, sealed again by validate
	{
		sed '/^<record /,$d' "$KT/v.xml"
		record_of ORD "$KT/v.xml"
		record_of OFF "$KT/v.xml" | sed 's|<normalised>\(.*\)<validity_years>10</validity_years>|<normalised>\1|'
		record_of LAST "$KT/v.xml"
		grep '^<seal ' "$KT/v.xml"
		echo '</batch>'
	} > nv0.xml
	[ "$(record_of OFF nv0.xml | grep -o '<validity_years>' | wc -l)" -eq 1 ] || fail "the fixture still has a normalised validity_years"
	reseal nv0.xml "$STAGE_FPR" > nv.xml
	fresh s.db
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 nv.xml
	printf '%s\n' "$output" > no.xml
	[[ $(record_of OFF no.xml) =~ \ status=\"rejected\"\>.*\<step\ stage=\"render-mrz\"\ result=\"rejected\"\ code=\"MRZ_NO_DATA\"\>no\ passport:\ the\ record\ lacks\ a\ normalised\ validity_years\ of\ 5\ or\ 10\;\ the\ number\ AB1000001\ given\ to\ it\ becomes\ void\ when\ the\ output\ is\ sealed\</step\>\</trail\>\</record\>$ ]] ||
		fail "OFF: $(record_of OFF no.xml)"
	run -1 grep -c '<passport ' <<< "$(record_of OFF no.xml)"
	[[ $stderr == *$'\nAB1000001 (record OFF of batch B-M)\n'* ]] || fail "stderr: $stderr"
	conserved "$stderr" no.xml B-M
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 2 0 1 999997"
	diff <(echo AB1000000; echo AB1000002) <(numbers no.xml)
	run -0 unsealed_of s.db
	assert_output ''
	run -0 inspect no.xml
}

# ---- an independent checker on a generated batch -------------------------------------------

@test "2000 generated applications: every MRZ passes an independent checker (awk), and render-mrz --check" {
	assert_equal "$(grep -c '<passport ' "$KT/go.xml")" "$(grep -c '^<record [^>]* status="ok">' "$KT/gv.xml")"
	assert_equal "$(grep -c '<passport ' "$KT/go.xml")" 2000
	conserved "$(cat "$KT/go.err")" "$KT/go.xml" B-G
	run awk "$MRZ_AWK" "$KT/go.xml"
	assert_output 'checked 2000'
	diff <(series 1000000 2000) <(numbers "$KT/go.xml")
	# the generated batch has the cases of interest
	[ "$(grep -c 'type="PO"' "$KT/go.xml")" -gt 0 ]
	[ "$(grep -c 'type="PD"' "$KT/go.xml")" -gt 0 ]
	[ "$(mrz_pairs "$KT/go.xml" | cut -f2 | cut -c21 | grep -c '<')" -gt 0 ]
	[ "$(mrz_pairs "$KT/go.xml" | cut -f2 | cut -c14-19 | grep -c '<')" -gt 0 ]
	mrz_pairs "$KT/go.xml" > pairs.tsv
	assert_equal "$(wc -l < pairs.tsv)" 2000
	run -0 --separate-stderr render-mrz --check pairs.tsv
	diff <(seq 2000 | sed 's/.*/pairs.tsv line &: ok/') <(printf '%s\n' "$output")
	assert_equal "$stderr" ''
}

@test "the independent checker reads the hand-written batch too, and finds a wrong digit, field or name" {
	local d
	for d in 2027-12-31 2028-01-01 2028-02-29; do
		run awk "$MRZ_AWK" "$KT/o-$d.xml"
		assert_output 'checked 15'
	done
	# it can fail: a check digit, the composite, a date, a name changed
	sed '/ id="ORD" /s|PAK9005178M|PAK9005179M|' "$KT/o-2027-12-31.xml" > x1.xml
	run awk "$MRZ_AWK" x1.xml
	assert_line --index 0 --partial 'ORD: date of birth check digit'
	sed '/ id="DIP" /s|&lt;24</mrz>|\&lt;25</mrz>|' "$KT/o-2027-12-31.xml" > x2.xml
	run awk "$MRZ_AWK" x2.xml
	assert_line --index 0 --partial 'DIP: composite check digit'
	sed '/ id="OFF" /s|<mrz>POPAKKHAN|<mrz>P\&lt;PAKKHAN|' "$KT/o-2027-12-31.xml" > x3.xml
	run awk "$MRZ_AWK" x3.xml
	assert_line --index 0 --partial 'OFF: line 1 P<PAKKHAN'
	sed '/ id="LAST" /s|<mrz>P&lt;PAKKHAN&lt;&lt;ALI&lt;RAZA&lt;|<mrz>P\&lt;PAKKHAN\&lt;\&lt;ALI\&lt;REZA\&lt;|' "$KT/o-2027-12-31.xml" > x4.xml
	run awk "$MRZ_AWK" x4.xml
	assert_line --index 0 --partial 'LAST: line 1 P<PAKKHAN<<ALI<REZA'
}

# ---- the series: re-runs, other batches -------------------------------------------------------

@test "a re-run of a batch gives its records the same numbers, and says so; the same applications as another batch are held, not numbered again" {
	fresh s.db
	render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml" > r1.xml 2> r1.err
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > r2.xml
	diff <(unsealed r1.xml) <(unsealed r2.xml)
	diff <(unsealed "$KT/o-2027-12-31.xml") <(unsealed r2.xml)
	assert_equal "${stderr_lines[0]}" 'render-mrz: B-M: 15 records have the numbers an earlier run of this batch gave them, 0 get new ones'
	conserved "$stderr" r2.xml B-M
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 15 0 0 999985"
	# the same applications as another batch
	ingest -b B-M2 "$KT/a.csv" 2> /dev/null | validate --today "$TODAY" > v2.xml 2> /dev/null
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 v2.xml
	printf '%s\n' "$output" > r3.xml
	assert_equal "$(numbers r3.xml)" ''
	assert_equal "${#stderr_lines[@]}" 1
	conserved "$stderr" r3.xml B-M2
	# each ok application held, naming its passport of the first batch
	local i=0 id
	for id in $OK_IDS; do
		[[ $(record_of "$id" r3.xml) == *'status="held">'*"<step stage=\"render-mrz\" result=\"held\" code=\"MRZ_ALREADY_ISSUED\">application $id has passport $(series $((1000000 + i)) 1) already (batch B-M, sealed): one application gets one passport; a second export or a reused tracking id? An officer decides; a spoiled booklet is reprinted with spool-print --reprint</step></trail></record>" ]] ||
			fail "record $id: $(record_of "$id" r3.xml)"
		i=$((i + 1))
	done
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 15 0 0 999985"
	run -0 unsealed_of s.db
	assert_output ''
}

# a batch of two applications that validate rejects
rejected_batch() {
	{ echo "${APP_COLUMNS// /,}"; app R1 cnic=1; app R2 sex=Q; } > rj.csv
	ingest -b B-RJ rj.csv 2> /dev/null | validate --today "$TODAY" > rjv.xml 2> /dev/null
}

@test "a batch with no ok record takes no number: exit 0, the records byte for byte, the range untouched" {
	rejected_batch
	fresh s.db
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2028-01-01 rjv.xml
	printf '%s\n' "$output" > rjo.xml
	diff <(records rjv.xml) <(records rjo.xml)
	conserved "$stderr" rjo.xml B-RJ
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 0 0 0 1000000"
	run -0 inspect rjo.xml
}

@test "a batch with no ok record needs no number: exit 0 with no range configured at all" {
	rejected_batch
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2028-01-01 rjv.xml
	printf '%s\n' "$output" > rjo.xml
	diff <(records rjv.xml) <(records rjo.xml)
	conserved "$stderr" rjo.xml B-RJ
	run -0 render-mrz --state s.db --report
	assert_equal "${#lines[@]}" 1
}

@test "ranges: the numbers run on into the next range in the order added; an overlapping range or a name used again is refused (65), a malformed one (64)" {
	fresh s.db AB1000000-AB1000009 A
	run -0 --separate-stderr render-mrz --state s.db --add-range B AC2000000-AC2999999
	assert_equal "$stderr" 'render-mrz: range B AC2000000-AC2999999 added'
	run -65 --separate-stderr render-mrz --state s.db --add-range C AB1000005-AB1000020
	assert_equal "$stderr" 'render-mrz: range C AB1000005-AB1000020: range A (AB1000000-AB1000009) overlaps it; numbers are never given twice, so ranges never overlap and keep their names'
	run -65 --separate-stderr render-mrz --state s.db --add-range C AC1000000-AC2000000
	[[ $stderr == *'range B (AC2000000-AC2999999) overlaps it'* ]] || fail "stderr: $stderr"
	run -65 --separate-stderr render-mrz --state s.db --add-range A AD1000000-AD1999999
	assert_equal "$stderr" 'render-mrz: range A AD1000000-AD1999999: range A (AB1000000-AB1000009) exists; numbers are never given twice, so ranges never overlap and keep their names'
	for r in AB100000-AB1999999 AB1000000-AC1999999 AB1999999-AB1000000 ab3000000-ab3999999 AB3000000 AB300000X-AB3999999; do
		run -64 --separate-stderr render-mrz --state s.db --add-range D "$r"
		[[ $stderr == *'is not two numbers of two letters and seven digits'* ]] || fail "$r: stderr: $stderr"
	done
	run -0 render-mrz --state s.db --report
	assert_equal "${#lines[@]}" 3
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > r.xml
	diff <(series 1000000 10; series 2000000 5 AC) <(numbers r.xml)
	assert_equal "${stderr_lines[0]}" 'render-mrz: B-M: warning: range A is used up; add a range soon (render-mrz --add-range)'
	assert_equal "$(report_row s.db A)" 'A AB1000000-AB1000009 10 10 0 0 0'
	assert_equal "$(report_row s.db B)" 'B AC2000000-AC2999999 1000000 5 0 0 999995'
	run awk "$MRZ_AWK" r.xml
	assert_output 'checked 15'
}

@test "a range name is 1 to 32 letters, digits, '-' or '_': a longer or odd one is refused (64), nothing added; one of 32 works" {
	local name bad
	name=$(printf 'R%.0s' {1..33})
	for bad in "$name" '' 'A B' "A'B" 'A/B'; do
		run -64 --separate-stderr render-mrz --state s.db --add-range "$bad" "$RANGE"
		assert_equal "$stderr" "render-mrz: range name '$bad' is not 1 to 32 letters, digits, '-' or '_' (SERIES-2028)"
	done
	name=${name:1}
	run -0 --separate-stderr render-mrz --state s.db --add-range "$name" "$RANGE"
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > r.xml
	diff <(series 1000000 15) <(numbers r.xml)
	assert_equal "$(report_row s.db "$name")" "$name $RANGE 1000000 15 0 0 999985"
}

# ---- the series: crashes ---------------------------------------------------------------------

# crash POINT: batch B-M (issued 2027-12-31) on a fresh state s.db, the
# program killing itself (SIGKILL, 137) at POINT; its output in crashed.xml
crash() {
	rm -f s.db s.db-wal s.db-shm .s.db.mark
	fresh s.db
	run -137 --separate-stderr env IMPASS_FAULT="$1" render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > crashed.xml
}

# rerun_ok [REUSED]: the re-run without the fault: exit 0, the same output as
# a run without a crash (the numbers from the range start, in order), every
# number sealed, none left unsealed; with REUSED, stderr says the numbers
# came from the earlier run
rerun_ok() {
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > rerun.xml
	diff <(unsealed "$KT/o-2027-12-31.xml") <(unsealed rerun.xml)
	diff <(series 1000000 15) <(numbers rerun.xml)
	if [ -n "${1-}" ]; then
		assert_equal "${stderr_lines[0]}" 'render-mrz: B-M: 15 records have the numbers an earlier run of this batch gave them, 0 get new ones'
	else
		assert_equal "${#stderr_lines[@]}" 1
	fi
	conserved "$stderr" rerun.xml B-M
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 15 0 0 999985"
	run -0 unsealed_of s.db
	assert_output ''
	run -0 inspect rerun.xml
}

# listed_unsealed: --report lists B-M's 15 numbers as given but never sealed
listed_unsealed() {
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 0 15 0 999985"
	run -0 unsealed_of s.db
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 'waiting for an operator:'
	assert_line --index 1 --regexp "^  batch B-M: 15 numbers given but never sealed, AB1000000 to AB1000014, given [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z: if render-mrz's sealed output of the batch exists, sign and spool it \\(spool-print records them\\); else run the batch again from its validated stream \\(the records get these numbers again\\); render-mrz --void BATCH only when neither will happen$"
}

@test "crash before the numbers are given (before-give) or inside the transaction (series-give): nothing given, nothing written; the re-run gives the numbers from the range start" {
	for point in before-give series-give; do
		crash "$point"
		assert_output ''
		assert_equal "$(report_row s.db A)" "A $RANGE 1000000 0 0 0 1000000"
		run -0 unsealed_of s.db
		assert_output ''
		rerun_ok
	done
}

@test "crash after the numbers were given, before any output (given): listed as given but never sealed; the re-run takes the same numbers" {
	crash given
	assert_output ''
	listed_unsealed
	rerun_ok reused
}

@test "crash at the middle record (write): a part of the output, no seal; listed as unsealed; the re-run takes the same numbers" {
	crash write
	run -1 grep -c '^<seal ' crashed.xml
	# at most the 9 records before DOB-Y, the middle one of the 15 ok
	[ "$(grep -c '^<record ' crashed.xml)" -le 9 ] || fail "$(grep -c '^<record ' crashed.xml) records written"
	run -65 --separate-stderr inspect crashed.xml
	listed_unsealed
	rerun_ok reused
}

@test "crash after the output was sealed and flushed, before its numbers were marked sealed (sealed): the output is whole; the re-run gives the very same numbers" {
	crash sealed
	run -0 inspect crashed.xml
	diff <(unsealed "$KT/o-2027-12-31.xml") <(unsealed crashed.xml)
	listed_unsealed
	rerun_ok reused
	diff <(numbers crashed.xml) <(numbers rerun.xml)
}

@test "--void after a crash: the batch's unsealed numbers become void, listed on stderr; the next run gets fresh numbers after them" {
	for point in given write sealed; do
		crash "$point"
		run -0 --separate-stderr render-mrz --state s.db --void B-M
		assert_output ''
		assert_equal "${stderr_lines[0]}" 'render-mrz: B-M: void:'
		assert_equal "${#stderr_lines[@]}" 16
		local i=1 id
		for id in $OK_IDS; do
			assert_equal "${stderr_lines[i]}" "$(series $((1000000 + i - 1)) 1) (record $id of batch B-M)"
			i=$((i + 1))
		done
		assert_equal "$(report_row s.db A)" "A $RANGE 1000000 0 0 15 999985"
		run -0 unsealed_of s.db
		assert_output ''
		run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
		printf '%s\n' "$output" > after.xml
		diff <(series 1000015 15) <(numbers after.xml)
		assert_equal "${#stderr_lines[@]}" 1
		assert_equal "$(report_row s.db A)" "A $RANGE 1000000 15 0 15 999970"
		run awk "$MRZ_AWK" after.xml
		assert_output 'checked 15'
	done
}

@test "--void of a batch with nothing unsealed voids nothing: sealed numbers stay sealed" {
	fresh s.db
	render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml" > /dev/null 2>&1
	run -0 --separate-stderr render-mrz --state s.db --void B-M
	assert_equal "$stderr" 'render-mrz: B-M: no number was given and left unsealed'
	run -0 --separate-stderr render-mrz --state s.db --void B-NEVER
	assert_equal "$stderr" 'render-mrz: B-NEVER: no number was given and left unsealed'
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 15 0 0 999985"
}

@test "a re-run after a crash with a record no longer ok: the others keep their numbers; its number is void after the seal, named on stderr" {
	crash given
	# a stage between validate and render-mrz holds NAME-DIA in the re-run of
	# B-M (the same records: another export under B-M would be refused)
	passthru --hold NAME-DIA "$KT/v.xml" > v2.xml 2> /dev/null
	[[ $(record_of NAME-DIA v2.xml) == *' status="held">'* ]]
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 v2.xml
	printf '%s\n' "$output" > r.xml
	diff <(series 1000000 15 | grep -vx AB1000008) <(numbers r.xml)
	assert_equal "${stderr_lines[0]}" 'render-mrz: B-M: 14 records have the numbers an earlier run of this batch gave them, 0 get new ones'
	assert_equal "${stderr_lines[1]}" 'render-mrz: B-M: void, given in an earlier run to records not ok now:'
	assert_equal "${stderr_lines[2]}" 'AB1000008 (record NAME-DIA of batch B-M)'
	conserved "$stderr" r.xml B-M
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 14 0 1 999985"
	run -0 unsealed_of s.db
	assert_output ''
	assert_equal "$(record_of NAME-DIA r.xml)" "$(record_of NAME-DIA v2.xml)"
}

@test "output that cannot be written (74): the numbers stay given, unsealed; the re-run takes them" {
	fresh s.db
	run -74 --separate-stderr sh -c 'render-mrz --state s.db --issue-date 2027-12-31 "$1" > /dev/full' sh "$KT/v.xml"
	[[ $stderr == *'cannot write'* ]] || fail "stderr: $stderr"
	listed_unsealed
	rerun_ok reused
}

@test "kill -9 at a random moment, 20 times (5 on the sanitizer build), on a batch of 20000: every re-run completes with the numbers unique, contiguous from the range start, all sealed" {
	"$GEN" applications 20000 > big.csv
	ingest -b B-BIG big.csv 2> /dev/null | validate --today "$TODAY" > big.xml 2> /dev/null
	local n pid st ms i row killed=0 left
	n=$(grep -c '^<record [^>]* status="ok">' big.xml)
	[ "$n" -eq 20000 ] || fail "$n ok records, not 20000"
	left=$((1000000 - n))
	fresh empty.db
	series 1000000 "$n" > want
	# a sanitizer build: a smaller quarantine and shorter malloc stacks keep it fast
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4:malloc_context_size=2"
	local rounds=20
	if sanitized; then rounds=5; fi   # the crash semantics are the normal build's to test
	for i in $(seq "$rounds"); do
		rm -f s.db s.db-wal s.db-shm .s.db.mark
		cp empty.db s.db
		render-mrz --state s.db --issue-date 2028-01-01 big.xml > /dev/null 2> k.err &
		pid=$!
		ms=$((RANDOM % 1501))
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		kill -9 "$pid" 2> /dev/null || true
		st=0
		wait "$pid" || st=$?
		case $st in 137) killed=$((killed + 1)) ;; 0) ;; *) fail "run $i: exit $st: $(cat k.err)" ;; esac
		# all or nothing: no number given or all of them, none void
		row=$(report_row s.db A)
		case $row in
		"A $RANGE 1000000 0 0 0 1000000" | "A $RANGE 1000000 0 $n 0 $left" | "A $RANGE 1000000 $n 0 0 $left") ;;
		*) fail "run $i, killed after $ms ms: $row" ;;
		esac
		render-mrz --state s.db --issue-date 2028-01-01 big.xml > r.xml 2> r.err || fail "re-run $i: exit $?: $(cat r.err)"
		numbers r.xml | cmp -s - want || fail "re-run $i (killed after $ms ms): the numbers are not $RANGE from the start, in order"
		[[ $(tail -n 2 r.xml) == '<seal stage="render-mrz" count="'$n'" '*$'</seal>\n</batch>' ]] || fail "re-run $i: no seal at the end"
		assert_equal "$(report_row s.db A)" "A $RANGE 1000000 $n 0 0 $left"
		[ -z "$(unsealed_of s.db)" ] || fail "re-run $i: $(unsealed_of s.db)"
	done
	echo "# $killed of $rounds runs killed" >&3
	[ "$killed" -gt 0 ] || fail "no run was killed: every one finished within its random delay"
}

# ---- the series: running out -----------------------------------------------------------------

@test "a range with too few numbers is exit 69 before any record is written: nothing given, the state unchanged" {
	fresh s.db AB1000000-AB1000013
	before=$(render-mrz --state s.db --report)
	run -69 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
	assert_output ''
	assert_equal "$stderr" 'render-mrz: B-M: the number ranges have 14 numbers left and the batch needs 15; nothing was given: add a range (render-mrz --add-range NAME FIRST-LAST) and run again'
	assert_equal "$(render-mrz --state s.db --report)" "$before"
	# no range at all
	run -69 --separate-stderr render-mrz --state none.db --issue-date 2027-12-31 "$KT/v.xml"
	assert_output ''
	[[ $stderr == *'the number ranges have 0 numbers left and the batch needs 15'* ]] || fail "stderr: $stderr"
	# another range: enough now, in the order the ranges were added
	render-mrz --state s.db --add-range B AB2000000-AB2999999 2> /dev/null
	run -0 --separate-stderr render-mrz --state s.db --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > r.xml
	diff <(series 1000000 14; series 2000000 1) <(numbers r.xml)
}

@test "a re-run that needs no new number runs with the range used up" {
	fresh u.db AB1000000-AB1000014
	run -137 --separate-stderr env IMPASS_FAULT=given render-mrz --state u.db --issue-date 2027-12-31 "$KT/v.xml"
	assert_equal "$(report_row u.db A)" 'A AB1000000-AB1000014 15 0 15 0 0'
	run -0 --separate-stderr render-mrz --state u.db --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > r.xml
	diff <(series 1000000 15) <(numbers r.xml)
	assert_equal "$(report_row u.db A)" 'A AB1000000-AB1000014 15 15 0 0 0'
}

@test "a warning when a range has less than 5 % left after the run: 4 of 99 warns, 5 of 100 does not; used up" {
	"$GEN" applications 95 > w.csv
	ingest -b B-W w.csv 2> /dev/null | validate --today "$TODAY" > w.xml 2> /dev/null
	[ "$(grep -c '^<record [^>]* status="ok">' w.xml)" -eq 95 ]
	fresh s100.db AB1000000-AB1000099 W
	run -0 --separate-stderr render-mrz --state s100.db --issue-date 2028-01-01 w.xml
	printf '%s\n' "$output" > w100.xml
	assert_equal "${#stderr_lines[@]}" 1
	conserved "$stderr" w100.xml B-W
	assert_equal "$(report_row s100.db W)" 'W AB1000000-AB1000099 100 95 0 0 5'
	fresh s99.db AB1000000-AB1000098 W
	run -0 --separate-stderr render-mrz --state s99.db --issue-date 2028-01-01 w.xml
	printf '%s\n' "$output" > w99.xml
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[0]}" 'render-mrz: B-W: warning: range W has 4 of its 99 numbers left (AB1000095-AB1000098); add a range soon (render-mrz --add-range)'
	conserved "$stderr" w99.xml B-W
	fresh s95.db AB1000000-AB1000094 W
	run -0 --separate-stderr render-mrz --state s95.db --issue-date 2028-01-01 w.xml
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[0]}" 'render-mrz: B-W: warning: range W is used up; add a range soon (render-mrz --add-range)'
	assert_equal "$(report_row s95.db W)" 'W AB1000000-AB1000094 95 95 0 0 0'
	# one short: 69, the same range untouched
	fresh s94.db AB1000000-AB1000093 W
	run -69 --separate-stderr render-mrz --state s94.db --issue-date 2028-01-01 w.xml
	assert_output ''
	assert_equal "$stderr" 'render-mrz: B-W: the number ranges have 94 numbers left and the batch needs 95; nothing was given: add a range (render-mrz --add-range NAME FIRST-LAST) and run again'
	assert_equal "$(report_row s94.db W)" 'W AB1000000-AB1000093 94 0 0 0 94'
	# a range used up refuses the next batch
	run -69 --separate-stderr render-mrz --state s95.db --issue-date 2028-01-01 "$KT/v.xml"
	assert_output ''
	[[ $stderr == *'the number ranges have 0 numbers left and the batch needs 15'* ]] || fail "stderr: $stderr"
}

# ---- the state database ------------------------------------------------------------------------

@test "the state database is created mode 0600, by default as \$IMPASS_SPOOL/state.db (its folder 0700)" {
	export IMPASS_SPOOL=$BATS_TEST_TMPDIR/spool
	umask 022
	run -0 --separate-stderr render-mrz --add-range A "$RANGE"
	assert_equal "$(stat -c %a spool)" 700
	assert_equal "$(stat -c %a spool/state.db)" 600
	run -0 --separate-stderr render-mrz --issue-date 2027-12-31 "$KT/v.xml"
	printf '%s\n' "$output" > d.xml
	diff <(series 1000000 15) <(numbers d.xml)
	assert_equal "$(report_row spool/state.db A)" "A $RANGE 1000000 15 0 0 999985"
	for f in spool/state.db*; do assert_equal "$(stat -c %a "$f")" 600; done
	(umask 000 && render-mrz --state open.db --report > /dev/null)
	assert_equal "$(stat -c %a open.db)" 600
	run -0 --separate-stderr render-mrz --state open.db --report
	assert_output "$(printf '%-12s %-19s %9s %9s %9s %9s %9s' range numbers size sealed unsealed void left)"
}

# ---- errors ---------------------------------------------------------------------------------

@test "--issue-date that is not a real YYYY-MM-DD is a usage error (64), before anything is read" {
	for d in 2028-02-30 28-01-01 2028-1-1 '' today; do
		run -64 --separate-stderr render-mrz --state s.db --issue-date "$d" "$KT/v.xml"
		assert_output ''
		assert_equal "$stderr" "render-mrz: --issue-date '$d' is not a date YYYY-MM-DD"
	done
	[ ! -e s.db ]
}

@test "usage: -h and --help on stdout (0); an unknown option, two operands, modes together (64) on stderr" {
	for opt in -h --help; do
		run -0 --separate-stderr render-mrz "$opt"
		assert_line --index 0 "$USAGE"
		assert_line --partial '--add-range NAME FIRST-LAST'
		assert_equal "$stderr" ''
	done
	for args in '--bogus' "$KT/v.xml $KT/v.xml" '--tsv --check' '--report x' '--void' '--add-range A' '--void B-M --report'; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr render-mrz --state s.db $args
		assert_output ''
		[ -n "$stderr" ] || fail "$args: nothing on stderr"
	done
	run -64 --separate-stderr render-mrz --bogus
	[[ $stderr == *"$USAGE"* ]] || fail "stderr: $stderr"
}

@test "a missing input file is 66; nothing given" {
	fresh s.db
	run -66 --separate-stderr render-mrz --state s.db missing.xml
	assert_output ''
	assert_equal "$stderr" 'render-mrz: cannot open missing.xml: No such file or directory'
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 0 0 0 1000000"
}

@test "a state database that cannot be created is 73; a signer not in the trust file is 77, before any number is given" {
	run -73 --separate-stderr render-mrz --state nodir/s.db --issue-date 2027-12-31 "$KT/v.xml"
	assert_output ''
	assert_equal "$stderr" 'render-mrz: cannot open the state database nodir/s.db: No such file or directory'
	fresh s.db
	run -77 --separate-stderr render-mrz --state s.db --signer "$OTHER_FPR" --issue-date 2027-12-31 "$KT/v.xml"
	assert_output ''
	[[ $stderr == *"key $OTHER_FPR is not in the trust file"* ]] || fail "stderr: $stderr"
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 0 0 0 1000000"
	run -0 unsealed_of s.db
	assert_output ''
}

@test "a stream not through validate, of kind citizenship, already through render-mrz, or changed after its seal is refused (65): no output, nothing given" {
	fresh s.db
	run -65 --separate-stderr render-mrz --state s.db "$KT/i.xml"
	assert_output ''
	assert_equal "$stderr" 'render-mrz: B-M: batch B-M has not been through validate; render-mrz reads its output'
	printf 'register,certificate_no,issued_on,name,father_name,date_of_birth,place_of_birth,cnic,previous_nationality,country,mission,remarks\nPCC,PCC/1998/00417,1998-08-14,JOHN DSOUZA,PETER DSOUZA,1961-04-03,GOA,,INDIA,INDIA,,\n' > c.csv
	ingest -k citizenship -b B-C c.csv 2> /dev/null | validate --today "$TODAY" > cv.xml 2> /dev/null
	run -65 --separate-stderr render-mrz --state s.db cv.xml
	assert_output ''
	assert_equal "$stderr" 'render-mrz: B-C: render-mrz reads application streams, not citizenship'
	run -65 --separate-stderr render-mrz --state s.db "$KT/o-2027-12-31.xml"
	assert_output ''
	assert_equal "$stderr" 'render-mrz: B-M: batch B-M has been through render-mrz already; run render-mrz on the stream that came before it'
	sed '/ id="LAST" /s/<given_names>ALI RAZA</<given_names>ALI REZA</' "$KT/v.xml" > forged.xml
	run -65 --separate-stderr render-mrz --state s.db forged.xml
	assert_output ''
	[[ $stderr == *'do not hash to the sealed root'* ]] || fail "stderr: $stderr"
	assert_equal "$(report_row s.db A)" "A $RANGE 1000000 0 0 0 1000000"
	run -0 unsealed_of s.db
	assert_output ''
}
