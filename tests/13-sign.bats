#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sign (SPEC 3, 4, 6, 7; issue 8): the approval. Every ok record that has an
# ok step of every required stage gets SIGN_APPROVED, the others are held
# with SIGN_STAGE_MISSING naming what they missed; records not ok pass
# through byte for byte. The output is sealed by the stage sign with an
# approver key that did not seal the batch's ingest (four eyes); any other
# key, a bad input or a batch already approved is refused with nothing
# written.
# Built once in setup_file: a batch of 8 generated applications (2 rejected
# and 1 held by validate, 5 ok) through ingest, validate and render-mrz; the
# same batch approved; a citizenship batch of 4 (1 held by validate); and
# the same applications ingested by the approver's key (which a second trust
# file also lists as a stage key), for four eyes, with a second approver key.

bats_require_minimum_version 1.5.0
load helpers

USAGE='usage: sign [--require STAGE,...] [--state DB] [-s FPR] [-t FILE] [--counts FILE]
            [FILE|-]'
RANGE=AA1000000-AA1999999
APPROVED='<step stage="sign" result="ok" code="SIGN_APPROVED">approved: passed validate, render-mrz</step>'
HELD_DEFAULT='<step stage="sign" result="held" code="SIGN_STAGE_MISSING">not approved: no ok step of verify-fee, verify-nadra, screen-pcl, dedup; every record must pass each of the required stages before it is approved</step>'
HELD_MRZ='<step stage="sign" result="held" code="SIGN_STAGE_MISSING">not approved: no ok step of render-mrz; every record must pass the required stage before it is approved</step>'
HELD_DEDUP='<step stage="sign" result="held" code="SIGN_STAGE_MISSING">not approved: no ok step of dedup; every record must pass the required stage before it is approved</step>'

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	# a second approver, made where mkkeys made the others and imported
	# into the working home like them (of unknown validity there)
	gpg --homedir "$KT/k/gen" --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback \
		--quick-gen-key 'impass approver2 <approver2@impass.test>' ed25519 sign never 2> /dev/null
	APPROVER2_FPR=$(gpg --homedir "$KT/k/gen" --with-colons --list-keys approver2@impass.test |
		awk -F: '/^fpr/ { print $10; exit }')
	export APPROVER2_FPR
	gpg --homedir "$KT/k/gen" --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback \
		--export-secret-keys "$APPROVER2_FPR" |
		gpg --homedir "$KT/k/g" --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback \
			--import 2> /dev/null
	"$GEN" applications 8 > a.csv
	# row 2 rejected (sex Q), row 3 held (previous passport), row 4 rejected (CNIC)
	sed -i -e '2s/^\(\([^,]*,\)\{7\}\)[MF],/\1Q,/' \
		-e '3s/,\(5\|10\),\(36\|72\|100\),[^,]*,/,\1,\2,XYZ,/' \
		-e '4s/,[0-9]\{5\}-\{0,1\}[0-9]\{7\}-\{0,1\}[0-9],/,123,/' a.csv
	ingest -b B-SIGN a.csv 2> /dev/null | validate > v.xml 2> /dev/null
	render-mrz --state "$KT/mrz.db" --add-range A "$RANGE" 2> /dev/null
	render-mrz --state "$KT/mrz.db" v.xml > m.xml 2> /dev/null
	[ "$(grep -c '^<record [^>]* status="ok">' m.xml)" -eq 5 ]
	[ "$(grep -c '^<record [^>]* status="held">' m.xml)" -eq 1 ]
	[ "$(grep -c '^<record [^>]* status="rejected">' m.xml)" -eq 2 ]
	sign -s "$APPROVER_FPR" --require validate,render-mrz m.xml > s.xml 2> /dev/null
	"$GEN" registers 4 > r.csv
	ingest -k citizenship -b B-CIT r.csv > ci.xml 2> /dev/null
	validate ci.xml > cv.xml 2> /dev/null
	# four eyes: a trust file where the approver may also seal stage streams
	cp "$IMPASS_TRUST" t4
	chmod 600 t4
	echo "$APPROVER_FPR stage Officer" >> t4
	echo "$APPROVER2_FPR approver Officer Bilal Ahmed" >> t4
	IMPASS_TRUST=$KT/t4 ingest -b B-4EYES -s "$APPROVER_FPR" a.csv > i4.xml 2> /dev/null
	# the same applications as B-SIGN: another office's ledger, or render-mrz
	# would hold them (each application gets one passport)
	render-mrz --state "$KT/mrz4.db" --add-range A "$RANGE" 2> /dev/null
	IMPASS_TRUST=$KT/t4 validate i4.xml 2> /dev/null |
		IMPASS_TRUST=$KT/t4 render-mrz --state "$KT/mrz4.db" > m4.xml 2> /dev/null
	[ "$(grep -c '^<record ' m4.xml)" -eq 8 ]
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/*.xml "$KT"/*.csv .
}

seal_of() { grep '^<seal ' "$1"; }
id_of() { sed 's/^<record [^>]* id="\([^"]*\)".*/\1/'; }
record_of() { grep -F -e " id=\"$1\" " "$2"; }
# sign's step of the record with id ID in FILE
sign_step() { record_of "$1" "$2" | grep -o '<step stage="sign" [^>]*>[^<]*</step>'; }

# expect FILE STEP [STATUS]: FILE's record lines as sign must write them: each
# ok record with STEP last in its trail (and its status STATUS), the others
# byte for byte
expect() {
	records "$1" | sed "/^<record [^>]* status=\"ok\">/{
		s/^\(<record [^>]*\) status=\"ok\">/\1 status=\"${3:-ok}\">/
		s|</trail></record>\$|$2</trail></record>|
	}"
}

# summary BATCH IN OK REJECTED HELD: sign's one line on stderr
summary() {
	assert_regex "$stderr" "^sign: $1: $2 in, $3 ok, $4 rejected, $5 held, [0-9]+\\.[0-9] s\$"
}

# signs OUT ARGS...: sign ARGS must succeed; its stream in OUT
signs() {
	local out=$1
	shift
	run -0 --separate-stderr sign "$@"
	printf '%s\n' "$output" > "$out"
}

# refused CODE MESSAGE ARGS...: sign ARGS exits CODE, writes nothing on
# stdout and exactly MESSAGE on stderr
refused() {
	local code=$1 msg=$2
	shift 2
	run -"$code" --separate-stderr sign "$@"
	assert_output ''
	assert_equal "$stderr" "$msg"
}

# ---- approval ---------------------------------------------------------------------

@test "approved: every ok record gets SIGN_APPROVED naming the stages it passed; in = ok + held + rejected" {
	signs o.xml --require validate,render-mrz -s "$APPROVER_FPR" m.xml
	summary B-SIGN 8 5 2 1
	diff <(expect m.xml "$APPROVED") <(records o.xml)
	assert_equal "$(grep -c "$APPROVED</trail></record>\$" o.xml)" 5
	assert_equal "$(grep -c 'stage="sign"' o.xml)" 6      # 5 steps and the seal
	in=$(records o.xml | wc -l)
	ok=$(grep -c '^<record [^>]* status="ok">' o.xml)
	held=$(grep -c '^<record [^>]* status="held">' o.xml)
	rejected=$(grep -c '^<record [^>]* status="rejected">' o.xml)
	assert_equal "$in" $((ok + held + rejected))
	assert_equal "$ok $held $rejected" '5 1 2'
	# the same from stdin, as '-' and as no file; -r is --require
	signs i.xml -r validate,render-mrz -s "$APPROVER_FPR" - < m.xml
	diff <(records o.xml) <(records i.xml)
	signs i.xml -r validate,render-mrz -s "$APPROVER_FPR" < m.xml
	diff <(records o.xml) <(records i.xml)
	# IMPASS_SIGNER names the approver when -s does not
	IMPASS_SIGNER=$APPROVER_FPR signs i.xml --require 'validate, render-mrz' m.xml
	diff <(records o.xml) <(records i.xml)
}

@test "the approval's seal: stage sign, signed by the approver over its records, checked independently and by inspect" {
	signs o.xml --require validate,render-mrz --signer "$APPROVER_FPR" m.xml
	seal=$(seal_of o.xml)
	assert_equal "$(attr "$seal" stage)" sign
	assert_equal "$(attr "$seal" signer)" "$APPROVER_FPR"
	assert_equal "$(attr "$seal" count)" 8
	root=$(ind_root o.xml)
	assert_equal "$(attr "$seal" root)" "sha256:$root"
	ind_statement o.xml sign 8 "$root" "$(attr "$seal" created)" > statement
	sed -n 's/^<seal [^>]*>\([^<]*\)<\/seal>$/\1/p' o.xml | base64 -d > sig
	run gpg --homedir "$KT/k/v" --status-fd 1 --verify sig statement
	assert_success
	assert_line --partial "[GNUPG:] VALIDSIG $APPROVER_FPR"
	# the input's seal is the last of the provenance
	in_seal=$(seal_of m.xml)
	[[ $(sed -n 3p o.xml) == "<provenance><sealed stage=\"ingest\" signer=\"$STAGE_FPR\" "*"<sealed stage=\"render-mrz\" signer=\"$STAGE_FPR\" count=\"8\" root=\"$(attr "$in_seal" root)\" created=\"$(attr "$in_seal" created)\"/></provenance>" ]] ||
		fail "provenance: $(sed -n 3p o.xml)"
	assert_equal "$(sed -n 2p o.xml)" '<batch xmlns="urn:impass:batch:1" id="B-SIGN" kind="application">'
	run -0 inspect o.xml
	assert_line --partial "seal        good: sign by $APPROVER_FPR (Officer Ayesha Siddiqui), 8 records"
	assert_line --regexp '^records +8 \(ok 5, held 1, rejected 2\)$'
	GNUPGHOME=$KT/k/v run -0 inspect o.xml
}

@test "an empty batch is approved: 0 in, sealed by sign over the empty root" {
	head -n 1 a.csv > e.csv
	ingest -b B-EMPTY --allow-empty e.csv > e.xml 2> /dev/null
	signs o.xml -s "$APPROVER_FPR" e.xml
	summary B-EMPTY 0 0 0 0
	seal=$(seal_of o.xml)
	assert_equal "$(attr "$seal" stage) $(attr "$seal" count) $(attr "$seal" root)" \
		"sign 0 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	run -0 inspect o.xml
}

# ---- requirements -----------------------------------------------------------------

@test "default requirements: a stream only through validate and render-mrz is held, naming verify-fee, verify-nadra, screen-pcl, dedup" {
	signs o.xml -s "$APPROVER_FPR" m.xml
	summary B-SIGN 8 0 2 6
	diff <(expect m.xml "$HELD_DEFAULT" held) <(records o.xml)
	assert_equal "$(grep -c 'SIGN_APPROVED' o.xml)" 0
	# held, and still sealed as an approval stream
	assert_equal "$(attr "$(seal_of o.xml)" stage)" sign
	run -0 inspect o.xml
	assert_line --regexp '^records +8 \(ok 0, held 6, rejected 2\)$'
}

@test "default requirements: approved only with an ok step of each of the six stages; the sentence names exactly what is missing" {
	mapfile -t ids < <(grep '^<record [^>]* status="ok">' m.xml | id_of)
	[ "${#ids[@]}" -eq 5 ]
	fee='<step stage="verify-fee" result="ok" code="FEE_OK">fee Rs. 9000 as the schedule asks (line 3)</step>'
	nadra='<step stage="verify-nadra" result="ok" code="NADRA_OK">CNIC active in the register</step>'
	pcl='<step stage="screen-pcl" result="ok" code="SCREEN_CLEAR">no active entry</step>'
	dedup='<step stage="dedup" result="ok" code="DEDUP_CLEAR">no duplicate</step>'
	before_mrz() { sed "/^<record [^>]* id=\"$1\" /s|<step stage=\"render-mrz\" |$2<step stage=\"render-mrz\" |"; }
	before_mrz "${ids[0]}" "$fee$nadra$pcl$dedup" < m.xml |
		before_mrz "${ids[1]}" "$fee$nadra$pcl" |
		before_mrz "${ids[2]}" "$dedup" |
		before_mrz "${ids[3]}" "$fee$nadra$pcl$dedup" |
		sed "/^<record [^>]* id=\"${ids[3]}\" /s|<step stage=\"render-mrz\" result=\"ok\"|<step stage=\"render-mrz\" result=\"held\"|" > t0.xml
	# the stage key seals what the other stages would have
	reseal t0.xml "$STAGE_FPR" > t.xml
	assert_equal "$(grep -c '<step stage="dedup" result="ok"' t.xml)" 3
	signs o.xml -s "$APPROVER_FPR" t.xml
	summary B-SIGN 8 1 2 5
	assert_equal "$(sign_step "${ids[0]}" o.xml)" '<step stage="sign" result="ok" code="SIGN_APPROVED">approved: passed validate, verify-fee, verify-nadra, screen-pcl, dedup, render-mrz</step>'
	assert_equal "$(sign_step "${ids[1]}" o.xml)" "$HELD_DEDUP"
	assert_equal "$(sign_step "${ids[2]}" o.xml)" '<step stage="sign" result="held" code="SIGN_STAGE_MISSING">not approved: no ok step of verify-fee, verify-nadra, screen-pcl; every record must pass each of the required stages before it is approved</step>'
	# a render-mrz step that is not ok is no pass, whatever else the record has
	assert_equal "$(sign_step "${ids[3]}" o.xml)" "$HELD_MRZ"
	assert_equal "$(sign_step "${ids[4]}" o.xml)" "$HELD_DEFAULT"
	# held is held: the record's status says so too
	for i in 1 2 3 4; do
		[[ $(record_of "${ids[i]}" o.xml) == '<record '*' status="held">'* ]] || fail "${ids[i]} not held"
	done
	[[ $(record_of "${ids[0]}" o.xml) == '<record '*' status="ok">'* ]]
}

@test "render-mrz is always required for applications: --require validate on a stream without it holds every ok record" {
	signs o.xml --require validate -s "$APPROVER_FPR" v.xml
	summary B-SIGN 8 0 2 6
	diff <(expect v.xml "$HELD_MRZ" held) <(records o.xml)
	# with render-mrz's output the same list approves
	signs o.xml --require validate -s "$APPROVER_FPR" m.xml
	summary B-SIGN 8 5 2 1
	diff <(expect m.xml "$APPROVED") <(records o.xml)
}

@test "--require: repeats count once, the order given is kept, render-mrz alone is enough" {
	signs o.xml -r validate,validate -s "$APPROVER_FPR" m.xml
	diff <(expect m.xml "$APPROVED") <(records o.xml)
	signs o.xml -r render-mrz,validate -s "$APPROVER_FPR" m.xml
	diff <(expect m.xml '<step stage="sign" result="ok" code="SIGN_APPROVED">approved: passed render-mrz, validate</step>') <(records o.xml)
	signs o.xml -r render-mrz -s "$APPROVER_FPR" m.xml
	diff <(expect m.xml '<step stage="sign" result="ok" code="SIGN_APPROVED">approved: passed render-mrz</step>') <(records o.xml)
	signs o.xml -r render-mrz,dedup -s "$APPROVER_FPR" m.xml
	summary B-SIGN 8 0 2 6
	diff <(expect m.xml "$HELD_DEDUP" held) <(records o.xml)
}

@test "records not ok on input pass through byte for byte and get no sign step" {
	signs o.xml -s "$APPROVER_FPR" -r validate,render-mrz m.xml
	diff <(grep -v '^<record [^>]* status="ok">' <(records m.xml)) \
		<(records o.xml | grep -v -F "$APPROVED</trail></record>")
	run -0 grep -c -e 'code="VALUE_INVALID">sex '"'Q'" -e 'code="CNIC_FORMAT">' -e 'code="PREVIOUS_PASSPORT_FORMAT">' o.xml
	assert_output 3
	run -1 grep -E '^<record [^>]* status="(held|rejected)">.*stage="sign"' o.xml
	# the same when every ok record is held
	signs o.xml -s "$APPROVER_FPR" m.xml
	diff <(grep -v '^<record [^>]* status="ok">' <(records m.xml)) \
		<(records o.xml | grep -v -F "$HELD_DEFAULT</trail></record>")
}

@test "a record render-mrz rejected (MRZ_NO_DATA) is not approved: it passes through untouched" {
	id=$(grep -m 1 '^<record [^>]* status="ok">' v.xml | id_of)
	# without its normalised validity_years, sealed again by validate's key
	sed "/^<record [^>]* id=\"$id\" /s|\\(<normalised>.*\\)<validity_years>[0-9]*</validity_years>|\\1|" v.xml > nv0.xml
	assert_equal "$(record_of "$id" nv0.xml | grep -o '<validity_years>' | wc -l)" 1
	reseal nv0.xml "$STAGE_FPR" > nv.xml
	render-mrz --state nd.db --add-range A "$RANGE" 2> /dev/null
	render-mrz --state nd.db nv.xml > nm.xml 2> /dev/null
	[[ $(record_of "$id" nm.xml) == *' status="rejected">'*'<step stage="render-mrz" result="rejected" code="MRZ_NO_DATA">'* ]] ||
		fail "render-mrz did not reject $id: $(record_of "$id" nm.xml)"
	signs o.xml -s "$APPROVER_FPR" -r validate,render-mrz nm.xml
	summary B-SIGN 8 4 3 1
	assert_equal "$(record_of "$id" o.xml)" "$(record_of "$id" nm.xml)"
	diff <(expect nm.xml "$APPROVED") <(records o.xml)
}

@test "a step's text inside a value is no step: an address holding it does not pass render-mrz" {
	head -n 1 a.csv > f.csv
	# row 5 (valid) with its address, the field before the phone and the photo's hash
	sed -n 5p a.csv | sed 's/,\("[^"]*"\|[^,"]*\),\([+0-9]*\),\([0-9a-f]\{64\}\),/,"<step stage=""render-mrz"" result=""ok""\/>",\2,\3,/' >> f.csv
	assert_equal "$(grep -c ',"<step stage=""render-mrz"" result=""ok""/>",' f.csv)" 1
	ingest -b B-FAKE f.csv 2> /dev/null | validate > fv.xml 2> /dev/null
	assert_equal "$(grep -c '<address>&lt;step stage="render-mrz" result="ok"/&gt;</address>' fv.xml)" 1
	assert_equal "$(grep -c '^<record [^>]* status="ok">' fv.xml)" 1
	signs o.xml -r validate -s "$APPROVER_FPR" fv.xml
	summary B-FAKE 1 0 0 1
	diff <(expect fv.xml "$HELD_MRZ" held) <(records o.xml)
}

# ---- citizenship ------------------------------------------------------------------

@test "citizenship: by default validate and dedup; a validated batch is held naming dedup only" {
	assert_equal "$(grep -c '^<record [^>]* status="ok">' cv.xml) $(grep -c '^<record [^>]* status="held">' cv.xml)" '3 1'
	signs o.xml -s "$APPROVER_FPR" cv.xml
	summary B-CIT 4 0 0 4
	diff <(expect cv.xml "$HELD_DEDUP" held) <(records o.xml)
	assert_equal "$(sed -n 2p o.xml)" '<batch xmlns="urn:impass:batch:1" id="B-CIT" kind="citizenship">'
	run -0 inspect o.xml
	assert_line --partial "seal        good: sign by $APPROVER_FPR (Officer Ayesha Siddiqui), 4 records"
	# straight from ingest: validate is missing too
	signs o.xml -s "$APPROVER_FPR" ci.xml
	summary B-CIT 4 0 0 4
	diff <(expect ci.xml '<step stage="sign" result="held" code="SIGN_STAGE_MISSING">not approved: no ok step of validate, dedup; every record must pass each of the required stages before it is approved</step>' held) <(records o.xml)
}

@test "citizenship: --require validate approves; render-mrz is not added for certificates" {
	signs o.xml -s "$APPROVER_FPR" --require validate cv.xml
	summary B-CIT 4 3 0 1
	diff <(expect cv.xml '<step stage="sign" result="ok" code="SIGN_APPROVED">approved: passed validate</step>') <(records o.xml)
	# asked for, it is required
	signs o.xml -s "$APPROVER_FPR" --require validate,render-mrz cv.xml
	summary B-CIT 4 0 0 4
	diff <(expect cv.xml "$HELD_MRZ" held) <(records o.xml)
}

# ---- refusals ---------------------------------------------------------------------

@test "the stage key instead of an approver is refused (77) before anything is written" {
	msg="sign: key $STAGE_FPR (Night stage key) may not seal stage sign: that needs the approver role in the trust file $IMPASS_TRUST"
	refused 77 "$msg" -s "$STAGE_FPR" -r validate,render-mrz m.xml
	# IMPASS_SIGNER is the stage key here
	refused 77 "$msg" m.xml
	# the key is checked before the input is read
	refused 77 "$msg" /nonexistent
}

@test "a key not in the trust file is refused (77); one without a secret key here is unavailable (69)" {
	refused 77 "sign: key $OTHER_FPR is not in the trust file $IMPASS_TRUST; only keys listed there may seal" \
		-s "$OTHER_FPR" -r validate,render-mrz m.xml
	# the second approver is an approver only where the trust file says so
	refused 77 "sign: key $APPROVER2_FPR is not in the trust file $IMPASS_TRUST; only keys listed there may seal" \
		-s "$APPROVER2_FPR" m.xml
	run -69 --separate-stderr sign -s "$STRANGER_FPR" m.xml
	assert_output ''
	[[ $stderr == "sign: no secret key $STRANGER_FPR in the GnuPG home ("*"); check GNUPGHOME and --signer" ]] ||
		fail "stderr: $stderr"
}

@test "four eyes: the approver that sealed the batch's ingest may not sign it (77, nothing written)" {
	[[ $(sed -n 3p m4.xml) == "<provenance><sealed stage=\"ingest\" signer=\"$APPROVER_FPR\" "* ]] ||
		fail "m4.xml was not ingested by the approver"
	msg="sign: B-4EYES: the key $APPROVER_FPR (Officer Ayesha Siddiqui) sealed this batch's ingest; four eyes: another approver must sign it"
	refused 77 "$msg" -t "$KT/t4" -s "$APPROVER_FPR" -r validate,render-mrz m4.xml
	refused 77 "$msg" --trust "$KT/t4" -s "$APPROVER_FPR" m4.xml
	# the fingerprint in lower case is the same key
	refused 77 "$msg" -t "$KT/t4" -s "${APPROVER_FPR,,}" -r validate,render-mrz m4.xml
	# ingest's own stream: its seal, not yet a provenance entry
	refused 77 "$msg" -t "$KT/t4" -s "$APPROVER_FPR" -r validate i4.xml
	# from the environment
	IMPASS_TRUST=$KT/t4 IMPASS_SIGNER=$APPROVER_FPR refused 77 "$msg" -r validate,render-mrz m4.xml
	# the ordinary trust file: the provenance tells all the same
	refused 77 "$msg" -s "$APPROVER_FPR" -r validate,render-mrz m4.xml
}

@test "four eyes: a second approver signs the batch the first one ingested" {
	signs o.xml -t "$KT/t4" -s "$APPROVER2_FPR" -r validate,render-mrz m4.xml
	summary B-4EYES 8 5 2 1
	diff <(expect m4.xml "$APPROVED") <(records o.xml)
	seal=$(seal_of o.xml)
	assert_equal "$(attr "$seal" stage) $(attr "$seal" signer)" "sign $APPROVER2_FPR"
	run -0 inspect -t "$KT/t4" o.xml
	assert_line --partial "seal        good: sign by $APPROVER2_FPR (Officer Bilal Ahmed), 8 records"
	assert_line --partial "ingest by $APPROVER_FPR (Officer Ayesha Siddiqui)"
	# and the first approver signs a batch the stage key ingested
	signs o.xml -t "$KT/t4" -s "$APPROVER_FPR" -r validate,render-mrz m.xml
	summary B-SIGN 8 5 2 1
}

@test "a tampered input (one byte of a record) is refused (65), nothing written" {
	sed '5s/<surname>\([A-Z]\)/<surname>\L\1/' m.xml > t.xml
	assert_equal "$(cmp -l m.xml t.xml | wc -l)" 1
	refused 65 'sign: B-SIGN: the records do not hash to the sealed root: a record was changed, replaced or reordered after sealing' \
		-s "$APPROVER_FPR" -r validate,render-mrz t.xml
	# a record dropped
	sed 5d m.xml > t.xml
	refused 65 'sign: B-SIGN: the seal counts 8 records but the stream holds 7: records were added or removed after sealing' \
		-s "$APPROVER_FPR" -r validate,render-mrz t.xml
}

@test "a stage runs once: a batch already through sign is refused (65)" {
	msg='sign: B-SIGN: batch B-SIGN has been through sign already; run sign on the stream that came before it'
	refused 65 "$msg" -s "$APPROVER_FPR" -r validate,render-mrz s.xml
	# sign in the provenance, a later stage's seal on top
	passthru s.xml > ps.xml 2> /dev/null
	assert_equal "$(attr "$(seal_of ps.xml)" stage)" passthru
	refused 65 "$msg" -s "$APPROVER_FPR" -r validate,render-mrz ps.xml
}

@test "a printed stream is not sign's to approve (65)" {
	sed '2s/kind="application"/kind="printed"/' m.xml > p0.xml
	reseal p0.xml "$STAGE_FPR" > p.xml
	run -0 inspect p.xml
	refused 65 'sign: B-SIGN: sign reads application or citizenship streams, not printed' \
		-s "$APPROVER_FPR" p.xml
}

@test "usage errors: --require of an unknown stage, an unknown option, two files (64); a missing file (66)" {
	refused 64 "sign: --require: 'foo' is not a stage (validate, verify-fee, verify-nadra, screen-pcl, dedup, render-mrz); give them comma-separated" \
		-s "$APPROVER_FPR" --require foo m.xml
	refused 64 "sign: --require: 'foo' is not a stage (validate, verify-fee, verify-nadra, screen-pcl, dedup, render-mrz); give them comma-separated" \
		-s "$APPROVER_FPR" --require validate,foo,render-mrz m.xml
	refused 64 "sign: --require: 'validate render-mrz' is not a stage (validate, verify-fee, verify-nadra, screen-pcl, dedup, render-mrz); give them comma-separated" \
		-s "$APPROVER_FPR" -r 'validate render-mrz' m.xml
	refused 64 "sign: --require: 'Validate' is not a stage (validate, verify-fee, verify-nadra, screen-pcl, dedup, render-mrz); give them comma-separated" \
		-s "$APPROVER_FPR" -r Validate m.xml
	refused 64 "sign: unrecognized option '--bogus'"$'\n'"$USAGE" -s "$APPROVER_FPR" --bogus m.xml
	refused 64 "$USAGE" -s "$APPROVER_FPR" m.xml v.xml
	refused 66 'sign: cannot open nope.xml: No such file or directory' -s "$APPROVER_FPR" nope.xml
	refused 66 'sign: cannot open trust file nope: No such file or directory; pass --trust FILE or set IMPASS_TRUST' \
		-s "$APPROVER_FPR" -t nope m.xml
}

@test "an output that cannot be written is an I/O error (74)" {
	run -74 --separate-stderr sh -c 'sign -s "$APPROVER_FPR" -r validate,render-mrz m.xml > /dev/full'
	assert_equal "$stderr" 'sign: B-SIGN: cannot write the stream: No space left on device'
}

@test "--help: the usage and the options of the manual page; --version" {
	run -0 --separate-stderr sign --help
	assert_line --index 0 "${USAGE%%$'\n'*}"
	assert_line --index 1 "${USAGE#*$'\n'}"
	assert_equal "$stderr" ''
	options=$(sed -n '/^\.Sh OPTIONS/,/^\.Sh EXIT STATUS/p' "$TESTS/../bin/sign.1")
	for opt in $(grep -o 'Fl Fl [a-z-]*' <<< "$options" | sort -u | cut -d' ' -f3); do
		[[ $output == *"--$opt"* ]] || fail "--help does not mention --$opt of sign.1"
	done
	for opt in $(grep -o '^\.It Fl [A-Za-z] ' <<< "$options" | cut -d' ' -f3); do
		[[ $output == *"  -$opt, --"* ]] || fail "--help does not mention -$opt of sign.1"
	done
	[ "$(grep -c '^\.It Fl' <<< "$options")" -eq 7 ]
	assert_line --regexp '^  -r, --require LIST +stages every record must have passed'
	assert_line --regexp '^      --state DB +the ledger the passport numbers are checked against$'
	assert_line --regexp '^  -s, --signer FPR +approver key that seals'
	assert_line --regexp '^  -t, --trust FILE +trust file'
	# the synopsis of the manual page has the same options as the usage line
	assert_equal "$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh/p' "$TESTS/../bin/sign.1" | grep -o '^\.Op Fl [a-z]' | cut -d' ' -f3 | tr -d '\n')" rst
	run -0 sign -h
	assert_line --index 0 "${USAGE%%$'\n'*}"
	assert_line --index 1 "${USAGE#*$'\n'}"
	run -0 --separate-stderr sign --version
	assert_output --regexp '^sign [0-9]+\.[0-9]+\.[0-9]+$'
}

# ---- bugs -------------------------------------------------------------------------

@test "--require with no stage in it is a usage error, not an approval of nothing (64)" {
	for list in '' ','; do
		for f in cv.xml m.xml; do
			run -64 --separate-stderr sign -s "$APPROVER_FPR" --require "$list" "$f"
			assert_output ''
			[[ $stderr == 'sign: --require: '* ]] || fail "--require '$list' $f: $stderr"
		done
	done
}

@test "a reprint stream (passport removed) signed without render-mrz again is not approved" {
	export IMPASS_SPOOL=$BATS_TEST_TMPDIR/spool
	# one ledger: the spool's state database gave the numbers
	mkdir -m 0700 spool && cp "$KT/mrz.db" spool/state.db
	seq -f 'SL%08g' 1 10 > lam.txt
	spool-print --queues 2 --laminates lam.txt s.xml 2> /dev/null
	"$TESTS"/fake-printer --fail 100 "$IMPASS_SPOOL" > /dev/null
	spool-print --collect --reprint re.xml > printed.xml 2> /dev/null
	assert_equal "$(grep -c '^<record ' re.xml)" 5
	assert_equal "$(grep -c '<passport ' re.xml)" 0
	signs o.xml -s "$APPROVER_FPR" -r validate,render-mrz re.xml
	summary B-SIGN-R1 5 0 0 5
	assert_equal "$(grep -c '<step stage="sign" result="held" code="SIGN_STAGE_MISSING">[^<]*render-mrz[^<]*</step></trail></record>$' o.xml)" 5
	# through render-mrz again, with a fresh passport, it is approved
	render-mrz re.xml > rm.xml 2> /dev/null
	signs o.xml -s "$APPROVER_FPR" -r validate,render-mrz rm.xml
	summary B-SIGN-R1 5 5 0 0
}
