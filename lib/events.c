/* SPDX-License-Identifier: ISC */
/*
 * The applications' events and the messages about them. An event is
 * recorded once per application, event and batch (recording a stream
 * again adds nothing); a message once per event (the notice row, whose
 * state notify moves pending -> sending -> sent).
 */
#include <string.h>
#include <sys/random.h>

#include "state.h"
#include "events.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS app_event ("
	" id INTEGER PRIMARY KEY,"
	" tracking_id TEXT NOT NULL, event TEXT NOT NULL, reason TEXT NOT NULL,"
	" courier TEXT NOT NULL, consignment TEXT NOT NULL, office TEXT NOT NULL,"
	" phone TEXT NOT NULL, batch TEXT NOT NULL, at TEXT NOT NULL,"
	" UNIQUE (tracking_id, event, batch));"
	"CREATE INDEX IF NOT EXISTS app_event_id ON app_event (tracking_id);"
	"CREATE TABLE IF NOT EXISTS notice ("
	" event_id INTEGER PRIMARY KEY REFERENCES app_event (id),"
	" state INTEGER NOT NULL, attempts INTEGER NOT NULL,"
	" sent_to TEXT NOT NULL, text TEXT NOT NULL, why TEXT NOT NULL, updated TEXT NOT NULL);"
	/* the gateway's delivery reports of a message, as they came */
	"CREATE TABLE IF NOT EXISTS notice_report ("
	" event_id INTEGER NOT NULL REFERENCES app_event (id), status INTEGER NOT NULL,"
	" at TEXT NOT NULL, UNIQUE (event_id, status));"
	/* the secret the gateway's report URLs carry (one row) */
	"CREATE TABLE IF NOT EXISTS notice_key (id INTEGER PRIMARY KEY CHECK (id = 1),"
	" key TEXT NOT NULL);"
	/* the language an applicant asked for, set by the office */
	"CREATE TABLE IF NOT EXISTS app_lang (tracking_id TEXT PRIMARY KEY, lang TEXT NOT NULL,"
	" set_at TEXT NOT NULL);";

static int
has_destination(sqlite3 *db, int *have, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT count(*) FROM pragma_table_info("
					    "'app_event') WHERE name = 'destination'", e);
	int rc;

	if (s == NULL)
		return e->code;
	rc = sqlite3_step(s);
	*have = rc == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
	imp_state_release(s);
	return rc == SQLITE_ROW ? 0 : imp_state_fail(db, e, "events");
}

int
imp_events_init(sqlite3 *db, struct imp_err *e)
{
	struct imp_err alter = { 0 };
	int rc, have;

	if ((rc = imp_state_exec(db, schema, e)) != 0 || (rc = has_destination(db, &have, e)) != 0)
		return rc;
	/* app_event of a database made before destination was kept: added in place
	 * (by whichever program opens it first; another doing it at once is fine) */
	if (have || imp_state_exec(db, "ALTER TABLE app_event ADD COLUMN destination TEXT NOT "
				   "NULL DEFAULT ''", &alter) == 0)
		return 0;
	if ((rc = has_destination(db, &have, e)) != 0)
		return rc;
	return have ? 0 : imp_fail(e, alter.code, "%s", alter.msg);
}

/*
 * What an applicant may be told of a hold or rejection: a category, never
 * the code. A control-list or duplicate hold, and anything not listed, is
 * "office": the applicant is asked to contact the office, nothing more.
 */
const char *
imp_event_reason(const char *code)
{
	static const struct {
		const char *prefix, *reason;
	} told[] = {
		{ "FEE_", "fee" }, { "NADRA_", "identity" }, { "CITIZENSHIP_", "identity" },
		{ "FIELD_", "details" }, { "VALUE_", "details" }, { "NAME_", "details" },
		{ "CNIC_", "details" }, { "DATE_", "details" }, { "DOB_", "details" },
		{ "PHOTO_", "details" }, { "ADDRESS_", "details" }, { "PHONE_", "details" },
		{ "TRACKING_", "details" }, { "OFFICE_", "details" }, { "RECORD_", "details" },
		{ "APPLIED_", "details" }, { "PREVIOUS_", "details" }, { "INGEST_", "details" },
	};
	size_t i;

	for (i = 0; code != NULL && i < sizeof told / sizeof *told; i++)
		if (strncmp(code, told[i].prefix, strlen(told[i].prefix)) == 0)
			return told[i].reason;
	return "office";
}

static int
add(sqlite3 *db, const struct imp_event *ev, uint64_t *added, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "INSERT OR IGNORE INTO app_event (tracking_id, "
					    "event, reason, courier, consignment, office, phone, "
					    "batch, at, destination) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
					    "?7, ?8, ?9, ?10)", e);
	const char *v[] = { ev->tracking_id, ev->event, ev->reason, ev->courier, ev->consignment,
			    ev->office, ev->phone, ev->batch, ev->at, ev->destination };
	int rc, i;

	if (s == NULL)
		return e->code;
	for (i = 0; i < 10; i++)
		sqlite3_bind_text(s, i + 1, v[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	imp_state_release(s);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "events");
	*added += (uint64_t)sqlite3_changes(db);
	return 0;
}

/* <section><name> of the line into out (size), "" when absent. */
static void
field(const char *line, size_t len, const char *section, const char *name, char *out,
      size_t size, struct imp_buf *tmp)
{
	out[0] = '\0';
	if (imp_line_field(line, len, section, name, tmp) == 0)
		snprintf(out, size, "%s", imp_buf_str(tmp));
}

/* An attribute of the <consignment .../> element, "" when absent. */
static void
consignment_attr(const char *line, size_t len, const char *name, char *out, size_t size)
{
	const char *p = memmem(line, len, "<consignment ", 13), *end, *q;
	char key[32];
	size_t n;

	out[0] = '\0';
	if (p == NULL || (end = memchr(p, '>', len - (size_t)(p - line))) == NULL)
		return;
	n = (size_t)snprintf(key, sizeof key, " %s=\"", name);
	if ((q = memmem(p, (size_t)(end - p), key, n)) == NULL)
		return;
	q += n;
	for (n = 0; q + n < end && q[n] != '"'; n++)
		;
	snprintf(out, size, "%.*s", (int)n, q);
	imp_unescape(out);
}

static int
verdict_event(struct imp_event *ev, const char *line, size_t len, struct imp_err *e)
{
	struct imp_record *r = imp_record_new();
	const char *stage, *code, *text;
	int rc;

	if (r == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_record_load(r, line, len, e)) == 0 &&
	    imp_record_verdict(r, &stage, &code, &text) == 0)
		snprintf(ev->reason, sizeof ev->reason, "%s", imp_event_reason(code));
	else if (rc == 0)
		snprintf(ev->reason, sizeof ev->reason, "office");
	imp_record_free(r);
	return rc;
}

int
imp_events_from_line(sqlite3 *db, const char *kind, const char *batch, const char *line,
		     size_t len, uint64_t *added, struct imp_err *e)
{
	struct imp_event ev;
	struct imp_buf tmp = { 0 };
	const char *id;
	size_t idlen;
	int status, rc = 0;

	memset(&ev, 0, sizeof ev);
	if (imp_record_head(line, len, &id, &idlen, &status) == 0 || idlen > IMP_ID_MAX)
		return imp_fail(e, EX_DATAERR, "a record line without a readable id");
	memcpy(ev.tracking_id, id, idlen);
	snprintf(ev.batch, sizeof ev.batch, "%s", batch);
	imp_utc(ev.at);
	field(line, len, "application", "phone", ev.phone, sizeof ev.phone, &tmp);
	field(line, len, "application", "delivery_office", ev.office, sizeof ev.office, &tmp);
	imp_buf_free(&tmp);
	if (strcmp(kind, "application") == 0) {
		snprintf(ev.event, sizeof ev.event, "received");
		if ((rc = add(db, &ev, added, e)) != 0 || status == IMP_OK_STATUS)
			return rc;
		snprintf(ev.event, sizeof ev.event, "%s", status == IMP_HELD ? "held" : "rejected");
		if ((rc = verdict_event(&ev, line, len, e)) != 0)
			return rc;
		return add(db, &ev, added, e);
	}
	if (strcmp(kind, "printed") != 0 || status != IMP_OK_STATUS)
		return 0;
	if (memmem(line, len, "code=\"PRINT_DONE\"", 17) != NULL) {
		snprintf(ev.event, sizeof ev.event, "printed");
		if ((rc = add(db, &ev, added, e)) != 0)
			return rc;
	}
	if (memmem(line, len, "code=\"COURIER_MANIFESTED\"", 25) != NULL) {
		snprintf(ev.event, sizeof ev.event, "dispatched");
		consignment_attr(line, len, "courier", ev.courier, sizeof ev.courier);
		consignment_attr(line, len, "number", ev.consignment, sizeof ev.consignment);
		consignment_attr(line, len, "destination", ev.destination, sizeof ev.destination);
		rc = add(db, &ev, added, e);
	}
	return rc;
}

static void
text_col(sqlite3_stmt *s, int col, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, size, "%s", t != NULL ? (const char *)t : "");
}

/* an event with its message (state -1: none), the language asked for and
 * the last delivery report */
#define EVENT_SELECT "SELECT e.id, e.tracking_id, e.event, e.reason, e.courier, " \
	"e.consignment, e.office, e.phone, e.batch, e.at, e.destination, " \
	"coalesce(l.lang, ''), coalesce(n.state, -1), coalesce(n.attempts, 0), " \
	"coalesce(n.sent_to, ''), coalesce(n.why, ''), coalesce(r.status, 0), " \
	"coalesce(r.at, '') FROM app_event e LEFT JOIN notice n ON n.event_id = e.id " \
	"LEFT JOIN app_lang l ON l.tracking_id = e.tracking_id " \
	"LEFT JOIN notice_report r ON r.rowid = (SELECT max(rowid) FROM notice_report " \
	"WHERE event_id = e.id) "

static void
event_row(sqlite3_stmt *s, struct imp_event *ev)
{
	ev->id = sqlite3_column_int64(s, 0);
	text_col(s, 1, ev->tracking_id, sizeof ev->tracking_id);
	text_col(s, 2, ev->event, sizeof ev->event);
	text_col(s, 3, ev->reason, sizeof ev->reason);
	text_col(s, 4, ev->courier, sizeof ev->courier);
	text_col(s, 5, ev->consignment, sizeof ev->consignment);
	text_col(s, 6, ev->office, sizeof ev->office);
	text_col(s, 7, ev->phone, sizeof ev->phone);
	text_col(s, 8, ev->batch, sizeof ev->batch);
	text_col(s, 9, ev->at, sizeof ev->at);
	text_col(s, 10, ev->destination, sizeof ev->destination);
	text_col(s, 11, ev->lang, sizeof ev->lang);
	ev->notice = sqlite3_column_int(s, 12);
	ev->attempts = sqlite3_column_int(s, 13);
	text_col(s, 14, ev->sent_to, sizeof ev->sent_to);
	text_col(s, 15, ev->why, sizeof ev->why);
	ev->report = sqlite3_column_int(s, 16);
	text_col(s, 17, ev->report_at, sizeof ev->report_at);
}

int
imp_events_of(sqlite3 *db, const char *tracking_id,
	      int (*fn)(void *arg, const struct imp_event *ev), void *arg, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, EVENT_SELECT "WHERE e.tracking_id = ?1 "
					    "ORDER BY e.id", e);
	struct imp_event ev;
	int rc;

	if (s == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, tracking_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		event_row(s, &ev);
		if (fn(arg, &ev) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "events");
}

int
imp_notices_due(sqlite3 *db, size_t max, int (*fn)(void *arg, const struct imp_notice *n),
		void *arg, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, EVENT_SELECT "WHERE n.state IS NULL OR "
					    "n.state < 2 ORDER BY e.id LIMIT ?1", e);
	struct imp_notice n;
	int rc;

	if (s == NULL)
		return e->code;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		event_row(s, &n.ev);
		n.state = n.ev.notice < 0 ? IMP_NOTICE_PENDING : n.ev.notice;
		n.attempts = n.ev.attempts;
		if (fn(arg, &n) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "notices");
}

int
imp_notice_set(sqlite3 *db, int64_t event_id, int state, const char *to, const char *text,
	       const char *why, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "INSERT INTO notice (event_id, state, attempts, "
					    "sent_to, text, why, updated) VALUES (?1, ?2, ?3, ?4, ?5, "
					    "?6, ?7) ON CONFLICT (event_id) DO UPDATE SET state = ?2, "
					    "attempts = attempts + ?3, sent_to = ?4, text = ?5, "
					    "why = ?6, updated = ?7", e);
	char now[21];
	int rc;

	if (s == NULL)
		return e->code;
	imp_utc(now);
	sqlite3_bind_int64(s, 1, event_id);
	sqlite3_bind_int(s, 2, state);
	sqlite3_bind_int(s, 3, state == IMP_NOTICE_SENDING);
	sqlite3_bind_text(s, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "notices");
}

int
imp_notice_counts(sqlite3 *db, uint64_t counts[4], struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT coalesce(n.state, 0), count(*) FROM "
					    "app_event e LEFT JOIN notice n ON n.event_id = e.id "
					    "GROUP BY 1", e);
	int rc, st;

	if (s == NULL)
		return e->code;
	memset(counts, 0, 4 * sizeof *counts);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((st = sqlite3_column_int(s, 0)) >= 0 && st < 4)
			counts[st] = (uint64_t)sqlite3_column_int64(s, 1);
	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, "notices");
}

/*
 * A phone number as an SMS gateway takes it: +92 and the ten digits of a
 * Pakistani mobile number (0300-1234567, 300 1234567, 92300..., 0092...,
 * +92 (300) ...), or + and the digits of an overseas number given with
 * its country code (+44 ..., 0044 ...). 0 with *pk set for a Pakistani
 * number; -1 for none (a landline, too short or long, letters).
 */
int
imp_phone_normalise(const char *in, char out[IMP_PHONE_MAX + 1], int *pk)
{
	char d[32];
	size_t n = 0;
	int plus = 0;

	for (in += strspn(in, " "); *in != '\0'; in++) {
		if (*in >= '0' && *in <= '9' && n + 1 < sizeof d)
			d[n++] = *in;
		else if (*in == '+' && n == 0 && !plus)
			plus = 1;
		else if (strchr(" -().", *in) == NULL)
			return -1;
	}
	d[n] = '\0';
	if (!plus && n > 2 && d[0] == '0' && d[1] == '0')
		memmove(d, d + 2, (n -= 2) + 1), plus = 1;
	if (!plus && n == 11 && d[0] == '0' && d[1] == '3')
		memmove(d, d + 1, n--);
	else if (!plus && n == 12 && d[0] == '9' && d[1] == '2')
		memmove(d, d + 2, (n -= 2) + 1);
	else if (plus && d[0] == '9' && d[1] == '2')
		memmove(d, d + 2, (n -= 2) + 1);
	else if (plus) {
		if (n < 8 || n > 15)
			return -1;
		*pk = 0;
		snprintf(out, IMP_PHONE_MAX + 1, "+%.15s", d);
		return 0;
	}
	if (n != 10 || d[0] != '3')
		return -1;
	*pk = 1;
	snprintf(out, IMP_PHONE_MAX + 1, "+92%.10s", d);
	return 0;
}

/* ---- delivery reports, languages, arrivals ------------------------------------------ */

const char *
imp_report_name(int status)
{
	switch (status) {
	case IMP_REPORT_DELIVERED: return "delivered to the phone";
	case IMP_REPORT_UNDELIVERED: return "not delivered to the phone";
	case IMP_REPORT_QUEUED: return "queued at the SMS centre";
	case IMP_REPORT_SMSC: return "taken by the SMS centre";
	case IMP_REPORT_SMSC_FAILED: return "refused by the SMS centre";
	default: return "no report";
	}
}

static int
step_done(sqlite3 *db, sqlite3_stmt *s, const char *what, struct imp_err *e)
{
	int rc = sqlite3_step(s);

	imp_state_release(s);
	return rc == SQLITE_DONE ? 0 : imp_state_fail(db, e, what);
}

int
imp_notice_report(sqlite3 *db, int64_t event_id, int status, struct imp_err *e)
{
	sqlite3_stmt *s;
	char now[21];
	int rc, known;

	imp_utc(now);
	if ((rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	/* a message that was sent, or tried (a request without an answer may
	 * have reached the gateway all the same) */
	if ((s = imp_state_prepare(db, "SELECT count(*) FROM notice WHERE event_id = ?1 AND "
				   "(state IN (1, 2) OR (state = 0 AND attempts > 0))", e)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, event_id);
	rc = sqlite3_step(s);
	known = rc == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
	imp_state_release(s);
	if (rc != SQLITE_ROW) {
		imp_state_fail(db, e, "delivery reports");
		goto fail;
	}
	if (!known) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return 1;
	}
	if ((s = imp_state_prepare(db, "INSERT OR IGNORE INTO notice_report (event_id, status, at) "
				   "VALUES (?1, ?2, ?3)", e)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, event_id);
	sqlite3_bind_int(s, 2, status);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	if (step_done(db, s, "delivery reports", e) != 0)
		goto fail;
	/* a report is the gateway's word that it had the message: one a run
	 * was killed while sending, or whose request got no answer, is sent,
	 * and not sent again */
	if ((s = imp_state_prepare(db, "UPDATE notice SET state = 2, why = '', updated = ?2 "
				   "WHERE event_id = ?1 AND state IN (0, 1)", e)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, event_id);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	if (step_done(db, s, "delivery reports", e) != 0)
		goto fail;
	return imp_state_exec(db, "COMMIT", e);
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return e->code ? e->code : EX_SOFTWARE;
}

int
imp_notice_key(sqlite3 *db, char key[65], struct imp_err *e)
{
	sqlite3_stmt *s;
	unsigned char r[32];
	int rc, i;

	if ((s = imp_state_prepare(db, "SELECT key FROM notice_key WHERE id = 1", e)) == NULL)
		return e->code;
	key[0] = '\0';
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		text_col(s, 0, key, 65);
	imp_state_release(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return imp_state_fail(db, e, "the report key");
	if (strlen(key) == 64)
		return 0;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return imp_fail(e, EX_OSERR, "no random bytes for the report key");
	for (i = 0; i < 32; i++)
		snprintf(key + 2 * i, 3, "%02x", r[i]);
	if ((s = imp_state_prepare(db, "INSERT OR IGNORE INTO notice_key (id, key) VALUES (1, ?1)",
				   e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if ((rc = step_done(db, s, "the report key", e)) != 0)
		return rc;
	/* two first runs at once: the one written counts */
	if ((s = imp_state_prepare(db, "SELECT key FROM notice_key WHERE id = 1", e)) == NULL)
		return e->code;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		text_col(s, 0, key, 65);
	imp_state_release(s);
	return rc == SQLITE_ROW ? 0 : imp_state_fail(db, e, "the report key");
}

int
imp_app_lang_set(sqlite3 *db, const char *tracking_id, const char *lang, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "INSERT INTO app_lang (tracking_id, lang, set_at) "
					    "VALUES (?1, ?2, ?3) ON CONFLICT (tracking_id) DO UPDATE "
					    "SET lang = ?2, set_at = ?3", e);
	char now[21];

	if (s == NULL)
		return e->code;
	imp_utc(now);
	sqlite3_bind_text(s, 1, tracking_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, lang, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	return step_done(db, s, "languages", e);
}

int
imp_events_arrived(sqlite3 *db, const char *office, const char *consignment, uint64_t *added,
		   char *dest, struct imp_err *e)
{
	sqlite3_stmt *s = imp_state_prepare(db, "SELECT destination FROM app_event WHERE "
					    "event = 'dispatched' AND consignment = ?1 AND "
					    "destination != ?2 LIMIT 1", e);
	int rc;

	if (s == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, consignment, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, office, -1, SQLITE_STATIC);
	dest[0] = '\0';
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		text_col(s, 0, dest, IMP_EVENT_TEXT);
	imp_state_release(s);
	if (rc == SQLITE_ROW)
		return 2;
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "events");
	if ((s = imp_state_prepare(db, "INSERT OR IGNORE INTO app_event (tracking_id, event, reason, "
				   "courier, consignment, office, phone, batch, at, destination) "
				   "SELECT tracking_id, 'ready', '', courier, consignment, office, "
				   "phone, batch, ?2, destination FROM app_event WHERE event = "
				   "'dispatched' AND consignment = ?1", e)) == NULL)
		return e->code;
	imp_utc(dest);
	sqlite3_bind_text(s, 1, consignment, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, dest, -1, SQLITE_TRANSIENT);
	dest[0] = '\0';
	if ((rc = step_done(db, s, "events", e)) != 0)
		return rc;
	*added += (uint64_t)sqlite3_changes(db);
	if ((s = imp_state_prepare(db, "SELECT count(*) FROM app_event WHERE event = 'dispatched' "
				   "AND consignment = ?1", e)) == NULL)
		return e->code;
	sqlite3_bind_text(s, 1, consignment, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? (sqlite3_column_int(s, 0) > 0 ? 0 : 1) : -1;
	imp_state_release(s);
	return rc >= 0 ? rc : imp_state_fail(db, e, "events");
}
