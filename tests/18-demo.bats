#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# make demo (tests/demo), the README's first set-up command, run to its end:
# the nightly and the courier runs on 2,004 generated applications (304 on
# the sanitizer build; IMPASS_DEMO_SIZE sets the generated part) (the
# diplomatic ones e-Passports, their chips checked), with
# throwaway keys, in a fresh 0700 folder under /tmp that it leaves for the
# user to look at (removed here).

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	if [ -n "${DEMO-}" ] && [ -d "$DEMO" ]; then rm -rf "$DEMO"; fi
}

@test "make demo runs to its end (exit 0): a complete nightly report, consignments, every MRZ checked, four eyes and tampering refused, in a 0700 folder" {
	# the sanitizer build: 300 applications reach every code path of the demo
	local size=2000
	if sanitized; then size=300; fi
	run -0 --separate-stderr env -u GNUPGHOME IMPASS_DEMO_SIZE=$size "$TESTS/demo"
	[[ $output =~ (/tmp/impass-demo\.[A-Za-z0-9]+) ]] || fail "no demo folder in: $output"
	DEMO=${BASH_REMATCH[1]}
	assert_equal "$(stat -c %a "$DEMO")" 700
	assert_line '== done: where to look'
	assert_line --regexp '^[1-9][0-9]* MRZs checked: ok$'
	# the e-Passports (diplomatic): the chip of every approved
	# one in its print job, and good
	assert_line "$(grep '^<record [^>]*status="ok"' "$DEMO"/spool/runs/2*/07-sign.xml | grep -c '<chip ') chips checked: good; 0 bad"
	assert_line --regexp '^[1-9][0-9]* chips checked: good; 0 bad$'
	assert_line --regexp '^\(exit 77: refused\)$'
	assert_line --regexp '^\(exit 65: the seal is not valid\)$'
	assert_line --regexp '^rejected +FEE_AMOUNT_WRONG +[1-9][0-9]* '
	assert_line --regexp '^rejected +FEE_REVERSED +[1-9][0-9]* '
	# the first 300 of the night's messages (--max 300), the others left waiting
	grep -Eq '^notify: 300 sent, 0 skipped, 0 sent again after an interrupted run, [1-9][0-9]* waiting; ' <<< "$stderr" ||
		fail "no notify line of 300 sent in: $(grep '^notify' <<< "$stderr")"
	assert_line 'the fake SMSC received 300 messages; the first three:'
	assert_line --regexp '^  DGIP \+92[0-9]{10} text Passport application [A-Z0-9-]+ received at [A-Z0-9-]+\.$'
	assert_line --regexp '^what to do: '
	# the gateway is stopped
	assert_equal "$(ps -eo comm,args | awk -v d="$DEMO/kannel" '($1 ~ /^(bearerbox|smsbox|fakesmsc)$/) && index($0, d)')" ''
	assert_line --regexp "^\\.\\.\\. [1-9][0-9]* consignments in $DEMO/outgoing\$"
	# the nightly run's report: every stage ran, the counts add up
	local report
	report=$(ls "$DEMO"/spool/runs/2*/report.txt)
	run -0 grep -E '^batch B-[0-9]{8}-01, complete$' "$report"
	run -0 grep -c '\.tar\.gz$' <(ls "$DEMO/outgoing")
	[ "$output" -gt 0 ]
}
