/* SPDX-License-Identifier: ISC */
/*
 * dedup: one person, one valid passport. Holds the applications of a batch
 * that share a CNIC or a photo, or that are one person spelled otherwise;
 * and those whose applicant already holds a valid passport, under this CNIC
 * or another, in the issued-passport history (lib/store.c). In a
 * citizenship stream, holds a certificate typed twice.
 *
 * The batch is indexed in memory while its seal is verified (blocking keys
 * of CNIC, photo, date of birth and names); the history is asked by index
 * for each applicant. A person match is counted in bits of evidence: each
 * part that agrees adds by how rare the agreement is, a differing date of
 * birth, father's name, sex or given name vetoes it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "impass.h"
#include "store.h"

#define PROG "dedup"
#define POSTING_CAP 200               /* batch keys borne by more records give no pairs */
#define HISTORY_LIMIT 400             /* history candidates of one applicant */
#define SHOWN 5                       /* other parties told per code */
#define VETO -40.0
#define PHOTO_MANY 5                  /* a photo on more applications is a placeholder */

enum code { C_PHOTO, C_OTHER_ID, C_VALID, C_CNIC, C_PERSON, C_CERT, NCODES };

static const char *const code_name[NCODES] = {
	"DEDUP_SAME_PHOTO", "DEDUP_OTHER_IDENTITY", "DEDUP_VALID_PASSPORT", "DEDUP_SAME_CNIC",
	"DEDUP_SAME_PERSON", "DEDUP_SAME_CERTIFICATE",
};

/* ---- people ------------------------------------------------------------------------ */


struct who {                          /* one side of a comparison */
	const char *id, *full, *father_full, *photo;
	const char *address;          /* its words, sorted; "" when none */
	struct imp_words name, father;
	char cnic[14], sex;
	struct imp_date dob;          /* y 0: not known */
};

/* An ok record of the batch; strings are offsets in the pool. */
struct rec {
	uint32_t index;               /* position in the stream */
	uint32_t id, full, father_full, name, father, photo, previous, applied, address;
	uint32_t reg, number, issued; /* a certificate's register, number, issue date */
	uint16_t name_weak, name_hon, father_weak, father_hon;
	char cnic[14], sex;
	struct imp_date dob;
};

struct key {
	uint64_t h;
	uint32_t rec;
	int exact;                    /* an identifier: its groups are never too large */
};

struct edge {
	uint32_t a, b;                /* rec indices: a is held naming b */
	uint8_t code;
	float bits;
};

struct party {                        /* a reason to hold one record */
	int code;
	double rank, bits;            /* the first of a code is the highest ranked */
	char other[IMP_ID_MAX + 1];
	struct imp_buf text;
};

struct dedup {
	struct imp_names *names;
	struct imp_store *store;
	int citizenship, explain;
	double threshold;
	char batch[IMP_ID_MAX + 1];
	char today[11];
	/* the batch */
	struct imp_buf pool;
	struct rec *r;
	size_t n, cap;
	uint64_t seen;                /* record lines scanned */
	struct key *keys;
	size_t nkeys, kcap;
	struct edge *edges;
	size_t nedges, ecap;
	size_t *first_edge;           /* per rec: its first edge in edges (sorted by a) */
	struct imp_map *counts;       /* n:WORD f:WORD in the batch, N: F: in the history */
	uint64_t npass;               /* passports in the history */
	/* one record */
	struct party *parties;
	size_t nparties, pcap;
	struct imp_buf notes, why, tmp, line, pairs;
	struct who me, them;
	uint32_t cur;                 /* rec of the record being looked up */
	const char *norm, *raw;             /* sections of the line scanned */
	size_t norm_len, raw_len;
	char seen_pp[64][17];         /* history passports weighed for it */
	size_t nseen_pp;
	struct imp_verdict v;
};

static const char *
at(const struct dedup *d, uint32_t off)
{
	return d->pool.p + off;
}

static uint32_t
intern(struct dedup *d, const char *s)
{
	uint32_t off;

	if (s == NULL || *s == '\0')
		return 0;
	off = (uint32_t)d->pool.len;
	imp_buf_add(&d->pool, s, strlen(s) + 1);
	return off;
}

/* Canonical words into pool form, "W1 W2", with their masks. */
static uint32_t
intern_words(struct dedup *d, const char *name, uint16_t *weak, uint16_t *hon)
{
	struct imp_name_words w;
	size_t i;
	uint32_t off = (uint32_t)d->pool.len;

	*weak = *hon = 0;
	if (name == NULL || *name == '\0')
		return 0;
	imp_name_words(d->names, name, &w);
	if (w.n == 0)
		return 0;
	for (i = 0; i < w.n; i++) {
		imp_buf_printf(&d->pool, "%s%s", i ? " " : "", w.t[i]);
		*weak |= (uint16_t)(w.weak[i] << i);
		*hon |= (uint16_t)(w.honorific[i] << i);
	}
	imp_buf_add(&d->pool, "", 1);
	return off;
}

static void
rec_who(const struct dedup *d, const struct rec *r, struct who *w)
{
	w->id = at(d, r->id);
	w->full = at(d, r->full);
	w->father_full = at(d, r->father_full);
	w->photo = at(d, r->photo);
	w->address = at(d, r->address);
	imp_words_split(r->name ? at(d, r->name) : NULL, r->name_weak, r->name_hon, &w->name);
	imp_words_split(r->father ? at(d, r->father) : NULL, r->father_weak, r->father_hon, &w->father);
	memcpy(w->cnic, r->cnic, sizeof w->cnic);
	w->sex = r->sex;
	w->dob = r->dob;
}

/* ---- how rare a word is ----------------------------------------------------------------- */

static uint64_t
history_count(struct dedup *d, const char *key)
{
	uint64_t n = 0;
	struct imp_err e;

	if (d->store == NULL || d->npass == 0)
		return 0;
	if (imp_map_get(d->counts, key, &n) == 0)
		return n;
	if (imp_store_word(d->store, key + 2, key[0] == 'F', &n, &e) != 0)
		n = 0;
	imp_map_set(d->counts, key, n);
	return n;
}

/* People bearing the word, in the batch and the history. */
static uint64_t
bearers(struct dedup *d, const char *w, size_t len, int father)
{
	char key[IMP_WORD_MAX * 2 + 4];
	uint64_t n = 0;

	if (len > IMP_WORD_MAX * 2)
		len = IMP_WORD_MAX * 2;
	key[0] = father ? 'f' : 'n';
	key[1] = ':';
	memcpy(key + 2, w, len);
	key[len + 2] = '\0';
	imp_map_get(d->counts, key, &n);
	key[0] = father ? 'F' : 'N';
	return n + history_count(d, key);
}

static double
population(const struct dedup *d)
{
	return (double)(d->n + d->npass);
}

/* A word borne by so few, or so much fewer than the other, that it may be a
 * typo of it: two established names a letter apart (ZAHID, ZAHIR) are two
 * names. */
static int
typo_of(struct dedup *d, const char *a, size_t la, const char *b, size_t lb, int father)
{
	double na = (double)bearers(d, a, la, father), nb = (double)bearers(d, b, lb, father);
	double few = population(d) / 2000, least = na < nb ? na : nb, most = na < nb ? nb : na;

	return least <= (few > 2 ? few : 2) || least * 8 <= most;
}

/* ---- comparing ------------------------------------------------------------------------- */

/*
 * How alike two canonical words are (imp_word_alike), a typo forgiven
 * when one of the words is rare (two common names a letter apart, ZAHID
 * and ZAHIR, are two names).
 */
static double
word_like(struct dedup *d, const char *a, size_t la, const char *b, size_t lb, int weak,
	  int father)
{
	int typo;
	double s = imp_word_alike(a, la, b, lb, weak, &typo);

	return typo && !typo_of(d, a, la, b, lb, father) ? 0 : s;
}

struct name_cmp {
	double bits;
	int matched, conflict, extra, differ;   /* differ: word pairs that differ */
	/* given names MUHAMMAD alone on one side, MUHAMMAD and one more on
	 * the other (lone_given): the MUHAMMAD and the word */
	const char *lone_m, *lone_w;
	int lone, lone_m_len, lone_w_len;
};

static int
in_words(const struct imp_words *w, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->len[i] == len && memcmp(w->w[i], s, len) == 0)
			return 1;
	return 0;
}

struct pairing {
	int used_a[IMP_NAME_WORDS], used_b[IMP_NAME_WORDS];
	int skip_a[IMP_NAME_WORDS], skip_b[IMP_NAME_WORDS];
};

/* Words i and i+1 written as one (out: 2 * IMP_WORD_MAX). */
static size_t
join(char *out, const struct imp_words *w, size_t i)
{
	size_t a = w->len[i] < IMP_WORD_MAX ? w->len[i] : IMP_WORD_MAX - 1;
	size_t b = w->len[i + 1] < IMP_WORD_MAX ? w->len[i + 1] : IMP_WORD_MAX - 1;

	memcpy(out, w->w[i], a);
	memcpy(out + a, w->w[i + 1], b);
	out[a + b] = '\0';
	return a + b;
}

/* The best pair left: a word with a word, or with two written as one
 * (ABDURREHMAN, SMITHSON). Returns its similarity, 0 when none. */
static double
best_pair(struct dedup *d, const struct imp_words *a, const struct imp_words *b, struct pairing *p,
	  int father, size_t *bi, size_t *bj, int *two)
{
	char joined[2 * IMP_WORD_MAX];
	double best = 0, s;
	size_t i, j, n;
	int t;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++) {
			if (p->used_a[i] || p->used_b[j] || p->skip_a[i] || p->skip_b[j])
				continue;
			for (t = 0; t < 3; t++) {
				if (t == 0) {
					s = word_like(d, a->w[i], a->len[i], b->w[j], b->len[j],
						      (a->weak >> i & 1) || (b->weak >> j & 1), father);
				} else if (t == 1 && j + 1 < b->n && !p->used_b[j + 1] &&
					   !p->skip_b[j + 1]) {
					n = join(joined, b, j);
					s = word_like(d, a->w[i], a->len[i], joined, n, 0, father) * 1.5;
				} else if (t == 2 && i + 1 < a->n && !p->used_a[i + 1] &&
					   !p->skip_a[i + 1]) {
					n = join(joined, a, i);
					s = word_like(d, joined, n, b->w[j], b->len[j], 0, father) * 1.5;
				} else {
					continue;
				}
				if (s > best)
					best = s, *bi = i, *bj = j, *two = t;
			}
		}
	return *two ? best / 1.5 : best;
}

static double
rarity(struct dedup *d, const char *a, size_t la, const char *b, size_t lb, int father)
{
	uint64_t na = bearers(d, a, la, father), nb = bearers(d, b, lb, father);
	double bits = log2(population(d) / (double)(na > nb ? (na ? na : 1) : (nb ? nb : 1)));

	return bits > 0.5 ? bits : 0.5;
}

/* The evidence of paired words, in words: "A ~ B: W (1 in N), X ~ Y (...) agree". */
static void
note_pairs(struct imp_buf *why, const char *fa, const char *fb, const struct imp_buf *pairs,
	   const struct name_cmp *c)
{
	if (why == NULL)
		return;
	if (strcmp(fa, fb) == 0)
		imp_buf_printf(why, "%s: ", fa);
	else
		imp_buf_printf(why, "%s ~ %s: ", fa, fb);
	if (c->matched == 0) {
		imp_buf_printf(why, "no word in common");
		return;
	}
	imp_buf_printf(why, "%s agree%s", imp_buf_str((struct imp_buf *)pairs), c->matched == 1 ? "s" : "");
	if (c->differ > 0)
		imp_buf_printf(why, "; %d word%s of each differ%s", c->differ, c->differ > 1 ? "s" : "",
		     c->differ > 1 ? "" : "s");
	if (c->lone)
		imp_buf_printf(why, "; %.*s %.*s on one side, %.*s alone on the other: two given names",
		     c->lone_m_len, c->lone_m, c->lone_w_len, c->lone_w, c->lone_m_len, c->lone_m);
	else if (c->extra > 0)
		imp_buf_printf(why, "; %d word%s on one side only", c->extra, c->extra > 1 ? "s" : "");
}

/*
 * Whether the given names of s are MUHAMMAD alone (with an honorific and a
 * family name, or none: MUHAMMAD KHAN) while l has MUHAMMAD and a word more
 * right after it (MUHAMMAD ALI KHAN), every other word paired: the name a
 * person is called by, present on one side only (twins: MUHAMMAD and
 * MUHAMMAD ALI). *at: that word of l.
 */
static int
lone_given(const struct imp_words *s, const struct imp_words *l, const int *used_s,
	   const int *skip_s, const int *used_l, const int *skip_l, size_t *at)
{
	size_t i, strong = 0, weak = 0, extra = 0;

	for (i = 0; i < s->n; i++) {
		if (skip_s[i] || (s->hon >> i & 1))
			continue;
		if (!used_s[i])
			return 0;
		if (s->weak >> i & 1)
			weak++;
		else
			strong++;     /* the family name */
	}
	if (weak == 0 || strong > 1)
		return 0;
	for (i = 0; i < l->n; i++)
		if (!used_l[i] && !skip_l[i] && !(l->weak >> i & 1))
			extra++, *at = i;
	return extra == 1 && *at > 0 && (l->weak >> (*at - 1) & 1) && used_l[*at - 1];
}

/* Words of both names paired; what agrees counts by its rarity, words on
 * both sides left unpaired mean two names. own_a, own_b: for a father's
 * name, the people's own names, whose family name says little again. */
static void
compare_words(struct dedup *d, const struct imp_words *a, const struct imp_words *b, int father,
	      const struct imp_words *own_a, const struct imp_words *own_b, struct name_cmp *c,
	      struct imp_buf *pairs)
{
	struct pairing p;
	size_t i, j, ua = 0, ub = 0, wa = 0, wb = 0;
	int two = 0, keep = imp_words_honorifics(a, b) == IMP_HON_DIFFER;
	double s, bits;

	memset(&p, 0, sizeof p);
	memset(c, 0, sizeof *c);
	if (pairs != NULL)
		imp_buf_reset(pairs);
	for (i = 0; i < a->n; i++)
		p.skip_a[i] = (a->hon >> i & 1) && !keep && !in_words(b, a->w[i], a->len[i]);
	for (j = 0; j < b->n; j++)
		p.skip_b[j] = (b->hon >> j & 1) && !keep && !in_words(a, b->w[j], b->len[j]);
	while ((s = best_pair(d, a, b, &p, father, &i, &j, &two)) > 0) {
		p.used_a[i] = p.used_b[j] = 1;
		if (two == 1)
			p.used_b[j + 1] = 1;
		if (two == 2)
			p.used_a[i + 1] = 1;
		bits = s * rarity(d, a->w[i], a->len[i], b->w[j], b->len[j], father);
		if (father && own_a && own_b && in_words(own_a, a->w[i], a->len[i]) &&
		    in_words(own_b, b->w[j], b->len[j]))
			bits = 0.5;                /* the family name, counted with the name */
		c->bits += bits;
		if (s >= 1 && two == 0)
			imp_buf_printf(pairs, "%s%.*s", c->matched ? ", " : "", (int)a->len[i], a->w[i]);
		else
			imp_buf_printf(pairs, "%s%.*s%s ~ %.*s%s", c->matched ? ", " : "", (int)a->len[i],
			     a->w[i], two == 2 ? " +1" : "", (int)b->len[j], b->w[j],
			     two == 1 ? " +1" : "");
		imp_buf_printf(pairs, " (1 in %.0f)", pow(2, bits / s));
		c->matched++;
	}
	for (i = 0; i < a->n; i++)
		if (!p.used_a[i] && !p.skip_a[i])
			a->weak >> i & 1 ? wa++ : ua++;
	for (j = 0; j < b->n; j++)
		if (!p.used_b[j] && !p.skip_b[j])
			b->weak >> j & 1 ? wb++ : ub++;
	/* words left on both sides are two names; MUHAMMAD counts then too
	 * (MUHAMMAD KHAN is not UMAR KHAN), alone it comes and goes */
	c->conflict = c->matched == 0 || (ua > 0 && ub + wb > 0) || (ub > 0 && ua + wa > 0);
	c->differ = c->conflict ? (int)(ua + wa < ub + wb ? ua + wa : ub + wb) : 0;
	c->extra = !c->conflict ? (int)(ua + ub) : ua > ub ? (int)(ua - ub) : (int)(ub - ua);
	c->bits -= 3 * c->extra;
	if (!father && !c->conflict && c->extra == 1) {
		const struct imp_words *l = NULL;

		if (lone_given(a, b, p.used_a, p.skip_a, p.used_b, p.skip_b, &i))
			l = b;
		else if (lone_given(b, a, p.used_b, p.skip_b, p.used_a, p.skip_a, &i))
			l = a;
		if (l != NULL) {
			c->lone = 1;
			c->lone_m = l->w[i - 1], c->lone_m_len = (int)l->len[i - 1];
			c->lone_w = l->w[i], c->lone_w_len = (int)l->len[i];
		}
	}
}

/* Dates of birth (imp_dob_compare): 14 bits the same day, 10 the same
 * month, 6 the same year; a typo (one digit, two swapped, day and month
 * swapped) 3; else a veto. */
static const double dob_bits[IMP_DOB_CLASSES] = {
	[IMP_DOB_UNKNOWN] = 0, [IMP_DOB_DAY] = 14, [IMP_DOB_MONTH] = 10, [IMP_DOB_YEAR] = 6,
	[IMP_DOB_TYPO] = 3, [IMP_DOB_SWAP] = 3, [IMP_DOB_DIFFERS] = VETO,
};

static double
dob_evidence(const struct imp_date *a, const struct imp_date *b, struct imp_buf *why)
{
	char sa[11], sb[11];
	int c = imp_dob_compare(a, b);

	if (c == IMP_DOB_UNKNOWN) {
		imp_buf_printf(why, "; date of birth not known on %s", a->y == 0 && b->y == 0 ?
			       "either side" : "one side");
		return dob_bits[c];
	}
	imp_date_str(a, sa);
	imp_date_str(b, sb);
	switch (c) {
	case IMP_DOB_DAY:
		imp_buf_printf(why, "; date of birth %s equal", sa);
		break;
	case IMP_DOB_TYPO:
	case IMP_DOB_SWAP:
		imp_buf_printf(why, "; date of birth %s ~ %s (a typo)", sa, sb);
		break;
	case IMP_DOB_MONTH:
	case IMP_DOB_YEAR:
		imp_buf_printf(why, "; %s of birth equal", c == IMP_DOB_MONTH ? "month and year" :
			       "year");
		break;
	default:
		imp_buf_printf(why, "; date of birth %s differs from %s", sa, sb);
	}
	return dob_bits[c];
}

/* Addresses: the words both share, each by how few addresses of the batch
 * have it, scaled by the share of the words in common; at most 12 bits (an
 * address is a household's, not a person's). */
static double
address_evidence(struct dedup *d, const char *a, const char *b, struct imp_buf *why)
{
	struct imp_words wa, wb;
	char key[IMP_WORD_MAX + 4];
	size_t i = 0, j = 0, shared = 0;
	double bits = 0;
	uint64_t n;
	int c;

	if (*a == '\0' || *b == '\0')
		return 0;
	imp_words_split(a, 0, 0, &wa);
	imp_words_split(b, 0, 0, &wb);
	while (i < wa.n && j < wb.n) {
		c = strcmp(wa.w[i], wb.w[j]);
		if (c == 0) {
			snprintf(key, sizeof key, "a:%s", wa.w[i]);
			n = 1;
			imp_map_get(d->counts, key, &n);
			bits += log2((double)d->n / (double)(n ? n : 1));
			shared++;
		}
		i += c <= 0;
		j += c >= 0;
	}
	bits *= (double)shared / (double)(wa.n > wb.n ? wa.n : wb.n);
	if (bits > 12)
		bits = 12;
	if (shared > 0)
		imp_buf_printf(why, "; address shares %zu of %zu words (%.1f bits)", shared,
		     wa.n > wb.n ? wa.n : wb.n, bits);
	return bits;
}

static void
person_words(const struct who *w, struct imp_buf *b)
{
	imp_buf_printf(b, "%s", *w->full ? w->full : "(no name)");
	if (*w->father_full)         /* son of, daughter of; a certificate gives no sex */
		imp_buf_printf(b, " %s %s", w->sex == 'F' ? "d/o" : w->sex == 'X' ? "child of" :
			       "s/o", w->father_full);
	if (w->dob.y) {
		char s[11];

		imp_date_str(&w->dob, s);
		imp_buf_printf(b, ", born %s", s);
	}
}

static int
cnic_typo(const char *a, const char *b, struct imp_buf *why)
{
	switch (imp_digits_typo(a, b, 13)) {
	case IMP_TYPO_ONE:
		imp_buf_printf(why, "; CNIC %s ~ %s (one digit differs)", a, b);
		return 1;
	case IMP_TYPO_SWAP:
		imp_buf_printf(why, "; CNIC %s ~ %s (two digits swapped)", a, b);
		return 1;
	}
	return 0;
}

/*
 * The evidence, in bits, that a and b are one person: the names (each
 * agreeing word by how few bear it), the date of birth, the father's name
 * (its words but the family name), a CNIC one typo away. A name, father's
 * name, date of birth or sex that differs is a veto (VETO or less).
 */
static double
evidence(struct dedup *d, const struct who *a, const struct who *b, struct imp_buf *why)
{
	struct name_cmp nc, fc;
	struct imp_buf *pairs = why ? &d->pairs : NULL;
	double bits = 0, dob;
	int veto = 0;

	if (why != NULL)
		imp_buf_reset(why);
	imp_buf_printf(why, "name ");
	if (a->name.n == 0 || b->name.n == 0) {
		imp_buf_printf(why, "not given on %s", a->name.n == 0 && b->name.n == 0 ? "either side" :
		     "one side");
	} else {
		compare_words(d, &a->name, &b->name, 0, NULL, NULL, &nc, pairs);
		/* MUHAMMAD alone against MUHAMMAD ALI: a middle name dropped, or
		 * twins; with fathers to compare, a given name that differs */
		nc.lone &= a->father.n > 0 && b->father.n > 0;
		note_pairs(why, a->full, b->full, pairs, &nc);
		/* a given name that differs, with fathers to compare: twins,
		 * brothers and sisters; without them, evidence against */
		if (!nc.matched || ((nc.conflict || nc.lone) && a->father.n > 0 && b->father.n > 0))
			veto = 1;
		bits += nc.bits - 12 * nc.differ;
	}
	dob = dob_evidence(&a->dob, &b->dob, why);
	veto |= dob == VETO;
	bits += dob;
	if (a->father.n > 0 && b->father.n > 0) {
		imp_buf_printf(why, "; father's name ");
		compare_words(d, &a->father, &b->father, 1, &a->name, &b->name, &fc, pairs);
		note_pairs(why, a->father_full, b->father_full, pairs, &fc);
		veto |= fc.conflict;
		bits += fc.bits;
	}
	if (imp_sexes_differ(a->sex, b->sex)) {
		imp_buf_printf(why, "; sex differs");
		veto = 1;
	}
	bits += address_evidence(d, a->address, b->address, why);
	if (a->cnic[0] && b->cnic[0]) {
		if (strcmp(a->cnic, b->cnic) == 0) {
			imp_buf_printf(why, "; CNIC equal");
			bits += 20;
		} else if (cnic_typo(a->cnic, b->cnic, why)) {
			bits += 16;
		}
	}
	/* what differs is a veto, whatever agrees */
	return veto && bits > VETO ? VETO : bits;
}

/* The evidence a match needs among n people: log2 n, and the threshold. */
static double
needed(const struct dedup *d, double n)
{
	return log2(n > 2 ? n : 2) + d->threshold;
}

/* ---- reading a record's fields -------------------------------------------------------------- */

/* A field of the line being scanned: normalised by validate, else as
 * entered (*raw 1); "" when neither. */
static const char *
line_value(struct dedup *d, const char *name, int *raw)
{
	*raw = 0;
	if (d->norm != NULL && imp_line_value(d->norm, d->norm_len, name, &d->tmp) == 0)
		return imp_buf_str(&d->tmp);
	*raw = 1;
	if (d->raw != NULL && imp_line_value(d->raw, d->raw_len, name, &d->tmp) == 0)
		return imp_buf_str(&d->tmp);
	return "";
}

/* An attribute of the section's start tag, e.g. the certificate's number. */
static const char *
line_attr(struct dedup *d, const char *line, size_t len, const char *section, const char *name)
{
	char open[64], want[64];
	const char *p, *end, *q;

	snprintf(open, sizeof open, "<%s ", section);
	snprintf(want, sizeof want, " %s=\"", name);
	if ((p = memmem(line, len, open, strlen(open))) == NULL ||
	    (end = memchr(p, '>', len - (size_t)(p - line))) == NULL ||
	    (p = memmem(p, (size_t)(end - p), want, strlen(want))) == NULL ||
	    (q = memchr(p + strlen(want), '"', (size_t)(end - p - strlen(want)))) == NULL)
		return "";
	p += strlen(want);
	imp_buf_reset(&d->tmp);
	imp_buf_add(&d->tmp, p, (size_t)(q - p));
	d->tmp.len = imp_unescape(d->tmp.p);
	return imp_buf_str(&d->tmp);
}

static uint32_t
intern_name(struct dedup *d, const char *v, int raw)
{
	uint32_t bad;

	if (!raw || *v == '\0')
		return intern(d, v);
	if (imp_name_normalise(v, &d->why, &bad) != 0)
		return 0;
	return intern(d, imp_buf_str(&d->why));
}

static void
read_cnic(const char *v, char out[14])
{
	uint64_t c;

	out[0] = '\0';
	if (*v != '\0' && imp_cnic_parse(v, &c) == 0)
		snprintf(out, 14, "%013" PRIu64, c);
}

static void
photo_key(const char *v, char out[65])
{
	size_t i;

	out[0] = '\0';
	if (strlen(v) != 64)
		return;
	for (i = 0; i < 64; i++) {
		char c = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] + 32 : v[i]);

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return;
		out[i] = c;
	}
	out[64] = '\0';
	if (imp_photo_placeholder(out))       /* a photo missing: no evidence of anyone */
		out[0] = '\0';
}

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An address as its words (letters and digits, upper case), sorted, each once. */
static uint32_t
intern_address(struct dedup *d, const char *v)
{
	char buf[512], *w[64], *p;
	size_t n = 0, i, k = 0;
	uint32_t off = (uint32_t)d->pool.len;

	for (; *v != '\0' && k + 1 < sizeof buf; v++) {
		char c = *v >= 'a' && *v <= 'z' ? (char)(*v - 32) : *v;

		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			buf[k++] = c;
		else if (k > 0 && buf[k - 1] != ' ')
			buf[k++] = ' ';
	}
	buf[k] = '\0';
	for (p = strtok(buf, " "); p != NULL && n < 64; p = strtok(NULL, " "))
		w[n++] = p;
	if (n == 0)
		return 0;
	qsort(w, n, sizeof *w, cmp_word);
	for (i = 0, k = 0; i < n; i++)
		if (i == 0 || strcmp(w[i], w[i - 1]) != 0)
			imp_buf_printf(&d->pool, "%s%s", k++ ? " " : "", w[i]);
	imp_buf_add(&d->pool, "", 1);
	return off;
}

static void
read_names(struct dedup *d, struct rec *r)
{
	int raw, raw2;
	const char *v;

	if (d->citizenship) {
		v = line_value(d, "name", &raw);
		r->full = intern_name(d, v, raw);
	} else {
		/* given names first: the order names are spoken and compared in */
		v = line_value(d, "given_names", &raw);
		imp_buf_reset(&d->line);
		imp_buf_puts(&d->line, v);
		v = line_value(d, "surname", &raw2);
		if (raw2 && !raw && *v != '\0') {
			uint32_t bad;

			if (imp_name_normalise(v, &d->why, &bad) == 0)
				v = imp_buf_str(&d->why);
		}
		imp_buf_printf(&d->line, "%s%s", d->line.len && *v ? " " : "", v);
		r->full = intern_name(d, imp_buf_str(&d->line), raw || raw2);
	}
	v = line_value(d, "father_name", &raw);
	r->father_full = intern_name(d, v, raw);
	/* the pool may have moved: copy before taking words */
	imp_buf_reset(&d->line);
	imp_buf_puts(&d->line, at(d, r->full));
	r->name = intern_words(d, imp_buf_str(&d->line), &r->name_weak, &r->name_hon);
	imp_buf_reset(&d->line);
	imp_buf_puts(&d->line, at(d, r->father_full));
	r->father = intern_words(d, imp_buf_str(&d->line), &r->father_weak, &r->father_hon);
}

static void
read_fields(struct dedup *d, struct rec *r, const char *line, size_t len)
{
	const char *section = d->citizenship ? "certificate" : "application", *v;
	char buf[72];
	int raw;

	if (imp_line_section(line, len, "normalised", &d->norm, &d->norm_len) != 0)
		d->norm = NULL;
	if (imp_line_section(line, len, section, &d->raw, &d->raw_len) != 0)
		d->raw = NULL;

	read_names(d, r);
	read_cnic(line_value(d, "cnic", &raw), r->cnic);
	v = line_value(d, "date_of_birth", &raw);
	if (imp_date_partial(v, &r->dob) != 0)
		memset(&r->dob, 0, sizeof r->dob);
	if (d->citizenship) {
		r->reg = intern(d, line_value(d, "register", &raw));
		if (r->reg == 0)
			r->reg = intern(d, line_attr(d, line, len, section, "register"));
		r->number = intern(d, line_attr(d, line, len, section, "number"));
		v = line_value(d, "issued_on", &raw);
		r->issued = intern(d, v);
		return;
	}
	v = line_value(d, "sex", &raw);
	r->sex = (char)(*v >= 'a' && *v <= 'z' ? *v - 32 : *v);
	photo_key(line_value(d, "photo_sha256", &raw), buf);
	r->photo = intern(d, buf);
	imp_passport_key(line_value(d, "previous_passport", &raw), buf,
		     sizeof buf);
	r->previous = intern(d, buf);
	r->applied = intern(d, line_value(d, "applied_on", &raw));
	r->address = intern_address(d, line_value(d, "address", &raw));
}

/* Whether a photo is evidence of a person: a photo on more than PHOTO_MANY
 * applications of the batch is a placeholder (the empty file's hash is
 * none already: photo_key). */
static int
photo_evidence(struct dedup *d, uint32_t photo)
{
	char key[24];
	uint64_t n = 0;

	if (photo == 0)
		return 0;
	snprintf(key, sizeof key, "p:%.16s", at(d, photo));
	imp_map_get(d->counts, key, &n);
	return n <= PHOTO_MANY;
}

/* ---- the batch, indexed while it is verified ------------------------------------------------ */

static int
count_words(struct dedup *d, const struct rec *r)
{
	struct imp_words w;
	char key[IMP_WORD_MAX + 4];
	uint64_t n;
	size_t i;
	int f;

	if (r->photo) {
		snprintf(key, sizeof key, "p:%.16s", at(d, r->photo));
		n = 0;
		imp_map_get(d->counts, key, &n);
		if (imp_map_set(d->counts, key, n + 1) != 0)
			return -1;
	}
	for (f = 0; f < 3; f++) {
		uint32_t off = f == 2 ? r->address : f ? r->father : r->name;

		imp_words_split(off ? at(d, off) : NULL, 0, 0, &w);
		for (i = 0; i < w.n; i++) {
			snprintf(key, sizeof key, "%s%.*s", f == 2 ? "a:" : f ? "f:" : "n:",
				 (int)w.len[i], w.w[i]);
			n = 0;
			imp_map_get(d->counts, key, &n);
			if (imp_map_set(d->counts, key, n + 1) != 0)
				return -1;
		}
	}
	return 0;
}

static int
scan(void *arg, const char *line, size_t len, struct imp_err *e)
{
	struct dedup *d = arg;
	struct rec *r;
	const char *id;
	size_t idlen;
	int status;

	/* the batch's kind is known after its seal: a certificate tells it first */
	if (d->seen++ == 0)
		d->citizenship = memmem(line, len, "<certificate ", 13) != NULL;
	if (imp_record_head(line, len, &id, &idlen, &status) == 0 || status != IMP_OK_STATUS)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 1024;
		struct rec *v = realloc(d->r, cap * sizeof *v);

		if (v == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		d->r = v;
		d->cap = cap;
	}
	r = &d->r[d->n];
	memset(r, 0, sizeof *r);
	r->index = (uint32_t)(d->seen - 1);
	imp_buf_reset(&d->line);
	imp_buf_add(&d->line, id, idlen);
	r->id = intern(d, imp_buf_str(&d->line));
	read_fields(d, r, line, len);
	d->n++;
	if (d->pool.oom || count_words(d, r) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static int
add_key(struct dedup *d, uint32_t rec, int exact, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
add_key(struct dedup *d, uint32_t rec, int exact, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (d->nkeys == d->kcap) {
		size_t cap = d->kcap ? 2 * d->kcap : 4096;
		struct key *v = realloc(d->keys, cap * sizeof *v);

		if (v == NULL)
			return -1;
		d->keys = v;
		d->kcap = cap;
	}
	d->keys[d->nkeys++] = (struct key){ imp_hash(buf, strlen(buf)), rec, exact };
	return 0;
}

/* The keys that bring two records of one person together: the CNIC with a
 * digit left out (finds one changed or two swapped), the photo, the date of
 * birth, the set of the name's words with two of the date's three parts (a
 * typo in the third), or alone when there is no date; a certificate's
 * number. */
static int
batch_keys(struct dedup *d, uint32_t i)
{
	const struct rec *r = &d->r[i];
	struct imp_name_words nw;
	const char *w[4];
	char dob[11], set[4 * IMP_WORD_MAX + 4];
	size_t k, n, len = 0;
	int rc = 0;

	for (k = 0; r->cnic[0] && k < 13 && rc == 0; k++)
		rc = add_key(d, i, 1, "C|%.*s%s", (int)k, r->cnic, r->cnic + k + 1);
	if (photo_evidence(d, r->photo) && rc == 0)
		rc = add_key(d, i, 1, "P|%s", at(d, r->photo));
	if (r->dob.y && rc == 0) {
		imp_date_str(&r->dob, dob);
		rc = add_key(d, i, 0, "D|%s", dob);
	}
	if (r->name && rc == 0) {
		imp_name_words(d->names, at(d, r->full), &nw);
		n = imp_strong_words(&nw, w, 4);
		for (k = 0; k < n; k++)
			len += (size_t)snprintf(set + len, sizeof set - len, "%s%s", k ? " " : "", w[k]);
		if (n > 0 && r->dob.y == 0)
			rc = add_key(d, i, 0, "N|%s", set);
		if (n > 0 && r->dob.y && rc == 0)
			rc = add_key(d, i, 0, "Y|%s|%04d-%02d", set, r->dob.y, r->dob.m);
		if (n > 0 && r->dob.d && rc == 0)
			rc = add_key(d, i, 0, "M|%s|%02d-%02d", set, r->dob.m, r->dob.d);
		if (n > 0 && r->dob.d && rc == 0)
			rc = add_key(d, i, 0, "E|%s|%04d-%02d", set, r->dob.y, r->dob.d);
	}
	if (r->number && rc == 0) {
		imp_passport_key(at(d, r->number), set, sizeof set);
		rc = add_key(d, i, 1, "R|%s", set);
	}
	return rc;
}

static int
cmp_key(const void *x, const void *y)
{
	const struct key *a = x, *b = y;

	return a->h != b->h ? (a->h > b->h) - (a->h < b->h) : (a->rec > b->rec) - (a->rec < b->rec);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/* Every two records that share a key, once. */
static int
candidate_pairs(struct dedup *d, uint64_t **out, size_t *np)
{
	uint64_t *v = NULL, *nv;
	size_t s, e, i, j, n = 0, cap = 0;

	if (d->nkeys > 0)
		qsort(d->keys, d->nkeys, sizeof *d->keys, cmp_key);
	for (s = 0; s < d->nkeys; s = e) {
		for (e = s + 1; e < d->nkeys && d->keys[e].h == d->keys[s].h; e++)
			;
		if (e - s > (d->keys[s].exact ? 10 * POSTING_CAP : POSTING_CAP))
			continue;
		for (i = s; i < e; i++)
			for (j = i + 1; j < e; j++) {
				if (d->keys[i].rec == d->keys[j].rec)
					continue;
				if (n == cap) {
					cap = cap ? 2 * cap : 4096;
					if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
						free(v);
						return -1;
					}
					v = nv;
				}
				v[n++] = (uint64_t)d->keys[i].rec << 32 | d->keys[j].rec;
			}
	}
	if (n > 0)
		qsort(v, n, sizeof *v, cmp_u64);
	for (i = j = 0; i < n; i++)
		if (j == 0 || v[i] != v[j - 1])
			v[j++] = v[i];
	*out = v;
	*np = j;
	return 0;
}

static int
add_edge(struct dedup *d, uint32_t a, uint32_t b, int code, double bits)
{
	struct edge *v;
	int k;

	for (k = 0; k < 2; k++) {
		if (d->nedges == d->ecap) {
			size_t cap = d->ecap ? 2 * d->ecap : 1024;

			if ((v = realloc(d->edges, cap * sizeof *v)) == NULL)
				return -1;
			d->edges = v;
			d->ecap = cap;
		}
		d->edges[d->nedges++] = (struct edge){ k ? b : a, k ? a : b, (uint8_t)code,
						       (float)bits };
	}
	return 0;
}

static int
same_text(const struct dedup *d, uint32_t a, uint32_t b)
{
	return a && b && strcmp(at(d, a), at(d, b)) == 0;
}

/* A certificate typed twice: the same number (in its register, or another
 * register with a name that does not differ), or the same person and date. */
static int
certificate_pair(struct dedup *d, uint32_t i, uint32_t j, double bits, int *code)
{
	const struct rec *a = &d->r[i], *b = &d->r[j];
	char na[72], nb[72];

	*code = C_CERT;
	if (a->number && b->number) {
		imp_passport_key(at(d, a->number), na, sizeof na);
		imp_passport_key(at(d, b->number), nb, sizeof nb);
		if (strcmp(na, nb) == 0 && (same_text(d, a->reg, b->reg) || bits > VETO))
			return 1;
	}
	return same_text(d, a->issued, b->issued) && bits >= needed(d, (double)d->n);
}

static void
explain(const struct dedup *d, const char *a, const char *b, double bits, double need,
	struct imp_buf *why)
{
	if (d->explain)
		fprintf(stderr, "%s: %s ~ %s: %.1f bits (%.1f needed): %s\n", PROG, a, b, bits, need,
			imp_buf_str(why));
}

static int
weigh_pair(struct dedup *d, uint32_t i, uint32_t j)
{
	const struct rec *a = &d->r[i], *b = &d->r[j];
	double bits, need = needed(d, (double)d->n);
	int code = -1;

	rec_who(d, a, &d->me);
	rec_who(d, b, &d->them);
	bits = evidence(d, &d->me, &d->them, d->explain ? &d->why : NULL);
	explain(d, d->me.id, d->them.id, bits, need, &d->why);
	if (d->citizenship) {
		if (!certificate_pair(d, i, j, bits, &code))
			return 0;
	} else if (a->cnic[0] && strcmp(a->cnic, b->cnic) == 0) {
		code = C_CNIC;
	} else if (photo_evidence(d, a->photo) && same_text(d, a->photo, b->photo)) {
		code = C_PHOTO;
	} else if (bits >= need) {
		code = C_PERSON;
	} else {
		return 0;
	}
	return add_edge(d, i, j, code, bits);
}

static int
cmp_edge(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;

	if (a->a != b->a)
		return (a->a > b->a) - (a->a < b->a);
	if (a->code != b->code)
		return a->code - b->code;
	if (a->code == C_PERSON && a->bits != b->bits)
		return a->bits < b->bits ? 1 : -1;
	return (a->b > b->b) - (a->b < b->b);
}

/* After the seal verified: the batch's pairs weighed, the held ones kept. */
static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct dedup *d = arg;
	uint64_t *pairs = NULL;
	size_t np = 0, i, k;
	uint32_t a;

	snprintf(d->batch, sizeof d->batch, "%s", in->id);
	if (d->citizenship != (strcmp(in->kind, "citizenship") == 0))
		return imp_fail(e, EX_DATAERR, "batch %s is of kind %s but its records %s "
				"certificates", d->batch, in->kind, d->citizenship ? "are" :
				"are not");
	for (i = 0; i < d->n; i++)
		if (batch_keys(d, (uint32_t)i) != 0)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (candidate_pairs(d, &pairs, &np) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < np; i++)
		if (weigh_pair(d, (uint32_t)(pairs[i] >> 32), (uint32_t)pairs[i]) != 0) {
			free(pairs);
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		}
	free(pairs);
	free(d->keys);
	d->keys = NULL;
	if (d->nedges > 0)
		qsort(d->edges, d->nedges, sizeof *d->edges, cmp_edge);
	if ((d->first_edge = calloc(d->n + 1, sizeof *d->first_edge)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	for (a = 0, k = 0; a <= d->n; a++) {
		while (k < d->nedges && d->edges[k].a < a)
			k++;
		d->first_edge[a] = k;
	}
	if (d->store != NULL && d->npass == 0 && !d->citizenship)
		imp_warn(PROG, d->batch, "the history %s has no passports: only duplicates inside "
			 "the batch are found; load it with dedup --import-history",
			 imp_store_path(d->store));
	return d->npass > 0 ? imp_store_read(d->store, e) : 0;
}

static int
end(void *arg, struct imp_err *e)
{
	struct dedup *d = arg;

	(void)e;
	if (d->store != NULL)
		imp_store_done(d->store);
	return 0;
}

/* ---- one record: its parties ------------------------------------------------------------- */

static struct party *
new_party(struct dedup *d, int code, double rank, double bits, const char *other)
{
	struct party *p;
	size_t i;

	for (i = 0; i < d->nparties; i++)
		if (d->parties[i].code == code && strcmp(d->parties[i].other, other) == 0)
			return NULL;
	if (d->nparties == d->pcap) {
		size_t cap = d->pcap ? 2 * d->pcap : 16;

		if ((p = realloc(d->parties, cap * sizeof *p)) == NULL)
			return NULL;
		memset(p + d->pcap, 0, (cap - d->pcap) * sizeof *p);
		d->parties = p;
		d->pcap = cap;
	}
	p = &d->parties[d->nparties++];
	p->code = code;
	p->rank = rank;
	p->bits = bits;
	snprintf(p->other, sizeof p->other, "%s", other);
	imp_buf_reset(&p->text);
	return p;
}

static void
batch_party(struct dedup *d, const struct edge *g)
{
	const struct rec *o = &d->r[g->b];
	struct party *p;
	double bits;

	rec_who(d, o, &d->them);
	bits = evidence(d, &d->me, &d->them, &d->why);
	/* the others of a CNIC, a photo, a certificate: the earliest first */
	if ((p = new_party(d, g->code, g->code == C_PERSON ? bits : -(double)o->index, bits,
			   d->them.id)) == NULL)
		return;
	imp_buf_reset(&d->tmp);
	person_words(&d->them, &d->tmp);
	switch (g->code) {
	case C_CNIC:
		imp_buf_printf(&p->text, "CNIC %s is also on application %s (%s): %s", d->me.cnic,
			       d->them.id, imp_buf_str(&d->tmp), imp_buf_str(&d->why));
		break;
	case C_PHOTO:
		imp_buf_printf(&p->text, "the photo %.16s... is also on application %s (%s, CNIC %s): "
			       "one face, two identities; %s", d->me.photo, d->them.id,
			       imp_buf_str(&d->tmp), d->them.cnic[0] ? d->them.cnic : "none",
			       imp_buf_str(&d->why));
		break;
	case C_PERSON:
		imp_buf_printf(&p->text, "application %s (%s, CNIC %s) is likely the same person: "
			       "%.1f bits of evidence, %.1f needed among %zu applications: %s",
			       d->them.id, imp_buf_str(&d->tmp), d->them.cnic[0] ? d->them.cnic :
			       "none", bits, needed(d, (double)d->n), d->n, imp_buf_str(&d->why));
		break;
	default:
		imp_buf_printf(&p->text, "certificate %s of register %s is also record %s (register "
			       "%s, certificate %s, %s): %s", at(d, d->r[d->cur].number),
			       at(d, d->r[d->cur].reg), d->them.id, at(d, o->reg), at(d, o->number),
			       imp_buf_str(&d->tmp), imp_buf_str(&d->why));
	}
}

static void
passport_who(struct dedup *d, const struct imp_passport *pp, struct who *w)
{
	struct imp_name_words nw;

	imp_buf_full_name(&d->line, pp->given_names, pp->surname);
	w->id = pp->number;
	w->full = imp_buf_str(&d->line);
	w->father_full = pp->father_name;
	w->photo = pp->photo_sha256;
	w->address = "";
	imp_name_words(d->names, w->full, &nw);
	imp_words_from(&nw, &w->name);
	imp_name_words(d->names, pp->father_name, &nw);
	imp_words_from(&nw, &w->father);
	snprintf(w->cnic, sizeof w->cnic, "%s", pp->cnic);
	w->sex = pp->sex[0];
	if (imp_date_partial(pp->date_of_birth, &w->dob) != 0)
		memset(&w->dob, 0, sizeof w->dob);
}

static const char *
valid_on(const struct dedup *d)
{
	const char *applied = at(d, d->r[d->cur].applied);
	struct imp_date x;

	return imp_date_iso(applied, &x) == 0 ? applied : d->today;
}

static int
counts(const struct dedup *d, const struct imp_passport *p)
{
	return strcmp(p->status, "valid") == 0 && strcmp(p->expires_on, valid_on(d)) >= 0;
}

static int
seen_before(struct dedup *d, const char *number)
{
	size_t i;

	for (i = 0; i < d->nseen_pp; i++)
		if (strcmp(d->seen_pp[i], number) == 0)
			return 1;
	if (d->nseen_pp < sizeof d->seen_pp / sizeof *d->seen_pp)
		snprintf(d->seen_pp[d->nseen_pp++], sizeof *d->seen_pp, "%s", number);
	return 0;
}

static int
by_cnic(void *arg, const struct imp_passport *pp)
{
	struct dedup *d = arg;
	const char *prev = at(d, d->r[d->cur].previous);
	struct party *p;
	double bits;

	seen_before(d, pp->number);
	if (!counts(d, pp)) {
		imp_buf_printf(&d->notes, "; passport %s of this CNIC (expiry %s) is %s: not "
			       "counted", pp->number, *pp->expires_on ? pp->expires_on : "not known",
			       strcmp(pp->status, "valid") ? pp->status : "expired");
		return 0;
	}
	if (strcmp(prev, pp->number) == 0) {
		imp_buf_printf(&d->notes, "; renews passport %s (valid until %s)", pp->number,
			       pp->expires_on);
		return 0;
	}
	passport_who(d, pp, &d->them);
	bits = evidence(d, &d->me, &d->them, &d->why);
	if ((p = new_party(d, C_VALID, bits, bits, pp->number)) == NULL)
		return 0;
	imp_buf_reset(&d->tmp);
	person_words(&d->them, &d->tmp);
	imp_buf_printf(&p->text, "passport %s, issued %s, valid until %s, was issued to this CNIC "
		       "(%s); the application %s%s: %s", pp->number, *pp->issued_on ?
		       pp->issued_on : "?", pp->expires_on, imp_buf_str(&d->tmp), *prev ?
		       "renews another passport, " : "names no previous passport", prev,
		       imp_buf_str(&d->why));
	return 0;
}

static int
by_photo(void *arg, const struct imp_passport *pp)
{
	struct dedup *d = arg;
	struct party *p;
	double bits;

	seen_before(d, pp->number);
	if (strcmp(pp->cnic, d->me.cnic) == 0 && d->me.cnic[0])
		return 0;
	passport_who(d, pp, &d->them);
	bits = evidence(d, &d->me, &d->them, &d->why);
	if ((p = new_party(d, C_PHOTO, bits, bits, pp->number)) == NULL)
		return 0;
	imp_buf_reset(&d->tmp);
	person_words(&d->them, &d->tmp);
	imp_buf_printf(&p->text, "the photo %.16s... is that of passport %s (%s, until %s) issued "
		       "to CNIC %s (%s): one face, two identities; %s", d->me.photo, pp->number,
		       pp->status, *pp->expires_on ? pp->expires_on : "?", *pp->cnic ? pp->cnic :
		       "none", imp_buf_str(&d->tmp), imp_buf_str(&d->why));
	return 0;
}

static int
by_key(void *arg, const struct imp_passport *pp)
{
	struct dedup *d = arg;
	double bits, need = needed(d, (double)d->npass);
	struct party *p;
	int code;

	if (seen_before(d, pp->number) || (d->me.cnic[0] && strcmp(pp->cnic, d->me.cnic) == 0) ||
	    !counts(d, pp))
		return 0;
	passport_who(d, pp, &d->them);
	bits = evidence(d, &d->me, &d->them, d->explain ? &d->why : NULL);
	explain(d, d->me.id, pp->number, bits, need, &d->why);
	if (bits < need)
		return 0;
	/* the very passport the application renews, recorded under a CNIC one
	 * typo from the applicant's: the person agrees, the CNIC was mistyped
	 * once; a renewal, told in the note */
	if (strcmp(at(d, d->r[d->cur].previous), pp->number) == 0 && d->me.cnic[0] && *pp->cnic &&
	    imp_digits_typo(d->me.cnic, pp->cnic, 13) != IMP_TYPO_NONE) {
		imp_buf_printf(&d->notes, "; renews passport %s (valid until %s), recorded under CNIC "
			       "%s, one typo from the applicant's: the same person (%.1f bits of "
			       "evidence, %.1f needed)", pp->number, pp->expires_on, pp->cnic, bits, need);
		return 0;
	}
	evidence(d, &d->me, &d->them, &d->why);
	/* a passport without a CNIC held by the same person is a valid passport */
	code = *pp->cnic ? C_OTHER_ID : C_VALID;
	if ((p = new_party(d, code, bits, bits, pp->number)) == NULL)
		return 0;
	imp_buf_reset(&d->tmp);
	person_words(&d->them, &d->tmp);
	imp_buf_printf(&p->text, "valid passport %s (until %s) was issued to %s%s (%s), likely the "
		       "same person: %.1f bits of evidence, %.1f needed among %" PRIu64
		       " passports: %s", pp->number, pp->expires_on, *pp->cnic ? "CNIC " :
		       "no CNIC", pp->cnic, imp_buf_str(&d->tmp), bits, need, d->npass,
		       imp_buf_str(&d->why));
	if (strcmp(at(d, d->r[d->cur].previous), pp->number) == 0)
		imp_buf_printf(&p->text, "; the application renews it, under another CNIC");
	return 0;
}

static int
history(struct dedup *d, struct imp_err *e)
{
	const struct rec *r = &d->r[d->cur];
	struct imp_name_words nw;
	struct imp_person_veto veto;
	uint64_t keys[IMP_HISTORY_KEYS];
	char dob[11] = "", valid[11];
	size_t n;
	int rc;

	d->nseen_pp = 0;
	if (r->cnic[0] && (rc = imp_store_by_cnic(d->store, r->cnic, by_cnic, d, e)) != 0)
		return rc;
	if (photo_evidence(d, r->photo) &&
	    (rc = imp_store_by_photo(d->store, at(d, r->photo), by_photo, d, e)) != 0)
		return rc;
	if (r->dob.y)
		imp_date_str(&r->dob, dob);
	imp_name_words(d->names, at(d, r->full), &nw);
	n = imp_history_keys(&nw, dob, 0, keys, IMP_HISTORY_KEYS);
	snprintf(valid, sizeof valid, "%s", valid_on(d));
	veto.dob = r->dob;
	veto.sex = r->sex;
	/* a father's name that must conflict is a veto (evidence) */
	imp_name_words(d->names, at(d, r->father_full), &nw);
	imp_father_veto_make(d->names, &nw, &veto.father);
	return imp_store_by_keys(d->store, keys, n, valid, &veto, HISTORY_LIMIT, by_key, d, e);
}

static int
cmp_party(const void *x, const void *y)
{
	const struct party *a = x, *b = y;

	if (a->code != b->code)
		return a->code - b->code;
	return a->rank < b->rank ? 1 : a->rank > b->rank ? -1 : 0;
}

static int
find_rec(const struct dedup *d, uint64_t index, uint32_t *out)
{
	size_t lo = 0, hi = d->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (d->r[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->n || d->r[lo].index != index)
		return -1;
	*out = (uint32_t)lo;
	return 0;
}

static int
step(struct dedup *d, struct imp_record *r)
{
	char score[24];
	const char *attrs[] = { "other", NULL, "score", score, NULL };
	size_t i, shown = 0, more = 0;
	int code = -1;

	if (d->nparties == 0) {
		if (d->citizenship)
			return imp_record_step(r, PROG, IMP_OK_STATUS, "DEDUP_CLEAR", NULL, "no other "
					       "record of the batch has this certificate or person");
		return imp_record_step(r, PROG, IMP_OK_STATUS, "DEDUP_CLEAR", NULL, "no duplicate "
				       "among the %zu applications of the batch%s%s", d->n,
				       d->store ? " and the passports of the history" : "",
				       imp_buf_str(&d->notes));
	}
	/* the batch's parties keep their order: exact ones by position */
	qsort(d->parties, d->nparties, sizeof *d->parties, cmp_party);
	imp_verdict_reset(&d->v);
	for (i = 0; i < d->nparties; i++) {
		struct party *p = &d->parties[i];

		shown = p->code == code ? shown + 1 : 1;
		code = p->code;
		if (shown <= SHOWN)
			imp_verdict_add(&d->v, IMP_HELD, code_name[code], "%s", imp_buf_str(&p->text));
		else
			more++;
	}
	if (more > 0)
		imp_buf_printf(&d->v.rest, "; and %zu more, not shown", more);
	attrs[1] = d->parties[0].other;
	snprintf(score, sizeof score, "%.1f", d->parties[0].bits);
	return imp_verdict_step(&d->v, r, PROG, "DEDUP_CLEAR", "", attrs);
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct dedup *d = arg;
	size_t k;
	int rc;

	if (find_rec(d, imp_record_index(r), &d->cur) != 0)
		return imp_fail(e, EX_SOFTWARE, "record %s was not seen while the batch was "
				"verified", imp_record_id(r));
	d->nparties = 0;
	imp_buf_reset(&d->notes);
	rec_who(d, &d->r[d->cur], &d->me);
	for (k = d->first_edge[d->cur]; k < d->first_edge[d->cur + 1]; k++)
		batch_party(d, &d->edges[k]);
	if (d->store != NULL && !d->citizenship && d->npass > 0 && (rc = history(d, e)) != 0)
		return rc;
	rc = step(d, r);
	return rc != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

/* ---- --import-history and --record --------------------------------------------------------- */

static void
loaded(void *arg, uint64_t rows)
{
	imp_progress(PROG, arg, "loaded", rows, 0);
}

static int
import(const char *csv, const char *path, struct imp_run *run, struct imp_err *e)
{
	struct imp_store *s = NULL;
	struct imp_store_tally t;
	double secs;
	int rc;

	snprintf(run->batch, sizeof run->batch, "%s", csv);      /* for the progress line */
	if ((rc = imp_store_open(path, IMP_STORE_CREATE, &s, e)) == 0)
		rc = imp_store_import(s, csv, loaded, run, &t, e);
	imp_progress(PROG, run, "", 0, 1);
	secs = imp_now() - run->start;
	if (rc == 0)
		fprintf(stderr, "%s: %s: %" PRIu64 " rows: %" PRIu64 " added, %" PRIu64 " changed, "
			"%" PRIu64 " already there; the history %s holds %" PRIu64 " passports; "
			"%.1f s (%.0f rows/s)\n", PROG, csv, t.rows, t.added, t.changed, t.same,
			imp_store_path(s), imp_store_passports(s), secs,
			t.rows / (secs > 1e-3 ? secs : 1e-3));
	imp_store_close(s);
	return rc;
}

struct printed {
	struct imp_store *s;
	struct imp_buf names[3];
	uint64_t in, added, changed, same, skipped;
};

static const char *
record_value(struct imp_record *r, const char *name, struct imp_buf *norm, int is_name)
{
	const char *v = imp_record_field(r, "normalised", name);
	uint32_t bad;

	if (v != NULL)
		return v;
	if ((v = imp_record_field(r, "application", name)) == NULL)
		return "";
	if (!is_name)
		return v;
	return imp_name_normalise(v, norm, &bad) == 0 ? imp_buf_str(norm) : "";
}

/* A printed record's passport into the history: a record not ok, or without
 * a passport number, is not a passport issued. */
static int
add_printed(struct printed *pr, struct imp_record *r, const char *batch, struct imp_err *e)
{
	struct imp_passport p;
	char cnic[14], photo[65], sex[2] = "";
	struct imp_date x;
	int outcome, rc;

	pr->in++;
	memset(&p, 0, sizeof p);
	p.number = imp_record_attr(r, "passport", "number");
	p.issued_on = imp_record_attr(r, "passport", "issued");
	p.expires_on = imp_record_attr(r, "passport", "expires");
	if (imp_record_status(r) != IMP_OK_STATUS || p.number == NULL || *p.number == '\0' ||
	    p.expires_on == NULL || imp_date_iso(p.expires_on, &x) != 0) {
		pr->skipped++;
		return imp_record_error(r) ? imp_record_error(r)->code : 0;
	}
	read_cnic(record_value(r, "cnic", NULL, 0), cnic);
	photo_key(record_value(r, "photo_sha256", NULL, 0), photo);
	sex[0] = *record_value(r, "sex", NULL, 0);
	p.cnic = cnic;
	p.surname = record_value(r, "surname", &pr->names[0], 1);
	p.given_names = record_value(r, "given_names", &pr->names[1], 1);
	p.father_name = record_value(r, "father_name", &pr->names[2], 1);
	p.date_of_birth = record_value(r, "date_of_birth", NULL, 0);
	if (imp_date_partial(p.date_of_birth, &x) != 0)
		p.date_of_birth = "";
	p.sex = sex;
	p.status = "valid";
	p.printed = 1;
	p.photo_sha256 = photo;
	p.batch = batch;
	p.tracking_id = imp_record_id(r);
	if ((rc = imp_store_put(pr->s, &p, &outcome, e)) != 0)
		return rc;
	pr->added += outcome == IMP_STORE_ADDED;
	pr->changed += outcome == IMP_STORE_CHANGED;
	pr->same += outcome == IMP_STORE_SAME;
	return 0;
}

struct printed_read {                 /* --record: the printed stream being read */
	struct printed *pr;
	struct imp_record *r;
	const char *batch;
	int began;                    /* the history's transaction is open */
};

static int
printed_ready(void *arg, const struct imp_batch *b, struct imp_err *e)
{
	struct printed_read *rd = arg;
	int rc;

	if (strcmp(b->kind, "printed") != 0)
		return imp_fail(e, EX_DATAERR, "--record reads a stream of printed passports "
				"(kind printed, from spool-print --collect), not %s", b->kind);
	rd->batch = b->id;
	if ((rc = imp_store_begin(rd->pr->s, e)) == 0)
		rd->began = 1;
	return rc;
}

static int
printed_line(void *arg, uint64_t i, const char *line, size_t len, struct imp_err *e)
{
	struct printed_read *rd = arg;
	int rc;

	(void)i;
	if ((rc = imp_record_load(rd->r, line, len, e)) == 0)
		rc = add_printed(rd->pr, rd->r, rd->batch, e);
	return rc;
}

static int
read_printed(struct printed *pr, const char *input, const char *trust, char *batch,
	     struct imp_err *e)
{
	struct printed_read rd = { .pr = pr };
	struct imp_read how = { .ready = printed_ready, .each = printed_line, .arg = &rd };
	struct imp_keys keys;
	struct imp_batch b;
	int rc;

	memset(&b, 0, sizeof b);
	memset(&keys, 0, sizeof keys);
	if ((rd.r = imp_record_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_keys_open(&keys, trust, NULL, NULL, e)) == 0)
		rc = imp_stream_read(input, &keys, &b, &how, e);
	if (b.id[0] != '\0')         /* known from the <batch> line, even when a later line is bad */
		snprintf(batch, IMP_ID_MAX + 1, "%s", b.id);
	if (rd.began) {
		imp_fault("dedup-record");
		if (rc == 0)
			rc = imp_store_commit(pr->s, e);
		else
			imp_store_rollback(pr->s);
	}
	imp_record_free(rd.r);
	imp_batch_free(&b);
	imp_keys_close(&keys);
	return rc;
}

static int
record(const char *input, const char *path, const char *trust, char *batch,
       struct imp_err *e)
{
	struct printed pr;
	double t0 = imp_now();
	size_t i;
	int rc;

	memset(&pr, 0, sizeof pr);
	if ((rc = imp_store_open(path, IMP_STORE_CREATE, &pr.s, e)) == 0 &&
	    (rc = read_printed(&pr, input, trust, batch, e)) == 0)
		fprintf(stderr, "%s: %s: %" PRIu64 " in, %" PRIu64 " passports added to the history, "
			"%" PRIu64 " changed, %" PRIu64 " there already, %" PRIu64 " not issued (not "
			"ok, or no passport); %.1f s\n", PROG, batch, pr.in, pr.added, pr.changed,
			pr.same, pr.skipped, imp_now() - t0);
	for (i = 0; i < 3; i++)
		imp_buf_free(&pr.names[i]);
	imp_store_close(pr.s);
	return rc;
}

/* ---- main ------------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fputs("usage: dedup [-H FILE] [--threshold BITS] [--explain] [-s FPR] [-t FILE]\n"
	      "             [--counts FILE] [FILE|-]\n"
	      "       dedup --import-history CSV [-H FILE]\n"
	      "       dedup --record [-H FILE] [-t FILE] [FILE|-]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Hold duplicate applications, in the batch and against the issued passports.\n"
	      "  -H, --history FILE      the history (default $IMPASS_SPOOL/state.db)\n"
	      "      --threshold BITS    evidence beyond chance for a person match (default 12)\n"
	      "      --explain           every pair weighed, with its evidence, on stderr\n"
	      "      --import-history CSV  load issued passports (impass-csv(5)) into the history\n"
	      "      --record            add the passports of a printed stream to the history\n"
	      "  -s, --signer FPR        stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE        trust file (default $IMPASS_TRUST)\n"
	      "      --counts FILE       the counts of the run and of the output stream (as\n"
	      "                          inspect --counts gives them) as key=value lines to FILE\n"
	      "  -h, --help              this text;  --version  the version\n"
	      "See dedup(1).\n", stdout);
}

struct opts {
	const char *history, *import, *trust, *signer, *input, *counts;
	int record;
};

static int
parse_opts(int argc, char **argv, struct opts *o, struct dedup *d)
{
	static const struct option longopts[] = {
		{ "history", required_argument, NULL, 'H' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "explain", no_argument, NULL, 'x' },
		{ "import-history", required_argument, NULL, 'I' },
		{ "record", no_argument, NULL, 'R' },
		{ "signer", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	d->threshold = 12;
	while ((c = getopt_long(argc, argv, "H:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->history = optarg; break;
		case 'I': o->import = optarg; break;
		case 'R': o->record = 1; break;
		case 'x': d->explain = 1; break;
		case 's': o->signer = optarg; break;
		case IMP_COUNTS_OPT: o->counts = optarg; break;
		case 't': o->trust = optarg; break;
		case 'T':
			errno = 0;
			d->threshold = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(d->threshold >= 0 &&
								 d->threshold <= 60)) {
				imp_warn(PROG, NULL, "--threshold '%s' is not a number of bits from 0 "
					 "to 60", optarg);
				return EX_USAGE;
			}
			break;
		case 'h': help(); exit(0);
		case 'V': puts(PROG " " IMP_VERSION); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	o->input = optind < argc ? argv[optind] : NULL;
	if (argc - optind > 1 || (o->import && (o->record || o->input))) {
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

static int
run(struct dedup *d, const struct opts *o, struct imp_run *r, struct imp_err *e)
{
	static const char *const kinds[] = { "application", "citizenship", NULL };
	struct imp_stage st = { .name = PROG, .kinds = kinds, .scan = scan, .begin = begin,
				.record = each, .end = end, .arg = d };
	struct imp_stage_opts so = { o->input, o->trust, o->signer, o->counts };
	struct imp_date today;
	int rc;

	imp_date_today(&today);
	imp_date_str(&today, d->today);
	if ((d->counts = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_buf_add(&d->pool, "", 1);            /* offset 0: no value */
	if ((rc = imp_names_open(&d->names, e)) != 0 ||
	    (rc = imp_store_open(o->history, IMP_STORE_LOOKUP, &d->store, e)) != 0)
		return rc;
	d->npass = imp_store_passports(d->store);
	return imp_stage_run(PROG, &st, &so, r, e);
}

static void
cleanup(struct dedup *d)
{
	size_t i;

	for (i = 0; i < d->pcap; i++)
		imp_buf_free(&d->parties[i].text);
	free(d->parties);
	free(d->r);
	free(d->keys);
	free(d->edges);
	free(d->first_edge);
	imp_map_free(d->counts);
	imp_names_close(d->names);
	imp_store_close(d->store);
	imp_buf_free(&d->pool);
	imp_buf_free(&d->notes);
	imp_buf_free(&d->why);
	imp_buf_free(&d->tmp);
	imp_buf_free(&d->line);
	imp_buf_free(&d->pairs);
	imp_verdict_free(&d->v);
}

int
main(int argc, char **argv)
{
	struct dedup d;
	struct opts o;
	struct imp_err e = { 0 };
	struct imp_run r;
	char batch[IMP_ID_MAX + 1] = "";
	int rc;

	memset(&d, 0, sizeof d);
	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o, &d)) != 0)
		return rc;
	imp_init(&r);
	if (o.import != NULL)
		rc = import(o.import, o.history, &r, &e);
	else if (o.record)
		rc = record(o.input, o.history, o.trust, batch, &e);
	else
		rc = run(&d, &o, &r, &e);
	cleanup(&d);
	if (o.import || o.record)
		return imp_exit(PROG, batch, NULL, rc, &e);
	return imp_exit(PROG, r.batch, &r, rc, &e);
}
