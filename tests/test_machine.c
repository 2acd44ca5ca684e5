/* SPDX-License-Identifier: MIT */
/* Unit tests of mm_machine: boot from a memory map into memblock and buddy,
 * boot over a memblock the caller filled, kexec's arguments, and
 * out-of-memory sweeps over the whole boot. */
#include "check.h"
#include "machine.h"

/*
 *  0        0x4000      0x10000        0x20000   0x21000         0x40800
 *  |  node 0 |reserved|  node 0  | hole  |        node 1            |..|
 *            0x3000-0x5000                                      partial page
 */
static const struct mm_range memory[] = {
	{ 0x0, 0x10000, 0 },
	{ 0x21000, 0x1f800, 1 }, /* ends mid-page */
};
static const struct mm_range reserved[] = {
	{ 0x3000, 0x2000, 0 },
};

static void config(struct mm_machine_config *c, struct mm_meta *m)
{
	mm_machine_default_config(c);
	c->memory = memory;
	c->nr_memory = 2;
	c->reserved = reserved;
	c->nr_reserved = 1;
	c->pcp_high = 0;
	c->nr_cpus = 2;
	c->meta = m;
}

static int state(struct buddy *b, uint64_t pfn)
{
	struct buddy_page_info i;

	return buddy_page(b, pfn, &i) ? -1 : (int)i.state;
}

static bool is_free(struct buddy *b, uint64_t pfn)
{
	int s = state(b, pfn);

	return s == BUDDY_FREE || s == BUDDY_FREE_TAIL;
}

static void test_boot(void)
{
	struct mm_machine_config c;
	struct mm_machine *m;
	struct buddy *b;
	struct buddy_page_info i;

	config(&c, NULL);
	CHECK_EQ(mm_machine_boot(&m, &c), 0);
	CHECK(mm_machine_check(m) == NULL);
	b = mm_machine_buddy(m);
	CHECK_EQ(mm_machine_page_size(m), 4096);
	CHECK_EQ(buddy_start_pfn(b), 0);
	CHECK_EQ(buddy_end_pfn(b), 0x41); /* the partial page is in the span, a hole */
	CHECK(is_free(b, 0x2));
	CHECK_EQ(state(b, 0x3), BUDDY_RESERVED);
	CHECK_EQ(state(b, 0x4), BUDDY_RESERVED);
	CHECK(is_free(b, 0x5));
	CHECK_EQ(state(b, 0x10), BUDDY_HOLE);
	CHECK_EQ(state(b, 0x20), BUDDY_HOLE);
	CHECK(is_free(b, 0x21));
	CHECK(is_free(b, 0x3f));
	CHECK_EQ(state(b, 0x40), BUDDY_HOLE);
	CHECK_EQ(buddy_page(b, 0x21, &i), 0);
	CHECK_EQ(i.nid, 1);
	CHECK_EQ(buddy_nr_free(b, 0), 16 - 2);
	CHECK_EQ(buddy_nr_free(b, 1), 0x40 - 0x21);
	CHECK(memblock_is_region_reserved(mm_machine_memblock(m), 0x3000, 1));
	mm_machine_destroy(m);
	mm_machine_destroy(NULL);
}

static void test_bad_maps(void)
{
	struct mm_machine_config c;
	struct mm_machine *m;
	struct mm_range bad = { 0, 0x10000, BUDDY_MAX_NODES };

	config(&c, NULL);
	c.nr_memory = 0;
	CHECK_EQ(mm_machine_boot(&m, &c), -MM_EINVAL); /* no memory */
	config(&c, NULL);
	c.memory = &bad;
	c.nr_memory = 1;
	CHECK_EQ(mm_machine_boot(&m, &c), -MM_EINVAL);
	config(&c, NULL);
	c.page_size = 3000;
	CHECK_EQ(mm_machine_boot(&m, &c), -MM_EINVAL);
	CHECK_EQ(mm_machine_boot(NULL, &c), -MM_EINVAL);
	bad.nid = NUMA_NO_NODE; /* a map names its nodes */
	config(&c, NULL);
	c.memory = &bad;
	c.nr_memory = 1;
	CHECK_EQ(mm_machine_boot(&m, &c), -MM_EINVAL);
	/* no whole page */
	bad = (struct mm_range){ 0x100, 0x200, 0 };
	CHECK_EQ(mm_machine_boot(&m, &c), -MM_EINVAL);
	/* a vmalloc range past the end of the address space */
	config(&c, NULL);
	c.vmalloc_start = UINT64_MAX - 0xfff;
	c.vmalloc_size = 0x2000;
	CHECK_EQ(mm_machine_boot(&m, &c), -MM_EINVAL);
}

/* Zeros in the config take the documented defaults. */
static void test_defaults(void)
{
	struct mm_machine_config c;
	struct mm_machine *m;
	struct percpu_stats st;

	config(&c, NULL);
	c.page_size = 0;
	c.section_shift = 0;
	c.nr_cpus = 0;
	c.vmalloc_start = 0x100000000ull;
	c.vmalloc_size = 0x1000000;
	c.percpu = true;
	CHECK_EQ(mm_machine_boot(&m, &c), 0);
	CHECK_EQ(mm_machine_page_size(m), 4096);
	CHECK_EQ(buddy_set_cpu(mm_machine_buddy(m), 1), -MM_EINVAL); /* one CPU */
	percpu_stats(mm_machine_percpu(m), &st);
	CHECK_EQ(st.unit_bytes, PCPU_MIN_UNIT_SIZE);
	CHECK(mm_machine_check(m) == NULL);
	mm_machine_destroy(m);
}

/* memblock as firmware and early code leave it: the map above, pfn 0x30
 * NOMAP. */
static struct memblock *filled_memblock(struct mm_meta *meta)
{
	struct memblock_config mc = { .memory_cap = 2, .reserved_cap = 2, .meta = meta };
	struct memblock *mb = NULL;

	CHECK_EQ(memblock_create(&mb, &mc), 0);
	CHECK_EQ(memblock_add_node(mb, 0x0, 0x10000, 0, MEMBLOCK_NONE), 0);
	CHECK_EQ(memblock_add_node(mb, 0x21000, 0x1f800, 1, MEMBLOCK_NONE), 0);
	CHECK_EQ(memblock_reserve(mb, 0x3000, 0x2000), 0);
	CHECK_EQ(memblock_mark_nomap(mb, 0x30000, 0x1000), 0);
	return mb;
}

static void test_boot_memblock(void)
{
	struct mm_machine_config c;
	struct mm_machine *m = NULL;
	struct memblock *mb = filled_memblock(NULL), *empty = NULL;
	struct memblock_config mc = { .memory_cap = 2, .reserved_cap = 2, .meta = NULL };
	struct buddy *b;

	config(&c, NULL);
	c.memory = NULL; /* not read */
	c.nr_memory = 0;
	CHECK_EQ(mm_machine_boot_memblock(NULL, &c, mb), -MM_EINVAL);
	CHECK_EQ(mm_machine_boot_memblock(&m, NULL, mb), -MM_EINVAL);
	CHECK_EQ(mm_machine_boot_memblock(&m, &c, NULL), -MM_EINVAL);
	c.page_size = 3000;
	CHECK_EQ(mm_machine_boot_memblock(&m, &c, mb), -MM_EINVAL);
	c.page_size = 4096;
	/* No memory: refused, and the memblock is still the caller's. */
	CHECK_EQ(memblock_create(&empty, &mc), 0);
	CHECK_EQ(memblock_reserve(empty, 0x1000, 0x1000), 0);
	CHECK_EQ(mm_machine_boot_memblock(&m, &c, empty), -MM_EINVAL);
	CHECK_EQ(memblock_region_count(empty, MEMBLOCK_RESERVED), 1);
	CHECK(memblock_check(empty) == NULL);
	memblock_destroy(empty);

	CHECK_EQ(mm_machine_boot_memblock(&m, &c, mb), 0);
	CHECK(mm_machine_memblock(m) == mb);
	CHECK(mm_machine_check(m) == NULL);
	b = mm_machine_buddy(m);
	CHECK_EQ(buddy_end_pfn(b), 0x41);
	CHECK_EQ(state(b, 0x4), BUDDY_RESERVED);
	CHECK_EQ(state(b, 0x30), BUDDY_RESERVED); /* NOMAP: a page, never free */
	CHECK(is_free(b, 0x31));
	CHECK_EQ(buddy_nr_free(b, 1), 0x40 - 0x21 - 1);
	mm_machine_destroy(m); /* the memblock with it */
}

/* Each bookkeeping allocation of a boot over memblock, failed: -ENOMEM,
 * the memblock as it was, nothing else left behind. */
static void test_boot_memblock_oom_sweep(void)
{
	struct mm_machine_config c;
	struct mm_machine *m;
	struct mm_meta meta;
	struct memblock *mb;
	uint64_t k, calls, live;

	mm_meta_init(&meta);
	mb = filled_memblock(&meta);
	live = meta.live;
	config(&c, &meta);
	c.nr_memory = 0;
	c.backing = true;
	calls = meta.calls;
	CHECK_EQ(mm_machine_boot_memblock(&m, &c, mb), 0);
	calls = meta.calls - calls;
	mm_machine_destroy(m);
	CHECK_EQ(meta.live, 0);
	CHECK(calls >= 4);
	mb = filled_memblock(&meta);
	for (k = 1; k <= calls; k++) {
		mm_meta_fail_at(&meta, k, false);
		CHECK_EQ(mm_machine_boot_memblock(&m, &c, mb), -MM_ENOMEM);
		CHECK_EQ(meta.live, live);
		CHECK_EQ(memblock_region_count(mb, MEMBLOCK_MEMORY), 4);
		CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 1);
		CHECK(memblock_check(mb) == NULL);
	}
	mm_meta_fail_at(&meta, 0, false);
	CHECK_EQ(mm_machine_boot_memblock(&m, &c, mb), 0);
	mm_machine_destroy(m);
	CHECK_EQ(meta.live, 0);
}

/* kexec to a map of as many ranges as the old one, each differing in one
 * way: base, size, node. */
static void test_kexec_other_memory(void)
{
	static const struct mm_range ranges[3][2] = {
		{ { 0x1000, 0xf000, 0 }, { 0x21000, 0x1f800, 1 } },
		{ { 0x0, 0x11000, 0 }, { 0x21000, 0x1f800, 1 } },
		{ { 0x0, 0x10000, 0 }, { 0x21000, 0x1f800, 0 } },
	};
	struct mm_machine_config c, d;
	struct mm_machine *old, *next = NULL;
	int kho_rc = 1;

	config(&c, NULL);
	CHECK_EQ(mm_machine_boot(&old, &c), 0);
	for (int k = 0; k < 3; k++) {
		d = c;
		d.memory = ranges[k];
		CHECK_EQ(mm_machine_kexec(&next, &d, old, NULL, 0, &kho_rc), -MM_EINVAL);
	}
	CHECK(next == NULL);
	CHECK_EQ(kho_rc, 1);
	CHECK(mm_machine_check(old) == NULL);
	mm_machine_destroy(old);
}

/* kexec's arguments; with no memory ranges, the next machine takes the old
 * one's memory as its memblock has it, NOMAP included. */
static void test_kexec(void)
{
	struct mm_machine_config c, d;
	struct mm_machine *old = NULL, *next = NULL;
	struct mm_range other = { 0x0, 0x20000, 0 };
	int kho_rc = 1;

	config(&c, NULL);
	c.nr_memory = 0;
	CHECK_EQ(mm_machine_boot_memblock(&old, &c, filled_memblock(NULL)), 0);
	CHECK_EQ(mm_machine_kexec(NULL, &c, old, NULL, 0, &kho_rc), -MM_EINVAL);
	CHECK_EQ(mm_machine_kexec(&next, NULL, old, NULL, 0, &kho_rc), -MM_EINVAL);
	CHECK_EQ(mm_machine_kexec(&next, &c, NULL, NULL, 0, &kho_rc), -MM_EINVAL);
	CHECK_EQ(mm_machine_kexec(&next, &c, old, NULL, 0, NULL), -MM_EINVAL);
	d = c;
	d.page_size = 3000;
	CHECK_EQ(mm_machine_kexec(&next, &d, old, NULL, 0, &kho_rc), -MM_EINVAL);
	d.page_size = 8192; /* not the old machine's */
	CHECK_EQ(mm_machine_kexec(&next, &d, old, NULL, 0, &kho_rc), -MM_EINVAL);
	d = c;
	d.memory = &other; /* not the same memory */
	d.nr_memory = 1;
	CHECK_EQ(mm_machine_kexec(&next, &d, old, NULL, 0, &kho_rc), -MM_EINVAL);
	CHECK(next == NULL);
	CHECK(mm_machine_check(old) == NULL);

	CHECK_EQ(mm_machine_kexec(&next, &c, old, NULL, 0, &kho_rc), 0);
	CHECK_EQ(kho_rc, 0);
	CHECK_EQ(memblock_region_count(mm_machine_memblock(next), MEMBLOCK_MEMORY), 4);
	CHECK_EQ(memblock_region(mm_machine_memblock(next), MEMBLOCK_MEMORY, 2)->flags,
		 MEMBLOCK_NOMAP);
	CHECK_EQ(state(mm_machine_buddy(next), 0x30), BUDDY_RESERVED);
	CHECK(is_free(mm_machine_buddy(next), 0x31));
	CHECK(mm_machine_check(next) == NULL);
	mm_machine_destroy(next);
}

/* Fail each bookkeeping allocation of the boot in turn. */
static void test_boot_oom_sweep(void)
{
	struct mm_machine_config c;
	struct mm_machine *m;
	struct mm_meta meta;
	uint64_t k, calls;

	mm_meta_init(&meta);
	config(&c, &meta);
	c.backing = true;
	CHECK_EQ(mm_machine_boot(&m, &c), 0);
	calls = meta.calls;
	mm_machine_destroy(m);
	CHECK(calls >= 6);
	for (k = 1; k <= calls; k++) {
		mm_meta_fail_at(&meta, k, false);
		CHECK_EQ(mm_machine_boot(&m, &c), -MM_ENOMEM);
		CHECK_EQ(meta.live, 0);
	}
	mm_meta_fail_at(&meta, calls + 1, false);
	CHECK_EQ(mm_machine_boot(&m, &c), 0);
	mm_machine_destroy(m);
	CHECK_EQ(meta.live, 0);
}

int main(void)
{
	test_boot();
	test_bad_maps();
	test_boot_oom_sweep();
	test_defaults();
	test_boot_memblock();
	test_boot_memblock_oom_sweep();
	test_kexec();
	test_kexec_other_memory();
	return check_summary("test_machine");
}
