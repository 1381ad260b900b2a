/* SPDX-License-Identifier: ISC */
/*
 * The fee receipts used: one row per receipt, naming the application it
 * paid for. A batch's receipts are recorded in one transaction, which
 * verify-fee commits before it seals its output; a run that dies before
 * leaves nothing, and a re-run of the batch finds its own applications'
 * receipts (the same tracking id), which are not a second use.
 *
 * While the batch is read each receipt is only looked up in the table
 * (a read) and kept in memory with the batch's others; at the end they are
 * inserted in receipt order. A night's receipts come in random order, and
 * inserting them so into the table's b-tree cost a fifth of verify-fee's
 * time; in order the pages fill one after the other.
 */
#include <stdlib.h>
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

struct claim {
	char receipt[IMP_RECEIPT_MAX + 1];   /* in place: a malloc and free each cost */
	char tracking_id[IMP_ID_MAX + 1];
	long amount;
};

struct imp_fees {
	sqlite3 *db;
	char batch[IMP_ID_MAX + 1];
	char at[21];                  /* when the batch's receipts are recorded */
	struct claim *claim;
	size_t n, cap;
};

void
imp_fees_free(struct imp_fees *f)
{
	if (f == NULL)
		return;
	free(f->claim);
	free(f);
}

int
imp_fees_begin(sqlite3 *db, const char *batch, struct imp_fees **out, struct imp_err *e)
{
	struct imp_fees *f = calloc(1, sizeof *f);
	int rc;

	*out = NULL;
	if (f == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	f->db = db;
	snprintf(f->batch, sizeof f->batch, "%s", batch);
	imp_utc(f->at);
	if ((rc = imp_state_exec(db, "PRAGMA cache_size = -65536", e)) != 0 ||
	    (rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0) {
		imp_fees_free(f);
		return rc;
	}
	if ((rc = imp_state_exec(db, schema, e)) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		imp_fees_free(f);
		return rc;
	}
	*out = f;
	return 0;
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
imp_fees_claim(struct imp_fees *f, const char *receipt, const char *id, long amount,
	       int *outcome, struct imp_fee_use *other, struct imp_err *e)
{
	struct claim *grown;
	int rc;

	if ((rc = imp_fee_lookup(f->db, receipt, other, e)) < 0)
		return -rc;
	if (rc == 1) {
		*outcome = strcmp(other->tracking_id, id) == 0 ? IMP_FEE_OWN : IMP_FEE_OTHER;
		return 0;
	}
	if (strlen(receipt) > IMP_RECEIPT_MAX)
		return imp_fail(e, EX_DATAERR, "receipt %.40s... is longer than %d characters",
				receipt, IMP_RECEIPT_MAX);
	if (f->n == f->cap) {
		if ((grown = reallocarray(f->claim, f->cap ? f->cap * 2 : 1024, sizeof *grown)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		f->claim = grown;
		f->cap = f->cap ? f->cap * 2 : 1024;
	}
	memcpy(f->claim[f->n].receipt, receipt, strlen(receipt) + 1);
	snprintf(f->claim[f->n].tracking_id, sizeof f->claim[f->n].tracking_id, "%s", id);
	f->claim[f->n++].amount = amount;
	*outcome = IMP_FEE_FRESH;
	return 0;
}

/* Who claimed a receipt earlier in this batch, for its step. */
void
imp_fees_batch_use(const struct imp_fees *f, const char *id, struct imp_fee_use *use)
{
	snprintf(use->tracking_id, sizeof use->tracking_id, "%s", id);
	snprintf(use->batch, sizeof use->batch, "%s", f->batch);
	snprintf(use->recorded, sizeof use->recorded, "%s", f->at);
}

static int
by_receipt(const void *a, const void *b)
{
	return strcmp(((const struct claim *)a)->receipt, ((const struct claim *)b)->receipt);
}

int
imp_fees_commit(struct imp_fees *f, struct imp_err *e)
{
	sqlite3_stmt *s;
	size_t i;
	int rc = SQLITE_DONE;

	if (f->n > 0)           /* (qsort takes no null array, even of none) */
		qsort(f->claim, f->n, sizeof *f->claim, by_receipt);
	if ((s = imp_state_prepare(f->db, "INSERT INTO fee_receipt (receipt, tracking_id, batch, "
				   "amount, recorded) VALUES (?1, ?2, ?3, ?4, ?5)", e)) == NULL)
		return e->code;
	for (i = 0; i < f->n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_text(s, 1, f->claim[i].receipt, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, f->claim[i].tracking_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, f->batch, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, f->claim[i].amount);
		sqlite3_bind_text(s, 5, f->at, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
	}
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(f->db, e, "fee receipts");
	return imp_state_exec(f->db, "COMMIT", e);
}
