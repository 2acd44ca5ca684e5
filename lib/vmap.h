/* SPDX-License-Identifier: MIT */
/*
 * vmap.h - the allocator of virtual address ranges.
 *
 * An instance owns [vstart, vend). Every address in it is in exactly one
 * free area, busy area, or lazily freed area waiting for a purge. All areas
 * sit in one address-ordered list; free areas (but the one reaching vend)
 * also in a red-black tree by address augmented with the largest free size
 * in each subtree; busy areas in a hash index by start. Two free areas never
 * touch. The lowest fit is found by visiting only subtrees that can hold
 * the request, so that the search never passes over a fit.
 *
 * Contract (the rules of mm.h; the fuzz model predicts all of it):
 *  - alloc(size, align, lo, hi): -MM_EINVAL when size is 0, size or align
 *    is not a multiple of the page size, align is not a power of two, lo >=
 *    hi, lo < vstart or hi > vend. Otherwise the lowest a with a % align ==
 *    0, lo <= a, a + size <= hi and [a, a + size) inside one free area. If
 *    there is none and lazily freed areas wait, they are purged and the
 *    search runs once more; still none: -MM_ENOMEM.
 *  - free(addr) / free_lazy(addr): addr must be the start of a busy area,
 *    else -MM_ENOENT (a double free included). free merges the area into
 *    the free areas at once; free_lazy keeps it aside, and when the pages
 *    kept aside then exceed lazy_max_pages, purges them all.
 *  - purge(): every lazily freed area becomes free (merged).
 *  - find(addr): the busy area holding addr, else -MM_ENOENT; start and
 *    size are optional outputs.
 *  - A NULL out, cfg or addr: -MM_EINVAL. walk with a NULL fn or a kind
 *    that is not one walks nothing.
 *  - The one exception to "nothing changes on an error" (mm.h R9): an
 *    alloc that finds no fit keeps the purge it made.
 *  - A bookkeeping allocation that fails: -MM_ENOMEM, nothing changed.
 */
#ifndef MMSTACK_VMAP_H
#define MMSTACK_VMAP_H

#include "mm.h"

struct vmap_config {
	uint64_t vstart, vend;   /* page aligned, vstart < vend */
	uint64_t page_size;      /* a power of two; 0: 4096 */
	uint64_t lazy_max_pages; /* purge when more pages than this wait */
	struct mm_meta *meta;
};

enum vmap_kind { VMAP_FREE, VMAP_BUSY, VMAP_LAZY };

struct vmap;

int vmap_create(struct vmap **out, const struct vmap_config *cfg);
void vmap_destroy(struct vmap *v);

int vmap_alloc(struct vmap *v, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	       uint64_t *addr);
int vmap_free(struct vmap *v, uint64_t addr);
int vmap_free_lazy(struct vmap *v, uint64_t addr);
void vmap_purge(struct vmap *v);
int vmap_find(const struct vmap *v, uint64_t addr, uint64_t *start, uint64_t *size);

/* Areas of a kind in address order: fn(ctx, start, end) for each. */
void vmap_walk(const struct vmap *v, enum vmap_kind kind,
	       void (*fn)(void *ctx, uint64_t start, uint64_t end), void *ctx);
uint64_t vmap_lazy_pages(const struct vmap *v);
uint64_t vmap_start(const struct vmap *v);
uint64_t vmap_end(const struct vmap *v);
uint64_t vmap_page_size(const struct vmap *v);

/* The invariants: NULL when they hold, else what is broken.
 * vmap_check_full walks everything; vmap_check does the same unless
 * nothing that can change the instance ran since a check passed. Both
 * keep a record of their own inside the instance: nothing a getter shows
 * changes. */
const char *vmap_check(const struct vmap *v);
const char *vmap_check_full(const struct vmap *v);

#endif
