#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The spool against a user on the HQ LAN (README, Security; issue 18):
# spool-print runs as root, the printer stations' account (a throwaway
# user in a throwaway group, made here) moves jobs in the queues. Each
# attack of the review, as described: refused or harmless, with a clear
# message and a sysexits code; the spool and its journal stay consistent.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 8 > a.csv
	# three rows with one tracking id (a data-entry slip): two are rejected
	sed -n 3p a.csv > dup.csv
	cat a.csv dup.csv dup.csv > a3.csv
	export PRN_GROUP=imp-prn-$$ PRN_USER=imp-prn-$$
	retry groupadd "$PRN_GROUP" || return 1
	retry useradd -M -N -g "$PRN_GROUP" -s /usr/sbin/nologin -d /nonexistent "$PRN_USER" || return 1
}

teardown_file() {
	userdel "$PRN_USER" 2> /dev/null || true
	groupdel "$PRN_GROUP" 2> /dev/null || true
	keys_teardown
}

setup() {
	stage_env
	# a spool the printer account can reach: parents it may traverse
	SP=$(mktemp -d /tmp/imp-spool.XXXXXX)
	chmod 0711 "$SP"
	export IMPASS_SPOOL=$SP/spool IMPASS_PRINTER_GROUP=$PRN_GROUP
	render-mrz --add-range A AB1000000-AB1999999 2> /dev/null
	seq -f 'SL%08g' 1 40 > lam.txt
	ingest -b B-ATK-01 "$KT/a3.csv" 2> /dev/null | validate 2> /dev/null |
		render-mrz --issue-date 2026-12-07 2> /dev/null |
		sign -s "$APPROVER_FPR" --require validate,render-mrz > ok.xml 2> /dev/null
	umask 022
}

teardown() {
	rm -rf "$SP"
}

as_printer() { setpriv --reuid="$PRN_USER" --regid="$PRN_GROUP" --clear-groups -- "$@"; }
spool() { spool-print --queues 2 --laminates lam.txt "$@"; }
jobs_new() { find "$IMPASS_SPOOL"/print/*/new -type f | sort; }

@test "folders: the printers' group may enter the queues and move jobs, nothing else; tmp, held, rejected, state.db are root's alone" {
	run -0 spool ok.xml
	assert_equal "$(stat -c '%a %G' "$IMPASS_SPOOL")" "710 $PRN_GROUP"
	assert_equal "$(stat -c '%a %G' "$IMPASS_SPOOL/print/p01")" "750 $PRN_GROUP"
	assert_equal "$(stat -c '%a %G' "$IMPASS_SPOOL/print/p01/new")" "770 $PRN_GROUP"
	assert_equal "$(stat -c '%a' "$IMPASS_SPOOL/print/p01/tmp" "$IMPASS_SPOOL/held" "$IMPASS_SPOOL/state.db")" "$(printf '700\n700\n600')"
	f=$(jobs_new | head -n 1)
	assert_equal "$(stat -c '%a %G' "$f")" "640 $PRN_GROUP"
	run -0 as_printer cat "$f"
	run ! as_printer ls "$IMPASS_SPOOL/held"
	run ! as_printer touch "$IMPASS_SPOOL/print/p01/tmp/x"
	run ! as_printer ln -s /etc "$IMPASS_SPOOL/print/p01/x"
	run -0 as_printer mv "$f" "$IMPASS_SPOOL/print/p01/cur/"
}

@test "1: a planted tmp (a link to another folder) or held link is refused (73) naming it; the target is not touched" {
	mkdir -m 0700 "$SP/victim" && touch "$SP/victim/keep" "$SP/victim/.dot"
	mkdir -p "$IMPASS_SPOOL/print/p02" && ln -s "$SP/victim" "$IMPASS_SPOOL/print/p02/tmp"
	run -73 --separate-stderr spool ok.xml
	# the laminates are in the stock (checked before any folder is made), nothing else
	assert_equal "$stderr" "spool-print: B-ATK-01: 40 laminates from lam.txt added to the stock
spool-print: B-ATK-01: $IMPASS_SPOOL/print/p02/tmp is a symbolic link, not a folder: spool-print never makes one; move it aside (it may point where it must not) and run again"
	assert_equal "$(ls -A "$SP/victim" | tr '\n' ' ')" '.dot keep '
	rm "$IMPASS_SPOOL/print/p02/tmp"
	mkdir -p "$IMPASS_SPOOL/held" && rmdir "$IMPASS_SPOOL/held" && ln -s "$SP/victim" "$IMPASS_SPOOL/held"
	run -73 --separate-stderr spool ok.xml
	assert_regex "$stderr" "held is a symbolic link, not a folder"
	assert_equal "$(ls -A "$SP/victim" | tr '\n' ' ')" '.dot keep '
	# a queue folder made writable by others, or owned by another account
	rm "$IMPASS_SPOOL/held"
	run -0 spool ok.xml
	chmod o+w "$IMPASS_SPOOL/print/p01/done"
	run -73 --separate-stderr spool-print --collect
	assert_regex "$stderr" "print/p01/done is writable by every account \(mode 0772\): chmod o-w it, and look for files planted in it"
	chmod o-w "$IMPASS_SPOOL/print/p01/done"
	chown "$PRN_USER" "$IMPASS_SPOOL/print/p01/cur"
	run -73 --separate-stderr spool-print --collect
	assert_regex "$stderr" "print/p01/cur is owned by uid [0-9]+, not by this account \(uid 0\), which owns the spool"
}

@test "2: one id on three rows, and an id that would be a path: parked files are named by place, never by id; no file outside the spool" {
	# a rejected record's id made a path, sealed again by an approver (the worst case)
	sed '0,/ status="rejected">/s#\(<record [^>]* id="\)[^"]*\(" status="rejected">\)#\1/../../../victimfile\2#' ok.xml > evil.u
	grep -q 'id="/../../../victimfile"' evil.u
	reseal evil.u "$APPROVER_FPR" sign > evil.xml
	run -0 --separate-stderr spool evil.xml
	[ ! -e "$SP/victimfile" ] && [ ! -e /victimfile ] && [ ! -e "$IMPASS_SPOOL/victimfile" ]
	# every parked record has a file of its own, named by its place in the stream
	assert_equal "$(ls "$IMPASS_SPOOL/rejected" | wc -l)" "$(grep -c 'status="rejected"' evil.xml)"
	assert_equal "$(ls "$IMPASS_SPOOL/held" | wc -l)" "$(grep -c 'status="held"' evil.xml)"
	assert_equal "$(ls "$IMPASS_SPOOL/rejected" "$IMPASS_SPOOL/held" | grep -v ':$' | grep -v '^$' | grep -vc '^B-ATK-01\.[0-9]\{8\}$')" 0
	grep -lq 'record: /../../../victimfile' "$IMPASS_SPOOL"/rejected/*
	# the two duplicates of row 3 are rejected, each in its own file
	[ "$(grep -c '^<record [^>]*status="rejected"' evil.xml)" -ge 2 ]
}

@test "3: a job planted in new/ under the next number is quarantined and the genuine one written; an edited job is an incident at --collect (65), never printed" {
	n=$(grep -o '<passport number="[A-Z0-9]*"' ok.xml | head -n 1 | cut -d'"' -f2)
	# an earlier night made the spool and its queues
	"$GEN" --seed 9 applications 1 > b0.csv
	ingest -b B-ATK-00 b0.csv 2> /dev/null | validate 2> /dev/null | render-mrz 2> /dev/null |
		sign -s "$APPROVER_FPR" --require validate,render-mrz > b0.xml 2> /dev/null
	run -0 spool b0.xml
	for q in p01 p02; do
		for p in 0 1 2; do as_printer sh -c "echo planted > $IMPASS_SPOOL/print/$q/new/$p-$n.xml"; done
	done
	run -65 --separate-stderr spool ok.xml
	assert_regex "$stderr" "incident: print/p0[12]/new/[012]-$n.xml is not the job spool-print wrote"
	# the one under the genuine job's name is out, the job written in its place;
	# the others are not jobs of the journal: --collect will find them
	assert_equal "$(grep -l planted "$IMPASS_SPOOL"/print/*/new/* 2> /dev/null | wc -l)" 5
	assert_equal "$(grep -l "number=\"$n\"" "$IMPASS_SPOOL"/print/*/new/*-"$n".xml | wc -l)" 1
	assert_equal "$(grep -l planted "$IMPASS_SPOOL"/incident/INC-* | wc -l)" 1
	# the surname changed in a job in new/ by the printer account, then printed
	f=$(jobs_new | tail -n 1)
	as_printer sed -i 's#<surname>[^<]*</surname>#<surname>FORGED</surname>#' "$f"
	run -0 "$TESTS"/fake-printer "$IMPASS_SPOOL"
	run -65 --separate-stderr spool-print --collect
	assert_output ''
	assert_regex "$stderr" "incident: print/p0[12]/done/$(basename "$f") is not the job spool-print wrote \(its sha256 is [0-9a-f]{16}\.\.\., the job written was [0-9a-f]{16}\.\.\.\): moved to $IMPASS_SPOOL/incident/INC-[0-9]{8} for examination; passport [A-Z0-9]{9} is not counted as printed from it"
	assert_regex "$stderr" 'nothing was collected: have them examined, then run --collect again'
	run -0 --separate-stderr spool-print --collect
	refute_output --partial 'FORGED'
	# every printed job of both batches but the edited one
	assert_equal "$(grep -c '^<record ' <<< "$output")" $(( $(grep -c '^<record [^>]*status="ok"' ok.xml b0.xml | awk -F: '{ n += $2 } END { print n }') - 1 ))
}

@test "4: a FIFO or a link to /etc/shadow as a failed job's .why: --collect does not hang or read it" {
	run -0 spool ok.xml
	f=$(jobs_new | head -n 1)
	b=$(basename "$f") q=$(basename "$(dirname "$(dirname "$f")")")
	as_printer mv "$f" "$IMPASS_SPOOL/print/$q/failed/$b"
	as_printer mkfifo "$IMPASS_SPOOL/print/$q/failed/$b.why"
	f2=$(jobs_new | head -n 1)
	b2=$(basename "$f2") q2=$(basename "$(dirname "$(dirname "$f2")")")
	as_printer mv "$f2" "$IMPASS_SPOOL/print/$q2/failed/$b2"
	as_printer ln -s /etc/shadow "$IMPASS_SPOOL/print/$q2/failed/$b2.why"
	run -0 --separate-stderr timeout 60 spool-print --collect --reprint re.xml
	assert_regex "$stderr" '2 spoiled'
	run -0 grep -c 'failed at the printer (its .why is not a regular file of at most 4096 bytes)' re.xml
	assert_output 2
	run ! grep -q "$(head -n 1 /etc/shadow | cut -d: -f1):" re.xml
	run ! grep -rq "$(head -n 1 /etc/shadow | cut -d: -f1):" "$IMPASS_SPOOL/state.db"
}

@test "a lock that is a link, a spool root that is a link, an unknown printers' group: refused with the path and what to fix" {
	mkdir -m 0700 "$SP/elsewhere"
	ln -s "$SP/elsewhere" "$SP/link"
	IMPASS_SPOOL=$SP/link run -73 --separate-stderr spool ok.xml
	assert_regex "$stderr" "$SP/link is a symbolic link, not a folder"
	run -0 spool ok.xml
	IMPASS_PRINTER_GROUP=no-such-group-$$ run -78 --separate-stderr spool ok.xml
	assert_equal "$stderr" "spool-print: the printers' group no-such-group-$$ does not exist: create it (groupadd) or name another with --group"
}
