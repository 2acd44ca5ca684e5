/* SPDX-License-Identifier: MIT */
/*
 * percpu.h - the dynamic per-CPU allocator.
 *
 * Memory comes in chunks. A chunk is one vmalloc area holding one unit per
 * possible CPU, all units the same size and at the same offset from the
 * chunk's start in every chunk (unit_offset[cpu] = cpu * unit size). An
 * allocation is an offset inside the units, the same in every unit, so a
 * CPU's copy of an object is
 *
 *	per_cpu_ptr(offsets, ptr, cpu) = ptr + offsets[cpu]
 *
 * one addition: no table of pointers per object. The pointer handed out is
 * the address of CPU 0's copy.
 *
 * A chunk's pages are populated on demand, one page of every unit at a
 * time, each CPU's page taken from buddy on that CPU's node, and given back
 * as soon as no allocation covers the page.
 *
 * Contract (the rules of mm.h; the fuzz model checks all of it). Nothing
 * changes on an error; a NULL pointer argument other than an optional
 * output is -MM_EINVAL; stats and the chunk walk do nothing with a NULL
 * output or callback.
 *  - percpu_alloc(size, align): -MM_EINVAL when size is 0 or larger than a
 *    unit, or align is not a power of two or larger than a page. size is
 *    rounded up to the 4-byte granule, align up to 4. The memory is zeroed
 *    in every unit. Chunks sit in slots by their largest free run, in
 *    bytes: slot 0 when it has none, 1 + floor(log2(run)) when it has some
 *    and holds an allocation, and the last slot (after every other) when
 *    it holds none. Placement, by the instance's policy:
 *      PERCPU_BEST_FIT: the smallest maximal free run (of any chunk) that
 *      has an aligned fit, the lowest address among runs of that length;
 *      the allocation takes the lowest aligned offset in it.
 *      PERCPU_FIRST_FIT (the kernel's): a chunk of the lowest slot that has
 *      a chunk with an aligned fit, at the lowest such offset in it.
 *    A new chunk is made only when no chunk has a fit; the allocation then
 *    starts it. Pages the allocation covers that are not populated are
 *    populated then. -MM_ENOMEM when buddy has fewer free pages than that
 *    takes, when no chunk can be made (vmalloc space, bookkeeping), or a
 *    bookkeeping allocation fails.
 *  - percpu_free(ptr): ptr must be the start of a live allocation, else
 *    -MM_ENOENT (a double free included). Pages no allocation covers any
 *    more go back to buddy; a chunk left without allocations is destroyed
 *    when another chunk is without allocations already (one spare stays).
 *  - percpu_ptr(ptr, cpu): -MM_EINVAL for a cpu outside [0, nr_cpus),
 *    -MM_ENOENT when ptr is not inside a live allocation; else ptr's copy
 *    for cpu, in addr, an optional output.
 */
#ifndef MMSTACK_PERCPU_H
#define MMSTACK_PERCPU_H

#include "buddy.h"
#include "vmalloc.h"

#define PCPU_MIN_ALLOC_SIZE 4       /* the granule of the allocation maps */
#define PCPU_MIN_UNIT_SIZE 32768    /* the default unit size */
#define PERCPU_MAX_CPUS BUDDY_MAX_CPUS
#define PERCPU_MIN_PAGE_SIZE 256    /* a page is one block of 64 granules or more */
#define PERCPU_MAX_UNIT_SIZE (1u << 26)

enum percpu_policy {
	PERCPU_BEST_FIT = 0, /* the default */
	PERCPU_FIRST_FIT = 1,
};

struct percpu_config {
	unsigned nr_cpus;    /* possible CPUs, 1 .. PERCPU_MAX_CPUS */
	const int *cpu_node; /* node of each CPU; NULL: buddy's map (or cpu % nodes) */
	uint64_t unit_pages; /* pages per unit; 0: PCPU_MIN_UNIT_SIZE worth */
	struct mm_meta *meta;
	enum percpu_policy policy;
};

struct percpu;

/* Over a vmalloc instance and its buddy (neither owned). -MM_EINVAL for a
 * config out of range or a vmalloc page size below PERCPU_MIN_PAGE_SIZE. */
int percpu_create(struct percpu **out, struct vmalloc *v, struct buddy *b,
		  const struct percpu_config *cfg);
/* Frees every chunk, live allocations and their pages included. */
void percpu_destroy(struct percpu *pc);

int percpu_alloc(struct percpu *pc, uint64_t size, uint64_t align, uint64_t *ptr);
int percpu_free(struct percpu *pc, uint64_t ptr);

/* The unit offset of every CPU, for per_cpu_ptr. */
const uint64_t *percpu_unit_offsets(const struct percpu *pc);

static inline uint64_t per_cpu_ptr(const uint64_t *offsets, uint64_t ptr, unsigned cpu)
{
	return ptr + offsets[cpu];
}

/* per_cpu_ptr with every argument checked (see the contract). */
int percpu_ptr(const struct percpu *pc, uint64_t ptr, unsigned cpu, uint64_t *addr);
/* Host memory of cpu's copy of the byte at ptr when pages are backed, valid
 * to the end of its page; NULL otherwise or where nothing is populated. */
void *percpu_host(const struct percpu *pc, uint64_t ptr, unsigned cpu);

struct percpu_stats {
	uint64_t chunks, empty_chunks;
	unsigned units;           /* per chunk: the possible CPUs */
	uint64_t unit_bytes;
	uint64_t allocs;          /* live allocations */
	uint64_t live_bytes;      /* their size in one unit, granule-rounded */
	uint64_t populated_bytes; /* populated pages in one unit, in bytes */
	uint64_t off_node_pages;  /* populated pages not on their CPU's node */
};
void percpu_stats(const struct percpu *pc, struct percpu_stats *st);

/* Every chunk in address order: its start and slot. */
void percpu_walk_chunks(const struct percpu *pc,
			void (*fn)(void *ctx, uint64_t base, unsigned slot), void *ctx);
unsigned percpu_nr_slots(const struct percpu *pc);

/*
 * The invariants: NULL when they hold, else what is broken. percpu_check
 * walks the chunks that changed since their last check (an allocation, a
 * free, a page populated or given back) and checks every chunk's place and
 * the totals; percpu_check_full walks every chunk. Both keep a record of
 * their own inside the instance: nothing a getter shows changes.
 */
const char *percpu_check(const struct percpu *pc);
const char *percpu_check_full(const struct percpu *pc);

#endif
