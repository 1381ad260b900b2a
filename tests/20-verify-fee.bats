#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# verify-fee (issue 22): every ok application's fee against the fee
# schedule (the amount for its choices on its applied_on day) and the
# bank's payments export (the receipt exists, is paid, not reversed, pays
# that amount, and paid for no other application before: the receipts used
# are kept in the state database across batches, once, and a re-run of the
# batch does not find its own receipts used). Official and diplomatic
# passports are gratis. One step per ok record; the others pass untouched.
# The batch is built, ingested and validated once in setup_file; verify-fee
# runs on it there with a fresh state database (o.xml, state s.db).

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
PHOTO=dddb32b03a7e8400719198323b6e917e78fb70f02cd254cd8442053ea7805599
TODAY=2026-11-28
USAGE='usage: verify-fee --schedule FILE --payments FILE [--state FILE] [-s FPR]'
SCHEDULE_HEADER=passport_type,category,pages,validity_years,amount,valid_from,valid_to
PAYMENTS_HEADER=receipt_no,amount,paid_on,channel,status

# app ID KEY=CELL...: one CSV row (SPEC 5.1 order) of a valid ordinary,
# normal, 36-page, 10-year application made on 2026-11-20 with fee 9000 paid
# by receipt 260000000001, with tracking id ID and the cells given replaced
app() {
	local -A v=([office]=LHR [category]=normal [passport_type]=ordinary [surname]=KHAN
		[given_names]='ALI RAZA' [father_name]='AHMED KHAN' [sex]=M
		[date_of_birth]=1990-05-17 [place_of_birth]=LAHORE [cnic]=3520100000011
		[nationality]=PAK [validity_years]=10 [pages]=36 [delivery_office]=LHR
		[delivery_mode]=counter [phone]=03001234567 [photo_sha256]=$PHOTO
		[fee_receipt]=260000000001 [fee_amount]=9000 [applied_on]=2026-11-20)
	local kv c out='' sep=''
	v[tracking_id]=$1
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

# the fee schedule: 36 pages 10 years normal cost 7000 until 2025-06-30 and
# 9000 from 2025-07-01; no row for fasttrack
schedule() {
	echo "$SCHEDULE_HEADER"
	echo 'ordinary,normal,36,10,7000,2024-01-01,2025-06-30'      # line 2
	echo 'ordinary,normal,36,10,9000,2025-07-01,'                # line 3
	echo ' Ordinary , URGENT ,36,10,13500,2025-07-01,'           # line 4
	echo 'ordinary,normal,72,5,8000,2025-07-01,2026-11-20'       # line 5
	echo 'official,normal,36,10,0,2024-01-01,'                   # line 6
}

payments() {
	echo "$PAYMENTS_HEADER"
	echo '260000000001,9000,2026-11-19,HBL branch 0042,paid'     # line 2
	echo '260000000002,7000,2025-06-30,1LINK app,paid'           # line 3
	echo '260000000003,7000,2025-07-01,1LINK app,paid'           # line 4
	echo '260000000004,9000,2026-11-19,NBP branch 0001,paid'     # line 5
	echo '260000000005,4500,2026-11-18,NBP branch 0001,paid'     # line 6
	echo '260000000006,9000,2026-11-18,JazzCash,reversed'        # line 7
	echo '260000000007,9000,2026-11-17,Easypaisa,paid'           # line 8
	echo '260000000007,9000,2026-11-19,Easypaisa,REVERSED'       # line 9
	echo '260000000008,13500,2026-11-19,HBL branch 0042,paid'    # line 10
	echo '260000000009,8000,2026-11-19,HBL branch 0042,paid'     # line 11
	echo '260000000010,9000,2026-11-19,HBL branch 0042,paid'     # line 12
	echo '260000000011,9000,2026-11-19,,paid'                    # line 13
	echo '260000000012,9000,2026-11-19,HBL branch 0042,paid'     # line 14
	echo '260000000013,5000,2026-11-19,HBL branch 0042,paid'     # line 15
	echo '260000000014,8000,2026-11-19,HBL branch 0042,paid'     # line 16
}

cases() {
	echo "${APP_COLUMNS// /,}"
	app OK-BASE
	# the schedule's dates: the old amount up to its last day, the new from the first
	app OLD-LAST-DAY fee_receipt=260000000002 fee_amount=7000 applied_on=2025-06-30
	app NEW-FIRST-DAY fee_receipt=260000000003 fee_amount=7000 applied_on=2025-07-01
	app BEFORE-SCHEDULE fee_receipt=260000000004 applied_on=2023-12-31
	app URGENT category=urgent fee_receipt=260000000008 fee_amount=13500
	app ENDED pages=72 validity_years=5 fee_receipt=260000000009 fee_amount=8000 applied_on=2026-11-21
	app ENDS-TODAY pages=72 validity_years=5 fee_receipt=260000000014 fee_amount=8000
	app GAP category=fasttrack fee_receipt=260000000010
	# the payment
	app SCHEDULE-WRONG fee_amount=8000 fee_receipt=260000000012
	app PAID-LESS fee_receipt=260000000005
	app NOT-PAID fee_receipt=260000000099
	app REVERSED fee_receipt=260000000006
	app REVERSED-LATER fee_receipt=260000000007
	app NO-CHANNEL fee_receipt=260000000011
	app REUSED fee_receipt=260000000001
	app MULTI fee_amount=8000 fee_receipt=260000000006
	# gratis
	app OFFICIAL passport_type=official fee_receipt= fee_amount=0
	app DIPLOMATIC passport_type=Diplomatic fee_receipt= fee_amount=
	app OFFICIAL-PAID passport_type=official fee_receipt=260000000013 fee_amount=5000
	# not ok when verify-fee sees it: passes untouched
	app BAD-PHOTO photo_sha256=abc
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	cases > a.csv
	schedule > f.csv
	payments > p.csv
	ingest -b B-F a.csv 2> i.err | tee i.xml | validate --today "$TODAY" > v.xml 2> v.err
	verify-fee --schedule f.csv --payments p.csv --state s.db v.xml > o.xml 2> o.err
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/*.csv "$KT"/*.xml "$KT"/*.err "$KT"/s.db .
}

record_of() { grep -F -e " id=\"$1\" " "$2"; }

# step_is KEY FILE RESULT CODE SENTENCE [OTHER]: the record's status is RESULT
# and verify-fee's step is exactly this one (with other="OTHER")
step_is() {
	local rec got='' status='' other=${6:+ other=\"$6\"}
	local want="<step stage=\"verify-fee\" result=\"$3\" code=\"$4\"$other>$5</step>"
	local step_re='<step stage="verify-fee" [^>]*>[^<]*</step>' status_re='^<record [^>]* status="([a-z]*)">'
	rec=$(record_of "$1" "$2")
	[ "$(grep -c . <<< "$rec")" -eq 1 ] || fail "$1: not one record in $2"
	if [[ $rec =~ $step_re ]]; then got=${BASH_REMATCH[0]}; fi
	if [[ $rec =~ $status_re ]]; then status=${BASH_REMATCH[1]}; fi
	[[ $got == "$want" ]] || fail "$1: step
   got: $got
  want: $want"
	[ "$status" = "$3" ] || fail "$1: status $status, not $3"
}

paid() { echo "fee Rs. ${1:-9000} as the schedule asks (line ${2:-3}), paid on ${3:-2026-11-19} by ${4:-HBL branch 0042}, receipt ${5:-260000000001}"; }

conserved() { stage_conserved verify-fee "$@"; }
one_step_each() { stage_one_step_each verify-fee "$@"; }

# ---- the inputs and the stage ---------------------------------------------------

@test "the fixtures: every application but BAD-PHOTO passed validate, official fee 0 included" {
	run -0 grep -c '^<record [^>]* status="ok">' v.xml
	assert_output "$(($(grep -c . a.csv) - 2))"
	grep -q '^<record [^>]* id="BAD-PHOTO" status="rejected">' v.xml
	grep -q '^<record [^>]* id="OFFICIAL" status="ok">' v.xml
}

@test "one step for every ok record; records not ok pass byte for byte; the counts add up" {
	one_step_each v.xml o.xml
	conserved "$(tail -n 1 o.err)" o.xml B-F
	assert_equal "$(record_of BAD-PHOTO o.xml)" "$(record_of BAD-PHOTO v.xml)"
	run -0 inspect o.xml
	assert_line --regexp '^seal +good: verify-fee by '
	assert_equal "$(head -n 1 o.err)" 'verify-fee: B-F: 9 receipts recorded now, 0 recorded for the same applications by an earlier run'
}

@test "FEE_OK: the schedule's amount, paid under a receipt of the export; the schedule line, date, channel and receipt named" {
	step_is OK-BASE o.xml ok FEE_OK "$(paid)"
	step_is URGENT o.xml ok FEE_OK "$(paid 13500 4 2026-11-19 'HBL branch 0042' 260000000008)"
	step_is NO-CHANNEL o.xml ok FEE_OK "$(paid 9000 3 2026-11-19 'an unnamed channel' 260000000011)"
}

@test "the schedule's dates: a row counts from valid_from to valid_to, both included; no row that day is FEE_SCHEDULE_GAP" {
	step_is OLD-LAST-DAY o.xml ok FEE_OK "$(paid 7000 2 2025-06-30 '1LINK app' 260000000002)"
	step_is NEW-FIRST-DAY o.xml rejected FEE_AMOUNT_WRONG 'fee_amount Rs. 7000, the schedule asks Rs. 9000 (f.csv line 3: ordinary normal, 36 pages, 10 years, 2025-07-01 to no end)'
	step_is ENDS-TODAY o.xml ok FEE_OK "$(paid 8000 5 2026-11-19 'HBL branch 0042' 260000000014)"
	step_is ENDED o.xml held FEE_SCHEDULE_GAP 'no row of the fee schedule f.csv for ordinary normal, 72 pages, 5 years on 2026-11-21 (applied_on); add the row to the schedule and release the application'
	step_is BEFORE-SCHEDULE o.xml held FEE_SCHEDULE_GAP 'no row of the fee schedule f.csv for ordinary normal, 36 pages, 10 years on 2023-12-31 (applied_on); add the row to the schedule and release the application'
	step_is GAP o.xml held FEE_SCHEDULE_GAP 'no row of the fee schedule f.csv for ordinary fasttrack, 36 pages, 10 years on 2026-11-20 (applied_on); add the row to the schedule and release the application'
}

@test "FEE_AMOUNT_WRONG: both amounts and the schedule row, or the receipt's amount and the export's line" {
	step_is SCHEDULE-WRONG o.xml rejected FEE_AMOUNT_WRONG 'fee_amount Rs. 8000, the schedule asks Rs. 9000 (f.csv line 3: ordinary normal, 36 pages, 10 years, 2025-07-01 to no end); also FEE_AMOUNT_WRONG: receipt 260000000012 paid Rs. 9000, fee_amount is Rs. 8000 (p.csv line 14)'
	step_is PAID-LESS o.xml rejected FEE_AMOUNT_WRONG 'receipt 260000000005 paid Rs. 4500, fee_amount is Rs. 9000 (p.csv line 6)'
}

@test "FEE_NOT_PAID and FEE_REVERSED; a reversal later in the export than its payment counts" {
	step_is NOT-PAID o.xml rejected FEE_NOT_PAID 'receipt 260000000099 is not in the payments export p.csv'
	step_is REVERSED o.xml rejected FEE_REVERSED 'receipt 260000000006 (Rs. 9000, 2026-11-18, JazzCash) was reversed by the bank (p.csv line 7)'
	step_is REVERSED-LATER o.xml rejected FEE_REVERSED 'receipt 260000000007 (Rs. 9000, 2026-11-19, Easypaisa) was reversed by the bank (p.csv line 9)'
	step_is MULTI o.xml rejected FEE_AMOUNT_WRONG 'fee_amount Rs. 8000, the schedule asks Rs. 9000 (f.csv line 3: ordinary normal, 36 pages, 10 years, 2025-07-01 to no end); also FEE_REVERSED: receipt 260000000006 (Rs. 9000, 2026-11-18, JazzCash) was reversed by the bank (p.csv line 7)'
}

@test "FEE_RECEIPT_REUSED: a receipt that paid for an application earlier in the batch holds the second, naming the first" {
	re='receipt 260000000001 paid for application OK-BASE already \(batch B-F, recorded [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\); one payment pays for one application: find which one it belongs to'
	rec=$(record_of REUSED o.xml)
	[[ $rec =~ \<step\ stage=\"verify-fee\"\ result=\"held\"\ code=\"FEE_RECEIPT_REUSED\"\ other=\"OK-BASE\"\>$re\</step\> ]] || fail "$rec"
	[[ $rec == '<record '*' status="held">'* ]]
}

@test "official and diplomatic passports are gratis: fee 0 or none and no receipt pass; a fee or receipt given is FEE_AMOUNT_WRONG" {
	step_is OFFICIAL o.xml ok FEE_OK 'official passport: gratis, no fee and no receipt'
	step_is DIPLOMATIC o.xml ok FEE_OK 'diplomatic passport: gratis, no fee and no receipt'
	step_is OFFICIAL-PAID o.xml rejected FEE_AMOUNT_WRONG 'official passports are gratis, due Rs. 0; the application gives fee_amount 5000 and receipt 260000000013: make it 0 with no receipt, and refund a payment taken'
}

# ---- the receipts kept across batches ------------------------------------------------

@test "a re-run of the batch on the same state database: the same records, its own receipts not reused" {
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state s.db v.xml
	printf '%s\n' "$output" > o2.xml
	run diff <(records o.xml) <(records o2.xml)
	assert_success
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: B-F: 0 receipts recorded now, 9 recorded for the same applications by an earlier run'
	conserved "${stderr##*$'\n'}" o2.xml B-F
}

@test "another batch using a receipt of this one is held, naming the application and batch; the same application in another batch is not" {
	{ echo "${APP_COLUMNS// /,}"; app NEXT-1 fee_receipt=260000000008 category=urgent fee_amount=13500; app URGENT category=urgent fee_receipt=260000000008 fee_amount=13500; app NEXT-2 fee_receipt=260000000012; } > b.csv
	ingest -b B-G b.csv 2> /dev/null | validate --today "$TODAY" > bv.xml 2> /dev/null
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state s.db bv.xml
	printf '%s\n' "$output" > bo.xml
	rec=$(record_of NEXT-1 bo.xml)
	[[ $rec == *'<step stage="verify-fee" result="held" code="FEE_RECEIPT_REUSED" other="URGENT">receipt 260000000008 paid for application URGENT already (batch B-F, recorded '* ]] || fail "$rec"
	step_is URGENT bo.xml ok FEE_OK "$(paid 13500 4 2026-11-19 'HBL branch 0042' 260000000008)"
	# SCHEDULE-WRONG's receipt was not recorded: its application was not paid as it says
	step_is NEXT-2 bo.xml ok FEE_OK "$(paid 9000 3 2026-11-19 'HBL branch 0042' 260000000012)"
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: B-G: 1 receipts recorded now, 1 recorded for the same applications by an earlier run'
	# the check can fail: a fresh state database holds nothing
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state fresh.db bv.xml
	printf '%s\n' "$output" > fo.xml
	step_is NEXT-1 fo.xml ok FEE_OK "$(paid 13500 4 2026-11-19 'HBL branch 0042' 260000000008)"
}

@test "killed after the receipts were committed, before the seal: the re-run gives the uninterrupted output" {
	run -137 --separate-stderr env IMPASS_FAULT=fee-committed verify-fee --schedule f.csv --payments p.csv --state k.db v.xml
	refute_output --partial '<seal '
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state k.db v.xml
	printf '%s\n' "$output" > k.xml
	run diff <(records o.xml | sed 's/recorded [0-9TZ:-]*)/recorded T)/') <(records k.xml | sed 's/recorded [0-9TZ:-]*)/recorded T)/')
	assert_success
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: B-F: 0 receipts recorded now, 9 recorded for the same applications by an earlier run'
}

@test "a run that fails (a forged stream) records nothing: the next run records every receipt" {
	sed '/ id="OK-BASE" /s/<surname>KHAN</<surname>KHAM</' v.xml > forged.xml
	run -65 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state n.db forged.xml
	assert_output ''
	[[ $stderr == *'do not hash to the sealed root'* ]] || fail "stderr: $stderr"
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state n.db v.xml
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: B-F: 9 receipts recorded now, 0 recorded for the same applications by an earlier run'
	[ "$(stat -c %a n.db)" = 600 ]
}

@test "the state database defaults to \$IMPASS_SPOOL/state.db" {
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv v.xml
	[ -s state.db ] && [ "$(stat -c %a state.db)" = 600 ]
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv v.xml
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: B-F: 0 receipts recorded now, 9 recorded for the same applications by an earlier run'
}

# ---- the two files ---------------------------------------------------------------------

# refused CODE MESSAGE: verify-fee with f.csv and p.csv as they are now
refused() {
	run --separate-stderr verify-fee --schedule f.csv --payments p.csv --state x.db v.xml
	assert_equal "$status" "$1"
	assert_output ''
	assert_equal "$stderr" "$2"
}

@test "a bad fee schedule is refused (65) naming its line and what to do; nothing is read or recorded" {
	schedule | sed '1s/amount/fee/' > f.csv
	refused 65 "verify-fee: f.csv line 1: unknown column 'fee' (column 5); the fee schedule has only the columns in impass-csv(5): rename or remove it"
	{ schedule; echo 'ordinary,normal,36,5,9.5,2025-07-01,'; } > f.csv
	refused 65 "verify-fee: fee schedule f.csv line 7: amount '9.5' is not a whole number of rupees (0 to 9999999); correct the schedule"
	{ schedule; echo 'ordinary,normal,48,5,9000,2025-07-01,'; } > f.csv
	refused 65 "verify-fee: fee schedule f.csv line 7: pages '48' is not 36, 72 or 100; correct the schedule"
	{ schedule; echo 'ordinary,normal,36,5,9000,2025-07-01,2025-06-30'; } > f.csv
	refused 65 "verify-fee: fee schedule f.csv line 7: valid_to '2025-06-30' is not a date YYYY-MM-DD on or after valid_from; correct the schedule"
	{ schedule; echo 'ordinary,normal,36,10,9500,2026-01-01,'; } > f.csv
	refused 65 "verify-fee: fee schedule f.csv line 7: its dates overlap those of line 3 for the same choices; one amount per day: end the older row the day before the newer begins"
	{ schedule; echo 'diplomatic,urgent,36,10,100,2026-01-01,'; } > f.csv
	refused 65 "verify-fee: fee schedule f.csv line 7: diplomatic passports are gratis, not Rs. 100; remove the row or make its amount 0"
	{ schedule; echo 'ordinary,normal,36,10'; } > f.csv
	refused 65 "verify-fee: fee schedule f.csv line 7: 4 fields, the header has 7; correct the file"
	echo "$SCHEDULE_HEADER" > f.csv
	refused 65 "verify-fee: fee schedule f.csv has no rows; give the office's schedule"
	[ ! -e x.db ]
}

@test "a bad payments export is refused (65) naming its line; a file that cannot be opened is 66" {
	{ payments; echo '260000000100,9000,2026-11-19,HBL,pending'; } > p.csv
	refused 65 "verify-fee: payments p.csv line 17: status 'pending' is not paid or reversed; correct the export"
	{ payments; echo '260000000100,9000,19.11.2026,HBL,paid'; } > p.csv
	refused 65 "verify-fee: payments p.csv line 17: paid_on '19.11.2026' is not a date YYYY-MM-DD; correct the export"
	{ payments; echo '260000000100,"9,000",2026-11-19,HBL,paid'; } > p.csv
	refused 65 "verify-fee: payments p.csv line 17: amount '9,000' is not a whole number of rupees (0 to 9999999); correct the export"
	{ payments; echo ',9000,2026-11-19,HBL,paid'; } > p.csv
	refused 65 "verify-fee: payments p.csv line 17: receipt_no '' is empty or longer than 32 characters; correct the export"
	payments | sed '1s/,channel//' > p.csv
	refused 65 "verify-fee: p.csv line 1: required column 'channel' is missing; add it to the header (cells may be empty)"
	rm p.csv
	run --separate-stderr verify-fee --schedule f.csv --payments p.csv --state x.db v.xml
	assert_equal "$status" 66
	assert_output ''
	[[ $stderr == 'verify-fee: '*'p.csv'* ]] || fail "$stderr"
	[ ! -e x.db ]
}

@test "a receipt paid twice in the export: the first line counts, the second is named" {
	{ payments; echo '260000000001,100,2026-11-20,HBL,paid'; } > p.csv
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state x.db v.xml
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: payments p.csv line 17: receipt 260000000001 is paid twice in the export (line 2 first, which counts); ask the bank'
	printf '%s\n' "$output" > x.xml
	step_is OK-BASE x.xml ok FEE_OK "$(paid)"
}

# ---- the payments index ---------------------------------------------------------------

# state_rows DB: the receipts recorded, without their time
state_rows() { sqlite3 "$1" 'SELECT receipt, tracking_id, batch, amount FROM fee_receipt ORDER BY receipt'; }

@test "the payments index: --index writes it (0600); a run with it gives the records and receipts of a run with the CSV" {
	run -0 --separate-stderr verify-fee --index p.csv -o p.idx
	assert_output ''
	[[ $stderr =~ ^'verify-fee: indexed 14 receipts of p.csv into p.idx, '[0-9.]+' s'$ ]] || fail "$stderr"
	[ "$(stat -c %a p.idx)" = 600 ]
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --payments-index p.idx --state i.db v.xml
	printf '%s\n' "$output" > oi.xml
	run diff <(records o.xml | sed 's/recorded [0-9TZ:-]*)/recorded T)/') <(records oi.xml | sed 's/recorded [0-9TZ:-]*)/recorded T)/')
	assert_success
	assert_equal "$(state_rows i.db)" "$(state_rows s.db)"
	assert_equal "$(state_rows i.db | wc -l)" 9
	# a re-run with the index finds its own receipts, as with the CSV
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv -i p.idx --state i.db v.xml
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: B-F: 0 receipts recorded now, 9 recorded for the same applications by an earlier run'
	# and a receipt recorded by the CSV run is another's to a run with the index
	{ echo "${APP_COLUMNS// /,}"; app NEXT-1 fee_receipt=260000000001; } > b.csv
	ingest -b B-G b.csv 2> /dev/null | validate --today "$TODAY" > bv.xml 2> /dev/null
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv -i p.idx --state s.db bv.xml
	[[ $output == *'<step stage="verify-fee" result="held" code="FEE_RECEIPT_REUSED" other="OK-BASE">receipt 260000000001 paid for application OK-BASE already (batch B-F, recorded '* ]] || fail "$output"
}

# index_refused CODE MESSAGE: a run with p.idx refused, nothing read or recorded
index_refused() {
	run --separate-stderr verify-fee --schedule f.csv --payments p.csv --payments-index p.idx --state x.db v.xml
	assert_equal "$status" "$1"
	assert_output ''
	assert_equal "$stderr" "$2"
	[ ! -e x.db ] || fail "x.db was made"
}

@test "a stale, foreign or damaged payments index is refused (65), naming the index and the command that makes it again" {
	again='make it again with verify-fee --index p.csv -o p.idx'
	verify-fee --index p.csv -o p.idx 2> /dev/null
	cp p.idx good.idx
	# stale: the export changed after it was indexed (a row more; a byte changed)
	cp p.csv p.orig
	echo '260000000100,9000,2026-11-19,HBL branch 0042,paid' >> p.csv
	index_refused 65 "verify-fee: the payments index p.idx is not that of p.csv: it was made from another export, or before p.csv changed; $again"
	sed 's/^260000000005,4500,/260000000005,9000,/' p.orig > p.csv
	[ "$(stat -c %s p.csv)" = "$(stat -c %s p.orig)" ]
	index_refused 65 "verify-fee: the payments index p.idx is not that of p.csv: it was made from another export, or before p.csv changed; $again"
	# another export's index
	cp p.orig p.csv
	head -n 5 p.csv > other.csv
	verify-fee --index other.csv -o p.idx 2> /dev/null
	index_refused 65 "verify-fee: the payments index p.idx is not that of p.csv: it was made from another export, or before p.csv changed; $again"
	# foreign: the export itself, a NADRA index, an empty file
	cp p.csv p.idx
	index_refused 65 "verify-fee: p.idx is not a payments index: make one with verify-fee --index p.csv -o p.idx"
	printf 'cnic,name,father_name,date_of_birth,sex,status\n3520100000011,A,B,1990-05-17,M,active\n' > n.csv
	verify-nadra --index n.csv -o p.idx 2> /dev/null
	index_refused 65 "verify-fee: p.idx is not a payments index: make one with verify-fee --index p.csv -o p.idx"
	: > p.idx
	index_refused 65 "verify-fee: p.idx is not a payments index: make one with verify-fee --index p.csv -o p.idx"
	# damaged: one byte of a receipt's amount changed (8000 -> 8001 would pass a
	# check of the layout alone), the file cut short
	cp good.idx p.idx
	printf '\001' | dd of=p.idx bs=1 seek=$((128 + 96 * 3)) conv=notrunc 2> /dev/null
	cmp -s p.idx good.idx && fail "p.idx unchanged"
	index_refused 65 "verify-fee: the payments index p.idx is damaged (its receipts do not hash to its header's SHA-256); $again"
	head -c -16 good.idx > p.idx
	index_refused 65 "verify-fee: the payments index p.idx is damaged (its size is not that of its 14 receipts); $again"
	# another layout (byte order or version): the entry size in the header
	cp good.idx p.idx
	printf '\377' | dd of=p.idx bs=1 seek=12 conv=notrunc 2> /dev/null
	index_refused 65 "verify-fee: the payments index p.idx was made on a machine of another byte order or by another version of verify-fee; make it again here with verify-fee --index p.csv -o p.idx"
	# none at all
	rm p.idx
	index_refused 66 "verify-fee: cannot open the payments index p.idx: No such file or directory"
	# the good one still works
	cp good.idx p.idx
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --payments-index p.idx --state x.db v.xml
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: B-F: 9 receipts recorded now, 0 recorded for the same applications by an earlier run'
}

@test "--index checks the export as a run does: a bad row is refused (65) and no index is left; a receipt paid twice is named, and counted by each run" {
	{ payments; echo '260000000100,9000,2026-11-19,HBL,pending'; } > bad.csv
	run -65 --separate-stderr verify-fee --index bad.csv -o p.idx
	assert_equal "$stderr" "verify-fee: payments bad.csv line 17: status 'pending' is not paid or reversed; correct the export"
	run -0 ls
	refute_output --partial p.idx
	# the export is never written over
	cp bad.csv keep.csv
	run -73 --separate-stderr verify-fee --index bad.csv -o ./bad.csv
	assert_equal "$stderr" 'verify-fee: ./bad.csv is the payments export itself: give the index another name'
	cmp bad.csv keep.csv
	run -66 --separate-stderr verify-fee --index none.csv -o p.idx
	[[ $stderr == 'verify-fee: '*'none.csv'* ]] || fail "$stderr"
	[ ! -e p.idx ]
	{ payments; echo '260000000001,100,2026-11-20,HBL,paid'; } > p.csv
	run -0 --separate-stderr verify-fee --index p.csv -o p.idx
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: payments p.csv line 17: receipt 260000000001 is paid twice in the export (line 2 first, which counts); ask the bank'
	run -0 --separate-stderr verify-fee --schedule f.csv --payments p.csv --payments-index p.idx --state x.db v.xml
	assert_equal "${stderr%%$'\n'*}" 'verify-fee: payments p.csv: 1 receipts paid twice in the export (the first line of each counts; verify-fee --index named them)'
	printf '%s\n' "$output" > x.xml
	step_is OK-BASE x.xml ok FEE_OK "$(paid)"
}

# ---- the input stream and the command line -------------------------------------------

@test "a stream that has not been through validate, or has been through verify-fee, is refused (65)" {
	run -65 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state x.db i.xml
	assert_output ''
	assert_equal "$stderr" 'verify-fee: B-F: batch B-F has not been through validate; verify-fee reads its output'
	run -65 --separate-stderr verify-fee --schedule f.csv --payments p.csv --state x.db o.xml
	assert_equal "$stderr" 'verify-fee: B-F: batch B-F has been through verify-fee already; run verify-fee on the stream that came before it'
}

@test "verify-nadra reads verify-fee's output" {
	echo 'cnic,name,father_name,date_of_birth,sex,status' > n.csv
	echo '3520100000011,ALI RAZA KHAN,AHMED KHAN,1990-05-17,M,active' >> n.csv
	run -0 --separate-stderr verify-nadra --nadra n.csv o.xml
	printf '%s\n' "$output" > vn.xml
	stage_one_step_each verify-nadra o.xml vn.xml
}

@test "usage: -h and --help on stdout (0) as in the manual; no --schedule or --payments, two operands, a bad option (64)" {
	for opt in -h --help; do
		run -0 --separate-stderr verify-fee "$opt"
		assert_line --index 0 "$USAGE"
		assert_equal "$stderr" ''
	done
	man=$(MANWIDTH=200 man -l "$TESTS/../bin/verify-fee.1" 2> /dev/null | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | tr -s ' \n' ' ')
	[[ $man == *'verify-fee --schedule file --payments file [--state file] [-s fingerprint] [-t file] [--payments-index file] [--counts file] [file | -] verify-fee --index csv -o out'* ]] || fail "$man"
	assert_line --index 1 '                  [-t FILE] [--payments-index FILE] [--counts FILE] [FILE|-]'
	assert_line --index 2 '       verify-fee --index CSV -o OUT'
	for args in '' '--schedule f.csv v.xml' '--payments p.csv v.xml' '--schedule f.csv --payments p.csv v.xml v.xml' '-x' \
		'--index p.csv' '-o p.idx' '--index p.csv -o p.idx v.xml' '--index p.csv -o p.idx --payments p.csv' \
		'--index p.csv -o p.idx --schedule f.csv' '--schedule f.csv --payments-index p.idx v.xml'; do
		# shellcheck disable=SC2086
		run -64 --separate-stderr verify-fee $args
		assert_output ''
		[[ $stderr == *"$USAGE"* ]] || fail "$args: stderr: $stderr"
	done
}

# ---- a generated batch -----------------------------------------------------------------

@test "a generated batch with gen-fixtures' schedule and payments: verify-fee finds exactly the planted faults" {
	"$GEN" --seed 3 applications 3000 > ga.csv
	"$GEN" --seed 3 fees 35 > gf.csv
	"$GEN" --seed 3 --truth truth.csv payments 3000 > gp.csv
	ingest -b B-GEN ga.csv 2> /dev/null | validate --today "$TODAY" > gv.xml 2> /dev/null
	run -0 --separate-stderr verify-fee --schedule gf.csv --payments gp.csv --state g.db gv.xml
	printf '%s\n' "$output" > go.xml
	one_step_each gv.xml go.xml
	conserved "${stderr##*$'\n'}" go.xml B-GEN
	# every planted kind is there
	for kind in gratis paid_short not_in_export reversed schedule_gap; do
		grep -q ",$kind\$" truth.csv || fail "no $kind planted"
	done
	# the ids and codes verify-fee did not pass are the truth's (of the records validate passed)
	grep -o '^<record [^>]* id="[^"]*" status="ok">' gv.xml | sed 's/.* id="\([^"]*\)".*/\1/' | sort > passed
	tail -n +2 truth.csv | cut -d, -f1,2 | sort | join -t, passed - > want
	grep -o ' id="[^"]*" status="[a-z]*">.*<step stage="verify-fee" result="[a-z]*" code="[A-Z_]*"' go.xml |
		sed 's/^ id="\([^"]*\)".*<step stage="verify-fee" result="[a-z]*" code="\([A-Z_]*\)"$/\1,\2/' |
		grep -v ',FEE_OK$' | sort > got
	run diff want got
	assert_success
	[ "$(wc -l < want)" -gt 100 ]
}
