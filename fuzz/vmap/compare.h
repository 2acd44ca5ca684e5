/* SPDX-License-Identifier: MIT */
/*
 * compare.h - a vmap instance against the interval model, for every fuzz
 * target that holds one (vmap, vmalloc, stack).
 */
#ifndef MMSTACK_FUZZ_VMAP_COMPARE_H
#define MMSTACK_FUZZ_VMAP_COMPARE_H

#include <stddef.h>

#include "model.h"

/* Every free, busy and lazy area, in order, and the lazy page count: NULL
 * when they agree, else the first difference, written into buf. */
const char *vmm_compare(const struct vm_model *m, const struct vmap *v, char *buf, size_t len);

#endif
