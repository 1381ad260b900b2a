/* SPDX-License-Identifier: ISC */
/*
 * parked.c: a batch's held or rejected records, one file a kind
 * (SPOOL/held/BATCH.parked, SPOOL/rejected/BATCH.parked; impass-spool(5)):
 * its name, its lines, and reading it back as spool-print journalled it.
 * A file each record cost about 300 µs to create, write and rename: 5 s of
 * a 60,000-record night.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "series.h"

#define SUFFIX ".parked"
#define MAGIC "impass-parked 1 "

/* BATCH.parked, the batch a batch id: 1 with the batch out, else 0. */
int
imp_parked_name(const char *name, char batch[IMP_ID_MAX + 1])
{
	size_t n = strlen(name), s = sizeof SUFFIX - 1;

	if (n <= s || n - s > IMP_ID_MAX || strcmp(name + n - s, SUFFIX) != 0)
		return 0;
	memcpy(batch, name, n - s);
	batch[n - s] = '\0';
	return imp_batch_id_ok(batch);
}

void
imp_parked_file(char out[IMP_ID_MAX + 16], const char *batch, int tmp)
{
	snprintf(out, IMP_ID_MAX + 16, "%s%s" SUFFIX, tmp ? "." : "", batch);
}

void
imp_parked_head(struct imp_buf *b, const char *batch, const char *kind)
{
	imp_buf_printf(b, MAGIC "%s %s\n", batch, kind);
}

void
imp_parked_add(struct imp_buf *b, uint64_t place, const char *body, size_t len)
{
	imp_buf_printf(b, "record %" PRIu64 " %zu\n", place, len);
	imp_buf_add(b, body, len);
}

void
imp_parked_end(struct imp_buf *b, uint64_t n)
{
	imp_buf_printf(b, "end %" PRIu64 "\n", n);
}

/* The value of "key: value" among the first lines of a record's text
 * (up to its blank line) into out, "" when none. */
void
imp_parked_value(const char *p, size_t len, const char *key, struct imp_buf *out)
{
	const char *end = p + len, *nl;
	size_t k = strlen(key);

	imp_buf_reset(out);
	for (; p < end && *p != '\n'; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return;
		if ((size_t)(nl - p) > k + 1 && strncmp(p, key, k) == 0 && p[k] == ':' &&
		    p[k + 1] == ' ') {
			imp_buf_add(out, p + k + 2, (size_t)(nl - p - k - 2));
			return;
		}
	}
}

/* A decimal number of at most 19 digits ending at c: 0, or -1. */
static int
number(const char **p, const char *end, char c, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	while (s < end && *s >= '0' && *s <= '9' && s - *p < 19)
		*v = *v * 10 + (uint64_t)(*s++ - '0');
	if (s == *p || s == end || *s != c)
		return -1;
	*p = s + 1;
	return 0;
}

int
imp_parked_begin(struct imp_parked *pk, const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len), *sp;
	size_t n;

	memset(pk, 0, sizeof *pk);
	pk->p = p;
	pk->len = len;
	if (nl == NULL || len < sizeof MAGIC || memcmp(p, MAGIC, sizeof MAGIC - 1) != 0)
		return -1;
	p += sizeof MAGIC - 1;
	if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL || (n = (size_t)(sp - p)) == 0 ||
	    n > IMP_ID_MAX || (size_t)(nl - sp - 1) >= sizeof pk->kind)
		return -1;
	memcpy(pk->batch, p, n);
	memcpy(pk->kind, sp + 1, (size_t)(nl - sp - 1));
	pk->off = (size_t)(nl + 1 - pk->p);
	return 0;
}

/* The next record: 1 with its place and text, 0 at "end N" closing the
 * file with N records, -1 when the file is not what spool-print writes. */
int
imp_parked_next(struct imp_parked *pk, uint64_t *place, const char **body, size_t *len)
{
	const char *p = pk->p + pk->off, *end = pk->p + pk->len;
	uint64_t n;

	if ((size_t)(end - p) > 4 && memcmp(p, "end ", 4) == 0) {
		p += 4;
		return number(&p, end, '\n', &n) == 0 && p == end && n == pk->n ? 0 : -1;
	}
	if ((size_t)(end - p) < 7 || memcmp(p, "record ", 7) != 0)
		return -1;
	p += 7;
	if (number(&p, end, ' ', place) != 0 || *place <= pk->last ||
	    number(&p, end, '\n', &n) != 0 || n > (uint64_t)(end - p))
		return -1;
	*body = p;
	*len = (size_t)n;
	pk->off = (size_t)(p + n - pk->p);
	pk->last = *place;
	pk->n++;
	return 1;
}

/*
 * The parked file of batch and kind in folder dir (named shown in
 * messages) into out, checked: a regular file of this account, whole,
 * whose SHA-256 is the journal's. 0 when it is; -1 absent; 1 when it is
 * not the file spool-print wrote (why says how); else the error's code.
 */
int
imp_parked_read(int dir, sqlite3 *db, const char *batch, const char *kind, const char *shown,
		struct imp_buf *out, char why[160], struct imp_err *e)
{
	struct imp_spool_parked j;
	struct imp_parked pk;
	unsigned char h[IMP_HASH_LEN];
	char name[IMP_ID_MAX + 16], hex[2 * IMP_HASH_LEN + 1];
	const char *body;
	uint64_t place;
	size_t len;
	int rc, found;

	imp_parked_file(name, batch, 0);
	if ((rc = imp_file_read(dir, name, shown, (size_t)1 << 31, out, e)) != 0) {
		if (rc > 0)
			snprintf(why, 160, "%.150s", e->msg);
		return rc < 0 ? -1 : 1;
	}
	if ((rc = imp_spool_parked_get(db, batch, kind, &j, &found, e)) != 0)
		return rc;
	imp_sha256(out->p, out->len, h);
	imp_hex(h, IMP_HASH_LEN, hex);
	if (!imp_file_is_ours(dir, name))
		snprintf(why, 160, "not a file of this account");
	else if (!found)
		snprintf(why, 160, "spool-print journalled no %s records of batch %s", kind, batch);
	else if (strcmp(hex, j.hash) != 0)
		snprintf(why, 160, "its sha256 is %.16s..., the file written was %.16s...", hex,
			 j.hash);
	else if (imp_parked_begin(&pk, out->p, out->len) != 0 || strcmp(pk.batch, batch) != 0 ||
		 strcmp(pk.kind, kind) != 0)
		snprintf(why, 160, "not a file of parked records");
	else
		why[0] = '\0';
	while (why[0] == '\0' && (rc = imp_parked_next(&pk, &place, &body, &len)) > 0)
		;
	if (why[0] == '\0' && (rc < 0 || pk.n != j.records))
		snprintf(why, 160, "not a file of parked records");
	return why[0] ? 1 : 0;
}
