/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of memblock's API edges that the fuzz target does not reach:
 * creation and its failures, and an exhaustive fault sweep over a growing
 * insert (every bookkeeping allocation failed in turn, the instance must be
 * exactly as before). Scenario coverage lives in the traces under regress/memblock.
 */
#include <string.h>

#include "check.h"
#include "memblock.h"

static void test_create(void)
{
	struct memblock *mb = NULL;
	struct memblock_config bad = { .memory_cap = 0, .reserved_cap = 4, .meta = NULL };
	struct mm_meta m;
	struct memblock_config cfg = { .memory_cap = 2, .reserved_cap = 2, .meta = &m };

	CHECK_EQ(memblock_create(&mb, &bad), -MM_EINVAL);
	bad.memory_cap = 4;
	bad.reserved_cap = 0;
	CHECK_EQ(memblock_create(&mb, &bad), -MM_EINVAL);
	CHECK_EQ(memblock_create(NULL, NULL), -MM_EINVAL);
	CHECK_EQ(memblock_create(&mb, NULL), 0);
	CHECK(memblock_check(mb) == NULL);
	CHECK_EQ(memblock_get_current_limit(mb), MEMBLOCK_ALLOC_ANYWHERE);
	CHECK(!memblock_bottom_up(mb));
	CHECK_EQ(memblock_start_of_DRAM(mb), 0);
	CHECK_EQ(memblock_end_of_DRAM(mb), 0);
	CHECK(memblock_region(mb, MEMBLOCK_MEMORY, 0) == NULL);
	CHECK_EQ(memblock_region_count(mb, (enum memblock_type_id)5), 0);
	CHECK_EQ(memblock_grow_count(mb, (enum memblock_type_id)5), 0);
	memblock_destroy(mb);
	memblock_destroy(NULL);

	/* Each of the three creation allocations can fail; nothing leaks. */
	mm_meta_init(&m);
	for (uint64_t k = 1; k <= 3; k++) {
		mm_meta_fail_at(&m, k, false);
		CHECK_EQ(memblock_create(&mb, &cfg), -MM_ENOMEM);
		CHECK_EQ(m.live, 0);
	}
	mm_meta_fail_at(&m, 4, false);
	CHECK_EQ(memblock_create(&mb, &cfg), 0);
	memblock_destroy(mb);
	CHECK_EQ(m.live, 0);
}

static void snapshot(const struct memblock *mb, struct memblock_region *out, size_t *n)
{
	*n = memblock_region_count(mb, MEMBLOCK_MEMORY);
	for (size_t i = 0; i < *n; i++)
		out[i] = *memblock_region(mb, MEMBLOCK_MEMORY, i);
}

/* An add that fills 17 gaps around 16 regions in a full array of 16 grows
 * twice (16 -> 32 -> 64 for 33 regions) in the middle of its walk; failing
 * either growth must leave the regions exactly as they were. */
static void test_growth_failure_sweep(void)
{
	struct mm_meta m;
	struct memblock_config cfg = { .memory_cap = 4, .reserved_cap = 1, .meta = &m };
	struct memblock_region before[64], after[64];
	size_t nb, na;
	unsigned failures_seen = 0;

	mm_meta_init(&m);
	for (uint64_t k = 1; k < 16; k++) {
		struct memblock *mb;

		mm_meta_fail_at(&m, 0, false);
		CHECK_EQ(memblock_create(&mb, &cfg), 0);
		for (uint64_t i = 0; i < 16; i++)
			CHECK_EQ(memblock_add_node(mb, 0x10000 + i * 0x2000, 0x1000, (int)(i % 2), 0), 0);
		snapshot(mb, before, &nb);
		CHECK_EQ(nb, 16);
		CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_MEMORY), 2); /* 4 -> 8 -> 16: full */
		mm_meta_fail_at(&m, k, false);
		int rc = memblock_add_node(mb, 0x0, 0x100000, 2, MEMBLOCK_HOTPLUG);
		snapshot(mb, after, &na);
		CHECK(memblock_check(mb) == NULL);
		if (rc == -MM_ENOMEM) {
			failures_seen++;
			CHECK_EQ(na, nb);
			CHECK(!memcmp(before, after, nb * sizeof(before[0])));
			CHECK_EQ(memblock_phys_mem_size(mb), 16 * 0x1000);
		} else {
			CHECK_EQ(rc, 0);
			/* 16 old regions, 17 new pieces around them: none merge. */
			CHECK_EQ(na, 33);
			CHECK_EQ(memblock_phys_mem_size(mb), 0x100000);
		}
		memblock_destroy(mb);
		CHECK_EQ(m.live, 0);
	}
	CHECK_EQ(failures_seen, 2);
}

static void test_free_range_iterator(void)
{
	struct memblock *mb;
	uint64_t it = 0, s, e;
	int nid;

	CHECK_EQ(memblock_create(&mb, NULL), 0);
	CHECK(!memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	CHECK_EQ(memblock_add_node(mb, 0x0, 0x10000, 0, 0), 0);
	CHECK_EQ(memblock_add_node(mb, 0x10000, 0x10000, 1, 0), 0);
	CHECK_EQ(memblock_reserve(mb, 0x8000, 0x10000), 0); /* spans both regions */
	it = 0;
	CHECK(memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	CHECK(s == 0x0 && e == 0x8000 && nid == 0);
	CHECK(memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	CHECK(s == 0x18000 && e == 0x20000 && nid == 1);
	CHECK(!memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	/* The finished iterator stays finished. */
	CHECK(!memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	it = 0;
	CHECK(memblock_next_free_range(mb, 1, &it, &s, &e, &nid));
	CHECK(s == 0x18000 && e == 0x20000 && nid == 1);
	memblock_destroy(mb);

	/* An iterator kept across a free that empties the reserved list
	 * points past its end: the walk reads nothing out of bounds and
	 * goes on with the region it stood in, now wholly free. */
	CHECK_EQ(memblock_create(&mb, NULL), 0);
	CHECK_EQ(memblock_add(mb, 0x0, 0x10000), 0);
	for (uint64_t b = 0x2000; b < 0x10000; b += 0x3000)
		CHECK_EQ(memblock_reserve(mb, b, 0x1000), 0);
	it = 0;
	for (int i = 0; i < 3; i++)
		CHECK(memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	CHECK(s == 0x6000 && e == 0x8000);
	CHECK_EQ(it & 0xffffffffu, 3);
	CHECK_EQ(memblock_phys_free(mb, 0x0, 0x10000), 0);
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 0);
	CHECK(memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	CHECK(s == 0x0 && e == 0x10000 && nid == NUMA_NO_NODE);
	CHECK(!memblock_next_free_range(mb, NUMA_NO_NODE, &it, &s, &e, &nid));
	memblock_destroy(mb);
}

static void test_null_out_param(void)
{
	struct memblock *mb;

	CHECK_EQ(memblock_create(&mb, NULL), 0);
	CHECK_EQ(memblock_add(mb, 0x1000, 0x10000), 0);
	CHECK_EQ(memblock_phys_alloc_range(mb, 0x1000, 0, 0, 0, NUMA_NO_NODE, false, NULL),
		 -MM_EINVAL);
	CHECK_EQ(memblock_alloc_try_nid(mb, 0x1000, 0, 0, 0, NUMA_NO_NODE, NULL), -MM_EINVAL);
	CHECK_EQ(memblock_reserved_size(mb), 0);
	memblock_destroy(mb);
}

/* Room made ahead: the inserts it was made for never grow the array, and
 * when it cannot be made nothing changes. */
static void test_ensure_room(void)
{
	struct mm_meta m;
	struct memblock_config cfg = { .memory_cap = 2, .reserved_cap = 2, .meta = &m };
	struct memblock *mb;

	mm_meta_init(&m);
	CHECK_EQ(memblock_create(&mb, &cfg), 0);
	CHECK_EQ(memblock_ensure_room(mb, (enum memblock_type_id)2, 1), -MM_EINVAL);
	CHECK_EQ(memblock_ensure_room(mb, MEMBLOCK_RESERVED, SIZE_MAX), -MM_ENOMEM);
	/* With a region in: the count itself would overflow. */
	CHECK_EQ(memblock_add(mb, 0x100000, 0x1000), 0);
	CHECK_EQ(memblock_ensure_room(mb, MEMBLOCK_MEMORY, SIZE_MAX), -MM_ENOMEM);
	CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_MEMORY), 0);
	/* Memory gets room ahead the same way: 1 + 5 regions, one growth. */
	CHECK_EQ(memblock_ensure_room(mb, MEMBLOCK_MEMORY, 5), 0);
	CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_MEMORY), 1);
	mm_meta_fail_at(&m, 1, true);
	for (uint64_t i = 0; i < 5; i++)
		CHECK_EQ(memblock_add(mb, 0x200000 + i * 0x2000, 0x1000), 0);
	mm_meta_fail_at(&m, 0, false);
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_MEMORY), 6);
	CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_MEMORY), 1);
	CHECK(memblock_check(mb) == NULL);
	CHECK_EQ(memblock_ensure_room(mb, MEMBLOCK_RESERVED, 2), 0); /* fits already */
	CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_RESERVED), 0);
	mm_meta_fail_at(&m, 1, false);
	CHECK_EQ(memblock_ensure_room(mb, MEMBLOCK_RESERVED, 9), -MM_ENOMEM);
	CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_RESERVED), 0);
	mm_meta_fail_at(&m, 0, false);
	CHECK_EQ(memblock_ensure_room(mb, MEMBLOCK_RESERVED, 9), 0); /* 2 -> 16 at once */
	CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_RESERVED), 1);
	mm_meta_fail_at(&m, 1, true); /* from now on every allocation fails */
	for (uint64_t i = 0; i < 9; i++)
		CHECK_EQ(memblock_reserve(mb, i * 0x2000, 0x1000), 0);
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 9);
	CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_RESERVED), 1);
	CHECK(memblock_check(mb) == NULL);
	memblock_destroy(mb);
	CHECK_EQ(m.live, 0);
}

static void snapshot_all(const struct memblock *mb, struct memblock_region *out, size_t *n)
{
	*n = 0;
	for (int t = 0; t < 2; t++)
		for (size_t i = 0; i < memblock_region_count(mb, (enum memblock_type_id)t); i++)
			out[(*n)++] = *memblock_region(mb, (enum memblock_type_id)t, i);
}

/*
 * Self-hosted arrays: growth of the memory array when the reserved array
 * has no room for the move makes two bookkeeping allocations (the memory
 * array, then the reserved one); failing either leaves both lists, both
 * homes and both capacities as they were. Unfailed, the memory array takes
 * the top page of memory and the reserved array the page below it.
 */
static void test_self_hosted(void)
{
	struct mm_meta m;
	struct memblock_config cfg = { .memory_cap = 1, .reserved_cap = 1, .meta = &m,
				       .self_hosted_arrays = true };
	struct memblock_region before[16], after[16];
	size_t nb, na;
	unsigned failures_seen = 0;
	uint64_t base = 0, size = 0;

	mm_meta_init(&m);
	for (uint64_t k = 1; k < 5; k++) {
		struct memblock *mb;
		int rc;

		mm_meta_fail_at(&m, 0, false);
		CHECK_EQ(memblock_create(&mb, &cfg), 0);
		CHECK_EQ(memblock_add(mb, 0x100000, 0x100000), 0);
		CHECK_EQ(memblock_add(mb, 0x300000, 0x1000), 0); /* hook growth: 1 -> 2 */
		CHECK_EQ(memblock_array_max(mb, MEMBLOCK_MEMORY), 2);
		CHECK(!memblock_array_home(mb, MEMBLOCK_MEMORY, &base, &size));
		memblock_allow_resize(mb);
		snapshot_all(mb, before, &nb);
		CHECK_EQ(nb, 2);
		mm_meta_fail_at(&m, k, false);
		rc = memblock_add(mb, 0x500000, 0x1000);
		snapshot_all(mb, after, &na);
		CHECK(memblock_check(mb) == NULL);
		if (rc == -MM_ENOMEM) {
			failures_seen++;
			CHECK_EQ(na, nb);
			CHECK(!memcmp(before, after, nb * sizeof(before[0])));
			CHECK_EQ(memblock_array_max(mb, MEMBLOCK_MEMORY), 2);
			CHECK_EQ(memblock_array_max(mb, MEMBLOCK_RESERVED), 1);
			CHECK(!memblock_array_home(mb, MEMBLOCK_MEMORY, NULL, NULL));
			CHECK(!memblock_array_home(mb, MEMBLOCK_RESERVED, NULL, NULL));
			CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_MEMORY), 1);
			CHECK_EQ(memblock_grow_count(mb, MEMBLOCK_RESERVED), 0);
		} else {
			CHECK_EQ(rc, 0);
			CHECK_EQ(memblock_array_max(mb, MEMBLOCK_MEMORY), 4);
			CHECK_EQ(memblock_array_max(mb, MEMBLOCK_RESERVED), 4);
			CHECK(memblock_array_home(mb, MEMBLOCK_MEMORY, &base, &size));
			CHECK_EQ(base, 0x301000 - 0x1000);
			CHECK_EQ(size, 0x1000);
			CHECK(memblock_array_home(mb, MEMBLOCK_RESERVED, &base, &size));
			CHECK_EQ(base, 0x1ff000);
			CHECK_EQ(size, 0x1000);
			/* both pages reserved; the lists hold the new memory too */
			CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 2);
			CHECK(memblock_is_region_reserved(mb, 0x300000, 0x1000));
			CHECK(memblock_is_region_reserved(mb, 0x1ff000, 0x1000));
			CHECK_EQ(memblock_reserved_size(mb), 0x2000);
			CHECK_EQ(memblock_phys_mem_size(mb), 0x102000);
			/* ensure_room moves the reserved array again, to the top
			 * free page (the memory just added), freeing its old page */
			mm_meta_fail_at(&m, 0, false);
			CHECK_EQ(memblock_ensure_room(mb, MEMBLOCK_RESERVED, 10), 0);
			CHECK_EQ(memblock_array_max(mb, MEMBLOCK_RESERVED), 16);
			CHECK(memblock_array_home(mb, MEMBLOCK_RESERVED, &base, &size));
			CHECK_EQ(base, 0x500000);
			CHECK(!memblock_is_region_reserved(mb, 0x1ff000, 0x1000));
			CHECK(memblock_check(mb) == NULL);
		}
		memblock_destroy(mb);
		CHECK_EQ(m.live, 0);
	}
	CHECK_EQ(failures_seen, 2);
}

int main(void)
{
	test_create();
	test_ensure_room();
	test_growth_failure_sweep();
	test_free_range_iterator();
	test_null_out_param();
	test_self_hosted();
	return check_summary("test_memblock");
}
