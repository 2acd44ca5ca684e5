/* SPDX-License-Identifier: MIT */
/*
 * machine.h - a whole simulated machine: the stack booted from a memory map.
 *
 * Boot runs as the kernel's does: memblock learns the memory ranges (with
 * their nodes) and the reserved ones; buddy is created over the pfn span,
 * every whole page of a memory region exists on that region's node, and
 * every whole page of memblock's free ranges (memory that is neither
 * reserved nor NOMAP) is freed into buddy. Pages outside memory are holes.
 * With a vmalloc range, vmap owns it and vmalloc runs over vmap and buddy;
 * with percpu on, the per-CPU allocator runs over vmalloc and buddy, one
 * unit per CPU, each CPU's pages from its node. A kho instance covers the
 * span (its pages, up to the last addressable one) with the machine's
 * max_order.
 *
 * kexec: mm_machine_kexec() boots a new machine over an old one's physical
 * memory, handing it a kho blob, the way a kernel boots the next one: its
 * memblock learns the memory and the reserved map of cfg; kho_restore
 * reserves what the blob preserves; then buddy comes up over the same pfn
 * span, taking over the old machine's backing bytes as they are, and frees
 * everything neither reserved nor preserved. The preserved folios are
 * handed back one by one with kho_restore_folio(kho, buddy, ...).
 */
#ifndef MMSTACK_MACHINE_H
#define MMSTACK_MACHINE_H

#include "buddy.h"
#include "kho.h"
#include "memblock.h"
#include "percpu.h"
#include "vmalloc.h"
#include "vmap.h"

struct mm_range {
	uint64_t base, size;
	int nid; /* memory ranges; ignored for reserved ones */
};

struct mm_machine_config {
	const struct mm_range *memory;
	size_t nr_memory;
	const struct mm_range *reserved;
	size_t nr_reserved;
	uint64_t page_size;     /* a power of two; 0: 4096 */
	unsigned nr_cpus;       /* 0: 1 */
	const int *cpu_node;    /* node of each CPU; NULL: cpu % nodes */
	unsigned max_order;     /* MAX_PAGE_ORDER; 0 means 0 */
	unsigned section_shift; /* 0: BUDDY_DEFAULT_SECTION_SHIFT */
	unsigned pcp_high, pcp_batch;
	bool backing;           /* pages are host memory (page_size bytes each) */
	uint64_t vmalloc_start; /* [vmalloc_start, + vmalloc_size): vmap's range */
	uint64_t vmalloc_size;  /* 0: no vmap, no vmalloc */
	uint64_t lazy_max_pages;
	bool percpu;            /* a per-CPU allocator (needs the vmalloc range) */
	uint64_t percpu_unit_pages; /* 0: PCPU_MIN_UNIT_SIZE worth */
	enum percpu_policy percpu_policy;
	struct mm_meta *meta;
};

struct mm_machine;

/* A config with the defaults (4 KiB pages, MAX_PAGE_ORDER 10, caches on);
 * nothing with a NULL cfg. */
void mm_machine_default_config(struct mm_machine_config *cfg);
/* 0, -MM_EINVAL for a NULL out or cfg, a memory or reserved list that is
 * NULL with a count other than 0, a map memblock or buddy refuses (no
 * memory, a nid out of range, a span too large), -MM_ENOMEM; nothing is
 * left behind on error. */
int mm_machine_boot(struct mm_machine **out, const struct mm_machine_config *cfg);
/* Boot over a memblock the caller has filled (the firmware's map, then the
 * early reservations and allocations), the way the kernel hands memblock
 * to its page allocator: cfg's memory and reserved lists are not read. On
 * success the machine owns mb (mm_machine_destroy frees it); on error mb
 * is the caller's still, as it was. Errors as mm_machine_boot's. */
int mm_machine_boot_memblock(struct mm_machine **out, const struct mm_machine_config *cfg,
			     struct memblock *mb);
void mm_machine_destroy(struct mm_machine *m);

struct memblock *mm_machine_memblock(const struct mm_machine *m);
struct buddy *mm_machine_buddy(const struct mm_machine *m);
struct vmap *mm_machine_vmap(const struct mm_machine *m);       /* NULL without */
struct vmalloc *mm_machine_vmalloc(const struct mm_machine *m); /* NULL without */
struct percpu *mm_machine_percpu(const struct mm_machine *m);   /* NULL without */
struct kho *mm_machine_kho(const struct mm_machine *m); /* NULL: no addressable page */
uint64_t mm_machine_page_size(const struct mm_machine *m);

/*
 * kexec from old into a new machine booted from cfg, handing over blob
 * (NULL: no handover). cfg must describe the same physical memory: the same
 * memory ranges and nodes, page size and backing (else -MM_EINVAL); with no
 * memory ranges (nr_memory 0) the new machine's memory is old's memblock
 * memory as it stands, nodes and flags included. cfg's reserved ranges are
 * the new machine's firmware map, the rest of cfg may differ (a new kernel). On success old is gone (destroyed, its backing
 * memory now the new machine's), *out is the new machine, and *kho_rc says
 * what kho_restore made of the blob: 0, or -MM_EINVAL when it was refused
 * and the new machine booted without it (nothing preserved reserved).
 * -MM_ENOMEM (kho_restore's included) or -MM_EINVAL: old is untouched.
 * -MM_EINVAL also for a NULL out, cfg, old or kho_rc, a NULL blob with a
 * length, and lists as mm_machine_boot's.
 */
int mm_machine_kexec(struct mm_machine **out, const struct mm_machine_config *cfg,
		     struct mm_machine *old, const void *blob, size_t len, int *kho_rc);

/* Every layer's check; NULL when all hold. */
const char *mm_machine_check(const struct mm_machine *m);

#endif
