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

struct range {
	struct rb_node rb;
	uint64_t start, end; /* pages */
	unsigned order;
};

struct kmr {
	uint64_t start, end;
	unsigned max_order;
	struct rb_root out, in;
	uint64_t nout;
	uint64_t bytes;
};

#define R(n) rb_entry(n, struct range, rb)

int kmr_create(struct kmr **out, uint64_t start_pfn, uint64_t end_pfn, unsigned max_order)
{
	struct kmr *t;

	if (start_pfn >= end_pfn || max_order > 20)
		return -MM_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -MM_ENOMEM;
	t->start = start_pfn;
	t->end = end_pfn;
	t->max_order = max_order;
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

void kmr_destroy(struct kmr *t)
{
	if (!t)
		return;
	free_tree(t->out.node);
	free_tree(t->in.node);
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

static bool overlaps(const struct kmr *t, uint64_t s, uint64_t e)
{
	struct range *r = first_ending_after(&t->out, s);

	return r && r->start < e;
}

static int insert_new(struct kmr *t, struct rb_root *root, uint64_t s, uint64_t e, unsigned order)
{
	struct rb_node **link = &root->node, *parent = NULL;
	struct range *r = malloc(sizeof(*r));

	if (!r)
		return -MM_ENOMEM;
	t->bytes += sizeof(*r);
	r->start = s;
	r->end = e;
	r->order = order;
	while (*link) {
		parent = *link;
		link = s < R(parent)->start ? &parent->left : &parent->right;
	}
	rb_insert(root, &r->rb, parent, link, NULL);
	return 0;
}

/* Add [s, e) of one order, merged with touching ranges of that order. */
static int add_range(struct kmr *t, uint64_t s, uint64_t e, unsigned order)
{
	struct range *next = first_ending_after(&t->out, s);
	struct rb_node *pn = next ? rb_prev(&next->rb) : rb_last(&t->out);
	struct range *prev = pn ? R(pn) : NULL;
	bool left = prev && prev->end == s && prev->order == order;
	bool right = next && next->start == e && next->order == order;

	if (left && right) {
		prev->end = next->end;
		rb_erase(&t->out, &next->rb, NULL);
		free(next);
		t->bytes -= sizeof(*next);
		t->nout--;
	} else if (left) {
		prev->end = e;
	} else if (right) {
		next->start = s;
	} else {
		if (insert_new(t, &t->out, s, e, order))
			return -MM_ENOMEM;
		t->nout++;
	}
	return 0;
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
	return HDR + t->nout * ENTRY + 8;
}

int kmr_serialize(const struct kmr *t, void *buf, size_t cap, size_t *len)
{
	size_t need = kmr_serialized_size(t);
	uint8_t *p = buf, *at = p + HDR;

	*len = need;
	if (!p || cap < need)
		return -MM_ERANGE;
	for (struct rb_node *n = rb_first(&t->out); n; n = rb_next(n), at += ENTRY) {
		put(at, R(n)->start, 8);
		put(at + 8, R(n)->end - R(n)->start, 8);
		put(at + 16, R(n)->order, 4);
	}
	memcpy(p, magic, 8);
	put(p + 8, 1, 4);
	put(p + 12, 0, 4);
	put(p + 16, t->nout, 8);
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

		if (insert_new(t, &t->in, pfn, pfn + pages, (unsigned)get(e + 16, 4)) ||
		    memblock_reserve(mb, pfn << 12, pages << 12))
			return -MM_ENOMEM;
		(*reserves)++;
	}
	return 0;
}

void kmr_walk_incoming(const struct kmr *t, void (*fn)(void *ctx, uint64_t pfn, unsigned order),
		       void *ctx)
{
	for (struct rb_node *n = rb_first(&t->in); n; n = rb_next(n))
		for (uint64_t pfn = R(n)->start; pfn < R(n)->end; pfn += (uint64_t)1 << R(n)->order)
			fn(ctx, pfn, R(n)->order);
}

uint64_t kmr_bytes(const struct kmr *t)
{
	return t->bytes;
}
