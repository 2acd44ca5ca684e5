/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of percpu's API edges the fuzz target does not reach: creation
 * and its bad configs, an out-of-memory sweep over an allocation that makes
 * a chunk, destroy with live objects, node-local pages through mm_machine,
 * unbacked memory, and the inline per_cpu_ptr.
 */
#include <string.h>

#include "check.h"
#include "machine.h"

/* A machine of `pages` 256-byte pages on `nodes` nodes (halves), cpus CPUs
 * on nodes cpu_node (NULL: cpu % nodes), units of 4 pages. */
static int boot(struct mm_machine **m, struct mm_meta *meta, unsigned pages, unsigned nodes,
		unsigned cpus, const int *cpu_node, bool backing)
{
	struct mm_range mem[2] = { { 0, pages * 256u / nodes, 0 },
				   { pages * 256u / nodes, pages * 256u / nodes, 1 } };
	struct mm_machine_config mc;

	mm_machine_default_config(&mc);
	mc.memory = mem;
	mc.nr_memory = nodes;
	mc.page_size = 256;
	mc.nr_cpus = cpus;
	mc.cpu_node = cpu_node;
	mc.pcp_high = 0;
	mc.backing = backing;
	mc.vmalloc_start = 0x100000;
	mc.vmalloc_size = 1 << 20;
	mc.percpu = true;
	mc.percpu_unit_pages = 4;
	mc.meta = meta;
	return mm_machine_boot(m, &mc);
}

static void test_create(void)
{
	struct mm_machine *m;
	struct percpu *pc;
	struct percpu_config c = { 2, NULL, 4, NULL, PERCPU_BEST_FIT };
	int bad_node[2] = { 0, 2 };
	struct mm_meta meta;

	CHECK_EQ(boot(&m, NULL, 64, 2, 2, NULL, true), 0);
	CHECK_EQ(percpu_create(NULL, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_EINVAL);
	CHECK_EQ(percpu_create(&pc, NULL, mm_machine_buddy(m), &c), -MM_EINVAL);
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), NULL, &c), -MM_EINVAL);
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), NULL), -MM_EINVAL);
	c.nr_cpus = 0;
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_EINVAL);
	c.nr_cpus = PERCPU_MAX_CPUS + 1;
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_EINVAL);
	c.nr_cpus = 2;
	c.cpu_node = bad_node; /* node 2 of a two-node machine */
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_EINVAL);
	bad_node[1] = NUMA_NO_NODE; /* a CPU needs a node of its own */
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_EINVAL);
	c.cpu_node = NULL;
	c.policy = (enum percpu_policy)7;
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_EINVAL);
	c.policy = PERCPU_FIRST_FIT;
	c.unit_pages = PERCPU_MAX_UNIT_SIZE / 256 + 1;
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_EINVAL);
	/* The default unit: PCPU_MIN_UNIT_SIZE worth of pages. */
	c.unit_pages = 0;
	mm_meta_init(&meta);
	c.meta = &meta;
	mm_meta_fail_at(&meta, 1, false);
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), -MM_ENOMEM);
	CHECK_EQ(meta.live, 0);
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), 0);
	{
		struct percpu_stats st;

		percpu_stats(pc, &st);
		CHECK_EQ(st.unit_bytes, PCPU_MIN_UNIT_SIZE);
		CHECK_EQ(st.units, 2);
		CHECK_EQ(percpu_unit_offsets(pc)[1], PCPU_MIN_UNIT_SIZE);
		CHECK_EQ(percpu_nr_slots(pc), 15 + 3); /* log2(32 KiB) + 3 */
	}
	percpu_destroy(pc);
	CHECK_EQ(meta.live, 0);
	mm_machine_destroy(m);

	/* Pages of 128 bytes are too small for a block of 64 granules. */
	{
		struct mm_range mem = { 0, 64 * 128, 0 };
		struct mm_machine_config mc;

		mm_machine_default_config(&mc);
		mc.memory = &mem;
		mc.nr_memory = 1;
		mc.page_size = 128;
		mc.vmalloc_start = 0x100000;
		mc.vmalloc_size = 1 << 20;
		mc.percpu = true;
		CHECK_EQ(mm_machine_boot(&m, &mc), -MM_EINVAL);
		mc.vmalloc_size = 0; /* percpu without vmalloc */
		mc.page_size = 256;
		CHECK_EQ(mm_machine_boot(&m, &mc), -MM_EINVAL);
	}
}

/* Fail each bookkeeping allocation of an alloc that makes a chunk: every
 * one must give -ENOMEM and leave nothing behind; then it succeeds. */
static void test_oom_sweep(void)
{
	struct mm_machine *m;
	struct mm_meta meta;
	struct percpu *pc;
	uint64_t ptr, live, k, free0;
	struct percpu_stats st;

	mm_meta_init(&meta);
	CHECK_EQ(boot(&m, &meta, 64, 1, 2, NULL, true), 0);
	pc = mm_machine_percpu(m);
	live = meta.live;
	free0 = buddy_nr_free(mm_machine_buddy(m), NUMA_NO_NODE);
	for (k = 1;; k++) {
		int rc;

		mm_meta_fail_at(&meta, k, false);
		rc = percpu_alloc(pc, 300, 4, &ptr);
		if (rc == 0)
			break;
		CHECK_EQ(rc, -MM_ENOMEM);
		/* Nothing of percpu's or vmalloc's stays; vmap may keep the
		 * spare area objects it took before the failure (it caches up
		 * to 4 for later calls). */
		CHECK(meta.live >= live && meta.live - live <= 4);
		percpu_stats(pc, &st);
		CHECK_EQ(st.chunks, 0);
		CHECK_EQ(buddy_nr_free(mm_machine_buddy(m), NUMA_NO_NODE), free0);
		CHECK(mm_machine_check(m) == NULL);
	}
	CHECK(k > 5); /* percpu's own five, then vmalloc's and vmap's */
	percpu_stats(pc, &st);
	CHECK_EQ(st.chunks, 1);
	CHECK_EQ(st.populated_bytes, 512);
	CHECK_EQ(buddy_nr_free(mm_machine_buddy(m), NUMA_NO_NODE), free0 - 4);
	mm_meta_fail_at(&meta, 0, false);
	mm_machine_destroy(m);
	CHECK_EQ(meta.live, 0);
}

/* Destroy with live objects gives everything back: a second instance
 * over the machine's vmalloc and buddy, destroyed on its own. */
static void test_destroy_live(void)
{
	struct percpu_config c = { 3, NULL, 4, NULL, PERCPU_BEST_FIT };
	struct mm_machine *m;
	struct mm_meta meta;
	struct percpu *pc;
	uint64_t ptr, live, s, n;

	mm_meta_init(&meta);
	CHECK_EQ(boot(&m, &meta, 128, 1, 3, NULL, true), 0);
	live = meta.live;
	c.meta = &meta;
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &c), 0);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(percpu_alloc(pc, 40 + 8 * (uint64_t)i, 8, &ptr), 0);
	CHECK(percpu_check(pc) == NULL);
	CHECK(buddy_nr_free(mm_machine_buddy(m), NUMA_NO_NODE) < 128);
	percpu_destroy(pc);
	CHECK_EQ(buddy_nr_free(mm_machine_buddy(m), NUMA_NO_NODE), 128);
	vmap_purge(mm_machine_vmap(m)); /* the chunks' areas were freed lazily */
	CHECK(meta.live >= live && meta.live - live <= 4); /* vmap's spare objects */
	CHECK_EQ(vmap_find(mm_machine_vmap(m), 0x100000, &s, &n), -MM_ENOENT);
	CHECK(mm_machine_check(m) == NULL);
	mm_machine_destroy(m);
	CHECK_EQ(meta.live, 0);
}

/* Each CPU's pages come from its node while that node has some. */
static void test_node_local(void)
{
	int cpu_node[4] = { 1, 0, 0, 0 };
	struct mm_machine *m;
	struct percpu *pc;
	struct percpu_stats st;
	uint64_t ptr, pfn;

	/* 64 pages on each node; CPUs 1-3 draw on node 0, CPU 0 on node 1. */
	CHECK_EQ(boot(&m, NULL, 128, 2, 4, cpu_node, true), 0);
	pc = mm_machine_percpu(m);
	CHECK_EQ(percpu_alloc(pc, 600, 4, &ptr), 0); /* pages 0-2 of 4 units */
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		struct buddy_page_info info;
		uint64_t addr;

		CHECK_EQ(percpu_ptr(pc, ptr, cpu, &addr), 0);
		CHECK_EQ(addr, per_cpu_ptr(percpu_unit_offsets(pc), ptr, cpu));
		CHECK_EQ(vmalloc_to_pfn(mm_machine_vmalloc(m), addr, &pfn), 0);
		CHECK_EQ(buddy_page(mm_machine_buddy(m), pfn, &info), 0);
		CHECK_EQ(info.nid, cpu_node[cpu]);
	}
	/* A page-sized object takes a page of each unit: 3 from node 0, 1
	 * from node 1. After 18 of them node 0 has 64 - 9 - 54 = 1 left... */
	for (int i = 0; i < 18; i++)
		CHECK_EQ(percpu_alloc(pc, 256, 256, &ptr), 0);
	percpu_stats(pc, &st);
	CHECK_EQ(st.off_node_pages, 0);
	/* ... so the 19th gives CPUs 2 and 3 pages of node 1. */
	CHECK_EQ(percpu_alloc(pc, 256, 256, &ptr), 0);
	percpu_stats(pc, &st);
	CHECK_EQ(st.off_node_pages, 2);
	CHECK_EQ(percpu_free(pc, ptr), 0);
	percpu_stats(pc, &st);
	CHECK_EQ(st.off_node_pages, 0);
	CHECK(mm_machine_check(m) == NULL);
	mm_machine_destroy(m);
}

/* Without backing memory nothing has a host address, and all else works. */
static void test_unbacked(void)
{
	struct mm_machine *m;
	struct percpu *pc;
	uint64_t ptr, addr;

	CHECK_EQ(boot(&m, NULL, 64, 1, 2, NULL, false), 0);
	pc = mm_machine_percpu(m);
	CHECK_EQ(percpu_alloc(pc, 64, 64, &ptr), 0);
	CHECK(percpu_host(pc, ptr, 0) == NULL);
	CHECK(percpu_host(pc, ptr, 2) == NULL);
	CHECK_EQ(percpu_ptr(pc, ptr + 63, 1, &addr), 0);
	CHECK_EQ(addr, ptr + 63 + 1024);
	CHECK_EQ(percpu_alloc(pc, 64, 64, NULL), -MM_EINVAL);
	CHECK_EQ(percpu_free(pc, ptr), 0);
	CHECK(mm_machine_check(m) == NULL);
	mm_machine_destroy(m);
}

/* With backing memory every CPU's copy is its own, and memory reused on a
 * page that stayed populated reads zero again. */
static void test_host_copies(void)
{
	struct mm_machine *m;
	struct percpu *pc;
	uint64_t keep, a, b;
	uint8_t *pa0, *pa1;

	CHECK_EQ(boot(&m, NULL, 64, 1, 2, NULL, true), 0);
	pc = mm_machine_percpu(m);
	CHECK_EQ(percpu_alloc(pc, 4, 4, &keep), 0); /* keeps page 0 populated */
	CHECK_EQ(percpu_alloc(pc, 16, 4, &a), 0);
	pa0 = percpu_host(pc, a, 0);
	pa1 = percpu_host(pc, a, 1);
	CHECK(pa0 && pa1 && pa0 != pa1);
	memset(pa0, 0xaa, 16);
	memset(pa1, 0xbb, 16);
	CHECK_EQ(*(uint8_t *)percpu_host(pc, keep, 0), 0);
	CHECK_EQ(percpu_free(pc, a), 0);
	CHECK_EQ(percpu_alloc(pc, 12, 4, &b), 0);
	CHECK_EQ(b, a);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		uint8_t *p = percpu_host(pc, b, cpu);

		for (int i = 0; i < 12; i++)
			CHECK_EQ(p[i], 0);
	}
	mm_machine_destroy(m);
}

/* More CPUs than buddy knows: buddy's map for the ones it has, cpu % nodes
 * for the rest; each unit's page comes from that node. */
static void test_cpus_beyond_buddy(void)
{
	struct percpu_config c = { 4, NULL, 4, NULL, PERCPU_BEST_FIT };
	struct mm_machine *m;
	struct percpu *pc;
	struct percpu_stats st;
	struct buddy *b;
	uint64_t ptr, addr, pfn;

	CHECK_EQ(boot(&m, NULL, 128, 2, 1, NULL, true), 0); /* buddy: one CPU */
	b = mm_machine_buddy(m);
	CHECK_EQ(buddy_cpu_node(b, 1), NUMA_NO_NODE);
	CHECK_EQ(percpu_create(&pc, mm_machine_vmalloc(m), b, &c), 0);
	CHECK_EQ(percpu_alloc(pc, 8, 8, &ptr), 0);
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		struct buddy_page_info info;

		CHECK_EQ(percpu_ptr(pc, ptr, cpu, &addr), 0);
		CHECK_EQ(vmalloc_to_pfn(mm_machine_vmalloc(m), addr, &pfn), 0);
		CHECK_EQ(buddy_page(b, pfn, &info), 0);
		CHECK_EQ(info.nid, (int)(cpu % 2));
	}
	percpu_stats(pc, &st);
	CHECK_EQ(st.off_node_pages, 0);
	CHECK_EQ(buddy_nr_free(b, 0), 64 - 2);
	CHECK_EQ(buddy_nr_free(b, 1), 64 - 2);
	/* percpu_ptr only to ask whether ptr is live: no output wanted. */
	CHECK_EQ(percpu_ptr(pc, ptr + 4, 3, NULL), 0);
	CHECK_EQ(percpu_ptr(pc, ptr + 8, 3, NULL), -MM_ENOENT);
	CHECK(percpu_check(pc) == NULL);
	percpu_destroy(pc);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), 128);
	mm_machine_destroy(m);
}

/* Run records are reserved one per allocation ahead of time; when the
 * allocations go, all but a few of the records go back. */
static void test_run_records_trimmed(void)
{
	struct mm_machine *m;
	struct mm_meta meta;
	struct percpu *pc;
	struct percpu_stats st;
	uint64_t ptr[48], before, peak;

	mm_meta_init(&meta);
	CHECK_EQ(boot(&m, &meta, 64, 1, 1, NULL, false), 0);
	pc = mm_machine_percpu(m);
	before = meta.live;
	for (int i = 0; i < 48; i++)
		CHECK_EQ(percpu_alloc(pc, 8, 4, &ptr[i]), 0);
	peak = meta.live;
	CHECK(peak - before >= 48); /* a record for every allocation */
	for (int i = 0; i < 48; i++)
		CHECK_EQ(percpu_free(pc, ptr[i]), 0);
	percpu_stats(pc, &st);
	CHECK_EQ(st.allocs, 0);
	CHECK_EQ(st.chunks, 1); /* the spare */
	CHECK(peak - meta.live >= 48 - 17); /* at most chunks + 16 records stay */
	CHECK(percpu_check(pc) == NULL);
	CHECK(mm_machine_check(m) == NULL);
	mm_machine_destroy(m);
	CHECK_EQ(meta.live, 0);
}

/* A page of a chunk's area that the caller mapped itself makes populating
 * it fail half-way: the pages that allocation populated go back, the page
 * it shares with an older allocation stays, and nothing else changes. */
static void test_populate_fails_midway(void)
{
	struct mm_machine *m;
	struct percpu *pc;
	struct vmalloc *v;
	struct buddy *b;
	struct percpu_stats st0, st;
	uint64_t keep, ptr = 0, foreign, addr, free0, pfn;

	CHECK_EQ(boot(&m, NULL, 64, 1, 2, NULL, true), 0);
	pc = mm_machine_percpu(m);
	v = mm_machine_vmalloc(m);
	b = mm_machine_buddy(m);
	CHECK_EQ(percpu_alloc(pc, 100, 4, &keep), 0); /* page 0 of both units */
	CHECK_EQ(buddy_alloc_pages(b, 0, NUMA_NO_NODE, &foreign), 0);
	addr = per_cpu_ptr(percpu_unit_offsets(pc), keep, 1) + 2 * 256; /* unit 1, page 2 */
	CHECK_EQ(vmalloc_map_page(v, addr, foreign), 0);
	percpu_stats(pc, &st0);
	free0 = buddy_nr_free(b, NUMA_NO_NODE);
	/* 600 bytes after the first 100: pages 0-2. Page 1 is populated in
	 * both units, page 2 in unit 0, then unit 1's page 2 is taken. */
	CHECK_EQ(percpu_alloc(pc, 600, 4, &ptr), -MM_ENOMEM);
	CHECK_EQ(ptr, 0);
	percpu_stats(pc, &st);
	CHECK(st.chunks == st0.chunks && st.allocs == st0.allocs &&
	      st.live_bytes == st0.live_bytes && st.populated_bytes == st0.populated_bytes &&
	      st.off_node_pages == st0.off_node_pages);
	CHECK_EQ(buddy_nr_free(b, NUMA_NO_NODE), free0);
	CHECK_EQ(vmalloc_to_pfn(v, keep + 256, NULL), -MM_ENOENT); /* page 1 went back */
	CHECK_EQ(vmalloc_to_pfn(v, keep, NULL), 0);                /* page 0 stayed */
	CHECK_EQ(vmalloc_unmap_page(v, addr, &pfn), 0);
	CHECK_EQ(pfn, foreign);
	CHECK(percpu_check(pc) == NULL);
	CHECK(mm_machine_check(m) == NULL);
	/* With the page out of the way the same allocation goes through. */
	CHECK_EQ(percpu_alloc(pc, 600, 4, &ptr), 0);
	CHECK_EQ(ptr, keep + 100);
	percpu_stats(pc, &st);
	CHECK_EQ(st.populated_bytes, 3 * 256);
	CHECK_EQ(buddy_free_pages(b, foreign, 0), 0);
	CHECK(mm_machine_check(m) == NULL);
	mm_machine_destroy(m);
}

int main(void)
{
	test_create();
	test_oom_sweep();
	test_destroy_live();
	test_node_local();
	test_unbacked();
	test_host_copies();
	test_cpus_beyond_buddy();
	test_run_records_trimmed();
	test_populate_fails_midway();
	return check_summary("test_percpu");
}
