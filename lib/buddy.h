/* SPDX-License-Identifier: MIT */
/*
 * buddy.h - the page-frame allocator.
 *
 * An instance manages the page frames (pfns) of a span [start_pfn, end_pfn).
 * A pfn exists once buddy_add_memory() declared it (with its node); the rest
 * of the span is holes. Existing pages start reserved; buddy_free_boot_range()
 * hands them to the allocator (mm_machine does this for every memory range
 * memblock has not reserved).
 *
 * Free pages sit in naturally aligned blocks of 2^order pages, order 0 to
 * max_order, on per-node, per-order lists, merged with their buddy on every
 * free as long as the merged block stays in one node and one section. Small
 * blocks (order <= BUDDY_PCP_MAX_ORDER) are freed into and allocated from
 * per-CPU caches, one per (cpu, node), up to a high mark; the current CPU is
 * set with buddy_set_cpu().
 *
 * Contract (the rules of mm.h; the fuzz model predicts all of it). Nothing
 * changes on an error, and the first that applies is returned:
 *  0. -MM_EINVAL for a NULL pointer argument other than an optional output
 *     (buddy_page's info is the only one).
 *  1. -MM_EINVAL for a bad argument: an order above max_order, a pfn not
 *     aligned to its order (claim_reserved), a count of 0, a range with a
 *     page past 2^64 (or start >= end; a range that ends exactly at 2^64
 *     is outside the span, item 2), a nid outside
 *     [NUMA_NO_NODE, nr_nodes) (add_memory: [0, nr_nodes)), a cpu outside
 *     [0, nr_cpus).
 *  2. -MM_ENOENT when a page named does not exist: outside the span or a
 *     hole (add_memory: outside the span only; its pages must be holes,
 *     else -MM_EEXIST). Pages always exist once added, so a never
 *     allocated page, a double free and an interior page are item 3.
 *  3. -MM_EINVAL when a page is in the wrong state: free_pages/split_page
 *     of anything but an allocated head of exactly that order, get/put of
 *     anything but an allocated head (a tail, a free, cached or reserved
 *     page; a freed page is a double free), free_contig_range of a page that
 *     is not an allocated order-0 page, free_boot_range of a page that is
 *     not reserved, claim_reserved of a page that is not reserved or of a
 *     block that crosses a node or a section.
 *  4. -MM_EBUSY: alloc_contig_range when a page is not free. -MM_ERANGE:
 *     get_page on a head whose count would wrap.
 *  5. -MM_ENOMEM: no room (and a bookkeeping allocation that failed).
 *  - alloc_pages(order, nid): nid NUMA_NO_NODE means the current CPU's node.
 *    Nodes are tried by distance |a - b| from nid, the lower nid first on a
 *    tie; the block comes from the first node that has a wholly free,
 *    naturally aligned block of 2^order pages in one section (cached pages
 *    count as free: a node's caches are drained before it is passed over).
 *    -MM_ENOMEM when no node has one, found before any cache is drained:
 *    a failed allocation drains nothing. The head gets refcount 1.
 *  - free_pages(pfn, order) and put_page(pfn) drop one reference of an
 *    allocated head; at zero the block is freed. get_page takes one.
 *  - split_page(pfn, order): an allocated order-k head becomes 2^k order-0
 *    pages; the head keeps its count, each other page gets 1.
 *  - free_contig_range(pfn, nr): every page must be an allocated order-0
 *    page (checked before anything changes); each loses one reference and
 *    the runs that reach zero are freed as the largest aligned power-of-two
 *    chunks (at most max_order), never across a section or node boundary.
 *  - alloc_contig_range(start, end): every page of [start, end) must exist
 *    (else -MM_ENOENT) and be free (else -MM_EBUSY); they become allocated
 *    order-0 pages with refcount 1.
 *  - claim_reserved(pfn, order): 2^order reserved pages at a pfn aligned
 *    to it (else -MM_EINVAL) become an allocated block of that order with
 *    refcount 1, as if alloc_pages had returned it (kho hands preserved
 *    folios back this way).
 *  - alloc_contig_pages(nr, nid): the lowest p, a multiple of nr rounded up
 *    to a power of two, with [p, p + nr) wholly free and on node nid (nid
 *    NUMA_NO_NODE: the current CPU's node); failing that the lowest such p
 *    with every page on any one node; taken as alloc_contig_range does.
 */
#ifndef MMSTACK_BUDDY_H
#define MMSTACK_BUDDY_H

#include "mm.h"

#define BUDDY_MAX_ORDER_LIMIT 20 /* max_order may be 0 .. this */
#define BUDDY_DEFAULT_MAX_ORDER 10
#define BUDDY_DEFAULT_SECTION_SHIFT 15
#define BUDDY_MAX_NODES 16
#define BUDDY_MAX_CPUS 64
#define BUDDY_PCP_MAX_ORDER 3 /* blocks up to this order go through the caches */
#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE (-1)
#endif

enum buddy_page_state {
	BUDDY_HOLE = 0,   /* not memory */
	BUDDY_RESERVED,   /* memory the allocator has not been given */
	BUDDY_FREE,       /* head of a free block on a buddy list */
	BUDDY_FREE_TAIL,  /* inside a free block */
	BUDDY_PCP,        /* head of a free block in a per-CPU cache */
	BUDDY_PCP_TAIL,   /* inside a cached block */
	BUDDY_ALLOC,      /* head of an allocated block (refcount >= 1) */
	BUDDY_ALLOC_TAIL, /* inside an allocated block */
};

struct buddy_config {
	uint64_t start_pfn, end_pfn; /* the span; end_pfn - start_pfn < 2^32 */
	unsigned max_order;          /* MAX_PAGE_ORDER */
	unsigned section_shift;      /* pages per section = 2^section_shift */
	unsigned nr_nodes;           /* 1 .. BUDDY_MAX_NODES */
	unsigned nr_cpus;            /* 1 .. BUDDY_MAX_CPUS */
	const int *cpu_node;         /* node of each cpu; NULL: cpu % nr_nodes */
	unsigned pcp_high;           /* cached pages per (cpu, node) before a drain; 0: no caches */
	unsigned pcp_batch;          /* pages moved at once between cache and lists */
	size_t page_size;            /* 0: no backing memory; else bytes per page */
	struct mm_meta *meta;
};

struct buddy;

/* A config with the defaults for a span. */
void buddy_default_config(struct buddy_config *cfg, uint64_t start_pfn, uint64_t end_pfn);
int buddy_create(struct buddy **out, const struct buddy_config *cfg);
void buddy_destroy(struct buddy *b);

/* ---- boot ---- */
/* Pages [pfn, pfn + nr) exist on node nid, reserved. They must be holes. */
int buddy_add_memory(struct buddy *b, uint64_t pfn, uint64_t nr, int nid);
/* Reserved pages [pfn, pfn + nr) go to the allocator. */
int buddy_free_boot_range(struct buddy *b, uint64_t pfn, uint64_t nr);

/* ---- the current CPU ---- */
int buddy_set_cpu(struct buddy *b, unsigned cpu);
unsigned buddy_cpu(const struct buddy *b);
int buddy_cpu_node(const struct buddy *b, unsigned cpu);

/* ---- allocation ---- */
int buddy_alloc_pages(struct buddy *b, unsigned order, int nid, uint64_t *pfn);
int buddy_free_pages(struct buddy *b, uint64_t pfn, unsigned order);
int buddy_get_page(struct buddy *b, uint64_t pfn);
int buddy_put_page(struct buddy *b, uint64_t pfn);
int buddy_split_page(struct buddy *b, uint64_t pfn, unsigned order);
int buddy_free_contig_range(struct buddy *b, uint64_t pfn, uint64_t nr);
int buddy_alloc_contig_range(struct buddy *b, uint64_t start, uint64_t end);
int buddy_alloc_contig_pages(struct buddy *b, uint64_t nr, int nid, uint64_t *pfn);
int buddy_drain(struct buddy *b, unsigned cpu);
void buddy_drain_all(struct buddy *b);
/* Reserved pages [pfn, pfn + 2^order) become an allocated block. */
int buddy_claim_reserved(struct buddy *b, uint64_t pfn, unsigned order);

/* ---- backing memory across a kexec ----
 * release: the instance forgets its backing memory (it has none after) and
 * returns it, unpoisoned, or NULL when it had none. adopt: an instance
 * without backing memory takes over mem, the backing of another instance
 * over the same span with the same page size, allocated through the same
 * mm_meta hook: from then on it is this instance's, freed at destroy. The
 * bytes are kept as they are; free pages are poisoned again. -MM_EINVAL
 * when the instance has backing already, mem is NULL, or page_size is not
 * a power of two or too large for the span. */
void *buddy_release_backing(struct buddy *b);
int buddy_adopt_backing(struct buddy *b, void *mem, size_t page_size);

/* ---- queries ---- */
struct buddy_page_info {
	enum buddy_page_state state;
	unsigned order;    /* of a FREE, PCP or ALLOC head */
	uint32_t refcount; /* of an ALLOC head */
	int nid;
};
/* 0, or -MM_ENOENT outside the span (a hole inside it is BUDDY_HOLE).
 * info: an optional output (NULL: only whether pfn is in the span). */
int buddy_page(const struct buddy *b, uint64_t pfn, struct buddy_page_info *info);
/* buddy_page of pfn, and in *n how many pages from pfn on (at most max)
 * buddy_page describes alike: a block's tails, a stretch of holes or of
 * reserved pages; for a reader that walks a range. 0; -MM_EINVAL for a max
 * of 0; -MM_ENOENT outside the span. info and n: optional outputs. */
int buddy_page_run(const struct buddy *b, uint64_t pfn, uint64_t max,
		   struct buddy_page_info *info, uint64_t *n);
/* Free pages, cached ones included; nid NUMA_NO_NODE: all nodes (any
 * other nid that is not a node has none). */
uint64_t buddy_nr_free(const struct buddy *b, int nid);
/* Blocks on the buddy list of (nid, order). */
uint64_t buddy_nr_free_blocks(const struct buddy *b, int nid, unsigned order);
/* Pages held in the caches of cpu (all nodes). */
uint64_t buddy_nr_cached(const struct buddy *b, unsigned cpu);
unsigned buddy_max_order(const struct buddy *b);
unsigned buddy_nr_nodes(const struct buddy *b);
unsigned buddy_section_shift(const struct buddy *b);
uint64_t buddy_start_pfn(const struct buddy *b);
uint64_t buddy_end_pfn(const struct buddy *b);
/* Host memory of a page when the instance has backing memory, else NULL. */
void *buddy_page_ptr(const struct buddy *b, uint64_t pfn);

/*
 * The invariants: NULL when they hold, else what is broken. buddy_check
 * walks the pages that changed since its previous run and the lists linked
 * into or out of since then, with the counters, once any was (each op
 * records what it writes), so that it costs what the ops since then did;
 * its first run walks every page. buddy_check_full walks every page and
 * list. Both keep a record of their own inside the instance: nothing a
 * getter shows changes.
 */
const char *buddy_check(const struct buddy *b);
const char *buddy_check_full(const struct buddy *b);

#endif
