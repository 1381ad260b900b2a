#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pipelines/nightly, pipelines/courier, pipelines/report (issue 10): a
# seeded batch of 500 applications (PIPELINES_N=3000 bats ... for more)
# with planted defects (invalid sex:
# validate rejects; gen-fixtures' payments export with its planted faults,
# the official passports given a fee and a receipt the bank never had:
# verify-fee rejects, the schedule's gap: verify-fee holds; another father's name: verify-nadra holds; applicants
# added to the PCL: screen-pcl holds; every 97th row applied twice under another
# tracking id, paid under its own receipt: dedup holds) goes nightly -> printers -> courier. Every
# record ends in exactly one place (a print job then a manifest line or
# reprint.xml, or spool/held, or spool/rejected), the report's counts are
# the streams', a re-run changes nothing, a run killed at any stage and
# resumed ends as the uninterrupted one, the lock (75), the approval wait,
# configuration errors (78), modes 0700/0600, and the HTML report. With a
# Document Signer configured, render-lds runs between render-mrz and sign
# and the print jobs carry the chips.
#
# setup_file makes the keys, the data and one uninterrupted reference run
# ($KT/ref). The printers are print_jobs below: tests/fake-printer, every
# fifth job of a queue spoiled.

bats_require_minimum_version 1.5.0
load helpers

PIPES=$TESTS/../pipelines
PROGS="ingest validate verify-fee verify-nadra screen-pcl dedup render-mrz sign spool-print manifest-courier inspect"

# data: apps.csv (PN applications), nadra.csv, pcl.csv with planted entries
PN=${PIPELINES_N:-500}
if sanitized; then PN=${PIPELINES_N:-250}; fi   # the crash loops rerun it many times (250: every code below planted)
make_data() {
	"$GEN" --seed 7 applications "$PN" > base.csv
	"$GEN" --seed 7 nadra "$PN" > nadra.csv
	"$GEN" --seed 7 pcl 400 > pcl.csv
	"$GEN" --seed 7 fees 35 > fees.csv
	"$GEN" --seed 7 payments "$PN" > payments.csv
	# (fee_receipt, fee_amount and applied_on are the last three columns)
	awk -F, -v OFS=, 'NR == 1 { print; next }
		NR % 101 == 0 { $8 = "Q" }
		NR % 103 == 0 { $7 = "ZORAWAR KHAN" }
		NR % 107 == 0 { $(NF - 2) = sprintf("8%011d", NR) }
		{ print }
		NR % 97 == 0 { sub(/^[^,]*/, sprintf("DUP-%04d", NR)); $(NF - 2) = sprintf("9%011d", NR); print
			printf "%s,%s,%s,HBL branch 0001,paid\n", $(NF - 2), $(NF - 1), $NF >> "payments.csv" }' base.csv |
		head -n $((PN + 1)) > apps.csv
	awk "$CSV_SPLIT"'NR > 1 && NR % 89 == 0 { csv_split($0, f)
		printf "PCLX-%04d,PCL,A,%s,%s %s,%s,%s,PAK,,planted,2020-01-01,\n", NR, f[11], f[6], f[5], f[7], f[9] }' \
		apps.csv >> pcl.csv
	head -n 101 apps.csv > small.csv
	seq -f 'SL%08g' 1 6000 > lam.txt
}

# mkcase DIR [APPROVER [BIN]]: a configuration DIR/impass.conf whose spool
# (DIR/spool, with a number range) and bundles (DIR/out) are named relative
# to DIR: the pipelines are run from DIR, and a copy of DIR works as well
mkcase() {
	mkdir -p "$1"
	cat > "$1/impass.conf" <<-EOF
	# test configuration
	BIN=${3:-$IMP_BIN}
	GNUPGHOME=$KT/k/g
	IMPASS_TRUST=$KT/k/trust
	STAGE_KEY=$STAGE_FPR
	APPROVER_KEY=${2-$APPROVER_FPR}
	FEES=$KT/fees.csv
	PAYMENTS=$KT/payments.csv
	NADRA=$KT/nadra.csv
	PCL_LISTS="$KT/pcl.csv"
	SPOOL=spool
	QUEUES=3
	LAMINATES=$KT/lam.txt
	OFFICES=$PIPES/offices.csv
	COURIERS=$PIPES/couriers.csv
	BUNDLES=out
	EOF
	(cd "$1" && IMPASS_SPOOL=spool render-mrz --add-range STOCK-1 AB1000000-AB1999999 2> /dev/null)
}

nightly() { "$PIPES/nightly" --config impass.conf "$@"; }

# wrap_args PROG: wrap/ holds every program, PROG wrapped to write its
# arguments ("args: ...") to its stderr (the run's PROG.log) first
wrap_args() {
	local p
	mkdir wrap
	for p in "$IMP_BIN"/*; do [ -x "$p" ] && ln -s "$p" wrap/; done
	rm "wrap/$1"
	printf '#!/bin/sh\necho "args: $*" >&2\nexec "%s/%s" "$@"\n' "$IMP_BIN" "$1" > "wrap/$1"
	chmod +x "wrap/$1"
}

# kept_then_remade SOURCE INDEX PROGRAM: case b's run on the same SOURCE
# keeps INDEX (a batch of the first 50 applications); on a SOURCE newer
# than it, INDEX is made again (the first 40): two "PROGRAM: indexed"
# lines in all of b's run logs, the first run's among them. Leaves
# b30.csv, the first 30, for the test's next run.
kept_then_remade() {
	local src=$1 idx=$2 prog=$3
	cp "$idx" "$idx.kept"
	head -n 51 "$KT/small.csv" > b50.csv
	head -n 41 "$KT/small.csv" > b40.csv
	head -n 31 "$KT/small.csv" > b30.csv
	(cd b && nightly ../b50.csv > /dev/null 2>&1) || true
	cmp "$idx" "$idx.kept"
	touch -d '+1 minute' "$src"
	(cd b && nightly ../b40.csv > /dev/null 2>&1) || true
	run -0 grep -l "$prog: indexed " b/spool/runs/2*/run.log
	assert_equal "${#lines[@]}" 2
}

courier() { "$PIPES/courier" --config impass.conf "$@"; }

# print_jobs SPOOL: every job waiting printed (tests/fake-printer); every
# fifth of a queue (in the order printed) spoiled: "spoiled: ribbon jam"
print_jobs() {
	"$TESTS"/fake-printer --fail-every 5 "$1" > /dev/null
}

# the run folders of a case (one nightly, one courier in the reference)
rundir() { ls -d "${2:+$2/}"spool/runs/"$1"* | head -n 1; }

# same_day_as_ref: the crash tests compare their batch with the reference's
# byte for byte, issue dates and consignment ids included; a suite that
# crossed midnight since the reference was made cannot (CI once did)
same_day_as_ref() {
	[ "$(date +%F)" = "$(cat "$KT/ref.day")" ] ||
		skip "midnight passed since the reference run: its issue dates and consignment ids are another day's"
}

# tracking ids: of a CSV; of a stream's records (optionally of a status)
csv_ids() { tail -n +2 "$1" | cut -d, -f1 | sort; }
ids_of() { grep "^<record [^>]*status=\"${2:-[a-z]*}\"" "$1" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/' | sort; }
# the record ids of spool/held or spool/rejected (a batch's file BATCH.parked
# each, its records by place, helpers.bash parked_records)
spooled_ids() { parked_records "$1" | cut -d' ' -f3 | sort; }

# every print job of a spool, wherever it is (queue folders, archive):
# "tracking_id number queue laminate priority outcome", batch ids left out
jobs_of() { spool_jobs "$1"; }

# what the courier made of the printed: "id number consignment" per
# manifested record, the spoiled ids of reprint.xml, the bundles' names
courier_state() {
	local c=$1
	grep '^<record ' "$c/02-manifest-courier.xml" |
		sed 's/^<record [^>]* id="\([^"]*\)".*<passport number="\([A-Z0-9]*\)".*<step stage="manifest-courier" [^>]*>consignment \([A-Z0-9-]*\):.*/\1 \2 \3/' | sort
	echo "spoiled:"
	ids_of "$c/reprint.xml"
	echo "bundles:"
	ls "$c/../../../out"
}

# the report's row of a stage: "in ok rejected held"
report_row() { awk -v s="$1" '$1 == s { print $2, $3, $4, $5 }' "$2"; }
# inspect's counts of a stream: "in ok rejected held"
inspect_row() {
	inspect "$1" 2> /dev/null | sed -n 's/^records *\([0-9]*\) (ok \([0-9]*\), held \([0-9]*\), rejected \([0-9]*\))$/\1 \2 \4 \3/p'
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	make_data
	# the wrapped programs of the crash tests: the real one, except the
	# one named by KILL_STAGE (and KILL_ARG among its arguments), which is
	# killed (KILL_MODE fault: at IMPASS_FAULT=KILL_FAULT; mid: its output
	# cut off; after: when it has finished), and then its run, kill -9
	mkdir wrap
	cat > wrap/wrapper <<-'EOF'
	#!/usr/bin/env bash
	name=${0##*/}
	real=$REAL_BIN/$name
	[ "$name" = "${KILL_STAGE:-}" ] || exec "$real" "$@"
	if [ -n "${KILL_ARG:-}" ]; then
		case " $* " in *" $KILL_ARG "*) ;; *) exec "$real" "$@" ;; esac
	fi
	case $KILL_MODE in
	fault) IMPASS_FAULT=$KILL_FAULT "$real" "$@" ;;
	mid) "$real" "$@" | head -c 30000 ;;
	after) "$real" "$@" ;;
	esac
	kill -9 "$PPID"
	kill -9 $$
	EOF
	chmod +x wrap/wrapper
	for p in $PROGS; do ln -s wrapper "wrap/$p"; done
	# the reference: one uninterrupted night, the printers, the courier
	mkcase ref
	cd ref || return 1
	local t0=$SECONDS
	date +%F > "$KT/ref.day"          # the day its passports are issued and consigned
	nightly "$KT/apps.csv" > nightly.out 2> nightly.err || { cat nightly.err >&3; return 1; }
	echo "# reference nightly, $PN applications: $((SECONDS - t0)) s" >&3
	print_jobs spool
	t0=$SECONDS
	courier > courier.out 2> courier.err || { cat courier.err >&3; return 1; }
	echo "# reference courier: $((SECONDS - t0)) s" >&3
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	export REAL_BIN=$IMP_BIN
	unset KILL_STAGE KILL_MODE KILL_FAULT KILL_ARG
	N=$(($(wc -l < "$KT/apps.csv") - 1))
	REF=$KT/ref
	# the reference's verdicts (the tests check the places against them)
	local s
	s=$(rundir 2 "$REF")/07-sign.xml
	OK=$(grep -c '^<record [^>]*status="ok"' "$s" || true)
	HELD=$(grep -c '^<record [^>]*status="held"' "$s" || true)
	REJ=$(grep -c '^<record [^>]*status="rejected"' "$s" || true)
	NDUP=$(grep -c '<step stage="dedup" result="held" code="DEDUP_SAME_CNIC"' "$s" || true)
	NINV=$(grep -c '<step stage="validate" result="rejected" code="VALUE_INVALID"' "$s" || true)
}

@test "the seeded batch: PN applications, with rejected and held records from several stages" {
	assert_equal "$N" "$PN"
	n=$(rundir 2 "$REF")
	run inspect_row "$n/07-sign.xml"
	assert_output "$N $OK $REJ $HELD"
	[ "$PN" != 500 ] || assert_output "500 446 35 19"
	[ "$HELD" -gt 0 ] && [ "$REJ" -gt 0 ]
	[ "$PN" != 500 ] || assert_equal "$NDUP $NINV" "10 4"
	for code in VALUE_INVALID FEE_AMOUNT_WRONG FEE_NOT_PAID FEE_REVERSED NADRA_FATHER_MISMATCH PCL_CNIC DEDUP_SAME_CNIC; do
		grep -q "code=\"$code\"" "$n/07-sign.xml" || fail "no $code in the batch"
	done
}

@test "every record ends in exactly one place: print job, held or rejected; printed in a manifest or spoiled in reprint.xml" {
	n=$(rundir 2 "$REF") c=$(rundir courier "$REF")
	jobs_of "$REF/spool" | cut -d' ' -f1 > jobs
	spooled_ids "$REF/spool/held" > held
	spooled_ids "$REF/spool/rejected" > rejected
	# in = ok + held + rejected, as sets: no record lost, none in two places
	sort jobs held rejected > placed
	csv_ids "$KT/apps.csv" > in
	run diff in placed
	assert_success
	assert_equal "$(wc -l < jobs) $(wc -l < held) $(wc -l < rejected)" "$OK $HELD $REJ"
	# the places are the stream's verdicts
	assert_equal "$(ids_of "$n/07-sign.xml" ok)" "$(cat jobs | sort)"
	assert_equal "$(ids_of "$n/07-sign.xml" held)" "$(cat held)"
	assert_equal "$(ids_of "$n/07-sign.xml" rejected)" "$(cat rejected)"
	# no job waits; each printed once; printed = manifested, spoiled = reprint.xml
	run jobs_of "$REF/spool"
	refute_output --regexp ' waiting$'
	jobs_of "$REF/spool" | awk '$6 == "done" { print $1 }' > done
	jobs_of "$REF/spool" | awk '$6 == "failed" { print $1 }' > failed
	assert_equal "$(ids_of "$c/02-manifest-courier.xml" ok)" "$(cat done)"
	assert_equal "$(ids_of "$c/reprint.xml")" "$(cat failed)"
	[ -s done ] && [ -s failed ]
	assert_equal "$(sort done failed | uniq -d)" ""
	# every printed passport in one consignment, the bundles' counts add up
	total=$(sed -n 's/^Passports: *\([0-9]*\)$/\1/p' "$REF"/out/*.txt | awk '{ s += $1 } END { print s }')
	assert_equal "$total" "$(wc -l < done)"
	assert_equal "$(ls "$REF"/out/*.tar.gz | wc -l)" "$(ls "$REF"/out/*.txt | wc -l)"
	# the history took the printed passports
	run grep -c . "$c/record.log"
	grep -q "^dedup: PRINTED-[0-9-]*: $(wc -l < done) in, $(wc -l < done) passports added to the history" "$c/record.log"
}

@test "report.txt: every stage's counts are the streams' (inspect), the spool's and the courier's" {
	n=$(rundir 2 "$REF") c=$(rundir courier "$REF")
	head -n 2 "$n/report.txt" > head
	run cat head
	assert_line --index 0 "impass nightly run $(basename "$n")"
	assert_line --index 1 --regexp '^batch B-[0-9]{8}-01, complete$'
	for f in "$n"/0[1-7]-*.xml; do
		s=$(basename "$f" .xml)
		s=${s#0?-}
		assert_equal "$s $(report_row "$s" "$n/report.txt")" "$s $(inspect_row "$f")"
	done
	# spool-print: in, jobs = files spooled, rejected and held = spool files
	assert_equal "$(report_row spool-print "$n/report.txt")" \
		"$N $(jobs_of "$REF/spool" | wc -l) $(spooled_ids "$REF/spool/rejected" | wc -l) $(spooled_ids "$REF/spool/held" | wc -l)"
	grep -q "^spool-print  .* $OK jobs\$" "$n/report.txt"
	# the held and rejected codes, with inspect's counts
	run grep -E '^(held|rejected) +[A-Z_]+ +[0-9]+  ' "$n/report.txt"
	assert_line --regexp "^held +DEDUP_SAME_CNIC +$NDUP  an officer compares the two applications named"
	assert_line --regexp "^rejected +VALUE_INVALID +$NINV  the office corrects the named field"
	assert_equal "${#lines[@]}" "$(inspect "$n/07-sign.xml" 2> /dev/null | grep -cE '(held|rejected) +[A-Z_]+ +[0-9]+$')"
	# the courier's report: its own title, collect = printed + spoiled
	printed=$(grep -c '^<record ' "$c/01-collect.xml")
	spoiled=$(grep -c '^<record ' "$c/reprint.xml")
	run cat "$c/report.txt"
	assert_line --index 0 "impass courier run $(basename "$c")"
	refute_output --partial nightly\ run
	assert_line --regexp "^collect +$printed +$printed +0 +0$"
	assert_line --regexp "^manifest-courier +$(inspect_row "$c/02-manifest-courier.xml" | sed 's/ / +/g')\$"
	assert_line --regexp "^record +$printed +- +- +-$"
	assert_line --regexp "^spoiled booklets of batch B-[0-9]+-01 \(tracking id: reason\)$"
	assert_equal "$(grep -c ' booklet [A-Z0-9]* spoiled on p[0-9]* (spoiled: ribbon jam), ' "$c/report.txt")" "$spoiled"
	rel=spool/runs/$(basename "$c")/reprint.xml
	rb=$(sed -n '2s/.* id="\([^"]*\)".*/\1/p' "$c/reprint.xml")
	assert_line "$spoiled spoiled jobs of batch ${rb%-R1} wait in $rel (as batch $rb): reprint them with nightly --reprint $rel"
	assert_equal "$((printed + spoiled))" "$OK"
}

@test "run.log: one line per stage, with the counts of its sealed stream (inspect), or the last line of a stage that writes none" {
	n=$(rundir 2 "$REF") c=$(rundir courier "$REF")
	for s in ingest validate verify-fee verify-nadra screen-pcl dedup render-mrz sign; do
		f=$(ls "$n"/0?-$s.xml)
		run grep -E "^[0-9-]{10}T[0-9:]{8}Z $s: B-[0-9]+-01: $N in, [0-9]+ ok, [0-9]+ rejected, [0-9]+ held, [0-9]+ s$" "$n/run.log"
		assert_success
		assert_equal "${#lines[@]}" 1
		read -r in ok rej held <<< "$(inspect_row "$f")"
		[[ ${lines[0]} == *": $N in, $ok ok, $rej rejected, $held held, "* ]] || fail "$s: ${lines[0]}"
	done
	grep -qE "^[0-9TZ:-]+ spool-print: done in [0-9]+ s: spool-print: B-[0-9]+-01: $N in, $OK jobs \\($OK delivered now\\), $HELD held, $REJ rejected, [0-9.]+ s\$" "$n/run.log"
	grep -qE "^[0-9TZ:-]+ collect: PRINTED-[0-9]+-0001: [0-9]+ in, [0-9]+ ok, 0 rejected, 0 held, [0-9]+ s\$" "$c/run.log"
	grep -qE '^[0-9TZ:-]+ manifest-courier: PRINTED-[0-9]+-0001: [0-9]+ in, [0-9]+ ok, 0 rejected, 0 held, [0-9]+ s$' "$c/run.log"
	grep -qE '^[0-9TZ:-]+ record: done in [0-9]+ s: dedup: PRINTED-[0-9]+-0001: [0-9]+ in, [0-9]+ passports added to the history, ' "$c/run.log"
	grep -qE '^[0-9TZ:-]+ index: done in [0-9]+ s: verify-passport: PRINTED-[0-9]+-0001: [0-9]+ printed passports, [0-9]+ added to the ' "$c/run.log"
	grep -qE '^[0-9TZ:-]+ reprint: done in [0-9]+ s: spool-print: B-[0-9]+-01-R1: [0-9]+ spoiled applications of batch ' "$c/run.log"
	grep -qE "^[0-9TZ:-]+ [0-9]+ spoiled jobs wait in .*: print them again with nightly --reprint spool/runs/$(basename "$c")/reprint.xml$" "$c/run.log"
}

@test "each stage counts its own stream (--counts RUNDIR/NAME.counts): the run keeps those counts, the same as inspect --counts of the stream, under the stream's size, times and inode" {
	n=$(rundir 2 "$REF")
	for s in ingest validate verify-fee verify-nadra screen-pcl dedup render-mrz sign; do
		f=$(ls "$n"/0?-$s.xml)
		run -0 grep -x 'status=0' "$n/$s.counts"
		run -0 sed -n 's/^stream\.//p' "$n/$s.counts"
		[ "${#lines[@]}" -ge 10 ] || fail "$s.counts: ${#lines[@]} stream lines"
		assert_equal "$output" "$(inspect --counts "$f" 2> /dev/null)"
		assert_equal "$(head -n 1 "$n/$s.xml.counts")" "# $(stat -L -c '%s %.9Y %.9Z %i' "$f")"
		assert_equal "$(tail -n +2 "$n/$s.xml.counts")" "$output"
	done
	# codes of the records held and rejected, as inspect tells them
	run -0 grep -c '^stream\.\(held\|rejected\)\.' "$n/sign.counts"
	[ "$output" -ge 3 ]
}

@test "the runs record each application's events (track --record): a held one is held, a printed one dispatched with its consignment" {
	n=$(rundir 2 "$REF") c=$(rundir courier "$REF")
	grep -qE "^[0-9TZ:-]+ track: $N records of 1 streams, [0-9]+ events recorded now\$" "$n/run.log"
	grep -qE "^[0-9TZ:-]+ track: [0-9]+ records of 1 streams, [0-9]+ events recorded now\$" "$c/run.log"
	held=$(ids_of "$n/07-sign.xml" held | head -n 1)
	read -r id num cons <<< "$(courier_state "$c" | head -n 1)"
	[ -n "$held" ] && [ -n "$cons" ]
	run -0 track --state "$REF/spool/state.db" --csv "$held" "$id"
	assert_line --index 1 --regexp "^$held,held,[0-9TZ:-]{20},,,[A-Z0-9-]*,"
	assert_line --index 2 --regexp "^$id,dispatched,[0-9TZ:-]{20},[^,]+,$cons,"
	run -0 track --state "$REF/spool/state.db" "$id"
	assert_line --regexp '^  [0-9TZ:-]{20}  received    \(batch B-[0-9]+-01\)$'
	assert_line --regexp '^  [0-9TZ:-]{20}  printed     \(batch PRINTED-[0-9]+-0001\)$'
}

@test "the courier run keeps the issuance index: verify-passport answers a printed passport as issued, from its MRZ" {
	c=$(rundir courier "$REF")
	mrz=$(grep -m 1 '^<record [^>]*status="ok"' "$c/01-collect.xml" | sed 's/.*<mrz>\([^<]*\)<\/mrz><mrz>\([^<]*\)<\/mrz>.*/\1 \2/; s/&lt;/</g')
	read -r l1 l2 <<< "$mrz"
	[ ${#l1} -eq 44 ] && [ ${#l2} -eq 44 ]
	run -0 --separate-stderr verify-passport --state "$REF/spool/state.db" "$l1" "$l2"
	assert_equal "${lines[0]}" "passport ${l2:0:9}: ours, as issued"
	assert_equal "${lines[1]}" 'finding: AS_ISSUED'
}

@test "run folders 0700, every file in them 0600" {
	n=$(rundir 2 "$REF")
	assert_equal "$(stat -c %a "$REF/spool/runs" "$n")" "$(printf '700\n700')"
	run find "$REF/spool/runs" \( -type d ! -perm 700 \) -o \( -type f ! -perm 600 \)
	assert_output ''
	# the check can fail: a file made 0644 is found
	chmod 644 "$n/report.txt"
	run find "$REF/spool/runs" \( -type d ! -perm 700 \) -o \( -type f ! -perm 600 \)
	chmod 600 "$n/report.txt"
	assert_output "$n/report.txt"
}

# the state a re-run must leave as it was: spool folders, bundles, streams
snapshot() {
	find spool/print spool/archive spool/held spool/rejected out -type f -exec sha256sum {} + | sort -k2
	find spool/runs -name '0[0-9]-*' -size +0 -exec sha256sum {} + | sort -k2
	sha256sum spool/runs/*/reprint.xml
}

@test "a re-run changes nothing: nightly --resume of a finished run, courier again" {
	cp -a "$REF" t && cd t
	n=$(rundir 2)
	snapshot > before
	run nightly --resume "$n"
	assert_success
	for s in ingest validate verify-fee verify-nadra screen-pcl dedup render-mrz spool-print; do
		assert_line --regexp "^nightly: $s: done before, 0[0-8]-$s\.(xml|txt) kept$"
	done
	run courier
	assert_success
	assert_line 'courier: nothing printed since the last collection'
	assert_line --regexp "^courier: reprint: done in [0-9]+ s: spool-print: no spoiled job waits for a reprint; $(ls -d spool/runs/courier-* | tail -n 1)/reprint.xml not written$"
	run -0 sed -n 2p "$(ls -d spool/runs/courier-* | tail -n 1)/report.txt"
	assert_output "batch -, nothing printed since the last collection"
	snapshot > after
	run diff before after
	assert_success
	assert_equal "$(jobs_of spool | wc -l)" "$OK"
	# the same export again is refused: it would be a second batch
	run nightly "$KT/apps.csv"
	assert_equal "$status" 65
	assert_output "nightly: $KT/apps.csv was the input of $n already (same SHA-256): resume that run with nightly --resume $n, or move that folder out of spool/runs if this really is a new batch"
	assert_equal "$(ls spool/runs | wc -l)" 3
	snapshot > after
	run diff before after
	assert_success
	# the check can fail: one more job file is seen
	cp "$(find spool/archive -name '*.jobs' | head -n 1)" spool/print/p01/new/
	snapshot > after
	run diff before after
	assert_failure
}

@test "a second run of the same approved batch spools nothing twice (spool-print journal)" {
	cp -a "$REF" t && cd t
	n=$(rundir 2)
	run spool-print --spool spool < "$n/07-sign.xml"
	assert_success
	assert_equal "$(jobs_of spool | wc -l)" "$OK"
	assert_equal "$(queued_jobs spool)" 0
}

# crash CMD...: the run, killed (137) where KILL_* say
crash() {
	run -137 "$@"
}

@test "nightly killed at every stage, resumed each time: the same batch as the uninterrupted run" {
	same_day_as_ref
	mkcase "$KT/chain" "$APPROVER_FPR" "$KT/wrap"
	cd "$KT/chain"
	export KILL_STAGE=ingest KILL_MODE=mid
	crash nightly "$KT/apps.csv"
	r=$(rundir 2)
	[ -e "$r/01-ingest.xml.tmp" ] && [ ! -e "$r/01-ingest.xml" ]
	# verify-fee killed twice: once after its receipts were committed, once
	# with its output cut off; the resumed run finds them its own
	steps="validate:after:2 verify-fee:fault:2:fee-committed verify-fee:mid:2 verify-nadra:mid:3
		screen-pcl:after:4 dedup:mid:5 render-mrz:fault:6:given sign:after:7
		spool-print:fault:8:delivered-half"
	prev=01-ingest last=''
	for step in $steps; do
		IFS=: read -r KILL_STAGE KILL_MODE k KILL_FAULT <<< "$step"
		export KILL_STAGE KILL_MODE KILL_FAULT
		# the output of the stage before (the same stage killed twice: of the one before it)
		[ -z "$last" ] || [ "$last" = "0$k-$KILL_STAGE" ] || prev=$last
		crash nightly --resume "$r"
		[ -e "$r/$prev.xml" ] || fail "$KILL_STAGE: the stage before did not finish"
		[ ! -e "$r/0$k-$KILL_STAGE.xml" ] && [ ! -e "$r/0$k-$KILL_STAGE.txt" ] ||
			fail "$KILL_STAGE was not cut off"
		last=0$k-$KILL_STAGE
	done
	# spool-print was killed with half the jobs delivered
	[ "$(queued_jobs spool new)" -gt 0 ]
	[ "$(queued_jobs spool new)" -lt "$OK" ]
	unset KILL_STAGE
	run nightly --resume "$r"
	assert_success
	# the same records (passport numbers and MRZ included), jobs, places
	# (the ingest step names the run folder's input.csv)
	norm() { records "$1" | sed 's#>read from spool/runs/[^/]*/input.csv line #>read from RUNDIR/input.csv line #'; }
	run diff <(norm "$(rundir 2 "$REF")/07-sign.xml") <(norm "$r/07-sign.xml")
	output=${output:0:3000}
	assert_success
	jobs_of "$REF/spool" | awk '{ print $1, $2, $3, $4, $5 }' > ref.jobs
	jobs_of spool > jobs
	run awk '$6 != "waiting"' jobs
	assert_output ''
	run diff ref.jobs <(cut -d' ' -f1-5 jobs)
	assert_success
	assert_equal "$(spooled_ids spool/held)" "$(spooled_ids "$REF/spool/held")"
	assert_equal "$(spooled_ids spool/rejected)" "$(spooled_ids "$REF/spool/rejected")"
	assert_equal "$(queued_jobs spool)" "$OK"
	# no number given twice, none left unsealed
	run render-mrz --state spool/state.db --report
	assert_success
	refute_output --regexp 'unsealed +[1-9]'
}

@test "courier killed at every stage (collect, manifest-courier, dedup --record, reprint): the same consignments and reprint" {
	same_day_as_ref
	[ -d "$KT/chain/spool/print" ] || fail "the nightly crash test did not leave its spool"
	cd "$KT/chain"
	print_jobs spool
	export KILL_STAGE=spool-print KILL_ARG=--collect KILL_MODE=fault KILL_FAULT=sealed
	crash courier
	c=$(rundir courier)
	[ -s "$c/01-collect.xml.tmp" ] && [ ! -e "$c/01-collect.xml" ]
	# the next courier (cron's, without --resume) finishes the run: the
	# collection, handed out once, is kept, not collected again
	export KILL_STAGE=manifest-courier KILL_ARG= KILL_FAULT=numbered
	crash courier
	assert_line "courier: $c did not finish: resuming it"
	assert_line "courier: collect: 01-collect.xml.tmp of the interrupted run is whole and its seal good: kept, collect not run again"
	export KILL_STAGE=dedup KILL_ARG=--record KILL_FAULT=history-commit
	crash courier --resume "$c"
	[ -e "$c/02-manifest-courier.xml" ] && [ ! -e "$c/03-record.txt" ]
	export KILL_STAGE=spool-print KILL_ARG=--reprint KILL_FAULT=reprint-written
	crash courier --resume "$c"
	[ -e "$c/03-record.txt" ] && [ ! -e "$c/04-reprint.txt" ]
	unset KILL_STAGE
	run courier
	assert_success
	assert_line "courier: $c did not finish: resuming it"
	assert_equal "$(ls -d spool/runs/courier-* | wc -l)" 1
	assert_equal "$(sed -n 's/^dedup: [^:]*: //p' "$c/record.log" | sed 's/; [0-9.]* s$//')" \
		"$(sed -n 's/^dedup: [^:]*: //p' "$(rundir courier "$REF")/record.log" | sed 's/; [0-9.]* s$//')"
	# the same consignments, passports and spoiled jobs as the reference
	run diff <(courier_state "$(rundir courier "$REF")") <(courier_state "$c")
	assert_success
	# a further courier run: nothing new, the collected files archived
	run courier
	assert_success
	assert_line 'courier: nothing printed since the last collection'
	assert_equal "$(queued_jobs spool)" 0
	run diff <(jobs_of "$REF/spool" | cut -d' ' -f1-2,6) <(jobs_of spool | cut -d' ' -f1-2,6)
	assert_success
}

@test "the spoiled jobs go back to the printers: nightly --reprint reprint.xml, once" {
	cp -a "$REF" t && cd t
	c=$(rundir courier)
	spoiled=$(ids_of "$c/reprint.xml")
	old=$(jobs_of spool | cut -d' ' -f2 | sort)
	run nightly --reprint "$c/reprint.xml"
	assert_success
	r=$(rundir reprint)
	grep -q " reprint run folder $r, input $c/reprint.xml$" "$r/run.log"
	[ -e "$r/05-reprint.xml" ] && [ -e "$r/08-spool-print.txt" ]
	[ ! -e "$r/01-ingest.xml" ]
	assert_line "impass reprint run $(basename "$r")"
	# one new job per spoiled application, each with a new number
	find spool/print -name '*.jobs' -exec grep -ho 'tracking_id="[^"]*"' {} + | cut -d'"' -f2 | sort > new
	assert_equal "$(cat new)" "$spoiled"
	find spool/print -name '*.jobs' -exec grep -ho ' number="[^"]*"' {} + | cut -d'"' -f2 | sort > numbers
	assert_equal "$(comm -12 numbers <(printf '%s\n' "$old"))" ""
	assert_equal "$(sort -u numbers | wc -l)" "$(wc -l < new)"
	grep -q "^spool-print: B-[0-9]*-01-R1: $(wc -l < new) in, $(wc -l < new) jobs ($(wc -l < new) delivered now)" "$r/spool-print.log"
	# the same file again: the same numbers, nothing spooled twice
	find spool/print -type f | sort > before
	run nightly --reprint "$c/reprint.xml"
	assert_success
	r2=$(ls -d spool/runs/reprint-* | tail -n 1)
	[ "$r2" != "$r" ]
	assert_equal "$(grep -o '<passport number="[A-Z0-9]*"' "$r2/06-render-mrz.xml")" "$(grep -o '<passport number="[A-Z0-9]*"' "$r/06-render-mrz.xml")"
	assert_line --regexp "^nightly: spool-print: done in [0-9]+ s: spool-print: B-[0-9]+-01-R1: spooled already at .* \($(wc -l < new) in: $(wc -l < new) jobs, 0 held, 0 rejected\); nothing new was written$"
	assert_line --regexp "^spool-print +$(wc -l < new) +$(wc -l < new) +0 +0  $(wc -l < new) jobs$"
	find spool/print -type f | sort > after
	run diff before after
	assert_success
}

@test "exit 75 while another run holds the lock; nothing made" {
	mkcase c
	cd c
	mkdir -p spool/runs
	# this shell holds the locks (another open file: flock conflicts)
	exec 7> spool/runs/.nightly.lock 8> spool/runs/.courier.lock
	flock -n 7 && flock -n 8
	run nightly "$KT/small.csv"
	run2=$status out2=$output
	run courier
	exec 7>&- 8>&-
	assert_equal "$run2" 75
	[[ $out2 == *"nightly: another nightly run holds spool/runs/.nightly.lock; try again when it has finished"* ]]
	assert_equal "$status" 75
	assert_output --partial "courier: another courier run holds spool/runs/.courier.lock"
	assert_equal "$(ls spool/runs)" ""
}

@test "APPROVER_KEY empty: the run waits after render-mrz; nightly --approve RUNDIR --signer FPR finishes it" {
	mkcase c ''
	cd c
	run nightly "$KT/small.csv"
	assert_success
	r=$(rundir 2)
	assert_line "nightly: waiting for approval: an approver runs nightly --approve $r --signer FPR"
	[ -e "$r/WAITING" ] && [ -e "$r/06-render-mrz.xml" ] && [ ! -e "$r/07-sign.xml" ]
	assert_equal "$(queued_jobs spool)" 0
	run cat "$r/report.txt"
	assert_line --regexp '^batch B-[0-9]+-01, waiting for approval$'
	# the stage key may not approve (four eyes): still waiting
	run nightly --approve "$r" --signer "$STAGE_FPR"
	assert_failure
	[ -e "$r/WAITING" ] && [ ! -e "$r/07-sign.xml" ]
	run nightly --approve "$r" --signer "$APPROVER_FPR"
	assert_success
	[ ! -e "$r/WAITING" ]
	run inspect "$r/07-sign.xml"
	assert_line --regexp "^seal +good: sign by $APPROVER_FPR "
	ok=$(grep -c '^<record [^>]*status="ok"' "$r/07-sign.xml")
	assert_equal "$(queued_jobs spool)" "$ok"
	grep -q ', complete$' "$r/report.txt"
}

@test "spool-print fails (too few laminates): the log names the sealed file that holds the numbers; --resume spools it, each job once" {
	mkcase c
	cd c
	seq -f 'SL%08g' 1 5 > few.txt
	sed -i "s|^LAMINATES=.*|LAMINATES=$PWD/few.txt|" impass.conf
	run nightly "$KT/small.csv"
	assert_equal "$status" 69
	r=$(rundir 2)
	assert_line --regexp '^nightly: spool-print FAILED \(exit 69\): spool-print: B-[0-9]+-01: [0-9]+ approved records need [0-9]+ laminates but 5 are in stock; nothing was spooled: issue laminates with --laminates FILE and run again$'
	assert_line "nightly: 07-sign.xml holds this batch's passport numbers (render-mrz gave them): spool-print runs again on that file, never the earlier stages or the export"
	assert_line "nightly: fix the cause and resume: nightly --resume $r"
	[ -e "$r/07-sign.xml" ] && [ ! -e "$r/08-spool-print.txt" ]
	assert_equal "$(queued_jobs spool)" 0
	sed -i "s|^LAMINATES=.*|LAMINATES=$KT/lam.txt|" impass.conf
	run nightly --resume "$r"
	assert_success
	ok=$(grep -c '^<record [^>]*status="ok"' "$r/07-sign.xml")
	assert_equal "$(queued_jobs spool)" "$ok"
	assert_equal "$(find spool/print -name '*.jobs' | xargs "$TESTS"/print-jobs | cut -d' ' -f3 | sort -u | wc -l)" "$ok"
}

@test "e-Passports: with LDS_DS_CERT, render-lds runs after render-mrz (06-render-lds.xml), sign approves its output, each job carries its chip" {
	local r signed
	"$TESTS/mkpki" pki
	"$TESTS/fake-photos" csv photos < "$KT/small.csv" > e.csv
	mkcase c
	cd c
	printf '%s\n' "LDS_DS_CERT=../pki/ds.pem" "LDS_DS_KEY=../pki/ds.key" "LDS_CSCA=../pki/csca.pem" \
		"LDS_PHOTOS=../photos" "LDS_GROUPS=DG11,DG12" >> impass.conf
	run -0 nightly ../e.csv
	r=$(rundir 2)
	# render-lds between render-mrz and sign, in the run log and the report
	run -0 sed -n 's/^[^ ]* \(render-mrz\|render-lds\|sign\): .*/\1/p' "$r/run.log"
	assert_output "$(printf 'render-mrz\nrender-lds\nsign')"
	run -0 awk '$1 == "render-mrz" || $1 == "render-lds" || $1 == "sign" { print $1 }' "$r/report.txt"
	assert_output "$(printf 'render-mrz\nrender-lds\nsign')"
	assert_equal "$(report_row render-lds "$r/report.txt")" "$(inspect_row "$r/06-render-lds.xml")"
	# sign read render-lds's output: its records carry their chips
	assert_equal "$(grep -c '<chip ' "$r/06-render-lds.xml")" "$(grep -c 'code="LDS_SIGNED"' "$r/06-render-lds.xml")"
	signed=$(grep '^<record [^>]*status="ok"' "$r/07-sign.xml" | grep -c '<chip ' || true)
	[ "$signed" -gt 50 ] || fail "only $signed e-Passports approved"
	assert_equal "$(cat spool/print/*/new/*.jobs | grep -o '<chip file="[A-Z0-9]*\.lds" sod="sha256:[0-9a-f]*" bytes="[0-9]*">' | wc -l)" "$signed"
	assert_equal "$(queued_jobs spool new)" "$signed"
	# one chip file per e-Passport render-lds signed, 0600
	assert_equal "$(ls spool/lds | wc -l)" "$(grep -c 'code="LDS_SIGNED"' "$r/06-render-lds.xml")"
	assert_equal "$(find spool/lds -type f ! -perm 600 | wc -l)" 0
	# half a Document Signer's configuration: 78, before any run folder
	grep -v '^LDS_DS_CERT=' impass.conf > half.conf
	run -78 "$PIPES/nightly" --config half.conf ../small.csv
	assert_output 'nightly: half.conf: LDS_DS_KEY is set but not LDS_DS_CERT: set both for e-Passports, or neither'
	grep -v '^LDS_CSCA=' impass.conf > half.conf
	run -78 "$PIPES/nightly" --config half.conf ../small.csv
	assert_output "nightly: half.conf: LDS_DS_CERT is set but not LDS_CSCA (render-lds needs the Document Signer's key, the CSCA certificate and the photo store)"
	assert_equal "$(ls spool/runs | grep -vc '^2' || true)" 0
}

@test "configuration errors: an unknown key, no FEES, PAYMENTS, NADRA, control lists (78), before any run folder" {
	mkcase c
	cd c
	cp impass.conf good.conf
	echo 'APPROVERKEY=x' >> impass.conf
	run nightly "$KT/small.csv"
	assert_equal "$status" 78
	assert_output --regexp '^nightly: impass.conf line 17: unknown key APPROVERKEY \(known: '
	run courier
	assert_equal "$status" 78
	grep -v '^FEES=' good.conf > impass.conf
	run nightly "$KT/small.csv"
	assert_equal "$status" 78
	assert_output 'nightly: impass.conf: FEES (the fee schedule) is not set'
	grep -v '^PAYMENTS=' good.conf > impass.conf
	run nightly "$KT/small.csv"
	assert_equal "$status" 78
	assert_output "nightly: impass.conf: PAYMENTS (the bank's payments export) is not set"
	grep -v '^NADRA=' good.conf > impass.conf
	run nightly "$KT/small.csv"
	assert_equal "$status" 78
	assert_output 'nightly: impass.conf: NADRA (the register extract or its index) is not set'
	grep -v '^PCL_LISTS=' good.conf > impass.conf
	run nightly "$KT/small.csv"
	assert_equal "$status" 78
	assert_output 'nightly: impass.conf: PCL_LISTS (the control lists) is not set'
	echo 'not a pair' >> impass.conf
	run nightly "$KT/small.csv"
	assert_equal "$status" 78
	assert_output 'nightly: impass.conf line 16: not KEY=VALUE'
	local key v
	for key in PCL_THRESHOLD PCL_NAME_ONLY; do
		for v in abc 0 61 1e1 -5 '18 x'; do
			{ cat good.conf; echo "$key='$v'"; } > impass.conf
			run nightly "$KT/small.csv"
			assert_equal "$status" 78
			assert_output "nightly: impass.conf: $key '$v' is not a number of bits from 1 to 60"
		done
	done
	assert_equal "$(ls spool/runs 2> /dev/null)" ""
}

@test "PCL_THRESHOLD and PCL_NAME_ONLY of the configuration reach screen-pcl as --threshold and --name-only; unset, neither is given" {
	# BIN: the programs under test, screen-pcl behind a wrapper that writes
	# its arguments to its log
	wrap_args screen-pcl
	mkcase a "$APPROVER_FPR" "$PWD/wrap"
	mkcase b "$APPROVER_FPR" "$PWD/wrap"
	printf '%s\n' 'PCL_THRESHOLD=20.5' 'PCL_NAME_ONLY=15' >> b/impass.conf
	(cd a && nightly "$KT/small.csv" > /dev/null 2>&1)
	(cd b && nightly "$KT/small.csv" > /dev/null 2>&1)
	run -0 grep '^args: ' a/spool/runs/2*/screen-pcl.log
	assert_output "args: --list $KT/pcl.csv --counts $(cd a && echo spool/runs/2*)/screen-pcl.counts"
	run -0 grep '^args: ' b/spool/runs/2*/screen-pcl.log
	assert_output "args: --list $KT/pcl.csv --threshold 20.5 --name-only 15 --counts $(cd b && echo spool/runs/2*)/screen-pcl.counts"
}

@test "PAYMENTS_INDEX: the run makes the export's index when there is none or the export is newer, and verify-fee uses it; the same batch as with the CSV" {
	wrap_args verify-fee
	cp "$KT/payments.csv" pay.csv
	mkcase a "$APPROVER_FPR" "$PWD/wrap"
	mkcase b "$APPROVER_FPR" "$PWD/wrap"
	sed -i "s|^PAYMENTS=.*|PAYMENTS=$PWD/pay.csv|" a/impass.conf b/impass.conf
	echo "PAYMENTS_INDEX=$PWD/pay.idx" >> b/impass.conf
	(cd a && nightly "$KT/small.csv" > /dev/null 2>&1)
	(cd b && nightly "$KT/small.csv" > /dev/null 2>&1)
	run -0 grep '^args: ' a/spool/runs/2*/verify-fee.log
	assert_output "args: --schedule $KT/fees.csv --payments $PWD/pay.csv --counts $(cd a && echo spool/runs/2*)/verify-fee.counts"
	run -0 grep '^args: ' b/spool/runs/2*/verify-fee.log
	assert_output "args: --schedule $KT/fees.csv --payments $PWD/pay.csv --payments-index $PWD/pay.idx --counts $(cd b && echo spool/runs/2*)/verify-fee.counts"
	run -0 grep 'verify-fee: indexed ' b/spool/runs/2*/run.log
	[[ $output == *"verify-fee: indexed $(($(grep -c . pay.csv) - 1)) receipts of $PWD/pay.csv into $PWD/pay.idx, "* ]] || fail "$output"
	[ "$(stat -c %a pay.idx)" = 600 ]
	# (the ingest step names the run folder)
	run diff <(records a/spool/runs/2*/02-verify-fee.xml | sed 's|runs/[^/]*/input|RUN|; s/recorded [0-9TZ:-]*)/recorded T)/') \
		<(records b/spool/runs/2*/02-verify-fee.xml | sed 's|runs/[^/]*/input|RUN|; s/recorded [0-9TZ:-]*)/recorded T)/')
	assert_success
	# a run on the same export keeps the index; on a newer export it is made again
	kept_then_remade pay.csv pay.idx verify-fee
}

@test "NADRA_EXTRACT: the run makes the register's index NADRA when there is none or the extract is newer, and verify-nadra checks it against the extract; the same batch as with the CSV; an index of another extract stops the run (65)" {
	wrap_args verify-nadra
	cp "$KT/nadra.csv" nadra.csv
	mkcase a "$APPROVER_FPR" "$PWD/wrap"
	mkcase b "$APPROVER_FPR" "$PWD/wrap"
	sed -i "s|^NADRA=.*|NADRA=$PWD/nadra.csv|" a/impass.conf
	sed -i "s|^NADRA=.*|NADRA=$PWD/nadra.idx|" b/impass.conf
	echo "NADRA_EXTRACT=$PWD/nadra.csv" >> b/impass.conf
	(cd a && nightly "$KT/small.csv" > /dev/null 2>&1)
	(cd b && nightly "$KT/small.csv" > /dev/null 2>&1)
	run -0 grep '^args: ' a/spool/runs/2*/verify-nadra.log
	assert_output "args: --nadra $PWD/nadra.csv --counts $(cd a && echo spool/runs/2*)/verify-nadra.counts"
	run -0 grep '^args: ' b/spool/runs/2*/verify-nadra.log
	assert_output "args: --nadra $PWD/nadra.idx --extract $PWD/nadra.csv --counts $(cd b && echo spool/runs/2*)/verify-nadra.counts"
	run -0 grep 'verify-nadra: indexed ' b/spool/runs/2*/run.log
	[[ $output == *"verify-nadra: indexed $(($(grep -c . nadra.csv) - 1)) rows of $PWD/nadra.csv into $PWD/nadra.idx, 0 left out, "* ]] || fail "$output"
	[ "$(stat -c %a nadra.idx)" = 600 ]
	# (the ingest step names the run folder)
	run diff <(records a/spool/runs/2*/03-verify-nadra.xml | sed 's|runs/[^/]*/input|RUN|') \
		<(records b/spool/runs/2*/03-verify-nadra.xml | sed 's|runs/[^/]*/input|RUN|')
	assert_success
	[ "$(records a/spool/runs/2*/03-verify-nadra.xml | grep -c 'stage="verify-nadra"')" -gt 0 ]
	# a run on the same extract keeps the index; on a newer extract it is made again
	kept_then_remade nadra.csv nadra.idx verify-nadra
	# another extract put in place, older than the index: verify-nadra refuses the index
	cp -p nadra.csv other.csv
	echo '3520100099999,ZAHID ALI,ALI AHMED,1970-01-01,M,active' >> other.csv
	touch -d '-1 day' other.csv
	mv other.csv nadra.csv
	cd b
	run nightly ../b30.csv
	assert_equal "$status" 65
	assert_output --partial "verify-nadra: the NADRA index $BATS_TEST_TMPDIR/nadra.idx is not that of $BATS_TEST_TMPDIR/nadra.csv (made from another extract, or before $BATS_TEST_TMPDIR/nadra.csv changed: its size or time differs): build it again with verify-nadra --index $BATS_TEST_TMPDIR/nadra.csv -o $BATS_TEST_TMPDIR/nadra.idx"
}

@test "PCL_INDEX: the run makes the lists' index when there is none or a list is newer, and screen-pcl uses it; the same batch as with the lists; a list changed behind it stops the run (65)" {
	wrap_args screen-pcl
	cp "$KT/pcl.csv" pcl.csv
	mkcase b "$APPROVER_FPR" "$PWD/wrap"
	sed -i "s|^PCL_LISTS=.*|PCL_LISTS=$PWD/pcl.csv|" b/impass.conf
	echo "PCL_INDEX=$PWD/pcl.idx" >> b/impass.conf
	(cd b && nightly "$KT/small.csv" > /dev/null 2>&1)
	# without the index (the run's args then: the PCL_THRESHOLD test)
	screen-pcl --list pcl.csv b/spool/runs/2*/03-verify-nadra.xml > a.xml 2> /dev/null
	run -0 grep '^args: ' b/spool/runs/2*/screen-pcl.log
	assert_output "args: --list $PWD/pcl.csv --list-index $PWD/pcl.idx --counts $(cd b && echo spool/runs/2*)/screen-pcl.counts"
	run -0 grep 'screen-pcl: indexed ' b/spool/runs/2*/run.log
	[[ $output == *"screen-pcl: indexed $(awk -F, 'NR > 1 && $NF == ""' pcl.csv | grep -c .) active entries of 1 list into $PWD/pcl.idx, "* ]] || fail "$output"
	[ "$(stat -c %a pcl.idx)" = 600 ]
	run diff <(records a.xml) <(records b/spool/runs/2*/04-screen-pcl.xml)
	assert_success
	[ "$(records a.xml | grep -c .)" -gt 0 ]
	# a run on the same lists keeps the index; on a newer list it is made again
	kept_then_remade pcl.csv pcl.idx screen-pcl
	# a list changed under an index that looks newer: screen-pcl refuses it
	sed -i '2s/,$/,2026-11-01/' pcl.csv
	touch -d '-1 day' pcl.csv
	cd b
	run nightly ../b30.csv
	assert_equal "$status" 65
	assert_output --partial "screen-pcl: the index $BATS_TEST_TMPDIR/pcl.idx was made from other lists than those given"
}

@test "usage: no input (64), a run folder that is none (66), an unreadable input (66)" {
	mkcase c
	cd c
	run nightly
	assert_equal "$status" 64
	assert_line --index 0 'usage: nightly [--config FILE] INPUT.csv'
	run nightly --resume /nonexistent
	assert_equal "$status" 66
	assert_output --partial '/nonexistent is not a nightly run folder'
	run nightly --reprint /nonexistent
	assert_equal "$status" 66
	run nightly "$KT/small.csv" --resume x
	assert_equal "$status" 64
}

@test "report.html: well-formed, the counts of report.txt in its tables, the courier's titled as such" {
	n=$(rundir 2 "$REF") c=$(rundir courier "$REF")
	for f in "$n/report.html" "$c/report.html"; do
		run xmllint --noout "$f"
		assert_success
		assert_output ''
		run xmllint --html --noout "$f"
		assert_success
	done
	for s in ingest validate verify-nadra screen-pcl dedup render-mrz sign spool-print; do
		read -r in ok rej held <<< "$(report_row "$s" "$n/report.txt")"
		grep -qF "<tr><td class=\"l\">$s</td><td>$in</td><td>$ok</td><td>$rej</td><td>$held</td>" "$n/report.html" ||
			fail "$s: $in $ok $rej $held not in report.html"
	done
	grep -qF '<td class="l">DEDUP_SAME_CNIC</td><td>'"$NDUP"'</td>' "$n/report.html"
	grep -q '<title>impass nightly run ' "$n/report.html"
	grep -q '<title>impass courier run ' "$c/report.html"
	run grep -c 'nightly run' "$c/report.html"
	assert_output 0
	grep -q '<p id="reprint">' "$c/report.html"
	run grep -ci '<script' "$n/report.html"
	assert_output 0
}

@test "report.html renders in a headless browser" {
	browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
	[ -n "$browser" ] || fail "no chromium: make deps installs it"
	n=$(rundir 2 "$REF")
	cp "$n/report.html" r.html
	run timeout 60 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$PWD/profile" --dump-dom "file://$PWD/r.html"
	assert_success
	assert_output --partial '<table id="stages">'
	assert_output --partial "<td class=\"l\">dedup</td><td>$N</td><td>$OK</td><td>$REJ</td><td>$HELD</td>"
}
