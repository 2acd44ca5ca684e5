/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stack: the whole stack through mm_machine (memblock boot, buddy,
 * vmap/vmalloc, percpu), its layers' ops interleaved, against the layers'
 * own naive models composed:
 *
 *  - buddy's page model (fuzz/buddy/model.c) holds every page; the pages
 *    vmalloc and percpu take from buddy or give back inside their own calls
 *    are fed to it as they happen (what vmalloc's page tables and percpu's
 *    mappings show), and each must have been free, or owned, in the model;
 *  - vmap's interval model (fuzz/vmap/model.c) predicts the address of every
 *    vmap area: vmalloc'ed areas, vmap_pages aliases, and percpu's chunks;
 *  - percpu's model (fuzz/percpu/model.c) predicts every percpu placement,
 *    and when buddy's free pages fall short for one.
 *
 * After every op: every page's state, order, refcount and node against the
 * page model (and, with no page cached per CPU, the free lists against the
 * greedy decomposition), every vmap area against the interval model,
 * percpu's chunks and slots against its model, the pages percpu maps, the
 * data written through each layer (a signature at both ends of every page
 * of every buddy block and vmalloc'ed area, of every CPU's copy of every
 * percpu object, read back through vmap_pages aliases too), and every
 * layer's check.
 *
 * The header sets the machine: one or two memory ranges (a hole between
 * them, the second possibly on node 1), a reserved range in the first,
 * CPUs, max order, section size, per-CPU page caches, percpu's unit and
 * policy, vmap's lazy limit. Pages are 256 bytes and backed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../buddy/compare.h"
#include "../buddy/model.h"
#include "../percpu/model.h"
#include "../vmap/compare.h"
#include "../vmap/model.h"
#include "fz.h"
#include "machine.h"

#define PAGE 256u
#define VSTART 0x100000u
#define VSIZE (16u << 20)
#define MAX_OWNERS 1024
#define MAX_MAPPED 4096

enum kind { K_BLOCK, K_VMALLOC, K_ALIAS, K_PCPU };

/* Something an op made and a later op may free: a buddy block, a
 * vmalloc'ed area, a vmap_pages alias of a block, a percpu object. */
struct owner {
	enum kind kind;
	uint64_t val;      /* pfn, address or percpu pointer */
	uint64_t n;        /* pages (block: 1 << order; area: pages), pcpu: bytes */
	unsigned order;
	uint64_t tag;
	uint64_t *pfns;    /* vmalloc: its page table as vmalloc reported it */
	int alias_of;      /* K_ALIAS: the block's owner index */
	bool live;
};

struct world {
	struct mm_machine *mach;
	struct buddy *b;
	struct vmalloc *v;
	struct vmap *vm;
	struct percpu *pc;
	struct bm *bm;
	struct vm_model *vmm;
	struct pm *pm;
	unsigned ncpus;
	uint64_t unit_bytes, chunk_bytes;
	struct owner own[MAX_OWNERS];
	unsigned nown;
	uint64_t next_tag;
	uint64_t mapped[MAX_MAPPED]; /* pfns percpu maps, sorted, as last seen */
	unsigned nmapped;
	/* The implementation's answer to the op in hand, for the model. */
	int impl_rc;
	uint64_t impl_val, free_before;
	char pending[512];
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
	free(o->pfns);
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

/* ---- ops: buddy ---- */

static int nid_arg(uint64_t v)
{
	int64_t s = (int64_t)v;

	return s < -100 || s > 100 ? 100 : (int)s;
}

static struct fz_result i_page_alloc(void *w, const uint64_t *a)
{
	uint64_t pfn = 0;
	unsigned order = a[0] > 30 ? 30 : (unsigned)a[0];

	W->impl_rc = buddy_alloc_pages(W->b, order, nid_arg(a[1]), &pfn);
	W->impl_val = pfn;
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
	o->pfns = calloc(n, sizeof(uint64_t));
	if (!o->pfns)
		abort();
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

/* ---- the table ---- */

#define A_H(n) { n, FZ_HANDLE, 0, 0, NULL }
#define A_NID { "nid", FZ_INT, -1, 2, NULL }

static const struct fz_op_def ops[] = {
	{ "page_alloc", FZ_RET_HANDLE, 2, { { "order", FZ_INT, 0, 4, NULL }, A_NID },
	  i_page_alloc, m_page_alloc },
	{ "page_free", 0, 1, { A_H("pfn") }, i_page_free, m_page_free },
	{ "split_free", 0, 1, { A_H("pfn") }, i_split_free, m_split_free },
	{ "vmalloc", FZ_RET_HANDLE, 2, { { "size", FZ_INT, 0, 4200, NULL }, A_NID }, i_vmalloc,
	  m_vmalloc },
	{ "vfree", 0, 1, { A_H("addr") }, i_vfree, m_vfree },
	{ "vmap_pages", FZ_RET_HANDLE, 1, { A_H("pfn") }, i_vmap_pages, m_vmap_pages },
	{ "vunmap", 0, 1, { A_H("addr") }, i_vunmap, m_vunmap },
	{ "pcpu_alloc", FZ_RET_HANDLE, 2,
	  { { "size", FZ_INT, 0, 1100, NULL }, { "align", FZ_ALIGN, 0, 0, NULL } }, i_pcpu_alloc,
	  m_pcpu_alloc },
	{ "pcpu_free", 0, 1, { A_H("ptr") }, i_pcpu_free, m_pcpu_free },
	{ "set_cpu", 0, 1, { { "cpu", FZ_INT, 0, 4, NULL } }, i_set_cpu, m_set_cpu },
	{ "drain_all", 0, 0, { { 0 } }, i_drain_all, m_none },
	{ "purge", 0, 0, { { 0 } }, i_purge, m_purge },
	{ "verify", 0, 0, { { 0 } }, i_verify, m_none },
	/* Bad input by literal: a pfn, an address, a pointer nothing owns. */
	{ "page_free", 0, 2, { { "pfn", FZ_INT, 0, 400, NULL }, { "order", FZ_INT, 0, 6, NULL } },
	  i_page_free_raw, m_page_free_raw },
	{ "vfree", 0, 1, { { "addr", FZ_ADDR, 0, 0, NULL } }, i_vfree, m_vfree },
	{ "pcpu_free", 0, 1, { { "ptr", FZ_ADDR, 0, 0, NULL } }, i_pcpu_free, m_pcpu_free },
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
	struct world *w = calloc(1, sizeof(*w));
	struct mm_range mem[2], res;
	struct mm_machine_config mc;
	uint64_t l0 = c[C_LEN0], s1 = l0 + c[C_GAP1], l1 = c[C_LEN1];
	uint64_t r0 = mm_min(c[C_RES_OFF], l0), r1 = mm_min(r0 + c[C_RES_LEN], l0);
	int nid1 = c[C_NODES] == 2 ? (int)c[C_NID1] : 0;
	unsigned nodes = l1 && nid1 ? 2 : 1;
	struct percpu_stats st;

	if (!w)
		abort();
	mem[0] = (struct mm_range){ 0, l0 * PAGE, 0 };
	mem[1] = (struct mm_range){ s1 * PAGE, l1 * PAGE, nid1 };
	res = (struct mm_range){ r0 * PAGE, (r1 - r0) * PAGE, 0 };
	mm_machine_default_config(&mc);
	mc.memory = mem;
	mc.nr_memory = l1 ? 2 : 1;
	mc.reserved = &res;
	mc.nr_reserved = r1 > r0;
	mc.page_size = PAGE;
	mc.nr_cpus = (unsigned)c[C_CPUS];
	mc.max_order = (unsigned)c[C_MAX_ORDER];
	mc.section_shift = (unsigned)c[C_SECTION];
	mc.pcp_high = (unsigned)c[C_HIGH];
	mc.pcp_batch = 2;
	mc.backing = true;
	mc.vmalloc_start = VSTART;
	mc.vmalloc_size = VSIZE;
	mc.lazy_max_pages = c[C_LAZY];
	mc.percpu = true;
	mc.percpu_unit_pages = c[C_UNIT];
	mc.percpu_policy = c[C_FIRST_FIT] ? PERCPU_FIRST_FIT : PERCPU_BEST_FIT;
	mc.meta = meta;
	if (mm_machine_boot(&w->mach, &mc))
		abort();
	w->b = mm_machine_buddy(w->mach);
	w->v = mm_machine_vmalloc(w->mach);
	w->vm = mm_machine_vmap(w->mach);
	w->pc = mm_machine_percpu(w->mach);
	w->ncpus = mc.nr_cpus;
	percpu_stats(w->pc, &st);
	w->unit_bytes = st.unit_bytes;
	w->chunk_bytes = st.unit_bytes * w->ncpus;

	/* The models, from the header alone: memory ranges are pages of their
	 * node, the reserved range stays out of buddy, the rest is free. */
	w->bm = bm_create(0, l1 ? s1 + l1 : l0, mc.max_order, mc.section_shift, nodes, w->ncpus);
	if (!w->bm || bm_add_memory(w->bm, 0, l0, 0) ||
	    (l1 && bm_add_memory(w->bm, s1, l1, nid1)) ||
	    (r0 > 0 && bm_free_boot_range(w->bm, 0, r0)) ||
	    (r1 < l0 && bm_free_boot_range(w->bm, r1, l0 - r1)) ||
	    (l1 && bm_free_boot_range(w->bm, s1, l1)))
		abort();
	w->vmm = vmm_create(VSTART, VSTART + VSIZE, PAGE, c[C_LAZY]);
	w->pm = pm_create(w->ncpus, w->unit_bytes, PAGE, !c[C_FIRST_FIT]);
	if (!w->vmm || !w->pm)
		abort();
	return w;
}

static void destroy(void *w)
{
	for (unsigned i = 0; i < W->nown; i++)
		owner_drop(&W->own[i]);
	mm_machine_destroy(W->mach);
	bm_destroy(W->bm);
	vmm_destroy(W->vmm);
	pm_destroy(W->pm);
	free(w);
}

static const char *check(void *w)
{
	return mm_machine_check(W->mach);
}

static const char *compare(void *w, char *buf, size_t len)
{
	if (W->pending[0]) {
		snprintf(buf, len, "%s", W->pending);
		return buf;
	}
	/* Every page, every vmap area. */
	if (bm_compare(W->bm, W->b, buf, len) || vmm_compare(W->vmm, W->vm, buf, len))
		return buf;
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
	/* Every owner's data (both ends of each page or copy). */
	for (unsigned i = 0; i < W->nown; i++)
		if (W->own[i].live && !check_owner(W, &W->own[i])) {
			snprintf(buf, len, "%s", W->pending);
			return buf;
		}
	return NULL;
}

static void dump(void *w, FILE *f)
{
	fprintf(f, "  owners:");
	for (unsigned i = 0; i < W->nown; i++)
		if (W->own[i].live)
			fprintf(f, " %s:0x%" PRIx64,
				(const char *[]){ "block", "vmalloc", "alias", "pcpu" }[W->own[i].kind],
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
	.check = check,
	.dump = dump,
};

FZ_TARGET(target)
