#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# review (issue 25): officers decide held records. setup_file runs the
# whole loop once: a night (pipelines/nightly) of 150 seeded applications
# with holds of every stage that holds (validate: a previous passport not
# in the form of one; verify-fee: a receipt another applicant paid with;
# verify-nadra: another father's name; screen-pcl:
# applicants put on the PCL; dedup: rows applied twice under another
# tracking id); review export of the approved stream; review.csv filled
# by a script as two officers would (a reviewer: validate, verify-fee and verify-nadra
# holds; a screening officer: screen-pcl and dedup holds); both files
# applied; the next night (new applications) takes the two batches of
# decided records; a third night takes nothing more. The tests read
# what the loop left, and try every refusal on copies (spool.night1: the
# spool as the first night left it, every hold open).

bats_require_minimum_version 1.5.0
load helpers

PIPES=$TESTS/../pipelines
HEADER=batch,id,office,stage,code,reason,values,decision,corrected_field,corrected_value,note
USAGE='usage: review export [-t FILE] [--spool DIR] [FILE|-]'

make_data() {
	"$GEN" --seed 25 applications 150 > base.csv
	{ "$GEN" --seed 25 nadra 150; "$GEN" --seed 25 --from 1000 nadra 21 | tail -n +2; } > nadra.csv
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
	"$GEN" --seed 25 --from 1000 applications 10 > night2.csv
	"$GEN" --seed 25 --from 1010 applications 10 | sed 's/^[A-Z]*-2026-00010/N3-&/' > night3.csv
	seq -f 'SL%08g' 1 2000 > lam.txt
	# fees: the office's schedule; the bank paid every application as it
	# states (fee_receipt, fee_amount, applied_on are the last three
	# columns), a DUP- copy with a receipt of its own: this suite's holds
	# are the other stages'
	"$GEN" --seed 25 fees 35 > fees.csv
	awk -F, -v OFS=, 'FNR == 1 { next } /^DUP-/ { $(NF - 2) = sprintf("9%011d", FNR) } { print }' \
		apps.csv > apps.tmp && { head -n 1 apps.csv; cat apps.tmp; } > apps.csv.new && mv apps.csv.new apps.csv
	rm -f apps.tmp
	{ echo 'receipt_no,amount,paid_on,channel,status'
	  for f in apps.csv night2.csv night3.csv; do
		awk -F, 'FNR > 1 { printf "%s,%s,%s,HBL branch 0001,paid\n", $(NF - 2), $(NF - 1), $NF }' "$f"
	  done; } > payments.csv
	# verify-fee's hold: one more applicant who gives the first one's
	# receipt (FEE_RECEIPT_REUSED), for a passport of the same fee
	# (category, type, validity, pages, day applied)
	"$GEN" --seed 25 --from 1020 applications 1 | tail -n 1 |
		awk -F, -v OFS=, -v d="$(sed -n 2p apps.csv)" '{ split(d, f, ",")
			$3 = f[3]; $4 = f[4]; $13 = f[13]; $14 = f[14]
			$(NF - 2) = f[NF - 2]; $(NF - 1) = f[NF - 1]; $NF = f[NF]; print }' >> apps.csv
}

# fill FILE STAGE... : review.csv lines of those stages decided as an
# officer would: a previous passport not shown is rejected; a receipt
# another applicant paid with is rejected; another
# father's name is corrected to the register's; a PCL hit is released
# (a namesake checked); of a pair applied twice the DUP- is rejected and
# the other released
fill() {
	local csv=$1
	shift
	awk -F, -v OFS=, -v stages=" $* " "$CSV_SPLIT"'
		NR == FNR { father[$1] = $3; next }
		FNR == 1 { print; next }
		{ n = csv_split($0, f)
		  line = $0; sub(/,,,,$/, "", line)
		  if (index(stages, " " f[4] " ") == 0) { print; next }
		  match(f[7], /cnic=[0-9-]*/); cnic = substr(f[7], RSTART + 5, RLENGTH - 5); gsub(/-/, "", cnic)
		  if (f[5] == "PREVIOUS_PASSPORT_FORMAT") print line ",reject,,,no old passport was shown"
		  else if (f[5] == "FEE_RECEIPT_REUSED") print line ",reject,,,the receipt was paid for another applicant"
		  else if (f[5] == "NADRA_FATHER_MISMATCH") print line ",correct,father_name," father[cnic] ",as on the CNIC card"
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
	EOF
	IMPASS_SPOOL=spool render-mrz --add-range STOCK-1 AB1000000-AB1999999 2> /dev/null
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
	"$PIPES/nightly" --config impass.conf "$KT/apps.csv" > night1.out 2>&1
	N1=$(ls -d spool/runs/2* | head -n 1)
	IMPASS_SPOOL=spool review export "$N1/07-sign.xml" > review.csv 2> export.err
	fill review.csv validate verify-fee verify-nadra > reviewer.csv
	fill review.csv screen-pcl dedup > screener.csv
	cp -a spool spool.night1
	IMPASS_SPOOL=spool review apply -s "$OTHER_FPR" -d reviewer.csv "$N1/07-sign.xml" > apply1.out 2> apply1.err
	IMPASS_SPOOL=spool review apply -s "$SCREEN_FPR" -d screener.csv "$N1/07-sign.xml" > apply2.out 2> apply2.err
	cp -r spool/decided decided.applied
	"$PIPES/nightly" --config impass.conf "$KT/night2.csv" > night2.out 2>&1
	"$PIPES/nightly" --config impass.conf "$KT/night3.csv" > night3.out 2>&1
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	unset IMPASS_SIGNER
	export IMPASS_SPOOL=$KT/case/spool
	C=$KT/case
	N1=$(ls -d "$C"/spool/runs/2* | head -n 1)
	S=$N1/07-sign.xml
}

held_ids() { grep '^<record [^>]*status="held"' "$1" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/' | sort; }
csv_ids() { tail -n +2 "$1" | cut -d, -f2 | sort; }
# the lines of a filled file that carry a decision
decided_lines() { awk -F, 'NR > 1 && $0 !~ /,,,,$/' "$1"; }
# every print job of the spool: "tracking_id batch"
jobs() {
	find "$C/spool/print" -name '*.jobs' -path '*/new/*' | xargs -r sed -n \
		's/.* batch="\([^"]*\)".*tracking_id="\([^"]*\)".*/\2 \1/p' | sort
}
# the record ids of the spool's rejected files of those batches (files
# BATCH.NNNNNNNN, the record's place in its stream; the id is inside)
rejected_in() {
	local b
	for b; do
		find "$C/spool/rejected" -maxdepth 1 -type f -name "$b.*" -exec sed -n 's/^record: //p' {} +
	done
}
# a copy of the case's spool to try a refusal on (nothing may change in it)
spool_copy() { cp -a "$C/spool" sp; export IMPASS_SPOOL=$PWD/sp; }

@test "review: the first night holds records of every stage that holds" {
	run -0 grep -c '^<record [^>]*status="held"' "$S"
	[ "$output" -ge 12 ]
	for s in validate verify-fee verify-nadra screen-pcl dedup; do
		grep -q "<step stage=\"$s\" result=\"held\"" "$S"
	done
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
	[[ $line =~ ^B-[0-9]{8}-01,[A-Z]{3}-2026-[0-9]{7},[A-Z]{3},verify-nadra,NADRA_FATHER_MISMATCH,\"father\'s\ name:\ applicant\ ZORAWAR\ KHAN,\ register\ [A-Z\ ]+:\ similarity\ [0-9.]+,\ 0.85\ needed\",surname=[A-Z]+\;\ given_names=[A-Z\ ]+\;\ father_name=ZORAWAR\ KHAN\;\ date_of_birth=[0-9-]+\;\ cnic=[0-9-]+,,,,$ ]]
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
	run -0 cat "$C/apply1.err"
	assert_output "review: $b: $(decided_lines "$C/reviewer.csv" | wc -l) decided into $b-D1: $(decided_lines "$C/reviewer.csv" | grep -c ',correct,') released or corrected, $(decided_lines "$C/reviewer.csv" | grep -c ',reject,') rejected; $(decided_lines "$C/reviewer.csv" | wc -l) held files moved to spool/reviewed"
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
	[ -z "$(ls "$C/spool/decided")" ]
	run -0 cat "$C/night3.out"
	refute_output --partial 'decided records'
	# the decided batches' own holds and rejections are listed for the officers
	[ "$(head -n 1 "$C/spool/runs/decided-$b-D1/review.csv")" = "$HEADER" ]
	d=$C/spool/runs/decided-$b-D2
	# a PCL release: screen-pcl and the stages before it passed untouched
	id=$(decided_lines "$C/screener.csv" | awk -F, '$4 == "screen-pcl" { print $2; exit }')
	run -0 sh -c "grep -F ' id=\"$id\" ' '$d/07-sign.xml' | grep -o '<step stage=\"[a-z-]*\" result=\"[a-z]*\"' | sed 's/<step stage=//' | tr '\n' ' '"
	assert_output '"ingest" result="ok" "validate" result="ok" "verify-fee" result="ok" "verify-nadra" result="ok" "screen-pcl" result="held" "review" result="ok" "dedup" result="ok" "render-mrz" result="ok" "sign" result="ok" '
	# a correction: every stage again, verify-nadra now agrees
	id=$(decided_lines "$C/reviewer.csv" | awk -F, '$5 == "NADRA_FATHER_MISMATCH" { print $2; exit }')
	run -0 sh -c "grep -F ' id=\"$id\" ' '$C/spool/runs/decided-$b-D1/07-sign.xml' | grep -o '<step stage=\"[a-z-]*\" result=\"[a-z]*\" code=\"[A-Z_]*\"' | sed 's/<step stage=//' | tr '\n' ' '"
	assert_output '"ingest" result="ok" code="INGEST_OK" "validate" result="ok" code="VALIDATE_OK" "verify-fee" result="ok" code="FEE_OK" "verify-nadra" result="held" code="NADRA_FATHER_MISMATCH" "review" result="ok" code="REVIEW_CORRECT" "validate" result="ok" code="VALIDATE_OK" "verify-fee" result="ok" code="FEE_OK" "verify-nadra" result="ok" code="NADRA_OK" "screen-pcl" result="ok" code="SCREEN_CLEAR" "dedup" result="ok" code="DEDUP_CLEAR" "render-mrz" result="ok" code="MRZ_RENDERED" "sign" result="ok" code="SIGN_APPROVED" '
}

@test "review: after the next nights every released or corrected record is printed exactly once, every confirmed hold rejected" {
	local b id n
	b=$(attr "$(grep '^<batch ' "$S")" id)
	for id in $(cat "$C/reviewer.csv" "$C/screener.csv" | grep -E ',(release|correct),' | cut -d, -f2); do
		n=$(jobs | awk -v id="$id" '$1 == id' | wc -l)
		[ "$n" -eq 1 ] || { echo "$id: $n print jobs"; return 1; }
		jobs | awk -v id="$id" '$1 == id { print $2 }' | grep -Eq "^$b-D[12]$"
	done
	for id in $(cat "$C/reviewer.csv" "$C/screener.csv" | grep ',reject,' | cut -d, -f2); do
		[ "$(rejected_in "$b-D1" "$b-D2" | grep -cx "$id")" -eq 1 ]
		[ "$(jobs | awk -v id="$id" '$1 == id' | wc -l)" -eq 0 ]
	done
	# nothing decided is lost: every held record is decided or still open
	[ "$(cat "$C/reviewer.csv" "$C/screener.csv" | grep -cE ',(release|correct|reject),')" -eq "$(held_ids "$S" | wc -l)" ]
	run -0 --separate-stderr review export "$S"
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 "$HEADER"
}

@test "review apply: the same decisions applied again are refused (65), nothing written" {
	spool_copy
	run -65 review apply -s "$OTHER_FPR" -d "$C/reviewer.csv" "$S"
	assert_output --regexp "^review: B-[0-9]{8}-01: $C/reviewer.csv line [0-9]+ \\(record [A-Z0-9-]+\\): decided already, at [0-9TZ:-]+, into batch B-[0-9]{8}-01-D1; a record is decided once; nothing was applied$"
	[ -z "$(ls sp/decided)" ]
}

@test "review apply: a decision for a record that is not held, or not in the batch, is refused (65)" {
	spool_copy
	local ok
	ok=$(grep -o '^<record [^>]* id="[^"]*" status="ok"' "$S" | head -n 1 | sed 's/.* id="\([^"]*\)".*/\1/')
	{ echo "$HEADER"; echo "$(attr "$(grep '^<batch ' "$S")" id),$ok,X,validate,VALIDATE_OK,,,release,,,looks fine"; } > d.csv
	run -65 review apply -s "$OTHER_FPR" -d d.csv "$S"
	assert_output --regexp "^review: B-[0-9]{8}-01: d.csv line 2 \\(record $ok\\): the record is not held \\(it is ok\\): only a held record is decided; nothing was applied$"
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
	mkdir sp
	export IMPASS_SPOOL=$PWD/sp
	sed '2s/^B-[0-9]*-01,/B-20200101-01,/' "$C/reviewer.csv" > other.csv
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
	assert_output --regexp "screener.csv line [0-9]+ \\(record [A-Z0-9-]+\\): a hold of screen-pcl or dedup is decided only by a key with the screening role; the key given is not one; nothing was applied$"
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
	printf '%s\n' "${lines[0]}" "${lines[1]%,,,,},correct,issued_on,1998-04-03,the paper register reads 3 April 1998" > d.csv
	run -0 --separate-stderr review apply -s "$OTHER_FPR" -d d.csv cert.xml
	assert_line --index 0 "$PWD/sp/decided/B-CERT-01-D1.xml"
	run -0 grep -o '<certificate .*</certificate>' sp/decided/B-CERT-01-D1.xml
	assert_output '<certificate register="PCC" number="PCC/1998/1"><issued_on>1998-04-03</issued_on><name>ZAFAR IQBAL</name><father_name>S/O MUHAMMAD IQBAL</father_name><date_of_birth>1961</date_of_birth><place_of_birth>DELHI</place_of_birth><cnic>657-80-291030</cnic><previous_nationality>INDIA</previous_nationality><country>PAKISTAN</country></certificate>'
	# validate takes it again: the date read, the old NIC kept, S/O taken off
	run -0 sh -c 'IMPASS_SIGNER=$STAGE_FPR validate < sp/decided/B-CERT-01-D1.xml 2> /dev/null | grep -o "<normalised>.*</normalised>"'
	assert_output '<normalised><register>PCC</register><name>ZAFAR IQBAL</name><father_name>MUHAMMAD IQBAL</father_name><old_nic>65780291030</old_nic><issued_on>1998-04-03</issued_on><date_of_birth>1961</date_of_birth></normalised>'
}

# the held files of a spool: "record code office" of each, of one batch
held_files() {
	local f
	for f in "$1"/*.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]; do
		[ -e "$f" ] || continue
		grep -qx "batch: $2" "$f" || continue
		printf '%s %s %s\n' "$(sed -n 's/^record: //p' "$f")" "$(sed -n 's/^code: //p' "$f")" \
			"$(sed -n 's/.*<office>\([^<]*\)<\/office>.*/\1/p' "$f")"
	done | sort
}

@test "review apply: the held files of decided records move out of held/ into reviewed/ as they were; held/ shows only what waits" {
	local b f
	b=$(attr "$(grep '^<batch ' "$S")" id)
	# the night parked every held record in held/
	diff <(held_ids "$S") <(held_files "$C/spool.night1/held" "$b" | cut -d' ' -f1)
	# all decided: none left in held/, each in reviewed/ once, unchanged
	[ -z "$(held_files "$C/spool/held" "$b")" ]
	diff <(cat "$C/reviewer.csv" "$C/screener.csv" | grep -E ',(release|correct|reject),' | cut -d, -f2 | sort) \
		<(held_files "$C/spool/reviewed" "$b" | cut -d' ' -f1)
	for f in "$C/spool/reviewed/$b".*; do
		cmp "$f" "$C/spool.night1/held/${f##*/}"
	done
	[ "$(stat -c %a "$C/spool/reviewed")" = 700 ]
	[ -z "$(find "$C/spool/reviewed" -type f ! -perm 0600)" ]
	# the later nights' holds wait in held/, none of them decided
	run -0 --separate-stderr review holds
	[ "$(printf '%s\n' "${lines[@]:1}" | awk -F, '$8 == ""' | wc -l)" -eq "$(ls "$C/spool/held" | wc -l)" ]
}

@test "review holds: every hold of the spool with its office, wait and decision; the last night's report counts them by code and office" {
	local b n d o line id dec f3 listing
	b=$(attr "$(grep '^<batch ' "$S")" id)
	n=$(ls "$C/spool/held" "$C/spool/reviewed" | grep -c '\.[0-9]\{8\}$')
	o=$(ls "$C/spool/held" | grep -c '\.[0-9]\{8\}$' || true)
	d=$(cat "$C/reviewer.csv" "$C/screener.csv" | grep -cE ',(release|correct|reject),')
	run -0 --separate-stderr review holds
	assert_line --index 0 "batch,id,office,stage,code,held_at,waited_days,decision,decided_at,into_batch"
	listing=$output
	[ "${#lines[@]}" -eq $((n + 1)) ]
	[ "$stderr" = "review: $C/spool: $n holds: $d decided, $o open" ]
	# each decision of the first night, with its hold, office and batch of decided records
	while IFS=, read -r id dec; do
		line=$(printf '%s\n' "${lines[@]}" | grep "^$b,$id,")
		[[ $line =~ ^$b,$id,[A-Z]{3},[a-z-]+,[A-Z_]+,[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z,0,$dec,[0-9]{4}-[0-9-]+T[0-9:]+Z,$b-D[12]$ ]] || { echo "$line"; return 1; }
		[ "$(cut -d, -f3,5 <<< "$line" | tr , ' ')" = "$(held_files "$C/spool/reviewed" "$b" | awk -v id="$id" '$1 == id { print $3, $2 }')" ]
	done < <(cat "$C/reviewer.csv" "$C/screener.csv" | awk -F, '$8 ~ /^(release|correct|reject)$/ { print $2 "," $8 }')
	# the report of the last night (night3) counts the same holds
	f3=$(grep -lx "$KT/night3.csv" "$C"/spool/runs/2*/input.name)
	run -0 cat "${f3%/input.name}/report.txt"
	assert_line "holds of all batches spooled (review holds): $n opened, $d decided ($(cat "$C/reviewer.csv" "$C/screener.csv" | grep -c ',release,') released, $(cat "$C/reviewer.csv" "$C/screener.csv" | grep -c ',correct,') corrected, $(cat "$C/reviewer.csv" "$C/screener.csv" | grep -c ',reject,') rejected), $o still open"
	# by code: each code's files in held/ and reviewed/ (none decided holds waits)
	local code all open
	for code in $(cat "$C"/spool/held/* "$C"/spool/reviewed/* 2> /dev/null | sed -n 's/^code: //p' | sort -u); do
		all=$(grep -lx "code: $code" "$C"/spool/held/* "$C"/spool/reviewed/* 2> /dev/null | wc -l)
		open=$( (grep -lx "code: $code" "$C"/spool/held/* 2> /dev/null || true) | wc -l)
		assert_line --regexp "^$code +$all +$((all - open)) +$open  $([ "$open" -eq 0 ] && echo - || echo '0 d')\$"
	done
	assert_line --regexp "^open holds waiting: $o under a day, 0 1 to 6 days, 0 7 to 29 days, 0 30 days or more\$"
	# report.html: the same in its tables
	run -0 xmllint --xpath 'string(//p[@id="holds"])' "${f3%/input.name}/report.html"
	assert_output "$n opened, $d decided ($(cat "$C/reviewer.csv" "$C/screener.csv" | grep -c ',release,') released, $(cat "$C/reviewer.csv" "$C/screener.csv" | grep -c ',correct,') corrected, $(cat "$C/reviewer.csv" "$C/screener.csv" | grep -c ',reject,') rejected), $o still open."
	run -0 xmllint --xpath 'count(//table[@id="holds-offices"]/tr)' "${f3%/input.name}/report.html"
	assert_output "$(($(tail -n +2 <<< "$listing" | cut -d, -f3 | sort -u | wc -l) + 1))"
}

@test "review holds and the report: how long the open holds have waited (the held file's time), by code, office and waiting time" {
	local b f1 f2 code1 code2
	b=$(attr "$(grep '^<batch ' "$S")" id)
	cp -a "$C/spool.night1" sp
	cp -a "$N1" run
	rm -f run/report.*
	f1=$(ls sp/held | head -n 1)
	f2=$(ls sp/held | tail -n 1)
	touch -d '10 days ago' "sp/held/$f1"
	touch -d '40 days ago' "sp/held/$f2"
	code1=$(sed -n 's/^code: //p' "sp/held/$f1")
	run -0 --separate-stderr review holds --spool sp
	[ "$stderr" = "review: sp: $(held_ids "$S" | wc -l) holds: 0 decided, $(held_ids "$S" | wc -l) open" ]
	assert_line --index 1 --regexp "^$b,$(sed -n 's/^record: //p' "sp/held/$f1"),[A-Z]{3},[a-z-]+,$code1,[0-9T:-]+Z,10,,,\$"
	assert_line --index "$(ls sp/held | wc -l)" --regexp "^$b,$(sed -n 's/^record: //p' "sp/held/$f2"),[A-Z]{3},[a-z-]+,[A-Z_]+,[0-9T:-]+Z,40,,,\$"
	export IMPASS_SPOOL=$PWD/sp
	run -0 "$PIPES/report" run
	assert_line "holds of all batches spooled (review holds): $(held_ids "$S" | wc -l) opened, 0 decided (0 released, 0 corrected, 0 rejected), $(held_ids "$S" | wc -l) still open"
	assert_line "open holds waiting: $(($(held_ids "$S" | wc -l) - 2)) under a day, 0 1 to 6 days, 1 7 to 29 days, 1 30 days or more"
	code2=$(sed -n 's/^code: //p' "sp/held/$f2")
	assert_line --regexp "^$code2 +[0-9]+ +0 +[0-9]+  40 d\$"
	run -0 xmllint --xpath 'string(//table[@id="holds-waiting"]/tr[2])' run/report.html
	assert_output "holds$(($(held_ids "$S" | wc -l) - 2))011"
}

@test "review apply killed after recording its decisions: the next export moves the held files; a file edited under the name stays" {
	local b id planted
	b=$(attr "$(grep '^<batch ' "$S")" id)
	cp -a "$C/spool.night1" sp
	export IMPASS_SPOOL=$PWD/sp
	IMPASS_FAULT=review-recorded run -137 review apply -s "$OTHER_FPR" -d "$C/reviewer.csv" "$S"
	[ -s "sp/decided/$b-D1.xml" ]
	[ "$(held_files sp/held "$b" | wc -l)" -eq "$(held_ids "$S" | wc -l)" ]
	# one held file of a decided record edited: another record's name in it
	id=$(decided_lines "$C/reviewer.csv" | head -n 1 | cut -d, -f2)
	planted=$(grep -lx "record: $id" sp/held/*)
	sed -i "s/^record: $id\$/record: SOMEONE-ELSE/" "$planted"
	run -0 --separate-stderr review export "$S"
	assert_equal "$stderr" "review: $b: $PWD/sp/held/${planted##*/} is not the held file of record $id (another account's, or edited): left in held/; have it examined
review: $b: $(held_ids "$S" | wc -l) held, $(decided_lines "$C/screener.csv" | wc -l) to decide in review.csv, $(decided_lines "$C/reviewer.csv" | wc -l) decided before; their held files moved to reviewed/"
	# the other decided ones moved; the open ones and the edited one stay
	diff <(decided_lines "$C/reviewer.csv" | cut -d, -f2 | grep -vx "$id" | sort) <(held_files sp/reviewed "$b" | cut -d' ' -f1)
	[ -e "$planted" ]
	[ "$(ls sp/held | wc -l)" -eq $(($(decided_lines "$C/screener.csv" | wc -l) + 1)) ]
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
