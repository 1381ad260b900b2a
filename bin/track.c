/* SPDX-License-Identifier: ISC */
/*
 * track: where an application is, for the helpline and the office
 * counter: its timeline from intake to dispatch and collection, the
 * messages sent and their delivery reports, the current state, the courier
 * and consignment, and what the applicant should do. With --record, the
 * events of sealed streams go into the state database; with --arrived, a
 * consignment's arrival at the office (its passports ready there); with
 * --lang, the language an applicant asked for.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

#define PROG "track"

struct track {
	struct imp_event last;
	size_t n;
	int csv;
};

/* What the applicant should do, after the last event. Never the reason
 * of an "office" hold: the applicant is asked to come, nothing more. */
static const char *
advice(const struct imp_event *ev)
{
	static const struct {
		const char *event, *reason, *text;
	} adv[] = {
		{ "received", "", "nothing yet: the application is being checked" },
		{ "held", "fee", "bring the bank receipt of the fee to the passport office" },
		{ "held", "identity", "bring the CNIC to the passport office: the application "
		  "and the NADRA record differ" },
		{ "held", "details", "contact the passport office to correct the application" },
		{ "rejected", "fee", "the fee could not be verified: pay it at the bank and "
		  "bring the receipt to the passport office" },
		{ "rejected", "identity", "bring the CNIC to the passport office; the application "
		  "cannot go on as it is" },
		{ "rejected", "details", "apply again at the passport office with the "
		  "application corrected" },
		{ "printed", "", "nothing: the passport is printed and will be dispatched" },
		{ "dispatched", "", "wait for the courier, or collect it at the office named" },
		{ "ready", "", "collect the passport at the office named, with the CNIC and this "
		  "tracking id" },
	};
	size_t i;

	for (i = 0; i < sizeof adv / sizeof *adv; i++)
		if (strcmp(adv[i].event, ev->event) == 0 &&
		    (adv[i].reason[0] == '\0' || strcmp(adv[i].reason, ev->reason) == 0))
			return adv[i].text;
	return "contact the passport office with the CNIC and this tracking id";
}

static int
line(void *arg, const struct imp_event *ev)
{
	struct track *t = arg;

	t->last = *ev;
	t->n++;
	if (t->csv)
		return 0;
	printf("  %s  %-10s", ev->at, ev->event);
	if (strcmp(ev->event, "held") == 0 || strcmp(ev->event, "rejected") == 0)
		printf("  %s", strcmp(ev->reason, "office") == 0 ? "the office must see the "
		       "applicant" : ev->reason);
	else if (strcmp(ev->event, "dispatched") == 0)
		printf("  courier %s, consignment %s", ev->courier, ev->consignment);
	else if (strcmp(ev->event, "ready") == 0)
		printf("  at the office %s, consignment %s", ev->destination, ev->consignment);
	printf("  (batch %s)\n", ev->batch);
	if (ev->notice == IMP_NOTICE_SKIPPED)
		printf("    no SMS: %s\n", ev->why);
	else if (ev->notice >= 0 && ev->report)
		printf("    SMS to %s: %s, %s %s\n", ev->sent_to, ev->notice == IMP_NOTICE_SENT ?
		       "sent" : "being sent", imp_report_name(ev->report), ev->report_at);
	else if (ev->notice >= 0)
		printf("    SMS to %s: %s\n", ev->sent_to, ev->notice == IMP_NOTICE_SENT ? "sent" :
		       ev->notice == IMP_NOTICE_SENDING ? "being sent" : "waiting for the gateway");
	return 0;
}

static int
show(sqlite3 *db, const char *id, int csv, struct imp_err *e)
{
	struct track t;
	struct imp_buf b = { 0 };
	int rc;

	memset(&t, 0, sizeof t);
	t.csv = csv;
	if (!csv)
		printf("%s\n", id);
	if ((rc = imp_events_of(db, id, line, &t, e)) != 0)
		return rc;
	if (csv) {
		imp_csv_cell(&b, id, 1);
		imp_buf_printf(&b, ",%s,%s,", t.n ? t.last.event : "unknown", t.last.at);
		imp_csv_cell(&b, t.last.courier, 1);
		imp_buf_add(&b, ",", 1);
		imp_csv_cell(&b, t.last.consignment, 1);
		imp_buf_add(&b, ",", 1);
		imp_csv_cell(&b, t.last.office, 1);
		imp_buf_add(&b, ",", 1);
		imp_csv_cell(&b, t.n ? advice(&t.last) : "no such application in the state "
			     "database", 1);
		printf("%s\n", imp_buf_str(&b));
		imp_buf_free(&b);
		return 0;
	}
	if (t.n == 0) {
		printf("  no events: not in the state database (a tracking id of a batch not "
		       "yet recorded, or mistyped)\n");
		return -1;
	}
	printf("state: %s since %s\n", t.last.event, t.last.at);
	if (t.last.courier[0] != '\0')
		printf("courier: %s, consignment %s\n", t.last.courier, t.last.consignment);
	printf("office: %s\nwhat to do: %s\n", t.last.office[0] ? t.last.office : "-",
	       advice(&t.last));
	return 0;
}

/* ---- --record ---------------------------------------------------------------- */

struct event_read {                   /* a stream's records to the events table */
	sqlite3 *db;
	const char *kind, *batch;
	uint64_t *added, *records;
};

static int
event_kind(void *arg, const struct imp_batch *b, struct imp_err *e)
{
	struct event_read *er = arg;

	(void)e;
	er->kind = b->kind;
	er->batch = b->id;
	return 0;
}

static int
event_line(void *arg, uint64_t i, const char *l, size_t len, struct imp_err *e)
{
	struct event_read *er = arg;

	(void)i;
	(*er->records)++;
	return imp_events_from_line(er->db, er->kind, er->batch, l, len, er->added, e);
}

static int
record_stream(sqlite3 *db, const struct imp_keys *keys, const char *path, uint64_t *added,
	      uint64_t *records, struct imp_err *e)
{
	struct event_read er = { .db = db, .added = added, .records = records };
	struct imp_read how = { .ready = event_kind, .each = event_line, .arg = &er };
	struct imp_batch b;
	int rc;

	memset(&b, 0, sizeof b);
	rc = imp_stream_read(path, keys, &b, &how, e);
	imp_batch_free(&b);
	return rc;
}

/* Every stream verified and recorded in one transaction: all or nothing. */
static int
record(sqlite3 *db, const char *trust, char **files, int n, struct imp_err *e)
{
	struct imp_keys keys;
	uint64_t added = 0, records = 0;
	int i, rc;

	if ((rc = imp_keys_open(&keys, trust, NULL, NULL, e)) != 0)
		return rc;
	if ((rc = imp_state_begin(db, e)) == 0 &&
	    (rc = imp_events_init(db, e)) == 0)
		for (i = 0; i < n && rc == 0; i++)
			rc = record_stream(db, &keys, files[i], &added, &records, e);
	if (rc == 0 && (rc = imp_state_commit(db, e)) == 0)
		fprintf(stderr, "%s: %llu records of %d streams, %llu events recorded now\n", PROG,
			(unsigned long long)records, n, (unsigned long long)added);
	imp_keys_close(&keys);
	return rc;
}

/* ---- --arrived, --lang ------------------------------------------------------------ */

/* Consignments arrived at the office: their passports ready there, all or nothing. */
static int
arrived(sqlite3 *db, const char *office, char **cons, int n, struct imp_err *e)
{
	char dest[IMP_EVENT_TEXT];
	uint64_t added = 0;
	int i, rc;

	if ((rc = imp_state_begin(db, e)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = imp_events_arrived(db, office, cons[i], &added, dest, e)) == 1)
			rc = imp_fail(e, EX_DATAERR, "consignment %s: no passport dispatched in it is "
				      "recorded (track --record the courier run's stream first, or "
				      "check the number)", cons[i]);
		else if (rc == 2)
			rc = imp_fail(e, EX_DATAERR, "consignment %s goes to %s, not to the office %s; "
				      "nothing recorded", cons[i], dest[0] ? dest : "no recorded "
				      "destination", office);
	}
	if (rc != 0) {
		imp_state_rollback(db);
		return rc;
	}
	if ((rc = imp_state_commit(db, e)) == 0)
		fprintf(stderr, "%s: %d consignments at the office %s, %llu passports ready now\n",
			PROG, n, office, (unsigned long long)added);
	return rc;
}

static int
set_lang(sqlite3 *db, const char *lang, char **ids, int n, struct imp_err *e)
{
	int i, rc;

	if ((rc = imp_state_begin(db, e)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = imp_app_lang_set(db, ids[i], lang, e);
	if (rc != 0) {
		imp_state_rollback(db);
		return rc;
	}
	return imp_state_commit(db, e);
}

/* ---- main -------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs("usage: track [--state FILE] [--csv] TRACKING_ID...\n"
	      "       track [--state FILE] [-t FILE] --record FILE...\n"
	      "       track [--state FILE] --arrived OFFICE CONSIGNMENT...\n"
	      "       track [--state FILE] --lang en|ur TRACKING_ID...\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Where an application is: its events, current state, courier and consignment,\n"
	      "and what the applicant should do; --record takes the events of sealed streams.\n"
	      "      --csv          one CSV row per tracking id (operands, else one per line\n"
	      "                     on standard input)\n"
	      "      --record       record the events of the sealed streams FILE...\n"
	      "      --arrived OFFICE  the consignments came to the office: their passports\n"
	      "                     are ready there (event ready)\n"
	      "      --lang en|ur   the language the applicants asked for their messages\n"
	      "      --state FILE   the state database (default $IMPASS_SPOOL/state.db)\n"
	      "  -t, --trust FILE   trust file (default $IMPASS_TRUST)\n"
	      "  -h, --help         this text;  --version  the version\n"
	      "See track(1).\n", stdout);
}

static int
show_all(sqlite3 *db, int csv, char **ids, int n, struct imp_err *e)
{
	char *l = NULL;
	size_t cap = 0;
	ssize_t len;
	int i, rc = 0, missing = 0;

	if (csv)
		printf("tracking_id,state,since,courier,consignment,office,what_to_do\n");
	for (i = 0; i < n && rc >= 0; i++)
		if ((rc = show(db, ids[i], csv, e)) < 0)
			missing++, rc = 0;
		else if (rc > 0)
			return rc;
	if (n == 0)
		while ((len = getline(&l, &cap, stdin)) > 0) {
			l[strcspn(l, "\r\n")] = '\0';
			if (*l != '\0' && (rc = show(db, l, 1, e)) > 0)
				break;
		}
	free(l);
	if (rc > 0)
		return rc;
	return missing ? imp_fail(e, EX_DATAERR, "%d of %d tracking ids have no events", missing,
				  n) : 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "record", no_argument, NULL, 'R' },
		{ "arrived", required_argument, NULL, 'A' },
		{ "lang", required_argument, NULL, 'L' },
		{ "state", required_argument, NULL, 'S' },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL, *trust = NULL, *office = NULL, *lang = NULL;
	struct imp_err e = { 0 };
	struct imp_run run;
	sqlite3 *db = NULL;
	int c, csv = 0, rec = 0, rc;

	while ((c = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': csv = 1; break;
		case 'R': rec = 1; break;
		case 'A': office = optarg; break;
		case 'L': lang = optarg; break;
		case 'S': state = optarg; break;
		case 't': trust = optarg; break;
		case 'h': help(); return imp_close_stdout(PROG, NULL);
		case 'V': puts(PROG " " IMP_VERSION); return imp_close_stdout(PROG, NULL);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if ((rec + (office != NULL) + (lang != NULL) + csv > 1) ||
	    (!csv && optind == argc) || (lang && strcmp(lang, "en") && strcmp(lang, "ur"))) {
		usage(stderr);
		return EX_USAGE;
	}
	imp_init(&run);
	if ((rc = imp_state_open(state, 30000, &db, &e)) == 0 && (rc = imp_events_init(db, &e)) == 0)
		rc = rec ? record(db, trust, argv + optind, argc - optind, &e) :
		     office ? arrived(db, office, argv + optind, argc - optind, &e) :
		     lang ? set_lang(db, lang, argv + optind, argc - optind, &e) :
		     show_all(db, csv, argv + optind, argc - optind, &e);
	imp_state_close(db);
	return imp_exit(PROG, NULL, NULL, rc, &e);
}
