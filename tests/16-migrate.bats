#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pipelines/migrate-citizenship (issue 10): legacy citizenship registers,
# as CSV files or a zip or tar of them, through ingest --kind citizenship,
# validate, dedup and sign into one sealed stream; review.csv lists every
# held or rejected certificate with its reason; with --nadra, blocklist.csv
# lists the renounced citizens whose CNIC is still active.
# Built once in setup_file: a seeded messy register (gen-fixtures --seed 16
# registers 30) split into three files, one per register: pcc-1998.csv
# without a register column (the register comes from the file name),
# NC.csv and rc.csv with it; planted rows: dates typed in every form the
# SPEC names and worse, one certificate typed twice in the PCC register
# and one in the RC register, one typed into both PCC and NC, and renunciations whose CNIC NADRA has as
# active, deceased, cancelled or not at all. The migration of the three
# files runs once, with the NADRA extract; the tests read its run folder.

bats_require_minimum_version 1.5.0
load helpers

MIGRATE=$TESTS/../pipelines/migrate-citizenship
USAGE='usage: migrate-citizenship [--config FILE] [--nadra FILE] [--signer FPR] [--dates day-first|any] FILE... | --resume RUNDIR | --decided'
HEADER=register,certificate_no,issued_on,name,father_name,date_of_birth,place_of_birth,cnic,previous_nationality,country,mission,remarks

# the planted rows of the PCC register (no register column: 11 fields)
PCC_PLANTED='PCC/1998/90001,14.08.1998,ZAFAR IQBAL,MUHAMMAD IQBAL,1961-03-02,DELHI,,INDIA,PAKISTAN,,
PCC/1998/90002,14/08/98,TARIQ MEHMOOD,MEHMOOD AHMED,14 August 1960,DELHI,,INDIA,PAKISTAN,,
PCC/1998/90003,14-Aug-1998,NASIR ALI,ALI AHMED,May 1940,DELHI,,INDIA,PAKISTAN,,
PCC/1998/90004,08/14/98,WASEEM AKRAM,CHAUDHRY AKRAM,14/08/45,DELHI,,INDIA,PAKISTAN,,
PCC/1998/90005,03/04/98,KHALID MAHMOOD,MAHMOOD KHAN,1962,DELHI,,INDIA,PAKISTAN,,
PCC/1999/90006,31/02/1999,SAJID HUSSAIN,HUSSAIN BAKHSH,05/1940,DELHI,,INDIA,PAKISTAN,,
PCC/1947/90007,1947-08-14,RASHID MINHAS,ABDUL MAJID MINHAS,1920-01-01,DELHI,,INDIA,PAKISTAN,,
PCC/1998/90008,1998-08-14,ARSHAD NADEEM,NADEEM ABBAS,sometime in 1950,DELHI,,INDIA,PAKISTAN,,"typed ""as is"", from the old book"
PCC/2001/90020,2001-03-15,FAISAL JAVED,JAVED IQBAL,1970-05-05,AMRITSAR,35202-1234567-1,INDIA,PAKISTAN,,
2003/90030,2003-05-05,HAMZA RAUF,ABDUL RAUF,1975-07-07,JALANDHAR,,INDIA,PAKISTAN,,
PCC/2001/ 90020,15.03.2001,FAISAL JAVED,JAVED IQBAL,05.05.1970,AMRITSAR,3520212345671,INDIA,PAKISTAN,,typed twice'
NC_PLANTED='NC,2003/90030,05-May-2003,Hamza Rauf,Abdul Rauf,07-Jul-1975,Jalandhar,,INDIA,PAKISTAN,,same certificate as in the PCC book'
RC_PLANTED='RC,RC/2010/90040,2010-02-02,ADNAN SAMI,ARSHAD SAMI,1971-08-15,LAHORE,61101-1111111-1,PAKISTAN,CANADA,Ottawa,
RC,RC/2011/90041,2011-02-02,JAVED MIANDAD,NOOR MIANDAD,1957-06-12,KARACHI,6110122222222,PAKISTAN,UAE,Dubai,
RC,RC/2012/90042,2012-02-02,MOHSIN KHAN,NAZIR KHAN,1955-03-15,LAHORE,61101-3333333-3,PAKISTAN,UK,London,"renounced to acquire ""UK"" nationality"
RC,RC/2012/90042,2 February 2012,Mohsin Khan,Nazir Khan,15-Mar-1955,Lahore,6110133333333,PAKISTAN,UK,London,'

# the CNICs NADRA has active for a renunciation of rc.csv, sorted
BLOCKED='3120497700530
3310709020817
3410167000661
3740398148653
4130110165931
4130667107941
4210604696269
4210991606389
6110133333333
8130305967987
8220215139751'

make_registers() {                # in the current directory
	"$GEN" --seed 16 registers 30 > gen.csv
	{
		echo "${HEADER#register,}"
		sed -n 's/^PCC,//p' gen.csv
		printf '%s\n' "$PCC_PLANTED"
	} > pcc-1998.csv
	{ echo "$HEADER"; grep '^NC,' gen.csv; printf '%s\n' "$NC_PLANTED"; } > NC.csv
	{ echo "$HEADER"; grep '^RC,' gen.csv; printf '%s\n' "$RC_PLANTED"; } > rc.csv
	# NADRA: the register's people, their CNIC of RC/1996/00001 cancelled;
	# the planted renunciations: 61101-1111111-1 missing, deceased, active
	"$GEN" --seed 16 --from 30000000 nadra 30 |
		sed 's/^\(4550876095761,.*\),active$/\1,cancelled/' > nadra.csv
	printf '%s\n' '6110122222222,JAVED MIANDAD,NOOR MIANDAD,1957-06-12,M,deceased' \
		'6110133333333,MOHSIN KHAN,NAZIR KHAN,1955-03-15,M,active' >> nadra.csv
	mkdir regs
	cp pcc-1998.csv NC.csv rc.csv regs/
	bsdtar --format zip -cf regs.zip regs/pcc-1998.csv regs/NC.csv regs/rc.csv
	bsdtar -cf regs.tar -C regs pcc-1998.csv NC.csv rc.csv
}

# conf FILE [KEY=VALUE...]: a configuration of the test keys, spool $KT/spool
conf() {
	local f=$1
	shift
	{
		echo "# migration test"
		echo "GNUPGHOME=$KT/k/g"
		echo "IMPASS_TRUST=$KT/k/trust"
		echo "STAGE_KEY=$STAGE_FPR"
		echo "APPROVER_KEY=\"$APPROVER_FPR\""
		echo "SPOOL=${SP:-$KT/spool}"
		printf '%s\n' "$@"
	} > "$f"
}

setup_file() {
	keys_setup
	stage_env
	mkdir "$KT/d"
	cd "$KT/d" || return 1
	make_registers
	conf "$KT/conf"
	local t0 t1
	t0=$(date +%s%N)
	"$MIGRATE" --config "$KT/conf" --nadra nadra.csv pcc-1998.csv NC.csv rc.csv > "$KT/out" 2> "$KT/err"
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))" > "$KT/ms"
	RUN=$(ls -d "$KT"/spool/runs/migrate-*)
	export RUN
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	unset IMPASS_SIGNER
	cp "$KT"/d/*.csv "$KT"/d/regs.* .
	S=$RUN/citizenship.xml
}

records() { grep '^<record ' "$1"; }
ids() { records "$1" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/'; }
ids_status() { records "$1" | sed -n "s/^<record [^>]* id=\"\\([^\"]*\\)\" status=\"$2\".*/\\1/p"; }
record_of() { grep -F -e " id=\"$1\" " "$2"; }
id_of_number() { grep -F -e " number=\"$1\">" "$2" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/'; }
step_of() { record_of "$1" "$3" | grep -o "<step stage=\"$2\"[^>]*>[^<]*</step>"; }
norm_of() { record_of "$1" "$2" | grep -o '<normalised>.*</normalised>'; }
run_dirs() { find "$1/runs" -mindepth 1 -maxdepth 1 -name 'migrate-*' | sort; }

@test "migrate: the migration of three register files ends 0, with its report" {
	run cat "$KT/err"
	assert_line --regexp '^migrate-citizenship: run folder .*/spool/runs/migrate-[0-9]{8}-[0-9]{6}-[0-9]+, 3 register file\(s\) from 3 input\(s\)$'
	assert_line 'migrate-citizenship: pcc-1998.csv: no register column; register PCC from the file name'
	assert_line --regexp '^migrate-citizenship: ingest: B-[0-9]{8}-[0-9]{2}: 46 in, 46 ok, 0 rejected, 0 held, '
	assert_line --regexp '^migrate-citizenship: validate: B-[0-9]{8}-[0-9]{2}: 46 in, 29 ok, 2 rejected, 15 held, '
	assert_line --regexp '^migrate-citizenship: dedup: B-[0-9]{8}-[0-9]{2}: 46 in, 23 ok, 2 rejected, 21 held, '
	assert_line --regexp '^migrate-citizenship: sign: B-[0-9]{8}-[0-9]{2}: 46 in, 23 ok, 2 rejected, 21 held, '
	assert_line 'migrate-citizenship: review.csv: 23 certificates held or rejected'
	assert_line 'migrate-citizenship: blocklist.csv: 11 renounced citizens with an active CNIC'
	[ "$(run_dirs "$KT/spool" | wc -l)" -eq 1 ]
	[ -s "$KT/out" ]
	cmp "$KT/out" "$RUN/report.txt"
	run -0 cat "$RUN/report.txt"
	assert_line --index 0 "impass migration run ${RUN##*/}"
	assert_line --regexp '^sign +46 +23 +2 +21$'
	assert_line 'review.csv: 23 certificates held or rejected, with their reasons'
	assert_line 'blocklist.csv: 11 renounced citizens whose CNIC is still active'
	echo "# 46 certificates migrated in $(cat "$KT/ms") ms" >&3
}

@test "migrate: the stream is sealed by sign with the approver key and verifies with inspect" {
	local seal
	seal=$(grep '^<seal ' "$S")
	[ "$(attr "$seal" stage)" = sign ]
	[ "$(attr "$seal" signer)" = "$APPROVER_FPR" ]
	[ "$(attr "$seal" count)" = 46 ]
	grep -q '^<batch xmlns="urn:impass:batch:1" id="B-[0-9]*-[0-9]*" kind="citizenship">$' "$S"
	cmp "$S" "$RUN/04-sign.xml"
	# a verifier's home: the public keys of stage and approver only
	GNUPGHOME=$KT/k/v run -0 inspect "$S"
	assert_line 'records     46 (ok 23, held 21, rejected 2)'
	assert_line "root        $(attr "$seal" root)"
	assert_line --regexp "^seal        good: sign by $APPROVER_FPR \\(Officer Ayesha Siddiqui\\), 46 records, "
	assert_line --regexp "^provenance  ingest by $STAGE_FPR \\(Night stage key\\), 46 records, "
	assert_line --regexp "^            validate by $STAGE_FPR .*, 46 records, "
	assert_line --regexp "^            dedup by $STAGE_FPR .*, 46 records, "
	xmllint --noout --schema "$TESTS/../schemas/impass.xsd" "$S"
	# one changed letter and it does not verify
	sed 's/<name>ZAFAR IQBAL</<name>ZAFAR IQBAK</' "$S" > t.xml
	run ! cmp -s "$S" t.xml
	run -65 inspect t.xml
}

# date CERTIFICATE_NO STATUS CODE NORMALISED|SENTENCE: the planted date's outcome
date_is() {
	local id rec
	id=$(id_of_number "$1" "$S")
	[ -n "$id" ] || { echo "no record of $1"; return 1; }
	rec=$(record_of "$id" "$S")
	[[ $rec == *" status=\"$2\">"* ]] || { echo "$1 ($id): not $2: $rec"; return 1; }
	case $2 in
	ok)
		[ "$(step_of "$id" validate "$S")" = '<step stage="validate" result="ok" code="VALIDATE_OK">every field valid</step>' ] ||
			{ echo "$1: $(step_of "$id" validate "$S")"; return 1; }
		[ "$(norm_of "$id" "$S")" = "<normalised>$3</normalised>" ] ||
			{ echo "$1: $(norm_of "$id" "$S")"; return 1; } ;;
	*)
		[ "$(step_of "$id" validate "$S")" = "<step stage=\"validate\" result=\"$2\" code=\"$3\">$4</step>" ] ||
			{ echo "$1: $(step_of "$id" validate "$S")"; return 1; } ;;
	esac
}

@test "migrate: dates typed from paper are normalised where they read one way, else held or rejected" {
	local n='<register>PCC</register>' today
	today=$(date +%F)
	date_is PCC/1998/90001 ok "$n<name>ZAFAR IQBAL</name><father_name>MUHAMMAD IQBAL</father_name><issued_on>1998-08-14</issued_on><date_of_birth>1961-03-02</date_of_birth>"
	date_is PCC/1998/90002 ok "$n<name>TARIQ MEHMOOD</name><father_name>MEHMOOD AHMED</father_name><issued_on>1998-08-14</issued_on><date_of_birth>1960-08-14</date_of_birth>"
	date_is PCC/1998/90003 ok "$n<name>NASIR ALI</name><father_name>ALI AHMED</father_name><issued_on>1998-08-14</issued_on><date_of_birth>1940-05</date_of_birth>"
	date_is PCC/1998/90004 ok "$n<name>WASEEM AKRAM</name><father_name>CHAUDHRY AKRAM</father_name><issued_on>1998-08-14</issued_on><date_of_birth>1945-08-14</date_of_birth>"
	date_is PCC/1998/90005 held DATE_AMBIGUOUS "issued_on '03/04/98' could be 1998-04-03 or 1998-03-04; read the paper register and enter it as YYYY-MM-DD"
	date_is PCC/1999/90006 rejected DATE_INVALID "issued_on '31/02/1999' is not a real calendar date; correct the date"
	date_is PCC/1947/90007 rejected DATE_RANGE "issued_on '1947-08-14' is outside 1951-01-01 to $today; correct the date"
	date_is PCC/1998/90008 held DATE_UNREADABLE "date_of_birth 'sometime in 1950' is not a date in a known form (14.08.1998, 14/08/98, 1998-08-14, 14-Aug-1998); read the paper register and enter it as YYYY-MM-DD"
	# the generator's: two centuries fit a year of two digits
	date_is 28 held DATE_AMBIGUOUS "issued_on '09-08-2013' could be 2013-08-09 or 2013-09-08; read the paper register and enter it as YYYY-MM-DD; also DATE_AMBIGUOUS: date_of_birth '17/12/99' could be 1899-12-17 or 1999-12-17; read the paper register and enter it as YYYY-MM-DD"
	date_is 4 held DATE_AMBIGUOUS "issued_on '2/10/2001' could be 2001-10-02 or 2001-02-10; read the paper register and enter it as YYYY-MM-DD"
	date_is NC/2009/00009 ok '<register>NC</register><name>ALI RAJPUT</name><father_name>ALLAH DITTA RAJPUT</father_name><cnic>1730754520723</cnic><issued_on>2009-11-26</issued_on><date_of_birth>2004-01-29</date_of_birth>'
	# the text as typed stays
	record_of "$(id_of_number PCC/1998/90002 "$S")" "$S" | grep -qF '<issued_on>14/08/98</issued_on><name>TARIQ MEHMOOD</name><father_name>MEHMOOD AHMED</father_name><date_of_birth>14 August 1960</date_of_birth>'
	# every outcome of validate: 29 ok, 15 held for a date, 2 rejected
	[ "$(grep -c 'code="VALIDATE_OK"' "$S")" -eq 29 ]
	[ "$(grep -c '<step stage="validate" result="held" code="DATE_AMBIGUOUS"' "$S")" -eq 14 ]
	[ "$(grep -c '<step stage="validate" result="held" code="DATE_UNREADABLE"' "$S")" -eq 1 ]
	[ "$(grep -c '<step stage="validate" result="rejected"' "$S")" -eq 2 ]
}

@test "migrate: a file without a register column takes its register from its name" {
	[ "$(grep -c '^<record [^>]* id="PCC-[0-9]*" ' "$S")" -eq 22 ]
	[ "$(grep -c '<certificate register="PCC" ' "$S")" -eq 22 ]
	[ "$(grep -c '<certificate register="NC" ' "$S")" -eq 3 ]
	[ "$(grep -c '<certificate register="RC" ' "$S")" -eq 21 ]
	# the quoted remark with a comma and quotes is one field still
	record_of "$(id_of_number PCC/1998/90008 "$S")" "$S" | grep -qF '<remarks>typed "as is", from the old book</remarks></certificate>'
	grep -qF '<step stage="ingest" result="ok" code="INGEST_OK">read from registers.tar:pcc-1998.csv line 23</step>' "$S"
	grep -qF '<step stage="ingest" result="ok" code="INGEST_OK">read from registers.tar:NC.csv line 4</step>' "$S"
	bsdtar -tf "$RUN/registers.tar" > members
	printf '%s\n' pcc-1998.csv NC.csv rc.csv | diff - members
	bsdtar -xOf "$RUN/registers.tar" pcc-1998.csv | head -n 2 > two
	printf '%s\n' "$HEADER" "PCC,$(sed -n 2p pcc-1998.csv)" | diff - two
}

@test "migrate: a certificate typed twice, in one register or in two, holds both, each naming the other" {
	local a b c d
	a=$(id_of_number PCC/2001/90020 "$S")
	b=$(id_of_number 'PCC/2001/ 90020' "$S")
	c=$(grep -F 'number="2003/90030"' "$S" | grep -F 'register="PCC"' | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/')
	d=$(grep -F 'number="2003/90030"' "$S" | grep -F 'register="NC"' | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/')
	[ "$a $b $c $d" = "PCC-000020 PCC-000022 PCC-000021 NC-000025" ]
	[[ $(step_of "$a" dedup "$S") == '<step stage="dedup" result="held" code="DEDUP_SAME_CERTIFICATE" other="PCC-000022" score="'*'">certificate PCC/2001/90020 of register PCC is also record PCC-000022 (register PCC, certificate PCC/2001/ 90020, FAISAL JAVED s/o JAVED IQBAL, born 1970-05-05): '*'; CNIC equal</step>' ]]
	[[ $(step_of "$b" dedup "$S") == '<step stage="dedup" result="held" code="DEDUP_SAME_CERTIFICATE" other="PCC-000020" score="'*'">certificate PCC/2001/ 90020 of register PCC is also record PCC-000020 (register PCC, certificate PCC/2001/90020, FAISAL JAVED s/o JAVED IQBAL, born 1970-05-05): '*'; CNIC equal</step>' ]]
	[[ $(step_of "$c" dedup "$S") == '<step stage="dedup" result="held" code="DEDUP_SAME_CERTIFICATE" other="NC-000025" score="'*'">certificate 2003/90030 of register PCC is also record NC-000025 (register NC, certificate 2003/90030, HAMZA RAUF s/o ABDUL RAUF, born 1975-07-07): '*'</step>' ]]
	[[ $(step_of "$d" dedup "$S") == '<step stage="dedup" result="held" code="DEDUP_SAME_CERTIFICATE" other="PCC-000021" score="'*'">certificate 2003/90030 of register NC is also record PCC-000021 (register PCC, certificate 2003/90030, HAMZA RAUF s/o ABDUL RAUF, born 1975-07-07): '*'</step>' ]]
	# in the RC register, typed otherwise
	[ "$(id_of_number RC/2012/90042 "$S" | tr '\n' ' ')" = "RC-000045 RC-000046 " ]
	[[ $(step_of RC-000045 dedup "$S") == '<step stage="dedup" result="held" code="DEDUP_SAME_CERTIFICATE" other="RC-000046" score="'*'">certificate RC/2012/90042 of register RC is also record RC-000046 (register RC, certificate RC/2012/90042, MOHSIN KHAN s/o NAZIR KHAN, born 1955-03-15): '*'</step>' ]]
	[[ $(step_of RC-000046 dedup "$S") == '<step stage="dedup" result="held" code="DEDUP_SAME_CERTIFICATE" other="RC-000045" score="'*'">certificate RC/2012/90042 of register RC is also record RC-000045 (register RC, certificate RC/2012/90042, MOHSIN KHAN s/o NAZIR KHAN, born 1955-03-15): '*'</step>' ]]
	# nothing else is a duplicate: dedup held these four, cleared every other ok record
	grep -o '<step stage="dedup" result="held"[^>]* other="[^"]*"' "$S" | sed 's/.* other=//' | sort > held
	printf '"%s"\n' NC-000025 PCC-000020 PCC-000021 PCC-000022 RC-000045 RC-000046 | diff - held
	[ "$(grep -c '<step stage="dedup" result="ok" code="DEDUP_CLEAR">' "$S")" -eq 23 ]
	[ "$(grep -c '<step stage="dedup" ' "$S")" -eq 29 ]
	# in review.csv, both are named
	run grep -c '^PCC-000020,held,DEDUP_SAME_CERTIFICATE,"certificate PCC/2001/90020 of register PCC is also record PCC-000022 ' "$RUN/review.csv"
	assert_output 1
	run grep -c '^NC-000025,held,DEDUP_SAME_CERTIFICATE,"certificate 2003/90030 of register NC is also record PCC-000021 ' "$RUN/review.csv"
	assert_output 1
}

@test "migrate: review.csv has every held or rejected certificate, once, with its reason" {
	local line status code reason id step
	head -n 1 "$RUN/review.csv" > h
	echo "id,status,code,reason,$HEADER" | diff - h
	# the ids: exactly the records not ok, in stream order
	{ ids_status "$S" held; ids_status "$S" rejected; } | sort > want
	tail -n +2 "$RUN/review.csv" | cut -d, -f1 > got
	sort got | diff want -
	[ "$(wc -l < got)" -eq 23 ]
	[ "$(sort -u got | wc -l)" -eq 23 ]
	# each row's status, code and reason are its record's, from the step that held or rejected it
	tail -n +2 "$RUN/review.csv" | awk "$CSV_SPLIT"'{ csv_split($0, f); printf "%s\t%s\t%s\t%s\n", f[1], f[2], f[3], f[4] }' > rows
	[ "$(wc -l < rows)" -eq 23 ]
	while IFS=$'\t' read -r id status code reason; do
		step=$(record_of "$id" "$S" | grep -o "<step stage=\"[a-z-]*\" result=\"$status\" code=\"$code\"[^>]*>[^<]*</step>")
		[ "${step#*>}" = "$reason</step>" ] || { echo "$id: $reason / $step"; return 1; }
		record_of "$id" "$S" | grep -q " status=\"$status\">" || { echo "$id not $status"; return 1; }
	done < rows
	grep -q '^PCC-000017,rejected,DATE_INVALID,issued_on '"'"'31/02/1999'"'"' is not a real calendar date; correct the date,PCC,PCC/1999/90006,31/02/1999,SAJID HUSSAIN,HUSSAIN BAKHSH,05/1940,DELHI,,INDIA,PAKISTAN,,$' "$RUN/review.csv"
}

@test "migrate: every certificate in is ok, held or rejected out, once, and the stages count them so" {
	ids "$RUN/01-ingest.xml" > in
	ids "$S" > out
	diff in out
	[ "$(wc -l < in)" -eq 46 ]
	[ "$(sort -u in | wc -l)" -eq 46 ]
	ids_status "$S" ok > ok
	ids_status "$S" held > held
	ids_status "$S" rejected > rejected
	[ "$(wc -l < ok) $(wc -l < held) $(wc -l < rejected)" = "23 21 2" ]
	sort ok held rejected | diff <(sort in) -
	# every ok certificate is approved
	[ "$(grep -c '<step stage="sign" result="ok" code="SIGN_APPROVED">approved: passed validate, dedup</step>' "$S")" -eq 23 ]
	local s n i o r h
	for s in ingest validate dedup sign; do
		read -r n o r h < <(sed -n 's/^[a-z-]*: [^:]*: \([0-9]*\) in, \([0-9]*\) ok, \([0-9]*\) rejected, \([0-9]*\) held.*/\1 \2 \3 \4/p' "$RUN/$s.log")
		[ "$n" -eq 46 ] && [ $((o + r + h)) -eq "$n" ] || { echo "$s: $n $o $r $h"; return 1; }
		grep -q "^[0-9T:-]*Z $s: B-[0-9-]*: $n in, $o ok, $r rejected, $h held, " "$RUN/run.log"
	done
	i=$(grep -c '^<record ' "$RUN/02-validate.xml")
	[ "$i" -eq 46 ]
}

@test "migrate: the block list has the renounced citizens whose CNIC NADRA has active, and no one else" {
	head -n 1 "$RUN/blocklist.csv" > h
	echo 'cnic,certificate_no,issued_on,name,father_name,register_name,register_father_name,register_status' | diff - h
	tail -n +2 "$RUN/blocklist.csv" | cut -d, -f1 > got
	diff <(echo "$BLOCKED") got
	# once, though the certificate was typed twice
	run grep -c '^6110133333333,' "$RUN/blocklist.csv"
	assert_output 1
	grep -qx '6110133333333,RC/2012/90042,2012-02-02,MOHSIN KHAN,NAZIR KHAN,MOHSIN KHAN,NAZIR KHAN,active' "$RUN/blocklist.csv"
	# not listed: not in NADRA, deceased, cancelled; a PCC with a CNIC
	run grep -E '^(6110111111111|6110122222222|4550876095761|3520212345671),' "$RUN/blocklist.csv"
	assert_failure 1
	# the list is the RC records with an active CNIC, whatever their status
	[ "$(tail -n +2 "$RUN/blocklist.csv" | cut -d, -f8 | sort -u)" = active ]
	run cat "$RUN/blocklist.log"
	# (the CNIC typed twice counted once)
	assert_output --regexp ': 11 renounced citizens with an active CNIC, of 14 renunciations with a CNIC$'
}

# migrate FILE...: a migration in a spool of this test's own; sets RUN2, S2
migrate() {
	SP=$BATS_TEST_TMPDIR/sp conf c
	run "$MIGRATE" --config c "$@"
	RUN2=$(run_dirs "$BATS_TEST_TMPDIR/sp" | tail -n 1)
	S2=$RUN2/citizenship.xml
}

@test "migrate: a zip of the register files in a folder gives the same records as the files" {
	bsdtar -tf regs.zip | grep -qx regs/pcc-1998.csv
	migrate regs.zip
	assert_success
	assert_line 'migrate-citizenship: regs.zip:regs/pcc-1998.csv: no register column; register PCC from the file name'
	diff <(records "$S") <(records "$S2")
	[ ! -e "$RUN2/blocklist.csv" ]
	cmp "$RUN/review.csv" "$RUN2/review.csv"
	printf '%s\n' pcc-1998.csv NC.csv rc.csv | diff - <(bsdtar -tf "$RUN2/registers.tar")
}

@test "migrate: a tar of the register files gives the same records as the files, and so do compressed files with other line ends" {
	migrate --nadra nadra.csv regs.tar
	assert_success
	diff <(records "$S") <(records "$S2")
	cmp "$RUN/blocklist.csv" "$RUN2/blocklist.csv"
	# compressed, and with other line ends: CR alone (without the register
	# column), a byte order mark and CRLF (with it)
	tr '\n' '\r' < pcc-1998.csv | gzip > pcc-1998.csv.gz
	{ printf '\357\273\277'; sed 's/$/\r/' rc.csv; } | gzip > rc.csv.gz
	rm pcc-1998.csv rc.csv
	migrate pcc-1998.csv.gz NC.csv rc.csv.gz
	assert_success
	diff <(records "$S") <(records "$S2")
	printf '%s\n' pcc-1998.csv NC.csv rc.csv | diff - <(bsdtar -tf "$RUN2/registers.tar")
}

@test "migrate: a failed stage is resumed from its input, the stages before kept" {
	local before
	migrate --signer "$OTHER_FPR" pcc-1998.csv NC.csv rc.csv
	assert_failure 77
	assert_line --regexp "^migrate-citizenship: sign FAILED \\(exit 77\\): "
	assert_line "migrate-citizenship: fix the cause and resume: migrate-citizenship --resume $RUN2"
	[ -e "$RUN2/03-dedup.xml" ] && [ ! -e "$RUN2/04-sign.xml" ] && [ ! -e "$RUN2/04-sign.xml.tmp" ]
	[ ! -e "$RUN2/citizenship.xml" ] && [ ! -e "$RUN2/review.csv" ]
	before=$(cd "$RUN2" && sha256sum 0*.xml registers.tar)
	run "$MIGRATE" --config c --nadra nadra.csv --signer "$APPROVER_FPR" --resume "$RUN2"
	assert_success
	assert_line 'migrate-citizenship: resumed'
	assert_line 'migrate-citizenship: ingest: done before, 01-ingest.xml kept'
	assert_line 'migrate-citizenship: validate: done before, 02-validate.xml kept'
	assert_line 'migrate-citizenship: dedup: done before, 03-dedup.xml kept'
	assert_line --regexp '^migrate-citizenship: sign: B-[0-9-]*: 46 in, 23 ok, 2 rejected, 21 held, '
	[ "$(cd "$RUN2" && sha256sum 01-ingest.xml 02-validate.xml 03-dedup.xml registers.tar)" = "$(grep -v 04-sign <<< "$before")" ]
	diff <(records "$S") <(records "$S2")
	cmp "$RUN/review.csv" "$RUN2/review.csv"
	cmp "$RUN/blocklist.csv" "$RUN2/blocklist.csv"
	[ "$(run_dirs "$BATS_TEST_TMPDIR/sp" | wc -l)" -eq 1 ]
	# a folder that is not a run
	run -66 "$MIGRATE" --config c --resume "$BATS_TEST_TMPDIR"
	assert_output --partial "is not a migration run folder"
}

@test "migrate: the run folder is 0700 and everything in it 0600" {
	[ "$(stat -c %a "$KT/spool/runs")" = 700 ]
	[ "$(stat -c %a "$RUN")" = 700 ]
	run find "$RUN" -mindepth 1 ! -perm 600
	assert_output ''
	[ "$(find "$RUN" -mindepth 1 | wc -l)" -ge 14 ]
	[ "$(stat -c %a "$RUN/blocklist.csv") $(stat -c %a "$RUN/review.csv") $(stat -c %a "$S")" = "600 600 600" ]
}

@test "migrate: usage errors exit 64" {
	run -64 "$MIGRATE"
	assert_output "$USAGE"
	run -64 "$MIGRATE" --bogus NC.csv
	assert_output "$USAGE"
	run -64 "$MIGRATE" --config
	assert_output "$USAGE"
	run -64 "$MIGRATE" --config "$KT/conf" --resume "$RUN" NC.csv
	assert_output "$USAGE"
	run -64 "$MIGRATE" --config "$KT/conf" --nadra
	run -0 "$MIGRATE" --help
	assert_line 'migrate-citizenship: the legacy citizenship registers (PCC, NC, RC typed'
	[ "$(run_dirs "$KT/spool" | wc -l)" -eq 1 ]
}

@test "migrate: an input that cannot be read exits 66 and leaves no run folder" {
	SP=$BATS_TEST_TMPDIR/sp conf c
	run -66 "$MIGRATE" --config c NC.csv missing.csv
	assert_output 'migrate-citizenship: cannot read missing.csv'
	mkdir adir
	run -66 "$MIGRATE" --config c adir
	assert_output 'migrate-citizenship: cannot read adir'
	if [ "$(id -u)" != 0 ]; then          # root reads a file of mode 0
		cp NC.csv closed.csv
		chmod 000 closed.csv
		run -66 "$MIGRATE" --config c closed.csv
		assert_output 'migrate-citizenship: cannot read closed.csv'
	fi
	run -66 "$MIGRATE" --config c --nadra missing.csv NC.csv
	assert_output 'migrate-citizenship: cannot read the NADRA extract missing.csv'
	run -66 "$MIGRATE" --config missing.conf NC.csv
	assert_output 'migrate-citizenship: cannot read the configuration missing.conf'
	[ "$(run_dirs "$BATS_TEST_TMPDIR/sp" | wc -l)" -eq 0 ]
	[ -z "$(find "$BATS_TEST_TMPDIR/sp/runs" -mindepth 1 -name 'migrate-*')" ]
}

@test "migrate: register files that cannot be taken exit 65; before ingest no run folder is left" {
	SP=$BATS_TEST_TMPDIR/sp conf c
	echo hello > notes.txt
	run -65 "$MIGRATE" --config c NC.csv notes.txt
	assert_output 'migrate-citizenship: notes.txt is not a .csv file: give CSV files, or a zip or tar of them'
	cp pcc-1998.csv book.csv
	run -65 "$MIGRATE" --config c book.csv
	assert_output 'migrate-citizenship: book.csv has no register column, and its name names no one register (PCC, NC or RC): add the column, or name the file after its register (PCC.csv, nc-1998.csv)'
	cp pcc-1998.csv pcc-and-nc.csv
	run -65 "$MIGRATE" --config c pcc-and-nc.csv
	assert_output --partial 'pcc-and-nc.csv has no register column'
	mkdir regs
	cp NC.csv notes.txt regs/
	run -65 "$MIGRATE" --config c NC.csv regs/NC.csv
	assert_output 'migrate-citizenship: two register files are named NC.csv (regs/NC.csv): rename one'
	mv regs/notes.txt regs/README.txt
	bsdtar --format zip -cf bad.zip regs/NC.csv regs/README.txt
	run -65 "$MIGRATE" --config c bad.zip
	assert_output 'migrate-citizenship: bad.zip:regs/README.txt is not a .csv file: give CSV files, or a zip or tar of them'
	printf 'not a zip' > broken.zip
	run -65 "$MIGRATE" --config c broken.zip
	assert_output --regexp '^migrate-citizenship: cannot unpack broken.zip: '
	[ -z "$(find "$BATS_TEST_TMPDIR/sp/runs" -mindepth 1 -name 'migrate-*')" ]
	# a header ingest refuses: the run folder stays, with the reason
	sed '1s/,remarks$/,remark/' rc.csv > RC2.csv
	run -65 "$MIGRATE" --config c RC2.csv
	assert_line --regexp "^migrate-citizenship: ingest FAILED \\(exit 65\\): ingest: registers.tar:RC2.csv line 1: unknown column 'remark' "
	[ "$(run_dirs "$BATS_TEST_TMPDIR/sp" | wc -l)" -eq 1 ]
	[ ! -e "$(run_dirs "$BATS_TEST_TMPDIR/sp")/01-ingest.xml" ]
}

@test "migrate: no approver key exits 78 before anything runs; another run holding the lock, 75" {
	SP=$BATS_TEST_TMPDIR/sp conf c
	sed -i '/^APPROVER_KEY=/d' c
	run -78 "$MIGRATE" --config c NC.csv
	assert_output --partial 'migrate-citizenship: no approver key: give --signer FPR or APPROVER_KEY in c'
	[ -z "$(find "$BATS_TEST_TMPDIR/sp/runs" -mindepth 1 -name 'migrate-*')" ]
	exec 8> "$BATS_TEST_TMPDIR/sp/runs/.migrate.lock"
	flock 8
	run -75 "$MIGRATE" --config c --signer "$APPROVER_FPR" NC.csv
	exec 8>&-
	assert_output --partial 'another migrate run holds'
	[ -z "$(find "$BATS_TEST_TMPDIR/sp/runs" -mindepth 1 -name 'migrate-*')" ]
}

# a register as typed (issue 25): old NICs, relation prefixes, dates day first
TYPED_PLANTED='PCC,T/1,03.04.1998,ZAFAR IQBAL,S/O MUHAMMAD IQBAL,02.03.1961,DELHI,657-80-291030,INDIA,PAKISTAN,,
PCC,T/2,4/8/1998,AMNA BIBI,W/O. Tariq Mehmood,14/08/45,DELHI,65780291031,INDIA,PAKISTAN,,
PCC,T/3,08/14/1998,SANA KHAN,daughter of Aslam Khan,1960,DELHI,,INDIA,PAKISTAN,,
PCC,T/4,31/02/1999,ADIL SHAH,SON OF: NAWAZ SHAH,1962,DELHI,,INDIA,PAKISTAN,,
PCC,T/5,12-Aug-1998,SOHAIL RANA,s.o. Dost Muhammad,17/12/99,DELHI,35202-1234567-1,INDIA,PAKISTAN,,
PCC,T/6,05.05.1998,DOST MUHAMMAD,SOHAIL KHAN,1950,DELHI,6578029103,INDIA,PAKISTAN,,'

@test "migrate: a register typed day first, with old NICs and relation prefixes, read as its paper means" {
	SP=$BATS_TEST_TMPDIR/sp conf c REGISTER_DATES=day-first
	{ echo "$HEADER"; printf '%s\n' "$TYPED_PLANTED"; } > typed.csv
	run -0 "$MIGRATE" --config c typed.csv
	assert_line --partial 'migrate-citizenship: dates read day-first, as the registers are written'
	assert_line --regexp '^migrate-citizenship: validate: B-[0-9]{8}-[0-9]{2}: 6 in, 3 ok, 1 rejected, 2 held, '
	local r s
	r=$(run_dirs "$BATS_TEST_TMPDIR/sp")
	s=$r/citizenship.xml
	[ "$(cat "$r/dates")" = day-first ]
	# an old NIC kept as old_nic, the CNIC empty; S/O taken off the father's name
	[ "$(norm_of "$(id_of_number T/1 "$s")" "$s")" = '<normalised><register>PCC</register><name>ZAFAR IQBAL</name><father_name>MUHAMMAD IQBAL</father_name><old_nic>65780291030</old_nic><issued_on>1998-04-03</issued_on><date_of_birth>1961-03-02</date_of_birth></normalised>' ]
	[ "$(step_of "$(id_of_number T/1 "$s")" validate "$s")" = '<step stage="validate" result="ok" code="VALIDATE_OK">every field valid; dates read day first, as the register is written</step>' ]
	# W/O: the husband, as spouse_name, no father's name
	[ "$(norm_of "$(id_of_number T/2 "$s")" "$s")" = '<normalised><register>PCC</register><name>AMNA BIBI</name><spouse_name>TARIQ MEHMOOD</spouse_name><old_nic>65780291031</old_nic><issued_on>1998-08-04</issued_on><date_of_birth>1945-08-14</date_of_birth></normalised>' ]
	# a date that does not read day first is held, never turned round
	[ "$(step_of "$(id_of_number T/3 "$s")" validate "$s")" = "<step stage=\"validate\" result=\"held\" code=\"DATE_NOT_DAY_FIRST\">issued_on '08/14/1998' read day first, as the register is written, is day 08 of month 14: not a real date; read the paper register and enter it as YYYY-MM-DD</step>" ]
	[ "$(step_of "$(id_of_number T/4 "$s")" validate "$s")" = "<step stage=\"validate\" result=\"held\" code=\"DATE_NOT_DAY_FIRST\">issued_on '31/02/1999' read day first, as the register is written, is day 31 of month 02: not a real date; read the paper register and enter it as YYYY-MM-DD</step>" ]
	# the century of a two-digit year is still not guessed: 17/12/99 before 1998-08-12 is 1899
	norm_of "$(id_of_number T/5 "$s")" "$s" | grep -q '<father_name>DOST MUHAMMAD</father_name><cnic>3520212345671</cnic><issued_on>1998-08-12</issued_on><date_of_birth>1899-12-17</date_of_birth>'
	# a name that starts like a prefix keeps it; 10 digits are neither NIC
	[ "$(step_of "$(id_of_number T/6 "$s")" validate "$s")" = "<step stage=\"validate\" result=\"rejected\" code=\"CNIC_FORMAT\">cnic '6578029103' is not 13 digits (written 1234512345671 or 12345-1234567-1), nor an old NIC of 11 digits (657-80-291030)</step>" ]
	# --dates any on the command line wins over the configuration
	run -0 "$MIGRATE" --config c --dates any typed.csv
	assert_line --regexp '^migrate-citizenship: validate: B-[0-9]{8}-[0-9]{2}: 6 in, 2 ok, 2 rejected, 2 held, '
	r=$(run_dirs "$BATS_TEST_TMPDIR/sp" | tail -n 1)
	[ "$(cat "$r/dates")" = any ]
	step_of "$(id_of_number T/1 "$r/citizenship.xml")" validate "$r/citizenship.xml" | grep -q 'code="DATE_AMBIGUOUS">issued_on '"'"'03.04.1998'"'"' could be 1998-04-03 or 1998-03-04'
	run -78 "$MIGRATE" --config c --dates month-first typed.csv
	assert_output "migrate-citizenship: the date convention 'month-first' (--dates or REGISTER_DATES in c) is neither day-first nor any"
}

@test "migrate: a held certificate corrected by an officer (review) goes through validate, dedup and sign again with --decided" {
	SP=$BATS_TEST_TMPDIR/sp conf c
	cp "$KT/k/trust" trust
	echo "$OTHER_FPR reviewer Officer Bilal Ahmed" >> trust
	chmod 644 trust
	sed -i "s|^IMPASS_TRUST=.*|IMPASS_TRUST=$PWD/trust|" c
	run -0 "$MIGRATE" --config c --decided
	assert_output "migrate-citizenship: no decided certificates wait in $BATS_TEST_TMPDIR/sp/decided"
	local id b r
	id=$(id_of_number PCC/1998/90005 "$S")
	b=$(sed -n '2s/.* id="\([^"]*\)".*/\1/p' "$S")
	IMPASS_TRUST=$PWD/trust review export --spool sp "$S" > review.csv 2> /dev/null
	{ head -n 1 review.csv; grep "^$b,$id," review.csv | sed 's/,,,,$/,correct,issued_on,1998-04-03,the paper register reads 3 April 1998/'; } > filled.csv
	IMPASS_TRUST=$PWD/trust run -0 review apply --spool sp -s "$OTHER_FPR" -d filled.csv "$S"
	run -0 "$MIGRATE" --config c --decided
	assert_line "migrate-citizenship: decided certificates $b-D1: run folder $BATS_TEST_TMPDIR/sp/runs/migrate-decided-$b-D1"
	assert_line --regexp "^migrate-citizenship: sign: $b-D1: 1 in, 1 ok, 0 rejected, 0 held, "
	assert_line "impass migration run migrate-decided-$b-D1"
	r=$BATS_TEST_TMPDIR/sp/runs/migrate-decided-$b-D1
	[ -z "$(ls sp/decided)" ]
	run -0 sh -c "grep -o '<step stage=\"[a-z-]*\" result=\"[a-z]*\" code=\"[A-Z_]*\"' '$r/citizenship.xml' | tr '\n' ' '"
	assert_output '<step stage="ingest" result="ok" code="INGEST_OK" <step stage="validate" result="held" code="DATE_AMBIGUOUS" <step stage="review" result="ok" code="REVIEW_CORRECT" <step stage="validate" result="ok" code="VALIDATE_OK" <step stage="dedup" result="ok" code="DEDUP_CLEAR" <step stage="sign" result="ok" code="SIGN_APPROVED" '
	grep -q '<issued_on>1998-04-03</issued_on>' "$r/citizenship.xml"
	[ "$(cat "$r/review.csv")" = "$(head -n 1 "$RUN/review.csv")" ]
}
