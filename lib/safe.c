/* SPDX-License-Identifier: ISC */
/*
 * Folders and files where other accounts write too (the spool, whose
 * queues the printer stations share): every folder is opened without
 * following a link and checked before it is used (owned by us, written
 * by nobody else but the printers' group where that group is meant to),
 * and everything below it is reached through its descriptor (openat,
 * renameat, unlinkat), so a link or a folder swapped in by another
 * account is refused, never followed. Files are read only when they are
 * regular and small. The models: postfix's safe_open, OpenSSH's
 * StrictModes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "impass.h"

static int
check_dir(int fd, const char *shown, gid_t group, struct imp_err *e)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return imp_fail(e, EX_IOERR, "cannot look at %s: %s", shown, strerror(errno));
	if (st.st_uid != geteuid())
		return imp_fail(e, EX_CANTCREAT, "%s is owned by uid %u, not by this account "
				"(uid %u), which owns the spool: another account made or swapped "
				"it; move it aside and run again", shown, (unsigned)st.st_uid,
				(unsigned)geteuid());
	if (st.st_mode & S_IWOTH)
		return imp_fail(e, EX_CANTCREAT, "%s is writable by every account (mode %04o): "
				"chmod o-w it, and look for files planted in it", shown,
				(unsigned)(st.st_mode & 07777));
	if ((st.st_mode & S_IWGRP) && (group == (gid_t)-1 || st.st_gid != group))
		return imp_fail(e, EX_CANTCREAT, "%s is writable by group %u (mode %04o), which "
				"is not the printers' group here: chmod g-w it, and look for "
				"files planted in it", shown, (unsigned)st.st_gid,
				(unsigned)(st.st_mode & 07777));
	return 0;
}

/* A folder of ours that passed the checks gets the group and mode it is
 * meant to have (a spool made before the printers' group was named). */
static int
settle(int fd, const char *shown, mode_t mode, gid_t group, struct imp_err *e)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return imp_fail(e, EX_IOERR, "cannot look at %s: %s", shown, strerror(errno));
	if ((group != (gid_t)-1 && st.st_gid != group && fchown(fd, (uid_t)-1, group) != 0) ||
	    ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0))
		return imp_fail(e, EX_CANTCREAT, "cannot set the mode of %s: %s", shown,
				strerror(errno));
	return 0;
}

int
imp_dir_open(int at, const char *name, const char *shown, mode_t mode, gid_t group, int *fd,
	     struct imp_err *e)
{
	int made = mkdirat(at, name, mode & 0777) == 0, rc;

	*fd = -1;
	if (!made && errno != EEXIST)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s; check the spool's owner "
				"and permissions", shown, strerror(errno));
	if ((*fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		struct stat ln;
		int link = errno == ELOOP || (errno == ENOTDIR &&
			   fstatat(at, name, &ln, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(ln.st_mode));

		rc = errno == ELOOP || errno == ENOTDIR ?
			imp_fail(e, EX_CANTCREAT, "%s is %s, not a folder: spool-print never makes "
				 "one; move it aside (it may point where it must not) and run "
				 "again", shown, link ? "a symbolic link" : "a file") :
			imp_fail(e, EX_CANTCREAT, "cannot open %s: %s", shown, strerror(errno));
		return rc;
	}
	/* made now: the mode asked for (not the umask's), the group's */
	if (made && ((group != (gid_t)-1 && fchown(*fd, (uid_t)-1, group) != 0) ||
		     fchmod(*fd, mode) != 0)) {
		rc = imp_fail(e, EX_CANTCREAT, "cannot set the mode of %s: %s", shown,
			      strerror(errno));
		close(*fd);
		*fd = -1;
		return rc;
	}
	if ((rc = check_dir(*fd, shown, group, e)) != 0 || (rc = settle(*fd, shown, mode, group,
								       e)) != 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

int
imp_file_read(int at, const char *name, const char *shown, size_t max, struct imp_buf *out,
	      struct imp_err *e)
{
	struct stat st;
	char buf[8192];
	ssize_t n;
	int fd, rc = 0;

	imp_buf_reset(out);
	if ((fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? -1 : imp_fail(e, EX_DATAERR, "cannot open %s: %s%s",
						       shown, strerror(errno), errno == ELOOP ?
						       " (a symbolic link)" : "");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return imp_fail(e, EX_DATAERR, "%s is not a regular file of at most %zu bytes",
				shown, max);
	}
	while (rc == 0 && (n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = imp_fail(e, EX_IOERR, "cannot read %s: %s", shown, strerror(errno));
		else if (out->len + (size_t)n > max)
			rc = imp_fail(e, EX_DATAERR, "%s grew past %zu bytes while read", shown, max);
		else
			imp_buf_add(out, buf, (size_t)n);
	}
	close(fd);
	if (rc == 0 && out->oom)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	return rc;
}

int
imp_file_create(int at, const char *name, const char *shown, mode_t mode, gid_t group,
		const void *p, size_t n, struct imp_err *e)
{
	int fd, flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

	/* a leftover under this name (a crashed run's) is replaced, never written through */
	if ((fd = openat(at, name, flags, mode)) < 0 && errno == EEXIST &&
	    unlinkat(at, name, 0) == 0)
		fd = openat(at, name, flags, mode);
	if (fd < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", shown, strerror(errno));
	if ((group != (gid_t)-1 && fchown(fd, (uid_t)-1, group) != 0) || fchmod(fd, mode) != 0) {
		close(fd);
		return imp_fail(e, EX_CANTCREAT, "cannot set the mode of %s: %s", shown,
				strerror(errno));
	}
	return imp_write_fd(fd, shown, p, n, 0, e);
}

int
imp_file_is_ours(int at, const char *name)
{
	struct stat st;

	return fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == geteuid();
}

/* A job file's name: PRIORITY-BATCH.jobs, the batch a batch id
 * (imp_batch_id_ok); 0 for any other name. */
int
imp_jobs_name(const char *name, int *priority, char batch[IMP_ID_MAX + 1])
{
	size_t n = strlen(name);

	if (n < 8 || n - 7 > IMP_ID_MAX || name[0] < '0' || name[0] > '2' || name[1] != '-' ||
	    strcmp(name + n - 5, ".jobs") != 0)
		return 0;
	memcpy(batch, name + 2, n - 7);
	batch[n - 7] = '\0';
	*priority = name[0] - '0';
	return imp_batch_id_ok(batch);
}
