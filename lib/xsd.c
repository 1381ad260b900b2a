/* SPDX-License-Identifier: ISC */
/*
 * The record schema (schemas/impass.xsd), compiled into the library at
 * build time so that a program cannot run with another copy of it, parsed
 * and compiled once per run, and checked against a record already parsed
 * or as a record line is parsed (the way `xmllint --stream --schema` does:
 * the validator's SAX handlers plugged into the parser, no tree).
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "impass.h"

extern const unsigned char imp_schema_xsd[];
extern const unsigned long imp_schema_xsd_len;

struct imp_xsd {
	xmlSchemaPtr schema;
	xmlSchemaValidCtxtPtr valid;
	xmlParserCtxtPtr parser;      /* reused for the lines checked as they are parsed */
	struct imp_buf *why;          /* where the current check's first error goes */
};

static void
first_error(void *arg, xmlErrorPtr err)
{
	struct imp_xsd *x = arg;
	const char *msg = err && err->message ? err->message : "schema error";

	if (x->why == NULL || x->why->len > 0)
		return;
	imp_buf_add(x->why, msg, strcspn(msg, "\n"));
}

int
imp_xsd_open(struct imp_xsd **xp, struct imp_err *e)
{
	xmlSchemaParserCtxtPtr pc;
	struct imp_xsd *x;

	if ((x = *xp = calloc(1, sizeof *x)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	pc = xmlSchemaNewMemParserCtxt((const char *)imp_schema_xsd, (int)imp_schema_xsd_len);
	if (pc != NULL)
		x->schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (x->schema == NULL || (x->valid = xmlSchemaNewValidCtxt(x->schema)) == NULL)
		return imp_fail(e, EX_SOFTWARE, "the compiled-in record schema does not compile");
	if ((x->parser = xmlNewParserCtxt()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	xmlSchemaSetValidStructuredErrors(x->valid, first_error, x);
	return 0;
}

/* 0 when the document is valid; else -1 and the first error in why. */
int
imp_xsd_check(struct imp_xsd *x, struct _xmlDoc *doc, struct imp_buf *why)
{
	int rc;

	imp_buf_reset(why);
	x->why = why;
	rc = xmlSchemaValidateDoc(x->valid, doc);
	x->why = NULL;
	if (rc != 0 && why->len == 0)
		imp_buf_puts(why, "not valid against the record schema");
	return rc == 0 ? 0 : -1;
}

/*
 * The line parsed with the same options as a record's tree, with only the
 * validator's handlers: the parser context's own handlers are set aside
 * while they are plugged in (with none, the plug installs the validator's
 * and hands it the events directly).
 */
int
imp_xsd_check_line(struct imp_xsd *x, const char *line, size_t len, struct imp_buf *why)
{
	xmlParserCtxtPtr p = x->parser;
	xmlSAXHandlerPtr own = p->sax;
	void *data = p->userData;
	xmlSchemaSAXPlugPtr plug;
	int valid, well;

	imp_buf_reset(why);
	if (len > INT32_MAX)
		return 1;
	p->sax = NULL;
	if ((plug = xmlSchemaSAXPlug(x->valid, &p->sax, &p->userData)) == NULL) {
		p->sax = own;
		p->userData = data;
		return 1;
	}
	x->why = why;
	xmlCtxtReadMemory(p, line, (int)len, NULL, NULL, IMP_RECORD_XML_OPTS);
	xmlSchemaSAXUnplug(plug);
	x->why = NULL;
	p->sax = own;
	p->userData = data;
	well = p->wellFormed;
	valid = xmlSchemaIsValid(x->valid);
	if (!well) {
		imp_buf_reset(why);
		return 1;
	}
	if (!valid && why->len == 0)
		imp_buf_puts(why, "not valid against the record schema");
	return valid ? 0 : -1;
}

/*
 * The schema's verdict on the common line without libxml2: a record in the
 * writers' form (the scanner of lib/record.c read it) whose sections are an
 * application or a certificate then the trail, each value and attribute of
 * a kind checked below. 1 when such a line is valid; 0 for anything else,
 * which libxml2 then checks (and names the first error of). libxml2's
 * validator fed by SAX was half of validate's time: about what `xmllint
 * --stream --schema` spends on the whole record, for what is here a walk
 * over the line. Only sound answers matter: a line it cannot tell is valid
 * goes to libxml2, never the other way round (tests/unit.c compares both).
 */
struct tag {                     /* a start tag in the writers' form */
	const char *name, *attrs;    /* attrs: from the first space, if any */
	size_t len, attrs_len;
	int empty;                   /* <name .../> */
};

static const char *const application_fields[] = {
	"tracking_id", "office", "category", "passport_type", "surname", "given_names",
	"father_name", "sex", "date_of_birth", "place_of_birth", "cnic", "nationality",
	"validity_years", "pages", "previous_passport", "delivery_office", "delivery_mode",
	"address", "phone", "photo_sha256", "fee_receipt", "fee_amount", "applied_on", NULL,
};

static const char *const certificate_fields[] = {
	"issued_on", "name", "father_name", "date_of_birth", "place_of_birth", "cnic",
	"previous_nationality", "country", "mission", "remarks", NULL,
};

/* The type text: at most 4096 characters, none of them a control (Cc:
 * U+0000-U+001F, U+007F-U+009F); the text up to '<' or '"', whose end is
 * put in *endp. A character reference other than the predefined entities
 * is left to libxml2. */
static int
quick_text(const char *p, const char *end, int quote, const char **endp)
{
	size_t chars = 0;
	unsigned char c;

	for (; p < end; p++) {
		c = (unsigned char)*p;
		if (c == '<' || (quote && c == quote))
			break;
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && p + 1 < end &&
					       (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f))
			return 0;
		if (c == '&') {
			if (p + 1 < end && p[1] == '#')
				return 0;
			if ((p = memchr(p, ';', (size_t)(end - p))) == NULL)
				return 0;
		}
		chars += (c & 0xc0) != 0x80;
	}
	*endp = p;
	return chars <= 4096;
}

/* The start tag at p ('<'): its name, its attributes (a value may hold '>'
 * or '/'), whether it is empty; 0 for anything else. */
static int
quick_tag(const char *p, const char *end, struct tag *t, const char **next)
{
	const char *q;

	if (end - p < 3 || *p != '<' || p[1] == '/')
		return 0;
	t->name = q = p + 1;
	while (q < end && *q != ' ' && *q != '/' && *q != '>')
		q++;
	t->len = (size_t)(q - t->name);
	t->attrs = q;
	while (q < end && *q == ' ') {
		if ((q = memchr(q, '"', (size_t)(end - q))) == NULL ||
		    (q = memchr(q + 1, '"', (size_t)(end - q - 1))) == NULL)
			return 0;
		q++;
	}
	t->attrs_len = (size_t)(q - t->attrs);
	t->empty = q < end && *q == '/';
	q += t->empty;
	if (q >= end || *q != '>')
		return 0;
	*next = q + 1;
	return t->len > 0;
}

static int
is(const struct tag *t, const char *name)
{
	return strlen(name) == t->len && memcmp(t->name, name, t->len) == 0;
}

/* The end tag of t at *pp. */
static int
quick_end(const struct tag *t, const char **pp, const char *end)
{
	const char *p = *pp;

	if ((size_t)(end - p) < t->len + 3 || p[0] != '<' || p[1] != '/' ||
	    memcmp(p + 2, t->name, t->len) != 0 || p[t->len + 2] != '>')
		return 0;
	*pp = p + t->len + 3;
	return 1;
}

/* A simple element's text and end tag, from *pp (after its start tag). */
static int
quick_value(const struct tag *t, const char **pp, const char *end)
{
	return t->empty || (quick_text(*pp, end, 0, pp) && quick_end(t, pp, end));
}

/* The pattern [a-z][a-z\-]{0,31} (stage), [A-Z][A-Z0-9_]{0,63} (code). */
static int
quick_word(const char *v, size_t n, int code)
{
	size_t i;

	if (n == 0 || n > (code ? 64 : 32) || !(code ? v[0] >= 'A' && v[0] <= 'Z' :
						 v[0] >= 'a' && v[0] <= 'z'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(code ? (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
			     v[i] == '_' : (v[i] >= 'a' && v[i] <= 'z') || v[i] == '-'))
			return 0;
	return 1;
}

/*
 * The attributes of t: each one of names (text), or for a step stage,
 * result and code, which it must have. The scanner let through only
 * name="value" after one space, each name once.
 */
static int
quick_attrs(const struct tag *t, const char *const *names, int step)
{
	const char *p = t->attrs, *end = t->attrs + t->attrs_len, *v, *vend, *eq;
	int i, seen = 0;

	while (p < end) {
		if (*p++ != ' ' || (eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    eq + 1 >= end || eq[1] != '"')
			return 0;
		v = eq + 2;
		if ((vend = memchr(v, '"', (size_t)(end - v))) == NULL)
			return 0;
		for (i = 0; names[i] != NULL; i++)
			if (strlen(names[i]) == (size_t)(eq - p) &&
			    memcmp(names[i], p, (size_t)(eq - p)) == 0)
				break;
		if (names[i] == NULL)
			return 0;
		if (step && i < 3) {
			seen |= 1 << i;
			if (i == 1 ? !((vend - v == 2 && memcmp(v, "ok", 2) == 0) ||
				       (vend - v == 4 && memcmp(v, "held", 4) == 0) ||
				       (vend - v == 8 && memcmp(v, "rejected", 8) == 0)) :
			    !quick_word(v, (size_t)(vend - v), i == 2))
				return 0;
		} else if (!quick_text(v, vend, '"', &v) || v != vend) {
			return 0;
		}
		p = vend + 1;
	}
	return !step || seen == 7;
}

/* A section whose children are simple elements named in fields, in that
 * order, each at most once. */
static int
quick_section(const struct tag *s, const char *const *fields, const char **pp,
	      const char *end)
{
	static const char *const none[] = { NULL };
	const char *p = *pp;
	struct tag t;
	size_t i = 0;

	if (s->empty)
		return 1;
	while (quick_tag(p, end, &t, &p)) {
		for (; fields[i] != NULL && !is(&t, fields[i]); i++)
			;
		if (fields[i++] == NULL || !quick_attrs(&t, none, 0) || !quick_value(&t, &p, end))
			return 0;
	}
	*pp = p;
	return quick_end(s, pp, end);
}

int
imp_xsd_quick(const char *line, size_t len)
{
	static const char *const none[] = { NULL }, *const cert[] = { "register", "number", NULL },
		*const step[] = { "stage", "result", "code", "list", "entry", "other", NULL };
	const char *p, *id, *end = line + len;
	size_t idlen;
	struct tag t;
	int head, status, cert_sec;

	if ((head = imp_record_head(line, len, &id, &idlen, &status)) == 0 ||
	    !quick_text(id, end, '"', &p) || p != id + idlen)
		return 0;
	if (!quick_tag(line + head, end, &t, &p))
		return 0;
	cert_sec = is(&t, "certificate");
	if ((!cert_sec && !is(&t, "application")) || !quick_attrs(&t, cert_sec ? cert : none, 0) ||
	    !quick_section(&t, cert_sec ? certificate_fields : application_fields, &p, end))
		return 0;
	if (!quick_tag(p, end, &t, &p) || !is(&t, "trail") || !quick_attrs(&t, none, 0))
		return 0;
	if (!t.empty) {
		struct tag s;

		while (quick_tag(p, end, &s, &p))
			if (!is(&s, "step") || !quick_attrs(&s, step, 1) || !quick_value(&s, &p, end))
				return 0;
		if (!quick_end(&t, &p, end))
			return 0;
	}
	return (size_t)(end - p) == sizeof "</record>" - 1 && memcmp(p, "</record>", 9) == 0;
}

void
imp_xsd_close(struct imp_xsd *x)
{
	if (x == NULL)
		return;
	xmlFreeParserCtxt(x->parser);
	xmlSchemaFreeValidCtxt(x->valid);
	xmlSchemaFree(x->schema);
	free(x);
}
