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

/* The implementation's set id against the model's m, folio by folio in
 * kho_walk's order (restored folios left out): NULL when they agree, else
 * the first difference, written into buf. */
const char *km_compare_set(const struct kho *k, enum kho_set_id id, const struct km_set *m,
			   char *buf, size_t len);

#endif
