/* SPDX-License-Identifier: MIT */
/*
 * kho_xarray.h - the kho benchmark's first baseline: preserved folios the
 * way the first kernel KHO tracked them, rewritten from its semantics. Per
 * order, a sparse tree keyed by pfn >> order (an xarray: 64-slot nodes,
 * grown upward as keys grow) whose entries are bitmaps of 4096 folios (a
 * 512-byte chunk, the kernel's PAGE_SIZE bitmap). The blob is those chunks
 * as they are (key of the first bit, 512 bytes), per order; restore
 * reserves each folio with a memblock_reserve of its own, order by order,
 * as the kernel's deserialization did.
 *
 * The tree is a kxa_store (kho_store.h): kxa_like_store, an xarray's
 * shape written here, or kxa_kernel_store, the kernel's own lib/xarray.c
 * (with -Dkernel_src). Everything else is the same over either.
 *
 * Contract, as lib/kho.h's for what the benchmark uses: preserve_folio and
 * preserve_pages refuse any page preserved already at any order
 * (-MM_EEXIST), orders above max_order, unaligned pfns and pages outside the
 * span; restore checks the blob's structure, checksum and bounds, and every
 * folio against memblock's memory and reserved ranges (not folios against
 * each other), -MM_EINVAL with nothing reserved otherwise.
 */
#ifndef MMSTACK_BENCH_KHO_XARRAY_H
#define MMSTACK_BENCH_KHO_XARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "kho_store.h"
#include "memblock.h"

struct kxa;

/* The xarray-like tree: 64-slot nodes grown upward, bitmaps as entries. */
extern const struct kxa_store kxa_like_store;

int kxa_create(struct kxa **out, uint64_t start_pfn, uint64_t end_pfn, unsigned max_order,
	       const struct kxa_store *store);
void kxa_destroy(struct kxa *x);
int kxa_preserve_folio(struct kxa *x, uint64_t pfn, unsigned order);
int kxa_preserve_pages(struct kxa *x, uint64_t pfn, uint64_t nr);
size_t kxa_serialized_size(const struct kxa *x);
int kxa_serialize(const struct kxa *x, void *buf, size_t cap, size_t *len);
/* Into x's incoming set; *reserves counts the memblock_reserve calls. */
int kxa_restore(struct kxa *x, const void *blob, size_t len, struct memblock *mb,
		uint64_t *reserves);
/* The incoming folios, by order then pfn. */
void kxa_walk_incoming(const struct kxa *x, void (*fn)(void *ctx, uint64_t pfn, unsigned order),
		       void *ctx);
/* Bytes of tracking memory asked for (the instance, its stores). */
uint64_t kxa_bytes(const struct kxa *x);

#endif
