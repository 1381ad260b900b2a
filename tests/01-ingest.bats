#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# ingest (SPEC 3, 4, 5): CSV, gzip'd CSV or a zip/tar of CSV files in, the
# first sealed stream out. One record line per data row, fields in SPEC 5
# order, values as given; file errors refuse the file (65), row problems
# reject the row and never drop it. Every stream written must verify.

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
APP_HEADER=${APP_COLUMNS// /,}
CIT_COLUMNS="register certificate_no issued_on name father_name date_of_birth place_of_birth cnic previous_nationality country mission remarks"
CIT_HEADER=${CIT_COLUMNS// /,}
R='<record xmlns="urn:impass:batch:1"'
OK_STEP='<step stage="ingest" result="ok" code="INGEST_OK">'
PHOTO=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
USAGE='usage: ingest [-k application|citizenship] [-b ID] [-s FPR] [-t FILE]
              [--spool DIR] [--allow-empty] [--counts FILE] [FILE|-]'

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
# empty. A CELL is written as given (quote it yourself); @NL@ in it becomes
# a newline, for quoted values that span lines.
app_row() {
	local -A v=()
	local kv c out='' sep=''
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "${out//@NL@/$'\n'}"
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

# sealed FILE: write $output (a stream) to FILE; it must pass the seal check
# of a stage. $output and $stderr are left as they were.
sealed() {
	printf '%s\n' "$output" > "$1"
	passthru "$1" > /dev/null 2> "$1.passthru.err" ||
		fail "passthru refused $1: $(cat "$1.passthru.err")"
}

# summary BATCH IN OK REJECTED: stderr is exactly ingest's summary line
summary() {
	[[ $stderr =~ ^ingest:\ "$1":\ "$2"\ in,\ "$3"\ ok,\ "$4"\ rejected,\ 0\ held,\ [0-9]+\.[0-9]\ s$ ]] ||
		fail "stderr is not the summary '$1: $2 in, $3 ok, $4 rejected': $stderr"
}

# skipped_rows BATCH N: stderr's first line says N rows of empty cells were
# skipped; it is taken off $stderr, leaving the summary
skipped_rows() {
	local rows="$2 rows"
	[ "$2" = 1 ] && rows="1 row"
	assert_equal "${stderr%%$'\n'*}" "ingest: $1: $rows of empty cells skipped (a spreadsheet's rows past the data): no record"
	stderr=${stderr#*$'\n'}
}

# refused CODE TEXT ARGS...: ingest ARGS exits CODE with nothing on stdout
# and a message containing TEXT
refused() {
	local code=$1 text=$2
	shift 2
	run "-$code" --separate-stderr ingest "$@"
	assert_output ''
	[[ $stderr == *"$text"* ]] || fail "stderr lacks '$text': $stderr"
}

steps() { grep -o '<step [^>]*>[^<]*</step>' "$1"; }

@test "a generated file round-trips: one ok record per row, every value as in the CSV" {
	"$GEN" applications 20 > apps.csv
	run -0 --separate-stderr ingest -b B-GEN apps.csv
	summary B-GEN 20 20 0
	sealed apps.xml
	assert_equal "$(wc -l < apps.xml)" 24
	assert_equal "$(records apps.xml | grep -c " status=\"ok\"><application><tracking_id>")" 20
	diff <(tail -n +2 apps.csv | cut -d, -f1) <(records apps.xml | sed 's/^[^>]* id="\([^"]*\)".*/\1/')
	diff <(seq 2 21 | sed "s|.*|${OK_STEP}read from apps.csv line &</step>|") <(steps apps.xml)
	assert_equal "$(attr "$(grep '^<seal ' apps.xml)" count)" 20
	# every value comes back: inspect's CSV export less status, code, reason
	run -0 --separate-stderr inspect --csv apps.xml
	diff <(cut -d, -f1,5- <<< "$output") apps.csv
}

@test "a one-row CSV becomes exactly this stream, sealed by the stage key" {
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
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 '<?xml version="1.0" encoding="UTF-8"?>'
	assert_line --index 1 '<batch xmlns="urn:impass:batch:1" id="B-ONE" kind="application">'
	assert_line --index 2 "$R"' id="ISB-2026-0000042" status="ok"><application><tracking_id>ISB-2026-0000042</tracking_id><office>ISB</office><category>urgent</category><passport_type>ordinary</passport_type><surname>QURESHI</surname><given_names>AYESHA</given_names><father_name>TARIQ MEHMOOD QURESHI</father_name><sex>F</sex><date_of_birth>1991-03-14</date_of_birth><place_of_birth>RAWALPINDI</place_of_birth><cnic>37405-1234567-2</cnic><nationality>PAK</nationality><validity_years>10</validity_years><pages>72</pages><delivery_office>ISB-G9</delivery_office><delivery_mode>courier</delivery_mode><address>House 12, Street 5, F-7/2, Islamabad</address><phone>+923001234567</phone><photo_sha256>'$PHOTO'</photo_sha256><fee_receipt>260001234567</fee_receipt><fee_amount>9000</fee_amount><applied_on>2026-11-20</applied_on></application><trail><step stage="ingest" result="ok" code="INGEST_OK">read from one.csv line 2</step></trail></record>'
	assert_line --index 3 --regexp '^<seal stage="ingest" count="1" root="sha256:'"$(ind_root one.xml)"'" signer="'"$STAGE_FPR"'" created="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z">[A-Za-z0-9+/=]+</seal>$'
	assert_line --index 4 '</batch>'
	run -0 --separate-stderr inspect one.xml
	assert_line --partial "seal        good: ingest by $STAGE_FPR (Night stage key)"
}

@test "columns in any order, header names with spaces or quotes, after a BOM: the same records" {
	"$GEN" applications 12 > plain.csv
	sort_columns plain.csv > sorted.csv
	assert_equal "$(head -n 1 sorted.csv | cut -d, -f1-3)" address,applied_on,category
	sed -i '1s/^address,applied_on,/\xef\xbb\xbf"address",  applied_on ,/' sorted.csv
	run -0 --separate-stderr ingest -b B-T plain.csv
	sealed plain.xml
	run -0 --separate-stderr ingest -b B-T sorted.csv
	summary B-T 12 12 0
	sealed sorted.xml
	diff <(records plain.xml) <(records sorted.xml | sed 's/read from sorted.csv line/read from plain.csv line/')
}

@test "quoted commas, quotes and CRLF are kept; runs of CR, LF and TAB become one space" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 'surname="KHAN, JR"' 'address="Flat 3, Block ""B""@NL@G-9/4, Islamabad"'
		app_row tracking_id=T-2 'father_name="ALI ""PAPPU"" KHAN"' 'phone="0300,1234567"'
		app_row tracking_id=T-3 $'surname="\tKHAN\t"' $'given_names=ALI\t\tRAZA' \
			$'address="a\r\n\t\r\nb\tc\n\nd\re"' $'place_of_birth="x\r\n y"'
	} | sed 's/$/\r/' > crlf.csv
	assert_equal "$(wc -l < crlf.csv)" 10
	run -0 --separate-stderr ingest -b B-T crlf.csv
	summary B-T 3 3 0
	sealed crlf.xml
	run -0 records crlf.xml
	assert_output - <<-EOF
	$R id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><surname>KHAN, JR</surname><address>Flat 3, Block "B" G-9/4, Islamabad</address></application><trail>${OK_STEP}read from crlf.csv line 2</step></trail></record>
	$R id="T-2" status="ok"><application><tracking_id>T-2</tracking_id><father_name>ALI "PAPPU" KHAN</father_name><phone>0300,1234567</phone></application><trail>${OK_STEP}read from crlf.csv line 4</step></trail></record>
	$R id="T-3" status="ok"><application><tracking_id>T-3</tracking_id><surname> KHAN </surname><given_names>ALI RAZA</given_names><place_of_birth>x  y</place_of_birth><address>a b c d e</address></application><trail>${OK_STEP}read from crlf.csv line 5</step></trail></record>
	EOF
}

@test "values are kept as given (apostrophes, diacritics, scripts, case, spaces, dashes), XML escaped; a tracking id that is not SPEC-shaped is kept only as text" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 "surname=D'SOUZA" 'given_names=" Zoë  MÜLLER "' \
			"father_name=Ḥasan ibn ʿAlī" 'place_of_birth=خان پور' cnic=35202-1234567-1 \
			sex=m nationality=pak 'phone=+92 (300) 123-4567'
		app_row 'tracking_id="A&B""<1>"' 'surname=SMITH & SONS <LTD>' 'address="a > b, c < d & e"'
	} > 'a&b<c>.csv'
	run -0 --separate-stderr ingest -b B-T 'a&b<c>.csv'
	summary B-T 2 1 1
	sealed names.xml
	run -0 records names.xml
	assert_output - <<-EOF
	$R id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><surname>D'SOUZA</surname><given_names> Zoë  MÜLLER </given_names><father_name>Ḥasan ibn ʿAlī</father_name><sex>m</sex><place_of_birth>خان پور</place_of_birth><cnic>35202-1234567-1</cnic><nationality>pak</nationality><phone>+92 (300) 123-4567</phone></application><trail>${OK_STEP}read from a&amp;b&lt;c&gt;.csv line 2</step></trail></record>
	$R id="ROW-3" status="rejected"><application><tracking_id>A&amp;B"&lt;1&gt;</tracking_id><surname>SMITH &amp; SONS &lt;LTD&gt;</surname><address>a &gt; b, c &lt; d &amp; e</address></application><trail><step stage="ingest" result="rejected" code="TRACKING_ID_FORMAT">a&amp;b&lt;c&gt;.csv line 3: tracking_id 'A&amp;B"&lt;1&gt;' is not 1 to 24 capital letters, digits and dashes, so the record is named ROW-3; correct it and submit the row again</step></trail></record>
	EOF
	# each record line is a well-formed XML document on its own
	while IFS= read -r line; do xmllint --noout - <<< "$line"; done < <(records names.xml)
}

# ---- file-level errors: exit 65, nothing on stdout -------------------------------

@test "an unknown, a doubled or a missing header column refuses the file, naming it" {
	{ echo "$APP_HEADER,nickname"; app_row tracking_id=T-1 | sed 's/$/,ALI/'; } > unknown.csv
	refused 65 "unknown.csv line 1: unknown column 'nickname' (column 24)" -b B-T unknown.csv
	{ echo "$APP_HEADER, office"; app_row tracking_id=T-1 | sed 's/$/,ISB/'; } > twice.csv
	refused 65 "twice.csv line 1: column 'office' appears twice (columns 2 and 24)" -b B-T twice.csv
	{ echo "${APP_HEADER/,cnic/}"; echo "T-1,,,,,,,,,,,,,,,,,,,,,"; } > missing.csv
	refused 65 "missing.csv line 1: required column 'cnic' is missing" -b B-T missing.csv
	# an export of the other kind
	"$GEN" registers 2 > reg.csv
	refused 65 "reg.csv line 1: unknown column 'register' (column 1)" -b B-T reg.csv
	"$GEN" applications 2 > apps.csv
	refused 65 "apps.csv line 1: unknown column 'tracking_id' (column 1)" -k citizenship -b B-T apps.csv
}

@test "malformed or unclosed quoting refuses the file, naming line and column" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1 'office=IS"B'; } > stray.csv
	refused 65 "stray.csv line 2" -b B-T stray.csv
	[[ $stderr == *"malformed quoting"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"column 2"* || $stderr == *"field 2"* || $stderr == *"column office"* ]] ||
		fail "the message does not name the column: $stderr"
	{ echo "$APP_HEADER"; app_row tracking_id=T-1 'surname="KHAN"JR'; } > after.csv
	refused 65 "after.csv line 2" -b B-T after.csv
	[[ $stderr == *"malformed quoting"* ]] || fail "stderr: $stderr"
	{ echo "$APP_HEADER"; app_row tracking_id=T-1 'address="Flat 3'; app_row tracking_id=T-2; } > open.csv
	refused 65 "is never closed" -b B-T open.csv
	[[ $stderr == *"open.csv"*"line 2"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"column 18"* || $stderr == *"field 18"* || $stderr == *"column address"* ]] ||
		fail "the message does not name the column: $stderr"
}

@test "invalid UTF-8 (Latin-1, UTF-16, overlong, surrogate) refuses the file, naming line and field" {
	{ echo "$APP_HEADER"; printf 'T-1,ISB,,,M\xfcller,,,,,,,,,,,,,,,,,,\n'; } > latin1.csv
	refused 65 "latin1.csv line 2, field 5: invalid UTF-8" -b B-T latin1.csv
	{ printf '\xff\xfe'; echo "$APP_HEADER" | iconv -f UTF-8 -t UTF-16LE; } > utf16.csv
	refused 65 "utf16.csv line 1, field 1: invalid UTF-8" -b B-T utf16.csv
	{ echo "$APP_HEADER"; printf 'T-1,\xc0\xaf,,,,,,,,,,,,,,,,,,,,,\n'; } > overlong.csv
	refused 65 "overlong.csv line 2, field 2: invalid UTF-8" -b B-T overlong.csv
	{ echo "$APP_HEADER"; printf 'T-1,\xed\xa0\x80,,,,,,,,,,,,,,,,,,,,,\n'; } > surrogate.csv
	refused 65 "surrogate.csv line 2, field 2: invalid UTF-8" -b B-T surrogate.csv
}

@test "a physical line over 1 MiB refuses the file; one of exactly 1 MiB is a row" {
	{
		echo "$APP_HEADER"
		printf 'T-1,%s,,,,,,,,,,,,,,,,,,,,,\n' "$(head -c $((1048576 - 25)) /dev/zero | tr '\0' A)"
	} > max.csv
	assert_equal "$(sed -n 2p max.csv | tr -d '\n' | wc -c)" 1048576
	run -0 --separate-stderr ingest -b B-T max.csv
	summary B-T 1 0 1
	sealed max.xml
	assert_equal "$(steps max.xml)" '<step stage="ingest" result="rejected" code="INGEST_FIELD_TOO_LONG">max.csv line 2, column office: the value is longer than 4096 bytes and was left out; correct it and submit the row again</step>'
	sed 's/,A/,AA/' max.csv > over.csv
	refused 65 "over.csv line 2 is longer than 1 MiB" -b B-T over.csv
}

@test "an empty file (0 bytes, blank lines, a BOM alone; plain, gzip or stdin) is refused: no header row" {
	printf '\n\r\n\n' > blank.csv
	refused 65 "blank.csv is empty: no header row" -b B-T blank.csv
	printf '\xef\xbb\xbf' > bom.csv
	refused 65 "bom.csv is empty: no header row" -b B-T bom.csv
	: > empty.csv
	refused 65 "empty.csv is empty: no header row" -b B-T empty.csv
	: | gzip > empty.csv.gz
	refused 65 "empty.csv.gz is empty: no header row" -b B-T empty.csv.gz
	refused 65 "standard input is empty: no header row" -b B-T < /dev/null
}

@test "a file error after good rows leaves no seal, so no later stage takes the output" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; app_row tracking_id=T-2 'office=IS"B'; } > late.csv
	run -65 --separate-stderr ingest -b B-T late.csv
	[[ $stderr == *"late.csv line 3"*"malformed quoting"* ]] || fail "stderr: $stderr"
	printf '%s\n' "$output" > late.xml
	assert_equal "$(grep -c '^<seal ' late.xml)" 0
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

@test "a control character (NUL, C0, DEL, C1) rejects the row with INGEST_CONTROL_CHAR, stored as U+FFFD" {
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 $'office=IS\x01B'
		app_row tracking_id=T-2 $'given_names=\x1b[31mALI'
		app_row tracking_id=T-3 $'surname=KHAN\x7f'
		app_row tracking_id=T-4 $'father_name="A\xc2\x85B"'
		app_row tracking_id=T-5 $'address=\xc2\x80' $'phone=\x0c0300'
		printf 'T-6,,,,KH\0AN,,,,,,,,,,,,,,,,,,\n'
	} > ctl.csv
	run -0 --separate-stderr ingest -b B-T ctl.csv
	summary B-T 6 0 6
	sealed ctl.xml
	run -0 records ctl.xml
	assert_output - <<-EOF
	$R id="T-1" status="rejected"><application><tracking_id>T-1</tracking_id><office>IS�B</office></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 2, column office: a control character at character 3 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>
	$R id="T-2" status="rejected"><application><tracking_id>T-2</tracking_id><given_names>�[31mALI</given_names></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 3, column given_names: a control character at character 1 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>
	$R id="T-3" status="rejected"><application><tracking_id>T-3</tracking_id><surname>KHAN�</surname></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 4, column surname: a control character at character 5 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>
	$R id="T-4" status="rejected"><application><tracking_id>T-4</tracking_id><father_name>A�B</father_name></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 5, column father_name: a control character at character 2 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>
	$R id="T-5" status="rejected"><application><tracking_id>T-5</tracking_id><address>�</address><phone>�0300</phone></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 6, column address: a control character at character 1 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>
	$R id="T-6" status="rejected"><application><tracking_id>T-6</tracking_id><surname>KH�AN</surname></application><trail><step stage="ingest" result="rejected" code="INGEST_CONTROL_CHAR">ctl.csv line 7, column surname: a control character at character 3 (shown as U+FFFD); correct the value and submit the row again</step></trail></record>
	EOF
}

@test "a value over 4096 bytes is left out and rejects the row with INGEST_FIELD_TOO_LONG" {
	a4096=$(printf 'A%.0s' {1..4096})
	u4096=$(printf 'Ü%.0s' {1..2048})
	{
		echo "$APP_HEADER"
		app_row tracking_id=T-1 office=ISB "address=${a4096}A"
		app_row tracking_id=T-2 "address=$a4096" "surname=$u4096"
	} > long.csv
	run -0 --separate-stderr ingest -b B-T long.csv
	summary B-T 2 1 1
	sealed long.xml
	run -0 records long.xml
	assert_output - <<-EOF
	$R id="T-1" status="rejected"><application><tracking_id>T-1</tracking_id><office>ISB</office></application><trail><step stage="ingest" result="rejected" code="INGEST_FIELD_TOO_LONG">long.csv line 2, column address: the value is longer than 4096 bytes and was left out; correct it and submit the row again</step></trail></record>
	$R id="T-2" status="ok"><application><tracking_id>T-2</tracking_id><surname>$u4096</surname><address>$a4096</address></application><trail>${OK_STEP}read from long.csv line 3</step></trail></record>
	EOF
}

@test "an empty tracking_id rejects the row as INGEST_NO_ID, named ROW-N; blank lines and rows of empty cells count but make no record" {
	{
		printf '\n'                                               # 1
		echo "$APP_HEADER"                                        # 2
		app_row tracking_id=T-1 'address="two@NL@lines"'          # 3-4
		printf '\n\r\n'                                           # 5, 6
		app_row office=ISB surname=KHAN                           # 7
		app_row                                                   # 8
		printf '\n'                                               # 9
	} > noid.csv
	run -0 --separate-stderr ingest -b B-T noid.csv
	skipped_rows B-T 1
	summary B-T 2 1 1
	sealed noid.xml
	run -0 records noid.xml
	assert_output - <<-EOF
	$R id="T-1" status="ok"><application><tracking_id>T-1</tracking_id><address>two lines</address></application><trail>${OK_STEP}read from noid.csv line 3</step></trail></record>
	$R id="ROW-7" status="rejected"><application><office>ISB</office><surname>KHAN</surname></application><trail><step stage="ingest" result="rejected" code="INGEST_NO_ID">noid.csv line 7: tracking_id is empty, so the record is named ROW-7; give the application its tracking id and submit it again</step></trail></record>
	EOF
}

@test "rows of a CR-only (old Mac) file get their true line numbers, never line 0" {
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
	assert_output - <<-EOF
	${OK_STEP}read from mac.csv line 2</step>
	${OK_STEP}read from mac.csv line 3</step>
	<step stage="ingest" result="rejected" code="INGEST_NO_ID">mac.csv line 4: tracking_id is empty, so the record is named ROW-4; give the application its tracking id and submit it again</step>
	<step stage="ingest" result="rejected" code="INGEST_NO_ID">mac.csv line 5: tracking_id is empty, so the record is named ROW-5; give the application its tracking id and submit it again</step>
	EOF
}

@test "rejected rows are never dropped: one record per data row, in = ok + rejected" {
	{
		echo "$APP_HEADER"                                              # 1
		app_row tracking_id=T-1 office=ISB                               # 2
		echo "T-2,ISB"                                                   # 3
		app_row tracking_id=T-3 $'surname=KH\x01AN'                      # 4
		echo                                                             # 5
		app_row office=ISB                                               # 6
		app_row tracking_id=T-5 "surname=$(printf 'B%.0s' {1..5000})"    # 7
		app_row tracking_id=T-6 'address="Flat 3@NL@G-9/4"'              # 8-9
		printf 'T-7,\0,,,,,,,,,,,,,,,,,,,,,\n'                           # 10
		app_row tracking_id=T-8                                          # 11
	} > mixed.csv
	run -0 --separate-stderr ingest -b B-MIX mixed.csv
	summary B-MIX 8 3 5
	sealed mixed.xml
	run -0 sed 's/^[^>]* id="\([^"]*\)" status="\([a-z]*\)".*code="\([A-Z_]*\)">[^<]*line \([0-9]*\).*/\1 \2 \3 \4/' <(records mixed.xml)
	assert_output - <<-'EOF'
	T-1 ok INGEST_OK 2
	T-2 rejected INGEST_FIELD_COUNT 3
	T-3 rejected INGEST_CONTROL_CHAR 4
	ROW-6 rejected INGEST_NO_ID 6
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
	skipped_rows B-CIT 1
	summary B-CIT 5 5 0
	sealed reg.xml
	assert_line --index 1 '<batch xmlns="urn:impass:batch:1" id="B-CIT" kind="citizenship">'
	run -0 records reg.xml
	assert_output - <<-EOF
	$R id="PCC-000001" status="ok"><certificate register="PCC" number="PCC/1998/00417"><issued_on>14.08.1998</issued_on><name>JOHN D'SOUZA</name><father_name>PETER D'SOUZA</father_name><date_of_birth>03/04/61</date_of_birth><place_of_birth>GOA</place_of_birth><previous_nationality>INDIA</previous_nationality><country>INDIA</country><remarks>Typed from page 12, entry 3</remarks></certificate><trail>${OK_STEP}read from reg.csv line 2</step></trail></record>
	$R id="NC-000002" status="ok"><certificate register="NC" number="NC/2004/00012"><issued_on>2004-01-05</issued_on><name>ANNA MÜLLER</name><father_name>HANS MÜLLER</father_name><date_of_birth>1970</date_of_birth><place_of_birth>HAMBURG</place_of_birth><cnic>4220112345672</cnic><previous_nationality>GERMANY</previous_nationality><country>GERMANY</country><mission>Berlin</mission></certificate><trail>${OK_STEP}read from reg.csv line 3</step></trail></record>
	$R id="RC-000003" status="ok"><certificate register="RC" number="RC/2011/00077"><issued_on>14-Aug-2011</issued_on><name>ZUBAIR HUSSAIN</name><father_name>MUHAMMAD RAFIQ HUSSAIN</father_name><date_of_birth>12.09.1986</date_of_birth><place_of_birth>KARACHI</place_of_birth><cnic>42105-4238833-9</cnic><previous_nationality>PAKISTAN</previous_nationality><country>GERMANY</country><mission>Berlin</mission><remarks>A &amp; B</remarks></certificate><trail>${OK_STEP}read from reg.csv line 4</step></trail></record>
	$R id="X-000004" status="ok"><certificate register="pcc" number="PCC/1999/1"><name>ALI</name></certificate><trail>${OK_STEP}read from reg.csv line 5</step></trail></record>
	$R id="X-000005" status="ok"><certificate register=" RC" number="RC/2000/5"></certificate><trail>${OK_STEP}read from reg.csv line 7</step></trail></record>
	EOF
}

@test "a generated register round-trips: ids, attributes and lines" {
	"$GEN" registers 15 > reg.csv
	run -0 --separate-stderr ingest --kind citizenship -b B-CIT reg.csv
	summary B-CIT 15 15 0
	sealed reg.xml
	diff <(tail -n +2 reg.csv | awk -F, '{ printf "%s-%06d %s %s\n", $1, NR, $1, $2 }') \
		<(records reg.xml | sed 's/^[^>]* id="\([^"]*\)" status="ok"><certificate register="\([^"]*\)" number="\([^"]*\)">.*/\1 \2 \3/')
	diff <(seq 2 16 | sed "s|.*|${OK_STEP}read from reg.csv line &</step>|") <(steps reg.xml)
	# every value comes back: inspect's CSV export less id, status, code, reason
	run -0 --separate-stderr inspect --csv reg.xml
	diff <(cut -d, -f5- <<< "$output") reg.csv
}

# ---- compressed input and archives -------------------------------------------

@test "gzip, zip, tar.gz and tar inputs: members read in turn, each with its own header, named ARCHIVE:MEMBER" {
	"$GEN" applications 2 > a.csv
	"$GEN" --from 2 applications 3 > b0.csv
	sort_columns b0.csv > b.csv
	run -0 --separate-stderr ingest -b B-ARC a.csv
	records <(printf '%s\n' "$output") > want.a
	run -0 --separate-stderr ingest -b B-ARC b.csv
	records <(printf '%s\n' "$output") > want.b
	gzip -k a.csv
	run -0 --separate-stderr ingest -b B-ARC a.csv.gz
	summary B-ARC 2 2 0
	sealed gz.xml
	diff <(sed 's/read from a.csv line/read from a.csv.gz line/' want.a) <(records gz.xml)
	bsdtar -a -cf two.zip a.csv b.csv
	tar czf two.tar.gz a.csv b.csv
	tar cf two.tar a.csv b.csv
	for archive in two.zip two.tar.gz two.tar; do
		run -0 --separate-stderr ingest -b B-ARC "$archive"
		summary B-ARC 5 5 0
		sealed "$archive.xml"
		diff <(sed "s|read from \\([ab]\\).csv line|read from $archive:\\1.csv line|" want.a want.b) \
			<(records "$archive.xml")
		run -0 grep -o 'read from [^<]*' "$archive.xml"
		assert_output - <<-EOF
		read from $archive:a.csv line 2
		read from $archive:a.csv line 3
		read from $archive:b.csv line 2
		read from $archive:b.csv line 3
		read from $archive:b.csv line 4
		EOF
	done
}

@test "citizenship ids count rows across archive members; register and number from any column" {
	printf '%s\nPCC,P/1,,,,,,,,,,\nRC,R/2,,,,,,,,,,\n' "$CIT_HEADER" > r1.csv
	printf 'certificate_no,register,%s\nN/3,NC,,,,,,,,,,\n' "${CIT_HEADER#register,certificate_no,}" > r2.csv
	bsdtar -a -cf regs.zip r1.csv r2.csv
	run -0 --separate-stderr ingest -k citizenship -b B-T regs.zip
	summary B-T 3 3 0
	sealed regs.xml
	run -0 sed 's/^[^>]* id="\([^"]*\)".*number="\([^"]*\)".*read from \([^<]*\)<.*/\1 \2 \3/' <(records regs.xml)
	assert_output - <<-'EOF'
	PCC-000001 P/1 regs.zip:r1.csv line 2
	RC-000002 R/2 regs.zip:r1.csv line 3
	NC-000003 N/3 regs.zip:r2.csv line 2
	EOF
}

@test "an archive member that is not a regular *.csv file, or a bad member, refuses the archive" {
	"$GEN" applications 2 > a.csv
	echo "notes" > notes.txt
	bsdtar -a -cf notes.zip notes.txt a.csv
	refused 65 "notes.zip:notes.txt is not a .csv file" -b B-T notes.zip
	gzip -k a.csv
	tar cf gz.tar a.csv.gz
	refused 65 "gz.tar:a.csv.gz is not a .csv file" -b B-T gz.tar
	ln -s a.csv link.csv
	tar cf link.tar link.csv a.csv
	refused 65 "link.tar:link.csv is not a .csv file" -b B-T link.tar
	# a bad header in the second member: the archive is refused, nothing sealed
	echo "$APP_HEADER,nickname" > c.csv
	bsdtar -a -cf bad.zip a.csv c.csv
	run -65 --separate-stderr ingest -b B-T bad.zip
	[[ $stderr == *"bad.zip:c.csv line 1: unknown column 'nickname'"* ]] || fail "stderr: $stderr"
	assert_equal "$(grep -c '^<seal ' <<< "$output")" 0
}

# ---- standard input, batch ids, usage, keys, output errors ----------------------

@test "standard input is read for '-' and for no operand, named 'standard input'" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; app_row tracking_id=T-2; } > in.csv
	run -0 --separate-stderr ingest -b B-T - < in.csv
	summary B-T 2 2 0
	sealed dash.xml
	run -0 steps dash.xml
	assert_output - <<-EOF
	${OK_STEP}read from standard input line 2</step>
	${OK_STEP}read from standard input line 3</step>
	EOF
	gzip -c in.csv > in.csv.gz
	run -0 --separate-stderr ingest -b B-T < in.csv.gz
	sealed none.xml
	diff <(records dash.xml) <(records none.xml)
}

@test "without -b the batch is B-YYYYMMDD-NN, counted per day in SPOOL/batch.seq (mode 0600)" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	today=$(date +%Y%m%d)
	[ ! -e batch.seq ]
	run -0 --separate-stderr ingest one.csv
	summary "B-$today-01" 1 1 0
	sealed first.xml
	assert_line --index 1 "<batch xmlns=\"urn:impass:batch:1\" id=\"B-$today-01\" kind=\"application\">"
	run -0 --separate-stderr ingest one.csv
	summary "B-$today-02" 1 1 0
	assert_line --index 1 "<batch xmlns=\"urn:impass:batch:1\" id=\"B-$today-02\" kind=\"application\">"
	assert_equal "$(cat batch.seq)" "$today 2"
	assert_equal "$(stat -c %a batch.seq)" 600
	# another day's counter starts again at 01; --spool names another spool
	echo "20200101 7" > batch.seq
	run -0 --separate-stderr ingest one.csv
	summary "B-$today-01" 1 1 0
	mkdir other
	run -0 --separate-stderr ingest --spool other one.csv
	summary "B-$today-01" 1 1 0
	assert_equal "$(cat other/batch.seq)" "$today 1"
	assert_equal "$(cat batch.seq)" "$today 1"
}

@test "a bad -b id is a usage error (64); without -b, a spool that cannot keep the counter is 73" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	for id in 'B 1' '' 'B/1' 'B-Ü' "$(printf 'B%.0s' {1..65})"; do
		refused 64 "is not 1-64 of [A-Za-z0-9._-]" -b "$id" one.csv
	done
	id=$(printf 'b%.0s' {1..62}).-
	run -0 --separate-stderr ingest --batch "$id" one.csv
	summary "$id" 1 1 0
	sealed long-id.xml
	[ ! -e batch.seq ]
	touch not-a-dir
	refused 73 "not-a-dir/batch.seq" --spool not-a-dir one.csv
	[[ $stderr == *"--batch"* ]] || fail "stderr: $stderr"
	IMPASS_SPOOL=$PWD/missing refused 73 "--batch" one.csv
}

@test "usage: -h and --help on stdout (0); a bad option, an unknown or printed kind, two operands (64)" {
	for opt in -h --help; do
		run -0 --separate-stderr ingest "$opt"
		assert_equal "$(head -n 2 <<< "$output")" "$USAGE"
		assert_equal "$stderr" ''
	done
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	for args in "-x one.csv" "--bogus one.csv" "-k" "-k passport one.csv" "--kind printed one.csv" \
		"-k Application one.csv" "one.csv one.csv"; do
		# shellcheck disable=SC2086
		refused 64 "usage: ingest" -b B-T $args
	done
	refused 64 "kind 'printed' unknown" --kind printed one.csv
}

@test "no signer, or one that may not seal or has no secret key: nothing written, before the input is read" {
	IMPASS_SIGNER='' refused 64 "no signing key: pass --signer FINGERPRINT or set IMPASS_SIGNER" /nonexistent
	IMPASS_SIGNER=$APPROVER_FPR refused 77 "may not seal stage ingest: that needs the stage role" /nonexistent
	refused 77 "key $OTHER_FPR is not in the trust file" -s "$OTHER_FPR" /nonexistent
	GNUPGHOME=$KT/k/v refused 69 "no secret key $STAGE_FPR" /nonexistent
	# no batch number was spent on them
	[ ! -e batch.seq ]
}

@test "a write error on standard output exits 74" {
	{ echo "$APP_HEADER"; app_row tracking_id=T-1; } > one.csv
	run -74 --separate-stderr sh -c 'exec ingest -b B-T one.csv > /dev/full'
	[[ $stderr == *"No space left on device"* ]] || fail "stderr: $stderr"
	# and when it comes while the records are written, not at the end
	"$GEN" applications 300 > many.csv
	run -74 --separate-stderr sh -c 'exec ingest -b B-T many.csv > /dev/full'
	[[ $stderr == *"No space left on device"* ]] || fail "stderr: $stderr"
}

# ---- spreadsheet exports (issue 20) ------------------------------------------

@test "a header separated by semicolons or TABs is refused (65) naming the separator and how to save the file" {
	"$GEN" applications 2 > a.csv
	tr ',' ';' < a.csv > semi.csv
	refused 65 "ingest: " -b B-T semi.csv
	assert_equal "$stderr" "ingest: semi.csv line 1: the columns are separated by semicolons (;), not commas (a spreadsheet saved with regional settings); save it again as CSV UTF-8 (comma delimited), see impass-csv(5)"
	tr ',' '\t' < a.csv > tab.csv
	refused 65 "ingest: " -b B-T tab.csv
	assert_equal "$stderr" "ingest: tab.csv line 1: the columns are separated by TABs, not commas (a spreadsheet saved with regional settings); save it again as CSV UTF-8 (comma delimited), see impass-csv(5)"
	# a semicolon inside one column name of a comma header is an unknown column, as before
	{ echo "${APP_HEADER/office/office;x}"; app_row tracking_id=T-1; } > one.csv
	refused 65 "unknown column 'office;x' (column 2); an application export has only the columns in impass-csv(5): rename or remove it" -b B-T one.csv
	[ ! -e batch.seq ]
}

@test "header names are read whatever their case, with blanks for underscores and spaces around them" {
	"$GEN" applications 3 > a.csv
	run -0 --separate-stderr ingest -b B-CASE a.csv
	records <(printf '%s\n' "$output") > want
	{ head -n 1 a.csv | tr 'a-z' 'A-Z' | sed 's/TRACKING_ID/ Tracking Id /; s/GIVEN_NAMES/Given Names/'; tail -n +2 a.csv; } > up.csv
	assert_equal "$(head -c 40 up.csv)" " Tracking Id ,OFFICE,CATEGORY,PASSPORT_T"
	run -0 --separate-stderr ingest -b B-CASE up.csv
	summary B-CASE 3 3 0
	sealed up.xml
	diff <(sed 's/read from a.csv/read from up.csv/' want) <(records up.xml)
	# a column named twice in two cases is still named twice
	{ echo "$APP_HEADER,OFFICE"; } > twice.csv
	refused 65 "column 'office' appears twice (columns 2 and 24)" -b B-T twice.csv
}

@test "a spreadsheet's trailing rows of empty cells are skipped and counted, not rejected records; --counts says so" {
	"$GEN" applications 3 > a.csv
	{ cat a.csv; printf ',,,,,,,,,,,,,,,,,,,,,,\r\n,,,,,,,,,,,,,,,,,,,,,,\r\n,,\r\n""\n'; } > excel.csv
	run -0 --separate-stderr ingest -b B-XL --counts c.txt excel.csv
	skipped_rows B-XL 4
	summary B-XL 3 3 0
	sealed xl.xml
	assert_equal "$(grep -c '^<record ' xl.xml)" 3
	run -0 sed '/^stream\./d; s/^seconds=[0-9]*\.[0-9]$/seconds=S/' c.txt
	assert_output "program=ingest
batch=B-XL
in=3
ok=3
held=0
rejected=0
blank_rows=4
empty=0
seconds=S
status=0"
	# then the sealed stream's counts, as inspect --counts gives them
	run -0 sed -n 's/^stream\.//p' c.txt
	assert_equal "$output" "$(inspect --counts xl.xml 2> /dev/null)"
	assert_line --index 0 batch=B-XL
	assert_line --index 3 records=3
	assert_equal "$(stat -c %a c.txt)" 600
	# a row with one cell filled is a record (rejected: no tracking id)
	{ cat a.csv; echo ",,,,,,,,,,,,,,,,,,,,,,2026-11-26"; } > one.csv
	run -0 --separate-stderr ingest -b B-XL one.csv
	summary B-XL 4 3 1
}

@test "a header alone is an empty export: refused (65) with nothing written, unless --allow-empty; --counts tells a script" {
	"$GEN" applications 1 | head -n 1 > h.csv
	refused 65 "ingest: " -b B-T --counts c.txt h.csv
	assert_equal "$stderr" "ingest: h.csv has a header and no application: the export is empty; export the day's applications again (or pass --allow-empty to seal a batch of no record)"
	run -0 grep -E '^(in|status|batch|empty)=' c.txt
	assert_output "batch=
in=0
empty=1
status=65"
	{ cat h.csv; echo ",,,,,,,,,,,,,,,,,,,,,,"; } > h2.csv
	refused 65 "ingest: " -b B-T h2.csv
	assert_equal "$stderr" "ingest: 1 row of empty cells skipped (a spreadsheet's rows past the data): no record
ingest: h2.csv has a header and no application, only rows of empty cells: the export is empty; export the day's applications again (or pass --allow-empty to seal a batch of no record)"
	refused 65 "standard input has a header and no application" -b B-T < h.csv
	run -0 --separate-stderr ingest -b B-EMPTY --allow-empty h.csv
	summary B-EMPTY 0 0 0
	sealed empty.xml
	assert_equal "$(grep -c '^<record ' empty.xml)" 0
}

@test "a Mac's zip: __MACOSX/ and ._ members and dotfiles are passed over" {
	"$GEN" applications 2 > good.csv
	mkdir -p __MACOSX sub/__MACOSX
	printf '\0\5\26\7AppleDouble' > __MACOSX/._good.csv
	cp __MACOSX/._good.csv sub/__MACOSX/._x.csv
	printf 'junk' > .DS_Store
	bsdtar -a -cf mac.zip good.csv __MACOSX .DS_Store sub
	run -0 bsdtar -tf mac.zip
	assert_line "__MACOSX/._good.csv"
	run -0 --separate-stderr ingest -b B-MAC mac.zip
	summary B-MAC 2 2 0
	sealed mac.xml
	run -0 grep -o 'read from [^<]*' mac.xml
	assert_output "read from mac.zip:good.csv line 2
read from mac.zip:good.csv line 3"
	# another file that is not a CSV still refuses the archive
	echo x > notes.txt
	bsdtar -a -cf bad.zip notes.txt good.csv
	refused 65 "bad.zip:notes.txt is not a .csv file; an archive may hold only CSV files: remove or rename it" -b B-T bad.zip
}

@test "a workbook (.xlsx, .ods, .xls) is named as one to save as CSV, by its name or its members (65)" {
	"$GEN" applications 2 > a.csv
	mkdir -p x/xl x/_rels
	echo '<Types/>' > 'x/[Content_Types].xml'
	echo '<workbook/>' > x/xl/workbook.xml
	(cd x && bsdtar --format zip -cf ../book.xlsx '[Content_Types].xml' _rels xl)
	refused 65 "ingest: " -b B-T book.xlsx
	assert_equal "$stderr" "ingest: book.xlsx is a spreadsheet workbook (.xlsx), not a CSV export; open it in the spreadsheet and save it as CSV UTF-8 (comma delimited), see impass-csv(5)"
	cp book.xlsx renamed.zip
	refused 65 "renamed.zip is a spreadsheet workbook (.xlsx), not a CSV export" -b B-T renamed.zip
	mkdir -p o
	printf 'application/vnd.oasis.opendocument.spreadsheet' > o/mimetype
	(cd o && bsdtar --format zip -cf ../sheet.zip mimetype)
	refused 65 "sheet.zip is a spreadsheet workbook (.ods), not a CSV export" -b B-T sheet.zip
	cp a.csv old.XLS
	refused 65 "old.XLS is a spreadsheet workbook (.xls), not a CSV export" -b B-T old.XLS
	[ ! -e batch.seq ]
}

@test "a gzip file cut short is damaged data (65), early or late; a folder cannot be opened (66), as a CSV or a stream" {
	"$GEN" applications 20000 | gzip -c > big.csv.gz
	head -c 30 big.csv.gz > t1.csv.gz
	refused 65 "ingest: t1.csv.gz is damaged or cut short (truncated gzip input); copy or export the file again" -b B-T t1.csv.gz
	head -c 600000 big.csv.gz > t2.csv.gz
	run -65 --separate-stderr ingest -b B-T t2.csv.gz
	[[ $stderr =~ ^ingest:\ B-T:\ t2\.csv\.gz\ is\ damaged\ or\ cut\ short\ after\ line\ [0-9]+\ \(truncated\ gzip\ input\)\;\ copy\ or\ export\ the\ file\ again$ ]] || fail "stderr: $stderr"
	refute_line --partial '<seal '
	mkdir d
	refused 66 "ingest: cannot open d: Is a directory" -b B-T d
	run -66 --separate-stderr passthru d
	assert_equal "$stderr" "passthru: cannot open d: Is a directory"
	run -66 --separate-stderr passthru < d
	assert_equal "$stderr" "passthru: cannot open standard input: Is a directory"
}
