/* SPDX-License-Identifier: MIT */
/*
 * kho_store.h - where the kho benchmark's two baselines keep what they
 * track, as an interface, so that each baseline runs over either its own
 * structure or the kernel's:
 *
 *   kxa_store  per order, 512-byte bitmaps of 4096 folios keyed by
 *              (pfn >> order) >> 12: the xarray-like tree of kho_xarray.c,
 *              or the kernel's lib/xarray.c (kho_kernel_xarray.c)
 *   kmr_store  ranges of pages, each of one order: the rbtree of
 *              kho_maple.c, or the kernel's lib/maple_tree.c
 *              (kho_kernel_maple.c)
 *
 * The baselines (kho_xarray.c, kho_maple.c) do the rest the same way over
 * any store: the checks, the blob, restore. This header includes nothing
 * of mmstack's, since the kernel-backed stores are compiled against the
 * kernel tree's headers. Errors are -MM_ENOMEM's value, KHO_STORE_ENOMEM.
 */
#ifndef MMSTACK_BENCH_KHO_STORE_H
#define MMSTACK_BENCH_KHO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KHO_CHUNK_SHIFT 12                      /* folios per bitmap: 4096 */
#define KHO_CHUNK_WORDS ((1u << KHO_CHUNK_SHIFT) / 64) /* 64 words, 512 bytes */
#define KHO_STORE_ENOMEM 12

struct kxa_store {
	const char *name;
	/* A new empty store in *out: 0 or -KHO_STORE_ENOMEM. */
	int (*create)(void **out);
	void (*destroy)(void *s);
	/* The bitmap of (order, index), NULL when there is none. */
	uint64_t *(*load)(void *s, unsigned order, uint64_t index);
	/* The bitmap of (order, index), created zeroed; NULL if out of memory. */
	uint64_t *(*make)(void *s, unsigned order, uint64_t index);
	/* Each bitmap of one order, by index: fn(ctx, index, bits). */
	void (*each)(void *s, unsigned order,
		     void (*fn)(void *ctx, uint64_t index, const uint64_t *bits), void *ctx);
	/* Bytes of memory the store asked for: itself, nodes, bitmaps. */
	uint64_t (*bytes)(const void *s);
};

struct kmr_store {
	const char *name;
	int (*create)(void **out);
	void (*destroy)(void *s);
	/* Whether any range meets [start, end). */
	bool (*overlaps)(void *s, uint64_t start, uint64_t end);
	/* Add [start, end), free in s, of one order; with merge, joined to the
	 * ranges of the same order it touches. 0 or -KHO_STORE_ENOMEM. */
	int (*add)(void *s, uint64_t start, uint64_t end, unsigned order, bool merge);
	/* Each range by address: fn(ctx, start, end, order). */
	void (*each)(void *s, void (*fn)(void *ctx, uint64_t start, uint64_t end, unsigned order),
		     void *ctx);
	/* The number of ranges. */
	uint64_t (*count)(const void *s);
	uint64_t (*bytes)(const void *s);
};

/* The kernel-backed stores, built only with -Dkernel_src. */
extern const struct kxa_store kxa_kernel_store;
extern const struct kmr_store kmr_kernel_store;

#endif
