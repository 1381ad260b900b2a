/* SPDX-License-Identifier: ISC */
/*
 * The history's base file, PATH-history beside the state database PATH:
 * the passports of the first import into an empty history (lib/store.c),
 * written once and read in place through a read-only mapping. What dedup
 * reads of 72 million passports in under 100 bytes each:
 *
 *   records   one per passport, in the order of the CSV, 4-byte aligned (a
 *             record is named by its offset / 4, its ref): status and sex
 *             in one byte, the number, the CNIC in 6 bytes, three dates in
 *             3 bytes each, the names as numbers of words in a dictionary
 *   dict      the words of the names, in the order first seen
 *   words     how many passports bear each canonical word (history_word)
 *   3 indexes by number, by CNIC, by blocking key (valid passports only):
 *             (hash, ref) sorted, the top bits of the hash as a table of
 *             where each bucket starts, the rest of it and the ref stored:
 *             a lookup reads the table and one page of entries; an entry
 *             of the blocking keys also carries the passport's date of
 *             birth, sex and 13 bits of its father's name in 4 bytes (its
 *             tag, imp_father_tag), so that passports these rule out are
 *             passed over without being read
 *
 * A file of up to MAP_WHOLE bytes (IMPASS_HISTORY_MAP) is read through its mapping (each page
 * faulted in once, then read in place: a batch against 1 M passports
 * touches most pages many times); a larger one with pread, its mapping
 * serving the small sections alone (dict, words): on this machine (a
 * virtual one) a page fault costs 30-70 us against 5 us for a pread of
 * the same bytes from the page cache, and a batch against 72 M passports
 * touches millions of pages once each, which would also stay in the
 * process's memory.
 *
 * Built in one pass over the CSV: records written as they come, the index
 * entries into 64 temporary files by the top bits of their hash, each then
 * sorted in memory (imp_pairs_sort) and appended. Memory stays at one part
 * of one index. The file is in this machine's byte order.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define MAGIC "IMPHIST3"
#define MAGIC_V1 "IMPHIST1"            /* before the tags: refused, to load again */
#define MAGIC_V2 "IMPHIST2"            /* tags without the father's name: the same */
#define TAG 4                         /* bytes of an entry's tag (IMP_HF_KEY) */
#define TAG_YEAR0 1879                /* a tag's year is counted from this one (1 to 255) */
#define HEADER 256
#define PARTS 64                      /* temporary files per index while building */
#define PART_SHIFT 58                 /* 64 - log2(PARTS) */
#define REC_READ 256                  /* bytes read of a record first (most are < 100) */
#define MAP_WHOLE ((uint64_t)1 << 30) /* files up to this size read through the mapping */

enum { ST_VALID, ST_CANCELLED, ST_LOST, ST_EXPIRED };
enum { F_RAW_NAMES = 0x10 };

static const char *const statuses[] = { "valid", "cancelled", "lost", "expired" };
static const char *const sexes[] = { "", "M", "F", "X" };

struct ix_header {
	uint64_t off, n;
	uint32_t bits, width, tag;    /* tag: its bytes after the ref, 0 or TAG */
};

struct header {
	char magic[8];
	uint64_t count, rec_off, rec_size, dict_off, ndict, dict_size, words_off, nwords,
		words_size, size;
	struct ix_header ix[IMP_HF_NINDEX];
};

struct ix {
	uint64_t tab, ent;            /* where the bucket table and the entries start */
	uint64_t n;
	unsigned bits, width, tag, stride;
};

struct piece {                        /* bytes read of the file */
	unsigned char *p;
	size_t cap;
};

struct imp_histfile {
	unsigned char *map;
	size_t size;
	int fd;
	int whole;                    /* read through the mapping (else pread) */
	uint64_t rec;                 /* where the records start */
	uint64_t count, rec_size, ndict, nwords;
	const uint32_t *dict_off, *words;
	const char *dict, *words_blob;
	uint64_t dict_size, words_size;
	struct ix ix[IMP_HF_NINDEX];
	struct piece bucket;          /* the entries of the last bucket read */
	const unsigned char *bucket_p;        /* (there or in the mapping), */
	int bucket_ix;                /* of this index (-1: none), */
	uint64_t bucket_at, bucket_n; /* the first entry and how many */
	struct piece rec_buf;         /* the bytes of the last record read */
	struct imp_buf name[3];
	char number[17], cnic[14], dob[11], issued[11], expires[11];
};

/* ---- little pieces ---------------------------------------------------------------- */

static uint64_t
get_le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

static void
put_le(unsigned char *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static unsigned
sex_code(const char *s)
{
	return s == NULL || *s == '\0' ? 0 : *s == 'M' ? 1 : *s == 'F' ? 2 : 3;
}

static uint32_t
pack_date(const char *s)
{
	struct imp_date d;

	if (s == NULL || *s == '\0' || imp_date_partial(s, &d) != 0)
		return 0;
	return (uint32_t)d.y << 9 | (uint32_t)d.m << 5 | (uint32_t)d.d;
}

static void
unpack_date(uint32_t v, char out[11])
{
	struct imp_date d = { (int)(v >> 9), (int)(v >> 5 & 15), (int)(v & 31) };

	if (v == 0)
		out[0] = '\0';
	else
		imp_date_str(&d, out);
}

/* How many bits the bucket table takes of a hash: about 8 entries a bucket. */
static unsigned
table_bits(uint64_t n)
{
	unsigned b = 0;

	while (b < 64 && (n >> b) != 0)
		b++;
	return b < 9 ? 6 : b > 31 ? 28 : b - 3;
}

/* ---- reading ---------------------------------------------------------------------- */

/* MAP_WHOLE, or the bytes IMPASS_HISTORY_MAP gives (0: pread always). */
static uint64_t
map_whole(void)
{
	const char *v = getenv("IMPASS_HISTORY_MAP");
	char *end;
	unsigned long long n;

	if (v == NULL || *v < '0' || *v > '9')
		return MAP_WHOLE;
	errno = 0;
	n = strtoull(v, &end, 10);
	return *end == '\0' && errno == 0 ? (uint64_t)n : MAP_WHOLE;
}

static int
damaged(const char *path, struct imp_err *e)
{
	return imp_fail(e, EX_DATAERR, "the history's base file %s is damaged: load the history "
			"again into an empty history (dedup --import-history)", path);
}

static int
in_file(const struct imp_histfile *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

/* n bytes of the file at off into dst; -1 when they cannot be read. */
static int
copy_at(const struct imp_histfile *f, void *dst, uint64_t off, size_t n)
{
	if (off > f->size || n > f->size - off)
		return -1;
	if (f->whole) {
		memcpy(dst, f->map + off, n);
		return 0;
	}
	return imp_pread_full(f->fd, dst, n, off);
}

static int
map_ix(struct imp_histfile *f, const struct ix_header *h, struct ix *x)
{
	uint64_t nb, tab_len;
	uint32_t first, last;

	if (h->bits < 6 || h->bits > 31 || h->width < 1 || h->width > 8 ||
	    64 - h->bits > 8 * h->width || h->off % 4 != 0 || (h->tag != 0 && h->tag != TAG))
		return -1;
	nb = (uint64_t)1 << h->bits;
	tab_len = 4 * (nb + 1);
	if (!in_file(f, h->off, tab_len) || h->n > UINT32_MAX ||
	    !in_file(f, h->off + tab_len, h->n * (h->width + 4 + h->tag)))
		return -1;
	x->tab = h->off;
	x->ent = h->off + tab_len;
	x->n = h->n;
	x->bits = h->bits;
	x->width = h->width;
	x->tag = h->tag;
	x->stride = h->width + 4 + h->tag;
	/* each bucket's bounds are checked when it is read */
	if (copy_at(f, &first, x->tab, 4) != 0 || copy_at(f, &last, x->tab + 4 * nb, 4) != 0)
		return -1;
	return first == 0 && last == h->n ? 0 : -1;
}

static int
map_sections(struct imp_histfile *f, const struct header *h)
{
	size_t i;

	if (memcmp(h->magic, MAGIC, 8) != 0 || h->size != f->size ||
	    !in_file(f, h->rec_off, h->rec_size) || h->rec_off % 4 != 0 ||
	    h->rec_size / 4 > UINT32_MAX || h->dict_off % 4 != 0 || h->words_off % 4 != 0 ||
	    h->ndict >= UINT32_MAX || h->nwords >= UINT32_MAX ||
	    !in_file(f, h->dict_off, 4 * (h->ndict + 1) + h->dict_size) ||
	    !in_file(f, h->words_off, 12 * h->nwords + h->words_size))
		return -1;
	f->count = h->count;
	f->rec = h->rec_off;
	f->rec_size = h->rec_size;
	f->dict_off = (const uint32_t *)(f->map + h->dict_off);
	f->dict = (const char *)(f->dict_off + h->ndict + 1);
	f->ndict = h->ndict;
	f->dict_size = h->dict_size;
	f->words = (const uint32_t *)(f->map + h->words_off);
	f->words_blob = (const char *)(f->words + 3 * h->nwords);
	f->nwords = h->nwords;
	f->words_size = h->words_size;
	if ((f->dict_size > 0 && f->dict[f->dict_size - 1] != '\0') ||
	    (f->words_size > 0 && f->words_blob[f->words_size - 1] != '\0'))
		return -1;
	for (i = 0; i < h->ndict; i++)
		if (f->dict_off[i] >= f->dict_off[i + 1] || f->dict_off[i + 1] > f->dict_size)
			return -1;
	for (i = 0; i < h->nwords; i++)
		if (f->words[3 * i] >= f->words_size)
			return -1;
	for (i = 0; i < IMP_HF_NINDEX; i++)
		if (map_ix(f, &h->ix[i], &f->ix[i]) != 0)
			return -1;
	return 0;
}

int
imp_histfile_open(const char *path, struct imp_histfile **fp, struct imp_err *e)
{
	struct imp_histfile *f;
	struct header h;
	struct stat st;
	int fd, rc;

	*fp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : imp_fail(e, EX_NOINPUT, "cannot open the history's "
						      "base file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || st.st_size < HEADER || pread(fd, &h, sizeof h, 0) !=
	    (ssize_t)sizeof h) {
		close(fd);
		return damaged(path, e);
	}
	if (memcmp(h.magic, MAGIC_V1, 8) == 0 || memcmp(h.magic, MAGIC_V2, 8) == 0) {
		close(fd);
		return imp_fail(e, EX_DATAERR, "the history's base file %s was written by an "
				"earlier dedup, without the %s in its index: load the history "
				"again into an empty history (dedup --import-history)", path,
				h.magic[7] == '1' ? "dates of birth" : "fathers' names");
	}
	if ((f = calloc(1, sizeof *f)) == NULL) {
		close(fd);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	f->size = (size_t)st.st_size;
	f->fd = fd;
	f->whole = f->size <= map_whole();
	f->bucket_ix = -1;
	f->map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, fd, 0);
	if (f->map == MAP_FAILED) {
		close(fd);
		free(f);
		return imp_fail(e, EX_IOERR, "cannot map %s: %s", path, strerror(errno));
	}
	if ((rc = map_sections(f, &h)) != 0) {
		imp_histfile_close(f);
		return damaged(path, e);
	}
	*fp = f;
	return 0;
}

void
imp_histfile_close(struct imp_histfile *f)
{
	size_t i;

	if (f == NULL)
		return;
	munmap(f->map, f->size);
	close(f->fd);
	free(f->bucket.p);
	free(f->rec_buf.p);
	for (i = 0; i < 3; i++)
		imp_buf_free(&f->name[i]);
	free(f);
}

uint64_t
imp_histfile_count(const struct imp_histfile *f)
{
	return f != NULL ? f->count : 0;
}

/* n bytes of the file at off: in the mapping, or read into b; NULL when
 * they cannot be read. */
static const unsigned char *
read_piece(struct imp_histfile *f, struct piece *b, uint64_t off, size_t n)
{
	unsigned char *p;

	if (f->whole)
		return off <= f->size && n <= f->size - off ? f->map + off : NULL;
	if (n > b->cap) {
		if ((p = realloc(b->p, n)) == NULL)
			return NULL;
		b->p = p;
		b->cap = n;
	}
	return copy_at(f, b->p, off, n) == 0 ? b->p : NULL;
}

/* The entries of hash h in index ix: [*lo, *hi); -1 when the file is damaged
 * or cannot be read. */
int
imp_histfile_find(struct imp_histfile *f, int ix, uint64_t h, uint64_t *lo, uint64_t *hi)
{
	const struct ix *x = &f->ix[ix];
	uint64_t b = h >> (64 - x->bits), a, z, mid, want, stride = x->stride;
	uint64_t mask = x->width == 8 ? UINT64_MAX : ((uint64_t)1 << 8 * x->width) - 1;
	const unsigned char *ent;
	uint32_t bounds[2];

	*lo = *hi = 0;
	f->bucket_ix = -1;
	if (copy_at(f, bounds, x->tab + 4 * b, sizeof bounds) != 0 || bounds[0] > bounds[1] ||
	    bounds[1] > x->n)
		return -1;
	if (bounds[0] == bounds[1])
		return 0;
	if ((ent = read_piece(f, &f->bucket, x->ent + bounds[0] * stride,
			      (bounds[1] - bounds[0]) * stride)) == NULL)
		return -1;
	f->bucket_p = ent;
	f->bucket_ix = ix;
	f->bucket_at = bounds[0];
	f->bucket_n = bounds[1] - bounds[0];
	want = h & mask;
	a = 0;
	z = f->bucket_n;
	while (a < z) {
		mid = a + (z - a) / 2;
		if (get_le(ent + mid * stride, x->width) < want)
			a = mid + 1;
		else
			z = mid;
	}
	for (z = a; z < f->bucket_n && get_le(ent + z * stride, x->width) == want; z++)
		;
	*lo = f->bucket_at + a;
	*hi = f->bucket_at + z;
	return 0;
}

/* The ref of entry i of index ix (of the bucket found last); UINT32_MAX
 * when it cannot be read (imp_histfile_get then fails). */
uint32_t
imp_histfile_ref(struct imp_histfile *f, int ix, uint64_t i)
{
	const struct ix *x = &f->ix[ix];
	unsigned char v[4];

	if (ix == f->bucket_ix && i >= f->bucket_at && i - f->bucket_at < f->bucket_n)
		return (uint32_t)get_le(f->bucket_p + (i - f->bucket_at) * x->stride + x->width, 4);
	if (i >= x->n || copy_at(f, v, x->ent + i * x->stride + x->width, 4) != 0)
		return UINT32_MAX;
	return (uint32_t)get_le(v, 4);
}

/* A passport's date of birth, sex and father's name as an entry's tag:
 * the date in the low 17 bits (0: not known, or a year the 8 bits from
 * TAG_YEAR0 cannot hold), the sex (sex_code) in 2 bits, the father's name
 * (imp_father_tag, 13 bits) above. */
static uint32_t
tag_of(const char *dob, const char *sex, unsigned father)
{
	struct imp_date d;
	uint32_t t = 0;

	if (dob != NULL && *dob != '\0' && imp_date_partial(dob, &d) == 0 && d.y > TAG_YEAR0 &&
	    d.y < TAG_YEAR0 + 256)
		t = (uint32_t)(d.y - TAG_YEAR0) << 9 | (uint32_t)d.m << 5 | (uint32_t)d.d;
	return t | sex_code(sex) << 17 | (uint32_t)(father & 0x1fff) << 19;
}

/*
 * The date of birth (y 0: not known), sex ('M', 'F', 'X' or 0) and father's
 * name (imp_father_tag) of the passport of entry i of index ix (of the
 * bucket found last), from its tag; -1 when the index has none.
 */
int
imp_histfile_tag(struct imp_histfile *f, int ix, uint64_t i, struct imp_date *dob, char *sex,
		 unsigned *father)
{
	const struct ix *x = &f->ix[ix];
	unsigned char v[TAG];
	uint32_t t;

	if (x->tag == 0)
		return -1;
	if (ix == f->bucket_ix && i >= f->bucket_at && i - f->bucket_at < f->bucket_n)
		memcpy(v, f->bucket_p + (i - f->bucket_at) * x->stride + x->width + 4, TAG);
	else if (i >= x->n || copy_at(f, v, x->ent + i * x->stride + x->width + 4, TAG) != 0)
		return -1;
	t = (uint32_t)get_le(v, TAG);
	memset(dob, 0, sizeof *dob);
	if ((t & 0x1ffff) != 0) {
		dob->y = (int)(t >> 9 & 255) + TAG_YEAR0;
		dob->m = (int)(t >> 5 & 15);
		dob->d = (int)(t & 31);
	}
	*sex = sexes[t >> 17 & 3][0];
	*father = t >> 19;
	return 0;
}

static int
names_out(struct imp_histfile *f, const unsigned char **p, const unsigned char *end,
	  struct imp_buf *out)
{
	uint64_t code;
	unsigned shift;

	imp_buf_reset(out);
	for (;;) {
		for (code = 0, shift = 0; *p < end && shift < 35; shift += 7) {
			code |= (uint64_t)(**p & 0x7f) << shift;
			if (*(*p)++ < 0x80)
				break;
		}
		if (*p > end || shift >= 35)
			return -1;
		if (code == 0)
			return 0;
		if (code > f->ndict)
			return -1;
		if (out->len > 0)
			imp_buf_add(out, " ", 1);
		imp_buf_add(out, f->dict + f->dict_off[code - 1],
			    f->dict_off[code] - f->dict_off[code - 1] - 1);
		if (*p >= end)
			return -1;
	}
}

static int
raw_out(const unsigned char **p, const unsigned char *end, struct imp_buf *out)
{
	const unsigned char *z = memchr(*p, '\0', (size_t)(end - *p));

	if (z == NULL)
		return -1;
	imp_buf_reset(out);
	imp_buf_add(out, *p, (size_t)(z - *p));
	*p = z + 1;
	return 0;
}

/* A record's fields from r (up to end) into p; -1 when they run past end. */
static int
record_out(struct imp_histfile *f, const unsigned char *r, const unsigned char *end,
	   struct imp_passport *p)
{
	uint64_t cnic;
	size_t i;
	unsigned len;
	int raw = r[0] & F_RAW_NAMES;

	if (end - r < 17 || (len = r[1]) > 16 || end - r < 2 + len + 15)
		return -1;
	memset(p, 0, sizeof *p);
	p->status = statuses[r[0] & 3];
	p->sex = sexes[r[0] >> 2 & 3];
	memcpy(f->number, r + 2, len);
	f->number[len] = '\0';
	r += 2 + len;
	if ((cnic = get_le(r, 6)) != 0)
		imp_put_digits(f->cnic, (cnic - 1) % UINT64_C(10000000000000), 13), f->cnic[13] = '\0';
	else
		f->cnic[0] = '\0';
	unpack_date((uint32_t)get_le(r + 6, 3), f->dob);
	unpack_date((uint32_t)get_le(r + 9, 3), f->issued);
	unpack_date((uint32_t)get_le(r + 12, 3), f->expires);
	r += 15;
	for (i = 0; i < 3; i++)
		if ((raw ? raw_out(&r, end, &f->name[i]) : names_out(f, &r, end, &f->name[i])) != 0)
			return -1;
	p->number = f->number;
	p->cnic = f->cnic;
	p->surname = imp_buf_str(&f->name[0]);
	p->given_names = imp_buf_str(&f->name[1]);
	p->father_name = imp_buf_str(&f->name[2]);
	p->date_of_birth = f->dob;
	p->issued_on = f->issued;
	p->expires_on = f->expires;
	p->photo_sha256 = p->batch = p->tracking_id = "";
	return 0;
}

/*
 * Passport ref, into p (valid until the next call); -1 when damaged. Its
 * first REC_READ bytes are read, more when its names run past them.
 */
int
imp_histfile_get(struct imp_histfile *f, uint32_t ref, struct imp_passport *p)
{
	uint64_t at = 4 * (uint64_t)ref, left, n;
	const unsigned char *r;

	if (at >= f->rec_size)
		return -1;
	left = f->rec_size - at;
	for (n = REC_READ;; n *= 16) {
		if (n > left)
			n = left;
		if ((r = read_piece(f, &f->rec_buf, f->rec + at, (size_t)n)) == NULL)
			return -1;
		if (record_out(f, r, r + n, p) == 0)
			return 0;
		if (n == left)
			return -1;
	}
}

/* How many passports of the file bear a canonical word (father: in the father's name). */
uint64_t
imp_histfile_word(const struct imp_histfile *f, const char *word, int father)
{
	uint64_t lo = 0, hi = f != NULL ? f->nwords : 0, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(f->words_blob + f->words[3 * mid], word);
		if (c == 0)
			return f->words[3 * mid + (father ? 2 : 1)];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- building --------------------------------------------------------------------- */

struct imp_histfile_build {
	char path[4096], tmp[4096 + 16];
	int fd;
	FILE *out;
	uint64_t at;                  /* bytes of records written */
	uint64_t count;
	FILE *part[IMP_HF_NINDEX][PARTS];
	uint64_t nent[IMP_HF_NINDEX];
	struct imp_map *dict;
	struct imp_buf dict_blob, rec, word;
	uint32_t *dict_off;
	uint64_t ndict, dict_cap;
	struct imp_err *e;
};

static int
io_error(struct imp_histfile_build *b, const char *what)
{
	return imp_fail(b->e, EX_IOERR, "cannot write the history's base file %s (%s): %s",
			b->tmp, what, strerror(errno));
}

static int
part_file(struct imp_histfile_build *b, FILE **fp)
{
	char dir[4096];
	int fd;

	snprintf(dir, sizeof dir, "%s", b->path);
	if ((fd = open(dirname(dir), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0 ||
	    (*fp = fdopen(fd, "w+")) == NULL) {
		if (fd >= 0)
			close(fd);
		return imp_fail(b->e, EX_CANTCREAT, "cannot make a temporary file beside %s: %s",
				b->path, strerror(errno));
	}
	return 0;
}

int
imp_histfile_begin(const char *path, struct imp_histfile_build **bp, struct imp_err *e)
{
	struct imp_histfile_build *b;
	static const char zeros[HEADER];
	size_t i, j;
	int rc;

	if ((b = *bp = calloc(1, sizeof *b)) == NULL || (b->dict = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	b->e = e;
	b->fd = -1;
	snprintf(b->path, sizeof b->path, "%s", path);
	snprintf(b->tmp, sizeof b->tmp, "%s.XXXXXX", path);
	if ((b->fd = mkostemp(b->tmp, O_CLOEXEC)) < 0) {
		b->tmp[0] = '\0';
		return imp_fail(e, EX_CANTCREAT, "cannot create the history's base file beside "
				"%s: %s", path, strerror(errno));
	}
	if ((b->out = fdopen(dup(b->fd), "w")) == NULL)
		return io_error(b, "opening");
	setvbuf(b->out, NULL, _IOFBF, 1 << 20);
	if (fwrite(zeros, 1, HEADER, b->out) != HEADER)
		return io_error(b, "the header");
	for (i = 0; i < IMP_HF_NINDEX; i++)
		for (j = 0; j < PARTS; j++)
			if ((rc = part_file(b, &b->part[i][j])) != 0)
				return rc;
	return 0;
}

/* Bytes of an entry in a temporary part file: hash, ref, tag. */
static size_t
part_size(int ix)
{
	return ix == IMP_HF_KEY ? 12 + TAG : 12;
}

static int
entry_out(struct imp_histfile_build *b, int ix, uint64_t h, uint32_t ref, uint32_t tag)
{
	unsigned char v[12 + TAG];
	size_t n = part_size(ix);

	put_le(v, h, 8);
	put_le(v + 8, ref, 4);
	put_le(v + 12, tag, TAG);
	b->nent[ix]++;
	return fwrite_unlocked(v, 1, n, b->part[ix][h >> PART_SHIFT]) == n ? 0 :
	       io_error(b, "an index");
}

static void
varint(struct imp_buf *out, uint64_t v)
{
	unsigned char c;

	do {
		c = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			c |= 0x80;
		imp_buf_add(out, &c, 1);
	} while (v);
}

static int
dict_code(struct imp_histfile_build *b, const char *w, size_t len, uint64_t *code)
{
	uint32_t *v;

	imp_buf_reset(&b->word);
	imp_buf_add(&b->word, w, len);
	if (imp_map_get(b->dict, imp_buf_str(&b->word), code) == 0)
		return 0;
	if (b->ndict + 1 >= b->dict_cap) {
		b->dict_cap = b->dict_cap ? 2 * b->dict_cap : 4096;
		if ((v = realloc(b->dict_off, b->dict_cap * sizeof *v)) == NULL)
			return -1;
		b->dict_off = v;
	}
	b->dict_off[b->ndict] = (uint32_t)b->dict_blob.len;
	imp_buf_add(&b->dict_blob, w, len);
	imp_buf_add(&b->dict_blob, "", 1);
	*code = ++b->ndict;
	return imp_map_set(b->dict, imp_buf_str(&b->word), *code);
}

/* Words joined by single spaces go by the dictionary; anything else as it is. */
static int
plain_words(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || (s[0] != ' ' && s[n - 1] != ' ' && strstr(s, "  ") == NULL);
}

static int
names_in(struct imp_histfile_build *b, const char *const name[3], int raw)
{
	const char *w, *sp;
	uint64_t code;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (raw) {
			imp_buf_add(&b->rec, name[i], strlen(name[i]) + 1);
			continue;
		}
		for (w = name[i]; *w != '\0'; w = *sp ? sp + 1 : sp) {
			sp = strchrnul(w, ' ');
			if (dict_code(b, w, (size_t)(sp - w), &code) != 0)
				return -1;
			varint(&b->rec, code);
		}
		varint(&b->rec, 0);
	}
	return 0;
}

static unsigned
status_code(const char *s)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (s != NULL && strcmp(s, statuses[i]) == 0)
			return i;
	return ST_EXPIRED;
}

/*
 * One passport of an import (fields checked and normalised by the CSV's
 * reader); keys: its blocking keys when it is valid; father: its father's
 * name's imp_father_tag. A number is 1 to 16 letters and digits, a CNIC 13
 * digits, the dates imp_date_partial's.
 */
int
imp_histfile_add(struct imp_histfile_build *b, const struct imp_passport *p,
		 const uint64_t *keys, size_t nkeys, unsigned father, struct imp_err *e)
{
	const char *name[3] = { p->surname ? p->surname : "", p->given_names ? p->given_names : "",
				p->father_name ? p->father_name : "" };
	static const unsigned char pad[4];
	unsigned char fixed[2 + 16 + 15];
	size_t len = strlen(p->number), i;
	int raw = !plain_words(name[0]) || !plain_words(name[1]) || !plain_words(name[2]);
	uint32_t ref = (uint32_t)(b->at / 4), tag;

	if (b->at / 4 > UINT32_MAX - 1 || len > 16)
		return imp_fail(e, EX_SOFTWARE, "the history's base file holds at most 16 GB of "
				"passports");
	imp_buf_reset(&b->rec);
	fixed[0] = (unsigned char)(status_code(p->status) | sex_code(p->sex) << 2 |
				   (raw ? F_RAW_NAMES : 0));
	fixed[1] = (unsigned char)len;
	memcpy(fixed + 2, p->number, len);
	put_le(fixed + 2 + len, p->cnic && *p->cnic ? strtoull(p->cnic, NULL, 10) + 1 : 0, 6);
	put_le(fixed + 8 + len, pack_date(p->date_of_birth), 3);
	put_le(fixed + 11 + len, pack_date(p->issued_on), 3);
	put_le(fixed + 14 + len, pack_date(p->expires_on), 3);
	imp_buf_add(&b->rec, fixed, 17 + len);
	if (names_in(b, name, raw) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_buf_add(&b->rec, pad, (4 - b->rec.len % 4) % 4);
	if (fwrite_unlocked(b->rec.p, 1, b->rec.len, b->out) != b->rec.len)
		return io_error(b, "a record");
	b->at += b->rec.len;
	b->count++;
	if (entry_out(b, IMP_HF_NUMBER, imp_store_hash(p->number), ref, 0) != 0 ||
	    (p->cnic && *p->cnic &&
	     entry_out(b, IMP_HF_CNIC, imp_store_hash(p->cnic), ref, 0) != 0))
		return b->e->code;
	tag = nkeys > 0 ? tag_of(p->date_of_birth, p->sex, father) : 0;
	for (i = 0; i < nkeys; i++)
		if (entry_out(b, IMP_HF_KEY, keys[i], ref, tag) != 0)
			return b->e->code;
	return 0;
}

uint64_t
imp_histfile_built(const struct imp_histfile_build *b)
{
	return b->count;
}

static int
read_part(struct imp_histfile_build *b, int ix, FILE *f, struct imp_pair **v, size_t *n)
{
	unsigned char buf[(12 + TAG) * 4096];
	size_t got, i, cap = 0, k = part_size(ix);
	struct imp_pair *w;
	off_t size;

	if (fflush(f) != 0 || (size = ftello(f)) < 0 || fseeko(f, 0, SEEK_SET) != 0)
		return io_error(b, "an index");
	cap = (size_t)size / k;
	if ((*v = malloc((cap ? cap : 1) * sizeof **v)) == NULL)
		return imp_fail(b->e, EX_SOFTWARE, "out of memory sorting the history's index");
	*n = 0;
	while ((got = fread(buf, k, 4096, f)) > 0 && *n + got <= cap)
		for (i = 0; i < got; i++) {
			w = &(*v)[(*n)++];
			w->key = get_le(buf + k * i, 8);
			w->value = get_le(buf + k * i + 8, (unsigned)k - 8);   /* ref, tag above */
		}
	return *n == cap ? 0 : io_error(b, "reading an index back");
}

/* Two entries of the number index with one hash: the same number twice? */
static int
same_number(struct imp_histfile_build *b, struct imp_histfile *f, const struct imp_pair *x,
	    const struct imp_pair *y, const char *what)
{
	struct imp_passport p;
	char a[17];

	if (imp_histfile_get(f, (uint32_t)x->value, &p) != 0)
		return imp_fail(b->e, EX_SOFTWARE, "the history's base file reads back damaged");
	snprintf(a, sizeof a, "%s", p.number);
	if (imp_histfile_get(f, (uint32_t)y->value, &p) != 0)
		return imp_fail(b->e, EX_SOFTWARE, "the history's base file reads back damaged");
	if (strcmp(a, p.number) != 0)
		return 0;
	return imp_fail(b->e, EX_DATAERR, "%s: passport %s is on more than one row: a passport "
			"is one row of the history, so the file is refused: keep its last row and "
			"load it again", what, a);
}

/* An index: its entries sorted part by part, then the table of where each bucket starts. */
static int
index_out(struct imp_histfile_build *b, int ix, struct ix_header *h, struct imp_histfile *f,
	  const char *what)
{
	uint64_t nb, k = 0, bucket, next = 0;
	unsigned char v[8 + 4 + TAG];
	uint32_t *tab;
	struct imp_pair *e = NULL;
	size_t n, i, p;
	int rc = 0;

	h->n = b->nent[ix];
	h->bits = table_bits(h->n);
	h->width = (64 - h->bits + 7) / 8;
	h->tag = ix == IMP_HF_KEY ? TAG : 0;
	nb = (uint64_t)1 << h->bits;
	h->off = (HEADER + b->at + 3) & ~(uint64_t)3;
	if ((tab = calloc(nb + 1, sizeof *tab)) == NULL)
		return imp_fail(b->e, EX_SOFTWARE, "out of memory");
	if (fseeko(b->out, (off_t)(h->off + 4 * (nb + 1)), SEEK_SET) != 0)
		rc = io_error(b, "an index");
	for (p = 0; rc == 0 && p < PARTS; p++) {
		if ((rc = read_part(b, ix, b->part[ix][p], &e, &n)) != 0 ||
		    (imp_pairs_sort(e, n) != 0 && (rc = imp_fail(b->e, EX_SOFTWARE, "out of memory")))) {
			break;
		}
		for (i = 0; rc == 0 && i < n; i++, k++) {
			if (ix == IMP_HF_NUMBER && f != NULL && i > 0 && e[i].key == e[i - 1].key)
				rc = same_number(b, f, &e[i - 1], &e[i], what);
			bucket = e[i].key >> (64 - h->bits);
			while (next <= bucket)
				tab[next++] = (uint32_t)k;
			put_le(v, e[i].key, h->width);
			put_le(v + h->width, e[i].value, 4 + h->tag);
			if (fwrite_unlocked(v, 1, h->width + 4 + h->tag, b->out) !=
			    h->width + 4 + h->tag)
				rc = io_error(b, "an index");
		}
		free(e);
		e = NULL;
		fclose(b->part[ix][p]);
		b->part[ix][p] = NULL;
	}
	while (next <= nb)
		tab[next++] = (uint32_t)k;
	if (rc == 0 && (fseeko(b->out, (off_t)h->off, SEEK_SET) != 0 ||
			fwrite(tab, 4, nb + 1, b->out) != nb + 1 || fseeko(b->out, 0, SEEK_END) != 0))
		rc = io_error(b, "an index");
	free(tab);
	if (rc == 0)
		b->at = (uint64_t)ftello(b->out) - HEADER;
	return rc;
}

struct word_list {
	char **w;
	size_t n, cap;
};

static int
word_add(void *arg, const char *word, uint64_t n)
{
	struct word_list *l = arg;
	char **v;

	(void)n;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		if ((v = realloc(l->w, l->cap * sizeof *v)) == NULL)
			return -1;
		l->w = v;
	}
	l->w[l->n++] = (char *)word;
	return 0;
}

static int
by_word(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The word counts: sorted words, each with its two counts. */
static int
counts_out(struct imp_histfile_build *b, struct imp_map *name, struct imp_map *father,
	  struct header *h)
{
	struct word_list l = { NULL, 0, 0 };
	struct imp_buf blob = { 0 };
	uint32_t v[3];
	uint64_t x;
	size_t i;
	int rc = 0;

	if (imp_map_each(name, word_add, &l) != 0 || imp_map_each(father, word_add, &l) != 0)
		rc = imp_fail(b->e, EX_SOFTWARE, "out of memory");
	if (l.n > 0)
		qsort(l.w, l.n, sizeof *l.w, by_word);
	h->words_off = (HEADER + b->at + 3) & ~(uint64_t)3;
	if (rc == 0 && fseeko(b->out, (off_t)h->words_off, SEEK_SET) != 0)
		rc = io_error(b, "the names");
	for (i = 0, h->nwords = 0; rc == 0 && i < l.n; i++) {
		if (i > 0 && strcmp(l.w[i], l.w[i - 1]) == 0)
			continue;
		v[0] = (uint32_t)blob.len;
		v[1] = imp_map_get(name, l.w[i], &x) == 0 ? (uint32_t)x : 0;
		v[2] = imp_map_get(father, l.w[i], &x) == 0 ? (uint32_t)x : 0;
		imp_buf_add(&blob, l.w[i], strlen(l.w[i]) + 1);
		h->nwords++;
		if (fwrite(v, 4, 3, b->out) != 3)
			rc = io_error(b, "the names");
	}
	h->words_size = blob.len;
	if (rc == 0 && blob.len > 0 && fwrite(blob.p, 1, blob.len, b->out) != blob.len)
		rc = io_error(b, "the names");
	imp_buf_free(&blob);
	free(l.w);
	if (rc == 0)
		b->at = (uint64_t)ftello(b->out) - HEADER;
	return rc;
}

static int
dict_out(struct imp_histfile_build *b, struct header *h)
{
	h->dict_off = (HEADER + b->at + 3) & ~(uint64_t)3;
	h->ndict = b->ndict;
	h->dict_size = b->dict_blob.len;
	if (b->dict_off == NULL && (b->dict_off = calloc(1, sizeof *b->dict_off)) == NULL)
		return imp_fail(b->e, EX_SOFTWARE, "out of memory");
	b->dict_off[b->ndict] = (uint32_t)b->dict_blob.len;
	if (fseeko(b->out, (off_t)h->dict_off, SEEK_SET) != 0 ||
	    fwrite(b->dict_off, 4, b->ndict + 1, b->out) != b->ndict + 1 ||
	    (b->dict_blob.len > 0 &&
	     fwrite(b->dict_blob.p, 1, b->dict_blob.len, b->out) != b->dict_blob.len))
		return io_error(b, "the dictionary");
	b->at = (uint64_t)ftello(b->out) - HEADER;
	return 0;
}

/*
 * The file complete but not in place: the dictionary, the word counts, the
 * indexes (a number twice in the import refuses it: what names the
 * import), the header last; synced.
 */
int
imp_histfile_finish(struct imp_histfile_build *b, struct imp_map *count_name,
		    struct imp_map *count_father, const char *what)
{
	struct header h;
	struct imp_histfile *f = NULL;
	int rc, ix;

	memset(&h, 0, sizeof h);
	memcpy(h.magic, MAGIC, 8);
	h.count = b->count;
	h.rec_off = HEADER;
	h.rec_size = b->at;
	if ((rc = dict_out(b, &h)) != 0 || (rc = counts_out(b, count_name, count_father, &h)) != 0)
		return rc;
	for (ix = IMP_HF_NINDEX - 1; ix >= 0; ix--) {
		if (ix == IMP_HF_NUMBER) {
			/* the records written so far, read back to tell a number twice */
			if (fflush(b->out) != 0)
				return io_error(b, "the records");
			h.size = (uint64_t)ftello(b->out);
			if ((f = calloc(1, sizeof *f)) == NULL)
				return imp_fail(b->e, EX_SOFTWARE, "out of memory");
			f->size = h.size;
			f->bucket_ix = -1;
			if ((f->fd = dup(b->fd)) < 0) {
				free(f);
				return io_error(b, "reading it back");
			}
			f->map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, b->fd, 0);
			if (f->map == MAP_FAILED) {
				close(f->fd);
				free(f);
				return io_error(b, "mapping it");
			}
			f->rec = HEADER;
			f->rec_size = h.rec_size;
			f->dict_off = (const uint32_t *)(f->map + h.dict_off);
			f->dict = (const char *)(f->dict_off + h.ndict + 1);
			f->ndict = h.ndict;
		}
		rc = index_out(b, ix, &h.ix[ix], f, what);
		if (rc != 0)
			break;
	}
	imp_histfile_close(f);
	if (rc != 0)
		return rc;
	if (fflush(b->out) != 0)
		return io_error(b, "flushing");
	h.size = (uint64_t)ftello(b->out);
	if (pwrite(b->fd, &h, sizeof h, 0) != (ssize_t)sizeof h || fsync(b->fd) != 0)
		return io_error(b, "the header");
	return 0;
}

/* The finished file in place of PATH-history; the folder synced. */
int
imp_histfile_commit(struct imp_histfile_build *b)
{
	char dir[4096];
	int fd;

	if (rename(b->tmp, b->path) != 0)
		return io_error(b, "putting it in place");
	b->tmp[0] = '\0';
	snprintf(dir, sizeof dir, "%s", b->path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* Frees the builder; a file not committed is removed. */
void
imp_histfile_abort(struct imp_histfile_build *b)
{
	size_t i, j;

	if (b == NULL)
		return;
	if (b->out != NULL)
		fclose(b->out);
	if (b->fd >= 0)
		close(b->fd);
	if (b->tmp[0] != '\0')
		unlink(b->tmp);
	for (i = 0; i < IMP_HF_NINDEX; i++)
		for (j = 0; j < PARTS; j++)
			if (b->part[i][j] != NULL)
				fclose(b->part[i][j]);
	imp_map_free(b->dict);
	imp_buf_free(&b->dict_blob);
	imp_buf_free(&b->rec);
	imp_buf_free(&b->word);
	free(b->dict_off);
	free(b);
}
