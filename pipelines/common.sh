# SPDX-License-Identifier: ISC
# Shared by pipelines/nightly, pipelines/courier and pipelines/migrate-citizenship:
# the configuration, the lock, the run folder, one stage, the logs.
# shellcheck shell=bash

umask 077
PROG=${PROG:-$(basename "$0")}
# shellcheck disable=SC2034 # used by the scripts that source this file
here=$(cd "$(dirname "$0")" && pwd)

die() {                           # die CODE MESSAGE
	local code=$1
	shift
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit "$code"
}

# The configuration: KEY=VALUE lines, # comments; only known keys, never
# run as shell. Values may be quoted with "..." or '...'.
CONFIG_KEYS="IMPASS_TRUST GNUPGHOME STAGE_KEY APPROVER_KEY FEES PAYMENTS PAYMENTS_INDEX NADRA NADRA_EXTRACT PCL_LISTS
PCL_INDEX PCL_THRESHOLD PCL_NAME_ONLY HISTORY SPOOL RUNS QUEUES LAMINATES OFFICES COURIERS BUNDLES SYSLOG_TAG
BIN REGISTER_DATES LDS_DS_CERT LDS_DS_KEY LDS_CSCA LDS_PHOTOS LDS_TYPES LDS_GROUPS"

load_config() {                   # load_config FILE
	local file=$1 line key value n=0
	[ -r "$file" ] || die 66 "cannot read the configuration $file"
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%%$'\r'}
		case $line in '' | '#'*) continue ;; esac
		case $line in
		*=*) key=${line%%=*} value=${line#*=} ;;
		*) die 78 "$file line $n: not KEY=VALUE" ;;
		esac
		key=${key//[[:space:]]/}
		case " ${CONFIG_KEYS//$'\n'/ } " in
		*" $key "*) ;;
		*) die 78 "$file line $n: unknown key $key (known: ${CONFIG_KEYS//$'\n'/ })" ;;
		esac
		case $value in
		\"*\") value=${value#\"} value=${value%\"} ;;
		\'*\') value=${value#\'} value=${value%\'} ;;
		esac
		printf -v "CFG_$key" '%s' "$value"
	done < "$file"
	SPOOL=${CFG_SPOOL:-${IMPASS_SPOOL:-/var/spool/impass}}
	RUNS=${CFG_RUNS:-$SPOOL/runs}
	SYSLOG_TAG=${CFG_SYSLOG_TAG:-impass}
	[ -n "${CFG_BIN:-}" ] && PATH=$CFG_BIN:$PATH
	[ -n "${CFG_IMPASS_TRUST:-}" ] && export IMPASS_TRUST=$CFG_IMPASS_TRUST
	[ -n "${CFG_GNUPGHOME:-}" ] && export GNUPGHOME=$CFG_GNUPGHOME
	[ -n "${CFG_STAGE_KEY:-}" ] && export IMPASS_SIGNER=$CFG_STAGE_KEY
	export IMPASS_SPOOL=$SPOOL
	# shellcheck disable=SC2174 # only the folders made here are 0700
	mkdir -p -m 0700 "$SPOOL" "$RUNS" || die 73 "cannot create $SPOOL or $RUNS"
	return 0
}

# One run of a pipeline at a time: flock on a lock file, exit 75 when busy.
take_lock() {                     # take_lock NAME
	exec 9> "$RUNS/.$1.lock" || die 73 "cannot create the lock $RUNS/.$1.lock"
	flock -n 9 || die 75 "another $1 run holds $RUNS/.$1.lock; try again when it has finished"
}

log() {                           # to the run folder's log, stderr and syslog
	printf '%s %s\n' "$(date -u +%FT%TZ)" "$*" >> "$RUNDIR/run.log"
	printf '%s: %s\n' "$PROG" "$*" >&2
	logger -t "$SYSLOG_TAG" -- "$PROG: $*" 2> /dev/null || true
}

# counts_text FILE: inspect --counts FILE (key=value lines: never the
# programs' English summaries), nothing when FILE is no stream with a good
# seal. A stream of the run folder ($RUNDIR) is verified and counted once,
# by whichever of the run's steps and its report asks first: its counts are
# kept in the run folder as NAME.counts (02-validate.xml: validate.xml.counts)
# under a first line holding the stream's size, times and inode, and a
# stream whose line differs (written again, copied, touched) is counted
# again.
counts_text() {
	local f=$1 c='' key='' line out
	[ -s "$f" ] || return 0
	if [ -n "${RUNDIR:-}" ] && [ "${f%/*}" = "$RUNDIR" ]; then
		c=${f##*/}
		c=$RUNDIR/${c#[0-9][0-9]-}.counts
		key="# $(stat -L -c '%s %.9Y %.9Z %i' "$f")"
		if [ -f "$c" ] && { IFS= read -r line && [ "$line" = "$key" ] && cat; } < "$c"; then
			return 0
		fi
	fi
	out=$(inspect --counts "$f" 2> /dev/null 9>&- || true)
	[ -n "$out" ] || return 0
	printf '%s\n' "$out"
	[ -z "$c" ] || { printf '%s\n%s\n' "$key" "$out" > "$c.tmp" && mv "$c.tmp" "$c"; } 2> /dev/null ||
		rm -f "$c.tmp"
}

# stream_counts FILE: the counts of a sealed stream (counts_text) in
# c_batch, c_records, c_ok, c_held, c_rejected; false when FILE is no
# stream with a good seal. A stream is read once per run of the script: a
# stage's output is the next stage's input, the same file (its path, size
# and time are the key).
declare -A counts_seen=()
stream_counts() {
	local k v key
	c_batch='' c_records='' c_ok='' c_held='' c_rejected=''
	[ -s "$1" ] || return 1
	key="$1 $(stat -c '%s %.9Y %.9Z %i' "$1")"
	[ -n "${counts_seen[$key]:-}" ] || counts_seen[$key]="$(counts_text "$1")"
	while IFS='=' read -r k v; do
		case $k in
		batch) c_batch=$v ;;
		records) c_records=$v ;;
		ok) c_ok=$v ;;
		held) c_held=$v ;;
		rejected) c_rejected=$v ;;
		esac
	done <<< "${counts_seen[$key]}"
	[ -n "$c_records" ]
}

# The run log's line for a finished stage, into $summary (not printed: a
# command substitution would lose what stream_counts remembers): the
# counts of its sealed output (in: the records of its sealed input, else
# of its output), or, for a stage that writes no stream, the last line it
# wrote to NAME.log.
stage_summary() {                 # stage_summary NAME IN OUT SECONDS
	local in=''
	if stream_counts "$2"; then in=$c_records; fi
	if stream_counts "$3"; then
		printf -v summary '%s: %s: %s in, %s ok, %s rejected, %s held, %s s' "$1" "$c_batch" \
			"${in:-$c_records}" "$c_ok" "$c_rejected" "$c_held" "$4"
	else
		printf -v summary '%s: done in %s s: %s' "$1" "$4" "$(tail -n 1 "$RUNDIR/$1.log" 2> /dev/null)"
	fi
}

# counts_keep OUT: the counts a stage wrote of its own output stream OUT
# (--counts RUNDIR/NAME.counts, its stream.* lines: what inspect --counts
# OUT prints) kept as OUT's counts in the run folder (counts_text), so that
# neither the run's log nor its report reads OUT again to count it (the
# next stage verifies OUT's seal as it reads it). Nothing is kept unless the
# stage ended well and wrote them.
counts_keep() {                   # counts_keep NAME OUT
	local f=$RUNDIR/$1.counts out=$2 c
	[ -f "$f" ] && [ "${out%/*}" = "$RUNDIR" ] || return 0
	grep -qx 'status=0' "$f" && grep -q '^stream\.records=' "$f" || return 0
	c=${out##*/}
	c=$RUNDIR/${c#[0-9][0-9]-}.counts
	{ printf '# %s\n' "$(stat -L -c '%s %.9Y %.9Z %i' "$out")" &&
		sed -n 's/^stream\.//p' "$f"; } > "$c.tmp" 2> /dev/null && mv "$c.tmp" "$c" || rm -f "$c.tmp"
}

# stage NAME OUT IN COMMAND...: runs COMMAND < IN > OUT.tmp, renames it to OUT
# when it succeeds; a stage whose OUT exists already is done (resume).
# Its stderr goes to NAME.log; its counts (stage_summary) to the run log
# and syslog. A COMMAND given --counts RUNDIR/NAME.counts tells the counts
# of its output itself (counts_keep); else OUT is counted (inspect).
# With RESUME_HINT=0 the caller says what to do after a failure (nightly:
# an empty export is not resumed).
# With KEEP_TMP=1 (a stage whose output must not be made twice, e.g. the
# collection of printed jobs, which spool-print hands out once), an OUT.tmp
# left by a run killed after the stage finished is kept when it is a whole
# stream with a good seal (inspect), instead of running the stage again.
stage() {
	local name=$1 out=$2 in=$3 rc=0 t0=$SECONDS
	shift 3
	if [ -e "$out" ]; then
		log "$name: done before, $(basename "$out") kept"
		return 0
	fi
	if [ "${KEEP_TMP:-0}" = 1 ] && [ -s "$out.tmp" ] &&
		inspect "$out.tmp" > /dev/null 2> "$RUNDIR/$name.inspect" 9>&-; then
		mv "$out.tmp" "$out"
		log "$name: $(basename "$out").tmp of the interrupted run is whole and its seal good: kept, $name not run again"
		return 0
	fi
	rm -f "$RUNDIR/$name.counts"
	# 9>&-: a daemon a stage starts (gpg-agent) must not keep the run's lock
	"$@" < "$in" > "$out.tmp" 2> "$RUNDIR/$name.log" 9>&- || rc=$?
	if [ "$rc" -ne 0 ]; then
		rm -f "$out.tmp"
		log "$name FAILED (exit $rc): $(tail -n 1 "$RUNDIR/$name.log")"
		case $name in
		sign | spool-print)    # after render-mrz: the numbers are given to $in
			log "$(basename "$in") holds this batch's passport numbers (render-mrz gave them): $name runs again on that file, never the earlier stages or the export" ;;
		esac
		[ "${RESUME_HINT:-1}" = 0 ] || log "fix the cause and resume: $PROG --resume $RUNDIR"
		exit "$rc"
	fi
	mv "$out.tmp" "$out"
	counts_keep "$name" "$out"
	stage_summary "$name" "$in" "$out" $((SECONDS - t0))
	log "$summary"
}

# events FILE: the applications' events of a sealed stream into the state
# database (track --record), for track and notify. Not fatal: the run's
# work is done, and recording the stream again later adds what is missing.
events() {
	if track --record "$1" 2>> "$RUNDIR/track.log" 9>&-; then
		log "$(tail -n 1 "$RUNDIR/track.log")"
	else
		log "track --record $1 failed (see $RUNDIR/track.log); run it again when the cause is fixed"
	fi
}
