/* SPDX-License-Identifier: MIT */
/*
 * kho_maple.c - a tree of merged same-order ranges (see kho_maple.h), the
 * second baseline of bench/kho.c.
 *
 * Ranges never overlap, so ordering them by start orders them by end too:
 * one descent finds the first range ending after an address, which is the
 * only one a new range can overlap, and its predecessor the only one it can
 * extend from below.
 */
#include "kho_maple.h"

#include <stdlib.h>
#include <string.h>

#include "rbtree.h"

static const uint8_t magic[8] = { 'M', 'R', '-', 'B', 'L', 'O', 'B', 0 };

_Static_assert(KHO_STORE_ENOMEM == MM_ENOMEM, "a store's -ENOMEM is mmstack's");

struct kmr {
	uint64_t start, end;
	unsigned max_order;
	const struct kmr_store *st;
	void *out, *in; /* the stores */
};

/* ---- the rbtree store ---- */

struct range {
	struct rb_node rb;
	uint64_t start, end; /* pages */
	unsigned order;
};

struct rstore {
	struct rb_root root;
	uint64_t n, bytes;
};

#define R(n) rb_entry(n, struct range, rb)

static int rs_create(void **out)
{
	struct rstore *t = calloc(1, sizeof(*t));

	if (!t)
		return -KHO_STORE_ENOMEM;
	t->bytes = sizeof(*t);
	*out = t;
	return 0;
}

static void free_tree(struct rb_node *n)
{
	if (!n)
		return;
	free_tree(n->left);
	free_tree(n->right);
	free(R(n));
}

static void rs_destroy(void *s)
{
	struct rstore *t = s;

	free_tree(t->root.node);
	free(t);
}

/* The first range that ends after pfn, or NULL. */
static struct range *first_ending_after(const struct rb_root *root, uint64_t pfn)
{
	struct rb_node *n = root->node;
	struct range *best = NULL;

	while (n) {
		if (R(n)->end > pfn) {
			best = R(n);
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static bool rs_overlaps(void *s, uint64_t start, uint64_t end)
{
	struct range *r = first_ending_after(&((struct rstore *)s)->root, start);

	return r && r->start < end;
}

static int insert_new(struct rstore *t, uint64_t s, uint64_t e, unsigned order)
{
	struct rb_node **link = &t->root.node, *parent = NULL;
	struct range *r = malloc(sizeof(*r));

	if (!r)
		return -KHO_STORE_ENOMEM;
	t->bytes += sizeof(*r);
	t->n++;
	r->start = s;
	r->end = e;
	r->order = order;
	while (*link) {
		parent = *link;
		link = s < R(parent)->start ? &parent->left : &parent->right;
	}
	rb_insert(&t->root, &r->rb, parent, link, NULL);
	return 0;
}

/* Add [s, e) of one order, merged with touching ranges of that order. */
static int rs_add(void *st, uint64_t s, uint64_t e, unsigned order, bool merge)
{
	struct rstore *t = st;
	struct range *next, *prev;
	struct rb_node *pn;
	bool left, right;

	if (!merge)
		return insert_new(t, s, e, order);
	next = first_ending_after(&t->root, s);
	pn = next ? rb_prev(&next->rb) : rb_last(&t->root);
	prev = pn ? R(pn) : NULL;
	left = prev && prev->end == s && prev->order == order;
	right = next && next->start == e && next->order == order;
	if (left && right) {
		prev->end = next->end;
		rb_erase(&t->root, &next->rb, NULL);
		free(next);
		t->bytes -= sizeof(*next);
		t->n--;
	} else if (left) {
		prev->end = e;
	} else if (right) {
		next->start = s;
	} else {
		return insert_new(t, s, e, order);
	}
	return 0;
}

static void rs_each(void *s, void (*fn)(void *ctx, uint64_t start, uint64_t end, unsigned order),
		    void *ctx)
{
	for (struct rb_node *n = rb_first(&((struct rstore *)s)->root); n; n = rb_next(n))
		fn(ctx, R(n)->start, R(n)->end, R(n)->order);
}

static uint64_t rs_count(const void *s)
{
	return ((const struct rstore *)s)->n;
}

static uint64_t rs_bytes(const void *s)
{
	return ((const struct rstore *)s)->bytes;
}

const struct kmr_store kmr_like_store = {
	"maple-like", rs_create, rs_destroy, rs_overlaps, rs_add, rs_each, rs_count, rs_bytes,
};

/* ---- preserve ---- */

int kmr_create(struct kmr **out, uint64_t start_pfn, uint64_t end_pfn, unsigned max_order,
	       const struct kmr_store *store)
{
	struct kmr *t;

	if (start_pfn >= end_pfn || max_order > 20 || !store)
		return -MM_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -MM_ENOMEM;
	t->start = start_pfn;
	t->end = end_pfn;
	t->max_order = max_order;
	t->st = store;
	if (store->create(&t->out) || store->create(&t->in)) {
		kmr_destroy(t);
		return -MM_ENOMEM;
	}
	*out = t;
	return 0;
}

void kmr_destroy(struct kmr *t)
{
	if (!t)
		return;
	if (t->out)
		t->st->destroy(t->out);
	if (t->in)
		t->st->destroy(t->in);
	free(t);
}

static bool overlaps(const struct kmr *t, uint64_t s, uint64_t e)
{
	return t->st->overlaps(t->out, s, e);
}

static int add_range(struct kmr *t, uint64_t s, uint64_t e, unsigned order)
{
	return t->st->add(t->out, s, e, order, true);
}

int kmr_preserve_folio(struct kmr *t, uint64_t pfn, unsigned order)
{
	uint64_t n = (uint64_t)1 << order;

	if (order > t->max_order || pfn & (n - 1))
		return -MM_EINVAL;
	if (pfn < t->start || pfn + n > t->end)
		return -MM_ERANGE;
	if (overlaps(t, pfn, pfn + n))
		return -MM_EEXIST;
	return add_range(t, pfn, pfn + n, order);
}

int kmr_preserve_pages(struct kmr *t, uint64_t pfn, uint64_t nr)
{
	if (!nr || pfn + nr < pfn)
		return -MM_EINVAL;
	if (pfn < t->start || pfn + nr > t->end)
		return -MM_ERANGE;
	if (overlaps(t, pfn, pfn + nr))
		return -MM_EEXIST;
	while (nr) {
		unsigned o = 63u - (unsigned)__builtin_clzll(nr);
		int err;

		if (pfn && (unsigned)__builtin_ctzll(pfn) < o)
			o = (unsigned)__builtin_ctzll(pfn);
		if (o > t->max_order)
			o = t->max_order;
		if ((err = add_range(t, pfn, pfn + ((uint64_t)1 << o), o)))
			return err;
		pfn += (uint64_t)1 << o;
		nr -= (uint64_t)1 << o;
	}
	return 0;
}

/* ---- the blob ----
 *   header  u8[8] magic "MR-BLOB", u32 version 1, u32 0, u64 nr_entries,
 *           u64 total_len
 *   entries of 20 bytes: u64 pfn, u64 pages, u32 order, in pfn order
 *   trailer u64 checksum (kho's hash, a short last piece zero-padded) */

#define HDR 32u
#define ENTRY 20u

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i += 8) {
		h ^= get(p + i, n - i < 8 ? (unsigned)(n - i) : 8);
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

size_t kmr_serialized_size(const struct kmr *t)
{
	return HDR + t->st->count(t->out) * ENTRY + 8;
}

static void write_entry(void *ctx, uint64_t start, uint64_t end, unsigned order)
{
	uint8_t **at = ctx;

	put(*at, start, 8);
	put(*at + 8, end - start, 8);
	put(*at + 16, order, 4);
	*at += ENTRY;
}

int kmr_serialize(const struct kmr *t, void *buf, size_t cap, size_t *len)
{
	size_t need = kmr_serialized_size(t);
	uint8_t *p = buf, *at = p + HDR;

	*len = need;
	if (!p || cap < need)
		return -MM_ERANGE;
	t->st->each(t->out, write_entry, &at);
	memcpy(p, magic, 8);
	put(p + 8, 1, 4);
	put(p + 12, 0, 4);
	put(p + 16, t->st->count(t->out), 8);
	put(p + 24, need, 8);
	put(at, checksum(p, (size_t)(at - p)), 8);
	return 0;
}

int kmr_restore(struct kmr *t, const void *blob, size_t len, struct memblock *mb,
		uint64_t *reserves)
{
	const uint8_t *p = blob;
	uint64_t n, prev_end = 0;

	*reserves = 0;
	if (len < HDR + 8 || memcmp(p, magic, 8) || get(p + 8, 4) != 1 || get(p + 24, 8) != len ||
	    get(p + len - 8, 8) != checksum(p, len - 8))
		return -MM_EINVAL;
	n = get(p + 16, 8);
	if (n != (len - HDR - 8) / ENTRY || (len - HDR - 8) % ENTRY)
		return -MM_EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *e = p + HDR + i * ENTRY;
		uint64_t pfn = get(e, 8), pages = get(e + 8, 8), order = get(e + 16, 4);

		if (order > t->max_order || pfn % ((uint64_t)1 << order) ||
		    pages % ((uint64_t)1 << order) || !pages || pfn < t->start || pfn >= t->end ||
		    pages > t->end - pfn || (i && pfn < prev_end))
			return -MM_EINVAL;
		if (!memblock_is_memory(mb, pfn << 12) ||
		    !memblock_is_memory(mb, ((pfn + pages) << 12) - 1) ||
		    memblock_is_region_reserved(mb, pfn << 12, pages << 12))
			return -MM_EINVAL;
		prev_end = pfn + pages;
	}
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *e = p + HDR + i * ENTRY;
		uint64_t pfn = get(e, 8), pages = get(e + 8, 8);

		if (t->st->add(t->in, pfn, pfn + pages, (unsigned)get(e + 16, 4), false) ||
		    memblock_reserve(mb, pfn << 12, pages << 12))
			return -MM_ENOMEM;
		(*reserves)++;
	}
	return 0;
}

struct walk {
	void (*fn)(void *ctx, uint64_t pfn, unsigned order);
	void *ctx;
};

static void walk_range(void *ctx, uint64_t start, uint64_t end, unsigned order)
{
	struct walk *w = ctx;

	for (uint64_t pfn = start; pfn < end; pfn += (uint64_t)1 << order)
		w->fn(w->ctx, pfn, order);
}

void kmr_walk_incoming(const struct kmr *t, void (*fn)(void *ctx, uint64_t pfn, unsigned order),
		       void *ctx)
{
	struct walk w = { fn, ctx };

	t->st->each(t->in, walk_range, &w);
}

uint64_t kmr_bytes(const struct kmr *t)
{
	return sizeof(*t) + t->st->bytes(t->out) + t->st->bytes(t->in);
}
