/* SPDX-License-Identifier: ISC */
/* The trust file: "FINGERPRINT ROLE NAME..." lines, # comments. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "impass.h"

#define TRUST_MAX (1024 * 1024)

/* The roles that may seal a stage's output: review's, an officer's decisions,
 * either decision role (which holds each may decide: bin/review.c). */
unsigned
imp_role_for_stage(const char *stage)
{
	if (strcmp(stage, "review") == 0)
		return IMP_ROLE_REVIEWER | IMP_ROLE_SCREENING;
	return strcmp(stage, "sign") == 0 ? IMP_ROLE_APPROVER : IMP_ROLE_STAGE;
}

const char *
imp_role_name(unsigned role)
{
	switch (role) {
	case IMP_ROLE_APPROVER: return "approver";
	case IMP_ROLE_REVIEWER: return "reviewer";
	case IMP_ROLE_SCREENING: return "screening";
	case IMP_ROLE_REVIEWER | IMP_ROLE_SCREENING: return "reviewer or screening";
	default: return "stage";
	}
}

static const struct {
	const char *name;
	unsigned role;
} roles[] = {
	{ "stage", IMP_ROLE_STAGE }, { "approver", IMP_ROLE_APPROVER },
	{ "reviewer", IMP_ROLE_REVIEWER }, { "screening", IMP_ROLE_SCREENING },
};

static int
add(struct imp_trust *t, const char *fpr, unsigned role, const char *name, size_t nlen)
{
	struct imp_trust_entry *v;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].fpr, fpr) == 0) {
			t->v[i].roles |= role;
			return 0;
		}
	if ((v = realloc(t->v, (t->n + 1) * sizeof *v)) == NULL)
		return -1;
	t->v = v;
	memcpy(v[t->n].fpr, fpr, IMP_FPR_LEN + 1);
	v[t->n].roles = role;
	if ((v[t->n].name = strndup(name, nlen)) == NULL)
		return -1;
	t->n++;
	return 0;
}

/* Splits off the next blank-separated word of [*p, end). */
static size_t
word(const char **p, const char *end, const char **w)
{
	while (*p < end && isblank((unsigned char)**p))
		(*p)++;
	*w = *p;
	while (*p < end && !isblank((unsigned char)**p))
		(*p)++;
	return (size_t)(*p - *w);
}

static int
parse_line(struct imp_trust *t, const char *s, const char *end, unsigned long lineno,
	   struct imp_err *e)
{
	const char *w, *hash = memchr(s, '#', (size_t)(end - s));
	char fpr[IMP_FPR_LEN + 1];
	unsigned role;
	size_t n, i;

	if (hash != NULL)
		end = hash;
	if ((n = word(&s, end, &w)) == 0)
		return 0;
	for (i = 0; i < n && i < IMP_FPR_LEN && isxdigit((unsigned char)w[i]); i++)
		fpr[i] = (char)toupper((unsigned char)w[i]);
	fpr[i] = '\0';
	if (n != IMP_FPR_LEN || i != IMP_FPR_LEN)
		return imp_fail(e, EX_USAGE, "trust file %s line %lu: '%.*s' is not a fingerprint "
				"of 40 hex digits; copy it from gpg --with-colons --fingerprint",
				t->path, lineno, (int)(n > 60 ? 60 : n), w);
	n = word(&s, end, &w);
	for (i = 0, role = 0; i < sizeof roles / sizeof *roles; i++)
		if (n == strlen(roles[i].name) && strncmp(w, roles[i].name, n) == 0)
			role = roles[i].role;
	if (role == 0)
		return imp_fail(e, EX_USAGE, "trust file %s line %lu: role '%.*s' unknown; "
				"the roles are stage, approver, reviewer and screening", t->path,
				lineno, (int)(n > 40 ? 40 : n), w);
	while (s < end && isblank((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s == end)
		return imp_fail(e, EX_USAGE, "trust file %s line %lu: no name after the role; "
				"name the key holder", t->path, lineno);
	if (add(t, fpr, role, s, (size_t)(end - s)) != 0)
		return imp_fail(e, EX_SOFTWARE, "out of memory reading trust file %s", t->path);
	return 0;
}

int
imp_trust_parse(struct imp_trust *t, const char *text, size_t n, struct imp_err *e)
{
	const char *s = text, *end = text + n, *nl;
	unsigned long lineno = 0;
	int rc;

	if (memchr(text, '\0', n) != NULL)
		return imp_fail(e, EX_USAGE, "trust file %s holds a NUL byte; it must be text",
				t->path);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		if ((rc = parse_line(t, s, nl, ++lineno, e)) != 0)
			return rc;
		s = nl + 1;
	}
	return 0;
}

/*
 * The trust file is the authority on signers, so, as sshd's StrictModes
 * does for authorized_keys, whoever could have written it or swapped it
 * must be root or the user running us: the file and every folder above it
 * (symbolic links in the folder part resolved, then each real folder
 * opened without following links) owned by root or us and not writable by
 * group or others. A folder with the sticky bit (like /tmp) may be
 * writable by others: there only the owner of an entry, the folder's owner
 * or root can rename or remove it, and the entry below is checked in turn.
 * The file itself must have one name: a hard link someone made in such a
 * folder to another file of root's would pass every other test.
 */
static int
trusted_owner(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

static const char *
user_name(uid_t uid, char buf[64])
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, 64, "%s (uid %lu)", pw->pw_name, (unsigned long)uid);
	else
		snprintf(buf, 64, "uid %lu", (unsigned long)uid);
	return buf;
}

/* Who may own the trust file and its folders: "root", or "root or NAME". */
static const char *
allowed_owners(char buf[80])
{
	char me[64];

	if (geteuid() == 0)
		return "root";
	snprintf(buf, 80, "root or %s", user_name(geteuid(), me));
	return buf;
}

static int
check_folder(const struct stat *st, const char *dir, const char *path, struct imp_err *e)
{
	char who[64], may[80];

	if (!trusted_owner(st))
		return imp_fail(e, EX_NOPERM, "folder %s above trust file %s is owned by %s, who "
				"could swap the trust file; only %s may own it: run chown root "
				"%s, or keep the trust file elsewhere", dir, path,
				user_name(st->st_uid, who), allowed_owners(may), dir);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		return imp_fail(e, EX_NOPERM, "folder %s above trust file %s is writable by group "
				"or others, who could swap the trust file; run chmod go-w %s",
				dir, path, dir);
	return 0;
}

static int
check_file(const struct stat *st, const char *path, struct imp_err *e)
{
	char who[64], may[80];

	if (!S_ISREG(st->st_mode) || st->st_size > TRUST_MAX)
		return imp_fail(e, EX_NOPERM, "trust file %s is not a regular file of at most "
				"1 MiB; put the trust file itself there", path);
	if (!trusted_owner(st))
		return imp_fail(e, EX_NOPERM, "trust file %s is owned by %s, so it proves "
				"nothing; only %s may own it: run chown root %s", path,
				user_name(st->st_uid, who), allowed_owners(may), path);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return imp_fail(e, EX_NOPERM, "trust file %s is writable by group or others, so it "
				"proves nothing; run chmod go-w %s", path, path);
	/* as postfix's safe_open: a second name may be a link made to another file of root's */
	if (st->st_nlink != 1)
		return imp_fail(e, EX_NOPERM, "trust file %s has %lu names (hard links), so it may "
				"be another file than the one kept; put a copy of its own there",
				path, (unsigned long)st->st_nlink);
	return 0;
}

static int
no_file(const char *path, int err, struct imp_err *e)
{
	if (err == ELOOP)
		return imp_fail(e, EX_NOPERM, "trust file %s is a symbolic link, which anyone who "
				"can write its folder could point elsewhere; name the file itself",
				path);
	return imp_fail(e, EX_NOINPUT, "cannot open trust file %s: %s; pass --trust FILE or "
			"set IMPASS_TRUST", path, strerror(err));
}

/* Opens the folder dir from / down, each step checked; an O_PATH descriptor. */
static int
open_folders(const char *dir, const char *path, struct imp_err *e)
{
	char sofar[PATH_MAX], *copy, *comp, *save = NULL;
	struct stat st;
	int fd, next, rc = 0;

	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)
		return -imp_fail(e, EX_NOINPUT, "cannot open / : %s", strerror(errno));
	if ((rc = check_folder(&st, "/", path, e)) != 0 || (copy = strdup(dir)) == NULL) {
		close(fd);
		return -(rc ? rc : imp_fail(e, EX_SOFTWARE, "out of memory"));
	}
	sofar[0] = '\0';
	for (comp = strtok_r(copy, "/", &save); comp != NULL && rc == 0;
	     comp = strtok_r(NULL, "/", &save)) {
		snprintf(sofar + strlen(sofar), sizeof sofar - strlen(sofar), "/%s", comp);
		next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd < 0)
			rc = imp_fail(e, EX_NOINPUT, "cannot open folder %s of trust file %s: %s",
				      sofar, path, strerror(errno));
		else if (fstat(fd, &st) != 0)
			rc = imp_fail(e, EX_IOERR, "cannot stat folder %s: %s", sofar,
				      strerror(errno));
		else
			rc = check_folder(&st, sofar, path, e);
	}
	free(copy);
	if (rc != 0 && fd >= 0)
		close(fd);
	return rc != 0 ? -rc : fd;
}

/* The trust file opened as a regular file that only root or we could have made. */
static int
open_trusted(const char *path, struct stat *st, struct imp_err *e)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base = strrchr(path, '/');
	int dfd, fd, rc;

	if (base == NULL)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", base == path ? 1 : (int)(base - path), path);
	base = base != NULL ? base + 1 : path;
	if (realpath(dir, real) == NULL)
		return -no_file(path, errno, e);
	if ((dfd = open_folders(real, path, e)) < 0)
		return dfd;
	/* O_NONBLOCK: a FIFO planted as the trust file must not hang us */
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -no_file(path, errno, e);
	if (fstat(fd, st) != 0)
		rc = imp_fail(e, EX_IOERR, "cannot stat trust file %s: %s", path, strerror(errno));
	else
		rc = check_file(st, path, e);
	if (rc != 0) {
		close(fd);
		return -rc;
	}
	return fd;
}

int
imp_trust_load(struct imp_trust *t, const char *path, struct imp_err *e)
{
	struct stat st;
	size_t got = 0;
	char *text;
	ssize_t n;
	int fd, rc;

	memset(t, 0, sizeof *t);
	snprintf(t->path, sizeof t->path, "%s", path);
	if ((fd = open_trusted(path, &st, e)) < 0)
		return -fd;
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return imp_fail(e, EX_SOFTWARE, "out of memory reading trust file %s", path);
	}
	while (got < (size_t)st.st_size &&
	       ((n = read(fd, text + got, (size_t)st.st_size - got)) > 0 ||
		(n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	if (got != (size_t)st.st_size) {
		free(text);
		return imp_fail(e, EX_IOERR, "cannot read trust file %s", path);
	}
	rc = imp_trust_parse(t, text, got, e);
	free(text);
	return rc;
}

const struct imp_trust_entry *
imp_trust_find(const struct imp_trust *t, const char *fpr)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcasecmp(t->v[i].fpr, fpr) == 0)
			return &t->v[i];
	return NULL;
}

const char *
imp_trust_name(const struct imp_trust *t, const char *fpr)
{
	const struct imp_trust_entry *te = imp_trust_find(t, fpr);

	return te ? te->name : "not in the trust file";
}

void
imp_trust_free(struct imp_trust *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
