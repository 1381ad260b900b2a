#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# tests/gen-people: the second generator of people (README "Matching"):
# seeded, its applications pass validate, its truth files name what it
# planted, its control list and history hold the people the truth names.

bats_require_minimum_version 1.5.0
load helpers

TODAY=2026-11-28

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 400 > tpl.csv
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/tpl.csv .
	GP=$TESTS/gen-people
}

@test "one seed gives the same files; another seed other people" {
	"$GP" --seed 5 --template tpl.csv screening 300 a
	"$GP" --seed 5 --template tpl.csv screening 300 b
	"$GP" --seed 6 --template tpl.csv screening 300 c
	for f in apps.csv list.csv truth.csv; do
		run -0 cmp "a/$f" "b/$f"
		run ! cmp -s "a/$f" "c/$f"
	done
}

@test "screening: every application passes validate; the truth names each once, hold or clear, the held ones an entry of the list" {
	"$GP" --seed 11 --template tpl.csv screening 400 s
	assert_equal "$(wc -l < s/apps.csv)" 401
	assert_equal "$(wc -l < s/list.csv)" 801
	run -0 awk -F, 'NR > 1 { print $2 }' s/truth.csv
	assert_equal "$(grep -c . <<< "$output")" 400
	run -1 grep -v -E '^(hold|clear)$' <<< "$output"
	# every entry the truth names is on the list
	run -0 awk -F, 'NR == FNR { if (FNR > 1) e[$1] = 1; next } FNR > 1 && $2 == "hold" && !($3 in e) { print "missing " $3 }' s/list.csv s/truth.csv
	assert_output ''
	ingest -b B-GP s/apps.csv 2> /dev/null | validate --today "$TODAY" > s.xml 2> s.err
	[[ $(cat s.err) =~ ^validate:\ B-GP:\ 400\ in,\ 400\ ok,\ 0\ rejected,\ 0\ held ]] || fail "validate: $(cat s.err)"
}

@test "dedup: twins, renewals under a CNIC one typo away, the placeholder photo and variations are planted; the history holds every passport the truth names" {
	"$GP" --seed 12 --template tpl.csv dedup 400 d
	run -0 sh -c "tail -n +2 d/truth.csv | cut -d, -f4 | sed 's/-.*//' | sort -u | tr '\n' ' '"
	assert_output 'batch none placeholder renewal twins valid '
	run -0 awk -F, 'NR == FNR { h[$1] = $2; next } FNR > 1 && $3 ~ /^GH/ && !($3 in h) { print "missing " $3 }' d/history.csv d/truth.csv
	assert_output ''
	# a renewal's passport is recorded under a CNIC one digit from the
	# applicant's, and the application renews it (the CNIC is column 11, the
	# previous passport 15; no generated address holds a comma before them)
	run -0 awk -F, 'FILENAME == ARGV[1] { h[$1] = $2; next }
		FILENAME == ARGV[2] { if (FNR > 1 && $4 == "renewal-cnic-typo") want[$1] = $3; next }
		($1 in want) { c = $11; gsub(/-/, "", c); d = 0
			for (i = 1; i <= 13; i++) d += substr(c, i, 1) != substr(h[want[$1]], i, 1)
			print (d == 1 && $15 == want[$1]) ? "typo" : "not " $1 " " c " " h[want[$1]] " " $15 }' \
		d/history.csv d/truth.csv d/apps.csv
	[ "${#lines[@]}" -gt 0 ] || fail "no renewal planted"
	run -1 grep -v '^typo$' <<< "$output"
}

@test "renounced: RC rows without a CNIC, for applicants and for namesakes with another father and date of birth" {
	"$GP" --seed 13 --template tpl.csv renounced 400 r
	run -0 awk -F, 'NR > 1 && $1 == "RC" && $8 != "" { print }' r/register.csv
	assert_output ''
	run -0 sh -c "tail -n +2 r/truth.csv | cut -d, -f4 | sort -u | tr '\n' ' '"
	assert_output 'namesake-renounced none renounced-no-cnic '
}

@test "usage: no template, an unknown kind, a count that is not a number (64)" {
	run -64 "$GP" screening 10 x
	run -64 "$GP" --template tpl.csv people 10 x
	run -64 "$GP" --template tpl.csv screening ten x
	assert_output --partial 'usage: gen-people'
}
