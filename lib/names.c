/* SPDX-License-Identifier: ISC */
/*
 * Names as entered, made comparable and printable in the MRZ: upper case
 * A-Z, one space between words, transliterated by the recommended table of
 * ICAO Doc 9303 Part 3 section 6.A (first value where it offers several).
 * Apostrophes and other punctuation are dropped; hyphens, commas and spaces
 * separate words. Digits and letters of other scripts are refused.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
			/* a plain letter, most of every name: as latin() gives it,
			 * without the look through the tables */
			n = 1;
			if (gap)
				imp_buf_add(out, " ", 1);
			gap = 0;
			one[0] = (char)(c & ~0x20u);
			imp_buf_add(out, one, 1);
			continue;
		}
		c = imp_utf8_next(s, &n);
		if (c >= 0x300 && c <= 0x36f) {
			/* a combining mark, as macOS writes accents (E + U+0301):
			 * the letter before it is kept, and a diaeresis on A, O, U
			 * or a ring on A gives what the precomposed letter gives */
			if (!gap && out->len > 0 && ((c == 0x308 &&
			    strchr("AOU", out->p[out->len - 1]) != NULL) ||
			    (c == 0x30a && out->p[out->len - 1] == 'A')))
				imp_buf_add(out, c == 0x308 ? "E" : "A", 1);
			continue;
		}
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

/* ---- relation prefixes typed into a father's name ----------------------------- */

/*
 * The legacy registers put the relation before the name: S/O MUHAMMAD
 * HUSSAIN (son of), D/O (daughter of), W/O (wife of: the husband, not the
 * father). Longer spellings first; a prefix counts only when a blank
 * follows it and a letter follows that, so a name that merely starts with
 * SO or DO keeps its first word only when it has no second one.
 */
static const struct {
	const char *prefix;
	int relation;
} relations[] = {
	{ "DAUGHTER OF", IMP_REL_DAUGHTER }, { "WIFE OF", IMP_REL_WIFE },
	{ "SON OF", IMP_REL_SON }, { "D/OF", IMP_REL_DAUGHTER }, { "W/OF", IMP_REL_WIFE },
	{ "S/OF", IMP_REL_SON }, { "S.O.", IMP_REL_SON }, { "D.O.", IMP_REL_DAUGHTER },
	{ "W.O.", IMP_REL_WIFE }, { "S/O", IMP_REL_SON }, { "S/0", IMP_REL_SON },
	{ "S.O", IMP_REL_SON }, { "D/O", IMP_REL_DAUGHTER }, { "D/0", IMP_REL_DAUGHTER },
	{ "D.O", IMP_REL_DAUGHTER }, { "W/O", IMP_REL_WIFE }, { "W/0", IMP_REL_WIFE },
	{ "W.O", IMP_REL_WIFE }, { "S O", IMP_REL_SON }, { "D O", IMP_REL_DAUGHTER },
	{ "W O", IMP_REL_WIFE }, { "SO", IMP_REL_SON }, { "DO", IMP_REL_DAUGHTER },
	{ "WO", IMP_REL_WIFE },
};

/* The relation a name starts with, and how many bytes of s it takes
 * (the prefix, a ':' '-' or '.' after it, and the blanks). */
int
imp_name_relation(const char *s, size_t *skip)
{
	size_t i, n, k;

	k = strspn(s, " ");
	for (i = 0; i < sizeof relations / sizeof *relations; i++) {
		n = strlen(relations[i].prefix);
		if (strncasecmp(s + k, relations[i].prefix, n) != 0)
			continue;
		n += k;
		n += strspn(s + n, ":-.");
		if (s[n] != ' ')
			continue;
		n += strspn(s + n, " ");
		if (!isalpha((unsigned char)s[n]))
			continue;
		*skip = n;
		return relations[i].relation;
	}
	*skip = 0;
	return IMP_REL_NONE;
}

/* ---- comparing names ------------------------------------------------------- */

extern const unsigned char imp_names_txt[];
extern const unsigned long imp_names_txt_len;

#define TOKENS IMP_NAME_WORDS
#define TOKEN_MAX IMP_WORD_MAX

/*
 * What tokenise makes of one word as written: where it splits in two
 * (split_at, 0 for none) and each part's canonical spelling, weak and
 * honorific. The same words recur across a history's millions of names,
 * and making this costs a dozen map look-ups and the weak words' typo
 * test: the words met are kept in a table by their hash, a later word of
 * the same slot taking its place (a history's load spent a quarter of its
 * time here).
 */
#define MEMO_SLOTS 8192
struct memo {
	char w[TOKEN_MAX];            /* the word as written; "" for a free slot */
	unsigned char n, k;
	struct token {
		char key[TOKEN_MAX];
		unsigned char weak, honorific;
	} part[2];
};

struct imp_names {
	struct memo *memo;            /* MEMO_SLOTS of them */
	struct imp_map *canonical;    /* spelling -> index in words */
	struct imp_map *honorific;
	struct imp_map *weak;
	struct imp_map *part;         /* words written together with another (ABDUL) */
	char **words;                 /* canonical spellings */
	size_t nwords;
	char **weak_words;            /* the weak words, for the typo test */
	size_t nweak;
};


/* Doubled letters made single: HUSSAIN and HUSAIN are one spelling. */
static void
single(const char *s, size_t n, char *out, size_t size)
{
	size_t k = 0, i;

	for (i = 0; i < n && k + 1 < size; i++)
		if (k == 0 || out[k - 1] != s[i])
			out[k++] = s[i];
	out[k] = '\0';
}

/*
 * A word's spelling made one across the ways Urdu names are written in
 * Latin letters (ALA-LC, Hunterian, the popular spellings of passports and
 * registers): EE as I (NADEEM, NADIM), O and OO as U (YOUSUF, YUSUF; OSMAN,
 * USMAN), Q as K (TARIQ, TARIK), W as V (JAWED, JAVED), DH and ZH as Z (the
 * letters of Urdu read z); then AI, AY and EI before a consonant as E
 * (FAISAL, FAYSAL, FESAL; HUSSAIN, HUSSEIN; not SAYED), the silent H of a
 * final AH or EH left out (FATIMAH, FATIMA), doubled letters single
 * (HUSSAIN, HUSAIN). Both names compared are folded alike: the fold only
 * merges spellings, it never tells two apart.
 */
static void
spelling(const char *s, size_t n, char *out, size_t size)
{
	char t[2 * TOKEN_MAX], u[2 * TOKEN_MAX];
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < sizeof t; i++) {
		char c = s[i], d = i + 1 < n ? s[i + 1] : '\0';

		if (c == 'E' && d == 'E')
			t[k++] = 'I', i++;
		else if ((c == 'D' || c == 'Z') && d == 'H')
			t[k++] = 'Z', i++;
		else
			t[k++] = c == 'O' ? 'U' : c == 'Q' ? 'K' : c == 'W' ? 'V' : c;
	}
	single(t, k, u, sizeof u);
	n = strlen(u);
	for (i = 0, k = 0; i < n && k + 1 < sizeof t; i++) {
		char c = u[i], d = u[i + 1];

		if (((c == 'A' && (d == 'I' || d == 'Y')) || (c == 'E' && d == 'I')) &&
		    (u[i + 2] == '\0' || strchr("AEIOUY", u[i + 2]) == NULL))
			t[k++] = 'E', i++;
		else if (strchr("AEIOU", c) != NULL && d == 'H' && i + 2 == n && n > 3)
			t[k++] = c, i++;
		else
			t[k++] = c;
	}
	single(t, k, out, size);
}

static int
add_word(struct imp_names *nm, const char *kind, const char *w, size_t len, unsigned long lineno,
	 struct imp_err *e)
{
	char key[TOKEN_MAX];
	uint64_t old;
	int rc;

	spelling(w, len, key, sizeof key);
	if (strcmp(kind, "honorific") == 0)
		rc = imp_map_put(nm->honorific, key, 1, &old);
	else if (strcmp(kind, "part") == 0)
		rc = imp_map_put(nm->part, key, 1, &old);
	else if (strcmp(kind, "weak") == 0) {
		char **v;

		if ((rc = imp_map_put(nm->weak, key, 1, &old)) == 0) {
			if ((v = realloc(nm->weak_words, (nm->nweak + 1) * sizeof *v)) == NULL ||
			    (v[nm->nweak] = strdup(key)) == NULL)
				return imp_fail(e, EX_SOFTWARE, "out of memory");
			nm->weak_words = v;
			nm->nweak++;
		}
	}
	else
		rc = imp_map_put(nm->canonical, key, nm->nwords, &old);
	if (rc < 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (rc == 1 && strcmp(kind, "variant") == 0 && old != nm->nwords)
		return imp_fail(e, EX_SOFTWARE, "lib/names.txt line %lu: %.*s is a spelling of %s "
				"already", lineno, (int)len, w, nm->words[old]);
	return 0;
}

/* One line of lib/names.txt: KIND WORD... */
static int
names_line(struct imp_names *nm, const char *s, const char *end, unsigned long lineno,
	   struct imp_err *e)
{
	char kind[16] = "", canon[TOKEN_MAX] = "";
	const char *w;
	size_t n;
	int rc, first = 1;
	char **v;

	while (s < end) {
		while (s < end && *s == ' ')
			s++;
		for (w = s; s < end && *s != ' '; s++)
			;
		if ((n = (size_t)(s - w)) == 0)
			break;
		if (kind[0] == '\0') {
			snprintf(kind, sizeof kind, "%.*s", (int)n, w);
			if (strcmp(kind, "honorific") && strcmp(kind, "weak") && strcmp(kind, "variant") &&
			    strcmp(kind, "part"))
				return imp_fail(e, EX_SOFTWARE, "lib/names.txt line %lu: unknown "
						"kind %s", lineno, kind);
			continue;
		}
		if (first && strcmp(kind, "variant") == 0) {
			spelling(w, n, canon, sizeof canon);
			if ((v = realloc(nm->words, (nm->nwords + 1) * sizeof *v)) == NULL ||
			    (v[nm->nwords] = strdup(canon)) == NULL)
				return imp_fail(e, EX_SOFTWARE, "out of memory");
			nm->words = v;
		}
		first = 0;
		if ((rc = add_word(nm, kind, w, n, lineno, e)) != 0)
			return rc;
	}
	if (!first && strcmp(kind, "variant") == 0)
		nm->nwords++;
	return 0;
}

int
imp_names_open(struct imp_names **np, struct imp_err *e)
{
	const char *s = (const char *)imp_names_txt, *end = s + imp_names_txt_len, *nl;
	struct imp_names *nm;
	unsigned long lineno = 0;
	int rc = 0;

	if ((nm = *np = calloc(1, sizeof *nm)) == NULL ||
	    (nm->memo = calloc(MEMO_SLOTS, sizeof *nm->memo)) == NULL ||
	    (nm->canonical = imp_map_new()) == NULL ||
	    (nm->honorific = imp_map_new()) == NULL || (nm->weak = imp_map_new()) == NULL ||
	    (nm->part = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	for (; s < end && rc == 0; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		lineno++;
		if (*s != '#' && nl > s)
			rc = names_line(nm, s, nl, lineno, e);
	}
	return rc;
}

void
imp_names_close(struct imp_names *nm)
{
	size_t i;

	if (nm == NULL)
		return;
	free(nm->memo);
	imp_map_free(nm->canonical);
	imp_map_free(nm->honorific);
	imp_map_free(nm->weak);
	imp_map_free(nm->part);
	for (i = 0; i < nm->nwords; i++)
		free(nm->words[i]);
	free(nm->words);
	for (i = 0; i < nm->nweak; i++)
		free(nm->weak_words[i]);
	free(nm->weak_words);
	free(nm);
}

static int has_word(const struct imp_name_words *w, const char *t);

/* A weak word, or one typo of a weak word of six letters or more (MUHAMAE):
 * a mistyped MUHAMMAD says as little as MUHAMMAD. */
static int
weak_word(const struct imp_names *nm, const char *key)
{
	size_t i, n = strlen(key), m;
	uint64_t v;

	if (imp_map_get(nm->weak, key, &v) == 0)
		return 1;
	if (n < 6 || imp_map_get(nm->canonical, key, &v) == 0)
		return 0;
	for (i = 0; i < nm->nweak; i++) {
		m = strlen(nm->weak_words[i]);
		if (key[0] == nm->weak_words[i][0] && m + 1 >= n && n + 1 >= m &&
		    imp_levenshtein(key, nm->weak_words[i]) == 1)
			return 1;
	}
	return 0;
}

/* A word (folded by spelling) in its canonical spelling, weak or not, an
 * honorific or not. */
static void
token_of(const struct imp_names *nm, const char *w, size_t n, struct token *t)
{
	uint64_t v;

	spelling(w, n, t->key, sizeof t->key);
	if (imp_map_get(nm->canonical, t->key, &v) == 0)
		imp_str_copy(t->key, TOKEN_MAX, nm->words[v]);
	t->weak = (unsigned char)weak_word(nm, t->key);
	t->honorific = imp_map_get(nm->honorific, t->key, &v) == 0;
}

/* A word into tk in its canonical spelling, unless it is there already
 * (MALIK AYESHA MALIK: one MALIK), and as written (w, n letters). */
static void
add_token(const struct token *t, const char *w, size_t n, struct imp_name_words *tk)
{
	if (tk->n >= TOKENS || has_word(tk, t->key))
		return;
	imp_str_copy(tk->t[tk->n], TOKEN_MAX, t->key);
	if (n >= TOKEN_MAX)
		n = TOKEN_MAX - 1;
	memcpy(tk->r[tk->n], w, n);
	tk->r[tk->n][n] = '\0';
	tk->weak[tk->n] = t->weak;
	tk->honorific[tk->n] = t->honorific;
	tk->n++;
}

/* Whether letters w (n of them) are a weak word, an honorific or a part
 * of compound names (ABDUL, ULLAH), in any of their spellings. */
static int
title(const struct imp_names *nm, const char *w, size_t n)
{
	char key[TOKEN_MAX];
	const char *c = key;
	uint64_t v;

	spelling(w, n, key, sizeof key);
	if (imp_map_get(nm->canonical, key, &v) == 0)
		c = nm->words[v];
	return imp_map_get(nm->weak, c, &v) == 0 || imp_map_get(nm->honorific, c, &v) == 0 ||
	       imp_map_get(nm->part, c, &v) == 0;
}

/*
 * Where a word that is no known name is a weak word, an honorific or a
 * part of compound names of four letters or more written together with a
 * word of three or more (MUHAMMADALI, SYEDTAUQIR, MALIKAMEENA, ABDULQADIR;
 * RABIYASHAIKH, SAMIULLAH): the letters of its
 * first part, 0 when it is one word. The shortest title first
 * (MUHAMMADHASAN: MUHAMMAD HASAN, though MOHAMMADH is a spelling).
 */
static size_t
split_at(const struct imp_names *nm, const char *w, size_t n)
{
	char key[TOKEN_MAX];
	size_t k;
	uint64_t v;

	if (n < 7 || n >= TOKEN_MAX)
		return 0;
	spelling(w, n, key, sizeof key);
	if (imp_map_get(nm->canonical, key, &v) == 0 || title(nm, w, n))
		return 0;
	for (k = 4; k + 3 <= n; k++)
		if (title(nm, w, k))
			return k;
	for (k = 3; k + 4 <= n; k++)
		if (title(nm, w + k, n - k))
			return k;
	return 0;
}

/* What tokenise makes of the word w (n letters): from the memo, or made
 * (into the memo's slot, or into *spare for a word too long to keep). */
static const struct memo *
word_of(const struct imp_names *nm, const char *w, size_t n, struct memo *spare)
{
	struct memo *m = spare;

	if (n < TOKEN_MAX) {
		m = &nm->memo[imp_hash_add(IMP_HASH_START, w, n) & (MEMO_SLOTS - 1)];
		if (m->n == n && memcmp(m->w, w, n) == 0)
			return m;
		memcpy(m->w, w, n);
		m->w[n] = '\0';
		m->n = (unsigned char)n;
	}
	m->k = (unsigned char)split_at(nm, w, n);
	if (m->k == 0) {
		token_of(nm, w, n, &m->part[0]);
	} else {
		token_of(nm, w, m->k, &m->part[0]);
		token_of(nm, w + m->k, n - m->k, &m->part[1]);
	}
	return m;
}

/* The words of a normalised name in their canonical spelling, each once. */
static void
tokenise(const struct imp_names *nm, const char *name, struct imp_name_words *tk)
{
	const struct memo *m;
	struct memo spare;
	size_t n;

	memset(tk, 0, sizeof *tk);
	for (; *name != '\0' && tk->n < TOKENS; name += n) {
		name += strspn(name, " ");
		if ((n = strcspn(name, " ")) == 0)
			break;
		m = word_of(nm, name, n, &spare);
		if (m->k == 0) {
			add_token(&m->part[0], name, n, tk);
			continue;
		}
		add_token(&m->part[0], name, m->k, tk);
		add_token(&m->part[1], name + m->k, n - m->k, tk);
	}
}

static int
has_word(const struct imp_name_words *w, const char *t)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->t[i], t) == 0)
			return 1;
	return 0;
}

/* Leaves out the honorifics that other lacks (all, when other is NULL),
 * unless that would leave no word. */
static void
drop_honorifics(struct imp_name_words *tk, const struct imp_name_words *other)
{
	size_t i, k = 0;

	for (i = 0; i < tk->n; i++)
		k += !tk->honorific[i] || (other && has_word(other, tk->t[i]));
	if (k == 0)
		return;
	for (i = 0, k = 0; i < tk->n; i++)
		if (!tk->honorific[i] || (other && has_word(other, tk->t[i]))) {
			memmove(tk->t[k], tk->t[i], TOKEN_MAX);
			memmove(tk->r[k], tk->r[i], TOKEN_MAX);
			tk->honorific[k] = tk->honorific[i];
			tk->weak[k++] = tk->weak[i];
		}
	tk->n = k;
}

/* Whether any word of a name is an honorific (SYED, MALIK, HAFIZ ...). */
int
imp_name_has_honorific(const struct imp_name_words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->honorific[i])
			return 1;
	return 0;
}

struct near {
	const char *w;
	size_t len;
	int joined, near;
};

/* Whether word w may be honorific h joined to a word after it: its
 * initial, or beginning with h's first letter and with the rest of h but
 * for vowels or the typos a word of w's length is forgiven (one; two from
 * seven letters). */
static int
may_begin_with(const char *w, size_t len, const char *h, size_t hl)
{
	size_t i, l, typos = len >= 7 ? 2 : 1;

	if (w[0] != h[0])
		return 0;
	if (len == 1)
		return 1;
	if (len > hl) {
		for (i = 1; i < hl && (w[i] == h[i] || (strchr("AEIOUY", w[i]) && strchr("AEIOUY", h[i])));
		     i++)
			;
		if (i == hl)
			return 1;
	}
	if (len < 3)
		return 0;
	for (l = hl > typos ? hl - typos : 1; l <= hl + typos && l <= len; l++)
		if ((size_t)imp_osa_distance(w, l, h, hl) <= typos)
			return 1;
	return 0;
}

static int
near_one(void *arg, const char *key, uint64_t value)
{
	struct near *n = arg;
	size_t kl = strlen(key);

	(void)value;
	n->near |= imp_word_may_like(n->w, n->len, key, kl) ||
		   (!n->joined && may_begin_with(n->w, n->len, key, kl));
	return 0;
}

int
imp_names_near_honorific(const struct imp_names *nm, const char *w, size_t len, int joined)
{
	struct near n = { w, len, joined, 0 };

	if (len == 0)
		return 0;
	imp_map_each(nm->honorific, near_one, &n);
	return n.near;
}

/* Whether a word of three letters or four is the other with its last
 * letter left out (ANA, ANAM; ASA, ASAD): too short for a typo to be
 * forgiven anywhere else (SANA, SABA are two names). */
static int
cut_short(const char *x, size_t lx, const char *y, size_t ly)
{
	size_t min = lx < ly ? lx : ly;

	return min >= 3 && min <= 4 && (lx > ly ? lx - ly : ly - lx) == 1 &&
	       memcmp(x, y, min) == 0;
}

int
imp_word_may_pair(const char *x, size_t lx, const char *y, size_t ly)
{
	size_t d = lx > ly ? lx - ly : ly - lx;

	if (x[0] != y[0])
		return 0;
	if (lx == 1 || ly == 1 || d == 0)
		return 1;
	return d <= imp_word_typos(lx, ly) || cut_short(x, lx, y, ly);
}

int
imp_word_may_join(const char *x, size_t lx, const char *y, size_t ly, size_t lz)
{
	return x[0] == y[0] && ly + lz >= IMP_JOINED_MIN && lx <= ly + lz + 1;
}

/*
 * How alike two forms of two words are (both folded, or both as written):
 * the same; an initial (for MUHAMMAD, as good as the word); the typos
 * imp_word_typos forgives (most two, as a word folded: typos is 1 for
 * words as written), never in the first letter.
 */
static double
form_similarity(const char *a, size_t la, const char *b, size_t lb, int weak, size_t most)
{
	size_t d, typos;

	if (!imp_word_may_pair(a, la, b, lb))  /* nothing below forgives the first letter */
		return 0.0;
	if (la == lb && memcmp(a, b, la) == 0)
		return 1.0;
	if (la == 1 || lb == 1)
		return weak ? 1.0 : 0.6;
	if ((typos = imp_word_typos(la, lb)) == 0)
		return cut_short(a, la, b, lb) ? 0.9 : 0.0;
	if (typos > most)
		typos = most;
	d = (size_t)imp_osa_distance(a, la, b, lb);
	return d == 1 ? 0.9 : d == 2 && typos >= 2 ? 0.85 : 0.0;
}

/*
 * How alike words i of a and j of b are: folded (form_similarity), or,
 * when that finds them apart, one typo of the words as written (HALEHEMA
 * and HALEEMA: EE folds to I, EHE does not; DURRANZE and DURRANEE; JATHT
 * and JATT, whose fold JAT is too short to forgive a typo).
 */
static double
word_similarity(const struct imp_name_words *a, size_t i, const struct imp_name_words *b,
		size_t j, int weak)
{
	double s = form_similarity(a->t[i], strlen(a->t[i]), b->t[j], strlen(b->t[j]), weak, 2), r;

	if (s >= 0.9 || a->r[i][0] == '\0' || b->r[j][0] == '\0')
		return s;
	r = form_similarity(a->r[i], strlen(a->r[i]), b->r[j], strlen(b->r[j]), weak, 1);
	if (r > s)
		s = r;
	/* one form against the other: a typo that made a pair the fold
	 * changes (MAIJD, whose AI folds to E, for MAJID) */
	if (s < 0.9) {
		r = form_similarity(a->r[i], strlen(a->r[i]), b->t[j], strlen(b->t[j]), weak, 1);
		if (r > s)
			s = r;
		r = form_similarity(a->t[i], strlen(a->t[i]), b->r[j], strlen(b->r[j]), weak, 1);
		if (r > s)
			s = r;
	}
	return s;
}

struct pairing {
	double sum;                   /* of the pairs' similarities, each counted per word */
	int used_a[TOKENS], used_b[TOKENS];
	/* what each pair would give, worked out once: a word against a word,
	 * against two of the other joined, two joined against a word */
	double give[TOKENS][TOKENS][3];
};

size_t
imp_word_joined(const char *x, const char *y, char *out)
{
	char both[2 * TOKEN_MAX];
	size_t lx = strlen(x), ly = strlen(y);

	memcpy(both, x, lx);
	memcpy(both + lx, y, ly + 1);
	spelling(both, lx + ly, out, 2 * TOKEN_MAX);
	return strlen(out);
}

/*
 * What word x gives against words j and j + 1 of name b joined (never an
 * initial), one typo or none apart: folded, or as written and folded as
 * one word (SANAH ARAEEN, SANAHARAEEN: the fold of SANAH alone leaves its
 * silent H out, of the word joined not; KHADIJA AISHA, KHADIJAAISHA:
 * AISHA alone is compared as AYESHA).
 */
static double
join_similarity(const char *x, size_t lx, const struct imp_name_words *b, size_t j)
{
	char jb[2 * TOKEN_MAX];
	size_t l;
	double s = 0, r = 0;

	if (j + 1 >= b->n || b->t[j][1] == '\0' || b->t[j + 1][1] == '\0')
		return 0;
	if (imp_word_may_join(x, lx, b->t[j], strlen(b->t[j]), strlen(b->t[j + 1])) &&
	    (l = imp_word_joined(b->t[j], b->t[j + 1], jb)) >= IMP_JOINED_MIN)
		s = form_similarity(x, lx, jb, l, 0, 2);
	if (s < 0.9 && b->r[j][0] != '\0' && b->r[j + 1][0] != '\0' &&
	    imp_word_may_join(x, lx, b->t[j], strlen(b->r[j]), strlen(b->r[j + 1])) &&
	    (l = imp_word_joined(b->r[j], b->r[j + 1], jb)) >= IMP_JOINED_MIN)
		r = form_similarity(x, lx, jb, l, 0, 2);
	if (r > s)
		s = r;
	return s >= 0.9 ? s : 0;
}

static void
pair_values(const struct imp_name_words *a, const struct imp_name_words *b, struct pairing *p)
{
	size_t i, j, la[TOKENS], lb[TOKENS];

	/* a word against two of the other joined needs the same first letter
	 * (a joined pair begins with its first word's): most pairs never are */
	for (i = 0; i < a->n; i++)
		la[i] = strlen(a->t[i]);
	for (j = 0; j < b->n; j++)
		lb[j] = strlen(b->t[j]);
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++) {
			p->give[i][j][0] = 2 * word_similarity(a, i, b, j, a->weak[i] || b->weak[j]);
			p->give[i][j][1] = p->give[i][j][2] = 0;
			if (a->t[i][0] != b->t[j][0])
				continue;
			p->give[i][j][1] = 3 * join_similarity(a->t[i], la[i], b, j);
			p->give[i][j][2] = 3 * join_similarity(b->t[j], lb[j], a, i);
		}
}

/* The best unused pair, a word against a word or against two joined (ABDURREHMAN). */
static int
best_pair(const struct imp_name_words *a, const struct imp_name_words *b, struct pairing *p)
{
	double best = 0, s;
	size_t i, j, bi = 0, bj = 0;
	int two, bt = 0;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++) {
			if (p->used_a[i] || p->used_b[j])
				continue;
			for (two = 0; two < 3; two++) {
				if (two == 1 && (j + 1 >= b->n || p->used_b[j + 1]))
					continue;
				if (two == 2 && (i + 1 >= a->n || p->used_a[i + 1]))
					continue;
				s = p->give[i][j][two];
				if (s > best)
					best = s, bi = i, bj = j, bt = two;
			}
		}
	if (best == 0)
		return 0;
	p->used_a[bi] = p->used_b[bj] = 1;
	if (bt == 1)
		p->used_b[bj + 1] = 1;
	if (bt == 2)
		p->used_a[bi + 1] = 1;
	p->sum += best;
	return 1;
}

/* The words of a normalised name, as the comparison sees them. */
void
imp_name_words(const struct imp_names *nm, const char *name, struct imp_name_words *w)
{
	tokenise(nm, name, w);
}

size_t
imp_name_letters(const struct imp_name_words *w, char *out, size_t size)
{
	size_t i, k = 0, n;

	for (i = 0; i < w->n; i++) {
		n = strlen(w->r[i]);
		if (n < 2 || k + n >= size)   /* an initial is joined to no word */
			return 0;
		memcpy(out + k, w->r[i], n);
		k += n;
	}
	out[k] = '\0';
	return k;
}

/*
 * Similarity of two names, 0 to 1, whatever the order of their words:
 * 2 × matched / (words of a + words of b), where words that were left
 * unmatched and are weak (MUHAMMAD) do not count. *part (unless NULL): 1
 * when every word of one of the names was paired, the other having more
 * (a middle name dropped: HALIMA, HALIMA RABIYA), 0 when words were left
 * on both sides (two names: AMINA ANAM, MARYAM ANAM).
 */
double
imp_name_words_compare(const struct imp_name_words *a0, const struct imp_name_words *b0, int *part)
{
	struct imp_name_words ta, tb;
	const struct imp_name_words *a = a0, *b = b0;
	struct pairing p;
	size_t i, words = 0, left_a = 0, left_b = 0;
	char la[IMP_NAME_WORDS * IMP_WORD_MAX], lb[IMP_NAME_WORDS * IMP_WORD_MAX];

	if (part != NULL)
		*part = 0;
	/* the same letters as written, words merged or split (SAIMAHTALPUR,
	 * SAIMAH TALPUR; RANAHNIDAH, RANAH NIDAH, which the split of the
	 * merged word cannot tell from RANA HNIDAH) */
	if (imp_name_letters(a0, la, sizeof la) > 0 &&
	    imp_name_letters(b0, lb, sizeof lb) > 0 && strcmp(la, lb) == 0)
		return 1;
	/* an honorific on one side only comes and goes; on both it is a word
	 * (the names copied only when there is one to leave out) */
	if ((imp_name_has_honorific(a0) || imp_name_has_honorific(b0)) && imp_honorifics(a0, b0) != IMP_HON_DIFFER) {
		ta = *a0;
		tb = *b0;
		drop_honorifics(&ta, b0);
		drop_honorifics(&tb, a0);
		a = &ta;
		b = &tb;
	}
	if (a->n == 0 || b->n == 0)
		return 0;
	p.sum = 0;
	memset(p.used_a, 0, sizeof p.used_a);
	memset(p.used_b, 0, sizeof p.used_b);
	pair_values(a, b, &p);
	while (best_pair(a, b, &p))
		;
	for (i = 0; i < a->n; i++) {
		words += p.used_a[i] || !a->weak[i];
		left_a += !p.used_a[i];
	}
	for (i = 0; i < b->n; i++) {
		words += p.used_b[i] || !b->weak[i];
		left_b += !p.used_b[i];
	}
	if (part != NULL)
		*part = p.sum > 0 && (left_a == 0 || left_b == 0);
	return words ? p.sum / (double)words : 0;
}

/*
 * Marks the words of a (and of b) that imp_name_words_compare may pair
 * with a word of b, alone or joined: a word against a word in any of the
 * forms word_similarity compares (folded, as written, one against the
 * other: imp_word_may_pair), and a word against two neighbours of b
 * joined (join_similarity: imp_word_may_join, the neighbours' lengths
 * folded or as written); neighbours are words with no more than
 * honorifics, which may be left out, between them.
 */
static void
may_use(const struct imp_name_words *a, const size_t *la, const size_t *ra,
	const struct imp_name_words *b, const size_t *lb, const size_t *rb, unsigned char *ua,
	unsigned char *ub)
{
	size_t i, j, k;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++) {
			if (imp_word_may_pair(a->t[i], la[i], b->t[j], lb[j]) ||
			    (ra[i] && rb[j] && (imp_word_may_pair(a->r[i], ra[i], b->r[j], rb[j]) ||
						imp_word_may_pair(a->r[i], ra[i], b->t[j], lb[j]) ||
						imp_word_may_pair(a->t[i], la[i], b->r[j], rb[j]))))
				ua[i] = ub[j] = 1;
			if (lb[j] < 2)
				continue;
			for (k = j + 1; k < b->n; k++) {
				if (lb[k] >= 2 &&
				    (imp_word_may_join(a->t[i], la[i], b->t[j], lb[j], lb[k]) ||
				     (rb[j] && rb[k] &&
				      imp_word_may_join(a->t[i], la[i], b->t[j], rb[j], rb[k]))))
					ua[i] = ub[j] = ub[k] = 1;
				if (!b->honorific[k])
					break;
			}
		}
}

/*
 * The most imp_name_words_compare can find a and b alike, without
 * comparing a word: 1 when their letters as written are the same;
 * otherwise each word paired gives at most 1, and a word that may pair
 * with none (may_use) counts against unless weak or an honorific (which
 * may be left out), so at most the words that may pair over those and
 * the words that cannot. A bound for the comparison to be skipped by.
 */
double
imp_name_words_most(const struct imp_name_words *a, const struct imp_name_words *b)
{
	size_t la[TOKENS] = { 0 }, lb[TOKENS] = { 0 }, ra[TOKENS] = { 0 }, rb[TOKENS] = { 0 };
	size_t i, may = 0, not = 0;
	unsigned char ua[TOKENS] = { 0 }, ub[TOKENS] = { 0 };
	char xa[TOKENS * TOKEN_MAX], xb[TOKENS * TOKEN_MAX];

	if (imp_name_letters(a, xa, sizeof xa) > 0 && imp_name_letters(b, xb, sizeof xb) > 0 &&
	    strcmp(xa, xb) == 0)
		return 1;
	for (i = 0; i < a->n; i++) {
		la[i] = strlen(a->t[i]);
		ra[i] = strlen(a->r[i]);
	}
	for (i = 0; i < b->n; i++) {
		lb[i] = strlen(b->t[i]);
		rb[i] = strlen(b->r[i]);
	}
	may_use(a, la, ra, b, lb, rb, ua, ub);
	may_use(b, lb, rb, a, la, ra, ub, ua);
	for (i = 0; i < a->n; i++) {
		may += ua[i];
		not += !ua[i] && !a->weak[i] && !a->honorific[i];
	}
	for (i = 0; i < b->n; i++) {
		may += ub[i];
		not += !ub[i] && !b->weak[i] && !b->honorific[i];
	}
	return may + not == 0 ? 1 : (double)may / (double)(may + not);
}

double
imp_name_words_similarity(const struct imp_name_words *a, const struct imp_name_words *b)
{
	return imp_name_words_compare(a, b, NULL);
}

/*
 * Similarity of two normalised names, 0 to 1, whatever the order of their
 * words: 2 × matched / (words of a + words of b), where words that were
 * left unmatched and are weak (MUHAMMAD) do not count.
 */
double
imp_name_similarity(const struct imp_names *nm, const char *a, const char *b)
{
	struct imp_name_words ta, tb;

	tokenise(nm, a, &ta);
	tokenise(nm, b, &tb);
	return imp_name_words_similarity(&ta, &tb);
}
