#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# dedup (SPEC 1, 3, 4, 5.5): duplicates in the batch (one CNIC twice, one
# photo under two CNICs, one person spelled otherwise) and against the
# issued-passport history (a valid passport under this CNIC or another);
# twins, brothers and sisters, namesakes and passports no longer valid are
# not duplicates. The history: --import-history (SPEC 5.5 CSV) and --record
# (a printed stream). Citizenship streams: a certificate typed twice.
#
# setup_file builds, once: the seeded fixture of gen-fixtures (a history and
# a batch with every kind planted, and its truth file), and a batch of
# hand-written applications with their history; dedup runs on each.

bats_require_minimum_version 1.5.0
load helpers

APP_COLUMNS="tracking_id office category passport_type surname given_names father_name sex date_of_birth place_of_birth cnic nationality validity_years pages previous_passport delivery_office delivery_mode address phone photo_sha256 fee_receipt fee_amount applied_on"
CIT_COLUMNS="register certificate_no issued_on name father_name date_of_birth place_of_birth cnic previous_nationality country mission remarks"
HIST_HEADER=passport_no,cnic,surname,given_names,father_name,date_of_birth,sex,issued_on,expires_on,status
TODAY=2026-11-28
USAGE='usage: dedup [-H FILE] [--threshold BITS] [--explain] [-s FPR] [-t FILE]'
FIXTURE_HISTORY=20000
FIXTURE_COUNT=2400

# app ID KEY=CELL...: one CSV row (SPEC 5.1 order) of a valid ordinary
# application applied for on 2026-11-20, its photo's hash made from ID; the
# person (names, sex, date of birth, CNIC) is given by the caller
app() {
	local -A v=([office]=LHR [category]=normal [passport_type]=ordinary [sex]=M
		[place_of_birth]=LAHORE [nationality]=PAK [validity_years]=10 [pages]=36
		[delivery_office]=LHR [delivery_mode]=counter [phone]=03001234567
		[fee_receipt]=260001234567 [fee_amount]=9000 [applied_on]=2026-11-20)
	local kv c out='' sep=''
	v[tracking_id]=$1
	v[photo_sha256]=$(printf '%s' "$1" | sha256sum | cut -c1-64)
	shift
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in $APP_COLUMNS; do out+=$sep${v[$c]-}; sep=,; done
	printf '%s\n' "$out"
}

# hist NUMBER CNIC KEY=CELL...: one row of the history (SPEC 5.5): valid,
# issued 2022-03-01 for ten years, the person given by the caller
hist() {
	local -A v=([sex]=M [issued_on]=2022-03-01 [expires_on]=2032-02-29 [status]=valid)
	local kv c out="$1,$2"
	shift 2
	for kv in "$@"; do v[${kv%%=*}]=${kv#*=}; done
	for c in surname given_names father_name date_of_birth sex issued_on expires_on status; do
		out+=,${v[$c]-}
	done
	printf '%s\n' "$out"
}

# The people of the hand-written cases, one per line: each case's records
# are one person, or the people it says. CNICs 35201-00000NN-D.
ALI=(surname=KHAN 'given_names=ALI RAZA' 'father_name=AHMED KHAN' date_of_birth=1990-05-17)
ASIF=(surname=MALIK given_names=ASIF 'father_name=TARIQ MALIK' date_of_birth=1985-01-02)
ZAINAB=(surname=QURESHI given_names=ZAINAB 'father_name=GHULAM RASOOL QURESHI' date_of_birth=1999-12-31 sex=F)
HAMZA=(surname=GONDAL 'given_names=MUHAMMAD HAMZA' 'father_name=MUHAMMAD ASLAM GONDAL' date_of_birth=1978-03-09)
TWIN=(surname=AWAN given_names=BILAL 'father_name=NAZIR AHMED AWAN' date_of_birth=2001-07-15
	'address="House No. 12, Street 4, Model Town, Lahore"' delivery_mode=courier)
NAMESAKE=(surname=RAJPUT given_names=IMRAN 'father_name=SULTAN AHMED RAJPUT' date_of_birth=1970-10-10)
HOLDER=(surname=BAJWA 'given_names=USMAN ALI' 'father_name=KHALID BAJWA' date_of_birth=1980-02-14)
OTHER=(surname=SIDDIQUI given_names=FARZANA 'father_name=ZAFAR SIDDIQUI' date_of_birth=1975-04-04 sex=F)
PRINTED=(surname=MEMON given_names=SOHAIL 'father_name=RAB NAWAZ MEMON' date_of_birth=1992-09-09)

applications() {
	echo "${APP_COLUMNS// /,}"
	# one CNIC three times, once with dashes: the later ones name the first
	app CNIC-1 cnic=3520100000011 "${ALI[@]}"
	app CNIC-2 cnic=35201-0000001-1 "${ALI[@]}" office=ISB delivery_office=ISB
	app CNIC-3 cnic=3520100000011 "${ALI[@]}"
	# one photo under two CNICs: two people (the second's hash in capitals)
	app PHOTO-1 cnic=3520100000021 "${ASIF[@]}"
	app PHOTO-2 cnic=3520100000032 "${ZAINAB[@]}" \
		photo_sha256="$(printf PHOTO-1 | sha256sum | cut -c1-64 | tr a-f A-F)"
	# one person spelled otherwise, under another CNIC
	app SPELL-1 cnic=3520100000041 "${HAMZA[@]}"
	app SPELL-2 cnic=3520100000051 "${HAMZA[@]}" 'given_names=MOHAMMAD HAMZA' \
		'father_name=MOHAMMAD ASLAM GONDAL'
	app HONORIFIC-1 cnic=3520100000061 surname=SHAH 'given_names=SYED MOHSIN' \
		'father_name=SYED IQBAL SHAH' date_of_birth=1966-06-06
	app HONORIFIC-2 cnic=3520100000071 surname=SHAH given_names=MOHSIN \
		'father_name=IQBAL SHAH' date_of_birth=1966-06-06
	app TYPO-1 cnic=3520100000081 surname=KHATTAK given_names=SHAHZAIB \
		'father_name=JAMSHED KHATTAK' date_of_birth=1994-02-20
	app TYPO-2 cnic=3520100000091 surname=KHATAK given_names=SHAHZAEB \
		'father_name=JAMSHED KHATTAK' date_of_birth=1994-02-20
	app ORDER-1 cnic=3520100000102 surname='ABBASI' 'given_names=NOOR UL AIN' \
		'father_name=PERVAIZ ABBASI' date_of_birth=1988-08-08 sex=F
	app ORDER-2 cnic=3520100000112 surname='NOOR UL AIN' given_names=ABBASI \
		'father_name=PERVAIZ ABBASI' date_of_birth=1988-08-08 sex=F
	# a CNIC one digit off, the same person
	app DIGIT-1 cnic=3520100000121 surname=TIWANA given_names=JUNAID \
		'father_name=MALIK ARSHAD TIWANA' date_of_birth=1972-12-01
	app DIGIT-2 cnic=3520100000171 surname=TIWANA given_names=JUNAID \
		'father_name=MALIK ARSHAD TIWANA' date_of_birth=1972-12-01
	# twins: one father, one day, one house, two names; a brother, a sister
	app TWIN-1 cnic=3520100000131 "${TWIN[@]}"
	app TWIN-2 cnic=3520100000141 "${TWIN[@]}" given_names=HAMID
	app SISTER cnic=3520100000152 "${TWIN[@]}" given_names=HUMA sex=F date_of_birth=2003-01-30
	# namesakes: another father; another date of birth
	app NAMESAKE-1 cnic=3520100000161 "${NAMESAKE[@]}"
	app NAMESAKE-2 cnic=3520100000181 "${NAMESAKE[@]}" 'father_name=MEHBOOB ALI RAJPUT'
	app NAMESAKE-3 cnic=3520100000191 "${NAMESAKE[@]}" date_of_birth=1982-04-27
	# the history: a valid passport; renewed; another renewed while one is valid
	app HOLDER cnic=3520100000201 "${HOLDER[@]}"
	app RENEW cnic=3520100000211 surname=CHEEMA given_names=WAQAS 'father_name=ANWAR CHEEMA' \
		date_of_birth=1983-03-03 'previous_passport=AB 1000211'
	app RENEW-DASH cnic=3520100000221 surname=BHATTI given_names=NAVEED \
		'father_name=SAFDAR BHATTI' date_of_birth=1979-07-07 previous_passport=ab-1000221
	app RENEW-OTHER cnic=3520100000231 surname=SATTI given_names=ADNAN \
		'father_name=MASOOD SATTI' date_of_birth=1991-01-19 previous_passport=AB1000999
	# passports that do not count: expired by date, cancelled, lost, expired
	app PAST cnic=3520100000241 surname=LODHI given_names=FAISAL 'father_name=NASIR LODHI' \
		date_of_birth=1960-01-01
	app CANCELLED cnic=3520100000251 surname=NIAZI given_names=SHOAIB \
		'father_name=AKRAM NIAZI' date_of_birth=1968-05-05
	app LOST cnic=3520100000261 surname=SETHI given_names=HARIS 'father_name=ZAHID SETHI' \
		date_of_birth=1997-11-11
	app EXPIRED cnic=3520100000271 surname=PARACHA given_names=OWAIS \
		'father_name=SAJID PARACHA' date_of_birth=1993-06-15
	# a valid passport under another CNIC; a cancelled one under another CNIC
	app IDENTITY cnic=3520100000282 "${OTHER[@]}"
	app IDENTITY-GONE cnic=3520100000291 surname=MIRZA given_names=KAMRAN \
		'father_name=SHAHID MIRZA' date_of_birth=1986-09-30
	# not ok when dedup sees it: passes untouched
	app BAD-CNIC cnic=3520100000011x "${ALI[@]}"
	app PLAIN cnic=3520100000301 surname=DURRANI given_names=YASIR \
		'father_name=JAVED DURRANI' date_of_birth=1990-01-01
}

history() {
	echo "$HIST_HEADER"
	hist AB1000201 3520100000201 "${HOLDER[@]}"
	hist AB1000211 3520100000211 surname=CHEEMA given_names=WAQAS 'father_name=ANWAR CHEEMA' \
		date_of_birth=1983-03-03
	hist AB1000221 3520100000221 surname=BHATTI given_names=NAVEED \
		'father_name=SAFDAR BHATTI' date_of_birth=1979-07-07
	hist AB1000231 3520100000231 surname=SATTI given_names=ADNAN 'father_name=MASOOD SATTI' \
		date_of_birth=1991-01-19
	hist AB1000241 3520100000241 surname=LODHI given_names=FAISAL 'father_name=NASIR LODHI' \
		date_of_birth=1960-01-01 issued_on=2016-11-19 expires_on=2026-11-18
	hist AB1000251 3520100000251 surname=NIAZI given_names=SHOAIB 'father_name=AKRAM NIAZI' \
		date_of_birth=1968-05-05 status=cancelled
	hist AB1000261 3520100000261 surname=SETHI given_names=HARIS 'father_name=ZAHID SETHI' \
		date_of_birth=1997-11-11 status=lost
	hist AB1000271 3520100000271 surname=PARACHA given_names=OWAIS \
		'father_name=SAJID PARACHA' date_of_birth=1993-06-15 issued_on=2011-01-01 \
		expires_on=2016-01-01 status=expired
	hist AB1000282 6110100000282 "${OTHER[@]}"
	hist AB1000291 6110100000291 surname=MIRZA given_names=KAMRAN 'father_name=SHAHID MIRZA' \
		date_of_birth=1986-09-30 status=cancelled
	hist AB1000301 6110100000301 surname=GILL given_names=ADEEL 'father_name=RIAZ GILL' \
		date_of_birth=1977-07-27
}

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	# the seeded fixture
	"$GEN" --seed 7 history "$FIXTURE_HISTORY" > fh.csv
	"$GEN" --seed 7 --history-size "$FIXTURE_HISTORY" --truth truth.csv dedup "$FIXTURE_COUNT" > f.csv
	dedup -H f.db --import-history fh.csv 2> fimport.err
	ingest -b B-FIXTURE f.csv 2> fi.err | validate --today "$TODAY" > fv.xml 2> fv.err
	dedup -H f.db fv.xml > fo.xml 2> fo.err
	# the hand-written cases
	applications > a.csv
	history > h.csv
	dedup -H h.db --import-history h.csv 2> import.err
	ingest -b B-DEDUP a.csv 2> i.err | validate --today "$TODAY" > v.xml 2> v.err
	dedup -H h.db v.xml > o.xml 2> o.err
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/*.csv "$KT"/*.xml "$KT"/*.err "$KT"/*.db "$KT"/*.db-history .
}


# step_of ID FILE: dedup's step of that record (or nothing)
step_of() {
	local line re='<step stage="dedup" [^>]*>[^<]*</step>'
	line=$(grep -F -e " id=\"$1\" " "$2")
	if [[ $line =~ $re ]]; then printf '%s\n' "${BASH_REMATCH[0]}"; fi
}

status_of() {
	grep -F -e " id=\"$1\" " "$2" | sed -n 's/^<record [^>]* status="\([a-z]*\)">.*/\1/p'
}

# held_as ID FILE CODE OTHER: held by dedup with CODE, naming OTHER
held_as() {
	local step
	step=$(step_of "$1" "$2")
	[[ $step == "<step stage=\"dedup\" result=\"held\" code=\"$3\" other=\"$4\" score=\""* ]] ||
		fail "$1: not held as $3 naming $4: $step"
	[ "$(status_of "$1" "$2")" = held ] || fail "$1: status $(status_of "$1" "$2"), not held"
}

# clear ID FILE [TEXT]: dedup's step is DEDUP_CLEAR (its sentence holding TEXT)
clear() {
	local step
	step=$(step_of "$1" "$2")
	[[ $step == '<step stage="dedup" result="ok" code="DEDUP_CLEAR">'* ]] ||
		fail "$1: not DEDUP_CLEAR: $step"
	[[ $step == *"${3-}"* ]] || fail "$1: the sentence does not say '${3-}': $step"
	[ "$(status_of "$1" "$2")" = ok ] || fail "$1: status $(status_of "$1" "$2"), not ok"
}

# says ID FILE TEXT: dedup's step sentence holds TEXT
says() {
	local step
	step=$(step_of "$1" "$2")
	[[ $step == *"$3"* ]] || fail "$1: the step does not say '$3': $step"
}


# planted KIND: every record of the truth file of that kind got the code and
# names the other party it says (none for DEDUP_CLEAR); at least one such
planted() {
	local n=0 id code other kind
	while IFS=, read -r id code other kind; do
		[ "$kind" = "$1" ] || continue
		n=$((n + 1))
		if [ "$code" = DEDUP_CLEAR ]; then
			clear "$id" fo.xml
		else
			held_as "$id" fo.xml "$code" "$other"
		fi
	done < <(tail -n +2 truth.csv)
	[ "$n" -gt 0 ] || fail "no record of kind $1 planted"
}

# ---- the seeded fixture ------------------------------------------------------

conserved() { stage_conserved dedup "$@"; }

@test "fixture: the batch has every kind planted, the output verifies, counts are kept" {
	run --separate-stderr cut -d, -f4 truth.csv
	for kind in same_cnic same_photo respelled cnic_typo twins siblings namesake_father \
		namesake_dob valid_passport renewal other_identity cancelled lost expired; do
		assert_line "$kind"
	done
	run --separate-stderr inspect fo.xml
	assert_success
	conserved "$(cat fo.err)" fo.xml B-FIXTURE
	assert_equal "$(grep -c '^<record ' fo.xml)" "$FIXTURE_COUNT"
}

@test "fixture: one CNIC twice: both held as DEDUP_SAME_CNIC, each naming the other" {
	planted same_cnic
}

@test "fixture: one photo under two CNICs: both held as DEDUP_SAME_PHOTO" {
	planted same_photo
}

@test "fixture: one person respelled under another CNIC: both held as DEDUP_SAME_PERSON" {
	planted respelled
}

@test "fixture: one person, a CNIC one digit off: both held as DEDUP_SAME_PERSON" {
	planted cnic_typo
}

@test "fixture: twins (one father, one day, two names) are not duplicates" {
	planted twins
}

@test "fixture: brothers and sisters are not duplicates" {
	planted siblings
}

@test "fixture: namesakes with another father are not duplicates" {
	planted namesake_father
}

@test "fixture: namesakes with another date of birth are not duplicates" {
	planted namesake_dob
}

@test "fixture: a valid passport under the CNIC: held as DEDUP_VALID_PASSPORT naming it" {
	planted valid_passport
}

@test "fixture: the renewal of that very passport passes" {
	planted renewal
}

@test "fixture: a valid passport under another CNIC: held as DEDUP_OTHER_IDENTITY naming it" {
	planted other_identity
}

@test "fixture: cancelled, lost and expired passports do not count" {
	planted cancelled
	planted lost
	planted expired
}

@test "fixture: no record outside the truth file is held" {
	run awk -F, 'NR == FNR { planted[$1] = 1; next }
		/^<record / {
			id = $0; sub(/^<record [^>]* id="/, "", id); sub(/".*/, "", id)
			if (!(id in planted) && $0 !~ /code="DEDUP_CLEAR"/) print id
		}' truth.csv fo.xml
	assert_output ''
}

# ---- in the batch ------------------------------------------------------------

@test "one CNIC three times: the later ones name the first, the first names the second" {
	held_as CNIC-1 o.xml DEDUP_SAME_CNIC CNIC-2
	held_as CNIC-2 o.xml DEDUP_SAME_CNIC CNIC-1
	held_as CNIC-3 o.xml DEDUP_SAME_CNIC CNIC-1
	says CNIC-1 o.xml 'CNIC 3520100000011 is also on application CNIC-2 (ALI RAZA KHAN s/o AHMED KHAN, born 1990-05-17)'
	says CNIC-1 o.xml '; also DEDUP_SAME_CNIC: CNIC 3520100000011 is also on application CNIC-3'
}

@test "one photo under two CNICs: both held, one face two identities" {
	held_as PHOTO-1 o.xml DEDUP_SAME_PHOTO PHOTO-2
	held_as PHOTO-2 o.xml DEDUP_SAME_PHOTO PHOTO-1
	says PHOTO-2 o.xml '(ASIF MALIK s/o TARIQ MALIK, born 1985-01-02, CNIC 3520100000021): one face, two identities'
}

@test "the same person spelled otherwise: MOHAMMAD for MUHAMMAD, honorifics, a typo, the order" {
	held_as SPELL-1 o.xml DEDUP_SAME_PERSON SPELL-2
	held_as SPELL-2 o.xml DEDUP_SAME_PERSON SPELL-1
	says SPELL-2 o.xml 'is likely the same person:'
	says SPELL-2 o.xml 'date of birth 1978-03-09 equal; father'
	held_as HONORIFIC-1 o.xml DEDUP_SAME_PERSON HONORIFIC-2
	held_as HONORIFIC-2 o.xml DEDUP_SAME_PERSON HONORIFIC-1
	held_as TYPO-1 o.xml DEDUP_SAME_PERSON TYPO-2
	# the words compared in one spelling (lib/names.c: AI before a consonant as E)
	says TYPO-1 o.xml 'name SHAHZAIB KHATTAK ~ SHAHZAEB KHATAK: KHATAK (1 in 22), SHAHZEB ~ SHAHZAEB (1 in 43) agree'
	held_as ORDER-1 o.xml DEDUP_SAME_PERSON ORDER-2
}

@test "a CNIC one digit off is evidence of one person" {
	held_as DIGIT-1 o.xml DEDUP_SAME_PERSON DIGIT-2
	says DIGIT-1 o.xml 'CNIC 3520100000121 ~ 3520100000171 (one digit differs)'
}

@test "the score is the evidence in bits, the sentence what it was" {
	local step score
	step=$(step_of SPELL-1 o.xml)
	score=$(sed -n 's/.* score="\([0-9.]*\)".*/\1/p' <<< "$step")
	[[ $score =~ ^[0-9]+\.[0-9]$ ]] || fail "score '$score'"
	[[ $step == *"is likely the same person: $score bits of evidence, "*" needed among 32 applications: "* ]] ||
		fail "$step"
}

@test "twins, a sister, namesakes with another father or date of birth: not duplicates" {
	clear TWIN-1 o.xml
	clear TWIN-2 o.xml
	clear SISTER o.xml
	clear NAMESAKE-1 o.xml
	clear NAMESAKE-2 o.xml
	clear NAMESAKE-3 o.xml
}

@test "--explain shows why twins and namesakes are not one person" {
	run dedup -H h.db --explain v.xml
	assert_success
	assert_line --regexp '^dedup: TWIN-1 ~ TWIN-2: -40\.0 bits \(17\.0 needed\): name BILAL AWAN ~ HAMID AWAN: AVAN \(1 in [0-9]+\) agrees; 1 word of each differs; date of birth 2001-07-15 equal; '
	assert_line --regexp "^dedup: NAMESAKE-1 ~ NAMESAKE-2: -40\\.0 bits .* father's name SULTAN AHMED RAJPUT ~ MEHBOOB ALI RAJPUT: RAJPUT \\(1 in 1\\) agrees; 2 words of each differ"
	assert_line --regexp '^dedup: NAMESAKE-1 ~ NAMESAKE-3: -40\.0 bits .*; date of birth 1970-10-10 differs from 1982-04-27; '
}

# ---- against the history -----------------------------------------------------

@test "a valid passport under the CNIC: held as DEDUP_VALID_PASSPORT naming it" {
	held_as HOLDER o.xml DEDUP_VALID_PASSPORT AB1000201
	says HOLDER o.xml 'passport AB1000201, issued 2022-03-01, valid until 2032-02-29, was issued to this CNIC (USMAN ALI BAJWA s/o KHALID BAJWA, born 1980-02-14); the application names no previous passport'
}

@test "renewing that very passport passes, written with a space or a dash" {
	clear RENEW o.xml '; renews passport AB1000211 (valid until 2032-02-29)'
	clear RENEW-DASH o.xml '; renews passport AB1000221 (valid until 2032-02-29)'
}

@test "renewing another passport while one is valid is held" {
	held_as RENEW-OTHER o.xml DEDUP_VALID_PASSPORT AB1000231
	says RENEW-OTHER o.xml 'the application renews another passport, AB1000999'
}

@test "passports expired by date, cancelled, lost or expired do not count" {
	clear PAST o.xml '; passport AB1000241 of this CNIC (expiry 2026-11-18) is expired: not counted'
	clear CANCELLED o.xml '; passport AB1000251 of this CNIC (expiry 2032-02-29) is cancelled: not counted'
	clear LOST o.xml '; passport AB1000261 of this CNIC (expiry 2032-02-29) is lost: not counted'
	clear EXPIRED o.xml '; passport AB1000271 of this CNIC (expiry 2016-01-01) is expired: not counted'
}

@test "a valid passport under another CNIC: held as DEDUP_OTHER_IDENTITY naming a woman d/o her father; a cancelled one does not count" {
	held_as IDENTITY o.xml DEDUP_OTHER_IDENTITY AB1000282
	says IDENTITY o.xml 'valid passport AB1000282 (until 2032-02-29) was issued to CNIC 6110100000282 (FARZANA SIDDIQUI d/o ZAFAR SIDDIQUI, born 1975-04-04), likely the same person:'
	clear IDENTITY-GONE o.xml
	clear PLAIN o.xml 'no duplicate among the 32 applications of the batch and the passports of the history'
}

# ---- the stream --------------------------------------------------------------

@test "every ok record gets one step; the others pass through byte for byte" {
	run awk 'NR == FNR { in_[FNR] = $0; next }
	{
		n = gsub(/<step stage="dedup" /, "&")
		if (in_[FNR] ~ /^<record [^>]* status="ok">/) { if (n != 1) print "record " FNR ": " n " steps" }
		else if ($0 != in_[FNR]) print "record " FNR " not ok on input, but changed"
	}' <(records v.xml) <(records o.xml)
	assert_output ''
	[ "$(status_of BAD-CNIC v.xml)" = rejected ]
	assert_equal "$(grep -F ' id="BAD-CNIC" ' o.xml)" "$(grep -F ' id="BAD-CNIC" ' v.xml)"
}

@test "the output verifies; count in = ok + held + rejected" {
	run --separate-stderr inspect o.xml
	assert_success
	conserved "$(cat o.err)" o.xml B-DEDUP
	assert_equal "$(grep -c '^<record ' o.xml)" 33
}

@test "records that skipped validate are read as entered (ingest | dedup)" {
	{
		echo "${APP_COLUMNS// /,}"
		app RAW-1 cnic=35201-0000004-1 surname=gondal 'given_names=muhammad hamza' \
			'father_name=Muhammad Aslam Gondal' date_of_birth=1978-03-09
		app RAW-2 cnic=3520100000051 surname=GONDAL 'given_names=MOHAMMAD  HAMZA' \
			'father_name=MOHAMMAD ASLAM GONDAL' date_of_birth=1978-03-09
		app RAW-3 cnic=3520100000201 "${HOLDER[@]}"
	} > raw.csv
	ingest -b B-RAW raw.csv > raw.xml 2> /dev/null
	run --separate-stderr dedup -H h.db raw.xml
	assert_success
	echo "$output" > rawo.xml
	held_as RAW-1 rawo.xml DEDUP_SAME_PERSON RAW-2
	held_as RAW-2 rawo.xml DEDUP_SAME_PERSON RAW-1
	says RAW-1 rawo.xml 'MUHAMMAD HAMZA GONDAL ~ MOHAMMAD HAMZA GONDAL: '
	says RAW-1 rawo.xml 'CNIC 3520100000041 ~ 3520100000051 (one digit differs)'
	held_as RAW-3 rawo.xml DEDUP_VALID_PASSPORT AB1000201
}

# ---- placeholders, renewals under a mistyped CNIC, twins (issue 19) ----------------------

EMPTY_PHOTO=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

@test "straight after ingest, the placeholder photo (the hash of an empty file) is no evidence, nor a photo on more than five applications; one photo on two still holds" {
	local i
	{
		echo "${APP_COLUMNS// /,}"
		for i in 1 2 3 4 5 6 7; do
			app "EMPTY-$i" cnic="35401000006${i}1" surname=JATOI "given_names=NAME$i" \
				"father_name=FATHER$i JATOI" date_of_birth="1980-0$i-1$i" \
				photo_sha256=$EMPTY_PHOTO
		done
		for i in 1 2 3 4 5 6; do
			app "MANY-$i" cnic="35401000007${i}1" surname=LAGHARI "given_names=PERSON$i" \
				"father_name=PARENT$i LAGHARI" date_of_birth="1970-0$i-2$i" \
				photo_sha256="$(printf placeholder | sha256sum | cut -c1-64)"
		done
		for i in 1 2; do
			app "FACE-$i" cnic="35401000008${i}1" surname=SOLANGI "given_names=OTHER$i" \
				"father_name=SIRE$i SOLANGI" date_of_birth="1960-0$i-0$i" \
				photo_sha256="$(printf face | sha256sum | cut -c1-64)"
		done
	} > ph.csv
	ingest -b B-PH ph.csv > ph.xml 2> /dev/null
	run --separate-stderr dedup -H h.db ph.xml
	assert_success
	echo "$output" > pho.xml
	for i in 1 2 3 4 5 6 7; do clear "EMPTY-$i" pho.xml; done
	for i in 1 2 3 4 5 6; do clear "MANY-$i" pho.xml; done
	held_as FACE-1 pho.xml DEDUP_SAME_PHOTO FACE-2
	held_as FACE-2 pho.xml DEDUP_SAME_PHOTO FACE-1
	[[ $stderr == "dedup: B-PH: 15 in, 13 ok, 0 rejected, 2 held,"* ]] || fail "summary: $stderr"
}

@test "a renewal of the very passport, recorded under a CNIC one typo away (a digit, two swapped), passes with a note; a valid passport under a mistyped CNIC that is not renewed is held" {
	{
		echo "$HIST_HEADER"
		hist AB2000011 3520100000517 surname=KALHORO given_names=ZAFAR \
			'father_name=GHULAM QADIR KALHORO' date_of_birth=1969-10-21
		hist AB2000021 3520100000251 surname=MAHAR given_names=RAFIQ \
			'father_name=SHER MUHAMMAD MAHAR' date_of_birth=1958-04-03
		hist AB2000031 3520100000513 surname=PHULPOTO given_names=SAJJAD \
			'father_name=ALI NAWAZ PHULPOTO' date_of_birth=1990-12-12
	} > rt.csv
	{
		echo "${APP_COLUMNS// /,}"
		app RT-DIGIT cnic=3520100000511 surname=KALHORO given_names=ZAFAR \
			'father_name=GHULAM QADIR KALHORO' date_of_birth=1969-10-21 previous_passport=AB2000011
		app RT-SWAP cnic=3520100000521 surname=MAHAR given_names=RAFIQ \
			'father_name=SHER MUHAMMAD MAHAR' date_of_birth=1958-04-03 previous_passport=AB2000021
		app RT-HELD cnic=3520100000531 surname=PHULPOTO given_names=SAJJAD \
			'father_name=ALI NAWAZ PHULPOTO' date_of_birth=1990-12-12
	} > rta.csv
	dedup -H rt.db --import-history rt.csv 2> /dev/null
	ingest -b B-RT rta.csv 2> /dev/null | validate --today "$TODAY" > rt.xml 2> /dev/null
	run --separate-stderr dedup -H rt.db rt.xml
	assert_success
	echo "$output" > rto.xml
	clear RT-DIGIT rto.xml '; renews passport AB2000011 (valid until 2032-02-29), recorded under CNIC 3520100000517, one typo from the applicant'"'"'s: the same person ('
	clear RT-SWAP rto.xml '; renews passport AB2000021 (valid until 2032-02-29), recorded under CNIC 3520100000251, one typo from the applicant'"'"'s: the same person ('
	held_as RT-HELD rto.xml DEDUP_OTHER_IDENTITY AB2000031
	says RT-HELD rto.xml 'CNIC 3520100000531 ~ 3520100000513 (two digits swapped)'
}

@test "twins are never linked: one father, one day, one house, CNICs a digit apart, MUHAMMAD in both names, the given names differ" {
	local addr='"House 7, Street 2, Satellite Town, Rawalpindi"'
	{
		echo "${APP_COLUMNS// /,}"
		app TW-A cnic=3740500000611 surname=ABBASI 'given_names=MUHAMMAD ALI' \
			'father_name=MUHAMMAD YOUNAS ABBASI' date_of_birth=2004-03-15 address="$addr"
		app TW-B cnic=3740500000613 surname=ABBASI 'given_names=MUHAMMAD UMAR' \
			'father_name=MUHAMMAD YOUNAS ABBASI' date_of_birth=2004-03-15 address="$addr"
	} > tw.csv
	ingest -b B-TW tw.csv 2> /dev/null | validate --today "$TODAY" > tw.xml 2> /dev/null
	run --separate-stderr dedup -H h.db --explain tw.xml
	assert_success
	echo "$output" > two.xml
	clear TW-A two.xml
	clear TW-B two.xml
	[[ $stderr == *"dedup: TW-A ~ TW-B: -40.0 bits"*"; 1 word of each differs; date of birth 2004-03-15 equal;"* ]] ||
		fail "explain: $stderr"
}

@test "twins named MUHAMMAD and MUHAMMAD HUSAIN (one father, one day, one house) are never linked; a middle name dropped where a given name remains is still held" {
	local addr='"House 9, Street 3, Gulberg, Lahore"'
	{
		echo "${APP_COLUMNS// /,}"
		# twins: the given names MUHAMMAD alone, and MUHAMMAD HUSAIN
		app TM-A cnic=3520200000711 surname=MUGHAL given_names=MUHAMMAD \
			'father_name=ZAHID IQBAL MUGHAL' date_of_birth=1999-06-01 address="$addr"
		app TM-B cnic=3520200000723 surname=MUGHAL 'given_names=MUHAMMAD HUSAIN' \
			'father_name=ZAHID IQBAL MUGHAL' date_of_birth=1999-06-01 address="$addr"
		# one person, SAJID dropped once: FAROOQ remains after MUHAMMAD
		app MD-A cnic=3520200000731 surname=BHATTI 'given_names=MUHAMMAD SAJID FAROOQ' \
			'father_name=NAZIR AHMED BHATTI' date_of_birth=1983-11-19
		app MD-B cnic=3520200000745 surname=BHATTI 'given_names=MUHAMMAD FAROOQ' \
			'father_name=NAZIR AHMED BHATTI' date_of_birth=1983-11-19
	} > tm.csv
	ingest -b B-TM tm.csv 2> /dev/null | validate --today "$TODAY" > tm.xml 2> /dev/null
	run --separate-stderr dedup -H h.db --explain tm.xml
	assert_success
	echo "$output" > tmo.xml
	clear TM-A tmo.xml
	clear TM-B tmo.xml
	held_as MD-A tmo.xml DEDUP_SAME_PERSON MD-B
	held_as MD-B tmo.xml DEDUP_SAME_PERSON MD-A
	[[ $stderr == *"dedup: TM-A ~ TM-B: -40.0 bits ("*" needed): name MUHAMMAD MUGHAL ~ MUHAMMAD HUSAIN MUGHAL: MUHAMAD (1 in "*"), MUGHAL (1 in "*") agree; MUHAMAD HUSEN on one side, MUHAMAD alone on the other: two given names; date of birth 1999-06-01 equal;"* ]] ||
		fail "explain: $stderr"
	[[ $stderr == *"dedup: MD-A ~ MD-B: "*" bits ("*" needed): name MUHAMMAD SAJID FAROOQ BHATTI ~ MUHAMMAD FAROOQ BHATTI: "*"; 1 word on one side only; date of birth 1983-11-19 equal;"* ]] ||
		fail "explain: $stderr"
}

@test "a citizenship stream: a certificate typed twice is held, both named, in one register or two" {
	{
		echo "${CIT_COLUMNS// /,}"
		echo 'PCC,PCC/1998/00017,1998-08-14,ALI RAZA KHAN,AHMED KHAN,1970-05-17,DELHI,,INDIA,,,'
		echo 'PCC,PCC/1998/00018,1998-08-14,SADIA BIBI,GHULAM RASOOL,1971-02-03,DELHI,,INDIA,,,'
		echo 'PCC,PCC/1998/00017,14.08.1998,Ali Raza Khan,Ahmed Khan,17.05.1970,DELHI,,INDIA,,,typed twice'
		echo 'NC,NC/2001/00005,2001-01-02,ASIF ALI,SHAUKAT ALI,1965-01-02,KABUL,,AFGHANISTAN,,,'
		echo 'RC,NC/2001/00005,2001-01-02,ASIF ALI,SHAUKAT ALI,1965-01-02,KABUL,,AFGHANISTAN,,,'
		echo 'PCC,PCC/1999/00002,1999-03-04,IMRAN HUSSAIN,ZAHID HUSSAIN,1980-01-01,LAHORE,,INDIA,,,'
		echo 'RC,RC/2010/00002,2010-03-04,IMRAN HUSSAIN,ZAHID HUSSAIN,1980-01-01,LAHORE,,PAKISTAN,NORWAY,Oslo,'
	} > reg.csv
	ingest -k citizenship -b B-CIT reg.csv 2> /dev/null | validate --today "$TODAY" > regv.xml 2> /dev/null
	run --separate-stderr dedup -H h.db regv.xml
	assert_success
	echo "$output" > rego.xml
	held_as PCC-000001 rego.xml DEDUP_SAME_CERTIFICATE PCC-000003
	held_as PCC-000003 rego.xml DEDUP_SAME_CERTIFICATE PCC-000001
	says PCC-000001 rego.xml 'certificate PCC/1998/00017 of register PCC is also record PCC-000003'
	held_as NC-000004 rego.xml DEDUP_SAME_CERTIFICATE RC-000005
	held_as RC-000005 rego.xml DEDUP_SAME_CERTIFICATE NC-000004
	clear PCC-000002 rego.xml
	# one person, a certificate of citizenship and later one of renunciation
	clear PCC-000006 rego.xml
	clear RC-000007 rego.xml
	run --separate-stderr inspect rego.xml
	assert_success
}

# ---- the history: loading it -------------------------------------------------

@test "--import-history: the rows loaded, its summary, the file 0600" {
	run cat import.err
	assert_output --regexp '^dedup: h\.csv: 11 rows: 11 added, 0 changed, 0 already there; the history h\.db holds 11 passports; [0-9]+\.[0-9] s \([0-9]+ rows/s\)$'
	assert_equal "$(stat -c %a h.db)" 600
	for f in h.db-wal h.db-shm; do
		if [ -e "$f" ]; then assert_equal "$(stat -c %a "$f")" 600; fi
	done
}

@test "--import-history again: nothing added; a changed row is updated and counts from then" {
	run --separate-stderr dedup -H h.db --import-history h.csv
	assert_success
	[[ $stderr == 'dedup: h.csv: 11 rows: 0 added, 0 changed, 11 already there; the history h.db holds 11 passports; '* ]] ||
		fail "$stderr"
	# the holder's passport reported lost: the holder passes now
	sed 's/^AB1000201,\(.*\),valid$/AB1000201,\1,lost/' h.csv > h2.csv
	run --separate-stderr dedup -H h.db --import-history h2.csv
	assert_success
	[[ $stderr == 'dedup: h2.csv: 11 rows: 0 added, 1 changed, 10 already there; the history h.db holds 11 passports; '* ]] ||
		fail "$stderr"
	dedup -H h.db v.xml > o2.xml 2> /dev/null
	clear HOLDER o2.xml '; passport AB1000201 of this CNIC (expiry 2032-02-29) is lost: not counted'
	held_as IDENTITY o2.xml DEDUP_OTHER_IDENTITY AB1000282
}

@test "the default history is the spool's state.db, created 0600" {
	run --separate-stderr dedup --import-history h.csv
	assert_success
	[[ $stderr == "dedup: h.csv: 11 rows: 11 added, 0 changed, 0 already there; the history $IMPASS_SPOOL/state.db holds 11 passports; "* ]] ||
		fail "$stderr"
	assert_equal "$(stat -c %a "$IMPASS_SPOOL/state.db")" 600
	run --separate-stderr dedup v.xml
	assert_success
	echo "$output" > od.xml
	held_as HOLDER od.xml DEDUP_VALID_PASSPORT AB1000201
}

@test "no history yet: the spool's state.db is made 0600, the batch alone searched, a warning" {
	[ ! -e "$IMPASS_SPOOL/state.db" ]
	run --separate-stderr dedup v.xml
	assert_success
	echo "$output" > on.xml
	[[ $stderr == *"dedup: B-DEDUP: the history $IMPASS_SPOOL/state.db has no passports: only duplicates inside the batch are found; load it with dedup --import-history"* ]] ||
		fail "$stderr"
	assert_equal "$(stat -c %a "$IMPASS_SPOOL/state.db")" 600
	clear HOLDER on.xml
	held_as CNIC-2 on.xml DEDUP_SAME_CNIC CNIC-1
}

@test "an empty history: duplicates in the batch only, and a warning" {
	head -n 1 h.csv > empty.csv
	dedup -H e.db --import-history empty.csv 2> /dev/null
	run --separate-stderr dedup -H e.db v.xml
	assert_success
	echo "$output" > oe.xml
	[[ $stderr == *"dedup: B-DEDUP: the history e.db has no passports: only duplicates inside the batch are found; load it with dedup --import-history"* ]] ||
		fail "$stderr"
	clear HOLDER oe.xml 'no duplicate among the 32 applications of the batch and the passports of the history'
	held_as CNIC-2 oe.xml DEDUP_SAME_CNIC CNIC-1
}

@test "a bad header refuses the file (65), naming the column; nothing is loaded" {
	sed '1s/status/state/' h.csv > bad.csv
	run --separate-stderr dedup -H n.db --import-history bad.csv
	assert_failure 65
	assert_equal "$stderr" "dedup: bad.csv line 1: unknown column 'state' (column 10); an issued-passport history has only the columns in impass-csv(5): rename or remove it"
	sed '1s/,status//' h.csv > short.csv
	run --separate-stderr dedup -H n.db --import-history short.csv
	assert_failure 65
	[[ $stderr == *"required column 'status' is missing"* ]] || fail "$stderr"
}

@test "a bad row refuses the file (65), naming its line; nothing of it is loaded" {
	{ cat h.csv; echo 'AB1000401,3520100000401,X,Y,Z,1990-01-01,M,2020-01-01,2030-01-01,stolen'; } > bad.csv
	run --separate-stderr dedup -H h.db --import-history bad.csv
	assert_failure 65
	assert_equal "$stderr" "dedup: bad.csv line 13: status 'stolen' is not valid, cancelled, lost or expired; a passport cannot be left out of the history, so the file is refused: correct the row and load it again"
	{ cat h.csv; echo 'AB1000401,35201-000004,X,Y,Z,1990-01-01,M,2020-01-01,2030-01-01,valid'; } > bad.csv
	run --separate-stderr dedup -H h.db --import-history bad.csv
	assert_failure 65
	[[ $stderr == "dedup: bad.csv line 13: cnic '35201-000004' is not 13 digits"* ]] || fail "$stderr"
	{ cat h.csv; echo 'AB1000401,3520100000401,X,Y,Z,1990-01-01,M'; } > bad.csv
	run --separate-stderr dedup -H h.db --import-history bad.csv
	assert_failure 65
	[[ $stderr == "dedup: bad.csv line 13 has 7 fields where the header has 10; "* ]] || fail "$stderr"
	run --separate-stderr dedup -H h.db --import-history h.csv
	[[ $stderr == *' 0 added, 0 changed, 11 already there; the history h.db holds 11 passports; '* ]] ||
		fail "$stderr"
}

@test "a load killed before its commit leaves the history as it was" {
	{ cat h.csv; echo 'AB1000401,3520100000401,X,Y,Z,1990-01-01,M,2020-01-01,2030-01-01,valid'; } > more.csv
	IMPASS_FAULT=history-import run dedup -H h.db --import-history more.csv
	assert_equal "$status" 137
	run --separate-stderr dedup -H h.db --import-history h.csv
	assert_success
	[[ $stderr == *' 0 added, 0 changed, 11 already there; the history h.db holds 11 passports; '* ]] ||
		fail "$stderr"
}

@test "the first load writes the base file beside the database, 0600; a history in both finds as one in either" {
	assert_equal "$(stat -c %a h.db-history)" 600
	assert_equal "$(sqlite3 h.db 'select count(*) from history_passport')" 0
	# a header alone: no base file, the history empty
	head -n 1 h.csv > none.csv
	run -0 --separate-stderr dedup -H e2.db --import-history none.csv
	[ ! -e e2.db-history ]
	# five passports into the base file, the other six into the tables
	head -n 6 h.csv > first.csv
	{ head -n 1 h.csv; tail -n +7 h.csv; } > rest.csv
	dedup -H s.db --import-history first.csv 2> /dev/null
	run -0 --separate-stderr dedup -H s.db --import-history rest.csv
	[[ $stderr == 'dedup: rest.csv: 6 rows: 6 added, 0 changed, 0 already there; the history s.db holds 11 passports; '* ]] ||
		fail "$stderr"
	assert_equal "$(sqlite3 s.db 'select count(*) from history_passport')" 6
	dedup -H s.db v.xml > split.xml 2> /dev/null
	diff -u <(grep -o '<step stage="dedup".*</step>' o.xml) <(grep -o '<step stage="dedup".*</step>' split.xml)
}

@test "a passport number twice in a first load refuses the file (65); a base file cut short (65) or gone (66) refuses the history" {
	{ cat h.csv; tail -n 1 h.csv | sed 's/,valid$/,lost/'; } > twice.csv
	run --separate-stderr dedup -H n.db --import-history twice.csv
	assert_failure 65
	assert_equal "$stderr" "dedup: twice.csv: passport $(tail -n 1 h.csv | cut -d, -f1) is on more than one row: a passport is one row of the history, so the file is refused: keep its last row and load it again"
	[ ! -e n.db-history ]
	[ -z "$(ls n.db-history.* 2> /dev/null)" ]
	assert_equal "$(sqlite3 n.db "select count(*) from history_meta where name = 'base'")" 0
	head -c 300 h.db-history > cut
	cp cut h.db-history
	run --separate-stderr dedup -H h.db v.xml
	assert_failure 65
	assert_equal "$stderr" "dedup: the history's base file h.db-history is damaged: load the history again into an empty history (dedup --import-history)"
	mv h.db-history away
	run --separate-stderr dedup -H h.db v.xml
	assert_failure 66
	assert_equal "$stderr" "dedup: the history h.db has its passports in h.db-history, which is not there: put it back beside the database (the two are copied together), or load the history again into an empty one"
	assert_equal "$output" ''
}

@test "a base file planted as a symbolic link is refused (66), even to the real file; nothing on stdout" {
	mv h.db-history real-history
	ln -s real-history h.db-history
	run --separate-stderr dedup -H h.db v.xml
	assert_failure 66
	assert_equal "$stderr" "dedup: cannot open the history's base file h.db-history: Too many levels of symbolic links"
	assert_equal "$output" ''
}

@test "a base file read piece by piece (IMPASS_HISTORY_MAP=0, as a large one is) gives the steps read through its mapping" {
	# LeakSanitizer cannot run under ptrace; the same runs without strace
	# are leak-checked in the next test
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
	# the seeded fixture (2,400 applications, 20,000 passports) read piece by piece
	run -0 --separate-stderr strace -qq -e trace=pread64 -o f.trace \
		env IMPASS_HISTORY_MAP=0 dedup -H f.db fv.xml
	printf '%s\n' "$output" > f-pread.xml
	diff -u <(grep -o '<step stage="dedup".*</step>' fo.xml) <(grep -o '<step stage="dedup".*</step>' f-pread.xml)
	# its passports were read with pread (256 bytes each); through the
	# mapping, none
	[ "$(grep -c ', 256, [0-9]*) = ' f.trace)" -gt 10 ] || fail "$(grep -c pread64 f.trace) preads"
	run -0 --separate-stderr strace -qq -e trace=pread64 -o h.trace dedup -H h.db v.xml
	assert_equal "$(grep -c ', 256, [0-9]*) = ' h.trace)" 0
}

@test "passports whose date of birth or sex rule the applicant out are passed over unread, in the base file and the tables: 500 of them ahead of hers do not hide it" {
	# FARZANA SIDDIQUI d/o ZAFAR SIDDIQUI, born 1975-04-04: 400 men of her
	# names and day (every blocking key of hers) and 100 women of her names
	# born 1962-04-04 (her names with the month and day) come first; each
	# would count against the 400 passports read for a person
	local i
	{
		head -n 1 h.csv
		for ((i = 1000001; i <= 1000400; i++)); do
			hist "PW$i" '' "${OTHER[@]}" 'father_name=NAZIR SIDDIQUI' sex=M
		done
		for ((i = 1000001; i <= 1000100; i++)); do
			hist "PY$i" '' "${OTHER[@]}" 'father_name=NAZIR SIDDIQUI' date_of_birth=1962-04-04
		done
		tail -n +2 h.csv
	} > many.csv
	dedup -H m1.db --import-history many.csv 2> /dev/null
	{ head -n 1 h.csv; sed -n 2p h.csv; } > one.csv
	dedup -H m2.db --import-history one.csv 2> /dev/null
	dedup -H m2.db --import-history many.csv 2> /dev/null
	assert_equal "$(sqlite3 m2.db 'select count(*) from history_passport')" 510
	for db in m1 m2 m1-pread; do
		run -0 --separate-stderr env IMPASS_HISTORY_MAP=$([[ $db == *-pread ]] && echo 0) \
			dedup -H ${db%-pread}.db --explain v.xml
		printf '%s\n' "$output" > $db.xml
		held_as IDENTITY $db.xml DEDUP_OTHER_IDENTITY AB1000282
		# read and weighed: her passport; passed over: the 500
		[[ $stderr == *'dedup: IDENTITY ~ AB1000282: '* ]] || fail "$db: $stderr"
		[[ $stderr != *' ~ PW'* && $stderr != *' ~ PY'* ]] || fail "$db read a passport it should pass over"
	done
	# the same file without the veto's tags (as an earlier dedup wrote it): refused
	printf IMPHIST1 | dd of=m1.db-history conv=notrunc status=none
	run --separate-stderr dedup -H m1.db v.xml
	assert_failure 65
	assert_equal "$stderr" "dedup: the history's base file m1.db-history was written by an earlier dedup, without the dates of birth in its index: load the history again into an empty history (dedup --import-history)"
	assert_equal "$output" ''
}

@test "passports whose father's name must conflict with hers are passed over unread, in the base file and the tables: 400 of them ahead of hers do not hide it; a base file of before the fathers' names is refused (65)" {
	# FARZANA SIDDIQUI d/o ZAFAR SIDDIQUI, born 1975-04-04: 400 women of
	# her names and day, daughters of NAZIR SIDDIQUI (NAZIR begins like
	# no word of her father's name, ZAFAR like none of theirs), come first
	local i
	{
		head -n 1 h.csv
		for ((i = 1000001; i <= 1000400; i++)); do
			hist "PF$i" '' "${OTHER[@]}" 'father_name=NAZIR SIDDIQUI'
		done
		tail -n +2 h.csv
	} > fathers.csv
	dedup -H f1.db --import-history fathers.csv 2> /dev/null
	{ head -n 1 h.csv; sed -n 2p h.csv; } > one.csv
	dedup -H f2.db --import-history one.csv 2> /dev/null
	dedup -H f2.db --import-history fathers.csv 2> /dev/null
	assert_equal "$(sqlite3 f2.db 'select count(*) from history_passport')" 410
	for db in f1 f2 f1-pread; do
		run -0 --separate-stderr env IMPASS_HISTORY_MAP=$([[ $db == *-pread ]] && echo 0) \
			dedup -H ${db%-pread}.db --explain v.xml
		printf '%s\n' "$output" > $db.xml
		held_as IDENTITY $db.xml DEDUP_OTHER_IDENTITY AB1000282
		[[ $stderr == *'dedup: IDENTITY ~ AB1000282: '* ]] || fail "$db: $stderr"
		[[ $stderr != *' ~ PF'* ]] || fail "$db read a passport it should pass over"
	done
	# the same file with the tags of before the fathers' names: refused
	printf IMPHIST2 | dd of=f1.db-history conv=notrunc status=none
	run --separate-stderr dedup -H f1.db v.xml
	assert_failure 65
	assert_equal "$stderr" "dedup: the history's base file f1.db-history was written by an earlier dedup, without the fathers' names in its index: load the history again into an empty history (dedup --import-history)"
	assert_equal "$output" ''
}

@test "a missing history CSV (66), a missing history (66), an unwritable one (73)" {
	run --separate-stderr dedup -H n.db --import-history nothere.csv
	assert_failure 66
	[[ $stderr == "dedup: cannot open nothere.csv: "* ]] || fail "$stderr"
	run --separate-stderr dedup -H nothere.db v.xml
	assert_failure 66
	assert_equal "$stderr" "dedup: cannot open the history nothere.db: No such file or directory; load it with dedup --import-history, or give its place with --history"
	assert_equal "$output" ''
	[ ! -e nothere.db ]
	mkdir dir.db
	run --separate-stderr dedup -H dir.db --import-history h.csv
	assert_failure 73
	[[ $stderr == "dedup: cannot open the state database dir.db: Is a directory" ]] || fail "$stderr"
	run --separate-stderr dedup -H nodir/h.db --import-history h.csv
	assert_failure 73
	[[ $stderr == "dedup: cannot open the state database nodir/h.db: No such file or directory" ]] ||
		fail "$stderr"
	run --separate-stderr dedup -H n.db missing.xml
	assert_failure 66
}

# ---- the history: printed passports ------------------------------------------

# printed FILE: a printed stream (SPEC 3: kind printed, a <passport> in each
# record) of the applications SOHAIL MEMON (photo of PRINTED-1) and a record
# not issued (held), sealed by spool-print
printed() {
	{
		echo "${APP_COLUMNS// /,}"
		app PRINTED-1 cnic=4210100000311 "${PRINTED[@]}"
		app PRINTED-2 cnic=4210100000321 surname=ANSARI given_names=TALHA \
			'father_name=IDREES ANSARI' date_of_birth=1996-06-06
		app PRINTED-3 cnic=4210100000331 surname=HASHMI given_names=RIZWAN \
			'father_name=SHER KHAN HASHMI' date_of_birth=1961-01-01
	} > p.csv
	ingest -b B-PRINTED p.csv 2> /dev/null | validate --today "$TODAY" > pv.xml 2> /dev/null
	sed -e '2s/kind="application"/kind="printed"/' \
		-e '/id="PRINTED-3"/s/status="ok"/status="held"/' \
		-e '/^<record /s|</application>|&<passport number="PK1000311" issued="2026-11-21" expires="2036-11-20" type="P"><mrz>L1</mrz><mrz>L2</mrz></passport>|' \
		-e '/id="PRINTED-2"/s/PK1000311/PK1000321/' -e '/id="PRINTED-3"/s/PK1000311/PK1000331/' \
		pv.xml > pu.xml
	reseal pu.xml "$STAGE_FPR" spool-print > "$1"
}

@test "--record adds the passports printed, once; then they count" {
	printed pr.xml
	run --separate-stderr dedup -H h.db --record pr.xml
	assert_success
	[[ $stderr == 'dedup: B-PRINTED: 3 in, 2 passports added to the history, 0 changed, 0 there already, 1 not issued (not ok, or no passport); '* ]] ||
		fail "$stderr"
	assert_equal "$output" ''
	run --separate-stderr dedup -H h.db --record pr.xml
	assert_success
	[[ $stderr == 'dedup: B-PRINTED: 3 in, 0 passports added to the history, 0 changed, 2 there already, 1 not issued (not ok, or no passport); '* ]] ||
		fail "$stderr"
	{
		echo "${APP_COLUMNS// /,}"
		# the same face under another CNIC and name; the same CNIC again
		app FACE cnic=3520100000991 surname=JATOI given_names=AMIR 'father_name=GUL ZAMAN JATOI' \
			date_of_birth=1990-10-10 photo_sha256="$(printf PRINTED-1 | sha256sum | cut -c1-64)"
		app AGAIN cnic=4210100000321 surname=ANSARI given_names=TALHA \
			'father_name=IDREES ANSARI' date_of_birth=1996-06-06
		app NOT-ISSUED cnic=4210100000331 surname=HASHMI given_names=RIZWAN \
			'father_name=SHER KHAN HASHMI' date_of_birth=1961-01-01
	} > again.csv
	ingest -b B-AGAIN again.csv 2> /dev/null | validate --today "$TODAY" > againv.xml 2> /dev/null
	dedup -H h.db againv.xml > againo.xml 2> /dev/null
	held_as FACE againo.xml DEDUP_SAME_PHOTO PK1000311
	says FACE againo.xml 'is that of passport PK1000311 (valid, until 2036-11-20) issued to CNIC 4210100000311 (SOHAIL MEMON s/o RAB NAWAZ MEMON, born 1992-09-09): one face, two identities'
	held_as AGAIN againo.xml DEDUP_VALID_PASSPORT PK1000321
	clear NOT-ISSUED againo.xml
}

@test "--record refuses a stream that is not printed (65), or whose seal is broken, adding nothing" {
	run --separate-stderr dedup -H h.db --record v.xml
	assert_failure 65
	assert_equal "$stderr" 'dedup: B-DEDUP: --record reads a stream of printed passports (kind printed, from spool-print --collect), not application'
	printed pr.xml
	sed '/id="PRINTED-1"/s/SOHAIL/SOHAIB/' pr.xml > forged.xml
	run --separate-stderr dedup -H h.db --record forged.xml
	assert_failure 65
	run --separate-stderr dedup -H h.db --import-history h.csv
	[[ $stderr == *' the history h.db holds 11 passports; '* ]] || fail "$stderr"
}

# ---- options and benchmarks --------------------------------------------------

@test "usage: bad options (64); --help as in the manual page; --version" {
	run --separate-stderr dedup --threshold x v.xml
	assert_failure 64
	assert_equal "$stderr" "dedup: --threshold 'x' is not a number of bits from 0 to 60"
	run --separate-stderr dedup --import-history h.csv v.xml
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "$USAGE"
	run --separate-stderr dedup --help
	assert_success
	assert_line --index 0 "$USAGE"
	# every option of the manual page's OPTIONS section
	options=$(sed -n '/^\.Sh OPTIONS/,/^\.Sh EXIT STATUS/p' "$TESTS/../bin/dedup.1")
	for opt in $(grep -o 'Fl Fl [a-z-]*' <<< "$options" | sort -u | cut -d' ' -f3); do
		[[ $output == *"--$opt"* ]] || fail "--help does not mention --$opt of dedup.1"
	done
	for opt in $(grep -o '^\.It Fl [A-Za-z] ' <<< "$options" | cut -d' ' -f3); do
		[[ $output == *"  -$opt, --"* ]] || fail "--help does not mention -$opt of dedup.1"
	done
	[ "$(grep -c '^\.It Fl' <<< "$options")" -eq 10 ]
	run --separate-stderr dedup --version
	assert_output "dedup 0.1.0"
}

@test "a stage runs once: a stream through dedup already is refused (65)" {
	run --separate-stderr dedup -H h.db o.xml
	assert_failure 65
	assert_equal "$stderr" 'dedup: B-DEDUP: batch B-DEDUP has been through dedup already; run dedup on the stream that came before it'
}

@test "Febrl benchmarks: F1 at least 0.99 in the batch (Febrl3) and against the history (Febrl4)" {
	# the gzipped copy in tests/fixtures/febrl
	run --separate-stderr env -u FEBRL "$TESTS/febrl"
	assert_success
	assert_line --index 0 --regexp '^febrl3 P '
	assert_line --index 1 --regexp '^febrl4 P '
	# the floors: what dedup reaches (F1 0.9928 and 0.9916), to two places
	run awk '{ if ($3 < 0.99 || $5 < 0.98 || $7 < 0.99) print "below the floor: " $0 }' <<< "$output"
	assert_output ''
}
