/* SPDX-License-Identifier: ISC */
/*
 * fees.c: the fee receipts used by applications, kept in the state
 * database across batches, so that one payment pays for one application.
 */
#ifndef IMPASS_FEES_H
#define IMPASS_FEES_H

#include "series.h"

#define IMP_RECEIPT_MAX 32            /* validate's limit on fee_receipt */
#define IMP_CHANNEL_MAX 32            /* the payments export's channel */
#define IMP_CELL_MAX 64               /* a cell of the fee schedule or the export, NUL included */

/* ---- payments.c: the bank's payments export, indexed by receipt ---------- */

enum { IMP_PAY_PAID, IMP_PAY_REVERSED };

struct imp_payment {                  /* one receipt of the export (pointers into the index) */
	const char *receipt, *paid_on, *channel;
	long amount;
	unsigned long line;           /* of the export: the first paid, or the reversal */
	int status;                   /* IMP_PAY_* */
};

struct imp_payments;

/* The export (CSV) read, checked and indexed in memory; errors name its line. */
int imp_payments_load(const char *csv, struct imp_payments **p, struct imp_err *e);
/* The export indexed into the file out (written whole or not at all). */
int imp_payments_index(const char *csv, const char *out, uint64_t *count, struct imp_err *e);
/* An index file made by imp_payments_index, refused unless it is csv's, whole. */
int imp_payments_open(const char *index, const char *csv, struct imp_payments **p,
		      struct imp_err *e);
/* 0 with the receipt's entry number (0 .. count - 1, in receipt order) in *at; -1 if absent. */
int imp_payments_find(const struct imp_payments *p, const char *receipt, uint64_t *at);
void imp_payments_get(const struct imp_payments *p, uint64_t at, struct imp_payment *out);
uint64_t imp_payments_count(const struct imp_payments *p);
uint64_t imp_payments_twice(const struct imp_payments *p);  /* receipts paid twice */
void imp_payments_close(struct imp_payments *p);

/* A whole number of rupees, 0 to 9999999: 0, or -1. */
int imp_rupees(const char *s, long *out);
void imp_ascii_lower(char *s);
/* The row's ncols cells (columns col[]), spaces around them dropped, into cell. */
int imp_fee_cells(const struct imp_csv_row *row, const size_t *col, const char *const *cols,
		  size_t ncols, char (*cell)[IMP_CELL_MAX], const char *what, struct imp_err *e);

/* ---- fees.c: the receipts used, in the state database -------------------- */

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

/* Makes the table (once) and begins batch's one write transaction; the
 * receipts claimed are those of pay. */
int imp_fees_begin(sqlite3 *db, const char *batch, const struct imp_payments *pay,
		   struct imp_fees **f, struct imp_err *e);
/*
 * The receipt of pay's entry at for application id: claimed for it unless
 * it was claimed before, earlier in the batch or recorded by an earlier
 * run. *outcome says which (IMP_FEE_*); with IMP_FEE_OTHER, other names the
 * application that holds it.
 */
int imp_fees_claim(struct imp_fees *f, uint64_t at, const char *id, int *outcome,
		   struct imp_fee_use *other, struct imp_err *e);
/* The batch's claims recorded in receipt order (at the time of begin) and committed. */
int imp_fees_commit(struct imp_fees *f, struct imp_err *e);
void imp_fees_free(struct imp_fees *f);
/* The application a receipt was recorded for: 1 found, 0 not, or an error code < 0. */
int imp_fee_lookup(sqlite3 *db, const char *receipt, struct imp_fee_use *use,
		   struct imp_err *e);

#endif
