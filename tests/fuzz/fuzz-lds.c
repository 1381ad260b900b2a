/* SPDX-License-Identifier: ISC */
/*
 * The chip dump reader of render-lds --check (lib/lds.c): the input is
 * split into BER-TLV elementary files, and each one's value again, two
 * levels down. Properties: the files tile the input exactly, each value
 * lies inside its file, and a split that fails says why.
 */
#include <string.h>

#include "impass.h"
#include "fuzz.h"

#define MAXEF 32

static void
split(const unsigned char *p, size_t n, int depth)
{
	struct imp_lds_ef ef[MAXEF];
	struct imp_buf why = { 0 };
	size_t count, i, at = 0;

	if (imp_lds_split(p, n, ef, MAXEF, &count, &why) != 0) {
		FUZZ_ASSERT(why.len > 0);
		imp_buf_free(&why);
		return;
	}
	FUZZ_ASSERT(why.len == 0);
	for (i = 0; i < count; i++) {
		FUZZ_ASSERT(ef[i].p == p + at);
		FUZZ_ASSERT(ef[i].value > ef[i].p && ef[i].value + ef[i].vlen == ef[i].p + ef[i].len);
		FUZZ_ASSERT(imp_lds_tag_dg(ef[i].tag) == 0 ||
			    imp_lds_dg_tag(imp_lds_tag_dg(ef[i].tag)) == ef[i].tag);
		at += ef[i].len;
		if (depth < 2)
			split(ef[i].value, ef[i].vlen, depth + 1);
	}
	FUZZ_ASSERT(at == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	split(data, size, 0);
	return 0;
}
