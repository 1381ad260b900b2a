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
