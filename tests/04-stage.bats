#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The stage loop, through tests/passthru: what is examined, what flows
# through untouched, what is counted, and what happens on failure.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	# five rows: two rejected by ingest (field count, empty tracking id)
	"$GEN" applications 3 > mixed.csv
	sed -n 2p mixed.csv | sed 's/,[^,]*$//' >> mixed.csv
	sed -n 3p mixed.csv | sed 's/^[^,]*,/,/' >> mixed.csv
	ingest -b B-MIXED mixed.csv > mixed.xml 2> /dev/null
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/mixed.xml .
}

@test "only ok records are examined; the others pass through byte for byte" {
	run -0 --separate-stderr passthru --annotate mixed.xml
	echo "$output" > out.xml
	assert_equal "$stderr" "passthru: B-MIXED: 5 in, 3 ok, 2 rejected, 0 held, $(sed -n 's/.*held, //p' <<< "$stderr")"
	diff <(grep 'status="rejected"' mixed.xml) <(grep 'status="rejected"' out.xml)
	assert_equal "$(grep -c 'code="PASSTHRU_OK">seen </step></trail></record>$' out.xml)" 3
	assert_equal "$(grep -c 'PASSTHRU_OK' out.xml)" 3
	run -0 passthru out.xml
}

@test "a record held by a stage changes status, gains one step and is counted" {
	id=$(sed -n 3p mixed.xml | sed 's/.* id="\([^"]*\)".*/\1/')
	run -0 --separate-stderr passthru --hold "$id" mixed.xml
	echo "$output" > out.xml
	[[ $stderr == "passthru: B-MIXED: 5 in, 2 ok, 2 rejected, 1 held, "* ]]
	want=$(sed -n 3p mixed.xml | sed 's/status="ok"/status="held"/; s|</trail></record>$|<step stage="passthru" result="held" code="PASSTHRU_HOLD">held on request</step></trail></record>|')
	assert_equal "$(sed -n 4p out.xml)" "$want"
	# held records are not examined again downstream
	run -0 --separate-stderr passthru --annotate out.xml
	[[ $stderr == "passthru: B-MIXED: 5 in, 2 ok, 2 rejected, 1 held, "* ]]
	assert_equal "$(grep 'status="held"' <<< "$output")" "$want"
}

@test "--counts FILE: the run's counts, then its sealed stream's as inspect --counts prints them (a record held by this stage by its new code); a failed run only the first" {
	id=$(sed -n 3p mixed.xml | sed 's/.* id="\([^"]*\)".*/\1/')
	run -0 --separate-stderr passthru --hold "$id" --counts c.txt mixed.xml
	echo "$output" > out.xml
	run -0 cat c.txt
	assert_equal "$(sed -n '1,6p;10p' c.txt)" "program=passthru
batch=B-MIXED
in=5
ok=2
held=1
rejected=2
status=0"
	assert_equal "$(sed -n 's/^stream\.//p' c.txt)" "$(inspect --counts out.xml 2> /dev/null)"
	assert_equal "$(sed -n '/^stream\.\(held\|rejected\)\./p' c.txt)" "stream.held.PASSTHRU_HOLD=1
stream.rejected.INGEST_FIELD_COUNT=1
stream.rejected.INGEST_NO_ID=1"
	stat -c %a c.txt | grep -qx 600
	# the stream was not sealed: no stream's counts
	run -66 passthru --counts c2.txt out.xml.missing
	run -0 grep -x 'status=66' c2.txt
	run -1 grep -c '^stream\.' c2.txt
	assert_output 0
}

@test "a stage reads the fields of a record it examines" {
	cnic=$(sed -n 3p mixed.xml | sed 's/.*<cnic>\([^<]*\)<.*/\1/')
	run -0 passthru --field cnic mixed.xml
	assert_line --partial "code=\"PASSTHRU_OK\">seen $cnic</step></trail></record>"
}

@test "a malformed record inside a validly sealed stream stops the stage unsealed" {
	sed '3s|</surname>|</surnam>|' mixed.xml > bad0.xml
	reseal bad0.xml "$STAGE_FPR" > bad.xml
	run -0 passthru bad.xml
	run -65 --separate-stderr passthru --field cnic bad.xml
	[[ $stderr == *"is not well-formed XML"* ]]
	refute_line --partial '<seal '
}

@test "three stages chained record the provenance oldest first" {
	passthru --annotate mixed.xml 2> /dev/null | passthru 2> /dev/null | passthru --stage relay > out.xml 2> /dev/null
	prov=$(sed -n 3p out.xml)
	assert_equal "$(grep -o '<sealed stage="[a-z-]*"' <<< "$prov" | cut -d'"' -f2 | tr '\n' ' ')" "ingest passthru passthru "
	assert_equal "$(grep '^<seal ' out.xml | sed 's/.*stage="\([^"]*\)".*/\1/')" relay
	run -0 inspect out.xml
	assert_line --index 5 --partial "provenance  ingest by $STAGE_FPR (Night stage key), 5 records,"
}

@test "input from a pipe is spooled to a temporary file that does not outlive the run" {
	mkdir -m 700 tmp
	run -0 --separate-stderr env TMPDIR="$PWD/tmp" sh -c 'cat mixed.xml | passthru'
	assert_equal "$(grep -c '^<record ' <<< "$output")" 5
	assert_equal "$(ls -A tmp)" ""
}

@test "a pipe with nowhere to spool it is refused with 73" {
	run -73 --separate-stderr env TMPDIR=/nonexistent sh -c 'cat mixed.xml | passthru'
	assert_output ''
	assert_equal "$stderr" "passthru: B-MIXED: cannot create a temporary file in TMPDIR /nonexistent for batch B-MIXED read from standard input: No such file or directory; set TMPDIR to a writable directory"
}

@test "a missing input file is 66, a full disk on output is 74" {
	run -66 --separate-stderr passthru nothere.xml
	[[ $stderr == "passthru: cannot open nothere.xml: No such file or directory" ]]
	run -74 --separate-stderr sh -c 'passthru mixed.xml > /dev/full'
	[[ $stderr == *"cannot write"* ]]
}

@test "a stage writes its stream in 64 KB writes, the rest of the records before the seal; a full disk then is the stream's error" {
	# LeakSanitizer cannot run under ptrace
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
	"$GEN" applications 400 > w.csv
	ingest -b B-WRITES w.csv > w.xml 2> /dev/null
	[ "$(stat -c %s w.xml)" -gt 262144 ]
	run -0 --separate-stderr sh -c 'strace -qq -e trace=write -o w.trace passthru w.xml > out.xml'
	grep '^write(1, ' w.trace | sed 's/.*) = //' > sizes
	# full 64 KB writes, then what was left of the records, then the seal
	[ "$(grep -c '^65536$' sizes)" -ge 4 ] || fail "$(tr '\n' ' ' < sizes)"
	assert_equal "$(grep -vc '^65536$' sizes)" 2
	assert_equal "$(tail -n 1 sizes)" "$(grep '^<seal ' out.xml | wc -c | awk '{ print $1 + 9 }')"
	cmp <(grep '^<record ' out.xml) <(grep '^<record ' w.xml)
	run -74 --separate-stderr sh -c 'passthru w.xml > /dev/full'
	assert_equal "$stderr" 'passthru: B-WRITES: cannot write the stream: No space left on device'
}

@test "an input that is not a stream at all is refused with 65" {
	printf 'tracking_id,office\n' > notastream.xml
	run -65 --separate-stderr passthru notastream.xml
	[[ $stderr == "passthru: notastream.xml line 1: not an impass stream"* ]]
	: > emptyfile
	run -65 --separate-stderr passthru emptyfile
	[[ $stderr == "passthru: emptyfile is empty: no stream" ]]
}

# RSS of CMD... in KiB (an ASan build keeps a quarantine; keep it small here)
rss() {
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4:malloc_context_size=2" \
		maxrss "$@" 3> rss.out > /dev/null 2>&1 || return 1
	cat rss.out
}

# ingest keeps every tracking id of the batch, to refuse one used twice
# (README "Performance": about 100 bytes a record); the stages that read a
# stream keep nothing per record.
@test "a 100 MB batch streams in constant memory; ingest grows only by the tracking ids it keeps" {
	"$GEN" applications 10000 > small.csv
	"$GEN" applications 105000 > big.csv
	ingest -b B-SMALL small.csv > small.xml 2> /dev/null
	ingest -b B-BIG big.csv > big.xml 2> /dev/null
	[ "$(stat -c %s big.xml)" -gt 100000000 ]
	for prog in "ingest -b B-M" passthru inspect; do
		case $prog in ingest*) a=small.csv b=big.csv ;; *) a=small.xml b=big.xml ;; esac
		small=$(rss $prog $a)
		big=$(rss $prog $b)
		echo "# $prog: $small KiB for 10,000 records, $big KiB for 105,000" >&3
		case $prog in
		ingest*)   # 95,000 more ids at under 128 bytes each (an ASan build's red zones included)
			[ "$big" -lt $((small + 95000 * 128 / 1024)) ] || fail "$prog grew from $small to $big KiB" ;;
		*)
			[ "$big" -lt $((small + 8192)) ] || fail "$prog grew from $small to $big KiB" ;;
		esac
	done
}

# tty_lines: $output of script(1) as the lines a terminal shows, one per \r or \n
tty_lines() { tr '\r' '\n' <<< "$output" | sed 's/\x1b\[K//g' | grep -v '^$'; }

@test "progress on a terminal: the batch id from the start, n of the total and a percentage; only the last stage of a pipeline draws" {
	"$GEN" applications 3000 > big.csv
	ingest -b B-PROG big.csv > big.xml 2> /dev/null
	run -0 script -qec "passthru big.xml > p.xml" /dev/null
	run -0 tty_lines
	assert_line --index 0 "passthru: B-PROG: verifying 0 records"
	assert_line --index 1 --regexp '^passthru: B-PROG: processed 1024 of 3000 records \(34%\)(, about [0-9]+ s left)?$'
	assert_line --regexp '^passthru: B-PROG: 3000 in, 3000 ok, 0 rejected, 0 held, [0-9.]+ s$'
	refute_line --partial "records (100%)"
	# a pipeline on one terminal: ingest's stdout is a pipe, so it draws
	# nothing; its summary line is whole, on a line of its own
	run -0 script -qec "ingest -b B-PIPE big.csv | passthru > p2.xml" /dev/null
	run -0 tty_lines
	refute_line --partial "ingest: B-PIPE: read"
	assert_line --regexp '^ingest: B-PIPE: 3000 in, 3000 ok, 0 rejected, 0 held, [0-9.]+ s$'
	assert_line --regexp '^passthru: B-PIPE: 3000 in, 3000 ok, 0 rejected, 0 held, [0-9.]+ s$'
	assert_line --regexp '^passthru: B-PIPE: processed 1024 of 3000 records \(34%\)'
	# and with stderr no terminal, the summary alone
	run -0 --separate-stderr passthru big.xml
	assert_equal "$stderr" "passthru: B-PROG: 3000 in, 3000 ok, 0 rejected, 0 held, $(sed -n 's/.*held, //p' <<< "$stderr")"
}
