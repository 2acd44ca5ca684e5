/* SPDX-License-Identifier: MIT */
/* kho_check must catch each broken invariant: one at a time, on a healthy
 * instance, with the exact message (see test_check_buddy): kho_check_full
 * at once, kho_check once a call that can change the set ran; a last part
 * shows kho_check skipping a set nothing changed. */
#include <string.h>

#include "check.h"
#include "kho.c"

static struct kho *k;

static void all_changed(void)
{
	k->set[KHO_PRESERVED].checked = k->set[KHO_INCOMING].checked = false;
}

#define BREAKS(msg, breakit, mendit)                                             \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = kho_check_full(k);                                        \
		CHECK(got_ && !strcmp(got_, msg));                               \
		if (got_ && strcmp(got_, msg))                                   \
			fprintf(stderr, "  expected '%s', got '%s'\n", msg, got_); \
		all_changed(); /* as calls that can change both sets do */      \
		got_ = kho_check(k);                                             \
		CHECK(got_ && !strcmp(got_, msg));                               \
		mendit;                                                          \
		CHECK(kho_check_full(k) == NULL);                                \
		CHECK(kho_check(k) == NULL);                                     \
	} while (0)

/* The leaf holding key at order in the preserved set. */
static struct kho_leaf *leaf_at(unsigned order, uint64_t key)
{
	struct geo g = geometry(k, order);

	return (struct kho_leaf *)leaf_get(&g, &k->set[KHO_PRESERVED].t[order], key >> LEAF_SHIFT);
}

int main(void)
{
	struct kho_config c;
	struct kset *s;
	struct kho_leaf *l0, *l2, spare = { { 1 } };
	void **root0, **node2, *saved;
	struct kho *tiny;

	/*
	 * The span [100, 70100): at order 0 its keys need 137 leaves, so the
	 * table has two levels (a root of 3 slots, nodes of 64). Preserved:
	 * 200/0 (leaf 0), 70000/0 (leaf 136: root slot 2, its slot 8), 300/2
	 * (key 75 of order 2) and 128/4.
	 */
	kho_default_config(&c, 100, 70100);
	c.max_order = 4;
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_preserve_folio(k, 200, 0), 0);
	CHECK_EQ(kho_preserve_folio(k, 70000, 0), 0);
	CHECK_EQ(kho_preserve_folio(k, 300, 2), 0);
	CHECK_EQ(kho_preserve_folio(k, 128, 4), 0);
	CHECK(kho_check(k) == NULL);
	s = &k->set[KHO_PRESERVED];
	CHECK_EQ(geometry(k, 0).levels, 2);
	CHECK_EQ(geometry(k, 0).root_slots, 3);
	root0 = s->t[0].root;
	node2 = root0[2];
	l0 = leaf_at(0, 200);
	l2 = leaf_at(2, 75);

	BREAKS("table slot past the span", node2[20] = &spare, node2[20] = NULL);
	BREAKS("empty leaf in a table", clear_bit(200, l0->w), set_bit(200, l0->w));
	BREAKS("folio outside the span", set_bit(50, l0->w), clear_bit(50, l0->w));
	{ /* past the end: key 70120 in the leaf of 70000 (keys 69632..70143) */
		struct kho_leaf *last = leaf_at(0, 70000);

		BREAKS("folio outside the span", set_bit(70120 - 69632, last->w),
		       clear_bit(70120 - 69632, last->w));
	}
	BREAKS("empty node in a table", (saved = node2[8], node2[8] = NULL), node2[8] = saved);
	BREAKS("folio count differs from the table", s->t[0].nr++, s->t[0].nr--);
	BREAKS("page count differs from the tables", s->pages++, s->pages--);
	BREAKS("order mask differs from the tables", s->orders ^= 1u << 3, s->orders ^= 1u << 3);
	/* 200/2 over 200/0, counted as the instance would count it. */
	BREAKS("two folios of a set share a page",
	       (set_bit(50, l2->w), s->t[2].nr++, s->pages += 4),
	       (clear_bit(50, l2->w), s->t[2].nr--, s->pages -= 4));
	BREAKS("incoming folios without a restore", k->reserves = 3, k->reserves = 0);
	BREAKS("bad span or max_order", k->start = k->end, k->start = 100);
	BREAKS("bad span or max_order", k->max_order = KHO_MAX_ORDER_LIMIT + 1, k->max_order = 4);

	/* Incoming folios are only ever there after a restore. */
	{
		struct kho *healthy = k, *next;
		struct memblock *mb;
		uint8_t buf[256];
		size_t len;

		CHECK_EQ(kho_serialize(k, buf, sizeof(buf), &len), 0);
		CHECK_EQ(memblock_create(&mb, NULL), 0);
		CHECK_EQ(memblock_add(mb, 0, 70100ull * 4096), 0);
		CHECK_EQ(kho_create(&next, &c), 0);
		CHECK_EQ(kho_restore(next, buf, len, mb), 0);
		k = next;
		CHECK(kho_check(k) == NULL);
		CHECK_EQ(k->reserves, 4); /* 128/4, 200, 300/2, 70000 */
		BREAKS("incoming folios without a restore", (k->restored = false, k->reserves = 0),
		       (k->restored = true, k->reserves = 4));
		k = healthy;
		kho_destroy(next);
		memblock_destroy(mb);
	}

	/* An order that fits nowhere in an 8-page span has no table. */
	kho_default_config(&c, 0, 8);
	c.max_order = 4;
	CHECK_EQ(kho_create(&tiny, &c), 0);
	{
		struct kho *healthy = k;

		k = tiny;
		BREAKS("table for an order that fits nowhere in the span",
		       k->set[KHO_INCOMING].t[4].root = (void **)&spare,
		       k->set[KHO_INCOMING].t[4].root = NULL);
		k = healthy;
	}
	kho_destroy(tiny);

	/* Unchanged since a passed check: kho_check does not walk it again, a
	 * break behind kho's back shows only to kho_check_full; any call that
	 * can change it, even one that fails, has kho_check walk again. */
	{
		uint64_t save = k->set[KHO_PRESERVED].pages;

		CHECK(kho_check(k) == NULL);
		k->set[KHO_PRESERVED].pages++;
		CHECK(kho_check(k) == NULL);
		CHECK(kho_check_full(k) && !strcmp(kho_check_full(k), "page count differs from the tables"));
		CHECK_EQ(kho_preserve_folio(k, 101, 1), -MM_EINVAL); /* unaligned */
		CHECK(kho_check(k) && !strcmp(kho_check(k), "page count differs from the tables"));
		k->set[KHO_PRESERVED].pages = save;
		CHECK(kho_check(k) == NULL);
		/* A call that changes one set has kho_check walk that one:
		 * a break in the other still shows only to kho_check_full. */
		k->set[KHO_INCOMING].orders ^= 1;
		CHECK_EQ(kho_preserve_folio(k, 101, 1), -MM_EINVAL);
		CHECK(kho_check(k) == NULL);
		CHECK(kho_check_full(k) && !strcmp(kho_check_full(k), "order mask differs from the tables"));
		k->set[KHO_INCOMING].orders ^= 1;
		CHECK(kho_check_full(k) == NULL);
	}
	kho_destroy(k);
	return check_summary("test_check_kho");
}
