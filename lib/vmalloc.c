/* SPDX-License-Identifier: MIT */
/*
 * vmalloc.c - a vmap area backed by buddy pages (see vmalloc.h).
 *
 * Each area keeps its page table (the pfn of every page) in a tree by
 * address. vmalloc asks buddy for high-order blocks while the size allows
 * and splits them into order-0 pages, so vfree finds long runs of
 * contiguous pfns and hands each run to buddy_free_contig_range at once
 * (the seed's vfree), instead of one page at a time.
 */
#include "vmalloc.h"

#include "rbtree.h"

/* A page-table entry with no page behind it (a reserved area's). */
#define PFN_NONE UINT64_MAX

struct vm_area {
	struct rb_node rb;
	uint64_t addr, npages;
	uint64_t *pfns; /* PFN_NONE where nothing is mapped */
	bool owns;      /* vmalloc'ed (its pages are ours), not the caller's */
	bool stale;     /* new or remapped since vmalloc_check last looked */
};

struct vmalloc {
	struct vmap *vmap;
	struct buddy *buddy;
	struct mm_meta *meta;
	struct rb_root areas;
	uint64_t page, nr_pages;
};

static struct vm_area *area_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area, rb) : NULL;
}

/* The area with the largest address <= addr. */
static struct vm_area *area_floor(const struct vmalloc *v, uint64_t addr)
{
	struct rb_node *n = v->areas.node;
	struct vm_area *best = NULL;

	while (n) {
		if (area_of(n)->addr <= addr) {
			best = area_of(n);
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

static void area_link(struct vmalloc *v, struct vm_area *a)
{
	struct rb_node **link = &v->areas.node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = a->addr < area_of(parent)->addr ? &parent->left : &parent->right;
	}
	rb_insert(&v->areas, &a->rb, parent, link, NULL);
}

/* A new area record with room for n pfns, or NULL. */
static struct vm_area *area_new(struct vmalloc *v, uint64_t n)
{
	struct vm_area *a = mm_meta_alloc(v->meta, sizeof(*a));

	if (!a)
		return NULL;
	a->pfns = mm_meta_array(v->meta, (size_t)n, sizeof(uint64_t));
	if (!a->pfns) {
		mm_meta_free(v->meta, a, sizeof(*a));
		return NULL;
	}
	a->npages = n;
	a->stale = true;
	return a;
}

static void area_delete(struct vmalloc *v, struct vm_area *a)
{
	mm_meta_free(v->meta, a->pfns, (size_t)a->npages * sizeof(uint64_t));
	mm_meta_free(v->meta, a, sizeof(*a));
}

/* Give pages back: one free_contig_range per run of contiguous pfns. */
static void free_pages_runs(struct vmalloc *v, const uint64_t *pfns, uint64_t n)
{
	for (uint64_t i = 0; i < n;) {
		uint64_t j = i + 1;

		while (j < n && pfns[j] == pfns[j - 1] + 1)
			j++;
		buddy_free_contig_range(v->buddy, pfns[i], j - i);
		i = j;
	}
}

/* The area bytes for n pages plus the guard page; false on overflow. */
static bool area_bytes(const struct vmalloc *v, uint64_t n, uint64_t *bytes)
{
	return n < UINT64_MAX / v->page && mm_add_ok(n * v->page, v->page, bytes);
}

/* n pages and the guard can never fit in the vmap range. */
static bool area_too_big(const struct vmalloc *v, uint64_t n)
{
	uint64_t bytes;

	return n >= (vmap_end(v->vmap) - vmap_start(v->vmap)) / v->page ||
	       !area_bytes(v, n, &bytes);
}

/* A record for n pages and its vmap area (n pages and the guard, the lowest
 * fit in the whole range); nothing is left behind on failure. */
static int area_place(struct vmalloc *v, uint64_t n, struct vm_area **out)
{
	struct vm_area *a;
	uint64_t bytes;
	int err;

	/* n pages and the guard can never fit: fail before the page table is
	 * sized from n (and before the vmap search could purge). */
	if (area_too_big(v, n) || !area_bytes(v, n, &bytes))
		return -MM_ENOMEM;
	a = area_new(v, n);
	if (!a)
		return -MM_ENOMEM;
	err = vmap_alloc(v->vmap, bytes, v->page, vmap_start(v->vmap), vmap_end(v->vmap),
			 &a->addr);
	if (err) {
		area_delete(v, a);
		return err;
	}
	*out = a;
	return 0;
}

int vmalloc_create(struct vmalloc **out, struct vmap *vmap, struct buddy *buddy,
		   struct mm_meta *meta)
{
	struct vmalloc *v;

	if (!out || !vmap || !buddy)
		return -MM_EINVAL;
	v = mm_meta_alloc(meta, sizeof(*v));
	if (!v)
		return -MM_ENOMEM;
	v->vmap = vmap;
	v->buddy = buddy;
	v->meta = meta;
	v->page = vmap_page_size(vmap);
	*out = v;
	return 0;
}

void vmalloc_destroy(struct vmalloc *v)
{
	if (!v)
		return;
	while (v->areas.node) {
		struct vm_area *a = area_of(v->areas.node);

		rb_erase(&v->areas, &a->rb, NULL);
		if (a->owns)
			free_pages_runs(v, a->pfns, a->npages);
		vmap_free(v->vmap, a->addr);
		area_delete(v, a);
	}
	mm_meta_free(v->meta, v, sizeof(*v));
}

/* Fill a->pfns from buddy: high-order blocks split to order 0 while the
 * size allows, then single pages. -MM_ENOMEM with nothing kept. */
static int fill_pages(struct vmalloc *v, struct vm_area *a, int nid)
{
	unsigned max = buddy_max_order(v->buddy);
	bool high = true;
	uint64_t got = 0, pfn;

	while (got < a->npages) {
		uint64_t left = a->npages - got;
		unsigned o = 63u - (unsigned)__builtin_clzll(left);

		if (o > max)
			o = max;
		if (high && o > 0) {
			if (!buddy_alloc_pages(v->buddy, o, nid, &pfn)) {
				buddy_split_page(v->buddy, pfn, o);
				for (uint64_t i = 0; i < ((uint64_t)1 << o); i++)
					a->pfns[got++] = pfn + i;
				continue;
			}
			high = false;
		}
		if (buddy_alloc_pages(v->buddy, 0, nid, &pfn)) {
			free_pages_runs(v, a->pfns, got);
			return -MM_ENOMEM;
		}
		a->pfns[got++] = pfn;
	}
	return 0;
}

int vmalloc(struct vmalloc *v, uint64_t size, int nid, uint64_t *addr)
{
	uint64_t n, span = buddy_end_pfn(v->buddy) - buddy_start_pfn(v->buddy);
	struct vm_area *a;
	int err;

	if (!size || nid < NUMA_NO_NODE || nid >= (int)buddy_nr_nodes(v->buddy) || !addr)
		return -MM_EINVAL;
	n = size / v->page + (size % v->page != 0);
	/* More pages than the machine has can never be had: fail before
	 * anything moves (the vmap search could purge lazy areas). */
	if (n > span)
		return -MM_ENOMEM;
	err = area_place(v, n, &a);
	if (err)
		return err;
	err = fill_pages(v, a, nid);
	if (err) {
		vmap_free(v->vmap, a->addr);
		area_delete(v, a);
		return err;
	}
	a->owns = true;
	area_link(v, a);
	v->nr_pages += n;
	*addr = a->addr;
	return 0;
}

/* The area starting exactly at addr. */
static struct vm_area *area_at(const struct vmalloc *v, uint64_t addr)
{
	struct vm_area *a = area_floor(v, addr);

	return a && a->addr == addr ? a : NULL;
}

int vfree(struct vmalloc *v, uint64_t addr)
{
	struct vm_area *a = area_at(v, addr);

	if (!a)
		return -MM_ENOENT;
	if (!a->owns)
		return -MM_EINVAL;
	rb_erase(&v->areas, &a->rb, NULL);
	free_pages_runs(v, a->pfns, a->npages);
	v->nr_pages -= a->npages;
	vmap_free_lazy(v->vmap, a->addr);
	area_delete(v, a);
	return 0;
}

static bool page_allocated(const struct buddy *b, uint64_t pfn)
{
	struct buddy_page_info i;

	return !buddy_page(b, pfn, &i) && (i.state == BUDDY_ALLOC || i.state == BUDDY_ALLOC_TAIL);
}

int vmap_pages(struct vmalloc *v, const uint64_t *pfns, uint64_t n, uint64_t *addr)
{
	struct vm_area *a;
	int err;

	if (!n || !pfns || !addr)
		return -MM_EINVAL;
	/* The size first: the pfn array is read only for an n that can fit
	 * (it may well be shorter than an n that cannot). */
	if (area_too_big(v, n))
		return -MM_ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		if (!page_allocated(v->buddy, pfns[i]))
			return -MM_EINVAL;
	err = area_place(v, n, &a);
	if (err)
		return err;
	for (uint64_t i = 0; i < n; i++)
		a->pfns[i] = pfns[i];
	a->owns = false;
	area_link(v, a);
	*addr = a->addr;
	return 0;
}

int vmalloc_reserve(struct vmalloc *v, uint64_t n, uint64_t *addr)
{
	struct vm_area *a;
	int err;

	if (!n || !addr)
		return -MM_EINVAL;
	err = area_place(v, n, &a);
	if (err)
		return err;
	for (uint64_t i = 0; i < n; i++)
		a->pfns[i] = PFN_NONE;
	a->owns = false;
	area_link(v, a);
	*addr = a->addr;
	return 0;
}

/* The page-table entry of a page address in a caller's area, with the
 * errors map_page and unmap_page share. */
static int caller_entry(const struct vmalloc *v, uint64_t addr, uint64_t **entry,
			struct vm_area **area)
{
	struct vm_area *a;

	if (addr % v->page)
		return -MM_EINVAL;
	a = area_floor(v, addr);
	if (!a || (addr - a->addr) / v->page >= a->npages)
		return -MM_ENOENT;
	if (a->owns)
		return -MM_EINVAL;
	*entry = &a->pfns[(addr - a->addr) / v->page];
	*area = a;
	return 0;
}

int vmalloc_map_page(struct vmalloc *v, uint64_t addr, uint64_t pfn)
{
	struct vm_area *a;
	uint64_t *e;
	int err = caller_entry(v, addr, &e, &a);

	if (err)
		return err;
	if (*e != PFN_NONE)
		return -MM_EBUSY;
	if (!page_allocated(v->buddy, pfn))
		return -MM_EINVAL;
	*e = pfn;
	a->stale = true;
	return 0;
}

int vmalloc_unmap_page(struct vmalloc *v, uint64_t addr, uint64_t *pfn)
{
	struct vm_area *a;
	uint64_t *e;
	int err;

	if (!pfn)
		return -MM_EINVAL; /* the only record of the page unmapped */
	err = caller_entry(v, addr, &e, &a);
	if (err)
		return err;
	if (*e == PFN_NONE)
		return -MM_ENOENT;
	*pfn = *e;
	*e = PFN_NONE;
	a->stale = true;
	return 0;
}

int vunmap(struct vmalloc *v, uint64_t addr)
{
	struct vm_area *a = area_at(v, addr);

	if (!a)
		return -MM_ENOENT;
	if (a->owns)
		return -MM_EINVAL;
	rb_erase(&v->areas, &a->rb, NULL);
	vmap_free_lazy(v->vmap, a->addr);
	area_delete(v, a);
	return 0;
}

int vmalloc_to_pfn(const struct vmalloc *v, uint64_t addr, uint64_t *pfn)
{
	struct vm_area *a = area_floor(v, addr);

	uint64_t e;

	if (!a || (addr - a->addr) / v->page >= a->npages)
		return -MM_ENOENT;
	e = a->pfns[(addr - a->addr) / v->page];
	if (e == PFN_NONE)
		return -MM_ENOENT;
	if (pfn)
		*pfn = e;
	return 0;
}

void *vmalloc_host(const struct vmalloc *v, uint64_t addr)
{
	uint64_t pfn;
	char *p;

	if (vmalloc_to_pfn(v, addr, &pfn))
		return NULL;
	p = buddy_page_ptr(v->buddy, pfn);
	return p ? p + addr % v->page : NULL;
}

uint64_t vmalloc_page_size(const struct vmalloc *v)
{
	return v->page;
}

uint64_t vmalloc_nr_pages(const struct vmalloc *v)
{
	return v->nr_pages;
}

static const char *check_areas(const struct vmalloc *v, bool full)
{
	uint64_t owned = 0;

	for (const struct rb_node *n = rb_first(&v->areas); n; n = rb_next(n)) {
		struct vm_area *a = area_of(n);
		uint64_t start, size;

		if (!a->stale && !full) {
			owned += a->owns ? a->npages : 0;
			continue;
		}

		if (vmap_find(v->vmap, a->addr, &start, &size) || start != a->addr ||
		    size != (a->npages + 1) * v->page)
			return "vmalloc area is not a busy vmap area of its size plus a guard";
		/* vmap_pages pages are the caller's to keep allocated while
		 * mapped; only the ones vmalloc owns are checked here. */
		for (uint64_t i = 0; i < a->npages; i++) {
			struct buddy_page_info info;

			if (a->pfns[i] == PFN_NONE) {
				if (a->owns)
					return "vmalloc'ed area has a page that is not mapped";
				continue;
			}
			if (buddy_page(v->buddy, a->pfns[i], &info))
				return "vmalloc maps a pfn outside buddy";
			if (a->owns && (info.state != BUDDY_ALLOC || info.order != 0 ||
					info.refcount != 1))
				return "vmalloc'ed page is not an order-0 page it alone holds";
		}
		if (a->owns)
			owned += a->npages;
		a->stale = false;
	}
	return owned == v->nr_pages ? NULL : "vmalloc page count differs from its areas";
}

const char *vmalloc_check(const struct vmalloc *v)
{
	return check_areas(v, false);
}

const char *vmalloc_check_full(const struct vmalloc *v)
{
	return check_areas(v, true);
}
