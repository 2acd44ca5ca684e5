/* SPDX-License-Identifier: MIT */
/*
 * memblock_twopass.h - the benchmark's baseline: the Linux kernel's classic
 * two-pass memblock insert, rewritten from its semantics.
 *
 * Only what the benchmark needs: add_node on memory and reserve on reserved.
 * The result (the region list of each type) must equal lib's memblock for
 * the same calls; the benchmark checks that after every workload.
 *
 * How an add works, as in the kernel's memblock_add_range():
 *  - an empty type takes the range directly;
 *  - if cnt * 2 + 1 <= max the array surely has room for every piece, so
 *    one inserting pass runs;
 *  - otherwise a counting pass finds how many pieces are new, the array
 *    doubles until cnt + new fits, and then the inserting pass runs;
 *  - every inserted piece shifts the tail up with a memmove, and every merge
 *    of two touching regions with equal (nid, flags) shifts it back down.
 * Walks start at index 0, like the kernel's.
 */
#ifndef MMSTACK_BENCH_MEMBLOCK_TWOPASS_H
#define MMSTACK_BENCH_MEMBLOCK_TWOPASS_H

#include "memblock.h"

struct tp_type {
	struct memblock_region *regions;
	size_t cnt;
	size_t max;
	uint64_t total_size;
	uint64_t grows;    /* times the array doubled */
	uint64_t counted;  /* adds that ran the counting pass */
};

struct tp_memblock {
	struct tp_type type[2]; /* indexed by enum memblock_type_id */
};

/* Both arrays start with the given capacities (>= 1). 0 or -MM_ENOMEM / -MM_EINVAL. */
int tp_init(struct tp_memblock *mb, size_t memory_cap, size_t reserved_cap);
void tp_destroy(struct tp_memblock *mb);

/* Same size rules as lib: capped to PHYS_ADDR_MAX - base, 0 is a no-op.
 * 0 or -MM_ENOMEM; on -MM_ENOMEM the region list is unchanged. */
int tp_add_node(struct tp_memblock *mb, uint64_t base, uint64_t size, int nid,
		uint32_t flags);
int tp_reserve(struct tp_memblock *mb, uint64_t base, uint64_t size);

/*
 * Benchmark setup only: make a type hold exactly regions[0, n), which the
 * caller vouches is canonical (sorted, disjoint, merged). Filling a large
 * array through tp_add_node costs O(n^2) with the kernel's walk from index
 * 0, and none of that is what is being measured. -MM_EINVAL if n > max.
 */
int tp_load(struct tp_memblock *mb, enum memblock_type_id type,
	    const struct memblock_region *regions, size_t n);

#endif
