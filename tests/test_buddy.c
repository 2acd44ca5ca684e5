/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of buddy's API edges the fuzz target does not reach: creation
 * and its failures, queries outside the span, and the sanitizer poisoning
 * of backing memory. Scenarios live in the traces under regress/buddy.
 */
#include <string.h>

#include "buddy.h"
#include "check.h"

static void test_create(void)
{
	struct buddy_config c;
	struct buddy *b;
	struct mm_meta m;
	int bad_node[2] = { 0, 5 };

	buddy_default_config(&c, 10, 10);
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL); /* empty span */
	buddy_default_config(&c, 0, 1ull << 32);
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL); /* span too large */
	buddy_default_config(&c, 0, 64);
	c.max_order = BUDDY_MAX_ORDER_LIMIT + 1;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	c.nr_nodes = 0;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	c.nr_cpus = BUDDY_MAX_CPUS + 1;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	c.page_size = 100;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	c.nr_cpus = 2;
	c.cpu_node = bad_node;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	CHECK_EQ(buddy_create(NULL, &c), -MM_EINVAL);
	CHECK_EQ(buddy_create(&b, NULL), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	c.section_shift = 64;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	c.nr_nodes = BUDDY_MAX_NODES + 1;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	c.nr_cpus = 0;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);
	buddy_default_config(&c, 0, 64);
	bad_node[1] = NUMA_NO_NODE; /* a CPU needs a node of its own */
	c.nr_cpus = 2;
	c.cpu_node = bad_node;
	CHECK_EQ(buddy_create(&b, &c), -MM_EINVAL);

	/* Backing memory whose size overflows: refused as out of memory,
	 * before the host is asked, and nothing leaks. */
	mm_meta_init(&m);
	buddy_default_config(&c, 0, 1024);
	c.page_size = (size_t)1 << 54; /* 2^10 pages of 2^54 bytes: 2^64 */
	c.meta = &m;
	CHECK_EQ(buddy_create(&b, &c), -MM_ENOMEM);
	CHECK_EQ(m.live, 0);
	CHECK_EQ(m.failures, 0);

	/* Every creation allocation can fail, and nothing leaks. */
	mm_meta_init(&m);
	buddy_default_config(&c, 0, 64);
	c.page_size = 64;
	c.meta = &m;
	for (uint64_t k = 1; k <= 11; k++) {
		mm_meta_fail_at(&m, k, false);
		CHECK_EQ(buddy_create(&b, &c), -MM_ENOMEM);
		CHECK_EQ(m.live, 0);
	}
	mm_meta_fail_at(&m, 12, false);
	CHECK_EQ(buddy_create(&b, &c), 0);
	CHECK(buddy_check(b) == NULL);
	buddy_destroy(b);
	CHECK_EQ(m.live, 0);
	buddy_destroy(NULL);
}

static void test_queries(void)
{
	struct buddy_config c;
	struct buddy *b;
	struct buddy_page_info info;

	buddy_default_config(&c, 100, 164);
	CHECK_EQ(buddy_create(&b, &c), 0);
	CHECK_EQ(buddy_page(b, 99, &info), -MM_ENOENT);
	CHECK_EQ(buddy_page(b, 164, &info), -MM_ENOENT);
	CHECK_EQ(buddy_page(b, 100, &info), 0);
	CHECK_EQ(info.state, BUDDY_HOLE);
	CHECK_EQ(buddy_start_pfn(b), 100);
	CHECK_EQ(buddy_end_pfn(b), 164);
	CHECK_EQ(buddy_max_order(b), BUDDY_DEFAULT_MAX_ORDER);
	CHECK_EQ(buddy_section_shift(b), BUDDY_DEFAULT_SECTION_SHIFT);
	CHECK_EQ(buddy_cpu_node(b, 0), 0);
	CHECK_EQ(buddy_cpu_node(b, 7), NUMA_NO_NODE);
	CHECK_EQ(buddy_nr_free_blocks(b, 3, 0), 0);
	CHECK_EQ(buddy_nr_free_blocks(b, NUMA_NO_NODE, 0), 0); /* one node, not all */
	CHECK_EQ(buddy_nr_free_blocks(b, 0, 99), 0);
	CHECK_EQ(buddy_nr_cached(b, 9), 0);
	CHECK(buddy_page_ptr(b, 100) == NULL); /* no backing memory */
	CHECK_EQ(buddy_add_memory(b, 100, 64, 0), 0);
	CHECK_EQ(buddy_free_boot_range(b, 100, 64), 0);
	/* 100..164: blocks at 100 (order 2), 104 (3), 112 (4), 128 (5), 160 (2). */
	CHECK_EQ(buddy_nr_free_blocks(b, 0, 5), 1);
	CHECK_EQ(buddy_nr_free_blocks(b, 0, 4), 1);
	CHECK_EQ(buddy_nr_free_blocks(b, 0, 2), 2);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 64);
	CHECK(buddy_check(b) == NULL);
	buddy_destroy(b);
}

/* Backing memory: an allocated page is host memory the client may use;
 * under ASan a free page is poisoned. */
static void test_backing(void)
{
	struct buddy_config c;
	struct buddy *b;
	uint64_t pfn;
	unsigned char *p;

	buddy_default_config(&c, 0, 16);
	c.page_size = 256;
	c.pcp_high = 0;
	CHECK_EQ(buddy_create(&b, &c), 0);
	CHECK_EQ(buddy_add_memory(b, 0, 16, 0), 0);
	CHECK_EQ(buddy_free_boot_range(b, 0, 16), 0);
	CHECK_EQ(buddy_alloc_pages(b, 1, NUMA_NO_NODE, &pfn), 0);
	p = buddy_page_ptr(b, pfn);
	CHECK(p != NULL);
	memset(p, 0xab, 2 * 256); /* both pages are ours */
	CHECK(p[511] == 0xab);
	CHECK(buddy_page_ptr(b, 16) == NULL);
#ifdef MM_ASAN
	CHECK(!__asan_address_is_poisoned(p));
	CHECK(!__asan_address_is_poisoned(p + 511));
#endif
	CHECK_EQ(buddy_free_pages(b, pfn, 1), 0);
#ifdef MM_ASAN
	CHECK(__asan_address_is_poisoned(p));
	CHECK(__asan_address_is_poisoned(p + 511));
#endif
	buddy_destroy(b);
}

/* Backing memory changes hands across a kexec: released by one instance
 * with its bytes as they are, adopted by another over the same span, whose
 * poisoning follows its own pages; the new owner frees it at destroy. */
static void test_backing_handover(void)
{
	struct buddy_config c;
	struct buddy *old, *new;
	struct mm_meta m;
	uint64_t pfn;
	unsigned char *p, *mem;

	mm_meta_init(&m);
	buddy_default_config(&c, 0, 16);
	c.page_size = 256;
	c.pcp_high = 0;
	c.meta = &m;
	CHECK_EQ(buddy_create(&old, &c), 0);
	CHECK_EQ(buddy_add_memory(old, 0, 16, 0), 0);
	CHECK_EQ(buddy_free_boot_range(old, 0, 16), 0);
	CHECK_EQ(buddy_alloc_pages(old, 2, NUMA_NO_NODE, &pfn), 0);
	p = buddy_page_ptr(old, pfn);
	memset(p, 0x5a, 4 * 256);

	c.page_size = 0; /* the new instance brings no memory of its own */
	CHECK_EQ(buddy_create(&new, &c), 0);
	CHECK_EQ(buddy_add_memory(new, 0, 16, 0), 0);
	CHECK_EQ(buddy_adopt_backing(new, NULL, 256), -MM_EINVAL);
	mem = buddy_page_ptr(old, 0);
	CHECK_EQ(buddy_adopt_backing(new, mem, 3), -MM_EINVAL);
	CHECK_EQ(buddy_adopt_backing(new, mem, (size_t)1 << 63), -MM_EINVAL); /* too large */
	CHECK(buddy_release_backing(old) == mem);
	CHECK(buddy_page_ptr(old, 0) == NULL);
	CHECK(buddy_release_backing(old) == NULL);
	CHECK_EQ(buddy_adopt_backing(new, mem, 256), 0);
	CHECK_EQ(buddy_adopt_backing(new, mem, 256), -MM_EINVAL); /* has backing */
	CHECK(buddy_page_ptr(new, pfn) == p);
#ifdef MM_ASAN
	CHECK(__asan_address_is_poisoned(p)); /* reserved in the new instance */
#endif
	CHECK_EQ(buddy_claim_reserved(new, pfn, 2), 0);
#ifdef MM_ASAN
	CHECK(!__asan_address_is_poisoned(p));
	CHECK(!__asan_address_is_poisoned(p + 4 * 256 - 1));
#endif
	CHECK(p[0] == 0x5a && p[4 * 256 - 1] == 0x5a); /* the bytes came along */
	CHECK(buddy_check(new) == NULL);
	buddy_destroy(old);
	CHECK(m.live_bytes >= 16 * 256); /* new still holds the memory */
	buddy_destroy(new);
	CHECK_EQ(m.live, 0);
	CHECK_EQ(m.live_bytes, 0);
}

/* A one-node instance over [start, end), every page free. */
static struct buddy *booted(uint64_t start, uint64_t end, unsigned pcp_high, unsigned pcp_batch)
{
	struct buddy_config c;
	struct buddy *b;

	buddy_default_config(&c, start, end);
	c.max_order = 3;
	c.pcp_high = pcp_high;
	c.pcp_batch = pcp_batch;
	if (buddy_create(&b, &c))
		return NULL;
	if (buddy_add_memory(b, start, end - start, 0) ||
	    buddy_free_boot_range(b, start, end - start)) {
		buddy_destroy(b);
		return NULL;
	}
	return b;
}

/* No place for the result: -EINVAL, and no page leaves the free lists. */
static void test_null_out(void)
{
	struct buddy *b = booted(0, 64, 0, 0);

	CHECK(b != NULL);
	CHECK_EQ(buddy_alloc_pages(b, 0, NUMA_NO_NODE, NULL), -MM_EINVAL);
	CHECK_EQ(buddy_alloc_contig_pages(b, 4, NUMA_NO_NODE, NULL), -MM_EINVAL);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 64);
	CHECK(buddy_check(b) == NULL);
	buddy_destroy(b);
}

/* A span that ends at the top of the pfn space: alloc_contig_pages rounds
 * its first candidate up to the count's power of two, and when that
 * overflows there is no candidate at all (-ENOMEM, nothing taken). */
static void test_contig_at_the_top(void)
{
	uint64_t start = UINT64_MAX - 10, pfn = 0;
	struct buddy *b = booted(start, UINT64_MAX, 0, 0);
	struct buddy_page_info info;

	CHECK(b != NULL);
	CHECK_EQ(buddy_alloc_contig_pages(b, 10, NUMA_NO_NODE, &pfn), -MM_ENOMEM); /* align 16 */
	CHECK_EQ(pfn, 0);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 10);
	CHECK_EQ(buddy_alloc_contig_pages(b, 4, NUMA_NO_NODE, &pfn), 0);
	CHECK_EQ(pfn, UINT64_MAX - 7); /* the first multiple of 4 in the span */
	CHECK_EQ(buddy_page(b, pfn + 3, &info), 0);
	CHECK(info.state == BUDDY_ALLOC && info.refcount == 1);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 6);
	CHECK_EQ(buddy_free_contig_range(b, pfn, 4), 0);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 10);
	CHECK(buddy_check(b) == NULL);
	buddy_destroy(b);
}

/* alloc_contig_range over blocks of order > 0 sitting in a CPU cache:
 * their tail pages count as free, the caches are drained, and every page
 * comes out an order-0 page with one reference. */
static void test_contig_over_cached_blocks(void)
{
	struct buddy *b = booted(0, 64, 64, 16);
	struct buddy_page_info info;
	uint64_t pfn;

	CHECK(b != NULL);
	/* The first order-2 allocation fills the cache with a batch of four
	 * order-2 blocks; the one handed out goes back to it. */
	CHECK_EQ(buddy_alloc_pages(b, 2, NUMA_NO_NODE, &pfn), 0);
	CHECK_EQ(buddy_free_pages(b, pfn, 2), 0);
	CHECK_EQ(buddy_nr_cached(b, 0), 16);
	CHECK_EQ(buddy_page(b, pfn + 1, &info), 0);
	CHECK_EQ(info.state, BUDDY_PCP_TAIL);
	CHECK_EQ(buddy_alloc_contig_range(b, pfn + 1, pfn + 7), 0);
	CHECK_EQ(buddy_nr_cached(b, 0), 0);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 64 - 6);
	for (uint64_t p = pfn + 1; p < pfn + 7; p++) {
		CHECK_EQ(buddy_page(b, p, &info), 0);
		CHECK(info.state == BUDDY_ALLOC && info.order == 0 && info.refcount == 1);
	}
	CHECK(buddy_check(b) == NULL);
	CHECK_EQ(buddy_free_contig_range(b, pfn + 1, 6), 0);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 64);
	CHECK(buddy_check(b) == NULL);
	buddy_destroy(b);
}

/* pcp_batch 0: the cache still works, one block at a time: a refill takes
 * one block, and a cache past its high mark spills one. */
static void test_batch_zero(void)
{
	struct buddy *b = booted(0, 64, 2, 0);
	uint64_t pfn[4];

	CHECK(b != NULL);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(buddy_alloc_pages(b, 0, NUMA_NO_NODE, &pfn[i]), 0);
		CHECK_EQ(buddy_nr_cached(b, 0), 0); /* the one taken is the one used */
	}
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(buddy_free_pages(b, pfn[i], 0), 0);
		CHECK_EQ(buddy_nr_cached(b, 0), i < 2 ? (uint64_t)i + 1 : 2);
		CHECK(buddy_check(b) == NULL);
	}
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 64);
	buddy_destroy(b);
}

/* An instance that adopts back its own released backing while it has
 * allocated blocks: their bytes stay, they stay usable, free pages are
 * poisoned. */
static void test_readopt_with_allocations(void)
{
	struct buddy_config c;
	struct buddy *b;
	uint64_t pfn, other;
	unsigned char *p, *mem;

	buddy_default_config(&c, 0, 16);
	c.page_size = 256;
	c.pcp_high = 0;
	CHECK_EQ(buddy_create(&b, &c), 0);
	CHECK_EQ(buddy_add_memory(b, 0, 16, 0), 0);
	CHECK_EQ(buddy_free_boot_range(b, 0, 16), 0);
	CHECK_EQ(buddy_alloc_pages(b, 1, NUMA_NO_NODE, &pfn), 0);
	CHECK_EQ(buddy_alloc_pages(b, 0, NUMA_NO_NODE, &other), 0);
	CHECK_EQ(buddy_free_pages(b, other, 0), 0);
	p = buddy_page_ptr(b, pfn);
	memset(p, 0x3c, 2 * 256);
	mem = buddy_release_backing(b);
	CHECK(mem != NULL && buddy_page_ptr(b, pfn) == NULL);
	CHECK_EQ(buddy_adopt_backing(b, mem, 256), 0);
	CHECK(buddy_page_ptr(b, pfn) == p);
#ifdef MM_ASAN
	CHECK(!__asan_address_is_poisoned(p));
	CHECK(!__asan_address_is_poisoned(p + 511));
	CHECK(__asan_address_is_poisoned(buddy_page_ptr(b, other)));
#endif
	CHECK(p[0] == 0x3c && p[511] == 0x3c);
	CHECK(buddy_check(b) == NULL);
	CHECK_EQ(buddy_free_pages(b, pfn, 1), 0);
	buddy_destroy(b);
}

int main(void)
{
	test_create();
	test_queries();
	test_backing();
	test_backing_handover();
	test_null_out();
	test_contig_at_the_top();
	test_contig_over_cached_blocks();
	test_batch_zero();
	test_readopt_with_allocations();
	return check_summary("test_buddy");
}
