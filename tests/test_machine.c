/* SPDX-License-Identifier: MIT */
/* Unit tests of mm_machine: boot from a memory map into memblock and buddy,
 * and an out-of-memory sweep over the whole boot. */
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
	return check_summary("test_machine");
}
