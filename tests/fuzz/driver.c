/* SPDX-License-Identifier: ISC */
/*
 * A main() for a harness without libFuzzer: runs every file named, and
 * every file in every directory named, through LLVMFuzzerTestOneInput
 * once. Used by tests/fuzz/run-regress under the sanitizer build, so that
 * the kept crashing inputs and the seed corpora stay regression tests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL) {
		fprintf(stderr, "fuzz driver: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			unsigned char *p = realloc(data, cap = cap ? 2 * cap : 65536);
			if (p == NULL) {
				fprintf(stderr, "fuzz driver: out of memory\n");
				exit(70);
			}
			data = p;
		}
		if ((got = fread(data + n, 1, cap - n, f)) == 0)
			break;
		n += got;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	struct stat st;
	struct dirent *d;
	char path[4096], **names;
	size_t nn, cap, k;
	DIR *dir;
	int i, rc = 0, runs = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "fuzz driver: %s: %s\n", argv[i], strerror(errno));
			rc = 66;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) != 0)
				rc = 66;
			runs++;
			continue;
		}
		if ((dir = opendir(argv[i])) == NULL)
			continue;
		names = NULL;
		nn = cap = 0;
		while ((d = readdir(dir)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			if (nn == cap && (names = realloc(names, (cap = cap ? 2 * cap : 64) *
							  sizeof *names)) == NULL)
				exit(70);
			names[nn++] = strdup(d->d_name);
		}
		closedir(dir);
		if (nn > 0)
			qsort(names, nn, sizeof *names, cmp);
		for (k = 0; k < nn; k++) {
			snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
			if (run_file(path) != 0)
				rc = 66;
			runs++;
			free(names[k]);
		}
		free(names);
	}
	fprintf(stderr, "fuzz driver: %s: %d inputs run\n", argv[0], runs);
	return rc;
}
