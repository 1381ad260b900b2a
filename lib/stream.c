/* SPDX-License-Identifier: ISC */
/*
 * The sealed stream of SPEC 3. Reading takes two passes: the first checks
 * the shape and hashes every record line (spooling a pipe to an unlinked
 * temporary file), so that the seal is verified before any record is
 * processed; the second hands out the record lines and hashes them again,
 * so that a file changed between the passes is caught before sealing.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "impass.h"

#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define HEAD "<record xmlns=\"" IMP_NS "\" id=\""
#define TAIL "</record>"
#define HINT "; the stream is damaged or cut short: run the stage that wrote it again"
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

struct imp_reader {
	int fd, spool, own;
	int spool_errno;             /* the copy of a pipe in TMPDIR failed: why */
	char tmpdir[4096];
	off_t start;
	char name[256];
	struct imp_lines lines;
	struct imp_merkle tree;      /* pass 2 */
	int pass;
	const char *pending;         /* pass 2: first record line, read with the header */
	size_t pending_len;
};

static const char *const status_names[IMP_NSTATUS] = { "ok", "held", "rejected" };

const char *
imp_status_name(int status)
{
	return status >= 0 && status < IMP_NSTATUS ? status_names[status] : "?";
}

int
imp_status_parse(const char *s)
{
	int i;

	for (i = 0; i < IMP_NSTATUS; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

int
imp_batch_id_ok(const char *id)
{
	size_t n = strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789._-");

	/* starting with a letter or digit: never "." or ".." as a file name */
	return n > 0 && n <= IMP_ID_MAX && id[n] == '\0' && isalnum((unsigned char)id[0]);
}

/* A record id as SPEC 5.1 has tracking ids: 1-24 of [A-Z0-9-]; safe in any name. */
int
imp_record_id_ok(const char *id, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '-'))
			return 0;
	return n >= 1 && n <= IMP_RECORD_ID_MAX;
}

static int
kind_ok(const char *kind)
{
	return strcmp(kind, "application") == 0 || strcmp(kind, "citizenship") == 0 ||
	       strcmp(kind, "printed") == 0;
}

/*
 * The canonical record start tag, as every impass writer emits it:
 * <record xmlns="urn:impass:batch:1" id="ID" status="STATUS">
 * Returns the offset just after it, 0 when the line does not start so.
 */
int
imp_record_head(const char *line, size_t len, const char **id, size_t *idlen, int *status)
{
	const char *p = line + sizeof HEAD - 1, *end = line + len, *q;
	static const char st[] = "\" status=\"";
	int i;

	if (len < sizeof HEAD - 1 + sizeof TAIL || memcmp(line, HEAD, sizeof HEAD - 1) != 0)
		return 0;
	if ((q = memchr(p, '"', (size_t)(end - p))) == NULL || q == p ||
	    memchr(p, '<', (size_t)(q - p)) != NULL)
		return 0;
	*id = p;
	*idlen = (size_t)(q - p);
	if ((size_t)(end - q) < sizeof st || memcmp(q, st, sizeof st - 1) != 0)
		return 0;
	p = q + sizeof st - 1;
	for (i = 0; i < IMP_NSTATUS; i++) {
		size_t n = strlen(status_names[i]);
		if ((size_t)(end - p) > n + 2 && memcmp(p, status_names[i], n) == 0 &&
		    p[n] == '"' && p[n + 1] == '>') {
			*status = i;
			return (int)(p + n + 2 - line);
		}
	}
	return 0;
}

/*
 * Pass 1 of a pipe keeps a copy in TMPDIR. A copy that fails is only
 * noted here: spool_check reports it once the batch id is known.
 */
static long
tee_read(void *arg, void *buf, size_t n)
{
	struct imp_reader *r = arg;
	long got = imp_read_fd(&r->fd, buf, n);
	size_t done = 0;
	ssize_t w;

	if (got <= 0 || r->spool < 0 || r->pass != 1)
		return got;
	while (done < (size_t)got) {
		w = write(r->spool, (char *)buf + done, (size_t)got - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r->spool_errno = w < 0 ? errno : ENOSPC;
			close(r->spool);
			r->spool = -1;
			break;
		}
		done += (size_t)w;
	}
	return got;
}

static void
spool_open(struct imp_reader *r)
{
	const char *dir = getenv("TMPDIR");
	char path[sizeof r->tmpdir + 16];

	snprintf(r->tmpdir, sizeof r->tmpdir, "%s", dir != NULL && *dir != '\0' ? dir : "/tmp");
	snprintf(path, sizeof path, "%s/impass-XXXXXX", r->tmpdir);
	if ((r->spool = mkostemp(path, O_CLOEXEC)) < 0)
		r->spool_errno = errno ? errno : EIO;
	else
		unlink(path);
}

static int
spool_check(const struct imp_reader *r, const struct imp_batch *b, struct imp_err *e)
{
	if (r->spool_errno == 0)
		return 0;
	if (r->spool_errno == ENOSPC || r->spool_errno == EDQUOT || r->spool_errno == EFBIG)
		return imp_fail(e, EX_IOERR, "TMPDIR %s is full (%s) while keeping a copy of "
				"batch %s read from %s; free space there, or set TMPDIR to a "
				"directory with room for the whole stream", r->tmpdir,
				strerror(r->spool_errno), b->id, r->name);
	return imp_fail(e, EX_CANTCREAT, "cannot create a temporary file in TMPDIR %s for "
			"batch %s read from %s: %s; set TMPDIR to a writable directory",
			r->tmpdir, b->id, r->name, strerror(r->spool_errno));
}

int
imp_reader_open(struct imp_reader **rp, const char *path, struct imp_err *e)
{
	struct imp_reader *r;
	struct stat st;

	if ((r = *rp = calloc(1, sizeof *r)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	r->spool = -1;
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fd = 0;
		snprintf(r->name, sizeof r->name, "standard input");
	} else {
		snprintf(r->name, sizeof r->name, "%s", path);
		if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return imp_fail(e, EX_NOINPUT, "cannot open %s: %s", path, strerror(errno));
		r->own = 1;
	}
	if (fstat(r->fd, &st) != 0)
		st.st_mode = 0;              /* spooled below, which says what is wrong */
	if (S_ISDIR(st.st_mode))
		return imp_fail(e, EX_NOINPUT, "cannot open %s: %s", r->name, strerror(EISDIR));
	if (S_ISREG(st.st_mode) && (r->start = lseek(r->fd, 0, SEEK_CUR)) >= 0)
		return 0;
	spool_open(r);
	return 0;
}

const char *
imp_reader_name(const struct imp_reader *r)
{
	return r->name;
}

static int
next_line(struct imp_reader *r, const char **line, size_t *len, struct imp_err *e)
{
	int rc = imp_lines_next(&r->lines, line, len);

	if (rc >= 0)
		return rc;
	if (errno == E2BIG)
		return -imp_fail(e, EX_DATAERR, "%s line %lu is longer than 1 MiB" HINT, r->name,
				 r->lines.lineno + 1);
	return -imp_fail(e, EX_IOERR, "cannot read %s: %s", r->name, strerror(errno));
}

/*
 * Parses one small line (the batch tag, provenance, seal) with libxml2.
 * A NUL byte fails it: libxml2 stops at a NUL and takes what came before
 * as the whole document, while the line's bytes are kept and hashed to
 * their end (and a copy made with strndup would be shorter than them).
 */
static xmlDocPtr
parse_line(const char *s, size_t n, const char *close)
{
	struct imp_buf b = { 0 };
	xmlDocPtr doc;

	if (memchr(s, '\0', n) != NULL)
		return NULL;
	imp_buf_add(&b, s, n);
	if (close != NULL)
		imp_buf_puts(&b, close);
	if (b.oom || b.len > INT32_MAX) {
		imp_buf_free(&b);
		return NULL;
	}
	doc = xmlReadMemory(b.p, (int)b.len, NULL, "UTF-8", XML_OPTS);
	imp_buf_free(&b);
	return doc;
}

static int
copy_attr(xmlNodePtr n, const char *name, char *out, size_t size)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int ok = v != NULL && strlen((char *)v) < size;

	if (ok)
		memcpy(out, v, strlen((char *)v) + 1);
	xmlFree(v);
	return ok;
}

static int
count_attrs(xmlNodePtr n)
{
	xmlAttrPtr a;
	int k = 0;

	for (a = n->properties; a != NULL; a = a->next)
		k++;
	return k;
}

static int
parse_count(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 19)
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end != '\0' ? -1 : 0;
}

/* stage, signer, count, root and created of a <seal> or <sealed> element */
static int
read_sealed(xmlNodePtr n, struct imp_sealed *s)
{
	char count[24], root[8 + 2 * IMP_HASH_LEN];

	if (!copy_attr(n, "stage", s->stage, sizeof s->stage) ||
	    !copy_attr(n, "signer", s->signer, sizeof s->signer) ||
	    !copy_attr(n, "count", count, sizeof count) ||
	    !copy_attr(n, "root", root, sizeof root) ||
	    !copy_attr(n, "created", s->created, sizeof s->created) || count_attrs(n) != 5)
		return -1;
	if (s->stage[0] == '\0' || strspn(s->stage, "abcdefghijklmnopqrstuvwxyz-") !=
	    strlen(s->stage) || strlen(s->signer) != IMP_FPR_LEN ||
	    strspn(s->signer, "0123456789ABCDEFabcdef") != IMP_FPR_LEN ||
	    strspn(s->created, "0123456789-:TZ.+") != strlen(s->created))
		return -1;
	if (parse_count(count, &s->count) != 0 || strncmp(root, "sha256:", 7) != 0 ||
	    imp_unhex(root + 7, s->root, IMP_HASH_LEN) != 0)
		return -1;
	return 0;
}

static int
is_elem(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name,
	       (const xmlChar *)name) == 0;
}

static int
read_batch_tag(struct imp_reader *r, const char *s, size_t n, struct imp_batch *b,
	       struct imp_err *e)
{
	xmlDocPtr doc = parse_line(s, n, "</batch>");
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	int ok = is_elem(root, "batch") && root->ns != NULL && root->children == NULL &&
		 xmlStrcmp(root->ns->href, (const xmlChar *)IMP_NS) == 0 &&
		 count_attrs(root) == 2 && copy_attr(root, "id", b->id, sizeof b->id) &&
		 copy_attr(root, "kind", b->kind, sizeof b->kind);

	xmlFreeDoc(doc);
	if (!ok)
		return imp_fail(e, EX_DATAERR, "%s line 2: not a <batch xmlns=\"%s\" id=... kind=...> "
				"start tag" HINT, r->name, IMP_NS);
	if (!imp_batch_id_ok(b->id))
		return imp_fail(e, EX_DATAERR, "%s line 2: batch id '%s' is not 1-64 of [A-Za-z0-9._-] "
				"starting with a letter or digit", r->name, b->id);
	if (!kind_ok(b->kind))
		return imp_fail(e, EX_DATAERR, "%s line 2: batch kind '%s' unknown; it is "
				"application, citizenship or printed", r->name, b->kind);
	return 0;
}

/*
 * A <provenance> line: its <sealed> entries, oldest first. The line must
 * end with the end tag itself (no space, comment or PI after it): the next
 * writer appends its entry in front of those last 13 bytes.
 */
int
imp_parse_provenance(const char *s, size_t n, struct imp_batch *b)
{
	static const char close[] = "</provenance>";
	xmlDocPtr doc;
	xmlNodePtr root, c;
	size_t k = 0;
	int ok;

	if (n < sizeof close - 1 || memcmp(s + n - (sizeof close - 1), close, sizeof close - 1) != 0)
		return -1;
	doc = parse_line(s, n, NULL);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	ok = is_elem(root, "provenance") && count_attrs(root) == 0;
	for (c = ok ? root->children : NULL; c != NULL; c = c->next)
		k++;
	if (ok && k > 0 && (b->prov = calloc(k, sizeof *b->prov)) != NULL)
		for (c = root->children; c != NULL && ok; c = c->next)
			ok = is_elem(c, "sealed") && c->children == NULL &&
			     read_sealed(c, &b->prov[b->nprov++]) == 0;
	ok = ok && k > 0 && b->prov != NULL;
	xmlFreeDoc(doc);
	if (ok && (b->prov_line = strndup(s, n)) != NULL)
		b->prov_len = n;
	return ok && b->prov_line ? 0 : -1;
}

/* A <seal> line: its attributes and its base64 content. */
int
imp_parse_seal(const char *s, size_t n, struct imp_batch *b)
{
	xmlDocPtr doc = parse_line(s, n, NULL);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlChar *text = NULL;
	int ok = is_elem(root, "seal") && read_sealed(root, &b->seal) == 0 &&
		 root->children != NULL && root->children->type == XML_TEXT_NODE &&
		 root->children->next == NULL;

	if (ok && (text = xmlNodeGetContent(root)) != NULL)
		imp_buf_puts(&b->seal_b64, (char *)text);
	xmlFree(text);
	xmlFreeDoc(doc);
	if (ok && (b->seal_line = strndup(s, n)) != NULL)
		b->seal_len = n;
	return ok && b->seal_b64.len > 0 && b->seal_line != NULL ? 0 : -1;
}

static int
read_provenance(struct imp_reader *r, const char *s, size_t n, struct imp_batch *b,
		struct imp_err *e)
{
	if (imp_parse_provenance(s, n, b) != 0)
		return imp_fail(e, EX_DATAERR, "%s line 3: <provenance> is not a list of <sealed "
				"stage signer count root created/>" HINT, r->name);
	return 0;
}

static int
read_seal(struct imp_reader *r, const char *s, size_t n, struct imp_batch *b, struct imp_err *e)
{
	if (imp_parse_seal(s, n, b) != 0)
		return imp_fail(e, EX_DATAERR, "%s line %lu: expected a record or the <seal> line"
				HINT, r->name, r->lines.lineno);
	return 0;
}

static int
start_pass(struct imp_reader *r, int pass, struct imp_err *e)
{
	int *fd = r->spool >= 0 && pass == 2 ? &r->spool : &r->fd;

	imp_lines_free(&r->lines);
	r->pass = pass;
	if (pass == 2 && lseek(*fd, r->spool >= 0 ? 0 : r->start, SEEK_SET) < 0)
		return imp_fail(e, EX_IOERR, "cannot reread %s: %s", r->name, strerror(errno));
	if (imp_lines_init(&r->lines, pass == 1 ? tee_read : imp_read_fd,
			   pass == 1 ? (void *)r : (void *)fd, IMP_LINE_MAX) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/*
 * Line 1, line 2 and the optional provenance line. Returns 0 with the line
 * after them in *line, or an error; a stream cannot end there.
 */
static int
read_header(struct imp_reader *r, struct imp_batch *b, const char **line, size_t *len,
	    struct imp_err *e)
{
	int rc;

	if ((rc = next_line(r, line, len, e)) <= 0)
		return rc ? -rc : imp_fail(e, EX_DATAERR, "%s is empty: no stream", r->name);
	if (*len != sizeof DECL - 1 || memcmp(*line, DECL, *len) != 0)
		return imp_fail(e, EX_DATAERR, "%s line 1: not an impass stream (expected %s)",
				r->name, DECL);
	if ((rc = next_line(r, line, len, e)) <= 0)
		return rc ? -rc : imp_fail(e, EX_DATAERR, "%s ends after line 1" HINT, r->name);
	if (b != NULL && ((rc = read_batch_tag(r, *line, *len, b, e)) != 0 ||
			  (rc = spool_check(r, b, e)) != 0))
		return rc;
	if ((rc = next_line(r, line, len, e)) <= 0)
		return rc ? -rc : imp_fail(e, EX_DATAERR, "%s ends after line 2" HINT, r->name);
	if (*len >= 12 && memcmp(*line, "<provenance>", 12) == 0) {
		if (b != NULL && (rc = read_provenance(r, *line, *len, b, e)) != 0)
			return rc;
		if ((rc = next_line(r, line, len, e)) <= 0)
			return rc ? -rc : imp_fail(e, EX_DATAERR, "%s ends after line 3" HINT,
						   r->name);
	}
	return 0;
}

static int
record_line(struct imp_reader *r, const char *line, size_t len, struct imp_batch *b,
	    struct imp_err *e)
{
	const char *id;
	size_t idlen;
	int status;

	if (imp_record_head(line, len, &id, &idlen, &status) == 0 ||
	    memcmp(line + len - (sizeof TAIL - 1), TAIL, sizeof TAIL - 1) != 0)
		return imp_fail(e, EX_DATAERR, "%s line %lu: record %" PRIu64 " is not one "
				"<record xmlns=\"%s\" id=... status=...>...</record> line" HINT,
				r->name, r->lines.lineno, b->count + 1, IMP_NS);
	b->status[status]++;
	return 0;
}

static int
read_records(struct imp_reader *r, struct imp_batch *b, const char **line, size_t *len,
	     imp_line_fn *fn, void *arg, struct imp_err *e)
{
	unsigned char leaf[IMP_HASH_LEN];
	struct imp_merkle tree;
	int rc;

	imp_merkle_init(&tree);
	while (*len >= 8 && memcmp(*line, "<record ", 8) == 0) {
		if ((rc = record_line(r, *line, *len, b, e)) != 0)
			return rc;
		imp_leaf_hash(*line, *len, leaf);
		imp_merkle_add(&tree, leaf);
		if (fn != NULL && (rc = fn(arg, b->count, *line, *len, leaf, e)) != 0)
			return rc;
		b->count++;
		if ((rc = next_line(r, line, len, e)) < 0)
			return -rc;
		if (r->spool_errno)
			return spool_check(r, b, e);
		if (rc == 0)
			return imp_fail(e, EX_DATAERR, "%s ends after record %" PRIu64 " with no "
					"seal" HINT, r->name, b->count);
	}
	imp_merkle_root(&tree, b->root);
	return 0;
}

int
imp_reader_scan(struct imp_reader *r, struct imp_batch *b, imp_line_fn *fn, void *arg,
		struct imp_err *e)
{
	const char *line = NULL;
	size_t len = 0;
	int rc;

	memset(b, 0, sizeof *b);
	if ((rc = start_pass(r, 1, e)) != 0 || (rc = read_header(r, b, &line, &len, e)) != 0)
		return rc;
	if ((rc = read_records(r, b, &line, &len, fn, arg, e)) != 0 ||
	    (rc = read_seal(r, line, len, b, e)) != 0)
		return rc;
	if ((rc = next_line(r, &line, &len, e)) < 0)
		return -rc;
	if (rc == 0 || len != 8 || memcmp(line, "</batch>", 8) != 0)
		return imp_fail(e, EX_DATAERR, "%s line %lu: expected </batch> after the seal" HINT,
				r->name, r->lines.lineno + (rc == 0));
	if ((rc = next_line(r, &line, &len, e)) != 0)
		return rc < 0 ? -rc : imp_fail(e, EX_DATAERR, "%s line %lu: data after </batch>"
					      HINT, r->name, r->lines.lineno);
	return spool_check(r, b, e);
}

/* Count, root and signature; the signer must be trusted for the seal's stage. */
int
imp_batch_verify(const struct imp_batch *b, struct imp_gpg *g, const struct imp_trust *t,
		 struct imp_err *e)
{
	unsigned char ph[IMP_HASH_LEN];

	if (b->seal.count != b->count)
		return imp_fail(e, EX_DATAERR, "the seal counts %" PRIu64 " records but the stream "
				"holds %" PRIu64 ": records were added or removed after sealing",
				b->seal.count, b->count);
	if (memcmp(b->seal.root, b->root, IMP_HASH_LEN) != 0)
		return imp_fail(e, EX_DATAERR, "the records do not hash to the sealed root: a "
				"record was changed, replaced or reordered after sealing");
	if (b->prov_line != NULL)
		imp_sha256(b->prov_line, b->prov_len, ph);
	return imp_seal_check(g, t, b->id, b->kind, &b->seal, b->prov_line ? ph : NULL,
			      b->seal_b64.p, b->seal_b64.len, e);
}

int
imp_reader_rewind(struct imp_reader *r, struct imp_err *e)
{
	int rc;

	if ((rc = start_pass(r, 2, e)) != 0 ||
	    (rc = read_header(r, NULL, &r->pending, &r->pending_len, e)) != 0)
		return rc;
	imp_merkle_init(&r->tree);
	return 0;
}

/* Pass 2: 1 and the next record line, 0 at the seal. */
int
imp_reader_next(struct imp_reader *r, const char **line, size_t *len, struct imp_err *e)
{
	unsigned char leaf[IMP_HASH_LEN];
	int rc = 1;

	if (r->pending != NULL) {
		*line = r->pending;
		*len = r->pending_len;
		r->pending = NULL;
	} else if ((rc = next_line(r, line, len, e)) < 0) {
		return rc;
	}
	if (rc == 0 || *len < 8 || memcmp(*line, "<record ", 8) != 0)
		return 0;
	imp_leaf_hash(*line, *len, leaf);
	imp_merkle_add(&r->tree, leaf);
	return 1;
}

int
imp_reader_finish(struct imp_reader *r, const struct imp_batch *b, struct imp_err *e)
{
	unsigned char root[IMP_HASH_LEN];

	imp_merkle_root(&r->tree, root);
	if (r->tree.count != b->count || memcmp(root, b->root, IMP_HASH_LEN) != 0)
		return imp_fail(e, EX_DATAERR, "%s changed while it was being read; nothing was "
				"sealed: run again on a stable copy", r->name);
	return 0;
}

void
imp_reader_close(struct imp_reader *r)
{
	if (r == NULL)
		return;
	imp_lines_free(&r->lines);
	if (r->own)
		close(r->fd);
	if (r->spool >= 0)
		close(r->spool);
	free(r);
}

int
imp_stream_read(const char *path, const struct imp_keys *k, struct imp_batch *b,
		const struct imp_read *how, struct imp_err *e)
{
	struct imp_reader *in = NULL;
	const char *line;
	size_t len;
	uint64_t i = 0;
	int rc, n = 0;

	if ((rc = imp_reader_open(&in, path, e)) != 0)
		return rc;
	if ((rc = imp_reader_scan(in, b, how->scan, how->arg, e)) == 0 &&
	    (rc = imp_batch_verify(b, k->gpg, &k->trust, e)) == 0 && how->ready != NULL)
		rc = how->ready(how->arg, b, e);
	if (rc == 0 && (rc = imp_reader_rewind(in, e)) == 0) {
		while (rc == 0 && (n = imp_reader_next(in, &line, &len, e)) > 0)
			rc = how->each != NULL ? how->each(how->arg, ++i, line, len, e) : 0;
		if (rc == 0)
			rc = n < 0 ? e->code : imp_reader_finish(in, b, e);
	}
	imp_reader_close(in);
	return rc == IMP_READ_STOP ? 0 : rc;
}

void
imp_batch_free(struct imp_batch *b)
{
	free(b->prov_line);
	free(b->seal_line);
	free(b->prov);
	imp_buf_free(&b->seal_b64);
	memset(b, 0, sizeof *b);
}

/* ---- writing -------------------------------------------------------------- */

static void
sealed_elem(struct imp_buf *b, const char *name, const struct imp_sealed *s)
{
	char hex[2 * IMP_HASH_LEN + 1];

	imp_hex(s->root, IMP_HASH_LEN, hex);
	imp_buf_printf(b, "<%s stage=\"%s\"", name, s->stage);
	if (strcmp(name, "sealed") == 0)
		imp_buf_printf(b, " signer=\"%s\"", s->signer);
	imp_buf_printf(b, " count=\"%" PRIu64 "\" root=\"sha256:%s\"", s->count, hex);
	if (strcmp(name, "seal") == 0)
		imp_buf_printf(b, " signer=\"%s\"", s->signer);
	imp_buf_printf(b, " created=\"%s\"", s->created);
}

/* The input's provenance with the input's own seal appended. */
static void
provenance(struct imp_buf *p, const struct imp_batch *in)
{
	static const char close[] = "</provenance>";
	struct imp_buf s = { 0 };

	sealed_elem(&s, "sealed", &in->seal);
	imp_buf_puts(&s, "/>");
	if (in->prov_line != NULL && in->prov_len >= sizeof close - 1) {
		imp_buf_add(p, in->prov_line, in->prov_len - (sizeof close - 1));
	} else {
		imp_buf_puts(p, "<provenance>");
	}
	imp_buf_add(p, s.p, s.len);
	imp_buf_puts(p, close);
	imp_buf_free(&s);
}

static int
put(struct imp_writer *w, const void *p, size_t n)
{
	if (fwrite(p, 1, n, w->out) != n)
		w->err = errno ? errno : EIO;
	return w->err;
}

/*
 * stdout fully buffered in 64 KB, before anything is written to it (given
 * no buffer, glibc keeps its 4 KB whatever the size asked: a 160 MB stream
 * cost 40,000 write calls).
 */
void
imp_stdout_buffer(void)
{
	static char buf[1 << 16];

	setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

int
imp_writer_begin(struct imp_writer *w, FILE *out, const char *batch, const char *kind,
		 const struct imp_batch *in, struct imp_err *e)
{
	struct imp_buf h = { 0 };

	memset(w, 0, sizeof *w);
	w->out = out;
	snprintf(w->batch, sizeof w->batch, "%s", batch);
	snprintf(w->kind, sizeof w->kind, "%s", kind);
	imp_merkle_init(&w->tree);
	if (in != NULL)
		provenance(&w->prov, in);
	imp_buf_printf(&h, DECL "\n<batch xmlns=\"%s\" id=\"%s\" kind=\"%s\">\n", IMP_NS, batch,
		       kind);
	if (w->prov.len > 0) {
		imp_buf_add(&h, w->prov.p, w->prov.len);
		imp_buf_add(&h, "\n", 1);
	}
	if (h.oom || w->prov.oom) {
		imp_buf_free(&h);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	put(w, h.p, h.len);
	imp_buf_free(&h);
	return w->err ? imp_fail(e, EX_IOERR, "cannot write the stream: %s", strerror(w->err)) : 0;
}

int
imp_writer_record(struct imp_writer *w, const char *line, size_t len, struct imp_err *e)
{
	unsigned char leaf[IMP_HASH_LEN];

	imp_leaf_hash(line, len, leaf);
	imp_merkle_add(&w->tree, leaf);
	if (put(w, line, len) == 0)
		put(w, "\n", 1);
	return w->err ? imp_fail(e, EX_IOERR, "cannot write the stream: %s", strerror(w->err)) : 0;
}

int
imp_writer_seal(struct imp_writer *w, struct imp_gpg *g, const char *stage, const char *signer,
		struct imp_err *e)
{
	struct imp_buf st = { 0 }, sig = { 0 }, line = { 0 };
	unsigned char ph[IMP_HASH_LEN];
	struct imp_sealed s;
	int rc;

	/* the records still buffered are the stream's, the seal comes after */
	if (w->err == 0 && fflush(w->out) != 0)
		w->err = errno ? errno : EIO;
	if (w->err != 0)
		return imp_fail(e, EX_IOERR, "cannot write the stream: %s", strerror(w->err));
	memset(&s, 0, sizeof s);
	snprintf(s.stage, sizeof s.stage, "%s", stage);
	snprintf(s.signer, sizeof s.signer, "%s", signer);
	s.count = w->tree.count;
	imp_merkle_root(&w->tree, s.root);
	imp_utc(s.created);
	if (w->prov.len > 0)
		imp_sha256(w->prov.p, w->prov.len, ph);
	imp_statement(&st, w->batch, w->kind, &s, w->prov.len > 0 ? ph : NULL);
	rc = imp_gpg_sign(g, signer, st.p, st.len, &sig, e);
	if (rc == 0) {
		sealed_elem(&line, "seal", &s);
		imp_buf_printf(&line, ">%s</seal>\n</batch>\n", imp_buf_str(&sig));
		if (line.oom || sig.oom || st.oom)
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		else if (put(w, line.p, line.len) != 0 || fflush(w->out) != 0 || ferror(w->out))
			rc = imp_fail(e, EX_IOERR, "cannot write the seal: %s",
				      strerror(w->err ? w->err : errno));
		else
			w->seal = s;
	}
	imp_buf_free(&st);
	imp_buf_free(&sig);
	imp_buf_free(&line);
	return rc;
}

void
imp_writer_free(struct imp_writer *w)
{
	imp_buf_free(&w->prov);
}
