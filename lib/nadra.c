/* SPDX-License-Identifier: ISC */
/*
 * The NADRA extract (SPEC 5.2), up to tens of millions of rows, as an index
 * file: a header, the rows' fields (NUL separated), and an array of
 * (CNIC, offset) sorted by CNIC, found by binary search in a read-only
 * mapping. Building it reads the CSV once, writing the fields as they come
 * and keeping only the array in memory (16 bytes a row); a CSV given to
 * imp_nadra_open is indexed into an unlinked temporary file the same way.
 * The file is in this machine's byte order: build it where it is used.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "impass.h"

#define MAGIC "IMPNADR1"
#define HEADER 64

struct header {
	char magic[8];
	uint64_t count;
	uint64_t entries;             /* offset of the sorted array */
	uint64_t skipped;             /* rows of the CSV that could not be indexed */
	char pad[HEADER - 32];
};

struct entry {
	uint64_t cnic;
	uint64_t off;
};

struct imp_nadra {
	const unsigned char *map;
	size_t size;
	const struct entry *v;
	uint64_t n, skipped;
	uint64_t lookups;
};

#define DROP_EVERY 4096               /* lookups between dropping the mapped pages, */
#define DROP_OVER ((size_t)1 << 30)   /* of an index larger than this */

static const char *const columns[] = {
	"cnic", "name", "father_name", "date_of_birth", "sex", "status",
};
#define NCOL (sizeof columns / sizeof *columns)

struct build {
	int fd;
	uint64_t at;                  /* where the next row's fields go */
	struct imp_pair *v;           /* (CNIC, offset): struct entry's layout */
	uint64_t n, cap, skipped;
	size_t col[NCOL];
	size_t ncols;                 /* fields in the header */
	char buf[1 << 16];
	size_t used;
	struct imp_err *e;
};

/* 13 digits, dashes allowed as 12345-1234567-1. */
int
imp_cnic_parse(const char *s, uint64_t *out)
{
	size_t n = strlen(s), i, k = 0;

	*out = 0;
	if (n != 13 && !(n == 15 && s[5] == '-' && s[13] == '-'))
		return -1;
	for (i = 0; i < n; i++) {
		if (n == 15 && (i == 5 || i == 13))
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (uint64_t)(s[i] - '0');
		k++;
	}
	return k == 13 ? 0 : -1;
}

static int
flush(struct build *b)
{
	size_t done = 0;
	ssize_t w;

	while (done < b->used) {
		if ((w = write(b->fd, b->buf + done, b->used - done)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return imp_fail(b->e, EX_IOERR, "cannot write the NADRA index: %s",
					strerror(errno));
		done += (size_t)w;
	}
	b->used = 0;
	return 0;
}

static int
put(struct build *b, const char *s, size_t n)
{
	int rc;

	if (b->used + n > sizeof b->buf && (rc = flush(b)) != 0)
		return rc;
	if (n > sizeof b->buf)
		return imp_fail(b->e, EX_DATAERR, "a NADRA row is too long");
	memcpy(b->buf + b->used, s, n);
	b->used += n;
	b->at += n;
	return 0;
}

static int
header_row(struct build *b, const struct imp_csv_row *row, struct imp_err *e)
{
	b->ncols = row->n;
	return imp_csv_header(row, "a NADRA extract", columns, NCOL, b->col, e);
}

static int
data_row(struct build *b, const struct imp_csv_row *row, struct imp_err *e)
{
	struct imp_pair *v;
	uint64_t cnic;
	size_t j;
	int rc;

	if (row->n != b->ncols || imp_cnic_parse(row->field[b->col[0]], &cnic) != 0) {
		b->skipped++;
		if (b->skipped <= 5)
			imp_warn("verify-nadra", NULL, "%s line %lu: no CNIC of 13 digits, or the "
				 "wrong number of fields; the row is left out", row->file, row->line);
		return 0;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 1 << 16;
		if ((v = realloc(b->v, b->cap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory indexing the NADRA extract");
		b->v = v;
	}
	b->v[b->n++] = (struct imp_pair){ cnic, b->at };
	for (j = 1; j < NCOL; j++)
		if ((rc = put(b, row->field[b->col[j]], row->len[b->col[j]] + 1)) != 0)
			return rc;
	return 0;
}

static int
on_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	return row->header ? header_row(arg, row, e) : data_row(arg, row, e);
}

/* Fields, then the sorted array, then the header: a half-written index has no magic. */
static int
finish(struct build *b)
{
	static const char zeros[8];
	struct header h;
	int rc;

	if (b->at % 8 != 0 && (rc = put(b, zeros, 8 - b->at % 8)) != 0)
		return rc;                     /* the array is read in place: align it */
	/* by CNIC, a CNIC's rows in the order of the file (offsets grow) */
	if (imp_pairs_sort(b->v, b->n) != 0)
		return imp_fail(b->e, EX_SOFTWARE, "out of memory sorting the NADRA index");
	memset(&h, 0, sizeof h);
	h.count = b->n;
	h.entries = b->at;
	h.skipped = b->skipped;
	if ((rc = flush(b)) != 0)
		return rc;
	if (b->n > 0 && pwrite(b->fd, b->v, b->n * sizeof *b->v, (off_t)b->at) !=
			(ssize_t)(b->n * sizeof *b->v))
		return imp_fail(b->e, EX_IOERR, "cannot write the NADRA index: %s", strerror(errno));
	memcpy(h.magic, MAGIC, 8);
	if (pwrite(b->fd, &h, sizeof h, 0) != (ssize_t)sizeof h || fsync(b->fd) != 0)
		return imp_fail(b->e, EX_IOERR, "cannot write the NADRA index: %s", strerror(errno));
	return 0;
}

/* Indexes the CSV into fd (an empty file). */
int
imp_nadra_build(const char *csv, int fd, uint64_t *rows, uint64_t *skipped, struct imp_err *e)
{
	struct build *b = calloc(1, sizeof *b);
	char zero[HEADER] = { 0 };
	int rc;

	if (b == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	b->fd = fd;
	b->e = e;
	rc = put(b, zero, HEADER);
	if (rc == 0)
		rc = imp_csv_read(csv, on_row, b, e);
	if (rc == 0)
		rc = finish(b);
	*rows = b->n;
	*skipped = b->skipped;
	free(b->v);
	free(b);
	return rc;
}

static int
map_index(struct imp_nadra *n, int fd, const char *path, struct imp_err *e)
{
	const struct header *h;
	struct stat st;

	if (fstat(fd, &st) != 0 || st.st_size < HEADER)
		return imp_fail(e, EX_DATAERR, "NADRA index %s is damaged: build it again with "
				"verify-nadra --index", path);
	n->size = (size_t)st.st_size;
	n->map = mmap(NULL, n->size, PROT_READ, MAP_SHARED, fd, 0);
	if (n->map == MAP_FAILED) {
		n->map = NULL;
		return imp_fail(e, EX_IOERR, "cannot map %s: %s", path, strerror(errno));
	}
	h = (const struct header *)n->map;
	if (h->entries < HEADER || h->entries > n->size || h->entries % 8 != 0 ||
	    (n->size - h->entries) / sizeof(struct entry) != h->count ||
	    (n->size - h->entries) % sizeof(struct entry) != 0)
		return imp_fail(e, EX_DATAERR, "NADRA index %s is damaged: build it again with "
				"verify-nadra --index", path);
	n->v = (const struct entry *)(n->map + h->entries);
	n->n = h->count;
	n->skipped = h->skipped;
	return 0;
}

static int
temporary(struct imp_err *e)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/impass-nadra-XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -imp_fail(e, EX_CANTCREAT, "cannot create a temporary file for the NADRA "
				 "index in %s: %s; set TMPDIR", path, strerror(errno));
	unlink(path);
	return fd;
}

/* An index file made by imp_nadra_build, or a CSV extract indexed now. */
int
imp_nadra_open(const char *path, struct imp_nadra **np, struct imp_err *e)
{
	struct imp_nadra *n;
	char magic[8];
	uint64_t rows, skipped;
	int fd, rc;

	if ((n = *np = calloc(1, sizeof *n)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the NADRA extract %s: %s", path,
				strerror(errno));
	if (read(fd, magic, 8) != 8 || memcmp(magic, MAGIC, 8) != 0) {
		close(fd);
		if ((fd = temporary(e)) < 0)
			return -fd;
		if ((rc = imp_nadra_build(path, fd, &rows, &skipped, e)) != 0) {
			close(fd);
			return rc;
		}
		if (skipped > 0)
			imp_warn("verify-nadra", NULL, "%s: %" PRIu64 " rows of %" PRIu64 " left out",
				 path, skipped, rows + skipped);
	}
	rc = map_index(n, fd, path, e);
	close(fd);
	return rc;
}

uint64_t
imp_nadra_rows(const struct imp_nadra *n)
{
	return n->n;
}

static void
fields(const struct imp_nadra *n, uint64_t off, struct imp_citizen *c)
{
	const char *p = (const char *)n->map + off, *end = (const char *)n->v;
	const char **f[5] = { &c->name, &c->father_name, &c->date_of_birth, &c->sex, &c->status };
	size_t i;

	for (i = 0; i < 5; i++) {
		if (p >= end || memchr(p, '\0', (size_t)(end - p)) == NULL) {
			*f[i] = "";
			continue;
		}
		*f[i] = p;
		p += strlen(p) + 1;
	}
}

/* The rows of cnic, at most max of them in out; returns how many there are. */
size_t
imp_nadra_find(struct imp_nadra *n, uint64_t cnic, struct imp_citizen *out, size_t max)
{
	uint64_t lo = 0, hi = n->n, mid, k;

	/* a register of 120 M rows is an 8 GB index: the pages a batch read go
	 * back to the page cache now and then instead of adding up in the
	 * process's memory (read again from the cache when touched again) */
	if (n->size > DROP_OVER && ++n->lookups % DROP_EVERY == 0)
		madvise((void *)n->map, n->size, MADV_DONTNEED);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (n->v[mid].cnic < cnic)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; lo + k < n->n && n->v[lo + k].cnic == cnic; k++)
		if (k < max)
			fields(n, n->v[lo + k].off, &out[k]);
	return (size_t)k;
}

void
imp_nadra_close(struct imp_nadra *n)
{
	if (n == NULL)
		return;
	if (n->map != NULL)
		munmap((void *)n->map, n->size);
	free(n);
}
