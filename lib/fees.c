/* SPDX-License-Identifier: ISC */
/*
 * The fee receipts used: one row per receipt, naming the application it
 * paid for. A batch's receipts are recorded in one transaction, which
 * verify-fee commits before it seals its output; a run that dies before
 * leaves nothing, and a re-run of the batch finds its own applications'
 * receipts (the same tracking id), which are not a second use.
 *
 * While the batch is read each receipt is only looked up in the table (a
 * read) and marked, with the application that claims it, on the entry of
 * the payments index that has it; at the end the marked ones are inserted
 * in the index's order, which is the receipts' order. A night's receipts
 * come in random order, and inserting them so into the table's b-tree cost
 * a fifth of verify-fee's time; in order the pages fill one after the
 * other.
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

struct imp_fees {
	sqlite3 *db;
	const struct imp_payments *pay;
	char batch[IMP_ID_MAX + 1];
	char at[21];                  /* when the batch's receipts are recorded */
	uint32_t *claimed;            /* per entry of pay: 0, or 1 + where its id is in ids */
	struct imp_buf ids;           /* the claiming applications' ids, NUL-terminated */
};

void
imp_fees_free(struct imp_fees *f)
{
	if (f == NULL)
		return;
	free(f->claimed);
	imp_buf_free(&f->ids);
	free(f);
}

int
imp_fees_begin(sqlite3 *db, const char *batch, const struct imp_payments *pay,
	       struct imp_fees **out, struct imp_err *e)
{
	struct imp_fees *f = calloc(1, sizeof *f);
	uint64_t n = imp_payments_count(pay);
	int rc;

	*out = NULL;
	if (f == NULL || (f->claimed = calloc(n ? n : 1, sizeof *f->claimed)) == NULL) {
		imp_fees_free(f);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	f->db = db;
	f->pay = pay;
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
imp_fees_claim(struct imp_fees *f, uint64_t at, const char *id, int *outcome,
	       struct imp_fee_use *other, struct imp_err *e)
{
	struct imp_payment p;
	size_t off = f->ids.len;
	int rc;

	if (f->claimed[at] != 0) {    /* by an application earlier in the batch */
		snprintf(other->tracking_id, sizeof other->tracking_id, "%s",
			 f->ids.p + f->claimed[at] - 1);
		snprintf(other->batch, sizeof other->batch, "%s", f->batch);
		snprintf(other->recorded, sizeof other->recorded, "%s", f->at);
		*outcome = strcmp(other->tracking_id, id) == 0 ? IMP_FEE_OWN : IMP_FEE_OTHER;
		return 0;
	}
	imp_payments_get(f->pay, at, &p);
	if ((rc = imp_fee_lookup(f->db, p.receipt, other, e)) < 0)
		return -rc;
	if (rc == 1) {                /* recorded by an earlier run (it keeps its time) */
		*outcome = strcmp(other->tracking_id, id) == 0 ? IMP_FEE_OWN : IMP_FEE_OTHER;
		return 0;
	}
	if (off >= UINT32_MAX - IMP_ID_MAX - 2)
		return imp_fail(e, EX_SOFTWARE, "too many receipts in one batch");
	imp_buf_add(&f->ids, id, strlen(id) + 1);
	if (f->ids.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	f->claimed[at] = (uint32_t)off + 1;
	*outcome = IMP_FEE_FRESH;
	return 0;
}

int
imp_fees_commit(struct imp_fees *f, struct imp_err *e)
{
	struct imp_payment p;
	sqlite3_stmt *s;
	uint64_t i, n = imp_payments_count(f->pay);
	int rc = SQLITE_DONE;

	if ((s = imp_state_prepare(f->db, "INSERT INTO fee_receipt (receipt, tracking_id, batch, "
				   "amount, recorded) VALUES (?1, ?2, ?3, ?4, ?5)", e)) == NULL)
		return e->code;
	for (i = 0; i < n && rc == SQLITE_DONE; i++) {
		if (f->claimed[i] == 0)
			continue;
		imp_payments_get(f->pay, i, &p);
		sqlite3_bind_text(s, 1, p.receipt, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, f->ids.p + f->claimed[i] - 1, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, f->batch, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, p.amount);
		sqlite3_bind_text(s, 5, f->at, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
	}
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(f->db, e, "fee receipts");
	return imp_state_exec(f->db, "COMMIT", e);
}
