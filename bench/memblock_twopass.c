/* SPDX-License-Identifier: MIT */
/*
 * memblock_twopass.c - the kernel's two-pass memblock insert, as the
 * benchmark's baseline (see memblock_twopass.h).
 *
 * This is written to cost what the kernel's code costs, not to be fast: a
 * linear walk from index 0, one memmove per inserted piece, one memmove per
 * merge, and a counting pass whenever the array might overflow.
 */
#include "memblock_twopass.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t tp_rend(const struct memblock_region *r)
{
	return r->base + r->size;
}

int tp_init(struct tp_memblock *mb, size_t memory_cap, size_t reserved_cap)
{
	size_t cap[2] = { memory_cap, reserved_cap };

	memset(mb, 0, sizeof(*mb));
	for (int i = 0; i < 2; i++) {
		if (!cap[i]) {
			tp_destroy(mb);
			return -MM_EINVAL;
		}
		mb->type[i].regions = calloc(cap[i], sizeof(struct memblock_region));
		if (!mb->type[i].regions) {
			tp_destroy(mb);
			return -MM_ENOMEM;
		}
		mb->type[i].max = cap[i];
	}
	return 0;
}

void tp_destroy(struct tp_memblock *mb)
{
	for (int i = 0; i < 2; i++) {
		free(mb->type[i].regions);
		mb->type[i].regions = NULL;
	}
}

/*
 * Double the array: a new one, the old contents copied over and the new half
 * zeroed (the kernel's memblock_double_array does the same), the old freed.
 */
static int tp_double(struct tp_type *t)
{
	size_t old_bytes = t->max * sizeof(*t->regions);
	struct memblock_region *n;

	if (t->max > SIZE_MAX / 2 / sizeof(*t->regions))
		return -MM_ENOMEM;
	n = malloc(2 * old_bytes);
	if (!n)
		return -MM_ENOMEM;
	memcpy(n, t->regions, old_bytes);
	memset(n + t->max, 0, old_bytes);
	free(t->regions);
	t->regions = n;
	t->max *= 2;
	t->grows++;
	return 0;
}

/* Put a region at idx, shifting [idx, cnt) up by one. The caller made room. */
static void tp_insert_region(struct tp_type *t, size_t idx, uint64_t base, uint64_t size,
			     int nid, uint32_t flags)
{
	struct memblock_region *r = &t->regions[idx];

	memmove(r + 1, r, (t->cnt - idx) * sizeof(*r));
	r->base = base;
	r->size = size;
	r->nid = nid;
	r->flags = flags;
	t->cnt++;
	t->total_size += size;
}

/*
 * Merge touching neighbours with equal (nid, flags) among the regions
 * [start - 1, end]: only the pieces just inserted and their two outer
 * neighbours can have become mergeable. Each merge closes the hole with a
 * memmove of the tail, as the kernel's memblock_merge_regions does.
 */
static void tp_merge_regions(struct tp_type *t, size_t start, size_t end)
{
	size_t i = start ? start - 1 : 0;

	if (end > t->cnt - 1)
		end = t->cnt - 1;
	while (i < end) {
		struct memblock_region *a = &t->regions[i];
		struct memblock_region *b = a + 1;

		if (tp_rend(a) != b->base || a->nid != b->nid || a->flags != b->flags) {
			i++;
			continue;
		}
		a->size += b->size;
		memmove(b, b + 1, (t->cnt - (i + 2)) * sizeof(*b));
		t->cnt--;
		end--;
	}
}

static int tp_add_range(struct tp_type *t, uint64_t base, uint64_t size, int nid,
			uint32_t flags)
{
	const uint64_t obase = base;
	uint64_t end;
	size_t nr_new, start_rgn = SIZE_MAX, end_rgn = 0;
	bool insert = false;

	size = mm_cap_size(base, size);
	if (!size)
		return 0;
	end = base + size;

	if (t->cnt == 0) {
		/* Empty: the range is the only region (max >= 1 always). */
		t->regions[0] = (struct memblock_region){ base, size, flags, nid };
		t->cnt = 1;
		t->total_size = size;
		return 0;
	}

	/* In the worst case the range falls around every existing region and
	 * needs cnt + 1 new slots; with that much room, skip the counting. */
	if (t->cnt * 2 + 1 <= t->max)
		insert = true;
	else
		t->counted++;

	for (;;) {
		size_t idx;

		base = obase;
		nr_new = 0;
		for (idx = 0; idx < t->cnt; idx++) {
			const struct memblock_region *r = &t->regions[idx];
			uint64_t rbase = r->base, rend = tp_rend(r);

			if (rbase >= end)
				break;
			if (rend <= base)
				continue;
			/* r overlaps: the part of the range below it is new. */
			if (rbase > base) {
				nr_new++;
				if (insert) {
					if (start_rgn == SIZE_MAX)
						start_rgn = idx;
					end_rgn = idx + 1;
					tp_insert_region(t, idx++, base, rbase - base, nid,
							 flags);
				}
			}
			/* Everything below rend is dealt with. */
			base = rend < end ? rend : end;
		}
		/* What is left above the last overlapping region. */
		if (base < end) {
			nr_new++;
			if (insert) {
				if (start_rgn == SIZE_MAX)
					start_rgn = idx;
				end_rgn = idx + 1;
				tp_insert_region(t, idx, base, end - base, nid, flags);
			}
		}

		if (!nr_new)
			return 0;
		if (insert)
			break;

		/* Counting pass done: grow to fit, then insert for real. Nothing
		 * has been inserted yet, so a failed growth changes nothing. */
		while (t->cnt + nr_new > t->max) {
			int err = tp_double(t);

			if (err)
				return err;
		}
		insert = true;
	}

	tp_merge_regions(t, start_rgn, end_rgn);
	return 0;
}

int tp_add_node(struct tp_memblock *mb, uint64_t base, uint64_t size, int nid,
		uint32_t flags)
{
	return tp_add_range(&mb->type[MEMBLOCK_MEMORY], base, size, nid, flags);
}

int tp_reserve(struct tp_memblock *mb, uint64_t base, uint64_t size)
{
	return tp_add_range(&mb->type[MEMBLOCK_RESERVED], base, size, NUMA_NO_NODE,
			    MEMBLOCK_NONE);
}

int tp_load(struct tp_memblock *mb, enum memblock_type_id type,
	    const struct memblock_region *regions, size_t n)
{
	struct tp_type *t = &mb->type[type];

	if (n > t->max)
		return -MM_EINVAL;
	memcpy(t->regions, regions, n * sizeof(*regions));
	t->cnt = n;
	t->total_size = 0;
	for (size_t i = 0; i < n; i++)
		t->total_size += regions[i].size;
	return 0;
}
