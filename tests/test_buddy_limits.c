/* SPDX-License-Identifier: MIT */
/*
 * buddy's limits that the API reaches only after billions of calls: this
 * test includes buddy.c to set a page's refcount near its ceiling directly,
 * then drives it through the API.
 */
#include "buddy.c"
#include "check.h"

/* get_page on a head whose count would wrap: -ERANGE and the count kept;
 * a put makes room for one more get. */
static void test_refcount_ceiling(void)
{
	struct buddy_config c;
	struct buddy *b;
	struct buddy_page_info info;
	uint64_t pfn;

	buddy_default_config(&c, 0, 16);
	c.pcp_high = 0;
	CHECK_EQ(buddy_create(&b, &c), 0);
	CHECK_EQ(buddy_add_memory(b, 0, 16, 0), 0);
	CHECK_EQ(buddy_free_boot_range(b, 0, 16), 0);
	CHECK_EQ(buddy_alloc_pages(b, 1, NUMA_NO_NODE, &pfn), 0);
	REF(b, pfn) = UINT32_MAX - 1; /* as if taken that many times */
	CHECK_EQ(buddy_get_page(b, pfn), 0);
	CHECK_EQ(buddy_get_page(b, pfn), -MM_ERANGE);
	CHECK_EQ(buddy_page(b, pfn, &info), 0);
	CHECK_EQ(info.refcount, UINT32_MAX);
	CHECK_EQ(info.state, BUDDY_ALLOC);
	CHECK_EQ(buddy_put_page(b, pfn), 0);
	CHECK_EQ(buddy_get_page(b, pfn), 0);
	CHECK_EQ(buddy_page(b, pfn, &info), 0);
	CHECK_EQ(info.refcount, UINT32_MAX);
	CHECK(buddy_check(b) == NULL);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 14);
	REF(b, pfn) = 1;
	CHECK_EQ(buddy_free_pages(b, pfn, 1), 0);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 16);
	CHECK(buddy_check(b) == NULL);
	buddy_destroy(b);
}

int main(void)
{
	test_refcount_ceiling();
	return check_summary("test_buddy_limits");
}
