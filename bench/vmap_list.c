/* SPDX-License-Identifier: MIT */
/*
 * vmap_list.c - the vmap benchmark's baseline: busy areas in an address
 * sorted list, allocation by walking the holes between them (see
 * vmap_list.h for the contract and the hint).
 */
#include "vmap_list.h"

#include <stdbool.h>
#include <stdlib.h>

struct vl_area {
	uint64_t start, end;
	struct vl_area *prev, *next;
};

struct vmap_list {
	uint64_t vstart, vend, page_size;
	unsigned page_shift;

	/* Busy areas by address. */
	struct vl_area *head, *tail;
	size_t nr;

	/* The same areas by start address: open addressing, linear probing,
	 * at most half full. */
	struct vl_area **slots;
	size_t cap; /* a power of two */
	unsigned cap_bits;

	/* The hint (free_vmap_cache): no request at least hint_size long, at
	 * least hint_align aligned and with lo >= hint_lo fits below
	 * hint->end. NULL: walk from the first area. */
	struct vl_area *hint;
	uint64_t hint_size, hint_align, hint_lo;

	/* Up to VL_SPARE_MAX freed descriptors kept for the next allocations,
	 * as lib/vmap.c keeps a few area objects: an alloc and free in a loop
	 * costs neither side a trip to malloc. */
	struct vl_area *spare;
	unsigned nspare;

	uint64_t restarts;
};

#define VL_MIN_CAP_BITS 6
#define VL_SPARE_MAX 4

/* ---- the index by address ---- */

static size_t vl_home(const struct vmap_list *v, uint64_t start)
{
	return (size_t)(((start >> v->page_shift) * 0x9e3779b97f4a7c15ull) >> (64 - v->cap_bits));
}

static void vl_index_put(struct vl_area **slots, const struct vmap_list *v, struct vl_area *a)
{
	size_t mask = v->cap - 1, i = vl_home(v, a->start);

	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = a;
}

/* Room for one more area, so that what follows cannot fail. */
static int vl_index_reserve(struct vmap_list *v)
{
	struct vl_area **old = v->slots, **slots;
	size_t old_cap = v->cap;

	if ((v->nr + 1) * 2 <= v->cap)
		return 0;
	slots = calloc(old_cap * 2, sizeof(*slots));
	if (!slots)
		return -MM_ENOMEM;
	v->slots = slots;
	v->cap = old_cap * 2;
	v->cap_bits++;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			vl_index_put(slots, v, old[i]);
	free(old);
	return 0;
}

static size_t vl_index_find(const struct vmap_list *v, uint64_t start)
{
	size_t mask = v->cap - 1, i = vl_home(v, start);

	for (; v->slots[i]; i = (i + 1) & mask)
		if (v->slots[i]->start == start)
			return i;
	return SIZE_MAX;
}

/* Remove slot i, shifting later members of its probe run back. */
static void vl_index_del(struct vmap_list *v, size_t i)
{
	size_t mask = v->cap - 1, j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!v->slots[j])
			break;
		k = vl_home(v, v->slots[j]->start);
		/* Slot j's member may move to i unless its home lies
		 * cyclically in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			v->slots[i] = v->slots[j];
			i = j;
		}
	}
	v->slots[i] = NULL;
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
	v->page_shift = (unsigned)__builtin_ctzll(page_size);
	v->cap_bits = VL_MIN_CAP_BITS;
	v->cap = (size_t)1 << v->cap_bits;
	v->slots = calloc(v->cap, sizeof(*v->slots));
	if (!v->slots) {
		free(v);
		return -MM_ENOMEM;
	}
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
	free(v->slots);
	free(v);
}

/* ---- alloc, free ---- */

int vl_alloc(struct vmap_list *v, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	     uint64_t *addr)
{
	uint64_t pmask = v->page_size - 1;
	struct vl_area *prev, *next, *a;
	uint64_t at;

	if (!size || (size & pmask) || (align & pmask) || !mm_is_pow2(align) || lo >= hi ||
	    lo < v->vstart || hi > v->vend)
		return -MM_EINVAL;

	if (v->hint && size >= v->hint_size && align >= v->hint_align && lo >= v->hint_lo) {
		prev = v->hint;
		next = prev->next;
	} else {
		v->restarts++;
		prev = NULL;
		next = v->head;
	}
	/* The hole (prev, next): from prev's end (or vstart) to next's start
	 * (or vend). A later hole only gives higher candidates, so the first
	 * candidate past hi ends the search. */
	for (;;) {
		uint64_t from = prev ? prev->end : v->vstart;
		uint64_t to = next ? next->start : v->vend;

		if (!mm_round_up(from > lo ? from : lo, align, &at) || at >= hi || hi - at < size)
			return -MM_ENOMEM;
		if (at < to && to - at >= size)
			break;
		if (!next)
			return -MM_ENOMEM; /* not reached: to == vend >= hi */
		prev = next;
		next = next->next;
	}

	if (vl_index_reserve(v))
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
	a->prev = prev;
	a->next = next;
	if (prev)
		prev->next = a;
	else
		v->head = a;
	if (next)
		next->prev = a;
	else
		v->tail = a;
	vl_index_put(v->slots, v, a);
	v->nr++;

	v->hint = a;
	v->hint_size = size;
	v->hint_align = align;
	v->hint_lo = lo;
	*addr = at;
	return 0;
}

int vl_free(struct vmap_list *v, uint64_t addr)
{
	size_t i = vl_index_find(v, addr);
	struct vl_area *a;

	if (i == SIZE_MAX)
		return -MM_ENOENT;
	a = v->slots[i];
	vl_index_del(v, i);

	/* A hole opens at a: the hint must stay below it. */
	if (v->hint && a->start <= v->hint->start)
		v->hint = a->prev;

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

const char *vl_check(const struct vmap_list *v)
{
	const struct vl_area *a, *prev = NULL;
	bool hint_seen = !v->hint;
	size_t n = 0, indexed = 0;

	for (a = v->head; a; prev = a, a = a->next) {
		if (a->prev != prev)
			return "list: prev link broken";
		if (a->start >= a->end || a->start < v->vstart || a->end > v->vend)
			return "area empty or outside [vstart, vend)";
		if ((a->start | a->end) & (v->page_size - 1))
			return "area not page aligned";
		if (prev && prev->end > a->start)
			return "areas out of order or overlapping";
		if (vl_index_find(v, a->start) == SIZE_MAX ||
		    v->slots[vl_index_find(v, a->start)] != a)
			return "area missing from the index";
		if (a == v->hint)
			hint_seen = true;
		n++;
	}
	if (v->tail != prev)
		return "list: tail wrong";
	if (n != v->nr)
		return "list length differs from the count";
	for (size_t i = 0; i < v->cap; i++)
		indexed += v->slots[i] != NULL;
	if (indexed != v->nr)
		return "index holds a different number of areas";
	if (!hint_seen)
		return "hint is not a busy area";
	return NULL;
}
