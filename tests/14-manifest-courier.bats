#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# manifest-courier (SPEC 2, 3, 6; issue 9): a printed stream into courier
# consignments routed by pipelines/couriers.csv; one bundle per consignment
# (manifest.csv, manifest.xml, summary.txt, SHA256SUMS and its detached
# signature) checked here with bsdtar, sha256sum -c and gpg --verify in a
# home that has only the public keys; every printed passport in exactly one
# manifest line; held records in none; a re-run writes nothing new; kill -9
# at the crash points, then a re-run: each consignment exactly once.
#
# The printed batch of 40 is made in setup_file: ingest -> validate ->
# render-mrz, then <print/> added, kind printed, resealed as spool-print
# (what spool-print --collect writes). Records (by position): 1-4 fast
# track, 5-8 urgent, the rest normal; 9 rejected (CNIC); 10 delivery office
# ZZZ (unknown); 11 home delivery in Kabul (no courier: DHL does not serve
# AFG and the diplomatic bag takes no home deliveries); 12 to the Kabul
# mission (DHL passed over, MOFA-BAG); 13 to the Dubai mission (DHL).

bats_require_minimum_version 1.5.0
load helpers

USAGE='usage: manifest-courier -o DIR [-d YYYY-MM-DD] [-f tar.gz|zip] [--offices FILE]'
PIPES=$TESTS/../pipelines
SCHEMAS=$TESTS/../schemas

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 40 > a.csv
	sed -i -e '2,5s/^\([^,]*,[^,]*,\)[a-z]*,/\1fasttrack,/' \
		-e '6,9s/^\([^,]*,[^,]*,\)[a-z]*,/\1urgent,/' \
		-e '10,$s/^\([^,]*,[^,]*,\)[a-z]*,/\1normal,/' \
		-e '10s/,[0-9]\{5\}-\{0,1\}[0-9]\{7\}-\{0,1\}[0-9],/,123,/' a.csv
	ingest -b B-MC-01 a.csv 2> /dev/null | validate 2> /dev/null > valid.xml
	render-mrz --state "$KT/mrz.db" --add-range T AA1000000-AA1999999 2> /dev/null
	render-mrz --state "$KT/mrz.db" --issue-date 2026-11-28 valid.xml > mrz.xml 2> /dev/null
	# record k is on line k + 3 (declaration, batch, provenance)
	sed -e '2s/kind="application"/kind="printed"/' \
		-e 's#\(<passport number="\([A-Z0-9]*\)".*</passport>\)#\1<print queue="p01" job="\2" laminate="SL00000001" printed="2026-11-28T01:02:03Z"/>#' \
		-e '13s#<delivery_office>[^<]*</delivery_office>#<delivery_office>ZZZ</delivery_office>#g' \
		-e '14s#<delivery_office>[^<]*</delivery_office>#<delivery_office>KBL</delivery_office>#g' \
		-e '14s#<delivery_mode>[^<]*</delivery_mode>#<delivery_mode>courier</delivery_mode>#g' \
		-e '15s#<delivery_office>[^<]*</delivery_office>#<delivery_office>KBL</delivery_office>#g' \
		-e '15s#<delivery_mode>[^<]*</delivery_mode>#<delivery_mode>mission</delivery_mode>#g' \
		-e '16s#<delivery_office>[^<]*</delivery_office>#<delivery_office>DXB</delivery_office>#g' \
		-e '16s#<delivery_mode>[^<]*</delivery_mode>#<delivery_mode>mission</delivery_mode>#g' \
		mrz.xml > unsealed.xml
	reseal unsealed.xml "$STAGE_FPR" spool-print > printed.xml
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/printed.xml "$KT"/mrz.xml .
	umask 022
}

id_at() { grep '^<record ' "$1" | sed -n "${2}p" | sed 's/^<record [^>]* id="\([^"]*\)".*/\1/'; }
record_of() { grep -F -e " id=\"$1\" " "$2"; }
courier() { manifest-courier --offices "$PIPES/offices.csv" --couriers "$PIPES/couriers.csv" --date 2026-11-28 "$@"; }

# unpack every bundle of out/ into x/ (tar.gz or zip)
unpack() {
	local f
	rm -rf x && mkdir x
	for f in out/*.tar.gz out/*.zip; do
		[ -e "$f" ] || continue
		bsdtar -xpf "$f" -C x
	done
}

# the manifest lines of every bundle: passport,consignment
manifested() { tail -q -n +2 x/*/manifest.csv | cut -d, -f1,2 | awk -F, '{ print $2 "," $1 }' | sort; }
ok_numbers() { grep '^<record [^>]*status="ok"' "$1" | grep -o '<passport number="[A-Z0-9]*"' | cut -d'"' -f2 | sort; }

@test "--help: the usage line of the manual page; no --out, an unknown option (64)" {
	for opt in -h --help; do
		run -0 --separate-stderr manifest-courier "$opt"
		assert_line --index 0 "$USAGE"
		assert_line --partial '--couriers FILE'
		assert_equal "$stderr" ''
	done
	grep -qF 'Fl o Ar DIR' "$TESTS/../bin/manifest-courier.1"
	run -64 --separate-stderr manifest-courier printed.xml
	assert_output ''
	assert_regex "$stderr" '--out DIR is required'
	run -64 --separate-stderr manifest-courier -o out --bogus printed.xml
	run -64 --separate-stderr manifest-courier -o out --format rar printed.xml
	run -64 --separate-stderr manifest-courier -o out --date 2026-13-01 printed.xml
	[ ! -e out ]
}

@test "bundles: sums and signature check with sha256sum and gpg in a verifier's home; manifests valid" {
	run -0 --separate-stderr courier -o out printed.xml
	echo "$output" > man.xml
	n=$(ls out/*.tar.gz | wc -l)
	[ "$n" -ge 8 ]
	assert_regex "$stderr" "manifest-courier: B-MC-01: 37 passports in $n consignments, $n bundles written to out"
	unpack
	for d in x/C-*/; do
		(cd "$d" && sha256sum --quiet -c SHA256SUMS) || fail "$d: SHA256SUMS"
		assert_equal "$(cut -c67- "$d/SHA256SUMS" | tr '\n' ' ')" 'manifest.csv manifest.xml summary.txt '
		gpg --homedir "$KT/k/v" --status-fd 1 --verify "$d/SHA256SUMS.sig" "$d/SHA256SUMS" 2> /dev/null |
			grep -q "^\[GNUPG:\] VALIDSIG $STAGE_FPR " || fail "$d: signature"
		xmllint --noout --schema "$SCHEMAS/manifest.xsd" "$d/manifest.xml" 2> /dev/null || fail "$d: manifest.xml"
		# one manifest.csv line per manifest.xml item, and count says so
		assert_equal "$(grep -c '^<item ' "$d/manifest.xml")" "$(($(wc -l < "$d/manifest.csv") - 1))"
		grep -q " count=\"$(grep -c '^<item ' "$d/manifest.xml")\"" "$d/manifest.xml"
		# the summary beside the bundle is the one inside
		cmp "$d/summary.txt" "out/$(basename "$d").txt"
	done
	# a forged manifest no longer checks
	d=$(ls -d x/C-* | head -n 1)
	sed -i '2s/,AA1/,AB1/' "$d/manifest.csv"
	run ! sha256sum --quiet -c --status "$d/SHA256SUMS"
	# the output stream is a valid stream, sealed by manifest-courier
	run -0 xmllint --noout --schema "$SCHEMAS/impass.xsd" man.xml
	run -0 inspect man.xml
}

@test "every printed passport in exactly one manifest line, of the consignment its record names" {
	courier -o out printed.xml > man.xml 2> /dev/null
	unpack
	assert_equal "$(tail -q -n +2 x/*/manifest.csv | cut -d, -f2 | sort | uniq -d)" ''
	# the ok records of the output are the manifested ones: 40 - rejected - 2 held
	assert_equal "$(ok_numbers man.xml | wc -l)" 37
	assert_equal "$(tail -q -n +2 x/*/manifest.csv | cut -d, -f2 | sort)" "$(ok_numbers man.xml)"
	# each record's <consignment number> is the bundle that lists its passport
	got=$(grep '^<record [^>]*status="ok"' man.xml |
		sed 's/.*<passport number="\([A-Z0-9]*\)".*<consignment number="\([^"]*\)".*/\1,\2/' | sort)
	assert_equal "$got" "$(manifested)"
	# every passport of the printed stream is manifested or held, never lost
	assert_equal "$(ok_numbers printed.xml | wc -l)" 39
	assert_equal "$(grep -c '^<record ' man.xml)" 40
}

@test "Fast Track and urgent never share a consignment with normal; one courier and destination each" {
	courier -o out printed.xml > man.xml 2> /dev/null
	unpack
	for d in x/C-*/; do
		assert_equal "$(tail -n +2 "$d/manifest.csv" | cut -d, -f5,6 | sort -u | wc -l)" 1
		ft=$(grep -o ' fasttrack="[a-z]*"' "$d/manifest.xml")
		cat=$(tail -n +2 "$d/manifest.csv" | cut -d, -f6 | sort -u)
		if [ "$cat" = fasttrack ]; then assert_equal "$ft" ' fasttrack="yes"'; else assert_equal "$ft" ' fasttrack="no"'; fi
	done
	# the four fast track passports went apart, in consignments numbered first
	first=$(ls x | head -n 1)
	assert_equal "$(tail -n +2 "x/$first/manifest.csv" | cut -d, -f6 | sort -u)" fasttrack
	# Fast Track goes same-day at home (TCS-SAMEDAY), by DHL to a mission abroad
	assert_equal "$(grep -l '^Category: *fasttrack' x/*/summary.txt | xargs sed -n 's/^Courier: *//p' | sort -u | tr '\n' ' ')" 'DHL TCS-SAMEDAY '
	# home deliveries carry their address, office deliveries none
	run -0 awk "$CSV_SPLIT"'FNR > 1 { n = csv_split($0, f); if ((f[7] != "") != (f[5] !~ /^[A-Z0-9-]+$/)) print FILENAME ": " $0 }' x/*/manifest.csv
	assert_output ''
}

@test "routing: unknown office and no courier held with the reason; fallback to the next courier; rejected untouched" {
	run -0 --separate-stderr courier -o out printed.xml
	echo "$output" > man.xml
	assert_regex "$stderr" 'B-MC-01: 40 in, 37 ok, 1 rejected, 2 held'
	r=$(record_of "$(id_at printed.xml 10)" man.xml)
	assert_regex "$r" 'status="held".*<step stage="manifest-courier" result="held" code="COURIER_UNKNOWN_OFFICE">delivery office ZZZ is not in .*offices.csv; no consignment can go to it'
	[[ $r != *'<consignment'* ]]
	r=$(record_of "$(id_at printed.xml 11)" man.xml)
	assert_regex "$r" 'status="held".*code="COURIER_NO_ROUTE">no courier takes normal passports to KBL \(Kabul, AFG\) for courier delivery: DHL \(line 5\) does not serve it \(line 15\); add a rule to'
	[[ $r != *'<consignment'* ]]
	r=$(record_of "$(id_at printed.xml 12)" man.xml)
	assert_regex "$r" '<consignment number="C-20261128-[0-9]{4}" courier="MOFA-BAG" destination="KBL"/><trail>'
	r=$(record_of "$(id_at printed.xml 13)" man.xml)
	assert_regex "$r" '<consignment number="C-20261128-[0-9]{4}" courier="DHL" destination="DXB"/><trail>.*code="COURIER_MANIFESTED">consignment C-20261128-[0-9]{4}: DHL to DXB, normal, [0-9]+ passports?</step></trail></record>$'
	# the rejected record went through untouched
	assert_equal "$(record_of "$(id_at printed.xml 9)" man.xml)" "$(record_of "$(id_at printed.xml 9)" printed.xml)"
	# the held passports are in no manifest
	unpack
	for k in 10 11; do
		num=$(record_of "$(id_at printed.xml $k)" printed.xml | grep -o '<passport number="[A-Z0-9]*"' | cut -d'"' -f2)
		run ! grep -rq "$num" x
	done
}

@test "re-run of the batch: the same numbers and records, no bundle written again, said on stderr" {
	courier -o out printed.xml > man1.xml 2> /dev/null
	before=$(ls -l --time-style=full-iso out)
	run -0 --separate-stderr courier -o out printed.xml
	echo "$output" > man2.xml
	assert_regex "$stderr" 'manifest-courier: B-MC-01: manifested before: 37 passports in [0-9]+ consignments \(C-20261128-0001 \.\. C-20261128-[0-9]{4}\); no bundle written again'
	assert_equal "$(ls -l --time-style=full-iso out)" "$before"
	assert_equal "$(grep '^<record ' man2.xml)" "$(grep '^<record ' man1.xml)"
	# with the bundles taken away by the courier: still none written again
	rm out/*
	run -0 courier -o out printed.xml
	assert_equal "$(ls out | wc -l)" 0
	# another date on a re-run keeps the first run's numbers
	run -0 --separate-stderr manifest-courier --offices "$PIPES/offices.csv" --couriers "$PIPES/couriers.csv" --date 2026-12-01 -o out printed.xml
	assert_regex "$stderr" '--date 2026-12-01 ignored: the batch was first manifested on 2026-11-28'
	assert_equal "$(grep '^<record ' <<< "$output")" "$(grep '^<record ' man1.xml)"
}

@test "another stream under a manifested batch id is refused (65), nothing written" {
	courier -o out printed.xml > /dev/null 2>&1
	# the same batch without its last record
	n=$(grep -c '^<record ' printed.xml)
	awk -v n="$n" '/^<record /{ k++; if (k == n) next } { print }' printed.xml > short.xml
	reseal short.xml "$STAGE_FPR" spool-print > other.xml
	before=$(ls out)
	run -65 --separate-stderr courier -o out other.xml
	assert_output ''
	assert_regex "$stderr" 'manifest-courier: B-MC-01: this batch was manifested before with other passports .*: the input is not the stream manifested then'
	assert_equal "$(ls out)" "$before"
}

@test "--format zip: unzip lists the bundle; sums and signature check" {
	run -0 courier -f zip -o out printed.xml
	[ "$(ls out/*.zip | wc -l)" -ge 8 ]
	[ "$(ls out/*.tar.gz 2> /dev/null | wc -l)" -eq 0 ]
	f=$(ls out/*.zip | head -n 1)
	unzip -qq -o "$f" -d z
	d=$(basename "$f" .zip)
	(cd "z/$d" && sha256sum --quiet -c SHA256SUMS)
	gpg --homedir "$KT/k/v" --verify "z/$d/SHA256SUMS.sig" "z/$d/SHA256SUMS" 2> /dev/null
}

@test "file modes: the bundle folder 0700, bundles and summaries 0600, inside: folder 0700, files 0600" {
	courier -o out printed.xml > /dev/null 2>&1
	assert_equal "$(stat -c %a out)" 700
	assert_equal "$(stat -c %a out/* | sort -u)" 600
	f=$(ls out/*.tar.gz | head -n 1)
	run -0 bsdtar -tvf "$f"
	assert_line --index 0 --regexp '^drwx------ .* C-20261128-[0-9]{4}/$'
	assert_equal "$(grep -c '^-rw------- ' <<< "$output")" 5
	assert_equal "$(awk '{ print $NF }' <<< "$output" | sed 's#^[^/]*/##' | tr '\n' ' ')" ' manifest.csv manifest.xml summary.txt SHA256SUMS SHA256SUMS.sig '
	# nothing temporary left
	assert_equal "$(ls -A out | grep -c '^\.')" 0
}

@test "refusals: bad offices.csv and couriers.csv name file, line and column (65); no output folder (73)" {
	cp "$PIPES/offices.csv" o.csv
	sed -i '5s/,rpo,/,office,/' o.csv
	run -65 --separate-stderr manifest-courier --offices o.csv --couriers "$PIPES/couriers.csv" -o out printed.xml
	assert_output ''
	assert_regex "$stderr" "o.csv line 5, column 3 \(kind\): 'office' is neither rpo nor mission; correct the file"
	cp "$PIPES/couriers.csv" c.csv
	sed -i '3s/^20,TCS,PAK,\*,\*,/20,TCS,PAK,*,home,/' c.csv
	run -65 --separate-stderr manifest-courier --offices "$PIPES/offices.csv" --couriers c.csv -o out printed.xml
	assert_regex "$stderr" "c.csv line 3, column 5 \(mode\): 'home' is not \*, counter, courier or mission"
	printf 'priority,courier,country,office,mode,category,serves\n10,TCS,PAK,NOPE,*,*,yes\n' > c2.csv
	run -65 --separate-stderr manifest-courier --offices "$PIPES/offices.csv" --couriers c2.csv -o out printed.xml
	assert_regex "$stderr" "c2.csv line 2, column 4 \(office\): 'NOPE' is neither \* nor an office of offices.csv"
	printf 'priority,courier,country,office,mode,category\n' > c3.csv
	run -65 --separate-stderr manifest-courier --offices "$PIPES/offices.csv" --couriers c3.csv -o out printed.xml
	assert_regex "$stderr" "c3.csv line 1: required column 'serves'"
	[ ! -e out ]
	# the compiled-in offices.csv missing: the message says how to name one
	[ ! -e /etc/impass/offices.csv ] || fail "this test needs no /etc/impass/offices.csv"
	run -66 --separate-stderr manifest-courier --couriers "$PIPES/couriers.csv" -o out printed.xml
	assert_equal "$stderr" "manifest-courier: cannot open /etc/impass/offices.csv: No such file or directory; give the file with --offices FILE (pipelines/offices.csv is the office's example, impass-csv(5) its columns) or install it there"
	run -66 --separate-stderr manifest-courier --offices "$PIPES/offices.csv" --couriers nothere.csv -o out printed.xml
	assert_equal "$stderr" "manifest-courier: cannot open nothere.csv: No such file or directory"
	[ ! -e out ]
	touch afile
	run -73 --separate-stderr courier -o afile printed.xml
	assert_regex "$stderr" 'the bundle folder afile is not a folder'
	run -73 --separate-stderr courier -o afile/sub printed.xml
	assert_output ''
	# nothing was numbered by the refused runs
	assert_equal "$(sqlite3 state.db 'SELECT count(*) FROM courier_consignment' 2> /dev/null || echo 0)" 0
}

@test "refusals: an application stream (65), a printed stream not sealed by spool-print (77), a tampered one (65)" {
	run -65 --separate-stderr courier -o out mrz.xml
	assert_output ''
	assert_regex "$stderr" 'manifest-courier reads printed streams, not application'
	reseal printed.xml "$STAGE_FPR" render-mrz > other-stage.xml
	run -77 --separate-stderr courier -o out other-stage.xml
	assert_regex "$stderr" 'takes only streams sealed by spool-print'
	sed '6s/AA1/AB1/' printed.xml > tampered.xml
	run -65 --separate-stderr courier -o out tampered.xml
	assert_output ''
	assert_equal "$(ls out 2> /dev/null | wc -l)" 0
	assert_equal "$(sqlite3 state.db 'SELECT count(*) FROM courier_consignment' 2> /dev/null || echo 0)" 0
}

@test "kill -9 after numbering, after half the bundles, after all, after the seal: a re-run gives each consignment once" {
	courier -o ref printed.xml > ref.xml 2> /dev/null
	mv state.db ref.db
	rm -f state.db-wal state.db-shm .state.db.mark
	for point in numbered half bundles sealed; do
		rm -rf out state.db state.db-wal state.db-shm .state.db.mark x
		IMPASS_FAULT=$point run -137 courier -o out printed.xml
		run -0 --separate-stderr courier -o out printed.xml
		echo "$output" > man.xml
		# the same consignments as an uninterrupted run, each bundle once
		assert_equal "$(grep '^<record ' man.xml)" "$(grep '^<record ' ref.xml)"
		assert_equal "$(ls out/*.tar.gz | sed 's#out/##' | tr '\n' ' ')" "$(ls ref/*.tar.gz | sed 's#ref/##' | tr '\n' ' ')"
		assert_equal "$(ls -A out | grep -c '^\.')" 0
		unpack
		for d in x/C-*/; do (cd "$d" && sha256sum --quiet -c SHA256SUMS) || fail "$point: $d"; done
		assert_equal "$(tail -q -n +2 x/*/manifest.csv | cut -d, -f2 | sort | uniq -d)" ''
		assert_equal "$(tail -q -n +2 x/*/manifest.csv | cut -d, -f2 | sort)" "$(ok_numbers man.xml)"
		case $point in
		numbered) grep -qE '^manifest-courier: B-MC-01: 37 passports in [0-9]+ consignments, [0-9]+ bundles written to out$' <<< "$stderr" || fail "$stderr" ;;
		half) assert_regex "$stderr" 'bundles written to out now, [0-9]+ by an earlier run that did not finish' ;;
		bundles) assert_regex "$stderr" ', 0 bundles written to out now, [0-9]+ by an earlier run' ;;
		sealed) assert_regex "$stderr" ', 0 bundles written to out now, [0-9]+ by an earlier run' ;;
		esac
	done
}

@test "the real chain: spool-print --collect, then manifest-courier" {
	[ -x "$IMP_BIN/spool-print" ] || skip "spool-print not built"
	IMPASS_SIGNER=$APPROVER_FPR sign --require validate,render-mrz mrz.xml > approved.xml 2> /dev/null
	seq -f 'SL%08g' 1 60 > lam.txt
	# one ledger: the spool's state database gave the numbers
	mkdir -m 0700 sp && cp "$KT/mrz.db" sp/state.db
	spool-print --spool sp --queues 3 --laminates lam.txt approved.xml 2> /dev/null
	"$TESTS/fake-printer" sp > /dev/null
	spool-print --spool sp --collect > collected.xml 2> /dev/null
	run -0 --separate-stderr courier -o out collected.xml
	echo "$output" > man.xml
	unpack
	assert_equal "$(tail -q -n +2 x/*/manifest.csv | cut -d, -f2 | sort)" "$(ok_numbers man.xml)"
	assert_equal "$(ok_numbers man.xml | wc -l)" "$(ok_numbers collected.xml | wc -l)"
}
