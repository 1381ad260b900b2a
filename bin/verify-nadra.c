/* SPDX-License-Identifier: ISC */
/*
 * verify-nadra: every applicant against the national identity register:
 * the CNIC exists and is active, the citizen has not renounced, and name,
 * father's name, date of birth and sex agree. Also builds the register's
 * index, and the block list of renounced citizens whose CNIC is active.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "impass.h"

#define PROG "verify-nadra"
#define MAX_ROWS 4
#define PREFETCH_MAX (1 << 22)        /* CNICs gathered at most (about 200 bytes each) */

struct renounced {
	char *certificate, *issued, *name, *father;
	struct imp_date dob;          /* y 0: not known */
};

struct verify {
	struct imp_nadra *nadra;
	struct imp_names *names;
	struct imp_map *renounced;    /* CNIC (13 digits) -> index in ren */
	struct renounced *ren;
	size_t nren;
	/* renunciations without a CNIC (legacy RC rows often have none), found
	 * by person: name, father's name and date of birth; by date of birth */
	struct renounced *anon;
	size_t nanon;
	double threshold;
	struct imp_verdict v;
	struct imp_buf a, b, note, ok;
	char issued[11];
	const char *blocklist;        /* written before the output is sealed */
	char batch[IMP_ID_MAX + 1];
	size_t blocked;
	/* the batch's CNICs, gathered while the input is verified (scan), then
	 * looked up in ascending order before the first record (prefetch) */
	int prefetch;                 /* 0: IMPASS_NADRA_PREFETCH=0, or given up */
	uint64_t *want;               /* in the order of the batch */
	size_t nwant, capwant;
	struct imp_buf seq;           /* what each look-up found, in that order */
	struct imp_buf digits;        /* scan's CNIC as written */
	size_t at;                    /* the next record's in seq */
};

/* ---- renunciations ----------------------------------------------------------- */

struct ren_csv {
	struct verify *vf;
	size_t col[12];               /* the columns of SPEC 5.3, in its order */
	unsigned long bad;            /* RC rows whose CNIC is not 13 digits */
};

enum { REN_REGISTER, REN_NUMBER, REN_ISSUED, REN_NAME, REN_FATHER, REN_DOB, REN_POB, REN_CNIC };

/* A date typed from paper as YYYY-MM-DD when it reads one way only, else as typed. */
static const char *
iso_date(const char *s, char *buf, size_t size)
{
	struct imp_date lo = { 1951, 1, 1 }, hi = { 9999, 12, 31 }, d;
	struct imp_buf why = { 0 };
	int rc = imp_date_messy(s, 0, &lo, &hi, &d, &why);

	imp_buf_free(&why);
	if (rc != IMP_DATE_OK || size < 11)
		return s;
	imp_date_str(&d, buf);
	return buf;
}

/* A renunciation without a CNIC, kept when it gives a name and a whole
 * date of birth to find the person by (person_renounced). */
static int
add_anonymous(struct verify *vf, const char *cert, const char *issued, const char *name,
	      const char *father, const char *dob)
{
	struct renounced *r;
	char buf[11];
	uint32_t bad;

	dob = iso_date(dob, buf, sizeof buf);
	if (*name == '\0' || imp_name_normalise(name, &vf->a, &bad) != 0 || vf->a.len == 0)
		return 0;
	if ((r = realloc(vf->anon, (vf->nanon + 1) * sizeof *r)) == NULL)
		return -1;
	vf->anon = r;
	r += vf->nanon;
	memset(r, 0, sizeof *r);
	if (imp_date_iso(dob, &r->dob) != 0)
		return 0;                      /* no whole date: not enough to find a person by */
	vf->nanon++;
	issued = iso_date(issued, vf->issued, sizeof vf->issued);
	r->certificate = strdup(cert);
	r->issued = strdup(issued);
	r->name = strdup(vf->a.p);
	r->father = imp_name_normalise(father, &vf->a, &bad) == 0 ? strdup(vf->a.p) : strdup("");
	return r->certificate && r->issued && r->name && r->father ? 0 : -1;
}

static int
add_renounced(struct verify *vf, const char *cnic, const char *cert, const char *issued,
	      const char *name, const char *father, const char *dob)
{
	struct renounced *r;
	char key[14];
	uint64_t c, old;
	int rc;

	if (*cnic == '\0')
		return add_anonymous(vf, cert, issued, name, father, dob);
	if (imp_cnic_parse(cnic, &c) != 0)
		return 0;                      /* a CNIC mistyped: warned of, not matched */
	issued = iso_date(issued, vf->issued, sizeof vf->issued);
	snprintf(key, sizeof key, "%013" PRIu64, c);
	if ((rc = imp_map_put(vf->renounced, key, vf->nren, &old)) != 0)
		return rc < 0 ? -1 : 0;
	if ((r = realloc(vf->ren, (vf->nren + 1) * sizeof *r)) == NULL)
		return -1;
	vf->ren = r;
	r += vf->nren++;
	memset(r, 0, sizeof *r);
	r->certificate = strdup(cert);
	r->issued = strdup(issued);
	r->name = strdup(name);
	r->father = strdup(father);
	return r->certificate && r->issued && r->name && r->father ? 0 : -1;
}

static const char *
trimmed_upper(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	s += strspn(s, " ");
	for (; *s != '\0' && *s != ' ' && i + 1 < size; s++)
		buf[i++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
	buf[i] = '\0';
	return buf;
}

static int
ren_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	const struct imp_format *f = imp_format_for("citizenship");
	struct ren_csv *rc = arg;
	const char *cnic;
	uint64_t c;
	char reg[8];

	if (row->header)
		return imp_csv_header(row, "a citizenship register", f->columns, f->ncolumns,
				      rc->col, e);
	if (row->n != f->ncolumns ||
	    strcmp(trimmed_upper(row->field[rc->col[REN_REGISTER]], reg, sizeof reg), "RC") != 0)
		return 0;
	cnic = row->field[rc->col[REN_CNIC]];
	if (*cnic != '\0' && imp_cnic_parse(cnic, &c) != 0 && ++rc->bad <= 5)
		imp_warn(PROG, NULL, "%s line %lu: renunciation with CNIC '%s', not 13 digits: it "
			 "cannot be matched; correct the register", row->file, row->line, cnic);
	if (add_renounced(rc->vf, cnic, row->field[rc->col[REN_NUMBER]],
			  row->field[rc->col[REN_ISSUED]], row->field[rc->col[REN_NAME]],
			  row->field[rc->col[REN_FATHER]], row->field[rc->col[REN_DOB]]))
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* A record of a citizenship stream, whatever its status: a renunciation is one. */
static int
ren_record(struct verify *vf, struct imp_record *r)
{
	const char *reg = imp_record_attr(r, "certificate", "register"), *f;
	const char *v[5];
	char buf[8];
	size_t i;
	static const char *const names[] = { "cnic", "issued_on", "name", "father_name",
					     "date_of_birth" };

	if (reg == NULL || strcmp(trimmed_upper(reg, buf, sizeof buf), "RC") != 0)
		return 0;
	for (i = 0; i < 5; i++) {
		f = imp_record_field(r, "normalised", names[i]);
		v[i] = f ? f : (f = imp_record_field(r, "certificate", names[i])) ? f : "";
	}
	f = imp_record_attr(r, "certificate", "number");
	return add_renounced(vf, v[0], f ? f : "", v[1], v[2], v[3], v[4]);
}

struct ren_read {                     /* the renunciations being loaded */
	struct verify *vf;
	struct imp_record *r;
	const char *path;
};

static int
ren_kind(void *arg, const struct imp_batch *b, struct imp_err *e)
{
	struct ren_read *rr = arg;

	return strcmp(b->kind, "citizenship") == 0 ? 0 :
		imp_fail(e, EX_DATAERR, "renunciations %s are a stream of kind %s, not "
			 "citizenship", rr->path, b->kind);
}

static int
ren_line(void *arg, uint64_t i, const char *line, size_t len, struct imp_err *e)
{
	struct ren_read *rr = arg;
	int rc;

	(void)i;
	if ((rc = imp_record_load(rr->r, line, len, e)) == 0 && ren_record(rr->vf, rr->r) != 0)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	return rc;
}

static int
load_stream(struct verify *vf, const char *path, const char *trust, struct imp_err *e)
{
	struct ren_read rr = { .vf = vf, .path = path };
	struct imp_read how = { .ready = ren_kind, .each = ren_line, .arg = &rr };
	struct imp_keys keys;
	struct imp_batch b;
	int rc;

	memset(&b, 0, sizeof b);
	memset(&keys, 0, sizeof keys);
	if ((rr.r = imp_record_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_keys_open(&keys, trust, NULL, NULL, e)) == 0)
		rc = imp_stream_read(path, &keys, &b, &how, e);
	if (rc != 0 && strncmp(e->msg, "renunciations", 13) != 0) {
		struct imp_buf msg = { 0 };

		imp_buf_printf(&msg, "renunciations %s: %s", path, e->msg);
		snprintf(e->msg, sizeof e->msg, "%.*s", (int)sizeof e->msg - 1, imp_buf_str(&msg));
		imp_buf_free(&msg);
	}
	imp_record_free(rr.r);
	imp_batch_free(&b);
	imp_keys_close(&keys);
	return rc;
}

/* RC rows of a register CSV, or the records of a sealed citizenship stream. */
static int
load_renunciations(struct verify *vf, const char *path, const char *trust, struct imp_err *e)
{
	struct ren_csv rc = { vf, { 0 }, 0 };
	char head[6] = "";
	int n, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open renunciations %s: %s", path,
				strerror(errno));
	if (read(fd, head, 5) < 0)
		head[0] = '\0';
	close(fd);
	if (strncmp(head, "<?xml", 5) == 0)
		return load_stream(vf, path, trust, e);
	if ((n = imp_csv_read(path, ren_row, &rc, e)) == 0 && rc.bad > 5)
		imp_warn(PROG, NULL, "%s: %lu renunciations with a CNIC that is not 13 digits",
			 path, rc.bad);
	return n;
}

/* ---- checks ------------------------------------------------------------------ */

static const char *
norm(struct imp_record *r, const char *name)
{
	return imp_record_field(r, "normalised", name);
}

/* Applicant's date (perhaps partial) against the register's full one:
 * the same day, or month or year where the applicant gave no more. */
static int
dates_agree(const char *app, const char *reg)
{
	struct imp_date a, g;
	int c;

	if (imp_date_partial(app, &a) != 0 || imp_date_iso(reg, &g) != 0)
		return 0;
	c = imp_dob_compare(&a, &g);
	return c == IMP_DOB_DAY || c == IMP_DOB_MONTH || c == IMP_DOB_YEAR;
}

/* A register field folded for comparing: spaces around it dropped, lower case. */
static const char *
folded(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	s += strspn(s, " ");
	for (; *s != '\0' && i + 1 < size; s++)
		buf[i++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
	while (i > 0 && buf[i - 1] == ' ')
		i--;
	buf[i] = '\0';
	return buf;
}

static void
check_names(struct verify *vf, struct imp_record *r, const struct imp_citizen *c)
{
	const char *given = norm(r, "given_names"), *sur = norm(r, "surname");
	const char *father = norm(r, "father_name");
	uint32_t bad;
	double sim;

	imp_buf_reset(&vf->a);
	imp_buf_printf(&vf->a, "%s%s%s", given ? given : "", given && sur ? " " : "",
		       sur ? sur : "");
	sim = imp_name_normalise(c->name, &vf->b, &bad) != 0 ? 0 :
	      imp_name_similarity(vf->names, vf->a.p, vf->b.p);
	if (sim < vf->threshold)
		imp_verdict_add(&vf->v, IMP_HELD, "NADRA_NAME_MISMATCH", "applicant %s (given names "
				"%s, surname %s), register %s: similarity %.2f, %.2f needed", vf->a.p,
				given ? given : "none", sur ? sur : "none", c->name, sim,
				vf->threshold);
	else if (strcmp(vf->a.p, vf->b.p) != 0)
		imp_buf_printf(&vf->note, "; the register writes the name %s", c->name);
	if (father == NULL)
		return;
	if (*c->father_name == '\0') {
		imp_verdict_add(&vf->v, IMP_HELD, "NADRA_FATHER_MISMATCH", "father's name: "
				"applicant %s, the register has none", father);
		return;
	}
	sim = imp_name_normalise(c->father_name, &vf->b, &bad) != 0 ? 0 :
	      imp_name_similarity(vf->names, father, vf->b.p);
	if (sim < vf->threshold)
		imp_verdict_add(&vf->v, IMP_HELD, "NADRA_FATHER_MISMATCH", "father's name: "
				"applicant %s, register %s: similarity %.2f, %.2f needed", father,
				c->father_name, sim, vf->threshold);
}

static void
check_status(struct verify *vf, const char *cnic, const struct imp_citizen *c)
{
	static const struct {
		const char *status, *code, *why;
	} refused[] = {
		{ "blocked", "NADRA_BLOCKED", "is blocked in the register" },
		{ "cancelled", "NADRA_CANCELLED", "is cancelled in the register" },
		{ "deceased", "NADRA_DECEASED", "belongs to a citizen registered as deceased" },
	};
	char status[16];
	size_t i;

	folded(c->status, status, sizeof status);
	if (strcmp(status, "active") == 0)
		return;
	for (i = 0; i < sizeof refused / sizeof *refused; i++)
		if (strcmp(status, refused[i].status) == 0) {
			imp_verdict_add(&vf->v, IMP_REJECTED, refused[i].code, "CNIC %s %s", cnic,
					refused[i].why);
			return;
		}
	imp_verdict_add(&vf->v, IMP_HELD, "NADRA_STATUS_UNKNOWN", "CNIC %s has status '%s' in "
			"the register, which is none of active, blocked, cancelled, deceased",
			cnic, c->status);
}

static void
check_citizen(struct verify *vf, struct imp_record *r, const char *cnic,
	      const struct imp_citizen *c)
{
	const char *dob = norm(r, "date_of_birth"), *sex = norm(r, "sex");
	char rsex[4];

	check_status(vf, cnic, c);
	if (dob != NULL && !dates_agree(dob, c->date_of_birth))
		imp_verdict_add(&vf->v, IMP_HELD, "NADRA_DOB_MISMATCH", "date of birth: applicant "
				"%s, register %s", dob, c->date_of_birth);
	if (sex != NULL && strcasecmp(sex, folded(c->sex, rsex, sizeof rsex)) != 0)
		imp_verdict_add(&vf->v, IMP_HELD, "NADRA_SEX_MISMATCH", "sex: applicant %s, "
				"register %s", sex, c->sex);
	check_names(vf, r, c);
}

/* A CNIC twice in the register: the rows named, for the officer to settle. */
static void
duplicate(struct verify *vf, const char *cnic, const struct imp_citizen *c, size_t rows)
{
	size_t i;

	imp_buf_reset(&vf->b);
	for (i = 0; i < rows && i < MAX_ROWS; i++)
		imp_buf_printf(&vf->b, "%s%s, father %s, born %s, %s", i ? "; " : "", c[i].name,
			       c[i].father_name, c[i].date_of_birth, c[i].status);
	imp_verdict_add(&vf->v, IMP_HELD, "NADRA_DUPLICATE", "CNIC %s is in the NADRA register "
			"%zu times: %s%s", cnic, rows, imp_buf_str(&vf->b), rows > MAX_ROWS ?
			"; ..." : "");
}

/* An applicant who is, by person, a citizen whose renunciation has no CNIC:
 * the same whole date of birth, and name and father's name alike
 * (--threshold); held with the evidence, for an officer to decide. */
static void
person_renounced(struct verify *vf, struct imp_record *r)
{
	const char *given = norm(r, "given_names"), *sur = norm(r, "surname");
	const char *father = norm(r, "father_name"), *dob = norm(r, "date_of_birth");
	const struct renounced *rn;
	struct imp_date d;
	double sn, sf;
	size_t i;

	if (vf->nanon == 0 || father == NULL || dob == NULL || imp_date_iso(dob, &d) != 0)
		return;
	imp_buf_reset(&vf->a);
	imp_buf_printf(&vf->a, "%s%s%s", given ? given : "", given && sur ? " " : "",
		       sur ? sur : "");
	for (i = 0; i < vf->nanon; i++) {
		rn = &vf->anon[i];
		if (imp_dob_compare(&d, &rn->dob) != IMP_DOB_DAY || *rn->father == '\0')
			continue;
		if ((sn = imp_name_similarity(vf->names, vf->a.p, rn->name)) < vf->threshold ||
		    (sf = imp_name_similarity(vf->names, father, rn->father)) < vf->threshold)
			continue;
		imp_verdict_add(&vf->v, IMP_HELD, "CITIZENSHIP_RENOUNCED_PERSON", "RC certificate %s "
				"issued %s, which gives no CNIC, is likely this applicant's: name %s ~ "
				"%s (%.2f), father's name %s ~ %s (%.2f), date of birth %s equal; "
				"the applicant may have renounced Pakistani citizenship", rn->certificate,
				rn->issued, vf->a.p, rn->name, sn, father, rn->father, sf, dob);
		return;
	}
}

static int
by_number(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- the batch's look-ups, in CNIC order ------------------------------------ */

/*
 * Looked up one by one in the order of the batch, 60,000 CNICs land on
 * random blocks of the index and random rows: against 120 M rows each
 * look-up misses the CPU's caches in the directory (2.8 MB) and in the
 * kernel's page-cache tree of an 8 GB file. Gathered while the input is
 * verified and looked up in ascending order (the blocks, then the rows by
 * their offsets), consecutive look-ups share the directory's path and the
 * tree's nodes. The rows found are kept; a record whose CNIC was not
 * gathered is looked up as before, so the result is the same either way.
 */
static void
prefetch_drop(struct verify *vf)
{
	vf->prefetch = 0;
	free(vf->want);
	vf->want = NULL;
	vf->nwant = vf->at = 0;
	imp_buf_free(&vf->seq);
	imp_buf_free(&vf->digits);
}

/*
 * Every record line as the input is verified: the normalised CNIC of each
 * that the stage will check (ok, not released past this stage). A record
 * whose CNIC is not gathered, or another than the one it gives each, is
 * looked up when it comes.
 */
static int
scan(void *arg, const char *line, size_t len, struct imp_err *e)
{
	struct verify *vf = arg;
	const char *id;
	size_t idlen;
	uint64_t c, *w;
	int status;

	(void)e;
	if (!vf->prefetch || vf->nwant >= PREFETCH_MAX ||
	    imp_record_head(line, len, &id, &idlen, &status) == 0 ||
	    status != IMP_OK_STATUS || imp_review_skips(line, len, PROG) ||
	    imp_line_field(line, len, "normalised", "cnic", &vf->digits) != 0 ||
	    imp_cnic_parse(imp_buf_str(&vf->digits), &c) != 0)
		return 0;
	if (vf->nwant == vf->capwant) {
		vf->capwant = vf->capwant ? 2 * vf->capwant : 1 << 12;
		if ((w = realloc(vf->want, vf->capwant * sizeof *w)) == NULL) {
			prefetch_drop(vf);     /* looked up one by one instead */
			return 0;
		}
		vf->want = w;
	}
	vf->want[vf->nwant++] = c;
	return 0;
}

/* Where cnic is in the n sorted CNICs u. */
static size_t
position(const uint64_t *u, size_t n, uint64_t cnic)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (u[mid] < cnic)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The gathered CNICs looked up in ascending order, their rows read in the
 * order of the file; then what each record will need, in the order of the
 * batch, in vf->seq (the CNIC, how many rows, the first MAX_ROWS rows'
 * five fields), which the records read from front to back.
 */
static void
prefetch(struct verify *vf)
{
	uint64_t off[MAX_ROWS], *u = NULL, c;
	size_t (*at)[MAX_ROWS] = NULL, *rows = NULL;
	struct imp_buf fields = { 0 };
	struct imp_pair *v = NULL;
	size_t i, j, k, nv = 0, capv, f, end;
	uint32_t r;

	if (!vf->prefetch || vf->nwant == 0)
		return;
	if ((u = malloc(vf->nwant * sizeof *u)) == NULL)
		goto drop;
	memcpy(u, vf->want, vf->nwant * sizeof *u);
	qsort(u, vf->nwant, sizeof *u, by_number);
	for (i = 1, k = 1; i < vf->nwant; i++)
		if (u[i] != u[k - 1])
			u[k++] = u[i];
	capv = k + 64;
	if ((rows = malloc(k * sizeof *rows)) == NULL || (at = malloc(k * sizeof *at)) == NULL ||
	    (v = malloc(capv * sizeof *v)) == NULL)
		goto drop;
	for (i = 0; i < k; i++) {
		rows[i] = imp_nadra_offsets(vf->nadra, u[i], off, MAX_ROWS);
		for (j = 0; j < rows[i] && j < MAX_ROWS; j++) {
			if (nv == capv) {
				struct imp_pair *w = realloc(v, 2 * capv * sizeof *v);

				if (w == NULL)
					goto drop;
				v = w;
				capv *= 2;
			}
			v[nv++] = (struct imp_pair){ off[j], i * MAX_ROWS + j };
		}
	}
	if (imp_pairs_sort(v, nv) != 0)
		goto drop;
	for (i = 0; i < nv; i++) {
		at[v[i].value / MAX_ROWS][v[i].value % MAX_ROWS] = fields.len;
		if (imp_nadra_fields(vf->nadra, v[i].key, &fields) != 0)
			goto drop;
	}
	for (i = 0; i < vf->nwant; i++) {
		c = vf->want[i];
		f = position(u, k, c);
		r = (uint32_t)(rows[f] < UINT32_MAX ? rows[f] : UINT32_MAX);
		imp_buf_add(&vf->seq, &c, sizeof c);
		imp_buf_add(&vf->seq, &r, sizeof r);
		for (j = 0; j < rows[f] && j < MAX_ROWS; j++) {
			for (end = at[f][j], r = 0; r < 5; r++)
				end += strlen(fields.p + end) + 1;
			imp_buf_add(&vf->seq, fields.p + at[f][j], end - at[f][j]);
		}
	}
	if (vf->seq.oom)
		goto drop;
	free(vf->want);
	vf->want = NULL;
	goto done;
drop:
	prefetch_drop(vf);
done:
	imp_buf_free(&fields);
	free(v);
	free(at);
	free(rows);
	free(u);
}

/* One look-up of vf->seq at p: its CNIC, rows and the fields of the first
 * MAX_ROWS into c (when not NULL); where the next starts. */
static const char *
seq_entry(const char *p, uint64_t *cnic, uint32_t *rows, struct imp_citizen *c)
{
	uint32_t i, j;

	memcpy(cnic, p, sizeof *cnic);
	memcpy(rows, p + sizeof *cnic, sizeof *rows);
	p += sizeof *cnic + sizeof *rows;
	for (j = 0; j < *rows && j < MAX_ROWS; j++) {
		const char **f[5] = { &c[j].name, &c[j].father_name, &c[j].date_of_birth,
				      &c[j].sex, &c[j].status };

		for (i = 0; i < 5; i++) {
			*f[i] = p;
			p += strlen(p) + 1;
		}
	}
	return p;
}

/*
 * The rows of cnic: the next look-up prefetch made when it is of cnic (as
 * it is unless the record's CNIC was not gathered, or a record gathered
 * did not come here: then the one after), else one made now.
 */
static size_t
find(struct verify *vf, uint64_t cnic, struct imp_citizen *c)
{
	const char *p = vf->seq.p + vf->at, *end = vf->seq.p + vf->seq.len;
	uint64_t got;
	uint32_t rows;
	int tries;

	for (tries = 0; tries < 2 && p < end; tries++) {
		p = seq_entry(p, &got, &rows, c);
		if (got == cnic) {
			vf->at = (size_t)(p - vf->seq.p);
			return rows;
		}
	}
	return imp_nadra_find(vf->nadra, cnic, c, MAX_ROWS);
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct verify *vf = arg;
	struct imp_citizen c[MAX_ROWS];
	const char *cnic = norm(r, "cnic");
	const struct renounced *rn;
	uint64_t n, k;
	size_t rows;

	imp_verdict_reset(&vf->v);
	imp_buf_reset(&vf->note);
	imp_buf_reset(&vf->ok);
	if (imp_record_error(r) != NULL)
		return 0;
	if (cnic == NULL || imp_cnic_parse(cnic, &n) != 0)
		return imp_record_step(r, PROG, IMP_HELD, "NADRA_NO_CNIC", NULL, "the record has no "
				       "normalised CNIC; it must come through validate");
	if (imp_map_get(vf->renounced, cnic, &k) == 0) {
		rn = &vf->ren[k];
		imp_verdict_add(&vf->v, IMP_REJECTED, "CITIZENSHIP_RENOUNCED", "CNIC %s renounced "
				"Pakistani citizenship: RC certificate %s issued %s to %s", cnic,
				rn->certificate, rn->issued, rn->name);
	} else {
		person_renounced(vf, r);
	}
	switch (rows = find(vf, n, c)) {
	case 0:
		imp_verdict_add(&vf->v, IMP_REJECTED, "NADRA_NOT_FOUND", "CNIC %s is not in the "
				"NADRA register", cnic);
		break;
	case 1:
		check_citizen(vf, r, cnic, &c[0]);
		break;
	default:
		duplicate(vf, cnic, c, rows);
	}
	imp_buf_printf(&vf->ok, "CNIC active in the register; name, father's name, date of "
		       "birth and sex agree%s", imp_buf_str(&vf->note));
	if (imp_verdict_step(&vf->v, r, PROG, "NADRA_OK", imp_buf_str(&vf->ok), NULL) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* ---- the block list ----------------------------------------------------------- */

struct block {
	struct verify *vf;
	uint64_t *cnics;
	size_t n;
};

static int
collect(void *arg, const char *key, uint64_t value)
{
	struct block *bl = arg;
	struct imp_citizen c;
	uint64_t cnic;

	(void)value;
	if (imp_cnic_parse(key, &cnic) != 0 || imp_nadra_find(bl->vf->nadra, cnic, &c, 1) == 0 ||
	    strcmp(c.status, "active") != 0)
		return 0;
	bl->cnics[bl->n++] = cnic;
	return 0;
}

static void
block_rows(struct verify *vf, const struct block *bl, struct imp_buf *out)
{
	const struct renounced *rn;
	struct imp_citizen c;
	char key[14];
	uint64_t k;
	size_t i;

	imp_buf_puts(out, "cnic,certificate_no,issued_on,name,father_name,register_name,"
		     "register_father_name,register_status\n");
	for (i = 0; i < bl->n; i++) {
		snprintf(key, sizeof key, "%013" PRIu64, bl->cnics[i]);
		imp_map_get(vf->renounced, key, &k);
		imp_nadra_find(vf->nadra, bl->cnics[i], &c, 1);
		rn = &vf->ren[k];
		imp_buf_printf(out, "%s,", key);
		imp_csv_cell(out, rn->certificate, 1);
		imp_buf_add(out, ",", 1);
		imp_csv_cell(out, rn->issued, 1);
		imp_buf_add(out, ",", 1);
		imp_csv_cell(out, rn->name, 1);
		imp_buf_add(out, ",", 1);
		imp_csv_cell(out, rn->father, 1);
		imp_buf_add(out, ",", 1);
		imp_csv_cell(out, c.name, 1);
		imp_buf_add(out, ",", 1);
		imp_csv_cell(out, c.father_name, 1);
		imp_buf_printf(out, ",%s\n", c.status);
	}
}

/* The renounced citizens whose CNIC is still active, sorted by CNIC, written atomically. */
static int
write_blocklist(struct verify *vf, const char *path, size_t *rows, struct imp_err *e)
{
	struct block bl = { vf, calloc(vf->nren + 1, sizeof(uint64_t)), 0 };
	struct imp_buf out = { 0 };
	int rc;

	if (bl.cnics == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_map_each(vf->renounced, collect, &bl);
	qsort(bl.cnics, bl.n, sizeof *bl.cnics, by_number);
	block_rows(vf, &bl, &out);
	*rows = bl.n;
	rc = out.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") :
	     imp_write_file(path, out.p, out.len, e);
	imp_buf_free(&out);
	free(bl.cnics);
	return rc;
}

static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct verify *vf = arg;

	(void)e;
	snprintf(vf->batch, sizeof vf->batch, "%s", in->id);
	prefetch(vf);
	return 0;
}

/* Before the output is sealed: a block list that cannot be written fails the run. */
static int
end(void *arg, struct imp_err *e)
{
	struct verify *vf = arg;
	size_t rows = 0;
	int rc;

	if (vf->blocklist == NULL)
		return 0;
	if ((rc = write_blocklist(vf, vf->blocklist, &rows, e)) == 0)
		imp_warn(PROG, vf->batch, "block list %s: %zu renounced citizens with an active "
			 "CNIC, of %zu renunciations with a CNIC", vf->blocklist, rows, vf->nren);
	return rc;
}

/* ---- index mode ---------------------------------------------------------------- */

static int
build_index(const char *csv, const char *out, struct imp_err *e)
{
	uint64_t rows = 0, skipped = 0;
	double t0 = imp_now();
	char tmp[4096];
	int fd, rc;

	snprintf(tmp, sizeof tmp, "%s.XXXXXX", out);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", tmp, strerror(errno));
	rc = imp_nadra_build(csv, fd, &rows, &skipped, e);
	if (close(fd) != 0 && rc == 0)
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", tmp, strerror(errno));
	if ((rc = imp_file_install(tmp, out, rc, e)) != 0)
		return rc;
	fprintf(stderr, "%s: indexed %" PRIu64 " rows of %s into %s, %" PRIu64 " left out, "
		"%.1f s\n", PROG, rows, csv, out, skipped, imp_now() - t0);
	return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: verify-nadra --nadra FILE [--renunciations FILE] [--blocklist OUT]\n"
	      "                    [--threshold X] [-s FPR] [-t FILE]\n"
	      "                    [--extract CSV] [--counts FILE] [FILE|-]\n"
	      "       verify-nadra --index CSV -o OUT\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Verify applicants against the NADRA register; build its index; list renounced\n"
	      "citizens whose CNIC is still active.\n"
	      "  -n, --nadra FILE          the NADRA extract (CSV) or its index\n"
	      "      --extract CSV         refuse an index not made from CSV as it is now\n"
	      "  -r, --renunciations FILE  RC register rows (CSV) or a citizenship stream\n"
	      "  -b, --blocklist OUT       write the block list CSV; no stream is read then\n"
	      "                            unless FILE or - is given\n"
	      "      --threshold X         name similarity needed, 0 to 1 (default 0.85)\n"
	      "  -s, --signer FPR          stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE          trust file (default $IMPASS_TRUST)\n"
	      "      --counts FILE         the counts of the run and of the output stream (as\n"
	      "                            inspect --counts gives them) as key=value lines to FILE\n"
	      "      --index CSV -o OUT    build the index of a NADRA extract\n"
	      "  -h, --help                this text;  --version  the version\n"
	      "See verify-nadra(1).\n", stdout);
}

struct opts {
	const char *nadra, *extract, *ren, *blocklist, *index, *out, *trust, *signer, *input, *counts;
	double threshold;
};

static int
parse_threshold(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end != '\0' || !(*out >= 0 && *out <= 1) ? -1 : 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "nadra", required_argument, NULL, 'n' },
		{ "extract", required_argument, NULL, 'E' },
		{ "renunciations", required_argument, NULL, 'r' },
		{ "blocklist", required_argument, NULL, 'b' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "index", required_argument, NULL, 'I' },
		{ "signer", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->threshold = 0.85;
	while ((c = getopt_long(argc, argv, "n:r:b:o:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o->nadra = optarg; break;
		case 'E': o->extract = optarg; break;
		case 'r': o->ren = optarg; break;
		case 'b': o->blocklist = optarg; break;
		case 'o': o->out = optarg; break;
		case 'I': o->index = optarg; break;
		case 's': o->signer = optarg; break;
		case IMP_COUNTS_OPT: o->counts = optarg; break;
		case 't': o->trust = optarg; break;
		case 'T':
			if (parse_threshold(optarg, &o->threshold) != 0) {
				imp_warn(PROG, NULL, "--threshold '%s' is not a number from 0 to 1",
					 optarg);
				return EX_USAGE;
			}
			break;
		case 'h': help(); exit(0);
		case 'V': puts(PROG " " IMP_VERSION); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	o->input = optind < argc ? argv[optind] : NULL;
	if (o->index == NULL && o->nadra == NULL && argc - optind <= 1)
		imp_warn(PROG, NULL, "no register: pass --nadra FILE, the NADRA extract (CSV, see "
			 "impass-csv(5)) or its index (made with --index CSV -o OUT)");
	if (argc - optind > 1 || (o->index != NULL) != (o->out != NULL) ||
	    (o->index == NULL && o->nadra == NULL) ||
	    (o->index && (o->nadra || o->extract || o->input))) {
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

static int
run(struct verify *vf, const struct opts *o, struct imp_run *run, struct imp_err *e)
{
	static const char *const kinds[] = { "application", NULL };
	struct imp_stage st = { .name = PROG, .kinds = kinds, .after = "validate",
				.scan = scan, .begin = begin, .record = each, .end = end,
				.arg = vf };
	struct imp_stage_opts so = { o->input, o->trust, o->signer, o->counts };
	const char *p;
	int rc;

	if ((vf->renounced = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_names_open(&vf->names, e)) != 0 ||
	    (rc = imp_nadra_open(o->nadra, &vf->nadra, e)) != 0 ||
	    (o->extract && (rc = imp_nadra_extract(vf->nadra, o->nadra, o->extract, e)) != 0) ||
	    (o->ren && (rc = load_renunciations(vf, o->ren, o->trust, e)) != 0))
		return rc;
	vf->blocklist = o->blocklist;
	vf->prefetch = (p = getenv("IMPASS_NADRA_PREFETCH")) == NULL || strcmp(p, "0") != 0;
	if (o->blocklist == NULL || o->input != NULL)
		return imp_stage_run(PROG, &st, &so, run, e);
	return end(vf, e);
}

static void
cleanup(struct verify *vf)
{
	size_t i;

	for (i = 0; i < vf->nren; i++) {
		free(vf->ren[i].certificate);
		free(vf->ren[i].issued);
		free(vf->ren[i].name);
		free(vf->ren[i].father);
	}
	free(vf->ren);
	for (i = 0; i < vf->nanon; i++) {
		free(vf->anon[i].certificate);
		free(vf->anon[i].issued);
		free(vf->anon[i].name);
		free(vf->anon[i].father);
	}
	free(vf->anon);
	imp_map_free(vf->renounced);
	prefetch_drop(vf);
	imp_nadra_close(vf->nadra);
	imp_names_close(vf->names);
	imp_verdict_free(&vf->v);
	imp_buf_free(&vf->a);
	imp_buf_free(&vf->b);
	imp_buf_free(&vf->note);
	imp_buf_free(&vf->ok);
}

int
main(int argc, char **argv)
{
	struct verify vf;
	struct opts o;
	struct imp_err e = { 0 };
	struct imp_run r;
	int rc;

	memset(&vf, 0, sizeof vf);
	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	vf.threshold = o.threshold;
	imp_init(&r);
	if (o.index != NULL)
		rc = build_index(o.index, o.out, &e);
	else
		rc = run(&vf, &o, &r, &e);
	cleanup(&vf);
	return imp_exit(PROG, r.batch, o.index || (o.blocklist && !o.input) ? NULL : &r, rc, &e);
}
