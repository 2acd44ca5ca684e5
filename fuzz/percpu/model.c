/* SPDX-License-Identifier: MIT */
/*
 * model.c - the naive per-CPU allocator model (see model.h).
 *
 * Written from the contract in lib/percpu.h, not from lib/percpu.c: no
 * bitmaps with hints, no slot lists. A chunk is a painted array of
 * granules; the lowest fit and the largest free run are found by walking
 * it (memchr from one edge of a run to the next). Next to the painted
 * array, plain counts kept as it is painted: the granules held on each
 * page (and the pages with any), the objects in each chunk, the longest
 * free run (rewalked after every paint). A chunk whose longest run is
 * shorter than a request has no fit for it and is not walked. The
 * implementation chooses where chunks go (their vmalloc addresses); the
 * model learns a chunk when the implementation makes one and checks that
 * it had to.
 *
 * The model takes its memory from the harness's pool (fz_malloc) and aborts
 * when the host runs out: that is never a behaviour under test.
 */
#include "model.h"
#include "fz.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm.h"

#define GRANULE 4

struct pm_chunk {
	uint64_t base;
	uint8_t *used; /* per granule of a unit: 1 while a live object holds it */
	uint32_t *page_used; /* per page of a unit: its granules that are used */
	unsigned nobjects;   /* live objects in the chunk */
	uint64_t largest; /* the longest run of free granules, rescanned on change */
	int64_t fit;   /* first fit, during one alloc: the lowest fit, or -1 */
	unsigned slot; /* ... and the chunk's slot */
};

struct pm {
	unsigned nr_cpus, nr_slots;
	bool best_fit;
	uint64_t unit_bytes, page, granules, page_granules;
	struct pm_chunk *chunks; /* sorted by base */
	unsigned nchunks, chunk_cap;
	struct pm_object *objects;
	unsigned nobjects, object_cap;
	uint64_t covered; /* pages (of one unit) with a used granule, all chunks */
};

static void *grow(void *p, unsigned *cap, size_t elem)
{
	unsigned n = *cap ? *cap * 2 : 16;

	p = fz_realloc(p, (size_t)n * elem);
	*cap = n;
	return p;
}

static unsigned log2_floor(uint64_t v)
{
	unsigned l = 0;

	while (v >>= 1)
		l++;
	return l;
}

struct pm *pm_create(unsigned nr_cpus, uint64_t unit_bytes, uint64_t page, bool best_fit)
{
	struct pm *m = fz_calloc(1, sizeof(*m));

	m->nr_cpus = nr_cpus;
	m->best_fit = best_fit;
	m->unit_bytes = unit_bytes;
	m->page = page;
	m->granules = unit_bytes / GRANULE;
	m->page_granules = page / GRANULE;
	/* The contract's slots: 0 (no free run), 1 + floor(log2(run)) for a
	 * run of up to a unit, and one more for chunks without objects. */
	m->nr_slots = log2_floor(unit_bytes) + 3;
	return m;
}

void pm_destroy(struct pm *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->nchunks; i++) {
		fz_free(m->chunks[i].used);
		fz_free(m->chunks[i].page_used);
	}
	fz_free(m->chunks);
	fz_free(m->objects);
	fz_free(m);
}

/* ---- chunk questions, by walking the painted map ---- */

static unsigned objects_in(const struct pm *m, unsigned ci)
{
	return m->chunks[ci].nobjects;
}

/* The first granule from g on that is v (0 free, 1 used), or the end. */
static uint64_t next_is(const struct pm *m, const uint8_t *u, uint64_t g, uint8_t v)
{
	const uint8_t *p = g < m->granules ? memchr(u + g, v, (size_t)(m->granules - g)) : NULL;

	return p ? (uint64_t)(p - u) : m->granules;
}

/* The first free run [*s, *e) from granule g on: false when there is none.
 * Every run, lowest first: for (s, e = 0; free_run(m, u, e, &s, &e);). */
static bool free_run(const struct pm *m, const uint8_t *u, uint64_t g, uint64_t *s, uint64_t *e)
{
	*s = next_is(m, u, g, 0);
	if (*s == m->granules)
		return false;
	*e = next_is(m, u, *s, 1);
	return true;
}

/* The lowest granule offset of an aligned free run of bits, or -1. */
static int64_t lowest_fit(const struct pm *m, unsigned ci, uint64_t bits, uint64_t align)
{
	const uint8_t *u = m->chunks[ci].used;

	if (m->chunks[ci].largest < bits)
		return -1; /* no run is long enough */
	for (uint64_t s, e = 0; free_run(m, u, e, &s, &e);) {
		uint64_t a = (s + align - 1) / align * align;

		if (a < e && e - a >= bits)
			return (int64_t)a;
	}
	return -1;
}

static uint64_t scan_largest_run(const struct pm *m, unsigned ci)
{
	const uint8_t *u = m->chunks[ci].used;
	uint64_t best = 0;

	for (uint64_t s, e = 0; free_run(m, u, e, &s, &e);)
		if (e - s > best)
			best = e - s;
	return best;
}

static uint64_t largest_run(const struct pm *m, unsigned ci)
{
	return m->chunks[ci].largest;
}

static unsigned slot_of(const struct pm *m, unsigned ci)
{
	uint64_t run;

	if (!objects_in(m, ci))
		return m->nr_slots - 1;
	run = largest_run(m, ci);
	return run ? 1 + log2_floor(run * GRANULE) : 0;
}

bool pm_page_covered(const struct pm *m, unsigned ci, uint64_t p)
{
	return m->chunks[ci].page_used[p] != 0;
}

/* Pages buddy must give to place bits at off in chunk ci: the ones no
 * object covers yet, in every unit. */
static uint64_t pages_needed(const struct pm *m, unsigned ci, uint64_t off, uint64_t bits)
{
	uint64_t n = 0;

	for (uint64_t p = off / m->page_granules; p <= (off + bits - 1) / m->page_granules; p++)
		n += ci == m->nchunks || !pm_page_covered(m, ci, p);
	return n * m->nr_cpus;
}

/* Paint [off, off + bits) used (v = 1) or free (v = 0), counting the
 * granules on each page it touches. */
static void paint(struct pm *m, unsigned ci, uint64_t off, uint64_t bits, uint8_t v)
{
	struct pm_chunk *c = &m->chunks[ci];

	memset(c->used + off, v, (size_t)bits);
	for (uint64_t g = off, end = off + bits, n; g < end; g += n) {
		uint64_t p = g / m->page_granules;

		n = (p + 1) * m->page_granules - g;
		if (n > end - g)
			n = end - g;
		if (v) {
			m->covered += !c->page_used[p];
			c->page_used[p] += (uint32_t)n;
		} else {
			c->page_used[p] -= (uint32_t)n;
			m->covered -= !c->page_used[p];
		}
	}
	c->largest = scan_largest_run(m, ci);
}

/* ---- operations ---- */

static void add_object(struct pm *m, unsigned ci, uint64_t off, uint64_t bits, uint64_t tag)
{
	if (m->nobjects == m->object_cap)
		m->objects = grow(m->objects, &m->object_cap, sizeof(*m->objects));
	m->objects[m->nobjects++] = (struct pm_object){ m->chunks[ci].base + off * GRANULE,
							 bits * GRANULE, tag };
	m->chunks[ci].nobjects++;
	paint(m, ci, off, bits, 1);
}

/* A new chunk at base, if it overlaps none: its index, else -1. */
static int add_chunk(struct pm *m, uint64_t base)
{
	uint64_t span = m->unit_bytes * m->nr_cpus;
	unsigned at = 0;

	if (base % m->page)
		return -1;
	while (at < m->nchunks && m->chunks[at].base < base)
		at++;
	if ((at > 0 && m->chunks[at - 1].base + span > base) ||
	    (at < m->nchunks && base + span > m->chunks[at].base))
		return -1;
	if (m->nchunks == m->chunk_cap)
		m->chunks = grow(m->chunks, &m->chunk_cap, sizeof(*m->chunks));
	memmove(&m->chunks[at + 1], &m->chunks[at], (m->nchunks - at) * sizeof(*m->chunks));
	m->chunks[at].base = base;
	m->chunks[at].used = fz_calloc((size_t)m->granules, 1);
	m->chunks[at].page_used = fz_calloc((size_t)(m->granules / m->page_granules),
					 sizeof(*m->chunks[at].page_used));
	m->chunks[at].nobjects = 0;
	m->chunks[at].largest = m->granules;
	m->nchunks++;
	return (int)at;
}

static void drop_chunk(struct pm *m, unsigned ci)
{
	fz_free(m->chunks[ci].used);
	fz_free(m->chunks[ci].page_used);
	memmove(&m->chunks[ci], &m->chunks[ci + 1], (m->nchunks - ci - 1) * sizeof(*m->chunks));
	m->nchunks--;
}

int pm_alloc(struct pm *m, uint64_t size, uint64_t align, int impl_rc, uint64_t impl_ptr,
	     uint64_t free_pages, uint64_t tag, uint64_t *ptr)
{
	uint64_t bits, abits;
	unsigned best = UINT32_MAX, first = 0;
	int64_t fit;
	int ci;

	if (!size || size > m->unit_bytes || !align || (align & (align - 1)) || align > m->page)
		return -MM_EINVAL;
	bits = (size + GRANULE - 1) / GRANULE;
	abits = align > GRANULE ? align / GRANULE : 1;

	if (m->best_fit) {
		/* The smallest free run with an aligned fit, the lowest address
		 * among equals: every run of every chunk, compared. */
		uint64_t best_len = 0, best_off = 0;
		int best_ci = -1;

		for (unsigned i = 0; i < m->nchunks; i++) {
			const uint8_t *u = m->chunks[i].used;

			if (m->chunks[i].largest < bits)
				continue; /* no run is long enough */
			for (uint64_t s, e = 0; free_run(m, u, e, &s, &e);) {
				uint64_t a = (s + abits - 1) / abits * abits;

				if (a < e && e - a >= bits && (best_ci < 0 || e - s < best_len)) {
					best_ci = (int)i;
					best_len = e - s;
					best_off = a;
				}
			}
		}
		if (best_ci >= 0) {
			if (pages_needed(m, (unsigned)best_ci, best_off, bits) > free_pages)
				return -MM_ENOMEM;
			*ptr = m->chunks[best_ci].base + best_off * GRANULE;
			if (impl_rc == 0 && impl_ptr == *ptr)
				add_object(m, (unsigned)best_ci, best_off, bits, tag);
			return 0;
		}
		goto new_chunk;
	}

	/* First fit: the lowest slot holding a chunk with a fit. */
	for (unsigned i = 0; i < m->nchunks; i++) {
		struct pm_chunk *c = &m->chunks[i];

		c->fit = lowest_fit(m, i, bits, abits);
		c->slot = slot_of(m, i);
		if (c->fit >= 0 && c->slot < best) {
			best = c->slot;
			first = i;
		}
	}
	if (best != UINT32_MAX) {
		/* Any chunk of that slot with a fit, at its lowest fit. */
		for (unsigned i = 0; i < m->nchunks; i++) {
			if ((fit = m->chunks[i].fit) < 0 || m->chunks[i].slot != best)
				continue;
			if (impl_rc == 0 && impl_ptr == m->chunks[i].base + (uint64_t)fit * GRANULE) {
				add_object(m, i, (uint64_t)fit, bits, tag);
				*ptr = impl_ptr;
				return 0;
			}
			if (impl_rc == -MM_ENOMEM && pages_needed(m, i, (uint64_t)fit, bits) > free_pages)
				return -MM_ENOMEM;
		}
		*ptr = m->chunks[first].base + (uint64_t)m->chunks[first].fit * GRANULE;
		return 0;
	}

	/* No chunk fits: a new one, with the object at its start. */
new_chunk:
	if (pages_needed(m, m->nchunks, 0, bits) > free_pages)
		return -MM_ENOMEM;
	if (impl_rc == 0 && (ci = add_chunk(m, impl_ptr)) >= 0) {
		add_object(m, (unsigned)ci, 0, bits, tag);
		*ptr = impl_ptr;
		return 0;
	}
	/* Not allowed (no new chunk, or one over another): name it as an
	 * address that cannot be the implementation's. */
	*ptr = impl_rc == 0 ? impl_ptr ^ 1 : 0;
	return 0;
}

int pm_free(struct pm *m, uint64_t ptr, bool *gone, uint64_t *gone_base)
{
	unsigned ci;

	if (gone)
		*gone = false;
	for (unsigned i = 0; i < m->nobjects; i++) {
		struct pm_object *o = &m->objects[i];

		if (o->ptr != ptr)
			continue;
		for (ci = 0; ci < m->nchunks; ci++)
			if (ptr >= m->chunks[ci].base && ptr - m->chunks[ci].base < m->unit_bytes)
				break;
		if (ci == m->nchunks)
			abort(); /* an object outside every chunk: the model is broken */
		paint(m, ci, (ptr - m->chunks[ci].base) / GRANULE, o->bytes / GRANULE, 0);
		m->chunks[ci].nobjects--;
		*o = m->objects[--m->nobjects];
		/* A chunk left without objects goes when another has none. */
		if (!objects_in(m, ci) && pm_empty_chunks(m) > 1) {
			if (gone)
				*gone = true;
			if (gone_base)
				*gone_base = m->chunks[ci].base;
			drop_chunk(m, ci);
		}
		return 0;
	}
	return -MM_ENOENT;
}

int pm_ptr(const struct pm *m, uint64_t ptr, unsigned cpu, uint64_t *addr)
{
	if (cpu >= m->nr_cpus)
		return -MM_EINVAL;
	for (unsigned i = 0; i < m->nobjects; i++)
		if (ptr >= m->objects[i].ptr && ptr - m->objects[i].ptr < m->objects[i].bytes) {
			*addr = ptr + cpu * m->unit_bytes;
			return 0;
		}
	return -MM_ENOENT;
}

/* ---- state ---- */

unsigned pm_nr_objects(const struct pm *m)
{
	return m->nobjects;
}

const struct pm_object *pm_object(const struct pm *m, unsigned i)
{
	return &m->objects[i];
}

unsigned pm_nr_chunks(const struct pm *m)
{
	return m->nchunks;
}

void pm_chunk(const struct pm *m, unsigned i, uint64_t *base, unsigned *slot)
{
	*base = m->chunks[i].base;
	*slot = slot_of(m, i);
}

uint64_t pm_live_bytes(const struct pm *m)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < m->nobjects; i++)
		n += m->objects[i].bytes;
	return n;
}

uint64_t pm_covered_pages(const struct pm *m)
{
	return m->covered;
}

unsigned pm_empty_chunks(const struct pm *m)
{
	unsigned n = 0;

	for (unsigned ci = 0; ci < m->nchunks; ci++)
		n += !objects_in(m, ci);
	return n;
}
