/* SPDX-License-Identifier: ISC */
/*
 * What an officer's decision on a held record means to the chain: where a
 * released record re-enters it (the stage after the one that held it), and
 * the ledger of decisions in the state database, so that no record is
 * decided twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "series.h"

/* The stages in the order a record meets them (SPEC 2). */
static const char *const chain[] = {
	"ingest", "validate", "verify-fee", "verify-nadra", "screen-pcl", "dedup", "render-mrz",
	"render-lds", "sign", "spool-print",
};

int
imp_stage_order(const char *stage)
{
	size_t i;

	for (i = 0; i < sizeof chain / sizeof *chain; i++)
		if (strcmp(chain[i], stage) == 0)
			return (int)i;
	return -1;
}

#define REVIEW_STEP "<step stage=\"review\" "
#define RELEASE_STEP "<step stage=\"review\" result=\"ok\" code=\"REVIEW_RELEASE\""

/* The stage a review step [p, end) cleared, into out; "" when none. */
static void
cleared_of(const char *p, const char *end, char out[33])
{
	const char *gt = memchr(p, '>', (size_t)(end - p)), *a, *q;

	out[0] = '\0';
	if (gt == NULL || (a = memmem(p, (size_t)(gt - p), " cleared=\"", 10)) == NULL)
		return;
	a += 10;
	if ((q = memchr(a, '"', (size_t)(gt - a))) != NULL && q - a < 33)
		snprintf(out, 33, "%.*s", (int)(q - a), a);
}

/*
 * Whether stage passes the record line by untouched: its last review step
 * released it from a hold of that stage or a later one. The stages that
 * make the passport are never passed by: a release from render-mrz or
 * render-lds makes it again from render-mrz (the officer took the old
 * number away), and a release from sign, which held a record that missed
 * a stage, sends it through every stage, as a correction (no cleared) does.
 */
int
imp_review_skips(const char *line, size_t len, const char *stage)
{
	const char *p = line, *end = line + len, *last = NULL;
	char cleared[33];
	int at;

	while ((p = memmem(p, (size_t)(end - p), REVIEW_STEP, sizeof REVIEW_STEP - 1)) != NULL)
		last = p++;
	if (last == NULL)
		return 0;
	cleared_of(last, end, cleared);
	at = imp_stage_order(stage);
	if (cleared[0] == '\0' || strcmp(cleared, "sign") == 0 || at < 0)
		return 0;
	return at <= imp_stage_order(cleared) && at < imp_stage_order("render-mrz");
}

/* Whether an officer released the record from a hold of stage (sign counts
 * that as the stage passed). */
int
imp_review_cleared(const char *line, size_t len, const char *stage)
{
	const char *p = line, *end = line + len;
	char cleared[33];

	while ((p = memmem(p, (size_t)(end - p), RELEASE_STEP, sizeof RELEASE_STEP - 1)) != NULL) {
		cleared_of(p, end, cleared);
		if (strcmp(cleared, stage) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* ---- the ledger ----------------------------------------------------------- */

static const char ledger_sql[] =
	"CREATE TABLE IF NOT EXISTS review_decision ("
	"  batch TEXT NOT NULL, record TEXT NOT NULL, decision TEXT NOT NULL,"
	"  stage TEXT NOT NULL, code TEXT NOT NULL, officer TEXT NOT NULL,"
	"  decided TEXT NOT NULL, into_batch TEXT NOT NULL, PRIMARY KEY (batch, record));";

int
imp_review_open(const char *path, sqlite3 **db, struct imp_err *e)
{
	int rc;

	if ((rc = imp_state_open(path, 30000, db, e)) != 0)
		return rc;
	if ((rc = imp_state_exec(*db, ledger_sql, e)) != 0) {
		imp_state_close(*db);
		*db = NULL;
	}
	return rc;
}

/* 1 with when, into (and decision, unless NULL) filled when the record of
 * batch was decided, 0 when not. */
int
imp_review_decided(sqlite3 *db, const char *batch, const char *record, char when[33],
		   char into[IMP_ID_MAX + 1], char decision[16], struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT decided, into_batch, decision FROM "
					    "review_decision WHERE batch = ? AND record = ?", e);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, record, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(when, 33, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(into, IMP_ID_MAX + 1, "%s", (const char *)sqlite3_column_text(s, 1));
		if (decision != NULL)
			snprintf(decision, 16, "%s", (const char *)sqlite3_column_text(s, 2));
	} else if (rc != SQLITE_DONE) {
		imp_state_fail(db, e, "reading the decisions");
	}
	imp_state_release(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The id of the next batch of decided records of batch: BATCH-D1, -D2 ... */
int
imp_review_next_batch(sqlite3 *db, const char *batch, char out[IMP_ID_MAX + 1],
		      struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT COUNT(DISTINCT into_batch) FROM "
					    "review_decision WHERE batch = ?", e);
	long long n;
	int rc;

	if (s == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	rc = rc == SQLITE_ROW ? 0 : imp_state_fail(db, e, "counting the decided batches");
	imp_state_release(s);
	if (rc != 0)
		return rc;
	if ((size_t)snprintf(out, IMP_ID_MAX + 1, "%s-D%lld", batch, n + 1) > IMP_ID_MAX)
		return imp_fail(e, EX_DATAERR, "batch %s: its id is too long for a batch of "
				"decided records (%s-D%lld)", batch, batch, n + 1);
	return 0;
}

/* Every decision of one applied file, in one transaction: all or none; the
 * passport number a decided record carried becomes void with it. */
int
imp_review_record(sqlite3 *db, const struct imp_decision *d, size_t n, struct imp_err *e)
{
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((s = imp_state_prepare(db, "INSERT INTO review_decision VALUES (?,?,?,?,?,?,?,?)",
				   e)) == NULL) {
		imp_state_exec(db, "ROLLBACK", e);
		return e->code;
	}
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, d[i].batch, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, d[i].record, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, d[i].decision, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, d[i].stage, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, d[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, d[i].officer, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, d[i].decided, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, d[i].into, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = imp_state_fail(db, e, "recording the decisions");
		else if (d[i].number != NULL)
			rc = imp_ledger_void_held(db, d[i].number, d[i].record, strcmp(d[i].decision,
						  "reject") == 0 ? "held, never printed: an officer "
						  "confirmed the hold" : "held, never printed: an "
						  "officer decided the record, which gets a new number",
						  e);
	}
	imp_state_release(s);
	if (rc != 0) {
		struct imp_err ignored;

		imp_state_exec(db, "ROLLBACK", &ignored);
		return rc;
	}
	return imp_state_exec(db, "COMMIT", e);
}

/* ---- the held files of decided records: out of held/ into reviewed/ ------- */

/* The spool's held/ (or reviewed/) folder, opened without following a
 * link; -1 in *fd and 0 when the spool has none and make is 0. */
int
imp_review_dir(int spool, const char *spool_path, const char *name, int make, int *fd,
	       struct imp_err *e)
{
	char shown[4200];
	struct stat st;

	*fd = -1;
	if (!make && fstatat(spool, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
		return 0;
	snprintf(shown, sizeof shown, "%s/%s", spool_path, name);
	return imp_dir_open(spool, name, shown, 0700, (gid_t)-1, fd, e);
}

/*
 * Moves held/BATCH.NNNNNNNN, the held file of the record at place index of
 * batch, to reviewed/, once its decision is recorded: held/ then shows only
 * what still waits. The file is moved only when it is a regular file of
 * this account that names this batch and record (a record id is never a
 * file name; a file planted or edited under the name stays where it is,
 * with a warning). 1 when moved, 0 when there was nothing to move.
 */
int
imp_review_archive(int held, int reviewed, const char *spool_path, const char *batch,
		   uint64_t index, const char *record, struct imp_err *e)
{
	char name[IMP_ID_MAX + 32], shown[4400];
	struct imp_buf b = { 0 }, want = { 0 };
	int rc;

	snprintf(name, sizeof name, "%s.%08llu", batch, (unsigned long long)index);
	snprintf(shown, sizeof shown, "%s/held/%s", spool_path, name);
	if ((rc = imp_file_read(held, name, shown, 2 * IMP_LINE_MAX, &b, e)) != 0) {
		imp_buf_free(&b);
		return rc < 0 ? 0 : rc;
	}
	imp_buf_printf(&want, "batch: %s\nrecord: %s\nstatus: held\n", batch, record);
	if (want.oom) {
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	} else if (!imp_file_is_ours(held, name) || b.len < want.len ||
		   memcmp(b.p, want.p, want.len) != 0) {
		imp_warn("review", batch, "%s is not the held file of record %s (another "
			 "account's, or edited): left in held/; have it examined", shown, record);
		rc = 0;
	} else if (renameat2(held, name, reviewed, name, RENAME_NOREPLACE) != 0) {
		rc = errno == EEXIST ?
			imp_fail(e, EX_CANTCREAT, "cannot move %s to %s/reviewed/: a file of that "
				 "name is there already; have both examined", shown, spool_path) :
			imp_fail(e, EX_IOERR, "cannot move %s to %s/reviewed/: %s", shown,
				 spool_path, strerror(errno));
	} else {
		rc = 1;
	}
	imp_buf_free(&b);
	imp_buf_free(&want);
	return rc;
}

/*
 * Moves held/BATCH.parked, the held records of batch, to reviewed/ once
 * every record in it is decided: held/ then shows only files with holds
 * that still wait. The file moves only when it is the one spool-print
 * journalled (a file planted or edited under the name stays, with a
 * warning). *moved: the records moved, 0 when the file stays.
 */
int
imp_review_archive_parked(int held, int reviewed, sqlite3 *db, const char *spool_path,
			  const char *batch, uint64_t *moved, struct imp_err *e)
{
	char name[IMP_ID_MAX + 16], shown[4400], why[160], when[33], into[IMP_ID_MAX + 1];
	struct imp_buf b = { 0 }, id = { 0 };
	struct imp_parked pk;
	const char *body;
	uint64_t place;
	size_t len;
	int rc, waits = 0;

	*moved = 0;
	imp_parked_file(name, batch, 0);
	snprintf(shown, sizeof shown, "%s/held/%s", spool_path, name);
	rc = imp_parked_read(held, db, batch, "held", shown, &b, why, e);
	if (rc == 1)
		imp_warn("review", batch, "%s is not the file of held records spool-print wrote "
			 "(%s): left in held/; have it examined", shown, why);
	if (rc == 0 && imp_parked_begin(&pk, b.p, b.len) == 0) {
		while ((rc = imp_parked_next(&pk, &place, &body, &len)) > 0) {
			imp_parked_value(body, len, "record", &id);
			if ((rc = imp_review_decided(db, batch, imp_buf_str(&id), when, into, NULL,
						     e)) <= 0) {
				waits = 1;      /* a hold still waits (0), or an error */
				rc = rc < 0 ? e->code : 0;
				break;
			}
		}
		if (rc == 0 && !waits && renameat2(held, name, reviewed, name, RENAME_NOREPLACE) != 0)
			rc = errno == EEXIST ?
				imp_fail(e, EX_CANTCREAT, "cannot move %s to %s/reviewed/: a file of "
					 "that name is there already; have both examined", shown,
					 spool_path) :
				imp_fail(e, EX_IOERR, "cannot move %s to %s/reviewed/: %s", shown,
					 spool_path, strerror(errno));
		else if (rc == 0 && !waits)
			*moved = pk.n;
	}
	imp_buf_free(&b);
	imp_buf_free(&id);
	return rc < 0 || rc == 1 ? 0 : rc;
}
