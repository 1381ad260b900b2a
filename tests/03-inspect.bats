#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# inspect: the summary, one record, the CSV export, record proofs, and
# refusing to show a stream whose seal is not good.

bats_require_minimum_version 1.5.0
load helpers

EMPTY_ROOT=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
APP_COLUMNS=office,category,passport_type,surname,given_names,father_name,sex,date_of_birth,place_of_birth,cnic,nationality,validity_years,pages,previous_passport,delivery_office,delivery_mode,address,phone,photo_sha256,fee_receipt,fee_amount,applied_on
CIT_COLUMNS=register,certificate_no,issued_on,name,father_name,date_of_birth,place_of_birth,cnic,previous_nationality,country,mission,remarks

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 7 > base.csv
	ingest -b B-TEST-01 base.csv > base.xml
	ingest -b B-TEST-02 base.csv > other-batch.xml
	"$GEN" --seed 2 applications 7 | ingest -b B-TEST-03 > foreign.xml
	head -n 3 base.csv > two.csv
	ingest -b B-TWO two.csv > two.xml
	# rows 2-4 rejected by ingest: a field short, no tracking id, a control
	# character in place_of_birth; record 5 then held by a later stage
	awk -F, -v OFS=, 'NR == 3 { sub(/,[^,]*$/, "") } NR == 4 { sub(/^[^,]*/, "") }
		NR == 5 { $10 = $10 "\001" } { print }' base.csv > mixed.csv
	ingest -b B-TEST-01 mixed.csv > mixed0.xml
	passthru --hold "$(attr "$(sed -n 7p mixed0.xml)" id)" mixed0.xml > mixed1.xml
	passthru mixed1.xml > mixed2.xml
	"$GEN" registers 3 > reg.csv
	ingest --kind citizenship -b B-CIT-01 reg.csv > cit.xml
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/*.csv "$KT"/*.xml .
}

rid() {                                # rid FILE N: the id of record N
	attr "$(grep '^<record ' "$1" | sed -n "$2p")" id
}

seal_of() { grep '^<seal ' "$1"; }

with_trust_line() {                    # a copy of the trust file with more keys
	cp "$IMPASS_TRUST" trust
	printf '%s\n' "$@" >> trust
	chmod 644 trust
}

# inspect ARGS must refuse with CODE and a message containing TEXT, writing nothing
refused() {
	local code=$1 text=$2
	shift 2
	run -"$code" --separate-stderr inspect "$@"
	assert_output ''
	[[ $stderr == *"$text"* ]] || fail "stderr: $stderr"
}

# RFC 9162 2.1.3.1 PATH(m, D[n]) over the leaf hashes given, leaf upwards
ind_path() {
	local m=$1 n k=1
	shift
	n=$#
	if [ "$n" -le 1 ]; then return; fi
	while [ $((k * 2)) -lt "$n" ]; do k=$((k * 2)); done
	if [ "$m" -lt "$k" ]; then
		ind_path "$m" "${@:1:k}"
		ind_mth "${@:k+1}"
	else
		ind_path $((m - k)) "${@:k+1}"
		ind_mth "${@:1:k}"
	fi
}

leaves_of() {
	local line
	while IFS= read -r line; do ind_leaf "$line"; done < <(grep '^<record ' "$1")
}

# The same root as ind_root, computed level by level (an odd node moves up
# unchanged, which is RFC 6962's tree) with one sha256sum per level: fast
# enough to reseal a stream of a hundred records.
level_root() {
	local i=0 line esc files=() hs=() next=()
	while IFS= read -r line; do
		printf '\0%s' "$line" > "mt.$i"
		files+=("mt.$i")
		i=$((i + 1))
	done < <(grep '^<record ' "$1")
	if [ "$i" -eq 0 ]; then echo "$EMPTY_ROOT"; return; fi
	mapfile -t hs < <(sha256sum "${files[@]}" | cut -c1-64)
	while [ "${#hs[@]}" -gt 1 ]; do
		files=() i=0
		while IFS= read -r esc; do
			printf "$esc" > "mt.$i"
			files+=("mt.$i")
			i=$((i + 1))
		done < <(printf '%s\n' "${hs[@]}" | paste -d '' - - |
			 sed -n '/^.\{128\}$/{s/../\\x&/g;s/^/\\x01/;p}')
		mapfile -t next < <(sha256sum "${files[@]}" | cut -c1-64)
		if [ $((${#hs[@]} % 2)) -eq 1 ]; then next+=("${hs[-1]}"); fi
		hs=("${next[@]}")
	done
	rm -f mt.*
	echo "${hs[0]}"
}

# csv_check CSV STREAM: the CSV has the header of SPEC 5 for the stream's kind
# and one row per record, in order, each cell equal to the record's value
# (RFC 4180 parsed; status/code/reason from the step that set the status;
# formula cells with their leading '). Independent of lib/: plain awk.
csv_check() {
	awk -v app="tracking_id,status,code,reason,$APP_COLUMNS" \
	    -v cit="id,status,code,reason,$CIT_COLUMNS" "$CSV_SPLIT"'
	function unxml(s) {
		gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
		gsub(/&apos;/, "\047", s); gsub(/&amp;/, "\\&", s)
		return s
	}
	function xattr(tag, name,    i, s) {
		if ((i = index(tag, " " name "=\"")) == 0) return ""
		s = substr(tag, i + length(name) + 3)
		return unxml(substr(s, 1, index(s, "\"") - 1))
	}
	function elem(s, name,    i, j) {
		if ((i = index(s, "<" name ">")) == 0) return ""
		s = substr(s, i + length(name) + 2)
		j = index(s, "</" name ">")
		return j ? unxml(substr(s, 1, j - 1)) : "?unclosed"
	}
	function protect(v) {
		if (v ~ /^[=@]/ || (v ~ /^[-+]/ && substr(v, 2) ~ /[^-0-9 ]/)) return "\047" v
		return v
	}
	FNR == NR {
		if (FNR == 2) { kind = xattr($0, "kind"); ncol = split(kind == "citizenship" ? cit : app, col, ",") }
		if ($0 !~ /^<record /) next
		n++
		head = substr($0, 1, index($0, ">"))
		want[n, 1] = xattr(head, "id"); want[n, 2] = xattr(head, "status")
		want[n, 3] = ""; want[n, 4] = ""
		rest = $0
		while (want[n, 2] != "ok" && (i = index(rest, "<step ")) > 0) {
			rest = substr(rest, i)
			tag = substr(rest, 1, index(rest, ">"))
			if (xattr(tag, "result") != "ok") {
				want[n, 3] = xattr(tag, "code")
				if (tag !~ /\/>$/)
					want[n, 4] = unxml(substr(rest, length(tag) + 1,
						index(rest, "</step>") - length(tag) - 1))
				break
			}
			rest = substr(rest, length(tag) + 1)
		}
		if (kind == "citizenship") {
			sec = substr($0, index($0, "<certificate "))
			sec = substr(sec, 1, index(sec, "</certificate>"))
			tag = substr(sec, 1, index(sec, ">"))
			want[n, 5] = xattr(tag, "register"); want[n, 6] = xattr(tag, "number")
			for (j = 7; j <= ncol; j++) want[n, j] = elem(sec, col[j])
		} else {
			sec = substr($0, index($0, "<application>"))
			sec = substr(sec, 1, index(sec, "</application>"))
			for (j = 5; j <= ncol; j++) want[n, j] = elem(sec, col[j])
		}
		next
	}
	FNR == 1 {
		got = $0
		hdr = kind == "citizenship" ? cit : app
		if (got != hdr) { print "header: " got; print "want:   " hdr; bad = 1 }
		next
	}
	{
		r++
		if (csv_split($0, cell) != ncol) { print "row " r ": " csv_split($0, cell) " cells: " $0; bad = 1; next }
		for (j = 1; j <= ncol; j++)
			if (cell[j] != protect(want[r, j])) {
				print "row " r " " col[j] ": got [" cell[j] "] want [" protect(want[r, j]) "]"
				bad = 1
			}
	}
	END {
		if (r != n) { print r " rows for " n " records"; bad = 1 }
		exit bad
	}' "$2" "$1"
}

# ---- the summary --------------------------------------------------------------

@test "the summary of a clean batch is exactly five lines, for either kind" {
	seal=$(seal_of base.xml)
	run -0 --separate-stderr inspect base.xml
	assert_output "batch       B-TEST-01
kind        application
records     7 (ok 7, held 0, rejected 0)
seal        good: ingest by $STAGE_FPR (Night stage key), 7 records, $(attr "$seal" created)
root        $(attr "$seal" root)"
	seal=$(seal_of cit.xml)
	run -0 --separate-stderr inspect cit.xml
	assert_output "batch       B-CIT-01
kind        citizenship
records     3 (ok 3, held 0, rejected 0)
seal        good: ingest by $STAGE_FPR (Night stage key), 3 records, $(attr "$seal" created)
root        $(attr "$seal" root)"
}

@test "the summary counts rejected records and lists their codes" {
	seal=$(seal_of mixed0.xml)
	run -0 --separate-stderr inspect mixed0.xml
	assert_output "batch       B-TEST-01
kind        application
records     7 (ok 4, held 0, rejected 3)
seal        good: ingest by $STAGE_FPR (Night stage key), 7 records, $(attr "$seal" created)
root        $(attr "$seal" root)
codes       rejected    INGEST_FIELD_COUNT           1
            rejected    INGEST_NO_ID                 1
            rejected    INGEST_CONTROL_CHAR          1"
}

@test "the summary lists held records and every provenance entry, oldest first" {
	s0=$(seal_of mixed0.xml) s1=$(seal_of mixed1.xml) s2=$(seal_of mixed2.xml)
	run -0 --separate-stderr inspect mixed2.xml
	assert_output "batch       B-TEST-01
kind        application
records     7 (ok 3, held 1, rejected 3)
seal        good: passthru by $STAGE_FPR (Night stage key), 7 records, $(attr "$s2" created)
root        $(attr "$s2" root)
provenance  ingest by $STAGE_FPR (Night stage key), 7 records, $(attr "$s0" created)
            passthru by $STAGE_FPR (Night stage key), 7 records, $(attr "$s1" created)
codes       rejected    INGEST_FIELD_COUNT           1
            rejected    INGEST_NO_ID                 1
            rejected    INGEST_CONTROL_CHAR          1
            held        PASSTHRU_HOLD                1"
}

@test "the signer's name comes from the trust file given by -t or IMPASS_TRUST" {
	{
		echo "# another office's trust file"
		echo "$STAGE_FPR stage Lahore HQ night key"
	} > trust
	chmod 644 trust
	run -0 --separate-stderr inspect -t trust base.xml
	assert_line --index 3 --partial "seal        good: ingest by $STAGE_FPR (Lahore HQ night key), 7 records, "
	IMPASS_TRUST=$PWD/trust run -0 --separate-stderr inspect base.xml
	assert_line --index 3 --partial "seal        good: ingest by $STAGE_FPR (Lahore HQ night key), 7 records, "
	# an approver's seal of sign is good and names the officer
	passthru --stage sign --signer "$APPROVER_FPR" two.xml > signed.xml
	run -0 --separate-stderr inspect signed.xml
	assert_line --index 3 "seal        good: sign by $APPROVER_FPR (Officer Ayesha Siddiqui), 2 records, $(attr "$(seal_of signed.xml)" created)"
	assert_line --index 5 "provenance  ingest by $STAGE_FPR (Night stage key), 2 records, $(attr "$(seal_of two.xml)" created)"
}

@test "the stream is read from stdin with - or with no operand, even from a pipe" {
	run -0 --separate-stderr inspect mixed2.xml
	want=$output
	run -0 --separate-stderr inspect < mixed2.xml
	assert_output "$want"
	run -0 --separate-stderr bash -c 'cat mixed2.xml | inspect -'
	assert_output "$want"
	run -0 --separate-stderr bash -c 'cat mixed2.xml | inspect --csv'
	assert_equal "${#lines[@]}" 8
	run -0 --separate-stderr bash -c 'cat mixed2.xml | inspect --prove ROW-4'
	inspect --prove ROW-4 mixed2.xml > p
	assert_output "$(cat p)"
}

@test "an empty batch: zero counts, the empty root, a CSV of the header alone" {
	head -n 1 base.csv > empty.csv
	ingest -b B-EMPTY --allow-empty empty.csv > empty.xml 2> /dev/null
	run -0 --separate-stderr inspect empty.xml
	assert_output "batch       B-EMPTY
kind        application
records     0 (ok 0, held 0, rejected 0)
seal        good: ingest by $STAGE_FPR (Night stage key), 0 records, $(attr "$(seal_of empty.xml)" created)
root        sha256:$EMPTY_ROOT"
	run -0 --separate-stderr inspect --csv empty.xml
	assert_output "tracking_id,status,code,reason,$APP_COLUMNS"
	refused 66 "batch B-EMPTY holds no record X-1" --prove X-1 empty.xml
}

# ---- a seal that is not good ----------------------------------------------------

@test "a stream changed after sealing: the summary says NOT VALID and what the seal claims, exit 65" {
	sed '3s/<surname>./<surname>Q/' mixed0.xml > t.xml
	refute cmp -s mixed0.xml t.xml
	seal=$(seal_of t.xml)
	run -65 --separate-stderr inspect t.xml
	assert_output "batch       B-TEST-01
kind        application
records     7 (ok 4, held 0, rejected 3)
seal        NOT VALID (the records do not hash to the sealed root: a record was changed, replaced or reordered after sealing)
            claims: ingest by $STAGE_FPR (listed as Night stage key), 7 records, $(attr "$seal" created)
root        $(attr "$seal" root)
            but the records hash to sha256:$(ind_root t.xml)
codes       rejected    INGEST_FIELD_COUNT           1
            rejected    INGEST_NO_ID                 1
            rejected    INGEST_CONTROL_CHAR          1"
	assert_equal "$stderr" "inspect: B-TEST-01: the records do not hash to the sealed root: a record was changed, replaced or reordered after sealing"
	# a record removed
	sed 5d base.xml > t.xml
	run -65 --separate-stderr inspect t.xml
	assert_line --index 2 "records     6 (ok 6, held 0, rejected 0)"
	assert_line --index 3 "seal        NOT VALID (the seal counts 7 records but the stream holds 6: records were added or removed after sealing)"
	assert_line --index 4 --partial "            claims: ingest by $STAGE_FPR (listed as Night stage key), 7 records, "
	[[ $stderr == "inspect: B-TEST-01: the seal counts 7 records but the stream holds 6"* ]] || fail "stderr: $stderr"
	# the seal line of another batch: same records, only the signed batch id differs
	grep -v '^<seal ' base.xml | sed '$d' > t.xml
	seal_of other-batch.xml >> t.xml
	echo '</batch>' >> t.xml
	run -65 --separate-stderr inspect t.xml
	assert_line --index 0 "batch       B-TEST-01"
	assert_line --index 3 --partial "seal        NOT VALID (bad signature"
	[[ $stderr == "inspect: B-TEST-01: bad signature"* ]] || fail "stderr: $stderr"
}

@test "a seal by an untrusted, unknown or wrong-role key: NOT VALID, exit 77" {
	with_trust_line "$OTHER_FPR stage Someone else" "$APPROVER_FPR stage Officer as a stage"
	passthru -t trust --signer "$OTHER_FPR" two.xml > t.xml
	seal=$(seal_of t.xml)
	run -77 --separate-stderr inspect t.xml
	assert_output "batch       B-TWO
kind        application
records     2 (ok 2, held 0, rejected 0)
seal        NOT VALID (key $OTHER_FPR is not in the trust file $IMPASS_TRUST; only keys listed there may seal)
            claims: passthru by $OTHER_FPR (not in the trust file), 2 records, $(attr "$seal" created)
root        $(attr "$seal" root)
provenance  ingest by $STAGE_FPR (listed as Night stage key), 2 records, $(attr "$(seal_of two.xml)" created)"
	[[ $stderr == "inspect: B-TWO: key $OTHER_FPR is not in the trust file"* ]] || fail "stderr: $stderr"
	# with a trust file that lists it, the same stream is good
	run -0 --separate-stderr inspect -t trust t.xml
	assert_line --index 3 --partial "seal        good: passthru by $OTHER_FPR (Someone else), 2 records, "
	# a key that nobody here knows
	reseal two.xml "$STRANGER_FPR" "" "$KT/k/s" > t.xml
	run -77 --separate-stderr inspect t.xml
	assert_line --index 3 --partial "seal        NOT VALID (sealed by key $STRANGER_FPR, which is neither in the keyring nor in the trust file"
	assert_line --index 4 --partial "            claims: ingest by $STRANGER_FPR (not in the trust file), 2 records, "
	[[ $stderr == "inspect: B-TWO: sealed by key $STRANGER_FPR"* ]] || fail "stderr: $stderr"
	# an approver key sealing an ordinary stage
	passthru -t trust --signer "$APPROVER_FPR" two.xml > t.xml
	run -77 --separate-stderr inspect t.xml
	assert_line --index 3 --partial "seal        NOT VALID (key $APPROVER_FPR (Officer Ayesha Siddiqui) may not seal stage passthru: that needs the stage role"
	assert_line --index 4 --partial "            claims: passthru by $APPROVER_FPR (listed as Officer Ayesha Siddiqui), 2 records, "
	[[ $stderr == *"may not seal stage passthru: that needs the stage role"* ]] || fail "stderr: $stderr"
}

@test "a broken stream is a stream error: exit 65, no summary" {
	head -n 6 base.xml > t.xml
	refused 65 "ends after record 4 with no seal" t.xml
	sed '$d' base.xml > t.xml
	refused 65 "expected </batch> after the seal" t.xml
	: > t.xml
	refused 65 "is empty" t.xml
}

@test "--record, --csv and --prove show nothing from a stream whose seal is not good" {
	id=$(rid base.xml 1)
	sed '3s/<surname>./<surname>Q/' base.xml > tampered.xml
	with_trust_line "$OTHER_FPR stage Someone else"
	passthru -t trust --signer "$OTHER_FPR" base.xml > untrusted.xml
	for mode in "--record $id" --csv "--prove $id"; do
		# shellcheck disable=SC2086
		refused 65 "the records do not hash to the sealed root" $mode tampered.xml
		# shellcheck disable=SC2086
		refused 77 "key $OTHER_FPR is not in the trust file" $mode untrusted.xml
	done
}

# ---- one record --------------------------------------------------------------

@test "--record shows every element of the record, nested elements and steps with their attributes" {
	photo=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	{
		echo "tracking_id,$APP_COLUMNS"
		echo "ISB-2026-0000001,ISB,normal,ordinary,AHMED,SANA,TARIQ AHMED,F,1988-03-02,RAWALPINDI,3740512345672,PAK,10,36,,ISB,counter,,03001111111,$photo,100000000001,4500,2026-11-20"
		echo "LHR-2026-0000042,LHR,fasttrack,ordinary,KHAN,MUHAMMAD ALI,ABDUL KHAN,M,1990-01,LAHORE,3520212345671,PAK,10,72,AB7654321,LHR,courier,\"House 5, Street 2 & 3, Lahore\",+923001234567,$photo,100000000002,7500,2026-11-21"
	} > r.csv
	ingest -b B-TEST-01 r.csv > r0.xml 2> /dev/null
	mrz1='P&lt;PAKKHAN&lt;&lt;MUHAMMAD&lt;ALI&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;&lt;'
	mrz2='AB12345672PAK9001&lt;&lt;5M3611278352021234567&lt;04'
	mrz1=${mrz1//&/\\&} mrz2=${mrz2//&/\\&}        # for sed's replacement
	sed "4{s/ status=\"ok\">/ status=\"held\">/
s|<trail>|<passport number=\"AB1234567\" issued=\"2026-11-28\" expires=\"2036-11-27\" type=\"P\"><mrz>$mrz1</mrz><mrz>$mrz2</mrz></passport><trail>|
s|</trail>|<step stage=\"validate\" result=\"ok\"/><step stage=\"screen-pcl\" result=\"held\" code=\"PCL_MATCH\" list=\"PCL\" entry=\"PCL-004211\" score=\"0.96\">CNIC equal; father\&apos;s name equal \&amp; DOB year equal</step></trail>|}" r0.xml > r1.xml
	reseal r1.xml "$STAGE_FPR" > r.xml
	run -0 --separate-stderr inspect --record LHR-2026-0000042 r.xml
	assert_output "record      LHR-2026-0000042 (2 of 2 in batch B-TEST-01)
status      held
application
  tracking_id        LHR-2026-0000042
  office             LHR
  category           fasttrack
  passport_type      ordinary
  surname            KHAN
  given_names        MUHAMMAD ALI
  father_name        ABDUL KHAN
  sex                M
  date_of_birth      1990-01
  place_of_birth     LAHORE
  cnic               3520212345671
  nationality        PAK
  validity_years     10
  pages              72
  previous_passport  AB7654321
  delivery_office    LHR
  delivery_mode      courier
  address            House 5, Street 2 & 3, Lahore
  phone              +923001234567
  photo_sha256       $photo
  fee_receipt        100000000002
  fee_amount         7500
  applied_on         2026-11-21
passport number=AB1234567 issued=2026-11-28 expires=2036-11-27 type=P
  mrz                P<PAKKHAN<<MUHAMMAD<ALI<<<<<<<<<<<<<<<<<<<<<
  mrz                AB12345672PAK9001<<5M3611278352021234567<04
trail
  step stage=ingest result=ok code=INGEST_OK: read from r.csv line 3
  step stage=validate result=ok
  step stage=screen-pcl result=held code=PCL_MATCH list=PCL entry=PCL-004211 score=0.96: CNIC equal; father's name equal & DOB year equal"
}

@test "--record of a rejected record by its ROW-N name, and of a citizenship record" {
	run -0 --separate-stderr inspect --record ROW-4 mixed2.xml
	assert_line --index 0 "record      ROW-4 (3 of 7 in batch B-TEST-01)"
	assert_line --index 1 "status      rejected"
	assert_line --index 2 "application"
	refute_line --partial "  tracking_id "
	assert_line "  surname            $(cut -d, -f5 <<< "$(sed -n 4p base.csv)")"
	assert_line "  step stage=ingest result=rejected code=INGEST_NO_ID: mixed.csv line 4: tracking_id is empty, so the record is named ROW-4; give the application its tracking id and submit it again"
	# the stages after ingest added no step to it
	refute_line --partial "stage=passthru"
	id=$(rid cit.xml 2)
	run -0 --separate-stderr inspect --record "$id" cit.xml
	assert_line --index 0 "record      $id (2 of 3 in batch B-CIT-01)"
	assert_line --index 1 "status      ok"
	row=$(sed -n 3p reg.csv)
	assert_line --index 2 "certificate register=$(cut -d, -f1 <<< "$row") number=$(cut -d, -f2 <<< "$row")"
	assert_line --index 3 "  issued_on          $(cut -d, -f3 <<< "$row")"
	assert_line --index 4 "  name               $(cut -d, -f4 <<< "$row")"
}

@test "--record or --prove of an id the batch does not hold is 66, with nothing on stdout" {
	refused 66 "inspect: B-TEST-01: batch B-TEST-01 holds no record NOPE-1" --record NOPE-1 base.xml
	refused 66 "inspect: B-TEST-01: batch B-TEST-01 holds no record NOPE-1" --prove NOPE-1 mixed2.xml
	# an id is matched whole, not as a prefix
	id=$(rid base.xml 2)
	refused 66 "holds no record ${id%?}" --record "${id%?}" base.xml
}

# ---- CSV export ----------------------------------------------------------------

@test "--csv: the header of SPEC 5.1, one row per record with the verdict's code and reason, round-tripping" {
	run -0 --separate-stderr inspect --csv mixed2.xml
	assert_equal "${#lines[@]}" 8
	assert_line --index 0 "tracking_id,status,code,reason,$APP_COLUMNS"
	assert_equal "$(cut -d, -f1-3 <<< "$output" | sed 1d)" "$(rid mixed2.xml 1),ok,
$(rid mixed2.xml 2),rejected,INGEST_FIELD_COUNT
ROW-4,rejected,INGEST_NO_ID
$(rid mixed2.xml 4),rejected,INGEST_CONTROL_CHAR
$(rid mixed2.xml 5),held,PASSTHRU_HOLD
$(rid mixed2.xml 6),ok,
$(rid mixed2.xml 7),ok,"
	[[ ${lines[5]} == "$(rid mixed2.xml 5),held,PASSTHRU_HOLD,held on request,"* ]] || fail "${lines[5]}"
	[[ ${lines[1]} == "$(rid mixed2.xml 1),ok,,,"* ]] || fail "${lines[1]}"
	# and it round-trips: every cell parses back to the record's value
	echo "$output" > m.csv
	csv_check m.csv mixed2.xml
}

@test "--csv of a citizenship batch: id, then the register and certificate number" {
	run -0 --separate-stderr inspect --csv cit.xml
	assert_line --index 0 "id,status,code,reason,$CIT_COLUMNS"
	assert_equal "${#lines[@]}" 4
	[[ ${lines[1]} == "$(rid cit.xml 1),ok,,,$(sed -n 2p reg.csv | cut -d, -f1-4),"* ]] || fail "${lines[1]}"
	inspect --csv cit.xml > c.csv
	csv_check c.csv cit.xml
}

@test "--csv quotes RFC 4180 style and defuses spreadsheet formulas" {
	photo=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	row() {                          # ID SURNAME PLACE ADDRESS PHONE
		echo "$1,ISB,normal,ordinary,$2,SANA,TARIQ AHMED,F,1988-03-02,$3,3740512345672,PAK,10,36,,ISB,courier,$4,$5,$photo,100000000001,4500,2026-11-20"
	}
	{
		echo "tracking_id,$APP_COLUMNS"
		row F-1 '"O""BRIEN"' LAHORE '"=HYPERLINK(""http://x.test/?a"",""click""), Lahore"' +923001234567
		row F-2 KHAN +cmd '@SUM(A1)' -2+3
		row F-3 KHAN 'a=b' '-1 Street' '+92 300 1234567'
		row F-4 KHAN - '"He said ""no"""' -1234567
		row F-5 '-AHMED' LAHORE '+ 92' '0300-1234567'
		echo "F-6,ISB,normal"
	} > '=x.csv'
	ingest -b B-CSV '=x.csv' > f.xml 2> /dev/null
	# expected rows: "ID,status,code,reason" as row's first argument, then
	# the cells as they must come out; F-6's reason names the file =x.csv
	run -0 --separate-stderr inspect --csv f.xml
	assert_output "tracking_id,status,code,reason,$APP_COLUMNS
$(row F-1,ok,, '"O""BRIEN"' LAHORE "\"'=HYPERLINK(\"\"http://x.test/?a\"\",\"\"click\"\"), Lahore\"" +923001234567)
$(row F-2,ok,, KHAN "'+cmd" "'@SUM(A1)" "'-2+3")
$(row F-3,ok,, KHAN 'a=b' "'-1 Street" '+92 300 1234567')
$(row F-4,ok,, KHAN - '"He said ""no"""' -1234567)
$(row F-5,ok,, "'-AHMED" LAHORE '+ 92' '0300-1234567')
F-6,rejected,INGEST_FIELD_COUNT,\"'=x.csv line 7 has 3 fields where the header has 23, so values may be in the wrong columns; correct the row and submit it again\",ISB,normal,,,,,,,,,,,,,,,,,,,,"
	echo "$output" > out.csv
	csv_check out.csv f.xml
}

# ---- proofs ----------------------------------------------------------------------

@test "--prove writes the proof format of lib/proof.c, with the audit path computed independently" {
	r1=$(sed -n 3p two.xml) r2=$(sed -n 4p two.xml)
	run -0 --separate-stderr inspect --prove "$(attr "$r1" id)" two.xml
	assert_output "impass-proof/1
batch=B-TWO
kind=application
seal=$(seal_of two.xml)
index=0
record=$r1
path=$(ind_leaf "$r2")"
	run -0 --separate-stderr inspect --prove "$(attr "$r2" id)" two.xml
	assert_output "impass-proof/1
batch=B-TWO
kind=application
seal=$(seal_of two.xml)
index=1
record=$r2
path=$(ind_leaf "$r1")"
	# a later stage's proof carries its provenance line
	passthru two.xml > two2.xml 2> /dev/null
	run -0 --separate-stderr inspect --prove "$(attr "$r2" id)" two2.xml
	assert_output "impass-proof/1
batch=B-TWO
kind=application
provenance=$(sed -n 3p two2.xml)
seal=$(seal_of two2.xml)
index=1
record=$r2
path=$(ind_leaf "$r1")"
	# a batch of one record: no path lines, and the proof checks good
	head -n 2 base.csv > one.csv
	ingest -b B-ONE one.csv > one.xml 2> /dev/null
	inspect --prove "$(rid one.xml 1)" one.xml > p
	assert_equal "$(grep -c '^path=' p)" 0
	run -0 --separate-stderr inspect --check-proof p
	assert_output --partial "proof good: record $(rid one.xml 1) (ok) is record 1 of 1 in batch B-ONE, sealed by stage ingest"
}

@test "a proof for every record of a 7-record stream checks good in a verifier's home; the paths are RFC 9162's" {
	created=$(attr "$(seal_of mixed2.xml)" created)
	mapfile -t records < <(grep '^<record ' mixed2.xml)
	for k in 0 1 2 3 4 5 6; do
		id=$(attr "${records[k]}" id)
		st=$(attr "${records[k]}" status)
		inspect --prove "$id" mixed2.xml > "p$k"
		assert_equal "$(sed -n 's/^index=//p; s/^record=//p' "p$k")" "$k
${records[k]}"
		GNUPGHOME=$KT/k/v run -0 --separate-stderr inspect --check-proof "p$k"
		assert_output "proof good: record $id ($st) is record $((k + 1)) of 7 in batch B-TEST-01, sealed by stage passthru, signer $STAGE_FPR (Night stage key), $created"
	done
	# the audit paths of records 5 and 7 (leaf upwards), computed independently
	mapfile -t leaves < <(leaves_of mixed2.xml)
	assert_equal "$(sed -n 's/^path=//p' p4)" "$(ind_path 4 "${leaves[@]}")"
	assert_equal "$(sed -n 's/^path=//p' p6)" "$(ind_path 6 "${leaves[@]}")"
	assert_equal "$(grep -c '^path=' p6)" 2
	run -0 --separate-stderr inspect --check-proof < p4
	assert_output --partial "proof good: record $(attr "${records[4]}" id) ($(attr "${records[4]}" status)) is record 5 of 7"
	run -0 --separate-stderr inspect --check-proof - < p6
	assert_output --partial "proof good: record $(attr "${records[6]}" id) ($(attr "${records[6]}" status)) is record 7 of 7"
}

@test "a proof with a changed record line is refused" {
	inspect --prove "$(rid mixed2.xml 5)" mixed2.xml > p
	sed 's/^\(record=.*\) status="held">/\1 status="ok">/' p > t
	refute cmp -s p t
	refused 65 "do not lead to the sealed root" --check-proof t
	sed 's/^\(record=.*\)PASSTHRU_HOLD/\1PASSTHRU_HELD/' p > t
	refute cmp -s p t
	refused 65 "do not lead to the sealed root" --check-proof t
	sed 's/^record=/record= /' p > t
	refused 65 "not a valid proof" --check-proof t
}

@test "a proof with a changed index is refused" {
	inspect --prove "$(rid mixed2.xml 5)" mixed2.xml > p
	sed "s/^index=4\$/index=3/" p > t
	refused 65 "do not lead to the sealed root" --check-proof t
	for index in 7 9999999999999999999; do
		sed "s/^index=4\$/index=$index/" p > t
		refused 65 "index $index is outside batch B-TEST-01 of 7 records" --check-proof t
	done
	sed 's/^index=4$/index=four/' p > t
	refused 65 "not a valid proof" --check-proof t
	sed 's/^index=4$/index=18446744073709551616/' p > t
	refused 65 "not a valid proof" --check-proof t
}

@test "a proof with a path line dropped, changed, added or moved is refused" {
	inspect --prove "$(rid mixed2.xml 5)" mixed2.xml > p
	assert_equal "$(grep -c '^path=' p)" 3
	sed '$d' p > t
	refused 65 "do not lead to the sealed root" --check-proof t
	last=$(tail -n 1 p)
	digit=$([ "${last: -1}" = 0 ] && echo 1 || echo 0)
	sed "\$s/.\$/$digit/" p > t                       # the last hex digit changed
	assert_equal "$(diff p t | grep -c '^[<>] path=')" 2
	refused 65 "do not lead to the sealed root" --check-proof t
	{ cat p; tail -n 1 p; } > t
	refused 65 "do not lead to the sealed root" --check-proof t
	{ grep -v '^path=' p; grep '^path=' p | tac; } > t
	refused 65 "do not lead to the sealed root" --check-proof t
	{ cat p; echo "path=abc"; } > t
	refused 65 "not a valid proof" --check-proof t
}

@test "a proof with the seal line or a record of another batch is refused" {
	inspect --prove "$(rid base.xml 3)" base.xml > p
	# same records, so count and root agree: only the signed batch id differs
	sed "s|^seal=.*|seal=$(seal_of other-batch.xml)|" p > t
	refute cmp -s p t
	refused 65 "bad signature" --check-proof t
	inspect --prove "$(rid foreign.xml 3)" foreign.xml > q
	sed "s|^record=.*|$(grep '^record=' q | sed 's/[|&\\]/\\&/g')|" p > t
	refute cmp -s p t
	refused 65 "do not lead to the sealed root" --check-proof t
	# that record with its own audit path, under this batch's seal
	{ grep -v -e '^record=' -e '^path=' p; grep -e '^record=' -e '^path=' q; } > t
	refused 65 "do not lead to the sealed root" --check-proof t
	# this batch's seal line on the other batch's proof
	sed "s|^seal=.*|$(grep '^seal=' p)|" q > t
	refused 65 "bad signature" --check-proof t
}

@test "a proof with its batch, kind or provenance line changed or dropped is refused" {
	inspect --prove "$(rid mixed2.xml 5)" mixed2.xml > p
	sed 's/^batch=B-TEST-01$/batch=B-TEST-02/' p > t
	refused 65 "bad signature" --check-proof t
	sed 's/^kind=application$/kind=citizenship/' p > t
	refused 65 "bad signature" --check-proof t
	grep -v '^provenance=' p > t
	refused 65 "bad signature" --check-proof t
	sed 's/^\(provenance=.*\)count="7"/\1count="8"/' p > t
	refute cmp -s p t
	refused 65 "bad signature" --check-proof t
}

@test "a proof whose seal signer is not trusted is refused with 77" {
	with_trust_line "$OTHER_FPR stage Someone else"
	passthru -t trust --signer "$OTHER_FPR" base.xml > o.xml
	id=$(rid o.xml 2)
	inspect -t trust --prove "$id" o.xml > p
	run -0 --separate-stderr inspect -t trust --check-proof p
	assert_output "proof good: record $id (ok) is record 2 of 7 in batch B-TEST-01, sealed by stage passthru, signer $OTHER_FPR (Someone else), $(attr "$(seal_of o.xml)" created)"
	refused 77 "key $OTHER_FPR is not in the trust file" --check-proof p
}

@test "text that is not a proof is refused" {
	: > t
	refused 65 "not a valid proof" --check-proof t
	refused 65 "not a valid proof" --check-proof base.xml
	inspect --prove "$(rid base.xml 1)" base.xml > p
	sed 1d p > t
	refused 65 "not a valid proof" --check-proof t
	grep -v '^seal=' p > t
	refused 65 "not a valid proof" --check-proof t
}

@test "-h prints the usage on stdout; two modes at once, an extra operand or an unknown option is 64" {
	run -0 --separate-stderr inspect -h
	assert_line --index 0 "usage: inspect [-t FILE] [FILE|-]"
	assert_line "       inspect [-t FILE] --record ID [FILE|-]"
	assert_line "       inspect [-t FILE] --csv [FILE|-]"
	assert_line "       inspect [-t FILE] --prove ID [FILE|-]"
	assert_line "       inspect [-t FILE] --check-proof [FILE|-]"
	assert_line "       inspect --spooled BATCH [--spool DIR]"
	assert_equal "$stderr" ''
	run -0 --separate-stderr inspect --help
	assert_line --index 0 "usage: inspect [-t FILE] [FILE|-]"
	for args in "--csv --record X" "--record X --prove X" "--prove X --check-proof" \
		    "--check-proof --csv" "base.xml base.xml" "--bogus" "--spooled B-1 --csv" \
		    "--spool . --csv" "--spooled B-1 -t trust"; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr inspect $args base.xml
		assert_output ''
		[[ $stderr == *"usage: inspect"* ]] || fail "$args: stderr: $stderr"
	done
	run -64 --separate-stderr inspect --record
	assert_output ''
}

@test "a missing input or trust file is 66, an output that cannot be written 74" {
	refused 66 "cannot open nothere.xml" nothere.xml
	refused 66 "cannot open nothere.xml" --csv nothere.xml
	refused 66 "cannot open nothere.xml" --prove X nothere.xml
	refused 66 "cannot open nothere.proof" --check-proof nothere.proof
	refused 66 "cannot open trust file $PWD/nothere" -t "$PWD/nothere" base.xml
	run -66 --separate-stderr inspect --spooled B-20261207-01 --spool "$PWD/nospool"
	assert_output ''
	assert_equal "$stderr" "inspect: B-20261207-01: $PWD/nospool/state.db: no state database: nothing was spooled in $PWD/nospool (--spool DIR, IMPASS_SPOOL)"
	IMPASS_TRUST=$PWD/nothere refused 66 "cannot open trust file $PWD/nothere" --check-proof nothere.proof
	run -74 --separate-stderr bash -c 'inspect --csv mixed2.xml > /dev/full'
	[[ $stderr == "inspect: B-TEST-01: cannot write standard output"* ]] || fail "stderr: $stderr"
}

@test "more than 64 different codes: the codes lines still add up per status" {
	"$GEN" applications 67 > many.csv
	ingest -b B-MANY many.csv > many0.xml 2> /dev/null
	# records 1-65 held, each with its own code; 66 and 67 rejected
	awk '/^<record / {
		n++; st = n > 65 ? "rejected" : "held"
		sub(/ status="ok">/, " status=\"" st "\">")
		sub(/<\/trail><\/record>$/, sprintf("<step stage=\"x\" result=\"%s\" code=\"X_CODE_%02d\">why</step></trail></record>", st, n))
	} { print }' many0.xml > many1.xml
	ind_root() { level_root "$@"; }
	reseal many1.xml "$STAGE_FPR" > many.xml
	run -0 --separate-stderr inspect many.xml
	assert_line --index 2 "records     67 (ok 0, held 65, rejected 2)"
	assert_line --index 5 "codes       held        X_CODE_01                    1"
	assert_line "            held        X_CODE_63                    1"
	assert_equal "$(sed -n '/^codes /,$p' <<< "$output" | sed 's/^codes //' |
		awk '{ n[$1] += $NF } END { print n["held"] + 0, n["rejected"] + 0 }')" "65 2"
}

@test "a proof that went through mail (CRLF line ends, no final newline) still checks" {
	id=$(rid mixed2.xml 1)
	inspect --prove "$id" mixed2.xml > p
	sed 's/$/\r/' p | head -c -2 > t
	refute cmp -s p t
	run -0 --separate-stderr inspect --check-proof t
	assert_output --partial "proof good: record $id (ok) is record 1 of 7 in batch B-TEST-01"
}
