/* SPDX-License-Identifier: ISC */
/*
 * One record line. It is parsed only when a field is asked for: fields
 * into a table by a scanner of the writers' form (or a SAX pass, with a
 * reused parser context, for any other line), the tree only for a stage
 * that asks for it; a stage that only annotates a record
 * splices its step and status into the line instead of serialising it again.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "impass.h"

#define XML_OPTS IMP_RECORD_XML_OPTS
#define TRAIL_END "</trail></record>"

struct entry {                   /* a section, one of its fields or attributes */
	int kind, section;           /* section: the entry of the section */
	size_t name, value;          /* offsets in text */
	size_t at;                   /* a field's '<' in the line (the scanner's) */
};

enum { SECTION, FIELD, ATTR };

struct imp_record {
	const char *line;
	size_t len;
	struct imp_buf work;         /* the changed line, once a step was spliced in */
	int changed;
	struct imp_buf id;
	int status;
	size_t status_at;            /* offset of the status value in the line */
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlChar *copies[8];          /* field texts that had to be copied */
	int ncopies;
	/* the fields and section attributes, read without a tree (below) */
	xmlParserCtxtPtr sax;
	struct imp_buf text;         /* their names and values, NUL-terminated */
	struct entry *ent;
	size_t nent, capent;
	int read;                    /* 1: the table holds the record; -1: it could not */
	int deep;                    /* the scanner met an element inside a field */
	struct imp_buf verdict;      /* the table's verdict: stage and code, */
	long verdict_at[2];          /* at these offsets (-1: absent), */
	size_t verdict_text;         /* its text in text; */
	int verdict_read;            /* read once per record: 1 found, -1 none */
	int depth, section, doctype;
	struct imp_err err;          /* first error met by a lazy accessor */
	uint64_t index;              /* position in the batch, from 0, when known */
};

static void
silent(void *ctx, xmlErrorPtr error)
{
	(void)ctx;
	(void)error;
}

void
imp_xml_init(void)
{
	xmlInitParser();
	LIBXML_TEST_VERSION
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)silent);
}

void
imp_xml_done(void)
{
	xmlCleanupParser();
}

/*
 * Reading fields without a tree. A stage that only reads fields gets them
 * from one SAX pass into a table (sections, their attributes, the text of
 * their child elements): building and freeing a libxml2 tree cost as much
 * again as the parse itself. The parse is the same (same options, same
 * checks of well-formedness); a record the pass cannot read (not
 * well-formed, a DOCTYPE) is parsed into a tree, which gives the error.
 * A stage that asked for the tree reads fields from it.
 */
static struct imp_record *reading;   /* the record of the SAX pass under way */

static void
add_entry(struct imp_record *r, int kind, const char *name, size_t len)
{
	struct entry *e;

	if (r->nent == r->capent) {
		r->capent = r->capent ? 2 * r->capent : 32;
		if ((e = realloc(r->ent, r->capent * sizeof *e)) == NULL) {
			r->text.oom = 1;
			r->capent = r->nent;
			return;
		}
		r->ent = e;
	}
	e = &r->ent[r->nent++];
	e->kind = kind;
	e->section = kind == SECTION ? (int)r->nent - 1 : r->section;
	e->name = r->text.len;
	imp_buf_add(&r->text, name, len);
	imp_buf_add(&r->text, "", 1);
	e->value = r->text.len;
}

static void
sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
	  int nns, const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
	struct imp_record *r = reading;
	const char *v, *end, *amp;
	int i;

	(void)ctx, (void)prefix, (void)uri, (void)nns, (void)ns, (void)ndefaulted;
	if (++r->depth == 2) {
		add_entry(r, SECTION, (const char *)local, strlen((const char *)local));
		r->section = (int)r->nent - 1;
		for (i = 0; i < nattrs; i++) {
			add_entry(r, ATTR, (const char *)attrs[5 * i], strlen((const char *)attrs[5 * i]));
			/* libxml2 hands a '&' of a value on as "&#38;" (the tree decodes it) */
			for (v = (const char *)attrs[5 * i + 3], end = (const char *)attrs[5 * i + 4];
			     (amp = memmem(v, (size_t)(end - v), "&#38;", 5)) != NULL; v = amp + 5) {
				imp_buf_add(&r->text, v, (size_t)(amp - v));
				imp_buf_add(&r->text, "&", 1);
			}
			imp_buf_add(&r->text, v, (size_t)(end - v));
			imp_buf_add(&r->text, "", 1);
		}
	} else if (r->depth == 3) {
		add_entry(r, FIELD, (const char *)local, strlen((const char *)local));
	}
}

static void
sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct imp_record *r = reading;

	(void)ctx, (void)local, (void)prefix, (void)uri;
	if (r->depth-- == 3)
		imp_buf_add(&r->text, "", 1);
}

/* a field's value: all the text inside it, as xmlNodeGetContent gives it */
static void
sax_text(void *ctx, const xmlChar *s, int n)
{
	(void)ctx;
	if (reading->depth >= 3)
		imp_buf_add(&reading->text, s, (size_t)n);
}

static void
sax_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	reading->doctype = 1;
	xmlStopParser(ctx);
}

/* The SAX2 handlers of libxml2 with everything that builds a tree taken out. */
static void
sax_handlers(xmlSAXHandler *h)
{
	xmlSAXVersion(h, 2);
	h->internalSubset = sax_doctype;
	h->externalSubset = NULL;
	h->entityDecl = NULL;
	h->notationDecl = NULL;
	h->attributeDecl = NULL;
	h->elementDecl = NULL;
	h->unparsedEntityDecl = NULL;
	h->startDocument = NULL;
	h->endDocument = NULL;
	h->startElement = NULL;
	h->endElement = NULL;
	h->reference = NULL;
	h->processingInstruction = NULL;
	h->comment = NULL;
	h->characters = sax_text;
	h->ignorableWhitespace = sax_text;
	h->cdataBlock = sax_text;
	h->startElementNs = sax_start;
	h->endElementNs = sax_end;
}

/*
 * The lines the writers emit are read without libxml2: a scanner of the
 * subset of XML they use fills the same table as the SAX pass, at a tenth
 * of its cost (xmlCtxtReadMemory's set-up per record was more than the
 * parse). The subset: names of ASCII letters, digits, '_', '-' and '.';
 * attributes as name="value" after one space; the five predefined entities
 * and character references; valid UTF-8 of XML characters. Everything
 * else (a comment, CDATA, a DOCTYPE, a prefix, other spacing, a CR, a tab
 * or newline in an attribute, an error) goes to the SAX pass, which reads
 * it or finds what is wrong: what the scanner accepts is well-formed, and
 * libxml2 would give it the same table.
 */
#define CANON_DEPTH 32
#define CANON_ATTRS 16

static int
xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* The length of one valid UTF-8 sequence of an XML character at s, 0 if none. */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t len = imp_utf8_decode(s, n, &c);

	return len > 0 && xml_char(c) ? len : 0;
}

/* The reference at *pp ('&'), decoded into out; 0, or -1 outside the subset. */
static int
canon_ref(const char **pp, const char *end, char out[4], size_t *n)
{
	static const struct { const char *name; char c; } predef[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	const char *p = *pp + 1;
	uint32_t c = 0;
	size_t i, k, digits = 0;
	int hex;

	if (p < end && *p == '#') {
		hex = ++p < end && *p == 'x';
		for (p += hex; p < end && digits < 8; p++, digits++) {
			if (*p >= '0' && *p <= '9')
				c = c * (hex ? 16 : 10) + (uint32_t)(*p - '0');
			else if (hex && ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f'))
				c = c * 16 + (uint32_t)((*p | 0x20) - 'a' + 10);
			else
				break;
		}
		if (digits == 0 || p == end || *p != ';' || !xml_char(c))
			return -1;
		*pp = p + 1;
		if (c < 0x80)
			out[0] = (char)c, *n = 1;
		else if (c < 0x800)
			out[0] = (char)(0xc0 | c >> 6), out[1] = (char)(0x80 | (c & 0x3f)), *n = 2;
		else if (c < 0x10000)
			out[0] = (char)(0xe0 | c >> 12), out[1] = (char)(0x80 | (c >> 6 & 0x3f)),
			out[2] = (char)(0x80 | (c & 0x3f)), *n = 3;
		else
			out[0] = (char)(0xf0 | c >> 18), out[1] = (char)(0x80 | (c >> 12 & 0x3f)),
			out[2] = (char)(0x80 | (c >> 6 & 0x3f)), out[3] = (char)(0x80 | (c & 0x3f)),
			*n = 4;
		return 0;
	}
	for (i = 0; i < sizeof predef / sizeof predef[0]; i++) {
		k = strlen(predef[i].name);
		if ((size_t)(end - p) >= k && memcmp(p, predef[i].name, k) == 0) {
			*pp = p + k;
			out[0] = predef[i].c;
			*n = 1;
			return 0;
		}
	}
	return -1;
}

/* 1: a byte character data cannot simply be copied over (controls, '"',
 * '&', '<', ']', and every byte of a non-ASCII character) */
static const unsigned char canon_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/*
 * Character data up to '<' (content) or '"' (an attribute value), checked,
 * and decoded into out when out is not NULL; 0, or -1 outside the subset.
 */
static int
canon_chars(const char **pp, const char *end, int attr, struct imp_buf *out)
{
	const char *p = *pp, *run = p;
	unsigned char c;
	char ref[4];
	size_t n;

	for (;;) {
		while (p < end && !canon_special[(unsigned char)*p])
			p++;
		if (p == end || *p == '<' || (attr && *p == '"'))
			break;
		c = (unsigned char)*p;
		if (c == '&') {
			if (out != NULL)
				imp_buf_add(out, run, (size_t)(p - run));
			if (canon_ref(&p, end, ref, &n) != 0)
				return -1;
			if (out != NULL)
				imp_buf_add(out, ref, n);
			run = p;
		} else if (c >= 0x80) {
			if ((n = utf8_char((const unsigned char *)p, (size_t)(end - p))) == 0)
				return -1;
			p += n;
		} else if (c == '"' || (c == ']' && (attr || end - p < 3 || p[1] != ']' ||
						    p[2] != '>')) ||
			   (!attr && (c == '\t' || c == '\n'))) {
			p++;
		} else {
			return -1;       /* "]]>", CR, other controls; a tab or newline in an attribute */
		}
	}
	if (out != NULL)
		imp_buf_add(out, run, (size_t)(p - run));
	*pp = p;
	return 0;
}

static size_t
canon_name(const char *p, const char *end)
{
	const char *q = p;

	if (q == end || !((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || *q == '_'))
		return 0;
	for (q++; q < end && ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
			      (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' || *q == '.'); q++)
		;
	return (size_t)(q - p);
}

/* The attributes of a start tag from *pp, checked; a section's into the table. */
static int
canon_attrs(struct imp_record *r, const char **pp, const char *end, int depth)
{
	const char *p = *pp, *names[CANON_ATTRS];
	size_t n, lens[CANON_ATTRS], k = 0, i;

	while (p < end && *p == ' ') {
		n = canon_name(++p, end);
		if (n == 0 || k == CANON_ATTRS || (n == 5 && memcmp(p, "xmlns", 5) == 0))
			return -1;
		for (i = 0; i < k; i++)
			if (lens[i] == n && memcmp(names[i], p, n) == 0)
				return -1;
		names[k] = p;
		lens[k++] = n;
		if (depth == 2)
			add_entry(r, ATTR, p, n);
		p += n;
		if (end - p < 2 || p[0] != '=' || p[1] != '"')
			return -1;
		p += 2;
		if (canon_chars(&p, end, 1, depth == 2 ? &r->text : NULL) != 0 || p == end ||
		    *p != '"')
			return -1;
		if (depth == 2)
			imp_buf_add(&r->text, "", 1);
		p++;
	}
	*pp = p;
	return 0;
}

/* The table from a line in the subset: 0, or -1 (the SAX pass reads it). */
static int
canon_fields(struct imp_record *r)
{
	const char *p, *end = r->line + r->len, *open[CANON_DEPTH];
	const char *id_end = r->line + r->status_at - (sizeof "\" status=\"" - 1);
	size_t n, openlen[CANON_DEPTH];
	int depth = 1;

	/* the start tag was checked by imp_record_load, but for the id's text */
	p = r->line + sizeof "<record xmlns=\"" IMP_NS "\" id=\"" - 1;
	if (canon_chars(&p, end, 1, NULL) != 0 || p != id_end)
		return -1;
	p = r->line + r->status_at + strlen(imp_status_name(r->status)) + 2;
	open[0] = "record";
	openlen[0] = 6;
	r->section = -1;
	while (p < end) {
		if (*p != '<') {
			if (canon_chars(&p, end, 0, depth >= 3 ? &r->text : NULL) != 0)
				return -1;
		} else if (end - p > 1 && p[1] == '/') {
			/* the name of the open element, then '>' (which no name holds) */
			n = openlen[depth - 1];
			if ((size_t)(end - p) < n + 3 || memcmp(p + 2, open[depth - 1], n) != 0 ||
			    p[n + 2] != '>')
				return -1;
			p += n + 3;
			if (depth-- == 3)
				imp_buf_add(&r->text, "", 1);
			if (depth == 0)
				return p == end ? 0 : -1;
		} else {
			if ((n = canon_name(p + 1, end)) == 0 || depth == CANON_DEPTH)
				return -1;
			open[depth] = p + 1;
			openlen[depth++] = n;
			if (depth == 2) {
				add_entry(r, SECTION, p + 1, n);
				r->section = (int)r->nent - 1;
			} else if (depth == 3) {
				add_entry(r, FIELD, p + 1, n);
				if (r->nent > 0)
					r->ent[r->nent - 1].at = (size_t)(p - r->line);
			} else {
				r->deep = 1;
			}
			p += n + 1;
			if (canon_attrs(r, &p, end, depth) != 0)
				return -1;
			if (p < end && *p == '>') {
				p++;
			} else if (end - p >= 2 && p[0] == '/' && p[1] == '>') {
				p += 2;
				if (depth-- == 3)
					imp_buf_add(&r->text, "", 1);
			} else {
				return -1;
			}
		}
	}
	return -1;
}

/* Fills the table: 0, or -1 when only a tree can tell what is wrong. */
static int
read_fields(struct imp_record *r)
{
	if (r->read == 0) {
		r->read = -1;
		if (r->err.code != 0 || r->len > INT32_MAX)
			return -1;
		r->deep = 0;
		if (canon_fields(r) == 0 && !r->text.oom) {
			r->read = 2;          /* the writers' form: at is known */
			return 0;
		}
		imp_buf_reset(&r->text);
		r->nent = 0;
		r->depth = 0;
		r->section = -1;
		r->doctype = 0;
		reading = r;
		xmlCtxtReadMemory(r->sax, r->line, (int)r->len, NULL, NULL, XML_OPTS);
		reading = NULL;
		if (r->sax->wellFormed && !r->doctype && !r->text.oom && r->depth == 0)
			r->read = 1;
	}
	return r->read > 0 ? 0 : -1;
}

/* 1 when the line is in the writers' form (the scanner read it) and no tree
 * was made: a field's value in the table is then the text of its one text
 * node in the tree, and a SAX pass over the line is well-formed. */
int
imp_record_plain(struct imp_record *r)
{
	return r->doc == NULL && read_fields(r) == 0 && r->read == 2;
}

static const struct entry *
find(const struct imp_record *r, int kind, const char *section, const char *name)
{
	size_t i, s;

	for (s = 0; s < r->nent; s++)
		if (r->ent[s].kind == SECTION && strcmp(r->text.p + r->ent[s].name, section) == 0)
			break;
	for (i = s + 1; i < r->nent; i++)
		if (r->ent[i].kind == kind && r->ent[i].section == (int)s &&
		    strcmp(r->text.p + r->ent[i].name, name) == 0)
			return &r->ent[i];
	return NULL;
}

struct imp_record *
imp_record_new(void)
{
	struct imp_record *r = calloc(1, sizeof *r);

	if (r != NULL && ((r->ctxt = xmlNewParserCtxt()) == NULL ||
			  (r->sax = xmlNewParserCtxt()) == NULL)) {
		xmlFreeParserCtxt(r->ctxt);
		free(r);
		return NULL;
	}
	if (r != NULL)
		sax_handlers(r->sax->sax);
	return r;
}

static void
clear(struct imp_record *r)
{
	int i;

	xmlFreeDoc(r->doc);
	r->doc = NULL;
	for (i = 0; i < r->ncopies; i++)
		xmlFree(r->copies[i]);
	r->ncopies = 0;
	imp_buf_reset(&r->text);
	r->nent = 0;
	r->read = 0;
	r->verdict_read = 0;
	r->changed = 0;
	imp_buf_reset(&r->work);
	imp_buf_reset(&r->id);
	memset(&r->err, 0, sizeof r->err);
}

void
imp_record_free(struct imp_record *r)
{
	if (r == NULL)
		return;
	clear(r);
	imp_buf_free(&r->work);
	imp_buf_free(&r->id);
	imp_buf_free(&r->text);
	imp_buf_free(&r->verdict);
	free(r->ent);
	xmlFreeParserCtxt(r->ctxt);
	xmlFreeParserCtxt(r->sax);
	free(r);
}

int
imp_record_load(struct imp_record *r, const char *line, size_t len, struct imp_err *e)
{
	const char *id;
	size_t idlen;
	int end;

	clear(r);
	r->line = line;
	r->len = len;
	end = imp_record_head(line, len, &id, &idlen, &r->status);
	if (end == 0 || len < sizeof "</record>" ||
	    memcmp(line + len - 9, "</record>", 9) != 0)
		return imp_fail(e, EX_DATAERR, "a record line is not in the canonical form "
				"<record xmlns=\"%s\" id=... status=...>...</record>", IMP_NS);
	r->status_at = (size_t)(id + idlen - line) + sizeof "\" status=\"" - 1;
	imp_buf_add(&r->id, id, idlen);
	if (r->id.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	r->id.len = imp_unescape(r->id.p);
	return 0;
}

const char *
imp_record_id(const struct imp_record *r)
{
	return r->id.p ? r->id.p : "";
}

void
imp_record_set_index(struct imp_record *r, uint64_t index)
{
	r->index = index;
}

uint64_t
imp_record_index(const struct imp_record *r)
{
	return r->index;
}

int
imp_record_status(const struct imp_record *r)
{
	return r->status;
}

void
imp_record_line(const struct imp_record *r, const char **line, size_t *len)
{
	*line = r->changed ? r->work.p : r->line;
	*len = r->changed ? r->work.len : r->len;
}

const struct imp_err *
imp_record_error(const struct imp_record *r)
{
	return r->err.code ? &r->err : NULL;
}

int
imp_record_parse(struct imp_record *r, struct imp_err *e)
{
	xmlErrorPtr xe;
	char why[160] = "?";

	if (r->doc != NULL)
		return 0;
	if (r->err.code != 0)
		goto fail;
	if (r->len > INT32_MAX)
		imp_fail(&r->err, EX_DATAERR, "record %s is too long", imp_record_id(r));
	/* no encoding named: a record line cannot carry an XML declaration, so
	 * libxml2 reads it as UTF-8 without the UTF-8 to UTF-8 copy a named
	 * encoding costs (~5 % of a parsing stage) */
	else if ((r->doc = xmlCtxtReadMemory(r->ctxt, r->line, (int)r->len, NULL, NULL,
					     XML_OPTS)) == NULL) {
		xe = xmlCtxtGetLastError(r->ctxt);
		if (xe != NULL && xe->message != NULL)
			snprintf(why, sizeof why, "%.*s", (int)strcspn(xe->message, "\n"),
				 xe->message);
		imp_fail(&r->err, EX_DATAERR, "record %s is not well-formed XML (column %d: %s)",
			 imp_record_id(r), xe ? xe->int2 : 0, why);
	} else if (r->doc->intSubset != NULL) {
		imp_fail(&r->err, EX_DATAERR, "record %s carries a DOCTYPE", imp_record_id(r));
	}
	if (r->err.code == 0)
		return 0;
fail:
	if (e != NULL)
		*e = r->err;
	return r->err.code;
}

struct _xmlNode *
imp_record_root(struct imp_record *r)
{
	if (imp_record_parse(r, NULL) != 0)
		return NULL;
	return xmlDocGetRootElement(r->doc);
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* The text of <section><name>, NULL when absent; valid until the next load. */
const char *
imp_record_field(struct imp_record *r, const char *section, const char *name)
{
	const struct entry *f;
	xmlNodePtr n;
	xmlChar *copy;

	if (r->doc == NULL && read_fields(r) == 0)
		return (f = find(r, FIELD, section, name)) ? r->text.p + f->value : NULL;
	n = child(child(imp_record_root(r), section), name);
	if (n == NULL)
		return NULL;
	if (n->children == NULL)
		return "";
	if (n->children->type == XML_TEXT_NODE && n->children->next == NULL)
		return (const char *)n->children->content;
	if (r->ncopies == (int)(sizeof r->copies / sizeof r->copies[0]) ||
	    (copy = xmlNodeGetContent(n)) == NULL)
		return NULL;
	r->copies[r->ncopies++] = copy;
	return (const char *)copy;
}

/* Each field of the first <section> in the table, in order (0, or -1 when
 * the line cannot be read without a tree). */
int
imp_record_each_field(struct imp_record *r, const char *section, imp_field_fn *fn, void *arg)
{
	const struct entry *s;
	size_t i;

	if (r->doc != NULL || read_fields(r) != 0)
		return -1;
	for (s = r->ent; s < r->ent + r->nent; s++)
		if (s->kind == SECTION && strcmp(r->text.p + s->name, section) == 0)
			break;
	for (i = (size_t)(s - r->ent) + 1; i < r->nent && r->ent[i].kind != SECTION; i++)
		if (r->ent[i].kind == FIELD)
			fn(arg, r->text.p + r->ent[i].name, r->text.p + r->ent[i].value);
	return 0;
}

static const char *prop(xmlNodePtr n, const char *name);

const char *
imp_record_attr(struct imp_record *r, const char *section, const char *name)
{
	const struct entry *a;
	xmlNodePtr n;

	if (r->doc == NULL && read_fields(r) == 0)
		return (a = find(r, ATTR, section, name)) ? r->text.p + a->value : NULL;
	n = child(imp_record_root(r), section);
	return n ? prop(n, name) : NULL;
}

static void
make_working_copy(struct imp_record *r)
{
	if (r->changed)
		return;
	imp_buf_reset(&r->work);
	imp_buf_add(&r->work, r->line, r->len);
	r->changed = 1;
}

static int
set_status(struct imp_record *r, int status)
{
	const char *old = imp_status_name(r->status), *new = imp_status_name(status);

	make_working_copy(r);
	imp_buf_replace(&r->work, r->status_at, strlen(old), new, strlen(new));
	r->status = status;
	return 0;
}

static size_t line_tag(char out[64], const char *start, const char *name);

/* A held record made ok again: only review does this, on an officer's
 * sealed decision (SPEC 4: held never returns to ok inside a pipeline). */
int
imp_record_release(struct imp_record *r)
{
	return set_status(r, IMP_OK_STATUS);
}

/*
 * review's correction: field name of the format's section set to value
 * (escaped; put in column order when the record has none), and the
 * <normalised> of the old value dropped, for validate writes it again.
 */
int
imp_record_correct(struct imp_record *r, const struct imp_format *f, const char *name,
		   const char *value)
{
	char open[64], close[64];
	struct imp_buf elem = { 0 };
	const char *w, *p, *q, *sec_end;
	size_t i, at;
	int rc = 0;

	make_working_copy(r);
	imp_buf_elem(&elem, name, value, strlen(value));
	w = imp_buf_str(&r->work);
	if ((p = strstr(w, "<normalised>")) != NULL && (q = strstr(p, "</normalised>")) != NULL)
		imp_buf_replace(&r->work, (size_t)(p - w), (size_t)(q - p) + 13, "", 0);
	w = imp_buf_str(&r->work);
	line_tag(close, "</", f->section);
	if ((sec_end = strstr(w, close)) == NULL) {
		imp_buf_free(&elem);
		return imp_fail(&r->err, EX_DATAERR, "record %s has no <%s>", r->id.p, f->section);
	}
	line_tag(open, "<", name);
	if ((p = strstr(w, open)) != NULL && p < sec_end) {
		line_tag(close, "</", name);
		q = strstr(p, close);
		imp_buf_replace(&r->work, (size_t)(p - w), (size_t)(q - p) + strlen(close),
				elem.p, elem.len);
	} else {
		at = (size_t)(sec_end - w);        /* before the next column the record has */
		for (i = 0; i < f->ncolumns && strcmp(f->columns[i], name) != 0; i++)
			;
		for (i++; i < f->ncolumns; i++) {
			line_tag(open, "<", f->columns[i]);
			if ((p = strstr(w, open)) != NULL && p < sec_end) {
				at = (size_t)(p - w);
				break;
			}
		}
		imp_buf_insert(&r->work, at, elem.p, elem.len);
	}
	if (elem.oom || r->work.oom)
		rc = imp_fail(&r->err, EX_SOFTWARE, "out of memory");
	imp_buf_free(&elem);
	return rc;
}

/* Appends <step> to the trail (making the trail if there is none). */
int
imp_record_step(struct imp_record *r, const char *stage, int result, const char *code,
		const char *const *attrs, const char *fmt, ...)
{
	struct imp_buf step = { 0 }, text = { 0 };
	size_t at, k = strlen(TRAIL_END);
	va_list ap;
	int rc = 0;

	imp_buf_printf(&step, "<step stage=\"%s\" result=\"%s\"", stage, imp_status_name(result));
	imp_buf_attr(&step, "code", code);
	for (; attrs != NULL && attrs[0] != NULL && attrs[1] != NULL; attrs += 2)
		imp_buf_attr(&step, attrs[0], attrs[1]);
	va_start(ap, fmt);
	imp_buf_vprintf(&text, fmt, ap);
	va_end(ap);
	imp_buf_add(&step, ">", 1);
	imp_buf_text(&step, imp_buf_str(&text), text.len);
	imp_buf_puts(&step, "</step>");
	make_working_copy(r);
	if (r->work.len >= k && memcmp(r->work.p + r->work.len - k, TRAIL_END, k) == 0) {
		at = r->work.len - k;
		imp_buf_insert(&r->work, at, step.p, step.len);
	} else {
		at = r->work.len - strlen("</record>");
		imp_buf_insert(&r->work, at, "<trail></trail>", 15);
		imp_buf_insert(&r->work, at + 7, step.p, step.len);
	}
	if (result != IMP_OK_STATUS)
		set_status(r, result);
	if (step.oom || text.oom || r->work.oom)
		rc = imp_fail(&r->err, EX_SOFTWARE, "out of memory");
	imp_buf_free(&step);
	imp_buf_free(&text);
	return rc;
}

/* Inserts an element before the trail, e.g. <passport>. */
int
imp_record_insert(struct imp_record *r, const char *xml, size_t n)
{
	const char *p;
	size_t at;

	make_working_copy(r);
	p = strstr(r->work.p, "<trail>");
	at = p ? (size_t)(p - r->work.p) : r->work.len - strlen("</record>");
	imp_buf_insert(&r->work, at, xml, n);
	return r->work.oom ? imp_fail(&r->err, EX_SOFTWARE, "out of memory") : 0;
}

static const char *
prop(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)name);

	if (a == NULL || a->children == NULL || a->children->type != XML_TEXT_NODE)
		return a ? "" : NULL;
	return (const char *)a->children->content;
}

/*
 * The attributes of the start tag of a step the scanner read (at its '<'):
 * stage and code into r->verdict, NUL-terminated, at off[0] and off[1]
 * (-1: absent). Returns 1 when its result is other than ok, 0 when ok, -1
 * when it has none.
 */
static int
step_attrs(struct imp_record *r, size_t at, long off[2])
{
	const char *p = r->line + at + sizeof "<step" - 1, *end = r->line + r->len, *name;
	struct imp_buf *out = &r->verdict;
	size_t n, start;
	int result = -1, which;

	off[0] = off[1] = -1;
	imp_buf_reset(out);
	while (p < end && *p == ' ') {
		name = ++p;
		n = canon_name(p, end);
		p += n + 2;                        /* name=" (the scanner checked it) */
		which = n == 5 && memcmp(name, "stage", 5) == 0 ? 0 :
			n == 4 && memcmp(name, "code", 4) == 0 ? 1 :
			n == 6 && memcmp(name, "result", 6) == 0 ? 2 : -1;
		start = out->len;
		if (canon_chars(&p, end, 1, which >= 0 ? out : NULL) != 0)
			return -1;
		p++;                               /* the closing quote */
		if (which == 2) {
			result = out->len - start != 2 || memcmp(out->p + start, "ok", 2) != 0;
			out->len = start;
		} else if (which >= 0) {
			imp_buf_add(out, "", 1);
			off[which] = (long)start;
		}
	}
	return result;
}

/*
 * The verdict from the scanner's table, as the tree gives it: the last
 * step of the first trail whose result is not ok. Only for a line the
 * scanner read with no element inside a field (the tree gives a step's
 * first text node, the table all its text). 1 found, -1 none, 0 not known.
 */
static int
table_verdict(struct imp_record *r, const char **stage, const char **code, const char **text)
{
	struct imp_buf found = { 0 };
	long off[2];
	size_t i;
	int rc;

	if (r->verdict_read == 0) {
		if (r->doc != NULL || read_fields(r) != 0 || r->read != 2 || r->deep)
			return 0;
		for (i = 0; i < r->nent; i++)
			if (r->ent[i].kind == SECTION &&
			    strcmp(r->text.p + r->ent[i].name, "trail") == 0)
				break;
		r->verdict_read = -1;
		for (i++; i < r->nent && r->ent[i].kind != SECTION; i++) {
			if (r->ent[i].kind != FIELD || strcmp(r->text.p + r->ent[i].name, "step") != 0)
				continue;
			if ((rc = step_attrs(r, r->ent[i].at, off)) == 1) {
				r->verdict_read = 1;
				r->verdict_at[0] = off[0], r->verdict_at[1] = off[1];
				r->verdict_text = r->ent[i].value;
				imp_buf_reset(&found);
				imp_buf_add(&found, r->verdict.p, r->verdict.len);
			}
		}
		imp_buf_reset(&r->verdict);
		if (found.len > 0)
			imp_buf_add(&r->verdict, found.p, found.len);
		rc = found.oom || r->verdict.oom;
		imp_buf_free(&found);
		if (rc) {
			r->verdict_read = 0;
			return 0;
		}
	}
	if (r->verdict_read < 0)
		return -1;
	*stage = r->verdict_at[0] >= 0 ? r->verdict.p + r->verdict_at[0] : NULL;
	*code = r->verdict_at[1] >= 0 ? r->verdict.p + r->verdict_at[1] : NULL;
	*text = r->text.p + r->verdict_text;
	return 1;
}

/* The step that set the record's status (the first one not ok), if any. */
int
imp_record_verdict(struct imp_record *r, const char **stage, const char **code,
		   const char **text)
{
	xmlNodePtr n, last = NULL;
	const char *res;
	int rc;

	if ((rc = table_verdict(r, stage, code, text)) != 0)
		return rc > 0 ? 0 : -1;
	/* the last: a record released by review and held again holds for that */
	for (n = child(imp_record_root(r), "trail"), n = n ? n->children : NULL; n != NULL;
	     n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "step") != 0)
			continue;
		if ((res = prop(n, "result")) != NULL && strcmp(res, "ok") != 0)
			last = n;
	}
	if (last == NULL)
		return -1;
	*stage = prop(last, "stage");
	*code = prop(last, "code");
	*text = last->children && last->children->type == XML_TEXT_NODE ?
		(const char *)last->children->content : "";
	return 0;
}

/*
 * The text of <section><name> in a record line without parsing it, for a
 * quick look at many records (screen-pcl counts names while the input is
 * verified). Only for plain values such as validate's normalised names.
 */
/* <name> or </name> into out, cut to 63 bytes as snprintf would cut it
 * (snprintf cost half of a look). Returns its length. */
static size_t
line_tag(char out[64], const char *start, const char *name)
{
	size_t k = strlen(start), n = strlen(name);

	memcpy(out, start, k);
	if (k + n + 1 > 63) {
		memcpy(out + k, name, 63 - k);
		out[63] = '\0';
		return 63;
	}
	memcpy(out + k, name, n);
	out[k + n] = '>';
	out[k + n + 1] = '\0';
	return k + n + 1;
}

/*
 * The inside of <section>...</section> of a record line: *start and *n,
 * 0; -1 when there is none. For many values of one section read with
 * imp_line_value (the section found once).
 */
int
imp_line_section(const char *line, size_t len, const char *section, const char **start,
		 size_t *n)
{
	char tag[64];
	const char *p, *q;
	size_t k = line_tag(tag, "<", section);

	if ((p = memmem(line, len, tag, k)) == NULL)
		return -1;
	p += k;
	k = line_tag(tag, "</", section);
	q = memmem(p, len - (size_t)(p - line), tag, k);
	*start = p;
	*n = q != NULL ? (size_t)(q - p) : len - (size_t)(p - line);
	return 0;
}

/*
 * The element <name ...>...</name> or <name .../> taken out of a record
 * line: the passport whose number became void, the chip signed for it.
 * Values are escaped in a line, so "<name " only ever starts the element.
 */
void
imp_line_drop(struct imp_buf *line, const char *name)
{
	char open[64], close[64];
	const char *w = imp_buf_str(line), *p, *q;
	size_t gt;

	snprintf(open, sizeof open, "<%s ", name);
	snprintf(close, sizeof close, "</%s>", name);
	if ((p = strstr(w, open)) == NULL || p[gt = strcspn(p, ">")] == '\0')
		return;
	if (gt > 0 && p[gt - 1] == '/')
		q = p + gt + 1;
	else if ((q = strstr(p, close)) != NULL)
		q += strlen(close);
	else
		return;
	imp_buf_replace(line, (size_t)(p - w), (size_t)(q - p), "", 0);
}

/* The text of <name> in a span of a line (a section of imp_line_section). */
int
imp_line_value(const char *span, size_t len, const char *name, struct imp_buf *out)
{
	char tag[64];
	const char *end = span + len, *p, *q;
	size_t k = line_tag(tag, "<", name);

	if ((p = memmem(span, len, tag, k)) == NULL)
		return -1;
	p += k;
	k = line_tag(tag, "</", name);
	if ((q = memmem(p, (size_t)(end - p), tag, k)) == NULL)
		return -1;
	imp_buf_reset(out);
	imp_buf_add(out, p, (size_t)(q - p));
	out->len = imp_unescape(out->p);
	return out->oom ? -1 : 0;
}

/*
 * One walk from tag to tag instead of a search of the span for each name:
 * an element <name> of the names is taken with its text, up to the first
 * '<' (values are escaped), which is its end tag in the writers' form
 * (else the end tag is searched for, as imp_line_value does). The first
 * element of each name counts; the walk ends when all are found.
 */
int
imp_line_values(const char *span, size_t len, const char *const *names, size_t n,
		struct imp_buf *out, int *found)
{
	const char *end = span + len, *p = span, *q, *t;
	char tag[64];
	size_t i, k, left = n;

	for (i = 0; i < n; i++)
		found[i] = 0;
	while (left > 0 && p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if (++p >= end || *p == '/')
			continue;
		for (q = p; q < end && *q != '>' && *q != ' ' && *q != '/'; q++)
			;
		if (q >= end || *q != '>')
			continue;
		k = (size_t)(q - p);
		for (i = 0; i < n; i++)
			if (!found[i] && strncmp(names[i], p, k) == 0 && names[i][k] == '\0')
				break;
		if (i == n)
			continue;
		q++;
		t = memchr(q, '<', (size_t)(end - q));
		if (t == NULL || (size_t)(end - t) < k + 3 || t[1] != '/' ||
		    memcmp(t + 2, p, k) != 0 || t[2 + k] != '>') {
			k = line_tag(tag, "</", names[i]);
			if ((t = memmem(q, (size_t)(end - q), tag, k)) == NULL)
				continue;
		}
		imp_buf_reset(&out[i]);
		imp_buf_add(&out[i], q, (size_t)(t - q));
		if (out[i].oom)
			return -1;
		out[i].len = imp_unescape(out[i].p);
		found[i] = 1;
		left--;
		p = t;
	}
	return 0;
}

int
imp_line_field(const char *line, size_t len, const char *section, const char *name,
	       struct imp_buf *out)
{
	const char *p;
	size_t n;

	if (imp_line_section(line, len, section, &p, &n) != 0)
		return -1;
	return imp_line_value(p, n, name, out);
}
