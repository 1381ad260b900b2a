/* SPDX-License-Identifier: ISC */
/*
 * spool-print: approved passports to the printer queues, exactly once.
 * The input must be sealed by sign with an approver key. Every job is
 * planned in the state database (queue, laminate), written to tmp/ and
 * delivered to new/ only after the input verified; the batch is journalled
 * last, so a re-run after a crash completes what is missing and a re-run
 * after success does nothing. --collect gathers what the printers did,
 * --reconcile accounts for the security laminates (SPEC.md sections 6, 8).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "series.h"

#define PROG "spool-print"
#define MAX_QUEUES 64
#define QUEUE_NAME_MAX 16
#define SERIAL_LEN 10                 /* SL00012345 */
#define AUTHORITY "DGIP ISLAMABAD"

enum mode { SPOOL, COLLECT, RECONCILE, REPRINT };

struct opts {
	enum mode mode;
	const char *spool, *queues, *laminates, *reprint, *input, *trust, *signer;
	int wait;
};

struct spool {                        /* the spool folder, its lock and journal */
	char root[4096];
	int lock;
	sqlite3 *db;
	char queue[MAX_QUEUES][QUEUE_NAME_MAX + 1];
	size_t nq;
};

struct staged {                       /* a file written aside, to be renamed in */
	char *from, *to;
};

struct job_run {                      /* one run of the batch being spooled */
	struct spool *sp;
	const char *batch;
	char created[21];
	uint64_t count[MAX_QUEUES][3];   /* this batch's jobs per queue and priority */
	struct staged *st;
	size_t nst, cap;
	uint64_t jobs, fresh, held, rejected;
	struct imp_buf xml, path, why;
};

static const char *const dirs[] = { "tmp", "new", "cur", "done", "failed" };

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS spool_batch(batch TEXT PRIMARY KEY, records INTEGER, "
	"  jobs INTEGER, held INTEGER, rejected INTEGER, spooled TEXT, prov TEXT, seal TEXT);"
	"CREATE TABLE IF NOT EXISTS spool_job(number TEXT PRIMARY KEY, batch TEXT NOT NULL, "
	"  tracking_id TEXT NOT NULL, queue TEXT NOT NULL, priority INTEGER NOT NULL, "
	"  file TEXT NOT NULL, laminate TEXT UNIQUE, created TEXT NOT NULL, "
	"  state TEXT NOT NULL, reason TEXT, printed TEXT, collect INTEGER, reprint TEXT, "
	"  record TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS spool_job_batch ON spool_job(batch, state);"
	"CREATE INDEX IF NOT EXISTS spool_job_collect ON spool_job(collect);"
	/* --reprint and --reconcile run every night over a table that grows by
	 * a batch a night: they read only the jobs they are about */
	"CREATE INDEX IF NOT EXISTS spool_job_spoiled ON spool_job(batch) "
	"  WHERE state = 'spoiled' AND reprint IS NULL;"
	"CREATE INDEX IF NOT EXISTS spool_job_spooled ON spool_job(laminate) WHERE state = 'spooled';"
	"CREATE TABLE IF NOT EXISTS spool_laminate(serial TEXT PRIMARY KEY, issue INTEGER, "
	"  state TEXT NOT NULL, job TEXT);"
	"CREATE INDEX IF NOT EXISTS spool_laminate_state ON spool_laminate(state, serial);"
	"CREATE INDEX IF NOT EXISTS spool_laminate_job ON spool_laminate(job);"
	"CREATE TABLE IF NOT EXISTS spool_issue(id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
	"  file TEXT NOT NULL, serials TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS spool_collect(id INTEGER PRIMARY KEY, batch TEXT NOT NULL, "
	"  created TEXT NOT NULL, sealed INTEGER NOT NULL DEFAULT 0);";

/* ---- small helpers ------------------------------------------------------------ */

static const char *
path_of(struct imp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
path_of(struct imp_buf *b, const char *fmt, ...)
{
	va_list ap;

	imp_buf_reset(b);
	va_start(ap, fmt);
	imp_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return imp_buf_str(b);
}

static int
make_dir(const char *path, struct imp_err *e)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s; check the spool's owner "
				"and permissions", path, strerror(errno));
	return 0;
}

static void
sync_path(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A file written aside, not yet durable: the files of a run are made
 * durable together by one syncfs() (sync_spool) before the plan commits;
 * an fsync per job made spooling ten times slower. */
static int
write_all(const char *path, const void *p, size_t n, struct imp_err *e)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", path, strerror(errno));
	return imp_write_fd(fd, path, p, n, 0, e);
}

/* Everything written on the spool's file system reaches the disk. */
static int
sync_spool(const char *root, struct imp_err *e)
{
	int fd, rc = 0;

	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_IOERR, "cannot open the spool %s: %s", root, strerror(errno));
	if (syncfs(fd) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write the spool %s to disk: %s", root,
			      strerror(errno));
	close(fd);
	return rc;
}

static int
step_sql(sqlite3 *db, sqlite3_stmt *s, struct imp_err *e)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	imp_state_fail(db, e, "state database");
	return -1;
}


static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

/* One integer from a query with text parameters, -1 on error. */
static int64_t
query_int(sqlite3 *db, struct imp_err *e, const char *sql, const char *p1, const char *p2)
{
	sqlite3_stmt *s = imp_state_prepare(db, sql, e);
	int64_t v = -1;

	if (s == NULL)
		return -1;
	if (p1)
		bind_text(s, 1, p1);
	if (p2)
		bind_text(s, 2, p2);
	if (step_sql(db, s, e) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	imp_state_release(s);
	return v;
}

/* ---- the spool: folders, lock, journal ------------------------------------------ */

static int
queue_name_ok(const char *q)
{
	size_t n = strspn(q, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return n > 0 && n <= QUEUE_NAME_MAX && q[n] == '\0' && q[0] != '-';
}

/* --queues N (p01..pNN) or a comma-separated list of names. */
static int
parse_queues(struct spool *sp, const char *arg, struct imp_err *e)
{
	char copy[MAX_QUEUES * (QUEUE_NAME_MAX + 1) + 1], *tok, *save, *end;
	long n;
	size_t i;

	n = strtol(arg, &end, 10);
	if (*arg != '\0' && *end == '\0') {
		if (n < 1 || n > MAX_QUEUES)
			return imp_fail(e, EX_USAGE, "--queues %s: give 1 to %d queues", arg,
					MAX_QUEUES);
		for (sp->nq = 0; sp->nq < (size_t)n; sp->nq++)
			snprintf(sp->queue[sp->nq], sizeof sp->queue[0], "p%02d",
				 (int)(sp->nq + 1) % 100);
		return 0;
	}
	if (strlen(arg) >= sizeof copy)
		return imp_fail(e, EX_USAGE, "--queues: the list is too long");
	snprintf(copy, sizeof copy, "%s", arg);
	sp->nq = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!queue_name_ok(tok) || sp->nq == MAX_QUEUES)
			return imp_fail(e, EX_USAGE, "--queues: '%s' is not a queue name (1-%d of "
					"a-z, 0-9, -), or more than %d queues", tok,
					QUEUE_NAME_MAX, MAX_QUEUES);
		for (i = 0; i < sp->nq; i++)
			if (strcmp(sp->queue[i], tok) == 0)
				return imp_fail(e, EX_USAGE, "--queues: %s is named twice", tok);
		snprintf(sp->queue[sp->nq++], sizeof sp->queue[0], "%s", tok);
	}
	return sp->nq ? 0 : imp_fail(e, EX_USAGE, "--queues: no queue named");
}

static int
make_queues(struct spool *sp, struct imp_err *e)
{
	struct imp_buf p = { 0 };
	size_t q, d;
	int rc = 0;

	rc = make_dir(path_of(&p, "%s/print", sp->root), e);
	for (q = 0; rc == 0 && q < sp->nq; q++) {
		rc = make_dir(path_of(&p, "%s/print/%s", sp->root, sp->queue[q]), e);
		for (d = 0; rc == 0 && d < sizeof dirs / sizeof dirs[0]; d++)
			rc = make_dir(path_of(&p, "%s/print/%s/%s", sp->root, sp->queue[q], dirs[d]),
				      e);
	}
	if (rc == 0)
		rc = make_dir(path_of(&p, "%s/held", sp->root), e);
	if (rc == 0)
		rc = make_dir(path_of(&p, "%s/rejected", sp->root), e);
	if (rc == 0)
		rc = make_dir(path_of(&p, "%s/archive", sp->root), e);
	if (rc == 0)
		sync_path(sp->root);
	imp_buf_free(&p);
	return rc;
}

/* The lock (SPOOL/lock, flock) first, then the journal: one run at a time. */
static int
spool_open(struct spool *sp, const char *root, int wait, struct imp_err *e)
{
	char path[4200];
	int rc;

	sp->lock = -1;
	if (strlen(root) >= sizeof sp->root - 64)
		return imp_fail(e, EX_USAGE, "the spool path %s is too long", root);
	snprintf(sp->root, sizeof sp->root, "%s", root);
	if ((rc = make_dir(sp->root, e)) != 0)
		return rc;
	snprintf(path, sizeof path, "%s/lock", sp->root);
	if ((sp->lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot open the lock %s: %s", path,
				strerror(errno));
	while (flock(sp->lock, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return imp_fail(e, EX_TEMPFAIL, "another spool-print is running on %s (it "
					"holds %s); try again when it has finished, or use --wait",
					sp->root, path);
		return imp_fail(e, EX_IOERR, "cannot lock %s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof path, "%s/state.db", sp->root);
	if ((rc = imp_state_open(path, 30000, &sp->db, e)) != 0)
		return rc;
	return imp_state_exec(sp->db, schema_sql, e);
}

static void
spool_close(struct spool *sp)
{
	imp_state_close(sp->db);
	if (sp->lock >= 0)
		close(sp->lock);       /* releases the flock */
}

/* Every file of tmp/ is a leftover of a crashed run: the lock says no run is live. */
static uint64_t
clean_leftovers(struct spool *sp)
{
	static const char *const where[] = { "held", "rejected" };
	struct imp_buf p = { 0 }, f = { 0 };
	struct dirent *d;
	uint64_t n = 0;
	size_t q;
	DIR *dir;

	for (q = 0; q < sp->nq + 2; q++) {
		if (q < sp->nq)
			path_of(&p, "%s/print/%s/tmp", sp->root, sp->queue[q]);
		else
			path_of(&p, "%s/%s", sp->root, where[q - sp->nq]);
		if ((dir = opendir(imp_buf_str(&p))) == NULL)
			continue;
		while ((d = readdir(dir)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 ||
			    (q >= sp->nq && d->d_name[0] != '.'))
				continue;
			if (unlink(path_of(&f, "%s/%s", imp_buf_str(&p), d->d_name)) == 0)
				n++;
		}
		closedir(dir);
	}
	imp_buf_free(&p);
	imp_buf_free(&f);
	return n;
}

/* Whether the job file is anywhere a printer or a collect may have put it. */
static int
delivered(struct spool *sp, const char *queue, const char *file, struct imp_buf *p)
{
	size_t d;

	for (d = 1; d < sizeof dirs / sizeof dirs[0]; d++)
		if (exists(path_of(p, "%s/print/%s/%s/%s", sp->root, queue, dirs[d], file)))
			return 1;
	return exists(path_of(p, "%s/archive/%s/done/%s", sp->root, queue, file)) ||
	       exists(path_of(p, "%s/archive/%s/failed/%s", sp->root, queue, file));
}

/* ---- laminates ----------------------------------------------------------------- */

static int
serial_ok(const char *s, size_t n)
{
	size_t i;

	if (n != SERIAL_LEN || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The serials of a laminate file: one per line, # comments and blank lines. */
static int
read_serials(const char *file, struct imp_buf *out, size_t *n, struct imp_err *e)
{
	struct imp_lines l;
	struct imp_map *seen = imp_map_new();
	const char *line;
	char key[SERIAL_LEN + 1];
	uint64_t old;
	size_t len;
	int fd, got, rc = 0;

	*n = 0;
	if (seen == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		imp_map_free(seen);
		return imp_fail(e, EX_NOINPUT, "cannot open the laminate file %s: %s", file,
				strerror(errno));
	}
	if (imp_lines_init(&l, imp_read_fd, &fd, 4096) != 0)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	l.anynl = 1;
	while (rc == 0 && (got = imp_lines_next(&l, &line, &len)) > 0) {
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		if (!serial_ok(line, len)) {
			rc = imp_fail(e, EX_DATAERR, "%s line %lu: '%.*s' is not a laminate serial "
				      "(two letters and eight digits, SL00012345); correct the file",
				      file, l.lineno, (int)(len > 40 ? 40 : len), line);
			break;
		}
		snprintf(key, sizeof key, "%.*s", (int)len, line);
		if (imp_map_put(seen, key, l.lineno, &old) > 0) {
			rc = imp_fail(e, EX_DATAERR, "%s line %lu: %s is listed already on line %"
				      PRIu64 "; correct the file", file, l.lineno, key, old);
			break;
		}
		imp_buf_printf(out, "%s\n", key);
		(*n)++;
	}
	if (rc == 0 && got < 0)
		rc = imp_fail(e, EX_DATAERR, "cannot read %s: a line is too long, or %s", file,
			      strerror(errno));
	imp_lines_free(&l);
	close(fd);
	imp_map_free(seen);
	return rc == 0 && out->oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : rc;
}

/* Adds the file's serials to the stock; one already in the account stays as it is. */
static int
issue_laminates(struct spool *sp, const char *file, uint64_t *added, struct imp_err *e)
{
	struct imp_buf serials = { 0 };
	sqlite3_stmt *s = NULL, *ins = NULL;
	char at[21], *p, *nl;
	size_t n;
	int64_t id;
	int rc;

	*added = 0;
	if ((rc = read_serials(file, &serials, &n, e)) != 0)
		goto out;
	imp_utc(at);
	if ((rc = imp_state_exec(sp->db, "BEGIN IMMEDIATE", e)) != 0)
		goto out;
	rc = EX_SOFTWARE;
	if ((s = imp_state_prepare(sp->db, "INSERT INTO spool_issue(at, file, serials) VALUES(?,?,?)",
			 e)) == NULL)
		goto rollback;
	bind_text(s, 1, at);
	bind_text(s, 2, file);
	sqlite3_bind_text(s, 3, serials.p ? serials.p : "", (int)serials.len, SQLITE_STATIC);
	if (step_sql(sp->db, s, e) < 0)
		goto rollback;
	id = sqlite3_last_insert_rowid(sp->db);
	if ((ins = imp_state_prepare(sp->db, "INSERT OR IGNORE INTO spool_laminate(serial, issue, state) "
			   "VALUES(?, ?, 'stock')", e)) == NULL)
		goto rollback;
	for (p = serials.p; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, p, (int)(nl - p), SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, id);
		if (step_sql(sp->db, ins, e) < 0)
			goto rollback;
		*added += (uint64_t)sqlite3_changes(sp->db);
	}
	rc = imp_state_exec(sp->db, "COMMIT", e);
	goto out;
rollback:
	sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
out:
	imp_state_release(s);
	imp_state_release(ins);
	imp_buf_free(&serials);
	return rc;
}

/* ---- the print job ------------------------------------------------------------- */

static int
priority_of(const char *category)
{
	if (category != NULL && strcmp(category, "fasttrack") == 0)
		return 0;
	if (category != NULL && strcmp(category, "urgent") == 0)
		return 1;
	return 2;
}

static void
holder_elem(struct imp_buf *b, struct imp_record *r, const char *name, const char *section)
{
	const char *v = imp_record_field(r, section, name);

	if (v != NULL && *v != '\0')
		imp_buf_elem(b, name, v, strlen(v));
}

/* The job file: what the printer puts on the data page (schemas/printjob.xsd). */
static int
job_xml(struct job_run *jr, struct imp_record *r, const char *queue, int prio,
	const char *laminate, const char *created, struct imp_buf *b)
{
	xmlNodePtr pass = NULL, n;
	const char *photo = imp_record_field(r, "application", "photo_sha256");
	char prio_s[2] = { (char)('0' + prio), '\0' }, hex[65];
	size_t i;
	int lines = 0;

	for (n = imp_record_root(r)->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "passport") == 0)
			pass = n;
	imp_buf_reset(b);
	imp_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<job xmlns=\"urn:impass:printjob:1\"");
	imp_buf_attr(b, "number", imp_record_attr(r, "passport", "number"));
	imp_buf_attr(b, "batch", jr->batch);
	imp_buf_attr(b, "tracking_id", imp_record_id(r));
	imp_buf_attr(b, "queue", queue);
	imp_buf_attr(b, "priority", prio_s);
	imp_buf_attr(b, "laminate", laminate);
	imp_buf_attr(b, "created", created);
	imp_buf_puts(b, "><holder>");
	holder_elem(b, r, "surname", "normalised");
	holder_elem(b, r, "given_names", "normalised");
	imp_buf_puts(b, "<nationality>PAK</nationality>");
	holder_elem(b, r, "date_of_birth", "normalised");
	holder_elem(b, r, "sex", "normalised");
	holder_elem(b, r, "place_of_birth", "application");
	holder_elem(b, r, "father_name", "normalised");
	holder_elem(b, r, "cnic", "normalised");
	imp_buf_puts(b, "</holder><document");
	imp_buf_attr(b, "type", imp_record_attr(r, "passport", "type"));
	imp_buf_attr(b, "issued", imp_record_attr(r, "passport", "issued"));
	imp_buf_attr(b, "expires", imp_record_attr(r, "passport", "expires"));
	imp_buf_attr(b, "authority", AUTHORITY);
	imp_buf_attr(b, "pages", imp_record_field(r, "normalised", "pages"));
	imp_buf_puts(b, "/>");
	for (n = pass ? pass->children : NULL; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "mrz") != 0 ||
		    n->children == NULL || n->children->type != XML_TEXT_NODE)
			continue;
		imp_buf_elem(b, "mrz", (const char *)n->children->content,
			     strlen((const char *)n->children->content));
		lines++;
	}
	for (i = 0; photo != NULL && i < 64 && photo[i] != '\0'; i++)
		hex[i] = (char)(photo[i] >= 'A' && photo[i] <= 'F' ? photo[i] + 32 : photo[i]);
	hex[i] = '\0';
	imp_buf_puts(b, "<photo");
	imp_buf_attr(b, "sha256", hex);
	imp_buf_puts(b, "/></job>\n");
	if (b->oom)
		return -1;
	return lines == 2 ? 0 : 1;
}

/* ---- spooling one batch ---------------------------------------------------------- */

static int
stage_file(struct job_run *jr, const char *from, const char *to, struct imp_err *e)
{
	struct staged *v;

	if (jr->nst == jr->cap) {
		jr->cap = jr->cap ? 2 * jr->cap : 256;
		if ((v = realloc(jr->st, jr->cap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		jr->st = v;
	}
	jr->st[jr->nst].from = strdup(from);
	jr->st[jr->nst].to = strdup(to);
	if (jr->st[jr->nst].from == NULL || jr->st[jr->nst++].to == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* A held or rejected record: its file with the reasons, then the record itself. */
static int
park(struct job_run *jr, struct imp_record *r, int status, const char *code, const char *why,
     struct imp_err *e)
{
	const char *where = status == IMP_REJECTED ? "rejected" : "held";
	const char *line, *stage = "", *c = "", *text = "";
	struct imp_buf body = { 0 }, tmp = { 0 };
	size_t len;
	int rc;

	if (code == NULL && imp_record_verdict(r, &stage, &c, &text) != 0)
		stage = c = text = "";
	imp_record_line(r, &line, &len);
	imp_buf_printf(&body, "batch: %s\nrecord: %s\nstatus: %s\nstage: %s\ncode: %s\nreason: ",
		       jr->batch, imp_record_id(r), where, code ? PROG : stage, code ? code : c);
	imp_buf_puts(&body, code ? why : text);
	imp_buf_puts(&body, "\n\n");
	imp_buf_add(&body, line, len);
	imp_buf_puts(&body, "\n");
	path_of(&jr->path, "%s/%s/%s.%s", jr->sp->root, where, jr->batch, imp_record_id(r));
	path_of(&tmp, "%s/%s/.%s.%s", jr->sp->root, where, jr->batch, imp_record_id(r));
	rc = body.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") :
		write_all(imp_buf_str(&tmp), body.p, body.len, e);
	if (rc == 0)
		rc = stage_file(jr, imp_buf_str(&tmp), imp_buf_str(&jr->path), e);
	if (status == IMP_REJECTED)
		jr->rejected++;
	else
		jr->held++;
	imp_buf_free(&body);
	imp_buf_free(&tmp);
	return rc;
}

static int
pick_queue(struct job_run *jr, int prio)
{
	size_t q, best = 0;
	uint64_t tot, best_tot = 0;

	for (q = 0; q < jr->sp->nq; q++) {
		tot = jr->count[q][0] + jr->count[q][1] + jr->count[q][2];
		if (q == 0 || jr->count[q][prio] < jr->count[best][prio] ||
		    (jr->count[q][prio] == jr->count[best][prio] && tot < best_tot)) {
			best = q;
			best_tot = tot;
		}
	}
	return (int)best;
}

static int
queue_index(const struct spool *sp, const char *name)
{
	size_t q;

	for (q = 0; q < sp->nq; q++)
		if (strcmp(sp->queue[q], name) == 0)
			return (int)q;
	return -1;
}

/*
 * The plan of one job: the row of an earlier run of this batch, or a new
 * row with a queue and the next laminate from the stock.
 */
static int
plan(struct job_run *jr, struct imp_record *r, const char *number, int prio, int *queue,
     char laminate[SERIAL_LEN + 1], char created[21], struct imp_err *e)
{
	sqlite3 *db = jr->sp->db;
	sqlite3_stmt *s;
	const char *line;
	size_t len;
	char file[32];
	int rc, found = 0;

	if ((s = imp_state_prepare(db, "SELECT batch, tracking_id, queue, laminate, created FROM spool_job "
			 "WHERE number = ?", e)) == NULL)
		return e->code;
	bind_text(s, 1, number);
	if ((rc = step_sql(db, s, e)) == SQLITE_ROW) {
		found = 1;
		if (strcmp((const char *)sqlite3_column_text(s, 0), jr->batch) != 0 ||
		    strcmp((const char *)sqlite3_column_text(s, 1), imp_record_id(r)) != 0)
			rc = imp_fail(e, EX_DATAERR, "record %s: passport %s was spooled already "
				      "for record %s of batch %s; a number is printed once: have "
				      "the batch checked", imp_record_id(r), number,
				      sqlite3_column_text(s, 1), sqlite3_column_text(s, 0));
		else if ((*queue = queue_index(jr->sp, (const char *)sqlite3_column_text(s, 2))) < 0)
			rc = imp_fail(e, EX_USAGE, "record %s: an earlier run of this batch put "
				      "passport %s on queue %s, which --queues does not name; run "
				      "with the queues of that run", imp_record_id(r), number,
				      sqlite3_column_text(s, 2));
		snprintf(laminate, SERIAL_LEN + 1, "%s", sqlite3_column_text(s, 3));
		snprintf(created, 21, "%s", sqlite3_column_text(s, 4));
	}
	imp_state_release(s);
	if (rc < 0 || found)
		return rc < 0 ? e->code : rc == SQLITE_ROW ? 0 : rc;
	if ((s = imp_state_prepare(db, "SELECT serial FROM spool_laminate WHERE state = 'stock' ORDER BY "
			 "serial LIMIT 1", e)) == NULL)
		return e->code;
	rc = step_sql(db, s, e);
	if (rc == SQLITE_ROW)
		snprintf(laminate, SERIAL_LEN + 1, "%s", sqlite3_column_text(s, 0));
	imp_state_release(s);
	if (rc != SQLITE_ROW)
		return rc < 0 ? e->code : imp_fail(e, EX_UNAVAILABLE, "record %s: no laminate left "
						   "in stock", imp_record_id(r));
	*queue = pick_queue(jr, prio);
	snprintf(created, 21, "%s", jr->created);
	snprintf(file, sizeof file, "%d-%s.xml", prio, number);
	imp_record_line(r, &line, &len);
	if ((s = imp_state_prepare(db, "INSERT INTO spool_job(number, batch, tracking_id, queue, priority, "
			 "file, laminate, created, state, record) VALUES(?,?,?,?,?,?,?,?,'planned',?)",
			 e)) == NULL)
		return e->code;
	bind_text(s, 1, number);
	bind_text(s, 2, jr->batch);
	bind_text(s, 3, imp_record_id(r));
	bind_text(s, 4, jr->sp->queue[*queue]);
	sqlite3_bind_int(s, 5, prio);
	bind_text(s, 6, file);
	bind_text(s, 7, laminate);
	bind_text(s, 8, created);
	sqlite3_bind_text(s, 9, line, (int)len, SQLITE_STATIC);
	rc = step_sql(db, s, e);
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	if ((s = imp_state_prepare(db, "UPDATE spool_laminate SET state = 'assigned', job = ? WHERE "
			 "serial = ?", e)) == NULL)
		return e->code;
	bind_text(s, 1, number);
	bind_text(s, 2, laminate);
	rc = step_sql(db, s, e);
	imp_state_release(s);
	jr->count[*queue][prio]++;
	return rc < 0 ? e->code : 0;
}

static int
one_job(struct job_run *jr, struct imp_record *r, struct imp_err *e)
{
	/* the job's XML is made from the tree: parsed first, the fields are read from it */
	const char *number = imp_record_root(r) ? imp_record_attr(r, "passport", "number") : NULL;
	int prio = priority_of(imp_record_field(r, "normalised", "category"));
	char laminate[SERIAL_LEN + 1] = "", created[21], file[32];
	struct imp_buf tmp = { 0 };
	int queue = 0, rc;

	if (number == NULL || strlen(number) != IMP_NUMBER_LEN)
		return park(jr, r, IMP_HELD, "SPOOL_NO_PASSPORT", "an approved record without a "
			    "passport number: it cannot be printed; have it rendered and approved "
			    "again", e);
	if ((rc = plan(jr, r, number, prio, &queue, laminate, created, e)) != 0)
		return rc;
	jr->jobs++;
	snprintf(file, sizeof file, "%d-%s.xml", prio, number);
	if (delivered(jr->sp, jr->sp->queue[queue], file, &jr->path))
		return 0;
	if ((rc = job_xml(jr, r, jr->sp->queue[queue], prio, laminate, created, &jr->xml)) != 0)
		return rc < 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") :
			imp_fail(e, EX_DATAERR, "record %s: passport %s has not two <mrz> lines; "
				 "have the batch rendered again", imp_record_id(r), number);
	path_of(&tmp, "%s/print/%s/tmp/%s", jr->sp->root, jr->sp->queue[queue], file);
	if ((rc = write_all(imp_buf_str(&tmp), jr->xml.p, jr->xml.len, e)) == 0)
		rc = stage_file(jr, imp_buf_str(&tmp), path_of(&jr->path, "%s/print/%s/new/%s",
				jr->sp->root, jr->sp->queue[queue], file), e);
	imp_buf_free(&tmp);
	if (rc == 0 && ++jr->fresh == 1)
		imp_fault("tmp-written");
	return rc;
}

/* Renames every staged file in; then one syncfs makes the renames durable
 * (an fsync of both folders for each held record cost 28,000 fsyncs on a
 * batch of 60,000). */
static int
deliver(struct job_run *jr, struct imp_err *e)
{
	size_t i;

	for (i = 0; i < jr->nst; i++) {
		if (rename(jr->st[i].from, jr->st[i].to) != 0)
			return imp_fail(e, EX_IOERR, "cannot deliver %s: %s; run spool-print on "
					"the batch again", jr->st[i].to, strerror(errno));
		if (i == jr->nst / 2)
			imp_fault("delivered-half");
	}
	return jr->nst > 0 ? sync_spool(jr->sp->root, e) : 0;
}

static int
journal(struct job_run *jr, const struct imp_batch *b, uint64_t records, struct imp_err *e)
{
	sqlite3 *db = jr->sp->db;
	sqlite3_stmt *s;
	int rc;

	if ((rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	s = imp_state_prepare(db, "UPDATE spool_job SET state = 'spooled' WHERE batch = ? AND state = "
		    "'planned'", e);
	if (s != NULL) {
		bind_text(s, 1, jr->batch);
		rc = step_sql(db, s, e) < 0 ? e->code : 0;
		imp_state_release(s);
	} else {
		rc = e->code;
	}
	if (rc == 0 && (s = imp_state_prepare(db, "INSERT INTO spool_batch VALUES(?,?,?,?,?,?,?,?)",
				   e)) == NULL)
		rc = e->code;
	if (rc == 0) {
		bind_text(s, 1, jr->batch);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)records);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)jr->jobs);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)jr->held);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)jr->rejected);
		bind_text(s, 6, jr->created);
		if (b->prov_line)
			sqlite3_bind_text(s, 7, b->prov_line, (int)b->prov_len, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, b->seal_line, (int)b->seal_len, SQLITE_STATIC);
		rc = step_sql(db, s, e) < 0 ? e->code : 0;
		imp_state_release(s);
	}
	if (rc == 0)
		return imp_state_exec(db, "COMMIT", e);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

struct scan_count {
	uint64_t ok;
};

static int
count_ok(void *arg, uint64_t i, const char *line, size_t len,
	 const unsigned char leaf[IMP_HASH_LEN], struct imp_err *e)
{
	struct scan_count *sc = arg;
	const char *id;
	size_t idlen;
	int status;

	(void)i;
	(void)leaf;
	(void)e;
	if (imp_record_head(line, len, &id, &idlen, &status) != 0 && status == IMP_OK_STATUS)
		sc->ok++;
	return 0;
}

/* The input: an application stream sealed by sign (an approver), whole and verified. */
static int
verify_input(const struct opts *o, struct imp_keys *k, struct imp_reader **in,
	     struct imp_batch *b, uint64_t *ok, struct imp_run *run, struct imp_err *e)
{
	struct scan_count sc = { 0 };
	int rc;

	if ((rc = imp_keys_open(k, o->trust, NULL, NULL, e)) != 0 ||
	    (rc = imp_reader_open(in, o->input, e)) != 0)
		return rc;
	rc = imp_reader_scan(*in, b, count_ok, &sc, e);
	snprintf(run->batch, sizeof run->batch, "%s", b->id);
	if (rc != 0)
		return rc;
	if (strcmp(b->kind, "application") != 0)
		return imp_fail(e, EX_DATAERR, "spool-print reads application streams, not %s",
				b->kind);
	if (strcmp(b->seal.stage, "sign") != 0)
		return imp_fail(e, EX_NOPERM, "spool-print takes only streams sealed by sign (an "
				"approver); this one was sealed by %s: have the batch approved "
				"with sign", b->seal.stage);
	*ok = sc.ok;
	return imp_batch_verify(b, k->gpg, &k->trust, e);
}

static int
enough_laminates(struct job_run *jr, uint64_t ok, struct imp_err *e)
{
	int64_t planned = query_int(jr->sp->db, e, "SELECT count(*) FROM spool_job WHERE "
				    "batch = ?", jr->batch, NULL);
	int64_t stock = query_int(jr->sp->db, e, "SELECT count(*) FROM spool_laminate WHERE "
				  "state = 'stock'", NULL, NULL);

	if (planned < 0 || stock < 0)
		return e->code;
	if ((uint64_t)stock + (uint64_t)planned < ok)
		return imp_fail(e, EX_UNAVAILABLE, "%" PRIu64 " approved records need %" PRIu64
				" laminates but %" PRId64 " are in stock; nothing was spooled: "
				"issue laminates with --laminates FILE and run again", ok,
				ok - (uint64_t)planned, stock);
	return 0;
}

static int
load_counts(struct job_run *jr, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(jr->sp->db, "SELECT queue, priority, count(*) FROM spool_job "
				  "WHERE batch = ? GROUP BY 1, 2", e);
	int q, p, rc;

	if (s == NULL)
		return e->code;
	bind_text(s, 1, jr->batch);
	while ((rc = step_sql(jr->sp->db, s, e)) == SQLITE_ROW) {
		q = queue_index(jr->sp, (const char *)sqlite3_column_text(s, 0));
		p = sqlite3_column_int(s, 1);
		if (q >= 0 && p >= 0 && p <= 2)
			jr->count[q][p] += (uint64_t)sqlite3_column_int64(s, 2);
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* Pass 2: every job planned and written to tmp/, every other record parked. */
static int
write_jobs(struct job_run *jr, struct imp_reader *in, const struct imp_batch *b,
	   struct imp_run *run, struct imp_err *e)
{
	struct imp_record *r = imp_record_new();
	const struct imp_err *re;
	const char *line;
	size_t len;
	int rc, status;

	if (r == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_reader_rewind(in, e)) != 0)
		goto out;
	while ((rc = imp_reader_next(in, &line, &len, e)) > 0) {
		run->in++;
		if ((rc = imp_record_load(r, line, len, e)) != 0)
			break;
		status = imp_record_status(r);
		rc = status == IMP_OK_STATUS ? one_job(jr, r, e) : park(jr, r, status, NULL, NULL, e);
		if (rc == 0 && (re = imp_record_error(r)) != NULL) {
			*e = *re;
			rc = re->code;
		}
		if (rc != 0)
			break;
		imp_progress(PROG, run, "spooled", run->in, 0);
	}
	if (rc < 0)
		rc = e->code;
	/* pass 2 read what pass 1 verified, or nothing is delivered */
	if (rc == 0)
		rc = imp_reader_finish(in, b, e);
out:
	imp_record_free(r);
	return rc;
}

static void
job_run_free(struct job_run *jr)
{
	size_t i;

	for (i = 0; i < jr->nst; i++) {
		free(jr->st[i].from);
		free(jr->st[i].to);
	}
	free(jr->st);
	imp_buf_free(&jr->xml);
	imp_buf_free(&jr->path);
	imp_buf_free(&jr->why);
}

/* A batch with its journal entry was spooled whole; say so and do nothing. */
static int
spooled_before(struct spool *sp, const char *batch, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(sp->db, "SELECT spooled, records, jobs, held, rejected FROM "
				  "spool_batch WHERE batch = ?", e);
	int rc;

	if (s == NULL)
		return -1;
	bind_text(s, 1, batch);
	if ((rc = step_sql(sp->db, s, e)) == SQLITE_ROW)
		imp_warn(PROG, batch, "spooled already at %s (%lld in: %lld jobs, %lld held, %lld "
			 "rejected); nothing new was written", sqlite3_column_text(s, 0),
			 sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
			 sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4));
	imp_state_release(s);
	return rc < 0 ? -1 : rc == SQLITE_ROW;
}

static void
unfinished(struct spool *sp, const char *batch, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(sp->db, "SELECT batch, count(*) FROM spool_job WHERE state = "
				  "'planned' AND batch <> ? GROUP BY batch", e);

	if (s == NULL)
		return;
	bind_text(s, 1, batch);
	while (step_sql(sp->db, s, e) == SQLITE_ROW)
		imp_warn(PROG, batch, "warning: batch %s has %lld jobs planned by a run that did "
			 "not finish; run spool-print on that batch again",
			 sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
	imp_state_release(s);
}

static int
spool_batch(const struct opts *o, struct spool *sp, struct imp_run *run, struct imp_err *e)
{
	struct imp_keys keys;
	struct imp_reader *in = NULL;
	struct imp_batch b;
	struct job_run jr;
	uint64_t ok = 0, n;
	int rc, done;

	memset(&jr, 0, sizeof jr);
	memset(&b, 0, sizeof b);
	memset(&keys, 0, sizeof keys);
	if ((rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) != 0 ||
	    (rc = verify_input(o, &keys, &in, &b, &ok, run, e)) != 0)
		goto out;
	jr.sp = sp;
	jr.batch = b.id;
	imp_utc(jr.created);
	if ((done = spooled_before(sp, b.id, e)) != 0) {
		rc = done < 0 ? e->code : 0;
		goto out;
	}
	if ((rc = make_queues(sp, e)) != 0)
		goto out;
	if (o->laminates && (rc = issue_laminates(sp, o->laminates, &n, e)) == 0)
		imp_warn(PROG, b.id, "%" PRIu64 " laminates from %s added to the stock", n,
			 o->laminates);
	if (rc != 0 || (rc = enough_laminates(&jr, ok, e)) != 0 || (rc = load_counts(&jr, e)) != 0)
		goto out;
	if ((n = clean_leftovers(sp)) > 0)
		imp_warn(PROG, b.id, "removed %" PRIu64 " unfinished files of a run that crashed",
			 n);
	unfinished(sp, b.id, e);
	if ((rc = imp_state_exec(sp->db, "BEGIN IMMEDIATE", e)) != 0)
		goto out;
	if ((rc = write_jobs(&jr, in, &b, run, e)) != 0 ||
	    (rc = sync_spool(sp->root, e)) != 0) {
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
		clean_leftovers(sp);
		goto out;
	}
	if ((rc = imp_state_exec(sp->db, "COMMIT", e)) != 0)
		goto out;
	imp_fault("planned");
	if ((rc = deliver(&jr, e)) != 0)
		goto out;
	imp_fault("delivered");
	if ((rc = journal(&jr, &b, run->in, e)) != 0)
		goto out;
	imp_fault("journalled");
	imp_progress(PROG, run, "", 0, 1);
	fprintf(stderr, "%s: %s: %" PRIu64 " in, %" PRIu64 " jobs (%" PRIu64 " delivered now), %"
		PRIu64 " held, %" PRIu64 " rejected, %.1f s\n", PROG, b.id, run->in, jr.jobs,
		jr.fresh, jr.held, jr.rejected, imp_now() - run->start);
out:
	job_run_free(&jr);
	imp_reader_close(in);
	imp_batch_free(&b);
	imp_keys_close(&keys);
	return rc;
}

/* ---- --collect: what the printers did --------------------------------------------- */

struct collect {
	struct spool *sp;
	int64_t id;                   /* the open collection */
	char batch[IMP_ID_MAX + 1];
	uint64_t printed, spoiled, archived, unknown;
	struct imp_buf p, q;
};

static int
open_collection(struct collect *c, struct imp_err *e)
{
	sqlite3_stmt *s;
	char at[21], day[9];
	int rc;

	if (c->id > 0)
		return 0;
	imp_utc(at);
	snprintf(day, sizeof day, "%.4s%.2s%.2s", at, at + 5, at + 8);
	if ((s = imp_state_prepare(c->sp->db, "INSERT INTO spool_collect(batch, created) VALUES('', ?)",
			 e)) == NULL)
		return e->code;
	bind_text(s, 1, at);
	rc = step_sql(c->sp->db, s, e);
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	c->id = sqlite3_last_insert_rowid(c->sp->db);
	snprintf(c->batch, sizeof c->batch, "PRINTED-%s-%04" PRId64, day, c->id);
	if ((s = imp_state_prepare(c->sp->db, "UPDATE spool_collect SET batch = ? WHERE id = ?", e)) == NULL)
		return e->code;
	bind_text(s, 1, c->batch);
	sqlite3_bind_int64(s, 2, c->id);
	rc = step_sql(c->sp->db, s, e);
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

/* The first line of the printer's NAME.why, or a sentence saying there was none. */
static void
read_why(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "re");
	size_t k;

	snprintf(out, n, "failed at the printer (no reason given)");
	if (f == NULL)
		return;
	if (fgets(out, (int)n, f) != NULL) {
		k = strcspn(out, "\r\n");
		out[k] = '\0';
		for (k = 0; out[k]; k++)
			if ((unsigned char)out[k] < 0x20)
				out[k] = ' ';
	}
	if (out[0] == '\0')
		snprintf(out, n, "failed at the printer (no reason given)");
	fclose(f);
}

/* One file of done/ or failed/: its job recorded as printed or spoiled. */
static int
collect_file(struct collect *c, const char *queue, const char *sub, const char *name,
	     struct imp_err *e)
{
	sqlite3 *db = c->sp->db;
	sqlite3_stmt *s;
	const char *number = strchr(name, '-');
	char num[IMP_NUMBER_LEN + 1], why[512], printed[21];
	int failed = strcmp(sub, "failed") == 0, rc;
	struct stat st;
	struct tm tm;

	if (number == NULL || strlen(number + 1) != IMP_NUMBER_LEN + 4 ||
	    strcmp(number + 1 + IMP_NUMBER_LEN, ".xml") != 0)
		return 0;
	snprintf(num, sizeof num, "%.*s", IMP_NUMBER_LEN, number + 1);
	rc = (int)query_int(db, e, "SELECT count(*) FROM spool_job WHERE number = ? AND "
			    "file = ?", num, name);
	if (rc == 0) {
		imp_warn(PROG, c->batch, "warning: %s/%s/%s is not a job of the journal; left "
			 "where it is", queue, sub, name);
		c->unknown++;
		return 0;
	}
	if (rc > 0)
		rc = (int)query_int(db, e, "SELECT count(*) FROM spool_job WHERE number = ? AND "
				    "state IN ('planned', 'spooled')", num, NULL);
	if (rc < 0)
		return e->code;
	if (rc == 0)
		return 0;              /* collected before a crash: only to be archived */
	if ((rc = open_collection(c, e)) != 0)
		return rc;
	path_of(&c->p, "%s/print/%s/%s/%s", c->sp->root, queue, sub, name);
	if (stat(imp_buf_str(&c->p), &st) != 0)
		st.st_mtime = time(NULL);
	gmtime_r(&st.st_mtime, &tm);
	strftime(printed, sizeof printed, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (failed)
		read_why(path_of(&c->q, "%s.why", imp_buf_str(&c->p)), why, sizeof why);
	s = imp_state_prepare(db, "UPDATE spool_job SET state = ?, reason = ?, printed = ?, collect = ? "
		    "WHERE number = ?", e);
	if (s == NULL)
		return e->code;
	bind_text(s, 1, failed ? "spoiled" : "printed");
	if (failed)
		bind_text(s, 2, why);
	bind_text(s, 3, printed);
	sqlite3_bind_int64(s, 4, c->id);
	bind_text(s, 5, num);
	rc = step_sql(db, s, e);
	imp_state_release(s);
	if (rc < 0 || (s = imp_state_prepare(db, "UPDATE spool_laminate SET state = ? WHERE job = ?",
				   e)) == NULL)
		return e->code;
	bind_text(s, 1, failed ? "spoiled" : "used");
	bind_text(s, 2, num);
	rc = step_sql(db, s, e);
	imp_state_release(s);
	if (failed)
		c->spoiled++;
	else
		c->printed++;
	return rc < 0 ? e->code : 0;
}

typedef int queue_file_fn(struct collect *c, const char *queue, const char *sub,
			  const char *name, struct imp_err *e);

/* Every job file of SPOOL/print/ * /done and failed, in name order. */
static int
each_finished(struct collect *c, queue_file_fn *fn, struct imp_err *e)
{
	static const char *const subs[] = { "done", "failed" };
	struct dirent **q = NULL, **f = NULL;
	int nq, nf, i, j, k, rc = 0;

	if ((nq = scandir(path_of(&c->p, "%s/print", c->sp->root), &q, NULL, alphasort)) < 0)
		return errno == ENOENT ? 0 : imp_fail(e, EX_IOERR, "cannot read %s: %s",
						      imp_buf_str(&c->p), strerror(errno));
	for (i = 0; i < nq; i++) {
		for (k = 0; rc == 0 && q[i]->d_name[0] != '.' && k < 2; k++) {
			path_of(&c->p, "%s/print/%s/%s", c->sp->root, q[i]->d_name, subs[k]);
			if ((nf = scandir(imp_buf_str(&c->p), &f, NULL, alphasort)) < 0)
				continue;
			for (j = 0; j < nf; j++) {
				if (rc == 0 && f[j]->d_name[0] != '.')
					rc = fn(c, q[i]->d_name, subs[k], f[j]->d_name, e);
				free(f[j]);
			}
			free(f);
		}
		free(q[i]);
	}
	free(q);
	return rc;
}

/* After the seal: collected files out of the queues, to SPOOL/archive/QUEUE/. */
static int
archive_file(struct collect *c, const char *queue, const char *sub, const char *name,
	     struct imp_err *e)
{
	struct imp_buf to = { 0 };
	const char *number = strchr(name, '-');
	char num[IMP_NUMBER_LEN + 1];
	int64_t done;
	int rc = 0;

	if (number == NULL || strlen(number + 1) != IMP_NUMBER_LEN + 4 ||
	    strcmp(number + 1 + IMP_NUMBER_LEN, ".xml") != 0)
		return 0;
	snprintf(num, sizeof num, "%.*s", IMP_NUMBER_LEN, number + 1);
	done = query_int(c->sp->db, e, "SELECT count(*) FROM spool_job j JOIN spool_collect c "
			 "ON c.id = j.collect WHERE j.number = ? AND c.sealed = 1", num, NULL);
	if (done < 0)
		return e->code;
	if (done == 0)
		return 0;
	if ((rc = make_dir(path_of(&to, "%s/archive/%s", c->sp->root, queue), e)) == 0)
		rc = make_dir(path_of(&to, "%s/archive/%s/%s", c->sp->root, queue, sub), e);
	path_of(&c->p, "%s/print/%s/%s/%s", c->sp->root, queue, sub, name);
	path_of(&to, "%s/archive/%s/%s/%s", c->sp->root, queue, sub, name);
	if (rc == 0 && strcmp(sub, "failed") == 0) {
		path_of(&c->q, "%s.why", imp_buf_str(&c->p));
		imp_buf_puts(&to, ".why");
		rename(imp_buf_str(&c->q), imp_buf_str(&to));
		to.len -= 4;
		to.p[to.len] = '\0';
	}
	if (rc == 0 && rename(imp_buf_str(&c->p), imp_buf_str(&to)) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot archive %s: %s; run --collect again",
			      imp_buf_str(&c->p), strerror(errno));
	if (rc == 0) {
		c->archived++;
		if (c->archived % 512 == 1)
			imp_fault("archived-some");
	}
	imp_buf_free(&to);
	return rc;
}

static int
printed_stream(struct collect *c, struct imp_keys *k, struct imp_err *e)
{
	sqlite3_stmt *s;
	struct imp_writer w;
	struct imp_record *r = imp_record_new();
	struct imp_buf x = { 0 };
	const char *line;
	size_t len;
	int rc;

	if (r == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_writer_begin(&w, stdout, c->batch, "printed", NULL, e)) != 0)
		goto out;
	if ((s = imp_state_prepare(c->sp->db, "SELECT record, queue, number, laminate, printed FROM "
			 "spool_job WHERE collect = ? AND state = 'printed' ORDER BY number",
			 e)) == NULL) {
		rc = e->code;
		goto out;
	}
	sqlite3_bind_int64(s, 1, c->id);
	while (rc == 0 && step_sql(c->sp->db, s, e) == SQLITE_ROW) {
		if ((rc = imp_record_load(r, (const char *)sqlite3_column_text(s, 0),
					  (size_t)sqlite3_column_bytes(s, 0), e)) != 0)
			break;
		imp_buf_reset(&x);
		imp_buf_puts(&x, "<print");
		imp_buf_attr(&x, "queue", (const char *)sqlite3_column_text(s, 1));
		imp_buf_attr(&x, "job", (const char *)sqlite3_column_text(s, 2));
		imp_buf_attr(&x, "laminate", (const char *)sqlite3_column_text(s, 3));
		imp_buf_attr(&x, "printed", (const char *)sqlite3_column_text(s, 4));
		imp_buf_puts(&x, "/>");
		if (x.oom || imp_record_insert(r, x.p, x.len) != 0 ||
		    imp_record_step(r, PROG, IMP_OK_STATUS, "PRINT_DONE", NULL, "printed on %s, "
				    "laminate %s, %s", sqlite3_column_text(s, 1),
				    sqlite3_column_text(s, 3), sqlite3_column_text(s, 4)) != 0) {
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
			break;
		}
		imp_record_line(r, &line, &len);
		rc = imp_writer_record(&w, line, len, e);
	}
	imp_state_release(s);
	if (rc == 0 && e->code != 0)
		rc = e->code;
	if (rc == 0)
		rc = imp_writer_seal(&w, k->gpg, PROG, k->signer, e);
	if (rc == 0 && fflush(stdout) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write the printed stream: %s; run --collect "
			      "again to write it again", strerror(errno));
	imp_writer_free(&w);
out:
	imp_record_free(r);
	imp_buf_free(&x);
	return rc;
}

static int
find_open(struct collect *c, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(c->sp->db, "SELECT id, batch FROM spool_collect WHERE "
				  "sealed = 0 ORDER BY id LIMIT 1", e);
	int rc;

	if (s == NULL)
		return e->code;
	if ((rc = step_sql(c->sp->db, s, e)) == SQLITE_ROW) {
		c->id = sqlite3_column_int64(s, 0);
		snprintf(c->batch, sizeof c->batch, "%s", sqlite3_column_text(s, 1));
	}
	imp_state_release(s);
	return rc < 0 ? e->code : 0;
}

static int reprint(struct spool *sp, struct imp_keys *k, const char *file, struct imp_err *e);

static int
collect(const struct opts *o, struct spool *sp, struct imp_run *run, struct imp_err *e)
{
	struct imp_keys keys;
	struct collect c;
	int64_t jobs;
	char id[32];
	int rc;

	memset(&c, 0, sizeof c);
	memset(&keys, 0, sizeof keys);
	c.sp = sp;
	if ((rc = imp_keys_open(&keys, o->trust, o->signer, PROG, e)) != 0 ||
	    (rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) != 0 ||
	    (rc = find_open(&c, e)) != 0)
		goto out;
	if (c.id > 0)
		imp_warn(PROG, c.batch, "collection %s was not sealed by the run that made it: "
			 "it is written again, with what the printers finished since", c.batch);
	if ((rc = imp_state_exec(sp->db, "BEGIN IMMEDIATE", e)) != 0)
		goto out;
	if ((rc = each_finished(&c, collect_file, e)) != 0) {
		sqlite3_exec(sp->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if ((rc = imp_state_exec(sp->db, "COMMIT", e)) != 0)
		goto out;
	imp_fault("collected");
	snprintf(run->batch, sizeof run->batch, "%s", c.batch);
	snprintf(id, sizeof id, "%" PRId64, c.id);
	jobs = c.id > 0 ? query_int(sp->db, e, "SELECT count(*) FROM spool_job WHERE collect = ?",
				    id, NULL) : 0;
	if (jobs < 0) {
		rc = e->code;
		goto out;
	}
	if (jobs > 0) {
		if ((rc = printed_stream(&c, &keys, e)) != 0)
			goto out;
		imp_fault("emitted");
		if ((rc = imp_state_exec(sp->db, "UPDATE spool_collect SET sealed = 1 WHERE id = "
					 "(SELECT max(id) FROM spool_collect)", e)) != 0)
			goto out;
		imp_fault("sealed");
	}
	/* a move lost to a crash is made again by the next --collect (its
	 * collection is sealed), so one syncfs at the end is enough */
	if ((rc = each_finished(&c, archive_file, e)) != 0 ||
	    (c.archived > 0 && (rc = sync_spool(sp->root, e)) != 0))
		goto out;
	if (jobs == 0)
		fprintf(stderr, "%s: nothing new to collect%s\n", PROG, c.archived ?
			"; files of an earlier collection archived" : "");
	else
		fprintf(stderr, "%s: %s: %" PRId64 " collected: %" PRId64 " printed, %" PRId64
			" spoiled, %.1f s\n", PROG, c.batch, jobs,
			query_int(sp->db, e, "SELECT count(*) FROM spool_job WHERE collect = ? AND "
				  "state = 'printed'", id, NULL),
			query_int(sp->db, e, "SELECT count(*) FROM spool_job WHERE collect = ? AND "
				  "state = 'spoiled'", id, NULL), imp_now() - run->start);
	if (o->reprint)
		rc = reprint(sp, &keys, o->reprint, e);
out:
	imp_buf_free(&c.p);
	imp_buf_free(&c.q);
	imp_keys_close(&keys);
	return rc;
}

/* ---- --reprint: spoiled booklets back to render-mrz -------------------------------- */

/* The approved batch's provenance up to the stage before render-mrz. */
static int
reprint_origin(sqlite3 *db, const char *batch, struct imp_batch *in, int *has,
	       struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT prov, seal FROM spool_batch WHERE batch = ?", e);
	struct imp_batch orig;
	struct imp_sealed *all = NULL;
	size_t n = 0, i, cut;
	int rc;

	*has = 0;
	memset(&orig, 0, sizeof orig);
	if (s == NULL)
		return e->code;
	bind_text(s, 1, batch);
	rc = step_sql(db, s, e);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL &&
	    (imp_parse_provenance((const char *)sqlite3_column_text(s, 0),
				  (size_t)sqlite3_column_bytes(s, 0), &orig) != 0 ||
	     imp_parse_seal((const char *)sqlite3_column_text(s, 1),
			    (size_t)sqlite3_column_bytes(s, 1), &orig) != 0))
		rc = -imp_fail(e, EX_DATAERR, "the journal of batch %s holds no readable "
			       "provenance", batch);
	imp_state_release(s);
	if (rc < 0 || rc != SQLITE_ROW) {
		imp_batch_free(&orig);
		return rc < 0 ? e->code : imp_fail(e, EX_DATAERR, "batch %s has spoiled jobs but "
						   "no journal entry: spool it again first", batch);
	}
	if ((all = calloc(orig.nprov + 1, sizeof *all)) == NULL) {
		imp_batch_free(&orig);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < orig.nprov; i++)
		all[n++] = orig.prov[i];
	all[n++] = orig.seal;
	for (cut = 0; cut < n && strcmp(all[cut].stage, "render-mrz") != 0; cut++)
		;
	imp_batch_free(&orig);
	if (cut > 0) {
		struct imp_buf p = { 0 };
		char hex[2 * IMP_HASH_LEN + 1];

		imp_buf_puts(&p, "<provenance>");
		for (i = 0; i + 1 < cut; i++) {
			imp_hex(all[i].root, IMP_HASH_LEN, hex);
			imp_buf_printf(&p, "<sealed stage=\"%s\" signer=\"%s\" count=\"%" PRIu64
				       "\" root=\"sha256:%s\" created=\"%s\"/>", all[i].stage,
				       all[i].signer, all[i].count, hex, all[i].created);
		}
		imp_buf_puts(&p, "</provenance>");
		if (cut > 1) {
			in->prov_line = p.p;
			in->prov_len = p.len;
		} else {
			imp_buf_free(&p);
		}
		in->seal = all[cut - 1];
		*has = 1;
	}
	free(all);
	return 0;
}

/* The passport element taken out of a record line (the number is spoiled). */
static void
drop_passport(struct imp_buf *b)
{
	char *p = strstr(b->p, "<passport "), *q = p ? strstr(p, "</passport>") : NULL;

	if (q != NULL)
		imp_buf_replace(b, (size_t)(p - b->p), (size_t)(q - p) + strlen("</passport>"),
				"", 0);
}

static int
reprint_write(sqlite3 *db, struct imp_keys *k, const char *file, const char *batch,
	      const char *rid, struct imp_err *e)
{
	struct imp_batch in;
	struct imp_writer w;
	struct imp_record *r = imp_record_new();
	struct imp_buf line = { 0 }, tmp = { 0 };
	sqlite3_stmt *s = NULL;
	const char *l;
	size_t len;
	FILE *out = NULL;
	int rc, has, fd;

	memset(&in, 0, sizeof in);
	memset(&w, 0, sizeof w);
	if (r == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = reprint_origin(db, batch, &in, &has, e)) != 0)
		goto out;
	path_of(&tmp, "%s.XXXXXX", file);
	if ((fd = mkostemp(tmp.p, O_CLOEXEC)) < 0 || (out = fdopen(fd, "w")) == NULL) {
		rc = imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", file, strerror(errno));
		goto out;
	}
	if ((rc = imp_writer_begin(&w, out, rid, "application", has ? &in : NULL, e)) != 0 ||
	    (s = imp_state_prepare(db, "SELECT record, number, queue, laminate, reason FROM spool_job "
			 "WHERE batch = ? AND state = 'spoiled' AND reprint IS NULL ORDER BY "
			 "number", e)) == NULL) {
		rc = rc ? rc : e->code;
		goto out;
	}
	bind_text(s, 1, batch);
	while (rc == 0 && step_sql(db, s, e) == SQLITE_ROW) {
		imp_buf_reset(&line);
		imp_buf_add(&line, sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
		drop_passport(&line);
		if (line.oom || (rc = imp_record_load(r, line.p, line.len, e)) != 0) {
			rc = rc ? rc : imp_fail(e, EX_SOFTWARE, "out of memory");
			break;
		}
		if (imp_record_step(r, PROG, IMP_OK_STATUS, "PRINT_SPOILED", NULL, "booklet %s "
				    "spoiled on %s (%s), laminate %s spoiled; to be printed again "
				    "with a new number (batch %s)", sqlite3_column_text(s, 1),
				    sqlite3_column_text(s, 2), sqlite3_column_text(s, 4),
				    sqlite3_column_text(s, 3), rid) != 0) {
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
			break;
		}
		imp_record_line(r, &l, &len);
		rc = imp_writer_record(&w, l, len, e);
	}
	if (rc == 0 && e->code != 0)
		rc = e->code;
	if (rc == 0)
		rc = imp_writer_seal(&w, k->gpg, PROG, k->signer, e);
	if (rc == 0 && (fflush(out) != 0 || fsync(fileno(out)) != 0))
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", file, strerror(errno));
	if (rc == 0 && rename(tmp.p, file) != 0)
		rc = imp_fail(e, EX_CANTCREAT, "cannot write %s: %s", file, strerror(errno));
	if (rc == 0)
		imp_sync_dir(file);
out:
	if (out != NULL)
		fclose(out);
	if (rc != 0 && tmp.p != NULL)
		unlink(tmp.p);
	imp_state_release(s);
	imp_writer_free(&w);
	imp_record_free(r);
	free(in.prov_line);
	imp_buf_free(&line);
	imp_buf_free(&tmp);
	return rc;
}

/*
 * The spoiled jobs of one approved batch (the oldest with any) as a fresh
 * application stream BATCH-Rn, sealed by spool-print, ready for
 * render-mrz | sign | spool-print.
 */
static int
reprint(struct spool *sp, struct imp_keys *k, const char *file, struct imp_err *e)
{
	sqlite3_stmt *s;
	char batch[IMP_ID_MAX + 1] = "", rid[IMP_ID_MAX + 8];
	int64_t n, more;
	int rc;

	if ((s = imp_state_prepare(sp->db, "SELECT batch, count(*) FROM spool_job WHERE state = 'spoiled' "
			 "AND reprint IS NULL GROUP BY batch ORDER BY min(rowid) LIMIT 1", e)) == NULL)
		return e->code;
	if ((rc = step_sql(sp->db, s, e)) == SQLITE_ROW)
		snprintf(batch, sizeof batch, "%s", sqlite3_column_text(s, 0));
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	if (batch[0] == '\0') {
		fprintf(stderr, "%s: no spoiled job waits for a reprint; %s not written\n", PROG,
			file);
		return 0;
	}
	n = query_int(sp->db, e, "SELECT count(DISTINCT reprint) FROM spool_job WHERE batch = ?",
		      batch, NULL);
	if (n < 0)
		return e->code;
	snprintf(rid, sizeof rid, "%s-R%" PRId64, batch, n + 1);
	if (!imp_batch_id_ok(rid))
		return imp_fail(e, EX_DATAERR, "batch %s: the reprint batch id %s is too long",
				batch, rid);
	if ((rc = reprint_write(sp->db, k, file, batch, rid, e)) != 0)
		return rc;
	imp_fault("reprint-written");
	if ((s = imp_state_prepare(sp->db, "UPDATE spool_job SET reprint = ? WHERE batch = ? AND state = "
			 "'spoiled' AND reprint IS NULL", e)) == NULL)
		return e->code;
	bind_text(s, 1, rid);
	bind_text(s, 2, batch);
	rc = step_sql(sp->db, s, e);
	n = sqlite3_changes(sp->db);
	imp_state_release(s);
	if (rc < 0)
		return e->code;
	fprintf(stderr, "%s: %s: %" PRId64 " spoiled applications of batch %s written to %s; "
		"run render-mrz | sign | spool-print on it\n", PROG, rid, n, batch, file);
	more = query_int(sp->db, e, "SELECT count(DISTINCT batch) FROM spool_job WHERE state = "
			 "'spoiled' AND reprint IS NULL", NULL, NULL);
	if (more > 0)
		imp_warn(PROG, rid, "spoiled jobs of %" PRId64 " more batches wait: run "
			 "spool-print --reprint FILE again for each", more);
	return 0;
}

static int
reprint_only(const struct opts *o, struct spool *sp, struct imp_err *e)
{
	struct imp_keys keys;
	int rc;

	memset(&keys, 0, sizeof keys);
	if ((rc = imp_keys_open(&keys, o->trust, o->signer, PROG, e)) == 0 &&
	    (rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) == 0)
		rc = reprint(sp, &keys, o->reprint, e);
	imp_keys_close(&keys);
	return rc;
}

/* ---- --reconcile: the laminate account --------------------------------------------- */

static int
lost_job_files(struct spool *sp, FILE *out, uint64_t *bad, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(sp->db, "SELECT laminate, number, batch, queue, file FROM "
				  "spool_job WHERE state = 'spooled' ORDER BY laminate", e);
	struct imp_buf p = { 0 };
	int rc;

	if (s == NULL)
		return e->code;
	while ((rc = step_sql(sp->db, s, e)) == SQLITE_ROW) {
		if (delivered(sp, (const char *)sqlite3_column_text(s, 3),
			      (const char *)sqlite3_column_text(s, 4), &p))
			continue;
		fprintf(out, "unaccounted: %s: assigned to passport %s (batch %s, queue %s), but "
			"its job is in no folder of the queue and was never collected\n",
			sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
			sqlite3_column_text(s, 2), sqlite3_column_text(s, 3));
		(*bad)++;
	}
	imp_state_release(s);
	imp_buf_free(&p);
	return rc < 0 ? e->code : 0;
}

/* Every serial ever issued must be in the account, and the account in nothing else. */
static int
lost_from_account(struct spool *sp, FILE *out, uint64_t *bad, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(sp->db, "SELECT serials, file, at FROM spool_issue ORDER BY id",
				  e);
	sqlite3_stmt *f = imp_state_prepare(sp->db, "SELECT 1 FROM spool_laminate WHERE serial = ?", e);
	const char *p, *nl;
	int rc = SQLITE_DONE;

	while (s && f && (rc = step_sql(sp->db, s, e)) == SQLITE_ROW) {
		for (p = (const char *)sqlite3_column_text(s, 0); p && *p; p = nl + 1) {
			if ((nl = strchr(p, '\n')) == NULL)
				break;
			sqlite3_reset(f);
			sqlite3_bind_text(f, 1, p, (int)(nl - p), SQLITE_STATIC);
			if ((rc = step_sql(sp->db, f, e)) == SQLITE_ROW)
				continue;
			if (rc < 0)
				break;
			fprintf(out, "unaccounted: %.*s: issued from %s at %s, but missing from the "
				"laminate account\n", (int)(nl - p), p, sqlite3_column_text(s, 1),
				sqlite3_column_text(s, 2));
			(*bad)++;
		}
		if (rc < 0)
			break;
	}
	imp_state_release(s);
	imp_state_release(f);
	if (s == NULL || f == NULL || rc < 0)
		return e->code ? e->code : EX_SOFTWARE;
	return 0;
}

/* --laminates COUNTED: the stock on the shelf, against the account's stock. */
static int
count_stock(struct spool *sp, const char *counted, FILE *out, uint64_t *bad, struct imp_err *e)
{
	struct imp_buf serials = { 0 };
	struct imp_map *shelf = imp_map_new();
	sqlite3_stmt *s = NULL, *f = NULL;
	char *p, *nl;
	size_t n;
	uint64_t v;
	int rc;

	if (shelf == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = read_serials(counted, &serials, &n, e)) != 0)
		goto out;
	for (p = serials.p; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		imp_map_put(shelf, p, 0, &v);
	}
	if ((s = imp_state_prepare(sp->db, "SELECT serial FROM spool_laminate WHERE state = 'stock' ORDER "
			 "BY serial", e)) == NULL ||
	    (f = imp_state_prepare(sp->db, "SELECT state, job FROM spool_laminate WHERE serial = ?",
			 e)) == NULL) {
		rc = e->code;
		goto out;
	}
	while ((rc = step_sql(sp->db, s, e)) == SQLITE_ROW) {
		if (imp_map_get(shelf, (const char *)sqlite3_column_text(s, 0), &v) == 0) {
			imp_map_set(shelf, (const char *)sqlite3_column_text(s, 0), 1);
			continue;
		}
		fprintf(out, "unaccounted: %s: in stock by the account, but not on the shelf "
			"(%s)\n", sqlite3_column_text(s, 0), counted);
		(*bad)++;
	}
	for (p = serials.p; rc >= 0 && p && p < serials.p + serials.len; p += strlen(p) + 1) {
		if (imp_map_get(shelf, p, &v) == 0 && v == 1)
			continue;
		sqlite3_reset(f);
		bind_text(f, 1, p);
		rc = step_sql(sp->db, f, e);
		fprintf(out, "unaccounted: %s: on the shelf (%s), but the account has it %s%s%s\n",
			p, counted, rc == SQLITE_ROW ? (const char *)sqlite3_column_text(f, 0) :
			"never issued", rc == SQLITE_ROW && sqlite3_column_type(f, 1) != SQLITE_NULL ?
			" for passport " : "", rc == SQLITE_ROW && sqlite3_column_type(f, 1) !=
			SQLITE_NULL ? (const char *)sqlite3_column_text(f, 1) : "");
		(*bad)++;
	}
	rc = rc < 0 ? e->code : 0;
out:
	imp_state_release(s);
	imp_state_release(f);
	imp_map_free(shelf);
	imp_buf_free(&serials);
	return rc;
}

static int
reconcile(const struct opts *o, struct spool *sp, struct imp_err *e)
{
	static const char *const states[] = { "used", "spoiled", "assigned", "stock" };
	static const char *const label[] = {
		"used (printed)", "spoiled", "at the printers (spooled, not collected)",
		"in stock",
	};
	int64_t issued, n[4], sum = 0;
	uint64_t bad = 0;
	size_t i;
	int rc;

	if ((rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) != 0)
		return rc;
	if ((issued = query_int(sp->db, e, "SELECT count(*) FROM spool_laminate", NULL,
				NULL)) < 0)
		return e->code;
	printf("laminates issued: %" PRId64 "\n", issued);
	for (i = 0; i < 4; i++) {
		if ((n[i] = query_int(sp->db, e, "SELECT count(*) FROM spool_laminate WHERE "
				      "state = ?", states[i], NULL)) < 0)
			return e->code;
		printf("  %-42s %" PRId64 "\n", label[i], n[i]);
		sum += n[i];
	}
	if (sum != issued) {
		printf("unaccounted: %" PRId64 " laminates are in no known state\n", issued - sum);
		bad++;
	}
	if ((rc = lost_from_account(sp, stdout, &bad, e)) != 0 ||
	    (rc = lost_job_files(sp, stdout, &bad, e)) != 0 ||
	    (o->laminates && (rc = count_stock(sp, o->laminates, stdout, &bad, e)) != 0))
		return rc;
	if (bad == 0) {
		printf("balance: issued %" PRId64 " = used %" PRId64 " + spoiled %" PRId64
		       " + at the printers %" PRId64 " + in stock %" PRId64 "\n", issued, n[0],
		       n[1], n[2], n[3]);
		return 0;
	}
	printf("does not balance: %" PRIu64 " laminates unaccounted for\n", bad);
	return imp_fail(e, EX_DATAERR, "the laminate account does not balance: %" PRIu64
			" laminates unaccounted for (listed on standard output); report them to "
			"the production hall's security officer", bad);
}

/* ---- main ---------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs("usage: spool-print [-d DIR] [-q N|LIST] [-l FILE] [-w] [-t FILE] [FILE|-]\n"
	      "       spool-print --collect [--reprint FILE] [-d DIR] [-w] [-s FPR] [-t FILE]\n"
	      "       spool-print --reprint FILE [-d DIR] [-w] [-s FPR] [-t FILE]\n"
	      "       spool-print --reconcile [-l FILE] [-d DIR] [-w]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Spool the print jobs of an approved batch, exactly once; collect what the\n"
	      "printers did; account for the security laminates.\n"
	      "  -d, --spool DIR       the spool (default $IMPASS_SPOOL)\n"
	      "  -q, --queues N|LIST   N queues p01..pNN, or their names a,b,c (default 10)\n"
	      "  -l, --laminates FILE  laminate serials issued to the hall, added to the\n"
	      "                        stock; with --reconcile: the stock counted on the shelf\n"
	      "  -w, --wait            wait for another run on the spool instead of exit 75\n"
	      "      --collect         record the jobs in done/ and failed/, write the\n"
	      "                        printed stream, archive the jobs\n"
	      "      --reprint FILE    the spoiled jobs' applications, as a stream for\n"
	      "                        render-mrz | sign | spool-print\n"
	      "      --reconcile       the laminate account; exit 65 when it does not balance\n"
	      "  -s, --signer FPR      stage key that seals --collect and --reprint output\n"
	      "                        (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE      trust file (default $IMPASS_TRUST)\n"
	      "  -h, --help            this text;  --version  the version\n"
	      "See spool-print(1).\n", stdout);
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "spool", required_argument, NULL, 'd' },
		{ "queues", required_argument, NULL, 'q' },
		{ "laminates", required_argument, NULL, 'l' },
		{ "wait", no_argument, NULL, 'w' },
		{ "collect", no_argument, NULL, 'C' },
		{ "reprint", required_argument, NULL, 'R' },
		{ "reconcile", no_argument, NULL, 'K' },
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, collect = 0, recon = 0;

	while ((c = getopt_long(argc, argv, "d:q:l:ws:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->spool = optarg; break;
		case 'q': o->queues = optarg; break;
		case 'l': o->laminates = optarg; break;
		case 'w': o->wait = 1; break;
		case 'C': collect = 1; break;
		case 'R': o->reprint = optarg; break;
		case 'K': recon = 1; break;
		case 's': o->signer = optarg; break;
		case 't': o->trust = optarg; break;
		case 'h': help(); exit(0);
		case 'V': puts(PROG " " IMP_VERSION); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	o->mode = collect ? COLLECT : recon ? RECONCILE : o->reprint ? REPRINT : SPOOL;
	if ((collect && recon) || (recon && o->reprint)) {
		imp_warn(PROG, NULL, "--collect and --reconcile exclude each other, and "
			 "--reprint goes with --collect or alone");
		return EX_USAGE;
	}
	if (o->mode != SPOOL && (optind < argc || o->queues)) {
		imp_warn(PROG, NULL, "--collect, --reprint and --reconcile read the spool, not a "
			 "stream or --queues");
		return EX_USAGE;
	}
	if ((o->mode == COLLECT || o->mode == REPRINT) && o->laminates) {
		imp_warn(PROG, NULL, "--laminates goes with spooling or --reconcile");
		return EX_USAGE;
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	o->input = optind < argc ? argv[optind] : NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct spool sp;
	struct imp_err e = { 0 };
	struct imp_run run;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&sp, 0, sizeof sp);
	sp.lock = -1;
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	if ((rc = parse_queues(&sp, o.queues ? o.queues : "10", &e)) != 0) {
		imp_report(PROG, NULL, &e);
		return rc;
	}
	imp_init(&run);
	switch (o.mode) {
	case SPOOL: rc = spool_batch(&o, &sp, &run, &e); break;
	case COLLECT: rc = collect(&o, &sp, &run, &e); break;
	case REPRINT: rc = reprint_only(&o, &sp, &e); break;
	case RECONCILE: rc = reconcile(&o, &sp, &e); break;
	}
	spool_close(&sp);
	return imp_exit(PROG, run.batch, NULL, rc, &e);
}
