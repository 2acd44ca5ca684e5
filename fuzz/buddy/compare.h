/* SPDX-License-Identifier: MIT */
/*
 * compare.h - a buddy instance against the page model, for every fuzz
 * target that holds one (buddy, stack).
 */
#ifndef MMSTACK_FUZZ_BUDDY_COMPARE_H
#define MMSTACK_FUZZ_BUDDY_COMPARE_H

#include <stddef.h>

#include "model.h"

/* Every page of the span: its state, node, and an allocated head's order
 * and refcount; the free pages of every node; and, when no CPU caches a
 * page, the free lists against the greedy decomposition. NULL when they
 * agree, else the first difference, written into buf. */
const char *bm_compare(const struct bm *m, const struct buddy *b, char *buf, size_t len);

/* The two halves of it: the pages of [lo, hi) (clipped to the span; with
 * lists, and no page cached, their free blocks against the greedy
 * decomposition too), and the free pages of every node. */
const char *bm_compare_pages(const struct bm *m, const struct buddy *b, uint64_t lo,
			     uint64_t hi, bool lists, char *buf, size_t len);
const char *bm_compare_counts(const struct bm *m, const struct buddy *b, char *buf, size_t len);

#endif
