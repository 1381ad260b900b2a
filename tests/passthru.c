/* SPDX-License-Identifier: ISC */
/* passthru: the smallest stage on the stage loop, for tests and make bench. */
#include <getopt.h>
#include <string.h>

#include "impass.h"

#define PROG "passthru"

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "stage", required_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct imp_stage st = { .name = PROG };
	struct imp_stage_opts o = { 0 };
	struct imp_err e = { 0 };
	struct imp_run run;
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.signer = optarg; break;
		case 't': o.trust = optarg; break;
		case 'n': st.name = optarg; break;         /* seal as another stage */
		case 'o': st.input_stage = optarg; break;   /* accept only this sealer */
		default: return EX_USAGE;
		}
	}
	o.input = optind < argc ? argv[optind] : NULL;
	imp_run_init(&run);
	imp_crypto_init();
	imp_xml_init();
	rc = imp_stage_run(PROG, &st, &o, &run, &e);
	if (rc != 0)
		imp_report(PROG, run.batch, &e);
	else
		imp_summary(PROG, &run);
	imp_xml_done();
	c = imp_close_stdout(PROG, run.batch);
	return rc ? rc : c;
}
