/* SPDX-License-Identifier: MIT */
/*
 * vmalloc.h - virtually contiguous memory: a vmap area backed by buddy pages.
 *
 * Contract (the rules of mm.h; the fuzz model predicts all of it). Nothing
 * changes on an error; -MM_EINVAL for a NULL pointer argument other than
 * vmalloc_to_pfn's pfn, an optional output:
 *  - vmalloc(size, nid): size 0, or a nid outside [NUMA_NO_NODE, nodes):
 *    -MM_EINVAL. More pages than buddy's span holds: -MM_ENOMEM before
 *    anything else. The size is rounded up to pages; the area is that many
 *    pages plus one guard page, the lowest fit in the whole range (as
 *    vmap_alloc with page alignment). Then the pages: blocks of the highest
 *    order whose size still fits what is left (at most max_order), each
 *    split to order-0 pages; after the first block that cannot be had, one
 *    page at a time. When pages run out, everything taken goes back (the
 *    pages, and the area at once, not lazily): -MM_ENOMEM.
 *  - vfree(addr): addr must be the start of a vmalloc'ed area (-MM_ENOENT
 *    otherwise, -MM_EINVAL for a vmap_pages area). Its pages go back
 *    through buddy_free_contig_range, one call per run of contiguous pfns;
 *    then the area is freed lazily.
 *  - vmap_pages(pfns, n): n pages the caller owns (each an allocated buddy
 *    page, else -MM_EINVAL; n 0: -MM_EINVAL; n pages and the guard larger
 *    than the vmap range: -MM_ENOMEM before any pfn is read) mapped into a
 *    new area (+ a
 *    guard page); vunmap(addr) unmaps one (lazily; -MM_EINVAL for a
 *    vmalloc'ed area). The pages stay the caller's, to keep allocated
 *    while they are mapped.
 *  - vmalloc_reserve(n): an area of n pages (+ a guard page) with nothing
 *    mapped (the kernel's get_vm_area; n 0: -MM_EINVAL). Caller's pages go
 *    in and out of it, and of a vmap_pages area, one at a time:
 *    vmalloc_map_page(addr, pfn) and vmalloc_unmap_page(addr) -> pfn. Both:
 *    -MM_EINVAL when addr is not page aligned, -MM_ENOENT when addr is in
 *    no area's pages (a guard page included), -MM_EINVAL in a vmalloc'ed
 *    area. Then map_page: -MM_EBUSY when the page is mapped already,
 *    -MM_EINVAL when pfn is not an allocated buddy page; unmap_page:
 *    -MM_ENOENT when nothing is mapped there, and its pfn is not optional
 *    (the only record of the page unmapped): NULL is -MM_EINVAL first.
 *    vunmap releases the area with whatever is still mapped; the pages
 *    stay the caller's.
 *  - vmalloc_to_pfn(addr): the pfn behind addr, -MM_ENOENT outside every
 *    mapped page (a guard page and an unmapped page included). pfn is an
 *    optional output.
 *  - An area of n pages plus the guard that is larger than the whole vmap
 *    range: -MM_ENOMEM before anything else (no purge).
 *  - A bookkeeping allocation that fails: -MM_ENOMEM, nothing changed.
 */
#ifndef MMSTACK_VMALLOC_H
#define MMSTACK_VMALLOC_H

#include "buddy.h"
#include "vmap.h"

struct vmalloc;

/* Over a vmap instance and a buddy instance (which it does not own). */
int vmalloc_create(struct vmalloc **out, struct vmap *vmap, struct buddy *buddy,
		   struct mm_meta *meta);
/* Frees every area still live (its pages too, for vmalloc'ed ones). */
void vmalloc_destroy(struct vmalloc *v);

int vmalloc(struct vmalloc *v, uint64_t size, int nid, uint64_t *addr);
int vfree(struct vmalloc *v, uint64_t addr);
int vmap_pages(struct vmalloc *v, const uint64_t *pfns, uint64_t n, uint64_t *addr);
int vunmap(struct vmalloc *v, uint64_t addr);
int vmalloc_reserve(struct vmalloc *v, uint64_t n, uint64_t *addr);
int vmalloc_map_page(struct vmalloc *v, uint64_t addr, uint64_t pfn);
int vmalloc_unmap_page(struct vmalloc *v, uint64_t addr, uint64_t *pfn);
int vmalloc_to_pfn(const struct vmalloc *v, uint64_t addr, uint64_t *pfn);
/* Host memory behind addr when buddy has backing memory, else NULL. */
void *vmalloc_host(const struct vmalloc *v, uint64_t addr);

uint64_t vmalloc_page_size(const struct vmalloc *v);
/* Pages held by vmalloc'ed areas (not vmap_pages ones). */
uint64_t vmalloc_nr_pages(const struct vmalloc *v);

/* Every area is a busy vmap area of its size plus the guard, every page a
 * vmalloc'ed area maps is an order-0 buddy page with refcount 1, and the
 * page count matches. (That no pfn sits in two areas is the fuzz target's
 * to check: it needs a sort, which a check should not allocate for.)
 * vmalloc_check looks at the areas made or remapped since it last looked
 * at them (and counts every area); vmalloc_check_full at every area, so it
 * also sees a page another layer changed under an area. Both keep a record
 * of their own inside the instance: nothing a getter shows changes. */
const char *vmalloc_check(const struct vmalloc *v);
const char *vmalloc_check_full(const struct vmalloc *v);

#endif
