#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Exactly once between batches and around failures (README, Guarantees):
# one application, one passport number; a batch id names one set of
# records; numbers never used up silently; a lost, older or damaged state
# database is never taken for a new one; void numbers never printed; the
# courier run recovers from a crash at any point; manifest-courier knows its
# own bundles. Each test is one operator's command sequence, through the
# real programs, on a spool of its own whose state.db is the one ledger.

bats_require_minimum_version 1.5.0
load helpers

PIPES=$TESTS/../pipelines

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 6 > a.csv
	"$GEN" --seed 7 applications 4 > other.csv
	sed 's/$/\r/' a.csv > a-crlf.csv
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	export IMPASS_SPOOL=$BATS_TEST_TMPDIR/spool
	render-mrz --add-range A AB1000000-AB1999999 2> /dev/null
	seq -f 'SL%08g' 1 40 > lam.txt
	umask 022
}

# approved BATCH CSV OUT: the chain up to the approval, numbers from the spool's ledger
approved() {
	ingest -b "$1" "$2" 2> /dev/null | validate 2> /dev/null | render-mrz --issue-date 2026-12-07 2> "$3.mrz.err" |
		sign -s "$APPROVER_FPR" --require validate,render-mrz > "$3" 2> "$3.err"
}
numbers() { grep -o '<passport number="[A-Z0-9]*"' "$1" | cut -d'"' -f2; }
ok_ids() { grep '^<record [^>]*status="ok"' "$1" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/'; }
# every job in a job file of the queues and the archive, by number (impass-spool(5))
jobs_in() { find spool/print spool/archive -path '*/tmp' -prune -o -type f -name '*.jobs' -print 2> /dev/null | xargs -r "$TESTS"/print-jobs | cut -d' ' -f3 | sort; }
spool() { spool-print --queues 2 --laminates lam.txt "$@"; }
courier() { manifest-courier --offices "$PIPES/offices.csv" --couriers "$PIPES/couriers.csv" --date 2026-12-07 "$@"; }
# ledger_row BATCH: the batch's row of render-mrz --report, one space between fields
ledger_row() { render-mrz --report | awk -v b="$1" '$1 == b { $1 = $1; print }'; }

@test "1: the same export ingested twice, and a CRLF copy, under new batch ids: printed once; the second time each application is held naming its passport" {
	approved B-EO-01 "$KT/a.csv" one.xml
	run -0 spool one.xml
	first=$(numbers one.xml | sort)
	assert_equal "$(wc -l <<< "$first")" 6
	approved B-EO-02 "$KT/a.csv" two.xml
	approved B-EO-03 "$KT/a-crlf.csv" three.xml
	for f in two.xml three.xml; do
		assert_equal "$(numbers "$f")" ''
		assert_equal "$(grep -c 'code="MRZ_ALREADY_ISSUED">application [^ ]* has passport AB10000[0-9][0-9] already (batch B-EO-01, spooled)' "$f")" 6
		run -0 spool "$f"
	done
	# one job per application, whatever was run twice
	diff <(echo "$first") <(jobs_in)
	assert_equal "$(parked_records spool/held | wc -l)" 12
	assert_equal "$(ledger_row B-EO-01)" 'B-EO-01 6 0 0 6 0 0 0 0'
	assert_equal "$(ledger_row B-EO-02)" ''
}

@test "1: a person (CNIC) with a passport in production is held on another application (MRZ_IN_PRODUCTION)" {
	approved B-EO-01 "$KT/a.csv" one.xml
	# a new tracking id for the first applicant: another application, the same person
	sed '2s/^[^,]*,/NEW-APP-1,/' "$KT/a.csv" | head -n 2 > again.csv
	approved B-EO-02 again.csv two.xml
	cnic=$(sed -n 2p "$KT/a.csv" | cut -d, -f11)
	first=$(sed -n 2p "$KT/a.csv" | cut -d, -f1)
	assert_equal "$(numbers two.xml)" ''
	run grep -o 'code="MRZ_IN_PRODUCTION">[^<]*' two.xml
	assert_output "code=\"MRZ_IN_PRODUCTION\">the CNIC of this application has passport AB1000000 in production for application $first (batch B-EO-01, sealed): one person, one passport in production; an officer decides"
	[ -n "$cnic" ]
}

@test "2: a batch id reused for other records is refused (65) naming both roots; nothing is given or spooled" {
	approved B-EO-01 "$KT/a.csv" one.xml
	run -0 spool one.xml
	ingest -b B-EO-01 "$KT/other.csv" 2> /dev/null | validate > v2.xml 2> /dev/null
	run -65 --separate-stderr render-mrz v2.xml
	assert_output ''
	assert_regex "$stderr" '^render-mrz: B-EO-01: batch B-EO-01 is bound to other records: render-mrz saw it at [0-9TZ:-]+ with ingest root sha256:[0-9a-f]{64}; this stream.s ingest root is sha256:[0-9a-f]{64}\. A batch id names one set of records: ingest the new export under its own batch id \(ingest -b NEW-ID\)$'
	assert_equal "$(ledger_row B-EO-01)" 'B-EO-01 6 0 0 6 0 0 0 0'
	# the same records again: an idempotent re-run, as before
	run -0 --separate-stderr spool one.xml
	assert_regex "$stderr" 'spooled already'
	# other records under the id, numbered by another ledger: spool-print refuses too
	render-mrz --state o.db --add-range O AC1000000-AC1999999 2> /dev/null
	render-mrz --state o.db v2.xml 2> /dev/null | sign -s "$APPROVER_FPR" --state o.db --require validate,render-mrz > o.xml 2> /dev/null
	run -65 --separate-stderr spool o.xml
	assert_regex "$stderr" 'batch B-EO-01 is bound to other records: render-mrz saw it'
	assert_equal "$(jobs_in | wc -l)" 6
}

@test "3: a piped run that fails after render-mrz (69, too few laminates): --report names the sealed numbers waiting; the same sealed file spooled later prints them" {
	approved B-EO-01 "$KT/a.csv" one.xml
	seq -f 'SL%08g' 1 3 > few.txt
	run -69 --separate-stderr spool-print --queues 2 --laminates few.txt one.xml
	assert_regex "$stderr" '6 approved records need 6 laminates but 3 are in stock; nothing was spooled'
	run -0 render-mrz --report
	assert_line --regexp '^  batch B-EO-01: 6 numbers sealed but never spooled, AB1000000 to AB1000005, given [0-9TZ:-]+: spool its signed stream \(spool-print FILE\), or sign render-mrz.s output again and spool that; the numbers stay with the batch$'
	run -0 spool-print --queues 2 --laminates lam.txt one.xml
	diff <(numbers one.xml | sort) <(jobs_in)
	run -0 render-mrz --report
	refute_line --partial 'waiting for an operator'
}

@test "4: a lost or emptied state database is refused (65), never 'add a range': no number is given again" {
	approved B-EO-01 "$KT/a.csv" one.xml
	rm spool/state.db
	for cmd in "--add-range B AB1000000-AB1099999" "--report"; do
		run -65 --separate-stderr render-mrz $cmd
		assert_regex "$stderr" "^render-mrz: the state database $IMPASS_SPOOL/state.db is new or empty, but $IMPASS_SPOOL/.state.db.mark shows its ledger [0-9a-f]{32} gave 6 passport numbers, the last AB1000005 \(batch B-EO-01\): restore state.db from its backup \(README, Backup\); starting a new one would give those numbers again$"
	done
	: > spool/state.db
	run -65 render-mrz --report
	run -65 --separate-stderr spool one.xml
	assert_regex "$stderr" 'is new or empty'
	assert_equal "$(jobs_in | wc -l)" 0
}

@test "4: restored from an older backup the database is refused (65); the latest backup works; a damaged page is found when opened (65)" {
	approved B-EO-01 "$KT/a.csv" one.xml
	sqlite3 spool/state.db ".backup old.db"
	approved B-EO-02 "$KT/other.csv" two.xml
	sqlite3 spool/state.db ".backup new.db"
	cp old.db spool/state.db
	rm -f spool/state.db-wal spool/state.db-shm
	run -65 --separate-stderr render-mrz --report
	assert_regex "$stderr" "is older than its spool: it gave 6 passport numbers \(the last AB1000005\), but $IMPASS_SPOOL/.state.db.mark shows 10 \(the last AB1000009 of batch B-EO-02\): restore the latest backup"
	run -65 spool one.xml
	cp new.db spool/state.db
	run -0 spool one.xml
	# garbage in the page of the numbers' table
	page=$(sqlite3 spool/state.db "SELECT rootpage FROM sqlite_master WHERE name = 'series_number'")
	size=$(sqlite3 spool/state.db 'PRAGMA page_size')
	sqlite3 spool/state.db 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
	head -c "$size" /dev/urandom | dd of=spool/state.db bs="$size" seek=$((page - 1)) conv=notrunc 2> /dev/null
	run -65 --separate-stderr render-mrz --report
	assert_regex "$stderr" "state database $IMPASS_SPOOL/state.db.*(damaged|malformed).*restore"
}

@test "5: a crash as render-mrz marks its numbers sealed, then --void: sign and spool-print refuse the stream carrying the void numbers (65)" {
	ingest -b B-EO-01 "$KT/a.csv" 2> /dev/null | validate > v.xml 2> /dev/null
	run -137 --separate-stderr env IMPASS_FAULT=sealed render-mrz v.xml
	printf '%s\n' "$output" > m.xml
	run -0 inspect m.xml
	run -0 render-mrz --report
	assert_line --regexp '^  batch B-EO-01: 6 numbers given but never sealed'
	run -0 render-mrz --void B-EO-01
	run -65 --separate-stderr sign -s "$APPROVER_FPR" --require validate,render-mrz m.xml
	assert_output ''
	assert_regex "$stderr" '^sign: B-EO-01: the stream carries 6 passport numbers that the ledger \(.*state.db\) did not give to that record of this batch, or that are void; nothing was approved'
	assert_regex "$stderr" 'AB1000000 \(record [A-Z0-9-]*\): void \(voided by an operator'
	# approved with a ledger sign cannot see, spool-print still refuses
	IMPASS_SPOOL=$BATS_TEST_TMPDIR/nowhere sign -s "$APPROVER_FPR" --require validate,render-mrz m.xml > s.xml 2> /dev/null
	run -65 --separate-stderr spool s.xml
	assert_regex "$stderr" 'the stream carries 6 passport numbers .* nothing was spooled'
	assert_equal "$(jobs_in | wc -l)" 0
	# the batch again from its validated stream: fresh numbers, printed once
	approved B-EO-01 "$KT/a.csv" again.xml
	run -0 spool again.xml
	assert_equal "$(numbers again.xml | sort | tr '\n' ' ')" 'AB1000006 AB1000007 AB1000008 AB1000009 AB1000010 AB1000011 '
}

@test "6: --collect killed after writing its stream (emitted): the next collect writes the same collection again, the jobs finished since go to the next; every printed passport in exactly one manifest line" {
	approved B-EO-01 "$KT/a.csv" one.xml
	run -0 spool one.xml
	"$TESTS"/fake-printer --max 3 spool > /dev/null
	run -137 --separate-stderr env IMPASS_FAULT=emitted spool-print --collect
	printf '%s\n' "$output" > c1.xml
	"$TESTS"/fake-printer spool > /dev/null
	run -0 --separate-stderr spool-print --collect
	printf '%s\n' "$output" > c2.xml
	assert_regex "$stderr" 'it is written again as it was; jobs finished since are collected by the next run'
	assert_equal "$(grep '^<record ' c2.xml)" "$(grep '^<record ' c1.xml)"
	run -0 courier -o out c1.xml
	run -0 --separate-stderr courier -o out c2.xml
	assert_regex "$stderr" 'manifested before'
	run -0 --separate-stderr spool-print --collect
	printf '%s\n' "$output" > c3.xml
	assert_equal "$(grep -c '^<record ' c3.xml)" 3
	run -0 courier -o out c3.xml
	rm -rf x && mkdir x && for f in out/*.tar.gz; do bsdtar -xpf "$f" -C x; done
	assert_equal "$(tail -q -n +2 x/*/manifest.csv | cut -d, -f2 | sort)" "$(numbers one.xml | sort)"
	assert_equal "$(ledger_row B-EO-01)" 'B-EO-01 6 0 0 0 0 6 0 0'
}

@test "7: manifest-courier refuses (73) a bundle name it did not write, and overwrites nothing" {
	approved B-EO-01 "$KT/a.csv" one.xml
	run -0 spool one.xml
	"$TESTS"/fake-printer spool > /dev/null
	spool-print --collect > c1.xml 2> /dev/null
	mkdir -m 0700 out
	echo 'not ours' > out/C-20261207-0001.tar.gz
	run -73 --separate-stderr courier -o out c1.xml
	# the records it had written are not sealed: no stage takes them
	refute_line --regexp '^<seal '
	assert_regex "$stderr" "out/C-20261207-0001.tar.gz is in the way of consignment C-20261207-0001 of batch PRINTED-[0-9]+-0001: manifest-courier did not write it \(no bundle of that name was journalled\); nothing was overwritten"
	assert_equal "$(cat out/C-20261207-0001.tar.gz)" 'not ours'
	# moved aside, the run writes its own; a re-run knows it by its hash
	mv out/C-20261207-0001.tar.gz aside.tar.gz
	run -0 courier -o out c1.xml
	run -0 --separate-stderr courier -o out c1.xml
	assert_regex "$stderr" 'manifested before'
}

@test "manifest-courier killed between a bundle and its summary: no summary is ever out without its bundle; the re-run writes it" {
	approved B-EO-01 "$KT/a.csv" one.xml
	run -0 spool one.xml
	"$TESTS"/fake-printer spool > /dev/null
	spool-print --collect > c1.xml 2> /dev/null
	run -137 env IMPASS_FAULT=bundle-written manifest-courier -o out --offices "$PIPES/offices.csv" --couriers "$PIPES/couriers.csv" --date 2026-12-07 c1.xml
	assert_equal "$(ls out | grep -c 'tar.gz$') $(ls out | grep -c 'txt$')" '1 0'
	run -0 courier -o out c1.xml
	for f in out/*.txt; do [ -e "${f%.txt}.tar.gz" ] || fail "$f without its bundle"; done
	assert_equal "$(ls out | grep -c 'txt$')" "$(ls out | grep -c 'tar.gz$')"
}

@test "kill -9 at every fault point of render-mrz, spool-print (spool, collect, reprint) and manifest-courier, then a re-run: the same final state as a run without a crash" {
	final() {
		jobs_in
		render-mrz --report | sed -n '/^batch /,$p'
		ls out 2> /dev/null | grep -c 'tar.gz$'
		find spool/print -path '*/tmp/*' -type f | wc -l
		# every held or rejected record parked once, no file left aside
		parked_records spool/held spool/rejected
		find spool/held spool/rejected -name '.*' | wc -l
	}
	# Every run starts from the same ledger (base.db) and the same
	# validated stream (v.xml, made once). A crash in collect, the courier
	# or reprint starts from the spool as the run without a crash left it
	# after the printers (printed.spool, copied whole: the steps before are
	# the same commands on the same input, the crash-free run's).
	run_all() {                  # POINT PROGRAM-MODE
		local p=$1 m=$2
		rm -rf spool out c*.xml re.xml
		case $m in
		collect | courier | reprint)
			cp -a "$BATS_TEST_TMPDIR/printed.spool" spool ;;
		*)
			mkdir -m 0700 spool
			cp "$BATS_TEST_TMPDIR/base.db" spool/state.db
			cp "$BATS_TEST_TMPDIR/base.mark" spool/.state.db.mark
			[ "$m" != mrz ] || IMPASS_FAULT=$p render-mrz --issue-date 2026-12-07 v.xml > /dev/null 2>&1 || true
			render-mrz --issue-date 2026-12-07 v.xml 2> /dev/null | sign -s "$APPROVER_FPR" --require validate,render-mrz > s.xml 2> /dev/null
			[ "$m" != spool ] || IMPASS_FAULT=$p spool s.xml > /dev/null 2>&1 || true
			spool s.xml 2> /dev/null
			"$TESTS"/fake-printer --seed 2 --fail 40 spool > /dev/null
			[ "$m" != none ] || cp -a spool "$BATS_TEST_TMPDIR/printed.spool" ;;
		esac
		[ "$m" != collect ] || IMPASS_FAULT=$p spool-print --collect > c0.xml 2> /dev/null || true
		if [ "$m" = collect ] && [ "$(grep -c '^<seal ' c0.xml)" = 1 ]; then
			courier -o out c0.xml > /dev/null 2>&1
		fi
		spool-print --collect > c1.xml 2> /dev/null
		[ "$m" != courier ] || IMPASS_FAULT=$p courier -o out c1.xml > /dev/null 2>&1 || true
		courier -o out c1.xml > /dev/null 2>&1 || [ "$(grep -c '^<record ' c1.xml)" = 0 ]
		[ "$m" != reprint ] || IMPASS_FAULT=$p spool-print --reprint re.xml 2> /dev/null || true
		spool-print --reprint re.xml 2> /dev/null
	}
	render-mrz --state "$BATS_TEST_TMPDIR/base.db" --add-range A AB1000000-AB1999999 2> /dev/null
	cp "$BATS_TEST_TMPDIR/.base.db.mark" "$BATS_TEST_TMPDIR/base.mark"
	ingest -b B-EO-01 "$KT/a.csv" 2> /dev/null | validate > v.xml 2> /dev/null
	run_all none none
	ref=$(final)
	[ "$(grep -c '^<record ' re.xml)" -gt 0 ] || fail "no spoiled job to reprint"
	for pm in before-give:mrz series-give:mrz given:mrz write:mrz sealed:mrz \
		tmp-written:spool parked-written:spool planned:spool delivered-half:spool delivered:spool journalled:spool \
		collected:collect emitted:collect sealed:collect archived-some:collect \
		numbered:courier half:courier bundles:courier sealed:courier reprint-written:reprint; do
		run_all "${pm%%:*}" "${pm##*:}"
		now=$(final)
		[ "$now" = "$ref" ] || fail "after a crash at $pm: $(diff <(echo "$ref") <(echo "$now"))"
	done
}
