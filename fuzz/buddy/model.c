/* SPDX-License-Identifier: MIT */
/*
 * model.c - the naive buddy model (see model.h, spec/buddy.md and the
 * Contract in lib/buddy.h).
 *
 * One record per pfn of the span and nothing else: no free lists, no
 * caches, no merging. A free page is just a FREE record; which blocks the
 * free set decomposes into is computed on demand from the records
 * (bm_free_block_order), so the model cannot drift out of canonical form.
 * Every question is answered by a linear scan over the records: inputs are a
 * few hundred ops on small spans, and being obviously right matters more
 * than being fast. The one piece of bookkeeping next to the records is the
 * count of free pages per node, changed wherever a page becomes or stops
 * being free (set_free, take_free), so that the counts the comparison asks
 * for after every few ops need no scan.
 *
 * Written without looking at lib/buddy.c on purpose: a model that shares the
 * implementation's reasoning shares its bugs.
 *
 * The model takes its memory from the harness's pool (fz_malloc), never from
 * the layers' bookkeeping allocator, and aborts when the host runs out: a
 * model failure is not a behaviour under test, and must never be mistaken
 * for an -MM_ENOMEM of the implementation.
 */
#include "model.h"
#include "fz.h"

#include <stdlib.h>
#include <string.h>

struct bm {
	uint64_t start_pfn, end_pfn; /* the span; pages[i] is pfn start_pfn + i */
	unsigned max_order;
	unsigned section_shift;
	unsigned nr_nodes;
	unsigned nr_cpus;
	unsigned cpu; /* the current cpu; its node is cpu % nr_nodes */
	struct bm_page *pages;
	uint64_t nr_free[BUDDY_MAX_NODES]; /* FREE records per node */
};

/* ---- small helpers ---- */

/* The record of pfn, or NULL outside the span. */
static struct bm_page *rec(const struct bm *m, uint64_t pfn)
{
	if (pfn < m->start_pfn || pfn >= m->end_pfn)
		return NULL;
	return &m->pages[pfn - m->start_pfn];
}

/* A section shift of 64 or more would be an undefined shift: it can only
 * mean that the whole pfn space is one section. */
static uint64_t section_of(const struct bm *m, uint64_t pfn)
{
	return m->section_shift >= 64 ? 0 : pfn >> m->section_shift;
}

/* Contract item 1 for nids: [NUMA_NO_NODE, nr_nodes). Written so that the
 * int/unsigned comparison cannot go wrong for negative nids. */
static bool nid_arg_ok(const struct bm *m, int nid)
{
	if (nid == NUMA_NO_NODE)
		return true;
	return nid >= 0 && (unsigned)nid < m->nr_nodes;
}

/* NUMA_NO_NODE means the node of the current cpu. */
static int resolve_nid(const struct bm *m, int nid)
{
	return nid == NUMA_NO_NODE ? (int)(m->cpu % m->nr_nodes) : nid;
}

/* [pfn, pfn + nr) as a valid range argument: nr != 0 and no page past
 * 2^64 (a range that ends exactly at 2^64 is a range like any other, and
 * outside every span). On success *end is the exclusive end, 0 for 2^64:
 * compare it as end - 1 (the last page). */
static bool range_arg_ok(uint64_t pfn, uint64_t nr, uint64_t *end)
{
	if (nr == 0 || nr - 1 > UINT64_MAX - pfn)
		return false;
	*end = pfn + nr; /* wraps to 0 only for 2^64 */
	return true;
}

/* Every page of [pfn, end) exists (inside the span, not a hole). */
static bool range_exists(const struct bm *m, uint64_t pfn, uint64_t end)
{
	const struct bm_page *p;

	if (pfn < m->start_pfn || end - 1 >= m->end_pfn)
		return false;
	p = rec(m, pfn);
	for (uint64_t i = 0; i < end - pfn; i++)
		if (p[i].state == BM_HOLE)
			return false;
	return true;
}

/* A page that is not free becomes free. */
static void set_free(struct bm *m, struct bm_page *p)
{
	/* nid stays: it belongs to the page, not to its allocation state. */
	p->state = BM_FREE;
	p->order = 0;
	p->refcount = 0;
	m->nr_free[p->nid]++;
}

/* A free page becomes allocated: a head (state BM_ALLOC, with its order and
 * count) or a tail (BM_ALLOC_TAIL, order and count 0). */
static void take_free(struct bm *m, struct bm_page *p, enum bm_state state, unsigned order,
		      uint32_t refcount)
{
	p->state = state;
	p->order = order;
	p->refcount = refcount;
	m->nr_free[p->nid]--;
}

/* The head of an allocated block of order `order` at pfn: every page of it
 * becomes free. The caller has checked the head. */
static void free_block(struct bm *m, uint64_t pfn, unsigned order)
{
	struct bm_page *p = rec(m, pfn);

	for (uint64_t i = 0; i < (UINT64_C(1) << order); i++)
		set_free(m, &p[i]);
}

/*
 * Whether the 2^order pages at head form a block the allocator could hold
 * as one free block: inside the span, every page FREE, all on one node, all
 * in one section. Alignment is the caller's business (the greedy
 * decomposition and alloc_pages always pass aligned heads; the protocol
 * check tests impl_pfn's alignment on its own). On success *nid is the
 * block's node.
 */
static bool block_free(const struct bm *m, uint64_t head, unsigned order, int *nid)
{
	uint64_t n = UINT64_C(1) << order, last = head + (n - 1);
	const struct bm_page *p;

	/* A block reaching past 2^64 or past either end of the span is not
	 * wholly free: some of it does not exist. */
	if (last < head || head < m->start_pfn || last >= m->end_pfn)
		return false;
	p = rec(m, head);
	if (p[0].state != BM_FREE)
		return false;
	if (section_of(m, head) != section_of(m, last))
		return false;
	for (uint64_t i = 1; i < n; i++)
		if (p[i].state != BM_FREE || p[i].nid != p[0].nid)
			return false;
	if (nid)
		*nid = p[0].nid;
	return true;
}

/* Every page of [pfn, end) FREE; with want >= 0 also all on node want, else
 * all on the node of the first page. The range is inside the span. */
static bool run_free_on_one_node(const struct bm *m, uint64_t pfn, uint64_t end, int want)
{
	const struct bm_page *p = rec(m, pfn);
	int nid = want >= 0 ? want : p[0].nid;

	for (uint64_t i = 0; i < end - pfn; i++)
		if (p[i].state != BM_FREE || p[i].nid != nid)
			return false;
	return true;
}

/* Free pages [pfn, end) become allocated order-0 pages with refcount 1, as
 * alloc_contig_range leaves them. */
static void take_run(struct bm *m, uint64_t pfn, uint64_t end)
{
	struct bm_page *p = rec(m, pfn);

	for (uint64_t i = 0; i < end - pfn; i++)
		take_free(m, &p[i], BM_ALLOC, 0, 1);
}

/* ---- life cycle ---- */

struct bm *bm_create(uint64_t start_pfn, uint64_t end_pfn, unsigned max_order,
		     unsigned section_shift, unsigned nr_nodes, unsigned nr_cpus)
{
	struct bm *m;
	uint64_t n;

	/* Only configs the header allows; anything else is the target's bug,
	 * reported as NULL rather than modelled. */
	if (start_pfn > end_pfn || end_pfn - start_pfn >= (UINT64_C(1) << 32))
		return NULL;
	if (max_order > BUDDY_MAX_ORDER_LIMIT)
		return NULL;
	if (nr_nodes < 1 || nr_nodes > BUDDY_MAX_NODES || nr_cpus < 1 || nr_cpus > BUDDY_MAX_CPUS)
		return NULL;
	n = end_pfn - start_pfn;
	if (n > SIZE_MAX / sizeof(struct bm_page))
		abort();

	m = fz_calloc(1, sizeof(*m));
	/* One record at least; every record is written below. */
	m->pages = fz_malloc((n ? (size_t)n : 1) * sizeof(*m->pages));
	m->start_pfn = start_pfn;
	m->end_pfn = end_pfn;
	m->max_order = max_order;
	m->section_shift = section_shift;
	m->nr_nodes = nr_nodes;
	m->nr_cpus = nr_cpus;
	m->cpu = 0;
	for (uint64_t i = 0; i < n; i++)
		m->pages[i] = (struct bm_page){ .state = BM_HOLE, .nid = NUMA_NO_NODE };
	return m;
}

void bm_destroy(struct bm *m)
{
	if (!m)
		return;
	fz_free(m->pages);
	fz_free(m);
}

/* ---- boot ---- */

int bm_add_memory(struct bm *m, uint64_t pfn, uint64_t nr, int nid)
{
	struct bm_page *p;
	uint64_t end;

	/* add_memory takes a real node: NUMA_NO_NODE is not allowed here. */
	if (nid < 0 || (unsigned)nid >= m->nr_nodes)
		return -MM_EINVAL;
	if (!range_arg_ok(pfn, nr, &end))
		return -MM_EINVAL;
	/* Holes are what add_memory fills, so only the span counts here. */
	if (pfn < m->start_pfn || end - 1 >= m->end_pfn)
		return -MM_ENOENT;
	p = rec(m, pfn);
	for (uint64_t i = 0; i < end - pfn; i++)
		if (p[i].state != BM_HOLE)
			return -MM_EEXIST;
	for (uint64_t i = 0; i < end - pfn; i++) {
		p[i].state = BM_RESERVED;
		p[i].order = 0;
		p[i].refcount = 0;
		p[i].nid = nid;
	}
	return 0;
}

int bm_free_boot_range(struct bm *m, uint64_t pfn, uint64_t nr)
{
	struct bm_page *p;
	uint64_t end;

	if (!range_arg_ok(pfn, nr, &end))
		return -MM_EINVAL;
	if (!range_exists(m, pfn, end))
		return -MM_ENOENT;
	/* All checked before anything changes: nothing changes on an error. */
	p = rec(m, pfn);
	for (uint64_t i = 0; i < end - pfn; i++)
		if (p[i].state != BM_RESERVED)
			return -MM_EINVAL;
	for (uint64_t i = 0; i < end - pfn; i++)
		set_free(m, &p[i]);
	return 0;
}

int bm_claim_reserved(struct bm *m, uint64_t pfn, unsigned order)
{
	uint64_t n, end;
	int nid;

	if (order > m->max_order)
		return -MM_EINVAL;
	n = UINT64_C(1) << order;
	if (pfn % n || !range_arg_ok(pfn, n, &end))
		return -MM_EINVAL;
	if (!range_exists(m, pfn, end))
		return -MM_ENOENT;
	nid = rec(m, pfn)->nid;
	for (uint64_t q = pfn; q < end; q++)
		if (rec(m, q)->state != BM_RESERVED || rec(m, q)->nid != nid)
			return -MM_EINVAL;
	if (section_of(m, pfn) != section_of(m, end - 1))
		return -MM_EINVAL;
	for (uint64_t q = pfn + 1; q < end; q++)
		rec(m, q)->state = BM_ALLOC_TAIL;
	rec(m, pfn)->state = BM_ALLOC;
	rec(m, pfn)->order = order;
	rec(m, pfn)->refcount = 1;
	return 0;
}

int bm_set_cpu(struct bm *m, unsigned cpu)
{
	if (cpu >= m->nr_cpus)
		return -MM_EINVAL;
	m->cpu = cpu;
	return 0;
}

/* ---- allocation ---- */

/* The free block of order `order` at head becomes an allocated block with
 * refcount 1; *pfn = head. */
static int take_block(struct bm *m, uint64_t head, unsigned order, uint64_t *pfn)
{
	struct bm_page *p = rec(m, head);

	take_free(m, &p[0], BM_ALLOC, order, 1);
	for (uint64_t i = 1; i < (UINT64_C(1) << order); i++)
		take_free(m, &p[i], BM_ALLOC_TAIL, 0, 0);
	*pfn = head;
	return 0;
}

int bm_alloc_pages(struct bm *m, unsigned order, int nid, int impl_rc, uint64_t impl_pfn,
		   uint64_t *pfn)
{
	uint64_t size, p;
	/* lowest[n]: the lowest fit on node n; have[n]: whether there is one. */
	uint64_t lowest[BUDDY_MAX_NODES] = { 0 };
	bool have[BUDDY_MAX_NODES] = { false };
	/* tried[0..ntried): the nodes in the order the contract tries them. */
	int tried[BUDDY_MAX_NODES];
	unsigned ntried = 0;
	int want, chosen = -1, got;

	if (order > m->max_order)
		return -MM_EINVAL;
	if (!nid_arg_ok(m, nid))
		return -MM_EINVAL;
	want = resolve_nid(m, nid);
	size = UINT64_C(1) << order;

	/* The implementation's block on the wanted node itself: no node comes
	 * before it, so that is a block the contract allows. */
	if (impl_rc == 0 && (impl_pfn & (size - 1)) == 0 && block_free(m, impl_pfn, order, &got) &&
	    got == want)
		return take_block(m, impl_pfn, order, pfn);

	/* Distance order from want, the lower nid first on a tie. A node with
	 * fewer free pages than the block has no fit: it is left out. */
	for (unsigned d = 0; d < m->nr_nodes; d++) {
		int lo = want - (int)d, hi = want + (int)d;

		if (lo >= 0 && m->nr_free[lo] >= size)
			tried[ntried++] = lo;
		if (d && (unsigned)hi < m->nr_nodes && m->nr_free[hi] >= size)
			tried[ntried++] = hi;
	}
	if (!ntried)
		return -MM_ENOMEM;

	/* One ascending scan over every aligned candidate finds the lowest fit
	 * of every node at once, and can stop at the first fit of the node
	 * tried first. The first aligned pfn at or above start_pfn may not
	 * exist in 64 bits: then there is no candidate at all. */
	if (mm_round_up(m->start_pfn, size, &p)) {
		/* Only candidates that end inside the span (so p + size does
		 * not wrap either): a block past the end is not wholly free. */
		for (; p < m->end_pfn && m->end_pfn - p >= size; p += size) {
			int n;

			if (m->pages[p - m->start_pfn].state != BM_FREE)
				continue; /* the head is not free: no block here */
			if (block_free(m, p, order, &n) && !have[n]) {
				have[n] = true;
				lowest[n] = p;
				if (n == tried[0])
					break;
			}
		}
	}
	for (unsigned k = 0; k < ntried && chosen < 0; k++)
		if (have[tried[k]])
			chosen = tried[k];
	if (chosen < 0)
		return -MM_ENOMEM;

	/* Check the implementation's answer rather than predict it: any fit
	 * on the chosen node is allowed, not just the lowest. */
	if (impl_rc == 0 && (impl_pfn & (size - 1)) == 0 && block_free(m, impl_pfn, order, &got) &&
	    got == chosen)
		return take_block(m, impl_pfn, order, pfn);
	/* A block had to be found and the implementation's is not allowed:
	 * name the lowest allowed one so the target reports the mismatch, and
	 * leave the state alone (there is no block both agree was taken). */
	*pfn = lowest[chosen];
	return 0;
}

/* The checks common to ops on an allocated head (items 2 and 3). */
static struct bm_page *alloc_head(struct bm *m, uint64_t pfn, int *rc)
{
	struct bm_page *h = rec(m, pfn);

	if (!h || h->state == BM_HOLE) {
		*rc = -MM_ENOENT;
		return NULL;
	}
	if (h->state != BM_ALLOC) {
		*rc = -MM_EINVAL;
		return NULL;
	}
	return h;
}

int bm_free_pages(struct bm *m, uint64_t pfn, unsigned order)
{
	struct bm_page *h;
	int rc;

	if (order > m->max_order)
		return -MM_EINVAL;
	h = alloc_head(m, pfn, &rc);
	if (!h)
		return rc;
	if (h->order != order)
		return -MM_EINVAL;
	if (--h->refcount == 0)
		free_block(m, pfn, order);
	return 0;
}

int bm_get_page(struct bm *m, uint64_t pfn)
{
	struct bm_page *h;
	int rc;

	h = alloc_head(m, pfn, &rc);
	if (!h)
		return rc;
	/* The contract's answer for a count that would wrap (no input of a
	 * few hundred ops gets near it). */
	if (h->refcount == UINT32_MAX)
		return -MM_ERANGE;
	h->refcount++;
	return 0;
}

int bm_put_page(struct bm *m, uint64_t pfn)
{
	struct bm_page *h;
	int rc;

	h = alloc_head(m, pfn, &rc);
	if (!h)
		return rc;
	if (--h->refcount == 0)
		free_block(m, pfn, h->order);
	return 0;
}

int bm_split_page(struct bm *m, uint64_t pfn, unsigned order)
{
	struct bm_page *h;
	int rc;

	if (order > m->max_order)
		return -MM_EINVAL;
	h = alloc_head(m, pfn, &rc);
	if (!h)
		return rc;
	if (h->order != order)
		return -MM_EINVAL;
	/* The head keeps its count (its holders still hold the head page);
	 * every former tail gets the one reference of a fresh page. For order 0
	 * the loop is empty: a valid no-op. */
	h->order = 0;
	for (uint64_t i = 1; i < (UINT64_C(1) << order); i++) {
		struct bm_page *t = rec(m, pfn + i);

		t->state = BM_ALLOC;
		t->order = 0;
		t->refcount = 1;
	}
	return 0;
}

int bm_free_contig_range(struct bm *m, uint64_t pfn, uint64_t nr)
{
	uint64_t end;

	if (!range_arg_ok(pfn, nr, &end))
		return -MM_EINVAL;
	if (!range_exists(m, pfn, end))
		return -MM_ENOENT;
	/* The whole range is checked before any page changes. */
	for (uint64_t q = pfn; q < end; q++) {
		const struct bm_page *p = rec(m, q);

		if (p->state != BM_ALLOC || p->order != 0)
			return -MM_EINVAL;
	}
	/* How the implementation chunks the freed runs is invisible here: only
	 * the resulting free set is, and bm_free_block_order derives the
	 * blocks from it. */
	for (uint64_t q = pfn; q < end; q++) {
		struct bm_page *p = rec(m, q);

		if (--p->refcount == 0)
			set_free(m, p);
	}
	return 0;
}

int bm_alloc_contig_range(struct bm *m, uint64_t start, uint64_t end)
{
	if (start >= end)
		return -MM_EINVAL;
	if (!range_exists(m, start, end))
		return -MM_ENOENT;
	for (uint64_t q = start; q < end; q++)
		if (rec(m, q)->state != BM_FREE)
			return -MM_EBUSY;
	take_run(m, start, end);
	return 0;
}

/* The lowest p, a multiple of align, with [p, p + nr) inside the span, wholly
 * free and on node want (want < 0: on any one node). nr <= span size. */
static bool find_contig(const struct bm *m, uint64_t nr, uint64_t align, int want, uint64_t *out)
{
	uint64_t p;

	if (!mm_round_up(m->start_pfn, align, &p))
		return false;
	/* p + nr <= end_pfn, written so it cannot overflow (nr <= end_pfn). */
	for (; p <= m->end_pfn - nr; p += align) {
		if (run_free_on_one_node(m, p, p + nr, want)) {
			*out = p;
			return true;
		}
		if (p + align < p)
			break;
	}
	return false;
}

int bm_alloc_contig_pages(struct bm *m, uint64_t nr, int nid, uint64_t *pfn)
{
	uint64_t align = 1, p;
	int want;

	if (nr == 0)
		return -MM_EINVAL;
	if (!nid_arg_ok(m, nid))
		return -MM_EINVAL;
	want = resolve_nid(m, nid);
	/* More pages than the span holds never fit. This also covers every nr
	 * whose power-of-two round-up would not exist in 64 bits (nr > 2^63),
	 * as the span is below 2^32 pages. */
	if (nr > m->end_pfn - m->start_pfn)
		return -MM_ENOMEM;
	while (align < nr)
		align <<= 1;
	if (!find_contig(m, nr, align, want, &p) && !find_contig(m, nr, align, -1, &p))
		return -MM_ENOMEM;
	take_run(m, p, p + nr);
	*pfn = p;
	return 0;
}

int bm_drain(struct bm *m, unsigned cpu)
{
	/* The model has no caches: draining is only an argument check. */
	return cpu >= m->nr_cpus ? -MM_EINVAL : 0;
}

/* ---- queries ---- */

const struct bm_page *bm_records(const struct bm *m, uint64_t *start_pfn, uint64_t *end_pfn)
{
	*start_pfn = m->start_pfn;
	*end_pfn = m->end_pfn;
	return m->pages;
}

unsigned bm_nr_nodes(const struct bm *m)
{
	return m->nr_nodes;
}

unsigned bm_nr_cpus(const struct bm *m)
{
	return m->nr_cpus;
}

bool bm_page(const struct bm *m, uint64_t pfn, struct bm_page *out)
{
	const struct bm_page *p = rec(m, pfn);

	if (!p)
		return false;
	*out = *p;
	return true;
}

void bm_nr_free_per_node(const struct bm *m, uint64_t *free, unsigned nr_nodes)
{
	for (unsigned nid = 0; nid < nr_nodes; nid++)
		free[nid] = nid < m->nr_nodes ? m->nr_free[nid] : 0;
}

uint64_t bm_nr_free(const struct bm *m, int nid)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < m->nr_nodes; i++)
		if (nid == NUMA_NO_NODE || nid == (int)i)
			n += m->nr_free[i];
	return n;
}

/*
 * The free blocks nest: an aligned order-k block is wholly free (in the
 * span, one node, one section) whenever its order-(k+1) parent is. So the
 * block of the greedy decomposition holding pfn is the largest wholly free
 * aligned block containing it, capped at max_order. Walk the chain of
 * aligned blocks containing pfn upward: as soon as one is free but starts
 * below pfn, pfn heads nothing (the final block starts lower still); the
 * first that is not free ends the walk one order below. This visits only
 * blocks that start at pfn, so the cost stays near 2^(alignment of pfn).
 */
int bm_free_block_order(const struct bm *m, uint64_t pfn)
{
	for (unsigned k = 0; k <= m->max_order; k++) {
		uint64_t head = pfn & ~((UINT64_C(1) << k) - 1);

		if (!block_free(m, head, k, NULL))
			return (int)k - 1; /* k == 0: pfn is not free at all */
		if (head != pfn)
			return -1;
	}
	return (int)m->max_order;
}
