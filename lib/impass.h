/* SPDX-License-Identifier: ISC */
/*
 * impass: the shared library of the passport batch programs.
 * One header, one prefix (imp_). Library functions return a status
 * (0 or a sysexits code) and fill a struct imp_err; only bin/ exits.
 */
#ifndef IMPASS_H
#define IMPASS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>

#define IMP_VERSION "0.1.0"
#define IMP_NS "urn:impass:batch:1"
#define IMP_LINE_MAX (1024 * 1024)   /* a stream line longer than this is an error */
#define IMP_HASH_LEN 32
#define IMP_FPR_LEN 40
#define IMP_ID_MAX 64                /* batch and record ids */
#define IMP_RECORD_ID_MAX 24         /* a record id is shaped as a tracking id */

/* ---- err.c: errors and messages ---------------------------------------- */

struct imp_err {
	int code;                    /* sysexits code, 0 when none */
	char msg[1024];
};

int imp_fail(struct imp_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void imp_warn(const char *prog, const char *batch, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int imp_report(const char *prog, const char *batch, const struct imp_err *e);
int imp_close_stdout(const char *prog, const char *batch);
double imp_now(void);
void imp_fault(const char *point);
void imp_utc(char out[21]);

/* ---- config.c: where things are: option, else environment, else default -- */

const char *imp_trust_path(const char *opt);  /* --trust, IMPASS_TRUST */
const char *imp_signer(const char *opt);      /* --signer, IMPASS_SIGNER, else NULL */
const char *imp_spool_path(const char *opt);  /* --spool, IMPASS_SPOOL */

/* ---- file.c: files written whole or not at all -------------------------- */

int imp_write_file(const char *path, const void *data, size_t n, struct imp_err *e);
int imp_write_fd(int fd, const char *path, const void *p, size_t n, int sync,
		 struct imp_err *e);
void imp_sync_dir(const char *path);
/* n bytes at off of fd into buf; -1 when they cannot all be read. */
int imp_pread_full(int fd, void *buf, size_t n, uint64_t off);
/* A file written whole to tmp put in place: renamed to path when rc is 0,
 * its folder synced; removed when rc (or the rename) failed. Returns rc. */
int imp_file_install(const char *tmp, const char *path, int rc, struct imp_err *e);

/* ---- buf.c: growable byte buffers and XML escaping ---------------------- */

struct imp_buf {
	char *p;
	size_t len, cap;
	int oom;                     /* set when an allocation failed */
};

void imp_buf_add(struct imp_buf *b, const void *s, size_t n);
void imp_buf_puts(struct imp_buf *b, const char *s);
void imp_buf_uint(struct imp_buf *b, unsigned long long n);
/* b made the full name: given names, a space, surname (either NULL or
 * empty, and then no space), without printf (a name per passport read). */
void imp_buf_full_name(struct imp_buf *b, const char *given, const char *surname);
/* s into out (size bytes, size > 0), cut as snprintf would cut it,
 * without its cost (words and fields copied millions of times). */
void imp_str_copy(char *out, size_t size, const char *s);
/* imp_buf_printf(NULL, ...) does nothing: the words of an explanation
 * nobody asked for (screen-pcl, dedup) cost no formatting. */
void imp_buf_printf(struct imp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void imp_buf_vprintf(struct imp_buf *b, const char *fmt, va_list ap);
void imp_buf_insert(struct imp_buf *b, size_t at, const void *s, size_t n);
void imp_buf_replace(struct imp_buf *b, size_t at, size_t old, const void *s, size_t n);
void imp_buf_text(struct imp_buf *b, const char *s, size_t n);  /* escaped element text */
void imp_buf_attr(struct imp_buf *b, const char *name, const char *value);
void imp_buf_elem(struct imp_buf *b, const char *name, const char *text, size_t n);
const char *imp_buf_str(struct imp_buf *b);                     /* NUL-terminated view */
void imp_buf_reset(struct imp_buf *b);
void imp_buf_free(struct imp_buf *b);
size_t imp_unescape(char *s);                                   /* in place, the 5 XML entities */

/* ---- lines.c: bounded line reader --------------------------------------- */

typedef long imp_read_fn(void *arg, void *buf, size_t n);       /* like read(2) */

struct imp_lines {
	imp_read_fn *read;
	void *arg;
	char *buf;
	size_t cap, start, end, max;
	unsigned long lineno;        /* number of the line last returned */
	int eof, unterminated;       /* unterminated: last line had no newline */
	int anynl;                   /* CR and CRLF end lines too, not only LF */
};

int imp_lines_init(struct imp_lines *l, imp_read_fn *fn, void *arg, size_t max);
int imp_lines_next(struct imp_lines *l, const char **line, size_t *len);
void imp_lines_free(struct imp_lines *l);
long imp_read_fd(void *arg, void *buf, size_t n);              /* arg: int * */

/* ---- safe.c: folders and files where other accounts write (the spool) --- */

#include <sys/types.h>

/* The folder name below at (AT_FDCWD: a path), made with mode (and group,
 * (gid_t)-1 for none) when missing, opened without following a link, and
 * refused (73) when it is not ours or is writable by others than group;
 * shown names it in messages. */
int imp_dir_open(int at, const char *name, const char *shown, mode_t mode, gid_t group,
		 int *fd, struct imp_err *e);
/* A regular file of at most max bytes into out; -1 when absent; a link, a
 * FIFO, a folder or a larger file is 65. */
int imp_file_read(int at, const char *name, const char *shown, size_t max,
		  struct imp_buf *out, struct imp_err *e);
/* A new file (O_EXCL, no link followed; a leftover of the name is removed
 * first) with mode and group, holding p; made durable by the caller. */
int imp_file_create(int at, const char *name, const char *shown, mode_t mode, gid_t group,
		    const void *p, size_t n, struct imp_err *e);
/* Whether name is a regular file owned by this account (never a link). */
int imp_file_is_ours(int at, const char *name);
/* A job file's name PRIORITY-BATCH.jobs (2-B-20261207-01.jobs: the jobs of
 * one batch, queue and priority): 1 with the priority and batch out, else 0. */
int imp_jobs_name(const char *name, int *priority, char batch[IMP_ID_MAX + 1]);

/* ---- merkle.c: RFC 6962 Merkle tree hash --------------------------------- */

struct imp_merkle {
	unsigned char stack[64][IMP_HASH_LEN];
	int top;
	uint64_t count;
};

int imp_crypto_init(void);
void imp_sha256(const void *p, size_t n, unsigned char out[IMP_HASH_LEN]);
/* SHA-256 of data given in parts: begin (NULL when out of memory), add, end
 * (which frees it; NULL out only frees). */
struct imp_sha256_ctx;
struct imp_sha256_ctx *imp_sha256_begin(void);
void imp_sha256_add(struct imp_sha256_ctx *c, const void *p, size_t n);
void imp_sha256_end(struct imp_sha256_ctx *c, unsigned char out[IMP_HASH_LEN]);
void imp_leaf_hash(const void *p, size_t n, unsigned char out[IMP_HASH_LEN]);
void imp_node_hash(const unsigned char l[IMP_HASH_LEN], const unsigned char r[IMP_HASH_LEN],
		   unsigned char out[IMP_HASH_LEN]);
void imp_merkle_init(struct imp_merkle *m);
void imp_merkle_add(struct imp_merkle *m, const unsigned char leaf[IMP_HASH_LEN]);
void imp_merkle_root(const struct imp_merkle *m, unsigned char out[IMP_HASH_LEN]);
size_t imp_merkle_path(const unsigned char (*leaves)[IMP_HASH_LEN], uint64_t n, uint64_t m,
		       unsigned char (*path)[IMP_HASH_LEN]);
int imp_merkle_check_path(const unsigned char leaf[IMP_HASH_LEN], uint64_t m, uint64_t n,
			  const unsigned char (*path)[IMP_HASH_LEN], size_t len,
			  unsigned char root[IMP_HASH_LEN]);
void imp_hex(const unsigned char *p, size_t n, char *out);      /* out: 2n+1 */
int imp_unhex(const char *s, unsigned char *out, size_t n);     /* exactly 2n hex */
void imp_b64_encode(const unsigned char *p, size_t n, struct imp_buf *out);
int imp_b64_decode(const char *s, size_t n, struct imp_buf *out);

/* ---- trust.c: the trust file --------------------------------------------- */

/* reviewer: decides holds (review); screening: decides control-list and
 * duplicate holds, and only those need it */
enum { IMP_ROLE_STAGE = 1, IMP_ROLE_APPROVER = 2, IMP_ROLE_REVIEWER = 4,
       IMP_ROLE_SCREENING = 8 };

struct imp_trust_entry {
	char fpr[IMP_FPR_LEN + 1];   /* upper case */
	unsigned roles;
	char *name;
};

struct imp_trust {
	struct imp_trust_entry *v;
	size_t n;
	char path[4096];
};

int imp_trust_load(struct imp_trust *t, const char *path, struct imp_err *e);
int imp_trust_parse(struct imp_trust *t, const char *text, size_t n, struct imp_err *e);
const struct imp_trust_entry *imp_trust_find(const struct imp_trust *t, const char *fpr);
const char *imp_trust_name(const struct imp_trust *t, const char *fpr);
unsigned imp_role_for_stage(const char *stage);
const char *imp_role_name(unsigned role);
void imp_trust_free(struct imp_trust *t);

/* ---- seal.c: statements, signatures (GPGME), seal checks ------------------- */

struct imp_sealed {                 /* a seal, or one entry of <provenance> */
	char stage[33];
	char signer[IMP_FPR_LEN + 1];
	uint64_t count;
	unsigned char root[IMP_HASH_LEN];
	char created[33];
};

struct imp_gpg;

int imp_gpg_open(struct imp_gpg **g, struct imp_err *e);
void imp_gpg_close(struct imp_gpg *g);
int imp_gpg_signer(struct imp_gpg *g, const char *fpr, char primary[IMP_FPR_LEN + 1],
		   struct imp_err *e);
/* A detached binary OpenPGP signature by key fpr over data[0..n), added to
 * sig (a courier bundle's SHA256SUMS.sig); imp_gpg_sign gives the same in
 * base64 (a seal's). The key is looked up once per g: one gpg run each. */
int imp_gpg_sign_detached(struct imp_gpg *g, const char *fpr, const void *data, size_t n,
			  struct imp_buf *sig, struct imp_err *e);
int imp_gpg_sign(struct imp_gpg *g, const char *fpr, const void *data, size_t n,
		 struct imp_buf *b64, struct imp_err *e);
int imp_gpg_verify(struct imp_gpg *g, const void *data, size_t n, const char *b64,
		   size_t b64len, char fpr[IMP_FPR_LEN + 1], struct imp_err *e);
void imp_statement(struct imp_buf *b, const char *batch, const char *kind,
		   const struct imp_sealed *s, const unsigned char *prov_hash);
int imp_seal_check(struct imp_gpg *g, const struct imp_trust *t, const char *batch,
		   const char *kind, const struct imp_sealed *s, const unsigned char *prov_hash,
		   const char *b64, size_t b64len, struct imp_err *e);
int imp_signer_allowed(const struct imp_trust *t, const char *fpr, const char *stage,
		       struct imp_err *e);

struct imp_keys {                   /* what a program needs to verify and to seal */
	struct imp_trust trust;
	struct imp_gpg *gpg;
	char signer[IMP_FPR_LEN + 1];    /* primary fingerprint, "" when not sealing */
};

int imp_keys_open(struct imp_keys *k, const char *trust, const char *signer,
		  const char *stage, struct imp_err *e);
void imp_keys_close(struct imp_keys *k);

/* ---- stream.c: reading and writing sealed streams ---------------------- */

enum { IMP_OK_STATUS = 0, IMP_HELD = 1, IMP_REJECTED = 2, IMP_NSTATUS = 3 };

struct imp_batch {
	char id[IMP_ID_MAX + 1];
	char kind[16];
	char *prov_line;             /* the <provenance> line, or NULL */
	size_t prov_len;
	struct imp_sealed *prov;     /* its entries, oldest first */
	size_t nprov;
	struct imp_sealed seal;      /* the stream's own seal */
	struct imp_buf seal_b64;
	char *seal_line;             /* the <seal> line as read */
	size_t seal_len;
	unsigned char root[IMP_HASH_LEN];    /* recomputed over the record lines */
	uint64_t count;
	uint64_t status[IMP_NSTATUS];
};

/* Called for every record line during verification (pass 1). */
typedef int imp_line_fn(void *arg, uint64_t index, const char *line, size_t len,
			const unsigned char leaf[IMP_HASH_LEN], struct imp_err *e);

struct imp_reader;

int imp_reader_open(struct imp_reader **r, const char *path, struct imp_err *e);
int imp_reader_scan(struct imp_reader *r, struct imp_batch *b, imp_line_fn *fn, void *arg,
		    struct imp_err *e);
int imp_reader_rewind(struct imp_reader *r, struct imp_err *e);
int imp_reader_next(struct imp_reader *r, const char **line, size_t *len, struct imp_err *e);
int imp_reader_finish(struct imp_reader *r, const struct imp_batch *b, struct imp_err *e);
const char *imp_reader_name(const struct imp_reader *r);
void imp_reader_close(struct imp_reader *r);
void imp_batch_free(struct imp_batch *b);

/*
 * A sealed stream read whole by a program that writes none from it (a side
 * file, the printed history, an approved batch to spool): pass 1 reads
 * every line (scan, when set, sees each record line), the seal is verified
 * against k's trust file, ready (when set) sees the verified batch before
 * any record is used, then pass 2 gives each record line to each (index
 * from 1), and the end checks that pass 2 read what pass 1 verified. b is
 * filled (free it with imp_batch_free, also after a failure: its id is
 * known from the <batch> line). A callback's non-zero return stops the
 * read and is returned; ready's IMP_READ_STOP stops it with 0.
 */
#define IMP_READ_STOP (-1)
struct imp_read {
	imp_line_fn *scan;
	int (*ready)(void *arg, const struct imp_batch *b, struct imp_err *e);
	int (*each)(void *arg, uint64_t index, const char *line, size_t len, struct imp_err *e);
	void *arg;
};
int imp_stream_read(const char *path, const struct imp_keys *k, struct imp_batch *b,
		    const struct imp_read *how, struct imp_err *e);
int imp_batch_verify(const struct imp_batch *b, struct imp_gpg *g, const struct imp_trust *t,
		     struct imp_err *e);

int imp_parse_provenance(const char *s, size_t n, struct imp_batch *b);
int imp_parse_seal(const char *s, size_t n, struct imp_batch *b);
int imp_record_head(const char *line, size_t len, const char **id, size_t *idlen, int *status);
const char *imp_status_name(int status);
int imp_status_parse(const char *s);
int imp_batch_id_ok(const char *id);
int imp_record_id_ok(const char *id, size_t n);

struct imp_writer {
	FILE *out;
	char batch[IMP_ID_MAX + 1];
	char kind[16];
	struct imp_buf prov;          /* provenance line written, without newline */
	struct imp_merkle tree;
	int err;
	struct imp_sealed seal;       /* the seal written (imp_writer_seal) */
};

void imp_stdout_buffer(void);
int imp_writer_begin(struct imp_writer *w, FILE *out, const char *batch, const char *kind,
		     const struct imp_batch *in, struct imp_err *e);
int imp_writer_record(struct imp_writer *w, const char *line, size_t len, struct imp_err *e);
int imp_writer_seal(struct imp_writer *w, struct imp_gpg *g, const char *stage,
		    const char *signer, struct imp_err *e);
void imp_writer_free(struct imp_writer *w);

/* ---- record.c: one record line: read lazily, change by splicing ---------- */

struct imp_record;
struct _xmlNode;

/* how a record line is parsed (libxml2's parser.h names the options) */
#define IMP_RECORD_XML_OPTS \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

struct imp_record *imp_record_new(void);
void imp_record_free(struct imp_record *r);
int imp_record_load(struct imp_record *r, const char *line, size_t len, struct imp_err *e);
const char *imp_record_id(const struct imp_record *r);
void imp_record_set_index(struct imp_record *r, uint64_t index);
uint64_t imp_record_index(const struct imp_record *r);
int imp_record_status(const struct imp_record *r);
void imp_record_line(const struct imp_record *r, const char **line, size_t *len);
int imp_record_parse(struct imp_record *r, struct imp_err *e);
const struct imp_err *imp_record_error(const struct imp_record *r);
struct _xmlNode *imp_record_root(struct imp_record *r);
int imp_record_plain(struct imp_record *r);
const char *imp_record_field(struct imp_record *r, const char *section, const char *name);
const char *imp_record_attr(struct imp_record *r, const char *section, const char *name);
typedef void imp_field_fn(void *arg, const char *name, const char *value);
int imp_record_each_field(struct imp_record *r, const char *section, imp_field_fn *fn,
			  void *arg);
int imp_record_verdict(struct imp_record *r, const char **stage, const char **code,
		       const char **text);
int imp_record_step(struct imp_record *r, const char *stage, int result, const char *code,
		    const char *const *attrs, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int imp_record_insert(struct imp_record *r, const char *xml, size_t n);
int imp_record_release(struct imp_record *r);
struct imp_format;
int imp_record_correct(struct imp_record *r, const struct imp_format *f, const char *name,
		       const char *value);
int imp_line_field(const char *line, size_t len, const char *section, const char *name,
		   struct imp_buf *out);
int imp_line_section(const char *line, size_t len, const char *section, const char **start,
		     size_t *n);
int imp_line_value(const char *span, size_t len, const char *name, struct imp_buf *out);
/* The texts of several elements of a span in one pass: found[i] says whether
 * names[i] is there, its text in out[i]; -1 when out of memory. */
int imp_line_values(const char *span, size_t len, const char *const *names, size_t n,
		    struct imp_buf *out, int *found);
void imp_line_drop(struct imp_buf *line, const char *name);
void imp_xml_init(void);
void imp_xml_done(void);

/* ---- proof.c: one record's Merkle audit path, with the seal ------------- */

void imp_proof_write(struct imp_buf *out, const struct imp_batch *b, uint64_t index,
		     const char *line, size_t len, const unsigned char (*path)[IMP_HASH_LEN],
		     size_t plen);
int imp_proof_check(const char *text, size_t n, const struct imp_keys *k,
		    struct imp_batch *b, struct imp_buf *record, uint64_t *index,
		    struct imp_err *e);

/* ---- verdict.c: every problem of a record in one step ---------------------- */

struct imp_verdict {
	int result;                   /* the worst so far */
	char code[48];                /* the first problem of that result, "" when none */
	struct imp_buf first;         /* its sentence */
	struct imp_buf rest;          /* "; also CODE: sentence" for the others */
};

void imp_verdict_reset(struct imp_verdict *v);
void imp_verdict_add(struct imp_verdict *v, int result, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int imp_verdict_step(struct imp_verdict *v, struct imp_record *r, const char *stage,
		     const char *ok_code, const char *ok_text, const char *const *attrs);
void imp_verdict_free(struct imp_verdict *v);

/* ---- stage.c: the stage loop -------------------------------------------- */

struct imp_stage {
	const char *name;                  /* written as the seal's stage */
	const char *const *kinds;          /* accepted input kinds, NULL: any */
	const char *input_stage;           /* required sealer of the input, NULL: any */
	const char *out_kind;              /* NULL: same as the input */
	int repeatable;                    /* may run twice on one batch (test stages) */
	int four_eyes;                     /* the signer may not have sealed the batch's ingest */
	const char *after;                 /* a stage the batch must have been through */
	/* every record line while the input is verified, unparsed (see imp_line_field) */
	int (*scan)(void *arg, const char *line, size_t len, struct imp_err *e);
	int (*begin)(void *arg, const struct imp_batch *in, struct imp_err *e);
	int (*record)(void *arg, struct imp_record *r, struct imp_err *e);
	int (*end)(void *arg, struct imp_err *e);
	void *arg;
};

struct imp_stage_opts {
	const char *input;                 /* file, or NULL / "-" for stdin */
	const char *trust;                 /* --trust, or NULL */
	const char *signer;                /* --signer, or NULL */
	const char *counts;                /* --counts FILE, or NULL */
};

/* getopt_long's value for every stage's --counts FILE (no short option) */
#define IMP_COUNTS_OPT 1000

/*
 * The held and rejected records of a stream by code, in the order they come
 * (inspect --counts' "held.CODE=N" lines, and a stage's --counts).
 */
struct imp_code_count {
	char code[64];
	int status;
	uint64_t n;
};

struct imp_tally {
	struct imp_code_count *codes;
	size_t n;
	int bad;                     /* a record's verdict could not be read */
};

int imp_tally_record(struct imp_tally *t, struct imp_record *r, struct imp_err *e);
void imp_tally_free(struct imp_tally *t);

struct imp_run {
	char batch[IMP_ID_MAX + 1];
	uint64_t in;
	uint64_t out[IMP_NSTATUS];
	double start, shown;         /* shown: when the progress line was last drawn */
	int tty;                     /* draw progress: stderr a terminal, stdout no pipe */
	uint64_t total;              /* records to process, once known (0: unknown) */
	double began;                /* when processing them began */
	const char *drawn;           /* what the last progress line said was done */
	const char *counts;          /* --counts FILE: the key=value summary, or NULL */
	uint64_t blank_rows;         /* ingest: rows of empty cells skipped */
	int empty;                   /* ingest: refused as an empty export */
	/* the stream written, once sealed (imp_run_sealed): --counts adds its
	 * counts as inspect --counts prints them, each key after "stream." */
	int sealed;
	char kind[16];
	struct imp_sealed seal;
	char signer_name[128];
	struct imp_tally tally;
	struct imp_record *scratch;  /* the line as written, its code read */
};

int imp_stage_run(const char *prog, const struct imp_stage *st, const struct imp_stage_opts *o,
		  struct imp_run *run, struct imp_err *e);
void imp_summary(const char *prog, const struct imp_run *run);
int imp_counts_write(const char *prog, const struct imp_run *run, int status,
		     struct imp_err *e);
void imp_run_count(struct imp_run *run, struct imp_record *r, const char *line, size_t len);
void imp_run_sealed(struct imp_run *run, const struct imp_writer *w, const struct imp_keys *k);
void imp_stream_counts(struct imp_buf *b, const char *prefix, const char *batch,
		       const char *kind, const struct imp_sealed *seal, uint64_t records,
		       const uint64_t status[IMP_NSTATUS], const char *signer_name,
		       const struct imp_tally *t);
void imp_init(struct imp_run *run);
int imp_exit(const char *prog, const char *batch, struct imp_run *run, int rc,
	     const struct imp_err *e);
void imp_run_init(struct imp_run *run);
void imp_progress(const char *prog, struct imp_run *run, const char *what, uint64_t n, int done);

/* ---- review.c: where a record an officer released re-enters the chain ---- */

int imp_stage_order(const char *stage);      /* ingest 0 .. spool-print 9, else -1 */
int imp_review_skips(const char *line, size_t len, const char *stage);
int imp_review_cleared(const char *line, size_t len, const char *stage);

/* ---- csv.c: RFC 4180 input with line numbers and limits --------------------- */

#define IMP_FIELD_MAX 4096           /* a longer value rejects its record */

struct imp_csv_row {
	const char *file;             /* file name, archive:member for archives */
	unsigned long line;           /* physical line where the row starts */
	int header;                   /* the first row of a file */
	size_t n;                     /* fields in the row */
	size_t kept;                  /* fields stored (at most the header's count) */
	char **field;                 /* NUL-terminated, CR/LF/TAB runs made one space */
	size_t *len;
	size_t *bad;                  /* per field: 0, or 1 + offset of a control character */
	int *toolong;                 /* per field: value exceeded IMP_FIELD_MAX (emptied) */
};

typedef int imp_row_fn(void *arg, const struct imp_csv_row *row, struct imp_err *e);

int imp_csv_read(const char *path, imp_row_fn *fn, void *arg, struct imp_err *e);
int imp_csv_read_blank(const char *path, imp_row_fn *fn, void *arg, uint64_t *blank,
		       struct imp_err *e);
int imp_csv_header(const struct imp_csv_row *row, const char *what, const char *const *columns,
		   size_t n, size_t *col, struct imp_err *e);
size_t imp_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
int imp_utf8_check(const unsigned char *s, size_t n, size_t *bad);
void imp_csv_cell(struct imp_buf *b, const char *s, int protect);

/* ---- names.c: names normalised and transliterated (ICAO 9303-3 6.A) --------- */

enum { IMP_NAME_DIGIT = 1, IMP_NAME_SCRIPT = 2 };

uint32_t imp_utf8_next(const char *s, size_t *len);
int imp_name_normalise(const char *s, struct imp_buf *out, uint32_t *bad);

enum { IMP_REL_NONE, IMP_REL_SON, IMP_REL_DAUGHTER, IMP_REL_WIFE };

int imp_name_relation(const char *s, size_t *skip);  /* S/O, D/O, W/O ... before a name */
const char *imp_script_name(uint32_t c);

struct imp_names;                     /* the variant tables of lib/names.txt */

#define IMP_NAME_WORDS 12
#define IMP_WORD_MAX 32

struct imp_name_words {               /* a name's words in canonical spelling */
	char t[IMP_NAME_WORDS][IMP_WORD_MAX];
	char r[IMP_NAME_WORDS][IMP_WORD_MAX];   /* ... and as written, before the fold */
	unsigned char weak[IMP_NAME_WORDS], honorific[IMP_NAME_WORDS];
	size_t n;
};

int imp_names_open(struct imp_names **n, struct imp_err *e);
void imp_names_close(struct imp_names *n);
double imp_name_similarity(const struct imp_names *n, const char *a, const char *b);
void imp_name_words(const struct imp_names *n, const char *name, struct imp_name_words *w);
double imp_name_words_similarity(const struct imp_name_words *a, const struct imp_name_words *b);
/* The same, and in *part whether one name's words all paired, the other having more. */
double imp_name_words_compare(const struct imp_name_words *a, const struct imp_name_words *b,
			      int *part);
/* The most imp_name_words_compare can give a and b (an upper bound, found
 * without comparing a word: what may pair and what cannot). */
double imp_name_words_most(const struct imp_name_words *a, const struct imp_name_words *b);
int imp_name_has_honorific(const struct imp_name_words *w);
/* Whether dedup's comparison may pair a word (folded) with an honorific,
 * or, unless it is two words joined, with one joined to the word after it
 * (imp_word_may_like). */
int imp_names_near_honorific(const struct imp_names *n, const char *w, size_t len, int joined);
/* The letters of a name as written, its words one after another without
 * spaces, into out; their number, 0 when a word is an initial or not known
 * as written. */
size_t imp_name_letters(const struct imp_name_words *w, char *out, size_t size);
/* The typos the comparison forgives between words of la and lb letters
 * (0, 1 or 2), and the letters two words joined need to be compared with
 * one (ABDUL REHMAN, ABDULREHMAN): the bounds of screen-pcl's index. */
static inline size_t
imp_word_typos(size_t la, size_t lb)
{
	size_t min = la < lb ? la : lb;

	if (min < 4 || (la < 5 && lb < 5))
		return 0;
	return min >= 8 ? 2 : 1;
}
#define IMP_JOINED_MIN 6
/* Whether the comparison may find words x and y (lx, ly letters) alike:
 * the same first letter, and an initial, the same length, or lengths the
 * typos imp_word_typos forgives can bridge. Whether word x may be words y
 * and z joined (one typo apart): the first letter of y, IMP_JOINED_MIN
 * letters or more joined, x at most a letter longer. The comparison asks
 * these first, and so does screen-pcl's index. */
int imp_word_may_pair(const char *x, size_t lx, const char *y, size_t ly);
int imp_word_may_join(const char *x, size_t lx, const char *y, size_t ly, size_t lz);
/* Words x and y joined and folded as one word (ABDUL REHMAN: ABDULREHMAN),
 * into out (2 * IMP_WORD_MAX); its length. */
size_t imp_word_joined(const char *x, const char *y, char *out);

/* ---- match.c: the rules of person matching (screen-pcl, dedup, verify-nadra) -- */

struct imp_date;

/* The hash of a key: FNV-1a over its bytes (imp_hash_add from IMP_HASH_START,
 * a key may be hashed as it is made), then mixed; never 0. */
#define IMP_HASH_START 14695981039346656037ULL
/* inline: screen-pcl hashes a few hundred keys an applicant */
static inline uint64_t
imp_hash_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;       /* FNV-1a */
	return h;
}

static inline uint64_t
imp_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h != 0 ? h : 1;
}

uint64_t imp_hash(const void *p, size_t n);
/* A passport number as a key: spaces and dashes left out, upper case, cut to size - 1. */
void imp_passport_key(const char *v, char *out, size_t size);
/* Whether a photo's SHA-256 is the hash of an empty file: a photo missing,
 * which a placeholder stands for; it says nothing of a person. */
#define IMP_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
int imp_photo_placeholder(const char *sha256);
/* Whether two numbers of n digits (CNICs) are one typo apart. */
enum { IMP_TYPO_NONE, IMP_TYPO_ONE, IMP_TYPO_SWAP };
int imp_digits_typo(const char *a, const char *b, size_t n);
/* Edit distances of words: Levenshtein; optimal string alignment (a swap of
 * neighbours is one edit) from 0 to 3 (3: three or more); whether two
 * strings of min letters or more differ by one letter changed, added or dropped,
 * or two neighbours swapped. */
size_t imp_levenshtein(const char *a, const char *b);
int imp_osa_distance(const char *a, size_t la, const char *b, size_t lb);
int imp_one_edit(const char *a, const char *b, size_t min);
/* A word's first letter and its consonants after it, doubled ones once
 * (out: IMP_WORD_MAX): typos in vowels vanish. */
void imp_word_skeleton(const char *w, char *out);
/* The words that count, sorted: strong ones (not weak, not honorifics), or
 * all when there are none (the keys of the history). */
size_t imp_strong_words(const struct imp_name_words *w, const char **out, size_t max);
/* The words a name is indexed by, in order (their indices in out): honorifics
 * left out unless the name has nothing else, weak words unless it has no
 * strong one (the keys of the control lists). */
size_t imp_index_words(const struct imp_name_words *w, size_t *out);

/* A name's words, compact: in buf, each ended by a NUL; bit i of weak, hon:
 * word i is weak, an honorific. */
struct imp_words {
	char buf[IMP_NAME_WORDS * IMP_WORD_MAX];
	const char *w[IMP_NAME_WORDS];
	size_t len[IMP_NAME_WORDS], n;
	unsigned weak, hon;
};
void imp_words_split(const char *s, unsigned weak, unsigned hon, struct imp_words *w);
/*
 * A father's name in 13 bits, for the history's index (IMP_FT_*): the
 * first letters of its words but honorifics in eleven groups, whether one
 * of its words is an initial or IMP_FT_LONG letters or more, whether it
 * has an honorific; 0 when it has no words. imp_father_vetoed: whether a
 * passport's father's name of that tag must conflict, in dedup's
 * comparison, with the father's name an applicant's veto was made of
 * (imp_father_veto_make): a word of the passport's that begins like none
 * of the applicant's (it stays unpaired), and a strong word of the
 * applicant's that begins like none of the passport's, nor joined with the
 * word before it, nor is alike an honorific when both have one (it stays
 * unpaired too). What the tag cannot see (README "The history"): a typo
 * in a first letter, which dedup forgives too; two words of the passport's
 * joined to pair with one of the applicant's, when his has a word more.
 * imp_word_may_like: whether dedup's word_like may find two words alike,
 * whatever their counts.
 */
enum {
	IMP_FT_LETTERS = 0x7ff, IMP_FT_ODD_LENGTH = 0x800, IMP_FT_HONORIFIC = 0x1000,
	IMP_FT_LONG = 10,
};
struct imp_father_veto {
	unsigned any, explained;
	size_t nx;
	struct { unsigned first, join, join_long; } x[IMP_NAME_WORDS];
};
unsigned imp_father_tag(const struct imp_name_words *f);
void imp_father_veto_make(const struct imp_names *nm, const struct imp_name_words *f,
			  struct imp_father_veto *v);
int imp_father_vetoed(const struct imp_father_veto *v, unsigned tag);
int imp_word_may_like(const char *a, size_t la, const char *b, size_t lb);
/* How alike two canonical words are by their letters: the same (1); the
 * same letters but for vowels (SHAHZAD, SHEHZAD: 0.9); a typo, one letter
 * changed, added, dropped or two swapped (0.8), or two in a word of seven
 * letters or more (0.7), with *typo set: the caller forgives it or not
 * (dedup: when one of the words is rare); an initial (0.5, 1 when weak). */
double imp_word_alike(const char *a, size_t la, const char *b, size_t lb, int weak, int *typo);

void imp_words_from(const struct imp_name_words *nw, struct imp_words *w);

/* How two names' honorifics agree: one side has none; both have some but
 * none in common (two names: ASIF MALIK is not ASIF RANA); the same ones;
 * some in common. */
enum { IMP_HON_ONE_SIDE, IMP_HON_DIFFER, IMP_HON_SAME, IMP_HON_SHARED };
int imp_honorifics(const struct imp_name_words *a, const struct imp_name_words *b);
int imp_words_honorifics(const struct imp_words *a, const struct imp_words *b);

/* What two dates of birth (perhaps partial) say: not known on one side;
 * the same day; the same month (one without its day); the same year (one
 * without its month); a typo (one digit, or two neighbours swapped, both
 * dates whole); day and month swapped; they differ. Each program weighs a
 * class in its own bits; imp_dob_other_year: whether the class may come of
 * two different years (a bound on what another year may give). */
enum { IMP_DOB_UNKNOWN, IMP_DOB_DAY, IMP_DOB_MONTH, IMP_DOB_YEAR, IMP_DOB_TYPO, IMP_DOB_SWAP,
       IMP_DOB_DIFFERS, IMP_DOB_CLASSES };
int imp_dob_compare(const struct imp_date *a, const struct imp_date *b);
int imp_dob_other_year(int c);
/* Whether two sexes (M, F, X; 0 not known) tell two people apart: M against F. */
int imp_sexes_differ(char a, char b);

/* ---- dates.c: calendar dates, partial dates, dates typed from paper ------- */

struct imp_date {
	int y, m, d;                  /* m, d 0 when not known (a partial date) */
};

enum { IMP_DATE_OK = 0, IMP_DATE_AMBIGUOUS, IMP_DATE_INVALID, IMP_DATE_UNREADABLE,
       IMP_DATE_RANGE, IMP_DATE_NOT_DAY_FIRST };
enum { IMP_DATE_PARTIAL = 1, IMP_DATE_DAY_FIRST = 2 };     /* imp_date_messy's how */

int imp_date_real(int y, int m, int d);
int imp_date_iso(const char *s, struct imp_date *d);
int imp_date_partial(const char *s, struct imp_date *d);
int imp_date_cmp(const struct imp_date *a, const struct imp_date *b);
void imp_date_str(const struct imp_date *d, char out[11]);
void imp_put_digits(char *p, uint64_t v, int n);
int imp_date_today(struct imp_date *d);
struct imp_date imp_date_add_years(struct imp_date d, int n);
int imp_date_messy(const char *s, int how, const struct imp_date *lo,
		   const struct imp_date *hi, struct imp_date *out, struct imp_buf *why);

/* ---- map.c: a string set/map for the batch (ids seen, and their record) ---- */

struct imp_map;

struct imp_map *imp_map_new(void);
int imp_map_put(struct imp_map *m, const char *key, uint64_t value, uint64_t *old);
int imp_map_get(const struct imp_map *m, const char *key, uint64_t *value);
int imp_map_set(struct imp_map *m, const char *key, uint64_t value);
int imp_map_add(struct imp_map *m, const char *key, uint64_t n);
int imp_map_each(const struct imp_map *m, int (*fn)(void *arg, const char *key,
		 uint64_t value), void *arg);
void imp_map_free(struct imp_map *m);

/* ---- sort.c: pairs by a 64-bit key -------------------------------------------- */

struct imp_pair {
	uint64_t key, value;
};

/* Stable (equal keys keep their order); -1 when out of memory. */
int imp_pairs_sort(struct imp_pair *v, size_t n);

/* ---- nadra.c: the NADRA extract, indexed by CNIC --------------------------- */

struct imp_nadra;

struct imp_citizen {                  /* one register row, fields as in the extract */
	const char *name, *father_name, *date_of_birth, *sex, *status;
};

int imp_cnic_parse(const char *s, uint64_t *out);
int imp_nadra_build(const char *csv, int fd, uint64_t *rows, uint64_t *skipped,
		    struct imp_err *e);
int imp_nadra_open(const char *path, struct imp_nadra **n, struct imp_err *e);
int imp_nadra_extract(const struct imp_nadra *n, const char *index, const char *csv,
		      struct imp_err *e);
uint64_t imp_nadra_rows(const struct imp_nadra *n);
size_t imp_nadra_find(struct imp_nadra *n, uint64_t cnic, struct imp_citizen *out,
		      size_t max);
size_t imp_nadra_offsets(struct imp_nadra *n, uint64_t cnic, uint64_t *off, size_t max);
int imp_nadra_fields(struct imp_nadra *n, uint64_t off, struct imp_buf *out);
void imp_nadra_close(struct imp_nadra *n);

/* ---- xsd.c: the record schema, compiled into the library ------------------ */

struct imp_xsd;
struct _xmlDoc;

int imp_xsd_open(struct imp_xsd **x, struct imp_err *e);
int imp_xsd_check(struct imp_xsd *x, struct _xmlDoc *doc, struct imp_buf *why);
/* The same check as the line is parsed, without a tree: 0 valid, -1 not
 * (the first error in why), 1 when the line is not well-formed (check its
 * tree for the parser's error). */
int imp_xsd_check_line(struct imp_xsd *x, const char *line, size_t len, struct imp_buf *why);
/* 1 when a record line in the writers' form (imp_record_plain) is valid by a
 * walk that knows the lines validate reads; 0: ask imp_xsd_check_line. */
int imp_xsd_quick(const char *line, size_t len);
void imp_xsd_close(struct imp_xsd *x);

/* ---- lds.c: e-Passport chip data (ICAO 9303-10 LDS, 9303-12 EF.SOD) --------- */

#define IMP_LDS_MAXDG 16
#define IMP_LDS_COM 0x60
#define IMP_LDS_SOD 0x77

struct imp_lds_ef {                  /* one elementary file of a chip dump */
	unsigned tag;
	const unsigned char *p, *value;   /* the whole TLV, its value */
	size_t len, vlen;
};

struct imp_lds_sod {                 /* what a verified EF.SOD says */
	int dg[IMP_LDS_MAXDG];
	unsigned char hash[IMP_LDS_MAXDG][IMP_HASH_LEN];
	size_t n;
	char signer[512];                 /* the Document Signer's subject and serial */
};

struct imp_lds_signer;

unsigned imp_lds_dg_tag(int dg);
int imp_lds_tag_dg(unsigned tag);
int imp_tlv_read(const unsigned char *p, size_t n, unsigned *tag, size_t *hdr, size_t *len);
int imp_lds_split(const unsigned char *p, size_t n, struct imp_lds_ef *ef, size_t max,
		  size_t *count, struct imp_buf *why);
void imp_lds_dg1(struct imp_buf *out, const char *l1, const char *l2);
int imp_lds_dg2(struct imp_buf *out, const unsigned char *jpeg, size_t n, char sex,
		struct imp_buf *why);
void imp_lds_com(struct imp_buf *out, const int *dgs, size_t n);
int imp_lds_signer_open(struct imp_lds_signer **s, const char *cert, const char *key,
			const char *csca, struct imp_err *e);
const char *imp_lds_signer_name(const struct imp_lds_signer *s);
const char *imp_lds_signer_until(const struct imp_lds_signer *s);
int imp_lds_sign(struct imp_lds_signer *s, const int *dgs,
		 const unsigned char (*hash)[IMP_HASH_LEN], size_t n, struct imp_buf *sod,
		 struct imp_err *e);
void imp_lds_signer_close(struct imp_lds_signer *s);
int imp_lds_read_cert(const char *path, const char *what, void **cert, struct imp_err *e);
void imp_lds_free_cert(void *cert);
int imp_lds_sod_verify(const unsigned char *value, size_t n, void *csca,
		       struct imp_lds_sod *out, struct imp_buf *why);

/* The issuing authority on the data page and in DG12 */
#define IMP_AUTHORITY "DGIP ISLAMABAD"
/* The largest chip a print job carries: base64 (4/3) in a job file of at
 * most 64 KiB, with room for the job's own few kilobytes. */
#define IMP_LDS_JOB_CHIP_MAX (45 * 1024)

struct imp_lds_dg11 {                 /* DG11's fields; NULL or "" when not held */
	const char *surname, *given, *cnic, *dob, *place, *address;
};

void imp_lds_dg11(struct imp_buf *out, const struct imp_lds_dg11 *f);
void imp_lds_dg12(struct imp_buf *out, const char *authority, const char *issued);
int imp_lds_chip_check(const unsigned char *p, size_t n, const char *sod, const char *mrz,
		       struct imp_buf *why);
void imp_lds_drop_chip(struct imp_buf *line);
int imp_lds_job_chip(int spool, const char *root, struct imp_record *r, struct imp_buf *job,
		     struct imp_err *e);

/* ---- rules.c: the field rules of SPEC 5.1 and 5.3 (validate, review) ------ */

struct imp_rules;

int imp_rules_open(struct imp_rules **ru, const char *kind, const struct imp_date *today,
		   int day_first, struct imp_err *e);
int imp_rules_check(struct imp_rules *ru, struct imp_record *r, struct imp_err *e);
void imp_rules_close(struct imp_rules *ru);

/* ---- fields.c: the record formats of impass-csv(5) ----------------------- */

struct imp_format {
	const char *kind;             /* stream kind */
	const char *section;          /* element holding the fields */
	const char *const *columns;   /* CSV columns, in order */
	size_t ncolumns;
	const char *const *attrs;     /* the first nattrs columns are attributes, */
	size_t nattrs;                /* named so, of the section element */
	const char *const *derived;   /* fields validate derives from the columns, */
	size_t nderived;              /* found only in <normalised> (old_nic) */
};

const struct imp_format *imp_format_for(const char *kind);

#endif
