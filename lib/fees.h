/* SPDX-License-Identifier: ISC */
/*
 * fees.c: the fee receipts used by applications, kept in the state
 * database across batches, so that one payment pays for one application.
 */
#ifndef IMPASS_FEES_H
#define IMPASS_FEES_H

#include "series.h"

#define IMP_RECEIPT_MAX 32            /* validate's limit on fee_receipt */

enum {
	IMP_FEE_FRESH = 0,            /* recorded now for this application */
	IMP_FEE_OWN,                  /* recorded before for this same application (a re-run) */
	IMP_FEE_OTHER,                /* recorded before for another application */
};

struct imp_fee_use {                  /* the application a receipt was recorded for */
	char tracking_id[IMP_ID_MAX + 1];
	char batch[IMP_ID_MAX + 1];
	char recorded[21];            /* UTC, YYYY-MM-DDTHH:MM:SSZ */
};

struct imp_fees;

/* Makes the table (once) and begins batch's one write transaction. */
int imp_fees_begin(sqlite3 *db, const char *batch, struct imp_fees **f, struct imp_err *e);
/*
 * The receipt for application id: claimed for it unless it is recorded
 * already. *outcome says which (IMP_FEE_*); with IMP_FEE_OTHER, other names
 * the application that holds it. A receipt is claimed once a batch: the
 * caller knows the receipts it claimed (verify-fee marks them in its
 * payments) and says who has one with imp_fees_batch_use.
 */
int imp_fees_claim(struct imp_fees *f, const char *receipt, const char *id, long amount,
		   int *outcome, struct imp_fee_use *other, struct imp_err *e);
void imp_fees_batch_use(const struct imp_fees *f, const char *id, struct imp_fee_use *use);
/* The batch's claims recorded (at the time of begin) and committed. */
int imp_fees_commit(struct imp_fees *f, struct imp_err *e);
void imp_fees_free(struct imp_fees *f);
/* The application a receipt was recorded for: 1 found, 0 not, or an error code < 0. */
int imp_fee_lookup(sqlite3 *db, const char *receipt, struct imp_fee_use *use,
		   struct imp_err *e);

#endif
