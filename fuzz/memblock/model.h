/* SPDX-License-Identifier: MIT */
/*
 * model.h - the naive memblock model the fuzz target compares against.
 *
 * Written from spec/memblock.md alone, independently of lib/memblock.c: each
 * type is a plain list of painted intervals, every op repaints by brute
 * force, and the canonical region list is derived by coalescing. Obviously
 * correct before fast. Return values follow lib/memblock.h exactly, so that
 * the target compares them one to one.
 */
#ifndef MMSTACK_FUZZ_MEMBLOCK_MODEL_H
#define MMSTACK_FUZZ_MEMBLOCK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memblock.h"

struct mbm; /* the model */

/*
 * What the model predicts. mmstack: lib/memblock.c as lib/memblock.h
 * specifies it. kernel: a kernel's mm/memblock.c behind the argument
 * checks of fuzz/memblock/kernel/shim.c; every way in which it differs on
 * purpose is listed once, in the kernel profile at the top of model.c.
 */
struct mbm_config {
	bool kernel;
	bool mirrored_kernelcore; /* memblock_config.mirrored_kernelcore, kernelcore=mirror */
	/* kernel: the initial capacity of its arrays when not the harness's
	 * build (0: the profile's); tools/testing/memblock's is 128. */
	size_t kernel_init_cap;
	/* mmstack: memblock_config.self_hosted_arrays. */
	bool self_hosted;
};

/* mmstack profile, no mirrored kernelcore. */
struct mbm *mbm_create(void);
struct mbm *mbm_create_cfg(const struct mbm_config *cfg);
void mbm_destroy(struct mbm *m);

int mbm_add_node(struct mbm *m, uint64_t base, uint64_t size, int nid, uint32_t flags);
/* memblock_add: add_node with the profile's node of a plain add. */
int mbm_add(struct mbm *m, uint64_t base, uint64_t size);
int mbm_reserve(struct mbm *m, uint64_t base, uint64_t size);
int mbm_remove(struct mbm *m, uint64_t base, uint64_t size);
int mbm_phys_free(struct mbm *m, uint64_t base, uint64_t size);
/* set: true sets flag on memory inside the range, false clears it. */
int mbm_setclr_flag(struct mbm *m, uint64_t base, uint64_t size, uint32_t flag, bool set);
int mbm_set_node(struct mbm *m, uint64_t base, uint64_t size, int type, int nid);
int mbm_trim_memory(struct mbm *m, uint64_t align);
void mbm_set_current_limit(struct mbm *m, uint64_t limit);
uint64_t mbm_get_current_limit(const struct mbm *m);
void mbm_set_bottom_up(struct mbm *m, bool enable);
bool mbm_bottom_up(const struct mbm *m);

int mbm_phys_alloc_range(struct mbm *m, uint64_t size, uint64_t align, uint64_t start,
			 uint64_t end, int nid, bool exact_nid, uint64_t *addr);
/* exact: alloc_exact_nid, else alloc_try_nid. */
int mbm_alloc_nid(struct mbm *m, uint64_t size, uint64_t align, uint64_t min_addr,
		  uint64_t max_addr, int nid, bool exact, uint64_t *addr);

bool mbm_is_memory(const struct mbm *m, uint64_t addr);
bool mbm_is_region_reserved(const struct mbm *m, uint64_t base, uint64_t size);
uint64_t mbm_phys_mem_size(const struct mbm *m);
uint64_t mbm_reserved_size(const struct mbm *m);
uint64_t mbm_start_of_DRAM(const struct mbm *m);
uint64_t mbm_end_of_DRAM(const struct mbm *m);

/* A count that changes whenever one of the model's region lists changes
 * (and only then): equal counts at two moments mean equal lists, so
 * everything derived from them, the free ranges above all, is the same. */
uint64_t mbm_generation(const struct mbm *m);

/* Whether an array has grown into memblock's memory (kernel profile). */
bool mbm_grown(const struct mbm *m);

/* memblock_allow_resize(), with the capacity each array has at that moment
 * (mmstack's growth before it is bookkeeping the model does not predict:
 * only what self-hosted growth does from here on is visible). */
void mbm_allow_resize(struct mbm *m, size_t memory_max, size_t reserved_max);
/* Where the model puts a type's array in memblock's memory (mmstack with
 * self_hosted): as memblock_array_home. Its capacity: *max (0 when the
 * model does not track it). */
bool mbm_array_home(const struct mbm *m, int type, uint64_t *base, uint64_t *size,
		    size_t *max);

/* The canonical region list of a type (sorted, coalesced). Writes up to cap
 * regions into out and returns how many there are in all. */
size_t mbm_regions(const struct mbm *m, int type, struct memblock_region *out, size_t cap);

/* The free ranges for nid, ascending, as memblock_next_free_range gives
 * them: up to cap (start, end, nid) triples; returns how many in all. */
size_t mbm_free_ranges(const struct mbm *m, int nid, uint64_t *start, uint64_t *end,
		       int *out_nid, size_t cap);

#endif
