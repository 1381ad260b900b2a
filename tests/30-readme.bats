#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# README's examples run as printed (issue 20). README.md's code blocks are
# fenced, and the info string says what each is:
#
#   ```sh       commands: this suite runs the block as printed, with bash
#               -e -o pipefail (every command must succeed);
#   ```console  `$ ` lines are commands, the lines under each its exact
#               output (stdout and stderr): run and compared;
#   ```crontab  a crontab line: its command is run as cron runs it (`\%`
#               is `%`);
#   ```usage    a synopsis: each of its lines (with the lines indented
#               under it) is one of its program's --help usage lines,
#               whitespace aside (pipelines/NAME: the script's);
#   ```text, ```xml
#               output samples, synopses, file formats, tables: not run;
#   ```sh not-run: REASON
#               a command this suite does not run, and why (make check).
#
# An indented block, a fence with another info string, or a not-run
# without its reason fails the first test; a runnable block that no test
# below names (by the start of its first line, `example 'PREFIX'`) fails
# the second. Each test makes, in its own folder, the files the example
# names (applications.csv, nadra.csv, ...) from tests/gen-fixtures, then
# runs the example's text with only the installed system's absolute paths
# moved into the test folder: /var/spool/impass (also IMPASS_SPOOL),
# /etc/impass, /srv/photos, /backup/impass. "$APPROVER_FPR" is the test
# approver's key. A block that begins with `render-mrz |` (a pipeline's
# tail) reads on its standard input the fixtures' applications through
# dedup. Where the example works on a spool that has printed before
# (collect, courier, verify-passport), the test folder's spool holds an
# approved batch of 20 other applications, spooled, its jobs printed by
# tests/fake-printer (every third job failed) and not yet
# collected.

bats_require_minimum_version 1.5.0
load helpers

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
B=$BATS_FILE_TMPDIR/blocks

# ---- README's blocks, parsed by cmark (CommonMark's reference parser) ----------

# B/N.info, B/N.text, B/N.line for every code block N of README.md
readme_blocks() {
	local xml n i q

	mkdir -p "$B"
	xml=$BATS_FILE_TMPDIR/readme.xml
	cmark --to xml --sourcepos "$ROOT/README.md" > "$xml"
	q='(//*[local-name()="code_block"])'
	n=$(xmllint --xpath "count($q)" "$xml")
	for i in $(seq "$n"); do
		xmllint --xpath "string($q[$i]/@info)" "$xml" > "$B/$i.info"
		xmllint --xpath "string($q[$i])" "$xml" > "$B/$i.text"
		xmllint --xpath "string($q[$i]/@sourcepos)" "$xml" | cut -d: -f1 > "$B/$i.line"
	done
	echo "$n" > "$B/count"
}

# blocks: NBLOCKS, and per block N INFO[N], FIRST[N] (its first line) and
# LINE[N] (its line in README), read without a process each
blocks() {
	local i
	read -r NBLOCKS < "$B/count"
	INFO=() FIRST=() LINE=()
	for i in $(seq "$NBLOCKS"); do
		IFS= read -r "INFO[$i]" < "$B/$i.info" || true
		IFS= read -r "FIRST[$i]" < "$B/$i.text" || true
		read -r "LINE[$i]" < "$B/$i.line"
	done
}

# runnable N: block N is one this suite runs
runnable() {
	case ${INFO[$1]} in sh | console | crontab) return 0 ;; esac
	return 1
}

# claims PREFIX N: block N is runnable and PREFIX names it: its first line
# begins with PREFIX, and is PREFIX when another runnable block's first
# line is exactly PREFIX
claims() {
	local i
	runnable "$2" || return 1
	[[ ${FIRST[$2]} == "$1"* ]] || return 1
	[ "${FIRST[$2]}" = "$1" ] && return 0
	for ((i = 1; i <= NBLOCKS; i++)); do
		runnable "$i" && [ "${FIRST[$i]}" = "$1" ] && return 1
	done
	return 0
}

# example PREFIX: $example, the text of the one runnable block that PREFIX
# names; $example_line, its line in README
example() {
	local i found=''
	blocks
	for ((i = 1; i <= NBLOCKS; i++)); do
		claims "$1" "$i" || continue
		[ -z "$found" ] || fail "two README examples begin with '$1': lines ${LINE[$found]} and ${LINE[$i]}"
		found=$i
	done
	[ -n "$found" ] || fail "no runnable README example begins with '$1'"
	example=$(< "$B/$found.text")
	example_line=${LINE[$found]}
}

# installed: TEXT with the installed system's paths moved into the test folder
installed() {
	sed -e "s|/var/spool/impass|$SPOOL|g" -e "s|/etc/impass|$PWD/etc|g" \
		-e "s|/srv/photos|$PWD/photos|g" -e "s|/backup/impass|$PWD/backup|g" <<< "$1"
}

# run_example [run options]: the example run as printed (its paths installed)
run_example() {
	run "$@" bash -e -o pipefail -c "$(installed "$example")"
}

# ---- the fixtures, made once ------------------------------------------------------

F() { echo "$BATS_FILE_TMPDIR/fix"; }

# the chain up to dedup of FILE.csv as batch BATCH: FILE.xml
to_dedup() {
	ingest -b "$2" "$1.csv" 2> /dev/null | validate 2> /dev/null |
		verify-fee --schedule fees.csv --payments payments.csv 2> /dev/null |
		verify-nadra --nadra nadra.csv 2> /dev/null |
		screen-pcl --list pcl.csv --list fcl.csv 2> /dev/null |
		dedup --history issued.db > "$1.xml" 2> /dev/null
}

setup_file() {
	keys_setup
	stage_env
	readme_blocks
	mkdir -p "$(F)"
	cd "$(F)" || return 1
	# 40 people: the first 20 the examples' applications.csv, the other 20
	# the batch printed before (world.csv)
	"$GEN" applications 40 > all.csv
	head -n 21 all.csv > applications.csv
	{ head -n 1 all.csv; tail -n 20 all.csv; } > world.csv
	"$GEN" nadra 40 > nadra.csv
	"$GEN" pcl 30 > lists.csv
	{ head -n 1 lists.csv; grep ',PCL,' lists.csv; } > pcl.csv
	{ head -n 1 lists.csv; grep ',FCL,' lists.csv; } > fcl.csv
	"$GEN" history 30 > issued.csv
	"$GEN" fees 35 > fees.csv
	"$GEN" payments 40 > payments.csv
	seq -f 'SL%08g' 1 100 > laminates.txt
	dedup --import-history issued.csv --history issued.db 2> /dev/null
	# the applications with their photos, for render-lds
	"$TESTS/fake-photos" csv photos < applications.csv > a.csv
	mv a.csv applications.csv
	to_dedup applications B-README-01
	"$TESTS/mkpki" pki > /dev/null 2>&1
	# the world: a spool whose ledger gave world.csv its numbers, approved,
	# spooled, printed (every third spoiled), not collected
	export IMPASS_SPOOL=$(F)/world
	render-mrz --add-range STOCK-1 AB0000001-AB9999999 2> /dev/null
	to_dedup world B-WORLD-01
	render-mrz --issue-date 2026-11-28 world.xml 2> /dev/null | sign -s "$APPROVER_FPR" 2> /dev/null |
		spool-print --spool "$IMPASS_SPOOL" --queues 2 --laminates laminates.txt 2> /dev/null
	"$TESTS/fake-printer" --fail-every 3 "$IMPASS_SPOOL" > /dev/null
	# an embassy's batch of presented passports (tests/gen-fixtures) from
	# what a collection of the world would print: NUMBER MRZ1 MRZ2 LAMINATE PHOTO
	cp -a world scratch
	IMPASS_SPOOL=$PWD/scratch spool-print --collect > printed.xml 2> /dev/null
	grep '^<record ' printed.xml |
		sed -n 's/.*<photo_sha256>\([0-9a-f]*\)<.*<passport number="\([A-Z0-9]*\)"[^>]*><mrz>\([^<]*\)<\/mrz><mrz>\([^<]*\)<\/mrz>.* laminate="\([A-Z0-9]*\)".*/\2\t\3\t\4\t\5\t\1/p' |
		sed 's/&lt;/</g' > printed.tsv
	"$GEN" --printed printed.tsv --truth truth.csv presented 10 > embassy.csv
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	export APPROVER_FPR
	cp "$(F)"/{applications,nadra,pcl,fcl,issued,fees,payments}.csv "$(F)"/issued.db "$(F)"/laminates.txt .
	SPOOL=$PWD/spool
	export IMPASS_SPOOL=$SPOOL
}

# world: the test folder's spool is the world's (a copy)
world() {
	cp -a "$(F)/world" "$SPOOL"
}

# ---- the blocks themselves --------------------------------------------------------

@test "every code block of README is fenced and marked sh, console, crontab, usage, text or xml; a not-run one says why" {
	local i bad=''
	blocks
	[ "$NBLOCKS" -ge 15 ] || fail "only $NBLOCKS blocks found"
	for ((i = 1; i <= NBLOCKS; i++)); do
		case ${INFO[$i]} in
		sh | console | crontab | usage | text | xml) ;;
		'sh not-run: '?*) ;;
		*) bad+=" line ${LINE[$i]} ('${INFO[$i]}')" ;;
		esac
	done
	assert_equal "$bad" ''
}

@test "every runnable README example is run by a test of this suite, each by one" {
	local i prefixes p n missing=''
	prefixes=$(sed -n "s/^[[:space:]]*example '\\([^']*\\)'\$/\\1/p" "$BATS_TEST_FILENAME")
	[ "$(wc -l <<< "$prefixes")" -ge 8 ] || fail "prefixes: $prefixes"
	blocks
	for ((i = 1; i <= NBLOCKS; i++)); do
		runnable "$i" || continue
		n=0
		while IFS= read -r p; do
			claims "$p" "$i" && n=$((n + 1))
		done <<< "$prefixes"
		[ "$n" -eq 1 ] || missing+=" line ${LINE[$i]} ($n tests)"
	done
	assert_equal "$missing" ''
}

# synopses TEXT: its lines, each with the lines indented under it, one a
# line, "usage:" and runs of blanks left out
synopses() {
	awk '/^[ \t]/ && n { l[n] = l[n] " " $0; next } { l[++n] = $0 }
		END { for (i = 1; i <= n; i++) { s = l[i]; sub(/^usage:/, "", s); gsub(/[ \t]+/, " ", s)
			sub(/^ /, "", s); sub(/ $/, "", s); if (s != "") print s } }' <<< "$1"
}

@test "README's synopses are the programs' --help usage lines" {
	local i line cmd help n=0 bad=''
	blocks
	for ((i = 1; i <= NBLOCKS; i++)); do
		[ "${INFO[$i]}" = usage ] || continue
		while IFS= read -r line; do
			n=$((n + 1))
			cmd=${line%% *}
			if [[ $cmd == pipelines/* ]]; then
				help=$("$ROOT/$cmd" --help 2>&1) || fail "$cmd --help"
				line=${line#pipelines/}
			else
				help=$("$IMP_BIN/$cmd" --help 2>&1) || fail "$cmd --help"
			fi
			# the help's usage lines: each program line with its continuations
			# (indented lines that go on with an option or operand)
			help=$(sed -E 's/^usage: +//; s/^ +([a-z][a-z-]* )/\1/' <<< "$help" |
				awk '/^[ \t]+[-\[A-Z]/ && n { l[n] = l[n] " " $0; next } { l[++n] = $0 }
					END { for (i = 1; i <= n; i++) { s = l[i]; gsub(/[ \t]+/, " ", s); print s } }')
			grep -qxF -- "$line" <<< "$help" || bad+=$'\n'"README line ${LINE[$i]}: $line"
		done < <(synopses "$(< "$B/$i.text")")
	done
	[ "$n" -ge 15 ] || fail "only $n synopsis lines"
	assert_equal "$bad" ''
}

@test "README's first pipeline: jobs spooled, sealed by sign with the approver; made once before: the history and the range as README says" {
	example 'ingest applications.csv | validate \'
	# what README says is made once before the first night, as it says it
	tr '\n' ' ' < "$ROOT/README.md" > readme.txt
	run -0 grep -F '(`dedup --import-history issued.csv --history issued.db`)' readme.txt
	run -0 grep -F 'render-mrz (`render-mrz --add-range STOCK-1 AB0000001-AB9999999`)' readme.txt
	rm issued.db
	dedup --import-history issued.csv --history issued.db 2> /dev/null
	render-mrz --add-range STOCK-1 AB0000001-AB9999999 2> /dev/null
	run_example -0 --separate-stderr
	[[ $stderr =~ spool-print:\ B-[0-9]{8}-01:\ 20\ in,\ ([0-9]+)\ jobs ]] || fail "stderr: $stderr"
	[ "${BASH_REMATCH[1]}" -ge 10 ]
	assert_equal "$(queued_jobs spool new)" "${BASH_REMATCH[1]}"
}

# run_console: each `$ ` command of the console example, its output (stdout
# and stderr) exactly the lines README shows under it, its exit status 0
run_console() {
	local line cmd='' want='' have rc
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line == '$ '* ]]; then
			[ -z "$cmd" ] || console_one "$cmd" "$want"
			cmd=${line#'$ '} want=''
		else
			want+=$line$'\n'
		fi
	done <<< "$example"
	[ -n "$cmd" ] || fail "README line $example_line: a console example without a \$ command"
	console_one "$cmd" "$want"
}

console_one() {                   # console_one COMMAND WANTED-OUTPUT
	run -0 bash -o pipefail -c "$(installed "$1") 2>&1"
	assert_equal "$output" "${2%$'\n'}"
}

@test "README's number range: render-mrz --add-range and --report print what README shows" {
	example '$ render-mrz --add-range STOCK-7'
	run_console
	[ -f spool/state.db ]
}

@test "README's MRZ check: ICAO's specimen is ok, as README shows" {
	example '$ printf '
	run_console
}

# e-Passports: the test PKI (tests/mkpki) and the applications' photos
lds_setup() {
	cp "$(F)"/pki/{ds.pem,ds.key,csca.pem} .
	cp -a "$(F)/photos" photos
	render-mrz --add-range STOCK-7 AB1000000-AB1999999 2> /dev/null
}

@test "README's e-Passport pipeline: every job spooled carries its chip" {
	example 'render-mrz | render-lds --ds-cert'
	lds_setup
	run_example -0 --separate-stderr < "$(F)/applications.xml"
	local ok
	ok=$(inspect --counts "$(F)/applications.xml" 2> /dev/null | sed -n 's/^ok=//p')
	[ "$ok" -ge 10 ]
	[[ $stderr == *"spool-print: B-README-01: 20 in, $ok jobs ($ok delivered now)"* ]] || fail "stderr: $stderr"
	assert_equal "$(grep -o '<chip file="AB1[0-9]*\.lds"' spool/print/*/new/*.jobs | wc -l)" "$ok"
}

@test "README's chip check: render-lds --check of a chip dump against the CSCA and the data page, all good" {
	example 'render-lds --check --csca csca.pem'
	lds_setup
	render-mrz < "$(F)/applications.xml" 2> /dev/null |
		render-lds --ds-cert ds.pem --ds-key ds.key --csca csca.pem --photos photos > l.xml 2> /dev/null
	# the examiner's dump and the data page's two lines of AB1000000
	cp spool/lds/AB1000000.lds .
	grep '<passport number="AB1000000"' l.xml | sed -n 's/.*<passport number="AB1000000"[^>]*><mrz>\([^<]*\)<\/mrz><mrz>\([^<]*\)<\/mrz>.*/\1\n\2/p' |
		sed 's/&lt;/</g' > page.txt
	assert_equal "$(wc -l < page.txt)" 2
	run_example -0 --separate-stderr
	assert_line --index 0 --regexp '^AB1000000\.lds: good: EF\.SOD signed by .*CN=Document Signer ds serial [0-9]+, a Document Signer of the CSCA csca\.pem$'
	assert_line "AB1000000.lds: good: DG1's MRZ is the data page's"
	assert_line "AB1000000.lds: all checks good"
}

@test "README's printing: a batch spooled with a new issue of laminates, the world's jobs collected with the spoiled ones for reprint, the laminate account balanced" {
	example 'render-mrz | sign -s "$APPROVER_FPR" | spool-print --spool /var/spool/impass --queues 10'
	world
	local ok
	ok=$(inspect --counts "$(F)/applications.xml" 2> /dev/null | sed -n 's/^ok=//p')
	# the hall's new issue; on the shelf: every serial no job took (the
	# world's 18 jobs took SL00000001-18, this batch's the next $ok)
	seq -f 'SL%08g' 101 200 > issued-2026-11-28.txt
	seq -f 'SL%08g' $((19 + ok)) 200 > counted-on-shelf.txt
	run_example -0 --separate-stderr < "$(F)/applications.xml"
	[[ $stderr == *"spool-print: B-README-01: 20 in, $ok jobs ($ok delivered now)"* ]] || fail "stderr: $stderr"
	assert_equal "$(ls spool/print)" "$(printf 'p%02d\n' $(seq 10))"
	# the world's jobs: 12 printed, 6 spoiled, those 6 for reprint
	[[ $stderr == *"spool-print: PRINTED-"*": 18 collected: 12 printed, 6 spoiled"* ]] || fail "stderr: $stderr"
	assert_equal "$(grep -c '^<record ' printed.xml)" 12
	assert_equal "$(grep -c '^<record .*code="PRINT_SPOILED"' reprint.xml)" 6
	assert_line "balance: issued 200 = used 12 + spoiled 6 + at the printers $ok + in stock $((200 - 18 - ok))"
}

@test "README's backup line of crontab: a consistent copy of the state database in the backup folder" {
	example '15 * * * *  sqlite3'
	world
	mkdir -m 0700 backup
	# cron runs the line's command with \% as %
	local cmd
	cmd=$(sed -E 's/^([^ ]+ +){5}//; s/\\%/%/g' <<< "$example")
	assert_equal "${cmd%% *}" sqlite3
	run -0 bash -e -c "$(installed "$cmd")"
	local b
	b=$(ls backup)
	[[ $b =~ ^state-[0-2][0-9]\.db$ ]] || fail "backup: $b"
	run -0 sqlite3 "backup/$b" 'PRAGMA quick_check'
	assert_output ok
	assert_equal "$(render-mrz --report --state "backup/$b" 2> /dev/null)" "$(render-mrz --report 2> /dev/null)"
}

@test "README's courier consignments: the printed passports in signed bundles, the manifested stream for dedup --record" {
	example 'spool-print --collect > printed.xml'
	world
	mkdir etc
	cp "$ROOT"/pipelines/offices.csv "$ROOT"/pipelines/couriers.csv etc/
	run_example -0 --separate-stderr
	assert_equal "$(grep -c '^<record .*<consignment ' manifested.xml)" 12
	run -0 inspect manifested.xml
	local n
	n=$(grep -o '<consignment number="[^"]*"' manifested.xml | sort -u | wc -l)
	[ "$n" -ge 1 ]
	assert_equal "$(ls spool/outgoing/*.tar.gz | wc -l)" "$n"
}

@test "README's verify-passport: recorded, a presented passport as issued with its proof, an embassy's batch, a passport reported lost" {
	example 'spool-print --collect > printed.xml && verify-passport --record printed.xml'
	world
	cp "$(F)/embassy.csv" .
	run_example -0 --separate-stderr
	assert_line 'passport AB0000001: ours, as issued'
	assert_line 'laminate: LAMINATE_OK SL00000001 belongs to this passport'
	assert_line --regexp '^proof good: record DGK-2026-0000020 \(ok\) is record [0-9]+ of 12 in batch PRINTED-'
	assert_equal "$(($(wc -l < answers.csv) - 1))" "$(($(wc -l < embassy.csv) - 1))"
	[[ $stderr == *'verify-passport: AB0000001 recorded lost by Night stage key'* ]] || fail "stderr: $stderr"
	run -0 --separate-stderr verify-passport 'P<PAKJATOI<<MUHAMMAD<KHALID<<<<<<<<<<<<<<<<<' 'AB00000014PAK6810317M36112813210643266453<30'
	assert_line --regexp '^status: lost'
}
