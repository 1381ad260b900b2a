/* SPDX-License-Identifier: ISC */
/*
 * state.c: the state database (SPOOL/state.db, SQLite), shared by the
 * programs that keep state across runs; series.c: the passport number
 * series kept in it.
 */
#ifndef IMPASS_SERIES_H
#define IMPASS_SERIES_H

#include "impass.h"

/*
 * An open state database, opaque to programs: they call the functions of
 * this header and never SQLite (only lib/ includes sqlite3.h, through the
 * private lib/state.h).
 */
typedef struct sqlite3 sqlite3;

/* Opens (creating it 0600, its folder 0700) the state database: path, else
 * $IMPASS_SPOOL/state.db, else the compiled-in spool. WAL, synchronous FULL,
 * a busy wait of busy_ms before a lock is reported (exit 75). */
int imp_state_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e);
/* A write transaction (BEGIN IMMEDIATE), its commit, and its rollback. */
int imp_state_begin(sqlite3 *db, struct imp_err *e);
int imp_state_commit(sqlite3 *db, struct imp_err *e);
void imp_state_rollback(sqlite3 *db);
void imp_state_close(sqlite3 *db);

/* parked.c: a batch's held or rejected records, one file a kind:
 * SPOOL/held/BATCH.parked and SPOOL/rejected/BATCH.parked, written as
 * .BATCH.parked beside it: a line "impass-parked 1 BATCH KIND", for each
 * record a line "record PLACE BYTES" and BYTES bytes (the lines batch:,
 * record:, status:, stage:, code:, reason:, a blank line, the record's
 * stream line), then "end N" (impass-spool(5)). */
struct imp_parked {                   /* a parked file being read */
	const char *p;
	size_t len, off;
	char batch[IMP_ID_MAX + 1], kind[9];
	uint64_t n, last;             /* records read, the last one's place */
};

/* BATCH.parked: 1 with the batch out, else 0. */
int imp_parked_name(const char *name, char batch[IMP_ID_MAX + 1]);
/* The file's name, or (tmp) the name it is written under, .BATCH.parked. */
void imp_parked_file(char out[IMP_ID_MAX + 16], const char *batch, int tmp);
void imp_parked_head(struct imp_buf *b, const char *batch, const char *kind);
void imp_parked_add(struct imp_buf *b, uint64_t place, const char *body, size_t len);
void imp_parked_end(struct imp_buf *b, uint64_t n);
/* Reading: the first line (0, -1 when it is not one), then each record
 * (1 with its place and text; 0 at the end line; -1 when malformed). */
int imp_parked_begin(struct imp_parked *pk, const char *p, size_t len);
int imp_parked_next(struct imp_parked *pk, uint64_t *place, const char **body, size_t *len);
/* The value of "key: value" among the first lines of a record's text
 * (batch, record, status, stage, code, reason) into out, "" when none. */
void imp_parked_value(const char *p, size_t len, const char *key, struct imp_buf *out);
/* The parked file of batch and kind in folder dir into out: 0 when it is
 * the file journalled (ours, whole, its SHA-256 the journal's), -1 absent,
 * 1 when it is not (why says how), else the error's code. */
int imp_parked_read(int dir, sqlite3 *db, const char *batch, const char *kind, const char *shown,
		    struct imp_buf *out, char why[160], struct imp_err *e);

/* review.c: the ledger of officers' decisions on held records */
struct imp_decision {
	const char *batch, *record;   /* the held record */
	const char *decision;         /* release, reject, correct */
	const char *stage, *code;     /* the hold decided */
	const char *officer;          /* the deciding key's fingerprint */
	const char *decided;          /* UTC */
	const char *into;             /* the batch of decided records it went into */
	const char *number;           /* the passport number it carried, made void; or NULL */
};

int imp_review_open(const char *path, sqlite3 **db, struct imp_err *e);
int imp_review_decided(sqlite3 *db, const char *batch, const char *record, char when[33],
		       char into[IMP_ID_MAX + 1], char decision[16], struct imp_err *e);
int imp_review_next_batch(sqlite3 *db, const char *batch, char out[IMP_ID_MAX + 1],
			  struct imp_err *e);
int imp_review_record(sqlite3 *db, const struct imp_decision *d, size_t n, struct imp_err *e);
int imp_review_dir(int spool, const char *spool_path, const char *name, int make, int *fd,
		   struct imp_err *e);
/* Moves held/BATCH.parked to reviewed/ once every record in it is decided,
 * *moved its records; a file that is not the one journalled stays, with a
 * warning. */
int imp_review_archive_parked(int held, int reviewed, sqlite3 *db, const char *spool_path,
			      const char *batch, uint64_t *moved, struct imp_err *e);
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
 * (kind 0 for the others). The person's check is skipped where waived[i]
 * is set (waived may be NULL): an officer released the record from that
 * hold. An id "" is skipped. Fails with 69, before anything is given, when
 * the ranges have too few numbers left.
 */
struct imp_ledger_other;
int imp_series_assign(sqlite3 *db, const char *batch, char *const *ids, char *const *cnics,
		      const unsigned char *waived, size_t n, char (*numbers)[IMP_NUMBER_LEN + 1],
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
/* imp_ledger_set (why kept) for each number a query selects (one text
 * parameter, ?1), in one statement. */
int imp_ledger_set_all(sqlite3 *db, const char *select, const char *param, const char *state,
		       struct imp_err *e);
/* Whether number is record tracking's of batch, given or sealed, in this
 * ledger: 1, 0 (also when the database has no ledger), -1 (e says why). */
int imp_ledger_held(sqlite3 *db, const char *number, const char *tracking, const char *batch,
		    struct imp_err *e);
/* The number of held record tracking void (never printed: an officer
 * decided the record); a number in another state stays as it is. */
int imp_ledger_void_held(sqlite3 *db, const char *number, const char *tracking, const char *why,
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

/* ---- spool.c: spool-print's journal (jobs, batches, laminates, collections,
 * incidents); every function returns 0 or an error code (e says it) */

#define IMP_SERIAL_LEN 10              /* a laminate's serial: SL00012345 */
#define IMP_QUEUE_NAME_MAX 16

struct imp_spool_job {                /* one job as journalled */
	char number[IMP_NUMBER_LEN + 1], batch[IMP_ID_MAX + 1], tracking[IMP_ID_MAX + 1];
	char queue[IMP_QUEUE_NAME_MAX + 1], file[IMP_ID_MAX + 8], laminate[IMP_SERIAL_LEN + 1];
	char created[21], printed[21], state[16], reason[512], reprint[IMP_ID_MAX + 8];
	char hash[2 * IMP_HASH_LEN + 1];  /* the job's sha256, "" if none kept */
	int priority;
	uint64_t place;               /* the job's place in its job file, from 1 */
	const char *record;           /* the record line (valid during a callback only) */
	size_t record_len;
};

struct imp_spool_file {               /* a job file: a batch's jobs of one queue and priority */
	char queue[IMP_QUEUE_NAME_MAX + 1], name[IMP_ID_MAX + 8], batch[IMP_ID_MAX + 1];
	char hash[2 * IMP_HASH_LEN + 1], state[16];  /* written, or incident */
	int priority;
	uint64_t jobs, bytes;
};

struct imp_spool_parked {             /* a batch's held or rejected records: one file */
	char batch[IMP_ID_MAX + 1], kind[9];           /* held or rejected */
	char hash[2 * IMP_HASH_LEN + 1];
	uint64_t records, bytes;
};

struct imp_spool_batch {              /* a batch spooled whole */
	char spooled[21];
	uint64_t records, jobs, held, rejected;
};

struct imp_spool_account {            /* the laminates by state */
	uint64_t issued, used, spoiled, assigned, stock;
};

/* a job; a non-zero return stops the walk and is returned */
typedef int imp_spool_job_fn(void *arg, const struct imp_spool_job *j, struct imp_err *e);
/* a count by name (a queue and priority, or a batch) */
typedef void imp_spool_count_fn(void *arg, const char *name, int priority, uint64_t n);
/* a laminate serial (and the issue file and time it came with, or NULL) */
typedef void imp_spool_serial_fn(void *arg, const char *serial, const char *file, const char *at);

/* The ledger opened (imp_ledger_open) with the journal's tables made. */
int imp_spool_journal_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e);
/* The job of a passport number; *found 0 when none (record not filled). */
int imp_spool_job_get(sqlite3 *db, const char *number, struct imp_spool_job *j, int *found,
		      struct imp_err *e);
/* A new job planned (number, batch, tracking, queue, priority, file, place,
 * laminate, created, record, and its hash unless "") and its laminate
 * assigned to it. */
int imp_spool_job_plan(sqlite3 *db, const struct imp_spool_job *j, struct imp_err *e);
/* The job file's hash (hex), journalled with its plan. */
int imp_spool_job_hash(sqlite3 *db, const char *number, const char *hex, struct imp_err *e);
/* A job the printers finished: printed, or spoiled (why), at printed, in
 * collection; its laminate used or spoiled, and the ledger says so. */
int imp_spool_job_finished(sqlite3 *db, const char *number, int spoiled, const char *why,
			   const char *printed, int64_t collection, struct imp_err *e);

/* A job file as written, journalled with its jobs' plans (state written);
 * one journalled before must be the same (65 otherwise). */
int imp_spool_file_put(sqlite3 *db, const struct imp_spool_file *f, struct imp_err *e);
/* A batch's parked file of a kind (held, rejected) as written: an earlier
 * run's of the batch must be the same. */
int imp_spool_parked_put(sqlite3 *db, const struct imp_spool_parked *p, struct imp_err *e);
/* The parked file journalled for batch and kind; *found 0 when none (or a
 * journal older than parked files). */
int imp_spool_parked_get(sqlite3 *db, const char *batch, const char *kind,
			 struct imp_spool_parked *p, int *found, struct imp_err *e);
/* The job file of that name written to queue; *found 0 when none. */
int imp_spool_file_get(sqlite3 *db, const char *queue, const char *name,
		       struct imp_spool_file *f, int *found, struct imp_err *e);
/* The job file was found changed or unreadable: its jobs are not counted
 * as printed from it. */
int imp_spool_file_incident(sqlite3 *db, const char *queue, const char *name,
			    struct imp_err *e);
/* How many jobs of the file are not yet in a sealed collection. */
int imp_spool_file_open_jobs(sqlite3 *db, const char *queue, const char *name, uint64_t *n,
			     struct imp_err *e);
/* A queue's acknowledgement log: the bytes collected (offset) and the
 * SHA-256 (hex) of those bytes; 0 and "" before the first. */
int imp_spool_log_get(sqlite3 *db, const char *queue, uint64_t *offset,
		      char hash[2 * IMP_HASH_LEN + 1], struct imp_err *e);
int imp_spool_log_set(sqlite3 *db, const char *queue, uint64_t offset, const char *hash,
		      struct imp_err *e);

/* A batch's journal entry; *found 0 when it was never spooled whole. */
int imp_spool_batch_get(sqlite3 *db, const char *batch, struct imp_spool_batch *sb, int *found,
			struct imp_err *e);
/* The jobs planned for batch already, and the laminates in stock. */
int imp_spool_batch_room(sqlite3 *db, const char *batch, uint64_t *planned, uint64_t *stock,
			 struct imp_err *e);
/* The batch's jobs per queue and priority. */
int imp_spool_batch_queues(sqlite3 *db, const char *batch, imp_spool_count_fn *fn, void *arg,
			   struct imp_err *e);
/* Other batches with jobs planned by a run that did not finish, and how many. */
int imp_spool_unfinished(sqlite3 *db, const char *batch, imp_spool_count_fn *fn, void *arg,
			 struct imp_err *e);
/* In one transaction: the batch's planned jobs spooled, its journal entry
 * (sb, and b's provenance and seal), the ledger's numbers spooled. */
int imp_spool_batch_spooled(sqlite3 *db, const struct imp_batch *b,
			    const struct imp_spool_batch *sb, struct imp_err *e);
/* The provenance and seal journalled with a spooled batch, parsed into orig. */
int imp_spool_batch_origin(sqlite3 *db, const char *batch, struct imp_batch *orig, int *found,
			   struct imp_err *e);

/* The serials (one per line) of an issue file added to the stock in one
 * transaction; one already in the account stays as it is. */
int imp_spool_laminates_issue(sqlite3 *db, const char *file, const char *serials, size_t len,
			      uint64_t *added, struct imp_err *e);
/* The first laminate in stock. */
int imp_spool_laminate_next(sqlite3 *db, char serial[IMP_SERIAL_LEN + 1], int *found,
			    struct imp_err *e);
/* A laminate's state and job ("" when none). */
int imp_spool_laminate_get(sqlite3 *db, const char *serial, char state[16], char job[16],
			   int *found, struct imp_err *e);
int imp_spool_laminate_counts(sqlite3 *db, struct imp_spool_account *a, struct imp_err *e);
/* Each laminate in stock, in order. */
int imp_spool_each_stock(sqlite3 *db, imp_spool_serial_fn *fn, void *arg, struct imp_err *e);
/* Each serial ever issued that is missing from the account. */
int imp_spool_each_unaccounted_issue(sqlite3 *db, imp_spool_serial_fn *fn, void *arg,
				     struct imp_err *e);

/* The jobs at the printers (spooled, by laminate), of a collection
 * (printed, by number), of a batch waiting for a reprint (by number). */
int imp_spool_each_spooled(sqlite3 *db, imp_spool_job_fn *fn, void *arg, struct imp_err *e);
int imp_spool_each_printed(sqlite3 *db, int64_t collection, imp_spool_job_fn *fn, void *arg,
			   struct imp_err *e);
int imp_spool_each_spoiled(sqlite3 *db, const char *batch, imp_spool_job_fn *fn, void *arg,
			   struct imp_err *e);

/* The collection a crash left unsealed (*id 0 when none). */
int imp_spool_collection_open(sqlite3 *db, int64_t *id, char batch[IMP_ID_MAX + 1],
			      struct imp_err *e);
/* A new collection and its batch id PRINTED-YYYYMMDD-NNNN. */
int imp_spool_collection_new(sqlite3 *db, int64_t *id, char batch[IMP_ID_MAX + 1],
			     struct imp_err *e);
int imp_spool_collection_counts(sqlite3 *db, int64_t id, uint64_t *jobs, uint64_t *printed,
				uint64_t *spoiled, struct imp_err *e);
/* Whether the job is in a collection whose printed stream was sealed. */
int imp_spool_job_collected(sqlite3 *db, const char *number, int *sealed, struct imp_err *e);
/* The newest collection's printed stream was written whole. */
int imp_spool_collection_sealed(sqlite3 *db, struct imp_err *e);

/* The oldest batch with spoiled jobs no reprint took (batch "" when none),
 * its reprints so far, and how many other batches wait. */
int imp_spool_reprint_next(sqlite3 *db, char batch[IMP_ID_MAX + 1], uint64_t *earlier,
			   uint64_t *more, struct imp_err *e);
/* The batch's waiting spoiled jobs taken by reprint batch rid (*n of them). */
int imp_spool_reprint_mark(sqlite3 *db, const char *batch, const char *rid, uint64_t *n,
			   struct imp_err *e);

/* A file found in a queue journalled as an incident: moved_to gets the
 * name it is to be moved to (INC-NNNNNNNN); once moved,
 * imp_spool_incident_moved records it. */
int imp_spool_incident(sqlite3 *db, const char *queue, const char *folder, const char *name,
		       const char *number, const char *why, char moved_to[32], struct imp_err *e);
int imp_spool_incident_moved(sqlite3 *db, const char *moved_to, struct imp_err *e);
/* Whether an incident was journalled for name (a file, or log@OFFSET: a
 * line of a queue's log) of queue. */
int imp_spool_incident_known(sqlite3 *db, const char *queue, const char *name, int *known,
			     struct imp_err *e);
/* A batch's journal entry and its jobs by state, as key=value lines
 * (inspect --spooled); 1 when the batch was never spooled. */
int imp_spool_counts(sqlite3 *db, const char *batch, struct imp_buf *out, struct imp_err *e);

/* ---- courier.c: manifest-courier's journal */

/* The ledger opened (imp_ledger_open), with manifest-courier's tables made
 * or brought up to date. */
int imp_courier_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e);

struct imp_courier_batch {            /* one printed batch in the journal */
	char date[11];                /* in: a first run's date; out: the first run's */
	int64_t mtime;                /* out: the bundles' file time, the first run's */
	int done;                     /* out: the batch was manifested whole before */
};

struct imp_consignment {
	const char *key;              /* what groups it: category|courier|mode|destination */
	const char *courier, *destination, *category;
	size_t count;                 /* its passports */
	char members[2 * IMP_HASH_LEN + 1];  /* their Merkle root, hex, in stream order */
	char number[32];              /* out: C-YYYYMMDD-NNNN */
	int written;                  /* out: its bundle went out in an earlier run */
	char bundle[2 * IMP_HASH_LEN + 1];   /* out: the sha256 journalled, or "" */
};

/*
 * A batch's consignments g[0..n) numbered in one transaction: the batch
 * bound to its records (imp_ledger_bind), its row kept (b: the first
 * run's), each consignment given its number of an earlier run or the
 * day's next, and passports[0..np) dispatched in the ledger. Other
 * passports, or other consignments, under a batch numbered before are 65,
 * and nothing is kept.
 */
int imp_courier_number(sqlite3 *db, const struct imp_batch *in, struct imp_courier_batch *b,
		       struct imp_consignment *g, size_t n, const char *const *passports,
		       size_t np, struct imp_err *e);
/* The sha256 (hex) of a consignment's bundle, journalled before it is in place. */
int imp_courier_bundle(sqlite3 *db, const char *number, const char *sha256, struct imp_err *e);
/* The consignment's bundle and summary are out. */
int imp_courier_written(sqlite3 *db, const char *number, struct imp_err *e);
/* The batch was manifested whole: a re-run writes no bundle. */
int imp_courier_done(sqlite3 *db, const char *batch, struct imp_err *e);

#endif
