/* SPDX-License-Identifier: ISC */
/*
 * The stage loop every program stands on: check the signing key, verify
 * the whole input seal, then hand each ok record to the program and pass
 * the others through untouched, and seal the output last.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "impass.h"

struct stage_ctx {
	const char *prog;
	const struct imp_stage *st;
	struct imp_run *run;
	struct imp_keys keys;
	struct imp_reader *in;
	struct imp_batch batch;
	struct imp_writer out;
	struct imp_record *rec;
};

/*
 * Only the last stage of a pipeline draws progress (its standard output is
 * no pipe): the stages of `ingest | validate | verify-nadra` share one
 * terminal line, and the others' summary lines clear it before they are
 * written (imp_summary, imp_report).
 */
void
imp_run_init(struct imp_run *run)
{
	struct stat st;

	memset(run, 0, sizeof *run);
	run->start = imp_now();
	run->tty = isatty(2) && !(fstat(1, &st) == 0 && S_ISFIFO(st.st_mode));
}

void
imp_progress(const char *prog, struct imp_run *run, const char *what, uint64_t n, int done)
{
	double now, left;

	if (!run->tty)
		return;
	if (done) {
		if (run->shown > 0)
			fputs("\r\033[K", stderr);
		return;
	}
	/* every quarter second, and at once when the work changes (verifying, processed) */
	if ((n & 1023) != 0 || ((now = imp_now()) - run->shown < 0.25 && run->drawn == what))
		return;
	run->shown = now;
	run->drawn = what;
	fprintf(stderr, "\r%s: %s: %s %" PRIu64, prog, run->batch[0] ? run->batch : "-", what, n);
	if (run->total > 0 && n <= run->total) {
		fprintf(stderr, " of %" PRIu64 " records (%d%%)", run->total,
			(int)(100 * n / run->total));
		left = (now - run->began) / (double)n * (double)(run->total - n);
		if (now - run->began >= 1)
			fprintf(stderr, ", about %.0f s left", left);
	} else
		fputs(" records", stderr);
	fputs("\033[K", stderr);
}

/* The start of every main. */
void
imp_init(struct imp_run *run)
{
	imp_run_init(run);
	imp_crypto_init();
	imp_xml_init();
}

/*
 * One held or rejected record more under its code (the code of the step
 * that held or rejected it), in the order the codes first come. A verdict
 * that cannot be read marks the tally bad (its codes are then not told)
 * and is the error of e.
 */
int
imp_tally_record(struct imp_tally *t, struct imp_record *r, struct imp_err *e)
{
	const char *stage, *code, *text;
	struct imp_code_count *v;
	int status = imp_record_status(r);
	size_t i;

	if (status == IMP_OK_STATUS || t->bad)
		return 0;
	if (imp_record_verdict(r, &stage, &code, &text) != 0)
		code = "(no step)";
	if (imp_record_error(r) != NULL) {
		t->bad = 1;
		*e = *imp_record_error(r);
		return e->code;
	}
	if (code == NULL)
		code = "(no code)";
	for (i = 0; i < t->n; i++)
		if (t->codes[i].status == status && strcmp(t->codes[i].code, code) == 0)
			break;
	if (i == t->n) {
		if ((v = realloc(t->codes, (i + 1) * sizeof *v)) == NULL) {
			t->bad = 1;
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		}
		t->codes = v;
		t->n++;
		snprintf(v[i].code, sizeof v[i].code, "%s", code);
		v[i].status = status;
		v[i].n = 0;
	}
	t->codes[i].n++;
	return 0;
}

void
imp_tally_free(struct imp_tally *t)
{
	free(t->codes);
	memset(t, 0, sizeof *t);
}

/*
 * A record written to the output (line): counted by its status, and with
 * --counts by its code when held or rejected, read from the line as
 * written (a record the stage changed reads as it came). A verdict that
 * cannot be read is no error of the stage (the record passes as it came);
 * --counts then leaves the stream's counts out, and a script counts the
 * stream itself (inspect --counts).
 */
void
imp_run_count(struct imp_run *run, struct imp_record *r, const char *line, size_t len)
{
	struct imp_err e = { 0 };
	int status = imp_record_status(r);

	run->out[status]++;
	if (run->counts == NULL || status == IMP_OK_STATUS || run->tally.bad)
		return;
	if (run->scratch == NULL && (run->scratch = imp_record_new()) == NULL) {
		run->tally.bad = 1;
		return;
	}
	if (imp_record_load(run->scratch, line, len, &e) != 0)
		run->tally.bad = 1;
	else
		(void)imp_tally_record(&run->tally, run->scratch, &e);
}

/* The output stream is sealed: what --counts tells of it. */
void
imp_run_sealed(struct imp_run *run, const struct imp_writer *w, const struct imp_keys *k)
{
	run->sealed = 1;
	snprintf(run->kind, sizeof run->kind, "%s", w->kind);
	run->seal = w->seal;
	snprintf(run->signer_name, sizeof run->signer_name, "%s",
		 imp_trust_name(&k->trust, w->seal.signer));
}

/*
 * A sealed stream's counts as key=value lines (inspect --counts), each key
 * after prefix: the batch, its kind, the stage that sealed it, its records
 * by status, the signer and when, then the held and rejected by code.
 */
void
imp_stream_counts(struct imp_buf *b, const char *prefix, const char *batch, const char *kind,
		  const struct imp_sealed *seal, uint64_t records,
		  const uint64_t status[IMP_NSTATUS], const char *signer_name,
		  const struct imp_tally *t)
{
	const char *p = prefix;
	size_t i;

	imp_buf_printf(b, "%sbatch=%s\n%skind=%s\n%sstage=%s\n%srecords=%" PRIu64 "\n%sok=%" PRIu64
		       "\n%sheld=%" PRIu64 "\n%srejected=%" PRIu64 "\n", p, batch, p, kind, p,
		       seal->stage, p, records, p, status[IMP_OK_STATUS], p, status[IMP_HELD], p,
		       status[IMP_REJECTED]);
	imp_buf_printf(b, "%ssigner=%s\n%ssigner_name=%s\n%screated=%s\n", p, seal->signer, p,
		       signer_name, p, seal->created);
	for (i = 0; i < t->n; i++)
		imp_buf_printf(b, "%s%s.%s=%" PRIu64 "\n", p, imp_status_name(t->codes[i].status),
			       t->codes[i].code, t->codes[i].n);
}

/*
 * The summary as key=value lines for scripts (--counts FILE), written
 * atomically whatever the outcome: status is the program's exit status.
 * When the program sealed a stream, its counts follow, each key after
 * "stream." (what inspect --counts of that stream prints), so that a
 * script need not read the stream again to count it.
 */
int
imp_counts_write(const char *prog, const struct imp_run *run, int status, struct imp_err *e)
{
	struct imp_buf b = { 0 };
	int rc;

	imp_buf_printf(&b, "program=%s\nbatch=%s\nin=%" PRIu64 "\nok=%" PRIu64 "\nheld=%" PRIu64
		       "\nrejected=%" PRIu64 "\nblank_rows=%" PRIu64 "\nempty=%d\nseconds=%.1f\nstatus=%d\n",
		       prog, run->batch, run->in, run->out[IMP_OK_STATUS], run->out[IMP_HELD],
		       run->out[IMP_REJECTED], run->blank_rows, run->empty, imp_now() - run->start,
		       status);
	if (status == 0 && run->sealed && !run->tally.bad)
		imp_stream_counts(&b, "stream.", run->batch, run->kind, &run->seal,
				  run->out[IMP_OK_STATUS] + run->out[IMP_HELD] +
				  run->out[IMP_REJECTED], run->out, run->signer_name, &run->tally);
	rc = b.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") :
		imp_write_file(run->counts, b.p, b.len, e);
	imp_buf_free(&b);
	return rc;
}

/* --counts FILE, when asked for; a file that cannot be written is the outcome */
static int
counts(const char *prog, struct imp_run *run, int rc)
{
	struct imp_err e = { 0 };

	if (run == NULL)
		return rc;
	if (run->counts != NULL && imp_counts_write(prog, run, rc, &e) != 0) {
		imp_report(prog, run->batch, &e);
		rc = rc != 0 ? rc : e.code;
	}
	imp_tally_free(&run->tally);
	imp_record_free(run->scratch);
	run->scratch = NULL;
	return rc;
}

/*
 * The end of every main: the error, or the summary line (when there is a
 * run to count), then standard output checked; the counts file last.
 * Returns the exit status.
 */
int
imp_exit(const char *prog, const char *batch, struct imp_run *run, int rc,
	 const struct imp_err *e)
{
	if (rc != 0) {
		imp_report(prog, batch, e);
		fclose(stdout);        /* the error is said; a second one adds nothing */
		imp_xml_done();
		return counts(prog, run, rc);
	}
	imp_xml_done();
	/* what was written comes before the summary, which a failed write replaces */
	if (fflush(stdout) != 0 || ferror(stdout))
		return counts(prog, run, imp_close_stdout(prog, batch));
	if (run != NULL)
		imp_summary(prog, run);
	return counts(prog, run, imp_close_stdout(prog, batch));
}

void
imp_summary(const char *prog, const struct imp_run *run)
{
	if (isatty(2))
		fputs("\r\033[K", stderr);   /* over another stage's progress line */
	fprintf(stderr, "%s: %s: %" PRIu64 " in, %" PRIu64 " ok, %" PRIu64 " rejected, %" PRIu64
		" held, %.1f s\n", prog, run->batch[0] ? run->batch : "-", run->in,
		run->out[IMP_OK_STATUS], run->out[IMP_REJECTED], run->out[IMP_HELD],
		imp_now() - run->start);
}

static int
scan_progress(void *arg, uint64_t i, const char *line, size_t len,
	      const unsigned char leaf[IMP_HASH_LEN], struct imp_err *e)
{
	struct stage_ctx *c = arg;

	(void)leaf;
	if (c->run->batch[0] == '\0')            /* the header is read: name the batch */
		snprintf(c->run->batch, sizeof c->run->batch, "%s", c->batch.id);
	imp_progress(c->prog, c->run, "verifying", i, 0);
	return c->st->scan != NULL ? c->st->scan(c->st->arg, line, len, e) : 0;
}

static int
been_through(const struct imp_batch *b, const char *stage)
{
	size_t i;

	for (i = 0; i < b->nprov; i++)
		if (strcmp(b->prov[i].stage, stage) == 0)
			return 1;
	return strcmp(b->seal.stage, stage) == 0;
}

static int
accepts(const struct imp_stage *st, const struct imp_batch *b, struct imp_err *e)
{
	struct imp_buf kinds = { 0 };
	const char *const *k;
	int rc;

	for (k = st->kinds; k != NULL && *k != NULL; k++)
		if (strcmp(*k, b->kind) == 0)
			break;
	if (st->kinds != NULL && *k == NULL) {
		for (k = st->kinds; *k != NULL; k++)
			imp_buf_printf(&kinds, "%s%s", k == st->kinds ? "" : k[1] ? ", " : " or ", *k);
		rc = imp_fail(e, EX_DATAERR, "%s reads %s streams, not %s", st->name,
			      imp_buf_str(&kinds), b->kind);
		imp_buf_free(&kinds);
		return rc;
	}
	if (st->input_stage != NULL && strcmp(st->input_stage, b->seal.stage) != 0)
		return imp_fail(e, EX_NOPERM, "%s takes only streams sealed by %s; this one was "
				"sealed by %s", st->name, st->input_stage, b->seal.stage);
	if (st->after != NULL && !been_through(b, st->after))
		return imp_fail(e, EX_DATAERR, "batch %s has not been through %s; %s reads its "
				"output", b->id, st->after, st->name);
	/* a stage runs once on a batch: a second pass would add its steps twice */
	if (!st->repeatable && been_through(b, st->name))
		return imp_fail(e, EX_DATAERR, "batch %s has been through %s already; run %s "
				"on the stream that came before it", b->id, st->name, st->name);
	return 0;
}

/* Four eyes: the key that approves a batch did not put it in (SPEC 6), nor,
 * for a batch of decided records, decided it. */
static int
other_eyes(const struct imp_batch *b, const struct imp_keys *k, struct imp_err *e)
{
	const struct imp_sealed *s;
	size_t i;

	for (i = 0; i <= b->nprov; i++) {
		s = i < b->nprov ? &b->prov[i] : &b->seal;
		if ((strcmp(s->stage, "ingest") == 0 || strcmp(s->stage, "review") == 0) &&
		    strcasecmp(s->signer, k->signer) == 0)
			return imp_fail(e, EX_NOPERM, "the key %s (%s) sealed this batch's %s; "
					"four eyes: another approver must sign it", k->signer,
					imp_trust_name(&k->trust, k->signer), s->stage);
	}
	return 0;
}

/* Key, trust and input: everything that must hold before a record is read. */
static int
prepare(struct stage_ctx *c, const struct imp_stage_opts *o, struct imp_err *e)
{
	int rc;

	if ((rc = imp_keys_open(&c->keys, o->trust, o->signer, c->st->name, e)) != 0 ||
	    (rc = imp_reader_open(&c->in, o->input, e)) != 0)
		return rc;
	rc = imp_reader_scan(c->in, &c->batch, scan_progress, c, e);
	snprintf(c->run->batch, sizeof c->run->batch, "%s", c->batch.id);
	if (rc == 0)
		rc = accepts(c->st, &c->batch, e);
	if (rc == 0)
		rc = imp_batch_verify(&c->batch, c->keys.gpg, &c->keys.trust, e);
	if (rc == 0 && c->st->four_eyes)
		rc = other_eyes(&c->batch, &c->keys, e);
	if (rc == 0 && c->st->begin != NULL)
		rc = c->st->begin(c->st->arg, &c->batch, e);
	return rc;
}

static int
one_record(struct stage_ctx *c, const char *line, size_t len, struct imp_err *e)
{
	const struct imp_err *re;
	int rc;

	if ((rc = imp_record_load(c->rec, line, len, e)) != 0)
		return rc;
	imp_record_set_index(c->rec, c->run->in - 1);
	/* a record an officer released goes on from the stage after the hold */
	if (imp_record_status(c->rec) == IMP_OK_STATUS && c->st->record != NULL &&
	    !imp_review_skips(line, len, c->st->name)) {
		rc = c->st->record(c->st->arg, c->rec, e);
		if (rc == 0 && (re = imp_record_error(c->rec)) != NULL) {
			*e = *re;
			rc = re->code;
		}
		if (rc != 0)
			return rc;
	}
	imp_record_line(c->rec, &line, &len);
	imp_run_count(c->run, c->rec, line, len);
	return imp_writer_record(&c->out, line, len, e);
}

static int
records(struct stage_ctx *c, struct imp_err *e)
{
	const char *line, *kind = c->st->out_kind ? c->st->out_kind : c->batch.kind;
	size_t len;
	int rc;

	if ((c->rec = imp_record_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_writer_begin(&c->out, stdout, c->batch.id, kind, &c->batch, e)) != 0 ||
	    (rc = imp_reader_rewind(c->in, e)) != 0)
		return rc;
	c->run->total = c->batch.count;
	c->run->began = imp_now();
	while ((rc = imp_reader_next(c->in, &line, &len, e)) > 0) {
		c->run->in++;
		if ((rc = one_record(c, line, len, e)) != 0)
			return rc;
		imp_progress(c->prog, c->run, "processed", c->run->in, 0);
	}
	if (rc < 0)
		return e->code;
	return imp_reader_finish(c->in, &c->batch, e);
}

int
imp_stage_run(const char *prog, const struct imp_stage *st, const struct imp_stage_opts *o,
	      struct imp_run *run, struct imp_err *e)
{
	struct stage_ctx c;
	int rc;

	memset(&c, 0, sizeof c);
	if (o->counts != NULL)
		run->counts = o->counts;
	c.prog = prog;
	c.st = st;
	c.run = run;
	imp_stdout_buffer();
	rc = prepare(&c, o, e);
	if (rc == 0)
		rc = records(&c, e);
	if (rc == 0 && st->end != NULL)
		rc = st->end(st->arg, e);
	imp_progress(prog, run, "", 0, 1);
	if (rc == 0)
		rc = imp_writer_seal(&c.out, c.keys.gpg, st->name, c.keys.signer, e);
	if (rc == 0)
		imp_run_sealed(run, &c.out, &c.keys);
	imp_record_free(c.rec);
	imp_writer_free(&c.out);
	imp_reader_close(c.in);
	imp_batch_free(&c.batch);
	imp_keys_close(&c.keys);
	return rc;
}
