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
int imp_spool_counts(sqlite3 *db, const char *batch, struct imp_buf *out, struct imp_err *e);
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
		       char into[IMP_ID_MAX + 1], char decision[16], struct imp_err *e);
int imp_review_next_batch(sqlite3 *db, const char *batch, char out[IMP_ID_MAX + 1],
			  struct imp_err *e);
int imp_review_record(sqlite3 *db, const struct imp_decision *d, size_t n, struct imp_err *e);
int imp_review_dir(int spool, const char *spool_path, const char *name, int make, int *fd,
		   struct imp_err *e);
int imp_review_archive(int held, int reviewed, const char *spool_path, const char *batch,
		       uint64_t index, const char *record, struct imp_err *e);

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
 * the others fresh ones in order from the ranges (with the CNIC, cnics[i]
 * or NULL, and the spoiled number it reprints, if any). A record whose
 * application already has a live number in another batch, or whose CNIC
 * a passport in production, gets none: others[i] names that passport
 * (kind 0 for the others). An id "" is skipped. Fails with 69, before
 * anything is given, when the ranges have too few numbers left.
 */
struct imp_ledger_other;
int imp_series_assign(sqlite3 *db, const char *batch, char *const *ids, char *const *cnics,
		      size_t n, char (*numbers)[IMP_NUMBER_LEN + 1],
		      struct imp_ledger_other *others, struct imp_series_use *use,
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
/* The ranges (used, left), then every batch's numbers by state, with what
 * to do about numbers given and never sealed or sealed and never spooled. */
int imp_series_report(sqlite3 *db, FILE *out, struct imp_err *e);

/* ---- ledger.c: the issuance ledger (series_number) and the database's identity */

/*
 * Opens the state database as the ledger (path NULL: the spool's
 * state.db): damage is looked for (quick_check), the tables are made or
 * brought up to date, and the database is checked against its mark file
 * (.NAME.mark beside it): missing, empty, older or foreign is 65.
 */
int imp_ledger_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e);
/* After numbers were given: the mark file says so (path as opened). */
int imp_ledger_mark(sqlite3 *db, const char *path, struct imp_err *e);
/* The root (hex) that binds a batch id: its first sealed stage's. */
void imp_ledger_origin(const struct imp_batch *b, char hex[2 * IMP_HASH_LEN + 1]);
/* The batch id bound to its origin root the first time; the same id with
 * another root is 65 naming both. */
int imp_ledger_bind(sqlite3 *db, const struct imp_batch *b, const char *stage,
		    struct imp_err *e);

enum { IMP_LEDGER_NONE = 0, IMP_LEDGER_ISSUED = 1, IMP_LEDGER_IN_PRODUCTION = 2 };

struct imp_ledger_other {             /* the passport that stands in the way */
	int kind;
	char number[IMP_NUMBER_LEN + 1], batch[IMP_ID_MAX + 1], state[16],
	     tracking[IMP_ID_MAX + 1];
};

/* Whether tracking already has a live number in another batch (ISSUED) or
 * its CNIC a passport in production for another application
 * (IN_PRODUCTION); o says which. Returns 0 or an error code. */
int imp_ledger_conflict(sqlite3 *db, const char *batch, const char *tracking, const char *cnic,
			struct imp_ledger_other *o, struct imp_err *e);
/* A number's passport moves on (spooled, printed, spoiled, dispatched);
 * a void number stays void. */
int imp_ledger_set(sqlite3 *db, const char *number, const char *state, const char *why,
		   struct imp_err *e);
/* One number a stream carries for record tracking of batch: a line in bad
 * (and nbad counted) when the ledger did not give it so, or it is void. */
int imp_ledger_carried(sqlite3 *db, const char *batch, const char *number, const char *tracking,
		       struct imp_buf *bad, uint64_t *nbad, struct imp_err *e);
/* Pass 1 of a stage that takes numbered records (sign, spool-print): each ok
 * record's number and id into carried; then all of them checked at once
 * (65 naming them, todo saying what to do; carried is consumed). */
void imp_ledger_collect(const char *line, size_t len, struct imp_buf *carried);
int imp_ledger_check(sqlite3 *db, const char *batch, struct imp_buf *carried, const char *todo,
		     struct imp_err *e);

#endif
