/* SPDX-License-Identifier: ISC */
/*
 * notify: each applicant told of the events they should hear of (received,
 * held, rejected, printed, dispatched, ready at the office), once, by SMS
 * through the sendsms interface of a Kannel smsbox, from templates in
 * English and Urdu that the office edits. A notice is recorded as being
 * sent before the request and as sent after the gateway accepted it; the
 * gateway's delivery reports (notify --receive) are recorded too, and one
 * of a message a killed run left as being sent makes it sent. See notify(1).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "events.h"

#define PROG "notify"
#define TEMPLATE_MAX 640              /* bytes of a template: four SMS parts */

struct template {
	char event[16], reason[16], lang[3];
	char *text;
	unsigned long line;
};

struct notify {
	const char *gateway, *templates_path, *user, *from, *lang, *state;
	const char *report_url;       /* where the gateway sends delivery reports */
	const char *receive;          /* ADDR:PORT: receive them (--receive) */
	char key[65];                 /* the secret the report URLs carry */
	uint64_t reports, refused;
	char password[256];
	double rate;                  /* messages a second, at most */
	long retries, backoff_ms;
	size_t max;
	struct template *t;
	size_t nt;
	sqlite3 *db;
	CURL *curl;
	struct imp_notice *due;
	size_t ndue;
	struct imp_buf url, text, reply;
	uint64_t sent, skipped, resent;
	double last_send;
};

/* ---- the templates ------------------------------------------------------------ */

static const char *const tcols[] = { "event", "reason", "lang", "text" };

/* Only these placeholders: a typo in a template is found when it is read. */
static int
placeholders_ok(const char *s, const char **bad)
{
	static const char *const known[] = { "{tracking_id}", "{office}", "{courier}",
					     "{consignment}" };
	const char *p;
	size_t i;

	for (p = strchr(s, '{'); p != NULL; p = strchr(p + 1, '{')) {
		for (i = 0; i < 4; i++)
			if (strncmp(p, known[i], strlen(known[i])) == 0)
				break;
		if (i == 4) {
			*bad = p;
			return 0;
		}
	}
	return 1;
}

struct tctx {
	struct notify *nt;
	size_t col[4];
};

static int
template_row(void *arg, const struct imp_csv_row *row, struct imp_err *e)
{
	struct tctx *c = arg;
	struct notify *nt = c->nt;
	struct template t, *grown;
	const char *ev, *reason, *lang, *text, *bad;

	if (row->header)
		return imp_csv_header(row, "the message templates", tcols, 4, c->col, e);
	if (row->n != 4)
		return imp_fail(e, EX_DATAERR, "templates %s line %lu: %zu fields, not 4; correct "
				"the file", row->file, row->line, row->n);
	ev = row->field[c->col[0]], reason = row->field[c->col[1]];
	lang = row->field[c->col[2]], text = row->field[c->col[3]];
	if (strcmp(ev, "received") && strcmp(ev, "held") && strcmp(ev, "rejected") &&
	    strcmp(ev, "printed") && strcmp(ev, "dispatched") && strcmp(ev, "ready"))
		return imp_fail(e, EX_DATAERR, "templates %s line %lu: event '%s' is not received, "
				"held, rejected, printed, dispatched or ready", row->file, row->line,
				ev);
	if (*reason && strcmp(reason, "office") && strcmp(reason, "fee") &&
	    strcmp(reason, "identity") && strcmp(reason, "details"))
		return imp_fail(e, EX_DATAERR, "templates %s line %lu: reason '%s' is not empty, "
				"office, fee, identity or details", row->file, row->line, reason);
	if (strcmp(lang, "en") && strcmp(lang, "ur"))
		return imp_fail(e, EX_DATAERR, "templates %s line %lu: lang '%s' is not en or ur",
				row->file, row->line, lang);
	if (*text == '\0' || strlen(text) > TEMPLATE_MAX)
		return imp_fail(e, EX_DATAERR, "templates %s line %lu: the text is empty or longer "
				"than %d bytes", row->file, row->line, TEMPLATE_MAX);
	if (!placeholders_ok(text, &bad))
		return imp_fail(e, EX_DATAERR, "templates %s line %lu: unknown placeholder at '%.20s'; "
				"use {tracking_id}, {office}, {courier}, {consignment}", row->file,
				row->line, bad);
	memset(&t, 0, sizeof t);
	snprintf(t.event, sizeof t.event, "%s", ev);
	snprintf(t.reason, sizeof t.reason, "%.15s", reason);
	snprintf(t.lang, sizeof t.lang, "%s", lang);
	t.line = row->line;
	if ((t.text = strdup(text)) == NULL ||
	    (grown = reallocarray(nt->t, nt->nt + 1, sizeof *grown)) == NULL) {
		free(t.text);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	nt->t = grown;
	nt->t[nt->nt++] = t;
	return 0;
}

/* The template of an event in a language: its reason's, else the event's. */
static const struct template *
template_for(const struct notify *nt, const struct imp_event *ev, const char *lang)
{
	const struct template *any = NULL;
	size_t i;

	for (i = 0; i < nt->nt; i++) {
		if (strcmp(nt->t[i].event, ev->event) || strcmp(nt->t[i].lang, lang))
			continue;
		if (strcmp(nt->t[i].reason, ev->reason) == 0)
			return &nt->t[i];
		if (nt->t[i].reason[0] == '\0' && any == NULL)
			any = &nt->t[i];
	}
	return any;
}

static void
fill(struct imp_buf *out, const char *t, const struct imp_event *ev)
{
	const char *p;

	imp_buf_reset(out);
	for (; (p = strchr(t, '{')) != NULL; t = strchr(p, '}') + 1) {
		imp_buf_add(out, t, (size_t)(p - t));
		imp_buf_puts(out, strncmp(p, "{tracking_id}", 13) == 0 ? ev->tracking_id :
			     strncmp(p, "{office}", 8) == 0 ? ev->office :
			     strncmp(p, "{courier}", 9) == 0 ? ev->courier : ev->consignment);
	}
	imp_buf_puts(out, t);
}

/* ---- the gateway ---------------------------------------------------------------- */

static size_t
keep_reply(char *p, size_t size, size_t n, void *arg)
{
	struct imp_buf *b = arg;

	if (b->len < 512)
		imp_buf_add(b, p, size * n < 512 ? size * n : 512);
	return size * n;
}

static void
param(struct notify *nt, const char *name, const char *value)
{
	char *v = curl_easy_escape(nt->curl, value, 0);

	imp_buf_printf(&nt->url, "%c%s=%s", strchr(imp_buf_str(&nt->url), '?') ? '&' : '?', name,
		       v ? v : "");
	curl_free(v);
}

/* One request: 0 accepted, 1 worth trying again (no answer, 5xx), 2 refused. */
static int
request(struct notify *nt, int64_t id, const char *to, const char *text, struct imp_buf *why)
{
	char dlr[1024];

	long code = 0;
	CURLcode rc;
	const char *p;
	int unicode = 0;

	for (p = text; *p != '\0'; p++)
		unicode |= (unsigned char)*p >= 0x80;
	imp_buf_reset(&nt->url);
	imp_buf_puts(&nt->url, nt->gateway);
	param(nt, "username", nt->user);
	param(nt, "password", nt->password);
	if (nt->from != NULL)
		param(nt, "from", nt->from);
	param(nt, "to", to);
	param(nt, "text", text);
	param(nt, "charset", "UTF-8");
	param(nt, "coding", unicode ? "2" : "0");       /* Urdu goes as UCS-2 */
	if (nt->report_url != NULL) {   /* Kannel puts the report's type for %d */
		snprintf(dlr, sizeof dlr, "%s%ce=%lld&s=%%d&k=%s", nt->report_url,
			 strchr(nt->report_url, '?') ? '&' : '?', (long long)id, nt->key);
		param(nt, "dlr-mask", "27");    /* delivered, not, SMSC took it, refused */
		param(nt, "dlr-url", dlr);
	}
	imp_buf_reset(&nt->reply);
	curl_easy_setopt(nt->curl, CURLOPT_URL, imp_buf_str(&nt->url));
	rc = curl_easy_perform(nt->curl);
	imp_buf_reset(why);
	if (rc != CURLE_OK) {
		imp_buf_printf(why, "no answer from the gateway: %s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(nt->curl, CURLINFO_RESPONSE_CODE, &code);
	imp_buf_printf(why, "HTTP %ld %s", code, imp_buf_str(&nt->reply));
	while (why->len > 0 && (why->p[why->len - 1] == '\n' || why->p[why->len - 1] == '\r'))
		why->p[--why->len] = '\0';
	return code >= 200 && code < 300 ? 0 : code >= 500 ? 1 : 2;
}

static void
sleep_for(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Sent, with the retries and their back-off: 0, or the request's answer. */
static int
send_once(struct notify *nt, int64_t id, const char *to, const char *text, struct imp_buf *why)
{
	double wait = (double)nt->backoff_ms / 1000;
	long attempt;
	int rc = 1;

	for (attempt = 0; attempt <= nt->retries && rc == 1; attempt++) {
		if (attempt > 0) {
			sleep_for(wait);
			wait *= 2;
		}
		sleep_for(nt->last_send + 1 / nt->rate - imp_now());   /* the rate limit */
		nt->last_send = imp_now();
		rc = request(nt, id, to, text, why);
	}
	return rc;
}

/* ---- one notice ------------------------------------------------------------------- */

static int
skip(struct notify *nt, const struct imp_notice *n, const char *why, struct imp_err *e)
{
	nt->skipped++;
	return imp_notice_set(nt->db, n->ev.id, IMP_NOTICE_SKIPPED, "", "", why, e);
}

static int
one(struct notify *nt, const struct imp_notice *n, struct imp_err *e)
{
	const struct template *t;
	struct imp_buf why = { 0 };
	char to[IMP_PHONE_MAX + 1];
	int pk, rc;

	if (imp_phone_normalise(n->ev.phone, to, &pk) != 0)
		return skip(nt, n, "no mobile number", e);
	/* the language: the applicant's (track --lang), else --lang, else by the number */
	if ((t = template_for(nt, &n->ev, n->ev.lang[0] ? n->ev.lang : nt->lang ? nt->lang :
			      pk ? "ur" : "en")) == NULL)
		return skip(nt, n, "no template for the event", e);
	fill(&nt->text, t->text, &n->ev);
	if (n->state == IMP_NOTICE_SENDING) {
		nt->resent++;
		imp_warn(PROG, n->ev.batch, "%s: the %s message was being sent when a run stopped; "
			 "it is sent again (the applicant may get it twice)", n->ev.tracking_id,
			 n->ev.event);
	}
	if ((rc = imp_notice_set(nt->db, n->ev.id, IMP_NOTICE_SENDING, to, imp_buf_str(&nt->text),
				 "", e)) != 0)
		return rc;
	imp_fault("notify-sending");
	if ((rc = send_once(nt, n->ev.id, to, imp_buf_str(&nt->text), &why)) != 0) {
		imp_notice_set(nt->db, n->ev.id, IMP_NOTICE_PENDING, to, imp_buf_str(&nt->text),
			       imp_buf_str(&why), e);
		rc = rc == 1 ? imp_fail(e, EX_TEMPFAIL, "the gateway %s did not take the %s message "
					"of %s after %ld tries (%s); it and the others wait: run "
					"notify again when the gateway is up", nt->gateway,
					n->ev.event, n->ev.tracking_id, nt->retries + 1,
					imp_buf_str(&why)) :
		     imp_fail(e, EX_UNAVAILABLE, "the gateway %s refused the %s message of %s (%s); "
			      "check --user, --password-file and the gateway's sendsms-user; "
			      "nothing more is sent", nt->gateway, n->ev.event,
			      n->ev.tracking_id, imp_buf_str(&why));
		imp_buf_free(&why);
		return rc;
	}
	imp_buf_free(&why);
	imp_fault("notify-accepted");
	nt->sent++;
	return imp_notice_set(nt->db, n->ev.id, IMP_NOTICE_SENT, to, imp_buf_str(&nt->text), "", e);
}

static int
collect(void *arg, const struct imp_notice *n)
{
	struct notify *nt = arg;
	struct imp_notice *grown;

	if ((grown = reallocarray(nt->due, nt->ndue + 1, sizeof *grown)) == NULL)
		return -1;
	nt->due = grown;
	nt->due[nt->ndue++] = *n;
	return 0;
}

static int
run(struct notify *nt, struct imp_err *e)
{
	struct tctx c = { nt, { 0 } };
	size_t i;
	int rc;

	if ((rc = imp_csv_read(nt->templates_path, template_row, &c, e)) != 0 ||
	    (rc = imp_state_open(nt->state, 30000, &nt->db, e)) != 0 ||
	    (rc = imp_events_init(nt->db, e)) != 0 ||
	    (nt->report_url != NULL && (rc = imp_notice_key(nt->db, nt->key, e)) != 0) ||
	    (rc = imp_notices_due(nt->db, nt->max, collect, nt, e)) != 0)
		return rc;
	if ((nt->curl = curl_easy_init()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "cannot start libcurl");
	curl_easy_setopt(nt->curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(nt->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(nt->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(nt->curl, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(nt->curl, CURLOPT_WRITEDATA, &nt->reply);
	for (i = 0; i < nt->ndue && rc == 0; i++)
		rc = one(nt, &nt->due[i], e);
	return rc;
}

/* ---- the delivery reports (--receive) ---------------------------------------------- */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int code, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

/* The key compared in constant time: a wrong one says nothing of the right one. */
static int
key_ok(const char *given, const char *key)
{
	unsigned char diff = 0;
	size_t i;

	if (given == NULL || strlen(given) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		diff |= (unsigned char)(given[i] ^ key[i]);
	return diff == 0;
}

/* GET ...?e=EVENT&s=TYPE&k=KEY from smsbox: one delivery report. */
static enum MHD_Result
report(void *arg, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *data, size_t *size, void **state)
{
	struct notify *nt = arg;
	struct imp_err e = { 0 };
	const char *ev, *st;
	char *end;
	long long id;
	long type;
	int rc;

	(void)url, (void)version, (void)data, (void)size, (void)state;
	if (strcmp(method, "GET") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");
	if (!key_ok(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "k"), nt->key)) {
		nt->refused++;
		return reply(c, MHD_HTTP_FORBIDDEN, "not a report of this gateway\n");
	}
	ev = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "e");
	st = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "s");
	id = ev != NULL && *ev >= '0' && *ev <= '9' ? strtoll(ev, &end, 10) : -1;
	if (id < 0 || *end != '\0' || st == NULL || (type = strtol(st, &end, 10), *end != '\0') ||
	    (type != 1 && type != 2 && type != 4 && type != 8 && type != 16)) {
		nt->refused++;
		return reply(c, MHD_HTTP_BAD_REQUEST, "e=EVENT&s=1|2|4|8|16 expected\n");
	}
	if ((rc = imp_notice_report(nt->db, id, (int)type, &e)) == 1) {
		nt->refused++;
		return reply(c, MHD_HTTP_NOT_FOUND, "no message of that event was sent\n");
	}
	if (rc != 0) {
		imp_warn(PROG, NULL, "a delivery report of event %lld not recorded: %s", id, e.msg);
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not recorded; send it again\n");
	}
	nt->reports++;
	return reply(c, MHD_HTTP_OK, "recorded\n");
}

static int
receive(struct notify *nt, struct imp_err *e)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	char addr[64], *colon;
	unsigned long port;
	sigset_t stop;
	int sig;

	snprintf(addr, sizeof addr, "%s", nt->receive);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	if ((colon = strrchr(addr, ':')) == NULL || (*colon = '\0', port = strtoul(colon + 1,
	    &colon, 10)) > 65535 || *colon != '\0' || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return imp_fail(e, EX_USAGE, "--receive '%s' is not ADDRESS:PORT (IPv4, e.g. "
				"127.0.0.1:13080)", nt->receive);
	sa.sin_port = htons((uint16_t)port);
	if ((sig = imp_state_open(nt->state, 30000, &nt->db, e)) != 0 ||
	    (sig = imp_events_init(nt->db, e)) != 0 || (sig = imp_notice_key(nt->db, nt->key, e)) != 0)
		return sig;
	/* the server's thread and this one block the signals; this one waits for them */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, report, nt,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
	if (d == NULL)
		return imp_fail(e, EX_UNAVAILABLE, "cannot listen on %s (in use, or not an address "
				"of this machine)", nt->receive);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "%s: receiving delivery reports on http://%s:%u/ (give notify "
		"--report-url that URL)\n", PROG, addr, info ? info->port : (unsigned)port);
	sigwait(&stop, &sig);
	MHD_stop_daemon(d);
	fprintf(stderr, "%s: %llu delivery reports recorded, %llu refused\n", PROG,
		(unsigned long long)nt->reports, (unsigned long long)nt->refused);
	return 0;
}

/* ---- main ------------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs("usage: notify --gateway URL --templates FILE --user NAME --password-file FILE\n"
	      "              [--from SENDER] [--lang en|ur] [--rate N] [--retries N]\n"
	      "              [--backoff MS] [--max N] [--report-url URL] [--state FILE]\n"
	      "       notify --receive ADDRESS:PORT [--state FILE]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Send each applicant the messages of their events once, through Kannel's sendsms.\n"
	      "  -g, --gateway URL        smsbox's sendsms URL (http://127.0.0.1:13013/cgi-bin/sendsms)\n"
	      "  -T, --templates FILE     the message templates (CSV: event,reason,lang,text)\n"
	      "  -u, --user NAME          the gateway's sendsms-user\n"
	      "  -P, --password-file FILE its password, the file's first line\n"
	      "      --from SENDER        the sender shown to the applicant\n"
	      "      --lang en|ur         the language of those who asked for none (track\n"
	      "                           --lang) (default: ur for +92, en else)\n"
	      "      --rate N             messages a second at most (default 10)\n"
	      "      --retries N          tries again after no answer or a 5xx (default 3)\n"
	      "      --backoff MS         the first wait before a retry, doubled each time\n"
	      "                           (default 1000)\n"
	      "      --max N              send at most N messages this run\n"
	      "      --report-url URL     ask the gateway for delivery reports, sent to URL\n"
	      "                           (where notify --receive listens)\n"
	      "      --receive ADDR:PORT  receive the delivery reports until stopped\n"
	      "      --state FILE         the state database (default $IMPASS_SPOOL/state.db)\n"
	      "  -h, --help               this text;  --version  the version\n"
	      "See notify(1).\n", stdout);
}

static int
number(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;

	*out = strtod(s, &end);
	if (end == s || *end != '\0' || !(*out >= lo && *out <= hi)) {
		imp_warn(PROG, NULL, "%s '%s' is not a number from %g to %g", opt, s, lo, hi);
		return EX_USAGE;
	}
	return 0;
}

static int
read_password(struct notify *nt, const char *path, struct imp_err *e)
{
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return imp_fail(e, EX_NOINPUT, "cannot open the password file %s", path);
	if (fgets(nt->password, sizeof nt->password, f) == NULL)
		nt->password[0] = '\0';
	fclose(f);
	nt->password[strcspn(nt->password, "\r\n")] = '\0';
	return 0;
}

static int
parse_opts(int argc, char **argv, struct notify *nt, const char **pwfile)
{
	static const struct option longopts[] = {
		{ "gateway", required_argument, NULL, 'g' },
		{ "templates", required_argument, NULL, 'T' },
		{ "user", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "from", required_argument, NULL, 'F' },
		{ "lang", required_argument, NULL, 'L' },
		{ "rate", required_argument, NULL, 'r' },
		{ "retries", required_argument, NULL, 'R' },
		{ "backoff", required_argument, NULL, 'B' },
		{ "max", required_argument, NULL, 'M' },
		{ "state", required_argument, NULL, 'S' },
		{ "report-url", required_argument, NULL, 'U' },
		{ "receive", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	double x;
	int c, rc = 0;

	nt->rate = 10, nt->retries = 3, nt->backoff_ms = 1000, nt->max = (size_t)-1 / 2;
	while (rc == 0 && (c = getopt_long(argc, argv, "g:T:u:P:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'g': nt->gateway = optarg; break;
		case 'T': nt->templates_path = optarg; break;
		case 'u': nt->user = optarg; break;
		case 'P': *pwfile = optarg; break;
		case 'F': nt->from = optarg; break;
		case 'L': nt->lang = optarg; break;
		case 'S': nt->state = optarg; break;
		case 'U': nt->report_url = optarg; break;
		case 'C': nt->receive = optarg; break;
		case 'r': rc = number("--rate", optarg, 0.01, 1000, &nt->rate); break;
		case 'R': rc = number("--retries", optarg, 0, 20, &x), nt->retries = (long)x; break;
		case 'B': rc = number("--backoff", optarg, 0, 600000, &x), nt->backoff_ms = (long)x;
			  break;
		case 'M': rc = number("--max", optarg, 0, 1e9, &x), nt->max = (size_t)x; break;
		case 'h': help(); exit(imp_close_stdout(PROG, NULL));
		case 'V': puts(PROG " " IMP_VERSION); exit(imp_close_stdout(PROG, NULL));
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (rc != 0)
		return rc;
	if (nt->receive != NULL) {
		if (optind == argc && !nt->gateway && !nt->templates_path && !nt->user && !*pwfile)
			return 0;
		usage(stderr);
		return EX_USAGE;
	}
	if (nt->report_url != NULL && ((strncmp(nt->report_url, "http://", 7) &&
					strncmp(nt->report_url, "https://", 8)) ||
				       strlen(nt->report_url) > 512)) {
		imp_warn(PROG, NULL, "--report-url '%.80s' is not an http:// or https:// URL of "
			 "at most 512 characters", nt->report_url);
		return EX_USAGE;
	}
	if (optind != argc || !nt->gateway || !nt->templates_path || !nt->user || !*pwfile ||
	    (nt->lang && strcmp(nt->lang, "en") && strcmp(nt->lang, "ur"))) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strncmp(nt->gateway, "http://", 7) && strncmp(nt->gateway, "https://", 8)) {
		imp_warn(PROG, NULL, "--gateway '%s' is not an http:// or https:// URL", nt->gateway);
		return EX_USAGE;
	}
	return 0;
}

static void
cleanup(struct notify *nt)
{
	size_t i;

	for (i = 0; i < nt->nt; i++)
		free(nt->t[i].text);
	free(nt->t);
	free(nt->due);
	if (nt->curl)
		curl_easy_cleanup(nt->curl);
	imp_state_close(nt->db);
	imp_buf_free(&nt->url);
	imp_buf_free(&nt->text);
	imp_buf_free(&nt->reply);
	explicit_bzero(nt->password, sizeof nt->password);
	explicit_bzero(nt->key, sizeof nt->key);
}

int
main(int argc, char **argv)
{
	struct notify nt;
	struct imp_err e = { 0 };
	struct imp_run r;
	const char *pwfile = NULL;
	uint64_t counts[4] = { 0 };
	int rc;

	memset(&nt, 0, sizeof nt);
	if ((rc = parse_opts(argc, argv, &nt, &pwfile)) != 0)
		return rc;
	imp_init(&r);
	if (nt.receive != NULL) {
		rc = receive(&nt, &e);
		cleanup(&nt);
		return imp_exit(PROG, NULL, NULL, rc, &e);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((rc = read_password(&nt, pwfile, &e)) == 0)
		rc = run(&nt, &e);
	if (nt.db != NULL && imp_notice_counts(nt.db, counts, &e) == 0 && rc != EX_SOFTWARE)
		fprintf(stderr, "%s: %llu sent, %llu skipped, %llu sent again after an "
			"interrupted run, %llu waiting; %.1f s\n", PROG,
			(unsigned long long)nt.sent, (unsigned long long)nt.skipped,
			(unsigned long long)nt.resent,
			(unsigned long long)(counts[IMP_NOTICE_PENDING] + counts[IMP_NOTICE_SENDING]),
			imp_now() - r.start);
	cleanup(&nt);
	curl_global_cleanup();
	return imp_exit(PROG, NULL, NULL, rc, &e);
}
