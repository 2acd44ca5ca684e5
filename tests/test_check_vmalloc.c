/* SPDX-License-Identifier: MIT */
/* vmalloc_check must catch each broken invariant: one at a time, on a
 * healthy machine, with the exact message (see test_check_buddy):
 * vmalloc_check_full at once, vmalloc_check once the area is one it looks
 * at (the test marks every area changed); a last part shows a clean area
 * left alone until an op remaps it. */
#include <string.h>

#include "check.h"
#include "machine.h"
#include "vmalloc.c"

static struct vmalloc *v;

/* Every area changed, as far as vmalloc_check knows. */
static void all_stale(void)
{
	for (struct rb_node *n = rb_first(&v->areas); n; n = rb_next(n))
		area_of(n)->stale = true;
}

#define BREAKS(msg, breakit, mendit)                                             \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = vmalloc_check_full(v);                                    \
		CHECK(got_ && !strcmp(got_, msg));                               \
		if (got_ && strcmp(got_, msg))                                   \
			fprintf(stderr, "  expected '%s', got '%s'\n", msg, got_); \
		all_stale();                                                     \
		got_ = vmalloc_check(v);                                         \
		CHECK(got_ && !strcmp(got_, msg));                               \
		mendit;                                                          \
		CHECK(vmalloc_check_full(v) == NULL);                            \
		CHECK(vmalloc_check(v) == NULL);                                 \
	} while (0)

int main(void)
{
	static const struct mm_range mem[] = { { 0, 64 * 4096, 0 } };
	struct mm_machine_config c;
	struct mm_machine *m;
	struct vm_area *a;
	uint64_t addr, keep;

	mm_machine_default_config(&c);
	c.memory = mem;
	c.nr_memory = 1;
	c.pcp_high = 0;
	c.vmalloc_start = 0x100000;
	c.vmalloc_size = 0x100000;
	CHECK_EQ(mm_machine_boot(&m, &c), 0);
	v = mm_machine_vmalloc(m);
	CHECK_EQ(vmalloc(v, 4 * 4096, NUMA_NO_NODE, &addr), 0);
	CHECK(vmalloc_check(v) == NULL);
	a = area_at(v, addr);
	keep = a->pfns[1];

	BREAKS("vmalloc area is not a busy vmap area of its size plus a guard", a->npages++,
	       a->npages--);
	BREAKS("vmalloc area is not a busy vmap area of its size plus a guard",
	       a->addr = 0x1f0000, a->addr = addr); /* free vmap space */
	BREAKS("vmalloc area is not a busy vmap area of its size plus a guard",
	       a->addr += 4096, a->addr = addr); /* inside its own area */
	BREAKS("vmalloc'ed area has a page that is not mapped", a->pfns[1] = PFN_NONE,
	       a->pfns[1] = keep);
	BREAKS("vmalloc maps a pfn outside buddy", a->pfns[1] = 1000, a->pfns[1] = keep);
	{
		struct buddy *b = mm_machine_buddy(m);
		struct buddy_page_info info;
		uint64_t free_pfn = 0, big;

		while (!buddy_page(b, free_pfn, &info) && info.state != BUDDY_FREE)
			free_pfn++;
		CHECK_EQ(info.state, BUDDY_FREE);
		BREAKS("vmalloc'ed page is not an order-0 page it alone holds",
		       a->pfns[1] = free_pfn, a->pfns[1] = keep);
		CHECK_EQ(buddy_alloc_pages(b, 1, NUMA_NO_NODE, &big), 0);
		BREAKS("vmalloc'ed page is not an order-0 page it alone holds", a->pfns[1] = big,
		       a->pfns[1] = keep);
		CHECK_EQ(buddy_free_pages(b, big, 1), 0);
	}
	BREAKS("vmalloc'ed page is not an order-0 page it alone holds",
	       buddy_get_page(mm_machine_buddy(m), keep), buddy_put_page(mm_machine_buddy(m), keep));
	BREAKS("vmalloc page count differs from its areas", v->nr_pages++, v->nr_pages--);

	/* A clean area: a page of a taken by buddy behind vmalloc's back is
	 * seen by vmalloc_check_full, not by vmalloc_check until an op
	 * changes the area (here: a caller's area made and mapped does not). */
	{
		uint64_t res, pfn;

		CHECK(vmalloc_check(v) == NULL);
		CHECK_EQ(buddy_get_page(mm_machine_buddy(m), keep), 0);
		CHECK_EQ(vmalloc_reserve(v, 2, &res), 0);
		CHECK_EQ(buddy_alloc_pages(mm_machine_buddy(m), 0, NUMA_NO_NODE, &pfn), 0);
		CHECK_EQ(vmalloc_map_page(v, res, pfn), 0);
		CHECK(vmalloc_check(v) == NULL);
		CHECK(vmalloc_check_full(v) &&
		      !strcmp(vmalloc_check_full(v),
			      "vmalloc'ed page is not an order-0 page it alone holds"));
		a->stale = true; /* as an op on a would */
		CHECK(vmalloc_check(v) != NULL);
		CHECK_EQ(buddy_put_page(mm_machine_buddy(m), keep), 0);
		CHECK(vmalloc_check(v) == NULL);
		CHECK(vmalloc_check_full(v) == NULL);
		CHECK_EQ(vmalloc_unmap_page(v, res, &pfn), 0);
		CHECK_EQ(buddy_free_pages(mm_machine_buddy(m), pfn, 0), 0);
		CHECK_EQ(vunmap(v, res), 0);
	}
	mm_machine_destroy(m);
	return check_summary("test_check_vmalloc");
}
