/* SPDX-License-Identifier: ISC */
/*
 * review: an officer's decisions on held records. `review export` lists
 * the open holds of an approved batch as review.csv; `review apply` reads
 * the filled file, checks every line, and writes the decided records as a
 * batch of their own (SPOOL/decided/BATCH-Dn.xml), each with a review step
 * naming the decision, the officer and the reason, sealed with the
 * officer's key; the state database remembers every decision, so none is
 * applied twice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "series.h"

#define PROG "review"

static const char *const columns[] = {
	"batch", "id", "office", "stage", "code", "reason", "values", "decision",
	"corrected_field", "corrected_value", "note",
};

enum { C_BATCH, C_ID, C_OFFICE, C_STAGE, C_CODE, C_REASON, C_VALUES, C_DECISION, C_FIELD,
       C_VALUE, C_NOTE, NCOLS, NEXPORTED = C_DECISION };

/* the values an officer needs beside the reason, as entered */
static const char *const app_values[] = { "surname", "given_names", "father_name",
					  "date_of_birth", "cnic", NULL };
static const char *const cert_values[] = { "issued_on", "name", "father_name",
					   "date_of_birth", "cnic", NULL };
static const char *const step_values[] = { "list", "entry", "score", "other", NULL };
/* the stages whose holds only a screening officer decides: control lists,
 * duplicates, and render-mrz's one passport per application and person */
static const char *const screening_stages[] = { "screen-pcl", "dedup", "render-mrz", NULL };

struct line {                          /* one decided line of the file */
	unsigned long lineno;
	uint64_t index;                /* the record's place in the stream, from 1 */
	char *cell[NCOLS];
	int found;
};

struct review {
	const char *spool;
	const char *decisions;         /* --decisions FILE */
	struct imp_keys keys;
	struct imp_reader *in;
	struct imp_batch b;
	const struct imp_format *fmt;
	sqlite3 *db;
	struct imp_record *rec;
	struct imp_buf cell[NEXPORTED], csv, tmp;
	struct line *v;                /* apply: the decided lines */
	size_t n, cap;
	struct imp_map *byid;          /* record id -> index in v + 1 */
	size_t col[NCOLS];
	struct imp_buf out;            /* apply: the decided record lines */
	struct imp_buf rows[2];        /* holds: the open holds' lines, the decided ones' */
	struct imp_buf made;           /* apply: one decided record line */
	char number[32];               /* apply: the passport number it carried, or "" */
	struct imp_decision *dec;
	struct imp_rules *rules;
	char decided[21], into[IMP_ID_MAX + 1];
	size_t ndec;
	uint64_t held, listed, before, count[3];
	uint64_t index;                /* of the record read last, from 1 */
	uint64_t moved;                /* held records moved to reviewed/ */
	int spoolfd, heldfd, reviewedfd;
};

/* ---- a held record as a line of review.csv -------------------------------- */

/* The last step that did not pass: the hold. */
static xmlNodePtr
hold_step(struct imp_record *r)
{
	xmlNodePtr n = imp_record_root(r), last = NULL;
	xmlChar *res;

	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "trail") == 0)
			break;
	for (n = n ? n->children : NULL; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || (res = xmlGetProp(n, BAD_CAST "result")) == NULL)
			continue;
		if (strcmp((const char *)res, "ok") != 0)
			last = n;
		xmlFree(res);
	}
	return last;
}

static void
add_value(struct imp_buf *b, const char *name, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	imp_buf_printf(b, "%s%s=%s", b->len ? "; " : "", name, v);
}

/* The exported columns of held record r (batch .. values) into rv->cell. */
static int
export_cells(struct review *rv, struct imp_record *r, struct imp_err *e)
{
	const char *const *f = rv->fmt->nattrs ? cert_values : app_values;
	xmlNodePtr step;
	xmlChar *p;
	size_t i;

	for (i = 0; i < NEXPORTED; i++)
		imp_buf_reset(&rv->cell[i]);
	if (imp_record_parse(r, e) != 0 || (step = hold_step(r)) == NULL)
		return imp_fail(e, EX_DATAERR, "record %s is held but has no step that holds it",
				imp_record_id(r));
	imp_buf_puts(&rv->cell[C_BATCH], rv->b.id);
	imp_buf_puts(&rv->cell[C_ID], imp_record_id(r));
	imp_buf_puts(&rv->cell[C_OFFICE], rv->fmt->nattrs ?
		     imp_record_attr(r, rv->fmt->section, "register") :
		     imp_record_field(r, rv->fmt->section, "office"));
	for (i = 0; i < 2; i++) {
		p = xmlGetProp(step, BAD_CAST (i ? "code" : "stage"));
		imp_buf_puts(&rv->cell[i ? C_CODE : C_STAGE], p ? (const char *)p : "");
		xmlFree(p);
	}
	p = xmlNodeGetContent(step);
	imp_buf_puts(&rv->cell[C_REASON], p ? (const char *)p : "");
	xmlFree(p);
	if (rv->fmt->nattrs)
		add_value(&rv->cell[C_VALUES], "number", imp_record_attr(r, rv->fmt->section,
									"number"));
	for (; *f != NULL; f++)
		add_value(&rv->cell[C_VALUES], *f, imp_record_field(r, rv->fmt->section, *f));
	add_value(&rv->cell[C_VALUES], "passport", imp_record_attr(r, "passport", "number"));
	for (f = step_values; *f != NULL; f++) {
		p = xmlGetProp(step, BAD_CAST *f);
		add_value(&rv->cell[C_VALUES], *f, (const char *)p);
		xmlFree(p);
	}
	for (i = 0; i < NEXPORTED; i++)
		if (rv->cell[i].oom)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static void
csv_row(struct imp_buf *b, struct imp_buf *cells, size_t n, size_t empty)
{
	size_t i;

	imp_buf_reset(b);
	for (i = 0; i < n; i++) {
		if (i > 0)
			imp_buf_add(b, ",", 1);
		imp_csv_cell(b, imp_buf_str(&cells[i]), 1);
	}
	for (i = 0; i < empty; i++)
		imp_buf_add(b, ",", 1);
	imp_buf_add(b, "\n", 1);
}

/* ---- the spool's held files ------------------------------------------------ */

/* SPOOL/held and SPOOL/reviewed, opened without following a link (none
 * when the spool has no held/: nothing was spooled there). */
static int
open_held(struct review *rv, struct imp_err *e)
{
	int rc;

	if ((rv->spoolfd = open(rv->spool, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot open the spool %s: %s", rv->spool,
				strerror(errno));
	if ((rc = imp_review_dir(rv->spoolfd, rv->spool, "held", 0, &rv->heldfd, e)) != 0 ||
	    rv->heldfd < 0)
		return rc;
	return imp_review_dir(rv->spoolfd, rv->spool, "reviewed", 1, &rv->reviewedfd, e);
}

/* The held file of the decided record at place index out of held/. */
static int
archive(struct review *rv, uint64_t index, const char *record, struct imp_err *e)
{
	int rc;

	if (rv->heldfd < 0)
		return 0;
	if ((rc = imp_review_archive(rv->heldfd, rv->reviewedfd, rv->spool, rv->b.id, index,
				     record, e)) < 0 || rc > 1)
		return rc;
	rv->moved += (uint64_t)rc;
	return 0;
}

/* The batch's file of held records out of held/ when none in it waits. */
static int
archive_parked(struct review *rv, struct imp_err *e)
{
	uint64_t n;
	int rc;

	if (rv->heldfd < 0)
		return 0;
	if ((rc = imp_review_archive_parked(rv->heldfd, rv->reviewedfd, rv->db, rv->spool,
					    rv->b.id, &n, e)) != 0)
		return rc;
	rv->moved += n;
	return 0;
}

/* The moves made durable: both folders synced. */
static void
archived(struct review *rv)
{
	if (rv->moved == 0)
		return;
	fsync(rv->reviewedfd);
	fsync(rv->heldfd);
}

/* ---- the input: an approved batch, verified ------------------------------------ */

static int
open_input(struct review *rv, const char *trust, const char *signer, const char *stage,
	   const char *input, struct imp_err *e)
{
	char path[4200];
	int rc;

	if ((rc = imp_keys_open(&rv->keys, trust, signer, stage, e)) != 0 ||
	    (rc = imp_reader_open(&rv->in, input, e)) != 0 ||
	    (rc = imp_reader_scan(rv->in, &rv->b, NULL, NULL, e)) != 0 ||
	    (rc = imp_batch_verify(&rv->b, rv->keys.gpg, &rv->keys.trust, e)) != 0)
		return rc;
	if (strcmp(rv->b.seal.stage, "sign") != 0)
		return imp_fail(e, EX_NOPERM, "review takes an approved batch, sealed by sign; this "
				"one was sealed by %s: review the night's sign output (07-sign.xml, "
				"citizenship.xml)", rv->b.seal.stage);
	if ((rv->fmt = imp_format_for(rv->b.kind)) == NULL || strcmp(rv->b.kind, "printed") == 0)
		return imp_fail(e, EX_DATAERR, "review decides holds of applications and "
				"certificates, not of %s records", rv->b.kind);
	snprintf(path, sizeof path, "%s/state.db", rv->spool);
	if ((rc = imp_review_open(path, &rv->db, e)) != 0)
		return rc;
	if ((rv->rec = imp_record_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = open_held(rv, e)) != 0)
		return rc;
	return imp_reader_rewind(rv->in, e);
}

/* The next held record of the batch into rv->rec: 1, or 0 at the end. */
static int
next_held(struct review *rv, struct imp_err *e)
{
	const char *line, *id;
	size_t len, idlen;
	int rc, status;

	while ((rc = imp_reader_next(rv->in, &line, &len, e)) > 0) {
		rv->index++;
		if (imp_record_head(line, len, &id, &idlen, &status) == 0) {
			imp_fail(e, EX_DATAERR, "a record line without id or status");
			return -1;
		}
		if (status != IMP_HELD)
			continue;
		rv->held++;
		return imp_record_load(rv->rec, line, len, e) == 0 ? 1 : -1;
	}
	return rc;
}

/* ---- export ------------------------------------------------------------- */

static int
export(struct review *rv, struct imp_err *e)
{
	char when[33], into[IMP_ID_MAX + 1];
	size_t i;
	int rc;

	for (i = 0; i < NCOLS; i++)
		printf("%s%s", i ? "," : "", columns[i]);
	putchar('\n');
	while ((rc = next_held(rv, e)) > 0) {
		if ((rc = imp_review_decided(rv->db, rv->b.id, imp_record_id(rv->rec), when, into,
					     NULL, e)) != 0) {
			if (rc < 0)
				return e->code;
			rv->before++;
			/* a run killed after its decisions were recorded left the file */
			if ((rc = archive(rv, rv->index, imp_record_id(rv->rec), e)) != 0)
				return rc;
			continue;
		}
		if ((rc = export_cells(rv, rv->rec, e)) != 0)
			return rc;
		csv_row(&rv->csv, rv->cell, NEXPORTED, NCOLS - NEXPORTED);
		fwrite(rv->csv.p, 1, rv->csv.len, stdout);
		rv->listed++;
	}
	if (rc == 0 && rv->before > 0 && (rc = archive_parked(rv, e)) != 0)
		return rc;
	archived(rv);
	return rc < 0 ? e->code : imp_reader_finish(rv->in, &rv->b, e);
}

/* ---- apply: the decisions file --------------------------------------------- */

static int
refuse(struct review *rv, const struct line *l, int code, struct imp_err *e, const char *what)
{
	return imp_fail(e, code, "%s line %lu (record %s): %s; nothing was applied",
			rv->decisions, l->lineno, l->cell[C_ID][0] ? l->cell[C_ID] : "none", what);
}

static int
check_line(struct review *rv, struct line *l, struct imp_err *e)
{
	const char *d = l->cell[C_DECISION], *f = l->cell[C_FIELD], *v = l->cell[C_VALUE];
	size_t i;

	if (strcmp(d, "release") != 0 && strcmp(d, "reject") != 0 && strcmp(d, "correct") != 0)
		return refuse(rv, l, EX_DATAERR, e, "the decision must be release, reject or "
			      "correct (or empty: not decided yet)");
	if (l->cell[C_NOTE][0] == '\0')
		return refuse(rv, l, EX_DATAERR, e, "no note: say in the note why, as the "
			      "decision's reason");
	if (strcmp(d, "correct") != 0 && (*f != '\0' || *v != '\0'))
		return refuse(rv, l, EX_DATAERR, e, "corrected_field and corrected_value are "
			      "only for the decision correct");
	if (strcmp(d, "correct") != 0)
		return 0;
	for (i = rv->fmt->nattrs; i < rv->fmt->ncolumns; i++)
		if (strcmp(rv->fmt->columns[i], f) == 0 && strcmp(f, "tracking_id") != 0)
			break;
	if (i == rv->fmt->ncolumns)
		return refuse(rv, l, EX_DATAERR, e, "correct needs corrected_field, a field of the "
			      "record (a column of its CSV, not the tracking id, register or "
			      "number)");
	if (*v == '\0')
		return refuse(rv, l, EX_DATAERR, e, "correct needs corrected_value; to clear a "
			      "value, reject the record instead");
	return 0;
}

static int
on_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct review *rv = arg;
	struct line *l, *v;
	uint64_t old;
	size_t i;
	int rc;

	if (row->header)
		return imp_csv_header(row, "review.csv", columns, NCOLS, rv->col, e);
	for (i = 0; i < row->kept; i++)
		if (row->bad[i] || row->toolong[i])
			return imp_fail(e, EX_DATAERR, "%s line %lu: column %zu holds a control "
					"character or is too long", row->file, row->line, i + 1);
	if (row->field[rv->col[C_DECISION]][0] == '\0')
		return 0;                      /* not decided yet: stays open */
	if (rv->n == rv->cap) {
		rv->cap = rv->cap ? 2 * rv->cap : 64;
		if ((v = reallocarray(rv->v, rv->cap, sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		rv->v = v;
	}
	l = &rv->v[rv->n];
	memset(l, 0, sizeof *l);
	l->lineno = row->line;
	for (i = 0; i < NCOLS; i++)
		if ((l->cell[i] = strdup(row->field[rv->col[i]])) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
	rv->n++;
	if (strcmp(l->cell[C_BATCH], rv->b.id) != 0)
		return refuse(rv, l, EX_DATAERR, e, "the file was exported from another batch "
			      "than this stream's; export review.csv from this batch's sign "
			      "output and decide there");
	if ((rc = check_line(rv, l, e)) != 0)
		return rc;
	switch (imp_map_put(rv->byid, l->cell[C_ID], rv->n, &old)) {
	case 1:
		return refuse(rv, l, EX_DATAERR, e, "decided twice in this file (line of the "
			      "first decision above); keep one line per record");
	case -1:
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	return 0;
}

/* The line the officer decided for record r, or NULL. */
static struct line *
line_of(struct review *rv, struct imp_record *r)
{
	uint64_t i;

	return imp_map_get(rv->byid, imp_record_id(r), &i) == 0 ? &rv->v[i - 1] : NULL;
}

/* ---- apply: one decided record ----------------------------------------------- */

/* Who may decide this hold: control-list and duplicate holds only a
 * screening key that did not approve the batch; the others a reviewer. */
static int
may_decide(struct review *rv, struct line *l, struct imp_err *e)
{
	const struct imp_trust_entry *te = imp_trust_find(&rv->keys.trust, rv->keys.signer);
	const char *stage = rv->cell[C_STAGE].p;
	const char *const *s;
	int screening = 0;

	for (s = screening_stages; *s != NULL; s++)
		screening |= strcmp(stage, *s) == 0;
	if (screening && !(te->roles & IMP_ROLE_SCREENING))
		return refuse(rv, l, EX_NOPERM, e, "a hold of screen-pcl, dedup or render-mrz is "
			      "decided only by a key with the screening role; the key given is not "
			      "one");
	if (screening && strcasecmp(rv->b.seal.signer, rv->keys.signer) == 0)
		return refuse(rv, l, EX_NOPERM, e, "the key given approved this batch; its "
			      "control-list and duplicate holds are decided by another officer");
	if (!screening && !(te->roles & IMP_ROLE_REVIEWER))
		return refuse(rv, l, EX_NOPERM, e, "a hold of this stage is decided by a key with "
			      "the reviewer role; the key given is not one");
	return 0;
}

/* The exported columns as they were: the file must say what was exported. */
static int
unchanged(struct review *rv, struct line *l, struct imp_err *e)
{
	struct imp_buf a = { 0 }, b = { 0 };
	size_t i;
	int same = 1;

	for (i = 0; i < NEXPORTED && same; i++) {
		imp_buf_reset(&a);
		imp_buf_reset(&b);
		imp_csv_cell(&a, imp_buf_str(&rv->cell[i]), 1);
		imp_csv_cell(&b, l->cell[i], 0);
		same = a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
	}
	imp_buf_free(&a);
	imp_buf_free(&b);
	if (same)
		return 0;
	imp_buf_reset(&rv->tmp);
	imp_buf_printf(&rv->tmp, "column %s was edited after the export ('%s', exported '%s'); "
		       "only decision, corrected_field, corrected_value and note are filled in: "
		       "export review.csv again", columns[i - 1], l->cell[i - 1],
		       imp_buf_str(&rv->cell[i - 1]));
	return refuse(rv, l, EX_DATAERR, e, imp_buf_str(&rv->tmp));
}

/* A corrected record must pass validate's rules before it is sent on. */
static int
check_correction(struct review *rv, struct line *l, const char *line, size_t len,
		 struct imp_err *e)
{
	struct imp_record *c = imp_record_new(), *v = imp_record_new();
	const char *stage, *code, *text, *checked;
	struct imp_buf copy = { 0 };
	struct imp_date today;
	size_t n;
	int rc;

	if (c == NULL || v == NULL || imp_date_today(&today) != 0)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	else if ((rc = rv->rules ? 0 : imp_rules_open(&rv->rules, rv->b.kind, &today, 0, e)) == 0 &&
		 (rc = imp_record_load(c, line, len, e)) == 0 &&
		 (rc = imp_record_parse(c, e)) == 0 &&
		 (rc = imp_rules_check(rv->rules, c, e)) == 0 &&
		 imp_record_status(c) == IMP_REJECTED &&
		 (imp_record_line(c, &checked, &n), imp_buf_add(&copy, checked, n), 1) &&
		 imp_record_load(v, copy.p, copy.len, e) == 0 &&
		 imp_record_verdict(v, &stage, &code, &text) == 0) {
		imp_buf_reset(&rv->tmp);
		imp_buf_printf(&rv->tmp, "the corrected %s '%s' fails validate, %s: %s; correct "
			       "it again", l->cell[C_FIELD], l->cell[C_VALUE], code, text);
		rc = refuse(rv, l, EX_DATAERR, e, imp_buf_str(&rv->tmp));
	}
	imp_record_free(c);
	imp_record_free(v);
	imp_buf_free(&copy);
	return rc;
}

/* The decisions a hold does not take, or NULL: an application that has
 * its passport is given no second one; a date read two ways or none is
 * read from the paper, never released unread. */
static const char *
not_for_hold(const char *stage, const char *code, const char *d)
{
	if (strcmp(code, "MRZ_ALREADY_ISSUED") == 0 && strcmp(d, "reject") != 0)
		return "the application has its passport already (number and batch in the "
		       "reason): one application gets one passport, so this hold is only "
		       "confirmed (reject); a spoiled booklet is reprinted with spool-print "
		       "--reprint";
	if (strcmp(stage, "validate") == 0 && strncmp(code, "DATE_", 5) == 0 &&
	    strcmp(d, "release") == 0)
		return "a date that reads two ways, or none, is not released: read the paper "
		       "register and correct it (correct, corrected_value YYYY-MM-DD), or reject "
		       "the record";
	return NULL;
}

/* Where a released record goes on, for the step's sentence. */
static const char *
goes_on(const char *stage, struct imp_buf *b)
{
	imp_buf_reset(b);
	if (strcmp(stage, "sign") == 0)
		imp_buf_puts(b, "goes through every stage again");
	else if (strcmp(stage, "render-mrz") == 0)
		imp_buf_puts(b, "render-mrz gives it its passport, the other one in production "
			     "notwithstanding");
	else if (imp_stage_order(stage) > imp_stage_order("render-mrz"))
		imp_buf_puts(b, "its passport is made again from render-mrz");
	else
		imp_buf_printf(b, "goes on after %s", stage);
	return imp_buf_str(b);
}

static int
decide(struct review *rv, struct line *l, struct imp_err *e)
{
	struct imp_record *r = rv->rec;
	const char *d = l->cell[C_DECISION], *stage = rv->cell[C_STAGE].p, *line, *why;
	const char *name = imp_trust_name(&rv->keys.trust, rv->keys.signer);
	const char *attrs[] = { "officer", rv->keys.signer, "cleared", stage, NULL };
	const char *number = imp_record_attr(r, "passport", "number");
	char voided[64] = "";
	size_t len;
	int rc;

	if ((why = not_for_hold(stage, rv->cell[C_CODE].p, d)) != NULL)
		return refuse(rv, l, EX_DATAERR, e, why);
	/* a passport held after render-mrz never went to print: void */
	snprintf(rv->number, sizeof rv->number, "%s", number ? number : "");
	if (rv->number[0] != '\0') {
		if ((rc = imp_ledger_held(rv->db, rv->number, l->cell[C_ID], rv->b.id, e)) < 0)
			return e->code;
		if (rc == 0) {
			imp_buf_reset(&rv->tmp);
			imp_buf_printf(&rv->tmp, "the record carries passport %s, which the ledger "
				       "of %s/state.db did not give it in this batch, or which is not "
				       "sealed any more; decide it with the spool whose render-mrz "
				       "gave the number (--spool)", rv->number, rv->spool);
			return refuse(rv, l, EX_DATAERR, e, imp_buf_str(&rv->tmp));
		}
		snprintf(voided, sizeof voided, "; passport %s void, never printed", rv->number);
	}
	if (strcmp(d, "reject") == 0) {
		attrs[2] = NULL;
		rc = imp_record_step(r, PROG, IMP_REJECTED, "REVIEW_REJECT", attrs, "hold confirmed "
				     "by %s: %s (held in batch %s by %s %s)%s", name, l->cell[C_NOTE],
				     rv->b.id, stage, rv->cell[C_CODE].p, voided);
	} else if (strcmp(d, "release") == 0) {
		imp_record_release(r);
		rc = imp_record_step(r, PROG, IMP_OK_STATUS, "REVIEW_RELEASE", attrs, "released by "
				     "%s: %s (held in batch %s by %s %s); %s%s", name,
				     l->cell[C_NOTE], rv->b.id, stage, rv->cell[C_CODE].p,
				     goes_on(stage, &rv->made), voided);
	} else {
		const char *old = imp_record_field(r, rv->fmt->section, l->cell[C_FIELD]);

		attrs[2] = NULL;
		imp_buf_reset(&rv->tmp);
		imp_buf_puts(&rv->tmp, old ? old : "");
		imp_record_correct(r, rv->fmt, l->cell[C_FIELD], l->cell[C_VALUE]);
		imp_record_release(r);
		rc = imp_record_step(r, PROG, IMP_OK_STATUS, "REVIEW_CORRECT", attrs, "%s corrected "
				     "from '%s' to '%s' by %s: %s (held in batch %s by %s %s); "
				     "goes through every stage again%s", l->cell[C_FIELD],
				     imp_buf_str(&rv->tmp), l->cell[C_VALUE], name, l->cell[C_NOTE],
				     rv->b.id, stage, rv->cell[C_CODE].p, voided);
	}
	if (rc != 0 || imp_record_error(r) != NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_record_line(r, &line, &len);
	if (strcmp(d, "correct") == 0 && (rc = check_correction(rv, l, line, len, e)) != 0)
		return rc;
	imp_buf_reset(&rv->made);
	imp_buf_add(&rv->made, line, len);
	if (rv->number[0] != '\0') {          /* render-mrz gives another, if it goes on */
		imp_line_drop(&rv->made, "passport");
		imp_line_drop(&rv->made, "chip");
	}
	imp_buf_add(&rv->out, rv->made.p, rv->made.len);
	imp_buf_add(&rv->out, "\n", 1);
	rv->count[imp_record_status(r)]++;
	return rv->out.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

static int
apply_records(struct review *rv, struct imp_err *e)
{
	char when[33], into[IMP_ID_MAX + 1];
	const char *id, *line;
	struct line *l;
	size_t idlen, len, i;
	int rc, status;

	while ((rc = imp_reader_next(rv->in, &line, &len, e)) > 0) {
		rv->index++;
		if (imp_record_head(line, len, &id, &idlen, &status) == 0)
			return imp_fail(e, EX_DATAERR, "a record line without id or status");
		if (imp_record_load(rv->rec, line, len, e) != 0)
			return e->code;
		if ((l = line_of(rv, rv->rec)) == NULL)
			continue;
		l->found = 1;
		l->index = rv->index;
		if (status != IMP_HELD)
			return refuse(rv, l, EX_DATAERR, e, status == IMP_OK_STATUS ? "the record "
				      "is not held (it is ok): only a held record is decided" :
				      "the record is not held (it is rejected): only a held record "
				      "is decided");
		rc = imp_review_decided(rv->db, rv->b.id, l->cell[C_ID], when, into, NULL, e);
		if (rc < 0)
			return e->code;
		if (rc > 0) {
			imp_buf_reset(&rv->tmp);
			imp_buf_printf(&rv->tmp, "decided already, at %s, into batch %s; a record "
				       "is decided once", when, into);
			return refuse(rv, l, EX_DATAERR, e, imp_buf_str(&rv->tmp));
		}
		if ((rc = export_cells(rv, rv->rec, e)) != 0 || (rc = unchanged(rv, l, e)) != 0 ||
		    (rc = may_decide(rv, l, e)) != 0 || (rc = decide(rv, l, e)) != 0)
			return rc;
		rv->dec[i = rv->ndec++] = (struct imp_decision){
			rv->b.id, l->cell[C_ID], l->cell[C_DECISION], NULL, NULL, rv->keys.signer,
			rv->decided, rv->into, NULL };
		if ((rv->dec[i].stage = strdup(rv->cell[C_STAGE].p)) == NULL ||
		    (rv->dec[i].code = strdup(rv->cell[C_CODE].p)) == NULL ||
		    (rv->number[0] && (rv->dec[i].number = strdup(rv->number)) == NULL))
			return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	if (rc < 0)
		return e->code;
	for (i = 0; i < rv->n; i++)
		if (!rv->v[i].found)
			return refuse(rv, &rv->v[i], EX_DATAERR, e, "no such record in this batch; "
				      "decide only the records review export listed");
	return imp_reader_finish(rv->in, &rv->b, e);
}

/* The decided records as a sealed batch: SPOOL/decided/ID.xml, whole or not at all. */
static int
write_decided(struct review *rv, struct imp_err *e)
{
	struct imp_writer w = { 0 };
	const char *p, *nl, *end = rv->out.p + rv->out.len;
	char dir[4200], tmp[4400], final[4400];
	FILE *f;
	int fd, rc;

	snprintf(dir, sizeof dir, "%s/decided", rv->spool);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", dir, strerror(errno));
	snprintf(tmp, sizeof tmp, "%s/.%s.xml.tmp", dir, rv->into);
	snprintf(final, sizeof final, "%s/%s.xml", dir, rv->into);
	unlink(tmp);                           /* a crashed run's */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", tmp, strerror(errno));
	}
	rc = imp_writer_begin(&w, f, rv->into, rv->b.kind, NULL, e);
	for (p = rv->out.p; rc == 0 && p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		rc = imp_writer_record(&w, p, (size_t)(nl - p), e);
	}
	if (rc == 0)
		rc = imp_writer_seal(&w, rv->keys.gpg, PROG, rv->keys.signer, e);
	imp_writer_free(&w);
	if (rc == 0 && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0))
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", tmp, strerror(errno));
	if (fclose(f) != 0 && rc == 0)
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, final) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot rename %s: %s", tmp, strerror(errno));
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	imp_sync_dir(dir);
	printf("%s\n", final);
	return 0;
}

static int
apply(struct review *rv, struct imp_err *e)
{
	size_t i;
	int rc;

	if ((rv->byid = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_csv_read(rv->decisions, on_row, rv, e)) != 0)
		return rc;
	if (rv->n == 0)
		return 0;                      /* nothing decided: nothing to write */
	if ((rv->dec = calloc(rv->n, sizeof *rv->dec)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_utc(rv->decided);
	if ((rc = imp_review_next_batch(rv->db, rv->b.id, rv->into, e)) != 0 ||
	    (rc = apply_records(rv, e)) != 0)
		return rc;
	/* the batch first, then the ledger: a crash between the two leaves a
	 * batch that the same file, applied again, writes again under the same
	 * id, which render-mrz and spool-print take once */
	if ((rc = write_decided(rv, e)) != 0 || (rc = imp_review_record(rv->db, rv->dec, rv->n,
									   e)) != 0)
		return rc;
	/* then the held files out of held/: a run killed before leaves them to
	 * the next review export of the batch, which moves them */
	imp_fault("review-recorded");
	for (i = 0; i < rv->n; i++)
		if ((rc = archive(rv, rv->v[i].index, rv->v[i].cell[C_ID], e)) != 0)
			break;
	if (rc == 0)
		rc = archive_parked(rv, e);
	archived(rv);
	return rc;
}

/* ---- holds: every held file of the spool, open or decided -------------------- */

static const char holds_header[] =
	"batch,id,office,stage,code,held_at,waited_days,decision,decided_at,into_batch\n";

/* A held file's name: an earlier version's BATCH.NNNNNNNN (a record's)
 * or BATCH.parked (a batch's), nothing else. */
static int
held_name(const char *n)
{
	char batch[IMP_ID_MAX + 1];
	size_t len = strlen(n), i;

	if (imp_parked_name(n, batch))
		return 1;
	if (n[0] == '.' || len < 10 || len > IMP_ID_MAX + 9 || n[len - 9] != '.')
		return 0;
	for (i = len - 8; i < len; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	return 1;
}

struct hold_file {                     /* a held file found, and its folder */
	char *name;
	int k;                         /* 0 held/, 1 reviewed/ */
};

static int
by_name(const void *a, const void *b)
{
	const struct hold_file *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : x->k - y->k;
}

/*
 * One held record's line of the listing (p: its text, as a held file of
 * an earlier version holds it, or a record of a batch's file), among the
 * open holds' lines or the decided ones'; held_at is its file's time.
 */
static int
hold_row(struct review *rv, const char *p, size_t len, time_t mtime, time_t now,
	 struct imp_err *e)
{
	struct imp_buf *c = rv->cell;      /* batch, id, office, stage, code */
	char when[33] = "", into[IMP_ID_MAX + 1] = "", decision[16] = "", at[21];
	const char *body, *office, *nl;
	struct tm tm;
	time_t end = now;
	int rc;

	imp_parked_value(p, len, "batch", &c[C_BATCH]);
	imp_parked_value(p, len, "record", &c[C_ID]);
	imp_parked_value(p, len, "stage", &c[C_STAGE]);
	imp_parked_value(p, len, "code", &c[C_CODE]);
	imp_buf_reset(&c[C_OFFICE]);
	if ((body = memmem(p, len, "\n\n", 2)) != NULL) {
		body += 2;
		nl = memchr(body, '\n', (size_t)(p + len - body));
		if (imp_record_load(rv->rec, body, nl ? (size_t)(nl - body) :
				    (size_t)(p + len - body), e) == 0 &&
		    imp_record_parse(rv->rec, e) == 0 &&
		    ((office = imp_record_field(rv->rec, "application", "office")) != NULL ||
		     (office = imp_record_attr(rv->rec, "certificate", "register")) != NULL))
			imp_buf_puts(&c[C_OFFICE], office);
	}
	if (c[C_BATCH].len == 0 || c[C_ID].len == 0)
		return 0;
	if ((rc = imp_review_decided(rv->db, c[C_BATCH].p, c[C_ID].p, when, into, decision,
				     e)) < 0)
		return e->code;
	if (rc > 0 && strptime(when, "%Y-%m-%dT%H:%M:%SZ", memset(&tm, 0, sizeof tm)) != NULL)
		end = timegm(&tm);
	gmtime_r(&mtime, &tm);
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	imp_buf_reset(&rv->csv);
	for (rc = 0; rc < 5; rc++) {
		imp_csv_cell(&rv->csv, imp_buf_str(&c[rc]), 1);
		imp_buf_add(&rv->csv, ",", 1);
	}
	imp_buf_printf(&rv->csv, "%s,%lld,%s,%s,", at, end > mtime ?
		       (long long)(end - mtime) / 86400 : 0LL, decision, when);
	imp_csv_cell(&rv->csv, into, 1);
	imp_buf_add(&rv->csv, "\n", 1);
	imp_buf_add(&rv->rows[decision[0] ? 1 : 0], rv->csv.p, rv->csv.len);
	if (rv->csv.oom || rv->rows[decision[0] ? 1 : 0].oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	rv->listed++;
	rv->count[decision[0] ? 1 : 0]++;
	return 0;
}

/* The lines of one held file: a record's (an earlier version's) or a
 * batch's, the latter only as spool-print journalled it. */
static int
hold_lines(struct review *rv, const struct hold_file *f, time_t now, struct imp_err *e)
{
	static const char *const where[] = { "held", "reviewed" };
	int dir = f->k ? rv->reviewedfd : rv->heldfd, rc;
	char shown[4400], batch[IMP_ID_MAX + 1], why[160];
	struct imp_parked pk;
	const char *body;
	uint64_t place;
	struct stat st;
	size_t len;

	snprintf(shown, sizeof shown, "%s/%s/%s", rv->spool, where[f->k], f->name);
	if (!imp_parked_name(f->name, batch)) {
		if (!imp_file_is_ours(dir, f->name) ||
		    fstatat(dir, f->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return 0;
		if ((rc = imp_file_read(dir, f->name, shown, 2 * IMP_LINE_MAX, &rv->tmp, e)) != 0)
			return rc < 0 ? 0 : rc;
		return hold_row(rv, rv->tmp.p, rv->tmp.len, st.st_mtime, now, e);
	}
	if ((rc = imp_parked_read(dir, rv->db, batch, "held", shown, &rv->out, why, e)) == 1)
		imp_warn(PROG, NULL, "%s is not the file of held records spool-print wrote (%s): "
			 "its holds are not listed; have it examined", shown, why);
	if (rc != 0 || fstatat(dir, f->name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    imp_parked_begin(&pk, rv->out.p, rv->out.len) != 0)
		return rc > 1 ? rc : 0;
	while ((rc = imp_parked_next(&pk, &place, &body, &len)) > 0)
		if ((rc = hold_row(rv, body, len, st.st_mtime, now, e)) != 0)
			return rc;
	return 0;
}

/* The held files of held/ (open, or decided and not yet moved) and
 * reviewed/ (decided) into *v, sorted by name. */
static int
hold_files(struct review *rv, struct hold_file **v, size_t *n, struct imp_err *e)
{
	static const char *const where[] = { "held", "reviewed" };
	struct hold_file *w;
	struct dirent *d;
	size_t cap = 0;
	DIR *dir;
	int k, fd, rc = 0;

	for (k = 0; k < 2 && rc == 0; k++) {
		if ((rc = imp_review_dir(rv->spoolfd, rv->spool, where[k], 0, &fd, e)) != 0)
			break;
		if (fd < 0)
			continue;
		*(k ? &rv->reviewedfd : &rv->heldfd) = fd;
		if ((fd = dup(fd)) < 0 || (dir = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			return imp_fail(e, EX_IOERR, "cannot read %s/%s: %s", rv->spool, where[k],
					strerror(errno));
		}
		while (rc == 0 && (errno = 0, d = readdir(dir)) != NULL) {
			if (!held_name(d->d_name))
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 256;
				if ((w = reallocarray(*v, cap, sizeof **v)) == NULL) {
					rc = imp_fail(e, EX_SOFTWARE, "out of memory");
					break;
				}
				*v = w;
			}
			if (((*v)[*n].name = strdup(d->d_name)) == NULL)
				rc = imp_fail(e, EX_SOFTWARE, "out of memory");
			else
				(*v)[(*n)++].k = k;
		}
		closedir(dir);
	}
	if (*n > 0)
		qsort(*v, *n, sizeof **v, by_name);
	return rc;
}

/* The holds of every batch spooled, as CSV: the open ones, then the
 * decided ones, each in the order of their files' names and their places. */
static int
holds(struct review *rv, struct imp_err *e)
{
	struct hold_file *v = NULL;
	size_t n = 0, i;
	time_t now = time(NULL);
	int rc = 0;
	char path[4200];

	snprintf(path, sizeof path, "%s/state.db", rv->spool);
	if ((rc = imp_review_open(path, &rv->db, e)) != 0)
		return rc;
	if ((rv->rec = imp_record_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rv->spoolfd = open(rv->spool, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the spool %s: %s", rv->spool,
				strerror(errno));
	rc = hold_files(rv, &v, &n, e);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = hold_lines(rv, &v[i], now, e);
		free(v[i].name);
	}
	free(v);
	if (rc == 0) {
		fputs(holds_header, stdout);
		for (i = 0; i < 2; i++)
			if (rv->rows[i].len > 0)
				fwrite(rv->rows[i].p, 1, rv->rows[i].len, stdout);
	}
	return rc;
}

/* ---- the program ------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: review export [-t FILE] [--spool DIR] [FILE|-]\n"
	      "       review apply -d REVIEW.csv [-s FPR] [-t FILE] [--spool DIR] [FILE|-]\n"
	      "       review holds [--spool DIR]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Officers' decisions on the held records of an approved batch (sign's output).\n"
	      "  export              the open holds as review.csv on standard output\n"
	      "  apply               the filled file's decisions (release, reject, correct)\n"
	      "                      as a sealed batch SPOOL/decided/BATCH-Dn.xml; the batch's\n"
	      "                      held file moves to SPOOL/reviewed/ once all are decided\n"
	      "  holds               every hold of the spool, open then decided, as CSV\n"
	      "  -d, --decisions FILE  the filled review.csv\n"
	      "  -s, --signer FPR    the officer's key: reviewer, or screening for screen-pcl,\n"
	      "                      dedup and render-mrz holds (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE    trust file (default $IMPASS_TRUST, /etc/impass/trust)\n"
	      "      --spool DIR     spool with state.db, decided/, held/ and reviewed/\n"
	      "                      (default $IMPASS_SPOOL)\n"
	      "  -h, --help          this text;  --version  the version\n"
	      "See review(1).\n", stdout);
}

static void
cleanup(struct review *rv)
{
	size_t i, j;

	for (i = 0; i < rv->n; i++)
		for (j = 0; j < NCOLS; j++)
			free(rv->v[i].cell[j]);
	for (i = 0; i < rv->ndec; i++) {
		free((char *)rv->dec[i].stage);
		free((char *)rv->dec[i].code);
		free((char *)rv->dec[i].number);
	}
	free(rv->dec);
	free(rv->v);
	for (i = 0; i < NEXPORTED; i++)
		imp_buf_free(&rv->cell[i]);
	imp_buf_free(&rv->csv);
	imp_buf_free(&rv->tmp);
	imp_buf_free(&rv->out);
	imp_buf_free(&rv->rows[0]);
	imp_buf_free(&rv->rows[1]);
	imp_buf_free(&rv->made);
	imp_map_free(rv->byid);
	imp_rules_close(rv->rules);
	imp_record_free(rv->rec);
	imp_reader_close(rv->in);
	imp_batch_free(&rv->b);
	imp_state_close(rv->db);
	imp_keys_close(&rv->keys);
	if (rv->heldfd >= 0)
		close(rv->heldfd);
	if (rv->reviewedfd >= 0)
		close(rv->reviewedfd);
	if (rv->spoolfd >= 0)
		close(rv->spoolfd);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "decisions", required_argument, NULL, 'd' },
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "spool", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct review rv;
	struct imp_err e = { 0 };
	struct imp_run run;
	const char *trust = NULL, *signer = NULL, *spool = NULL;
	int c, rc, applying, listing;

	memset(&rv, 0, sizeof rv);
	rv.spoolfd = rv.heldfd = rv.reviewedfd = -1;
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		help();
		return imp_close_stdout(PROG, NULL);
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		puts(PROG " " IMP_VERSION);
		return imp_close_stdout(PROG, NULL);
	}
	if (argc < 2 || (strcmp(argv[1], "export") != 0 && strcmp(argv[1], "apply") != 0 &&
			 strcmp(argv[1], "holds") != 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	applying = strcmp(argv[1], "apply") == 0;
	listing = strcmp(argv[1], "holds") == 0;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "d:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': rv.decisions = optarg; break;
		case 's': signer = optarg; break;
		case 't': trust = optarg; break;
		case 'S': spool = optarg; break;
		case 'h': help(); return imp_close_stdout(PROG, NULL);
		case 'V': puts(PROG " " IMP_VERSION); return imp_close_stdout(PROG, NULL);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (argc - optind > (listing ? 0 : 1) || applying != (rv.decisions != NULL) ||
	    (!applying && signer) || (listing && trust)) {
		usage(stderr);
		return EX_USAGE;
	}
	rv.spool = imp_spool_path(spool);
	imp_init(&run);
	if (listing) {
		rc = holds(&rv, &e);
		if (rc == 0)
			fprintf(stderr, "%s: %s: %llu holds: %llu decided, %llu open\n", PROG,
				rv.spool, (unsigned long long)rv.listed,
				(unsigned long long)rv.count[1], (unsigned long long)rv.count[0]);
		c = imp_exit(PROG, NULL, NULL, rc, &e);
		cleanup(&rv);
		return c;
	}
	rc = open_input(&rv, trust, signer, applying ? PROG : NULL,
			optind < argc ? argv[optind] : NULL, &e);
	if (rc == 0)
		rc = applying ? apply(&rv, &e) : export(&rv, &e);
	if (rc == 0 && applying)
		fprintf(stderr, "%s: %s: %zu decided into %s: %llu released or corrected, %llu "
			"rejected; %llu held records moved to %s/reviewed\n", PROG, rv.b.id, rv.n,
			rv.n ? rv.into : "nothing", (unsigned long long)rv.count[IMP_OK_STATUS],
			(unsigned long long)rv.count[IMP_REJECTED], (unsigned long long)rv.moved,
			rv.spool);
	else if (rc == 0)
		fprintf(stderr, "%s: %s: %llu held, %llu to decide in review.csv, %llu decided "
			"before%s\n", PROG, rv.b.id, (unsigned long long)rv.held,
			(unsigned long long)rv.listed, (unsigned long long)rv.before,
			rv.moved ? "; their held files moved to reviewed/" : "");
	c = imp_exit(PROG, rv.b.id[0] ? rv.b.id : NULL, NULL, rc, &e);
	cleanup(&rv);
	return c;
}
