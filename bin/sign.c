/* SPDX-License-Identifier: ISC */
/*
 * sign: the approval. Verifies the batch, holds every ok record that did
 * not pass every required stage, and seals the output with an approver
 * key that did not seal the batch's ingest (four eyes). spool-print takes
 * nothing else.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "series.h"

#define PROG "sign"
#define MAX_STAGES 8

static const char *const known[] = {
	"validate", "verify-fee", "verify-nadra", "screen-pcl", "dedup", "render-mrz", NULL,
};

#define MRZ_OK "<step stage=\"render-mrz\" result=\"ok\""

struct sign {
	const char *need[MAX_STAGES + 1];
	size_t n;
	char needle[96];
	int explicit;                 /* --require given */
	struct imp_buf missing, passed;
	const char *state;            /* --state, or NULL */
	struct imp_buf carried;       /* the passport numbers the stream carries */
};

static int
scan(void *arg, const char *line, size_t len, struct imp_err *e)
{
	(void)e;
	imp_ledger_collect(line, len, &((struct sign *)arg)->carried);
	return 0;
}

/* The numbers against the ledger, where sign can see it (--state, or the
 * spool's state.db when there is one): a void number, or one the ledger did
 * not give that record, is never approved. */
static int
ledger_check(struct sign *sg, const char *batch, struct imp_err *e)
{
	char def[4096];
	const char *path = sg->state;
	sqlite3 *db;
	int rc;

	if (path == NULL) {
		snprintf(def, sizeof def, "%s/state.db", imp_spool_path(NULL));
		if (access(def, F_OK) != 0)
			return 0;
		path = def;
	}
	if ((rc = imp_ledger_open(path, 30000, &db, e)) != 0)
		return rc;
	rc = imp_ledger_check(db, batch, &sg->carried, "nothing was approved: run the batch "
			      "again from its validated stream through render-mrz", e);
	imp_state_close(db);
	return rc;
}

/* Whether the record line has an ok step of the stage. Values are escaped
 * in a record line, so "<step" is only ever a step's start tag. render-mrz
 * counts only while the record holds its passport: a reprint (spool-print
 * --reprint) keeps the old step but takes the spoiled passport away. */
static int
passed(struct sign *sg, const char *line, size_t len, const char *stage)
{
	snprintf(sg->needle, sizeof sg->needle, "<step stage=\"%s\" result=\"ok\"", stage);
	if (memmem(line, len, sg->needle, strlen(sg->needle)) == NULL)  /* an officer cleared */
		return strcmp(stage, "render-mrz") != 0 && imp_review_cleared(line, len, stage);
	return strcmp(stage, "render-mrz") != 0 || memmem(line, len, "<passport ", 10) != NULL;
}

static int
each(void *arg, struct imp_record *r, struct imp_err *e)
{
	struct sign *sg = arg;
	const char *line;
	size_t len, i, nmissing = 0;
	int rc;

	imp_record_line(r, &line, &len);
	imp_buf_reset(&sg->missing);
	imp_buf_reset(&sg->passed);
	for (i = 0; i < sg->n; i++)
		if (!passed(sg, line, len, sg->need[i]))
			imp_buf_printf(&sg->missing, "%s%s%s", nmissing++ ? ", " : "", sg->need[i],
				       strcmp(sg->need[i], "render-mrz") == 0 &&
				       memmem(line, len, MRZ_OK, sizeof MRZ_OK - 1) != NULL ? " since its passport was taken back "
				       "(a reprint runs render-mrz again)" : "");
		else
			imp_buf_printf(&sg->passed, "%s%s", sg->passed.len ? ", " : "", sg->need[i]);
	if (nmissing > 0)
		rc = imp_record_step(r, PROG, IMP_HELD, "SIGN_STAGE_MISSING", NULL, "not approved: "
				     "no ok step of %s; every record must pass %s before it is "
				     "approved", imp_buf_str(&sg->missing), nmissing > 1 ? "each of "
				     "the required stages" : "the required stage");
	else
		rc = imp_record_step(r, PROG, IMP_OK_STATUS, "SIGN_APPROVED", NULL, "approved: "
				     "passed %s", imp_buf_str(&sg->passed));
	return rc != 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
}

static int
known_stage(const char *s)
{
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], s) == 0)
			return 1;
	return 0;
}

static int
add_stage(struct sign *sg, const char *s)
{
	size_t i;

	for (i = 0; i < sg->n; i++)
		if (strcmp(sg->need[i], s) == 0)
			return 0;
	if (sg->n == MAX_STAGES)
		return -1;
	sg->need[sg->n++] = s;
	return 0;
}

/* --require a,b,c: stages from the list of known ones, blanks around a
 * name allowed; an empty name or an empty list is a usage error. */
static int
parse_require(struct sign *sg, char *list)
{
	char *s, *end, *next;

	sg->n = 0;
	for (s = list; s != NULL; s = next) {
		if ((next = strchr(s, ',')) != NULL)
			*next++ = '\0';
		s += strspn(s, " ");
		for (end = s + strlen(s); end > s && end[-1] == ' '; end--)
			;
		*end = '\0';
		if (!known_stage(s)) {
			imp_warn(PROG, NULL, "--require: '%s' is not a stage (validate, "
				 "verify-fee, verify-nadra, screen-pcl, dedup, render-mrz); give "
				 "them comma-separated", s);
			return EX_USAGE;
		}
		add_stage(sg, s);
	}
	return 0;
}

/* Applications: render-mrz always, for there is nothing to approve without
 * a passport. Citizenship certificates (the migration) by default need
 * validate and dedup. */
static int
begin(void *arg, const struct imp_batch *in, struct imp_err *e)
{
	struct sign *sg = arg;
	int rc;

	if (strcmp(in->kind, "application") == 0 &&
	    (rc = ledger_check(sg, in->id, e)) != 0)
		return rc;
	if (strcmp(in->kind, "application") == 0)
		add_stage(sg, "render-mrz");
	else if (!sg->explicit) {
		sg->n = 0;
		add_stage(sg, "validate");
		add_stage(sg, "dedup");
	}
	return 0;
}

static void
usage(FILE *f)
{
	fputs("usage: sign [--require STAGE,...] [--state DB] [-s FPR] [-t FILE] [--counts FILE]\n"
	      "            [FILE|-]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Approve a batch: hold records that missed a required stage, seal with an\n"
	      "approver key that did not seal the batch's ingest.\n"
	      "  -r, --require LIST    stages every record must have passed, comma-separated\n"
	      "                        (default validate,verify-fee,verify-nadra,screen-pcl,\n"
	      "                        dedup,render-mrz; render-mrz always for applications;\n"
	      "                        citizenship certificates validate,dedup)\n"
	      "      --state DB        the ledger the passport numbers are checked against\n"
	      "                        (default $IMPASS_SPOOL/state.db, when it exists)\n"
	      "  -s, --signer FPR      approver key that seals (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE      trust file (default $IMPASS_TRUST)\n"
	      "      --counts FILE     the counts of the run and of the output stream (as\n"
	      "                        inspect --counts gives them) as key=value lines to FILE\n"
	      "  -h, --help            this text;  --version  the version\n"
	      "See sign(1).\n", stdout);
}

int
main(int argc, char **argv)
{
	static const char *const kinds[] = { "application", "citizenship", NULL };
	static const struct option longopts[] = {
		{ "require", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 'S' },
		{ "signer", required_argument, NULL, 's' },
		{ "counts", required_argument, NULL, IMP_COUNTS_OPT },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char defaults[] = "validate,verify-fee,verify-nadra,screen-pcl,dedup,render-mrz";
	struct sign sg;
	struct imp_stage st = { .name = PROG, .kinds = kinds, .four_eyes = 1, .scan = scan,
				.begin = begin, .record = each,
				.arg = &sg };
	struct imp_stage_opts so = { 0 };
	struct imp_err e = { 0 };
	struct imp_run run;
	char *require = defaults;
	int c, rc;

	memset(&sg, 0, sizeof sg);
	while ((c = getopt_long(argc, argv, "r:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': require = optarg; sg.explicit = 1; break;
		case 'S': sg.state = optarg; break;
		case 's': so.signer = optarg; break;
		case IMP_COUNTS_OPT: so.counts = optarg; break;
		case 't': so.trust = optarg; break;
		case 'h': help(); return 0;
		case 'V': puts(PROG " " IMP_VERSION); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((rc = parse_require(&sg, require)) != 0)
		return rc;
	so.input = optind < argc ? argv[optind] : NULL;
	imp_init(&run);
	rc = imp_stage_run(PROG, &st, &so, &run, &e);
	imp_buf_free(&sg.missing);
	imp_buf_free(&sg.passed);
	imp_buf_free(&sg.carried);
	return imp_exit(PROG, run.batch, &run, rc, &e);
}
