# SPDX-License-Identifier: ISC
# Shared by every bats suite: throwaway keys, paths, and an independent
# implementation of the seal (bash + sha256sum + gpg) to check ours against.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TESTS=$(cd "$BATS_TEST_DIRNAME" && pwd)
IMP_BIN=${IMP_BIN:-$TESTS/../bin}
IMP_TBIN=${IMP_TBIN:-$TESTS}
GEN=$TESTS/gen-fixtures
PATH=$IMP_BIN:$IMP_TBIN:$PATH

# sanitized: true when the programs under test are the sanitizer build
# (tests/run runs every suite on both). Loops that repeat one crash many
# times run fewer rounds there: the normal build covers the crash semantics,
# the sanitizer build the memory of each code path, which a few rounds reach.
sanitized() {
	ldd "$IMP_BIN/inspect" 2> /dev/null | grep -q libasan
}

# setup_file: one key set per suite, in a short path (gpg-agent sockets):
# a copy of the keys tests/run made for the whole run (IMPASS_TEST_KEYS,
# the same keys in homes of this suite's own), else made here
keys_setup() {
	KT=$(mktemp -d /tmp/imp.XXXXXX)
	if [ -n "${IMPASS_TEST_KEYS:-}" ] && [ -f "$IMPASS_TEST_KEYS/env" ]; then
		cp -a "$IMPASS_TEST_KEYS" "$KT/k"
	else
		"$TESTS/mkkeys" "$KT/k"
	fi
	export KT
}

keys_teardown() {
	local h
	for h in gen g v s; do gpgconf --homedir "$KT/k/$h" --kill gpg-agent 2>/dev/null || true; done
	rm -rf "$KT"
}

# setup: each test in its own directory, with the stage key and trust file
stage_env() {
	# shellcheck disable=SC1091
	source "$KT/k/env"
	export STAGE_FPR APPROVER_FPR OTHER_FPR REVOKED_FPR EXPIRED_FPR STRANGER_FPR
	export GNUPGHOME=$KT/k/g IMPASS_TRUST=$KT/k/trust IMPASS_SIGNER=$STAGE_FPR
	# (in setup_file there is no test folder yet: the suite's key folder, so
	# that no stage ever falls back to the machine's own spool)
	local d=${BATS_TEST_TMPDIR:-$KT}
	export IMPASS_SPOOL=$d TMPDIR=$d
	cd "$d" || return 1
}

# a sealed stream of N generated applications (default 5) in FILE
make_stream() {
	"$GEN" applications "${2:-5}" > "$1.csv"
	ingest -b "${3:-B-TEST-01}" "$1.csv" > "$1" 2> "$1.err"
}

# RFC 4180 splitter of one line, for awk programs: awk "$CSV_SPLIT"'...'
# (plain POSIX awk: gawk's FPAT may not be installed; the generator never
# puts a newline inside a field)
CSV_SPLIT='
function csv_split(line, out,    n, i, c, field, quoted) {
	n = 1; field = ""; quoted = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (quoted) {
			if (c != "\"") field = field c
			else if (substr(line, i + 1, 1) == "\"") { field = field c; i++ }
			else quoted = 0
		} else if (c == "\"") quoted = 1
		else if (c == ",") { out[n++] = field; field = "" }
		else field = field c
	}
	out[n] = field
	return n
}'

# ---- the independent seal implementation ------------------------------------

ind_leaf() { { printf '\0'; printf '%s' "$1"; } | sha256sum | cut -c1-64; }
ind_node() { printf "\\x01$(sed 's/../\\x&/g' <<< "$1$2")" | sha256sum | cut -c1-64; }

# RFC 6962 MTH over the leaf hashes given as arguments, by its recursive definition
ind_mth() {
	local n=$# k=1
	if [ "$n" -eq 0 ]; then printf '' | sha256sum | cut -c1-64; return; fi
	if [ "$n" -eq 1 ]; then echo "$1"; return; fi
	while [ $((k * 2)) -lt "$n" ]; do k=$((k * 2)); done
	ind_node "$(ind_mth "${@:1:k}")" "$(ind_mth "${@:k+1}")"
}

ind_root() {
	local line leaves=()
	while IFS= read -r line; do leaves+=("$(ind_leaf "$line")"); done < <(grep '^<record ' "$1")
	ind_mth "${leaves[@]}"
}

attr() { sed -n "s/.* $2=\"\\([^\"]*\\)\".*/\\1/p" <<< "$1" | head -n 1; }

# statement FILE STAGE COUNT ROOT CREATED: SPEC 3's signed text for FILE's header
ind_statement() {
	local head prov
	head=$(sed -n 2p "$1")
	printf 'impass-seal/1\nbatch=%s\nkind=%s\nstage=%s\ncount=%s\nroot=sha256:%s\n' \
		"$(attr "$head" id)" "$(attr "$head" kind)" "$2" "$3" "$4"
	prov=$(sed -n '3{/^<provenance>/p}' "$1")
	if [ -n "$prov" ]; then
		printf 'provenance=sha256:%s\n' "$(printf '%s' "$prov" | sha256sum | cut -c1-64)"
	fi
	printf 'created=%s\n' "$5"
}

# reseal FILE FPR [STAGE] [HOME] [gpg options...]: FILE with its seal made
# again over its current records, signed by FPR with the gpg command line
reseal() {
	local file=$1 fpr=$2 stage=${3:-} home=${4:-$KT/k/gen} seal count root created sig
	shift $(( $# < 4 ? $# : 4 ))
	seal=$(grep '^<seal ' "$file")
	stage=${stage:-$(attr "$seal" stage)}
	created=$(attr "$seal" created)
	count=$(grep -c '^<record ' "$file" || true)
	root=$(ind_root "$file")
	sig=$(ind_statement "$file" "$stage" "$count" "$root" "$created" |
		gpg --homedir "$home" --batch --quiet --no-tty "$@" -u "$fpr" --detach-sign | base64 -w0)
	sed '/^<seal /,$d' "$file"
	printf '<seal stage="%s" count="%s" root="sha256:%s" signer="%s" created="%s">%s</seal>\n</batch>\n' \
		"$stage" "$count" "$root" "$fpr" "$created" "$sig"
}

# ---- shared by the stage suites ----------------------------------------------

records() { grep '^<record ' "$1"; }

# FILE without its seal line (the signature and time differ from run to run)
unsealed() { grep -v '^<seal ' "$1"; }

# small FILE ID...: FILE cut down to these records (to be resealed); the
# suite's record_of finds a record
small() {
	local id
	sed '/^<record /,$d' "$1"
	for id in "${@:2}"; do record_of "$id" "$1"; done
	grep '^<seal ' "$1"
	echo '</batch>'
}

# spool_job_batches SPOOL: the print jobs of SPOOL, queued, printing or
# printed, one line each, sorted: "TRACKING_ID BATCH NUMBER CHIP" (CHIP is
# chip when the job carries the chip data, else -). With spool_jobs and
# queued_jobs below, the one place a suite reads the queues' layout
# (impass-spool(5)).
spool_job_batches() {
	find "$1/print" "$1/archive" -path '*/tmp' -prune -o -type f -name '*.jobs' -print 2> /dev/null |
		xargs -r "$TESTS/print-jobs" --attrs | awk '{ print $4, $8, $3, $9 }' | sort
}

# stage_conserved STAGE STDERR FILE BATCH: the last line of STDERR is STAGE's
# summary of FILE: in = ok + rejected + held, each counted in FILE
stage_conserved() {
	local stage=$1 err=${2##*$'\n'} file=$3 batch=$4 n ok rej held
	n=$(grep -c '^<record ' "$file")
	ok=$(grep -c '^<record [^>]* status="ok">' "$file" || true)
	rej=$(grep -c '^<record [^>]* status="rejected">' "$file" || true)
	held=$(grep -c '^<record [^>]* status="held">' "$file" || true)
	[[ $err =~ ^$stage:\ $batch:\ $n\ in,\ $ok\ ok,\ $rej\ rejected,\ $held\ held,\ [0-9]+\.[0-9]\ s$ ]] ||
		fail "summary '$err' does not match $n records: $ok ok, $rej rejected, $held held"
	[ "$n" -eq $((ok + rej + held)) ]
}

# stage_one_step_each STAGE IN OUT: every record ok in IN got exactly one
# STAGE step in OUT; every other one is byte for byte as in IN
stage_one_step_each() {
	run awk -v stage="$1" 'NR == FNR { in_[FNR] = $0; next }
	{
		n = gsub("<step stage=\"" stage "\" ", "&")
		if (in_[FNR] ~ /^<record [^>]* status="ok">/) { if (n != 1) print "record " FNR ": " n " " stage " steps" }
		else if ($0 != in_[FNR]) print "record " FNR " not ok on input, but changed"
	}' <(records "$2") <(records "$3")
	assert_output ''
	assert_equal "$(grep -c '^<record ' "$3")" "$(grep -c '^<record ' "$2")"
}

# ---- the printer account: an unprivileged user the attacks run as ------------
# (issue 18: printer stations, operators and the courier desk are other
# users than root and the batch account). CI runs as root and may useradd.

# retry CMD...: CMD again while another process holds /etc/passwd's lock
retry() {
	local i
	for i in $(seq 40); do
		"$@" 2>/dev/null && return 0
		sleep 0.25
	done
	"$@"
}

# setup_file: a throwaway account imp-printer-PID in its own group
# imp-printers-PID (the printer stations' group); PRINTER and PRINTER_GROUP
# exported, their ids in PRINTER_UID and PRINTER_GID
printer_setup() {
	PRINTER=imp-printer-$$ PRINTER_GROUP=imp-printers-$$
	retry groupadd --system "$PRINTER_GROUP" || return 1
	retry useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --gid "$PRINTER_GROUP" "$PRINTER" || return 1
	PRINTER_UID=$(id -u "$PRINTER") PRINTER_GID=$(getent group "$PRINTER_GROUP" | cut -d: -f3)
	export PRINTER PRINTER_GROUP PRINTER_UID PRINTER_GID
}

# teardown_file: the account and its group gone (also after a failed setup)
printer_teardown() {
	if id -u "${PRINTER:?}" > /dev/null 2>&1; then retry userdel "$PRINTER"; fi
	if getent group "${PRINTER_GROUP:?}" > /dev/null; then retry groupdel "$PRINTER_GROUP"; fi
}

# as_printer CMD...: CMD run as the printer account, environment kept (the
# tree under test may sit where only root can enter: copy a program of it
# to a folder the printer can read before running it so)
as_printer() {
	setpriv --reuid="$PRINTER_UID" --regid="$PRINTER_GID" --init-groups -- "$@"
}

# every print job of a spool (impass-spool(5)), wherever its job file is
# (the queues, the archive): "tracking_id number queue laminate priority
# outcome", the outcome the printers' acknowledgement in the queue's log
# (done, failed), else waiting; sorted
spool_jobs() {
	local q acks
	acks=$(mktemp "$BATS_TEST_TMPDIR/.acks.XXXXXX")   # (two may run at once: diff <(..) <(..))
	for q in "$1"/print/*/; do
		[ -f "$q/log" ] && sed "s#^#$(basename "$q") #" "$q/log"
	done > "$acks"
	find "$1/print" "$1/archive" -path '*/tmp' -prune -o -type f -name '*.jobs' -print 2> /dev/null |
		xargs -r "$TESTS/print-jobs" --attrs |
		awk -v acks="$acks" 'FILENAME == acks { o[$1 " " $2 " " $3] = $5; next }
			{ n = split($1, p, "/"); k = $5 " " p[n] " " $2
			  print $4, $3, $5, $6, $7, (k in o) ? o[k] : "waiting" }' "$acks" - | sort
	rm -f "$acks"
}

# how many jobs the job files of a spool's queues hold (new, cur, done),
# or of one folder of them (queued_jobs SPOOL new)
queued_jobs() {
	find "$1/print" -path '*/tmp' -prune -o -path "*/${2:-*}/*" -type f -name '*.jobs' -print \
		2> /dev/null | xargs -r "$TESTS/print-jobs" | wc -l
}

# every record parked in the folders given (SPOOL/held, rejected,
# reviewed): "BATCH PLACE ID STATUS STAGE CODE" a line (PLACE 8 digits),
# read from a batch's file (BATCH.parked) or from an earlier version's
# record file (BATCH.NNNNNNNN), in file and place order
parked_records() {
	local d f
	for d; do
		for f in "$d"/*.parked "$d"/*.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]; do
			[ -f "$f" ] || continue
			awk -v old="${f##*.}" '
				FNR == 1 && old != "parked" { p = old }
				/^record [0-9]+ [0-9]+$/ { p = sprintf("%08d", $2) }
				/^batch: / { b = substr($0, 8) }
				/^record: / { r = substr($0, 9) }
				/^status: / { s = substr($0, 9) }
				/^stage: / { t = substr($0, 8) }
				/^code: / { print b, p, r, s, t, substr($0, 7) }' "$f"
		done
	done
}

# the same batch's parked files as an earlier version wrote them: a file
# per record, BATCH.NNNNNNNN, of its time, into the folder of each
# (old_layout FOLDER)
old_layout() {
	local f
	for f in "$1"/*.parked; do
		[ -f "$f" ] || continue
		awk -v d="$1" -v b="$(basename "$f" .parked)" '
			FNR == 1 { next }
			/^record [0-9]+ [0-9]+$/ { close(o); o = sprintf("%s/%s.%08d", d, b, $2); next }
			/^end [0-9]+$/ { exit }
			{ print > o }' "$f"
		touch -r "$f" "${f%.parked}".[0-9]*
		rm "$f"
	done
}
