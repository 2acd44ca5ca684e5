/* SPDX-License-Identifier: MIT */
/*
 * bench/kho.c - lib/kho (per-order radix tables whose leaves are 512-bit
 * bitmaps; a canonical blob of runs and words; restore coalesces across
 * orders) against the two other ways the seed discusses, written here from
 * their semantics:
 *
 *   xarray-like  per order, a sparse tree of 4096-bit chunks keyed by
 *                pfn >> order (the first kernel KHO): kho_xarray.c
 *   maple-like   a tree of ranges, each of one order, merged when they
 *                touch (the maple-tree proposal): kho_maple.c
 *
 * and, built with -Dkernel_src=DIR, the same two over the kernel's own
 * structures compiled from DIR (kho_kernel_xarray.c, kho_kernel_maple.c):
 *
 *   kernel xarray  the xarray-like bitmaps in lib/xarray.c, an xarray of
 *                  orders over xarrays of bitmaps, as the first KHO had it
 *   kernel maple   the maple-like ranges in lib/maple_tree.c
 *
 * Each runs the same preserve calls on the same deterministic workloads,
 * over 2^24 pfns of 4 KiB (64 GiB) from pfn 0x100, max_order 10:
 *
 *   sparse  2^18 random order-0 pages (1 GiB of them: a process
 *           checkpointed page by page), preserve_folio each
 *   dense   4 huge ranges of 1..8 GiB at 2 MiB boundaries (a hypervisor's
 *           guest memory, backed by huge pages), preserve_pages each
 *   mixed   2^14 folios of random orders 0..10 at random aligned places,
 *           preserve_folio each
 *   dense, unaligned  the same 4 ranges shifted by 1..511 pages and cut
 *           short by as many, so that each end is a ladder of orders
 *
 * and the measures of one run: tracking memory (bytes asked for, nodes,
 * leaves and instance included, no allocator overhead), preserve time
 * (all the calls), blob size, restore time (validating the blob, loading
 * the incoming structure, reserving in a fresh memblock whose reserved list
 * holds only the firmware pages [0, 0x100)), and the number of
 * memblock_reserve calls the restore made. The xarray-like restore reserves
 * each folio, order by order, as the kernel did; the maple-like one each
 * range; kho each maximal run of pages, whatever the orders in it. The
 * baselines check less of a blob than kho does (not folios against each
 * other), which only favours them. The kernel-backed stores take their
 * nodes from tools/testing's slab stub (malloc, and posix_memalign for the
 * maple tree's aligned cache), whose cost is in their times where a
 * kernel's slab would cost less (kho_kernel_maple.c).
 *
 * Times are the median of 5 runs (fresh instances each run); the rest is
 * the same every run. The target: kho best or within 2x of the best of the
 * -like baselines, and of the kernel's, on every pattern and measure, and
 * its reserves exactly the number of maximal runs of preserved pages. A
 * row that misses says MISSED.
 *
 * Every run, every side must return the same result for every call, and
 * all restores must end with the same incoming folios and the same
 * memblock reserved list, or the benchmark fails.
 *
 * Usage: bench_kho [--quick] [--reps N]
 *   --quick   a sixteenth of the sparse and mixed work (ci/test runs it)
 *   --reps N  repetitions (default 5); the median is reported
 */
#include "bench.h"
#include "kho.h"
#include "kho_maple.h"
#include "kho_xarray.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPAN_START 0x100ull
#define SPAN_PFNS (1ull << 24)
#define SPAN_END (SPAN_START + SPAN_PFNS)
#define MAX_ORDER 10
#define PAGE_SHIFT 12

enum side { TABLE, XARRAY, MAPLE, KXARRAY, KMAPLE, NSIDES_MAX };
static const char *const side_name[NSIDES_MAX] = {
	"table+bitmaps", "xarray-like", "maple-like", "kernel xarray", "kernel maple",
};

#ifdef KHO_KERNEL_BASELINES
#define NSIDES 5
#else
#define NSIDES 3
#endif

static bool is_xa(enum side s)
{
	return s == XARRAY || s == KXARRAY;
}


const char bench_prog[] = "bench_kho";

/* ---- workloads ---- */

struct op {
	uint64_t pfn, arg; /* arg: the order (folio) or the page count (pages) */
	bool pages;
};

struct workload {
	const char *name;
	struct op *ops;
	size_t n;
};

static void push(struct workload *w, struct op o)
{
	if ((w->n & (w->n - 1)) == 0) { /* powers of two: grow */
		w->ops = realloc(w->ops, (w->n ? 2 * w->n : 1) * sizeof(*w->ops));
		if (!w->ops)
			bench_die("out of memory");
	}
	w->ops[w->n++] = o;
}

static struct workload sparse(size_t n)
{
	struct bench_rng r = bench_rng_splitmix64(0x6b686f2d73706172ull);
	struct workload w = { "sparse", NULL, 0 };

	for (size_t i = 0; i < n; i++)
		push(&w, (struct op){ bench_rng_range(&r, SPAN_START, SPAN_END - 1), 0, false });
	return w;
}

/* Four ranges, one in each quarter of the span, at 2 MiB boundaries (shift
 * 0), or shifted by 1..511 pages and cut short by as many (unaligned). */
static struct workload dense(bool unaligned)
{
	struct bench_rng r = bench_rng_splitmix64(0x6b686f2d64656e73ull);
	struct workload w = { unaligned ? "dense, unaligned" : "dense", NULL, 0 };
	const uint64_t quarter = SPAN_PFNS / 4, gib = 1ull << 18, huge = 512;

	for (int q = 0; q < 4; q++) {
		uint64_t base = SPAN_START + q * quarter;
		uint64_t len = bench_rng_range(&r, 1, 8) * gib - bench_rng_range(&r, 0, 255) * huge;
		uint64_t start = (base + bench_rng_range(&r, 0, quarter - len - huge)) & ~(huge - 1);
		uint64_t shift = unaligned ? bench_rng_range(&r, 1, huge - 1) : 0;

		push(&w, (struct op){ start + shift, len - 2 * shift, true });
	}
	return w;
}

static struct workload mixed(size_t n)
{
	struct bench_rng r = bench_rng_splitmix64(0x6b686f2d6d697865ull);
	struct workload w = { "mixed", NULL, 0 };

	for (size_t i = 0; i < n; i++) {
		unsigned order = (unsigned)bench_rng_range(&r, 0, MAX_ORDER);
		uint64_t pfn = bench_rng_range(&r, SPAN_START, SPAN_END - (1ull << order));

		push(&w, (struct op){ pfn & ~((1ull << order) - 1), order, false });
	}
	return w;
}

/* ---- the sides behind one face ---- */

struct inst {
	enum side side;
	struct kho *k;
	struct kxa *x;
	struct kmr *m;
	struct mm_meta meta;
};

static void inst_create(struct inst *in, enum side s)
{
	struct kho_config c;
	int err = 0;

	memset(in, 0, sizeof(*in));
	in->side = s;
	mm_meta_init(&in->meta);
	switch (s) {
	case TABLE:
		kho_default_config(&c, SPAN_START, SPAN_END);
		c.max_order = MAX_ORDER;
		c.meta = &in->meta;
		err = kho_create(&in->k, &c);
		break;
	case XARRAY:
		err = kxa_create(&in->x, SPAN_START, SPAN_END, MAX_ORDER, &kxa_like_store);
		break;
	case MAPLE:
		err = kmr_create(&in->m, SPAN_START, SPAN_END, MAX_ORDER, &kmr_like_store);
		break;
#ifdef KHO_KERNEL_BASELINES
	case KXARRAY:
		err = kxa_create(&in->x, SPAN_START, SPAN_END, MAX_ORDER, &kxa_kernel_store);
		break;
	case KMAPLE:
		err = kmr_create(&in->m, SPAN_START, SPAN_END, MAX_ORDER, &kmr_kernel_store);
		break;
#endif
	default:
		bench_die("side %d not built", (int)s);
	}
	if (err)
		bench_die("%s: create: %s", side_name[s], mm_strerror(err));
}

static void inst_destroy(struct inst *in)
{
	kho_destroy(in->k);
	kxa_destroy(in->x);
	kmr_destroy(in->m);
}

static int inst_apply(struct inst *in, const struct op *o)
{
	if (in->side == TABLE)
		return o->pages ? kho_preserve_pages(in->k, o->pfn, o->arg)
				: kho_preserve_folio(in->k, o->pfn, (unsigned)o->arg);
	if (is_xa(in->side))
		return o->pages ? kxa_preserve_pages(in->x, o->pfn, o->arg)
				: kxa_preserve_folio(in->x, o->pfn, (unsigned)o->arg);
	return o->pages ? kmr_preserve_pages(in->m, o->pfn, o->arg)
			: kmr_preserve_folio(in->m, o->pfn, (unsigned)o->arg);
}

static uint64_t inst_bytes(const struct inst *in)
{
	return in->side == TABLE ? in->meta.live_bytes
	       : is_xa(in->side) ? kxa_bytes(in->x) : kmr_bytes(in->m);
}

static uint8_t *inst_serialize(const struct inst *in, size_t *len)
{
	size_t n = in->side == TABLE ? kho_serialized_size(in->k)
		   : is_xa(in->side) ? kxa_serialized_size(in->x) : kmr_serialized_size(in->m);
	uint8_t *b = bench_calloc(n, 1);
	int err = in->side == TABLE ? kho_serialize(in->k, b, n, len)
		  : is_xa(in->side) ? kxa_serialize(in->x, b, n, len)
				       : kmr_serialize(in->m, b, n, len);

	if (err || *len != n)
		bench_die("%s: serialize: %s", side_name[in->side], mm_strerror(err));
	return b;
}

static struct memblock *fresh_memblock(void)
{
	struct memblock *mb;

	if (memblock_create(&mb, NULL) || memblock_add(mb, 0, SPAN_END << PAGE_SHIFT) ||
	    memblock_reserve(mb, 0, SPAN_START << PAGE_SHIFT))
		bench_die("memblock setup failed");
	return mb;
}

static int inst_restore(struct inst *in, const uint8_t *b, size_t len, struct memblock *mb,
			uint64_t *reserves)
{
	struct kho_stats st;
	int err;

	if (in->side == TABLE) {
		err = kho_restore(in->k, b, len, mb);
		kho_stats(in->k, &st);
		*reserves = st.reserves;
		return err;
	}
	if (is_xa(in->side))
		return kxa_restore(in->x, b, len, mb, reserves);
	return kmr_restore(in->m, b, len, mb, reserves);
}

/* ---- the incoming folios, for the cross-check ---- */

struct folios {
	uint64_t *v; /* pfn << 8 | order */
	size_t n, cap;
};

static void collect(void *ctx, uint64_t pfn, unsigned order)
{
	struct folios *f = ctx;

	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 4096;
		f->v = realloc(f->v, f->cap * sizeof(*f->v));
		if (!f->v)
			bench_die("out of memory");
	}
	f->v[f->n++] = pfn << 8 | order;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void incoming(const struct inst *in, struct folios *f)
{
	f->n = 0;
	if (in->side == TABLE)
		kho_walk(in->k, KHO_INCOMING, collect, f);
	else if (is_xa(in->side))
		kxa_walk_incoming(in->x, collect, f);
	else
		kmr_walk_incoming(in->m, collect, f);
	qsort(f->v, f->n, sizeof(*f->v), cmp_u64);
}

/* Maximal runs of contiguous pages in folios sorted by pfn. */
static uint64_t runs_of(const struct folios *f)
{
	uint64_t runs = 0, end = 0;

	for (size_t i = 0; i < f->n; i++) {
		uint64_t pfn = f->v[i] >> 8;

		runs += !i || pfn != end;
		end = pfn + (1ull << (f->v[i] & 0xff));
	}
	return runs;
}

static bool same_reserved(const struct memblock *a, const struct memblock *b)
{
	size_t n = memblock_region_count(a, MEMBLOCK_RESERVED);

	if (n != memblock_region_count(b, MEMBLOCK_RESERVED))
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct memblock_region *x = memblock_region(a, MEMBLOCK_RESERVED, i);
		const struct memblock_region *y = memblock_region(b, MEMBLOCK_RESERVED, i);

		if (x->base != y->base || x->size != y->size)
			return false;
	}
	return true;
}

/* ---- one pattern ---- */

enum measure { MEMORY, PRESERVE, BLOB, RESTORE, RESERVES, NMEASURES };
static const char *const measure_name[NMEASURES] = {
	"tracking memory (bytes)", "preserve (ms)", "blob (bytes)", "restore (ms)",
	"memblock reserves",
};

struct result {
	double v[NMEASURES][NSIDES];
	uint64_t runs, calls, refused;
};

static void run_pattern(const struct workload *w, int reps, struct result *res)
{
	double t[2][NSIDES][BENCH_MAX_REPS];
	int *want = bench_calloc(w->n, sizeof(int));
	struct folios f[NSIDES] = { { 0 } };

	for (int rep = 0; rep < reps; rep++) {
		struct memblock *mb[NSIDES];

		for (int k = 0; k < NSIDES; k++) {
			/* Sides take turns going first: none always finds the caches warm. */
			enum side s = (enum side)((k + rep) % NSIDES);
			struct inst a, b;
			uint64_t t0, reserves;
			uint8_t *blob;
			size_t len;
			int err;

			inst_create(&a, s);
			t0 = bench_now_ns();
			for (size_t i = 0; i < w->n; i++) {
				err = inst_apply(&a, &w->ops[i]);
				if (rep == 0 && k == 0)
					want[i] = err;
				else if (err != want[i])
					bench_die("%s, %s: call %zu gave %d, another side %d", w->name,
						  side_name[s], i, err, want[i]);
			}
			t[0][s][rep] = (double)(bench_now_ns() - t0) / 1e6;
			blob = inst_serialize(&a, &len);
			res->v[MEMORY][s] = (double)inst_bytes(&a);
			res->v[BLOB][s] = (double)len;
			inst_create(&b, s);
			mb[s] = fresh_memblock();
			t0 = bench_now_ns();
			err = inst_restore(&b, blob, len, mb[s], &reserves);
			t[1][s][rep] = (double)(bench_now_ns() - t0) / 1e6;
			if (err)
				bench_die("%s, %s: restore: %s", w->name, side_name[s], mm_strerror(err));
			res->v[RESERVES][s] = (double)reserves;
			incoming(&b, &f[s]);
			free(blob);
			inst_destroy(&a);
			inst_destroy(&b);
		}
		/* All sides hand over the same folios and reserve the same memory. */
		for (int s = 1; s < NSIDES; s++)
			if (f[s].n != f[0].n || memcmp(f[s].v, f[0].v, f[0].n * sizeof(*f[0].v)) ||
			    !same_reserved(mb[s], mb[0]))
				bench_die("%s: %s and %s restore different folios or reserves", w->name,
					  side_name[0], side_name[s]);
		res->runs = runs_of(&f[0]);
		if ((uint64_t)res->v[RESERVES][TABLE] != res->runs)
			bench_die("%s: kho made %.0f memblock_reserve calls for %" PRIu64 " runs",
				  w->name, res->v[RESERVES][TABLE], res->runs);
		for (int s = 0; s < NSIDES; s++)
			memblock_destroy(mb[s]);
	}
	for (int s = 0; s < NSIDES; s++) {
		res->v[PRESERVE][s] = bench_median(t[0][s], reps);
		res->v[RESTORE][s] = bench_median(t[1][s], reps);
		free(f[s].v);
	}
	res->calls = w->n;
	res->refused = 0;
	for (size_t i = 0; i < w->n; i++)
		res->refused += want[i] != 0;
	free(want);
}

/* ---- main ---- */

static _Noreturn void usage(void)
{
	fputs("usage: bench_kho [--quick] [--reps N]\n", stderr);
	exit(2);
}

static unsigned missed, rows;

/*
 * The baselines a ratio is against: the -like pair (XARRAY, MAPLE) and,
 * when built, the kernel's (KXARRAY, KMAPLE).
 */
#define NGROUPS (NSIDES / 2)
static const enum side group_first[2] = { XARRAY, KXARRAY };
static const char *const group_what[2] = { "", " vs kernel xarray, maple tree" };

/* The row's ratio: table+bitmaps over the best of itself and one pair of
 * baselines, target <= 2. */
static double table_ratio(const struct result *r, enum measure m, int g)
{
	double best = r->v[m][TABLE];

	for (int s = (int)group_first[g]; s < (int)group_first[g] + 2; s++)
		if (r->v[m][s] < best)
			best = r->v[m][s];
	return best > 0 ? r->v[m][TABLE] / best : 1;
}

static void print_pattern(const char *name, const struct result *r)
{
	for (int m = 0; m < NMEASURES; m++) {
		const char *fmt = m == PRESERVE || m == RESTORE ? "%14.3f" : "%14.0f";

		printf("%-17s %-24s", m ? "" : name, measure_name[m]);
		for (int s = 0; s < NSIDES; s++)
			printf(fmt, r->v[m][s]);
		for (int g = 0; g < NGROUPS; g++) {
			double ratio = table_ratio(r, (enum measure)m, g);

			printf("  %8.2f  %-*s", ratio, g + 1 < NGROUPS ? 6 : 0,
			       ratio <= 2.0 ? "ok" : "MISSED");
			missed += ratio > 2.0;
			rows++;
		}
		if (m == RESERVES)
			printf(" (%" PRIu64 " runs of pages)", r->runs);
		printf("\n");
	}
	printf("%-17s %" PRIu64 " calls, %" PRIu64 " refused as -EEXIST on every side\n\n", "",
	       r->calls, r->refused);
}

/*
 * The summary lines of one pattern, one per measure and pair of baselines.
 * The summary's ratios are against the baselines, as every benchmark's are
 * (above 1: kho does better): the better of the pair over table+bitmaps.
 * Its target, 0.5 or more, is the table's (table+bitmaps within 2x of the
 * best), and the verdict is the table's own.
 */
static void summarize_pattern(const char *pattern, const struct result *r)
{
	static const char *const what[NMEASURES] = {
		"tracking memory", "preserve time", "blob size", "restore time",
		"memblock_reserve calls at restore",
	};

	for (int g = 0; g < NGROUPS; g++)
		for (int m = 0; m < NMEASURES; m++) {
			const double *v = r->v[m];
			enum side a = group_first[g], b = (enum side)(a + 1);
			double base = v[a] < v[b] ? v[a] : v[b];
			double ours = v[TABLE];
			char name[128], target[64];

			snprintf(name, sizeof(name), "%s: %s%s", pattern, what[m], group_what[g]);
			snprintf(target, sizeof(target), ">= 0.5: %s",
				 bench_met(table_ratio(r, (enum measure)m, g) <= 2.0));
			bench_summary(name, ours > 0 ? base / ours : base > 0 ? HUGE_VAL : 1,
				      target);
		}
}

int main(int argc, char **argv)
{
	struct workload w[4];
	struct result r[4];
	bool quick;
	int reps;

	bench_args(argc, argv, &quick, &reps, usage);
	w[0] = sparse(quick ? 1u << 14 : 1u << 18);
	w[1] = dense(false);
	w[2] = mixed(quick ? 1u << 10 : 1u << 14);
	w[3] = dense(true);
	for (int i = 0; i < 4; i++)
		run_pattern(&w[i], reps, &r[i]);

	printf("kho: preserved-memory tracking, table + bitmaps (lib/kho) vs xarray-like bitmaps "
	       "vs maple-like ranges%s, median of %d run%s%s\n",
	       NGROUPS > 1 ? " vs the kernel's own xarray and maple tree" : "", reps,
	       reps == 1 ? "" : "s", quick ? ", --quick" : "");
#ifdef KHO_KERNEL_BASELINES
	printf("kernel: lib/xarray.c and lib/maple_tree.c of Linux %s, built in userspace\n",
	       KHO_KERNEL_VERSION);
#endif
	printf("span: 2^24 pfns of 4 KiB (64 GiB) from pfn 0x100, max_order %d; restore into a "
	       "fresh memblock;\nratio = table+bitmaps / the best of it and the -like pair%s "
	       "(lower is better for every measure), target <= 2\n\n",
	       MAX_ORDER, NGROUPS > 1 ? ", kernel = the same with the kernel pair" : "");
	printf("%-17s %-24s", "pattern", "measure");
	for (int s = 0; s < NSIDES; s++)
		printf("%14s", side_name[s]);
	for (int g = 0; g < NGROUPS; g++)
		printf("  %8s  %-*s", g ? "kernel" : "ratio", g + 1 < NGROUPS ? 6 : 0, "target");
	printf("\n");
	for (int i = 0; i < 4; i++) {
		print_pattern(w[i].name, &r[i]);
		free(w[i].ops);
	}
	printf("%u of %u rows missed the target\n", missed, rows);

	printf("\n");
	for (int i = 0; i < 4; i++) {
		char label[64];

		/* w[1] and w[3] are dense(): say what that is. */
		snprintf(label, sizeof(label), "%s%s", w[i].name,
			 i == 1 || i == 3 ? " (4 huge ranges)" : "");
		summarize_pattern(label, &r[i]);
	}
	return 0;
}
