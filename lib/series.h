/* SPDX-License-Identifier: ISC */
/*
 * state.c: the state database (SPOOL/state.db, SQLite), shared by the
 * programs that keep state across runs; series.c: the passport number
 * series kept in it.
 */
#ifndef IMPASS_SERIES_H
#define IMPASS_SERIES_H

#include <sqlite3.h>

#include "impass.h"

/* Opens (creating it 0600, its folder 0700) the state database: path, else
 * $IMPASS_SPOOL/state.db, else the compiled-in spool. WAL, synchronous FULL,
 * a busy wait of busy_ms before a lock is reported (exit 75). */
int imp_state_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e);
/* The error of the last statement as an imp_err: 75 when locked. */
int imp_state_fail(sqlite3 *db, struct imp_err *e, const char *what);
int imp_state_exec(sqlite3 *db, const char *sql, struct imp_err *e);
sqlite3_stmt *imp_state_prepare(sqlite3 *db, const char *sql, struct imp_err *e);
void imp_state_release(sqlite3_stmt *s);
void imp_state_close(sqlite3 *db);

/* review.c: the ledger of officers' decisions on held records */
struct imp_decision {
	const char *batch, *record;   /* the held record */
	const char *decision;         /* release, reject, correct */
	const char *stage, *code;     /* the hold decided */
	const char *officer;          /* the deciding key's fingerprint */
	const char *decided;          /* UTC */
	const char *into;             /* the batch of decided records it went into */
};

int imp_review_open(const char *path, sqlite3 **db, struct imp_err *e);
int imp_review_decided(sqlite3 *db, const char *batch, const char *record, char when[33],
		       char into[IMP_ID_MAX + 1], struct imp_err *e);
int imp_review_next_batch(sqlite3 *db, const char *batch, char out[IMP_ID_MAX + 1],
			  struct imp_err *e);
int imp_review_record(sqlite3 *db, const struct imp_decision *d, size_t n, struct imp_err *e);

#define IMP_NUMBER_LEN 9               /* two letters and seven digits */

struct imp_series_use {
	uint64_t fresh, reused;       /* numbers given now, and again to a re-run */
	struct imp_buf warn;          /* ranges running low, one sentence each */
};

int imp_series_init(sqlite3 *db, struct imp_err *e);
/* A range FIRST-LAST (AB1000000-AB1999999) named name; never one that
 * overlaps a range given before. */
int imp_series_add_range(sqlite3 *db, const char *name, const char *first, const char *last,
			 struct imp_err *e);
/*
 * The numbers of a batch's records ids[0..n), in one transaction: a record
 * that has a live number from an earlier run of the batch gets it again,
 * the others fresh ones in order from the ranges. Fails with 69, before
 * anything is given, when the ranges have too few numbers left.
 */
int imp_series_assign(sqlite3 *db, const char *batch, char *const *ids, size_t n,
		      char (*numbers)[IMP_NUMBER_LEN + 1], struct imp_series_use *use,
		      struct imp_err *e);
/*
 * After the batch's output was sealed: its numbers ids[0..n) are issued; a
 * number given to the batch in an earlier run and not used by this one is
 * void. voided gets one line per void number.
 */
int imp_series_sealed(sqlite3 *db, const char *batch, char *const *ids, size_t n,
		      struct imp_buf *voided, struct imp_err *e);
/* Voids the numbers of a batch that were given but never sealed. */
int imp_series_void(sqlite3 *db, const char *batch, const char *why, struct imp_buf *voided,
		    struct imp_err *e);
/* The ranges (used, left) and the numbers given but not sealed, as text. */
int imp_series_report(sqlite3 *db, FILE *out, struct imp_err *e);

#endif
