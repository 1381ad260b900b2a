/* SPDX-License-Identifier: ISC */
/* A string-keyed hash map (open addressing), e.g. the ids seen in a batch. */
#include <stdlib.h>
#include <string.h>

#include "impass.h"

struct slot {
	char *key;
	uint64_t value;
};

struct imp_map {
	struct slot *v;
	size_t cap, n;
};

static uint64_t
hash(const char *s)
{
	return imp_hash_add(IMP_HASH_START, s, strlen(s));       /* FNV-1a */
}

struct imp_map *
imp_map_new(void)
{
	struct imp_map *m = calloc(1, sizeof *m);

	if (m != NULL && (m->v = calloc(m->cap = 1024, sizeof *m->v)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

static struct slot *
find(struct slot *v, size_t cap, const char *key)
{
	size_t i = (size_t)hash(key) & (cap - 1);

	while (v[i].key != NULL && strcmp(v[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int
grow(struct imp_map *m)
{
	struct slot *v = calloc(m->cap * 2, sizeof *v);
	size_t i;

	if (v == NULL)
		return -1;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].key != NULL)
			*find(v, m->cap * 2, m->v[i].key) = m->v[i];
	free(m->v);
	m->v = v;
	m->cap *= 2;
	return 0;
}

/*
 * Adds key with value unless it is there: returns 1 with its value in
 * *old when it was, 0 when added, -1 when out of memory.
 */
int
imp_map_put(struct imp_map *m, const char *key, uint64_t value, uint64_t *old)
{
	struct slot *s;

	if (2 * (m->n + 1) > m->cap && grow(m) != 0)
		return -1;
	s = find(m->v, m->cap, key);
	if (s->key != NULL) {
		*old = s->value;
		return 1;
	}
	if ((s->key = strdup(key)) == NULL)
		return -1;
	s->value = value;
	m->n++;
	return 0;
}

/* Sets key to value, adding it if needed; -1 when out of memory. */
int
imp_map_set(struct imp_map *m, const char *key, uint64_t value)
{
	uint64_t old;
	int rc = imp_map_put(m, key, value, &old);

	if (rc == 1)
		find(m->v, m->cap, key)->value = value;
	return rc < 0 ? -1 : 0;
}

/* Adds n to the value of key (a key not there is added at n); -1 when out of memory. */
int
imp_map_add(struct imp_map *m, const char *key, uint64_t n)
{
	struct slot *s;

	if (2 * (m->n + 1) > m->cap && grow(m) != 0)
		return -1;
	s = find(m->v, m->cap, key);
	if (s->key != NULL) {
		s->value += n;
		return 0;
	}
	if ((s->key = strdup(key)) == NULL)
		return -1;
	s->value = n;
	m->n++;
	return 0;
}

/* 0 with the value of key, -1 when key is not there. */
int
imp_map_get(const struct imp_map *m, const char *key, uint64_t *value)
{
	const struct slot *s = find(m->v, m->cap, key);

	if (s->key == NULL)
		return -1;
	*value = s->value;
	return 0;
}

/* Calls fn for each key in no particular order; stops at a non-zero return. */
int
imp_map_each(const struct imp_map *m, int (*fn)(void *arg, const char *key, uint64_t value),
	     void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < m->cap; i++)
		if (m->v[i].key != NULL && (rc = fn(arg, m->v[i].key, m->v[i].value)) != 0)
			return rc;
	return 0;
}

void
imp_map_free(struct imp_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	free(m);
}
