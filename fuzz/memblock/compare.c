/* SPDX-License-Identifier: MIT */
/* compare.c - a memblock instance against the model (see compare.h). */
#include <inttypes.h>

#include "compare.h"

static const char *const type_names[] = { "memory", "reserved" };

#define MAX_CMP 4096

static bool same_region(const struct memblock_region *a, const struct memblock_region *b)
{
	return a->base == b->base && a->size == b->size && a->nid == b->nid &&
	       a->flags == b->flags;
}

/* Both region lists. */
static const char *compare_regions(const struct mbm *m, const struct memblock *mb, char *buf,
				   size_t len)
{
	static struct memblock_region mr[MAX_CMP];

	for (int type = 0; type < 2; type++) {
		size_t n = mbm_regions(m, type, mr, MAX_CMP);
		size_t ni = memblock_region_count(mb, (enum memblock_type_id)type);

		if (n != ni) {
			snprintf(buf, len, "%s: %zu regions, model has %zu", type_names[type], ni, n);
			return buf;
		}
		for (size_t i = 0; i < n && i < MAX_CMP; i++) {
			const struct memblock_region *r =
				memblock_region(mb, (enum memblock_type_id)type, i);

			if (!same_region(r, &mr[i])) {
				snprintf(buf, len,
					 "%s[%zu]: 0x%" PRIx64 "+0x%" PRIx64 " nid=%d flags=0x%x, model "
					 "0x%" PRIx64 "+0x%" PRIx64 " nid=%d flags=0x%x",
					 type_names[type], i, r->base, r->size, r->nid, r->flags,
					 mr[i].base, mr[i].size, mr[i].nid, mr[i].flags);
				return buf;
			}
		}
	}
	return NULL;
}

/*
 * The free ranges of every nid the comparison walks. The model's list for
 * one node is its list for NUMA_NO_NODE with only that node's ranges kept
 * (each range carries the nid of its region, and a walk for a node takes
 * exactly that node's regions), so the model computes the one list once.
 */
static const char *compare_free_ranges(const struct mbm *m, const struct memblock *mb,
				       char *buf, size_t len)
{
	static uint64_t ms[MAX_CMP], me[MAX_CMP];
	static int mn[MAX_CMP];
	size_t all = mbm_free_ranges(m, NUMA_NO_NODE, ms, me, mn, MAX_CMP);

	if (all > MAX_CMP)
		all = MAX_CMP;
	for (int nid = NUMA_NO_NODE; nid < MBM_CMP_NODES; nid++) {
		size_t k = 0, j = 0, n = 0;
		uint64_t it = 0, s, e;
		int rn;

		for (size_t i = 0; i < all; i++)
			n += nid == NUMA_NO_NODE || mn[i] == nid;
		while (memblock_next_free_range(mb, nid, &it, &s, &e, &rn)) {
			/* j: the model's next range for this nid. */
			while (j < all && nid != NUMA_NO_NODE && mn[j] != nid)
				j++;
			if (j >= all || s != ms[j] || e != me[j] || rn != mn[j]) {
				snprintf(buf, len,
					 "free range %zu for nid %d: [0x%" PRIx64 ", 0x%" PRIx64
					 ") nid=%d, model %s",
					 k, nid, s, e, rn, k < n ? "differs" : "has fewer");
				return buf;
			}
			j++;
			k++;
		}
		if (k != n) {
			snprintf(buf, len, "nid %d: %zu free ranges, model has %zu", nid, k, n);
			return buf;
		}
	}
	return NULL;
}

/* Where self-hosted arrays live, and the allocation policy. */
static const char *compare_arrays_policy(const struct mbm *m, const struct memblock *mb,
					 char *buf, size_t len)
{
	for (int type = 0; type < 2; type++) {
		uint64_t b = 0, sz = 0, mb_b = 0, mb_sz = 0;
		size_t max = 0;
		bool home = mbm_array_home(m, type, &b, &sz, &max);

		if (!max) /* the model does not track this array */
			continue;
		if (memblock_array_max(mb, (enum memblock_type_id)type) != max ||
		    memblock_array_home(mb, (enum memblock_type_id)type, &mb_b, &mb_sz) != home ||
		    mb_b != b || mb_sz != sz) {
			snprintf(buf, len,
				 "%s array: %zu regions at 0x%" PRIx64 "+0x%" PRIx64
				 ", model %zu at 0x%" PRIx64 "+0x%" PRIx64,
				 type_names[type], memblock_array_max(mb, (enum memblock_type_id)type),
				 mb_b, mb_sz, max, b, sz);
			return buf;
		}
	}
	if (memblock_get_current_limit(mb) != mbm_get_current_limit(m) ||
	    memblock_bottom_up(mb) != mbm_bottom_up(m)) {
		snprintf(buf, len, "allocation policy differs");
		return buf;
	}
	return NULL;
}

const char *mbm_compare(const struct mbm *m, const struct memblock *mb, char *buf, size_t len)
{
	const char *msg = compare_regions(m, mb, buf, len);

	if (!msg)
		msg = compare_free_ranges(m, mb, buf, len);
	if (!msg)
		msg = compare_arrays_policy(m, mb, buf, len);
	return msg;
}

const char *mbm_compare_step(const struct mbm *m, const struct memblock *mb, uint64_t *seen,
			     char *buf, size_t len)
{
	const char *msg = compare_regions(m, mb, buf, len);

	if (!msg && *seen != mbm_generation(m)) {
		msg = compare_free_ranges(m, mb, buf, len);
		if (!msg)
			*seen = mbm_generation(m);
	}
	if (!msg)
		msg = compare_arrays_policy(m, mb, buf, len);
	return msg;
}

static void dump_regions(FILE *f, const char *who, int type, const struct memblock_region *r,
			 size_t n)
{
	fprintf(f, "  %s %s (%zu):", who, type_names[type], n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " [0x%" PRIx64 "-0x%" PRIx64 " nid=%d flags=0x%x]", r[i].base,
			r[i].base + r[i].size, r[i].nid, r[i].flags);
	fprintf(f, "\n");
}

void mbm_dump(const struct mbm *m, const struct memblock *mb, FILE *f)
{
	static struct memblock_region a[MAX_CMP], b[MAX_CMP];

	for (int type = 0; type < 2; type++) {
		size_t ni = memblock_region_count(mb, (enum memblock_type_id)type);
		size_t nm = mbm_regions(m, type, b, MAX_CMP);

		for (size_t i = 0; i < ni && i < MAX_CMP; i++)
			a[i] = *memblock_region(mb, (enum memblock_type_id)type, i);
		dump_regions(f, "implementation", type, a, ni < MAX_CMP ? ni : MAX_CMP);
		dump_regions(f, "model         ", type, b, nm < MAX_CMP ? nm : MAX_CMP);
	}
}

