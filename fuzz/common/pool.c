/* SPDX-License-Identifier: MIT */
/*
 * pool.c - the harness's allocator (see fz.h): the layers' bookkeeping in
 * a run of an op program, and the models' and targets' own memory.
 */
#include "fz.h"

#include <stdlib.h>
#include <string.h>

/* Under MSan a block handed out again without zeroing is uninitialized, as
 * one from malloc would be, not what its last owner wrote. */
#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#include <sanitizer/msan_interface.h>
#define pool_uninit(p, n) __msan_allocated_memory((p), (n))
#endif
#endif
#ifndef pool_uninit
#define pool_uninit(p, n) ((void)(p), (void)(n))
#endif

/*
 * The allocator of a run. From malloc, every block costs the
 * sanitizer's allocator (a stack trace, the quarantine, for a large one a
 * fresh mapping and its page faults), and a run of an op program takes and
 * gives back dozens: every machine booted builds every layer. Blocks are
 * taken from malloc in power-of-two sizes instead and kept when given
 * back, per size: a quarantine of its own, like the sanitizer's. A block
 * given back stays poisoned while the last POOL_QUARANTINE blocks of its
 * size given back in the run include it, so that a use after free is
 * still reported (as a use of poisoned memory); older ones are handed out
 * again, and at the end of the run all of them are parked for the runs
 * after. Of large sizes fewer are kept (about POOL_BYTES of a size), the
 * rest going back to malloc. A block handed out again is unpoisoned for the size asked for,
 * with the rest of its power of two poisoned, and zeroed when asked.
 * Giving back a block that is already kept aborts: a double free.
 */
#define POOL_MIN_SHIFT 4   /* 16 bytes */
#define POOL_MAX_SHIFT 31  /* larger blocks come and go through malloc */
#define POOL_KEEP 32       /* blocks of a size parked, and kept in a run */
#define POOL_BYTES (8u << 20) /* at most about this much of a size in either, beyond 2 blocks */
#define POOL_QUARANTINE 8  /* the blocks of a size last given back, never handed out */

struct pool_class {
	void *parked[POOL_KEEP]; /* from the runs before: handed out first */
	void *kept[POOL_KEEP];   /* given back in this run: a ring, oldest at head */
	unsigned nparked, head, nkept;
};

static struct pool_class pool[POOL_MAX_SHIFT + 1];

/* The power of two a block of size bytes is taken in; 0 for none. */
static unsigned pool_shift(size_t size)
{
	unsigned s = size <= (1u << POOL_MIN_SHIFT)
			     ? POOL_MIN_SHIFT
			     : 64u - (unsigned)__builtin_clzll((unsigned long long)size - 1);

	return s <= POOL_MAX_SHIFT ? s : 0;
}

/* How many blocks of 2^shift bytes are parked, and kept in a run. */
static unsigned pool_keep(unsigned shift)
{
	size_t n = POOL_BYTES >> shift;

	return n >= POOL_KEEP ? POOL_KEEP : n > 2 ? (unsigned)n : 2;
}

/* The oldest block kept in this run, off the ring. */
static void *pool_oldest(struct pool_class *c)
{
	void *p = c->kept[c->head];

	c->head = (c->head + 1) % POOL_KEEP;
	c->nkept--;
	return p;
}

static void pool_release(void *p, unsigned shift)
{
	mm_unpoison(p, (size_t)1 << shift);
	free(p);
}

void *fz_pool_get(size_t size, bool zero)
{
	unsigned s = pool_shift(size);
	struct pool_class *c = &pool[s];
	size_t cap;
	void *p = NULL;

	if (!s)
		return zero ? calloc(1, size) : malloc(size);
	cap = (size_t)1 << s;
	if (c->nparked)
		p = c->parked[--c->nparked];
	else if (c->nkept > POOL_QUARANTINE)
		p = pool_oldest(c);
	if (p) {
		mm_unpoison(p, size);
		if (zero)
			memset(p, 0, size);
		else
			pool_uninit(p, size);
	} else if (!(p = zero ? calloc(1, cap) : malloc(cap))) {
		return NULL;
	}
	mm_poison((char *)p + size, cap - size);
	return p;
}

/* Whether p is among the blocks kept: given back and not handed out. */
static bool pool_holds(const struct pool_class *c, const void *p)
{
#ifdef MM_ASAN
	/* A kept block is poisoned whole: one whose first byte is not is
	 * in use (the other way round proves nothing: a layer may poison
	 * memory of its own). */
	if (!__asan_address_is_poisoned(p))
		return false;
#endif
	for (unsigned i = 0; i < c->nkept; i++)
		if (c->kept[(c->head + i) % POOL_KEEP] == p)
			return true;
	for (unsigned i = 0; i < c->nparked; i++)
		if (c->parked[i] == p)
			return true;
	return false;
}

void fz_pool_put(void *p, size_t size)
{
	unsigned s = pool_shift(size);
	struct pool_class *c = &pool[s];

	if (!s) {
		free(p);
		return;
	}
	if (pool_holds(c, p))
		abort(); /* given back twice */
	if (c->nkept == pool_keep(s))
		pool_release(pool_oldest(c), s);
	mm_poison(p, (size_t)1 << s);
	c->kept[(c->head + c->nkept++) % POOL_KEEP] = p;
}

void fz_pool_settle(void)
{
	for (unsigned s = POOL_MIN_SHIFT; s <= POOL_MAX_SHIFT; s++) {
		struct pool_class *c = &pool[s];

		while (c->nkept) {
			void *p = pool_oldest(c);

			if (c->nparked < pool_keep(s))
				c->parked[c->nparked++] = p;
			else
				pool_release(p, s);
		}
	}
}

/*
 * The models' and targets' own memory, from the same pool: a set that
 * grows, a blob encoded or copied, a map of the span, on most ops. A block
 * starts with a header that keeps its size, poisoned while the block is in
 * use.
 */
#define FZ_HDR 16

static void *fz_get(size_t size, bool zero)
{
	char *h;

	if (size > SIZE_MAX - FZ_HDR || !(h = fz_pool_get(size + FZ_HDR, zero)))
		abort();
	memcpy(h, &size, sizeof(size));
	mm_poison(h, FZ_HDR);
	return h + FZ_HDR;
}

/* The size a block of fz_get was asked with. */
static size_t fz_size(void *p)
{
	char *h = (char *)p - FZ_HDR;
	size_t size;

	mm_unpoison(h, FZ_HDR);
	memcpy(&size, h, sizeof(size));
	mm_poison(h, FZ_HDR);
	return size;
}

void *fz_malloc(size_t size)
{
	return fz_get(size, false);
}

void *fz_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		abort();
	return fz_get(n * size, true);
}

void *fz_realloc(void *p, size_t size)
{
	void *q = fz_get(size, false);

	if (p) {
		size_t old = fz_size(p);

		memcpy(q, p, old < size ? old : size);
		fz_free(p);
	}
	return q;
}

void fz_free(void *p)
{
	if (p) {
		char *h = (char *)p - FZ_HDR;

		fz_pool_put(h, fz_size(p) + FZ_HDR);
	}
}
