/* SPDX-License-Identifier: ISC */
/*
 * The MRZ checker and renderer (lib/mrz.c, with lib/names.c and
 * lib/dates.c). The input is lines: the first two are checked as a
 * presented MRZ; all of them are also read as the fields of a data page
 * (surname, given names, number, date of birth, date of expiry, sex,
 * optional data, document code, issuing state, nationality) and rendered. Property: whatever the
 * renderer writes is two lines of 44 characters the checker accepts, and
 * every reading of a presented MRZ with one OCR slip repaired too.
 */
#include <string.h>

#include "mrz.h"
#include "fuzz.h"

#define NLINES 10

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *l[NLINES], *p, *nl;
	char line1[IMP_MRZ_LEN + 1], line2[IMP_MRZ_LEN + 1], name[IMP_MRZ_NAME + 1];
	struct imp_buf why = { 0 };
	struct imp_mrz m;
	size_t i;

	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0, p = copy; i < NLINES; i++) {
		l[i] = p;
		if ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			p = nl + 1;
		} else {
			p += strlen(p);
		}
	}
	if (imp_mrz_check(l[0], l[1], &why) != 0)
		FUZZ_ASSERT(why.len > 0);
	/* a scanner's reading (lib/mrzread.c): every reading it gives passes the checker */
	{
		struct imp_mrz_repair r[8];
		size_t k, n = imp_mrz_readings(l[0], l[1], r, 8);

		for (k = 0; k < n && k < 8; k++)
			FUZZ_ASSERT(imp_mrz_check(r[k].line1, r[k].line2, &why) == 0);
	}

	if (imp_mrz_name(l[0], l[1], name, &why) == 0) {
		FUZZ_ASSERT(strlen(name) == IMP_MRZ_NAME);
		FUZZ_ASSERT(strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ<") == IMP_MRZ_NAME);
	}

	memset(&m, 0, sizeof m);
	m.doc_code = l[7][0] ? l[7] : "P<";
	m.state = l[8][0] ? l[8] : "PAK";
	m.nationality = l[9][0] ? l[9] : "PAK";
	m.surname = l[0];
	m.given_names = l[1];
	m.number = l[2];
	if (imp_date_partial(l[3], &m.dob) != 0)
		memset(&m.dob, 0, sizeof m.dob);
	if (imp_date_iso(l[4], &m.expiry) != 0)
		memset(&m.expiry, 0, sizeof m.expiry);
	m.sex = l[5][0];
	m.optional = l[6][0] ? l[6] : NULL;
	if (imp_mrz_render(&m, line1, line2, &why) == 0) {
		FUZZ_ASSERT(strlen(line1) == IMP_MRZ_LEN && strlen(line2) == IMP_MRZ_LEN);
		if (imp_mrz_check(line1, line2, &why) != 0) {
			fprintf(stderr, "rendered\n%s\n%s\nrejected: %s\n", line1, line2,
				imp_buf_str(&why));
			FUZZ_ASSERT(!"the checker rejects what the renderer wrote");
		}
	} else {
		FUZZ_ASSERT(why.len > 0);
	}
	imp_buf_free(&why);
	free(copy);
	return 0;
}
