/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include "impass.h"

#ifndef IMP_TRUST_DEFAULT
#define IMP_TRUST_DEFAULT "/etc/impass/trust"
#endif
#ifndef IMP_SPOOL_DEFAULT
#define IMP_SPOOL_DEFAULT "/var/spool/impass"
#endif

static const char *
pick(const char *opt, const char *var, const char *dflt)
{
	const char *env = getenv(var);

	if (opt != NULL && *opt != '\0')
		return opt;
	if (env != NULL && *env != '\0')
		return env;
	return dflt;
}

const char *
imp_trust_path(const char *opt)
{
	return pick(opt, "IMPASS_TRUST", IMP_TRUST_DEFAULT);
}

const char *
imp_signer(const char *opt)
{
	return pick(opt, "IMPASS_SIGNER", NULL);
}

const char *
imp_spool_path(const char *opt)
{
	return pick(opt, "IMPASS_SPOOL", IMP_SPOOL_DEFAULT);
}
