/* SPDX-License-Identifier: ISC */
/*
 * The TD3 machine readable zone (ICAO Doc 9303 Part 4, section 4.2.2):
 *
 *   line 1: document code (2), issuing state (3), name (39)
 *   line 2: number (9) + check, nationality (3), date of birth (6) + check,
 *           sex (1), date of expiry (6) + check, optional data (14) + check,
 *           composite check over number, birth, expiry and optional data
 *
 * Check digits: weights 7, 3, 1 repeated, digits as themselves, A-Z as 10
 * to 35, '<' as 0, the sum modulo 10 (Part 3, section 4.9).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mrz.h"

static int
value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return c == '<' ? 0 : -1;
}

char
imp_mrz_digit(const char *s, size_t n)
{
	static const int weight[3] = { 7, 3, 1 };
	size_t i;
	int sum = 0, v;

	for (i = 0; i < n; i++) {
		if ((v = value(s[i])) < 0)
			return 0;
		sum += v * weight[i % 3];
	}
	return (char)('0' + sum % 10);
}

/* A name's words (transliterated: A-Z, one space between words) joined by '<'. */
static int
component(const char *text, struct imp_buf *out, const char *what, struct imp_buf *why)
{
	uint32_t bad = 0;
	size_t i;

	if (text == NULL)
		text = "";
	if (imp_name_normalise(text, out, &bad) != 0) {
		imp_buf_reset(why);
		imp_buf_printf(why, "%s '%s' has U+%04X, which has no Latin transliteration "
			       "in ICAO 9303-3", what, text, (unsigned)bad);
		return -1;
	}
	for (i = 0; i < out->len; i++)
		if (out->p[i] == ' ')
			out->p[i] = '<';
	return 0;
}

/*
 * Cut at 39; when the cut ends on a '<', the last component with two
 * letters or more before it loses its last letter and the next
 * component's initial is appended, so that position 44 is a letter.
 * When every component before the cut is one letter, none can lose one
 * without leaving a second "<<" behind: the cut stays, ending on '<'.
 */
static void
cut(const char *full, size_t len, char out[IMP_MRZ_NAME + 1])
{
	char r[IMP_MRZ_NAME + 1];
	long j, end, start;
	int shortened = 0;

	memset(out, '<', IMP_MRZ_NAME);
	out[IMP_MRZ_NAME] = '\0';
	if (len <= IMP_MRZ_NAME) {
		memcpy(out, full, len);
		return;
	}
	memcpy(r, full, IMP_MRZ_NAME);
	if (r[IMP_MRZ_NAME - 1] != '<') {
		memcpy(out, r, IMP_MRZ_NAME);
		return;
	}
	for (j = IMP_MRZ_NAME - 2; j >= 0; ) {
		end = j;
		while (j >= 0 && r[j] != '<')
			j--;
		start = j + 1;
		if (end - start >= 1) {
			memmove(r + end, r + end + 1, (size_t)(IMP_MRZ_NAME - 2 - end));
			shortened = 1;
			break;
		}
		while (j >= 0 && r[j] == '<')
			j--;
	}
	if (!shortened) {
		memcpy(out, r, IMP_MRZ_NAME);
		return;
	}
	r[IMP_MRZ_NAME - 2] = '<';
	r[IMP_MRZ_NAME - 1] = full[IMP_MRZ_NAME];
	memcpy(out, r, IMP_MRZ_NAME);
}

int
imp_mrz_name(const char *surname, const char *given, char out[IMP_MRZ_NAME + 1],
	     struct imp_buf *why)
{
	struct imp_buf s = { 0 }, g = { 0 }, full = { 0 };
	int rc = -1;

	if (component(surname, &s, "surname", why) != 0 ||
	    component(given, &g, "given names", why) != 0)
		goto out;
	if (s.len == 0 && g.len == 0) {
		imp_buf_reset(why);
		imp_buf_puts(why, "the name has no letters");
		goto out;
	}
	if (s.len > 0 && g.len > 0) {
		/* a long surname is cut to 36 first, so that the given names
		 * show at least by their initial */
		if (s.len > IMP_MRZ_NAME - 3) {
			s.len = IMP_MRZ_NAME - 3;
			while (s.len > 0 && s.p[s.len - 1] == '<')
				s.len--;
		}
		imp_buf_add(&full, s.p, s.len);
		imp_buf_add(&full, "<<", 2);
		imp_buf_add(&full, g.p, g.len);
	} else {
		imp_buf_add(&full, s.len ? s.p : g.p, s.len ? s.len : g.len);
	}
	if (full.oom) {
		imp_buf_reset(why);
		imp_buf_puts(why, "out of memory");
		goto out;
	}
	cut(full.p, full.len, out);
	rc = 0;
out:
	imp_buf_free(&s);
	imp_buf_free(&g);
	imp_buf_free(&full);
	return rc;
}

/* YYMMDD, unknown parts '<'. */
static void
date6(const struct imp_date *d, char out[6])
{
	char t[8];

	memset(out, '<', 6);
	if (d->y == 0)
		return;
	snprintf(t, sizeof t, "%02d", d->y % 100);
	memcpy(out, t, 2);
	if (d->m == 0)
		return;
	snprintf(t, sizeof t, "%02d", d->m);
	memcpy(out + 2, t, 2);
	if (d->d == 0)
		return;
	snprintf(t, sizeof t, "%02d", d->d);
	memcpy(out + 4, t, 2);
}

/*
 * Upper case A-Z0-9 of at most n characters, padded with '<'; spaces and
 * hyphens are dropped, or with filler (the document number: ICAO 9303 writes
 * a hyphen in it as the filler '<').
 */
static int
field(const char *v, size_t n, char *out, const char *what, int filler, struct imp_buf *why)
{
	size_t i, k = 0;

	memset(out, '<', n);
	for (i = 0; v != NULL && v[i] != '\0'; i++) {
		char c = v[i] >= 'a' && v[i] <= 'z' ? (char)(v[i] - 32) : v[i];

		if (c == '-' && filler && k > 0 && k < n) {
			out[k++] = '<';
			continue;
		}
		if (c == ' ' || c == '-')
			continue;
		if (value(c) < 0 || c == '<' || k == n) {
			imp_buf_reset(why);
			imp_buf_printf(why, "%s '%s' is not up to %zu letters and digits", what, v,
				       n);
			return -1;
		}
		out[k++] = c;
	}
	return 0;
}

/* A state or nationality code: a letter, then letters or '<' ("PAK", "D<<"). */
static int
code_ok(const char *s)
{
	return s[0] >= 'A' && s[0] <= 'Z' && (value(s[1]) >= 10 || s[1] == '<') &&
	       (value(s[2]) >= 10 || s[2] == '<');
}

int
imp_mrz_render(const struct imp_mrz *m, char line1[IMP_MRZ_LEN + 1],
	       char line2[IMP_MRZ_LEN + 1], struct imp_buf *why)
{
	char name[IMP_MRZ_NAME + 1], comp[10 + 7 + 22];

	memset(line1, '<', IMP_MRZ_LEN);
	memset(line2, '<', IMP_MRZ_LEN);
	line1[IMP_MRZ_LEN] = line2[IMP_MRZ_LEN] = '\0';
	if (m->doc_code == NULL || strlen(m->doc_code) != 2 || m->doc_code[0] != 'P' ||
	    (value(m->doc_code[1]) < 10 && m->doc_code[1] != '<')) {
		imp_buf_reset(why);
		imp_buf_printf(why, "document code '%s' is not P followed by a letter or <",
			       m->doc_code ? m->doc_code : "");
		return -1;
	}
	if (field(m->state, 3, line1 + 2, "issuing state", 0, why) != 0 ||
	    imp_mrz_name(m->surname, m->given_names, name, why) != 0 ||
	    field(m->number, 9, line2, "document number", 1, why) != 0 ||
	    field(m->nationality, 3, line2 + 10, "nationality", 0, why) != 0 ||
	    field(m->optional, 14, line2 + 28, "optional data", 0, why) != 0)
		return -1;
	/* what the checker requires: codes of letters, a number that is there */
	if (!code_ok(line1 + 2) || !code_ok(line2 + 10) || line2[0] == '<') {
		imp_buf_reset(why);
		if (!code_ok(line1 + 2))
			imp_buf_printf(why, "issuing state '%s' is not a code of letters",
				       m->state ? m->state : "");
		else if (!code_ok(line2 + 10))
			imp_buf_printf(why, "nationality '%s' is not a code of letters",
				       m->nationality ? m->nationality : "");
		else
			imp_buf_puts(why, "the document number is empty");
		return -1;
	}
	if (m->sex != 'M' && m->sex != 'F' && m->sex != 'X') {
		imp_buf_reset(why);
		imp_buf_printf(why, "sex '%c' is not M, F or X", m->sex ? m->sex : ' ');
		return -1;
	}
	if (m->expiry.y == 0 || m->expiry.m == 0 || m->expiry.d == 0) {
		imp_buf_reset(why);
		imp_buf_puts(why, "the date of expiry is not a whole date");
		return -1;
	}
	memcpy(line1, m->doc_code, 2);
	memcpy(line1 + 5, name, IMP_MRZ_NAME);
	line2[9] = imp_mrz_digit(line2, 9);
	date6(&m->dob, line2 + 13);
	line2[19] = imp_mrz_digit(line2 + 13, 6);
	line2[20] = m->sex == 'X' ? '<' : m->sex;
	date6(&m->expiry, line2 + 21);
	line2[27] = imp_mrz_digit(line2 + 21, 6);
	line2[42] = imp_mrz_digit(line2 + 28, 14);
	memcpy(comp, line2, 10);            /* number, birth, expiry, optional data */
	memcpy(comp + 10, line2 + 13, 7);
	memcpy(comp + 17, line2 + 21, 22);
	line2[43] = imp_mrz_digit(comp, sizeof comp);
	return 0;
}

/* ---- the checker ------------------------------------------------------------ */

static int
wrong(struct imp_buf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
wrong(struct imp_buf *why, const char *fmt, ...)
{
	va_list ap;

	imp_buf_reset(why);
	va_start(ap, fmt);
	imp_buf_vprintf(why, fmt, ap);
	va_end(ap);
	return -1;
}

static int
all(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

static int
check_digit(const char *s, size_t n, char got, const char *what, int may_fill,
	    struct imp_buf *why)
{
	char want = imp_mrz_digit(s, n);

	if (got == want || (may_fill && got == '<' && all(s, n, "<")))
		return 0;
	return wrong(why, "%s check digit is '%c', should be '%c'", what, got, want);
}

/* YYMMDD with unknown parts '<' (birth) or whole (expiry). */
static int
check_date(const char *s, int partial, const char *what, struct imp_buf *why)
{
	int m, d;
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (partial && all(s, 6, "<"))
		return 0;
	if (!all(s, 2, DIGITS))
		return wrong(why, "%s '%.6s': the year is not two digits", what, s);
	if (partial && all(s + 2, 4, "<"))
		return 0;
	if (!all(s + 2, 2, DIGITS) || (m = (s[2] - '0') * 10 + s[3] - '0') < 1 || m > 12)
		return wrong(why, "%s '%.6s': the month is not 01 to 12", what, s);
	if (partial && all(s + 4, 2, "<"))
		return 0;
	if (!all(s + 4, 2, DIGITS) || (d = (s[4] - '0') * 10 + s[5] - '0') < 1 ||
	    d > days[m - 1])
		return wrong(why, "%s '%.6s': the day is not a day of that month", what, s);
	return 0;
}

static int
check_line1(const char *l, struct imp_buf *why)
{
	const char *name = l + 5, *sep;
	size_t n = IMP_MRZ_NAME;

	if (l[0] != 'P' || !all(l + 1, 1, LETTERS "<"))
		return wrong(why, "document code '%.2s' is not P followed by a letter or <", l);
	if (!all(l + 2, 3, LETTERS "<") || l[2] == '<')
		return wrong(why, "issuing state '%.3s' is not a code of letters", l + 2);
	if (!all(name, n, LETTERS "<") || name[0] == '<')
		return wrong(why, "name '%.39s' does not begin with a letter or has other "
			     "characters than A-Z and <", name);
	while (n > 0 && name[n - 1] == '<')
		n--;
	sep = strstr(name, "<<");
	if (sep != NULL && sep - name < (long)n && (strstr(sep + 2, "<<") != NULL &&
	    strstr(sep + 2, "<<") - name < (long)n))
		return wrong(why, "name '%.39s' has more than one << separator", name);
	if (sep != NULL && sep - name < (long)n && sep[2] == '<')
		return wrong(why, "name '%.39s' has <<< inside it", name);
	return 0;
}

int
imp_mrz_check(const char *l1, const char *l2, struct imp_buf *why)
{
	char comp[10 + 7 + 22];

	if (strlen(l1) != IMP_MRZ_LEN || !all(l1, IMP_MRZ_LEN, LETTERS DIGITS "<"))
		return wrong(why, "line 1 is not 44 characters of A-Z, 0-9 and <");
	if (strlen(l2) != IMP_MRZ_LEN || !all(l2, IMP_MRZ_LEN, LETTERS DIGITS "<"))
		return wrong(why, "line 2 is not 44 characters of A-Z, 0-9 and <");
	if (check_line1(l1, why) != 0)
		return -1;
	if (l2[0] == '<')
		return wrong(why, "document number '%.9s' is empty or begins with <", l2);
	if (check_digit(l2, 9, l2[9], "document number", 0, why) != 0)
		return -1;
	if (!all(l2 + 10, 3, LETTERS "<") || l2[10] == '<')
		return wrong(why, "nationality '%.3s' is not a code of letters", l2 + 10);
	if (check_date(l2 + 13, 1, "date of birth", why) != 0 ||
	    check_digit(l2 + 13, 6, l2[19], "date of birth", 0, why) != 0)
		return -1;
	if (!all(l2 + 20, 1, "MF<"))
		return wrong(why, "sex '%c' is not M, F or <", l2[20]);
	if (check_date(l2 + 21, 0, "date of expiry", why) != 0 ||
	    check_digit(l2 + 21, 6, l2[27], "date of expiry", 0, why) != 0 ||
	    check_digit(l2 + 28, 14, l2[42], "optional data", 1, why) != 0)
		return -1;
	memcpy(comp, l2, 10);
	memcpy(comp + 10, l2 + 13, 7);
	memcpy(comp + 17, l2 + 21, 22);
	return check_digit(comp, sizeof comp, l2[43], "composite", 0, why);
}
