/* SPDX-License-Identifier: ISC */
/*
 * The record schema (schemas/impass.xsd), compiled into the library at
 * build time so that a program cannot run with another copy of it, parsed
 * and compiled once per run, and checked against a record already parsed.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlschemas.h>

#include "impass.h"

extern const unsigned char imp_schema_xsd[];
extern const unsigned long imp_schema_xsd_len;

struct imp_xsd {
	xmlSchemaPtr schema;
	xmlSchemaValidCtxtPtr valid;
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

void
imp_xsd_close(struct imp_xsd *x)
{
	if (x == NULL)
		return;
	xmlSchemaFreeValidCtxt(x->valid);
	xmlSchemaFree(x->schema);
	free(x);
}
