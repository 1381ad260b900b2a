/* SPDX-License-Identifier: ISC */
/*
 * manifest-courier's journal, in the state database beside the issuance
 * ledger: each printed batch it manifested (the date and file time of its
 * first run, and whether it finished), the last consignment number of
 * each day, and each consignment (its key, the Merkle root of its
 * passports, the sha256 of its bundle as written, whether the bundle is
 * out). A batch's consignments are numbered in one transaction, so a
 * re-run finds the same numbers, and a bundle is known by its hash, not by
 * its name.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "state.h"

#define STAGE "manifest-courier"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS courier_batch(batch TEXT PRIMARY KEY, date TEXT NOT NULL, "
	"  mtime INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS courier_day(date TEXT PRIMARY KEY, last INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS courier_consignment(number TEXT PRIMARY KEY, "
	"  batch TEXT NOT NULL, key TEXT NOT NULL, courier TEXT NOT NULL, "
	"  destination TEXT NOT NULL, category TEXT NOT NULL, count INTEGER NOT NULL, "
	"  members TEXT NOT NULL, written INTEGER NOT NULL DEFAULT 0, UNIQUE(batch, key));";

/* 1 when the journal of an earlier version lacks the bundles' hashes */
static int
needs_bundle_column(sqlite3 *db, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT count(*) FROM pragma_table_info("
					    "'courier_consignment') WHERE name = 'bundle_sha256'",
					    e);
	int rc, n = -1;

	if (s == NULL)
		return -e->code;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	imp_state_release(s);
	return rc == SQLITE_ROW ? n == 0 : -imp_state_fail(db, e, "state database");
}

int
imp_courier_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e)
{
	int rc;

	if ((rc = imp_ledger_open(path, busy_ms, db, e)) != 0)
		return rc;
	if ((rc = imp_state_exec(*db, schema_sql, e)) == 0 &&
	    (rc = needs_bundle_column(*db, e)) > 0)
		/* an earlier version's journal: bundles' hashes are kept from now on */
		rc = imp_state_exec(*db, "ALTER TABLE courier_consignment ADD COLUMN "
				    "bundle_sha256 TEXT", e);
	if (rc < 0)
		rc = -rc;
	if (rc != 0) {
		imp_state_close(*db);
		*db = NULL;
	}
	return rc;
}

static int
step_done(sqlite3 *db, sqlite3_stmt *s, struct imp_err *e)
{
	int rc = sqlite3_step(s);

	imp_state_release(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : imp_state_fail(db, e, "state database");
}

/* The batch's date and file time: the first run's, kept. */
static int
batch_row(sqlite3 *db, const char *batch, struct imp_courier_batch *b, struct imp_err *e)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = imp_state_prepare(db, "SELECT date, mtime, done FROM courier_batch WHERE "
				   "batch = ?", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(b->date, sizeof b->date, "%s", sqlite3_column_text(s, 0));
		b->mtime = sqlite3_column_int64(s, 1);
		b->done = sqlite3_column_int(s, 2);
		imp_state_release(s);
		return 0;
	}
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "state database");
	b->mtime = (int64_t)time(NULL);
	b->done = 0;
	if ((s = imp_state_prepare(db, "INSERT INTO courier_batch(batch, date, mtime) "
				   "VALUES(?, ?, ?)", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, b->date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, b->mtime);
	return step_done(db, s, e);
}

/* The day's next consignment number, C-YYYYMMDD-NNNN. */
static int
next_number(sqlite3 *db, const char *date, char *out, size_t size, struct imp_err *e)
{
	sqlite3_stmt *s;
	int64_t last = 0;
	char day[9];

	if ((s = imp_state_prepare(db, "SELECT last FROM courier_day WHERE date = ?", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, date, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		last = sqlite3_column_int64(s, 0);
	imp_state_release(s);
	if ((s = imp_state_prepare(db, "INSERT OR REPLACE INTO courier_day(date, last) "
				   "VALUES(?, ?)", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, last + 1);
	snprintf(day, sizeof day, "%.4s%.2s%.2s", date, date + 5, date + 8);
	snprintf(out, size, "C-%s-%04" PRId64, day, last + 1);
	return step_done(db, s, e);
}

static int
different_input(const struct imp_consignment *g, struct imp_err *e)
{
	return imp_fail(e, EX_DATAERR, "this batch was manifested before with other passports "
			"%s%s%s%s: the input is not the stream manifested then; manifest the "
			"collection that spool-print wrote, or ask the spool's administrator",
			g ? "in consignment " : "", g ? g->number : "", g ? " " : "",
			g ? g->key : "(another set of consignments)");
}

/* One consignment: its number from an earlier run of the batch, or a new one. */
static int
number_one(sqlite3 *db, const char *batch, const struct imp_courier_batch *b,
	   struct imp_consignment *g, struct imp_err *e)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = imp_state_prepare(db, "SELECT number, members, written, bundle_sha256 FROM "
				   "courier_consignment WHERE batch = ? AND key = ?", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, g->key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(g->number, sizeof g->number, "%s", sqlite3_column_text(s, 0));
		g->written = sqlite3_column_int(s, 2);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			snprintf(g->bundle, sizeof g->bundle, "%s", sqlite3_column_text(s, 3));
		rc = strcmp((const char *)sqlite3_column_text(s, 1), g->members) != 0;
		imp_state_release(s);
		return rc ? different_input(g, e) : 0;
	}
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "state database");
	if (b->done)
		return different_input(NULL, e);
	if ((rc = next_number(db, b->date, g->number, sizeof g->number, e)) != 0)
		return rc;
	if ((s = imp_state_prepare(db, "INSERT INTO courier_consignment(number, batch, key, "
				   "courier, destination, category, count, members) "
				   "VALUES(?, ?, ?, ?, ?, ?, ?, ?)", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, g->number, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, g->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, g->courier, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, g->destination, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, g->category, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (int64_t)g->count);
	sqlite3_bind_text(s, 8, g->members, -1, SQLITE_STATIC);
	return step_done(db, s, e);
}

/* The batch has exactly these n consignments, not more from another stream. */
static int
numbered_before(sqlite3 *db, const char *batch, size_t n, struct imp_err *e)
{
	sqlite3_stmt *s;
	int64_t count = -1;

	if ((s = imp_state_prepare(db, "SELECT count(*) FROM courier_consignment WHERE batch = ?",
				   e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, batch, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		count = sqlite3_column_int64(s, 0);
	imp_state_release(s);
	return count == (int64_t)n ? 0 : different_input(NULL, e);
}

static int
number_all(sqlite3 *db, const struct imp_batch *in, struct imp_courier_batch *b,
	   struct imp_consignment *g, size_t n, const char *const *passports, size_t np,
	   struct imp_err *e)
{
	size_t i;
	int rc;

	if ((rc = imp_ledger_bind(db, in, STAGE, e)) == 0)
		rc = batch_row(db, in->id, b, e);
	for (i = 0; rc == 0 && i < n; i++)
		rc = number_one(db, in->id, b, &g[i], e);
	/* the ledger: each passport of a consignment is dispatched */
	for (i = 0; rc == 0 && i < np; i++)
		rc = imp_ledger_set(db, passports[i], "dispatched", NULL, e);
	return rc == 0 ? numbered_before(db, in->id, n, e) : rc;
}

int
imp_courier_number(sqlite3 *db, const struct imp_batch *in, struct imp_courier_batch *b,
		   struct imp_consignment *g, size_t n, const char *const *passports, size_t np,
		   struct imp_err *e)
{
	int rc;

	if ((rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = number_all(db, in, b, g, n, passports, np, e)) == 0)
		rc = imp_state_exec(db, "COMMIT", e);
	if (rc != 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* number's row: what (a statement with ?1 the value, ?2 the key) set to value */
static int
set_one(sqlite3 *db, const char *sql, const char *value, const char *key, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, sql, e);

	if (s == NULL)
		return e->code;
	if (value != NULL)
		sqlite3_bind_text(s, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	return step_done(db, s, e);
}

int
imp_courier_bundle(sqlite3 *db, const char *number, const char *sha256, struct imp_err *e)
{
	return set_one(db, "UPDATE courier_consignment SET bundle_sha256 = ?1 WHERE number = ?2",
		       sha256, number, e);
}

int
imp_courier_written(sqlite3 *db, const char *number, struct imp_err *e)
{
	return set_one(db, "UPDATE courier_consignment SET written = 1 WHERE number = ?2", NULL,
		       number, e);
}

int
imp_courier_done(sqlite3 *db, const char *batch, struct imp_err *e)
{
	return set_one(db, "UPDATE courier_batch SET done = 1 WHERE batch = ?2", NULL, batch, e);
}
