/* SPDX-License-Identifier: MIT */
/*
 * vmap.c - virtual address ranges (see vmap.h for the contract).
 *
 * Free areas sit in a red-black tree by start address, each node holding
 * the largest free size in its subtree (subtree_max), and in an address-
 * ordered list for O(1) neighbours. Busy and lazily freed areas sit in
 * plain trees by start. An area object is in exactly one of the three.
 *
 * Allocation takes the lowest fit (lowest_fit), then one of four shapes:
 * the whole free area (FL), its left or right edge (LE, RE), or its middle
 * (NE), which splits the free area in two. The objects an allocation may
 * need (the busy area, the NE split) are taken from a small per-instance
 * cache that is filled before anything changes, so a failed bookkeeping
 * allocation leaves the instance as it was.
 */
#include "vmap.h"

#include "rbtree.h"

#define CACHE_MAX 4

struct va {
	uint64_t start, end;
	uint64_t subtree_max; /* free tree: the largest size in this subtree */
	struct rb_node rb;
	struct va *prev, *next; /* free list, in address order */
};

struct vmap {
	uint64_t vstart, vend, page, lazy_max, lazy_pages;
	struct rb_root free, busy, lazy;
	struct va *free_head;
	struct va *cache[CACHE_MAX];
	unsigned ncache;
	struct mm_meta *meta;
};

static inline struct va *va_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct va, rb) : NULL;
}

static uint64_t va_size(const struct va *v)
{
	return v->end - v->start;
}

/* The augmentation: subtree_max from the node and its children. */
static bool va_recompute(struct rb_node *n, bool store)
{
	struct va *v = va_of(n);
	uint64_t m = va_size(v);

	if (n->left && va_of(n->left)->subtree_max > m)
		m = va_of(n->left)->subtree_max;
	if (n->right && va_of(n->right)->subtree_max > m)
		m = va_of(n->right)->subtree_max;
	if (m == v->subtree_max)
		return false;
	if (store)
		v->subtree_max = m;
	return true;
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

/* ---- trees by start ---- */

/* Link v into a tree by start (aug for the free tree). */
static void tree_insert(struct rb_root *root, struct va *v, rb_recompute_fn aug)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = v->start < va_of(parent)->start ? &parent->left : &parent->right;
	}
	v->subtree_max = 0;
	rb_insert(root, &v->rb, parent, link, aug);
}

/* The area with the largest start <= addr, or NULL. */
static struct va *tree_floor(const struct rb_root *root, uint64_t addr)
{
	struct rb_node *n = root->node;
	struct va *best = NULL;

	while (n) {
		if (va_of(n)->start <= addr) {
			best = va_of(n);
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

/* ---- free areas ---- */

static void free_list_insert_after(struct vmap *vm, struct va *prev, struct va *v)
{
	v->prev = prev;
	v->next = prev ? prev->next : vm->free_head;
	if (v->next)
		v->next->prev = v;
	if (prev)
		prev->next = v;
	else
		vm->free_head = v;
}

static void free_list_unlink(struct vmap *vm, struct va *v)
{
	if (v->prev)
		v->prev->next = v->next;
	else
		vm->free_head = v->next;
	if (v->next)
		v->next->prev = v->prev;
}

/* Give [v->start, v->end) back to the free areas, merging with the free
 * neighbours it touches (the kernel's merge_or_add_vmap_area). v is off
 * every tree; it becomes a free area or goes back to the cache. */
static void free_insert(struct vmap *vm, struct va *v)
{
	struct va *prev = tree_floor(&vm->free, v->start);
	struct va *next = prev ? prev->next : vm->free_head;
	bool left = prev && prev->end == v->start;
	bool right = next && next->start == v->end;

	if (left && right) {
		uint64_t end = next->end;

		/* One change at a time: the erase rebalances from values that
		 * must all be current, so prev grows only after it. */
		rb_erase(&vm->free, &next->rb, va_recompute);
		free_list_unlink(vm, next);
		va_put(vm, next);
		prev->end = end;
		rb_propagate(&prev->rb, va_recompute);
		va_put(vm, v);
	} else if (left) {
		prev->end = v->end;
		rb_propagate(&prev->rb, va_recompute);
		va_put(vm, v);
	} else if (right) {
		next->start = v->start; /* the order is unchanged: nothing lies between */
		rb_propagate(&next->rb, va_recompute);
		va_put(vm, v);
	} else {
		tree_insert(&vm->free, v, va_recompute);
		free_list_insert_after(vm, prev, v);
	}
}

/* The lowest address a in v with a % align == 0, lo <= a, a + size <= hi. */
static bool va_fit(const struct va *v, uint64_t size, uint64_t align, uint64_t lo,
		   uint64_t hi, uint64_t *out)
{
	uint64_t a, lim = mm_min(v->end, hi);

	if (!mm_round_up(mm_max(v->start, lo), align, &a) || a > lim || lim - a < size)
		return false;
	*out = a;
	return true;
}

/*
 * The lowest free area holding a fit (the kernel's find_vmap_lowest_match,
 * but exhaustive). The subtree under n lies within [blo, bhi): free areas
 * never touch, so everything left of a node ends before its start and
 * everything right of it begins after its end. A subtree is skipped only
 * when it cannot hold a fit: its largest area is too small, or no aligned
 * block of the size fits in its bounds clipped to [lo, hi). The bounds make
 * large alignments cheap: a subtree whose span holds no aligned address
 * is never entered.
 */
static struct va *lowest_fit(struct rb_node *n, uint64_t blo, uint64_t bhi, uint64_t size,
			     uint64_t align, uint64_t lo, uint64_t hi, uint64_t *addr)
{
	while (n && va_of(n)->subtree_max >= size) {
		struct va *v = va_of(n), *r;
		uint64_t a, lim = mm_min(bhi, hi);

		if (!mm_round_up(mm_max(blo, lo), align, &a) || a > lim || lim - a < size)
			return NULL;
		if (n->left && (r = lowest_fit(n->left, blo, v->start, size, align, lo, hi, addr)))
			return r;
		if (va_fit(v, size, align, lo, hi, addr))
			return v;
		blo = v->end;
		n = n->right;
	}
	return NULL;
}

/*
 * The same answer when the alignment is at most a page and the window is
 * the whole range: then every free area at least size long holds a fit at
 * its start, so a subtree whose largest area is long enough always holds
 * one, and the lowest is found by one descent that never backs up (the
 * kernel's find_vmap_lowest_match without its size + align - 1 pruning).
 */
static struct va *lowest_fit_plain(struct rb_node *n, uint64_t size)
{
	while (n && va_of(n)->subtree_max >= size) {
		if (n->left && va_of(n->left)->subtree_max >= size)
			n = n->left;
		else if (va_size(va_of(n)) >= size)
			return va_of(n);
		else
			n = n->right;
	}
	return NULL;
}

static struct va *find_fit(struct vmap *vm, uint64_t size, uint64_t align, uint64_t lo,
			   uint64_t hi, uint64_t *addr)
{
	struct va *v;

	if (align <= vm->page && lo == vm->vstart && hi == vm->vend) {
		v = lowest_fit_plain(vm->free.node, size);
		if (v)
			*addr = v->start;
		return v;
	}
	return lowest_fit(vm->free.node, vm->vstart, vm->vend, size, align, lo, hi, addr);
}

/* ---- invariants ---- */

/* The three kinds, walked together in address order, must tile the range. */
static const char *check_tiling(const struct vmap *vm)
{
	struct rb_node *it[3] = { rb_first(&vm->free), rb_first(&vm->busy), rb_first(&vm->lazy) };
	uint64_t at = vm->vstart;

	for (;;) {
		int k = -1;

		for (int i = 0; i < 3; i++)
			if (it[i] && (k < 0 || va_of(it[i])->start < va_of(it[k])->start))
				k = i;
		if (k < 0)
			break;
		if (va_of(it[k])->start != at)
			return va_of(it[k])->start < at ? "areas overlap" : "a hole no area covers";
		if (va_of(it[k])->end <= va_of(it[k])->start)
			return "empty area";
		at = va_of(it[k])->end;
		it[k] = rb_next(it[k]);
	}
	return at == vm->vend ? NULL : "areas do not reach the end of the range";
}

const char *vmap_check(const struct vmap *vm)
{
	const char *e;
	const struct va *prev = NULL;
	uint64_t lazy = 0;

	if ((e = rb_check(&vm->free, va_less, va_recompute)) ||
	    (e = rb_check(&vm->busy, va_less, NULL)) || (e = rb_check(&vm->lazy, va_less, NULL)))
		return e;
	/* The free list is the free tree's in-order walk. */
	{
		const struct rb_node *n = rb_first(&vm->free);
		const struct va *l = vm->free_head;

		for (; n && l; n = rb_next(n), l = l->next) {
			if (va_of(n) != l)
				return "free list differs from the free tree";
			if (l->prev != prev)
				return "free list prev link broken";
			if (prev && prev->end >= l->start)
				return "free areas touch or overlap";
			prev = l;
		}
		if (n || l)
			return "free list and free tree differ in length";
	}
	for (const struct rb_node *n = rb_first(&vm->lazy); n; n = rb_next(n))
		lazy += va_size(va_of(n)) / vm->page;
	if (lazy != vm->lazy_pages)
		return "lazy page count differs from the lazy areas";
	return check_tiling(vm);
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
	all = mm_meta_alloc(vm->meta, sizeof(*all));
	if (!all) {
		mm_meta_free(vm->meta, vm, sizeof(*vm));
		return -MM_ENOMEM;
	}
	vm->vstart = cfg->vstart;
	vm->vend = cfg->vend;
	vm->page = page;
	vm->lazy_max = cfg->lazy_max_pages;
	all->start = cfg->vstart;
	all->end = cfg->vend;
	free_insert(vm, all);
	*out = vm;
	return 0;
}

static void destroy_tree(struct vmap *vm, struct rb_root *root)
{
	while (root->node) {
		struct va *v = va_of(root->node);

		rb_erase(root, root->node, NULL);
		mm_meta_free(vm->meta, v, sizeof(*v));
	}
}

void vmap_destroy(struct vmap *vm)
{
	if (!vm)
		return;
	destroy_tree(vm, &vm->free); /* augmentation no longer matters */
	destroy_tree(vm, &vm->busy);
	destroy_tree(vm, &vm->lazy);
	while (vm->ncache)
		mm_meta_free(vm->meta, vm->cache[--vm->ncache], sizeof(struct va));
	mm_meta_free(vm->meta, vm, sizeof(*vm));
}

int vmap_alloc(struct vmap *vm, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	       uint64_t *addr)
{
	struct va *v, *busy;
	uint64_t a;
	int err;

	if (!size || size % vm->page || align % vm->page || !mm_is_pow2(align) || lo >= hi ||
	    lo < vm->vstart || hi > vm->vend || !addr)
		return -MM_EINVAL;
	/* Everything the allocation may need, before anything changes: the
	 * busy area and the split of a middle fit. */
	err = cache_fill(vm, 2);
	if (err)
		return err;
	v = find_fit(vm, size, align, lo, hi, &a);
	if (!v && vm->lazy.node) {
		vmap_purge(vm);
		v = find_fit(vm, size, align, lo, hi, &a);
	}
	if (!v)
		return -MM_ENOMEM;

	if (a == v->start && a + size == v->end) { /* FL: the whole area */
		rb_erase(&vm->free, &v->rb, va_recompute);
		free_list_unlink(vm, v);
		busy = v;
	} else {
		busy = va_get(vm);
		busy->start = a;
		busy->end = a + size;
		if (a == v->start) {         /* LE */
			v->start = a + size;
		} else if (a + size == v->end) { /* RE */
			v->end = a;
		} else {                     /* NE: the right part is a new free area */
			struct va *right = va_get(vm);

			right->start = a + size;
			right->end = v->end;
			/* The shrink is propagated before the insert rebalances:
			 * rotations compute from values that must be current. */
			v->end = a;
			rb_propagate(&v->rb, va_recompute);
			tree_insert(&vm->free, right, va_recompute);
			free_list_insert_after(vm, v, right);
		}
		rb_propagate(&v->rb, va_recompute);
	}
	tree_insert(&vm->busy, busy, NULL);
	*addr = a;
	return 0;
}

/* The busy area starting exactly at addr. */
static struct va *busy_at(const struct vmap *vm, uint64_t addr)
{
	struct va *v = tree_floor(&vm->busy, addr);

	return v && v->start == addr ? v : NULL;
}

int vmap_free(struct vmap *vm, uint64_t addr)
{
	struct va *v = busy_at(vm, addr);

	if (!v)
		return -MM_ENOENT;
	rb_erase(&vm->busy, &v->rb, NULL);
	free_insert(vm, v);
	return 0;
}

int vmap_free_lazy(struct vmap *vm, uint64_t addr)
{
	struct va *v = busy_at(vm, addr);

	if (!v)
		return -MM_ENOENT;
	rb_erase(&vm->busy, &v->rb, NULL);
	tree_insert(&vm->lazy, v, NULL);
	vm->lazy_pages += va_size(v) / vm->page;
	if (vm->lazy_pages > vm->lazy_max)
		vmap_purge(vm);
	return 0;
}

void vmap_purge(struct vmap *vm)
{
	while (vm->lazy.node) {
		struct va *v = va_of(vm->lazy.node);

		rb_erase(&vm->lazy, &v->rb, NULL);
		free_insert(vm, v);
	}
	vm->lazy_pages = 0;
}

int vmap_find(const struct vmap *vm, uint64_t addr, uint64_t *start, uint64_t *size)
{
	struct va *v = tree_floor(&vm->busy, addr);

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
	const struct rb_root *root = kind == VMAP_FREE ? &vm->free
				     : kind == VMAP_BUSY ? &vm->busy : &vm->lazy;

	if (!fn || (kind != VMAP_FREE && kind != VMAP_BUSY && kind != VMAP_LAZY))
		return;
	for (const struct rb_node *n = rb_first(root); n; n = rb_next(n))
		fn(ctx, va_of(n)->start, va_of(n)->end);
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
