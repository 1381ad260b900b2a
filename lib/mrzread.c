/* SPDX-License-Identifier: ISC */
/*
 * A presented MRZ as a scanner reads it: the check digits tell a slip of
 * the OCR (a letter read as the digit it resembles, a filler dropped) from
 * a passport whose digits were never right. One slip is repaired when a
 * reading with it undone passes every check.
 */
#include <ctype.h>
#include <string.h>

#include "mrz.h"

static const char *const look_alike[] = { "0O", "1I", "8B" };

struct readings {
	struct imp_mrz_repair *v;
	size_t n, max;
};

static void
trimmed(const char *s, char *out, size_t size)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
			 s[n - 1] == '\n'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The reading l1, l2 kept when it passes and is not kept already. */
static void
try(struct readings *r, const char *l1, const char *l2, const char *slip)
{
	struct imp_buf why = { 0 };
	size_t i;
	int ok = imp_mrz_check(l1, l2, &why) == 0;

	imp_buf_free(&why);
	if (!ok)
		return;
	for (i = 0; i < r->n && i < r->max; i++)
		if (strcmp(r->v[i].line1, l1) == 0 && strcmp(r->v[i].line2, l2) == 0)
			return;
	if (r->n < r->max) {
		snprintf(r->v[r->n].line1, sizeof r->v[r->n].line1, "%s", l1);
		snprintf(r->v[r->n].line2, sizeof r->v[r->n].line2, "%s", l2);
		snprintf(r->v[r->n].slip, sizeof r->v[r->n].slip, "%s", slip);
	}
	r->n++;
}

/* Line k (1 or 2) of 44 with one look-alike character swapped. */
static void
swaps(struct readings *r, int k, char *l1, char *l2)
{
	char *l = k == 1 ? l1 : l2, was, slip[96];
	size_t i, j;

	for (i = 0; i < IMP_MRZ_LEN; i++)
		for (j = 0; j < sizeof look_alike / sizeof look_alike[0]; j++) {
			if (strchr(look_alike[j], l[i]) == NULL)
				continue;
			was = l[i];
			l[i] = look_alike[j][was == look_alike[j][0]];
			snprintf(slip, sizeof slip, "line %d position %zu: '%c' read for '%c'", k,
				 i + 1, was, l[i]);
			try(r, l1, l2, slip);
			l[i] = was;
		}
}

/* Line k of 43 with the dropped filler put back at each place. */
static void
fillers(struct readings *r, int k, const char *l1, const char *l2)
{
	char a[IMP_MRZ_LEN + 1], slip[96];
	const char *l = k == 1 ? l1 : l2;
	size_t i;

	for (i = 0; i <= IMP_MRZ_LEN - 1; i++) {
		memcpy(a, l, i);
		a[i] = '<';
		memcpy(a + i + 1, l + i, IMP_MRZ_LEN - 1 - i);
		a[IMP_MRZ_LEN] = '\0';
		snprintf(slip, sizeof slip, "line %d: a '<' dropped at position %zu", k, i + 1);
		try(r, k == 1 ? a : l1, k == 1 ? l2 : a, slip);
	}
}

size_t
imp_mrz_readings(const char *line1, const char *line2, struct imp_mrz_repair *out, size_t max)
{
	char l1[IMP_MRZ_LEN + 2], l2[IMP_MRZ_LEN + 2];
	struct readings r = { out, 0, max };
	size_t n1, n2, i;

	trimmed(line1, l1, sizeof l1);
	trimmed(line2, l2, sizeof l2);
	for (i = 0; l1[i]; i++)
		l1[i] = (char)toupper((unsigned char)l1[i]);
	for (i = 0; l2[i]; i++)
		l2[i] = (char)toupper((unsigned char)l2[i]);
	n1 = strlen(l1);
	n2 = strlen(l2);
	if (n1 == IMP_MRZ_LEN && n2 == IMP_MRZ_LEN) {
		try(&r, l1, l2, "");
		if (r.n > 0)
			return r.n;
		swaps(&r, 1, l1, l2);
		swaps(&r, 2, l1, l2);
	} else if (n1 == IMP_MRZ_LEN - 1 && n2 == IMP_MRZ_LEN) {
		fillers(&r, 1, l1, l2);
	} else if (n1 == IMP_MRZ_LEN && n2 == IMP_MRZ_LEN - 1) {
		fillers(&r, 2, l1, l2);
	}
	return r.n;
}
