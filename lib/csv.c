/* SPDX-License-Identifier: ISC */
/*
 * CSV input (impass-csv(5)): RFC 4180 through libcsv in strict mode, one
 * physical line at a time so that every row knows the line it starts on;
 * plain files, gzip/bzip2/xz, and zip or tar archives of CSV files through
 * libarchive. Values keep their bytes except that runs of CR, LF and TAB
 * become one space; other control characters are replaced by U+FFFD and
 * reported, so that the caller can reject the row. What spreadsheets
 * leave behind is dealt with here: rows of empty cells are skipped and
 * counted, a header separated by ';' or TAB and a workbook are named as
 * such, and a Mac's __MACOSX/ and ._ members in an archive are passed over.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <csv.h>

#include "impass.h"

#define HEADER_MAX 256               /* columns in a header row */
#define PENDING_MAX IMP_LINE_MAX     /* bytes of one value still being read */
#define ROW_NOT_BEGUN 0              /* libcsv's parser state between rows */

struct csv_state {
	struct csv_parser p;
	struct imp_lines lines;
	struct archive *ar;
	char file[512];
	unsigned long row_line;
	size_t keep;                  /* fields to store per row */
	struct imp_csv_row row;
	struct imp_buf *vals;         /* keep buffers */
	char *names[HEADER_MAX];      /* the header's column names, for messages */
	size_t nnames;
	imp_row_fn *fn;
	void *arg;
	struct imp_err *e;
	int rc;
	int header_done;
	int filled;                   /* a field of this row holds a byte */
	char sep;                     /* ';' or TAB seen in the header's first field */
	uint64_t blank;               /* rows of empty cells skipped */
};

/* The length of one strict UTF-8 sequence at s (of n bytes), its code
 * point in *cp; 0 if none: no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
size_t
imp_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, k;
	uint32_t c = s[0], min;

	if (c < 0x80)
		len = 1, min = 0;
	else if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Strict UTF-8 (imp_utf8_decode) throughout; else -1, *bad the offset. */
int
imp_utf8_check(const unsigned char *s, size_t n, size_t *bad)
{
	size_t i = 0, len;
	uint32_t c;

	while (i < n) {
		if (s[i] < 0x80)
			len = 1;
		else if ((len = imp_utf8_decode(s + i, n - i, &c)) == 0) {
			*bad = i;
			return -1;
		}
		i += len;
	}
	return 0;
}

/* Control characters other than CR, LF, TAB: C0, DEL, C1, and U+FFFE/U+FFFF. */
static size_t
control_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 1;
	if (n >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	if (n >= 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
		return 3;
	return 0;
}

static void
store(struct csv_state *st, size_t i, const unsigned char *s, size_t n)
{
	struct imp_buf *b = &st->vals[i];
	size_t k = 0, run, c, chars = 0;

	imp_buf_reset(b);
	st->row.bad[i] = 0;
	st->row.toolong[i] = n > IMP_FIELD_MAX;
	while (k < n && !st->row.toolong[i]) {
		for (run = k; run < n && s[run] >= 0x20 && s[run] != 0x7f && s[run] != 0xc2 &&
		     s[run] != 0xef; run++)
			chars += (s[run] & 0xc0) != 0x80;
		imp_buf_add(b, s + k, run - k);
		if ((k = run) == n)
			break;
		if (s[k] == '\r' || s[k] == '\n' || s[k] == '\t') {
			while (k < n && (s[k] == '\r' || s[k] == '\n' || s[k] == '\t'))
				k++;
			imp_buf_add(b, " ", 1);
		} else if ((c = control_len(s + k, n - k)) > 0) {
			if (st->row.bad[i] == 0)
				st->row.bad[i] = chars + 1;
			imp_buf_add(b, "\xef\xbf\xbd", 3);
			k += c;
		} else {
			imp_buf_add(b, s + k, 1);   /* a lead byte that starts no control */
			k++;
		}
		chars++;
	}
	st->row.field[i] = b->p ? b->p : (char *)"";
	st->row.len[i] = b->len;
	if (b->oom)
		st->rc = imp_fail(st->e, EX_SOFTWARE, "out of memory");
}

static void
on_field(void *data, size_t n, void *arg)
{
	struct csv_state *st = arg;
	const unsigned char *s = data ? data : (const unsigned char *)"";
	size_t bad, i = st->row.n++;

	if (n > 0)
		st->filled = 1;
	if (!st->header_done && i == 0)
		st->sep = memchr(s, ';', n) ? ';' : memchr(s, '\t', n) ? '\t' : 0;
	if (st->rc != 0 || i >= st->keep)
		return;
	if (imp_utf8_check(s, n, &bad) != 0) {
		st->rc = imp_fail(st->e, EX_DATAERR, "%s line %lu, field %zu: invalid UTF-8 "
				  "(byte 0x%02x at offset %zu); export the file as UTF-8",
				  st->file, st->row_line, i + 1, s[bad], bad);
		return;
	}
	store(st, i, s, n);
	st->row.kept = i + 1;
}

static void
free_names(struct csv_state *st)
{
	while (st->nnames > 0)
		free(st->names[--st->nnames]);
}

static void
keep_names(struct csv_state *st)
{
	size_t i;

	free_names(st);
	for (i = 0; i < st->row.kept; i++)
		if ((st->names[st->nnames] = strdup(st->row.field[i])) != NULL)
			st->nnames++;
}

/* "field 18 (address)" for the field being read now */
static const char *
where(struct csv_state *st, char *buf, size_t size)
{
	size_t i = st->row.n;

	if (st->header_done && i < st->nnames)
		snprintf(buf, size, "field %zu (%s)", i + 1, st->names[i]);
	else
		snprintf(buf, size, "field %zu", i + 1);
	return buf;
}

/* A header in one field holding ';' or TAB: a spreadsheet's other separator. */
static int
other_separator(struct csv_state *st)
{
	return imp_fail(st->e, EX_DATAERR, "%s line %lu: the columns are separated by %s, not "
			"commas (a spreadsheet saved with regional settings); save it again as "
			"CSV UTF-8 (comma delimited), see impass-csv(5)", st->file, st->row_line,
			st->sep == ';' ? "semicolons (;)" : "TABs");
}

static void
on_row(int c, void *arg)
{
	struct csv_state *st = arg;
	int blank = st->header_done && !st->filled;

	(void)c;
	st->filled = 0;
	st->row.header = !st->header_done;
	if (blank)                    /* ",,,,": a spreadsheet's row past the data */
		st->blank++;
	else if (st->rc == 0 && st->row.header && st->row.n == 1 && st->sep != 0)
		st->rc = other_separator(st);
	else if (st->rc == 0)
		st->rc = st->fn(st->arg, &st->row, st->e);
	if (!st->header_done) {
		st->header_done = 1;
		st->keep = st->row.n < HEADER_MAX ? st->row.n : HEADER_MAX;
		keep_names(st);
	}
	st->row.n = st->row.kept = 0;
	st->row.line = 0;
}

static long
archive_read_fn(void *arg, void *buf, size_t n)
{
	la_ssize_t r = archive_read_data((struct archive *)arg, buf, n);

	/* libarchive's own errors (a cut gzip stream, a bad zip) are the file's:
	 * EILSEQ tells read_lines so; a system error stays what it is */
	if (r < 0)
		errno = archive_errno((struct archive *)arg) > 0 &&
			archive_errno((struct archive *)arg) != EILSEQ ?
			archive_errno((struct archive *)arg) : EILSEQ;
	return (long)r;
}

static int
alloc_row(struct csv_state *st)
{
	st->row.field = calloc(HEADER_MAX, sizeof *st->row.field);
	st->row.len = calloc(HEADER_MAX, sizeof *st->row.len);
	st->row.bad = calloc(HEADER_MAX, sizeof *st->row.bad);
	st->row.toolong = calloc(HEADER_MAX, sizeof *st->row.toolong);
	st->vals = calloc(HEADER_MAX, sizeof *st->vals);
	return st->row.field && st->row.len && st->row.bad && st->row.toolong && st->vals ? 0 : -1;
}

static void
free_row(struct csv_state *st)
{
	size_t i;

	for (i = 0; st->vals != NULL && i < HEADER_MAX; i++)
		imp_buf_free(&st->vals[i]);
	free(st->vals);
	free(st->row.field);
	free(st->row.len);
	free(st->row.bad);
	free(st->row.toolong);
}

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int
feed(struct csv_state *st, const char *line, size_t len, int newline)
{
	char at[96];

	if (st->p.pstate == ROW_NOT_BEGUN) {
		st->row_line = st->lines.lineno;
		st->row.line = st->row_line;
	}
	if (csv_parse(&st->p, line, len, on_field, on_row, st) != len ||
	    (newline && csv_parse(&st->p, "\n", 1, on_field, on_row, st) != 1))
		return st->rc ? st->rc : imp_fail(st->e, EX_DATAERR, "%s line %lu, %s: malformed "
			"quoting (a quote inside an unquoted value, or text after a closing "
			"quote); quote the whole value and double the quotes inside it",
			st->file, st->lines.lineno, where(st, at, sizeof at));
	if (st->rc == 0 && st->p.entry_pos > PENDING_MAX)
		return imp_fail(st->e, EX_DATAERR, "%s line %lu, %s: a quoted value runs on for "
				"more than 1 MiB from line %lu; a quote is probably not closed",
				st->file, st->lines.lineno, where(st, at, sizeof at), st->row_line);
	return st->rc;
}

static int
read_lines(struct csv_state *st)
{
	const char *line;
	size_t len;
	int rc;

	while ((rc = imp_lines_next(&st->lines, &line, &len)) > 0) {
		if (st->lines.lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
			line += 3, len -= 3;
		if ((rc = feed(st, line, len, !st->lines.unterminated)) != 0)
			return rc;
	}
	if (rc == 0)
		return 0;
	if (errno == E2BIG)
		return imp_fail(st->e, EX_DATAERR, "%s line %lu is longer than 1 MiB; this is not "
				"a CSV export", st->file, st->lines.lineno + 1);
	if (errno == EILSEQ)
		return imp_fail(st->e, EX_DATAERR, "%s is damaged or cut short after line %lu (%s); "
				"copy or export the file again", st->file, st->lines.lineno,
				archive_error_string(st->ar) ? archive_error_string(st->ar) : "?");
	return imp_fail(st->e, EX_IOERR, "cannot read %s line %lu: %s", st->file,
			st->lines.lineno + 1, archive_error_string(st->ar) ?
			archive_error_string(st->ar) : strerror(errno));
}

static int
parse_file(struct csv_state *st)
{
	char at[96];
	int rc;

	if (imp_lines_init(&st->lines, archive_read_fn, st->ar, IMP_LINE_MAX) != 0)
		return imp_fail(st->e, EX_SOFTWARE, "out of memory");
	st->lines.anynl = 1;
	csv_init(&st->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	st->filled = 0;
	csv_set_space_func(&st->p, no_space);
	csv_set_blk_size(&st->p, 1 << 16);      /* a long field grows in 64 KiB steps */
	st->keep = HEADER_MAX;
	st->header_done = 0;
	st->row.file = st->file;
	rc = read_lines(st);
	if (rc == 0 && csv_fini(&st->p, on_field, on_row, st) != 0)
		rc = imp_fail(st->e, EX_DATAERR, "%s line %lu, %s: a quote opened there is never "
			      "closed", st->file, st->row_line, where(st, at, sizeof at));
	if (rc == 0 && st->rc != 0)
		rc = st->rc;
	if (rc == 0 && !st->header_done)
		rc = imp_fail(st->e, EX_DATAERR, "%s is empty: no header row", st->file);
	csv_free(&st->p);
	imp_lines_free(&st->lines);
	return rc;
}

static int
ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcasecmp(name + n - k, suffix) == 0;
}

/* The workbook formats a clerk may send instead of a CSV export, by name. */
static const char *
workbook(const char *name)
{
	static const char *const suffixes[] = { ".xlsx", ".xlsm", ".xls", ".ods", ".numbers" };
	size_t i;

	for (i = 0; i < sizeof suffixes / sizeof *suffixes; i++)
		if (ends_with(name, suffixes[i]))
			return suffixes[i];
	return NULL;
}

static int
not_csv(struct imp_err *e, const char *path, const char *what)
{
	return imp_fail(e, EX_DATAERR, "%s is a spreadsheet workbook (%s), not a CSV export; "
			"open it in the spreadsheet and save it as CSV UTF-8 (comma delimited), "
			"see impass-csv(5)", path, what);
}

/* A member a Mac adds to a zip (__MACOSX/, ._NAME) or another hidden file. */
static int
hidden(const char *member)
{
	const char *base = strrchr(member, '/');

	return strncmp(member, "__MACOSX/", 9) == 0 || strstr(member, "/__MACOSX/") != NULL ||
	       (base ? base + 1 : member)[0] == '.';
}

/* The members that make a zip an .xlsx or an .ods workbook. */
static const char *
workbook_member(const char *member)
{
	if (strcmp(member, "[Content_Types].xml") == 0 || strncmp(member, "xl/", 3) == 0)
		return ".xlsx";
	if (strcmp(member, "mimetype") == 0 || strcmp(member, "content.xml") == 0 ||
	    strncmp(member, "META-INF/", 9) == 0)
		return ".ods";
	return NULL;
}

static int
each_entry(struct csv_state *st, const char *path)
{
	struct archive_entry *ent;
	const char *member, *book;
	int r, rc = 0, files = 0;

	while (rc == 0 && (r = archive_read_next_header(st->ar, &ent)) == ARCHIVE_OK) {
		if (archive_format(st->ar) == ARCHIVE_FORMAT_RAW) {
			snprintf(st->file, sizeof st->file, "%s", path);
		} else {
			member = archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "?";
			if (archive_entry_filetype(ent) == AE_IFDIR || hidden(member))
				continue;
			if ((book = workbook_member(member)) != NULL)
				return not_csv(st->e, path, book);
			snprintf(st->file, sizeof st->file, "%s:%s", path, member);
			if (archive_entry_filetype(ent) != AE_IFREG || !ends_with(st->file, ".csv"))
				return imp_fail(st->e, EX_DATAERR, "%s is not a .csv file; an archive "
						"may hold only CSV files: remove or rename it",
						st->file);
		}
		files++;
		rc = parse_file(st);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = imp_fail(st->e, EX_DATAERR, "%s: %s", path, archive_error_string(st->ar));
	if (rc == 0 && files == 0)
		rc = imp_fail(st->e, EX_DATAERR, "%s holds no CSV file", path);
	return rc;
}

int
imp_csv_read(const char *path, imp_row_fn *fn, void *arg, struct imp_err *e)
{
	return imp_csv_read_blank(path, fn, arg, NULL, e);
}

/* imp_csv_read, and the number of rows of empty cells skipped in *blank. */
int
imp_csv_read_blank(const char *path, imp_row_fn *fn, void *arg, uint64_t *blank,
		   struct imp_err *e)
{
	struct csv_state st;
	const char *shown = path && strcmp(path, "-") != 0 ? path : "standard input";
	int fd = 0, rc;

	if (blank != NULL)
		*blank = 0;
	if (workbook(shown) != NULL)
		return not_csv(e, shown, workbook(shown));
	memset(&st, 0, sizeof st);
	st.fn = fn;
	st.arg = arg;
	st.e = e;
	if (alloc_row(&st) != 0 || (st.ar = archive_read_new()) == NULL) {
		free_row(&st);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	archive_read_support_filter_gzip(st.ar);
	archive_read_support_filter_bzip2(st.ar);
	archive_read_support_filter_xz(st.ar);
	archive_read_support_format_zip(st.ar);
	archive_read_support_format_tar(st.ar);
	archive_read_support_format_raw(st.ar);
	/*
	 * Opened here and read through archive_read_open_fd: libarchive's own
	 * file reader drains a pipe to its end when closed, so a refused
	 * /dev/stdin or FIFO would be read whole before the refusal is seen.
	 */
	if (shown == path && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = imp_fail(e, EX_NOINPUT, "cannot open %s: %s", shown, strerror(errno));
	else if (archive_read_open_fd(st.ar, fd, 1 << 16) != ARCHIVE_OK) {
		/* libarchive's raw format will not open an empty input */
		if (archive_errno(st.ar) == EILSEQ &&   /* ARCHIVE_ERRNO_FILE_FORMAT */
		    archive_filter_bytes(st.ar, 0) == 0)
			rc = imp_fail(e, EX_DATAERR, "%s is empty: no header row", shown);
		else if (archive_errno(st.ar) <= 0 || archive_errno(st.ar) == EILSEQ)
			rc = imp_fail(e, EX_DATAERR, "%s is damaged or cut short (%s); copy or "
				      "export the file again", shown, archive_error_string(st.ar) ?
				      archive_error_string(st.ar) : "?");
		else
			rc = imp_fail(e, EX_NOINPUT, "cannot open %s: %s", shown,
				      archive_errno(st.ar) > 0 ? strerror(archive_errno(st.ar)) :
				      archive_error_string(st.ar));
	} else
		rc = each_entry(&st, shown);
	archive_read_free(st.ar);
	if (shown == path && fd >= 0)
		close(fd);
	free_row(&st);
	free_names(&st);
	if (blank != NULL)
		*blank = st.blank;
	return rc;
}

/* One CSV cell; protect: defuse spreadsheet formulas (=, @, and +/- before text). */
void
imp_csv_cell(struct imp_buf *b, const char *s, int protect)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	int formula = protect && (s[0] == '=' || s[0] == '@' || ((s[0] == '+' || s[0] == '-') &&
		      strspn(s + 1, "0123456789 -") != strlen(s + 1)));

	if (quote)
		imp_buf_add(b, "\"", 1);
	if (formula)
		imp_buf_add(b, "'", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			imp_buf_add(b, "\"", 1);
		imp_buf_add(b, s, 1);
	}
	if (quote)
		imp_buf_add(b, "\"", 1);
}

/* Whether a header's name (len bytes) is column: case aside, a blank for '_'. */
static int
same_column(const char *name, size_t len, const char *column)
{
	size_t i;

	if (strlen(column) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (tolower((unsigned char)name[i]) != column[i] &&
		    !(name[i] == ' ' && column[i] == '_'))
			return 0;
	return 1;
}

/*
 * Maps a header row onto the columns of a format (impass-csv(5)): every
 * column named once, none unknown, none missing; spaces around names and
 * the case of their letters are ignored, a blank inside stands for '_'.
 * col[j] is the position of columns[j]. what names the file's kind.
 */
int
imp_csv_header(const struct imp_csv_row *row, const char *what, const char *const *columns,
	       size_t n, size_t *col, struct imp_err *e)
{
	const char *name;
	size_t i, j, len;

	if (row->n > row->kept)
		return imp_fail(e, EX_DATAERR, "%s line %lu: the header has %zu columns; %s has "
				"%zu", row->file, row->line, row->n, what, n);
	for (j = 0; j < n; j++)
		col[j] = (size_t)-1;
	for (i = 0; i < row->kept; i++) {
		name = row->field[i] + strspn(row->field[i], " ");
		for (len = strlen(name); len > 0 && name[len - 1] == ' '; len--)
			;
		for (j = 0; j < n; j++)
			if (same_column(name, len, columns[j]))
				break;
		if (j == n)
			return imp_fail(e, EX_DATAERR, "%s line %lu: unknown column '%.*s' (column "
					"%zu); %s has only the columns in impass-csv(5): rename or "
					"remove it", row->file, row->line, (int)len, name, i + 1, what);
		if (col[j] != (size_t)-1)
			return imp_fail(e, EX_DATAERR, "%s line %lu: column '%s' appears twice "
					"(columns %zu and %zu)", row->file, row->line, columns[j],
					col[j] + 1, i + 1);
		col[j] = i;
	}
	for (j = 0; j < n; j++)
		if (col[j] == (size_t)-1)
			return imp_fail(e, EX_DATAERR, "%s line %lu: required column '%s' is "
					"missing; add it to the header (cells may be empty)",
					row->file, row->line, columns[j]);
	return 0;
}
