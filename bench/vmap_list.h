/* SPDX-License-Identifier: MIT */
/*
 * vmap_list.h - the vmap benchmark's baseline: virtual area allocation the
 * way Linux did it before the free-area tree (up to 5.1), rewritten from its
 * semantics. Only the busy areas are kept, in a list sorted by address; an
 * allocation walks the list looking at the hole between consecutive busy
 * areas until one holds the request.
 *
 * The walk starts at the first area, or at a cached hint, as the kernel's
 * free_vmap_cache did: the area the last successful allocation returned,
 * with that request's size, alignment and lo. The hint is used only by a
 * request at least as large, at least as aligned and with lo at least as
 * high: such a request cannot fit below the hint, or the cached one would
 * have fit there too. Freeing an area at or below the hint moves the hint to
 * the area before the freed one (the first area: no hint), below every hole
 * the free opened; freeing above it changes nothing below it. So, unlike the
 * kernel's, this hint never makes a search pass over a fit: every address is
 * exactly the one lib/vmap.h's contract gives, and the benchmark checks that.
 *
 * Busy areas are found by address (free) through a hash table; the kernel
 * used a red-black tree, O(log N) where this is O(1), so the baseline is, if
 * anything, faster than the kernel's at freeing. No lazy freeing: free gives
 * the area back at once, like vmap_free().
 *
 * Contract, as lib/vmap.h's alloc and free:
 *  - vl_alloc(size, align, lo, hi): -MM_EINVAL when size is 0, size or align
 *    is not a multiple of the page size, align is not a power of two,
 *    lo >= hi, lo < vstart or hi > vend. Otherwise the lowest a with
 *    a % align == 0, lo <= a, a + size <= hi and [a, a + size) free, or
 *    -MM_ENOMEM when there is none (or an area descriptor cannot be had).
 *  - vl_free(addr): addr must be the start of a busy area, else -MM_ENOENT.
 */
#ifndef MMSTACK_BENCH_VMAP_LIST_H
#define MMSTACK_BENCH_VMAP_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "mm.h"

struct vmap_list;

/* vstart < vend, both page aligned; page_size a power of two (0: 4096).
 * 0, -MM_EINVAL or -MM_ENOMEM. */
int vl_create(struct vmap_list **out, uint64_t vstart, uint64_t vend, uint64_t page_size);
void vl_destroy(struct vmap_list *v);

int vl_alloc(struct vmap_list *v, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	     uint64_t *addr);
int vl_free(struct vmap_list *v, uint64_t addr);

/* Busy areas in address order: fn(ctx, start, end) for each. */
void vl_walk(const struct vmap_list *v, void (*fn)(void *ctx, uint64_t start, uint64_t end),
	     void *ctx);
size_t vl_count(const struct vmap_list *v);

/* Allocations that could not use the hint and walked from the first area. */
uint64_t vl_restarts(const struct vmap_list *v);

/* Walk everything; NULL when consistent, else what is broken. */
const char *vl_check(const struct vmap_list *v);

#endif
