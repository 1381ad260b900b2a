/* SPDX-License-Identifier: ISC */
/* The trust file: "FINGERPRINT ROLE NAME..." lines, # comments. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

/* The trust file is the authority on signers: it must not be writable by others. */
int
imp_trust_load(struct imp_trust *t, const char *path, struct imp_err *e)
{
	struct stat st;
	char *text;
	ssize_t n;
	int fd, rc;

	memset(t, 0, sizeof *t);
	snprintf(t->path, sizeof t->path, "%s", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return imp_fail(e, EX_NOINPUT, "cannot open trust file %s: %s; pass --trust FILE "
				"or set IMPASS_TRUST", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TRUST_MAX) {
		close(fd);
		return imp_fail(e, EX_USAGE, "trust file %s is not a regular file of at most 1 MiB",
				path);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return imp_fail(e, EX_NOPERM, "trust file %s is writable by group or others, so it "
				"proves nothing; run chmod go-w %s", path, path);
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return imp_fail(e, EX_SOFTWARE, "out of memory reading trust file %s", path);
	}
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(text);
		return imp_fail(e, EX_IOERR, "cannot read trust file %s", path);
	}
	rc = imp_trust_parse(t, text, (size_t)n, e);
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
