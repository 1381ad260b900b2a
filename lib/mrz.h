/* SPDX-License-Identifier: ISC */
/*
 * mrz.c: the machine readable zone of a TD3 passport (ICAO Doc 9303 Part 3
 * and Part 4, with the choices of SPEC.md section 9), and a checker that
 * reads a presented MRZ field by field.
 */
#ifndef IMPASS_MRZ_H
#define IMPASS_MRZ_H

#include "impass.h"

#define IMP_MRZ_LEN 44
#define IMP_MRZ_NAME 39

struct imp_mrz {
	const char *doc_code;         /* "P<", "PP", "PO", "PD" */
	const char *state;            /* issuing state, "PAK" */
	const char *surname;          /* as entered: transliterated here */
	const char *given_names;
	const char *number;           /* the passport number, up to 9 of A-Z0-9 */
	const char *nationality;
	struct imp_date dob;          /* m, d 0: unknown, written '<' */
	char sex;                     /* M, F, X (X written '<') */
	struct imp_date expiry;
	const char *optional;         /* personal number (the CNIC), or NULL */
};

/* The check digit of n characters (7-3-1; '<' counts 0), as '0'..'9';
 * 0 for a character outside A-Z0-9<. */
char imp_mrz_digit(const char *s, size_t n);

/* The name field: SURNAME<<GIVEN<NAMES, truncated to 39 so that position
 * 44 is a letter, padded with '<'. out: 40 bytes. Fails on a name with
 * characters outside the transliteration table (why says which). */
int imp_mrz_name(const char *surname, const char *given, char out[IMP_MRZ_NAME + 1],
		 struct imp_buf *why);

/* Both lines, 44 characters each (45 bytes with the NUL). */
int imp_mrz_render(const struct imp_mrz *m, char line1[IMP_MRZ_LEN + 1],
		   char line2[IMP_MRZ_LEN + 1], struct imp_buf *why);

/* Reads a presented MRZ: 0 when every field's format and every check digit
 * is right, else -1 with why naming the first wrong field. */
int imp_mrz_check(const char *line1, const char *line2, struct imp_buf *why);

/* mrzread.c: a scanner's reading of a presented MRZ and its OCR slips. */
struct imp_mrz_repair {
	char line1[IMP_MRZ_LEN + 1], line2[IMP_MRZ_LEN + 1];
	char slip[96];                /* what was repaired, "" when nothing */
};

/* The readings that pass imp_mrz_check: the one presented (nothing
 * repaired, the only one then), else each that one OCR slip explains (0
 * read for O and back, 1 for I, 8 for B, one < dropped), at most max;
 * how many there are. Lines are taken without the blanks around them. */
size_t imp_mrz_readings(const char *line1, const char *line2, struct imp_mrz_repair *out,
			size_t max);

#endif
