/* SPDX-License-Identifier: ISC */
/* inspect: a human view of a sealed stream, one record, a CSV export, proofs. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "series.h"

#define PROG "inspect"
#define PROOF_MAX (4 * 1024 * 1024)

enum mode { SUMMARY, RECORD, CSV, COUNTS, PROVE, CHECK_PROOF };

struct inspect {
	enum mode mode;
	const char *id;
	struct imp_keys keys;
	struct imp_reader *in;
	struct imp_batch b;
	struct imp_record *rec;
	unsigned char (*leaves)[IMP_HASH_LEN];
	uint64_t index;               /* of the first record named id */
	int found;
	struct imp_tally codes;
	struct imp_err tally_err;     /* --counts: the first record that could not be counted */
};

static void
usage(FILE *f)
{
	fputs("usage: inspect [-t FILE] [FILE|-]\n"
	      "       inspect [-t FILE] --record ID [FILE|-]\n"
	      "       inspect [-t FILE] --csv [FILE|-]\n"
	      "       inspect [-t FILE] --counts [FILE|-]\n"
	      "       inspect [-t FILE] --prove ID [FILE|-]\n"
	      "       inspect [-t FILE] --check-proof [FILE|-]\n"
	      "       inspect --spooled BATCH [--spool DIR]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Verify a sealed stream and show it; export it; prove one record.\n"
	      "  -t, --trust FILE    trust file (default $IMPASS_TRUST, /etc/impass/trust)\n"
	      "  -r, --record ID     print one record with its trail\n"
	      "  -c, --csv           export tracking_id,status,code,reason,fields... as CSV\n"
	      "      --counts        batch, kind, stage and counts as key=value lines\n"
	      "  -p, --prove ID      print the record's Merkle audit path with the seal\n"
	      "      --check-proof   check such a proof\n"
	      "      --spooled BATCH spool-print's journal of the batch as key=value lines\n"
	      "      --spool DIR     the spool with state.db (default $IMPASS_SPOOL)\n"
	      "  -h, --help          this text;  --version  the version\n"
	      "Without an option: batch, counts per status, seal verdict, provenance, codes.\n"
	      "See inspect(1).\n", stdout);
}

static int
id_is(const char *line, size_t len, const char *id)
{
	const char *p;
	size_t n;
	int status;
	char buf[IMP_ID_MAX * 6 + 1];

	if (imp_record_head(line, len, &p, &n, &status) == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	imp_unescape(buf);
	return strcmp(buf, id) == 0;
}

static int tally(struct inspect *s, uint64_t i, struct imp_err *e);

static int
on_line(void *arg, uint64_t i, const char *line, size_t len,
	const unsigned char leaf[IMP_HASH_LEN], struct imp_err *e)
{
	struct inspect *s = arg;
	void *p;

	/* --counts counts as it verifies, so the stream is read once; what
	 * went wrong is told only once the seal is known good */
	if (s->mode == COUNTS) {
		if (s->tally_err.code == 0 &&
		    imp_record_load(s->rec, line, len, &s->tally_err) == 0)
			tally(s, i, &s->tally_err);
		return 0;
	}
	if (s->mode != PROVE)
		return 0;
	if ((i & (i - 1)) == 0) {             /* grow at powers of two */
		if ((p = realloc(s->leaves, (i ? 2 * i : 1) * IMP_HASH_LEN)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		s->leaves = p;
	}
	memcpy(s->leaves[i], leaf, IMP_HASH_LEN);
	if (!s->found && id_is(line, len, s->id)) {
		s->found = 1;
		s->index = i;
	}
	return 0;
}

/* Pass 2 over the records: fn is called for each one. */
static int
each_record(struct inspect *s, int (*fn)(struct inspect *, uint64_t, struct imp_err *),
	    struct imp_err *e)
{
	const char *line;
	size_t len;
	uint64_t i = 0;
	int rc;

	if ((rc = imp_reader_rewind(s->in, e)) != 0)
		return rc;
	while ((rc = imp_reader_next(s->in, &line, &len, e)) > 0) {
		if ((rc = imp_record_load(s->rec, line, len, e)) != 0 ||
		    (rc = fn(s, i++, e)) != 0)
			return rc;
	}
	return rc < 0 ? e->code : imp_reader_finish(s->in, &s->b, e);
}

static int
tally(struct inspect *s, uint64_t i, struct imp_err *e)
{
	(void)i;
	return imp_tally_record(&s->codes, s->rec, e);
}

/* listed: the seal is not valid, so the name is only what the trust file says */
static void
print_sealed(const struct imp_keys *k, const struct imp_sealed *x, int listed)
{
	listed = listed && imp_trust_find(&k->trust, x->signer) != NULL;
	printf("%s by %s (%s%s), %" PRIu64 " records, %s\n", x->stage, x->signer,
	       listed ? "listed as " : "", imp_trust_name(&k->trust, x->signer), x->count,
	       x->created);
}

static int
summary(struct inspect *s, const struct imp_err *verdict, struct imp_err *e)
{
	const struct imp_batch *b = &s->b;
	char hex[2 * IMP_HASH_LEN + 1];
	size_t i;
	int rc;

	printf("batch       %s\nkind        %s\n", b->id, b->kind);
	printf("records     %" PRIu64 " (ok %" PRIu64 ", held %" PRIu64 ", rejected %" PRIu64 ")\n",
	       b->count, b->status[IMP_OK_STATUS], b->status[IMP_HELD], b->status[IMP_REJECTED]);
	if (verdict->code == 0)
		printf("seal        good: ");
	else
		printf("seal        NOT VALID (%s)\n            claims: ", verdict->msg);
	print_sealed(&s->keys, &b->seal, verdict->code != 0);
	imp_hex(b->seal.root, IMP_HASH_LEN, hex);
	printf("root        sha256:%s\n", hex);
	if (memcmp(b->seal.root, b->root, IMP_HASH_LEN) != 0) {
		imp_hex(b->root, IMP_HASH_LEN, hex);
		printf("            but the records hash to sha256:%s\n", hex);
	}
	for (i = 0; i < b->nprov; i++) {
		printf(i == 0 ? "provenance  " : "            ");
		print_sealed(&s->keys, &b->prov[i], verdict->code != 0);
	}
	if ((rc = each_record(s, tally, e)) != 0)
		return rc;
	for (i = 0; i < s->codes.n; i++)
		printf("%s%-10s  %-28s %" PRIu64 "\n", i == 0 ? "codes       " : "            ",
		       imp_status_name(s->codes.codes[i].status), s->codes.codes[i].code,
		       s->codes.codes[i].n);
	return 0;
}

/* The counts of a verified stream as key=value lines, for scripts. */
static int
counts_out(struct inspect *s, struct imp_err *e)
{
	const struct imp_batch *b = &s->b;
	struct imp_buf out = { 0 };
	int rc;

	if (s->tally_err.code != 0) {
		*e = s->tally_err;
		return e->code;
	}
	imp_stream_counts(&out, "", b->id, b->kind, &b->seal, b->count, b->status,
			  imp_trust_name(&s->keys.trust, b->seal.signer), &s->codes);
	rc = out.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
	if (rc == 0)
		fwrite(out.p, 1, out.len, stdout);
	imp_buf_free(&out);
	return rc;
}

static void
show(xmlNodePtr n, int depth)
{
	xmlAttrPtr a;
	xmlNodePtr c;
	int leaf;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		leaf = c->children == NULL || (c->children->type == XML_TEXT_NODE &&
					       c->children->next == NULL);
		printf("%*s%-*s", depth * 2, "", c->properties || !leaf ? 0 : 20 - depth * 2,
		       (const char *)c->name);
		for (a = c->properties; a != NULL; a = a->next)
			printf(" %s=%s", (const char *)a->name, a->children ?
			       (const char *)a->children->content : "");
		if (leaf && c->children != NULL)
			printf("%s%s", c->properties ? ": " : " ", (const char *)c->children->content);
		putchar('\n');
		if (!leaf)
			show(c, depth + 1);
	}
}

static int
show_record(struct inspect *s, uint64_t i, struct imp_err *e)
{
	xmlNodePtr root;

	if (strcmp(imp_record_id(s->rec), s->id) != 0)
		return 0;
	if ((root = imp_record_root(s->rec)) == NULL) {
		*e = *imp_record_error(s->rec);
		return e->code;
	}
	if (s->found++)
		putchar('\n');
	printf("record      %s (%" PRIu64 " of %" PRIu64 " in batch %s)\nstatus      %s\n",
	       imp_record_id(s->rec), i + 1, s->b.count, s->b.id,
	       imp_status_name(imp_record_status(s->rec)));
	show(root, 0);
	return 0;
}

static void
csv_header(const struct imp_format *f)
{
	struct imp_buf b = { 0 };
	size_t j;

	imp_buf_puts(&b, f->nattrs ? "id,status,code,reason" : "tracking_id,status,code,reason");
	for (j = f->nattrs ? 0 : 1; j < f->ncolumns; j++)
		imp_buf_printf(&b, ",%s", f->columns[j]);
	puts(imp_buf_str(&b));
	imp_buf_free(&b);
}

static int
csv_row(struct inspect *s, uint64_t i, struct imp_err *e)
{
	const struct imp_format *f = imp_format_for(s->b.kind);
	const char *stage, *code = "", *text = "", *v;
	struct imp_buf b = { 0 };
	size_t j;

	(void)i;
	if (imp_record_status(s->rec) != IMP_OK_STATUS)
		imp_record_verdict(s->rec, &stage, &code, &text);
	imp_csv_cell(&b, imp_record_id(s->rec), 1);
	imp_buf_printf(&b, ",%s,", imp_status_name(imp_record_status(s->rec)));
	imp_csv_cell(&b, code ? code : "", 1);
	imp_buf_add(&b, ",", 1);
	imp_csv_cell(&b, text ? text : "", 1);
	for (j = f->nattrs ? 0 : 1; j < f->ncolumns; j++) {
		v = j < f->nattrs ? imp_record_attr(s->rec, f->section, f->attrs[j]) :
				    imp_record_field(s->rec, f->section, f->columns[j]);
		imp_buf_add(&b, ",", 1);
		imp_csv_cell(&b, v ? v : "", 1);
	}
	if (imp_record_error(s->rec) != NULL) {
		imp_buf_free(&b);
		*e = *imp_record_error(s->rec);
		return e->code;
	}
	puts(imp_buf_str(&b));
	imp_buf_free(&b);
	return 0;
}

static int
prove(struct inspect *s, struct imp_err *e)
{
	unsigned char path[64][IMP_HASH_LEN];
	struct imp_buf out = { 0 };
	const char *line;
	size_t len, plen;
	uint64_t i = 0;
	int rc;

	if (!s->found)
		return imp_fail(e, EX_NOINPUT, "batch %s holds no record %s", s->b.id, s->id);
	plen = imp_merkle_path((const void *)s->leaves, s->b.count, s->index, path);
	if ((rc = imp_reader_rewind(s->in, e)) != 0)
		return rc;
	while ((rc = imp_reader_next(s->in, &line, &len, e)) > 0 && i++ < s->index)
		;
	if (rc <= 0)
		return rc < 0 ? e->code : imp_fail(e, EX_DATAERR, "the stream changed while read");
	imp_proof_write(&out, &s->b, s->index, line, len, (const void *)path, plen);
	fwrite(out.p, 1, out.len, stdout);
	imp_buf_free(&out);
	return 0;
}

static int
check_proof(struct inspect *s, const char *path, struct imp_err *e)
{
	struct imp_buf text = { 0 }, record = { 0 };
	FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "r") : stdin;
	char buf[65536];
	size_t n;
	int rc;

	if (f == NULL)
		return imp_fail(e, EX_NOINPUT, "cannot open %s", path);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0 && text.len <= PROOF_MAX)
		imp_buf_add(&text, buf, n);
	rc = ferror(f) ? imp_fail(e, EX_IOERR, "cannot read the proof") :
	     text.len > PROOF_MAX ? imp_fail(e, EX_DATAERR, "a proof is at most 4 MiB") : 0;
	if (f != stdin)
		fclose(f);
	if (rc == 0)
		rc = imp_proof_check(text.p ? text.p : "", text.len, &s->keys, &s->b, &record,
				     &s->index, e);
	if (rc == 0 && (rc = imp_record_load(s->rec, record.p, record.len, e)) == 0) {
		printf("proof good: record %s (%s) is record %" PRIu64 " of %" PRIu64 " in batch %s, "
		       "sealed by stage %s, signer %s (%s), %s\n", imp_record_id(s->rec),
		       imp_status_name(imp_record_status(s->rec)),
		       s->index + 1, s->b.seal.count, s->b.id, s->b.seal.stage, s->b.seal.signer,
		       imp_trust_name(&s->keys.trust, s->b.seal.signer), s->b.seal.created);
	}
	imp_buf_free(&text);
	imp_buf_free(&record);
	return rc;
}

static int
run_mode(struct inspect *s, const char *input, struct imp_err *e)
{
	struct imp_err verdict = { 0 };
	int rc;

	if ((s->rec = imp_record_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (s->mode == CHECK_PROOF)
		return check_proof(s, input, e);
	if ((rc = imp_reader_open(&s->in, input, e)) != 0 ||
	    (rc = imp_reader_scan(s->in, &s->b, on_line, s, e)) != 0)
		return rc;
	imp_batch_verify(&s->b, s->keys.gpg, &s->keys.trust, &verdict);
	if (s->mode == SUMMARY) {
		rc = summary(s, &verdict, e);
		return rc ? rc : verdict.code ? (*e = verdict, e->code) : 0;
	}
	if (verdict.code != 0) {
		*e = verdict;
		return e->code;
	}
	if (s->mode == PROVE)
		return prove(s, e);
	if (s->mode == COUNTS)
		return counts_out(s, e);
	if (s->mode == CSV) {
		csv_header(imp_format_for(s->b.kind));
		return each_record(s, csv_row, e);
	}
	if ((rc = each_record(s, show_record, e)) == 0 && !s->found)
		rc = imp_fail(e, EX_NOINPUT, "batch %s holds no record %s", s->b.id, s->id);
	return rc;
}

/* --spooled: spool-print's journal of a batch, from the state database. */
static int
spooled(const char *batch, const char *spool, struct imp_err *e)
{
	struct imp_buf out = { 0 };
	sqlite3 *db = NULL;
	char path[4200];
	int rc;

	snprintf(path, sizeof path, "%s/state.db", spool);
	if (access(path, F_OK) != 0)
		return imp_fail(e, EX_NOINPUT, "%s: no state database: nothing was spooled in %s "
				"(--spool DIR, IMPASS_SPOOL)", path, spool);
	if ((rc = imp_state_open(path, 30000, &db, e)) == 0 &&
	    (rc = imp_spool_counts(db, batch, &out, e)) == 1)
		rc = imp_fail(e, EX_NOINPUT, "batch %s was never spooled in %s: spool-print "
			      "journals a batch when it has spooled it", batch, spool);
	if (rc == 0)
		fwrite(out.p, 1, out.len, stdout);
	imp_buf_free(&out);
	imp_state_close(db);
	return rc;
}

/* The summary line counts the records read: the batch, or a proof's one. */
static void
counts(const struct inspect *s, struct imp_run *run)
{
	int i;

	if (s->mode == CHECK_PROOF) {
		run->in = s->rec != NULL && s->b.seal.count > 0;
		if (run->in)
			run->out[imp_record_status(s->rec)] = 1;
		return;
	}
	run->in = s->b.count;
	for (i = 0; i < IMP_NSTATUS; i++)
		run->out[i] = s->b.status[i];
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trust", required_argument, NULL, 't' },
		{ "record", required_argument, NULL, 'r' },
		{ "csv", no_argument, NULL, 'c' },
		{ "counts", no_argument, NULL, 'C' },
		{ "prove", required_argument, NULL, 'p' },
		{ "check-proof", no_argument, NULL, 'P' },
		{ "spooled", required_argument, NULL, 'B' },
		{ "spool", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct inspect s;
	struct imp_err e = { 0 };
	struct imp_run run;
	char batch[IMP_ID_MAX + 1];
	const char *trust = NULL, *spool = NULL, *spooled_batch = NULL;
	int c, rc, modes = 0;

	memset(&s, 0, sizeof s);
	while ((c = getopt_long(argc, argv, "t:r:cp:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': trust = optarg; break;
		case 'r': s.mode = RECORD, s.id = optarg, modes++; break;
		case 'c': s.mode = CSV, modes++; break;
		case 'C': s.mode = COUNTS, modes++; break;
		case 'p': s.mode = PROVE, s.id = optarg, modes++; break;
		case 'P': s.mode = CHECK_PROOF, modes++; break;
		case 'B': spooled_batch = optarg, modes++; break;
		case 'S': spool = optarg; break;
		case 'h': help(); return 0;
		case 'V': puts(PROG " " IMP_VERSION); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (argc - optind > 1 || modes > 1 || (spool && !spooled_batch) ||
	    (spooled_batch && (trust || optind < argc))) {
		usage(stderr);
		return EX_USAGE;
	}
	if (spooled_batch != NULL) {
		rc = spooled(spooled_batch, imp_spool_path(spool), &e);
		return imp_exit(PROG, spooled_batch, NULL, rc, &e);
	}
	imp_init(&run);
	rc = imp_keys_open(&s.keys, trust, NULL, NULL, &e);
	if (rc == 0)
		rc = run_mode(&s, optind < argc ? argv[optind] : NULL, &e);
	snprintf(batch, sizeof batch, "%s", s.b.id);
	snprintf(run.batch, sizeof run.batch, "%s", s.b.id);
	counts(&s, &run);
	imp_record_free(s.rec);
	imp_reader_close(s.in);
	imp_batch_free(&s.b);
	free(s.leaves);
	imp_tally_free(&s.codes);
	imp_keys_close(&s.keys);
	return imp_exit(PROG, batch, &run, rc, &e);
}
