#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# spool-print (SPEC 3, 6, 8; impass-spool(5)): only a batch approved by sign
# with an approver key is spooled; one job per ok record, in one job file
# per queue and priority, delivered tmp/ -> new/ after the seal verified,
# exactly once across crashes and re-runs; held and rejected records parked
# with their reasons; laminates assigned, collected from the printers'
# acknowledgements in each queue's log and reconciled; --collect writes the
# printed stream, --reprint the spoiled applications for a new number.
# tests/fake-printer plays the printers, tests/print-jobs reads job files.
# One approved batch of 12 (1 rejected, 1 held, 10 ok: 1 fast track,
# 1 urgent) is made through the real pipeline once in setup_file.

bats_require_minimum_version 1.5.0
load helpers

USAGE='usage: spool-print [-d DIR] [-g GROUP] [-q N|LIST] [-l FILE] [-w] [-t FILE] [FILE|-]'

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 12 > a.csv
	# row 2 rejected (CNIC), row 3 held (previous passport), row 4 fast
	# track, row 5 urgent, the rest normal
	sed -i -e '2s/,[0-9]\{5\}-[0-9]\{7\}-[0-9],/,123,/' \
		-e '3s/,\(5\|10\),\(36\|72\|100\),[^,]*,/,\1,\2,XYZ,/' \
		-e '4s/^\([^,]*,[^,]*,\)[a-z]*,/\1fasttrack,/' \
		-e '5s/^\([^,]*,[^,]*,\)[a-z]*,/\1urgent,/' \
		-e '6,$s/^\([^,]*,[^,]*,\)[a-z]*,/\1normal,/' a.csv
	ingest -b B-SPOOL-01 a.csv 2> /dev/null | validate 2> /dev/null > valid.xml
	render-mrz --state "$KT/mrz.db" --add-range T AA1000000-AA1999999 2> /dev/null
	render-mrz --state "$KT/mrz.db" valid.xml > mrz.xml 2> /dev/null
	IMPASS_SIGNER=$APPROVER_FPR sign --require validate,render-mrz mrz.xml > approved.xml 2> /dev/null
	seq -f 'SL%08g' 1 30 > laminates.txt
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/approved.xml "$KT"/mrz.xml "$KT"/laminates.txt .
	export IMPASS_SPOOL=$BATS_TEST_TMPDIR/spool
	# one ledger: the spool's state database is the one render-mrz gave the numbers in
	mkdir -m 0700 spool && cp "$KT/mrz.db" spool/state.db
	umask 022
}

ok_numbers() { grep 'status="ok"' "${1:-approved.xml}" | sed 's/.*<passport number="\([A-Z0-9]*\)".*/\1/' | sort; }
# fresh_spool: an empty spool whose state database is the ledger that
# gave the batch its numbers (removing state.db would lose the ledger)
fresh_spool() { rm -rf spool && mkdir -m 0700 spool && cp "$KT/mrz.db" spool/state.db; }
# every job in a job file anywhere in the spool's queues and archive, by number
jobs_in() { find spool/print spool/archive -path '*/tmp' -prune -o -type f -name '*.jobs' -print 2>/dev/null | xargs -r "$TESTS"/print-jobs | cut -d' ' -f3 | sort; }
# the jobs in new/, and the job files anywhere in the queues
new_jobs() { find spool/print -path '*/new/*' -type f 2>/dev/null | xargs -r "$TESTS"/print-jobs | wc -l; }
job_files() { find spool/print -path '*/tmp' -prune -o -type f -name '*.jobs' -print 2>/dev/null | wc -l; }
spooled() { spool-print --queues 4 --laminates laminates.txt "${@:-approved.xml}"; }

nothing_spooled() {
	assert_equal "$(new_jobs)" 0
	assert_equal "$(find spool/held spool/rejected -type f 2>/dev/null | wc -l)" 0
	run -0 spool-print --reconcile
	assert_line --index 0 'laminates issued: 0'
}

@test "--help starts with the usage line of the manual page" {
	run -0 spool-print --help
	assert_line --index 0 "$USAGE"
	grep -q '^\.Nm spool-print$' "$TESTS/../bin/spool-print.1"
	run -64 spool-print --collect approved.xml
	run -64 spool-print --queues 0 approved.xml
	run -64 spool-print --queues 'p1,P2' approved.xml
}

@test "one job per ok record, in one job file per queue and priority in new/; valid print jobs; 0600 files in 0700 folders" {
	run -0 --separate-stderr spooled
	assert_equal "${stderr_lines[0]}" 'spool-print: B-SPOOL-01: 30 laminates from laminates.txt added to the stock'
	stderr=${stderr_lines[1]}
	assert_equal "$stderr" "spool-print: B-SPOOL-01: 12 in, 10 jobs (10 delivered now), 1 held, 1 rejected, $(sed -n 's/.*rejected, //p' <<< "$stderr")"
	assert_equal "$output" ''
	diff <(ok_numbers) <(jobs_in)
	assert_equal "$(new_jobs)" 10
	# 8 normal jobs on the 4 queues, the fast track and the urgent one each in
	# a file of its own: 6 job files and the 4 queues' logs, nothing else
	assert_equal "$(find spool/print -type f | sed 's#^spool/print/p0[1-4]/##' | sed 's#[0-9]-B-SPOOL-01#P-B-SPOOL-01#' | sort | uniq -c | sed 's/^ *//')" "$(printf '4 log\n6 new/P-B-SPOOL-01.jobs')"
	assert_equal "$(ls spool/print/*/new | grep -c '^2-B-SPOOL-01\.jobs$')" 4
	mkdir jobs
	for f in spool/print/*/new/*; do
		q=$(basename "$(dirname "$(dirname "$f")")") p=$(basename "$f" | cut -c1)
		run -0 "$TESTS"/print-jobs --split jobs "$f"
		# places 1, 2, ... in stream order; each job names the file's queue and priority
		assert_equal "$(cut -d' ' -f2 <<< "$output" | tr '\n' ' ')" "$(seq -s ' ' 1 "${#lines[@]}") "
		for n in $(cut -d' ' -f3 <<< "$output"); do
			grep -q "queue=\"$q\" priority=\"$p\"" "jobs/$n.xml"
		done
		assert_equal "$(head -n 1 "$f")" "impass-printjobs 1 B-SPOOL-01 $q $p"
		assert_equal "$(tail -n 1 "$f")" "end ${#lines[@]}"
	done
	for f in jobs/*.xml; do
		xmllint --noout --schema "$TESTS/../schemas/printjob.xsd" "$f" 2> /dev/null
	done
	assert_equal "$(find spool -type f ! -perm 600 | wc -l)" 0
	assert_equal "$(find spool -type d ! -perm 700 | wc -l)" 0
	assert_equal "$(find spool/print/*/tmp -type f | wc -l)" 0
	# every laminate given once
	assert_equal "$(cat jobs/*.xml | grep -o 'laminate="SL[0-9]*"' | sort -u | wc -l)" 10
	# the ledger: each job's passport spooled, at the time the batch was
	assert_equal "$(sqlite3 spool/state.db "SELECT state, count(*), count(DISTINCT changed) FROM series_number GROUP BY state")" 'spooled|10|1'
}

@test "a job is the same whether its record is read in the writers' form, with a character reference, or as a tree" {
	run -0 spooled
	mkdir a b
	for f in spool/print/*/new/*; do "$TESTS"/print-jobs --split a "$f" > /dev/null; done
	# record 6: a space in a start tag (libxml2 reads it: a tree); record 7:
	# a character reference in an MRZ line (the scanner reads it)
	sed -e '6s/<surname>/<surname >/' -e '7s/<mrz>P&lt;PAK/<mrz>P\&#60;PAK/' approved.xml > odd.xml
	assert_equal "$(diff approved.xml odd.xml | grep -c '^>')" 2
	assert_equal "$(sed -n 6,7p odd.xml | grep -c '^<record [^>]* status="ok"')" 2
	reseal odd.xml "$APPROVER_FPR" sign > odd2.xml
	fresh_spool
	run -0 spooled odd2.xml
	for f in spool/print/*/new/*; do "$TESTS"/print-jobs --split b "$f" > /dev/null; done
	assert_equal "$(ls a | wc -l)" 10
	sed -i 's/ created="[^"]*"//' a/* b/*
	diff -r a b
}

@test "held and rejected records go into one file per batch and kind, each record by its place with its reasons; in = jobs + held + rejected" {
	local f bytes
	run -0 spooled
	rej=$(grep 'status="rejected"' approved.xml | sed 's/.* id="\([^"]*\)".*/\1/')
	held=$(grep 'status="held"' approved.xml | sed 's/.* id="\([^"]*\)".*/\1/')
	# a record is known by its place in the stream, never by its id (data)
	rej_n=$(grep '^<record ' approved.xml | grep -n 'status="rejected"' | cut -d: -f1)
	held_n=$(grep '^<record ' approved.xml | grep -n 'status="held"' | cut -d: -f1)
	assert_equal "$(ls -A spool/rejected)" B-SPOOL-01.parked
	assert_equal "$(ls -A spool/held)" B-SPOOL-01.parked
	assert_equal "$(parked_records spool/rejected)" "B-SPOOL-01 $(printf %08d "$rej_n") $rej rejected validate CNIC_FORMAT"
	assert_equal "$(parked_records spool/held | cut -d' ' -f1-4,6)" "B-SPOOL-01 $(printf %08d "$held_n") $held held PREVIOUS_PASSPORT_FORMAT"
	f=spool/rejected/B-SPOOL-01.parked
	run cat "$f"
	assert_line --index 0 'impass-parked 1 B-SPOOL-01 rejected'
	assert_line --index 1 --regexp "^record $rej_n [0-9]+\$"
	assert_line --index 2 'batch: B-SPOOL-01'
	assert_line --index 3 "record: $rej"
	assert_line --index 4 'status: rejected'
	assert_line --index 5 'stage: validate'
	assert_line --index 6 'code: CNIC_FORMAT'
	assert_line --index 7 --partial 'reason: '
	assert_line --index 8 "$(grep "id=\"$rej\"" approved.xml)"
	assert_line --index 9 'end 1'
	# BYTES: the record's text to the line before "end"
	bytes=$(sed -n '2s/.* //p' "$f")
	assert_equal "$(tail -n +3 "$f" | head -c "$bytes" | tail -n 1)" "$(grep "id=\"$rej\"" approved.xml)"
	assert_equal "$(tail -n +3 "$f" | tail -c +$((bytes + 1)))" 'end 1'
	# each file journalled: its records, bytes and SHA-256
	assert_equal "$(sqlite3 spool/state.db "SELECT kind, records, bytes, sha256 FROM spool_parked WHERE batch = 'B-SPOOL-01' ORDER BY kind")" \
		"held|1|$(stat -c %s spool/held/B-SPOOL-01.parked)|$(sha256sum < spool/held/B-SPOOL-01.parked | cut -c1-64)
rejected|1|$(stat -c %s "$f")|$(sha256sum < "$f" | cut -c1-64)"
	in=$(grep -c '^<record ' approved.xml)
	assert_equal $(( $(new_jobs) + $(parked_records spool/held spool/rejected | wc -l) )) "$in"
}

@test "fast track, then urgent, then normal: the priority leads the job file's name and the printer takes it first" {
	run -0 spooled
	ft=$(grep '<category>fasttrack</category>' approved.xml | grep 'status="ok"' | sed 's/.*<passport number="\([A-Z0-9]*\)".*/\1/')
	ur=$(grep '<category>urgent</category>' approved.xml | grep 'status="ok"' | sed 's/.*<passport number="\([A-Z0-9]*\)".*/\1/')
	run -0 "$TESTS"/print-jobs spool/print/*/new/0-B-SPOOL-01.jobs
	assert_output --regexp "^spool/print/p0[1-4]/new/0-B-SPOOL-01.jobs 1 $ft\$"
	run -0 "$TESTS"/print-jobs spool/print/*/new/1-B-SPOOL-01.jobs
	assert_output --regexp "^spool/print/p0[1-4]/new/1-B-SPOOL-01.jobs 1 $ur\$"
	assert_equal "$("$TESTS"/print-jobs spool/print/*/new/2-* | wc -l)" 8
	run -0 "$TESTS"/fake-printer spool
	# in each queue the first job printed is in the file of the lowest priority digit
	for q in p01 p02 p03 p04; do
		assert_equal "$(grep "^$q " <<< "$output" | head -n 1 | cut -d' ' -f2)" \
			"$(ls spool/print/$q/done | sort | head -n 1)"
	done
	assert_equal "$(grep -c " $ft done\$" <<< "$output")" 1
}

@test "jobs are spread evenly over the queues; a list names them" {
	run -0 spooled
	for q in p01 p02 p03 p04; do counts+=("$("$TESTS"/print-jobs spool/print/$q/new/* | wc -l)"); done
	assert_equal "$(printf '%s\n' "${counts[@]}" | sort -n | tr '\n' ' ')" "2 2 3 3 "
	fresh_spool
	run -0 spool-print --queues lhr-1,isb-2 --laminates laminates.txt approved.xml
	assert_equal "$(ls spool/print)" "$(printf 'isb-2\nlhr-1')"
	assert_equal "$("$TESTS"/print-jobs spool/print/lhr-1/new/* | wc -l)" 5
	grep -q 'queue="isb-2"' spool/print/isb-2/new/*
	run ! grep -q 'queue="lhr-1"' spool/print/isb-2/new/*
}

@test "a re-run of the batch does nothing new and says so" {
	run -0 spooled
	before=$(find spool -type f ! -name 'state.db*' -exec stat -c '%n %Y.%y %s' {} + | sort)
	run -0 --separate-stderr spooled
	assert_regex "$stderr" '^spool-print: B-SPOOL-01: spooled already at [0-9T:Z-]+ \(12 in: 10 jobs, 1 held, 1 rejected\); nothing new was written$'
	assert_equal "$(find spool -type f ! -name 'state.db*' -exec stat -c '%n %Y.%y %s' {} + | sort)" "$before"
	diff <(ok_numbers) <(jobs_in)
	assert_equal "$(job_files)" 6
}

@test "a stream sealed by sign with a stage key is refused (77): nothing spooled" {
	reseal approved.xml "$STAGE_FPR" sign > stage.xml
	run -77 --separate-stderr spooled stage.xml
	assert_regex "$stderr" "may not seal stage sign: that needs the approver role"
	nothing_spooled
}

@test "a stream signed by a key outside the trust file is refused (77): nothing spooled" {
	reseal approved.xml "$OTHER_FPR" sign > other.xml
	run -77 --separate-stderr spooled other.xml
	assert_regex "$stderr" "is not in the trust file"
	nothing_spooled
}

@test "a stream not sealed by sign (render-mrz's output) is refused (77): nothing spooled" {
	run -77 --separate-stderr spooled mrz.xml
	assert_regex "$stderr" "takes only streams sealed by sign .*sealed by render-mrz"
	nothing_spooled
}

@test "a tampered approved stream is refused (65): nothing spooled" {
	sed '4s/<surname>[A-Z]*</<surname>MALLORY</' approved.xml > tampered.xml
	run ! cmp -s approved.xml tampered.xml
	run -65 --separate-stderr spooled tampered.xml
	assert_regex "$stderr" "do not hash to the sealed root"
	nothing_spooled
	head -n -3 approved.xml > cut.xml
	run -65 spooled cut.xml
	nothing_spooled
}

@test "too few laminates: 69 before anything is delivered or any queue folder made, and the stock untouched" {
	head -n 9 laminates.txt > few.txt
	run -69 --separate-stderr spool-print --laminates few.txt approved.xml
	assert_regex "$stderr" '10 approved records need 10 laminates but 9 are in stock; nothing was spooled'
	assert_equal "$(new_jobs)" 0
	[ ! -e "$IMPASS_SPOOL/print" ]
	run -0 spool-print --reconcile
	assert_line '  in stock                                   9'
	printf 'SL00000001\nSL0000002X\n' > bad.txt
	run -65 --separate-stderr spool-print --laminates bad.txt approved.xml
	assert_regex "$stderr" "bad.txt line 2: 'SL0000002X' is not a laminate serial"
}

@test "a second run on the same spool exits 75 while the first holds the lock; --wait waits" {
	mkdir -p spool
	flock spool/lock sleep 2 &
	sleep 0.3
	run -75 --separate-stderr spooled
	assert_regex "$stderr" 'another spool-print is running on .*spool'
	assert_equal "$(new_jobs)" 0
	run -0 spool-print --wait --queues 4 --laminates laminates.txt approved.xml
	wait
	assert_equal "$(new_jobs)" 10
}

@test "each crash point, then a re-run: every job exactly once, no leftovers" {
	local parked
	parked=$(grep '^<record ' approved.xml | grep -n 'status="\(held\|rejected\)"' |
		sed 's/^\([0-9]*\):.*status="\([a-z]*\)".*/\1 \2/' | awk '{ printf "%08d %s\n", $1, $2 }' | sort -k2,2 -k1,1)
	for point in tmp-written parked-written planned delivered-half delivered journalled; do
		fresh_spool
		run -137 env IMPASS_FAULT=$point spool-print --queues 4 --laminates laminates.txt approved.xml
		run -0 spooled
		diff <(ok_numbers) <(jobs_in) || { echo "after $point"; false; }
		assert_equal "$(find spool/print/*/tmp spool/held spool/rejected -name '.*' -o -path '*/tmp/*' -type f | wc -l)" 0
		assert_equal "$(parked_records spool/held spool/rejected | cut -d' ' -f2,4)" "$parked"
		run -0 spool-print --reconcile
		assert_line '  at the printers (spooled, not collected)   10'
		run -0 --separate-stderr spooled
		assert_regex "$stderr" 'nothing new was written'
	done
}

@test "kill -9 at random moments of spooling and collecting, then re-runs: each job exactly once" {
	RANDOM=8
	for i in $(seq 1 12); do
		fresh_spool
		rm -f printed-*.xml
		spool-print --queues 4 --laminates laminates.txt approved.xml 2> /dev/null &
		sleep "0.$((RANDOM % 30))"
		kill -9 $! 2> /dev/null || true
		wait || true
		run spooled
		assert_success          # (prints the re-run's messages if it fails)
		diff <(ok_numbers) <(jobs_in) || { echo "iteration $i, spooling"; false; }
		"$TESTS"/fake-printer --seed "$i" --fail 20 spool > /dev/null
		spool-print --collect > printed-1.xml 2> /dev/null &
		sleep "0.$((RANDOM % 30))"
		kill -9 $! 2> /dev/null || true
		wait || true
		run -0 --separate-stderr spool-print --collect
		echo "$output" > printed-2.xml
		if [ $((i % 4)) = 0 ]; then
			run -0 --separate-stderr spool-print --collect
			assert_equal "$output" ''
		fi
		# every job collected once: archived once, and the laminate account balanced
		diff <(ok_numbers) <(find spool/archive -name '*.jobs' | xargs -r "$TESTS"/print-jobs | cut -d' ' -f3 | sort)
		assert_equal "$(job_files)" 0
		run -0 spool-print --reconcile
		assert_line '  at the printers (spooled, not collected)   0'
		used=$(sed -n 's/^  used (printed) *//p' <<< "$output")
		# the printed jobs are in a sealed stream once (a collection cut off
		# before its seal was written again whole under the same batch id)
		sealed=$(grep -l '^<seal ' printed-1.xml printed-2.xml || true)
		[ -n "$sealed" ]
		assert_equal "$(cat $sealed | grep '^<record ' | grep -o 'job="[A-Z0-9]*"' | sort -u | wc -l)" "$used"
	done
}

@test "--collect: printed stream of the acknowledged jobs, spoiled ones recorded, files archived, a second collect finds nothing" {
	run -0 spooled
	run -0 "$TESTS"/fake-printer --seed 3 --fail 30 spool
	done_n=$(grep -c ' done$' <<< "$output")
	failed_n=$(grep -c ' failed$' <<< "$output")
	# one acknowledgement a job, in its queue's log
	assert_equal "$(cat spool/print/*/log | wc -l)" 10
	assert_equal "$(cat spool/print/*/log | grep -c ' failed [0-9T:Z-]* spoiled: ')" "$failed_n"
	run -0 --separate-stderr spool-print --collect
	echo "$output" > printed.xml
	assert_regex "$stderr" "spool-print: PRINTED-[0-9]{8}-0001: 10 collected: $done_n printed, $failed_n spoiled"
	run -0 --separate-stderr inspect printed.xml
	assert_line --regexp '^kind +printed$'
	assert_line --regexp "^seal +good: spool-print by $STAGE_FPR"
	assert_equal "$(grep -c '^<record .*<print queue="p0[1-4]" job="[A-Z0-9]*" laminate="SL[0-9]*" printed="[0-9T:Z-]*"/><trail>.*code="PRINT_DONE"' printed.xml)" "$done_n"
	assert_equal "$(job_files)" 0
	assert_equal "$(find spool/archive -name '*.jobs' | wc -l)" 6
	# the spoil reasons are journalled: --reprint writes them
	run -0 spool-print --reprint re.xml
	assert_equal "$(grep -c 'code="PRINT_SPOILED">booklet [A-Z0-9]* spoiled on p0[1-4] (spoiled: ' re.xml)" "$failed_n"
	run -0 --separate-stderr spool-print --collect
	assert_equal "$output" ''
	assert_equal "$stderr" 'spool-print: nothing new to collect'
	run -0 spool-print --reconcile
	assert_line "  used (printed)                             $done_n"
	assert_line "  spoiled                                    $failed_n"
	assert_line --regexp '^balance: issued 30 = '
}

@test "a station jammed mid-file: the jobs it acknowledged are collected, its file stays in cur/; restarted, it goes on from the first job not acknowledged; each job printed and collected once" {
	run -0 spool-print --queues 1 --laminates laminates.txt approved.xml
	run -0 "$TESTS"/fake-printer --max 5 --stop-in-cur spool
	assert_equal "${#lines[@]}" 4
	assert_equal "$(ls spool/print/p01/cur)" 2-B-SPOOL-01.jobs
	run -0 --separate-stderr spool-print --collect
	assert_regex "$stderr" '^spool-print: PRINTED-[0-9]{8}-0001: 4 collected: 4 printed, 0 spoiled'
	assert_equal "$(ls spool/print/p01/cur)" 2-B-SPOOL-01.jobs
	run -0 spool-print --reconcile
	assert_line '  at the printers (spooled, not collected)   6'
	run -0 "$TESTS"/fake-printer spool
	# the fast track and urgent files were printed whole; the jammed one goes
	# on from the job it jammed on (its third)
	assert_equal "$(cut -d' ' -f2,3 <<< "$output" | tr '\n' ' ')" "$(for i in 3 4 5 6 7 8; do printf '2-B-SPOOL-01.jobs %s ' $i; done)"
	run -0 --separate-stderr spool-print --collect
	assert_regex "$stderr" '^spool-print: PRINTED-[0-9]{8}-0002: 6 collected: 6 printed, 0 spoiled'
	assert_equal "$(cut -d' ' -f3 spool/print/p01/log | sort)" "$(ok_numbers)"
	assert_equal "$(ls spool/archive/p01)" "$(printf '0-B-SPOOL-01.jobs\n1-B-SPOOL-01.jobs\n2-B-SPOOL-01.jobs')"
	run -0 spool-print --reconcile
	assert_line '  used (printed)                             10'
	assert_line '  at the printers (spooled, not collected)   0'
}

@test "a file unknown to the journal in a queue is an incident: moved to SPOOL/incident, nothing collected (65); the next --collect goes on" {
	run -0 spooled
	run -0 "$TESTS"/fake-printer --max 4 spool
	cp "$TESTS/fixtures/printjob.xml" spool/print/p01/done/2-ZZ9999999.xml
	cp spool/print/p02/new/2-B-SPOOL-01.jobs spool/print/p02/cur/2-B-SPOOL-99.jobs
	run -65 --separate-stderr spool-print --collect
	assert_equal "$output" ''
	assert_equal "${stderr_lines[0]}" "spool-print: incident: print/p01/done/2-ZZ9999999.xml is not a job file of the journal (not a job file name): moved to $PWD/spool/incident/INC-00000001 for examination"
	assert_equal "${stderr_lines[1]}" "spool-print: incident: print/p02/cur/2-B-SPOOL-99.jobs is not a job file of the journal (no job file of that name was written to this queue): moved to $PWD/spool/incident/INC-00000002 for examination"
	assert_equal "${stderr_lines[2]}" "spool-print: 2 incidents in the queues (files or log lines that are not what spool-print wrote or can count): moved or copied to $PWD/spool/incident (see above and spool-print(1), INCIDENTS); nothing was collected: have them examined, then run --collect again"
	[ ! -e spool/print/p01/done/2-ZZ9999999.xml ] && [ ! -e spool/print/p02/cur/2-B-SPOOL-99.jobs ]
	cmp "$TESTS/fixtures/printjob.xml" spool/incident/INC-00000001
	cmp spool/print/p02/new/2-B-SPOOL-01.jobs spool/incident/INC-00000002
	run -0 --separate-stderr spool-print --collect
	assert_regex "$stderr" '^spool-print: PRINTED-[0-9]{8}-0001: 4 collected: 4 printed, 0 spoiled'
	run -0 --separate-stderr spool-print --collect
	assert_equal "$stderr" 'spool-print: nothing new to collect'
}

@test "--reconcile names a laminate whose job vanished, and one missing from the shelf (65)" {
	run -0 spooled
	run -0 spool-print --reconcile
	assert_line 'balance: issued 30 = used 0 + spoiled 0 + at the printers 10 + in stock 20'
	gone=spool/print/p02/new/2-B-SPOOL-01.jobs
	lams=$(grep -o 'laminate="SL[0-9]*"' "$gone" | cut -d'"' -f2)
	n=$(wc -l <<< "$lams")
	[ "$n" -ge 2 ]
	rm "$gone"
	run -65 --separate-stderr spool-print --reconcile
	for lam in $lams; do
		assert_line --regexp "^unaccounted: $lam: assigned to passport [A-Z0-9]{9} \(batch B-SPOOL-01, queue p02\), but its job file 2-B-SPOOL-01.jobs is in no folder of the queue as written and the job was never collected\$"
	done
	assert_line "does not balance: $n laminates unaccounted for"
	# the shelf: the 20 in stock counted, less one that vanished
	sed -n '12,30p' laminates.txt > shelf.txt
	run -65 spool-print --reconcile --laminates shelf.txt
	assert_line 'unaccounted: SL00000011: in stock by the account, but not on the shelf (shelf.txt)'
	assert_line "does not balance: $((n + 1)) laminates unaccounted for"
}

@test "each job's record line is journalled once, in spool_job_record; a job journalled before that table (its record in spool_job) is collected and reprinted the same" {
	run -0 spooled
	run -0 "$TESTS"/fake-printer --seed 3 --fail 30 spool
	# the record lines of the approved stream's ok records (numbered in
	# stream order), byte for byte, and none left in the job rows
	assert_equal "$(sqlite3 spool/state.db "SELECT record FROM spool_job_record ORDER BY number")" \
		"$(grep '^<record [^>]* status="ok">' approved.xml)"
	assert_equal "$(sqlite3 spool/state.db "SELECT count(*) FROM spool_job WHERE record <> ''")" 0
	cp -a spool old-spool
	run -0 --separate-stderr spool-print --collect --reprint re.xml
	grep -v '^<seal \|^<batch ' <<< "$output" > printed.new
	grep -v '^<seal \|^<batch ' re.xml > re.new
	# the same journal as an earlier version wrote it: the records in the job rows
	sqlite3 old-spool/state.db "UPDATE spool_job SET record = (SELECT r.record FROM spool_job_record r WHERE r.number = spool_job.number); DELETE FROM spool_job_record;"
	assert_equal "$(sqlite3 old-spool/state.db "SELECT count(*) FROM spool_job WHERE record = ''")" 0
	rm -f re.xml
	IMPASS_SPOOL=$PWD/old-spool run -0 --separate-stderr spool-print --collect --reprint re.xml
	assert_equal "$(grep -v '^<seal \|^<batch ' <<< "$output")" "$(cat printed.new)"
	assert_equal "$(grep -v '^<seal \|^<batch ' re.xml)" "$(cat re.new)"
	[ "$(grep -c '^<record ' printed.new)" -gt 0 ]
	[ "$(grep -c '^<record ' re.new)" -gt 0 ]
}

@test "--reprint: the spoiled applications without their passport, ready for render-mrz | sign | spool-print" {
	run -0 spooled
	run -0 "$TESTS"/fake-printer --seed 3 --fail 30 spool
	spoiled=$(awk '$5 == "failed" { print $4 }' <<< "$output" | sort)
	[ -n "$spoiled" ]
	run -0 --separate-stderr spool-print --collect --reprint re.xml
	assert_regex "$stderr" "B-SPOOL-01-R1: $(wc -l <<< "$spoiled") spoiled applications of batch B-SPOOL-01 written to re.xml"
	run -0 inspect re.xml
	assert_line --regexp '^kind +application$'
	assert_equal "$(grep -c '<passport ' re.xml)" 0
	assert_equal "$(grep -c 'code="PRINT_SPOILED">booklet AA[0-9]* spoiled on p0[1-4] (spoiled: ' re.xml)" "$(wc -l <<< "$spoiled")"
	render-mrz --state spool/state.db re.xml 2> /dev/null > re-mrz.xml
	IMPASS_SIGNER=$APPROVER_FPR sign --require validate,render-mrz re-mrz.xml > re-ok.xml 2> /dev/null
	run -0 spool-print re-ok.xml
	fresh=$(ok_numbers re-ok.xml)
	assert_equal "$(comm -12 <(echo "$spoiled") <(echo "$fresh"))" ''
	assert_equal "$(new_jobs)" "$(wc -l <<< "$spoiled")"
	run -0 --separate-stderr spool-print --reprint again.xml
	assert_regex "$stderr" 'no spoiled job waits for a reprint'
	[ ! -e again.xml ]
}

@test "killed between writing the parked files and journalling them: no parked file delivered or journalled; the re-run writes each once" {
	run -137 env IMPASS_FAULT=parked-written spool-print --queues 4 --laminates laminates.txt approved.xml
	assert_equal "$(ls -A spool/held spool/rejected | grep -c '^\.B-SPOOL-01\.parked$')" 2
	assert_equal "$(find spool/held spool/rejected -name 'B-*' | wc -l)" 0
	assert_equal "$(sqlite3 spool/state.db "SELECT count(*) FROM spool_parked")" 0
	run -0 --separate-stderr spooled
	assert_regex "$stderr" 'removed 8 unfinished files of a run that crashed'
	assert_equal "$(ls -A spool/held spool/rejected | grep -v ':$' | grep -v '^$')" "B-SPOOL-01.parked
B-SPOOL-01.parked"
	assert_equal "$(parked_records spool/held spool/rejected | wc -l)" 2
	assert_equal "$(sqlite3 spool/state.db "SELECT count(*) FROM spool_parked")" 2
}

@test "a second run of a batch writes no parked file again: after a crash at delivered the files stay as they are; spooled whole, nothing new" {
	local was
	run -137 env IMPASS_FAULT=delivered spool-print --queues 4 --laminates laminates.txt approved.xml
	was=$(stat -c '%i %Y %s' spool/held/B-SPOOL-01.parked spool/rejected/B-SPOOL-01.parked)
	sleep 1
	# LeakSanitizer cannot run under ptrace
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
	run -0 --separate-stderr strace -qq -f -e trace=openat,rename,renameat,renameat2 -o trace spool-print --queues 4 --laminates laminates.txt approved.xml
	assert_equal "$(stat -c '%i %Y %s' spool/held/B-SPOOL-01.parked spool/rejected/B-SPOOL-01.parked)" "$was"
	# written again aside, found the same where the first run put it, removed
	run ! grep -E 'rename.*B-SPOOL-01\.parked' trace
	assert_equal "$(parked_records spool/held spool/rejected | wc -l)" 2
	run -0 --separate-stderr spooled
	assert_regex "$stderr" 'nothing new was written'
	assert_equal "$(stat -c '%i %Y %s' spool/held/B-SPOOL-01.parked spool/rejected/B-SPOOL-01.parked)" "$was"
}

@test "a file planted, edited, a link or a FIFO under a batch's parked file name: an incident (65), moved to incident/, the genuine file delivered; nothing written through the link" {
	local f
	mkdir -m 0700 spool/held spool/rejected
	echo planted > spool/held/B-SPOOL-01.parked
	ln -s "$PWD/victim" spool/rejected/B-SPOOL-01.parked
	echo keep > victim
	run -65 --separate-stderr timeout 60 spool-print --queues 4 --laminates laminates.txt approved.xml
	assert_regex "$stderr" "incident: held/B-SPOOL-01.parked is not the file of parked records spool-print wrote \(its sha256 is [0-9a-f]{16}\.\.\., the file written is [0-9a-f]{16}\.\.\.\): moved to $PWD/spool/incident/INC-[0-9]{8} for examination"
	assert_regex "$stderr" "incident: rejected/B-SPOOL-01.parked is not the file of parked records spool-print wrote \(not a regular file\)"
	assert_equal "$(cat victim)" keep
	assert_equal "$(grep -l planted spool/incident/INC-* | wc -l)" 1
	assert_equal "$(find spool/incident -type l | wc -l)" 1
	assert_equal "$(parked_records spool/held spool/rejected | wc -l)" 2
	assert_equal "$(find spool/held spool/rejected -type f | wc -l)" 2
	# an unfinished run's file edited (one record's code) before the re-run: an incident, the genuine one back
	fresh_spool
	run -137 env IMPASS_FAULT=delivered spool-print --queues 4 --laminates laminates.txt approved.xml
	f=spool/held/B-SPOOL-01.parked
	sed -i 's/^code: .*/code: NONE/' "$f"
	run -65 --separate-stderr spooled
	assert_regex "$stderr" "incident: held/B-SPOOL-01.parked is not the file of parked records spool-print wrote \(its sha256"
	assert_equal "$(sha256sum < "$f" | cut -c1-64)" "$(sqlite3 spool/state.db "SELECT sha256 FROM spool_parked WHERE kind = 'held'")"
	run ! grep -q 'code: NONE' "$f"
	grep -q 'code: NONE' spool/incident/INC-*
	# a FIFO: an incident too, read without waiting for a writer
	fresh_spool
	mkdir -m 0700 spool/held
	mkfifo -m 0600 spool/held/B-SPOOL-01.parked
	run -65 --separate-stderr timeout 60 spool-print --queues 4 --laminates laminates.txt approved.xml
	assert_regex "$stderr" "incident: held/B-SPOOL-01.parked is not the file of parked records spool-print wrote \(not a regular file\)"
	[ -f spool/held/B-SPOOL-01.parked ]
}

@test "an earlier version's record files: a run of it that did not finish is finished with the batch's files (the record files removed); a batch it spooled whole keeps them" {
	run -137 env IMPASS_FAULT=delivered spool-print --queues 4 --laminates laminates.txt approved.xml
	parked=$(parked_records spool/held spool/rejected)
	old_layout spool/held
	old_layout spool/rejected
	sqlite3 spool/state.db "DROP TABLE spool_parked"
	assert_equal "$(parked_records spool/held spool/rejected)" "$parked"
	assert_equal "$(ls spool/held spool/rejected | grep -c '^B-SPOOL-01\.[0-9]\{8\}$')" 2
	run -0 --separate-stderr spooled
	assert_regex "$stderr" 'removed 2 record files of an earlier version.s run that did not finish'
	assert_equal "$(ls -A spool/held spool/rejected | grep -v ':$' | grep -v '^$')" "B-SPOOL-01.parked
B-SPOOL-01.parked"
	assert_equal "$(parked_records spool/held spool/rejected)" "$parked"
	# spooled whole by the earlier version: its files stay, read as they are
	old_layout spool/held
	old_layout spool/rejected
	run -0 --separate-stderr spooled
	assert_regex "$stderr" 'nothing new was written'
	assert_equal "$(parked_records spool/held spool/rejected)" "$parked"
	assert_equal "$(ls spool/held spool/rejected | grep -c '^B-SPOOL-01\.[0-9]\{8\}$')" 2
}
