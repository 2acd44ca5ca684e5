// SPDX-License-Identifier: MIT
/*
 * shim.c - lib/memblock.h's API on the kernel's memblock (bridge.h), so
 * that fuzz/memblock/target.c, the model and the comparison run unchanged
 * against the kernel's mm/memblock.c (built with rename.h forced in).
 *
 * The kernel trusts its callers: it has no argument checks. The checks of
 * lib/memblock.h's contract (nid range, flags outside the mask, type,
 * trim align, allocation align) are made here, before the kernel is called,
 * so that bad input from the fuzzer never reaches code that was never meant
 * to see it; everything else goes to the kernel as is. Its results are
 * mapped to mmstack's: an allocation that returns 0 is -MM_ENOMEM.
 *
 * There is one kernel memblock (a global): one instance at a time.
 *
 * Known findings (docs/kernel-findings.md) that would end every fuzzing run
 * at once are fenced off here (kernel_fenced): in the fuzzing builds, so
 * that a campaign looks for new ones, and for every input but a trace in
 * the replay tool. The replay tool runs traces unfenced: each finding's
 * trace in regress/memblock shows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memblock.h"

#include "bridge.h"

struct memblock {
	bool live;
};

static struct memblock the_instance;

bool kernel_fenced = true;

#define MAX_REGIONS 8192
static struct memblock_region copy[2][MAX_REGIONS];

static bool nid_ok(int nid)
{
	return nid >= NUMA_NO_NODE && nid < MEMBLOCK_MAX_NUMNODES;
}

static bool type_ok(enum memblock_type_id type)
{
	return type == MEMBLOCK_MEMORY || type == MEMBLOCK_RESERVED;
}

/* The kernel's errno values are the same numbers as mmstack's. */
static int rc(int kernel_rc)
{
	return kernel_rc;
}

int memblock_create(struct memblock **out, const struct memblock_config *cfg)
{
	if (!out || the_instance.live)
		return -MM_EINVAL;
	kb_reset(cfg && cfg->mirrored_kernelcore);
	the_instance.live = true;
	*out = &the_instance;
	return 0;
}

void memblock_destroy(struct memblock *mb)
{
	if (!mb)
		return;
	kb_release();
	mb->live = false;
}

int memblock_add_node(struct memblock *mb, uint64_t base, uint64_t size, int nid,
		      uint32_t flags)
{
	(void)mb;
	if (!nid_ok(nid) || (flags & ~MEMBLOCK_FLAGS_MASK))
		return -MM_EINVAL;
	return rc(kb_add_node(base, size, nid, flags));
}

#define RANGE_FN(name)                                                            \
	int memblock_##name(struct memblock *mb, uint64_t base, uint64_t size)   \
	{                                                                         \
		(void)mb;                                                         \
		return rc(kb_##name(base, size));                                 \
	}
RANGE_FN(add)
RANGE_FN(reserve)
RANGE_FN(remove)
RANGE_FN(phys_free)
RANGE_FN(mark_hotplug)
RANGE_FN(clear_hotplug)
RANGE_FN(mark_mirror)
RANGE_FN(mark_nomap)
RANGE_FN(clear_nomap)

int memblock_set_node(struct memblock *mb, uint64_t base, uint64_t size,
		      enum memblock_type_id type, int nid)
{
	(void)mb;
	if (!type_ok(type) || !nid_ok(nid))
		return -MM_EINVAL;
	return rc(kb_set_node(base, size, (int)type, nid));
}

int memblock_trim_memory(struct memblock *mb, uint64_t align)
{
	(void)mb;
	if (!mm_is_pow2(align))
		return -MM_EINVAL;
	/* Finding 3: a region whose base rounds up past 2^64 becomes
	 * [0, round_down(end)) instead of going away. Take such regions out
	 * first, as the trim should (straight out of the array: a remove
	 * could need to grow it). */
	if (kernel_fenced)
		kb_drop_wrapping(align);
	kb_trim_memory(align);
	/* Finding 2: trimming leaves memory.total_size as it was. */
	if (kernel_fenced)
		kb_resync_memory_total();
	return 0;
}

void memblock_set_current_limit(struct memblock *mb, uint64_t limit)
{
	(void)mb;
	kb_set_current_limit(limit);
}

uint64_t memblock_get_current_limit(const struct memblock *mb)
{
	(void)mb;
	return kb_get_current_limit();
}

void memblock_set_bottom_up(struct memblock *mb, bool enable)
{
	(void)mb;
	kb_set_bottom_up(enable);
}

bool memblock_bottom_up(const struct memblock *mb)
{
	(void)mb;
	return kb_bottom_up();
}

/* Size 0 and align 0 go to the kernel: what it does with them is part of
 * the kernel profile (fuzz/memblock/model.c). */
static bool alloc_args_ok(uint64_t align, int nid, uint64_t *addr)
{
	return addr && (!align || mm_is_pow2(align)) && nid_ok(nid);
}

static int found(uint64_t a, uint64_t *addr)
{
	if (!a)
		return -MM_ENOMEM;
	*addr = a;
	return 0;
}

int memblock_phys_alloc_range(struct memblock *mb, uint64_t size, uint64_t align,
			      uint64_t start, uint64_t end, int nid, bool exact_nid,
			      uint64_t *addr)
{
	(void)mb;
	if (!alloc_args_ok(align, nid, addr))
		return -MM_EINVAL;
	return found(kb_alloc_range_nid(size, align, start, end, nid, exact_nid), addr);
}

int memblock_alloc_try_nid(struct memblock *mb, uint64_t size, uint64_t align,
			   uint64_t min_addr, uint64_t max_addr, int nid, uint64_t *addr)
{
	(void)mb;
	if (!alloc_args_ok(align, nid, addr))
		return -MM_EINVAL;
	return found(kb_alloc_try_nid_raw(size, align, min_addr, max_addr, nid), addr);
}

int memblock_alloc_exact_nid(struct memblock *mb, uint64_t size, uint64_t align,
			     uint64_t min_addr, uint64_t max_addr, int nid, uint64_t *addr)
{
	(void)mb;
	if (!alloc_args_ok(align, nid, addr))
		return -MM_EINVAL;
	return found(kb_alloc_exact_nid_raw(size, align, min_addr, max_addr, nid), addr);
}

bool memblock_is_memory(const struct memblock *mb, uint64_t addr)
{
	(void)mb;
	return kb_is_memory(addr);
}

bool memblock_is_region_reserved(const struct memblock *mb, uint64_t base, uint64_t size)
{
	(void)mb;
	return kb_is_region_reserved(base, size);
}

uint64_t memblock_phys_mem_size(const struct memblock *mb)
{
	(void)mb;
	return kb_phys_mem_size();
}

uint64_t memblock_reserved_size(const struct memblock *mb)
{
	(void)mb;
	return kb_reserved_size();
}

uint64_t memblock_start_of_DRAM(const struct memblock *mb)
{
	(void)mb;
	return kb_start_of_DRAM();
}

uint64_t memblock_end_of_DRAM(const struct memblock *mb)
{
	(void)mb;
	/* Finding 1: with no memory the kernel reads regions[-1]. */
	if (kernel_fenced && !kb_count(0))
		return 0;
	return kb_end_of_DRAM();
}

size_t memblock_region_count(const struct memblock *mb, enum memblock_type_id type)
{
	(void)mb;
	return type_ok(type) ? kb_count((int)type) : 0;
}

const struct memblock_region *memblock_region(const struct memblock *mb,
					      enum memblock_type_id type, size_t i)
{
	struct kb_region r;

	(void)mb;
	if (!type_ok(type) || i >= kb_count((int)type) || i >= MAX_REGIONS)
		return NULL;
	kb_region((int)type, i, &r);
	copy[type][i] = (struct memblock_region){
		.base = r.base, .size = r.size, .flags = r.flags, .nid = r.nid
	};
	return &copy[type][i];
}

int memblock_ensure_room(struct memblock *mb, enum memblock_type_id type, size_t nr)
{
	(void)mb;
	(void)nr;
	return type_ok(type) ? 0 : -MM_EINVAL;
}

/* The kernel doubles its arrays: the growths are the doublings since boot. */
uint64_t memblock_grow_count(const struct memblock *mb, enum memblock_type_id type)
{
	size_t init;
	uint64_t n = 0;

	(void)mb;
	if (!type_ok(type))
		return 0;
	init = kb_init_max((int)type);
	for (size_t m = kb_max((int)type); m > init; m >>= 1)
		n++;
	return n;
}

/* The harness's kernel resizes from boot on (memblock_allow_resize() has
 * already run); its arrays' ranges are the model's to predict. */
void memblock_allow_resize(struct memblock *mb)
{
	(void)mb;
}

bool memblock_array_home(const struct memblock *mb, enum memblock_type_id type,
			 uint64_t *base, uint64_t *size)
{
	(void)mb;
	(void)type;
	(void)base;
	(void)size;
	return false;
}

size_t memblock_array_max(const struct memblock *mb, enum memblock_type_id type)
{
	(void)mb;
	return type_ok(type) ? kb_max((int)type) : 0;
}

bool memblock_next_free_range(const struct memblock *mb, int nid, uint64_t *iter,
			      uint64_t *start, uint64_t *end, int *out_nid)
{
	(void)mb;
	/* Finding 4: between two touching reserved regions (of different
	 * nid) the walk yields an empty range. */
	while (kb_next_free_range(nid, iter, start, end, out_nid))
		if (*start < *end || !kernel_fenced)
			return true;
	return false;
}

/*
 * The kernel's arrays as a region list must be: within capacity, sorted,
 * without empty or overlapping regions, with a total_size that is the sum
 * of the sizes (phys_mem_size and reserved_size read it). Canonical form is
 * not checked here: the comparison with the model finds it.
 */
const char *memblock_check(const struct memblock *mb)
{
	static const char *const names[] = { "memory", "reserved" };
	static char msg[160];

	(void)mb;
	for (int t = 0; t < 2; t++) {
		size_t n = kb_count(t);
		uint64_t sum = 0, prev_end = 0;

		if (n > kb_max(t)) {
			snprintf(msg, sizeof(msg), "kernel %s: cnt %zu > max %zu", names[t], n,
				 kb_max(t));
			return msg;
		}
		for (size_t i = 0; i < n; i++) {
			struct kb_region r;

			kb_region(t, i, &r);
			if (!r.size || (i && r.base < prev_end) || r.base + r.size < r.base) {
				snprintf(msg, sizeof(msg),
					 "kernel %s[%zu]: empty, overlapping or unsorted", names[t], i);
				return msg;
			}
			prev_end = r.base + r.size;
			sum += r.size;
		}
		if (sum != (t ? kb_reserved_size() : kb_phys_mem_size())) {
			snprintf(msg, sizeof(msg), "kernel %s: total_size is not the sum of the regions",
				 names[t]);
			return msg;
		}
	}
	return NULL;
}
