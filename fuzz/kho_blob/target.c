/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kho_blob: any bytes into kho_restore on a freshly booted machine
 * (a memblock with its memory and firmware map, and an empty kho).
 *
 * The input format is in target.h. Machine A: pages of 64 bytes, memory
 * at pfns 0x00..0x7f (node 0) and 0x90..0xff (node 1) with a hole between,
 * firmware-reserved 0x04..0x05, max_order 4. Machine B: memory at
 * 0x10..0x80f, firmware-reserved 0x800..0x803, max_order 0 (so that runs
 * of whole words are easy to reach, across several 512-folio leaves).
 *
 * The model's own reader (fuzz/kho/model.c) says whether the blob must be
 * accepted and what it holds. Then:
 *  - refused: -MM_EINVAL, memblock's reserved list exactly as before,
 *    nothing incoming, the instance not marked restored;
 *  - accepted: 0, the reserved list is the old one plus exactly the pages
 *    the blob names, with one memblock_reserve per run of them; the
 *    incoming set is the model's; a fresh instance preserving those
 *    folios serializes to the very same bytes (valid blobs are
 *    canonical); each folio is handed back once, at its head, with its
 *    order;
 *  - a bookkeeping allocation failed: -MM_ENOMEM only for a blob the
 *    model accepts (validation allocates nothing), and memblock and the
 *    instance as before;
 *  - every check of both instances holds, and nothing leaks.
 * Any difference aborts with a message.
 */
#include "target.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../kho/model.h"
#include "kho.h"
#include "memblock.h"

#define PAGE_SHIFT 6
#define MAX_REGIONS 512

struct machine {
	struct km_range mem[2], res[1];
	int nid[2];
	size_t nmem;
	struct km_layout lay;
};

static void machine_of(unsigned ctl, struct machine *m)
{
	memset(m, 0, sizeof(*m));
	if (ctl & KB_LAYOUT_B) {
		m->mem[0] = (struct km_range){ 0x10 << PAGE_SHIFT, 0x810 << PAGE_SHIFT };
		m->nmem = 1;
		m->res[0] = (struct km_range){ 0x800 << PAGE_SHIFT, 0x804 << PAGE_SHIFT };
		m->lay = (struct km_layout){ 0x10, 0x810, 0, PAGE_SHIFT, m->mem, 1, m->res, 1 };
		return;
	}
	m->mem[0] = (struct km_range){ 0x00 << PAGE_SHIFT, 0x80 << PAGE_SHIFT };
	m->mem[1] = (struct km_range){ 0x90 << PAGE_SHIFT, 0x100 << PAGE_SHIFT };
	m->nid[1] = 1;
	m->nmem = 2;
	m->res[0] = (struct km_range){ 0x04 << PAGE_SHIFT, 0x06 << PAGE_SHIFT };
	m->lay = (struct km_layout){ 0x00, 0x100, 4, PAGE_SHIFT, m->mem, 2, m->res, 1 };
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int boot(const struct machine *m, struct mm_meta *meta, struct memblock **mb,
		struct kho **k)
{
	struct memblock_config mc = { .memory_cap = 4, .reserved_cap = 2, .meta = meta };
	struct kho_config kc;

	if (memblock_create(mb, &mc))
		return -1;
	for (size_t i = 0; i < m->nmem; i++)
		if (memblock_add_node(*mb, m->mem[i].start, m->mem[i].end - m->mem[i].start,
				      m->nid[i], 0))
			return -1;
	if (memblock_reserve(*mb, m->res[0].start, m->res[0].end - m->res[0].start))
		return -1;
	kho_default_config(&kc, m->lay.start, m->lay.end);
	kc.max_order = m->lay.max_order;
	kc.page_size = 1u << PAGE_SHIFT;
	kc.meta = meta;
	return kho_create(k, &kc) ? -1 : 0;
}

struct walk {
	struct km_folio *f;
	size_t n;
};

static void walk_fn(void *ctx, uint64_t pfn, unsigned order)
{
	struct walk *w = ctx;

	w->f = realloc(w->f, (w->n + 1) * sizeof(*w->f));
	if (!w->f)
		abort();
	w->f[w->n++] = (struct km_folio){ pfn, order, false };
}

/* memblock's reserved list. */
static size_t reserved(const struct memblock *mb, struct km_range *out)
{
	size_t n = memblock_region_count(mb, MEMBLOCK_RESERVED);

	for (size_t i = 0; i < n && i < MAX_REGIONS; i++) {
		const struct memblock_region *r = memblock_region(mb, MEMBLOCK_RESERVED, i);

		out[i] = (struct km_range){ r->base, r->base + r->size };
	}
	return n;
}

static bool same_ranges(const struct km_range *a, size_t na, const struct km_range *b,
			size_t nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

#define FAIL(...)                                                                \
	do {                                                                     \
		snprintf(buf, len, __VA_ARGS__);                                 \
		goto out;                                                        \
	} while (0)

/* The checks of an accepted blob. */
static const char *accepted(const uint8_t *blob, size_t n, const struct machine *m,
			    struct memblock *mb, struct kho *k, const struct km_set *want,
			    const struct km_range *before, size_t nbefore, char *buf, size_t len)
{
	static struct km_range runs[MAX_REGIONS], expect[MAX_REGIONS], now[MAX_REGIONS];
	struct walk w = { NULL, 0 };
	struct kho_stats st;
	struct kho *k2 = NULL;
	struct kho_config kc;
	uint8_t *again = NULL;
	size_t nruns = km_runs(want, runs, MAX_REGIONS), nexp, nnow, got = 0;
	const char *e = NULL;

	for (size_t i = 0; i < nruns && i < MAX_REGIONS; i++) {
		runs[i].start <<= PAGE_SHIFT;
		runs[i].end <<= PAGE_SHIFT;
	}
	nexp = km_union(before, nbefore, runs, nruns, expect, MAX_REGIONS);
	nnow = reserved(mb, now);
	if (!same_ranges(now, nnow, expect, nexp))
		FAIL("accepted: memblock holds %zu reserved regions, the model %zu (or they differ)",
		     nnow, nexp);
	kho_stats(k, &st);
	if (!st.restored || st.reserves != nruns)
		FAIL("accepted: %" PRIu64 " memblock_reserve calls, %zu runs of pages", st.reserves,
		     nruns);
	kho_walk(k, KHO_INCOMING, walk_fn, &w);
	if (w.n != want->n)
		FAIL("accepted: %zu folios incoming, the model reads %zu", w.n, want->n);
	for (size_t i = 0; i < w.n; i++)
		if (w.f[i].pfn != want->f[i].pfn || w.f[i].order != want->f[i].order)
			FAIL("accepted: incoming folio %zu is 0x%" PRIx64 "/%u, the model's 0x%" PRIx64
			     "/%u", i, w.f[i].pfn, w.f[i].order, want->f[i].pfn, want->f[i].order);
	/* The same folios preserved afresh serialize to the same bytes. */
	kho_default_config(&kc, m->lay.start, m->lay.end);
	kc.max_order = m->lay.max_order;
	kc.page_size = 1u << PAGE_SHIFT;
	if (kho_create(&k2, &kc))
		abort();
	for (size_t i = 0; i < want->n; i++)
		if (kho_preserve_folio(k2, want->f[i].pfn, want->f[i].order))
			FAIL("accepted: folio 0x%" PRIx64 "/%u cannot be preserved again",
			     want->f[i].pfn, want->f[i].order);
	again = malloc(n);
	if (!again)
		abort();
	if (kho_serialized_size(k2) != n || kho_serialize(k2, again, n, &got) || got != n ||
	    memcmp(again, blob, n))
		FAIL("accepted: its folios serialize to other bytes (%zu, not %zu): not canonical",
		     kho_serialized_size(k2), n);
	/* Each folio back once, at its head. */
	for (size_t i = 0; i < want->n; i++) {
		unsigned order = 99;
		uint64_t pfn = want->f[i].pfn;

		if (want->f[i].order && kho_restore_folio(k, NULL, pfn + 1, &order) != -MM_ENOENT)
			FAIL("restore_folio of a tail (0x%" PRIx64 ") did not fail", pfn + 1);
		if (kho_restore_folio(k, NULL, pfn, &order) || order != want->f[i].order)
			FAIL("restore_folio(0x%" PRIx64 ") did not give order %u", pfn,
			     want->f[i].order);
		if (kho_restore_folio(k, NULL, pfn, &order) != -MM_ENOENT)
			FAIL("restore_folio(0x%" PRIx64 ") worked twice", pfn);
	}
	kho_stats(k, &st);
	if (st.folios[KHO_INCOMING] || st.pages[KHO_INCOMING])
		FAIL("folios left incoming after all were restored");
	if ((e = kho_check(k2)))
		FAIL("kho_check of the fresh instance: %s", e);
out:
	free(w.f);
	free(again);
	kho_destroy(k2);
	return buf[0] ? buf : NULL;
}

const char *kb_run(const uint8_t *data, size_t size, uint64_t fail_at, uint64_t *allocs,
		   char *buf, size_t len)
{
	static struct km_range before[MAX_REGIONS], after[MAX_REGIONS];
	unsigned ctl = size > 0 ? data[0] : 0, fault = size > 1 ? data[1] : 0;
	size_t n = size > 2 ? size - 2 : 0, nbefore, nafter;
	struct km_set want = { 0 };
	struct memblock *mb = NULL;
	struct kho *k = NULL;
	struct machine m;
	struct mm_meta meta;
	struct kho_stats st;
	const char *why, *e;
	uint8_t *blob = malloc(n ? n : 1);
	uint64_t failed;
	bool valid;
	int rc;

	buf[0] = 0;
	if (!blob)
		abort();
	if (n)
		memcpy(blob, data + 2, n);
	if ((ctl & KB_FIX_LEN) && n >= 32)
		put64(blob + 24, n);
	if ((ctl & KB_FIX_SUM) && n >= 8)
		put64(blob + n - 8, km_checksum(blob, n - 8));
	machine_of(ctl, &m);
	mm_meta_init(&meta);
	if (boot(&m, &meta, &mb, &k))
		abort(); /* the machines are fixed: they always boot */
	nbefore = reserved(mb, before);
	valid = km_decode(blob, n, &m.lay, &want, &why);

	if (fail_at)
		mm_meta_fail_at(&meta, fail_at, false);
	else if (ctl & KB_FAULT)
		mm_meta_fail_at(&meta, fault + 1u, false);
	rc = kho_restore(k, blob, n, mb);
	if (allocs)
		*allocs = meta.calls;
	failed = meta.failures;
	mm_meta_fail_at(&meta, 0, false);

	kho_stats(k, &st);
	nafter = reserved(mb, after);
	if (rc == -MM_ENOMEM) {
		if (!failed)
			FAIL("restore: -ENOMEM with no allocation failed");
		if (!valid)
			FAIL("restore: -ENOMEM for a blob the model refuses (%s): validation allocated",
			     why);
	} else if (rc == 0) {
		if (!valid)
			FAIL("restore accepted a blob the model refuses: %s", why);
		if (accepted(blob, n, &m, mb, k, &want, before, nbefore, buf, len))
			goto out;
	} else if (rc != -MM_EINVAL) {
		FAIL("restore returned %d", rc);
	} else if (valid) {
		FAIL("restore refused (-EINVAL) a blob the model accepts (%zu folios)", want.n);
	}
	if (rc) { /* refused, or out of memory: nothing happened */
		if (!same_ranges(after, nafter, before, nbefore))
			FAIL("restore failed (%d) but memblock's reserved list changed (%zu -> %zu)",
			     rc, nbefore, nafter);
		if (st.restored || st.folios[KHO_INCOMING] || st.pages[KHO_INCOMING] || st.reserves)
			FAIL("restore failed (%d) but the instance changed", rc);
	}
	if ((e = kho_check(k)))
		FAIL("kho_check: %s", e);
	if ((e = memblock_check(mb)))
		FAIL("memblock_check: %s", e);
out:
	kho_destroy(k);
	memblock_destroy(mb);
	km_set_free(&want);
	free(blob);
	if (!buf[0] && meta.live)
		snprintf(buf, len, "%" PRIu64 " bookkeeping allocations not freed", meta.live);
	return buf[0] ? buf : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[512];

	if (kb_run(data, size, 0, NULL, msg, sizeof(msg))) {
		fprintf(stderr, "==== kho_blob: %s\n", msg);
		kb_describe(data, size, stderr);
		abort();
	}
	return 0;
}

/* ---- seeds ---- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int write_seed(const char *dir, int no, unsigned ctl, const struct km_set *s,
		      const struct machine *m)
{
	size_t n = km_encode(s, &m->lay, NULL, 0);
	uint8_t *b = malloc(n + 2);
	const char *why;
	struct km_set back = { 0 };
	char path[4096];
	FILE *f;
	bool ok;

	if (!b)
		abort();
	b[0] = (uint8_t)ctl;
	b[1] = 0;
	km_encode(s, &m->lay, b + 2, n);
	/* Only blobs the next kernel accepts are seeds. */
	ok = km_decode(b + 2, n, &m->lay, &back, &why);
	km_set_free(&back);
	snprintf(path, sizeof(path), "%s/gen-%02d", dir, no);
	if (ok && (f = fopen(path, "wb"))) {
		ok = fwrite(b, 1, n + 2, f) == n + 2;
		ok &= fclose(f) == 0;
	}
	free(b);
	return ok ? 1 : 0;
}

/* A set for machine m in one of a few shapes, from seed. */
static void shape(struct km_set *s, const struct machine *m, int kind, uint64_t seed)
{
	uint64_t span = m->lay.end - m->lay.start;

	static const int steps[3] = { 12, 40, 3 };

	km_set_clear(s);
	for (int i = 0; i < steps[kind]; i++) {
		uint64_t r = rng_next(&seed), pfn = m->lay.start + r % span;
		unsigned order = (unsigned)((r >> 32) % (m->lay.max_order + 1));
		struct km_set trial = { 0 };
		const char *why;
		bool ok;

		km_set_copy(&trial, s);
		if (kind == 0) /* sparse single pages */
			km_preserve_folio(&trial, &m->lay, pfn, 0);
		else if (kind == 1) /* folios of every order */
			km_preserve_folio(&trial, &m->lay, pfn & ~((1ull << order) - 1), order);
		else /* dense runs of pages */
			km_preserve_pages(&trial, &m->lay, pfn, 1 + (r >> 40) % (span / 2));
		/* Keep the step only if the blob stays acceptable. */
		{
			size_t n = km_encode(&trial, &m->lay, NULL, 0);
			uint8_t *b = malloc(n);
			struct km_set back = { 0 };

			if (!b)
				abort();
			km_encode(&trial, &m->lay, b, n);
			ok = km_decode(b, n, &m->lay, &back, &why);
			km_set_free(&back);
			free(b);
		}
		if (ok)
			km_set_copy(s, &trial);
		km_set_free(&trial);
	}
}

int kb_gen(const char *dir)
{
	struct km_set s = { 0 };
	int no = 0, written = 0;

	for (unsigned layout = 0; layout < 2; layout++) {
		struct machine m;
		unsigned ctl = layout ? KB_LAYOUT_B : 0;

		machine_of(ctl, &m);
		km_set_clear(&s);
		written += write_seed(dir, no++, ctl, &s, &m); /* the empty blob */
		for (int kind = 0; kind < 3; kind++)
			for (uint64_t seed = 1; seed <= 3; seed++) {
				shape(&s, &m, kind, seed * 1000 + (uint64_t)kind + layout * 7);
				/* Some with the fix bits set: the same bytes either way. */
				written += write_seed(dir, no++,
						      ctl | (seed == 3 ? KB_FIX_LEN | KB_FIX_SUM : 0),
						      &s, &m);
			}
	}
	km_set_free(&s);
	return written == no ? written : -1;
}

/* ---- describing an input ---- */

static uint64_t rd(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void kb_describe(const uint8_t *data, size_t size, FILE *f)
{
	unsigned ctl = size > 0 ? data[0] : 0;
	size_t n = size > 2 ? size - 2 : 0, pos = 32, body;
	const uint8_t *p = data + 2;
	struct km_set want = { 0 };
	struct machine m;
	const char *why;
	uint8_t *blob;

	fprintf(f, "# control 0x%02x:%s%s machine %c%s; blob of %zu bytes\n", ctl,
		ctl & KB_FIX_LEN ? " fix total_len," : "", ctl & KB_FIX_SUM ? " fix checksum," : "",
		ctl & KB_LAYOUT_B ? 'B' : 'A', ctl & KB_FAULT ? ", one allocation failed" : "", n);
	if (n >= 32) {
		fprintf(f, "# header: magic %.8s version %" PRIu64 " page_shift %" PRIu64
			   " nr_sections %" PRIu64 " flags %" PRIu64 " total_len %" PRIu64 "\n",
			(const char *)p, rd(p + 8, 4), rd(p + 12, 4), rd(p + 16, 4), rd(p + 20, 4),
			rd(p + 24, 8));
		body = n >= 8 ? n - 8 : 0;
		for (uint64_t i = 0; i < rd(p + 16, 4) && i < 32 && body >= pos + 24; i++) {
			uint64_t nr = rd(p + pos + 8, 8), nw = rd(p + pos + 16, 8);

			fprintf(f, "# section %" PRIu64 ": tag %.4s order %" PRIu64 " runs %" PRIu64
				   " words %" PRIu64 "\n",
				i, (const char *)(p + pos), rd(p + pos + 4, 4), nr, nw);
			pos += 24;
			for (uint64_t r = 0; r < nr + nw && r < 16 && body >= pos + 16; r++, pos += 16)
				fprintf(f, "#   %s key 0x%" PRIx64 " %s 0x%" PRIx64 "\n",
					r < nr ? "run " : "word", rd(p + pos, 8),
					r < nr ? "count" : "bits ", rd(p + pos + 8, 8));
			if (nr + nw > 16)
				break;
		}
	}
	blob = malloc(n ? n : 1);
	if (!blob)
		abort();
	if (n)
		memcpy(blob, p, n);
	if ((ctl & KB_FIX_LEN) && n >= 32)
		put64(blob + 24, n);
	if ((ctl & KB_FIX_SUM) && n >= 8)
		put64(blob + n - 8, km_checksum(blob, n - 8));
	machine_of(ctl, &m);
	fprintf(f, "# the model: %s\n", km_decode(blob, n, &m.lay, &want, &why) ? "valid" : why);
	km_set_free(&want);
	free(blob);
}
