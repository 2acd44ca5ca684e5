/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vmalloc: vmalloc, vfree, vmap_pages, vunmap, and reserved areas with
 * pages mapped and unmapped one at a time, over an mm_machine whose pages
 * are host memory. The model is vmap's interval model (it
 * predicts every area address and purge) plus page accounting: nothing
 * else takes pages here, so buddy's free count must be what boot left
 * minus the pages of the live vmalloc'ed areas, and a vmalloc must succeed
 * exactly when that many pages are free. Every page a vmalloc returns gets
 * a signature written through the page table. After every op the areas
 * and the page accounting are compared and vmap's and vmalloc's checks must
 * pass; every FZ_FULL_EVERY ops and after the last, every live area's page
 * table and signatures are read back, no pfn may belong to two areas, and
 * every layer's check must pass.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../vmap/compare.h"
#include "../vmap/model.h"
#include "fz.h"
#include "machine.h"

#define PAGE 4096u
#define VSTART 0x10000u
#define MAX_LIVE 512
#define MAX_PAGES 512 /* the largest "pages" of the config: pfns 0..511 */
#define NONE UINT64_MAX /* a page-table entry with nothing mapped */

struct live {
	uint64_t addr, npages;
	bool owns;
	/* The page table: for a vmalloc'ed area as the implementation chose
	 * it; for the caller's areas as the ops made it. */
	uint64_t *pfns;
};

struct world {
	struct mm_machine *mach;
	struct vmalloc *v;
	struct buddy *b;
	struct vm_model *vm;
	uint64_t vend, span, free0, model_pages;
	unsigned nlive;
	struct live live[MAX_LIVE]; /* last: create zeroes what comes before */
};

#define W ((struct world *)w)

static uint64_t signature(uint64_t addr, uint64_t i)
{
	return (addr * 0x9e3779b97f4a7c15ull) ^ (i + 1) * 0xbf58476d1ce4e5b9ull;
}

static struct live *live_at(struct world *w, uint64_t addr)
{
	for (unsigned i = 0; i < w->nlive; i++)
		if (w->live[i].addr == addr)
			return &w->live[i];
	return NULL;
}

static void live_drop(struct world *w, struct live *l)
{
	free(l->pfns);
	*l = w->live[--w->nlive];
}

/* Record a new area: a vmalloc'ed one (owns) with the page table the
 * implementation reports, a caller's one with first + i at page i (first
 * NONE: nothing mapped). */
static struct live *live_add(struct world *w, uint64_t addr, uint64_t n, bool owns,
			     uint64_t first)
{
	struct live *l;

	if (w->nlive == MAX_LIVE)
		abort(); /* more live areas than the table holds: raise MAX_LIVE */
	l = &w->live[w->nlive++];
	l->addr = addr;
	l->npages = n;
	l->owns = owns;
	l->pfns = calloc(n, sizeof(uint64_t));
	if (!l->pfns)
		abort();
	for (uint64_t i = 0; i < n; i++) {
		if (!owns)
			l->pfns[i] = first == NONE ? NONE : first + i;
		else if (vmalloc_to_pfn(w->v, addr + i * PAGE, &l->pfns[i]))
			l->pfns[i] = NONE; /* compare() reports the hole */
	}
	return l;
}

/* The live area whose pages hold addr (its guard page excluded). */
static struct live *live_holding(struct world *w, uint64_t addr)
{
	for (unsigned i = 0; i < w->nlive; i++) {
		struct live *l = &w->live[i];

		if (addr >= l->addr && (addr - l->addr) / PAGE < l->npages)
			return l;
	}
	return NULL;
}

static bool pfn_owned(const struct world *w, uint64_t pfn)
{
	for (unsigned i = 0; i < w->nlive; i++)
		for (uint64_t k = 0; w->live[i].owns && k < w->live[i].npages; k++)
			if (w->live[i].pfns[k] == pfn)
				return true;
	return false;
}

/* The model's side of placing an area of n pages: vmap's lowest fit, then
 * (for vmalloc) the pages, or the area back at once. */
static int model_place(struct world *w, uint64_t n, bool pages, uint64_t *addr)
{
	int rc;

	if ((pages && n > w->span) || n >= (w->vend - VSTART) / PAGE)
		return -MM_ENOMEM;
	rc = vmm_alloc(w->vm, (n + 1) * PAGE, PAGE, VSTART, w->vend, addr);
	if (rc)
		return rc;
	if (pages && n > w->free0 - w->model_pages) {
		vmm_free(w->vm, *addr);
		return -MM_ENOMEM;
	}
	return 0;
}

/* ---- ops ---- */

static struct fz_result i_vmalloc(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int64_t nid = (int64_t)a[1];
	int rc = vmalloc(W->v, a[0], nid < -100 || nid > 100 ? 100 : (int)nid, &addr);

	if (!rc) { /* the client writes every page it got */
		uint64_t n = a[0] / PAGE + (a[0] % PAGE != 0);

		/* No area reaches past the vmalloc range: a success for more
		 * (the result comparison reports it) writes what could be. */
		if (addr >= W->vend)
			n = 0;
		else if (n > (W->vend - addr) / PAGE)
			n = (W->vend - addr) / PAGE;

		for (uint64_t i = 0; i < n; i++) {
			uint64_t s = signature(addr, i);
			char *p = vmalloc_host(W->v, addr + i * PAGE);

			if (!p) /* a page vmalloc did not map: compare_full names it */
				continue;
			memcpy(p, &s, sizeof(s));
			memcpy(p + PAGE - sizeof(s), &s, sizeof(s));
		}
	}
	return fz_val(rc, addr);
}
static struct fz_result m_vmalloc(void *w, const uint64_t *a)
{
	int64_t nid = (int64_t)a[1];
	uint64_t n, addr = 0;
	int rc;

	if (!a[0] || nid < -1 || nid >= (int64_t)buddy_nr_nodes(W->b))
		return fz_rc(-MM_EINVAL);
	n = a[0] / PAGE + (a[0] % PAGE != 0);
	rc = model_place(W, n, true, &addr);
	if (rc)
		return fz_rc(rc);
	W->model_pages += n;
	live_add(W, addr, n, true, NONE);
	return fz_val(0, addr);
}

static struct fz_result i_vfree(void *w, const uint64_t *a)
{
	return fz_rc(vfree(W->v, a[0]));
}
static struct fz_result m_vfree(void *w, const uint64_t *a)
{
	struct live *l = live_at(W, a[0]);

	if (!l)
		return fz_rc(-MM_ENOENT);
	if (!l->owns)
		return fz_rc(-MM_EINVAL);
	W->model_pages -= l->npages;
	vmm_free_lazy(W->vm, a[0]);
	live_drop(W, l);
	return fz_rc(0);
}

static struct fz_result i_vmap_pages(void *w, const uint64_t *a)
{
	uint64_t pfns[64], addr = 0, n = a[1] > 64 ? 64 : a[1];
	int rc;

	for (uint64_t i = 0; i < n; i++)
		pfns[i] = a[0] + i;
	rc = vmap_pages(W->v, pfns, n, &addr);
	return fz_val(rc, addr);
}
static struct fz_result m_vmap_pages(void *w, const uint64_t *a)
{
	uint64_t n = a[1] > 64 ? 64 : a[1], addr = 0;
	int rc;

	if (!n)
		return fz_rc(-MM_EINVAL);
	/* An area that can never fit is refused before any pfn is read. */
	if (n >= (W->vend - VSTART) / PAGE)
		return fz_rc(-MM_ENOMEM);
	for (uint64_t i = 0; i < n; i++)
		if (!pfn_owned(W, a[0] + i))
			return fz_rc(-MM_EINVAL);
	rc = model_place(W, n, false, &addr);
	if (rc)
		return fz_rc(rc);
	live_add(W, addr, n, false, a[0]);
	return fz_val(0, addr);
}

static struct fz_result i_vunmap(void *w, const uint64_t *a)
{
	return fz_rc(vunmap(W->v, a[0]));
}
static struct fz_result m_vunmap(void *w, const uint64_t *a)
{
	struct live *l = live_at(W, a[0]);

	if (!l)
		return fz_rc(-MM_ENOENT);
	if (l->owns)
		return fz_rc(-MM_EINVAL);
	vmm_free_lazy(W->vm, a[0]);
	live_drop(W, l);
	return fz_rc(0);
}

static struct fz_result i_to_pfn(void *w, const uint64_t *a)
{
	uint64_t pfn = 0;
	int rc = vmalloc_to_pfn(W->v, a[0], &pfn); /* before pfn is read */

	return fz_val(rc, pfn);
}
static struct fz_result m_to_pfn(void *w, const uint64_t *a)
{
	const struct live *l = live_holding(W, a[0]);
	uint64_t pfn = l ? l->pfns[(a[0] - l->addr) / PAGE] : NONE;

	return pfn == NONE ? fz_rc(-MM_ENOENT) : fz_val(0, pfn);
}

static struct fz_result i_reserve(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = vmalloc_reserve(W->v, a[0], &addr); /* before addr is read */

	return fz_val(rc, addr);
}
static struct fz_result m_reserve(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc;

	if (!a[0])
		return fz_rc(-MM_EINVAL);
	rc = model_place(W, a[0], false, &addr);
	if (rc)
		return fz_rc(rc);
	live_add(W, addr, a[0], false, NONE);
	return fz_val(0, addr);
}

/* The page-table entry map_page and unmap_page name, or an error. */
static int model_entry(struct world *w, uint64_t addr, uint64_t **entry)
{
	struct live *l;

	if (addr % PAGE)
		return -MM_EINVAL;
	l = live_holding(w, addr);
	if (!l)
		return -MM_ENOENT;
	if (l->owns)
		return -MM_EINVAL;
	*entry = &l->pfns[(addr - l->addr) / PAGE];
	return 0;
}

/* map_page and unmap_page name a page of an area by handle and index, or
 * by a literal address: the handle forms come with one more argument. */
static uint64_t page_addr(const uint64_t *a, unsigned nargs)
{
	return nargs == 3 ? a[0] + a[1] * PAGE : a[0];
}

static struct fz_result i_map_page(void *w, const uint64_t *a, unsigned nargs)
{
	return fz_rc(vmalloc_map_page(W->v, page_addr(a, nargs), a[nargs - 1]));
}
static struct fz_result m_map_page(void *w, const uint64_t *a, unsigned nargs)
{
	uint64_t *e, pfn = a[nargs - 1];
	int rc = model_entry(W, page_addr(a, nargs), &e);

	if (rc)
		return fz_rc(rc);
	if (*e != NONE)
		return fz_rc(-MM_EBUSY);
	if (!pfn_owned(W, pfn))
		return fz_rc(-MM_EINVAL);
	*e = pfn;
	return fz_rc(0);
}
static struct fz_result i_map_h(void *w, const uint64_t *a) { return i_map_page(w, a, 3); }
static struct fz_result m_map_h(void *w, const uint64_t *a) { return m_map_page(w, a, 3); }
static struct fz_result i_map_a(void *w, const uint64_t *a) { return i_map_page(w, a, 2); }
static struct fz_result m_map_a(void *w, const uint64_t *a) { return m_map_page(w, a, 2); }

static struct fz_result i_unmap_page(void *w, const uint64_t *a, unsigned nargs)
{
	uint64_t pfn = 0;
	int rc = vmalloc_unmap_page(W->v, page_addr(a, nargs + 1), &pfn);

	return fz_val(rc, pfn);
}
static struct fz_result m_unmap_page(void *w, const uint64_t *a, unsigned nargs)
{
	uint64_t *e, pfn;
	int rc = model_entry(W, page_addr(a, nargs + 1), &e);

	if (rc)
		return fz_rc(rc);
	if (*e == NONE)
		return fz_rc(-MM_ENOENT);
	pfn = *e;
	*e = NONE;
	return fz_val(0, pfn);
}
static struct fz_result i_unmap_h(void *w, const uint64_t *a) { return i_unmap_page(w, a, 2); }
static struct fz_result m_unmap_h(void *w, const uint64_t *a) { return m_unmap_page(w, a, 2); }
static struct fz_result i_unmap_a(void *w, const uint64_t *a) { return i_unmap_page(w, a, 1); }
static struct fz_result m_unmap_a(void *w, const uint64_t *a) { return m_unmap_page(w, a, 1); }

static struct fz_result i_purge(void *w, const uint64_t *a)
{
	(void)a;
	vmap_purge(mm_machine_vmap(W->mach));
	return fz_rc(0);
}
static struct fz_result m_purge(void *w, const uint64_t *a)
{
	(void)a;
	vmm_purge(W->vm);
	return fz_rc(0);
}

static struct fz_result i_nr_free(void *w, const uint64_t *a)
{
	(void)a;
	return fz_val(0, buddy_nr_free(W->b, NUMA_NO_NODE));
}
static struct fz_result m_nr_free(void *w, const uint64_t *a)
{
	(void)a;
	return fz_val(0, W->free0 - W->model_pages);
}

/* ---- the table ---- */

#define A_H { "addr", FZ_HANDLE, 0, 0, NULL }
#define A_ADDR { "addr", FZ_ADDR, 0, 0, NULL }
#define A_INDEX { "page", FZ_INT, 0, 17, NULL }
#define A_PFN { "pfn", FZ_INT, 0, 600, NULL }

static const struct fz_op_def ops[] = {
	{ "vmalloc", FZ_RET_HANDLE, 2, { { "size", FZ_SIZE, 0, 0, NULL }, { "nid", FZ_INT, -1, 2, NULL } },
	  i_vmalloc, m_vmalloc },
	{ "vmalloc", FZ_RET_HANDLE, 2, { { "size", FZ_SIZE, 0, 0, NULL }, { "nid", FZ_INT, -1, 2, NULL } },
	  i_vmalloc, m_vmalloc },
	{ "vfree", 0, 1, { A_H }, i_vfree, m_vfree },
	{ "vfree", 0, 1, { A_H }, i_vfree, m_vfree },
	{ "vfree", 0, 1, { A_ADDR }, i_vfree, m_vfree },
	{ "vmap_pages", FZ_RET_HANDLE, 2,
	  { { "pfn", FZ_INT, 0, 600, NULL }, { "nr", FZ_INT, 0, 16, NULL } }, i_vmap_pages,
	  m_vmap_pages },
	{ "vunmap", 0, 1, { A_H }, i_vunmap, m_vunmap },
	{ "vunmap", 0, 1, { A_ADDR }, i_vunmap, m_vunmap },
	{ "vmalloc_to_pfn", FZ_RET_VALUE, 1, { A_ADDR }, i_to_pfn, m_to_pfn },
	{ "vmalloc_to_pfn", FZ_RET_VALUE, 1, { A_H }, i_to_pfn, m_to_pfn },
	{ "purge", 0, 0, { { 0 } }, i_purge, m_purge },
	{ "nr_free", FZ_RET_VALUE, 0, { { 0 } }, i_nr_free, m_nr_free },
	/* Reserved areas (appended: the encodings above stay as they were). */
	{ "reserve", FZ_RET_HANDLE, 1, { { "nr", FZ_INT, 0, 16, NULL } }, i_reserve, m_reserve },
	{ "map_page", 0, 3, { A_H, A_INDEX, A_PFN }, i_map_h, m_map_h },
	{ "map_page", 0, 3, { A_H, A_INDEX, A_PFN }, i_map_h, m_map_h },
	{ "map_page", 0, 2, { A_ADDR, A_PFN }, i_map_a, m_map_a },
	{ "unmap_page", FZ_RET_VALUE, 2, { A_H, A_INDEX }, i_unmap_h, m_unmap_h },
	{ "unmap_page", FZ_RET_VALUE, 1, { A_ADDR }, i_unmap_a, m_unmap_a },
};

enum { C_PAGES, C_NODES, C_MAX_ORDER, C_HIGH, C_VPAGES, C_LAZY };

static const struct fz_cfg_def cfg[] = {
	{ "pages", 1, 512, 128 },
	{ "nodes", 1, 2, 1 },
	{ "max_order", 0, 6, 4 },
	{ "pcp_high", 0, 16, 4 },
	{ "vmalloc_pages", 2, 512, 96 },
	{ "lazy_max_pages", 0, 32, 8 },
};

/* ---- world ---- */

static void *create(const uint64_t *c, struct mm_meta *meta)
{
	struct world *w = malloc(sizeof(*w));
	struct mm_machine_config mc;
	struct mm_range mem[2];
	uint64_t bytes = c[C_PAGES] * PAGE;

	if (!w)
		abort();
	/* The table of live areas is read only up to nlive: not zeroed. */
	memset(w, 0, offsetof(struct world, live));
	mm_machine_default_config(&mc);
	/* One node, or the memory split in two halves on two nodes. */
	mem[0] = (struct mm_range){ 0, c[C_NODES] == 2 ? bytes / 2 : bytes, 0 };
	mem[1] = (struct mm_range){ mem[0].size, bytes - mem[0].size, 1 };
	mc.memory = mem;
	mc.nr_memory = c[C_NODES] == 2 && mem[1].size ? 2 : 1;
	mc.page_size = PAGE;
	mc.max_order = (unsigned)c[C_MAX_ORDER];
	mc.pcp_high = (unsigned)c[C_HIGH];
	mc.pcp_batch = 2;
	mc.backing = true;
	mc.vmalloc_start = VSTART;
	mc.vmalloc_size = c[C_VPAGES] * PAGE;
	mc.lazy_max_pages = c[C_LAZY];
	mc.meta = meta;
	if (mm_machine_boot(&w->mach, &mc) != 0)
		abort();
	w->v = mm_machine_vmalloc(w->mach);
	w->b = mm_machine_buddy(w->mach);
	w->vend = VSTART + mc.vmalloc_size;
	w->span = buddy_end_pfn(w->b) - buddy_start_pfn(w->b);
	w->free0 = buddy_nr_free(w->b, NUMA_NO_NODE);
	w->vm = vmm_create(VSTART, w->vend, PAGE, c[C_LAZY]);
	if (!w->vm)
		abort();
	return w;
}

static void destroy(void *w)
{
	while (W->nlive)
		live_drop(W, &W->live[0]);
	mm_machine_destroy(W->mach);
	vmm_destroy(W->vm);
	free(w);
}

/* After every op vmalloc's (over the areas made or remapped since) and vmap's
 * checks; where the whole state is compared, the whole machine's (the layers
 * below too), vmap's and vmalloc's over everything. */
static const char *check(void *w)
{
	const char *e = vmap_check(mm_machine_vmap(W->mach));

	return e ? e : vmalloc_check(W->v);
}

static const char *check_full(void *w)
{
	const char *e = mm_machine_check(W->mach);

	if (!e)
		e = vmap_check_full(mm_machine_vmap(W->mach));
	return e ? e : vmalloc_check_full(W->v);
}

/* After every op: the areas, as vmap's model has them, and the page
 * accounting. */
static const char *compare(void *w, char *buf, size_t len)
{
	/* The areas, as vmap's model has them. */
	if (vmm_compare(W->vm, mm_machine_vmap(W->mach), buf, len))
		return buf;
	/* Page accounting. */
	if (buddy_nr_free(W->b, NUMA_NO_NODE) != W->free0 - W->model_pages ||
	    vmalloc_nr_pages(W->v) != W->model_pages) {
		snprintf(buf, len, "buddy has %" PRIu64 " free pages, vmalloc %" PRIu64
			 "; model: %" PRIu64 " free, %" PRIu64 " in vmalloc",
			 buddy_nr_free(W->b, NUMA_NO_NODE), vmalloc_nr_pages(W->v),
			 W->free0 - W->model_pages, W->model_pages);
		return buf;
	}
	return NULL;
}

/* Every FZ_FULL_EVERY ops and after the last: every live area's page
 * table and data, read back through it, and no page in two vmalloc'ed
 * areas (a mark per pfn, cleared again after). */
static const char *compare_full(void *w, char *buf, size_t len)
{
	static bool owned[MAX_PAGES];
	const char *e = NULL;

	for (unsigned i = 0; i < W->nlive && !e; i++) {
		const struct live *l = &W->live[i];

		for (uint64_t k = 0; k < l->npages && !e; k++) {
			uint64_t s = signature(l->addr, k), head, tail, pfn = NONE;
			const char *p = vmalloc_host(W->v, l->addr + k * PAGE);

			vmalloc_to_pfn(W->v, l->addr + k * PAGE, &pfn);
			if (pfn != l->pfns[k] || (l->owns && pfn == NONE) || !p != (pfn == NONE)) {
				snprintf(buf, len, "area 0x%" PRIx64 ": page %" PRIu64 " maps pfn 0x%" PRIx64
					 " (host %s), model 0x%" PRIx64, l->addr, k, pfn,
					 p ? "memory" : "none", l->pfns[k]);
				e = buf;
				break;
			}
			if (!l->owns)
				continue; /* an alias: its data is its owner's */
			memcpy(&head, p, sizeof(head));
			memcpy(&tail, p + PAGE - sizeof(tail), sizeof(tail));
			if (head != s || tail != s) {
				snprintf(buf, len, "area 0x%" PRIx64 ": page %" PRIu64
					 " (pfn 0x%" PRIx64 ") lost its data",
					 l->addr, k, l->pfns[k]);
				e = buf;
			} else if (pfn >= MAX_PAGES) {
				snprintf(buf, len, "area 0x%" PRIx64 ": page %" PRIu64
					 " maps pfn 0x%" PRIx64 ", past the memory", l->addr, k, pfn);
				e = buf;
			} else if (owned[pfn]) {
				snprintf(buf, len, "pfn 0x%" PRIx64 " is in two vmalloc'ed areas", pfn);
				e = buf;
			} else {
				owned[pfn] = true;
			}
		}
	}
	for (unsigned i = 0; i < W->nlive; i++)
		for (uint64_t k = 0; W->live[i].owns && k < W->live[i].npages; k++)
			if (W->live[i].pfns[k] < MAX_PAGES)
				owned[W->live[i].pfns[k]] = false;
	return e;
}

static void dump(void *w, FILE *f)
{
	fprintf(f, "  live areas (model):");
	for (unsigned i = 0; i < W->nlive; i++)
		fprintf(f, " [0x%" PRIx64 " %" PRIu64 "p%s]", W->live[i].addr, W->live[i].npages,
			W->live[i].owns ? "" : " alias");
	fprintf(f, "\n  buddy free %" PRIu64 ", model %" PRIu64 "\n",
		buddy_nr_free(W->b, NUMA_NO_NODE), W->free0 - W->model_pages);
}

static const struct fz_target target = {
	.name = "vmalloc",
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
