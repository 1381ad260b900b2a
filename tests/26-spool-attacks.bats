#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The spool against a user on the HQ LAN (README, Security; issue 18):
# spool-print runs as root, the printer stations' account (a throwaway
# user in a throwaway group, made here) moves job files in the queues and
# appends its acknowledgements to each queue's log. Each
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

@test "folders: the printers' group may enter the queues, move job files and append to the log, nothing else; tmp, held, rejected, state.db are root's alone" {
	run -0 spool ok.xml
	assert_equal "$(stat -c '%a %G' "$IMPASS_SPOOL")" "710 $PRN_GROUP"
	assert_equal "$(stat -c '%a %G' "$IMPASS_SPOOL/print/p01")" "750 $PRN_GROUP"
	assert_equal "$(stat -c '%a %G' "$IMPASS_SPOOL/print/p01/new")" "770 $PRN_GROUP"
	assert_equal "$(stat -c '%a %U %G' "$IMPASS_SPOOL/print/p01/log")" "660 root $PRN_GROUP"
	assert_equal "$(stat -c '%a' "$IMPASS_SPOOL/print/p01/tmp" "$IMPASS_SPOOL/held" "$IMPASS_SPOOL/state.db")" "$(printf '700\n700\n600')"
	f=$(find "$IMPASS_SPOOL/print/p01/new" -type f | head -n 1)
	assert_equal "$(stat -c '%a %G' "$f")" "640 $PRN_GROUP"
	run -0 as_printer cat "$f"
	run ! as_printer ls "$IMPASS_SPOOL/held"
	run ! as_printer touch "$IMPASS_SPOOL/print/p01/tmp/x"
	run ! as_printer ln -s /etc "$IMPASS_SPOOL/print/p01/x"
	# the log: appended to, never removed or replaced
	run -0 as_printer sh -c "printf '' >> $IMPASS_SPOOL/print/p01/log"
	run ! as_printer rm -f "$IMPASS_SPOOL/print/p01/log"
	run ! as_printer mv "$IMPASS_SPOOL/print/p01/log" "$IMPASS_SPOOL/print/p01/cur/"
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
	# every parked record is in its batch's file, known by its place in the stream
	assert_equal "$(parked_records "$IMPASS_SPOOL/rejected" | cut -d' ' -f2)" "$(grep '^<record ' evil.xml | grep -n 'status="rejected"' | cut -d: -f1 | xargs printf '%08d\n')"
	assert_equal "$(parked_records "$IMPASS_SPOOL/held" | wc -l)" "$(grep -c 'status="held"' evil.xml)"
	assert_equal "$(ls -A "$IMPASS_SPOOL/rejected" "$IMPASS_SPOOL/held" | grep -v ':$' | grep -v '^$' | grep -vc '^B-ATK-01\.parked$')" 0
	parked_records "$IMPASS_SPOOL/rejected" | grep -q '^B-ATK-01 [0-9]\{8\} /../../../victimfile rejected '
	# the two duplicates of row 3 are rejected, each a record of its own
	[ "$(grep -c '^<record [^>]*status="rejected"' evil.xml)" -ge 2 ]
}

@test "3: a job file planted in new/ under the batch's file name is quarantined and the genuine one written; an edited job file is an incident at --collect (65), never printed" {
	# an earlier night made the spool and its queues
	"$GEN" --seed 9 applications 1 > b0.csv
	ingest -b B-ATK-00 b0.csv 2> /dev/null | validate 2> /dev/null | render-mrz 2> /dev/null |
		sign -s "$APPROVER_FPR" --require validate,render-mrz > b0.xml 2> /dev/null
	run -0 spool b0.xml
	for q in p01 p02; do
		for p in 0 1 2; do as_printer sh -c "echo planted > $IMPASS_SPOOL/print/$q/new/$p-B-ATK-01.jobs"; done
	done
	run -65 --separate-stderr spool ok.xml
	assert_regex "$stderr" "incident: print/p0[12]/new/[012]-B-ATK-01.jobs is not the job file spool-print wrote \(its sha256 is [0-9a-f]{16}\.\.\., the file written was [0-9a-f]{16}\.\.\.\): moved to $IMPASS_SPOOL/incident/INC-[0-9]{8} for examination"
	# the ones under the batch's file names are out, the job files written in
	# their place; the others are not job files of the journal: --collect finds them
	used=$(grep -l '^impass-printjobs 1 B-ATK-01 ' "$IMPASS_SPOOL"/print/*/new/* | wc -l)
	[ "$used" -ge 2 ]
	assert_equal "$(grep -l planted "$IMPASS_SPOOL"/print/*/new/* 2> /dev/null | wc -l)" $((6 - used))
	assert_equal "$(grep -l planted "$IMPASS_SPOOL"/incident/INC-* | wc -l)" "$used"
	assert_equal "$("$TESTS"/print-jobs $(grep -l '^impass-printjobs 1 B-ATK-01 ' "$IMPASS_SPOOL"/print/*/new/*) | wc -l)" "$(grep -c '^<record [^>]*status="ok"' ok.xml)"
	# a surname changed (its length kept) in a job file in new/ by the printer account, then printed
	f=$(grep -l '^impass-printjobs 1 B-ATK-01 ' "$IMPASS_SPOOL"/print/*/new/* | tail -n 1)
	edited=$("$TESTS"/print-jobs "$f" | wc -l)
	as_printer perl -0pi -e 's#<surname>([^<]*)</surname>#"<surname>" . ("X" x length($1)) . "</surname>"#e' "$f"
	run -0 "$TESTS"/fake-printer "$IMPASS_SPOOL"
	run -65 --separate-stderr spool-print --collect
	assert_output ''
	assert_regex "$stderr" "incident: print/p0[12]/done/$(basename "$f") is not the job file spool-print wrote \(its sha256 is [0-9a-f]{16}\.\.\., the file written was [0-9a-f]{16}\.\.\.\): moved to $IMPASS_SPOOL/incident/INC-[0-9]{8} for examination; its $edited jobs? (is|are) not counted as printed from it"
	assert_regex "$stderr" 'nothing was collected: have them examined, then run --collect again'
	run -0 --separate-stderr spool-print --collect
	printed=$output
	run ! grep -q '<surname>XX*</surname>' <<< "$printed"
	# every printed job of both batches but the edited file's
	assert_equal "$(grep -c '^<record ' <<< "$printed")" $(( $(grep -c '^<record [^>]*status="ok"' ok.xml b0.xml | awk -F: '{ n += $2 } END { print n }') - edited ))
	# their laminates are not accounted for: the file is no longer where it was written
	run -65 spool-print --reconcile
	assert_line "does not balance: $edited laminates unaccounted for"
}

@test "4: a FIFO or a link to /etc/shadow as a queue's log: refused (73) naming it, --collect does not hang or read it" {
	run -0 spool ok.xml
	mv "$IMPASS_SPOOL/print/p02/log" "$SP/log.keep"
	mkfifo "$IMPASS_SPOOL/print/p02/log"
	run -73 --separate-stderr timeout 60 spool-print --collect
	assert_equal "$stderr" "spool-print: $IMPASS_SPOOL/print/p02/log is not a regular file of this account (uid 0): move it aside and run again"
	rm "$IMPASS_SPOOL/print/p02/log"
	ln -s /etc/shadow "$IMPASS_SPOOL/print/p02/log"
	run -73 --separate-stderr timeout 60 spool-print --collect
	assert_equal "$stderr" "spool-print: $IMPASS_SPOOL/print/p02/log is a symbolic link, not the log spool-print made: move it aside and run again"
	run ! grep -rq "$(head -n 1 /etc/shadow | cut -d: -f1):" "$IMPASS_SPOOL/state.db" "$IMPASS_SPOOL/incident"
	rm "$IMPASS_SPOOL/print/p02/log"
	mv "$SP/log.keep" "$IMPASS_SPOOL/print/p02/log"
	run -0 timeout 60 spool-print --collect
}

@test "5: the printers' log: forged, early, repeated, garbled or overlong acknowledgements are incidents, copied out, never counted; a changed or cut log too; each job is counted once" {
	run -0 spool ok.xml
	log=$IMPASS_SPOOL/print/p01/log
	f=$(ls "$IMPASS_SPOOL/print/p01/new" | head -n 1)
	read -r _ p1 n1 < <("$TESTS"/print-jobs "$IMPASS_SPOOL/print/p01/new/$f" | head -n 1)
	t=2026-12-07T10:00:00Z
	# acknowledged while its file waits in new/, a number of another queue, a
	# place that is not the job's, garbage, and a reason with control bytes
	other=$("$TESTS"/print-jobs "$IMPASS_SPOOL"/print/p02/new/* | head -n 1 | cut -d' ' -f3)
	printf '%s\n' "$f $p1 $n1 done $t" "$f 1 $other done $t" "$f 9 $n1 done $t" 'rm -rf /' > lines
	printf '%s 1 %s failed %s spoiled:\033[2J %s\n' "$f" "$n1" "$t" "$(printf 'x%.0s' $(seq 1 700))" >> lines
	as_printer tee -a "$log" < lines > /dev/null
	run -65 --separate-stderr spool-print --collect
	assert_equal "$output" ''
	assert_equal "${stderr_lines[0]}" "spool-print: incident: print/p01/log, byte 0: '$f $p1 $n1 done $t' is not an acknowledgement of a job at the printers (acknowledged while its job file was still in new/): copied to $IMPASS_SPOOL/incident/INC-00000001 for examination; it is not counted"
	assert_regex "${stderr_lines[1]}" "log, byte [0-9]+: .* \(no such job was written to this queue\): copied to $IMPASS_SPOOL/incident/INC-00000002 "
	assert_regex "${stderr_lines[2]}" "log, byte [0-9]+: .* \(no such job was written to this queue\): copied to $IMPASS_SPOOL/incident/INC-00000003 "
	assert_regex "${stderr_lines[3]}" "log, byte [0-9]+: 'rm -rf /' is not .* \(not FILE PLACE NUMBER done\|failed YYYY-MM-DDTHH:MM:SSZ \[REASON\]\): copied to $IMPASS_SPOOL/incident/INC-00000004 "
	assert_regex "${stderr_lines[4]}" "log, byte [0-9]+: '$f 1 $n1 failed [^']*\.\.\.' is not .* \(a line of more than 600 bytes\)"
	assert_regex "${stderr_lines[5]}" '^spool-print: 5 incidents in the queues .* nothing was collected'
	assert_equal "$(cat "$IMPASS_SPOOL"/incident/INC-00000004)" 'rm -rf /'
	# reported once: the next run goes past them. The station took the early
	# acknowledgement of $n1 for its own and never printed it: it is not
	# counted, and stays at the printers in the account
	run -0 "$TESTS"/fake-printer "$IMPASS_SPOOL"
	printed=$(grep -c ' done$' <<< "$output")
	refute_output --partial " $n1 "
	n2=$(awk '$1 == "p01" { print $4; exit }' <<< "$output")
	[ -n "$n2" ]
	# a repeat of a genuine acknowledgement, after the printer's own
	grep " $n2 " "$log" | tail -n 1 > again
	as_printer tee -a "$log" < again > /dev/null
	run -65 --separate-stderr spool-print --collect
	assert_regex "$stderr" "incident: print/p01/log, byte [0-9]+: '[^ ]+ [0-9]+ $n2 (done|failed) [0-9T:Z-]+[^']*' is not .* \(acknowledged twice in the log\)"
	run -0 --separate-stderr spool-print --collect
	assert_equal "$(grep -c '^<record ' <<< "$output")" "$printed"
	run ! grep -q "job=\"$n1\"" <<< "$output"
	run -0 spool-print --reconcile
	assert_line '  at the printers (spooled, not collected)   1'
	# collected lines changed afterwards, or the log cut: an incident, nothing counted again
	printf 3 | as_printer dd of="$log" conv=notrunc status=none
	run -65 --separate-stderr spool-print --collect
	assert_regex "$stderr" "incident: print/p01/log: the lines collected before were changed: copied to $IMPASS_SPOOL/incident/INC-[0-9]{8} for examination; what was collected from it stands"
	as_printer sh -c ": > $log"
	run -65 --separate-stderr spool-print --collect
	assert_regex "$stderr" "incident: print/p01/log: the log is shorter than what was collected from it: cut or replaced: copied to "
	run -0 --separate-stderr spool-print --collect
	assert_equal "$stderr" 'spool-print: nothing new to collect'
	run -0 spool-print --reconcile
	assert_line '  at the printers (spooled, not collected)   1'
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
