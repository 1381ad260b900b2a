/* SPDX-License-Identifier: ISC */
/*
 * e-Passport chip data: the Logical Data Structure of ICAO 9303-10 (EF.COM,
 * DG1, DG2 as BER-TLV), the LDS Security Object in a CMS SignedData made
 * by the Document Signer (9303-10 4.6.2, 9303-12), and the checks of both.
 * OpenSSL's libcrypto does the certificates and CMS; the TLVs are ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "impass.h"

#define PEM_MAX (64 * 1024)

/* id-icao-mrtd-security-ldsSecurityObject (9303-10) */
static const char lso_oid[] = "2.23.136.1.1.1";
/* AlgorithmIdentifier { id-sha256 } without parameters (RFC 5754) */
static const unsigned char sha256_alg[] = {
	0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
};

struct imp_lds_signer {
	X509 *cert, *csca;
	EVP_PKEY *key;
	EVP_MD *md;
	char name[512];
	char until[11];               /* the certificate's last day, YYYY-MM-DD */
};

/* ---- BER-TLV ---------------------------------------------------------------- */

static const unsigned char dg_tags[IMP_LDS_MAXDG + 1] = {
	0, 0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
	0x6e, 0x6f, 0x70,
};

unsigned
imp_lds_dg_tag(int dg)
{
	return dg >= 1 && dg <= IMP_LDS_MAXDG ? dg_tags[dg] : 0;
}

int
imp_lds_tag_dg(unsigned tag)
{
	int dg;

	for (dg = 1; dg <= IMP_LDS_MAXDG; dg++)
		if (dg_tags[dg] == tag)
			return dg;
	return 0;
}

static void
put_tag(struct imp_buf *b, unsigned tag)
{
	unsigned char t[3];
	size_t n = 0;

	if (tag > 0xffff)
		t[n++] = (unsigned char)(tag >> 16);
	if (tag > 0xff)
		t[n++] = (unsigned char)(tag >> 8);
	t[n++] = (unsigned char)tag;
	imp_buf_add(b, t, n);
}

static void
put_len(struct imp_buf *b, size_t len)
{
	unsigned char l[5];
	size_t n = 0, k;

	if (len < 0x80) {
		l[n++] = (unsigned char)len;
	} else {
		k = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
		l[n++] = (unsigned char)(0x80 | k);
		while (k-- > 0)
			l[n++] = (unsigned char)(len >> (8 * k));
	}
	imp_buf_add(b, l, n);
}

static void
put_tlv(struct imp_buf *b, unsigned tag, const void *v, size_t n)
{
	put_tag(b, tag);
	put_len(b, n);
	imp_buf_add(b, v, n);
}

/* One TLV at p (definite length only, tags up to three bytes): its tag,
 * the size of its tag and length, the length of its value. -1 when it
 * does not fit in n bytes. */
int
imp_tlv_read(const unsigned char *p, size_t n, unsigned *tag, size_t *hdr, size_t *len)
{
	size_t i = 0, k, l = 0;

	if (n < 2)
		return -1;
	*tag = p[i++];
	if ((*tag & 0x1f) == 0x1f) {
		do {
			if (i == n || i == 3)
				return -1;
			*tag = *tag << 8 | p[i];
		} while (p[i++] & 0x80);
	}
	if (i == n)
		return -1;
	if (p[i] < 0x80) {
		l = p[i++];
	} else {
		k = p[i++] & 0x7f;
		if (k == 0 || k > 4 || n - i < k)
			return -1;
		while (k-- > 0)
			l = l << 8 | p[i++];
	}
	if (l > n - i)
		return -1;
	*hdr = i;
	*len = l;
	return 0;
}

/* The first child of tag inside the value v[0..n), or NULL. */
static const unsigned char *
tlv_find(const unsigned char *v, size_t n, unsigned want, size_t *len)
{
	unsigned tag;
	size_t hdr, l;

	while (n > 0 && imp_tlv_read(v, n, &tag, &hdr, &l) == 0) {
		if (tag == want) {
			*len = l;
			return v + hdr;
		}
		v += hdr + l;
		n -= hdr + l;
	}
	return NULL;
}

int
imp_lds_split(const unsigned char *p, size_t n, struct imp_lds_ef *ef, size_t max,
	      size_t *count, struct imp_buf *why)
{
	size_t off = 0, hdr, len;
	unsigned tag;

	*count = 0;
	while (off < n) {
		if (imp_tlv_read(p + off, n - off, &tag, &hdr, &len) != 0) {
			imp_buf_printf(why, "byte %zu: not a BER-TLV that fits in the %zu bytes "
				       "left", off, n - off);
			return -1;
		}
		if (*count == max) {
			imp_buf_printf(why, "more than %zu elementary files", max);
			return -1;
		}
		ef[*count].tag = tag;
		ef[*count].p = p + off;
		ef[*count].len = hdr + len;
		ef[*count].value = p + off + hdr;
		ef[*count].vlen = len;
		(*count)++;
		off += hdr + len;
	}
	return 0;
}

/* ---- the data groups ----------------------------------------------------------- */

void
imp_lds_dg1(struct imp_buf *out, const char *l1, const char *l2)
{
	struct imp_buf mrz = { 0 }, v = { 0 };

	imp_buf_add(&mrz, l1, strlen(l1));
	imp_buf_add(&mrz, l2, strlen(l2));
	put_tlv(&v, 0x5f1f, mrz.p, mrz.len);
	put_tlv(out, 0x61, v.p, v.len);
	out->oom |= mrz.oom | v.oom;
	imp_buf_free(&mrz);
	imp_buf_free(&v);
}

void
imp_lds_com(struct imp_buf *out, const int *dgs, size_t n)
{
	struct imp_buf v = { 0 };
	unsigned char tags[IMP_LDS_MAXDG];
	size_t i;

	for (i = 0; i < n && i < IMP_LDS_MAXDG; i++)
		tags[i] = (unsigned char)imp_lds_dg_tag(dgs[i]);
	put_tlv(&v, 0x5f01, "0108", 4);        /* LDS version 1.8 */
	put_tlv(&v, 0x5f36, "040000", 6);      /* Unicode 4.0.0 */
	put_tlv(&v, 0x5c, tags, i);
	put_tlv(out, 0x60, v.p, v.len);
	out->oom |= v.oom;
	imp_buf_free(&v);
}

/* One DG11/DG12 element into v and its tag into the tag list; nothing for
 * an empty value. */
static void
put_elem(struct imp_buf *v, struct imp_buf *list, unsigned tag, const char *s, size_t n)
{
	if (s == NULL || n == 0)
		return;
	put_tag(list, tag);
	put_tlv(v, tag, s, n);
}

static void
put_str(struct imp_buf *v, struct imp_buf *list, unsigned tag, const char *s)
{
	put_elem(v, list, tag, s, s ? strlen(s) : 0);
}

/* YYYY-MM-DD as the 8 digits CCYYMMDD of 9303-10; 0 for any other text
 * (a partial date is left out). */
static int
date8(const char *s, char out[9])
{
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2 ||
	    strspn(s + 8, "0123456789") != 2)
		return 0;
	memcpy(out, s, 4);
	memcpy(out + 4, s + 5, 2);
	memcpy(out + 6, s + 8, 2);
	out[8] = '\0';
	return 1;
}

/* An MRZ-style name field: spaces as '<' (9303-10: primary and secondary
 * identifiers separated by "<<"). */
static void
name_field(struct imp_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		imp_buf_add(b, *s == ' ' ? "<" : s, 1);
}

/* DG11, additional personal details (9303-10 4.7.11): the full name
 * (5F0E), the personal number, the CNIC's 13 digits (5F10), the full date
 * of birth (5F2B), the place of birth (5F11) and the permanent address
 * (5F42), each only when held; the tag list (5C) names those present. */
void
imp_lds_dg11(struct imp_buf *out, const struct imp_lds_dg11 *f)
{
	struct imp_buf v = { 0 }, list = { 0 }, name = { 0 }, all = { 0 };
	char digits[32], dob[9];
	size_t n = 0;
	const char *c;

	if (f->surname != NULL && *f->surname != '\0') {
		name_field(&name, f->surname);
		imp_buf_puts(&name, "<<");
		name_field(&name, f->given);
	}
	put_elem(&v, &list, 0x5f0e, name.p, name.len);
	for (c = f->cnic; c != NULL && *c != '\0' && n < sizeof digits - 1; c++)
		if (*c >= '0' && *c <= '9')
			digits[n++] = *c;
	put_elem(&v, &list, 0x5f10, digits, n == 13 ? n : 0);
	if (date8(f->dob, dob))
		put_str(&v, &list, 0x5f2b, dob);
	put_str(&v, &list, 0x5f11, f->place);
	put_str(&v, &list, 0x5f42, f->address);
	put_tlv(&all, 0x5c, list.p, list.len);
	imp_buf_add(&all, v.p, v.len);
	put_tlv(out, 0x6b, all.p, all.len);
	out->oom |= v.oom | list.oom | name.oom | all.oom;
	imp_buf_free(&v);
	imp_buf_free(&list);
	imp_buf_free(&name);
	imp_buf_free(&all);
}

/* DG12, additional document details (9303-10 4.7.12): the issuing
 * authority (5F19) and the date of issue (5F26, CCYYMMDD). */
void
imp_lds_dg12(struct imp_buf *out, const char *authority, const char *issued)
{
	struct imp_buf v = { 0 }, list = { 0 }, all = { 0 };
	char date[9];

	put_str(&v, &list, 0x5f19, authority);
	if (date8(issued, date))
		put_str(&v, &list, 0x5f26, date);
	put_tlv(&all, 0x5c, list.p, list.len);
	imp_buf_add(&all, v.p, v.len);
	put_tlv(out, 0x6c, all.p, all.len);
	out->oom |= v.oom | list.oom | all.oom;
	imp_buf_free(&v);
	imp_buf_free(&list);
	imp_buf_free(&all);
}

static int
jpeg_size(const unsigned char *p, size_t n, unsigned *w, unsigned *h)
{
	size_t i = 2, len;
	unsigned m;

	if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
		return -1;
	while (i + 4 <= n) {
		if (p[i] != 0xff)
			return -1;
		m = p[i + 1];
		if (m == 0xff) {                       /* fill byte */
			i++;
			continue;
		}
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			i += 2;
			continue;
		}
		len = (size_t)p[i + 2] << 8 | p[i + 3];
		if (len < 2 || i + 2 + len > n || m == 0xda || m == 0xd9)
			return -1;
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
			if (len < 7)
				return -1;
			*h = (unsigned)p[i + 5] << 8 | p[i + 6];
			*w = (unsigned)p[i + 7] << 8 | p[i + 8];
			return *w && *h ? 0 : -1;
		}
		i += 2 + len;
	}
	return -1;
}

static void
be(unsigned char *p, uint32_t v, int n)
{
	while (n-- > 0)
		*p++ = (unsigned char)(v >> (8 * n));
}

/* DG2: one facial image in an ISO/IEC 19794-5:2005 record inside the
 * biometric information template of 9303-10. */
int
imp_lds_dg2(struct imp_buf *out, const unsigned char *jpeg, size_t n, char sex,
	    struct imp_buf *why)
{
	static const unsigned char bht[] = {           /* biometric header template */
		0x80, 0x02, 0x01, 0x01, 0x81, 0x01, 0x02,       /* ICAO header 1.1, face */
		0x87, 0x02, 0x01, 0x01, 0x88, 0x02, 0x00, 0x08, /* SC 37, 19794-5 */
	};
	unsigned char head[46] = { 'F', 'A', 'C', 0, '0', '1', '0', 0 };
	struct imp_buf rec = { 0 }, bit = { 0 }, big = { 0 };
	unsigned w, h;

	if (jpeg_size(jpeg, n, &w, &h) != 0) {
		imp_buf_printf(why, "not a JPEG with a frame header (its width and height)");
		return -1;
	}
	if (n > 0xffffff) {
		imp_buf_printf(why, "%zu bytes: too large for a chip", n);
		return -1;
	}
	be(head + 8, (uint32_t)(46 + n), 4);          /* record length */
	be(head + 12, 1, 2);                          /* one facial image */
	be(head + 14, (uint32_t)(32 + n), 4);         /* facial record data length */
	head[20] = sex == 'M' ? 1 : sex == 'F' ? 2 : 0;
	head[34] = 1;                                 /* full frontal */
	head[35] = 0;                                 /* JPEG */
	be(head + 36, w, 2);
	be(head + 38, h, 2);
	head[40] = 1;                                 /* 24-bit RGB */
	head[41] = 1;                                 /* static photograph, source unknown */
	imp_buf_add(&rec, head, sizeof head);
	imp_buf_add(&rec, jpeg, n);
	put_tlv(&bit, 0xa1, bht, sizeof bht);
	put_tlv(&bit, 0x5f2e, rec.p, rec.len);
	put_tlv(&big, 0x02, "\x01", 1);               /* one instance */
	put_tlv(&big, 0x7f60, bit.p, bit.len);
	imp_buf_reset(&bit);
	put_tlv(&bit, 0x7f61, big.p, big.len);
	put_tlv(out, 0x75, bit.p, bit.len);
	out->oom |= rec.oom | bit.oom | big.oom;
	imp_buf_free(&rec);
	imp_buf_free(&bit);
	imp_buf_free(&big);
	return 0;
}

/* ---- the Document Signer -------------------------------------------------------- */

static int
ssl_fail(struct imp_err *e, int code, const char *what)
{
	char s[256] = "";
	unsigned long err = ERR_get_error();

	if (err != 0)
		ERR_error_string_n(err, s, sizeof s);
	ERR_clear_error();
	return imp_fail(e, code, "%s%s%s", what, *s ? ": " : "", s);
}

/* A PEM file read whole, O_NOFOLLOW, at most PEM_MAX bytes; a key must
 * not be readable by group or others. */
static int
read_pem(const char *path, const char *what, int secret, struct imp_buf *b, struct imp_err *e)
{
	struct stat st;
	char chunk[4096];
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the %s %s: %s", what, path,
				strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = imp_fail(e, EX_NOINPUT, "the %s %s is not a regular file", what, path);
	else if (secret && (st.st_mode & 077) != 0)
		rc = imp_fail(e, EX_NOPERM, "the %s %s can be read by others (mode %03o); "
			      "chmod 600 it, and think whether it was copied", what, path,
			      (unsigned)(st.st_mode & 0777));
	while (rc == 0 && (r = read(fd, chunk, sizeof chunk)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = imp_fail(e, EX_IOERR, "cannot read the %s %s: %s", what, path,
				      strerror(errno));
		else if (b->len + (size_t)r > PEM_MAX)
			rc = imp_fail(e, EX_CONFIG, "the %s %s is larger than %d bytes: not a "
				      "PEM certificate or key", what, path, PEM_MAX);
		else
			imp_buf_add(b, chunk, (size_t)r);
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	if (rc == 0 && b->oom)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	return rc;
}

int
imp_lds_read_cert(const char *path, const char *what, void **out, struct imp_err *e)
{
	struct imp_buf b = { 0 };
	BIO *bio = NULL;
	char why[256];
	int rc;

	*out = NULL;
	if ((rc = read_pem(path, what, 0, &b, e)) != 0) {
		imp_buf_free(&b);
		return rc;
	}
	if ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL ||
	    (*out = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		ERR_error_string_n(ERR_get_error(), why, sizeof why);
		ERR_clear_error();
		rc = imp_fail(e, EX_CONFIG, "the %s %s is not a PEM X.509 certificate (%s)", what,
			      path, why);
	}
	BIO_free(bio);
	imp_buf_free(&b);
	return rc;
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int
read_key(const char *path, EVP_PKEY **key, struct imp_err *e)
{
	struct imp_buf b = { 0 };
	BIO *bio = NULL;
	int rc;

	if ((rc = read_pem(path, "Document Signer key", 1, &b, e)) == 0 &&
	    ((bio = BIO_new_mem_buf(b.p, (int)b.len)) == NULL ||
	     (*key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL)) {
		ERR_clear_error();
		rc = imp_fail(e, EX_CONFIG, "the Document Signer key %s is not an unencrypted "
			      "PEM private key", path);
	}
	BIO_free(bio);
	if (b.p != NULL)
		OPENSSL_cleanse(b.p, b.cap);
	imp_buf_free(&b);
	return rc;
}

static void
time_text(const ASN1_TIME *t, char *out, size_t n)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		snprintf(out, n, "?");
	else
		strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Whether now is outside the certificate's private key usage period
 * (9303-12: the months a DS key signs, shorter than its certificate's
 * validity); the period in words into out. */
static int
key_period_over(X509 *c, char *out, size_t n)
{
	PKEY_USAGE_PERIOD *p = X509_get_ext_d2i(c, NID_private_key_usage_period, NULL, NULL);
	char from[32] = "", to[32] = "";
	int over = 0;

	if (p == NULL)
		return 0;
	if (p->notBefore != NULL) {
		time_text(p->notBefore, from, sizeof from);
		over |= X509_cmp_current_time(p->notBefore) >= 0;
	}
	if (p->notAfter != NULL) {
		time_text(p->notAfter, to, sizeof to);
		over |= X509_cmp_current_time(p->notAfter) <= 0;
	}
	snprintf(out, n, "%s%s%s%s", *from ? "from " : "", from,
		 *to ? (*from ? " to " : "until ") : "", to);
	PKEY_USAGE_PERIOD_free(p);
	return over;
}

/* The DS certificate usable now: in its validity and its private key
 * usage period, a digitalSignature key usage, issued by the CSCA
 * (signature and chain checked by OpenSSL), the key its own. */
static int
check_ds(struct imp_lds_signer *s, const char *cert, const char *csca, struct imp_err *e)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	char when[96];
	int rc = 0, err;

	if (store == NULL || ctx == NULL)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	if (rc == 0 && X509_cmp_current_time(X509_get0_notAfter(s->cert)) <= 0) {
		time_text(X509_get0_notAfter(s->cert), when, sizeof when);
		rc = imp_fail(e, EX_UNAVAILABLE, "the Document Signer certificate %s (%s) expired "
			      "on %s; nothing is signed: have the CSCA issue a new one", cert,
			      s->name, when);
	} else if (rc == 0 && X509_cmp_current_time(X509_get0_notBefore(s->cert)) >= 0) {
		time_text(X509_get0_notBefore(s->cert), when, sizeof when);
		rc = imp_fail(e, EX_UNAVAILABLE, "the Document Signer certificate %s (%s) is not "
			      "valid before %s; nothing is signed", cert, s->name, when);
	} else if (rc == 0 && key_period_over(s->cert, when, sizeof when)) {
		rc = imp_fail(e, EX_UNAVAILABLE, "the Document Signer key of %s (%s) may sign "
			      "only %s (its private key usage period); nothing is signed: use the "
			      "current Document Signer", cert, s->name, when);
	} else if (rc == 0 && (!(X509_get_extension_flags(s->cert) & EXFLAG_KUSAGE) ||
		   !(X509_get_key_usage(s->cert) & KU_DIGITAL_SIGNATURE) ||
		   (X509_get_key_usage(s->cert) & KU_KEY_CERT_SIGN))) {
		rc = imp_fail(e, EX_UNAVAILABLE, "the Document Signer certificate %s (%s) lacks "
			      "the key usage digitalSignature of ICAO 9303-12 (or may sign "
			      "certificates); nothing is signed", cert, s->name);
	}
	if (rc == 0 && (X509_STORE_add_cert(store, s->csca) != 1 ||
			X509_STORE_CTX_init(ctx, store, s->cert, NULL) != 1))
		rc = ssl_fail(e, EX_SOFTWARE, "cannot set up the certificate check");
	if (rc == 0 && X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		rc = imp_fail(e, EX_NOPERM, "the Document Signer certificate %s (%s) is not "
			      "issued by the CSCA %s: %s; nothing is signed", cert, s->name, csca,
			      X509_verify_cert_error_string(err));
	}
	if (rc == 0 && X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		rc = imp_fail(e, EX_CONFIG, "the Document Signer key is not the key of the "
			      "certificate %s (%s); nothing is signed", cert, s->name);
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

static void
cert_name(X509 *c, char *out, size_t n)
{
	char *subject = X509_NAME_oneline(X509_get_subject_name(c), NULL, 0);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
	char *serial = bn ? BN_bn2hex(bn) : NULL;

	snprintf(out, n, "%s serial %s", subject ? subject : "?", serial ? serial : "?");
	OPENSSL_free(subject);
	OPENSSL_free(serial);
	BN_free(bn);
}

int
imp_lds_signer_open(struct imp_lds_signer **sp, const char *cert, const char *key,
		    const char *csca, struct imp_err *e)
{
	struct imp_lds_signer *s = calloc(1, sizeof *s);
	struct tm tm;
	int rc;

	if ((*sp = s) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_lds_read_cert(cert, "Document Signer certificate", (void **)&s->cert,
				    e)) != 0 ||
	    (rc = imp_lds_read_cert(csca, "CSCA certificate", (void **)&s->csca, e)) != 0)
		return rc;
	cert_name(s->cert, s->name, sizeof s->name);
	if ((rc = read_key(key, &s->key, e)) != 0 || (rc = check_ds(s, cert, csca, e)) != 0)
		return rc;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(s->cert), &tm) != 1)
		return ssl_fail(e, EX_CONFIG, "the Document Signer certificate's end of validity "
				"cannot be read");
	strftime(s->until, sizeof s->until, "%Y-%m-%d", &tm);
	if ((s->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return ssl_fail(e, EX_SOFTWARE, "no SHA-256 in OpenSSL");
	return 0;
}

const char *
imp_lds_signer_name(const struct imp_lds_signer *s)
{
	return s->name;
}

/* The last day of the DS certificate's validity, YYYY-MM-DD. */
const char *
imp_lds_signer_until(const struct imp_lds_signer *s)
{
	return s->until;
}

void
imp_lds_signer_close(struct imp_lds_signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	X509_free(s->csca);
	EVP_PKEY_free(s->key);
	EVP_MD_free(s->md);
	free(s);
}

void
imp_lds_free_cert(void *c)
{
	X509_free(c);
}

/* The DER of LDSSecurityObject V0 over the groups' SHA-256 hashes. */
static void
lso_der(struct imp_buf *out, const int *dgs, const unsigned char (*hash)[IMP_HASH_LEN],
	size_t n)
{
	struct imp_buf all = { 0 }, one = { 0 }, body = { 0 };
	unsigned char num;
	size_t i;

	for (i = 0; i < n; i++) {
		imp_buf_reset(&one);
		num = (unsigned char)dgs[i];
		put_tlv(&one, 0x02, &num, 1);
		put_tlv(&one, 0x04, hash[i], IMP_HASH_LEN);
		put_tlv(&all, 0x30, one.p, one.len);
	}
	put_tlv(&body, 0x02, "\0", 1);                /* version v0 */
	imp_buf_add(&body, sha256_alg, sizeof sha256_alg);
	put_tlv(&body, 0x30, all.p, all.len);
	put_tlv(out, 0x30, body.p, body.len);
	out->oom |= all.oom | one.oom | body.oom;
	imp_buf_free(&all);
	imp_buf_free(&one);
	imp_buf_free(&body);
}

int
imp_lds_sign(struct imp_lds_signer *s, const int *dgs, const unsigned char (*hash)[IMP_HASH_LEN],
	     size_t n, struct imp_buf *sod, struct imp_err *e)
{
	const unsigned flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	struct imp_buf lso = { 0 };
	CMS_ContentInfo *cms = NULL;
	ASN1_OBJECT *type = OBJ_txt2obj(lso_oid, 1);
	BIO *in = NULL;
	unsigned char *der = NULL;
	int len = 0, rc = 0;

	lso_der(&lso, dgs, hash, n);
	if (lso.oom || type == NULL || (in = BIO_new_mem_buf(lso.p, (int)lso.len)) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    CMS_set1_eContentType(cms, type) != 1 ||
	    CMS_add1_signer(cms, s->cert, s->key, s->md, flags) == NULL ||
	    CMS_final(cms, in, NULL, CMS_BINARY) != 1 ||
	    (len = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		rc = ssl_fail(e, EX_SOFTWARE, "cannot sign the LDS security object");
	else
		put_tlv(sod, 0x77, der, (size_t)len);
	if (rc == 0 && sod->oom)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	ASN1_OBJECT_free(type);
	imp_buf_free(&lso);
	return rc;
}

/* ---- checking EF.SOD -------------------------------------------------------------- */

/* The hashes of LDSSecurityObject's DER (SHA-256 only). */
static int
lso_parse(const unsigned char *p, size_t n, struct imp_lds_sod *out, struct imp_buf *why)
{
	const unsigned char *body, *alg, *list, *num, *h;
	size_t blen, alen, llen, nlen, hlen, hdr, len;
	unsigned tag;

	if ((body = tlv_find(p, n, 0x30, &blen)) == NULL ||
	    (alg = tlv_find(body, blen, 0x30, &alen)) == NULL) {
		imp_buf_printf(why, "the security object is not an LDSSecurityObject");
		return -1;
	}
	if (alen < sizeof sha256_alg - 2 ||
	    memcmp(alg, sha256_alg + 2, sizeof sha256_alg - 2) != 0) {
		imp_buf_printf(why, "the security object's hash algorithm is not SHA-256 (the "
			       "only one checked)");
		return -1;
	}
	/* the list follows the algorithm */
	list = alg + alen;
	if (imp_tlv_read(list, blen - (size_t)(list - body), &tag, &hdr, &llen) != 0 ||
	    tag != 0x30) {
		imp_buf_printf(why, "the security object has no list of data group hashes");
		return -1;
	}
	list += hdr;
	out->n = 0;
	while (llen > 0) {
		if (imp_tlv_read(list, llen, &tag, &hdr, &len) != 0 || tag != 0x30 ||
		    (num = tlv_find(list + hdr, len, 0x02, &nlen)) == NULL || nlen != 1 ||
		    (h = tlv_find(list + hdr, len, 0x04, &hlen)) == NULL ||
		    hlen != IMP_HASH_LEN || num[0] < 1 || num[0] > IMP_LDS_MAXDG ||
		    out->n == IMP_LDS_MAXDG) {
			imp_buf_printf(why, "a data group hash of the security object is not a "
				       "number 1-16 and a SHA-256 hash");
			return -1;
		}
		out->dg[out->n] = num[0];
		memcpy(out->hash[out->n++], h, IMP_HASH_LEN);
		list += hdr + len;
		llen -= hdr + len;
	}
	return 0;
}

int
imp_lds_sod_verify(const unsigned char *value, size_t n, void *csca, struct imp_lds_sod *out,
		   struct imp_buf *why)
{
	const unsigned char *p = value;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)n);
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *signers = NULL;
	BIO *content = BIO_new(BIO_s_mem());
	char buf[256], oid[64];
	const unsigned char *c;
	long clen;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (cms == NULL || p != value + n) {
		imp_buf_printf(why, "EF.SOD is not a DER CMS ContentInfo");
	} else if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		imp_buf_printf(why, "EF.SOD is not a CMS SignedData");
	} else if (OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms), 1) <= 0 ||
		   strcmp(oid, lso_oid) != 0) {
		imp_buf_printf(why, "EF.SOD's content type is %s, not ldsSecurityObject %s", oid,
			       lso_oid);
	} else if (store == NULL || content == NULL || X509_STORE_add_cert(store, csca) != 1) {
		imp_buf_printf(why, "out of memory");
	} else if (CMS_verify(cms, NULL, store, NULL, content, CMS_BINARY) != 1) {
		ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
		imp_buf_printf(why, "EF.SOD's signature does not verify against the CSCA: %s", buf);
	} else if ((clen = BIO_get_mem_data(content, (char **)&c)) <= 0 ||
		   lso_parse(c, (size_t)clen, out, why) != 0) {
		if (why->len == 0)
			imp_buf_printf(why, "EF.SOD has no content");
	} else {
		signers = CMS_get0_signers(cms);
		if (signers != NULL && sk_X509_num(signers) == 1)
			cert_name(sk_X509_value(signers, 0), out->signer, sizeof out->signer);
		rc = 0;
	}
	ERR_clear_error();
	sk_X509_free(signers);
	BIO_free(content);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* ---- the chip a print job carries ------------------------------------------------ */

/* The LDSSecurityObject inside EF.SOD's CMS, read without checking its
 * signature (the caller knows EF.SOD by its hash). */
static int
sod_content(const unsigned char *value, size_t n, struct imp_lds_sod *out, struct imp_buf *why)
{
	const unsigned char *p = value;
	CMS_ContentInfo *cms = n < 0x7fffffff ? d2i_CMS_ContentInfo(NULL, &p, (long)n) : NULL;
	ASN1_OCTET_STRING **os;
	char oid[64];
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (cms == NULL || p != value + n)
		imp_buf_printf(why, "EF.SOD is not a DER CMS ContentInfo");
	else if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		imp_buf_printf(why, "EF.SOD is not a CMS SignedData");
	else if (OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms), 1) <= 0 ||
		 strcmp(oid, lso_oid) != 0)
		imp_buf_printf(why, "EF.SOD's content type is not ldsSecurityObject %s", lso_oid);
	else if ((os = CMS_get0_content(cms)) == NULL || *os == NULL)
		imp_buf_printf(why, "EF.SOD has no content");
	else
		rc = lso_parse(ASN1_STRING_get0_data(*os), (size_t)ASN1_STRING_length(*os), out,
			       why);
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	return rc;
}

static const struct imp_lds_ef *
ef_of(const struct imp_lds_ef *ef, size_t n, unsigned tag)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ef[i].tag == tag)
			return &ef[i];
	return NULL;
}

/*
 * A chip file as render-lds wrote it, checked without the CSCA: EF.COM,
 * DG1, EF.SOD each once, nothing but data groups besides; EF.SOD's
 * SHA-256 is sod ("sha256:" and 64 hex digits, from the sealed stream,
 * which makes EF.SOD authentic); every group's hash is the one EF.SOD
 * holds and EF.SOD names no other; EF.COM lists exactly the groups;
 * DG1's MRZ is mrz (88 characters). 0, or -1 with the first fault in why.
 */
int
imp_lds_chip_check(const unsigned char *p, size_t n, const char *sod, const char *mrz,
		   struct imp_buf *why)
{
	struct imp_lds_ef ef[IMP_LDS_MAXDG + 4];
	const struct imp_lds_ef *com, *dg1, *so;
	const unsigned char *list = NULL;
	struct imp_lds_sod lso;
	unsigned char h[IMP_HASH_LEN];
	char hex[2 * IMP_HASH_LEN + 1];
	size_t count, i, k, ndg = 0, hdr, len, listlen = 0, off;
	unsigned tag;
	int dg;

	if (imp_lds_split(p, n, ef, sizeof ef / sizeof ef[0], &count, why) != 0)
		return -1;
	for (i = 0; i < count; i++) {
		dg = imp_lds_tag_dg(ef[i].tag);
		if (dg == 0 && ef[i].tag != IMP_LDS_COM && ef[i].tag != IMP_LDS_SOD) {
			imp_buf_printf(why, "an element with tag %X, not EF.COM, a data group or "
				       "EF.SOD", ef[i].tag);
			return -1;
		}
		if (ef_of(ef, i, ef[i].tag) != NULL) {
			imp_buf_printf(why, "the element with tag %X twice", ef[i].tag);
			return -1;
		}
		ndg += dg != 0;
	}
	if ((com = ef_of(ef, count, IMP_LDS_COM)) == NULL ||
	    (dg1 = ef_of(ef, count, 0x61)) == NULL || (so = ef_of(ef, count, IMP_LDS_SOD)) == NULL) {
		imp_buf_printf(why, "EF.COM, DG1 or EF.SOD is missing");
		return -1;
	}
	if (sod_content(so->value, so->vlen, &lso, why) != 0)
		return -1;
	for (i = 0; i < count; i++) {
		if ((dg = imp_lds_tag_dg(ef[i].tag)) == 0)
			continue;
		for (k = 0; k < lso.n && lso.dg[k] != dg; k++)
			;
		imp_sha256(ef[i].p, ef[i].len, h);
		if (k == lso.n || memcmp(h, lso.hash[k], IMP_HASH_LEN) != 0) {
			imp_buf_printf(why, "DG%d's SHA-256 is %s EF.SOD holds: changed after "
				       "signing", dg, k == lso.n ? "not one" : "not the one");
			return -1;
		}
	}
	if (lso.n != ndg) {
		imp_buf_printf(why, "EF.SOD names %zu data groups, the file holds %zu", lso.n, ndg);
		return -1;
	}
	for (off = 0; off < com->vlen; off += hdr + len) {
		if (imp_tlv_read(com->value + off, com->vlen - off, &tag, &hdr, &len) != 0)
			break;
		if (tag == 0x5c) {
			list = com->value + off + hdr;
			listlen = len;
		}
	}
	for (i = 0, k = 0; list != NULL && i < listlen; i++)
		k += imp_lds_tag_dg(list[i]) != 0 && ef_of(ef, count, list[i]) != NULL;
	if (list == NULL || k != listlen || listlen != ndg) {
		imp_buf_printf(why, "EF.COM's list of data groups is not the groups of the file");
		return -1;
	}
	imp_sha256(so->p, so->len, h);
	imp_hex(h, sizeof h, hex);
	if (sod == NULL || strncmp(sod, "sha256:", 7) != 0 || strcmp(sod + 7, hex) != 0) {
		imp_buf_printf(why, "its EF.SOD has the SHA-256 %s, not the %s render-lds signed "
			       "for the record", hex, sod && *sod ? sod : "(none)");
		return -1;
	}
	if (imp_tlv_read(dg1->value, dg1->vlen, &tag, &hdr, &len) != 0 || tag != 0x5f1f ||
	    len != 88 || mrz == NULL || strlen(mrz) != 88 || memcmp(dg1->value + hdr, mrz, 88) != 0) {
		imp_buf_printf(why, "DG1's MRZ is not the passport's");
		return -1;
	}
	return 0;
}

/* <chip .../> taken out of a record line (a reprint's: its passport is
 * spoiled, and so is the chip data signed for it). */
void
imp_lds_drop_chip(struct imp_buf *line)
{
	imp_line_drop(line, "chip");
}

static xmlNodePtr
elem(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

static const char *
attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)name);

	return a && a->children && a->children->type == XML_TEXT_NODE ?
		(const char *)a->children->content : NULL;
}

/* The render-lds step that signed the record's chip for its present
 * passport: the last render-lds step after the last ok render-mrz step,
 * when it is LDS_SIGNED; else NULL. *ever: whether render-lds signed a
 * chip for any passport of the record (a reprint's earlier one). */
static xmlNodePtr
signed_step(xmlNodePtr root, int *ever)
{
	xmlNodePtr n, lds = NULL;
	const char *stage, *code;

	*ever = 0;
	for (n = elem(root, "trail"), n = n ? n->children : NULL; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || (stage = attr(n, "stage")) == NULL)
			continue;
		if (strcmp(stage, "render-mrz") == 0 && (code = attr(n, "result")) != NULL &&
		    strcmp(code, "ok") == 0)
			lds = NULL;
		else if (strcmp(stage, "render-lds") == 0)
			lds = n;
		if (strcmp(stage, "render-lds") == 0 && (code = attr(n, "code")) != NULL &&
		    strcmp(code, "LDS_SIGNED") == 0)
			*ever = 1;
	}
	code = lds ? attr(lds, "code") : NULL;
	return code && strcmp(code, "LDS_SIGNED") == 0 ? lds : NULL;
}

/*
 * 1 when a line in the writers' form has no <chip> and no step of
 * render-lds, read without a tree: neither name is written otherwise there
 * (no prefixes; a character reference, which could spell one, sends the
 * line to the tree).
 */
static int
no_chip(struct imp_record *r)
{
	const char *line;
	size_t len;

	if (!imp_record_plain(r))
		return 0;
	imp_record_line(r, &line, &len);
	return memmem(line, len, "<chip", 5) == NULL && memmem(line, len, "render-lds", 10) == NULL &&
	       memmem(line, len, "&#", 2) == NULL;
}

/* The passport's two MRZ lines as 88 characters, or 0. */
static int
mrz88(xmlNodePtr root, char out[89])
{
	xmlNodePtr n = elem(root, "passport");
	size_t k = 0;

	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "mrz") == 0 &&
		    n->children != NULL && n->children->type == XML_TEXT_NODE &&
		    strlen((const char *)n->children->content) == 44 && k < 2)
			memcpy(out + 44 * k++, n->children->content, 44);
	out[88] = '\0';
	return k == 2;
}

#define JOB_FIX "nothing was spooled: run render-lds and sign on the batch again " \
	"(render-lds(1))"

/*
 * The chip of an ok record for its print job (spool-print): nothing when
 * the record has no <chip> and render-lds signed none for its passport;
 * else ROOT/lds/NUMBER.lds, read through the spool's descriptor with no
 * link followed, only a regular file of this account in a folder of its
 * own, at most IMP_LDS_JOB_CHIP_MAX bytes, checked by imp_lds_chip_check
 * against the sod of the record's render-lds step and its MRZ, added to
 * the job before </job> as <chip file sod bytes>BASE64</chip>. Any fault
 * is EX_DATAERR naming the record (spool-print then spools nothing).
 */
int
imp_lds_job_chip(int spool, const char *root, struct imp_record *r, struct imp_buf *job,
		 struct imp_err *e)
{
	int ever, dir = -1, rc = 0;
	xmlNodePtr rec, chip, st;
	const char *id = imp_record_id(r), *number, *file, *sod;
	struct imp_buf b = { 0 }, why = { 0 }, x = { 0 }, shown = { 0 };
	struct imp_err fe = { 0 };
	char name[32], mrz[89];
	struct stat sb;

	if (no_chip(r))
		return 0;
	rec = imp_record_root(r);
	chip = elem(rec, "chip");
	st = signed_step(rec, &ever);
	number = imp_record_attr(r, "passport", "number");
	file = chip ? attr(chip, "file") : NULL;
	sod = st ? attr(st, "sod") : NULL;
	if (chip == NULL && st == NULL && !ever)
		return 0;
	/* the file's name is the number: only letters and digits, never a path */
	if (number == NULL || *number == '\0' || strlen(number) > 9 ||
	    number[strspn(number, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] != '\0')
		return imp_fail(e, EX_DATAERR, "record %s: chip data without a passport number of "
				"letters and digits; %s", id, JOB_FIX);
	if (chip == NULL && st == NULL)
		return imp_fail(e, EX_DATAERR, "record %s: passport %s: an e-Passport (render-lds "
				"signed chip data for an earlier passport of it) without chip data "
				"for this one; %s", id, number, JOB_FIX);
	if (chip == NULL)
		return imp_fail(e, EX_DATAERR, "record %s: passport %s: render-lds signed its chip "
				"data but the record has no <chip>; %s", id, number, JOB_FIX);
	if (st == NULL)
		return imp_fail(e, EX_DATAERR, "record %s: passport %s: its <chip> was not signed "
				"by render-lds for this passport (stale chip data); %s", id,
				number, JOB_FIX);
	snprintf(name, sizeof name, "%s.lds", number);
	if (file == NULL || strcmp(file, name) != 0)
		return imp_fail(e, EX_DATAERR, "record %s: passport %s: its <chip> names %s, not "
				"%s; %s", id, number, file ? file : "no file", name, JOB_FIX);
	imp_buf_printf(&shown, "%s/lds/%s", root, name);
	if ((dir = openat(spool, "lds", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(dir, &sb) != 0 || sb.st_uid != geteuid() || (sb.st_mode & 022) != 0) {
		rc = imp_fail(e, EX_DATAERR, "record %s: %s/lds is %s; %s", id, root,
			      dir < 0 ? "missing or not a folder" : "not a folder of this account "
			      "that only it writes", JOB_FIX);
	} else if (!imp_file_is_ours(dir, name)) {
		rc = imp_fail(e, EX_DATAERR, "record %s: the chip file %s is %s; %s", id,
			      imp_buf_str(&shown), fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ?
			      "missing" : "not a regular file of this account", JOB_FIX);
	} else if (imp_file_read(dir, name, imp_buf_str(&shown), IMP_LDS_JOB_CHIP_MAX, &b,
				 &fe) != 0) {
		rc = imp_fail(e, EX_DATAERR, "record %s: %s; %s", id, fe.code ? fe.msg :
			      "the chip file vanished", JOB_FIX);
	} else if (!mrz88(rec, mrz) || imp_lds_chip_check((const unsigned char *)b.p, b.len, sod,
							    mrz, &why) != 0) {
		rc = imp_fail(e, EX_DATAERR, "record %s: the chip file %s: %s; %s", id,
			      imp_buf_str(&shown), why.len ? imp_buf_str(&why) :
			      "the passport has not two MRZ lines", JOB_FIX);
	} else if (job->len < 7 || memcmp(job->p + job->len - 7, "</job>\n", 7) != 0) {
		rc = imp_fail(e, EX_SOFTWARE, "record %s: the print job does not end in </job>", id);
	} else {
		imp_buf_puts(&x, "<chip");
		imp_buf_attr(&x, "file", name);
		imp_buf_attr(&x, "sod", sod);
		imp_buf_printf(&x, " bytes=\"%zu\">", b.len);
		imp_b64_encode((const unsigned char *)b.p, b.len, &x);
		imp_buf_puts(&x, "</chip>");
		if (!x.oom)
			imp_buf_insert(job, job->len - 7, x.p, x.len);
		if (x.oom || job->oom)
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	if (dir >= 0)
		close(dir);
	imp_buf_free(&b);
	imp_buf_free(&why);
	imp_buf_free(&x);
	imp_buf_free(&shown);
	return rc;
}
