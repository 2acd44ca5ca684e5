/* SPDX-License-Identifier: MIT */
/*
 * memblock.c - boot-time physical ranges (see memblock.h for the contract).
 *
 * Each type is a sorted array of regions. The add path (memblock_add_range
 * in the kernel) is a single pass over the regions the new range touches:
 *
 *   [0, w)          settled: regions before the range, and what the walk has
 *                   written so far (existing regions and new pieces, in order)
 *   [w, r)          a gap of free slots
 *   [r, tail_end)   regions not yet visited
 *   [tail_end, max) free slots
 *
 * A new piece goes into the gap. When there is no gap the unvisited tail is
 * pushed up (one slot the first time, then all the free room), and when the
 * array is full the walk stops, the array doubles with the tail copied to its
 * far end, and the walk resumes where it stopped: no counting pass, no
 * memmove per piece. New pieces carry MB_NEW until the final merge, so a
 * failed growth can take them out again and leave the type as it was.
 */
#include "memblock.h"

#include <assert.h>
#include <string.h>

/* Internal flag: a piece inserted by the add in progress. Never visible. */
#define MB_NEW 0x80000000u

struct mb_type {
	struct memblock_region *regions;
	size_t cnt;
	size_t max;
	uint64_t total_size;
	uint64_t grows;
	/* Self-hosted: the range of memblock's memory the array lives in
	 * (home_size 0: bookkeeping outside it). */
	uint64_t home;
	uint64_t home_size;
};

struct memblock {
	struct mb_type type[2];
	uint64_t current_limit;
	bool bottom_up;
	bool mirrored_kernelcore;
	bool self_hosted;  /* the config option */
	bool can_resize;   /* memblock_allow_resize() has run */
	struct mm_meta *meta;
};

static int mb_host_room(struct memblock *mb, struct mb_type *t, size_t k, uint64_t abase,
			uint64_t asize);

/* ---- small helpers ---- */

/* Arrays grow into memblock's own memory. */
static bool mb_hosting(const struct memblock *mb)
{
	return mb->self_hosted && mb->can_resize;
}

static inline uint64_t rend(const struct memblock_region *r)
{
	return r->base + r->size;
}

static bool nid_ok(int nid)
{
	return nid >= NUMA_NO_NODE && nid < MEMBLOCK_MAX_NUMNODES;
}

/* Two regions that would have been merged. */
static bool mergeable(const struct memblock_region *a, const struct memblock_region *b)
{
	return rend(a) == b->base && a->nid == b->nid &&
	       (a->flags & ~MB_NEW) == (b->flags & ~MB_NEW);
}

/* First region that ends after addr (the first one addr can touch from below). */
static size_t first_ending_after(const struct mb_type *t, uint64_t addr)
{
	size_t lo = 0, hi = t->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rend(&t->regions[mid]) > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First region that starts at or after addr. */
static size_t first_starting_at(const struct mb_type *t, uint64_t addr)
{
	size_t lo = 0, hi = t->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->regions[mid].base >= addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---- invariants ---- */

static const char *mb_check_type(const struct mb_type *t, bool reserved)
{
	uint64_t total = 0;

	if (!t->regions || t->max == 0)
		return "region array missing";
	if (t->cnt > t->max)
		return "cnt exceeds max";
	for (size_t i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];
		uint64_t end;

		if (r->size == 0)
			return "region of size 0";
		if (!mm_add_ok(r->base, r->size, &end))
			return "region runs past the top of the address space";
		if (r->flags & ~MEMBLOCK_FLAGS_MASK)
			return "region has unknown flags";
		if (reserved && r->flags)
			return "reserved region has flags";
		if (!nid_ok(r->nid))
			return "region has an invalid nid";
		if (i > 0) {
			const struct memblock_region *p = &t->regions[i - 1];

			if (p->base >= r->base)
				return "regions out of order";
			if (rend(p) > r->base)
				return "regions overlap";
			if (mergeable(p, r))
				return "touching regions with the same nid and flags not merged";
		}
		total += r->size;
	}
	if (total != t->total_size)
		return "total_size differs from the sum of region sizes";
	return NULL;
}

const char *memblock_check(const struct memblock *mb)
{
	const char *e = mb_check_type(&mb->type[MEMBLOCK_MEMORY], false);

	return e ? e : mb_check_type(&mb->type[MEMBLOCK_RESERVED], true);
}

/* ---- array growth ---- */

/*
 * Move the type into an array of new_max slots: [0, w) stays at the start
 * and the unvisited tail [*r, *tail_end) moves to tail_dst (>= w), where the
 * caller wants it: the far end for the insert walk, right after a new slot
 * for a single insert. Nothing changes when the allocation fails.
 */
static int mb_resize(struct memblock *mb, struct mb_type *t, size_t new_max, size_t w,
		     size_t *r, size_t *tail_end, size_t tail_dst)
{
	size_t tail = *tail_end - *r;
	struct memblock_region *n;

	n = mm_meta_array(mb->meta, new_max, sizeof(*n));
	if (!n)
		return -MM_ENOMEM;
	memcpy(n, t->regions, w * sizeof(*n));
	memcpy(n + tail_dst, t->regions + *r, tail * sizeof(*n));
	mm_meta_free(mb->meta, t->regions, t->max * sizeof(*n));
	t->regions = n;
	t->max = new_max;
	t->grows++;
	*r = tail_dst;
	*tail_end = tail_dst + tail;
	return 0;
}

/* The doubled size of a type's array, 0 when that cannot be. */
static size_t mb_doubled(const struct mb_type *t)
{
	if (t->max > SIZE_MAX / 2 / sizeof(struct memblock_region))
		return 0;
	return t->max * 2;
}

/* Double for the insert walk: the unvisited tail goes to the far end, so
 * the whole new room is a gap to write into. */
static int mb_double(struct memblock *mb, struct mb_type *t, size_t w, size_t *r,
		     size_t *tail_end)
{
	size_t n = mb_doubled(t);

	if (!n)
		return -MM_ENOMEM;
	return mb_resize(mb, t, n, w, r, tail_end, n - (*tail_end - *r));
}

/* Make room for at least need regions in all. */
static int mb_reserve_slots(struct memblock *mb, struct mb_type *t, size_t need)
{
	size_t n = t->max, r = t->cnt, end = t->cnt;

	while (n < need) {
		if (n > SIZE_MAX / 4 / sizeof(struct memblock_region))
			return -MM_ENOMEM;
		n *= 2;
	}
	return n == t->max ? 0 : mb_resize(mb, t, n, t->cnt, &r, &end, t->cnt);
}

/*
 * Finish a walk: merge what can merge in [lo, w) and with the first
 * unvisited region at r, clearing MB_NEW, then close the gap.
 */
static void mb_merge_close(struct mb_type *t, size_t lo, size_t w, size_t r, size_t tail_end)
{
	struct memblock_region *g = t->regions;
	size_t k = lo;

	if (w == lo) { /* nothing written: just close the gap */
		memmove(g + w, g + r, (tail_end - r) * sizeof(*g));
		t->cnt = w + tail_end - r;
		return;
	}
	g[k].flags &= ~MB_NEW;
	for (size_t i = lo + 1; i < w; i++) {
		g[i].flags &= ~MB_NEW;
		if (mergeable(&g[k], &g[i]))
			g[k].size += g[i].size;
		else
			g[++k] = g[i];
	}
	if (r < tail_end && mergeable(&g[k], &g[r])) {
		g[k].size += g[r].size;
		r++;
	}
	k++;
	if (k != r)
		memmove(g + k, g + r, (tail_end - r) * sizeof(*g));
	t->cnt = k + tail_end - r;
}

/* ---- the one-pass insert ---- */

/*
 * The common case: [base, base + size) lies in the gap before region i and
 * touches nothing else. A neighbour with the same (nid, flags) that it
 * touches just grows; only a piece that merges with nothing takes a slot.
 */
static int mb_add_into_gap(struct memblock *mb, struct mb_type *t, size_t i, uint64_t base,
			   uint64_t size, int nid, uint32_t flags)
{
	struct memblock_region piece = { base, size, flags, nid };
	struct memblock_region *g = t->regions;
	bool left = i > 0 && mergeable(&g[i - 1], &piece);
	bool right = i < t->cnt && mergeable(&piece, &g[i]);

	if (left && right) {
		g[i - 1].size += size + g[i].size;
		memmove(g + i, g + i + 1, (t->cnt - i - 1) * sizeof(*g));
		t->cnt--;
	} else if (left) {
		g[i - 1].size += size;
	} else if (right) {
		g[i].base = base;
		g[i].size += size;
	} else if (t->cnt < t->max) {
		memmove(g + i + 1, g + i, (t->cnt - i) * sizeof(*g));
		g[i] = piece;
		t->cnt++;
	} else {
		/* Full: grow with the tail copied one slot up, straight into place. */
		size_t r = i, end = t->cnt, n = mb_doubled(t);

		if (!n || mb_resize(mb, t, n, i, &r, &end, i + 1))
			return -MM_ENOMEM;
		t->regions[i] = piece;
		t->cnt++;
	}
	t->total_size += size;
	return 0;
}

static int mb_add_range(struct memblock *mb, struct mb_type *t, uint64_t base,
			uint64_t size, int nid, uint32_t flags)
{
	struct memblock_region *g;
	size_t first, w, r, tail_end;
	uint64_t cur, end, added = 0;
	bool opened = false;

	size = mm_cap_size(base, size);
	if (!size)
		return 0;
	end = base + size;
	first = first_ending_after(t, base);
	if (first == t->cnt || t->regions[first].base >= end)
		return mb_add_into_gap(mb, t, first, base, size, nid, flags);
	w = r = first;
	tail_end = t->cnt;
	cur = base;

	while (cur < end) {
		uint64_t piece_end = end;

		g = t->regions;
		if (r < tail_end && g[r].base <= cur) {
			/* An existing region covers cur: keep it as it is. */
			cur = rend(&g[r]);
			g[w++] = g[r++];
			continue;
		}
		if (r < tail_end && g[r].base < end)
			piece_end = g[r].base;

		if (w == r) {
			/* No gap: push the unvisited tail up, or grow. */
			size_t room = t->max - tail_end;

			if (room == 0) {
				/* Checkpoint: cur and r say where to resume. */
				if (mb_double(mb, t, w, &r, &tail_end))
					goto undo;
			} else {
				size_t shift = opened ? room : 1;

				memmove(g + r + shift, g + r, (tail_end - r) * sizeof(*g));
				r += shift;
				tail_end += shift;
			}
			opened = true;
			g = t->regions;
		}
		g[w].base = cur;
		g[w].size = piece_end - cur;
		g[w].nid = nid;
		g[w].flags = flags | MB_NEW;
		w++;
		added += piece_end - cur;
		cur = piece_end;
	}

	if (added) {
		t->total_size += added;
		mb_merge_close(t, first ? first - 1 : 0, w, r, tail_end);
	} else {
		assert(w == r);
	}
	return 0;

undo:
	/* Take the new pieces out again; the existing ones are untouched. */
	g = t->regions;
	{
		size_t k = first;

		for (size_t i = first; i < w; i++)
			if (!(g[i].flags & MB_NEW))
				g[k++] = g[i];
		memmove(g + k, g + r, (tail_end - r) * sizeof(*g));
		t->cnt = k + tail_end - r;
	}
	return -MM_ENOMEM;
}

/*
 * Split regions at base and base + size so that the range is covered by
 * whole regions [*start, *end). Grows first (at most two new slots), so it
 * fails before changing anything.
 */
static int mb_isolate(struct memblock *mb, struct mb_type *t, uint64_t base,
		      uint64_t size, size_t *start, size_t *end_idx)
{
	uint64_t end = base + size;
	size_t i = first_ending_after(t, base);
	size_t j = first_ending_after(t, end);
	bool split_lo = i < t->cnt && t->regions[i].base < base;
	bool split_hi = j < t->cnt && t->regions[j].base < end;
	int err;

	err = mb_reserve_slots(mb, t, t->cnt + split_lo + split_hi);
	if (err)
		return err;
	if (split_lo) {
		struct memblock_region *g = t->regions;

		memmove(g + i + 1, g + i, (t->cnt - i) * sizeof(*g));
		g[i].size = base - g[i].base;
		g[i + 1].size -= g[i].size;
		g[i + 1].base = base;
		t->cnt++;
		i++;
		j++;
	}
	if (split_hi) {
		struct memblock_region *g = t->regions;

		memmove(g + j + 1, g + j, (t->cnt - j) * sizeof(*g));
		g[j].size = end - g[j].base;
		g[j + 1].size -= g[j].size;
		g[j + 1].base = end;
		t->cnt++;
		j++;
	}
	*start = i;
	*end_idx = first_starting_at(t, end);
	return 0;
}

static int mb_remove_range(struct memblock *mb, struct mb_type *t, uint64_t base,
			   uint64_t size)
{
	size_t s, e;
	int err;

	size = mm_cap_size(base, size);
	if (!size)
		return 0;
	err = mb_isolate(mb, t, base, size, &s, &e);
	if (err)
		return err;
	for (size_t i = s; i < e; i++)
		t->total_size -= t->regions[i].size;
	memmove(t->regions + s, t->regions + e, (t->cnt - e) * sizeof(*t->regions));
	t->cnt -= e - s;
	return 0;
}

/* Set or clear flag bits, or set the nid (nid >= -1), on [base, base+size). */
static int mb_modify(struct memblock *mb, struct mb_type *t, uint64_t base, uint64_t size,
		     uint32_t set, uint32_t clear, bool set_nid, int nid)
{
	size_t s, e;
	int err;

	size = mm_cap_size(base, size);
	if (!size)
		return 0;
	/* Nothing would change: no split, so the array never grows for it. */
	for (s = first_ending_after(t, base); s < t->cnt && t->regions[s].base < base + size; s++)
		if (((t->regions[s].flags | set) & ~clear) != t->regions[s].flags ||
		    (set_nid && t->regions[s].nid != nid))
			break;
	if (s == t->cnt || t->regions[s].base >= base + size)
		return 0;
	err = mb_host_room(mb, t, 2, base, size);
	if (err)
		return err;
	err = mb_isolate(mb, t, base, size, &s, &e);
	if (err)
		return err;
	for (size_t i = s; i < e; i++) {
		t->regions[i].flags = (t->regions[i].flags | set) & ~clear;
		if (set_nid)
			t->regions[i].nid = nid;
	}
	mb_merge_close(t, s ? s - 1 : 0, e, e, t->cnt);
	return 0;
}

/* ---- public: lifetime ---- */

int memblock_create(struct memblock **out, const struct memblock_config *cfg)
{
	struct memblock_config def = { .memory_cap = 128, .reserved_cap = 128 };
	struct memblock *mb;

	if (!out)
		return -MM_EINVAL;
	if (!cfg)
		cfg = &def;
	if (!cfg->memory_cap || !cfg->reserved_cap)
		return -MM_EINVAL;
	mb = mm_meta_alloc(cfg->meta, sizeof(*mb));
	if (!mb)
		return -MM_ENOMEM;
	mb->meta = cfg->meta;
	mb->mirrored_kernelcore = cfg->mirrored_kernelcore;
	mb->self_hosted = cfg->self_hosted_arrays;
	mb->current_limit = MEMBLOCK_ALLOC_ANYWHERE;
	mb->type[0].max = cfg->memory_cap;
	mb->type[1].max = cfg->reserved_cap;
	for (int i = 0; i < 2; i++) {
		/* Only [0, cnt) is ever read, as of a grown array. */
		mb->type[i].regions = mm_meta_array(mb->meta, mb->type[i].max,
						    sizeof(struct memblock_region));
		if (!mb->type[i].regions) {
			memblock_destroy(mb);
			return -MM_ENOMEM;
		}
	}
	*out = mb;
	return 0;
}

void memblock_destroy(struct memblock *mb)
{
	if (!mb)
		return;
	for (int i = 0; i < 2; i++)
		mm_meta_free(mb->meta, mb->type[i].regions,
			     mb->type[i].max * sizeof(struct memblock_region));
	mm_meta_free(mb->meta, mb, sizeof(*mb));
}

/* ---- public: ranges ---- */

/* The number of maximal parts of [base, end) that no region of t covers. */
static size_t mb_uncovered(const struct mb_type *t, uint64_t base, uint64_t end)
{
	size_t n = 0;

	for (size_t i = first_ending_after(t, base); i < t->cnt && base < end; i++) {
		const struct memblock_region *r = &t->regions[i];

		if (r->base >= end)
			break;
		if (r->base > base)
			n++;
		base = mm_min(rend(r), end);
	}
	return n + (base < end);
}

/* An insert; self-hosted, the room for its new pieces is made first. */
static int mb_insert(struct memblock *mb, struct mb_type *t, uint64_t base, uint64_t size,
		     int nid, uint32_t flags)
{
	size = mm_cap_size(base, size);
	if (size && mb_hosting(mb)) {
		int err = mb_host_room(mb, t, mb_uncovered(t, base, base + size), base, size);

		if (err)
			return err;
	}
	return mb_add_range(mb, t, base, size, nid, flags);
}

/* A removal; self-hosted, room for two splits when it takes anything. */
static int mb_cut(struct memblock *mb, struct mb_type *t, uint64_t base, uint64_t size)
{
	size = mm_cap_size(base, size);
	if (size && mb_hosting(mb)) {
		size_t i = first_ending_after(t, base);
		int err = 0;

		if (i < t->cnt && t->regions[i].base < base + size)
			err = mb_host_room(mb, t, 2, base, size);
		if (err)
			return err;
	}
	return mb_remove_range(mb, t, base, size);
}

int memblock_add_node(struct memblock *mb, uint64_t base, uint64_t size, int nid,
		      uint32_t flags)
{
	if (!nid_ok(nid) || (flags & ~MEMBLOCK_FLAGS_MASK))
		return -MM_EINVAL;
	return mb_insert(mb, &mb->type[MEMBLOCK_MEMORY], base, size, nid, flags);
}

int memblock_add(struct memblock *mb, uint64_t base, uint64_t size)
{
	return memblock_add_node(mb, base, size, NUMA_NO_NODE, MEMBLOCK_NONE);
}

int memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_insert(mb, &mb->type[MEMBLOCK_RESERVED], base, size, NUMA_NO_NODE,
			 MEMBLOCK_NONE);
}

int memblock_remove(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_cut(mb, &mb->type[MEMBLOCK_MEMORY], base, size);
}

int memblock_phys_free(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_cut(mb, &mb->type[MEMBLOCK_RESERVED], base, size);
}

static int mb_setclr(struct memblock *mb, uint64_t base, uint64_t size, uint32_t set,
		     uint32_t clear)
{
	return mb_modify(mb, &mb->type[MEMBLOCK_MEMORY], base, size, set, clear, false, 0);
}

int memblock_mark_hotplug(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_setclr(mb, base, size, MEMBLOCK_HOTPLUG, 0);
}

int memblock_clear_hotplug(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_setclr(mb, base, size, 0, MEMBLOCK_HOTPLUG);
}

int memblock_mark_mirror(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_setclr(mb, base, size, MEMBLOCK_MIRROR, 0);
}

int memblock_mark_nomap(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_setclr(mb, base, size, MEMBLOCK_NOMAP, 0);
}

int memblock_clear_nomap(struct memblock *mb, uint64_t base, uint64_t size)
{
	return mb_setclr(mb, base, size, 0, MEMBLOCK_NOMAP);
}

int memblock_set_node(struct memblock *mb, uint64_t base, uint64_t size,
		      enum memblock_type_id type, int nid)
{
	if ((type != MEMBLOCK_MEMORY && type != MEMBLOCK_RESERVED) || !nid_ok(nid))
		return -MM_EINVAL;
	return mb_modify(mb, &mb->type[type], base, size, 0, 0, true, nid);
}

int memblock_trim_memory(struct memblock *mb, uint64_t align)
{
	struct mb_type *t = &mb->type[MEMBLOCK_MEMORY];
	size_t k = 0;

	if (!mm_is_pow2(align))
		return -MM_EINVAL;
	/* Trimming only shrinks regions, so nothing new can touch: no merge. */
	for (size_t i = 0; i < t->cnt; i++) {
		struct memblock_region r = t->regions[i];
		uint64_t start, end = mm_round_down(rend(&r), align);

		t->total_size -= r.size;
		if (!mm_round_up(r.base, align, &start) || start >= end)
			continue;
		r.base = start;
		r.size = end - start;
		t->total_size += r.size;
		t->regions[k++] = r;
	}
	t->cnt = k;
	return 0;
}

/* ---- public: policy ---- */

void memblock_set_current_limit(struct memblock *mb, uint64_t limit)
{
	mb->current_limit = limit;
}

uint64_t memblock_get_current_limit(const struct memblock *mb)
{
	return mb->current_limit;
}

void memblock_set_bottom_up(struct memblock *mb, bool enable)
{
	mb->bottom_up = enable;
}

bool memblock_bottom_up(const struct memblock *mb)
{
	return mb->bottom_up;
}

/* ---- allocation ---- */

/* mirror: only MEMBLOCK_MIRROR regions. */
static bool region_eligible(const struct memblock_region *r, int nid, bool mirror)
{
	return !(r->flags & MEMBLOCK_NOMAP) && (nid == NUMA_NO_NODE || r->nid == nid) &&
	       (!mirror || (r->flags & MEMBLOCK_MIRROR));
}

/* Highest fit in the free range [fs, fe). */
static bool fit_top(uint64_t fs, uint64_t fe, uint64_t size, uint64_t align, uint64_t *out)
{
	uint64_t cand;

	if (fe - fs < size)
		return false;
	cand = mm_round_down(fe - size, align);
	if (cand < fs)
		return false;
	*out = cand;
	return true;
}

/* Lowest fit in the free range [fs, fe). */
static bool fit_bottom(uint64_t fs, uint64_t fe, uint64_t size, uint64_t align,
		       uint64_t *out)
{
	uint64_t cand;

	if (!mm_round_up(fs, align, &cand) || cand >= fe || fe - cand < size)
		return false;
	*out = cand;
	return true;
}

/* Top-down: regions from the highest, and inside each the gaps between
 * reserved regions from the highest. */
static bool mb_find_top(const struct memblock *mb, uint64_t size, uint64_t align,
			uint64_t ws, uint64_t we, int nid, bool mirror, uint64_t *out)
{
	const struct mb_type *mem = &mb->type[MEMBLOCK_MEMORY];
	const struct mb_type *res = &mb->type[MEMBLOCK_RESERVED];

	for (size_t i = mem->cnt; i-- > 0;) {
		const struct memblock_region *m = &mem->regions[i];
		uint64_t lo = mm_max(m->base, ws), hi = mm_min(rend(m), we);
		size_t j;

		if (!region_eligible(m, nid, mirror) || lo >= hi)
			continue;
		j = first_starting_at(res, hi);
		while (j-- > 0 && hi > lo) {
			const struct memblock_region *rv = &res->regions[j];

			if (rend(rv) < hi && fit_top(mm_max(rend(rv), lo), hi, size, align, out))
				return true;
			hi = mm_min(hi, rv->base);
		}
		if (hi > lo && fit_top(lo, hi, size, align, out))
			return true;
	}
	return false;
}

static bool mb_find_bottom(const struct memblock *mb, uint64_t size, uint64_t align,
			   uint64_t ws, uint64_t we, int nid, bool mirror, uint64_t *out)
{
	const struct mb_type *mem = &mb->type[MEMBLOCK_MEMORY];
	const struct mb_type *res = &mb->type[MEMBLOCK_RESERVED];

	for (size_t i = 0; i < mem->cnt; i++) {
		const struct memblock_region *m = &mem->regions[i];
		uint64_t lo = mm_max(m->base, ws), hi = mm_min(rend(m), we);

		if (!region_eligible(m, nid, mirror) || lo >= hi)
			continue;
		for (size_t j = first_ending_after(res, lo);
		     j < res->cnt && res->regions[j].base < hi && lo < hi; j++) {
			const struct memblock_region *rv = &res->regions[j];

			if (rv->base > lo && fit_bottom(lo, rv->base, size, align, out))
				return true;
			lo = mm_max(lo, rend(rv));
		}
		if (lo < hi && fit_bottom(lo, hi, size, align, out))
			return true;
	}
	return false;
}

static bool alloc_args_ok(uint64_t size, uint64_t align, int nid)
{
	return size && (align == 0 || mm_is_pow2(align)) && nid_ok(nid);
}

/* The place for an allocation, before anything is reserved: the nid first,
 * then (unless exact) any node; with mirrored kernelcore, both in mirrored
 * memory first, then both in any memory. */
static bool mb_find_in(const struct memblock *mb, uint64_t size, uint64_t align,
		       uint64_t start, uint64_t end, int nid, bool exact_nid, uint64_t *found)
{
	start = mm_max(start, MEMBLOCK_PAGE_SIZE);
	for (int pass = mb->mirrored_kernelcore ? 0 : 1; pass < 2; pass++) {
		bool mirror = pass == 0;
		int n = nid;

		for (;;) {
			bool ok = mb->bottom_up
					  ? mb_find_bottom(mb, size, align, start, end, n, mirror, found)
					  : mb_find_top(mb, size, align, start, end, n, mirror, found);

			if (ok)
				return true;
			if (n == NUMA_NO_NODE || exact_nid)
				break;
			n = NUMA_NO_NODE;
		}
	}
	return false;
}

/* mb_find_in, where an end of MEMBLOCK_ALLOC_ACCESSIBLE means the limit. */
static bool mb_find(const struct memblock *mb, uint64_t size, uint64_t align,
		    uint64_t start, uint64_t end, int nid, bool exact_nid, uint64_t *found)
{
	if (end == MEMBLOCK_ALLOC_ACCESSIBLE)
		end = mb->current_limit;
	return mb_find_in(mb, size, align, start, end, nid, exact_nid, found);
}

/* ---- self-hosted arrays ---- */

/* What one region takes in an array placed in memblock's memory. */
#define MB_REGION_BYTES ((uint64_t)sizeof(struct memblock_region))

/* The doubled capacity that holds extra more regions than t has, and the
 * page-aligned bytes an array of it takes. */
static bool mb_host_size(const struct mb_type *t, size_t extra, size_t *nmax, uint64_t *bytes)
{
	size_t n = t->max;

	if (extra > SIZE_MAX - t->cnt)
		return false;
	while (n < t->cnt + extra) {
		if (n > SIZE_MAX / 4 / sizeof(struct memblock_region))
			return false;
		n *= 2;
	}
	*nmax = n;
	*bytes = ((uint64_t)n * MB_REGION_BYTES + MEMBLOCK_PAGE_SIZE - 1) &
		 ~(uint64_t)(MEMBLOCK_PAGE_SIZE - 1);
	return true;
}

/*
 * Where an array of bytes goes: where a page-aligned allocation from any
 * node would go, above [abase, abase + asize) and below the current limit,
 * else below abase. The window ends are taken as they are (an end of 0 is
 * an empty window, never "the limit"), so the array never lands inside the
 * range it must avoid.
 */
static bool mb_host_place(const struct memblock *mb, uint64_t bytes, uint64_t abase,
			  uint64_t asize, uint64_t *addr)
{
	uint64_t lim = mb->current_limit;

	if (mb_find_in(mb, bytes, MEMBLOCK_PAGE_SIZE, abase + asize, lim, NUMA_NO_NODE, false,
		       addr))
		return true;
	return asize && mb_find_in(mb, bytes, MEMBLOCK_PAGE_SIZE, 0, mm_min(abase, lim),
				   NUMA_NO_NODE, false, addr);
}

/* Move t into n (nmax slots) living at [addr, addr + bytes): the old range,
 * if it was memblock's, is freed and the new one reserved. The caller has
 * made room in the reserved array for both, so neither can fail. */
static void mb_host_move(struct memblock *mb, struct mb_type *t, struct memblock_region *n,
			 size_t nmax, uint64_t addr, uint64_t bytes)
{
	struct mb_type *res = &mb->type[MEMBLOCK_RESERVED];
	uint64_t old = t->home, old_size = t->home_size;
	int err = 0;

	memcpy(n, t->regions, t->cnt * sizeof(*n));
	mm_meta_free(mb->meta, t->regions, t->max * sizeof(*n));
	t->regions = n;
	t->max = nmax;
	t->grows++;
	t->home = addr;
	t->home_size = bytes;
	if (old_size)
		err = mb_remove_range(mb, res, old, old_size);
	assert(!err);
	err = mb_add_range(mb, res, addr, bytes, NUMA_NO_NODE, MEMBLOCK_NONE);
	assert(!err);
	(void)err;
}

/*
 * Self-hosted growth before an op that needs k more slots in t and, for the
 * reserved array, must leave [abase, abase + asize) alone. When t lacks the
 * room, it jumps to the doubled capacity that holds the op and, for the
 * reserved array, three slots more for what its own move can do to it (the
 * new home's region; a split where a caller's reservation overlaps the old
 * home, which is freed; and, when that reservation overlaps the op's range
 * too, one more uncovered part there); moving the memory array
 * needs two free slots in the reserved array, which moves first (with room
 * for four) when it lacks them, away from the memory array's new range.
 * Everything is found and allocated before anything changes: a failure is
 * -MM_ENOMEM with nothing changed.
 */
static int mb_host_room(struct memblock *mb, struct mb_type *t, size_t k, uint64_t abase,
			uint64_t asize)
{
	struct mb_type *res = &mb->type[MEMBLOCK_RESERVED];
	bool is_res = t == res;
	size_t nmax, rmax = 0;
	uint64_t bytes, rbytes = 0, a, b = 0;
	struct memblock_region *n, *rn = NULL;

	if (!mb_hosting(mb) || k <= t->max - t->cnt)
		return 0;
	if (!is_res)
		abase = asize = 0;
	if (!mb_host_size(t, is_res ? (k > SIZE_MAX - 3 ? SIZE_MAX : k + 3) : k, &nmax, &bytes) ||
	    !mb_host_place(mb, bytes, abase, asize, &a))
		return -MM_ENOMEM;
	if (!is_res && res->max - res->cnt < 2 &&
	    (!mb_host_size(res, 4, &rmax, &rbytes) || !mb_host_place(mb, rbytes, a, bytes, &b)))
		return -MM_ENOMEM;
	n = mm_meta_array(mb->meta, nmax, sizeof(*n));
	if (!n)
		return -MM_ENOMEM;
	if (rmax) {
		rn = mm_meta_array(mb->meta, rmax, sizeof(*rn));
		if (!rn) {
			mm_meta_free(mb->meta, n, nmax * sizeof(*n));
			return -MM_ENOMEM;
		}
		mb_host_move(mb, res, rn, rmax, b, rbytes);
	}
	mb_host_move(mb, t, n, nmax, a, bytes);
	return 0;
}

/* Reserve what mb_find chose. Its failure (a growth that failed) is an
 * -MM_ENOMEM of its own: it must never send the caller looking elsewhere. */
static int mb_take(struct memblock *mb, uint64_t found, uint64_t size, uint64_t *addr)
{
	int err = memblock_reserve(mb, found, size);

	if (!err)
		*addr = found;
	return err;
}

int memblock_phys_alloc_range(struct memblock *mb, uint64_t size, uint64_t align,
			      uint64_t start, uint64_t end, int nid, bool exact_nid,
			      uint64_t *addr)
{
	uint64_t found;

	if (!alloc_args_ok(size, align, nid) || !addr)
		return -MM_EINVAL;
	if (!align)
		align = MEMBLOCK_DEFAULT_ALIGN;
	if (!mb_find(mb, size, align, start, end, nid, exact_nid, &found))
		return -MM_ENOMEM;
	return mb_take(mb, found, size, addr);
}

static int mb_alloc_nid(struct memblock *mb, uint64_t size, uint64_t align,
			uint64_t min_addr, uint64_t max_addr, int nid, bool exact,
			uint64_t *addr)
{
	uint64_t found;

	if (!alloc_args_ok(size, align, nid) || !addr)
		return -MM_EINVAL;
	if (!align)
		align = MEMBLOCK_DEFAULT_ALIGN;
	max_addr = mm_min(max_addr, mb->current_limit);
	if (!mb_find(mb, size, align, min_addr, max_addr, nid, exact, &found) &&
	    (!min_addr || !mb_find(mb, size, align, 0, max_addr, nid, exact, &found)))
		return -MM_ENOMEM;
	return mb_take(mb, found, size, addr);
}

int memblock_alloc_try_nid(struct memblock *mb, uint64_t size, uint64_t align,
			   uint64_t min_addr, uint64_t max_addr, int nid, uint64_t *addr)
{
	return mb_alloc_nid(mb, size, align, min_addr, max_addr, nid, false, addr);
}

int memblock_alloc_exact_nid(struct memblock *mb, uint64_t size, uint64_t align,
			     uint64_t min_addr, uint64_t max_addr, int nid, uint64_t *addr)
{
	return mb_alloc_nid(mb, size, align, min_addr, max_addr, nid, true, addr);
}

/* ---- queries ---- */

bool memblock_is_memory(const struct memblock *mb, uint64_t addr)
{
	const struct mb_type *t = &mb->type[MEMBLOCK_MEMORY];
	size_t i = first_ending_after(t, addr);

	return i < t->cnt && t->regions[i].base <= addr;
}

bool memblock_is_region_reserved(const struct memblock *mb, uint64_t base, uint64_t size)
{
	const struct mb_type *t = &mb->type[MEMBLOCK_RESERVED];
	size_t i;

	size = mm_cap_size(base, size);
	if (!size)
		return false;
	i = first_ending_after(t, base);
	return i < t->cnt && t->regions[i].base < base + size;
}

uint64_t memblock_phys_mem_size(const struct memblock *mb)
{
	return mb->type[MEMBLOCK_MEMORY].total_size;
}

uint64_t memblock_reserved_size(const struct memblock *mb)
{
	return mb->type[MEMBLOCK_RESERVED].total_size;
}

uint64_t memblock_start_of_DRAM(const struct memblock *mb)
{
	const struct mb_type *t = &mb->type[MEMBLOCK_MEMORY];

	return t->cnt ? t->regions[0].base : 0;
}

uint64_t memblock_end_of_DRAM(const struct memblock *mb)
{
	const struct mb_type *t = &mb->type[MEMBLOCK_MEMORY];

	return t->cnt ? rend(&t->regions[t->cnt - 1]) : 0;
}

size_t memblock_region_count(const struct memblock *mb, enum memblock_type_id type)
{
	return (type == MEMBLOCK_MEMORY || type == MEMBLOCK_RESERVED) ? mb->type[type].cnt : 0;
}

const struct memblock_region *memblock_region(const struct memblock *mb,
					      enum memblock_type_id type, size_t i)
{
	if (i >= memblock_region_count(mb, type))
		return NULL;
	return &mb->type[type].regions[i];
}

int memblock_ensure_room(struct memblock *mb, enum memblock_type_id type, size_t nr)
{
	struct mb_type *t;

	if (type != MEMBLOCK_MEMORY && type != MEMBLOCK_RESERVED)
		return -MM_EINVAL;
	t = &mb->type[type];
	/* An insert that overlaps nothing takes at most one slot. */
	if (nr > SIZE_MAX - t->cnt)
		return -MM_ENOMEM;
	if (mb_hosting(mb))
		return mb_host_room(mb, t, nr, 0, 0);
	return mb_reserve_slots(mb, t, t->cnt + nr);
}

uint64_t memblock_grow_count(const struct memblock *mb, enum memblock_type_id type)
{
	return (type == MEMBLOCK_MEMORY || type == MEMBLOCK_RESERVED) ? mb->type[type].grows : 0;
}

void memblock_allow_resize(struct memblock *mb)
{
	mb->can_resize = true;
}

bool memblock_array_home(const struct memblock *mb, enum memblock_type_id type,
			 uint64_t *base, uint64_t *size)
{
	const struct mb_type *t;

	if (type != MEMBLOCK_MEMORY && type != MEMBLOCK_RESERVED)
		return false;
	t = &mb->type[type];
	if (!t->home_size)
		return false;
	if (base)
		*base = t->home;
	if (size)
		*size = t->home_size;
	return true;
}

size_t memblock_array_max(const struct memblock *mb, enum memblock_type_id type)
{
	return (type == MEMBLOCK_MEMORY || type == MEMBLOCK_RESERVED) ? mb->type[type].max : 0;
}

/*
 * *iter holds (memory index << 32 | reserved index): the next free range of
 * memory region i starts at the end of reserved region j - 1 (or at the
 * region's base), and region j is the next that can cut it.
 */
bool memblock_next_free_range(const struct memblock *mb, int nid, uint64_t *iter,
			      uint64_t *start, uint64_t *end, int *out_nid)
{
	const struct mb_type *mem = &mb->type[MEMBLOCK_MEMORY];
	const struct mb_type *res = &mb->type[MEMBLOCK_RESERVED];
	size_t i, j;

	if (!iter)
		return false;
	i = (size_t)(*iter >> 32);
	j = (size_t)(*iter & 0xffffffffu);
	for (; i < mem->cnt; i++, j = i < mem->cnt ?
		       first_ending_after(res, mem->regions[i].base) : 0) {
		const struct memblock_region *m = &mem->regions[i];
		uint64_t lo = m->base, hi = rend(m);

		if (!region_eligible(m, nid, false))
			continue;
		if (j > 0 && j <= res->cnt && rend(&res->regions[j - 1]) > lo)
			lo = rend(&res->regions[j - 1]);
		while (j < res->cnt && res->regions[j].base <= lo) {
			lo = mm_max(lo, rend(&res->regions[j]));
			j++;
		}
		if (lo >= hi)
			continue;
		if (start)
			*start = lo;
		if (out_nid)
			*out_nid = m->nid;
		if (j < res->cnt && res->regions[j].base < hi) {
			if (end)
				*end = res->regions[j].base;
			*iter = (uint64_t)i << 32 | (j + 1);
		} else {
			if (end)
				*end = hi;
			*iter = (uint64_t)(i + 1) << 32 |
				(i + 1 < mem->cnt ? first_ending_after(res, mem->regions[i + 1].base) : 0);
		}
		return true;
	}
	*iter = (uint64_t)mem->cnt << 32;
	return false;
}
