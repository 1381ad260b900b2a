/* SPDX-License-Identifier: ISC */
/*
 * A stage's verdict on one record, gathered problem by problem: the step
 * gets the code of the first problem of the worst result (rejected over
 * held) and a sentence with that problem first and the others after it as
 * "; also CODE: ...", so one step tells a person everything.
 */
#include <stdarg.h>
#include <string.h>

#include "impass.h"

void
imp_verdict_reset(struct imp_verdict *v)
{
	v->result = IMP_OK_STATUS;
	v->code[0] = '\0';
	imp_buf_reset(&v->first);
	imp_buf_reset(&v->rest);
}

void
imp_verdict_add(struct imp_verdict *v, int result, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (result > v->result || v->code[0] == '\0') {
		if (v->first.len > 0)
			imp_buf_printf(&v->rest, "; also %s: %s", v->code, v->first.p);
		v->result = result;
		snprintf(v->code, sizeof v->code, "%s", code);
		imp_buf_reset(&v->first);
		va_start(ap, fmt);
		imp_buf_vprintf(&v->first, fmt, ap);
		va_end(ap);
		return;
	}
	imp_buf_printf(&v->rest, "; also %s: ", code);
	va_start(ap, fmt);
	imp_buf_vprintf(&v->rest, fmt, ap);
	va_end(ap);
}

/* The step: the problems', or ok_code with ok_text when there were none. */
int
imp_verdict_step(struct imp_verdict *v, struct imp_record *r, const char *stage,
		 const char *ok_code, const char *ok_text, const char *const *attrs)
{
	if (v->first.oom || v->rest.oom)
		return EX_SOFTWARE;
	if (v->code[0] == '\0')
		return imp_record_step(r, stage, IMP_OK_STATUS, ok_code, attrs, "%s", ok_text);
	return imp_record_step(r, stage, v->result, v->code, attrs, "%s%s",
			       imp_buf_str(&v->first), imp_buf_str(&v->rest));
}

void
imp_verdict_free(struct imp_verdict *v)
{
	imp_buf_free(&v->first);
	imp_buf_free(&v->rest);
}
