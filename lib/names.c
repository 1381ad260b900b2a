/* SPDX-License-Identifier: ISC */
/*
 * Names as entered, made comparable and printable in the MRZ: upper case
 * A-Z, one space between words, transliterated by the recommended table of
 * ICAO Doc 9303 Part 3 section 6.A (first value where it offers several).
 * Apostrophes and other punctuation are dropped; hyphens, commas and spaces
 * separate words. Digits and letters of other scripts are refused.
 */
#include <stdlib.h>
#include <string.h>

#include "impass.h"

struct translit {
	uint32_t cp;
	const char *latin;
};

/* Upper and lower case both listed; sorted by code point for bsearch. */
static const struct translit table[] = {
	{ 0xc0, "A" }, { 0xc1, "A" }, { 0xc2, "A" }, { 0xc3, "A" }, { 0xc4, "AE" }, { 0xc5, "AA" },
	{ 0xc6, "AE" }, { 0xc7, "C" }, { 0xc8, "E" }, { 0xc9, "E" }, { 0xca, "E" }, { 0xcb, "E" },
	{ 0xcc, "I" }, { 0xcd, "I" }, { 0xce, "I" }, { 0xcf, "I" }, { 0xd0, "D" }, { 0xd1, "N" },
	{ 0xd2, "O" }, { 0xd3, "O" }, { 0xd4, "O" }, { 0xd5, "O" }, { 0xd6, "OE" }, { 0xd8, "OE" },
	{ 0xd9, "U" }, { 0xda, "U" }, { 0xdb, "U" }, { 0xdc, "UE" }, { 0xdd, "Y" }, { 0xde, "TH" },
	{ 0xdf, "SS" },
	{ 0xe0, "A" }, { 0xe1, "A" }, { 0xe2, "A" }, { 0xe3, "A" }, { 0xe4, "AE" }, { 0xe5, "AA" },
	{ 0xe6, "AE" }, { 0xe7, "C" }, { 0xe8, "E" }, { 0xe9, "E" }, { 0xea, "E" }, { 0xeb, "E" },
	{ 0xec, "I" }, { 0xed, "I" }, { 0xee, "I" }, { 0xef, "I" }, { 0xf0, "D" }, { 0xf1, "N" },
	{ 0xf2, "O" }, { 0xf3, "O" }, { 0xf4, "O" }, { 0xf5, "O" }, { 0xf6, "OE" }, { 0xf8, "OE" },
	{ 0xf9, "U" }, { 0xfa, "U" }, { 0xfb, "U" }, { 0xfc, "UE" }, { 0xfd, "Y" }, { 0xfe, "TH" },
	{ 0xff, "Y" },
	{ 0x100, "A" }, { 0x101, "A" }, { 0x102, "A" }, { 0x103, "A" }, { 0x104, "A" }, { 0x105, "A" },
	{ 0x106, "C" }, { 0x107, "C" }, { 0x108, "C" }, { 0x109, "C" }, { 0x10a, "C" }, { 0x10b, "C" },
	{ 0x10c, "C" }, { 0x10d, "C" }, { 0x10e, "D" }, { 0x10f, "D" }, { 0x110, "D" }, { 0x111, "D" },
	{ 0x112, "E" }, { 0x113, "E" }, { 0x114, "E" }, { 0x115, "E" }, { 0x116, "E" }, { 0x117, "E" },
	{ 0x118, "E" }, { 0x119, "E" }, { 0x11a, "E" }, { 0x11b, "E" }, { 0x11c, "G" }, { 0x11d, "G" },
	{ 0x11e, "G" }, { 0x11f, "G" }, { 0x120, "G" }, { 0x121, "G" }, { 0x122, "G" }, { 0x123, "G" },
	{ 0x124, "H" }, { 0x125, "H" }, { 0x126, "H" }, { 0x127, "H" }, { 0x128, "I" }, { 0x129, "I" },
	{ 0x12a, "I" }, { 0x12b, "I" }, { 0x12c, "I" }, { 0x12d, "I" }, { 0x12e, "I" }, { 0x12f, "I" },
	{ 0x130, "I" }, { 0x131, "I" }, { 0x132, "IJ" }, { 0x133, "IJ" }, { 0x134, "J" }, { 0x135, "J" },
	{ 0x136, "K" }, { 0x137, "K" }, { 0x139, "L" }, { 0x13a, "L" }, { 0x13b, "L" }, { 0x13c, "L" },
	{ 0x13d, "L" }, { 0x13e, "L" }, { 0x13f, "L" }, { 0x140, "L" }, { 0x141, "L" }, { 0x142, "L" },
	{ 0x143, "N" }, { 0x144, "N" }, { 0x145, "N" }, { 0x146, "N" }, { 0x147, "N" }, { 0x148, "N" },
	{ 0x14a, "N" }, { 0x14b, "N" }, { 0x14c, "O" }, { 0x14d, "O" }, { 0x14e, "O" }, { 0x14f, "O" },
	{ 0x150, "O" }, { 0x151, "O" }, { 0x152, "OE" }, { 0x153, "OE" }, { 0x154, "R" }, { 0x155, "R" },
	{ 0x156, "R" }, { 0x157, "R" }, { 0x158, "R" }, { 0x159, "R" }, { 0x15a, "S" }, { 0x15b, "S" },
	{ 0x15c, "S" }, { 0x15d, "S" }, { 0x15e, "S" }, { 0x15f, "S" }, { 0x160, "S" }, { 0x161, "S" },
	{ 0x162, "T" }, { 0x163, "T" }, { 0x164, "T" }, { 0x165, "T" }, { 0x166, "T" }, { 0x167, "T" },
	{ 0x168, "U" }, { 0x169, "U" }, { 0x16a, "U" }, { 0x16b, "U" }, { 0x16c, "U" }, { 0x16d, "U" },
	{ 0x16e, "U" }, { 0x16f, "U" }, { 0x170, "U" }, { 0x171, "U" }, { 0x172, "U" }, { 0x173, "U" },
	{ 0x174, "W" }, { 0x175, "W" }, { 0x176, "Y" }, { 0x177, "Y" }, { 0x178, "Y" }, { 0x179, "Z" },
	{ 0x17a, "Z" }, { 0x17b, "Z" }, { 0x17c, "Z" }, { 0x17d, "Z" }, { 0x17e, "Z" },
	{ 0x218, "S" }, { 0x219, "S" }, { 0x21a, "T" }, { 0x21b, "T" },
};

/* Punctuation that is dropped, and punctuation that separates words. */
static const uint32_t dropped[] = { '\'', '.', '`', 0xb4, 0x2bc, 0x2018, 0x2019, 0x2032 };
static const uint32_t separators[] = { ' ', '-', ',', 0xa0, 0x2010, 0x2011, 0x2012, 0x2013,
				       0x2014 };

static int
cmp_translit(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = ((const struct translit *)b)->cp;

	return x < y ? -1 : x > y;
}

static int
in(uint32_t c, const uint32_t *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == c)
			return 1;
	return 0;
}

/* The next code point of valid UTF-8 (ingest checked it); bytes used in *len. */
uint32_t
imp_utf8_next(const char *s, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*len = 1;
		return u[0];
	}
	if ((u[0] & 0xe0) == 0xc0 && (u[1] & 0xc0) == 0x80) {
		*len = 2;
		return (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
	}
	if ((u[0] & 0xf0) == 0xe0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80) {
		*len = 3;
		return (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
	}
	if ((u[0] & 0xf8) == 0xf0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80 &&
	    (u[3] & 0xc0) == 0x80) {
		*len = 4;
		return (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 |
		       (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
	}
	*len = 1;
	return 0xfffd;
}

/* The Latin letters for one code point, NULL when it has none. */
static const char *
latin(uint32_t c, char one[2])
{
	const struct translit *t;

	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
		one[0] = (char)(c & ~0x20u);
		one[1] = '\0';
		return one;
	}
	t = bsearch(&c, table, sizeof table / sizeof *table, sizeof *table, cmp_translit);
	return t ? t->latin : NULL;
}

/* Where a character that is refused comes from, for the message. */
const char *
imp_script_name(uint32_t c)
{
	if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f) ||
	    (c >= 0xfb50 && c <= 0xfdff) || (c >= 0xfe70 && c <= 0xfeff))
		return "Arabic script (Urdu)";
	if (c >= 0x900 && c <= 0x97f)
		return "Devanagari script";
	if (c >= 0x400 && c <= 0x52f)
		return "Cyrillic script";
	if (c >= 0x370 && c <= 0x3ff)
		return "Greek script";
	if (c >= 0x4e00 && c <= 0x9fff)
		return "Chinese script";
	if (c >= '0' && c <= '9')
		return "a digit";
	return "a character that has no ICAO transliteration";
}

/*
 * Writes the normalised name to out. Returns 0, or IMP_NAME_DIGIT or
 * IMP_NAME_SCRIPT with the offending code point in *bad.
 */
int
imp_name_normalise(const char *s, struct imp_buf *out, uint32_t *bad)
{
	const char *l;
	char one[2];
	size_t n;
	uint32_t c;
	int gap = 0;

	imp_buf_reset(out);
	for (; *s != '\0'; s += n) {
		c = imp_utf8_next(s, &n);
		if (in(c, separators, sizeof separators / sizeof *separators)) {
			gap = out->len > 0;
			continue;
		}
		if (in(c, dropped, sizeof dropped / sizeof *dropped) ||
		    (c < 0x80 && strchr("!\"#$%&()*+/:;<=>?@[\\]^_{|}~", (int)c) != NULL))
			continue;
		if ((l = latin(c, one)) == NULL) {
			*bad = c;
			return c >= '0' && c <= '9' ? IMP_NAME_DIGIT : IMP_NAME_SCRIPT;
		}
		if (gap)
			imp_buf_add(out, " ", 1);
		gap = 0;
		imp_buf_puts(out, l);
	}
	if (out->p == NULL)
		imp_buf_add(out, "", 0);
	return 0;
}
