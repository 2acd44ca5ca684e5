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

/*
 * ---- The contract every public function keeps ----
 *
 * Every layer header (memblock, buddy, vmap, vmalloc, percpu, kho, machine)
 * follows these rules; its own Contract says which code each of its checks
 * gives, in these words. tests/test_contract.c tries every bad-input class
 * on every public function and asserts the code and an unchanged instance.
 *
 * R1 Nothing changes on an error. A call that returns a negative -MM_E*
 *    code leaves the instance exactly as it was, as far as any getter or
 *    walker can tell; nothing aborts. The checks run in the order below,
 *    and the first that applies is returned.
 * R2 The instance. The first argument must be a live instance; it is not
 *    checked (a NULL or freed one is the caller's bug). destroy(NULL) does
 *    nothing.
 * R3 Pointers. Every other pointer argument is checked first, and NULL is
 *    -MM_EINVAL, except
 *     - an input array or buffer with a count of 0 (it is not read);
 *     - an optional output: one the header calls "optional output". Only
 *       a query's result is optional; with NULL the call only says whether
 *       it would succeed. An output that is the only record of what a call
 *       did (an address or pfn allocated, a page unmapped, an order handed
 *       back, a length written) is never optional.
 *    A function that returns no code (void, a count, a bool, a pointer)
 *    ignores a NULL output or callback and does nothing with it.
 * R4 Bad arguments: -MM_EINVAL. A count or size of 0 (memblock: a range of
 *    size 0 is a successful no-op instead), an order above max_order, a
 *    pfn or address not aligned to what the header asks (its order, a
 *    page), a range with a page past 2^64 (base + size > 2^64), a range
 *    given by its ends with start >= end, a nid, cpu, flag, type or kind
 *    outside its set, a bad config at create (then *out is left alone).
 *    (memblock's allocation window is a limit, not a range: an empty one
 *    has no fit, -MM_ENOMEM.)
 * R5 A range that ends exactly at 2^64 is a range like any other: it is
 *    outside the instance (R6), never -MM_EINVAL.
 * R6 Outside the instance: a pfn, address or range lying partly or wholly
 *    outside what the instance covers is -MM_ENOENT (buddy: outside the
 *    span or a hole; vmap, vmalloc, percpu: outside every area), except
 *    kho, whose span is a bound it was created with: -MM_ERANGE; memblock
 *    has no outside (ranges are capped to PHYS_ADDR_MAX - base).
 * R7 Addresses handed back. An address or pfn that names nothing live is
 *    -MM_ENOENT: never allocated, freed already (a double free), or an
 *    interior address of an area (vmap, vmalloc, percpu, kho folios).
 *    Something live in the wrong state or of the wrong kind is
 *    -MM_EINVAL: a buddy page that is free, cached, reserved or a tail
 *    (buddy pages always exist, so a double free or an interior pfn is
 *    this), a block freed with another order, a vmalloc area handed to
 *    vunmap or a vmap_pages area to vfree.
 * R8 A call in the wrong state of the whole instance: -MM_EBUSY (kho: a
 *    second restore) or -MM_EINVAL where the header says so (buddy: adopt
 *    with backing already).
 * R9 No room: -MM_ENOMEM, also when a bookkeeping allocation fails; a
 *    request that can never fit fails so before any input array is read
 *    and before anything is drained, purged or moved. One documented
 *    exception to R1: vmap_alloc, finding no fit, purges the lazily freed
 *    areas and searches again (no busy area changes, only lazy ones
 *    become free), and keeps that purge when it still fails.
 *
 * bitmap.h and rbtree.h are helpers the layers share, not instances: they
 * return no codes and have preconditions instead (a map as large as the
 * size given, nodes linked into the tree). Their edge results (an empty
 * range, a start at or past the end, an empty tree) are documented in them
 * and asserted by the contract test like the rest.
 */

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
/* Inverse of mm_errname: "EINVAL" -> MM_EINVAL, or 0 when unknown or NULL. */
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

/* A hook on the host allocator, no faults (nothing for a NULL m). */
void mm_meta_init(struct mm_meta *m);
/* Arm the fault schedule: the k-th allocation from now fails (k >= 1; 0
 * disarms), and with after every allocation after it too (nothing for a
 * NULL m). */
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
