/* SPDX-License-Identifier: MIT */
/* memblock_check must catch each broken invariant: one at a time, on a
 * healthy instance, with the check's exact message (see test_check_buddy). */
#include <string.h>

#include "check.h"
#include "memblock.c"

static struct memblock *mb;

#define BREAKS(msg, breakit, mendit)                                             \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = memblock_check(mb);                                       \
		CHECK(got_ && !strcmp(got_, msg));                               \
		if (got_ && strcmp(got_, msg))                                   \
			fprintf(stderr, "  expected '%s', got '%s'\n", msg, got_); \
		mendit;                                                          \
		CHECK(memblock_check(mb) == NULL);                               \
	} while (0)

int main(void)
{
	struct mb_type *m, *r;
	struct memblock_region *g;

	/* memory: [0x1000, 0x2000) nid 0, [0x2000, 0x3000) nid 1, [0x5000,
	 * 0x6000) nid 0; reserved: [0x1000, 0x1800). */
	CHECK_EQ(memblock_create(&mb, NULL), 0);
	CHECK_EQ(memblock_add_node(mb, 0x1000, 0x1000, 0, 0), 0);
	CHECK_EQ(memblock_add_node(mb, 0x2000, 0x1000, 1, 0), 0);
	CHECK_EQ(memblock_add_node(mb, 0x5000, 0x1000, 0, 0), 0);
	CHECK_EQ(memblock_reserve(mb, 0x1000, 0x800), 0);
	CHECK(memblock_check(mb) == NULL);
	m = &mb->type[MEMBLOCK_MEMORY];
	r = &mb->type[MEMBLOCK_RESERVED];
	g = m->regions;

	BREAKS("cnt exceeds max", m->cnt = m->max + 1, m->cnt = 3);
	BREAKS("region of size 0", (g[2].size = 0, m->total_size -= 0x1000),
	       (g[2].size = 0x1000, m->total_size += 0x1000));
	BREAKS("region runs past the top of the address space",
	       (g[2].base = UINT64_MAX - 0x10, g[2].size = 0x1000),
	       (g[2].base = 0x5000, g[2].size = 0x1000));
	BREAKS("region has unknown flags", g[0].flags = 0x100, g[0].flags = 0);
	BREAKS("reserved region has flags", r->regions[0].flags = MEMBLOCK_NOMAP,
	       r->regions[0].flags = 0);
	BREAKS("region has an invalid nid", g[0].nid = 99, g[0].nid = 0);
	BREAKS("regions out of order", g[1].base = 0x1000, g[1].base = 0x2000);
	BREAKS("regions overlap", g[1].base = 0x1800, g[1].base = 0x2000);
	BREAKS("touching regions with the same nid and flags not merged", g[1].nid = 0,
	       g[1].nid = 1);
	BREAKS("total_size differs from the sum of region sizes", m->total_size++,
	       m->total_size--);
	{
		struct memblock_region *keep = m->regions;

		BREAKS("region array missing", m->regions = NULL, m->regions = keep);
		BREAKS("region array missing", r->max = 0, r->max = 128);
	}
	memblock_destroy(mb);
	return check_summary("test_check_memblock");
}
