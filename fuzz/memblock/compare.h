/* SPDX-License-Identifier: MIT */
/*
 * compare.h - a memblock instance against the painted-interval model, for
 * every fuzz target that holds one (memblock, stack).
 */
#ifndef MMSTACK_FUZZ_MEMBLOCK_COMPARE_H
#define MMSTACK_FUZZ_MEMBLOCK_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

/* The nids the comparison walks free ranges for: -1 .. MBM_CMP_NODES - 1. */
#define MBM_CMP_NODES 4

/* Both region lists, the free ranges of every node and the allocation
 * policy: NULL when they agree, else the first difference, written into buf. */
const char *mbm_compare(const struct mbm *m, const struct memblock *mb, char *buf, size_t len);

/*
 * The same after one op: everything but the free ranges, and those too
 * when the model's lists changed since the last time they agreed (*seen,
 * a generation count of the model; start it at UINT64_MAX). The free
 * ranges are a function of the two region lists on both sides, and the
 * lists are compared every time: while they stay the same, so do the free
 * ranges.
 */
const char *mbm_compare_step(const struct mbm *m, const struct memblock *mb, uint64_t *seen,
			     char *buf, size_t len);

/* Both region lists of both sides, for failure reports. */
void mbm_dump(const struct mbm *m, const struct memblock *mb, FILE *f);

#endif
