/* SPDX-License-Identifier: MIT */
/* compare.c - a buddy instance against the page model (see compare.h). */
#include "compare.h"

#include <inttypes.h>
#include <stdio.h>

static enum bm_state class_of(enum buddy_page_state s)
{
	switch (s) {
	case BUDDY_HOLE:
		return BM_HOLE;
	case BUDDY_RESERVED:
		return BM_RESERVED;
	case BUDDY_ALLOC:
		return BM_ALLOC;
	case BUDDY_ALLOC_TAIL:
		return BM_ALLOC_TAIL;
	default: /* free, on a list or in a cache, head or tail */
		return BM_FREE;
	}
}

static const char *state_name(enum bm_state s)
{
	static const char *const n[] = { "hole", "reserved", "free", "allocated", "tail" };

	return n[s];
}

const char *bm_compare_pages(const struct bm *m, const struct buddy *b, uint64_t lo,
			     uint64_t hi, bool lists, char *buf, size_t len)
{
	bool drained = lists;
	uint64_t block_end = 0; /* pages below it are tails of a block found */

	if (lo < buddy_start_pfn(b))
		lo = buddy_start_pfn(b);
	if (hi > buddy_end_pfn(b))
		hi = buddy_end_pfn(b);
	for (unsigned cpu = 0; cpu < BUDDY_MAX_CPUS; cpu++)
		if (buddy_nr_cached(b, cpu))
			drained = false;
	for (uint64_t pfn = lo; pfn < hi; pfn++) {
		struct buddy_page_info i;
		struct bm_page p;
		enum bm_state s;

		buddy_page(b, pfn, &i);
		if (!bm_page(m, pfn, &p)) {
			snprintf(buf, len, "pfn 0x%" PRIx64 " is outside the model's span", pfn);
			return buf;
		}
		s = class_of(i.state);
		if (s != p.state || (s != BM_HOLE && i.nid != p.nid) ||
		    (s == BM_ALLOC && (i.order != p.order || i.refcount != p.refcount))) {
			snprintf(buf, len,
				 "pfn 0x%" PRIx64 ": %s order %u ref %u nid %d, model %s order %u ref %u nid %d",
				 pfn, state_name(s), i.order, i.refcount, i.nid, state_name(p.state),
				 p.order, p.refcount, p.nid);
			return buf;
		}
		if (drained) {
			/* The model's answer, asked only where it can differ
			 * from "heads nothing": a free page that is not inside
			 * a block already found (a block's other pages are its
			 * tails, and a page that is not free heads nothing). */
			int want = -1, got = i.state == BUDDY_FREE ? (int)i.order : -1;

			if (p.state == BM_FREE && pfn >= block_end) {
				want = bm_free_block_order(m, pfn);
				if (want >= 0)
					block_end = pfn + ((uint64_t)1 << want);
			}

			if (want != got) {
				snprintf(buf, len,
					 "pfn 0x%" PRIx64 ": free block of order %d on the lists, "
					 "greedy decomposition says %d",
					 pfn, got, want);
				return buf;
			}
		}
	}
	return NULL;
}

const char *bm_compare_counts(const struct bm *m, const struct buddy *b, char *buf, size_t len)
{
	uint64_t model_free[BUDDY_MAX_NODES];

	bm_nr_free_per_node(m, model_free, BUDDY_MAX_NODES);
	for (int nid = 0; nid < BUDDY_MAX_NODES; nid++)
		if (buddy_nr_free(b, nid) != model_free[nid]) {
			snprintf(buf, len, "node %d: %" PRIu64 " free pages, model %" PRIu64, nid,
				 buddy_nr_free(b, nid), model_free[nid]);
			return buf;
		}
	return NULL;
}

const char *bm_compare(const struct bm *m, const struct buddy *b, char *buf, size_t len)
{
	const char *e = bm_compare_pages(m, b, buddy_start_pfn(b), buddy_end_pfn(b), true, buf, len);

	return e ? e : bm_compare_counts(m, b, buf, len);
}
