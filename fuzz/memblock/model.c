/* SPDX-License-Identifier: MIT */
/*
 * model.c - the naive memblock model (see model.h and spec/memblock.md).
 *
 * Each type is a list of painted intervals: every address is either not in
 * the type, or in exactly one interval carrying its (nid, flags). Every
 * mutating op repaints by brute force: it cuts the address space at every
 * interval boundary and at the edges of the op's range, decides the new
 * state of each elementary piece on its own, and rebuilds the list. The list
 * is then brought to canonical form (sorted, touching pieces with equal
 * (nid, flags) coalesced), which is what the implementation must hold too.
 *
 * Nothing here tries to be clever; inputs are a few hundred ops, so O(n^2)
 * per op is fine. What keeps it cheap is bookkeeping only: the working
 * arrays of an op are kept in the model and reused, the sorts are insertion
 * sorts of nearly sorted points, and a generation count says when a list
 * changed. The model takes its memory from the harness's pool (fz_malloc),
 * never from the layers' bookkeeping allocator, and aborts when the host
 * runs out: a model failure is not a behaviour under test, and must never
 * be mistaken for an -MM_ENOMEM of the implementation.
 */
#include "model.h"
#include "fz.h"

#include <stdlib.h>
#include <string.h>

/*
 * ---- the kernel profile ----
 *
 * With cfg.kernel the model predicts a kernel's mm/memblock.c (built by
 * fuzz/memblock/kernel/ from a kernel tree, behind shim.c's argument
 * checks). Each deliberate difference from mmstack is stated here, once,
 * and the code below reads only these names. Anything else the kernel does
 * differently is a finding (docs/kernel-findings.md).
 */
struct profile {
	/* Node of a plain memblock_add() / memblock_reserve(). mmstack:
	 * NUMA_NO_NODE. The kernel passes MAX_NUMNODES, which it also accepts
	 * as "no node" when searching: so a plain add and add_node(-1) that
	 * touch stay two regions there. */
	int plain_nid;
	/* What align 0 means. mmstack: MEMBLOCK_DEFAULT_ALIGN. The kernel:
	 * SMP_CACHE_BYTES, the cache line of the build (tools/include: 32). */
	uint64_t default_align;
	/* Allocations of size 0. mmstack: -EINVAL (nothing to allocate is a
	 * caller bug). The kernel does not check: it searches as for any size
	 * and returns the place found, reserving nothing (a reserve of 0). */
	bool zero_size_alloc;
	/* An end of MEMBLOCK_ALLOC_NOLEAKTRACE (1) means the current limit, as
	 * ACCESSIBLE (0) does: a kernel-internal marker for kmemleak. mmstack
	 * has no kmemleak: 1 is just an end below every window. */
	bool end_1_is_limit;
	/* memblock_mark_mirror() without kernelcore=mirror. mmstack records the
	 * flag (it is a fact about the memory). The kernel drops the call: the
	 * flag only exists to steer allocations. */
	bool mark_mirror_needs_kernelcore;
	/* What turns the mirror preference on, given kernelcore=mirror.
	 * mmstack: the switch alone. The kernel: the switch and a first
	 * memblock_mark_mirror() call (firmware reporting mirrored memory);
	 * MIRROR regions made by add_node(flags) alone are not preferred. */
	bool mirror_needs_mark;
	/* is_region_reserved(base, 0). mmstack: an empty range overlaps
	 * nothing, false. The kernel applies its overlap test as is, which for
	 * size 0 is true when base lies strictly inside a reserved region (at
	 * a region's first byte: false). */
	bool empty_range_overlaps_inside;
	/* A free-range walk for a nid outside [0, MAX_NUMNODES) (other than
	 * NUMA_NO_NODE). mmstack: that node's ranges, none. The kernel treats
	 * every nid that is not a valid node as "any node". */
	bool bad_nid_walks_all;
	/* Region arrays that grow inside memblock's own memory (the kernel
	 * after memblock_allow_resize()). mmstack's arrays are bookkeeping
	 * outside the ranges it manages, invisible in them. The kernel starts
	 * with init_cap regions per type and doubles an array before an op
	 * that could overflow it: an add when cnt + (uncovered pieces of the
	 * range) > max (unless cnt * 2 + 1 <= max, or the array is empty);
	 * a remove / flag / set_node of a non-empty range when cnt + 2 > max.
	 * The new array, PAGE_ALIGN(2 * max * 24) bytes, goes at the place an
	 * allocation of that size aligned to a page would take (any node, any
	 * address below the current limit; for the reserved array outside the
	 * op's range first, then below it), the old one, unless it is the
	 * initial one, is freed, and the new one reserved. No room: -ENOMEM
	 * from the op, which changes nothing.
	 * mmstack with self_hosted_arrays, after memblock_allow_resize(), does
	 * the same placement, freeing and reserving (hosted_* below), with
	 * its own rules for when and by how much: an op grows only when it
	 * changes the type, an insert needs a slot per uncovered part and the
	 * others two, an array jumps to the doubling that holds the op in one
	 * move, and the window below the range is taken as it is (an end of 0
	 * is empty; the kernel reads it as the current limit, finding 5). */
	bool hosted_growth;
	size_t init_cap;
	/* alloc_try_nid / alloc_exact_nid when the block found cannot be
	 * reserved (no room for a grown array). mmstack: -ENOMEM at once, a
	 * failed reserve is not a "no fit". The kernel's
	 * memblock_alloc_internal() retries with min_addr 0 all the same. */
	bool retry_after_failed_reserve;
};

static const struct profile profile_mmstack = {
	.plain_nid = NUMA_NO_NODE,
	.default_align = MEMBLOCK_DEFAULT_ALIGN,
};

static const struct profile profile_kernel = {
	.plain_nid = MEMBLOCK_MAX_NUMNODES, /* the build's MAX_NUMNODES (NODES_SHIFT 6) */
	.default_align = 32,
	.zero_size_alloc = true,
	.end_1_is_limit = true,
	.mark_mirror_needs_kernelcore = true,
	.mirror_needs_mark = true,
	.empty_range_overlaps_inside = true,
	.bad_nid_walks_all = true,
	.hosted_growth = true,
	.retry_after_failed_reserve = true,
	/* INIT_MEMBLOCK_{MEMORY,RESERVED}_REGIONS of fuzz/meson.build's kernel
	 * build (the kernel's default is 128): small, so that short inputs
	 * grow the arrays, as memory_cap does for mmstack. */
	.init_cap = 8,
};

/* One painted interval [start, end), start < end. */
struct span {
	uint64_t start;
	uint64_t end;
	int nid;
	uint32_t flags;
};

struct spans {
	struct span *v;
	size_t n;
	size_t cap;
};

/*
 * Working storage the ops reuse instead of allocating afresh every call:
 * the cut points of a repaint or a free-range walk, the list a repaint
 * builds (then swapped with the one it replaces), the copy would_change
 * repaints, and the free ranges of a search. Contents do not outlive the
 * call that fills them.
 */
struct scratch {
	uint64_t *pts;
	size_t pts_cap;
	struct spans next;
	struct spans trial;
	struct spans free;
};

struct mbm {
	/* Indexed by MEMBLOCK_MEMORY / MEMBLOCK_RESERVED; always canonical
	 * between calls. */
	struct spans type[2];
	uint64_t limit;
	bool bottom_up;
	const struct profile *pf;
	bool mirrored_kernelcore;
	bool mirror_marked; /* memblock_mark_mirror() ran with kernelcore=mirror */
	/* hosted_growth: capacity of each array, and where a grown one lives
	 * (home_size 0: the initial array, not in memblock's memory). */
	size_t cap[2];
	uint64_t home[2], home_size[2];
	bool self_hosted;  /* mmstack: the config option */
	bool can_resize;   /* mmstack: memblock_allow_resize() ran */
	/* Bumped whenever a region list changes (see mbm_generation). */
	uint64_t generation;
	/* Behind a pointer so that the queries, which take the model const,
	 * can use it too. */
	struct scratch *sc;
};

/* ---- small helpers ---- */

static void *xrealloc(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		abort();
	return fz_realloc(p, n * size != 0 ? n * size : 1);
}

static void spans_push(struct spans *s, uint64_t start, uint64_t end, int nid, uint32_t flags)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = (struct span){ .start = start, .end = end, .nid = nid, .flags = flags };
}

static void spans_copy(struct spans *dst, const struct spans *src)
{
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		spans_push(dst, src->v[i].start, src->v[i].end, src->v[i].nid, src->v[i].flags);
}

static bool spans_equal(const struct spans *a, const struct spans *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].start != b->v[i].start || a->v[i].end != b->v[i].end ||
		    a->v[i].nid != b->v[i].nid || a->v[i].flags != b->v[i].flags)
			return false;
	return true;
}

/* The interval holding addr, or NULL. Linear: the list is tiny. */
static const struct span *spans_find(const struct spans *s, uint64_t addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].start <= addr && addr < s->v[i].end)
			return &s->v[i];
	return NULL;
}

/*
 * The same for a caller whose addresses only ascend, on a sorted list:
 * *from is where to start (where the previous look-up stopped, or any
 * index before which every interval ends at or below addr); intervals
 * that end at or below addr are passed for good.
 */
static const struct span *spans_find_from(const struct spans *s, uint64_t addr, size_t *from)
{
	while (*from < s->n && s->v[*from].end <= addr)
		(*from)++;
	if (*from < s->n && s->v[*from].start <= addr)
		return &s->v[*from];
	return NULL;
}

/* Room for n cut points in the scratch array. */
static uint64_t *pts_room(struct scratch *sc, size_t n)
{
	if (n > sc->pts_cap) {
		sc->pts_cap = n < 64 ? 64 : 2 * n;
		sc->pts = xrealloc(sc->pts, sc->pts_cap, sizeof(*sc->pts));
	}
	return sc->pts;
}

/*
 * Sort pts[0..n) and drop duplicates; returns the new count. Insertion
 * sort: the points come mostly in order already (from a sorted list, with
 * an op's two edges or a few boundaries out of place), where it is linear.
 */
static size_t sort_unique(uint64_t *pts, size_t n)
{
	size_t out = 0;

	for (size_t i = 1; i < n; i++) {
		uint64_t v = pts[i];
		size_t j = i;

		for (; j > 0 && pts[j - 1] > v; j--)
			pts[j] = pts[j - 1];
		pts[j] = v;
	}
	for (size_t i = 0; i < n; i++)
		if (!out || pts[out - 1] != pts[i])
			pts[out++] = pts[i];
	return out;
}

/*
 * Sort and coalesce: the canonical form. Also checks the model's own
 * invariants (no empty, no overlapping piece): if they break, the model is
 * wrong and nothing it predicts can be trusted, so abort loudly. Insertion
 * sort by start, as in sort_unique: the pieces come in order.
 */
static void canonicalize(struct spans *s)
{
	size_t out = 0;

	for (size_t i = 1; i < s->n; i++) {
		struct span c = s->v[i];
		size_t j = i;

		for (; j > 0 && s->v[j - 1].start > c.start; j--)
			s->v[j] = s->v[j - 1];
		s->v[j] = c;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct span c = s->v[i];

		if (c.start >= c.end)
			abort();
		if (out) {
			struct span *prev = &s->v[out - 1];

			if (prev->end > c.start)
				abort();
			if (prev->end == c.start && prev->nid == c.nid && prev->flags == c.flags) {
				prev->end = c.end;
				continue;
			}
		}
		s->v[out++] = c;
	}
	s->n = out;
}

static bool nid_ok(int nid)
{
	return nid >= NUMA_NO_NODE && nid < MEMBLOCK_MAX_NUMNODES;
}

/* ---- the brute-force repaint ---- */

enum paint_op {
	PAINT_FILL,       /* paint the unpainted parts with (nid, flags) */
	PAINT_CUT,        /* unpaint */
	PAINT_SET_FLAG,   /* painted parts: flags |= flags */
	PAINT_CLEAR_FLAG, /* painted parts: flags &= ~flags */
	PAINT_SET_NID,    /* painted parts: nid = nid */
};

struct paint {
	enum paint_op op;
	int nid;
	uint32_t flags;
};

/*
 * The new state of one elementary piece inside the op's range, given its old
 * state (old == NULL: unpainted). Returns whether it is painted afterwards;
 * if so, *st holds its nid and flags.
 */
static bool paint_piece(const struct paint *p, const struct span *old, struct span *st)
{
	switch (p->op) {
	case PAINT_FILL:
		if (old) {
			*st = *old; /* covered parts keep their nid and flags */
		} else {
			st->nid = p->nid;
			st->flags = p->flags;
		}
		return true;
	case PAINT_CUT:
		return false;
	case PAINT_SET_FLAG:
	case PAINT_CLEAR_FLAG:
	case PAINT_SET_NID:
		if (!old)
			return false; /* these only touch what is there */
		*st = *old;
		if (p->op == PAINT_SET_FLAG)
			st->flags |= p->flags;
		else if (p->op == PAINT_CLEAR_FLAG)
			st->flags &= ~p->flags;
		else
			st->nid = p->nid;
		return true;
	}
	abort();
}

/*
 * Apply p to [base, end) of s (base < end). The intervals that do not meet
 * the range are kept as they are. For the others, every boundary and both
 * range edges become cut points, so each elementary piece between two
 * consecutive points lies wholly inside one old interval or in none, and
 * wholly inside the range or wholly outside it: its new state is decided
 * alone. The new list is built in the scratch list, which then trades
 * places with s. Returns whether s changed.
 */
static bool repaint(struct scratch *sc, struct spans *s, uint64_t base, uint64_t end,
		    const struct paint *p)
{
	struct spans out = sc->next, old;
	size_t np = 0, lo = 0, hi, at;
	uint64_t *pts;

	/* s is canonical: [lo, hi) are the intervals that meet the range. */
	while (lo < s->n && s->v[lo].end <= base)
		lo++;
	for (hi = lo; hi < s->n && s->v[hi].start < end;)
		hi++;
	pts = pts_room(sc, 2 * (hi - lo) + 2);
	for (size_t i = lo; i < hi; i++) {
		pts[np++] = s->v[i].start;
		pts[np++] = s->v[i].end;
	}
	pts[np++] = base;
	pts[np++] = end;
	np = sort_unique(pts, np);

	out.n = 0;
	for (size_t i = 0; i < lo; i++)
		spans_push(&out, s->v[i].start, s->v[i].end, s->v[i].nid, s->v[i].flags);
	at = lo;
	for (size_t i = 0; i + 1 < np; i++) {
		uint64_t a = pts[i], b = pts[i + 1];
		const struct span *o = spans_find_from(s, a, &at);
		struct span st = { 0 };
		bool painted;

		if (base <= a && b <= end) {
			painted = paint_piece(p, o, &st);
		} else {
			painted = o != NULL;
			if (o)
				st = *o;
		}
		if (painted)
			spans_push(&out, a, b, st.nid, st.flags);
	}
	for (size_t i = hi; i < s->n; i++)
		spans_push(&out, s->v[i].start, s->v[i].end, s->v[i].nid, s->v[i].flags);
	canonicalize(&out);
	old = *s;
	*s = out;
	sc->next = old;
	return !spans_equal(s, &old);
}

/* repaint on one of the model's own lists. */
static void repaint_type(struct mbm *m, int t, uint64_t base, uint64_t end,
			 const struct paint *p)
{
	if (repaint(m->sc, &m->type[t], base, end, p))
		m->generation++;
}

/* ---- lifetime ---- */

struct mbm *mbm_create_cfg(const struct mbm_config *cfg)
{
	struct mbm *m = fz_calloc(1, sizeof(*m));

	m->sc = fz_calloc(1, sizeof(*m->sc));
	m->limit = MEMBLOCK_ALLOC_ANYWHERE;
	m->bottom_up = false;
	m->pf = cfg->kernel ? &profile_kernel : &profile_mmstack;
	m->mirrored_kernelcore = cfg->mirrored_kernelcore;
	m->cap[0] = m->cap[1] = cfg->kernel_init_cap ? cfg->kernel_init_cap : m->pf->init_cap;
	m->self_hosted = cfg->self_hosted && !cfg->kernel;
	return m;
}

struct mbm *mbm_create(void)
{
	struct mbm_config cfg = { 0 };

	return mbm_create_cfg(&cfg);
}

void mbm_destroy(struct mbm *m)
{
	if (!m)
		return;
	fz_free(m->type[MEMBLOCK_MEMORY].v);
	fz_free(m->type[MEMBLOCK_RESERVED].v);
	fz_free(m->sc->pts);
	fz_free(m->sc->next.v);
	fz_free(m->sc->trial.v);
	fz_free(m->sc->free.v);
	fz_free(m->sc);
	fz_free(m);
}

/* ---- ranges ---- */

static bool find_fit(const struct mbm *m, uint64_t size, uint64_t align, uint64_t ws,
		     uint64_t we, int nid, bool mirror, uint64_t *addr);
static bool prefer_mirror(const struct mbm *m);

/* The number of maximal parts of [base, end) that no interval of s covers. */
static size_t uncovered_parts(const struct spans *s, uint64_t base, uint64_t end)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n && base < end; i++) {
		if (s->v[i].end <= base)
			continue;
		if (s->v[i].start >= end)
			break;
		if (s->v[i].start > base)
			n++;
		base = mm_min(s->v[i].end, end);
	}
	return n + (base < end);
}

/* hosted_growth: where a new array goes (see the profile); 0 when nowhere. */
static uint64_t array_place(const struct mbm *m, uint64_t size, uint64_t start, uint64_t end)
{
	uint64_t ws = mm_max(start, MEMBLOCK_PAGE_SIZE), we, a = 0;

	we = end == MEMBLOCK_ALLOC_ACCESSIBLE || (end == 1 && m->pf->end_1_is_limit) ? m->limit
										     : end;
	if (prefer_mirror(m) &&
	    find_fit(m, size, MEMBLOCK_PAGE_SIZE, ws, we, NUMA_NO_NODE, true, &a))
		return a;
	if (find_fit(m, size, MEMBLOCK_PAGE_SIZE, ws, we, NUMA_NO_NODE, false, &a))
		return a;
	return 0;
}

static uint64_t page_align(uint64_t v)
{
	return (v + MEMBLOCK_PAGE_SIZE - 1) & ~(uint64_t)(MEMBLOCK_PAGE_SIZE - 1);
}

#define KERNEL_REGION_BYTES 24 /* sizeof(struct memblock_region), NUMA */

/* Double the array of type t before an op on [base, base + size). */
static bool grow(struct mbm *m, int t, uint64_t base, uint64_t size)
{
	uint64_t new_size = page_align(2 * (uint64_t)m->cap[t] * KERNEL_REGION_BYTES);
	uint64_t addr, old = m->home[t], old_size = m->home_size[t];

	if (t == MEMBLOCK_MEMORY)
		base = size = 0;
	addr = array_place(m, new_size, base + size, m->limit);
	if (!addr && size)
		addr = array_place(m, new_size, 0, mm_min(base, m->limit));
	if (!addr)
		return false;
	m->cap[t] *= 2;
	m->home[t] = addr;
	m->home_size[t] = new_size;
	if (old_size)
		mbm_phys_free(m, old, old_size);
	mbm_reserve(m, addr, new_size);
	return true;
}

/* ---- mmstack's self-hosted arrays (memblock_allow_resize in memblock.h) ---- */

static bool hosting(const struct mbm *m)
{
	return m->self_hosted && m->can_resize;
}

/* A page-aligned block of bytes from any node in [ws, we), taken as is. */
static bool window_fit(const struct mbm *m, uint64_t bytes, uint64_t ws, uint64_t we,
		       uint64_t *a)
{
	ws = mm_max(ws, MEMBLOCK_PAGE_SIZE);
	if (ws >= we)
		return false;
	if (prefer_mirror(m) &&
	    find_fit(m, bytes, MEMBLOCK_PAGE_SIZE, ws, we, NUMA_NO_NODE, true, a))
		return true;
	return find_fit(m, bytes, MEMBLOCK_PAGE_SIZE, ws, we, NUMA_NO_NODE, false, a);
}

/* Above the range to avoid, else below it. */
static bool hosted_place(const struct mbm *m, uint64_t bytes, uint64_t ab, uint64_t as,
			 uint64_t *a)
{
	if (window_fit(m, bytes, ab + as, m->limit, a))
		return true;
	return as && window_fit(m, bytes, 0, mm_min(ab, m->limit), a);
}

/* The capacity (cap doubled as often as needed) for n + extra regions. */
static bool hosted_size(size_t cap, size_t n, size_t extra, size_t *nmax, uint64_t *bytes)
{
	if (extra > SIZE_MAX - n)
		return false;
	while (cap < n + extra) {
		if (cap > SIZE_MAX / 4 / sizeof(struct memblock_region))
			return false;
		cap *= 2;
	}
	*nmax = cap;
	*bytes = page_align((uint64_t)cap * sizeof(struct memblock_region));
	return true;
}

static void hosted_move(struct mbm *m, int t, size_t nmax, uint64_t a, uint64_t bytes)
{
	if (m->home_size[t])
		repaint_type(m, MEMBLOCK_RESERVED, m->home[t], m->home[t] + m->home_size[t],
			     &(struct paint){ .op = PAINT_CUT });
	repaint_type(m, MEMBLOCK_RESERVED, a, a + bytes,
		     &(struct paint){ .op = PAINT_FILL, .nid = m->pf->plain_nid, .flags = 0 });
	m->cap[t] = nmax;
	m->home[t] = a;
	m->home_size[t] = bytes;
}

/* Room for k more regions in type t before an op on [ab, ab + as). */
static bool hosted_room(struct mbm *m, int t, size_t k, uint64_t ab, uint64_t as)
{
	size_t n = m->type[t].n, rn = m->type[MEMBLOCK_RESERVED].n, nmax, rmax = 0;
	uint64_t bytes, rbytes = 0, a, b = 0;

	if (!hosting(m) || n + k <= m->cap[t])
		return true;
	if (t != MEMBLOCK_RESERVED)
		ab = as = 0;
	/* The reserved array's own move: up to two regions more, and one more
	 * uncovered part of the op's range (memblock.h). */
	if (!hosted_size(m->cap[t], n, t == MEMBLOCK_RESERVED ? k + 3 : k, &nmax, &bytes) ||
	    !hosted_place(m, bytes, ab, as, &a))
		return false;
	if (t != MEMBLOCK_RESERVED && rn + 2 > m->cap[MEMBLOCK_RESERVED]) {
		if (!hosted_size(m->cap[MEMBLOCK_RESERVED], rn, 4, &rmax, &rbytes) ||
		    !hosted_place(m, rbytes, a, bytes, &b))
			return false;
		hosted_move(m, MEMBLOCK_RESERVED, rmax, b, rbytes);
	}
	hosted_move(m, t, nmax, a, bytes);
	return true;
}

/* Whether p on [base, end) would change s: repaint a copy and see. */
static bool would_change(struct scratch *sc, const struct spans *s, uint64_t base,
			 uint64_t end, const struct paint *p)
{
	spans_copy(&sc->trial, s);
	return repaint(sc, &sc->trial, base, end, p);
}

/* Common tail of the range ops: cap, size 0 is a no-op, grow first when the
 * profile says so (fill: an insert; else an isolation), then repaint. */
static int paint_range(struct mbm *m, int t, uint64_t base, uint64_t size, struct paint p)
{
	struct spans *s = &m->type[t];

	size = mm_cap_size(base, size);
	if (!size)
		return 0;
	if (m->pf->hosted_growth) {
		if (p.op == PAINT_FILL) {
			if (s->n && s->n * 2 + 1 > m->cap[t]) {
				size_t nr_new = uncovered_parts(s, base, base + size);

				while (s->n + nr_new > m->cap[t])
					if (!grow(m, t, base, size))
						return -MM_ENOMEM;
			}
		} else if (s->n + 2 > m->cap[t] && !grow(m, t, base, size)) {
			return -MM_ENOMEM;
		}
	} else if (hosting(m) && would_change(m->sc, s, base, base + size, &p)) {
		size_t k = p.op == PAINT_FILL ? uncovered_parts(s, base, base + size) : 2;

		if (!hosted_room(m, t, k, base, size))
			return -MM_ENOMEM;
	}
	repaint_type(m, t, base, base + size, &p);
	return 0;
}

int mbm_add_node(struct mbm *m, uint64_t base, uint64_t size, int nid, uint32_t flags)
{
	if (!nid_ok(nid) || (flags & ~MEMBLOCK_FLAGS_MASK))
		return -MM_EINVAL;
	return paint_range(m, MEMBLOCK_MEMORY, base, size,
			   (struct paint){ .op = PAINT_FILL, .nid = nid, .flags = flags });
}

int mbm_add(struct mbm *m, uint64_t base, uint64_t size)
{
	return paint_range(m, MEMBLOCK_MEMORY, base, size,
			   (struct paint){ .op = PAINT_FILL, .nid = m->pf->plain_nid, .flags = 0 });
}

int mbm_reserve(struct mbm *m, uint64_t base, uint64_t size)
{
	return paint_range(m, MEMBLOCK_RESERVED, base, size,
			   (struct paint){ .op = PAINT_FILL, .nid = m->pf->plain_nid, .flags = 0 });
}

int mbm_remove(struct mbm *m, uint64_t base, uint64_t size)
{
	return paint_range(m, MEMBLOCK_MEMORY, base, size,
			   (struct paint){ .op = PAINT_CUT });
}

int mbm_phys_free(struct mbm *m, uint64_t base, uint64_t size)
{
	return paint_range(m, MEMBLOCK_RESERVED, base, size,
			   (struct paint){ .op = PAINT_CUT });
}

int mbm_setclr_flag(struct mbm *m, uint64_t base, uint64_t size, uint32_t flag, bool set)
{
	/* The library's setters pass fixed flags, so this only guards the
	 * model's own callers; it follows the "flags outside the mask" rule. */
	if (flag & ~MEMBLOCK_FLAGS_MASK)
		return -MM_EINVAL;
	if (flag == MEMBLOCK_MIRROR && set) {
		if (m->pf->mark_mirror_needs_kernelcore && !m->mirrored_kernelcore)
			return 0;
		if (m->mirrored_kernelcore)
			m->mirror_marked = true;
	}
	return paint_range(m, MEMBLOCK_MEMORY, base, size,
			   (struct paint){ .op = set ? PAINT_SET_FLAG : PAINT_CLEAR_FLAG,
					   .flags = flag });
}

int mbm_set_node(struct mbm *m, uint64_t base, uint64_t size, int type, int nid)
{
	if ((type != MEMBLOCK_MEMORY && type != MEMBLOCK_RESERVED) || !nid_ok(nid))
		return -MM_EINVAL;
	return paint_range(m, type, base, size,
			   (struct paint){ .op = PAINT_SET_NID, .nid = nid });
}

int mbm_trim_memory(struct mbm *m, uint64_t align)
{
	struct spans *mem = &m->type[MEMBLOCK_MEMORY];
	struct spans out = m->sc->next, old;

	if (!mm_is_pow2(align))
		return -MM_EINVAL;
	out.n = 0;
	/* Trimming acts on canonical regions, which is what mem holds: two
	 * touching regions of different nid are trimmed separately. */
	for (size_t i = 0; i < mem->n; i++) {
		const struct span *r = &mem->v[i];
		uint64_t b, e = mm_round_down(r->end, align);

		if (!mm_round_up(r->start, align, &b))
			continue;
		if (b < e)
			spans_push(&out, b, e, r->nid, r->flags);
	}
	canonicalize(&out);
	old = *mem;
	*mem = out;
	m->sc->next = old;
	if (!spans_equal(mem, &old))
		m->generation++;
	return 0;
}

/* ---- allocation policy ---- */

void mbm_set_current_limit(struct mbm *m, uint64_t limit)
{
	m->limit = limit;
}

uint64_t mbm_get_current_limit(const struct mbm *m)
{
	return m->limit;
}

void mbm_set_bottom_up(struct mbm *m, bool enable)
{
	m->bottom_up = enable;
}

bool mbm_bottom_up(const struct mbm *m)
{
	return m->bottom_up;
}

/* ---- free ranges ---- */

/*
 * The free ranges for nid, ascending, unclipped: for each canonical memory
 * region that is not NOMAP and (nid == NUMA_NO_NODE or of that nid), the
 * maximal parts no reserved interval covers. Pieces of different regions are
 * never joined, even when the regions touch. Each carries its region's nid.
 * They replace what out held.
 */
static void free_parts(const struct mbm *m, int nid, bool mirror, struct spans *out)
{
	const struct spans *mem = &m->type[MEMBLOCK_MEMORY];
	const struct spans *res = &m->type[MEMBLOCK_RESERVED];

	out->n = 0;
	if (m->pf->bad_nid_walks_all && (nid < 0 || nid >= MEMBLOCK_MAX_NUMNODES))
		nid = NUMA_NO_NODE;
	for (size_t i = 0, j0 = 0; i < mem->n; i++) {
		const struct span *r = &mem->v[i];
		uint64_t *pts;
		size_t np = 0, first = out->n, at;

		if (r->flags & MEMBLOCK_NOMAP)
			continue;
		if (mirror && !(r->flags & MEMBLOCK_MIRROR))
			continue;
		if (nid != NUMA_NO_NODE && r->nid != nid)
			continue;

		/* Cut the region where reserved coverage may change. Both
		 * lists are canonical: a reserved interval that ends at or
		 * below this region's start does so for every later region
		 * too, and from the first that starts at or above its end on,
		 * none reaches into it. */
		while (j0 < res->n && res->v[j0].end <= r->start)
			j0++;
		pts = pts_room(m->sc, 2 * res->n + 2);
		pts[np++] = r->start;
		pts[np++] = r->end;
		for (size_t j = j0; j < res->n && res->v[j].start < r->end; j++) {
			if (res->v[j].start > r->start && res->v[j].start < r->end)
				pts[np++] = res->v[j].start;
			if (res->v[j].end > r->start && res->v[j].end < r->end)
				pts[np++] = res->v[j].end;
		}
		np = sort_unique(pts, np);

		at = j0;
		for (size_t k = 0; k + 1 < np; k++) {
			uint64_t a = pts[k], b = pts[k + 1];

			if (spans_find_from(res, a, &at))
				continue;
			/* Join with the previous free piece of this region only. */
			if (out->n > first && out->v[out->n - 1].end == a)
				out->v[out->n - 1].end = b;
			else
				spans_push(out, a, b, r->nid, 0);
		}
	}
}

size_t mbm_free_ranges(const struct mbm *m, int nid, uint64_t *start, uint64_t *end,
		       int *out_nid, size_t cap)
{
	struct spans *fr = &m->sc->free;

	free_parts(m, nid, false, fr);
	for (size_t i = 0; i < fr->n && i < cap; i++) {
		start[i] = fr->v[i].start;
		end[i] = fr->v[i].end;
		out_nid[i] = fr->v[i].nid;
	}
	return fr->n;
}

/* ---- allocation ---- */

/*
 * One search over the free ranges for nid, clipped to [ws, we). Returns
 * whether a block fits, and its address in *addr.
 */
static bool find_fit(const struct mbm *m, uint64_t size, uint64_t align, uint64_t ws,
		     uint64_t we, int nid, bool mirror, uint64_t *addr)
{
	struct spans *fr = &m->sc->free;
	size_t n = 0;
	bool found = false;
	/* A size-0 search (kernel profile) clamps every free range into the
	 * window, as the kernel does, and an empty clamp [x, x) still offers x
	 * when x is aligned; the window itself collapses to [ws, ws). */
	bool keep_empty = size == 0;

	if (ws >= we) {
		if (!keep_empty)
			return false;
		we = ws;
	}
	free_parts(m, nid, mirror, fr);
	/* Clip in place; order is kept, empty ones dropped. */
	for (size_t i = 0; i < fr->n; i++) {
		uint64_t s = mm_min(mm_max(fr->v[i].start, ws), we);
		uint64_t e = mm_max(mm_min(fr->v[i].end, we), ws);

		if (s < e || keep_empty) {
			fr->v[n] = fr->v[i];
			fr->v[n].start = s;
			fr->v[n].end = e;
			n++;
		}
	}

	if (!m->bottom_up) {
		for (size_t i = n; i-- > 0;) {
			uint64_t fs = fr->v[i].start, fe = fr->v[i].end, cand;

			/* Checked first so that fe - size cannot wrap. */
			if (fe - fs < size)
				continue;
			cand = mm_round_down(fe - size, align);
			if (cand >= fs) {
				*addr = cand;
				found = true;
				break;
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			uint64_t fs = fr->v[i].start, fe = fr->v[i].end, cand;

			if (!mm_round_up(fs, align, &cand))
				continue;
			if (cand < fe && fe - cand >= size) {
				*addr = cand;
				found = true;
				break;
			}
		}
	}
	return found;
}

static bool prefer_mirror(const struct mbm *m)
{
	return m->mirrored_kernelcore && (!m->pf->mirror_needs_mark || m->mirror_marked);
}

/* The argument checks shared by both allocation entry points. */
static bool alloc_args_ok(const struct mbm *m, uint64_t size, uint64_t align, int nid)
{
	return (size || m->pf->zero_size_alloc) && (!align || mm_is_pow2(align)) && nid_ok(nid);
}

/* phys_alloc_range; *reserve_failed says a block was found and could not be
 * reserved. */
static int phys_alloc(struct mbm *m, uint64_t size, uint64_t align, uint64_t start,
		      uint64_t end, int nid, bool exact_nid, uint64_t *addr, bool *reserve_failed)
{
	uint64_t ws, we, a = 0;
	bool found = false, prefer;

	if (!alloc_args_ok(m, size, align, nid))
		return -MM_EINVAL;
	if (!align)
		align = m->pf->default_align;

	ws = mm_max(start, MEMBLOCK_PAGE_SIZE);
	we = end == MEMBLOCK_ALLOC_ACCESSIBLE || (end == 1 && m->pf->end_1_is_limit) ? m->limit
										     : end;

	/* Mirrored memory first (nid, then any node), then any memory. */
	prefer = prefer_mirror(m);
	for (int pass = prefer ? 0 : 1; pass < 2 && !found; pass++) {
		found = find_fit(m, size, align, ws, we, nid, pass == 0, &a);
		if (!found && nid != NUMA_NO_NODE && !exact_nid)
			found = find_fit(m, size, align, ws, we, NUMA_NO_NODE, pass == 0, &a);
	}
	if (!found)
		return -MM_ENOMEM;

	/* a + size <= the free range's end, so this never needs the cap; a
	 * block of size 0 reserves nothing. */
	if (mbm_reserve(m, a, size)) {
		*reserve_failed = true;
		return -MM_ENOMEM; /* no room for a grown array */
	}
	*addr = a;
	return 0;
}

int mbm_phys_alloc_range(struct mbm *m, uint64_t size, uint64_t align, uint64_t start,
			 uint64_t end, int nid, bool exact_nid, uint64_t *addr)
{
	bool reserve_failed = false;

	return phys_alloc(m, size, align, start, end, nid, exact_nid, addr, &reserve_failed);
}

int mbm_alloc_nid(struct mbm *m, uint64_t size, uint64_t align, uint64_t min_addr,
		  uint64_t max_addr, int nid, bool exact, uint64_t *addr)
{
	uint64_t max;
	bool reserve_failed = false;
	int r;

	if (!alloc_args_ok(m, size, align, nid))
		return -MM_EINVAL;
	/* max may come out 0, which phys_alloc_range reads as the current
	 * limit again: the same window either way. */
	max = mm_min(max_addr, m->limit);
	r = phys_alloc(m, size, align, min_addr, max, nid, exact, addr, &reserve_failed);
	if (r == -MM_ENOMEM && min_addr != 0 &&
	    (!reserve_failed || m->pf->retry_after_failed_reserve))
		r = phys_alloc(m, size, align, 0, max, nid, exact, addr, &reserve_failed);
	return r;
}

/* ---- queries ---- */

bool mbm_is_memory(const struct mbm *m, uint64_t addr)
{
	return spans_find(&m->type[MEMBLOCK_MEMORY], addr) != NULL;
}

bool mbm_is_region_reserved(const struct mbm *m, uint64_t base, uint64_t size)
{
	const struct spans *res = &m->type[MEMBLOCK_RESERVED];
	uint64_t end;

	size = mm_cap_size(base, size);
	if (!size && !m->pf->empty_range_overlaps_inside)
		return false;
	end = base + size;
	for (size_t i = 0; i < res->n; i++)
		if (res->v[i].start < end && base < res->v[i].end)
			return true;
	return false;
}

static uint64_t total(const struct spans *s)
{
	uint64_t sum = 0;

	/* Disjoint and below PHYS_ADDR_MAX, so the sum cannot wrap. */
	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i].end - s->v[i].start;
	return sum;
}

uint64_t mbm_phys_mem_size(const struct mbm *m)
{
	return total(&m->type[MEMBLOCK_MEMORY]);
}

uint64_t mbm_reserved_size(const struct mbm *m)
{
	return total(&m->type[MEMBLOCK_RESERVED]);
}

uint64_t mbm_start_of_DRAM(const struct mbm *m)
{
	const struct spans *mem = &m->type[MEMBLOCK_MEMORY];
	uint64_t lo = UINT64_MAX;

	if (!mem->n)
		return 0;
	for (size_t i = 0; i < mem->n; i++)
		lo = mm_min(lo, mem->v[i].start);
	return lo;
}

uint64_t mbm_end_of_DRAM(const struct mbm *m)
{
	const struct spans *mem = &m->type[MEMBLOCK_MEMORY];
	uint64_t hi = 0;

	for (size_t i = 0; i < mem->n; i++)
		hi = mm_max(hi, mem->v[i].end);
	return hi;
}

uint64_t mbm_generation(const struct mbm *m)
{
	return m->generation;
}

bool mbm_grown(const struct mbm *m)
{
	return m->home_size[0] || m->home_size[1];
}

void mbm_allow_resize(struct mbm *m, size_t memory_max, size_t reserved_max)
{
	if (!m->self_hosted || m->can_resize)
		return;
	m->can_resize = true;
	m->cap[MEMBLOCK_MEMORY] = memory_max;
	m->cap[MEMBLOCK_RESERVED] = reserved_max;
}

bool mbm_array_home(const struct mbm *m, int type, uint64_t *base, uint64_t *size,
		    size_t *max)
{
	if (type != MEMBLOCK_MEMORY && type != MEMBLOCK_RESERVED)
		return false;
	*max = hosting(m) ? m->cap[type] : 0;
	*base = m->home[type];
	*size = m->home_size[type];
	return m->home_size[type] != 0;
}

size_t mbm_regions(const struct mbm *m, int type, struct memblock_region *out, size_t cap)
{
	const struct spans *s;

	if (type != MEMBLOCK_MEMORY && type != MEMBLOCK_RESERVED)
		return 0;
	s = &m->type[type];
	/* Stored lists are canonical after every op. */
	for (size_t i = 0; i < s->n && i < cap; i++)
		out[i] = (struct memblock_region){
			.base = s->v[i].start,
			.size = s->v[i].end - s->v[i].start,
			.flags = s->v[i].flags,
			.nid = s->v[i].nid,
		};
	return s->n;
}
