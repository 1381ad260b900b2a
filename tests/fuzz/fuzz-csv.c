/* SPDX-License-Identifier: ISC */
/*
 * The CSV row mapper: lib/csv.c reading an input as a CSV file, and
 * ingest's own mapping of rows to record lines (bin/ingest.c is compiled
 * into the harness, its main renamed, so that the code fuzzed is the code
 * shipped). The first byte of the input picks the format: odd for a
 * citizenship register, even for an application export. Properties:
 * every record line ingest makes is one canonical line (no CR or LF),
 * parses as XML, and keeps the status the step gave it; its id is
 * SPEC-shaped (1-24 of A-Z, 0-9, -) and no other record of the file has it.
 */
#include "fuzz.h"

#define main ingest_main
#include "../../bin/ingest.c"
#undef main

static struct imp_buf copy;
static struct imp_map *seen;         /* the record ids of this input */

static int
check_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct ingest *g = arg;
	const char *line, *id;
	size_t len, idlen, i;
	uint64_t first;
	int rc, status;

	FUZZ_ASSERT(row->kept <= row->n);
	for (i = 0; i < row->kept; i++) {
		FUZZ_ASSERT(row->field[i] != NULL && strlen(row->field[i]) == row->len[i]);
		FUZZ_ASSERT(strpbrk(row->field[i], "\r\n\t") == NULL);
		FUZZ_ASSERT(row->len[i] <= IMP_FIELD_MAX || row->toolong[i]);
	}
	if ((rc = on_row(g, row, e)) != 0 || row->header)
		return rc;
	imp_record_line(g->rec, &line, &len);
	FUZZ_ASSERT(memchr(line, '\n', len) == NULL && memchr(line, '\r', len) == NULL);
	FUZZ_ASSERT(imp_record_head(line, len, &id, &idlen, &status) > 0);
	FUZZ_ASSERT(status == imp_record_status(g->rec));
	FUZZ_ASSERT(imp_record_id_ok(id, idlen));
	imp_buf_reset(&copy);
	imp_buf_add(&copy, id, idlen);
	FUZZ_ASSERT(!copy.oom && imp_map_put(seen, imp_buf_str(&copy), 1, &first) == 0);
	imp_buf_reset(&copy);           /* loading clears the record's own line */
	imp_buf_add(&copy, line, len);
	FUZZ_ASSERT(!copy.oom);
	FUZZ_ASSERT(imp_record_load(g->rec, copy.p, copy.len, e) == 0);
	FUZZ_ASSERT(imp_record_parse(g->rec, e) == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ingest g;
	static struct imp_record *rec;
	static struct imp_buf line, id;
	struct imp_err e;
	char path[64];

	if (rec == NULL) {
		imp_xml_init();
		imp_crypto_init();
		if ((rec = imp_record_new()) == NULL || freopen("/dev/null", "w", stdout) == NULL)
			abort();
	}
	if (size == 0)
		return 0;
	memset(&g, 0, sizeof g);
	g.fmt = imp_format_for(data[0] & 1 ? "citizenship" : "application");
	g.batch_opt = "B-FUZZ-01";
	g.rec = rec;
	g.line = line;
	g.id = id;
	if ((g.ids = imp_map_new()) == NULL || (seen = imp_map_new()) == NULL)
		abort();
	if (fuzz_file(data + 1, size - 1, path) != 0)
		abort();
	memset(&e, 0, sizeof e);
	if (imp_csv_read(path, check_row, &g, &e) != 0)
		FUZZ_ASSERT(e.code != 0 && e.msg[0] != '\0');
	line = g.line;               /* the buffers are reused */
	id = g.id;
	imp_map_free(g.ids);
	imp_map_free(seen);
	if (g.started)
		imp_writer_free(&g.out);
	return 0;
}
