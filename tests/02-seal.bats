#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The seal of SPEC 3: an independent implementation agrees with ours, and
# every kind of tampering or wrong key is refused with nothing written.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 7 > base.csv
	ingest -b B-TEST-01 base.csv > base.xml
	ingest -b B-TEST-02 base.csv > other-batch.xml
	passthru base.xml > base2.xml
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/base.csv "$KT"/base.xml "$KT"/base2.xml "$KT"/other-batch.xml .
}

# passthru FILE must refuse with CODE and a message containing TEXT, writing nothing
refused() {
	run -"$1" --separate-stderr passthru "$2"
	assert_output ''
	[[ $stderr == *"$3"* ]] || fail "stderr: $stderr"
}

with_trust_line() {                    # a copy of the trust file with one more key
	cp "$IMPASS_TRUST" trust
	echo "$1" >> trust
	export IMPASS_TRUST=$PWD/trust
}

@test "ingest's seal verifies with an independent Merkle root and gpg --verify" {
	seal=$(grep '^<seal ' base.xml)
	root=$(ind_root base.xml)
	assert_equal "$(attr "$seal" root)" "sha256:$root"
	assert_equal "$(attr "$seal" count)" 7
	assert_equal "$(attr "$seal" signer)" "$STAGE_FPR"
	ind_statement base.xml ingest 7 "$root" "$(attr "$seal" created)" > statement
	sed -n 's/^<seal [^>]*>\([^<]*\)<\/seal>$/\1/p' base.xml | base64 -d > sig
	run gpg --homedir "$KT/k/v" --status-fd 1 --verify sig statement
	assert_success
	assert_line --partial "[GNUPG:] VALIDSIG $STAGE_FPR"
}

@test "a later stage's seal covers its provenance line, checked independently" {
	seal=$(grep '^<seal ' base2.xml)
	root=$(ind_root base2.xml)
	assert_equal "$(attr "$seal" root)" "sha256:$root"
	ind_statement base2.xml passthru 7 "$root" "$(attr "$seal" created)" > statement
	grep -q '^provenance=sha256:' statement
	sed -n 's/^<seal [^>]*>\([^<]*\)<\/seal>$/\1/p' base2.xml | base64 -d > sig
	run gpg --homedir "$KT/k/v" --status-fd 1 --verify sig statement
	assert_line --partial "[GNUPG:] VALIDSIG $STAGE_FPR"
	# the statement with the provenance line left out must not verify
	grep -v '^provenance=' statement > bare
	run gpg --homedir "$KT/k/v" --verify sig bare
	assert_failure
}

@test "a stage passes records through byte for byte and appends the input's seal to the provenance" {
	run -0 passthru base.xml
	in_seal=$(grep '^<seal ' base.xml)
	want="<provenance><sealed stage=\"ingest\" signer=\"$STAGE_FPR\" count=\"7\" root=\"$(attr "$in_seal" root)\" created=\"$(attr "$in_seal" created)\"/></provenance>"
	assert_equal "$(sed -n 3p base2.xml)" "$want"
	diff <(grep '^<record ' base.xml) <(grep '^<record ' base2.xml)
	assert_equal "$(sed -n 2p base2.xml)" '<batch xmlns="urn:impass:batch:1" id="B-TEST-01" kind="application">'
	assert_equal "$(tail -n 1 base2.xml)" '</batch>'
}

@test "verification works in a home that only imported the public keys" {
	GNUPGHOME=$KT/k/v run -0 inspect base2.xml
	assert_line --partial "seal        good: passthru by $STAGE_FPR (Night stage key)"
}

@test "one byte changed in a record is refused" {
	sed '3s/<surname>./<surname>Q/' base.xml > t.xml
	refute cmp -s base.xml t.xml
	refused 65 t.xml "the records do not hash to the sealed root"
}

@test "a record dropped is refused" {
	sed '5d' base.xml > t.xml
	refused 65 t.xml "the seal counts 7 records but the stream holds 6"
}

@test "two records swapped are refused" {
	sed -n '1,2p' base.xml > t.xml
	sed -n 4p base.xml >> t.xml
	sed -n 3p base.xml >> t.xml
	sed -n '5,$p' base.xml >> t.xml
	refused 65 t.xml "the records do not hash to the sealed root"
}

@test "a record injected is refused" {
	sed '4p' base.xml > t.xml
	refused 65 t.xml "the seal counts 7 records but the stream holds 8"
}

@test "the seal line of another batch spliced in is refused" {
	# same records, so count and root agree: only the signed batch id differs
	grep -v '^<seal ' base.xml | sed '$d' > t.xml
	grep '^<seal ' other-batch.xml >> t.xml
	echo '</batch>' >> t.xml
	refused 65 t.xml "bad signature"
}

@test "a stream cut short is refused" {
	head -n 6 base.xml > t.xml
	refused 65 t.xml "ends after record 4 with no seal"
	head -c 2000 base.xml > t.xml
	refused 65 t.xml "B-TEST-01"
	sed '$d' base.xml > t.xml
	refused 65 t.xml "expected </batch> after the seal"
}

@test "a seal by a key nobody here knows is refused as an unknown signer" {
	reseal base.xml "$STRANGER_FPR" "" "$KT/k/s" > t.xml
	refused 77 t.xml "sealed by key $STRANGER_FPR, which is neither in the keyring nor in the trust file"
}

@test "a good signature by a key that is not in the trust file is refused" {
	reseal base.xml "$OTHER_FPR" > t.xml
	refused 77 t.xml "key $OTHER_FPR is not in the trust file"
}

@test "tampered records resealed by an untrusted key are still refused" {
	sed '3s/<surname>./<surname>Q/' base.xml > t0.xml
	reseal t0.xml "$OTHER_FPR" > t.xml
	refused 77 t.xml "is not in the trust file"
}

@test "a stage key where an approver is required is refused" {
	reseal base.xml "$STAGE_FPR" sign > t.xml
	refused 77 t.xml "may not seal stage sign: that needs the approver role"
	reseal base.xml "$APPROVER_FPR" sign > t.xml
	run -0 --separate-stderr passthru t.xml
	run -77 --separate-stderr passthru --only sign base.xml
	assert_output ''
	[[ $stderr == *"takes only streams sealed by sign; this one was sealed by ingest"* ]]
}

@test "an approver key may not seal an ordinary stage" {
	reseal base.xml "$APPROVER_FPR" > t.xml
	refused 77 t.xml "may not seal stage ingest: that needs the stage role"
}

@test "a seal by an expired key is refused" {
	with_trust_line "$EXPIRED_FPR stage Expired key"
	reseal base.xml "$EXPIRED_FPR" "" "$KT/k/gen" --faked-system-time 20200101T120000! > t.xml
	refused 77 t.xml "which has expired"
}

@test "a seal by a revoked key is refused" {
	with_trust_line "$REVOKED_FPR stage Revoked key"
	reseal base.xml "$REVOKED_FPR" > t.xml
	refused 77 t.xml "which is revoked"
}

@test "a seal that names another signer than the one who signed is refused" {
	sed "s/signer=\"$STAGE_FPR\" created/signer=\"$APPROVER_FPR\" created/" base.xml > t.xml
	refused 65 t.xml "the seal names signer $APPROVER_FPR but was signed by $STAGE_FPR"
}

@test "a seal with two signatures, the good one first, is refused" {
	seal=$(grep '^<seal ' base.xml)
	ind_statement base.xml ingest 7 "$(ind_root base.xml)" "$(attr "$seal" created)" > st
	gpg --homedir "$KT/k/gen" --batch -u "$STAGE_FPR" --detach-sign -o s1 st
	gpg --homedir "$KT/k/gen" --batch -u "$OTHER_FPR" --detach-sign -o s2 st
	two=$(cat s1 s2 | base64 -w0)
	sed "s|^\(<seal [^>]*>\)[^<]*</seal>|\1$two</seal>|" base.xml > t.xml
	refused 65 t.xml "the seal holds 2 signatures; exactly one is allowed"
}

@test "a seal whose signature is not base64 is refused" {
	sed 's|^\(<seal [^>]*>\)[^<]*</seal>|\1not*base64</seal>|' base.xml > t.xml
	refused 65 t.xml "the seal's signature is not base64"
}

@test "a trust file that others may write is refused" {
	cp "$IMPASS_TRUST" trust
	chmod 666 trust
	IMPASS_TRUST=$PWD/trust refused 77 base.xml "is writable by group or others"
}

@test "a signer that may not seal this stage is refused before the input is read" {
	IMPASS_SIGNER=$APPROVER_FPR run -77 --separate-stderr passthru /nonexistent
	assert_output ''
	[[ $stderr == *"may not seal stage passthru: that needs the stage role"* ]]
}

@test "no signing key is a usage error, a missing secret key is 69" {
	IMPASS_SIGNER= run -64 --separate-stderr passthru base.xml
	[[ $stderr == *"no signing key: pass --signer FINGERPRINT or set IMPASS_SIGNER"* ]]
	GNUPGHOME=$KT/k/v run -69 --separate-stderr passthru base.xml
	[[ $stderr == *"no secret key $STAGE_FPR"* ]]
}

@test "a record line over 1 MiB is a stream error" {
	{
		sed -n 1,2p base.xml
		sed -n 3p base.xml | cut -c1-200 | tr -d '\n'
		head -c 1100000 /dev/zero | tr '\0' A
		sed -n 3p base.xml | cut -c201-
		sed -n '4,$p' base.xml
	} > t.xml
	assert_equal "$(wc -l < t.xml)" "$(wc -l < base.xml)"
	refused 65 t.xml "line 3 is longer than 1 MiB"
}

@test "a DOCTYPE or any other line in place of a record is a stream error" {
	sed '3i <!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' base.xml > t.xml
	refused 65 t.xml "line 3: expected a record or the <seal> line"
	sed '3s/^<record xmlns="urn:impass:batch:1" /<record /' base.xml > t.xml
	refused 65 t.xml "line 3: record 1 is not one <record"
}

@test "an empty batch seals the root of the empty tree and flows on" {
	head -n 1 base.csv > empty.csv
	run -0 --separate-stderr ingest -b B-EMPTY --allow-empty empty.csv
	echo "$output" > empty.xml
	assert_equal "$(grep -c '^<record ' empty.xml)" 0
	seal=$(grep '^<seal ' empty.xml)
	assert_equal "$(attr "$seal" root)" "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	assert_equal "$(attr "$seal" count)" 0
	assert_equal "$stderr" "ingest: B-EMPTY: 0 in, 0 ok, 0 rejected, 0 held, $(sed -n 's/.*held, //p' <<< "$stderr")"
	run -0 --separate-stderr passthru empty.xml
	[[ $stderr == "passthru: B-EMPTY: 0 in, 0 ok, 0 rejected, 0 held, "* ]]
}
