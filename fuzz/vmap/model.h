/* SPDX-License-Identifier: MIT */
/*
 * model.h - the naive vmap model: a sorted array of (start, end, kind)
 * intervals and a linear scan for the lowest fit, written from the contract
 * in lib/vmap.h alone. It predicts every address and every purge.
 */
#ifndef MMSTACK_FUZZ_VMAP_MODEL_H
#define MMSTACK_FUZZ_VMAP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "vmap.h"

struct vm_model;

struct vm_model *vmm_create(uint64_t vstart, uint64_t vend, uint64_t page_size,
			    uint64_t lazy_max_pages);
void vmm_destroy(struct vm_model *m);

int vmm_alloc(struct vm_model *m, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	      uint64_t *addr);
int vmm_free(struct vm_model *m, uint64_t addr);
int vmm_free_lazy(struct vm_model *m, uint64_t addr);
void vmm_purge(struct vm_model *m);
int vmm_find(const struct vm_model *m, uint64_t addr, uint64_t *start, uint64_t *size);
uint64_t vmm_lazy_pages(const struct vm_model *m);

/* The areas of a kind in address order, coalesced the way vmap keeps them
 * (touching free areas are one area; busy and lazy areas are each their
 * own): up to cap (start, end) pairs, returns how many in all. */
size_t vmm_areas(const struct vm_model *m, enum vmap_kind kind, uint64_t *start,
		 uint64_t *end, size_t cap);

#endif
