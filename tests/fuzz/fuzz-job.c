/* SPDX-License-Identifier: ISC */
/*
 * A file found in a print queue, as spool-print meets it (lib/safe.c):
 * its name read as a job file's (imp_jobs_name) and the file read
 * (imp_file_read, 64 KiB at most here, no link followed, never blocking). The
 * first byte picks what the printer account left under the name: 0 a
 * regular file holding the rest of the input, 1 a symbolic link to such a
 * file, 2 a FIFO, 3 a folder; the next byte is the name's length (at most
 * 32), then the name. Properties: a name is a job file's exactly when it
 * is [0-2]-BATCH.jobs, BATCH 1 to 64 of [A-Za-z0-9._-] starting with a
 * letter or digit, and the priority and batch are what it says; only a
 * regular file of at most 64 KiB is read, and what is read is the file;
 * a link, a FIFO or a folder is refused at once (a FIFO does not hang).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "impass.h"
#include "fuzz.h"

#define JOB_MAX (64 * 1024)

static int
is_jobs(const char *n)
{
	size_t len = strlen(n), i;

	if (len < 8 || n[0] < '0' || n[0] > '2' || n[1] != '-' || strcmp(n + len - 5, ".jobs") != 0)
		return 0;
	for (i = 2; i < len - 5; i++)
		if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= 'a' && n[i] <= 'z') ||
		      (n[i] >= '0' && n[i] <= '9') || (i > 2 && strchr("._-", n[i]) != NULL)))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/impass-fuzz-job-XXXXXX";
	static int dfd = -1;
	char name[40], batch[IMP_ID_MAX + 1], target[64];
	struct imp_buf b = { 0 };
	struct imp_err e = { 0 };
	size_t len, i;
	int kind, fd, rc, prio = -1;

	if (dfd < 0 && (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0))
		abort();
	if (size < 2)
		return 0;
	kind = data[0] & 3;
	len = data[1] % 33;
	if (size < 2 + len)
		return 0;
	for (i = 0; i < len; i++)        /* a name: no '/' and no NUL, not . or .. */
		name[i] = data[2 + i] == '/' || data[2 + i] == '\0' ? '_' : (char)data[2 + i];
	name[len] = '\0';
	if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	data += 2 + len;
	size -= 2 + len;

	batch[0] = '\0';
	rc = imp_jobs_name(name, &prio, batch);
	FUZZ_ASSERT(rc == is_jobs(name));
	if (rc)
		FUZZ_ASSERT(prio == name[0] - '0' && strlen(batch) == len - 7 &&
			    memcmp(batch, name + 2, len - 7) == 0);

	unlinkat(dfd, name, 0);
	unlinkat(dfd, name, AT_REMOVEDIR);
	unlinkat(dfd, "target", 0);
	if (kind == 0 || kind == 1) {
		const char *file = kind == 0 ? name : "target";

		if ((fd = openat(dfd, file, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
			abort();
		if (size > 0 && write(fd, data, size) != (ssize_t)size)
			abort();
		close(fd);
		snprintf(target, sizeof target, "%s/target", dir);
		if (kind == 1 && symlinkat(target, dfd, name) != 0)
			abort();
	} else if (kind == 2) {
		if (mkfifoat(dfd, name, 0600) != 0)
			abort();
	} else if (mkdirat(dfd, name, 0700) != 0) {
		abort();
	}

	rc = imp_file_read(dfd, name, name, JOB_MAX, &b, &e);
	if (kind == 0 && size <= JOB_MAX) {
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(b.len == size && (size == 0 || memcmp(b.p, data, size) == 0));
	} else {
		FUZZ_ASSERT(rc == EX_DATAERR && e.msg[0] != '\0');
	}
	imp_buf_free(&b);
	unlinkat(dfd, name, kind == 3 ? AT_REMOVEDIR : 0);
	unlinkat(dfd, "target", 0);
	return 0;
}
