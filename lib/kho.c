/* SPDX-License-Identifier: MIT */
/*
 * kho.c - kexec handover (see kho.h for the contract and the blob format).
 *
 * Each set (preserved, incoming) holds one table per order. A table maps a
 * folio's key, pfn >> order, to one bit. Keys are grouped by 512 into
 * leaves (a 64-byte bitmap, aligned to absolute multiples of 512 keys, so a
 * leaf's words are the blob's words); leaves hang from inner nodes of 64
 * slots, and the root has just the slots the order's keys inside the span
 * need. Nothing is allocated for an absent subtree, and no node or leaf is
 * ever empty: removing the last bit frees the path up to the root.
 *
 * The geometry of a table (which keys fit in the span, how many levels) is
 * computed from the span and the order when needed, not stored: the
 * instance stays small, which counts when few ranges are preserved.
 *
 * Restore reads the blob four times, never allocating while it decides:
 * once for its structure (header, checksum, sections, records), once as a
 * merge of the per-order record streams in pfn order, which finds folios
 * that overlap across orders, checks every range against memblock's memory
 * and reserved lists, and counts the maximal runs; and, once both passed,
 * once to fill the incoming tables and, after making room in memblock,
 * once more as the merge, to reserve each maximal run with one
 * memblock_reserve.
 */
#include "kho.h"

#include <string.h>

#include "bitmap.h"

#define LEAF_SHIFT 9u
#define LEAF_BITS (1u << LEAF_SHIFT)
#define LEAF_WORDS (LEAF_BITS / BITS_PER_WORD)
#define NODE_SHIFT 6u
#define NODE_SLOTS (1u << NODE_SHIFT)
#define MAX_LEVELS 10u /* 2^55 leaves need 10 levels of 64 slots */

static const uint8_t blob_magic[8] = { 'K', 'H', 'O', '-', 'B', 'L', 'O', 'B' };
static const uint8_t section_tag[4] = { 'K', 'H', 'O', 'S' };

struct kho_leaf {
	uint64_t w[LEAF_WORDS];
};

/* One order of one set: the root (NULL when empty) and its folio count. */
/* The shape of one order's table, from the span. */
struct geo {
	uint64_t klo, khi;   /* keys whose folio lies in the span: [klo, khi) */
	uint64_t leaf0;      /* the first leaf: klo >> LEAF_SHIFT */
	uint64_t nleaves;
	unsigned levels;     /* inner levels (root included); 0: no key fits */
	unsigned root_slots;
};

struct ktable {
	void **root;
	uint64_t nr;
	struct geo geo; /* its order's shape, worked out at creation */
};

struct kset {
	struct ktable *t; /* [0, max_order] */
	uint64_t pages;
	uint32_t orders;  /* bit o: t[o].nr != 0 */
	/* The check's own record: true from a passed check of this set until
	 * the next call that can change it (kho_check, which takes the
	 * instance const, writes nothing else). */
	bool checked;
};

struct kho {
	uint64_t start, end;
	unsigned max_order, page_shift;
	struct kset set[2];
	bool restored;
	uint64_t reserves;
	struct mm_meta *meta;
	struct ktable tables[]; /* 2 * (max_order + 1) */
};

static struct geo shape(const struct kho *k, unsigned order)
{
	struct geo g = { 0 };
	unsigned bits, shift;

	g.klo = (k->start + ((uint64_t)1 << order) - 1) >> order;
	g.khi = k->end >> order;
	if (g.klo >= g.khi)
		return g;
	g.leaf0 = g.klo >> LEAF_SHIFT;
	g.nleaves = ((g.khi - 1) >> LEAF_SHIFT) - g.leaf0 + 1;
	/* Enough levels of 64 slots for nleaves - 1 as a relative index. */
	bits = g.nleaves > 1 ? 64u - (unsigned)__builtin_clzll(g.nleaves - 1) : 0;
	g.levels = bits > NODE_SHIFT ? (bits + NODE_SHIFT - 1) / NODE_SHIFT : 1;
	shift = NODE_SHIFT * (g.levels - 1);
	g.root_slots = (unsigned)(((g.nleaves - 1) >> shift) + 1);
	return g;
}

static struct geo geometry(const struct kho *k, unsigned order)
{
	return k->tables[order].geo;
}

/* The slot of a (relative) leaf index at an inner level (0: the level
 * whose slots hold leaves). */
static unsigned slot_at(const struct geo *g, uint64_t rel, unsigned level)
{
	uint64_t s = rel >> (NODE_SHIFT * level);

	return (unsigned)(level + 1 == g->levels ? s : s & (NODE_SLOTS - 1));
}

static size_t node_bytes(const struct geo *g, unsigned level)
{
	return (level + 1 == g->levels ? g->root_slots : NODE_SLOTS) * sizeof(void *);
}

/* ---- little-endian fields ---- */

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The blob's checksum of p[0, n) (kho.h). */
static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i += 8) {
		uint8_t tail[8] = { 0 };
		const uint8_t *w = p + i;

		if (n - i < 8) {
			memcpy(tail, p + i, n - i);
			w = tail;
		}
		h ^= get64(w);
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

/* ---- tables ---- */

static const struct kho_leaf *leaf_get(const struct geo *g, const struct ktable *t, uint64_t li)
{
	void **node = t->root;
	uint64_t rel = li - g->leaf0;

	if (li < g->leaf0 || rel >= g->nleaves)
		return NULL;
	for (unsigned l = g->levels; node && l-- > 0;)
		node = node[slot_at(g, rel, l)];
	return (const struct kho_leaf *)node;
}

static bool tbl_test(const struct geo *g, const struct ktable *t, uint64_t key)
{
	const struct kho_leaf *leaf;

	if (key < g->klo || key >= g->khi)
		return false;
	leaf = leaf_get(g, t, key >> LEAF_SHIFT);
	return leaf && test_bit(key & (LEAF_BITS - 1), leaf->w);
}

/*
 * Free the empty nodes on the path to leaf li, bottom up: after a bit was
 * cleared, or after leaf_make made part of a path and then failed. The path
 * may stop anywhere.
 */
static void path_prune(struct kho *k, const struct geo *g, struct ktable *t, uint64_t li)
{
	void **path[MAX_LEVELS];
	unsigned slot[MAX_LEVELS], lowest = 0;
	uint64_t rel = li - g->leaf0;
	void *p = t->root;

	if (!p)
		return;
	/* path[l] is the node at inner level l, slot[l] the slot taken there. */
	for (unsigned l = g->levels; l-- > 0;) {
		path[l] = p;
		slot[l] = slot_at(g, rel, l);
		lowest = l;
		p = path[l][slot[l]];
		if (!p)
			break;
	}
	if (p) { /* the leaf */
		if (!bitmap_empty(((struct kho_leaf *)p)->w, LEAF_BITS))
			return;
		mm_meta_free(k->meta, p, sizeof(struct kho_leaf));
		path[0][slot[0]] = NULL;
	}
	for (unsigned l = lowest; l < g->levels; l++) {
		size_t bytes = node_bytes(g, l);

		for (size_t i = 0; i < bytes / sizeof(void *); i++)
			if (path[l][i])
				return;
		mm_meta_free(k->meta, path[l], bytes);
		if (l + 1 < g->levels)
			path[l + 1][slot[l + 1]] = NULL;
		else
			t->root = NULL;
	}
}

/* The leaf li, made with its path when missing; NULL when an allocation
 * failed (and nothing made stays). */
static struct kho_leaf *leaf_make(struct kho *k, const struct geo *g, struct ktable *t,
				  uint64_t li)
{
	uint64_t rel = li - g->leaf0;
	void **node, **slot;

	if (!t->root && !(t->root = mm_meta_alloc(k->meta, node_bytes(g, g->levels - 1))))
		return NULL;
	node = t->root;
	for (unsigned l = g->levels - 1;; l--) {
		slot = &node[slot_at(g, rel, l)];
		if (l == 0)
			break;
		if (!*slot && !(*slot = mm_meta_alloc(k->meta, node_bytes(g, l - 1))))
			goto fail;
		node = *slot;
	}
	if (!*slot && !(*slot = mm_meta_alloc(k->meta, sizeof(struct kho_leaf))))
		goto fail;
	return *slot;
fail:
	path_prune(k, g, t, li);
	return NULL;
}

/* The first existing leaf at or after relative index rel under node (at
 * inner level l): its relative index, or UINT64_MAX. */
static uint64_t node_next_leaf(const struct geo *g, void **node, unsigned l, uint64_t rel)
{
	uint64_t span = (uint64_t)1 << (NODE_SHIFT * l); /* leaves per slot */
	unsigned nslots = (unsigned)(node_bytes(g, l) / sizeof(void *));

	for (uint64_t i = rel / span; i < nslots; i++) {
		uint64_t sub = i == rel / span ? rel % span : 0, f;

		if (!node[i])
			continue;
		if (l == 0)
			return i;
		f = node_next_leaf(g, node[i], l - 1, sub);
		if (f != UINT64_MAX)
			return i * span + f;
	}
	return UINT64_MAX;
}

/* The first set key at or after from: true and *key, or false. */
static bool tbl_next(const struct geo *g, const struct ktable *t, uint64_t from, uint64_t *key)
{
	uint64_t li, bit;

	if (!t->root || from >= g->khi)
		return false;
	if (from < g->klo)
		from = g->klo;
	li = from >> LEAF_SHIFT;
	bit = from & (LEAF_BITS - 1); /* where to start in leaf li */
	for (;;) {
		uint64_t rel = node_next_leaf(g, t->root, g->levels - 1, li - g->leaf0);
		const struct kho_leaf *leaf;

		if (rel == UINT64_MAX)
			return false;
		if (g->leaf0 + rel != li)
			bit = 0; /* a later leaf: from its start */
		leaf = leaf_get(g, t, g->leaf0 + rel);
		bit = find_next_bit(leaf->w, LEAF_BITS, bit);
		if (bit < LEAF_BITS) {
			*key = ((g->leaf0 + rel) << LEAF_SHIFT) + bit;
			return true;
		}
		li = g->leaf0 + rel + 1;
		bit = 0;
	}
}

/*
 * tbl_next for keys taken in increasing order: the leaf of the last key
 * found is kept, so that the next key in the same leaf costs one bit
 * search instead of two descents from the root. Zero-initialized before
 * the first call; the table must not change between calls.
 */
struct kcursor {
	uint64_t li;
	const struct kho_leaf *leaf;
};

static bool cursor_next(const struct geo *g, const struct ktable *t, struct kcursor *c,
			uint64_t from, uint64_t *key)
{
	if (c->leaf && from < g->khi && from >> LEAF_SHIFT == c->li) {
		uint64_t bit = find_next_bit(c->leaf->w, LEAF_BITS, from & (LEAF_BITS - 1));

		if (bit < LEAF_BITS) {
			*key = (c->li << LEAF_SHIFT) + bit;
			return true;
		}
		from = (c->li + 1) << LEAF_SHIFT;
	}
	if (!tbl_next(g, t, from, key))
		return false;
	c->li = *key >> LEAF_SHIFT;
	c->leaf = leaf_get(g, t, c->li);
	return true;
}

/* Any key of [a, b] set. A few leaves are looked up one by one; across
 * more, the search skips absent subtrees. */
static bool tbl_any(const struct geo *g, const struct ktable *t, uint64_t a, uint64_t b)
{
	uint64_t key;

	if (!t->root)
		return false;
	a = mm_max(a, g->klo);
	b = mm_min(b, g->khi - 1);
	if (a > b)
		return false;
	if ((b >> LEAF_SHIFT) - (a >> LEAF_SHIFT) >= 4)
		return tbl_next(g, t, a, &key) && key <= b;
	for (uint64_t li = a >> LEAF_SHIFT; li <= b >> LEAF_SHIFT; li++) {
		const struct kho_leaf *leaf = leaf_get(g, t, li);
		uint64_t lo = li == a >> LEAF_SHIFT ? a & (LEAF_BITS - 1) : 0;
		uint64_t hi = li == b >> LEAF_SHIFT ? b & (LEAF_BITS - 1) : LEAF_BITS - 1;

		if (leaf && find_next_bit(leaf->w, hi + 1, lo) <= hi)
			return true;
	}
	return false;
}

/* Every key of [key, key + n) set (n >= 1, inside the span). */
static bool tbl_all(const struct geo *g, const struct ktable *t, uint64_t key, uint64_t n)
{
	for (uint64_t li = key >> LEAF_SHIFT; li <= (key + n - 1) >> LEAF_SHIFT; li++) {
		const struct kho_leaf *leaf = leaf_get(g, t, li);
		uint64_t lo = li == key >> LEAF_SHIFT ? key & (LEAF_BITS - 1) : 0;
		uint64_t hi = li == (key + n - 1) >> LEAF_SHIFT ? (key + n - 1) & (LEAF_BITS - 1)
								  : LEAF_BITS - 1;

		if (!leaf || find_next_zero_bit(leaf->w, hi + 1, lo) <= hi)
			return false;
	}
	return true;
}

/* Free a subtree (inner level l, or a leaf below level 0). */
static void node_free(struct kho *k, const struct geo *g, void **node, unsigned l)
{
	size_t bytes = node_bytes(g, l);

	for (size_t i = 0; i < bytes / sizeof(void *); i++) {
		if (!node[i])
			continue;
		if (l == 0)
			mm_meta_free(k->meta, node[i], sizeof(struct kho_leaf));
		else
			node_free(k, g, node[i], l - 1);
	}
	mm_meta_free(k->meta, node, bytes);
}

static void set_clear(struct kho *k, struct kset *s)
{
	for (unsigned o = 0; o <= k->max_order; o++) {
		struct geo g = geometry(k, o);

		if (s->t[o].root)
			node_free(k, &g, s->t[o].root, g.levels - 1);
		s->t[o].root = NULL;
		s->t[o].nr = 0;
	}
	s->pages = 0;
	s->orders = 0;
}

/* Count a folio in or out of a set. */
static void set_account(struct kset *s, unsigned order, bool add)
{
	if (add) {
		s->t[order].nr++;
		s->pages += (uint64_t)1 << order;
		s->orders |= 1u << order;
	} else {
		s->t[order].nr--;
		s->pages -= (uint64_t)1 << order;
		if (!s->t[order].nr)
			s->orders &= ~(1u << order);
	}
}

/* Some page of [s, e) belongs to a folio of the set, at any order but
 * skip (none: an order above max_order). */
static bool set_overlaps(const struct kho *k, const struct kset *set, uint64_t s, uint64_t e,
			 unsigned skip)
{
	for (unsigned o = 0; o <= k->max_order; o++) {
		struct geo g;

		if (!(set->orders & (1u << o)) || o == skip)
			continue;
		g = geometry(k, o);
		if (tbl_any(&g, &set->t[o], s >> o, (e - 1) >> o))
			return true;
	}
	return false;
}

/* ---- invariants ---- */

struct check_walk {
	uint64_t bits;
	const char *err;
};

/* The last set bit of a leaf; the leaf is not empty. */
static uint64_t leaf_last(const struct kho_leaf *leaf)
{
	unsigned i = LEAF_WORDS - 1;

	while (!leaf->w[i])
		i--;
	return (uint64_t)i * BITS_PER_WORD + 63 - (uint64_t)__builtin_clzll(leaf->w[i]);
}

static void check_node(const struct geo *g, void **node, unsigned l, uint64_t rel0,
		       struct check_walk *cw)
{
	uint64_t span = (uint64_t)1 << (NODE_SHIFT * l);
	size_t n = node_bytes(g, l) / sizeof(void *);
	bool any = false;

	for (size_t i = 0; i < n && !cw->err; i++) {
		uint64_t rel = rel0 + i * span, base, first;
		const struct kho_leaf *leaf;

		if (!node[i])
			continue;
		any = true;
		if (rel >= g->nleaves) {
			cw->err = "table slot past the span";
			return;
		}
		if (l > 0) {
			check_node(g, node[i], l - 1, rel, cw);
			continue;
		}
		leaf = node[i];
		base = (g->leaf0 + rel) << LEAF_SHIFT;
		first = find_next_bit(leaf->w, LEAF_BITS, 0);
		if (first == LEAF_BITS)
			cw->err = "empty leaf in a table";
		else if (base + first < g->klo || base + leaf_last(leaf) >= g->khi)
			cw->err = "folio outside the span";
		cw->bits += bitmap_weight(leaf->w, LEAF_BITS);
	}
	if (!any && !cw->err)
		cw->err = "empty node in a table";
}

/* No two folios of a set share a page: the folios of all orders, merged
 * in pfn order, never start before the previous one ends. */
static const char *check_disjoint(const struct kho *k, const struct kset *set)
{
	uint64_t next[KHO_MAX_ORDER_LIMIT + 1], end = 0;
	struct geo g[KHO_MAX_ORDER_LIMIT + 1];
	struct kcursor c[KHO_MAX_ORDER_LIMIT + 1] = { { 0, NULL } };
	unsigned act[KHO_MAX_ORDER_LIMIT + 1], nact = 0; /* the orders with keys left */
	bool started = false;

	for (unsigned o = 0; o <= k->max_order; o++) {
		g[o] = geometry(k, o);
		if (cursor_next(&g[o], &set->t[o], &c[o], 0, &next[o]))
			act[nact++] = o;
	}
	while (nact) {
		unsigned best = 0, o;

		for (unsigned i = 1; i < nact; i++)
			if (next[act[i]] << act[i] < next[act[best]] << act[best])
				best = i;
		o = act[best];
		if (started && next[o] << o < end)
			return "two folios of a set share a page";
		started = true;
		end = (next[o] + 1) << o;
		if (!cursor_next(&g[o], &set->t[o], &c[o], next[o] + 1, &next[o]))
			act[best] = act[--nact];
	}
	return NULL;
}

static const char *check_set(const struct kho *k, const struct kset *set)
{
	uint64_t pages = 0;
	uint32_t orders = 0;

	for (unsigned o = 0; o <= k->max_order; o++) {
		const struct ktable *t = &set->t[o];
		struct geo g = geometry(k, o);
		struct check_walk cw = { 0, NULL };

		if (t->root && !g.levels)
			return "table for an order that fits nowhere in the span";
		if (t->root)
			check_node(&g, t->root, g.levels - 1, 0, &cw);
		if (cw.err)
			return cw.err;
		/* An empty table has no root: a root's walk found a bit. */
		if (cw.bits != t->nr)
			return "folio count differs from the table";
		pages += t->nr << o;
		if (t->nr)
			orders |= 1u << o;
	}
	if (pages != set->pages)
		return "page count differs from the tables";
	if (orders != set->orders)
		return "order mask differs from the tables";
	return check_disjoint(k, set);
}

/* Both sets (or, unless full, those changed since their last check
 * passed), and what ties them together. */
static const char *check_sets(const struct kho *k, bool full)
{
	struct kho *w = (struct kho *)k; /* allocated writable: see struct kset */
	const char *e;

	if (k->start >= k->end || k->max_order > KHO_MAX_ORDER_LIMIT)
		return "bad span or max_order";
	for (int id = KHO_PRESERVED; id <= KHO_INCOMING; id++) {
		if (!full && k->set[id].checked)
			continue;
		if ((e = check_set(k, &k->set[id])))
			return e;
		w->set[id].checked = true;
	}
	if (!k->restored && (k->set[KHO_INCOMING].pages || k->reserves))
		return "incoming folios without a restore";
	return NULL;
}

const char *kho_check_full(const struct kho *k)
{
	return check_sets(k, true);
}

const char *kho_check(const struct kho *k)
{
	return check_sets(k, false);
}

/* ---- lifetime ---- */

void kho_default_config(struct kho_config *cfg, uint64_t start_pfn, uint64_t end_pfn)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->start_pfn = start_pfn;
	cfg->end_pfn = end_pfn;
	cfg->max_order = BUDDY_DEFAULT_MAX_ORDER;
	cfg->page_size = 4096;
}

int kho_create(struct kho **out, const struct kho_config *cfg)
{
	uint64_t page;
	unsigned shift;
	struct kho *k;
	size_t n;

	if (!out || !cfg)
		return -MM_EINVAL;
	page = cfg->page_size ? cfg->page_size : 4096;
	if (!mm_is_pow2(page) || cfg->max_order > KHO_MAX_ORDER_LIMIT ||
	    cfg->start_pfn >= cfg->end_pfn)
		return -MM_EINVAL;
	shift = (unsigned)__builtin_ctzll(page);
	/* Every page's bytes, end included, are addressable. */
	if (cfg->end_pfn > (MM_ADDR_MAX >> shift))
		return -MM_EINVAL;
	n = 2 * ((size_t)cfg->max_order + 1);
	k = mm_meta_alloc(cfg->meta, sizeof(*k) + n * sizeof(struct ktable));
	if (!k)
		return -MM_ENOMEM;
	k->start = cfg->start_pfn;
	k->end = cfg->end_pfn;
	k->max_order = cfg->max_order;
	k->page_shift = shift;
	k->meta = cfg->meta;
	k->set[KHO_PRESERVED].t = k->tables;
	k->set[KHO_INCOMING].t = k->tables + cfg->max_order + 1;
	for (unsigned o = 0; o <= k->max_order; o++)
		k->set[KHO_PRESERVED].t[o].geo = k->set[KHO_INCOMING].t[o].geo = shape(k, o);
	*out = k;
	return 0;
}

void kho_destroy(struct kho *k)
{
	if (!k)
		return;
	set_clear(k, &k->set[KHO_PRESERVED]);
	set_clear(k, &k->set[KHO_INCOMING]);
	mm_meta_free(k->meta, k,
		     sizeof(*k) + 2 * ((size_t)k->max_order + 1) * sizeof(struct ktable));
}

/* ---- preserve ---- */

/* Contract items 1 and 2 for [pfn, pfn + nr). */
static int range_args(const struct kho *k, uint64_t pfn, uint64_t nr)
{
	/* A range that ends exactly at 2^64 is outside the span, not bad. */
	if (!nr || nr - 1 > MM_ADDR_MAX - pfn)
		return -MM_EINVAL;
	if (pfn < k->start || pfn + (nr - 1) >= k->end)
		return -MM_ERANGE;
	return 0;
}

static int folio_args(const struct kho *k, uint64_t pfn, unsigned order)
{
	if (order > k->max_order || (pfn & (((uint64_t)1 << order) - 1)))
		return -MM_EINVAL;
	return range_args(k, pfn, (uint64_t)1 << order);
}

/* The order of the largest naturally aligned chunk at pfn with nr pages
 * left, at most max_order. */
static unsigned chunk_order(const struct kho *k, uint64_t pfn, uint64_t nr)
{
	unsigned o = 63u - (unsigned)__builtin_clzll(nr);

	if (pfn && (unsigned)__builtin_ctzll(pfn) < o)
		o = (unsigned)__builtin_ctzll(pfn);
	return o < k->max_order ? o : k->max_order;
}

int kho_preserve_folio(struct kho *k, uint64_t pfn, unsigned order)
{
	struct kset *s = &k->set[KHO_PRESERVED];
	struct kho_leaf *leaf;
	struct geo g;
	uint64_t key, bit;
	int err = folio_args(k, pfn, order);

	k->set[KHO_PRESERVED].checked = false;
	if (err)
		return err;
	key = pfn >> order;
	bit = key & (LEAF_BITS - 1);
	if (set_overlaps(k, s, pfn, pfn + ((uint64_t)1 << order), order))
		return -MM_EEXIST;
	/* At its own order a folio can only meet itself: one lookup finds
	 * that and, most of the time, the leaf to set it in. */
	g = geometry(k, order);
	leaf = (struct kho_leaf *)leaf_get(&g, &s->t[order], key >> LEAF_SHIFT);
	if (leaf && test_bit(bit, leaf->w))
		return -MM_EEXIST;
	if (!leaf && !(leaf = leaf_make(k, &g, &s->t[order], key >> LEAF_SHIFT)))
		return -MM_ENOMEM;
	set_bit(bit, leaf->w);
	set_account(s, order, true);
	return 0;
}

/* Clear a folio known to be in the set. */
static void folio_clear(struct kho *k, struct kset *s, uint64_t pfn, unsigned order)
{
	struct geo g = geometry(k, order);
	uint64_t key = pfn >> order;
	struct kho_leaf *leaf = (struct kho_leaf *)leaf_get(&g, &s->t[order], key >> LEAF_SHIFT);

	clear_bit(key & (LEAF_BITS - 1), leaf->w);
	path_prune(k, &g, &s->t[order], key >> LEAF_SHIFT);
	set_account(s, order, false);
}

static bool folio_in(const struct kho *k, const struct kset *s, uint64_t pfn, unsigned order)
{
	struct geo g = geometry(k, order);

	return tbl_test(&g, &s->t[order], pfn >> order);
}

int kho_unpreserve_folio(struct kho *k, uint64_t pfn, unsigned order)
{
	struct kset *s = &k->set[KHO_PRESERVED];
	int err = folio_args(k, pfn, order);

	s->checked = false;
	if (err)
		return err;
	if (!folio_in(k, s, pfn, order))
		return -MM_ENOENT;
	folio_clear(k, s, pfn, order);
	return 0;
}

/*
 * A run of pages as chunks comes in segments of consecutive folios of one
 * order: the chunks' orders climb to max_order, stay there for as long as
 * the run lasts, and step down again. The next segment from *p with *left
 * pages: a max_order stretch whole, any other chunk alone.
 */
struct segment {
	uint64_t key, count; /* folios key .. key + count - 1 */
	unsigned order;
};

static bool next_segment(const struct kho *k, uint64_t *p, uint64_t *left, struct segment *sg)
{
	unsigned o;

	if (!*left)
		return false;
	o = chunk_order(k, *p, *left);
	sg->order = o;
	sg->key = *p >> o;
	sg->count = o == k->max_order ? *left >> o : 1;
	*p += sg->count << o;
	*left -= sg->count << o;
	return true;
}

/* The leaves of a segment: made (false, with what this call made pruned,
 * when an allocation fails), filled, emptied, or pruned. */
static bool segment_make(struct kho *k, struct kset *s, const struct segment *sg)
{
	struct geo g = geometry(k, sg->order);
	uint64_t last = (sg->key + sg->count - 1) >> LEAF_SHIFT;

	for (uint64_t li = sg->key >> LEAF_SHIFT; li <= last; li++)
		if (!leaf_make(k, &g, &s->t[sg->order], li)) {
			while (li-- > sg->key >> LEAF_SHIFT)
				path_prune(k, &g, &s->t[sg->order], li);
			return false;
		}
	return true;
}

static void segment_fill(struct kho *k, struct kset *s, const struct segment *sg, bool set)
{
	struct geo g = geometry(k, sg->order);
	struct ktable *t = &s->t[sg->order];

	for (uint64_t key = sg->key, end = sg->key + sg->count; key < end;) {
		uint64_t li = key >> LEAF_SHIFT, n = mm_min(end, (li + 1) << LEAF_SHIFT) - key;
		struct kho_leaf *leaf = (struct kho_leaf *)leaf_get(&g, t, li);

		if (set) {
			bitmap_set(leaf->w, key & (LEAF_BITS - 1), n);
		} else {
			bitmap_clear(leaf->w, key & (LEAF_BITS - 1), n);
			path_prune(k, &g, t, li);
		}
		key += n;
	}
	if (set) {
		t->nr += sg->count;
		s->pages += sg->count << sg->order;
		s->orders |= 1u << sg->order;
	} else {
		t->nr -= sg->count;
		s->pages -= sg->count << sg->order;
		if (!t->nr)
			s->orders &= ~(1u << sg->order);
	}
}

static void segment_prune(struct kho *k, struct kset *s, const struct segment *sg)
{
	struct geo g = geometry(k, sg->order);

	for (uint64_t li = sg->key >> LEAF_SHIFT; li <= (sg->key + sg->count - 1) >> LEAF_SHIFT; li++)
		path_prune(k, &g, &s->t[sg->order], li);
}

int kho_preserve_pages(struct kho *k, uint64_t pfn, uint64_t nr)
{
	struct kset *s = &k->set[KHO_PRESERVED];
	struct segment sg;
	uint64_t p = pfn, left = nr, made;
	int err = range_args(k, pfn, nr);

	k->set[KHO_PRESERVED].checked = false;
	if (err)
		return err;
	if (set_overlaps(k, s, pfn, pfn + nr, KHO_MAX_ORDER_LIMIT + 1))
		return -MM_EEXIST;
	/* Every leaf first, so that nothing is set unless all can be. */
	while (next_segment(k, &p, &left, &sg))
		if (!segment_make(k, s, &sg))
			goto undo;
	for (p = pfn, left = nr; next_segment(k, &p, &left, &sg);)
		segment_fill(k, s, &sg, true);
	return 0;

undo:
	/* The segments before the one that failed hold no new bit. */
	made = p - (sg.count << sg.order) - pfn;
	for (p = pfn, left = made; next_segment(k, &p, &left, &sg);)
		segment_prune(k, s, &sg);
	return -MM_ENOMEM;
}

int kho_unpreserve_pages(struct kho *k, uint64_t pfn, uint64_t nr)
{
	struct kset *s = &k->set[KHO_PRESERVED];
	struct segment sg;
	uint64_t p = pfn, left = nr;
	int err = range_args(k, pfn, nr);

	k->set[KHO_PRESERVED].checked = false;
	if (err)
		return err;
	while (next_segment(k, &p, &left, &sg)) {
		struct geo g = geometry(k, sg.order);

		if (!tbl_all(&g, &s->t[sg.order], sg.key, sg.count))
			return -MM_ENOENT;
	}
	for (p = pfn, left = nr; next_segment(k, &p, &left, &sg);)
		segment_fill(k, s, &sg, false);
	return 0;
}

/* ---- serialize ---- */

/*
 * The records of one order, in key order: runs of whole full words, and the
 * partial words. With out NULL only counted; else runs are written from
 * runs and words from words.
 */
struct records {
	uint64_t nr_runs, nr_words;
	uint8_t *runs, *words;
};

static void emit_run(struct records *r, uint64_t key, uint64_t count)
{
	if (r->runs) {
		put64(r->runs + r->nr_runs * KHO_BLOB_RECORD, key);
		put64(r->runs + r->nr_runs * KHO_BLOB_RECORD + 8, count);
	}
	r->nr_runs++;
}

static void table_records(const struct kho *k, unsigned order, struct records *r)
{
	const struct ktable *t = &k->set[KHO_PRESERVED].t[order];
	struct geo g = geometry(k, order);
	uint64_t run_key = 0, run_count = 0, rel = 0;

	while (t->root) {
		const struct kho_leaf *leaf;
		uint64_t base;

		rel = node_next_leaf(&g, t->root, g.levels - 1, rel);
		if (rel == UINT64_MAX)
			break;
		leaf = leaf_get(&g, t, g.leaf0 + rel);
		base = (g.leaf0 + rel) << LEAF_SHIFT;
		for (unsigned i = 0; i < LEAF_WORDS; i++) {
			uint64_t w = leaf->w[i], key = base + (uint64_t)i * BITS_PER_WORD;

			if (w == ~(uint64_t)0) {
				if (run_count && run_key + run_count == key) {
					run_count += BITS_PER_WORD;
					continue;
				}
				if (run_count)
					emit_run(r, run_key, run_count);
				run_key = key;
				run_count = BITS_PER_WORD;
				continue;
			}
			if (!w)
				continue;
			if (r->words) {
				put64(r->words + r->nr_words * KHO_BLOB_RECORD, key);
				put64(r->words + r->nr_words * KHO_BLOB_RECORD + 8, w);
			}
			r->nr_words++;
		}
		rel++;
	}
	if (run_count)
		emit_run(r, run_key, run_count);
}

size_t kho_serialized_size(const struct kho *k)
{
	size_t n = KHO_BLOB_HEADER + KHO_BLOB_TRAILER;

	for (unsigned o = 0; o <= k->max_order; o++) {
		struct records r = { 0, 0, NULL, NULL };

		if (!k->set[KHO_PRESERVED].t[o].nr)
			continue;
		table_records(k, o, &r);
		n += KHO_BLOB_SECTION + (r.nr_runs + r.nr_words) * KHO_BLOB_RECORD;
	}
	return n;
}

int kho_serialize(const struct kho *k, void *buf, size_t cap, size_t *len)
{
	size_t need = kho_serialized_size(k), off = KHO_BLOB_HEADER;
	uint8_t *p = buf;
	uint32_t nsect = 0;

	if (!len || (!p && cap))
		return -MM_EINVAL;
	*len = need;
	if (cap < need)
		return -MM_ERANGE;
	for (unsigned o = 0; o <= k->max_order; o++) {
		struct records r = { 0, 0, NULL, NULL };

		if (!k->set[KHO_PRESERVED].t[o].nr)
			continue;
		table_records(k, o, &r); /* the counts first, to place the words */
		memcpy(p + off, section_tag, 4);
		put32(p + off + 4, o);
		put64(p + off + 8, r.nr_runs);
		put64(p + off + 16, r.nr_words);
		r.runs = p + off + KHO_BLOB_SECTION;
		r.words = r.runs + r.nr_runs * KHO_BLOB_RECORD;
		off += KHO_BLOB_SECTION + (r.nr_runs + r.nr_words) * KHO_BLOB_RECORD;
		r.nr_runs = r.nr_words = 0;
		table_records(k, o, &r);
		nsect++;
	}
	memcpy(p, blob_magic, 8);
	put32(p + 8, KHO_BLOB_VERSION);
	put32(p + 12, k->page_shift);
	put32(p + 16, nsect);
	put32(p + 20, 0);
	put64(p + 24, need);
	put64(p + off, checksum(p, off));
	return 0;
}

/* ---- restore ---- */

/* A section of a blob that passed parse_blob. */
struct section {
	unsigned order;
	const uint8_t *runs, *words;
	uint64_t nr_runs, nr_words;
};

/* The records of one section, valid on their own (kho.h's rules for runs
 * and words, and every folio inside the span). */
static bool records_ok(const struct kho *k, const struct section *s)
{
	struct geo g = geometry(k, s->order);
	uint64_t prev_end = 0, prev_word = 0, ri = 0;

	for (uint64_t i = 0; i < s->nr_runs; i++) {
		uint64_t key = get64(s->runs + i * KHO_BLOB_RECORD);
		uint64_t count = get64(s->runs + i * KHO_BLOB_RECORD + 8);

		if (key % BITS_PER_WORD || count % BITS_PER_WORD || !count)
			return false;
		if (key < g.klo || key >= g.khi || count > g.khi - key)
			return false;
		if (i && key <= prev_end) /* out of order, overlapping or touching */
			return false;
		prev_end = key + count;
	}
	for (uint64_t i = 0; i < s->nr_words; i++) {
		uint64_t key = get64(s->words + i * KHO_BLOB_RECORD);
		uint64_t bits = get64(s->words + i * KHO_BLOB_RECORD + 8);
		uint64_t first, last;

		if (key % BITS_PER_WORD || !bits || bits == ~(uint64_t)0)
			return false;
		if (i && key <= prev_word)
			return false;
		prev_word = key;
		first = key + (uint64_t)__builtin_ctzll(bits);
		last = key + 63 - (uint64_t)__builtin_clzll(bits);
		if (first < g.klo || last >= g.khi)
			return false;
		/* Not inside a run: runs ending at or before key are behind. */
		while (ri < s->nr_runs && get64(s->runs + ri * KHO_BLOB_RECORD) +
						  get64(s->runs + ri * KHO_BLOB_RECORD + 8) <=
					  key)
			ri++;
		if (ri < s->nr_runs && get64(s->runs + ri * KHO_BLOB_RECORD) <= key)
			return false;
	}
	return true;
}

/* Header, checksum, sections and their records. *nsect sections are
 * filled in (at most max_order + 1). */
static bool parse_blob(const struct kho *k, const uint8_t *p, size_t len, struct section *sect,
		       unsigned *nsect)
{
	size_t off = KHO_BLOB_HEADER, end;
	uint32_t n;

	if (len < KHO_BLOB_HEADER + KHO_BLOB_TRAILER)
		return false;
	end = len - KHO_BLOB_TRAILER;
	if (memcmp(p, blob_magic, 8) || get32(p + 8) != KHO_BLOB_VERSION ||
	    get32(p + 12) != k->page_shift || get32(p + 20) != 0 || get64(p + 24) != len)
		return false;
	if (get64(p + end) != checksum(p, end))
		return false;
	n = get32(p + 16);
	if (n > k->max_order + 1) /* each order at most once */
		return false;
	for (uint32_t i = 0; i < n; i++) {
		struct section *s = &sect[i];
		uint64_t room;

		if (end - off < KHO_BLOB_SECTION || memcmp(p + off, section_tag, 4))
			return false;
		s->order = get32(p + off + 4);
		if (s->order > k->max_order || (i && s->order <= sect[i - 1].order))
			return false;
		s->nr_runs = get64(p + off + 8);
		s->nr_words = get64(p + off + 16);
		off += KHO_BLOB_SECTION;
		room = (end - off) / KHO_BLOB_RECORD;
		if (s->nr_runs > room || s->nr_words > room - s->nr_runs ||
		    !(s->nr_runs + s->nr_words))
			return false;
		s->runs = p + off;
		s->words = s->runs + s->nr_runs * KHO_BLOB_RECORD;
		off += (s->nr_runs + s->nr_words) * KHO_BLOB_RECORD;
		if (!records_ok(k, s))
			return false;
	}
	*nsect = n;
	return off == end;
}

/* The folio ranges of one section in pfn order: runs whole, words as runs
 * of consecutive set bits. */
struct stream {
	const struct section *s;
	uint64_t ri, wi;
	uint64_t wkey, bits; /* the current word's bits not yet taken */
	bool has;
	uint64_t start, end; /* the current range, in pfns */
};

static void stream_next(struct stream *st)
{
	const struct section *s = st->s;
	bool run, word;
	uint64_t key, n;

	if (!st->bits && st->wi < s->nr_words) {
		st->wkey = get64(s->words + st->wi * KHO_BLOB_RECORD);
		st->bits = get64(s->words + st->wi * KHO_BLOB_RECORD + 8);
		st->wi++;
	}
	run = st->ri < s->nr_runs;
	word = st->bits != 0;
	if (!run && !word) {
		st->has = false;
		return;
	}
	key = run ? get64(s->runs + st->ri * KHO_BLOB_RECORD) : 0;
	if (run && (!word || key < st->wkey + (uint64_t)__builtin_ctzll(st->bits))) {
		n = get64(s->runs + st->ri * KHO_BLOB_RECORD + 8);
		st->ri++;
	} else {
		unsigned b = (unsigned)__builtin_ctzll(st->bits);
		uint64_t rest = st->bits >> b;

		n = rest == (~(uint64_t)0 >> b) ? BITS_PER_WORD - b
						  : (uint64_t)__builtin_ctzll(~rest);
		st->bits &= ~bitmap_word_mask(b, (unsigned)n);
		key = st->wkey + b;
	}
	st->has = true;
	st->start = key << s->order;
	st->end = (key + n) << s->order;
}

/*
 * Merge the sections' ranges in pfn order into maximal runs and call fn on
 * each; false when two folios overlap or fn says no.
 */
static bool merge_ranges(const struct section *sect, unsigned nsect,
			 bool (*fn)(void *ctx, uint64_t start, uint64_t end), void *ctx)
{
	struct stream st[KHO_MAX_ORDER_LIMIT + 1];
	uint64_t cs = 0, ce = 0;
	bool cur = false;

	for (unsigned i = 0; i < nsect; i++) {
		st[i] = (struct stream){ .s = &sect[i] };
		stream_next(&st[i]);
	}
	for (;;) {
		int best = -1;

		for (unsigned i = 0; i < nsect; i++)
			if (st[i].has && (best < 0 || st[i].start < st[best].start))
				best = (int)i;
		if (best < 0)
			break;
		if (cur && st[best].start < ce)
			return false; /* two folios share a page */
		if (cur && st[best].start == ce) {
			ce = st[best].end;
		} else {
			if (cur && !fn(ctx, cs, ce))
				return false;
			cs = st[best].start;
			ce = st[best].end;
			cur = true;
		}
		stream_next(&st[best]);
	}
	return !cur || fn(ctx, cs, ce);
}

/* Pass two: every run inside memory and outside the reserved ranges. The
 * runs come in increasing order, so each list is walked once. */
struct fit {
	const struct memblock *mb;
	unsigned shift;
	size_t mi, ri;
	uint64_t runs;
};

static uint64_t region_end(const struct memblock_region *r)
{
	return r->base + r->size;
}

static bool fits_memory(void *ctx, uint64_t start, uint64_t end)
{
	struct fit *f = ctx;
	const struct memblock *mb = f->mb;
	size_t nmem = memblock_region_count(mb, MEMBLOCK_MEMORY);
	size_t nres = memblock_region_count(mb, MEMBLOCK_RESERVED);
	uint64_t b = start << f->shift, e = end << f->shift, covered;
	const struct memblock_region *r;

	while (f->mi < nmem && region_end(memblock_region(mb, MEMBLOCK_MEMORY, f->mi)) <= b)
		f->mi++;
	if (f->mi == nmem || memblock_region(mb, MEMBLOCK_MEMORY, f->mi)->base > b)
		return false;
	covered = region_end(memblock_region(mb, MEMBLOCK_MEMORY, f->mi));
	for (size_t j = f->mi + 1; covered < e; j++) {
		r = memblock_region(mb, MEMBLOCK_MEMORY, j);
		if (!r || r->base != covered)
			return false; /* a hole inside the run */
		covered = region_end(r);
	}
	while (f->ri < nres && region_end(memblock_region(mb, MEMBLOCK_RESERVED, f->ri)) <= b)
		f->ri++;
	if (f->ri < nres && memblock_region(mb, MEMBLOCK_RESERVED, f->ri)->base < e)
		return false;
	f->runs++;
	return true;
}

struct reserve {
	struct memblock *mb;
	unsigned shift;
	uint64_t done;
	int err;
};

static bool reserve_run(void *ctx, uint64_t start, uint64_t end)
{
	struct reserve *r = ctx;

	r->err = memblock_reserve(r->mb, start << r->shift, (end - start) << r->shift);
	if (r->err)
		return false;
	r->done++;
	return true;
}

struct unreserve {
	struct memblock *mb;
	unsigned shift;
	uint64_t left;
};

static bool unreserve_run(void *ctx, uint64_t start, uint64_t end)
{
	struct unreserve *u = ctx;

	if (!u->left)
		return false;
	u->left--;
	memblock_phys_free(u->mb, start << u->shift, (end - start) << u->shift);
	return true;
}

/* Fill the incoming tables from the sections; -MM_ENOMEM leaves them
 * empty again. */
static int fill_incoming(struct kho *k, const struct section *sect, unsigned nsect)
{
	struct kset *in = &k->set[KHO_INCOMING];

	for (unsigned i = 0; i < nsect; i++) {
		const struct section *s = &sect[i];
		struct geo g = geometry(k, s->order);
		struct ktable *t = &in->t[s->order];

		for (uint64_t j = 0; j < s->nr_runs; j++) {
			uint64_t key = get64(s->runs + j * KHO_BLOB_RECORD);
			uint64_t end = key + get64(s->runs + j * KHO_BLOB_RECORD + 8);

			while (key < end) {
				uint64_t li = key >> LEAF_SHIFT;
				uint64_t n = mm_min(end, (li + 1) << LEAF_SHIFT) - key;
				struct kho_leaf *leaf = leaf_make(k, &g, t, li);

				if (!leaf)
					goto nomem;
				bitmap_set(leaf->w, key & (LEAF_BITS - 1), n);
				t->nr += n;
				key += n;
			}
		}
		for (uint64_t j = 0; j < s->nr_words; j++) {
			uint64_t key = get64(s->words + j * KHO_BLOB_RECORD);
			uint64_t bits = get64(s->words + j * KHO_BLOB_RECORD + 8);
			struct kho_leaf *leaf = leaf_make(k, &g, t, key >> LEAF_SHIFT);

			if (!leaf)
				goto nomem;
			leaf->w[(key & (LEAF_BITS - 1)) / BITS_PER_WORD] = bits;
			t->nr += (uint64_t)__builtin_popcountll(bits);
		}
		in->pages += t->nr << s->order;
		in->orders |= 1u << s->order;
	}
	return 0;
nomem:
	set_clear(k, in);
	return -MM_ENOMEM;
}

int kho_restore(struct kho *k, const void *blob, size_t len, struct memblock *mb)
{
	struct section sect[KHO_MAX_ORDER_LIMIT + 1];
	struct fit fit = { mb, k->page_shift, 0, 0, 0 };
	struct reserve res = { mb, k->page_shift, 0, 0 };
	unsigned nsect = 0;
	int err;

	k->set[KHO_PRESERVED].checked = k->set[KHO_INCOMING].checked = false;
	if (!mb || (!blob && len))
		return -MM_EINVAL;
	if (k->restored)
		return -MM_EBUSY;
	if (!blob || !parse_blob(k, blob, len, sect, &nsect) ||
	    !merge_ranges(sect, nsect, fits_memory, &fit))
		return -MM_EINVAL;
	/* The blob is good: from here on only memory can fail. */
	err = fill_incoming(k, sect, nsect);
	if (!err)
		err = memblock_ensure_room(mb, MEMBLOCK_RESERVED, (size_t)fit.runs);
	if (!err && !merge_ranges(sect, nsect, reserve_run, &res)) {
		/* Not reached: the room was made and no run overlaps a
		 * reserved range. Take back what was reserved all the same. */
		struct unreserve u = { mb, k->page_shift, res.done };

		merge_ranges(sect, nsect, unreserve_run, &u);
		err = res.err ? res.err : -MM_EINVAL;
	}
	if (err) {
		set_clear(k, &k->set[KHO_INCOMING]);
		return err;
	}
	k->restored = true;
	k->reserves = res.done;
	return 0;
}

int kho_restore_folio(struct kho *k, struct buddy *b, uint64_t pfn, unsigned *order)
{
	struct kset *in = &k->set[KHO_INCOMING];

	in->checked = false;
	if (!order)
		return -MM_EINVAL;
	for (unsigned o = 0; o <= k->max_order; o++) {
		int err;

		if (pfn & (((uint64_t)1 << o) - 1))
			break;
		if (!(in->orders & (1u << o)) || !folio_in(k, in, pfn, o))
			continue;
		if (b && (err = buddy_claim_reserved(b, pfn, o)))
			return err;
		folio_clear(k, in, pfn, o);
		*order = o;
		return 0;
	}
	return -MM_ENOENT;
}

/* ---- queries ---- */

void kho_stats(const struct kho *k, struct kho_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	for (int s = 0; s < 2; s++) {
		for (unsigned o = 0; o <= k->max_order; o++)
			st->folios[s] += k->set[s].t[o].nr;
		st->pages[s] = k->set[s].pages;
	}
	st->restored = k->restored;
	st->reserves = k->reserves;
}

void kho_walk(const struct kho *k, enum kho_set_id set,
	      void (*fn)(void *ctx, uint64_t pfn, unsigned order), void *ctx)
{
	const struct kset *s = &k->set[set == KHO_INCOMING];

	if (!fn || (set != KHO_PRESERVED && set != KHO_INCOMING))
		return;

	for (unsigned o = 0; o <= k->max_order; o++) {
		struct geo g = geometry(k, o);
		struct kcursor c = { 0, NULL };
		uint64_t key = 0;

		while (cursor_next(&g, &s->t[o], &c, key, &key)) {
			fn(ctx, key << o, o);
			key++;
		}
	}
}

unsigned kho_max_order(const struct kho *k)
{
	return k->max_order;
}
