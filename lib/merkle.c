/* SPDX-License-Identifier: ISC */
/* RFC 6962 / RFC 9162 section 2.1 Merkle tree hashes, hex and base64. */
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "impass.h"

int
imp_crypto_init(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return 0;
	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		return -1;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

static void
hash3(const void *a, size_t an, const void *b, size_t bn, const void *c, size_t cn,
      unsigned char out[IMP_HASH_LEN])
{
	gcry_buffer_t iov[3];

	memset(iov, 0, sizeof iov);
	iov[0].data = (void *)a;
	iov[0].len = an;
	iov[1].data = (void *)b;
	iov[1].len = bn;
	iov[2].data = (void *)c;
	iov[2].len = cn;
	gcry_md_hash_buffers(GCRY_MD_SHA256, 0, out, iov, 3);
}

void
imp_sha256(const void *p, size_t n, unsigned char out[IMP_HASH_LEN])
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, p, n);
}

struct imp_sha256_ctx {
	gcry_md_hd_t h;
};

struct imp_sha256_ctx *
imp_sha256_begin(void)
{
	struct imp_sha256_ctx *c = malloc(sizeof *c);

	if (c != NULL && gcry_md_open(&c->h, GCRY_MD_SHA256, 0) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

void
imp_sha256_add(struct imp_sha256_ctx *c, const void *p, size_t n)
{
	gcry_md_write(c->h, p, n);
}

void
imp_sha256_end(struct imp_sha256_ctx *c, unsigned char out[IMP_HASH_LEN])
{
	if (c == NULL)
		return;
	if (out != NULL)
		memcpy(out, gcry_md_read(c->h, GCRY_MD_SHA256), IMP_HASH_LEN);
	gcry_md_close(c->h);
	free(c);
}

void
imp_leaf_hash(const void *p, size_t n, unsigned char out[IMP_HASH_LEN])
{
	hash3("\0", 1, p, n, "", 0, out);
}

void
imp_node_hash(const unsigned char l[IMP_HASH_LEN], const unsigned char r[IMP_HASH_LEN],
	      unsigned char out[IMP_HASH_LEN])
{
	hash3("\1", 1, l, IMP_HASH_LEN, r, IMP_HASH_LEN, out);
}

void
imp_merkle_init(struct imp_merkle *m)
{
	memset(m, 0, sizeof *m);
}

/*
 * The stack holds the roots of the complete subtrees, largest first: one
 * per set bit of count. Adding a leaf merges equal-sized neighbours.
 */
void
imp_merkle_add(struct imp_merkle *m, const unsigned char leaf[IMP_HASH_LEN])
{
	unsigned char h[IMP_HASH_LEN];
	uint64_t c;

	memcpy(h, leaf, IMP_HASH_LEN);
	for (c = m->count; c & 1; c >>= 1)
		imp_node_hash(m->stack[--m->top], h, h);
	memcpy(m->stack[m->top++], h, IMP_HASH_LEN);
	m->count++;
}

void
imp_merkle_root(const struct imp_merkle *m, unsigned char out[IMP_HASH_LEN])
{
	unsigned char h[IMP_HASH_LEN];
	int i;

	if (m->top == 0) {
		imp_sha256("", 0, out);
		return;
	}
	memcpy(h, m->stack[m->top - 1], IMP_HASH_LEN);
	for (i = m->top - 2; i >= 0; i--)
		imp_node_hash(m->stack[i], h, h);
	memcpy(out, h, IMP_HASH_LEN);
}

static uint64_t
split(uint64_t n)                     /* largest power of two below n */
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static void
subtree(const unsigned char (*leaves)[IMP_HASH_LEN], uint64_t n, unsigned char out[IMP_HASH_LEN])
{
	struct imp_merkle m;
	uint64_t i;

	imp_merkle_init(&m);
	for (i = 0; i < n; i++)
		imp_merkle_add(&m, leaves[i]);
	imp_merkle_root(&m, out);
}

/* RFC 6962 2.1.1 PATH(m, D[n]), bottom-up; returns its length. */
size_t
imp_merkle_path(const unsigned char (*leaves)[IMP_HASH_LEN], uint64_t n, uint64_t m,
		unsigned char (*path)[IMP_HASH_LEN])
{
	uint64_t k;
	size_t len;

	if (n <= 1 || m >= n)
		return 0;
	k = split(n);
	if (m < k) {
		len = imp_merkle_path(leaves, k, m, path);
		subtree(leaves + k, n - k, path[len]);
	} else {
		len = imp_merkle_path(leaves + k, n - k, m - k, path);
		subtree(leaves, k, path[len]);
	}
	return len + 1;
}

/* RFC 9162 2.1.3.2: the root the path leads to; -1 if it has the wrong length. */
int
imp_merkle_check_path(const unsigned char leaf[IMP_HASH_LEN], uint64_t m, uint64_t n,
		      const unsigned char (*path)[IMP_HASH_LEN], size_t len,
		      unsigned char root[IMP_HASH_LEN])
{
	uint64_t fn = m, sn = n - 1;
	unsigned char r[IMP_HASH_LEN];
	size_t i;

	if (m >= n)
		return -1;
	memcpy(r, leaf, IMP_HASH_LEN);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			imp_node_hash(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			imp_node_hash(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return -1;
	memcpy(root, r, IMP_HASH_LEN);
	return 0;
}

void
imp_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
imp_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = nibble(s[2 * i])) < 0 || (lo = nibble(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
imp_b64_encode(const unsigned char *p, size_t n, struct imp_buf *out)
{
	char q[4];
	uint32_t v;
	size_t i;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		imp_buf_add(out, q, 4);
	}
}

/* Strict: canonical padding, no whitespace, no other characters. */
int
imp_b64_decode(const char *s, size_t n, struct imp_buf *out)
{
	unsigned char c[3];
	uint32_t v;
	size_t i, j, pad;
	const char *d;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		v = 0;
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (pad || s[i + j] == '\0' || (d = strchr(b64, s[i + j])) == NULL)
				return -1;
			v = v << 6 | (uint32_t)(d - b64);
		}
		c[0] = (unsigned char)(v >> 16);
		c[1] = (unsigned char)(v >> 8);
		c[2] = (unsigned char)v;
		if ((pad == 1 && c[2] != 0) || (pad == 2 && c[1] != 0))
			return -1;
		imp_buf_add(out, c, 3 - pad);
	}
	return 0;
}
