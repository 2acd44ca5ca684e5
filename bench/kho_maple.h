/* SPDX-License-Identifier: MIT */
/*
 * kho_maple.h - the kho benchmark's second baseline: preserved memory as a
 * tree of ranges, the maple-tree proposal for KHO, rewritten from its
 * semantics. Each entry is a range of pages preserved as folios of one
 * order; a folio that touches an entry of its own order extends it (and
 * two entries it bridges become one). The tree is lib/rbtree ordered by
 * address: about the memory per range of a maple tree (whose 256-byte
 * nodes hold up to 16 slots, ranges and the gaps between them alike). The
 * blob is the entries (pfn, pages, order); restore reserves each entry
 * with a memblock_reserve of its own.
 *
 * The tree is a kmr_store (kho_store.h): kmr_like_store, the rbtree
 * written here, or kmr_kernel_store, the kernel's own lib/maple_tree.c
 * (with -Dkernel_src), whose 256-byte nodes are the real thing.
 *
 * Contract, as kho_xarray.h's.
 */
#ifndef MMSTACK_BENCH_KHO_MAPLE_H
#define MMSTACK_BENCH_KHO_MAPLE_H

#include <stddef.h>
#include <stdint.h>

#include "kho_store.h"
#include "memblock.h"

struct kmr;

/* The ranges in lib/rbtree, by address, one node of their own each. */
extern const struct kmr_store kmr_like_store;

int kmr_create(struct kmr **out, uint64_t start_pfn, uint64_t end_pfn, unsigned max_order,
	       const struct kmr_store *store);
void kmr_destroy(struct kmr *t);
int kmr_preserve_folio(struct kmr *t, uint64_t pfn, unsigned order);
int kmr_preserve_pages(struct kmr *t, uint64_t pfn, uint64_t nr);
size_t kmr_serialized_size(const struct kmr *t);
int kmr_serialize(const struct kmr *t, void *buf, size_t cap, size_t *len);
int kmr_restore(struct kmr *t, const void *blob, size_t len, struct memblock *mb,
		uint64_t *reserves);
void kmr_walk_incoming(const struct kmr *t, void (*fn)(void *ctx, uint64_t pfn, unsigned order),
		       void *ctx);
uint64_t kmr_bytes(const struct kmr *t);

#endif
