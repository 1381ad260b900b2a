/* SPDX-License-Identifier: ISC */
/*
 * The issuance index (see issuance.h): one row per printed passport, found
 * by number or laminate with one look-up each, and every line of each
 * printed stream recorded with its leaf, so that a record's audit path is
 * made without the stream. The trees of the last few batches proved are
 * kept in memory, every complete aligned subtree's hash by level: a
 * presented batch of thousands comes from a few printed batches, and each
 * path is then O(log n) look-ups instead of hashing the whole batch.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "issuance.h"
#include "state.h"

#define CACHED 8

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS issuance_batch(batch TEXT PRIMARY KEY, kind TEXT NOT NULL,"
	" prov TEXT, seal TEXT NOT NULL, root TEXT NOT NULL, count INTEGER NOT NULL,"
	" recorded TEXT NOT NULL);"
	/* a rowid table: a line of 2-3 KB stays in its page (WITHOUT ROWID
	 * spilled it to overflow pages and took twice the room) */
	"CREATE TABLE IF NOT EXISTS issuance_line(batch TEXT NOT NULL, idx INTEGER NOT NULL,"
	" leaf BLOB NOT NULL, line TEXT NOT NULL, PRIMARY KEY (batch, idx));"
	"CREATE TABLE IF NOT EXISTS issuance_passport(number TEXT PRIMARY KEY,"
	" tracking TEXT NOT NULL, mrz1 TEXT NOT NULL, mrz2 TEXT NOT NULL, photo TEXT NOT NULL,"
	" office TEXT NOT NULL, issued TEXT NOT NULL, expires TEXT NOT NULL,"
	" laminate TEXT NOT NULL, queue TEXT NOT NULL, printed TEXT NOT NULL,"
	" batch TEXT NOT NULL, idx INTEGER NOT NULL, approved TEXT NOT NULL,"
	" approver TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS issuance_laminate ON issuance_passport(laminate)"
	" WHERE laminate != '';"
	"CREATE TABLE IF NOT EXISTS issuance_status(id INTEGER PRIMARY KEY,"
	" number TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('lost', 'stolen',"
	" 'cancelled')), officer TEXT NOT NULL, why TEXT NOT NULL, at TEXT NOT NULL,"
	" sig TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS issuance_status_number ON issuance_status(number);";

struct leaves {
	char batch[IMP_ID_MAX + 1];
	unsigned char (*leaf)[IMP_HASH_LEN];
	uint64_t n;
	unsigned char (*level[64])[IMP_HASH_LEN];   /* level[j][i]: leaves i*2^j .. (i+1)*2^j */
	int levels;
};

struct imp_issuance {
	sqlite3 *db;
	int spool;                       /* the spool journal's tables are there */
	struct leaves cache[CACHED];
	size_t next;
	struct imp_record *rec;
};

static void
copy_col(sqlite3_stmt *s, int i, char *out, size_t n)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	snprintf(out, n, "%s", v ? (const char *)v : "");
}

static void
bind(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void
leaves_free(struct leaves *c)
{
	int j;

	for (j = 1; j < c->levels; j++)
		free(c->level[j]);
	free(c->leaf);
	memset(c, 0, sizeof *c);
}

int
imp_issuance_open(const char *path, struct imp_issuance **ix, struct imp_err *e)
{
	struct imp_issuance *x = calloc(1, sizeof *x);
	sqlite3_stmt *s;
	int rc;

	*ix = NULL;
	if (x == NULL || (x->rec = imp_record_new()) == NULL) {
		free(x);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	if ((rc = imp_ledger_open(path, 5000, &x->db, e)) != 0 ||
	    (rc = imp_state_exec(x->db, schema_sql, e)) != 0) {
		imp_issuance_close(x);
		return rc;
	}
	if ((s = imp_state_prepare(x->db, "SELECT count(*) FROM sqlite_master WHERE type = "
				   "'table' AND name IN ('spool_job', 'spool_batch', "
				   "'spool_laminate')", e)) == NULL) {
		imp_issuance_close(x);
		return e->code;
	}
	x->spool = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 3;
	imp_state_release(s);
	*ix = x;
	return 0;
}

void
imp_issuance_close(struct imp_issuance *ix)
{
	size_t i;

	if (ix == NULL)
		return;
	for (i = 0; i < CACHED; i++)
		leaves_free(&ix->cache[i]);
	imp_record_free(ix->rec);
	imp_state_close(ix->db);
	free(ix);
}

int
imp_issuance_begin(struct imp_issuance *ix, struct imp_err *e)
{
	return imp_state_exec(ix->db, "BEGIN IMMEDIATE", e);
}

int
imp_issuance_commit(struct imp_issuance *ix, struct imp_err *e)
{
	return imp_state_exec(ix->db, "COMMIT", e);
}

void
imp_issuance_rollback(struct imp_issuance *ix)
{
	sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- recording printed streams ------------------------------------------------ */

int
imp_issuance_batch(struct imp_issuance *ix, const struct imp_batch *b, int *added,
		   struct imp_err *e)
{
	char root[2 * IMP_HASH_LEN + 1], at[21], old[2 * IMP_HASH_LEN + 1] = "";
	sqlite3_stmt *s;
	int rc;

	imp_hex(b->seal.root, IMP_HASH_LEN, root);
	if ((s = imp_state_prepare(ix->db, "SELECT root FROM issuance_batch WHERE batch = ?1",
				   e)) == NULL)
		return e->code;
	bind(s, 1, b->id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		copy_col(s, 0, old, sizeof old);
	imp_state_release(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return imp_state_fail(ix->db, e, "issuance index");
	*added = old[0] == '\0';
	if (!*added)
		return strcmp(old, root) == 0 ? 0 :
		       imp_fail(e, EX_DATAERR, "printed batch %s was recorded before with root "
				"%s, and this stream has root %s: one batch id names two sets of "
				"records; have the printed streams examined", b->id, old, root);
	imp_utc(at);
	if ((s = imp_state_prepare(ix->db, "INSERT INTO issuance_batch VALUES (?1, ?2, ?3, ?4, "
				   "?5, ?6, ?7)", e)) == NULL)
		return e->code;
	bind(s, 1, b->id);
	bind(s, 2, b->kind);
	if (b->prov_line != NULL)
		sqlite3_bind_text(s, 3, b->prov_line, (int)b->prov_len, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, b->seal_line, (int)b->seal_len, SQLITE_TRANSIENT);
	bind(s, 5, root);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)b->count);
	bind(s, 7, at);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(ix->db, e, "issuance index");
}

/* The n-th <mrz> of a record line (0 or 1), unescaped. */
static void
mrz_of(const char *line, size_t len, int n, char *out, size_t size)
{
	const char *p = line, *end = line + len, *q;
	struct imp_buf b = { 0 };

	out[0] = '\0';
	for (; n >= 0; n--) {
		if ((p = memmem(p, (size_t)(end - p), "<mrz>", 5)) == NULL)
			return;
		p += 5;
	}
	if ((q = memmem(p, (size_t)(end - p), "</mrz>", 6)) == NULL)
		return;
	imp_buf_add(&b, p, (size_t)(q - p));
	if (!b.oom) {
		imp_buf_str(&b);
		b.len = imp_unescape(b.p);
		snprintf(out, size, "%s", b.p);
	}
	imp_buf_free(&b);
}

#define FIELD(dst, v) snprintf((dst), sizeof (dst), "%s", (v) ? (v) : "")

/* Where the passport came from: its approved batch and the approver. */
static int
approval(struct imp_issuance *ix, struct imp_issued *p, struct imp_err *e)
{
	sqlite3_stmt *s;
	const char *seal, *f;
	int rc;

	if (!ix->spool)
		return 0;
	if ((s = imp_state_prepare(ix->db, "SELECT j.batch, b.seal FROM spool_job j LEFT JOIN "
				   "spool_batch b ON b.batch = j.batch WHERE j.number = ?1",
				   e)) == NULL)
		return e->code;
	bind(s, 1, p->number);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		copy_col(s, 0, p->approved, sizeof p->approved);
		seal = (const char *)sqlite3_column_text(s, 1);
		if (seal != NULL && (f = strstr(seal, " signer=\"")) != NULL)
			snprintf(p->approver, sizeof p->approver, "%.*s", IMP_FPR_LEN, f + 9);
	}
	imp_state_release(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	       imp_state_fail(ix->db, e, "spool journal");
}

static int
read_printed(struct imp_issuance *ix, const char *line, size_t len, struct imp_issued *p,
	     struct imp_err *e)
{
	struct imp_record *r = ix->rec;
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = imp_record_load(r, line, len, e)) != 0)
		return rc;
	FIELD(p->number, imp_record_attr(r, "passport", "number"));
	FIELD(p->tracking, imp_record_id(r));
	FIELD(p->issued, imp_record_attr(r, "passport", "issued"));
	FIELD(p->expires, imp_record_attr(r, "passport", "expires"));
	FIELD(p->photo, imp_record_field(r, "application", "photo_sha256"));
	FIELD(p->office, imp_record_field(r, "application", "office"));
	FIELD(p->laminate, imp_record_attr(r, "print", "laminate"));
	FIELD(p->queue, imp_record_attr(r, "print", "queue"));
	FIELD(p->printed, imp_record_attr(r, "print", "printed"));
	mrz_of(line, len, 0, p->mrz1, sizeof p->mrz1);
	mrz_of(line, len, 1, p->mrz2, sizeof p->mrz2);
	if (imp_record_error(r) != NULL) {
		*e = *imp_record_error(r);
		return e->code;
	}
	return approval(ix, p, e);
}

static int
put_line(struct imp_issuance *ix, const char *batch, uint64_t index, const char *line,
	 size_t len, struct imp_err *e)
{
	unsigned char leaf[IMP_HASH_LEN];
	sqlite3_stmt *s;
	int rc;

	imp_leaf_hash(line, len, leaf);
	if ((s = imp_state_prepare(ix->db, "INSERT OR IGNORE INTO issuance_line VALUES (?1, ?2, "
				   "?3, ?4)", e)) == NULL)
		return e->code;
	bind(s, 1, batch);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(s, 3, leaf, IMP_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, line, (int)len, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(ix->db, e, "issuance index");
}

int
imp_issuance_add(struct imp_issuance *ix, const char *batch, uint64_t index, const char *line,
		 size_t len, int *added, struct imp_err *e)
{
	struct imp_issued p;
	sqlite3_stmt *s;
	int rc;

	*added = 0;
	if ((rc = put_line(ix, batch, index, line, len, e)) != 0 ||
	    (rc = read_printed(ix, line, len, &p, e)) != 0)
		return rc;
	if (p.number[0] == '\0')
		return 0;            /* a printed record always has one; nothing to find it by */
	if ((s = imp_state_prepare(ix->db, "INSERT OR IGNORE INTO issuance_passport VALUES (?1, "
				   "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
				   e)) == NULL)
		return e->code;
	bind(s, 1, p.number);
	bind(s, 2, p.tracking);
	bind(s, 3, p.mrz1);
	bind(s, 4, p.mrz2);
	bind(s, 5, p.photo);
	bind(s, 6, p.office);
	bind(s, 7, p.issued);
	bind(s, 8, p.expires);
	bind(s, 9, p.laminate);
	bind(s, 10, p.queue);
	bind(s, 11, p.printed);
	bind(s, 12, batch);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)index);
	bind(s, 14, p.approved);
	bind(s, 15, p.approver);
	rc = sqlite3_step(s);
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(ix->db, e, "issuance index");
	*added = sqlite3_changes(ix->db) > 0;
	return 0;
}

/* ---- look-ups ------------------------------------------------------------------------ */

#define PASSPORT_COLUMNS "number, tracking, mrz1, mrz2, photo, office, issued, expires, " \
	"laminate, queue, printed, batch, idx, approved, approver"

static void
read_row(sqlite3_stmt *s, struct imp_issued *p)
{
	memset(p, 0, sizeof *p);
	copy_col(s, 0, p->number, sizeof p->number);
	copy_col(s, 1, p->tracking, sizeof p->tracking);
	copy_col(s, 2, p->mrz1, sizeof p->mrz1);
	copy_col(s, 3, p->mrz2, sizeof p->mrz2);
	copy_col(s, 4, p->photo, sizeof p->photo);
	copy_col(s, 5, p->office, sizeof p->office);
	copy_col(s, 6, p->issued, sizeof p->issued);
	copy_col(s, 7, p->expires, sizeof p->expires);
	copy_col(s, 8, p->laminate, sizeof p->laminate);
	copy_col(s, 9, p->queue, sizeof p->queue);
	copy_col(s, 10, p->printed, sizeof p->printed);
	copy_col(s, 11, p->batch, sizeof p->batch);
	p->index = (uint64_t)sqlite3_column_int64(s, 12);
	copy_col(s, 13, p->approved, sizeof p->approved);
	copy_col(s, 14, p->approver, sizeof p->approver);
}

static int
find_by(struct imp_issuance *ix, const char *sql, const char *key, struct imp_issued *p,
	struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(ix->db, sql, e);
	int rc;

	if (s == NULL)
		return -e->code;
	bind(s, 1, key);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		read_row(s, p);
	imp_state_release(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return -imp_state_fail(ix->db, e, "issuance index");
}

int
imp_issuance_find(struct imp_issuance *ix, const char *number, struct imp_issued *p,
		  struct imp_err *e)
{
	return find_by(ix, "SELECT " PASSPORT_COLUMNS " FROM issuance_passport WHERE number = ?1",
		       number, p, e);
}

int
imp_issuance_by_laminate(struct imp_issuance *ix, const char *serial, struct imp_issued *p,
			 struct imp_err *e)
{
	return find_by(ix, "SELECT " PASSPORT_COLUMNS " FROM issuance_passport WHERE laminate = "
		       "?1 AND laminate != ''", serial, p, e);
}

/* One row of two text columns for key: 1, 0 when none, else -code. */
static int
two_cols(struct imp_issuance *ix, const char *sql, const char *key, char *a, char *b,
	 struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(ix->db, sql, e);
	int rc;

	a[0] = b[0] = '\0';
	if (s == NULL)
		return -e->code;
	bind(s, 1, key);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		copy_col(s, 0, a, 16);
		copy_col(s, 1, b, 16);
	}
	imp_state_release(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return -imp_state_fail(ix->db, e, "state database");
}

int
imp_issuance_ledger(struct imp_issuance *ix, const char *number, char state[16],
		    char reprinted[16], struct imp_err *e)
{
	return two_cols(ix, "SELECT n.state, (SELECT r.number FROM series_number r WHERE "
			"r.reprint_of = n.number AND r.state != 'void' ORDER BY r.given LIMIT 1) "
			"FROM series_number n WHERE n.number = ?1", number, state, reprinted, e);
}

int
imp_issuance_laminate(struct imp_issuance *ix, const char *serial, char state[16],
		      char job[16], char stock[256], struct imp_err *e)
{
	sqlite3_stmt *s;
	int rc;

	state[0] = job[0] = stock[0] = '\0';
	if (!ix->spool)
		return 0;
	if ((s = imp_state_prepare(ix->db, "SELECT l.state, l.job, i.file FROM spool_laminate l "
				   "LEFT JOIN spool_issue i ON i.id = l.issue WHERE l.serial = ?1",
				   e)) == NULL)
		return -e->code;
	bind(s, 1, serial);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		copy_col(s, 0, state, 16);
		copy_col(s, 1, job, 16);
		copy_col(s, 2, stock, 256);
	}
	imp_state_release(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return -imp_state_fail(ix->db, e, "spool journal");
}

/* ---- proofs ---------------------------------------------------------------------- */

/* Every complete aligned subtree's hash, level by level. */
static int
build_levels(struct leaves *c)
{
	uint64_t n = c->n, i;
	int j;

	c->level[0] = c->leaf;
	c->levels = 1;
	for (j = 1; n >= 2; j++, n /= 2) {
		if ((c->level[j] = calloc(n / 2, IMP_HASH_LEN)) == NULL)
			return -1;
		c->levels = j + 1;
		for (i = 0; i < n / 2; i++)
			imp_node_hash(c->level[j - 1][2 * i], c->level[j - 1][2 * i + 1],
				      c->level[j][i]);
	}
	return 0;
}

static uint64_t
split(uint64_t n)                    /* the largest power of two below n (n > 1) */
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[a:b]) (RFC 6962 2.1), a aligned to the split that made the range. */
static void
subtree(const struct leaves *c, uint64_t a, uint64_t b, unsigned char out[IMP_HASH_LEN])
{
	unsigned char l[IMP_HASH_LEN], r[IMP_HASH_LEN];
	uint64_t n = b - a, k;
	int j = 0;

	if ((n & (n - 1)) == 0 && a % n == 0) {
		while (((uint64_t)1 << j) < n)
			j++;
		memcpy(out, c->level[j][a >> j], IMP_HASH_LEN);
		return;
	}
	k = split(n);
	subtree(c, a, a + k, l);
	subtree(c, a + k, b, r);
	imp_node_hash(l, r, out);
}

/* PATH(m, D[a:b]) (RFC 6962 2.1.1), from the leaf up; how many hashes. */
static size_t
audit_path(const struct leaves *c, uint64_t m, uint64_t a, uint64_t b,
	   unsigned char (*path)[IMP_HASH_LEN])
{
	uint64_t k;
	size_t n;

	if (b - a <= 1)
		return 0;
	k = split(b - a);
	if (m < a + k) {
		n = audit_path(c, m, a, a + k, path);
		subtree(c, a + k, b, path[n]);
	} else {
		n = audit_path(c, m, a + k, b, path);
		subtree(c, a, a + k, path[n]);
	}
	return n + 1;
}

static struct leaves *
leaves_of(struct imp_issuance *ix, const char *batch, uint64_t count, struct imp_err *e)
{
	struct leaves *c;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	for (i = 0; i < CACHED; i++)
		if (ix->cache[i].leaf != NULL && strcmp(ix->cache[i].batch, batch) == 0)
			return &ix->cache[i];
	c = &ix->cache[ix->next];
	ix->next = (ix->next + 1) % CACHED;
	leaves_free(c);
	if ((c->leaf = calloc(count ? count : 1, IMP_HASH_LEN)) == NULL) {
		imp_fail(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if ((s = imp_state_prepare(ix->db, "SELECT idx, leaf FROM issuance_line WHERE batch = "
				   "?1 ORDER BY idx", e)) == NULL)
		return NULL;
	bind(s, 1, batch);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && c->n < count) {
		if ((uint64_t)sqlite3_column_int64(s, 0) != c->n ||
		    sqlite3_column_bytes(s, 1) != IMP_HASH_LEN)
			break;
		memcpy(c->leaf[c->n++], sqlite3_column_blob(s, 1), IMP_HASH_LEN);
	}
	imp_state_release(s);
	if (c->n != count) {
		imp_fail(e, EX_DATAERR, "the issuance index holds %" PRIu64 " of the %" PRIu64
			 " lines of printed batch %s: record its printed stream again "
			 "(verify-passport --record)", c->n, count, batch);
		leaves_free(c);
		return NULL;
	}
	if (build_levels(c) != 0) {
		imp_fail(e, EX_SOFTWARE, "out of memory");
		leaves_free(c);
		return NULL;
	}
	snprintf(c->batch, sizeof c->batch, "%s", batch);
	return c;
}

int
imp_issuance_proof(struct imp_issuance *ix, const struct imp_issued *p, struct imp_buf *out,
		   struct imp_err *e)
{
	unsigned char path[64][IMP_HASH_LEN];
	struct imp_batch b;
	struct leaves *c;
	sqlite3_stmt *s;
	size_t plen;
	int rc;

	memset(&b, 0, sizeof b);
	if ((s = imp_state_prepare(ix->db, "SELECT b.kind, b.prov, b.seal, b.count, l.line FROM "
				   "issuance_batch b JOIN issuance_line l ON l.batch = b.batch "
				   "WHERE b.batch = ?1 AND l.idx = ?2", e)) == NULL)
		return e->code;
	bind(s, 1, p->batch);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)p->index);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		imp_state_release(s);
		return rc == SQLITE_DONE ? imp_fail(e, EX_DATAERR, "printed batch %s of passport "
						    "%s is not in the issuance index: record its "
						    "printed stream again", p->batch, p->number) :
					   imp_state_fail(ix->db, e, "issuance index");
	}
	snprintf(b.id, sizeof b.id, "%s", p->batch);
	copy_col(s, 0, b.kind, sizeof b.kind);
	b.count = (uint64_t)sqlite3_column_int64(s, 3);
	if ((c = leaves_of(ix, p->batch, b.count, e)) == NULL) {
		imp_state_release(s);
		return e->code;
	}
	b.prov_line = (char *)sqlite3_column_text(s, 1);
	b.prov_len = (size_t)sqlite3_column_bytes(s, 1);
	b.seal_line = (char *)sqlite3_column_text(s, 2);
	b.seal_len = (size_t)sqlite3_column_bytes(s, 2);
	plen = audit_path(c, p->index, 0, c->n, path);
	imp_proof_write(out, &b, p->index, (const char *)sqlite3_column_text(s, 4),
			(size_t)sqlite3_column_bytes(s, 4), (const void *)path, plen);
	imp_state_release(s);
	return out->oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

/* ---- the forensic desk's status changes ------------------------------------------ */

void
imp_status_statement(struct imp_buf *b, const struct imp_status_change *c)
{
	imp_buf_printf(b, "impass-status/1\nnumber=%s\nstatus=%s\nofficer=%s\nat=%s\nwhy=%s\n",
		       c->number, c->status, c->officer, c->at, c->why);
}

int
imp_issuance_set_status(struct imp_issuance *ix, const struct imp_status_change *c,
			const char *sig, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(ix->db, "INSERT INTO issuance_status(number, status, "
					    "officer, why, at, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
					    e);
	int rc;

	if (s == NULL)
		return e->code;
	bind(s, 1, c->number);
	bind(s, 2, c->status);
	bind(s, 3, c->officer);
	bind(s, 4, c->why);
	bind(s, 5, c->at);
	bind(s, 6, sig);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(ix->db, e, "issuance index");
}

int
imp_issuance_status(struct imp_issuance *ix, const char *number, struct imp_status_change *c,
		    struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(ix->db, "SELECT status, officer, why, at FROM "
					    "issuance_status WHERE number = ?1 ORDER BY id DESC "
					    "LIMIT 1", e);
	int rc;

	memset(c, 0, sizeof *c);
	if (s == NULL)
		return -e->code;
	bind(s, 1, number);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(c->number, sizeof c->number, "%s", number);
		copy_col(s, 0, c->status, sizeof c->status);
		copy_col(s, 1, c->officer, sizeof c->officer);
		copy_col(s, 2, c->why, sizeof c->why);
		copy_col(s, 3, c->at, sizeof c->at);
	}
	imp_state_release(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return -imp_state_fail(ix->db, e, "issuance index");
}
