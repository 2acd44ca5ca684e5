/* SPDX-License-Identifier: MIT */
/* percpu_check must catch each broken invariant: one at a time, on a
 * healthy instance, with the exact message (see test_check_buddy):
 * percpu_check_full at once, percpu_check once the broken chunk is one it
 * walks (the test marks every chunk changed, as an op on it would); a last
 * part shows a clean chunk left alone until an op changes it. */
#include <string.h>

#include "check.h"
#include "machine.h"
#include "percpu.c"

static struct percpu *pc;

/* Every chunk changed, as far as percpu_check knows. */
static void all_stale(void)
{
	for (struct rb_node *n = rb_first(&pc->chunks); n; n = rb_next(n))
		chunk_of(n)->stale = true;
}

#define BREAKS(msg, breakit, mendit)                                             \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = percpu_check_full(pc);                                    \
		CHECK(got_ && !strcmp(got_, msg));                               \
		if (got_ && strcmp(got_, msg))                                   \
			fprintf(stderr, "  expected '%s', got '%s'\n", msg, got_); \
		all_stale();                                                     \
		got_ = percpu_check(pc);                                         \
		CHECK(got_ && !strcmp(got_, msg));                               \
		mendit;                                                          \
		CHECK(percpu_check_full(pc) == NULL);                            \
		CHECK(percpu_check(pc) == NULL);                                 \
	} while (0)

int main(void)
{
	struct mm_range mem = { 0, 256 * 256, 0 };
	struct mm_machine_config mc;
	struct mm_machine *m;
	struct pcpu_chunk *c, *c2, *extra, fake;
	uint64_t p[4], pfn, at;

	/* Two CPUs, 256-byte pages, units of 4 pages; chunk c holds three
	 * objects on pages 0-1, the spare c2 none. */
	mm_machine_default_config(&mc);
	mc.memory = &mem;
	mc.nr_memory = 1;
	mc.page_size = 256;
	mc.nr_cpus = 2;
	mc.backing = true;
	mc.vmalloc_start = 0x100000;
	mc.vmalloc_size = 1 << 20;
	mc.percpu = true;
	mc.percpu_unit_pages = 4;
	CHECK_EQ(mm_machine_boot(&m, &mc), 0);
	pc = mm_machine_percpu(m);
	CHECK_EQ(percpu_alloc(pc, 100, 4, &p[0]), 0);
	CHECK_EQ(percpu_alloc(pc, 200, 4, &p[1]), 0);
	CHECK_EQ(percpu_alloc(pc, 8, 8, &p[2]), 0);
	CHECK_EQ(percpu_alloc(pc, 1024, 4, &p[3]), 0); /* a second chunk */
	CHECK_EQ(percpu_free(pc, p[3]), 0);            /* ... now the spare */
	CHECK(percpu_check(pc) == NULL);
	c = chunk_holding(pc, p[0]);
	c2 = chunk_holding(pc, p[3]);
	CHECK(c && c2 && c != c2 && !c2->nr_allocs);

	BREAKS("percpu: unit offsets are not the unit layout", pc->unit_offset[1] += 4,
	       pc->unit_offset[1] -= 4);
	BREAKS("percpu: an allocation starts on a free granule", c->bound_map[3] |= 1ull << 8,
	       c->bound_map[3] &= ~(1ull << 8));
	BREAKS("percpu: the chunk's allocation count differs from its bound map", c->nr_allocs++,
	       c->nr_allocs--);
	BREAKS("percpu: allocated granules that no allocation starts",
	       (c->bound_map[0] &= ~1ull, c->nr_allocs--), (c->bound_map[0] |= 1, c->nr_allocs++));
	BREAKS("percpu: a block's hints differ from its bitmap", c->blocks[1].scan++,
	       c->blocks[1].scan--);
	BREAKS("percpu: the chunk's hints differ from its blocks'", c->md.contig_start++,
	       c->md.contig_start--);
	BREAKS("percpu: a chunk is in the wrong slot", c->slot++, c->slot--);
	BREAKS("percpu: a populated page that no allocation covers",
	       bitmap_set(c->populated, 3, 1), bitmap_clear(c->populated, 3, 1));
	BREAKS("percpu: an allocation covers a page that is not populated",
	       bitmap_clear(c->populated, 1, 1), bitmap_set(c->populated, 1, 1));
	at = page_addr(pc, c, 1, 0);
	BREAKS("percpu: a unit's page mapping differs from the populated map",
	       CHECK_EQ(vmalloc_unmap_page(pc->v, at, &pfn), 0),
	       CHECK_EQ(vmalloc_map_page(pc->v, at, pfn), 0));
	BREAKS("percpu: the chunk's populated count differs from its map", c->nr_populated++,
	       c->nr_populated--);
	BREAKS("percpu: chunks overlap or are out of order", c2->base -= 0x200, c2->base += 0x200);
	BREAKS("percpu: a slot list is broken", c->prev = c2, c->prev = NULL);
	/* A chunk on a slot list that is not in the tree. */
	fake = *c2;
	fake.prev = c2;
	fake.next = NULL;
	BREAKS("percpu: a slot list holds more than the chunks", c2->next = &fake, c2->next = NULL);
	/* A chunk also on a slot list past the last slot, or on another
	 * slot's list; the spare c2 (alone in its slot) on none. */
	CHECK(pc->nr_slots < MAX_SLOTS && !pc->slots[pc->nr_slots] && !pc->slots[0]);
	CHECK(c->slot != 0 && !c2->prev && !c2->next);
	BREAKS("percpu: a slot list is broken", pc->slots[pc->nr_slots] = c2,
	       pc->slots[pc->nr_slots] = NULL);
	BREAKS("percpu: a slot list is broken", pc->slots[0] = c, pc->slots[0] = NULL);
	BREAKS("percpu: chunk counts differ from the chunks", pc->slots[c2->slot] = NULL,
	       pc->slots[c2->slot] = c2);
	BREAKS("percpu: chunk counts differ from the chunks", pc->nr_empty++, pc->nr_empty--);
	BREAKS("percpu: chunk counts differ from the chunks", pc->nr_chunks++, pc->nr_chunks--);
	BREAKS("percpu: more than one chunk without allocations",
	       CHECK_EQ(chunk_create(pc, &extra), 0), chunk_destroy(pc, extra));
	BREAKS("percpu: allocation or page counts differ from the chunks", pc->populated_pages++,
	       pc->populated_pages--);
	BREAKS("percpu: allocation or page counts differ from the chunks", pc->live_bits--,
	       pc->live_bits++);
	BREAKS("percpu: allocation or page counts differ from the chunks", pc->allocs++,
	       pc->allocs--);

	/* The run tree (best fit, the default). */
	{
		struct pcpu_run *r = run_of(pc->runs.node), *sp;
		uint32_t len = r->len;

		BREAKS("percpu: a free run is missing from the run tree", r->len++, r->len--);
		BREAKS("rbtree: in-order walk not strictly increasing", r->len = 0, r->len = len);
		sp = pc->spare;
		BREAKS("percpu: the run tree holds other runs than the bitmaps", pc->nr_runs++,
		       pc->nr_runs--);
		BREAKS("percpu: the run tree holds other runs than the bitmaps", pc->nr_spare++,
		       pc->nr_spare--);
		/* More spares on the list than counted: the walk stops one past
		 * the count, before the list's end. */
		{
			uint64_t nsp = pc->nr_spare;

			CHECK(nsp >= 2);
			BREAKS("percpu: the run tree holds other runs than the bitmaps",
			       pc->nr_spare = 0, pc->nr_spare = nsp);
		}
		/* A record in the tree for a run the bitmaps do not have (the
		 * first granule of c, which is allocated). */
		BREAKS("percpu: the run tree holds other runs than the bitmaps", run_add(pc, c, 0, 1),
		       run_del(pc, run_find(pc, c, 0, 1)));
		/* Three runs for three allocations in two chunks: without the
		 * spares a free could find no record. */
		{
			uint64_t nsp = pc->nr_spare;

			BREAKS("percpu: fewer run records than a free may need",
			       (pc->spare = NULL, pc->nr_spare = 0),
			       (pc->spare = sp, pc->nr_spare = nsp));
		}
	}

	/* A clean chunk: a page of the spare c2 marked populated behind
	 * percpu's back is not seen by percpu_check while ops change only c;
	 * percpu_check_full sees it, and percpu_check once an op changes c2
	 * (760 bytes: more than c has free in one run, less than three pages). */
	CHECK(percpu_check(pc) == NULL);
	bitmap_set(c2->populated, 3, 1);
	CHECK_EQ(percpu_free(pc, p[2]), 0);
	CHECK(percpu_check(pc) == NULL);
	CHECK(percpu_check_full(pc) &&
	      !strcmp(percpu_check_full(pc), "percpu: a populated page that no allocation covers"));
	CHECK_EQ(percpu_alloc(pc, 760, 4, &p[3]), 0);
	CHECK(chunk_holding(pc, p[3]) == c2);
	CHECK(percpu_check(pc) &&
	      !strcmp(percpu_check(pc), "percpu: a populated page that no allocation covers"));
	bitmap_clear(c2->populated, 3, 1);
	CHECK(percpu_check(pc) == NULL);
	CHECK(percpu_check_full(pc) == NULL);

	mm_machine_destroy(m);
	return check_summary("test_check_percpu");
}
