/* SPDX-License-Identifier: ISC */
/*
 * The field rules of SPEC 5.1 and 5.3, with the record schema: what
 * validate does to every ok record, and what review checks a corrected
 * value against. The checked values are written, normalised, beside the
 * values as entered, in <normalised>; the verdict is one validate step.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "impass.h"

#define STAGE "validate"
#define NCOL 32

struct imp_rules {
	const struct imp_format *fmt;
	struct imp_date today;
	char today_s[11];
	struct imp_xsd *xsd;
	struct imp_map *ids;
	char *v[NCOL];                /* trimmed values by column, NULL when absent */
	struct imp_buf val[NCOL];
	struct imp_buf norm, tmp, why;
	struct imp_verdict p;
	int day_first;                /* --dates day-first: the registers' convention */
	int oom;
};

/* ---- values -------------------------------------------------------------- */

static int
column(const struct imp_format *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->ncolumns; i++)
		if (f->columns[i][0] == name[0] && strcmp(f->columns[i], name) == 0)
			return (int)i;
	return -1;
}

static void
set_value(struct imp_rules *va, int i, const char *s)
{
	const char *end;

	if (i < 0 || i >= NCOL || s == NULL)
		return;
	s += strspn(s, " ");
	for (end = s + strlen(s); end > s && end[-1] == ' '; end--)
		;
	if (end == s)
		return;
	imp_buf_reset(&va->val[i]);
	imp_buf_add(&va->val[i], s, (size_t)(end - s));
	va->v[i] = va->val[i].p;
}

static void
table_value(void *arg, const char *name, const char *value)
{
	struct imp_rules *va = arg;

	set_value(va, column(va->fmt, name), value);
}

/* The record's values by column, trimmed; blank ones count as absent. */
static void
load_values(struct imp_rules *va, struct imp_record *r)
{
	const struct imp_format *f = va->fmt;
	xmlNodePtr sec, c;
	size_t j;

	memset(va->v, 0, sizeof va->v);
	if (imp_record_plain(r)) {        /* no tree: the same values from the table */
		imp_record_each_field(r, f->section, table_value, va);
		for (j = 0; j < f->nattrs; j++)
			set_value(va, (int)j, imp_record_attr(r, f->section, f->attrs[j]));
		return;
	}
	sec = imp_record_root(r);
	for (sec = sec ? sec->children : NULL; sec != NULL; sec = sec->next)
		if (sec->type == XML_ELEMENT_NODE && strcmp((char *)sec->name, f->section) == 0)
			break;
	if (sec == NULL)
		return;
	for (c = sec->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->children != NULL &&
		    c->children->type == XML_TEXT_NODE)
			set_value(va, column(f, (const char *)c->name),
				  (const char *)c->children->content);
	for (j = 0; j < f->nattrs; j++)
		set_value(va, (int)j, imp_record_attr(r, f->section, f->attrs[j]));
}

static char *
val(const struct imp_rules *va, const char *col)
{
	int i = column(va->fmt, col);

	return i >= 0 ? va->v[i] : NULL;
}

static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void
norm(struct imp_rules *va, const char *name, const char *value)
{
	imp_buf_elem(&va->norm, name, value, strlen(value));
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)toupper((unsigned char)*s);
}

static int
all_of(const char *s, const char *set, size_t min, size_t max)
{
	size_t n = strspn(s, set);

	return s[n] == '\0' && n >= min && n <= max;
}

/* ---- rules shared by both kinds -------------------------------------------- */

struct limit {
	const char *col;
	size_t max;
};

static const struct limit limits[] = {
	{ "tracking_id", 24 }, { "surname", 100 }, { "given_names", 100 },
	{ "father_name", 100 }, { "name", 150 }, { "place_of_birth", 64 },
	{ "address", 300 }, { "phone", 24 }, { "fee_receipt", 32 }, { "fee_amount", 12 },
	{ "previous_passport", 16 }, { "certificate_no", 64 }, { "country", 64 },
	{ "previous_nationality", 64 }, { "mission", 64 }, { "remarks", 1000 },
};

static void
check_lengths(struct imp_rules *va)
{
	const char *v;
	size_t i;

	for (i = 0; i < sizeof limits / sizeof *limits; i++)
		if ((v = val(va, limits[i].col)) != NULL && chars(v) > limits[i].max)
			imp_verdict_add(&va->p, IMP_REJECTED, "FIELD_TOO_LONG", "%s has %zu characters, more "
				"than the %zu allowed", limits[i].col, chars(v), limits[i].max);
}

static void
require(struct imp_rules *va, const char *const *cols)
{
	for (; *cols != NULL; cols++)
		if (val(va, *cols) == NULL)
			imp_verdict_add(&va->p, IMP_REJECTED, "FIELD_MISSING", "%s is empty; it is required",
				*cols);
}

/* A name, if given: normalised into norm as elem; 1 when it has letters. */
static int
check_name_as(struct imp_rules *va, const char *col, const char *elem)
{
	const char *v = val(va, col);
	uint32_t bad = 0;
	int rc;

	if (v == NULL)
		return 0;
	rc = imp_name_normalise(v, &va->tmp, &bad);
	if (rc == IMP_NAME_DIGIT)
		imp_verdict_add(&va->p, IMP_REJECTED, "NAME_DIGITS", "%s '%s' holds the digit %c; a name "
			"has letters only", col, v, (char)bad);
	else if (rc == IMP_NAME_SCRIPT)
		imp_verdict_add(&va->p, IMP_REJECTED, "NAME_SCRIPT", "%s '%s' holds U+%04X, %s; enter the "
			"name in Latin letters as on the applicant's documents", col, v,
			(unsigned)bad, imp_script_name(bad));
	else if (va->tmp.len == 0)
		imp_verdict_add(&va->p, IMP_REJECTED, "NAME_MISSING", "%s '%s' has no letters", col, v);
	else
		norm(va, elem, imp_buf_str(&va->tmp));
	return rc == 0 && va->tmp.len > 0;
}

static int
check_name(struct imp_rules *va, const char *col)
{
	return check_name_as(va, col, col);
}

/* 13 digits, or 5-7-1 with dashes; the digits in out. */
/*
 * A number of n digits written plain or with dashes at d1 and d2 (in the
 * dashed form): its digits in out (n + 1 bytes). The CNIC is 13 digits,
 * 35202-1234567-1; the old NIC of the certificates from before the CNIC
 * 11, 657-80-291030.
 */
static int
grouped_digits(const char *s, size_t n, size_t d1, size_t d2, char *out)
{
	size_t i, k = 0, len = strlen(s);

	if (len != n && (len != n + 2 || s[d1] != '-' || s[d2] != '-'))
		return -1;
	for (i = 0; i < len; i++) {
		if (len == n + 2 && (i == d1 || i == d2))
			continue;
		if (!isdigit((unsigned char)s[i]))
			return -1;
		out[k++] = s[i];
	}
	out[k] = '\0';
	return 0;
}

static int
cnic_digits(const char *s, char out[14])
{
	return grouped_digits(s, 13, 5, 13, out);
}

static int
old_nic_digits(const char *s, char out[12])
{
	return grouped_digits(s, 11, 3, 6, out);
}

/* With old_nic (certificates), an old NIC is kept as old_nic, the CNIC left empty. */
static void
check_cnic(struct imp_rules *va, const char *sex, int old_nic)
{
	const char *v = val(va, "cnic");
	char digits[14];
	int odd;

	if (v == NULL)
		return;
	if (old_nic && old_nic_digits(v, digits) == 0) {
		norm(va, "old_nic", digits);
		return;
	}
	if (cnic_digits(v, digits) != 0) {
		imp_verdict_add(&va->p, IMP_REJECTED, "CNIC_FORMAT", "cnic '%s' is not 13 digits (written "
			"1234512345671 or 12345-1234567-1)%s", v, old_nic ? ", nor an old NIC of 11 "
			"digits (657-80-291030)" : "");
		return;
	}
	odd = (digits[12] - '0') % 2;
	if (sex != NULL && ((strcmp(sex, "M") == 0 && !odd) || (strcmp(sex, "F") == 0 && odd)))
		imp_verdict_add(&va->p, IMP_REJECTED, "CNIC_SEX_MISMATCH", "cnic %s ends in %s digit but sex "
			"is %s; the last digit is odd for men and even for women: check both",
			digits, odd ? "an odd" : "an even", sex);
	norm(va, "cnic", digits);
}

/* ---- applications ----------------------------------------------------------- */

struct choice {
	const char *col;
	const char *values;           /* space separated */
	int upper;
};

static const struct choice choices[] = {
	{ "category", "normal urgent fasttrack", 0 },
	{ "passport_type", "ordinary official diplomatic", 0 },
	{ "sex", "M F X", 1 },
	{ "nationality", "PAK", 1 },
	{ "validity_years", "5 10", 0 },
	{ "pages", "36 72 100", 0 },
	{ "delivery_mode", "counter courier mission", 0 },
};

static int
one_of(const char *v, const char *values)
{
	size_t n = strlen(v);
	const char *p;

	if (n == 0 || strchr(v, ' ') != NULL)
		return 0;
	for (p = values; (p = strstr(p, v)) != NULL; p += n)
		if ((p == values || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The enumerations, case folded; the value in normal form, or NULL. */
static const char *
check_choice(struct imp_rules *va, const struct choice *c)
{
	char *v = val(va, c->col);
	size_t i;

	if (v == NULL)
		return NULL;
	imp_buf_reset(&va->tmp);
	imp_buf_puts(&va->tmp, v);                /* as entered, for the message */
	for (i = 0; v[i] != '\0'; i++)
		v[i] = (char)(c->upper ? toupper((unsigned char)v[i]) : tolower((unsigned char)v[i]));
	if (!one_of(v, c->values)) {
		imp_verdict_add(&va->p, IMP_REJECTED, "VALUE_INVALID", "%s '%s' is not one of: %s", c->col,
			imp_buf_str(&va->tmp), c->values);
		return NULL;
	}
	if (strcmp(c->col, "nationality") != 0)
		norm(va, c->col, v);
	return v;
}

static void
check_office(struct imp_rules *va, const char *col)
{
	char *v = val(va, col);

	if (v == NULL)
		return;
	upper(v);
	if (!all_of(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 2, 12))
		imp_verdict_add(&va->p, IMP_REJECTED, "OFFICE_FORMAT", "%s '%s' is not an office code of 2 "
			"to 12 letters, digits and dashes", col, v);
	else
		norm(va, col, v);
}

static void
check_tracking_id(struct imp_rules *va, struct imp_record *r)
{
	const char *id = imp_record_id(r);
	uint64_t first;

	if (!all_of(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 1, 24))
		imp_verdict_add(&va->p, IMP_REJECTED, "TRACKING_ID_FORMAT", "tracking_id '%s' is not 1 to 24 "
			"capital letters, digits and dashes", id);
	switch (imp_map_put(va->ids, id, imp_record_index(r) + 1, &first)) {
	case 1:
		imp_verdict_add(&va->p, IMP_REJECTED, "TRACKING_ID_DUPLICATE", "tracking_id %s was already "
			"used by record %" PRIu64 " of this batch; one application, one tracking "
			"id", id, first);
		break;
	case -1:
		va->oom = 1;
	}
}

static void
check_dates(struct imp_rules *va)
{
	const char *dob = val(va, "date_of_birth"), *app = val(va, "applied_on");
	struct imp_date b, a, early = { 1890, 1, 1 };
	int have_b = 0, have_a = 0;
	char s[11];

	if (dob != NULL && imp_date_partial(dob, &b) != 0)
		imp_verdict_add(&va->p, IMP_REJECTED, "DATE_INVALID", "date_of_birth '%s' is not a real date "
			"written YYYY-MM-DD (or YYYY-MM, YYYY when only that is known)", dob);
	else if (dob != NULL && imp_date_cmp(&b, &va->today) > 0)
		imp_verdict_add(&va->p, IMP_REJECTED, "DOB_FUTURE", "date_of_birth %s is after today, %s", dob,
			va->today_s);
	else if (dob != NULL && b.y < early.y)
		imp_verdict_add(&va->p, IMP_REJECTED, "DOB_TOO_EARLY", "date_of_birth %s is before 1890", dob);
	else if (dob != NULL)
		have_b = 1;
	if (app != NULL && imp_date_iso(app, &a) != 0)
		imp_verdict_add(&va->p, IMP_REJECTED, "DATE_INVALID", "applied_on '%s' is not a real date "
			"written YYYY-MM-DD", app);
	else if (app != NULL && imp_date_cmp(&a, &va->today) > 0)
		imp_verdict_add(&va->p, IMP_REJECTED, "APPLIED_FUTURE", "applied_on %s is after today, %s", app,
			va->today_s);
	else if (app != NULL)
		have_a = 1;
	if (have_a && have_b && imp_date_cmp(&b, &a) > 0)
		imp_verdict_add(&va->p, IMP_REJECTED, "DATE_ORDER", "date_of_birth %s is after applied_on %s",
			dob, app);
	if (have_b) {
		imp_date_str(&b, s);
		norm(va, "date_of_birth", s);
	}
	if (have_a)
		norm(va, "applied_on", app);
}

static void
check_photo(struct imp_rules *va)
{
	char *v = val(va, "photo_sha256");
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != '\0'; i++)
		v[i] = (char)tolower((unsigned char)v[i]);
	if (!all_of(v, "0123456789abcdef", 64, 64))
		imp_verdict_add(&va->p, IMP_REJECTED, "PHOTO_HASH", "photo_sha256 '%s' is not 64 hex digits",
			v);
	else if (imp_photo_placeholder(v))
		imp_verdict_add(&va->p, IMP_REJECTED, "PHOTO_EMPTY", "photo_sha256 is the hash of an empty "
			"file: the photo is missing; capture it again");
}

static void
check_previous(struct imp_rules *va)
{
	const char *v = val(va, "previous_passport");
	char pp[17];
	size_t k = 0;

	if (v == NULL)
		return;
	for (; *v != '\0' && k < sizeof pp - 1; v++)
		if (*v != ' ' && *v != '-')
			pp[k++] = (char)toupper((unsigned char)*v);
	pp[k] = '\0';
	if (k == 9 && isupper((unsigned char)pp[0]) && isupper((unsigned char)pp[1]) &&
	    all_of(pp + 2, "0123456789", 7, 7))
		norm(va, "previous_passport", pp);
	else
		imp_verdict_add(&va->p, IMP_HELD, "PREVIOUS_PASSPORT_FORMAT", "previous_passport '%s' is not "
			"two letters and seven digits; check the old passport",
			val(va, "previous_passport"));
}

static void
check_contact(struct imp_rules *va, const char *mode, const char *type)
{
	int gratis = type != NULL && strcmp(type, "ordinary") != 0;
	const char *phone = val(va, "phone"), *fee = val(va, "fee_amount"), *p;
	size_t ndigits = 0;

	if (mode != NULL && strcmp(mode, "courier") == 0 && val(va, "address") == NULL)
		imp_verdict_add(&va->p, IMP_REJECTED, "ADDRESS_MISSING", "delivery_mode is courier but the "
			"address is empty");
	for (p = phone; p != NULL && *p != '\0'; p++)
		ndigits += isdigit((unsigned char)*p) != 0;
	if (phone != NULL && (!all_of(phone, "0123456789 +-()", 1, 24) || ndigits < 7 ||
			      ndigits > 15))
		imp_verdict_add(&va->p, IMP_REJECTED, "PHONE_FORMAT", "phone '%s' is not a telephone number "
			"of 7 to 15 digits", phone);
	/* official and diplomatic passports are gratis: their fee may be 0 */
	if (fee != NULL && (!all_of(fee, "0123456789", 1, 7) || (atol(fee) < 1 && !gratis)))
		imp_verdict_add(&va->p, IMP_REJECTED, "FEE_INVALID", "fee_amount '%s' is not a whole number "
			"of rupees from %d to 9999999", fee, gratis ? 0 : 1);
	if (type != NULL && strcmp(type, "ordinary") == 0 && (fee == NULL ||
							      val(va, "fee_receipt") == NULL))
		imp_verdict_add(&va->p, IMP_REJECTED, "FEE_MISSING", "%s empty; an ordinary passport needs "
			"fee_receipt and fee_amount", fee == NULL && val(va, "fee_receipt") == NULL ?
			"fee_receipt and fee_amount are" : fee == NULL ? "fee_amount is" :
			"fee_receipt is");
}

static void
check_application(struct imp_rules *va, struct imp_record *r)
{
	static const char *const required[] = {
		"office", "category", "passport_type", "father_name", "sex", "date_of_birth",
		"place_of_birth", "cnic", "nationality", "validity_years", "pages",
		"delivery_office", "delivery_mode", "photo_sha256", "applied_on", NULL,
	};
	const char *sex, *mode, *type;
	size_t i;

	check_tracking_id(va, r);
	require(va, required);
	check_lengths(va);
	for (i = 0, sex = mode = type = NULL; i < sizeof choices / sizeof *choices; i++) {
		const char *v = check_choice(va, &choices[i]);
		if (strcmp(choices[i].col, "sex") == 0)
			sex = v;
		else if (strcmp(choices[i].col, "delivery_mode") == 0)
			mode = v;
		else if (strcmp(choices[i].col, "passport_type") == 0)
			type = v;
	}
	check_office(va, "office");
	check_office(va, "delivery_office");
	check_name(va, "surname");
	check_name(va, "given_names");
	if (val(va, "surname") == NULL && val(va, "given_names") == NULL)
		imp_verdict_add(&va->p, IMP_REJECTED, "NAME_MISSING", "surname and given_names are both "
			"empty; one of them is required");
	check_name(va, "father_name");
	check_cnic(va, sex, 0);
	check_dates(va);
	check_photo(va);
	check_previous(va);
	check_contact(va, mode, type);
}

/* ---- citizenship certificates ------------------------------------------------ */

/* A date typed from paper within [lo, hi]; 1 with *out when it was read. */
static int
check_messy_date(struct imp_rules *va, const char *col, const struct imp_date *lo,
		 const struct imp_date *hi, struct imp_date *out)
{
	static const struct {
		int result;
		const char *code, *hint;
	} verdicts[] = {
		[IMP_DATE_AMBIGUOUS] = { IMP_HELD, "DATE_AMBIGUOUS",
					 "read the paper register and enter it as YYYY-MM-DD" },
		[IMP_DATE_INVALID] = { IMP_REJECTED, "DATE_INVALID", "correct the date" },
		[IMP_DATE_UNREADABLE] = { IMP_HELD, "DATE_UNREADABLE",
					  "read the paper register and enter it as YYYY-MM-DD" },
		[IMP_DATE_RANGE] = { IMP_REJECTED, "DATE_RANGE", "correct the date" },
		[IMP_DATE_NOT_DAY_FIRST] = { IMP_HELD, "DATE_NOT_DAY_FIRST",
					     "read the paper register and enter it as YYYY-MM-DD" },
	};
	const char *v = val(va, col);
	char s[11];
	int rc;

	if (v == NULL)
		return 0;
	rc = imp_date_messy(v, (strcmp(col, "date_of_birth") == 0 ? IMP_DATE_PARTIAL : 0) |
			    (va->day_first ? IMP_DATE_DAY_FIRST : 0), lo, hi, out, &va->why);
	if (rc == IMP_DATE_OK) {
		imp_date_str(out, s);
		norm(va, col, s);
		return 1;
	}
	imp_verdict_add(&va->p, verdicts[rc].result, verdicts[rc].code, "%s %s; %s", col,
		imp_buf_str(&va->why), verdicts[rc].hint);
	return 0;
}

/*
 * The father's name of a register row, with the relation typed before it
 * (S/O, D/O, SON OF ...) taken off; W/O names the husband: spouse_name.
 */
static void
check_relative(struct imp_rules *va)
{
	int i = column(va->fmt, "father_name");
	const char *v = val(va, "father_name");
	size_t skip;
	int rel;

	if (v == NULL || (rel = imp_name_relation(v, &skip)) == IMP_REL_NONE) {
		check_name(va, "father_name");
		return;
	}
	va->v[i] += skip;
	check_name_as(va, "father_name", rel == IMP_REL_WIFE ? "spouse_name" : "father_name");
}

static void
check_certificate(struct imp_rules *va)
{
	static const char *const required[] = { "register", "certificate_no", "issued_on",
						"name", NULL };
	struct imp_date issued, dob, first = { 1951, 1, 1 }, early = { 1890, 1, 1 };
	char *reg = val(va, "register");
	int have_issued;

	require(va, required);
	if (reg != NULL) {
		imp_buf_reset(&va->tmp);
		imp_buf_puts(&va->tmp, reg);
		upper(reg);
		if (one_of(reg, "PCC NC RC"))
			norm(va, "register", reg);
		else
			imp_verdict_add(&va->p, IMP_REJECTED, "REGISTER_INVALID", "register '%s' is not PCC, NC "
				"or RC", imp_buf_str(&va->tmp));
	}
	check_lengths(va);
	check_name(va, "name");
	check_relative(va);
	check_cnic(va, NULL, 1);
	have_issued = check_messy_date(va, "issued_on", &first, &va->today, &issued);
	check_messy_date(va, "date_of_birth", &early, have_issued ? &issued : &va->today, &dob);
}

/* ---- the rules of one batch ----------------------------------------------- */

/* The rules for records of kind; today: the date they count from; with
 * day_first, certificates' dates read day first (IMP_DATE_DAY_FIRST). */
int
imp_rules_open(struct imp_rules **out, const char *kind, const struct imp_date *today,
	       int day_first, struct imp_err *e)
{
	struct imp_rules *va;
	int rc;

	*out = NULL;
	if ((va = calloc(1, sizeof *va)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((va->fmt = imp_format_for(kind)) == NULL || strcmp(kind, "printed") == 0) {
		free(va);
		return imp_fail(e, EX_DATAERR, "no field rules for records of kind %s", kind);
	}
	va->today = *today;
	imp_date_str(&va->today, va->today_s);
	va->day_first = day_first;
	if ((va->ids = imp_map_new()) == NULL) {
		free(va);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	if ((rc = imp_xsd_open(&va->xsd, e)) != 0) {
		imp_rules_close(va);
		return rc;
	}
	*out = va;
	return 0;
}

/* Checks one ok record: its <normalised> inserted and the validate step appended. */
int
imp_rules_check(struct imp_rules *va, struct imp_record *r, struct imp_err *e)
{
	xmlNodePtr root;
	const char *line;
	size_t len;
	int rc = 1;

	imp_verdict_reset(&va->p);
	imp_buf_reset(&va->norm);
	/* a line in the writers' form is checked by a walk over it when it has
	 * the sections validate reads, else as libxml2 parses it, without a
	 * tree (a third of validate's time was making and walking one) */
	if (imp_record_plain(r)) {
		imp_record_line(r, &line, &len);
		rc = imp_xsd_quick(line, len) ? 0 : imp_xsd_check_line(va->xsd, line, len, &va->why);
	}
	if (rc > 0) {
		if ((root = imp_record_root(r)) == NULL)
			return 0;              /* the loop reports the parse error */
		rc = imp_xsd_check(va->xsd, root->doc, &va->why);
	}
	if (rc != 0)
		return imp_record_step(r, STAGE, IMP_REJECTED, "RECORD_SCHEMA", NULL, "the record "
				       "does not follow schemas/impass.xsd: %s", imp_buf_str(&va->why));
	load_values(va, r);
	if (va->fmt->nattrs == 0)
		check_application(va, r);
	else
		check_certificate(va);
	if (va->oom || va->norm.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (va->p.result != IMP_REJECTED && va->norm.len > 0) {
		imp_buf_insert(&va->norm, 0, "<normalised>", 12);
		imp_buf_puts(&va->norm, "</normalised>");
		imp_record_insert(r, va->norm.p, va->norm.len);
	}
	if (imp_verdict_step(&va->p, r, STAGE, "VALIDATE_OK", va->day_first && va->fmt->nattrs ?
			     "every field valid; dates read day first, as the register is "
			     "written" : "every field valid", NULL) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

void
imp_rules_close(struct imp_rules *va)
{
	size_t i;

	if (va == NULL)
		return;
	imp_xsd_close(va->xsd);
	imp_map_free(va->ids);
	for (i = 0; i < NCOL; i++)
		imp_buf_free(&va->val[i]);
	imp_buf_free(&va->norm);
	imp_buf_free(&va->tmp);
	imp_buf_free(&va->why);
	imp_verdict_free(&va->p);
	free(va);
}
