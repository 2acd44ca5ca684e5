/* SPDX-License-Identifier: MIT */
/*
 * vmap_list.c - the vmap benchmark's baseline: busy areas in a red-black
 * tree and an address-ordered list, allocation by walking the holes between
 * them from the cached area (see vmap_list.h for the contract and the cache
 * rule).
 */
#include "vmap_list.h"

#include <stdbool.h>
#include <stdlib.h>

#include "rbtree.h"

struct vl_area {
	uint64_t start, end;
	struct rb_node rb;
	struct vl_area *prev, *next;
};

struct vmap_list {
	uint64_t vstart, vend, page_size;

	/* Busy areas: the tree by address, and the same areas in a list. */
	struct rb_root root;
	struct vl_area *head, *tail;
	size_t nr;

	/* free_vmap_cache and what it was found with. NULL: walk from the
	 * start. */
	struct vl_area *cache;
	uint64_t cached_hole_size, cached_vstart, cached_align;

	/* Up to VL_SPARE_MAX freed descriptors kept for the next allocations. */
	struct vl_area *spare;
	unsigned nspare;

	uint64_t restarts;
};

#define VL_SPARE_MAX 4

static struct vl_area *area_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vl_area, rb) : NULL;
}

/* ---- create, destroy ---- */

int vl_create(struct vmap_list **out, uint64_t vstart, uint64_t vend, uint64_t page_size)
{
	struct vmap_list *v;

	if (!page_size)
		page_size = 4096;
	if (!mm_is_pow2(page_size) || vstart >= vend || (vstart | vend) & (page_size - 1))
		return -MM_EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -MM_ENOMEM;
	v->vstart = vstart;
	v->vend = vend;
	v->page_size = page_size;
	*out = v;
	return 0;
}

void vl_destroy(struct vmap_list *v)
{
	struct vl_area *a, *next;

	if (!v)
		return;
	for (a = v->head; a; a = next) {
		next = a->next;
		free(a);
	}
	for (a = v->spare; a; a = next) {
		next = a->next;
		free(a);
	}
	free(v);
}

/* ---- the busy tree ---- */

/* Link a into the tree by address, then into the list after the area the
 * tree puts before it. */
static void insert_area(struct vmap_list *v, struct vl_area *a)
{
	struct rb_node **link = &v->root.node, *parent = NULL, *pn;
	struct vl_area *prev;

	while (*link) {
		parent = *link;
		link = a->start < area_of(parent)->end ? &parent->left : &parent->right;
	}
	rb_insert(&v->root, &a->rb, parent, link, NULL);
	pn = rb_prev(&a->rb);
	prev = area_of(pn);
	a->prev = prev;
	a->next = prev ? prev->next : v->head;
	if (prev)
		prev->next = a;
	else
		v->head = a;
	if (a->next)
		a->next->prev = a;
	else
		v->tail = a;
}

/* The busy area holding addr, or NULL. */
static struct vl_area *find_area(const struct vmap_list *v, uint64_t addr)
{
	struct rb_node *n = v->root.node;

	while (n) {
		struct vl_area *a = area_of(n);

		if (addr < a->start)
			n = n->left;
		else if (addr >= a->end)
			n = n->right;
		else
			return a;
	}
	return NULL;
}

/* ---- alloc, free ---- */

int vl_alloc(struct vmap_list *v, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	     uint64_t *addr)
{
	uint64_t pmask = v->page_size - 1;
	struct vl_area *first, *a;
	uint64_t at;

	if (!size || (size & pmask) || (align & pmask) || !mm_is_pow2(align) || lo >= hi ||
	    lo < v->vstart || hi > v->vend)
		return -MM_EINVAL;

	if (!v->cache || size <= v->cached_hole_size || lo < v->cached_vstart ||
	    align < v->cached_align) {
nocache:
		v->cached_hole_size = 0;
		v->cache = NULL;
	}
	v->cached_vstart = lo;
	v->cached_align = align;

	if (v->cache) {
		first = v->cache;
		if (!mm_round_up(first->end, align, &at))
			return -MM_ENOMEM;
		if (at < lo)
			goto nocache;
	} else {
		struct rb_node *n = v->root.node;

		v->restarts++;
		if (!mm_round_up(lo, align, &at))
			return -MM_ENOMEM;
		/* The lowest area ending at or above at. */
		first = NULL;
		while (n) {
			struct vl_area *t = area_of(n);

			if (t->end >= at) {
				first = t;
				if (t->start <= at)
					break;
				n = n->left;
			} else {
				n = n->right;
			}
		}
	}
	if (at + size < at)
		return -MM_ENOMEM;

	/* From first on, step over every area the request would run into. */
	while (first && at + size > first->start && at + size <= hi) {
		if (at + v->cached_hole_size < first->start)
			v->cached_hole_size = first->start - at;
		if (!mm_round_up(first->end, align, &at) || at + size < at)
			return -MM_ENOMEM;
		first = first->next;
	}
	if (at + size > hi || at < lo)
		return -MM_ENOMEM;

	if (v->spare) {
		a = v->spare;
		v->spare = a->next;
		v->nspare--;
	} else if (!(a = malloc(sizeof(*a)))) {
		return -MM_ENOMEM;
	}
	a->start = at;
	a->end = at + size;
	insert_area(v, a);
	v->nr++;
	v->cache = a;
	*addr = at;
	return 0;
}

int vl_free(struct vmap_list *v, uint64_t addr)
{
	struct vl_area *a = find_area(v, addr);

	if (!a || a->start != addr)
		return -MM_ENOENT;

	if (v->cache) {
		if (a->end < v->cached_vstart)
			v->cache = NULL;
		else if (a->start <= v->cache->start)
			v->cache = area_of(rb_prev(&a->rb));
	}
	rb_erase(&v->root, &a->rb, NULL);
	if (a->prev)
		a->prev->next = a->next;
	else
		v->head = a->next;
	if (a->next)
		a->next->prev = a->prev;
	else
		v->tail = a->prev;
	v->nr--;
	if (v->nspare < VL_SPARE_MAX) {
		a->next = v->spare;
		v->spare = a;
		v->nspare++;
	} else {
		free(a);
	}
	return 0;
}

/* ---- inspection ---- */

void vl_walk(const struct vmap_list *v, void (*fn)(void *ctx, uint64_t start, uint64_t end),
	     void *ctx)
{
	for (const struct vl_area *a = v->head; a; a = a->next)
		fn(ctx, a->start, a->end);
}

size_t vl_count(const struct vmap_list *v)
{
	return v->nr;
}

uint64_t vl_restarts(const struct vmap_list *v)
{
	return v->restarts;
}

static bool area_less(const struct rb_node *x, const struct rb_node *y)
{
	return area_of(x)->start < area_of(y)->start;
}

const char *vl_check(const struct vmap_list *v)
{
	const struct vl_area *a, *prev = NULL;
	const struct rb_node *n = rb_first(&v->root);
	bool cache_seen = !v->cache;
	const char *e;
	size_t count = 0;

	if ((e = rb_check(&v->root, area_less, NULL)))
		return e;
	for (a = v->head; a; prev = a, a = a->next, n = rb_next(n)) {
		if (a->prev != prev)
			return "list: prev link broken";
		if (!n || area_of(n) != a)
			return "list differs from the tree";
		if (a->start >= a->end || a->start < v->vstart || a->end > v->vend)
			return "area empty or outside [vstart, vend)";
		if ((a->start | a->end) & (v->page_size - 1))
			return "area not page aligned";
		if (prev && prev->end > a->start)
			return "areas out of order or overlapping";
		if (a == v->cache)
			cache_seen = true;
		count++;
	}
	if (n)
		return "tree holds more areas than the list";
	if (v->tail != prev)
		return "list: tail wrong";
	if (count != v->nr)
		return "list length differs from the count";
	if (!cache_seen)
		return "cache is not a busy area";
	return NULL;
}
