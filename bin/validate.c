/* SPDX-License-Identifier: ISC */
/*
 * validate: the record schema and the field rules of SPEC 5.1 and 5.3 for
 * every ok record (lib/rules.c); the checked values are written,
 * normalised, beside the values as entered, in <normalised>.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "impass.h"

#define PROG "validate"

struct validate {
	struct imp_date today;
	int day_first;                /* --dates day-first: the registers' convention */
	struct imp_rules *rules;
	struct imp_map *ids;          /* record id -> its number, 1-based */
	uint64_t scanned;
	struct imp_err id_fault;      /* the first record id no stage may take */
};

/* An id from the stream, for a message: printable ASCII, at most 40 bytes. */
static void
shown(char out[48], const char *id, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 40; i++)
		out[i] = id[i] > ' ' && id[i] < 0x7f ? id[i] : '?';
	strcpy(out + i, n > 40 ? "..." : "");
}

/*
 * Every record id, whatever its status, well-formed and once in the batch:
 * later stages name files and rows after it. Ingest makes it so; a stream
 * that breaks it was not made by this ingest (or was sealed by a key that
 * should not have). Noted while the seal is checked, refused after.
 */
static int
scan(void *arg, const char *line, size_t len, struct imp_err *e)
{
	struct validate *va = arg;
	char id[IMP_RECORD_ID_MAX + 1], show[48];
	const char *p = "";
	uint64_t first;
	size_t n = 0;
	int status;

	va->scanned++;
	if (va->id_fault.code != 0)
		return 0;
	if (va->ids == NULL && (va->ids = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	/* the reader checked the line's head before handing it here */
	if (imp_record_head(line, len, &p, &n, &status) == 0 || !imp_record_id_ok(p, n)) {
		shown(show, p, n);
		imp_fail(&va->id_fault, EX_DATAERR, "record %" PRIu64 " has the id '%s', which is "
			 "not 1 to 24 capital letters, digits and dashes; this ingest never writes "
			 "one: ingest the CSV again", va->scanned, show);
		return 0;
	}
	memcpy(id, p, n);
	id[n] = '\0';
	switch (imp_map_put(va->ids, id, va->scanned, &first)) {
	case 0:
		return 0;
	case 1:
		imp_fail(&va->id_fault, EX_DATAERR, "records %" PRIu64 " and %" PRIu64 " share the "
			 "id %s; this ingest never writes two: ingest the CSV again", first,
			 va->scanned, id);
		return 0;
	}
	return imp_fail(e, EX_SOFTWARE, "out of memory");
}

static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct validate *va = arg;

	if (va->id_fault.code != 0) {
		*e = va->id_fault;
		return e->code;
	}
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
	fputs("usage: validate [-s FPR] [-t FILE] [--today YYYY-MM-DD] [--dates day-first|any]\n"
	      "                [--counts FILE] [FILE|-]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Check every ok record against the record schema and the field rules.\n"
	      "  -s, --signer FPR    stage key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE    trust file (default $IMPASS_TRUST, /etc/impass/trust)\n"
	      "      --counts FILE   the counts of the run and of the output stream (as\n"
	      "                      inspect --counts gives them) as key=value lines to FILE\n"
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
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "today", required_argument, NULL, 'T' },
		{ "dates", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const kinds[] = { "application", "citizenship", NULL };
	struct validate va;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .scan = scan, .begin = begin,
				.record = each, .arg = &va };
	struct imp_stage_opts o = { 0 };
	struct imp_err e = { 0 };
	struct imp_run run;
	const char *today = NULL;
	int c, rc;

	memset(&va, 0, sizeof va);
	while ((c = getopt_long(argc, argv, "s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.signer = optarg; break;
		case IMP_COUNTS_OPT: o.counts = optarg; break;
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
	imp_map_free(va.ids);
	return imp_exit(PROG, run.batch, &run, rc, &e);
}
