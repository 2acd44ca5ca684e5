/* SPDX-License-Identifier: MIT */
/*
 * mm.h - pieces shared by every mmstack layer: error codes, overflow-checked
 * address arithmetic, and the bookkeeping-allocation hook with its fault
 * schedule.
 */
#ifndef MMSTACK_MM_H
#define MMSTACK_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- error codes: functions return 0 or the negative of one of these ---- */
enum {
	MM_ENOENT = 2,
	MM_ENOMEM = 12,
	MM_EBUSY = 16,
	MM_EEXIST = 17,
	MM_EINVAL = 22,
	MM_ERANGE = 34,
};

/* Human text for an error code (negative or positive); "success" for 0. */
const char *mm_strerror(int err);
/* Symbolic name ("EINVAL") for an error code; NULL when it is not one of ours. */
const char *mm_errname(int err);
/* Inverse of mm_errname: "EINVAL" -> MM_EINVAL, or 0 when unknown. */
int mm_errcode(const char *name);

/* ---- addresses ---- */
typedef uint64_t mm_addr_t;
#define MM_ADDR_MAX UINT64_MAX

static inline bool mm_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* a + b, false when it overflows 64 bits. */
static inline bool mm_add_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

/* Clamp size so that [base, base + size) ends at MM_ADDR_MAX at the latest. */
static inline uint64_t mm_cap_size(uint64_t base, uint64_t size)
{
	return size < MM_ADDR_MAX - base ? size : MM_ADDR_MAX - base;
}

/* Round v down to a power-of-two alignment. */
static inline uint64_t mm_round_down(uint64_t v, uint64_t align)
{
	return v & ~(align - 1);
}

/* Round v up to a power-of-two alignment; false when that overflows. */
static inline bool mm_round_up(uint64_t v, uint64_t align, uint64_t *out)
{
	uint64_t t;

	if (!mm_add_ok(v, align - 1, &t))
		return false;
	*out = t & ~(align - 1);
	return true;
}

static inline uint64_t mm_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t mm_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---- sanitizer hooks ----
 * With ASan, memory a layer hands out is unpoisoned and memory it takes back
 * is poisoned, so that a client's use after free is reported. */
#if defined(__SANITIZE_ADDRESS__)
#define MM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MM_ASAN 1
#endif
#endif
#ifdef MM_ASAN
#include <sanitizer/asan_interface.h>
#define mm_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define mm_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define mm_poison(p, n) ((void)(p), (void)(n))
#define mm_unpoison(p, n) ((void)(p), (void)(n))
#endif

/* ---- bookkeeping allocations ----
 *
 * Every layer takes the memory for its own bookkeeping (arrays, tree nodes,
 * descriptors) through a struct mm_meta, never from malloc directly. The
 * hook counts calls and can fail them on a schedule, which is how the tests
 * and fuzzers check that an operation meeting an allocation failure returns
 * -MM_ENOMEM and leaves its instance unchanged. A NULL hook means the host
 * allocator without faults.
 */
struct mm_meta {
	/* Optional host allocator; NULL means calloc/free. alloc must zero.
	 * array_fn, also optional, serves mm_meta_array, whose memory need
	 * not be zeroed; NULL means alloc_fn. */
	void *(*alloc_fn)(void *ctx, size_t size);
	void *(*array_fn)(void *ctx, size_t size);
	void (*free_fn)(void *ctx, void *p, size_t size);
	void *ctx;

	/* Fault schedule: the fail_at-th call from now fails (0 = never), and
	 * with fail_after so does every call after it. */
	uint64_t fail_at;
	bool fail_after;

	/* Counters. */
	uint64_t calls;    /* alloc calls since the schedule was armed */
	uint64_t failures; /* alloc calls that were failed */
	uint64_t live;     /* allocations not yet freed */
	uint64_t live_bytes;
};

/* A hook on the host allocator, no faults. */
void mm_meta_init(struct mm_meta *m);
/* Arm the fault schedule: the k-th allocation from now fails (k >= 1; 0
 * disarms), and with after every allocation after it too. */
void mm_meta_fail_at(struct mm_meta *m, uint64_t k, bool after);

/* Zeroed memory, or NULL when the schedule (or the host) says no. */
void *mm_meta_alloc(struct mm_meta *m, size_t size);
/* n elements of size each; NULL also when n * size overflows. */
void *mm_meta_calloc(struct mm_meta *m, size_t n, size_t size);
/* Like mm_meta_calloc, but the memory is not zeroed (a host alloc_fn may
 * still zero it): for arrays whose unused tail is never read. */
void *mm_meta_array(struct mm_meta *m, size_t n, size_t size);
void mm_meta_free(struct mm_meta *m, void *p, size_t size);

#endif
