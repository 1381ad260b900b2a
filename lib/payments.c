/* SPDX-License-Identifier: ISC */
/*
 * The bank's payments export (receipt_no, amount, paid_on, channel,
 * status) as an index: a header, the receipts' entries in receipt order
 * (a receipt paid and reversed is reversed, one paid twice counts at its
 * first line), and (hash of the receipt, entry) pairs sorted by hash, found
 * through a table of where each value of the hash's top bits begins. verify-fee builds it in memory from the CSV on every
 * run, or once into a file beside the export (verify-fee --index) that
 * each run maps: reading the CSV was a tenth of verify-fee's time.
 *
 * A file is checked before it is used: its magic (a payments index), its
 * byte order and layout (this machine's, this version's), its size and the
 * SHA-256 of all after the header (not damaged), and the SHA-256 of the
 * export it was made from against the export named on the command line
 * (not stale: the bank's next export needs a new index).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fees.h"

#define PROG "verify-fee"
#define MAGIC "IMPPAYS1"
#define ORDER 0x01020304u
#define WARN_MAX 5                    /* receipts paid twice named, then counted */

struct header {                       /* HEADER bytes */
	char magic[8];
	uint32_t order;               /* ORDER in the writer's byte order */
	uint32_t entry_size;          /* sizeof(struct entry) */
	uint64_t count;               /* receipts */
	uint64_t twice;               /* receipts paid twice in the export */
	uint64_t csv_size;
	unsigned char csv_sha256[IMP_HASH_LEN];   /* of the export's bytes */
	unsigned char body_sha256[IMP_HASH_LEN];  /* of all after the header */
	char pad[24];
};
#define HEADER ((uint64_t)sizeof(struct header))

struct entry {                        /* one receipt, 96 bytes */
	int64_t amount;
	uint64_t line;
	char receipt[IMP_RECEIPT_MAX + 1];
	char channel[IMP_CHANNEL_MAX + 1];
	char paid_on[11];
	uint8_t status;
	char pad[2];
};

struct imp_payments {
	const unsigned char *base;    /* the header, entries and pairs */
	size_t size;
	int mapped;                   /* base is a mapping, not malloc'd */
	const struct entry *v;
	const struct imp_pair *pairs;
	uint64_t n, twice;
	uint32_t *start;              /* per top bits of a hash, its first pair */
	unsigned bits;
};

/* ---- the export's cells ----------------------------------------------------- */

int
imp_rupees(const char *s, long *out)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 7 || s[n] != '\0')
		return -1;
	*out = strtol(s, NULL, 10);
	return 0;
}

void
imp_ascii_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
}

int
imp_fee_cells(const struct imp_csv_row *row, const size_t *col, const char *const *cols,
	      size_t ncols, char (*cell)[IMP_CELL_MAX], const char *what, struct imp_err *e)
{
	const char *s;
	size_t i, len;

	if (row->n != ncols)
		return imp_fail(e, EX_DATAERR, "%s %s line %lu: %zu fields, the header has %zu; "
				"correct the file", what, row->file, row->line, row->n, ncols);
	for (i = 0; i < ncols; i++) {
		s = row->field[col[i]];
		s += strspn(s, " ");
		for (len = strlen(s); len > 0 && s[len - 1] == ' '; len--)
			;
		if (len >= IMP_CELL_MAX)
			return imp_fail(e, EX_DATAERR, "%s %s line %lu: the value of %s is longer "
					"than %d characters; correct the file", what, row->file,
					row->line, cols[i], IMP_CELL_MAX - 1);
		memcpy(cell[i], s, len);
		cell[i][len] = '\0';
	}
	return 0;
}

/* ---- building ------------------------------------------------------------------ */

static const char *const columns[] = { "receipt_no", "amount", "paid_on", "channel", "status" };
enum { P_RECEIPT, P_AMOUNT, P_PAID_ON, P_CHANNEL, P_STATUS, P_NCOLS };

struct build {
	const char *path;
	size_t col[P_NCOLS];
	char cell[P_NCOLS][IMP_CELL_MAX];
	struct imp_map *seen;         /* receipt -> index in v */
	struct entry *v;
	uint64_t n, cap, twice;
};

static uint64_t
receipt_hash(const char *s)
{
	return imp_hash_add(IMP_HASH_START, s, strlen(s));       /* FNV-1a */
}

static int
add(struct build *b, const struct entry *p, struct imp_err *e)
{
	struct entry *grown, *old;
	uint64_t k;
	int rc;

	if ((rc = imp_map_put(b->seen, p->receipt, b->n, &k)) < 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (rc > 0) {                 /* listed before: a reversal wins */
		old = &b->v[k];
		if (p->status == IMP_PAY_REVERSED && old->status == IMP_PAY_PAID)
			*old = *p;
		else if (p->status == IMP_PAY_PAID && old->status == IMP_PAY_PAID &&
			 ++b->twice <= WARN_MAX)
			imp_warn(PROG, NULL, "payments %s line %" PRIu64 ": receipt %s is paid twice "
				 "in the export (line %" PRIu64 " first, which counts); ask the bank",
				 b->path, p->line, p->receipt, old->line);
		return 0;
	}
	if (b->n == b->cap) {
		if ((grown = reallocarray(b->v, b->cap ? b->cap * 2 : 1024, sizeof *grown)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		b->v = grown;
		b->cap = b->cap ? b->cap * 2 : 1024;
	}
	b->v[b->n++] = *p;
	return 0;
}

static int
payment_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct build *b = arg;
	char (*c)[IMP_CELL_MAX] = b->cell;
	struct entry p;
	struct imp_date d;
	long amount;
	int rc;

	if (row->header)
		return imp_csv_header(row, "the payments export", columns, P_NCOLS, b->col, e);
	if ((rc = imp_fee_cells(row, b->col, columns, P_NCOLS, c, "payments", e)) != 0)
		return rc;
	imp_ascii_lower(c[P_STATUS]);
	memset(&p, 0, sizeof p);
	p.line = row->line;
	if (c[P_RECEIPT][0] == '\0' || strlen(c[P_RECEIPT]) > IMP_RECEIPT_MAX)
		return imp_fail(e, EX_DATAERR, "payments %s line %lu: receipt_no '%s' is empty or "
				"longer than %d characters; correct the export", row->file,
				row->line, c[P_RECEIPT], IMP_RECEIPT_MAX);
	if (imp_rupees(c[P_AMOUNT], &amount) != 0)
		return imp_fail(e, EX_DATAERR, "payments %s line %lu: amount '%s' is not a whole "
				"number of rupees (0 to 9999999); correct the export", row->file,
				row->line, c[P_AMOUNT]);
	if (imp_date_iso(c[P_PAID_ON], &d) != 0)
		return imp_fail(e, EX_DATAERR, "payments %s line %lu: paid_on '%s' is not a date "
				"YYYY-MM-DD; correct the export", row->file, row->line, c[P_PAID_ON]);
	if (strcmp(c[P_STATUS], "paid") == 0)
		p.status = IMP_PAY_PAID;
	else if (strcmp(c[P_STATUS], "reversed") == 0)
		p.status = IMP_PAY_REVERSED;
	else
		return imp_fail(e, EX_DATAERR, "payments %s line %lu: status '%s' is not paid or "
				"reversed; correct the export", row->file, row->line, c[P_STATUS]);
	if (strlen(c[P_CHANNEL]) > IMP_CHANNEL_MAX)
		return imp_fail(e, EX_DATAERR, "payments %s line %lu: channel is longer than %d "
				"characters; correct the export", row->file, row->line,
				IMP_CHANNEL_MAX);
	p.amount = amount;
	memcpy(p.receipt, c[P_RECEIPT], strlen(c[P_RECEIPT]) + 1);
	memcpy(p.channel, c[P_CHANNEL], strlen(c[P_CHANNEL]) + 1);
	imp_date_str(&d, p.paid_on);
	return add(b, &p, e);
}

static int
by_receipt(const void *a, const void *b, void *arg)
{
	const struct entry *v = arg;

	return strcmp(v[*(const uint64_t *)a].receipt, v[*(const uint64_t *)b].receipt);
}

/*
 * The export read and laid out as an index in one allocation (*out, *size):
 * the header (but for the export's hash), the entries in receipt order,
 * the pairs.
 */
static int
build(const char *csv, unsigned char **out, size_t *size, struct imp_err *e)
{
	struct build b = { .path = csv };
	struct header h;
	struct entry *ev;
	struct imp_pair *pairs;
	uint64_t *order = NULL, i;
	unsigned char *base = NULL;
	int rc;

	*out = NULL;
	if ((b.seen = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	rc = imp_csv_read(csv, payment_row, &b, e);
	if (rc == 0 && b.twice > WARN_MAX)
		imp_warn(PROG, NULL, "payments %s: %" PRIu64 " receipts paid twice in the export",
			 csv, b.twice);
	imp_map_free(b.seen);
	if (rc == 0 && ((order = malloc((b.n ? b.n : 1) * sizeof *order)) == NULL ||
			(base = malloc(HEADER + b.n * (sizeof *ev + sizeof *pairs))) == NULL))
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	if (rc != 0) {
		free(order);
		free(b.v);
		return rc;
	}
	for (i = 0; i < b.n; i++)
		order[i] = i;
	if (b.n > 1)
		qsort_r(order, b.n, sizeof *order, by_receipt, b.v);
	ev = (struct entry *)(base + HEADER);
	pairs = (struct imp_pair *)(base + HEADER + b.n * sizeof *ev);
	for (i = 0; i < b.n; i++) {
		ev[i] = b.v[order[i]];
		pairs[i] = (struct imp_pair){ receipt_hash(ev[i].receipt), i };
	}
	free(order);
	free(b.v);
	if (imp_pairs_sort(pairs, b.n) != 0) {
		free(base);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	memset(&h, 0, sizeof h);
	memcpy(h.magic, MAGIC, sizeof h.magic);
	h.order = ORDER;
	h.entry_size = sizeof *ev;
	h.count = b.n;
	h.twice = b.twice;
	*size = HEADER + b.n * (sizeof *ev + sizeof *pairs);
	imp_sha256(base + HEADER, *size - HEADER, h.body_sha256);
	memcpy(base, &h, sizeof h);
	*out = base;
	return 0;
}

/*
 * The pairs found by the top bits of their hash (about one pair a bucket),
 * so that a look-up touches two cache lines instead of a binary search's
 * dozen and more.
 */
static int
attach(struct imp_payments *p, const unsigned char *base, size_t size, struct imp_err *e)
{
	const struct header *h = (const struct header *)base;
	uint64_t i, b;

	p->base = base;
	p->size = size;
	p->n = h->count;
	p->twice = h->twice;
	p->v = (const struct entry *)(base + HEADER);
	p->pairs = (const struct imp_pair *)(base + HEADER + p->n * sizeof(struct entry));
	if (p->n >= UINT32_MAX)
		return imp_fail(e, EX_DATAERR, "the payments export has more than %u receipts",
				UINT32_MAX - 1);
	for (p->bits = 1; p->bits < 32 && ((uint64_t)1 << p->bits) < p->n; p->bits++)
		;
	if ((p->start = malloc((((size_t)1 << p->bits) + 1) * sizeof *p->start)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	for (i = 0, b = 0; b <= ((uint64_t)1 << p->bits); b++) {
		while (i < p->n && p->pairs[i].key >> (64 - p->bits) < b)
			i++;
		p->start[b] = (uint32_t)i;
	}
	return 0;
}

int
imp_payments_load(const char *csv, struct imp_payments **pp, struct imp_err *e)
{
	unsigned char *base;
	size_t size;
	int rc;

	if ((*pp = calloc(1, sizeof **pp)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = build(csv, &base, &size, e)) != 0)
		return rc;
	return attach(*pp, base, size, e);
}

/* The SHA-256 and size of a file's bytes. */
static int
file_sha256(const char *path, unsigned char out[IMP_HASH_LEN], uint64_t *size,
	    struct imp_err *e)
{
	struct imp_sha256_ctx *c;
	char buf[1 << 16];
	ssize_t n;
	int fd;

	*size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the payments export %s: %s", path,
				strerror(errno));
	if ((c = imp_sha256_begin()) == NULL) {
		close(fd);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0) {
			imp_sha256_add(c, buf, (size_t)n);
			*size += (uint64_t)n;
		}
	imp_sha256_end(c, n < 0 ? NULL : out);
	close(fd);
	if (n < 0)
		return imp_fail(e, EX_IOERR, "cannot read the payments export %s: %s", path,
				strerror(errno));
	return 0;
}

int
imp_payments_index(const char *csv, const char *out, uint64_t *count, struct imp_err *e)
{
	unsigned char before[IMP_HASH_LEN], after[IMP_HASH_LEN], *base = NULL;
	struct header *h;
	struct stat in, to;
	uint64_t size0, size1;
	size_t size;
	int rc;

	*count = 0;
	if (stat(csv, &in) == 0 && stat(out, &to) == 0 && in.st_dev == to.st_dev &&
	    in.st_ino == to.st_ino)
		return imp_fail(e, EX_CANTCREAT, "%s is the payments export itself: give the index "
				"another name", out);
	if ((rc = file_sha256(csv, before, &size0, e)) != 0 ||
	    (rc = build(csv, &base, &size, e)) != 0 ||
	    (rc = file_sha256(csv, after, &size1, e)) != 0) {
		free(base);
		return rc;
	}
	if (size0 != size1 || memcmp(before, after, IMP_HASH_LEN) != 0) {
		free(base);
		return imp_fail(e, EX_TEMPFAIL, "the payments export %s changed while it was "
				"indexed; index it again when the bank's file is complete", csv);
	}
	h = (struct header *)base;
	h->csv_size = size0;
	memcpy(h->csv_sha256, before, IMP_HASH_LEN);
	*count = h->count;
	rc = imp_write_file(out, base, size, e);
	free(base);
	return rc;
}

int
imp_payments_open(const char *index, const char *csv, struct imp_payments **pp,
		  struct imp_err *e)
{
	unsigned char sum[IMP_HASH_LEN];
	const struct header *h;
	struct imp_payments *p;
	struct stat st;
	uint64_t size, i;
	void *map;
	int fd, rc;

	if ((p = *pp = calloc(1, sizeof *p)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((fd = open(index, O_RDONLY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open the payments index %s: %s", index,
				strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return imp_fail(e, EX_NOINPUT, "the payments index %s is not a file", index);
	}
	if ((uint64_t)st.st_size < HEADER) {
		close(fd);
		goto foreign;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return imp_fail(e, EX_IOERR, "cannot map the payments index %s: %s", index,
				strerror(errno));
	p->base = map;
	p->size = (size_t)st.st_size;
	p->mapped = 1;
	h = map;
	if (memcmp(h->magic, MAGIC, sizeof h->magic) != 0)
		goto foreign;
	if (h->order != ORDER || h->entry_size != sizeof(struct entry))
		return imp_fail(e, EX_DATAERR, "the payments index %s was made on a machine of "
				"another byte order or by another version of verify-fee; make it "
				"again here with verify-fee --index %s -o %s", index, csv, index);
	if (h->count > (p->size - HEADER) / (sizeof(struct entry) + sizeof(struct imp_pair)) ||
	    HEADER + h->count * (sizeof(struct entry) + sizeof(struct imp_pair)) != p->size)
		return imp_fail(e, EX_DATAERR, "the payments index %s is damaged (its size is not "
				"that of its %" PRIu64 " receipts); make it again with verify-fee "
				"--index %s -o %s", index, h->count, csv, index);
	imp_sha256(p->base + HEADER, p->size - HEADER, sum);
	if (memcmp(sum, h->body_sha256, IMP_HASH_LEN) != 0)
		return imp_fail(e, EX_DATAERR, "the payments index %s is damaged (its receipts do "
				"not hash to its header's SHA-256); make it again with verify-fee "
				"--index %s -o %s", index, csv, index);
	if ((rc = attach(p, p->base, p->size, e)) != 0)
		return rc;
	for (i = 0; i < p->n; i++)   /* (what the builder wrote; cheap to be sure) */
		if (p->v[i].receipt[IMP_RECEIPT_MAX] || p->v[i].channel[IMP_CHANNEL_MAX] ||
		    p->v[i].paid_on[10] || p->v[i].status > IMP_PAY_REVERSED ||
		    p->pairs[i].value >= p->n)
			return imp_fail(e, EX_DATAERR, "the payments index %s is damaged (entry %"
					PRIu64 "); make it again with verify-fee --index %s -o %s",
					index, i, csv, index);
	if ((rc = file_sha256(csv, sum, &size, e)) != 0)
		return rc;
	if (size != h->csv_size || memcmp(sum, h->csv_sha256, IMP_HASH_LEN) != 0)
		return imp_fail(e, EX_DATAERR, "the payments index %s is not that of %s: it was "
				"made from another export, or before %s changed; make it again with "
				"verify-fee --index %s -o %s", index, csv, csv, csv, index);
	return 0;
foreign:
	return imp_fail(e, EX_DATAERR, "%s is not a payments index: make one with verify-fee "
			"--index %s -o %s", index, csv, index);
}

/* ---- reading --------------------------------------------------------------------- */

uint64_t
imp_payments_count(const struct imp_payments *p)
{
	return p->n;
}

uint64_t
imp_payments_twice(const struct imp_payments *p)
{
	return p->twice;
}

int
imp_payments_find(const struct imp_payments *p, const char *receipt, uint64_t *at)
{
	uint64_t key = receipt_hash(receipt), b = key >> (64 - p->bits);
	uint64_t lo = p->start[b], hi = p->start[b + 1];

	for (; lo < hi && p->pairs[lo].key < key; lo++)
		;
	for (; lo < hi && p->pairs[lo].key == key; lo++)
		if (p->pairs[lo].value < p->n && strcmp(p->v[p->pairs[lo].value].receipt, receipt) == 0) {
			*at = p->pairs[lo].value;
			return 0;
		}
	return -1;
}

void
imp_payments_get(const struct imp_payments *p, uint64_t i, struct imp_payment *out)
{
	const struct entry *v = &p->v[i];

	out->receipt = v->receipt;
	out->channel = v->channel;
	out->paid_on = v->paid_on;
	out->amount = (long)v->amount;
	out->line = (unsigned long)v->line;
	out->status = v->status;
}

void
imp_payments_close(struct imp_payments *p)
{
	if (p == NULL)
		return;
	if (p->mapped)
		munmap((void *)p->base, p->size);
	else
		free((void *)p->base);
	free(p->start);
	free(p);
}
