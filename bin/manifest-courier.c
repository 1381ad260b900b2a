/* SPDX-License-Identifier: ISC */
/*
 * manifest-courier: the printed passports into courier consignments. Each
 * ok record of a printed stream is routed (pipelines/couriers.csv) to a
 * courier for its delivery office (pipelines/offices.csv) and grouped with
 * the others of the same courier, destination and category; home
 * deliveries go by courier and city. Consignments are numbered in the
 * state database in one transaction once the input has verified, so a
 * re-run of the batch finds the same numbers; each gets one signed bundle
 * (manifest.csv, manifest.xml, summary.txt, SHA256SUMS and its detached
 * signature), written whole or not at all, and never twice. The records go
 * on with <consignment/> added: the input of dedup --record.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "series.h"

#define PROG "manifest-courier"
#define OFFICE_MAX 12
#define COURIER_MAX 32

enum { FAST, URGENT, NORMAL, NCLASS };          /* category: the order of numbering */
enum { COUNTER, HOME, MISSION, NMODE };         /* delivery_mode counter|courier|mission */
enum { H_NONE, H_NO_PASSPORT, H_NO_DATA, H_UNKNOWN_OFFICE, H_NO_ROUTE };

static const char *const class_names[] = { "fasttrack", "urgent", "normal" };
static const char *const mode_names[] = { "counter", "courier", "mission" };

struct opts {
	const char *out, *date, *signer, *trust, *state, *offices, *couriers, *input;
	int zip;
};

struct office {
	char *code, *name, *city, *country;
	int mission, fasttrack;
	unsigned long line;
};

struct rule {
	long priority;                /* serves=yes rules, in ascending order */
	unsigned long line;
	char *courier, *country, *office, *mode, *category;
	int serves;
};

struct slot {                         /* one record line of the input, pass 1 */
	int32_t group;                /* its consignment, -1 when none */
	int32_t office;               /* index in offices, -1 when unknown */
	unsigned char ok, hold, mode, cls;
	char number[IMP_NUMBER_LEN + 1];
};

struct group {
	char *key, *courier, *dest;   /* dest: office code, or the city for homes */
	int cls, home;
	int32_t office;               /* the office of the first passport */
	size_t count;
	char number[32];
	int written;                  /* its bundle is out (an earlier run, or now) */
	char bundle[2 * IMP_HASH_LEN + 1];  /* the sha256 of the bundle as written, or "" */
	struct imp_merkle members;    /* over the passport numbers, in stream order */
	struct imp_buf csv, xml;
};

struct courier {
	const struct opts *o;
	struct office *offices;
	size_t noffices, ocap;
	struct imp_map *office_index;
	struct rule *rules;
	size_t nrules, rcap;
	size_t col[7], ncols;
	const char *file;
	struct slot *slots;
	size_t nslots, scap;
	struct group *groups;
	size_t ngroups, gcap;
	struct imp_map *group_index;
	struct imp_keys keys;         /* its signer signs the bundles */
	sqlite3 *db;                  /* the state database: the ledger and the journal */
	char batch[IMP_ID_MAX + 1];
	struct imp_courier_batch journal;   /* date, file time, done: the first run's */
	size_t written_now, written_before;
	struct imp_buf a, b, line;
};

/* ---- configuration: offices.csv and couriers.csv ------------------------------- */

static const char *const office_columns[] = { "code", "name", "kind", "city", "country",
					      "fasttrack" };
enum { O_CODE, O_NAME, O_KIND, O_CITY, O_COUNTRY, O_FAST, O_NCOL };
static const char *const rule_columns[] = { "priority", "courier", "country", "office", "mode",
					    "category", "serves" };
enum { R_PRIO, R_COURIER, R_COUNTRY, R_OFFICE, R_MODE, R_CATEGORY, R_SERVES, R_NCOL };

static int
code_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static int
country_ok(const char *s)
{
	return strlen(s) == 3 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

static int
one_of(const char *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return (int)i;
	return -1;
}

/* A bad cell: the file, line, column (number and name), the value, the rule. */
static int
cell_fail(struct imp_err *e, struct courier *c, const struct imp_csv_row *row,
	  const char *const *columns, int k, const char *want)
{
	return imp_fail(e, EX_DATAERR, "%s line %lu, column %zu (%s): '%s' %s; correct the file",
			row->file, row->line, c->col[k] + 1, columns[k], row->field[c->col[k]],
			want);
}

static int
check_width(struct courier *c, const struct imp_csv_row *row, struct imp_err *e)
{
	size_t i;

	if (row->n != c->ncols)
		return imp_fail(e, EX_DATAERR, "%s line %lu has %zu fields where the header has %zu; "
				"correct the file", row->file, row->line, row->n, c->ncols);
	for (i = 0; i < row->n; i++)
		if (row->bad[i] != 0 || row->toolong[i])
			return imp_fail(e, EX_DATAERR, "%s line %lu, column %zu: a control character "
					"or a value over %d bytes; correct the file", row->file,
					row->line, i + 1, IMP_FIELD_MAX);
	return 0;
}

static int
office_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct courier *c = arg;
	const char *const *f;
	struct office *o, *v;
	uint64_t old;
	int rc;

	if (row->header) {
		c->ncols = row->n;
		return imp_csv_header(row, "offices.csv", office_columns, O_NCOL, c->col, e);
	}
	if ((rc = check_width(c, row, e)) != 0)
		return rc;
	f = (const char *const *)row->field;
#define F(k) f[c->col[k]]
	if (!code_ok(F(O_CODE), 2, OFFICE_MAX))
		return cell_fail(e, c, row, office_columns, O_CODE, "is not an office code (2-12 of "
				 "A-Z, 0-9, -)");
	if (*F(O_NAME) == '\0')
		return cell_fail(e, c, row, office_columns, O_NAME, "is empty: every office has a name");
	if (strcmp(F(O_KIND), "rpo") != 0 && strcmp(F(O_KIND), "mission") != 0)
		return cell_fail(e, c, row, office_columns, O_KIND, "is neither rpo nor mission");
	if (*F(O_CITY) == '\0')
		return cell_fail(e, c, row, office_columns, O_CITY, "is empty: every office has a city");
	if (!country_ok(F(O_COUNTRY)))
		return cell_fail(e, c, row, office_columns, O_COUNTRY, "is not a country code (ISO "
				 "3166 alpha-3, e.g. PAK, ARE, GBR)");
	if (strcmp(F(O_FAST), "yes") != 0 && strcmp(F(O_FAST), "no") != 0)
		return cell_fail(e, c, row, office_columns, O_FAST, "is neither yes nor no");
	if (imp_map_get(c->office_index, F(O_CODE), &old) == 0)
		return imp_fail(e, EX_DATAERR, "%s line %lu, column %zu (code): office %s is listed "
				"again (first on line %lu); correct the file", row->file, row->line,
				c->col[O_CODE] + 1, F(O_CODE), c->offices[old].line);
	if (c->noffices == c->ocap) {
		c->ocap = c->ocap ? 2 * c->ocap : 256;
		if ((v = realloc(c->offices, c->ocap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		c->offices = v;
	}
	o = &c->offices[c->noffices];
	memset(o, 0, sizeof *o);
	o->line = row->line;
	o->mission = strcmp(F(O_KIND), "mission") == 0;
	o->fasttrack = strcmp(F(O_FAST), "yes") == 0;
	if ((o->code = strdup(F(O_CODE))) == NULL || (o->name = strdup(F(O_NAME))) == NULL ||
	    (o->city = strdup(F(O_CITY))) == NULL || (o->country = strdup(F(O_COUNTRY))) == NULL ||
	    imp_map_put(c->office_index, o->code, c->noffices, &old) < 0) {
		c->noffices++;
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	c->noffices++;
	return 0;
}

static int
rule_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct courier *c = arg;
	const char *const *f;
	struct rule *r, *v;
	uint64_t k;
	char *end;
	int rc;

	if (row->header) {
		c->ncols = row->n;
		return imp_csv_header(row, "couriers.csv", rule_columns, R_NCOL, c->col, e);
	}
	if ((rc = check_width(c, row, e)) != 0)
		return rc;
	f = (const char *const *)row->field;
	if (strcmp(F(R_SERVES), "yes") != 0 && strcmp(F(R_SERVES), "no") != 0)
		return cell_fail(e, c, row, rule_columns, R_SERVES, "is neither yes nor no");
	if (c->nrules == c->rcap) {
		c->rcap = c->rcap ? 2 * c->rcap : 32;
		if ((v = realloc(c->rules, c->rcap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		c->rules = v;
	}
	r = &c->rules[c->nrules];
	memset(r, 0, sizeof *r);
	r->line = row->line;
	r->serves = strcmp(F(R_SERVES), "yes") == 0;
	errno = 0;
	r->priority = strtol(F(R_PRIO), &end, 10);
	if (r->serves && (*F(R_PRIO) == '\0' || *end != '\0' || errno != 0 || r->priority < 1 ||
			  r->priority > 999999))
		return cell_fail(e, c, row, rule_columns, R_PRIO, "is not a priority (1-999999; "
				 "the lowest is tried first)");
	if (!code_ok(F(R_COURIER), 1, COURIER_MAX))
		return cell_fail(e, c, row, rule_columns, R_COURIER, "is not a courier name (1-32 of "
				 "A-Z, 0-9, -)");
	if (strcmp(F(R_COUNTRY), "*") != 0 && !country_ok(F(R_COUNTRY)))
		return cell_fail(e, c, row, rule_columns, R_COUNTRY, "is neither * nor a country code "
				 "(ISO 3166 alpha-3)");
	if (strcmp(F(R_OFFICE), "*") != 0 && imp_map_get(c->office_index, F(R_OFFICE), &k) != 0)
		return cell_fail(e, c, row, rule_columns, R_OFFICE, "is neither * nor an office of "
				 "offices.csv");
	if (strcmp(F(R_MODE), "*") != 0 && one_of(F(R_MODE), mode_names, NMODE) < 0)
		return cell_fail(e, c, row, rule_columns, R_MODE, "is not *, counter, courier or "
				 "mission");
	if (strcmp(F(R_CATEGORY), "*") != 0 && one_of(F(R_CATEGORY), class_names, NCLASS) < 0)
		return cell_fail(e, c, row, rule_columns, R_CATEGORY, "is not *, normal, urgent or "
				 "fasttrack");
	if (!r->serves && strcmp(F(R_COUNTRY), "*") == 0 && strcmp(F(R_OFFICE), "*") == 0 &&
	    strcmp(F(R_MODE), "*") == 0 && strcmp(F(R_CATEGORY), "*") == 0)
		return cell_fail(e, c, row, rule_columns, R_SERVES, "with every other column * would "
				 "exclude the courier everywhere: name the country, office, mode or "
				 "category it does not serve");
	c->nrules++;
	if ((r->courier = strdup(F(R_COURIER))) == NULL || (r->country = strdup(F(R_COUNTRY))) ==
	    NULL || (r->office = strdup(F(R_OFFICE))) == NULL || (r->mode = strdup(F(R_MODE))) ==
	    NULL || (r->category = strdup(F(R_CATEGORY))) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
#undef F
}

static int
by_priority(const void *x, const void *y)
{
	const struct rule *a = x, *b = y;

	if (a->serves != b->serves)
		return b->serves - a->serves;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static const char *
config_path(const char *opt, const char *name, char *buf, size_t size)
{
	char dir[4096];

	if (opt != NULL)
		return opt;
	/* beside the trust file's compiled-in default: SYSCONFDIR/impass/ */
	snprintf(dir, sizeof dir, "%s", IMP_TRUST_DEFAULT);
	snprintf(buf, size, "%s/%s", dirname(dir), name);
	return buf;
}

/* A default configuration file missing: say how to name one. */
static int
config_hint(int rc, const char *given, const char *opt, const char *name, struct imp_err *e)
{
	char msg[sizeof e->msg];

	if (rc != EX_NOINPUT || given != NULL)
		return rc;
	snprintf(msg, sizeof msg, "%s", e->msg);
	return imp_fail(e, rc, "%s; give the file with %s FILE (pipelines/%s is the office's "
			"example, impass-csv(5) its columns) or install it there", msg, opt, name);
}

static int
load_config(struct courier *c, struct imp_err *e)
{
	char buf[4200];
	size_t i;
	int rc;

	if ((c->office_index = imp_map_new()) == NULL || (c->group_index = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	c->file = config_path(c->o->offices, "offices.csv", buf, sizeof buf);
	if ((rc = imp_csv_read(c->file, office_row, c, e)) != 0)
		return config_hint(rc, c->o->offices, "--offices", "offices.csv", e);
	if (c->noffices == 0)
		return imp_fail(e, EX_DATAERR, "%s lists no office; every passport would be held",
				c->file);
	c->file = config_path(c->o->couriers, "couriers.csv", buf, sizeof buf);
	if ((rc = imp_csv_read(c->file, rule_row, c, e)) != 0)
		return config_hint(rc, c->o->couriers, "--couriers", "couriers.csv", e);
	for (i = 0; i < c->nrules && !c->rules[i].serves; i++)
		;
	if (i == c->nrules)
		return imp_fail(e, EX_DATAERR, "%s has no rule with serves=yes; every passport "
				"would be held", c->file);
	qsort(c->rules, c->nrules, sizeof *c->rules, by_priority);
	return 0;
}

/* ---- routing ------------------------------------------------------------------ */

static int
rule_matches(const struct rule *r, const struct office *o, int mode, int cls)
{
	return (strcmp(r->country, "*") == 0 || strcmp(r->country, o->country) == 0) &&
	       (strcmp(r->office, "*") == 0 || strcmp(r->office, o->code) == 0) &&
	       (strcmp(r->mode, "*") == 0 || strcmp(r->mode, mode_names[mode]) == 0) &&
	       (strcmp(r->category, "*") == 0 || strcmp(r->category, class_names[cls]) == 0);
}

/* The serves=no rule that keeps courier away from this destination, if any. */
static const struct rule *
exclusion(const struct courier *c, const char *courier, const struct office *o, int mode, int cls)
{
	size_t i;

	for (i = 0; i < c->nrules; i++)
		if (!c->rules[i].serves && strcmp(c->rules[i].courier, courier) == 0 &&
		    rule_matches(&c->rules[i], o, mode, cls))
			return &c->rules[i];
	return NULL;
}

/*
 * The first rule, by priority, that matches and whose courier serves the
 * destination; why (when given) gets the couriers passed over.
 */
static const struct rule *
route(const struct courier *c, const struct office *o, int mode, int cls, struct imp_buf *why)
{
	const struct rule *r, *x;
	size_t i;

	for (i = 0; i < c->nrules && c->rules[i].serves; i++) {
		r = &c->rules[i];
		if (!rule_matches(r, o, mode, cls))
			continue;
		if ((x = exclusion(c, r->courier, o, mode, cls)) == NULL)
			return r;
		if (why != NULL)
			imp_buf_printf(why, "%s%s (line %lu) does not serve it (line %lu)",
				       why->len ? ", " : "", r->courier, r->line, x->line);
	}
	return NULL;
}

/* ---- pass 1: what each record needs, read from its line --------------------------- */

static int
line_value(const char *line, size_t len, const char *name, struct imp_buf *out)
{
	if (imp_line_field(line, len, "normalised", name, out) == 0 && out->len > 0)
		return 0;
	return imp_line_field(line, len, "application", name, out) == 0 && out->len > 0 ? 0 : -1;
}

static void
line_number(const char *line, size_t len, char out[IMP_NUMBER_LEN + 1])
{
	static const char tag[] = "<passport number=\"";
	const char *p = memmem(line, len, tag, sizeof tag - 1);
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += sizeof tag - 1;
	n = (size_t)(line + len - p);
	if (n > IMP_NUMBER_LEN && p[IMP_NUMBER_LEN] == '"' && p[0] >= 'A' && p[0] <= 'Z' &&
	    p[1] >= 'A' && p[1] <= 'Z' && strspn(p + 2, "0123456789") >= IMP_NUMBER_LEN - 2)
		memcpy(out, p, IMP_NUMBER_LEN), out[IMP_NUMBER_LEN] = '\0';
}

static int
scan(void *arg, const char *line, size_t len, struct imp_err *e)
{
	struct courier *c = arg;
	const char *id;
	struct slot *s, *v;
	size_t idlen;
	uint64_t k;
	int status, m, cls;

	if (c->nslots == c->scap) {
		c->scap = c->scap ? 2 * c->scap : 1024;
		if ((v = realloc(c->slots, c->scap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		c->slots = v;
	}
	s = &c->slots[c->nslots++];
	memset(s, 0, sizeof *s);
	s->group = s->office = -1;
	if (imp_record_head(line, len, &id, &idlen, &status) == 0 || status != IMP_OK_STATUS)
		return 0;
	s->ok = 1;
	line_number(line, len, s->number);
	if (s->number[0] == '\0') {
		s->hold = H_NO_PASSPORT;
		return 0;
	}
	m = line_value(line, len, "delivery_mode", &c->a) == 0 ? one_of(c->a.p, mode_names, NMODE) : -1;
	cls = line_value(line, len, "category", &c->a) == 0 ? one_of(c->a.p, class_names, NCLASS) : -1;
	if (m < 0 || cls < 0 || line_value(line, len, "delivery_office", &c->a) != 0) {
		s->hold = H_NO_DATA;
		return 0;
	}
	s->mode = (unsigned char)m;
	s->cls = (unsigned char)cls;
	if (imp_map_get(c->office_index, c->a.p, &k) != 0)
		s->hold = H_UNKNOWN_OFFICE;
	else
		s->office = (int32_t)k;
	return 0;
}

/* ---- consignments: grouped, then numbered in the state database ------------------- */

static int
add_group(struct courier *c, const char *key, const char *courier, const char *dest, int cls,
	  int home, int32_t office, struct imp_err *e)
{
	struct group *g, *v;
	uint64_t old;

	if (c->ngroups == c->gcap) {
		c->gcap = c->gcap ? 2 * c->gcap : 64;
		if ((v = realloc(c->groups, c->gcap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		c->groups = v;
	}
	g = &c->groups[c->ngroups++];
	memset(g, 0, sizeof *g);
	g->cls = cls;
	g->home = home;
	g->office = office;
	imp_merkle_init(&g->members);
	if ((g->key = strdup(key)) == NULL || (g->courier = strdup(courier)) == NULL ||
	    (g->dest = strdup(dest)) == NULL || imp_map_put(c->group_index, key, c->ngroups - 1,
							    &old) < 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static int
group_records(struct courier *c, struct imp_err *e)
{
	const struct office *o;
	const struct rule *r;
	const char *dest;
	unsigned char leaf[IMP_HASH_LEN];
	struct slot *s;
	uint64_t k;
	size_t i;
	int rc;

	for (i = 0; i < c->nslots; i++) {
		s = &c->slots[i];
		if (!s->ok || s->hold != H_NONE)
			continue;
		o = &c->offices[s->office];
		if ((r = route(c, o, s->mode, s->cls, NULL)) == NULL) {
			s->hold = H_NO_ROUTE;
			continue;
		}
		dest = s->mode == HOME ? o->city : o->code;
		imp_buf_reset(&c->b);
		imp_buf_printf(&c->b, "%s|%s|%s|%s", class_names[s->cls], r->courier,
			       s->mode == HOME ? "home" : "office", dest);
		if (c->b.oom)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		if (imp_map_get(c->group_index, c->b.p, &k) != 0) {
			if ((rc = add_group(c, c->b.p, r->courier, dest, s->cls, s->mode == HOME,
					    s->office, e)) != 0)
				return rc;
			k = c->ngroups - 1;
		}
		s->group = (int32_t)k;
		c->groups[k].count++;
		imp_leaf_hash(s->number, IMP_NUMBER_LEN, leaf);
		imp_merkle_add(&c->groups[k].members, leaf);
	}
	return 0;
}

/* The consignments numbered in the journal (again, on a re-run) and
 * their passports dispatched in the ledger, in one transaction. */
static int
number_groups(struct courier *c, const struct imp_batch *in, struct imp_err *e)
{
	struct imp_consignment *con = calloc(c->ngroups ? c->ngroups : 1, sizeof *con);
	const char **pass = calloc(c->nslots ? c->nslots : 1, sizeof *pass);
	unsigned char root[IMP_HASH_LEN];
	size_t i, k, np = 0;
	int rc;

	if (con == NULL || pass == NULL) {
		free(con);
		free(pass);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	for (k = 0; k < c->ngroups; k++) {
		struct group *g = &c->groups[k];

		con[k].key = g->key;
		con[k].courier = g->courier;
		con[k].destination = g->dest;
		con[k].category = class_names[g->cls];
		con[k].count = g->count;
		imp_merkle_root(&g->members, root);
		imp_hex(root, IMP_HASH_LEN, con[k].members);
	}
	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].group >= 0 && c->slots[i].number[0] != '\0')
			pass[np++] = c->slots[i].number;
	rc = imp_courier_number(c->db, in, &c->journal, con, c->ngroups, pass, np, e);
	/* the kept date even when refused: the warning comes before the refusal */
	if (c->o->date != NULL && strcmp(c->o->date, c->journal.date) != 0)
		imp_warn(PROG, c->batch, "--date %s ignored: the batch was first manifested "
			 "on %s and keeps that date", c->o->date, c->journal.date);
	for (k = 0; rc == 0 && k < c->ngroups; k++) {
		memcpy(c->groups[k].number, con[k].number, sizeof con[k].number);
		memcpy(c->groups[k].bundle, con[k].bundle, sizeof con[k].bundle);
		c->groups[k].written = con[k].written;
	}
	free(con);
	free(pass);
	return rc;
}

/* Fast Track first, then urgent, then normal; by courier and destination within. */
static int
by_key(const void *x, const void *y)
{
	const struct group *a = x, *b = y;

	return a->cls != b->cls ? a->cls - b->cls : strcmp(a->key, b->key);
}

static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct courier *c = arg;
	size_t i, k;
	int rc;

	snprintf(c->batch, sizeof c->batch, "%s", in->id);
	if ((rc = group_records(c, e)) != 0)
		return rc;
	qsort(c->groups, c->ngroups, sizeof *c->groups, by_key);
	for (i = 0; i < c->nslots; i++)   /* the groups moved: their indexes again */
		if (c->slots[i].group >= 0)
			c->slots[i].group = -2 - c->slots[i].group;
	for (k = 0; k < c->ngroups; k++)
		imp_map_set(c->group_index, c->groups[k].key, k);
	for (i = 0; i < c->nslots; i++) {
		struct slot *s = &c->slots[i];
		const struct office *o;
		uint64_t g;

		if (s->group > -2)
			continue;
		o = &c->offices[s->office];
		imp_buf_reset(&c->b);
		imp_buf_printf(&c->b, "%s|%s|%s|%s", class_names[s->cls],
			       route(c, o, s->mode, s->cls, NULL)->courier,
			       s->mode == HOME ? "home" : "office", s->mode == HOME ? o->city : o->code);
		if (c->b.oom || imp_map_get(c->group_index, c->b.p, &g) != 0)
			return imp_fail(e, EX_SOFTWARE, "a consignment was lost while sorting");
		s->group = (int32_t)g;
	}
	if ((rc = number_groups(c, in, e)) != 0)
		return rc;
	imp_fault("numbered");
	return 0;
}

/* ---- pass 2: each record into its consignment's manifest ------------------------- */

static const char *
field(struct imp_record *r, const char *name)
{
	const char *v = imp_record_field(r, "normalised", name);

	return v != NULL && *v != '\0' ? v : imp_record_field(r, "application", name);
}

static int
hold(struct courier *c, struct imp_record *r, const struct slot *s)
{
	const char *office = field(r, "delivery_office");
	const struct office *o;

	if (s->hold == H_NO_PASSPORT)
		return imp_record_step(r, PROG, IMP_HELD, "COURIER_NO_PASSPORT", NULL, "the printed "
				       "record has no passport number; nothing can be sent: ask the "
				       "print hall what was printed for it");
	if (s->hold == H_NO_DATA)
		return imp_record_step(r, PROG, IMP_HELD, "COURIER_NO_DATA", NULL, "the record lacks "
				       "a delivery office, a delivery_mode of counter, courier or "
				       "mission, or a category of normal, urgent or fasttrack; correct "
				       "the application, then release the record");
	if (s->hold == H_UNKNOWN_OFFICE)
		return imp_record_step(r, PROG, IMP_HELD, "COURIER_UNKNOWN_OFFICE", NULL, "delivery "
				       "office %s is not in %s; no consignment can go to it: add the "
				       "office (or correct the application), then release the record",
				       office ? office : "", c->o->offices ? c->o->offices :
				       "offices.csv");
	o = &c->offices[s->office];
	imp_buf_reset(&c->b);
	route(c, o, s->mode, s->cls, &c->b);
	return imp_record_step(r, PROG, IMP_HELD, "COURIER_NO_ROUTE", NULL, "no courier takes %s "
			       "passports to %s (%s, %s) for %s delivery%s%s; add a rule to %s, then "
			       "release the record", class_names[s->cls], o->code, o->city,
			       o->country, mode_names[s->mode], c->b.len ? ": " : "",
			       c->b.len ? imp_buf_str(&c->b) : "", c->o->couriers ? c->o->couriers :
			       "couriers.csv");
}

static void
manifest_item(struct courier *c, struct group *g, const char *number, const char *id,
	      const char *name, const char *category, const char *address)
{
	imp_csv_cell(&g->csv, g->number, 1);
	imp_buf_puts(&g->csv, ",");
	imp_csv_cell(&g->csv, number, 1);
	imp_buf_puts(&g->csv, ",");
	imp_csv_cell(&g->csv, id, 1);
	imp_buf_puts(&g->csv, ",");
	imp_csv_cell(&g->csv, name, 1);
	imp_buf_puts(&g->csv, ",");
	imp_csv_cell(&g->csv, g->dest, 1);
	imp_buf_puts(&g->csv, ",");
	imp_csv_cell(&g->csv, category, 1);
	imp_buf_puts(&g->csv, ",");
	imp_csv_cell(&g->csv, g->home && address ? address : "", 1);
	imp_buf_puts(&g->csv, "\n");
	imp_buf_puts(&g->xml, "<item");
	imp_buf_attr(&g->xml, "passport", number);
	imp_buf_attr(&g->xml, "tracking_id", id);
	imp_buf_attr(&g->xml, "name", name);
	imp_buf_attr(&g->xml, "destination", g->dest);
	imp_buf_attr(&g->xml, "category", category);
	if (g->home && address != NULL)
		imp_buf_attr(&g->xml, "address", address);
	imp_buf_puts(&g->xml, "/>\n");
	(void)c;
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct courier *c = arg;
	uint64_t i = imp_record_index(r);
	const char *given, *surname;
	struct group *g;
	struct slot *s;

	if (i >= c->nslots || !c->slots[i].ok)
		return imp_fail(e, EX_SOFTWARE, "record %s was not counted in the first pass",
				imp_record_id(r));
	s = &c->slots[i];
	if (s->group < 0)
		return hold(c, r, s) != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
	g = &c->groups[s->group];
	given = field(r, "given_names");
	surname = field(r, "surname");
	imp_buf_full_name(&c->a, given, surname);
	manifest_item(c, g, s->number, imp_record_id(r), imp_buf_str(&c->a), class_names[s->cls],
		      imp_record_field(r, "application", "address"));
	imp_buf_reset(&c->b);
	imp_buf_puts(&c->b, "<consignment");
	imp_buf_attr(&c->b, "number", g->number);
	imp_buf_attr(&c->b, "courier", g->courier);
	imp_buf_attr(&c->b, "destination", g->dest);
	imp_buf_puts(&c->b, "/>");
	if (c->b.oom || g->csv.oom || g->xml.oom || imp_record_insert(r, c->b.p, c->b.len) != 0 ||
	    imp_record_step(r, PROG, IMP_OK_STATUS, "COURIER_MANIFESTED", NULL, "consignment %s: "
			    "%s to %s%s, %s, %zu passport%s", g->number, g->courier, g->dest,
			    g->home ? " (home delivery)" : "", class_names[g->cls], g->count,
			    g->count == 1 ? "" : "s") != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* ---- the bundles ------------------------------------------------------------------ */

static void
summary_text(struct courier *c, const struct group *g, struct imp_buf *b)
{
	const struct office *o = &c->offices[g->office];

	imp_buf_printf(b, "CONSIGNMENT %s\n\n", g->number);
	imp_buf_printf(b, "Date:             %s\n", c->journal.date);
	imp_buf_printf(b, "Courier:          %s\n", g->courier);
	if (g->home)
		imp_buf_printf(b, "Destination:      %s, %s: home deliveries (addresses in "
			       "manifest.csv)\n", o->city, o->country);
	else
		imp_buf_printf(b, "Destination:      %s, %s, %s, %s\n", o->code, o->name, o->city,
			       o->country);
	imp_buf_printf(b, "Category:         %s%s\n", class_names[g->cls], g->cls == FAST ?
		       " (Fast Track, 48 hours: keep apart)" : g->cls == URGENT ?
		       " (keep apart from normal)" : "");
	imp_buf_printf(b, "Passports:        %zu\n", g->count);
	imp_buf_printf(b, "Printed batch:    %s\n", c->batch);
	imp_buf_printf(b, "Signed by:        %s\n\n", c->keys.signer);
	imp_buf_puts(b, "Count the passports against manifest.csv before sealing the bag.\n\n"
		     "Bag number:                ______________________________\n"
		     "Seal number:               ______________________________\n"
		     "Packed and sealed by:      ______________________________  "
		     "date/time ________________\n"
		     "Handed to the courier:     ______________________________  "
		     "date/time ________________\n"
		     "Received at destination:   ______________________________  "
		     "date/time ________________\n"
		     "Seal intact on receipt:    yes / no    count on receipt: ________\n");
}

static void
manifest_xml(struct courier *c, const struct group *g, struct imp_buf *b)
{
	char count[32];

	snprintf(count, sizeof count, "%zu", g->count);
	imp_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest "
		     "xmlns=\"urn:impass:manifest:1\"");
	imp_buf_attr(b, "consignment", g->number);
	imp_buf_attr(b, "courier", g->courier);
	imp_buf_attr(b, "destination", g->dest);
	imp_buf_attr(b, "date", c->journal.date);
	imp_buf_attr(b, "fasttrack", g->cls == FAST ? "yes" : "no");
	imp_buf_attr(b, "count", count);
	imp_buf_puts(b, ">\n");
	imp_buf_add(b, g->xml.p, g->xml.len);
	imp_buf_puts(b, "</manifest>\n");
}

struct member {
	const char *name;
	const struct imp_buf *data;
};

static int
archive_fail(struct archive *a, const char *path, struct imp_err *e)
{
	return imp_fail(e, EX_IOERR, "cannot write the bundle %s: %s", path,
			archive_error_string(a) ? archive_error_string(a) : "libarchive error");
}

static void
entry_init(struct courier *c, struct archive_entry *en, const char *name, int dir, size_t size)
{
	archive_entry_clear(en);
	archive_entry_set_pathname(en, name);
	archive_entry_set_filetype(en, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(en, dir ? 0700 : 0600);
	archive_entry_set_mtime(en, (time_t)c->journal.mtime, 0);
	archive_entry_set_uname(en, "impass");
	archive_entry_set_gname(en, "impass");
	if (!dir)
		archive_entry_set_size(en, (la_int64_t)size);
}

/* The folder NUMBER/ (0700) and its files (0600), dated by the batch's first run. */
static int
write_archive(struct courier *c, const struct group *g, int fd, const char *path,
	      const struct member *m, size_t n, struct imp_err *e)
{
	struct archive *a = archive_write_new();
	struct archive_entry *en = archive_entry_new();
	char name[256];
	size_t i;
	int rc = 0;

	if (a == NULL || en == NULL) {
		archive_write_free(a);
		archive_entry_free(en);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	if (c->o->zip)
		rc = archive_write_set_format_zip(a);
	else if ((rc = archive_write_set_format_pax_restricted(a)) == ARCHIVE_OK)
		rc = archive_write_add_filter_gzip(a);
	if (rc != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK)
		rc = archive_fail(a, path, e);
	snprintf(name, sizeof name, "%s/", g->number);
	entry_init(c, en, name, 1, 0);
	if (rc == 0 && archive_write_header(a, en) != ARCHIVE_OK)
		rc = archive_fail(a, path, e);
	for (i = 0; rc == 0 && i < n; i++) {
		snprintf(name, sizeof name, "%s/%s", g->number, m[i].name);
		entry_init(c, en, name, 0, m[i].data->len);
		if (archive_write_header(a, en) != ARCHIVE_OK ||
		    archive_write_data(a, m[i].data->p, m[i].data->len) != (la_ssize_t)m[i].data->len)
			rc = archive_fail(a, path, e);
	}
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = archive_fail(a, path, e);
	archive_write_free(a);
	archive_entry_free(en);
	return rc;
}

static int
sums_and_signature(struct courier *c, struct member *m, struct imp_buf *sums, struct imp_buf *sig,
		   struct imp_err *e)
{
	unsigned char h[IMP_HASH_LEN];
	char hex[2 * IMP_HASH_LEN + 1];
	size_t i;

	for (i = 0; i < 3; i++) {
		imp_sha256(m[i].data->p, m[i].data->len, h);
		imp_hex(h, IMP_HASH_LEN, hex);
		imp_buf_printf(sums, "%s  %s\n", hex, m[i].name);
	}
	if (sums->oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	/* the detached binary signature, checked to be the signer's */
	return imp_gpg_sign_detached(c->keys.gpg, c->keys.signer, sums->p, sums->len, sig, e);
}

static int
bundle_path(struct courier *c, const struct group *g, const char *ext, struct imp_buf *p)
{
	imp_buf_reset(p);
	imp_buf_printf(p, "%s/%s%s", c->o->out, g->number, ext);
	return p->oom ? -1 : 0;
}

/* The sha256 of a bundle file (read without following a link), hex. */
static int
file_hash(const char *path, char hex[2 * IMP_HASH_LEN + 1], struct imp_err *e)
{
	unsigned char h[IMP_HASH_LEN];
	struct imp_buf b = { 0 };
	int rc = imp_file_read(AT_FDCWD, path, path, (size_t)1 << 30, &b, e);

	if (rc == 0) {
		imp_sha256(b.p ? b.p : "", b.len, h);
		imp_hex(h, IMP_HASH_LEN, hex);
	}
	imp_buf_free(&b);
	return rc;
}

static int
journal_bundle(struct courier *c, struct group *g, const char *tmp, struct imp_err *e)
{
	int rc;

	if ((rc = file_hash(tmp, g->bundle, e)) != 0)
		return rc < 0 ? imp_fail(e, EX_IOERR, "the bundle %s vanished", tmp) : rc;
	return imp_courier_bundle(c->db, g->number, g->bundle, e);
}

/* The consignment's summary.txt beside its bundle (written after it). */
static int
write_summary(struct courier *c, const struct group *g, struct imp_err *e)
{
	struct imp_buf txt = { 0 }, path = { 0 };
	int rc;

	summary_text(c, g, &txt);
	bundle_path(c, g, ".txt", &path);
	rc = txt.oom || path.oom ? imp_fail(e, EX_SOFTWARE, "out of memory") :
		imp_write_file(path.p, txt.p, txt.len, e);
	imp_buf_free(&txt);
	imp_buf_free(&path);
	return rc;
}

/* One consignment's bundle: tmp file beside, fsync, rename, fsync the folder. */
static int
write_bundle(struct courier *c, struct group *g, struct imp_err *e)
{
	struct imp_buf csv = { 0 }, xml = { 0 }, txt = { 0 }, sums = { 0 }, sig = { 0 }, path = { 0 };
	struct imp_buf tmp = { 0 };
	struct member m[5] = { { "manifest.csv", &csv }, { "manifest.xml", &xml },
			       { "summary.txt", &txt }, { "SHA256SUMS", &sums },
			       { "SHA256SUMS.sig", &sig } };
	int fd = -1, rc;

	imp_buf_puts(&csv, "consignment,passport,tracking_id,name,destination,category,address\n");
	imp_buf_add(&csv, g->csv.p, g->csv.len);
	manifest_xml(c, g, &xml);
	summary_text(c, g, &txt);
	if (csv.oom || xml.oom || txt.oom)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	else
		rc = sums_and_signature(c, m, &sums, &sig, e);
	if (rc == 0) {
		bundle_path(c, g, c->o->zip ? ".zip" : ".tar.gz", &path);
		imp_buf_printf(&tmp, "%s/.%s.XXXXXX", c->o->out, g->number);
		if (path.oom || tmp.oom)
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		else if ((fd = mkostemp(tmp.p, O_CLOEXEC)) < 0)
			rc = imp_fail(e, EX_CANTCREAT, "cannot create a bundle in %s: %s; make the "
				      "folder writable and run again", c->o->out, strerror(errno));
	}
	if (rc == 0)
		rc = write_archive(c, g, fd, path.p, m, 5, e);
	if (rc == 0 && fsync(fd) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write the bundle %s: %s", path.p, strerror(errno));
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = imp_fail(e, EX_IOERR, "cannot write the bundle %s: %s", path.p, strerror(errno));
	/* what it wrote is journalled before the bundle is in place: a later run
	 * knows its own bundles by their hash, not by their name */
	if (rc == 0)
		rc = journal_bundle(c, g, tmp.p, e);
	if (rc == 0 && rename(tmp.p, path.p) != 0)
		rc = imp_fail(e, EX_CANTCREAT, "cannot write the bundle %s: %s", path.p,
			      strerror(errno));
	if (rc != 0 && fd >= 0)
		unlink(tmp.p);
	if (rc == 0)
		imp_sync_dir(path.p);
	/* the summary last: a summary is never out without its bundle */
	if (rc == 0)
		imp_fault("bundle-written");
	if (rc == 0)
		rc = write_summary(c, g, e);
	imp_buf_free(&csv);
	imp_buf_free(&xml);
	imp_buf_free(&txt);
	imp_buf_free(&sums);
	imp_buf_free(&sig);
	imp_buf_free(&path);
	imp_buf_free(&tmp);
	return rc;
}

/* A bundle renamed into place by a run killed before it could say so. */
/*
 * A bundle already in place: 1 when it is the one this consignment's run
 * wrote (its hash journalled), 0 when there is none; a file under its
 * name that it did not write (another database's, planted) is 73.
 */
static int
bundle_exists(struct courier *c, const struct group *g, struct imp_err *e)
{
	static const char *const ext[] = { ".tar.gz", ".zip" };
	char hex[2 * IMP_HASH_LEN + 1];
	struct imp_buf p = { 0 };
	struct stat st;
	int found = 0, rc = 0;
	size_t i;

	for (i = 0; rc == 0 && i < 2; i++) {
		bundle_path(c, g, ext[i], &p);
		if (lstat(imp_buf_str(&p), &st) != 0)
			continue;
		if ((rc = file_hash(imp_buf_str(&p), hex, e)) == 0 && g->bundle[0] != '\0' &&
		    strcmp(hex, g->bundle) == 0)
			found = 1;
		else
			rc = imp_fail(e, EX_CANTCREAT, "%s is in the way of consignment %s of batch "
				      "%s: manifest-courier did not write it (%s); nothing was "
				      "overwritten: move it aside, find out where it came from (a "
				      "state database lost or restored?), and run again",
				      imp_buf_str(&p), g->number, c->batch, rc ? "not a regular file" :
				      g->bundle[0] ? "its sha256 differs from the bundle journalled" :
				      "no bundle of that name was journalled");
	}
	imp_buf_free(&p);
	return rc ? -rc : found;
}

/* What a run killed while writing this consignment left: its temporary files. */
static void
remove_leftovers(struct courier *c, const struct group *g)
{
	struct imp_buf p = { 0 };
	glob_t gl;
	size_t i;

	imp_buf_printf(&p, "%s/.%s.??????", c->o->out, g->number);
	if (!p.oom && glob(p.p, 0, NULL, &gl) == 0) {
		for (i = 0; i < gl.gl_pathc; i++)
			unlink(gl.gl_pathv[i]);
		globfree(&gl);
	}
	imp_buf_reset(&p);
	imp_buf_printf(&p, "%s/%s.txt.??????", c->o->out, g->number);
	if (!p.oom && glob(p.p, 0, NULL, &gl) == 0) {
		for (i = 0; i < gl.gl_pathc; i++)
			unlink(gl.gl_pathv[i]);
		globfree(&gl);
	}
	imp_buf_free(&p);
}

static int
end(void *arg, struct imp_err *e)
{
	struct courier *c = arg;
	struct group *g;
	size_t k;
	int rc = 0;

	if (c->journal.done)
		return 0;
	for (k = 0; k < c->ngroups; k++) {
		g = &c->groups[k];
		if (!g->written && (rc = bundle_exists(c, g, e)) < 0)
			return -rc;
		if (g->written || rc == 1) {
			c->written_before++;
			/* a run killed between the bundle and its summary */
			if (rc == 1 && (rc = write_summary(c, g, e)) != 0)
				return rc;
		} else {
			remove_leftovers(c, g);
			if ((rc = write_bundle(c, g, e)) != 0)
				return rc;
			c->written_now++;
		}
		if (k == c->ngroups / 2)
			imp_fault("half");
		if (!g->written && (rc = imp_courier_written(c->db, g->number, e)) != 0)
			return rc;
	}
	imp_fault("bundles");
	return 0;
}

/* ---- the run --------------------------------------------------------------------- */

static int
out_dir(const char *dir, struct imp_err *e)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return imp_fail(e, EX_CANTCREAT, "cannot create the bundle folder %s: %s", dir,
				strerror(errno));
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return imp_fail(e, EX_CANTCREAT, "the bundle folder %s is not a folder (a link is "
				"not followed): name the folder itself with --out", dir);
	if (st.st_mode & S_IWOTH)
		return imp_fail(e, EX_CANTCREAT, "the bundle folder %s is writable by every "
				"account (mode %04o): chmod o-w it", dir,
				(unsigned)(st.st_mode & 07777));
	if (access(dir, W_OK | X_OK) != 0)
		return imp_fail(e, EX_CANTCREAT, "cannot write bundles in %s: %s; give this user "
				"write access or choose another --out", dir, strerror(errno));
	return 0;
}

static void
courier_free(struct courier *c)
{
	size_t i;

	for (i = 0; i < c->noffices; i++) {
		free(c->offices[i].code);
		free(c->offices[i].name);
		free(c->offices[i].city);
		free(c->offices[i].country);
	}
	free(c->offices);
	for (i = 0; i < c->nrules; i++) {
		free(c->rules[i].courier);
		free(c->rules[i].country);
		free(c->rules[i].office);
		free(c->rules[i].mode);
		free(c->rules[i].category);
	}
	free(c->rules);
	for (i = 0; i < c->ngroups; i++) {
		free(c->groups[i].key);
		free(c->groups[i].courier);
		free(c->groups[i].dest);
		imp_buf_free(&c->groups[i].csv);
		imp_buf_free(&c->groups[i].xml);
	}
	free(c->groups);
	free(c->slots);
	imp_map_free(c->office_index);
	imp_map_free(c->group_index);
	imp_buf_free(&c->a);
	imp_buf_free(&c->b);
	imp_buf_free(&c->line);
	imp_keys_close(&c->keys);
	imp_state_close(c->db);
}

static void
tell(struct courier *c)
{
	size_t passports = 0, k;

	for (k = 0; k < c->ngroups; k++)
		passports += c->groups[k].count;
	if (c->journal.done)
		fprintf(stderr, "%s: %s: manifested before: %zu passports in %zu consignments "
			"(%s .. %s); no bundle written again, the records carry the same numbers\n",
			PROG, c->batch, passports, c->ngroups, c->ngroups ? c->groups[0].number : "-",
			c->ngroups ? c->groups[c->ngroups - 1].number : "-");
	else if (c->written_before > 0)
		fprintf(stderr, "%s: %s: %zu passports in %zu consignments, %zu bundles written to "
			"%s now, %zu by an earlier run that did not finish\n", PROG, c->batch,
			passports, c->ngroups, c->written_now, c->o->out, c->written_before);
	else
		fprintf(stderr, "%s: %s: %zu passports in %zu consignments, %zu bundles written to "
			"%s\n", PROG, c->batch, passports, c->ngroups, c->written_now, c->o->out);
}

static int
run_stage(const struct opts *o, struct imp_run *run, struct imp_err *e)
{
	static const char *const kinds[] = { "printed", NULL };
	struct courier c;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .input_stage = "spool-print",
				.scan = scan, .begin = begin, .record = each, .end = end,
				.arg = &c };
	struct imp_stage_opts so = { .input = o->input, .trust = o->trust, .signer = o->signer };
	struct imp_date today;
	int rc;

	memset(&c, 0, sizeof c);
	c.o = o;
	if (o->date != NULL)
		snprintf(c.journal.date, sizeof c.journal.date, "%s", o->date);
	else if (imp_date_today(&today) == 0)
		imp_date_str(&today, c.journal.date);
	if ((rc = load_config(&c, e)) == 0 &&
	    (rc = imp_keys_open(&c.keys, o->trust, o->signer, PROG, e)) == 0 &&
	    (rc = out_dir(o->out, e)) == 0 &&
	    (rc = imp_courier_open(o->state, 30000, &c.db, e)) == 0)
		rc = imp_stage_run(PROG, &st, &so, run, e);
	if (rc == 0 && fflush(stdout) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write the output: %s; run again: the bundles "
			      "are not written twice", strerror(errno));
	if (rc == 0 && !c.journal.done) {
		imp_fault("sealed");
		rc = imp_courier_done(c.db, c.batch, e);
	}
	if (rc == 0)
		tell(&c);
	courier_free(&c);
	return rc;
}

static void
usage(FILE *f)
{
	fputs("usage: manifest-courier -o DIR [-d YYYY-MM-DD] [-f tar.gz|zip] [--offices FILE]\n"
	      "                        [--couriers FILE] [--state FILE] [-s FPR] [-t FILE] "
	      "[FILE|-]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Group the printed passports into signed courier consignments, one bundle each.\n"
	      "  -o, --out DIR          where the bundles go (made 0700 if missing)\n"
	      "  -d, --date DATE        the consignments' date (default today; a re-run of\n"
	      "                         a batch keeps the date of its first run)\n"
	      "  -f, --format FORMAT    tar.gz (default) or zip\n"
	      "      --offices FILE     offices and missions (default beside the trust\n"
	      "                         file's default: /etc/impass/offices.csv)\n"
	      "      --couriers FILE    routing rules (default /etc/impass/couriers.csv)\n"
	      "      --state FILE       the state database (default $IMPASS_SPOOL/state.db)\n"
	      "  -s, --signer FPR       stage key that signs SHA256SUMS and seals the\n"
	      "                         output (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE       trust file (default $IMPASS_TRUST)\n"
	      "  -h, --help             this text;  --version  the version\n"
	      "See manifest-courier(1).\n", stdout);
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "date", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "offices", required_argument, NULL, 'O' },
		{ "couriers", required_argument, NULL, 'C' },
		{ "state", required_argument, NULL, 'S' },
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct imp_date d;
	int ch;

	while ((ch = getopt_long(argc, argv, "o:d:f:s:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o->out = optarg; break;
		case 'd': o->date = optarg; break;
		case 'f':
			if (strcmp(optarg, "zip") != 0 && strcmp(optarg, "tar.gz") != 0) {
				fprintf(stderr, "%s: --format %s: give tar.gz or zip\n", PROG, optarg);
				return EX_USAGE;
			}
			o->zip = strcmp(optarg, "zip") == 0;
			break;
		case 'O': o->offices = optarg; break;
		case 'C': o->couriers = optarg; break;
		case 'S': o->state = optarg; break;
		case 's': o->signer = optarg; break;
		case 't': o->trust = optarg; break;
		case 'h': help(); exit(0);
		case 'V': puts(PROG " " IMP_VERSION); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	o->input = optind < argc ? argv[optind] : NULL;
	if (argc - optind > 1 || o->out == NULL || *o->out == '\0') {
		if (o->out == NULL || *o->out == '\0')
			fprintf(stderr, "%s: --out DIR is required: where the bundles go\n", PROG);
		usage(stderr);
		return EX_USAGE;
	}
	if (o->date != NULL && (imp_date_iso(o->date, &d) != 0 || strlen(o->date) != 10)) {
		fprintf(stderr, "%s: --date %s is not a date (YYYY-MM-DD)\n", PROG, o->date);
		return EX_USAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct imp_err e = { 0 };
	struct imp_run run;
	int rc;

	memset(&o, 0, sizeof o);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	imp_init(&run);
	return imp_exit(PROG, run.batch, &run, run_stage(&o, &run, &e), &e);
}
