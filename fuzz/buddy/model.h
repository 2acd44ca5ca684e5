/* SPDX-License-Identifier: MIT */
/*
 * model.h - the naive buddy model the fuzz target compares against.
 *
 * Written from spec/buddy.md and the Contract in lib/buddy.h alone,
 * independently of lib/buddy.c: an array of per-page records, and the count
 * of free records per node kept next to it. Per-CPU caches do not exist
 * here: a cached page is a free page.
 * Return values follow lib/buddy.h exactly.
 */
#ifndef MMSTACK_FUZZ_BUDDY_MODEL_H
#define MMSTACK_FUZZ_BUDDY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "buddy.h"

enum bm_state { BM_HOLE, BM_RESERVED, BM_FREE, BM_ALLOC, BM_ALLOC_TAIL };

struct bm_page {
	enum bm_state state;
	unsigned order;    /* BM_ALLOC: the block's order */
	uint32_t refcount; /* BM_ALLOC: >= 1 */
	int nid;           /* of an existing page */
};

struct bm;

/* cpu c is on node c % nr_nodes. */
struct bm *bm_create(uint64_t start_pfn, uint64_t end_pfn, unsigned max_order,
		     unsigned section_shift, unsigned nr_nodes, unsigned nr_cpus);
void bm_destroy(struct bm *m);

int bm_add_memory(struct bm *m, uint64_t pfn, uint64_t nr, int nid);
int bm_free_boot_range(struct bm *m, uint64_t pfn, uint64_t nr);
int bm_set_cpu(struct bm *m, unsigned cpu);
/* Reserved pages become an allocated block (kho's restore_folio). */
int bm_claim_reserved(struct bm *m, uint64_t pfn, unsigned order);

/*
 * The allocation is not deterministic, so the model checks the
 * implementation's answer (impl_rc, impl_pfn) instead of predicting it. When
 * the model agrees that a block must be found and impl_pfn is one the
 * contract allows (aligned, wholly free, one section, on the right node),
 * it takes that block and returns 0 with *pfn = impl_pfn. When a block must
 * be found but impl_pfn is not allowed (or the implementation failed), it
 * returns 0 with *pfn = the lowest allowed block, which the target reports
 * as a mismatch, and changes nothing. When no block exists it returns
 * -MM_ENOMEM. Argument errors as in the contract.
 */
int bm_alloc_pages(struct bm *m, unsigned order, int nid, int impl_rc, uint64_t impl_pfn,
		   uint64_t *pfn);
int bm_free_pages(struct bm *m, uint64_t pfn, unsigned order);
int bm_get_page(struct bm *m, uint64_t pfn);
int bm_put_page(struct bm *m, uint64_t pfn);
int bm_split_page(struct bm *m, uint64_t pfn, unsigned order);
int bm_free_contig_range(struct bm *m, uint64_t pfn, uint64_t nr);
int bm_alloc_contig_range(struct bm *m, uint64_t start, uint64_t end);
int bm_alloc_contig_pages(struct bm *m, uint64_t nr, int nid, uint64_t *pfn);
int bm_drain(struct bm *m, unsigned cpu); /* argument check only */

/* The records of the whole span, for comparisons that read many pages:
 * the record of pfn is [pfn - *start_pfn], for pfn in [*start_pfn, *end_pfn). */
const struct bm_page *bm_records(const struct bm *m, uint64_t *start_pfn, uint64_t *end_pfn);
unsigned bm_nr_nodes(const struct bm *m);
unsigned bm_nr_cpus(const struct bm *m);
/* The record of a pfn; false outside the span. */
bool bm_page(const struct bm *m, uint64_t pfn, struct bm_page *out);
uint64_t bm_nr_free(const struct bm *m, int nid); /* nid NUMA_NO_NODE: all */
/* free[nid] for every nid below nr_nodes, in one pass. */
void bm_nr_free_per_node(const struct bm *m, uint64_t *free, unsigned nr_nodes);
/* The greedy decomposition of the free pages into maximal naturally aligned
 * blocks (each in one node and one section, at most max_order): the order
 * of the block whose head is pfn, or -1 when pfn heads none. */
int bm_free_block_order(const struct bm *m, uint64_t pfn);

#endif
