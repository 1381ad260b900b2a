#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# review (issue 25): officers decide held records. setup_file runs the
# whole loop once. Night 0 (pipelines/nightly, e-Passports: render-lds
# signs each chip) prints two applications. Night 1, 150 seeded
# applications and more, holds records at every stage that holds in a
# night: validate (a previous passport not in the form of one),
# verify-fee (a receipt another applicant paid with), verify-nadra
# (another father's name), screen-pcl (applicants put on the PCL), dedup
# (rows applied twice under another tracking id), render-mrz (night 0's
# first application exported again: MRZ_ALREADY_ISSUED; night 0's second
# person under a new tracking id: MRZ_IN_PRODUCTION), render-lds (a photo
# missing from the store, one whose file is another photo). sign holds
# only what missed a stage, which a night never does: an operator's batch
# run by hand without screen-pcl (B-HAND-01) is approved and spooled, sign
# holding both its records. review export of each approved stream;
# review.csv filled by a script as the officers would (a reviewer:
# validate, verify-fee, verify-nadra, render-lds and sign holds; a
# screening officer: screen-pcl, dedup and render-mrz holds); the files
# applied; the missing photo put back; the next night (new applications)
# takes the three batches of decided records; a third night takes
# nothing more. The tests read what the loop left, and try every refusal
# on copies (spool.night1: the spool as night 1 and the hand batch left
# it, every hold open).

bats_require_minimum_version 1.5.0
load helpers

PIPES=$TESTS/../pipelines
HEADER=batch,id,office,stage,code,reason,values,decision,corrected_field,corrected_value,note
USAGE='usage: review export [-t FILE] [--spool DIR] [FILE|-]'

# photo CSV ROW: the photo_sha256 of line ROW of CSV
photo() { sed -n "$2p" "$1" | grep -o '[0-9a-f]\{64\}'; }

make_data() {
	"$GEN" --seed 25 applications 150 > base.csv
	{ "$GEN" --seed 25 nadra 150
	  "$GEN" --seed 25 --from 1000 nadra 21 | tail -n +2
	  "$GEN" --seed 25 --from 2000 nadra 2 | tail -n +2
	  "$GEN" --seed 25 --from 3000 nadra 8 | tail -n +2; } > nadra.csv
	"$GEN" --seed 25 pcl 300 > pcl.csv
	# every 23rd: another father; every 29th: a previous passport that is
	# not one; every 31st applied twice (DUP-n); every 37th on the PCL
	awk -F, -v OFS=, 'NR == 1 { print; next }
		NR % 23 == 0 { $7 = "ZORAWAR KHAN" }
		NR % 29 == 0 { $15 = "OLD-123" }
		{ print }
		NR % 31 == 0 { sub(/^[^,]*/, sprintf("DUP-%04d", NR)); print }' base.csv > apps.csv
	awk "$CSV_SPLIT"'NR > 1 && NR % 37 == 0 { csv_split($0, f)
		printf "PCLX-%04d,PCL,A,%s,%s %s,%s,%s,PAK,,planted,2020-01-01,\n", NR, f[11], f[6], f[5], f[7], f[9] }' \
		apps.csv >> pcl.csv
	"$GEN" --seed 25 --from 2000 applications 2 > night0.csv
	"$GEN" --seed 25 --from 1000 applications 10 > night2.csv
	"$GEN" --seed 25 --from 1010 applications 10 | sed 's/^[A-Z]*-2026-00010/N3-&/' > night3.csv
	"$GEN" --seed 25 --from 3000 applications 8 | awk -F, 'NR == 1 || $4 == "ordinary"' | head -n 3 > hand.csv
	seq -f 'SL%08g' 1 2000 > lam.txt
	# fees: the office's schedule; the bank paid every application as it
	# states (fee_receipt, fee_amount, applied_on are the last three
	# columns), a DUP- copy with a receipt of its own: this suite's holds
	# are the other stages'
	"$GEN" --seed 25 fees 35 > fees.csv
	awk -F, -v OFS=, 'FNR == 1 { next } /^DUP-/ { $(NF - 2) = sprintf("9%011d", FNR) } { print }' \
		apps.csv > apps.tmp && { head -n 1 apps.csv; cat apps.tmp; } > apps.csv.new && mv apps.csv.new apps.csv
	rm -f apps.tmp
	# render-mrz's holds: night 0's first application exported again, its
	# second person under a new tracking id, each with a receipt of its own
	tail -n +2 night0.csv | awk -F, -v OFS=, '{ $(NF - 2) = sprintf("8%011d", NR) }
		NR == 2 { sub(/^[^,]*/, "INP-0001") } { print }' >> apps.csv
	# verify-fee's hold: one more applicant who gives the first one's
	# receipt (FEE_RECEIPT_REUSED), for a passport of the same fee
	# (category, type, validity, pages, day applied)
	"$GEN" --seed 25 --from 1020 applications 1 | tail -n 1 |
		awk -F, -v OFS=, -v d="$(sed -n 2p apps.csv)" '{ split(d, f, ",")
			$3 = f[3]; $4 = f[4]; $13 = f[13]; $14 = f[14]
			$(NF - 2) = f[NF - 2]; $(NF - 1) = f[NF - 1]; $NF = f[NF]; print }' >> apps.csv
	{ echo 'receipt_no,amount,paid_on,channel,status'
	  for f in apps.csv night0.csv night2.csv night3.csv hand.csv; do
		awk -F, 'FNR > 1 { printf "%s,%s,%s,HBL branch 0001,paid\n", $(NF - 2), $(NF - 1), $NF }' "$f"
	  done; } > payments.csv
	# e-Passports: a PKI, and each application's photo in the store
	"$TESTS/mkpki" pki > /dev/null
	for f in apps.csv night0.csv night2.csv night3.csv hand.csv; do
		"$TESTS/fake-photos" csv photos < "$f" > "$f.new" && mv "$f.new" "$f"
	done
	# render-lds's holds: two ordinary passports from base row 40 on that
	# hold nowhere else: the first's photo is not in the store (put aside;
	# the office finds it), the second's file is another photo (the office
	# sends it again)
	awk -F, 'NR >= 40 && $4 == "ordinary" && NR % 23 && NR % 29 && NR % 31 && NR % 37 { print $1 }' \
		base.csv | head -n 2 > lds.ids
	LDS_GONE=$(grep "^$(sed -n 1p lds.ids)," apps.csv | grep -o '[0-9a-f]\{64\}')
	LDS_BAD=$(grep "^$(sed -n 2p lds.ids)," apps.csv | grep -o '[0-9a-f]\{64\}')
	mkdir -p aside
	mv "photos/$LDS_GONE.jpg" aside/
	cp "photos/$(photo night2.csv 2).jpg" "photos/$LDS_BAD.jpg"
	LDS_NEW=$("$TESTS/fake-photos" one photos)
	printf 'LDS_GONE=%s\nLDS_BAD=%s\nLDS_NEW=%s\n' "$LDS_GONE" "$LDS_BAD" "$LDS_NEW" > lds.env
}

# fill FILE STAGE... : review.csv lines of those stages decided as an
# officer would: a previous passport not shown is rejected; a receipt
# another applicant paid with is rejected; another father's name is
# corrected to the register's; a PCL hit is released (a namesake
# checked); of a pair applied twice the DUP- is rejected and the other
# released; an application exported again after its passport was made
# is rejected; a person whose passport in production was reported lost
# is released (render-mrz gives this application one); the missing photo
# found is released, the other photo corrected to the one sent again;
# of the hand batch's records (sign), the first released (screen-pcl was
# down; it runs now) and the second rejected (withdrawn)
fill() {
	local csv=$1
	shift
	awk -F, -v OFS=, -v stages=" $* " -v newphoto="$LDS_NEW" "$CSV_SPLIT"'
		NR == FNR { father[$1] = $3; next }
		FNR == 1 { print; next }
		{ n = csv_split($0, f)
		  line = $0; sub(/,,,,$/, "", line)
		  if (index(stages, " " f[4] " ") == 0) { print; next }
		  match(f[7], /cnic=[0-9-]*/); cnic = substr(f[7], RSTART + 5, RLENGTH - 5); gsub(/-/, "", cnic)
		  if (f[5] == "PREVIOUS_PASSPORT_FORMAT") print line ",reject,,,no old passport was shown"
		  else if (f[5] == "FEE_RECEIPT_REUSED") print line ",reject,,,the receipt was paid for another applicant"
		  else if (f[5] == "NADRA_FATHER_MISMATCH") print line ",correct,father_name," father[cnic] ",as on the CNIC card"
		  else if (f[5] == "MRZ_ALREADY_ISSUED") print line ",reject,,,a second export of an application whose passport is made"
		  else if (f[5] == "MRZ_IN_PRODUCTION") print line ",release,,,the passport in production was reported lost at the counter"
		  else if (f[5] == "LDS_PHOTO_MISSING") print line ",release,,,the photo is back in the photo store"
		  else if (f[5] == "LDS_PHOTO_MISMATCH") print line ",correct,photo_sha256," newphoto ",the office sent the photo again"
		  else if (f[5] == "SIGN_STAGE_MISSING" && ++signed == 1) print line ",release,,,screen-pcl was down when the batch was run by hand"
		  else if (f[5] == "SIGN_STAGE_MISSING") print line ",reject,,,the applicant withdrew the application"
		  else if (f[4] == "screen-pcl") print line ",release,,,a namesake: another father and date of birth"
		  else if (f[2] ~ /^DUP-/) print line ",reject,,,the same person applied twice; the first application goes on"
		  else print line ",release,,,the first application of the pair" }' \
		"$KT/nadra.csv" "$csv"
}

mkcase() {
	cat > impass.conf <<-EOF
	BIN=$IMP_BIN
	GNUPGHOME=$KT/k/g
	IMPASS_TRUST=$KT/k/trust
	STAGE_KEY=$STAGE_FPR
	APPROVER_KEY=$APPROVER_FPR
	FEES=$KT/fees.csv
	PAYMENTS=$KT/payments.csv
	NADRA=$KT/nadra.csv
	PCL_LISTS="$KT/pcl.csv"
	SPOOL=spool
	QUEUES=2
	LAMINATES=$KT/lam.txt
	LDS_DS_CERT=$KT/pki/ds.pem
	LDS_DS_KEY=$KT/pki/ds.key
	LDS_CSCA=$KT/pki/csca.pem
	LDS_PHOTOS=$KT/photos
	EOF
	IMPASS_SPOOL=spool render-mrz --add-range STOCK-1 AB1000000-AB1999999 2> /dev/null
}

# the operator's batch run by hand, screen-pcl left out: approved, spooled
hand_batch() {
	export IMPASS_SIGNER=$STAGE_FPR IMPASS_SPOOL=spool
	ingest -b B-HAND-01 "$KT/hand.csv" | validate |
		verify-fee --schedule "$KT/fees.csv" --payments "$KT/payments.csv" |
		verify-nadra --nadra "$KT/nadra.csv" | dedup | render-mrz |
		sign -s "$APPROVER_FPR" > hand.xml
	spool-print --spool spool --queues 2 --laminates "$KT/lam.txt" hand.xml
}

setup_file() {
	keys_setup
	stage_env
	# a screening officer's key, and the roles of the officers
	GNUPGHOME=$KT/k/g gpg --batch --quiet --passphrase '' --pinentry-mode loopback \
		--quick-gen-key 'impass screener <screener@impass.test>' ed25519 sign never 2> /dev/null
	SCREEN_FPR=$(gpg --homedir "$KT/k/g" --with-colons --list-keys screener@impass.test | awk -F: '/^fpr/ { print $10; exit }')
	{
		echo "$OTHER_FPR reviewer Officer Bilal Ahmed"
		echo "$SCREEN_FPR screening Officer Sadia Khan"
		echo "$APPROVER_FPR screening Officer Ayesha Siddiqui"
	} >> "$KT/k/trust"
	echo "SCREEN_FPR=$SCREEN_FPR" >> "$KT/k/env"
	cd "$KT" || return 1
	make_data
	mkdir case
	cd case || return 1
	mkcase
	"$PIPES/nightly" --config impass.conf "$KT/night0.csv" > night0.out 2>&1
	"$PIPES/nightly" --config impass.conf "$KT/apps.csv" > night1.out 2>&1
	N1=$(run_of "$KT/apps.csv")
	(hand_batch) > hand.out 2>&1
	IMPASS_SPOOL=spool review export "$N1/07-sign.xml" > review.csv 2> export.err
	IMPASS_SPOOL=spool review export hand.xml > hand.review.csv 2> hand.export.err
	fill review.csv validate verify-fee verify-nadra render-lds > reviewer.csv
	fill review.csv screen-pcl dedup render-mrz > screener.csv
	fill hand.review.csv sign > hand.filled.csv
	cp -a spool spool.night1
	IMPASS_SPOOL=spool review apply -s "$OTHER_FPR" -d reviewer.csv "$N1/07-sign.xml" > apply1.out 2> apply1.err
	IMPASS_SPOOL=spool review apply -s "$SCREEN_FPR" -d screener.csv "$N1/07-sign.xml" > apply2.out 2> apply2.err
	IMPASS_SPOOL=spool review apply -s "$OTHER_FPR" -d hand.filled.csv hand.xml > apply3.out 2> apply3.err
	cp -r spool/decided decided.applied
	mv "$KT/aside/$LDS_GONE.jpg" "$KT/photos/"
	"$PIPES/nightly" --config impass.conf "$KT/night2.csv" > night2.out 2>&1
	"$PIPES/nightly" --config impass.conf "$KT/night3.csv" > night3.out 2>&1
}

# the run folder of a night, by its input
run_of() {
	local f
	f=$(grep -lx "$1" "${2:-spool}"/runs/2*/input.name)
	echo "${f%/input.name}"
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	unset IMPASS_SIGNER
	export IMPASS_SPOOL=$KT/case/spool
	C=$KT/case
	N1=$(run_of "$KT/apps.csv" "$C/spool")
	S=$N1/07-sign.xml
	H=$C/hand.xml
	# shellcheck disable=SC1091
	source "$KT/lds.env"
}

held_ids() { grep '^<record [^>]*status="held"' "$1" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/' | sort; }
csv_ids() { tail -n +2 "$1" | cut -d, -f2 | sort; }
# the lines of a filled file that carry a decision
decided_lines() { awk -F, 'NR > 1 && $0 !~ /,,,,$/' "$1"; }
# every print job of the spool: "tracking_id batch number chip"
jobs() { spool_job_batches "$C/spool"; }
# night 0's batch id
night0_batch() { attr "$(grep '^<batch ' "$(run_of "$KT/night0.csv" "$C/spool")/07-sign.xml")" id; }
# the decisions of every officer's file: reviewer, screener, hand batch
all_filled() { cat "$C/reviewer.csv" "$C/screener.csv" "$C/hand.filled.csv"; }
# the record ids of the spool's rejected records of those batches (a file
# BATCH.parked each, the records by their place in the stream, ids inside)
rejected_in() {
	local b
	for b; do
		find "$C/spool/rejected" -maxdepth 1 -type f -name "$b.*" -exec sed -n 's/^record: //p' {} +
	done
}
# a copy of the case's spool to try a refusal on (nothing may change in it)
spool_copy() { cp -a "$C/spool" sp; export IMPASS_SPOOL=$PWD/sp; }

@test "review: the first night holds records of every stage that holds in a night; sign holds the hand batch's" {
	local s c
	run -0 grep -c '^<record [^>]*status="held"' "$S"
	[ "$output" -ge 16 ]
	for s in validate verify-fee verify-nadra screen-pcl dedup render-mrz render-lds; do
		grep -q "<step stage=\"$s\" result=\"held\"" "$S" || fail "no hold of $s"
	done
	for c in MRZ_ALREADY_ISSUED MRZ_IN_PRODUCTION LDS_PHOTO_MISSING LDS_PHOTO_MISMATCH; do
		[ "$(grep -c "^<record [^>]*status=\"held\".*code=\"$c\"" "$S")" -eq 1 ] || fail "$c"
	done
	# a night never holds at sign: every stage ran; the hand batch missed screen-pcl
	[ "$(grep -c 'code="SIGN_STAGE_MISSING"' "$S")" -eq 0 ]
	run -0 grep -c '^<record [^>]*status="held".*<step stage="sign" result="held" code="SIGN_STAGE_MISSING">not approved: no ok step of screen-pcl;' "$H"
	assert_output 2
}

@test "review export: every held record of the approved batch once, with its reason and values, the decision columns empty" {
	run -0 head -n 1 "$C/review.csv"
	assert_output "$HEADER"
	diff -u <(held_ids "$S") <(csv_ids "$C/review.csv")
	# the night left the same list in its run folder
	diff -u "$C/review.csv" "$N1/review.csv"
	grep -q "nightly: review.csv: $(held_ids "$S" | wc -l) held records to decide (review apply)" "$C/night1.out"
	[ "$(awk -F, 'NR > 1 && $0 !~ /,,,,$/' "$C/review.csv" | wc -l)" -eq 0 ]
	run -0 cat "$C/export.err"
	assert_output "review: $(attr "$(grep '^<batch ' "$S")" id): $(held_ids "$S" | wc -l) held, $(held_ids "$S" | wc -l) to decide in review.csv, 0 decided before"
	# a NADRA hold: the values as entered, the register's in the reason
	local line
	line=$(grep ',verify-nadra,NADRA_FATHER_MISMATCH,' "$C/review.csv" | head -n 1)
	[[ $line =~ ^B-[0-9]{8}-02,[A-Z]{3}-2026-[0-9]{7},[A-Z]{3},verify-nadra,NADRA_FATHER_MISMATCH,\"father\'s\ name:\ applicant\ ZORAWAR\ KHAN,\ register\ [A-Z\ ]+:\ similarity\ [0-9.]+,\ 0.85\ needed\",surname=[A-Z]+\;\ given_names=[A-Z\ ]+\;\ father_name=ZORAWAR\ KHAN\;\ date_of_birth=[0-9-]+\;\ cnic=[0-9-]+,,,,$ ]]
	# a duplicate names the other party and the score
	grep -q ',dedup,DEDUP_[A-Z_]*,.*; other=[A-Z0-9-]*,,,,$' "$C/review.csv"
	grep -q ',screen-pcl,PCL_[A-Z_]*,.*; list=PCL; entry=PCLX-[0-9]*; score=[0-9.]*,,,,$' "$C/review.csv"
}

@test "review apply: each officer's decisions go into a sealed batch of their own, the officer in every step" {
	local b
	b=$(attr "$(grep '^<batch ' "$S")" id)
	run -0 cat "$C/apply1.out" "$C/apply2.out"
	assert_output "spool/decided/$b-D1.xml
spool/decided/$b-D2.xml"
	# the batch's file of held records stays in held/ until its last hold is decided
	run -0 cat "$C/apply1.err"
	assert_output "review: $b: $(decided_lines "$C/reviewer.csv" | wc -l) decided into $b-D1: $(decided_lines "$C/reviewer.csv" | grep -cE ',(release|correct),') released or corrected, $(decided_lines "$C/reviewer.csv" | grep -c ',reject,') rejected; 0 held records moved to spool/reviewed"
	run -0 cat "$C/apply2.err"
	assert_output "review: $b: $(decided_lines "$C/screener.csv" | wc -l) decided into $b-D2: $(decided_lines "$C/screener.csv" | grep -cE ',(release|correct),') released or corrected, $(decided_lines "$C/screener.csv" | grep -c ',reject,') rejected; $(held_ids "$S" | wc -l) held records moved to spool/reviewed"
	run -0 inspect "$C/decided.applied/$b-D1.xml"
	assert_line --regexp "^seal +good: review by $OTHER_FPR \\(Officer Bilal Ahmed\\), [0-9]+ records, "
	# the batch is sealed by the reviewer's key, every record names it
	[ "$(attr "$(grep '^<seal ' "$C/decided.applied/$b-D1.xml")" signer)" = "$OTHER_FPR" ]
	[ "$(attr "$(grep '^<seal ' "$C/decided.applied/$b-D2.xml")" signer)" = "$SCREEN_FPR" ]
	[ "$(grep -c '^<record ' "$C/decided.applied/$b-D1.xml")" -eq "$(decided_lines "$C/reviewer.csv" | wc -l)" ]
	[ "$(grep -c "<step stage=\"review\" [^>]*officer=\"$OTHER_FPR\"" "$C/decided.applied/$b-D1.xml")" -eq "$(decided_lines "$C/reviewer.csv" | wc -l)" ]
	# a release names the stage whose hold it cleared; the record is ok again
	local id
	id=$(decided_lines "$C/screener.csv" | awk -F, '$4 == "screen-pcl" { print $2; exit }')
	run -0 grep -o "^<record [^>]* id=\"$id\" status=\"[a-z]*\"" "$C/decided.applied/$b-D2.xml"
	assert_output --partial 'status="ok"'
	grep -F " id=\"$id\" " "$C/decided.applied/$b-D2.xml" | grep -q "<step stage=\"review\" result=\"ok\" code=\"REVIEW_RELEASE\" officer=\"$SCREEN_FPR\" cleared=\"screen-pcl\">released by Officer Sadia Khan: a namesake: another father and date of birth (held in batch $b by screen-pcl PCL_[A-Z_]*); goes on after screen-pcl</step></trail></record>$"
	# a correction: the value replaced, <normalised> gone until validate writes it again
	id=$(decided_lines "$C/reviewer.csv" | awk -F, '$5 == "NADRA_FATHER_MISMATCH" { print $2; exit }')
	run -0 grep -F " id=\"$id\" " "$C/decided.applied/$b-D1.xml"
	refute_output --partial '<normalised>'
	refute_output --partial 'ZORAWAR KHAN</father_name>'
	assert_output --regexp "<step stage=\"review\" result=\"ok\" code=\"REVIEW_CORRECT\" officer=\"$OTHER_FPR\">father_name corrected from 'ZORAWAR KHAN' to '[A-Z ]+' by Officer Bilal Ahmed: as on the CNIC card \\(held in batch $b by verify-nadra NADRA_FATHER_MISMATCH\\); goes through every stage again</step></trail></record>$"
	[ -z "$(find "$C/decided.applied" -type f ! -perm 0600)" ]
}

@test "review: the next night takes each batch of decided records once; released ones go on after their hold, corrected ones through every stage" {
	local b d id
	b=$(attr "$(grep '^<batch ' "$S")" id)
	run -0 cat "$C/night2.out"
	assert_line "nightly: decided records $b-D1: run folder spool/runs/decided-$b-D1"
	assert_line "nightly: decided records $b-D2: run folder spool/runs/decided-$b-D2"
	assert_line "nightly: decided records B-HAND-01-D1: run folder spool/runs/decided-B-HAND-01-D1"
	[ -z "$(ls "$C/spool/decided")" ]
	run -0 cat "$C/night3.out"
	refute_output --partial 'decided records'
	# the decided batches' own holds and rejections are listed for the officers
	[ "$(head -n 1 "$C/spool/runs/decided-$b-D1/review.csv")" = "$HEADER" ]
	d=$C/spool/runs/decided-$b-D2
	# a PCL release: screen-pcl and the stages before it passed untouched
	id=$(decided_lines "$C/screener.csv" | awk -F, '$4 == "screen-pcl" { print $2; exit }')
	run -0 sh -c "grep -F ' id=\"$id\" ' '$d/07-sign.xml' | grep -o '<step stage=\"[a-z-]*\" result=\"[a-z]*\"' | sed 's/<step stage=//' | tr '\n' ' '"
	assert_output '"ingest" result="ok" "validate" result="ok" "verify-fee" result="ok" "verify-nadra" result="ok" "screen-pcl" result="held" "review" result="ok" "dedup" result="ok" "render-mrz" result="ok" "render-lds" result="ok" "sign" result="ok" '
	# a correction: every stage again, verify-nadra now agrees
	id=$(decided_lines "$C/reviewer.csv" | awk -F, '$5 == "NADRA_FATHER_MISMATCH" { print $2; exit }')
	run -0 sh -c "grep -F ' id=\"$id\" ' '$C/spool/runs/decided-$b-D1/07-sign.xml' | grep -o '<step stage=\"[a-z-]*\" result=\"[a-z]*\" code=\"[A-Z_]*\"' | sed 's/<step stage=//' | tr '\n' ' '"
	assert_output '"ingest" result="ok" code="INGEST_OK" "validate" result="ok" code="VALIDATE_OK" "verify-fee" result="ok" code="FEE_OK" "verify-nadra" result="held" code="NADRA_FATHER_MISMATCH" "review" result="ok" code="REVIEW_CORRECT" "validate" result="ok" code="VALIDATE_OK" "verify-fee" result="ok" code="FEE_OK" "verify-nadra" result="ok" code="NADRA_OK" "screen-pcl" result="ok" code="SCREEN_CLEAR" "dedup" result="ok" code="DEDUP_CLEAR" "render-mrz" result="ok" code="MRZ_RENDERED" "render-lds" result="ok" code="LDS_SIGNED" "sign" result="ok" code="SIGN_APPROVED" '
}

@test "review: after the next nights every released or corrected record is printed exactly once, every confirmed hold rejected" {
	local b id n all n0 rej
	b=$(attr "$(grep '^<batch ' "$S")" id)
	[ "$(all_filled | grep -cE ',(release|correct),')" -ge 17 ]
	all=$(jobs)
	n0=$(night0_batch)
	for id in $(all_filled | grep -E ',(release|correct),' | cut -d, -f2); do
		n=$(awk -v id="$id" '$1 == id' <<< "$all" | wc -l)
		[ "$n" -eq 1 ] || { echo "$id: $n print jobs"; return 1; }
		awk -v id="$id" '$1 == id { print $2 }' <<< "$all" | grep -Eq "^($b-D[12]|B-HAND-01-D1)$"
	done
	# (a rejected second export's application has the passport of its first, night 0's)
	rej=$(rejected_in "$b-D1" "$b-D2" "B-HAND-01-D1")
	for id in $(all_filled | grep ',reject,' | cut -d, -f2); do
		[ "$(grep -cx "$id" <<< "$rej")" -eq 1 ]
		[ "$(awk -v id="$id" -v n0="$n0" '$1 == id && $2 != n0' <<< "$all" | wc -l)" -eq 0 ]
	done
	# every job of a decided batch is one of those: nothing else printed
	diff <(awk '$2 ~ /-D[0-9]+$/ { print $1 }' <<< "$all" | sort) \
		<(all_filled | grep -E ',(release|correct),' | cut -d, -f2 | sort)
	# nothing decided is lost: every held record is decided or still open
	[ "$(cat "$C/reviewer.csv" "$C/screener.csv" | grep -cE ',(release|correct|reject),')" -eq "$(held_ids "$S" | wc -l)" ]
	[ "$(grep -cE ',(release|reject),' "$C/hand.filled.csv")" -eq "$(held_ids "$H" | wc -l)" ]
	run -0 --separate-stderr review export "$S"
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 "$HEADER"
}

# the record line of ID in FILE
record_of() { grep -F " id=\"$1\" " "$2"; }
# the steps of ID in FILE: stage="S" result="R" code="C" ...
steps_of() { record_of "$1" "$2" | grep -o '<step stage="[a-z-]*" result="[a-z]*" code="[A-Z_]*"' | sed 's/^<step //' | tr '\n' ' '; }
# the passport number of a record line on stdin
number_of() { grep -o '<passport number="[A-Z0-9]*"' | cut -d'"' -f2; }
# a number's state and why in the spool's ledger
ledger_state() { sqlite3 "$C/spool/state.db" "SELECT state || ' ' || coalesce(why, '') FROM series_number WHERE number = '$1'"; }

@test "review: holds of render-mrz, render-lds and sign: the held passport made void, a new one printed once; MRZ_IN_PRODUCTION released, MRZ_ALREADY_ISSUED only rejected" {
	local b id old new line d
	b=$(attr "$(grep '^<batch ' "$S")" id)
	# render-lds's holds: the passport made for the record is in the export's values
	for id in $(cat "$KT/lds.ids"); do
		old=$(record_of "$id" "$S" | number_of)
		[[ $old =~ ^AB1[0-9]{6}$ ]]
		line=$(grep "^$b,$id," "$C/review.csv")
		[[ $line == *",render-lds,LDS_PHOTO_"*"; passport=$old,,,," ]] || fail "$line"
		# decided: no passport and no chip in the decided record; the number void
		run -0 record_of "$id" "$C/decided.applied/$b-D1.xml"
		refute_output --partial '<passport '
		refute_output --partial '<chip'
		assert_output --partial "; passport $old void, never printed</step></trail></record>"
		[ "$(ledger_state "$old")" = "void held, never printed: an officer decided the record, which gets a new number" ]
		# the next night: render-mrz and render-lds again, a new number, printed once with its chip
		new=$(jobs | awk -v id="$id" '$1 == id { print $3, $2, $4 }')
		[[ $new =~ ^AB1[0-9]{6}\ $b-D1\ chip$ ]] || fail "$id: $new"
		[ "${new%% *}" != "$old" ]
		[ "$(ledger_state "${new%% *}")" = "spooled " ]
		run -0 steps_of "$id" "$C/spool/runs/decided-$b-D1/07-sign.xml"
		assert_output --regexp '^stage="ingest" .* stage="render-mrz" result="ok" code="MRZ_RENDERED" stage="render-lds" result="held" code="LDS_PHOTO_MIS[A-Z]+" stage="review" result="ok" code="REVIEW_(RELEASE|CORRECT)" .*stage="render-mrz" result="ok" code="MRZ_RENDERED" stage="render-lds" result="ok" code="LDS_SIGNED" stage="sign" result="ok" code="SIGN_APPROVED" $'
	done
	grep -q "^$b,$(sed -n 1p "$KT/lds.ids"),[^,]*,render-lds,LDS_PHOTO_MISSING,.*,release,,,the photo is back" "$C/reviewer.csv"
	grep -q "^$b,$(sed -n 2p "$KT/lds.ids"),[^,]*,render-lds,LDS_PHOTO_MISMATCH,.*,correct,photo_sha256,$LDS_NEW," "$C/reviewer.csv"
	# MRZ_IN_PRODUCTION released by the screening officer: render-mrz gives it its passport
	run -0 record_of INP-0001 "$C/decided.applied/$b-D2.xml"
	assert_output --regexp "<step stage=\"review\" result=\"ok\" code=\"REVIEW_RELEASE\" officer=\"$SCREEN_FPR\" cleared=\"render-mrz\">released by Officer Sadia Khan: the passport in production was reported lost at the counter \\(held in batch $b by render-mrz MRZ_IN_PRODUCTION\\); render-mrz gives it its passport, the other one in production notwithstanding</step></trail></record>\$"
	run -0 steps_of INP-0001 "$C/spool/runs/decided-$b-D2/07-sign.xml"
	assert_output --regexp 'stage="dedup" result="ok" code="DEDUP_CLEAR" stage="render-mrz" result="held" code="MRZ_IN_PRODUCTION" stage="review" result="ok" code="REVIEW_RELEASE" stage="render-mrz" result="ok" code="MRZ_RENDERED" stage="render-lds" result="ok" code="LDS_SIGNED" stage="sign" result="ok" code="SIGN_APPROVED" $'
	[ "$(jobs | awk '$1 == "INP-0001" { print $2 }')" = "$b-D2" ]
	# MRZ_ALREADY_ISSUED: rejected; the application's first passport (night 0) printed once
	id=$(grep ',render-mrz,MRZ_ALREADY_ISSUED,' "$C/review.csv" | cut -d, -f2)
	grep -q "^$b,$id,.*,reject,,,a second export" "$C/screener.csv"
	[ "$(jobs | awk -v id="$id" '$1 == id { print $2 }')" = "$(night0_batch)" ]
	# sign's holds: the released record through every stage (screen-pcl among
	# them) with a new number; the rejected one's number void too
	id=$(decided_lines "$C/hand.filled.csv" | awk -F, '$8 == "release" { print $2 }')
	old=$(record_of "$id" "$H" | number_of)
	d=$C/spool/runs/decided-B-HAND-01-D1
	run -0 steps_of "$id" "$d/07-sign.xml"
	assert_output --regexp 'stage="sign" result="held" code="SIGN_STAGE_MISSING" stage="review" result="ok" code="REVIEW_RELEASE" stage="validate" result="ok" code="VALIDATE_OK" stage="verify-fee" result="ok" code="FEE_OK" stage="verify-nadra" result="ok" code="NADRA_OK" stage="screen-pcl" result="ok" code="SCREEN_CLEAR" stage="dedup" result="ok" code="DEDUP_CLEAR" stage="render-mrz" result="ok" code="MRZ_RENDERED" stage="render-lds" result="ok" code="LDS_SIGNED" stage="sign" result="ok" code="SIGN_APPROVED" $'
	new=$(jobs | awk -v id="$id" '$1 == id { print $3, $2 }')
	[[ $new =~ ^AB1[0-9]{6}\ B-HAND-01-D1$ ]]
	[ "${new%% *}" != "$old" ]
	[ "$(ledger_state "$old")" = "void held, never printed: an officer decided the record, which gets a new number" ]
	id=$(decided_lines "$C/hand.filled.csv" | awk -F, '$8 == "reject" { print $2 }')
	[ "$(ledger_state "$(record_of "$id" "$H" | number_of)")" = "void held, never printed: an officer confirmed the hold" ]
}

@test "review apply: MRZ_ALREADY_ISSUED is only rejected (65); render-mrz's holds only by a screening key (77)" {
	local b line
	cp -a "$C/spool.night1" sp
	export IMPASS_SPOOL=$PWD/sp
	b=$(attr "$(grep '^<batch ' "$S")" id)
	line=$(grep ',render-mrz,MRZ_ALREADY_ISSUED,' "$C/review.csv")
	printf '%s\n' "$HEADER" "${line%,,,,},release,,,checked" > d.csv
	run -65 review apply -s "$SCREEN_FPR" -d d.csv "$S"
	assert_output "review: $b: d.csv line 2 (record $(cut -d, -f2 <<< "$line")): the application has its passport already (number and batch in the reason): one application gets one passport, so this hold is only confirmed (reject); a spoiled booklet is reprinted with spool-print --reprint; nothing was applied"
	printf '%s\n' "$HEADER" "${line%,,,,},correct,surname,KHAN,another name" > d.csv
	run -65 review apply -s "$SCREEN_FPR" -d d.csv "$S"
	assert_output --partial "one application gets one passport, so this hold is only confirmed (reject)"
	line=$(grep ',render-mrz,MRZ_IN_PRODUCTION,' "$C/review.csv")
	printf '%s\n' "$HEADER" "${line%,,,,},release,,,checked" > d.csv
	run -77 review apply -s "$OTHER_FPR" -d d.csv "$S"
	assert_output --partial "d.csv line 2 (record INP-0001): a hold of screen-pcl, dedup or render-mrz is decided only by a key with the screening role; the key given is not one; nothing was applied"
	[ ! -e sp/decided ] || [ -z "$(ls sp/decided)" ]
	# a held passport is made void only in the ledger that gave it
	mkdir other
	line=$(grep ',render-lds,LDS_PHOTO_MISSING,' "$C/reviewer.csv")
	printf '%s\n' "$HEADER" "$line" > d.csv
	IMPASS_SPOOL=$PWD/other run -65 review apply -s "$OTHER_FPR" -d d.csv "$S"
	assert_output "review: $b: d.csv line 2 (record $(cut -d, -f2 <<< "$line")): the record carries passport $(grep -o 'passport=AB[0-9]*' <<< "$line" | cut -d= -f2), which the ledger of $PWD/other/state.db did not give it in this batch, or which is not sealed any more; decide it with the spool whose render-mrz gave the number (--spool); nothing was applied"
	[ ! -e other/decided ] || [ -z "$(ls other/decided)" ]
}

@test "review apply: the same decisions applied again are refused (65), nothing written" {
	spool_copy
	run -65 review apply -s "$OTHER_FPR" -d "$C/reviewer.csv" "$S"
	assert_output --regexp "^review: B-[0-9]{8}-02: $C/reviewer.csv line [0-9]+ \\(record [A-Z0-9-]+\\): decided already, at [0-9TZ:-]+, into batch B-[0-9]{8}-02-D1; a record is decided once; nothing was applied$"
	[ -z "$(ls sp/decided)" ]
}

@test "review apply: a decision for a record that is not held, or not in the batch, is refused (65)" {
	spool_copy
	local ok
	ok=$(grep -o '^<record [^>]* id="[^"]*" status="ok"' "$S" | head -n 1 | sed 's/.* id="\([^"]*\)".*/\1/')
	{ echo "$HEADER"; echo "$(attr "$(grep '^<batch ' "$S")" id),$ok,X,validate,VALIDATE_OK,,,release,,,looks fine"; } > d.csv
	run -65 review apply -s "$OTHER_FPR" -d d.csv "$S"
	assert_output --regexp "^review: B-[0-9]{8}-02: d.csv line 2 \\(record $ok\\): the record is not held \\(it is ok\\): only a held record is decided; nothing was applied$"
	sed -i "2s/,$ok,/,NO-SUCH-ID,/" d.csv
	run -65 review apply -s "$OTHER_FPR" -d d.csv "$S"
	assert_output --regexp "d.csv line 2 \\(record NO-SUCH-ID\\): no such record in this batch; decide only the records review export listed; nothing was applied$"
	[ -z "$(ls sp/decided)" ]
}

@test "review apply: a corrected value that fails validate is refused (65), nothing written" {
	export IMPASS_SPOOL=$PWD/sp
	local d="$C/spool/runs/decided-$(attr "$(grep '^<batch ' "$S")" id)-D1"
	# a fresh copy of the night with its holds open: a spool without decisions
	mkdir sp
	{ head -n 1 "$C/review.csv"; grep ',verify-nadra,NADRA_FATHER_MISMATCH,' "$C/review.csv" | head -n 1 | sed 's/,,,,$/,correct,date_of_birth,1990-13-45,as on the CNIC card/'; } > d.csv
	run -65 review apply -s "$OTHER_FPR" -d d.csv "$S"
	assert_output --regexp "d.csv line 2 \\(record [A-Z0-9-]+\\): the corrected date_of_birth '1990-13-45' fails validate, DATE_INVALID: date_of_birth '1990-13-45' is not a real date written YYYY-MM-DD \\(or YYYY-MM, YYYY when only that is known\\); correct it again; nothing was applied$"
	[ ! -e sp/decided ] || [ -z "$(ls sp/decided)" ]
	[ -d "$d" ]
}

@test "review apply: a file exported from another batch, or edited in its exported columns, is refused (65)" {
	cp -a "$C/spool.night1" sp
	export IMPASS_SPOOL=$PWD/sp
	sed '2s/^B-[0-9]*-02,/B-20200101-01,/' "$C/reviewer.csv" > other.csv
	run ! cmp -s other.csv "$C/reviewer.csv"
	run -65 review apply -s "$OTHER_FPR" -d other.csv "$S"
	assert_output --regexp "other.csv line 2 \\(record [A-Z0-9-]+\\): the file was exported from another batch than this stream's; export review.csv from this batch's sign output and decide there; nothing was applied$"
	# the reason of a decided line changed
	awk -F, -v OFS=, 'NR > 1 && /,NADRA_FATHER_MISMATCH,/ && !done { sub(/similarity/, "likeness"); done = 1 } { print }' "$C/reviewer.csv" > edited.csv
	run -65 review apply -s "$OTHER_FPR" -d edited.csv "$S"
	assert_output --partial "column reason was edited after the export ("
	assert_output --partial "only decision, corrected_field, corrected_value and note are filled in: export review.csv again; nothing was applied"
	[ ! -e sp/decided ] || [ -z "$(ls sp/decided)" ]
}

@test "review apply: control-list and duplicate holds only by a screening key, never the batch's approver (77); others by a reviewer (77)" {
	mkdir sp
	export IMPASS_SPOOL=$PWD/sp
	run -77 review apply -s "$OTHER_FPR" -d "$C/screener.csv" "$S"
	assert_output --regexp "screener.csv line [0-9]+ \\(record [A-Z0-9-]+\\): a hold of screen-pcl, dedup or render-mrz is decided only by a key with the screening role; the key given is not one; nothing was applied$"
	run -77 review apply -s "$APPROVER_FPR" -d "$C/screener.csv" "$S"
	assert_output --partial ": the key given approved this batch; its control-list and duplicate holds are decided by another officer; nothing was applied"
	run -77 review apply -s "$SCREEN_FPR" -d "$C/reviewer.csv" "$S"
	assert_output --partial ": a hold of this stage is decided by a key with the reviewer role; the key given is not one; nothing was applied"
	# a key without either role may not seal a review at all
	run -77 review apply -s "$STAGE_FPR" -d "$C/reviewer.csv" "$S"
	assert_output --partial "may not seal stage review: that needs the reviewer or screening role in the trust file"
	[ ! -e sp/decided ] || [ -z "$(ls sp/decided)" ]
}

@test "review apply: bad lines are refused (65): a record twice in the file, an unknown decision, no note, a correction without a field" {
	mkdir sp
	export IMPASS_SPOOL=$PWD/sp
	local line
	line=$(decided_lines "$C/reviewer.csv" | grep ',reject,' | head -n 1)
	printf '%s\n' "$HEADER" "$line" "$line" > twice.csv
	run -65 review apply -s "$OTHER_FPR" -d twice.csv "$S"
	assert_output --partial "twice.csv line 3 (record $(cut -d, -f2 <<< "$line")): decided twice in this file"
	printf '%s\n' "$HEADER" "${line/,reject,/,approve,}" > bad.csv
	run -65 review apply -s "$OTHER_FPR" -d bad.csv "$S"
	assert_output --partial "bad.csv line 2 (record $(cut -d, -f2 <<< "$line")): the decision must be release, reject or correct (or empty: not decided yet); nothing was applied"
	printf '%s\n' "$HEADER" "${line%,*}," > nonote.csv
	run -65 review apply -s "$OTHER_FPR" -d nonote.csv "$S"
	assert_output --partial ": no note: say in the note why, as the decision's reason; nothing was applied"
	printf '%s\n' "$HEADER" "${line/,reject,,,/,correct,,,}" > nofield.csv
	run -65 review apply -s "$OTHER_FPR" -d nofield.csv "$S"
	assert_output --partial ": correct needs corrected_field, a field of the record"
	printf '%s\n' "${HEADER%,note}" > head.csv
	run -65 review apply -s "$OTHER_FPR" -d head.csv "$S"
	assert_output --partial "head.csv line 1: required column 'note' is missing"
	[ ! -e sp/decided ] || [ -z "$(ls sp/decided)" ]
}

@test "review: a stream not approved by sign is refused (77); a tampered one (65)" {
	mkdir sp
	export IMPASS_SPOOL=$PWD/sp
	run -77 review export "$N1/06-render-mrz.xml"
	assert_output --partial "review takes an approved batch, sealed by sign; this one was sealed by render-mrz"
	awk '/^<record [^>]*status="ok"/ && !d { sub(/status="ok"/, "status=\"held\""); d = 1 } { print }' "$S" > t.xml
	run ! cmp -s "$S" t.xml
	run -65 review export t.xml
}

@test "review: usage errors exit 64; --help says the synopsis" {
	run -64 review
	assert_line --index 0 "$USAGE"
	run -64 review bogus
	run -64 review apply "$S"
	run -64 review export -d x.csv "$S"
	run -64 review export -s "$OTHER_FPR" "$S"
	run -64 review export a b
	run -0 review --help
	assert_line --index 0 "$USAGE"
	assert_line --index 1 '       review apply -d REVIEW.csv [-s FPR] [-t FILE] [--spool DIR] [FILE|-]'
	assert_line --index 2 '       review holds [--spool DIR]'
	run -64 review holds "$S"
	run -64 review holds -t "$KT/k/trust"
	run -64 review holds -d x.csv
}

@test "review: a certificate's ambiguous date corrected from the paper register, in an approved migration stream" {
	mkdir sp
	export IMPASS_SPOOL=$PWD/sp
	printf '%s\n' 'register,certificate_no,issued_on,name,father_name,date_of_birth,place_of_birth,cnic,previous_nationality,country,mission,remarks' \
		'PCC,PCC/1998/1,03/04/98,ZAFAR IQBAL,S/O MUHAMMAD IQBAL,1961,DELHI,657-80-291030,INDIA,PAKISTAN,,' \
		'PCC,PCC/1998/2,1998-04-03,AMNA BIBI,W/O TARIQ MEHMOOD,1960,DELHI,,INDIA,PAKISTAN,,' > reg.csv
	IMPASS_SIGNER=$STAGE_FPR ingest --kind citizenship -b B-CERT-01 reg.csv 2> /dev/null |
		IMPASS_SIGNER=$STAGE_FPR validate 2> /dev/null | IMPASS_SIGNER=$STAGE_FPR dedup 2> /dev/null |
		sign -s "$APPROVER_FPR" > cert.xml 2> /dev/null
	run -0 --separate-stderr review export cert.xml
	assert_line --index 1 "B-CERT-01,PCC-000001,PCC,validate,DATE_AMBIGUOUS,issued_on '03/04/98' could be 1998-04-03 or 1998-03-04; read the paper register and enter it as YYYY-MM-DD,number=PCC/1998/1; issued_on=03/04/98; name=ZAFAR IQBAL; father_name=S/O MUHAMMAD IQBAL; date_of_birth=1961; cnic=657-80-291030,,,,"
	[ "${#lines[@]}" -eq 2 ]
	# a date that reads two ways is read from the paper, never released unread
	local head=${lines[0]} line=${lines[1]}
	printf '%s\n' "$head" "${line%,,,,},release,,,looks right" > r.csv
	run -65 review apply -s "$OTHER_FPR" -d r.csv cert.xml
	assert_output --partial "r.csv line 2 (record PCC-000001): a date that reads two ways, or none, is not released: read the paper register and correct it (correct, corrected_value YYYY-MM-DD), or reject the record; nothing was applied"
	[ ! -e sp/decided ] || [ -z "$(ls sp/decided)" ]
	printf '%s\n' "$head" "${line%,,,,},correct,issued_on,1998-04-03,the paper register reads 3 April 1998" > d.csv
	run -0 --separate-stderr review apply -s "$OTHER_FPR" -d d.csv cert.xml
	assert_line --index 0 "$PWD/sp/decided/B-CERT-01-D1.xml"
	run -0 grep -o '<certificate .*</certificate>' sp/decided/B-CERT-01-D1.xml
	assert_output '<certificate register="PCC" number="PCC/1998/1"><issued_on>1998-04-03</issued_on><name>ZAFAR IQBAL</name><father_name>S/O MUHAMMAD IQBAL</father_name><date_of_birth>1961</date_of_birth><place_of_birth>DELHI</place_of_birth><cnic>657-80-291030</cnic><previous_nationality>INDIA</previous_nationality><country>PAKISTAN</country></certificate>'
	# validate takes it again: the date read, the old NIC kept, S/O taken off
	run -0 sh -c 'IMPASS_SIGNER=$STAGE_FPR validate < sp/decided/B-CERT-01-D1.xml 2> /dev/null | grep -o "<normalised>.*</normalised>"'
	assert_output '<normalised><register>PCC</register><name>ZAFAR IQBAL</name><father_name>MUHAMMAD IQBAL</father_name><old_nic>65780291030</old_nic><issued_on>1998-04-03</issued_on><date_of_birth>1961</date_of_birth></normalised>'
}

# the held records of a spool's folder: "record code office" of each, of
# one batch (from its BATCH.parked, or an earlier version's record files)
held_files() {
	local f files=()
	for f in "$1"/*.parked "$1"/*.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]; do
		if [ -e "$f" ]; then files+=("$f"); fi
	done
	[ ${#files[@]} -gt 0 ] || return 0
	awk -v b="batch: $2" '
		function flush() { if (ok) print r, c, o; ok = 0; r = c = o = "" }
		FNR == 1 || /^record [0-9]+ [0-9]+$/ { flush() }
		$0 == b { ok = 1 }
		/^record: / { r = substr($0, 9) }
		/^code: / { c = substr($0, 7) }
		match($0, /<office>[^<]*<\/office>/) { o = substr($0, RSTART + 8, RLENGTH - 17) }
		END { flush() }' "${files[@]}" | sort
}

@test "review apply: the batch's file of held records moves out of held/ into reviewed/ as it was once every hold in it is decided; held/ shows only what waits" {
	local b
	b=$(attr "$(grep '^<batch ' "$S")" id)
	# the night parked every held record in its batch's file in held/
	diff <(held_ids "$S") <(held_files "$C/spool.night1/held" "$b" | cut -d' ' -f1)
	# all decided: none left in held/, each in reviewed/ once, unchanged
	[ -z "$(held_files "$C/spool/held" "$b")" ]
	diff <(cat "$C/reviewer.csv" "$C/screener.csv" | grep -E ',(release|correct|reject),' | cut -d, -f2 | sort) \
		<(held_files "$C/spool/reviewed" "$b" | cut -d' ' -f1)
	assert_equal "$(ls "$C/spool/reviewed" | grep "^$b\.")" "$b.parked"
	cmp "$C/spool/reviewed/$b.parked" "$C/spool.night1/held/$b.parked"
	[ "$(stat -c %a "$C/spool/reviewed")" = 700 ]
	[ -z "$(find "$C/spool/reviewed" -type f ! -perm 0600)" ]
	# the later nights' holds wait in held/, none of them decided
	run -0 --separate-stderr review holds
	[ "$(printf '%s\n' "${lines[@]:1}" | awk -F, '$8 == ""' | wc -l)" -eq "$(parked_records "$C/spool/held" | wc -l)" ]
}

@test "review holds: every hold of the spool with its office, wait and decision; the last night's report counts them by code and office" {
	local b n d o line id dec f3 listing reviewed
	b=$(attr "$(grep '^<batch ' "$S")" id)
	n=$(parked_records "$C/spool/held" "$C/spool/reviewed" | wc -l)
	o=$(parked_records "$C/spool/held" | wc -l)
	d=$(all_filled | grep -cE ',(release|correct|reject),')
	run -0 --separate-stderr review holds
	assert_line --index 0 "batch,id,office,stage,code,held_at,waited_days,decision,decided_at,into_batch"
	listing=$output
	reviewed=$(held_files "$C/spool/reviewed" "$b")
	[ "${#lines[@]}" -eq $((n + 1)) ]
	[ "$stderr" = "review: $C/spool: $n holds: $d decided, $o open" ]
	# each decision of the first night, with its hold, office and batch of decided records
	while IFS=, read -r id dec; do
		line=$(printf '%s\n' "${lines[@]}" | grep "^$b,$id,")
		[[ $line =~ ^$b,$id,[A-Z0-9-]+,[a-z-]+,[A-Z_]+,[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z,0,$dec,[0-9]{4}-[0-9-]+T[0-9:]+Z,$b-D[12]$ ]] || { echo "$line"; return 1; }
		[ "$(cut -d, -f3,5 <<< "$line" | tr , ' ')" = "$(awk -v id="$id" '$1 == id { print $3, $2 }' <<< "$reviewed")" ]
	done < <(cat "$C/reviewer.csv" "$C/screener.csv" | awk -F, '$8 ~ /^(release|correct|reject)$/ { print $2 "," $8 }')
	# the report of the last night (night3) counts the same holds
	f3=$(grep -lx "$KT/night3.csv" "$C"/spool/runs/2*/input.name)
	run -0 cat "${f3%/input.name}/report.txt"
	assert_line "holds of all batches spooled (review holds): $n opened, $d decided ($(all_filled | grep -c ',release,') released, $(all_filled | grep -c ',correct,') corrected, $(all_filled | grep -c ',reject,') rejected), $o still open"
	# by code: each code's records in held/ and reviewed/ (none decided holds waits)
	local code all open
	for code in $(parked_records "$C/spool/held" "$C/spool/reviewed" | cut -d' ' -f6 | sort -u); do
		all=$(parked_records "$C/spool/held" "$C/spool/reviewed" | awk -v c="$code" '$6 == c' | wc -l)
		open=$(parked_records "$C/spool/held" | awk -v c="$code" '$6 == c' | wc -l)
		assert_line --regexp "^$code +$all +$((all - open)) +$open  $([ "$open" -eq 0 ] && echo - || echo '0 d')\$"
	done
	assert_line --regexp "^open holds waiting: $o under a day, 0 1 to 6 days, 0 7 to 29 days, 0 30 days or more\$"
	# report.html: the same in its tables
	run -0 xmllint --xpath 'string(//p[@id="holds"])' "${f3%/input.name}/report.html"
	assert_output "$n opened, $d decided ($(all_filled | grep -c ',release,') released, $(all_filled | grep -c ',correct,') corrected, $(all_filled | grep -c ',reject,') rejected), $o still open."
	run -0 xmllint --xpath 'count(//table[@id="holds-offices"]/tr)' "${f3%/input.name}/report.html"
	assert_output "$(($(tail -n +2 <<< "$listing" | cut -d, -f3 | sort -u | wc -l) + 1))"
}

@test "review holds and the report: how long the open holds have waited (their batch file's time), by code, office and waiting time" {
	local b f1 f2 code1 code2 n n1 n2
	b=$(attr "$(grep '^<batch ' "$S")" id)
	n1=$(held_ids "$S" | wc -l)
	n2=$(held_ids "$H" | wc -l)
	n=$((n1 + n2))
	cp -a "$C/spool.night1" sp
	cp -a "$N1" run
	rm -f run/report.*
	assert_equal "$(ls sp/held)" "$b.parked
B-HAND-01.parked"
	f1=$b.parked
	f2=B-HAND-01.parked
	touch -d '10 days ago' "sp/held/$f1"
	touch -d '40 days ago' "sp/held/$f2"
	code1=$(sed -n 's/^code: //p' "sp/held/$f1" | head -n 1)
	run -0 --separate-stderr review holds --spool sp
	[ "$stderr" = "review: sp: $n holds: 0 decided, $n open" ]
	[ "$(parked_records sp/held | wc -l)" -eq "$n" ]
	assert_line --index 1 --regexp "^$b,$(sed -n 's/^record: //p' "sp/held/$f1" | head -n 1),[A-Z0-9-]+,[a-z-]+,$code1,[0-9T:-]+Z,10,,,\$"
	assert_line --index "$n" --regexp "^B-HAND-01,$(sed -n 's/^record: //p' "sp/held/$f2" | tail -n 1),[A-Z0-9-]+,sign,SIGN_STAGE_MISSING,[0-9T:-]+Z,40,,,\$"
	# each record in place order, its batch file's time
	assert_equal "$(printf '%s\n' "${lines[@]:1}" | cut -d, -f1,2,7)" "$(parked_records sp/held | awk '{ print $1 "," $3 "," ($1 == "B-HAND-01" ? 40 : 10) }')"
	export IMPASS_SPOOL=$PWD/sp
	run -0 "$PIPES/report" run
	assert_line "holds of all batches spooled (review holds): $n opened, 0 decided (0 released, 0 corrected, 0 rejected), $n still open"
	assert_line "open holds waiting: 0 under a day, 0 1 to 6 days, $n1 7 to 29 days, $n2 30 days or more"
	code2=$(sed -n 's/^code: //p' "sp/held/$f2" | head -n 1)
	assert_line --regexp "^$code2 +[0-9]+ +0 +[0-9]+  40 d\$"
	run -0 xmllint --xpath 'string(//table[@id="holds-waiting"]/tr[2])' run/report.html
	assert_output "holds00$n1$n2"
}

@test "review holds and apply on an earlier version's record files (BATCH.NNNNNNNN): the same listing as from the batches' files; a decided record's file moves alone" {
	local b listing
	b=$(attr "$(grep '^<batch ' "$S")" id)
	cp -a "$C/spool.night1" sp
	export IMPASS_SPOOL=$PWD/sp
	run -0 --separate-stderr review holds
	listing=$output
	old_layout sp/held
	sqlite3 sp/state.db "DROP TABLE spool_parked"
	assert_equal "$(ls sp/held | grep -vc '\.[0-9]\{8\}$')" 0
	run -0 --separate-stderr review holds
	assert_equal "$output" "$listing"
	# the reviewer's decisions: their records' files move, the screener's wait
	run -0 --separate-stderr review apply -s "$OTHER_FPR" -d "$C/reviewer.csv" "$S"
	assert_regex "$stderr" "; $(decided_lines "$C/reviewer.csv" | wc -l) held records moved to $PWD/sp/reviewed\$"
	diff <(decided_lines "$C/reviewer.csv" | cut -d, -f2 | sort) <(held_files sp/reviewed "$b" | cut -d' ' -f1)
	diff <(decided_lines "$C/screener.csv" | cut -d, -f2 | sort) <(held_files sp/held "$b" | cut -d' ' -f1)
}

@test "review apply killed after recording its decisions: the next export moves the batch's held file; a file edited under the name stays" {
	local b n
	b=$(attr "$(grep '^<batch ' "$S")" id)
	n=$(held_ids "$S" | wc -l)
	cp -a "$C/spool.night1" sp
	export IMPASS_SPOOL=$PWD/sp
	run -0 review apply -s "$OTHER_FPR" -d "$C/reviewer.csv" "$S"
	IMPASS_FAULT=review-recorded run -137 review apply -s "$SCREEN_FPR" -d "$C/screener.csv" "$S"
	[ -s "sp/decided/$b-D2.xml" ]
	[ "$(held_files sp/held "$b" | wc -l)" -eq "$n" ]
	# the file edited: one record's code changed
	cp "sp/held/$b.parked" keep
	sed -i '0,/^code: .*/s//code: NONE/' "sp/held/$b.parked"
	run -0 --separate-stderr review export "$S"
	assert_regex "$stderr" "^review: $b: $PWD/sp/held/$b.parked is not the file of held records spool-print wrote \(its sha256 is [0-9a-f]{16}\.\.\., the file written was [0-9a-f]{16}\.\.\.\): left in held/; have it examined
review: $b: $n held, 0 to decide in review.csv, $n decided before\$"
	[ -e "sp/held/$b.parked" ] && [ ! -e "sp/reviewed/$b.parked" ]
	# review holds does not list an edited file's records: it says so
	run -0 --separate-stderr review holds
	assert_regex "$stderr" "review: $PWD/sp/held/$b.parked is not the file of held records spool-print wrote \(its sha256 is"
	run ! grep -q "^$b," <<< "$output"
	# the file as written: the next export moves it
	cp keep "sp/held/$b.parked"
	run -0 --separate-stderr review export "$S"
	assert_equal "$stderr" "review: $b: $n held, 0 to decide in review.csv, $n decided before; their held files moved to reviewed/"
	cmp "sp/reviewed/$b.parked" keep
	[ ! -e "sp/held/$b.parked" ]
	# applied again: refused, nothing moved back or twice
	run -65 review apply -s "$OTHER_FPR" -d "$C/reviewer.csv" "$S"
	assert_output --partial "decided already"
}

@test "review apply: a reviewed/ planted as a link to another folder is refused (73) naming it; nothing moves into the link's target" {
	cp -a "$C/spool.night1" sp
	export IMPASS_SPOOL=$PWD/sp
	mkdir -m 0700 victim && touch victim/keep
	rm -rf sp/reviewed
	ln -s "$PWD/victim" sp/reviewed
	run -73 --separate-stderr review apply -s "$OTHER_FPR" -d "$C/reviewer.csv" "$S"
	[[ $stderr == *"$PWD/sp/reviewed is a symbolic link, not a folder"* ]] || fail "stderr: $stderr"
	assert_equal "$(ls -A victim)" keep
	[ "$(held_files sp/held "$(attr "$(grep '^<batch ' "$S")" id)" | wc -l)" -eq "$(held_ids "$S" | wc -l)" ]
}
