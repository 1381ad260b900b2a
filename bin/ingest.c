/* SPDX-License-Identifier: ISC */
/* ingest: CSV exports (or a zip/tar of them) to the first sealed stream. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "impass.h"

#define PROG "ingest"

enum { ID_OK, ID_EMPTY, ID_FORMAT, ID_DUPLICATE };

struct ingest {
	const struct imp_format *fmt;
	struct imp_keys keys;
	struct imp_writer out;
	struct imp_record *rec;
	struct imp_map *ids;          /* record id -> its record number, 1-based */
	struct imp_buf line, id;
	int id_fault;                 /* the row's tracking_id: ID_OK, ID_EMPTY, ... */
	uint64_t id_first;            /* ID_DUPLICATE: the record that has the id */
	struct imp_run run;
	const char *batch_opt, *spool;
	int allow_empty;
	size_t col[64];               /* format column -> position in the file's header */
	size_t ncols;                 /* fields in the file's header */
	int started;
	uint64_t seq;
};

static void
usage(FILE *f)
{
	fputs("usage: ingest [-k application|citizenship] [-b ID] [-s FPR] [-t FILE]\n"
	      "              [--spool DIR] [--allow-empty] [--counts FILE] [FILE|-]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Turn a CSV export (or a zip/tar of them) into the first sealed stream.\n"
	      "  -k, --kind KIND     application (default) or citizenship\n"
	      "  -b, --batch ID      batch id (default B-YYYYMMDD-NN, counted in SPOOL/batch.seq)\n"
	      "  -s, --signer FPR    stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE    trust file (default $IMPASS_TRUST, /etc/impass/trust)\n"
	      "      --spool DIR     spool root for the batch counter (default $IMPASS_SPOOL)\n"
	      "      --allow-empty   seal a batch of no record when the file has no data row\n"
	      "      --counts FILE   write the counts as key=value lines to FILE\n"
	      "  -h, --help          this text;  --version  the version\n"
	      "A bad file is refused (exit 65); a bad row becomes a rejected record.\n"
	      "The columns: impass-csv(5). See ingest(1).\n", stdout);
}

static int
header(struct ingest *g, const struct imp_csv_row *row, struct imp_err *e)
{
	const char *what = g->fmt->nattrs ? "a citizenship register" : "an application export";

	g->ncols = row->n;
	return imp_csv_header(row, what, g->fmt->columns, g->fmt->ncolumns, g->col, e);
}

/* B-YYYYMMDD-NN: NN counts the batches ingested that day, in SPOOL/batch.seq. */
static int
next_batch_id(const char *spool, char id[IMP_ID_MAX + 1], struct imp_err *e)
{
	char path[4096], buf[64], today[16];
	unsigned long day = 0, n = 0;
	time_t t = time(NULL);
	struct tm tm;
	ssize_t got;
	int fd, rc = 0;

	localtime_r(&t, &tm);
	strftime(today, sizeof today, "%Y%m%d", &tm);
	snprintf(path, sizeof path, "%s/batch.seq", spool);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot keep the batch counter %s: %s; pass "
				"--batch ID, or --spool DIR / IMPASS_SPOOL", path, strerror(errno));
	if (flock(fd, LOCK_EX) != 0 || (got = pread(fd, buf, sizeof buf - 1, 0)) < 0) {
		close(fd);
		return imp_fail(e, EX_IOERR, "cannot read the batch counter %s", path);
	}
	buf[got] = '\0';
	if (got > 0 && sscanf(buf, "%lu %lu", &day, &n) != 2)
		rc = imp_fail(e, EX_DATAERR, "batch counter %s is damaged; remove it or pass "
			      "--batch ID", path);
	if (rc == 0) {
		n = day == strtoul(today, NULL, 10) ? n + 1 : 1;
		snprintf(id, IMP_ID_MAX + 1, "B-%s-%02lu", today, n);
		got = snprintf(buf, sizeof buf, "%s %lu\n", today, n);
		if (pwrite(fd, buf, (size_t)got, 0) != got || ftruncate(fd, got) != 0 ||
		    fsync(fd) != 0)
			rc = imp_fail(e, EX_IOERR, "cannot update the batch counter %s", path);
	}
	close(fd);
	return rc;
}

static int
start(struct ingest *g, struct imp_err *e)
{
	char id[IMP_ID_MAX + 1];
	int rc;

	if (g->batch_opt != NULL)
		snprintf(id, sizeof id, "%s", g->batch_opt);
	else if ((rc = next_batch_id(g->spool, id, e)) != 0)
		return rc;
	snprintf(g->run.batch, sizeof g->run.batch, "%s", id);
	g->started = 1;
	return imp_writer_begin(&g->out, stdout, id, g->fmt->kind, NULL, e);
}

static const char *
value(const struct ingest *g, const struct imp_csv_row *row, size_t j)
{
	size_t at = g->col[j];

	if (at >= row->kept || row->toolong[at])
		return "";
	return row->field[at];
}

static int
blank(const char *s)
{
	return s[strspn(s, " ")] == '\0';
}

/*
 * ROW-N (N the row's line in its file), or ROW-N-2, ... when that name is
 * taken (a tracking id, or line N of an earlier file of an archive):
 * unique in the batch, and shaped as SPEC's tracking ids.
 */
static int
generated_id(struct ingest *g, unsigned long line)
{
	uint64_t old;
	unsigned k;
	int rc;

	for (k = 1;; k++) {
		imp_buf_reset(&g->id);
		imp_buf_printf(&g->id, k == 1 ? "ROW-%lu" : "ROW-%lu-%u", line, k);
		if ((rc = imp_map_put(g->ids, imp_buf_str(&g->id), g->seq, &old)) != 1)
			return rc;
	}
}

/*
 * The record's id: its tracking_id when that is SPEC-shaped and new in the
 * batch, else a generated name (and g->id_fault says why), so that no id
 * a later stage may build a name from is ever taken from the data as it is.
 */
static int
record_id(struct ingest *g, const struct imp_csv_row *row)
{
	const char *v = value(g, row, 0), *reg;

	g->id_fault = ID_OK;
	if (g->fmt->nattrs != 0) {
		reg = strcmp(v, "PCC") == 0 || strcmp(v, "NC") == 0 || strcmp(v, "RC") == 0 ? v : "X";
		imp_buf_reset(&g->id);
		imp_buf_printf(&g->id, "%s-%06" PRIu64, reg, g->seq);
		return 0;
	}
	if (blank(v))
		g->id_fault = ID_EMPTY;
	else if (!imp_record_id_ok(v, strlen(v)))
		g->id_fault = ID_FORMAT;
	else {
		switch (imp_map_put(g->ids, v, g->seq, &g->id_first)) {
		case 0:
			imp_buf_reset(&g->id);
			imp_buf_puts(&g->id, v);
			return 0;
		case 1:
			g->id_fault = ID_DUPLICATE;
			break;
		default:
			return -1;
		}
	}
	return generated_id(g, row->line);
}

static void
build(struct ingest *g, const struct imp_csv_row *row)
{
	struct imp_buf *b = &g->line;
	const struct imp_format *f = g->fmt;
	size_t j;

	imp_buf_reset(b);
	imp_buf_printf(b, "<record xmlns=\"%s\"", IMP_NS);
	imp_buf_attr(b, "id", imp_buf_str(&g->id));
	imp_buf_printf(b, " status=\"ok\"><%s", f->section);
	for (j = 0; j < f->nattrs; j++)
		if (*value(g, row, j) != '\0')
			imp_buf_attr(b, f->attrs[j], value(g, row, j));
	imp_buf_add(b, ">", 1);
	for (j = f->nattrs; j < f->ncolumns; j++)
		if (*value(g, row, j) != '\0')
			imp_buf_elem(b, f->columns[j], value(g, row, j), strlen(value(g, row, j)));
	imp_buf_printf(b, "</%s></record>", f->section);
}

/* The row's tracking_id as a rejecting step, else the ok step. */
static int
id_step(struct ingest *g, const struct imp_csv_row *row)
{
	struct imp_record *r = g->rec;
	const char *id = imp_buf_str(&g->id);

	switch (g->id_fault) {
	case ID_EMPTY:
		return imp_record_step(r, PROG, IMP_REJECTED, "INGEST_NO_ID", NULL,
			"%s line %lu: tracking_id is empty, so the record is named %s; give the "
			"application its tracking id and submit it again", row->file, row->line, id);
	case ID_FORMAT:
		return imp_record_step(r, PROG, IMP_REJECTED, "TRACKING_ID_FORMAT", NULL,
			"%s line %lu: tracking_id '%s' is not 1 to 24 capital letters, digits and "
			"dashes, so the record is named %s; correct it and submit the row again",
			row->file, row->line, value(g, row, 0), id);
	case ID_DUPLICATE:
		return imp_record_step(r, PROG, IMP_REJECTED, "TRACKING_ID_DUPLICATE", NULL,
			"%s line %lu: tracking_id %s was already used by record %" PRIu64 " of this "
			"batch, so this record is named %s; one application, one tracking id",
			row->file, row->line, value(g, row, 0), g->id_first, id);
	}
	return imp_record_step(r, PROG, IMP_OK_STATUS, "INGEST_OK", NULL, "read from %s line %lu",
			       row->file, row->line);
}

/* The first thing wrong with a row, as a rejecting step; none: the ok step. */
static int
step(struct ingest *g, const struct imp_csv_row *row)
{
	struct imp_record *r = g->rec;
	const char *col;
	size_t i, j;

	if (row->n != g->ncols)
		return imp_record_step(r, PROG, IMP_REJECTED, "INGEST_FIELD_COUNT", NULL,
			"%s line %lu has %zu fields where the header has %zu, so values may be "
			"in the wrong columns; correct the row and submit it again", row->file,
			row->line, row->n, g->ncols);
	for (j = 0; j < g->fmt->ncolumns; j++) {
		i = g->col[j];
		col = g->fmt->columns[j];
		if (row->bad[i])
			return imp_record_step(r, PROG, IMP_REJECTED, "INGEST_CONTROL_CHAR", NULL,
				"%s line %lu, column %s: a control character at character %zu "
				"(shown as U+FFFD); correct the value and submit the row again",
				row->file, row->line, col, row->bad[i]);
		if (row->toolong[i])
			return imp_record_step(r, PROG, IMP_REJECTED, "INGEST_FIELD_TOO_LONG", NULL,
				"%s line %lu, column %s: the value is longer than %d bytes and was "
				"left out; correct it and submit the row again", row->file,
				row->line, col, IMP_FIELD_MAX);
	}
	return id_step(g, row);
}

static int
on_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct ingest *g = arg;
	const char *line;
	size_t len;
	int rc;

	if (row->header)
		return header(g, row, e);
	if (!g->started && (rc = start(g, e)) != 0)
		return rc;
	g->seq++;
	g->run.in++;
	if (record_id(g, row) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	build(g, row);
	if (g->line.oom || g->id.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_record_load(g->rec, g->line.p, g->line.len, e)) != 0 ||
	    (rc = step(g, row)) != 0)
		return rc ? rc : imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_record_line(g->rec, &line, &len);
	imp_run_count(&g->run, g->rec, line, len);
	imp_progress(PROG, &g->run, "read", g->run.in, 0);
	return imp_writer_record(&g->out, line, len, e);
}

static int
run(struct ingest *g, const char *input, const char *trust, const char *signer,
    struct imp_err *e)
{
	int rc;

	if ((rc = imp_keys_open(&g->keys, trust, signer, PROG, e)) != 0)
		return rc;
	if ((g->rec = imp_record_new()) == NULL || (g->ids = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_stdout_buffer();
	rc = imp_csv_read_blank(input, on_row, g, &g->run.blank_rows, e);
	if (rc == 0 && g->run.blank_rows > 0)
		imp_warn(PROG, g->run.batch[0] ? g->run.batch : NULL, "%" PRIu64 " row%s of empty "
			 "cells skipped (a spreadsheet's rows past the data): no record",
			 g->run.blank_rows, g->run.blank_rows == 1 ? "" : "s");
	if (rc == 0 && !g->started && !g->allow_empty) {
		g->run.empty = 1;
		rc = imp_fail(e, EX_DATAERR, "%s has a header and no application%s: the export "
			      "is empty; export the day's applications again (or pass "
			      "--allow-empty to seal a batch of no record)",
			      input && strcmp(input, "-") != 0 ? input : "standard input",
			      g->run.blank_rows > 0 ? ", only rows of empty cells" : "");
	}
	if (rc == 0 && !g->started)
		rc = start(g, e);
	imp_progress(PROG, &g->run, "", 0, 1);
	if (rc == 0)
		rc = imp_writer_seal(&g->out, g->keys.gpg, PROG, g->keys.signer, e);
	if (rc == 0)
		imp_run_sealed(&g->run, &g->out, &g->keys);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'b' },
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "spool", required_argument, NULL, 'S' },
		{ "allow-empty", no_argument, NULL, 'E' },
		{ "counts", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kind = "application", *trust = NULL, *signer = NULL, *counts;
	struct ingest g;
	struct imp_err e = { 0 };
	int c, rc;

	memset(&g, 0, sizeof g);
	while ((c = getopt_long(argc, argv, "k:b:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'b': g.batch_opt = optarg; break;
		case 's': signer = optarg; break;
		case 't': trust = optarg; break;
		case 'S': g.spool = optarg; break;
		case 'E': g.allow_empty = 1; break;
		case 'C': g.run.counts = optarg; break;
		case 'h': help(); return 0;
		case 'V': puts(PROG " " IMP_VERSION); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	g.fmt = imp_format_for(kind);
	if (argc - optind > 1 || g.fmt == NULL || strcmp(kind, "printed") == 0) {
		if (g.fmt == NULL || strcmp(kind, "printed") == 0)
			imp_warn(PROG, NULL, "kind '%s' unknown; it is application or citizenship",
				 kind);
		usage(stderr);
		return EX_USAGE;
	}
	if (g.batch_opt != NULL && !imp_batch_id_ok(g.batch_opt)) {
		imp_warn(PROG, NULL, "batch id '%s' is not 1-64 of [A-Za-z0-9._-] starting with a letter or digit", g.batch_opt);
		return EX_USAGE;
	}
	g.spool = imp_spool_path(g.spool);
	counts = g.run.counts;
	imp_init(&g.run);
	g.run.counts = counts;
	rc = run(&g, optind < argc ? argv[optind] : NULL, trust, signer, &e);
	imp_record_free(g.rec);
	imp_buf_free(&g.line);
	imp_buf_free(&g.id);
	imp_map_free(g.ids);
	imp_writer_free(&g.out);
	imp_keys_close(&g.keys);
	return imp_exit(PROG, g.run.batch, &g.run, rc, &e);
}
