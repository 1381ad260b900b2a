/* SPDX-License-Identifier: ISC */
/*
 * fees.c: the fee receipts used by applications, kept in the state
 * database across batches, so that one payment pays for one application.
 */
#ifndef IMPASS_FEES_H
#define IMPASS_FEES_H

#include "series.h"

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

/* Makes the table (once) and begins the batch's one write transaction. */
int imp_fee_begin(sqlite3 *db, struct imp_err *e);
/*
 * The receipt for application id of batch: recorded for it unless it is
 * recorded already. *outcome says which (IMP_FEE_*); with IMP_FEE_OTHER,
 * other names the application that holds it.
 */
int imp_fee_claim(sqlite3 *db, const char *receipt, const char *batch, const char *id,
		  long amount, int *outcome, struct imp_fee_use *other, struct imp_err *e);
int imp_fee_commit(sqlite3 *db, struct imp_err *e);
/* The application a receipt was recorded for: 1 found, 0 not, or an error code < 0. */
int imp_fee_lookup(sqlite3 *db, const char *receipt, struct imp_fee_use *use,
		   struct imp_err *e);

#endif
