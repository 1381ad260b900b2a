/* SPDX-License-Identifier: ISC */
/*
 * spool-print: approved passports to the printer queues, exactly once.
 * The input must be sealed by sign with an approver key. Every job is
 * planned in the state database (queue, place, laminate) and written into
 * its batch's job file of its queue and priority in tmp/; the files are
 * delivered to new/ only after the input verified, and the batch is
 * journalled last, so a re-run after a crash completes what is missing and
 * a re-run after success does nothing. The printers acknowledge each job
 * on a line of the queue's log; --collect records what they acknowledged,
 * --reconcile accounts for the security laminates (SPEC.md sections 6, 8;
 * impass-spool(5)).
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "series.h"

#define PROG "spool-print"
#define MAX_QUEUES 64
#define QUEUE_NAME_MAX IMP_QUEUE_NAME_MAX
#define SERIAL_LEN IMP_SERIAL_LEN
#define AUTHORITY "DGIP ISLAMABAD"
#define JOBS_NAME_MAX (IMP_ID_MAX + 8) /* P-BATCH.jobs */
#define FLUSH_AT (1 << 20)            /* a job file is written by the megabyte */
#define ACK_MAX 600                   /* an acknowledgement line, its reason cut */

enum mode { SPOOL, COLLECT, RECONCILE, REPRINT };

struct opts {
	enum mode mode;
	const char *spool, *queues, *laminates, *reprint, *input, *trust, *signer, *group;
	int wait;
};

enum { TMP, NEW, CUR, DONE, NDIRS };

/*
 * The spool folder, its lock and journal. Every folder is opened once,
 * without following a link, checked (ours, written by nobody else but the
 * printers' group where they move jobs), and reached through its
 * descriptor from then on.
 */
struct spool {
	char root[4096];
	int lock, fd, print, held, rejected, archive, incident, reviewed;
	sqlite3 *db;
	char queue[MAX_QUEUES][QUEUE_NAME_MAX + 1];
	int dir[MAX_QUEUES][NDIRS];      /* each queue's tmp new cur done */
	int log[MAX_QUEUES];             /* each queue's acknowledgement log (read only) */
	int arch[MAX_QUEUES];            /* archive/QUEUE, -1 not open */
	size_t nq, nall;                 /* queues given (new jobs go there), and known */
	gid_t group;                     /* the printers' group, (gid_t)-1 when none */
	uint64_t incidents;
};

struct staged {                       /* a file written aside, to be renamed in */
	int from, to;                 /* folder descriptors */
	int jobs;                     /* a job file (else a parked record's) */
	char *name, *as;
};

struct jobfile {                      /* a batch's jobs of one queue and priority, in tmp/, */
	int fd;                          /* or its held or rejected records; -1 until the first */
	uint64_t jobs, bytes;
	struct imp_sha256_ctx *h;        /* of what was written */
	struct imp_buf buf;              /* not yet written */
	char name[IMP_ID_MAX + 16];
};

static const char *const kinds[] = { "held", "rejected" };

struct job_run {                      /* one run of the batch being spooled */
	struct spool *sp;
	const struct opts *o;
	struct imp_run *run;
	struct imp_record *r;
	uint64_t ok;                     /* pass 1: ok records */
	struct imp_buf carried;          /* pass 1: NUMBER SP ID NL of each numbered ok record */
	int began;                       /* the planning transaction is open */
	const char *batch;
	uint64_t index;                  /* of the record in the stream, from 1 */
	char created[21];
	uint64_t count[MAX_QUEUES][3];   /* this batch's jobs per queue and priority */
	struct jobfile jf[MAX_QUEUES][3];
	struct jobfile parked[2];        /* held, rejected */
	struct staged *st;
	size_t nst, cap;
	uint64_t jobs, fresh, held, rejected, files;
	size_t nfiles;                   /* job files staged */
	struct imp_buf xml, path, why;
};

static const char *const dirs[] = { "tmp", "new", "cur", "done" };

/* ---- small helpers ------------------------------------------------------------ */

static const char *
path_of(struct imp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
path_of(struct imp_buf *b, const char *fmt, ...)
{
	va_list ap;

	imp_buf_reset(b);
	va_start(ap, fmt);
	imp_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return imp_buf_str(b);
}




/* Everything written on the spool's file system reaches the disk. */
static int
sync_spool(struct spool *sp, struct imp_err *e)
{
	if (syncfs(sp->fd) != 0)
		return imp_fail(e, EX_IOERR, "cannot write the spool %s to disk: %s", sp->root,
				strerror(errno));
	return 0;
}

/* ---- the spool: folders, lock, journal ------------------------------------------ */

static int
queue_name_ok(const char *q)
{
	size_t n = strspn(q, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return n > 0 && n <= QUEUE_NAME_MAX && q[n] == '\0' && q[0] != '-';
}

/* --queues N (p01..pNN) or a comma-separated list of names. */
static int
parse_queues(struct spool *sp, const char *arg, struct imp_err *e)
{
	char copy[MAX_QUEUES * (QUEUE_NAME_MAX + 1) + 1], *tok, *save, *end;
	long n;
	size_t i;

	n = strtol(arg, &end, 10);
	if (*arg != '\0' && *end == '\0') {
		if (n < 1 || n > MAX_QUEUES)
			return imp_fail(e, EX_USAGE, "--queues %s: give 1 to %d queues", arg,
					MAX_QUEUES);
		for (sp->nq = 0; sp->nq < (size_t)n; sp->nq++)
			snprintf(sp->queue[sp->nq], sizeof sp->queue[0], "p%02d",
				 (int)(sp->nq + 1) % 100);
		sp->nall = sp->nq;
		return 0;
	}
	if (strlen(arg) >= sizeof copy)
		return imp_fail(e, EX_USAGE, "--queues: the list is too long");
	snprintf(copy, sizeof copy, "%s", arg);
	sp->nq = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!queue_name_ok(tok) || sp->nq == MAX_QUEUES)
			return imp_fail(e, EX_USAGE, "--queues: '%s' is not a queue name (1-%d of "
					"a-z, 0-9, -), or more than %d queues", tok,
					QUEUE_NAME_MAX, MAX_QUEUES);
		for (i = 0; i < sp->nq; i++)
			if (strcmp(sp->queue[i], tok) == 0)
				return imp_fail(e, EX_USAGE, "--queues: %s is named twice", tok);
		snprintf(sp->queue[sp->nq++], sizeof sp->queue[0], "%s", tok);
	}
	sp->nall = sp->nq;
	return sp->nq ? 0 : imp_fail(e, EX_USAGE, "--queues: no queue named");
}

/* A folder of the spool (or of a queue, q >= 0), opened and checked. */
static int
spool_dir(struct spool *sp, int at, int q, const char *name, mode_t mode, gid_t group,
	  int *fd, struct imp_err *e)
{
	char shown[4200];

	if (q >= 0)
		snprintf(shown, sizeof shown, "%s/print/%s/%s", sp->root, sp->queue[q], name);
	else
		snprintf(shown, sizeof shown, "%s/%s", sp->root, name);
	return imp_dir_open(at, name, shown, mode, group, fd, e);
}

/*
 * A queue's acknowledgement log, print/QUEUE/log: made by spool-print,
 * appended to by the printer stations (0660 to their group), never
 * followed when a link, refused (73) when not a regular file of ours.
 */
static int
queue_log(struct spool *sp, int qfd, size_t q, struct imp_err *e)
{
	int grp = sp->group != (gid_t)-1, fd;
	mode_t mode = grp ? 0660 : 0600;
	struct stat st;

	fd = openat(qfd, "log", O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	if (fd < 0)
		return imp_fail(e, EX_CANTCREAT, "%s/print/%s/log %s: move it aside and run again",
				sp->root, sp->queue[q], errno == ELOOP ? "is a symbolic link, not "
				"the log spool-print made" : strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return imp_fail(e, EX_CANTCREAT, "%s/print/%s/log is not a regular file of this "
				"account (uid %u): move it aside and run again", sp->root,
				sp->queue[q], (unsigned)geteuid());
	}
	if ((grp && st.st_gid != sp->group && fchown(fd, (uid_t)-1, sp->group) != 0) ||
	    ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0)) {
		close(fd);
		return imp_fail(e, EX_CANTCREAT, "cannot give %s/print/%s/log to the printers: %s",
				sp->root, sp->queue[q], strerror(errno));
	}
	sp->log[q] = fd;
	return 0;
}

/*
 * print/QUEUE/{tmp,new,cur,done} and its log. With a printers' group, the
 * stations may enter print/ and the queue, move job files between new, cur
 * and done, and append to the log; tmp/ is the spool owner's alone.
 */
static int
queue_open(struct spool *sp, size_t q, struct imp_err *e)
{
	int grp = sp->group != (gid_t)-1, rc = 0, qfd = -1, d;

	if (sp->dir[q][TMP] >= 0)
		return 0;
	if (sp->print < 0 && (rc = spool_dir(sp, sp->fd, -1, "print", grp ? 0750 : 0700,
					     sp->group, &sp->print, e)) != 0)
		return rc;
	if ((rc = spool_dir(sp, sp->print, -1, sp->queue[q], grp ? 0750 : 0700, sp->group, &qfd,
			    e)) != 0)
		return rc;
	for (d = 0; rc == 0 && d < NDIRS; d++)
		rc = spool_dir(sp, qfd, (int)q, dirs[d], d == TMP || !grp ? 0700 : 0770,
			       d == TMP ? (gid_t)-1 : sp->group, &sp->dir[q][d], e);
	if (rc == 0)
		rc = queue_log(sp, qfd, q, e);
	close(qfd);
	return rc;
}

/* The queues given, held, rejected, archive. */
static int
make_queues(struct spool *sp, struct imp_err *e)
{
	size_t q;
	int rc = 0;

	for (q = 0; rc == 0 && q < sp->nq; q++)
		rc = queue_open(sp, q, e);
	if (rc == 0 && sp->held < 0)
		rc = spool_dir(sp, sp->fd, -1, "held", 0700, (gid_t)-1, &sp->held, e);
	if (rc == 0 && sp->rejected < 0)
		rc = spool_dir(sp, sp->fd, -1, "rejected", 0700, (gid_t)-1, &sp->rejected, e);
	if (rc == 0 && sp->archive < 0)
		rc = spool_dir(sp, sp->fd, -1, "archive", 0700, (gid_t)-1, &sp->archive, e);
	if (rc == 0)
		fsync(sp->fd);
	return rc;
}

/* The lock (SPOOL/lock, flock) first, then the journal: one run at a time. */
static int
spool_open(struct spool *sp, const char *root, int wait, struct imp_err *e)
{
	char path[4200];
	int rc;

	if (strlen(root) >= sizeof sp->root - 64)
		return imp_fail(e, EX_USAGE, "the spool path %s is too long", root);
	snprintf(sp->root, sizeof sp->root, "%s", root);
	if ((rc = imp_dir_open(AT_FDCWD, sp->root, sp->root, sp->group != (gid_t)-1 ? 0710 : 0700,
			       sp->group, &sp->fd, e)) != 0)
		return rc;
	snprintf(path, sizeof path, "%s/lock", sp->root);
	if ((sp->lock = openat(sp->fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
			       O_CLOEXEC, 0600)) < 0)
		return imp_fail(e, EX_CANTCREAT, "cannot open the lock %s: %s", path,
				strerror(errno));
	while (flock(sp->lock, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return imp_fail(e, EX_TEMPFAIL, "another spool-print is running on %s (it "
					"holds %s); try again when it has finished, or use --wait",
					sp->root, path);
		return imp_fail(e, EX_IOERR, "cannot lock %s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof path, "%s/state.db", sp->root);
	return imp_spool_journal_open(path, 30000, &sp->db, e);
}

static void
spool_init(struct spool *sp)
{
	size_t q, d;

	sp->lock = sp->fd = sp->print = sp->held = sp->rejected = sp->archive = -1;
	sp->incident = sp->reviewed = -1;
	sp->group = (gid_t)-1;
	for (q = 0; q < MAX_QUEUES; q++) {
		for (d = 0; d < NDIRS; d++)
			sp->dir[q][d] = -1;
		sp->arch[q] = sp->log[q] = -1;
	}
}

static void
spool_close(struct spool *sp)
{
	size_t q, d;

	imp_state_close(sp->db);
	for (q = 0; q < MAX_QUEUES; q++) {
		for (d = 0; d < NDIRS; d++)
			if (sp->dir[q][d] >= 0)
				close(sp->dir[q][d]);
		if (sp->arch[q] >= 0)
			close(sp->arch[q]);
		if (sp->log[q] >= 0)
			close(sp->log[q]);
	}
	if (sp->print >= 0)
		close(sp->print);
	if (sp->held >= 0)
		close(sp->held);
	if (sp->rejected >= 0)
		close(sp->rejected);
	if (sp->archive >= 0)
		close(sp->archive);
	if (sp->incident >= 0)
		close(sp->incident);
	if (sp->reviewed >= 0)
		close(sp->reviewed);
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->lock >= 0)
		close(sp->lock);       /* releases the flock */
}

/* A record's file of an earlier version, BATCH.NNNNNNNN (its place), when
 * batch is not NULL of that batch. */
static int
old_parked_name(const char *name, const char *batch)
{
	const char *dot = strrchr(name, '.');
	size_t n;

	if (dot == NULL || dot == name ||
	    (batch != NULL && ((size_t)(dot - name) != strlen(batch) ||
			       strncmp(name, batch, strlen(batch)) != 0)))
		return 0;
	n = strspn(dot + 1, "0123456789");
	return n >= 8 && dot[1 + n] == '\0';
}

/* Parked records being written: .BATCH.parked, or an earlier version's
 * .BATCH.NNNNNNNN. */
static int
parked_tmp_name(const char *name)
{
	char batch[IMP_ID_MAX + 1];

	return name[0] == '.' && (old_parked_name(name + 1, NULL) ||
				  imp_parked_name(name + 1, batch));
}

/*
 * The files a crashed run left in tmp/ (job files) and held/ and rejected/
 * (parked records being written): the lock says no run is live. Only
 * regular files of ours with the names spool-print gives are removed,
 * through the folder's descriptor (a link is never followed).
 */
static uint64_t
clean_leftovers(struct spool *sp)
{
	char batch[IMP_ID_MAX + 1];
	struct dirent *d;
	uint64_t n = 0;
	size_t q;
	DIR *dir;
	int fd, tmp, prio;

	for (q = 0; q < sp->nq + 2; q++) {
		fd = q < sp->nq ? sp->dir[q][TMP] : q == sp->nq ? sp->held : sp->rejected;
		if (fd < 0 || (tmp = dup(fd)) < 0)
			continue;
		if ((dir = fdopendir(tmp)) == NULL) {
			close(tmp);
			continue;
		}
		rewinddir(dir);
		while ((d = readdir(dir)) != NULL) {
			if (q < sp->nq ? !imp_jobs_name(d->d_name, &prio, batch) :
			    !parked_tmp_name(d->d_name))
				continue;
			if (imp_file_is_ours(fd, d->d_name) && unlinkat(fd, d->d_name, 0) == 0)
				n++;
		}
		closedir(dir);
	}
	return n;
}

/* A name found in a queue, fit for a message: at most 64 printable characters. */
static void
shown_name(const char *name, char out[68])
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < 64; i++)
		out[i] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	snprintf(out + i, 4, "%s", name[i] ? "..." : "");
}

/* A line of a log, fit for a message: at most 64 bytes, spaces kept. */
static void
shown_line(const char *line, size_t len, char out[68])
{
	size_t i;

	for (i = 0; i < len && i < 64; i++)
		out[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	snprintf(out + i, 4, "%s", i < len ? "..." : "");
}

/*
 * A file in a queue that is not the job file spool-print wrote there
 * (planted, edited, a link, a FIFO): moved out of the printers' reach to
 * SPOOL/incident/INC-NNNNNNNN for examination, journalled, and never taken
 * as a job file; f is the journalled file of that name (NULL when none),
 * whose jobs are not counted as printed from it.
 */
static int
quarantine(struct spool *sp, int from, const char *queue, const char *folder, const char *name,
	   const struct imp_spool_file *f, const char *why, struct imp_err *e)
{
	char to[32], shown[68];
	int rc;

	if (sp->incident < 0 &&
	    (rc = spool_dir(sp, sp->fd, -1, "incident", 0700, (gid_t)-1, &sp->incident, e)) != 0)
		return rc;
	if ((rc = imp_spool_incident(sp->db, queue, folder, name, NULL, why, to, e)) != 0)
		return rc;
	if (renameat(from, name, sp->incident, to) != 0)
		return imp_fail(e, EX_IOERR, "cannot move %s/print/%s/%s/%s out of the queue: %s; "
				"remove it by hand and have it examined", sp->root, queue, folder,
				name, strerror(errno));
	if ((rc = imp_spool_incident_moved(sp->db, to, e)) == 0 && f != NULL)
		rc = imp_spool_file_incident(sp->db, queue, name, e);
	shown_name(name, shown);
	if (f != NULL)
		imp_warn(PROG, NULL, "incident: print/%s/%s/%s is not the job file spool-print "
			 "wrote (%s): moved to %s/incident/%s for examination; its %" PRIu64
			 " job%s %s not counted as printed from it", queue, folder, shown, why,
			 sp->root, to, f->jobs, f->jobs == 1 ? "" : "s", f->jobs == 1 ? "is" :
			 "are");
	else
		imp_warn(PROG, NULL, "incident: print/%s/%s/%s is not a job file of the journal "
			 "(%s): moved to %s/incident/%s for examination", queue, folder, shown,
			 why, sp->root, to);
	sp->incidents++;
	return rc;
}

/*
 * A file under the name of a batch's parked records that is not the one
 * written there (planted, edited, a link, a FIFO): moved to incident/ and
 * journalled as a queue's is; the batch's own file takes its place.
 */
static int
parked_incident(struct spool *sp, int from, const char *folder, const char *name,
		const char *why, struct imp_err *e)
{
	char to[32];
	int rc;

	if (sp->incident < 0 &&
	    (rc = spool_dir(sp, sp->fd, -1, "incident", 0700, (gid_t)-1, &sp->incident, e)) != 0)
		return rc;
	if ((rc = imp_spool_incident(sp->db, "-", folder, name, NULL, why, to, e)) != 0)
		return rc;
	if (renameat(from, name, sp->incident, to) != 0)
		return imp_fail(e, EX_IOERR, "cannot move %s/%s/%s aside: %s; remove it by hand and "
				"have it examined", sp->root, folder, name, strerror(errno));
	if ((rc = imp_spool_incident_moved(sp->db, to, e)) != 0)
		return rc;
	imp_warn(PROG, NULL, "incident: %s/%s is not the file of parked records spool-print "
		 "wrote (%s): moved to %s/incident/%s for examination", folder, name, why,
		 sp->root, to);
	sp->incidents++;
	return 0;
}

/* archive/QUEUE, opened once (made when missing). */
static int
archive_dir(struct spool *sp, size_t q, struct imp_err *e)
{
	char shown[4200];
	int rc;

	if (sp->arch[q] >= 0)
		return 0;
	if (sp->archive < 0 &&
	    (rc = spool_dir(sp, sp->fd, -1, "archive", 0700, (gid_t)-1, &sp->archive, e)) != 0)
		return rc;
	snprintf(shown, sizeof shown, "%s/archive/%s", sp->root, sp->queue[q]);
	return imp_dir_open(sp->archive, sp->queue[q], shown, 0700, (gid_t)-1, &sp->arch[q], e);
}

/*
 * The SHA-256 (hex) of a file of folder fd read without following a link
 * or blocking on a FIFO: 0, 1 when it is not a regular file, -1 when it
 * cannot be read (errno).
 */
static int
hash_file(int at, const char *name, char hex[2 * IMP_HASH_LEN + 1])
{
	static char chunk[1 << 16];
	unsigned char h[IMP_HASH_LEN];
	struct imp_sha256_ctx *c;
	struct stat st;
	ssize_t n;
	int fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP ? 1 : -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 1;
	}
	if ((c = imp_sha256_begin()) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		imp_sha256_add(c, chunk, (size_t)n);
	imp_sha256_end(c, n == 0 ? h : NULL);
	close(fd);
	if (n != 0)
		return -1;
	imp_hex(h, IMP_HASH_LEN, hex);
	return 0;
}

/*
 * Whether the job file f is in folder fd as written: 1, 0 not there. A
 * file under its name that is not it is quarantined (0); -code on error.
 */
static int
file_there(struct spool *sp, int fd, const char *folder, const struct imp_spool_file *f,
	   struct imp_err *e)
{
	char hex[2 * IMP_HASH_LEN + 1], why[160];
	struct stat st;
	int rc;

	if (fstatat(fd, f->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -imp_fail(e, EX_IOERR, "cannot look at %s/print/%s/%s/"
						       "%s: %s", sp->root, f->queue, folder,
						       f->name, strerror(errno));
	if ((rc = hash_file(fd, f->name, hex)) < 0 && errno == ENOENT)
		return 0;      /* a station moved it on meanwhile */
	if (rc < 0)
		return -imp_fail(e, EX_IOERR, "cannot read %s/print/%s/%s/%s: %s", sp->root,
				 f->queue, folder, f->name, strerror(errno));
	if (rc == 0 && strcmp(hex, f->hash) == 0)
		return 1;
	if (rc == 0)
		snprintf(why, sizeof why, "its sha256 is %.16s..., the file written was %.16s...",
			 hex, f->hash);
	else
		snprintf(why, sizeof why, "not a regular file");
	rc = quarantine(sp, fd, f->queue, folder, f->name, f, why, e);
	return rc != 0 ? -rc : 0;
}

/* The folder (NEW, CUR, DONE, or NDIRS: the archive) the job file f of
 * queue q is in, as written; -1 nowhere, -2 - code on error. */
static int
file_where(struct spool *sp, size_t q, const struct imp_spool_file *f, struct imp_err *e)
{
	int d, rc;

	for (d = NEW; d < NDIRS; d++)
		if ((rc = file_there(sp, sp->dir[q][d], dirs[d], f, e)) != 0)
			return rc > 0 ? d : -2 + rc;
	if ((rc = archive_dir(sp, q, e)) != 0)
		return -2 - rc;
	if ((rc = file_there(sp, sp->arch[q], "archive", f, e)) != 0)
		return rc > 0 ? NDIRS : -2 + rc;
	return -1;
}

/* The slot of a queue named in the journal or found in print/, its
 * folders opened (made when missing): -1 when it cannot be. */
static int
queue_slot(struct spool *sp, const char *name, struct imp_err *e)
{
	size_t q;

	for (q = 0; q < sp->nall; q++)
		if (strcmp(sp->queue[q], name) == 0)
			break;
	if (q == sp->nall) {
		if (q == MAX_QUEUES || !queue_name_ok(name)) {
			imp_fail(e, EX_DATAERR, "queue '%.20s' is not a queue name, or more than %d "
				 "queues are known", name, MAX_QUEUES);
			return -1;
		}
		snprintf(sp->queue[sp->nall++], sizeof sp->queue[0], "%s", name);
	}
	return queue_open(sp, q, e) == 0 ? (int)q : -1;
}

/* ---- laminates ----------------------------------------------------------------- */

static int
serial_ok(const char *s, size_t n)
{
	size_t i;

	if (n != SERIAL_LEN || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The serials of a laminate file: one per line, # comments and blank lines. */
static int
read_serials(const char *file, struct imp_buf *out, size_t *n, struct imp_err *e)
{
	struct imp_lines l;
	struct imp_map *seen = imp_map_new();
	const char *line;
	char key[SERIAL_LEN + 1];
	uint64_t old;
	size_t len;
	int fd, got, rc = 0;

	*n = 0;
	if (seen == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		imp_map_free(seen);
		return imp_fail(e, EX_NOINPUT, "cannot open the laminate file %s: %s", file,
				strerror(errno));
	}
	if (imp_lines_init(&l, imp_read_fd, &fd, 4096) != 0)
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
	l.anynl = 1;
	while (rc == 0 && (got = imp_lines_next(&l, &line, &len)) > 0) {
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		if (!serial_ok(line, len)) {
			rc = imp_fail(e, EX_DATAERR, "%s line %lu: '%.*s' is not a laminate serial "
				      "(two letters and eight digits, SL00012345); correct the file",
				      file, l.lineno, (int)(len > 40 ? 40 : len), line);
			break;
		}
		snprintf(key, sizeof key, "%.*s", (int)len, line);
		if (imp_map_put(seen, key, l.lineno, &old) > 0) {
			rc = imp_fail(e, EX_DATAERR, "%s line %lu: %s is listed already on line %"
				      PRIu64 "; correct the file", file, l.lineno, key, old);
			break;
		}
		imp_buf_printf(out, "%s\n", key);
		(*n)++;
	}
	if (rc == 0 && got < 0)
		rc = imp_fail(e, EX_DATAERR, "cannot read %s: a line is too long, or %s", file,
			      strerror(errno));
	imp_lines_free(&l);
	close(fd);
	imp_map_free(seen);
	return rc == 0 && out->oom ? imp_fail(e, EX_SOFTWARE, "out of memory") : rc;
}

/* Adds the file's serials to the stock; one already in the account stays as it is. */
static int
issue_laminates(struct spool *sp, const char *file, uint64_t *added, struct imp_err *e)
{
	struct imp_buf serials = { 0 };
	size_t n;
	int rc;

	*added = 0;
	if ((rc = read_serials(file, &serials, &n, e)) == 0)
		rc = imp_spool_laminates_issue(sp->db, file, serials.p, serials.len, added, e);
	imp_buf_free(&serials);
	return rc;
}

/* ---- the print job ------------------------------------------------------------- */

static int
priority_of(const char *category)
{
	if (category != NULL && strcmp(category, "fasttrack") == 0)
		return 0;
	if (category != NULL && strcmp(category, "urgent") == 0)
		return 1;
	return 2;
}

static void
holder_elem(struct imp_buf *b, struct imp_record *r, const char *name, const char *section)
{
	const char *v = imp_record_field(r, section, name);

	if (v != NULL && *v != '\0')
		imp_buf_elem(b, name, v, strlen(v));
}

/* The <mrz> lines of a record's passport, from the field table. */
struct mrz_lines {
	const char *v[3];
	size_t n;
};

static void
mrz_line(void *arg, const char *name, const char *value)
{
	struct mrz_lines *ml = arg;

	/* an empty one is not a line (the tree has no text node for it) */
	if (strcmp(name, "mrz") == 0 && *value != '\0' && ml->n < 3)
		ml->v[ml->n++] = value;
}

/*
 * 1 when the lines were read from the table: the line is in the writers'
 * form (no tree made; a value is the text of its one text node) with one
 * <passport> (the tree's walk takes the last one's lines, the table the
 * first's); 0 when the tree is to be walked.
 */
static int
mrz_lines(struct imp_record *r, struct mrz_lines *ml)
{
	const char *line, *p;
	size_t len, passports = 0;

	if (!imp_record_plain(r))
		return 0;
	imp_record_line(r, &line, &len);
	for (p = line; (p = memmem(p, len - (size_t)(p - line), "<passport", 9)) != NULL; p += 9)
		passports += p + 9 < line + len && (p[9] == ' ' || p[9] == '>' || p[9] == '/');
	if (passports > 1 || imp_record_each_field(r, "passport", mrz_line, ml) != 0)
		return 0;
	return 1;
}

/* The job file: what the printer puts on the data page (schemas/printjob.xsd). */
static int
job_xml(struct job_run *jr, struct imp_record *r, const char *queue, int prio,
	const char *laminate, const char *created, struct imp_buf *b)
{
	xmlNodePtr pass = NULL, n;
	const char *photo = imp_record_field(r, "application", "photo_sha256");
	char prio_s[2] = { (char)('0' + prio), '\0' }, hex[65];
	struct mrz_lines ml = { 0 };
	size_t i;
	int lines = 0;

	if (!mrz_lines(r, &ml))
		for (n = imp_record_root(r)->children; n != NULL; n = n->next)
			if (n->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)n->name, "passport") == 0)
				pass = n;
	imp_buf_reset(b);
	imp_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<job xmlns=\"urn:impass:printjob:1\"");
	imp_buf_attr(b, "number", imp_record_attr(r, "passport", "number"));
	imp_buf_attr(b, "batch", jr->batch);
	imp_buf_attr(b, "tracking_id", imp_record_id(r));
	imp_buf_attr(b, "queue", queue);
	imp_buf_attr(b, "priority", prio_s);
	imp_buf_attr(b, "laminate", laminate);
	imp_buf_attr(b, "created", created);
	imp_buf_puts(b, "><holder>");
	holder_elem(b, r, "surname", "normalised");
	holder_elem(b, r, "given_names", "normalised");
	imp_buf_puts(b, "<nationality>PAK</nationality>");
	holder_elem(b, r, "date_of_birth", "normalised");
	holder_elem(b, r, "sex", "normalised");
	holder_elem(b, r, "place_of_birth", "application");
	holder_elem(b, r, "father_name", "normalised");
	holder_elem(b, r, "cnic", "normalised");
	imp_buf_puts(b, "</holder><document");
	imp_buf_attr(b, "type", imp_record_attr(r, "passport", "type"));
	imp_buf_attr(b, "issued", imp_record_attr(r, "passport", "issued"));
	imp_buf_attr(b, "expires", imp_record_attr(r, "passport", "expires"));
	imp_buf_attr(b, "authority", AUTHORITY);
	imp_buf_attr(b, "pages", imp_record_field(r, "normalised", "pages"));
	imp_buf_puts(b, "/>");
	for (i = 0; i < ml.n; i++, lines++)
		imp_buf_elem(b, "mrz", ml.v[i], strlen(ml.v[i]));
	for (n = pass ? pass->children : NULL; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "mrz") != 0 ||
		    n->children == NULL || n->children->type != XML_TEXT_NODE)
			continue;
		imp_buf_elem(b, "mrz", (const char *)n->children->content,
			     strlen((const char *)n->children->content));
		lines++;
	}
	for (i = 0; photo != NULL && i < 64 && photo[i] != '\0'; i++)
		hex[i] = (char)(photo[i] >= 'A' && photo[i] <= 'F' ? photo[i] + 32 : photo[i]);
	hex[i] = '\0';
	imp_buf_puts(b, "<photo");
	imp_buf_attr(b, "sha256", hex);
	imp_buf_puts(b, "/></job>\n");
	if (b->oom)
		return -1;
	return lines == 2 ? 0 : 1;
}

/* ---- spooling one batch ---------------------------------------------------------- */

static int
stage_file(struct job_run *jr, int from, int to, const char *name, const char *as,
	   struct imp_err *e)
{
	struct staged *v;

	if (jr->nst == jr->cap) {
		jr->cap = jr->cap ? 2 * jr->cap : 256;
		if ((v = realloc(jr->st, jr->cap * sizeof *v)) == NULL)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
		jr->st = v;
	}
	jr->st[jr->nst].from = from;
	jr->st[jr->nst].to = to;
	jr->st[jr->nst].jobs = 0;
	jr->st[jr->nst].name = strdup(name);
	jr->st[jr->nst].as = strdup(as);
	if (jr->st[jr->nst].name == NULL || jr->st[jr->nst++].as == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The buffered bytes of f written to its file (of folder, in messages). */
static int
buf_flush(struct spool *sp, struct jobfile *f, const char *folder, struct imp_err *e)
{
	size_t done = 0;
	ssize_t w;

	if (f->buf.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_sha256_add(f->h, f->buf.p, f->buf.len);
	f->bytes += f->buf.len;
	while (done < f->buf.len) {
		if ((w = write(f->fd, f->buf.p + done, f->buf.len - done)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return imp_fail(e, EX_IOERR, "cannot write %s/%s/%s: %s", sp->root, folder,
					f->name, strerror(errno));
		done += (size_t)w;
	}
	imp_buf_reset(&f->buf);
	return 0;
}

/* The folder of parked records of kind k (0 held, 1 rejected). */
static int
parked_dir(const struct spool *sp, int k)
{
	return k ? sp->rejected : sp->held;
}

/*
 * A held or rejected record into its batch's file of that kind, being
 * written as .BATCH.parked (0600, made at its first record, no link
 * followed): its place in the stream (a record id is data: it never
 * becomes a file name), the reasons, then the record itself.
 */
static int
park(struct job_run *jr, struct imp_record *r, int status, const char *code, const char *why,
     struct imp_err *e)
{
	int k = status == IMP_REJECTED;
	struct jobfile *f = &jr->parked[k];
	const char *line, *stage = "", *c = "", *text = "";
	struct imp_buf *body = &jr->why;
	size_t len;

	if (f->fd < 0) {
		imp_parked_file(f->name, jr->batch, 1);
		f->fd = openat(parked_dir(jr->sp, k), f->name, O_WRONLY | O_CREAT | O_EXCL |
			       O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f->fd < 0 || (f->h = imp_sha256_begin()) == NULL)
			return imp_fail(e, EX_CANTCREAT, "cannot create %s/%s/%s: %s", jr->sp->root,
					kinds[k], f->name, strerror(errno));
		imp_parked_head(&f->buf, jr->batch, kinds[k]);
	}
	if (code == NULL && imp_record_verdict(r, &stage, &c, &text) != 0)
		stage = c = text = "";
	imp_record_line(r, &line, &len);
	imp_buf_reset(body);
	imp_buf_printf(body, "batch: %s\nrecord: %s\nstatus: %s\nstage: %s\ncode: %s\nreason: ",
		       jr->batch, imp_record_id(r), kinds[k], code ? PROG : stage, code ? code : c);
	imp_buf_puts(body, code ? why : text);
	imp_buf_puts(body, "\n\n");
	imp_buf_add(body, line, len);
	imp_buf_puts(body, "\n");
	if (body->oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_parked_add(&f->buf, jr->index, body->p, body->len);
	f->jobs++;
	if (k)
		jr->rejected++;
	else
		jr->held++;
	return f->buf.len >= FLUSH_AT ? buf_flush(jr->sp, f, kinds[k], e) : 0;
}

static int
pick_queue(struct job_run *jr, int prio)
{
	size_t q, best = 0;
	uint64_t tot, best_tot = 0;

	for (q = 0; q < jr->sp->nq; q++) {
		tot = jr->count[q][0] + jr->count[q][1] + jr->count[q][2];
		if (q == 0 || jr->count[q][prio] < jr->count[best][prio] ||
		    (jr->count[q][prio] == jr->count[best][prio] && tot < best_tot)) {
			best = q;
			best_tot = tot;
		}
	}
	return (int)best;
}

static int
queue_index(const struct spool *sp, const char *name)
{
	size_t q;

	for (q = 0; q < sp->nq; q++)
		if (strcmp(sp->queue[q], name) == 0)
			return (int)q;
	return -1;
}

/* The name of the batch's job file of a priority: P-BATCH.jobs. */
static void
jobs_file(char out[JOBS_NAME_MAX], int prio, const char *batch)
{
	snprintf(out, JOBS_NAME_MAX, "%d-%s.jobs", prio, batch);
}

/*
 * The plan of one job: the row of an earlier run of this batch, or a new
 * row with a queue, its place in the queue's job file (jobs go into it in
 * stream order) and the next laminate from the stock. A new row is left
 * in *fresh (number not "") for one_job to journal with the job's hash:
 * a row of about 4 KB (the record) written once, not written and then
 * updated.
 */
static int
plan(struct job_run *jr, struct imp_record *r, const char *number, int prio, int *queue,
     char laminate[SERIAL_LEN + 1], char created[21], char hash[2 * IMP_HASH_LEN + 1],
     struct imp_spool_job *fresh, struct imp_err *e)
{
	char file[JOBS_NAME_MAX];
	struct imp_spool_job j;
	int rc, found;

	hash[0] = '\0';
	fresh->number[0] = '\0';
	if ((rc = imp_spool_job_get(jr->sp->db, number, &j, &found, e)) != 0)
		return rc;
	if (found) {
		snprintf(laminate, SERIAL_LEN + 1, "%s", j.laminate);
		snprintf(created, 21, "%s", j.created);
		snprintf(hash, 2 * IMP_HASH_LEN + 1, "%s", j.hash);
		if (strcmp(j.batch, jr->batch) != 0 || strcmp(j.tracking, imp_record_id(r)) != 0)
			return imp_fail(e, EX_DATAERR, "record %s: passport %s was spooled already "
					"for record %s of batch %s; a number is printed once: have "
					"the batch checked", imp_record_id(r), number, j.tracking,
					j.batch);
		if ((*queue = queue_index(jr->sp, j.queue)) < 0)
			return imp_fail(e, EX_USAGE, "record %s: an earlier run of this batch put "
					"passport %s on queue %s, which --queues does not name; run "
					"with the queues of that run", imp_record_id(r), number,
					j.queue);
		jobs_file(file, prio, jr->batch);
		if (j.priority != prio || strcmp(j.file, file) != 0 ||
		    j.place != jr->jf[*queue][prio].jobs + 1)
			return imp_fail(e, EX_SOFTWARE, "record %s: an earlier run of this batch put "
					"passport %s at place %" PRIu64 " of %s, not at %" PRIu64
					" of %s; have the batch checked", imp_record_id(r), number,
					j.place, j.file, jr->jf[*queue][prio].jobs + 1, file);
		return 0;
	}
	if ((rc = imp_spool_laminate_next(jr->sp->db, laminate, &found, e)) != 0)
		return rc;
	if (!found)
		return imp_fail(e, EX_UNAVAILABLE, "record %s: no laminate left in stock",
				imp_record_id(r));
	*queue = pick_queue(jr, prio);
	memset(fresh, 0, sizeof *fresh);
	snprintf(fresh->number, sizeof fresh->number, "%s", number);
	snprintf(fresh->batch, sizeof fresh->batch, "%s", jr->batch);
	snprintf(fresh->tracking, sizeof fresh->tracking, "%s", imp_record_id(r));
	snprintf(fresh->queue, sizeof fresh->queue, "%s", jr->sp->queue[*queue]);
	jobs_file(fresh->file, prio, jr->batch);
	fresh->place = jr->jf[*queue][prio].jobs + 1;
	snprintf(fresh->laminate, sizeof fresh->laminate, "%s", laminate);
	snprintf(fresh->created, sizeof fresh->created, "%s", jr->created);
	snprintf(created, 21, "%s", jr->created);
	fresh->priority = prio;
	jr->count[*queue][prio]++;
	return 0;
}

/* The job's hash, journalled with its plan: what --collect checks. */
static int
journal_hash(struct job_run *jr, const char *number, const char *hex, struct imp_err *e)
{
	return imp_spool_job_hash(jr->sp->db, number, hex, e);
}

/*
 * A job into its job file in tmp/ (made at its first job, 0640 to the
 * printers' group, else 0600): a line "job PLACE NUMBER BYTES", then the
 * job's BYTES bytes.
 */
static int
file_flush(struct job_run *jr, struct jobfile *f, size_t q, struct imp_err *e)
{
	return buf_flush(jr->sp, f, path_of(&jr->path, "print/%s/tmp", jr->sp->queue[q]), e);
}

static int
file_add(struct job_run *jr, size_t q, int prio, const char *number, const struct imp_buf *job,
	 struct imp_err *e)
{
	struct jobfile *f = &jr->jf[q][prio];
	struct spool *sp = jr->sp;
	int grp = sp->group != (gid_t)-1;

	if (f->fd < 0) {
		jobs_file(f->name, prio, jr->batch);
		f->fd = openat(sp->dir[q][TMP], f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			       O_CLOEXEC, grp ? 0640 : 0600);
		if (f->fd < 0 || (f->h = imp_sha256_begin()) == NULL ||
		    (grp && (fchown(f->fd, (uid_t)-1, sp->group) != 0 || fchmod(f->fd, 0640) != 0)))
			return imp_fail(e, EX_CANTCREAT, "cannot create %s/print/%s/tmp/%s: %s",
					sp->root, sp->queue[q], f->name, strerror(errno));
		imp_buf_printf(&f->buf, "impass-printjobs 1 %s %s %d\n", jr->batch, sp->queue[q],
			       prio);
		if (++jr->files == 1)
			imp_fault("tmp-written");
	}
	imp_buf_printf(&f->buf, "job %" PRIu64 " %s %zu\n", f->jobs + 1, number, job->len);
	imp_buf_add(&f->buf, job->p, job->len);
	f->jobs++;
	return f->buf.len >= FLUSH_AT ? file_flush(jr, f, q, e) : 0;
}

static int
one_job(struct job_run *jr, struct imp_record *r, struct imp_err *e)
{
	/* the job's XML is made from the field table of a line in the writers'
	 * form (mrz_lines), else from the tree: parsed first, the fields are
	 * read from it (a line libxml2 cannot parse has no number) */
	const char *number = imp_record_plain(r) || imp_record_root(r) ?
		imp_record_attr(r, "passport", "number") : NULL;
	int prio = priority_of(imp_record_field(r, "normalised", "category"));
	char laminate[SERIAL_LEN + 1] = "", created[21];
	char hash[2 * IMP_HASH_LEN + 1], hex[2 * IMP_HASH_LEN + 1];
	unsigned char h[IMP_HASH_LEN];
	struct spool *sp = jr->sp;
	struct imp_spool_job fresh;
	int queue = 0, rc;

	if (number == NULL || strlen(number) != IMP_NUMBER_LEN)
		return park(jr, r, IMP_HELD, "SPOOL_NO_PASSPORT", "an approved record without a "
			    "passport number: it cannot be printed; have it rendered and approved "
			    "again", e);
	if ((rc = plan(jr, r, number, prio, &queue, laminate, created, hash, &fresh, e)) != 0)
		return rc;
	jr->jobs++;
	if ((rc = job_xml(jr, r, sp->queue[queue], prio, laminate, created, &jr->xml)) != 0)
		return rc < 0 ? imp_fail(e, EX_SOFTWARE, "out of memory") :
			imp_fail(e, EX_DATAERR, "record %s: passport %s has not two <mrz> lines; "
				 "have the batch rendered again", imp_record_id(r), number);
	/* an e-Passport's chip data (render-lds) goes with its job */
	if ((rc = imp_lds_job_chip(sp->fd, sp->root, r, &jr->xml, e)) != 0)
		return rc;
	imp_sha256(jr->xml.p, jr->xml.len, h);
	imp_hex(h, IMP_HASH_LEN, hex);
	if (fresh.number[0] != '\0') {           /* a new job: its row, with the hash */
		memcpy(fresh.hash, hex, sizeof fresh.hash);
		imp_record_line(r, &fresh.record, &fresh.record_len);
		if ((rc = imp_spool_job_plan(sp->db, &fresh, e)) != 0)
			return rc;
	} else if (hash[0] == '\0' && (rc = journal_hash(jr, number, hex, e)) != 0) {
		return rc;
	}
	if (hash[0] != '\0' && strcmp(hash, hex) != 0)
		return imp_fail(e, EX_SOFTWARE, "record %s: the job of passport %s is not the one "
				"an earlier run of the batch planned; have the batch checked",
				imp_record_id(r), number);
	return file_add(jr, (size_t)queue, prio, number, &jr->xml, e);
}

/*
 * Whether the parked file p of kind k is where an earlier run of the batch
 * delivered it, as written: 1 in held/ or rejected/ (or, held, in
 * reviewed/: review moved it), 0 not there; -code on error. Any other
 * file under its name is an incident (0).
 */
static int
parked_there(struct spool *sp, int k, const struct imp_spool_parked *p, struct imp_err *e)
{
	char name[IMP_ID_MAX + 16], hex[2 * IMP_HASH_LEN + 1], why[160];
	int fd = parked_dir(sp, k), rc;
	struct stat st;

	imp_parked_file(name, p->batch, 0);
	if (k == 0 && sp->reviewed < 0 &&
	    (rc = imp_review_dir(sp->fd, sp->root, "reviewed", 0, &sp->reviewed, e)) != 0)
		return -rc;
	if (k == 0 && sp->reviewed >= 0 && imp_file_is_ours(sp->reviewed, name) &&
	    hash_file(sp->reviewed, name, hex) == 0 && strcmp(hex, p->hash) == 0)
		return 1;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -imp_fail(e, EX_IOERR, "cannot look at %s/%s/%s: %s",
						       sp->root, kinds[k], name, strerror(errno));
	if ((rc = hash_file(fd, name, hex)) < 0)
		return -imp_fail(e, EX_IOERR, "cannot read %s/%s/%s: %s", sp->root, kinds[k], name,
				 strerror(errno));
	if (rc == 0 && strcmp(hex, p->hash) == 0 && imp_file_is_ours(fd, name))
		return 1;
	if (rc == 0 && strcmp(hex, p->hash) == 0)
		snprintf(why, sizeof why, "not a file of this account");
	else if (rc == 0)
		snprintf(why, sizeof why, "its sha256 is %.16s..., the file written is %.16s...",
			 hex, p->hash);
	else
		snprintf(why, sizeof why, "not a regular file");
	rc = parked_incident(sp, fd, kinds[k], name, why, e);
	return rc != 0 ? -rc : 0;
}

/*
 * The batch's parked records of kind k finished ("end N"), journalled,
 * and staged for their name, unless an earlier run of the batch delivered
 * the same file.
 */
static int
parked_finish(struct job_run *jr, int k, struct imp_err *e)
{
	struct spool *sp = jr->sp;
	struct jobfile *f = &jr->parked[k];
	struct imp_spool_parked p;
	unsigned char h[IMP_HASH_LEN];
	int rc, there;

	if (f->fd < 0)
		return 0;
	imp_parked_end(&f->buf, f->jobs);
	if ((rc = buf_flush(sp, f, kinds[k], e)) != 0)
		return rc;
	close(f->fd);
	f->fd = -1;
	imp_sha256_end(f->h, h);
	f->h = NULL;
	imp_fault("parked-written");
	memset(&p, 0, sizeof p);
	snprintf(p.batch, sizeof p.batch, "%s", jr->batch);
	snprintf(p.kind, sizeof p.kind, "%s", kinds[k]);
	imp_hex(h, IMP_HASH_LEN, p.hash);
	p.records = f->jobs;
	p.bytes = f->bytes;
	if ((there = parked_there(sp, k, &p, e)) < 0)
		return -there;
	if ((rc = imp_spool_parked_put(sp->db, &p, e)) != 0)
		return rc;
	if (there) {
		unlinkat(parked_dir(sp, k), f->name, 0);
		return 0;
	}
	return stage_file(jr, parked_dir(sp, k), parked_dir(sp, k), f->name, f->name + 1, e);
}

/*
 * The record files of an earlier version's run of this batch that did not
 * finish (BATCH.NNNNNNNN in held/ and rejected/): the batch's parked files
 * hold their records now. Only regular files of ours are removed.
 */
static void
drop_old_parked(struct spool *sp, const char *batch)
{
	struct dirent *d;
	uint64_t n = 0;
	DIR *dir;
	int k, fd;

	for (k = 0; k < 2; k++) {
		if ((fd = dup(parked_dir(sp, k))) < 0)
			continue;
		if ((dir = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		rewinddir(dir);        /* the descriptor's offset is the folder's */
		while ((d = readdir(dir)) != NULL)
			if (old_parked_name(d->d_name, batch) &&
			    imp_file_is_ours(parked_dir(sp, k), d->d_name) &&
			    unlinkat(parked_dir(sp, k), d->d_name, 0) == 0)
				n++;
		closedir(dir);
	}
	if (n > 0)
		imp_warn(PROG, batch, "removed %" PRIu64 " record files of an earlier version's "
			 "run that did not finish: the batch's parked files hold their records", n);
}

/*
 * Each job file finished ("end JOBS"), journalled, and staged for new/,
 * unless an earlier run of the batch delivered it as it is now (in new/,
 * cur/, done/ or the archive). A changed file under its name is an
 * incident; this one takes its place.
 */
static int
files_finish(struct job_run *jr, struct imp_err *e)
{
	struct spool *sp = jr->sp;
	struct imp_spool_file f;
	unsigned char h[IMP_HASH_LEN];
	struct jobfile *jf;
	size_t q;
	int p, rc, where;

	for (q = 0; q < sp->nq; q++) {
		for (p = 0; p < 3; p++) {
			jf = &jr->jf[q][p];
			if (jf->fd < 0)
				continue;
			imp_buf_printf(&jf->buf, "end %" PRIu64 "\n", jf->jobs);
			if ((rc = file_flush(jr, jf, q, e)) != 0)
				return rc;
			close(jf->fd);
			jf->fd = -1;
			imp_sha256_end(jf->h, h);
			jf->h = NULL;
			memset(&f, 0, sizeof f);
			snprintf(f.queue, sizeof f.queue, "%s", sp->queue[q]);
			snprintf(f.name, sizeof f.name, "%s", jf->name);
			snprintf(f.batch, sizeof f.batch, "%s", jr->batch);
			imp_hex(h, IMP_HASH_LEN, f.hash);
			f.priority = p;
			f.jobs = jf->jobs;
			f.bytes = jf->bytes;
			if ((where = file_where(sp, q, &f, e)) < -1)
				return -2 - where;
			if ((rc = imp_spool_file_put(sp->db, &f, e)) != 0)
				return rc;
			if (where >= 0) {
				unlinkat(sp->dir[q][TMP], jf->name, 0);
				continue;
			}
			if ((rc = stage_file(jr, sp->dir[q][TMP], sp->dir[q][NEW], jf->name,
					     jf->name, e)) != 0)
				return rc;
			jr->st[jr->nst - 1].jobs = 1;
			jr->nfiles++;
			jr->fresh += jf->jobs;
		}
	}
	for (p = 0; p < 2; p++)
		if ((rc = parked_finish(jr, p, e)) != 0)
			return rc;
	return 0;
}

/* Renames every staged file in, the job files first (the fault point
 * delivered-half: half of them in new/); then one syncfs makes the renames
 * durable (an fsync of both folders for each held record cost 28,000
 * fsyncs on a batch of 60,000). */
static int
deliver(struct job_run *jr, struct imp_err *e)
{
	size_t i, k = 0;
	int pass;

	for (pass = 1; pass >= 0; pass--) {
		for (i = 0; i < jr->nst; i++) {
			if (jr->st[i].jobs != pass)
				continue;
			if (renameat(jr->st[i].from, jr->st[i].name, jr->st[i].to,
				     jr->st[i].as) != 0)
				return imp_fail(e, EX_IOERR, "cannot deliver %s: %s; run spool-print "
						"on the batch again", jr->st[i].as, strerror(errno));
			if ((pass == 1 && k++ == jr->nfiles / 2) ||
			    (pass == 0 && jr->nfiles == 0 && i == jr->nst / 2))
				imp_fault("delivered-half");
		}
	}
	return jr->nst > 0 ? sync_spool(jr->sp, e) : 0;
}

/* The journal: the batch spooled whole (its jobs, its entry, the ledger). */
static int
journal(struct job_run *jr, const struct imp_batch *b, uint64_t records, struct imp_err *e)
{
	struct imp_spool_batch sb = { .records = records, .jobs = jr->jobs, .held = jr->held,
				      .rejected = jr->rejected };

	snprintf(sb.spooled, sizeof sb.spooled, "%s", jr->created);
	return imp_spool_batch_spooled(jr->sp->db, b, &sb, e);
}

/* Pass 1: what the stream carries: each ok record's id and passport number. */
static int
count_ok(void *arg, uint64_t i, const char *line, size_t len,
	 const unsigned char leaf[IMP_HASH_LEN], struct imp_err *e)
{
	struct job_run *jr = arg;
	const char *id;
	size_t idlen;
	int status;

	(void)i;
	(void)leaf;
	(void)e;
	if (imp_record_head(line, len, &id, &idlen, &status) != 0 && status == IMP_OK_STATUS)
		jr->ok++;
	imp_ledger_collect(line, len, &jr->carried);
	return 0;
}

static int
enough_laminates(struct job_run *jr, uint64_t ok, struct imp_err *e)
{
	uint64_t planned, stock;
	int rc;

	if ((rc = imp_spool_batch_room(jr->sp->db, jr->batch, &planned, &stock, e)) != 0)
		return rc;
	if (stock + planned < ok)
		return imp_fail(e, EX_UNAVAILABLE, "%" PRIu64 " approved records need %" PRIu64
				" laminates but %" PRIu64 " are in stock; nothing was spooled: "
				"issue laminates with --laminates FILE and run again", ok,
				ok - planned, stock);
	return 0;
}

static void
count_queue(void *arg, const char *queue, int prio, uint64_t n)
{
	struct job_run *jr = arg;
	int q = queue_index(jr->sp, queue);

	if (q >= 0 && prio >= 0 && prio <= 2)
		jr->count[q][prio] += n;
}

static int
load_counts(struct job_run *jr, struct imp_err *e)
{
	return imp_spool_batch_queues(jr->sp->db, jr->batch, count_queue, jr, e);
}

/* A batch with its journal entry was spooled whole; say so and do nothing. */
static int
spooled_before(struct spool *sp, const char *batch, struct imp_err *e)
{
	struct imp_spool_batch sb;
	int found;

	if (imp_spool_batch_get(sp->db, batch, &sb, &found, e) != 0)
		return -1;
	if (found)
		imp_warn(PROG, batch, "spooled already at %s (%" PRIu64 " in: %" PRIu64 " jobs, %"
			 PRIu64 " held, %" PRIu64 " rejected); nothing new was written",
			 sb.spooled, sb.records, sb.jobs, sb.held, sb.rejected);
	return found;
}

static void
warn_unfinished(void *arg, const char *other, int prio, uint64_t n)
{
	(void)prio;
	imp_warn(PROG, arg, "warning: batch %s has %" PRIu64 " jobs planned by a run that did "
		 "not finish; run spool-print on that batch again", other, n);
}

static void
unfinished(struct spool *sp, const char *batch, struct imp_err *e)
{
	imp_spool_unfinished(sp->db, batch, warn_unfinished, (void *)batch, e);
}

/*
 * The input verified: an application stream sealed by sign (an approver),
 * its batch bound to its records and its numbers the ledger's. A batch
 * spooled whole before stops here; otherwise the spool is made ready and
 * the planning transaction opened.
 */
static int
spool_ready(void *arg, const struct imp_batch *b, struct imp_err *e)
{
	struct job_run *jr = arg;
	struct spool *sp = jr->sp;
	uint64_t n;
	int rc, done;

	snprintf(jr->run->batch, sizeof jr->run->batch, "%s", b->id);
	jr->batch = b->id;
	if (jr->carried.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if (strcmp(b->kind, "application") != 0)
		return imp_fail(e, EX_DATAERR, "spool-print reads application streams, not %s",
				b->kind);
	if (strcmp(b->seal.stage, "sign") != 0)
		return imp_fail(e, EX_NOPERM, "spool-print takes only streams sealed by sign (an "
				"approver); this one was sealed by %s: have the batch approved "
				"with sign", b->seal.stage);
	if ((rc = imp_ledger_bind(sp->db, b, PROG, e)) != 0 ||
	    (rc = imp_ledger_check(sp->db, b->id, &jr->carried, "nothing was spooled: run the "
				   "batch again from its validated stream through render-mrz "
				   "and sign", e)) != 0)
		return rc;
	if ((done = spooled_before(sp, b->id, e)) != 0)
		return done < 0 ? e->code : IMP_READ_STOP;
	if (jr->o->laminates && (rc = issue_laminates(sp, jr->o->laminates, &n, e)) == 0)
		imp_warn(PROG, b->id, "%" PRIu64 " laminates from %s added to the stock", n,
			 jr->o->laminates);
	/* refused for want of laminates before a folder is made */
	if (rc != 0 || (rc = enough_laminates(jr, jr->ok, e)) != 0 ||
	    (rc = make_queues(sp, e)) != 0 || (rc = load_counts(jr, e)) != 0)
		return rc;
	if ((n = clean_leftovers(sp)) > 0)
		imp_warn(PROG, b->id, "removed %" PRIu64 " unfinished files of a run that crashed",
			 n);
	unfinished(sp, b->id, e);
	if ((rc = imp_state_begin(sp->db, e)) == 0)
		jr->began = 1;
	return rc;
}

/* Pass 2: every job planned and written to tmp/, every other record parked. */
static int
spool_record(void *arg, uint64_t i, const char *line, size_t len, struct imp_err *e)
{
	struct job_run *jr = arg;
	const struct imp_err *re;
	int rc, status;

	jr->index = i;
	jr->run->in = i;
	if ((rc = imp_record_load(jr->r, line, len, e)) != 0)
		return rc;
	status = imp_record_status(jr->r);
	rc = status == IMP_OK_STATUS ? one_job(jr, jr->r, e) : park(jr, jr->r, status, NULL, NULL, e);
	if (rc == 0 && (re = imp_record_error(jr->r)) != NULL) {
		*e = *re;
		rc = re->code;
	}
	if (rc == 0)
		imp_progress(PROG, jr->run, "spooled", i, 0);
	return rc < 0 ? e->code : rc;
}

static void
job_run_free(struct job_run *jr)
{
	size_t i;

	for (i = 0; i < jr->nst; i++) {
		free(jr->st[i].name);
		free(jr->st[i].as);
	}
	free(jr->st);
	for (i = 0; i < MAX_QUEUES * 3 + 2; i++) {
		struct jobfile *f = i < MAX_QUEUES * 3 ? &jr->jf[i / 3][i % 3] :
			&jr->parked[i - MAX_QUEUES * 3];

		if (f->fd >= 0)
			close(f->fd);
		imp_sha256_end(f->h, NULL);
		imp_buf_free(&f->buf);
	}
	imp_record_free(jr->r);
	imp_buf_free(&jr->carried);
	imp_buf_free(&jr->xml);
	imp_buf_free(&jr->path);
	imp_buf_free(&jr->why);
}

static int
spool_batch(const struct opts *o, struct spool *sp, struct imp_run *run, struct imp_err *e)
{
	struct imp_read how = { .scan = count_ok, .ready = spool_ready, .each = spool_record };
	struct imp_keys keys;
	struct imp_batch b;
	struct job_run jr;
	size_t i;
	int rc;

	memset(&jr, 0, sizeof jr);
	memset(&b, 0, sizeof b);
	memset(&keys, 0, sizeof keys);
	jr.sp = sp;
	jr.o = o;
	jr.run = run;
	for (i = 0; i < MAX_QUEUES * 3; i++)
		jr.jf[i / 3][i % 3].fd = -1;
	jr.parked[0].fd = jr.parked[1].fd = -1;
	how.arg = &jr;
	imp_utc(jr.created);
	if ((jr.r = imp_record_new()) == NULL) {
		rc = imp_fail(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) != 0 ||
	    (rc = imp_keys_open(&keys, o->trust, NULL, NULL, e)) != 0)
		goto out;
	rc = imp_stream_read(o->input, &keys, &b, &how, e);
	if (b.id[0] != '\0')
		snprintf(run->batch, sizeof run->batch, "%s", b.id);
	if (!jr.began)            /* refused, or spooled whole before */
		goto out;
	/* pass 2 read what pass 1 verified, or nothing is delivered */
	if (rc != 0 || (rc = files_finish(&jr, e)) != 0 || (rc = sync_spool(sp, e)) != 0) {
		imp_state_rollback(sp->db);
		clean_leftovers(sp);
		goto out;
	}
	if ((rc = imp_state_commit(sp->db, e)) != 0)
		goto out;
	imp_fault("planned");
	if ((rc = deliver(&jr, e)) != 0)
		goto out;
	drop_old_parked(sp, b.id);
	imp_fault("delivered");
	if ((rc = journal(&jr, &b, run->in, e)) != 0)
		goto out;
	imp_fault("journalled");
	imp_progress(PROG, run, "", 0, 1);
	if (sp->incidents > 0)
		imp_warn(PROG, b.id, "%" PRIu64 " file%s in the spool %s not the file%s "
			 "written there: moved to %s/incident (above); the batch's own files "
			 "are delivered", sp->incidents, sp->incidents == 1 ? "" : "s",
			 sp->incidents == 1 ? "was" : "were", sp->incidents == 1 ? "" : "s",
			 sp->root);
	fprintf(stderr, "%s: %s: %" PRIu64 " in, %" PRIu64 " jobs (%" PRIu64 " delivered now), %"
		PRIu64 " held, %" PRIu64 " rejected, %.1f s\n", PROG, b.id, run->in, jr.jobs,
		jr.fresh, jr.held, jr.rejected, imp_now() - run->start);
	if (sp->incidents > 0)
		rc = imp_fail(e, EX_DATAERR, "incidents in the spool: have the files in "
			      "%s/incident examined (spool-print(1), INCIDENTS)", sp->root);
out:
	job_run_free(&jr);
	imp_batch_free(&b);
	imp_keys_close(&keys);
	return rc;
}

/* ---- --collect: what the printers acknowledged ------------------------------------ */

struct qlog {                         /* a queue's log at --collect */
	struct imp_buf text;             /* as read */
	struct imp_map *where;           /* its intact job files: name -> folder + 1 */
	uint64_t from, to;               /* the lines to collect: bytes [from, to) */
	int read;
};

struct collect {
	struct spool *sp;
	int check;                    /* the first pass: only look for incidents */
	int64_t id;                   /* the open collection */
	char batch[IMP_ID_MAX + 1];
	uint64_t printed, spoiled, archived, unknown;
	struct qlog log[MAX_QUEUES];
	struct imp_map *acked;        /* the jobs acknowledged in this pass */
	struct imp_buf p, q;
};

static int
open_collection(struct collect *c, struct imp_err *e)
{
	return c->id > 0 ? 0 : imp_spool_collection_new(c->sp->db, &c->id, c->batch, e);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in folder fd but . and .. and dot files, sorted; NULL on error. */
static char **
names_in(int fd, size_t *n)
{
	char **v = NULL, **nv;
	struct dirent *d;
	size_t cap = 0;
	DIR *dir;
	int dupfd = dup(fd);

	*n = 0;
	if (dupfd < 0 || (dir = fdopendir(dupfd)) == NULL) {
		if (dupfd >= 0)
			close(dupfd);
		return NULL;
	}
	rewinddir(dir);
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (*n + 1 >= cap) {
			cap = cap ? 2 * cap : 64;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL)
				break;
			v = nv;
		}
		if ((v[*n] = strdup(d->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(dir);
	if (v == NULL && (v = calloc(1, sizeof *v)) == NULL)
		return NULL;
	qsort(v, *n, sizeof *v, by_name);
	return v;
}

static void
names_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

typedef int queue_fn(struct collect *c, size_t q, struct imp_err *e);

/* fn on every queue of SPOOL/print/, in name order. */
static int
each_queue(struct collect *c, queue_fn *fn, struct imp_err *e)
{
	char **qs;
	size_t nq, i;
	int q, rc = 0;

	/* (with a printers' group 0750: 0700 here locked the stations out of
	 * print/ after the first --collect) */
	if (c->sp->print < 0 && (rc = spool_dir(c->sp, c->sp->fd, -1, "print",
						c->sp->group != (gid_t)-1 ? 0750 : 0700,
						c->sp->group, &c->sp->print, e)) != 0)
		return rc;
	if ((qs = names_in(c->sp->print, &nq)) == NULL)
		return imp_fail(e, EX_IOERR, "cannot read %s/print: %s", c->sp->root, strerror(errno));
	for (i = 0; rc == 0 && i < nq; i++) {
		if ((q = queue_slot(c->sp, qs[i], e)) < 0)
			rc = e->code;
		else
			rc = fn(c, (size_t)q, e);
	}
	names_free(qs, nq);
	return rc;
}

/*
 * The files of a queue's new/, cur/ and done/: each must be a job file
 * written to this queue, as written (its hash journalled); anything else is
 * an incident, quarantined.
 */
static int
scan_files(struct collect *c, size_t q, struct qlog *l, struct imp_err *e)
{
	struct spool *sp = c->sp;
	struct imp_spool_file f;
	char batch[IMP_ID_MAX + 1], **fs;
	size_t nf, i;
	uint64_t old;
	int d, rc = 0, prio, found;

	for (d = NEW; rc == 0 && d < NDIRS; d++) {
		if ((fs = names_in(sp->dir[q][d], &nf)) == NULL)
			return imp_fail(e, EX_IOERR, "cannot read %s/print/%s/%s: %s", sp->root,
					sp->queue[q], dirs[d], strerror(errno));
		for (i = 0; rc == 0 && i < nf; i++) {
			found = 0;
			if (imp_jobs_name(fs[i], &prio, batch) &&
			    (rc = imp_spool_file_get(sp->db, sp->queue[q], fs[i], &f, &found,
						     e)) != 0)
				break;
			if (!found) {
				rc = quarantine(sp, sp->dir[q][d], sp->queue[q], dirs[d], fs[i], NULL,
						imp_jobs_name(fs[i], &prio, batch) ? "no job file of "
						"that name was written to this queue" : "not a job "
						"file name", e);
				continue;
			}
			if ((rc = file_there(sp, sp->dir[q][d], dirs[d], &f, e)) > 0)
				rc = imp_map_put(l->where, fs[i], (uint64_t)d + 1, &old) < 0 ?
					imp_fail(e, EX_SOFTWARE, "out of memory") : 0;
			else
				rc = -rc;
		}
		names_free(fs, nf);
	}
	return rc;
}

/*
 * A line of a queue's log that is not an acknowledgement spool-print can
 * count (or, whole, the log when what was collected from it changed):
 * copied to SPOOL/incident/INC-NNNNNNNN for examination and journalled as
 * log@OFFSET (log-changed@SIZE), so that no later run reads it again.
 */
static int
log_incident(struct collect *c, size_t q, int whole, uint64_t at, const char *line, size_t len,
	     const char *why, struct imp_err *e)
{
	struct spool *sp = c->sp;
	char name[40], to[32], shown[68], path[4200];
	int rc;

	if (c->check == 0)
		return imp_fail(e, EX_DATAERR, "print/%s/log changed while collected (byte %"
				PRIu64 ", %s): nothing was collected; run --collect again",
				sp->queue[q], at, why);
	if (sp->incident < 0 &&
	    (rc = spool_dir(sp, sp->fd, -1, "incident", 0700, (gid_t)-1, &sp->incident, e)) != 0)
		return rc;
	snprintf(name, sizeof name, "%s@%" PRIu64, whole ? "log-changed" : "log", at);
	if ((rc = imp_spool_incident(sp->db, sp->queue[q], "log", name, NULL, why, to, e)) != 0)
		return rc;
	snprintf(path, sizeof path, "%s/incident/%s", sp->root, to);
	if ((rc = imp_file_create(sp->incident, to, path, 0600, (gid_t)-1, line, len, e)) != 0 ||
	    (rc = imp_spool_incident_moved(sp->db, to, e)) != 0)
		return rc;
	sp->incidents++;
	if (whole) {
		imp_warn(PROG, NULL, "incident: print/%s/log: %s: copied to %s/incident/%s for "
			 "examination; what was collected from it stands", sp->queue[q], why,
			 sp->root, to);
		return 0;
	}
	shown_line(line, len, shown);
	imp_warn(PROG, NULL, "incident: print/%s/log, byte %" PRIu64 ": '%s' is not an "
		 "acknowledgement of a job at the printers (%s): copied to %s/incident/%s for "
		 "examination; it is not counted", sp->queue[q], at, shown, why, sp->root, to);
	return 0;
}

/* The log itself changed before what was collected: the journal keeps
 * what it collected; the log as it is now copied to the incident folder. */
static int
log_changed(struct collect *c, size_t q, struct qlog *l, uint64_t keep, const char *why,
	    struct imp_err *e)
{
	unsigned char h[IMP_HASH_LEN];
	char hex[2 * IMP_HASH_LEN + 1];
	int rc;

	if ((rc = log_incident(c, q, 1, (uint64_t)l->text.len, l->text.p ? l->text.p : "",
			       l->text.len, why, e)) != 0)
		return rc;
	imp_sha256(l->text.p ? l->text.p : "", keep, h);
	imp_hex(h, IMP_HASH_LEN, hex);
	l->from = keep;
	return imp_spool_log_set(c->sp->db, c->sp->queue[q], keep, hex, e);
}

/*
 * A queue's log read whole (at most what a regular file holds; never a
 * FIFO or a link: queue_log checked it); the bytes collected before must
 * be as they were. The lines after them, up to the last newline, are
 * collected.
 */
static int
read_log(struct collect *c, size_t q, struct qlog *l, struct imp_err *e)
{
	struct spool *sp = c->sp;
	char was[2 * IMP_HASH_LEN + 1], hex[2 * IMP_HASH_LEN + 1], chunk[65536];
	unsigned char h[IMP_HASH_LEN];
	uint64_t off;
	ssize_t n;
	char *nl;
	int rc;

	imp_buf_reset(&l->text);
	for (off = 0; (n = pread(sp->log[q], chunk, sizeof chunk, (off_t)off)) > 0; off += (uint64_t)n)
		imp_buf_add(&l->text, chunk, (size_t)n);
	if (n < 0)
		return imp_fail(e, EX_IOERR, "cannot read %s/print/%s/log: %s", sp->root,
				sp->queue[q], strerror(errno));
	if (l->text.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_spool_log_get(sp->db, sp->queue[q], &l->from, was, e)) != 0)
		return rc;
	if (l->from > l->text.len) {
		if ((rc = log_changed(c, q, l, (uint64_t)l->text.len, "the log is shorter than "
				      "what was collected from it: cut or replaced", e)) != 0)
			return rc;
	} else if (l->from > 0) {
		imp_sha256(l->text.p, l->from, h);
		imp_hex(h, IMP_HASH_LEN, hex);
		if (strcmp(hex, was) != 0 &&
		    (rc = log_changed(c, q, l, l->from, "the lines collected before were changed",
				      e)) != 0)
			return rc;
	}
	l->to = l->from;
	for (off = l->from; off < l->text.len; off = l->to) {
		if ((nl = memchr(l->text.p + off, '\n', l->text.len - off)) == NULL)
			break;    /* a line being written: the next run collects it */
		l->to = (uint64_t)(nl - l->text.p) + 1;
	}
	l->read = 1;
	return 0;
}

/* A time as the printers write it: YYYY-MM-DDTHH:MM:SSZ. */
static int
time_ok(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != shape[i])
			return 0;
	return t[i] == '\0';
}

/*
 * One line of a queue's log: "FILE PLACE NUMBER done TIME" or "FILE PLACE
 * NUMBER failed TIME REASON", a job of a file of this queue found as
 * written in cur/ or done/, acknowledged once and not collected before.
 * The check pass only looks; the second records the job as printed or
 * spoiled. A line of a file found changed (an incident) is not counted.
 */
static int
ack_line(struct collect *c, size_t q, struct qlog *l, uint64_t at, struct imp_err *e)
{
	struct spool *sp = c->sp;
	const char *line = l->text.p + at, *end = memchr(line, '\n', l->text.len - at);
	char buf[ACK_MAX + 1], name[40], *f[6], *save = NULL, *why, why_s[160];
	char batch[IMP_ID_MAX + 1];
	struct imp_spool_job j;
	struct imp_spool_file jf;
	size_t len = (size_t)(end - line), k, nf;
	uint64_t place, v, old;
	int prio, found, known, failed, rc;

	snprintf(name, sizeof name, "log@%" PRIu64, at);
	if ((rc = imp_spool_incident_known(sp->db, sp->queue[q], name, &known, e)) != 0 || known)
		return rc;
	if (len > ACK_MAX)
		return log_incident(c, q, 0, at, line, len, "a line of more than 600 bytes", e);
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL)
		return log_incident(c, q, 0, at, line, len, "a NUL byte in the line", e);
	for (nf = 0; nf < 5 && (f[nf] = strtok_r(nf ? NULL : buf, " ", &save)) != NULL; nf++)
		;
	why = save != NULL ? save : (char *)"";
	if (nf < 5 || !imp_jobs_name(f[0], &prio, batch) ||
	    strspn(f[1], "0123456789") != strlen(f[1]) || strlen(f[1]) > 12 || f[1][0] == '0' ||
	    strlen(f[2]) != IMP_NUMBER_LEN || (strcmp(f[3], "done") != 0 &&
					       strcmp(f[3], "failed") != 0) || !time_ok(f[4]) ||
	    (strcmp(f[3], "done") == 0 && *why != '\0'))
		return log_incident(c, q, 0, at, line, len, "not FILE PLACE NUMBER done|failed "
				    "YYYY-MM-DDTHH:MM:SSZ [REASON]", e);
	place = strtoull(f[1], NULL, 10);
	failed = strcmp(f[3], "failed") == 0;
	if ((rc = imp_spool_job_get(sp->db, f[2], &j, &found, e)) != 0)
		return rc;
	if (!found || strcmp(j.queue, sp->queue[q]) != 0 || strcmp(j.file, f[0]) != 0 ||
	    j.place != place)
		return log_incident(c, q, 0, at, line, len, "no such job was written to this queue",
				    e);
	if ((rc = imp_spool_file_get(sp->db, sp->queue[q], f[0], &jf, &found, e)) != 0)
		return rc;
	if (found && strcmp(jf.state, "incident") == 0)
		return 0;      /* its file was found changed: reported, not counted */
	if (strcmp(j.state, "planned") != 0 && strcmp(j.state, "spooled") != 0) {
		snprintf(why_s, sizeof why_s, "acknowledged again: the job was collected as %s "
			 "at %s", j.state, j.printed);
		return log_incident(c, q, 0, at, line, len, why_s, e);
	}
	if (imp_map_get(l->where, f[0], &v) != 0 || (v != CUR + 1 && v != DONE + 1))
		return log_incident(c, q, 0, at, line, len, imp_map_get(l->where, f[0], &v) == 0 ?
				    "acknowledged while its job file was still in new/" :
				    "its job file is not in cur/ or done/", e);
	if (imp_map_put(c->acked, f[2], at, &old) > 0)
		return log_incident(c, q, 0, at, line, len, "acknowledged twice in the log", e);
	if (c->check)
		return 0;
	if (failed) {
		for (k = 0; why[k] != '\0'; k++)
			if ((unsigned char)why[k] < 0x20 || why[k] == 0x7f)
				why[k] = ' ';
		if (*why == '\0')
			why = (char *)"failed at the printer (no reason given)";
	}
	if ((rc = open_collection(c, e)) != 0 ||
	    (rc = imp_spool_job_finished(sp->db, f[2], failed, why, f[4], c->id, e)) != 0)
		return rc;
	if (failed)
		c->spoiled++;
	else
		c->printed++;
	return 0;
}

/*
 * The check pass on a queue: its log read first, then its files (a station
 * moves a file out of new/ before it acknowledges a job of it, so every
 * line read is of a file that had left new/ when the files are looked at),
 * then the log's new lines checked.
 */
static int
check_queue(struct collect *c, size_t q, struct imp_err *e)
{
	struct qlog *l = &c->log[q];
	uint64_t at;
	int rc;

	if (l->where == NULL && (l->where = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = read_log(c, q, l, e)) != 0 || (rc = scan_files(c, q, l, e)) != 0)
		return rc;
	for (at = l->from; rc == 0 && at < l->to; at = (uint64_t)((char *)memchr(l->text.p + at,
								 '\n', l->to - at) -
							 l->text.p) + 1)
		rc = ack_line(c, q, l, at, e);
	return rc;
}

/* The second pass, in one transaction: the lines checked, recorded, and
 * how far the log was collected. */
static int
collect_queue(struct collect *c, size_t q, struct imp_err *e)
{
	struct qlog *l = &c->log[q];
	unsigned char h[IMP_HASH_LEN];
	char hex[2 * IMP_HASH_LEN + 1];
	uint64_t at;
	int rc = 0;

	if (!l->read)
		return 0;
	for (at = l->from; rc == 0 && at < l->to; at = (uint64_t)((char *)memchr(l->text.p + at,
								 '\n', l->to - at) -
							 l->text.p) + 1)
		rc = ack_line(c, q, l, at, e);
	if (rc != 0 || l->to == l->from)
		return rc;
	imp_sha256(l->text.p, l->to, h);
	imp_hex(h, IMP_HASH_LEN, hex);
	return imp_spool_log_set(c->sp->db, c->sp->queue[q], l->to, hex, e);
}

/* After the seal: job files in done/ whose every job is in a sealed
 * collection, out of the queue to SPOOL/archive/QUEUE/. */
static int
archive_queue(struct collect *c, size_t q, struct imp_err *e)
{
	struct spool *sp = c->sp;
	struct imp_spool_file f;
	char batch[IMP_ID_MAX + 1], **fs;
	uint64_t open_jobs;
	size_t nf, i;
	int rc = 0, prio, found;

	if ((fs = names_in(sp->dir[q][DONE], &nf)) == NULL)
		return imp_fail(e, EX_IOERR, "cannot read %s/print/%s/done: %s", sp->root,
				sp->queue[q], strerror(errno));
	for (i = 0; rc == 0 && i < nf; i++) {
		if (!imp_jobs_name(fs[i], &prio, batch))
			continue;
		if ((rc = imp_spool_file_get(sp->db, sp->queue[q], fs[i], &f, &found, e)) != 0 ||
		    !found || strcmp(f.state, "written") != 0 ||
		    (rc = imp_spool_file_open_jobs(sp->db, sp->queue[q], fs[i], &open_jobs,
						   e)) != 0 || open_jobs > 0)
			continue;
		if ((rc = archive_dir(sp, q, e)) != 0)
			break;
		if (renameat(sp->dir[q][DONE], fs[i], sp->arch[q], fs[i]) != 0) {
			rc = imp_fail(e, EX_IOERR, "cannot archive %s/print/%s/done/%s: %s; run "
				      "--collect again", sp->root, sp->queue[q], fs[i],
				      strerror(errno));
			break;
		}
		if (++c->archived == 1)
			imp_fault("archived-some");
	}
	names_free(fs, nf);
	return rc;
}

struct printed {                      /* the printed stream being written */
	struct imp_writer w;
	struct imp_record *r;
	struct imp_buf x;
};

/* One printed job as a record of the printed stream: its <print> and step. */
static int
printed_job(void *arg, const struct imp_spool_job *j, struct imp_err *e)
{
	struct printed *p = arg;
	const char *line;
	size_t len;
	int rc;

	if ((rc = imp_record_load(p->r, j->record, j->record_len, e)) != 0)
		return rc;
	imp_buf_reset(&p->x);
	imp_buf_puts(&p->x, "<print");
	imp_buf_attr(&p->x, "queue", j->queue);
	imp_buf_attr(&p->x, "job", j->number);
	imp_buf_attr(&p->x, "laminate", j->laminate);
	imp_buf_attr(&p->x, "printed", j->printed);
	imp_buf_puts(&p->x, "/>");
	if (p->x.oom || imp_record_insert(p->r, p->x.p, p->x.len) != 0 ||
	    imp_record_step(p->r, PROG, IMP_OK_STATUS, "PRINT_DONE", NULL, "printed on %s, "
			    "laminate %s, %s", j->queue, j->laminate, j->printed) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_record_line(p->r, &line, &len);
	return imp_writer_record(&p->w, line, len, e);
}

static int
printed_stream(struct collect *c, struct imp_keys *k, struct imp_err *e)
{
	struct printed p;
	int rc;

	memset(&p, 0, sizeof p);
	if ((p.r = imp_record_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_writer_begin(&p.w, stdout, c->batch, "printed", NULL, e)) != 0)
		goto out;
	if ((rc = imp_spool_each_printed(c->sp->db, c->id, printed_job, &p, e)) == 0)
		rc = imp_writer_seal(&p.w, k->gpg, PROG, k->signer, e);
	if (rc == 0 && fflush(stdout) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot write the printed stream: %s; run --collect "
			      "again to write it again", strerror(errno));
	imp_writer_free(&p.w);
out:
	imp_record_free(p.r);
	imp_buf_free(&p.x);
	return rc;
}

static int
find_open(struct collect *c, struct imp_err *e)
{
	return imp_spool_collection_open(c->sp->db, &c->id, c->batch, e);
}

static int reprint(struct spool *sp, struct imp_keys *k, const char *file, struct imp_err *e);

static int
collect(const struct opts *o, struct spool *sp, struct imp_run *run, struct imp_err *e)
{
	struct imp_keys keys;
	struct collect c;
	uint64_t jobs, printed, spoiled;
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	memset(&keys, 0, sizeof keys);
	c.sp = sp;
	if ((rc = imp_keys_open(&keys, o->trust, o->signer, PROG, e)) != 0 ||
	    (rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) != 0 ||
	    (rc = find_open(&c, e)) != 0)
		goto out;
	if (c.id > 0) {
		/* its contents were fixed when it was made: written again as they are */
		imp_warn(PROG, c.batch, "collection %s was not sealed by the run that made it: "
			 "it is written again as it was; jobs finished since are collected by "
			 "the next run", c.batch);
	} else {
		c.check = 1;
		if ((c.acked = imp_map_new()) == NULL) {
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		if ((rc = each_queue(&c, check_queue, e)) != 0)
			goto out;
		if (sp->incidents > 0) {
			rc = imp_fail(e, EX_DATAERR, "%" PRIu64 " incident%s in the queues (files "
				      "or log lines that are not what spool-print wrote or can "
				      "count): moved or copied to %s/incident (see above and "
				      "spool-print(1), INCIDENTS); nothing was collected: have them "
				      "examined, then run --collect again", sp->incidents,
				      sp->incidents == 1 ? "" : "s", sp->root);
			goto out;
		}
		c.check = 0;
		imp_map_free(c.acked);
		if ((c.acked = imp_map_new()) == NULL) {
			rc = imp_fail(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		if ((rc = imp_state_begin(sp->db, e)) != 0)
			goto out;
		if ((rc = each_queue(&c, collect_queue, e)) != 0 || sp->incidents > 0) {
			imp_state_rollback(sp->db);
			if (rc == 0)
				rc = imp_fail(e, EX_DATAERR, "a file changed in the queues while "
					      "collected (an incident, above): nothing was collected; "
					      "run --collect again");
			goto out;
		}
		if ((rc = imp_state_commit(sp->db, e)) != 0)
			goto out;
	}
	imp_fault("collected");
	snprintf(run->batch, sizeof run->batch, "%s", c.batch);
	if ((rc = imp_spool_collection_counts(sp->db, c.id, &jobs, &printed, &spoiled, e)) != 0)
		goto out;
	if (jobs > 0) {
		if ((rc = printed_stream(&c, &keys, e)) != 0)
			goto out;
		imp_fault("emitted");
		if ((rc = imp_spool_collection_sealed(sp->db, e)) != 0)
			goto out;
		imp_fault("sealed");
	}
	/* a move lost to a crash is made again by the next --collect (its
	 * collection is sealed), so one syncfs at the end is enough */
	if ((rc = each_queue(&c, archive_queue, e)) != 0 ||
	    (c.archived > 0 && (rc = sync_spool(sp, e)) != 0))
		goto out;
	if (jobs == 0)
		fprintf(stderr, "%s: nothing new to collect%s\n", PROG, c.archived ?
			"; files of an earlier collection archived" : "");
	else
		fprintf(stderr, "%s: %s: %" PRIu64 " collected: %" PRIu64 " printed, %" PRIu64
			" spoiled, %.1f s\n", PROG, c.batch, jobs, printed, spoiled,
			imp_now() - run->start);
	if (o->reprint)
		rc = reprint(sp, &keys, o->reprint, e);
out:
	for (i = 0; i < MAX_QUEUES; i++) {
		imp_buf_free(&c.log[i].text);
		imp_map_free(c.log[i].where);
	}
	imp_map_free(c.acked);
	imp_buf_free(&c.p);
	imp_buf_free(&c.q);
	imp_keys_close(&keys);
	return rc;
}

/* ---- --reprint: spoiled booklets back to render-mrz -------------------------------- */

/* The approved batch's provenance up to the stage before render-mrz. */
static int
reprint_origin(sqlite3 *db, const char *batch, struct imp_batch *in, int *has,
	       struct imp_err *e)
{
	struct imp_batch orig;
	struct imp_sealed *all = NULL;
	size_t n = 0, i, cut;
	int rc, found;

	*has = 0;
	memset(&orig, 0, sizeof orig);
	if ((rc = imp_spool_batch_origin(db, batch, &orig, &found, e)) != 0 || !found) {
		imp_batch_free(&orig);
		return rc ? rc : imp_fail(e, EX_DATAERR, "batch %s has spoiled jobs but no journal "
					  "entry: spool it again first", batch);
	}
	if ((all = calloc(orig.nprov + 1, sizeof *all)) == NULL) {
		imp_batch_free(&orig);
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < orig.nprov; i++)
		all[n++] = orig.prov[i];
	all[n++] = orig.seal;
	for (cut = 0; cut < n && strcmp(all[cut].stage, "render-mrz") != 0; cut++)
		;
	imp_batch_free(&orig);
	if (cut > 0) {
		struct imp_buf p = { 0 };
		char hex[2 * IMP_HASH_LEN + 1];

		imp_buf_puts(&p, "<provenance>");
		for (i = 0; i + 1 < cut; i++) {
			imp_hex(all[i].root, IMP_HASH_LEN, hex);
			imp_buf_printf(&p, "<sealed stage=\"%s\" signer=\"%s\" count=\"%" PRIu64
				       "\" root=\"sha256:%s\" created=\"%s\"/>", all[i].stage,
				       all[i].signer, all[i].count, hex, all[i].created);
		}
		imp_buf_puts(&p, "</provenance>");
		if (cut > 1) {
			in->prov_line = p.p;
			in->prov_len = p.len;
		} else {
			imp_buf_free(&p);
		}
		in->seal = all[cut - 1];
		*has = 1;
	}
	free(all);
	return 0;
}

struct reprinted {                    /* the reprint stream being written */
	struct imp_writer *w;
	struct imp_record *r;
	struct imp_buf line;
	const char *rid;
};

/* One spoiled job as an application of the reprint batch, its number dropped. */
static int
reprint_job(void *arg, const struct imp_spool_job *j, struct imp_err *e)
{
	struct reprinted *rs = arg;
	const char *l;
	size_t len;
	int rc;

	imp_buf_reset(&rs->line);
	imp_buf_add(&rs->line, j->record, j->record_len);
	imp_line_drop(&rs->line, "passport");
	imp_lds_drop_chip(&rs->line);         /* and the chip data signed for it */
	if (rs->line.oom)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = imp_record_load(rs->r, rs->line.p, rs->line.len, e)) != 0)
		return rc;
	if (imp_record_step(rs->r, PROG, IMP_OK_STATUS, "PRINT_SPOILED", NULL, "booklet %s "
			    "spoiled on %s (%s), laminate %s spoiled; to be printed again with a "
			    "new number (batch %s)", j->number, j->queue, j->reason, j->laminate,
			    rs->rid) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	imp_record_line(rs->r, &l, &len);
	return imp_writer_record(rs->w, l, len, e);
}

static int
reprint_write(sqlite3 *db, struct imp_keys *k, const char *file, const char *batch,
	      const char *rid, struct imp_err *e)
{
	struct imp_batch in;
	struct imp_writer w;
	struct imp_record *r = imp_record_new();
	struct imp_buf tmp = { 0 };
	struct reprinted rs = { 0 };
	FILE *out = NULL;
	int rc, has, fd;

	memset(&in, 0, sizeof in);
	memset(&w, 0, sizeof w);
	if (r == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = reprint_origin(db, batch, &in, &has, e)) != 0)
		goto out;
	path_of(&tmp, "%s.XXXXXX", file);
	if ((fd = mkostemp(tmp.p, O_CLOEXEC)) < 0 || (out = fdopen(fd, "w")) == NULL) {
		rc = imp_fail(e, EX_CANTCREAT, "cannot create %s: %s", file, strerror(errno));
		goto out;
	}
	rs.w = &w;
	rs.r = r;
	rs.rid = rid;
	if ((rc = imp_writer_begin(&w, out, rid, "application", has ? &in : NULL, e)) == 0)
		rc = imp_spool_each_spoiled(db, batch, reprint_job, &rs, e);
	if (rc == 0)
		rc = imp_writer_seal(&w, k->gpg, PROG, k->signer, e);
	if (rc == 0 && (fflush(out) != 0 || fsync(fileno(out)) != 0))
		rc = imp_fail(e, EX_IOERR, "cannot write %s: %s", file, strerror(errno));
	if (rc == 0 && rename(tmp.p, file) != 0)
		rc = imp_fail(e, EX_CANTCREAT, "cannot write %s: %s", file, strerror(errno));
	if (rc == 0)
		imp_sync_dir(file);
out:
	if (out != NULL)
		fclose(out);
	if (rc != 0 && tmp.p != NULL)
		unlink(tmp.p);
	imp_writer_free(&w);
	imp_record_free(r);
	free(in.prov_line);
	imp_buf_free(&rs.line);
	imp_buf_free(&tmp);
	return rc;
}

/*
 * The spoiled jobs of one approved batch (the oldest with any) as a fresh
 * application stream BATCH-Rn, sealed by spool-print, ready for
 * render-mrz | sign | spool-print.
 */
static int
reprint(struct spool *sp, struct imp_keys *k, const char *file, struct imp_err *e)
{
	char batch[IMP_ID_MAX + 1], rid[IMP_ID_MAX + 8];
	uint64_t earlier, more, n;
	int rc;

	if ((rc = imp_spool_reprint_next(sp->db, batch, &earlier, &more, e)) != 0)
		return rc;
	if (batch[0] == '\0') {
		fprintf(stderr, "%s: no spoiled job waits for a reprint; %s not written\n", PROG,
			file);
		return 0;
	}
	snprintf(rid, sizeof rid, "%s-R%" PRIu64, batch, earlier + 1);
	if (!imp_batch_id_ok(rid))
		return imp_fail(e, EX_DATAERR, "batch %s: the reprint batch id %s is too long",
				batch, rid);
	if ((rc = reprint_write(sp->db, k, file, batch, rid, e)) != 0)
		return rc;
	imp_fault("reprint-written");
	if ((rc = imp_spool_reprint_mark(sp->db, batch, rid, &n, e)) != 0)
		return rc;
	fprintf(stderr, "%s: %s: %" PRIu64 " spoiled applications of batch %s written to %s; "
		"run render-mrz | sign | spool-print on it\n", PROG, rid, n, batch, file);
	if (more > 0)
		imp_warn(PROG, rid, "spoiled jobs of %" PRIu64 " more batches wait: run "
			 "spool-print --reprint FILE again for each", more);
	return 0;
}

static int
reprint_only(const struct opts *o, struct spool *sp, struct imp_err *e)
{
	struct imp_keys keys;
	int rc;

	memset(&keys, 0, sizeof keys);
	if ((rc = imp_keys_open(&keys, o->trust, o->signer, PROG, e)) == 0 &&
	    (rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) == 0)
		rc = reprint(sp, &keys, o->reprint, e);
	imp_keys_close(&keys);
	return rc;
}

/* ---- --reconcile: the laminate account --------------------------------------------- */

struct account {                      /* --reconcile: what does not balance */
	struct spool *sp;
	FILE *out;
	uint64_t bad;
	struct imp_map *shelf;
	struct imp_map *files;        /* QUEUE/FILE -> 1 found as written, 2 not */
	const char *counted;
};

/* A job at the printers must be in its job file, in a folder of its
 * queue (or the archive), as written. */
static int
lost_job_file(void *arg, const struct imp_spool_job *j, struct imp_err *e)
{
	struct account *a = arg;
	struct imp_spool_file f;
	char key[IMP_QUEUE_NAME_MAX + JOBS_NAME_MAX + 2];
	uint64_t there;
	int q, where, found, rc;

	snprintf(key, sizeof key, "%s/%s", j->queue, j->file);
	if (imp_map_get(a->files, key, &there) != 0) {
		if ((q = queue_slot(a->sp, j->queue, e)) < 0)
			return e->code ? e->code : EX_SOFTWARE;
		if ((rc = imp_spool_file_get(a->sp->db, j->queue, j->file, &f, &found, e)) != 0)
			return rc;
		if (!found || strcmp(f.state, "written") != 0)
			where = -1;
		else if ((where = file_where(a->sp, (size_t)q, &f, e)) < -1)
			return -2 - where;
		there = where >= 0 ? 1 : 2;
		if (imp_map_set(a->files, key, there) != 0)
			return imp_fail(e, EX_SOFTWARE, "out of memory");
	}
	if (there == 2) {
		fprintf(a->out, "unaccounted: %s: assigned to passport %s (batch %s, queue %s), "
			"but its job file %s is in no folder of the queue as written and the job "
			"was never collected\n", j->laminate, j->number, j->batch, j->queue,
			j->file);
		a->bad++;
	}
	return 0;
}

/* Every serial ever issued must be in the account. */
static void
lost_from_account(void *arg, const char *serial, const char *file, const char *at)
{
	struct account *a = arg;

	fprintf(a->out, "unaccounted: %s: issued from %s at %s, but missing from the laminate "
		"account\n", serial, file, at);
	a->bad++;
}

/* A laminate in stock by the account must be on the shelf. */
static void
on_shelf(void *arg, const char *serial, const char *file, const char *at)
{
	struct account *a = arg;
	uint64_t v;

	(void)file;
	(void)at;
	if (imp_map_get(a->shelf, serial, &v) == 0) {
		imp_map_set(a->shelf, serial, 1);
		return;
	}
	fprintf(a->out, "unaccounted: %s: in stock by the account, but not on the shelf (%s)\n",
		serial, a->counted);
	a->bad++;
}

/* --laminates COUNTED: the stock on the shelf, against the account's stock. */
static int
count_stock(struct account *a, struct imp_err *e)
{
	struct imp_buf serials = { 0 };
	char state[16], job[16];
	char *p, *nl;
	size_t n;
	uint64_t v;
	int rc, found;

	if ((a->shelf = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	if ((rc = read_serials(a->counted, &serials, &n, e)) != 0)
		goto out;
	for (p = serials.p; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		imp_map_put(a->shelf, p, 0, &v);
	}
	if ((rc = imp_spool_each_stock(a->sp->db, on_shelf, a, e)) != 0)
		goto out;
	for (p = serials.p; p && p < serials.p + serials.len; p += strlen(p) + 1) {
		if (imp_map_get(a->shelf, p, &v) == 0 && v == 1)
			continue;
		if ((rc = imp_spool_laminate_get(a->sp->db, p, state, job, &found, e)) != 0)
			goto out;
		fprintf(a->out, "unaccounted: %s: on the shelf (%s), but the account has it %s%s%s\n",
			p, a->counted, found ? state : "never issued", job[0] ? " for passport " : "",
			job);
		a->bad++;
	}
out:
	imp_map_free(a->shelf);
	a->shelf = NULL;
	imp_buf_free(&serials);
	return rc;
}

static int
reconcile(const struct opts *o, struct spool *sp, struct imp_err *e)
{
	struct account a = { .sp = sp, .out = stdout, .counted = o->laminates };
	struct imp_spool_account n;
	int rc;

	if ((rc = spool_open(sp, imp_spool_path(o->spool), o->wait, e)) != 0 ||
	    (rc = imp_spool_laminate_counts(sp->db, &n, e)) != 0)
		return rc;
	printf("laminates issued: %" PRIu64 "\n", n.issued);
	printf("  %-42s %" PRIu64 "\n", "used (printed)", n.used);
	printf("  %-42s %" PRIu64 "\n", "spoiled", n.spoiled);
	printf("  %-42s %" PRIu64 "\n", "at the printers (spooled, not collected)", n.assigned);
	printf("  %-42s %" PRIu64 "\n", "in stock", n.stock);
	if (n.used + n.spoiled + n.assigned + n.stock != n.issued) {
		printf("unaccounted: %" PRId64 " laminates are in no known state\n",
		       (int64_t)(n.issued - n.used - n.spoiled - n.assigned - n.stock));
		a.bad++;
	}
	if ((a.files = imp_map_new()) == NULL)
		return imp_fail(e, EX_SOFTWARE, "out of memory");
	rc = imp_spool_each_unaccounted_issue(sp->db, lost_from_account, &a, e);
	if (rc == 0)
		rc = imp_spool_each_spooled(sp->db, lost_job_file, &a, e);
	imp_map_free(a.files);
	if (rc != 0 || (o->laminates && (rc = count_stock(&a, e)) != 0))
		return rc;
	if (a.bad == 0) {
		printf("balance: issued %" PRIu64 " = used %" PRIu64 " + spoiled %" PRIu64
		       " + at the printers %" PRIu64 " + in stock %" PRIu64 "\n", n.issued, n.used,
		       n.spoiled, n.assigned, n.stock);
		return 0;
	}
	printf("does not balance: %" PRIu64 " laminates unaccounted for\n", a.bad);
	return imp_fail(e, EX_DATAERR, "the laminate account does not balance: %" PRIu64
			" laminates unaccounted for (listed on standard output); report them to "
			"the production hall's security officer", a.bad);
}

/* ---- main ---------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs("usage: spool-print [-d DIR] [-g GROUP] [-q N|LIST] [-l FILE] [-w] [-t FILE] [FILE|-]\n"
	      "       spool-print --collect [--reprint FILE] [-d DIR] [-g GROUP] [-w] [-s FPR] [-t FILE]\n"
	      "       spool-print --reprint FILE [-d DIR] [-g GROUP] [-w] [-s FPR] [-t FILE]\n"
	      "       spool-print --reconcile [-l FILE] [-d DIR] [-g GROUP] [-w]\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("Spool the print jobs of an approved batch, exactly once, one job file per\n"
	      "queue and priority; collect what the printers acknowledged; account for the\n"
	      "security laminates.\n"
	      "  -d, --spool DIR       the spool (default $IMPASS_SPOOL)\n"
	      "  -g, --group GROUP     the printer stations' group: it may enter print/, move\n"
	      "                        job files in new, cur, done and append to each\n"
	      "                        queue's log (default $IMPASS_PRINTER_GROUP; none:\n"
	      "                        the spool is the owner's)\n"
	      "  -q, --queues N|LIST   N queues p01..pNN, or their names a,b,c (default 10)\n"
	      "  -l, --laminates FILE  laminate serials issued to the hall, added to the\n"
	      "                        stock; with --reconcile: the stock counted on the shelf\n"
	      "  -w, --wait            wait for another run on the spool instead of exit 75\n"
	      "      --collect         record the jobs the printers acknowledged in each\n"
	      "                        queue's log, write the printed stream, archive the\n"
	      "                        job files whose jobs are all collected\n"
	      "      --reprint FILE    the spoiled jobs' applications, as a stream for\n"
	      "                        render-mrz | sign | spool-print\n"
	      "      --reconcile       the laminate account; exit 65 when it does not balance\n"
	      "  -s, --signer FPR      stage key that seals --collect and --reprint output\n"
	      "                        (default $IMPASS_SIGNER)\n"
	      "  -t, --trust FILE      trust file (default $IMPASS_TRUST)\n"
	      "  -h, --help            this text;  --version  the version\n"
	      "See spool-print(1).\n", stdout);
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "spool", required_argument, NULL, 'd' },
		{ "group", required_argument, NULL, 'g' },
		{ "queues", required_argument, NULL, 'q' },
		{ "laminates", required_argument, NULL, 'l' },
		{ "wait", no_argument, NULL, 'w' },
		{ "collect", no_argument, NULL, 'C' },
		{ "reprint", required_argument, NULL, 'R' },
		{ "reconcile", no_argument, NULL, 'K' },
		{ "signer", required_argument, NULL, 's' },
		{ "trust", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, collect = 0, recon = 0;

	while ((c = getopt_long(argc, argv, "d:g:q:l:ws:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->spool = optarg; break;
		case 'g': o->group = optarg; break;
		case 'q': o->queues = optarg; break;
		case 'l': o->laminates = optarg; break;
		case 'w': o->wait = 1; break;
		case 'C': collect = 1; break;
		case 'R': o->reprint = optarg; break;
		case 'K': recon = 1; break;
		case 's': o->signer = optarg; break;
		case 't': o->trust = optarg; break;
		case 'h': help(); exit(0);
		case 'V': puts(PROG " " IMP_VERSION); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	o->mode = collect ? COLLECT : recon ? RECONCILE : o->reprint ? REPRINT : SPOOL;
	if ((collect && recon) || (recon && o->reprint)) {
		imp_warn(PROG, NULL, "--collect and --reconcile exclude each other, and "
			 "--reprint goes with --collect or alone");
		return EX_USAGE;
	}
	if (o->mode != SPOOL && (optind < argc || o->queues)) {
		imp_warn(PROG, NULL, "--collect, --reprint and --reconcile read the spool, not a "
			 "stream or --queues");
		return EX_USAGE;
	}
	if ((o->mode == COLLECT || o->mode == REPRINT) && o->laminates) {
		imp_warn(PROG, NULL, "--laminates goes with spooling or --reconcile");
		return EX_USAGE;
	}
	if (argc - optind > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	o->input = optind < argc ? argv[optind] : NULL;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct spool sp;
	struct imp_err e = { 0 };
	struct imp_run run;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&sp, 0, sizeof sp);
	spool_init(&sp);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	if ((rc = parse_queues(&sp, o.queues ? o.queues : "10", &e)) != 0) {
		imp_report(PROG, NULL, &e);
		return rc;
	}
	if (o.group == NULL && (o.group = getenv("IMPASS_PRINTER_GROUP")) != NULL && !*o.group)
		o.group = NULL;
	if (o.group != NULL) {
		struct group *g = getgrnam(o.group);

		if (g == NULL) {
			imp_warn(PROG, NULL, "the printers' group %s does not exist: create it "
				 "(groupadd) or name another with --group", o.group);
			return EX_CONFIG;
		}
		sp.group = g->gr_gid;
	}
	imp_init(&run);
	switch (o.mode) {
	case SPOOL: rc = spool_batch(&o, &sp, &run, &e); break;
	case COLLECT: rc = collect(&o, &sp, &run, &e); break;
	case REPRINT: rc = reprint_only(&o, &sp, &e); break;
	case RECONCILE: rc = reconcile(&o, &sp, &e); break;
	}
	spool_close(&sp);
	return imp_exit(PROG, run.batch, NULL, rc, &e);
}
