/* SPDX-License-Identifier: ISC */
/*
 * issuance.c: the issuance index of the state database (tables issuance_*),
 * what verify-passport answers from: every printed passport by number and
 * by laminate (its MRZ, photo hash, office, print, approver, and its line
 * and place in the sealed printed stream, for a Merkle proof), the printed
 * batches' seals, and the forensic desk's status changes (lost, stolen,
 * cancelled). Also reads what the ledger (series_number) and the spool
 * journal (spool_laminate) say of a number or serial not printed.
 */
#ifndef IMPASS_ISSUANCE_H
#define IMPASS_ISSUANCE_H

#include "impass.h"

#define IMP_SERIAL_LEN 10             /* SL00012345 */

struct imp_issuance;

/* One printed passport as the index keeps it; strings "" when unknown. */
struct imp_issued {
	char number[16], tracking[IMP_ID_MAX + 1];
	char mrz1[48], mrz2[48];
	char photo[2 * IMP_HASH_LEN + 1];
	char office[16], issued[11], expires[11];
	char laminate[16], queue[17], printed[21];
	char batch[IMP_ID_MAX + 1];          /* the printed stream */
	uint64_t index;                       /* in it, from 0 */
	char approved[IMP_ID_MAX + 1];       /* the approved batch it was spooled from */
	char approver[IMP_FPR_LEN + 1];      /* who sealed that batch's approval */
};

/* A status the forensic desk recorded for a number. */
struct imp_status_change {
	char number[16], status[16], officer[IMP_FPR_LEN + 1], at[21];
	char why[512];
};

/* Opens the state database (the ledger's open: path NULL is the spool's
 * state.db) and makes the index's tables. */
int imp_issuance_open(const char *path, struct imp_issuance **ix, struct imp_err *e);
void imp_issuance_close(struct imp_issuance *ix);
int imp_issuance_begin(struct imp_issuance *ix, struct imp_err *e);
int imp_issuance_commit(struct imp_issuance *ix, struct imp_err *e);
void imp_issuance_rollback(struct imp_issuance *ix);

/*
 * A verified printed stream into the index, inside begin .. commit: the
 * batch's provenance and seal, then each record line with its place and
 * leaf. A batch recorded before is recorded again only with the same root
 * (65 otherwise); added is 0 then. A number printed in another batch
 * before keeps its first place.
 */
int imp_issuance_batch(struct imp_issuance *ix, const struct imp_batch *b, int *added,
		       struct imp_err *e);
int imp_issuance_add(struct imp_issuance *ix, const char *batch, uint64_t index,
		     const char *line, size_t len, int *added, struct imp_err *e);

/* Look-ups: 1 found, 0 not, else an error code (as a negative number). */
int imp_issuance_find(struct imp_issuance *ix, const char *number, struct imp_issued *p,
		      struct imp_err *e);
int imp_issuance_by_laminate(struct imp_issuance *ix, const char *serial,
			     struct imp_issued *p, struct imp_err *e);
/* The ledger's state of a number (given .. void) and the number that
 * reprints it, "" when none. */
int imp_issuance_ledger(struct imp_issuance *ix, const char *number, char state[16],
			char reprinted[16], struct imp_err *e);
/* The spool journal's state of a laminate serial (stock, assigned, used,
 * spoiled), its job's number and the file of serials it was issued in
 * (--laminates: the stock it came from). */
int imp_issuance_laminate(struct imp_issuance *ix, const char *serial, char state[16],
			  char job[16], char stock[256], struct imp_err *e);

/* The proof (impass-proof/1, inspect --check-proof) of a printed passport. */
int imp_issuance_proof(struct imp_issuance *ix, const struct imp_issued *p,
		       struct imp_buf *out, struct imp_err *e);

/* The forensic desk's status of a number: recorded (with its signature),
 * and the latest read back. */
int imp_issuance_set_status(struct imp_issuance *ix, const struct imp_status_change *c,
			    const char *sig, struct imp_err *e);
int imp_issuance_status(struct imp_issuance *ix, const char *number,
			struct imp_status_change *c, struct imp_err *e);
/* The statement an officer signs for a status change. */
void imp_status_statement(struct imp_buf *b, const struct imp_status_change *c);

#endif
