/* SPDX-License-Identifier: ISC */
/*
 * The NADRA extract (SPEC 5.2), up to hundreds of millions of rows, as an
 * index file (format 2): a header, the rows' fields (NUL separated), the
 * (CNIC, offset) entries sorted by CNIC in blocks of BLOCK entries of 12
 * bytes, each block one page of the file (4,096 bytes, aligned), then the
 * directory: the last CNIC of each block. The directory is read whole at
 * open (8 bytes a block: 2.8 MB for 120 M rows); a lookup is a binary
 * search of it in memory, then one pread of one block and one of the
 * row's fields: the same two reads against 1 M rows as against 120 M
 * (format 1 searched the array itself with pread, a few reads more at
 * 120 M, each a page of its own). The file is read with pread, not mapped:
 * on this machine (a virtual one) a page fault costs 30-70 us against 5 us
 * for a pread from the page cache, and the pages stay out of the process's
 * memory. Building it reads the CSV once, writing the fields as they come
 * and keeping only the (CNIC, offset) pairs in memory (16 bytes a row); a
 * CSV given to imp_nadra_open is indexed into an unlinked temporary file
 * the same way. The header and directory are in this machine's byte order,
 * the entries little-endian: build it where it is used.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "impass.h"

#define MAGIC "IMPNADR2"
#define MAGIC_OLD "IMPNADR"           /* any format: its first 7 bytes */
#define HEADER 128
#define PAGE 4096
#define ENTRY 12                      /* CNIC, offset: 6 bytes each, little-endian */
#define BLOCK (PAGE / ENTRY)          /* 341 entries, then 4 bytes of padding */
#define MAX_OFF ((uint64_t)1 << 48)

struct header {
	char magic[8];
	uint64_t count;
	uint64_t entries;             /* offset of the first block (a multiple of PAGE) */
	uint64_t skipped;             /* rows of the CSV that could not be indexed */
	uint64_t dir;                 /* offset of the directory */
	uint64_t known;               /* 1: the extract's size and time below */
	uint64_t csv_size;            /* the extract's, when it was indexed */
	int64_t csv_sec, csv_nsec;    /* its modification time then */
	char pad[HEADER - 72];
};
_Static_assert(sizeof(struct header) == HEADER, "the header's size");

#define ROW_READ 256                  /* bytes read of a row first (most are < 120) */
#define MAX_FOUND 8                   /* rows of one CNIC given at most */

struct imp_nadra {
	int fd;
	uint64_t entries;             /* where the blocks start */
	uint64_t n, skipped;
	uint64_t nblocks;
	uint64_t *dir;                /* the last CNIC of each block */
	struct header h;
	unsigned char block[PAGE];    /* the block read last */
	char *rows;                   /* the fields of the rows found last */
	size_t rows_cap;
	uint64_t hint, hint_cnic;     /* the block where the last look-up began, and its CNIC */
};

static const char *const columns[] = {
	"cnic", "name", "father_name", "date_of_birth", "sex", "status",
};
#define NCOL (sizeof columns / sizeof *columns)

struct build {
	int fd;
	uint64_t at;                  /* where the next row's fields go */
	struct imp_pair *v;           /* (CNIC, offset) */
	uint64_t n, cap, skipped;
	size_t col[NCOL];
	size_t ncols;                 /* fields in the header */
	struct stat st;               /* the extract's before it is read */
	int known;                    /* st is (the extract is a file) */
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

static void
put48(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 6; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t
get48(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 5; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Bytes of the blocks of n entries: full pages, then the last block's entries. */
static uint64_t
blocks_size(uint64_t n)
{
	return n / BLOCK * PAGE + n % BLOCK * ENTRY;
}

/*
 * Fields, then the blocks of sorted entries, then the directory, then the
 * header: a half-written index has no magic.
 */
static int
finish(struct build *b)
{
	static const char zeros[PAGE];
	unsigned char ent[ENTRY];
	uint64_t i, nblocks = (b->n + BLOCK - 1) / BLOCK, *dir = NULL;
	struct header h;
	int rc;

	if (b->at >= MAX_OFF)
		return imp_fail(b->e, EX_DATAERR, "the NADRA extract's fields are over %" PRIu64
				" bytes: too large for the index", MAX_OFF);
	if (b->at % PAGE != 0 && (rc = put(b, zeros, PAGE - b->at % PAGE)) != 0)
		return rc;                     /* a block is a page of the file */
	/* by CNIC, a CNIC's rows in the order of the file (offsets grow) */
	if (imp_pairs_sort(b->v, b->n) != 0 ||
	    (nblocks > 0 && (dir = malloc(nblocks * sizeof *dir)) == NULL))
		return imp_fail(b->e, EX_SOFTWARE, "out of memory sorting the NADRA index");
	memset(&h, 0, sizeof h);
	h.count = b->n;
	h.entries = b->at;
	h.skipped = b->skipped;
	if (b->known) {
		h.known = 1;
		h.csv_size = (uint64_t)b->st.st_size;
		h.csv_sec = b->st.st_mtim.tv_sec;
		h.csv_nsec = b->st.st_mtim.tv_nsec;
	}
	for (i = 0, rc = 0; i < b->n && rc == 0; i++) {
		put48(ent, b->v[i].key);
		put48(ent + 6, b->v[i].value);
		rc = put(b, (const char *)ent, ENTRY);
		if (i % BLOCK == BLOCK - 1 || i == b->n - 1)
			dir[i / BLOCK] = b->v[i].key;
		if (rc == 0 && i % BLOCK == BLOCK - 1)
			rc = put(b, zeros, PAGE - BLOCK * ENTRY);
	}
	if (rc == 0 && b->at % 8 != 0)
		rc = put(b, zeros, 8 - b->at % 8);
	h.dir = b->at;
	for (i = 0; i < nblocks && rc == 0; i++)
		rc = put(b, (const char *)&dir[i], sizeof *dir);
	free(dir);
	if (rc != 0 || (rc = flush(b)) != 0)
		return rc;
	memcpy(h.magic, MAGIC, 8);
	if (pwrite(b->fd, &h, sizeof h, 0) != (ssize_t)sizeof h || fsync(b->fd) != 0)
		return imp_fail(b->e, EX_IOERR, "cannot write the NADRA index: %s", strerror(errno));
	return 0;
}

/* Whether path is still the file of size and modification time st. */
static int
same_file(const char *path, const struct stat *st)
{
	struct stat now;

	return stat(path, &now) == 0 && now.st_size == st->st_size &&
	       now.st_mtim.tv_sec == st->st_mtim.tv_sec && now.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
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
	b->known = strcmp(csv, "-") != 0 && stat(csv, &b->st) == 0 && S_ISREG(b->st.st_mode);
	rc = put(b, zero, HEADER);
	if (rc == 0)
		rc = imp_csv_read(csv, on_row, b, e);
	if (rc == 0 && b->known && !same_file(csv, &b->st))
		rc = imp_fail(e, EX_DATAERR, "the NADRA extract %s changed while it was indexed: "
			      "index it again", csv);
	if (rc == 0)
		rc = finish(b);
	*rows = b->n;
	*skipped = b->skipped;
	free(b->v);
	free(b);
	return rc;
}

static int
open_index(struct imp_nadra *n, int fd, const char *path, struct imp_err *e)
{
	struct header h;
	struct stat st;
	uint64_t i, nblocks;

	if (fstat(fd, &st) != 0 || st.st_size < HEADER || pread(fd, &h, sizeof h, 0) != HEADER)
		goto damaged;
	if (memcmp(h.magic, MAGIC, 8) != 0)
		return imp_fail(e, EX_DATAERR, "NADRA index %s was made by another version of "
				"verify-nadra (format %c, this one reads format %c): build it "
				"again with verify-nadra --index", path,
				h.magic[7] >= '0' && h.magic[7] <= '9' ? h.magic[7] : '?', MAGIC[7]);
	nblocks = (h.count + BLOCK - 1) / BLOCK;
	if (h.count >= MAX_OFF || h.entries < HEADER || h.entries % PAGE != 0 ||
	    h.entries >= MAX_OFF || h.dir != ((h.entries + blocks_size(h.count) + 7) & ~(uint64_t)7) ||
	    (uint64_t)st.st_size != h.dir + nblocks * sizeof *n->dir)
		goto damaged;
	if (nblocks > 0 && (n->dir = malloc(nblocks * sizeof *n->dir)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (nblocks > 0 && imp_pread_full(fd, n->dir, nblocks * sizeof *n->dir, h.dir) != 0)
		goto damaged;
	for (i = 1; i < nblocks; i++)
		if (n->dir[i] < n->dir[i - 1])
			goto damaged;
	n->fd = fd;
	n->entries = h.entries;
	n->n = h.count;
	n->nblocks = nblocks;
	n->skipped = h.skipped;
	n->h = h;
	n->hint_cnic = UINT64_MAX;
	return 0;
damaged:
	return imp_fail(e, EX_DATAERR, "NADRA index %s is damaged: build it again with "
			"verify-nadra --index", path);
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
	n->fd = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the NADRA extract %s: %s", path,
				strerror(errno));
	if (read(fd, magic, 8) != 8 || memcmp(magic, MAGIC_OLD, 7) != 0) {
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
	if ((rc = open_index(n, fd, path, e)) != 0)
		close(fd);
	return rc;
}

/*
 * Whether n was made from csv as it is now: the same size and modification
 * time as when it was indexed (a stat, not a read of the extract: a copy of
 * it with another time is refused too). 65 when not, naming the command.
 */
int
imp_nadra_extract(const struct imp_nadra *n, const char *index, const char *csv,
		  struct imp_err *e)
{
	struct stat st;

	if (stat(csv, &st) != 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the NADRA extract %s: %s", csv,
				strerror(errno));
	if (!n->h.known)
		return imp_fail(e, EX_DATAERR, "the NADRA index %s was made from standard input, "
				"not from a file: build it with verify-nadra --index %s -o %s",
				index, csv, index);
	if ((uint64_t)st.st_size != n->h.csv_size || st.st_mtim.tv_sec != n->h.csv_sec ||
	    st.st_mtim.tv_nsec != n->h.csv_nsec)
		return imp_fail(e, EX_DATAERR, "the NADRA index %s is not that of %s (made from "
				"another extract, or before %s changed: its size or time differs): "
				"build it again with verify-nadra --index %s -o %s", index, csv, csv,
				csv, index);
	return 0;
}

uint64_t
imp_nadra_rows(const struct imp_nadra *n)
{
	return n->n;
}

static int
grow(void **p, size_t *cap, size_t n)
{
	void *q;

	if (n <= *cap)
		return 0;
	if ((q = realloc(*p, n)) == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* Block k into n->block; its entries, 0 when it cannot be read. */
static uint64_t
block_at(struct imp_nadra *n, uint64_t k)
{
	uint64_t len = k + 1 < n->nblocks || n->n % BLOCK == 0 ? BLOCK : n->n % BLOCK;

	if (imp_pread_full(n->fd, n->block, (size_t)(len * ENTRY), n->entries + k * PAGE) != 0)
		return 0;
	return len;
}

/*
 * The fields of the row at off into n->rows from *used on, each NUL
 * terminated ("" for fields it lacks); *used then past them. -1 when out of
 * memory. A row ends where the array starts.
 */
static int
row_at(struct imp_nadra *n, uint64_t off, size_t *used)
{
	uint64_t left = off >= HEADER && off < n->entries ? n->entries - off : 0, want;
	size_t i = 0, nul = 0;

	for (want = ROW_READ;; want *= 16) {
		if (want > left)
			want = left;
		if (grow((void **)&n->rows, &n->rows_cap, *used + (size_t)want + 5) != 0)
			return -1;
		if (want > 0 && imp_pread_full(n->fd, n->rows + *used, (size_t)want, off) != 0)
			want = left = 0;
		for (i = 0, nul = 0; i < want && nul < 5; i++)
			nul += n->rows[*used + i] == '\0';
		if (nul == 5 || want == left)
			break;
	}
	for (; nul < 5; nul++)                /* fields it lacks: "" */
		n->rows[*used + i++] = '\0';
	*used += i;
	return 0;
}

/*
 * Entries of block k from entry a to b into n->block; -1 when they cannot
 * be read.
 */
static int
entries_at(struct imp_nadra *n, uint64_t k, uint64_t a, uint64_t b)
{
	return imp_pread_full(n->fd, n->block, (size_t)((b - a) * ENTRY),
			      n->entries + k * PAGE + a * ENTRY);
}

/*
 * The offsets of cnic's rows, at most max of them in off; returns how many
 * there are (0 also when the index cannot be read). A look-up of a CNIC not
 * below the last one's searches the directory from where that one began
 * (within WINDOW_DIR blocks of it first): CNICs looked up in ascending
 * order walk the directory in its order. Inside a block whose rows of
 * cnic cannot run into the next one (the block before ends below cnic,
 * this one past it), WINDOW entries around where cnic would be if the
 * block's CNICs were evenly spread are read first (384 bytes, not 4 KB);
 * when they do not enclose cnic the whole block is read, as always.
 */
#define WINDOW 32
#define WINDOW_DIR 64

size_t
imp_nadra_offsets(struct imp_nadra *n, uint64_t cnic, uint64_t *off, size_t max)
{
	uint64_t lo = 0, hi = n->nblocks, mid, len, k = 0, a, b;
	size_t i;

	if (cnic >= n->hint_cnic) {           /* every block before the hint ends below cnic */
		lo = n->hint;
		if (lo + WINDOW_DIR < hi && n->dir[lo + WINDOW_DIR] >= cnic)
			hi = lo + WINDOW_DIR;
	}
	/* the first block whose last CNIC is not below cnic: its rows start there */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (n->dir[mid] < cnic)
			lo = mid + 1;
		else
			hi = mid;
	}
	n->hint = lo;
	n->hint_cnic = cnic;
	if (lo > 0 && lo < n->nblocks && n->dir[lo] > cnic) {
		len = lo + 1 < n->nblocks || n->n % BLOCK == 0 ? BLOCK : n->n % BLOCK;
		a = (uint64_t)((double)(cnic - n->dir[lo - 1]) /
			       (double)(n->dir[lo] - n->dir[lo - 1]) * (double)len);
		a = a > WINDOW / 2 ? a - WINDOW / 2 : 0;
		if (len >= WINDOW && a > len - WINDOW)
			a = len - WINDOW;
		b = a + WINDOW < len ? a + WINDOW : len;
		if (entries_at(n, lo, a, b) != 0)
			return 0;
		if ((a == 0 || get48(n->block) < cnic) &&
		    (b == len || get48(n->block + (b - a - 1) * ENTRY) > cnic)) {
			for (i = 0; i < b - a && get48(n->block + i * ENTRY) < cnic; i++)
				;
			for (; i < b - a && get48(n->block + i * ENTRY) == cnic; i++)
				if (k++ < max)
					off[k - 1] = get48(n->block + i * ENTRY + 6);
			return (size_t)k;
		}
	}
	for (; lo < n->nblocks; lo++) {
		if ((len = block_at(n, lo)) == 0)
			return 0;
		hi = len;                      /* the first entry not below cnic */
		for (i = 0; k == 0 && i < hi; ) {
			mid = i + (hi - i) / 2;
			if (get48(n->block + mid * ENTRY) < cnic)
				i = mid + 1;
			else
				hi = mid;
		}
		for (i = k == 0 ? hi : 0; i < len && get48(n->block + i * ENTRY) == cnic; i++)
			if (k++ < max)
				off[k - 1] = get48(n->block + i * ENTRY + 6);
		if (i < len || n->dir[lo] != cnic)
			break;                 /* the next block starts past cnic */
	}
	return (size_t)k;
}

/* The five fields of the row at off (an offset imp_nadra_offsets gave),
 * each NUL terminated, appended to out; -1 when out of memory. */
int
imp_nadra_fields(struct imp_nadra *n, uint64_t off, struct imp_buf *out)
{
	size_t used = 0;

	if (row_at(n, off, &used) != 0)
		return -1;
	imp_buf_add(out, n->rows, used);
	return out->oom ? -1 : 0;
}

/* The rows of cnic, at most max of them in out; returns how many there are
 * (0 also when the index cannot be read). */
size_t
imp_nadra_find(struct imp_nadra *n, uint64_t cnic, struct imp_citizen *out, size_t max)
{
	uint64_t off[MAX_FOUND];
	size_t used = 0, at[MAX_FOUND], i, j, k;

	if (max > MAX_FOUND)
		max = MAX_FOUND;
	k = imp_nadra_offsets(n, cnic, off, max);
	for (j = 0; j < k && j < max; j++) {
		at[j] = used;
		if (row_at(n, off[j], &used) != 0)
			return 0;
	}
	for (j = 0; j < k && j < max; j++) {   /* n->rows no longer moves */
		const char **f[5] = { &out[j].name, &out[j].father_name, &out[j].date_of_birth,
				      &out[j].sex, &out[j].status };
		const char *p = n->rows + at[j];

		for (i = 0; i < 5; i++, p += strlen(p) + 1)
			*f[i] = p;
	}
	return k;
}

void
imp_nadra_close(struct imp_nadra *n)
{
	if (n == NULL)
		return;
	if (n->fd >= 0)
		close(n->fd);
	free(n->dir);
	free(n->rows);
	free(n);
}
