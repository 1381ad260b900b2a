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
