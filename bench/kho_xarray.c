/* SPDX-License-Identifier: MIT */
/*
 * kho_xarray.c - per-order sparse trees of 4096-bit chunks (see
 * kho_xarray.h), the baseline of bench/kho.c.
 *
 * The tree is an xarray's shape: nodes of 64 slots, a height that grows
 * when a larger index arrives (the old root becomes slot 0 of a new one),
 * and a chunk of 512 bytes as each entry.
 */
#include "kho_xarray.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_SHIFT KHO_CHUNK_SHIFT
#define CHUNK_BITS (1u << CHUNK_SHIFT) /* folios per chunk */
#define CHUNK_WORDS KHO_CHUNK_WORDS
#define XA_SHIFT 6
#define XA_SLOTS (1u << XA_SHIFT)
#define MAX_ORDERS 21

_Static_assert(KHO_STORE_ENOMEM == MM_ENOMEM, "a store's -ENOMEM is mmstack's");

static const uint8_t magic[8] = { 'X', 'A', '-', 'B', 'L', 'O', 'B', 0 };

struct chunk {
	uint64_t w[CHUNK_WORDS];
};

struct kxa {
	uint64_t start, end;
	unsigned max_order;
	const struct kxa_store *st;
	void *out, *in;                          /* the stores */
	uint64_t nout[MAX_ORDERS], nin[MAX_ORDERS]; /* folios per order */
};

/* ---- the xarray-like store ---- */

struct xnode {
	void *slot[XA_SLOTS];
};

struct xtree {
	void *root;      /* a node, or with height 0 the chunk of index 0 */
	unsigned height; /* node levels above the chunks */
};

struct xstore {
	struct xtree t[MAX_ORDERS];
	uint64_t bytes;
};

static void *zalloc(struct xstore *x, size_t n)
{
	void *p = calloc(1, n);

	if (p)
		x->bytes += n;
	return p;
}

static uint64_t capacity(unsigned height)
{
	return height >= 11 ? UINT64_MAX : (uint64_t)1 << (XA_SHIFT * height);
}

static uint64_t *xs_load(void *s, unsigned order, uint64_t index)
{
	const struct xtree *t = &((struct xstore *)s)->t[order];
	void *p = t->root;

	if (index >= capacity(t->height))
		return NULL;
	for (unsigned l = t->height; p && l-- > 0;)
		p = ((struct xnode *)p)->slot[(index >> (XA_SHIFT * l)) & (XA_SLOTS - 1)];
	return p;
}

static uint64_t *xs_make(void *s, unsigned order, uint64_t index)
{
	struct xstore *x = s;
	struct xtree *t = &x->t[order];
	void **slot;

	while (index >= capacity(t->height)) { /* grow upward */
		struct xnode *n;

		if (!t->root) {
			t->height++;
			continue;
		}
		n = zalloc(x, sizeof(*n));
		if (!n)
			return NULL;
		n->slot[0] = t->root;
		t->root = n;
		t->height++;
	}
	slot = &t->root;
	for (unsigned l = t->height; l-- > 0;) {
		if (!*slot && !(*slot = zalloc(x, sizeof(struct xnode))))
			return NULL;
		slot = &((struct xnode *)*slot)->slot[(index >> (XA_SHIFT * l)) & (XA_SLOTS - 1)];
	}
	if (!*slot)
		*slot = zalloc(x, sizeof(struct chunk));
	return *slot;
}

static void xt_free(void *p, unsigned level)
{
	if (!p)
		return;
	if (level)
		for (unsigned i = 0; i < XA_SLOTS; i++)
			xt_free(((struct xnode *)p)->slot[i], level - 1);
	free(p);
}

/* Each chunk in index order: fn(ctx, index, chunk). */
static void xt_each(void *p, unsigned level, uint64_t base,
		    void (*fn)(void *ctx, uint64_t index, const uint64_t *bits), void *ctx)
{
	if (!p)
		return;
	if (!level) {
		fn(ctx, base, p);
		return;
	}
	for (unsigned i = 0; i < XA_SLOTS; i++)
		xt_each(((struct xnode *)p)->slot[i], level - 1,
			base + ((uint64_t)i << (XA_SHIFT * (level - 1))), fn, ctx);
}

static void xs_each(void *s, unsigned order,
		    void (*fn)(void *ctx, uint64_t index, const uint64_t *bits), void *ctx)
{
	const struct xtree *t = &((struct xstore *)s)->t[order];

	xt_each(t->root, t->height, 0, fn, ctx);
}

static int xs_create(void **out)
{
	struct xstore *x = calloc(1, sizeof(*x));

	if (!x)
		return -KHO_STORE_ENOMEM;
	x->bytes = sizeof(*x);
	*out = x;
	return 0;
}

static void xs_destroy(void *s)
{
	struct xstore *x = s;

	for (unsigned o = 0; o < MAX_ORDERS; o++)
		xt_free(x->t[o].root, x->t[o].height);
	free(x);
}

static uint64_t xs_bytes(const void *s)
{
	return ((const struct xstore *)s)->bytes;
}

const struct kxa_store kxa_like_store = {
	"xarray-like", xs_create, xs_destroy, xs_load, xs_make, xs_each, xs_bytes,
};

/* Any key of [a, b] set in order o. */
static bool xt_any(const struct kxa *x, unsigned o, uint64_t a, uint64_t b)
{
	for (uint64_t ci = a >> CHUNK_SHIFT; ci <= b >> CHUNK_SHIFT; ci++) {
		const uint64_t *c = x->st->load(x->out, o, ci);
		uint64_t lo, hi;

		if (!c)
			continue;
		lo = ci == a >> CHUNK_SHIFT ? a & (CHUNK_BITS - 1) : 0;
		hi = ci == b >> CHUNK_SHIFT ? b & (CHUNK_BITS - 1) : CHUNK_BITS - 1;
		for (uint64_t w = lo / 64; w <= hi / 64; w++) {
			uint64_t m = ~(uint64_t)0;

			if (w == lo / 64)
				m &= ~(uint64_t)0 << (lo % 64);
			if (w == hi / 64 && hi % 64 != 63)
				m &= ((uint64_t)1 << (hi % 64 + 1)) - 1;
			if (c[w] & m)
				return true;
		}
	}
	return false;
}

/* ---- preserve ---- */

int kxa_create(struct kxa **out, uint64_t start_pfn, uint64_t end_pfn, unsigned max_order,
	       const struct kxa_store *store)
{
	struct kxa *x;

	if (start_pfn >= end_pfn || max_order >= MAX_ORDERS || !store)
		return -MM_EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -MM_ENOMEM;
	x->start = start_pfn;
	x->end = end_pfn;
	x->max_order = max_order;
	x->st = store;
	if (store->create(&x->out) || store->create(&x->in)) {
		kxa_destroy(x);
		return -MM_ENOMEM;
	}
	*out = x;
	return 0;
}

void kxa_destroy(struct kxa *x)
{
	if (!x)
		return;
	if (x->out)
		x->st->destroy(x->out);
	if (x->in)
		x->st->destroy(x->in);
	free(x);
}

static bool overlaps(const struct kxa *x, uint64_t s, uint64_t e)
{
	for (unsigned o = 0; o <= x->max_order; o++)
		if (x->nout[o] && xt_any(x, o, s >> o, (e - 1) >> o))
			return true;
	return false;
}

static int set_folio(struct kxa *x, uint64_t pfn, unsigned order)
{
	uint64_t key = pfn >> order;
	uint64_t *c = x->st->make(x->out, order, key >> CHUNK_SHIFT);

	if (!c)
		return -MM_ENOMEM;
	c[(key & (CHUNK_BITS - 1)) / 64] |= (uint64_t)1 << (key % 64);
	x->nout[order]++;
	return 0;
}

int kxa_preserve_folio(struct kxa *x, uint64_t pfn, unsigned order)
{
	uint64_t n = (uint64_t)1 << order;

	if (order > x->max_order || pfn & (n - 1))
		return -MM_EINVAL;
	if (pfn < x->start || pfn + n > x->end)
		return -MM_ERANGE;
	if (overlaps(x, pfn, pfn + n))
		return -MM_EEXIST;
	return set_folio(x, pfn, order);
}

static unsigned chunk_order(const struct kxa *x, uint64_t pfn, uint64_t nr)
{
	unsigned o = 63u - (unsigned)__builtin_clzll(nr);

	if (pfn && (unsigned)__builtin_ctzll(pfn) < o)
		o = (unsigned)__builtin_ctzll(pfn);
	return o < x->max_order ? o : x->max_order;
}

int kxa_preserve_pages(struct kxa *x, uint64_t pfn, uint64_t nr)
{
	if (!nr || pfn + nr < pfn)
		return -MM_EINVAL;
	if (pfn < x->start || pfn + nr > x->end)
		return -MM_ERANGE;
	if (overlaps(x, pfn, pfn + nr))
		return -MM_EEXIST;
	while (nr) {
		unsigned o = chunk_order(x, pfn, nr);
		int err = set_folio(x, pfn, o);

		if (err)
			return err;
		pfn += (uint64_t)1 << o;
		nr -= (uint64_t)1 << o;
	}
	return 0;
}

/* ---- the blob ----
 *   header  u8[8] magic "XA-BLOB", u32 version 1, u32 nr_sections,
 *           u64 total_len
 *   section u32 order, u32 0, u64 nr_chunks, then nr_chunks of
 *           u64 chunk index, u8[512] bits
 *   trailer u64 checksum (kho's hash) */

#define HDR 24u
#define SECT 16u
#define CHUNK_REC (8u + sizeof(struct chunk))

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		h ^= get64(p + i);
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static void count_chunk(void *ctx, uint64_t index, const uint64_t *c)
{
	(void)index, (void)c;
	(*(uint64_t *)ctx)++;
}

size_t kxa_serialized_size(const struct kxa *x)
{
	size_t n = HDR + 8;

	for (unsigned o = 0; o <= x->max_order; o++) {
		uint64_t chunks = 0;

		if (!x->nout[o])
			continue;
		x->st->each(x->out, o, count_chunk, &chunks);
		n += SECT + chunks * CHUNK_REC;
	}
	return n;
}

struct writer {
	uint8_t *p;
	uint64_t n;
};

static void write_chunk(void *ctx, uint64_t index, const uint64_t *c)
{
	struct writer *w = ctx;

	put64(w->p, index);
	for (unsigned i = 0; i < CHUNK_WORDS; i++)
		put64(w->p + 8 + 8 * i, c[i]);
	w->p += CHUNK_REC;
	w->n++;
}

int kxa_serialize(const struct kxa *x, void *buf, size_t cap, size_t *len)
{
	size_t need = kxa_serialized_size(x);
	uint8_t *p = buf, *at = p + HDR;
	uint32_t nsect = 0;

	*len = need;
	if (!p || cap < need)
		return -MM_ERANGE;
	for (unsigned o = 0; o <= x->max_order; o++) {
		struct writer w = { at + SECT, 0 };

		if (!x->nout[o])
			continue;
		x->st->each(x->out, o, write_chunk, &w);
		put64(at, o);
		put64(at + 8, w.n);
		at = w.p;
		nsect++;
	}
	memcpy(p, magic, 8);
	put64(p + 8, 1 | (uint64_t)nsect << 32);
	put64(p + 16, need);
	put64(at, checksum(p, (size_t)(at - p)));
	return 0;
}

/* ---- restore ---- */

static bool folio_fits(const struct kxa *x, const struct memblock *mb, uint64_t pfn,
		       unsigned order)
{
	uint64_t n = (uint64_t)1 << order;

	if (pfn < x->start || pfn >= x->end || n > x->end - pfn)
		return false;
	return memblock_is_memory(mb, pfn << 12) && memblock_is_memory(mb, ((pfn + n) << 12) - 1) &&
	       !memblock_is_region_reserved(mb, pfn << 12, n << 12);
}

/* Walk the blob's folios: check them all, or (load) load and reserve each. */
static int each_folio(struct kxa *x, const uint8_t *p, size_t len, struct memblock *mb,
		      bool load, uint64_t *reserves)
{
	size_t pos = HDR, body = len - 8;
	uint64_t nsect = get64(p + 8) >> 32;

	for (uint64_t s = 0; s < nsect; s++) {
		uint64_t order, nchunks;

		if (body - pos < SECT)
			return -MM_EINVAL;
		order = get64(p + pos);
		nchunks = get64(p + pos + 8);
		pos += SECT;
		if (order > x->max_order || nchunks > (body - pos) / CHUNK_REC)
			return -MM_EINVAL;
		for (uint64_t c = 0; c < nchunks; c++, pos += CHUNK_REC) {
			uint64_t index = get64(p + pos);
			uint64_t *dst = NULL;

			if (index > (UINT64_MAX >> CHUNK_SHIFT) >> order)
				return -MM_EINVAL;
			if (load && !(dst = x->st->make(x->in, (unsigned)order, index)))
				return -MM_ENOMEM;
			for (unsigned i = 0; i < CHUNK_WORDS; i++) {
				uint64_t w = get64(p + pos + 8 + 8 * i);

				if (dst) {
					dst[i] = w;
					x->nin[order] += (uint64_t)__builtin_popcountll(w);
				}
				while (w) {
					uint64_t key = (index << CHUNK_SHIFT) + 64 * i +
						       (uint64_t)__builtin_ctzll(w);
					uint64_t pfn = key << order;

					w &= w - 1;
					if (!load) {
						if (!folio_fits(x, mb, pfn, (unsigned)order))
							return -MM_EINVAL;
					} else if (memblock_reserve(mb, pfn << 12, (uint64_t)4096 << order)) {
						return -MM_ENOMEM;
					} else {
						(*reserves)++;
					}
				}
			}
		}
	}
	return pos == body ? 0 : -MM_EINVAL;
}

int kxa_restore(struct kxa *x, const void *blob, size_t len, struct memblock *mb,
		uint64_t *reserves)
{
	const uint8_t *p = blob;
	int err;

	*reserves = 0;
	if (len < HDR + 8 || memcmp(p, magic, 8) || (uint32_t)get64(p + 8) != 1 ||
	    get64(p + 16) != len || len % 8 || get64(p + len - 8) != checksum(p, len - 8))
		return -MM_EINVAL;
	err = each_folio(x, p, len, mb, false, reserves);
	return err ? err : each_folio(x, p, len, mb, true, reserves);
}

struct walk {
	unsigned order;
	void (*fn)(void *ctx, uint64_t pfn, unsigned order);
	void *ctx;
};

static void walk_chunk(void *ctx, uint64_t index, const uint64_t *c)
{
	struct walk *w = ctx;

	for (unsigned i = 0; i < CHUNK_WORDS; i++)
		for (uint64_t b = c[i]; b; b &= b - 1)
			w->fn(w->ctx, ((index << CHUNK_SHIFT) + 64 * i + (uint64_t)__builtin_ctzll(b))
					      << w->order,
			      w->order);
}

void kxa_walk_incoming(const struct kxa *x, void (*fn)(void *ctx, uint64_t pfn, unsigned order),
		       void *ctx)
{
	for (unsigned o = 0; o <= x->max_order; o++) {
		struct walk w = { o, fn, ctx };

		x->st->each(x->in, o, walk_chunk, &w);
	}
}

uint64_t kxa_bytes(const struct kxa *x)
{
	return sizeof(*x) + x->st->bytes(x->out) + x->st->bytes(x->in);
}
