/* SPDX-License-Identifier: ISC */
/*
 * The state database: what must survive a crash (the number series, the
 * issued-passport history, the spool journal), in one SQLite file under
 * the spool root, written in transactions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "series.h"

int
imp_state_fail(sqlite3 *db, struct imp_err *e, const char *what)
{
	int code = sqlite3_errcode(db);

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return imp_fail(e, EX_TEMPFAIL, "%s: the state database is locked by another run "
				"(%s); try again when it has finished", what, sqlite3_errmsg(db));
	if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
		return imp_fail(e, EX_DATAERR, "%s: %s: restore the state database from its "
				"backup", what, sqlite3_errmsg(db));
	if (code == SQLITE_FULL || code == SQLITE_IOERR)
		return imp_fail(e, EX_IOERR, "%s: %s", what, sqlite3_errmsg(db));
	if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM)
		return imp_fail(e, EX_CANTCREAT, "%s: %s", what, sqlite3_errmsg(db));
	return imp_fail(e, EX_SOFTWARE, "%s: %s", what, sqlite3_errmsg(db));
}

int
imp_state_exec(sqlite3 *db, const char *sql, struct imp_err *e)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return imp_state_fail(db, e, "state database");
	return 0;
}

int
imp_state_begin(sqlite3 *db, struct imp_err *e)
{
	return imp_state_exec(db, "BEGIN IMMEDIATE", e);
}

int
imp_state_commit(sqlite3 *db, struct imp_err *e)
{
	return imp_state_exec(db, "COMMIT", e);
}

void
imp_state_rollback(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Prepared statements kept for the life of the connection: a stage that
 * runs the same few statements once per record spent a sixth of its time
 * compiling them again. A statement still in use (a query inside the loop
 * of the same query) gets a fresh one, finalised on release.
 */
static struct {
	sqlite3 *db;
	const char *sql;
	sqlite3_stmt *s;
	int busy;
} kept[32];

sqlite3_stmt *
imp_state_prepare(sqlite3 *db, const char *sql, struct imp_err *e)
{
	sqlite3_stmt *s = NULL;
	size_t i, free_at = sizeof kept / sizeof kept[0];

	for (i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		if (kept[i].db == NULL) {
			if (free_at == sizeof kept / sizeof kept[0])
				free_at = i;
		} else if (kept[i].db == db && !kept[i].busy && strcmp(kept[i].sql, sql) == 0) {
			kept[i].busy = 1;
			return kept[i].s;
		}
	}
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		imp_state_fail(db, e, "state database");
		sqlite3_finalize(s);
		return NULL;
	}
	if (free_at < sizeof kept / sizeof kept[0]) {
		kept[free_at].db = db;
		kept[free_at].sql = sqlite3_sql(s);
		kept[free_at].s = s;
		kept[free_at].busy = 1;
	}
	return s;
}

/* Done with a statement of imp_state_prepare (NULL is ignored). */
void
imp_state_release(sqlite3_stmt *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
		if (kept[i].s == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			kept[i].busy = 0;
			return;
		}
	sqlite3_finalize(s);
}

/* Closes a connection and the statements kept for it. */
void
imp_state_close(sqlite3 *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
		if (kept[i].db == db) {
			sqlite3_finalize(kept[i].s);
			memset(&kept[i], 0, sizeof kept[i]);
		}
	sqlite3_close(db);
}

int
imp_state_open(const char *path, int busy_ms, sqlite3 **db, struct imp_err *e)
{
	char def[4096];
	const char *spool;
	int fd;

	*db = NULL;
	if (path == NULL || *path == '\0') {
		spool = imp_spool_path(NULL);
		if (mkdir(spool, 0700) != 0 && errno != EEXIST)
			return imp_fail(e, EX_CANTCREAT, "cannot create the spool folder %s: %s",
					spool, strerror(errno));
		if ((size_t)snprintf(def, sizeof def, "%s/state.db", spool) >= sizeof def)
			return imp_fail(e, EX_USAGE, "the spool path %s is too long", spool);
		path = def;
	}
	/* created 0600 before SQLite opens it: its journal files take its mode */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return imp_fail(e, errno == ENOENT || errno == EACCES || errno == EROFS ||
				errno == EISDIR ? EX_CANTCREAT : EX_IOERR,
				"cannot open the state database %s: %s", path, strerror(errno));
	close(fd);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		imp_fail(e, EX_CANTCREAT, "cannot open the state database %s: %s", path,
			 *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return e->code;
	}
	sqlite3_busy_timeout(*db, busy_ms);
	if (imp_state_exec(*db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			   "PRAGMA foreign_keys=ON;", e) != 0) {
		snprintf(def, sizeof def, "%s", e->msg);
		imp_fail(e, e->code, "state database %s: %s", path, def);
		sqlite3_close(*db);
		*db = NULL;
		return e->code;
	}
	return 0;
}

