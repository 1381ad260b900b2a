/* SPDX-License-Identifier: ISC */
/*
 * The chip dump reader of render-lds --check (lib/lds.c): the input is
 * split into BER-TLV elementary files, and each one's value again, two
 * levels down. Properties: the files tile the input exactly, each value
 * lies inside its file, and a split that fails says why. The whole input
 * is also read as the chip file spool-print puts in a print job
 * (imp_lds_chip_check: EF.SOD's CMS parsed without its signature): it
 * fails with a reason (the SOD hash given is no input's), never crashes.
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

static void
chip(const unsigned char *p, size_t n)
{
	static const char sod[] = "sha256:"
		"0000000000000000000000000000000000000000000000000000000000000000";
	static const char mrz[] = "P<PAKKHAN<<ALI<RAZA<<<<<<<<<<<<<<<<<<<<<<<<<"
		"AB10000000PAK9005177M3612010352010000001<<14";
	struct imp_buf why = { 0 };

	FUZZ_ASSERT(imp_lds_chip_check(p, n, sod, mrz, &why) != 0);
	FUZZ_ASSERT(why.len > 0);
	imp_buf_free(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	split(data, size, 0);
	chip(data, size);
	return 0;
}
