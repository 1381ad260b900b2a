/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "impass.h"

int
imp_fail(struct imp_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

static void
prefix(const char *prog, const char *batch)
{
	if (batch != NULL && *batch != '\0')
		fprintf(stderr, "%s: %s: ", prog, batch);
	else
		fprintf(stderr, "%s: ", prog);
}

void
imp_warn(const char *prog, const char *batch, const char *fmt, ...)
{
	va_list ap;

	prefix(prog, batch);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Print an error returned by the library; returns its exit code. */
int
imp_report(const char *prog, const char *batch, const struct imp_err *e)
{
	int code = e->code ? e->code : EX_SOFTWARE;

	if (isatty(2))
		fputs("\r\033[K", stderr);   /* over a progress line */
	prefix(prog, batch);
	fprintf(stderr, "%s\n", e->msg[0] ? e->msg : "internal error");
	return code;
}

/* A full disk or a closed pipe must not end in exit 0. */
int
imp_close_stdout(const char *prog, const char *batch)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;

	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (!bad)
		return 0;
	imp_warn(prog, batch, "cannot write standard output: %s; no usable output was produced, "
		 "check the disk or the next program in the pipe", strerror(saved));
	return EX_IOERR;
}

double
imp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
imp_utc(char out[21])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * A crash on purpose, for the crash tests: when $IMPASS_FAULT names this
 * point the program is killed there (SIGKILL: no clean-up, no flush), as
 * by a power cut or kill -9.
 */
void
imp_fault(const char *point)
{
	const char *f = getenv("IMPASS_FAULT");

	if (f != NULL && strcmp(f, point) == 0)
		kill(getpid(), SIGKILL);
}
