/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stack: the whole stack through mm_machine, its layers' ops
 * interleaved, against the layers' own naive models composed.
 *
 * Before boot there is memblock alone, filled from the header (memory
 * ranges and a reserved range) and then by memblock ops (add, reserve,
 * remove, free, flags, allocations), each against memblock's model. The
 * first op of a layer above it boots the machine over that memblock
 * (`boot` does so by name): mm_machine_boot_memblock, whose bookkeeping
 * the fault schedule can fail like any other op's. The models boot from
 * memblock's model alone: a page exists, on its region's node, when one
 * memory region holds all of it; it is free when that region is not NOMAP
 * and no byte of it is reserved.
 *
 * After boot:
 *  - buddy's page model (fuzz/buddy/model.c) holds every page; the pages
 *    vmalloc and percpu take from buddy or give back inside their own calls
 *    are fed to it as they happen (what vmalloc's page tables and percpu's
 *    mappings show), and each must have been free, or owned, in the model;
 *  - vmap's interval model (fuzz/vmap/model.c) predicts the address of every
 *    vmap area: vmalloc'ed areas, vmap_pages aliases, and percpu's chunks;
 *  - percpu's model (fuzz/percpu/model.c) predicts every percpu placement,
 *    and when buddy's free pages fall short for one;
 *  - kho's model (fuzz/kho/model.c) predicts every preserve, the exact blob
 *    kho_serialize writes, whether the next machine accepts it, and what
 *    it hands back. `kexec` boots the next machine over the same memory
 *    (the firmware's reserved map is memblock's reserved list as the first
 *    boot saw it) with or without the blob; every model starts again from
 *    memblock's model of the new machine, where the preserved runs are
 *    reserved. A preserved block comes back, by `restore`, with the bytes
 *    its owner wrote before the kexec.
 *
 * After every op: memblock's regions and free ranges against its model;
 * once booted, the free pages of every node against the page model,
 * percpu's chunks and slots against its model, the pages percpu maps, and
 * every layer's check; and, after an op that can change them, every vmap
 * area against the interval model and kho's preserved and incoming sets.
 * Every FZ_FULL_EVERY ops and after the last, also those two, and
 * every page's state, order, refcount and node against the page model
 * (and, with no page cached per CPU, the free lists against the greedy
 * decomposition), and the data written through each layer (a signature at
 * both ends of every page of every buddy block and vmalloc'ed area, of
 * every CPU's copy of every percpu object, read back through vmap_pages
 * aliases too).
 *
 * The header sets the machine: one or two memory ranges (a hole between
 * them, the second possibly on node 1), a reserved range in the first,
 * CPUs, max order, section size, per-CPU page caches, percpu's unit and
 * policy, vmap's lazy limit. Pages are 256 bytes and backed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../buddy/compare.h"
#include "../buddy/model.h"
#include "../kho/compare.h"
#include "../kho/model.h"
#include "../memblock/compare.h"
#include "../memblock/model.h"
#include "../percpu/model.h"
#include "../vmap/compare.h"
#include "../vmap/model.h"
#include "fz.h"
#include "machine.h"

#define PAGE_SHIFT 8
#define PAGE (1u << PAGE_SHIFT)
#define QUANTUM 64u   /* memblock ops' unit: a quarter page */
#define MAX_REGIONS 2048 /* each op splits at most one region in three */
#define VSTART 0x100000u
#define VSIZE (16u << 20)
#define MAX_OWNERS 1024
#define MAX_MAPPED 4096

enum kind { K_BLOCK, K_VMALLOC, K_ALIAS, K_PCPU, K_INCOMING };

/* Something an op made and a later op may free: a buddy block, a
 * vmalloc'ed area, a vmap_pages alias of a block, a percpu object; or a
 * block preserved across a kexec, not restored yet (K_INCOMING: its bytes
 * are checked when it comes back). */
struct owner {
	enum kind kind;
	uint64_t val;      /* pfn, address or percpu pointer */
	uint64_t n;        /* pages (block: 1 << order; area: pages), pcpu: bytes */
	unsigned order;
	uint64_t tag;
	uint64_t *pfns;    /* vmalloc: its page table as vmalloc reported it */
	int alias_of;      /* K_ALIAS: the block's owner index */
	bool preserved;    /* K_BLOCK: kho preserves it as (val, order) */
	bool live;
};

/* Layers an op can change, beyond buddy (whose counts are compared after
 * every op): their walks after an op are needed only then. */
enum { CH_VMAP = 1, CH_KHO = 2 };

struct world {
	/* memblock: ours before boot, the machine's after */
	struct memblock *mb;
	struct mbm *mbm;
	uint64_t ranges_seen; /* for mbm_compare_step; UINT64_MAX with a new mbm */
	unsigned changed; /* CH_*: what the ops since the last compare can have changed */
	struct mm_machine_config mc;
	bool m_booted; /* the models booted (the machine: mach != NULL) */
	int boot_rc;   /* the machine's last failed boot (read in that op) */

	struct mm_machine *mach;
	struct kho *kho;
	struct buddy *b;
	struct vmalloc *v;
	struct vmap *vm;
	struct percpu *pc;
	struct bm *bm;
	struct vm_model *vmm;
	struct pm *pm;
	struct km_set kout, kin;
	struct km_layout lay;
	uint8_t *blob; /* the last blob kho_serialize wrote */
	size_t blob_len;
	unsigned ncpus;
	uint64_t unit_bytes, chunk_bytes;
	uint64_t next_tag;
	/* The implementation's answer to the op in hand, for the model. */
	int impl_rc;
	uint64_t impl_val, free_before;
	char pending[512];
	size_t nfw, nmfw;
	unsigned nown, nmapped;

	/* The tables: each is read only below its count, so create zeroes
	 * the world up to here and no further (they are a few hundred KiB). */
	/* The firmware's reserved map, memblock's reserved list at the first
	 * boot: as the machine's memblock had it, and as its model did. */
	struct mm_range fw[MAX_REGIONS];
	struct km_range mfw[MAX_REGIONS];
	struct km_range kmem[MAX_REGIONS];
	struct owner own[MAX_OWNERS];
	uint64_t mapped[MAX_MAPPED]; /* pfns percpu maps, sorted, as last seen */
};

#define W ((struct world *)w)

static void fail_later(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_later(struct world *w, const char *fmt, ...)
{
	va_list ap;

	if (w->pending[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->pending, sizeof(w->pending), fmt, ap);
	va_end(ap);
}

/* ---- data ---- */

static uint64_t sig(uint64_t tag, uint64_t i)
{
	return (tag * 0x9e3779b97f4a7c15ull) ^ ((i + 1) * 0xbf58476d1ce4e5b9ull);
}

/* Both ends of a page of host memory: write or check. */
static void page_sig_write(uint8_t *p, uint64_t s)
{
	memcpy(p, &s, sizeof(s));
	memcpy(p + PAGE - sizeof(s), &s, sizeof(s));
}

static bool page_sig_ok(const uint8_t *p, uint64_t s)
{
	uint64_t a, b;

	memcpy(&a, p, sizeof(a));
	memcpy(&b, p + PAGE - sizeof(b), sizeof(b));
	return a == s && b == s;
}

static uint8_t pcpu_byte(uint64_t tag, unsigned cpu, uint64_t i)
{
	return (uint8_t)(sig(tag, i) >> (8 * (cpu % 8)));
}

static void write_owner(struct world *w, const struct owner *o)
{
	switch (o->kind) {
	case K_BLOCK:
		for (uint64_t i = 0; i < o->n; i++)
			page_sig_write(buddy_page_ptr(w->b, o->val + i), sig(o->tag, i));
		break;
	case K_VMALLOC:
		for (uint64_t i = 0; i < o->n; i++)
			page_sig_write(vmalloc_host(w->v, o->val + i * PAGE), sig(o->tag, i));
		break;
	case K_PCPU:
		for (unsigned cpu = 0; cpu < w->ncpus; cpu++) {
			uint8_t *first = percpu_host(w->pc, o->val, cpu);
			uint8_t *last = percpu_host(w->pc, o->val + o->n - 1, cpu);

			*first = pcpu_byte(o->tag, cpu, 0);
			*last = pcpu_byte(o->tag, cpu, o->n - 1);
		}
		break;
	case K_ALIAS:
	case K_INCOMING:
		break;
	}
}

/* The data of a live owner, read back; false (and pending) when wrong. */
static bool check_owner(struct world *w, const struct owner *o)
{
	switch (o->kind) {
	case K_BLOCK:
		for (uint64_t i = 0; i < o->n; i++)
			if (!page_sig_ok(buddy_page_ptr(w->b, o->val + i), sig(o->tag, i))) {
				fail_later(w, "block pfn 0x%" PRIx64 " page %" PRIu64 " lost its data",
					   o->val, i);
				return false;
			}
		return true;
	case K_VMALLOC:
		for (uint64_t i = 0; i < o->n; i++) {
			const uint8_t *p = vmalloc_host(w->v, o->val + i * PAGE);

			if (!p || !page_sig_ok(p, sig(o->tag, i))) {
				fail_later(w, "vmalloc area 0x%" PRIx64 " page %" PRIu64 " lost its data",
					   o->val, i);
				return false;
			}
		}
		return true;
	case K_ALIAS: { /* the block's data, seen through the alias */
		const struct owner *blk = &w->own[o->alias_of];

		for (uint64_t i = 0; i < o->n; i++) {
			const uint8_t *p = vmalloc_host(w->v, o->val + i * PAGE);

			if (!p || !page_sig_ok(p, sig(blk->tag, i))) {
				fail_later(w, "alias 0x%" PRIx64 " page %" PRIu64
					   " does not show its block's data", o->val, i);
				return false;
			}
		}
		return true;
	}
	case K_PCPU:
		for (unsigned cpu = 0; cpu < w->ncpus; cpu++) {
			const uint8_t *first = percpu_host(w->pc, o->val, cpu);
			const uint8_t *last = percpu_host(w->pc, o->val + o->n - 1, cpu);

			if (!first || !last || *first != pcpu_byte(o->tag, cpu, 0) ||
			    *last != pcpu_byte(o->tag, cpu, o->n - 1)) {
				fail_later(w, "percpu object 0x%" PRIx64 " cpu %u lost its data", o->val,
					   cpu);
				return false;
			}
		}
		return true;
	case K_INCOMING:
		return true;
	}
	return true;
}

/* ---- owners ---- */

static struct owner *owner_find(struct world *w, enum kind k, uint64_t val)
{
	for (unsigned i = 0; i < w->nown; i++)
		if (w->own[i].live && w->own[i].kind == k && w->own[i].val == val)
			return &w->own[i];
	return NULL;
}

static struct owner *owner_add(struct world *w, enum kind k, uint64_t val, uint64_t n)
{
	struct owner *o;

	if (w->nown == MAX_OWNERS)
		abort(); /* more than an input's ops can make */
	o = &w->own[w->nown++];
	*o = (struct owner){ .kind = k, .val = val, .n = n, .tag = w->next_tag, .live = true,
			     .alias_of = -1 };
	return o;
}

static void owner_drop(struct owner *o)
{
	fz_free(o->pfns);
	o->pfns = NULL;
	o->live = false;
}

/* A block that a live alias maps cannot be freed by this target's ops
 * (a caller must unmap first); nor can an alias outlive its block. */
static bool block_aliased(const struct world *w, const struct owner *blk)
{
	for (unsigned i = 0; i < w->nown; i++)
		if (w->own[i].live && w->own[i].kind == K_ALIAS && &w->own[w->own[i].alias_of] == blk)
			return true;
	return false;
}

/* An area of vmalloc's that holds the caller's pages starts at addr: an
 * alias, or a percpu chunk. */
static bool caller_area_at(struct world *w, uint64_t addr)
{
	for (unsigned i = 0; i < pm_nr_chunks(w->pm); i++) {
		uint64_t base;
		unsigned slot;

		pm_chunk(w->pm, i, &base, &slot);
		if (base == addr)
			return true;
	}
	return owner_find(w, K_ALIAS, addr) != NULL;
}

/* Whether a layer or this target holds the page: freeing it behind their
 * back is a caller's bug no allocator can see, so the literal ops skip it. */
static bool pfn_held(struct world *w, uint64_t pfn)
{
	for (unsigned i = 0; i < w->nown; i++) {
		const struct owner *o = &w->own[i];

		if (!o->live)
			continue;
		if (o->kind == K_BLOCK && pfn - o->val < o->n)
			return true;
		for (uint64_t k = 0; o->kind == K_VMALLOC && k < o->n; k++)
			if (o->pfns[k] == pfn)
				return true;
	}
	for (unsigned i = 0; i < w->nmapped; i++)
		if (w->mapped[i] == pfn)
			return true;
	return false;
}

/* ---- percpu's pages, fed to the page model ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct collect {
	struct world *w;
	uint64_t *out;
	unsigned n;
};

static void collect_chunk(void *ctx, uint64_t base, unsigned slot)
{
	struct collect *c = ctx;
	struct world *w = c->w;

	(void)slot;
	for (uint64_t at = base; at < base + w->chunk_bytes; at += PAGE) {
		uint64_t pfn;

		if (!vmalloc_to_pfn(w->v, at, &pfn) && c->n < MAX_MAPPED)
			c->out[c->n++] = pfn;
	}
}

/* The pages percpu maps now against those it mapped after the last percpu
 * op: new ones must have been free in the page model (they become order-0
 * pages with one reference, as percpu takes them), gone ones go back. */
static void sync_percpu_pages(struct world *w)
{
	static uint64_t now[MAX_MAPPED];
	struct collect c = { w, now, 0 };
	unsigned i = 0, j = 0;

	percpu_walk_chunks(w->pc, collect_chunk, &c);
	qsort(now, c.n, sizeof(now[0]), cmp_u64);
	while (i < c.n || j < w->nmapped) {
		if (j == w->nmapped || (i < c.n && now[i] < w->mapped[j])) {
			if (bm_alloc_contig_range(w->bm, now[i], now[i] + 1))
				fail_later(w, "percpu mapped pfn 0x%" PRIx64 ", not free in the model", now[i]);
			i++;
		} else if (i == c.n || w->mapped[j] < now[i]) {
			if (bm_free_contig_range(w->bm, w->mapped[j], 1))
				fail_later(w, "percpu gave back pfn 0x%" PRIx64 ", not its in the model",
					   w->mapped[j]);
			j++;
		} else {
			i++;
			j++;
		}
	}
	memcpy(w->mapped, now, c.n * sizeof(now[0]));
	w->nmapped = c.n;
}

/* ---- boot ---- */

static void machine_refs(struct world *w)
{
	struct percpu_stats st;

	w->mb = mm_machine_memblock(w->mach);
	w->ranges_seen = UINT64_MAX; /* another memblock: walk its free ranges */
	w->changed = CH_VMAP | CH_KHO; /* another machine */
	w->kho = mm_machine_kho(w->mach);
	w->b = mm_machine_buddy(w->mach);
	w->v = mm_machine_vmalloc(w->mach);
	w->vm = mm_machine_vmap(w->mach);
	w->pc = mm_machine_percpu(w->mach);
	percpu_stats(w->pc, &st);
	w->unit_bytes = st.unit_bytes;
	w->chunk_bytes = st.unit_bytes * w->ncpus;
}

/* The machine boots over memblock, once: the first op above memblock. */
static int boot_impl(struct world *w)
{
	int rc;

	if (w->mach)
		return 0;
	rc = mm_machine_boot_memblock(&w->mach, &w->mc, w->mb);
	if (rc)
		return w->boot_rc = rc;
	/* The first boot: the firmware's map for every kexec. */
	w->nfw = memblock_region_count(w->mb, MEMBLOCK_RESERVED);
	if (w->nfw > MAX_REGIONS)
		abort(); /* more than an input's ops can make */
	for (size_t i = 0; i < w->nfw; i++) {
		const struct memblock_region *r = memblock_region(w->mb, MEMBLOCK_RESERVED, i);

		w->fw[i] = (struct mm_range){ r->base, r->size, 0 };
	}
	machine_refs(w);
	return 0;
}

/* What boot must do, from memblock's model alone: -MM_EINVAL without
 * memory or without one whole page in its span; else 0 and the span. */
static int boot_prediction(const struct world *w, uint64_t *first, uint64_t *last)
{
	uint64_t s = mbm_start_of_DRAM(w->mbm), e = mbm_end_of_DRAM(w->mbm);

	if (!mbm_regions(w->mbm, MEMBLOCK_MEMORY, NULL, 0) || s / PAGE >= e / PAGE)
		return -MM_EINVAL;
	*first = s / PAGE;
	*last = e / PAGE + (e % PAGE != 0);
	return 0;
}

static bool overlaps(uint64_t a, uint64_t b, const struct memblock_region *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a < r[i].base + r[i].size && r[i].base < b)
			return true;
	return false;
}

/* Every model, booted from memblock's model (boot_prediction said 0). */
static void model_boot(struct world *w, uint64_t first, uint64_t last)
{
	static struct memblock_region mem[MAX_REGIONS], res[MAX_REGIONS];
	size_t nmem = mbm_regions(w->mbm, MEMBLOCK_MEMORY, mem, MAX_REGIONS);
	size_t nres = mbm_regions(w->mbm, MEMBLOCK_RESERVED, res, MAX_REGIONS);
	unsigned nodes = 1;

	if (nmem > MAX_REGIONS || nres > MAX_REGIONS)
		abort(); /* more than an input's ops can make */
	for (size_t i = 0; i < nmem; i++)
		if (mem[i].nid >= (int)nodes)
			nodes = (unsigned)mem[i].nid + 1;
	bm_destroy(w->bm);
	vmm_destroy(w->vmm);
	pm_destroy(w->pm);
	w->bm = bm_create(first, last, w->mc.max_order, w->mc.section_shift, nodes, w->ncpus);
	w->vmm = vmm_create(VSTART, VSTART + VSIZE, PAGE, w->mc.lazy_max_pages);
	w->pm = pm_create(w->ncpus, w->unit_bytes, PAGE, w->mc.percpu_policy == PERCPU_BEST_FIT);
	if (!w->bm || !w->vmm || !w->pm)
		abort();
	/* A page exists when one memory region holds all of it; it is free
	 * when that region is not NOMAP and no byte of it is reserved. The
	 * model is told in runs of pages alike (one node, all free or all
	 * not): the same state as page by page, at a fraction of the calls. */
	uint64_t run = 0;
	int run_nid = -1;
	bool run_free = false;

	for (uint64_t pfn = first; pfn <= last; pfn++) {
		int nid = -1;
		bool free = false;

		for (size_t i = 0; pfn < last && i < nmem; i++) {
			uint64_t a = pfn * PAGE, b = a + PAGE;

			if (a < mem[i].base || b > mem[i].base + mem[i].size)
				continue;
			nid = mem[i].nid < 0 ? 0 : mem[i].nid;
			free = !(mem[i].flags & MEMBLOCK_NOMAP) && !overlaps(a, b, res, nres);
			break;
		}
		if (run && (pfn == last || nid != run_nid || free != run_free)) {
			uint64_t at = pfn - run;

			if (run_nid >= 0 && (bm_add_memory(w->bm, at, run, run_nid) ||
					     (run_free && bm_free_boot_range(w->bm, at, run))))
				abort();
			run = 0;
		}
		if (!run) {
			run_nid = nid;
			run_free = free;
		}
		run++;
	}
	/* kho's layout: its span, and memblock as a restore will see it. */
	for (size_t i = 0; i < nmem; i++)
		w->kmem[i] = (struct km_range){ mem[i].base, mem[i].base + mem[i].size };
	w->lay = (struct km_layout){ first, last, w->mc.max_order, PAGE_SHIFT, w->kmem, nmem,
				     w->mfw, w->nmfw };
	w->nmapped = 0;
	w->m_booted = true;
}

/* The firmware's reserved map, as the model sees it at the first boot. */
static void take_firmware_map(struct world *w)
{
	static struct memblock_region res[MAX_REGIONS];
	size_t n = mbm_regions(w->mbm, MEMBLOCK_RESERVED, res, MAX_REGIONS);

	if (n > MAX_REGIONS)
		abort();
	for (size_t i = 0; i < n; i++)
		w->mfw[i] = (struct km_range){ res[i].base, res[i].base + res[i].size };
	w->nmfw = n;
}

/*
 * Before a model op above memblock, and before comparing: the models boot
 * when the machine has. 0 when booted; when the machine has not, what the
 * model says boot gives. A boot that failed where the model boots is
 * reported as such, whichever op tried it: one bug, one signature.
 */
static int model_ready(struct world *w)
{
	uint64_t first = 0, last = 0;
	int rc;

	if (w->m_booted)
		return 0;
	rc = boot_prediction(w, &first, &last);
	if (!w->mach && !rc) {
		fail_later(w, "boot failed with %d; the model boots", w->boot_rc);
		return w->boot_rc;
	}
	if (!w->mach)
		return rc;
	if (rc) {
		fail_later(w, "the machine booted; the model says boot fails with %d", rc);
		return FZ_RC_NONE;
	}
	take_firmware_map(w);
	model_boot(w, first, last);
	return 0;
}

#define IMPL_BOOT()                                   \
	do {                                          \
		int boot_rc_ = boot_impl(W);          \
		if (boot_rc_)                         \
			return fz_rc(boot_rc_);       \
	} while (0)
#define MODEL_BOOT()                                  \
	do {                                          \
		int boot_rc_ = model_ready(W);        \
		if (boot_rc_ || !W->m_booted)         \
			return fz_rc(boot_rc_);       \
	} while (0)

static struct fz_result i_boot(void *w, const uint64_t *a)
{
	(void)a;
	if (W->mach)
		return fz_rc(FZ_RC_SKIPPED);
	return fz_rc(boot_impl(W));
}
static struct fz_result m_boot(void *w, const uint64_t *a)
{
	(void)a;
	if (W->m_booted)
		return fz_rc(FZ_RC_SKIPPED);
	return fz_rc(model_ready(W));
}

/* ---- ops: memblock, before boot ---- */

/* A memblock op's address or size: quarter pages in [0, hi]. */
static uint64_t q_arg(uint64_t v, uint64_t hi)
{
	return v % (hi + 1) * QUANTUM;
}

static int mb_nid(uint64_t v)
{
	int64_t n = (int64_t)v;

	return n >= -1 && n <= 1 ? (int)n : (int)(v % 3) - 1;
}

#define MB_RANGE_OP(name, impl_call, model_call)                                  \
	static struct fz_result i_mb_##name(void *w, const uint64_t *a)           \
	{                                                                         \
		uint64_t base = q_arg(a[0], 1536), size = q_arg(a[1], 640);       \
		if (W->mach)                                                      \
			return fz_rc(FZ_RC_SKIPPED);                              \
		return fz_rc(impl_call);                                          \
	}                                                                         \
	static struct fz_result m_mb_##name(void *w, const uint64_t *a)           \
	{                                                                         \
		uint64_t base = q_arg(a[0], 1536), size = q_arg(a[1], 640);       \
		if (W->mach)                                                      \
			return fz_rc(FZ_RC_SKIPPED);                              \
		return fz_rc(model_call);                                         \
	}

MB_RANGE_OP(add, memblock_add_node(W->mb, base, size, mb_nid(a[2]), MEMBLOCK_NONE),
	    mbm_add_node(W->mbm, base, size, mb_nid(a[2]), MEMBLOCK_NONE))
MB_RANGE_OP(reserve, memblock_reserve(W->mb, base, size), mbm_reserve(W->mbm, base, size))
MB_RANGE_OP(remove, memblock_remove(W->mb, base, size), mbm_remove(W->mbm, base, size))
MB_RANGE_OP(free, memblock_phys_free(W->mb, base, size), mbm_phys_free(W->mbm, base, size))
MB_RANGE_OP(nomap, memblock_mark_nomap(W->mb, base, size),
	    mbm_setclr_flag(W->mbm, base, size, MEMBLOCK_NOMAP, true))
MB_RANGE_OP(clear_nomap, memblock_clear_nomap(W->mb, base, size),
	    mbm_setclr_flag(W->mbm, base, size, MEMBLOCK_NOMAP, false))
MB_RANGE_OP(hotplug, memblock_mark_hotplug(W->mb, base, size),
	    mbm_setclr_flag(W->mbm, base, size, MEMBLOCK_HOTPLUG, true))

static struct fz_result i_mb_alloc(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc;

	if (W->mach)
		return fz_rc(FZ_RC_SKIPPED);
	rc = memblock_alloc_try_nid(W->mb, q_arg(a[0], 640), a[1], 0, MEMBLOCK_ALLOC_ANYWHERE,
				    mb_nid(a[2]), &addr);
	return fz_val(rc, addr);
}
static struct fz_result m_mb_alloc(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc;

	if (W->mach)
		return fz_rc(FZ_RC_SKIPPED);
	rc = mbm_alloc_nid(W->mbm, q_arg(a[0], 640), a[1], 0, MEMBLOCK_ALLOC_ANYWHERE,
			   mb_nid(a[2]), false, &addr);
	return fz_val(rc, addr);
}

/* ---- ops: buddy ---- */

static int nid_arg(uint64_t v)
{
	int64_t s = (int64_t)v;

	return s < -100 || s > 100 ? 100 : (int)s;
}

/* What the page model cannot see: the per-CPU caches and the free lists.
 * A failed allocation must leave them as they were (it drains nothing). */
static uint64_t hidden_sum(const struct buddy *b)
{
	uint64_t h = 0;

	for (unsigned cpu = 0; cpu < BUDDY_MAX_CPUS; cpu++)
		h = h * 31 + buddy_nr_cached(b, cpu);
	for (unsigned nid = 0; nid < buddy_nr_nodes(b); nid++)
		for (unsigned o = 0; o <= buddy_max_order(b); o++)
			h = h * 31 + buddy_nr_free_blocks(b, (int)nid, o);
	return h;
}

static struct fz_result i_page_alloc(void *w, const uint64_t *a)
{
	uint64_t pfn = 0, before = hidden_sum(W->b);
	unsigned order = a[0] > 30 ? 30 : (unsigned)a[0];

	W->impl_rc = buddy_alloc_pages(W->b, order, nid_arg(a[1]), &pfn);
	W->impl_val = pfn;
	if (W->impl_rc && hidden_sum(W->b) != before)
		fail_later(W, "alloc_pages failed but changed the caches or the free lists");
	return fz_val(W->impl_rc, pfn);
}
static struct fz_result m_page_alloc(void *w, const uint64_t *a)
{
	uint64_t pfn = 0;
	unsigned order = a[0] > 30 ? 30 : (unsigned)a[0];
	int rc = bm_alloc_pages(W->bm, order, nid_arg(a[1]), W->impl_rc, W->impl_val, &pfn);

	if (!rc && W->impl_rc == 0 && pfn == W->impl_val) {
		struct owner *o = owner_add(W, K_BLOCK, pfn, (uint64_t)1 << order);

		o->order = order;
		write_owner(W, o);
		W->next_tag++;
	}
	return fz_val(rc, pfn);
}

static struct fz_result i_page_free(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);

	if (!o || block_aliased(W, o))
		return fz_rc(FZ_RC_SKIPPED);
	check_owner(W, o);
	return fz_rc(buddy_free_pages(W->b, o->val, o->order));
}
static struct fz_result m_page_free(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);
	int rc;

	if (!o || block_aliased(W, o))
		return fz_rc(FZ_RC_SKIPPED);
	rc = bm_free_pages(W->bm, o->val, o->order);
	if (!rc)
		owner_drop(o);
	return fz_rc(rc);
}

/* split_page, then free_contig_range over all its pages: the seed's path
 * (vfree's too) on a block of this target's own. */
static struct fz_result i_split_free(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);
	int rc;

	if (!o || block_aliased(W, o))
		return fz_rc(FZ_RC_SKIPPED);
	check_owner(W, o);
	rc = buddy_split_page(W->b, o->val, o->order);
	return fz_rc(rc ? rc : buddy_free_contig_range(W->b, o->val, o->n));
}
static struct fz_result m_split_free(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);
	int rc;

	if (!o || block_aliased(W, o))
		return fz_rc(FZ_RC_SKIPPED);
	rc = bm_split_page(W->bm, o->val, o->order);
	if (!rc)
		rc = bm_free_contig_range(W->bm, o->val, o->n);
	if (!rc)
		owner_drop(o);
	return fz_rc(rc);
}

/* A free by literal pfn: bad input, as pages someone holds are skipped. */
static struct fz_result i_page_free_raw(void *w, const uint64_t *a)
{
	if (pfn_held(W, a[0]))
		return fz_rc(FZ_RC_SKIPPED);
	return fz_rc(buddy_free_pages(W->b, a[0], a[1] > 30 ? 30 : (unsigned)a[1]));
}
static struct fz_result m_page_free_raw(void *w, const uint64_t *a)
{
	if (pfn_held(W, a[0]))
		return fz_rc(FZ_RC_SKIPPED);
	return fz_rc(bm_free_pages(W->bm, a[0], a[1] > 30 ? 30 : (unsigned)a[1]));
}

static struct fz_result i_set_cpu(void *w, const uint64_t *a)
{
	return fz_rc(buddy_set_cpu(W->b, a[0] > 64 ? 64 : (unsigned)a[0]));
}
static struct fz_result m_set_cpu(void *w, const uint64_t *a)
{
	return fz_rc(bm_set_cpu(W->bm, a[0] > 64 ? 64 : (unsigned)a[0]));
}

static struct fz_result i_drain_all(void *w, const uint64_t *a)
{
	(void)a;
	buddy_drain_all(W->b);
	return fz_rc(0);
}
static struct fz_result m_none(void *w, const uint64_t *a)
{
	(void)w, (void)a;
	return fz_rc(0);
}

/* ---- ops: vmalloc ---- */

static uint64_t pages_of(uint64_t size)
{
	return size / PAGE + (size % PAGE != 0);
}

static struct fz_result i_vmalloc(void *w, const uint64_t *a)
{
	uint64_t addr = 0;

	W->impl_rc = vmalloc(W->v, a[0], nid_arg(a[1]), &addr);
	W->impl_val = addr;
	return fz_val(W->impl_rc, addr);
}
static struct fz_result m_vmalloc(void *w, const uint64_t *a)
{
	int nid = nid_arg(a[1]);
	uint64_t n, addr = 0;
	struct owner *o;
	int rc;

	if (!a[0] || nid < -1 || nid >= (int)buddy_nr_nodes(W->b))
		return fz_rc(-MM_EINVAL);
	n = pages_of(a[0]);
	if (n > buddy_end_pfn(W->b) - buddy_start_pfn(W->b) || n >= VSIZE / PAGE)
		return fz_rc(-MM_ENOMEM);
	rc = vmm_alloc(W->vmm, (n + 1) * PAGE, PAGE, VSTART, VSTART + VSIZE, &addr);
	if (rc)
		return fz_rc(rc);
	if (n > bm_nr_free(W->bm, NUMA_NO_NODE)) { /* pages run out: the area goes at once */
		vmm_free(W->vmm, addr);
		return fz_rc(-MM_ENOMEM);
	}
	if (W->impl_rc || W->impl_val != addr)
		return fz_val(0, addr); /* reported as a mismatch */
	/* The pages vmalloc took, as its page table shows them: each must
	 * have been free (they are order-0 pages with one reference now). */
	o = owner_add(W, K_VMALLOC, addr, n);
	o->pfns = fz_calloc(n, sizeof(uint64_t));
	for (uint64_t i = 0; i < n; i++)
		if (vmalloc_to_pfn(W->v, addr + i * PAGE, &o->pfns[i]) ||
		    bm_alloc_contig_range(W->bm, o->pfns[i], o->pfns[i] + 1))
			fail_later(W, "vmalloc 0x%" PRIx64 " page %" PRIu64 " (pfn 0x%" PRIx64
				   ") was not free", addr, i, o->pfns[i]);
	write_owner(W, o);
	W->next_tag++;
	return fz_val(0, addr);
}

static struct fz_result i_vfree(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_VMALLOC, a[0]);

	if (o)
		check_owner(W, o);
	return fz_rc(vfree(W->v, a[0]));
}
static struct fz_result m_vfree(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_VMALLOC, a[0]);

	if (!o) /* the caller's areas: aliases and percpu's chunks */
		return fz_rc(caller_area_at(W, a[0]) ? -MM_EINVAL : -MM_ENOENT);
	for (uint64_t i = 0; i < o->n; i++)
		bm_free_contig_range(W->bm, o->pfns[i], 1);
	vmm_free_lazy(W->vmm, o->val);
	owner_drop(o);
	return fz_rc(0);
}

static struct fz_result i_vmap_pages(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);
	uint64_t pfns[16], addr = 0;

	if (!o)
		return fz_rc(FZ_RC_SKIPPED);
	for (uint64_t i = 0; i < o->n; i++)
		pfns[i] = o->val + i;
	W->impl_rc = vmap_pages(W->v, pfns, o->n, &addr);
	W->impl_val = addr;
	return fz_val(W->impl_rc, addr);
}
static struct fz_result m_vmap_pages(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]), *al;
	uint64_t addr = 0;
	int rc;

	if (!o)
		return fz_rc(FZ_RC_SKIPPED);
	rc = vmm_alloc(W->vmm, (o->n + 1) * PAGE, PAGE, VSTART, VSTART + VSIZE, &addr);
	if (rc)
		return fz_rc(rc);
	if (W->impl_rc == 0 && W->impl_val == addr) {
		al = owner_add(W, K_ALIAS, addr, o->n);
		al->alias_of = (int)(o - W->own);
		W->next_tag++;
	}
	return fz_val(0, addr);
}

static struct fz_result i_vunmap(void *w, const uint64_t *a)
{
	if (!owner_find(W, K_ALIAS, a[0]))
		return fz_rc(FZ_RC_SKIPPED);
	return fz_rc(vunmap(W->v, a[0]));
}
static struct fz_result m_vunmap(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_ALIAS, a[0]);

	if (!o)
		return fz_rc(FZ_RC_SKIPPED);
	vmm_free_lazy(W->vmm, o->val);
	owner_drop(o);
	return fz_rc(0);
}

static struct fz_result i_purge(void *w, const uint64_t *a)
{
	(void)a;
	vmap_purge(W->vm);
	return fz_rc(0);
}
static struct fz_result m_purge(void *w, const uint64_t *a)
{
	(void)a;
	vmm_purge(W->vmm);
	return fz_rc(0);
}

/* ---- ops: percpu ---- */

static struct fz_result i_pcpu_alloc(void *w, const uint64_t *a)
{
	uint64_t ptr = 0;

	W->free_before = buddy_nr_free(W->b, NUMA_NO_NODE);
	W->impl_rc = percpu_alloc(W->pc, a[0], a[1], &ptr);
	W->impl_val = ptr;
	return fz_val(W->impl_rc, ptr);
}
static struct fz_result m_pcpu_alloc(void *w, const uint64_t *a)
{
	unsigned chunks = pm_nr_chunks(W->pm);
	uint64_t ptr = 0;
	int rc = pm_alloc(W->pm, a[0], a[1], W->impl_rc, W->impl_val,
			  bm_nr_free(W->bm, NUMA_NO_NODE), W->next_tag, &ptr);

	if (rc || W->impl_rc || ptr != W->impl_val)
		return fz_val(rc, ptr);
	/* A new chunk's area is vmap's lowest fit, as the model predicts. */
	if (pm_nr_chunks(W->pm) > chunks) {
		uint64_t at = 0;

		if (vmm_alloc(W->vmm, W->chunk_bytes + PAGE, PAGE, VSTART, VSTART + VSIZE, &at) ||
		    at != ptr)
			fail_later(W, "percpu's new chunk at 0x%" PRIx64 ", vmap's model: 0x%" PRIx64,
				   ptr, at);
	}
	if (W->free_before != bm_nr_free(W->bm, NUMA_NO_NODE))
		fail_later(W, "buddy had %" PRIu64 " free pages before, the model %" PRIu64,
			   W->free_before, bm_nr_free(W->bm, NUMA_NO_NODE));
	sync_percpu_pages(W);
	write_owner(W, owner_add(W, K_PCPU, ptr, (a[0] + 3) / 4 * 4));
	W->next_tag++;
	return fz_val(0, ptr);
}

static struct fz_result i_pcpu_free(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_PCPU, a[0]);

	if (o)
		check_owner(W, o);
	return fz_rc(percpu_free(W->pc, a[0]));
}
static struct fz_result m_pcpu_free(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_PCPU, a[0]);
	uint64_t base = 0;
	bool gone;
	int rc = pm_free(W->pm, a[0], &gone, &base);

	if (rc)
		return fz_rc(rc);
	if (gone) /* a chunk went: its area too, lazily */
		vmm_free_lazy(W->vmm, base);
	sync_percpu_pages(W);
	if (o)
		owner_drop(o);
	return fz_rc(0);
}

static struct fz_result i_verify(void *w, const uint64_t *a)
{
	(void)a;
	for (unsigned i = 0; i < W->nown; i++)
		if (W->own[i].live)
			check_owner(W, &W->own[i]);
	return fz_rc(0);
}

/* ---- ops: kho and kexec ---- */

static struct fz_result i_preserve(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);

	if (!o)
		return fz_rc(FZ_RC_SKIPPED);
	return fz_rc(kho_preserve_folio(W->kho, o->val, o->order));
}
static struct fz_result m_preserve(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);
	int rc;

	if (!o)
		return fz_rc(FZ_RC_SKIPPED);
	rc = km_preserve_folio(&W->kout, &W->lay, o->val, o->order);
	if (!rc)
		o->preserved = true;
	return fz_rc(rc);
}

static struct fz_result i_unpreserve(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);

	if (!o)
		return fz_rc(FZ_RC_SKIPPED);
	return fz_rc(kho_unpreserve_folio(W->kho, o->val, o->order));
}
static struct fz_result m_unpreserve(void *w, const uint64_t *a)
{
	struct owner *o = owner_find(W, K_BLOCK, a[0]);
	int rc;

	if (!o)
		return fz_rc(FZ_RC_SKIPPED);
	rc = km_unpreserve_folio(&W->kout, &W->lay, o->val, o->order);
	if (!rc)
		o->preserved = false;
	return fz_rc(rc);
}

/* By literal pfn: kho does not know who holds a page, so any page of the
 * span may be preserved; a block of ours preserved this way is one too. */
static struct fz_result i_preserve_raw(void *w, const uint64_t *a)
{
	return fz_rc(kho_preserve_folio(W->kho, a[0], (unsigned)(a[1] % 8)));
}
static struct fz_result m_preserve_raw(void *w, const uint64_t *a)
{
	unsigned order = (unsigned)(a[1] % 8);
	int rc = km_preserve_folio(&W->kout, &W->lay, a[0], order);
	struct owner *o = owner_find(W, K_BLOCK, a[0]);

	if (!rc && o && o->order == order)
		o->preserved = true;
	return fz_rc(rc);
}

static struct fz_result i_preserve_pages(void *w, const uint64_t *a)
{
	return fz_rc(kho_preserve_pages(W->kho, a[0], a[1]));
}
static struct fz_result m_preserve_pages(void *w, const uint64_t *a)
{
	return fz_rc(km_preserve_pages(&W->kout, &W->lay, a[0], a[1]));
}

/* kexec into the next machine over the same memory: the firmware's map,
 * the same config, and kho's blob when handover is 1. The result says
 * whether the next machine took the blob (true without one). */
static struct fz_result i_kexec(void *w, const uint64_t *a)
{
	struct mm_machine_config c = W->mc;
	struct mm_machine *next;
	int rc, kho_rc = 0;

	fz_free(W->blob);
	W->blob = NULL;
	W->blob_len = 0;
	if (a[0] & 1) {
		size_t cap = kho_serialized_size(W->kho);

		W->blob = fz_malloc(cap ? cap : 1);
		rc = kho_serialize(W->kho, W->blob, cap, &W->blob_len);
		if (rc)
			return fz_rc(rc);
	}
	c.reserved = W->fw;
	c.nr_reserved = W->nfw;
	rc = mm_machine_kexec(&next, &c, W->mach, W->blob, W->blob_len, &kho_rc);
	if (rc)
		return fz_rc(rc);
	W->mach = next;
	machine_refs(W);
	return fz_val(0, kho_rc == 0);
}
static struct fz_result m_kexec(void *w, const uint64_t *a)
{
	static uint8_t want[1 << 16];
	static struct memblock_region mem[MAX_REGIONS];
	size_t nmem = mbm_regions(W->mbm, MEMBLOCK_MEMORY, mem, MAX_REGIONS), n;
	struct km_set in = { 0 };
	const char *why = NULL;
	bool accepted = true;
	uint64_t first = 0, last = 0;
	struct mbm *next;

	if (a[0] & 1) {
		/* The exact bytes, then the next machine's reading of them. */
		n = km_encode(&W->kout, &W->lay, want, sizeof(want));
		if (n > sizeof(want))
			abort();
		if (n != W->blob_len || memcmp(want, W->blob, n))
			fail_later(W, "kho_serialize wrote %zu bytes, the model %zu (or other bytes)",
				   W->blob_len, n);
		accepted = km_decode(want, n, &W->lay, &in, &why);
		if (!accepted)
			km_set_free(&in); /* refused whole: nothing comes in */
	}
	/* The next memblock: the same memory, the firmware's reservations,
	 * and one reservation per run of preserved pages. */
	next = mbm_create();
	if (!next)
		abort();
	for (size_t i = 0; i < nmem; i++)
		if (mbm_add_node(next, mem[i].base, mem[i].size, mem[i].nid, mem[i].flags))
			abort();
	for (size_t i = 0; i < W->nmfw; i++)
		if (mbm_reserve(next, W->mfw[i].start, W->mfw[i].end - W->mfw[i].start))
			abort();
	if (accepted) {
		static struct km_range runs[MAX_MAPPED];
		size_t nr = km_runs(&in, runs, MAX_MAPPED);

		if (nr > MAX_MAPPED)
			abort(); /* more runs than the span has pages */
		for (size_t i = 0; i < nr; i++)
			if (mbm_reserve(next, runs[i].start * PAGE,
					(runs[i].end - runs[i].start) * PAGE))
				abort();
	}
	mbm_destroy(W->mbm);
	W->mbm = next;
	W->ranges_seen = UINT64_MAX;
	/* Every owner goes with the old machine but a preserved block the
	 * next one took: it waits for restore. */
	for (unsigned i = 0; i < W->nown; i++) {
		struct owner *o = &W->own[i];
		long k;

		if (!o->live)
			continue;
		k = o->kind == K_BLOCK && o->preserved && accepted ? km_find(&in, o->val) : -1;
		if (k >= 0 && in.f[k].order == o->order) {
			o->kind = K_INCOMING;
			o->preserved = false;
		} else {
			owner_drop(o);
		}
	}
	km_set_clear(&W->kout);
	km_set_free(&W->kin);
	W->kin = in;
	if (boot_prediction(W, &first, &last))
		abort(); /* the same memory booted before */
	model_boot(W, first, last);
	return fz_val(0, accepted);
}

/* Hand a preserved folio back (by a block's handle, or by literal pfn). */
static struct fz_result i_restore(void *w, const uint64_t *a)
{
	unsigned order = 0;
	int rc = kho_restore_folio(W->kho, W->b, a[0], &order);

	return fz_val(rc, order);
}
static struct fz_result m_restore(void *w, const uint64_t *a)
{
	long k = km_find(&W->kin, a[0]);
	struct owner *o = owner_find(W, K_INCOMING, a[0]);
	unsigned order;
	int rc;

	if (k < 0 || W->kin.f[k].restored)
		return fz_rc(-MM_ENOENT);
	order = W->kin.f[k].order;
	rc = bm_claim_reserved(W->bm, a[0], order);
	if (rc)
		return fz_rc(rc);
	W->kin.f[k].restored = true;
	if (o && o->order == order) {
		o->kind = K_BLOCK; /* compare reads its bytes back */
	} else {
		o = owner_add(W, K_BLOCK, a[0], (uint64_t)1 << order);
		o->order = order;
		write_owner(W, o);
		W->next_tag++;
	}
	return fz_val(0, order);
}

/* ---- the table ---- */

/* Ops above memblock boot the machine first (and the models with it). */
#define BOOTED(name, changes)                                               \
	static struct fz_result booted_i_##name(void *w, const uint64_t *a) \
	{                                                                   \
		IMPL_BOOT();                                                \
		W->changed |= (changes);                                    \
		return i_##name(w, a);                                      \
	}                                                                   \
	static struct fz_result booted_m_##name(void *w, const uint64_t *a) \
	{                                                                   \
		MODEL_BOOT();                                               \
		return m_##name(w, a);                                      \
	}
#define m_drain_all m_none
#define m_verify m_none
BOOTED(page_alloc, 0)
BOOTED(page_free, 0)
BOOTED(split_free, 0)
BOOTED(page_free_raw, 0)
BOOTED(set_cpu, 0)
BOOTED(drain_all, 0)
BOOTED(vmalloc, CH_VMAP)
BOOTED(vfree, CH_VMAP)
BOOTED(vmap_pages, CH_VMAP)
BOOTED(vunmap, CH_VMAP)
BOOTED(purge, CH_VMAP)
BOOTED(pcpu_alloc, CH_VMAP) /* a chunk is a vmalloc area */
BOOTED(pcpu_free, CH_VMAP)
BOOTED(verify, 0)
BOOTED(preserve, CH_KHO)
BOOTED(unpreserve, CH_KHO)
BOOTED(preserve_raw, CH_KHO)
BOOTED(preserve_pages, CH_KHO)
BOOTED(kexec, CH_VMAP | CH_KHO)
BOOTED(restore, CH_KHO)

#define A_H(n) { n, FZ_HANDLE, 0, 0, NULL }
#define A_NID { "nid", FZ_INT, -1, 2, NULL }
#define A_Q(n, hi) { n, FZ_INT, 0, hi, NULL }
#define OP_B(name, flags, nargs, ...) \
	{ #name, flags, nargs, __VA_ARGS__, booted_i_##name, booted_m_##name }
#define MB_OP(name) { "mb_" #name, 0, 2, { A_Q("base_q", 1536), A_Q("size_q", 640) }, \
		      i_mb_##name, m_mb_##name }

static const struct fz_op_def ops[] = {
	OP_B(page_alloc, FZ_RET_HANDLE, 2, { { "order", FZ_INT, 0, 4, NULL }, A_NID }),
	OP_B(page_free, 0, 1, { A_H("pfn") }),
	OP_B(split_free, 0, 1, { A_H("pfn") }),
	OP_B(vmalloc, FZ_RET_HANDLE, 2, { { "size", FZ_INT, 0, 4200, NULL }, A_NID }),
	OP_B(vfree, 0, 1, { A_H("addr") }),
	OP_B(vmap_pages, FZ_RET_HANDLE, 1, { A_H("pfn") }),
	OP_B(vunmap, 0, 1, { A_H("addr") }),
	OP_B(pcpu_alloc, FZ_RET_HANDLE, 2,
	     { { "size", FZ_INT, 0, 1100, NULL }, { "align", FZ_ALIGN, 0, 0, NULL } }),
	OP_B(pcpu_free, 0, 1, { A_H("ptr") }),
	OP_B(set_cpu, 0, 1, { { "cpu", FZ_INT, 0, 4, NULL } }),
	OP_B(drain_all, 0, 0, { { 0 } }),
	OP_B(purge, 0, 0, { { 0 } }),
	OP_B(verify, 0, 0, { { 0 } }),
	/* Bad input by literal: a pfn, an address, a pointer nothing owns. */
	{ "page_free", 0, 2, { { "pfn", FZ_INT, 0, 400, NULL }, { "order", FZ_INT, 0, 6, NULL } },
	  booted_i_page_free_raw, booted_m_page_free_raw },
	{ "vfree", 0, 1, { { "addr", FZ_ADDR, 0, 0, NULL } }, booted_i_vfree, booted_m_vfree },
	{ "pcpu_free", 0, 1, { { "ptr", FZ_ADDR, 0, 0, NULL } }, booted_i_pcpu_free,
	  booted_m_pcpu_free },
	/* memblock, before boot (skipped after); addresses in quarter pages */
	{ "mb_add", 0, 3,
	  { A_Q("base_q", 1536), A_Q("size_q", 640), { "nid", FZ_INT, -1, 1, NULL } }, i_mb_add,
	  m_mb_add },
	MB_OP(reserve),
	MB_OP(reserve), /* twice: reserves are the common case */
	MB_OP(remove),
	MB_OP(free),
	MB_OP(nomap),
	MB_OP(clear_nomap),
	MB_OP(hotplug),
	{ "mb_alloc", FZ_RET_VALUE, 3,
	  { A_Q("size_q", 640), { "align", FZ_ALIGN, 0, 0, NULL }, { "nid", FZ_INT, -1, 1, NULL } },
	  i_mb_alloc, m_mb_alloc },
	{ "boot", 0, 0, { { 0 } }, i_boot, m_boot },
	/* kho */
	OP_B(preserve, 0, 1, { A_H("pfn") }),
	OP_B(unpreserve, 0, 1, { A_H("pfn") }),
	OP_B(preserve_raw, 0, 2,
	     { { "pfn", FZ_INT, 0, 400, NULL }, { "order", FZ_INT, 0, 4, NULL } }),
	OP_B(preserve_pages, 0, 2,
	     { { "pfn", FZ_INT, 0, 400, NULL }, { "nr", FZ_INT, 1, 40, NULL } }),
	OP_B(kexec, FZ_RET_BOOL, 1, { { "handover", FZ_INT, 0, 1, NULL } }),
	OP_B(restore, FZ_RET_VALUE, 1, { A_H("pfn") }),
	{ "restore", FZ_RET_VALUE, 1, { { "pfn", FZ_INT, 0, 400, NULL } }, booted_i_restore,
	  booted_m_restore },
};

enum {
	C_NODES, C_CPUS, C_MAX_ORDER, C_SECTION, C_HIGH, C_LEN0, C_GAP1, C_LEN1, C_NID1,
	C_RES_OFF, C_RES_LEN, C_UNIT, C_FIRST_FIT, C_LAZY,
};

static const struct fz_cfg_def cfg[] = {
	{ "nodes", 1, 2, 2 },
	{ "cpus", 1, 4, 2 },
	{ "max_order", 0, 4, 3 },
	{ "section_shift", 2, 8, 6 },
	{ "pcp_high", 0, 8, 2 },
	{ "len0", 1, 160, 96 },
	{ "gap1", 0, 15, 4 },
	{ "len1", 0, 160, 64 },
	{ "nid1", 0, 1, 1 },
	{ "res_off", 0, 63, 8 },
	{ "res_len", 0, 15, 2 },
	{ "unit_pages", 1, 4, 2 },
	{ "first_fit", 0, 1, 0 },
	{ "lazy_max_pages", 0, 32, 8 },
};

/* ---- world ---- */

static void *create(const uint64_t *c, struct mm_meta *meta)
{
	struct world *w = fz_world_alloc(sizeof(*w));
	/* small: the arrays grow */
	struct memblock_config mbc = { .memory_cap = 4, .reserved_cap = 4, .meta = meta };
	uint64_t l0 = c[C_LEN0], s1 = l0 + c[C_GAP1], l1 = c[C_LEN1];
	uint64_t r0 = mm_min(c[C_RES_OFF], l0), r1 = mm_min(r0 + c[C_RES_LEN], l0);
	int nid1 = c[C_NODES] == 2 ? (int)c[C_NID1] : 0;
	struct mm_machine_config *mc;

	if (!w)
		abort();
	memset(w, 0, offsetof(struct world, fw));
	/* memblock and its model, from the header's memory map */
	w->mbm = mbm_create();
	w->ranges_seen = UINT64_MAX;
	if (!w->mbm || memblock_create(&w->mb, &mbc) ||
	    memblock_add_node(w->mb, 0, l0 * PAGE, 0, MEMBLOCK_NONE) ||
	    mbm_add_node(w->mbm, 0, l0 * PAGE, 0, MEMBLOCK_NONE) ||
	    (l1 && (memblock_add_node(w->mb, s1 * PAGE, l1 * PAGE, nid1, MEMBLOCK_NONE) ||
		    mbm_add_node(w->mbm, s1 * PAGE, l1 * PAGE, nid1, MEMBLOCK_NONE))) ||
	    (r1 > r0 && (memblock_reserve(w->mb, r0 * PAGE, (r1 - r0) * PAGE) ||
			 mbm_reserve(w->mbm, r0 * PAGE, (r1 - r0) * PAGE))))
		abort();
	mc = &w->mc;
	mm_machine_default_config(mc);
	mc->page_size = PAGE;
	mc->nr_cpus = (unsigned)c[C_CPUS];
	mc->max_order = (unsigned)c[C_MAX_ORDER];
	mc->section_shift = (unsigned)c[C_SECTION];
	mc->pcp_high = (unsigned)c[C_HIGH];
	mc->pcp_batch = 2;
	mc->backing = true;
	mc->vmalloc_start = VSTART;
	mc->vmalloc_size = VSIZE;
	mc->lazy_max_pages = c[C_LAZY];
	mc->percpu = true;
	mc->percpu_unit_pages = c[C_UNIT];
	mc->percpu_policy = c[C_FIRST_FIT] ? PERCPU_FIRST_FIT : PERCPU_BEST_FIT;
	mc->meta = meta;
	w->ncpus = mc->nr_cpus;
	return w;
}

static void destroy(void *w)
{
	for (unsigned i = 0; i < W->nown; i++)
		owner_drop(&W->own[i]);
	if (W->mach)
		mm_machine_destroy(W->mach); /* its memblock with it */
	else
		memblock_destroy(W->mb);
	mbm_destroy(W->mbm);
	bm_destroy(W->bm);
	vmm_destroy(W->vmm);
	pm_destroy(W->pm);
	km_set_free(&W->kout);
	km_set_free(&W->kin);
	fz_free(W->blob);
	fz_world_free(w, sizeof(struct world));
}

/* After every op the machine's checks (buddy's over the pages changed
 * since the last one, vmalloc's and percpu's over the areas and chunks
 * changed, vmap's and kho's when they changed); where the whole state is
 * compared, theirs over everything too. */
static const char *check(void *w)
{
	return W->mach ? mm_machine_check(W->mach) : memblock_check(W->mb);
}

static const char *check_full(void *w)
{
	const char *e;

	if (!W->mach)
		return NULL;
	if ((e = buddy_check_full(mm_machine_buddy(W->mach))) ||
	    (e = vmap_check_full(mm_machine_vmap(W->mach))) ||
	    (e = vmalloc_check_full(mm_machine_vmalloc(W->mach))) ||
	    (e = kho_check_full(mm_machine_kho(W->mach))))
		return e;
	return percpu_check_full(mm_machine_percpu(W->mach));
}

/* Both of kho's sets, folio by folio. */
static const char *compare_kho(struct world *w, char *buf, size_t len)
{
	return km_compare_sets(w->kho, 1u << KHO_PRESERVED | 1u << KHO_INCOMING, &w->kout,
			       &w->kin, buf, len);
}

static const char *compare(void *w, char *buf, size_t len)
{
	if (W->mach)
		model_ready(W); /* an op that booted, then met a fault */
	if (W->pending[0]) {
		snprintf(buf, len, "%s", W->pending);
		return buf;
	}
	/* memblock's free ranges only when its lists changed (mbm_compare_step);
	 * all of them where the whole state is compared. */
	if (mbm_compare_step(W->mbm, W->mb, &W->ranges_seen, buf, len))
		return buf;
	if (!W->mach)
		return NULL;
	/* Free pages per node; every vmap area and kho's sets, when an op
	 * since the last compare can have changed them (all of them in
	 * compare_full). */
	if (bm_compare_counts(W->bm, W->b, buf, len) ||
	    ((W->changed & CH_VMAP) && vmm_compare(W->vmm, W->vm, buf, len)) ||
	    ((W->changed & CH_KHO) && compare_kho(W, buf, len)))
		return buf;
	W->changed = 0;
	/* percpu's chunks. */
	{
		struct percpu_stats st;

		percpu_stats(W->pc, &st);
		if (st.chunks != pm_nr_chunks(W->pm) || st.allocs != pm_nr_objects(W->pm) ||
		    st.live_bytes != pm_live_bytes(W->pm) ||
		    st.populated_bytes != pm_covered_pages(W->pm) * PAGE ||
		    W->nmapped != pm_covered_pages(W->pm) * W->ncpus) {
			snprintf(buf, len, "percpu: %" PRIu64 " chunks, %" PRIu64 " objects, %" PRIu64
				 " populated bytes, %u pages mapped; model %u, %u, %" PRIu64,
				 st.chunks, st.allocs, st.populated_bytes, W->nmapped,
				 pm_nr_chunks(W->pm), pm_nr_objects(W->pm),
				 pm_covered_pages(W->pm) * PAGE);
			return buf;
		}
	}
	return NULL;
}

/* Every FZ_FULL_EVERY ops and after the last: every page, and every
 * owner's data (both ends of each page or copy). */
static const char *compare_full(void *w, char *buf, size_t len)
{
	if (mbm_compare(W->mbm, W->mb, buf, len))
		return buf;
	if (!W->mach)
		return NULL;
	if (bm_compare_pages(W->bm, W->b, buddy_start_pfn(W->b), buddy_end_pfn(W->b), true, buf,
			     len) ||
	    vmm_compare(W->vmm, W->vm, buf, len) || compare_kho(W, buf, len))
		return buf;
	for (unsigned i = 0; i < W->nown; i++)
		if (W->own[i].live && !check_owner(W, &W->own[i])) {
			snprintf(buf, len, "%s", W->pending);
			return buf;
		}
	return NULL;
}

static void dump(void *w, FILE *f)
{
	mbm_dump(W->mbm, W->mb, f);
	if (!W->mach)
		return;
	fprintf(f, "  owners:");
	for (unsigned i = 0; i < W->nown; i++)
		if (W->own[i].live)
			fprintf(f, " %s:0x%" PRIx64,
				(const char *[]){ "block", "vmalloc", "alias", "pcpu",
						  "incoming" }[W->own[i].kind],
				W->own[i].val);
	fprintf(f, "\n  buddy free %" PRIu64 ", model %" PRIu64 "\n",
		buddy_nr_free(W->b, NUMA_NO_NODE), bm_nr_free(W->bm, NUMA_NO_NODE));
}

static const struct fz_target target = {
	.name = "stack",
	.cfg = cfg,
	.ncfg = sizeof(cfg) / sizeof(cfg[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.create = create,
	.destroy = destroy,
	.compare = compare,
	.compare_full = compare_full,
	.check = check,
	.check_full = check_full,
	.dump = dump,
};

FZ_TARGET(target)
