/* SPDX-License-Identifier: MIT */
/*
 * memblock.h - boot-time physical memory: the "memory" and "reserved" lists.
 *
 * Each type is a sorted array of regions in canonical form: no zero sizes, no
 * overlap, and two touching regions never share (nid, flags). Adding a range
 * inserts the parts not yet covered in one pass: when the array fills up the
 * insert stops, grows the array and resumes where it stopped, and a failed
 * growth takes back what was inserted.
 *
 * Contract (the rules of mm.h; the fuzz model predicts all of it):
 *  - Arguments are checked first; a bad one gives -MM_EINVAL and changes
 *    nothing: a nid outside [NUMA_NO_NODE, MEMBLOCK_MAX_NUMNODES), flags
 *    outside MEMBLOCK_FLAGS_MASK, a type other than MEMORY/RESERVED, a
 *    trim align that is not a power of two (0 included), an allocation of
 *    size 0 or with an align that is neither 0 nor a power of two.
 *  - Then the size is capped to PHYS_ADDR_MAX - base (so no range ever holds
 *    the byte at PHYS_ADDR_MAX) and a range of size 0 is a successful no-op.
 *  - add() is add_node(NUMA_NO_NODE, 0); reserve() inserts with
 *    NUMA_NO_NODE and flags 0. Covered parts keep their nid and flags.
 *  - The mark/clear flag setters act on memory; set_node on either type.
 *    When nothing in the range would change, nothing does: no region is
 *    split and the array does not grow.
 *  - trim_memory: each memory region [b, e) becomes
 *    [round_up(b), round_down(e)), dropped when that is empty or round_up
 *    overflows.
 *  - phys_alloc_range: window [max(start, PAGE), E) where E = current limit
 *    when end == 0, else end. Eligible free ranges: per memory region that
 *    is not NOMAP and (nid == NUMA_NO_NODE or region nid == nid), the parts
 *    not reserved, clipped to the window. Top-down takes, from the highest
 *    free range down, the first round_down(fend - size, align) >= fstart;
 *    bottom-up, from the lowest, the first round_up(fstart, align) with
 *    room for size before fend. If none and nid != NUMA_NO_NODE and not
 *    exact_nid, the same with NUMA_NO_NODE. The block is reserved (as
 *    reserve() does). None: -MM_ENOMEM.
 *    With mirrored_kernelcore, all of that is done first over MIRROR
 *    regions only (nid, then NUMA_NO_NODE unless exact_nid), and only when
 *    nothing fits there over all regions again. Without it, MIRROR has no
 *    effect on allocations.
 *  - alloc_try_nid / alloc_exact_nid: max_addr capped to the current limit,
 *    phys_alloc_range(min_addr, max_addr), and if nothing fits and
 *    min_addr != 0, again with min_addr = 0. A failure to reserve the
 *    block found (growth) is -MM_ENOMEM at once, never a retry.
 *  - Defaults: current limit MEMBLOCK_ALLOC_ANYWHERE, top-down.
 *  - start_of_DRAM / end_of_DRAM: first base / last end of memory, 0 when
 *    there is no memory.
 *  - is_region_reserved(base, size): whether [base, base + size), size
 *    capped as above, shares a byte with a reserved region. An empty range
 *    shares none: size 0 is false wherever base lies, inside a reserved
 *    region included.
 *  - Arrays grow as bookkeeping (the meta hook), invisible in the lists;
 *    with self_hosted_arrays, after memblock_allow_resize(), they grow
 *    into memblock's own memory and are reserved there (see that call).
 */
#ifndef MMSTACK_MEMBLOCK_H
#define MMSTACK_MEMBLOCK_H

#include "mm.h"

#define PHYS_ADDR_MAX MM_ADDR_MAX
#define NUMA_NO_NODE (-1)
#define MEMBLOCK_MAX_NUMNODES 64

/* Region flags. */
#define MEMBLOCK_NONE 0x0u
#define MEMBLOCK_HOTPLUG 0x1u
#define MEMBLOCK_MIRROR 0x2u
#define MEMBLOCK_NOMAP 0x4u
#define MEMBLOCK_FLAGS_MASK 0x7u

/* phys_alloc_range "end" values. */
#define MEMBLOCK_ALLOC_ACCESSIBLE 0
#define MEMBLOCK_ALLOC_ANYWHERE PHYS_ADDR_MAX

/* The window of every allocation starts at one page at the lowest. */
#define MEMBLOCK_PAGE_SIZE 0x1000u
/* align 0 means this. */
#define MEMBLOCK_DEFAULT_ALIGN 64u

enum memblock_type_id {
	MEMBLOCK_MEMORY = 0,
	MEMBLOCK_RESERVED = 1,
};

struct memblock_region {
	uint64_t base;
	uint64_t size;
	uint32_t flags;
	int nid;
};

struct memblock_config {
	size_t memory_cap;   /* initial capacity of the memory array (>= 1) */
	size_t reserved_cap; /* initial capacity of the reserved array (>= 1) */
	struct mm_meta *meta; /* bookkeeping allocations; NULL = host, no faults */
	/* kernelcore=mirror: allocations prefer MEMBLOCK_MIRROR memory (see
	 * phys_alloc_range). Off: the MIRROR flag is recorded and nothing else. */
	bool mirrored_kernelcore;
	/* Arrays that grow, once memblock_allow_resize() has run, into the
	 * memory memblock manages, reserved there (see memblock_allow_resize).
	 * Off, or before that call: bookkeeping outside the managed ranges. */
	bool self_hosted_arrays;
};

struct memblock;

/* Create with cfg (NULL: small defaults). 0 or -MM_EINVAL / -MM_ENOMEM. */
int memblock_create(struct memblock **out, const struct memblock_config *cfg);
void memblock_destroy(struct memblock *mb);

/* ---- ranges ----
 * A size that runs past the top of the address space is capped to
 * PHYS_ADDR_MAX - base; size 0 is a successful no-op (memblock's
 * exceptions to mm.h R4 and R5: it has no outside). */
int memblock_add_node(struct memblock *mb, uint64_t base, uint64_t size, int nid,
		      uint32_t flags);
int memblock_add(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_remove(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_phys_free(struct memblock *mb, uint64_t base, uint64_t size);

int memblock_mark_hotplug(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_clear_hotplug(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_mark_mirror(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_mark_nomap(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_clear_nomap(struct memblock *mb, uint64_t base, uint64_t size);
int memblock_set_node(struct memblock *mb, uint64_t base, uint64_t size,
		      enum memblock_type_id type, int nid);
/* Round every memory region inward to align (a power of two). */
int memblock_trim_memory(struct memblock *mb, uint64_t align);

/* ---- allocation policy ---- */
void memblock_set_current_limit(struct memblock *mb, uint64_t limit);
uint64_t memblock_get_current_limit(const struct memblock *mb);
void memblock_set_bottom_up(struct memblock *mb, bool enable);
bool memblock_bottom_up(const struct memblock *mb);

/* ---- allocation: 0 and *addr, or -MM_EINVAL / -MM_ENOMEM ----
 * align 0 means MEMBLOCK_DEFAULT_ALIGN, otherwise a power of two. */
int memblock_phys_alloc_range(struct memblock *mb, uint64_t size, uint64_t align,
			      uint64_t start, uint64_t end, int nid, bool exact_nid,
			      uint64_t *addr);
int memblock_alloc_try_nid(struct memblock *mb, uint64_t size, uint64_t align,
			   uint64_t min_addr, uint64_t max_addr, int nid,
			   uint64_t *addr);
int memblock_alloc_exact_nid(struct memblock *mb, uint64_t size, uint64_t align,
			     uint64_t min_addr, uint64_t max_addr, int nid,
			     uint64_t *addr);

/* ---- queries ---- */
bool memblock_is_memory(const struct memblock *mb, uint64_t addr);
bool memblock_is_region_reserved(const struct memblock *mb, uint64_t base,
				 uint64_t size);
uint64_t memblock_phys_mem_size(const struct memblock *mb);
uint64_t memblock_reserved_size(const struct memblock *mb);
uint64_t memblock_start_of_DRAM(const struct memblock *mb);
uint64_t memblock_end_of_DRAM(const struct memblock *mb);

/* Regions of a type, in address order: count, and the i-th (NULL past the end). */
size_t memblock_region_count(const struct memblock *mb, enum memblock_type_id type);
const struct memblock_region *memblock_region(const struct memblock *mb,
					      enum memblock_type_id type, size_t i);
/* Make room for nr more regions of a type, so that the next nr inserts of
 * ranges that overlap no region of it cannot fail: kho's restore reserves
 * its ranges only once none of them can. 0, -MM_EINVAL for a bad type, or
 * -MM_ENOMEM with nothing changed. */
int memblock_ensure_room(struct memblock *mb, enum memblock_type_id type, size_t nr);
/* How many times the array of a type has grown. */
uint64_t memblock_grow_count(const struct memblock *mb, enum memblock_type_id type);

/*
 * From now on, with self_hosted_arrays, an array that must grow takes its
 * new home in memblock's own memory (before this call, and without the
 * option, arrays grow from the bookkeeping hook as always). An op that
 * changes a type first makes the room it needs there: an insert one slot
 * per part of its range not yet covered, a remove, flag change or set_node
 * two; ensure_room nr. When the array lacks that room it jumps to the
 * smallest doubling of its capacity that holds it (for the reserved array,
 * three slots more, for what its own move can do to the reserved list: the
 * old range is freed even where a caller reserved it too). The new array takes
 * PAGE_ALIGN(capacity * sizeof(struct memblock_region)) bytes at the place
 * a page-aligned allocation from any node would take below the current
 * limit: for the reserved array first above the op's range, then below it
 * (never inside it; an empty window below is empty, not "the limit"). The
 * old array's range, if it was memblock's, is freed from the reserved list
 * and the new one reserved. Moving the memory array needs two free slots in
 * the reserved array: when it lacks them, the reserved array moves first
 * (room for four more), placed away from the memory array's new range. No
 * place, or a failed bookkeeping allocation: -MM_ENOMEM from the op, with
 * nothing changed. A caller that frees or removes an array's range is on
 * its own, as with any reserved block.
 */
void memblock_allow_resize(struct memblock *mb);
/* Where a type's array lives in memblock's memory: true and [*base,
 * *base + *size) (outputs optional), false when it is bookkeeping outside
 * it (the initial array, hook growth) or for a bad type. */
bool memblock_array_home(const struct memblock *mb, enum memblock_type_id type,
			 uint64_t *base, uint64_t *size);
/* The capacity of a type's array in regions; 0 for a bad type. */
size_t memblock_array_max(const struct memblock *mb, enum memblock_type_id type);

/*
 * Free ranges: memory minus reserved, one memory region at a time (a free
 * range never spans two regions), skipping NOMAP regions and, unless nid is
 * NUMA_NO_NODE, regions of other nodes. Ascending order. Start with
 * *iter = 0; returns false when there are no more, and for a NULL iter.
 * start, end and out_nid are optional outputs.
 */
bool memblock_next_free_range(const struct memblock *mb, int nid, uint64_t *iter,
			      uint64_t *start, uint64_t *end, int *out_nid);

/* Walk everything; NULL when consistent, else what is broken. */
const char *memblock_check(const struct memblock *mb);

#endif
