/* SPDX-License-Identifier: ISC */
/*
 * The stream line parser (lib/stream.c, lib/lines.c, lib/record.c): an
 * input is read as a stream through both passes of the reader. Properties:
 * a stream that scans reads back in pass 2 to the same records and root;
 * every record line it accepts loads as a record; its fields and verdict
 * read without a tree are the tree's; a step spliced into a
 * parsed record keeps the line canonical and well-formed; the provenance a writer makes
 * from the batch parses back with one more entry.
 */
#include <string.h>

#include "impass.h"
#include "fuzz.h"

struct ctx {
	struct imp_record *rec;
	struct imp_record *sax;       /* the same line, its fields read without a tree */
	struct imp_buf val;
	struct imp_buf copy;          /* a spliced line, loaded again */
};

static int
on_line(void *arg, uint64_t index, const char *line, size_t len,
	const unsigned char leaf[IMP_HASH_LEN], struct imp_err *e)
{
	struct ctx *c = arg;
	const char *out, *id;
	size_t outlen, idlen;
	int status;

	(void)index;
	(void)leaf;
	FUZZ_ASSERT(memchr(line, '\n', len) == NULL);
	FUZZ_ASSERT(imp_record_load(c->rec, line, len, e) == 0);
	FUZZ_ASSERT(imp_record_load(c->sax, line, len, e) == 0);
	imp_line_field(line, len, "application", "surname", &c->val);
	imp_line_field(line, len, "certificate", "name", &c->val);
	/* fields read without a tree first, then from the tree: the same */
	{
		static const char *const f[][2] = {
			{ "application", "cnic" }, { "application", "surname" },
			{ "normalised", "cnic" }, { "certificate", "name" }, { "x", "y" },
		};
		static const char *const a[][2] = {
			{ "certificate", "register" }, { "passport", "number" }, { "x", "y" },
		};
		const char *fv[5], *av[3], *t;
		size_t i;

		for (i = 0; i < 5; i++)
			fv[i] = imp_record_field(c->sax, f[i][0], f[i][1]);
		for (i = 0; i < 3; i++)
			av[i] = imp_record_attr(c->sax, a[i][0], a[i][1]);
		if (imp_record_parse(c->rec, e) != 0) {
			FUZZ_ASSERT(imp_record_error(c->sax) != NULL);
			return 0;
		}
		for (i = 0; i < 5; i++) {
			t = imp_record_field(c->rec, f[i][0], f[i][1]);
			FUZZ_ASSERT((t == NULL) == (fv[i] == NULL));
			FUZZ_ASSERT(t == NULL || strcmp(t, fv[i]) == 0);
		}
		for (i = 0; i < 3; i++) {
			t = imp_record_attr(c->rec, a[i][0], a[i][1]);
			FUZZ_ASSERT((t == NULL) == (av[i] == NULL));
			FUZZ_ASSERT(t == NULL || strcmp(t, av[i]) == 0);
		}
	}
	{
		/* the verdict without a tree first (vs, from the table), then the tree's */
		const char *vs[3] = { 0 }, *vt[3] = { 0 };
		size_t i;
		int vr;

		vr = imp_record_verdict(c->sax, &vs[0], &vs[1], &vs[2]);
		FUZZ_ASSERT(imp_record_verdict(c->rec, &vt[0], &vt[1], &vt[2]) == vr);
		for (i = 0; vr == 0 && i < 3; i++) {
			FUZZ_ASSERT((vs[i] == NULL) == (vt[i] == NULL));
			FUZZ_ASSERT(vs[i] == NULL || strcmp(vs[i], vt[i]) == 0);
		}
	}
	if (imp_record_status(c->rec) == IMP_OK_STATUS) {
		FUZZ_ASSERT(imp_record_step(c->rec, "fuzz", IMP_HELD, "FUZZ_HELD", NULL,
					    "held <&> \"here\"") == 0);
		imp_record_line(c->rec, &out, &outlen);
		FUZZ_ASSERT(memchr(out, '\n', outlen) == NULL);
		FUZZ_ASSERT(imp_record_head(out, outlen, &id, &idlen, &status) > 0);
		FUZZ_ASSERT(status == IMP_HELD);
		FUZZ_ASSERT(outlen >= 9 && memcmp(out + outlen - 9, "</record>", 9) == 0);
		/* and still one well-formed record */
		imp_buf_reset(&c->copy);
		imp_buf_add(&c->copy, out, outlen);
		FUZZ_ASSERT(!c->copy.oom);
		FUZZ_ASSERT(imp_record_load(c->rec, c->copy.p, c->copy.len, e) == 0);
		FUZZ_ASSERT(imp_record_parse(c->rec, e) == 0);
	}
	return 0;
}

/* the writer's provenance line parses back, one entry longer */
static void
provenance_round_trip(const struct imp_batch *b)
{
	struct imp_writer w;
	struct imp_batch back;
	struct imp_err e;
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (f == NULL)
		return;
	if (imp_writer_begin(&w, f, b->id, b->kind, b, &e) == 0) {
		memset(&back, 0, sizeof back);
		FUZZ_ASSERT(imp_parse_provenance(w.prov.p, w.prov.len, &back) == 0);
		FUZZ_ASSERT(back.nprov == b->nprov + 1);
		FUZZ_ASSERT(memcmp(&back.prov[b->nprov].root, b->seal.root, IMP_HASH_LEN) == 0);
		FUZZ_ASSERT(back.prov[b->nprov].count == b->seal.count);
		imp_batch_free(&back);
	}
	imp_writer_free(&w);
	fclose(f);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	struct imp_reader *r = NULL;
	struct imp_batch b;
	struct imp_err e;
	char path[64];
	const char *line;
	size_t len;
	uint64_t n = 0;
	int rc;

	if (c.rec == NULL) {
		imp_xml_init();
		imp_crypto_init();
		if ((c.rec = imp_record_new()) == NULL || (c.sax = imp_record_new()) == NULL)
			abort();
	}
	if (fuzz_file(data, size, path) != 0)
		abort();
	memset(&b, 0, sizeof b);
	if (imp_reader_open(&r, path, &e) != 0)
		abort();
	if ((rc = imp_reader_scan(r, &b, on_line, &c, &e)) == 0) {
		FUZZ_ASSERT(b.status[0] + b.status[1] + b.status[2] == b.count);
		FUZZ_ASSERT(imp_batch_id_ok(b.id));
		FUZZ_ASSERT(imp_reader_rewind(r, &e) == 0);
		while ((rc = imp_reader_next(r, &line, &len, &e)) == 1)
			n++;
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(n == b.count);
		FUZZ_ASSERT(imp_reader_finish(r, &b, &e) == 0);
		provenance_round_trip(&b);
	} else {
		FUZZ_ASSERT(e.code != 0 && e.msg[0] != '\0');
	}
	imp_batch_free(&b);
	imp_reader_close(r);
	return 0;
}
