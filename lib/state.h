/* SPDX-License-Identifier: ISC */
/*
 * state.h: lib's own access to the state database (SQLite). Only lib/
 * includes this header; programs use series.h's functions.
 */
#ifndef IMPASS_STATE_H
#define IMPASS_STATE_H

#include <sqlite3.h>

#include "series.h"

/* The error of the last statement as an imp_err: 75 when locked. */
int imp_state_fail(sqlite3 *db, struct imp_err *e, const char *what);
int imp_state_exec(sqlite3 *db, const char *sql, struct imp_err *e);
/* A statement kept for the connection's life (see state.c); release it. */
sqlite3_stmt *imp_state_prepare(sqlite3 *db, const char *sql, struct imp_err *e);
void imp_state_release(sqlite3_stmt *s);

#endif
