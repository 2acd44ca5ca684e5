// SPDX-License-Identifier: MIT
/*
 * bridge.c - a kernel tree's mm/memblock.c, built into the fuzz harness.
 *
 * The build (fuzz/meson.build) links DIR/mm/memblock.c into the build
 * directory as kernel/memblock.c, beside the stub headers of
 * DIR/tools/testing/memblock, and compiles this file with the include path
 * and defines of that directory's Makefile (NUMA on). This file includes the
 * kernel's memblock.c whole, so that it can reset the file's private state
 * between inputs, and exposes it through bridge.h.
 *
 * Two things differ from tools/testing/memblock, both needed to run
 * arbitrary op sequences rather than tests written for the simulator:
 *  - Physical memory is simulated. The kernel writes a grown region array
 *    to __va(addr) of the range it found; here __va() hands out a fresh
 *    host buffer for it (and __pa() maps that back to addr), so that any
 *    address the fuzzer invents can hold an array.
 *  - kmalloc()/kfree() are plain malloc()/free() (no liburcu): memblock
 *    only calls them after slab is up, which never happens here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mm.h>

/* The backing of simulated physical memory, one block per array placed. */
#define KB_BLOCKS 64
#define KB_BLOCK_BYTES (256u * 1024u)

static struct {
	unsigned long phys;
	void *host;
} kb_block[KB_BLOCKS];
static int kb_nblocks;

/*
 * Each array the kernel places gets fresh storage, even at a physical
 * address an earlier array used: simulated memory never aliases. (On a
 * machine it would, if a caller freed the range that holds a live array and
 * a later array or allocation took it: see docs/kernel-findings.md.)
 */
static void *kb_va(unsigned long phys)
{
	if (kb_nblocks == KB_BLOCKS)
		abort();
	kb_block[kb_nblocks].phys = phys;
	kb_block[kb_nblocks].host = calloc(1, KB_BLOCK_BYTES);
	if (!kb_block[kb_nblocks].host)
		abort();
	return kb_block[kb_nblocks++].host;
}

static unsigned long kb_pa(const void *p)
{
	for (int i = 0; i < kb_nblocks; i++)
		if (kb_block[i].host == p)
			return kb_block[i].phys;
	return (unsigned long)(uintptr_t)p;
}

/* The kernel's messages (printk and pr_* are printf in the stubs) go to
 * stderr: stdout carries the tool's traces (--print, --shrink). */
#include <stdio.h>
#define printf(...) fprintf(stderr, __VA_ARGS__)

#undef __va
#undef __pa
#define __va(x) kb_va((unsigned long)(x))
#define __pa(x) kb_pa(x)

#include "memblock.c"

#include "bridge.h"

/* What tools/testing/memblock's tests/common.c defines for the stubs. */
bool movable_node_enabled;

void *kmalloc(size_t size, gfp_t gfp)
{
	void *p = malloc(size);

	if (p && (gfp & __GFP_ZERO))
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	free(p);
}

void kb_release(void)
{
	for (int i = 0; i < kb_nblocks; i++)
		free(kb_block[i].host);
	kb_nblocks = 0;
}

void kb_reset(bool mirror)
{
	kb_release();
	memset(memblock_memory_init_regions, 0, sizeof(memblock_memory_init_regions));
	memset(memblock_reserved_init_regions, 0, sizeof(memblock_reserved_init_regions));
	memblock.memory.regions = memblock_memory_init_regions;
	memblock.memory.cnt = 0;
	memblock.memory.max = INIT_MEMBLOCK_MEMORY_REGIONS;
	memblock.memory.total_size = 0;
	memblock.reserved.regions = memblock_reserved_init_regions;
	memblock.reserved.cnt = 0;
	memblock.reserved.max = INIT_MEMBLOCK_RESERVED_REGIONS;
	memblock.reserved.total_size = 0;
	memblock.bottom_up = false;
	memblock.current_limit = MEMBLOCK_ALLOC_ANYWHERE;
	memblock_memory_in_slab = 0;
	memblock_reserved_in_slab = 0;
	system_has_some_mirror = false;
	mirrored_kernelcore = mirror;
	movable_node_enabled = false;
	memblock_can_resize = 0;
	memblock_allow_resize();
}

int kb_add(uint64_t base, uint64_t size)
{
	return memblock_add(base, size);
}

int kb_add_node(uint64_t base, uint64_t size, int nid, uint32_t flags)
{
	return memblock_add_node(base, size, nid, (enum memblock_flags)flags);
}

int kb_reserve(uint64_t base, uint64_t size)
{
	return memblock_reserve(base, size);
}

int kb_remove(uint64_t base, uint64_t size)
{
	return memblock_remove(base, size);
}

int kb_phys_free(uint64_t base, uint64_t size)
{
	return memblock_phys_free(base, size);
}

int kb_mark_hotplug(uint64_t base, uint64_t size)
{
	return memblock_mark_hotplug(base, size);
}

int kb_clear_hotplug(uint64_t base, uint64_t size)
{
	return memblock_clear_hotplug(base, size);
}

int kb_mark_mirror(uint64_t base, uint64_t size)
{
	return memblock_mark_mirror(base, size);
}

int kb_mark_nomap(uint64_t base, uint64_t size)
{
	return memblock_mark_nomap(base, size);
}

int kb_clear_nomap(uint64_t base, uint64_t size)
{
	return memblock_clear_nomap(base, size);
}

int kb_set_node(uint64_t base, uint64_t size, int type, int nid)
{
	return memblock_set_node(base, size, type ? &memblock.reserved : &memblock.memory, nid);
}

void kb_trim_memory(uint64_t align)
{
	memblock_trim_memory(align);
}

void kb_drop_wrapping(uint64_t align)
{
	for (unsigned long i = memblock.memory.cnt; i-- > 0;) {
		phys_addr_t b = memblock.memory.regions[i].base;

		if (round_up(b, align) < b)
			memblock_remove_region(&memblock.memory, i);
	}
}

void kb_resync_memory_total(void)
{
	phys_addr_t sum = 0;

	for (unsigned long i = 0; i < memblock.memory.cnt; i++)
		sum += memblock.memory.regions[i].size;
	memblock.memory.total_size = sum;
}

void kb_set_current_limit(uint64_t limit)
{
	memblock_set_current_limit(limit);
}

uint64_t kb_get_current_limit(void)
{
	return memblock_get_current_limit();
}

void kb_set_bottom_up(bool enable)
{
	memblock_set_bottom_up(enable);
}

bool kb_bottom_up(void)
{
	return memblock_bottom_up();
}

uint64_t kb_alloc_range_nid(uint64_t size, uint64_t align, uint64_t start, uint64_t end,
			    int nid, bool exact_nid)
{
	return memblock_alloc_range_nid(size, align, start, end, nid, exact_nid);
}

/* The _raw variants: the others write zeroes to the block found. */
uint64_t kb_alloc_try_nid_raw(uint64_t size, uint64_t align, uint64_t min_addr,
			      uint64_t max_addr, int nid)
{
	return (uint64_t)(uintptr_t)memblock_alloc_try_nid_raw(size, align, min_addr, max_addr,
								nid);
}

uint64_t kb_alloc_exact_nid_raw(uint64_t size, uint64_t align, uint64_t min_addr,
				uint64_t max_addr, int nid)
{
	return (uint64_t)(uintptr_t)memblock_alloc_exact_nid_raw(size, align, min_addr,
								  max_addr, nid);
}

bool kb_is_memory(uint64_t addr)
{
	return memblock_is_memory(addr);
}

bool kb_is_region_reserved(uint64_t base, uint64_t size)
{
	return memblock_is_region_reserved(base, size);
}

uint64_t kb_phys_mem_size(void)
{
	return memblock_phys_mem_size();
}

uint64_t kb_reserved_size(void)
{
	return memblock_reserved_size();
}

uint64_t kb_start_of_DRAM(void)
{
	return memblock_start_of_DRAM();
}

uint64_t kb_end_of_DRAM(void)
{
	return memblock_end_of_DRAM();
}

static struct memblock_type *kb_type(int type)
{
	return type ? &memblock.reserved : &memblock.memory;
}

size_t kb_count(int type)
{
	return kb_type(type)->cnt;
}

size_t kb_max(int type)
{
	return kb_type(type)->max;
}

size_t kb_init_max(int type)
{
	return type ? INIT_MEMBLOCK_RESERVED_REGIONS : INIT_MEMBLOCK_MEMORY_REGIONS;
}

void kb_region(int type, size_t i, struct kb_region *out)
{
	const struct memblock_region *r = &kb_type(type)->regions[i];

	out->base = r->base;
	out->size = r->size;
	out->flags = r->flags;
	out->nid = memblock_get_region_node(r);
}

bool kb_next_free_range(int nid, uint64_t *iter, uint64_t *start, uint64_t *end,
			int *out_nid)
{
	u64 i = *iter;
	phys_addr_t s = 0, e = 0;
	int n = NUMA_NO_NODE;

	if (i == (u64)ULLONG_MAX)
		return false;
	__next_mem_range(&i, nid, MEMBLOCK_NONE, &memblock.memory, &memblock.reserved, &s, &e,
			 &n);
	*iter = i;
	if (i == (u64)ULLONG_MAX)
		return false;
	*start = s;
	*end = e;
	*out_nid = n;
	return true;
}

int kb_max_numnodes(void)
{
	return MAX_NUMNODES;
}

uint64_t kb_smp_cache_bytes(void)
{
	return SMP_CACHE_BYTES;
}
