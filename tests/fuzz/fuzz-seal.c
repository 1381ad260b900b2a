/* SPDX-License-Identifier: ISC */
/*
 * The seal and trust parsers (lib/trust.c, lib/stream.c's <seal> and
 * <provenance> readers, lib/merkle.c's base64 and hex, lib/seal.c's
 * statement). The input is a trust file, then a line "--", then seal and
 * provenance lines (without "--" the whole input is read as both).
 * Properties: trust entries are 40 upper-case hex digits with a role and a
 * one-line name; a parsed seal's statement is well formed; a provenance
 * line written from a parsed seal parses back.
 */
#include <string.h>

#include "impass.h"
#include "fuzz.h"

static void
check_trust(const struct imp_trust *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		FUZZ_ASSERT(strlen(t->v[i].fpr) == IMP_FPR_LEN);
		FUZZ_ASSERT(strspn(t->v[i].fpr, "0123456789ABCDEF") == IMP_FPR_LEN);
		FUZZ_ASSERT(t->v[i].roles != 0 && (t->v[i].roles & ~3u) == 0);
		FUZZ_ASSERT(t->v[i].name != NULL && t->v[i].name[0] != '\0');
		FUZZ_ASSERT(strpbrk(t->v[i].name, "\n#") == NULL);
		FUZZ_ASSERT(imp_trust_find(t, t->v[i].fpr) == &t->v[i]);
	}
}

static void
seal_line(const struct imp_trust *t, const char *s, size_t n)
{
	struct imp_batch b, back;
	struct imp_buf st = { 0 }, sig = { 0 };
	struct imp_writer w;
	struct imp_err e;
	char *text = NULL;
	size_t tn = 0;
	FILE *f;

	memset(&b, 0, sizeof b);
	if (imp_parse_seal(s, n, &b) != 0) {
		imp_batch_free(&b);
		return;
	}
	FUZZ_ASSERT(b.seal_line != NULL && b.seal_len == n && b.seal_b64.len > 0);
	FUZZ_ASSERT(strlen(b.seal.signer) == IMP_FPR_LEN);
	imp_b64_decode(b.seal_b64.p, b.seal_b64.len, &sig);
	imp_statement(&st, "B-1", "application", &b.seal, NULL);
	FUZZ_ASSERT(!st.oom && st.len > 0 && st.p[st.len - 1] == '\n');
	(void)imp_signer_allowed(t, b.seal.signer, b.seal.stage, &e);
	(void)imp_trust_name(t, b.seal.signer);
	/* the next stage's provenance names this seal */
	snprintf(b.id, sizeof b.id, "B-1");
	snprintf(b.kind, sizeof b.kind, "application");
	if ((f = open_memstream(&text, &tn)) != NULL) {
		if (imp_writer_begin(&w, f, b.id, b.kind, &b, &e) == 0) {
			memset(&back, 0, sizeof back);
			FUZZ_ASSERT(imp_parse_provenance(w.prov.p, w.prov.len, &back) == 0);
			FUZZ_ASSERT(back.nprov == 1);
			FUZZ_ASSERT(memcmp(back.prov[0].root, b.seal.root, IMP_HASH_LEN) == 0);
			FUZZ_ASSERT(strcmp(back.prov[0].stage, b.seal.stage) == 0);
			imp_batch_free(&back);
		}
		imp_writer_free(&w);
		fclose(f);
		free(text);
	}
	imp_buf_free(&st);
	imp_buf_free(&sig);
	imp_batch_free(&b);
}

static void
provenance_line(const char *s, size_t n)
{
	struct imp_batch b, back;
	struct imp_writer w;
	struct imp_err e;
	char *text = NULL;
	size_t i, tn = 0;
	FILE *f;

	memset(&b, 0, sizeof b);
	if (imp_parse_provenance(s, n, &b) == 0) {
		FUZZ_ASSERT(b.nprov > 0 && b.prov_len == n);
		for (i = 0; i < b.nprov; i++)
			FUZZ_ASSERT(b.prov[i].stage[0] != '\0' &&
				    strlen(b.prov[i].signer) == IMP_FPR_LEN);
		/* the next stage appends the seal it verified, and its own
		 * next stage must read that line back */
		snprintf(b.id, sizeof b.id, "B-1");
		snprintf(b.kind, sizeof b.kind, "application");
		snprintf(b.seal.stage, sizeof b.seal.stage, "validate");
		memset(b.seal.signer, 'A', IMP_FPR_LEN);
		snprintf(b.seal.created, sizeof b.seal.created, "2026-11-27T22:10:04Z");
		b.seal.count = 7;
		if ((f = open_memstream(&text, &tn)) != NULL) {
			if (imp_writer_begin(&w, f, b.id, b.kind, &b, &e) == 0) {
				memset(&back, 0, sizeof back);
				FUZZ_ASSERT(imp_parse_provenance(w.prov.p, w.prov.len, &back) == 0);
				FUZZ_ASSERT(back.nprov == b.nprov + 1);
				FUZZ_ASSERT(back.prov[b.nprov].count == 7);
				imp_batch_free(&back);
			}
			imp_writer_free(&w);
			fclose(f);
			free(text);
		}
	}
	imp_batch_free(&b);
}

/* base64 is strict, so what decodes encodes back to the same text */
static void
codec_line(const char *s, size_t n)
{
	struct imp_buf raw = { 0 }, again = { 0 };
	unsigned char hash[IMP_HASH_LEN];
	char *z = strndup(s, n);

	if (z == NULL)
		abort();
	if (imp_b64_decode(s, n, &raw) == 0 && !raw.oom) {
		imp_b64_encode((const unsigned char *)raw.p, raw.len, &again);
		FUZZ_ASSERT(again.len == n && (n == 0 || memcmp(again.p, s, n) == 0));
	}
	(void)imp_unhex(z, hash, IMP_HASH_LEN);
	imp_buf_free(&raw);
	imp_buf_free(&again);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *lines = s, *nl;
	struct imp_trust t;
	struct imp_err e;
	size_t tlen = size;
	static int init;

	if (!init) {
		imp_xml_init();
		imp_crypto_init();
		init = 1;
	}
	for (nl = s; nl < end; nl++) {
		if ((nl == s || nl[-1] == '\n') && end - nl >= 3 && memcmp(nl, "--\n", 3) == 0) {
			tlen = (size_t)(nl - s);
			lines = nl + 3;
			break;
		}
	}
	memset(&t, 0, sizeof t);
	snprintf(t.path, sizeof t.path, "fuzz-trust");
	memset(&e, 0, sizeof e);
	if (imp_trust_parse(&t, s, tlen, &e) == 0)
		check_trust(&t);
	else
		FUZZ_ASSERT(e.code != 0 && e.msg[0] != '\0');

	for (; lines < end; lines = nl + 1) {
		if ((nl = memchr(lines, '\n', (size_t)(end - lines))) == NULL)
			nl = end;
		if ((size_t)(nl - lines) >= 5 && memcmp(lines, "<seal", 5) == 0)
			seal_line(&t, lines, (size_t)(nl - lines));
		else if ((size_t)(nl - lines) >= 12 && memcmp(lines, "<provenance>", 12) == 0)
			provenance_line(lines, (size_t)(nl - lines));
		else
			codec_line(lines, (size_t)(nl - lines));
	}
	imp_trust_free(&t);
	return 0;
}
