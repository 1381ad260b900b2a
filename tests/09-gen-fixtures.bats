#!/usr/bin/env bats
# SPDX-License-Identifier: ISC

bats_require_minimum_version 1.5.0
load helpers

EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

setup() {
	GEN="$BATS_TEST_DIRNAME/gen-fixtures"
	[ -x "$GEN" ] || fail "$GEN is missing: run make first"
}

@test "applications header is the SPEC 5.1 column list" {
	run --separate-stderr "$GEN" applications 0
	assert_success
	assert_output "tracking_id,office,category,passport_type,surname,given_names,father_name,sex,date_of_birth,place_of_birth,cnic,nationality,validity_years,pages,previous_passport,delivery_office,delivery_mode,address,phone,photo_sha256,fee_receipt,fee_amount,applied_on"
}

@test "nadra header is the SPEC 5.2 column list" {
	run --separate-stderr "$GEN" nadra 0
	assert_success
	assert_output "cnic,name,father_name,date_of_birth,sex,status"
}

@test "pcl header is the SPEC 5.4 column list" {
	run --separate-stderr "$GEN" pcl 0
	assert_success
	assert_output "entry_id,list,category,cnic,name,father_name,date_of_birth,nationality,passport_no,reason,placed_on,removed_on"
}

@test "history header is the SPEC 5.5 column list" {
	run --separate-stderr "$GEN" history 0
	assert_success
	assert_output "passport_no,cnic,surname,given_names,father_name,date_of_birth,sex,issued_on,expires_on,status"
}

@test "registers header is the SPEC 5.3 column list" {
	run --separate-stderr "$GEN" registers 0
	assert_success
	assert_output "register,certificate_no,issued_on,name,father_name,date_of_birth,place_of_birth,cnic,previous_nationality,country,mission,remarks"
}

@test "every kind writes COUNT rows after the header" {
	for kind in applications nadra pcl history registers; do
		run bash -c '"$1" "$2" 1234 | wc -l' _ "$GEN" "$kind"
		assert_success
		assert_output 1235
	done
}

@test "every row has the header's number of fields when parsed as RFC 4180" {
	for kind in applications nadra pcl history registers; do
		"$GEN" "$kind" 3000 >"$BATS_TEST_TMPDIR/$kind.csv"
		run awk "$CSV_SPLIT"'
			NR == 1 { want = csv_split($0, f); next }
			csv_split($0, f) != want { bad++ }
			END { print bad + 0 }' "$BATS_TEST_TMPDIR/$kind.csv"
		assert_output 0
	done
}

@test "the same seed gives byte-identical output" {
	"$GEN" --seed 42 applications 5000 >"$BATS_TEST_TMPDIR/a"
	"$GEN" --seed 42 applications 5000 >"$BATS_TEST_TMPDIR/b"
	run cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_success
}

@test "a different seed gives different output" {
	"$GEN" --seed 42 nadra 100 >"$BATS_TEST_TMPDIR/a"
	"$GEN" --seed 43 nadra 100 >"$BATS_TEST_TMPDIR/b"
	run cmp -s "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_failure
}

@test "--from shifts the persons: --from 5 row 1 is row 6 without it" {
	shifted=$("$GEN" --from 5 applications 1 | sed -n 2p)
	plain=$("$GEN" applications 6 | sed -n 7p)
	assert_equal "$(echo "$shifted" | cut -d, -f11)" \
	    "$(echo "$plain" | cut -d, -f11)"
	assert_equal "$shifted" "$plain"
}

@test "nadra and applications agree on cnic, names, sex and DOB per person" {
	"$GEN" --seed 9 nadra 3000 >"$BATS_TEST_TMPDIR/n.csv"
	"$GEN" --seed 9 applications 3000 >"$BATS_TEST_TMPDIR/a.csv"
	# Applications may vary case, spacing, hyphens and apostrophes only.
	run awk -F, '
		function norm(s) {
			s = toupper(s); gsub(/'\''/, "", s); gsub(/-/, " ", s)
			gsub(/  +/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
			return s
		}
		FNR == 1 { next }
		NR == FNR { cnic[FNR] = $1; name[FNR] = $2; father[FNR] = $3
			dob[FNR] = $4; sex[FNR] = $5; next }
		{
			c = $11; gsub(/-/, "", c)
			full = norm($6 " " $5)
			if (c != cnic[FNR]) bad_cnic++
			if ($8 != sex[FNR]) bad_sex++
			if (norm($7) != father[FNR]) bad_father++
			if (full != name[FNR]) bad_name++
			if (index(dob[FNR], $9) != 1) bad_dob++
		}
		END { printf "%d %d %d %d %d\n", bad_cnic, bad_sex, bad_father,
			bad_name, bad_dob }' "$BATS_TEST_TMPDIR/n.csv" "$BATS_TEST_TMPDIR/a.csv"
	assert_output "0 0 0 0 0"
}

@test "application CNICs have 13 digits, last digit odd for M, even for F" {
	run bash -c '"$1" applications 20000 | awk -F, '\''
		NR == 1 { next }
		{ c = $11; gsub(/-/, "", c) }
		length(c) != 13 || c ~ /[^0-9]/ { bad++ }
		$8 == "M" && substr(c, 13) % 2 != 1 { bad++ }
		$8 == "F" && substr(c, 13) % 2 != 0 { bad++ }
		END { print bad + 0 }'\''' _ "$GEN"
	assert_output 0
}

@test "dashed application CNICs are written 12345-1234567-1" {
	run bash -c '"$1" applications 2000 | awk -F, '\''
		NR > 1 && $11 ~ /-/ { dashed++ }
		NR > 1 && $11 ~ /-/ && $11 !~ /^[0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9]$/ { bad++ }
		END { print (dashed > 0) " " bad + 0 }'\''' _ "$GEN"
	assert_output "1 0"
}

@test "CNICs are unique across 20000 nadra rows" {
	"$GEN" nadra 20000 | tail -n +2 | cut -d, -f1 >"$BATS_TEST_TMPDIR/cnic"
	run bash -c 'sort -u "$1" | wc -l' _ "$BATS_TEST_TMPDIR/cnic"
	assert_output 20000
}

@test "applied_on is within the 10 days up to --date, never after" {
	run bash -c '"$1" --date 2025-03-01 applications 5000 | awk -F, '\''
		NR > 1 && ($NF > "2025-03-01" || $NF < "2025-02-20") { bad++ }
		NR > 1 && $NF == "2025-03-01" { on_date++ }
		END { print bad + 0 " " (on_date > 0) }'\''' _ "$GEN"
	assert_output "0 1"
}

@test "courier rows have an address" {
	# Fields up to address are never quoted, so $17 and $18 are exact.
	run bash -c '"$1" applications 5000 | awk -F, '\''
		NR > 1 && $17 == "courier" { courier++; if ($18 == "") bad++ }
		END { print (courier > 0) " " bad + 0 }'\''' _ "$GEN"
	assert_output "1 0"
}

@test "photo_sha256 is 64 lowercase hex and never the empty-file hash" {
	run bash -c '"$1" applications 20000 | awk -F, -v empty="$2" '\''
		NR == 1 { next }
		{ p = $(NF - 3) }
		length(p) != 64 || p ~ /[^0-9a-f]/ || p == empty { bad++ }
		END { print bad + 0 }'\''' _ "$GEN" "$EMPTY_SHA256"
	assert_output 0
}

@test "an unknown KIND is a usage error naming it on stderr" {
	run --separate-stderr "$GEN" passports 10
	assert_failure 64
	assert_output ""
	[[ "$stderr" == *"unknown KIND 'passports'"* ]] ||
	    fail "stderr does not name the kind: $stderr"
}

@test "a COUNT with trailing garbage is a usage error" {
	run --separate-stderr "$GEN" nadra 10x
	assert_failure 64
	assert_output ""
}

@test "--help prints the usage on stdout and succeeds" {
	run --separate-stderr "$GEN" --help
	assert_success
	assert_line --index 0 "usage: gen-fixtures [--seed N] [--from K] [--date YYYY-MM-DD] KIND COUNT"
}

@test "a write error exits 74" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c '"$1" nadra 100000 >/dev/full' _ "$GEN"
	assert_failure 74
}

@test "fees: the schedule of verify-fee, an old and a current row per choice, fasttrack 100 pages 5 years without a current one; at most 35 rows" {
	run -0 --separate-stderr "$GEN" --date 2026-11-27 fees 35
	assert_line --index 0 "passport_type,category,pages,validity_years,amount,valid_from,valid_to"
	assert_equal "${#lines[@]}" 36
	assert_line --index 1 "ordinary,normal,36,10,5400,2024-11-27,2026-10-27"
	assert_line --index 2 "ordinary,normal,36,10,6750,2026-10-28,"
	assert_line --index 35 "ordinary,fasttrack,100,5,28800,2024-11-27,2026-10-27"
	run -64 --separate-stderr "$GEN" fees 36
	[[ $stderr == *'fees: --from + COUNT must not exceed 35, the rows of the schedule'* ]] || fail "$stderr"
}

@test "payments: one row per application, its receipt and its fee, paid on or up to two days before it applied" {
	cd "$BATS_TEST_TMPDIR" || fail "no test folder"
	"$GEN" --seed 5 applications 300 > a.csv
	"$GEN" --seed 5 --truth t.csv payments 300 > p.csv
	assert_equal "$(head -n 1 p.csv)" "receipt_no,amount,paid_on,channel,status"
	assert_equal "$(head -n 1 t.csv)" "tracking_id,expected,receipt,kind"
	# the rows not planted: the application's receipt, amount, a day up to two before, paid
	# (the first of a month less two days is 70 or 71 less as a number)
	run awk -F, "$CSV_SPLIT"'FILENAME == "t.csv" { planted[$1] = $4; next }
		FILENAME == "a.csv" { if (FNR > 1) { csv_split($0, f); app[FNR] = f[21] "," f[22] "," f[23] "," f[1] }; next }
		FNR > 1 && $5 == "paid" { split(app[FNR], a, ","); bad = 0; n++
			if (planted[a[4]] == "not_in_export") { if ($1 == a[1]) print "row " FNR ": the receipt is there"; next }
			if (planted[a[4]] == "paid_short") { if ($2 != a[2] - 1000) print "row " FNR ": not 1000 short"; next }
			if ($1 != a[1] || $2 != a[2]) bad = 1
			gsub(/-/, "", $3); d = a[3]; gsub(/-/, "", d)
			if (d - $3 < 0 || d - $3 > 2 && d - $3 < 70 || d - $3 > 71) bad = 1
			if (bad) print "row " FNR ": " $0 " for " app[FNR] }
		END { if (n < 280) print n " paid rows" }' t.csv a.csv p.csv
	assert_output ''
	# the planted rows are named in the truth, by the application's tracking id and receipt
	run awk -F, "$CSV_SPLIT"'NR == FNR { if (FNR > 1) { csv_split($0, f); app[f[1]] = f[21] }; next }
		FNR > 1 && app[$1] != $3 { print }' a.csv t.csv
	assert_output ''
}
