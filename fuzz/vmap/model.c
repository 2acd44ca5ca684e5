/* SPDX-License-Identifier: MIT */
/*
 * model.c - the naive vmap model (see model.h, spec/vmap.md and the Contract
 * in lib/vmap.h).
 *
 * The whole range [vstart, vend) is one sorted array of intervals, each
 * FREE, BUSY or LAZY, covering the range exactly with no gap and no overlap.
 * Every BUSY or LAZY interval is one allocation and is never merged with
 * another; touching FREE intervals are merged after every change, so the
 * FREE intervals are always the maximal free runs the allocator reports.
 * Every question is a linear scan: inputs are a few hundred ops, and being
 * obviously right matters more than being fast.
 *
 * Written without looking at lib/vmap.c on purpose: a model that shares the
 * implementation's reasoning shares its bugs.
 *
 * The model takes its memory from the harness's pool (fz_malloc), never from
 * the layers' bookkeeping allocator, and aborts when the host runs out: a
 * model failure is not a behaviour under test, and must never be mistaken
 * for an -MM_ENOMEM of the implementation.
 */
#include "model.h"
#include "fz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct iv {
	uint64_t start, end; /* [start, end), start < end */
	enum vmap_kind kind;
};

struct vm_model {
	uint64_t vstart, vend;
	uint64_t page_size;
	uint64_t lazy_max_pages;
	uint64_t lazy_pages; /* pages in LAZY intervals */
	struct iv *v;        /* sorted by start, covering [vstart, vend) */
	size_t n, cap;
};

/* ---- the interval array ---- */

static void reserve(struct vm_model *m, size_t want)
{
	size_t cap;
	void *p;

	if (want <= m->cap)
		return;
	cap = m->cap ? m->cap : 16;
	while (cap < want) {
		if (cap > SIZE_MAX / 2)
			abort();
		cap *= 2;
	}
	if (cap > SIZE_MAX / sizeof(*m->v))
		abort();
	p = fz_realloc(m->v, cap * sizeof(*m->v));
	m->v = p;
	m->cap = cap;
}

/* Replace v[i] by the k pieces (k >= 1), in order. The caller guarantees
 * the pieces cover exactly what v[i] covered. */
static void replace(struct vm_model *m, size_t i, const struct iv *pieces, size_t k)
{
	reserve(m, m->n + k - 1);
	memmove(&m->v[i + k], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
	memcpy(&m->v[i], pieces, k * sizeof(*pieces));
	m->n += k - 1;
}

/*
 * Merge every run of touching FREE intervals into one, then check the
 * model's own invariants. If they break, the model is wrong and nothing it
 * predicts can be trusted, so abort loudly rather than report a
 * "mismatch" that is the model's fault.
 */
static void normalize(struct vm_model *m)
{
	size_t out = 0;
	uint64_t lazy = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct iv c = m->v[i];

		if (c.start >= c.end)
			abort();
		if (out && m->v[out - 1].kind == VMAP_FREE && c.kind == VMAP_FREE) {
			m->v[out - 1].end = c.end;
			continue;
		}
		m->v[out++] = c;
	}
	m->n = out;

	if (m->n == 0 || m->v[0].start != m->vstart || m->v[m->n - 1].end != m->vend)
		abort();
	for (size_t i = 0; i < m->n; i++) {
		if (i && m->v[i - 1].end != m->v[i].start)
			abort();
		if (m->v[i].kind == VMAP_LAZY)
			lazy += (m->v[i].end - m->v[i].start) / m->page_size;
	}
	if (lazy != m->lazy_pages)
		abort();
}

/* Index of the BUSY interval starting exactly at addr, or m->n. */
static size_t busy_at(const struct vm_model *m, uint64_t addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].start == addr && m->v[i].kind == VMAP_BUSY)
			return i;
	return m->n;
}

/* ---- life cycle ---- */

struct vm_model *vmm_create(uint64_t vstart, uint64_t vend, uint64_t page_size,
			    uint64_t lazy_max_pages)
{
	struct vm_model *m;

	/* Same default as struct vmap_config: 0 means 4096. */
	if (page_size == 0)
		page_size = 4096;
	/* Only configs the header allows; anything else is the target's bug,
	 * reported as NULL rather than modelled. */
	if (!mm_is_pow2(page_size) || vstart >= vend || vstart % page_size || vend % page_size)
		return NULL;

	m = fz_calloc(1, sizeof(*m));
	m->vstart = vstart;
	m->vend = vend;
	m->page_size = page_size;
	m->lazy_max_pages = lazy_max_pages;
	m->lazy_pages = 0;
	reserve(m, 1);
	m->v[0] = (struct iv){ .start = vstart, .end = vend, .kind = VMAP_FREE };
	m->n = 1;
	normalize(m);
	return m;
}

void vmm_destroy(struct vm_model *m)
{
	if (!m)
		return;
	fz_free(m->v);
	fz_free(m);
}

/* ---- operations ---- */

void vmm_purge(struct vm_model *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind == VMAP_LAZY)
			m->v[i].kind = VMAP_FREE;
	m->lazy_pages = 0;
	normalize(m);
}

/*
 * The lowest fit, by a scan of the FREE intervals in address order. Free
 * intervals are maximal, so "[a, a + size) inside one free area" is the same
 * as inside one FREE interval here. Within one interval the lowest candidate
 * is the first multiple of align at or above max(start, lo); if that one does
 * not fit, no higher one in the same interval does either. On success *idx
 * is the interval and *addr the address.
 */
static bool find_fit(const struct vm_model *m, uint64_t size, uint64_t align, uint64_t lo,
		     uint64_t hi, size_t *idx, uint64_t *addr)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct iv *c = &m->v[i];
		uint64_t a, lim;

		if (c->kind != VMAP_FREE)
			continue;
		/* Rounding up near 2^64 can overflow: then no aligned address
		 * at or above the base exists at all in this interval. */
		if (!mm_round_up(mm_max(c->start, lo), align, &a))
			continue;
		lim = mm_min(c->end, hi);
		/* a + size <= lim, written so that nothing overflows. */
		if (a <= lim && size <= lim - a) {
			*idx = i;
			*addr = a;
			return true;
		}
	}
	return false;
}

int vmm_alloc(struct vm_model *m, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	      uint64_t *addr)
{
	struct iv pieces[3];
	size_t i, k = 0;
	uint64_t a;

	/* The argument checks of the Contract. They all give -MM_EINVAL, so
	 * their order is not observable; kept in the Contract's order anyway.
	 * align 0 passes the multiple-of-page check but is not a power of
	 * two, so it is rejected. */
	if (size == 0 || size % m->page_size)
		return -MM_EINVAL;
	if (align % m->page_size || !mm_is_pow2(align))
		return -MM_EINVAL;
	if (lo >= hi || lo < m->vstart || hi > m->vend)
		return -MM_EINVAL;

	if (!find_fit(m, size, align, lo, hi, &i, &a)) {
		/* Purge and retry only when something waits: with no LAZY
		 * interval a purge would change nothing anyway. */
		if (m->lazy_pages == 0)
			return -MM_ENOMEM;
		vmm_purge(m);
		if (!find_fit(m, size, align, lo, hi, &i, &a))
			return -MM_ENOMEM;
	}

	/* Split the free interval into what is left of it on each side (if
	 * anything) and the new busy interval: covers FL, LE, RE and NE. */
	if (m->v[i].start < a)
		pieces[k++] = (struct iv){ m->v[i].start, a, VMAP_FREE };
	pieces[k++] = (struct iv){ a, a + size, VMAP_BUSY };
	if (a + size < m->v[i].end)
		pieces[k++] = (struct iv){ a + size, m->v[i].end, VMAP_FREE };
	replace(m, i, pieces, k);
	normalize(m);
	*addr = a;
	return 0;
}

int vmm_free(struct vm_model *m, uint64_t addr)
{
	size_t i = busy_at(m, addr);

	if (i == m->n)
		return -MM_ENOENT;
	m->v[i].kind = VMAP_FREE;
	normalize(m); /* merges with a free left and/or right neighbour */
	return 0;
}

int vmm_free_lazy(struct vm_model *m, uint64_t addr)
{
	size_t i = busy_at(m, addr);

	if (i == m->n)
		return -MM_ENOENT;
	m->v[i].kind = VMAP_LAZY;
	/* Cannot overflow: the pages of disjoint intervals inside a 64-bit
	 * range, each at least one page. */
	m->lazy_pages += (m->v[i].end - m->v[i].start) / m->page_size;
	normalize(m);
	/* "Exceed" is strict: exactly lazy_max_pages waiting is no purge. */
	if (m->lazy_pages > m->lazy_max_pages)
		vmm_purge(m);
	return 0;
}

int vmm_find(const struct vm_model *m, uint64_t addr, uint64_t *start, uint64_t *size)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct iv *c = &m->v[i];

		/* Only BUSY: a lazily freed area is no longer the caller's. */
		if (c->kind == VMAP_BUSY && c->start <= addr && addr < c->end) {
			*start = c->start;
			*size = c->end - c->start;
			return 0;
		}
	}
	return -MM_ENOENT;
}

uint64_t vmm_lazy_pages(const struct vm_model *m)
{
	return m->lazy_pages;
}

size_t vmm_areas(const struct vm_model *m, enum vmap_kind kind, uint64_t *start,
		 uint64_t *end, size_t cap)
{
	size_t total = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].kind != kind)
			continue;
		if (total < cap) {
			start[total] = m->v[i].start;
			end[total] = m->v[i].end;
		}
		total++;
	}
	return total;
}
