/* SPDX-License-Identifier: ISC */
/*
 * The fee receipts used: one row per receipt, naming the application it
 * paid for. A receipt is recorded in the batch's one transaction, which
 * verify-fee commits before it seals its output; a run that dies before
 * leaves nothing, and a re-run of the batch finds its own applications'
 * receipts (the same tracking id), which are not a second use.
 */
#include <string.h>

#include "state.h"
#include "fees.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS fee_receipt ("
	" receipt TEXT PRIMARY KEY,"
	" tracking_id TEXT NOT NULL,"
	" batch TEXT NOT NULL,"
	" amount INTEGER NOT NULL,"
	" recorded TEXT NOT NULL) WITHOUT ROWID;";

int
imp_fee_begin(sqlite3 *db, struct imp_err *e)
{
	int rc;

	/* a night's receipts go in random order into the table's b-tree: with
	 * SQLite's default 2 MB cache its pages spilled to the WAL again and again */
	if ((rc = imp_state_exec(db, "PRAGMA cache_size = -65536", e)) != 0 ||
	    (rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = imp_state_exec(db, schema, e)) != 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int
imp_fee_commit(sqlite3 *db, struct imp_err *e)
{
	return imp_state_exec(db, "COMMIT", e);
}

static void
copy_col(sqlite3_stmt *s, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, size, "%s", t != NULL ? (const char *)t : "");
}

int
imp_fee_lookup(sqlite3 *db, const char *receipt, struct imp_fee_use *use, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT tracking_id, batch, recorded FROM "
					    "fee_receipt WHERE receipt = ?1", e);
	int rc;

	if (s == NULL)
		return -e->code;
	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		copy_col(s, 0, use->tracking_id, sizeof use->tracking_id);
		copy_col(s, 1, use->batch, sizeof use->batch);
		copy_col(s, 2, use->recorded, sizeof use->recorded);
	}
	imp_state_release(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return -imp_state_fail(db, e, "fee receipts");
}

int
imp_fee_claim(sqlite3 *db, const char *receipt, const char *batch, const char *id,
	      long amount, int *outcome, struct imp_fee_use *other, struct imp_err *e)
{
	sqlite3_stmt *s;
	char now[21];
	int rc;

	if ((rc = imp_fee_lookup(db, receipt, other, e)) < 0)
		return -rc;
	if (rc == 1) {
		*outcome = strcmp(other->tracking_id, id) == 0 ? IMP_FEE_OWN : IMP_FEE_OTHER;
		return 0;
	}
	if ((s = imp_state_prepare(db, "INSERT INTO fee_receipt (receipt, tracking_id, batch, "
				   "amount, recorded) VALUES (?1, ?2, ?3, ?4, ?5)", e)) == NULL)
		return e->code;
	imp_utc(now);
	sqlite3_bind_text(s, 1, receipt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, batch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, amount);
	sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "fee receipts");
	*outcome = IMP_FEE_FRESH;
	return 0;
}
