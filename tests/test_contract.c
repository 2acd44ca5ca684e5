/* SPDX-License-Identifier: MIT */
/*
 * test_contract: the contract of lib/mm.h, kept by every public function.
 *
 * One table, one row per (function, bad-input class, arguments, expected
 * result). Each row runs on freshly prepared instances with real content
 * (a booted machine with allocations in every layer; and the same after a
 * kexec, with kho restored and folios incoming), in every variant it
 * names. Around the call everything observable through the public getters
 * and walkers is snapshot; the row must give its documented code, leave an
 * identical snapshot (unless the row says the call changes state on
 * success) and a clean check.
 *
 * The test then reads the headers in lib/ (the source root is its argument) and fails
 * on any function declared there without a row, or a row naming a
 * function no header declares. It prints its case counts per layer and
 * per class.
 *
 *	test_contract SOURCE_ROOT [--fork]
 *
 * With --fork each case runs in a child process, so that a case that
 * crashes is reported as one failed case and the run goes on (how the
 * rows were first seen failing against the unfixed library).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bitmap.h"
#include "check.h"
#include "machine.h"
#include "mm.h"
#include "rbtree.h"

/* ---- the functions, by header ---- */

#define FUNCS(X)                                                                             \
	X(mm, mm_strerror) X(mm, mm_errname) X(mm, mm_errcode) X(mm, mm_is_pow2)             \
	X(mm, mm_add_ok) X(mm, mm_cap_size) X(mm, mm_round_down) X(mm, mm_round_up)          \
	X(mm, mm_min) X(mm, mm_max) X(mm, mm_meta_init) X(mm, mm_meta_fail_at)               \
	X(mm, mm_meta_alloc) X(mm, mm_meta_calloc) X(mm, mm_meta_array) X(mm, mm_meta_free)  \
	X(bitmap, test_bit) X(bitmap, set_bit) X(bitmap, clear_bit)                          \
	X(bitmap, bitmap_word_mask) X(bitmap, bitmap_set) X(bitmap, bitmap_clear)            \
	X(bitmap, find_next_bit) X(bitmap, find_next_zero_bit) X(bitmap, find_prev_bit)      \
	X(bitmap, bitmap_weight) X(bitmap, bitmap_empty) X(bitmap, bitmap_full)              \
	X(bitmap, bitmap_find_next_zero_area)                                                \
	X(rbtree, rb_insert) X(rbtree, rb_erase) X(rbtree, rb_propagate) X(rbtree, rb_first) \
	X(rbtree, rb_last) X(rbtree, rb_next) X(rbtree, rb_prev) X(rbtree, rb_check)         \
	X(rbtree, rb_propagate_inline) X(rbtree, rb_insert_fixup_inline)                     \
	X(rbtree, rb_link_inline) X(rbtree, rb_insert_inline) X(rbtree, rb_erase_inline)     \
	X(memblock, memblock_create) X(memblock, memblock_destroy)                           \
	X(memblock, memblock_add_node) X(memblock, memblock_add) X(memblock, memblock_reserve) \
	X(memblock, memblock_remove) X(memblock, memblock_phys_free)                         \
	X(memblock, memblock_mark_hotplug) X(memblock, memblock_clear_hotplug)               \
	X(memblock, memblock_mark_mirror) X(memblock, memblock_mark_nomap)                   \
	X(memblock, memblock_clear_nomap) X(memblock, memblock_set_node)                     \
	X(memblock, memblock_trim_memory) X(memblock, memblock_set_current_limit)            \
	X(memblock, memblock_get_current_limit) X(memblock, memblock_set_bottom_up)          \
	X(memblock, memblock_bottom_up) X(memblock, memblock_phys_alloc_range)               \
	X(memblock, memblock_alloc_try_nid) X(memblock, memblock_alloc_exact_nid)            \
	X(memblock, memblock_is_memory) X(memblock, memblock_is_region_reserved)             \
	X(memblock, memblock_phys_mem_size) X(memblock, memblock_reserved_size)              \
	X(memblock, memblock_start_of_DRAM) X(memblock, memblock_end_of_DRAM)                \
	X(memblock, memblock_region_count) X(memblock, memblock_region)                      \
	X(memblock, memblock_ensure_room) X(memblock, memblock_grow_count)                   \
	X(memblock, memblock_allow_resize) X(memblock, memblock_array_home)                  \
	X(memblock, memblock_array_max)                                                      \
	X(memblock, memblock_next_free_range) X(memblock, memblock_check)                    \
	X(buddy, buddy_default_config) X(buddy, buddy_create) X(buddy, buddy_destroy)        \
	X(buddy, buddy_add_memory) X(buddy, buddy_free_boot_range) X(buddy, buddy_set_cpu)   \
	X(buddy, buddy_cpu) X(buddy, buddy_cpu_node) X(buddy, buddy_alloc_pages)             \
	X(buddy, buddy_free_pages) X(buddy, buddy_get_page) X(buddy, buddy_put_page)         \
	X(buddy, buddy_split_page) X(buddy, buddy_free_contig_range)                         \
	X(buddy, buddy_alloc_contig_range) X(buddy, buddy_alloc_contig_pages)                \
	X(buddy, buddy_drain) X(buddy, buddy_drain_all) X(buddy, buddy_claim_reserved)       \
	X(buddy, buddy_release_backing) X(buddy, buddy_adopt_backing) X(buddy, buddy_page)   \
	X(buddy, buddy_page_run)                                                             \
	X(buddy, buddy_nr_free) X(buddy, buddy_nr_free_blocks) X(buddy, buddy_nr_cached)     \
	X(buddy, buddy_max_order) X(buddy, buddy_nr_nodes) X(buddy, buddy_section_shift)     \
	X(buddy, buddy_start_pfn) X(buddy, buddy_end_pfn) X(buddy, buddy_page_ptr)           \
	X(buddy, buddy_check) X(buddy, buddy_check_full)                                     \
	X(vmap, vmap_create) X(vmap, vmap_destroy) X(vmap, vmap_alloc) X(vmap, vmap_free)    \
	X(vmap, vmap_free_lazy) X(vmap, vmap_purge) X(vmap, vmap_find) X(vmap, vmap_walk)    \
	X(vmap, vmap_lazy_pages) X(vmap, vmap_start) X(vmap, vmap_end)                       \
	X(vmap, vmap_page_size) X(vmap, vmap_check) X(vmap, vmap_check_full)                 \
	X(vmalloc, vmalloc_create) X(vmalloc, vmalloc_destroy) X(vmalloc, vmalloc)           \
	X(vmalloc, vfree) X(vmalloc, vmap_pages) X(vmalloc, vunmap) X(vmalloc, vmalloc_reserve) \
	X(vmalloc, vmalloc_map_page) X(vmalloc, vmalloc_unmap_page) X(vmalloc, vmalloc_to_pfn) \
	X(vmalloc, vmalloc_host) X(vmalloc, vmalloc_page_size) X(vmalloc, vmalloc_nr_pages)  \
	X(vmalloc, vmalloc_check) X(vmalloc, vmalloc_check_full)                             \
	X(percpu, percpu_create) X(percpu, percpu_destroy) X(percpu, percpu_alloc)           \
	X(percpu, percpu_free) X(percpu, percpu_unit_offsets) X(percpu, per_cpu_ptr)         \
	X(percpu, percpu_ptr) X(percpu, percpu_host) X(percpu, percpu_stats)                 \
	X(percpu, percpu_walk_chunks) X(percpu, percpu_nr_slots) X(percpu, percpu_check)     \
	X(percpu, percpu_check_full)                                                         \
	X(kho, kho_default_config) X(kho, kho_create) X(kho, kho_destroy)                    \
	X(kho, kho_preserve_folio) X(kho, kho_unpreserve_folio) X(kho, kho_preserve_pages)   \
	X(kho, kho_unpreserve_pages) X(kho, kho_serialized_size) X(kho, kho_serialize)       \
	X(kho, kho_restore) X(kho, kho_restore_folio) X(kho, kho_stats) X(kho, kho_walk)     \
	X(kho, kho_max_order) X(kho, kho_check) X(kho, kho_check_full)                       \
	X(machine, mm_machine_default_config) X(machine, mm_machine_boot)                    \
	X(machine, mm_machine_boot_memblock) X(machine, mm_machine_destroy)                  \
	X(machine, mm_machine_memblock) X(machine, mm_machine_buddy) X(machine, mm_machine_vmap) \
	X(machine, mm_machine_vmalloc) X(machine, mm_machine_percpu) X(machine, mm_machine_kho) \
	X(machine, mm_machine_page_size) X(machine, mm_machine_kexec) X(machine, mm_machine_check)

#define LAYERS(X)                                                                            \
	X(mm) X(bitmap) X(rbtree) X(memblock) X(buddy) X(vmap) X(vmalloc) X(percpu) X(kho)   \
	X(machine)

#define F_ENUM(l, f) F_##f,
enum fn_id { FUNCS(F_ENUM) NFN };
#define L_ENUM(l) L_##l,
enum layer_id { LAYERS(L_ENUM) NLAYER };
#define F_NAME(l, f) #f,
static const char *const fn_name[] = { FUNCS(F_NAME) };
#define F_LAYER(l, f) L_##l,
static const enum layer_id fn_layer[] = { FUNCS(F_LAYER) };
#define L_NAME(l) #l,
static const char *const layer_name[] = { LAYERS(L_NAME) };

/* ---- bad-input classes ---- */

enum cls {
	C_ZERO,      /* 0 as a count, size or range */
	C_ONE,       /* 1 where it is an edge */
	C_HUGE,      /* a count or size far too large */
	C_PAST64,    /* base + size past 2^64 */
	C_END64,     /* a range ending exactly at 2^64 */
	C_UNALIGNED, /* a pfn or address not aligned as asked */
	C_ORDER,     /* an order above max_order */
	C_OUTSIDE,   /* outside the instance */
	C_NEVER,     /* never allocated */
	C_DOUBLE,    /* freed already */
	C_INTERIOR,  /* inside an object, not its start */
	C_WRONG_ORDER, /* freed with another order */
	C_WRONG_KIND, /* a live object of the wrong state or kind */
	C_NULL,      /* NULL for a pointer argument */
	C_NULL_ARRAY, /* NULL array with a non-zero count */
	C_CONFIG,    /* a bad config value at create */
	C_STATE,     /* a call in the wrong state of the instance */
	C_ID,        /* a nid, cpu, type, flag, kind outside its set */
	C_NOOP,      /* valid input that must change nothing */
	C_QUERY,     /* a getter or walker on real content */
	C_VALID,     /* valid input that changes state, as documented */
	NCLS
};

static const char *const cls_name[] = {
	"zero", "one", "huge", "past 2^64", "ends at 2^64", "unaligned", "bad order",
	"outside", "never allocated", "double free", "interior", "wrong order on free",
	"wrong state/kind of object", "NULL pointer", "NULL array, count > 0", "bad config",
	"wrong state of instance", "id out of range", "no-op", "query", "valid, changes state",
};

/* ---- symbolic arguments: resolved against each prepared instance ---- */

enum sym {
	S_NONE,
	S_START, S_END,          /* buddy's span */
	S_A0, S_A2, S_SP,        /* allocated order-0 page, order-2 head, split order-3 block */
	S_FREED,                 /* a page allocated and freed again */
	S_FREEPG, S_PCPPG,       /* a page on the free lists; a cached page */
	S_RES, S_HOLE,           /* a reserved page; a hole inside the span */
	S_VS, S_VE,              /* vmap's range */
	S_VA, S_VP, S_RS, S_LZ,  /* vmalloc'ed, vmap_pages, reserved, lazily freed areas */
	S_VFREE,                 /* an address in a free vmap area */
	S_PC, S_PCF,             /* a live percpu pointer; a freed one */
	S_KEND, S_KP0, S_KP2,    /* kho's end pfn; preserved order-0 and order-2 folios */
	S_KIN,                   /* an incoming folio (after kexec), else a page with none */
	S_PAGE,                  /* the page size */
	NSYM
};

#define SYM0 UINT64_C(0xA5A5000000000000)
#define S(k, off) (SYM0 | ((uint64_t)(k) << 32) | (uint32_t)(int32_t)(off))

/* ---- the prepared instances ---- */

#define PAGE 256u
#define VSTART UINT64_C(0x100000000)
#define VPAGES 256u

enum variant { V_BOOT = 1, V_KEXEC = 2, V_ALL = 3 };

struct fx {
	struct mm_meta meta;
	struct mm_machine *m;
	struct memblock *mb;
	struct buddy *b;
	struct vmap *vm;
	struct vmalloc *va;
	struct percpu *pc;
	struct kho *k;
	uint64_t sym[NSYM];
	/* the small helpers' own instances */
	struct mm_meta hm;
	void *hm_live[2];
	uint64_t map[4];
	struct rb_root root;
	struct tnode {
		struct rb_node rb;
		uint64_t key;
	} nodes[17];
	/* what a setup leaves for its teardown */
	void *saved;
	uint64_t saved_v;
};

static const struct mm_range fx_memory[] = {
	{ 0x10000, 0x20000, 0 }, /* pfns 0x100 .. 0x2ff */
	{ 0x40000, 0x20000, 1 }, /* pfns 0x400 .. 0x5ff; 0x300 .. 0x3ff is a hole */
};
static const struct mm_range fx_reserved[] = { { 0x10000, 0x1000, 0 } };
static const int fx_cpu_node[] = { 0, 1 };

static void fx_config(struct mm_machine_config *c, struct mm_meta *meta)
{
	mm_machine_default_config(c);
	c->memory = fx_memory;
	c->nr_memory = 2;
	c->reserved = fx_reserved;
	c->nr_reserved = 1;
	c->page_size = PAGE;
	c->nr_cpus = 2;
	c->cpu_node = fx_cpu_node;
	c->max_order = 6;
	c->section_shift = 8;
	c->pcp_high = 16;
	c->pcp_batch = 4;
	c->backing = true;
	c->vmalloc_start = VSTART;
	c->vmalloc_size = (uint64_t)VPAGES * PAGE;
	c->lazy_max_pages = 64;
	c->percpu = true;
	c->percpu_unit_pages = 4;
	c->meta = meta;
}

static void fx_layers(struct fx *f)
{
	f->mb = mm_machine_memblock(f->m);
	f->b = mm_machine_buddy(f->m);
	f->vm = mm_machine_vmap(f->m);
	f->va = mm_machine_vmalloc(f->m);
	f->pc = mm_machine_percpu(f->m);
	f->k = mm_machine_kho(f->m);
}

static void must(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "prepare: %s: %d\n", what, rc);
		abort();
	}
}

/* The first pfn of the span in a state, or UINT64_MAX. */
static uint64_t find_state(const struct buddy *b, enum buddy_page_state st)
{
	for (uint64_t p = buddy_start_pfn(b); p < buddy_end_pfn(b); p++) {
		struct buddy_page_info i;

		if (!buddy_page(b, p, &i) && i.state == st)
			return p;
	}
	return UINT64_MAX;
}

/* Content in every layer. */
static void fx_content(struct fx *f)
{
	uint64_t p, pfns[4], lz, pcf;

	must(buddy_alloc_pages(f->b, 0, 0, &f->sym[S_A0]), "alloc A0");
	must(buddy_alloc_pages(f->b, 2, 0, &f->sym[S_A2]), "alloc A2");
	must(buddy_alloc_pages(f->b, 3, 1, &f->sym[S_SP]), "alloc SP");
	must(buddy_split_page(f->b, f->sym[S_SP], 3), "split SP");
	for (uint64_t i = 0; i < 4; i++)
		pfns[i] = f->sym[S_A2] + i;
	must(vmalloc(f->va, 3 * PAGE, NUMA_NO_NODE, &f->sym[S_VA]), "vmalloc");
	must(vmap_pages(f->va, pfns, 4, &f->sym[S_VP]), "vmap_pages");
	must(vmalloc_reserve(f->va, 2, &f->sym[S_RS]), "reserve");
	must(vmalloc_map_page(f->va, f->sym[S_RS], f->sym[S_A0]), "map_page");
	must(vmalloc(f->va, PAGE, 0, &lz), "vmalloc lz");
	must(vfree(f->va, lz), "vfree lz");
	f->sym[S_LZ] = lz;
	must(percpu_alloc(f->pc, 16, 8, &f->sym[S_PC]), "percpu_alloc");
	must(percpu_alloc(f->pc, 8, 4, &pcf), "percpu_alloc f");
	must(percpu_free(f->pc, pcf), "percpu_free");
	f->sym[S_PCF] = pcf;
	f->sym[S_KP0] = 0x280;
	f->sym[S_KP2] = 0x284;
	must(kho_preserve_folio(f->k, 0x280, 0), "preserve 0");
	must(kho_preserve_folio(f->k, 0x284, 2), "preserve 2");
	must(kho_preserve_pages(f->k, 0x2c0, 0x30), "preserve pages");
	must(memblock_mark_hotplug(f->mb, 0x50000, 0x1000), "hotplug");
	/* last, so that nothing above took it again */
	must(buddy_alloc_pages(f->b, 0, 0, &p), "alloc freed");
	must(buddy_free_pages(f->b, p, 0), "free freed");
	f->sym[S_FREED] = p;
	f->sym[S_START] = buddy_start_pfn(f->b);
	f->sym[S_END] = buddy_end_pfn(f->b);
	f->sym[S_FREEPG] = find_state(f->b, BUDDY_FREE);
	f->sym[S_PCPPG] = find_state(f->b, BUDDY_PCP);
	f->sym[S_RES] = find_state(f->b, BUDDY_RESERVED);
	f->sym[S_HOLE] = find_state(f->b, BUDDY_HOLE);
	f->sym[S_VS] = vmap_start(f->vm);
	f->sym[S_VE] = vmap_end(f->vm);
	f->sym[S_VFREE] = vmap_end(f->vm) - PAGE;
	f->sym[S_KEND] = buddy_end_pfn(f->b);
	f->sym[S_PAGE] = PAGE;
	if (f->sym[S_PCPPG] == UINT64_MAX || f->sym[S_FREEPG] == UINT64_MAX ||
	    f->sym[S_RES] == UINT64_MAX || f->sym[S_HOLE] == UINT64_MAX) {
		fprintf(stderr, "prepare: a page state is missing\n");
		abort();
	}
}

static void fx_prepare(struct fx *f, enum variant v)
{
	struct mm_machine_config c;

	memset(f, 0, sizeof(*f));
	mm_meta_init(&f->meta);
	fx_config(&c, &f->meta);
	{
		/* small arrays, full: a call that splits a region must grow one */
		struct memblock_config mc = { .memory_cap = 4, .reserved_cap = 2, .meta = &f->meta };
		struct memblock *mb;

		must(memblock_create(&mb, &mc), "memblock");
		for (size_t i = 0; i < 2; i++)
			must(memblock_add_node(mb, fx_memory[i].base, fx_memory[i].size,
					       fx_memory[i].nid, 0), "memory");
		must(memblock_reserve(mb, fx_reserved[0].base, fx_reserved[0].size), "reserve");
		must(mm_machine_boot_memblock(&f->m, &c, mb), "boot");
	}
	fx_layers(f);
	fx_content(f);
	f->sym[S_KIN] = 0x2f0; /* incoming only after the kexec below */
	if (v == V_KEXEC) {
		struct mm_machine *next;
		size_t len = kho_serialized_size(f->k), got;
		void *blob = malloc(len);
		int kho_rc = -1;
		unsigned order;

		if (!blob)
			abort();
		must(kho_preserve_folio(f->k, 0x2f0, 3), "preserve 2f0");
		len = kho_serialized_size(f->k);
		free(blob);
		blob = malloc(len);
		if (!blob)
			abort();
		must(kho_serialize(f->k, blob, len, &got), "serialize");
		/* the same physical memory, flags included */
		must(memblock_clear_hotplug(f->mb, 0x50000, 0x1000), "clear hotplug");
		must(mm_machine_kexec(&next, &c, f->m, blob, got, &kho_rc), "kexec");
		must(kho_rc, "kexec kho");
		free(blob);
		f->m = next;
		fx_layers(f);
		/* one folio handed back, the others still incoming */
		must(kho_restore_folio(f->k, f->b, 0x280, &order), "restore_folio");
		fx_content(f);
	}
	if (mm_machine_check(f->m)) {
		fprintf(stderr, "prepare: %s\n", mm_machine_check(f->m));
		abort();
	}
	/* the helpers */
	mm_meta_init(&f->hm);
	f->hm_live[0] = mm_meta_alloc(&f->hm, 24);
	f->hm_live[1] = mm_meta_alloc(&f->hm, 40);
	f->map[0] = UINT64_C(0x00ff00000000f00f);
	f->map[1] = ~UINT64_C(0);
	f->map[2] = 0;
	f->map[3] = UINT64_C(0x8000000000000001);
}

static void fx_release(struct fx *f)
{
	mm_machine_destroy(f->m);
	mm_meta_free(&f->hm, f->hm_live[0], 24);
	mm_meta_free(&f->hm, f->hm_live[1], 40);
}

/* ---- snapshots ---- */

struct snap {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct snap *s, const void *d, size_t n)
{
	if (s->n + n > s->cap) {
		s->cap = (s->n + n) * 2 + 4096;
		s->p = realloc(s->p, s->cap);
		if (!s->p)
			abort();
	}
	memcpy(s->p + s->n, d, n);
	s->n += n;
}

static void put64(struct snap *s, uint64_t v)
{
	put(s, &v, sizeof(v));
}

static void walk_range(void *ctx, uint64_t a, uint64_t b)
{
	put64(ctx, a);
	put64(ctx, b);
}

static void walk_chunk(void *ctx, uint64_t base, unsigned slot)
{
	put64(ctx, base);
	put64(ctx, slot);
}

static void walk_folio(void *ctx, uint64_t pfn, unsigned order)
{
	put64(ctx, pfn);
	put64(ctx, order);
}

static void snap_memblock(const struct memblock *mb, struct snap *s)
{
	for (int t = 0; t < 2; t++) {
		size_t n = memblock_region_count(mb, (enum memblock_type_id)t);

		put64(s, n);
		for (size_t i = 0; i < n; i++) {
			const struct memblock_region *r = memblock_region(mb, (enum memblock_type_id)t, i);

			put64(s, r->base);
			put64(s, r->size);
			put64(s, r->flags);
			put64(s, (uint64_t)r->nid);
		}
		put64(s, memblock_grow_count(mb, (enum memblock_type_id)t));
	}
	put64(s, memblock_get_current_limit(mb));
	put64(s, memblock_bottom_up(mb));
	put64(s, memblock_phys_mem_size(mb));
	put64(s, memblock_reserved_size(mb));
}

static void snap_buddy(const struct buddy *b, struct snap *s)
{
	put64(s, buddy_cpu(b));
	for (uint64_t p = buddy_start_pfn(b); p < buddy_end_pfn(b); p++) {
		struct buddy_page_info i;
		const void *mem;

		buddy_page(b, p, &i);
		put64(s, i.state);
		put64(s, i.order);
		put64(s, i.refcount);
		put64(s, (uint64_t)i.nid);
		/* whether it has host memory (its bytes belong to whoever holds
		 * the page, who may keep parts of it poisoned) */
		mem = buddy_page_ptr(b, p);
		put64(s, mem != NULL);
	}
	for (int nid = -2; nid <= (int)buddy_nr_nodes(b); nid++)
		put64(s, buddy_nr_free(b, nid));
	for (unsigned nid = 0; nid < buddy_nr_nodes(b); nid++)
		for (unsigned o = 0; o <= buddy_max_order(b); o++)
			put64(s, buddy_nr_free_blocks(b, (int)nid, o));
	for (unsigned cpu = 0; cpu < BUDDY_MAX_CPUS; cpu++)
		put64(s, buddy_nr_cached(b, cpu));
}

static void snap_machine(const struct fx *f, struct snap *s)
{
	struct percpu_stats ps;
	struct kho_stats ks;
	size_t len, got;
	uint8_t *blob;

	snap_memblock(f->mb, s);
	snap_buddy(f->b, s);
	for (int kind = VMAP_FREE; kind <= VMAP_LAZY; kind++)
		vmap_walk(f->vm, (enum vmap_kind)kind, walk_range, s);
	put64(s, vmap_lazy_pages(f->vm));
	put64(s, vmalloc_nr_pages(f->va));
	for (uint64_t a = vmap_start(f->vm); a < vmap_end(f->vm); a += PAGE) {
		uint64_t pfn = UINT64_MAX;

		put64(s, (uint64_t)vmalloc_to_pfn(f->va, a, &pfn));
		put64(s, pfn);
	}
	percpu_stats(f->pc, &ps);
	/* field by field: the struct has padding, whose bytes mean nothing */
	put64(s, ps.chunks);
	put64(s, ps.empty_chunks);
	put64(s, ps.units);
	put64(s, ps.unit_bytes);
	put64(s, ps.allocs);
	put64(s, ps.live_bytes);
	put64(s, ps.populated_bytes);
	put64(s, ps.off_node_pages);
	percpu_walk_chunks(f->pc, walk_chunk, s);
	kho_stats(f->k, &ks);
	put64(s, ks.folios[0]);
	put64(s, ks.folios[1]);
	put64(s, ks.pages[0]);
	put64(s, ks.pages[1]);
	put64(s, ks.restored);
	put64(s, ks.reserves);
	kho_walk(f->k, KHO_PRESERVED, walk_folio, s);
	kho_walk(f->k, KHO_INCOMING, walk_folio, s);
	len = kho_serialized_size(f->k);
	blob = malloc(len);
	if (!blob || kho_serialize(f->k, blob, len, &got))
		abort();
	put(s, blob, got);
	free(blob);
	put64(s, f->meta.live);
	put64(s, f->meta.live_bytes);
	put64(s, f->meta.failures);
}

static void snap_tree(const struct fx *f, struct snap *s)
{
	for (const struct rb_node *n = rb_first(&f->root); n; n = rb_next(n))
		put64(s, rb_entry(n, struct tnode, rb)->key);
}

static void snapshot(const struct fx *f, enum layer_id l, struct snap *s)
{
	s->n = 0;
	switch (l) {
	case L_mm:
		put64(s, f->hm.live);
		put64(s, f->hm.live_bytes);
		put64(s, f->hm.failures);
		put64(s, f->hm.fail_at);
		put64(s, f->hm.fail_after);
		break;
	case L_bitmap:
		put(s, f->map, sizeof(f->map));
		break;
	case L_rbtree:
		snap_tree(f, s);
		break;
	default:
		snap_machine(f, s);
	}
}

static bool tree_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct tnode, rb)->key < rb_entry(b, struct tnode, rb)->key;
}

static const char *fx_check(const struct fx *f, enum layer_id l)
{
	switch (l) {
	case L_mm:
	case L_bitmap:
		return NULL;
	case L_rbtree:
		return rb_check(&f->root, tree_less, NULL);
	default:
		return mm_machine_check(f->m);
	}
}

/* A tree of keys 0, 10, ..., 150 for the rbtree rows. */
static void tree_insert(struct rb_root *root, struct tnode *t)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = t->key < rb_entry(parent, struct tnode, rb)->key ? &parent->left
									: &parent->right;
	}
	rb_insert(root, &t->rb, parent, link, NULL);
}

static void tree_build(struct fx *f)
{
	f->root.node = NULL;
	for (unsigned i = 0; i < 16; i++) {
		f->nodes[i].key = (uint64_t)(i * 7 % 16) * 10;
		tree_insert(&f->root, &f->nodes[i]);
	}
	f->nodes[16].key = 55;
}

/* ---- the table ---- */

#define NARG 5

struct row {
	enum fn_id fn;
	enum cls cls;
	uint64_t a[NARG];
	unsigned nulls; /* bit i: pass NULL for pointer argument i */
	int want;       /* the code; for a value, 0 means the value checked out */
	unsigned vars;  /* enum variant mask; 0 means both */
	int sweep;      /* 1 + the argument swept over list, or 0 */
	int list;
	bool changes;   /* the call changes state on success */
};

#define WRONG_VALUE (-1000) /* a getter's value that is not what the row expects */
#define OUT_TOUCHED (-1001) /* a create that failed but wrote *out */

enum { LIST_NONE, LIST_HUGE, LIST_OUTPFN, LIST_OUTSPAN, LIST_OUTVA, LIST_BADNID, LIST_BADCPU,
       LIST_MBNID, NLIST };

static const uint64_t lists[NLIST][8] = {
	/* huge, but not past 2^64 from a small base */
	[LIST_HUGE] = { UINT64_C(1) << 32, UINT64_C(1) << 40, UINT64_C(1) << 48,
			UINT64_C(1) << 62, UINT64_C(1) << 63, 0 },
	[LIST_OUTPFN] = { 0, S(S_START, -1), S(S_END, 0), S(S_END, 1), S(S_HOLE, 0),
			  UINT64_C(1) << 40, UINT64_MAX, 0 },
	/* outside the span (a hole is inside it) */
	[LIST_OUTSPAN] = { 0, S(S_START, -1), S(S_END, 0), S(S_END, 1), UINT64_C(1) << 40,
			   UINT64_MAX, 0 },
	[LIST_OUTVA] = { 0x1000, S(S_VS, -256), S(S_VE, 0), S(S_VE, 256), S(S_VFREE, 0),
			 UINT64_C(1) << 60, UINT64_MAX - 255, 0 },
	[LIST_BADNID] = { 2, 3, 16, 64, (uint64_t)-2, (uint64_t)INT_MIN, (uint64_t)INT_MAX, 0 },
	[LIST_BADCPU] = { 2, 3, 63, 64, 65, UINT_MAX, 0 },
	/* memblock knows MEMBLOCK_MAX_NUMNODES nodes */
	[LIST_MBNID] = { MEMBLOCK_MAX_NUMNODES, 100, (uint64_t)-2, (uint64_t)INT_MIN,
			 (uint64_t)INT_MAX, 0 },
};
static const int list_len[NLIST] = { 0, 5, 7, 6, 7, 7, 6, 5 };

#define R(f, c, want, ...) { F_##f, c, { __VA_ARGS__ }, 0, want, 0, 0, 0, false }
/* with NULL pointer arguments (mask) */
#define RN(f, c, nulls, want, ...) { F_##f, c, { __VA_ARGS__ }, nulls, want, 0, 0, 0, false }
/* in some variants only */
#define RV(f, c, vars, want, ...) { F_##f, c, { __VA_ARGS__ }, 0, want, vars, 0, 0, false }
/* argument i swept over a list */
#define RS(f, c, i, list, want, ...) { F_##f, c, { __VA_ARGS__ }, 0, want, 0, (i) + 1, list, false }
/* changes state on success */
#define RC(f, c, want, ...) { F_##f, c, { __VA_ARGS__ }, 0, want, 0, 0, 0, true }

#define EINVAL (-MM_EINVAL)
#define ENOENT (-MM_ENOENT)
#define ENOMEM (-MM_ENOMEM)
#define EBUSY (-MM_EBUSY)
#define EEXIST (-MM_EEXIST)
#define ERANGE (-MM_ERANGE)
#define E64(n) (UINT64_C(0) - (uint64_t)(n)) /* 2^64 - n */

static const struct row rows[] = {
	/* ---- mm ---- */
	R(mm_strerror, C_ZERO, 0, 0),
	R(mm_strerror, C_ID, 0, 12345),
	R(mm_strerror, C_QUERY, 0, (uint64_t)-MM_EINVAL),
	R(mm_errname, C_ID, 0, 999),
	R(mm_errname, C_ZERO, 0, 0),
	R(mm_errname, C_QUERY, 0, (uint64_t)-MM_ENOENT),
	RN(mm_errcode, C_NULL, 1, 0, 0),
	R(mm_errcode, C_ID, 0, 1),
	R(mm_errcode, C_QUERY, 0, 2),
	R(mm_is_pow2, C_ZERO, 0, 0, 0),
	R(mm_is_pow2, C_ONE, 0, 1, 1),
	R(mm_is_pow2, C_HUGE, 0, UINT64_MAX, 0),
	R(mm_is_pow2, C_HUGE, 0, UINT64_C(1) << 63, 1),
	R(mm_add_ok, C_PAST64, 0, UINT64_MAX, 1, 0),
	R(mm_add_ok, C_END64, 0, UINT64_MAX - 1, 1, 1),
	R(mm_add_ok, C_ZERO, 0, 0, 0, 1),
	R(mm_cap_size, C_PAST64, 0, UINT64_MAX - 4, 100, 4),
	R(mm_cap_size, C_HUGE, 0, UINT64_MAX, UINT64_MAX, 0),
	R(mm_cap_size, C_ZERO, 0, 5, 0, 0),
	R(mm_round_down, C_HUGE, 0, UINT64_MAX, 4096, UINT64_MAX - 4095),
	R(mm_round_down, C_ZERO, 0, 0, 4096, 0),
	R(mm_round_up, C_PAST64, 0, UINT64_MAX, 4096, 0),
	R(mm_round_up, C_END64, 0, E64(4096), 4096, 1),
	R(mm_round_up, C_ONE, 0, 1, 4096, 1),
	R(mm_min, C_HUGE, 0, UINT64_MAX, 0, 0),
	R(mm_max, C_HUGE, 0, UINT64_MAX, 0, UINT64_MAX),
	RN(mm_meta_init, C_NULL, 1, 0, 0),
	RN(mm_meta_fail_at, C_NULL, 1, 0, 3, 1),
	R(mm_meta_alloc, C_ZERO, 0, 0),
	R(mm_meta_alloc, C_NOOP, 0, 64),
	R(mm_meta_calloc, C_HUGE, 0, SIZE_MAX, 2),
	R(mm_meta_calloc, C_ZERO, 0, 0, 8),
	R(mm_meta_array, C_HUGE, 0, SIZE_MAX / 2 + 1, 4),
	R(mm_meta_array, C_NOOP, 0, 4, 8),
	RN(mm_meta_free, C_NULL, 2, 0, 0),
	RN(mm_meta_free, C_NULL, 1, 0, 0),
	R(mm_meta_fail_at, C_ZERO, 0, 0, 0),

	/* ---- bitmap: preconditions, no codes; the edges are asserted ---- */
	R(test_bit, C_ZERO, 0, 0, 1),
	R(test_bit, C_ONE, 0, 255, 1),
	R(test_bit, C_QUERY, 0, 130, 0),
	R(set_bit, C_NOOP, 0, 64),
	R(clear_bit, C_NOOP, 0, 130),
	R(bitmap_word_mask, C_HUGE, 0, 0, 64, UINT64_MAX),
	R(bitmap_word_mask, C_ONE, 0, 63, 1, UINT64_C(1) << 63),
	R(bitmap_set, C_ZERO, 0, 100, 0),
	R(bitmap_set, C_NOOP, 0, 64, 64),
	R(bitmap_clear, C_ZERO, 0, 5, 0),
	R(bitmap_clear, C_NOOP, 0, 128, 64),
	R(find_next_bit, C_OUTSIDE, 0, 256, 256, 256),
	RS(find_next_bit, C_HUGE, 1, LIST_HUGE, 0, 256, 0, 256),
	R(find_next_bit, C_ZERO, 0, 0, 0, 0),
	R(find_next_bit, C_QUERY, 0, 256, 130, 192),
	R(find_next_zero_bit, C_OUTSIDE, 0, 256, 256, 256),
	RS(find_next_zero_bit, C_HUGE, 1, LIST_HUGE, 0, 256, 0, 256),
	R(find_next_zero_bit, C_ZERO, 0, 0, 0, 0),
	R(find_next_zero_bit, C_QUERY, 0, 128, 64, 128),
	R(find_prev_bit, C_ZERO, 0, 10, 10, 10),
	R(find_prev_bit, C_QUERY, 0, 0, 64, 55),
	R(find_prev_bit, C_QUERY, 0, 130, 192, 192),
	R(bitmap_weight, C_ZERO, 0, 0, 0),
	R(bitmap_weight, C_QUERY, 0, 256, 8 + 8 + 64 + 2),
	R(bitmap_empty, C_ZERO, 0, 0, 1),
	R(bitmap_empty, C_QUERY, 0, 1, 0),
	R(bitmap_full, C_ZERO, 0, 0, 1),
	R(bitmap_full, C_QUERY, 0, 4, 1),
	R(bitmap_full, C_QUERY, 0, 5, 0),
	R(bitmap_find_next_zero_area, C_ZERO, 0, 256, 0, 0, 0, UINT64_MAX),
	R(bitmap_find_next_zero_area, C_HUGE, 0, 256, 0, 257, 0, UINT64_MAX),
	RS(bitmap_find_next_zero_area, C_HUGE, 1, LIST_HUGE, 0, 256, 0, 4, 0, UINT64_MAX),
	R(bitmap_find_next_zero_area, C_QUERY, 0, 256, 0, 4, 3, 4),

	/* ---- rbtree: preconditions, no codes ---- */
	R(rb_first, C_ZERO, 0, 1),
	R(rb_first, C_QUERY, 0, 0),
	R(rb_last, C_ZERO, 0, 1),
	R(rb_last, C_QUERY, 0, 0),
	R(rb_next, C_OUTSIDE, 0, 0),
	R(rb_next, C_QUERY, 0, 1),
	R(rb_prev, C_OUTSIDE, 0, 0),
	R(rb_prev, C_QUERY, 0, 1),
	R(rb_check, C_ZERO, 0, 1),
	R(rb_check, C_QUERY, 0, 0),
	R(rb_insert, C_NOOP, 0, 0),
	R(rb_erase, C_NOOP, 0, 0),
	R(rb_propagate, C_NOOP, 0, 0),
	R(rb_propagate_inline, C_NOOP, 0, 0),
	R(rb_insert_fixup_inline, C_NOOP, 0, 0),
	R(rb_link_inline, C_NOOP, 0, 0),
	R(rb_insert_inline, C_NOOP, 0, 0),
	R(rb_erase_inline, C_NOOP, 0, 0),

	/* ---- memblock ---- */
	RN(memblock_create, C_NULL, 1, EINVAL, 0),
	RN(memblock_create, C_NULL, 2, 0, 0),
	R(memblock_create, C_CONFIG, EINVAL, 1),
	R(memblock_create, C_CONFIG, EINVAL, 2),
	RN(memblock_destroy, C_NULL, 1, 0, 0),
	R(memblock_add_node, C_ZERO, 0, 0x10000, 0, 0, 0),
	RS(memblock_add_node, C_ID, 2, LIST_MBNID, EINVAL, 0x70000, 0x1000, 0, 0),
	R(memblock_add_node, C_ID, EINVAL, 0x70000, 0x1000, 0, 8),
	R(memblock_add_node, C_ID, EINVAL, 0x70000, 0x1000, 0, UINT32_MAX),
	R(memblock_add_node, C_NOOP, 0, 0x10000, 0x1000, 0, 0),
	R(memblock_add, C_ZERO, 0, 0x70000, 0),
	R(memblock_add, C_NOOP, 0, 0x10000, 0x20000),
	R(memblock_reserve, C_ZERO, 0, 0x20000, 0),
	R(memblock_reserve, C_NOOP, 0, 0x10000, 0x800),
	R(memblock_remove, C_ZERO, 0, 0x10000, 0),
	R(memblock_remove, C_OUTSIDE, 0, 0x70000, 0x1000),
	R(memblock_remove, C_PAST64, 0, E64(0x1000), 0x4000),
	R(memblock_remove, C_END64, 0, E64(0x1000), 0x1000),
	RS(memblock_remove, C_HUGE, 1, LIST_HUGE, 0, 0x80000, 0),
	R(memblock_phys_free, C_ZERO, 0, 0x10000, 0),
	R(memblock_phys_free, C_OUTSIDE, 0, 0x70000, 0x1000),
	R(memblock_phys_free, C_PAST64, 0, E64(0x1000), 0x4000),
	R(memblock_phys_free, C_END64, 0, E64(0x1000), 0x1000),
	R(memblock_mark_hotplug, C_ZERO, 0, 0x10000, 0),
	R(memblock_mark_hotplug, C_NOOP, 0, 0x50000, 0x1000),
	R(memblock_mark_hotplug, C_NOOP, 0, 0x50400, 0x400),
	R(memblock_mark_hotplug, C_OUTSIDE, 0, 0x70000, 0x1000),
	R(memblock_mark_hotplug, C_PAST64, 0, E64(0x1000), 0x4000),
	R(memblock_clear_hotplug, C_ZERO, 0, 0x50000, 0),
	R(memblock_clear_hotplug, C_NOOP, 0, 0x10000, 0x1000),
	R(memblock_clear_hotplug, C_OUTSIDE, 0, 0x70000, 0x1000),
	R(memblock_mark_mirror, C_ZERO, 0, 0x10000, 0),
	R(memblock_mark_mirror, C_OUTSIDE, 0, 0x70000, 0x1000),
	R(memblock_mark_mirror, C_END64, 0, E64(0x1000), 0x1000),
	R(memblock_mark_nomap, C_ZERO, 0, 0x10000, 0),
	R(memblock_mark_nomap, C_OUTSIDE, 0, 0x30000, 0x10000),
	R(memblock_clear_nomap, C_ZERO, 0, 0x10000, 0),
	R(memblock_clear_nomap, C_NOOP, 0, 0x20000, 0x1000),
	R(memblock_clear_nomap, C_NOOP, 0, 0x10000, 0x50000),
	R(memblock_clear_nomap, C_OUTSIDE, 0, 0x70000, 0x1000),
	R(memblock_set_node, C_ID, EINVAL, 0x10000, 0x1000, 2, 0),
	R(memblock_set_node, C_ID, EINVAL, 0x10000, 0x1000, UINT32_MAX, 0),
	RS(memblock_set_node, C_ID, 3, LIST_MBNID, EINVAL, 0x10000, 0x1000, 0, 0),
	R(memblock_set_node, C_ZERO, 0, 0x10000, 0, 0, 1),
	R(memblock_set_node, C_NOOP, 0, 0x10000, 0x1000, 0, 0),
	R(memblock_set_node, C_OUTSIDE, 0, 0x70000, 0x1000, 0, 1),
	R(memblock_trim_memory, C_ZERO, EINVAL, 0),
	R(memblock_trim_memory, C_UNALIGNED, EINVAL, 3),
	R(memblock_trim_memory, C_HUGE, EINVAL, UINT64_MAX),
	R(memblock_trim_memory, C_ONE, 0, 1),
	R(memblock_trim_memory, C_NOOP, 0, 0x1000),
	R(memblock_set_current_limit, C_NOOP, 0, MEMBLOCK_ALLOC_ANYWHERE),
	R(memblock_get_current_limit, C_QUERY, 0, MEMBLOCK_ALLOC_ANYWHERE),
	R(memblock_set_bottom_up, C_NOOP, 0, 0),
	R(memblock_bottom_up, C_QUERY, 0, 0),
	/* phys_alloc_range(size, align, start, end, nid) */
	R(memblock_phys_alloc_range, C_ZERO, EINVAL, 0, 0, 0, 0, 0),
	R(memblock_phys_alloc_range, C_UNALIGNED, EINVAL, 0x100, 3, 0, 0, 0),
	RN(memblock_phys_alloc_range, C_NULL, 1, EINVAL, 0x100, 0, 0, 0, 0),
	RS(memblock_phys_alloc_range, C_ID, 4, LIST_MBNID, EINVAL, 0x100, 0, 0, 0, 0),
	RS(memblock_phys_alloc_range, C_HUGE, 0, LIST_HUGE, ENOMEM, 0, 0, 0, 0, 0),
	R(memblock_phys_alloc_range, C_OUTSIDE, ENOMEM, 0x100, 0, 0x70000, 0x80000, 0),
	R(memblock_phys_alloc_range, C_ZERO, ENOMEM, 0x100, 0, 0x50000, 0x40000, 0),
	R(memblock_alloc_try_nid, C_ZERO, EINVAL, 0, 0, 0, 0, 0),
	R(memblock_alloc_try_nid, C_UNALIGNED, EINVAL, 0x100, 6, 0, 0, 0),
	RN(memblock_alloc_try_nid, C_NULL, 1, EINVAL, 0x100, 0, 0, 0, 0),
	RS(memblock_alloc_try_nid, C_ID, 4, LIST_MBNID, EINVAL, 0x100, 0, 0, 0, 0),
	RS(memblock_alloc_try_nid, C_HUGE, 0, LIST_HUGE, ENOMEM, 0, 0, 0, 0, 0),
	R(memblock_alloc_exact_nid, C_ZERO, EINVAL, 0, 0, 0, 0, 0),
	RN(memblock_alloc_exact_nid, C_NULL, 1, EINVAL, 0x100, 0, 0, 0, 0),
	RS(memblock_alloc_exact_nid, C_HUGE, 0, LIST_HUGE, ENOMEM, 0, 0, 0, 0, 0),
	R(memblock_alloc_exact_nid, C_OUTSIDE, ENOMEM, 0x100, 0, 0, 0, 5),
	R(memblock_is_memory, C_ZERO, 0, 0, 0),
	R(memblock_is_memory, C_HUGE, 0, UINT64_MAX, 0),
	R(memblock_is_memory, C_QUERY, 0, 0x10000, 1),
	R(memblock_is_memory, C_OUTSIDE, 0, 0x30000, 0),
	R(memblock_is_region_reserved, C_QUERY, 0, 0x10000, 0x100, 1),
	R(memblock_is_region_reserved, C_OUTSIDE, 0, 0x70000, 0x100, 0),
	R(memblock_is_region_reserved, C_PAST64, 0, E64(0x100), 0x1000, 0),
	R(memblock_is_region_reserved, C_END64, 0, E64(0x100), 0x100, 0),
	R(memblock_phys_mem_size, C_QUERY, 0, 0x40000),
	R(memblock_reserved_size, C_QUERY, 0, 0),
	R(memblock_start_of_DRAM, C_QUERY, 0, 0x10000),
	R(memblock_end_of_DRAM, C_QUERY, 0, 0x60000),
	R(memblock_region_count, C_ID, 0, 2, 0),
	R(memblock_region_count, C_ID, 0, UINT32_MAX, 0),
	R(memblock_region_count, C_QUERY, 0, 0, 4),
	RS(memblock_region, C_HUGE, 1, LIST_HUGE, 0, 0),
	R(memblock_region, C_OUTSIDE, 0, 0, 4),
	R(memblock_region, C_ID, 0, 2, 0),
	R(memblock_region, C_QUERY, 0, 0, 0),
	R(memblock_ensure_room, C_ID, EINVAL, 2, 1),
	R(memblock_ensure_room, C_ZERO, 0, 0, 0),
	R(memblock_ensure_room, C_HUGE, ENOMEM, 0, SIZE_MAX),
	R(memblock_ensure_room, C_HUGE, ENOMEM, 1, SIZE_MAX - 1),
	R(memblock_grow_count, C_ID, 0, 2),
	R(memblock_grow_count, C_QUERY, 0, 0),
	/* without self_hosted_arrays it only records the call */
	R(memblock_allow_resize, C_NOOP, 0, 0),
	/* array_home(type): the fixture's arrays are bookkeeping, not memblock's */
	R(memblock_array_home, C_ID, 0, 2),
	R(memblock_array_home, C_ID, 0, UINT32_MAX),
	RN(memblock_array_home, C_NULL, 1 | 2, 0, 0),
	R(memblock_array_home, C_QUERY, 0, 1),
	R(memblock_array_max, C_ID, 0, 2, 0),
	R(memblock_array_max, C_ID, 0, UINT32_MAX, 0),
	R(memblock_array_max, C_QUERY, 0, 0, 1),
	R(memblock_array_max, C_QUERY, 0, 1, 1),
	/* next_free_range(nid, iter): NULL iter, optional outputs */
	RN(memblock_next_free_range, C_NULL, 1, 0, NUMA_NO_NODE, 0),
	RN(memblock_next_free_range, C_NULL, 2 | 4 | 8, 0, NUMA_NO_NODE, 0),
	R(memblock_next_free_range, C_HUGE, 0, NUMA_NO_NODE, UINT64_MAX),
	RS(memblock_next_free_range, C_ID, 0, LIST_MBNID, 0, 0, 0),
	R(memblock_next_free_range, C_QUERY, 0, 0, 0),
	R(memblock_check, C_QUERY, 0, 0),

	/* ---- buddy ---- */
	RN(buddy_default_config, C_NULL, 1, 0, 0),
	R(buddy_default_config, C_QUERY, 0, 0),
	RN(buddy_create, C_NULL, 1, EINVAL, 0),
	RN(buddy_create, C_NULL, 2, EINVAL, 0),
	R(buddy_create, C_ZERO, EINVAL, 1),
	R(buddy_create, C_ORDER, EINVAL, 2),
	R(buddy_create, C_CONFIG, EINVAL, 3),
	R(buddy_create, C_CONFIG, EINVAL, 4),
	R(buddy_create, C_CONFIG, EINVAL, 5),
	R(buddy_create, C_CONFIG, EINVAL, 6),
	R(buddy_create, C_UNALIGNED, EINVAL, 7),
	R(buddy_create, C_CONFIG, EINVAL, 8),
	R(buddy_create, C_HUGE, EINVAL, 9),
	R(buddy_create, C_CONFIG, EINVAL, 10),
	R(buddy_create, C_NOOP, 0, 0),
	RN(buddy_destroy, C_NULL, 1, 0, 0),
	/* add_memory(pfn, nr, nid) */
	R(buddy_add_memory, C_ZERO, EINVAL, S(S_HOLE, 0), 0, 0),
	R(buddy_add_memory, C_ID, EINVAL, S(S_HOLE, 0), 1, NUMA_NO_NODE),
	RS(buddy_add_memory, C_ID, 2, LIST_BADNID, EINVAL, S(S_HOLE, 0), 1, 0),
	R(buddy_add_memory, C_PAST64, EINVAL, UINT64_MAX - 1, 4, 0),
	R(buddy_add_memory, C_END64, ENOENT, E64(16), 16, 0),
	RS(buddy_add_memory, C_OUTSIDE, 0, LIST_OUTSPAN, ENOENT, 0, 1, 0),
	R(buddy_add_memory, C_OUTSIDE, ENOENT, S(S_HOLE, 0), 0x1000, 0),
	RS(buddy_add_memory, C_HUGE, 1, LIST_HUGE, ENOENT, S(S_HOLE, 0), 0, 0),
	R(buddy_add_memory, C_WRONG_KIND, EEXIST, S(S_A0, 0), 1, 0),
	R(buddy_add_memory, C_WRONG_KIND, EEXIST, S(S_HOLE, -1), 2, 0),
	/* free_boot_range(pfn, nr) */
	R(buddy_free_boot_range, C_ZERO, EINVAL, S(S_RES, 0), 0),
	R(buddy_free_boot_range, C_PAST64, EINVAL, UINT64_MAX - 1, 4),
	R(buddy_free_boot_range, C_END64, ENOENT, E64(16), 16),
	RS(buddy_free_boot_range, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0, 1),
	RS(buddy_free_boot_range, C_HUGE, 1, LIST_HUGE, ENOENT, S(S_RES, 0), 0),
	R(buddy_free_boot_range, C_WRONG_KIND, EINVAL, S(S_A0, 0), 1),
	R(buddy_free_boot_range, C_WRONG_KIND, EINVAL, S(S_FREEPG, 0), 1),
	R(buddy_free_boot_range, C_WRONG_KIND, EINVAL, S(S_RES, 0), 0x20),
	RS(buddy_set_cpu, C_ID, 0, LIST_BADCPU, EINVAL, 0),
	R(buddy_set_cpu, C_NOOP, 0, 0),
	R(buddy_cpu, C_QUERY, 0, 0),
	R(buddy_cpu_node, C_QUERY, 0, 1, 1),
	RS(buddy_cpu_node, C_ID, 0, LIST_BADCPU, 0, 0, NUMA_NO_NODE),
	/* alloc_pages(order, nid) */
	R(buddy_alloc_pages, C_ORDER, EINVAL, 7, 0),
	R(buddy_alloc_pages, C_ORDER, EINVAL, UINT_MAX, 0),
	R(buddy_alloc_pages, C_ORDER, EINVAL, 64, NUMA_NO_NODE),
	RS(buddy_alloc_pages, C_ID, 1, LIST_BADNID, EINVAL, 0, 0),
	RN(buddy_alloc_pages, C_NULL, 1, EINVAL, 0, 0),
	R(buddy_alloc_pages, C_STATE, ENOMEM, 6, 0, 1),
	R(buddy_alloc_pages, C_STATE, ENOMEM, 6, NUMA_NO_NODE, 1),
	R(buddy_alloc_pages, C_STATE, ENOMEM, 6, 1, 1),
	R(buddy_alloc_pages, C_STATE, ENOMEM, 4, 0, 2),
	/* free_pages(pfn, order) */
	R(buddy_free_pages, C_ORDER, EINVAL, S(S_A0, 0), 7),
	R(buddy_free_pages, C_ORDER, EINVAL, E64(512), 9),
	R(buddy_free_pages, C_END64, ENOENT, E64(64), 6),
	R(buddy_free_pages, C_END64, ENOENT, UINT64_MAX, 0),
	RS(buddy_free_pages, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0, 0),
	R(buddy_free_pages, C_NEVER, EINVAL, S(S_FREEPG, 0), 0),
	R(buddy_free_pages, C_NEVER, EINVAL, S(S_RES, 0), 0),
	R(buddy_free_pages, C_DOUBLE, EINVAL, S(S_FREED, 0), 0),
	R(buddy_free_pages, C_DOUBLE, EINVAL, S(S_PCPPG, 0), 0),
	R(buddy_free_pages, C_INTERIOR, EINVAL, S(S_A2, 1), 0),
	R(buddy_free_pages, C_INTERIOR, EINVAL, S(S_A2, 2), 1),
	R(buddy_free_pages, C_WRONG_ORDER, EINVAL, S(S_A2, 0), 1),
	R(buddy_free_pages, C_WRONG_ORDER, EINVAL, S(S_A2, 0), 3),
	R(buddy_free_pages, C_WRONG_ORDER, EINVAL, S(S_A0, 0), 2),
	R(buddy_free_pages, C_WRONG_ORDER, EINVAL, S(S_SP, 0), 3),
	R(buddy_get_page, C_END64, ENOENT, UINT64_MAX),
	RS(buddy_get_page, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0),
	R(buddy_get_page, C_NEVER, EINVAL, S(S_FREEPG, 0)),
	R(buddy_get_page, C_NEVER, EINVAL, S(S_RES, 0)),
	R(buddy_get_page, C_DOUBLE, EINVAL, S(S_FREED, 0)),
	R(buddy_get_page, C_DOUBLE, EINVAL, S(S_PCPPG, 0)),
	R(buddy_get_page, C_INTERIOR, EINVAL, S(S_A2, 3)),
	R(buddy_get_page, C_NOOP, 0, S(S_A2, 0)),
	R(buddy_put_page, C_END64, ENOENT, UINT64_MAX),
	RS(buddy_put_page, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0),
	R(buddy_put_page, C_NEVER, EINVAL, S(S_FREEPG, 0)),
	R(buddy_put_page, C_DOUBLE, EINVAL, S(S_FREED, 0)),
	R(buddy_put_page, C_INTERIOR, EINVAL, S(S_A2, 1)),
	R(buddy_put_page, C_WRONG_KIND, EINVAL, S(S_RES, 0)),
	R(buddy_split_page, C_ORDER, EINVAL, S(S_A2, 0), 7),
	R(buddy_split_page, C_WRONG_ORDER, EINVAL, S(S_A2, 0), 1),
	R(buddy_split_page, C_NEVER, EINVAL, S(S_FREEPG, 0), 0),
	R(buddy_split_page, C_DOUBLE, EINVAL, S(S_FREED, 0), 0),
	R(buddy_split_page, C_INTERIOR, EINVAL, S(S_A2, 1), 0),
	RS(buddy_split_page, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0, 0),
	R(buddy_split_page, C_END64, ENOENT, E64(64), 6),
	/* free_contig_range(pfn, nr) */
	R(buddy_free_contig_range, C_ZERO, EINVAL, S(S_A0, 0), 0),
	R(buddy_free_contig_range, C_PAST64, EINVAL, UINT64_MAX - 1, 4),
	R(buddy_free_contig_range, C_END64, ENOENT, E64(16), 16),
	RS(buddy_free_contig_range, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0, 1),
	RS(buddy_free_contig_range, C_HUGE, 1, LIST_HUGE, ENOENT, S(S_SP, 0), 0),
	R(buddy_free_contig_range, C_NEVER, EINVAL, S(S_FREEPG, 0), 1),
	R(buddy_free_contig_range, C_DOUBLE, EINVAL, S(S_FREED, 0), 1),
	R(buddy_free_contig_range, C_WRONG_ORDER, EINVAL, S(S_A2, 0), 4),
	R(buddy_free_contig_range, C_INTERIOR, EINVAL, S(S_A2, 1), 1),
	R(buddy_free_contig_range, C_WRONG_KIND, EINVAL, S(S_SP, 0), 9),
	R(buddy_free_contig_range, C_WRONG_KIND, EINVAL, S(S_SP, 4), 8),
	R(buddy_free_contig_range, C_WRONG_KIND, ENOENT, S(S_SP, 0), 0x1000),
	/* alloc_contig_range(start, end) */
	R(buddy_alloc_contig_range, C_ZERO, EINVAL, S(S_FREEPG, 0), S(S_FREEPG, 0)),
	R(buddy_alloc_contig_range, C_ZERO, EINVAL, S(S_FREEPG, 1), S(S_FREEPG, 0)),
	R(buddy_alloc_contig_range, C_END64, ENOENT, UINT64_MAX - 4, UINT64_MAX),
	R(buddy_alloc_contig_range, C_OUTSIDE, ENOENT, S(S_END, 0), S(S_END, 4)),
	R(buddy_alloc_contig_range, C_OUTSIDE, ENOENT, S(S_HOLE, 0), S(S_HOLE, 1)),
	R(buddy_alloc_contig_range, C_OUTSIDE, ENOENT, 0, S(S_START, 1)),
	R(buddy_alloc_contig_range, C_HUGE, ENOENT, 0, UINT64_MAX),
	R(buddy_alloc_contig_range, C_WRONG_KIND, EBUSY, S(S_A0, 0), S(S_A0, 1)),
	R(buddy_alloc_contig_range, C_WRONG_KIND, EBUSY, S(S_RES, 0), S(S_RES, 1)),
	R(buddy_alloc_contig_range, C_WRONG_KIND, EBUSY, S(S_A2, 1), S(S_A2, 2)),
	/* alloc_contig_pages(nr, nid) */
	R(buddy_alloc_contig_pages, C_ZERO, EINVAL, 0, 0),
	RS(buddy_alloc_contig_pages, C_ID, 1, LIST_BADNID, EINVAL, 1, 0),
	RN(buddy_alloc_contig_pages, C_NULL, 1, EINVAL, 1, 0),
	RS(buddy_alloc_contig_pages, C_HUGE, 0, LIST_HUGE, ENOMEM, 0, 0),
	R(buddy_alloc_contig_pages, C_HUGE, ENOMEM, 0x500, NUMA_NO_NODE),
	R(buddy_alloc_contig_pages, C_HUGE, ENOMEM, 0x200, 0),
	RS(buddy_drain, C_ID, 0, LIST_BADCPU, EINVAL, 0),
	RC(buddy_drain, C_VALID, 0, 0),
	RC(buddy_drain_all, C_VALID, 0, 0),
	/* claim_reserved(pfn, order) */
	R(buddy_claim_reserved, C_ORDER, EINVAL, S(S_RES, 0), 7),
	R(buddy_claim_reserved, C_UNALIGNED, EINVAL, S(S_RES, 1), 1),
	R(buddy_claim_reserved, C_END64, ENOENT, UINT64_MAX, 0),
	R(buddy_claim_reserved, C_END64, ENOENT, E64(64), 6),
	RS(buddy_claim_reserved, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0, 0),
	R(buddy_claim_reserved, C_WRONG_KIND, EINVAL, S(S_A0, 0), 0),
	R(buddy_claim_reserved, C_WRONG_KIND, EINVAL, S(S_FREEPG, 0), 0),
	R(buddy_claim_reserved, C_WRONG_KIND, EINVAL, S(S_PCPPG, 0), 0),
	R(buddy_claim_reserved, C_WRONG_KIND, EINVAL, S(S_RES, 0), 6),
	R(buddy_release_backing, C_NOOP, 0, 0),
	R(buddy_adopt_backing, C_STATE, EINVAL, 0),
	RN(buddy_adopt_backing, C_NULL, 1, EINVAL, 0),
	R(buddy_adopt_backing, C_CONFIG, EINVAL, 1),
	R(buddy_adopt_backing, C_ZERO, EINVAL, 2),
	RC(buddy_adopt_backing, C_VALID, 0, 3),
	RS(buddy_page, C_OUTSIDE, 0, LIST_OUTSPAN, ENOENT, 0),
	R(buddy_page, C_END64, ENOENT, UINT64_MAX),
	RN(buddy_page, C_NULL, 1, 0, S(S_A0, 0)),
	RN(buddy_page, C_NULL, 1, ENOENT, S(S_END, 0)),
	R(buddy_page, C_QUERY, 0, S(S_HOLE, 0)),
	R(buddy_page, C_QUERY, 0, S(S_A2, 0)),
	RS(buddy_page_run, C_OUTSIDE, 0, LIST_OUTSPAN, ENOENT, 0, 1),
	R(buddy_page_run, C_END64, ENOENT, UINT64_MAX, 1),
	R(buddy_page_run, C_ZERO, EINVAL, S(S_A0, 0), 0),
	R(buddy_page_run, C_ZERO, EINVAL, UINT64_MAX, 0),
	RN(buddy_page_run, C_NULL, 3, 0, S(S_A2, 1), 8),
	R(buddy_page_run, C_QUERY, 0, S(S_HOLE, 0), UINT64_MAX),
	R(buddy_page_run, C_QUERY, 0, S(S_A2, 0), 8),
	R(buddy_page_run, C_QUERY, 0, S(S_A2, 1), 8),
	R(buddy_page_run, C_QUERY, 0, S(S_A2, 1), 1),
	RS(buddy_nr_free, C_ID, 0, LIST_BADNID, 0, 0),
	R(buddy_nr_free, C_QUERY, 0, NUMA_NO_NODE),
	RS(buddy_nr_free_blocks, C_ID, 0, LIST_BADNID, 0, 0, 0),
	R(buddy_nr_free_blocks, C_ORDER, 0, 0, 7),
	R(buddy_nr_free_blocks, C_ORDER, 0, 0, UINT_MAX),
	R(buddy_nr_free_blocks, C_QUERY, 0, 0, 0),
	RS(buddy_nr_cached, C_ID, 0, LIST_BADCPU, 0, 0),
	R(buddy_nr_cached, C_QUERY, 0, 0),
	R(buddy_max_order, C_QUERY, 0, 6),
	R(buddy_nr_nodes, C_QUERY, 0, 2),
	R(buddy_section_shift, C_QUERY, 0, 8),
	R(buddy_start_pfn, C_QUERY, 0, 0x100),
	R(buddy_end_pfn, C_QUERY, 0, 0x600),
	RS(buddy_page_ptr, C_OUTSIDE, 0, LIST_OUTSPAN, 0, 0),
	R(buddy_page_ptr, C_QUERY, 0, S(S_A0, 0)),
	R(buddy_check, C_QUERY, 0, 0),
	R(buddy_check_full, C_QUERY, 0, 0),

	/* ---- vmap ---- */
	RN(vmap_create, C_NULL, 1, EINVAL, 0),
	RN(vmap_create, C_NULL, 2, EINVAL, 0),
	R(vmap_create, C_ZERO, EINVAL, 1),
	R(vmap_create, C_UNALIGNED, EINVAL, 2),
	R(vmap_create, C_CONFIG, EINVAL, 3),
	R(vmap_create, C_NOOP, 0, 0),
	RN(vmap_destroy, C_NULL, 1, 0, 0),
	/* alloc(size, align, lo, hi) */
	R(vmap_alloc, C_ZERO, EINVAL, 0, PAGE, S(S_VS, 0), S(S_VE, 0)),
	R(vmap_alloc, C_UNALIGNED, EINVAL, 100, PAGE, S(S_VS, 0), S(S_VE, 0)),
	R(vmap_alloc, C_UNALIGNED, EINVAL, PAGE, 100, S(S_VS, 0), S(S_VE, 0)),
	R(vmap_alloc, C_UNALIGNED, EINVAL, PAGE, 3 * PAGE, S(S_VS, 0), S(S_VE, 0)),
	R(vmap_alloc, C_ZERO, EINVAL, PAGE, 0, S(S_VS, 0), S(S_VE, 0)),
	R(vmap_alloc, C_ZERO, EINVAL, PAGE, PAGE, S(S_VE, 0), S(S_VS, 0)),
	R(vmap_alloc, C_OUTSIDE, EINVAL, PAGE, PAGE, S(S_VS, -256), S(S_VE, 0)),
	R(vmap_alloc, C_OUTSIDE, EINVAL, PAGE, PAGE, S(S_VS, 0), S(S_VE, 256)),
	R(vmap_alloc, C_END64, EINVAL, PAGE, PAGE, S(S_VS, 0), UINT64_MAX),
	RN(vmap_alloc, C_NULL, 1, EINVAL, PAGE, PAGE, S(S_VS, 0), S(S_VE, 0)),
	/* the documented exception (mm.h R9): no fit, and the lazily freed
	 * area the instance holds is purged on the way to -ENOMEM */
	RC(vmap_alloc, C_HUGE, ENOMEM, 2 * (uint64_t)VPAGES * PAGE, PAGE, S(S_VS, 0), S(S_VE, 0)),
	RS(vmap_free, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(vmap_free, C_DOUBLE, ENOENT, S(S_LZ, 0)),
	R(vmap_free, C_INTERIOR, ENOENT, S(S_VA, 256)),
	R(vmap_free, C_INTERIOR, ENOENT, S(S_VA, 1)),
	R(vmap_free, C_END64, ENOENT, UINT64_MAX),
	RS(vmap_free_lazy, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(vmap_free_lazy, C_DOUBLE, ENOENT, S(S_LZ, 0)),
	R(vmap_free_lazy, C_INTERIOR, ENOENT, S(S_VP, 512)),
	RC(vmap_purge, C_VALID, 0, 0),
	RS(vmap_find, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(vmap_find, C_DOUBLE, ENOENT, S(S_LZ, 0)),
	RN(vmap_find, C_NULL, 1, 0, S(S_VA, 256)),
	RN(vmap_find, C_NULL, 2, 0, S(S_VA, 256)),
	RN(vmap_find, C_NULL, 3, 0, S(S_VA, 256)),
	RN(vmap_find, C_NULL, 3, ENOENT, S(S_VFREE, 0)),
	R(vmap_find, C_INTERIOR, 0, S(S_VA, 300)),
	RN(vmap_walk, C_NULL, 1, 0, VMAP_BUSY),
	R(vmap_walk, C_ID, 0, 3),
	R(vmap_walk, C_ID, 0, UINT32_MAX),
	R(vmap_walk, C_QUERY, 0, VMAP_BUSY),
	R(vmap_lazy_pages, C_QUERY, 0, 0),
	R(vmap_start, C_QUERY, 0, VSTART),
	R(vmap_end, C_QUERY, 0, VSTART + (uint64_t)VPAGES * PAGE),
	R(vmap_page_size, C_QUERY, 0, PAGE),
	R(vmap_check, C_QUERY, 0, 0),
	R(vmap_check_full, C_QUERY, 0, 0),

	/* ---- vmalloc ---- */
	RN(vmalloc_create, C_NULL, 1, EINVAL, 0),
	RN(vmalloc_create, C_NULL, 2, EINVAL, 0),
	RN(vmalloc_create, C_NULL, 4, EINVAL, 0),
	R(vmalloc_create, C_NOOP, 0, 0),
	RN(vmalloc_destroy, C_NULL, 1, 0, 0),
	R(vmalloc, C_ZERO, EINVAL, 0, 0),
	RS(vmalloc, C_ID, 1, LIST_BADNID, EINVAL, PAGE, 0),
	RN(vmalloc, C_NULL, 1, EINVAL, PAGE, 0),
	RS(vmalloc, C_HUGE, 0, LIST_HUGE, ENOMEM, 0, 0),
	R(vmalloc, C_HUGE, ENOMEM, (uint64_t)VPAGES * PAGE, 0),
	RS(vfree, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(vfree, C_DOUBLE, ENOENT, S(S_LZ, 0)),
	R(vfree, C_INTERIOR, ENOENT, S(S_VA, 256)),
	R(vfree, C_INTERIOR, ENOENT, S(S_VA, 8)),
	R(vfree, C_WRONG_KIND, EINVAL, S(S_VP, 0)),
	R(vfree, C_WRONG_KIND, EINVAL, S(S_RS, 0)),
	/* vmap_pages(first pfn of a 4-entry array, n) */
	R(vmap_pages, C_ZERO, EINVAL, S(S_A2, 0), 0),
	RN(vmap_pages, C_NULL_ARRAY, 1, EINVAL, 0, 4),
	RN(vmap_pages, C_NULL, 2, EINVAL, S(S_A2, 0), 4),
	R(vmap_pages, C_HUGE, ENOMEM, S(S_A2, 0), 0x200),
	R(vmap_pages, C_HUGE, ENOMEM, S(S_A2, 0), VPAGES),
	RS(vmap_pages, C_HUGE, 1, LIST_HUGE, ENOMEM, S(S_A2, 0), 0),
	R(vmap_pages, C_HUGE, ENOMEM, S(S_FREEPG, 0), 0x200),
	R(vmap_pages, C_NEVER, EINVAL, S(S_FREEPG, 0), 4),
	R(vmap_pages, C_DOUBLE, EINVAL, S(S_FREED, 0), 1),
	RS(vmap_pages, C_OUTSIDE, 0, LIST_OUTPFN, EINVAL, 0, 1),
	R(vmap_pages, C_WRONG_KIND, EINVAL, S(S_RES, 0), 1),
	RS(vunmap, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(vunmap, C_WRONG_KIND, EINVAL, S(S_VA, 0)),
	R(vunmap, C_DOUBLE, ENOENT, S(S_LZ, 0)),
	R(vunmap, C_INTERIOR, ENOENT, S(S_VP, 256)),
	R(vmalloc_reserve, C_ZERO, EINVAL, 0),
	RN(vmalloc_reserve, C_NULL, 1, EINVAL, 1),
	RS(vmalloc_reserve, C_HUGE, 0, LIST_HUGE, ENOMEM, 0),
	R(vmalloc_reserve, C_HUGE, ENOMEM, VPAGES),
	/* map_page(addr, pfn) */
	R(vmalloc_map_page, C_UNALIGNED, EINVAL, S(S_RS, 1), S(S_A0, 0)),
	RS(vmalloc_map_page, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0, S(S_A0, 0)),
	R(vmalloc_map_page, C_OUTSIDE, ENOENT, S(S_RS, 512), S(S_A0, 0)),
	R(vmalloc_map_page, C_WRONG_KIND, EINVAL, S(S_VA, 0), S(S_A0, 0)),
	R(vmalloc_map_page, C_STATE, EBUSY, S(S_RS, 0), S(S_A0, 0)),
	R(vmalloc_map_page, C_NEVER, EINVAL, S(S_RS, 256), S(S_FREEPG, 0)),
	R(vmalloc_map_page, C_DOUBLE, EINVAL, S(S_RS, 256), S(S_FREED, 0)),
	RS(vmalloc_map_page, C_OUTSIDE, 1, LIST_OUTPFN, EINVAL, S(S_RS, 256), 0),
	R(vmalloc_map_page, C_DOUBLE, ENOENT, S(S_LZ, 0), S(S_A0, 0)),
	RN(vmalloc_unmap_page, C_NULL, 1, EINVAL, S(S_RS, 0)),
	R(vmalloc_unmap_page, C_UNALIGNED, EINVAL, S(S_RS, 1)),
	RS(vmalloc_unmap_page, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(vmalloc_unmap_page, C_OUTSIDE, ENOENT, S(S_RS, 512)),
	R(vmalloc_unmap_page, C_WRONG_KIND, EINVAL, S(S_VA, 0)),
	R(vmalloc_unmap_page, C_NEVER, ENOENT, S(S_RS, 256)),
	R(vmalloc_unmap_page, C_DOUBLE, ENOENT, S(S_LZ, 0)),
	RS(vmalloc_to_pfn, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(vmalloc_to_pfn, C_OUTSIDE, ENOENT, S(S_VA, 768)),
	R(vmalloc_to_pfn, C_NEVER, ENOENT, S(S_RS, 256)),
	R(vmalloc_to_pfn, C_DOUBLE, ENOENT, S(S_LZ, 0)),
	RN(vmalloc_to_pfn, C_NULL, 1, 0, S(S_VA, 0)),
	R(vmalloc_to_pfn, C_INTERIOR, 0, S(S_VP, 300)),
	RS(vmalloc_host, C_OUTSIDE, 0, LIST_OUTVA, 0, 0),
	R(vmalloc_host, C_QUERY, 0, S(S_VA, 5)),
	R(vmalloc_page_size, C_QUERY, 0, PAGE),
	R(vmalloc_nr_pages, C_QUERY, 0, 3),
	R(vmalloc_check, C_QUERY, 0, 0),
	R(vmalloc_check_full, C_QUERY, 0, 0),

	/* ---- percpu ---- */
	RN(percpu_create, C_NULL, 1, EINVAL, 0),
	RN(percpu_create, C_NULL, 2, EINVAL, 0),
	RN(percpu_create, C_NULL, 4, EINVAL, 0),
	RN(percpu_create, C_NULL, 8, EINVAL, 0),
	R(percpu_create, C_ZERO, EINVAL, 1),
	R(percpu_create, C_CONFIG, EINVAL, 2),
	R(percpu_create, C_ID, EINVAL, 3),
	R(percpu_create, C_ID, EINVAL, 4),
	R(percpu_create, C_NOOP, 0, 0),
	RN(percpu_destroy, C_NULL, 1, 0, 0),
	R(percpu_alloc, C_ZERO, EINVAL, 0, 4),
	R(percpu_alloc, C_HUGE, EINVAL, 4 * PAGE + 1, 4),
	RS(percpu_alloc, C_HUGE, 0, LIST_HUGE, EINVAL, 0, 4),
	R(percpu_alloc, C_ZERO, EINVAL, 8, 0),
	R(percpu_alloc, C_UNALIGNED, EINVAL, 8, 3),
	R(percpu_alloc, C_HUGE, EINVAL, 8, 2 * PAGE),
	RN(percpu_alloc, C_NULL, 1, EINVAL, 8, 4),
	RS(percpu_free, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0),
	R(percpu_free, C_DOUBLE, ENOENT, S(S_PCF, 0)),
	R(percpu_free, C_INTERIOR, ENOENT, S(S_PC, 4)),
	R(percpu_free, C_INTERIOR, ENOENT, S(S_PC, 1)),
	R(percpu_free, C_NEVER, ENOENT, S(S_PC, 64)),
	R(percpu_unit_offsets, C_QUERY, 0, 0),
	R(per_cpu_ptr, C_QUERY, 0, S(S_PC, 0), 1),
	RS(percpu_ptr, C_ID, 1, LIST_BADCPU, EINVAL, S(S_PC, 0), 0),
	RS(percpu_ptr, C_OUTSIDE, 0, LIST_OUTVA, ENOENT, 0, 0),
	R(percpu_ptr, C_DOUBLE, ENOENT, S(S_PCF, 0), 0),
	RN(percpu_ptr, C_NULL, 1, 0, S(S_PC, 0), 1),
	RN(percpu_ptr, C_NULL, 1, ENOENT, S(S_PCF, 0), 1),
	R(percpu_ptr, C_INTERIOR, 0, S(S_PC, 4), 1),
	RS(percpu_host, C_ID, 1, LIST_BADCPU, 0, S(S_PC, 0), 0),
	RS(percpu_host, C_OUTSIDE, 0, LIST_OUTVA, 0, 0, 0),
	R(percpu_host, C_QUERY, 0, S(S_PC, 0), 1),
	RN(percpu_stats, C_NULL, 1, 0, 0),
	R(percpu_stats, C_QUERY, 0, 0),
	RN(percpu_walk_chunks, C_NULL, 1, 0, 0),
	R(percpu_walk_chunks, C_QUERY, 0, 0),
	R(percpu_nr_slots, C_QUERY, 0, 0),
	R(percpu_check, C_QUERY, 0, 0),
	R(percpu_check_full, C_QUERY, 0, 0),

	/* ---- kho ---- */
	RN(kho_default_config, C_NULL, 1, 0, 0),
	R(kho_default_config, C_QUERY, 0, 0),
	RN(kho_create, C_NULL, 1, EINVAL, 0),
	RN(kho_create, C_NULL, 2, EINVAL, 0),
	R(kho_create, C_UNALIGNED, EINVAL, 1),
	R(kho_create, C_ORDER, EINVAL, 2),
	R(kho_create, C_ZERO, EINVAL, 3),
	R(kho_create, C_HUGE, EINVAL, 4),
	R(kho_create, C_NOOP, 0, 0),
	RN(kho_destroy, C_NULL, 1, 0, 0),
	/* preserve_folio(pfn, order) */
	R(kho_preserve_folio, C_ORDER, EINVAL, 0x200, 7),
	R(kho_preserve_folio, C_ORDER, EINVAL, 0, UINT_MAX),
	R(kho_preserve_folio, C_UNALIGNED, EINVAL, 0x201, 1),
	R(kho_preserve_folio, C_END64, ERANGE, E64(64), 6),
	R(kho_preserve_folio, C_END64, ERANGE, UINT64_MAX, 0),
	RS(kho_preserve_folio, C_OUTSIDE, 0, LIST_OUTSPAN, ERANGE, 0, 0),
	R(kho_preserve_folio, C_STATE, EEXIST, S(S_KP0, 0), 0),
	R(kho_preserve_folio, C_STATE, EEXIST, S(S_KP2, -4), 3),
	R(kho_preserve_folio, C_STATE, EEXIST, S(S_KP2, 2), 0),
	R(kho_unpreserve_folio, C_ORDER, EINVAL, 0x200, 7),
	R(kho_unpreserve_folio, C_UNALIGNED, EINVAL, 0x201, 1),
	R(kho_unpreserve_folio, C_END64, ERANGE, E64(64), 6),
	RS(kho_unpreserve_folio, C_OUTSIDE, 0, LIST_OUTSPAN, ERANGE, 0, 0),
	R(kho_unpreserve_folio, C_NEVER, ENOENT, 0x200, 0),
	R(kho_unpreserve_folio, C_WRONG_ORDER, ENOENT, S(S_KP2, 0), 1),
	R(kho_unpreserve_folio, C_WRONG_ORDER, ENOENT, S(S_KP2, 0), 0),
	R(kho_unpreserve_folio, C_INTERIOR, ENOENT, S(S_KP2, 1), 0),
	/* preserve_pages(pfn, nr) */
	R(kho_preserve_pages, C_ZERO, EINVAL, 0x200, 0),
	R(kho_preserve_pages, C_PAST64, EINVAL, E64(256), 512),
	R(kho_preserve_pages, C_END64, ERANGE, E64(16), 16),
	RS(kho_preserve_pages, C_OUTSIDE, 0, LIST_OUTSPAN, ERANGE, 0, 1),
	RS(kho_preserve_pages, C_HUGE, 1, LIST_HUGE, ERANGE, 0x200, 0),
	R(kho_preserve_pages, C_STATE, EEXIST, 0x27c, 8),
	R(kho_preserve_pages, C_STATE, EEXIST, 0x2b0, 0x20),
	R(kho_unpreserve_pages, C_ZERO, EINVAL, 0x200, 0),
	R(kho_unpreserve_pages, C_PAST64, EINVAL, E64(256), 512),
	R(kho_unpreserve_pages, C_END64, ERANGE, E64(16), 16),
	RS(kho_unpreserve_pages, C_OUTSIDE, 0, LIST_OUTSPAN, ERANGE, 0, 1),
	R(kho_unpreserve_pages, C_NEVER, ENOENT, 0x200, 4),
	R(kho_unpreserve_pages, C_WRONG_ORDER, ENOENT, S(S_KP2, 0), 2),
	R(kho_unpreserve_pages, C_INTERIOR, ENOENT, 0x2c0, 0x10),
	R(kho_serialized_size, C_QUERY, 0, 0),
	/* serialize(cap, with a buffer) */
	RN(kho_serialize, C_NULL, 2, EINVAL, 4096),
	RN(kho_serialize, C_NULL_ARRAY, 1, EINVAL, 4096),
	RN(kho_serialize, C_ZERO, 1, ERANGE, 0),
	R(kho_serialize, C_ONE, ERANGE, 1),
	R(kho_serialize, C_QUERY, 0, 4096),
	/* restore(which blob) */
	RN(kho_restore, C_NULL, 2, EINVAL, 0),
	RN(kho_restore, C_NULL_ARRAY, 1, EINVAL, 0, 64),
	RV(kho_restore, C_NULL, V_BOOT, EINVAL, 1),
	RV(kho_restore, C_ZERO, V_BOOT, EINVAL, 2),
	RV(kho_restore, C_CONFIG, V_BOOT, EINVAL, 3),
	RV(kho_restore, C_ONE, V_BOOT, EINVAL, 4),
	RV(kho_restore, C_STATE, V_KEXEC, EBUSY, 0),
	RV(kho_restore, C_STATE, V_KEXEC, EBUSY, 2),
	RV(kho_restore, C_STATE, V_KEXEC, EBUSY, 4),
	/* restore_folio(pfn, with a buddy) */
	RN(kho_restore_folio, C_NULL, 1, EINVAL, S(S_KIN, 0), 1),
	RN(kho_restore_folio, C_NULL, 1, EINVAL, S(S_KIN, 0), 0),
	R(kho_restore_folio, C_NEVER, ENOENT, 0x200, 1),
	R(kho_restore_folio, C_NEVER, ENOENT, 0x200, 0),
	R(kho_restore_folio, C_DOUBLE, ENOENT, 0x280, 1),
	R(kho_restore_folio, C_INTERIOR, ENOENT, S(S_KIN, 1), 1),
	R(kho_restore_folio, C_INTERIOR, ENOENT, S(S_KIN, 4), 0),
	RS(kho_restore_folio, C_OUTSIDE, 0, LIST_OUTPFN, ENOENT, 0, 1),
	RN(kho_stats, C_NULL, 1, 0, 0),
	R(kho_stats, C_QUERY, 0, 0),
	RN(kho_walk, C_NULL, 1, 0, KHO_PRESERVED),
	R(kho_walk, C_ID, 0, 2),
	R(kho_walk, C_ID, 0, UINT32_MAX),
	R(kho_walk, C_QUERY, 0, KHO_INCOMING),
	R(kho_max_order, C_QUERY, 0, 6),
	R(kho_check, C_QUERY, 0, 0),
	R(kho_check_full, C_QUERY, 0, 0),

	/* ---- machine ---- */
	RN(mm_machine_default_config, C_NULL, 1, 0, 0),
	R(mm_machine_default_config, C_QUERY, 0, 0),
	RN(mm_machine_boot, C_NULL, 1, EINVAL, 0),
	RN(mm_machine_boot, C_NULL, 2, EINVAL, 0),
	R(mm_machine_boot, C_NULL_ARRAY, EINVAL, 1),
	R(mm_machine_boot, C_NULL_ARRAY, EINVAL, 2),
	R(mm_machine_boot, C_ZERO, EINVAL, 3),
	R(mm_machine_boot, C_UNALIGNED, EINVAL, 4),
	R(mm_machine_boot, C_ID, EINVAL, 5),
	R(mm_machine_boot, C_ID, EINVAL, 6),
	R(mm_machine_boot, C_NOOP, 0, 0),
	RN(mm_machine_boot_memblock, C_NULL, 1, EINVAL, 0),
	RN(mm_machine_boot_memblock, C_NULL, 2, EINVAL, 0),
	RN(mm_machine_boot_memblock, C_NULL, 4, EINVAL, 0),
	R(mm_machine_boot_memblock, C_UNALIGNED, EINVAL, 4),
	R(mm_machine_boot_memblock, C_ZERO, EINVAL, 7),
	R(mm_machine_boot_memblock, C_NOOP, 0, 0),
	RN(mm_machine_destroy, C_NULL, 1, 0, 0),
	R(mm_machine_memblock, C_QUERY, 0, 0),
	R(mm_machine_buddy, C_QUERY, 0, 0),
	R(mm_machine_vmap, C_QUERY, 0, 0),
	R(mm_machine_vmalloc, C_QUERY, 0, 0),
	R(mm_machine_percpu, C_QUERY, 0, 0),
	R(mm_machine_kho, C_QUERY, 0, 0),
	R(mm_machine_page_size, C_QUERY, 0, PAGE),
	/* kexec(how the call is bad) */
	RN(mm_machine_kexec, C_NULL, 1, EINVAL, 0),
	RN(mm_machine_kexec, C_NULL, 2, EINVAL, 0),
	RN(mm_machine_kexec, C_NULL, 4, EINVAL, 0),
	RN(mm_machine_kexec, C_NULL, 8, EINVAL, 0),
	RN(mm_machine_kexec, C_NULL_ARRAY, 16, EINVAL, 0),
	R(mm_machine_kexec, C_UNALIGNED, EINVAL, 1),
	R(mm_machine_kexec, C_CONFIG, EINVAL, 2),
	R(mm_machine_kexec, C_CONFIG, EINVAL, 3),
	R(mm_machine_kexec, C_NULL_ARRAY, EINVAL, 4),
	R(mm_machine_check, C_QUERY, 0, 0),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* ---- running a row ---- */

static uint64_t resolve(const struct fx *f, uint64_t v)
{
	if ((v & UINT64_C(0xffff000000000000)) != SYM0)
		return v;
	return f->sym[(v >> 32) & 0xffff] + (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

#define NUL(i) (r->nulls & (1u << (i)))
#define OUT(i, var) (NUL(i) ? NULL : &(var))
#define VAL(cond) ((cond) ? 0 : WRONG_VALUE)

static int create_cfg_buddy(int how)
{
	struct buddy_config c;
	struct buddy *b = (struct buddy *)&c; /* a sentinel: must stay */
	static const int bad_nodes[2] = { 0, 5 };
	int rc;

	buddy_default_config(&c, 0x100, 0x200);
	switch (how) {
	case 1: c.end_pfn = c.start_pfn; break;
	case 2: c.max_order = BUDDY_MAX_ORDER_LIMIT + 1; break;
	case 3: c.nr_nodes = 0; break;
	case 4: c.nr_nodes = BUDDY_MAX_NODES + 1; break;
	case 5: c.nr_cpus = 0; break;
	case 6: c.nr_cpus = BUDDY_MAX_CPUS + 1; break;
	case 7: c.page_size = 3; break;
	case 8: c.nr_cpus = 2; c.nr_nodes = 2; c.cpu_node = bad_nodes; break;
	case 9: c.end_pfn = c.start_pfn + (UINT64_C(1) << 33); break;
	case 10: c.section_shift = 64; break;
	}
	rc = buddy_create(&b, &c);
	if (rc)
		return b == (struct buddy *)&c ? rc : OUT_TOUCHED;
	rc = buddy_check(b) ? WRONG_VALUE : 0;
	buddy_destroy(b);
	return rc;
}

static int call_create(struct fx *f, const struct row *r, const uint64_t *a)
{
	int how = (int)a[0], rc;

	switch (r->fn) {
	case F_memblock_create: {
		struct memblock_config c = { .memory_cap = how == 1 ? 0 : 4,
					     .reserved_cap = how == 2 ? 0 : 4 };
		struct memblock *mb = (struct memblock *)&c;

		rc = memblock_create(OUT(0, mb), NUL(1) ? NULL : &c);
		if (rc)
			return mb == (struct memblock *)&c ? rc : OUT_TOUCHED;
		memblock_destroy(mb);
		return 0;
	}
	case F_buddy_create:
		if (NUL(0))
			return buddy_create(NULL, NULL);
		if (NUL(1)) {
			struct buddy *b = NULL;

			rc = buddy_create(&b, NULL);
			return b ? OUT_TOUCHED : rc;
		}
		return create_cfg_buddy(how);
	case F_vmap_create: {
		struct vmap_config c = { 0x100000, 0x200000, 0, 8, NULL };
		struct vmap *v = (struct vmap *)&c;

		if (how == 1)
			c.vend = c.vstart;
		if (how == 2)
			c.vstart += 100;
		if (how == 3)
			c.page_size = 3;
		rc = vmap_create(OUT(0, v), NUL(1) ? NULL : &c);
		if (rc)
			return v == (struct vmap *)&c ? rc : OUT_TOUCHED;
		rc = vmap_check(v) ? WRONG_VALUE : 0;
		vmap_destroy(v);
		return rc;
	}
	case F_vmalloc_create: {
		struct vmalloc *v = NULL;

		rc = vmalloc_create(OUT(0, v), NUL(1) ? NULL : f->vm, NUL(2) ? NULL : f->b, NULL);
		if (rc)
			return v ? OUT_TOUCHED : rc;
		rc = vmalloc_nr_pages(v) == 0 ? 0 : WRONG_VALUE;
		vmalloc_destroy(v);
		return rc;
	}
	case F_percpu_create: {
		struct percpu_config c = { 2, NULL, 4, NULL, PERCPU_BEST_FIT };
		struct percpu *pc = NULL;

		if (how == 1)
			c.nr_cpus = 0;
		if (how == 2)
			c.nr_cpus = PERCPU_MAX_CPUS + 1;
		if (how == 3)
			c.policy = (enum percpu_policy)7;
		if (how == 4) {
			static const int bad[2] = { 0, 9 };

			c.cpu_node = bad;
		}
		rc = percpu_create(OUT(0, pc), NUL(1) ? NULL : f->va, NUL(2) ? NULL : f->b,
				   NUL(3) ? NULL : &c);
		if (rc)
			return pc ? OUT_TOUCHED : rc;
		rc = percpu_check(pc) ? WRONG_VALUE : 0;
		percpu_destroy(pc);
		return rc;
	}
	case F_kho_create: {
		struct kho_config c;
		struct kho *k = NULL;

		kho_default_config(&c, 0x100, 0x600);
		if (how == 1)
			c.page_size = 3;
		if (how == 2)
			c.max_order = KHO_MAX_ORDER_LIMIT + 1;
		if (how == 3)
			c.end_pfn = c.start_pfn;
		if (how == 4)
			c.end_pfn = UINT64_MAX >> 4;
		rc = kho_create(OUT(0, k), NUL(1) ? NULL : &c);
		if (rc)
			return k ? OUT_TOUCHED : rc;
		rc = kho_check(k) ? WRONG_VALUE : 0;
		kho_destroy(k);
		return rc;
	}
	default:
		abort();
	}
}

/* Boot config variants: 1 memory NULL with a count, 2 reserved NULL with a
 * count, 3 no memory, 4 page size 3, 5 a nid of 16, 6 a negative nid, 7
 * memblock given but the config NULL lists are fine: page size 0 is 4096
 * (used with boot_memblock on an empty memblock). */
static int call_boot(const struct row *r, const uint64_t *a)
{
	static const struct mm_range bad_nid[] = { { 0x10000, 0x10000, 16 } };
	static const struct mm_range neg_nid[] = { { 0x10000, 0x10000, -1 } };
	struct mm_machine_config c;
	struct mm_machine *m = NULL;
	int how = (int)a[0], rc;

	fx_config(&c, NULL);
	c.percpu = false;
	switch (how) {
	case 1: c.memory = NULL; c.nr_memory = 3; break;
	case 2: c.reserved = NULL; c.nr_reserved = 2; break;
	case 3: c.nr_memory = 0; break;
	case 4: c.page_size = 3; break;
	case 5: c.memory = bad_nid; c.nr_memory = 1; break;
	case 6: c.memory = neg_nid; c.nr_memory = 1; break;
	}
	if (r->fn == F_mm_machine_boot) {
		rc = mm_machine_boot(OUT(0, m), NUL(1) ? NULL : &c);
	} else {
		struct memblock *mb = NULL;

		if (memblock_create(&mb, NULL))
			abort();
		if (how != 7 && (memblock_add_node(mb, 0x10000, 0x20000, 0, 0) ||
				 memblock_add_node(mb, 0x40000, 0x20000, 1, 0)))
			abort();
		rc = mm_machine_boot_memblock(OUT(0, m), NUL(1) ? NULL : &c, NUL(2) ? NULL : mb);
		if (rc) {
			/* still the caller's, as it was */
			if (memblock_check(mb) ||
			    memblock_region_count(mb, MEMBLOCK_MEMORY) != (how == 7 ? 0u : 2u))
				rc = WRONG_VALUE;
			memblock_destroy(mb);
		}
	}
	if (rc)
		return m ? OUT_TOUCHED : rc;
	rc = mm_machine_check(m) ? WRONG_VALUE : 0;
	mm_machine_destroy(m);
	return rc;
}

static int call_kexec(struct fx *f, const struct row *r, const uint64_t *a)
{
	static const struct mm_range other[] = { { 0x10000, 0x20000, 0 } };
	struct mm_machine_config c;
	struct mm_machine *next = NULL;
	int kho_rc = 7, rc;
	uint8_t blob[8] = { 0 };

	fx_config(&c, &f->meta);
	switch ((int)a[0]) {
	case 1: c.page_size = 3; break;
	case 2: c.page_size = 512; break;
	case 3: c.memory = other; c.nr_memory = 1; break;
	case 4: c.memory = NULL; c.nr_memory = 2; break;
	}
	rc = mm_machine_kexec(OUT(0, next), NUL(1) ? NULL : &c, NUL(2) ? NULL : f->m,
			      NUL(4) ? NULL : blob, NUL(4) ? 8 : 0, OUT(3, kho_rc));
	if (rc)
		return next || kho_rc != 7 ? OUT_TOUCHED : rc;
	abort(); /* every kexec row is a bad one: old would be gone */
}

static uint64_t g_count;
static void count_range(void *ctx, uint64_t s, uint64_t e)
{
	struct fx *f = ctx;

	if (vmap_find(f->vm, s, NULL, NULL) == 0 && e > s)
		g_count++;
}

static uint64_t g_pages;
static void count_folio(void *ctx, uint64_t pfn, unsigned order)
{
	(void)ctx;
	(void)pfn;
	g_pages += (uint64_t)1 << order;
}

static void count_chunk(void *ctx, uint64_t base, unsigned slot)
{
	const struct fx *f = ctx;

	if (base && slot < percpu_nr_slots(f->pc))
		g_count++;
}

/* A setup before the snapshot, for rows that need a state the prepared
 * instance does not have. */
static void row_setup(struct fx *f, const struct row *r)
{
	if (r->fn == F_buddy_alloc_pages && r->cls == C_STATE) {
		/* Every block of that order taken, and pages in the caches. */
		unsigned order = (unsigned)r->a[0];
		uint64_t p, extra[8];
		int n = 0;

		while (!buddy_alloc_pages(f->b, order, NUMA_NO_NODE, &p))
			;
		for (int cpu = 0; cpu < 2; cpu++) {
			buddy_set_cpu(f->b, (unsigned)cpu);
			for (int i = 0; i < 4 && n < 8; i++)
				if (!buddy_alloc_pages(f->b, 0, cpu, &extra[n]))
					n++;
		}
		for (int i = 0; i < n; i++) {
			buddy_set_cpu(f->b, (unsigned)(i & 1));
			buddy_free_pages(f->b, extra[i], 0);
		}
		buddy_set_cpu(f->b, 0);
		if (!buddy_nr_cached(f->b, 0) && !buddy_nr_cached(f->b, 1)) {
			fprintf(stderr, "setup: no cached pages\n");
			abort();
		}
	}
	if (r->fn == F_buddy_adopt_backing && r->a[0] >= 1) {
		f->saved = buddy_release_backing(f->b);
		f->saved_v = 0;
	}
}

static void row_teardown(struct fx *f, const struct row *r)
{
	if (r->fn == F_buddy_adopt_backing && r->a[0] >= 1 && f->saved)
		buddy_adopt_backing(f->b, f->saved, PAGE);
	f->saved = NULL;
}

static int call(struct fx *f, const struct row *r, const uint64_t *a)
{
	uint64_t u = 0, v = 0;
	int rc;

	switch (r->fn) {
	/* mm */
	case F_mm_strerror:
		return VAL(!strcmp(mm_strerror((int)a[0]), a[0] == 0 ? "success"
						: a[0] == 12345 ? "unknown error" : "invalid argument"));
	case F_mm_errname: {
		const char *n = mm_errname((int)a[0]);

		return VAL(a[0] == (uint64_t)-MM_ENOENT ? n && !strcmp(n, "ENOENT") : !n);
	}
	case F_mm_errcode:
		return VAL(mm_errcode(NUL(0) ? NULL : a[0] == 1 ? "EBOGUS" : "EINVAL") ==
			   (a[0] == 2 ? MM_EINVAL : 0));
	case F_mm_is_pow2: return VAL(mm_is_pow2(a[0]) == (a[1] != 0));
	case F_mm_add_ok:
		return VAL(mm_add_ok(a[0], a[1], &u) == (a[2] != 0) && (!a[2] || u == a[0] + a[1]));
	case F_mm_cap_size: return VAL(mm_cap_size(a[0], a[1]) == a[2]);
	case F_mm_round_down: return VAL(mm_round_down(a[0], a[1]) == a[2]);
	case F_mm_round_up: return VAL(mm_round_up(a[0], a[1], &u) == (a[2] != 0));
	case F_mm_min: return VAL(mm_min(a[0], a[1]) == a[2]);
	case F_mm_max: return VAL(mm_max(a[0], a[1]) == a[2]);
	case F_mm_meta_init: mm_meta_init(NULL); return 0;
	case F_mm_meta_fail_at:
		if (NUL(0)) {
			mm_meta_fail_at(NULL, a[0], a[1]);
			return 0;
		}
		mm_meta_fail_at(&f->hm, 0, false); /* disarmed already: no change */
		return 0;
	case F_mm_meta_alloc: {
		void *p = mm_meta_alloc(&f->hm, (size_t)a[0]);

		rc = VAL(p != NULL && f->hm.live == 3);
		mm_meta_free(&f->hm, p, (size_t)a[0]);
		return rc;
	}
	case F_mm_meta_calloc: {
		void *p = mm_meta_calloc(&f->hm, (size_t)a[0], (size_t)a[1]);

		rc = VAL(a[0] == SIZE_MAX ? p == NULL : p != NULL);
		mm_meta_free(&f->hm, p, (size_t)(a[0] * a[1]));
		return rc;
	}
	case F_mm_meta_array: {
		void *p = mm_meta_array(&f->hm, (size_t)a[0], (size_t)a[1]);

		rc = VAL(a[1] == 4 ? p == NULL : p != NULL);
		if (p)
			mm_meta_free(&f->hm, p, (size_t)(a[0] * a[1]));
		return rc;
	}
	case F_mm_meta_free:
		mm_meta_free(NUL(0) ? NULL : &f->hm, NULL, 0);
		return 0;

	/* bitmap */
	case F_test_bit: return VAL(test_bit(a[0], f->map) == (a[1] != 0));
	case F_set_bit: set_bit(a[0], f->map); return 0;
	case F_clear_bit: clear_bit(a[0], f->map); return 0;
	case F_bitmap_word_mask: return VAL(bitmap_word_mask((unsigned)a[0], (unsigned)a[1]) == a[2]);
	case F_bitmap_set: bitmap_set(f->map, a[0], a[1]); return 0;
	case F_bitmap_clear: bitmap_clear(f->map, a[0], a[1]); return 0;
	case F_find_next_bit: return VAL(find_next_bit(f->map, a[0], a[1]) == a[2]);
	case F_find_next_zero_bit: return VAL(find_next_zero_bit(f->map, a[0], a[1]) == a[2]);
	case F_find_prev_bit: return VAL(find_prev_bit(f->map, a[0], a[1]) == a[2]);
	case F_bitmap_weight: return VAL(bitmap_weight(f->map, a[0]) == a[1]);
	case F_bitmap_empty: return VAL(bitmap_empty(f->map, a[0]) == (a[1] != 0));
	case F_bitmap_full: return VAL(bitmap_full(f->map, a[0]) == (a[1] != 0));
	case F_bitmap_find_next_zero_area:
		return VAL(bitmap_find_next_zero_area(f->map, a[0], a[1], a[2], a[3]) == a[4]);

	/* rbtree: a[0] 1 means an empty tree */
	case F_rb_first: {
		struct rb_root empty = { NULL };
		const struct rb_node *n = rb_first(a[0] ? &empty : &f->root);

		return VAL(a[0] ? !n : n && rb_entry(n, struct tnode, rb)->key == 0);
	}
	case F_rb_last: {
		struct rb_root empty = { NULL };
		const struct rb_node *n = rb_last(a[0] ? &empty : &f->root);

		return VAL(a[0] ? !n : n && rb_entry(n, struct tnode, rb)->key == 150);
	}
	case F_rb_next: {
		const struct rb_node *n = rb_next(a[0] ? rb_first(&f->root) : rb_last(&f->root));

		return VAL(a[0] ? n && rb_entry(n, struct tnode, rb)->key == 10 : !n);
	}
	case F_rb_prev: {
		const struct rb_node *n = rb_prev(a[0] ? rb_last(&f->root) : rb_first(&f->root));

		return VAL(a[0] ? n && rb_entry(n, struct tnode, rb)->key == 140 : !n);
	}
	case F_rb_check: {
		struct rb_root empty = { NULL };

		return VAL(!rb_check(a[0] ? &empty : &f->root, tree_less, NULL));
	}
	case F_rb_insert:
	case F_rb_erase:
		/* a round trip: insert 55, check, erase it */
		tree_insert(&f->root, &f->nodes[16]);
		rc = VAL(!rb_check(&f->root, tree_less, NULL));
		rb_erase(&f->root, &f->nodes[16].rb, NULL);
		return rc;
	case F_rb_propagate:
		rb_propagate(&f->nodes[3].rb, NULL);
		return 0;
	case F_rb_propagate_inline:
		rb_propagate_inline(&f->nodes[3].rb, NULL);
		return 0;
	case F_rb_insert_fixup_inline:
	case F_rb_link_inline:
	case F_rb_insert_inline:
	case F_rb_erase_inline: {
		/* the inline templates' round trip: link 55 and rebalance (in one
		 * call, or in the two steps), check, erase it */
		struct rb_node **link = &f->root.node, *parent = NULL;

		while (*link) {
			parent = *link;
			link = 55 < rb_entry(parent, struct tnode, rb)->key ? &parent->left
									    : &parent->right;
		}
		if (r->fn == F_rb_insert_inline || r->fn == F_rb_erase_inline) {
			rb_insert_inline(&f->root, &f->nodes[16].rb, parent, link, NULL, NULL);
		} else {
			rb_link_inline(&f->nodes[16].rb, parent, link);
			rb_insert_fixup_inline(&f->root, &f->nodes[16].rb, NULL, NULL);
		}
		rc = VAL(!rb_check(&f->root, tree_less, NULL));
		rb_erase_inline(&f->root, &f->nodes[16].rb, NULL, NULL);
		return rc ? rc : VAL(!rb_check(&f->root, tree_less, NULL));
	}

	/* memblock */
	case F_memblock_create: return call_create(f, r, a);
	case F_memblock_destroy: memblock_destroy(NULL); return 0;
	case F_memblock_add_node: return memblock_add_node(f->mb, a[0], a[1], (int)a[2], (uint32_t)a[3]);
	case F_memblock_add: return memblock_add(f->mb, a[0], a[1]);
	case F_memblock_reserve: return memblock_reserve(f->mb, a[0], a[1]);
	case F_memblock_remove: return memblock_remove(f->mb, a[0], a[1]);
	case F_memblock_phys_free: return memblock_phys_free(f->mb, a[0], a[1]);
	case F_memblock_mark_hotplug: return memblock_mark_hotplug(f->mb, a[0], a[1]);
	case F_memblock_clear_hotplug: return memblock_clear_hotplug(f->mb, a[0], a[1]);
	case F_memblock_mark_mirror:
		/* nothing there to mark: no-op rows only */
		return memblock_mark_mirror(f->mb, a[0], a[1]);
	case F_memblock_mark_nomap: return memblock_mark_nomap(f->mb, a[0], a[1]);
	case F_memblock_clear_nomap: return memblock_clear_nomap(f->mb, a[0], a[1]);
	case F_memblock_set_node:
		return memblock_set_node(f->mb, a[0], a[1], (enum memblock_type_id)a[2], (int)a[3]);
	case F_memblock_trim_memory: return memblock_trim_memory(f->mb, a[0]);
	case F_memblock_set_current_limit: memblock_set_current_limit(f->mb, a[0]); return 0;
	case F_memblock_get_current_limit: return VAL(memblock_get_current_limit(f->mb) == a[0]);
	case F_memblock_set_bottom_up: memblock_set_bottom_up(f->mb, a[0] != 0); return 0;
	case F_memblock_bottom_up: return VAL(memblock_bottom_up(f->mb) == (a[0] != 0));
	case F_memblock_phys_alloc_range:
		u = 0x5a5a;
		rc = memblock_phys_alloc_range(f->mb, a[0], a[1], a[2], a[3], (int)a[4], false,
					       OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_memblock_alloc_try_nid:
		u = 0x5a5a;
		rc = memblock_alloc_try_nid(f->mb, a[0], a[1], a[2], a[3], (int)a[4], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_memblock_alloc_exact_nid:
		u = 0x5a5a;
		rc = memblock_alloc_exact_nid(f->mb, a[0], a[1], a[2], a[3], (int)a[4], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_memblock_is_memory: return VAL(memblock_is_memory(f->mb, a[0]) == (a[1] != 0));
	case F_memblock_is_region_reserved:
		return VAL(memblock_is_region_reserved(f->mb, a[0], a[1]) == (a[2] != 0));
	case F_memblock_phys_mem_size: return VAL(memblock_phys_mem_size(f->mb) == a[0]);
	case F_memblock_reserved_size:
		for (size_t k = 0; k < memblock_region_count(f->mb, MEMBLOCK_RESERVED); k++)
			u += memblock_region(f->mb, MEMBLOCK_RESERVED, k)->size;
		return VAL(u && memblock_reserved_size(f->mb) == u);
	case F_memblock_start_of_DRAM: return VAL(memblock_start_of_DRAM(f->mb) == a[0]);
	case F_memblock_end_of_DRAM: return VAL(memblock_end_of_DRAM(f->mb) == a[0]);
	case F_memblock_region_count:
		return VAL(memblock_region_count(f->mb, (enum memblock_type_id)a[0]) == a[1]);
	case F_memblock_region: {
		const struct memblock_region *g =
			memblock_region(f->mb, (enum memblock_type_id)a[0], (size_t)a[1]);

		if (r->cls == C_QUERY)
			return VAL(g && g->base == 0x10000 && g->nid == 0);
		return VAL(!g);
	}
	case F_memblock_ensure_room:
		return memblock_ensure_room(f->mb, (enum memblock_type_id)a[0], (size_t)a[1]);
	case F_memblock_grow_count:
		return VAL(a[0] == 2 ? memblock_grow_count(f->mb, (enum memblock_type_id)a[0]) == 0
				     : memblock_grow_count(f->mb, MEMBLOCK_MEMORY) < 100);
	case F_memblock_allow_resize: memblock_allow_resize(f->mb); return 0;
	case F_memblock_array_home: {
		uint64_t b = 0x5a5a, z = 0x5a5a;
		bool got = memblock_array_home(f->mb, (enum memblock_type_id)a[0], OUT(0, b),
					       OUT(1, z));

		return VAL(!got && b == 0x5a5a && z == 0x5a5a);
	}
	case F_memblock_array_max: {
		size_t max = memblock_array_max(f->mb, (enum memblock_type_id)a[0]);

		/* a[1]: a real type, whose array holds its regions and is at
		 * least the fixture's initial capacity (memory 4, reserved 2) */
		return VAL(a[1] ? max >= memblock_region_count(f->mb, (enum memblock_type_id)a[0]) &&
					  max >= (a[0] ? 2u : 4u)
				: max == 0);
	}
	case F_memblock_next_free_range: {
		uint64_t it = a[1], s = 0, e = 0;
		int nid = 99;
		bool got = memblock_next_free_range(f->mb, (int)a[0], OUT(0, it), OUT(1, s),
						    OUT(2, e), OUT(3, nid));

		if (NUL(0) || r->cls == C_HUGE || r->cls == C_ID)
			return VAL(!got);
		if (r->nulls)
			return VAL(got);
		/* the first free range of node 0: after the reserved page */
		return VAL(got && s == 0x11000 && e > s && nid == 0);
	}
	case F_memblock_check: return VAL(!memblock_check(f->mb));

	/* buddy */
	case F_buddy_default_config: {
		struct buddy_config c;

		if (NUL(0)) {
			buddy_default_config(NULL, 0, 1);
			return 0;
		}
		buddy_default_config(&c, 5, 9);
		return VAL(c.start_pfn == 5 && c.end_pfn == 9 && c.max_order == BUDDY_DEFAULT_MAX_ORDER &&
			   c.nr_nodes == 1 && c.nr_cpus == 1 && !c.meta);
	}
	case F_buddy_create: return call_create(f, r, a);
	case F_buddy_destroy: buddy_destroy(NULL); return 0;
	case F_buddy_add_memory: return buddy_add_memory(f->b, a[0], a[1], (int)a[2]);
	case F_buddy_free_boot_range: return buddy_free_boot_range(f->b, a[0], a[1]);
	case F_buddy_set_cpu: return buddy_set_cpu(f->b, (unsigned)a[0]);
	case F_buddy_cpu: return VAL(buddy_cpu(f->b) == a[0]);
	case F_buddy_cpu_node: return VAL(buddy_cpu_node(f->b, (unsigned)a[0]) == (int)a[1]);
	case F_buddy_alloc_pages:
		u = 0x5a5a;
		rc = buddy_alloc_pages(f->b, (unsigned)a[0], (int)a[1], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_buddy_free_pages: return buddy_free_pages(f->b, a[0], (unsigned)a[1]);
	case F_buddy_get_page:
		rc = buddy_get_page(f->b, a[0]);
		if (rc || r->cls != C_NOOP)
			return rc;
		return buddy_put_page(f->b, a[0]); /* a round trip */
	case F_buddy_put_page: return buddy_put_page(f->b, a[0]);
	case F_buddy_split_page: return buddy_split_page(f->b, a[0], (unsigned)a[1]);
	case F_buddy_free_contig_range: return buddy_free_contig_range(f->b, a[0], a[1]);
	case F_buddy_alloc_contig_range: return buddy_alloc_contig_range(f->b, a[0], a[1]);
	case F_buddy_alloc_contig_pages:
		u = 0x5a5a;
		rc = buddy_alloc_contig_pages(f->b, a[0], (int)a[1], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_buddy_drain:
		if (r->cls == C_VALID) {
			rc = buddy_drain(f->b, 0);
			rc = rc ? rc : buddy_drain(f->b, 1);
			return rc ? rc : VAL(!buddy_nr_cached(f->b, 0) && !buddy_nr_cached(f->b, 1));
		}
		return buddy_drain(f->b, (unsigned)a[0]);
	case F_buddy_drain_all:
		buddy_drain_all(f->b);
		return VAL(!buddy_nr_cached(f->b, 0) && !buddy_nr_cached(f->b, 1));
	case F_buddy_claim_reserved: return buddy_claim_reserved(f->b, a[0], (unsigned)a[1]);
	case F_buddy_release_backing: {
		void *mem = buddy_release_backing(f->b);

		rc = VAL(mem && !buddy_page_ptr(f->b, f->sym[S_A0]) && !buddy_release_backing(f->b));
		if (mem && buddy_adopt_backing(f->b, mem, PAGE))
			rc = WRONG_VALUE;
		return rc;
	}
	case F_buddy_adopt_backing: {
		uint8_t other[16];

		switch ((int)a[0]) {
		case 0:
			/* with backing already */
			return buddy_adopt_backing(f->b, NUL(0) ? NULL : other, PAGE);
		case 1: return buddy_adopt_backing(f->b, f->saved, 3);
		case 2: return buddy_adopt_backing(f->b, f->saved, 0);
		default:
			rc = buddy_adopt_backing(f->b, f->saved, PAGE);
			if (!rc)
				f->saved = NULL;
			return rc;
		}
	}
	case F_buddy_page_run: {
		struct buddy_page_info info = { BUDDY_ALLOC, 77, 77, 77 }, pi;
		uint64_t n = 77;

		rc = buddy_page_run(f->b, a[0], a[1], OUT(0, info), OUT(1, n));
		if (rc || r->cls != C_QUERY)
			return rc && (info.order != 77 || n != 77) ? OUT_TOUCHED : rc;
		/* n pages alike, within max, and the one after (if any) not */
		if (!n || n > a[1])
			return WRONG_VALUE;
		for (uint64_t i = 0; i < n; i++)
			if (buddy_page(f->b, a[0] + i, &pi) || pi.state != info.state ||
			    pi.order != info.order || pi.refcount != info.refcount || pi.nid != info.nid)
				return WRONG_VALUE;
		if (n < a[1] && !buddy_page(f->b, a[0] + n, &pi) && pi.state == info.state &&
		    pi.order == info.order && pi.refcount == info.refcount && pi.nid == info.nid)
			return WRONG_VALUE;
		return VAL(a[0] != f->sym[S_A2] || (info.state == BUDDY_ALLOC && n == 1));
	}
	case F_buddy_page: {
		struct buddy_page_info info = { BUDDY_ALLOC, 77, 77, 77 };

		rc = buddy_page(f->b, a[0], OUT(0, info));
		if (rc || r->cls != C_QUERY)
			return rc && info.order != 77 ? OUT_TOUCHED : rc;
		if (a[0] == f->sym[S_HOLE])
			return VAL(info.state == BUDDY_HOLE && info.nid == NUMA_NO_NODE);
		return VAL(info.state == BUDDY_ALLOC && info.order == 2 && info.refcount == 1 &&
			   info.nid == 0);
	}
	case F_buddy_nr_free:
		if (r->cls == C_QUERY)
			return VAL(buddy_nr_free(f->b, NUMA_NO_NODE) ==
				   buddy_nr_free(f->b, 0) + buddy_nr_free(f->b, 1) &&
				   buddy_nr_free(f->b, 0) > 0);
		return VAL(buddy_nr_free(f->b, (int)a[0]) == 0);
	case F_buddy_nr_free_blocks:
		if (r->cls == C_QUERY) {
			for (unsigned o = 0; o <= 6; o++)
				for (int n = 0; n < 2; n++)
					u += buddy_nr_free_blocks(f->b, n, o) << o;
			for (int c = 0; c < 2; c++)
				u += buddy_nr_cached(f->b, (unsigned)c);
			return VAL(u == buddy_nr_free(f->b, NUMA_NO_NODE));
		}
		return VAL(buddy_nr_free_blocks(f->b, (int)a[0], (unsigned)a[1]) == 0);
	case F_buddy_nr_cached:
		if (r->cls == C_QUERY)
			return VAL(buddy_nr_cached(f->b, 0) + buddy_nr_cached(f->b, 1) > 0);
		return VAL(buddy_nr_cached(f->b, (unsigned)a[0]) == 0);
	case F_buddy_max_order: return VAL(buddy_max_order(f->b) == a[0]);
	case F_buddy_nr_nodes: return VAL(buddy_nr_nodes(f->b) == a[0]);
	case F_buddy_section_shift: return VAL(buddy_section_shift(f->b) == a[0]);
	case F_buddy_start_pfn: return VAL(buddy_start_pfn(f->b) == a[0]);
	case F_buddy_end_pfn: return VAL(buddy_end_pfn(f->b) == a[0]);
	case F_buddy_page_ptr:
		if (r->cls == C_QUERY) {
			uint8_t *p = buddy_page_ptr(f->b, a[0]), *q = buddy_page_ptr(f->b, a[0] + 1);

			return VAL(p && q == p + PAGE);
		}
		return VAL(!buddy_page_ptr(f->b, a[0]));
	case F_buddy_check: return VAL(!buddy_check(f->b));
	case F_buddy_check_full: return VAL(!buddy_check_full(f->b));

	/* vmap */
	case F_vmap_create: return call_create(f, r, a);
	case F_vmap_destroy: vmap_destroy(NULL); return 0;
	case F_vmap_alloc:
		u = 0x5a5a;
		rc = vmap_alloc(f->vm, a[0], a[1], a[2], a[3], OUT(0, u));
		if (rc && u != 0x5a5a)
			return OUT_TOUCHED;
		if (r->changes && vmap_lazy_pages(f->vm))
			return WRONG_VALUE; /* the purge is all that changed */
		return rc;
	case F_vmap_free: return vmap_free(f->vm, a[0]);
	case F_vmap_free_lazy: return vmap_free_lazy(f->vm, a[0]);
	case F_vmap_purge:
		vmap_purge(f->vm);
		return VAL(vmap_lazy_pages(f->vm) == 0);
	case F_vmap_find:
		u = v = 0x5a5a;
		rc = vmap_find(f->vm, a[0], OUT(0, u), OUT(1, v));
		if (rc)
			return u != 0x5a5a || v != 0x5a5a ? OUT_TOUCHED : rc;
		return VAL((NUL(0) ? u == 0x5a5a : u == f->sym[S_VA]) &&
			   (NUL(1) ? v == 0x5a5a : v == 4 * PAGE));
	case F_vmap_walk:
		g_count = 0;
		vmap_walk(f->vm, (enum vmap_kind)a[0], NUL(0) ? NULL : count_range, f);
		if (r->cls == C_QUERY)
			return VAL(g_count >= 3);
		return VAL(g_count == 0);
	case F_vmap_lazy_pages:
		{
			struct snap s = { 0 };

			vmap_walk(f->vm, VMAP_LAZY, walk_range, &s);
			for (size_t k = 0; k + 16 <= s.n; k += 16) {
				uint64_t st, en;

				memcpy(&st, s.p + k, 8);
				memcpy(&en, s.p + k + 8, 8);
				u += (en - st) / PAGE;
			}
			free(s.p);
		}
		return VAL(u >= 2 && vmap_lazy_pages(f->vm) == u);
	case F_vmap_start: return VAL(vmap_start(f->vm) == a[0]);
	case F_vmap_end: return VAL(vmap_end(f->vm) == a[0]);
	case F_vmap_page_size: return VAL(vmap_page_size(f->vm) == a[0]);
	case F_vmap_check: return VAL(!vmap_check(f->vm));
	case F_vmap_check_full: return VAL(!vmap_check_full(f->vm));

	/* vmalloc */
	case F_vmalloc_create: return call_create(f, r, a);
	case F_vmalloc_destroy: vmalloc_destroy(NULL); return 0;
	case F_vmalloc:
		u = 0x5a5a;
		rc = vmalloc(f->va, a[0], (int)a[1], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_vfree: return vfree(f->va, a[0]);
	case F_vmap_pages: {
		uint64_t *pfns = malloc(4 * sizeof(*pfns)); /* exactly 4: ASan sees a read past */

		if (!pfns)
			abort();
		for (int k = 0; k < 4; k++)
			pfns[k] = a[0] + (uint64_t)k;
		u = 0x5a5a;
		rc = vmap_pages(f->va, NUL(0) ? NULL : pfns, a[1], OUT(1, u));
		free(pfns);
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	}
	case F_vunmap: return vunmap(f->va, a[0]);
	case F_vmalloc_reserve:
		u = 0x5a5a;
		rc = vmalloc_reserve(f->va, a[0], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_vmalloc_map_page: return vmalloc_map_page(f->va, a[0], a[1]);
	case F_vmalloc_unmap_page:
		u = 0x5a5a;
		rc = vmalloc_unmap_page(f->va, a[0], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_vmalloc_to_pfn:
		u = 0x5a5a;
		rc = vmalloc_to_pfn(f->va, a[0], OUT(0, u));
		if (rc)
			return u != 0x5a5a ? OUT_TOUCHED : rc;
		if (NUL(0))
			return VAL(u == 0x5a5a);
		return VAL(u == f->sym[S_A2] + 1); /* VP + 300 is its second page */
	case F_vmalloc_host:
		if (r->cls == C_QUERY) {
			uint8_t *h = vmalloc_host(f->va, a[0]);

			rc = vmalloc_to_pfn(f->va, a[0], &u);
			return VAL(!rc && h && h == (uint8_t *)buddy_page_ptr(f->b, u) + 5);
		}
		return VAL(!vmalloc_host(f->va, a[0]));
	case F_vmalloc_page_size: return VAL(vmalloc_page_size(f->va) == a[0]);
	case F_vmalloc_nr_pages: return VAL(vmalloc_nr_pages(f->va) == a[0]);
	case F_vmalloc_check: return VAL(!vmalloc_check(f->va));
	case F_vmalloc_check_full: return VAL(!vmalloc_check_full(f->va));

	/* percpu */
	case F_percpu_create: return call_create(f, r, a);
	case F_percpu_destroy: percpu_destroy(NULL); return 0;
	case F_percpu_alloc:
		u = 0x5a5a;
		rc = percpu_alloc(f->pc, a[0], a[1], OUT(0, u));
		return rc && u != 0x5a5a ? OUT_TOUCHED : rc;
	case F_percpu_free: return percpu_free(f->pc, a[0]);
	case F_percpu_unit_offsets: {
		const uint64_t *o = percpu_unit_offsets(f->pc);
		struct percpu_stats st;

		percpu_stats(f->pc, &st);
		return VAL(o && o[0] == 0 && o[1] == st.unit_bytes);
	}
	case F_per_cpu_ptr:
		rc = percpu_ptr(f->pc, a[0], (unsigned)a[1], &u);
		return VAL(!rc && per_cpu_ptr(percpu_unit_offsets(f->pc), a[0], (unsigned)a[1]) == u &&
			   u != a[0]);
	case F_percpu_ptr:
		u = 0x5a5a;
		rc = percpu_ptr(f->pc, a[0], (unsigned)a[1], OUT(0, u));
		if (rc)
			return u != 0x5a5a ? OUT_TOUCHED : rc;
		return VAL(NUL(0) ? u == 0x5a5a
				  : u == a[0] + percpu_unit_offsets(f->pc)[(unsigned)a[1]]);
	case F_percpu_host:
		if (r->cls == C_QUERY) {
			uint8_t *h = percpu_host(f->pc, a[0], (unsigned)a[1]);

			return VAL(h && !h[0]); /* zeroed, and readable under ASan */
		}
		return VAL(!percpu_host(f->pc, a[0], (unsigned)a[1]));
	case F_percpu_stats: {
		struct percpu_stats st;

		percpu_stats(f->pc, NUL(0) ? NULL : &st);
		return NUL(0) ? 0 : VAL(st.allocs == 1 && st.units == 2 && st.chunks >= 1);
	}
	case F_percpu_walk_chunks: {
		struct percpu_stats st;

		g_count = 0;
		percpu_walk_chunks(f->pc, NUL(0) ? NULL : count_chunk, f);
		percpu_stats(f->pc, &st);
		return VAL(NUL(0) ? g_count == 0 : g_count == st.chunks);
	}
	case F_percpu_nr_slots: return VAL(percpu_nr_slots(f->pc) >= 2);
	case F_percpu_check: return VAL(!percpu_check(f->pc));
	case F_percpu_check_full: return VAL(!percpu_check_full(f->pc));

	/* kho */
	case F_kho_default_config: {
		struct kho_config c;

		if (NUL(0)) {
			kho_default_config(NULL, 0, 1);
			return 0;
		}
		kho_default_config(&c, 3, 7);
		return VAL(c.start_pfn == 3 && c.end_pfn == 7 && c.max_order == BUDDY_DEFAULT_MAX_ORDER);
	}
	case F_kho_create: return call_create(f, r, a);
	case F_kho_destroy: kho_destroy(NULL); return 0;
	case F_kho_preserve_folio: return kho_preserve_folio(f->k, a[0], (unsigned)a[1]);
	case F_kho_unpreserve_folio: return kho_unpreserve_folio(f->k, a[0], (unsigned)a[1]);
	case F_kho_preserve_pages: return kho_preserve_pages(f->k, a[0], a[1]);
	case F_kho_unpreserve_pages: return kho_unpreserve_pages(f->k, a[0], a[1]);
	case F_kho_serialized_size: {
		size_t n = kho_serialized_size(f->k), got = 0;
		uint8_t *buf = malloc(n);

		rc = buf ? kho_serialize(f->k, buf, n, &got) : -1;
		free(buf);
		return VAL(!rc && got == n && n > KHO_BLOB_HEADER);
	}
	case F_kho_serialize: {
		uint8_t *buf = calloc(1, 4096);
		size_t len = 0x5a5a;

		if (!buf)
			abort();
		rc = kho_serialize(f->k, NUL(0) ? NULL : buf, (size_t)a[0], OUT(1, len));
		if (rc == ERANGE && len != kho_serialized_size(f->k))
			rc = OUT_TOUCHED;
		if (rc == EINVAL && len != 0x5a5a)
			rc = OUT_TOUCHED;
		if (rc == -MM_ERANGE && a[0] && buf[0])
			rc = OUT_TOUCHED; /* nothing written */
		if (!rc && (len != kho_serialized_size(f->k) || memcmp(buf, "KHO-BLOB", 8)))
			rc = WRONG_VALUE;
		free(buf);
		return rc;
	}
	case F_kho_restore: {
		/* 1: an empty blob of 0 bytes; 2: 64 zero bytes; 3: this
		 * instance's own blob, but one byte changed; 4: a blob of
		 * another page size */
		size_t n = kho_serialized_size(f->k), got;
		uint8_t *buf = calloc(1, n + 64);

		if (!buf)
			abort();
		if (kho_serialize(f->k, buf, n, &got))
			abort();
		if (a[0] == 3)
			buf[n / 2] ^= 1;
		if (a[0] == 4)
			buf[12] = 13;
		if (NUL(0))
			rc = kho_restore(f->k, NULL, a[1], f->mb);
		else if (NUL(1))
			rc = kho_restore(f->k, buf, n, NULL);
		else if (a[0] == 1)
			rc = kho_restore(f->k, buf, 0, f->mb);
		else if (a[0] == 2)
			rc = kho_restore(f->k, buf + n, 64, f->mb);
		else
			rc = kho_restore(f->k, buf, n, f->mb);
		free(buf);
		return rc;
	}
	case F_kho_restore_folio: {
		unsigned order = 77;

		rc = kho_restore_folio(f->k, a[1] ? f->b : NULL, a[0], OUT(0, order));
		return rc && order != 77 ? OUT_TOUCHED : rc;
	}
	case F_kho_stats: {
		struct kho_stats st;

		if (NUL(0)) {
			kho_stats(f->k, NULL);
			return 0;
		}
		kho_stats(f->k, &st);
		g_pages = 0;
		kho_walk(f->k, KHO_PRESERVED, count_folio, NULL);
		return VAL(st.pages[KHO_PRESERVED] == g_pages && st.folios[KHO_PRESERVED] >= 3);
	}
	case F_kho_walk: {
		struct kho_stats st;

		g_pages = 0;
		kho_walk(f->k, (enum kho_set_id)a[0], NUL(0) ? NULL : count_folio, NULL);
		kho_stats(f->k, &st);
		if (r->cls == C_QUERY)
			return VAL(g_pages == st.pages[KHO_INCOMING]);
		return VAL(g_pages == 0);
	}
	case F_kho_max_order: return VAL(kho_max_order(f->k) == a[0]);
	case F_kho_check: return VAL(!kho_check(f->k));
	case F_kho_check_full: return VAL(!kho_check_full(f->k));

	/* machine */
	case F_mm_machine_default_config: {
		struct mm_machine_config c;

		if (NUL(0)) {
			mm_machine_default_config(NULL);
			return 0;
		}
		mm_machine_default_config(&c);
		return VAL(c.page_size == 4096 && c.nr_cpus == 1 && !c.memory && !c.nr_memory);
	}
	case F_mm_machine_boot:
	case F_mm_machine_boot_memblock:
		return call_boot(r, a);
	case F_mm_machine_destroy: mm_machine_destroy(NULL); return 0;
	case F_mm_machine_memblock: return VAL(mm_machine_memblock(f->m) == f->mb && f->mb);
	case F_mm_machine_buddy: return VAL(mm_machine_buddy(f->m) == f->b && f->b);
	case F_mm_machine_vmap: return VAL(mm_machine_vmap(f->m) == f->vm && f->vm);
	case F_mm_machine_vmalloc: return VAL(mm_machine_vmalloc(f->m) == f->va && f->va);
	case F_mm_machine_percpu: return VAL(mm_machine_percpu(f->m) == f->pc && f->pc);
	case F_mm_machine_kho: return VAL(mm_machine_kho(f->m) == f->k && f->k);
	case F_mm_machine_page_size: return VAL(mm_machine_page_size(f->m) == a[0]);
	case F_mm_machine_kexec: return call_kexec(f, r, a);
	case F_mm_machine_check: return VAL(!mm_machine_check(f->m));
	case NFN:
		break;
	}
	abort();
}

/* ---- coverage: every function a header declares has rows ---- */

/* Append the functions declared at file scope in the header text. */
static int header_functions(const char *path, char names[][64], int max, int n)
{
	FILE *fp = fopen(path, "r");
	char *text, *t;
	long len;
	int depth = 0;

	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	if (!text || fread(text, 1, (size_t)len, fp) != (size_t)len)
		abort();
	fclose(fp);
	/* comments and preprocessor lines become blanks */
	for (t = text; *t; t++) {
		if (t[0] == '/' && t[1] == '*') {
			char *e = strstr(t + 2, "*/");

			e = e ? e + 2 : t + strlen(t);
			memset(t, ' ', (size_t)(e - t));
			t = e - 1;
		} else if (*t == '#' && (t == text || t[-1] == '\n')) {
			while (*t && (*t != '\n' || t[-1] == '\\'))
				*t++ = ' ';
			if (!*t)
				break;
		}
	}
	/* statements at brace depth 0: the first identifier followed by '('
	 * at paren depth 0 names a function, unless the statement is a
	 * typedef */
	for (t = text; *t;) {
		char stmt[4096];
		size_t k = 0;

		while (*t && (depth || (*t != ';' && *t != '{'))) {
			if (*t == '{')
				depth++;
			if (*t == '}')
				depth--;
			if (!depth && *t != '}' && k + 1 < sizeof(stmt))
				stmt[k++] = *t;
			t++;
		}
		stmt[k] = 0;
		if (*t == '{') {
			/* a body (inline function, struct, enum): skip it */
			int d = 0;

			do {
				if (*t == '{')
					d++;
				if (*t == '}')
					d--;
				t++;
			} while (*t && d);
		} else if (*t) {
			t++;
		}
		if (!strstr(stmt, "("))
			continue;
		{
			char *s = stmt, *p;
			int paren = 0;

			while (isspace((unsigned char)*s))
				s++;
			if (!strncmp(s, "typedef", 7))
				continue;
			for (p = s; *p; p++) {
				if (*p == '(' && !paren) {
					char *e = p, *b;

					while (e > s && isspace((unsigned char)e[-1]))
						e--;
					b = e;
					while (b > s && (isalnum((unsigned char)b[-1]) || b[-1] == '_'))
						b--;
					/* A name with a double underscore is a private
					 * helper of a header's inline code (rb__rotate_left):
					 * not part of the API, no rows. */
					bool private_ = false;

					for (const char *q = b; q + 1 < e; q++)
						private_ |= q[0] == '_' && q[1] == '_';
					if (e > b && e - b < 64 && n < max && !private_) {
						memcpy(names[n], b, (size_t)(e - b));
						names[n][e - b] = 0;
						n++;
					}
					break;
				}
				if (*p == '(')
					paren++;
				if (*p == ')')
					paren--;
			}
		}
	}
	free(text);
	return n;
}

static int coverage(const char *root, const unsigned *rows_of_fn)
{
	static const char *const headers[] = { "mm.h", "bitmap.h", "rbtree.h", "memblock.h",
					       "buddy.h", "vmap.h", "vmalloc.h", "percpu.h",
					       "kho.h", "machine.h" };
	static char names[512][64];
	int n = 0, bad = 0;
	bool declared[NFN] = { false };

	for (size_t h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
		char path[4096];
		int before = n;

		snprintf(path, sizeof(path), "%s/lib/%s", root, headers[h]);
		n = header_functions(path, names, 512, n);
		if (n < 0) {
			fprintf(stderr, "cannot read %s\n", path);
			return 1;
		}
		for (int i = before; i < n; i++) {
			int f;

			for (f = 0; f < NFN; f++)
				if (!strcmp(fn_name[f], names[i]))
					break;
			if (f == NFN) {
				fprintf(stderr, "%s: %s has no rows in the contract table\n",
					headers[h], names[i]);
				bad++;
				continue;
			}
			declared[f] = true;
			if (fn_layer[f] != (enum layer_id)h) {
				fprintf(stderr, "%s: %s is listed under %s\n", headers[h], names[i],
					layer_name[fn_layer[f]]);
				bad++;
			}
			if (!rows_of_fn[f]) {
				fprintf(stderr, "%s: %s has no rows in the contract table\n",
					headers[h], names[i]);
				bad++;
			}
		}
	}
	for (int f = 0; f < NFN; f++)
		if (!declared[f]) {
			fprintf(stderr, "%s is in the table but in no header\n", fn_name[f]);
			bad++;
		}
	printf("coverage: %d functions declared in lib/*.h, every one with rows: %s\n", n,
	       bad ? "no" : "yes");
	return bad;
}

/* ---- main ---- */

/* One case: prepare, snapshot, call, snapshot, check. True when it holds. */
static bool run_case(struct fx *f, size_t i, enum variant v, int k, struct snap *before,
		     struct snap *after)
{
	const struct row *r = &rows[i];
	enum layer_id l = fn_layer[r->fn];
	uint64_t a[NARG];
	const char *broken;
	bool changed, ok;
	int rc;

	fx_prepare(f, v);
	tree_build(f);
	for (int j = 0; j < NARG; j++)
		a[j] = resolve(f, r->a[j]);
	if (r->sweep)
		a[r->sweep - 1] = resolve(f, lists[r->list][k]);
	row_setup(f, r);
	snapshot(f, l, before);
	rc = call(f, r, a);
	snapshot(f, l, after);
	broken = fx_check(f, l);
	changed = before->n != after->n || memcmp(before->p, after->p, before->n);
	ok = rc == r->want && !broken && changed == r->changes;
	if (!ok)
		fprintf(stderr,
			"row %zu %s [%s] variant %d args 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
			" nulls %u: got %d (%s), want %d (%s)%s%s%s\n",
			i, fn_name[r->fn], cls_name[r->cls], (int)v, a[0], a[1], a[2], r->nulls, rc,
			mm_errname(rc) ? mm_errname(rc) : "-", r->want,
			mm_errname(r->want) ? mm_errname(r->want) : "-",
			changed != r->changes ? (changed ? "; the instance changed"
							 : "; the instance did not change")
					      : "",
			broken ? "; check: " : "", broken ? broken : "");
	row_teardown(f, r);
	fx_release(f);
	return ok;
}

/* With --fork every case runs in a child, so that a case that crashes is
 * one failed case (listed) rather than the end of the run. */
static bool run_forked(struct fx *f, size_t i, enum variant v, int k, struct snap *before,
		       struct snap *after)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		abort();
	if (!pid)
		_exit(run_case(f, i, v, k, before, after) ? 0 : 3);
	if (waitpid(pid, &status, 0) != pid)
		abort();
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 3)
		fprintf(stderr, "row %zu %s [%s] variant %d case %d: crashed\n", i,
			fn_name[rows[i].fn], cls_name[rows[i].cls], (int)v, k);
	return false;
}

int main(int argc, char **argv)
{
	static unsigned rows_of_fn[NFN];
	static uint64_t by_layer[NLAYER], by_cls[NCLS], failed_layer[NLAYER];
	struct snap before = { 0 }, after = { 0 };
	uint64_t total = 0;
	struct fx *f = calloc(1, sizeof(*f));
	bool forked = argc > 2 && !strcmp(argv[2], "--fork");

	if (argc < 2) {
		fprintf(stderr, "usage: %s SOURCE_ROOT [--fork]\n", argv[0]);
		return 2;
	}
	if (!f)
		abort();
	for (size_t i = 0; i < NROWS; i++)
		rows_of_fn[rows[i].fn]++;
	CHECK(coverage(argv[1], rows_of_fn) == 0);

	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		enum layer_id l = fn_layer[r->fn];
		unsigned vars = r->vars ? r->vars : V_ALL;
		int nvals = r->sweep ? list_len[r->list] : 1;

		for (int v = V_BOOT; v <= V_KEXEC; v <<= 1) {
			if (!(vars & (unsigned)v))
				continue;
			/* the small helpers do not depend on the variant */
			if ((l == L_mm || l == L_bitmap || l == L_rbtree) && v != V_BOOT)
				continue;
			for (int k = 0; k < nvals; k++) {
				bool ok = forked ? run_forked(f, i, (enum variant)v, k, &before, &after)
						 : run_case(f, i, (enum variant)v, k, &before, &after);

				total++;
				by_layer[l]++;
				by_cls[r->cls]++;
				if (ok) {
					check_passed++;
				} else {
					check_failed++;
					failed_layer[l]++;
				}
			}
		}
	}
	printf("contract: %" PRIu64 " cases over %zu rows\n", total, NROWS);
	printf("per layer:\n");
	for (int l = 0; l < NLAYER; l++)
		printf("  %-9s %6" PRIu64 " cases, %" PRIu64 " failed\n", layer_name[l], by_layer[l],
		       failed_layer[l]);
	printf("per class:\n");
	for (int c = 0; c < NCLS; c++)
		printf("  %-28s %6" PRIu64 "\n", cls_name[c], by_cls[c]);
	CHECK(total >= 1000);
	free(before.p);
	free(after.p);
	free(f);
	return check_summary("test_contract");
}
