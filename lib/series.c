/* SPDX-License-Identifier: ISC */
/*
 * The passport number series. Ranges of two letters and seven digits are
 * configured once (a range per printer stock); every number ever given is
 * a row of series_number, live (given, then sealed) or void, and a live
 * number belongs to one record of one batch. A number is given in a
 * transaction and made "sealed" only after the output that carries it was
 * sealed, so a crash leaves numbers that a re-run of the batch takes again
 * or that an operator voids (render-mrz --void): never one given twice,
 * never one lost without a row saying so.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "series.h"

/* series_number, the ledger of the numbers given, is made by ledger.c */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS series_range ("
	" name TEXT PRIMARY KEY, prefix TEXT NOT NULL, first INTEGER NOT NULL,"
	" last INTEGER NOT NULL, next INTEGER NOT NULL, added TEXT NOT NULL,"
	" CHECK (first <= last AND next >= first AND next <= last + 1));";

int
imp_series_init(sqlite3 *db, struct imp_err *e)
{
	return imp_state_exec(db, schema, e);
}

/* AB1234567 -> prefix AB, value 1234567 */
static int
parse_number(const char *s, char prefix[3], long *v)
{
	int i;

	if (strlen(s) != IMP_NUMBER_LEN || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return -1;
	for (i = 2; i < IMP_NUMBER_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	prefix[0] = s[0];
	prefix[1] = s[1];
	prefix[2] = '\0';
	*v = strtol(s + 2, NULL, 10);
	return 0;
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct imp_err *e)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return imp_state_fail(db, e, "number series");
	return 0;
}

static void
rollback(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* A range name is a short label an operator types: it fits the fixed
 * buffer load_ranges() reads it into, and never needs quoting. */
static int
range_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
			return 0;
	return n >= 1 && n <= 32;
}

int
imp_series_add_range(sqlite3 *db, const char *name, const char *first, const char *last,
		     struct imp_err *e)
{
	char p1[3], p2[3], now[21];
	long a, b;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!range_name_ok(name))
		return imp_fail(e, EX_USAGE, "range name '%s' is not 1 to 32 letters, digits, "
				"'-' or '_' (SERIES-2028)", name);
	if (parse_number(first, p1, &a) != 0 || parse_number(last, p2, &b) != 0 ||
	    strcmp(p1, p2) != 0 || a > b)
		return imp_fail(e, EX_USAGE, "range %s-%s is not two numbers of two letters and "
				"seven digits, the same letters, the first not above the last "
				"(AB1000000-AB1999999)", first, last);
	if ((rc = imp_series_init(db, e)) != 0 ||
	    (rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = prepare(db, "SELECT name, prefix || printf('%07d', first) || '-' || prefix || "
			  "printf('%07d', last) FROM series_range WHERE name = ?1 OR "
			  "(prefix = ?2 AND first <= ?4 AND last >= ?3)", &st, e)) != 0)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p1, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a);
	sqlite3_bind_int64(st, 4, b);
	if (sqlite3_step(st) == SQLITE_ROW) {
		rc = imp_fail(e, EX_DATAERR, "range %s %s-%s: range %s (%s) %s; numbers are "
			      "never given twice, so ranges never overlap and keep their "
			      "names", name, first, last, sqlite3_column_text(st, 0),
			      sqlite3_column_text(st, 1), strcmp((const char *)
			      sqlite3_column_text(st, 0), name) == 0 ? "exists" : "overlaps it");
		goto fail;
	}
	sqlite3_finalize(st);
	if ((rc = prepare(db, "INSERT INTO series_range VALUES (?1, ?2, ?3, ?4, ?3, ?5)", &st,
			  e)) != 0)
		goto fail;
	imp_utc(now);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p1, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a);
	sqlite3_bind_int64(st, 4, b);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = imp_state_fail(db, e, "adding a number range");
		goto fail;
	}
	sqlite3_finalize(st);
	return imp_state_exec(db, "COMMIT", e);
fail:
	sqlite3_finalize(st);
	rollback(db);
	return rc;
}

struct range {
	char name[64], prefix[3];
	long first, last, next;
};

static int
load_ranges(sqlite3 *db, struct range **out, size_t *n, struct imp_err *e)
{
	sqlite3_stmt *st;
	struct range *r = NULL, *nr;
	int rc;

	*n = 0;
	if ((rc = prepare(db, "SELECT name, prefix, first, last, next FROM series_range "
			  "ORDER BY added, rowid", &st, e)) != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nr = realloc(r, (*n + 1) * sizeof *r)) == NULL) {
			free(r);
			sqlite3_finalize(st);
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		}
		r = nr;
		snprintf(r[*n].name, sizeof r[*n].name, "%s", sqlite3_column_text(st, 0));
		snprintf(r[*n].prefix, sizeof r[*n].prefix, "%s", sqlite3_column_text(st, 1));
		r[*n].first = (long)sqlite3_column_int64(st, 2);
		r[*n].last = (long)sqlite3_column_int64(st, 3);
		r[*n].next = (long)sqlite3_column_int64(st, 4);
		(*n)++;
	}
	sqlite3_finalize(st);
	*out = r;
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "reading the number ranges");
	return 0;
}

/* The live numbers an earlier run gave this batch's records. */
static int
earlier(sqlite3 *db, const char *batch, char *const *ids, size_t n,
	char (*numbers)[IMP_NUMBER_LEN + 1], uint64_t *found, struct imp_err *e)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	*found = 0;
	if ((rc = prepare(db, "SELECT number FROM series_number WHERE batch = ?1 AND "
			  "tracking = ?2 AND state != 'void'", &st, e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, batch, -1, SQLITE_STATIC);
	for (i = 0; i < n; i++) {
		numbers[i][0] = '\0';
		if (ids[i][0] == '\0')
			continue;
		sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			snprintf(numbers[i], IMP_NUMBER_LEN + 1, "%s", sqlite3_column_text(st, 0));
			(*found)++;
		} else if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			return imp_state_fail(db, e, "reading the number series");
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

static int
give(sqlite3 *db, struct range *r, size_t nr, const char *batch, char *const *ids,
     char *const *cnics, size_t n, char (*numbers)[IMP_NUMBER_LEN + 1], struct imp_err *e)
{
	sqlite3_stmt *ins, *upd;
	const char *cnic;
	char now[21];
	size_t i, k = 0;
	int rc;

	/* a reprint names the spoiled number it replaces, the last changed (of
	 * two changed in the same second, the later row); written without
	 * ORDER BY changed, which made SQLite build a temporary B-tree for
	 * every number given */
	if ((rc = prepare(db, "INSERT INTO series_number(number, range, batch, tracking, state, "
			  "given, changed, cnic, reprint_of) VALUES (?1, ?2, ?3, ?4, 'given', ?5, "
			  "?5, ?6, (SELECT number FROM series_number WHERE tracking = ?4 AND "
			  "state = 'spoiled' AND changed = (SELECT max(changed) FROM series_number "
			  "WHERE tracking = ?4 AND state = 'spoiled') ORDER BY rowid DESC LIMIT 1))",
			  &ins, e)) != 0)
		return rc;
	if ((rc = prepare(db, "UPDATE series_range SET next = ?2 WHERE name = ?1", &upd, e)) != 0) {
		sqlite3_finalize(ins);
		return rc;
	}
	imp_utc(now);
	sqlite3_bind_text(ins, 3, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, now, -1, SQLITE_STATIC);
	for (i = 0; i < n && rc == 0; i++) {
		if (numbers[i][0] != '\0' || ids[i][0] == '\0')
			continue;
		while (k < nr && r[k].next > r[k].last)
			k++;
		if (k == nr) {                 /* counted before: cannot happen */
			rc = imp_fail(e, EX_SOFTWARE, "the number ranges ran out while counted "
				      "enough");
			break;
		}
		snprintf(numbers[i], IMP_NUMBER_LEN + 1, "%s%07ld", r[k].prefix, r[k].next++);
		sqlite3_bind_text(ins, 1, numbers[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, r[k].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, ids[i], -1, SQLITE_STATIC);
		cnic = cnics != NULL ? cnics[i] : NULL;
		if (cnic != NULL && *cnic != '\0')
			sqlite3_bind_text(ins, 6, cnic, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 6);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = imp_state_fail(db, e, "giving a passport number");
		sqlite3_reset(ins);
		if (i == n / 2)
			imp_fault("series-give");
	}
	for (k = 0; k < nr && rc == 0; k++) {
		sqlite3_bind_text(upd, 1, r[k].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(upd, 2, r[k].next);
		if (sqlite3_step(upd) != SQLITE_DONE)
			rc = imp_state_fail(db, e, "advancing a number range");
		sqlite3_reset(upd);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return rc;
}

static void
low_ranges(const struct range *r, size_t nr, const struct range *before, struct imp_buf *warn)
{
	size_t k;
	long size, left;

	for (k = 0; k < nr; k++) {
		size = r[k].last - r[k].first + 1;
		left = r[k].last - r[k].next + 1;
		if (r[k].next == before[k].next || left * 20 >= size)
			continue;
		if (left == 0)
			imp_buf_printf(warn, "%srange %s is used up", warn->len ? "; " : "",
				       r[k].name);
		else
			imp_buf_printf(warn, "%srange %s has %ld of its %ld numbers left "
				       "(%s%07ld-%s%07ld)", warn->len ? "; " : "", r[k].name, left,
				       size, r[k].prefix, r[k].next, r[k].prefix, r[k].last);
	}
}

/* The records whose application or person has a passport elsewhere get
 * none: their numbers[i] is set to "-" until given out. */
static int
vet(sqlite3 *db, const char *batch, char *const *ids, char *const *cnics,
    const unsigned char *waived, size_t n, char (*numbers)[IMP_NUMBER_LEN + 1],
    struct imp_ledger_other *others, uint64_t *held, struct imp_err *e)
{
	size_t i;
	int rc;

	*held = 0;
	for (i = 0; i < n; i++) {
		others[i].kind = IMP_LEDGER_NONE;
		if (numbers[i][0] != '\0' || ids[i][0] == '\0')
			continue;
		if ((rc = imp_ledger_conflict(db, batch, ids[i], cnics && !(waived && waived[i]) ?
					      cnics[i] : NULL, &others[i], e)) != 0)
			return rc;
		if (others[i].kind != IMP_LEDGER_NONE) {
			snprintf(numbers[i], IMP_NUMBER_LEN + 1, "-");
			(*held)++;
		}
	}
	return 0;
}

int
imp_series_assign(sqlite3 *db, const char *batch, char *const *ids, char *const *cnics,
		  const unsigned char *waived, size_t n, char (*numbers)[IMP_NUMBER_LEN + 1],
		  struct imp_ledger_other *others, struct imp_series_use *use,
		  struct imp_err *e)
{
	uint64_t held = 0;
	struct range *r = NULL, *before = NULL;
	size_t nr, k, want = 0;
	long left = 0;
	int rc;

	/* a batch's rows and their five indexes fit in the page cache: with
	 * SQLite's 2 MB the transaction spilled pages to the WAL midway */
	if ((rc = imp_series_init(db, e)) != 0 ||
	    (rc = imp_state_exec(db, "PRAGMA cache_size = -65536", e)) != 0 ||
	    (rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = earlier(db, batch, ids, n, numbers, &use->reused, e)) != 0 ||
	    (rc = vet(db, batch, ids, cnics, waived, n, numbers, others, &held, e)) != 0 ||
	    (rc = load_ranges(db, &r, &nr, e)) != 0)
		goto out;
	for (k = 0; k < n; k++)
		want += ids[k][0] != '\0';
	use->fresh = want - use->reused - held;
	for (k = 0; k < nr; k++)
		left += r[k].last - r[k].next + 1;
	if ((uint64_t)left < use->fresh) {
		rc = imp_fail(e, EX_UNAVAILABLE, "the number ranges have %ld numbers left and the "
			      "batch needs %" PRIu64 "; nothing was given: add a range (render-mrz "
			      "--add-range NAME FIRST-LAST) and run again", left, use->fresh);
		goto out;
	}
	if ((before = malloc((nr + 1) * sizeof *before)) == NULL) {
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (nr > 0)
		memcpy(before, r, nr * sizeof *r);
	if ((rc = give(db, r, nr, batch, ids, cnics, n, numbers, e)) != 0)
		goto out;
	for (k = 0; k < n; k++)
		if (others[k].kind != IMP_LEDGER_NONE)
			numbers[k][0] = '\0';
	low_ranges(r, nr, before, &use->warn);
	rc = imp_state_exec(db, "COMMIT", e);
out:
	if (rc != 0)
		rollback(db);
	free(r);
	free(before);
	return rc;
}

/* Void the numbers of the batch in state `from` that are not in ids. */
static int
void_rest(sqlite3 *db, const char *batch, char *const *ids, size_t n, const char *why,
	  struct imp_buf *voided, struct imp_err *e)
{
	struct imp_map *keep = imp_map_new();
	sqlite3_stmt *sel = NULL, *upd = NULL;
	char now[21];
	uint64_t v;
	size_t i;
	int rc = 0;

	if (keep == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		if (imp_map_put(keep, ids[i], 1, &v) < 0) {
			imp_map_free(keep);
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		}
	imp_utc(now);
	if ((rc = prepare(db, "SELECT number, tracking FROM series_number WHERE batch = ?1 AND "
			  "state = 'given'", &sel, e)) != 0 ||
	    (rc = prepare(db, "UPDATE series_number SET state = 'void', changed = ?2, why = ?3 "
			  "WHERE number = ?1", &upd, e)) != 0)
		goto out;
	sqlite3_bind_text(sel, 1, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(upd, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(upd, 3, why, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(sel) == SQLITE_ROW) {
		const char *num = (const char *)sqlite3_column_text(sel, 0);
		const char *id = (const char *)sqlite3_column_text(sel, 1);

		if (imp_map_get(keep, id, &v) == 0)
			continue;
		imp_buf_printf(voided, "%s (record %s of batch %s)\n", num, id, batch);
		sqlite3_bind_text(upd, 1, num, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(upd) != SQLITE_DONE)
			rc = imp_state_fail(db, e, "voiding a passport number");
		sqlite3_reset(upd);
	}
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	imp_map_free(keep);
	return rc;
}

/*
 * The numbers of the batch not in ids void, then the rest of its given ones
 * sealed by one statement, not one per number (each opened and closed
 * SQLite's cursors and built the CHECK's IN list again).
 */
int
imp_series_sealed(sqlite3 *db, const char *batch, char *const *ids, size_t n,
		  struct imp_buf *voided, struct imp_err *e)
{
	sqlite3_stmt *st = NULL;
	char now[21];
	int rc;

	if ((rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = void_rest(db, batch, ids, n, "given in an earlier run of the batch to a "
			    "record that is not ok in the sealed run", voided, e)) != 0 ||
	    (rc = prepare(db, "UPDATE series_number SET state = 'sealed', changed = ?2 WHERE "
			  "batch = ?1 AND state = 'given'", &st, e)) != 0)
		goto out;
	imp_utc(now);
	sqlite3_bind_text(st, 1, batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = imp_state_fail(db, e, "sealing passport numbers");
	if (rc == 0)
		rc = imp_state_exec(db, "COMMIT", e);
out:
	sqlite3_finalize(st);
	if (rc != 0)
		rollback(db);
	return rc;
}

int
imp_series_void(sqlite3 *db, const char *batch, const char *why, struct imp_buf *voided,
		struct imp_err *e)
{
	int rc;

	if ((rc = imp_series_init(db, e)) != 0 ||
	    (rc = imp_state_exec(db, "BEGIN IMMEDIATE", e)) != 0)
		return rc;
	if ((rc = void_rest(db, batch, NULL, 0, why, voided, e)) == 0)
		rc = imp_state_exec(db, "COMMIT", e);
	else
		rollback(db);
	return rc;
}

int
imp_series_report(sqlite3 *db, FILE *out, struct imp_err *e)
{
	sqlite3_stmt *st;
	int rc, any = 0;

	if ((rc = imp_series_init(db, e)) != 0 ||
	    (rc = prepare(db, "SELECT r.name, r.prefix, r.first, r.last, r.next, "
			  "(SELECT count(*) FROM series_number n WHERE n.range = r.name AND "
			  "n.state = 'sealed'), (SELECT count(*) FROM series_number n WHERE "
			  "n.range = r.name AND n.state = 'given'), (SELECT count(*) FROM "
			  "series_number n WHERE n.range = r.name AND n.state = 'void') "
			  "FROM series_range r ORDER BY r.added, r.rowid", &st, e)) != 0)
		return rc;
	fprintf(out, "%-12s %-19s %9s %9s %9s %9s %9s\n", "range", "numbers", "size", "sealed",
		"unsealed", "void", "left");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 1);
		long first = (long)sqlite3_column_int64(st, 2), last = (long)sqlite3_column_int64(st, 3);

		fprintf(out, "%-12s %s%07ld-%s%07ld %9ld %9lld %9lld %9lld %9ld\n",
			sqlite3_column_text(st, 0), p, first, p, last, last - first + 1,
			sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6),
			sqlite3_column_int64(st, 7), last - (long)sqlite3_column_int64(st, 4) + 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "reading the number ranges");
	/* every batch, its numbers by state: what is in production, and what
	 * waits for an operator (never sealed, or sealed and never spooled) */
	if ((rc = prepare(db, "SELECT batch, min(given), count(*), "
			  "sum(state = 'given'), sum(state = 'sealed'), sum(state = 'spooled'), "
			  "sum(state = 'printed'), sum(state = 'dispatched'), "
			  "sum(state = 'spoiled'), sum(state = 'void') FROM series_number "
			  "GROUP BY batch ORDER BY 2, 1", &st, e)) != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!any++)
			fprintf(out, "\n%-24s %9s %9s %9s %9s %9s %9s %9s %9s\n", "batch", "numbers",
				"given", "sealed", "spooled", "printed", "dispatch", "spoiled",
				"void");
		fprintf(out, "%-24s %9lld %9lld %9lld %9lld %9lld %9lld %9lld %9lld\n",
			sqlite3_column_text(st, 0), sqlite3_column_int64(st, 2),
			sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
			sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6),
			sqlite3_column_int64(st, 7), sqlite3_column_int64(st, 8),
			sqlite3_column_int64(st, 9));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "reading the number series");
	if ((rc = prepare(db, "SELECT batch, count(*), min(number), max(number), min(given), "
			  "state FROM series_number WHERE state IN ('given', 'sealed') GROUP BY "
			  "batch, state ORDER BY 5, 1, 6", &st, e)) != 0)
		return rc;
	any = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int given = strcmp((const char *)sqlite3_column_text(st, 5), "given") == 0;

		if (!any++)
			fputs("\nwaiting for an operator:\n", out);
		fprintf(out, "  batch %s: %lld numbers %s, %s to %s, given %s: %s\n",
			sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
			given ? "given but never sealed" : "sealed but never spooled",
			sqlite3_column_text(st, 2), sqlite3_column_text(st, 3),
			sqlite3_column_text(st, 4), given ?
			"if render-mrz's sealed output of the batch exists, sign and spool it "
			"(spool-print records them); else run the batch again from its "
			"validated stream (the records get these numbers again); render-mrz "
			"--void BATCH only when neither will happen" :
			"spool its signed stream (spool-print FILE), or sign render-mrz's "
			"output again and spool that; the numbers stay with the batch");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return imp_state_fail(db, e, "reading the number series");
	return 0;
}
