/* SPDX-License-Identifier: ISC */
/*
 * validate: the record schema and the field rules of SPEC 5.1 and 5.3 for
 * every ok record (lib/rules.c); the checked values are written,
 * normalised, beside the values as entered, in <normalised>.
 */
#include <getopt.h>
#include <string.h>

#include "impass.h"

#define PROG "validate"

struct validate {
	struct imp_date today;
	int day_first;                /* --dates day-first: the registers' convention */
	struct imp_rules *rules;
};

static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct validate *va = arg;

	return imp_rules_open(&va->rules, in->kind, &va->today, va->day_first, e);
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct validate *va = arg;

	return imp_rules_check(va->rules, r, e);
}

static void
usage(FILE *f)
{
	fputs("usage: validate [-s FPR] [-t FILE] [--today YYYY-MM-DD] [--dates day-first|any] "
	      "[FILE|-]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Check every ok record against the record schema and the field rules.\n"
	      "  -s, --signer FPR    stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE    trust file (default $IMPASS_TRUST, /etc/impass/trust)\n"
	      "      --today DATE    the date rules count from (default: today)\n"
	      "      --dates HOW     certificates: day-first reads 03/04/98 as 3 April, as\n"
	      "                      the register is written; any (default) reads a date\n"
	      "                      only where one reading fits\n"
	      "  -h, --help          this text;  --version  the version\n"
	      "Bad values reject the record, doubtful ones hold it; see validate(1).\n", stdout);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "today", required_argument, NULL, 'T' },
		{ "dates", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const kinds[] = { "application", "citizenship", NULL };
	struct validate va;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .begin = begin, .record = each,
				.arg = &va };
	struct imp_stage_opts o = { 0 };
	struct imp_err e = { 0 };
	struct imp_run run;
	const char *today = NULL;
	int c, rc;

	memset(&va, 0, sizeof va);
	while ((c = getopt_long(argc, argv, "s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.signer = optarg; break;
		case 't': o.trust = optarg; break;
		case 'T': today = optarg; break;
		case 'D':
			if (strcmp(optarg, "day-first") != 0 && strcmp(optarg, "any") != 0) {
				imp_warn(PROG, NULL, "--dates '%s': give day-first or any", optarg);
				return EX_USAGE;
			}
			va.day_first = strcmp(optarg, "day-first") == 0;
			break;
		case 'h': help(); return 0;
		case 'V': puts(PROG " " IMP_VERSION); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (today != NULL ? imp_date_iso(today, &va.today) != 0 : imp_date_today(&va.today) != 0) {
		imp_warn(PROG, NULL, "--today '%s' is not a real date written YYYY-MM-DD", today);
		return EX_USAGE;
	}
	o.input = optind < argc ? argv[optind] : NULL;
	imp_init(&run);
	rc = imp_stage_run(PROG, &st, &o, &run, &e);
	imp_rules_close(va.rules);
	return imp_exit(PROG, run.batch, &run, rc, &e);
}
