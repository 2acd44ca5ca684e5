/* SPDX-License-Identifier: MIT */
/*
 * model.c - the naive kho model (see model.h, spec/kho.md and lib/kho.h).
 *
 * A set is a sorted array of folios; "does anything overlap" is a scan of
 * the whole array. The blob is written by sorting keys and cutting them
 * into 64-key words, and read by taking every record apart into single
 * folios and marking their pages one by one in a map of the span. Every
 * count read from a blob is compared with the bytes that are left before
 * anything loops over it, and every key with the span before a folio is
 * made of it, so the model itself stays linear and never hangs.
 *
 * Written without looking at lib/kho.c on purpose: a model that shares the
 * implementation's reasoning shares its bugs. Its memory comes from the
 * harness's pool (fz_malloc); running out aborts (a model failure is not a
 * behaviour under test).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "mm.h"

/* ---- sets ---- */

static void *xrealloc(void *p, size_t n)
{
	return fz_realloc(p, n ? n : 1);
}

void km_set_clear(struct km_set *s)
{
	s->n = 0;
}

void km_set_free(struct km_set *s)
{
	fz_free(s->f);
	memset(s, 0, sizeof(*s));
}

void km_set_copy(struct km_set *dst, const struct km_set *src)
{
	dst->f = xrealloc(dst->f, src->n * sizeof(*src->f));
	dst->cap = src->n;
	dst->n = src->n;
	if (src->n)
		memcpy(dst->f, src->f, src->n * sizeof(*src->f));
}

static bool folio_before(const struct km_folio *a, const struct km_folio *b)
{
	return a->order != b->order ? a->order < b->order : a->pfn < b->pfn;
}

/* Insert, keeping (order, pfn) order. */
static void add(struct km_set *s, uint64_t pfn, unsigned order)
{
	struct km_folio f = { pfn, order, false };
	size_t i = s->n;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->f = xrealloc(s->f, s->cap * sizeof(*s->f));
	}
	while (i > 0 && folio_before(&f, &s->f[i - 1])) {
		s->f[i] = s->f[i - 1];
		i--;
	}
	s->f[i] = f;
	s->n++;
}

static void del(struct km_set *s, size_t i)
{
	memmove(&s->f[i], &s->f[i + 1], (s->n - i - 1) * sizeof(*s->f));
	s->n--;
}

long km_find(const struct km_set *s, uint64_t pfn)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->f[i].pfn == pfn)
			return (long)i;
	return -1;
}

static long find_exact(const struct km_set *s, uint64_t pfn, unsigned order)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->f[i].pfn == pfn && s->f[i].order == order)
			return (long)i;
	return -1;
}

/* Pages [a, a + n) and [b, b + m) share one. */
static bool pages_meet(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

static bool overlaps_any(const struct km_set *s, uint64_t pfn, uint64_t nr)
{
	for (size_t i = 0; i < s->n; i++)
		if (pages_meet(pfn, nr, s->f[i].pfn, UINT64_C(1) << s->f[i].order))
			return true;
	return false;
}

/* ---- the preserve side ---- */

/* Items 1 and 2 of the Contract for the pages [pfn, pfn + nr). */
static int check_range(const struct km_layout *l, uint64_t pfn, uint64_t nr)
{
	/* A range that ends exactly at 2^64 is not past it: outside the span. */
	if (nr == 0 || nr - 1 > UINT64_MAX - pfn)
		return -MM_EINVAL;
	if (pfn < l->start || pfn + (nr - 1) >= l->end)
		return -MM_ERANGE;
	return 0;
}

static int check_folio(const struct km_layout *l, uint64_t pfn, unsigned order)
{
	if (order > l->max_order)
		return -MM_EINVAL;
	if (pfn % (UINT64_C(1) << order) != 0)
		return -MM_EINVAL;
	return check_range(l, pfn, UINT64_C(1) << order);
}

int km_preserve_folio(struct km_set *s, const struct km_layout *l, uint64_t pfn,
		      unsigned order)
{
	int rc = check_folio(l, pfn, order);

	if (rc)
		return rc;
	if (overlaps_any(s, pfn, UINT64_C(1) << order))
		return -MM_EEXIST;
	add(s, pfn, order);
	return 0;
}

int km_unpreserve_folio(struct km_set *s, const struct km_layout *l, uint64_t pfn,
			unsigned order)
{
	int rc = check_folio(l, pfn, order);
	long i;

	if (rc)
		return rc;
	i = find_exact(s, pfn, order);
	if (i < 0)
		return -MM_ENOENT;
	del(s, (size_t)i);
	return 0;
}

/* The order of the chunk at p with n pages left: the largest order, at
 * most max_order, whose block starts at p and fits in n. */
static unsigned chunk(const struct km_layout *l, uint64_t p, uint64_t n)
{
	for (unsigned o = l->max_order;; o--) {
		uint64_t size = UINT64_C(1) << o;

		if (p % size == 0 && size <= n)
			return o;
		if (o == 0)
			return 0;
	}
}

int km_preserve_pages(struct km_set *s, const struct km_layout *l, uint64_t pfn, uint64_t nr)
{
	int rc = check_range(l, pfn, nr);

	if (rc)
		return rc;
	if (overlaps_any(s, pfn, nr))
		return -MM_EEXIST;
	for (uint64_t p = pfn; p < pfn + nr;) {
		unsigned o = chunk(l, p, pfn + nr - p);

		add(s, p, o);
		p += UINT64_C(1) << o;
	}
	return 0;
}

int km_unpreserve_pages(struct km_set *s, const struct km_layout *l, uint64_t pfn,
			uint64_t nr)
{
	int rc = check_range(l, pfn, nr);

	if (rc)
		return rc;
	for (uint64_t p = pfn; p < pfn + nr;) {
		unsigned o = chunk(l, p, pfn + nr - p);

		if (find_exact(s, p, o) < 0)
			return -MM_ENOENT;
		p += UINT64_C(1) << o;
	}
	for (uint64_t p = pfn; p < pfn + nr;) {
		unsigned o = chunk(l, p, pfn + nr - p);

		del(s, (size_t)find_exact(s, p, o));
		p += UINT64_C(1) << o;
	}
	return 0;
}

/* ---- the blob: writing ---- */

static void le(uint8_t *out, size_t cap, size_t at, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		if (out && at + i < cap)
			out[at + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rd(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint64_t km_checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;

		for (size_t b = 0; b < 8 && i + b < n; b++)
			w |= (uint64_t)p[i + b] << (8 * b);
		h ^= w;
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

struct word {
	uint64_t key; /* a multiple of 64 */
	uint64_t bits;
};

/* The words of one order's keys, in key order: their count. */
static size_t words_of(const struct km_set *s, unsigned order, struct word **out)
{
	struct word *w = NULL;
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t key;

		if (s->f[i].order != order)
			continue;
		key = s->f[i].pfn >> order;
		/* The set is sorted by pfn within an order: same word or a new one. */
		if (!n || w[n - 1].key != key - key % 64) {
			w = xrealloc(w, (n + 1) * sizeof(*w));
			w[n].key = key - key % 64;
			w[n].bits = 0;
			n++;
		}
		w[n - 1].bits |= UINT64_C(1) << (key % 64);
	}
	*out = w;
	return n;
}

size_t km_encode(const struct km_set *s, const struct km_layout *l, uint8_t *out, size_t cap)
{
	static const char magic[8] = { 'K', 'H', 'O', '-', 'B', 'L', 'O', 'B' };
	size_t at = 32;
	unsigned nsect = 0;

	for (unsigned o = 0; o <= l->max_order; o++) {
		struct word *w;
		size_t nw = words_of(s, o, &w), nruns = 0, nparts = 0, rec;

		if (!nw) {
			fz_free(w);
			continue;
		}
		/* Count first: runs of consecutive full words, and the rest. */
		for (size_t i = 0; i < nw; i++) {
			bool full = w[i].bits == ~UINT64_C(0);

			if (!full)
				nparts++;
			else if (!(i > 0 && w[i - 1].bits == ~UINT64_C(0) && w[i - 1].key + 64 == w[i].key))
				nruns++;
		}
		le(out, cap, at, rd((const uint8_t *)"KHOS", 4), 4);
		le(out, cap, at + 4, o, 4);
		le(out, cap, at + 8, nruns, 8);
		le(out, cap, at + 16, nparts, 8);
		at += 24;
		rec = 0;
		for (size_t i = 0; i < nw; i++) {
			size_t j = i;

			if (w[i].bits != ~UINT64_C(0))
				continue;
			if (i > 0 && w[i - 1].bits == ~UINT64_C(0) && w[i - 1].key + 64 == w[i].key)
				continue; /* inside a run started earlier */
			while (j + 1 < nw && w[j + 1].bits == ~UINT64_C(0) && w[j].key + 64 == w[j + 1].key)
				j++;
			le(out, cap, at + 16 * rec, w[i].key, 8);
			le(out, cap, at + 16 * rec + 8, (j - i + 1) * 64, 8);
			rec++;
		}
		for (size_t i = 0; i < nw; i++) {
			if (w[i].bits == ~UINT64_C(0))
				continue;
			le(out, cap, at + 16 * rec, w[i].key, 8);
			le(out, cap, at + 16 * rec + 8, w[i].bits, 8);
			rec++;
		}
		at += 16 * rec;
		nsect++;
		fz_free(w);
	}
	if (out && cap >= 32)
		memcpy(out, magic, 8);
	le(out, cap, 8, 1, 4);
	le(out, cap, 12, l->page_shift, 4);
	le(out, cap, 16, nsect, 4);
	le(out, cap, 20, 0, 4);
	le(out, cap, 24, at + 8, 8);
	if (out && cap >= at + 8)
		le(out, cap, at, km_checksum(out, at), 8);
	return at + 8;
}

/* ---- the blob: reading ---- */

/* Is byte range [b, e) wholly inside the memory of l? */
static bool in_memory(const struct km_layout *l, uint64_t b, uint64_t e)
{
	while (b < e) {
		size_t i;

		for (i = 0; i < l->nmem; i++)
			if (l->mem[i].start <= b && b < l->mem[i].end)
				break;
		if (i == l->nmem)
			return false;
		b = l->mem[i].end;
	}
	return true;
}

static bool in_reserved(const struct km_layout *l, uint64_t b, uint64_t e)
{
	for (size_t i = 0; i < l->nres; i++)
		if (l->res[i].start < e && b < l->res[i].end)
			return true;
	return false;
}

#define BAD(msg)                                                                 \
	do {                                                                     \
		*why = (msg);                                                    \
		goto bad;                                                        \
	} while (0)

bool km_decode(const uint8_t *p, size_t len, const struct km_layout *l, struct km_set *out,
	       const char **why)
{
	size_t pos = 32, body;
	uint64_t nsect, span = l->end - l->start;
	int prev_order = -1;
	uint8_t *map = NULL;

	km_set_clear(out);
	if (len < 40)
		BAD("shorter than a header and a checksum");
	body = len - 8;
	if (memcmp(p, "KHO-BLOB", 8))
		BAD("bad magic");
	if (rd(p + 8, 4) != 1)
		BAD("bad version");
	if (rd(p + 12, 4) != l->page_shift)
		BAD("another page size");
	if (rd(p + 20, 4) != 0)
		BAD("flags set");
	if (rd(p + 24, 8) != len)
		BAD("total_len is not the length");
	if (rd(p + body, 8) != km_checksum(p, body))
		BAD("bad checksum");
	nsect = rd(p + 16, 4);
	for (uint64_t sct = 0; sct < nsect; sct++) {
		uint64_t nruns, nwords, left, klo, khi;
		unsigned order;
		const uint8_t *runs;

		if (body - pos < 24)
			BAD("section header past the end");
		if (memcmp(p + pos, "KHOS", 4))
			BAD("bad section tag");
		order = (unsigned)rd(p + pos + 4, 4);
		if ((int64_t)order <= prev_order)
			BAD("sections out of order");
		if (order > l->max_order)
			BAD("order above max_order");
		prev_order = (int)order;
		nruns = rd(p + pos + 8, 8);
		nwords = rd(p + pos + 16, 8);
		pos += 24;
		left = (body - pos) / 16;
		if (nruns > left || nwords > left - nruns)
			BAD("record counts run past the end");
		if (nruns + nwords == 0)
			BAD("empty section");
		klo = (l->start + (UINT64_C(1) << order) - 1) >> order;
		khi = l->end >> order;
		runs = p + pos;
		for (uint64_t r = 0; r < nruns; r++) {
			uint64_t key = rd(p + pos, 8), count = rd(p + pos + 8, 8);

			pos += 16;
			if (key % 64 || count % 64 || count == 0)
				BAD("run not of whole words");
			if (r > 0 && key <= rd(p + pos - 32, 8) + rd(p + pos - 24, 8))
				BAD("runs out of order, overlapping or touching");
			if (key < klo || key >= khi || count > khi - key)
				BAD("run outside the span");
			for (uint64_t k = key; k < key + count; k++)
				add(out, k << order, order);
		}
		for (uint64_t wd = 0; wd < nwords; wd++) {
			uint64_t key = rd(p + pos, 8), bits = rd(p + pos + 8, 8);

			pos += 16;
			if (key % 64 || bits == 0 || bits == ~UINT64_C(0))
				BAD("word not partial or not aligned");
			if (wd > 0 && key <= rd(p + pos - 32, 8))
				BAD("words out of order");
			for (uint64_t r = 0; r < nruns; r++) {
				uint64_t rk = rd(runs + 16 * r, 8), rc = rd(runs + 16 * r + 8, 8);

				if (rk <= key && key < rk + rc)
					BAD("word inside a run");
			}
			for (unsigned b = 0; b < 64; b++) {
				if (!(bits >> b & 1))
					continue;
				if (key + b < klo || key + b >= khi)
					BAD("word outside the span");
				add(out, (key + b) << order, order);
			}
		}
	}
	if (pos != body)
		BAD("bytes after the last section");
	/* Page by page: no page twice, every page memory, none reserved. */
	map = fz_calloc(span ? span : 1, 1);
	for (size_t i = 0; i < out->n; i++) {
		for (uint64_t q = 0; q < (UINT64_C(1) << out->f[i].order); q++) {
			uint64_t pfn = out->f[i].pfn + q;

			if (map[pfn - l->start])
				BAD("two folios share a page");
			map[pfn - l->start] = 1;
			if (!in_memory(l, pfn << l->page_shift, (pfn + 1) << l->page_shift))
				BAD("a page outside memory");
			if (in_reserved(l, pfn << l->page_shift, (pfn + 1) << l->page_shift))
				BAD("a page in a reserved range");
		}
	}
	fz_free(map);
	*why = NULL;
	return true;
bad:
	fz_free(map);
	km_set_clear(out);
	return false;
}

/* ---- ranges ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t km_runs(const struct km_set *s, struct km_range *out, size_t cap)
{
	uint64_t *pages;
	struct km_range *runs;
	size_t np = 0, n = 0;

	for (size_t i = 0; i < s->n; i++)
		np += (size_t)1 << s->f[i].order;
	pages = xrealloc(NULL, np * sizeof(*pages));
	runs = xrealloc(NULL, np * sizeof(*runs));
	np = 0;
	for (size_t i = 0; i < s->n; i++)
		for (uint64_t q = 0; q < (UINT64_C(1) << s->f[i].order); q++)
			pages[np++] = s->f[i].pfn + q;
	if (np)
		qsort(pages, np, sizeof(*pages), cmp_u64);
	for (size_t i = 0; i < np; i++) {
		if (n && pages[i] == runs[n - 1].end) {
			runs[n - 1].end++;
			continue;
		}
		runs[n++] = (struct km_range){ pages[i], pages[i] + 1 };
	}
	if (n)
		memcpy(out, runs, (n < cap ? n : cap) * sizeof(*runs));
	fz_free(pages);
	fz_free(runs);
	return n;
}

size_t km_union(const struct km_range *a, size_t na, const struct km_range *b, size_t nb,
		struct km_range *out, size_t cap)
{
	struct km_range *all = xrealloc(NULL, (na + nb) * sizeof(*all));
	size_t n = 0, m = 0;

	for (size_t i = 0; i < na; i++)
		if (a[i].start < a[i].end)
			all[m++] = a[i];
	for (size_t i = 0; i < nb; i++)
		if (b[i].start < b[i].end)
			all[m++] = b[i];
	/* Insertion sort by start (short lists), then merge in place. */
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0 && all[j].start < all[j - 1].start; j--) {
			struct km_range t = all[j];

			all[j] = all[j - 1];
			all[j - 1] = t;
		}
	for (size_t i = 0; i < m; i++) {
		if (n && all[i].start <= all[n - 1].end) {
			if (all[i].end > all[n - 1].end)
				all[n - 1].end = all[i].end;
			continue;
		}
		all[n++] = all[i];
	}
	if (n)
		memcpy(out, all, (n < cap ? n : cap) * sizeof(*all));
	fz_free(all);
	return n;
}
