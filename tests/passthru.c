/* SPDX-License-Identifier: ISC */
/*
 * passthru: the smallest stage on the stage loop, for tests and make bench.
 * Options make it act like a real stage: --annotate appends an ok step to
 * every ok record, --field NAME also reads that application field (so the
 * record is parsed), --hold ID holds one record.
 */
#include <getopt.h>
#include <string.h>

#include "impass.h"

#define PROG "passthru"

struct opts {
	int annotate;
	const char *field, *hold;
};

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	const struct opts *o = arg;
	const char *v = "";

	(void)e;
	if (o->field != NULL && (v = imp_record_field(r, "application", o->field)) == NULL)
		v = "(none)";
	if (o->hold != NULL && strcmp(imp_record_id(r), o->hold) == 0)
		return imp_record_step(r, PROG, IMP_HELD, "PASSTHRU_HOLD", NULL, "held on request");
	if (o->annotate)
		return imp_record_step(r, PROG, IMP_OK_STATUS, "PASSTHRU_OK", NULL, "seen %s", v);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "stage", required_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ "annotate", no_argument, NULL, 'a' },
		{ "field", required_argument, NULL, 'f' },
		{ "hold", required_argument, NULL, 'H' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ NULL, 0, NULL, 0 },
	};
	struct opts po = { 0 };
	struct imp_stage st = { .name = PROG, .record = each, .arg = &po, .repeatable = 1 };
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
		case 'a': po.annotate = 1; break;
		case 'f': po.field = optarg, po.annotate = 1; break;
		case 'H': po.hold = optarg; break;
		case IMP_COUNTS_OPT: o.counts = optarg; break;
		default: return EX_USAGE;
		}
	}
	o.input = optind < argc ? argv[optind] : NULL;
	imp_init(&run);
	rc = imp_stage_run(PROG, &st, &o, &run, &e);
	return imp_exit(PROG, run.batch, &run, rc, &e);
}
