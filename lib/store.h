/* SPDX-License-Identifier: ISC */
/*
 * store.c: the issued-passport history (SPEC 5.5) in the state database
 * (SPOOL/state.db, tables history_*): passports by number, CNIC, photo
 * and blocking keys of name and date of birth; how many passports bear a
 * name word. Bulk loaded from CSV in one transaction; added to from
 * printed streams. Lookups go by index: the history is never read whole.
 */
#ifndef IMPASS_STORE_H
#define IMPASS_STORE_H

#include "impass.h"

#define IMP_HISTORY_KEYS 10           /* blocking keys of one person, at most */

struct imp_store;

/* One issued passport; strings NULL or "" when absent. Names normalised. */
struct imp_passport {
	const char *number, *cnic, *surname, *given_names, *father_name, *date_of_birth,
		*sex, *issued_on, *expires_on, *status, *photo_sha256, *batch, *tracking_id;
	int printed;      /* from a printed stream (valid when printed): a passport the
			   * forensic desk reported lost or cancelled since stays so */
};

enum { IMP_STORE_LOOKUP = 0, IMP_STORE_CREATE = 1 };
enum { IMP_STORE_SAME = 0, IMP_STORE_ADDED = 1, IMP_STORE_CHANGED = 2 };

struct imp_store_tally {
	uint64_t rows, added, changed, same;
};

/*
 * Opens the history in the state database at path (NULL: the spool's
 * state.db, created 0600 when missing). IMP_STORE_LOOKUP: a path given
 * must exist (66 when not); IMP_STORE_CREATE: created 0600 when missing
 * (73 when it cannot be).
 */
int imp_store_open(const char *path, int mode, struct imp_store **s, struct imp_err *e);
void imp_store_close(struct imp_store *s);
const char *imp_store_path(const struct imp_store *s);
uint64_t imp_store_passports(const struct imp_store *s);

/* The SPEC 5.5 CSV, in one transaction: a bad row refuses the file (65).
 * progress, when not NULL, is told the rows read after each row. */
typedef void imp_store_progress_fn(void *arg, uint64_t rows);

int imp_store_import(struct imp_store *s, const char *csv, imp_store_progress_fn *progress,
		     void *arg, struct imp_store_tally *t, struct imp_err *e);

/* Passports one at a time, inside begin .. commit (rollback on failure). */
int imp_store_begin(struct imp_store *s, struct imp_err *e);
int imp_store_put(struct imp_store *s, const struct imp_passport *p, int *outcome,
		  struct imp_err *e);
int imp_store_commit(struct imp_store *s, struct imp_err *e);
void imp_store_rollback(struct imp_store *s);

/* Lookups: fn is called for each passport found (a nonzero return stops).
 * imp_store_read .. imp_store_done make them one read transaction (one
 * snapshot, and no lock taken per lookup). */
int imp_store_read(struct imp_store *s, struct imp_err *e);
void imp_store_done(struct imp_store *s);
typedef int imp_passport_fn(void *arg, const struct imp_passport *p);

int imp_store_by_cnic(struct imp_store *s, const char *cnic, imp_passport_fn *fn, void *arg,
		      struct imp_err *e);
int imp_store_by_photo(struct imp_store *s, const char *photo, imp_passport_fn *fn, void *arg,
		       struct imp_err *e);
/*
 * Who is looked up by keys: a passport whose date of birth (imp_dob_compare:
 * IMP_DOB_DIFFERS) or sex (M against F) differs from these, or whose
 * father's name must conflict with this one (imp_father_vetoed), is not
 * that person whatever else agrees, so it is passed over unread and
 * uncounted. dob y 0, sex 0, a father's name of no words: not known,
 * nothing passed over for it.
 */
struct imp_person_veto {
	struct imp_date dob;
	char sex;
	struct imp_father_veto father;
};
int imp_person_vetoed(const struct imp_person_veto *v, const struct imp_date *dob, char sex,
		      unsigned father);

/* The valid passports, expiring on or after valid_on, that share one of the
 * keys (at most IMP_HISTORY_KEYS) and that v (NULL: none) does not rule
 * out; at most limit rows, a passport perhaps more than once. */
int imp_store_by_keys(struct imp_store *s, const uint64_t *keys, size_t n, const char *valid_on,
		      const struct imp_person_veto *v, int limit, imp_passport_fn *fn, void *arg,
		      struct imp_err *e);
/* How many passports bear a canonical word in the name (father 0) or the
 * father's name (father 1). */
int imp_store_word(struct imp_store *s, const char *word, int father, uint64_t *n,
		   struct imp_err *e);

/*
 * The blocking keys of a person: each strong word of the name (weak words
 * and honorifics aside) by its consonants with the date of birth, the
 * initials with the date of birth, the set of words with two of the three
 * parts of the date (a typo in the third), with the year alone, or alone
 * when there is no date. stored 1: every key, to store; 0: the keys to look
 * a person up by (the set with the year only for a date known in part).
 * Returns how many (at most max).
 */
size_t imp_history_keys(const struct imp_name_words *name, const char *dob, int stored,
			uint64_t *keys, size_t max);

/*
 * histfile.c: the history's base file beside the state database (what the
 * first import into an empty history built), read in place; store.c asks it
 * and lays the SQLite tables (what changed since) over it.
 */
enum { IMP_HF_NUMBER, IMP_HF_CNIC, IMP_HF_KEY, IMP_HF_NINDEX };

struct imp_histfile;
struct imp_histfile_build;

uint64_t imp_store_hash(const char *s);

/* *f NULL (and 0) when there is no such file. */
int imp_histfile_open(const char *path, struct imp_histfile **f, struct imp_err *e);
void imp_histfile_close(struct imp_histfile *f);
uint64_t imp_histfile_count(const struct imp_histfile *f);
int imp_histfile_find(struct imp_histfile *f, int ix, uint64_t h, uint64_t *lo, uint64_t *hi);
uint32_t imp_histfile_ref(struct imp_histfile *f, int ix, uint64_t i);
int imp_histfile_tag(struct imp_histfile *f, int ix, uint64_t i, struct imp_date *dob, char *sex,
		     unsigned *father);
int imp_histfile_get(struct imp_histfile *f, uint32_t ref, struct imp_passport *p);
uint64_t imp_histfile_word(const struct imp_histfile *f, const char *word, int father);

int imp_histfile_begin(const char *path, struct imp_histfile_build **b, struct imp_err *e);
int imp_histfile_add(struct imp_histfile_build *b, const struct imp_passport *p,
		     const uint64_t *keys, size_t nkeys, unsigned father, struct imp_err *e);
uint64_t imp_histfile_built(const struct imp_histfile_build *b);
int imp_histfile_finish(struct imp_histfile_build *b, struct imp_map *count_name,
			struct imp_map *count_father, const char *what);
int imp_histfile_commit(struct imp_histfile_build *b);
void imp_histfile_abort(struct imp_histfile_build *b);

#endif
