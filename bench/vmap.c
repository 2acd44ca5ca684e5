/* SPDX-License-Identifier: MIT */
/*
 * bench/vmap.c - lib/vmap (free areas in an augmented red-black tree, the
 * lowest fit in O(log N)) against the allocator it replaces, Linux < 5.2's
 * (vmap_list.c: busy areas in an address-ordered red-black tree and list,
 * walked hole by hole from free_vmap_cache, with the kernel's
 * cached_hole_size / cached_vstart / cached_align rule and its update on
 * free). Both run in one process, each on its own instance, on the same
 * deterministic operations; every alloc and every free must return the same
 * on both sides (the same address, or the same error), or the benchmark
 * fails.
 *
 * The instance is x86-64's vmalloc space, [0xffffc90000000000, +32 TiB),
 * 4 KiB pages. The workloads are the kernel's lib/test_vmalloc.c tests, by
 * name, with their sizes, alignments and loop shapes (sizes are the pages
 * each test asks for; alignments below a page are a page). A kernel's
 * vmalloc space is never empty, so each starts from the same resident
 * areas: 5120 areas of 1..16 pages allocated from vstart, a random fifth of
 * them freed again (~4100 busy areas, ~1000 holes of 1..16 pages or more).
 *
 *   fix_size_alloc_test       alloc 1 page, free it; repeated;
 *   full_fit_alloc_test       fls(4 CPUs) * 8192 = 24576 pairs of 1-page
 *                             areas, the second of each pair freed, then
 *                             alloc 1 page, free it; repeated;
 *   long_busy_list_alloc_test 15000 1-page areas, each followed by a 1-page
 *                             hole (where vmalloc's guard page would sit),
 *                             then alloc 100 pages, alloc 1 page, free both;
 *                             repeated;
 *   random_size_alloc_test    alloc 1..100 pages, free; repeated;
 *   fix_align_alloc_test      alloc 5 pages aligned to THREAD_ALIGN << 1 =
 *                             32 KiB, free; repeated;
 *   random_size_align_alloc_test  one random byte r: alloc r % 10 + 1 pages
 *                             aligned to 2^(r % 23) bytes, free; repeated;
 *   align_shift_alloc_test    alloc 1 page aligned to 2^0 .. 2^63, free each
 *                             (from 2^47 on nothing fits: -MM_ENOMEM);
 *                             repeated;
 *   pcpu_alloc_test           35000 percpu allocations of 1..1024 bytes
 *                             aligned to 2^1..2^11, then 35000 frees, run
 *                             once through lib/percpu on a booted machine
 *                             (4 CPUs, 32 KiB units); the vmap allocations
 *                             and frees its chunks made, in order, are the
 *                             workload, replayed 20 times.
 *
 * Every call in the repeated part is timed and counts as one op (an alloc
 * or a free); the setup before it is not timed but is compared all the same.
 * "restarts" counts the list's allocations that walked from the start.
 * The total over the eight tests is the sum of their times, per side, as
 * test_vmalloc's summary adds up the cycles of its tests.
 *
 * Then the scaling table: the long busy list alone (no resident areas) with
 * N = 1k .. 64k live areas, the same repeated part. vmap's time per op
 * should grow like log N (target: at most 2.0x from 1k to 64k), the list's
 * like N. The table is also written as a data file for bench/vmap_plot.gp:
 * by default vmap_scaling.dat next to this program, or where --data says.
 *
 * Each workload runs on fresh instances per repetition; sides alternate in
 * blocks of a few thousand ops (which one goes first alternates too), so
 * that a machine whose speed drifts slows both alike. After each repetition
 * both must hold the same busy areas and pass their checks.
 *
 * For instruction counts, the timed calls of each side go through one
 * function each, timed_list and timed_vmap:
 *   valgrind --tool=callgrind --toggle-collect=timed_vmap \
 *	bench_vmap --reps 1 --only fix_size_alloc_test
 * counts vmap's instructions of that test's repeated part (divide by its
 * ops/run).
 *
 * Usage: bench_vmap [--quick] [--reps N] [--data FILE] [--only TEST]
 *   --quick      about a tenth of the work (a smoke test for the test suite)
 *   --reps N     repetitions per workload (default 5); the median is reported
 *   --data FILE  where to write the scaling table
 *   --only TEST  run that test alone (or "scaling"); no summary
 */
#include "bench.h"
#include "machine.h"
#include "percpu.h"
#include "vmap.h"
#include "vmap_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096ull
#define VSTART 0xffffc90000000000ull
#define VEND (VSTART + (1ull << 45))

#define RESIDENT 5120
#define RESIDENT_MAX_PAGES 16
#define RESIDENT_FREE_ONE_IN 5

/* ops per timed block: one clock pair per block, sides alternating */
#define BLOCK 4096

enum side { LIST = 0, VMAP = 1 };

const char bench_prog[] = "bench_vmap";

/* ---- programs: what both sides run ---- */

/* alloc(size, align) into slot, or (size 0) free the area in slot. */
struct op {
	uint64_t size;
	uint64_t align;
	uint32_t slot;
};

struct prog {
	struct op *ops;
	size_t n, cap;
	uint32_t nslots;
	size_t allocs;
};

static void prog_push(struct prog *p, struct op o)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct op *ops = realloc(p->ops, cap * sizeof(*ops));

		if (!ops)
			bench_die("out of memory");
		p->ops = ops;
		p->cap = cap;
	}
	p->ops[p->n++] = o;
	if (o.slot >= p->nslots)
		p->nslots = o.slot + 1;
	p->allocs += o.size != 0;
}

static void emit_alloc(struct prog *p, uint32_t slot, uint64_t pages, uint64_t align)
{
	prog_push(p, (struct op){ pages * PAGE, align, slot });
}

static void emit_free(struct prog *p, uint32_t slot)
{
	prog_push(p, (struct op){ 0, 0, slot });
}

static void prog_free(struct prog *p)
{
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

/* ---- running a program on one side ---- */

/* A slot whose alloc failed: its free is skipped. */
#define NO_AREA UINT64_MAX

/*
 * ops[0, n) on one side. out[i] is what op i returned: the address of an
 * alloc, else the error (as uint64_t; 0 for a free that worked). The two
 * loops are the same shape, so that neither pays for the other's dispatch.
 */
static void exec_list(struct vmap_list *v, const struct op *ops, size_t n, uint64_t *slots,
		      uint64_t *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct op *o = &ops[i];
		uint64_t a;
		int err;

		if (o->size) {
			err = vl_alloc(v, o->size, o->align, VSTART, VEND, &a);
			slots[o->slot] = err ? NO_AREA : a;
			out[i] = err ? (uint64_t)err : a;
		} else if (slots[o->slot] != NO_AREA) {
			out[i] = (uint64_t)vl_free(v, slots[o->slot]);
			slots[o->slot] = NO_AREA;
		} else {
			out[i] = 0;
		}
	}
}

static void exec_vmap(struct vmap *v, const struct op *ops, size_t n, uint64_t *slots,
		      uint64_t *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct op *o = &ops[i];
		uint64_t a;
		int err;

		if (o->size) {
			err = vmap_alloc(v, o->size, o->align, VSTART, VEND, &a);
			slots[o->slot] = err ? NO_AREA : a;
			out[i] = err ? (uint64_t)err : a;
		} else if (slots[o->slot] != NO_AREA) {
			out[i] = (uint64_t)vmap_free(v, slots[o->slot]);
			slots[o->slot] = NO_AREA;
		} else {
			out[i] = 0;
		}
	}
}

/* Both sides of one workload repetition. */
struct pair {
	struct vmap_list *list;
	struct vmap *vmap;
	uint64_t *slots[2];
	uint64_t *out[2];
};

static void pair_create(struct pair *p, uint32_t nslots, size_t max_ops)
{
	struct vmap_config cfg = {
		.vstart = VSTART,
		.vend = VEND,
		.page_size = PAGE,
		.lazy_max_pages = UINT64_MAX, /* only vmap_free is used: never lazy */
		.meta = NULL,
	};
	int err;

	if ((err = vl_create(&p->list, VSTART, VEND, PAGE)))
		bench_die("vl_create: %s", mm_strerror(err));
	if ((err = vmap_create(&p->vmap, &cfg)))
		bench_die("vmap_create: %s", mm_strerror(err));
	for (int s = 0; s < 2; s++) {
		p->slots[s] = bench_calloc(nslots, sizeof(uint64_t));
		memset(p->slots[s], 0xff, nslots * sizeof(uint64_t)); /* NO_AREA */
		p->out[s] = bench_calloc(max_ops, sizeof(uint64_t));
	}
}

static void pair_destroy(struct pair *p)
{
	vl_destroy(p->list);
	vmap_destroy(p->vmap);
	for (int s = 0; s < 2; s++) {
		free(p->slots[s]);
		free(p->out[s]);
	}
	memset(p, 0, sizeof(*p));
}

static void exec(struct pair *p, enum side s, const struct op *ops, size_t n, uint64_t *out)
{
	if (s == LIST)
		exec_list(p->list, ops, n, p->slots[LIST], out);
	else
		exec_vmap(p->vmap, ops, n, p->slots[VMAP], out);
}

void timed_list(struct pair *p, const struct op *ops, size_t n, uint64_t *out);
void timed_vmap(struct pair *p, const struct op *ops, size_t n, uint64_t *out);

/* The timed calls of each side, one function each (see --toggle-collect
 * above). */
__attribute__((noinline)) void timed_list(struct pair *p, const struct op *ops, size_t n,
					  uint64_t *out)
{
	exec_list(p->list, ops, n, p->slots[LIST], out);
}

__attribute__((noinline)) void timed_vmap(struct pair *p, const struct op *ops, size_t n,
					  uint64_t *out)
{
	exec_vmap(p->vmap, ops, n, p->slots[VMAP], out);
}

static uint64_t timed_exec(struct pair *p, enum side s, const struct op *ops, size_t n,
			   uint64_t *out)
{
	uint64_t t0 = bench_now_ns();

	if (s == LIST)
		timed_list(p, ops, n, out);
	else
		timed_vmap(p, ops, n, out);
	return bench_now_ns() - t0;
}

static void describe_result(char *buf, size_t len, uint64_t r, bool alloc)
{
	if (alloc && (r & (PAGE - 1)) == 0)
		snprintf(buf, len, "%#" PRIx64, r);
	else
		snprintf(buf, len, "%s", r ? mm_strerror((int)(int64_t)r) : "ok");
}

/* ops[0, n) returned the same on both sides, or the benchmark fails. */
static void compare_results(const struct op *ops, size_t n, size_t first, const uint64_t *l,
			    const uint64_t *v, const char *workload, const char *phase)
{
	for (size_t i = 0; i < n; i++) {
		char a[64], b[64];
		const struct op *o = &ops[i];

		if (l[i] == v[i] && (o->size || !l[i]))
			continue;
		describe_result(a, sizeof(a), l[i], o->size);
		describe_result(b, sizeof(b), v[i], o->size);
		if (o->size)
			bench_die("%s, %s op %zu: alloc(size %#" PRIx64 ", align %#" PRIx64
				  ") into slot %u: list %s, vmap %s",
				  workload, phase, first + i, o->size, o->align, o->slot, a, b);
		bench_die("%s, %s op %zu: free of slot %u: list %s, vmap %s", workload, phase,
			  first + i, o->slot, a, b);
	}
}

/* Both sides' busy areas, for the comparison at the end. */
struct area_list {
	uint64_t *v; /* start, end pairs */
	size_t n, cap;
};

static void area_collect(void *ctx, uint64_t start, uint64_t end)
{
	struct area_list *l = ctx;

	if (l->n + 2 > l->cap)
		bench_die("more busy areas than expected");
	l->v[l->n++] = start;
	l->v[l->n++] = end;
}

static void pair_verify(struct pair *p, const char *workload)
{
	size_t cap = 2 * vl_count(p->list) + 2;
	struct area_list l = { bench_calloc(cap, sizeof(uint64_t)), 0, cap };
	struct area_list v = { bench_calloc(cap, sizeof(uint64_t)), 0, cap };
	const char *broken;

	if ((broken = vl_check(p->list)))
		bench_die("%s: list is inconsistent: %s", workload, broken);
	if ((broken = vmap_check(p->vmap)))
		bench_die("%s: vmap_check: %s", workload, broken);
	vl_walk(p->list, area_collect, &l);
	vmap_walk(p->vmap, VMAP_BUSY, area_collect, &v);
	if (l.n != v.n)
		bench_die("%s: list holds %zu busy areas, vmap %zu", workload, l.n / 2, v.n / 2);
	for (size_t i = 0; i < l.n; i += 2)
		if (l.v[i] != v.v[i] || l.v[i + 1] != v.v[i + 1])
			bench_die("%s: busy area %zu: list [%#" PRIx64 ", %#" PRIx64
				  "), vmap [%#" PRIx64 ", %#" PRIx64 ")",
				  workload, i / 2, l.v[i], l.v[i + 1], v.v[i], v.v[i + 1]);
	free(l.v);
	free(v.v);
}

static void count_area(void *ctx, uint64_t start, uint64_t end)
{
	(void)start;
	(void)end;
	++*(size_t *)ctx;
}

/* ---- one workload: setup, then the timed part, on both sides ---- */

struct sample {
	uint64_t ns[2];
	uint64_t ops;
	uint64_t allocs;
	uint64_t restarts; /* list: allocs that walked from the first area */
	size_t busy, free; /* areas when the timed part starts */
};

struct workload {
	const char *name;
	struct prog setup, timed;
	struct sample s[BENCH_MAX_REPS];
};

static void run_workload(struct workload *w, int reps)
{
	uint32_t nslots = w->setup.nslots > w->timed.nslots ? w->setup.nslots : w->timed.nslots;
	size_t max_ops = w->setup.n > w->timed.n ? w->setup.n : w->timed.n;

	for (int rep = 0; rep < reps; rep++) {
		struct sample *s = &w->s[rep];
		struct pair p;
		uint64_t r0;

		memset(s, 0, sizeof(*s));
		pair_create(&p, nslots, max_ops ? max_ops : 1);

		for (int k = 0; k < 2; k++)
			exec(&p, (enum side)k, w->setup.ops, w->setup.n, p.out[k]);
		compare_results(w->setup.ops, w->setup.n, 0, p.out[LIST], p.out[VMAP], w->name,
				"setup");
		s->busy = vl_count(p.list);
		vmap_walk(p.vmap, VMAP_FREE, count_area, &s->free);

		r0 = vl_restarts(p.list);
		for (size_t at = 0, blk = 0; at < w->timed.n; at += BLOCK, blk++) {
			size_t n = w->timed.n - at < BLOCK ? w->timed.n - at : BLOCK;

			for (int k = 0; k < 2; k++) {
				enum side sd = (enum side)(((size_t)rep + blk + (size_t)k) & 1);

				s->ns[sd] += timed_exec(&p, sd, &w->timed.ops[at], n, &p.out[sd][at]);
			}
			compare_results(&w->timed.ops[at], n, at, &p.out[LIST][at],
					&p.out[VMAP][at], w->name, "timed");
		}
		s->restarts = vl_restarts(p.list) - r0;
		s->ops = w->timed.n;
		s->allocs = w->timed.allocs;
		pair_verify(&p, w->name);
		pair_destroy(&p);
	}
	for (int rep = 1; rep < reps; rep++)
		if (w->s[rep].restarts != w->s[0].restarts || w->s[rep].busy != w->s[0].busy ||
		    w->s[rep].free != w->s[0].free)
			bench_die("%s: repetition %d did different work from repetition 0",
				  w->name, rep);
}

static double median_ns_per_op(const struct workload *w, int reps, enum side sd)
{
	double v[BENCH_MAX_REPS];

	for (int i = 0; i < reps; i++)
		v[i] = (double)w->s[i].ns[sd] / (double)w->s[i].ops;
	return bench_median(v, reps);
}

/* ---- the workloads ---- */

/*
 * Resident areas: RESIDENT areas of 1..16 pages allocated from vstart, then
 * about a fifth of them (each with probability 1/5) freed, leaving holes of
 * 1..16 pages and more where neighbours merge. Slots [0, RESIDENT).
 */
static void emit_resident(struct prog *p)
{
	struct bench_rng r = bench_rng_splitmix64(0x243f6a8885a308d3ull);

	for (uint32_t i = 0; i < RESIDENT; i++)
		emit_alloc(p, i, bench_rng_range(&r, 1, RESIDENT_MAX_PAGES), PAGE);
	for (uint32_t i = 0; i < RESIDENT; i++)
		if (bench_rng_range(&r, 1, RESIDENT_FREE_ONE_IN) == 1)
			emit_free(p, i);
}

/* n 1-page areas with a 1-page hole after each: allocate 2n, free every
 * other. Slots [base, base + 2n). */
static void emit_busy_list(struct prog *p, uint32_t base, uint32_t n)
{
	for (uint32_t i = 0; i < 2 * n; i++)
		emit_alloc(p, base + i, 1, PAGE);
	for (uint32_t i = 1; i < 2 * n; i += 2)
		emit_free(p, base + i);
}

/* long_busy_list_alloc_test's loop: alloc 100 pages, alloc 1 page, free
 * both, into the two slots from base. */
static void emit_busy_loop(struct prog *p, uint32_t base, size_t iters)
{
	for (size_t i = 0; i < iters; i++) {
		emit_alloc(p, base, 100, PAGE);
		emit_alloc(p, base + 1, 1, PAGE);
		emit_free(p, base);
		emit_free(p, base + 1);
	}
}

#define FULL_FIT_PAIRS (2 * 8192 + 8192) /* fls(4) * 32 MiB / PAGE */
#define LONG_BUSY_N 15000
#define PCPU_N 35000
#define PCPU_REPLAYS 20

enum { W_FIXED, W_FULL_FIT, W_LONG_BUSY, W_RANDOM, W_FIX_ALIGN, W_RANDOM_ALIGN, W_ALIGN_SHIFT,
       W_PCPU, NR_WORKLOADS };

static const char *const workload_name[NR_WORKLOADS] = {
	"fix_size_alloc_test",	    "full_fit_alloc_test",	    "long_busy_list_alloc_test",
	"random_size_alloc_test",   "fix_align_alloc_test",	    "random_size_align_alloc_test",
	"align_shift_alloc_test",   "pcpu_alloc_test",
};

/* ---- pcpu_alloc_test: the vmap operations lib/percpu makes ---- */

#define PCPU_CPUS 4
#define PCPU_MEM_PAGES (1ull << 17) /* 512 MiB of simulated memory */
#define PCPU_VSIZE (1ull << 32)     /* its vmalloc range, host-mapped */

struct busy_set {
	uint64_t *v; /* start, end pairs in address order */
	size_t n, cap;
};

static void busy_collect(void *ctx, uint64_t start, uint64_t end)
{
	struct busy_set *b = ctx;

	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		uint64_t *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			bench_die("out of memory");
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = start;
	b->v[b->n++] = end;
}

/* The slot recording the area that starts at start (NO_AREA: a new one). */
static uint32_t slot_of(uint64_t *starts, uint32_t nslots, uint64_t start)
{
	for (uint32_t s = 0; s < nslots; s++)
		if (starts[s] == start)
			return s;
	return UINT32_MAX;
}

/* The busy areas that differ between before and now, as frees then allocs. */
static void record_diff(struct prog *p, struct busy_set *before, struct busy_set *now,
			uint64_t **starts, uint32_t *nslots, uint32_t base)
{
	size_t i = 0, j = 0;

	while (i < before->n || j < now->n) {
		bool same = i < before->n && j < now->n && before->v[i] == now->v[j] &&
			    before->v[i + 1] == now->v[j + 1];

		if (same) {
			i += 2;
			j += 2;
		} else if (j >= now->n || (i < before->n && before->v[i] <= now->v[j])) {
			uint32_t s = slot_of(*starts, *nslots, before->v[i]);

			if (s == UINT32_MAX)
				bench_die("pcpu_alloc_test: a freed area was never seen allocated");
			emit_free(p, base + s);
			(*starts)[s] = NO_AREA;
			i += 2;
		} else {
			uint32_t s = slot_of(*starts, *nslots, NO_AREA);

			if (s == UINT32_MAX) {
				uint64_t *st = realloc(*starts, (*nslots + 1) * sizeof(*st));

				if (!st)
					bench_die("out of memory");
				*starts = st;
				s = (*nslots)++;
			}
			(*starts)[s] = now->v[j];
			emit_alloc(p, base + s, (now->v[j + 1] - now->v[j]) / PAGE, PAGE);
			j += 2;
		}
	}
}

/*
 * Run pcpu_alloc_test once through lib/percpu and append the vmap
 * allocations and frees its chunks made to p, slots from base. Busy areas
 * are compared after every percpu call (the test is run untimed, once).
 */
static void record_pcpu(struct prog *p, uint32_t base)
{
	static const int cpu_node[PCPU_CPUS] = { 0, 0, 0, 0 };
	struct mm_range mem[1] = { { 0, PCPU_MEM_PAGES * PAGE, 0 } };
	struct percpu_config pcfg = { PCPU_CPUS, cpu_node, 0, NULL, PERCPU_FIRST_FIT };
	struct bench_rng r = bench_rng_splitmix64(0xa4093822299f31d0ull);
	struct busy_set sets[2] = { { 0 }, { 0 } };
	struct mm_machine_config mc;
	struct mm_machine *m;
	struct mm_meta meta, pcmeta;
	struct percpu *pc;
	uint64_t *ptrs = bench_calloc(PCPU_N, sizeof(uint64_t)), *starts = NULL;
	uint32_t nslots = 0;
	int cur = 0;
	void *vbase = mmap(NULL, PCPU_VSIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (vbase == MAP_FAILED || (uint64_t)(uintptr_t)vbase % PAGE)
		bench_die("cannot map the vmalloc range");
	mm_meta_init(&meta);
	mm_meta_init(&pcmeta);
	mm_machine_default_config(&mc);
	mc.memory = mem;
	mc.nr_memory = 1;
	mc.page_size = PAGE;
	mc.nr_cpus = PCPU_CPUS;
	mc.cpu_node = cpu_node;
	mc.vmalloc_start = (uint64_t)(uintptr_t)vbase;
	mc.vmalloc_size = PCPU_VSIZE;
	mc.lazy_max_pages = 0; /* every vfree at once: the baseline has no lazy list */
	mc.meta = &meta;
	if (mm_machine_boot(&m, &mc))
		bench_die("machine boot failed");
	pcfg.meta = &pcmeta;
	if (percpu_create(&pc, mm_machine_vmalloc(m), mm_machine_buddy(m), &pcfg))
		bench_die("percpu_create failed");

	vmap_walk(mm_machine_vmap(m), VMAP_BUSY, busy_collect, &sets[cur]);
	for (uint32_t i = 0; i < 2 * PCPU_N; i++) {
		int err;

		if (i < PCPU_N) {
			uint64_t size = bench_rng_range(&r, 1, PAGE / 4);
			uint64_t align = 1ull << bench_rng_range(&r, 1, 11);

			err = percpu_alloc(pc, size, align, &ptrs[i]);
		} else {
			err = percpu_free(pc, ptrs[i - PCPU_N]);
		}
		if (err)
			bench_die("pcpu_alloc_test: percpu call %u: %s", i, mm_strerror(err));
		sets[!cur].n = 0;
		vmap_walk(mm_machine_vmap(m), VMAP_BUSY, busy_collect, &sets[!cur]);
		record_diff(p, &sets[cur], &sets[!cur], &starts, &nslots, base);
		cur = !cur;
	}
	percpu_destroy(pc);
	mm_machine_destroy(m);
	munmap(vbase, PCPU_VSIZE);
	free(sets[0].v);
	free(sets[1].v);
	free(starts);
	free(ptrs);
}

static void build_workload(struct workload *w, int which, size_t div)
{
	const uint32_t slot = RESIDENT; /* the first slot after the resident areas */
	struct bench_rng r = bench_rng_splitmix64(0x13198a2e03707344ull + (uint64_t)which);
	size_t loops = 100000 / div;
	struct prog once = { 0 };

	memset(w, 0, sizeof(*w));
	w->name = workload_name[which];
	emit_resident(&w->setup);
	switch (which) {
	case W_FIXED:
		for (size_t i = 0; i < loops; i++) {
			emit_alloc(&w->timed, slot, 1, PAGE);
			emit_free(&w->timed, slot);
		}
		break;
	case W_FULL_FIT:
		for (uint32_t i = 0; i < FULL_FIT_PAIRS; i++) {
			emit_alloc(&w->setup, slot + 2 * i, 1, PAGE);
			emit_alloc(&w->setup, slot + 2 * i + 1, 1, PAGE);
		}
		for (uint32_t i = 0; i < FULL_FIT_PAIRS; i++)
			emit_free(&w->setup, slot + 2 * i + 1);
		for (size_t i = 0; i < loops; i++) {
			emit_alloc(&w->timed, slot + 2 * FULL_FIT_PAIRS, 1, PAGE);
			emit_free(&w->timed, slot + 2 * FULL_FIT_PAIRS);
		}
		break;
	case W_LONG_BUSY:
		emit_busy_list(&w->setup, slot, LONG_BUSY_N);
		emit_busy_loop(&w->timed, slot + 2 * LONG_BUSY_N, 2000 / div);
		break;
	case W_RANDOM:
		for (size_t i = 0; i < loops; i++) {
			emit_alloc(&w->timed, slot, bench_rng_range(&r, 1, 100), PAGE);
			emit_free(&w->timed, slot);
		}
		break;
	case W_FIX_ALIGN:
		for (size_t i = 0; i < loops; i++) {
			emit_alloc(&w->timed, slot, 5, 8 * PAGE);
			emit_free(&w->timed, slot);
		}
		break;
	case W_RANDOM_ALIGN:
		for (size_t i = 0; i < loops; i++) {
			uint64_t rnd = bench_rng_range(&r, 0, 255);
			uint64_t align = 1ull << (rnd % 23);

			emit_alloc(&w->timed, slot, rnd % 10 + 1, align < PAGE ? PAGE : align);
			emit_free(&w->timed, slot);
		}
		break;
	case W_ALIGN_SHIFT:
		for (size_t i = 0; i < 2000 / div; i++) {
			for (unsigned sh = 0; sh < 64; sh++) {
				uint64_t align = 1ull << sh;

				emit_alloc(&w->timed, slot, 1, align < PAGE ? PAGE : align);
				emit_free(&w->timed, slot);
			}
		}
		break;
	case W_PCPU:
		record_pcpu(&once, slot);
		for (size_t k = 0; k < (div > 1 ? 2 : PCPU_REPLAYS); k++)
			for (size_t i = 0; i < once.n; i++)
				prog_push(&w->timed, once.ops[i]);
		prog_free(&once);
		break;
	default:
		bench_die("no workload %d", which);
	}
}

/* ---- main ---- */

static const uint32_t scale_n[] = { 1024, 2048, 4096, 8192, 16384, 32768, 65536 };
#define NR_SCALE (sizeof(scale_n) / sizeof(scale_n[0]))
#define SCALE_ITERS 4096

static _Noreturn void usage(void)
{
	fputs("usage: bench_vmap [--quick] [--reps N] [--data FILE] [--only TEST]\n", stderr);
	exit(2);
}

/* Take "opt VALUE" out of argv (for bench_args, which knows only the common
 * options); NULL when absent. */
static const char *take_arg(int *argc, char **argv, const char *opt)
{
	const char *val = NULL;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], opt)) {
			if (i + 1 >= *argc)
				usage();
			val = argv[++i];
		} else {
			argv[j++] = argv[i];
		}
	}
	*argc = j;
	argv[j] = NULL;
	return val;
}

/* vmap_scaling.dat in the directory of argv0. */
static char *default_data_path(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	size_t dir = slash ? (size_t)(slash - argv0) + 1 : 0;
	const char *name = "vmap_scaling.dat";
	char *path = bench_calloc(dir + strlen(name) + 1, 1);

	memcpy(path, argv0, dir);
	strcpy(path + dir, name);
	return path;
}

static double median_total_ms(const struct workload *w, int reps, enum side sd)
{
	double v[BENCH_MAX_REPS];

	for (int i = 0; i < reps; i++)
		v[i] = (double)w->s[i].ns[sd] / 1e6;
	return bench_median(v, reps);
}

/* Print one row of the table; returns its ratio. */
static double print_row(const struct workload *w, const char *name, int reps)
{
	double l = median_ns_per_op(w, reps, LIST), v = median_ns_per_op(w, reps, VMAP);
	const struct sample *s = &w->s[0];

	printf("%-29s %8" PRIu64 " %10.1f %10.1f %9.2f %9.2f %8.2f %7.1f%% %6zu %6zu\n", name,
	       s->ops, l, v, median_total_ms(w, reps, LIST), median_total_ms(w, reps, VMAP),
	       l / v, 100.0 * (double)s->restarts / (double)s->allocs, s->busy, s->free);
	return l / v;
}

static void print_header(const char *first)
{
	printf("%-29s %8s %10s %10s %9s %9s %8s %8s %6s %6s\n", first, "ops/run", "list ns/op",
	       "vmap ns/op", "list ms", "vmap ms", "ratio", "restarts", "busy", "free");
}

int main(int argc, char **argv)
{
	static struct workload w[NR_WORKLOADS], sc[NR_SCALE];
	const char *data_arg, *only;
	char *data_path;
	double lns[NR_SCALE], vns[NR_SCALE], ratio[NR_WORKLOADS], growth, top;
	double tot_l = 0, tot_v = 0, total, worst = 1e300;
	char name[96], target[64];
	bool quick, run_scale;
	int reps, nrun = 0;
	size_t div;
	FILE *f;

	data_arg = take_arg(&argc, argv, "--data");
	only = take_arg(&argc, argv, "--only");
	bench_args(argc, argv, &quick, &reps, usage);
	data_path = data_arg ? strcpy(bench_calloc(strlen(data_arg) + 1, 1), data_arg)
			     : default_data_path(argv[0]);
	div = quick ? 10 : 1;
	run_scale = !only || !strcmp(only, "scaling");

	printf("vmap: lowest-fit virtual areas; baseline: Linux < 5.2's alloc_vmap_area "
	       "(busy rbtree + list, free_vmap_cache with cached_hole_size / cached_vstart / "
	       "cached_align) vs lib/vmap's free-area tree; median of %d run%s%s\n",
	       reps, reps == 1 ? "" : "s", quick ? ", --quick" : "");
	printf("instance: [%#llx, %#llx), 32 TiB of 4 KiB pages; each test starts from "
	       "%d resident areas of 1..%d pages, 1 in %d freed again\n",
	       VSTART, VEND, RESIDENT, RESIDENT_MAX_PAGES, RESIDENT_FREE_ONE_IN);
	printf("op = one alloc or one free, every one timed; ms = the test's repeated part; "
	       "ratio = list / vmap (> 1: vmap faster);\nrestarts = allocs whose list walk "
	       "began at the start (the cache did not apply);\nbusy / free = areas when the "
	       "timed part starts; every address agreed on both sides\n\n");
	print_header("test_vmalloc test");
	for (int i = 0; i < NR_WORKLOADS; i++) {
		if (only && strcmp(only, workload_name[i]))
			continue;
		build_workload(&w[i], i, div);
		run_workload(&w[i], reps);
		ratio[i] = print_row(&w[i], w[i].name, reps);
		tot_l += median_total_ms(&w[i], reps, LIST);
		tot_v += median_total_ms(&w[i], reps, VMAP);
		worst = ratio[i] < worst ? ratio[i] : worst;
		nrun++;
		fflush(stdout);
	}
	total = tot_v > 0 ? tot_l / tot_v : 0;
	if (nrun == NR_WORKLOADS) {
		printf("%-29s %8s %10s %10s %9.2f %9.2f %8.2f\n", "total of the eight", "", "", "",
		       tot_l, tot_v, total);
		printf("\nevery test >= 1.0x: %s (worst %.2fx); total >= 3.35x: %s; "
		       "long_busy_list_alloc_test >= 40x: %s\n",
		       bench_met(worst >= 1.0), worst, bench_met(total >= 3.35),
		       bench_met(ratio[W_LONG_BUSY] >= 40));
	}
	if (!run_scale)
		return 0;

	for (size_t i = 0; i < NR_SCALE; i++) {
		sc[i].name = "long busy list scaling";
		emit_busy_list(&sc[i].setup, 0, scale_n[i]);
		emit_busy_loop(&sc[i].timed, 2 * scale_n[i], SCALE_ITERS / div);
		run_workload(&sc[i], reps);
		lns[i] = median_ns_per_op(&sc[i], reps, LIST);
		vns[i] = median_ns_per_op(&sc[i], reps, VMAP);
	}
	printf("\nlong busy list scaling: N 1-page areas with a 1-page hole after each, then "
	       "%d x (alloc 100 pages, alloc 1 page, free both)\n",
	       SCALE_ITERS / (int)div);
	print_header("N live areas");
	for (size_t i = 0; i < NR_SCALE; i++) {
		snprintf(name, sizeof(name), "N = %u", scale_n[i]);
		print_row(&sc[i], name, reps);
	}
	growth = vns[NR_SCALE - 1] / vns[0];
	top = lns[NR_SCALE - 1] / vns[NR_SCALE - 1];
	printf("\nvmap ns/op, N = 64k over N = 1k: %.2fx (target <= 2.0x: %s)\n", growth,
	       bench_met(growth <= 2.0));
	printf("list / vmap at N = 64k: %.1fx\n", top);

	f = fopen(data_path, "w");
	if (!f)
		bench_die("cannot write %s", data_path);
	fprintf(f, "# bench_vmap scaling, long busy list, median of %d%s; list = Linux < 5.2 "
		"alloc_vmap_area (busy rbtree + list, free_vmap_cache)\n", reps,
		quick ? ", --quick" : "");
	fprintf(f, "# N  list_ns_per_op  vmap_ns_per_op  ratio\n");
	for (size_t i = 0; i < NR_SCALE; i++)
		fprintf(f, "%u %.2f %.2f %.2f\n", scale_n[i], lns[i], vns[i], lns[i] / vns[i]);
	if (fclose(f))
		bench_die("cannot write %s", data_path);
	printf("scaling data: %s (plot: gnuplot -e \"data='%s'\" bench/vmap_plot.gp)\n",
	       data_path, data_path);

	if (only)
		return 0;
	printf("\n");
	for (int i = 0; i < NR_WORKLOADS; i++)
		bench_summary(w[i].name, ratio[i], i == W_LONG_BUSY ? (ratio[i] >= 40 ?
			      ">= 40x: met" : ">= 40x: MISSED") : (ratio[i] >= 1.0 ?
			      ">= 1.0x: met" : ">= 1.0x: MISSED"));
	snprintf(target, sizeof(target), ">= 3.35x: %s", bench_met(total >= 3.35));
	bench_summary("total of the eight test_vmalloc tests", total, target);
	snprintf(name, sizeof(name), "long busy list, %u live areas", scale_n[NR_SCALE - 1]);
	bench_summary(name, top, NULL);
	snprintf(name, sizeof(name), "vmap's own ns/op growth, %u over %u live areas",
		 scale_n[NR_SCALE - 1], scale_n[0]);
	snprintf(target, sizeof(target), "<= 2.0x: %s", bench_met(growth <= 2.0));
	bench_summary(name, growth, target);

	for (int i = 0; i < NR_WORKLOADS; i++) {
		prog_free(&w[i].setup);
		prog_free(&w[i].timed);
	}
	for (size_t i = 0; i < NR_SCALE; i++) {
		prog_free(&sc[i].setup);
		prog_free(&sc[i].timed);
	}
	free(data_path);
	return 0;
}
