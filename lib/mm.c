/* SPDX-License-Identifier: MIT */
#include "mm.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	int code;
	const char *name;
	const char *text;
} mm_errors[] = {
	{ MM_ENOENT, "ENOENT", "no such object" },
	{ MM_ENOMEM, "ENOMEM", "out of memory" },
	{ MM_EBUSY, "EBUSY", "resource busy" },
	{ MM_EEXIST, "EEXIST", "already exists" },
	{ MM_EINVAL, "EINVAL", "invalid argument" },
	{ MM_ERANGE, "ERANGE", "out of range" },
};

#define MM_NERRORS (sizeof(mm_errors) / sizeof(mm_errors[0]))

static int mm_err_index(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < MM_NERRORS; i++)
		if (mm_errors[i].code == err)
			return (int)i;
	return -1;
}

const char *mm_strerror(int err)
{
	int i;

	if (err == 0)
		return "success";
	i = mm_err_index(err);
	return i < 0 ? "unknown error" : mm_errors[i].text;
}

const char *mm_errname(int err)
{
	int i = mm_err_index(err);

	return i < 0 ? NULL : mm_errors[i].name;
}

int mm_errcode(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < MM_NERRORS; i++)
		if (!strcmp(mm_errors[i].name, name))
			return mm_errors[i].code;
	return 0;
}

void mm_meta_init(struct mm_meta *m)
{
	if (!m)
		return;
	memset(m, 0, sizeof(*m));
}

void mm_meta_fail_at(struct mm_meta *m, uint64_t k, bool after)
{
	if (!m)
		return;
	m->calls = 0;
	m->failures = 0;
	m->fail_at = k;
	m->fail_after = after;
}

static bool mm_meta_should_fail(struct mm_meta *m)
{
	uint64_t n = ++m->calls;

	if (!m->fail_at)
		return false;
	return n == m->fail_at || (m->fail_after && n > m->fail_at);
}

static void *mm_meta_get(struct mm_meta *m, size_t size, bool zero)
{
	void *p;

	if (!size)
		size = 1;
	if (!m)
		return zero ? calloc(1, size) : malloc(size);
	if (mm_meta_should_fail(m)) {
		m->failures++;
		return NULL;
	}
	if (!zero && m->array_fn)
		p = m->array_fn(m->ctx, size);
	else if (m->alloc_fn)
		p = m->alloc_fn(m->ctx, size);
	else
		p = zero ? calloc(1, size) : malloc(size);
	if (p) {
		m->live++;
		m->live_bytes += size;
	}
	return p;
}

void *mm_meta_alloc(struct mm_meta *m, size_t size)
{
	return mm_meta_get(m, size, true);
}

void *mm_meta_calloc(struct mm_meta *m, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return mm_meta_get(m, bytes, true);
}

void *mm_meta_array(struct mm_meta *m, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return mm_meta_get(m, bytes, false);
}

void mm_meta_free(struct mm_meta *m, void *p, size_t size)
{
	if (!p)
		return;
	if (!size) /* mm_meta_get gave it one byte */
		size = 1;
	if (!m) {
		free(p);
		return;
	}
	m->live--;
	m->live_bytes -= size;
	if (m->free_fn)
		m->free_fn(m->ctx, p, size);
	else
		free(p);
}
