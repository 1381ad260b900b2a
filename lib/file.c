/* SPDX-License-Identifier: ISC */
/* Files written whole or not at all: temporary beside, fsync, rename, fsync the folder. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "impass.h"

void
imp_sync_dir(const char *path)
{
	char copy[4096];
	int fd;

	snprintf(copy, sizeof copy, "%s", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Writes all of p to fd, fsyncs it (when sync) and closes it; errors name
 * path. Without sync the caller makes the data durable itself (syncfs). */
int
imp_write_fd(int fd, const char *path, const void *p, size_t n, int sync, struct imp_err *e)
{
	size_t done = 0;
	ssize_t w;
	int rc = 0;

	while (done < n && rc == 0) {
		if ((w = write(fd, (const char *)p + done, n - done)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", path, strerror(errno));
		else
			done += (size_t)w;
	}
	if (rc == 0 && sync && fsync(fd) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", path, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", path, strerror(errno));
	return rc;
}

int
imp_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got))) < 0 &&
		    errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int
imp_file_install(const char *tmp, const char *path, int rc, struct imp_err *e)
{
	if (rc == 0 && rename(tmp, path) != 0)
		rc = imp_fail(e, EX_CANTCREAT, "cannot rename %s to %s: %s", tmp, path,
			      strerror(errno));
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	imp_sync_dir(path);
	return 0;
}

/* Writes path (mode 0600: it may hold personal data) atomically. */
int
imp_write_file(const char *path, const void *data, size_t n, struct imp_err *e)
{
	char tmp[4096];
	int fd, rc;

	snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", path, strerror(errno));
	rc = imp_write_fd(fd, path, data, n, 1, e);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = imp_fail(e, EX_CANTCREAT, "cannot write %s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	else
		imp_sync_dir(path);
	return rc;
}
