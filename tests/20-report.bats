#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# pipelines/report and the pipelines' counts (issue 20): every count comes
# from the sealed streams (inspect --counts, inspect --csv), never from the
# programs' English summary lines: a run whose programs say their summaries
# in other words gives the same report. The report an operations officer
# reads: run time, input, approver, codes with what to do, outcome per
# office, every held and rejected application, the courier's consignments
# and spoiled booklets with their original batch; report.html checked in
# headless chromium (make deps installs it): a screenshot and the DOM. An
# empty export stops nightly with its own code (79) and an EMPTY EXPORT
# report, on stdout for cron's mail.

bats_require_minimum_version 1.5.0
load helpers

PIPES=$TESTS/../pipelines
PROGS="ingest validate verify-fee verify-nadra screen-pcl dedup render-mrz sign spool-print manifest-courier inspect"

mkcase() {                        # mkcase DIR [BIN]
	mkdir -p "$1"
	cat > "$1/impass.conf" <<-EOF
	BIN=${2:-$IMP_BIN}
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
	OFFICES=$PIPES/offices.csv
	COURIERS=$PIPES/couriers.csv
	BUNDLES=out
	EOF
	(cd "$1" && IMPASS_SPOOL=spool render-mrz --add-range STOCK-1 AB1000000-AB1999999 2> /dev/null)
}

# every third job of a queue spoiled, the rest printed (tests/fake-printer)
print_jobs() {
	"$TESTS"/fake-printer --fail-every 3 "$1" > /dev/null
}

run_case() {                      # run_case DIR [BIN]: nightly, the printers, courier
	mkcase "$@"
	(cd "$1" && "$PIPES/nightly" --config impass.conf "$KT/apps.csv" > nightly.out 2> nightly.err) || return 1
	print_jobs "$1/spool"
	(cd "$1" && "$PIPES/courier" --config impass.conf > courier.out 2> courier.err)
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" --seed 3 applications 40 > base.csv
	"$GEN" --seed 3 nadra 40 > nadra.csv
	"$GEN" --seed 3 pcl 50 > pcl.csv
	"$GEN" --seed 3 fees 35 > fees.csv
	"$GEN" --seed 3 payments 40 > payments.csv
	# row 5 with sex Q (rejected), row 11's father another (held), row 20
	# twice (held by dedup: the copy has a receipt of its own, paid)
	awk -F, -v OFS=, 'NR == 5 { $8 = "Q" } NR == 11 { $7 = "ZORAWAR KHAN" } { print }
		NR == 20 { sub(/^[^,]*/, "DUP-0020"); $(NF - 2) = "900000000020"; print
			printf "%s,%s,%s,HBL branch 0001,paid\n", $(NF - 2), $(NF - 1), $NF >> "payments.csv" }' base.csv > apps.csv
	seq -f 'SL%08g' 1 500 > lam.txt
	run_case ref
	# the same run with programs whose summary lines say something else
	mkdir wrap
	cat > wrap/wrapper <<-'EOF'
	#!/usr/bin/env bash
	real=$REAL_BIN/${0##*/}
	"$real" "$@" 2> >(sed -E 's/[0-9]+ (in|ok|rejected|held|collected|jobs)/many \1/g' >&2)
	EOF
	chmod +x wrap/wrapper
	for p in $PROGS; do ln -s wrapper "wrap/$p"; done
	REAL_BIN=$IMP_BIN PATH=$KT/wrap:$PATH run_case other "$KT/wrap"
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	REF=$KT/ref
	N=$(ls -d "$REF"/spool/runs/2* | head -n 1)
	C=$(ls -d "$REF"/spool/runs/courier-* | head -n 1)
}

# a stream's inspect --counts value
kv() { inspect --counts "$1" 2> /dev/null | sed -n "s/^$2=//p"; }

@test "the seeded night: rejected and held records, printed, spoiled and manifested" {
	assert_equal "$(kv "$N/07-sign.xml" records)" 41
	assert_equal "$(kv "$N/07-sign.xml" rejected.VALUE_INVALID)" 1
	[ "$(kv "$N/07-sign.xml" held)" -ge 2 ]
	[ "$(grep -c '^<record ' "$C/reprint.xml")" -ge 1 ]
	[ "$(grep -c '^<record ' "$C/02-manifest-courier.xml")" -ge 1 ]
}

@test "run.log: each stage's counts are its sealed streams' (inspect --counts)" {
	local prev=''
	for f in "$N"/0[1-7]-*.xml; do
		s=$(basename "$f" .xml)
		s=${s#0?-}
		run -0 grep -E "^[0-9TZ:-]+ $s: " "$N/run.log"
		assert_equal "${#lines[@]}" 1
		assert_regex "${lines[0]}" "^[0-9TZ:-]+ $s: $(kv "$f" batch): $(kv "${prev:-$f}" records) in, $(kv "$f" ok) ok, $(kv "$f" rejected) rejected, $(kv "$f" held) held, [0-9]+ s\$"
		prev=$f
	done
	# spool-print writes no stream: its own last line, relayed as it is
	run -0 grep -E "^[0-9TZ:-]+ spool-print: done in [0-9]+ s: " "$N/run.log"
	assert_equal "${lines[0]#*: done in * s: }" "$(tail -n 1 "$N/spool-print.log")"
}

@test "the programs' summary lines in other words change no count of the run log or the report" {
	O=$(ls -d "$KT"/other/spool/runs/2* | head -n 1)
	grep -q 'many in, many ok' "$O/validate.log"
	# the same counts, once times, run folders and dates are left out
	norm() { sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z//g; s/(courier-)?[0-9]{8}-[0-9]{6}-[0-9]+//g; s/\(?[0-9]+ s\)?//g; s/ref|other//g' "$1"; }
	diff <(norm "$N/report.txt") <(norm "$O/report.txt")
	diff <(norm "$N/run.log" | grep -v 'spool-print: done') <(norm "$O/run.log" | grep -v 'spool-print: done')
	Oc=$(ls -d "$KT"/other/spool/runs/courier-* | head -n 1)
	diff <(norm "$C/report.txt" | sed 's/C-[0-9-]*//g') <(norm "$Oc/report.txt" | sed 's/C-[0-9-]*//g')
}

@test "report.txt: run time, input, approver; codes with what to do; per office; every held and rejected application" {
	run -0 cat "$N/report.txt"
	assert_line --index 0 "impass nightly run $(basename "$N")"
	assert_line --index 1 --regexp '^batch B-[0-9]{8}-01, complete$'
	assert_line --index 2 --regexp "^started [0-9TZ:-]+, ended [0-9TZ:-]+ \([0-9]+ s\); input $KT/apps.csv \(41 lines after the header\); approved by Officer Ayesha Siddiqui \($APPROVER_FPR\)$"
	assert_line --regexp '^rejected +VALUE_INVALID +1  the office corrects the named field to one of the values listed in the reason$'
	assert_line --regexp '^held +DEDUP_SAME_CNIC +[0-9]+  an officer compares the two applications named; keep one, refuse the other$'
	# every held and rejected record is listed once, with its office and code
	inspect --csv "$N/07-sign.xml" 2> /dev/null |
		awk "$CSV_SPLIT"'NR > 1 { csv_split($0, f); if (f[2] != "ok") print f[2], f[1], f[5], f[3] }' | sort > want
	sed -n '/^held and rejected applications/,/^$/p' "$N/report.txt" | sed '1d;/^$/d' |
		awk '{ sub(/:$/, "", $4); print $1, $2, $3, $4 }' | sort > got
	[ -s want ]
	diff want got
	# per office: the counts add up to the batch
	sed -n '/^office /,/^$/p' "$N/report.txt" | awk 'NR > 1 && NF == 4 { ok += $2; h += $3; r += $4 } END { print ok, h, r }' > offices
	assert_equal "$(cat offices)" "$(kv "$N/07-sign.xml" ok) $(kv "$N/07-sign.xml" held) $(kv "$N/07-sign.xml" rejected)"
}

@test "the courier's report: each consignment with courier, destination, count and bundle; the spoiled booklets with their reason and original batch" {
	run -0 cat "$C/report.txt"
	assert_line --index 0 "impass courier run $(basename "$C")"
	# the consignments' counts are the manifested records, each bundle exists
	sed -n '/^consignment /,/^$/p' "$C/report.txt" | awk 'NR > 1 && NF == 5' > cons
	[ -s cons ]
	assert_equal "$(awk '{ n += $4 } END { print n }' cons)" "$(kv "$C/02-manifest-courier.xml" ok)"
	while read -r num courier dest n bundle; do
		[ -e "$REF/out/$bundle" ] || fail "no bundle $bundle"
		assert_equal "$(grep -c "<consignment number=\"$num\" courier=\"$courier\" destination=\"$dest\"/>" "$C/02-manifest-courier.xml")" "$n"
	done < cons
	b=$(kv "$N/07-sign.xml" batch)
	assert_line "spoiled booklets of batch $b (tracking id: reason)"
	sp=$(grep -c '^<record ' "$C/reprint.xml")
	assert_equal "$(grep -c 'spoiled: ribbon jam' "$C/report.txt")" "$sp"
	assert_line --partial "$sp spoiled jobs of batch $b wait in"
}

@test "report.html renders in headless chromium: a screenshot, and the DOM holds every table with the report's counts" {
	browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
		fail "no chromium: make deps installs it"
	run -0 xmllint --noout "$N/report.html"
	cp "$N/report.html" r.html
	run -0 timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$PWD/profile" \
		--window-size=1200,2400 --screenshot="$PWD/shot.png" "file://$PWD/r.html"
	[ -s shot.png ]
	assert_equal "$(head -c 8 shot.png | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
	run -0 timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$PWD/profile" \
		--dump-dom "file://$PWD/r.html"
	for id in run stages codes offices records codechart officechart; do
		assert_output --partial "id=\"$id\""
	done
	assert_output --partial "<th class=\"l\">approved by</th><td class=\"l\">Officer Ayesha Siddiqui ($APPROVER_FPR)</td>"
	# one row per held or rejected application in the DOM's records table
	rows=$(sed -n '/<table id="records">/,/<\/table>/p' <<< "$output" | grep -o '<tr><td class="l">\(held\|rejected\)</td>' | wc -l)
	assert_equal "$rows" "$(($(kv "$N/07-sign.xml" held) + $(kv "$N/07-sign.xml" rejected)))"
	assert_output --partial '<td class="l">VALUE_INVALID</td>'
	run -1 grep -ci '<script' r.html
	assert_output 0
}

@test "report.html's charts say what its tables say (outcome by office, held and rejected by code), and it prints: chromium makes a PDF of it" {
	local h=$N/report.html
	# each office's row of the table is its bar's label: ok / held / rejected
	sed -n '/<table id="offices">/,/<\/table>/p' "$h" |
		sed -n 's|^<tr><td class="l">\([^<]*\)</td><td>\([0-9]*\)</td><td>\([0-9]*\)</td><td>\([0-9]*\)</td></tr>$|\1 \2 / \3 / \4|p' > table
	sed -n '/<svg [^>]*id="officechart"/,/<\/svg>/p' "$h" |
		sed -n 's|^<text [^>]*text-anchor="end">\([^<]*\)</text>.*<text [^>]*>\([0-9]* / [0-9]* / [0-9]*\)</text>$|\1 \2|p' > chart
	[ "$(wc -l < table)" -ge 2 ] || fail "offices: $(cat table)"
	diff table chart
	# and the codes: a held code's bar is held, a rejected one's rejected
	sed -n '/<table id="codes">/,/<\/table>/p' "$h" |
		sed -n 's#^<tr><td class="l">\(held\|rejected\)</td><td class="l">\([A-Z_]*\)</td><td>\([0-9]*\)</td>.*#\1 \2 \3#p' |
		awk '{ print $2, ($1 == "held" ? "0 / " $3 " / 0" : "0 / 0 / " $3) }' | head -n 15 > table
	sed -n '/<svg [^>]*id="codechart"/,/<\/svg>/p' "$h" |
		sed -n 's|^<text [^>]*text-anchor="end">\([^<]*\)</text>.*<text [^>]*>\([0-9]* / [0-9]* / [0-9]*\)</text>$|\1 \2|p' > chart
	[ "$(wc -l < table)" -ge 2 ] || fail "codes: $(cat table)"
	diff table chart
	# printable: a print stylesheet, and chromium prints it to a PDF
	run -0 grep -c '@media print' "$h"
	browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
		fail "no chromium: make deps installs it"
	cp "$h" r.html
	run -0 timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$PWD/profile" \
		--print-to-pdf="$PWD/r.pdf" "file://$PWD/r.html"
	assert_equal "$(head -c 5 r.pdf)" '%PDF-'
	run -0 tail -c 8 r.pdf
	assert_output --partial '%%EOF'
}

@test "an empty export: nightly stops with its own code 79, says EMPTY EXPORT on stderr, in the log and the report, prints the report for cron's mail; the same empty file again is empty again" {
	mkcase e
	cd e
	head -n 1 "$KT/apps.csv" > empty.csv
	run -79 --separate-stderr "$PIPES/nightly" --config impass.conf empty.csv
	r=$(ls -d spool/runs/2*)
	[ -e "$r/EMPTY" ]
	[[ $stderr == *"nightly: EMPTY EXPORT: empty.csv has a header and no application; nothing was run. Export the day's applications again and run nightly on the new file"* ]] || fail "stderr: $stderr"
	# and not to resume it: the same empty file would be empty again
	[[ $stderr != *--resume* ]] || fail "stderr: $stderr"
	# stdout is the report (cron mails stdout and stderr)
	assert_equal "$output" "$(cat "$r/report.txt")"
	assert_line --index 1 "batch -, EMPTY EXPORT: the input has a header and no application; nothing was run"
	run -0 grep -c "EMPTY EXPORT" "$r/run.log"
	assert_output 1
	grep -q 'class="empty">EMPTY EXPORT' "$r/report.html"
	[ ! -e "$r/01-ingest.xml" ]
	# the next night's export is the same empty file: empty again, not "seen before"
	run -79 --separate-stderr "$PIPES/nightly" --config impass.conf empty.csv
	[[ $stderr == *"nightly: EMPTY EXPORT: empty.csv has a header and no application"* ]] || fail "stderr: $stderr"
	assert_equal "$(ls -d spool/runs/2* | wc -l)" 2
	# bad data keeps 65, with the hint to resume once it is fixed
	head -n 3 "$KT/apps.csv" | tr ',' ';' > semi.csv
	run -65 --separate-stderr "$PIPES/nightly" --config impass.conf semi.csv
	[[ $stderr == *"nightly: ingest FAILED (exit 65): ingest: "*"/input.csv line 1: the columns are separated by semicolons"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"nightly: fix the cause and resume: nightly --resume "* && $stderr != *EMPTY* ]] || fail "stderr: $stderr"
}

@test "crontab.example runs nightly with its output unredirected and a MAILTO, so cron mails an empty export's EMPTY EXPORT line and report" {
	run -0 grep -E '^MAILTO=.+@' "$PIPES/crontab.example"
	run -0 grep -E '^[0-9*/,-]+ [0-9*/,-]+ .*/pipelines/nightly ' "$PIPES/crontab.example"
	assert_equal "${#lines[@]}" 1
	[[ $output != *'>'* && $output != *'|'* ]] || fail "the nightly line redirects its output: $output"
	run -0 grep -F 'exits 79' "$PIPES/crontab.example"
	run -0 --separate-stderr "$PIPES/nightly" --help
	assert_line 'exit: 0 done, or waiting for approval; 79 an empty export; 64 usage;'
}

@test "inspect --spooled: spool-print's journal of the batch; the report's spool-print row is read from it, printed and spoiled jobs once there are some" {
	local b ok held rej printed spoiled
	b=$(kv "$N/07-sign.xml" batch)
	ok=$(kv "$N/07-sign.xml" ok)
	held=$(parked_records "$REF/spool/held" | wc -l)
	rej=$(parked_records "$REF/spool/rejected" | wc -l)
	printed=$(grep -c '^<record ' "$C/01-collect.xml")
	spoiled=$(grep -c '^<record ' "$C/reprint.xml")
	run -0 --separate-stderr inspect --spooled "$b" --spool "$REF/spool"
	assert_equal "$stderr" ''
	assert_equal "${#lines[@]}" 9
	assert_line --index 0 "batch=$b"
	assert_line --index 1 --regexp '^spooled=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
	assert_line --index 2 "records=$(kv "$N/07-sign.xml" records)"
	assert_line --index 3 "jobs=$ok"
	assert_line --index 4 "held=$held"
	assert_line --index 5 "rejected=$rej"
	# the courier collected every job: printed or spoiled, none waiting
	assert_line --index 6 "jobs.spooled=0"
	assert_line --index 7 "jobs.printed=$printed"
	assert_line --index 8 "jobs.spoiled=$spoiled"
	# the night's report, made before anything was printed
	run -0 grep '^spool-print ' "$N/report.txt"
	assert_output --regexp "^spool-print +$(kv "$N/07-sign.xml" records) +$ok +$rej +$held  $ok jobs\$"
	# the report made again now says what was printed so far
	cp -a "$N" again
	rm -f again/report.*
	IMPASS_SPOOL=$REF/spool run -0 "$PIPES/report" again
	assert_line --regexp "^spool-print +$(kv "$N/07-sign.xml" records) +$ok +$rej +$held  $ok jobs, $printed printed so far, $spoiled spoiled\$"
	run -0 xmllint --xpath 'string(//table[@id="stages"]/tr[td[1]="spool-print"]/td[6])' again/report.html
	assert_output "$ok jobs, $printed printed so far, $spoiled spoiled"
	# a batch never spooled there: 66
	run -66 --separate-stderr inspect --spooled B-19990101-01 --spool "$REF/spool"
	assert_output ''
	assert_equal "$stderr" "inspect: B-19990101-01: batch B-19990101-01 was never spooled in $REF/spool: spool-print journals a batch when it has spooled it"
}
