/* SPDX-License-Identifier: ISC */
/*
 * The issued-passport history, kept in the state database beside the
 * number series (tables history_*):
 *
 *   history_passport  one row per passport number ever issued (SPEC 5.5),
 *                     names normalised, the photo's hash when it came from
 *                     a printed stream; an integer id for the keys
 *   history_key       blocking keys of name and date of birth -> passport, with
 *                     its expiry when it is valid: a lookup for the valid
 *                     passports does not read the others
 *   history_word      how many passports bear each word, in the name and in
 *                     the father's name: how rare a name is
 *   history_meta      the number of passports
 *
 * A passport number is the key: loading the same passports again changes
 * nothing, a row that changed is updated. A load is one transaction; the
 * secondary indexes of an empty history are built after its first load.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "series.h"
#include "store.h"

struct imp_store {
	sqlite3 *db;
	char path[4096];
	struct imp_names *names;
	sqlite3_stmt *insert, *update, *old, *key, *unkey, *by_cnic, *by_photo, *by_key,
		*word, *in_delta, *materialise, *shadows;
	char base_path[4096 + 16];    /* PATH-history: the base file (histfile.c) */
	struct imp_histfile *base;    /* NULL: none */
	struct imp_histfile_build *build;     /* an import into an empty history */
	uint64_t base_rows;           /* passports in the base file, as the tables say */
	uint32_t *shadow;             /* refs of base passports changed since, sorted */
	size_t nshadow;
	int shadow_ok;
	struct imp_map *count_name, *count_father;   /* words of passports added now */
	uint64_t passports, added;
	int in_tx;
	struct imp_buf full;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS history_passport ("
	" id INTEGER PRIMARY KEY, passport_no TEXT NOT NULL UNIQUE, cnic TEXT, surname TEXT,"
	" given_names TEXT,"
	" father_name TEXT, date_of_birth TEXT, sex TEXT, issued_on TEXT, expires_on TEXT,"
	" status TEXT NOT NULL CHECK (status IN ('valid', 'cancelled', 'lost', 'expired')),"
	" photo_sha256 TEXT, batch TEXT, tracking_id TEXT, base INTEGER);"
	"CREATE TABLE IF NOT EXISTS history_key ("
	" key INTEGER NOT NULL, id INTEGER NOT NULL, valid_until TEXT,"
	" PRIMARY KEY (key, id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS history_word ("
	" word TEXT PRIMARY KEY, n_name INTEGER NOT NULL, n_father INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS history_meta ("
	" name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;";

static const char indexes[] =
	"CREATE INDEX IF NOT EXISTS history_passport_cnic ON history_passport (cnic)"
	" WHERE cnic IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS history_passport_photo ON history_passport (photo_sha256)"
	" WHERE photo_sha256 IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS history_passport_base ON history_passport (base)"
	" WHERE base IS NOT NULL;";

#define COLUMNS "passport_no, cnic, surname, given_names, father_name, date_of_birth, sex, " \
	"issued_on, expires_on, status, photo_sha256, batch, tracking_id"

static int
fail(struct imp_store *s, struct imp_err *e, const char *what)
{
	char msg[sizeof e->msg];
	int rc = imp_state_fail(s->db, e, what);

	snprintf(msg, sizeof msg, "%s", e->msg);
	return imp_fail(e, rc, "history %s: %s", s->path, msg);
}

static int
prepare(struct imp_store *s, const char *sql, sqlite3_stmt **st, struct imp_err *e)
{
	if (*st != NULL)
		return 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return fail(s, e, "preparing a statement");
	return 0;
}

static int
exec(struct imp_store *s, const char *sql, struct imp_err *e)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, e, "updating");
	return 0;
}

/* A state database of before the base file: its passports have no base. */
static int
add_base_column(struct imp_store *s, struct imp_err *e)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, "SELECT base FROM history_passport", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	return exec(s, "ALTER TABLE history_passport ADD COLUMN base INTEGER", e);
}

static int
read_count(struct imp_store *s, struct imp_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, "SELECT name, value FROM history_meta WHERE name IN ('passports', "
			  "'base')", &st, e)) != 0)
		return rc;
	s->passports = s->base_rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*(strcmp((const char *)sqlite3_column_text(st, 0), "base") == 0 ? &s->base_rows :
		  &s->passports) = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, e, "reading");
}

int
imp_store_open(const char *path, int mode, struct imp_store **sp, struct imp_err *e)
{
	struct imp_store *s;
	struct stat sb;
	int rc;

	if ((s = *sp = calloc(1, sizeof *s)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (path != NULL && *path != '\0')
		snprintf(s->path, sizeof s->path, "%s", path);
	else
		snprintf(s->path, sizeof s->path, "%s/state.db", imp_spool_path(NULL));
	/* a history named that is not there is a mistake; the spool's is made */
	if (mode == IMP_STORE_LOOKUP && path != NULL && *path != '\0' && stat(s->path, &sb) != 0)
		return imp_fail(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR, "cannot open the "
				"history %s: %s; load it with dedup --import-history, or give "
				"its place with --history", s->path, strerror(errno));
	if ((rc = imp_state_open(s->path, 10000, &s->db, e)) != 0)
		return rc;
	if ((rc = imp_names_open(&s->names, e)) != 0)
		return rc;
	if ((s->count_name = imp_map_new()) == NULL || (s->count_father = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = exec(s, schema, e)) != 0 || (rc = add_base_column(s, e)) != 0 ||
	    (rc = read_count(s, e)) != 0)
		return rc;
	snprintf(s->base_path, sizeof s->base_path, "%s-history", s->path);
	if ((rc = imp_histfile_open(s->base_path, &s->base, e)) != 0)
		return rc;
	if (s->base == NULL && s->base_rows > 0)
		return imp_fail(e, EX_NOINPUT, "the history %s has its passports in %s, which is "
				"not there: put it back beside the database (the two are copied "
				"together), or load the history again into an empty one", s->path,
				s->base_path);
	/* a history not loaded yet gets its indexes after its first load */
	return s->passports > 0 ? exec(s, indexes, e) : 0;
}

void
imp_store_close(struct imp_store *s)
{
	if (s == NULL)
		return;
	if (s->in_tx)
		imp_store_rollback(s);
	sqlite3_finalize(s->insert);
	sqlite3_finalize(s->update);
	sqlite3_finalize(s->old);
	sqlite3_finalize(s->key);
	sqlite3_finalize(s->unkey);
	sqlite3_finalize(s->by_cnic);
	sqlite3_finalize(s->by_photo);
	sqlite3_finalize(s->by_key);
	sqlite3_finalize(s->word);
	sqlite3_finalize(s->in_delta);
	sqlite3_finalize(s->materialise);
	sqlite3_finalize(s->shadows);
	sqlite3_close(s->db);
	imp_histfile_close(s->base);
	imp_histfile_abort(s->build);
	free(s->shadow);
	imp_names_close(s->names);
	imp_map_free(s->count_name);
	imp_map_free(s->count_father);
	imp_buf_free(&s->full);
	free(s);
}

const char *
imp_store_path(const struct imp_store *s)
{
	return s->path;
}

uint64_t
imp_store_passports(const struct imp_store *s)
{
	return s->passports + imp_histfile_count(s->base);
}

/* ---- keys ------------------------------------------------------------------------ */

uint64_t
imp_store_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;      /* FNV-1a, then a finaliser */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

/* "K|part|rest" hashed: what snprintf made of it, without its cost (a
 * bulk load makes 8 keys a passport). */
static uint64_t
key_of(char kind, const char *part, const char *rest)
{
	char buf[4 * IMP_WORD_MAX + 32];
	size_t a = strlen(part), b = strlen(rest);

	if (a + b + 4 > sizeof buf)
		return 0;
	buf[0] = kind;
	buf[1] = '|';
	memcpy(buf + 2, part, a);
	buf[2 + a] = '|';
	memcpy(buf + 3 + a, rest, b + 1);
	return imp_store_hash(buf);
}

/* Two numbers of a date as %0Nd-%02d (the second left out when 0 wide). */
static const char *
date_part(char out[11], int x, int xw, int y, int yw)
{
	int i;

	for (i = xw - 1; i >= 0; i--, x /= 10)
		out[i] = (char)('0' + x % 10);
	if (yw == 0) {
		out[xw] = '\0';
		return out;
	}
	out[xw] = '-';
	for (i = yw - 1; i >= 0; i--, y /= 10)
		out[xw + 1 + i] = (char)('0' + y % 10);
	out[xw + 1 + yw] = '\0';
	return out;
}

size_t
imp_history_keys(const struct imp_name_words *name, const char *dob, int stored, uint64_t *keys,
		 size_t max)
{
	const char *w[4];
	char skel[IMP_WORD_MAX], initials[8], set[4 * IMP_WORD_MAX], part[11];
	size_t n = imp_strong_words(name, w, 4), i, k = 0, len = 0, wl;
	struct imp_date d;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		wl = strlen(w[i]);
		if (len + wl + 2 > sizeof set)
			break;
		if (i > 0)
			set[len++] = ' ';
		memcpy(set + len, w[i], wl);
		len += wl;
		initials[i] = w[i][0];
	}
	set[len] = '\0';
	initials[n] = '\0';
	if (dob == NULL || imp_date_partial(dob, &d) != 0) {
		keys[k++] = key_of('N', set, "");
		return k;
	}
	for (i = 0; i < n && k < max; i++) {
		imp_word_skeleton(w[i], skel);
		keys[k++] = key_of('W', skel, dob);
	}
	if (k < max)
		keys[k++] = key_of('I', initials, dob);
	/* a typo in the date: the name with two of its three parts */
	if (k < max && d.m)
		keys[k++] = key_of('Y', set, date_part(part, d.y, 4, d.m, 2));
	if (k < max && d.d)
		keys[k++] = key_of('M', set, date_part(part, d.m, 2, d.d, 2));
	if (k < max && d.d)
		keys[k++] = key_of('D', set, date_part(part, d.y, 4, d.d, 2));
	/* the name with the year: looked up for a date known only in part */
	if (k < max && (stored || d.d == 0))
		keys[k++] = key_of('N', set, date_part(part, d.y, 4, 0, 0));
	return k;
}

/* ---- writing ----------------------------------------------------------------------- */

int
imp_store_begin(struct imp_store *s, struct imp_err *e)
{
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	s->in_tx = 1;
	s->added = 0;
	return 0;
}

void
imp_store_rollback(struct imp_store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
	s->added = 0;
	imp_map_free(s->count_name);
	imp_map_free(s->count_father);
	s->count_name = imp_map_new();
	s->count_father = imp_map_new();
}

struct flush {
	struct imp_store *s;
	sqlite3_stmt *st;
	int father, rc;
};

static int
flush_word(void *arg, const char *word, uint64_t n)
{
	struct flush *f = arg;

	sqlite3_bind_text(f->st, 1, word, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f->st, 2, f->father ? 0 : (sqlite3_int64)n);
	sqlite3_bind_int64(f->st, 3, f->father ? (sqlite3_int64)n : 0);
	if (sqlite3_step(f->st) != SQLITE_DONE)
		f->rc = -1;
	sqlite3_reset(f->st);
	return f->rc;
}

/* The words of the passports added, and their number, into the tables. */
static int
flush_counts(struct imp_store *s, struct imp_err *e)
{
	struct flush f = { s, NULL, 0, 0 };
	sqlite3_stmt *meta = NULL;
	int rc;

	if ((rc = prepare(s, "INSERT INTO history_word VALUES (?1, ?2, ?3) ON CONFLICT (word) "
			  "DO UPDATE SET n_name = n_name + excluded.n_name, n_father = "
			  "n_father + excluded.n_father", &f.st, e)) != 0)
		return rc;
	imp_map_each(s->count_name, flush_word, &f);
	f.father = 1;
	if (f.rc == 0)
		imp_map_each(s->count_father, flush_word, &f);
	sqlite3_finalize(f.st);
	if (f.rc != 0)
		return fail(s, e, "counting the words of names");
	if ((rc = prepare(s, "INSERT INTO history_meta VALUES ('passports', ?1) ON CONFLICT "
			  "(name) DO UPDATE SET value = value + excluded.value", &meta, e)) != 0)
		return rc;
	sqlite3_bind_int64(meta, 1, (sqlite3_int64)s->added);
	rc = sqlite3_step(meta) == SQLITE_DONE ? 0 : fail(s, e, "counting the passports");
	sqlite3_finalize(meta);
	return rc;
}

int
imp_store_commit(struct imp_store *s, struct imp_err *e)
{
	int rc;

	if ((rc = flush_counts(s, e)) != 0 || (rc = exec(s, indexes, e)) != 0) {
		imp_store_rollback(s);
		return rc;
	}
	imp_fault("history-commit");
	if ((rc = exec(s, "COMMIT", e)) != 0) {
		imp_store_rollback(s);
		return rc;
	}
	s->in_tx = 0;
	s->passports += s->added;
	s->added = 0;
	imp_map_free(s->count_name);
	imp_map_free(s->count_father);
	s->count_name = imp_map_new();
	s->count_father = imp_map_new();
	return s->count_name && s->count_father ? 0 : imp_fail(e, EX_SOFTWARE, "out of memory");
}

static void
bind(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_passport(sqlite3_stmt *st, const struct imp_passport *p)
{
	bind(st, 1, p->number);
	bind(st, 2, p->cnic);
	bind(st, 3, p->surname);
	bind(st, 4, p->given_names);
	bind(st, 5, p->father_name);
	bind(st, 6, p->date_of_birth);
	bind(st, 7, p->sex);
	bind(st, 8, p->issued_on);
	bind(st, 9, p->expires_on);
	bind(st, 10, p->status);
	bind(st, 11, p->photo_sha256);
	bind(st, 12, p->batch);
	bind(st, 13, p->tracking_id);
}

static int
count_words(struct imp_map *m, const struct imp_name_words *w)
{
	const char *v[IMP_NAME_WORDS];
	size_t n = imp_strong_words(w, v, IMP_NAME_WORDS), i;

	for (i = 0; i < n; i++)
		if (imp_map_add(m, v[i], 1) != 0)
			return -1;
	return 0;
}

static const char *col(sqlite3_stmt *st, int i);

/* The keys of a passport (names, date of birth) in or out of history_key. */
static int
set_keys(struct imp_store *s, sqlite3_int64 id, const char *given, const char *surname,
	 const char *dob, const char *valid_until, int add, struct imp_err *e)
{
	struct imp_name_words w;
	uint64_t keys[IMP_HISTORY_KEYS];
	sqlite3_stmt *st;
	size_t n, i;
	int rc;

	if ((rc = prepare(s, "INSERT OR REPLACE INTO history_key VALUES (?1, ?2, ?3)", &s->key,
			  e)) != 0 ||
	    (rc = prepare(s, "DELETE FROM history_key WHERE key = ?1 AND id = ?2",
			  &s->unkey, e)) != 0)
		return rc;
	imp_buf_full_name(&s->full, given, surname);
	imp_name_words(s->names, imp_buf_str(&s->full), &w);
	n = imp_history_keys(&w, dob, 1, keys, IMP_HISTORY_KEYS);
	st = add ? s->key : s->unkey;
	sqlite3_bind_int64(st, 2, id);
	if (add)
		bind(st, 3, valid_until);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)keys[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return fail(s, e, "updating a passport's keys");
	}
	return 0;
}

/* A passport there already: its id, and its old keys out (it may have
 * changed: a status, a name). */
static int
forget_keys(struct imp_store *s, const char *number, sqlite3_int64 *id, struct imp_err *e)
{
	char given[256], surname[256], dob[16];
	int rc;

	if ((rc = prepare(s, "SELECT id, given_names, surname, date_of_birth FROM "
			  "history_passport WHERE passport_no = ?1", &s->old, e)) != 0)
		return rc;
	sqlite3_bind_text(s->old, 1, number, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s->old)) != SQLITE_ROW) {
		sqlite3_reset(s->old);
		return fail(s, e, "reading a passport");
	}
	*id = sqlite3_column_int64(s->old, 0);
	snprintf(given, sizeof given, "%s", col(s->old, 1));
	snprintf(surname, sizeof surname, "%s", col(s->old, 2));
	snprintf(dob, sizeof dob, "%s", col(s->old, 3));
	sqlite3_reset(s->old);
	return set_keys(s, *id, given, surname, dob, NULL, 0, e);
}

static int
valid(const struct imp_passport *p)
{
	return p->status != NULL && strcmp(p->status, "valid") == 0;
}

static int
base_damaged(struct imp_store *s, struct imp_err *e)
{
	return imp_fail(e, EX_DATAERR, "the history's base file %s is damaged: load the history "
			"again into an empty history (dedup --import-history)", s->base_path);
}

/* The base file's passport of this number: 0 with its ref and fields, -1
 * when none, -2 when the file is damaged. */
static int
base_find(struct imp_store *s, const char *number, uint32_t *ref, struct imp_passport *p)
{
	uint64_t lo, hi;

	if (s->base == NULL)
		return -1;
	if (imp_histfile_find(s->base, IMP_HF_NUMBER, imp_store_hash(number), &lo, &hi) != 0)
		return -2;
	for (; lo < hi; lo++) {
		*ref = imp_histfile_ref(s->base, IMP_HF_NUMBER, lo);
		if (imp_histfile_get(s->base, *ref, p) == 0 && strcmp(p->number, number) == 0)
			return 0;
	}
	return -1;
}

static int
same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* What the UPDATE of imp_store_put leaves as it is (SQL's IS; "" is NULL there). */
static int
unchanged(const struct imp_passport *old, const struct imp_passport *p)
{
	int kept = p->printed && (strcmp(old->status, "lost") == 0 ||
				  strcmp(old->status, "cancelled") == 0);

	return same_text(old->cnic, p->cnic) && same_text(old->surname, p->surname) &&
	       same_text(old->given_names, p->given_names) &&
	       same_text(old->father_name, p->father_name) &&
	       same_text(old->date_of_birth, p->date_of_birth) && same_text(old->sex, p->sex) &&
	       same_text(old->issued_on, p->issued_on) &&
	       same_text(old->expires_on, p->expires_on) &&
	       (same_text(old->status, p->status) || kept) && same_text(p->photo_sha256, "") &&
	       same_text(p->batch, "") && same_text(p->tracking_id, "");
}

/*
 * A passport of the base file, unless the tables have it already: the same
 * (1), or copied into the tables with its ref (base), which hides the
 * base's copy from then on, to be updated there (0).
 */
static int
base_put(struct imp_store *s, const struct imp_passport *p, struct imp_err *e)
{
	struct imp_passport old;
	uint32_t ref;
	int rc;

	if ((rc = base_find(s, p->number, &ref, &old)) != 0)
		return rc == -2 ? -base_damaged(s, e) : 0;
	if ((rc = prepare(s, "SELECT 1 FROM history_passport WHERE passport_no = ?1",
			  &s->in_delta, e)) != 0 ||
	    (rc = prepare(s, "INSERT INTO history_passport (" COLUMNS ", base) VALUES (?1, ?2, "
			  "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", &s->materialise,
			  e)) != 0)
		return -rc;
	sqlite3_bind_text(s->in_delta, 1, p->number, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->in_delta);
	sqlite3_reset(s->in_delta);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return -fail(s, e, "reading a passport");
	if (unchanged(&old, p))
		return 1;
	bind_passport(s->materialise, &old);
	sqlite3_bind_int64(s->materialise, 14, ref);
	rc = sqlite3_step(s->materialise);
	sqlite3_reset(s->materialise);
	if (rc != SQLITE_DONE)
		return -fail(s, e, "updating a passport");
	s->shadow_ok = 0;
	return 0;
}

int
imp_store_put(struct imp_store *s, const struct imp_passport *p, int *outcome,
	      struct imp_err *e)
{
	struct imp_name_words name, father;
	const char *until = valid(p) ? p->expires_on : NULL;
	sqlite3_int64 id;
	int rc;

	if ((rc = prepare(s, "INSERT OR IGNORE INTO history_passport (" COLUMNS ") VALUES (?1, "
			  "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", &s->insert,
			  e)) != 0 ||
	    (rc = prepare(s, "UPDATE history_passport SET cnic = ?2, surname = ?3, given_names = "
			  "?4, father_name = ?5, date_of_birth = ?6, sex = ?7, issued_on = ?8, "
			  "expires_on = ?9, status = CASE WHEN ?14 AND status IN ('lost', "
			  "'cancelled') THEN status ELSE ?10 END, photo_sha256 = coalesce(?11, "
			  "photo_sha256), batch = coalesce(?12, batch), tracking_id = "
			  "coalesce(?13, tracking_id) WHERE passport_no = ?1 AND NOT (cnic IS ?2 "
			  "AND surname IS ?3 AND given_names IS ?4 AND father_name IS ?5 AND "
			  "date_of_birth IS ?6 AND sex IS ?7 AND issued_on IS ?8 AND expires_on "
			  "IS ?9 AND (status IS ?10 OR (?14 AND status IN ('lost', 'cancelled'))) "
			  "AND (?11 IS NULL OR photo_sha256 IS ?11) AND "
			  "(?12 IS NULL OR batch IS ?12) AND (?13 IS NULL OR tracking_id IS ?13))",
			  &s->update, e)) != 0)
		return rc;
	if ((rc = base_put(s, p, e)) != 0) {
		*outcome = IMP_STORE_SAME;
		return rc < 0 ? -rc : 0;
	}
	bind_passport(s->insert, p);
	rc = sqlite3_step(s->insert);
	sqlite3_reset(s->insert);
	if (rc != SQLITE_DONE)
		return fail(s, e, "adding a passport");
	*outcome = IMP_STORE_ADDED;
	id = sqlite3_last_insert_rowid(s->db);
	if (sqlite3_changes(s->db) == 0) {
		if ((rc = forget_keys(s, p->number, &id, e)) != 0)
			return rc;
		bind_passport(s->update, p);
		sqlite3_bind_int(s->update, 14, p->printed != 0);
		rc = sqlite3_step(s->update);
		sqlite3_reset(s->update);
		if (rc != SQLITE_DONE)
			return fail(s, e, "updating a passport");
		*outcome = sqlite3_changes(s->db) ? IMP_STORE_CHANGED : IMP_STORE_SAME;
	}
	if ((rc = set_keys(s, id, p->given_names, p->surname, p->date_of_birth, until, 1,
			   e)) != 0 || *outcome != IMP_STORE_ADDED)
		return rc;              /* a changed passport keeps its count */
	s->added++;
	imp_name_words(s->names, imp_buf_str(&s->full), &name);
	imp_name_words(s->names, p->father_name ? p->father_name : "", &father);
	if (count_words(s->count_name, &name) != 0 || count_words(s->count_father, &father) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* ---- the CSV of SPEC 5.5 ----------------------------------------------------------- */

static const char *const history_columns[] = {
	"passport_no", "cnic", "surname", "given_names", "father_name", "date_of_birth", "sex",
	"issued_on", "expires_on", "status",
};
enum { H_NUMBER, H_CNIC, H_SURNAME, H_GIVEN, H_FATHER, H_DOB, H_SEX, H_ISSUED, H_EXPIRES,
       H_STATUS, H_NCOL };

struct load {
	struct imp_store *s;
	struct imp_store_tally *t;
	imp_store_progress_fn *progress;
	void *arg;
	size_t col[H_NCOL], ncols;
	int header;
	struct imp_buf name[3];
	char number[17], cnic[14], dob[11], issued[11], expires[11], status[10], sex[2];
};

static const char *
trimmed(const char *v, char *out, size_t size, int upper)
{
	size_t k = 0;

	for (; *v != '\0' && k + 1 < size; v++)
		if (*v != ' ')
			out[k++] = (char)(upper && *v >= 'a' && *v <= 'z' ? *v - 32 :
					  !upper && *v >= 'A' && *v <= 'Z' ? *v + 32 : *v);
	out[k] = '\0';
	return out;
}

static int
bad_row(const struct imp_csv_row *row, struct imp_err *e, const char *col, const char *v,
	const char *want)
{
	return imp_fail(e, EX_DATAERR, "%s line %lu: %s '%s' is not %s; a passport cannot be "
			"left out of the history, so the file is refused: correct the row and "
			"load it again", row->file, row->line, col, v, want);
}

static int
load_number(struct load *l, const struct imp_csv_row *row, struct imp_err *e)
{
	const char *v = row->field[l->col[H_NUMBER]];
	size_t k = 0;

	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '-')
			continue;
		if (k + 1 >= sizeof l->number || !((*v >= 'A' && *v <= 'Z') ||
		    (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9')))
			return bad_row(row, e, "passport_no", row->field[l->col[H_NUMBER]],
				       "1 to 16 letters and digits");
		l->number[k++] = (char)(*v >= 'a' && *v <= 'z' ? *v - 32 : *v);
	}
	l->number[k] = '\0';
	return k == 0 ? bad_row(row, e, "passport_no", "", "1 to 16 letters and digits") : 0;
}

static int
load_dates(struct load *l, const struct imp_csv_row *row, struct imp_err *e)
{
	struct imp_date d;
	const char *v;

	v = row->field[l->col[H_DOB]];
	l->dob[0] = '\0';
	if (*v != '\0' && imp_date_partial(v, &d) != 0)
		return bad_row(row, e, "date_of_birth", v, "a date YYYY-MM-DD (or YYYY-MM, YYYY)");
	if (*v != '\0')
		imp_str_copy(l->dob, sizeof l->dob, v);
	v = row->field[l->col[H_ISSUED]];
	l->issued[0] = '\0';
	if (*v != '\0' && imp_date_iso(v, &d) != 0)
		return bad_row(row, e, "issued_on", v, "a date YYYY-MM-DD");
	imp_str_copy(l->issued, sizeof l->issued, v);
	v = row->field[l->col[H_EXPIRES]];
	if (*v == '\0' && strcmp(l->status, "valid") == 0)
		return bad_row(row, e, "expires_on", v, "a date YYYY-MM-DD (a valid passport "
			       "expires)");
	if (*v != '\0' && imp_date_iso(v, &d) != 0)
		return bad_row(row, e, "expires_on", v, "a date YYYY-MM-DD");
	imp_str_copy(l->expires, sizeof l->expires, v);
	return 0;
}

static int
load_names(struct load *l, const struct imp_csv_row *row, struct imp_err *e)
{
	static const int cols[] = { H_SURNAME, H_GIVEN, H_FATHER };
	uint32_t bad;
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *v = row->field[l->col[cols[i]]];

		if (imp_name_normalise(v, &l->name[i], &bad) != 0)
			return bad_row(row, e, history_columns[cols[i]], v, "a name in Latin "
				       "letters");
	}
	return 0;
}

static int
load_fields(struct load *l, const struct imp_csv_row *row, struct imp_err *e)
{
	const char *v;
	uint64_t c;
	int rc;

	if ((rc = load_number(l, row, e)) != 0)
		return rc;
	v = row->field[l->col[H_CNIC]];
	l->cnic[0] = '\0';
	if (*v != '\0' && imp_cnic_parse(v, &c) != 0)
		return bad_row(row, e, "cnic", v, "13 digits (12345-1234567-1)");
	if (*v != '\0')
		snprintf(l->cnic, sizeof l->cnic, "%013" PRIu64, c);
	trimmed(row->field[l->col[H_STATUS]], l->status, sizeof l->status, 0);
	if (strcmp(l->status, "valid") && strcmp(l->status, "cancelled") &&
	    strcmp(l->status, "lost") && strcmp(l->status, "expired"))
		return bad_row(row, e, "status", row->field[l->col[H_STATUS]],
			       "valid, cancelled, lost or expired");
	trimmed(row->field[l->col[H_SEX]], l->sex, sizeof l->sex, 1);
	if (strlen(row->field[l->col[H_SEX]]) > 1 || (l->sex[0] && !strchr("MFX", l->sex[0])))
		return bad_row(row, e, "sex", row->field[l->col[H_SEX]], "M, F or X");
	if ((rc = load_dates(l, row, e)) != 0)
		return rc;
	return load_names(l, row, e);
}

static int build_put(struct imp_store *s, const struct imp_passport *p, int *outcome,
		     struct imp_err *e);

static int
load_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct load *l = arg;
	struct imp_passport p;
	size_t i;
	int rc, outcome;

	if (row->header) {
		l->header = 1;
		l->ncols = row->n;
		return imp_csv_header(row, "an issued-passport history", history_columns, H_NCOL,
				      l->col, e);
	}
	if (row->n != l->ncols)
		return imp_fail(e, EX_DATAERR, "%s line %lu has %zu fields where the header has "
				"%zu; a passport cannot be left out of the history, so the file is "
				"refused: correct the row and load it again", row->file, row->line,
				row->n, l->ncols);
	for (i = 0; i < row->kept; i++)
		if (row->bad[i] || row->toolong[i])
			return imp_fail(e, EX_DATAERR, "%s line %lu: field %zu %s; the file is "
					"refused: correct the row and load it again", row->file,
					row->line, i + 1, row->bad[i] ? "holds a control character" :
					"is longer than 4096 bytes");
	if ((rc = load_fields(l, row, e)) != 0)
		return rc;
	memset(&p, 0, sizeof p);
	p.number = l->number;
	p.cnic = l->cnic;
	p.surname = imp_buf_str(&l->name[0]);
	p.given_names = imp_buf_str(&l->name[1]);
	p.father_name = imp_buf_str(&l->name[2]);
	p.date_of_birth = l->dob;
	p.sex = l->sex;
	p.issued_on = l->issued;
	p.expires_on = l->expires;
	p.status = l->status;
	if ((rc = l->s->build ? build_put(l->s, &p, &outcome, e) :
		  imp_store_put(l->s, &p, &outcome, e)) != 0)
		return rc;
	l->t->rows++;
	l->t->added += outcome == IMP_STORE_ADDED;
	l->t->changed += outcome == IMP_STORE_CHANGED;
	l->t->same += outcome == IMP_STORE_SAME;
	if (l->progress != NULL)
		l->progress(l->arg, l->t->rows);
	return 0;
}

/* A passport of the import into an empty history: into the base file. */
static int
build_put(struct imp_store *s, const struct imp_passport *p, int *outcome, struct imp_err *e)
{
	struct imp_name_words name, father;
	uint64_t keys[IMP_HISTORY_KEYS];
	size_t n = 0;
	int rc;

	imp_buf_full_name(&s->full, p->given_names, p->surname);
	imp_name_words(s->names, imp_buf_str(&s->full), &name);
	if (valid(p))
		n = imp_history_keys(&name, p->date_of_birth, 1, keys, IMP_HISTORY_KEYS);
	imp_name_words(s->names, p->father_name ? p->father_name : "", &father);
	if ((rc = imp_histfile_add(s->build, p, keys, n, imp_father_tag(&father), e)) != 0)
		return rc;
	*outcome = IMP_STORE_ADDED;
	if (count_words(s->count_name, &name) != 0 || count_words(s->count_father, &father) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/*
 * The base file written and put in place, inside the import's transaction
 * (no other writer meanwhile); its words counted there, not in the tables.
 * No passports: no file.
 */
static int
build_finish(struct imp_store *s, const char *csv, struct imp_err *e)
{
	char sql[128];
	int rc;

	if (imp_histfile_built(s->build) == 0)
		return 0;
	if ((rc = imp_histfile_finish(s->build, s->count_name, s->count_father, csv)) != 0)
		return rc;
	snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO history_meta VALUES ('base', %" PRIu64
		 ")", imp_histfile_built(s->build));
	if ((rc = exec(s, sql, e)) != 0)
		return rc;
	imp_fault("history-import");
	imp_fault("history-commit");
	if ((rc = imp_histfile_commit(s->build)) != 0)
		return rc;
	imp_map_free(s->count_name);
	imp_map_free(s->count_father);
	s->count_name = imp_map_new();
	s->count_father = imp_map_new();
	if (s->count_name == NULL || s->count_father == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return imp_histfile_open(s->base_path, &s->base, e);
}

int
imp_store_import(struct imp_store *s, const char *csv, imp_store_progress_fn *progress,
		 void *arg, struct imp_store_tally *t, struct imp_err *e)
{
	struct load l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof l);
	memset(t, 0, sizeof *t);
	l.s = s;
	l.t = t;
	l.progress = progress;
	l.arg = arg;
	/* a bulk load: a large page cache; into an empty history, the base
	 * file (histfile.c) built beside the tables, put in place at the commit */
	if ((rc = exec(s, "PRAGMA cache_size = -262144", e)) != 0 ||
	    (rc = imp_store_begin(s, e)) != 0)
		return rc;
	if (s->base == NULL)                      /* perhaps built since it was opened */
		rc = imp_histfile_open(s->base_path, &s->base, e);
	if (rc == 0 && s->base == NULL && s->passports == 0)
		rc = imp_histfile_begin(s->base_path, &s->build, e);
	if (rc == 0)
		rc = imp_csv_read(csv, load_row, &l, e);
	if (rc == 0 && !l.header)
		rc = imp_fail(e, EX_DATAERR, "%s is empty: an issued-passport history has a "
			      "header row (impass-csv(5))", csv);
	for (i = 0; i < 3; i++)
		imp_buf_free(&l.name[i]);
	if (rc == 0 && s->build != NULL)
		rc = build_finish(s, csv, e);
	imp_fault("history-import");
	if (rc == 0)
		rc = imp_store_commit(s, e);
	else
		imp_store_rollback(s);
	imp_histfile_abort(s->build);
	s->build = NULL;
	exec(s, "PRAGMA cache_size = -16384", e);
	return rc;
}

/* ---- lookups ------------------------------------------------------------------------ */

int
imp_store_read(struct imp_store *s, struct imp_err *e)
{
	int rc;

	/* a page cache for the lookups of a batch: memory stays flat however large */
	if ((rc = exec(s, "PRAGMA cache_size = -65536", e)) != 0 ||
	    (rc = exec(s, "BEGIN", e)) != 0)
		return rc;
	s->in_tx = 1;
	s->shadow_ok = 0;
	return 0;
}

void
imp_store_done(struct imp_store *s)
{
	if (s->in_tx)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	s->in_tx = 0;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? (const char *)v : "";
}

/* The refs of the base file's passports changed since (copied into the tables). */
static int
load_shadows(struct imp_store *s, struct imp_err *e)
{
	uint32_t *v;
	size_t cap = 0;
	int rc;

	if (s->shadow_ok || s->base == NULL)
		return 0;
	if ((rc = prepare(s, "SELECT base FROM history_passport WHERE base IS NOT NULL ORDER BY "
			  "base", &s->shadows, e)) != 0)
		return rc;
	s->nshadow = 0;
	while ((rc = sqlite3_step(s->shadows)) == SQLITE_ROW) {
		if (s->nshadow == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((v = realloc(s->shadow, cap * sizeof *v)) == NULL) {
				sqlite3_reset(s->shadows);
				return imp_fail(e, EX_SOFTWARE, "out of memory");
			}
			s->shadow = v;
		}
		s->shadow[s->nshadow++] = (uint32_t)sqlite3_column_int64(s->shadows, 0);
	}
	sqlite3_reset(s->shadows);
	if (rc != SQLITE_DONE)
		return fail(s, e, "reading");
	s->shadow_ok = 1;
	return 0;
}

static int
shadowed(const struct imp_store *s, uint32_t ref)
{
	size_t lo = 0, hi = s->nshadow, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->shadow[mid] < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nshadow && s->shadow[lo] == ref;
}

/* Where a row of the tables comes among the base file's: a copy at its
 * base's place, the others after them all, in the order they came. */
static uint64_t
row_order(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ?
	       ((uint64_t)1 << 32) + (uint64_t)sqlite3_column_int64(st, 0) :
	       (uint64_t)sqlite3_column_int64(st, col);
}

struct merge {
	int ix;                       /* the base file's index */
	uint64_t h;                   /* the hash looked up there */
	const char *cnic;             /* IMP_HF_CNIC: the CNIC looked up */
	const char *valid_on;         /* IMP_HF_KEY: valid passports expiring on or after */
	int *left;                    /* at most this many more (NULL: no limit) */
	const struct imp_person_veto *veto;  /* IMP_HF_KEY: passed over (NULL: none) */
};

int
imp_person_vetoed(const struct imp_person_veto *v, const struct imp_date *dob, char sex,
		  unsigned father)
{
	return imp_dob_compare(&v->dob, dob) == IMP_DOB_DIFFERS || imp_sexes_differ(v->sex, sex) ||
	       imp_father_vetoed(&v->father, father);
}

/* Whether m's veto passes over entry i of the base file's index (by its
 * tag: the passport is not read) or passport p (a row of the tables). */
static int
entry_vetoed(struct imp_store *s, const struct merge *m, uint64_t i)
{
	struct imp_date dob;
	unsigned father;
	char sex;

	return m->veto != NULL && imp_histfile_tag(s->base, m->ix, i, &dob, &sex, &father) == 0 &&
	       imp_person_vetoed(m->veto, &dob, sex, father);
}

/* The same veto of a row of the tables: its tag made of the row. */
static int
row_vetoed(struct imp_store *s, const struct merge *m, const struct imp_passport *p)
{
	struct imp_name_words father;
	struct imp_date dob;

	if (m == NULL || m->veto == NULL)
		return 0;
	if (imp_date_partial(p->date_of_birth, &dob) != 0)
		memset(&dob, 0, sizeof dob);
	if (imp_dob_compare(&m->veto->dob, &dob) == IMP_DOB_DIFFERS ||
	    imp_sexes_differ(m->veto->sex, p->sex[0]))
		return 1;
	imp_name_words(s->names, p->father_name, &father);
	return imp_person_vetoed(m->veto, &dob, p->sex[0], imp_father_tag(&father));
}

static int
base_wanted(const struct merge *m, const struct imp_passport *p)
{
	if (m->ix == IMP_HF_CNIC)
		return strcmp(p->cnic, m->cnic) == 0;
	return strcmp(p->status, "valid") == 0 && strcmp(p->expires_on, m->valid_on) >= 0;
}

/*
 * The rows of st (columns: id, COLUMNS, base) and the base file's passports
 * found by m, one sequence in the order of the history as if it were one
 * table; the base's passports changed since are the tables' copies.
 */
static int
each(struct imp_store *s, sqlite3_stmt *st, const struct merge *m, imp_passport_fn *fn,
     void *arg, struct imp_err *e)
{
	struct imp_passport p;
	uint64_t lo = 0, hi = 0, order;
	uint32_t ref = 0;
	int rc, stop = 0, have_ref = 0;

	if (s->base != NULL && m != NULL) {
		if ((rc = load_shadows(s, e)) != 0) {
			sqlite3_reset(st);
			return rc;
		}
		if (imp_histfile_find(s->base, m->ix, m->h, &lo, &hi) != 0) {
			sqlite3_reset(st);
			return base_damaged(s, e);
		}
	}
	rc = st != NULL ? sqlite3_step(st) : SQLITE_DONE;
	while (!stop && (m == NULL || m->left == NULL || *m->left > 0)) {
		for (; !have_ref && lo < hi; lo++) {
			ref = imp_histfile_ref(s->base, m->ix, lo);
			have_ref = !shadowed(s, ref) && !entry_vetoed(s, m, lo);
		}
		order = rc == SQLITE_ROW ? row_order(st, 14) : UINT64_MAX;
		if (have_ref && ref < order) {
			have_ref = 0;
			if (imp_histfile_get(s->base, ref, &p) != 0) {
				sqlite3_reset(st);
				return base_damaged(s, e);
			}
			if (!base_wanted(m, &p))
				continue;
		} else if (rc == SQLITE_ROW) {
			p.number = col(st, 1);
			p.cnic = col(st, 2);
			p.surname = col(st, 3);
			p.given_names = col(st, 4);
			p.father_name = col(st, 5);
			p.date_of_birth = col(st, 6);
			p.sex = col(st, 7);
			p.issued_on = col(st, 8);
			p.expires_on = col(st, 9);
			p.status = col(st, 10);
			p.photo_sha256 = col(st, 11);
			p.batch = col(st, 12);
			p.tracking_id = col(st, 13);
			p.printed = 0;
			if (row_vetoed(s, m, &p)) {
				rc = sqlite3_step(st);
				continue;
			}
			stop = fn(arg, &p);
			if (m != NULL && m->left != NULL)
				--*m->left;
			rc = stop ? SQLITE_DONE : sqlite3_step(st);
			continue;
		} else {
			break;
		}
		p.printed = 0;
		stop = fn(arg, &p);
		if (m != NULL && m->left != NULL)
			--*m->left;
	}
	if (st != NULL)
		sqlite3_reset(st);
	if (!stop && rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(s, e, "looking up passports");
	return 0;
}

#define SELECTED "p.id, p.passport_no, p.cnic, p.surname, p.given_names, p.father_name, " \
	"p.date_of_birth, p.sex, p.issued_on, p.expires_on, p.status, p.photo_sha256, p.batch, " \
	"p.tracking_id, p.base"

int
imp_store_by_cnic(struct imp_store *s, const char *cnic, imp_passport_fn *fn, void *arg,
		  struct imp_err *e)
{
	struct merge m = { IMP_HF_CNIC, imp_store_hash(cnic), cnic, NULL, NULL, NULL };
	int rc;

	if ((rc = prepare(s, "SELECT " SELECTED " FROM history_passport p WHERE p.cnic = ?1 "
			  "ORDER BY coalesce(p.base, 4294967296 + p.id)", &s->by_cnic, e)) != 0)
		return rc;
	sqlite3_bind_text(s->by_cnic, 1, cnic, -1, SQLITE_STATIC);
	return each(s, s->by_cnic, &m, fn, arg, e);
}

/* The base file has no photos: a passport with one came from a printed stream. */
int
imp_store_by_photo(struct imp_store *s, const char *photo, imp_passport_fn *fn, void *arg,
		   struct imp_err *e)
{
	int rc;

	if ((rc = prepare(s, "SELECT " SELECTED " FROM history_passport p WHERE "
			  "p.photo_sha256 = ?1", &s->by_photo, e)) != 0)
		return rc;
	sqlite3_bind_text(s->by_photo, 1, photo, -1, SQLITE_STATIC);
	return each(s, s->by_photo, NULL, fn, arg, e);
}

static int
by_signed(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Key by key in SQLite's order (as signed integers), each once; by id in a key. */
int
imp_store_by_keys(struct imp_store *s, const uint64_t *keys, size_t n, const char *valid_on,
		  const struct imp_person_veto *v, int limit, imp_passport_fn *fn, void *arg,
		  struct imp_err *e)
{
	int64_t k[IMP_HISTORY_KEYS];
	struct merge m = { IMP_HF_KEY, 0, NULL, valid_on, &limit, v };
	size_t i;
	int rc;

	if ((rc = prepare(s, "SELECT " SELECTED " FROM history_key k JOIN history_passport p ON "
			  "p.id = k.id WHERE k.key = ?1 AND k.valid_until >= ?2 ORDER BY "
			  "coalesce(p.base, 4294967296 + p.id)", &s->by_key, e)) != 0)
		return rc;
	if (n > IMP_HISTORY_KEYS)
		n = IMP_HISTORY_KEYS;
	memcpy(k, keys, n * sizeof *k);
	qsort(k, n, sizeof *k, by_signed);
	for (i = 0; i < n && limit > 0; i++) {
		if (i > 0 && k[i] == k[i - 1])
			continue;
		m.h = (uint64_t)k[i];
		sqlite3_bind_int64(s->by_key, 1, k[i]);
		sqlite3_bind_text(s->by_key, 2, valid_on, -1, SQLITE_STATIC);
		if ((rc = each(s, s->by_key, &m, fn, arg, e)) != 0)
			return rc;
	}
	return 0;
}

int
imp_store_word(struct imp_store *s, const char *word, int father, uint64_t *n,
	       struct imp_err *e)
{
	int rc;

	if ((rc = prepare(s, "SELECT n_name, n_father FROM history_word WHERE word = ?1",
			  &s->word, e)) != 0)
		return rc;
	sqlite3_bind_text(s->word, 1, word, -1, SQLITE_STATIC);
	*n = imp_histfile_word(s->base, word, father);
	if ((rc = sqlite3_step(s->word)) == SQLITE_ROW)
		*n += (uint64_t)sqlite3_column_int64(s->word, father ? 1 : 0);
	sqlite3_reset(s->word);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, e, "counting a name");
}
