/* SPDX-License-Identifier: MIT */
/*
 * compare.h - a memblock instance against the painted-interval model, for
 * every fuzz target that holds one (memblock, stack).
 */
#ifndef MMSTACK_FUZZ_MEMBLOCK_COMPARE_H
#define MMSTACK_FUZZ_MEMBLOCK_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

/* The nids the comparison walks free ranges for: -1 .. MBM_CMP_NODES - 1. */
#define MBM_CMP_NODES 4

/* Both region lists, the free ranges of every node and the allocation
 * policy: NULL when they agree, else the first difference, written into buf. */
const char *mbm_compare(const struct mbm *m, const struct memblock *mb, char *buf, size_t len);

/* Both region lists of both sides, for failure reports. */
void mbm_dump(const struct mbm *m, const struct memblock *mb, FILE *f);

#endif
