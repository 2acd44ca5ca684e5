/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kho: kexec handover on a small machine, checked against the naive
 * model after every op.
 *
 * The machine: up to two memory ranges with a hole between them, on one or
 * two nodes, a firmware-reserved range, pages of 64 bytes of host memory.
 * Ops allocate and free buddy blocks (the client writes a signature into
 * every page it gets), preserve and unpreserve folios and page runs,
 * serialize, damage the blob on purpose, kexec, and hand the preserved
 * folios back one by one.
 *
 * The model: the preserved and incoming sets (model.c), and one record per
 * page of the span: hole, firmware-reserved, free, allocated (with the
 * signature its owner wrote) or kept by kho. From these it predicts every
 * kho result, the exact serialized bytes, whether a (damaged) blob must be
 * accepted (its own naive reader decides, and for damage that can never
 * make a valid blob the op says so as well), buddy's free count and each
 * page's state, and memblock's reserved list after a kexec: the firmware
 * ranges plus one range per run of preserved pages, made with as many
 * memblock_reserve calls as there are runs. Every block buddy hands out
 * must be free in the model: a preserved page handed out by the new buddy
 * fails at once. Every allocated page must still hold its signature, so a
 * preserved folio must come back with its bytes.
 *
 * After every op: its result against the model's, kho_check, both sets'
 * counts, the folios of a set the op can have changed (only the preserve,
 * restore and kexec ops are handed the kho instance to change), and
 * memblock's reserved list. Every FZ_FULL_EVERY ops, after an op with expect
 * lines and after the last: both sets folio by folio, each page's state and
 * signature, and every layer's check.
 *
 * Blob damage: truncate, flip a byte, set a header, section or record field
 * to any value, duplicate a record, add a folio that overlaps another at a
 * different order, swap two sections; and blob_fix, which recomputes the
 * checksum, so that damage reaches the structural checks behind it.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "machine.h"
#include "compare.h"
#include "model.h"

#define PAGE_SHIFT 6
#define PAGE (1u << PAGE_SHIFT) /* small pages: the bytes are a witness */
#define SPAN_MAX 1024
#define PFN_HI 700
#define NR_HI 300
#define MAX_RES 64

enum pstate { P_HOLE, P_FW, P_FREE, P_ALLOC, P_KHO };

struct alloc {
	uint64_t pfn;
	unsigned order;
};

struct world {
	struct mm_range mem[2], res[1];
	struct mm_machine_config mc;
	struct mm_machine *mach;
	struct km_range kmem[2], kres[1];
	struct km_layout lay;
	uint64_t start, end;

	/* the model */
	struct km_set out, in;
	unsigned nallocs;
	uint64_t serial; /* signatures written so far */
	struct km_range want_res[MAX_RES];
	size_t nwant_res;
	uint64_t want_reserves;
	bool restored;

	/* the blob between serialize and kexec */
	uint8_t *blob;
	size_t blob_len;
	bool have_blob;
	bool must_fail;    /* damaged in a way no later op but blob_set repairs */
	bool out_of_order; /* the last blob_swap put two sections out of order */
	const char *damage;
	const char *decode_why; /* the model's reading of the last blob it judged */

	/* an op's impl half leaves here what its model half needs */
	int impl_rc;
	uint64_t impl_val;
	unsigned touched; /* the kho sets (1 << enum kho_set_id) the op can change */
	unsigned fresh;   /* the sets the last compare compared folio by folio */
	size_t ntaken;
	char why[512]; /* the model's objection, reported by compare */

	/* The tables: create zeroes the world up to here, and of these only
	 * what the span uses; the rest is read only below its count. */
	uint8_t page[SPAN_MAX];
	uint8_t boot_page[SPAN_MAX]; /* page[] as a machine boots: hole, firmware, free */
	int node[SPAN_MAX];
	uint64_t sig[SPAN_MAX]; /* the signature an allocated page holds, or 0 */
	struct alloc allocs[SPAN_MAX];
	struct alloc taken[SPAN_MAX]; /* exhaust: the blocks buddy handed out */
};

#define W ((struct world *)w)

static unsigned u_arg(uint64_t v)
{
	return v > 0xffff ? 0xffffu : (unsigned)v;
}

static struct kho *kho_of(struct world *w)
{
	return mm_machine_kho(w->mach);
}

static struct buddy *buddy_of(struct world *w)
{
	return mm_machine_buddy(w->mach);
}

static uint8_t *pstate(struct world *w, uint64_t pfn)
{
	return &w->page[pfn - w->start];
}

static bool in_span(const struct world *w, uint64_t pfn)
{
	return pfn >= w->start && pfn < w->end;
}

static uint64_t signature(uint64_t pfn, uint64_t serial)
{
	uint64_t z = (pfn << 20 ^ serial) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31)) | 1;
}

static void objection(struct world *w, const char *fmt, uint64_t a, uint64_t b)
{
	if (!w->why[0])
		snprintf(w->why, sizeof(w->why), fmt, a, b);
}

/* ---- buddy, as the model sees it ---- */

static long alloc_find(const struct world *w, uint64_t pfn)
{
	for (unsigned i = 0; i < w->nallocs; i++)
		if (w->allocs[i].pfn == pfn)
			return (long)i;
	return -1;
}

static void alloc_add(struct world *w, uint64_t pfn, unsigned order)
{
	w->allocs[w->nallocs++] = (struct alloc){ pfn, order };
	for (uint64_t q = pfn; q < pfn + ((uint64_t)1 << order); q++)
		*pstate(w, q) = P_ALLOC;
}

/* A block of 2^order pages at pfn, aligned, in the span, all free in the
 * model and on one node: what buddy may hand out. */
static bool block_free(struct world *w, uint64_t pfn, unsigned order)
{
	uint64_t n = (uint64_t)1 << order;

	if (pfn % n || !in_span(w, pfn) || pfn + n > w->end)
		return false;
	for (uint64_t q = pfn; q < pfn + n; q++)
		if (*pstate(w, q) != P_FREE || w->node[q - w->start] != w->node[pfn - w->start])
			return false;
	return true;
}

static uint64_t model_free_pages(const struct world *w)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < w->end - w->start; i++)
		n += w->page[i] == P_FREE;
	return n;
}

static struct fz_result i_alloc(void *w, const uint64_t *a)
{
	unsigned order = u_arg(a[0]);
	uint64_t pfn = 0;
	int rc = buddy_alloc_pages(buddy_of(W), order, NUMA_NO_NODE, &pfn);

	if (!rc) /* the client writes every page it got */
		for (uint64_t q = pfn; q < pfn + ((uint64_t)1 << order); q++) {
			uint64_t s = signature(q, W->serial);
			uint8_t *p = buddy_page_ptr(buddy_of(W), q);

			if (p) {
				memcpy(p, &s, sizeof(s));
				memcpy(p + PAGE - sizeof(s), &s, sizeof(s));
			}
		}
	W->impl_rc = rc;
	W->impl_val = pfn;
	return fz_val(rc, pfn);
}
static struct fz_result m_alloc(void *w, const uint64_t *a)
{
	unsigned order = u_arg(a[0]);
	uint64_t pfn = W->impl_val;

	if (order > W->lay.max_order)
		return fz_rc(-MM_EINVAL);
	if (W->impl_rc == -MM_ENOMEM) {
		/* Right only when no node has a free aligned block. */
		for (uint64_t p = W->start; p < W->end; p++)
			if (block_free(W, p, order))
				objection(W, "alloc: -ENOMEM, but pfn 0x%" PRIx64 " heads a free block of order %" PRIu64, p, order);
		return fz_rc(-MM_ENOMEM);
	}
	if (W->impl_rc)
		return fz_rc(-MM_ENOMEM); /* reported as a mismatch */
	if (!block_free(W, pfn, order)) {
		objection(W, "alloc handed out pfn 0x%" PRIx64 " order %" PRIu64
			  ": not a free block in the model (preserved, reserved or in use)", pfn, order);
		return fz_val(0, pfn);
	}
	alloc_add(W, pfn, order);
	for (uint64_t q = pfn; q < pfn + ((uint64_t)1 << order); q++)
		W->sig[q - W->start] = buddy_page_ptr(buddy_of(W), q) ? signature(q, W->serial) : 0;
	W->serial++;
	return fz_val(0, pfn);
}

static struct fz_result i_free(void *w, const uint64_t *a)
{
	return fz_rc(buddy_free_pages(buddy_of(W), a[0], u_arg(a[1])));
}
static struct fz_result m_free(void *w, const uint64_t *a)
{
	uint64_t pfn = a[0];
	unsigned order = u_arg(a[1]);
	long i;

	if (order > W->lay.max_order)
		return fz_rc(-MM_EINVAL);
	if (!in_span(W, pfn) || *pstate(W, pfn) == P_HOLE)
		return fz_rc(-MM_ENOENT);
	i = alloc_find(W, pfn);
	if (i < 0 || W->allocs[i].order != order)
		return fz_rc(-MM_EINVAL);
	for (uint64_t q = pfn; q < pfn + ((uint64_t)1 << order); q++) {
		*pstate(W, q) = P_FREE;
		W->sig[q - W->start] = 0;
	}
	W->allocs[i] = W->allocs[--W->nallocs];
	return fz_rc(0);
}

/* ---- preserve ---- */

static struct fz_result i_preserve_folio(void *w, const uint64_t *a)
{
	W->touched |= 1u << KHO_PRESERVED;
	return fz_rc(kho_preserve_folio(kho_of(W), a[0], u_arg(a[1])));
}
static struct fz_result m_preserve_folio(void *w, const uint64_t *a)
{
	return fz_rc(km_preserve_folio(&W->out, &W->lay, a[0], u_arg(a[1])));
}

static struct fz_result i_unpreserve_folio(void *w, const uint64_t *a)
{
	W->touched |= 1u << KHO_PRESERVED;
	return fz_rc(kho_unpreserve_folio(kho_of(W), a[0], u_arg(a[1])));
}
static struct fz_result m_unpreserve_folio(void *w, const uint64_t *a)
{
	return fz_rc(km_unpreserve_folio(&W->out, &W->lay, a[0], u_arg(a[1])));
}

static struct fz_result i_preserve_pages(void *w, const uint64_t *a)
{
	W->touched |= 1u << KHO_PRESERVED;
	return fz_rc(kho_preserve_pages(kho_of(W), a[0], a[1]));
}
static struct fz_result m_preserve_pages(void *w, const uint64_t *a)
{
	return fz_rc(km_preserve_pages(&W->out, &W->lay, a[0], a[1]));
}

static struct fz_result i_unpreserve_pages(void *w, const uint64_t *a)
{
	W->touched |= 1u << KHO_PRESERVED;
	return fz_rc(kho_unpreserve_pages(kho_of(W), a[0], a[1]));
}
static struct fz_result m_unpreserve_pages(void *w, const uint64_t *a)
{
	return fz_rc(km_unpreserve_pages(&W->out, &W->lay, a[0], a[1]));
}

/* ---- serialize ---- */

static struct fz_result i_serialize(void *w, const uint64_t *a)
{
	size_t need = kho_serialized_size(kho_of(W)), len = 0;
	int rc;

	(void)a;
	fz_free(W->blob);
	W->blob = fz_malloc(need);
	rc = kho_serialize(kho_of(W), W->blob, need, &len);
	W->blob_len = len;
	W->have_blob = rc == 0;
	return fz_val(rc, len);
}
static struct fz_result m_serialize(void *w, const uint64_t *a)
{
	static uint8_t *want; /* kept from one serialize to the next */
	static size_t cap;
	size_t n = km_encode(&W->out, &W->lay, want, cap);

	(void)a;
	if (n > cap) {
		free(want);
		cap = 2 * n;
		want = malloc(cap);
		if (!want)
			abort();
		km_encode(&W->out, &W->lay, want, cap);
	}
	if (W->blob_len != n || memcmp(W->blob, want, n)) {
		size_t at = 0;

		while (at < n && at < W->blob_len && W->blob[at] == want[at])
			at++;
		objection(W, "serialize: the blob differs from the model's from byte %" PRIu64
			  " (model: %" PRIu64 " bytes)", at, n);
	}
	W->must_fail = false;
	W->out_of_order = false;
	W->damage = NULL;
	return fz_val(0, n);
}

/* ---- blob damage ----
 * These ops are the harness's, not the library's: the impl half edits the
 * blob and says whether there was anything to edit, the model half notes
 * what the edit means. */

/* The blob's sections and records as far as they can be walked: the
 * offset of each section header and of each record. */
struct shape {
	size_t sect[64], nsect;
	size_t rec[4096], nrec;
	unsigned rec_sect[4096];
};

/* The one the blob ops fill (an op at a time). */
static struct shape blob_shape;

static void shape_of(const uint8_t *p, size_t len, struct shape *s)
{
	size_t pos = 32, body = len >= 8 ? len - 8 : 0;
	uint64_t n = 0;

	s->nsect = s->nrec = 0;
	if (len < 40)
		return;
	for (int i = 0; i < 4; i++)
		n |= (uint64_t)p[16 + i] << (8 * i);
	for (uint64_t i = 0; i < n && s->nsect < 64 && body - pos >= 24; i++) {
		uint64_t nr = 0, nw = 0;

		for (int b = 0; b < 8; b++) {
			nr |= (uint64_t)p[pos + 8 + b] << (8 * b);
			nw |= (uint64_t)p[pos + 16 + b] << (8 * b);
		}
		s->sect[s->nsect++] = pos;
		pos += 24;
		if (nr > (body - pos) / 16 || nw > (body - pos) / 16 - nr)
			return;
		for (uint64_t r = 0; r < nr + nw && s->nrec < 4096; r++) {
			s->rec_sect[s->nrec] = (unsigned)(s->nsect - 1);
			s->rec[s->nrec++] = pos + 16 * r;
		}
		pos += 16 * (nr + nw);
	}
}

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void fix_checksum(struct world *w)
{
	if (w->blob_len >= 8)
		put(w->blob + w->blob_len - 8, km_checksum(w->blob, w->blob_len - 8), 8);
}

/* Insert n bytes at off (a record), keeping total_len and the checksum. */
static void insert_bytes(struct world *w, size_t off, const uint8_t *bytes, size_t n)
{
	uint8_t *nb = fz_malloc(w->blob_len + n);

	memcpy(nb, w->blob, off);
	memcpy(nb + off, bytes, n);
	memcpy(nb + off + n, w->blob + off, w->blob_len - off);
	fz_free(w->blob);
	w->blob = nb;
	w->blob_len += n;
	put(w->blob + 24, get(w->blob + 24, 8) + n, 8);
	fix_checksum(w);
}

static struct fz_result harness_done(void *w)
{
	return fz_rc(W->impl_rc);
}

static struct fz_result i_truncate(void *w, const uint64_t *a)
{
	W->impl_rc = -MM_ENOENT;
	if (W->have_blob && W->blob_len) {
		W->blob_len = a[0] % W->blob_len;
		W->impl_rc = 0;
	}
	return fz_rc(W->impl_rc);
}
static struct fz_result m_truncate(void *w, const uint64_t *a)
{
	(void)a;
	if (!W->impl_rc) {
		W->must_fail = true; /* total_len no longer says the length */
		W->damage = "truncate";
	}
	return harness_done(w);
}

static struct fz_result i_flip(void *w, const uint64_t *a)
{
	W->impl_rc = -MM_ENOENT;
	if (W->have_blob && W->blob_len) {
		W->blob[a[0] % W->blob_len] ^= (uint8_t)(a[1] % 255 + 1);
		W->impl_rc = 0;
	}
	return fz_rc(W->impl_rc);
}
static struct fz_result m_flip(void *w, const uint64_t *a)
{
	(void)a;
	if (!W->impl_rc)
		W->damage = "flip";
	return harness_done(w);
}

static const char *const field_names[] = {
	"magic", "version", "page_shift", "nr_sections", "flags", "total_len", "checksum",
	"tag",   "order",   "nr_runs",    "nr_words",    "key",   "value",
};
enum { F_MAGIC, F_VERSION, F_PAGE_SHIFT, F_NSECT, F_FLAGS, F_TOTAL, F_CHECKSUM,
       F_TAG, F_ORDER, F_NRUNS, F_NWORDS, F_KEY, F_VALUE, F_COUNT };

static struct fz_result i_set(void *w, const uint64_t *a)
{
	static const struct { size_t off; unsigned bytes; } hdr[] = {
		{ 0, 8 }, { 8, 4 }, { 12, 4 }, { 16, 4 }, { 20, 4 }, { 24, 8 },
	};
	static const struct { size_t off; unsigned bytes; } sec[] = {
		{ 0, 4 }, { 4, 4 }, { 8, 8 }, { 16, 8 },
	};
	struct shape *s = &blob_shape;
	uint64_t field = a[0], at = a[2];
	size_t off = SIZE_MAX;
	unsigned bytes = 8;

	W->impl_rc = -MM_ENOENT;
	if (W->have_blob) {
		shape_of(W->blob, W->blob_len, s);
		if (field <= F_TOTAL && W->blob_len >= 32) {
			off = hdr[field].off;
			bytes = hdr[field].bytes;
		} else if (field == F_CHECKSUM && W->blob_len >= 8) {
			off = W->blob_len - 8;
		} else if (field >= F_TAG && field <= F_NWORDS && s->nsect) {
			off = s->sect[at % s->nsect] + sec[field - F_TAG].off;
			bytes = sec[field - F_TAG].bytes;
		} else if ((field == F_KEY || field == F_VALUE) && s->nrec) {
			off = s->rec[at % s->nrec] + (field == F_VALUE ? 8 : 0);
		}
	}
	if (off != SIZE_MAX) {
		put(W->blob + off, a[1], bytes);
		W->impl_rc = 0;
	}
	return fz_rc(W->impl_rc);
}
static struct fz_result m_set(void *w, const uint64_t *a)
{
	(void)a;
	if (!W->impl_rc) { /* any field, any value: the model's reader decides */
		W->must_fail = false;
		W->out_of_order = false;
		W->damage = "set";
	}
	return harness_done(w);
}

static struct fz_result i_fix(void *w, const uint64_t *a)
{
	(void)a;
	W->impl_rc = W->have_blob ? 0 : -MM_ENOENT;
	if (W->have_blob)
		fix_checksum(W);
	return fz_rc(W->impl_rc);
}
static struct fz_result m_fix(void *w, const uint64_t *a)
{
	(void)a;
	return harness_done(w);
}

static struct fz_result i_dup(void *w, const uint64_t *a)
{
	struct shape *s = &blob_shape;

	W->impl_rc = -MM_ENOENT;
	if (W->have_blob) {
		shape_of(W->blob, W->blob_len, s);
		if (s->nrec) {
			size_t r = a[0] % s->nrec, so = s->sect[s->rec_sect[r]];
			uint8_t copy[16];
			bool is_run = (s->rec[r] - so - 24) / 16 < get(W->blob + so + 8, 8);

			memcpy(copy, W->blob + s->rec[r], 16);
			/* The record's own count, run or word, grows by one. */
			put(W->blob + so + (is_run ? 8 : 16), get(W->blob + so + (is_run ? 8 : 16), 8) + 1, 8);
			insert_bytes(W, s->rec[r] + 16, copy, 16);
			W->impl_rc = 0;
		}
	}
	return fz_rc(W->impl_rc);
}
static struct fz_result m_dup(void *w, const uint64_t *a)
{
	(void)a;
	if (!W->impl_rc) {
		W->must_fail = true; /* two records with one key */
		W->damage = "dup";
	}
	return harness_done(w);
}

/* Add a folio at another order over a page of record a[0]'s first folio. */
static struct fz_result i_overlap(void *w, const uint64_t *a)
{
	struct shape *s = &blob_shape;

	W->impl_rc = -MM_ENOENT;
	if (W->have_blob && W->lay.max_order > 0) {
		shape_of(W->blob, W->blob_len, s);
		if (s->nrec) {
			size_t r = a[0] % s->nrec, so = s->sect[s->rec_sect[r]];
			unsigned o = (unsigned)get(W->blob + so + 4, 4), o2;
			uint64_t key = get(W->blob + s->rec[r], 8), bits = get(W->blob + s->rec[r] + 8, 8);
			uint64_t nr = get(W->blob + so + 8, 8), pfn, k2;
			uint8_t sect[24 + 16];

			if ((s->rec[r] - so - 24) / 16 >= nr && bits) /* a word: its first folio */
				key += (uint64_t)__builtin_ctzll(bits);
			pfn = o < 64 ? key << o : 0;
			o2 = (unsigned)((o + 1 + a[1] % W->lay.max_order) % (W->lay.max_order + 1));
			k2 = pfn >> o2;
			/* A section of its own, at the end: one word with that bit. */
			memcpy(sect, "KHOS", 4);
			put(sect + 4, o2, 4);
			put(sect + 8, 0, 8);
			put(sect + 16, 1, 8);
			put(sect + 24, k2 - k2 % 64, 8);
			put(sect + 32, (uint64_t)1 << (k2 % 64), 8);
			put(W->blob + 16, get(W->blob + 16, 4) + 1, 4);
			insert_bytes(W, W->blob_len - 8, sect, sizeof(sect));
			W->impl_rc = 0;
		}
	}
	return fz_rc(W->impl_rc);
}
static struct fz_result m_overlap(void *w, const uint64_t *a)
{
	(void)a;
	if (!W->impl_rc) {
		W->must_fail = true; /* a page in two folios (or a section out of order) */
		W->damage = "overlap";
	}
	return harness_done(w);
}

static struct fz_result i_swap(void *w, const uint64_t *a)
{
	struct shape *s = &blob_shape;

	W->impl_rc = -MM_ENOENT;
	if (W->have_blob) {
		shape_of(W->blob, W->blob_len, s);
		if (s->nsect >= 2) {
			size_t i = a[0] % (s->nsect - 1), b0 = s->sect[i], b1 = s->sect[i + 1];
			size_t e1 = i + 2 < s->nsect ? s->sect[i + 2] : W->blob_len - 8;
			size_t n0 = b1 - b0, n1 = e1 - b1;
			uint8_t *tmp = fz_malloc(n0 + n1);

			/* Increasing orders before: out of order after. */
			W->impl_val = get(W->blob + b0 + 4, 4) < get(W->blob + b1 + 4, 4);
			/* Sections i and i + 1 trade places: their orders go down. */
			memcpy(tmp, W->blob + b1, n1);
			memcpy(tmp + n1, W->blob + b0, n0);
			memcpy(W->blob + b0, tmp, n0 + n1);
			fz_free(tmp);
			fix_checksum(W);
			W->impl_rc = 0;
		}
	}
	return fz_rc(W->impl_rc);
}
static struct fz_result m_swap(void *w, const uint64_t *a)
{
	(void)a;
	if (!W->impl_rc) {
		/* Another swap may put them back: this says only what this
		 * one did (a pair out of order stays so, whatever else). */
		W->out_of_order = W->impl_val != 0;
		W->damage = "swap";
	}
	return harness_done(w);
}

/* ---- kexec ---- */

static struct fz_result i_kexec(void *w, const uint64_t *a)
{
	struct mm_machine *next;
	int kho_rc = 0, rc;

	(void)a;
	W->touched |= 1u << KHO_PRESERVED | 1u << KHO_INCOMING;
	rc = mm_machine_kexec(&next, &W->mc, W->mach, W->have_blob ? W->blob : NULL,
			      W->have_blob ? W->blob_len : 0, &kho_rc);
	if (rc)
		return fz_rc(rc);
	W->mach = next;
	return fz_rc(kho_rc);
}

static struct fz_result m_kexec(void *w, const uint64_t *a)
{
	struct km_set got = { 0 };
	struct km_range runs[MAX_RES];
	const char *why = NULL;
	bool valid = true;
	size_t nruns = 0;

	(void)a;
	W->decode_why = NULL;
	if (W->have_blob) {
		valid = km_decode(W->blob, W->blob_len, &W->lay, &got, &why);
		W->decode_why = why;
		if (valid && (W->must_fail || W->out_of_order) && !W->why[0])
			snprintf(W->why, sizeof(W->why),
				 "model: a blob damaged beyond repair (%s) reads as valid", W->damage);
	}
	/* The new machine: memory as before, firmware ranges reserved, the
	 * preserved pages kept by kho, everything else free. */
	memcpy(W->page, W->boot_page, W->end - W->start);
	for (size_t i = 0; i < got.n; i++)
		for (uint64_t q = 0; q < ((uint64_t)1 << got.f[i].order); q++)
			*pstate(W, got.f[i].pfn + q) = P_KHO;
	for (uint64_t i = 0; i < W->end - W->start; i++)
		if (W->page[i] != P_KHO)
			W->sig[i] = 0;
	W->nallocs = 0;
	km_set_clear(&W->out);
	km_set_copy(&W->in, &got);
	if (got.n) {
		nruns = km_runs(&got, runs, MAX_RES);
		if (nruns > MAX_RES)
			abort(); /* raise MAX_RES */
		for (size_t i = 0; i < nruns; i++) {
			runs[i].start <<= PAGE_SHIFT;
			runs[i].end <<= PAGE_SHIFT;
		}
	}
	W->nwant_res = km_union(W->kres, W->mc.nr_reserved, runs, nruns, W->want_res, MAX_RES);
	W->want_reserves = nruns;
	W->restored = W->have_blob && valid;
	W->have_blob = false;
	W->must_fail = false;
	W->out_of_order = false;
	W->damage = NULL;
	km_set_free(&got);
	return fz_rc(valid ? 0 : -MM_EINVAL);
}

/* ---- restore_folio ---- */

/* A preserved folio comes back as an allocated block of its order, unless
 * it crosses a node: buddy cannot hold such a block. */
static int model_restore(struct world *w, uint64_t pfn, unsigned *order)
{
	long i = km_find(&w->in, pfn);
	struct km_folio *f;

	if (i < 0 || w->in.f[i].restored)
		return -MM_ENOENT;
	f = &w->in.f[i];
	for (uint64_t q = f->pfn; q < f->pfn + ((uint64_t)1 << f->order); q++)
		if (w->node[q - w->start] != w->node[f->pfn - w->start])
			return -MM_EINVAL;
	f->restored = true;
	alloc_add(w, f->pfn, f->order);
	*order = f->order;
	return 0;
}

/* The pfn restore_folio idx=N names: the N-th incoming folio of the model
 * (restored ones too, for a second restore), else a pfn past it all. */
static uint64_t nth_incoming(const struct world *w, uint64_t idx)
{
	return w->in.n ? w->in.f[idx % w->in.n].pfn : w->start + idx;
}

static struct fz_result i_restore_folio(void *w, const uint64_t *a)
{
	unsigned order = 0;
	int rc;

	W->touched |= 1u << KHO_INCOMING;
	rc = kho_restore_folio(kho_of(W), buddy_of(W), a[0], &order);
	return fz_val(rc, order);
}
static struct fz_result m_restore_folio(void *w, const uint64_t *a)
{
	unsigned order = 0;
	int rc = model_restore(W, a[0], &order);

	return fz_val(rc, order);
}

static struct fz_result i_restore_nth(void *w, const uint64_t *a)
{
	uint64_t b[1] = { nth_incoming(W, a[0]) };

	return i_restore_folio(w, b);
}
static struct fz_result m_restore_nth(void *w, const uint64_t *a)
{
	uint64_t b[1] = { nth_incoming(W, a[0]) };

	return m_restore_folio(w, b);
}

struct pfns {
	uint64_t v[SPAN_MAX];
	size_t n;
};

static void collect(void *ctx, uint64_t pfn, unsigned order)
{
	struct pfns *p = ctx;

	(void)order;
	if (p->n < SPAN_MAX)
		p->v[p->n++] = pfn;
}

/* Every incoming folio, in the implementation's own order. */
static struct fz_result i_restore_all(void *w, const uint64_t *a)
{
	static struct pfns pfns;
	struct pfns *p = &pfns;
	uint64_t n = 0;
	unsigned order;

	(void)a;
	p->n = 0;
	W->touched |= 1u << KHO_INCOMING;
	kho_walk(kho_of(W), KHO_INCOMING, collect, p);
	for (size_t i = 0; i < p->n; i++)
		n += kho_restore_folio(kho_of(W), buddy_of(W), p->v[i], &order) == 0;
	return fz_val(0, n);
}
static struct fz_result m_restore_all(void *w, const uint64_t *a)
{
	uint64_t n = 0;
	unsigned order;

	(void)a;
	for (size_t i = 0; i < W->in.n; i++)
		n += model_restore(W, W->in.f[i].pfn, &order) == 0;
	return fz_val(0, n);
}

/* ---- exhaust: take every free page from buddy, then give them back ----
 * In the largest blocks buddy will give, order by order downwards, the
 * last pages one at a time: every free page is handed out once, and the
 * model checks each page of each block. */

static struct fz_result i_exhaust(void *w, const uint64_t *a)
{
	struct buddy *b = buddy_of(W);
	uint64_t pfn, pages = 0;

	(void)a;
	W->ntaken = 0;
	for (unsigned o = W->lay.max_order + 1; o-- > 0;)
		while (W->ntaken < SPAN_MAX && buddy_alloc_pages(b, o, NUMA_NO_NODE, &pfn) == 0) {
			W->taken[W->ntaken++] = (struct alloc){ pfn, o };
			pages += (uint64_t)1 << o;
		}
	for (size_t i = 0; i < W->ntaken; i++)
		if (buddy_free_pages(b, W->taken[i].pfn, W->taken[i].order))
			abort();
	return fz_val(0, pages);
}
static struct fz_result m_exhaust(void *w, const uint64_t *a)
{
	/* A page already handed out by this exhaust, for the moment. */
	enum { TAKEN = 0xff };

	(void)a;
	for (size_t i = 0; i < W->ntaken; i++) {
		uint64_t head = W->taken[i].pfn, n = (uint64_t)1 << W->taken[i].order;
		uint8_t *p;

		if (head < W->start || head >= W->end || n > W->end - head) {
			objection(W, "exhaust: buddy handed out pfn 0x%" PRIx64 " order %" PRIu64
				  ", not in the span", head, W->taken[i].order);
			continue;
		}
		p = &W->page[head - W->start];
		for (uint64_t k = 0; k < n; k++) {
			if (p[k] == TAKEN)
				objection(W, "exhaust: buddy handed out pfn 0x%" PRIx64 " twice",
					  head + k, 0);
			else if (p[k] != P_FREE)
				objection(W, "exhaust: buddy handed out pfn 0x%" PRIx64
					  " (model state %" PRIu64 "), not a free page", head + k, p[k]);
			p[k] = TAKEN;
		}
	}
	/* Given back: free again. */
	for (size_t i = 0; i < W->ntaken; i++) {
		uint64_t head = W->taken[i].pfn, n = (uint64_t)1 << W->taken[i].order;

		if (head >= W->start && head < W->end && n <= W->end - head)
			for (uint64_t k = 0; k < n; k++)
				W->page[head - W->start + k] = P_FREE;
	}
	return fz_val(0, model_free_pages(W));
}

/* ---- the table ---- */

#define A_H { "pfn", FZ_HANDLE, 0, 0, NULL }
#define A_PFN { "pfn", FZ_INT, 0, PFN_HI, NULL }
#define A_ORDER { "order", FZ_INT, 0, 8, NULL }
#define A_NR { "nr", FZ_INT, 0, NR_HI, NULL }
#define A_AT { "at", FZ_INT, 0, 63, NULL }
#define NOARGS { { 0 } }

static const struct fz_op_def ops[] = {
	{ "alloc", FZ_RET_HANDLE, 1, { A_ORDER }, i_alloc, m_alloc },
	{ "alloc", FZ_RET_HANDLE, 1, { A_ORDER }, i_alloc, m_alloc },
	{ "free", 0, 2, { A_H, A_ORDER }, i_free, m_free },
	{ "free", 0, 2, { A_PFN, A_ORDER }, i_free, m_free },
	{ "preserve_folio", 0, 2, { A_H, A_ORDER }, i_preserve_folio, m_preserve_folio },
	{ "preserve_folio", 0, 2, { A_H, A_ORDER }, i_preserve_folio, m_preserve_folio },
	{ "preserve_folio", 0, 2, { A_PFN, A_ORDER }, i_preserve_folio, m_preserve_folio },
	{ "unpreserve_folio", 0, 2, { A_H, A_ORDER }, i_unpreserve_folio, m_unpreserve_folio },
	{ "unpreserve_folio", 0, 2, { A_PFN, A_ORDER }, i_unpreserve_folio, m_unpreserve_folio },
	{ "preserve_pages", 0, 2, { A_H, A_NR }, i_preserve_pages, m_preserve_pages },
	{ "preserve_pages", 0, 2, { A_PFN, A_NR }, i_preserve_pages, m_preserve_pages },
	{ "unpreserve_pages", 0, 2, { A_H, A_NR }, i_unpreserve_pages, m_unpreserve_pages },
	{ "unpreserve_pages", 0, 2, { A_PFN, A_NR }, i_unpreserve_pages, m_unpreserve_pages },
	{ "serialize", FZ_RET_VALUE, 0, NOARGS, i_serialize, m_serialize },
	{ "kexec", 0, 0, NOARGS, i_kexec, m_kexec },
	{ "kexec", 0, 0, NOARGS, i_kexec, m_kexec },
	{ "restore_folio", FZ_RET_VALUE, 1, { { "idx", FZ_INT, 0, 63, NULL } }, i_restore_nth,
	  m_restore_nth },
	{ "restore_folio", FZ_RET_VALUE, 1, { { "idx", FZ_INT, 0, 63, NULL } }, i_restore_nth,
	  m_restore_nth },
	{ "restore_folio", FZ_RET_VALUE, 1, { A_PFN }, i_restore_folio, m_restore_folio },
	{ "restore_all", FZ_RET_VALUE, 0, NOARGS, i_restore_all, m_restore_all },
	{ "exhaust", FZ_RET_VALUE, 0, NOARGS, i_exhaust, m_exhaust },
	{ "blob_truncate", 0, 1, { { "len", FZ_INT, 0, 4096, NULL } }, i_truncate, m_truncate },
	{ "blob_flip", 0, 2, { { "off", FZ_INT, 0, 4096, NULL }, { "xor", FZ_INT, 0, 254, NULL } },
	  i_flip, m_flip },
	{ "blob_set", 0, 3,
	  { { "field", FZ_ENUM, 0, F_COUNT - 1, field_names }, { "value", FZ_INT, 0, 64, NULL },
	    A_AT },
	  i_set, m_set },
	{ "blob_fix", 0, 0, NOARGS, i_fix, m_fix },
	{ "blob_fix", 0, 0, NOARGS, i_fix, m_fix },
	{ "blob_dup", 0, 1, { A_AT }, i_dup, m_dup },
	{ "blob_overlap", 0, 2, { A_AT, { "order", FZ_INT, 0, 7, NULL } }, i_overlap, m_overlap },
	{ "blob_swap", 0, 1, { A_AT }, i_swap, m_swap },
};

enum { C_NODES, C_START, C_LEN0, C_GAP, C_LEN1, C_RES_AT, C_RES_LEN, C_MAX_ORDER, C_PCP,
       C_BACKING };

static const struct fz_cfg_def cfg[] = {
	{ "nodes", 1, 2, 2 },
	{ "start_pfn", 0, 63, 0 },
	{ "len0", 1, 256, 128 },
	{ "gap", 0, 64, 16 },
	{ "len1", 0, 256, 96 },
	{ "res_at", 0, 255, 4 },
	{ "res_len", 0, 16, 2 },
	{ "max_order", 0, 6, 4 },
	{ "pcp_high", 0, 16, 0 },
	{ "backing", 0, 1, 1 },
};

/* ---- world ---- */

/* A world's tables are large and every input makes one: its memory is
 * kept by destroy for the next create (fz_world_alloc). */
static void *create(const uint64_t *c, struct mm_meta *meta)
{
	struct world *w = fz_world_alloc(sizeof(*w));
	uint64_t s0 = c[C_START], e0 = s0 + c[C_LEN0], s1 = e0 + c[C_GAP], e1 = s1 + c[C_LEN1];
	size_t nmem = c[C_LEN1] ? 2 : 1;

	memset(w, 0, offsetof(struct world, page));
	w->mem[0] = (struct mm_range){ s0 << PAGE_SHIFT, (e0 - s0) << PAGE_SHIFT, 0 };
	w->mem[1] = (struct mm_range){ s1 << PAGE_SHIFT, (e1 - s1) << PAGE_SHIFT,
				       c[C_NODES] == 2 ? 1 : 0 };
	w->res[0] = (struct mm_range){ (s0 + c[C_RES_AT]) << PAGE_SHIFT,
				       c[C_RES_LEN] << PAGE_SHIFT, 0 };
	mm_machine_default_config(&w->mc);
	w->mc.memory = w->mem;
	w->mc.nr_memory = nmem;
	w->mc.reserved = w->res;
	w->mc.nr_reserved = c[C_RES_LEN] ? 1 : 0;
	w->mc.page_size = PAGE;
	w->mc.max_order = (unsigned)c[C_MAX_ORDER];
	w->mc.pcp_high = (unsigned)c[C_PCP];
	w->mc.pcp_batch = 2;
	w->mc.backing = c[C_BACKING] != 0;
	w->mc.meta = meta;
	if (mm_machine_boot(&w->mach, &w->mc) != 0)
		abort();
	w->start = buddy_start_pfn(buddy_of(w));
	w->end = buddy_end_pfn(buddy_of(w));
	if (w->end - w->start > SPAN_MAX)
		abort();
	memset(w->sig, 0, (w->end - w->start) * sizeof(w->sig[0]));
	for (size_t i = 0; i < nmem; i++)
		w->kmem[i] = (struct km_range){ w->mem[i].base, w->mem[i].base + w->mem[i].size };
	w->kres[0] = (struct km_range){ w->res[0].base, w->res[0].base + w->res[0].size };
	w->lay = (struct km_layout){ w->start, w->end, w->mc.max_order, PAGE_SHIFT,
				     w->kmem, nmem, w->kres, w->mc.nr_reserved };
	/* Every range is whole pages inside the span: a page is a hole, or
	 * on its range's node, free unless a reserved range overlaps it. */
	memset(w->page, P_HOLE, w->end - w->start);
	for (uint64_t i = 0; i < w->end - w->start; i++)
		w->node[i] = -1;
	for (size_t i = 0; i < nmem; i++)
		for (uint64_t pfn = w->kmem[i].start >> PAGE_SHIFT; pfn < w->kmem[i].end >> PAGE_SHIFT;
		     pfn++) {
			w->node[pfn - w->start] = w->mem[i].nid;
			*pstate(w, pfn) = P_FREE;
		}
	for (size_t i = 0; i < w->mc.nr_reserved; i++)
		for (uint64_t pfn = w->kres[i].start >> PAGE_SHIFT;
		     pfn < w->kres[i].end >> PAGE_SHIFT && pfn < w->end; pfn++)
			if (pfn >= w->start && *pstate(w, pfn) == P_FREE)
				*pstate(w, pfn) = P_FW;
	memcpy(w->boot_page, w->page, w->end - w->start);
	w->nwant_res = km_union(w->kres, w->mc.nr_reserved, NULL, 0, w->want_res, MAX_RES);
	return w;
}

static void destroy(void *w)
{
	mm_machine_destroy(W->mach);
	km_set_free(&W->out);
	km_set_free(&W->in);
	fz_free(W->blob);
	fz_world_free(w, sizeof(struct world));
}

/* After every op the layer's check (a walk of both sets when a kho call ran
 * since the last one); where the whole state is compared, the whole
 * machine's (the layers below too) and kho's walk regardless. */
static const char *check(void *w)
{
	return kho_check(kho_of(W));
}

static const char *check_full(void *w)
{
	const char *e = mm_machine_check(W->mach);

	return e ? e : kho_check_full(kho_of(W));
}

/* ---- comparing ---- */

/* A page as the comparison sees it. */
enum page_class { PC_HOLE, PC_RESERVED, PC_FREE, PC_ALLOC };
static const char *const class_name[] = { "hole", "reserved", "free", "allocated" };

static enum page_class page_class(enum buddy_page_state s)
{
	switch (s) {
	case BUDDY_HOLE:
		return PC_HOLE;
	case BUDDY_RESERVED:
		return PC_RESERVED;
	case BUDDY_ALLOC:
	case BUDDY_ALLOC_TAIL:
		return PC_ALLOC;
	default:
		return PC_FREE;
	}
}

/* After every op: the counters of both sets, the folios of a set the op
 * can have changed (the others with compare_full: no other op is handed
 * the kho instance, or only as const), and memblock's reserved list. */
static const char *compare(void *w, char *buf, size_t len)
{
	struct memblock *mb = mm_machine_memblock(W->mach);
	struct kho_stats st;
	const char *e;
	uint64_t nin = 0, pin = 0, pout = 0;
	unsigned touched = W->touched;

	W->touched = 0;
	W->fresh = touched;
	if (W->why[0]) {
		snprintf(buf, len, "%s", W->why);
		return buf;
	}
	if ((e = km_compare_sets(kho_of(W), touched, &W->out, &W->in, buf, len)))
		return e;
	for (size_t i = 0; i < W->in.n; i++)
		if (!W->in.f[i].restored) {
			nin++;
			pin += (uint64_t)1 << W->in.f[i].order;
		}
	for (size_t i = 0; i < W->out.n; i++)
		pout += (uint64_t)1 << W->out.f[i].order;
	kho_stats(kho_of(W), &st);
	if (st.folios[KHO_INCOMING] != nin || st.pages[KHO_INCOMING] != pin ||
	    st.folios[KHO_PRESERVED] != W->out.n || st.pages[KHO_PRESERVED] != pout ||
	    st.restored != W->restored || st.reserves != W->want_reserves) {
		snprintf(buf, len, "kho_stats: %" PRIu64 "/%" PRIu64 " incoming folios/pages, %"
			 PRIu64 "/%" PRIu64 " preserved, restored %d, %" PRIu64 " reserves; model %"
			 PRIu64 "/%" PRIu64 ", %zu/%" PRIu64 ", %d, %" PRIu64,
			 st.folios[KHO_INCOMING], st.pages[KHO_INCOMING], st.folios[KHO_PRESERVED],
			 st.pages[KHO_PRESERVED], st.restored, st.reserves, nin, pin, W->out.n, pout,
			 W->restored, W->want_reserves);
		return buf;
	}
	/* memblock's reserved list: the firmware ranges and the preserved runs. */
	if (memblock_region_count(mb, MEMBLOCK_RESERVED) != W->nwant_res) {
		snprintf(buf, len, "memblock has %zu reserved regions, the model %zu",
			 memblock_region_count(mb, MEMBLOCK_RESERVED), W->nwant_res);
		return buf;
	}
	for (size_t i = 0; i < W->nwant_res; i++) {
		const struct memblock_region *r = memblock_region(mb, MEMBLOCK_RESERVED, i);

		if (r->base != W->want_res[i].start || r->base + r->size != W->want_res[i].end) {
			snprintf(buf, len, "reserved region %zu is [0x%" PRIx64 ", 0x%" PRIx64
				 "), the model's [0x%" PRIx64 ", 0x%" PRIx64 ")",
				 i, r->base, r->base + r->size, W->want_res[i].start,
				 W->want_res[i].end);
			return buf;
		}
	}
	return NULL;
}

/* Every FZ_FULL_EVERY ops and after the last: both sets folio by folio,
 * each page's state, and the signature of each allocated page. */
static const char *compare_full(void *w, char *buf, size_t len)
{
	/* By the model's state (enum pstate). */
	static const enum page_class want_class[] = {
		[P_HOLE] = PC_HOLE, [P_FW] = PC_RESERVED, [P_FREE] = PC_FREE,
		[P_ALLOC] = PC_ALLOC, [P_KHO] = PC_RESERVED,
	};
	/* The sets this op's compare has just compared need no second look. */
	const char *e = km_compare_sets(kho_of(W),
					~W->fresh & (1u << KHO_PRESERVED | 1u << KHO_INCOMING),
					&W->out, &W->in, buf, len);
	struct buddy *b = buddy_of(W);
	struct buddy_page_info pi = { 0 };

	if (e)
		return e;
	/* The span in runs of pages buddy describes alike; within one, a
	 * stretch of pages the model has in one state other than allocated
	 * (no bytes to look at) is compared at once. */
	for (uint64_t pfn = W->start, run = 0, k; pfn < W->end; pfn += k, run -= k) {
		uint8_t m = W->page[pfn - W->start];
		uint64_t s = W->sig[pfn - W->start], head, tail;
		const uint8_t *p;

		if (!run)
			buddy_page_run(b, pfn, W->end - pfn, &pi, &run);
		if (page_class(pi.state) != want_class[m]) {
			snprintf(buf, len, "pfn 0x%" PRIx64 " is %s in buddy, %s in the model%s", pfn,
				 class_name[page_class(pi.state)], class_name[want_class[m]],
				 m == P_KHO ? " (preserved)" : "");
			return buf;
		}
		for (k = 1; m != P_ALLOC && k < run && W->page[pfn + k - W->start] == m; k++)
			;
		if (m != P_ALLOC || !s || !(p = buddy_page_ptr(b, pfn)))
			continue;
		memcpy(&head, p, sizeof(head));
		memcpy(&tail, p + PAGE - sizeof(tail), sizeof(tail));
		if (head != s || tail != s) {
			snprintf(buf, len, "pfn 0x%" PRIx64 " lost its bytes (0x%" PRIx64
				 " / 0x%" PRIx64 ", wrote 0x%" PRIx64 ")", pfn, head, tail, s);
			return buf;
		}
	}
	return NULL;
}

/* ---- expect lines ----
 * expect preserved|incoming PFN/ORDER...|empty   the set, as kho_walk lists it
 * expect reserved START-END...                   memblock's reserved list, in pfns
 * expect reserves N                              memblock_reserve calls of the restore
 * expect free N                                  buddy's free pages
 */
static const char *expect(void *w, const char *line, char *buf, size_t len)
{
	char copy[1024], *save = NULL, *tok;
	static struct km_walk wk;
	size_t i = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	tok = strtok_r(copy, " \t", &save);
	if (tok && (!strcmp(tok, "preserved") || !strcmp(tok, "incoming"))) {
		wk.n = 0;
		kho_walk(kho_of(W), tok[0] == 'p' ? KHO_PRESERVED : KHO_INCOMING, km_walk_collect, &wk);
		while ((tok = strtok_r(NULL, " \t", &save))) {
			char *slash = strchr(tok, '/');

			if (!strcmp(tok, "empty"))
				continue;
			if (!slash || i >= wk.n || wk.f[i].pfn != strtoull(tok, NULL, 0) ||
			    wk.f[i].order != strtoul(slash + 1, NULL, 0)) {
				snprintf(buf, len, "folio %zu is not %s (%zu folios)", i, tok, wk.n);
				return buf;
			}
			i++;
		}
		if (i != wk.n) {
			snprintf(buf, len, "%zu folios, expected %zu", wk.n, i);
			return buf;
		}
		return NULL;
	}
	if (tok && !strcmp(tok, "reserved")) {
		struct memblock *mb = mm_machine_memblock(W->mach);

		while ((tok = strtok_r(NULL, " \t", &save))) {
			const struct memblock_region *r = memblock_region(mb, MEMBLOCK_RESERVED, i);
			char *dash = strchr(tok, '-');

			if (!dash || !r || r->base != strtoull(tok, NULL, 0) << PAGE_SHIFT ||
			    r->base + r->size != strtoull(dash + 1, NULL, 0) << PAGE_SHIFT) {
				snprintf(buf, len, "reserved region %zu is not pfns %s", i, tok);
				return buf;
			}
			i++;
		}
		if (i != memblock_region_count(mb, MEMBLOCK_RESERVED)) {
			snprintf(buf, len, "%zu reserved regions, expected %zu",
				 memblock_region_count(mb, MEMBLOCK_RESERVED), i);
			return buf;
		}
		return NULL;
	}
	if (tok && (!strcmp(tok, "reserves") || !strcmp(tok, "free"))) {
		char *v = strtok_r(NULL, " \t", &save);
		struct kho_stats st;
		uint64_t got;

		kho_stats(kho_of(W), &st);
		got = tok[0] == 'r' ? st.reserves : buddy_nr_free(buddy_of(W), NUMA_NO_NODE);
		if (!v || got != strtoull(v, NULL, 0)) {
			snprintf(buf, len, "%s is %" PRIu64, tok, got);
			return buf;
		}
		return NULL;
	}
	snprintf(buf, len, "expect preserved|incoming|reserved|reserves|free ...");
	return buf;
}

static void dump_set(FILE *f, const char *name, const struct km_set *s)
{
	fprintf(f, "  model %s:", name);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, " %" PRIx64 "/%u%s", s->f[i].pfn, s->f[i].order,
			s->f[i].restored ? "(r)" : "");
	fprintf(f, "\n");
}

static void dump(void *w, FILE *f)
{
	static const char cls[] = "HRFAK";
	static struct km_walk wk;

	dump_set(f, "preserved", &W->out);
	dump_set(f, "incoming", &W->in);
	wk.n = 0;
	kho_walk(kho_of(W), KHO_PRESERVED, km_walk_collect, &wk);
	fprintf(f, "  implementation preserved:");
	for (size_t i = 0; i < wk.n && i < KM_WALK_MAX; i++)
		fprintf(f, " %" PRIx64 "/%u", wk.f[i].pfn, wk.f[i].order);
	fprintf(f, "\n  model pages from pfn 0x%" PRIx64 " (H hole, R firmware, F free, "
		   "A allocated, K kept by kho):\n  ", W->start);
	for (uint64_t pfn = W->start; pfn < W->end; pfn++)
		fputc(cls[*pstate(W, pfn)], f);
	fprintf(f, "\n  blob: %s, %zu bytes%s%s; the model's reader, last time: %s\n",
		W->have_blob ? "yes" : "none", W->blob_len, W->damage ? ", damaged by " : "",
		W->damage ? W->damage : "", W->decode_why ? W->decode_why : "valid");
}

static const struct fz_target target = {
	.name = "kho",
	.cfg = cfg,
	.ncfg = sizeof(cfg) / sizeof(cfg[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.create = create,
	.destroy = destroy,
	.compare = compare,
	.compare_full = compare_full,
	.check = check,
	.check_full = check_full,
	.expect = expect,
	.dump = dump,
};

FZ_TARGET(target)
