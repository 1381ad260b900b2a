#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# schemas/: the reference for integrators. They compile, they accept what
# the programs write, and they refuse what breaks the formats.

bats_require_minimum_version 1.5.0
load helpers

SCHEMAS=$TESTS/../schemas

setup_file() {
	keys_setup
	stage_env
	cd "$KT" || return 1
	"$GEN" applications 20 > a.csv
	ingest -b B-S a.csv > i.xml 2> /dev/null
	validate --today 2026-11-28 i.xml > v.xml 2> /dev/null
	"$GEN" registers 20 > r.csv
	ingest -k citizenship -b B-R r.csv > ri.xml 2> /dev/null
	validate --today 2026-11-28 ri.xml > rv.xml 2> /dev/null
}

teardown_file() {
	keys_teardown
}

setup() {
	stage_env
	cp "$KT"/*.xml .
}

valid() {                            # valid XSD FILE: xmllint accepts FILE
	run xmllint --noout --schema "$SCHEMAS/$1" "$2"
	assert_success
	assert_output "$2 validates"
}

invalid() {                          # invalid XSD FILE TEXT: refused, saying TEXT
	run xmllint --noout --schema "$SCHEMAS/$1" "$2"
	assert_failure
	assert_output --partial "$3"
}

@test "streams written by ingest and validate are valid against impass.xsd" {
	for f in i.xml v.xml ri.xml rv.xml; do valid impass.xsd "$f"; done
	grep -q '<normalised>' v.xml
	grep -q '<normalised>' rv.xml
}

@test "one record line on its own is valid against impass.xsd" {
	grep -m 1 '^<record ' v.xml > one.xml
	valid impass.xsd one.xml
}

@test "impass.xsd refuses an unknown element, a bad status, a bad root and a stream without seal" {
	sed '3s|<office>|<colour>red</colour><office>|' i.xml > t.xml
	invalid impass.xsd t.xml "colour': This element is not expected"
	sed '3s|status="ok"|status="maybe"|' i.xml > t.xml
	invalid impass.xsd t.xml "'maybe' is not an element of the set"
	sed 's|root="sha256:|root="sha1:|' i.xml > t.xml
	invalid impass.xsd t.xml "is not accepted by the pattern 'sha256:[0-9a-f]{64}'"
	grep -v '^<seal ' i.xml > t.xml
	invalid impass.xsd t.xml "Missing child element(s). Expected is one of"
}

@test "impass.xsd types the normalised values exactly" {
	grep -m 1 '^<record ' v.xml > one.xml
	sed 's|\(<normalised>.*\)<sex>[MFX]</sex>|\1<sex>Q</sex>|' one.xml > t.xml
	refute cmp -s one.xml t.xml
	invalid impass.xsd t.xml "'Q' is not an element of the set {'M', 'F', 'X'}"
	sed 's|\(<normalised>.*<cnic>[0-9]*\)</cnic>|\1-</cnic>|' one.xml > t.xml
	refute cmp -s one.xml t.xml
	invalid impass.xsd t.xml "is not accepted by the pattern '[0-9]{13}'"
	sed 's|\(<normalised>.*<surname>[A-Z ]*\)</surname>|\1 1</surname>|' one.xml > t.xml
	refute cmp -s one.xml t.xml
	invalid impass.xsd t.xml "is not accepted by the pattern '[A-Z]+( [A-Z]+)*'"
}

@test "the print job and manifest samples are valid, and broken ones are not" {
	valid printjob.xsd "$TESTS/fixtures/printjob.xml"
	valid manifest.xsd "$TESTS/fixtures/manifest.xml"
	sed 's|number="AB1234567"|number="AB123"|' "$TESTS/fixtures/printjob.xml" > t.xml
	invalid printjob.xsd t.xml "[A-Z]{2}[0-9]{7}"
	sed 's|priority="2"|priority="3"|' "$TESTS/fixtures/printjob.xml" > t.xml
	invalid printjob.xsd t.xml "priority"
	sed 's|category="urgent"|category="express"|' "$TESTS/fixtures/manifest.xml" > t.xml
	invalid manifest.xsd t.xml "'express' is not an element of the set"
}
