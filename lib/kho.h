/* SPDX-License-Identifier: MIT */
/*
 * kho.h - kexec handover: memory preserved across a simulated kexec.
 *
 * The old kernel preserves folios (pfn, order) and runs of pages, serializes
 * what it preserved into a blob, and kexecs. The new kernel, booted over the
 * same physical memory, hands the blob to kho_restore() before its page
 * allocator exists: the blob is validated whole, then every preserved range
 * is reserved in memblock, so that buddy never sees those pages. Later each
 * preserved folio is handed back once, with its order, by
 * kho_restore_folio(), which makes it an allocated block of that order.
 *
 * An instance covers the pfns [start_pfn, end_pfn) and keeps two sets of
 * folios: the preserved set (what this kernel hands over, built by the
 * preserve calls) and the incoming set (what the previous kernel handed
 * over and is not restored yet, built by kho_restore). No two folios of one
 * set share a page.
 *
 * Tracking: per order, a radix table keyed by pfn >> order whose leaves are
 * bitmaps of 512 folios (one cache line); the inner nodes have 64 slots and
 * the root only as many as the order's key span needs. A dense range costs
 * a few bits at a high order, a sparse page one bit, and absent subtrees
 * cost nothing.
 *
 * Contract (the rules of mm.h; fuzz/kho/model.c predicts all of it).
 * Nothing changes on an error, and the first that applies is returned:
 *  0. -MM_EINVAL for a NULL pointer argument (no output here is optional;
 *     a buffer with a count of 0 may be NULL).
 *  1. -MM_EINVAL: an order above max_order, a pfn not aligned to its order,
 *     a count of 0, a range with a page past 2^64.
 *  2. -MM_ERANGE: a page outside [start_pfn, end_pfn) (kho's outside; a
 *     range that ends exactly at 2^64 is one).
 *  3. preserve_folio / preserve_pages: -MM_EEXIST when any page of it is
 *     already preserved, at any order. unpreserve_folio: -MM_ENOENT unless
 *     it is preserved as exactly (pfn, order). preserve_pages and
 *     unpreserve_pages split [pfn, pfn + nr) into the largest naturally
 *     aligned chunks (at most max_order; buddy's free_contig_range split),
 *     and unpreserve_pages needs every chunk preserved as exactly that folio.
 *  4. -MM_ENOMEM: a bookkeeping allocation failed.
 *  - restore: -MM_EINVAL for a NULL mb or a NULL blob with a length (item
 *    0), then -MM_EBUSY on an instance that restored already; -MM_EINVAL
 *    for any blob that is not one kho_serialize() could have written for
 *    this instance (see the format below), or that names a page outside
 *    memblock's memory or inside one of its reserved ranges; then
 *    -MM_ENOMEM. Only on success is anything reserved: one memblock_reserve
 *    per maximal run of contiguous preserved pages, whatever their orders.
 *    Validation reads each byte a bounded number of times and allocates
 *    nothing: time linear in the blob's size, whatever it holds. Only a
 *    valid blob is then loaded, at a cost bounded by the memory it names.
 *  - restore_folio(pfn): -MM_ENOENT unless pfn heads an incoming folio not
 *    restored yet; with a buddy, its error when it cannot claim the pages
 *    (buddy_claim_reserved); else the folio leaves the incoming set and its
 *    order is returned.
 *
 * ---- The blob, version 1 ----
 *
 * All fields little-endian; offsets in bytes.
 *
 *   header, 32 bytes
 *      0  u8[8]  magic "KHO-BLOB"
 *      8  u32    version, 1
 *     12  u32    page_shift: log2 of the page size
 *     16  u32    nr_sections
 *     20  u32    flags, 0
 *     24  u64    total_len: the blob's length, checksum included
 *   nr_sections sections, each:
 *      0  u8[4]  tag "KHOS"
 *      4  u32    order
 *      8  u64    nr_runs
 *     16  u64    nr_words
 *     24  nr_runs runs of 16 bytes:   u64 key, u64 count
 *         nr_words words of 16 bytes: u64 key, u64 bits
 *   trailer, 8 bytes
 *      0  u64    checksum of every byte before it
 *
 * A folio of order o with key k is the pages [k << o, (k + 1) << o). A run
 * (key, count) is the folios key .. key + count - 1 of its section's order;
 * a word (key, bits) is the folios key + i for each bit i set in bits. Keys
 * of runs and words, and counts, are multiples of 64: a run is a sequence of
 * whole words with every bit set, a word is one that has some bits set and
 * some clear.
 *
 * The checksum: h = 0xcbf29ce484222325; then for each 8 bytes of the blob
 * before the trailer, read as a little-endian u64 w (a short last piece
 * padded with zero bytes): h ^= w, h *= 0x100000001b3, h ^= h >> 29.
 *
 * A valid blob is exactly what kho_serialize() writes, so the blob and the
 * set it describes determine each other:
 *  - magic, version 1, flags 0, page_shift the instance's, total_len the
 *    length, checksum right, nothing after the last section;
 *  - sections in strictly increasing order, none above max_order, none
 *    empty (nr_runs + nr_words >= 1);
 *  - runs: key and count multiples of 64, count >= 64, keys increasing,
 *    never touching (a gap between runs: else they were one);
 *  - words: key a multiple of 64, bits neither 0 nor all ones, keys
 *    strictly increasing, no word inside a run of its section;
 *  - every folio inside [start_pfn, end_pfn), inside memblock's memory and
 *    outside its reserved ranges; no two folios share a page, across orders
 *    too.
 * Counts are checked against the bytes left before anything is read, so a
 * count can neither overflow nor make the reader run past the end.
 */
#ifndef MMSTACK_KHO_H
#define MMSTACK_KHO_H

#include "buddy.h"
#include "memblock.h"
#include "mm.h"

#define KHO_MAX_ORDER_LIMIT BUDDY_MAX_ORDER_LIMIT /* max_order may be 0 .. this */
#define KHO_BLOB_VERSION 1u
#define KHO_BLOB_HEADER 32u
#define KHO_BLOB_SECTION 24u
#define KHO_BLOB_RECORD 16u
#define KHO_BLOB_TRAILER 8u

struct kho_config {
	uint64_t start_pfn, end_pfn; /* start < end; end << page_shift fits 64 bits */
	unsigned max_order;          /* MAX_PAGE_ORDER */
	uint64_t page_size;          /* a power of two; 0: 4096 */
	struct mm_meta *meta;
};

enum kho_set_id {
	KHO_PRESERVED = 0, /* handed over by this kernel */
	KHO_INCOMING = 1,  /* handed over to it, not restored yet */
};

struct kho;

/* A config for a span: max_order BUDDY_DEFAULT_MAX_ORDER, 4 KiB pages. */
void kho_default_config(struct kho_config *cfg, uint64_t start_pfn, uint64_t end_pfn);
/* 0, -MM_EINVAL for a bad config, -MM_ENOMEM. */
int kho_create(struct kho **out, const struct kho_config *cfg);
void kho_destroy(struct kho *k);

/* ---- the old kernel ---- */
int kho_preserve_folio(struct kho *k, uint64_t pfn, unsigned order);
int kho_unpreserve_folio(struct kho *k, uint64_t pfn, unsigned order);
int kho_preserve_pages(struct kho *k, uint64_t pfn, uint64_t nr);
int kho_unpreserve_pages(struct kho *k, uint64_t pfn, uint64_t nr);

/* The size of the blob kho_serialize would write now. */
size_t kho_serialized_size(const struct kho *k);
/* Write the preserved set into buf: 0 and *len its size, or -MM_ERANGE
 * (with *len the size needed, nothing written) when cap is too small.
 * -MM_EINVAL, nothing written, when len is NULL or buf is NULL with a cap
 * other than 0. */
int kho_serialize(const struct kho *k, void *buf, size_t cap, size_t *len);

/* ---- the new kernel ---- */
/* Validate blob and reserve what it preserves in mb (see the Contract). */
int kho_restore(struct kho *k, const void *blob, size_t len, struct memblock *mb);
/* Hand an incoming folio back; b (may be NULL) claims its reserved pages
 * as an allocated block of its order. order is not optional (it is the
 * only record of the folio's order): NULL is -MM_EINVAL. */
int kho_restore_folio(struct kho *k, struct buddy *b, uint64_t pfn, unsigned *order);

/* ---- queries ---- */
struct kho_stats {
	uint64_t folios[2]; /* per enum kho_set_id */
	uint64_t pages[2];
	bool restored;      /* kho_restore succeeded */
	uint64_t reserves;  /* memblock_reserve calls of that restore */
};
void kho_stats(const struct kho *k, struct kho_stats *st);
/* The folios of a set, by order and then by pfn: fn(ctx, pfn, order),
 * which must not change the instance. A NULL fn or a set that is not one
 * walks nothing; kho_stats with a NULL st does nothing. */
void kho_walk(const struct kho *k, enum kho_set_id set,
	      void (*fn)(void *ctx, uint64_t pfn, unsigned order), void *ctx);
unsigned kho_max_order(const struct kho *k);

/* The invariants: NULL when they hold, else what is broken.
 * kho_check_full walks both sets whole; kho_check does the same unless
 * nothing that can change the instance ran since a check passed. Both
 * keep a record of their own inside the instance: nothing a getter shows
 * changes. */
const char *kho_check(const struct kho *k);
const char *kho_check_full(const struct kho *k);

#endif
