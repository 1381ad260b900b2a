/* SPDX-License-Identifier: ISC */
/*
 * render-lds: the chip data of each e-Passport (ICAO 9303-10 and -12):
 * EF.COM, DG1 (the MRZ render-mrz wrote, byte for byte), DG2 (the photo
 * from the photo store, checked against photo_sha256), the optional DG11
 * and DG12 the office chooses (--groups) and EF.SOD (their SHA-256 hashes
 * signed by the Document Signer in a CMS SignedData).
 * The DS certificate is checked before any record is read. Each chip is
 * one 0600 file SPOOL/lds/NUMBER.lds; the record gets a reference to it
 * and a step with the hash of its EF.SOD. --check verifies a chip dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "impass.h"

#define PROG "render-lds"
#define PHOTO_MAX (1024 * 1024)
#define CHIP_MAX (4 * 1024 * 1024)
#define NDG 4                 /* DG1, DG2 and at most DG11, DG12 */

struct opts {
	int check;
	const char *input, *trust, *signer, *counts, *spool, *photos, *ds_cert, *ds_key, *csca, *mrz;
	unsigned types;               /* bit per passport type that gets a chip */
	int dg11, dg12;               /* --groups */
};

static const char *const type_names[] = { "ordinary", "official", "diplomatic", NULL };

struct lds {
	struct imp_lds_signer *ds;
	int photos, out;              /* folders: the photo store, SPOOL/lds */
	const char *photos_path;
	char out_path[4096];
	unsigned types;
	int dgs[NDG], dg11, dg12;     /* the groups of every chip, in order; --groups */
	size_t ndg;
	struct imp_buf photo, chip, dg[NDG], com, sod, why, xml;
	uint64_t signed_n;
	char chunk[16384];
};

/* ---- one record ----------------------------------------------------------------- */

static int
step(struct imp_record *r, int result, const char *code, const char *const *attrs,
     const char *text, struct imp_err *e)
{
	if (imp_record_step(r, PROG, result, code, attrs, "%s", text) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static int
hold(struct lds *l, struct imp_record *r, const char *code, struct imp_err *e)
{
	imp_buf_puts(&l->why, "; no chip data signed for it");
	return step(r, IMP_HELD, code, NULL, imp_buf_str(&l->why), e);
}

/* The photo of photo_sha256 from the store into l->photo: 0, 1 (held, l->why
 * says why, *code set) or an error. The name is the checked hash only. */
static int
read_photo(struct lds *l, const char *want, const char **code, struct imp_err *e)
{
	unsigned char got[IMP_HASH_LEN];
	char name[80], hex[2 * IMP_HASH_LEN + 1];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd;

	for (i = 0; want != NULL && i < 64 && want[i] != '\0' &&
	     strchr("0123456789abcdefABCDEF", want[i]) != NULL; i++)
		name[i] = (char)(want[i] | 0x20);       /* lower case */
	if (want == NULL || i != 64 || want[64] != '\0') {
		*code = "LDS_PHOTO_MISSING";
		imp_buf_printf(&l->why, "the application has no photo_sha256 of 64 hex digits");
		return 1;
	}
	memcpy(name + 64, ".jpg", 5);
	*code = "LDS_PHOTO_MISSING";
	if ((fd = openat(l->photos, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			return imp_fail(e, EX_NOINPUT, "cannot open the photo %s/%s: %s",
					l->photos_path, name, strerror(errno));
		imp_buf_printf(&l->why, "the photo %s is not in the photo store %s", name,
			       l->photos_path);
		return 1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PHOTO_MAX) {
		close(fd);
		*code = "LDS_PHOTO_FORMAT";
		imp_buf_printf(&l->why, "the photo %s is not a regular file of at most %d bytes",
			       name, PHOTO_MAX);
		return 1;
	}
	imp_buf_reset(&l->photo);
	while ((n = read(fd, l->chunk, sizeof l->chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || l->photo.len + (size_t)n > PHOTO_MAX) {
			close(fd);
			return imp_fail(e, EX_IOERR, "cannot read the photo %s/%s: %s",
					l->photos_path, name, n < 0 ? strerror(errno) :
					"it grew while read");
		}
		imp_buf_add(&l->photo, l->chunk, (size_t)n);
	}
	close(fd);
	if (l->photo.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_sha256(l->photo.p, l->photo.len, got);
	imp_hex(got, sizeof got, hex);
	if (memcmp(hex, name, 64) != 0) {
		*code = "LDS_PHOTO_MISMATCH";
		imp_buf_printf(&l->why, "the photo %s in the store has the SHA-256 %s, not the "
			       "application's: a wrong or damaged file", name, hex);
		return 1;
	}
	return 0;
}

/* The two MRZ lines of <passport>, or NULL. */
static int
mrz_lines(struct imp_record *r, const char *line[2])
{
	xmlNodePtr n, root = imp_record_root(r);
	int k = 0;

	for (n = root ? root->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "passport") == 0)
			break;
	for (n = n ? n->children : NULL; n != NULL && k < 2; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "mrz") == 0 &&
		    n->children != NULL && n->children->type == XML_TEXT_NODE &&
		    strlen((const char *)n->children->content) == 44)
			line[k++] = (const char *)n->children->content;
	return k == 2 ? 0 : -1;
}

static int
number_ok(const char *s)
{
	size_t n = s ? strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") : 0;

	return n >= 1 && n <= 9 && s[n] == '\0';
}

/* NUMBER.lds written whole (temporary, rename); made durable at the end. */
static int
write_chip(struct lds *l, const char *name, struct imp_err *e)
{
	char tmp[64];
	int fd, rc;

	snprintf(tmp, sizeof tmp, ".%s.%ld", name, (long)getpid());
	if ((fd = openat(l->out, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			 0600)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s/%s: %s", l->out_path, tmp,
				strerror(errno));
	rc = imp_write_fd(fd, name, l->chip.p, l->chip.len, 0, e);
	if (rc == 0 && renameat(l->out, tmp, l->out, name) != 0)
		rc = imp_fail(e, EX_CANTCREAT, "cannot write %s/%s: %s", l->out_path, name,
			      strerror(errno));
	if (rc != 0)
		unlinkat(l->out, tmp, 0);
	return rc;
}

static int
type_wanted(const struct lds *l, const char *type)
{
	int i;

	for (i = 0; type != NULL && type_names[i] != NULL; i++)
		if (strcmp(type, type_names[i]) == 0)
			return (l->types >> i) & 1;
	return 0;
}

/* EF.COM, DG1, DG2, DG11 and DG12 when chosen, EF.SOD of the record into
 * l->chip; 1 when the photo is no JPEG (l->why says why). */
static int
build_chip(struct lds *l, struct imp_record *r, const char *mrz[2],
	   unsigned char hash[NDG][IMP_HASH_LEN], struct imp_err *e)
{
	const char *sex = imp_record_field(r, "normalised", "sex");
	struct imp_lds_dg11 f = {
		imp_record_field(r, "normalised", "surname"),
		imp_record_field(r, "normalised", "given_names"),
		imp_record_field(r, "normalised", "cnic"),
		imp_record_field(r, "normalised", "date_of_birth"),
		imp_record_field(r, "application", "place_of_birth"),
		imp_record_field(r, "application", "address"),
	};
	size_t i;
	int rc, oom = 0;

	for (i = 0; i < l->ndg; i++)
		imp_buf_reset(&l->dg[i]);
	imp_buf_reset(&l->com);
	imp_buf_reset(&l->sod);
	imp_buf_reset(&l->chip);
	for (i = 0; i < l->ndg; i++) {
		if (l->dgs[i] == 1)
			imp_lds_dg1(&l->dg[i], mrz[0], mrz[1]);
		else if (l->dgs[i] == 2 &&
			 imp_lds_dg2(&l->dg[i], (const unsigned char *)l->photo.p, l->photo.len,
				     sex ? sex[0] : 'X', &l->why) != 0)
			return 1;
		else if (l->dgs[i] == 11)
			imp_lds_dg11(&l->dg[i], &f);
		else if (l->dgs[i] == 12)
			imp_lds_dg12(&l->dg[i], IMP_AUTHORITY,
				     imp_record_attr(r, "passport", "issued"));
		imp_sha256(l->dg[i].p, l->dg[i].len, hash[i]);
	}
	imp_lds_com(&l->com, l->dgs, l->ndg);
	if ((rc = imp_lds_sign(l->ds, l->dgs, (const unsigned char (*)[IMP_HASH_LEN])hash, l->ndg,
			       &l->sod, e)) != 0)
		return rc;
	imp_buf_add(&l->chip, l->com.p, l->com.len);
	for (i = 0; i < l->ndg; i++) {
		imp_buf_add(&l->chip, l->dg[i].p, l->dg[i].len);
		oom |= l->dg[i].oom;
	}
	imp_buf_add(&l->chip, l->sod.p, l->sod.len);
	if (l->chip.oom || oom || l->com.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct lds *l = arg;
	const char *type = imp_record_field(r, "normalised", "passport_type");
	const char *number = imp_record_attr(r, "passport", "number");
	const char *mrz[2], *code, *expires, *attrs[] = { "sod", NULL, NULL };
	unsigned char hash[NDG][IMP_HASH_LEN], sod_hash[IMP_HASH_LEN];
	char file[32], hex[2 * IMP_HASH_LEN + 1], sod[80];
	int rc;

	imp_buf_reset(&l->why);
	if (!type_wanted(l, type)) {
		imp_buf_printf(&l->why, "no chip: a machine readable passport, for the passport "
			       "type %s is not in --types", type ? type : "(none)");
		return step(r, IMP_OK_STATUS, "LDS_NO_CHIP", NULL, imp_buf_str(&l->why), e);
	}
	if (!number_ok(number) || mrz_lines(r, mrz) != 0) {
		imp_buf_printf(&l->why, "the record has no passport number and MRZ; run "
			       "render-mrz first");
		return hold(l, r, "LDS_NO_PASSPORT", e);
	}
	/* 9303-12: a chip must be checkable for as long as its passport is valid */
	expires = imp_record_attr(r, "passport", "expires");
	if (expires == NULL || strcmp(expires, imp_lds_signer_until(l->ds)) > 0) {
		imp_buf_printf(&l->why, "the Document Signer certificate is valid until %s, the "
			       "passport until %s: its chip could not be checked after %s; sign with "
			       "a Document Signer whose certificate outlives the passports",
			       imp_lds_signer_until(l->ds), expires ? expires : "(no date)",
			       imp_lds_signer_until(l->ds));
		return hold(l, r, "LDS_DS_EXPIRES_FIRST", e);
	}
	if ((rc = read_photo(l, imp_record_field(r, "application", "photo_sha256"), &code,
			     e)) != 0)
		return rc == 1 ? hold(l, r, code, e) : rc;
	imp_buf_printf(&l->why, "the photo is ");
	rc = build_chip(l, r, mrz, hash, e);
	if (rc == 1)
		return hold(l, r, "LDS_PHOTO_FORMAT", e);
	if (rc == 0 && l->chip.len > IMP_LDS_JOB_CHIP_MAX) {
		imp_buf_reset(&l->why);
		imp_buf_printf(&l->why, "its chip data would be %zu bytes (a photo of %zu), more "
			       "than the %d a print job carries: have the photo taken again at "
			       "the office's size", l->chip.len, l->photo.len, IMP_LDS_JOB_CHIP_MAX);
		return hold(l, r, "LDS_CHIP_TOO_LARGE", e);
	}
	snprintf(file, sizeof file, "%s.lds", number);
	if (rc != 0 || (rc = write_chip(l, file, e)) != 0)
		return rc;
	imp_sha256(l->sod.p, l->sod.len, sod_hash);
	imp_hex(sod_hash, sizeof sod_hash, hex);
	snprintf(sod, sizeof sod, "sha256:%s", hex);
	imp_buf_reset(&l->xml);
	imp_buf_printf(&l->xml, "<chip file=\"%s\" bytes=\"%zu\"/>", file, l->chip.len);
	if (l->xml.oom || imp_record_insert(r, l->xml.p, l->xml.len) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	attrs[1] = sod;
	imp_buf_reset(&l->why);
	imp_buf_printf(&l->why, "chip data %s: EF.COM, DG1, DG2 (photo of %zu bytes), %s%s"
		       "EF.SOD signed by %s", file, l->photo.len, l->dg11 ? "DG11, " : "",
		       l->dg12 ? "DG12, " : "", imp_lds_signer_name(l->ds));
	l->signed_n++;
	return step(r, IMP_OK_STATUS, "LDS_SIGNED", attrs, imp_buf_str(&l->why), e);
}

/* The chip files are written without fsync; one syncfs makes them all
 * durable before the output is sealed. */
static int
end(void *arg, struct imp_err *e)
{
	struct lds *l = arg;

	if (l->signed_n > 0 && (syncfs(l->out) != 0 || fsync(l->out) != 0))
		return imp_fail(e, EX_IOERR, "cannot make the chip files in %s durable: %s",
				l->out_path, strerror(errno));
	return 0;
}

static int
open_dirs(struct lds *l, const struct opts *o, struct imp_err *e)
{
	const char *spool = imp_spool_path(o->spool);

	l->photos_path = o->photos;
	if ((l->photos = open(o->photos, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the photo store %s: %s", o->photos,
				strerror(errno));
	snprintf(l->out_path, sizeof l->out_path, "%s/lds", spool);
	if (mkdir(l->out_path, 0700) != 0 && errno != EEXIST)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", l->out_path,
				strerror(errno));
	if ((l->out = open(l->out_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot open %s: %s", l->out_path,
				strerror(errno));
	return 0;
}

static void
lds_free(struct lds *l)
{
	int i;

	imp_lds_signer_close(l->ds);
	if (l->photos >= 0)
		close(l->photos);
	if (l->out >= 0)
		close(l->out);
	imp_buf_free(&l->photo);
	imp_buf_free(&l->chip);
	for (i = 0; i < NDG; i++)
		imp_buf_free(&l->dg[i]);
	imp_buf_free(&l->com);
	imp_buf_free(&l->sod);
	imp_buf_free(&l->why);
	imp_buf_free(&l->xml);
}

static int
run_stage(const struct opts *o, struct imp_run *run, struct imp_err *e)
{
	static const char *const kinds[] = { "application", NULL };
	struct lds l;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .after = "render-mrz",
				.record = each, .end = end, .arg = &l };
	struct imp_stage_opts so = { o->input, o->trust, o->signer, o->counts };
	int rc;

	memset(&l, 0, sizeof l);
	l.photos = l.out = -1;
	l.types = o->types;
	l.dgs[l.ndg++] = 1;
	l.dgs[l.ndg++] = 2;
	if ((l.dg11 = o->dg11))
		l.dgs[l.ndg++] = 11;
	if ((l.dg12 = o->dg12))
		l.dgs[l.ndg++] = 12;
	/* the Document Signer first: nothing is read with a key that may not sign */
	if ((rc = imp_lds_signer_open(&l.ds, o->ds_cert, o->ds_key, o->csca, e)) == 0 &&
	    (rc = open_dirs(&l, o, e)) == 0)
		rc = imp_stage_run(PROG, &st, &so, run, e);
	lds_free(&l);
	return rc;
}

/* ---- --check ---------------------------------------------------------------------- */

struct check {
	const char *name;
	int bad;
};

static void
say(struct check *c, int good, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(struct check *c, int good, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s: ", c->name, good ? "good" : "BAD");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	c->bad += !good;
}

static int
read_whole(const char *path, size_t max, struct imp_buf *b, struct imp_err *e)
{
	char chunk[16384];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open %s: %s", path, strerror(errno));
	while (rc == 0 && (n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = imp_fail(e, EX_IOERR, "cannot read %s: %s", path, strerror(errno));
		else if (b->len + (size_t)n > max)
			rc = imp_fail(e, EX_DATAERR, "%s is larger than %zu bytes: not a chip dump",
				      path, max);
		else
			imp_buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	if (rc == 0 && b->oom)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	return rc;
}

/* The data page's two lines (--mrz FILE) as 88 characters. */
static int
page_mrz(const char *path, char out[89], struct imp_err *e)
{
	struct imp_buf b = { 0 };
	char *s, *nl;
	size_t n = 0;
	int rc;

	if ((rc = read_whole(path, 1024, &b, e)) != 0) {
		imp_buf_free(&b);
		return rc;
	}
	for (s = (char *)imp_buf_str(&b); *s != '\0' && rc == 0; s = nl) {
		nl = s + strcspn(s, "\n");
		if (nl - s > 0 && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*nl == '\n')
			*nl++ = '\0';
		if (*s == '\0')
			continue;
		if (n == 2 || strlen(s) != 44)
			rc = imp_fail(e, EX_DATAERR, "%s: the data page's MRZ must be two lines of "
				      "44 characters", path);
		else
			memcpy(out + 44 * n++, s, 44);
	}
	if (rc == 0 && n != 2)
		rc = imp_fail(e, EX_DATAERR, "%s: the data page's MRZ must be two lines of 44 "
			      "characters", path);
	out[88] = '\0';
	imp_buf_free(&b);
	return rc;
}

static const struct imp_lds_ef *
find_ef(const struct imp_lds_ef *ef, size_t n, unsigned tag)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ef[i].tag == tag)
			return &ef[i];
	return NULL;
}

/* Every group of the dump hashed as EF.SOD says; every group EF.SOD
 * names present; EF.COM's list the same groups. */
static void
check_groups(struct check *c, const struct imp_lds_ef *ef, size_t n,
	     const struct imp_lds_sod *sod)
{
	const struct imp_lds_ef *com = find_ef(ef, n, IMP_LDS_COM);
	const unsigned char *list = NULL;
	unsigned char h[IMP_HASH_LEN];
	char got[65], want[65];
	size_t i, k, hdr, len, listlen = 0, off;
	unsigned tag;
	int dg;

	for (i = 0; i < n; i++) {
		if ((dg = imp_lds_tag_dg(ef[i].tag)) == 0)
			continue;
		for (k = 0; k < sod->n && sod->dg[k] != dg; k++)
			;
		imp_sha256(ef[i].p, ef[i].len, h);
		imp_hex(h, sizeof h, got);
		if (k == sod->n) {
			say(c, 0, "DG%d is not in EF.SOD: an added group", dg);
			continue;
		}
		imp_hex(sod->hash[k], IMP_HASH_LEN, want);
		if (memcmp(h, sod->hash[k], IMP_HASH_LEN) == 0)
			say(c, 1, "DG%d: SHA-256 %s as in EF.SOD", dg, got);
		else
			say(c, 0, "DG%d: SHA-256 %s, EF.SOD says %s: changed after signing", dg,
			    got, want);
	}
	for (k = 0; k < sod->n; k++)
		if (find_ef(ef, n, imp_lds_dg_tag(sod->dg[k])) == NULL)
			printf("%s: note: DG%d is in EF.SOD but not in the dump\n", c->name,
			       sod->dg[k]);
	for (off = 0; com != NULL && off < com->vlen; off += hdr + len) {
		if (imp_tlv_read(com->value + off, com->vlen - off, &tag, &hdr, &len) != 0)
			break;
		if (tag == 0x5c) {
			list = com->value + off + hdr;
			listlen = len;
		}
	}
	for (i = 0, k = 0; i < listlen; i++)
		k += find_ef(ef, n, list[i]) != NULL && imp_lds_tag_dg(list[i]) != 0;
	if (com == NULL || list == NULL)
		say(c, 0, "EF.COM with its list of data groups is missing");
	else if (k != listlen)
		say(c, 0, "EF.COM lists %zu data groups, %zu of them in the dump", listlen, k);
	else
		say(c, 1, "EF.COM lists %zu data groups, all in the dump", listlen);
}

static void
check_dg1(struct check *c, const struct imp_lds_ef *ef, size_t n, const char *page)
{
	const struct imp_lds_ef *dg1 = find_ef(ef, n, 0x61);
	const unsigned char *v;
	size_t hdr, len;
	unsigned tag;

	if (dg1 == NULL || imp_tlv_read(dg1->value, dg1->vlen, &tag, &hdr, &len) != 0 ||
	    tag != 0x5f1f || (len != 88 && len != 90 && len != 72)) {
		say(c, 0, "DG1 with an MRZ (tag 5F1F) is missing");
		return;
	}
	v = dg1->value + hdr;
	if (page == NULL)
		printf("%s: DG1 MRZ (not compared: no --mrz): %.44s / %.*s\n", c->name, v,
		       (int)len - 44, v + 44);
	else if (len == 88 && memcmp(v, page, 88) == 0)
		say(c, 1, "DG1's MRZ is the data page's");
	else
		say(c, 0, "DG1's MRZ %.*s differs from the data page's %s", (int)len, v, page);
}

static int
run_check(const struct opts *o, struct imp_err *e)
{
	struct imp_lds_ef ef[IMP_LDS_MAXDG + 4];
	struct imp_buf chip = { 0 }, why = { 0 };
	struct imp_lds_sod sod;
	const struct imp_lds_ef *s;
	struct check c = { o->input, 0 };
	char page[89];
	void *csca = NULL;
	size_t n = 0;
	int rc;

	if ((rc = imp_lds_read_cert(o->csca, "CSCA certificate", &csca, e)) != 0 ||
	    (o->mrz != NULL && (rc = page_mrz(o->mrz, page, e)) != 0) ||
	    (rc = read_whole(o->input, CHIP_MAX, &chip, e)) != 0)
		goto out;
	if (imp_lds_split((const unsigned char *)chip.p, chip.len, ef,
			  sizeof ef / sizeof ef[0], &n, &why) != 0) {
		say(&c, 0, "not a chip dump: %s", imp_buf_str(&why));
		n = 0;
	} else if ((s = find_ef(ef, n, IMP_LDS_SOD)) == NULL) {
		say(&c, 0, "no EF.SOD (tag 77): the groups cannot be checked");
	} else if (imp_lds_sod_verify(s->value, s->vlen, csca, &sod, &why) != 0) {
		say(&c, 0, "%s", imp_buf_str(&why));
	} else {
		say(&c, 1, "EF.SOD signed by %s, a Document Signer of the CSCA %s", sod.signer,
		    o->csca);
		check_groups(&c, ef, n, &sod);
	}
	if (n > 0)
		check_dg1(&c, ef, n, o->mrz ? page : NULL);
	if (c.bad > 0)
		rc = imp_fail(e, EX_DATAERR, "%s: %d check%s failed: do not trust this chip", c.name,
			      c.bad, c.bad > 1 ? "s" : "");
	else
		printf("%s: all checks good\n", c.name);
out:
	imp_lds_free_cert(csca);
	imp_buf_free(&chip);
	imp_buf_free(&why);
	return rc;
}

/* ---- options ------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: render-lds --ds-cert FILE --ds-key FILE --csca FILE --photos DIR\n"
	      "                  [--types LIST] [--groups LIST] [--spool DIR] [-s FPR]\n"
	      "                  [-t FILE] [--counts FILE] [FILE|-]\n"
	      "       render-lds --check --csca FILE [--mrz FILE] CHIP\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Sign the e-Passport chip data (ICAO 9303-10 EF.COM, DG1, DG2, EF.SOD) of\n"
	      "each ok record, one file SPOOL/lds/NUMBER.lds per passport.\n"
	      "      --ds-cert FILE    the Document Signer certificate (PEM)\n"
	      "      --ds-key FILE     its private key (PEM, unencrypted, mode 0600)\n"
	      "      --csca FILE       the CSCA certificate that issued it (PEM)\n"
	      "      --photos DIR      the photo store: DIR/PHOTO_SHA256.jpg\n"
	      "      --types LIST      passport types that get a chip, comma-separated\n"
	      "                        (default ordinary,official,diplomatic)\n"
	      "      --groups LIST     optional data groups, comma-separated: DG11\n"
	      "                        (personal details), DG12 (document details)\n"
	      "      --spool DIR       the spool (default $IMPASS_SPOOL)\n"
	      "      --check           verify the chip dump CHIP against the CSCA\n"
	      "      --mrz FILE        with --check: the data page's two MRZ lines\n"
	      "  -s, --signer FPR      stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE      trust file (default $IMPASS_TRUST)\n"
	      "      --counts FILE     the counts of the run and of the output stream (as\n"
	      "                        inspect --counts gives them) as key=value lines to FILE\n"
	      "  -h, --help            this text;  --version  the version\n"
	      "See render-lds(1).\n", stdout);
}

static int
parse_types(const char *s, unsigned *types)
{
	size_t len;
	int i;

	*types = 0;
	for (; *s != '\0'; s += len + (s[len] == ',')) {
		len = strcspn(s, ",");
		for (i = 0; type_names[i] != NULL; i++)
			if (strlen(type_names[i]) == len && strncmp(s, type_names[i], len) == 0)
				break;
		if (type_names[i] == NULL) {
			imp_warn(PROG, NULL, "--types: '%.*s' is not a passport type (ordinary, "
				 "official, diplomatic); give them comma-separated", (int)len, s);
			return EX_USAGE;
		}
		*types |= 1u << i;
	}
	if (*types == 0) {
		imp_warn(PROG, NULL, "--types: name at least one passport type");
		return EX_USAGE;
	}
	return 0;
}

static int
parse_groups(const char *s, struct opts *o)
{
	size_t len;

	o->dg11 = o->dg12 = 0;
	for (; *s != '\0'; s += len + (s[len] == ',')) {
		len = strcspn(s, ",");
		if (len == 4 && strncmp(s, "DG11", 4) == 0) {
			o->dg11 = 1;
		} else if (len == 4 && strncmp(s, "DG12", 4) == 0) {
			o->dg12 = 1;
		} else {
			imp_warn(PROG, NULL, "--groups: '%.*s' is not an optional data group "
				 "render-lds writes (DG11, DG12); give them comma-separated",
				 (int)len, s);
			return EX_USAGE;
		}
	}
	return 0;
}

static int
missing(const char *what)
{
	imp_warn(PROG, NULL, "%s is required", what);
	usage(stderr);
	return EX_USAGE;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "ds-cert", required_argument, NULL, 'D' },
		{ "ds-key", required_argument, NULL, 'K' },
		{ "csca", required_argument, NULL, 'C' },
		{ "photos", required_argument, NULL, 'P' },
		{ "types", required_argument, NULL, 'T' },
		{ "groups", required_argument, NULL, 'G' },
		{ "spool", required_argument, NULL, 'S' },
		{ "check", no_argument, NULL, 'c' },
		{ "mrz", required_argument, NULL, 'M' },
		{ "signer", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = 0;

	o->types = 7;
	while (rc == 0 && (c = getopt_long(argc, argv, "s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': o->ds_cert = optarg; break;
		case 'K': o->ds_key = optarg; break;
		case 'C': o->csca = optarg; break;
		case 'P': o->photos = optarg; break;
		case 'T': rc = parse_types(optarg, &o->types); break;
		case 'G': rc = parse_groups(optarg, o); break;
		case 'S': o->spool = optarg; break;
		case 'c': o->check = 1; break;
		case 'M': o->mrz = optarg; break;
		case 's': o->signer = optarg; break;
		case IMP_COUNTS_OPT: o->counts = optarg; break;
		case 't': o->trust = optarg; break;
		case 'h': help(); exit(imp_close_stdout(PROG, NULL));
		case 'V': puts(PROG " " IMP_VERSION); exit(imp_close_stdout(PROG, NULL));
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (rc != 0)
		return rc;
	if (argc - optind > 1 || (o->check && argc - optind != 1)) {
		usage(stderr);
		return EX_USAGE;
	}
	o->input = optind < argc ? argv[optind] : NULL;
	if (o->csca == NULL)
		return missing("--csca");
	if (o->check)
		return 0;
	if (o->mrz != NULL) {
		imp_warn(PROG, NULL, "--mrz goes with --check");
		return EX_USAGE;
	}
	return o->ds_cert == NULL ? missing("--ds-cert") : o->ds_key == NULL ?
		missing("--ds-key") : o->photos == NULL ? missing("--photos") : 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct imp_err e = { 0 };
	struct imp_run run;
	int rc;

	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	imp_init(&run);
	if (!o.check)
		return imp_exit(PROG, run.batch, &run, run_stage(&o, &run, &e), &e);
	rc = run_check(&o, &e);
	if (rc != 0)
		imp_report(PROG, NULL, &e);
	if (imp_close_stdout(PROG, NULL) != 0 && rc == 0)
		rc = EX_IOERR;
	imp_xml_done();
	return rc;
}
