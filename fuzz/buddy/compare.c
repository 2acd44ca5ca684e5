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

static const char *page_diff(uint64_t pfn, const struct buddy_page_info *i,
			     const struct bm_page *p, char *buf, size_t len)
{
	snprintf(buf, len,
		 "pfn 0x%" PRIx64 ": %s order %u ref %u nid %d, model %s order %u ref %u nid %d",
		 pfn, state_name(class_of(i->state)), i->order, i->refcount, i->nid,
		 state_name(p->state), p->order, p->refcount, p->nid);
	return buf;
}

/*
 * The pages are read block by block: buddy_page for a head, and for the
 * other pages of its block only the model's records, against what a tail
 * of that head is (free, or an allocated tail, on the head's node).
 * buddy_check, after every op, holds the implementation's tails to their
 * head (state, node, no count), so together the two still see every page.
 * A model record that is not such a tail is looked up in full and reported
 * as a page that differs.
 */
const char *bm_compare_pages(const struct bm *m, const struct buddy *b, uint64_t lo,
			     uint64_t hi, bool lists, char *buf, size_t len)
{
	bool drained = lists;
	uint64_t block_end = 0; /* pages below it are tails of a block found */
	uint64_t start, end;
	const struct bm_page *recs = bm_records(m, &start, &end);
	struct buddy_page_info i; /* out here: not scoped anew for every page */

	if (lo < buddy_start_pfn(b))
		lo = buddy_start_pfn(b);
	if (hi > buddy_end_pfn(b))
		hi = buddy_end_pfn(b);
	if (lo < hi && (lo < start || hi > end)) {
		snprintf(buf, len, "pfn 0x%" PRIx64 " is outside the model's span",
			 lo < start ? lo : end);
		return buf;
	}
	/* Only the model's cpus exist on both sides (the config is shared). */
	for (unsigned cpu = 0; lists && cpu < bm_nr_cpus(m); cpu++)
		if (buddy_nr_cached(b, cpu))
			drained = false;
	for (uint64_t pfn = lo, n; pfn < hi; pfn += n) {
		const struct bm_page *p = &recs[pfn - start];
		enum bm_state s, tail;

		buddy_page(b, pfn, &i);
		s = class_of(i.state);
		if (i.state == BUDDY_HOLE || i.state == BUDDY_RESERVED) {
			/* A stretch buddy describes alike, page by page on
			 * the model's side. */
			buddy_page_run(b, pfn, hi - pfn, NULL, &n);
			for (uint64_t q = 0; q < n; q++)
				if (p[q].state != s || (s != BM_HOLE && p[q].nid != i.nid))
					return page_diff(pfn + q, &i, &p[q], buf, len);
			continue;
		}
		n = 1;
		if (s != p->state)
			return page_diff(pfn, &i, p, buf, len);
		if (s == BM_HOLE)
			continue;
		if (i.nid != p->nid ||
		    (s == BM_ALLOC && (i.order != p->order || i.refcount != p->refcount)))
			return page_diff(pfn, &i, p, buf, len);
		if (drained && s == BM_FREE) {
			/* The model's answer, asked only where it can differ
			 * from "heads nothing": a free page that is not inside
			 * a block already found (a block's other pages are its
			 * tails). */
			int want = -1, got = i.state == BUDDY_FREE ? (int)i.order : -1;

			if (pfn >= block_end) {
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
		if (i.state != BUDDY_FREE && i.state != BUDDY_PCP && i.state != BUDDY_ALLOC)
			continue;
		/* A head: the rest of its block, from the model's side. */
		n = i.order < 64 ? (uint64_t)1 << i.order : hi - pfn;
		if (n > hi - pfn)
			n = hi - pfn;
		tail = s == BM_ALLOC ? BM_ALLOC_TAIL : BM_FREE;
		for (uint64_t q = 1; q < n; q++) {
			struct buddy_page_info t;

			if (p[q].state == tail && p[q].nid == i.nid)
				continue;
			buddy_page(b, pfn + q, &t);
			if (class_of(t.state) != p[q].state ||
			    (p[q].state != BM_HOLE && t.nid != p[q].nid) ||
			    (p[q].state == BM_ALLOC &&
			     (t.order != p[q].order || t.refcount != p[q].refcount)))
				return page_diff(pfn + q, &t, &p[q], buf, len);
			/* Both sides agree on the page, and it is not what a
			 * page of the head's block is. */
			snprintf(buf, len,
				 "pfn 0x%" PRIx64 ": %s on node %d, inside the %s block of order %u "
				 "at 0x%" PRIx64 " on node %d",
				 pfn + q, state_name(p[q].state), p[q].nid, state_name(s), i.order,
				 pfn, i.nid);
			return buf;
		}
	}
	return NULL;
}

const char *bm_compare_counts(const struct bm *m, const struct buddy *b, char *buf, size_t len)
{
	uint64_t model_free[BUDDY_MAX_NODES];

	bm_nr_free_per_node(m, model_free, BUDDY_MAX_NODES);
	/* The other nids are no node on either side (buddy_nr_free: none). */
	for (int nid = 0; nid < (int)bm_nr_nodes(m); nid++)
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
