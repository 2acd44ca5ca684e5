/* SPDX-License-Identifier: MIT */
/*
 * bench/vmap.c - lib/vmap (free areas in an augmented red-black tree, the
 * lowest fit in O(log N)) against the algorithm it replaces (vmap_list.c:
 * busy areas in an address-sorted list walked hole by hole, from the first
 * area or from the kernel's free_vmap_cache hint). Both run in one process,
 * each on its own instance, on the same deterministic operations; every
 * alloc and every free must return the same on both sides (the same
 * address, or the same error), or the benchmark fails.
 *
 * The instance is x86-64's vmalloc space, [0xffffc90000000000, +32 TiB),
 * 4 KiB pages. The workloads follow the kernel's lib/test_vmalloc.c. A
 * kernel's vmalloc space is never empty, so each of them starts from the
 * same resident areas: 5120 areas of 1..16 pages allocated from vstart, a
 * random fifth of them freed again, so ~4100 busy areas with ~1000 holes of
 * 1..16 pages or more between them (small requests fit low, large ones only
 * above them all). Then:
 *
 *   fixed size            alloc 1 page, free it; repeated;
 *   full fit              8192 pairs of 1-page areas, the second of each pair
 *                         freed, then alloc 1 page (which fills the lowest
 *                         of those holes exactly), free it; repeated;
 *   long busy list        16384 1-page areas with a 1-page hole after each
 *                         (allocate 32768, free every other), then alloc 100
 *                         pages, alloc 2 pages (no hole holds either), free
 *                         both; repeated;
 *   random size           alloc 1..100 pages, free; repeated;
 *   fixed align           alloc 5 pages aligned to 32 KiB, free; repeated;
 *   random size + align   alloc 1..10 pages aligned to 4 KiB..4 MiB (2^0..2^22
 *                         bytes as in the kernel, at least a page), free;
 *   align shift           alloc 1 page aligned to 2^12 .. 2^63, free each
 *                         (from 2^46 on nothing fits: -MM_ENOMEM); repeated.
 *
 * Every call in the repeated part is timed and counts as one op (an alloc
 * or a free); the setup before it is not timed but is compared all the same.
 * The list's hint makes it O(1) whenever a request is at least as large and
 * as aligned as the previous one; otherwise it walks from the first area
 * ("restarts" counts those allocs). vmap descends its tree only into
 * subtrees whose largest free area holds the size; with an alignment above
 * a page, an area that is large enough but holds no aligned block below the
 * fit is still visited (the contract's exact lowest fit rules out the
 * kernel's pruning by size + align - 1), so the align workloads show what
 * that costs.
 *
 * Then the scaling table: the long busy list alone (no resident areas) with
 * N = 1k .. 64k live areas, the same repeated part. vmap's time per op
 * should grow like log N (target: at most 1.5x from 1k to 64k), the list's
 * like N (target: vmap at least 100x faster at 64k). The table is also
 * written as a data file for bench/vmap_plot.gp: by default vmap_scaling.dat
 * next to this program, or where --data says.
 *
 * Each workload runs on fresh instances per repetition; sides alternate in
 * blocks of a few thousand ops (which one goes first alternates too), so
 * that a machine whose speed drifts slows both alike. After each repetition
 * both must hold the same busy areas and pass their checks.
 *
 * Usage: bench_vmap [--quick] [--reps N] [--data FILE]
 *   --quick      about a tenth of the work (a smoke test for the test suite)
 *   --reps N     repetitions per workload (default 5); the median is reported
 *   --data FILE  where to write the scaling table
 */
#include "bench.h"
#include "vmap.h"
#include "vmap_list.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static uint64_t timed_exec(struct pair *p, enum side s, const struct op *ops, size_t n,
			   uint64_t *out)
{
	uint64_t t0 = bench_now_ns();

	exec(p, s, ops, n, out);
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

/* The repeated part of the long busy list: alloc 100 pages, alloc 2,
 * free both, into the two slots from base. */
static void emit_busy_loop(struct prog *p, uint32_t base, size_t iters)
{
	for (size_t i = 0; i < iters; i++) {
		emit_alloc(p, base, 100, PAGE);
		emit_alloc(p, base + 1, 2, PAGE);
		emit_free(p, base);
		emit_free(p, base + 1);
	}
}

#define FULL_FIT_PAIRS 8192
#define LONG_BUSY_N 16384

enum { W_FIXED, W_FULL_FIT, W_LONG_BUSY, W_RANDOM, W_FIX_ALIGN, W_RANDOM_ALIGN, W_ALIGN_SHIFT,
       NR_WORKLOADS };

static void build_workload(struct workload *w, int which, size_t div)
{
	const uint32_t slot = RESIDENT; /* the first slot after the resident areas */
	struct bench_rng r = bench_rng_splitmix64(0x13198a2e03707344ull + (uint64_t)which);
	size_t loops = 100000 / div;

	memset(w, 0, sizeof(*w));
	emit_resident(&w->setup);
	switch (which) {
	case W_FIXED:
		w->name = "fixed size";
		for (size_t i = 0; i < loops; i++) {
			emit_alloc(&w->timed, slot, 1, PAGE);
			emit_free(&w->timed, slot);
		}
		break;
	case W_FULL_FIT:
		w->name = "full fit";
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
		w->name = "long busy list";
		emit_busy_list(&w->setup, slot, LONG_BUSY_N);
		emit_busy_loop(&w->timed, slot + 2 * LONG_BUSY_N, 2000 / div);
		break;
	case W_RANDOM:
		w->name = "random size";
		for (size_t i = 0; i < loops; i++) {
			emit_alloc(&w->timed, slot, bench_rng_range(&r, 1, 100), PAGE);
			emit_free(&w->timed, slot);
		}
		break;
	case W_FIX_ALIGN:
		w->name = "fixed align";
		for (size_t i = 0; i < loops; i++) {
			emit_alloc(&w->timed, slot, 5, 8 * PAGE);
			emit_free(&w->timed, slot);
		}
		break;
	case W_RANDOM_ALIGN:
		w->name = "random size + align";
		for (size_t i = 0; i < loops; i++) {
			uint64_t pages = bench_rng_range(&r, 1, 10);
			uint64_t align = 1ull << bench_rng_range(&r, 0, 22);

			emit_alloc(&w->timed, slot, pages, align < PAGE ? PAGE : align);
			emit_free(&w->timed, slot);
		}
		break;
	case W_ALIGN_SHIFT:
		w->name = "align shift";
		for (size_t i = 0; i < 2000 / div; i++) {
			for (unsigned sh = 12; sh < 64; sh++) {
				emit_alloc(&w->timed, slot, 1, 1ull << sh);
				emit_free(&w->timed, slot);
			}
		}
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
	fputs("usage: bench_vmap [--quick] [--reps N] [--data FILE]\n", stderr);
	exit(2);
}

/* Take --data FILE out of argv (for bench_args, which knows only the common
 * options); NULL when absent. */
static const char *take_data_arg(int *argc, char **argv)
{
	const char *path = NULL;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--data")) {
			if (i + 1 >= *argc)
				usage();
			path = argv[++i];
		} else {
			argv[j++] = argv[i];
		}
	}
	*argc = j;
	argv[j] = NULL;
	return path;
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

/* Print one row of the table; returns its ratio. */
static double print_row(const struct workload *w, int reps)
{
	double l = median_ns_per_op(w, reps, LIST), v = median_ns_per_op(w, reps, VMAP);
	const struct sample *s = &w->s[0];

	printf("%-22s %9" PRIu64 " %12.1f %12.1f %9.2f %8.1f%% %7zu %7zu\n", w->name, s->ops,
	       l, v, l / v, 100.0 * (double)s->restarts / (double)s->allocs, s->busy, s->free);
	return l / v;
}

int main(int argc, char **argv)
{
	static struct workload w[NR_WORKLOADS], sc[NR_SCALE];
	const char *data_arg;
	char *data_path;
	double lns[NR_SCALE], vns[NR_SCALE], ratio[NR_WORKLOADS], growth, top;
	char name[96], target[64];
	bool quick;
	int reps;
	size_t div;
	FILE *f;

	data_arg = take_data_arg(&argc, argv);
	bench_args(argc, argv, &quick, &reps, usage);
	data_path = data_arg ? strcpy(bench_calloc(strlen(data_arg) + 1, 1), data_arg)
			     : default_data_path(argv[0]);
	div = quick ? 10 : 1;

	for (int i = 0; i < NR_WORKLOADS; i++) {
		build_workload(&w[i], i, div);
		run_workload(&w[i], reps);
	}
	for (size_t i = 0; i < NR_SCALE; i++) {
		sc[i].name = "long busy list scaling";
		emit_busy_list(&sc[i].setup, 0, scale_n[i]);
		emit_busy_loop(&sc[i].timed, 2 * scale_n[i], SCALE_ITERS / div);
		run_workload(&sc[i], reps);
		lns[i] = median_ns_per_op(&sc[i], reps, LIST);
		vns[i] = median_ns_per_op(&sc[i], reps, VMAP);
	}

	printf("vmap: lowest-fit virtual areas, busy list + free_vmap_cache hint (Linux < 5.2) "
	       "vs lib/vmap's free-area tree, median of %d run%s%s\n",
	       reps, reps == 1 ? "" : "s", quick ? ", --quick" : "");
	printf("instance: [%#llx, %#llx), 32 TiB of 4 KiB pages; each workload starts from "
	       "%d resident areas of 1..%d pages, 1 in %d freed again\n",
	       VSTART, VEND, RESIDENT, RESIDENT_MAX_PAGES, RESIDENT_FREE_ONE_IN);
	printf("op = one alloc or one free, every one timed; ratio = list / vmap (> 1: vmap "
	       "faster);\nrestarts = allocs whose list walk began at the first area (the hint "
	       "did not apply);\nbusy / free = areas when the timed part starts; every address "
	       "agreed on both sides\n\n");
	printf("%-22s %9s %12s %12s %9s %9s %7s %7s\n", "workload", "ops/run", "list ns/op",
	       "vmap ns/op", "ratio", "restarts", "busy", "free");
	for (int i = 0; i < NR_WORKLOADS; i++)
		ratio[i] = print_row(&w[i], reps);

	printf("\nlong busy list scaling: N 1-page areas with a 1-page hole after each, then "
	       "%d x (alloc 100 pages, alloc 2 pages, free both)\n",
	       SCALE_ITERS / (int)div);
	printf("%-22s %9s %12s %12s %9s %9s %7s %7s\n", "N live areas", "ops/run", "list ns/op",
	       "vmap ns/op", "ratio", "restarts", "busy", "free");
	for (size_t i = 0; i < NR_SCALE; i++) {
		const struct sample *s = &sc[i].s[0];

		snprintf(name, sizeof(name), "N = %u", scale_n[i]);
		printf("%-22s %9" PRIu64 " %12.1f %12.1f %9.2f %8.1f%% %7zu %7zu\n", name, s->ops,
		       lns[i], vns[i], lns[i] / vns[i],
		       100.0 * (double)s->restarts / (double)s->allocs, s->busy, s->free);
	}
	growth = vns[NR_SCALE - 1] / vns[0];
	top = lns[NR_SCALE - 1] / vns[NR_SCALE - 1];
	printf("\nvmap ns/op, N = 64k over N = 1k: %.2fx (target <= 1.5x: %s)\n", growth,
	       bench_met(growth <= 1.5));
	printf("list / vmap at N = 64k: %.1fx (target >= 100x: %s)\n", top, bench_met(top >= 100));

	f = fopen(data_path, "w");
	if (!f)
		bench_die("cannot write %s", data_path);
	fprintf(f, "# bench_vmap scaling, long busy list, median of %d%s\n", reps,
		quick ? ", --quick" : "");
	fprintf(f, "# N  list_ns_per_op  vmap_ns_per_op  ratio\n");
	for (size_t i = 0; i < NR_SCALE; i++)
		fprintf(f, "%u %.2f %.2f %.2f\n", scale_n[i], lns[i], vns[i], lns[i] / vns[i]);
	if (fclose(f))
		bench_die("cannot write %s", data_path);
	printf("scaling data: %s (plot: gnuplot -e \"data='%s'\" bench/vmap_plot.gp)\n",
	       data_path, data_path);

	printf("\n");
	snprintf(name, sizeof(name), "long busy list, %u live areas", scale_n[NR_SCALE - 1]);
	snprintf(target, sizeof(target), ">= 100x: %s", bench_met(top >= 100));
	bench_summary(name, top, target);
	snprintf(name, sizeof(name), "long busy list, %zu busy (test_vmalloc shape)",
		 w[W_LONG_BUSY].s[0].busy);
	bench_summary(name, ratio[W_LONG_BUSY], NULL);
	bench_summary(w[W_RANDOM].name, ratio[W_RANDOM], NULL);
	bench_summary(w[W_FIXED].name, ratio[W_FIXED], NULL);
	bench_summary(w[W_FIX_ALIGN].name, ratio[W_FIX_ALIGN], NULL);
	bench_summary(w[W_FULL_FIT].name, ratio[W_FULL_FIT], NULL);
	bench_summary(w[W_RANDOM_ALIGN].name, ratio[W_RANDOM_ALIGN], NULL);
	bench_summary(w[W_ALIGN_SHIFT].name, ratio[W_ALIGN_SHIFT], NULL);
	snprintf(name, sizeof(name), "vmap's own ns/op growth, %u over %u live areas",
		 scale_n[NR_SCALE - 1], scale_n[0]);
	snprintf(target, sizeof(target), "<= 1.5x: %s", bench_met(growth <= 1.5));
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
