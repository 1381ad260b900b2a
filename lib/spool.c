/* SPDX-License-Identifier: ISC */
/*
 * spool.c: spool-print's journal in the state database: the jobs planned,
 * spooled and collected, the batches spooled, the laminate account, the
 * collections and the incidents. spool-print calls these functions and
 * never speaks SQL; every statement of the journal is here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "series.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS spool_batch(batch TEXT PRIMARY KEY, records INTEGER, "
	"  jobs INTEGER, held INTEGER, rejected INTEGER, spooled TEXT, prov TEXT, seal TEXT);"
	"CREATE TABLE IF NOT EXISTS spool_job(number TEXT PRIMARY KEY, batch TEXT NOT NULL, "
	"  tracking_id TEXT NOT NULL, queue TEXT NOT NULL, priority INTEGER NOT NULL, "
	"  file TEXT NOT NULL, laminate TEXT UNIQUE, created TEXT NOT NULL, "
	"  state TEXT NOT NULL, reason TEXT, printed TEXT, collect INTEGER, reprint TEXT, "
	"  record TEXT NOT NULL);"
	/* a job's record line (about 4 KB), apart from its row: the row is
	 * updated as the job is spooled, printed and collected, and a row with
	 * the record in it was written again whole, overflow pages and all
	 * (spool_job.record is '' for these jobs; it holds the record of a job
	 * journalled before this table) */
	"CREATE TABLE IF NOT EXISTS spool_job_record(number TEXT PRIMARY KEY, "
	"  record TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS spool_job_batch ON spool_job(batch, state);"
	"CREATE INDEX IF NOT EXISTS spool_job_file ON spool_job(queue, file);"
	/* a job file: one batch's jobs of one queue and priority */
	"CREATE TABLE IF NOT EXISTS spool_file(queue TEXT NOT NULL, name TEXT NOT NULL, "
	"  batch TEXT NOT NULL, priority INTEGER NOT NULL, jobs INTEGER NOT NULL, "
	"  bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL, "
	"  PRIMARY KEY(queue, name));"
	/* how far each queue's acknowledgement log was collected */
	"CREATE TABLE IF NOT EXISTS spool_log(queue TEXT PRIMARY KEY, offset INTEGER NOT NULL, "
	"  sha256 TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS spool_job_collect ON spool_job(collect);"
	/* --reprint and --reconcile run every night over a table that grows by
	 * a batch a night: they read only the jobs they are about */
	"CREATE INDEX IF NOT EXISTS spool_job_spoiled ON spool_job(batch) "
	"  WHERE state = 'spoiled' AND reprint IS NULL;"
	"CREATE INDEX IF NOT EXISTS spool_job_spooled ON spool_job(laminate) WHERE state = 'spooled';"
	"CREATE TABLE IF NOT EXISTS spool_laminate(serial TEXT PRIMARY KEY, issue INTEGER, "
	"  state TEXT NOT NULL, job TEXT);"
	"CREATE INDEX IF NOT EXISTS spool_laminate_state ON spool_laminate(state, serial);"
	"CREATE INDEX IF NOT EXISTS spool_laminate_job ON spool_laminate(job);"
	"CREATE TABLE IF NOT EXISTS spool_issue(id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
	"  file TEXT NOT NULL, serials TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS spool_collect(id INTEGER PRIMARY KEY, batch TEXT NOT NULL, "
	"  created TEXT NOT NULL, sealed INTEGER NOT NULL DEFAULT 0);"
	/* a file found in a queue that is not the job written there */
	/* a batch's held or rejected records, one file a kind (impass-spool(5)) */
	"CREATE TABLE IF NOT EXISTS spool_parked(batch TEXT NOT NULL, kind TEXT NOT NULL, "
	"  records INTEGER NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, "
	"  PRIMARY KEY(batch, kind));"
	"CREATE TABLE IF NOT EXISTS spool_incident(id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
	"  queue TEXT NOT NULL, folder TEXT NOT NULL, name TEXT NOT NULL, moved_to TEXT NOT NULL, "
	"  number TEXT, why TEXT NOT NULL);";

/* every column of a job, in the order job_row reads them; JOB_FIELDS
 * without the record line */
#define JOB_FIELDS "number, batch, tracking_id, queue, priority, file, laminate, created, " \
	"state, reason, printed, reprint, job_sha256, place"
#define JOB_COLUMNS JOB_FIELDS ", coalesce((SELECT r.record FROM spool_job_record r " \
	"WHERE r.number = spool_job.number), spool_job.record)"

/* ---- small helpers ------------------------------------------------------------- */

static int
step(sqlite3 *db, sqlite3_stmt *s, struct imp_err *e)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	imp_state_fail(db, e, "state database");
	return -1;
}

static void
text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void
column(sqlite3_stmt *s, int i, char *out, size_t n)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	snprintf(out, n, "%s", v ? (const char *)v : "");
}

/* One statement with up to two text parameters that returns no row. */
static int
run(sqlite3 *db, const char *sql, const char *p1, const char *p2, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, sql, e);
	int rc;

	if (s == NULL)
		return e->code;
	text(s, 1, p1);
	text(s, 2, p2);
	rc = step(db, s, e);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* One integer from a query with up to two text parameters; -1 on error. */
static int64_t
one_int(sqlite3 *db, const char *sql, const char *p1, const char *p2, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, sql, e);
	int64_t v = -1;

	if (s == NULL)
		return -1;
	text(s, 1, p1);
	text(s, 2, p2);
	if (step(db, s, e) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	imp_state_release(s);
	return v;
}

static void
job_row(sqlite3_stmt *s, struct imp_spool_job *j)
{
	column(s, 0, j->number, sizeof j->number);
	column(s, 1, j->batch, sizeof j->batch);
	column(s, 2, j->tracking, sizeof j->tracking);
	column(s, 3, j->queue, sizeof j->queue);
	j->priority = sqlite3_column_int(s, 4);
	column(s, 5, j->file, sizeof j->file);
	column(s, 6, j->laminate, sizeof j->laminate);
	column(s, 7, j->created, sizeof j->created);
	column(s, 8, j->state, sizeof j->state);
	column(s, 9, j->reason, sizeof j->reason);
	column(s, 10, j->printed, sizeof j->printed);
	column(s, 11, j->reprint, sizeof j->reprint);
	column(s, 12, j->hash, sizeof j->hash);
	j->place = (uint64_t)sqlite3_column_int64(s, 13);
	j->record = (const char *)sqlite3_column_text(s, 14);
	j->record_len = (size_t)sqlite3_column_bytes(s, 14);
}

/* Each job a query with up to two parameters (text, or an id) finds, to fn. */
static int
each_job(sqlite3 *db, const char *where, const char *p1, int64_t id, imp_spool_job_fn *fn,
	 void *arg, struct imp_err *e)
{
	char sql[512];
	sqlite3_stmt *s;
	struct imp_spool_job j;
	int rc;

	snprintf(sql, sizeof sql, "SELECT " JOB_COLUMNS " FROM spool_job WHERE %s", where);
	if ((s = imp_state_prepare(db, sql, e)) == NULL)
		return e->code;
	if (p1 != NULL)
		text(s, 1, p1);
	else if (id >= 0)
		sqlite3_bind_int64(s, 1, id);
	while ((rc = step(db, s, e)) == SQLITE_ROW) {
		job_row(s, &j);
		if ((rc = fn(arg, &j, e)) != 0)
			break;
	}
	imp_state_release(s);
	return rc < 0 ? e->code : rc == SQLITE_DONE ? 0 : rc;
}

/* ---- the journal ---------------------------------------------------------------- */

int
imp_spool_journal_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e)
{
	int rc;

	if ((rc = imp_ledger_open(path, busy_ms, db, e)) != 0 ||
	    (rc = imp_state_exec(*db, schema_sql, e)) != 0)
		return rc;
	/* a journal of an earlier version: the jobs' hashes, and their places in
	 * their job files, are kept from now on */
	sqlite3_exec(*db, "ALTER TABLE spool_job ADD COLUMN job_sha256 TEXT", NULL, NULL, NULL);
	sqlite3_exec(*db, "ALTER TABLE spool_job ADD COLUMN place INTEGER", NULL, NULL, NULL);
	return 0;
}

/* The one job a query with up to three text parameters finds (its record
 * line not kept past the statement). */
static int
one_job(sqlite3 *db, const char *where, const char *p1, const char *p2, const char *p3,
	struct imp_spool_job *j, int *found, struct imp_err *e)
{
	char sql[512];
	sqlite3_stmt *s;
	int rc;

	*found = 0;
	snprintf(sql, sizeof sql, "SELECT " JOB_FIELDS ", NULL FROM spool_job WHERE %s", where);
	if ((s = imp_state_prepare(db, sql, e)) == NULL)
		return e->code;
	text(s, 1, p1);
	text(s, 2, p2);
	text(s, 3, p3);
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*found = 1;
		job_row(s, j);
		j->record = NULL;
		j->record_len = 0;
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_job_get(sqlite3 *db, const char *number, struct imp_spool_job *j, int *found,
		  struct imp_err *e)
{
	return one_job(db, "number = ?", number, NULL, NULL, j, found, e);
}

int
imp_spool_job_plan(sqlite3 *db, const struct imp_spool_job *j, struct imp_err *e)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = imp_state_prepare(db, "INSERT INTO spool_job(number, batch, tracking_id, queue, "
				   "priority, file, laminate, created, state, record, place, "
				   "job_sha256) VALUES(?,?,?,?,?,?,?,?,'planned','',?,?)", e)) == NULL)
		return e->code;
	text(s, 1, j->number);
	text(s, 2, j->batch);
	text(s, 3, j->tracking);
	text(s, 4, j->queue);
	sqlite3_bind_int(s, 5, j->priority);
	text(s, 6, j->file);
	text(s, 7, j->laminate);
	text(s, 8, j->created);
	sqlite3_bind_int64(s, 9, (int64_t)j->place);
	if (j->hash[0] != '\0')
		text(s, 10, j->hash);
	rc = step(db, s, e);
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	if ((s = imp_state_prepare(db, "INSERT INTO spool_job_record(number, record) "
				   "VALUES(?,?)", e)) == NULL)
		return e->code;
	text(s, 1, j->number);
	sqlite3_bind_text(s, 2, j->record, (int)j->record_len, SQLITE_STATIC);
	rc = step(db, s, e);
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	return run(db, "UPDATE spool_laminate SET state = 'assigned', job = ? WHERE serial = ?",
		   j->number, j->laminate, e);
}

int
imp_spool_job_hash(sqlite3 *db, const char *number, const char *hex, struct imp_err *e)
{
	return run(db, "UPDATE spool_job SET job_sha256 = ? WHERE number = ?", hex, number, e);
}

int
imp_spool_job_finished(sqlite3 *db, const char *number, int spoiled, const char *why,
		       const char *printed, int64_t collection, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "UPDATE spool_job SET state = ?, reason = ?, "
					    "printed = ?, collect = ? WHERE number = ?", e);
	int rc;

	if (s == NULL)
		return e->code;
	text(s, 1, spoiled ? "spoiled" : "printed");
	if (spoiled)
		text(s, 2, why);
	text(s, 3, printed);
	sqlite3_bind_int64(s, 4, collection);
	text(s, 5, number);
	rc = step(db, s, e);
	imp_state_release(s);
	if (rc < 0 || (rc = run(db, "UPDATE spool_laminate SET state = ? WHERE job = ?",
				spoiled ? "spoiled" : "used", number, e)) != 0)
		return e->code ? e->code : rc;
	return imp_ledger_set(db, number, spoiled ? "spoiled" : "printed", spoiled ? why : NULL, e);
}

/* ---- job files and the acknowledgement logs ------------------------------------- */

int
imp_spool_file_get(sqlite3 *db, const char *queue, const char *name, struct imp_spool_file *f,
		   int *found, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT batch, priority, jobs, bytes, sha256, "
					    "state FROM spool_file WHERE queue = ? AND name = ?", e);
	int rc;

	*found = 0;
	if (s == NULL)
		return e->code;
	text(s, 1, queue);
	text(s, 2, name);
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*found = 1;
		snprintf(f->queue, sizeof f->queue, "%s", queue);
		snprintf(f->name, sizeof f->name, "%s", name);
		column(s, 0, f->batch, sizeof f->batch);
		f->priority = sqlite3_column_int(s, 1);
		f->jobs = (uint64_t)sqlite3_column_int64(s, 2);
		f->bytes = (uint64_t)sqlite3_column_int64(s, 3);
		column(s, 4, f->hash, sizeof f->hash);
		column(s, 5, f->state, sizeof f->state);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_file_put(sqlite3 *db, const struct imp_spool_file *f, struct imp_err *e)
{
	struct imp_spool_file was;
	sqlite3_stmt *s;
	int rc, found;

	if ((rc = imp_spool_file_get(db, f->queue, f->name, &was, &found, e)) != 0)
		return rc;
	if (found && (strcmp(was.hash, f->hash) != 0 || was.jobs != f->jobs))
		return imp_fail(e, EX_DATAERR, "the job file %s of queue %s is not the one an "
				"earlier run of batch %s wrote (%" PRIu64 " jobs, sha256 %.16s..., "
				"now %" PRIu64 " jobs, %.16s...); have the batch checked", f->name,
				f->queue, f->batch, was.jobs, was.hash, f->jobs, f->hash);
	if (found)      /* found as written, or written again now: not an incident any more */
		return run(db, "UPDATE spool_file SET state = 'written' WHERE queue = ? AND "
			   "name = ?", f->queue, f->name, e);
	if ((s = imp_state_prepare(db, "INSERT INTO spool_file(queue, name, batch, priority, jobs, "
				   "bytes, sha256, state) VALUES(?,?,?,?,?,?,?,'written')", e)) ==
	    NULL)
		return e->code;
	text(s, 1, f->queue);
	text(s, 2, f->name);
	text(s, 3, f->batch);
	sqlite3_bind_int(s, 4, f->priority);
	sqlite3_bind_int64(s, 5, (int64_t)f->jobs);
	sqlite3_bind_int64(s, 6, (int64_t)f->bytes);
	text(s, 7, f->hash);
	rc = step(db, s, e);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_file_incident(sqlite3 *db, const char *queue, const char *name, struct imp_err *e)
{
	return run(db, "UPDATE spool_file SET state = 'incident' WHERE queue = ? AND name = ?",
		   queue, name, e);
}

int
imp_spool_file_open_jobs(sqlite3 *db, const char *queue, const char *name, uint64_t *n,
			 struct imp_err *e)
{
	int64_t v = one_int(db, "SELECT count(*) FROM spool_job j LEFT JOIN spool_collect c ON "
			    "c.id = j.collect WHERE j.queue = ? AND j.file = ? AND "
			    "(c.sealed IS NULL OR c.sealed = 0)", queue, name, e);

	*n = v < 0 ? 0 : (uint64_t)v;
	return v < 0 ? e->code : 0;
}

int
imp_spool_log_get(sqlite3 *db, const char *queue, uint64_t *offset,
		  char hash[2 * IMP_HASH_LEN + 1], struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT offset, sha256 FROM spool_log WHERE "
					    "queue = ?", e);
	int rc;

	*offset = 0;
	hash[0] = '\0';
	if (s == NULL)
		return e->code;
	text(s, 1, queue);
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*offset = (uint64_t)sqlite3_column_int64(s, 0);
		column(s, 1, hash, 2 * IMP_HASH_LEN + 1);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_log_set(sqlite3 *db, const char *queue, uint64_t offset, const char *hash,
		  struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "INSERT OR REPLACE INTO spool_log(queue, offset, "
					    "sha256) VALUES(?, ?, ?)", e);
	int rc;

	if (s == NULL)
		return e->code;
	text(s, 1, queue);
	sqlite3_bind_int64(s, 2, (int64_t)offset);
	text(s, 3, hash);
	rc = step(db, s, e);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* ---- parked records: a batch's held or rejected records, a file each kind ----------- */

int
imp_spool_parked_get(sqlite3 *db, const char *batch, const char *kind,
		     struct imp_spool_parked *p, int *found, struct imp_err *e)
{
	sqlite3_stmt *s;
	int rc;

	*found = 0;
	memset(p, 0, sizeof *p);
	/* review reads journals that no spool-print of this version wrote yet */
	if ((rc = (int)one_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			       "name = 'spool_parked'", NULL, NULL, e)) <= 0)
		return rc < 0 ? e->code : 0;
	if ((s = imp_state_prepare(db, "SELECT records, bytes, sha256 FROM spool_parked WHERE "
				   "batch = ? AND kind = ?", e)) == NULL)
		return e->code;
	text(s, 1, batch);
	text(s, 2, kind);
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*found = 1;
		snprintf(p->batch, sizeof p->batch, "%s", batch);
		snprintf(p->kind, sizeof p->kind, "%s", kind);
		p->records = (uint64_t)sqlite3_column_int64(s, 0);
		p->bytes = (uint64_t)sqlite3_column_int64(s, 1);
		column(s, 2, p->hash, sizeof p->hash);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_parked_put(sqlite3 *db, const struct imp_spool_parked *p, struct imp_err *e)
{
	struct imp_spool_parked was;
	sqlite3_stmt *s;
	int rc, found;

	if ((rc = imp_spool_parked_get(db, p->batch, p->kind, &was, &found, e)) != 0)
		return rc;
	if (found && (strcmp(was.hash, p->hash) != 0 || was.records != p->records))
		return imp_fail(e, EX_DATAERR, "the %s records of batch %s are not the ones an "
				"earlier run wrote (%" PRIu64 " records, sha256 %.16s..., now %"
				PRIu64 " records, %.16s...); have the batch checked", p->kind,
				p->batch, was.records, was.hash, p->records, p->hash);
	if (found)
		return 0;
	if ((s = imp_state_prepare(db, "INSERT INTO spool_parked(batch, kind, records, bytes, "
				   "sha256) VALUES(?,?,?,?,?)", e)) == NULL)
		return e->code;
	text(s, 1, p->batch);
	text(s, 2, p->kind);
	sqlite3_bind_int64(s, 3, (int64_t)p->records);
	sqlite3_bind_int64(s, 4, (int64_t)p->bytes);
	text(s, 5, p->hash);
	rc = step(db, s, e);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* ---- batches -------------------------------------------------------------------- */

int
imp_spool_batch_get(sqlite3 *db, const char *batch, struct imp_spool_batch *sb, int *found,
		    struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT spooled, records, jobs, held, rejected "
					    "FROM spool_batch WHERE batch = ?", e);
	int rc;

	*found = 0;
	if (s == NULL)
		return e->code;
	text(s, 1, batch);
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*found = 1;
		column(s, 0, sb->spooled, sizeof sb->spooled);
		sb->records = (uint64_t)sqlite3_column_int64(s, 1);
		sb->jobs = (uint64_t)sqlite3_column_int64(s, 2);
		sb->held = (uint64_t)sqlite3_column_int64(s, 3);
		sb->rejected = (uint64_t)sqlite3_column_int64(s, 4);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_batch_room(sqlite3 *db, const char *batch, uint64_t *planned, uint64_t *stock,
		     struct imp_err *e)
{
	int64_t p = one_int(db, "SELECT count(*) FROM spool_job WHERE batch = ?", batch, NULL, e);
	int64_t s = p < 0 ? -1 : one_int(db, "SELECT count(*) FROM spool_laminate WHERE "
					 "state = 'stock'", NULL, NULL, e);

	if (p < 0 || s < 0)
		return e->code ? e->code : EX_SOFTWARE;
	*planned = (uint64_t)p;
	*stock = (uint64_t)s;
	return 0;
}

int
imp_spool_batch_queues(sqlite3 *db, const char *batch, imp_spool_count_fn *fn, void *arg,
		       struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT queue, priority, count(*) FROM spool_job "
					    "WHERE batch = ? GROUP BY 1, 2", e);
	int rc;

	if (s == NULL)
		return e->code;
	text(s, 1, batch);
	while ((rc = step(db, s, e)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int(s, 1),
		   (uint64_t)sqlite3_column_int64(s, 2));
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_unfinished(sqlite3 *db, const char *batch, imp_spool_count_fn *fn, void *arg,
		     struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT batch, count(*) FROM spool_job WHERE "
					    "state = 'planned' AND batch <> ? GROUP BY batch", e);
	int rc;

	if (s == NULL)
		return e->code;
	text(s, 1, batch);
	while ((rc = step(db, s, e)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(s, 0), 0,
		   (uint64_t)sqlite3_column_int64(s, 1));
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* The ledger: the batch's jobs' passports are spooled. */
static int
ledger_spooled(sqlite3 *db, const char *batch, struct imp_err *e)
{
	return imp_ledger_set_all(db, "SELECT number FROM spool_job WHERE batch = ?1 AND "
				  "state = 'spooled'", batch, "spooled", e);
}

int
imp_spool_batch_spooled(sqlite3 *db, const struct imp_batch *b, const struct imp_spool_batch *sb,
			struct imp_err *e)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = imp_state_begin(db, e)) != 0)
		return rc;
	if ((rc = run(db, "UPDATE spool_job SET state = 'spooled' WHERE batch = ? AND state = "
		      "'planned'", b->id, NULL, e)) == 0 &&
	    (s = imp_state_prepare(db, "INSERT INTO spool_batch VALUES(?,?,?,?,?,?,?,?)", e)) == NULL)
		rc = e->code;
	if (rc == 0) {
		text(s, 1, b->id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)sb->records);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)sb->jobs);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)sb->held);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)sb->rejected);
		text(s, 6, sb->spooled);
		if (b->prov_line)
			sqlite3_bind_text(s, 7, b->prov_line, (int)b->prov_len, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, b->seal_line, (int)b->seal_len, SQLITE_STATIC);
		rc = step(db, s, e) < 0 ? e->code : 0;
		imp_state_release(s);
	}
	if (rc == 0)
		rc = ledger_spooled(db, b->id, e);
	if (rc == 0)
		return imp_state_commit(db, e);
	imp_state_rollback(db);
	return rc;
}

int
imp_spool_batch_origin(sqlite3 *db, const char *batch, struct imp_batch *orig, int *found,
		       struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT prov, seal FROM spool_batch WHERE batch = ?",
					    e);
	int rc;

	*found = 0;
	if (s == NULL)
		return e->code;
	text(s, 1, batch);
	rc = step(db, s, e);
	if (rc == SQLITE_ROW) {
		*found = 1;
		if ((sqlite3_column_type(s, 0) != SQLITE_NULL &&
		     imp_parse_provenance((const char *)sqlite3_column_text(s, 0),
					  (size_t)sqlite3_column_bytes(s, 0), orig) != 0) ||
		    imp_parse_seal((const char *)sqlite3_column_text(s, 1),
				   (size_t)sqlite3_column_bytes(s, 1), orig) != 0)
			rc = -imp_fail(e, EX_DATAERR, "the journal of batch %s holds no readable "
				       "provenance", batch);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* ---- laminates ------------------------------------------------------------------ */

int
imp_spool_laminates_issue(sqlite3 *db, const char *file, const char *serials, size_t len,
			  uint64_t *added, struct imp_err *e)
{
	sqlite3_stmt *s = NULL, *ins = NULL;
	const char *p, *nl;
	char at[21];
	int64_t id;
	int rc;

	*added = 0;
	imp_utc(at);
	if ((rc = imp_state_begin(db, e)) != 0)
		return rc;
	rc = EX_SOFTWARE;
	if ((s = imp_state_prepare(db, "INSERT INTO spool_issue(at, file, serials) VALUES(?,?,?)",
				   e)) == NULL)
		goto rollback;
	text(s, 1, at);
	text(s, 2, file);
	sqlite3_bind_text(s, 3, serials ? serials : "", (int)len, SQLITE_STATIC);
	if (step(db, s, e) < 0)
		goto rollback;
	id = sqlite3_last_insert_rowid(db);
	if ((ins = imp_state_prepare(db, "INSERT OR IGNORE INTO spool_laminate(serial, issue, "
				     "state) VALUES(?, ?, 'stock')", e)) == NULL)
		goto rollback;
	for (p = serials; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, p, (int)(nl - p), SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, id);
		if (step(db, ins, e) < 0)
			goto rollback;
		*added += (uint64_t)sqlite3_changes(db);
	}
	imp_state_release(s);
	imp_state_release(ins);
	return imp_state_commit(db, e);
rollback:
	imp_state_release(s);
	imp_state_release(ins);
	imp_state_rollback(db);
	return e->code ? e->code : rc;
}

int
imp_spool_laminate_next(sqlite3 *db, char serial[IMP_SERIAL_LEN + 1], int *found,
			struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT serial FROM spool_laminate WHERE state = "
					    "'stock' ORDER BY serial LIMIT 1", e);
	int rc;

	*found = 0;
	if (s == NULL)
		return e->code;
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*found = 1;
		column(s, 0, serial, IMP_SERIAL_LEN + 1);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_laminate_get(sqlite3 *db, const char *serial, char state[16], char job[16],
		       int *found, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT state, job FROM spool_laminate WHERE "
					    "serial = ?", e);
	int rc;

	*found = 0;
	state[0] = job[0] = '\0';
	if (s == NULL)
		return e->code;
	text(s, 1, serial);
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*found = 1;
		column(s, 0, state, 16);
		column(s, 1, job, 16);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_laminate_counts(sqlite3 *db, struct imp_spool_account *a, struct imp_err *e)
{
	static const char *const states[] = { "used", "spoiled", "assigned", "stock" };
	int64_t v[5];
	size_t i;

	v[4] = one_int(db, "SELECT count(*) FROM spool_laminate", NULL, NULL, e);
	for (i = 0; i < 4 && v[4] >= 0; i++)
		if ((v[i] = one_int(db, "SELECT count(*) FROM spool_laminate WHERE state = ?",
				    states[i], NULL, e)) < 0)
			return e->code;
	if (v[4] < 0)
		return e->code;
	a->used = (uint64_t)v[0];
	a->spoiled = (uint64_t)v[1];
	a->assigned = (uint64_t)v[2];
	a->stock = (uint64_t)v[3];
	a->issued = (uint64_t)v[4];
	return 0;
}

int
imp_spool_each_stock(sqlite3 *db, imp_spool_serial_fn *fn, void *arg, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT serial FROM spool_laminate WHERE state = "
					    "'stock' ORDER BY serial", e);
	int rc;

	if (s == NULL)
		return e->code;
	while ((rc = step(db, s, e)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(s, 0), NULL, NULL);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_each_unaccounted_issue(sqlite3 *db, imp_spool_serial_fn *fn, void *arg,
				 struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT serials, file, at FROM spool_issue ORDER "
					    "BY id", e);
	sqlite3_stmt *f = s ? imp_state_prepare(db, "SELECT 1 FROM spool_laminate WHERE serial = ?",
						e) : NULL;
	char serial[IMP_SERIAL_LEN + 16];
	const char *p, *nl;
	int rc = SQLITE_DONE;

	while (s && f && (rc = step(db, s, e)) == SQLITE_ROW) {
		for (p = (const char *)sqlite3_column_text(s, 0); p && *p; p = nl + 1) {
			if ((nl = strchr(p, '\n')) == NULL)
				break;
			sqlite3_reset(f);
			sqlite3_bind_text(f, 1, p, (int)(nl - p), SQLITE_STATIC);
			if ((rc = step(db, f, e)) == SQLITE_ROW)
				continue;
			if (rc < 0)
				break;
			snprintf(serial, sizeof serial, "%.*s", (int)(nl - p), p);
			fn(arg, serial, (const char *)sqlite3_column_text(s, 1),
			   (const char *)sqlite3_column_text(s, 2));
		}
		if (rc < 0)
			break;
	}
	imp_state_release(s);
	imp_state_release(f);
	if (s == NULL || f == NULL || rc < 0)
		return e->code ? e->code : EX_SOFTWARE;
	return 0;
}

/* ---- the jobs of a collection, a reprint, the printers ----------------------------- */

int
imp_spool_each_spooled(sqlite3 *db, imp_spool_job_fn *fn, void *arg, struct imp_err *e)
{
	return each_job(db, "state = 'spooled' ORDER BY laminate", NULL, -1, fn, arg, e);
}

int
imp_spool_each_printed(sqlite3 *db, int64_t collection, imp_spool_job_fn *fn, void *arg,
		       struct imp_err *e)
{
	return each_job(db, "collect = ? AND state = 'printed' ORDER BY number", NULL, collection,
			fn, arg, e);
}

int
imp_spool_each_spoiled(sqlite3 *db, const char *batch, imp_spool_job_fn *fn, void *arg,
		       struct imp_err *e)
{
	return each_job(db, "batch = ? AND state = 'spoiled' AND reprint IS NULL ORDER BY number",
			batch, -1, fn, arg, e);
}

/* ---- collections ---------------------------------------------------------------- */

int
imp_spool_collection_open(sqlite3 *db, int64_t *id, char batch[IMP_ID_MAX + 1],
			  struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT id, batch FROM spool_collect WHERE "
					    "sealed = 0 ORDER BY id LIMIT 1", e);
	int rc;

	*id = 0;
	if (s == NULL)
		return e->code;
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		column(s, 1, batch, IMP_ID_MAX + 1);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_collection_new(sqlite3 *db, int64_t *id, char batch[IMP_ID_MAX + 1], struct imp_err *e)
{
	sqlite3_stmt *s;
	char at[21], day[9];
	int rc;

	imp_utc(at);
	snprintf(day, sizeof day, "%.4s%.2s%.2s", at, at + 5, at + 8);
	if ((rc = run(db, "INSERT INTO spool_collect(batch, created) VALUES('', ?)", at, NULL,
		      e)) != 0)
		return rc;
	*id = sqlite3_last_insert_rowid(db);
	snprintf(batch, IMP_ID_MAX + 1, "PRINTED-%s-%04" PRId64, day, *id);
	if ((s = imp_state_prepare(db, "UPDATE spool_collect SET batch = ? WHERE id = ?", e)) == NULL)
		return e->code;
	text(s, 1, batch);
	sqlite3_bind_int64(s, 2, *id);
	rc = step(db, s, e);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_collection_counts(sqlite3 *db, int64_t id, uint64_t *jobs, uint64_t *printed,
			    uint64_t *spoiled, struct imp_err *e)
{
	static const char sql[] = "SELECT count(*), sum(state = 'printed'), sum(state = 'spoiled') "
		"FROM spool_job WHERE collect = ?";
	sqlite3_stmt *s;
	int rc;

	*jobs = *printed = *spoiled = 0;
	if (id <= 0)
		return 0;
	if ((s = imp_state_prepare(db, sql, e)) == NULL)
		return e->code;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = step(db, s, e)) == SQLITE_ROW) {
		*jobs = (uint64_t)sqlite3_column_int64(s, 0);
		*printed = (uint64_t)sqlite3_column_int64(s, 1);
		*spoiled = (uint64_t)sqlite3_column_int64(s, 2);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

int
imp_spool_job_collected(sqlite3 *db, const char *number, int *sealed, struct imp_err *e)
{
	int64_t n = one_int(db, "SELECT count(*) FROM spool_job j JOIN spool_collect c ON c.id = "
			    "j.collect WHERE j.number = ? AND c.sealed = 1", number, NULL, e);

	*sealed = n > 0;
	return n < 0 ? e->code : 0;
}

int
imp_spool_collection_sealed(sqlite3 *db, struct imp_err *e)
{
	return imp_state_exec(db, "UPDATE spool_collect SET sealed = 1 WHERE id = "
			      "(SELECT max(id) FROM spool_collect)", e);
}

/* ---- reprints ------------------------------------------------------------------- */

int
imp_spool_reprint_next(sqlite3 *db, char batch[IMP_ID_MAX + 1], uint64_t *earlier,
		       uint64_t *more, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT batch FROM spool_job WHERE state = "
					    "'spoiled' AND reprint IS NULL GROUP BY batch ORDER BY "
					    "min(rowid) LIMIT 1", e);
	int64_t n = 0, m = 0;
	int rc;

	batch[0] = '\0';
	*earlier = *more = 0;
	if (s == NULL)
		return e->code;
	if ((rc = step(db, s, e)) == SQLITE_ROW)
		column(s, 0, batch, IMP_ID_MAX + 1);
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	if (batch[0] == '\0')
		return 0;
	if ((n = one_int(db, "SELECT count(DISTINCT reprint) FROM spool_job WHERE batch = ?",
			 batch, NULL, e)) < 0 ||
	    (m = one_int(db, "SELECT count(DISTINCT batch) FROM spool_job WHERE state = "
			 "'spoiled' AND reprint IS NULL AND batch <> ?", batch, NULL, e)) < 0)
		return e->code;
	*earlier = (uint64_t)n;
	*more = (uint64_t)m;
	return 0;
}

int
imp_spool_reprint_mark(sqlite3 *db, const char *batch, const char *rid, uint64_t *n,
		       struct imp_err *e)
{
	int rc = run(db, "UPDATE spool_job SET reprint = ? WHERE batch = ? AND state = 'spoiled' "
		     "AND reprint IS NULL", rid, batch, e);

	*n = rc == 0 ? (uint64_t)sqlite3_changes(db) : 0;
	return rc;
}

/* ---- incidents ------------------------------------------------------------------ */

int
imp_spool_incident(sqlite3 *db, const char *queue, const char *folder, const char *name,
		   const char *number, const char *why, char moved_to[32], struct imp_err *e)
{
	sqlite3_stmt *s;
	char at[21];
	int rc;

	imp_utc(at);
	if ((s = imp_state_prepare(db, "INSERT INTO spool_incident(at, queue, folder, name, "
				   "moved_to, number, why) VALUES(?, ?, ?, ?, '', ?, ?)", e)) == NULL)
		return e->code;
	text(s, 1, at);
	text(s, 2, queue);
	text(s, 3, folder);
	text(s, 4, name);
	text(s, 5, number);
	text(s, 6, why);
	rc = step(db, s, e);
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	snprintf(moved_to, 32, "INC-%08" PRId64, (int64_t)sqlite3_last_insert_rowid(db));
	return 0;
}

int
imp_spool_incident_known(sqlite3 *db, const char *queue, const char *name, int *known,
			 struct imp_err *e)
{
	int64_t n = one_int(db, "SELECT count(*) FROM spool_incident WHERE queue = ? AND name = ?",
			    queue, name, e);

	*known = n > 0;
	return n < 0 ? e->code : 0;
}

int
imp_spool_incident_moved(sqlite3 *db, const char *moved_to, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "UPDATE spool_incident SET moved_to = ? WHERE id = ?",
					    e);
	int rc;

	if (s == NULL)
		return e->code;
	text(s, 1, moved_to);
	sqlite3_bind_int64(s, 2, strtoll(moved_to + strlen("INC-"), NULL, 10));
	rc = step(db, s, e);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* ---- for the report (inspect --spooled) --------------------------------------------- */

/*
 * spool-print's journal of one batch as key=value lines into out: what it
 * spooled (spool_batch: records, jobs, held, rejected, when) and its jobs
 * by state now (spool_job: spooled, printed, spoiled). 0, or 1 when the
 * batch was never spooled in this database.
 */
int
imp_spool_counts(sqlite3 *db, const char *batch, struct imp_buf *out, struct imp_err *e)
{
	static const char *const states[] = { "spooled", "printed", "spoiled" };
	sqlite3_stmt *s;
	long long n[3] = { 0, 0, 0 };
	size_t i;
	int rc;

	if ((s = imp_state_prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
				   "AND name IN ('spool_batch', 'spool_job')", e)) == NULL)
		return e->code;
	rc = sqlite3_step(s);
	n[0] = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	imp_state_release(s);
	if (rc != SQLITE_ROW)
		return imp_state_fail(db, e, "reading the spool journal");
	if (n[0] < 2)
		return 1;
	n[0] = 0;
	if ((s = imp_state_prepare(db, "SELECT records, jobs, held, rejected, spooled FROM "
				   "spool_batch WHERE batch = ?", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		imp_buf_printf(out, "batch=%s\nspooled=%s\nrecords=%lld\njobs=%lld\nheld=%lld\n"
			       "rejected=%lld\n", batch, (const char *)sqlite3_column_text(s, 4),
			       (long long)sqlite3_column_int64(s, 0),
			       (long long)sqlite3_column_int64(s, 1),
			       (long long)sqlite3_column_int64(s, 2),
			       (long long)sqlite3_column_int64(s, 3));
	imp_state_release(s);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return imp_state_fail(db, e, "reading the spool journal");
	if ((s = imp_state_prepare(db, "SELECT state, count(*) FROM spool_job WHERE batch = ? "
				   "GROUP BY state", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		for (i = 0; i < 3; i++)
			if (strcmp((const char *)sqlite3_column_text(s, 0), states[i]) == 0)
				n[i] = sqlite3_column_int64(s, 1);
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "reading the spool journal");
	for (i = 0; i < 3; i++)
		imp_buf_printf(out, "jobs.%s=%lld\n", states[i], n[i]);
	return out->oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}
