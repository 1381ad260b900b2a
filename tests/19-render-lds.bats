#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# render-lds (issue 24; ICAO 9303-10 LDS, 9303-12 PKI): the chip data of
# each ok e-Passport, EF.COM, DG1 (render-mrz's MRZ byte for byte), DG2 (the
# photo from the store, checked against photo_sha256) and EF.SOD (SHA-256
# of each group in a CMS SignedData by the Document Signer), one 0600 file
# SPOOL/lds/NUMBER.lds; the record gets <chip> and a step with the SOD's
# hash. The DS certificate is checked before any record is read. --check
# verifies a chip dump. --groups DG11,DG12 adds the optional groups.
# spool-print carries each chip, checked against the step's hash, in its
# print job; a reprint drops <chip>. The CSCA and Document Signers are made here with
# the openssl command line; every check of the output is done by OpenSSL's
# command line and shell tools, not by our code (tests/lds-split).

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
TODAY=2026-11-28
USAGE='usage: render-lds --ds-cert FILE --ds-key FILE --csca FILE --photos DIR'
# the ok records of the hand-written batch, in order: they get AB1000000...
OK_IDS="ORD SEX-F SEX-X OFF DIP NAME-LONG"

# ---- the throwaway PKI (ICAO 9303-12 profiles) ------------------------------------------

# the throwaway CSCAs and Document Signers: tests/mkpki
pki() { "$TESTS/mkpki" "$1"; }

# ---- photos (tests/fake-photos) ------------------------------------------------------------

store_photo() { "$TESTS/fake-photos" one "$@"; }

# app ID KEY=CELL...: one CSV row of a valid ordinary application, the cells
# given replaced (as tests/11-render-mrz.bats)
app() {
	local -A v=([office]=LHR [category]=normal [passport_type]=ordinary [surname]=KHAN
		[given_names]='ALI RAZA' [father_name]='AHMED KHAN' [sex]=M
		[date_of_birth]=1990-05-17 [place_of_birth]=LAHORE [cnic]=3520100000011
		[nationality]=PAK [validity_years]=10 [pages]=36 [delivery_office]=LHR
		[delivery_mode]=counter [phone]=03001234567 [photo_sha256]=$(store_photo photos)
		[fee_receipt]=260001234567 [fee_amount]=9000 [applied_on]=2026-11-20)
	local kv c out='' sep=''
	v[tracking_id]=$1
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

# The hand-written batch: REJ is rejected by validate; MISSING's photo is
# not in the store, MISMATCH's file has other bytes than its hash,
# NOT-JPEG's is no JPEG.
applications() {
	local h
	echo "${APP_COLUMNS// /,}"
	app ORD
	app SEX-F sex=F given_names=AYESHA cnic=3520100000052
	app REJ cnic=12345
	app SEX-X sex=X cnic=3520100000060
	app OFF passport_type=official fee_receipt= fee_amount= cnic=3520100000031
	app MISSING cnic=3520100000071 photo_sha256="$(printf x | sha256sum | cut -c1-64)"
	h=$(store_photo photos)
	printf 'not the photo' > "photos/$h.jpg"
	app MISMATCH cnic=3520100000081 photo_sha256="$h"
	h=$(printf 'GIF89a, not a JPEG' | tee photos/gif | sha256sum | cut -c1-64)
	mv photos/gif "photos/$h.jpg"
	app NOT-JPEG cnic=3520100000091 photo_sha256="$h"
	app DIP passport_type=diplomatic fee_receipt= fee_amount= cnic=3520100000041
	app NAME-LONG surname=KHAN 'given_names=MUHAMMAD ABDUL REHMAN QURESHI AL BCD' cnic=3520100000121
}

lds() {
	render-lds --ds-cert "$KT/pki/${DS:-ds}.pem" --ds-key "$KT/pki/${DS:-ds}.key" \
		--csca "$KT/pki/csca.pem" --photos "$KT/photos" "$@"
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	pki "$KT/pki"
	applications > a.csv
	ingest -b B-L a.csv 2> /dev/null | validate --today "$TODAY" > v.xml 2> /dev/null
	render-mrz --state s.db --add-range A AB1000000-AB1999999 2> /dev/null
	render-mrz --state s.db --issue-date 2026-12-01 v.xml > m.xml 2> /dev/null
	mkdir spool gspool
	IMPASS_SPOOL=$KT/spool lds m.xml > o.xml 2> o.err
	# the optional groups too
	mkdir xspool
	IMPASS_SPOOL=$KT/xspool lds --groups DG11,DG12 m.xml > x.xml 2> x.err
	# approved for spool-print (render-mrz's ledger is the spool's)
	IMPASS_SIGNER=$APPROVER_FPR sign --state s.db --require validate,render-mrz o.xml > ok.xml 2> /dev/null
	seq -f 'SL%08g' 1 40 > laminates.txt
	# a generated batch through the real chain, each with its own photo
	"$GEN" applications 40 > g0.csv
	"$TESTS/fake-photos" csv photos < g0.csv > g.csv
	render-mrz --state g.db --add-range A AB2000000-AB2999999 2> /dev/null
	ingest -b B-G g.csv 2> /dev/null | validate --today "$TODAY" 2> /dev/null |
		render-mrz --state g.db --issue-date 2026-12-01 2> /dev/null > gm.xml
	IMPASS_SPOOL=$KT/gspool lds gm.xml > go.xml 2> go.err
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
}

record_of() { grep -F -e " id=\"$1\" " "$2"; }

# chips FILE: NUMBER of each record of FILE that has a <chip>
chips() { sed -n 's/.*<chip file="\([A-Z0-9]*\)\.lds".*/\1/p' "$1"; }

# mrz_of NUMBER FILE: the 88 characters of the passport's two MRZ lines
mrz_of() {
	grep -F "<passport number=\"$1\"" "$2" | sed 's|.*<mrz>\([^<]*\)</mrz><mrz>\([^<]*\)</mrz>.*|\1\2|; s/&lt;/</g'
}

# ---- the stage -----------------------------------------------------------------------------

@test "every record counted; every ok record got one render-lds step, the others are untouched" {
	stage_conserved render-lds "$(cat "$KT/o.err")" "$KT/o.xml" B-L
	stage_one_step_each render-lds "$KT/m.xml" "$KT/o.xml"
	stage_conserved render-lds "$(cat "$KT/go.err")" "$KT/go.xml" B-G
	stage_one_step_each render-lds "$KT/gm.xml" "$KT/go.xml"
	assert_equal "$(grep -c 'code="LDS_SIGNED"' "$KT/go.xml")" "$(grep -c '^<record [^>]*status="ok"' "$KT/gm.xml")"
	run xmllint --noout --schema "$TESTS/../schemas/impass.xsd" "$KT/o.xml" "$KT/go.xml"
	assert_success
}

@test "each e-Passport: <chip> names NUMBER.lds and its size, the step the SHA-256 of its EF.SOD" {
	local id num rec sod
	for id in $OK_IDS; do
		rec=$(record_of "$id" "$KT/o.xml")
		[[ $rec == *'status="ok"'* ]] || fail "$id is not ok"
		num=$(sed 's/.*<passport number="AB\([0-9]*\)".*/\1/' <<< "$rec")
		"$TESTS/lds-split" "$KT/spool/lds/AB$num.lds" "split-$id" > /dev/null
		sod=$(sha256sum < "split-$id/SOD" | cut -c1-64)
		[[ $rec == *"</passport><chip file=\"AB$num.lds\" bytes=\"$(stat -c %s "$KT/spool/lds/AB$num.lds")\"/><trail>"* ]] ||
			fail "$id: no <chip> for AB$num.lds after its passport"
		[[ $rec == *"<step stage=\"render-lds\" result=\"ok\" code=\"LDS_SIGNED\" sod=\"sha256:$sod\">chip data AB$num.lds: EF.COM, DG1, DG2 (photo of "*" bytes), EF.SOD signed by /C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer ds serial 1000</step></trail></record>" ]] ||
			fail "$id: step is $(grep -o '<step stage="render-lds".*' <<< "$rec")"
	done
	assert_equal "$(chips "$KT/o.xml" | tr '\n' ' ')" "AB1000000 AB1000001 AB1000002 AB1000003 AB1000007 AB1000008 "
}

@test "the chip files are 0600 in a 0700 folder, one per e-Passport and no other file" {
	assert_equal "$(stat -c %a "$KT/spool/lds")" 700
	run ls -A "$KT/spool/lds"
	assert_output "$(printf 'AB100000%d.lds\n' 0 1 2 3 7 8)"
	assert_equal "$(stat -c %a "$KT"/spool/lds/* | sort -u)" 600
	assert_equal "$(ls "$KT/gspool/lds" | wc -l)" "$(chips "$KT/go.xml" | wc -l)"
}

@test "photo missing, photo not matching its hash, photo not a JPEG: held with the reason, no chip signed" {
	local id code
	for id in MISSING MISMATCH NOT-JPEG; do
		case $id in
		MISSING) code=LDS_PHOTO_MISSING ;; MISMATCH) code=LDS_PHOTO_MISMATCH ;; *) code=LDS_PHOTO_FORMAT ;;
		esac
		run record_of "$id" "$KT/o.xml"
		assert_output --regexp '^<record [^>]* status="held">'
		assert_output --partial "<step stage=\"render-lds\" result=\"held\" code=\"$code\">"
		assert_output --partial '; no chip data signed for it</step></trail></record>'
		refute_output --partial '<chip '
	done
	run record_of MISSING "$KT/o.xml"
	assert_output --regexp "the photo 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\\.jpg is not in the photo store $KT/photos; no chip"
	run record_of MISMATCH "$KT/o.xml"
	assert_output --regexp 'the photo [0-9a-f]{64}\.jpg in the store has the SHA-256 [0-9a-f]{64}, not the application.s: a wrong or damaged file'
	run record_of NOT-JPEG "$KT/o.xml"
	assert_output --partial 'the photo is not a JPEG with a frame header (its width and height); no chip'
	# REJ (rejected by validate) untouched: no step of render-lds
	run record_of REJ "$KT/o.xml"
	refute_output --partial 'render-lds'
}

# ---- independent checks with OpenSSL's command line ------------------------------------

@test "openssl cms -verify with the test CSCA as trust anchor verifies every EF.SOD; its content type is ldsSecurityObject" {
	local f n=0
	for f in "$KT"/spool/lds/*.lds "$KT"/gspool/lds/*.lds; do
		"$TESTS/lds-split" "$f" d > /dev/null
		run openssl cms -verify -inform DER -in d/SOD.cms -CAfile "$KT/pki/csca.pem" -out d/lso.der
		assert_success
		assert_output 'CMS Verification successful'
		run openssl cms -cmsout -print -inform DER -in d/SOD.cms
		assert_line --regexp '^ +eContentType: undefined \(2\.23\.136\.1\.1\.1\)$'
		n=$((n + 1))
	done
	[ "$n" -ge 40 ] || fail "only $n chips checked"
	# and not against another CSCA
	run openssl cms -verify -inform DER -in d/SOD.cms -CAfile "$KT/pki/rogue.pem" -out /dev/null
	assert_failure
	assert_output --partial 'Verify error'
}

@test "openssl asn1parse: EF.COM (LDS 1.8, DG1 DG2), DG1 (5F1F of 88), DG2 (7F61 7F60 A1 5F2E), EF.SOD (SignedData v3 of an LDSSecurityObject v0 with SHA-256)" {
	local f=$KT/spool/lds/AB1000000.lds
	run -0 openssl asn1parse -inform DER -in "$f"
	# the top-level files: tags 60, 61, 75, 77
	assert_equal "$(grep -c ':d=0 ' <<< "$output")" 4
	assert_line --regexp '^ +0:d=0  hl=2 l= +20 cons: appl \[ 0 \] +$'
	assert_line --regexp '^ +2:d=1  hl=3 l= +4 prim: appl \[ 1 \] +$'
	assert_line --regexp '^ +24:d=1  hl=3 l= +88 prim: appl \[ 31 \] +$'
	assert_line --regexp '^ +115:d=0  hl=4 l= *[0-9]+ cons: appl \[ 21 \] +$'
	assert_line --regexp ':d=1  hl=5 l= *[0-9]+ cons: appl \[ 97 \]'
	assert_line --regexp ':d=2  hl=2 l= +1 prim: INTEGER +:01$'
	assert_line --regexp ':d=2  hl=5 l= *[0-9]+ cons: appl \[ 96 \]'
	assert_line --regexp ':d=3  hl=2 l= +15 cons: cont \[ 1 \]'
	assert_line --regexp ':d=3  hl=5 l= *[0-9]+ prim: appl \[ 46 \]'
	assert_line --regexp ':d=0  hl=4 l= *[0-9]+ cons: appl \[ 23 \]'
	assert_line --regexp 'OBJECT +:pkcs7-signedData$'
	assert_line --regexp 'OBJECT +:2.23.136.1.1.1$'
	# EF.COM's bytes: 5F01 "0108", 5F36 "040000", 5C 61 75
	"$TESTS/lds-split" "$f" d > /dev/null
	assert_equal "$(od -An -tx1 d/COM | tr -d ' \n')" 60145f0104303130385f3606303430303030'5c026175'
	openssl cms -verify -inform DER -in d/SOD.cms -CAfile "$KT/pki/csca.pem" -out d/lso.der 2> /dev/null
	run -0 openssl asn1parse -inform DER -in d/lso.der
	assert_line --index 1 --regexp 'd=1  hl=2 l= +1 prim: INTEGER +:00$'
	assert_line --index 3 --regexp 'd=2  hl=2 l= +9 prim: OBJECT +:sha256$'
}

@test "the DG hashes recomputed by lds-split (sha256sum) equal those in every EF.SOD, and DG1 and DG2 only" {
	local f want got
	for f in "$KT"/spool/lds/*.lds "$KT"/gspool/lds/*.lds; do
		want=$("$TESTS/lds-split" "$f" d)
		openssl cms -verify -inform DER -in d/SOD.cms -CAfile "$KT/pki/csca.pem" -out d/lso.der 2> /dev/null
		got=$(openssl asn1parse -inform DER -in d/lso.der |
			awk '/prim: INTEGER/ && /d=3/ { sub(/.*:/, ""); n = $0 + 0 }
			     /OCTET STRING/ { sub(/.*\[HEX DUMP\]:/, ""); print "DG" n " " tolower($0) }')
		assert_equal "$got" "$want"
		[ "$(wc -l <<< "$got")" -eq 2 ] || fail "$f: $got"
	done
}

@test "DG1's MRZ is the data page's byte for byte for every record of both batches" {
	local file num n=0
	for file in o go; do
		for num in $(chips "$KT/$file.xml"); do
			"$TESTS/lds-split" "$KT/$([ $file = o ] && echo spool || echo gspool)/lds/$num.lds" d > /dev/null
			assert_equal "$(tail -c 88 d/DG1)" "$(mrz_of "$num" "$KT/$file.xml")"
			assert_equal "$(head -c 5 d/DG1 | od -An -tx1 | tr -d ' \n')" 615b5f1f58
			n=$((n + 1))
		done
	done
	[ "$n" -ge 40 ] || fail "only $n passports"
}

@test "DG2 holds the photo from the store byte for byte in a 19794-5 record with its size and the holder's sex" {
	local num hash rec sex
	for num in AB1000000 AB1000001 AB1000002; do
		rec=$(grep -F "<passport number=\"$num\"" "$KT/o.xml")
		hash=$(sed 's|.*<photo_sha256>\([0-9a-f]*\)</photo_sha256>.*|\1|' <<< "$rec")
		sex=$(sed 's|.*<normalised>.*<sex>\(.\)</sex>.*|\1|' <<< "$rec")
		"$TESTS/lds-split" "$KT/spool/lds/$num.lds" d > /dev/null
		# 5F2E's value: 46 bytes of header, then the JPEG
		tail -c "$(stat -c %s "$KT/photos/$hash.jpg")" d/DG2 > photo
		cmp photo "$KT/photos/$hash.jpg"
		run -0 bash -c "tail -c $(($(stat -c %s photo) + 46)) d/DG2 | head -c 46 | od -An -tx1 | tr -d ' \n'"
		# FAC 010, lengths, one image, gender, full frontal JPEG 480 x 600
		[[ $output =~ ^464143003031300000......0001000.....0000(..)$(printf '0%.0s' {1..26})0100 ]] ||
			fail "$num: header $output"
		assert_equal "${BASH_REMATCH[1]}" "$(case $sex in M) echo 01 ;; F) echo 02 ;; *) echo 00 ;; esac)"
		[[ $output == *010001e00258010100000000 ]] || fail "$num: image information $output"
	done
}

# ---- --types -----------------------------------------------------------------------------

@test "--types official,diplomatic: an ordinary passport gets no chip, an ok step LDS_NO_CHIP" {
	mkdir t
	run -0 --separate-stderr lds --types official,diplomatic --spool t "$KT/m.xml"
	printf '%s\n' "$output" > t.xml
	run record_of ORD t.xml
	assert_output --partial '<step stage="render-lds" result="ok" code="LDS_NO_CHIP">no chip: a machine readable passport, for the passport type ordinary is not in --types</step></trail></record>'
	refute_output --partial '<chip '
	run record_of OFF t.xml
	assert_output --partial '<chip file="AB1000003.lds"'
	run ls t/lds
	assert_output "$(printf 'AB1000003.lds\nAB1000007.lds')"
	run -64 lds --types ordinary,visa "$KT/m.xml"
	assert_output "render-lds: --types: 'visa' is not a passport type (ordinary, official, diplomatic); give them comma-separated"
}

# ---- --check --------------------------------------------------------------------------------

@test "--check: a good chip and its data page: every check good, exit 0" {
	local f=$KT/spool/lds/AB1000000.lds
	mrz_of AB1000000 "$KT/o.xml" | fold -w 44 > page
	run -0 --separate-stderr render-lds --check --csca "$KT/pki/csca.pem" --mrz page "$f"
	assert_equal "${#lines[@]}" 6
	assert_line --index 0 "$f: good: EF.SOD signed by /C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer ds serial 1000, a Document Signer of the CSCA $KT/pki/csca.pem"
	assert_line --index 1 --regexp "^$f: good: DG1: SHA-256 [0-9a-f]{64} as in EF.SOD$"
	assert_line --index 2 --regexp "^$f: good: DG2: SHA-256 [0-9a-f]{64} as in EF.SOD$"
	assert_line --index 3 "$f: good: EF.COM lists 2 data groups, all in the dump"
	assert_line --index 4 "$f: good: DG1's MRZ is the data page's"
	assert_line --index 5 "$f: all checks good"
	assert_equal "$stderr" ''
}

@test "--check: a changed photo, another data page, another CSCA: BAD, exit 65" {
	local f=$KT/spool/lds/AB1000000.lds
	mrz_of AB1000001 "$KT/o.xml" | fold -w 44 > other
	run -65 --separate-stderr render-lds --check --csca "$KT/pki/csca.pem" --mrz other "$f"
	assert_line --index 4 --regexp "^$f: BAD: DG1's MRZ P<PAKKHAN<<ALI<RAZA<+AB1000000.* differs from the data page's P<PAKKHAN<<AYESHA"
	assert_equal "$stderr" "render-lds: $f: 1 check failed: do not trust this chip"
	# one byte of the JPEG changed
	local b
	cp "$f" changed.lds
	b=$(od -An -tu1 -j 1500 -N 1 changed.lds)
	printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of=changed.lds bs=1 seek=1500 conv=notrunc 2> /dev/null
	cmp -s "$f" changed.lds && fail "nothing changed"
	run -65 --separate-stderr render-lds --check --csca "$KT/pki/csca.pem" changed.lds
	assert_line --index 2 --regexp "^changed.lds: BAD: DG2: SHA-256 [0-9a-f]{64}, EF.SOD says [0-9a-f]{64}: changed after signing$"
	# a group added that EF.SOD does not name
	{ cat "$f"; printf '\143\003\001\002\003'; } > added.lds
	run -65 --separate-stderr render-lds --check --csca "$KT/pki/csca.pem" added.lds
	assert_line --index 3 'added.lds: BAD: DG3 is not in EF.SOD: an added group'
	assert_equal "$stderr" 'render-lds: added.lds: 1 check failed: do not trust this chip'
	run -65 --separate-stderr render-lds --check --csca "$KT/pki/rogue.pem" "$f"
	assert_line --index 0 --partial "$f: BAD: EF.SOD's signature does not verify against the CSCA: "
	printf '\167\204\377\377\377\377' > junk
	run -65 --separate-stderr render-lds --check --csca "$KT/pki/csca.pem" junk
	assert_line --index 0 'junk: BAD: not a chip dump: byte 0: not a BER-TLV that fits in the 6 bytes left'
}

# ---- the Document Signer, checked before any record is read -----------------------------

# bad_ds EXIT MESSAGE [render-lds options]: nothing written, no chip file, the
# message; the input does not exist, so the DS is checked before it is read
bad_ds() {
	local code=$1 msg=$2
	shift 2
	run "-$code" --separate-stderr render-lds --photos "$KT/photos" --spool sp "$@" no-such-input.xml
	assert_output ''
	assert_equal "$stderr" "$msg"
	[ ! -e sp/lds ] || [ -z "$(ls -A sp/lds)" ] || fail "a chip was written"
}

@test "an expired or not yet valid DS certificate: exit 69, nothing signed" {
	local p=$KT/pki
	bad_ds 69 "render-lds: the Document Signer certificate $p/expired.pem (/C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer expired serial 1001) expired on $(date -u -d "$(openssl x509 -in "$p/expired.pem" -noout -enddate | cut -d= -f2)" '+%Y-%m-%d %H:%M:%S') UTC; nothing is signed: have the CSCA issue a new one" \
		--ds-cert "$p/expired.pem" --ds-key "$p/expired.key" --csca "$p/csca.pem"
	bad_ds 69 "render-lds: the Document Signer certificate $p/future.pem (/C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer future serial 1002) is not valid before $(date -u -d "$(openssl x509 -in "$p/future.pem" -noout -startdate | cut -d= -f2)" '+%Y-%m-%d %H:%M:%S') UTC; nothing is signed" \
		--ds-cert "$p/future.pem" --ds-key "$p/future.key" --csca "$p/csca.pem"
}

@test "a DS key past its private key usage period (its certificate still valid): exit 69, nothing signed" {
	local p=$KT/pki
	run -0 openssl x509 -in "$p/stale.pem" -noout -ext privateKeyUsagePeriod
	assert_line --index 0 'X509v3 Private Key Usage Period: '
	bad_ds 69 "render-lds: the Document Signer key of $p/stale.pem (/C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer stale serial 1005) may sign only from $(words "$(cat "$p/stale.from")") to $(words "$(cat "$p/stale.to")") (its private key usage period); nothing is signed: use the current Document Signer" \
		--ds-cert "$p/stale.pem" --ds-key "$p/stale.key" --csca "$p/csca.pem"
}

# words YYYYMMDDHHMMSSZ: as render-lds writes a time, YYYY-MM-DD HH:MM:SS UTC
words() { sed 's/^\(....\)\(..\)\(..\)\(..\)\(..\)\(..\)Z$/\1-\2-\3 \4:\5:\6 UTC/' <<< "$1"; }

@test "a DS certificate that ends before a passport does: the record held, its chip not signed" {
	local until
	until=$(date -u -d "$(openssl x509 -in "$KT/pki/short.pem" -noout -enddate | cut -d= -f2)" +%F)
	mkdir sp
	DS=short run -0 --separate-stderr lds --spool sp "$KT/m.xml"
	printf '%s\n' "$output" > short.xml
	run record_of ORD short.xml
	assert_output --regexp '^<record [^>]* status="held">'
	assert_output --partial "<step stage=\"render-lds\" result=\"held\" code=\"LDS_DS_EXPIRES_FIRST\">the Document Signer certificate is valid until $until, the passport until 2036-12-01: its chip could not be checked after $until; sign with a Document Signer whose certificate outlives the passports; no chip data signed for it</step></trail></record>"
	assert_equal "$(grep -c 'code="LDS_DS_EXPIRES_FIRST"' short.xml)" 9
	assert_equal "$(ls -A sp/lds)" ''
}

@test "a DS certificate not issued by the CSCA: exit 77, nothing signed" {
	local p=$KT/pki
	bad_ds 77 "render-lds: the Document Signer certificate $p/stranger.pem (/C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer stranger serial 1003) is not issued by the CSCA $p/csca.pem: unable to get local issuer certificate; nothing is signed" \
		--ds-cert "$p/stranger.pem" --ds-key "$p/stranger.key" --csca "$p/csca.pem"
	# the CSCA itself is no Document Signer
	run -69 --separate-stderr render-lds --photos "$KT/photos" --ds-cert "$p/csca.pem" \
		--ds-key "$p/csca.key" --csca "$p/csca.pem" no-such-input.xml
	assert_output ''
	[[ $stderr =~ ^render-lds:\ the\ Document\ Signer\ certificate\ $p/csca.pem\ \(/C=PK/O=Government\ of\ Pakistan/OU=DGIP/CN=CSCA\ Pakistan\ TEST\ serial\ [0-9A-F]+\)\ lacks\ the\ key\ usage\ digitalSignature\ of\ ICAO\ 9303-12\ \(or\ may\ sign\ certificates\)\;\ nothing\ is\ signed$ ]] ||
		fail "stderr: $stderr"
}

@test "a DS certificate without digitalSignature, a key not its own, a key others can read, no such file: clear messages, nothing signed" {
	local p=$KT/pki
	bad_ds 69 "render-lds: the Document Signer certificate $p/nosig.pem (/C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer nosig serial 1004) lacks the key usage digitalSignature of ICAO 9303-12 (or may sign certificates); nothing is signed" \
		--ds-cert "$p/nosig.pem" --ds-key "$p/nosig.key" --csca "$p/csca.pem"
	bad_ds 78 "render-lds: the Document Signer key is not the key of the certificate $p/ds.pem (/C=PK/O=Government of Pakistan/OU=DGIP/CN=Document Signer ds serial 1000); nothing is signed" \
		--ds-cert "$p/ds.pem" --ds-key "$p/expired.key" --csca "$p/csca.pem"
	cp "$p/ds.key" open.key
	chmod 644 open.key
	bad_ds 77 "render-lds: the Document Signer key open.key can be read by others (mode 644); chmod 600 it, and think whether it was copied" \
		--ds-cert "$p/ds.pem" --ds-key open.key --csca "$p/csca.pem"
	bad_ds 66 "render-lds: cannot open the Document Signer certificate nothing.pem: No such file or directory" \
		--ds-cert nothing.pem --ds-key "$p/ds.key" --csca "$p/csca.pem"
	bad_ds 78 "render-lds: the CSCA certificate $p/ds.key is not a PEM X.509 certificate (error:0480006C:PEM routines::no start line)" \
		--ds-cert "$p/ds.pem" --ds-key "$p/ds.key" --csca "$p/ds.key"
}

@test "a good DS and a stream not through render-mrz: exit 65, no seal" {
	mkdir sp
	run -65 --separate-stderr lds --spool sp "$KT/v.xml"
	assert_equal "$stderr" "render-lds: B-L: batch B-L has not been through render-mrz; render-lds reads its output"
	refute_output --partial '<seal '
}

# ---- options ------------------------------------------------------------------------------

@test "--help: the synopsis of render-lds(1); required options and bad ones: usage, exit 64" {
	run -0 render-lds --help
	assert_line --index 0 "$USAGE"
	assert_line --index 1 '                  [--types LIST] [--groups LIST] [--spool DIR] [-s FPR]'
	assert_line --index 2 '                  [-t FILE] [--counts FILE] [FILE|-]'
	assert_line --index 3 '       render-lds --check --csca FILE [--mrz FILE] CHIP'
	run -64 --separate-stderr render-lds --ds-cert a --ds-key b --photos c
	assert_output ''
	assert_equal "$stderr" "render-lds: --csca is required
$USAGE
                  [--types LIST] [--groups LIST] [--spool DIR] [-s FPR]
                  [-t FILE] [--counts FILE] [FILE|-]
       render-lds --check --csca FILE [--mrz FILE] CHIP"
	run -64 render-lds --csca a --ds-cert a --ds-key b
	assert_line --index 0 'render-lds: --photos is required'
	run -64 render-lds --check --csca a
	assert_line --index 0 "$USAGE"
	run -64 render-lds --bogus
	assert_line --index 1 "$USAGE"
	run -64 --separate-stderr render-lds --csca a --ds-cert a --ds-key b --photos c --groups DG11,DG3
	assert_equal "$stderr" "render-lds: --groups: 'DG3' is not an optional data group render-lds writes (DG11, DG12); give them comma-separated"
}

# ---- DG11 and DG12 (--groups) ---------------------------------------------------------------

# tlv TAGHEX TEXT: the BER-TLV of a short text as hex
tlv() { printf '%s%02x%s' "$1" "${#2}" "$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')"; }

@test "--groups DG11,DG12: EF.COM lists 61 75 6B 6C; DG11 and DG12 hold the fields we hold, byte for byte (openssl asn1parse)" {
	local f=$KT/xspool/lds/AB1000000.lds v
	stage_conserved render-lds "$(cat "$KT/x.err")" "$KT/x.xml" B-L
	run record_of ORD "$KT/x.xml"
	assert_output --regexp '<step stage="render-lds" result="ok" code="LDS_SIGNED" sod="sha256:[0-9a-f]{64}">chip data AB1000000.lds: EF.COM, DG1, DG2 \(photo of [0-9]+ bytes\), DG11, DG12, EF.SOD signed by '
	"$TESTS/lds-split" "$f" d > /dev/null
	assert_equal "$(od -An -tx1 d/COM | tr -d ' \n')" 60165f0104303130385f3606303430303030'5c0461756b6c'
	# DG11: tag list, full name, the CNIC's digits, full date of birth, place of birth (no address given)
	v=5c085f0e5f105f2b5f11$(tlv 5f0e 'KHAN<<ALI<RAZA')$(tlv 5f10 3520100000011)$(tlv 5f2b 19900517)$(tlv 5f11 LAHORE)
	assert_equal "$(od -An -tx1 d/DG11 | tr -d ' \n')" "6b$(printf '%02x' $((${#v} / 2)))$v"
	v=5c045f195f26$(tlv 5f19 'DGIP ISLAMABAD')$(tlv 5f26 20261201)
	assert_equal "$(od -An -tx1 d/DG12 | tr -d ' \n')" "6c$(printf '%02x' $((${#v} / 2)))$v"
	run -0 openssl asn1parse -inform DER -in "$f"
	assert_equal "$(grep -c ':d=0 ' <<< "$output")" 6
	assert_line --regexp 'd=0  hl=2 l= +[0-9]+ cons: appl \[ 11 \] +$'
	assert_line --regexp 'd=0  hl=2 l= +[0-9]+ cons: appl \[ 12 \] +$'
	run -0 openssl asn1parse -inform DER -in d/DG11
	assert_line --index 1 --regexp 'd=1  hl=2 l= +8 prim: appl \[ 28 \] +$'
	assert_line --index 2 --regexp 'd=1  hl=3 l= +14 prim: appl \[ 14 \] +$'
	assert_line --index 3 --regexp 'd=1  hl=3 l= +13 prim: appl \[ 16 \] +$'
	assert_line --index 4 --regexp 'd=1  hl=3 l= +8 prim: appl \[ 43 \] +$'
	assert_line --index 5 --regexp 'd=1  hl=3 l= +6 prim: appl \[ 17 \] +$'
	run -0 openssl asn1parse -inform DER -in d/DG12
	assert_line --index 2 --regexp 'd=1  hl=3 l= +14 prim: appl \[ 25 \] +$'
	assert_line --index 3 --regexp 'd=1  hl=3 l= +8 prim: appl \[ 38 \] +$'
}

@test "--groups DG11,DG12: openssl cms -verify and the recomputed hashes of DG1, DG2, DG11, DG12 equal EF.SOD's; --check good" {
	local f want got n=0
	for f in "$KT"/xspool/lds/*.lds; do
		want=$("$TESTS/lds-split" "$f" d)
		run -0 openssl cms -verify -inform DER -in d/SOD.cms -CAfile "$KT/pki/csca.pem" -out d/lso.der
		got=$(openssl asn1parse -inform DER -in d/lso.der |
			awk '/prim: INTEGER/ && /d=3/ { sub(/.*:/, ""); n = $0 }
			     /OCTET STRING/ { sub(/.*\[HEX DUMP\]:/, ""); print n " " tolower($0) }' |
			while read -r n h; do echo "DG$((16#$n)) $h"; done)
		assert_equal "$got" "$want"
		assert_equal "$(cut -d' ' -f1 <<< "$got" | tr '\n' ' ')" 'DG1 DG2 DG11 DG12 '
		n=$((n + 1))
	done
	assert_equal "$n" 6
	run -0 render-lds --check --csca "$KT/pki/csca.pem" "$KT/xspool/lds/AB1000001.lds"
	assert_line --index 3 --regexp 'good: DG11: SHA-256 [0-9a-f]{64} as in EF.SOD$'
	assert_line --index 4 --regexp 'good: DG12: SHA-256 [0-9a-f]{64} as in EF.SOD$'
	assert_line --index 5 --partial 'good: EF.COM lists 4 data groups, all in the dump'
}

# ---- spool-print carries the chip to the personalisation queue ---------------------------

# spool_of DIR: a spool holding render-lds's chips of $KT/spool and the ledger
spool_of() {
	mkdir -m 0700 "$1"
	cp -a "$KT/spool/lds" "$1/lds"
	cp "$KT/s.db" "$1/state.db"
}
spool() { spool-print --spool sp --queues 1 --laminates "$KT/laminates.txt" "${@:-$KT/ok.xml}"; }
new_jobs() { queued_jobs sp new; }
# the jobs of the job files in new/, one file each: jobs/NUMBER.xml
split_jobs() { rm -rf jobs && mkdir jobs && "$TESTS"/print-jobs --split jobs sp/print/*/new/*.jobs > /dev/null; }

@test "spool-print: each e-Passport's job carries its chip (base64 of NUMBER.lds, the step's sod); valid print jobs" {
	local num job sod
	spool_of sp
	run -0 --separate-stderr spool
	assert_equal "${stderr_lines[1]%, *}" 'spool-print: B-L: 10 in, 6 jobs (6 delivered now), 3 held, 1 rejected'
	split_jobs
	for num in $(chips "$KT/o.xml"); do
		job=jobs/$num.xml
		run -0 xmllint --noout --schema "$TESTS/../schemas/printjob.xsd" "$job"
		sod=$(grep -F "<passport number=\"$num\"" "$KT/ok.xml" | grep -o 'code="LDS_SIGNED" sod="sha256:[0-9a-f]*"' | cut -d'"' -f4)
		run grep -o "<chip file=\"$num.lds\" sod=\"$sod\" bytes=\"$(stat -c %s "$KT/spool/lds/$num.lds")\">[A-Za-z0-9+/=]*</chip></job>$" "$job"
		assert_success
		sed 's|.*<chip [^>]*>\([^<]*\)</chip>.*|\1|' "$job" | tail -n 1 | base64 -d > chip
		run -0 cmp chip "$KT/spool/lds/$num.lds"
	done
}

@test "spool-print: a chip changed, signed again, a link, missing: exit 65, the record and what to do, nothing spooled" {
	local b fix='nothing was spooled: run render-lds and sign on the batch again (render-lds(1))'
	spool_of sp
	# one byte of DG2's photo changed
	b=$(od -An -tu1 -j 1500 -N 1 sp/lds/AB1000000.lds)
	printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of=sp/lds/AB1000000.lds bs=1 seek=1500 conv=notrunc 2> /dev/null
	run -65 --separate-stderr spool
	assert_equal "${stderr_lines[-1]}" "spool-print: B-L: record ORD: the chip file sp/lds/AB1000000.lds: DG2's SHA-256 is not the one EF.SOD holds: changed after signing; $fix"
	assert_equal "$(new_jobs)" 0
	# a chip signed again (another EF.SOD) in its place
	mkdir again
	IMPASS_SPOOL=again lds "$KT/m.xml" > /dev/null 2>&1
	cp again/lds/AB1000000.lds sp/lds/AB1000000.lds
	"$TESTS/lds-split" again/lds/AB1000000.lds d > /dev/null
	run -65 --separate-stderr spool
	assert_equal "${stderr_lines[-1]}" "spool-print: B-L: record ORD: the chip file sp/lds/AB1000000.lds: its EF.SOD has the SHA-256 $(sha256sum < d/SOD | cut -c1-64), not the $(record_of ORD "$KT/ok.xml" | grep -o 'sod="sha256:[0-9a-f]*"' | cut -d'"' -f2) render-lds signed for the record; $fix"
	# a link to the good chip, then no file
	cp "$KT/spool/lds/AB1000000.lds" good.lds
	ln -sf "$PWD/good.lds" sp/lds/AB1000000.lds
	run -65 --separate-stderr spool
	assert_equal "${stderr_lines[-1]}" "spool-print: B-L: record ORD: the chip file sp/lds/AB1000000.lds is not a regular file of this account; $fix"
	rm sp/lds/AB1000000.lds
	run -65 --separate-stderr spool
	assert_equal "${stderr_lines[-1]}" "spool-print: B-L: record ORD: the chip file sp/lds/AB1000000.lds is missing; $fix"
	assert_equal "$(new_jobs)" 0
	# the good chip back: spooled
	cp good.lds sp/lds/AB1000000.lds
	run -0 spool
	assert_equal "$(new_jobs)" 6
}

@test "--reprint drops <chip>: the reprint without render-lds is refused by spool-print, with render-lds its new chips are carried" {
	local spoiled n
	spool_of sp
	run -0 spool
	run -0 "$TESTS"/fake-printer --seed 3 --fail 50 sp
	spoiled=$(grep -c ' failed$' <<< "$output")
	[ "$spoiled" -ge 1 ] || fail "nothing spoiled"
	run -0 spool-print --spool sp --collect --reprint re.xml
	assert_equal "$(grep -c '^<record ' re.xml)" "$spoiled"
	assert_equal "$(grep -c '<chip ' re.xml)" 0
	assert_equal "$(grep -c '<passport ' re.xml)" 0
	# the old step stays in the trail, as render-mrz's does
	assert_equal "$(grep -c 'code="LDS_SIGNED"' re.xml)" "$spoiled"
	render-mrz --state sp/state.db --issue-date 2026-12-01 re.xml > re-mrz.xml 2> /dev/null
	IMPASS_SIGNER=$APPROVER_FPR sign --state sp/state.db --require validate,render-mrz re-mrz.xml > re-ok.xml 2> /dev/null
	run -65 --separate-stderr spool-print --spool sp re-ok.xml
	assert_regex "${stderr_lines[-1]}" 'record [A-Z-]+: passport AB[0-9]+: an e-Passport \(render-lds signed chip data for an earlier passport of it\) without chip data for this one; nothing was spooled'
	IMPASS_SPOOL=sp lds re-mrz.xml > re-lds.xml 2> /dev/null
	IMPASS_SIGNER=$APPROVER_FPR sign --state sp/state.db --require validate,render-mrz re-lds.xml > re-ok.xml 2> /dev/null
	assert_equal "$(grep -c '<chip ' re-ok.xml)" "$spoiled"
	run -0 spool-print --spool sp --queues 1 re-ok.xml
	split_jobs
	n=0
	for num in $(chips re-ok.xml); do
		run -0 grep -c "<chip file=\"$num.lds\" sod=\"sha256:" jobs/"$num".xml
		n=$((n + 1))
	done
	assert_equal "$n" "$spoiled"
}
