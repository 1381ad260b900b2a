/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "impass.h"

#define CHUNK (64 * 1024)

long
imp_read_fd(void *arg, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(*(int *)arg, buf, n);
	while (r < 0 && errno == EINTR);
	return (long)r;
}

int
imp_lines_init(struct imp_lines *l, imp_read_fn *fn, void *arg, size_t max)
{
	memset(l, 0, sizeof *l);
	l->read = fn;
	l->arg = arg;
	l->max = max;
	l->cap = max + CHUNK + 1;
	l->buf = malloc(l->cap);
	return l->buf == NULL ? -1 : 0;
}

/* Move the unread tail to the front and read more; 0 at end of input. */
static int
fill(struct imp_lines *l)
{
	long r;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	if (l->end >= l->cap - 1)
		return 1;
	r = l->read(l->arg, l->buf + l->end, l->cap - 1 - l->end);
	if (r < 0)
		return -1;
	if (r == 0)
		l->eof = 1;
	l->end += (size_t)r;
	return r > 0;
}

/* The end of the line in [p, end): LF, or with anynl also CR; NULL if none. */
static char *
line_end(struct imp_lines *l, char *p, char *end)
{
	char *nl = memchr(p, '\n', (size_t)(end - p)), *cr;

	if (!l->anynl)
		return nl;
	cr = memchr(p, '\r', (size_t)((nl ? nl : end) - p));
	return cr ? cr : nl;
}

/*
 * Returns 1 with the next line (without its line end), 0 at the end,
 * -1 with errno: E2BIG for a line longer than max, else the read error.
 * With anynl, CR, LF and CRLF all end a line (old Mac CSV files).
 */
int
imp_lines_next(struct imp_lines *l, const char **line, size_t *len)
{
	char *nl;
	size_t scanned = 0, skip;

	for (;;) {
		nl = line_end(l, l->buf + l->start + scanned, l->buf + l->end);
		/* a CR at the end of the buffer may be the first half of CRLF */
		if (nl != NULL && !(*nl == '\r' && nl + 1 == l->buf + l->end && !l->eof))
			break;
		scanned = nl ? (size_t)(nl - l->buf) - l->start : l->end - l->start;
		if (scanned > l->max) {
			errno = E2BIG;
			return -1;
		}
		if (l->eof)
			break;
		if (fill(l) < 0)
			return -1;
	}
	if (nl == NULL && l->end == l->start)
		return 0;
	*line = l->buf + l->start;
	*len = nl ? (size_t)(nl - *line) : l->end - l->start;
	if (*len > l->max) {
		errno = E2BIG;
		return -1;
	}
	skip = nl == NULL ? 0 : (*nl == '\r' && nl + 1 < l->buf + l->end && nl[1] == '\n') ? 2 : 1;
	l->unterminated = nl == NULL;
	l->start += *len + skip;
	l->lineno++;
	return 1;
}

void
imp_lines_free(struct imp_lines *l)
{
	free(l->buf);
	l->buf = NULL;
}
