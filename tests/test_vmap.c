/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of vmap's and vmalloc's API edges the fuzz targets do not
 * reach: creation and its failures, an out-of-memory sweep over one
 * vmalloc, destroy with live areas, and the host pointers of backed pages.
 */
#include <string.h>

#include "check.h"
#include "machine.h"

static void test_vmap_create(void)
{
	struct vmap_config c = { 0x1000, 0x10000, 4096, 8, NULL };
	struct vmap *v;
	struct mm_meta m;

	CHECK_EQ(vmap_create(NULL, &c), -MM_EINVAL);
	CHECK_EQ(vmap_create(&v, NULL), -MM_EINVAL);
	c.vstart = 0x10000;
	CHECK_EQ(vmap_create(&v, &c), -MM_EINVAL); /* empty */
	c.vstart = 0x1800;
	CHECK_EQ(vmap_create(&v, &c), -MM_EINVAL); /* unaligned */
	c.vstart = 0x1000;
	c.page_size = 3000;
	CHECK_EQ(vmap_create(&v, &c), -MM_EINVAL);
	c.page_size = 0; /* 4096 */
	mm_meta_init(&m);
	c.meta = &m;
	for (uint64_t k = 1; k <= 2; k++) {
		mm_meta_fail_at(&m, k, false);
		CHECK_EQ(vmap_create(&v, &c), -MM_ENOMEM);
		CHECK_EQ(m.live, 0);
	}
	mm_meta_fail_at(&m, 0, false);
	CHECK_EQ(vmap_create(&v, &c), 0);
	CHECK_EQ(vmap_page_size(v), 4096);
	/* No place for the address: -EINVAL and the range still all free. */
	CHECK_EQ(vmap_alloc(v, 0x1000, 0x1000, 0x1000, 0x10000, NULL), -MM_EINVAL);
	{
		uint64_t a, start = 0, size = 0;

		CHECK_EQ(vmap_alloc(v, 0x2000, 0x1000, 0x1000, 0x10000, &a), 0);
		CHECK_EQ(a, 0x1000); /* the lowest fit: nothing was taken before */
		/* find with only the outputs wanted */
		CHECK_EQ(vmap_find(v, a + 0x1fff, NULL, NULL), 0);
		CHECK_EQ(vmap_find(v, a + 0x1000, &start, NULL), 0);
		CHECK_EQ(start, a);
		CHECK_EQ(vmap_find(v, a, NULL, &size), 0);
		CHECK_EQ(size, 0x2000);
		CHECK_EQ(vmap_find(v, a + 0x2000, NULL, NULL), -MM_ENOENT);
		CHECK_EQ(vmap_free(v, a), 0);
	}
	CHECK_EQ(vmap_start(v), 0x1000);
	CHECK_EQ(vmap_end(v), 0x10000);
	CHECK(vmap_check(v) == NULL);
	vmap_destroy(v);
	vmap_destroy(NULL);
	CHECK_EQ(m.live, 0);
}

static const struct mm_range one_node[] = { { 0, 64 * 4096, 0 } };

static void boot(struct mm_machine **mach, struct mm_meta *m)
{
	struct mm_machine_config c;

	mm_machine_default_config(&c);
	c.memory = one_node;
	c.nr_memory = 1;
	c.backing = true;
	c.pcp_high = 0;
	c.vmalloc_start = 0x100000;
	c.vmalloc_size = 0x100000;
	c.meta = m;
	CHECK_EQ(mm_machine_boot(mach, &c), 0);
}

/* Fail each bookkeeping allocation a vmalloc makes: -ENOMEM, and the
 * machine exactly as before (no area, no page taken, no leak). */
static void test_vmalloc_oom_sweep(void)
{
	struct mm_meta m;
	struct mm_machine *mach;
	uint64_t addr, calls, before;

	mm_meta_init(&m);
	boot(&mach, &m);
	before = buddy_nr_free(mm_machine_buddy(mach), NUMA_NO_NODE);
	mm_meta_fail_at(&m, 0, false);
	CHECK_EQ(vmalloc(mm_machine_vmalloc(mach), 5 * 4096, NUMA_NO_NODE, &addr), 0);
	calls = m.calls;
	CHECK(calls >= 3); /* the area record, its page table, vmap's objects */
	CHECK_EQ(vfree(mm_machine_vmalloc(mach), addr), 0);
	mm_machine_destroy(mach);

	for (uint64_t k = 1; k <= calls; k++) {
		mm_meta_init(&m);
		boot(&mach, &m);
		mm_meta_fail_at(&m, k, false);
		CHECK_EQ(vmalloc(mm_machine_vmalloc(mach), 5 * 4096, NUMA_NO_NODE, &addr),
			 -MM_ENOMEM);
		CHECK_EQ(buddy_nr_free(mm_machine_buddy(mach), NUMA_NO_NODE), before);
		CHECK_EQ(vmalloc_nr_pages(mm_machine_vmalloc(mach)), 0);
		CHECK(mm_machine_check(mach) == NULL);
		mm_machine_destroy(mach);
		CHECK_EQ(m.live, 0);
	}
}

/* Pages run out midway: everything goes back. Destroy with live areas
 * returns their pages. Host pointers reach the right bytes. */
static void test_vmalloc_edges(void)
{
	struct mm_machine *mach;
	struct vmalloc *v;
	uint64_t a, b, pfn;
	char *p;

	boot(&mach, NULL);
	v = mm_machine_vmalloc(mach);
	CHECK_EQ(vmalloc_create(NULL, NULL, NULL, NULL), -MM_EINVAL);
	{
		struct vmalloc *v2 = NULL;
		struct mm_meta m;

		CHECK_EQ(vmalloc_create(&v2, NULL, mm_machine_buddy(mach), NULL), -MM_EINVAL);
		CHECK_EQ(vmalloc_create(&v2, mm_machine_vmap(mach), NULL, NULL), -MM_EINVAL);
		mm_meta_init(&m);
		mm_meta_fail_at(&m, 1, false);
		CHECK_EQ(vmalloc_create(&v2, mm_machine_vmap(mach), mm_machine_buddy(mach), &m),
			 -MM_ENOMEM);
		CHECK(v2 == NULL);
		CHECK_EQ(m.live, 0);
	}
	/* No place for the address: -EINVAL, nothing placed, nothing taken. */
	pfn = 0;
	CHECK_EQ(vmalloc(v, 4096, NUMA_NO_NODE, NULL), -MM_EINVAL);
	CHECK_EQ(vmap_pages(v, NULL, 1, &a), -MM_EINVAL);
	CHECK_EQ(vmap_pages(v, &pfn, 1, NULL), -MM_EINVAL);
	CHECK_EQ(vmalloc_reserve(v, 1, NULL), -MM_EINVAL);
	CHECK_EQ(buddy_nr_free(mm_machine_buddy(mach), NUMA_NO_NODE), 64);
	CHECK_EQ(vmap_find(mm_machine_vmap(mach), 0x100000, NULL, NULL), -MM_ENOENT);
	CHECK(mm_machine_check(mach) == NULL);
	CHECK_EQ(vmalloc(v, 0, NUMA_NO_NODE, &a), -MM_EINVAL);
	CHECK_EQ(vmalloc(v, 4096, 1, &a), -MM_EINVAL); /* one node */
	CHECK_EQ(vmalloc(v, 65 * 4096, NUMA_NO_NODE, &a), -MM_ENOMEM); /* more than exist */
	CHECK_EQ(vmalloc(v, 40 * 4096, NUMA_NO_NODE, &a), 0);
	CHECK_EQ(vmalloc(v, 30 * 4096, NUMA_NO_NODE, &b), -MM_ENOMEM); /* 24 left */
	CHECK_EQ(buddy_nr_free(mm_machine_buddy(mach), NUMA_NO_NODE), 24);
	CHECK(mm_machine_check(mach) == NULL);
	p = vmalloc_host(v, a + 4096 + 10);
	CHECK(p != NULL);
	memset(p, 0x5a, 4096 - 10);
	CHECK_EQ(vmalloc_to_pfn(v, a + 4096, &pfn), 0);
	CHECK(p == (char *)buddy_page_ptr(mm_machine_buddy(mach), pfn) + 10);
	CHECK(vmalloc_host(v, a + 40 * 4096) == NULL); /* the guard page */
	CHECK_EQ(vmalloc_to_pfn(v, a + 40 * 4096, &pfn), -MM_ENOENT);
	CHECK_EQ(vmap_pages(v, &pfn, 1, &b), 0);
	CHECK(vmalloc_host(v, b) == (char *)buddy_page_ptr(mm_machine_buddy(mach), pfn));
	CHECK_EQ(vfree(v, b), -MM_EINVAL);  /* a vmap_pages area */
	CHECK_EQ(vunmap(v, a), -MM_EINVAL); /* a vmalloc'ed area */
	CHECK_EQ(vfree(v, a + 4096), -MM_ENOENT);
	/* A reserved area: a page in, and out without asking which it was. */
	{
		uint64_t r, got = 0;

		CHECK_EQ(vmalloc_reserve(v, 2, &r), 0);
		CHECK_EQ(vmalloc_map_page(v, r + 4096, pfn), 0);
		CHECK_EQ(vmalloc_to_pfn(v, r + 4096, NULL), 0);
		CHECK_EQ(vmalloc_unmap_page(v, r + 4096, NULL), -MM_EINVAL);
		CHECK_EQ(vmalloc_unmap_page(v, r + 4096, &got), 0);
		CHECK_EQ(got, pfn);
		CHECK_EQ(vmalloc_to_pfn(v, r + 4096, NULL), -MM_ENOENT);
		CHECK_EQ(vmalloc_unmap_page(v, r + 4096, &got), -MM_ENOENT);
		CHECK(mm_machine_check(mach) == NULL);
	}
	/* Destroy with both areas live: the vmalloc'ed pages go back. */
	mm_machine_destroy(mach);
}

int main(void)
{
	test_vmap_create();
	test_vmalloc_oom_sweep();
	test_vmalloc_edges();
	return check_summary("test_vmap");
}
