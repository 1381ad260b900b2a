#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Issue 18, the parts outside the spool: what a user on the HQ LAN (here the
# throwaway printer account of helpers.bash) can plant or type must not
# become trust or a file name.
# - The trust file as sshd's StrictModes: a regular file, opened without
#   following a link or waiting on a FIFO, owned by root or the running
#   user, not writable by group or others, and so every folder above it
#   (a sticky folder such as /tmp may be writable by others); else 77
#   naming the path and the fix.
# - Record ids SPEC-shaped and unique from ingest on: a bad, empty or
#   repeated tracking_id is a rejected record named ROW-<line>; validate
#   refuses a stream that breaks this; batch ids checked on both sides.
# - A signing key with a passphrase not preset fails at open (77), before
#   any record is read; a TMPDIR that cannot take a pipe's copy is named
#   with the batch.

bats_require_minimum_version 1.5.0
load helpers

R='<record xmlns="urn:impass:batch:1"'

setup_file() {
	keys_setup
	printer_setup
	stage_env
	cd "$KT" || return 1
	make_stream base.xml 3 B-SEC
	# a stream sealed by OTHER, a key the genuine trust file does not list
	{ cat k/trust; echo "$OTHER_FPR stage Someone else"; } > other.trust
	passthru -t other.trust --signer "$OTHER_FPR" base.xml > other.xml
	# a key with a passphrase, in a home of its own that also knows the stage key
	mkdir -m 700 k/pp
	gpg --homedir k/pp --batch --quiet --no-tty --passphrase secret --pinentry-mode loopback \
		--quick-gen-key 'impass locked <locked@impass.test>' ed25519 sign never 2> /dev/null
	gpg --homedir k/gen --batch --quiet --export "$STAGE_FPR" |
		gpg --homedir k/pp --batch --quiet --import 2> /dev/null
	LOCKED_FPR=$(gpg --homedir k/pp --with-colons --list-secret-keys locked@impass.test |
		awk -F: '/^fpr/ { print $10; exit }')
	gpgconf --homedir k/pp --kill gpg-agent
	{ cat k/trust; echo "$LOCKED_FPR stage Locked key"; } > locked.trust
	export LOCKED_FPR
}

teardown_file() {
	gpgconf --homedir "$KT/k/pp" --kill gpg-agent 2> /dev/null || true
	printer_teardown
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/base.xml "$KT"/other.xml .
	# a shared folder like /tmp (root's, sticky, anyone may write) and one
	# that root lets the printer stations' group write (not sticky)
	SHARED=$(mktemp -d /tmp/imp-sh.XXXXXX)
	chmod 1777 "$SHARED"
	GROUPW=$(mktemp -d /tmp/imp-gw.XXXXXX)
	chgrp "$PRINTER_GROUP" "$GROUPW"
	chmod 775 "$GROUPW"
}

teardown() {
	rm -rf "$SHARED" "$GROUPW"
}

# trust_refused FILE MESSAGE: inspect and validate both refuse base.xml with
# trust file FILE: 77, nothing written, stderr exactly MESSAGE after the
# program's name
trust_refused() {
	local prog
	for prog in inspect validate; do
		run -77 --separate-stderr "$prog" -t "$1" base.xml
		assert_output ''
		assert_equal "$stderr" "$prog: $2"
	done
}

# planted_trust: the genuine trust file plus OTHER as an approver and stage
planted_trust() {
	cat "$KT/k/trust"
	echo "$OTHER_FPR stage Planted"
	echo "$OTHER_FPR approver Planted"
}

# ---- the trust file -----------------------------------------------------------

@test "the genuine trust file in a sticky root folder (like /tmp) is taken; the keys' own chain passes too" {
	cp "$IMPASS_TRUST" "$SHARED/trust"
	run -0 --separate-stderr inspect -t "$SHARED/trust" base.xml
	assert_line --index 3 --partial 'seal        good: ingest by '
	run -0 --separate-stderr validate -t "$SHARED/trust" base.xml
	run -0 --separate-stderr validate base.xml
}

@test "a trust file the printer account planted in a sticky folder is refused (77), and the key it lists approves nothing" {
	planted_trust | as_printer tee "$SHARED/trust" > /dev/null
	assert_equal "$(stat -c %U "$SHARED/trust")" "$PRINTER"
	run -77 --separate-stderr inspect -t "$SHARED/trust" other.xml
	assert_output ''
	assert_equal "$stderr" "inspect: trust file $SHARED/trust is owned by $PRINTER (uid $PRINTER_UID), so it proves nothing; only root may own it: run chown root $SHARED/trust"
	trust_refused "$SHARED/trust" "trust file $SHARED/trust is owned by $PRINTER (uid $PRINTER_UID), so it proves nothing; only root may own it: run chown root $SHARED/trust"
	# the same lines in a file root owns: now the key is trusted
	cp "$SHARED/trust" "$PWD/trust" && chmod 644 trust
	run -0 --separate-stderr inspect -t "$PWD/trust" other.xml
}

@test "a trust file owned by nobody (chown by mistake) is refused (77) even in a safe folder" {
	cp "$IMPASS_TRUST" trust
	chown nobody trust
	trust_refused "$PWD/trust" "trust file $PWD/trust is owned by nobody (uid $(id -u nobody)), so it proves nothing; only root may own it: run chown root $PWD/trust"
}

@test "a trust file in a folder the printers' group may write is refused (77) before and after the printer swaps it" {
	cp "$IMPASS_TRUST" "$GROUPW/trust"
	msg="folder $GROUPW above trust file $GROUPW/trust is writable by group or others, who could swap the trust file; run chmod go-w $GROUPW"
	trust_refused "$GROUPW/trust" "$msg"
	# the swap a group member can make there: its own file renamed over root's
	planted_trust | as_printer tee "$GROUPW/trust.new" > /dev/null
	run -0 as_printer mv -f "$GROUPW/trust.new" "$GROUPW/trust"
	trust_refused "$GROUPW/trust" "$msg"
	# the same folder once only root may write it, with root's file: taken
	chmod 755 "$GROUPW"
	rm "$GROUPW/trust"
	cp "$IMPASS_TRUST" "$GROUPW/trust"
	run -0 --separate-stderr inspect -t "$GROUPW/trust" base.xml
}

@test "a folder higher up that others may write, or that another user owns, is refused (77) naming that folder" {
	mkdir -p "$GROUPW/etc/impass"
	cp "$IMPASS_TRUST" "$GROUPW/etc/impass/trust"
	trust_refused "$GROUPW/etc/impass/trust" "folder $GROUPW above trust file $GROUPW/etc/impass/trust is writable by group or others, who could swap the trust file; run chmod go-w $GROUPW"
	chmod 755 "$GROUPW"
	chown "$PRINTER" "$GROUPW/etc"
	trust_refused "$GROUPW/etc/impass/trust" "folder $GROUPW/etc above trust file $GROUPW/etc/impass/trust is owned by $PRINTER (uid $PRINTER_UID), who could swap the trust file; only root may own it: run chown root $GROUPW/etc, or keep the trust file elsewhere"
	chown root "$GROUPW/etc"
	chmod 757 "$GROUPW/etc/impass"
	trust_refused "$GROUPW/etc/impass/trust" "folder $GROUPW/etc/impass above trust file $GROUPW/etc/impass/trust is writable by group or others, who could swap the trust file; run chmod go-w $GROUPW/etc/impass"
}

@test "a symlinked trust file is refused (77), even pointing at the genuine one; a symlinked folder is followed to the real one and that is checked" {
	as_printer ln -s "$IMPASS_TRUST" "$SHARED/trust"
	trust_refused "$SHARED/trust" "trust file $SHARED/trust is a symbolic link, which anyone who can write its folder could point elsewhere; name the file itself"
	ln -s "$IMPASS_TRUST" trust
	trust_refused "$PWD/trust" "trust file $PWD/trust is a symbolic link, which anyone who can write its folder could point elsewhere; name the file itself"
	# a link to a safe folder: the real folders are the ones checked
	ln -s "$(dirname "$IMPASS_TRUST")" keys
	run -0 --separate-stderr inspect -t "$PWD/keys/trust" base.xml
	# a link to the group-writable folder: refused by that folder's name
	cp "$IMPASS_TRUST" "$GROUPW/trust"
	ln -s "$GROUPW" gw
	trust_refused "$PWD/gw/trust" "folder $GROUPW above trust file $PWD/gw/trust is writable by group or others, who could swap the trust file; run chmod go-w $GROUPW"
}

@test "a trust file with a second name (a hard link) is refused (77): it may be another file of root's" {
	cp "$IMPASS_TRUST" "$SHARED/genuine"
	ln "$SHARED/genuine" "$SHARED/trust"
	trust_refused "$SHARED/trust" "trust file $SHARED/trust has 2 names (hard links), so it may be another file than the one kept; put a copy of its own there"
	rm "$SHARED/genuine"
	run -0 --separate-stderr inspect -t "$SHARED/trust" base.xml
}

@test "a FIFO, a folder or a file over 1 MiB as the trust file is refused (77) at once: nothing waits for a writer" {
	as_printer mkfifo -m 644 "$SHARED/trust"
	# timeout only stops a hang from stopping the suite; it asserts no time
	run -77 --separate-stderr timeout 60 inspect -t "$SHARED/trust" base.xml
	assert_equal "$stderr" "inspect: trust file $SHARED/trust is not a regular file of at most 1 MiB; put the trust file itself there"
	run -77 --separate-stderr timeout 60 validate -t "$SHARED/trust" base.xml
	assert_output ''
	mkdir d
	trust_refused "$PWD/d" "trust file $PWD/d is not a regular file of at most 1 MiB; put the trust file itself there"
	{ cat "$IMPASS_TRUST"; head -c 1048576 /dev/zero | tr '\0' '#'; } > big
	trust_refused "$PWD/big" "trust file $PWD/big is not a regular file of at most 1 MiB; put the trust file itself there"
}

@test "run as the printer account, its own trust file is taken and another user's is refused naming both" {
	# the printer's own GnuPG home (public keys) and trust file, in its own folder
	P=$(mktemp -d "$SHARED/p.XXXXXX")
	cp -r "$KT/k/v" "$P/gpg"
	cp "$IMPASS_TRUST" "$P/trust"
	# the program too: the tree under test may be in a folder only root can enter
	cp base.xml "$IMP_BIN/inspect" "$P"
	chown -R "$PRINTER:$PRINTER_GROUP" "$P"
	chmod 755 "$P"
	run -0 --separate-stderr as_printer env GNUPGHOME="$P/gpg" "$P/inspect" -t "$P/trust" "$P/base.xml"
	assert_line --index 3 --partial 'seal        good: ingest by '
	chown nobody "$P/trust"
	run -77 --separate-stderr as_printer env GNUPGHOME="$P/gpg" "$P/inspect" -t "$P/trust" "$P/base.xml"
	assert_equal "$stderr" "inspect: trust file $P/trust is owned by nobody (uid $(id -u nobody)), so it proves nothing; only root or $PRINTER (uid $PRINTER_UID) may own it: run chown root $P/trust"
}

# ---- record and batch ids -------------------------------------------------------

# ids FILE: the record ids of FILE, one a line
ids() { records "$1" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/'; }

@test "tracking ids with a slash, a path or lower case become rejected records named ROW-<line>; the value stays only as text" {
	"$GEN" applications 4 > a.csv
	awk -F, -v OFS=, 'NR == 3 { $1 = "/../../../victimfile" } NR == 4 { $1 = "ISB/2026/1" }
		NR == 5 { $1 = "isb-2026-1" } { print }' a.csv > bad.csv
	run -0 --separate-stderr ingest -b B-IDS bad.csv
	assert_equal "$stderr" "ingest: B-IDS: 4 in, 1 ok, 3 rejected, 0 held, ${stderr##*held, }"
	printf '%s\n' "$output" > bad.xml
	assert_equal "$(ids bad.xml | tr '\n' ' ')" "$(sed -n 2p a.csv | cut -d, -f1) ROW-3 ROW-4 ROW-5 "
	run -0 grep -c '<step stage="ingest" result="rejected" code="TRACKING_ID_FORMAT">' bad.xml
	assert_output 3
	run -0 grep -o '<step stage="ingest" result="rejected" code="TRACKING_ID_FORMAT">[^<]*</step>' bad.xml
	assert_output - <<-EOF
	<step stage="ingest" result="rejected" code="TRACKING_ID_FORMAT">bad.csv line 3: tracking_id '/../../../victimfile' is not 1 to 24 capital letters, digits and dashes, so the record is named ROW-3; correct it and submit the row again</step>
	<step stage="ingest" result="rejected" code="TRACKING_ID_FORMAT">bad.csv line 4: tracking_id 'ISB/2026/1' is not 1 to 24 capital letters, digits and dashes, so the record is named ROW-4; correct it and submit the row again</step>
	<step stage="ingest" result="rejected" code="TRACKING_ID_FORMAT">bad.csv line 5: tracking_id 'isb-2026-1' is not 1 to 24 capital letters, digits and dashes, so the record is named ROW-5; correct it and submit the row again</step>
	EOF
	run -0 grep -c '<tracking_id>/../../../victimfile</tracking_id>' bad.xml
	assert_output 1
	# and validate takes the stream: it checks the ok record, passes the others
	run -0 --separate-stderr validate bad.xml
	printf '%s\n' "$output" > bv.xml
	stage_conserved validate "$stderr" bv.xml B-IDS
}

@test "one tracking id on three rows: the first keeps it, the others are rejected as ROW-<line> naming it; no two records share an id" {
	"$GEN" applications 4 > a.csv
	first=$(sed -n 2p a.csv | cut -d, -f1)
	awk -F, -v OFS=, -v id="$first" 'NR == 3 || NR == 5 { $1 = id } { print }' a.csv > dup.csv
	run -0 --separate-stderr ingest -b B-DUP dup.csv
	printf '%s\n' "$output" > dup.xml
	assert_equal "$(ids dup.xml | tr '\n' ' ')" "$first ROW-3 $(sed -n 4p a.csv | cut -d, -f1) ROW-5 "
	assert_equal "$(ids dup.xml | sort | uniq -d)" ""
	run -0 grep -o '<step stage="ingest" result="rejected" [^>]*>[^<]*</step>' dup.xml
	assert_output - <<-EOF
	<step stage="ingest" result="rejected" code="TRACKING_ID_DUPLICATE">dup.csv line 3: tracking_id $first was already used by record 1 of this batch, so this record is named ROW-3; one application, one tracking id</step>
	<step stage="ingest" result="rejected" code="TRACKING_ID_DUPLICATE">dup.csv line 5: tracking_id $first was already used by record 1 of this batch, so this record is named ROW-5; one application, one tracking id</step>
	EOF
	run -0 --separate-stderr validate dup.xml
	printf '%s\n' "$output" > dv.xml
	stage_conserved validate "$stderr" dv.xml B-DUP
	assert_equal "$(ids dv.xml | sort | uniq -d)" ""
}

@test "a generated name already taken by a tracking id, or by an earlier file of an archive, gets a suffix: ROW-N-2" {
	"$GEN" applications 3 > a.csv
	awk -F, -v OFS=, 'NR == 2 { $1 = "ROW-3" } NR == 3 { $1 = "" } NR == 4 { $1 = "ROW-3" } { print }' a.csv > one.csv
	run -0 --separate-stderr ingest -b B-GEN one.csv
	printf '%s\n' "$output" > one.xml
	assert_equal "$(ids one.xml | tr '\n' ' ')" "ROW-3 ROW-3-2 ROW-4 "
	run -0 grep -o 'code="[A-Z_]*">[^<]*</step>' one.xml
	assert_line --index 1 'code="INGEST_NO_ID">one.csv line 3: tracking_id is empty, so the record is named ROW-3-2; give the application its tracking id and submit it again</step>'
	assert_line --index 2 'code="TRACKING_ID_DUPLICATE">one.csv line 4: tracking_id ROW-3 was already used by record 1 of this batch, so this record is named ROW-4; one application, one tracking id</step>'
	# two copies of one file in an archive, each with an empty id on line 2:
	# the second copy's line 2 is ROW-2-2, its other rows repeat ids
	awk -F, -v OFS=, 'NR == 2 { $1 = "" } { print }' a.csv > x.csv
	cp x.csv y.csv
	tar -cf two.tar x.csv y.csv
	run -0 --separate-stderr ingest -b B-TAR two.tar
	printf '%s\n' "$output" > two.xml
	t2=$(sed -n 3p a.csv | cut -d, -f1) t3=$(sed -n 4p a.csv | cut -d, -f1)
	assert_equal "$(ids two.xml | tr '\n' ' ')" "ROW-2 $t2 $t3 ROW-2-2 ROW-3 ROW-4 "
	assert_equal "$(ids two.xml | sort | uniq -d)" ""
}

# forged FILE ID...: base.xml with its records' ids replaced by ID... in
# order, resealed by the stage key (a stream no ingest of this version makes)
forged() {
	local out=$1 i=0 line
	shift
	local -a new=("$@")
	while IFS= read -r line; do
		if [[ $line == '<record '* ]]; then
			line=$(sed "s|^\\(<record [^>]* id=\"\\)[^\"]*|\\1${new[i]}|" <<< "$line")
			i=$((i + 1))
		fi
		printf '%s\n' "$line"
	done < base.xml > "$out.tmp"
	reseal "$out.tmp" "$STAGE_FPR" ingest > "$out"
}

@test "validate refuses (65) a stream whose record id is not SPEC-shaped or repeated, whatever the record's status, before any record" {
	forged f1.xml "$(ids base.xml | sed -n 1p)" 'a/../b' "$(ids base.xml | sed -n 3p)"
	run -0 --separate-stderr inspect f1.xml
	assert_line --index 3 --partial 'seal        good: ingest by '
	run -65 --separate-stderr validate f1.xml
	assert_output ''
	assert_equal "$stderr" "validate: B-SEC: record 2 has the id 'a/../b', which is not 1 to 24 capital letters, digits and dashes; this ingest never writes one: ingest the CSV again"
	# a rejected record is refused the same: later stages pass it along
	sed '2,$s/^\(<record [^>]*\) status="ok">/\1 status="rejected">/' base.xml > rej.xml
	cp rej.xml base.xml
	forged f2.xml 'X' "$(printf 'A%.0s' {1..25})" 'Y'
	run -65 --separate-stderr validate f2.xml
	assert_equal "$stderr" "validate: B-SEC: record 2 has the id '$(printf 'A%.0s' {1..25})', which is not 1 to 24 capital letters, digits and dashes; this ingest never writes one: ingest the CSV again"
	forged f3.xml 'X' $'\x1b[2J' 'Y'
	run -65 --separate-stderr validate f3.xml
	assert_equal "$stderr" "validate: B-SEC: record 2 has the id '?[2J', which is not 1 to 24 capital letters, digits and dashes; this ingest never writes one: ingest the CSV again"
	forged f4.xml 'SAME-1' 'OTHER' 'SAME-1'
	run -65 --separate-stderr validate f4.xml
	assert_output ''
	assert_equal "$stderr" "validate: B-SEC: records 1 and 3 share the id SAME-1; this ingest never writes two: ingest the CSV again"
}

@test "batch ids: ingest -b and every stage refuse one that could be a path" {
	run -64 --separate-stderr ingest -b ../x /nonexistent
	assert_output ''
	assert_equal "$stderr" "ingest: batch id '../x' is not 1-64 of [A-Za-z0-9._-] starting with a letter or digit"
	run -64 --separate-stderr ingest -b 'B/1' /nonexistent
	sed '2s/ id="B-SEC"/ id="B\/SEC"/' base.xml > b.tmp
	reseal b.tmp "$STAGE_FPR" ingest > b.xml
	run -65 --separate-stderr validate b.xml
	assert_output ''
	assert_equal "$stderr" "validate: B/SEC: b.xml line 2: batch id 'B/SEC' is not 1-64 of [A-Za-z0-9._-] starting with a letter or digit"
}

# ---- the signing key and TMPDIR ----------------------------------------------------

@test "a signing key with a passphrase not preset in gpg-agent is refused (77) before any input is read" {
	export GNUPGHOME=$KT/k/pp IMPASS_TRUST=$KT/locked.trust
	msg="key $LOCKED_FPR has a passphrase and none is preset in gpg-agent (No pinentry); preset it with gpg-preset-passphrase (allow-preset-passphrase in gpg-agent.conf) or use a key without one"
	# the input does not even exist: the key fails first
	run -77 --separate-stderr ingest -s "$LOCKED_FPR" -b B-LOCK /nonexistent
	assert_output ''
	assert_equal "$stderr" "ingest: $msg"
	run -77 --separate-stderr validate -s "$LOCKED_FPR" /nonexistent
	assert_output ''
	assert_equal "$stderr" "validate: $msg"
	# a pipe is left unread
	run -77 --separate-stderr bash -c 'cat base.xml | validate -s "$LOCKED_FPR"'
	assert_equal "$stderr" "validate: $msg"
	# the same home's key-less stage: fine, so the probe is what refused
	run -0 --separate-stderr env GNUPGHOME="$KT/k/g" IMPASS_TRUST="$KT/k/trust" validate base.xml
}

@test "TMPDIR that cannot hold a pipe's copy: the message names TMPDIR and the batch (73 unwritable, 74 full)" {
	touch notadir
	run -73 --separate-stderr bash -c 'cat base.xml | TMPDIR=$PWD/notadir validate'
	assert_output ''
	assert_equal "$stderr" "validate: B-SEC: cannot create a temporary file in TMPDIR $PWD/notadir for batch B-SEC read from standard input: Not a directory; set TMPDIR to a writable directory"
	# full: files limited to 8 KiB (the signal ignored, so write fails with EFBIG)
	make_stream big.xml 40 B-BIG
	mkdir tmp
	run -74 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 8; cat big.xml | TMPDIR=$PWD/tmp validate > /dev/null'
	assert_equal "$stderr" "validate: B-BIG: TMPDIR $PWD/tmp is full (File too large) while keeping a copy of batch B-BIG read from standard input; free space there, or set TMPDIR to a directory with room for the whole stream"
	assert_equal "$(ls -A tmp)" ""
}
