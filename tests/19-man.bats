#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The manual pages (issue 20): every page lints clean with mandoc, the
# formats' pages give every column the programs read, make install puts
# them in man5, no page or the README points outside the repository, and
# every other CSV file read or written is given column by column in a page.

bats_require_minimum_version 1.5.0
load helpers

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

@test "every manual page lints clean: mandoc -Tlint -W warning says nothing" {
	local pages=("$ROOT"/bin/*.[1-9])
	[ "${#pages[@]}" -ge 15 ] || fail "only ${#pages[@]} pages: ${pages[*]}"
	for p in "${pages[@]}"; do
		run -0 mandoc -Tlint -W warning "$p"
		assert_output ''
	done
}

@test "a page for every program, and the four format pages, each naming the others" {
	for c in "$ROOT"/bin/*.c; do
		[ -f "${c%.c}.1" ] || fail "no page for $(basename "$c" .c)"
	done
	for f in csv stream trust spool; do
		[ -f "$ROOT/bin/impass-$f.5" ] || fail "no impass-$f(5)"
		grep -qE "^\.Xr impass-$f 5( ,)?$" "$ROOT/bin/impass.7" || fail "impass(7) does not name impass-$f(5)"
	done
	run -0 mandoc -Tascii "$ROOT/bin/impass-csv.5"
	assert_line --partial "IMPASS-CSV(5)"
}

# the page's column entries: every .It Li line's words
csv_page_columns() {
	sed -n 's/^\.It Li //p' "$ROOT/bin/impass-csv.5" | tr -s ' ,' '\n\n' | sort -u
}

@test "impass-csv(5) gives every column of every CSV file the programs read" {
	local kind col missing=''
	csv_page_columns > cols
	{
		for kind in applications nadra pcl history registers; do "$GEN" "$kind" 1 | head -n 1; done
		head -n 1 "$ROOT/pipelines/offices.csv"
		head -n 1 "$ROOT/pipelines/couriers.csv"
	} | tr ',' '\n' | sort -u > want
	[ "$(wc -l < want)" -ge 45 ] || fail "only $(wc -l < want) columns gathered"
	while read -r col; do
		grep -qx -- "$col" cols || missing+=" $col"
	done < want
	assert_equal "$missing" ''
	# and the headers the programs write
	for h in tracking_id,status,code,reason cnic,certificate_no,issued_on,name,father_name,register_name,register_father_name,register_status \
		consignment,passport,tracking_id,name,destination,category,address; do
		grep -q "^\.Li $h" "$ROOT/bin/impass-csv.5" || fail "no header $h"
	done
}

@test "the page's application example is a file ingest reads: one ok record" {
	keys_setup
	stage_env
	sed -n '/^\.Ss Applications/,/^\.Ss /p' "$ROOT/bin/impass-csv.5" |
		sed -n '/^tracking_id,office/,/^\.Ed/p' | sed '$d' |
		sed -e ':a' -e '/\\e$/N; s/\\e\n//; ta' > ex.csv
	assert_equal "$(wc -l < ex.csv)" 2
	# the page cuts the photo's hash; the file needs it whole
	sed -i 's/dddb32b0\.\.\.05599/dddb32b03a7e8400719198323b6e917e78fb70f02cd254cd8442053ea7805599/' ex.csv
	run -0 --separate-stderr ingest -b B-MAN ex.csv
	printf '%s\n' "$output" > ex.xml
	run -0 --separate-stderr validate --today 2026-12-01 ex.xml
	assert_equal "$(grep -c ' status="ok">' <<< "$output")" 1
	keys_teardown
}

@test "make install puts the format pages in man5, uninstall takes them away" {
	run -0 make -s -C "$ROOT" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr
	for f in csv stream trust spool; do
		assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/root/usr/share/man/man5/impass-$f.5")" 644
		cmp "$ROOT/bin/impass-$f.5" "$BATS_TEST_TMPDIR/root/usr/share/man/man5/impass-$f.5"
	done
	run -0 make -s -C "$ROOT" uninstall DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr
	run -0 find "$BATS_TEST_TMPDIR/root/usr/share/man" -type f
	assert_output ''
}

@test "no page, the README or a program's help points at SPEC or outside the repository" {
	run -1 grep -n '\bSPEC\b\|\.\./shared' "$ROOT"/bin/*.[1-9] "$ROOT/README.md"
	assert_output ''
	run -0 --separate-stderr ingest --help
	assert_line --partial "impass-csv(5)"
	run -0 --separate-stderr screen-pcl --help
	assert_line --partial "a control list (impass-csv(5)), repeatable"
	run -0 --separate-stderr dedup --help
	assert_line --partial "load issued passports (impass-csv(5)) into the history"
	# nor the pipelines' --help
	for p in nightly courier migrate-citizenship; do
		run -0 --separate-stderr "$ROOT/pipelines/$p" --help
		refute_output --regexp '\bSPEC\b|\.\./shared'
	done
	assert_output --partial 'a register CSV (impass-csv(5);'
}

@test "the test tools say what they do: gen-fixtures -h names the seed that links the kinds, fake-printer --help is no spool" {
	run -0 --separate-stderr "$GEN" -h
	assert_line --index 0 "usage: gen-fixtures [--seed N] [--from K] [--date YYYY-MM-DD] KIND COUNT"
	assert_line "--seed (default 1) describe the same people, so person k of applications"
	assert_line "is person k of nadra, pcl, history and registers: one seed links them."
	# and it is so: person 3's CNIC is the same in applications and nadra
	assert_equal "$("$GEN" --seed 9 applications 5 | sed -n 5p | cut -d, -f11 | tr -d -)" \
		"$("$GEN" --seed 9 nadra 5 | sed -n 5p | cut -d, -f1)"
	run -0 --separate-stderr "$TESTS/fake-printer" --help
	assert_line --index 0 "usage: fake-printer [--seed N] [--fail PERCENT] [--fail-every N] [--max N] [--stop-in-cur] SPOOL"
	assert_equal "$stderr" ''
	[ ! -e ./--help ]
	run -64 --separate-stderr "$TESTS/fake-printer"
}

@test "the compiled-in spool is /var/spool/impass, not the build tree (IMPASS_SPOOL or --spool for another)" {
	run -0 grep -a -c '/var/spool/impass' "$IMP_BIN/ingest"
	run -1 grep -a -c "$ROOT/spool" "$IMP_BIN/ingest"
	assert_output 0
}

# page_columns PAGE...: the words the pages give as column names: those of
# .Li, .It Li and .Pq Li lines, and of CSV header lines in literal displays
page_columns() {
	sed -n -e 's/^\.\(It\|Pq\) Li //p' -e 's/^\.Li //p' -e '/^[a-z_]*\(,[a-z_]*\)\{2,\}$/p' "$@" |
		tr -s ' ,' '\n\n' | grep -x '[a-z_][a-z0-9_]*' | sort -u
}

# columns_given PAGE HEADER: every column of HEADER is named in PAGE or impass-csv(5)
columns_given() {
	local col missing=''
	page_columns "$ROOT/bin/$1" "$ROOT/bin/impass-csv.5" > cols
	for col in ${2//,/ }; do
		grep -qx -- "$col" cols || missing+=" $col"
	done
	[ -z "$missing" ] || fail "$1 does not name the columns$missing of $2"
}

@test "the other CSV files read and written are given column by column in their pages: fees, payments, notify's templates, verify-passport's batch in and out, track --csv, review holds" {
	keys_setup
	stage_env
	columns_given impass-csv.5 "$("$GEN" fees 35 | head -n 1)"
	columns_given impass-csv.5 "$("$GEN" payments 5 | head -n 1)"
	columns_given notify.1 event,reason,lang,text
	echo 'case,mrz_line1,mrz_line2,laminate,photo_sha256' > presented.csv
	run -0 --separate-stderr verify-passport --csv presented.csv --summary summary.csv
	columns_given verify-passport.1 "$(head -n 1 presented.csv)"
	columns_given verify-passport.1 "$output"
	columns_given verify-passport.1 "$(head -n 1 summary.csv)"
	run -0 --separate-stderr track --csv < /dev/null
	columns_given track.1 "$output"
	run -0 --separate-stderr review holds
	columns_given review.1 "$output"
	keys_teardown
}
