/* SPDX-License-Identifier: MIT */
/*
 * bridge.h - the kernel's memblock, as plain functions over plain types.
 *
 * bridge.c compiles a kernel tree's mm/memblock.c inside itself (with the
 * stub headers of that tree's tools/testing/memblock) and exposes it here.
 * Nothing in this header comes from either side's headers, so that the
 * mmstack side (shim.c) and the kernel side never see each other's types.
 * Addresses are physical; 0 from an allocation means nothing was found.
 */
#ifndef MMSTACK_FUZZ_MEMBLOCK_KERNEL_BRIDGE_H
#define MMSTACK_FUZZ_MEMBLOCK_KERNEL_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kb_region {
	uint64_t base;
	uint64_t size;
	uint32_t flags;
	int nid;
};

/* The global memblock as at boot: both arrays empty and static, default
 * policy, no mirror seen; kernelcore=mirror when mirror. Arrays may grow
 * (memblock_allow_resize() has run). */
void kb_reset(bool mirror);
/* Host buffers that back arrays memblock placed in its own memory. */
void kb_release(void);

int kb_add(uint64_t base, uint64_t size);
int kb_add_node(uint64_t base, uint64_t size, int nid, uint32_t flags);
int kb_reserve(uint64_t base, uint64_t size);
int kb_remove(uint64_t base, uint64_t size);
int kb_phys_free(uint64_t base, uint64_t size);
int kb_mark_hotplug(uint64_t base, uint64_t size);
int kb_clear_hotplug(uint64_t base, uint64_t size);
int kb_mark_mirror(uint64_t base, uint64_t size);
int kb_mark_nomap(uint64_t base, uint64_t size);
int kb_clear_nomap(uint64_t base, uint64_t size);
/* type 0: memory, 1: reserved. */
int kb_set_node(uint64_t base, uint64_t size, int type, int nid);
void kb_trim_memory(uint64_t align);
/* Fences (see shim.c): take out the memory regions whose base rounds up
 * past 2^64 (as the array's own remove does: no isolation, no growth);
 * memory.total_size := the sum of the memory regions. */
void kb_drop_wrapping(uint64_t align);
void kb_resync_memory_total(void);

void kb_set_current_limit(uint64_t limit);
uint64_t kb_get_current_limit(void);
void kb_set_bottom_up(bool enable);
bool kb_bottom_up(void);

uint64_t kb_alloc_range_nid(uint64_t size, uint64_t align, uint64_t start, uint64_t end,
			    int nid, bool exact_nid);
uint64_t kb_alloc_try_nid_raw(uint64_t size, uint64_t align, uint64_t min_addr,
			      uint64_t max_addr, int nid);
uint64_t kb_alloc_exact_nid_raw(uint64_t size, uint64_t align, uint64_t min_addr,
				uint64_t max_addr, int nid);

bool kb_is_memory(uint64_t addr);
bool kb_is_region_reserved(uint64_t base, uint64_t size);
uint64_t kb_phys_mem_size(void);
uint64_t kb_reserved_size(void);
uint64_t kb_start_of_DRAM(void);
uint64_t kb_end_of_DRAM(void);

size_t kb_count(int type);
size_t kb_max(int type);
/* The capacity a type starts with. */
size_t kb_init_max(int type);
void kb_region(int type, size_t i, struct kb_region *out);
/* for_each_free_mem_range(nid, MEMBLOCK_NONE) one step at a time: start
 * with *iter = 0; false when there are no more. */
bool kb_next_free_range(int nid, uint64_t *iter, uint64_t *start, uint64_t *end,
			int *out_nid);

/* The kernel build's constants, for the model's kernel profile. */
int kb_max_numnodes(void);
uint64_t kb_smp_cache_bytes(void);

#endif
