/* SPDX-License-Identifier: ISC */
/*
 * Calendar dates: the strict forms of SPEC 5 (YYYY-MM-DD, and YYYY-MM or
 * YYYY for a partly known date of birth), and the forms typed from paper
 * into the citizenship registers (14.08.1998, 14/08/98, 14-Aug-1998 ...),
 * read only where exactly one reading fits: never a guess.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "impass.h"

int
imp_date_real(int y, int m, int d)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* YYYY, YYYY-MM or YYYY-MM-DD; the parts given must make a real date. */
int
imp_date_partial(const char *s, struct imp_date *d)
{
	size_t n = strlen(s);

	memset(d, 0, sizeof *d);
	if ((n != 4 && n != 7 && n != 10) || digits(s, 4, &d->y) != 0 || d->y < 1)
		return -1;
	if (n >= 7 && (s[4] != '-' || digits(s + 5, 2, &d->m) != 0 || d->m < 1 || d->m > 12))
		return -1;
	if (n == 10 && (s[7] != '-' || digits(s + 8, 2, &d->d) != 0 ||
			!imp_date_real(d->y, d->m, d->d)))
		return -1;
	return 0;
}

int
imp_date_iso(const char *s, struct imp_date *d)
{
	return strlen(s) == 10 ? imp_date_partial(s, d) : -1;
}

/* Unknown parts count as the earliest possible. */
int
imp_date_cmp(const struct imp_date *a, const struct imp_date *b)
{
	if (a->y != b->y)
		return a->y < b->y ? -1 : 1;
	if (a->m != b->m)
		return a->m < b->m ? -1 : 1;
	return a->d < b->d ? -1 : a->d > b->d;
}

/* v's last n decimal digits at p, zeros in front (printf's "%0*u" of a
 * value that has no more digits than n), without printf: dedup formats
 * three dates and a CNIC for every passport of the history it reads. */
void
imp_put_digits(char *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
imp_date_str(const struct imp_date *d, char out[11])
{
	unsigned y = (unsigned)d->y % 10000, m = (unsigned)d->m % 100, day = (unsigned)d->d % 100;

	imp_put_digits(out, y, 4);
	out[4] = '\0';
	if (m == 0)
		return;
	out[4] = '-';
	imp_put_digits(out + 5, m, 2);
	out[7] = '\0';
	if (day == 0)
		return;
	out[7] = '-';
	imp_put_digits(out + 8, day, 2);
	out[10] = '\0';
}

int
imp_date_today(struct imp_date *d)
{
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	d->y = tm.tm_year + 1900;
	d->m = tm.tm_mon + 1;
	d->d = tm.tm_mday;
	return 0;
}

/* The same calendar day n years on; 29 February becomes 28 February. */
struct imp_date
imp_date_add_years(struct imp_date d, int n)
{
	d.y += n;
	if (d.m == 2 && d.d == 29 && !imp_date_real(d.y, 2, 29))
		d.d = 28;
	return d;
}

/* ---- dates typed from paper --------------------------------------------- */

struct token {
	const char *s;
	size_t n;
	int alpha;
};

static int
month_named(const struct token *t)
{
	static const char *const names[] = { "january", "february", "march", "april", "may",
		"june", "july", "august", "september", "october", "november", "december" };
	int i;

	for (i = 0; i < 12; i++)
		if ((t->n >= 3 && t->n <= strlen(names[i]) &&
		     strncasecmp(t->s, names[i], t->n) == 0) ||
		    (t->n == 4 && i == 8 && strncasecmp(t->s, "sept", 4) == 0))
			return i + 1;
	return 0;
}

/* Splits on . / - , and blanks; "14th" counts as 14. At most 3 tokens. */
static int
tokens(const char *s, struct token *t)
{
	int n = 0;
	size_t k;

	while (*s != '\0') {
		s += strspn(s, " ./-,\t");
		if (*s == '\0')
			break;
		if (n == 3)
			return -1;
		t[n].s = s;
		t[n].alpha = isalpha((unsigned char)*s) != 0;
		k = t[n].alpha ? strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
			       : strspn(s, "0123456789");
		t[n].n = k;
		s += k;
		if (!t[n].alpha && (strncasecmp(s, "st", 2) == 0 || strncasecmp(s, "nd", 2) == 0 ||
				    strncasecmp(s, "rd", 2) == 0 || strncasecmp(s, "th", 2) == 0))
			s += 2;
		if (*s != '\0' && strchr(" ./-,\t", *s) == NULL)
			return -1;
		n++;
	}
	return n;
}

struct reading {
	int d, m, y, yy;              /* yy: the year had two digits */
};

/* Day, month and year as written, before the century is known. */
static int
read_parts(const struct token *t, int day_first, struct reading *r, int *nr)
{
	int a, b, y, mon, alpha = t[0].alpha + t[1].alpha + t[2].alpha;
	const struct token *ty;

	*nr = 0;
	if (alpha > 1)
		return -1;
	if (alpha == 1) {
		mon = month_named(t[0].alpha ? &t[0] : t[1].alpha ? &t[1] : &t[2]);
		if (mon == 0 || t[2].alpha)
			return -1;
		if (t[0].n == 4 && t[1].alpha)                         /* 1998 Aug 14 */
			ty = &t[0], digits(t[2].s, t[2].n, &a);
		else                                                    /* 14 Aug 1998, Aug 14 1998 */
			ty = &t[2], digits(t[t[0].alpha ? 1 : 0].s, t[t[0].alpha ? 1 : 0].n, &a);
		r[(*nr)++] = (struct reading){ a, mon, 0, 0 };
	} else if (t[0].n == 4) {                                      /* 1998-08-14 */
		ty = &t[0];
		digits(t[1].s, t[1].n, &b);
		digits(t[2].s, t[2].n, &a);
		r[(*nr)++] = (struct reading){ a, b, 0, 0 };
	} else {                                                       /* day first, or month first */
		ty = &t[2];
		if (t[0].n > 2 || t[1].n > 2)
			return -1;
		digits(t[0].s, t[0].n, &a);
		digits(t[1].s, t[1].n, &b);
		if (day_first)                                     /* the register's way */
			r[(*nr)++] = (struct reading){ a, b, 0, 0 };
		else if (b <= 12)                                  /* 14/08/98 */
			r[(*nr)++] = (struct reading){ a, b, 0, 0 };
		if (!day_first && ((a <= 12 && a != b) || b > 12)) /* 08/14/98 */
			r[(*nr)++] = (struct reading){ b, a, 0, 0 };
	}
	if ((ty->n != 2 && ty->n != 4) || digits(ty->s, ty->n, &y) != 0)
		return -1;
	for (a = 0; a < *nr; a++) {
		r[a].y = y;
		r[a].yy = ty->n == 2;
	}
	return 0;
}

/* Adds each real date of reading r within [lo, hi]; notes what else it met. */
static void
candidates(const struct reading *r, const struct imp_date *lo, const struct imp_date *hi,
	   struct imp_date *out, int *nout, int *real_out_of_range)
{
	struct imp_date d;
	int c, i, dup;

	for (c = r->yy ? 18 : 0; c <= (r->yy ? 20 : 0); c++) {
		d = (struct imp_date){ r->yy ? c * 100 + r->y : r->y, r->m, r->d };
		if (!imp_date_real(d.y, d.m, d.d))
			continue;
		if (imp_date_cmp(&d, lo) < 0 || imp_date_cmp(&d, hi) > 0) {
			*real_out_of_range = 1;
			continue;
		}
		for (i = 0, dup = 0; i < *nout; i++)
			dup |= imp_date_cmp(&out[i], &d) == 0;
		if (!dup && *nout < 6)
			out[(*nout)++] = d;
	}
}

/* A year alone, or a month and a year (05/1940, May 1940, 1940-05). */
static int
read_partial(const struct token *t, int n, struct imp_date *d)
{
	const struct token *y = &t[n - 1], *m = n == 2 ? &t[0] : NULL;

	if (n == 2 && t[0].n == 4 && !t[0].alpha)
		y = &t[0], m = &t[1];
	memset(d, 0, sizeof *d);
	if (y->alpha || y->n != 4 || digits(y->s, 4, &d->y) != 0)
		return -1;
	if (m != NULL && (m->alpha ? (d->m = month_named(m)) == 0 :
			  m->n > 2 || digits(m->s, m->n, &d->m) != 0 || d->m < 1 || d->m > 12))
		return -1;
	return 0;
}

/* A partial date within [lo, hi]: some day of it may be. */
static int
partial_in_range(const struct imp_date *d, const struct imp_date *lo, const struct imp_date *hi)
{
	struct imp_date last = { d->y, d->m ? d->m : 12, 31 }, first = { d->y, d->m ? d->m : 1, 1 };

	return imp_date_cmp(&last, lo) >= 0 && imp_date_cmp(&first, hi) <= 0;
}

/*
 * One date typed from paper, to be within [lo, hi]; with IMP_DATE_PARTIAL
 * in how, a year alone or a month and year will do; with IMP_DATE_DAY_FIRST
 * (the register's declared convention) two numbers before the year are
 * day then month, and nothing else: a date that does not read so is
 * IMP_DATE_NOT_DAY_FIRST, never turned round. IMP_DATE_OK with *out when
 * exactly one reading fits; otherwise the reason, in words, in why.
 */
int
imp_date_messy(const char *s, int how, const struct imp_date *lo,
	       const struct imp_date *hi, struct imp_date *out, struct imp_buf *why)
{
	struct token t[3];
	struct reading r[2];
	struct imp_date found[6];
	char a[11], b[11];
	int nr, nfound = 0, range = 0, i, n, partial = how & IMP_DATE_PARTIAL;
	int day_first = (how & IMP_DATE_DAY_FIRST) != 0;

	imp_buf_reset(why);
	n = tokens(s, t);
	if (partial && (n == 1 || n == 2) && read_partial(t, n, out) == 0) {
		if (partial_in_range(out, lo, hi))
			return IMP_DATE_OK;
		imp_date_str(lo, a);
		imp_date_str(hi, b);
		imp_buf_printf(why, "'%s' is outside %s to %s", s, a, b);
		return IMP_DATE_RANGE;
	}
	if (n != 3 || read_parts(t, day_first, r, &nr) != 0) {
		imp_buf_printf(why, "'%s' is not a date in a known form (14.08.1998, 14/08/98, "
			       "1998-08-14, 14-Aug-1998)", s);
		return IMP_DATE_UNREADABLE;
	}
	for (i = 0; i < nr; i++)
		candidates(&r[i], lo, hi, found, &nfound, &range);
	if (nfound == 1) {
		*out = found[0];
		return IMP_DATE_OK;
	}
	if (nfound > 1) {
		imp_buf_printf(why, "'%s' could be", s);
		for (i = 0; i < nfound; i++) {
			imp_date_str(&found[i], a);
			imp_buf_printf(why, "%s %s", i == 0 ? "" : i + 1 == nfound ? " or" : ",", a);
		}
		return IMP_DATE_AMBIGUOUS;
	}
	imp_date_str(lo, a);
	imp_date_str(hi, b);
	if (range) {
		imp_buf_printf(why, "'%s' is outside %s to %s", s, a, b);
		return IMP_DATE_RANGE;
	}
	if (day_first && !t[0].alpha && !t[1].alpha && t[0].n <= 2) {
		imp_buf_printf(why, "'%s' read day first, as the register is written, is day "
			       "%.*s of month %.*s: not a real date", s, (int)t[0].n, t[0].s,
			       (int)t[1].n, t[1].s);
		return IMP_DATE_NOT_DAY_FIRST;
	}
	imp_buf_printf(why, "'%s' is not a real calendar date", s);
	return IMP_DATE_INVALID;
}
