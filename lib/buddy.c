/* SPDX-License-Identifier: MIT */
/*
 * buddy.c - the page-frame allocator (see buddy.h for the contract).
 *
 * Every page has a descriptor with an exact state, so that "is this page
 * free", "is this the head of an allocated block" and the bad-input checks
 * are O(1). The descriptors are kept one array per field (state, order,
 * node, refcount, list links): freeing or allocating a block of 2^k pages
 * marks its tails with one memset of their states (a tail's refcount is
 * always 0, its order unused), and the walks over ranges of pages (boot,
 * the checks, runs of alike pages) read a word of pages at a time. Merging
 * with a buddy is O(1) per level: the absorbed head just becomes a tail.
 *
 * Lists (buddy free lists and per-CPU caches) are doubly linked through the
 * head pages' link arrays, by index, so that any block can be unlinked in
 * O(1) when its buddy frees.
 *
 * free_contig_range (the kernel's __free_contig_range) puts one reference on
 * each page and frees every run of pages that reached zero as the largest
 * aligned power-of-two chunks, instead of one page at a time.
 */
#include "buddy.h"
#include "bitmap.h"

#include <string.h>

#define NIL UINT32_MAX

struct blist {
	uint32_t head;
	bool changed;   /* linked or unlinked since buddy_check last walked it */
	uint64_t count; /* blocks */
};

/* The cache of one (cpu, node). */
struct pcp {
	struct blist lists[BUDDY_PCP_MAX_ORDER + 1];
	uint64_t count; /* pages */
};

/*
 * What buddy_check knows from its previous run: the window of pages whose
 * state, order, node or refcount may have changed since (every write to a
 * page widens it), the free and cached heads it counted then, as a bitmap
 * over the span and their number, and whether a list was linked into or
 * out of since the lists last passed (else they, and the counters that
 * change with them, are as they were, with `listed` blocks on them). Kept
 * behind a pointer: the check takes the instance as const and updates only
 * this record of its own.
 */
struct buddy_watch {
	uint64_t lo, hi; /* pfns; empty when lo >= hi */
	uint64_t heads, listed;
	bool lists;
	uint64_t map[];
};

struct buddy {
	uint64_t start, end;
	unsigned max_order, section_shift, nr_nodes, nr_cpus, cpu;
	int cpu_node[BUDDY_MAX_CPUS];
	unsigned pcp_high, pcp_batch;
	/* The page descriptors, indexed by pfn - start. order is a head's;
	 * prev and next link a FREE or PCP head into its list. */
	uint8_t *state, *order, *nid;
	uint32_t *ref, *prev, *next;
	struct blist *free;                     /* [nid * (max_order + 1) + order] */
	struct pcp *pcp;                        /* [cpu * nr_nodes + nid] */
	uint64_t nr_free[BUDDY_MAX_NODES];      /* pages on the buddy lists */
	uint64_t nr_cached[BUDDY_MAX_NODES];    /* pages in the caches */
	uint8_t *mem;
	size_t page_size;
	struct buddy_watch *watch;
	struct mm_meta *meta;
};

/* ---- small helpers ---- */

static inline uint32_t idx(const struct buddy *b, uint64_t pfn)
{
	return (uint32_t)(pfn - b->start);
}

/* A page's fields, by pfn. */
#define STATE(b, pfn) ((b)->state[(pfn) - (b)->start])
#define ORDER(b, pfn) ((b)->order[(pfn) - (b)->start])
#define NID(b, pfn) ((b)->nid[(pfn) - (b)->start])
#define REF(b, pfn) ((b)->ref[(pfn) - (b)->start])

static inline uint64_t section(const struct buddy *b, uint64_t pfn)
{
	return pfn >> b->section_shift;
}

/* How many pages from pfn to the end of its section (0: to 2^64). */
static inline uint64_t section_left(const struct buddy *b, uint64_t pfn)
{
	return (((pfn >> b->section_shift) + 1) << b->section_shift) - pfn;
}

/* How many of the n bytes from p equal v, counted up to the first that
 * does not: a word at a time. */
static uint64_t run_u8(const uint8_t *p, uint64_t n, uint8_t v)
{
	uint64_t k = 0, pat = 0x0101010101010101ull * v, w;

	for (; n - k >= 8; k += 8) {
		memcpy(&w, p + k, 8);
		if (w != pat)
			break;
	}
	while (k < n && p[k] == v)
		k++;
	return k;
}

/* The same for 32-bit values. */
static uint64_t run_u32(const uint32_t *p, uint64_t n, uint32_t v)
{
	uint64_t k = 0, pat = (uint64_t)v << 32 | v, w;

	for (; n - k >= 2; k += 2) {
		memcpy(&w, p + k, 8);
		if (w != pat)
			break;
	}
	while (k < n && p[k] == v)
		k++;
	return k;
}

static inline struct blist *free_list(const struct buddy *b, unsigned nid, unsigned order)
{
	return &b->free[nid * (b->max_order + 1) + order];
}

static inline struct pcp *pcp_of(const struct buddy *b, unsigned cpu, unsigned nid)
{
	return &b->pcp[cpu * b->nr_nodes + nid];
}

/* Pages [pfn, pfn + n) are about to change: the next check looks at them. */
static inline __attribute__((always_inline)) void touch(struct buddy *b, uint64_t pfn,
							uint64_t n)
{
	struct buddy_watch *w = b->watch;

	if (w->lo >= w->hi) {
		w->lo = pfn;
		w->hi = pfn + n;
		return;
	}
	if (pfn < w->lo)
		w->lo = pfn;
	if (pfn + n > w->hi)
		w->hi = pfn + n;
}

static inline bool in_span(const struct buddy *b, uint64_t pfn)
{
	return pfn >= b->start && pfn < b->end;
}

/* [pfn, pfn + nr) is a non-empty range that ends at 2^64 at the latest
 * (one that ends exactly there is a range like any other; mm.h). */
static bool range_ok(uint64_t pfn, uint64_t nr)
{
	return nr && nr - 1 <= MM_ADDR_MAX - pfn;
}

/* Every page of [pfn, pfn + nr) exists. */
static bool range_exists(const struct buddy *b, uint64_t pfn, uint64_t nr)
{
	if (pfn < b->start || pfn > b->end || nr > b->end - pfn)
		return false;
	return !memchr(&STATE(b, pfn), BUDDY_HOLE, (size_t)nr);
}

static bool nid_ok(const struct buddy *b, int nid)
{
	return nid >= NUMA_NO_NODE && nid < (int)b->nr_nodes;
}

static bool is_free_state(uint8_t s)
{
	return s == BUDDY_FREE || s == BUDDY_FREE_TAIL || s == BUDDY_PCP || s == BUDDY_PCP_TAIL;
}

static unsigned floor_log2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* The order of the largest aligned chunk that can start at pfn with nr
 * pages left, at most max_order. */
static unsigned chunk_order(const struct buddy *b, uint64_t pfn, uint64_t nr)
{
	unsigned o = floor_log2(nr);

	if (pfn && (unsigned)__builtin_ctzll(pfn) < o)
		o = (unsigned)__builtin_ctzll(pfn);
	return o < b->max_order ? o : b->max_order;
}

/* ---- backing memory ---- */

static void *page_mem(const struct buddy *b, uint64_t pfn)
{
	return b->mem + (size_t)(pfn - b->start) * b->page_size;
}

static void mem_poison(const struct buddy *b, uint64_t pfn, uint64_t nr)
{
	if (b->mem)
		mm_poison(page_mem(b, pfn), (size_t)nr * b->page_size);
}

static void mem_unpoison(const struct buddy *b, uint64_t pfn, uint64_t nr)
{
	if (b->mem)
		mm_unpoison(page_mem(b, pfn), (size_t)nr * b->page_size);
}

/* ---- lists ---- */

static void list_add(struct buddy *b, struct blist *l, uint64_t pfn)
{
	uint32_t i = idx(b, pfn);

	b->prev[i] = NIL;
	b->next[i] = l->head;
	if (l->head != NIL)
		b->prev[l->head] = i;
	l->head = i;
	l->count++;
	l->changed = true;
	b->watch->lists = true;
}

static void list_del(struct buddy *b, struct blist *l, uint64_t pfn)
{
	uint32_t i = idx(b, pfn), prev = b->prev[i], next = b->next[i];

	if (prev != NIL)
		b->next[prev] = next;
	else
		l->head = next;
	if (next != NIL)
		b->prev[next] = prev;
	l->count--;
	l->changed = true;
	b->watch->lists = true;
}

/* Mark a block: its head gets head_state and order, the rest tail_state.
 * The pages were tails or heads with refcount 0 (free, cached, reserved,
 * or an allocation whose last reference went), and a tail's refcount
 * stays 0: only the head's is the caller's to set. */
static void mark(struct buddy *b, uint64_t pfn, unsigned order, uint8_t head_state,
		 uint8_t tail_state)
{
	uint64_t n = (uint64_t)1 << order;

	touch(b, pfn, n);
	STATE(b, pfn) = head_state;
	ORDER(b, pfn) = (uint8_t)order;
	if (n > 1)
		memset(&STATE(b, pfn + 1), tail_state, (size_t)(n - 1));
}

/* ---- the buddy lists ---- */

/*
 * Put a block on its node's lists, merging with its buddy while the buddy
 * is a free block of the same order on the same node and section (the
 * kernel's __free_one_page). The block's pages must be off every list;
 * marked says they already are BUDDY_FREE_TAIL with refcount 0.
 */
static void free_one(struct buddy *b, uint64_t pfn, unsigned order, bool marked)
{
	unsigned nid = NID(b, pfn), first = order;

	if (!marked) {
		mark(b, pfn, order, BUDDY_FREE, BUDDY_FREE_TAIL);
		REF(b, pfn) = 0;
	}
	b->nr_free[nid] += (uint64_t)1 << order;
	while (order < b->max_order) {
		uint64_t size = (uint64_t)1 << order, bud = pfn ^ size;

		if (bud < b->start || bud >= b->end || b->end - bud < size)
			break;
		if (STATE(b, bud) != BUDDY_FREE || ORDER(b, bud) != order || NID(b, bud) != nid ||
		    section(b, bud) != section(b, pfn))
			break;
		list_del(b, free_list(b, nid, order), bud);
		STATE(b, bud > pfn ? bud : pfn) = BUDDY_FREE_TAIL;
		pfn &= ~size;
		order++;
	}
	if (marked || order != first) /* else mark() covered the block */
		touch(b, pfn, (uint64_t)1 << order);
	STATE(b, pfn) = BUDDY_FREE;
	ORDER(b, pfn) = (uint8_t)order;
	list_add(b, free_list(b, nid, order), pfn);
}

/*
 * Take a block of 2^order pages off node nid's lists: the smallest free
 * block that can hold it, split down (the kernel's expand). The caller marks
 * the pages. False when the node has none.
 */
static bool take_block(struct buddy *b, unsigned nid, unsigned order, uint64_t *out)
{
	for (unsigned o = order; o <= b->max_order; o++) {
		struct blist *l = free_list(b, nid, o);
		uint64_t pfn;

		if (!l->count)
			continue;
		pfn = b->start + l->head;
		list_del(b, l, pfn);
		touch(b, pfn, (uint64_t)1 << o);
		while (o > order) {
			uint64_t upper;

			o--;
			upper = pfn + ((uint64_t)1 << o);
			STATE(b, upper) = BUDDY_FREE;
			ORDER(b, upper) = (uint8_t)o;
			list_add(b, free_list(b, nid, o), upper);
		}
		b->nr_free[nid] -= (uint64_t)1 << order;
		*out = pfn;
		return true;
	}
	return false;
}

/* ---- per-CPU caches ---- */

static bool pcp_enabled(const struct buddy *b, unsigned order)
{
	return b->pcp_high && order <= BUDDY_PCP_MAX_ORDER;
}

static void pcp_release(struct buddy *b, struct pcp *c, unsigned nid, uint64_t pages)
{
	for (int o = BUDDY_PCP_MAX_ORDER; o >= 0 && pages && c->count; o--) {
		struct blist *l = &c->lists[o];

		while (l->count && pages) {
			uint64_t pfn = b->start + l->head, n = (uint64_t)1 << o;

			list_del(b, l, pfn);
			c->count -= n;
			b->nr_cached[nid] -= n;
			free_one(b, pfn, (unsigned)o, false);
			pages = pages > n ? pages - n : 0;
		}
	}
}

static void pcp_drain_node(struct buddy *b, unsigned nid)
{
	for (unsigned cpu = 0; cpu < b->nr_cpus; cpu++) {
		struct pcp *c = pcp_of(b, cpu, nid);

		pcp_release(b, c, nid, c->count);
	}
}

static void pcp_put(struct buddy *b, struct pcp *c, unsigned nid, uint64_t pfn,
		    unsigned order)
{
	mark(b, pfn, order, BUDDY_PCP, BUDDY_PCP_TAIL);
	REF(b, pfn) = 0;
	list_add(b, &c->lists[order], pfn);
	c->count += (uint64_t)1 << order;
	b->nr_cached[nid] += (uint64_t)1 << order;
}

/* A block from the current CPU's cache for node nid, refilled from the
 * node's lists with a batch when empty (the kernel's rmqueue_pcplist). */
static bool pcp_take(struct buddy *b, unsigned nid, unsigned order, uint64_t *out)
{
	struct pcp *c = pcp_of(b, b->cpu, nid);
	struct blist *l = &c->lists[order];
	uint64_t pfn;

	if (!l->count) {
		uint64_t want = b->pcp_batch >> order;

		for (uint64_t i = 0; i < (want ? want : 1); i++) {
			if (!take_block(b, nid, order, &pfn))
				break;
			pcp_put(b, c, nid, pfn, order);
		}
		if (!l->count)
			return false;
	}
	pfn = b->start + l->head;
	list_del(b, l, pfn);
	c->count -= (uint64_t)1 << order;
	b->nr_cached[nid] -= (uint64_t)1 << order;
	*out = pfn;
	return true;
}

/* Free a block whose pages are off every list: small blocks go to the
 * current CPU's cache, which spills a batch to the lists past its high mark. */
static void free_block(struct buddy *b, uint64_t pfn, unsigned order, bool marked)
{
	unsigned nid = NID(b, pfn);
	struct pcp *c;

	/* The one place memory stops being allocated: every other free moves
	 * pages that are free already (poisoned since creation, or since
	 * they were freed here). */
	mem_poison(b, pfn, (uint64_t)1 << order);
	if (!pcp_enabled(b, order)) {
		free_one(b, pfn, order, marked);
		return;
	}
	c = pcp_of(b, b->cpu, nid);
	pcp_put(b, c, nid, pfn, order);
	if (c->count > b->pcp_high)
		pcp_release(b, c, nid, b->pcp_batch ? b->pcp_batch : 1);
}

/*
 * Free [pfn, pfn + nr), pages of one node and one section that are off
 * every list, as the largest aligned chunks; to_lists skips the caches,
 * marked as for free_one.
 */
static void free_chunks(struct buddy *b, uint64_t pfn, uint64_t nr, bool to_lists,
			bool marked)
{
	while (nr) {
		unsigned o = chunk_order(b, pfn, nr);

		if (to_lists)
			free_one(b, pfn, o, marked);
		else
			free_block(b, pfn, o, marked);
		pfn += (uint64_t)1 << o;
		nr -= (uint64_t)1 << o;
	}
}

/* The blocks of 2^o pages in [pfn, pfn + n) linked into l, one after
 * another as list_add would, their states and orders left to the caller. */
static void link_row(struct buddy *b, struct blist *l, uint64_t pfn, uint64_t n, unsigned o)
{
	uint32_t first = idx(b, pfn), step = (uint32_t)1 << o, cnt = (uint32_t)(n >> o);

	if (l->head != NIL)
		b->prev[l->head] = first;
	for (uint32_t k = 0, i = first; k < cnt; k++, i += step) {
		b->next[i] = k ? i - step : l->head;
		b->prev[i] = k + 1 < cnt ? i + step : NIL;
	}
	l->head = first + (cnt - 1) * step;
	l->count += cnt;
	l->changed = true;
	b->watch->lists = true;
}

/*
 * Boot's free_chunks of [pfn, pfn + nr), pages of one node and one section,
 * all free tails with refcount 0 and order 0 (as reserved pages are): a
 * chunk of max_order has no buddy to merge with, so a row of them is
 * linked in one pass, in the order free_one would have put them on their
 * list.
 */
static void free_boot_chunks(struct buddy *b, uint64_t pfn, uint64_t nr)
{
	unsigned nid = NID(b, pfn), o = b->max_order;
	struct blist *l = free_list(b, nid, o);

	while (nr) {
		unsigned c = chunk_order(b, pfn, nr);
		uint64_t n = nr >> o << o;

		/* (n == 0 only if chunk_order answered wrong: it then still
		 * makes progress, as free_chunks does.) */
		if (c < o || !n) {
			free_one(b, pfn, c, true);
			pfn += (uint64_t)1 << c;
			nr -= (uint64_t)1 << c;
			continue;
		}
		/* pfn is aligned to max_order: every whole chunk from here is
		 * one of it. */
		touch(b, pfn, n);
		if (!o)
			memset(&STATE(b, pfn), BUDDY_FREE, (size_t)n);
		for (uint64_t h = pfn; o && h < pfn + n; h += (uint64_t)1 << o) {
			STATE(b, h) = BUDDY_FREE;
			ORDER(b, h) = (uint8_t)o;
		}
		link_row(b, l, pfn, n, o);
		b->nr_free[nid] += n;
		pfn += n;
		nr -= n;
	}
}

/* Free [pfn, pfn + nr) of existing pages, cut where the node or the
 * section changes. */
static void free_range(struct buddy *b, uint64_t pfn, uint64_t nr, bool to_lists)
{
	while (nr) {
		uint64_t left = section_left(b, pfn);
		uint64_t n = run_u8(&NID(b, pfn), left && left < nr ? left : nr, NID(b, pfn));

		free_chunks(b, pfn, n, to_lists, false);
		pfn += n;
		nr -= n;
	}
}

/* ---- invariants ---- */

/* A list walked (unless it is unchanged since its last walk passed and
 * not full): every entry a head of its state, order and node, naturally
 * aligned, the links both ways, the count; its pages added to *pages. */
static const char *check_list(const struct buddy *b, struct blist *l, bool full, uint8_t state,
			      unsigned nid, unsigned order, uint64_t *pages)
{
	uint32_t prev = NIL;
	uint64_t n = 0, span = b->end - b->start;

	if (!l->changed && !full) {
		*pages += l->count << order;
		return NULL;
	}

	for (uint32_t i = l->head; i != NIL; i = b->next[i]) {
		if (i >= span || ++n > span)
			return "list link out of the span or a cycle";
		if (b->prev[i] != prev)
			return "list prev link broken";
		if (b->state[i] != state || b->order[i] != order || b->nid[i] != nid)
			return "listed block with the wrong state, order or node";
		if ((b->start + i) & (((uint64_t)1 << order) - 1))
			return "listed block not naturally aligned";
		prev = i;
	}
	if (n != l->count)
		return "list count differs from its length";
	*pages += n << order;
	l->changed = false;
	return NULL;
}

/* The pages of a head's block: same node, one section, tails marked. */
static const char *check_block(const struct buddy *b, uint64_t pfn, uint8_t tail_state)
{
	uint64_t n;

	if (ORDER(b, pfn) > b->max_order)
		return "block order above max_order";
	n = (uint64_t)1 << ORDER(b, pfn);
	if (pfn & (n - 1))
		return "block not naturally aligned";
	if (b->end - pfn < n)
		return "block runs past the span";
	if (section(b, pfn) != section(b, pfn + n - 1))
		return "block crosses a section";
	if (n == 1)
		return NULL;
	if (run_u8(&STATE(b, pfn + 1), n - 1, tail_state) != n - 1)
		return "block tail page in the wrong state";
	if (run_u8(&NID(b, pfn + 1), n - 1, NID(b, pfn)) != n - 1)
		return "block crosses a node";
	if (run_u32(&REF(b, pfn + 1), n - 1, 0) != n - 1)
		return "tail page with a refcount";
	return NULL;
}

/* The lists and the counters, whole: how many blocks are listed. */
static const char *check_lists(const struct buddy *b, bool full, uint64_t *listed)
{
	const char *e;

	*listed = 0;
	for (unsigned nid = 0; nid < b->nr_nodes; nid++) {
		uint64_t pages = 0, cached = 0;

		for (unsigned o = 0; o <= b->max_order; o++)
			if ((e = check_list(b, free_list(b, nid, o), full, BUDDY_FREE, nid, o,
					      &pages)))
				return e;
		if (pages != b->nr_free[nid])
			return "free page counter differs from the lists";
		for (unsigned cpu = 0; cpu < b->nr_cpus; cpu++) {
			struct pcp *c = pcp_of(b, cpu, nid);
			uint64_t cp = 0;

			for (unsigned o = 0; o <= BUDDY_PCP_MAX_ORDER; o++) {
				if ((e = check_list(b, &c->lists[o], full, BUDDY_PCP, nid, o, &cp)))
					return e;
				*listed += c->lists[o].count;
			}
			if (cp != c->count)
				return "cache page count differs from its lists";
			cached += cp;
		}
		if (cached != b->nr_cached[nid])
			return "cached page counter differs from the caches";
		for (unsigned o = 0; o <= b->max_order; o++)
			*listed += free_list(b, nid, o)->count;
	}
	return NULL;
}

/* Bits [from, from + n) of the watch's map cleared, the total following:
 * a word at a time. */
static void map_clear(struct buddy_watch *w, uint64_t from, uint64_t n)
{
	while (n) {
		unsigned bit = (unsigned)(from % BITS_PER_WORD);
		unsigned k = n < BITS_PER_WORD - bit ? (unsigned)n : BITS_PER_WORD - bit;
		uint64_t *word = &w->map[from / BITS_PER_WORD], m = *word & bitmap_word_mask(bit, k);

		if (m) {
			w->heads -= (uint64_t)__builtin_popcountll(m);
			*word &= ~m;
		}
		from += k;
		n -= k;
	}
}

/*
 * The blocks from lo, a block boundary, to the first boundary at or past
 * hi: every page in one well-formed block (or a hole or reserved page), no
 * free block beside a free buddy it should have merged with. Each block's
 * pages are then set in the watch's map as they are now (its head, if
 * free or cached), the total following the map bit by bit.
 */
static const char *check_pages(const struct buddy *b, uint64_t lo, uint64_t hi)
{
	struct buddy_watch *w = b->watch;
	const char *e;

	for (uint64_t pfn = lo; pfn < hi;) {
		uint8_t st = STATE(b, pfn), order = ORDER(b, pfn), tail;
		uint32_t ref = REF(b, pfn);
		uint64_t n = 1;

		switch (st) {
		case BUDDY_HOLE:
		case BUDDY_RESERVED:
			/* The run of such pages up to hi, at once. */
			n = run_u8(&STATE(b, pfn), hi - pfn, st);
			if (run_u32(&REF(b, pfn), n, 0) != n)
				return "hole or reserved page with a refcount";
			tail = 0;
			break;
		case BUDDY_FREE:
			tail = BUDDY_FREE_TAIL;
			if (ref)
				return "free page with a refcount";
			break;
		case BUDDY_PCP:
			tail = BUDDY_PCP_TAIL;
			if (ref)
				return "cached page with a refcount";
			break;
		case BUDDY_ALLOC:
			tail = BUDDY_ALLOC_TAIL;
			if (!ref)
				return "allocated block with refcount 0";
			break;
		default:
			return "tail page outside any block";
		}
		if (tail) {
			if (NID(b, pfn) >= b->nr_nodes)
				return "page on a node that does not exist";
			if ((e = check_block(b, pfn, tail)))
				return e;
			n = (uint64_t)1 << order;
		}
		if (st == BUDDY_FREE && order < b->max_order) {
			/* Canonical: a free block's buddy is never a free block it
			 * should have merged with. */
			uint64_t size = (uint64_t)1 << order, bud = pfn ^ size;

			if (bud >= b->start && bud < b->end && b->end - bud >= size &&
			    STATE(b, bud) == BUDDY_FREE && ORDER(b, bud) == order &&
			    NID(b, bud) == NID(b, pfn) && section(b, bud) == section(b, pfn))
				return "free block not merged with its free buddy";
		}
		map_clear(w, pfn - b->start, n);
		if (st == BUDDY_FREE || st == BUDDY_PCP) {
			set_bit(pfn - b->start, w->map);
			w->heads++;
		}
		pfn += n;
	}
	return NULL;
}

/* Where the block holding pfn starts, if the pages are consistent: pfn
 * unless it is a tail, else the nearest aligned head whose order reaches
 * it (none: pfn, and the walk reports the stray tail). */
static uint64_t block_start(const struct buddy *b, uint64_t pfn)
{
	uint8_t st = STATE(b, pfn);

	if (st != BUDDY_FREE_TAIL && st != BUDDY_PCP_TAIL && st != BUDDY_ALLOC_TAIL)
		return pfn;
	for (unsigned k = 1; k <= b->max_order && k < 64; k++) {
		uint64_t h = pfn & ~(((uint64_t)1 << k) - 1);

		if (h < b->start)
			break;
		st = STATE(b, h);
		if ((st == BUDDY_FREE || st == BUDDY_PCP || st == BUDDY_ALLOC) && ORDER(b, h) >= k)
			return h;
	}
	return pfn;
}

/*
 * The lists whole, and the blocks from lo to past hi afresh; the pages
 * beyond are as the previous check left them. Listed blocks are free or
 * cached heads of their list's order and node (check_list), and as many
 * as the heads of the span: so every head is listed, wherever it is.
 */
static const char *check_range(const struct buddy *b, bool full, uint64_t lo, uint64_t hi)
{
	struct buddy_watch *w = b->watch;
	const char *e;

	if (full || w->lists) {
		/* A failure leaves them to the next check too. */
		w->lists = true;
		if ((e = check_lists(b, full, &w->listed)))
			return e;
		w->lists = false;
	}
	if ((e = check_pages(b, lo, hi)))
		return e;
	if (w->heads != w->listed)
		return "a free or cached block is on no list";
	/* Passed: only pages written from now on need a look. A failure
	 * leaves the window, so the next check walks it again. */
	w->lo = w->hi = 0;
	return NULL;
}

const char *buddy_check(const struct buddy *b)
{
	const struct buddy_watch *w = b->watch;

	if (w->lo >= w->hi)
		return check_range(b, false, b->start, b->start);
	return check_range(b, false, block_start(b, w->lo), w->hi);
}

const char *buddy_check_full(const struct buddy *b)
{
	struct buddy_watch *w = b->watch;

	/* Every page: the window too, should this check fail. */
	w->lo = b->start;
	w->hi = b->end;
	return check_range(b, true, b->start, b->end);
}

/* ---- lifetime ---- */

void buddy_default_config(struct buddy_config *cfg, uint64_t start_pfn, uint64_t end_pfn)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->start_pfn = start_pfn;
	cfg->end_pfn = end_pfn;
	cfg->max_order = BUDDY_DEFAULT_MAX_ORDER;
	cfg->section_shift = BUDDY_DEFAULT_SECTION_SHIFT;
	cfg->nr_nodes = 1;
	cfg->nr_cpus = 1;
	cfg->pcp_high = 64;
	cfg->pcp_batch = 16;
}

static size_t watch_bytes(uint64_t span)
{
	return sizeof(struct buddy_watch) + (size_t)((span + 63) / 64) * sizeof(uint64_t);
}

int buddy_create(struct buddy **out, const struct buddy_config *cfg)
{
	struct buddy *b;
	uint64_t span;
	size_t nfree, npcp;

	if (!out || !cfg || cfg->end_pfn <= cfg->start_pfn)
		return -MM_EINVAL;
	span = cfg->end_pfn - cfg->start_pfn;
	if (span >= NIL || cfg->max_order > BUDDY_MAX_ORDER_LIMIT ||
	    cfg->section_shift > 63 || !cfg->nr_nodes || cfg->nr_nodes > BUDDY_MAX_NODES ||
	    !cfg->nr_cpus || cfg->nr_cpus > BUDDY_MAX_CPUS ||
	    (cfg->page_size && !mm_is_pow2(cfg->page_size)))
		return -MM_EINVAL;
	for (unsigned c = 0; cfg->cpu_node && c < cfg->nr_cpus; c++)
		if (cfg->cpu_node[c] < 0 || cfg->cpu_node[c] >= (int)cfg->nr_nodes)
			return -MM_EINVAL;
	b = mm_meta_alloc(cfg->meta, sizeof(*b));
	if (!b)
		return -MM_ENOMEM;
	b->meta = cfg->meta;
	b->start = cfg->start_pfn;
	b->end = cfg->end_pfn;
	b->max_order = cfg->max_order;
	b->section_shift = cfg->section_shift;
	b->nr_nodes = cfg->nr_nodes;
	b->nr_cpus = cfg->nr_cpus;
	b->pcp_high = cfg->pcp_high;
	b->pcp_batch = cfg->pcp_batch;
	b->page_size = cfg->page_size;
	for (unsigned c = 0; c < cfg->nr_cpus; c++)
		b->cpu_node[c] = cfg->cpu_node ? cfg->cpu_node[c] : (int)(c % cfg->nr_nodes);
	nfree = (size_t)cfg->nr_nodes * (cfg->max_order + 1);
	npcp = (size_t)cfg->nr_cpus * cfg->nr_nodes;
	/* Every page a hole, in no list; links are written before they are read. */
	b->state = mm_meta_calloc(b->meta, (size_t)span, 1);
	b->order = mm_meta_calloc(b->meta, (size_t)span, 1);
	b->nid = mm_meta_calloc(b->meta, (size_t)span, 1);
	b->ref = mm_meta_calloc(b->meta, (size_t)span, sizeof(*b->ref));
	b->prev = mm_meta_array(b->meta, (size_t)span, sizeof(*b->prev));
	b->next = mm_meta_array(b->meta, (size_t)span, sizeof(*b->next));
	b->free = mm_meta_calloc(b->meta, nfree, sizeof(*b->free));
	b->pcp = mm_meta_calloc(b->meta, npcp, sizeof(*b->pcp));
	b->watch = mm_meta_calloc(b->meta, 1, watch_bytes(span));
	if (cfg->page_size) {
		size_t bytes;

		if (__builtin_mul_overflow((size_t)span, cfg->page_size, &bytes))
			bytes = SIZE_MAX;
		b->mem = bytes == SIZE_MAX ? NULL : mm_meta_array(b->meta, bytes, 1);
	}
	if (!b->state || !b->order || !b->nid || !b->ref || !b->prev || !b->next || !b->free ||
	    !b->pcp || !b->watch || (cfg->page_size && !b->mem)) {
		buddy_destroy(b);
		return -MM_ENOMEM;
	}
	/* The first check looks at every page. */
	b->watch->lo = b->start;
	b->watch->hi = b->end;
	for (size_t i = 0; i < nfree; i++)
		b->free[i].head = NIL;
	for (size_t i = 0; i < npcp; i++)
		for (unsigned o = 0; o <= BUDDY_PCP_MAX_ORDER; o++)
			b->pcp[i].lists[o].head = NIL;
	/* Nothing is allocated yet: the whole backing is off limits. */
	mem_poison(b, b->start, span);
	*out = b;
	return 0;
}

void buddy_destroy(struct buddy *b)
{
	uint64_t span;

	if (!b)
		return;
	span = b->end - b->start;
	if (b->mem) {
		mm_unpoison(b->mem, (size_t)span * b->page_size);
		mm_meta_free(b->meta, b->mem, (size_t)span * b->page_size);
	}
	mm_meta_free(b->meta, b->state, (size_t)span);
	mm_meta_free(b->meta, b->order, (size_t)span);
	mm_meta_free(b->meta, b->nid, (size_t)span);
	mm_meta_free(b->meta, b->ref, (size_t)span * sizeof(*b->ref));
	mm_meta_free(b->meta, b->prev, (size_t)span * sizeof(*b->prev));
	mm_meta_free(b->meta, b->next, (size_t)span * sizeof(*b->next));
	mm_meta_free(b->meta, b->free, (size_t)b->nr_nodes * (b->max_order + 1) * sizeof(*b->free));
	mm_meta_free(b->meta, b->pcp, (size_t)b->nr_cpus * b->nr_nodes * sizeof(*b->pcp));
	mm_meta_free(b->meta, b->watch, watch_bytes(span));
	mm_meta_free(b->meta, b, sizeof(*b));
}

/* ---- boot ---- */

int buddy_add_memory(struct buddy *b, uint64_t pfn, uint64_t nr, int nid)
{
	if (!range_ok(pfn, nr) || nid < 0 || nid >= (int)b->nr_nodes)
		return -MM_EINVAL;
	if (pfn < b->start || pfn >= b->end || nr > b->end - pfn)
		return -MM_ENOENT;
	if (run_u8(&STATE(b, pfn), nr, BUDDY_HOLE) != nr)
		return -MM_EEXIST;
	touch(b, pfn, nr);
	memset(&STATE(b, pfn), BUDDY_RESERVED, (size_t)nr);
	memset(&NID(b, pfn), nid, (size_t)nr);
	return 0;
}

int buddy_free_boot_range(struct buddy *b, uint64_t pfn, uint64_t nr)
{
	uint64_t k;

	if (!range_ok(pfn, nr))
		return -MM_EINVAL;
	if (pfn < b->start || pfn > b->end || nr > b->end - pfn)
		return -MM_ENOENT;
	/* A hole anywhere is -ENOENT, else a page that is not reserved
	 * -EINVAL. */
	k = run_u8(&STATE(b, pfn), nr, BUDDY_RESERVED);
	if (k != nr)
		return memchr(&STATE(b, pfn + k), BUDDY_HOLE, (size_t)(nr - k)) ? -MM_ENOENT
										 : -MM_EINVAL;
	if (run_u8(&NID(b, pfn), nr, NID(b, pfn)) != nr) {
		free_range(b, pfn, nr, true);
		return 0;
	}
	/* One node: every page a free tail at once (a reserved page's
	 * refcount is 0), then the chunks, cut where a section ends and
	 * nowhere else, given their heads. */
	touch(b, pfn, nr);
	memset(&STATE(b, pfn), BUDDY_FREE_TAIL, (size_t)nr);
	while (nr) {
		uint64_t left = section_left(b, pfn);
		uint64_t n = left && left < nr ? left : nr;

		free_boot_chunks(b, pfn, n);
		pfn += n;
		nr -= n;
	}
	return 0;
}

/* ---- the current CPU ---- */

int buddy_set_cpu(struct buddy *b, unsigned cpu)
{
	if (cpu >= b->nr_cpus)
		return -MM_EINVAL;
	b->cpu = cpu;
	return 0;
}

unsigned buddy_cpu(const struct buddy *b)
{
	return b->cpu;
}

int buddy_cpu_node(const struct buddy *b, unsigned cpu)
{
	return cpu < b->nr_cpus ? b->cpu_node[cpu] : NUMA_NO_NODE;
}

/* ---- allocation ---- */

/* Whether node nid would have a block of 2^order pages once its caches
 * were drained, when neither its lists nor the current CPU's cache have
 * one: such a block holds a cached block, so it is enough to look at the
 * aligned 2^order pages around each of the node's cached blocks. */
static bool node_has_block_after_drain(const struct buddy *b, unsigned nid, unsigned order)
{
	uint64_t n = (uint64_t)1 << order;

	if (!b->nr_cached[nid] || order > b->section_shift)
		return false;
	for (unsigned cpu = 0; cpu < b->nr_cpus; cpu++) {
		const struct pcp *c = pcp_of(b, cpu, nid);

		for (unsigned o = 0; o <= BUDDY_PCP_MAX_ORDER; o++) {
			const struct blist *l = &c->lists[o];
			uint32_t at = l->head;

			for (uint64_t k = 0; k < l->count; k++, at = b->next[at]) {
				uint64_t h = mm_round_down(b->start + at, n), p;

				if (h < b->start || b->end - h < n)
					continue;
				for (p = h; p < h + n; p++)
					if (!is_free_state(STATE(b, p)) || NID(b, p) != nid)
						break;
				if (p == h + n)
					return true;
			}
		}
	}
	return false;
}

/* Whether node nid has a block of 2^order pages, cached pages counted as
 * free; what alloc_from_node would find, without changing anything. */
static bool node_has_block(const struct buddy *b, unsigned nid, unsigned order)
{
	for (unsigned o = order; o <= b->max_order; o++)
		if (free_list(b, nid, o)->count)
			return true;
	if (pcp_enabled(b, order) && pcp_of(b, b->cpu, nid)->lists[order].count)
		return true;
	return node_has_block_after_drain(b, nid, order);
}

/* Whether any node has a block of 2^order pages, cached pages counted. */
static bool any_node_has_block(const struct buddy *b, unsigned order)
{
	for (unsigned nid = 0; nid < b->nr_nodes; nid++)
		if (node_has_block(b, nid, order))
			return true;
	return false;
}

/*
 * A block of 2^order pages from node nid: its cache or lists, and when
 * those have nothing, the node's caches drained into the lists first, so
 * that a node is passed over only when it truly has no such block. Taking
 * from the cache or the lists changes nothing when it fails; a drain does,
 * so before the first one (*some unknown, -1) it is settled whether any
 * node has a block at all: if none has, nothing is drained and the
 * allocation fails with the instance as it was.
 */
static bool alloc_from_node(struct buddy *b, unsigned nid, unsigned order, uint64_t *pfn,
			    int *some)
{
	if (pcp_enabled(b, order) ? pcp_take(b, nid, order, pfn)
				  : take_block(b, nid, order, pfn))
		return true;
	if (!b->nr_cached[nid])
		return false;
	if (*some < 0)
		*some = any_node_has_block(b, order);
	if (!*some)
		return false;
	pcp_drain_node(b, nid);
	return take_block(b, nid, order, pfn);
}

int buddy_alloc_pages(struct buddy *b, unsigned order, int nid, uint64_t *out)
{
	uint64_t pfn;
	int some = -1;

	if (order > b->max_order || !nid_ok(b, nid) || !out)
		return -MM_EINVAL;
	if (nid == NUMA_NO_NODE)
		nid = b->cpu_node[b->cpu];
	/* Nodes by distance from nid, the lower first on a tie. */
	for (int d = 0; d < (int)b->nr_nodes; d++) {
		int cand[2] = { nid - d, nid + d };

		for (int k = 0; k < (d ? 2 : 1); k++) {
			if (cand[k] < 0 || cand[k] >= (int)b->nr_nodes)
				continue;
			if (alloc_from_node(b, (unsigned)cand[k], order, &pfn, &some)) {
				mark(b, pfn, order, BUDDY_ALLOC, BUDDY_ALLOC_TAIL);
				REF(b, pfn) = 1;
				mem_unpoison(b, pfn, (uint64_t)1 << order);
				*out = pfn;
				return 0;
			}
		}
	}
	return -MM_ENOMEM;
}

/* The allocated head at pfn: -MM_ENOENT when the page does not exist,
 * -MM_EINVAL when it is not an allocated head (of order, unless any). */
static int alloc_head(const struct buddy *b, uint64_t pfn, int order)
{
	if (!in_span(b, pfn) || STATE(b, pfn) == BUDDY_HOLE)
		return -MM_ENOENT;
	if (STATE(b, pfn) != BUDDY_ALLOC || (order >= 0 && ORDER(b, pfn) != (unsigned)order))
		return -MM_EINVAL;
	return 0;
}

/* What free_pages and split_page both need: an allocated head of exactly
 * that order. */
static int head_of_order(const struct buddy *b, uint64_t pfn, unsigned order)
{
	if (order > b->max_order)
		return -MM_EINVAL;
	return alloc_head(b, pfn, (int)order);
}

static void put_ref(struct buddy *b, uint64_t pfn)
{
	touch(b, pfn, 1);
	if (--REF(b, pfn) == 0)
		free_block(b, pfn, ORDER(b, pfn), false);
}

int buddy_free_pages(struct buddy *b, uint64_t pfn, unsigned order)
{
	int err = head_of_order(b, pfn, order);

	if (err)
		return err;
	put_ref(b, pfn);
	return 0;
}

int buddy_get_page(struct buddy *b, uint64_t pfn)
{
	int err = alloc_head(b, pfn, -1);

	if (err)
		return err;
	if (REF(b, pfn) == UINT32_MAX)
		return -MM_ERANGE;
	touch(b, pfn, 1);
	REF(b, pfn)++;
	return 0;
}

int buddy_put_page(struct buddy *b, uint64_t pfn)
{
	int err = alloc_head(b, pfn, -1);

	if (err)
		return err;
	put_ref(b, pfn);
	return 0;
}

int buddy_split_page(struct buddy *b, uint64_t pfn, unsigned order)
{
	int err = head_of_order(b, pfn, order);
	uint64_t n;

	if (err)
		return err;
	n = (uint64_t)1 << order;
	touch(b, pfn, n);
	memset(&STATE(b, pfn), BUDDY_ALLOC, (size_t)n);
	memset(&ORDER(b, pfn), 0, (size_t)n);
	for (uint64_t i = 1; i < n; i++)
		REF(b, pfn + i) = 1;
	return 0;
}

int buddy_free_contig_range(struct buddy *b, uint64_t pfn, uint64_t nr)
{
	uint64_t smask = ((uint64_t)1 << b->section_shift) - 1, run = 0, i;
	bool held = false, other_node = false;
	uint8_t *st, *nid;
	uint32_t *ref;

	if (!range_ok(pfn, nr))
		return -MM_EINVAL;
	if (pfn < b->start || pfn >= b->end || nr > b->end - pfn)
		return -MM_ENOENT;
	/*
	 * One pass checks each page and drops its reference. A page that is
	 * not an allocated order-0 page undoes the pages before it (each was
	 * one, so putting its state and reference back is exact) and the call
	 * fails with nothing changed: a hole anywhere in the range is -ENOENT,
	 * else -EINVAL. A page whose count reaches zero is marked the tail of a
	 * free block at once, so that freeing the chunks need not touch it
	 * again.
	 */
	st = &STATE(b, pfn);
	nid = &NID(b, pfn);
	ref = &REF(b, pfn);
	touch(b, pfn, nr);
	for (i = 0; i < nr; i++) {
		if (st[i] != BUDDY_ALLOC || ORDER(b, pfn + i) != 0) {
			while (i--) {
				st[i] = BUDDY_ALLOC;
				ref[i]++;
			}
			return range_exists(b, pfn, nr) ? -MM_EINVAL : -MM_ENOENT;
		}
		if (--ref[i])
			held = true;
		else
			st[i] = BUDDY_FREE_TAIL;
		other_node |= nid[i] != nid[0];
	}
	/* The usual case: every page freed, in one node and one section. */
	if (!held && !other_node && !(((pfn & smask) + nr - 1) >> b->section_shift)) {
		free_chunks(b, pfn, nr, false, true);
		return 0;
	}
	/* Else the runs of freed pages, cut at a page still referenced and
	 * before a new section or node, each as the largest aligned chunks. */
	for (i = 0; i < nr; i++) {
		if (st[i] != BUDDY_FREE_TAIL) {
			if (run)
				free_chunks(b, pfn + i - run, run, false, true);
			run = 0;
			continue;
		}
		if (run && (!((pfn + i) & smask) || nid[i] != nid[i - 1])) {
			free_chunks(b, pfn + i - run, run, false, true);
			run = 0;
		}
		run++;
	}
	if (run)
		free_chunks(b, pfn + nr - run, run, false, true);
	return 0;
}

/* The head of the free (listed) block holding pfn. */
static uint64_t free_head(const struct buddy *b, uint64_t pfn)
{
	for (unsigned k = 0; k <= b->max_order; k++) {
		uint64_t h = pfn & ~(((uint64_t)1 << k) - 1);

		if (h < b->start)
			break;
		if (STATE(b, h) == BUDDY_FREE && ORDER(b, h) >= k)
			return h;
	}
	return pfn; /* not reached for a free page */
}

/* Take [start, end), all free and on the lists, as order-0 pages. */
static void take_range(struct buddy *b, uint64_t start, uint64_t end)
{
	for (uint64_t pfn = start; pfn < end;) {
		uint64_t h = free_head(b, pfn), n;
		unsigned nid = NID(b, h), order = ORDER(b, h);
		uint64_t be, lo, hi;

		n = (uint64_t)1 << order;
		be = h + n;
		touch(b, h, n);
		list_del(b, free_list(b, nid, order), h);
		b->nr_free[nid] -= n;
		lo = mm_max(h, start);
		hi = mm_min(be, end);
		memset(&STATE(b, lo), BUDDY_ALLOC, (size_t)(hi - lo));
		memset(&ORDER(b, lo), 0, (size_t)(hi - lo));
		for (uint64_t p = lo; p < hi; p++)
			REF(b, p) = 1;
		mem_unpoison(b, lo, hi - lo);
		/* What the range does not cover goes back, as canonical pieces. */
		if (h < lo)
			free_chunks(b, h, lo - h, true, false);
		if (hi < be)
			free_chunks(b, hi, be - hi, true, false);
		pfn = hi;
	}
}

static bool range_free(const struct buddy *b, uint64_t start, uint64_t end)
{
	for (uint64_t p = start; p < end; p++)
		if (!is_free_state(STATE(b, p)))
			return false;
	return true;
}

int buddy_alloc_contig_range(struct buddy *b, uint64_t start, uint64_t end)
{
	if (start >= end)
		return -MM_EINVAL;
	if (!range_exists(b, start, end - start))
		return -MM_ENOENT;
	if (!range_free(b, start, end))
		return -MM_EBUSY;
	buddy_drain_all(b);
	take_range(b, start, end);
	return 0;
}

/* [p, p + nr) wholly free, on node nid (or, nid < 0, on any one node). */
static bool contig_fits(const struct buddy *b, uint64_t p, uint64_t nr, int nid)
{
	int node = nid >= 0 ? nid : NID(b, p);

	for (uint64_t i = p; i < p + nr; i++)
		if (!is_free_state(STATE(b, i)) || NID(b, i) != node)
			return false;
	return true;
}

int buddy_alloc_contig_pages(struct buddy *b, uint64_t nr, int nid, uint64_t *out)
{
	uint64_t align, first;

	if (!nr || !nid_ok(b, nid) || !out)
		return -MM_EINVAL;
	if (nid == NUMA_NO_NODE)
		nid = b->cpu_node[b->cpu];
	if (nr > b->end - b->start || nr > ((uint64_t)1 << 63))
		return -MM_ENOMEM;
	align = mm_is_pow2(nr) ? nr : (uint64_t)1 << (floor_log2(nr) + 1);
	if (!mm_round_up(b->start, align, &first))
		return -MM_ENOMEM;
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t p = first; p < b->end && b->end - p >= nr; p += align)
			if (contig_fits(b, p, nr, pass ? -1 : nid)) {
				buddy_drain_all(b);
				take_range(b, p, p + nr);
				*out = p;
				return 0;
			}
	return -MM_ENOMEM;
}

int buddy_drain(struct buddy *b, unsigned cpu)
{
	if (cpu >= b->nr_cpus)
		return -MM_EINVAL;
	for (unsigned nid = 0; nid < b->nr_nodes; nid++) {
		struct pcp *c = pcp_of(b, cpu, nid);

		pcp_release(b, c, nid, c->count);
	}
	return 0;
}

void buddy_drain_all(struct buddy *b)
{
	for (unsigned cpu = 0; cpu < b->nr_cpus; cpu++)
		buddy_drain(b, cpu);
}

int buddy_claim_reserved(struct buddy *b, uint64_t pfn, unsigned order)
{
	uint64_t n = (uint64_t)1 << (order <= b->max_order ? order : 0);

	if (order > b->max_order || (pfn & (n - 1)) || !range_ok(pfn, n))
		return -MM_EINVAL;
	if (!range_exists(b, pfn, n))
		return -MM_ENOENT;
	if (run_u8(&STATE(b, pfn), n, BUDDY_RESERVED) != n ||
	    run_u8(&NID(b, pfn), n, NID(b, pfn)) != n)
		return -MM_EINVAL;
	if (section(b, pfn) != section(b, pfn + n - 1))
		return -MM_EINVAL;
	mark(b, pfn, order, BUDDY_ALLOC, BUDDY_ALLOC_TAIL);
	REF(b, pfn) = 1;
	mem_unpoison(b, pfn, n);
	return 0;
}

/* ---- backing memory ---- */

void *buddy_release_backing(struct buddy *b)
{
	void *mem = b->mem;

	if (mem)
		mm_unpoison(mem, (size_t)(b->end - b->start) * b->page_size);
	b->mem = NULL;
	b->page_size = 0;
	return mem;
}

int buddy_adopt_backing(struct buddy *b, void *mem, size_t page_size)
{
	size_t bytes;

	if (b->mem || !mem || !mm_is_pow2(page_size) ||
	    __builtin_mul_overflow((size_t)(b->end - b->start), page_size, &bytes))
		return -MM_EINVAL;
	b->mem = mem;
	b->page_size = page_size;
	/* The poisoning follows the pages' states, as if they had been
	 * allocated and freed here. */
	mem_poison(b, b->start, b->end - b->start);
	for (uint64_t pfn = b->start; pfn < b->end; pfn++) {
		const uint8_t *p = memchr(&STATE(b, pfn), BUDDY_ALLOC, (size_t)(b->end - pfn));

		if (!p)
			break;
		pfn = b->start + (uint64_t)(p - b->state);
		mem_unpoison(b, pfn, (uint64_t)1 << ORDER(b, pfn));
	}
	return 0;
}

/* ---- queries ---- */

int buddy_page(const struct buddy *b, uint64_t pfn, struct buddy_page_info *info)
{
	if (!in_span(b, pfn))
		return -MM_ENOENT;
	if (!info)
		return 0; /* an optional output: the page is in the span */
	info->state = (enum buddy_page_state)STATE(b, pfn);
	info->order = ORDER(b, pfn);
	info->refcount = REF(b, pfn);
	info->nid = STATE(b, pfn) == BUDDY_HOLE ? NUMA_NO_NODE : NID(b, pfn);
	return 0;
}

int buddy_page_run(const struct buddy *b, uint64_t pfn, uint64_t max,
		   struct buddy_page_info *info, uint64_t *n)
{
	uint64_t k;

	if (!max)
		return -MM_EINVAL;
	if (!in_span(b, pfn))
		return -MM_ENOENT;
	k = b->end - pfn < max ? b->end - pfn : max;
	/* What buddy_page reports: the fields, and a node unless a hole. */
	k = run_u8(&STATE(b, pfn), k, STATE(b, pfn));
	k = run_u8(&ORDER(b, pfn), k, ORDER(b, pfn));
	k = run_u32(&REF(b, pfn), k, REF(b, pfn));
	if (STATE(b, pfn) != BUDDY_HOLE)
		k = run_u8(&NID(b, pfn), k, NID(b, pfn));
	if (n)
		*n = k;
	return buddy_page(b, pfn, info);
}

uint64_t buddy_nr_free(const struct buddy *b, int nid)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < b->nr_nodes; i++)
		if (nid == NUMA_NO_NODE || (nid >= 0 && (unsigned)nid == i))
			n += b->nr_free[i] + b->nr_cached[i];
	return n;
}

uint64_t buddy_nr_free_blocks(const struct buddy *b, int nid, unsigned order)
{
	if (nid < 0 || nid >= (int)b->nr_nodes || order > b->max_order)
		return 0;
	return free_list(b, (unsigned)nid, order)->count;
}

uint64_t buddy_nr_cached(const struct buddy *b, unsigned cpu)
{
	uint64_t n = 0;

	for (unsigned nid = 0; cpu < b->nr_cpus && nid < b->nr_nodes; nid++)
		n += pcp_of(b, cpu, nid)->count;
	return n;
}

unsigned buddy_max_order(const struct buddy *b)
{
	return b->max_order;
}

unsigned buddy_nr_nodes(const struct buddy *b)
{
	return b->nr_nodes;
}

unsigned buddy_section_shift(const struct buddy *b)
{
	return b->section_shift;
}

uint64_t buddy_start_pfn(const struct buddy *b)
{
	return b->start;
}

uint64_t buddy_end_pfn(const struct buddy *b)
{
	return b->end;
}

void *buddy_page_ptr(const struct buddy *b, uint64_t pfn)
{
	if (!b->mem || !in_span(b, pfn))
		return NULL;
	return page_mem(b, pfn);
}
