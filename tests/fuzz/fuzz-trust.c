/* SPDX-License-Identifier: ISC */
/*
 * The trust file as imp_trust_load reads it (lib/trust.c): the folder
 * walk, the checks on what the path names, the read and the parser. The
 * first byte of the input picks what the path is (its two low bits): 0 the
 * file, 1 the same file writable by its group, 2 a symbolic link to it,
 * 3 a FIFO; the rest is the file's text. Properties: only 0 loads, and it
 * loads exactly when imp_trust_parse accepts the text, with the same
 * entries; 1-3 are refused with 77 naming the path, at once (a FIFO does
 * not hang the run); a loaded file's entries are 40 upper-case hex digits,
 * one role or both, a one-line name without # or blanks at its ends, each
 * found again by imp_trust_find; written back as a trust file they parse
 * to the same entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "impass.h"
#include "fuzz.h"

static char dir[64], paths[4][96];

static void
cleanup(void)
{
	int i;

	for (i = 0; i < 4; i++)
		unlink(paths[i]);
	rmdir(dir);
}

/* A folder of ours under /tmp (root's and sticky): a chain the loader takes. */
static void
setup(void)
{
	static const char *const names[4] = { "trust", "trust-gw", "trust-link", "trust-fifo" };
	int i;

	snprintf(dir, sizeof dir, "/tmp/impass-fuzz-trust-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	for (i = 0; i < 4; i++)
		snprintf(paths[i], sizeof paths[i], "%s/%s", dir, names[i]);
	if (symlink(paths[0], paths[2]) != 0 || mkfifo(paths[3], 0644) != 0 ||
	    atexit(cleanup) != 0)
		abort();
}

static void
put(const char *path, mode_t mode, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t done = 0;
	ssize_t w;

	if (fd < 0 || fchmod(fd, mode) != 0)
		abort();
	while (done < size) {
		if ((w = write(fd, data + done, size - done)) <= 0)
			abort();
		done += (size_t)w;
	}
	close(fd);
}

static void
check_entries(const struct imp_trust *t)
{
	const char *name;
	size_t i;

	for (i = 0; i < t->n; i++) {
		name = t->v[i].name;
		FUZZ_ASSERT(strlen(t->v[i].fpr) == IMP_FPR_LEN);
		FUZZ_ASSERT(strspn(t->v[i].fpr, "0123456789ABCDEF") == IMP_FPR_LEN);
		FUZZ_ASSERT(t->v[i].roles != 0 && (t->v[i].roles & ~3u) == 0);
		FUZZ_ASSERT(name != NULL && name[0] != '\0' && strpbrk(name, "\n#") == NULL);
		FUZZ_ASSERT(name[0] != ' ' && name[0] != '\t');
		FUZZ_ASSERT(strchr(" \t\r\v\f", name[strlen(name) - 1]) == NULL);
		FUZZ_ASSERT(imp_trust_find(t, t->v[i].fpr) == &t->v[i]);
	}
}

static int
same(const struct imp_trust *a, const struct imp_trust *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].fpr, b->v[i].fpr) != 0 || a->v[i].roles != b->v[i].roles ||
		    strcmp(a->v[i].name, b->v[i].name) != 0)
			return 0;
	return 1;
}

/* The entries written as a trust file (one line a role) parse back the same. */
static void
round_trip(const struct imp_trust *t)
{
	struct imp_buf text = { 0 };
	struct imp_trust back;
	struct imp_err e = { 0 };
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].roles & IMP_ROLE_STAGE)
			imp_buf_printf(&text, "%s stage %s\n", t->v[i].fpr, t->v[i].name);
		if (t->v[i].roles & IMP_ROLE_APPROVER)
			imp_buf_printf(&text, "%s approver %s\n", t->v[i].fpr, t->v[i].name);
	}
	FUZZ_ASSERT(!text.oom);
	memset(&back, 0, sizeof back);
	FUZZ_ASSERT(imp_trust_parse(&back, text.p ? text.p : "", text.len, &e) == 0);
	FUZZ_ASSERT(same(t, &back));
	imp_trust_free(&back);
	imp_buf_free(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imp_trust t, parsed;
	struct imp_err e, pe;
	int kind, rc, prc;

	if (dir[0] == '\0')
		setup();
	if (size == 0)
		return 0;
	kind = data[0] & 3;
	put(paths[0], 0644, data + 1, size - 1);
	put(paths[1], 0664, data + 1, size - 1);
	memset(&e, 0, sizeof e);
	rc = imp_trust_load(&t, paths[kind], &e);
	if (kind != 0) {
		FUZZ_ASSERT(rc == EX_NOPERM && strstr(e.msg, paths[kind]) != NULL);
		imp_trust_free(&t);
		return 0;
	}
	memset(&parsed, 0, sizeof parsed);
	memset(&pe, 0, sizeof pe);
	snprintf(parsed.path, sizeof parsed.path, "%s", paths[0]);
	prc = imp_trust_parse(&parsed, (const char *)data + 1, size - 1, &pe);
	FUZZ_ASSERT(rc == prc && strcmp(e.msg, pe.msg) == 0);
	if (rc == 0) {
		FUZZ_ASSERT(same(&t, &parsed));
		check_entries(&t);
		round_trip(&t);
	}
	imp_trust_free(&parsed);
	imp_trust_free(&t);
	return 0;
}
