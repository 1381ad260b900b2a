/* SPDX-License-Identifier: ISC */
/*
 * events.c: what happened to each application (received, held, rejected,
 * printed, dispatched), read from the sealed streams of the runs and kept
 * in the state database, and the messages sent to applicants about them.
 */
#ifndef IMPASS_EVENTS_H
#define IMPASS_EVENTS_H

#include "series.h"

#define IMP_EVENT_TEXT 160            /* one field of an event, at most */
#define IMP_PHONE_MAX 16              /* + and at most 15 digits (E.164) */

struct imp_event {
	int64_t id;
	char tracking_id[IMP_ID_MAX + 1];
	char event[16];               /* received, held, rejected, printed, dispatched, ready */
	char reason[16];              /* what the applicant may be told: details, fee,
					 identity, office (never more: a control-list
					 hold is "office") */
	char courier[IMP_EVENT_TEXT], consignment[IMP_EVENT_TEXT], office[IMP_EVENT_TEXT];
	char phone[32];               /* as the application gave it */
	char batch[IMP_ID_MAX + 1];
	char at[21];                  /* UTC */
	char destination[IMP_EVENT_TEXT]; /* dispatched: the consignment's (office or city) */
	char lang[3];                 /* the language the applicant asked for, or "" */
	int notice;                   /* its message's IMP_NOTICE_*, -1 none yet */
	int attempts;
	char sent_to[IMP_PHONE_MAX + 1], why[IMP_EVENT_TEXT];
	int report;                   /* the last delivery report (IMP_REPORT_*), 0 none */
	char report_at[21];
};

int imp_events_init(sqlite3 *db, struct imp_err *e);
/* The events of one record line of a verified stream of batch (kind): *added
 * counts those new (a stream recorded twice adds nothing). */
int imp_events_from_line(sqlite3 *db, const char *kind, const char *batch, const char *line,
			 size_t len, uint64_t *added, struct imp_err *e);
/* The reason category of a step code, and whether it may be told. */
const char *imp_event_reason(const char *code);
/* An application's events, oldest first; fn returns non-zero to stop. */
int imp_events_of(sqlite3 *db, const char *tracking_id,
		  int (*fn)(void *arg, const struct imp_event *ev), void *arg, struct imp_err *e);

int imp_phone_normalise(const char *in, char out[IMP_PHONE_MAX + 1], int *pk);

/* ---- the messages ---- */

enum { IMP_NOTICE_PENDING, IMP_NOTICE_SENDING, IMP_NOTICE_SENT, IMP_NOTICE_SKIPPED };

/* Kannel's delivery report types (its dlr-mask bits) */
enum {
	IMP_REPORT_DELIVERED = 1,     /* to the phone */
	IMP_REPORT_UNDELIVERED = 2,   /* to the phone: failed */
	IMP_REPORT_QUEUED = 4,        /* queued at the SMSC */
	IMP_REPORT_SMSC = 8,          /* taken by the SMSC */
	IMP_REPORT_SMSC_FAILED = 16,  /* refused by the SMSC */
};
#define IMP_REPORT_MASK 31
/* The words of a report type for people ("delivered to the phone"). */
const char *imp_report_name(int status);

struct imp_notice {
	struct imp_event ev;
	int state;                    /* IMP_NOTICE_*, of the notice row; PENDING when none */
	int attempts;
};

/* The events whose message is not sent yet (no notice, pending or sending),
 * oldest first, at most max; fn gets each. */
int imp_notices_due(sqlite3 *db, size_t max, int (*fn)(void *arg, const struct imp_notice *n),
		    void *arg, struct imp_err *e);
/* The notice of an event set to state, with the number sent to, the text and
 * why (for a skipped or failed one); committed at once. */
int imp_notice_set(sqlite3 *db, int64_t event_id, int state, const char *to, const char *text,
		   const char *why, struct imp_err *e);
/*
 * A delivery report of the message of an event, with its time: recorded once
 * per type; the message, if it was being sent or waits after a request
 * without an answer, is sent (the gateway had it). 1 when no message of that
 * event was sent or tried, else 0 or an error.
 */
int imp_notice_report(sqlite3 *db, int64_t event_id, int status, struct imp_err *e);
/* The secret that the report URLs carry (64 hex), made on first use. */
int imp_notice_key(sqlite3 *db, char key[65], struct imp_err *e);
/* The language an applicant asked for (en, ur), set by the office. */
int imp_app_lang_set(sqlite3 *db, const char *tracking_id, const char *lang,
		     struct imp_err *e);
/*
 * Consignment arrived at office: a "ready" event for each of its passports
 * (*added new); 1 when no passport was dispatched in it, 2 when it goes
 * elsewhere (*dest, size IMP_EVENT_TEXT, says where).
 */
int imp_events_arrived(sqlite3 *db, const char *office, const char *consignment,
		       uint64_t *added, char *dest, struct imp_err *e);

/* Counts by state, for the summary: pending (never tried or failed), sending, sent, skipped. */
int imp_notice_counts(sqlite3 *db, uint64_t counts[4], struct imp_err *e);

#endif
