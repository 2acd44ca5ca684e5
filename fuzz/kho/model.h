/* SPDX-License-Identifier: MIT */
/*
 * model.h - the naive kho model both kho targets compare against.
 *
 * Written from spec/kho.md and the Contract and blob format in lib/kho.h
 * alone, independently of lib/kho.c: a set of folios is an array of
 * (pfn, order) searched linearly; the blob is written from sorted keys and
 * read back into a per-page map of the span. Nothing is clever, nothing is
 * shared with the implementation. Return values follow lib/kho.h exactly.
 */
#ifndef MMSTACK_FUZZ_KHO_MODEL_H
#define MMSTACK_FUZZ_KHO_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct km_folio {
	uint64_t pfn;
	unsigned order;
	bool restored; /* an incoming folio handed back already */
};

/* A set of folios, kept sorted by (order, pfn): kho_walk's order. */
struct km_set {
	struct km_folio *f;
	size_t n, cap;
};

/* What a kho instance is told, and what memblock holds at restore. */
struct km_range {
	uint64_t start, end; /* [start, end) */
};

struct km_layout {
	uint64_t start, end; /* the span, pfns */
	unsigned max_order, page_shift;
	const struct km_range *mem; /* memory, bytes, sorted, not overlapping */
	size_t nmem;
	const struct km_range *res; /* reserved, bytes */
	size_t nres;
};

void km_set_clear(struct km_set *s);
void km_set_free(struct km_set *s);
void km_set_copy(struct km_set *dst, const struct km_set *src);
/* The index of the folio heading at pfn (any order), or -1. */
long km_find(const struct km_set *s, uint64_t pfn);

/* The preserve side (lib/kho.h Contract items 1-3). */
int km_preserve_folio(struct km_set *s, const struct km_layout *l, uint64_t pfn,
		      unsigned order);
int km_unpreserve_folio(struct km_set *s, const struct km_layout *l, uint64_t pfn,
			unsigned order);
int km_preserve_pages(struct km_set *s, const struct km_layout *l, uint64_t pfn, uint64_t nr);
int km_unpreserve_pages(struct km_set *s, const struct km_layout *l, uint64_t pfn,
			uint64_t nr);

/* The blob kho_serialize must write for s: its length, and the bytes in
 * out when cap allows. */
size_t km_encode(const struct km_set *s, const struct km_layout *l, uint8_t *out, size_t cap);
/* The format's checksum of p[0, n). */
uint64_t km_checksum(const uint8_t *p, size_t n);
/* Whether kho_restore must accept blob for layout l: true with the folios
 * in out, or false with the first rule it breaks in *why. */
bool km_decode(const uint8_t *blob, size_t len, const struct km_layout *l, struct km_set *out,
	       const char **why);

/* The pages of the set's folios as maximal runs of contiguous pfns, in
 * order: their count, and the first cap of them in out. */
size_t km_runs(const struct km_set *s, struct km_range *out, size_t cap);
/* The union of two sorted lists of ranges, merged where they touch: the
 * count, and the first cap in out. */
size_t km_union(const struct km_range *a, size_t na, const struct km_range *b, size_t nb,
		struct km_range *out, size_t cap);

#endif
