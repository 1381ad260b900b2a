/* SPDX-License-Identifier: ISC */
/* The record formats of impass-csv(5): CSV columns and the elements that hold them. */
#include <string.h>

#include "impass.h"

static const char *const application[] = {
	"tracking_id", "office", "category", "passport_type", "surname", "given_names",
	"father_name", "sex", "date_of_birth", "place_of_birth", "cnic", "nationality",
	"validity_years", "pages", "previous_passport", "delivery_office", "delivery_mode",
	"address", "phone", "photo_sha256", "fee_receipt", "fee_amount", "applied_on",
};

static const char *const citizenship[] = {
	"register", "certificate_no", "issued_on", "name", "father_name", "date_of_birth",
	"place_of_birth", "cnic", "previous_nationality", "country", "mission", "remarks",
};

static const char *const citizenship_attrs[] = { "register", "number" };

/* what validate derives from a register row and writes only in <normalised> */
static const char *const citizenship_derived[] = { "old_nic", "spouse_name" };

static const struct imp_format formats[] = {
	{ "application", "application", application, sizeof application / sizeof *application,
	  NULL, 0, NULL, 0 },
	{ "citizenship", "certificate", citizenship, sizeof citizenship / sizeof *citizenship,
	  citizenship_attrs, 2, citizenship_derived, 2 },
	/* a printed record keeps the application it was made from */
	{ "printed", "application", application, sizeof application / sizeof *application,
	  NULL, 0, NULL, 0 },
};

const struct imp_format *
imp_format_for(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof formats / sizeof *formats; i++)
		if (strcmp(formats[i].kind, kind) == 0)
			return &formats[i];
	return NULL;
}
