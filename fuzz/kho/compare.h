/* SPDX-License-Identifier: MIT */
/*
 * compare.h - a kho instance against the naive model, for every fuzz target
 * that holds one (kho, stack).
 */
#ifndef MMSTACK_FUZZ_KHO_COMPARE_H
#define MMSTACK_FUZZ_KHO_COMPARE_H

#include <stddef.h>

#include "kho.h"
#include "model.h"

/* A set as kho_walk lists it: km_walk_collect(ctx = a struct km_walk)
 * keeps the first KM_WALK_MAX folios and counts them all. */
#define KM_WALK_MAX 4096
struct km_walk {
	struct km_folio f[KM_WALK_MAX];
	size_t n;
};
void km_walk_collect(void *ctx, uint64_t pfn, unsigned order);

/* The implementation's set id against the model's m, folio by folio in
 * kho_walk's order (restored folios left out): NULL when they agree, else
 * the first difference, written into buf. */
const char *km_compare_set(const struct kho *k, enum kho_set_id id, const struct km_set *m,
			   char *buf, size_t len);

/* The same for the sets in mask (1 << enum kho_set_id), preserved first:
 * the model's out (preserved) and in (incoming). */
const char *km_compare_sets(const struct kho *k, unsigned mask, const struct km_set *out,
			    const struct km_set *in, char *buf, size_t len);

#endif
