#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# ingest (SPEC 3, 4, 5): CSV, gzip'd CSV or a zip/tar of CSV files in, the
# first sealed stream out. One record line per data row, fields in SPEC 5
# order, values as given; file errors refuse the file (65), row errors
# reject the row and never drop it.

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
APP_HEADER=${APP_COLUMNS// /,}
CIT_COLUMNS="register certificate_no issued_on name father_name date_of_birth place_of_birth cnic previous_nationality country mission remarks"
CIT_HEADER=${CIT_COLUMNS// /,}
R='<record xmlns="urn:impass:batch:1"'
PHOTO=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
USAGE='usage: ingest [-k application|citizenship] [-b ID] [-s FPR] [-t FILE]
              [--spool DIR] [FILE|-]'

# RFC 4180 splitter for one line (as in 09-gen-fixtures.bats: the generator
# never puts a newline in a field)
CSV_SPLIT='
function csv_split(line, out,    n, i, c, field, quoted) {
	n = 1; field = ""; quoted = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (quoted) {
			if (c != "\"") field = field c
			else if (substr(line, i + 1, 1) == "\"") { field = field c; i++ }
			else quoted = 0
		} else if (c == "\"") quoted = 1
		else if (c == ",") { out[n++] = field; field = "" }
		else field = field c
	}
	out[n] = field
	return n
}'

setup_file() {
	keys_setup
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
}

# app_row KEY=CELL...: one CSV row in SPEC 5.1 column order, other cells
# empty; a CELL is written as given (quote it yourself)
app_row() {
	local -A v=()
	local kv c out='' sep=''
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

# sort_columns FILE: FILE with its columns in alphabetical order of the header
sort_columns() {
	awk "$CSV_SPLIT"'
	NR == 1 {
		n = csv_split($0, h)
		for (i = 1; i <= n; i++) p[i] = i
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && h[p[j - 1]] > h[p[j]]; j--) { t = p[j]; p[j] = p[j - 1]; p[j - 1] = t }
	}
	{
		csv_split($0, f); out = ""
		for (i = 1; i <= n; i++) {
			v = f[p[i]]
			if (v ~ /[",]/) { gsub(/"/, "\"\"", v); v = "\"" v "\"" }
			out = out (i > 1 ? "," : "") v
		}
		print out
	}' "$1"
}

# sealed FILE: write $output (a stream) to FILE; it must pass a stage's
# seal check. $output and $stderr are left as they were.
sealed() {
	printf '%s\n' "$output" > "$1"
	passthru "$1" > "$1.passthru" 2> "$1.passthru.err" ||
		fail "passthru refused $1: $(cat "$1.passthru.err")"
	assert_equal "$(grep -c '^<record ' "$1")" "$(grep -c '^<record ' "$1.passthru")"
}

# summary BATCH IN OK REJECTED: stderr is exactly ingest's summary line
summary() {
	[[ $stderr =~ ^ingest:\ $1:\ $2\ in,\ $3\ ok,\ $4\ rejected,\ 0\ held,\ [0-9]+\.[0-9]\ s$ ]] ||
		fail "stderr is not the summary '$1: $2 in, $3 ok, $4 rejected': $stderr"
}

# file_error FILE CODE TEXT...: ingest refuses FILE with CODE, an empty
# stdout, and a message containing every TEXT
file_error() {
	local file=$1 code=$2 text
	shift 2
	run "-$code" --separate-stderr ingest -b B-T "$file"
	assert_output ''
	for text in "$@"; do
		[[ $stderr == *"$text"* ]] || fail "stderr lacks '$text': $stderr"
	done
}

records() { grep '^<record ' "$1"; }
steps() { grep -o '<step [^>]*>[^<]*</step>' "$1"; }

@test "a generated file round-trips: one ok record per row, values as in the CSV" {
	"$GEN" applications 20 > apps.csv
	run -0 --separate-stderr ingest -b B-GEN apps.csv
	summary B-GEN 20 20 0
	sealed apps.xml
	assert_equal "$(sed -n 1p apps.xml)" '<?xml version="1.0" encoding="UTF-8"?>'
	assert_equal "$(sed -n 2p apps.xml)" '<batch xmlns="urn:impass:batch:1" id="B-GEN" kind="application">'
	assert_equal "$(tail -n 1 apps.xml)" '</batch>'
	assert_equal "$(wc -l < apps.xml)" 24
	assert_equal "$(records apps.xml | grep -c ' status="ok"><application>')" 20
	diff <(tail -n +2 apps.csv | cut -d, -f1) <(records apps.xml | sed 's/^[^>]* id="\([^"]*\)".*/\1/')
	diff <(seq 2 21 | sed 's/.*/<step stage="ingest" result="ok" code="INGEST_OK">read from apps.csv line &<\/step>/') \
		<(steps apps.xml)
	# every value comes back: inspect's CSV export less status, code, reason
	run -0 --separate-stderr inspect --csv apps.xml
	diff <(cut -d, -f1,5- <<< "$output") apps.csv
	seal=$(grep '^<seal ' apps.xml)
	assert_equal "$(attr "$seal" stage)" ingest
	assert_equal "$(attr "$seal" signer)" "$STAGE_FPR"
	assert_equal "$(attr "$seal" count)" 20
	assert_equal "$(attr "$seal" root)" "sha256:$(ind_root apps.xml)"
	run -0 --separate-stderr inspect apps.xml
	assert_line --partial "seal        good: ingest by $STAGE_FPR (Night stage key)"
}

@test "a one-row CSV becomes exactly this stream and record line" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=ISB-2026-0000042 office=ISB category=urgent passport_type=ordinary \
			surname=QURESHI given_names=AYESHA "father_name=TARIQ MEHMOOD QURESHI" sex=F \
			date_of_birth=1991-03-14 place_of_birth=RAWALPINDI cnic=37405-1234567-2 \
			nationality=PAK validity_years=10 pages=72 delivery_office=ISB-G9 \
			delivery_mode=courier 'address="House 12, Street 5, F-7/2, Islamabad"' \
			phone=+923001234567 photo_sha256=$PHOTO fee_receipt=260001234567 fee_amount=9000 \
			applied_on=2026-11-20
	} > one.csv
	run -0 --separate-stderr ingest -b B-ONE one.csv
	summary B-ONE 1 1 0
	sealed one.xml
	assert_equal "$(wc -l < one.xml)" 5
	assert_line --index 0 '<?xml version="1.0" encoding="UTF-8"?>'
	assert_line --index 1 '<batch xmlns="urn:impass:batch:1" id="B-ONE" kind="application">'
	assert_line --index 2 "$R"' id="ISB-2026-0000042" status="ok"><application><tracking_id>ISB-2026-0000042</tracking_id><office>ISB</office><category>urgent</category><passport_type>ordinary</passport_type><surname>QURESHI</surname><given_names>AYESHA</given_names><father_name>TARIQ MEHMOOD QURESHI</father_name><sex>F</sex><date_of_birth>1991-03-14</date_of_birth><place_of_birth>RAWALPINDI</place_of_birth><cnic>37405-1234567-2</cnic><nationality>PAK</nationality><validity_years>10</validity_years><pages>72</pages><delivery_office>ISB-G9</delivery_office><delivery_mode>courier</delivery_mode><address>House 12, Street 5, F-7/2, Islamabad</address><phone>+923001234567</phone><photo_sha256>'$PHOTO'</photo_sha256><fee_receipt>260001234567</fee_receipt><fee_amount>9000</fee_amount><applied_on>2026-11-20</applied_on></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from one.csv line 2</step></trail></record>'
	assert_line --index 3 --regexp '^<seal stage="ingest" count="1" root="sha256:[0-9a-f]{64}" signer="'"$STAGE_FPR"'" created="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z">[A-Za-z0-9+/=]+</seal>$'
	assert_line --index 4 '</batch>'
}

@test "columns in another order give the same records" {
	"$GEN" applications 12 > plain.csv
	sort_columns plain.csv > shuffled.csv
	[ "$(head -n 1 shuffled.csv)" != "$APP_HEADER" ]
	assert_equal "$(head -n 1 shuffled.csv | cut -d, -f1-3)" address,applied_on,category
	run -0 --separate-stderr ingest -b B-T plain.csv
	sealed plain.xml
	run -0 --separate-stderr ingest -b B-T shuffled.csv
	summary B-T 12 12 0
	sealed shuffled.xml
	diff <(records plain.xml) <(records shuffled.xml | sed 's/read from shuffled.csv line/read from plain.csv line/')
}

@test "header names may have surrounding spaces and quotes, and a UTF-8 BOM is ignored" {
	{
		printf '\xef\xbb\xbf "tracking_id" ,  office,'
		echo "${APP_HEADER#tracking_id,office,}"
		app_row tracking_id=T-1 office=ISB
	} > bom.csv
	run -0 --separate-stderr ingest -b B-T bom.csv
	summary B-T 1 1 0
	sealed bom.xml
	assert_equal "$(records bom.xml)" "$R"' id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><office>ISB</office></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from bom.csv line 2</step></trail></record>'
}

@test "quoted values keep commas, doubled quotes and CRLF; a row's line is where it starts" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 'surname="KHAN, JR"' 'address="Flat 3, Block ""B""' | tr -d '\n'
		printf '\nG-9/4, Islamabad",,,,,\n'
		app_row tracking_id=T-2 'father_name="ALI ""PAPPU"" KHAN"' 'phone="0300,1234567"'
	} | sed 's/$/\r/' > crlf.csv
	assert_equal "$(wc -l < crlf.csv)" 4
	run -0 --separate-stderr ingest -b B-T crlf.csv
	summary B-T 2 2 0
	sealed crlf.xml
	run -0 records crlf.xml
	assert_output - <<-EOF
	$R id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><surname>KHAN, JR</surname><address>Flat 3, Block "B" G-9/4, Islamabad</address></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from crlf.csv line 2</step></trail></record>
	$R id="T-2" status="ok"><application><tracking_id>T-2</tracking_id><father_name>ALI "PAPPU" KHAN</father_name><phone>0300,1234567</phone></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from crlf.csv line 4</step></trail></record>
	EOF
}

@test "runs of CR, LF and TAB inside a value become one space, nothing else changes" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 $'surname="\tKHAN\t"' $'given_names=ALI\t\tRAZA' \
			$'address="a\r\n\t\r\nb\tc\n\nd\re"' $'place_of_birth="x\r\n y"'
	} > ws.csv
	run -0 --separate-stderr ingest -b B-T ws.csv
	summary B-T 1 1 0
	sealed ws.xml
	assert_equal "$(records ws.xml)" "$R"' id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><surname> KHAN </surname><given_names>ALI RAZA</given_names><place_of_birth>x  y</place_of_birth><address>a b c d e</address></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from ws.csv line 2</step></trail></record>'
}

@test "apostrophes, diacritics, other scripts, case, spaces and dashes are kept as given" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 "surname=D'SOUZA" 'given_names=" Zoë  MÜLLER "' \
			"father_name=Ḥasan ibn ʿAlī" 'place_of_birth=خان پور' cnic=35202-1234567-1 \
			sex=m nationality=pak 'phone=+92 (300) 123-4567'
	} > names.csv
	run -0 --separate-stderr ingest -b B-T names.csv
	summary B-T 1 1 0
	sealed names.xml
	assert_equal "$(records names.xml)" "$R"' id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><surname>D'"'"'SOUZA</surname><given_names> Zoë  MÜLLER </given_names><father_name>Ḥasan ibn ʿAlī</father_name><sex>m</sex><place_of_birth>خان پور</place_of_birth><cnic>35202-1234567-1</cnic><nationality>pak</nationality><phone>+92 (300) 123-4567</phone></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from names.csv line 2</step></trail></record>'
}

@test "XML special characters are escaped in values, the record id and the step sentence" {
	{
		echo "$APP_HEADER"
		app_row 'tracking_id="A&B""<1>"' 'surname=SMITH & SONS <LTD>' 'address="a > b, c < d & e"'
	} > 'a&b<c>.csv'
	run -0 --separate-stderr ingest -b B-T 'a&b<c>.csv'
	summary B-T 1 1 0
	sealed amp.xml
	line=$(records amp.xml)
	assert_equal "$line" "$R"' id="A&amp;B&quot;&lt;1&gt;" status="ok"><application><tracking_id>A&amp;B"&lt;1&gt;</tracking_id><surname>SMITH &amp; SONS &lt;LTD&gt;</surname><address>a &gt; b, c &lt; d &amp; e</address></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from a&amp;b&lt;c&gt;.csv line 2</step></trail></record>'
	xmllint --noout - <<< "$line"
	run -0 --separate-stderr inspect --record 'A&B"<1>' amp.xml
	assert_line --partial 'SMITH & SONS <LTD>'
}

# ---- file-level errors: exit 65, nothing on stdout -------------------------------

@test "an unknown header column refuses the file, naming it and its column" {
	echo "$APP_HEADER,nickname" > x.csv
	app_row tracking_id=T-1 | sed 's/$/,ALI/' >> x.csv
	file_error x.csv 65 "x.csv line 1: unknown column 'nickname' (column 24)"
}

@test "a column named twice refuses the file" {
	echo "$APP_HEADER, office" > x.csv
	app_row tracking_id=T-1 | sed 's/$/,ISB/' >> x.csv
	file_error x.csv 65 "x.csv line 1: column 'office' appears twice (columns 2 and 24)"
}

@test "a missing required column refuses the file, naming the column" {
	echo "${APP_HEADER/,cnic/}" > x.csv
	echo "T-1,,,,,,,,,,,,,,,,,,,,," >> x.csv
	file_error x.csv 65 "x.csv line 1: required column 'cnic' is missing"
}

@test "malformed quoting refuses the file, naming line and column" {
	echo "$APP_HEADER" > x.csv
	app_row tracking_id=T-1 'office=IS"B' >> x.csv
	file_error x.csv 65 "x.csv line 2" "malformed quoting"
	[[ $stderr == *"column 2"* || $stderr == *"field 2"* || $stderr == *"column office"* ]] ||
		fail "the message does not name the column: $stderr"
	echo "$APP_HEADER" > y.csv
	app_row tracking_id=T-1 'surname="KHAN"JR' >> y.csv
	file_error y.csv 65 "y.csv line 2" "malformed quoting"
}

@test "a quote never closed refuses the file, naming the line it opened on" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 'address="Flat 3'
		app_row tracking_id=T-2
	} > x.csv
	file_error x.csv 65 "x.csv" "line 2" "is never closed"
	[[ $stderr == *"column 18"* || $stderr == *"field 18"* || $stderr == *"column address"* ]] ||
		fail "the message does not name the column: $stderr"
}

@test "invalid UTF-8 refuses the file, naming line and field" {
	{
		echo "$APP_HEADER"
		printf 'T-1,ISB,,,M\xfcller,,,,,,,,,,,,,,,,,,\n'
	} > latin1.csv
	file_error latin1.csv 65 "latin1.csv line 2, field 5: invalid UTF-8"
	{ printf '\xff\xfe'; echo "$APP_HEADER" | iconv -f UTF-8 -t UTF-16LE; } > utf16.csv
	file_error utf16.csv 65 "utf16.csv line 1" "invalid UTF-8"
	# an overlong form and a surrogate are not UTF-8 either
	{ echo "$APP_HEADER"; printf 'T-1,\xc0\xaf,,,,,,,,,,,,,,,,,,,,,\n'; } > overlong.csv
	file_error overlong.csv 65 "overlong.csv line 2, field 2: invalid UTF-8"
	{ echo "$APP_HEADER"; printf 'T-1,\xed\xa0\x80,,,,,,,,,,,,,,,,,,,,,\n'; } > surrogate.csv
	file_error surrogate.csv 65 "surrogate.csv line 2, field 2: invalid UTF-8"
}

@test "a physical line over 1 MiB refuses the file; exactly 1 MiB is a row" {
	{
		echo "$APP_HEADER"
		printf 'T-1,%s,,,,,,,,,,,,,,,,,,,,,\n' "$(head -c $((1048576 - 26)) /dev/zero | tr '\0' A)"
	} > max.csv
	assert_equal "$(sed -n 2p max.csv | tr -d '\n' | wc -c)" 1048576
	run -0 --separate-stderr ingest -b B-T max.csv
	summary B-T 1 0 1
	sed 's/,A/,AA/' max.csv > over.csv
	file_error over.csv 65 "over.csv line 2: longer than 1 MiB"
}

@test "a file of blank lines has no header row and is refused" {
	printf '\n\r\n\n' > blank.csv
	file_error blank.csv 65 "blank.csv is empty: no header row"
	printf '\xef\xbb\xbf' > bom.csv
	file_error bom.csv 65 "bom.csv is empty: no header row"
}

@test "an empty (0-byte) file, gzip or stdin has no header row and is refused with 65" {
	: > empty.csv
	file_error empty.csv 65 "empty.csv is empty: no header row"
	: | gzip > empty.csv.gz
	file_error empty.csv.gz 65 "empty.csv.gz is empty: no header row"
	run -65 --separate-stderr ingest -b B-T < /dev/null
	assert_output ''
	[[ $stderr == *"standard input is empty: no header row"* ]] || fail "stderr: $stderr"
}

@test "a file error after good rows leaves no seal, so no later stage takes the output" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1
		app_row tracking_id=T-2 'office=IS"B'
	} > late.csv
	run -65 --separate-stderr ingest -b B-T late.csv
	[[ $stderr == *"late.csv line 3"*"malformed quoting"* ]] || fail "stderr: $stderr"
	printf '%s\n' "$output" > late.xml
	run -0 grep -c '^<seal ' late.xml
	assert_output 0
	run -65 --separate-stderr passthru late.xml
	assert_output ''
}

# ---- row-level problems: a rejected record, never dropped -------------------------

@test "a row with too few or too many fields is rejected with INGEST_FIELD_COUNT" {
	{
		echo "$APP_HEADER"
		echo "T-1,ISB"
		app_row tracking_id=T-2 office=LHR | sed 's/$/,extra/'
	} > count.csv
	run -0 --separate-stderr ingest -b B-T count.csv
	summary B-T 2 0 2
	sealed count.xml
	run -0 records count.xml
	assert_output - <<-EOF
	$R id="T-1" status="rejected"><application><tracking_id>T-1</tracking_id><office>ISB</office></application><trail><step stage="ingest" result="rejected" code="INGEST_FIELD_COUNT">count.csv line 2 has 2 fields where the header has 23, so values may be in the wrong columns; correct the row and submit it again</step></trail></record>
	$R id="T-2" status="rejected"><application><tracking_id>T-2</tracking_id><office>LHR</office></application><trail><step stage="ingest" result="rejected" code="INGEST_FIELD_COUNT">count.csv line 3 has 24 fields where the header has 23, so values may be in the wrong columns; correct the row and submit it again</step></trail></record>
	EOF
}

@test "a control character (C0, DEL, C1) rejects the row with INGEST_CONTROL_CHAR, shown as U+FFFD" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 $'office=IS\x01B'
		app_row tracking_id=T-2 $'given_names=\x1b[31mALI'
		app_row tracking_id=T-3 $'surname=KHAN\x7f'
		app_row tracking_id=T-4 $'father_name="A\xc2\x85B"'
		app_row tracking_id=T-5 $'address=\xc2\x80'
		app_row tracking_id=T-6 $'surname=OK' $'phone=\x0c0300'
	} > ctl.csv
	run -0 --separate-stderr ingest -b B-T ctl.csv
	summary B-T 6 0 6
	sealed ctl.xml
	assert_equal "$(records ctl.xml | sed -n 1p)" "$R"' id="T-1" status="rejected"><application><tracking_id>T-1</tracking_id><office>IS�B</office></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 2, column office: a control character at character 3 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>'
	run -0 steps ctl.xml
	assert_output - <<-'EOF'
	<step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 2, column office: a control character at character 3 (shown as U+FFFD); correct the value and submit the row again</step>
	<step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 3, column given_names: a control character at character 1 (shown as U+FFFD); correct the value and submit the row again</step>
	<step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 4, column surname: a control character at character 5 (shown as U+FFFD); correct the value and submit the row again</step>
	<step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 5, column father_name: a control character at character 2 (shown as U+FFFD); correct the value and submit the row again</step>
	<step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 6, column address: a control character at character 1 (shown as U+FFFD); correct the value and submit the row again</step>
	<step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 7, column phone: a control character at character 1 (shown as U+FFFD); correct the value and submit the row again</step>
	EOF
	run -0 grep -o '<given_names>[^<]*</given_names>\|<surname>[^<]*</surname>\|<father_name>[^<]*</father_name>\|<address>[^<]*</address>\|<phone>[^<]*</phone>' ctl.xml
	assert_output - <<-'EOF'
	<given_names>�[31mALI</given_names>
	<surname>KHAN�</surname>
	<father_name>A�B</father_name>
	<address>�</address>
	<surname>OK</surname>
	<phone>�0300</phone>
	EOF
}

@test "a NUL byte in a value rejects the row with INGEST_CONTROL_CHAR" {
	{
		echo "$APP_HEADER"
		printf 'T-1,,,,KH\0AN,,,,,,,,,,,,,,,,,,\n'
		app_row tracking_id=T-2
	} > nul.csv
	run -0 --separate-stderr ingest -b B-T nul.csv
	summary B-T 2 1 1
	sealed nul.xml
	assert_equal "$(records nul.xml | sed -n 1p)" "$R"' id="T-1" status="rejected"><application><tracking_id>T-1</tracking_id><surname>KH�AN</surname></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">nul.csv line 2, column surname: a control character at character 3 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>'
	assert_equal "$(records nul.xml | sed -n 2p)" "$R"' id="T-2" status="ok"><application><tracking_id>T-2</tracking_id></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from nul.csv line 3</step></trail></record>'
}

@test "a value over 4096 bytes is left out and rejects the row with INGEST_FIELD_TOO_LONG" {
	a4096=$(head -c 4096 /dev/zero | tr '\0' A)
	u4096=$(for i in $(seq 2048); do printf 'Ü'; done)
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 office=ISB "address=${a4096}A"
		app_row tracking_id=T-2 "address=$a4096"
		app_row tracking_id=T-3 "surname=$u4096"
	} > long.csv
	run -0 --separate-stderr ingest -b B-T long.csv
	summary B-T 3 2 1
	sealed long.xml
	assert_equal "$(records long.xml | sed -n 1p)" "$R"' id="T-1" status="rejected"><application><tracking_id>T-1</tracking_id><office>ISB</office></application><trail><step stage="ingest" result="rejected" code="INGEST_FIELD_TOO_LONG">long.csv line 2, column address: the value is longer than 4096 bytes and was left out; correct it and submit the row again</step></trail></record>'
	assert_equal "$(records long.xml | sed -n 2p)" "$R"' id="T-2" status="ok"><application><tracking_id>T-2</tracking_id><address>'"$a4096"'</address></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from long.csv line 3</step></trail></record>'
	assert_equal "$(records long.xml | sed -n 3p)" "$R"' id="T-3" status="ok"><application><tracking_id>T-3</tracking_id><surname>'"$u4096"'</surname></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from long.csv line 4</step></trail></record>'
}

@test "an empty tracking_id rejects the row as INGEST_NO_ID, named line-N for the line it starts on" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 'address="two' | tr -d '\n'
		printf '\nlines",,,,,\n'
		app_row office=ISB surname=KHAN
		app_row
	} > noid.csv
	run -0 --separate-stderr ingest -b B-T noid.csv
	summary B-T 3 1 2
	sealed noid.xml
	run -0 records noid.xml
	assert_output - <<-EOF
	$R id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><address>two lines</address></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from noid.csv line 2</step></trail></record>
	$R id="line-4" status="rejected"><application><office>ISB</office><surname>KHAN</surname></application><trail><step stage="ingest" result="rejected" code="INGEST_NO_ID">noid.csv line 4: tracking_id is empty, so the record is named line-4; give the application its tracking id and submit it again</step></trail></record>
	$R id="line-5" status="rejected"><application></application><trail><step stage="ingest" result="rejected" code="INGEST_NO_ID">noid.csv line 5: tracking_id is empty, so the record is named line-5; give the application its tracking id and submit it again</step></trail></record>
	EOF
}

@test "blank lines make no record but still count as lines" {
	{
		printf '\n'
		echo "$APP_HEADER"
		printf '\n\n'
		app_row tracking_id=T-1
		printf '\r\n'
		app_row tracking_id=T-2
		printf '\n'
	} > blanks.csv
	run -0 --separate-stderr ingest -b B-T blanks.csv
	summary B-T 2 2 0
	sealed blanks.xml
	run -0 steps blanks.xml
	assert_output - <<-'EOF'
	<step stage="ingest" result="ok" code="INGEST_OK">read from blanks.csv line 5</step>
	<step stage="ingest" result="ok" code="INGEST_OK">read from blanks.csv line 7</step>
	EOF
}

@test "a CR-only (old Mac) file gives every row its own true line number" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1
		app_row tracking_id=T-2
		app_row office=ISB
		app_row office=LHR
	} | tr '\n' '\r' > mac.csv
	run -0 --separate-stderr ingest -b B-T mac.csv
	summary B-T 4 2 2
	sealed mac.xml
	run -0 steps mac.xml
	assert_output - <<-'EOF'
	<step stage="ingest" result="ok" code="INGEST_OK">read from mac.csv line 2</step>
	<step stage="ingest" result="ok" code="INGEST_OK">read from mac.csv line 3</step>
	<step stage="ingest" result="rejected" code="INGEST_NO_ID">mac.csv line 4: tracking_id is empty, so the record is named line-4; give the application its tracking id and submit it again</step>
	<step stage="ingest" result="rejected" code="INGEST_NO_ID">mac.csv line 5: tracking_id is empty, so the record is named line-5; give the application its tracking id and submit it again</step>
	EOF
}

@test "rejected rows are never dropped: records = data rows, in = ok + rejected" {
	{
		echo "$APP_HEADER"                                             # 1
		app_row tracking_id=T-1 office=ISB                              # 2
		echo "T-2,ISB"                                                  # 3
		app_row tracking_id=T-3 $'surname=KH\x01AN'                     # 4
		echo                                                            # 5
		app_row office=ISB                                              # 6
		app_row tracking_id=T-5 "surname=$(head -c 5000 /dev/zero | tr '\0' B)"   # 7
		app_row tracking_id=T-6 'address="Flat 3' | tr -d '\n'          # 8
		printf '\nG-9/4"\n'                                             # 9
		printf 'T-7,\0,,,,,,,,,,,,,,,,,,,,,\n'                          # 10
		app_row tracking_id=T-8                                         # 11
	} > mixed.csv
	run -0 --separate-stderr ingest -b B-MIX mixed.csv
	summary B-MIX 8 3 5
	sealed mixed.xml
	run -0 bash -c "grep '^<record ' mixed.xml | sed 's/^[^>]* id=\"\\([^\"]*\\)\" status=\"\\([a-z]*\\)\".*code=\"\\([A-Z_]*\\)\">[^<]*line \\([0-9]*\\).*/\\1 \\2 \\3 \\4/'"
	assert_output - <<-'EOF'
	T-1 ok INGEST_OK 2
	T-2 rejected INGEST_FIELD_COUNT 3
	T-3 rejected INGEST_CONTROL_CHAR 4
	line-6 rejected INGEST_NO_ID 6
	T-5 rejected INGEST_FIELD_TOO_LONG 7
	T-6 ok INGEST_OK 8
	T-7 rejected INGEST_CONTROL_CHAR 10
	T-8 ok INGEST_OK 11
	EOF
	assert_equal "$(attr "$(grep '^<seal ' mixed.xml)" count)" 8
	run -0 --separate-stderr inspect mixed.xml
	assert_line 'records     8 (ok 3, held 0, rejected 5)'
}

# ---- citizenship registers (SPEC 5.3) ------------------------------------------

@test "citizenship rows become certificates with register and number, ids REGISTER-NNNNNN" {
	{
		echo "$CIT_HEADER"
		echo "PCC,PCC/1998/00417,14.08.1998,JOHN D'SOUZA,PETER D'SOUZA,03/04/61,GOA,,INDIA,INDIA,,\"Typed from page 12, entry 3\""
		echo "NC,NC/2004/00012,2004-01-05,ANNA MÜLLER,HANS MÜLLER,1970,HAMBURG,4220112345672,GERMANY,GERMANY,Berlin,"
		echo "RC,RC/2011/00077,14-Aug-2011,ZUBAIR HUSSAIN,MUHAMMAD RAFIQ HUSSAIN,12.09.1986,KARACHI,42105-4238833-9,PAKISTAN,GERMANY,Berlin,A & B"
		echo "pcc,PCC/1999/1,,ALI,,,,,,,,"
		echo
		echo " RC,RC/2000/5,,,,,,,,,,"
		echo ",,,,,,,,,,,"
	} > reg.csv
	run -0 --separate-stderr ingest -k citizenship -b B-CIT reg.csv
	summary B-CIT 6 6 0
	sealed reg.xml
	assert_equal "$(sed -n 2p reg.xml)" '<batch xmlns="urn:impass:batch:1" id="B-CIT" kind="citizenship">'
	run -0 records reg.xml
	assert_output - <<-EOF
	$R id="PCC-000001" status="ok"><certificate register="PCC" number="PCC/1998/00417"><issued_on>14.08.1998</issued_on><name>JOHN D'SOUZA</name><father_name>PETER D'SOUZA</father_name><date_of_birth>03/04/61</date_of_birth><place_of_birth>GOA</place_of_birth><previous_nationality>INDIA</previous_nationality><country>INDIA</country><remarks>Typed from page 12, entry 3</remarks></certificate><trail><step stage="ingest" result="ok" code="INGEST_OK">read from reg.csv line 2</step></trail></record>
	$R id="NC-000002" status="ok"><certificate register="NC" number="NC/2004/00012"><issued_on>2004-01-05</issued_on><name>ANNA MÜLLER</name><father_name>HANS MÜLLER</father_name><date_of_birth>1970</date_of_birth><place_of_birth>HAMBURG</place_of_birth><cnic>4220112345672</cnic><previous_nationality>GERMANY</previous_nationality><country>GERMANY</country><mission>Berlin</mission></certificate><trail><step stage="ingest" result="ok" code="INGEST_OK">read from reg.csv line 3</step></trail></record>
	$R id="RC-000003" status="ok"><certificate register="RC" number="RC/2011/00077"><issued_on>14-Aug-2011</issued_on><name>ZUBAIR HUSSAIN</name><father_name>MUHAMMAD RAFIQ HUSSAIN</father_name><date_of_birth>12.09.1986</date_of_birth><place_of_birth>KARACHI</place_of_birth><cnic>42105-4238833-9</cnic><previous_nationality>PAKISTAN</previous_nationality><country>GERMANY</country><mission>Berlin</mission><remarks>A &amp; B</remarks></certificate><trail><step stage="ingest" result="ok" code="INGEST_OK">read from reg.csv line 4</step></trail></record>
	$R id="X-000004" status="ok"><certificate register="pcc" number="PCC/1999/1"><name>ALI</name></certificate><trail><step stage="ingest" result="ok" code="INGEST_OK">read from reg.csv line 5</step></trail></record>
	$R id="X-000005" status="ok"><certificate register=" RC" number="RC/2000/5"></certificate><trail><step stage="ingest" result="ok" code="INGEST_OK">read from reg.csv line 7</step></trail></record>
	$R id="X-000006" status="ok"><certificate></certificate><trail><step stage="ingest" result="ok" code="INGEST_OK">read from reg.csv line 8</step></trail></record>
	EOF
	run -0 --separate-stderr inspect reg.xml
	assert_line --partial "seal        good: ingest by $STAGE_FPR (Night stage key)"
}

@test "a generated register round-trips, in any column order" {
	"$GEN" registers 15 > reg.csv
	run -0 --separate-stderr ingest --kind citizenship -b B-CIT reg.csv
	summary B-CIT 15 15 0
	sealed reg.xml
	diff <(tail -n +2 reg.csv | awk -F, '{ printf "%s-%06d %s %s\n", $1, NR, $1, $2 }') \
		<(records reg.xml | sed 's/^[^>]* id="\([^"]*\)" status="ok"><certificate register="\([^"]*\)" number="\([^"]*\)">.*/\1 \2 \3/')
	diff <(seq 2 16 | sed 's/.*/<step stage="ingest" result="ok" code="INGEST_OK">read from reg.csv line &<\/step>/') \
		<(steps reg.xml)
	sort_columns reg.csv > sorted.csv
	assert_equal "$(head -n 1 sorted.csv | cut -d, -f1-3)" certificate_no,cnic,country
	run -0 --separate-stderr ingest --kind citizenship -b B-CIT sorted.csv
	sealed sorted.xml
	diff <(records reg.xml) <(records sorted.xml | sed 's/read from sorted.csv line/read from reg.csv line/')
}

@test "an applications file read as citizenship, or a register as applications, is refused" {
	"$GEN" applications 2 > apps.csv
	run -65 --separate-stderr ingest -k citizenship -b B-T apps.csv
	assert_output ''
	[[ $stderr == *"apps.csv line 1: unknown column 'tracking_id' (column 1)"* ]] || fail "stderr: $stderr"
	"$GEN" registers 2 > reg.csv
	file_error reg.csv 65 "reg.csv line 1: unknown column 'register' (column 1)"
}

# ---- compressed input and archives -------------------------------------------

# two members: a.csv (2 rows) and b.csv (3 rows, columns in another order),
# and want.ARCHIVE: the records they must give, read from ARCHIVE
members() {
	"$GEN" applications 2 > a.csv
	"$GEN" --from 2 applications 3 > b0.csv
	sort_columns b0.csv > b.csv
	run -0 --separate-stderr ingest -b B-T a.csv
	records <(printf '%s\n' "$output") > want.a
	run -0 --separate-stderr ingest -b B-T b.csv
	records <(printf '%s\n' "$output") > want.b
}

# archive_reads ARCHIVE: ingest ARCHIVE gives the records of both members,
# each named ARCHIVE:MEMBER
archive_reads() {
	run -0 --separate-stderr ingest -b B-ARC "$1"
	summary B-ARC 5 5 0
	sealed "$1.xml"
	diff <(sed "s|read from \\([ab]\\).csv line|read from $1:\\1.csv line|" want.a want.b) <(records "$1.xml")
	run -0 grep -o 'read from [^<]*' "$1.xml"
	assert_output - <<-EOF
	read from $1:a.csv line 2
	read from $1:a.csv line 3
	read from $1:b.csv line 2
	read from $1:b.csv line 3
	read from $1:b.csv line 4
	EOF
}

@test "a gzip'd CSV gives the same records as the plain file" {
	"$GEN" applications 6 > apps.csv
	run -0 --separate-stderr ingest -b B-T apps.csv
	sealed plain.xml
	gzip -k apps.csv
	run -0 --separate-stderr ingest -b B-T apps.csv.gz
	summary B-T 6 6 0
	sealed gz.xml
	diff <(records plain.xml | sed 's/read from apps.csv line/read from apps.csv.gz line/') <(records gz.xml)
}

@test "a zip of two CSV files: each member has its own header, steps name ZIP:MEMBER" {
	members
	bsdtar -a -cf two.zip a.csv b.csv
	archive_reads two.zip
}

@test "a tar.gz and a plain tar of two CSV files are read member by member" {
	members
	tar czf two.tar.gz a.csv b.csv
	archive_reads two.tar.gz
	tar cf two.tar a.csv b.csv
	archive_reads two.tar
}

@test "citizenship ids count rows across archive members" {
	printf '%s\nPCC,P/1,,,,,,,,,,\nRC,R/2,,,,,,,,,,\n' "$CIT_HEADER" > r1.csv
	printf 'certificate_no,%s\nN/3,NC,,,,,,,,,,\n' "${CIT_HEADER/register,certificate_no,/}" | sed '1s/$/,register/; 1s/^certificate_no,//; 1s/^/certificate_no,/' > r2.csv
	printf 'certificate_no,register,%s\nN/3,NC,,,,,,,,,,\n' "${CIT_HEADER#register,certificate_no,}" > r2.csv
	bsdtar -a -cf regs.zip r1.csv r2.csv
	run -0 --separate-stderr ingest -k citizenship -b B-T regs.zip
	summary B-T 3 3 0
	sealed regs.xml
	run -0 bash -c "grep '^<record ' regs.xml | sed 's/^[^>]* id=\"\\([^\"]*\\)\".*number=\"\\([^\"]*\\)\".*read from \\([^<]*\\)<.*/\\1 \\2 \\3/'"
	assert_output - <<-'EOF'
	PCC-000001 P/1 regs.zip:r1.csv line 2
	RC-000002 R/2 regs.zip:r1.csv line 3
	NC-000003 N/3 regs.zip:r2.csv line 2
	EOF
}

@test "an archive member that is not a .csv file refuses the archive" {
	members
	echo "notes" > notes.txt
	bsdtar -a -cf notes.zip notes.txt a.csv
	file_error notes.zip 65 "notes.zip:notes.txt is not a .csv file"
	gzip -k a.csv
	tar cf gz.tar a.csv.gz
	file_error gz.tar 65 "gz.tar:a.csv.gz is not a .csv file"
	ln -s a.csv link.csv
	tar cf link.tar link.csv a.csv
	file_error link.tar 65 "link.tar:link.csv is not a .csv file"
	# a bad header in the second member refuses the whole archive too
	echo "$APP_HEADER,nickname" > c.csv
	bsdtar -a -cf bad.zip a.csv c.csv
	run -65 --separate-stderr ingest -b B-T bad.zip
	[[ $stderr == *"bad.zip:c.csv line 1: unknown column 'nickname'"* ]] || fail "stderr: $stderr"
	[ "$(grep -c '^<seal ' <<< "$output")" -eq 0 ]
}

# ---- standard input, batch ids, usage, keys, output errors ----------------------

@test "standard input is read for '-' and for no operand" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; app_row tracking_id=T-2; } > in.csv
	run -0 --separate-stderr ingest -b B-T - < in.csv
	summary B-T 2 2 0
	sealed dash.xml
	run -0 --separate-stderr ingest -b B-T < in.csv
	sealed none.xml
	diff dash.xml.passthru /dev/null > /dev/null || true
	diff <(records dash.xml) <(records none.xml)
	run -0 steps dash.xml
	assert_output - <<-'EOF'
	<step stage="ingest" result="ok" code="INGEST_OK">read from standard input line 2</step>
	<step stage="ingest" result="ok" code="INGEST_OK">read from standard input line 3</step>
	EOF
	gzip -c in.csv > in.csv.gz
	run -0 --separate-stderr ingest -b B-T < in.csv.gz
	diff <(records dash.xml) <(printf '%s\n' "$output" | grep '^<record ')
}

@test "without -b the batch is B-YYYYMMDD-NN, counted per day in the spool's batch.seq (0600)" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	today=$(date +%Y%m%d)
	[ ! -e batch.seq ]
	run -0 --separate-stderr ingest one.csv
	summary "B-$today-01" 1 1 0
	sealed first.xml
	assert_equal "$(sed -n 2p first.xml)" "<batch xmlns=\"urn:impass:batch:1\" id=\"B-$today-01\" kind=\"application\">"
	run -0 --separate-stderr ingest one.csv
	summary "B-$today-02" 1 1 0
	sealed second.xml
	assert_equal "$(cat batch.seq)" "$today 2"
	assert_equal "$(stat -c %a batch.seq)" 600
	# another day's counter starts again at 01; --spool names another spool
	echo "20200101 7" > batch.seq
	run -0 --separate-stderr ingest one.csv
	assert_line --index 1 "<batch xmlns=\"urn:impass:batch:1\" id=\"B-$today-01\" kind=\"application\">"
	mkdir other
	run -0 --separate-stderr ingest --spool other one.csv
	summary "B-$today-01" 1 1 0
	assert_equal "$(cat other/batch.seq)" "$today 1"
	assert_equal "$(cat batch.seq)" "$today 1"
}

@test "without -b, a spool where the counter cannot be kept is refused with 73 naming --batch" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	touch not-a-dir
	run -73 --separate-stderr ingest --spool not-a-dir one.csv
	assert_output ''
	[[ $stderr == *"not-a-dir/batch.seq"*"--batch"* ]] || fail "stderr: $stderr"
	IMPASS_SPOOL=$PWD/missing run -73 --separate-stderr ingest one.csv
	assert_output ''
	[[ $stderr == *"--batch"* ]] || fail "stderr: $stderr"
}

@test "a batch id that is not 1-64 of [A-Za-z0-9._-] is a usage error" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	for id in 'B 1' '' 'B/1' 'B-Ü' "$(printf 'B%.0s' {1..65})"; do
		run -64 --separate-stderr ingest -b "$id" one.csv
		assert_output ''
		[[ $stderr == *"is not 1-64 of [A-Za-z0-9._-]"* ]] || fail "stderr for '$id': $stderr"
	done
	id=$(printf 'b%.0s' {1..62}).-
	run -0 --separate-stderr ingest --batch "$id" one.csv
	summary "$id" 1 1 0
	[ ! -e batch.seq ]
}

@test "-h and --help print the usage on stdout and exit 0" {
	run -0 --separate-stderr ingest -h
	assert_output "$USAGE"
	assert_equal "$stderr" ''
	run -0 --separate-stderr ingest --help
	assert_output "$USAGE"
}

@test "a bad option, an unknown or printed kind, or two operands are usage errors (64)" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	for args in "-x one.csv" "--bogus one.csv" "-k" "-k passport one.csv" "--kind printed one.csv" \
		"-k Application one.csv" "one.csv one.csv"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr ingest -b B-T $args
		assert_output ''
		[[ $stderr == *"usage: ingest"* ]] || fail "stderr for '$args': $stderr"
	done
	run -64 --separate-stderr ingest --kind printed one.csv
	[[ $stderr == *"kind 'printed' unknown"* ]] || fail "stderr: $stderr"
}

@test "no signer, or one that may not seal or has no secret key: nothing written, before the input is read" {
	IMPASS_SIGNER= run -64 --separate-stderr ingest /nonexistent
	assert_output ''
	[[ $stderr == *"no signing key: pass --signer FINGERPRINT or set IMPASS_SIGNER"* ]] || fail "stderr: $stderr"
	IMPASS_SIGNER=$APPROVER_FPR run -77 --separate-stderr ingest /nonexistent
	assert_output ''
	[[ $stderr == *"may not seal stage ingest: that needs the stage role"* ]] || fail "stderr: $stderr"
	run -77 --separate-stderr ingest -s "$OTHER_FPR" /nonexistent
	assert_output ''
	[[ $stderr == *"key $OTHER_FPR is not in the trust file"* ]] || fail "stderr: $stderr"
	GNUPGHOME=$KT/k/v run -69 --separate-stderr ingest /nonexistent
	assert_output ''
	[[ $stderr == *"no secret key $STAGE_FPR"* ]] || fail "stderr: $stderr"
	# no batch number was spent on the refused runs
	[ ! -e batch.seq ]
}

@test "a write error on standard output exits 74" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	run -74 --separate-stderr sh -c 'exec ingest -b B-T one.csv > /dev/full'
	[[ $stderr == *"No space left on device"* ]] || fail "stderr: $stderr"
	"$GEN" applications 300 > many.csv
	run -74 --separate-stderr sh -c 'exec ingest -b B-T many.csv > /dev/full'
	[[ $stderr == *"cannot write"* ]] || fail "stderr: $stderr"
}
