/* SPDX-License-Identifier: MIT */
/*
 * model.h - the naive model of the per-CPU allocator (see percpu.h for
 * the contract it checks).
 *
 * Chunks as painted maps (one byte per 4-byte granule: whether a live
 * object holds it), live objects as a plain array; the lowest fit and the
 * largest free run answered by walking the map, and counts (granules used
 * per page, objects per chunk, pages covered) kept as it is painted.
 */
#ifndef MMSTACK_FUZZ_PERCPU_MODEL_H
#define MMSTACK_FUZZ_PERCPU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

struct pm;

struct pm_object {
	uint64_t ptr, bytes; /* bytes: granule-rounded */
	uint64_t tag;        /* the target's, for its data signature */
};

/* best_fit: PERCPU_BEST_FIT's placement, else PERCPU_FIRST_FIT's. */
struct pm *pm_create(unsigned nr_cpus, uint64_t unit_bytes, uint64_t page, bool best_fit);
void pm_destroy(struct pm *m);

/*
 * alloc(size, align): the implementation answered impl_rc / impl_ptr, and
 * buddy has free_pages free pages now. Returns what the contract allows:
 * the implementation's answer when it is allowed (and then applies it),
 * else the nearest allowed answer, so that the target reports the
 * difference. *why says what was wrong when the answer is not allowed.
 */
int pm_alloc(struct pm *m, uint64_t size, uint64_t align, int impl_rc, uint64_t impl_ptr,
	     uint64_t free_pages, uint64_t tag, uint64_t *ptr);
/* free(ptr): 0, or -MM_ENOENT. When the free leaves a second chunk without
 * objects, that chunk goes: *gone (may be NULL) says so, *gone_base is its
 * start. */
int pm_free(struct pm *m, uint64_t ptr, bool *gone, uint64_t *gone_base);
/* per_cpu_ptr(ptr, cpu), checked. */
int pm_ptr(const struct pm *m, uint64_t ptr, unsigned cpu, uint64_t *addr);

/* Live objects, in no particular order. */
unsigned pm_nr_objects(const struct pm *m);
const struct pm_object *pm_object(const struct pm *m, unsigned i);

/* Chunks in address order: start and slot. */
unsigned pm_nr_chunks(const struct pm *m);
void pm_chunk(const struct pm *m, unsigned i, uint64_t *base, unsigned *slot);
/* Whether a live object covers part of page p of chunk i's units. */
bool pm_page_covered(const struct pm *m, unsigned i, uint64_t p);
uint64_t pm_live_bytes(const struct pm *m);
uint64_t pm_covered_pages(const struct pm *m);
unsigned pm_empty_chunks(const struct pm *m);

#endif
