/* SPDX-License-Identifier: MIT */
/*
 * vmap.c - virtual address ranges (see vmap.h for the contract).
 *
 * Every area, whatever its kind, sits in one list in address order: the
 * areas tile [vstart, vend), so an area's neighbours in the range are its
 * neighbours in the list, and a free merges with them in O(1). Free areas
 * also sit in a red-black tree by start address, each node holding the
 * largest free size in its subtree (subtree_max; 0 marks an area that is
 * not free), all but the tail: the free area that ends at vend, when there
 * is one. It is the highest, so it is the last resort of every search, and
 * it is by far the largest, so in the tree every change to it would change
 * every value on the tree's right spine; off the tree, allocating from it
 * or freeing next to it touches nothing else. Busy areas are indexed by
 * start address in a hash table (a free finds its area in O(1)); lazily
 * freed areas wait on a list.
 *
 * Allocation takes the lowest fit (find_fit), then one of four shapes: the
 * whole free area (FL), its left or right edge (LE, RE), or its middle
 * (NE), which splits the free area in two. The objects an allocation may
 * need (the busy area, the NE split) are taken from a small per-instance
 * cache, and the index grown, before anything changes, so a failed
 * bookkeeping allocation leaves the instance as it was.
 *
 * The free tree's augmentation is compiled in (rbtree.h's inline
 * templates): a rotation hands the old top's value to the new one and
 * recomputes one node; a change propagates up only while values change;
 * an area that grows only raises its ancestors' values.
 */
#include "vmap.h"

#include "rbtree.h"

/* Code on the hot paths, inlined into its one or two callers. */
#define HOT static inline __attribute__((always_inline))

#define CACHE_MAX 4
#define INDEX_MIN_BITS 6

struct va {
	uint64_t start, end;
	struct va *prev, *next; /* every area, in address order */
	uint64_t subtree_max;   /* free: the largest size in its subtree; else 0 */
	union {
		struct rb_node rb; /* free: in the free tree */
		struct {
			/* busy: the next in its index bucket; lazy: the next
			 * lazily freed area */
			struct va *hash_next, *lazy_next;
			bool lazy; /* not free: lazily freed (else busy) */
		} nf;
	};
};

struct vmap {
	uint64_t vstart, vend, page, lazy_max, lazy_pages;
	unsigned page_shift;
	struct rb_root free;
	struct va *free_first; /* the lowest free area in the tree */
	struct va *tail;       /* the free area ending at vend, off the tree */
	/* No free area below hint holds a fit for hint_size and hint_align
	 * (so none for anything larger and at least as aligned) from vstart:
	 * such searches start at hint. NULL: none known. */
	struct va *hint;
	uint64_t hint_size, hint_align;
	struct va *first;      /* the lowest area */
	struct va *lazy;  /* lazily freed areas */
	/* Busy areas by start: a hash table of chains, at most one area per
	 * bucket on average. */
	struct va **index;
	uint64_t index_cap, nbusy;
	unsigned index_bits;
	struct va *cache[CACHE_MAX];
	unsigned ncache;
	/* The check's own record: true from a passed vmap_check until the
	 * next call that can change the instance (vmap_check, which takes it
	 * const, writes nothing else). */
	bool checked;
	struct mm_meta *meta;
};

static inline struct va *va_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct va, rb) : NULL;
}

static inline uint64_t va_size(const struct va *v)
{
	return v->end - v->start;
}

static inline bool va_is_free(const struct va *v)
{
	return v->subtree_max != 0;
}

static inline uint64_t sub_max(const struct rb_node *n)
{
	return va_of(n)->subtree_max;
}

/* The augmentation: subtree_max from the node and its children. */
static inline bool va_recompute(struct rb_node *n, bool store)
{
	struct va *v = va_of(n);
	uint64_t m = va_size(v);

	if (n->left && sub_max(n->left) > m)
		m = sub_max(n->left);
	if (n->right && sub_max(n->right) > m)
		m = sub_max(n->right);
	if (m == v->subtree_max)
		return false;
	if (store)
		v->subtree_max = m;
	return true;
}

static inline void va_rotate(struct rb_node *old, struct rb_node *top)
{
	va_of(top)->subtree_max = va_of(old)->subtree_max;
	va_recompute(old, true);
}

static bool va_less(const struct rb_node *a, const struct rb_node *b)
{
	return va_of(a)->start < va_of(b)->start;
}

/* ---- area objects ---- */

static struct va *va_get(struct vmap *vm)
{
	return vm->ncache ? vm->cache[--vm->ncache] : NULL;
}

static void va_put(struct vmap *vm, struct va *v)
{
	if (vm->ncache < CACHE_MAX)
		vm->cache[vm->ncache++] = v;
	else
		mm_meta_free(vm->meta, v, sizeof(*v));
}

/* At least n spare objects, or -MM_ENOMEM (what was taken stays cached). */
static int cache_fill(struct vmap *vm, unsigned n)
{
	while (vm->ncache < n) {
		struct va *v = mm_meta_alloc(vm->meta, sizeof(*v));

		if (!v)
			return -MM_ENOMEM;
		vm->cache[vm->ncache++] = v;
	}
	return 0;
}

/* ---- the list of all areas ---- */

static void list_insert_after(struct va *prev, struct va *v)
{
	v->prev = prev;
	v->next = prev->next;
	if (v->next)
		v->next->prev = v;
	prev->next = v;
}

static void list_insert_before(struct vmap *vm, struct va *next, struct va *v)
{
	v->next = next;
	v->prev = next->prev;
	if (v->prev)
		v->prev->next = v;
	else
		vm->first = v;
	next->prev = v;
}

static void list_unlink(struct vmap *vm, struct va *v)
{
	if (v->prev)
		v->prev->next = v->next;
	else
		vm->first = v->next;
	if (v->next)
		v->next->prev = v->prev;
}

/* ---- the index of busy areas ---- */

static inline struct va **index_bucket(struct va **buckets, const struct vmap *vm,
				       uint64_t start)
{
	return &buckets[((start >> vm->page_shift) * 0x9e3779b97f4a7c15ull) >>
			(64 - vm->index_bits)];
}

static inline void index_put(struct va **buckets, const struct vmap *vm, struct va *v)
{
	struct va **b = index_bucket(buckets, vm, v->start);

	v->nf.hash_next = *b;
	*b = v;
}

/* Room for one more busy area, so that what follows cannot fail: at most
 * one area per bucket on average. */
static int index_reserve(struct vmap *vm)
{
	struct va **old = vm->index, **buckets;
	uint64_t old_cap = vm->index_cap;

	if (vm->nbusy < old_cap)
		return 0;
	buckets = mm_meta_calloc(vm->meta, old_cap * 2, sizeof(*buckets));
	if (!buckets)
		return -MM_ENOMEM;
	vm->index = buckets;
	vm->index_cap = old_cap * 2;
	vm->index_bits++;
	for (uint64_t i = 0; i < old_cap; i++) {
		for (struct va *v = old[i], *n; v; v = n) {
			n = v->nf.hash_next;
			index_put(buckets, vm, v);
		}
	}
	mm_meta_free(vm->meta, old, old_cap * sizeof(*old));
	return 0;
}

/* The link to the busy area starting at start, or to the NULL ending its
 * bucket. */
static inline struct va **index_link(const struct vmap *vm, uint64_t start)
{
	struct va **l = index_bucket(vm->index, vm, start);

	while (*l && (*l)->start != start)
		l = &(*l)->nf.hash_next;
	return l;
}

/* ---- the free tree ---- */

static void free_tree_erase(struct vmap *vm, struct va *v)
{
	if (v == vm->free_first)
		vm->free_first = va_of(rb_next(&v->rb));
	rb_erase_inline(&vm->free, &v->rb, va_recompute, va_rotate);
}

/* v, linked as a leaf with subtree_max its size: raise its ancestors to
 * it, then rebalance. */
static void free_tree_link(struct vmap *vm, struct va *v, struct rb_node *parent,
			   struct rb_node **link)
{
	uint64_t s = va_size(v);

	rb_link_inline(&v->rb, parent, link);
	v->subtree_max = s;
	if (!vm->free_first || v->start < vm->free_first->start)
		vm->free_first = v;
	for (struct rb_node *p = parent; p && sub_max(p) < s; p = p->parent)
		va_of(p)->subtree_max = s;
	rb_insert_fixup_inline(&vm->free, &v->rb, va_recompute, va_rotate);
}

/* v becomes a free area that touches no other: one descent to its place. */
static void free_tree_insert(struct vmap *vm, struct va *v)
{
	struct rb_node **link = &vm->free.node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = v->start < va_of(parent)->start ? &parent->left : &parent->right;
	}
	free_tree_link(vm, v, parent, link);
}

#define NEAR_STEPS 4

/*
 * The same, for v in the list: when free areas lie within a few areas on
 * either side of it (free areas are seldom far apart), v's place is next to
 * them without a descent. In order they are adjacent, so either the one
 * below has no right child (v becomes it) or the one above no left child.
 */
static void free_tree_insert_near(struct vmap *vm, struct va *v)
{
	struct va *below = v->prev, *above = v->next;
	int i;

	for (i = 0; below && !va_is_free(below) && i < NEAR_STEPS; i++)
		below = below->prev;
	if (below && !va_is_free(below)) {
		free_tree_insert(vm, v);
		return;
	}
	if (below && !below->rb.right) {
		free_tree_link(vm, v, &below->rb, &below->rb.right);
		return;
	}
	for (i = 0; above && !va_is_free(above) && i < NEAR_STEPS; i++)
		above = above->next;
	if (above && va_is_free(above) && above != vm->tail && !above->rb.left)
		free_tree_link(vm, v, &above->rb, &above->rb.left);
	else
		free_tree_insert(vm, v);
}

/* A free area grew in place: only its ancestors' values can rise. */
static void free_grown(struct va *v)
{
	uint64_t s = va_size(v);

	for (struct rb_node *n = &v->rb; n && sub_max(n) < s; n = n->parent)
		va_of(n)->subtree_max = s;
}

/* A free area shrank in place: recompute up while values change. */
static void free_shrunk(struct va *v)
{
	rb_propagate_inline(&v->rb, va_recompute);
}

/* A free area merged into another is given back: not as the hint. */
static inline void hint_gone(struct vmap *vm, const struct va *v)
{
	if (v == vm->hint)
		vm->hint = NULL;
}

/* Give the area v (busy or lazy, in the list) back to the free areas,
 * merging with the free neighbours it touches (the kernel's
 * merge_or_add_vmap_area). v becomes a free area or goes back to the
 * cache. */
HOT void free_insert(struct vmap *vm, struct va *v)
{
	struct va *prev = v->prev, *next = v->next, *f;
	bool left = prev && va_is_free(prev);
	bool right = next && va_is_free(next);

	if (right && next == vm->tail) { /* the tail grows down, off the tree */
		if (left) {
			free_tree_erase(vm, prev);
			next->start = prev->start;
			list_unlink(vm, prev);
			hint_gone(vm, prev);
			va_put(vm, prev);
		} else {
			next->start = v->start;
		}
		list_unlink(vm, v);
		va_put(vm, v);
		f = next;
	} else if (left && !next) { /* prev reaches vend: it leaves the tree */
		free_tree_erase(vm, prev);
		prev->end = v->end;
		prev->subtree_max = va_size(prev);
		vm->tail = prev;
		list_unlink(vm, v);
		va_put(vm, v);
		f = prev;
	} else if (left && right) {
		uint64_t end = next->end;

		/* One change at a time: the erase rebalances from values that
		 * must all be current, so prev grows only after it. */
		free_tree_erase(vm, next);
		list_unlink(vm, next);
		list_unlink(vm, v);
		hint_gone(vm, next);
		va_put(vm, next);
		prev->end = end;
		free_grown(prev);
		va_put(vm, v);
		f = prev;
	} else if (left) {
		prev->end = v->end;
		list_unlink(vm, v);
		free_grown(prev);
		va_put(vm, v);
		f = prev;
	} else if (right) {
		next->start = v->start; /* the order is unchanged: nothing lies between */
		list_unlink(vm, v);
		free_grown(next);
		va_put(vm, v);
		f = next;
	} else if (!next) { /* v is the highest area: the new tail */
		v->subtree_max = va_size(v);
		vm->tail = v;
		f = v;
	} else {
		free_tree_insert_near(vm, v);
		f = v;
	}
	/* Free space appeared in f: below the hint, the hint no longer holds.
	 * In the hint itself it does: searches look at all of it. */
	if (vm->hint && f != vm->hint && f->start < vm->hint->start)
		vm->hint = NULL;
}

/* The lowest address a in v with a % align == 0, lo <= a, a + size <= hi. */
static inline bool va_fit(const struct va *v, uint64_t size, uint64_t align, uint64_t lo,
			  uint64_t hi, uint64_t *out)
{
	uint64_t a, lim = mm_min(v->end, hi);

	if (!mm_round_up(mm_max(v->start, lo), align, &a) || a > lim || lim - a < size)
		return false;
	*out = a;
	return true;
}

/*
 * The lowest free area at least size long in n's subtree, whose largest is
 * (the kernel's find_vmap_lowest_match without its alignment padding): one
 * descent that never backs up.
 */
static inline struct rb_node *lowest_long(struct rb_node *n, uint64_t size)
{
	while (n && sub_max(n) >= size) {
		if (n->left && sub_max(n->left) >= size)
			n = n->left;
		else if (va_size(va_of(n)) >= size)
			return n;
		else
			n = n->right;
	}
	return NULL;
}

/*
 * The same from the lowest free area up its left spine (a finger search):
 * in address order the spine node, then its right subtree, then its
 * parent. Requests that fit low (most) stop after a few steps instead of a
 * descent from the root.
 */
static inline struct rb_node *lowest_long_low(const struct vmap *vm, uint64_t size)
{
	struct rb_node *n = vm->free.node;

	if (!n || sub_max(n) < size)
		return NULL;
	for (n = &vm->free_first->rb; n; n = n->parent) {
		if (va_size(va_of(n)) >= size)
			return n;
		if (n->right && sub_max(n->right) >= size)
			return lowest_long(n->right, size);
	}
	return NULL;
}

/* The next free area after n in address order at least size long. */
HOT struct rb_node *next_long(struct rb_node *n, uint64_t size)
{
	if (n->right && sub_max(n->right) >= size)
		return lowest_long(n->right, size);
	for (;;) {
		struct rb_node *p = n->parent;

		while (p && n == p->right) {
			n = p;
			p = p->parent;
		}
		if (!p)
			return NULL;
		if (va_size(va_of(p)) >= size)
			return p;
		if (p->right && sub_max(p->right) >= size)
			return lowest_long(p->right, size);
		n = p;
	}
}

/* The lowest free area at least size long that ends at or above t. */
static struct rb_node *lowest_long_from(struct rb_node *n, uint64_t size, uint64_t t)
{
	struct rb_node *best = NULL;

	while (n) {
		if (va_of(n)->end >= t) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	if (best && va_size(va_of(best)) < size)
		best = next_long(best, size);
	return best;
}

/*
 * The lowest free area holding a fit, exactly (every address is the
 * contract's). Candidates are the areas at least size long, in address
 * order. When one holds no aligned fit, a fit further on must end at or
 * above t = (its end rounded up to align) + size; the next candidate is
 * taken when it reaches that far, else the search descends again from the
 * root to the first area that does, so large alignments skip whole runs of
 * areas. A t past hi ends the search.
 */
/* v is the lowest area with a fit: searched from vstart, no lower one has
 * one, which is what the hint says (the allocation drops it again if it
 * takes v whole). */
static inline struct va *hint_set(struct vmap *vm, struct va *v, uint64_t size, uint64_t align,
				  uint64_t lo)
{
	if (lo == vm->vstart) {
		vm->hint = v;
		vm->hint_size = size;
		vm->hint_align = align;
	}
	return v;
}

static struct va *lowest_fit(struct vmap *vm, uint64_t size, uint64_t align, uint64_t lo,
			     uint64_t hi, uint64_t *addr)
{
	struct rb_node *n, *root = vm->free.node;
	uint64_t t;

	if (!mm_round_up(lo, align, &t) || !mm_add_ok(t, size, &t) || t > hi)
		return NULL;
	/* Any candidate at or below the lowest fit will do to start from:
	 * the hint when it covers the request, else with the whole range
	 * below, the first one, found without backing up. */
	if (lo != vm->vstart)
		n = lowest_long_from(root, size, t);
	else if (vm->hint && size >= vm->hint_size && align >= vm->hint_align)
		n = vm->hint == vm->tail ? NULL : &vm->hint->rb;
	else
		n = lowest_long_low(vm, size);
	while (n) {
		struct va *v = va_of(n);
		struct rb_node *m;

		if (va_fit(v, size, align, lo, hi, addr))
			return hint_set(vm, v, size, align, lo);
		if (!mm_round_up(v->end, align, &t) || !mm_add_ok(t, size, &t) || t > hi)
			return NULL;
		m = next_long(n, size);
		n = m && va_of(m)->end < t ? lowest_long_from(root, size, t) : m;
	}
	if (vm->tail && va_fit(vm->tail, size, align, lo, hi, addr))
		return hint_set(vm, vm->tail, size, align, lo);
	return NULL;
}

HOT struct va *find_fit(struct vmap *vm, uint64_t size, uint64_t align, uint64_t lo,
		       uint64_t hi, uint64_t *addr)
{
	if (align <= vm->page && lo == vm->vstart && hi == vm->vend) {
		struct rb_node *n = lowest_long_low(vm, size);
		struct va *v = n ? va_of(n) : vm->tail && va_size(vm->tail) >= size ? vm->tail : NULL;

		if (v)
			*addr = v->start;
		return v;
	}
	return lowest_fit(vm, size, align, lo, hi, addr);
}

/* ---- invariants ---- */

static const char *check_all(const struct vmap *vm)
{
	const struct rb_node *fn;
	const struct va *prev = NULL, *v;
	uint64_t at = vm->vstart, lazy = 0, busy = 0, indexed = 0, nlazy = 0, fit;
	bool hint_seen = false;
	const char *e;

	if ((e = rb_check(&vm->free, va_less, va_recompute)))
		return e;
	if (vm->free_first != va_of(rb_first(&vm->free)))
		return "lowest free area pointer stale";
	/* The list tiles the range; its free areas are the free tree's
	 * in-order walk; its busy areas are indexed; its lazy areas wait. */
	fn = rb_first(&vm->free);
	for (v = vm->first; v; prev = v, v = v->next) {
		if (v->prev != prev)
			return "area list prev link broken";
		if (v == vm->hint)
			hint_seen = true;
		else if (vm->hint && !hint_seen && va_is_free(v) &&
			 va_fit(v, vm->hint_size, vm->hint_align, vm->vstart, vm->vend, &fit))
			return "a fit lies below the search hint";
		if (v->start != at)
			return v->start < at ? "areas overlap" : "a hole no area covers";
		if (v->end <= v->start)
			return "empty area";
		at = v->end;
		if (va_is_free(v) && v == vm->tail) {
			if (v->next)
				return "the tail is not the highest area";
			if (prev && va_is_free(prev))
				return "free areas touch";
		} else if (va_is_free(v)) {
			if (!v->next)
				return "the highest area is free but not the tail";
			if (fn != &v->rb)
				return "free areas differ from the free tree";
			if (prev && va_is_free(prev))
				return "free areas touch";
			fn = rb_next(fn);
		} else if (v->nf.lazy) {
			lazy += va_size(v) >> vm->page_shift;
			nlazy++;
		} else {
			if (*index_link(vm, v->start) != v)
				return "busy area missing from the index";
			busy++;
		}
	}
	if (fn)
		return "free areas differ from the free tree";
	if (vm->tail && vm->tail != prev)
		return "the tail is not the highest area";
	if (vm->hint && (!hint_seen || !va_is_free(vm->hint)))
		return "the search hint is not a free area";
	if (at != vm->vend)
		return "areas do not reach the end of the range";
	for (uint64_t i = 0; i < vm->index_cap; i++)
		for (v = vm->index[i]; v && indexed <= busy; v = v->nf.hash_next)
			indexed++;
	if (busy != vm->nbusy || indexed != busy)
		return "index holds a different number of busy areas";
	for (v = vm->lazy; v; v = v->nf.lazy_next) {
		if (va_is_free(v) || !v->nf.lazy || !nlazy)
			return "lazy list holds an area that is not lazy";
		nlazy--;
	}
	if (nlazy)
		return "lazy area missing from the lazy list";
	if (lazy != vm->lazy_pages)
		return "lazy page count differs from the lazy areas";
	return NULL;
}

const char *vmap_check_full(const struct vmap *vm)
{
	const char *e = check_all(vm);

	if (!e)
		((struct vmap *)vm)->checked = true; /* allocated writable: see struct vmap */
	return e;
}

const char *vmap_check(const struct vmap *vm)
{
	return vm->checked ? NULL : vmap_check_full(vm);
}

/* ---- public ---- */

int vmap_create(struct vmap **out, const struct vmap_config *cfg)
{
	uint64_t page = cfg && cfg->page_size ? cfg->page_size : 4096;
	struct vmap *vm;
	struct va *all;

	if (!out || !cfg || !mm_is_pow2(page) || cfg->vstart >= cfg->vend ||
	    (cfg->vstart | cfg->vend) & (page - 1))
		return -MM_EINVAL;
	vm = mm_meta_alloc(cfg->meta, sizeof(*vm));
	if (!vm)
		return -MM_ENOMEM;
	vm->meta = cfg->meta;
	vm->index_bits = INDEX_MIN_BITS;
	vm->index_cap = 1ull << INDEX_MIN_BITS;
	vm->index = mm_meta_calloc(vm->meta, vm->index_cap, sizeof(*vm->index));
	all = vm->index ? mm_meta_alloc(vm->meta, sizeof(*all)) : NULL;
	if (!all) {
		if (vm->index)
			mm_meta_free(vm->meta, vm->index, vm->index_cap * sizeof(*vm->index));
		mm_meta_free(vm->meta, vm, sizeof(*vm));
		return -MM_ENOMEM;
	}
	vm->vstart = cfg->vstart;
	vm->vend = cfg->vend;
	vm->page = page;
	vm->page_shift = (unsigned)__builtin_ctzll(page);
	vm->lazy_max = cfg->lazy_max_pages;
	all->start = cfg->vstart;
	all->end = cfg->vend;
	all->prev = all->next = NULL;
	all->subtree_max = va_size(all);
	vm->first = all;
	vm->tail = all;
	*out = vm;
	return 0;
}

void vmap_destroy(struct vmap *vm)
{
	if (!vm)
		return;
	while (vm->first) {
		struct va *v = vm->first;

		vm->first = v->next;
		mm_meta_free(vm->meta, v, sizeof(*v));
	}
	mm_meta_free(vm->meta, vm->index, vm->index_cap * sizeof(*vm->index));
	while (vm->ncache)
		mm_meta_free(vm->meta, vm->cache[--vm->ncache], sizeof(struct va));
	mm_meta_free(vm->meta, vm, sizeof(*vm));
}

/* The busy area [a, a + size) out of the tail: what is left of it above
 * stays the tail, what is left below goes into the tree. */
static struct va *alloc_tail(struct vmap *vm, uint64_t a, uint64_t size)
{
	struct va *t = vm->tail, *busy;

	if (a == t->start && a + size == t->end) { /* FL */
		vm->tail = NULL;
		return t;
	}
	busy = va_get(vm);
	busy->start = a;
	busy->end = a + size;
	if (a == t->start) {             /* LE: the tail shrinks, nothing else */
		t->start = a + size;
		list_insert_before(vm, t, busy);
	} else if (a + size == t->end) { /* RE: the rest below is no tail now */
		t->end = a;
		list_insert_after(t, busy);
		vm->tail = NULL;
		free_tree_insert(vm, t);
	} else {                         /* NE: a new tail above, the rest below */
		struct va *right = va_get(vm);

		right->start = a + size;
		right->end = t->end;
		right->subtree_max = va_size(right);
		t->end = a;
		list_insert_after(t, busy);
		list_insert_after(busy, right);
		vm->tail = right;
		free_tree_insert(vm, t);
	}
	return busy;
}

int vmap_alloc(struct vmap *vm, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	       uint64_t *addr)
{
	uint64_t pmask = vm->page - 1;
	struct va *v, *busy;
	uint64_t a;
	int err;

	vm->checked = false;
	if (!size || (size & pmask) || (align & pmask) || !mm_is_pow2(align) || lo >= hi ||
	    lo < vm->vstart || hi > vm->vend || !addr)
		return -MM_EINVAL;
	/* Everything the allocation may need, before anything changes: the
	 * busy area, the split of a middle fit, room in the index. */
	err = cache_fill(vm, 2);
	if (!err)
		err = index_reserve(vm);
	if (err)
		return err;
	v = find_fit(vm, size, align, lo, hi, &a);
	if (!v && vm->lazy) {
		vmap_purge(vm);
		v = find_fit(vm, size, align, lo, hi, &a);
	}
	if (!v)
		return -MM_ENOMEM;

	if (v == vm->tail) {
		busy = alloc_tail(vm, a, size);
	} else if (a == v->start && a + size == v->end) { /* FL: the whole area */
		free_tree_erase(vm, v);
		busy = v;
	} else {
		busy = va_get(vm);
		busy->start = a;
		busy->end = a + size;
		if (a == v->start) {             /* LE */
			v->start = a + size;
			list_insert_before(vm, v, busy);
			free_shrunk(v);
		} else if (a + size == v->end) { /* RE */
			v->end = a;
			list_insert_after(v, busy);
			free_shrunk(v);
		} else {                         /* NE: the right part is a new free area */
			struct va *right = va_get(vm);
			struct rb_node *n = v->rb.right, **link = &v->rb.right, *parent = &v->rb;

			right->start = a + size;
			right->end = v->end;
			/* The shrink is propagated before the insert rebalances:
			 * rotations compute from values that must be current. */
			v->end = a;
			free_shrunk(v);
			list_insert_after(v, busy);
			list_insert_after(busy, right);
			/* right follows v in address order: its place is the
			 * leftmost leaf of v's right subtree, not a descent from
			 * the root. */
			for (; n; n = *link) {
				parent = n;
				link = &n->left;
			}
			free_tree_link(vm, right, parent, link);
		}
	}
	if (busy == vm->hint) /* v taken whole */
		vm->hint = NULL;
	busy->subtree_max = 0;
	busy->nf.lazy = false;
	index_put(vm->index, vm, busy);
	vm->nbusy++;
	*addr = a;
	return 0;
}

/* Take the busy area starting exactly at addr out of the index. */
static struct va *busy_take(struct vmap *vm, uint64_t addr)
{
	struct va **l = index_link(vm, addr), *v = *l;

	if (!v)
		return NULL;
	*l = v->nf.hash_next;
	vm->nbusy--;
	return v;
}

int vmap_free(struct vmap *vm, uint64_t addr)
{
	struct va *v;

	vm->checked = false;
	v = busy_take(vm, addr);

	if (!v)
		return -MM_ENOENT;
	free_insert(vm, v);
	return 0;
}

int vmap_free_lazy(struct vmap *vm, uint64_t addr)
{
	struct va *v;

	vm->checked = false;
	v = busy_take(vm, addr);

	if (!v)
		return -MM_ENOENT;
	v->nf.lazy = true;
	v->nf.lazy_next = vm->lazy;
	vm->lazy = v;
	vm->lazy_pages += va_size(v) >> vm->page_shift;
	if (vm->lazy_pages > vm->lazy_max)
		vmap_purge(vm);
	return 0;
}

void vmap_purge(struct vmap *vm)
{
	vm->checked = false;
	while (vm->lazy) {
		struct va *v = vm->lazy;

		vm->lazy = v->nf.lazy_next;
		free_insert(vm, v);
	}
	vm->lazy_pages = 0;
}

/* The busy area holding addr, or NULL: by the index when addr is a start,
 * else from the free area at or below addr along the list. */
static struct va *busy_holding(const struct vmap *vm, uint64_t addr)
{
	struct rb_node *n = vm->free.node;
	struct va *f = NULL, *v = *index_link(vm, addr);

	if (v)
		return v;
	if (addr < vm->vstart || addr >= vm->vend)
		return NULL;
	while (n) {
		if (va_of(n)->start <= addr) {
			f = va_of(n);
			n = n->right;
		} else {
			n = n->left;
		}
	}
	for (v = f ? f : vm->first; v && v->end <= addr; v = v->next)
		;
	return v && !va_is_free(v) && !v->nf.lazy ? v : NULL;
}

int vmap_find(const struct vmap *vm, uint64_t addr, uint64_t *start, uint64_t *size)
{
	struct va *v = busy_holding(vm, addr);

	if (!v || addr >= v->end)
		return -MM_ENOENT;
	if (start)
		*start = v->start;
	if (size)
		*size = va_size(v);
	return 0;
}

void vmap_walk(const struct vmap *vm, enum vmap_kind kind,
	       void (*fn)(void *ctx, uint64_t start, uint64_t end), void *ctx)
{
	if (!fn || (kind != VMAP_FREE && kind != VMAP_BUSY && kind != VMAP_LAZY))
		return;
	for (const struct va *v = vm->first; v; v = v->next) {
		enum vmap_kind k = va_is_free(v) ? VMAP_FREE : v->nf.lazy ? VMAP_LAZY : VMAP_BUSY;

		if (k == kind)
			fn(ctx, v->start, v->end);
	}
}

uint64_t vmap_lazy_pages(const struct vmap *vm)
{
	return vm->lazy_pages;
}

uint64_t vmap_start(const struct vmap *vm)
{
	return vm->vstart;
}

uint64_t vmap_end(const struct vmap *vm)
{
	return vm->vend;
}

uint64_t vmap_page_size(const struct vmap *vm)
{
	return vm->page;
}
