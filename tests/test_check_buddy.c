/* SPDX-License-Identifier: MIT */
/*
 * buddy_check must catch each broken invariant: this test includes buddy.c
 * to reach its private structures, breaks one invariant at a time on a
 * healthy instance, expects the check's exact message, and mends it. A
 * check that can never fail would pass everything; this shows none does.
 * Each break is seen by buddy_check_full at once, and by buddy_check once
 * the broken pages and lists are among those it knows changed (the test
 * marks them all, as writes through buddy's own functions would); a last
 * part shows the window of changed pages, and a changed list, at work.
 */
#include <string.h>

#include "buddy.c"
#include "check.h"

static struct buddy *b;

/* A page's descriptor, every field of it. */
struct desc {
	uint8_t state, order, nid;
	uint32_t ref, prev, next;
};

static struct desc get_desc(uint64_t pfn)
{
	uint32_t i = idx(b, pfn);

	return (struct desc){ b->state[i], b->order[i], b->nid[i], b->ref[i], b->prev[i],
			      b->next[i] };
}

static void set_desc(uint64_t pfn, struct desc d)
{
	uint32_t i = idx(b, pfn);

	b->state[i] = d.state;
	b->order[i] = d.order;
	b->nid[i] = d.nid;
	b->ref[i] = d.ref;
	b->prev[i] = d.prev;
	b->next[i] = d.next;
}

/* Every page and list changed, as far as buddy_check knows (as writes
 * through buddy's own functions would have them). */
static void all_changed(void)
{
	touch(b, b->start, b->end - b->start);
	b->watch->lists = true;
	for (unsigned i = 0; i < b->nr_nodes * (b->max_order + 1); i++)
		b->free[i].changed = true;
	for (unsigned i = 0; i < b->nr_cpus * b->nr_nodes; i++)
		for (unsigned o = 0; o <= BUDDY_PCP_MAX_ORDER; o++)
			b->pcp[i].lists[o].changed = true;
}

/* The check reports exactly msg now, and nothing once mended. */
#define BREAKS(msg, breakit, mendit)                                             \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = buddy_check_full(b);                                      \
		CHECK(got_ && !strcmp(got_, msg));                               \
		if (got_ && strcmp(got_, msg))                                   \
			fprintf(stderr, "  expected '%s', got '%s'\n", msg, got_); \
		all_changed();                                                   \
		got_ = buddy_check(b);                                           \
		CHECK(got_ && !strcmp(got_, msg));                               \
		mendit;                                                          \
		CHECK(buddy_check_full(b) == NULL);                              \
		CHECK(buddy_check(b) == NULL);                                   \
	} while (0)

int main(void)
{
	struct buddy_config c;
	uint64_t a, cached, pfree;
	struct blist *l;
	struct pcp *pc;

	/* 64 pages on one node, sections of 16, max order 3; the last 8
	 * reserved; an order-1 allocation at a; one cached order-0 page. */
	buddy_default_config(&c, 0, 64);
	c.max_order = 3;
	c.section_shift = 4;
	c.pcp_high = 8;
	c.pcp_batch = 2;
	CHECK_EQ(buddy_create(&b, &c), 0);
	CHECK_EQ(buddy_add_memory(b, 0, 64, 0), 0);
	CHECK_EQ(buddy_free_boot_range(b, 0, 56), 0);
	CHECK_EQ(buddy_alloc_pages(b, 1, 0, &a), 0);
	CHECK_EQ(buddy_alloc_pages(b, 0, 0, &cached), 0);
	CHECK_EQ(buddy_free_pages(b, cached, 0), 0); /* back into the cache */
	CHECK(buddy_check(b) == NULL);
	pc = pcp_of(b, 0, 0);
	CHECK(pc->count > 0);
	l = free_list(b, 0, 3);
	CHECK(l->count > 0);
	pfree = b->start + l->head;

	BREAKS("list link out of the span or a cycle", b->next[l->head] = 999,
	       b->next[l->head] = NIL;
	       { /* relink what followed: rebuild the list from the pages */
		       l->head = NIL;
		       l->count = 0;
		       for (uint64_t q = 0; q < 64; q += 8)
			       if (STATE(b, q) == BUDDY_FREE && ORDER(b, q) == 3)
				       list_add(b, l, q);
	       });
	BREAKS("list prev link broken", b->prev[l->head] = 5,
	       b->prev[l->head] = NIL);
	BREAKS("listed block with the wrong state, order or node", ORDER(b, pfree) = 2,
	       ORDER(b, pfree) = 3);
	BREAKS("listed block with the wrong state, order or node",
	       STATE(b, pfree) = BUDDY_PCP, STATE(b, pfree) = BUDDY_FREE);
	BREAKS("listed block with the wrong state, order or node", NID(b, pfree) = 1,
	       NID(b, pfree) = 0);
	{ /* the list's head moved one page up, its descriptor with it */
		struct desc keep = get_desc(pfree + 1);
		uint32_t head = l->head;

		BREAKS("listed block not naturally aligned",
		       (set_desc(pfree + 1, get_desc(pfree)), l->head = head + 1),
		       (set_desc(pfree + 1, keep), l->head = head));
	}
	/* The per-CPU lists are walked the same way. */
	BREAKS("listed block with the wrong state, order or node",
	       ORDER(b, b->start + pc->lists[0].head) = 1,
	       ORDER(b, b->start + pc->lists[0].head) = 0);
	BREAKS("list count differs from its length", l->count++, l->count--);
	BREAKS("free page counter differs from the lists", b->nr_free[0]++, b->nr_free[0]--);
	BREAKS("cache page count differs from its lists", pc->count++, pc->count--);
	BREAKS("cached page counter differs from the caches", b->nr_cached[0]++,
	       b->nr_cached[0]--);
	BREAKS("hole or reserved page with a refcount", REF(b, 60) = 1,
	       REF(b, 60) = 0);
	BREAKS("free page with a refcount", REF(b, pfree) = 1, REF(b, pfree) = 0);
	BREAKS("cached page with a refcount", REF(b, b->start + pc->lists[0].head) = 1,
	       REF(b, b->start + pc->lists[0].head) = 0);
	BREAKS("allocated block with refcount 0", REF(b, a) = 0, REF(b, a) = 1);
	BREAKS("tail page outside any block", STATE(b, 60) = BUDDY_ALLOC_TAIL,
	       STATE(b, 60) = BUDDY_RESERVED);
	BREAKS("page on a node that does not exist", NID(b, a) = 9, NID(b, a) = 0);
	BREAKS("block order above max_order", ORDER(b, a) = 9, ORDER(b, a) = 1);
	BREAKS("block not naturally aligned", (STATE(b, a) = BUDDY_RESERVED,
					       REF(b, a) = 0,
					       STATE(b, a + 1) = BUDDY_ALLOC,
					       ORDER(b, a + 1) = 1, REF(b, a + 1) = 1),
	       (STATE(b, a) = BUDDY_ALLOC, REF(b, a) = 1,
		STATE(b, a + 1) = BUDDY_ALLOC_TAIL, ORDER(b, a + 1) = 0,
		REF(b, a + 1) = 0));
	/* With the span cut to 60 pages, the reserved pages from 56 claim an
	 * order-3 block that runs past it. */
	BREAKS("block runs past the span", (b->end = 60, STATE(b, 56) = BUDDY_ALLOC,
					     ORDER(b, 56) = 3, REF(b, 56) = 1),
	       (b->end = 64, STATE(b, 56) = BUDDY_RESERVED, ORDER(b, 56) = 0,
		REF(b, 56) = 0));
	/* An order-3 block of reserved pages 56..63 stays in its section; make
	 * sections of 4 pages for a moment. */
	BREAKS("block crosses a section", (STATE(b, 56) = BUDDY_ALLOC, ORDER(b, 56) = 3,
					   REF(b, 56) = 1, b->section_shift = 2);
	       for (int i = 57; i < 64; i++) STATE(b, (uint64_t)i) = BUDDY_ALLOC_TAIL,
	       (STATE(b, 56) = BUDDY_RESERVED, ORDER(b, 56) = 0, REF(b, 56) = 0,
		b->section_shift = 4);
	       for (int i = 57; i < 64; i++) STATE(b, (uint64_t)i) = BUDDY_RESERVED);
	BREAKS("block tail page in the wrong state", STATE(b, a + 1) = BUDDY_FREE_TAIL,
	       STATE(b, a + 1) = BUDDY_ALLOC_TAIL);
	BREAKS("block crosses a node", NID(b, a + 1) = 1, NID(b, a + 1) = 0);
	BREAKS("tail page with a refcount", REF(b, a + 1) = 3, REF(b, a + 1) = 0);

	/* Split a listed order-3 block into two listed order-2 halves: both
	 * are free buddies that were not merged. */
	BREAKS("free block not merged with its free buddy",
	       (list_del(b, l, pfree), ORDER(b, pfree) = 2, STATE(b, pfree + 4) = BUDDY_FREE,
		ORDER(b, pfree + 4) = 2, list_add(b, free_list(b, 0, 2), pfree),
		list_add(b, free_list(b, 0, 2), pfree + 4)),
	       (list_del(b, free_list(b, 0, 2), pfree), list_del(b, free_list(b, 0, 2), pfree + 4),
		STATE(b, pfree + 4) = BUDDY_FREE_TAIL, ORDER(b, pfree + 4) = 0, ORDER(b, pfree) = 3,
		list_add(b, l, pfree)));
	/* A free head off every list (the counters follow, so only the last
	 * test sees it). */
	BREAKS("a free or cached block is on no list",
	       (list_del(b, l, pfree), b->nr_free[0] -= 8),
	       (list_add(b, l, pfree), b->nr_free[0] += 8));
	/* The window: a page written behind buddy's back is not looked at by
	 * buddy_check until an op writes near it; buddy_check_full sees it at
	 * once. a is an allocated order-1 block: its tail in the wrong state. */
	CHECK(buddy_check(b) == NULL);
	STATE(b, a + 1) = BUDDY_FREE_TAIL;
	CHECK(buddy_check(b) == NULL);
	CHECK(buddy_check_full(b) && !strcmp(buddy_check_full(b), "block tail page in the wrong state"));
	/* A failed check leaves its range in the window: the next sees it. */
	CHECK(buddy_check(b) && !strcmp(buddy_check(b), "block tail page in the wrong state"));
	STATE(b, a + 1) = BUDDY_ALLOC_TAIL;
	CHECK(buddy_check(b) == NULL);
	CHECK(b->watch->lo >= b->watch->hi); /* a passed check empties it */
	/* An op far away does not bring a's stretch into the window; one on
	 * a does. */
	STATE(b, a + 1) = BUDDY_FREE_TAIL;
	CHECK_EQ(buddy_alloc_pages(b, 3, 0, &cached), 0);
	CHECK(cached / 8 != a / 8);
	CHECK(buddy_check(b) == NULL);
	CHECK(buddy_check_full(b) != NULL);
	CHECK_EQ(buddy_get_page(b, a), 0);
	CHECK(buddy_check(b) && !strcmp(buddy_check(b), "block tail page in the wrong state"));
	STATE(b, a + 1) = BUDDY_ALLOC_TAIL;
	CHECK(buddy_check(b) == NULL);
	CHECK_EQ(buddy_put_page(b, a), 0);
	CHECK_EQ(buddy_free_pages(b, cached, 3), 0);
	CHECK(buddy_check_full(b) == NULL);
	CHECK(buddy_check(b) == NULL);

	/* A list nothing linked into or out of is not walked by buddy_check:
	 * its broken link shows to buddy_check_full, and to buddy_check once
	 * the list changes. */
	l = free_list(b, 0, 3);
	CHECK(l->count > 0 && !l->changed);
	b->prev[l->head] = 5;
	CHECK(buddy_check(b) == NULL);
	CHECK(buddy_check_full(b) && !strcmp(buddy_check_full(b), "list prev link broken"));
	l->changed = b->watch->lists = true; /* as list_add and list_del mark them */
	CHECK(buddy_check(b) && !strcmp(buddy_check(b), "list prev link broken"));
	b->prev[l->head] = NIL;
	CHECK(buddy_check(b) == NULL);
	CHECK(buddy_check_full(b) == NULL);

	/* With no list linked into or out of, the lists and the counters that
	 * change with them are not looked at: a counter written behind
	 * buddy's back shows to buddy_check_full, and to buddy_check once an
	 * op links or unlinks a block. */
	b->nr_free[0]++;
	CHECK(buddy_check(b) == NULL);
	CHECK_EQ(buddy_alloc_pages(b, 0, 0, &cached), 0);
	CHECK(buddy_check(b) && !strcmp(buddy_check(b), "free page counter differs from the lists"));
	b->nr_free[0]--;
	CHECK(buddy_check(b) == NULL);
	CHECK_EQ(buddy_free_pages(b, cached, 0), 0);
	CHECK(buddy_check(b) == NULL);
	/* A failed check leaves the lists to the next one, as it does pages. */
	b->nr_free[0]++;
	CHECK(buddy_check(b) == NULL);
	CHECK(buddy_check_full(b) && !strcmp(buddy_check_full(b), "free page counter differs from the lists"));
	CHECK(buddy_check(b) && !strcmp(buddy_check(b), "free page counter differs from the lists"));
	b->nr_free[0]--;
	CHECK(buddy_check(b) == NULL);
	CHECK(buddy_check_full(b) == NULL);

	buddy_destroy(b);
	return check_summary("test_check_buddy");
}
