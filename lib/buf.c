/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "impass.h"

static int
grow(struct imp_buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (b->oom)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
imp_buf_add(struct imp_buf *b, const void *s, size_t n)
{
	if (grow(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
imp_buf_puts(struct imp_buf *b, const char *s)
{
	imp_buf_add(b, s, strlen(s));
}

void
imp_str_copy(char *out, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	memmove(out, s, n);
	out[n] = '\0';
}

void
imp_buf_full_name(struct imp_buf *b, const char *given, const char *surname)
{
	int g = given != NULL && *given != '\0', f = surname != NULL && *surname != '\0';

	imp_buf_reset(b);
	if (g)
		imp_buf_puts(b, given);
	if (g && f)
		imp_buf_add(b, " ", 1);
	if (f)
		imp_buf_puts(b, surname);
}

/* A number in decimal, without printf (a record's sentence is made per record). */
void
imp_buf_uint(struct imp_buf *b, unsigned long long n)
{
	char d[20];
	size_t i = sizeof d;

	do
		d[--i] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	imp_buf_add(b, d + i, sizeof d - i);
}

void
imp_buf_vprintf(struct imp_buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	if (b == NULL)
		return;
	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || grow(b, (size_t)n) != 0)
		return;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
imp_buf_printf(struct imp_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imp_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
imp_buf_replace(struct imp_buf *b, size_t at, size_t old, const void *s, size_t n)
{
	if (at > b->len || old > b->len - at)
		return;
	if (n > old && grow(b, n - old) != 0)
		return;
	memmove(b->p + at + n, b->p + at + old, b->len - at - old);
	memcpy(b->p + at, s, n);
	b->len = b->len - old + n;
	b->p[b->len] = '\0';
}

void
imp_buf_insert(struct imp_buf *b, size_t at, const void *s, size_t n)
{
	imp_buf_replace(b, at, 0, s, n);
}

/* The escaping libxml2 uses when it serialises, so that either may write. */
static void
escape(struct imp_buf *b, const char *s, size_t n, int attr)
{
	size_t i, run = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = attr ? "&quot;" : NULL; break;
		case '\r': rep = "&#13;"; break;
		case '\n': rep = attr ? "&#10;" : NULL; break;
		case '\t': rep = attr ? "&#9;" : NULL; break;
		default: rep = NULL;
		}
		if (rep == NULL)
			continue;
		imp_buf_add(b, s + run, i - run);
		imp_buf_puts(b, rep);
		run = i + 1;
	}
	imp_buf_add(b, s + run, n - run);
}

void
imp_buf_text(struct imp_buf *b, const char *s, size_t n)
{
	escape(b, s, n, 0);
}

void
imp_buf_attr(struct imp_buf *b, const char *name, const char *value)
{
	imp_buf_add(b, " ", 1);
	imp_buf_puts(b, name);
	imp_buf_add(b, "=\"", 2);
	escape(b, value, strlen(value), 1);
	imp_buf_add(b, "\"", 1);
}

void
imp_buf_elem(struct imp_buf *b, const char *name, const char *text, size_t n)
{
	size_t k = strlen(name);

	imp_buf_add(b, "<", 1);
	imp_buf_add(b, name, k);
	imp_buf_add(b, ">", 1);
	escape(b, text, n, 0);
	imp_buf_add(b, "</", 2);
	imp_buf_add(b, name, k);
	imp_buf_add(b, ">", 1);
}

const char *
imp_buf_str(struct imp_buf *b)
{
	if (b->p == NULL)
		return "";
	return b->p;
}

void
imp_buf_reset(struct imp_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
imp_buf_free(struct imp_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Undo the escaping of attribute values read by the record scanner. */
size_t
imp_unescape(char *s)
{
	static const struct { const char *ent; char c; } map[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	char *r = s, *w = s;
	size_t i, k = 0;

	while (*r != '\0') {
		for (i = 0; *r == '&' && i < sizeof map / sizeof map[0]; i++) {
			k = strlen(map[i].ent);
			if (strncmp(r, map[i].ent, k) == 0)
				break;
		}
		if (*r == '&' && i < sizeof map / sizeof map[0]) {
			*w++ = map[i].c;
			r += k;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}
