/* SPDX-License-Identifier: ISC */
/*
 * The issuance ledger: every passport number ever given (series_number)
 * with the state of its passport (given, sealed, spooled, printed,
 * spoiled, dispatched, void), shared by render-mrz, sign, spool-print and
 * manifest-courier through one state database. Also what makes the
 * database trustworthy between runs:
 *
 * - an identity (a random id made with the database) and a high-water
 *   mark (how many numbers were ever given, the last one and its batch),
 *   written into the database and into a mark file beside it
 *   (.NAME.mark). A database that is missing, empty, older than its mark
 *   or another office's is refused: it would give numbers again;
 * - a quick_check of the ledger's and the spool's tables when opened;
 * - each batch id bound to the root of its first sealed stage (ingest),
 *   so one id never names two sets of records.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "series.h"

#define MARK_MAX 1024

static const char migrate_sql[] =
	"ALTER TABLE series_number RENAME TO series_number_v1;"
	"DROP INDEX IF EXISTS series_live;"
	"DROP INDEX IF EXISTS series_batch;";

static const char number_sql[] =
	"CREATE TABLE IF NOT EXISTS series_number ("
	" number TEXT PRIMARY KEY, range TEXT NOT NULL REFERENCES series_range(name),"
	" batch TEXT NOT NULL, tracking TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('given', 'sealed', 'spooled', 'printed',"
	"  'spoiled', 'dispatched', 'void')),"
	" given TEXT NOT NULL, changed TEXT NOT NULL, why TEXT, cnic TEXT, reprint_of TEXT);"
	"CREATE UNIQUE INDEX IF NOT EXISTS series_live ON series_number (batch, tracking)"
	" WHERE state != 'void';"
	"CREATE INDEX IF NOT EXISTS series_batch ON series_number (batch, state);"
	"CREATE INDEX IF NOT EXISTS series_tracking ON series_number (tracking);"
	"CREATE INDEX IF NOT EXISTS series_cnic ON series_number (cnic) WHERE cnic IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ledger_batch (batch TEXT PRIMARY KEY, root TEXT NOT NULL,"
	" stage TEXT NOT NULL, at TEXT NOT NULL);";

/* the tables checked when the database is opened: the ledger's and the
 * spool's, not the history (dedup's, the bulk of the file) */
static const char *const checked[] = {
	"series_range", "series_number", "ledger_meta", "ledger_batch", "spool_job",
	"spool_job_record", "spool_batch", "spool_laminate", "spool_collect", "courier_consignment",
	"courier_batch",
};

static int
has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *s;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
			       "name = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static int
has_column(sqlite3 *db, const char *table, const char *column)
{
	char sql[128];
	sqlite3_stmt *s;
	int found = 0;

	snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	while (!found && sqlite3_step(s) == SQLITE_ROW)
		found = strcmp((const char *)sqlite3_column_text(s, 1), column) == 0;
	sqlite3_finalize(s);
	return found;
}

/* Damage found when the database is opened, not in the middle of a batch. */
static int
quick_check(sqlite3 *db, const char *path, struct imp_err *e)
{
	char sql[96];
	sqlite3_stmt *s;
	const char *what;
	size_t i;
	int rc, bad;

	for (i = 0; i < sizeof checked / sizeof checked[0]; i++) {
		if (has_table(db, checked[i]) != 1)
			continue;
		snprintf(sql, sizeof sql, "PRAGMA quick_check(%s)", checked[i]);
		if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
			return imp_fail(e, EX_DATAERR, "the state database %s is damaged (%s): "
					"restore it from its backup (README, Backup)", path,
					sqlite3_errmsg(db));
		rc = sqlite3_step(s);
		what = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
		bad = rc != SQLITE_ROW || what == NULL || strcmp(what, "ok") != 0;
		if (bad)
			imp_fail(e, EX_DATAERR, "the state database %s is damaged (table %s: %s): "
				 "restore it from its backup (README, Backup); nothing was done",
				 path, checked[i], what ? what : sqlite3_errmsg(db));
		sqlite3_finalize(s);
		if (bad)
			return e->code;
	}
	return 0;
}

/* The ledger's tables, made or brought up to date (an older series_number
 * has neither the CNIC nor the later states of a number). */
static int
schema(sqlite3 *db, struct imp_err *e)
{
	int rc, old;

	if ((rc = imp_series_init(db, e)) != 0)
		return rc;
	if ((old = has_table(db, "series_number")) == 1 &&
	    (old = has_column(db, "series_number", "cnic")) == 0) {
		if ((rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
			return rc;
		if ((rc = imp_state_exec(db, migrate_sql, e)) == 0 &&
		    (rc = imp_state_exec(db, number_sql, e)) == 0 &&
		    (rc = imp_state_exec(db, "INSERT INTO series_number(number, range, batch, "
					 "tracking, state, given, changed, why) SELECT * FROM "
					 "series_number_v1; DROP TABLE series_number_v1;", e)) == 0)
			return imp_state_exec(db, "COMMIT", e);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (old < 0)
		return imp_state_fail(db, e, "state database");
	return imp_state_exec(db, number_sql, e);
}

struct mark {
	char id[33];
	uint64_t numbers;
	char last[IMP_NUMBER_LEN + 1];
	char batch[IMP_ID_MAX + 1];
};

static void
mark_path(const char *db, char *out, size_t n)
{
	char a[4096], b[4096];

	snprintf(a, sizeof a, "%s", db);
	snprintf(b, sizeof b, "%s", db);
	snprintf(out, n, "%s/.%s.mark", dirname(a), basename(b));
}

/* The mark file: 0 read, 1 absent, else an error. */
static int
mark_read(const char *path, struct mark *m, struct imp_err *e)
{
	char buf[MARK_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd;

	memset(m, 0, sizeof *m);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		return imp_fail(e, EX_DATAERR, "cannot read the ledger's mark %s: %s; it must be "
				"a regular file written by render-mrz", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MARK_MAX) {
		close(fd);
		return imp_fail(e, EX_DATAERR, "the ledger's mark %s is not a regular file of at "
				"most %d bytes: move it aside and restore it from the backup of "
				"the spool", path, MARK_MAX);
	}
	n = read(fd, buf, MARK_MAX);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "ledger %32[0-9a-f]\nnumbers %" SCNu64 "\nlast %9[A-Z0-9-]\nbatch %64s",
		   m->id, &m->numbers, m->last, m->batch) != 4 || strlen(m->id) != 32)
		return imp_fail(e, EX_DATAERR, "the ledger's mark %s is not one render-mrz wrote: "
				"restore it from the backup of the spool", path);
	return 0;
}

static int
meta(sqlite3 *db, const char *key, char *out, size_t n, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT value FROM ledger_meta WHERE key = ?1", e);
	int rc;

	if (s == NULL)
		return e->code;
	out[0] = '\0';
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(out, n, "%s", sqlite3_column_text(s, 0));
	imp_state_release(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "state database");
}

/* What the database knows: its id, how many numbers it gave, the last. */
static int
db_mark(sqlite3 *db, struct mark *m, struct imp_err *e)
{
	sqlite3_stmt *s;
	int rc;

	memset(m, 0, sizeof *m);
	if ((rc = meta(db, "id", m->id, sizeof m->id, e)) != 0)
		return rc;
	if ((s = imp_state_prepare(db, "SELECT count(*), (SELECT number FROM series_number "
				   "ORDER BY given DESC, rowid DESC LIMIT 1), (SELECT batch FROM "
				   "series_number ORDER BY given DESC, rowid DESC LIMIT 1) FROM "
				   "series_number", e)) == NULL)
		return e->code;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m->numbers = (uint64_t)sqlite3_column_int64(s, 0);
		snprintf(m->last, sizeof m->last, "%s", sqlite3_column_type(s, 1) == SQLITE_NULL ?
			 "-" : (const char *)sqlite3_column_text(s, 1));
		snprintf(m->batch, sizeof m->batch, "%s", sqlite3_column_type(s, 2) == SQLITE_NULL ?
			 "-" : (const char *)sqlite3_column_text(s, 2));
	}
	imp_state_release(s);
	return rc == SQLITE_ROW ? 0 : imp_state_fail(db, e, "state database");
}

static int
mark_write(const char *path, const struct mark *m, struct imp_err *e)
{
	char text[MARK_MAX];
	int n = snprintf(text, sizeof text, "ledger %s\nnumbers %" PRIu64 "\nlast %s\nbatch %s\n",
			 m->id, m->numbers, m->last, m->batch);

	return imp_write_file(path, text, (size_t)n, e);
}

/* The database's path: as given, else the spool's state.db. */
static const char *
db_path(const char *path, char def[4096], struct imp_err *e)
{
	const char *spool = imp_spool_path(NULL);

	if (path != NULL && *path != '\0')
		return path;
	if (mkdir(spool, 0700) != 0 && errno != EEXIST) {
		imp_fail(e, EX_CANTCREAT, "cannot create the spool folder %s: %s", spool,
			 strerror(errno));
		return NULL;
	}
	if ((size_t)snprintf(def, 4096, "%s/state.db", spool) >= 4096) {
		imp_fail(e, EX_USAGE, "the spool path %s is too long", imp_spool_path(NULL));
		return NULL;
	}
	return def;
}

int
imp_ledger_mark(sqlite3 *db, const char *path, struct imp_err *e)
{
	char file[4200], def[4096];
	struct mark m;
	int rc;

	if ((path = db_path(path, def, e)) == NULL)
		return e->code;
	mark_path(path, file, sizeof file);
	if ((rc = db_mark(db, &m, e)) != 0)
		return rc;
	return mark_write(file, &m, e);
}

static int
new_identity(sqlite3 *db, struct imp_err *e)
{
	unsigned char r[16];
	char hex[33], now[21], sql[160];

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return imp_fail(e, EX_OSERR, "cannot make the ledger's id: %s", strerror(errno));
	imp_hex(r, sizeof r, hex);
	imp_utc(now);
	snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO ledger_meta VALUES ('id', '%s'), "
		 "('created', '%s')", hex, now);
	return imp_state_exec(db, sql, e);
}

/*
 * The database against its mark: a new database (no id) beside a mark is
 * a lost one; another id is another office's; fewer numbers than the mark
 * is an older backup. Any of these would give numbers again: refused.
 */
static int
identity(sqlite3 *db, const char *path, struct imp_err *e)
{
	char file[4200];
	struct mark d, f;
	int rc, absent;

	mark_path(path, file, sizeof file);
	if ((absent = mark_read(file, &f, e)) > 1)
		return absent;
	if ((rc = db_mark(db, &d, e)) != 0)
		return rc;
	if (d.id[0] == '\0' && !absent)
		return imp_fail(e, EX_DATAERR, "the state database %s is new or empty, but %s "
				"shows its ledger %s gave %" PRIu64 " passport numbers, the last %s "
				"(batch %s): restore state.db from its backup (README, Backup); "
				"starting a new one would give those numbers again", path, file,
				f.id, f.numbers, f.last, f.batch);
	if (d.id[0] == '\0' && (rc = new_identity(db, e)) == 0)
		rc = db_mark(db, &d, e);
	if (rc != 0)
		return rc;
	if (!absent && strcmp(d.id, f.id) != 0)
		return imp_fail(e, EX_DATAERR, "the state database %s is ledger %s, but %s shows "
				"ledger %s (%" PRIu64 " numbers, the last %s of batch %s): this "
				"is another office's or another spool's database; restore this "
				"spool's state.db from its backup", path, d.id, file, f.id,
				f.numbers, f.last, f.batch);
	if (!absent && d.numbers < f.numbers)
		return imp_fail(e, EX_DATAERR, "the state database %s is older than its spool: it "
				"gave %" PRIu64 " passport numbers (the last %s), but %s shows %"
				PRIu64 " (the last %s of batch %s): restore the latest backup; an "
				"older one would give the numbers since again", path, d.numbers,
				d.last, file, f.numbers, f.last, f.batch);
	if (absent || d.numbers > f.numbers)
		return mark_write(file, &d, e);
	return 0;
}

int
imp_ledger_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e)
{
	char def[4096];
	int rc;

	if ((path = db_path(path, def, e)) == NULL)
		return e->code;
	if ((rc = imp_state_open(path, busy_ms, db, e)) == 0 &&
	    (rc = quick_check(*db, path, e)) == 0 &&
	    (rc = schema(*db, e)) == 0 &&
	    (rc = imp_state_exec(*db, "BEGIN IMMEDIATE", e)) == 0) {
		if ((rc = identity(*db, path, e)) == 0)
			rc = imp_state_exec(*db, "COMMIT", e);
		else
			sqlite3_exec(*db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (rc != 0) {
		imp_state_close(*db);
		*db = NULL;
	}
	return rc;
}

/* ---- batches bound to their records ------------------------------------------ */

void
imp_ledger_origin(const struct imp_batch *b, char hex[2 * IMP_HASH_LEN + 1])
{
	imp_hex(b->nprov > 0 ? b->prov[0].root : b->seal.root, IMP_HASH_LEN, hex);
}

int
imp_ledger_bind(sqlite3 *db, const struct imp_batch *b, const char *stage, struct imp_err *e)
{
	char hex[2 * IMP_HASH_LEN + 1], now[21];
	const char *first = b->nprov > 0 ? b->prov[0].stage : b->seal.stage;
	sqlite3_stmt *s;
	int rc;

	imp_ledger_origin(b, hex);
	if ((s = imp_state_prepare(db, "SELECT root, stage, at FROM ledger_batch WHERE batch = ?1",
				   e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, b->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(s, 0), hex) != 0)
			rc = -imp_fail(e, EX_DATAERR, "batch %s is bound to other records: %s saw "
				       "it at %s with %s root sha256:%s; this stream's %s root is "
				       "sha256:%s. A batch id names one set of records: ingest the "
				       "new export under its own batch id (ingest -b NEW-ID)", b->id,
				       sqlite3_column_text(s, 1), sqlite3_column_text(s, 2), first,
				       sqlite3_column_text(s, 0), first, hex);
	}
	imp_state_release(s);
	if (rc < 0)
		return -rc;
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "state database");
	if ((s = imp_state_prepare(db, "INSERT INTO ledger_batch VALUES (?1, ?2, ?3, ?4)", e)) ==
	    NULL)
		return e->code;
	imp_utc(now);
	sqlite3_bind_text(s, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "binding the batch id");
}

/* ---- one passport per application --------------------------------------------- */

/* The first row of s by (given, rowid): the query has no ORDER BY, which
 * made SQLite build a temporary B-tree for every record looked up; it
 * finds a handful of rows at most (those of one application or person). */
static int
other_row(sqlite3 *db, sqlite3_stmt *s, int kind, struct imp_ledger_other *o, struct imp_err *e)
{
	char given[32] = "";
	sqlite3_int64 rowid = 0;
	const char *g;
	int rc, c;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		g = (const char *)sqlite3_column_text(s, 4);
		c = o->kind == IMP_LEDGER_NONE ? -1 : strcmp(g ? g : "", given);
		if (c > 0 || (c == 0 && sqlite3_column_int64(s, 5) > rowid))
			continue;
		o->kind = kind;
		snprintf(given, sizeof given, "%s", g ? g : "");
		rowid = sqlite3_column_int64(s, 5);
		snprintf(o->number, sizeof o->number, "%s", sqlite3_column_text(s, 0));
		snprintf(o->batch, sizeof o->batch, "%s", sqlite3_column_text(s, 1));
		snprintf(o->state, sizeof o->state, "%s", sqlite3_column_text(s, 2));
		snprintf(o->tracking, sizeof o->tracking, "%s", sqlite3_column_text(s, 3));
	}
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return -imp_state_fail(db, e, "reading the issuance ledger");
	return o->kind != IMP_LEDGER_NONE;
}

int
imp_ledger_conflict(sqlite3 *db, const char *batch, const char *tracking, const char *cnic,
		    struct imp_ledger_other *o, struct imp_err *e)
{
	sqlite3_stmt *s;
	int rc;

	memset(o, 0, sizeof *o);
	if ((s = imp_state_prepare(db, "SELECT number, batch, state, tracking, given, rowid FROM "
				   "series_number WHERE tracking = ?1 AND batch <> ?2 AND state "
				   "NOT IN ('void', 'spoiled')", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, tracking, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, batch, -1, SQLITE_STATIC);
	if ((rc = other_row(db, s, IMP_LEDGER_ISSUED, o, e)) != 0 || cnic == NULL || *cnic == '\0')
		return rc < 0 ? -rc : 0;
	if ((s = imp_state_prepare(db, "SELECT number, batch, state, tracking, given, rowid FROM "
				   "series_number WHERE cnic = ?1 AND batch <> ?2 AND tracking <> "
				   "?3 AND state IN ('given', 'sealed', 'spooled')", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, cnic, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, tracking, -1, SQLITE_STATIC);
	rc = other_row(db, s, IMP_LEDGER_IN_PRODUCTION, o, e);
	return rc < 0 ? -rc : 0;
}

/* ---- the passport's state ---------------------------------------------------- */

int
imp_ledger_set(sqlite3 *db, const char *number, const char *state, const char *why,
	       struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "UPDATE series_number SET state = ?2, changed = "
					    "?3, why = coalesce(?4, why) WHERE number = ?1 AND "
					    "state <> 'void'", e);
	char now[21];
	int rc;

	if (s == NULL)
		return e->code;
	imp_utc(now);
	sqlite3_bind_text(s, 1, number, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_TRANSIENT);
	if (why != NULL)
		sqlite3_bind_text(s, 4, why, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "recording a passport's state");
}

/* imp_ledger_set for each number the query (one text parameter, ?1)
 * selects, in one statement; the time is the statement's. */
int
imp_ledger_set_all(sqlite3 *db, const char *select, const char *param, const char *state,
		   struct imp_err *e)
{
	char sql[512], now[21];
	sqlite3_stmt *s;
	int rc;

	if ((size_t)snprintf(sql, sizeof sql, "UPDATE series_number SET state = ?2, changed = ?3 "
			     "WHERE number IN (%s) AND state <> 'void'", select) >= sizeof sql)
		return imp_fail(e, EX_SOFTWARE, "a ledger query too long");
	if ((s = imp_state_prepare(db, sql, e)) == NULL)
		return e->code;
	imp_utc(now);
	sqlite3_bind_text(s, 1, param, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "recording the passports' state");
}

/* 1 when this ledger gave number to record tracking of batch and it was
 * not printed or voided since (given or sealed), 0 when not (or the
 * database has no ledger), -1 on error. */
int
imp_ledger_held(sqlite3 *db, const char *number, const char *tracking, const char *batch,
		struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = "
					    "'table' AND name = 'series_number'", e);
	int rc, has;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	has = rc == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
	imp_state_release(s);
	if (rc != SQLITE_ROW)
		return imp_state_fail(db, e, "reading the issuance ledger"), -1;
	if (!has)
		return 0;
	if ((s = imp_state_prepare(db, "SELECT count(*) FROM series_number WHERE number = ?1 AND "
				   "tracking = ?2 AND batch = ?3 AND state IN ('given', 'sealed')",
				   e)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, number, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, tracking, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, batch, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	has = rc == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
	imp_state_release(s);
	if (rc != SQLITE_ROW) {
		imp_state_fail(db, e, "reading the issuance ledger");
		return -1;
	}
	return has;
}

/* The number of a held record, never spooled, void: an officer decided the
 * record (review); if it goes on, render-mrz gives it another. */
int
imp_ledger_void_held(sqlite3 *db, const char *number, const char *tracking, const char *why,
		     struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "UPDATE series_number SET state = 'void', changed "
					    "= ?3, why = ?4 WHERE number = ?1 AND tracking = ?2 "
					    "AND state IN ('given', 'sealed')", e);
	char now[21];
	int rc;

	if (s == NULL)
		return e->code;
	imp_utc(now);
	sqlite3_bind_text(s, 1, number, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, tracking, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, why, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "voiding a held record's number");
}

/*
 * The passport numbers a sealed stream carries, against the ledger: each
 * must have been given by this ledger to that record of that batch and not
 * be void. bad gets one line per number that is not (at most 20).
 */
int
imp_ledger_carried(sqlite3 *db, const char *batch, const char *number, const char *tracking,
		   struct imp_buf *bad, uint64_t *nbad, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT batch, tracking, state, why FROM "
					    "series_number WHERE number = ?1", e);
	int rc;

	if (s == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, number, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 2), "void") != 0 &&
	    strcmp((const char *)sqlite3_column_text(s, 0), batch) == 0 &&
	    strcmp((const char *)sqlite3_column_text(s, 1), tracking) == 0) {
		imp_state_release(s);
		return 0;
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		if ((*nbad)++ < 20) {
			if (rc == SQLITE_DONE)
				imp_buf_printf(bad, "  %s (record %s): never given by this ledger\n",
					       number, tracking);
			else if (strcmp((const char *)sqlite3_column_text(s, 2), "void") == 0)
				imp_buf_printf(bad, "  %s (record %s): void (%s)\n", number, tracking,
					       sqlite3_column_type(s, 3) == SQLITE_NULL ? "no reason" :
					       (const char *)sqlite3_column_text(s, 3));
			else
				imp_buf_printf(bad, "  %s (record %s): given to record %s of batch "
					       "%s\n", number, tracking, sqlite3_column_text(s, 1),
					       sqlite3_column_text(s, 0));
		}
		rc = SQLITE_DONE;
	}
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "reading the issuance ledger");
}

/* A record line's id and passport number, when it is ok and has one, as a
 * line "NUMBER ID" of carried (the id as escaped in the line). */
void
imp_ledger_collect(const char *line, size_t len, struct imp_buf *carried)
{
	static const char at[] = "<passport number=\"";
	const char *id, *p;
	size_t idlen;
	int status;

	if (imp_record_head(line, len, &id, &idlen, &status) == 0 || status != IMP_OK_STATUS)
		return;
	if ((p = memmem(line, len, at, sizeof at - 1)) != NULL &&
	    (size_t)(line + len - p) > sizeof at + IMP_NUMBER_LEN &&
	    p[sizeof at - 1 + IMP_NUMBER_LEN] == '"')
		imp_buf_printf(carried, "%.*s %.*s\n", IMP_NUMBER_LEN, p + sizeof at - 1,
			       (int)idlen, id);
}

int
imp_ledger_check(sqlite3 *db, const char *batch, struct imp_buf *carried, const char *todo,
		 struct imp_err *e)
{
	struct imp_buf bad = { 0 };
	uint64_t nbad = 0;
	char *p, *nl, *sp;
	int rc = carried->oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;

	for (p = carried->p; rc == 0 && p != NULL && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		sp = strchr(p, ' ');
		*sp = '\0';
		imp_unescape(sp + 1);
		rc = imp_ledger_carried(db, batch, p, sp + 1, &bad, &nbad, e);
	}
	if (rc == 0 && nbad > 0) {
		bad.len--;                 /* the last newline */
		bad.p[bad.len] = '\0';
		rc = imp_fail(e, EX_DATAERR, "the stream carries %" PRIu64 " passport number%s that "
			      "the ledger (%s) did not give to that record of this batch, or that "
			      "are void; %s (void numbers are never printed)%s:\n%s", nbad,
			      nbad == 1 ? "" : "s", sqlite3_db_filename(db, "main"), todo,
			      nbad > 20 ? "; the first 20" : "", imp_buf_str(&bad));
	}
	imp_buf_free(&bad);
	return rc;
}
