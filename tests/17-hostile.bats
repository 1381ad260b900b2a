#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Hostile input (issue 11): XML external entities, billion laughs, a
# DOCTYPE in a record line, a 2 GB line, invalid UTF-8, NUL bytes, a CSV of
# 100,000 columns, a 10 MB field. Each is refused with sysexits 65 and a
# message naming the program, the batch or file, the line or record and
# what to do; nothing is written; the peak RSS (tests/maxrss) stays under
# RSS_MAX. Hostile records inside a stream are resealed with a good stage
# key (a stage that wrote junk, or a stolen key): the seal verifies, the
# record parser must still refuse them.
#
# Permissions: with umask 000, every file the programs create that holds
# personal data (spool jobs, held and rejected records, state databases,
# bundles, proofs) is 0600 and every folder 0700.
#
# The sanitizer build (tests/run passes build/asan/bin as IMP_BIN) gets a
# larger RSS bound (ASan's shadow memory); the sizes are the same: every
# program refuses at its 1 MiB line limit, so the 2 GB line costs < 1 s.

bats_require_minimum_version 1.5.0
load helpers

case ${IMP_BIN:-} in */asan/*) SAN=1 ;; *) SAN=0 ;; esac
if [ "$SAN" = 1 ]; then RSS_MAX=$((256 * 1024)); else RSS_MAX=$((64 * 1024)); fi
PIPES=$TESTS/../pipelines
R='<record xmlns="urn:impass:batch:1"'
DAMAGED='the stream is damaged or cut short: run the stage that wrote it again'

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 3 > apps.csv
	ingest -b B-H apps.csv > base.xml 2> /dev/null
	validate base.xml > valid.xml 2> /dev/null
	"$GEN" nadra 3 > nadra.csv
	"$GEN" pcl 3 > pcl.csv
	"$GEN" history 3 > history.csv
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	export LC_ALL=C
	# an ASan build: a small quarantine, short malloc stacks (RSS stays near the real one)
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4:malloc_context_size=2"
	cp "$KT"/base.xml "$KT"/valid.xml "$KT"/apps.csv "$KT"/nadra.csv "$KT"/pcl.csv "$KT"/history.csv .
	ID1=$(grep -m1 '^<record ' base.xml | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/')
}

# the helpers' seal, byte for byte: grep must not say "binary file matches"
# and a NUL must reach sha256sum (a shell variable cannot hold one)
grep() { command grep -a "$@"; }
ind_root() {
	local n i leaves=()
	n=$(grep -c '^<record ' "$1" || true)
	for ((i = 1; i <= n; i++)); do
		leaves+=("$({ printf '\0'; grep '^<record ' "$1" | sed -n "${i}p" | head -c -1; } |
			sha256sum | cut -c1-64)")
	done
	ind_mth "${leaves[@]}"
}

# hostile IN OUT LINE PERL: IN with perl's PERL applied to line LINE, resealed
# by the stage key as the stage that sealed IN
hostile() {
	perl -pe "if (\$. == $3) { $4 }" "$1" > "$2.tmp"
	reseal "$2.tmp" "$STAGE_FPR" > "$2"
	rm -f "$2.tmp"
}

# every program that reads a stream, as it would run here
readers() {
	printf '%s\n' "inspect" "inspect --csv" "inspect --record $ID1" "inspect --prove $ID1" \
		"validate" "verify-nadra --nadra nadra.csv" "screen-pcl --list pcl.csv" "dedup" \
		"render-mrz" "env IMPASS_SIGNER=$APPROVER_FPR sign" "spool-print -d spool" \
		"manifest-courier -o out --offices $PIPES/offices.csv --couriers $PIPES/couriers.csv" \
		"dedup --record"
}
# dedup --record leaves the batch out of its stream errors (a test below)
batch_readers() { readers | grep -v '^dedup --record$'; }
# three of them, where all share one reader (lib/stream.c) already tested
some_readers() { printf '%s\n' "inspect --csv" "validate" "verify-nadra --nadra nadra.csv"; }
# and those with side effects
effect_readers() { some_readers; printf '%s\n' "env IMPASS_SIGNER=$APPROVER_FPR sign" "spool-print -d spool"; }

# refused CODE MESSAGE CMD...: CMD exits CODE, writes nothing on stdout and
# exactly MESSAGE on stderr, with a peak RSS under RSS_MAX
refused() {
	local code=$1 msg=$2
	shift 2
	run "-$code" --separate-stderr maxrss "$@" 3> rss.out
	assert_output ''
	assert_equal "$stderr" "$msg"
	bounded "$*"
}

# bounded WHAT: the RSS in rss.out is under RSS_MAX; the figure goes to the TAP log
bounded() {
	local rss
	rss=$(cat rss.out)
	[ -n "$rss" ] || fail "$1: no RSS measured"
	[ "$rss" -lt "$RSS_MAX" ] || fail "$1: peak RSS $rss KiB, over $RSS_MAX KiB"
	if [ -n "${RSS_QUIET:-}" ]; then
		[ "$rss" -le "$RSS_PEAK" ] || RSS_PEAK=$rss
	else
		RSS_LOG+="$rss KiB: $1"$'\n'
	fi
}

# each_reader FILE MESSAGE [LIST]: every stream reader (or those of the
# function LIST) refuses FILE with 65 and "PROG: MESSAGE", nothing written
each_reader() {
	local cmd prog list=${3:-readers} n=0
	RSS_QUIET=1 RSS_PEAK=0
	while IFS= read -r cmd; do
		n=$((n + 1))
		prog=${cmd#env * }
		prog=${prog%% *}
		# shellcheck disable=SC2086
		refused 65 "$prog: $2" $cmd "$1"
	done < <($list)
	RSS_QUIET=
	RSS_LOG+="$RSS_PEAK KiB: the highest of $n runs on $1"$'\n'
}

# a record line of SIZE bytes of 'a' in a surname, between base.xml's lines 2
# and 4 (the 2 GB case goes through a pipe, never to disk)
big_stream() {
	sed -n 1,2p base.xml
	printf '%s id="X" status="ok"><application><surname>' "$R"
	head -c "$1" /dev/zero | tr '\0' a
	printf '</surname></application></record>\n'
	sed -n '4,$p' base.xml
}

# timed WHAT CODE MESSAGE SHELL: run SHELL (a pipe into maxrss PROG 3> rss.out)
# in bash; its exit CODE, exactly MESSAGE, nothing on stdout, RSS bounded;
# the time goes to the log
timed() {
	local t0 t1
	t0=$(date +%s%N)
	run "-$2" --separate-stderr bash -c "$4"
	t1=$(date +%s%N)
	assert_output ''
	assert_equal "$stderr" "$3"
	bounded "$1, $(( (t1 - t0) / 1000000 )) ms"
	[ $(( (t1 - t0) / 1000000 )) -lt 10000 ] || fail "$1 took $(( (t1 - t0) / 1000000 )) ms: the input was read past the limit"
}

teardown() {
	local line
	while IFS= read -r line; do [ -z "$line" ] || echo "# $line" >&3; done <<< "${RSS_LOG:-}"
}

# ---- XML: entities, DTDs ----------------------------------------------------------

@test "an external entity DOCTYPE before <batch>: every stream reader refuses at line 2" {
	sed '1a <!DOCTYPE batch [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' base.xml > xxe.xml
	each_reader xxe.xml "xxe.xml line 2: not a <batch xmlns=\"urn:impass:batch:1\" id=... kind=...> start tag; $DAMAGED"
}

@test "a DOCTYPE in a record line, sealed by a stage key: every stream reader refuses the line" {
	hostile base.xml dt.xml 3 's|^|<!DOCTYPE record [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>|'
	each_reader dt.xml "B-H: dt.xml line 3: expected a record or the <seal> line; $DAMAGED" effect_readers
}

@test "dedup --record names the batch in a stream error, as every other reader does" {
	hostile base.xml dt.xml 3 's|^|<!DOCTYPE record [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>|'
	refused 65 "dedup: B-H: dt.xml line 3: expected a record or the <seal> line; $DAMAGED" dedup --record dt.xml
}

@test "billion laughs (a 10^9-character entity) in a record line: refused at once, memory flat" {
	local lol='<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' prev=a e
	for e in b c d e f g h i; do
		lol+="<!ENTITY $e \"$(printf "&$prev;%.0s" 1 2 3 4 5 6 7 8 9 10)\">"
		prev=$e
	done
	lol+=']>'
	LOL=$lol hostile base.xml bl.xml 3 's|^|$ENV{LOL}|'
	grep -q '^<!DOCTYPE r \[<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;' bl.xml
	each_reader bl.xml "B-H: bl.xml line 3: expected a record or the <seal> line; $DAMAGED" some_readers
	# the DTD before <batch> instead
	{ sed -n 1p base.xml; echo "$lol"; sed -n '2,$p' base.xml; } > bl2.xml
	refused 65 "validate: bl2.xml line 2: not a <batch xmlns=\"urn:impass:batch:1\" id=... kind=...> start tag; $DAMAGED" validate bl2.xml
}

@test "entity references with no DTD (&xxe;, &lol9;) in a sealed record: not well-formed, nothing read from the file system" {
	hostile base.xml xxe.xml 3 's|<surname>[^<]*</surname>|<surname>&xxe;</surname>|'
	hostile base.xml lol.xml 3 's|<surname>[^<]*</surname>|<surname>&lol9;</surname>|'
	for f in xxe lol; do
		for cmd in "inspect --record $ID1" validate; do
			run -65 --separate-stderr maxrss $cmd $f.xml 3> rss.out
			bounded "$cmd $f.xml"
			[[ $stderr == "${cmd%% *}: B-H: record $ID1 is not well-formed XML (column "*": Entity '"${f/lol/lol9}"' not defined)" ]] ||
				fail "$cmd: $stderr"
			[[ $output != *"<record "* && $output != *"<seal "* && $output != *"root:"* ]] ||
				fail "$cmd wrote a record, a seal or /etc/passwd: $output"
		done
	done
	# a later stage on validate's output, resealed by the stage key
	hostile valid.xml vx.xml 4 's|<surname>[^<]*</surname>|<surname>&xxe;</surname>|'
	run -65 --separate-stderr verify-nadra --nadra nadra.csv vx.xml
	[[ $stderr == "verify-nadra: B-H: record $ID1 is not well-formed XML (column "*": Entity 'xxe' not defined)" ]] ||
		fail "$stderr"
	[[ $output != *"<record "* && $output != *"<seal "* ]] || fail "verify-nadra wrote: $output"
}

# ---- the 2 GB line, through a pipe --------------------------------------------------

@test "a 2 GB record line through a pipe: inspect, validate, verify-nadra refuse at 1 MiB, RSS < 64 MiB, < 10 s each" {
	export -f big_stream
	export R
	local cmd
	for cmd in inspect validate "verify-nadra --nadra nadra.csv"; do
		timed "2 GB record line | $cmd" 65 \
			"${cmd%% *}: B-H: standard input line 3 is longer than 1 MiB; $DAMAGED" \
			"big_stream 2G | maxrss $cmd 3> rss.out"
	done
}

@test "a 2 GB line in the batch start tag or with no newline at the end: refused at 1 MiB" {
	timed "2 GB <batch> line | validate" 65 \
		"validate: standard input line 2 is longer than 1 MiB; $DAMAGED" \
		"{ sed -n 1p base.xml; printf '<batch xmlns=\"urn:impass:batch:1\" id=\"'; head -c 2G /dev/zero | tr '\\0' B; echo '\">'; } | maxrss validate 3> rss.out"
	timed "2 GB unended line | inspect" 65 \
		"inspect: B-H: standard input line 3 is longer than 1 MiB; $DAMAGED" \
		"{ sed -n 1,2p base.xml; printf '$R id=\"X\" status=\"ok\">'; head -c 2G /dev/zero | tr '\\0' a; } | maxrss inspect 3> rss.out"
}

@test "a 2 GB CSV line through a pipe: ingest refuses at 1 MiB, RSS < 64 MiB" {
	timed "2 GB CSV line | ingest" 65 \
		"ingest: standard input line 2 is longer than 1 MiB; this is not a CSV export" \
		"{ head -n 1 apps.csv; printf 'T-1,'; head -c 2G /dev/zero | tr '\\0' a; echo; } | maxrss ingest -b B-T 3> rss.out"
}

@test "a CSV named by a path that is a pipe (/dev/stdin, <(...), a FIFO) is refused without reading it to the end" {
	run -65 --separate-stderr bash -c 'yes | timeout 10 ingest -b B-T /dev/stdin'
	assert_equal "$stderr" "ingest: /dev/stdin line 1: unknown column 'y' (column 1); an application export has only the columns in impass-csv(5): rename or remove it"
	mkfifo fifo
	{ yes > fifo & } 2>/dev/null
	run -65 --separate-stderr timeout 10 ingest -b B-T fifo
	assert_equal "$stderr" "ingest: fifo line 1: unknown column 'y' (column 1); an application export has only the columns in impass-csv(5): rename or remove it"
	local hdr="{ echo 'cnic,x'; head -c 2G /dev/zero | tr '\\0' a; echo; }"
	timed "2 GB piped NADRA extract" 65 \
		"verify-nadra: /dev/stdin line 1: unknown column 'x' (column 2); a NADRA extract has only the columns in impass-csv(5): rename or remove it" \
		"$hdr | maxrss verify-nadra --index /dev/stdin -o n.idx 3> rss.out"
	timed "2 GB piped control list" 65 \
		"screen-pcl: /dev/stdin line 1: unknown column 'x' (column 2); a control list has only the columns in impass-csv(5): rename or remove it" \
		"$hdr | maxrss screen-pcl --list /dev/stdin /dev/null 3> rss.out"
	timed "2 GB piped history" 65 \
		"dedup: /dev/stdin line 1: unknown column 'x' (column 2); an issued-passport history has only the columns in impass-csv(5): rename or remove it" \
		"$hdr | maxrss dedup --import-history /dev/stdin --history h.db 3> rss.out"
}

# ---- invalid UTF-8 and NUL bytes ---------------------------------------------------

@test "invalid UTF-8 (Latin-1, overlong, surrogate) in a sealed record: not well-formed, 65" {
	hostile base.xml l1.xml 3 's|<surname>[^<]*</surname>|<surname>M\xfcller</surname>|'
	hostile base.xml ov.xml 3 's|<surname>[^<]*</surname>|<surname>\xc0\xaf</surname>|'
	hostile base.xml su.xml 3 's|<surname>[^<]*</surname>|<surname>\xed\xa0\x80</surname>|'
	local f cmd want
	for f in l1 ov su; do
		case $f in su) want='PCDATA invalid Char value 55296' ;; *) want='Input is not proper UTF-8, indicate encoding !' ;; esac
		for cmd in "inspect --csv" validate; do
			run -65 --separate-stderr maxrss $cmd $f.xml 3> rss.out
			bounded "$cmd $f.xml"
			[[ $stderr =~ ^${cmd%% *}:\ B-H:\ record\ $ID1\ is\ not\ well-formed\ XML\ \(column\ [0-9]+:\ (.*)\)$ ]] ||
				fail "$cmd $f.xml: $stderr"
			assert_equal "${BASH_REMATCH[1]}" "$want"
			[[ $output != *"<record "* && $output != *"<seal "* ]] || fail "$cmd wrote: $output"
		done
	done
	# in the batch id: the header is not a batch start tag
	sed '2s/id="B-H"/id="B-\xffH"/' base.xml > id.xml
	each_reader id.xml "id.xml line 2: not a <batch xmlns=\"urn:impass:batch:1\" id=... kind=...> start tag; $DAMAGED" "echo validate"
}

@test "a NUL byte in a sealed record, after it, or in the batch line: refused, 65" {
	hostile base.xml n1.xml 3 's|<surname>[^<]*</surname>|<surname>KH\0AN</surname>|'
	[ "$(sed -n 3p n1.xml | tr -cd '\0' | wc -c)" -eq 1 ]
	for cmd in "inspect --csv" validate; do
		run -65 --separate-stderr maxrss $cmd n1.xml 3> rss.out
		bounded "$cmd n1.xml"
		[[ $stderr == "${cmd%% *}: B-H: record $ID1 is not well-formed XML (column "*": Premature end of data in tag surname line 1)" ]] ||
			fail "$cmd: $stderr"
		[[ $output != *"<record "* && $output != *"<seal "* ]] || fail "$cmd wrote: $output"
	done
	hostile base.xml n2.xml 3 's|$|\0|'
	each_reader n2.xml "B-H: n2.xml line 3: record 1 is not one <record xmlns=\"urn:impass:batch:1\" id=... status=...>...</record> line; $DAMAGED" some_readers
	sed '2s/id="B-H"/id="B-\x00H"/' base.xml > n3.xml
	refused 65 "validate: n3.xml line 2: not a <batch xmlns=\"urn:impass:batch:1\" id=... kind=...> start tag; $DAMAGED" validate n3.xml
}

@test "100,000-deep nesting and 200,000 elements in a sealed record: refused or processed in bounded memory" {
	hostile base.xml deep.xml 3 '$x = "<a>" x 100000 . "</a>" x 100000; s|</surname>|</surname>$x|'
	for cmd in "inspect --csv" validate; do
		run -65 --separate-stderr maxrss $cmd deep.xml 3> rss.out
		bounded "$cmd deep.xml"
		[[ $stderr == "${cmd%% *}: B-H: record $ID1 is not well-formed XML (column "*": Excessive depth in document: 256 use XML_PARSE_HUGE option)" ]] ||
			fail "$cmd: $stderr"
	done
	hostile base.xml many.xml 3 '$x = "<x/>" x 200000; s|</surname>|</surname>$x|'
	run -0 --separate-stderr maxrss validate many.xml 3> rss.out
	bounded "validate many.xml (200,000 unknown elements)"
	assert_equal "$(grep -c '^<record [^>]*status="rejected"' <<< "$output")" 1
}

# ---- CSV: ingest ---------------------------------------------------------------------

@test "ingest: a header of 100,000 columns refused; a row of 100,001 fields rejected, memory flat" {
	{ head -n 1 apps.csv | tr -d '\n'; seq -f ',c%g' 100000 | tr -d '\n'; echo; } > cols.csv
	refused 65 "ingest: cols.csv line 1: the header has 100023 columns; an application export has 23" ingest -b B-T cols.csv
	{ head -n 1 apps.csv; printf 'T-1'; head -c 100000 /dev/zero | tr '\0' ,; echo; } > row.csv
	run -0 --separate-stderr maxrss ingest -b B-T row.csv 3> rss.out
	bounded "ingest row.csv (100,001 fields)"
	assert_equal "$(grep -o 'code="[A-Z_]*">[^<]*' <<< "$output")" 'code="INGEST_FIELD_COUNT">row.csv line 2 has 100001 fields where the header has 23, so values may be in the wrong columns; correct the row and submit it again'
}

@test "ingest: a 10 MB field on one line or quoted over 10,000 lines is refused whole" {
	{ head -n 1 apps.csv; printf 'T-1,'; head -c 10M /dev/zero | tr '\0' a; echo ',,,,,,,,,,,,,,,,,,,,,'; } > one.csv
	refused 65 "ingest: one.csv line 2 is longer than 1 MiB; this is not a CSV export" ingest -b B-T one.csv
	{
		head -n 1 apps.csv
		printf 'T-1,"'
		perl -e 'print "b" x 1000, "\n" for 1 .. 10000'
		echo '",,,,,,,,,,,,,,,,,,,,,'
	} > multi.csv
	[ "$(stat -c %s multi.csv)" -gt 10000000 ]
	refused 65 "ingest: multi.csv line 1049, field 2 (office): a quoted value runs on for more than 1 MiB from line 2; a quote is probably not closed" ingest -b B-T multi.csv
}

@test "ingest: invalid UTF-8 or a NUL in the header refuses the file (a NUL in a row: 01-ingest)" {
	{ head -n 1 apps.csv; printf 'T-1,\xff\xfe,,,,,,,,,,,,,,,,,,,,,\n'; } > u.csv
	refused 65 "ingest: u.csv line 2, field 2: invalid UTF-8 (byte 0xff at offset 0); export the file as UTF-8" ingest -b B-T u.csv
	head -n 1 apps.csv | sed 's/,/,\x00/' > nh.csv
	refused 65 "ingest: nh.csv line 1: unknown column '$(printf '\xef\xbf\xbd')office' (column 2); an application export has only the columns in impass-csv(5): rename or remove it" ingest -b B-T nh.csv
}

# ---- CSV: the reference lists -----------------------------------------------------------

# list_cases WHAT HEADER-FILE CMD...: the hostile CSVs for a list reader; CMD
# gets the file as its last argument (@ in CMD is replaced by it)
list_case() {
	local file=$1 code=$2 msg=$3
	shift 3
	local args=() a
	for a in "$@"; do args+=("${a//@/$file}"); done
	refused "$code" "$msg" "${args[@]}"
}

hostile_lists() {
	local h n
	h=$(head -n 1 "$1")
	n=$(awk -F, '{ print NF; exit }' "$1")
	{ echo "$h"; printf 'x,'; head -c 3M /dev/zero | tr '\0' a; head -c $((n - 2)) /dev/zero | tr '\0' ,; echo; } > long.csv
	{ echo "$h$(seq -f ',c%g' 100000 | tr -d '\n')"; } > cols.csv
	{ echo "$h"; printf 'x'; head -c 100000 /dev/zero | tr '\0' ,; echo; } > row.csv
	{ echo "$h"; printf 'x,"'; perl -e 'print "b" x 1000, "\n" for 1 .. 10000'
	  printf '"'; head -c $((n - 2)) /dev/zero | tr '\0' ,; echo; } > field.csv
	{ echo "$h"; printf 'x,M\xfcller'; head -c $((n - 2)) /dev/zero | tr '\0' ,; echo; } > utf.csv
}

@test "verify-nadra --index and --nadra: a 3 MB line, 100,000 columns, a 10 MB field, invalid UTF-8 refused; no index written" {
	hostile_lists nadra.csv
	local mode
	for mode in index nadra; do
		if [ $mode = index ]; then set -- verify-nadra --index @ -o n.idx; else set -- verify-nadra --nadra @ valid.xml; fi
		list_case long.csv 65 "verify-nadra: long.csv line 2 is longer than 1 MiB; this is not a CSV export" "$@"
		list_case cols.csv 65 "verify-nadra: cols.csv line 1: the header has 100006 columns; a NADRA extract has 6" "$@"
		list_case field.csv 65 "verify-nadra: field.csv line 1049, field 2 (name): a quoted value runs on for more than 1 MiB from line 2; a quote is probably not closed" "$@"
		list_case utf.csv 65 "verify-nadra: utf.csv line 2, field 2: invalid UTF-8 (byte 0xfc at offset 1); export the file as UTF-8" "$@"
		[ ! -e n.idx ] || fail "an index was written"
	done
}

@test "verify-nadra --index: a row of 100,001 fields is left out, the index has no rows" {
	hostile_lists nadra.csv
	run -0 --separate-stderr maxrss verify-nadra --index row.csv -o n.idx 3> rss.out
	bounded "verify-nadra --index row.csv"
	assert_equal "$stderr" "verify-nadra: row.csv line 2: no CNIC of 13 digits, or the wrong number of fields; the row is left out
verify-nadra: indexed 0 rows of row.csv into n.idx, 1 left out, $(sed -n 's/.* left out, //p' <<< "$stderr" | tail -n 1)"
}

@test "screen-pcl --list: a 3 MB line, 100,000 columns or fields, a 10 MB field, invalid UTF-8 refused" {
	hostile_lists pcl.csv
	set -- screen-pcl --list @ valid.xml
	list_case long.csv 65 "screen-pcl: long.csv line 2 is longer than 1 MiB; this is not a CSV export" "$@"
	list_case cols.csv 65 "screen-pcl: cols.csv line 1: the header has 100012 columns; a control list has 12" "$@"
	list_case row.csv 65 "screen-pcl: row.csv line 2 has 100001 fields where the header has 12: a list entry cannot be left out, so the list is refused; correct it" "$@"
	list_case field.csv 65 "screen-pcl: field.csv line 1049, field 2 (list): a quoted value runs on for more than 1 MiB from line 2; a quote is probably not closed" "$@"
	list_case utf.csv 65 "screen-pcl: utf.csv line 2, field 2: invalid UTF-8 (byte 0xfc at offset 1); export the file as UTF-8" "$@"
}

@test "dedup --import-history: a 3 MB line, 100,000 columns or fields, a 10 MB field, invalid UTF-8, a NUL refused; nothing imported" {
	hostile_lists history.csv
	{ head -n 1 history.csv; printf 'x,KH\0AN,,,,,,,,\n'; } > nul.csv
	set -- dedup --import-history @ -H h.db
	list_case long.csv 65 "dedup: long.csv line 2 is longer than 1 MiB; this is not a CSV export" "$@"
	list_case cols.csv 65 "dedup: cols.csv line 1: the header has 100010 columns; an issued-passport history has 10" "$@"
	list_case row.csv 65 "dedup: row.csv line 2 has 100001 fields where the header has 10; a passport cannot be left out of the history, so the file is refused: correct the row and load it again" "$@"
	list_case field.csv 65 "dedup: field.csv line 1049, field 2 (cnic): a quoted value runs on for more than 1 MiB from line 2; a quote is probably not closed" "$@"
	list_case utf.csv 65 "dedup: utf.csv line 2, field 2: invalid UTF-8 (byte 0xfc at offset 1); export the file as UTF-8" "$@"
	list_case nul.csv 65 "dedup: nul.csv line 2: field 2 holds a control character; the file is refused: correct the row and load it again" "$@"
	if [ -e h.db ]; then
		assert_equal "$(sqlite3 h.db 'select count(*) from history_passport' 2>/dev/null || echo 0)" 0
	fi
}

# ---- permissions -----------------------------------------------------------------------

# loose DIR...: every file or folder under DIR that group or others may use
loose() { find "$@" \( -type f -perm /077 -o -type d -perm /077 \) -printf '%M %p\n'; }

@test "umask 000: spool jobs, held records, state databases, bundles and proofs are 0600 in 0700 folders" {
	umask 000
	"$GEN" applications 12 > a.csv
	"$GEN" nadra 12 > n.csv
	"$GEN" fees 35 > f.csv
	"$GEN" payments 12 > p.csv
	seq -f 'SL%08g' 1 50 > lam.txt
	ingest a.csv > 1.xml 2> /dev/null
	validate 1.xml > 2.xml 2> /dev/null
	verify-fee --schedule f.csv --payments p.csv --state st.db 2.xml > 2f.xml 2> /dev/null
	verify-nadra --nadra n.csv 2f.xml > 3.xml 2> /dev/null
	screen-pcl --list pcl.csv 3.xml > 4.xml 2> /dev/null
	dedup --import-history history.csv -H hist.db 2> /dev/null
	dedup -H hist.db 4.xml > 5.xml 2> /dev/null
	# the numbers from the spool's state database: the one ledger spool-print reads
	mkdir -m 0700 spool
	render-mrz --state spool/state.db --add-range T AA1000000-AA1999999 2> /dev/null
	render-mrz --state spool/state.db --proof proofs 5.xml > 6.xml 2> /dev/null
	IMPASS_SIGNER=$APPROVER_FPR sign 6.xml > 7.xml 2> /dev/null
	spool-print -d spool -q 2 -l lam.txt 7.xml 2> /dev/null
	"$TESTS"/fake-printer spool > /dev/null
	spool-print -d spool --collect > 8.xml 2> /dev/null
	manifest-courier -o out --offices "$PIPES/offices.csv" --couriers "$PIPES/couriers.csv" \
		--state st.db 8.xml > 9.xml 2> /dev/null
	dedup --record -H hist.db 9.xml 2> /dev/null
	# everything was made, and ingest's batch number file in the spool
	[ -n "$(ls spool/held)" ] && [ -n "$(ls spool/archive/*/*.jobs)" ] && [ -n "$(ls out/*.tar.gz)" ] &&
		[ -n "$(ls proofs/*.svg)" ] || fail "$(find . | sort)"
	run loose "$IMPASS_SPOOL/spool" "$IMPASS_SPOOL/out" "$IMPASS_SPOOL/proofs" "$TMPDIR"/*.db* "$IMPASS_SPOOL"/batch.seq
	assert_output ''
	# the check can fail
	chmod 644 hist.db
	run loose hist.db
	assert_output "-rw-r--r-- hist.db"
	# inside the bundles: NUMBER/ 0700, its files 0600
	run bash -c 'for f in out/*.tar.gz; do bsdtar -tvf "$f"; done | grep -v "^-rw------- \|^drwx------ "'
	assert_output ''
}

@test "umask 000: pipelines/nightly and courier leave run folders, spool and bundles 0600 in 0700 folders" {
	umask 000
	"$GEN" applications 12 > a.csv
	"$GEN" nadra 12 > n.csv
	"$GEN" fees 35 > f.csv
	"$GEN" payments 12 > p.csv
	seq -f 'SL%08g' 1 50 > lam.txt
	cat > impass.conf <<-CONF
	BIN=$IMP_BIN
	GNUPGHOME=$GNUPGHOME
	IMPASS_TRUST=$IMPASS_TRUST
	STAGE_KEY=$STAGE_FPR
	APPROVER_KEY=$APPROVER_FPR
	FEES=$PWD/f.csv
	PAYMENTS=$PWD/p.csv
	NADRA=$PWD/n.csv
	PCL_LISTS="$PWD/pcl.csv"
	SPOOL=spool
	QUEUES=2
	LAMINATES=$PWD/lam.txt
	OFFICES=$PIPES/offices.csv
	COURIERS=$PIPES/couriers.csv
	BUNDLES=out
	CONF
	IMPASS_SPOOL=spool render-mrz --add-range S AB1000000-AB1999999 2> /dev/null
	"$PIPES"/nightly --config impass.conf a.csv > nightly.out 2>&1 || fail "nightly: $(cat nightly.out)"
	"$TESTS"/fake-printer spool > /dev/null
	"$PIPES"/courier --config impass.conf > courier.out 2>&1 || fail "courier: $(cat courier.out)"
	[ -n "$(ls spool/runs/*/07-sign.xml)" ] && [ -n "$(ls out/*.tar.gz)" ] || fail "$(find spool out | sort)"
	run loose spool out
	assert_output ''
}
