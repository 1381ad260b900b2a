#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# verify-passport (issue 23): presented passports answered from the
# issuance index. A batch of 40 is printed through the real chain once
# (ingest | validate | render-mrz | sign | spool-print, tests/fake-printer
# spoiling some, spool-print --collect) and recorded; a second batch is
# spooled and never printed; a third batch's numbers are void. The tests
# then forge copies of printed passports (MRZ fields, photo hash,
# laminate) and make OCR slips on some.

bats_require_minimum_version 1.5.0
load helpers

USAGE='usage: verify-passport [-s FILE] [-t FILE] [-l SERIAL] [-p SHA256] [-o FILE] [-k FILE] [--on DATE] LINE1 LINE2'

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	export IMPASS_SPOOL=$KT/spool
	mkdir -m 0700 spool
	"$GEN" applications 40 > a.csv
	"$GEN" --from 100 applications 3 > b.csv
	"$GEN" --from 200 applications 2 > c.csv
	render-mrz --add-range T AA1000000-AA1999999 2> /dev/null
	seq -f 'SL%08g' 1 60 > laminates.txt
	ingest -b B-VP-01 a.csv 2> /dev/null | validate 2> /dev/null | render-mrz 2> /dev/null |
		IMPASS_SIGNER=$APPROVER_FPR sign --require validate,render-mrz > approved.xml 2> /dev/null
	spool-print --queues 3 --laminates laminates.txt approved.xml 2> /dev/null
	"$TESTS"/fake-printer --seed 3 --fail 10 spool > printer.out
	spool-print --collect > printed.xml 2> /dev/null
	# the spoiled booklets' applications numbered again (reprints)
	spool-print --reprint reprint.xml 2> /dev/null
	render-mrz reprint.xml > reprinted.xml 2> /dev/null
	# a batch spooled and never printed; a batch whose numbers are void
	ingest -b B-VP-02 b.csv 2> /dev/null | validate 2> /dev/null | render-mrz 2> /dev/null |
		IMPASS_SIGNER=$APPROVER_FPR sign --require validate,render-mrz > approved2.xml 2> /dev/null
	spool-print approved2.xml 2> /dev/null
	ingest -b B-VP-03 c.csv 2> /dev/null | validate > valid3.xml 2> /dev/null
	IMPASS_FAULT=given render-mrz valid3.xml > /dev/null 2>&1 || true
	render-mrz --void B-VP-03 2> void.err
	verify-passport --record printed.xml 2> record.err
	# NUMBER MRZ1 MRZ2 LAMINATE PHOTO of each printed passport
	records printed.xml | sed -n 's/.*<photo_sha256>\([0-9a-f]*\)<.*<passport number="\([A-Z0-9]*\)"[^>]*><mrz>\([^<]*\)<\/mrz><mrz>\([^<]*\)<\/mrz>.* laminate="\([A-Z0-9]*\)".*/\2\t\3\t\4\t\5\t\1/p' |
		sed 's/&lt;/</g' > printed.tsv
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp -a "$KT/spool" spool
	export IMPASS_SPOOL=$BATS_TEST_TMPDIR/spool
	cp "$KT"/printed.xml "$KT"/printed.tsv .
}

# field N of printed passport K (1-based): 1 number 2 mrz1 3 mrz2 4 laminate 5 photo
pp() { sed -n "$1p" printed.tsv | cut -f "$2"; }
# a number the printer spoiled, and one spooled and never printed
spoiled_number() { awk '$5 == "failed" { print $4; exit }' "$KT/printer.out"; }
# the MRZ lines of the job of NUMBER in a job file anywhere in the spool
job_mrz() {
	rm -rf "$BATS_TEST_TMPDIR/jobs" && mkdir "$BATS_TEST_TMPDIR/jobs"
	find spool/print spool/archive -path '*/tmp' -prune -o -name '*.jobs' -type f -print |
		xargs -r "$TESTS"/print-jobs --split "$BATS_TEST_TMPDIR/jobs" > /dev/null
	grep -o '<mrz>[^<]*</mrz>' "$BATS_TEST_TMPDIR/jobs/$1.xml" | sed -n "$2{s/<\\/*mrz>//g;s/&lt;/</g;p}"
}
# line 2 with field at (0-based) replaced and every check digit made right
redigit() {
	awk -v l="$1" 'function d(s,   i, c, v, w, t) { t = 0
		for (i = 1; i <= length(s); i++) { c = substr(s, i, 1)
			v = c ~ /[0-9]/ ? c + 0 : c ~ /[A-Z]/ ? index("ABCDEFGHIJKLMNOPQRSTUVWXYZ", c) + 9 : 0
			w = (i - 1) % 3 == 0 ? 7 : (i - 1) % 3 == 1 ? 3 : 1; t += v * w }
		return t % 10 }
	BEGIN { n = substr(l, 1, 9); b = substr(l, 14, 6); x = substr(l, 22, 6); o = substr(l, 29, 14)
		s = n d(n) substr(l, 11, 3) b d(b) substr(l, 21, 1) x d(x) o d(o)
		print s d(substr(s, 1, 10) substr(s, 14, 7) substr(s, 22, 22)) }'
}

@test "--help starts with the usage line of the manual page; bad options are 64" {
	run -0 --separate-stderr verify-passport --help
	assert_line --index 0 "$USAGE"
	grep -q '^\.Nm verify-passport$' "$TESTS/../bin/verify-passport.1"
	run -64 verify-passport
	assert_line --index 0 "$USAGE"
	run -64 verify-passport --proofs d "$(pp 1 2)" "$(pp 1 3)"
	run -64 verify-passport --report-lost AA1000001
	run -64 verify-passport --csv x.csv --record printed.xml
	run -64 --separate-stderr verify-passport --on 2026-13-01 "$(pp 1 2)" "$(pp 1 3)"
	assert_equal "$stderr" "verify-passport: --on '2026-13-01' is not a date YYYY-MM-DD"
}

@test "--record: the printed stream into the index once; again adds nothing; a tampered or another kind of stream is 65" {
	run cat "$KT/record.err"
	assert_output --regexp "^verify-passport: PRINTED-[0-9]{8}-0001: $(records printed.xml | wc -l) printed passports, $(records printed.xml | wc -l) added to the issuance index, [0-9]+\.[0-9] s$"
	run -0 --separate-stderr verify-passport --record printed.xml
	assert_equal "$(sed 's/, [0-9]*\.[0-9] s$//' <<< "$stderr")" "$(sed 's/, [0-9]*\.[0-9] s$//; s/, [0-9]* added to/, 0 added to/; s/index$/index (the batch was recorded before)/' "$KT/record.err")"
	sed '3s/SHEIKH/SHAIKH/; 3s/<surname>[A-Z]*</<surname>FORGED</' printed.xml > tampered.xml
	run -65 --separate-stderr verify-passport --record tampered.xml
	run -65 --separate-stderr verify-passport --record "$KT/approved.xml"
	assert_equal "$stderr" "verify-passport: B-VP-01: --record reads a stream of printed passports (kind printed, sealed by spool-print --collect), not application sealed by sign"
}

@test "a printed stream not recorded yet: NOT_INDEXED, its laminates known from the journal; recorded from stdin, then as issued" {
	local n l1 l2 lam
	"$TESTS"/fake-printer spool > /dev/null
	spool-print --collect > printed2.xml 2> /dev/null
	n=$(grep -o 'number="AA[0-9]*"' "$KT/approved2.xml" | head -n 1 | cut -d'"' -f2)
	l1=$(job_mrz "$n" 1) l2=$(job_mrz "$n" 2)
	lam=$(records printed2.xml | grep "<passport number=\"$n\"" | sed 's/.* laminate="\([A-Z0-9]*\)".*/\1/')
	run -0 --separate-stderr verify-passport "$l1" "$l2"
	assert_output "passport $n: ours, printed, but its printed stream is not in the index
finding: NOT_INDEXED
reading: as presented
status: printed in the ledger: record its printed stream (--record)
laminate: not presented"
	run -0 --separate-stderr verify-passport -l "$lam" "$(pp 1 2)" "$(pp 1 3)"
	assert_line "laminate: LAMINATE_OTHER $lam belongs to passport $n"
	# killed (kill -9) before its transaction commits: nothing of the stream is in the index
	IMPASS_FAULT=issuance-record run -137 verify-passport --record printed2.xml
	run -0 --separate-stderr verify-passport "$l1" "$l2"
	assert_line --index 1 'finding: NOT_INDEXED'
	run -0 --separate-stderr verify-passport --record - < printed2.xml
	assert_equal "${stderr%, *}" "verify-passport: $(sed -n 's/^<batch .* id="\([^"]*\)".*/\1/p' printed2.xml): 3 printed passports, 3 added to the issuance index"
	run -0 --separate-stderr verify-passport -l "$lam" "$l1" "$l2"
	assert_line --index 1 'finding: AS_ISSUED'
	assert_line "laminate: LAMINATE_OK $lam belongs to this passport"
}

@test "a genuine passport: ours, as issued, with the evidence and a proof inspect --check-proof accepts; a forged proof is refused" {
	run -0 --separate-stderr verify-passport -l "$(pp 1 4)" -p "$(pp 1 5)" -o p.proof --on 2027-01-01 "$(pp 1 2)" "$(pp 1 3)"
	assert_equal "${lines[0]}" "passport $(pp 1 1): ours, as issued"
	assert_equal "${lines[1]}" 'finding: AS_ISSUED'
	assert_equal "${lines[2]}" 'reading: as presented'
	assert_equal "${lines[3]}" 'photo: as_printed'
	assert_equal "${lines[4]}" "status: valid (expires $(records printed.xml | head -n 1 | sed 's/.* expires="\([0-9-]*\)".*/\1/'))"
	assert_equal "${lines[5]}" "printed: $(pp 1 2)"
	assert_equal "${lines[6]}" "printed: $(pp 1 3)"
	assert_line --index 7 --regexp "^evidence: record 1 of printed batch PRINTED-[0-9]{8}-0001, printed [0-9T:-]+Z on p0[1-3], laminate $(pp 1 4)$"
	assert_line --index 8 --regexp "^evidence: batch B-VP-01, office [A-Z-]+, tracking id [A-Z0-9-]+, issued [0-9-]+, expires [0-9-]+$"
	assert_equal "${lines[9]}" "approver: $APPROVER_FPR (Officer Ayesha Siddiqui)"
	assert_equal "${lines[10]}" "laminate: LAMINATE_OK $(pp 1 4) belongs to this passport"
	assert_equal "${lines[11]}" 'proof: p.proof'
	assert_equal "${stderr%; *}" 'verify-passport: one passport: 1 presented: 1 AS_ISSUED'
	run -0 inspect --check-proof p.proof
	assert_output --regexp "^proof good: record [A-Z0-9-]+ \(ok\) is record 1 of $(records printed.xml | wc -l) in batch PRINTED-"
	grep -q "^record=$(records printed.xml | head -n 1 | sed 's/[][\.*^$]/\\&/g')\$" p.proof
	sed 's/<surname>[A-Z]*</<surname>FORGED</' p.proof > forged.proof
	run -65 inspect --check-proof forged.proof
	assert_output --partial 'the record and its path do not lead to the sealed root'
}

@test "OCR slips: a letter read for a digit and a dropped filler are repaired and named" {
	local l2 slip
	l2=$(pp 2 3)
	slip=${l2:0:3}O${l2:4}
	[[ ${l2:3:1} == 0 ]]
	run -0 --separate-stderr verify-passport "$(pp 2 2)" "$slip"
	assert_line --index 0 "passport $(pp 2 1): ours, as issued"
	assert_line --index 2 "reading: line 2 position 4: 'O' read for '0'"
	slip=${l2:0:2}I${l2:3}
	run -0 --separate-stderr verify-passport "$(pp 2 2)" "$slip"
	assert_line --index 2 "reading: line 2 position 3: 'I' read for '1'"
	l1=$(pp 2 2)
	run -0 --separate-stderr verify-passport "${l1%<}" "$l2"
	assert_line --index 1 'finding: AS_ISSUED'
	assert_line --index 2 --regexp "^reading: line 1: a '<' dropped at position [0-9]+$"
	# two slips: no one slip explains it
	run -0 --separate-stderr verify-passport "$(pp 2 2)" "${l2:0:2}IO${l2:4}"
	assert_line --index 1 'finding: MRZ_INVALID'
}

@test "altered: the fields that differ from the print, with the check digits made right or not" {
	local l1 l2 forged
	l1=$(pp 3 2) l2=$(pp 3 3)
	forged=$(printf '%-44s' "P<PAKMALIK<<TARIQ" | tr ' ' '<')
	run -0 --separate-stderr verify-passport "$forged" "$l2"
	assert_line --index 0 "passport $(pp 3 1): ours, altered"
	assert_line --index 1 'finding: ALTERED'
	assert_line --index 3 "altered: name: presented ${forged:5}, printed ${l1:5}"
	# born ten years later and a woman, every check digit made right
	forged=$(redigit "${l2:0:13}$(( ${l2:13:1} == 9 ? 0 : ${l2:13:1} + 1 ))${l2:14:6}$([[ ${l2:20:1} == M ]] && echo F || echo M)${l2:21}")
	run -0 --separate-stderr verify-passport "$l1" "$forged"
	assert_line --index 1 'finding: ALTERED'
	assert_line --index 2 'reading: as presented'
	assert_line --index 3 "altered: date_of_birth: presented ${forged:13:6}, printed ${l2:13:6}; sex: presented ${forged:20:1}, printed ${l2:20:1}"
	# the expiry changed and its check digit not
	forged=${l2:0:21}39${l2:23}
	run -0 --separate-stderr verify-passport "$l1" "$forged"
	assert_line --index 1 'finding: ALTERED'
	assert_line --index 2 'reading: as presented, check digits wrong'
	assert_line --index 3 "altered: expiry: presented ${forged:21:6}, printed ${l2:21:6}"
	assert_line --index 4 'altered: check digits do not hold for the fields presented'
}

@test "the photo: swapped when its hash differs; data and photo changed when both" {
	local other=0000000000000000000000000000000000000000000000000000000000000001 forged
	run -0 --separate-stderr verify-passport -p "$other" "$(pp 4 2)" "$(pp 4 3)"
	assert_line --index 0 "passport $(pp 4 1): ours, photo swapped"
	assert_line --index 1 'finding: PHOTO_SWAPPED'
	assert_line --index 3 'photo: swapped'
	forged=$(printf '%-44s' "P<PAKMALIK<<TARIQ" | tr ' ' '<')
	run -0 --separate-stderr verify-passport -p "$other" "$forged" "$(pp 4 3)"
	assert_line --index 0 "passport $(pp 4 1): ours, data and photo changed"
	assert_line --index 1 'finding: DATA_AND_PHOTO_CHANGED'
	run -0 --separate-stderr verify-passport "$(pp 4 2)" "$(pp 4 3)"
	assert_line --index 3 'photo: not_presented'
}

@test "not ours: a number never given, a void number, one never printed; a spoiled booklet and its reprint; check digits that no slip explains" {
	local l2 n t r
	l2=$(redigit "ZZ7654321$(pp 5 3 | cut -c10-)")
	run -0 --separate-stderr verify-passport "$(pp 5 2)" "$l2"
	assert_output "passport ZZ7654321: not ours: the number was never given
finding: NOT_ISSUED
reading: as presented
laminate: not presented"
	run -0 --separate-stderr verify-passport "$(pp 5 2)" "${l2:0:9}$(( (${l2:9:1} + 1) % 10 ))${l2:10}"
	assert_line --index 0 'passport (unreadable): not ours: the MRZ check digits do not hold'
	assert_line --index 1 'finding: MRZ_INVALID'
	n=$(sed -n 's/^  \([A-Z0-9]*\)$/\1/p; s/.*void: \([A-Z0-9]*\).*/\1/p' "$KT/void.err" | head -n 1)
	[ -n "$n" ] || n=$(grep -o 'AA[0-9]\{7\}' "$KT/void.err" | head -n 1)
	[ -n "$n" ]
	run -0 --separate-stderr verify-passport "$(pp 5 2)" "$(redigit "$n$(pp 5 3 | cut -c10-)")"
	assert_line --index 0 "passport $n: not ours: the number is void"
	n=$(grep -o 'number="AA[0-9]*"' "$KT/approved2.xml" | head -n 1 | cut -d'"' -f2)
	run -0 --separate-stderr verify-passport "$(job_mrz "$n" 1)" "$(job_mrz "$n" 2)"
	assert_line --index 0 "passport $n: not ours: the number was given but never printed"
	assert_line --index 3 'status: spooled in the ledger'
	n=$(spoiled_number)
	[ -n "$n" ]
	t=$(records "$KT/approved.xml" | grep "<passport number=\"$n\"" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/')
	r=$(records "$KT/reprinted.xml" | grep " id=\"$t\"" | sed 's/.*<passport number="\([A-Z0-9]*\)".*/\1/')
	[ -n "$r" ] && [ "$r" != "$n" ]
	run -0 --separate-stderr verify-passport "$(job_mrz "$n" 1)" "$(job_mrz "$n" 2)"
	assert_output "passport $n: ours, written off as spoiled
finding: SPOILED
reading: as presented
status: spoiled, reprinted as $r
laminate: not presented"
}

@test "laminates: its own, another passport's (named), spoiled, from stock, never issued" {
	local n spoiled_serial
	run -0 --separate-stderr verify-passport -l "$(pp 6 4)" "$(pp 6 2)" "$(pp 6 3)"
	assert_line "laminate: LAMINATE_OK $(pp 6 4) belongs to this passport"
	run -0 --separate-stderr verify-passport -l "$(pp 7 4)" "$(pp 6 2)" "$(pp 6 3)"
	assert_line --regexp "^laminate: LAMINATE_OTHER $(pp 7 4) belongs to passport $(pp 7 1), printed [0-9T:-]+Z on p0[1-3] \\(a stolen lamination\\)$"
	n=$(spoiled_number)
	job_mrz "$n" 1 > /dev/null      # (splits the jobs into jobs/NUMBER.xml)
	spoiled_serial=$(grep -o 'laminate="SL[0-9]*"' "$BATS_TEST_TMPDIR/jobs/$n.xml" | cut -d'"' -f2)
	[ -n "$spoiled_serial" ]
	run -0 --separate-stderr verify-passport -l "$spoiled_serial" "$(pp 6 2)" "$(pp 6 3)"
	assert_line "laminate: LAMINATE_SPOILED $spoiled_serial was written off as spoiled with job $n"
	run -0 --separate-stderr verify-passport -l SL00000060 "$(pp 6 2)" "$(pp 6 3)"
	assert_line 'laminate: LAMINATE_STOCK SL00000060 was issued to the hall and never printed on a passport (stock)'
	run -0 --separate-stderr verify-passport -l SL99999999 "$(pp 6 2)" "$(pp 6 3)"
	assert_line 'laminate: LAMINATE_FAKE SL99999999 was never issued to the hall'
}

@test "status: expired after its expiry; --report-lost, --report-stolen and --cancel recorded signed, with who and why, and honoured" {
	local exp
	exp=$(records printed.xml | sed -n '8s/.* expires="\([0-9-]*\)".*/\1/p')
	run -0 --separate-stderr verify-passport --on "$((${exp:0:4} + 1))${exp:4}" "$(pp 8 2)" "$(pp 8 3)"
	assert_line --index 4 "status: expired (expires $exp)"
	run -0 --separate-stderr verify-passport --report-lost "$(pp 8 1)" --why 'reported at Dubai consulate, FIR 2291'
	assert_equal "${stderr_lines[0]}" "verify-passport: $(pp 8 1) recorded lost by Night stage key ($STAGE_FPR): reported at Dubai consulate, FIR 2291"
	assert_equal "${stderr_lines[1]}" "verify-passport: $(pp 8 1): not in dedup's history (dedup --record of its printed stream): nothing changed there"
	run -0 --separate-stderr verify-passport "$(pp 8 2)" "$(pp 8 3)"
	assert_line --index 4 --regexp "^status: lost, recorded [0-9T:-]+Z by Night stage key \\($STAGE_FPR\\): reported at Dubai consulate, FIR 2291$"
	run -0 --separate-stderr verify-passport --report-stolen "$(pp 8 1)" --why 'stolen from the courier van'
	run -0 --separate-stderr verify-passport "$(pp 8 2)" "$(pp 8 3)"
	assert_line --index 4 --regexp '^status: stolen, recorded .*: stolen from the courier van$'
	run -0 --separate-stderr verify-passport --cancel "$(pp 9 1)" --why 'holder renounced citizenship'
	run -0 --separate-stderr verify-passport "$(pp 9 2)" "$(pp 9 3)"
	assert_line --index 4 --regexp '^status: cancelled, recorded .*: holder renounced citizenship$'
	run -65 --separate-stderr verify-passport --cancel ZZ7654321 --why 'no such passport'
	assert_equal "$stderr" 'verify-passport: ZZ7654321: ZZ7654321 is not a passport we printed: nothing recorded (check the number; verify the passport first)'
	run -64 verify-passport --cancel "$(pp 9 1)" --why ' '
	IMPASS_SIGNER=$OTHER_FPR run -77 --separate-stderr verify-passport --cancel "$(pp 9 1)" --why 'x'
	assert_equal "${stderr%%: *}" 'verify-passport'
}

@test "dedup honours a report: the holder of a passport reported lost applies again and is not held for it" {
	local n t
	n=$(pp 10 1)
	t=$(records printed.xml | grep "<passport number=\"$n\"" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/')
	{ head -n 1 "$KT/a.csv"; grep "^$t," "$KT/a.csv" | sed 's/^[^,]*,/AGAIN-0001,/'; } > again.csv
	run -0 verify-passport --report-lost "$n" --why 'lost in Karachi'
	assert_line "verify-passport: $n: not in dedup's history (dedup --record of its printed stream): nothing changed there"
	dedup --record printed.xml 2> /dev/null
	ingest -b B-VP-AGAIN again.csv 2> /dev/null | validate 2> /dev/null | dedup > held.xml 2> /dev/null
	[[ $(records held.xml) =~ \<step\ stage=\"dedup\"\ result=\"held\"\ code=\"DEDUP_VALID_PASSPORT\"\ other=\"$n\" ]] ||
		fail "not held for $n: $(records held.xml | grep -o '<step stage="dedup"[^>]*>')"
	run -0 --separate-stderr verify-passport --report-stolen "$n" --why 'stolen from the holder'
	assert_equal "${stderr_lines[1]}" "verify-passport: $n: dedup's history now says lost (was valid)"
	assert_equal "$(sqlite3 spool/state.db "SELECT status FROM history_passport WHERE passport_no = '$n'")" lost
	ingest -b B-VP-AGAIN2 again.csv 2> /dev/null | validate 2> /dev/null | dedup > clear.xml 2> /dev/null
	[[ $(records clear.xml) =~ \<step\ stage=\"dedup\"\ result=\"ok\"\ code=\"DEDUP_CLEAR\"\>.*passport\ $n\ of\ this\ CNIC\ \(expiry\ [0-9-]+\)\ is\ lost:\ not\ counted ]] ||
		fail "$(records clear.xml | grep -o '<step stage="dedup".*')"
	run -0 --separate-stderr verify-passport --cancel "$n" --why 'cancelled by the DG'
	assert_equal "${stderr_lines[1]}" "verify-passport: $n: dedup's history now says cancelled (was lost)"
	# the printed stream recorded again (a courier run resumed) does not make it valid again
	dedup --record printed.xml 2> /dev/null
	assert_equal "$(sqlite3 spool/state.db "SELECT status FROM history_passport WHERE passport_no = '$n'")" cancelled
}

@test "a presented batch: each row's finding and laminate as planted, summary counts exact, proofs good" {
	"$GEN" --printed printed.tsv --truth truth.csv presented 300 > presented.csv
	run -0 --separate-stderr verify-passport --csv presented.csv --proofs proofs --summary summary.csv
	assert_equal "${lines[0]}" 'line,case,finding,number,altered,photo,status,laminate_finding,laminate_passport,repaired,office,batch,printed_batch,printed,queue,laminate,approver,proof,detail'
	assert_equal "${#lines[@]}" 301
	diff -u <(tail -n +2 truth.csv | cut -d, -f1-3) <(tail -n +2 <<< "$output" | awk -F, -v OFS=, '{ print $1, $3, $8 }')
	# every planted kind is there
	for k in genuine ocr-slip photo-swapped data-changed data-and-photo stolen-laminate several forged-booklet bad-check-digits; do
		grep -q ",$k\$" truth.csv || fail "no $k planted"
	done
	diff -u <(tail -n +2 truth.csv | cut -d, -f2 | sort | uniq -c | awk '{ print "finding," $2 "," $1 }') \
		<(grep '^finding,' summary.csv)
	diff -u <(tail -n +2 truth.csv | cut -d, -f3 | grep . | sort | uniq -c | awk '{ print "laminate," $2 "," $1 }') \
		<(grep '^laminate,' summary.csv)
	assert_equal "$(grep -c '^printed,' summary.csv)" 1
	# by laminate stock: the file of serials each presented laminate was issued in
	diff -u <(tail -n +2 truth.csv | cut -d, -f3 | grep . | sed 's/LAMINATE_FAKE/never issued/; s/LAMINATE_[A-Z]*/laminates.txt/' | sort | uniq -c | awk '{ n = $1; $1 = ""; print "stock," substr($0, 2) "," n }') \
		<(grep '^stock,' summary.csv)
	assert_equal "$(ls proofs | wc -l)" "$(tail -n +2 truth.csv | grep -vc ',NOT_ISSUED,\|,MRZ_INVALID,')"
	for f in $(ls proofs | awk 'NR % 40 == 1'); do
		run -0 inspect --check-proof "proofs/$f"
		assert_output --partial 'proof good: record '
	done
	assert_equal "$(stat -c %a proofs)" 700
	assert_equal "$(stat -c %a "proofs/$(ls proofs | head -n 1)")" 600
}

@test "an embassy's batch of 12,096 presented passports: counts match the plants exactly" {
	"$GEN" --seed 23 --printed printed.tsv --truth truth.csv presented 12096 > presented.csv
	run -0 --separate-stderr verify-passport --csv presented.csv --summary summary.csv
	assert_equal "${#lines[@]}" 12097
	diff -u <(tail -n +2 truth.csv | cut -d, -f1-3) <(tail -n +2 <<< "$output" | awk -F, -v OFS=, '{ print $1, $3, $8 }')
	diff -u <(tail -n +2 truth.csv | cut -d, -f2 | sort | uniq -c | awk '{ print "finding," $2 "," $1 }') \
		<(grep '^finding,' summary.csv)
	assert_equal "$(tail -n +2 truth.csv | wc -l)" 12096
	assert_equal "${stderr%%: *}" 'verify-passport'
	[[ $stderr =~ ^verify-passport:\ presented\.csv:\ 12096\ presented: ]]
}

@test "a signed case file: the answer and the proof, checked by --check-case without the database; an altered one is refused" {
	local forged
	forged=$(printf '%-44s' "P<PAKMALIK<<TARIQ" | tr ' ' '<')
	run -0 --separate-stderr verify-passport -k case.txt -l "$(pp 7 4)" "$forged" "$(pp 6 3)"
	assert_equal "${lines[-1]}" 'case: case.txt'
	assert_equal "$(sed -n 1p case.txt)" 'impass-case/1'
	assert_equal "$(sed -n 2p case.txt)" "signer=$STAGE_FPR"
	# the answer as printed, then the proof, then the signature
	diff -u <(printf '%s\n' "${lines[@]:0:${#lines[@]}-1}") <(sed -n '4,/^--- proof$/p' case.txt | sed '$d')
	sed -n '/^--- proof$/,/^--- signature$/p' case.txt | sed '1d;$d' > case.proof
	run -0 inspect --check-proof case.proof
	assert_output --partial 'proof good: record '
	rm -rf spool
	run -0 --separate-stderr verify-passport --check-case case.txt
	assert_output --regexp "^case good: signed by $STAGE_FPR \(Night stage key\); its proof: record [0-9]+ of [0-9]+ in printed batch PRINTED-[0-9]{8}-0001$"
	sed 's/^finding: ALTERED$/finding: AS_ISSUED/' case.txt > altered.txt
	run -65 --separate-stderr verify-passport --check-case altered.txt
	assert_equal "$stderr" 'verify-passport: altered.txt: altered.txt: the signature does not match the case file: it was altered after it was signed; ask the forensic section for the case file again'
	run -65 --separate-stderr verify-passport --check-case "$KT/a.csv"
	IMPASS_SIGNER=$APPROVER_FPR run -77 --separate-stderr verify-passport -k c2.txt "$forged" "$(pp 6 3)"
	[ ! -e c2.txt ]
}

@test "a bad presented CSV: a missing column is 65 naming it" {
	printf 'case,mrz_line1,mrz_line2,photo_sha256\nC-1,a,b,c\n' > bad.csv
	run -65 --separate-stderr verify-passport --csv bad.csv
	assert_equal "$stderr" "verify-passport: bad.csv: bad.csv line 1: required column 'laminate' is missing; add it to the header (cells may be empty)"
	# a short row is answered with the cells it has: every row in is a line out
	printf 'case,mrz_line1,mrz_line2,laminate,photo_sha256\nC-1,P<PAK\nC-2\n' > short.csv
	run -0 --separate-stderr verify-passport --csv short.csv
	assert_equal "${lines[1]}" '2,C-1,MRZ_INVALID,,,,,,,,,,,,,,,,'
	assert_equal "${lines[2]}" '3,C-2,MRZ_INVALID,,,,,,,,,,,,,,,,'
	assert_equal "${stderr%; *}" 'verify-passport: short.csv: 2 presented: 2 MRZ_INVALID'
}
