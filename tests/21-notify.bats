#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# track and notify (issue 22, part 2): the events of sealed streams
# recorded in the state database (track --record), an application's
# timeline (track ID, --csv), and the messages sent once through a real
# Kannel (bearerbox + smsbox) to Kannel's fake SMSC, on 127.0.0.1 with free
# ports (tests/kannel), started once for the file and stopped in
# teardown_file (each test reads only what the SMSC received after it
# began): what the SMSC received is checked; a control-list hold is never
# disclosed; notify killed -9 and run again, with and without delivery
# reports (notify --receive); the gateway down (75) and refusing (69); the
# applicant's language set by the office (track --lang); passports ready at
# the office (track --arrived) from a manifested courier stream.

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
PHOTO=dddb32b03a7e8400719198323b6e917e78fb70f02cd254cd8442053ea7805599
TODAY=2026-11-28
USAGE='usage: notify --gateway URL --templates FILE --user NAME --password-file FILE'

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

cases() {
	echo "${APP_COLUMNS// /,}"
	app OK-PK phone=0300-1234567 cnic=3520100000011
	app OK-UK 'phone=+44 7700 900123' cnic=3520100000021
	app OK-LANDLINE phone=051-2345678 cnic=3520100000031
	app PCL-HIT phone=03211234567 cnic=3520100000041
	app BAD-SEX sex=Q phone=923331234567 cnic=3520100000051
}

templates() {
	echo 'event,reason,lang,text'
	echo 'received,,en,Passport application {tracking_id} received at {office}.'
	echo 'received,,ur,درخواست {tracking_id} موصول ہو گئی'
	echo 'held,office,en,Application {tracking_id}: please visit the passport office {office} with your CNIC.'
	echo 'held,office,ur,درخواست {tracking_id}: براہ کرم شناختی کارڈ کے ساتھ دفتر {office} تشریف لائیں'
	echo 'rejected,details,en,"Application {tracking_id} has an error; please apply again, corrected."'
	echo 'rejected,details,ur,درخواست {tracking_id} میں غلطی ہے'
	echo 'dispatched,,en,"Passport {tracking_id} sent by {courier}, consignment {consignment}."'
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	cases > a.csv
	templates > t.csv
	echo 'entry_id,list,category,cnic,name,father_name,date_of_birth,nationality,passport_no,reason,placed_on,removed_on' > pcl.csv
	echo 'PCL-000001,PCL,A,3520100000041,ALI RAZA KHAN,AHMED KHAN,1990-05-17,PAK,,court order,2020-01-01,' >> pcl.csv
	ingest -b B-N a.csv 2> /dev/null | validate --today "$TODAY" 2> /dev/null |
		screen-pcl --list pcl.csv > s.xml 2> s.err
	# the three ok applications printed (kind printed, resealed as
	# spool-print's) and manifested: a counter consignment to LHR
	render-mrz --state "$KT/state.db" --add-range T AA1000000-AA1999999 2> /dev/null
	render-mrz --state "$KT/state.db" --issue-date "$TODAY" s.xml > mrz.xml 2> /dev/null
	sed -e '2s/kind="application"/kind="printed"/' \
		-e 's#\(<passport number="\([A-Z0-9]*\)".*</passport>\)#\1<print queue="p01" job="\2" laminate="SL00000001" printed="2026-11-28T01:02:03Z"/>#' \
		mrz.xml > unsealed.xml
	reseal unsealed.xml "$STAGE_FPR" spool-print > printed.xml
	IMPASS_SPOOL=$KT manifest-courier -o "$KT/out" --offices "$TESTS/../pipelines/offices.csv" \
		--couriers "$TESTS/../pipelines/couriers.csv" --date "$TODAY" printed.xml > m.xml 2> m.err
	GW=$BATS_FILE_TMPDIR/gw
	"$TESTS/kannel" start "$GW"
}

teardown_file() {
	"$TESTS/kannel" stop "$BATS_FILE_TMPDIR/gw"
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/*.csv "$KT"/s.xml "$KT"/m.xml .
	GW=$BATS_FILE_TMPDIR/gw
	gateway
}

teardown() {
	if [ -n "${RECV_PID:-}" ]; then
		kill "$RECV_PID" 2> /dev/null || true
		wait "$RECV_PID" 2> /dev/null || true
	fi
}

# the shared gateway's settings; started again if a test stopped it (its
# fake SMSC's log then begins anew); START: the SMSC log's lines before
gateway() {
	if [ ! -e "$GW/env" ]; then
		"$TESTS/kannel" start "$GW" || fail "the gateway did not start: $(cat "$GW"/*.log | tail -n 20)"
	fi
	# shellcheck disable=SC1091
	. "$GW/env"
	START=$(wc -l < "$GW/smsc.log")
}

# notify --receive on a free port of 127.0.0.1, for the gateway's reports:
# REPORT_URL is where it listens
receiver() {
	local i
	notify --receive 127.0.0.1:0 --state st.db 2> recv.log &
	RECV_PID=$!
	for i in $(seq 50); do
		REPORT_URL=$(sed -n 's/^notify: receiving delivery reports on \(http:[^ ]*\) .*/\1/p' recv.log)
		[ -n "$REPORT_URL" ] && return 0
		sleep 0.1
	done
	fail "notify --receive did not start: $(cat recv.log)"
}

# wait_reports N: until N delivery reports of type 1 (delivered) are recorded
wait_reports() {
	local i
	for i in $(seq 100); do
		[ "$(sqlite3 st.db 'SELECT count(*) FROM notice_report WHERE status = 1')" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "$(sqlite3 st.db 'SELECT count(*) FROM notice_report WHERE status = 1') reports of $1"
}

notify_() {
	notify --gateway "$SENDSMS_URL" --templates t.csv --user impass --password-file "$GW/password" \
		--from DGIP --backoff 10 --state st.db "$@"
}

# what the fake SMSC got since the test began, one line each: "TO TEXT",
# Urdu (UCS-2) decoded
smsc_log() { tail -n "+$((START + 1))" "$GW/smsc.log"; }
received() {
	local line to kind data
	smsc_log | sed -n 's/.*Got message [0-9]*: <DGIP \(.*\)>$/\1/p' | while read -r to kind data; do
		if [ "$kind" = ucs-2 ]; then
			data=$(printf '%b' "$(sed 's/+/ /g; s/%\([0-9A-Fa-f][0-9A-Fa-f]\)/\\x\1/g' <<< "$data")" | iconv -f UCS-2BE -t UTF-8)
		fi
		printf '%s %s\n' "$to" "$data"
	done | sort
}

# wait_received N: until the fake SMSC has N messages (the gateway queues)
wait_received() {
	local i
	for i in $(seq 100); do
		[ "$(smsc_log | grep -c 'Got message')" -ge "$1" ] && break
		sleep 0.1
	done
	sleep 0.3
}

EXPECTED='+447700900123 Passport application OK-UK received at LHR.
+923001234567 درخواست OK-PK موصول ہو گئی
+923211234567 درخواست PCL-HIT موصول ہو گئی
+923211234567 درخواست PCL-HIT: براہ کرم شناختی کارڈ کے ساتھ دفتر LHR تشریف لائیں
+923331234567 درخواست BAD-SEX موصول ہو گئی
+923331234567 درخواست BAD-SEX میں غلطی ہے'

# ---- track ---------------------------------------------------------------------

@test "track --record takes the events of a sealed stream once; track ID shows the timeline, the state and what to do" {
	run -0 --separate-stderr track --state st.db --record s.xml
	assert_equal "$stderr" 'track: 5 records of 1 streams, 7 events recorded now'
	run -0 --separate-stderr track --state st.db --record s.xml
	assert_equal "$stderr" 'track: 5 records of 1 streams, 0 events recorded now'
	run -0 --separate-stderr track --state st.db PCL-HIT
	assert_line --index 0 PCL-HIT
	assert_line --index 1 --regexp '^  [0-9T:Z-]{20}  received    \(batch B-N\)$'
	assert_line --index 2 --regexp '^  [0-9T:Z-]{20}  held        the office must see the applicant  \(batch B-N\)$'
	assert_line --index 3 --regexp '^state: held since [0-9T:Z-]{20}$'
	assert_line --index 4 'office: LHR'
	assert_line --index 5 'what to do: contact the passport office with the CNIC and this tracking id'
	# nothing of the control list, to the helpline either
	refute_output --partial PCL_
	refute_output --partial 'control'
	run -0 track --state st.db BAD-SEX
	assert_line 'what to do: apply again at the passport office with the application corrected'
}

@test "track --csv: one row per tracking id, operands or standard input; an unknown id is a row, and 65 for track ID" {
	track --state st.db --record s.xml 2> /dev/null
	run -0 --separate-stderr track --state st.db --csv OK-PK NOPE
	assert_line --index 0 'tracking_id,state,since,courier,consignment,office,what_to_do'
	assert_line --index 1 --regexp '^OK-PK,received,[0-9T:Z-]{20},,,LHR,nothing yet: the application is being checked$'
	assert_line --index 2 'NOPE,unknown,,,,,no such application in the state database'
	run -0 --separate-stderr track --state st.db --csv <<< $'OK-UK\nBAD-SEX'
	assert_equal "${#lines[@]}" 3
	assert_line --index 2 --regexp '^BAD-SEX,rejected,'
	run -65 --separate-stderr track --state st.db NOPE
	assert_equal "$stderr" 'track: 1 of 1 tracking ids have no events'
}

@test "track --record refuses a forged stream (65) and records nothing" {
	sed '/ id="OK-PK" /s/<surname>KHAN</<surname>KHAM</' s.xml > f.xml
	run -65 --separate-stderr track --state st.db --record f.xml
	run -65 track --state st.db OK-PK
}

@test "a state database whose events were recorded before destinations were kept gets the column in place, its events kept" {
	sqlite3 st.db "CREATE TABLE app_event (id INTEGER PRIMARY KEY, tracking_id TEXT NOT NULL, event TEXT NOT NULL, reason TEXT NOT NULL, courier TEXT NOT NULL, consignment TEXT NOT NULL, office TEXT NOT NULL, phone TEXT NOT NULL, batch TEXT NOT NULL, at TEXT NOT NULL, UNIQUE (tracking_id, event, batch)); INSERT INTO app_event VALUES (1, 'OLD-1', 'received', '', '', '', 'LHR', '03001234567', 'B-OLD', '2026-11-01T00:00:00Z');"
	run -0 --separate-stderr track --state st.db --record m.xml
	run -0 track --state st.db OLD-1
	assert_line --index 1 '  2026-11-01T00:00:00Z  received    (batch B-OLD)'
	run sqlite3 st.db "SELECT count(*) FROM app_event WHERE event = 'dispatched' AND destination = 'LHR'"
	assert_output 3
}

# ---- notify through Kannel --------------------------------------------------------

@test "notify: each applicant's messages through Kannel to the SMSC, +92 numbers in Urdu, others in English; a landline skipped; a second run sends nothing" {
	track --state st.db --record s.xml 2> /dev/null
	gateway
	run -0 --separate-stderr notify_
	[[ $stderr == 'notify: 6 sent, 1 skipped, 0 sent again after an interrupted run, 0 waiting; '* ]]
	wait_received 6
	run received
	assert_output "$EXPECTED"
	# exactly once: a second run sends nothing
	run -0 --separate-stderr notify_
	[[ $stderr == 'notify: 0 sent, 0 skipped, 0 sent again after an interrupted run, 0 waiting; '* ]] || fail "$stderr"
	sleep 1
	assert_equal "$(smsc_log | grep -c 'Got message')" 6
	# the traffic stayed on the loopback: every socket of the gateway is 127.0.0.1's
	run ss -Htanp
	assert_output --regexp 'bearerbox.*smsbox|smsbox.*bearerbox'
	run awk '/"(bearerbox|smsbox|fakesmsc)"/ && ($4 !~ /^127\.0\.0\.1:/ || ($5 !~ /^127\.0\.0\.1:/ && $5 != "0.0.0.0:*"))' <<< "$output"
	assert_output ''
}

@test "a control-list hold is never disclosed: the applicant is asked to come to the office, nothing more" {
	track --state st.db --record s.xml 2> /dev/null
	gateway
	run -0 notify_ --lang en
	wait_received 6
	run received
	assert_line '+923211234567 Application PCL-HIT: please visit the passport office LHR with your CNIC.'
	refute_output --partial PCL_
	refute_output --regexp '[Cc]ontrol|list|court'
}

@test "notify killed -9 after recording a message as being sent and before sending it: the re-run sends it, each message once" {
	track --state st.db --record s.xml 2> /dev/null
	gateway
	IMPASS_FAULT=notify-sending run -137 notify_
	sleep 1
	assert_equal "$(smsc_log | grep -c 'Got message')" 0
	run -0 --separate-stderr notify_
	[[ $stderr == *'the received message was being sent when a run stopped; it is sent again (the applicant may get it twice)'* ]] || fail "$stderr"
	[[ ${stderr##*$'\n'} == 'notify: 6 sent, 1 skipped, 1 sent again after an interrupted run, 0 waiting; '* ]] || fail "$stderr"
	wait_received 6
	run received
	assert_output "$EXPECTED"
}

@test "notify killed -9 after the gateway took a message, before it was recorded as sent: that one message twice (the documented window), the others once" {
	track --state st.db --record s.xml 2> /dev/null
	gateway
	IMPASS_FAULT=notify-accepted run -137 notify_
	wait_received 1
	run -0 --separate-stderr notify_
	wait_received 7
	run received
	# the first message (OK-PK's received) twice, no other
	assert_equal "$(uniq -d <<< "$output")" '+923001234567 درخواست OK-PK موصول ہو گئی'
	assert_equal "$(sort -u <<< "$output")" "$EXPECTED"
	assert_equal "${#lines[@]}" 7
}

@test "with delivery reports: killed -9 after the gateway took a message, its report makes it sent; the re-run sends every message once" {
	track --state st.db --record s.xml 2> /dev/null
	receiver
	IMPASS_FAULT=notify-accepted run -137 notify_ --report-url "$REPORT_URL"
	wait_reports 1
	run -0 track --state st.db OK-PK
	assert_line --regexp '^    SMS to \+923001234567: sent, delivered to the phone [0-9T:Z-]{20}$'
	run -0 --separate-stderr notify_ --report-url "$REPORT_URL"
	[[ $stderr == 'notify: 5 sent, 1 skipped, 0 sent again after an interrupted run, 0 waiting; '* ]] || fail "$stderr"
	wait_received 6
	run received
	assert_output "$EXPECTED"
	wait_reports 6
	# each message's reports: the SMS centre took it (8), then the phone (1)
	run sqlite3 st.db 'SELECT group_concat(status) FROM (SELECT status FROM notice_report ORDER BY event_id, rowid) GROUP BY 1 = 1'
	assert_output '8,1,8,1,8,1,8,1,8,1,8,1'
	kill "$RECV_PID"
	wait "$RECV_PID" || true
	RECV_PID=
	run cat recv.log
	assert_line --index 1 'notify: 12 delivery reports recorded, 0 refused'
}

@test "notify --receive: a report without the key (403), of no message sent (404), or of no known type (400) is refused and not recorded" {
	track --state st.db --record s.xml 2> /dev/null
	receiver
	run -0 notify_ --report-url "$REPORT_URL" --max 1
	wait_reports 1
	key=$(sqlite3 st.db 'SELECT key FROM notice_key')
	run curl -s -o /dev/null -w '%{http_code}' "$REPORT_URL?e=1&s=1&k=$(printf '%064d' 0)"
	assert_output 403
	run curl -s -o /dev/null -w '%{http_code}' "$REPORT_URL?e=1&s=1"
	assert_output 403
	run curl -s -o /dev/null -w '%{http_code}' "$REPORT_URL?e=2&s=1&k=$key"
	assert_output 404
	run curl -s -o /dev/null -w '%{http_code}' "$REPORT_URL?e=1&s=3&k=$key"
	assert_output 400
	run curl -s -o /dev/null -w '%{http_code}' "$REPORT_URL?e=1x&s=1&k=$key"
	assert_output 400
	run curl -s -o /dev/null -w '%{http_code}' -X POST "$REPORT_URL?e=1&s=2&k=$key"
	assert_output 405
	assert_equal "$(sqlite3 st.db 'SELECT count(*) FROM notice_report')" 2
	run -64 --separate-stderr notify --receive 127.0.0.1:0 --gateway http://x/ --state st.db
	run -64 --separate-stderr notify --receive localhost --state st.db
	assert_equal "$stderr" "notify: --receive 'localhost' is not ADDRESS:PORT (IPv4, e.g. 127.0.0.1:13080)"
}

@test "a report of a message whose request got no answer (it may have reached the gateway) makes it sent: not sent again" {
	track --state st.db --record s.xml 2> /dev/null
	receiver
	"$TESTS/kannel" stop "$GW"
	run -75 notify_ --retries 0 --report-url "$REPORT_URL"
	run curl -s -o /dev/null -w '%{http_code}' "$REPORT_URL?e=1&s=8&k=$(sqlite3 st.db 'SELECT key FROM notice_key')"
	assert_output 200
	run -0 track --state st.db OK-PK
	assert_line --regexp '^    SMS to \+923001234567: sent, taken by the SMS centre [0-9T:Z-]{20}$'
	gateway
	run -0 --separate-stderr notify_ --report-url "$REPORT_URL"
	[[ $stderr == 'notify: 5 sent, 1 skipped, 0 sent again after an interrupted run, 0 waiting; '* ]] || fail "$stderr"
	wait_received 5
	run received
	assert_output "$(grep -v 'OK-PK' <<< "$EXPECTED")"
}

@test "the applicant's language set by the office (track --lang) wins over --lang and the number" {
	track --state st.db --record s.xml 2> /dev/null
	run -0 track --state st.db --lang en OK-PK
	run -0 track --state st.db --lang ur OK-UK
	run -64 track --state st.db --lang fr OK-PK
	run -0 notify_ --lang en
	wait_received 6
	run received
	assert_line '+923001234567 Passport application OK-PK received at LHR.'
	assert_line '+447700900123 درخواست OK-UK موصول ہو گئی'
	assert_line '+923331234567 Passport application BAD-SEX received at LHR.'
}

@test "ready at the office: track --arrived OFFICE CONSIGNMENT records its passports ready; notify tells them; another office's consignment is refused (65)" {
	{ templates; echo 'ready,,en,Passport {tracking_id} is ready at the office {office}; bring your CNIC.'; } > t.csv
	run -0 --separate-stderr track --state st.db --record m.xml
	assert_equal "$stderr" 'track: 5 records of 1 streams, 3 events recorded now'
	c=$(grep -o '<consignment number="[^"]*"' m.xml | head -n 1 | cut -d'"' -f2)
	[ -n "$c" ]
	run -65 --separate-stderr track --state st.db --arrived ISB "$c"
	assert_equal "$stderr" "track: consignment $c goes to LHR, not to the office ISB; nothing recorded"
	run -65 --separate-stderr track --state st.db --arrived LHR C-20991231-0001
	assert_equal "$stderr" 'track: consignment C-20991231-0001: no passport dispatched in it is recorded (track --record the courier run'"'"'s stream first, or check the number)'
	run -0 --separate-stderr track --state st.db --arrived LHR "$c"
	assert_equal "$stderr" "track: 1 consignments at the office LHR, 3 passports ready now"
	run -0 --separate-stderr track --state st.db --arrived LHR "$c"
	assert_equal "$stderr" "track: 1 consignments at the office LHR, 0 passports ready now"
	run -0 track --state st.db OK-UK
	assert_line --index 2 --regexp "^  [0-9T:Z-]{20}  ready       at the office LHR, consignment $c  \(batch B-N\)$"
	assert_line 'what to do: collect the passport at the office named, with the CNIC and this tracking id'
	run -0 notify_ --lang en
	wait_received 3
	run received
	assert_line "+447700900123 Passport OK-UK sent by $(grep -o 'courier="[^"]*"' m.xml | head -n 1 | cut -d'"' -f2), consignment $c."
	assert_line '+447700900123 Passport OK-UK is ready at the office LHR; bring your CNIC.'
	assert_line '+923001234567 Passport OK-PK is ready at the office LHR; bring your CNIC.'
}

@test "the gateway down: retries with back-off, exit 75, nothing marked sent; once it is up every message goes once" {
	track --state st.db --record s.xml 2> /dev/null
	gateway
	"$TESTS/kannel" stop "$GW"
	run -75 --separate-stderr notify_ --retries 2
	[[ $stderr == *"notify: the gateway $SENDSMS_URL did not take the received message of OK-PK after 3 tries (no answer from the gateway: "*'); it and the others wait: run notify again when the gateway is up' ]] || fail "$stderr"
	[[ $stderr == 'notify: 0 sent, 0 skipped, 0 sent again after an interrupted run, 7 waiting; '* ]] || fail "$stderr"
	gateway
	run -0 --separate-stderr notify_
	wait_received 6
	run received
	assert_output "$EXPECTED"
}

@test "the gateway refuses (a wrong password): 69, nothing sent, nothing lost" {
	track --state st.db --record s.xml 2> /dev/null
	gateway
	echo wrong > pw
	run -69 --separate-stderr notify --gateway "$SENDSMS_URL" --templates t.csv --user impass --password-file pw --state st.db
	[[ $stderr == *'refused the received message of OK-PK (HTTP 403 Authorization failed for sendsms); check --user, --password-file'* ]] || fail "$stderr"
	run -0 notify_
	wait_received 6
	run received
	assert_output "$EXPECTED"
}

@test "templates: an unknown placeholder, event or language is refused (65) naming the line" {
	{ templates; echo 'printed,,en,Passport {trackingid} printed'; } > t.csv
	run -65 --separate-stderr notify --gateway http://127.0.0.1:9/x --templates t.csv --user u --password-file t.csv --state st.db
	assert_equal "$stderr" "notify: templates t.csv line 9: unknown placeholder at '{trackingid} printed'; use {tracking_id}, {office}, {courier}, {consignment}"
	{ templates; echo 'lost,,en,x'; } > t.csv
	run -65 --separate-stderr notify --gateway http://127.0.0.1:9/x --templates t.csv --user u --password-file t.csv --state st.db
	assert_equal "$stderr" "notify: templates t.csv line 9: event 'lost' is not received, held, rejected, printed, dispatched or ready"
	{ templates; echo 'printed,,fr,x'; } > t.csv
	run -65 --separate-stderr notify --gateway http://127.0.0.1:9/x --templates t.csv --user u --password-file t.csv --state st.db
	assert_equal "$stderr" "notify: templates t.csv line 9: lang 'fr' is not en or ur"
}

@test "usage: --help as the manual; a missing option, a gateway that is not http, a bad --rate (64)" {
	run -0 notify --help
	assert_line --index 0 "$USAGE"
	run -64 --separate-stderr notify --templates t.csv --user u --password-file t.csv
	[[ $stderr == *"$USAGE"* ]]
	run -64 --separate-stderr notify --gateway ftp://x --templates t.csv --user u --password-file t.csv
	assert_equal "$stderr" "notify: --gateway 'ftp://x' is not an http:// or https:// URL"
	run -64 --separate-stderr notify --gateway http://x --templates t.csv --user u --password-file t.csv --rate 0
	assert_equal "$stderr" "notify: --rate '0' is not a number from 0.01 to 1000"
	run -64 --separate-stderr notify --gateway http://x --templates t.csv --user u --password-file t.csv --report-url ftp://y
	assert_equal "$stderr" "notify: --report-url 'ftp://y' is not an http:// or https:// URL of at most 512 characters"
	run -0 track --help
	assert_line --index 0 'usage: track [--state FILE] [--csv] TRACKING_ID...'
	run -64 track
	run -64 track --record
	run -64 track --arrived LHR
	run -64 track --record --lang en x
	run -0 notify --help
	assert_line --index 3 '       notify --receive ADDRESS:PORT [--state FILE]'
}
