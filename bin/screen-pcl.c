/* SPDX-License-Identifier: ISC */
/*
 * screen-pcl: applicants against the Passport and Foreign Control Lists.
 * An equal CNIC or passport number holds at once; otherwise a person match
 * is scored: the names compared by the names module, corroborated (or
 * contradicted) by father's name and date of birth, and weighed by how
 * common the name is in the lists and the batch. Candidates come from an
 * index of name keys built at start-up, never from a scan of every entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "impass.h"

#define PROG "screen-pcl"
#define POSTING_CAP 300               /* keys this common give no candidates */
#define POSTING_CAP_ONE 3000          /* ... for a name of one word, which has few keys */
#define MAX_HITS 8
#define NOT_ALIKE -99.0               /* names too unlike to be weighed */
#define ALIKE 0.75                    /* the similarity from which names are weighed */
#define ALIKE_PART 0.66               /* ... when one name is the other but for a word */
#define FATHER_ALIKE 0.85             /* the similarity from which fathers' names agree */
/* The area of a CNIC, its first four digits (province, division, district,
 * tehsil): a listed person who applies under another CNIC is taken to be
 * registered in the entry's area four times in five (AREA_KEPT). How many
 * others share it is told by the people of the entry's family name with a
 * CNIC, blended with the area's share of all people (AREA_BLEND of them):
 * SOOMROs live in Sindh, so a Sindh area says less of a SOOMRO. */
#define AREA_KEPT 0.8
#define AREA_BLEND 20.0
#define AREA_MOST 8.0                 /* the most an equal area can give */

/* A name's words, packed: struct imp_name_words is 800 bytes whatever the
 * name, two of them for each of 78,000 entries 125 MB. The words lie one
 * after another in s->packed, each folded then as written, each ended by
 * a NUL; unpack gives the struct back when a name is weighed. */
struct packed {
	uint32_t at;                  /* in s->packed */
	uint16_t weak, honorific;     /* bit i: word i is */
	uint8_t n;
};
_Static_assert(IMP_NAME_WORDS <= 16, "struct packed keeps a bit per word in 16");

struct entry {
	char *id, *name, *father, *category;
	struct packed pname, pfather;        /* the words of name and father's name */
	char list[4];
	uint64_t cnic;
	char passport[12];
	struct imp_date dob;          /* y 0: unknown */
	uint32_t n_name;              /* people in lists and batch with its name */
	uint32_t n_hname;             /* ... with its name and its honorifics (imp_name_has_honorific) */
	uint32_t n_father, n_family;  /* fathers with its father's name, and of that family */
	uint32_t same_cnic, same_passport;   /* the next entry with its CNIC / passport, + 1 */
	uint32_t n_named, n_named_area;      /* people with a CNIC and its last name, and of its area */
};

/* What the first test of a candidate needs, kept small and together: the
 * entries themselves are large and scattered in memory. */
struct brief {
	float most;                   /* the most its name, father's name and area can give */
	struct imp_date dob;
	uint16_t area;                /* of its CNIC; 0: no CNIC */
	uint16_t bare;                /* it gives a name alone: held from --name-only */
	float area_same, area_other;  /* the bits an equal and another area give */
};

/* A table of keys by their 64-bit hash, hash and value in one slot (one
 * cache line read): the counts of names, and the name keys while the
 * lists are read (struct ktab the table of them read). */
struct hslot {
	uint64_t h;                   /* 0: empty */
	uint32_t v;
};

struct htab {
	struct hslot *v;
	size_t cap, n;
};

/* The name keys of the lists, each with where its entries are: hash and
 * posting in 16 bytes, so that one cache line read finds a key and its
 * entries' place (a 64-bit hash: two keys that share one, one chance in
 * 2^64, would share candidates, which are weighed anyway). Open
 * addressing, at most 5 slots in 8 used: 32 MB for 78,000 entries' 1.1
 * million keys. */
struct kslot {
	uint64_t h;                   /* 0: empty */
	uint32_t at, n;               /* its entries: post.v[at] .. v[at + n - 1]; n | SORTED */
};
#define SORTED 0x80000000u            /* in kslot.n: its postings sorted (sort_posting) */

struct ktab {
	struct kslot *v;
	size_t cap, n;
};

/* The postings of the name keys, one array, each key's entries together
 * (kslot): in v by year of birth, then by most, in by_most by most, once
 * the key is first looked up (sort_posting; before, v in entry order, as
 * the lists are read and in the index). */
struct postings {
	uint32_t (*pair)[2];          /* while the lists are read: key, entry */
	size_t npair, cap;
	uint32_t nkeys;
	uint32_t *v;
	uint32_t *by_most;            /* the same entries, by most alone */
	uint32_t *order[2], *rank[2]; /* the entries by year and most, by most (sort_postings) */
};

struct screen {
	struct imp_names *names;
	struct entry *e;
	size_t n, cap;
	uint64_t removed, refused;
	struct htab made;             /* while the lists are read: name key -> its number + 1 */
	struct ktab keys;             /* name key -> its posting */
	struct postings post;
	struct imp_map *cnics, *passports;   /* -> entry index + 1 (first of them) */
	struct htab counts;           /* name, father and family keys -> people */
	uint64_t people;              /* in the lists and the batch */
	uint64_t carded;              /* ... with a CNIC */
	struct brief *brief;          /* per entry */
	uint16_t *weight;             /* per entry, while an applicant is looked up */
	uint32_t *stamp;              /* per entry: the applicant's word that last gave weight */
	uint32_t serial;              /* of the applicant, for stamp */
	size_t word;                  /* the word of a word key (T:, S:) + 1; 0 for other keys */
	int query;                    /* keys made to look up, not to index */
	struct qkey {                 /* an applicant's keys, looked up together */
		uint64_t h;
		uint32_t at, n;       /* its posting (kslot); n 0: no entry bears it */
		uint32_t slot;        /* its slot in s->keys */
		unsigned char weight, whole, word;
	} *qk;
	size_t nqk, qcap;
	uint32_t *touched;
	size_t ntouched;
	double threshold;
	double name_only;             /* the threshold of an entry that gives a name alone */
	double dob_same, dob_other, dob_none;   /* the most a date of birth gives (dob_bounds) */
	int explain;
	struct imp_buf a, b, key, sentence, out;
	struct imp_buf packed;        /* the entries' words (struct packed) */
	uint64_t kh;                  /* the name key being made, hashed so far */
	struct imp_verdict v;
	char *blob;                   /* the index read (--list-index): e, the key table, pairs */
};

/* ---- keys ----------------------------------------------------------------------- */

static int
ht_grow(struct htab *t)
{
	size_t cap = t->cap ? 2 * t->cap : 1024, i, j;
	struct hslot *v = calloc(cap, sizeof *v);

	if (v == NULL)
		return -1;
	for (i = 0; i < t->cap; i++)
		if (t->v[i].h != 0) {
			for (j = t->v[i].h & (cap - 1); v[j].h != 0; j = (j + 1) & (cap - 1))
				;
			v[j] = t->v[i];
		}
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}

/* The value of hash h; with add, added as 0 when new (NULL: out of memory);
 * without, NULL when it is not there. */
static uint32_t *
ht_slot(struct htab *t, uint64_t h, int add)
{
	size_t i;

	if (add && 2 * (t->n + 1) > t->cap && ht_grow(t) != 0)
		return NULL;
	if (t->cap == 0)
		return NULL;
	for (i = h & (t->cap - 1); t->v[i].h != 0; i = (i + 1) & (t->cap - 1))
		if (t->v[i].h == h)
			return &t->v[i].v;
	if (!add)
		return NULL;
	t->v[i].h = h;
	t->v[i].v = 0;
	t->n++;
	return &t->v[i].v;
}

/* Asks the processor to fetch the slot of hash h before it is read. */
static void
ht_prefetch(const struct htab *t, uint64_t h)
{
	if (t->cap != 0)
		__builtin_prefetch(&t->v[h & (t->cap - 1)]);
}

static void
ht_free(struct htab *t)
{
	free(t->v);
	t->v = NULL;
	t->cap = t->n = 0;
}

/* The key of hash h; NULL when no entry bears it. */
static const struct kslot *
kt_find(const struct ktab *t, uint64_t h)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = h & (t->cap - 1); t->v[i].h != 0; i = (i + 1) & (t->cap - 1))
		if (t->v[i].h == h)
			return &t->v[i];
	return NULL;
}

static void
kt_prefetch(const struct ktab *t, uint64_t h)
{
	if (t->cap != 0)
		__builtin_prefetch(&t->v[h & (t->cap - 1)]);
}

/* A name key is only ever hashed: its bytes go into the hash (imp_hash's)
 * as the key is made, not into a buffer first. */
static void
key_add(struct screen *s, const char *p, size_t n)
{
	s->kh = imp_hash_add(s->kh, p, n);
}

/* The consonants of a word after its first letter (imp_word_skeleton):
 * typos in vowels vanish. */
static void
skeleton(struct screen *s, const char *w)
{
	char skel[IMP_WORD_MAX];

	imp_word_skeleton(w, skel);
	key_add(s, skel, strlen(skel));
}

struct words {
	const char *w[16], *r[16];    /* folded, and as written */
	size_t len[16], rlen[16], n;
	char letters[IMP_NAME_WORDS * IMP_WORD_MAX];   /* imp_name_letters of the name */
	size_t nletters;
};

/* The words a name is indexed by (imp_index_words): honorifics left out
 * (unless it has nothing else), and weak words (MUHAMMAD) unless it has
 * nothing else. */
static void
words_of(const struct imp_name_words *w, struct words *ws)
{
	size_t idx[IMP_NAME_WORDS], i;

	ws->nletters = imp_name_letters(w, ws->letters, sizeof ws->letters);
	ws->n = imp_index_words(w, idx);
	for (i = 0; i < ws->n; i++) {
		ws->w[i] = w->t[idx[i]];
		ws->len[i] = strlen(w->t[idx[i]]);
		ws->r[i] = w->r[idx[i]];
		ws->rlen[i] = strlen(w->r[idx[i]]);
	}
}

/* word i before word j in a key (shorter ones compared by their length) */
static int
word_before(const struct words *ws, size_t i, size_t j)
{
	size_t n = ws->len[i] < ws->len[j] ? ws->len[i] : ws->len[j];
	int c = memcmp(ws->w[i], ws->w[j], n);

	return c != 0 ? c < 0 : ws->len[i] < ws->len[j];
}

static void
key_start(struct screen *s, const char *prefix)
{
	s->kh = IMP_HASH_START;
	key_add(s, prefix, 2);
}

/* The name as a set: strong words sorted, so that order does not matter. */
static void
full_key(struct screen *s, const struct words *ws)
{
	size_t order[16], i, j, t;

	for (i = 0; i < ws->n; i++)
		order[i] = i;
	for (i = 1; i < ws->n; i++)
		for (j = i; j > 0 && word_before(ws, order[j], order[j - 1]); j--)
			t = order[j], order[j] = order[j - 1], order[j - 1] = t;
	key_start(s, "N:");
	for (i = 0; i < ws->n; i++) {
		if (i > 0)
			key_add(s, " ", 1);
		key_add(s, ws->w[order[i]], ws->len[order[i]]);
	}
}

typedef int key_fn(struct screen *, int weight, int whole, void *arg);

/* Word i with one letter but the first left out, in turn, and whole, and
 * word j whole (the first of the others, each_key): one typo in word i (a letter changed, added, dropped, or two
 * swapped) leaves a key that both spellings share (FAISAL KHAN and FAIEAL
 * KHAN share FAIAL KHAN). */
static int
typo_pair(struct screen *s, const struct words *ws, size_t i, size_t j, key_fn *fn, void *arg)
{
	const char *w = ws->w[i];
	size_t k, n = ws->len[i], form;
	int rc;

	/* the word folded, and as written when the fold changed it: a typo
	 * the fold makes two edits is one as written (HALEHEMA, HALEEMA) */
	for (form = 0; form < 2; form++, w = ws->r[i], n = ws->rlen[i]) {
		if (n < 3 || (form == 1 && strcmp(ws->r[i], ws->w[i]) == 0))
			continue;
		for (k = 1; k <= n; k++) {            /* k == n: the word whole */
			key_start(s, "Q:");
			key_add(s, w, k);
			if (k < n)
				key_add(s, w + k + 1, n - k - 1);
			key_add(s, " ", 1);
			key_add(s, ws->w[j], ws->len[j]);
			if ((rc = fn(s, 2, 0, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

/* A name of one strong word (WAQAS of WAQAS SHAIKH, the honorific left out)
 * has no pair to find a typo by: the word with each letter but the first
 * left out in turn, and whole, finds one letter changed, added, dropped or
 * two swapped (WAQAE and WAQAS share WAQA), from three letters (ANA, the
 * names module's ANAM with its last letter left out, shares ANA). */
static int
deletions(struct screen *s, const struct words *ws, key_fn *fn, void *arg)
{
	const char *w = ws->w[0];
	size_t i, n = ws->len[0], form;
	int rc;

	if (ws->n != 1)
		return 0;
	/* folded, and as written when the fold changed it (typo_pair) */
	for (form = 0; form < 2; form++, w = ws->r[0], n = ws->rlen[0]) {
		if (n < 3 || (form == 1 && strcmp(ws->r[0], ws->w[0]) == 0))
			continue;
		for (i = 1; i <= n; i++) {            /* i == n: the word whole */
			key_start(s, "D:");
			key_add(s, w, i);
			if (i < n)
				key_add(s, w + i + 1, n - i - 1);
			if ((rc = fn(s, 1, 0, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

/* Word w (n letters) under prefix, with each letter but the first left
 * out in turn, and whole: one typo leaves a key that both spellings share. */
static int
deletion_keys(struct screen *s, const char *prefix, const char *w, size_t n, key_fn *fn,
	      void *arg)
{
	size_t k;
	int rc;

	for (k = 1; k <= n; k++) {
		key_start(s, prefix);
		key_add(s, w, k);
		if (k < n)
			key_add(s, w + k + 1, n - k - 1);
		if ((rc = fn(s, 2, 0, arg)) != 0)
			return rc;
	}
	return 0;
}

/* Two words written as one (ABDURREHMAN for ABDUL REHMAN): an entry
 * indexes each pair of neighbouring words joined (imp_word_joined, as the
 * names module joins them: folded, and as written) under J: and each long
 * word under K:; an applicant looks its long words up under J: and its
 * pairs joined under K:, so that a word finds two and two find a word,
 * one typo (ABDUR for ABDUL) aside, and a word never finds itself. */
static int
join_keys(struct screen *s, const struct words *ws, key_fn *fn, void *arg)
{
	char joined[2 * IMP_WORD_MAX], raw[2 * IMP_WORD_MAX];
	size_t i, n, r;
	int rc;

	for (i = 0; i < ws->n; i++) {
		if (ws->len[i] >= IMP_JOINED_MIN &&
		    (rc = deletion_keys(s, s->query ? "J:" : "K:", ws->w[i], ws->len[i], fn,
					arg)) != 0)
			return rc;
		/* never an initial (the names module joins none) */
		if (i + 1 >= ws->n || ws->len[i] < 2 || ws->len[i + 1] < 2)
			continue;
		n = imp_word_joined(ws->w[i], ws->w[i + 1], joined);
		if (n >= IMP_JOINED_MIN && (rc = deletion_keys(s, s->query ? "K:" : "J:", joined, n,
							       fn, arg)) != 0)
			return rc;
		if (ws->rlen[i] == 0 || ws->rlen[i + 1] == 0)
			continue;
		r = imp_word_joined(ws->r[i], ws->r[i + 1], raw);
		if (r >= IMP_JOINED_MIN && strcmp(raw, joined) != 0 &&
		    (rc = deletion_keys(s, s->query ? "K:" : "J:", raw, r, fn, arg)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Word i one edit away (a letter but the first changed, added or dropped,
 * or two neighbours swapped) beside initial j, under I: as an entry
 * indexes a word with the initial of another: a name looks these up when
 * it has an initial, whose typo no other key forgives (QTSIM B for QASIM
 * BUKHARI). Letters as folded words have them, A to Z.
 */
static int
initial_typos(struct screen *s, const struct words *ws, size_t i, size_t j, key_fn *fn, void *arg)
{
	char v[IMP_WORD_MAX + 1];
	const char *w = ws->w[i];
	size_t n = ws->len[i], k;
	int op, c, rc;

	if (n < 3 || n + 1 >= sizeof v)
		return 0;
	for (op = 0; op < 4; op++)
		for (k = 1; k <= n; k++)
			for (c = 'A'; c <= 'Z'; c++) {
				if (op == 0) {                /* dropped */
					if (k == n || c > 'A')
						break;
					memcpy(v, w, k);
					memcpy(v + k, w + k + 1, n - k - 1);
					v[n - 1] = '\0';
				} else if (op == 1) {         /* swapped */
					if (k + 1 >= n || c > 'A' || w[k] == w[k + 1])
						break;
					memcpy(v, w, n + 1);
					v[k] = w[k + 1];
					v[k + 1] = w[k];
				} else if (op == 2) {         /* changed */
					if (k == n)
						break;
					if (c == w[k])
						continue;
					memcpy(v, w, n + 1);
					v[k] = (char)c;
				} else {                      /* added */
					memcpy(v, w, k);
					v[k] = (char)c;
					memcpy(v + k + 1, w + k, n - k + 1);
				}
				key_start(s, "I:");
				key_add(s, v, strlen(v));
				key_add(s, " ", 1);
				key_add(s, ws->w[j], 1);
				if ((rc = fn(s, 2, 0, arg)) != 0)
					return rc;
			}
	return 0;
}

/* Calls fn for every key of a name (its hash in s->kh) with its weight: 2 for the
 * whole name, for a pair of words (with one typo, or written as one) and
 * for the deletions of a name of one word, 1 for a word or its consonants
 * (one word gives its weight once, by either). */
static int
each_key(struct screen *s, const struct words *ws, key_fn *fn, void *arg)
{
	char sa[IMP_WORD_MAX], sb[IMP_WORD_MAX];
	size_t i, j;
	int rc;

	s->word = 0;
	full_key(s, ws);
	if ((rc = fn(s, 2, 1, arg)) != 0 || (rc = deletions(s, ws, fn, arg)) != 0 ||
	    (rc = join_keys(s, ws, fn, arg)) != 0)
		return rc;
	/* the letters as written, spaces left out: words merged or split
	 * whatever the split (imp_name_letters, as the names module compares) */
	if (ws->nletters > 0) {
		key_start(s, "W:");
		key_add(s, ws->letters, ws->nletters);
		if ((rc = fn(s, 2, 1, arg)) != 0)
			return rc;
	}
	/* a middle name dropped from a name of two words (HALIMA RABIYA,
	 * HALIMA): a name looks each of its words up as an entry's whole name */
	for (i = 0; s->query && ws->n > 1 && i < ws->n; i++) {
		key_start(s, "N:");
		key_add(s, ws->w[i], ws->len[i]);
		if ((rc = fn(s, 2, 0, arg)) != 0)
			return rc;
	}
	for (i = 0; i < ws->n; i++) {
		s->word = i + 1;
		key_start(s, "T:");
		key_add(s, ws->w[i], ws->len[i]);
		if ((rc = fn(s, 1, 0, arg)) != 0)
			return rc;
		key_start(s, "S:");
		skeleton(s, ws->w[i]);
		if ((rc = fn(s, 1, 0, arg)) != 0)
			return rc;
		s->word = 0;
		for (j = i + 1; j < ws->n; j++) {
			size_t a = i, b = j;

			if (strncmp(ws->w[i], ws->w[j], ws->len[i] < ws->len[j] ? ws->len[i] :
				    ws->len[j]) >= 0)
				a = j, b = i;
			key_start(s, "P:");
			key_add(s, ws->w[a], ws->len[a]);
			key_add(s, " ", 1);
			key_add(s, ws->w[b], ws->len[b]);
			if ((rc = fn(s, 2, 0, arg)) != 0)
				return rc;
			/* the pair by its consonants: vowels mistyped, or spelt
			 * otherwise than the names module folds them (SLAIM, SALIM) */
			imp_word_skeleton(ws->w[i], sa);
			imp_word_skeleton(ws->w[j], sb);
			key_start(s, "R:");
			key_add(s, strcmp(sa, sb) < 0 ? sa : sb, strlen(strcmp(sa, sb) < 0 ? sa : sb));
			key_add(s, " ", 1);
			key_add(s, strcmp(sa, sb) < 0 ? sb : sa, strlen(strcmp(sa, sb) < 0 ? sb : sa));
			if ((rc = fn(s, 2, 0, arg)) != 0)
				return rc;
		}
	}
	/* an initial for a word (ZAINAB Q, S IRFAN): an entry indexes each
	 * word with the initial of each other word (I:), and with each initial
	 * it has (i:); a name looks up the keys the other side would have */
	for (i = 0; i < ws->n; i++)
		for (j = 0; ws->n > 1 && ws->len[i] > 1 && j < ws->n; j++) {
			if (j == i)
				continue;
			key_start(s, (ws->len[j] == 1) != s->query ? "i:" : "I:");
			key_add(s, ws->w[i], ws->len[i]);
			key_add(s, " ", 1);
			key_add(s, ws->w[j], 1);
			if ((rc = fn(s, 2, 0, arg)) != 0)
				return rc;
			if (s->query && ws->len[j] == 1 &&
			    (rc = initial_typos(s, ws, i, j, fn, arg)) != 0)
				return rc;
		}
	/* a typo in word i: with the first of the other words, which both
	 * names share when they differ by that typo alone; a name looks up
	 * word i with each of its other words, so that a word the entry lacks
	 * (a middle name dropped, RAHSID MAJEED ZAIDEE for RASHID ZAIDEE)
	 * does not hide the entry's first */
	for (i = 0; ws->n > 1 && i < ws->n; i++) {
		size_t first = i == 0 ? 1 : 0;

		for (j = 0; j < ws->n; j++)
			if (j != i && word_before(ws, j, first))
				first = j;
		if ((rc = typo_pair(s, ws, i, first, fn, arg)) != 0)
			return rc;
		for (j = 0; s->query && ws->n > 2 && j < ws->n; j++)
			if (j != i && j != first && (rc = typo_pair(s, ws, i, j, fn, arg)) != 0)
				return rc;
	}
	return 0;
}

/* ---- how many people share a name ------------------------------------------------ */

/* A name's words for counting: weak ones and honorifics left out (ANAM
 * matches ANAM CHAUDHRY and ANAM MALIK: all of them bear it), sorted; for
 * the H: count (names that share their honorifics) and a father's name,
 * honorifics kept. */
static void
count_key(const struct screen *s, const struct imp_name_words *w, struct imp_buf *out)
{
	const char *p[IMP_NAME_WORDS], *t;
	size_t i, j, n = 0;
	/* a father's name is counted whole, family name and all, like its family */
	int keep = out->len >= 2 && (out->p[0] == 'F' || out->p[0] == 'G' || out->p[0] == 'H');

	for (i = 0; i < w->n; i++)
		if (!w->weak[i] && (keep || !w->honorific[i]))
			p[n++] = w->t[i];
	for (i = 0; n == 0 && i < w->n; i++)
		p[n++] = w->t[i];
	for (i = 1; i < n; i++)               /* a few words: sorted in place, no qsort */
		for (j = i; j > 0 && strcmp(p[j], p[j - 1]) < 0; j--)
			t = p[j], p[j] = p[j - 1], p[j - 1] = t;
	for (i = 0; i < n; i++) {
		if (i > 0)
			imp_buf_add(out, " ", 1);
		imp_buf_puts(out, p[i]);
	}
	(void)s;
}

static int
bump(struct screen *s)
{
	uint32_t *n = ht_slot(&s->counts, imp_hash(s->key.p, s->key.len), 1);

	if (n == NULL)
		return -1;
	++*n;
	return 0;
}

/* The family of a father's name: its last word when the child's name
 * bears it too (KHAN of AHMED KHAN, father of ALI KHAN); otherwise the
 * name has no family name (ZAINAB, daughter of MUHAMMAD SHARIF) and the
 * father's name is weighed among all fathers without one. */
static void
family_key(const struct imp_name_words *name, const struct imp_name_words *father,
	   struct imp_buf *out)
{
	const char *last = father->n ? father->t[father->n - 1] : "";
	size_t i;

	imp_buf_reset(out);
	imp_buf_add(out, "G:", 2);
	for (i = 0; i < name->n; i++)
		if (strcmp(name->t[i], last) == 0) {
			imp_buf_puts(out, last);
			return;
		}
}

/* The key of the people with a CNIC of area whose name ends in the name's
 * last word (A:), or of all of them (L:, area 0). */
static void
area_key(const struct imp_name_words *name, unsigned area, struct imp_buf *out)
{
	imp_buf_reset(out);
	if (area != 0)
		imp_buf_printf(out, "A:%04u ", area);
	else
		imp_buf_add(out, "L:", 2);
	imp_buf_puts(out, name->n ? name->t[name->n - 1] : "");
}

/* The area of a CNIC of 13 digits (AREA_KEPT); 0: none. */
static unsigned
cnic_area(uint64_t cnic)
{
	return (unsigned)(cnic / 1000000000u);
}

/*
 * Counts a person in s->counts: N: the name, F: the father's name, G: the
 * fathers' names of that family; with a CNIC, A: and L: (area_key) and the
 * area alone (a:). A father's name is rarer or commoner within its family:
 * MUHAMMAD ASLAM is common among QURESHIs.
 */
static int
count_person(struct screen *s, const struct imp_name_words *name,
	     const struct imp_name_words *father, unsigned area)
{
	s->people++;
	if (area != 0) {
		s->carded++;
		area_key(name, area, &s->key);
		if (bump(s) != 0)
			return -1;
		area_key(name, 0, &s->key);
		if (bump(s) != 0)
			return -1;
		imp_buf_reset(&s->key);
		imp_buf_printf(&s->key, "a:%04u", area);
		if (bump(s) != 0)
			return -1;
	}
	imp_buf_reset(&s->key);
	imp_buf_add(&s->key, "N:", 2);
	count_key(s, name, &s->key);
	if (bump(s) != 0)
		return -1;
	if (imp_name_has_honorific(name)) {
		imp_buf_reset(&s->key);
		imp_buf_add(&s->key, "H:", 2);
		count_key(s, name, &s->key);
		if (bump(s) != 0)
			return -1;
	}
	if (father == NULL || father->n == 0)
		return 0;
	imp_buf_reset(&s->key);
	imp_buf_add(&s->key, "F:", 2);
	count_key(s, father, &s->key);
	if (bump(s) != 0)
		return -1;
	family_key(name, father, &s->key);
	return bump(s);
}

/* The count of the key in s->key; 0 if none. */
static uint32_t
counted(struct screen *s)
{
	uint32_t *n = ht_slot(&s->counts, imp_hash(s->key.p, s->key.len), 0);

	return n != NULL ? *n : 0;
}

/* The fathers of the family of a father's name (family_key), at least 1. */
static uint32_t
family_count(struct screen *s, const struct imp_name_words *name,
	     const struct imp_name_words *father)
{
	uint32_t n;

	family_key(name, father, &s->key);
	n = counted(s);
	return n > 0 ? n : 1;
}

/* The people who bear w's count key with prefix, at least 1. */
static uint32_t
count_of(struct screen *s, const char *prefix, const struct imp_name_words *w)
{
	uint32_t n;

	imp_buf_reset(&s->key);
	imp_buf_add(&s->key, prefix, 2);
	count_key(s, w, &s->key);
	n = counted(s);
	return n > 0 ? n : 1;
}

/* ---- the lists -------------------------------------------------------------------- */

static const char *const list_columns[] = {
	"entry_id", "list", "category", "cnic", "name", "father_name", "date_of_birth",
	"nationality", "passport_no", "reason", "placed_on", "removed_on",
};
enum { L_ID, L_LIST, L_CATEGORY, L_CNIC, L_NAME, L_FATHER, L_DOB, L_NAT, L_PASSPORT,
       L_REASON, L_PLACED, L_REMOVED, L_NCOL };

struct list_file {
	struct screen *s;
	size_t col[L_NCOL];
	size_t ncols;
};

static int
blank(const char *v)
{
	return v[strspn(v, " ")] == '\0';
}

/* Whether v has a normalised name, then in out. */
static int
normalised(const char *v, struct imp_buf *out)
{
	uint32_t bad;

	return !blank(v) && imp_name_normalise(v, out, &bad) == 0 && out->len > 0;
}

/* An entry's id, category, name and father's name in one block (a and b
 * hold the names): one malloc and one free for each of 70 k entries, not
 * four. */
static int
entry_strings(struct entry *en, const char *id, const char *category, const struct imp_buf *a,
	      const struct imp_buf *b)
{
	size_t lid = strlen(id) + 1, lcat = strlen(category) + 1;
	char *p = malloc(lid + lcat + (a ? a->len + 1 : 0) + (b ? b->len + 1 : 0));

	if (p == NULL)
		return -1;
	en->id = memcpy(p, id, lid);
	en->category = memcpy(p += lid, category, lcat);
	p += lcat;
	if (a != NULL) {
		en->name = memcpy(p, a->p, a->len + 1);
		p += a->len + 1;
	}
	if (b != NULL)
		en->father = memcpy(p, b->p, b->len + 1);
	return 0;
}

/* key -> the last entry with it + 1; each entry links to the one before */
static int
chain(struct imp_map *m, const char *key, uint32_t idx, uint32_t *next)
{
	uint64_t old;
	int rc = imp_map_put(m, key, idx + 1, &old);

	if (rc < 0)
		return -1;
	if (rc == 1) {                 /* the key was there: this entry goes first */
		*next = (uint32_t)old;
		return imp_map_set(m, key, idx + 1);
	}
	return 0;
}

static int
add_maps(struct screen *s, struct entry *en, uint32_t idx)
{
	char key[24];
	uint64_t c = en->cnic;
	int i;

	if (en->cnic != 0) {
		for (i = 12; i >= 0; i--, c /= 10)      /* "%013" PRIu64, without printf */
			key[i] = (char)('0' + c % 10);
		key[13] = '\0';
		if (chain(s->cnics, key, idx, &en->same_cnic) != 0)
			return -1;
	}
	if (en->passport[0] != '\0' && chain(s->passports, en->passport, idx,
					      &en->same_passport) != 0)
		return -1;
	return 0;
}

/* A list's CNIC, spaces around it aside: 0 when blank, -1 when not a CNIC. */
static int
list_cnic(const char *v, uint64_t *cnic)
{
	char t[32];
	size_t n;

	*cnic = 0;
	v += strspn(v, " ");
	for (n = strlen(v); n > 0 && v[n - 1] == ' '; n--)
		;
	if (n == 0)
		return 0;
	if (n >= sizeof t)
		return -1;
	memcpy(t, v, n);
	t[n] = '\0';
	return imp_cnic_parse(t, cnic);
}

static int post(struct screen *s, const struct words *ws, uint32_t idx);

/* Appends w's words to s->packed (struct packed); -1: out of memory. */
static int
pack(struct screen *s, const struct imp_name_words *w, struct packed *out)
{
	size_t i, len = s->packed.len, n;

	if (len > UINT32_MAX - IMP_NAME_WORDS * IMP_WORD_MAX)
		return -1;
	out->at = (uint32_t)len;
	out->n = (uint8_t)w->n;
	for (i = 0; i < w->n; i++) {
		n = strlen(w->t[i]) + 1;
		imp_buf_add(&s->packed, w->t[i], n);
		if (s->packed.len != len + n)
			return -1;            /* out of memory */
		len += n;
		n = strlen(w->r[i]) + 1;
		imp_buf_add(&s->packed, w->r[i], n);
		if (s->packed.len != len + n)
			return -1;
		len += n;
		out->weak |= (uint16_t)((w->weak[i] != 0) << i);
		out->honorific |= (uint16_t)((w->honorific[i] != 0) << i);
	}
	return 0;
}

/* The words p packed, as imp_name_words gave them. */
static void
unpack(const struct screen *s, const struct packed *p, struct imp_name_words *w)
{
	const char *q = s->packed.p + p->at;
	size_t i, n;

	for (i = 0; i < p->n; i++, q += n + 1) {
		n = strlen(q);
		memcpy(w->t[i], q, n + 1);
		q += n + 1;
		n = strlen(q);
		memcpy(w->r[i], q, n + 1);
		w->weak[i] = (unsigned char)(p->weak >> i & 1);
		w->honorific[i] = (unsigned char)(p->honorific >> i & 1);
	}
	w->n = p->n;
}

static int
add_entry(struct screen *s, const struct imp_csv_row *row, const size_t *col,
	  struct imp_err *e)
{
	struct entry *en, *v;
	struct imp_name_words wn, wf;
	struct words ws;
	uint32_t idx = (uint32_t)s->n;
	const char *f = row->field[col[L_LIST]];

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		if ((v = realloc(s->e, s->cap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		s->e = v;
	}
	en = &s->e[s->n];
	memset(en, 0, sizeof *en);
	memcpy(en->list, strcmp(f, "FCL") == 0 ? "FCL" : "PCL", 4);
	if (entry_strings(en, row->field[col[L_ID]], row->field[col[L_CATEGORY]],
			  normalised(row->field[col[L_NAME]], &s->a) ? &s->a : NULL,
			  normalised(row->field[col[L_FATHER]], &s->b) ? &s->b : NULL) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	list_cnic(row->field[col[L_CNIC]], &en->cnic);
	if (imp_date_partial(row->field[col[L_DOB]], &en->dob) != 0)
		memset(&en->dob, 0, sizeof en->dob);
	imp_passport_key(row->field[col[L_PASSPORT]], en->passport, sizeof en->passport);
	memset(&wn, 0, sizeof wn);
	memset(&wf, 0, sizeof wf);
	if (en->name != NULL)
		imp_name_words(s->names, en->name, &wn);
	if (en->father != NULL)
		imp_name_words(s->names, en->father, &wf);
	s->n++;
	if (add_maps(s, en, idx) != 0 || pack(s, &wn, &en->pname) != 0 ||
	    pack(s, &wf, &en->pfather) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (en->name == NULL)
		return 0;
	if (count_person(s, &wn, en->father ? &wf : NULL, cnic_area(en->cnic)) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	words_of(&wn, &ws);
	return post(s, &ws, idx) != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

static int
list_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct list_file *lf = arg;
	const char *list;
	uint64_t cnic;

	if (row->header) {
		lf->ncols = row->n;
		return imp_csv_header(row, "a control list", list_columns, L_NCOL, lf->col, e);
	}
	if (row->n != lf->ncols)
		return imp_fail(e, EX_DATAERR, "%s line %lu has %zu fields where the header has "
				"%zu: a list entry cannot be left out, so the list is refused; "
				"correct it", row->file, row->line, row->n, lf->ncols);
	if (!blank(row->field[lf->col[L_REMOVED]])) {
		lf->s->removed++;
		return 0;
	}
	list = row->field[lf->col[L_LIST]];
	if (strcmp(list, "PCL") != 0 && strcmp(list, "FCL") != 0)
		return imp_fail(e, EX_DATAERR, "%s line %lu: list '%s' is neither PCL nor FCL",
				row->file, row->line, list);
	if (list_cnic(row->field[lf->col[L_CNIC]], &cnic) != 0)
		return imp_fail(e, EX_DATAERR, "%s line %lu: entry %s: cnic '%s' is not 13 digits "
				"(12345-1234567-1); a listed CNIC must not be lost, so the list is "
				"refused: correct it", row->file, row->line,
				row->field[lf->col[L_ID]], row->field[lf->col[L_CNIC]]);
	if (blank(row->field[lf->col[L_NAME]]) && blank(row->field[lf->col[L_CNIC]]) &&
	    blank(row->field[lf->col[L_PASSPORT]]))
		return imp_fail(e, EX_DATAERR, "%s line %lu: entry %s has no name, CNIC or passport "
				"number to screen by", row->file, row->line,
				row->field[lf->col[L_ID]]);
	return add_entry(lf->s, row, lf->col, e);
}

/* ---- the batch's names, counted while it is verified ---------------------------- */

static int
count_name(struct screen *s, const char *line, size_t len)
{
	struct imp_name_words name, father;
	const char *sect;
	uint64_t cnic = 0;
	int have;

	/* the fields are in the normalised section: found once, not per field */
	if ((sect = memmem(line, len, "<normalised>", 12)) != NULL) {
		len -= (size_t)(sect - line);
		line = sect;
	}
	/* a and b as scratch: the batch is counted before any record is checked */
	imp_buf_reset(&s->a);
	have = imp_line_field(line, len, "normalised", "given_names", &s->b) == 0;
	if (have)
		imp_buf_puts(&s->a, s->b.p);
	if (imp_line_field(line, len, "normalised", "surname", &s->b) == 0) {
		imp_buf_printf(&s->a, "%s%s", have ? " " : "", s->b.p);
		have = 1;
	}
	if (!have)
		return 0;
	imp_name_words(s->names, s->a.p, &name);
	if (imp_line_field(line, len, "normalised", "cnic", &s->b) == 0 &&
	    imp_cnic_parse(s->b.p, &cnic) != 0)
		cnic = 0;
	have = imp_line_field(line, len, "normalised", "father_name", &s->b) == 0;
	if (have)
		imp_name_words(s->names, s->b.p, &father);
	return count_person(s, &name, have ? &father : NULL, cnic_area(cnic));
}

static int
scan(void *arg, const char *line, size_t len, struct imp_err *e)
{
	const char *id;
	size_t idlen;
	int status;

	if (imp_record_head(line, len, &id, &idlen, &status) == 0 || status != IMP_OK_STATUS)
		return 0;
	return count_name(arg, line, len) != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

/* ---- scoring ---------------------------------------------------------------------- */

struct applicant {
	const char *full, *father, *cnic, *previous;
	struct imp_name_words wname, wfather;
	struct imp_date dob;
	int have_dob;
	uint64_t cnic_no;             /* the applicant's CNIC read; 0: none */
	unsigned area;                /* of the applicant's CNIC; 0: none */
	uint32_t n_name;              /* people in lists and batch with the applicant's name */
	uint32_t n_hname;             /* ... and its honorifics */
	struct words ws;
};

static double dob_evidence(const struct imp_date *a, const struct imp_date *b,
			   struct imp_buf *why);

struct match {
	uint32_t entry;
	double score;
	const char *how;              /* "name", "CNIC", "passport" */
};

/* The evidence from which entry k holds: --name-only for an entry that
 * gives a name and nothing else to weigh (no father's name, date of birth
 * or CNIC), which no evidence but the name's can raise. */
static double
threshold_of(const struct screen *s, uint32_t k)
{
	return s->brief[k].bare ? s->name_only : s->threshold;
}

/* The bits the areas of the applicant's and entry's CNICs give
 * (area_weights): nothing when one has none. */
static double
area_bits(const struct applicant *ap, const struct brief *b)
{
	if (ap->area == 0 || b->area == 0)
		return 0;
	return ap->area == b->area ? b->area_same : b->area_other;
}

/* Whether entry k can reach the threshold, by the most its names can give
 * and what the dates of birth and the areas say: the test of an entry
 * gathered. */
static int
may_reach(const struct screen *s, const struct applicant *ap, uint32_t k)
{
	const struct brief *b = &s->brief[k];

	return b->most - b->area_same + (ap->have_dob ? dob_evidence(&ap->dob, &b->dob, NULL) : 0) +
	       area_bits(ap, b) >= threshold_of(s, k);
}

/* Whether two names of eight letters or more, as written, differ by one
 * typo: a letter changed, added or dropped (ALLAE DITTA and ALLAH DITTA,
 * whose words are too short for the names module to forgive it). */
static int
one_typo(const char *a, const char *b)
{
	return imp_one_edit(a, b, 8);
}

/*
 * Whether the names may be alike enough to be weighed (score): a pair
 * gives at most 1 a word it pairs, and a word left unpaired that is not
 * weak counts against, so the names' similarity is at most may / (may +
 * not) over the words that may pair and those that may not (honorifics,
 * which may be left out, not counted); under ALIKE the entry is not alike
 * (NOT_ALIKE) unless one typo apart. Most candidates end here, before
 * the names are compared.
 */
static int
may_be_alike(const struct screen *s, const struct applicant *ap, const struct entry *en)
{
	struct imp_name_words wb;

	unpack(s, &en->pname, &wb);
	return imp_name_words_most(&ap->wname, &wb) >= ALIKE_PART - 1e-9 ||
	       one_typo(ap->full, en->name);
}

static void
touch(struct screen *s, uint32_t k, int weight)
{
	if (s->word != 0) {                   /* a word and its consonants: once */
		if (s->stamp[k] == s->serial * 32 + s->word)
			return;
		s->stamp[k] = s->serial * 32 + (uint32_t)s->word;
	}
	if (s->weight[k] == 0)
		s->touched[s->ntouched++] = k;
	s->weight[k] = (uint16_t)(s->weight[k] + weight);
}

/* The first of v[lo..hi) with a year of birth of at least y. */
static uint32_t
year_from(const struct screen *s, const uint32_t *v, uint32_t lo, uint32_t hi, int y)
{
	uint32_t mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->brief[v[mid]].dob.y < y)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void sort_posting(struct screen *s, struct kslot *k);

/*
 * Adds the weight of key to the entries that bear it. A key borne by very
 * many entries gives none (the whole name always does). Only entries that
 * may reach the threshold are touched: a key's entries are in order of year
 * of birth and, within a year, of the most their names can give (v), and
 * in order of that alone (by_most), so that the entries without a year,
 * those of the applicant's year, and those of other years (which the dates
 * of birth count against) are read only while they can still reach it.
 */
static void
gather(struct screen *s, const struct qkey *q, const struct applicant *ap)
{
	const struct postings *p = &s->post;
	uint32_t lo = q->at, hi = q->at + q->n, i, a, b, k;
	double thr = fmin(s->threshold, s->name_only);   /* the lower, for the bounds */
	int weight = q->weight, whole = q->whole;

	if (hi - lo > (ap->ws.n == 1 ? POSTING_CAP_ONE : POSTING_CAP) && !whole)
		return;
	sort_posting(s, &s->keys.v[q->slot]);
	if (s->explain || !ap->have_dob) {
		for (i = lo; i < hi; i++)
			if (s->explain || may_reach(s, ap, p->v[i]))
				touch(s, p->v[i], weight);
		return;
	}
	/* no year: nothing for or against */
	b = year_from(s, p->v, lo, hi, 1);
	for (i = lo; i < b && s->brief[p->v[i]].most + s->dob_none >= thr; i++)
		touch(s, p->v[i], weight);
	/* the applicant's year */
	a = year_from(s, p->v, b, hi, ap->dob.y);
	for (i = a; i < hi && s->brief[k = p->v[i]].dob.y == ap->dob.y; i++) {
		if (s->brief[k].most + s->dob_same < thr)
			break;
		if (may_reach(s, ap, k))
			touch(s, k, weight);
	}
	/* other years, while the most an entry can give outweighs a date that
	 * differs */
	for (i = lo; i < hi && s->brief[k = p->by_most[i]].most + s->dob_other >= thr; i++)
		if (s->brief[k].dob.y != 0 && s->brief[k].dob.y != ap->dob.y && may_reach(s, ap, k))
			touch(s, k, weight);
}

/* Notes the key in s->kh of the name being looked up or indexed. */
static int
collect(struct screen *s, int weight, int whole, void *arg)
{
	struct qkey *q;

	(void)arg;
	if (s->nqk == s->qcap) {
		s->qcap = s->qcap ? 2 * s->qcap : 256;
		if ((q = realloc(s->qk, s->qcap * sizeof *q)) == NULL)
			return -1;
		s->qk = q;
	}
	q = &s->qk[s->nqk++];
	q->h = imp_hash_mix(s->kh);
	q->weight = (unsigned char)weight;
	q->whole = (unsigned char)whole;
	q->word = (unsigned char)s->word;
	return 0;
}

/* Indexes entry idx under the keys of its name, each once, the slots of
 * all of them fetched before any is read (gather_all). */
static int
post(struct screen *s, const struct words *ws, uint32_t idx)
{
	struct postings *p = &s->post;
	uint32_t (*np)[2], *slot;
	struct qkey t;
	size_t i, j;

	s->nqk = 0;
	if (each_key(s, ws, collect, NULL) != 0)
		return -1;
	for (i = 1; i < s->nqk; i++)          /* by hash; a few dozen keys: no qsort */
		for (j = i; j > 0 && s->qk[j].h < s->qk[j - 1].h; j--)
			t = s->qk[j], s->qk[j] = s->qk[j - 1], s->qk[j - 1] = t;
	for (i = 0; i < s->nqk; i++)
		ht_prefetch(&s->made, s->qk[i].h);
	for (i = 0; i < s->nqk; i++) {
		if (i > 0 && s->qk[i].h == s->qk[i - 1].h)
			continue;              /* a key twice in one name */
		if ((slot = ht_slot(&s->made, s->qk[i].h, 1)) == NULL)
			return -1;
		if (*slot == 0)
			*slot = ++p->nkeys;
		if (p->npair == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 65536;
			if ((np = realloc(p->pair, p->cap * sizeof *np)) == NULL)
				return -1;
			p->pair = np;
		}
		p->pair[p->npair][0] = *slot - 1;
		p->pair[p->npair++][1] = idx;
	}
	return 0;
}


/* The entries that bear the applicant's keys, touched with their weight.
 * The keys are looked up together, each step fetched for all of them
 * before any is read: the table and the postings are far larger than the
 * processor's caches. */
static int
gather_all(struct screen *s, const struct applicant *ap)
{
	const struct postings *p = &s->post;
	const struct kslot *slot;
	struct qkey *q;
	size_t i;

	s->nqk = 0;
	s->query = 1;
	if (each_key(s, &ap->ws, collect, NULL) != 0)
		return -1;
	s->query = 0;
	for (i = 0; i < s->nqk; i++)
		kt_prefetch(&s->keys, s->qk[i].h);
	for (i = 0; i < s->nqk; i++) {
		q = &s->qk[i];
		slot = kt_find(&s->keys, q->h);
		q->at = slot != NULL ? slot->at : 0;
		q->n = slot != NULL ? slot->n & ~SORTED : 0;
		q->slot = slot != NULL ? (uint32_t)(slot - s->keys.v) : 0;
		if (q->n != 0) {
			__builtin_prefetch(&p->v[q->at]);
			__builtin_prefetch(&p->by_most[q->at]);
		}
	}
	for (i = 0; i < s->nqk; i++)
		if (s->qk[i].n != 0) {
			s->word = s->qk[i].word;
			gather(s, &s->qk[i], ap);
		}
	s->word = 0;
	/* the fathers' names of the entries that will be weighed
	 * (person_matches: may_score), fetched together: each is read from far
	 * in memory */
	for (i = 0; i < s->ntouched; i++)
		if (s->weight[s->touched[i]] >= (ap->ws.n > 1 ? 2 : 1)) {
			const struct entry *en = &s->e[s->touched[i]];

			__builtin_prefetch(s->packed.p + en->pfather.at);
			__builtin_prefetch(en->father);
		}
	return 0;
}

/* The bits the dates of birth give (imp_dob_compare): 14 the same day, 10
 * the same month (one of them without the day), 6 the same year or day and
 * month swapped (a form filled in the other order: weaker than the same
 * day); -12 when they differ. gather's bounds are read from this table (dob_bounds). */
static const double dob_bits[IMP_DOB_CLASSES] = {
	[IMP_DOB_UNKNOWN] = 0, [IMP_DOB_DAY] = 14, [IMP_DOB_MONTH] = 10, [IMP_DOB_YEAR] = 6,
	[IMP_DOB_TYPO] = -12, [IMP_DOB_SWAP] = 6, [IMP_DOB_DIFFERS] = -12,
};

static double
dob_evidence(const struct imp_date *a, const struct imp_date *b, struct imp_buf *why)
{
	static const char *const said[IMP_DOB_CLASSES] = {
		[IMP_DOB_UNKNOWN] = "; date of birth not on the list",
		[IMP_DOB_DAY] = "; date of birth equal",
		[IMP_DOB_MONTH] = "; month and year of birth equal",
		[IMP_DOB_YEAR] = "; year of birth equal",
		[IMP_DOB_TYPO] = "; date of birth differs",
		[IMP_DOB_SWAP] = "; date of birth with day and month swapped",
		[IMP_DOB_DIFFERS] = "; date of birth differs",
	};
	int c = imp_dob_compare(a, b);

	imp_buf_printf(why, "%s", said[c]);
	return dob_bits[c];
}

/* The most the dates of birth can give an entry of the applicant's year,
 * of another year, and of no year: gather's bounds, from dob_bits. */
static void
dob_bounds(struct screen *s)
{
	int c;

	s->dob_same = s->dob_other = -1000;
	for (c = 0; c < IMP_DOB_CLASSES; c++) {
		if (c != IMP_DOB_UNKNOWN && dob_bits[c] > s->dob_same)
			s->dob_same = dob_bits[c];
		if (imp_dob_other_year(c) && dob_bits[c] > s->dob_other)
			s->dob_other = dob_bits[c];
	}
	s->dob_none = dob_bits[IMP_DOB_UNKNOWN];
}


/* How alike the fathers' names of applicant and entry are (wf the
 * entry's words): as the names module finds them, 0.9 when they differ
 * by one typo as written; alike from FATHER_ALIKE. */
static double
father_similarity(const struct applicant *ap, const struct entry *en,
		  const struct imp_name_words *wf)
{
	double f = imp_name_words_similarity(&ap->wfather, wf);

	return f < FATHER_ALIKE && one_typo(ap->father, en->father) ? 0.9 : f;
}

static double
father_evidence(const struct screen *s, const struct applicant *ap, const struct entry *en,
		struct imp_buf *why)
{
	const char *a = ap->father, *b = en->father;
	struct imp_name_words wf;
	double f;

	if (a == NULL || b == NULL) {
		imp_buf_printf(why, "%s", b == NULL ? "; father's name not on the list" :
			     "; applicant gave no father's name");
		return 0;
	}
	unpack(s, &en->pfather, &wf);
	f = father_similarity(ap, en, &wf);
	if (f >= 0.99)
		imp_buf_printf(why, "%s", "; father's name equal");
	else if (f >= FATHER_ALIKE)
		imp_buf_printf(why, "; father's name alike (%s, list %s)", a, b);
	else
		imp_buf_printf(why, "; father's name differs (%s, list %s)", a, b);
	return f >= FATHER_ALIKE ? 1 : -1;
}

/* father_evidence, without its sentence, the names compared only when
 * they may be alike (imp_name_words_most, or a typo apart): most fathers'
 * names of the candidates differ at a glance. */
static double
father_agrees(const struct screen *s, const struct applicant *ap, const struct entry *en)
{
	struct imp_name_words wf;

	if (ap->father == NULL || en->father == NULL)
		return 0;
	unpack(s, &en->pfather, &wf);
	if (imp_name_words_most(&ap->wfather, &wf) < FATHER_ALIKE - 1e-9 &&
	    !one_typo(ap->father, en->father))
		return -1;
	return father_similarity(ap, en, &wf) >= FATHER_ALIKE ? 1 : -1;
}

/* The bits the areas of two CNICs give (AREA_KEPT): the entry's area_same
 * when equal, its area_other when not; nothing when one has no CNIC, and
 * nothing said when the CNIC is the same (an exact match). */
static double
area_evidence(const struct screen *s, const struct applicant *ap, const struct entry *en,
	      struct imp_buf *why)
{
	const struct brief *b = &s->brief[en - s->e];

	if (ap->area == 0 || b->area == 0)
		return 0;
	if (ap->area != b->area)
		imp_buf_printf(why, "; CNIC area differs (%04u, list %04u)", ap->area, b->area);
	else if (ap->cnic_no != en->cnic) {
		const char *last = strrchr(en->name, ' ');

		imp_buf_printf(why, "; CNIC area equal (%04u; %u of %u people named %s have it)",
			       b->area, en->n_named_area, en->n_named, last ? last + 1 : en->name);
	}
	return area_bits(ap, b);
}

/* What a name borne by bearers of the people says, in bits (score, and the
 * most of an entry in begin). */
static double
name_bits(const struct screen *s, uint32_t bearers)
{
	return log2((double)s->people / bearers);
}

/* What an agreeing father's name adds: how rare it is among the fathers of
 * its family (score, and the most of an entry). */
static double
father_bits(const struct entry *en)
{
	return en->n_family > en->n_father ? log2((double)en->n_family / en->n_father) : 0;
}

/* What the father's names add: father_bits when they agree (ev > 0), 8
 * bits off when they differ (ev < 0), nothing when one is missing. */
static double
father_weight(const struct entry *en, double ev)
{
	return ev > 0 ? father_bits(en) : ev < 0 ? -8 : 0;
}

/*
 * The evidence that applicant and entry are one person, in bits: what the
 * name says, by how few people in the lists and the batch bear it (scaled
 * by how alike the names are); what an agreeing father's name adds, by how
 * rare it is among the fathers of its family (MUHAMMAD ASLAM QURESHI says
 * little, HASSAN ZUBAIR MEMON much); minus 8 for a father's name that
 * differs; what the areas of the two CNICs say (area_evidence); plus what
 * the dates of birth say (dob_evidence).
 */
static double
score(struct screen *s, const struct applicant *ap, const struct entry *en, struct imp_buf *why)
{
	struct imp_name_words wn;
	double bits, name, ev;
	uint32_t bearers;
	int part;

	if (why != NULL)
		imp_buf_reset(why);
	unpack(s, &en->pname, &wn);
	name = imp_name_words_compare(&ap->wname, &wn, &part);
	if (name < ALIKE && one_typo(ap->full, en->name))
		name = 0.9;
	if (name < ALIKE && !(part && name >= ALIKE_PART))
		return NOT_ALIKE;
	/* a part of a name says no more than the commoner of the two names:
	 * NOOR AWAN is not rare for being a part of the rare NOOR SOBIA AWAN */
	/* two names that bear the same honorifics (ASMA SYED and SYED ASMA):
	 * then the honorific is a part of the name that both share, and the
	 * name is as rare as the people who bear it with it */
	if (imp_honorifics(&ap->wname, &wn) == IMP_HON_SAME)
		bearers = ap->n_hname > en->n_hname ? ap->n_hname : en->n_hname;
	else
		bearers = ap->n_name > en->n_name ? ap->n_name : en->n_name;
	bits = name_bits(s, bearers) * name;
	imp_buf_printf(why, "name %s ~ list %s (%.2f; %u people bear %s)", ap->full, en->name, name,
	     bearers, bearers == en->n_name || bearers == en->n_hname ? "it" : "the applicant's");
	ev = father_evidence(s, ap, en, why);
	if (ev > 0)
		imp_buf_printf(why, " (%u of %u fathers of the family bear it)", en->n_father, en->n_family);
	bits += father_weight(en, ev);
	bits += area_evidence(s, ap, en, why);
	if (ap->have_dob)
		bits += dob_evidence(&ap->dob, &en->dob, why);
	else
		imp_buf_printf(why, "; applicant gave no date of birth");
	return bits;
}

/*
 * Whether entry k may reach its threshold once the fathers' names are
 * weighed: score as if the names were equal (alike at 1) and as rare as
 * the commoner of the two names' rarest counts (score takes the commoner
 * of the applicant's and the entry's count, with or without honorifics),
 * the father's names weighed (father_evidence), the areas and dates of
 * birth as score does, added in score's order. The fathers' names are
 * weighed before the names are compared: of the 360,000 candidates of
 * 40,000 applicants (gen-fixtures screening 40000, pcl 78000) that pass
 * may_reach, 307,000 have two fathers' names to weigh, 262,000 of them
 * apart at a glance (father_agrees), 45,000 compared, 640 alike; 2,600
 * candidates are left to compare by name, not 349,000.
 */
static int
may_score(struct screen *s, const struct applicant *ap, uint32_t k)
{
	const struct entry *en = &s->e[k];
	const struct brief *b = &s->brief[k];
	uint32_t am = ap->n_hname < ap->n_name ? ap->n_hname : ap->n_name;
	uint32_t em = en->n_hname < en->n_name ? en->n_hname : en->n_name;
	double bits = name_bits(s, am > em ? am : em), thr = threshold_of(s, k) - 1e-9;
	double dob = ap->have_dob ? dob_evidence(&ap->dob, &b->dob, NULL) : 0;

	/* the fathers' names at their best first, then as they are */
	if (bits + (en->father ? father_bits(en) : 0) + area_bits(ap, b) + dob < thr)
		return 0;
	return bits + father_weight(en, father_agrees(s, ap, en)) + area_bits(ap, b) +
	       dob >= thr;
}

/* ---- one applicant ------------------------------------------------------------------ */

static void
explain(const struct screen *s, const char *id, const struct entry *en, double sc,
	struct imp_buf *why)
{
	if (s->explain)
		fprintf(stderr, "%s: %s ~ %s %s: %.2f: %s\n", PROG, id, en->list, en->id, sc,
			imp_buf_str(why));
}

static void
add_match(struct match *m, size_t *n, uint32_t entry, double sc, const char *how)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (m[i].entry == entry) {
			if (sc > m[i].score)
				m[i] = (struct match){ entry, sc, how };
			return;
		}
	if (*n < MAX_HITS)
		m[(*n)++] = (struct match){ entry, sc, how };
}

static void
exact_matches(struct screen *s, const struct applicant *ap, struct match *m, size_t *n)
{
	char pp[12];
	uint64_t idx;

	if (ap->cnic != NULL && imp_map_get(s->cnics, ap->cnic, &idx) == 0)
		for (; idx != 0; idx = s->e[idx - 1].same_cnic)
			add_match(m, n, (uint32_t)(idx - 1), 99, "CNIC");
	if (ap->previous != NULL) {
		imp_passport_key(ap->previous, pp, sizeof pp);
		if (imp_map_get(s->passports, pp, &idx) == 0)
			for (; idx != 0; idx = s->e[idx - 1].same_passport)
				add_match(m, n, (uint32_t)(idx - 1), 99, "passport");
	}
}

static void
person_matches(struct screen *s, const char *id, const struct applicant *ap, struct match *m,
	       size_t *n)
{
	size_t i;
	uint32_t k;
	double sc;
	int need = ap->ws.n > 1 ? 2 : 1;

	s->ntouched = 0;
	s->serial++;
	gather_all(s, ap);
	for (i = 0; i < s->ntouched; i++) {
		k = s->touched[i];
		if (s->weight[k] >= need &&
		    (s->explain || (may_reach(s, ap, k) && may_score(s, ap, k) &&
				    may_be_alike(s, ap, &s->e[k])))) {
			sc = score(s, ap, &s->e[k], s->explain ? &s->sentence : NULL);
			if (sc > NOT_ALIKE)
				explain(s, id, &s->e[k], sc, &s->sentence);
			if (sc >= threshold_of(s, k))
				add_match(m, n, k, sc, "name");
		}
		s->weight[k] = 0;
	}
}

static int
by_score(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : (x->entry > y->entry) - (x->entry < y->entry);
}

static void
load_applicant(struct screen *s, struct imp_record *r, struct applicant *ap)
{
	const char *given = imp_record_field(r, "normalised", "given_names");
	const char *sur = imp_record_field(r, "normalised", "surname");
	const char *dob = imp_record_field(r, "normalised", "date_of_birth");

	memset(ap, 0, sizeof *ap);
	imp_buf_reset(&s->a);
	imp_buf_printf(&s->a, "%s%s%s", given ? given : "", given && sur ? " " : "",
		       sur ? sur : "");
	ap->full = s->a.p;
	ap->father = imp_record_field(r, "normalised", "father_name");
	ap->cnic = imp_record_field(r, "normalised", "cnic");
	ap->previous = imp_record_field(r, "normalised", "previous_passport");
	if (ap->cnic != NULL && imp_cnic_parse(ap->cnic, &ap->cnic_no) == 0)
		ap->area = cnic_area(ap->cnic_no);
	else
		ap->cnic_no = 0;
	ap->have_dob = dob != NULL && imp_date_partial(dob, &ap->dob) == 0;
	imp_name_words(s->names, ap->full, &ap->wname);
	if (ap->father != NULL)
		imp_name_words(s->names, ap->father, &ap->wfather);
	words_of(&ap->wname, &ap->ws);
	ap->n_name = count_of(s, "N:", &ap->wname);
	ap->n_hname = imp_name_has_honorific(&ap->wname) ? count_of(s, "H:", &ap->wname) : ap->n_name;
}

static int
hold(struct screen *s, struct imp_record *r, const struct applicant *ap, struct match *m,
     size_t n)
{
	const struct entry *en = &s->e[m[0].entry];
	char code[24], points[16];
	const char *attrs[] = { "list", en->list, "entry", en->id, "score", points, NULL };
	size_t i;

	qsort(m, n, sizeof *m, by_score);
	en = &s->e[m[0].entry];
	attrs[1] = en->list;
	attrs[3] = en->id;
	snprintf(points, sizeof points, "%.1f", m[0].score);
	imp_buf_reset(&s->out);
	for (i = 0; i < n; i++) {
		en = &s->e[m[i].entry];
		if (i > 0)
			imp_buf_puts(&s->out, "; also ");
		imp_buf_printf(&s->out, "%s %s (category %s)", en->list, en->id, en->category);
		if (strcmp(m[i].how, "name") == 0) {
			score(s, ap, en, &s->sentence);
			imp_buf_printf(&s->out, ": %.1f bits of evidence: %s", m[i].score,
				       s->sentence.p);
		} else {
			imp_buf_printf(&s->out, ": %s equal", m[i].how);
		}
	}
	en = &s->e[m[0].entry];
	snprintf(code, sizeof code, "%s_%s", en->list, strcmp(m[0].how, "name") == 0 ? "MATCH" :
		 strcmp(m[0].how, "CNIC") == 0 ? "CNIC" : "PASSPORT");
	return imp_record_step(r, PROG, IMP_HELD, code, attrs, "%s", s->out.p);
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct screen *s = arg;
	struct applicant ap;
	struct match m[MAX_HITS];
	size_t n = 0;
	int rc;

	load_applicant(s, r, &ap);
	if (imp_record_error(r) != NULL)
		return 0;
	exact_matches(s, &ap, m, &n);
	if (ap.ws.n > 0)
		person_matches(s, imp_record_id(r), &ap, m, &n);
	if (n > 0)
		rc = hold(s, r, &ap, m, n);
	else
		rc = imp_record_step(r, PROG, IMP_OK_STATUS, "SCREEN_CLEAR", NULL, "no active entry "
				     "of the control lists matches the CNIC, previous passport or "
				     "person");
	return rc != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

static const struct brief *sort_brief;

static int
by_year_most(const void *a, const void *b)
{
	const struct brief *x = &sort_brief[*(const uint32_t *)a], *y = &sort_brief[*(const uint32_t *)b];

	if (x->dob.y != y->dob.y)
		return x->dob.y < y->dob.y ? -1 : 1;
	if (x->most != y->most)
		return x->most > y->most ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

static int
by_most(const void *a, const void *b)
{
	const struct brief *x = &sort_brief[*(const uint32_t *)a], *y = &sort_brief[*(const uint32_t *)b];

	if (x->most != y->most)
		return x->most > y->most ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

static int
by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The n entries v in the order of their rank (an order of all entries,
 * rank its inverse). */
static void
sort_by_rank(uint32_t *v, uint32_t n, const uint32_t *rank, const uint32_t *order)
{
	uint32_t i, j, t;

	if (n < 2)
		return;
	for (i = 0; i < n; i++)
		v[i] = rank[v[i]];
	if (n > 32)
		qsort(v, n, sizeof *v, by_u32);
	else
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && v[j] < v[j - 1]; j--)
				t = v[j], v[j] = v[j - 1], v[j - 1] = t;
	for (i = 0; i < n; i++)
		v[i] = order[v[i]];
}

/* The orders gather reads a key's entries in (the most of an entry
 * counts the batch's people: known only now): all entries sorted once by
 * year of birth and most, and by most, each order with its inverse (rank);
 * a key's postings are sorted by them when the key is first looked up
 * (sort_posting), a fraction of the keys in a run. */
static int
sort_postings(struct screen *s)
{
	struct postings *p = &s->post;
	uint32_t e;
	size_t pass;

	if ((p->by_most = malloc((p->npair + 1) * sizeof *p->by_most)) == NULL)
		return -1;
	sort_brief = s->brief;
	for (pass = 0; pass < 2; pass++) {
		if ((p->order[pass] = malloc((s->n + 1) * sizeof **p->order)) == NULL ||
		    (p->rank[pass] = malloc((s->n + 1) * sizeof **p->rank)) == NULL)
			return -1;
		for (e = 0; e < s->n; e++)
			p->order[pass][e] = e;
		qsort(p->order[pass], s->n, sizeof **p->order, pass == 0 ? by_year_most : by_most);
		for (e = 0; e < s->n; e++)
			p->rank[pass][p->order[pass][e]] = e;
	}
	return 0;
}

/* The postings of key k in gather's orders: v in place, by_most a copy
 * (sort_postings); marked SORTED in the key's slot, just read. */
static void
sort_posting(struct screen *s, struct kslot *k)
{
	struct postings *p = &s->post;
	uint32_t n = k->n;

	if (n & SORTED)
		return;
	k->n = n | SORTED;
	memcpy(p->by_most + k->at, p->v + k->at, n * sizeof *p->v);
	sort_by_rank(p->v + k->at, n, p->rank[0], p->order[0]);
	sort_by_rank(p->by_most + k->at, n, p->rank[1], p->order[1]);
}

/* The keys made while the lists were read (s->made, the pairs of key and
 * entry) as the table read (s->keys, each key's entries together in
 * s->post.v, in entry order). */
static int
key_table(struct screen *s)
{
	struct postings *p = &s->post;
	uint32_t *at, *fill, k;
	size_t i, j, cap = 1024;

	for (; cap * 5 < (size_t)p->nkeys * 8; cap *= 2)
		;
	if ((at = calloc((size_t)p->nkeys + 1, sizeof *at)) == NULL)
		return -1;
	if ((fill = calloc((size_t)p->nkeys + 1, sizeof *fill)) == NULL ||
	    (p->v = malloc((p->npair + 1) * sizeof *p->v)) == NULL) {
		free(at);
		free(fill);
		return -1;
	}
	for (i = 0; i < p->npair; i++)
		at[p->pair[i][0] + 1]++;
	for (k = 0; k < p->nkeys; k++)
		at[k + 1] += at[k];
	for (i = 0; i < p->npair; i++) {
		k = p->pair[i][0];
		p->v[at[k] + fill[k]++] = p->pair[i][1];
	}
	/* the pairs freed before the table is made: a lower peak */
	free(fill);
	free(p->pair);
	p->pair = NULL;
	if ((s->keys.v = calloc(cap, sizeof *s->keys.v)) == NULL) {
		free(at);
		return -1;
	}
	s->keys.cap = cap;
	for (i = 0; i < s->made.cap; i++)
		if (s->made.v[i].h != 0) {
			k = s->made.v[i].v - 1;
			for (j = s->made.v[i].h & (cap - 1); s->keys.v[j].h != 0; j = (j + 1) & (cap - 1))
				;
			s->keys.v[j] = (struct kslot){ s->made.v[i].h, at[k], at[k + 1] - at[k] };
			s->keys.n++;
		}
	free(at);
	ht_free(&s->made);
	return 0;
}

/* What an equal and another area say of entry k (AREA_KEPT): p, the share
 * of the people named like it who have its area, blended with the area's
 * share of all people; an equal area gives log2(kept / p), at most
 * AREA_MOST, another log2((1 - kept) / (1 - p)), at most nothing. */
static void
area_weights(struct screen *s, size_t k, const struct imp_name_words *wn)
{
	struct entry *en = &s->e[k];
	struct brief *b = &s->brief[k];
	unsigned area = cnic_area(en->cnic);
	double p, all;

	if (area == 0)
		return;
	area_key(wn, area, &s->key);
	en->n_named_area = counted(s);
	area_key(wn, 0, &s->key);
	en->n_named = counted(s);
	imp_buf_reset(&s->key);
	imp_buf_printf(&s->key, "a:%04u", area);
	all = (double)counted(s) / (double)s->carded;
	p = (en->n_named_area + AREA_BLEND * all) / (en->n_named + AREA_BLEND);
	b->area = (uint16_t)area;
	b->area_same = (float)fmin(AREA_MOST, fmax(0, log2(AREA_KEPT / p)));
	b->area_other = (float)fmin(0, log2((1 - AREA_KEPT) / (1 - p)));
}

static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct screen *s = arg;
	struct imp_name_words wn, wf;
	size_t i;

	(void)in;
	dob_bounds(s);
	if ((s->brief = calloc(s->n + 1, sizeof *s->brief)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < s->n; i++) {
		struct entry *en = &s->e[i];

		s->brief[i].dob = en->dob;
		s->brief[i].bare = en->father == NULL && en->dob.y == 0 && en->cnic == 0;
		if (en->name != NULL) {
			unpack(s, &en->pname, &wn);
			unpack(s, &en->pfather, &wf);
			en->n_name = count_of(s, "N:", &wn);
			en->n_hname = imp_name_has_honorific(&wn) ? count_of(s, "H:", &wn) : en->n_name;
			en->n_father = count_of(s, "F:", &wf);
			en->n_family = family_count(s, &wn, &wf);
			area_weights(s, i, &wn);
		}
		/* what score gives at most: the name alike (1) and as rare as
		 * the rarer of its counts, the father's name agreeing, the area */
		s->brief[i].most = en->name == NULL ? -1000 : (float)(name_bits(s,
			en->n_hname < en->n_name ? en->n_hname : en->n_name) + (en->father ?
			father_bits(en) : 0)) + s->brief[i].area_same;
	}
	if (sort_postings(s) != 0 ||
	    (s->weight = calloc(s->n + 1, sizeof *s->weight)) == NULL ||
	    (s->stamp = calloc(s->n + 1, sizeof *s->stamp)) == NULL ||
	    (s->touched = calloc(s->n + 1, sizeof *s->touched)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* ---- main ---------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs("usage: screen-pcl --list FILE [--list FILE ...] [--list-index IDX] [--threshold X]\n"
	      "                  [--explain] [--name-only X] [-s FPR] [-t FILE]\n"
	      "                  [--counts FILE] [FILE|-]\n"
	      "       screen-pcl --index LIST [LIST ...] -o IDX\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Screen applicants against the Passport and Foreign Control Lists.\n"
	      "  -l, --list FILE       a control list (impass-csv(5)), repeatable\n"
	      "      --threshold BITS  evidence from which a person match is held (default 18)\n"
	      "      --name-only BITS  ... on an entry with no father's name, date of birth\n"
	      "                        or CNIC (default: --threshold)\n"
	      "      --explain         every candidate weighed, with its evidence, on stderr\n"
	      "      --list-index IDX  read the lists' index IDX (made with --index) instead of\n"
	      "                        the lists, which must be the ones it was made from\n"
	      "      --index LIST... -o IDX  make the index of the lists (0600, atomically)\n"
	      "  -s, --signer FPR      stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE      trust file (default $IMPASS_TRUST)\n"
	      "      --counts FILE     the counts of the run and of the output stream (as\n"
	      "                        inspect --counts gives them) as key=value lines to FILE\n"
	      "  -h, --help            this text;  --version  the version\n"
	      "See screen-pcl(1).\n", stdout);
}

struct opts {
	const char *lists[16];
	size_t nlists;
	const char *trust, *signer, *input, *counts;
	const char *list_index;       /* --list-index FILE */
	const char *out;              /* --index ... -o FILE */
	int index;
};

static int
parse_opts(int argc, char **argv, struct opts *o, struct screen *s)
{
	static const struct option longopts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "name-only", required_argument, NULL, 'N' },
		{ "explain", no_argument, NULL, 'x' },
		{ "list-index", required_argument, NULL, 'I' },
		{ "index", no_argument, NULL, 'X' },
		{ "output", required_argument, NULL, 'o' },
		{ "signer", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	double bits, name_only = 0;
	int c;

	s->threshold = 18;
	while ((c = getopt_long(argc, argv, "l:o:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (o->nlists == sizeof o->lists / sizeof *o->lists) {
				imp_warn(PROG, NULL, "at most 16 lists");
				return EX_USAGE;
			}
			o->lists[o->nlists++] = optarg;
			break;
		case 'T':
		case 'N':
			errno = 0;
			bits = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(bits >= 1 && bits <= 60)) {
				imp_warn(PROG, NULL, "--%s '%s' is not a number of bits from 1 to 60",
					 c == 'T' ? "threshold" : "name-only", optarg);
				return EX_USAGE;
			}
			*(c == 'T' ? &s->threshold : &name_only) = bits;
			break;
		case 'x': s->explain = 1; break;
		case 'I': o->list_index = optarg; break;
		case 'X': o->index = 1; break;
		case 'o': o->out = optarg; break;
		case 's': o->signer = optarg; break;
		case IMP_COUNTS_OPT: o->counts = optarg; break;
		case 't': o->trust = optarg; break;
		case 'h': help(); exit(0);
		case 'V': puts(PROG " " IMP_VERSION); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	s->name_only = name_only > 0 ? name_only : s->threshold;
	if (o->index) {
		if (o->nlists != 0 || o->list_index != NULL || o->out == NULL || optind == argc ||
		    argc - optind > 16) {
			imp_warn(PROG, NULL, "--index takes the lists (1 to 16) as arguments and -o "
				 "FILE, no --list or --list-index");
			usage(stderr);
			return EX_USAGE;
		}
		while (optind < argc)
			o->lists[o->nlists++] = argv[optind++];
		return 0;
	}
	if (o->out != NULL) {
		imp_warn(PROG, NULL, "-o is the index's file, with --index");
		usage(stderr);
		return EX_USAGE;
	}
	o->input = optind < argc ? argv[optind] : NULL;
	if (argc - optind > 1 || o->nlists == 0) {
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

static int load_index(struct screen *s, const struct opts *o, const char *path,
		      struct imp_err *e);

static int
load_lists(struct screen *s, const struct opts *o, struct imp_err *e)
{
	struct list_file lf;
	size_t i;
	int rc;

	if ((s->cnics = imp_map_new()) == NULL || (s->passports = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_names_open(&s->names, e)) != 0)
		return rc;
	if (o->list_index != NULL)
		return load_index(s, o, o->list_index, e);
	for (i = 0; i < o->nlists; i++) {
		memset(&lf, 0, sizeof lf);
		lf.s = s;
		if ((rc = imp_csv_read(o->lists[i], list_row, &lf, e)) != 0)
			return rc;
	}
	return key_table(s) != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

/* ---- the index of the lists (--index, --list-index) ------------------------------ */

/*
 * What reading the lists builds, kept in one file so that a run reads it
 * whole instead of parsing 78,000 entries and making their keys: a header,
 * then the entries, their strings, their packed words, the table of name
 * keys (struct kslot), the counts of the lists' people and the keys'
 * postings (each key's entries together, in entry order), each section
 * padded to 16 bytes. The header holds the SHA-256 of each list it
 * was made from and PCL_RULES, the hash of the sources that make the keys
 * (Makefile: lib/names.c, lib/match.c, lib/names.txt, this file), so a
 * changed list or another build of the rules refuses it; the SHA-256 of
 * the whole file (this field zeroed) finds damage. In this machine's byte
 * order: build it where it is used.
 */
#ifndef PCL_RULES
#define PCL_RULES "unknown"
#endif
#define INDEX_MAGIC "IMPPCLX2"            /* 2: the keys with their postings (kslot) */
#define INDEX_MAX ((uint64_t)1 << 34)
#define HUGE_PAGE ((size_t)2 << 20)

struct index_header {
	char magic[8];
	char rules[64];               /* PCL_RULES, NUL padded */
	uint64_t nlists;
	unsigned char list_sha[16][IMP_HASH_LEN];
	uint64_t n, removed, people, carded;
	uint64_t keys_cap, keys_n, counts_cap, counts_n;
	uint64_t npair, nkeys, strings, packed;
	unsigned char sha[IMP_HASH_LEN];      /* of the file, this field zeroed */
};

static uint64_t
pad16(uint64_t n)
{
	return (n + 15) & ~(uint64_t)15;
}

/* The sections' sizes after the header, in file order. */
static void
index_sections(const struct index_header *h, uint64_t size[6])
{
	size[0] = pad16(h->n * sizeof(struct entry));
	size[1] = pad16(h->strings);
	size[2] = pad16(h->packed);
	size[3] = pad16(h->keys_cap * sizeof(struct kslot));
	size[4] = pad16(h->counts_cap * sizeof(struct hslot));
	size[5] = pad16(h->npair * sizeof(uint32_t));
}

/* The SHA-256 of each list, in the order given. */
static int
lists_sha(const struct opts *o, unsigned char out[][IMP_HASH_LEN], struct imp_err *e)
{
	static char buf[1 << 16];
	struct imp_sha256_ctx *c;
	ssize_t got;
	size_t i;
	int fd;

	for (i = 0; i < o->nlists; i++) {
		if ((fd = open(o->lists[i], O_RDONLY | O_CLOEXEC)) < 0)
			return imp_fail(e, EX_NOINPUT, "cannot open the list %s: %s", o->lists[i],
					strerror(errno));
		if ((c = imp_sha256_begin()) == NULL) {
			close(fd);
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		}
		while ((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
			if (got > 0)
				imp_sha256_add(c, buf, (size_t)got);
		imp_sha256_end(c, out[i]);
		close(fd);
		if (got < 0)
			return imp_fail(e, EX_IOERR, "cannot read the list %s: %s", o->lists[i],
					strerror(errno));
	}
	return 0;
}

/* n bytes of p then zeros to padded, hashed into c and written to fd. */
static int
put(int fd, struct imp_sha256_ctx *c, const void *p, size_t n, uint64_t padded)
{
	static const char zero[16];
	const char *q = p;
	size_t left = n;
	ssize_t w;

	imp_sha256_add(c, p, n);
	imp_sha256_add(c, zero, (size_t)(padded - n));
	while (left > 0) {
		if ((w = write(fd, q, left)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w, left -= (size_t)w;
	}
	return padded > n && write(fd, zero, (size_t)(padded - n)) != (ssize_t)(padded - n) ? -1 : 0;
}

/* The sections of s after h, hashed and written. */
static int
put_sections(struct screen *s, const struct index_header *h, const struct imp_buf *strs,
	     int fd, struct imp_sha256_ctx *c)
{
	uint64_t size[6];
	struct entry *v;
	size_t i;
	int rc;

	index_sections(h, size);
	if ((v = malloc(s->n * sizeof *v + 1)) == NULL)
		return -2;
	for (i = 0; i < s->n; i++) {
		memcpy(&v[i], &s->e[i], sizeof *v);
		v[i].id = v[i].name = v[i].father = v[i].category = NULL;
		v[i].same_cnic = v[i].same_passport = 0;   /* made again as the maps are */
	}
	rc = put(fd, c, v, s->n * sizeof *v, size[0]) != 0 ||
		put(fd, c, strs->p, strs->len, size[1]) != 0 ||
		put(fd, c, s->packed.p, s->packed.len, size[2]) != 0 ||
		put(fd, c, s->keys.v, s->keys.cap * sizeof(struct kslot), size[3]) != 0 ||
		put(fd, c, s->counts.v, s->counts.cap * sizeof(struct hslot), size[4]) != 0 ||
		put(fd, c, s->post.v, s->post.npair * sizeof(uint32_t), size[5]) != 0 ? -1 : 0;
	free(v);
	return rc;
}

/* screen-pcl --index LIST... -o OUT: the lists read as for a run, then
 * written as they are in memory to a temporary file (0600), its header
 * last (with the hash of all), renamed to OUT. */
static int
build_index(struct screen *s, const struct opts *o, const char *out, double t0,
	    struct imp_err *e)
{
	struct index_header h;
	struct imp_buf strs = { 0 };
	struct imp_sha256_ctx *c;
	char tmp[4096];
	size_t i;
	int fd, rc = 0, put_rc;

	memset(&h, 0, sizeof h);
	memcpy(h.magic, INDEX_MAGIC, 8);
	snprintf(h.rules, sizeof h.rules, "%s", PCL_RULES);
	h.nlists = o->nlists;
	if ((rc = lists_sha(o, h.list_sha, e)) != 0)
		return rc;
	for (i = 0; i < s->n; i++) {
		const struct entry *en = &s->e[i];

		imp_buf_add(&strs, en->id, strlen(en->id) + 1);
		imp_buf_add(&strs, en->category, strlen(en->category) + 1);
		imp_buf_add(&strs, en->name ? en->name : "", en->name ? strlen(en->name) + 1 : 1);
		imp_buf_add(&strs, en->father ? en->father : "", en->father ? strlen(en->father) + 1 : 1);
	}
	h.n = s->n, h.removed = s->removed, h.people = s->people, h.carded = s->carded;
	h.keys_cap = s->keys.cap, h.keys_n = s->keys.n;
	h.counts_cap = s->counts.cap, h.counts_n = s->counts.n;
	h.npair = s->post.npair, h.nkeys = s->post.nkeys;
	h.strings = strs.len, h.packed = s->packed.len;
	if (strs.oom || s->packed.oom || (c = imp_sha256_begin()) == NULL) {
		imp_buf_free(&strs);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", out);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		imp_sha256_end(c, h.sha);
		imp_buf_free(&strs);
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", tmp, strerror(errno));
	}
	/* the header hashed with its hash zeroed, written again once it is known */
	put_rc = put(fd, c, &h, sizeof h, sizeof h);
	if (put_rc == 0)
		put_rc = put_sections(s, &h, &strs, fd, c);
	imp_sha256_end(c, h.sha);
	imp_buf_free(&strs);
	if (put_rc == -2)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	else if (put_rc != 0 || pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || fsync(fd) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", tmp, strerror(errno));
	if ((rc = imp_file_install(tmp, out, rc, e)) != 0)
		return rc;
	fprintf(stderr, "%s: indexed %zu active entries of %zu list%s into %s, %" PRIu64
		" removed ones left out, %.1f s\n", PROG, s->n, o->nlists, o->nlists > 1 ? "s" : "",
		out, s->removed, imp_now() - t0);
	return 0;
}

static int
damaged(const char *path, const char *what, struct imp_err *e)
{
	return imp_fail(e, EX_DATAERR, "the index %s is damaged (%s): make it again with "
			"screen-pcl --index LIST... -o %s", path, what, path);
}

/* Whether the packed words at 'at' lie within the n bytes of packed. */
static int
packed_ok(const char *packed, uint64_t n, const struct packed *p)
{
	uint64_t at = p->at;
	const char *z;
	size_t i;

	if (p->n > IMP_NAME_WORDS)
		return 0;
	for (i = 0; i < 2u * p->n; i++) {
		if (at >= n || (z = memchr(packed + at, '\0', (size_t)(n - at))) == NULL ||
		    (size_t)(z - (packed + at)) >= IMP_WORD_MAX)
			return 0;
		at = (uint64_t)(z - packed) + 1;
	}
	return 1;
}

/* The index made by build_index, read whole, in place of reading the
 * lists: refused (65) when it is not one, damaged, made by another build
 * of the names rules or from other lists than o's, in their order. */
static int
load_index(struct screen *s, const struct opts *o, const char *path, struct imp_err *e)
{
	struct index_header h;
	unsigned char sha[16][IMP_HASH_LEN], got[IMP_HASH_LEN];
	uint64_t size[6], total, at, i;
	struct imp_sha256_ctx *c;
	struct stat st;
	const char *str, *end;
	ssize_t r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ELOOP ? imp_fail(e, EX_DATAERR, "the index %s is a symbolic link: "
						 "refused, give the file itself", path) :
			imp_fail(e, errno == ENOENT ? EX_NOINPUT : EX_DATAERR,
				 "cannot open the index %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > INDEX_MAX) {
		close(fd);
		return imp_fail(e, EX_DATAERR, "the index %s is not a regular file of at most "
				"%" PRIu64 " bytes", path, INDEX_MAX);
	}
	/* in pages of 2 MB where the kernel gives them: a fault of a 4 KB
	 * page costs 30 to 70 us on this kind of machine (README
	 * "Performance") */
	if (posix_memalign((void **)&s->blob, HUGE_PAGE, (size_t)st.st_size + 1) != 0) {
		s->blob = NULL;
		close(fd);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	(void)madvise(s->blob, ((size_t)st.st_size + HUGE_PAGE) & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
	for (at = 0; at < (uint64_t)st.st_size; at += (uint64_t)r) {
		r = pread(fd, s->blob + at, (size_t)((uint64_t)st.st_size - at), (off_t)at);
		if (r < 0 && errno == EINTR)
			r = 0;
		else if (r <= 0) {
			rc = errno;
			close(fd);
			return r < 0 ? imp_fail(e, EX_IOERR, "cannot read the index %s: %s", path,
						strerror(rc)) : damaged(path, "it shrank while read", e);
		}
	}
	close(fd);
	if ((uint64_t)st.st_size < sizeof h)
		return damaged(path, "shorter than its header", e);
	memcpy(&h, s->blob, sizeof h);
	if (memcmp(h.magic, INDEX_MAGIC, 7) != 0)
		return imp_fail(e, EX_DATAERR, "%s is not an index of control lists (made with "
				"screen-pcl --index LIST... -o FILE)", path);
	/* an index of another format (IMPPCLX1, before the keys held their
	 * postings) is one of another build of the rules */
	if (h.rules[sizeof h.rules - 1] != '\0' || strcmp(h.rules, PCL_RULES) != 0 ||
	    memcmp(h.magic, INDEX_MAGIC, 8) != 0)
		return imp_fail(e, EX_DATAERR, "the index %s was made by another build of the names "
				"rules (%.16s, this one %.16s): make it again with screen-pcl --index "
				"LIST... -o %s", path, h.rules, PCL_RULES, path);
	if ((rc = lists_sha(o, sha, e)) != 0)
		return rc;
	if (h.nlists != o->nlists || memcmp(h.list_sha, sha, o->nlists * IMP_HASH_LEN) != 0)
		return imp_fail(e, EX_DATAERR, "the index %s was made from other lists than those "
				"given (a list changed, or another list or order): make it again with "
				"screen-pcl --index LIST... -o %s", path, path);
	if (h.n >= UINT32_MAX || h.npair >= INDEX_MAX || h.keys_cap >= INDEX_MAX ||
	    h.counts_cap >= INDEX_MAX || h.strings >= INDEX_MAX || h.packed >= UINT32_MAX)
		return damaged(path, "its header", e);
	index_sections(&h, size);
	for (total = sizeof h, i = 0; i < 6; i++)
		total += size[i];
	if (total != (uint64_t)st.st_size)
		return damaged(path, total > (uint64_t)st.st_size ? "truncated" : "too long", e);
	if ((c = imp_sha256_begin()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	memset(((struct index_header *)s->blob)->sha, 0, IMP_HASH_LEN);
	imp_sha256_add(c, s->blob, (size_t)total);
	imp_sha256_end(c, got);
	if (memcmp(got, h.sha, IMP_HASH_LEN) != 0)
		return damaged(path, "its SHA-256 differs", e);
	/* the sections in place, their values within bounds */
	at = sizeof h;
	s->e = (struct entry *)(s->blob + at);
	s->n = s->cap = (size_t)h.n;
	str = s->blob + (at += size[0]);
	end = str + h.strings;
	imp_buf_add(&s->packed, s->blob + (at += size[1]), (size_t)h.packed);
	s->keys.v = (struct kslot *)(s->blob + (at += size[2]));
	s->keys.cap = (size_t)h.keys_cap, s->keys.n = (size_t)h.keys_n;
	if ((s->counts.v = malloc(size[4] + 1)) == NULL || s->packed.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	memcpy(s->counts.v, s->blob + (at += size[3]), (size_t)size[4]);
	s->counts.cap = (size_t)h.counts_cap, s->counts.n = (size_t)h.counts_n;
	s->post.v = (uint32_t *)(s->blob + (at += size[4]));
	s->post.npair = (size_t)h.npair;
	s->post.nkeys = (uint32_t)h.nkeys;
	s->removed = h.removed, s->people = h.people, s->carded = h.carded;
	if ((s->keys.cap & (s->keys.cap - 1)) != 0 || s->keys.n >= s->keys.cap ||
	    (s->counts.cap & (s->counts.cap - 1)) != 0 || s->counts.n > s->counts.cap ||
	    h.nkeys >= UINT32_MAX)
		return damaged(path, "its tables", e);
	for (i = 0; i < s->keys.cap; i++)
		if (s->keys.v[i].h != 0 && (s->keys.v[i].n == 0 || (s->keys.v[i].n & SORTED) ||
					    (uint64_t)s->keys.v[i].at + s->keys.v[i].n > h.npair))
			return damaged(path, "its keys", e);
	for (i = 0; i < h.npair; i++)
		if (s->post.v[i] >= h.n)
			return damaged(path, "its postings", e);
	for (i = 0; i < h.n; i++) {
		struct entry *en = &s->e[i];
		const char *f[4];
		size_t k;

		for (k = 0; k < 4; k++) {
			const char *z = str < end ? memchr(str, '\0', (size_t)(end - str)) : NULL;

			if (z == NULL)
				return damaged(path, "its strings", e);
			f[k] = str;
			str = z + 1;
		}
		en->id = (char *)f[0], en->category = (char *)f[1];
		en->name = *f[2] ? (char *)f[2] : NULL;
		en->father = *f[3] ? (char *)f[3] : NULL;
		if (en->list[3] != '\0' || en->passport[sizeof en->passport - 1] != '\0' ||
		    !packed_ok(s->packed.p, h.packed, &en->pname) ||
		    !packed_ok(s->packed.p, h.packed, &en->pfather))
			return damaged(path, "its entries", e);
		if (add_maps(s, en, (uint32_t)i) != 0)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	return 0;
}

static void
cleanup(struct screen *s)
{
	size_t i;

	for (i = 0; s->blob == NULL && i < s->n; i++) {
		free(s->e[i].id);             /* and its other strings (entry_strings) */
	}
	if (s->blob == NULL) {
		free(s->e);
		free(s->keys.v);
		free(s->post.v);
	}
	free(s->post.pair);
	ht_free(&s->made);
	free(s->blob);
	free(s->post.by_most);
	for (i = 0; i < 2; i++) {
		free(s->post.order[i]);
		free(s->post.rank[i]);
	}
	free(s->qk);
	imp_map_free(s->cnics);
	imp_map_free(s->passports);
	ht_free(&s->counts);
	imp_names_close(s->names);
	free(s->weight);
	free(s->stamp);
	free(s->brief);
	free(s->touched);
	imp_buf_free(&s->a);
	imp_buf_free(&s->b);
	imp_buf_free(&s->key);
	imp_buf_free(&s->sentence);
	imp_buf_free(&s->out);
	imp_buf_free(&s->packed);
	imp_verdict_free(&s->v);
}

int
main(int argc, char **argv)
{
	static const char *const kinds[] = { "application", NULL };
	struct screen s;
	struct opts o;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .after = "validate", .scan = scan,
				.begin = begin, .record = each, .arg = &s };
	struct imp_stage_opts so;
	struct imp_err e = { 0 };
	struct imp_run run;
	int rc;

	memset(&s, 0, sizeof s);
	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o, &s)) != 0)
		return rc;
	so = (struct imp_stage_opts){ o.input, o.trust, o.signer, o.counts };
	imp_init(&run);
	if (o.index) {
		if ((rc = load_lists(&s, &o, &e)) == 0)
			rc = build_index(&s, &o, o.out, run.start, &e);
		cleanup(&s);
		return imp_exit(PROG, NULL, NULL, rc, &e);
	}
	if ((rc = load_lists(&s, &o, &e)) == 0) {
		if (s.explain || isatty(2))
			imp_warn(PROG, NULL, "%zu active entries, %" PRIu64 " removed ones left out, "
				 "%.1f s", s.n, s.removed, imp_now() - run.start);
		rc = imp_stage_run(PROG, &st, &so, &run, &e);
	}
	cleanup(&s);
	return imp_exit(PROG, run.batch, &run, rc, &e);
}
