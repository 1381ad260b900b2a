/* SPDX-License-Identifier: ISC */
/*
 * render-mrz: each ok application gets its passport: a number from the
 * series, issue and expiry dates, the document code and the two lines of
 * the machine readable zone (ICAO 9303, SPEC.md section 9). The numbers
 * are given in one transaction once the input has verified, and become
 * issued only after the output was sealed: a re-run of the batch takes
 * the same numbers again. Also a plain filter (--tsv) and a checker of
 * presented MRZs (--check) for forensic examiners.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mrz.h"
#include "series.h"

#define PROG "render-mrz"
#define TSV_LINE_MAX 4096

enum mode { RENDER, TSV, CHECK, ADD_RANGE, REPORT, VOID };

struct opts {
	enum mode mode;
	const char *state, *trust, *signer, *input, *counts, *batch, *range_name, *range, *proof;
	struct imp_date issue;
};

struct render {
	sqlite3 *db;
	struct imp_date issue;
	char **ids;                   /* the ok records, in order (pass 1) */
	char **cnics;                 /* their normalised CNIC, or NULL */
	unsigned char *waived;        /* an officer released it from MRZ_IN_PRODUCTION */
	size_t n, cap;
	struct imp_ledger_other *others;  /* the passport in the way of a record, if any */
	const char *state;            /* the state database, as given */
	char (*numbers)[IMP_NUMBER_LEN + 1];
	struct imp_map *index;        /* tracking id -> index in ids */
	char **issued;                /* the ids that got their passport, for the seal */
	size_t nissued;
	struct imp_buf xml, why, sentence, svg;
	const char *proof;            /* --proof DIR, or NULL */
};

/* ---- the stage ------------------------------------------------------------------ */

static int
scan(void *arg, const char *line, size_t len, struct imp_err *e)
{
	struct render *rd = arg;
	const char *id;
	size_t idlen;
	int status;
	char **v;
	unsigned char *w;

	if (imp_record_head(line, len, &id, &idlen, &status) == 0 || status != IMP_OK_STATUS)
		return 0;
	if (rd->n == rd->cap) {
		rd->cap = rd->cap ? 2 * rd->cap : 1024;
		if ((v = realloc(rd->ids, rd->cap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		rd->ids = v;
		if ((v = realloc(rd->cnics, rd->cap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		rd->cnics = v;
		if ((w = realloc(rd->waived, rd->cap)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		rd->waived = w;
	}
	rd->waived[rd->n] = (unsigned char)imp_review_cleared(line, len, PROG);
	rd->cnics[rd->n] = NULL;
	if (imp_line_field(line, len, "normalised", "cnic", &rd->sentence) == 0 &&
	    rd->sentence.len > 0 && (rd->cnics[rd->n] = strdup(imp_buf_str(&rd->sentence))) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rd->ids[rd->n] = strndup(id, idlen)) == NULL) {
		free(rd->cnics[rd->n]);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	imp_unescape(rd->ids[rd->n++]);
	return 0;
}

static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct render *rd = arg;
	struct imp_series_use use = { 0 };
	uint64_t old;
	size_t i;
	int rc;

	if ((rd->numbers = calloc(rd->n + 1, sizeof *rd->numbers)) == NULL ||
	    (rd->others = calloc(rd->n + 1, sizeof *rd->others)) == NULL ||
	    (rd->issued = calloc(rd->n + 1, sizeof *rd->issued)) == NULL ||
	    (rd->index = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < rd->n; i++)
		if (imp_map_put(rd->index, rd->ids[i], i, &old) < 0)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_ledger_bind(rd->db, in, PROG, e)) != 0)
		return rc;
	imp_fault("before-give");
	rc = imp_series_assign(rd->db, in->id, rd->ids, rd->cnics, rd->waived, rd->n, rd->numbers,
			       rd->others, &use, e);
	if (rc == 0 && use.fresh > 0)
		rc = imp_ledger_mark(rd->db, rd->state, e);
	if (use.warn.len > 0)
		imp_warn(PROG, in->id, "warning: %s; add a range soon (render-mrz --add-range)",
			 imp_buf_str(&use.warn));
	imp_buf_free(&use.warn);
	if (rc == 0 && use.reused > 0)
		imp_warn(PROG, in->id, "%" PRIu64 " records have the numbers an earlier run of "
			 "this batch gave them, %" PRIu64 " get new ones", use.reused, use.fresh);
	imp_fault("given");
	return rc;
}

static const char *
doc_code(const char *type, const struct imp_date *issue)
{
	static const struct imp_date harmonised = { 2028, 1, 1 };

	if (type == NULL)
		return NULL;
	if (strcmp(type, "ordinary") == 0)
		return imp_date_cmp(issue, &harmonised) < 0 ? "P<" : "PP";
	if (strcmp(type, "official") == 0)
		return "PO";
	if (strcmp(type, "diplomatic") == 0)
		return "PD";
	return NULL;
}

/* The passport of one record, or a sentence saying what it lacks. */
static int
passport(struct render *rd, struct imp_record *r, const char *number, char l1[45], char l2[45],
	 struct imp_mrz *m)
{
	const char *type = imp_record_field(r, "normalised", "passport_type");
	const char *years = imp_record_field(r, "normalised", "validity_years");
	const char *dob = imp_record_field(r, "normalised", "date_of_birth");
	const char *sex = imp_record_field(r, "normalised", "sex");

	memset(m, 0, sizeof *m);
	imp_buf_reset(&rd->why);
	m->doc_code = doc_code(type, &rd->issue);
	if (m->doc_code == NULL || years == NULL || (strcmp(years, "5") && strcmp(years, "10")) ||
	    dob == NULL || imp_date_partial(dob, &m->dob) != 0 || sex == NULL || sex[1] != '\0') {
		imp_buf_printf(&rd->why, "the record lacks a normalised %s", m->doc_code == NULL ?
			       "passport_type" : years == NULL || (strcmp(years, "5") &&
			       strcmp(years, "10")) ? "validity_years of 5 or 10" : dob == NULL ||
			       imp_date_partial(dob, &m->dob) != 0 ? "date_of_birth" : "sex");
		return -1;
	}
	m->state = m->nationality = "PAK";
	m->surname = imp_record_field(r, "normalised", "surname");
	m->given_names = imp_record_field(r, "normalised", "given_names");
	m->number = number;
	m->sex = sex[0];
	m->expiry = imp_date_add_years(rd->issue, atoi(years));
	m->optional = imp_record_field(r, "normalised", "cnic");
	return imp_mrz_render(m, l1, l2, &rd->why);
}

/* ---- --proof: the data page as SVG, for a person to look at ------------------ */

static void
page_date(const struct imp_date *d, char out[16])
{
	static const char *const mon[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
					   "SEP", "OCT", "NOV", "DEC" };

	if (d->m == 0)
		snprintf(out, 16, "%04d", d->y);
	else if (d->d == 0)
		snprintf(out, 16, "%s %04d", mon[d->m - 1], d->y);
	else
		snprintf(out, 16, "%02d %s %04d", d->d, mon[d->m - 1], d->y);
}

static void
svg_text(struct imp_buf *b, double x, double y, const char *style, const char *text)
{
	imp_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, style);
	imp_buf_text(b, text ? text : "", text ? strlen(text) : 0);
	imp_buf_puts(b, "</text>\n");
}

static void
svg_field(struct imp_buf *b, double x, double y, const char *label, const char *value)
{
	svg_text(b, x, y, "font-size=\"2\" fill=\"#555\"", label);
	svg_text(b, x, y + 3.4, "font-size=\"3\" font-weight=\"bold\"", value);
}

/* A TD3 data page, 125 x 88 mm: photo box, the fields, the MRZ in a
 * monospace face like OCR-B. */
static int
write_proof(struct render *rd, struct imp_record *r, const struct imp_mrz *m, const char *l1,
	    const char *l2, struct imp_err *e)
{
	const char *sex = m->sex == 'X' ? "X" : m->sex == 'M' ? "M" : "F";
	char path[4096], dob[16], issued[16], expires[16];
	struct imp_buf *b = &rd->svg;

	page_date(&m->dob, dob);
	page_date(&rd->issue, issued);
	page_date(&m->expiry, expires);
	imp_buf_reset(b);
	imp_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"125mm\" height=\"88mm\" "
		     "viewBox=\"0 0 125 88\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n"
		     "<rect width=\"125\" height=\"88\" rx=\"3\" fill=\"#eef3ea\" stroke=\"#345\" "
		     "stroke-width=\"0.3\"/>\n"
		     "<rect x=\"4\" y=\"13\" width=\"30\" height=\"40\" fill=\"#fff\" stroke=\"#777\" "
		     "stroke-width=\"0.3\" stroke-dasharray=\"1 1\"/>\n");
	svg_text(b, 4, 7, "font-size=\"3.4\" font-weight=\"bold\"",
		 "ISLAMIC REPUBLIC OF PAKISTAN \xc2\xb7 PASSPORT");
	svg_text(b, 13, 34, "font-size=\"2.6\" fill=\"#777\"", "PHOTO");
	svg_field(b, 38, 12, "Type", m->doc_code[1] == '<' ? "P" : m->doc_code);
	svg_field(b, 52, 12, "Country code", m->state);
	svg_field(b, 78, 12, "Passport number", m->number);
	svg_field(b, 38, 20, "Surname", m->surname ? m->surname : "");
	svg_field(b, 38, 28, "Given names", m->given_names ? m->given_names : "");
	svg_field(b, 38, 36, "Nationality", "PAKISTANI");
	svg_field(b, 78, 36, "Sex", sex);
	svg_field(b, 38, 44, "Date of birth", dob);
	svg_field(b, 78, 44, "Place of birth",
		  imp_record_field(r, "application", "place_of_birth"));
	svg_field(b, 38, 52, "Date of issue", issued);
	svg_field(b, 78, 52, "Date of expiry", expires);
	svg_field(b, 38, 60, "Citizenship number", m->optional ? m->optional : "");
	svg_field(b, 78, 60, "Authority", "DGI&P ISLAMABAD");
	imp_buf_puts(b, "<g font-family=\"OCR B, OCR-B, OCRB, DejaVu Sans Mono, Courier New, "
		     "monospace\" font-size=\"4.1\">\n");
	svg_text(b, 4, 77, "textLength=\"117\" lengthAdjust=\"spacing\"", l1);
	svg_text(b, 4, 83.5, "textLength=\"117\" lengthAdjust=\"spacing\"", l2);
	imp_buf_puts(b, "</g>\n</svg>\n");
	if (b->oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	snprintf(path, sizeof path, "%s/%s.svg", rd->proof, m->number);
	return imp_write_file(path, b->p, b->len, e);
}

/* One application, one passport: a record whose application already has a
 * number, or whose person a passport in production, is held for an officer. */
static int
held_elsewhere(struct imp_record *r, const struct imp_ledger_other *o)
{
	int rc;

	if (o->kind == IMP_LEDGER_ISSUED)
		rc = imp_record_step(r, PROG, IMP_HELD, "MRZ_ALREADY_ISSUED", NULL, "application "
				     "%s has passport %s already (batch %s, %s): one application "
				     "gets one passport; a second export or a reused tracking id? "
				     "An officer decides; a spoiled booklet is reprinted with "
				     "spool-print --reprint", imp_record_id(r), o->number, o->batch,
				     o->state);
	else
		rc = imp_record_step(r, PROG, IMP_HELD, "MRZ_IN_PRODUCTION", NULL, "the CNIC of "
				     "this application has passport %s in production for "
				     "application %s (batch %s, %s): one person, one passport in "
				     "production; an officer decides", o->number, o->tracking,
				     o->batch, o->state);
	return rc != 0 ? -1 : 0;
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct render *rd = arg;
	const char *id = imp_record_id(r);
	const char *attrs[] = { "number", NULL, NULL };
	char l1[45], l2[45], issued[11], expires[11];
	struct imp_mrz m;
	uint64_t k;
	int rc;

	if (imp_map_get(rd->index, id, &k) != 0)
		return imp_fail(e, EX_SOFTWARE, "record %s was not counted in the first pass", id);
	if (k == rd->n / 2)
		imp_fault("write");
	if (rd->others[k].kind != IMP_LEDGER_NONE)
		return held_elsewhere(r, &rd->others[k]) != 0 ?
			imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
	if (passport(rd, r, rd->numbers[k], l1, l2, &m) != 0) {
		rc = imp_record_step(r, PROG, IMP_REJECTED, "MRZ_NO_DATA", NULL, "no passport: "
				     "%s; the number %s given to it becomes void when the output "
				     "is sealed", imp_buf_str(&rd->why), rd->numbers[k]);
		return rc != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
	}
	imp_date_str(&rd->issue, issued);
	imp_date_str(&m.expiry, expires);
	imp_buf_reset(&rd->xml);
	imp_buf_puts(&rd->xml, "<passport");
	imp_buf_attr(&rd->xml, "number", rd->numbers[k]);
	imp_buf_attr(&rd->xml, "issued", issued);
	imp_buf_attr(&rd->xml, "expires", expires);
	imp_buf_attr(&rd->xml, "type", m.doc_code);
	imp_buf_puts(&rd->xml, ">");
	imp_buf_elem(&rd->xml, "mrz", l1, IMP_MRZ_LEN);
	imp_buf_elem(&rd->xml, "mrz", l2, IMP_MRZ_LEN);
	imp_buf_puts(&rd->xml, "</passport>");
	if (rd->xml.oom || imp_record_insert(r, rd->xml.p, rd->xml.len) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (rd->proof != NULL && write_proof(rd, r, &m, l1, l2, e) != 0)
		return e->code;
	attrs[1] = rd->numbers[k];
	rd->issued[rd->nissued++] = rd->ids[k];
	rc = imp_record_step(r, PROG, IMP_OK_STATUS, "MRZ_RENDERED", attrs, "passport %s (%s), "
			     "issued %s, expires %s", rd->numbers[k], m.doc_code, issued, expires);
	return rc != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

static void
render_free(struct render *rd)
{
	size_t i;

	for (i = 0; i < rd->n; i++) {
		free(rd->ids[i]);
		free(rd->cnics[i]);
	}
	free(rd->ids);
	free(rd->cnics);
	free(rd->waived);
	free(rd->others);
	free(rd->numbers);
	free(rd->issued);
	imp_map_free(rd->index);
	imp_buf_free(&rd->xml);
	imp_buf_free(&rd->why);
	imp_buf_free(&rd->sentence);
	imp_buf_free(&rd->svg);
}

static int
run_stage(const struct opts *o, struct imp_run *run, struct imp_err *e)
{
	static const char *const kinds[] = { "application", NULL };
	struct render rd;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .after = "validate", .scan = scan,
				.begin = begin, .record = each, .arg = &rd };
	struct imp_stage_opts so = { o->input, o->trust, o->signer, o->counts };
	struct imp_buf voided = { 0 };
	int rc;

	memset(&rd, 0, sizeof rd);
	rd.issue = o->issue;
	rd.proof = o->proof;
	rd.state = o->state;
	if (o->proof != NULL && mkdir(o->proof, 0700) != 0 && errno != EEXIST)
		return imp_fail(e, EX_CANTCREAT, "cannot create the proof folder %s: %s", o->proof,
				strerror(errno));
	if ((rc = imp_ledger_open(o->state, 30000, &rd.db, e)) == 0)
		rc = imp_stage_run(PROG, &st, &so, run, e);
	/* the numbers are issued only once the sealed output is out of our hands */
	if (rc == 0 && fflush(stdout) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write the output: %s; its numbers stay "
			      "unsealed for a re-run", strerror(errno));
	if (rc == 0) {
		imp_fault("sealed");
		rc = imp_series_sealed(rd.db, run->batch, rd.issued, rd.nissued, &voided, e);
	}
	if (rc == 0 && voided.len > 0)
		imp_warn(PROG, run->batch, "void, given in an earlier run to records not ok now:\n%s",
			 imp_buf_str(&voided));
	imp_buf_free(&voided);
	render_free(&rd);
	imp_state_close(rd.db);
	return rc;
}

/* ---- the state commands ---------------------------------------------------------- */

static int
state_command(const struct opts *o, struct imp_err *e)
{
	sqlite3 *db;
	struct imp_buf voided = { 0 };
	char first[16], *dash;
	int rc;

	if ((rc = imp_ledger_open(o->state, 30000, &db, e)) != 0)
		return rc;
	if (o->mode == ADD_RANGE) {
		snprintf(first, sizeof first, "%.*s", (int)strcspn(o->range, "-"), o->range);
		dash = strchr(o->range, '-');
		rc = imp_series_add_range(db, o->range_name, first, dash ? dash + 1 : "", e);
		if (rc == 0)
			fprintf(stderr, "%s: range %s %s added\n", PROG, o->range_name, o->range);
	} else if (o->mode == REPORT) {
		rc = imp_series_report(db, stdout, e);
	} else {
		rc = imp_series_void(db, o->batch, "voided by an operator: the batch was never "
				     "sealed and will not run again", &voided, e);
		if (rc == 0)
			fprintf(stderr, "%s: %s: %s", PROG, o->batch, voided.len ? "void:\n" :
				"no number was given and left unsealed\n");
		if (rc == 0 && voided.len)
			fputs(imp_buf_str(&voided), stderr);
	}
	imp_buf_free(&voided);
	imp_state_close(db);
	return rc;
}

/* ---- --tsv and --check: plain filters ------------------------------------------- */

static const char *const tsv_columns[] = {
	"doc_code", "issuing_state", "surname", "given_names", "passport_no", "nationality",
	"date_of_birth", "sex", "date_of_expiry", "optional_data",
};
enum { T_DOC, T_STATE, T_SURNAME, T_GIVEN, T_NUMBER, T_NAT, T_DOB, T_SEX, T_EXPIRY, T_OPT,
       T_NCOL };

static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			return n;
		*line++ = '\0';
	}
}

static int
tsv_header(char **f, size_t n, size_t col[T_NCOL], const char *file, struct imp_err *e)
{
	size_t i, k;

	for (k = 0; k < T_NCOL; k++) {
		for (i = 0; i < n && strcmp(f[i], tsv_columns[k]) != 0; i++)
			;
		if (i == n)
			return imp_fail(e, EX_DATAERR, "%s line 1: the header has no column %s; it "
					"must name: doc_code issuing_state surname given_names "
					"passport_no nationality date_of_birth sex date_of_expiry "
					"optional_data (tab-separated)", file, tsv_columns[k]);
		col[k] = i;
	}
	if (n != T_NCOL)
		return imp_fail(e, EX_DATAERR, "%s line 1: the header has %zu columns, not the %d "
				"of --tsv", file, n, T_NCOL);
	return 0;
}

/* One row of --tsv to LINE1<TAB>LINE2, or why not. */
static int
tsv_row(char **f, const size_t col[T_NCOL], char l1[45], char l2[45], struct imp_buf *why)
{
	struct imp_mrz m = { 0 };

	/* ICAO's one-letter code P is written P<; sex X is written < */
	m.doc_code = strcmp(f[col[T_DOC]], "P") == 0 ? "P<" : f[col[T_DOC]];
	m.state = f[col[T_STATE]];
	m.surname = f[col[T_SURNAME]];
	m.given_names = f[col[T_GIVEN]];
	m.number = f[col[T_NUMBER]];
	m.nationality = f[col[T_NAT]];
	m.optional = f[col[T_OPT]];
	if (imp_date_partial(f[col[T_DOB]], &m.dob) != 0) {
		imp_buf_printf(why, "date_of_birth '%s' is not YYYY-MM-DD, YYYY-MM or YYYY",
			       f[col[T_DOB]]);
		return -1;
	}
	if (imp_date_iso(f[col[T_EXPIRY]], &m.expiry) != 0) {
		imp_buf_printf(why, "date_of_expiry '%s' is not a date YYYY-MM-DD", f[col[T_EXPIRY]]);
		return -1;
	}
	if (strlen(f[col[T_SEX]]) != 1) {
		imp_buf_printf(why, "sex '%s' is not M, F, X or <", f[col[T_SEX]]);
		return -1;
	}
	m.sex = f[col[T_SEX]][0] == '<' ? 'X' : f[col[T_SEX]][0];
	return imp_mrz_render(&m, l1, l2, why);
}

static int
filter(const struct opts *o, struct imp_err *e)
{
	struct imp_lines lines;
	struct imp_buf why = { 0 };
	const char *file = o->input && strcmp(o->input, "-") ? o->input : "stdin";
	const char *line;
	char *copy = NULL, *f[T_NCOL + 1], l1[45], l2[45];
	size_t len, n, col[T_NCOL];
	unsigned long bad = 0, rows = 0;
	int fd = 0, rc = 0, got;

	if (o->input && strcmp(o->input, "-") && (fd = open(o->input, O_RDONLY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open %s: %s", o->input, strerror(errno));
	if (imp_lines_init(&lines, imp_read_fd, &fd, TSV_LINE_MAX) != 0) {
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	lines.anynl = 1;
	while (rc == 0 && (got = imp_lines_next(&lines, &line, &len)) > 0) {
		free(copy);
		if ((copy = strndup(line, len)) == NULL) {
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
			break;
		}
		if (strlen(copy) != len) {
			rc = imp_fail(e, EX_DATAERR, "%s line %lu has a NUL byte", file, lines.lineno);
			break;
		}
		imp_buf_reset(&why);
		if (o->mode == CHECK) {
			n = split_tabs(copy, f, 2);
			rows++;
			if (n != 2) {
				bad++;
				printf("%s line %lu: wrong: not LINE1<TAB>LINE2\n", file, lines.lineno);
			} else if (imp_mrz_check(f[0], f[1], &why) != 0) {
				bad++;
				printf("%s line %lu: wrong: %s\n", file, lines.lineno, imp_buf_str(&why));
			} else {
				printf("%s line %lu: ok\n", file, lines.lineno);
			}
			continue;
		}
		n = split_tabs(copy, f, T_NCOL);
		if (lines.lineno == 1) {
			rc = tsv_header(f, n, col, file, e);
			continue;
		}
		rows++;
		if (n != T_NCOL) {
			bad++;
			printf("error: %s line %lu has %zu fields, not %d\n", file, lines.lineno,
			       n > T_NCOL ? n : n, T_NCOL);
		} else if (tsv_row(f, col, l1, l2, &why) != 0) {
			bad++;
			printf("error: %s line %lu: %s\n", file, lines.lineno, imp_buf_str(&why));
		} else {
			printf("%s\t%s\n", l1, l2);
		}
	}
	if (rc == 0 && got < 0)
		rc = errno == E2BIG ? imp_fail(e, EX_DATAERR, "%s line %lu is longer than %d bytes",
					       file, lines.lineno + 1, TSV_LINE_MAX) :
			imp_fail(e, EX_IOERR, "cannot read %s: %s", file, strerror(errno));
	if (rc == 0 && o->mode == TSV && lines.lineno == 0)
		rc = imp_fail(e, EX_DATAERR, "%s is empty: --tsv needs a header line", file);
	if (rc == 0 && bad > 0)
		rc = imp_fail(e, EX_DATAERR, "%lu of %lu rows %s", bad, rows, o->mode == CHECK ?
			      "are wrong" : "could not be rendered");
	imp_lines_free(&lines);
out:
	free(copy);
	imp_buf_free(&why);
	if (fd > 0)
		close(fd);
	return rc;
}

/* ---- main ---------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs("usage: render-mrz [--state FILE] [--issue-date YYYY-MM-DD] [--proof DIR] [-s FPR]\n"
	      "                  [-t FILE] [--counts FILE] [FILE|-]\n"
	      "       render-mrz --tsv [FILE|-]\n"
	      "       render-mrz --check [FILE|-]\n"
	      "       render-mrz [--state FILE] --add-range NAME FIRST-LAST | --report | "
	      "--void BATCH\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Give each ok application its passport number, dates and TD3 MRZ.\n"
	      "      --state FILE       the state database (default $IMPASS_SPOOL/state.db)\n"
	      "      --issue-date DATE  the date of issue (default today)\n"
	      "      --proof DIR        an SVG proof of each data page, DIR/NUMBER.svg\n"
	      "      --tsv              render rows of a TSV file, no stream or seal\n"
	      "      --check            check LINE1<TAB>LINE2 rows of presented MRZs\n"
	      "      --add-range NAME FIRST-LAST\n"
	      "                         add a range of numbers (AB1000000-AB1999999)\n"
	      "      --report           the ranges, and numbers given but never sealed\n"
	      "      --void BATCH       void the numbers given to BATCH and never sealed\n"
	      "  -s, --signer FPR       stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE       trust file (default $IMPASS_TRUST)\n"
	      "      --counts FILE      the counts of the run and of the output stream (as\n"
	      "                         inspect --counts gives them) as key=value lines to FILE\n"
	      "  -h, --help             this text;  --version  the version\n"
	      "See render-mrz(1).\n", stdout);
}

static int
set_mode(struct opts *o, enum mode m)
{
	if (o->mode != RENDER && o->mode != m) {
		imp_warn(PROG, NULL, "--tsv, --check, --add-range, --report and --void exclude "
			 "each other");
		return EX_USAGE;
	}
	o->mode = m;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ "issue-date", required_argument, NULL, 'I' },
		{ "tsv", no_argument, NULL, 'T' },
		{ "check", no_argument, NULL, 'C' },
		{ "add-range", required_argument, NULL, 'A' },
		{ "report", no_argument, NULL, 'R' },
		{ "void", required_argument, NULL, 'O' },
		{ "proof", required_argument, NULL, 'P' },
		{ "signer", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = 0, dated = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': o->state = optarg; break;
		case 'I':
			if (imp_date_iso(optarg, &o->issue) != 0) {
				imp_warn(PROG, NULL, "--issue-date '%s' is not a date YYYY-MM-DD", optarg);
				return EX_USAGE;
			}
			dated = 1;
			break;
		case 'T': rc = set_mode(o, TSV); break;
		case 'C': rc = set_mode(o, CHECK); break;
		case 'A': rc = set_mode(o, ADD_RANGE); o->range_name = optarg; break;
		case 'R': rc = set_mode(o, REPORT); break;
		case 'O': rc = set_mode(o, VOID); o->batch = optarg; break;
		case 'P': o->proof = optarg; break;
		case 's': o->signer = optarg; break;
		case IMP_COUNTS_OPT: o->counts = optarg; break;
		case 't': o->trust = optarg; break;
		case 'h': help(); exit(0);
		case 'V': puts(PROG " " IMP_VERSION); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (rc != 0)
		return rc;
	if (o->mode == ADD_RANGE) {
		if (argc - optind != 1) {
			usage(stderr);
			return EX_USAGE;
		}
		o->range = argv[optind];
		return 0;
	}
	o->input = optind < argc ? argv[optind] : NULL;
	if (argc - optind > 1 || ((o->mode == REPORT || o->mode == VOID) && optind < argc)) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!dated && imp_date_today(&o->issue) != 0) {
		imp_warn(PROG, NULL, "cannot read the clock");
		return EX_OSERR;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct imp_err e = { 0 };
	struct imp_run run;
	int rc;

	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	imp_init(&run);
	if (o.mode == RENDER)
		return imp_exit(PROG, run.batch, &run, run_stage(&o, &run, &e), &e);
	rc = o.mode == TSV || o.mode == CHECK ? filter(&o, &e) : state_command(&o, &e);
	if (rc != 0)
		imp_report(PROG, NULL, &e);
	if (imp_close_stdout(PROG, NULL) != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
