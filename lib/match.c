/* SPDX-License-Identifier: ISC */
/*
 * Person matching: the rules that screen-pcl, dedup and verify-nadra share
 * when they ask whether two records name one person, in one place beside
 * the names module (which compares the names themselves). Each rule is a
 * small pure function: a hash of keys, a passport number's key, how far two
 * words or numbers are apart, the consonants of a word, the strong words of
 * a name, whether two names' honorifics agree, and what two dates of birth
 * say (imp_dob_compare). What each program weighs a class of evidence at
 * stays in the program; the class is decided here, once.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "impass.h"

/* ---- the hash of a key ------------------------------------------------------------ */

uint64_t
imp_hash(const void *p, size_t n)
{
	return imp_hash_mix(imp_hash_add(IMP_HASH_START, p, n));
}

/* ---- identifiers ------------------------------------------------------------------ */

void
imp_passport_key(const char *v, char *out, size_t size)
{
	size_t k = 0;

	for (; *v != '\0' && k + 1 < size; v++)
		if (*v != ' ' && *v != '-')
			out[k++] = (char)(*v >= 'a' && *v <= 'z' ? *v - 32 : *v);
	out[k] = '\0';
}

int
imp_digits_typo(const char *a, const char *b, size_t n)
{
	size_t i, diff = 0, first = 0;

	for (i = 0; i < n; i++)
		if (a[i] != b[i] && diff++ == 0)
			first = i;
	if (diff == 1)
		return IMP_TYPO_ONE;
	if (diff == 2 && first + 1 < n && a[first] == b[first + 1] && a[first + 1] == b[first])
		return IMP_TYPO_SWAP;
	return IMP_TYPO_NONE;
}

int
imp_photo_placeholder(const char *sha256)
{
	return strcasecmp(sha256, IMP_EMPTY_SHA256) == 0;
}

/* ---- how far two words are apart -------------------------------------------------- */

size_t
imp_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[2 * IMP_WORD_MAX + 1], prev, tmp;

	if (lb > 2 * IMP_WORD_MAX)
		return lb;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = a[i - 1] == b[j - 1] ? prev : 1 + (prev < d[j] ? (prev < d[j - 1] ? prev : d[j - 1])
									   : (d[j] < d[j - 1] ? d[j] : d[j - 1]));
			prev = tmp;
		}
	}
	return d[lb];
}

int
imp_osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
	int d[IMP_WORD_MAX * 2 + 1][IMP_WORD_MAX * 2 + 1];
	size_t i, j;
	int best;

	if (la > 2 * IMP_WORD_MAX || lb > 2 * IMP_WORD_MAX || (la > lb ? la - lb : lb - la) > 2)
		return 3;
	for (i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];

			best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb] < 3 ? d[la][lb] : 3;
}

int
imp_one_edit(const char *a, const char *b, size_t min)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (la < lb) {
		const char *t = a;

		a = b, b = t, i = la, la = lb, lb = i, i = 0;
	}
	if (lb < min || la - lb > 1)
		return 0;
	while (i < lb && a[i] == b[i])
		i++;
	if (i == lb)
		return 1;
	if (la == lb)
		return strcmp(a + i + 1, b + i + 1) == 0 ||
		       (a[i + 1] == b[i] && a[i] == b[i + 1] && strcmp(a + i + 2, b + i + 2) == 0);
	return strcmp(a + i + 1, b + i) == 0;
}

/* ---- the words of a name ---------------------------------------------------------- */

void
imp_word_skeleton(const char *w, char *out)
{
	size_t k = 0;
	char last;

	if ((out[k++] = last = w[0]) == '\0')
		return;
	for (w++; *w != '\0' && k + 1 < IMP_WORD_MAX; w++)
		if (strchr("AEIOUY", *w) == NULL && *w != last)
			out[k++] = last = *w;
	out[k] = '\0';
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t
imp_strong_words(const struct imp_name_words *w, const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < w->n && n < max; i++)
		if (!w->weak[i] && !w->honorific[i])
			out[n++] = w->t[i];
	if (n == 0)                        /* MUHAMMAD alone: its words are all it has */
		for (i = 0; i < w->n && n < max; i++)
			out[n++] = w->t[i];
	qsort(out, n, sizeof *out, cmp_str);
	return n;
}

size_t
imp_index_words(const struct imp_name_words *w, size_t *out)
{
	size_t i, strong = 0, n = 0;
	int keep = 1;                         /* honorifics, when there is nothing else */

	for (i = 0; i < w->n; i++)
		keep &= w->honorific[i];
	for (i = 0; i < w->n; i++)
		strong += (keep || !w->honorific[i]) && !w->weak[i];
	for (i = 0; i < w->n; i++)
		if ((keep || !w->honorific[i]) && (!w->weak[i] || strong == 0))
			out[n++] = i;
	return n;
}

/* The agreement of two names' honorifics, words w with mask hon of them. */
static int
honorifics(size_t na, const char *const *wa, unsigned ha, size_t nb, const char *const *wb,
	   unsigned hb)
{
	size_t i, j, both = 0;
	int ca = __builtin_popcount(ha), cb = __builtin_popcount(hb);

	if (ca == 0 || cb == 0)
		return IMP_HON_ONE_SIDE;
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			both += (ha >> i & 1) && (hb >> j & 1) && strcmp(wa[i], wb[j]) == 0;
	if (both == 0)
		return IMP_HON_DIFFER;
	return ca == cb && both == (size_t)ca ? IMP_HON_SAME : IMP_HON_SHARED;
}

int
imp_honorifics(const struct imp_name_words *a, const struct imp_name_words *b)
{
	const char *wa[IMP_NAME_WORDS], *wb[IMP_NAME_WORDS];
	unsigned ha = 0, hb = 0;
	size_t i;

	for (i = 0; i < a->n; i++) {
		wa[i] = a->t[i];
		ha |= (unsigned)(a->honorific[i] != 0) << i;
	}
	for (i = 0; i < b->n; i++) {
		wb[i] = b->t[i];
		hb |= (unsigned)(b->honorific[i] != 0) << i;
	}
	return honorifics(a->n, wa, ha, b->n, wb, hb);
}

int
imp_words_honorifics(const struct imp_words *a, const struct imp_words *b)
{
	return honorifics(a->n, a->w, a->hon, b->n, b->w, b->hon);
}

/* ---- the compact words of a name -------------------------------------------------- */

void
imp_words_split(const char *s, unsigned weak, unsigned hon, struct imp_words *w)
{
	size_t i = 0, n = s ? strlen(s) : 0;

	w->n = 0;
	w->weak = weak;
	w->hon = hon;
	if (n >= sizeof w->buf)
		n = sizeof w->buf - 1;
	if (n == 0)
		return;
	memcpy(w->buf, s, n);
	w->buf[n] = '\0';
	while (i < n && w->n < IMP_NAME_WORDS) {
		size_t start;

		while (i < n && w->buf[i] == ' ')
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && w->buf[i] != ' ')
			i++;
		w->buf[i++] = '\0';
		w->w[w->n] = w->buf + start;
		w->len[w->n++] = i - 1 - start;
	}
}

void
imp_words_from(const struct imp_name_words *nw, struct imp_words *w)
{
	size_t i, k = 0;

	w->n = 0;
	w->weak = w->hon = 0;
	for (i = 0; i < nw->n; i++) {
		size_t len = strlen(nw->t[i]);

		memcpy(w->buf + k, nw->t[i], len + 1);
		w->w[i] = w->buf + k;
		w->len[i] = len;
		w->weak |= (unsigned)nw->weak[i] << i;
		w->hon |= (unsigned)nw->honorific[i] << i;
		k += len + 1;
	}
	w->n = nw->n;
}

/* ---- dates of birth --------------------------------------------------------------- */

/* The eight digits of a whole date, YYYYMMDD, as numbers (no printing: the
 * dates of many candidates are compared for each applicant). */
static void
date_digits(const struct imp_date *d, int out[8])
{
	int y = d->y % 10000;

	out[0] = y / 1000, out[1] = y / 100 % 10, out[2] = y / 10 % 10, out[3] = y % 10;
	out[4] = d->m / 10 % 10, out[5] = d->m % 10, out[6] = d->d / 10 % 10, out[7] = d->d % 10;
}

int
imp_dob_compare(const struct imp_date *a, const struct imp_date *b)
{
	int da[8], db[8], i, diff = 0, first = -1;

	if (a->y == 0 || b->y == 0)
		return IMP_DOB_UNKNOWN;
	if (a->d && b->d) {
		if (a->y == b->y && a->m == b->m && a->d == b->d)
			return IMP_DOB_DAY;
		date_digits(a, da);
		date_digits(b, db);
		for (i = 0; i < 8; i++)
			if (da[i] != db[i] && diff++ == 0)
				first = i;
		/* one digit, or two neighbours swapped within the year, month or day */
		if (diff == 1 || (diff == 2 && first != 3 && first != 5 && first < 7 &&
				  da[first] == db[first + 1] && da[first + 1] == db[first]))
			return IMP_DOB_TYPO;
		if (a->y == b->y && a->m == b->d && a->d == b->m)
			return IMP_DOB_SWAP;
		return IMP_DOB_DIFFERS;
	}
	if (a->y == b->y && (a->m == 0 || b->m == 0 || a->m == b->m))
		return a->m && b->m ? IMP_DOB_MONTH : IMP_DOB_YEAR;
	return IMP_DOB_DIFFERS;
}

int
imp_sexes_differ(char a, char b)
{
	return (a == 'M' && b == 'F') || (a == 'F' && b == 'M');
}

int
imp_dob_other_year(int c)
{
	return c == IMP_DOB_TYPO || c == IMP_DOB_DIFFERS;
}

/* ---- a father's name in 13 bits (the history's index) ----------------------------- */

static int
vowel(char c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' || c == 'Y';
}

double
imp_word_alike(const char *a, size_t la, const char *b, size_t lb, int weak, int *typo)
{
	size_t i, min = la < lb ? la : lb;
	int k;

	*typo = 0;
	if (la == lb && memcmp(a, b, la) == 0)
		return 1;
	if (la == 0 || lb == 0)
		return 0;
	if (la == 1 || lb == 1)
		return a[0] != b[0] ? 0 : weak ? 1 : 0.5;
	if (la == lb && la >= 4 && a[0] == b[0]) {
		for (i = 1; i < la && (a[i] == b[i] || (vowel(a[i]) && vowel(b[i]))); i++)
			;
		if (i == la)
			return 0.9;
	}
	if (min < 3)
		return 0;
	k = imp_osa_distance(a, la, b, lb);
	*typo = k == 1 || (k == 2 && min >= 7);
	return k == 1 ? 0.8 : *typo ? 0.7 : 0;
}

int
imp_word_may_like(const char *a, size_t la, const char *b, size_t lb)
{
	int typo;

	return imp_word_alike(a, la, b, lb, 1, &typo) > 0;
}

/* The first letters of words (folded: O, Q, W are U, K, V) in eleven groups. */
static unsigned
letter_group(char c)
{
	switch (c) {
	case 'M': return 0;
	case 'A': return 1;
	case 'S': return 2;
	case 'B': return 3;
	case 'R': return 4;
	case 'G': return 5;
	case 'H': return 6;
	case 'K': case 'Q': return 7;
	case 'N': case 'D': case 'L': case 'T': return 8;
	case 'C': case 'J': case 'Z': case 'X': return 9;
	default: return 10;
	}
}

unsigned
imp_father_tag(const struct imp_name_words *f)
{
	unsigned t = 0;
	size_t i, len;

	for (i = 0; i < f->n; i++) {
		len = strlen(f->t[i]);
		if (len == 1 || len >= IMP_FT_LONG)
			t |= IMP_FT_ODD_LENGTH;
		if (f->honorific[i])
			t |= IMP_FT_HONORIFIC;
		else
			t |= 1u << letter_group(f->t[i][0]);
	}
	return t;
}

void
imp_father_veto_make(const struct imp_names *nm, const struct imp_name_words *f,
		     struct imp_father_veto *v)
{
	char joined[2 * IMP_WORD_MAX];
	size_t i, n = 0;
	int hon = imp_name_has_honorific(f), near;

	memset(v, 0, sizeof *v);
	v->any = f->n > 0;
	for (i = 0; i < f->n; i++)
		v->explained |= 1u << letter_group(f->t[i][0]);
	for (i = 0; i < f->n; i++) {
		if (f->weak[i] || f->honorific[i])
			continue;
		/* an honorific of theirs is compared when he has one too: then
		 * a word of his alike one (or joined with a neighbour) may pair
		 * with it */
		near = 0;
		if (hon) {
			near = imp_names_near_honorific(nm, f->t[i], strlen(f->t[i]), 0);
			if (!near && i > 0) {
				snprintf(joined, sizeof joined, "%s%s", f->t[i - 1], f->t[i]);
				near = imp_names_near_honorific(nm, joined, strlen(joined), 1);
			}
			if (!near && i + 1 < f->n) {
				snprintf(joined, sizeof joined, "%s%s", f->t[i], f->t[i + 1]);
				near = imp_names_near_honorific(nm, joined, strlen(joined), 1);
			}
		}
		v->x[n].first = 1u << letter_group(f->t[i][0]) | (near ? IMP_FT_HONORIFIC : 0);
		if (i > 0) {
			v->x[n].join = 1u << letter_group(f->t[i - 1][0]);
			v->x[n].join_long = strlen(f->t[i - 1]) + strlen(f->t[i]) >= IMP_FT_LONG + 2;
		}
		n++;
	}
	v->nx = n;
}

int
imp_father_vetoed(const struct imp_father_veto *v, unsigned tag)
{
	size_t i;

	/* a word of theirs that begins like none of his: it stays unpaired */
	if (!v->any || (tag & IMP_FT_LETTERS & ~v->explained) == 0)
		return 0;
	/* and a strong word of his that begins like none of theirs, nor
	 * joined with the word before it (too long for any of theirs but a
	 * long one or an initial), nor alike an honorific they have */
	for (i = 0; i < v->nx; i++)
		if ((tag & v->x[i].first) == 0 &&
		    ((tag & v->x[i].join) == 0 || (v->x[i].join_long && !(tag & IMP_FT_ODD_LENGTH))))
			return 1;
	return 0;
}
