/* SPDX-License-Identifier: ISC */
/*
 * Shared by the libFuzzer harnesses of tests/fuzz/: the entry point, an
 * input as a file (memfd) for the readers that take a path, and a check
 * that stops the run when a property of the library does not hold.
 */
#ifndef IMPASS_FUZZ_H
#define IMPASS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a property that must hold for every input: abort() shows up as a crash */
#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* The input as a file: path names an in-memory file holding exactly data. */
static inline int
fuzz_file(const uint8_t *data, size_t size, char path[64])
{
	static int fd = -1;
	size_t done = 0;
	ssize_t w;

	if (fd < 0 && (fd = memfd_create("impass-fuzz", MFD_CLOEXEC)) < 0)
		return -1;
	if (ftruncate(fd, 0) != 0)
		return -1;
	while (done < size) {
		if ((w = pwrite(fd, data + done, size - done, (off_t)done)) <= 0)
			return -1;
		done += (size_t)w;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return 0;
}

#endif
