/* SPDX-License-Identifier: MIT */
/*
 * fuzz_percpu: the per-CPU allocator over an mm_machine (buddy, vmap,
 * vmalloc) whose pages are host memory, against the naive model.
 *
 * Every alloc is checked against the contract's placement (best fit: the
 * model predicts the address; first fit: the lowest slot with a fit and
 * the lowest offset in that chunk; a new chunk only when nothing fits),
 * its memory must read zero in every CPU's unit, and then
 * the target writes a signature into every byte of every CPU's copy (a
 * distinct one per object, CPU and byte). Before a free every byte of
 * the object in every unit is read back, and on a verify op every byte of
 * every live object; after every op the first and last byte of each
 * object in the chunk the op allocated from or freed to (in every chunk
 * after a failed alloc). After every op the chunks and their slots, the
 * counters, and buddy's free pages must be what the model says, and
 * percpu_check must pass; every FZ_FULL_EVERY ops and after the last, so
 * must the first and last byte of every object, the populated pages of
 * every unit (through vmalloc's page tables) and every layer's check.
 *
 * The header sets the shape: cpus, nodes, page size, unit pages, the pages
 * of memory (few enough that buddy runs out), and whether pages are
 * backed by host memory.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "machine.h"
#include "model.h"

#define VSTART 0x100000u
#define VSIZE (64u << 20)

struct world {
	struct mm_machine *mach;
	struct percpu *pc;
	struct vmalloc *v;
	struct buddy *b;
	struct pm *m;
	unsigned ncpus;
	uint64_t page, unit_bytes, free0;
	bool backing;
	uint64_t next_tag;
	int impl_rc; /* the implementation's last alloc, for the model */
	uint64_t impl_ptr;
	uint64_t free_before; /* buddy's free pages before it */
	bool verify_all;   /* a verify op asked for every byte */
	char pending[512]; /* a data failure the last op met, for compare() */
	uint8_t *want;     /* unit_bytes: what an object's copy must hold */
	bool touched;      /* the last op allocated or freed at touched_ptr */
	uint64_t touched_ptr;
	bool touched_any;  /* ... or an alloc failed, maybe after populating */
};

/* What a fresh object reads, a page at a time (pages are at most 1 KiB). */
static const uint8_t zero_page[1024];

#define W ((struct world *)w)

/* ---- the data written into every CPU's copy ---- */

/* The signature of object tag in cpu's copy: a seed mixed from both, and
 * bytes 8k to 8k + 7 a hash of the seed and k, so that copies and objects
 * differ everywhere. */
static uint64_t sig_seed(uint64_t tag, unsigned cpu)
{
	uint64_t h = tag * 0x9e3779b97f4a7c15ull ^ ((uint64_t)cpu + 1) * 0xd1b54a32d192ed03ull;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 29;
}

static uint64_t sig_mix(uint64_t seed, uint64_t k)
{
	uint64_t h = (seed ^ k) * 0x94d049bb133111ebull;

	return h ^ h >> 32;
}

static uint64_t sig_word(uint64_t tag, unsigned cpu, uint64_t k)
{
	return sig_mix(sig_seed(tag, cpu), k);
}

/* Byte i: byte i % 8 of word i / 8 as it lies in memory. */
static uint8_t sig(uint64_t tag, unsigned cpu, uint64_t i)
{
	uint64_t h = sig_word(tag, cpu, i / 8);
	uint8_t b[8];

	memcpy(b, &h, sizeof(b));
	return b[i % 8];
}

/* Bytes [0, n) of that signature (and up to the next multiple of 8: the
 * buffer holds unit_bytes, a multiple of 8) into w->want. */
static const uint8_t *sig_fill(struct world *w, uint64_t tag, unsigned cpu, uint64_t n)
{
	uint64_t seed = sig_seed(tag, cpu);

	for (uint64_t k = 0; k * 8 < n; k++) {
		uint64_t h = sig_mix(seed, k);

		memcpy(w->want + k * 8, &h, sizeof(h));
	}
	return w->want;
}

/* The bytes of cpu's copy of the object at ptr from byte i to the end of
 * its page (not past byte end), through the host memory: one translation a page. */
static uint8_t *host_run(struct world *w, uint64_t ptr, unsigned cpu, uint64_t i, uint64_t end,
			 uint64_t *run)
{
	uint64_t in_page = w->page - (ptr + i) % w->page;

	*run = end - i < in_page ? end - i : in_page;
	return percpu_host(w->pc, ptr + i, cpu);
}

/* Bytes [i, i + n) of cpu's copy of o must read want[0, n), or zero when
 * want is NULL; the first one that does not goes to pending. */
static bool verify_run(struct world *w, const struct pm_object *o, unsigned cpu, uint64_t i,
		       uint64_t n, const uint8_t *want)
{
	for (uint64_t run, d = 0; d < n; d += run) {
		const uint8_t *p = host_run(w, o->ptr, cpu, i + d, i + n, &run);
		const uint8_t *exp = want ? want + d : zero_page;
		uint64_t j = 0;

		if (p && !memcmp(p, exp, (size_t)run))
			continue;
		while (p && j < run && p[j] == exp[j])
			j++;
		snprintf(w->pending, sizeof(w->pending),
			 "object 0x%" PRIx64 " (%" PRIu64 " bytes), cpu %u, byte %" PRIu64
			 ": %s, expected 0x%02x", o->ptr, o->bytes, cpu, i + d + j,
			 p ? "wrong data" : "no memory", exp[j]);
		if (p)
			snprintf(w->pending + strlen(w->pending), sizeof(w->pending) - strlen(w->pending),
				 " (read 0x%02x)", p[j]);
		return false;
	}
	return true;
}

/* Check every byte of every copy of o against its signature, or just the
 * first and last byte; the first difference goes to pending. */
static bool verify(struct world *w, const struct pm_object *o, bool full)
{
	if (!w->backing || !o->bytes)
		return true;
	for (unsigned cpu = 0; cpu < w->ncpus; cpu++) {
		uint64_t last = o->bytes - 1;
		uint8_t first_b = sig(o->tag, cpu, 0), last_b = sig(o->tag, cpu, last);

		if (full ? !verify_run(w, o, cpu, 0, o->bytes, sig_fill(w, o->tag, cpu, o->bytes))
			 : !verify_run(w, o, cpu, 0, 1, &first_b) ||
				   !verify_run(w, o, cpu, last, 1, &last_b))
			return false;
	}
	return true;
}

/* A new object: every byte of every copy must read zero (the first that
 * does not goes to pending), and then holds its signature; one translation
 * a page for both. */
static void fill_new(struct world *w, const struct pm_object *o)
{
	if (!w->backing)
		return;
	for (unsigned cpu = 0; cpu < w->ncpus; cpu++) {
		const uint8_t *want = sig_fill(w, o->tag, cpu, o->bytes);

		for (uint64_t i = 0, run; i < o->bytes; i += run) {
			uint8_t *p = host_run(w, o->ptr, cpu, i, o->bytes, &run);

			if (!p || memcmp(p, zero_page, (size_t)run)) {
				verify_run(w, o, cpu, i, run, NULL); /* says where */
				return;
			}
			memcpy(p, want + i, (size_t)run);
		}
	}
}

/* ---- ops ---- */

static struct fz_result i_alloc(void *w, const uint64_t *a)
{
	uint64_t ptr = 0;
	int rc;

	W->free_before = buddy_nr_free(W->b, NUMA_NO_NODE);
	rc = percpu_alloc(W->pc, a[0], a[1], &ptr);
	W->impl_rc = rc;
	W->impl_ptr = ptr;
	W->touched = !rc;
	W->touched_ptr = ptr;
	W->touched_any = rc != 0;
	/* Zeroed in every unit, then the client's data (a size the contract
	 * refuses is the model's to report, not the buffers'). */
	if (!rc && a[0] <= W->unit_bytes) {
		struct pm_object o = { ptr, (a[0] + 3) / 4 * 4, W->next_tag };

		fill_new(W, &o);
	}
	return fz_val(rc, ptr);
}
static struct fz_result m_alloc(void *w, const uint64_t *a)
{
	uint64_t ptr = 0;
	int rc = pm_alloc(W->m, a[0], a[1], W->impl_rc, W->impl_ptr, W->free_before,
			  W->next_tag, &ptr);

	W->next_tag++;
	return fz_val(rc, ptr);
}

/* free(ptr + delta): the client's data is read back first. */
static struct fz_result i_free(void *w, const uint64_t *a)
{
	uint64_t ptr = a[0] + a[1];

	for (unsigned i = 0; i < pm_nr_objects(W->m); i++)
		if (pm_object(W->m, i)->ptr == ptr && !W->pending[0])
			verify(W, pm_object(W->m, i), true);
	W->touched = true;
	W->touched_ptr = ptr;
	return fz_rc(percpu_free(W->pc, ptr));
}
static struct fz_result m_free(void *w, const uint64_t *a)
{
	return fz_rc(pm_free(W->m, a[0] + a[1], NULL, NULL));
}

static struct fz_result i_ptr(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	unsigned cpu = a[2] > 64 ? 64 : (unsigned)a[2];
	int rc = percpu_ptr(W->pc, a[0] + a[1], cpu, &addr); /* before addr is read */

	return fz_val(rc, addr);
}
static struct fz_result m_ptr(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	unsigned cpu = a[2] > 64 ? 64 : (unsigned)a[2];
	int rc = pm_ptr(W->m, a[0] + a[1], cpu, &addr);

	return fz_val(rc, addr);
}

static struct fz_result i_verify(void *w, const uint64_t *a)
{
	(void)a;
	W->verify_all = true;
	return fz_rc(0);
}
static struct fz_result m_verify(void *w, const uint64_t *a)
{
	(void)w, (void)a;
	return fz_rc(0);
}

/* ---- the table ---- */

#define A_SIZE { "size", FZ_INT, 0, 4200, NULL }
#define A_ALIGN { "align", FZ_ALIGN, 0, 0, NULL }
#define A_H { "ptr", FZ_HANDLE, 0, 0, NULL }
#define A_DELTA { "delta", FZ_INT, 0, 64, NULL }
#define A_CPU { "cpu", FZ_INT, 0, 4, NULL }

static const struct fz_op_def ops[] = {
	{ "alloc", FZ_RET_HANDLE, 2, { A_SIZE, A_ALIGN }, i_alloc, m_alloc },
	{ "alloc", FZ_RET_HANDLE, 2, { A_SIZE, A_ALIGN }, i_alloc, m_alloc },
	{ "alloc", FZ_RET_HANDLE, 2, { A_SIZE, A_ALIGN }, i_alloc, m_alloc },
	{ "free", 0, 2, { A_H, A_DELTA }, i_free, m_free },
	{ "free", 0, 2, { A_H, A_DELTA }, i_free, m_free },
	{ "free", 0, 2, { { "ptr", FZ_ADDR, 0, 0, NULL }, A_DELTA }, i_free, m_free },
	{ "per_cpu_ptr", FZ_RET_VALUE, 3, { A_H, A_DELTA, A_CPU }, i_ptr, m_ptr },
	{ "per_cpu_ptr", FZ_RET_VALUE, 3, { { "ptr", FZ_ADDR, 0, 0, NULL }, A_DELTA, A_CPU },
	  i_ptr, m_ptr },
	{ "verify", 0, 0, { { 0 } }, i_verify, m_verify },
};

enum { C_CPUS, C_NODES, C_PAGE_SHIFT, C_UNIT_PAGES, C_PAGES, C_BACKING, C_HIGH, C_POLICY };

static const struct fz_cfg_def cfg[] = {
	{ "cpus", 1, 4, 2 },
	{ "nodes", 1, 2, 2 },
	{ "page_shift", 8, 10, 8 },
	{ "unit_pages", 1, 8, 4 },
	{ "pages", 1, 512, 256 },
	{ "backing", 0, 1, 1 },
	{ "pcp_high", 0, 8, 2 },
	{ "first_fit", 0, 1, 0 }, /* 0: PERCPU_BEST_FIT, 1: PERCPU_FIRST_FIT */
};

/* ---- world ---- */

static void *create(const uint64_t *c, struct mm_meta *meta)
{
	struct world *w = calloc(1, sizeof(*w));
	struct mm_machine_config mc;
	struct mm_range mem[2];
	uint64_t page = (uint64_t)1 << c[C_PAGE_SHIFT], bytes = c[C_PAGES] * page;
	struct percpu_stats st;

	if (!w)
		abort();
	mm_machine_default_config(&mc);
	/* One node, or the memory in two halves on two nodes. */
	mem[0] = (struct mm_range){ 0, c[C_NODES] == 2 ? bytes / 2 : bytes, 0 };
	mem[1] = (struct mm_range){ mem[0].size, bytes - mem[0].size, 1 };
	mc.memory = mem;
	mc.nr_memory = c[C_NODES] == 2 && mem[0].size && mem[1].size ? 2 : 1;
	if (!mem[0].size)
		mem[0] = mem[1];
	mc.page_size = page;
	mc.nr_cpus = (unsigned)c[C_CPUS];
	mc.max_order = 3;
	mc.pcp_high = (unsigned)c[C_HIGH];
	mc.pcp_batch = 2;
	mc.backing = c[C_BACKING] != 0;
	mc.vmalloc_start = VSTART;
	mc.vmalloc_size = VSIZE;
	mc.lazy_max_pages = 64;
	mc.percpu = true;
	mc.percpu_unit_pages = c[C_UNIT_PAGES];
	mc.percpu_policy = c[C_POLICY] ? PERCPU_FIRST_FIT : PERCPU_BEST_FIT;
	mc.meta = meta;
	if (mm_machine_boot(&w->mach, &mc) != 0)
		abort();
	w->pc = mm_machine_percpu(w->mach);
	w->v = mm_machine_vmalloc(w->mach);
	w->b = mm_machine_buddy(w->mach);
	w->ncpus = mc.nr_cpus;
	w->page = page;
	w->backing = mc.backing;
	percpu_stats(w->pc, &st);
	w->unit_bytes = st.unit_bytes;
	w->free0 = buddy_nr_free(w->b, NUMA_NO_NODE);
	w->m = pm_create(w->ncpus, w->unit_bytes, page, !c[C_POLICY]);
	w->want = malloc((size_t)w->unit_bytes);
	if (!w->want || page > sizeof(zero_page))
		abort();
	return w;
}

static void destroy(void *w)
{
	mm_machine_destroy(W->mach);
	pm_destroy(W->m);
	free(W->want);
	free(w);
}

/* After every op the layer's check (over the chunks changed since); where
 * the whole state is compared, the whole machine's (the layers below too)
 * and percpu's and vmalloc's over every chunk and area. */
static const char *check(void *w)
{
	return percpu_check(W->pc);
}

static const char *check_full(void *w)
{
	const char *e = mm_machine_check(W->mach);

	if (!e)
		e = percpu_check_full(W->pc);
	return e ? e : vmalloc_check_full(mm_machine_vmalloc(W->mach));
}

struct chunks {
	uint64_t base[1024];
	unsigned slot[1024], n;
};

static void collect(void *ctx, uint64_t base, unsigned slot)
{
	struct chunks *l = ctx;

	if (l->n < 1024) {
		l->base[l->n] = base;
		l->slot[l->n] = slot;
	}
	l->n++;
}

/* The first and last byte of the objects in [lo, hi) (every byte with
 * full); the first difference goes to buf. */
static const char *compare_data(struct world *w, uint64_t lo, uint64_t hi, bool full, char *buf,
				size_t len)
{
	for (unsigned i = 0; i < pm_nr_objects(w->m); i++) {
		const struct pm_object *o = pm_object(w->m, i);

		if (o->ptr >= lo && o->ptr < hi && !verify(w, o, full)) {
			snprintf(buf, len, "%s", w->pending);
			return buf;
		}
	}
	return NULL;
}

/* The objects whose pages the last op can have populated or depopulated:
 * those of the chunk it allocated from or freed to ([*lo, *hi), its first
 * unit), one of the chunks l (the model's, compared). False when it
 * touched none. */
static bool touched_chunk(const struct world *w, const struct chunks *l, uint64_t *lo,
			  uint64_t *hi)
{
	for (unsigned i = 0; w->touched && i < l->n; i++)
		if (w->touched_ptr >= l->base[i] && w->touched_ptr - l->base[i] < w->unit_bytes) {
			*lo = l->base[i];
			*hi = *lo + w->unit_bytes;
			return true;
		}
	return false;
}

/* After every op: the chunks and their slots, the counters, buddy's free
 * pages, and the first and last byte of the objects in the chunk the op
 * allocated from or freed to (of every object after an alloc that failed:
 * its chunk is not known, and it may have populated pages and let them go
 * again; every byte of every object after a verify op). */
static const char *compare(void *w, char *buf, size_t len)
{
	static struct chunks impl;
	uint64_t pages = pm_covered_pages(W->m), lo, hi;
	struct percpu_stats st;

	if (W->pending[0]) {
		snprintf(buf, len, "%s", W->pending);
		return buf;
	}
	impl.n = 0;
	percpu_walk_chunks(W->pc, collect, &impl);
	if (impl.n != pm_nr_chunks(W->m)) {
		snprintf(buf, len, "%u chunks, model %u", impl.n, pm_nr_chunks(W->m));
		return buf;
	}
	for (unsigned i = 0; i < impl.n; i++) {
		uint64_t base;
		unsigned slot;

		pm_chunk(W->m, i, &base, &slot);
		if (impl.base[i] != base || impl.slot[i] != slot) {
			snprintf(buf, len, "chunk %u at 0x%" PRIx64 " in slot %u, model 0x%" PRIx64
				 " in slot %u", i, impl.base[i], impl.slot[i], base, slot);
			return buf;
		}
	}
	percpu_stats(W->pc, &st);
	if (st.allocs != pm_nr_objects(W->m) || st.live_bytes != pm_live_bytes(W->m) ||
	    st.populated_bytes != pages * W->page || st.chunks != pm_nr_chunks(W->m) ||
	    st.empty_chunks != pm_empty_chunks(W->m)) {
		snprintf(buf, len, "stats: %" PRIu64 " objects, %" PRIu64 " live bytes, %" PRIu64
			 " populated bytes, %" PRIu64 " chunks (%" PRIu64 " empty); model %u, %" PRIu64
			 ", %" PRIu64 ", %u (%u)", st.allocs, st.live_bytes, st.populated_bytes,
			 st.chunks, st.empty_chunks, pm_nr_objects(W->m), pm_live_bytes(W->m),
			 pages * W->page, pm_nr_chunks(W->m), pm_empty_chunks(W->m));
		return buf;
	}
	/* Nothing but percpu takes pages here. */
	if (buddy_nr_free(W->b, NUMA_NO_NODE) != W->free0 - pages * W->ncpus) {
		snprintf(buf, len, "buddy has %" PRIu64 " free pages, model %" PRIu64,
			 buddy_nr_free(W->b, NUMA_NO_NODE), W->free0 - pages * W->ncpus);
		return buf;
	}
	if (W->verify_all || W->touched_any) {
		if (compare_data(W, 0, UINT64_MAX, W->verify_all, buf, len))
			return buf;
	} else if (touched_chunk(W, &impl, &lo, &hi) && compare_data(W, lo, hi, false, buf, len)) {
		return buf;
	}
	W->verify_all = false;
	W->touched = W->touched_any = false;
	return NULL;
}

/* Every FZ_FULL_EVERY ops and at the end: the first and last byte of every
 * object, and which pages of every unit are populated (exactly those an
 * object lies on), one vmalloc lookup each. */
static const char *compare_full(void *w, char *buf, size_t len)
{
	if (compare_data(W, 0, UINT64_MAX, false, buf, len))
		return buf;
	for (unsigned i = 0; i < pm_nr_chunks(W->m); i++) {
		uint64_t base;
		unsigned slot;

		pm_chunk(W->m, i, &base, &slot);
		for (uint64_t p = 0; p < W->unit_bytes / W->page; p++) {
			bool covered = pm_page_covered(W->m, i, p);

			for (unsigned cpu = 0; cpu < W->ncpus; cpu++) {
				uint64_t at = base + cpu * W->unit_bytes + p * W->page, pfn;
				bool mapped = !vmalloc_to_pfn(W->v, at, &pfn);

				if (mapped != covered) {
					snprintf(buf, len, "chunk 0x%" PRIx64 " cpu %u page %" PRIu64
						 " is %spopulated, model: %s", base, cpu, p,
						 mapped ? "" : "not ", mapped ? "no object on it" : "an object on it");
					return buf;
				}
			}
		}
	}
	return NULL;
}

/* expect key=value ...: chunks, empty, allocs, live (bytes in one unit),
 * populated (bytes in one unit), free_pages (buddy's). */
static const char *expect(void *w, const char *line, char *buf, size_t len)
{
	char copy[512], *save = NULL, *tok;
	struct percpu_stats st;

	percpu_stats(W->pc, &st);
	snprintf(copy, sizeof(copy), "%s", line);
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		static const char *const keys[] = { "chunks", "empty", "allocs", "live",
						    "populated", "free_pages" };
		uint64_t got[] = { st.chunks, st.empty_chunks, st.allocs, st.live_bytes,
				   st.populated_bytes, buddy_nr_free(W->b, NUMA_NO_NODE) };
		char *eq = strchr(tok, '=');
		unsigned k;

		for (k = 0; eq && k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strlen(keys[k]) == (size_t)(eq - tok) && !strncmp(tok, keys[k], (size_t)(eq - tok)))
				break;
		if (!eq || k == sizeof(keys) / sizeof(keys[0])) {
			snprintf(buf, len, "expect chunks=|empty=|allocs=|live=|populated=|free_pages=, not '%s'",
				 tok);
			return buf;
		}
		if (got[k] != strtoull(eq + 1, NULL, 0)) {
			snprintf(buf, len, "%s is %" PRIu64, keys[k], got[k]);
			return buf;
		}
	}
	return NULL;
}

static void dump(void *w, FILE *f)
{
	struct percpu_stats st;

	percpu_stats(W->pc, &st);
	fprintf(f, "  model objects:");
	for (unsigned i = 0; i < pm_nr_objects(W->m); i++)
		fprintf(f, " 0x%" PRIx64 "+%" PRIu64, pm_object(W->m, i)->ptr, pm_object(W->m, i)->bytes);
	fprintf(f, "\n  implementation: %" PRIu64 " chunks, %" PRIu64 " objects, %" PRIu64
		" live bytes, %" PRIu64 " populated bytes per unit; buddy free %" PRIu64 "\n",
		st.chunks, st.allocs, st.live_bytes, st.populated_bytes,
		buddy_nr_free(W->b, NUMA_NO_NODE));
}

static const struct fz_target target = {
	.name = "percpu",
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
