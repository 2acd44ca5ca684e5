/* SPDX-License-Identifier: MIT */
/*
 * vmap_list.h - the vmap benchmark's baseline: virtual area allocation the
 * way Linux did it before the free-area tree (up to 5.1, alloc_vmap_area
 * and __free_vmap_area), rewritten from its semantics. Only the busy areas
 * are kept: in a red-black tree by address (inserted on alloc, looked up and
 * erased on free) and in an address-ordered list. An allocation walks the
 * list, looking at the hole between consecutive busy areas, until one holds
 * the request.
 *
 * The walk starts from free_vmap_cache, the area the last allocation
 * returned, unless the request is more permissive than the ones the cache
 * was found with: a size that the largest hole passed over below the cache
 * (cached_hole_size) could hold, a lower lo (cached_vstart), or a smaller
 * alignment (cached_align). Then it starts from the lowest area reaching lo,
 * found by a descent of the tree. Every walk records the largest hole it
 * passed over; cached_vstart and cached_align become the request's. Freeing
 * an area that ends below cached_vstart drops the cache; freeing one at or
 * below the cached area moves the cache to the area before the freed one.
 *
 * One deviation, so that both sides of the benchmark agree on every address:
 * the kernel kept the cache when the size equalled cached_hole_size, and so
 * could pass over a hole of exactly the size; here that request walks from
 * the start. With it the walk never passes over a fit, and every address is
 * the lowest fit lib/vmap.h's contract gives (the benchmark checks it).
 *
 * No lazy freeing: free gives the area back at once, like vmap_free().
 * Area descriptors come from a few kept spares before malloc, as lib/vmap
 * keeps a few area objects.
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

/* Allocations that could not use the cache and walked from the start. */
uint64_t vl_restarts(const struct vmap_list *v);

/* Walk everything; NULL when consistent, else what is broken. */
const char *vl_check(const struct vmap_list *v);

#endif
