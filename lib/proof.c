/* SPDX-License-Identifier: ISC */
/*
 * A record proof: everything needed to show that one record line belongs
 * to a sealed batch without the rest of it: the batch id and kind, the
 * provenance and seal lines, the record's index and line, and its audit
 * path (RFC 9162 2.1.3), one "key=value" per line:
 *
 *   impass-proof/1
 *   batch=ID
 *   kind=KIND
 *   provenance=<provenance>...</provenance>     (when the stream has one)
 *   seal=<seal ...>BASE64</seal>
 *   index=N                                     (0-based)
 *   record=<record ...>...</record>
 *   path=HEX                                    (0 or more, leaf upwards)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "impass.h"

#define MAGIC "impass-proof/1"
#define BAD(why) imp_fail(e, EX_DATAERR, "not a valid proof: %s", why)

void
imp_proof_write(struct imp_buf *out, const struct imp_batch *b, uint64_t index,
		const char *line, size_t len, const unsigned char (*path)[IMP_HASH_LEN],
		size_t plen)
{
	char hex[2 * IMP_HASH_LEN + 1];
	size_t i;

	imp_buf_printf(out, MAGIC "\nbatch=%s\nkind=%s\n", b->id, b->kind);
	if (b->prov_line != NULL)
		imp_buf_printf(out, "provenance=%.*s\n", (int)b->prov_len, b->prov_line);
	imp_buf_printf(out, "seal=%.*s\nindex=%" PRIu64 "\nrecord=", (int)b->seal_len,
		       b->seal_line, index);
	imp_buf_add(out, line, len);
	imp_buf_add(out, "\n", 1);
	for (i = 0; i < plen; i++) {
		imp_hex(path[i], IMP_HASH_LEN, hex);
		imp_buf_printf(out, "path=%s\n", hex);
	}
}

/* The next line if it starts with key=; its value in *v. */
static int
field(const char **s, const char *end, const char *key, const char **v, size_t *n)
{
	size_t k = strlen(key);
	const char *nl = memchr(*s, '\n', (size_t)(end - *s));

	if (nl == NULL || (size_t)(nl - *s) < k + 1 || memcmp(*s, key, k) != 0 || (*s)[k] != '=')
		return -1;
	*v = *s + k + 1;
	*n = (size_t)(nl - *v);
	*s = nl + 1;
	return 0;
}

/* A proof that went through mail may end its lines in CRLF, its last in nothing. */
static void
unmail(const char *text, size_t n, struct imp_buf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n'))
			imp_buf_add(out, text + i, 1);
	if (out->len == 0 || out->p[out->len - 1] != '\n')
		imp_buf_add(out, "\n", 1);
}

static int
copy(char *dst, size_t size, const char *v, size_t n)
{
	if (n == 0 || n >= size || memchr(v, '\0', n) != NULL)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int
parse_index(const char *v, size_t n, uint64_t *out)
{
	char buf[24];
	char *end;

	if (n > 19 || copy(buf, sizeof buf, v, n) != 0 || strspn(buf, "0123456789") != n)
		return -1;
	*out = strtoull(buf, &end, 10);
	return 0;
}

static int
read_path(const char **s, const char *end, unsigned char (*path)[IMP_HASH_LEN], size_t *plen,
	  struct imp_err *e)
{
	char hex[2 * IMP_HASH_LEN + 1];
	const char *v;
	size_t n;

	*plen = 0;
	while (*s < end) {
		if (*plen == 64 || field(s, end, "path", &v, &n) != 0 ||
		    copy(hex, sizeof hex, v, n) != 0 || imp_unhex(hex, path[*plen], IMP_HASH_LEN) != 0)
			return BAD("a path line is not 64 hex digits, or there are too many");
		(*plen)++;
	}
	return 0;
}

/* Reads the proof; the batch gets its id, kind, provenance and seal. */
static int
read_proof(const char *text, size_t len, struct imp_batch *b, struct imp_buf *record,
	   uint64_t *index, unsigned char (*path)[IMP_HASH_LEN], size_t *plen, struct imp_err *e)
{
	const char *s = text, *end = text + len, *v;
	size_t n;

	if (len < sizeof MAGIC || memcmp(s, MAGIC "\n", sizeof MAGIC) != 0)
		return BAD("it does not start with " MAGIC);
	s += sizeof MAGIC;
	if (field(&s, end, "batch", &v, &n) != 0 || copy(b->id, sizeof b->id, v, n) != 0 ||
	    !imp_batch_id_ok(b->id))
		return BAD("no batch= line with a batch id");
	if (field(&s, end, "kind", &v, &n) != 0 || copy(b->kind, sizeof b->kind, v, n) != 0)
		return BAD("no kind= line");
	if (field(&s, end, "provenance", &v, &n) == 0 && imp_parse_provenance(v, n, b) != 0)
		return BAD("the provenance= line is not a <provenance> element");
	if (field(&s, end, "seal", &v, &n) != 0 || imp_parse_seal(v, n, b) != 0)
		return BAD("no seal= line with a <seal> element");
	if (field(&s, end, "index", &v, &n) != 0 || parse_index(v, n, index) != 0)
		return BAD("no index= line with a number");
	if (field(&s, end, "record", &v, &n) != 0)
		return BAD("no record= line");
	imp_buf_add(record, v, n);
	return read_path(&s, end, path, plen, e);
}

int
imp_proof_check(const char *text, size_t n, const struct imp_keys *k, struct imp_batch *b,
		struct imp_buf *record, uint64_t *index, struct imp_err *e)
{
	unsigned char path[64][IMP_HASH_LEN], leaf[IMP_HASH_LEN], root[IMP_HASH_LEN];
	unsigned char ph[IMP_HASH_LEN];
	const char *id;
	size_t plen = 0, idlen;
	int rc, status;

	struct imp_buf clean = { 0 };

	memset(b, 0, sizeof *b);
	unmail(text, n, &clean);
	rc = clean.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") :
	     read_proof(clean.p, clean.len, b, record, index, path, &plen, e);
	imp_buf_free(&clean);
	if (rc != 0)
		return rc;
	if (record->oom || imp_record_head(record->p, record->len, &id, &idlen, &status) == 0)
		return BAD("the record= line is not a record");
	if (b->prov_line != NULL)
		imp_sha256(b->prov_line, b->prov_len, ph);
	if ((rc = imp_seal_check(k->gpg, &k->trust, b->id, b->kind, &b->seal,
				 b->prov_line ? ph : NULL, b->seal_b64.p, b->seal_b64.len, e)) != 0)
		return rc;
	if (*index >= b->seal.count)
		return imp_fail(e, EX_DATAERR, "not a valid proof: index %" PRIu64 " is outside "
				"batch %s of %" PRIu64 " records", *index, b->id, b->seal.count);
	imp_leaf_hash(record->p, record->len, leaf);
	if (imp_merkle_check_path(leaf, *index, b->seal.count, (const void *)path, plen, root) != 0 ||
	    memcmp(root, b->seal.root, IMP_HASH_LEN) != 0)
		return imp_fail(e, EX_DATAERR, "the record and its path do not lead to the sealed "
				"root: the record is not record %" PRIu64 " of batch %s as sealed",
				*index + 1, b->id);
	return 0;
}
