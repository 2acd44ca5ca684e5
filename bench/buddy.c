/* SPDX-License-Identifier: MIT */
/*
 * bench/buddy.c - buddy_free_contig_range(), which frees a run of order-0
 * pages as the largest naturally aligned power-of-two chunks, against the
 * kernel's old way of freeing such a run: buddy_put_page() on every page,
 * each one going through the per-CPU cache on its own. Both ways run in one
 * process on identical fresh instances and identical workloads:
 *
 *   seed
 *       the seed's loop, 100,000 x (alloc_pages(9), split_page(9), free the
 *       512 pages); reported as the free alone and as the whole iteration;
 *   random runs
 *       runs of 1..2048 pages at random pfns (so of random alignment), laid
 *       out across the whole span with small random gaps, taken with
 *       buddy_alloc_contig_range() (which drains the per-CPU cache, so each
 *       batch of frees starts with it empty) and freed;
 *   random runs, referenced
 *       the same, but ~10% of the pages (each with probability 1/10) get an
 *       extra reference first, so those pages stay allocated and the chunked
 *       free has to cut its runs around them.
 *
 * Only the frees are timed. Allocating and taking the extra references are
 * not, nor is dropping them (put_page on each referenced page after the
 * timed free): that is the same calls on the same pages either way. The
 * seed's "whole iteration" also times alloc_pages + split_page; it is the
 * distance between consecutive end-of-free timestamps, so it includes the
 * iteration's two clock reads (the cost of one is printed in the header).
 *
 * Instance: one node, one cpu, max_order 10, default section size and
 * per-CPU cache settings, no backing memory, 2^18 pages (1 GiB of 4 KiB
 * pages), all freed to the allocator at the start. After every workload on
 * every side the caches are drained and the instance must hold the whole
 * span free, pass buddy_check(), and have the same number of free blocks of
 * each order as the other side, or the benchmark fails: a benchmark of two
 * frees that do not end in the same state measures nothing.
 *
 * Usage: bench_buddy [--quick] [--reps N]
 *   --quick   about a tenth of the work (a smoke test for the test suite)
 *   --reps N  repetitions per workload (default 5); the median is reported
 */
#include "bench.h"
#include "buddy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Away from pfn 0, aligned to a section and to the largest block. */
#define SPAN_START 0x80000ull
#define SPAN_PAGES (1ull << 18)
#define MAX_ORDER 10

#define SEED_ORDER 9
#define SEED_PAGES (1ull << SEED_ORDER)
#define SEED_ITERS 100000

#define RUN_MIN 1
#define RUN_MAX 2048
#define GAP_MIN 1 /* >= 1, so a batch never has more than SPAN_PAGES / 2 runs */
#define GAP_MAX 64
#define REF_PERCENT 10

enum way { PER_PAGE = 0, CHUNKED = 1 };
static const char *const way_name[2] = { "per-page put_page", "free_contig_range" };

const char bench_prog[] = "bench_buddy";

/* ---- the instance ---- */

static struct buddy_config instance_config(void)
{
	struct buddy_config cfg;

	buddy_default_config(&cfg, SPAN_START, SPAN_START + SPAN_PAGES);
	/* Spelled out: the comparison is about exactly this shape. The per-CPU
	 * cache settings stay the defaults. */
	cfg.max_order = MAX_ORDER;
	cfg.nr_nodes = 1;
	cfg.nr_cpus = 1;
	cfg.cpu_node = NULL;
	cfg.page_size = 0;
	cfg.meta = NULL;
	return cfg;
}

static struct buddy *instance_create(void)
{
	struct buddy_config cfg = instance_config();
	struct buddy *b;
	int err;

	if ((err = buddy_create(&b, &cfg)))
		bench_die("buddy_create: %s", mm_strerror(err));
	if ((err = buddy_add_memory(b, SPAN_START, SPAN_PAGES, 0)))
		bench_die("buddy_add_memory: %s", mm_strerror(err));
	if ((err = buddy_free_boot_range(b, SPAN_START, SPAN_PAGES)))
		bench_die("buddy_free_boot_range: %s", mm_strerror(err));
	return b;
}

/* Drain the caches; the whole span must be free and consistent. */
static void settle(struct buddy *b, const char *workload, enum way w)
{
	const char *broken;
	uint64_t nfree;

	buddy_drain_all(b);
	nfree = buddy_nr_free(b, NUMA_NO_NODE);
	if (nfree != SPAN_PAGES)
		bench_die("%s, %s: %llu pages free at the end, expected the whole span (%llu)",
			  workload, way_name[w], (unsigned long long)nfree,
			  (unsigned long long)SPAN_PAGES);
	broken = buddy_check(b);
	if (broken)
		bench_die("%s, %s: buddy_check: %s", workload, way_name[w], broken);
}

/* Both ways must end with the same free lists. */
static void compare(struct buddy *const b[2], const char *workload)
{
	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		uint64_t n0 = buddy_nr_free_blocks(b[PER_PAGE], 0, o);
		uint64_t n1 = buddy_nr_free_blocks(b[CHUNKED], 0, o);

		if (n0 != n1)
			bench_die("%s: order-%u free blocks: %s %llu, %s %llu", workload, o,
				  way_name[PER_PAGE], (unsigned long long)n0, way_name[CHUNKED],
				  (unsigned long long)n1);
	}
}

/* The two ways of freeing [pfn, pfn + nr), order-0 pages. */
static void free_run(struct buddy *b, enum way w, uint64_t pfn, uint64_t nr)
{
	int err;

	if (w == CHUNKED) {
		if ((err = buddy_free_contig_range(b, pfn, nr)))
			bench_die("free_contig_range(%#llx, %llu): %s", (unsigned long long)pfn,
				  (unsigned long long)nr, mm_strerror(err));
		return;
	}
	/* The kernel's old free_contig_range: one put per page, each page that
	 * reaches zero freed on its own. The error check is a compare that is
	 * never taken, next to a call; it does not weigh on the ratio. */
	for (uint64_t i = 0; i < nr; i++)
		if ((err = buddy_put_page(b, pfn + i)))
			bench_die("put_page(%#llx): %s", (unsigned long long)(pfn + i),
				  mm_strerror(err));
}

/* ---- results ---- */

struct sample {
	uint64_t ns[2];     /* the timed frees */
	uint64_t iter_ns[2]; /* seed: whole iterations */
	uint64_t cached[2]; /* pages left in the caches after the last free */
	uint64_t units;     /* iterations (seed) or pages freed */
	uint64_t runs;      /* runs freed (random workloads) */
	uint64_t refs;      /* pages with an extra reference */
};

/* Median over the repetitions of ns[way] (or iter_ns) / units, times scale. */
static double median_per_unit(const struct sample *s, int reps, enum way w, bool iter,
			      double scale)
{
	double v[BENCH_MAX_REPS];

	for (int i = 0; i < reps; i++)
		v[i] = (double)(iter ? s[i].iter_ns[w] : s[i].ns[w]) / (double)s[i].units * scale;
	return bench_median(v, reps);
}

/* The work is deterministic; a repetition that did something else is a bug. */
static void same_work(const struct sample *s, int reps, const char *workload)
{
	for (int i = 1; i < reps; i++)
		if (s[i].units != s[0].units || s[i].runs != s[0].runs ||
		    s[i].refs != s[0].refs || s[i].cached[0] != s[0].cached[0] ||
		    s[i].cached[1] != s[0].cached[1])
			bench_die("%s: repetition %d did different work from repetition 0",
				  workload, i);
}

/* Print one row of the table; returns its ratio. */
static double print_row(const char *name, const char *unit, double base, double chunk,
			const char *work, const struct sample *s)
{
	printf("%-30s %-8s %12.3f %12.3f %7.2f  %-28s %6llu / %llu\n", name, unit, base, chunk,
	       base / chunk, work, (unsigned long long)s->cached[PER_PAGE],
	       (unsigned long long)s->cached[CHUNKED]);
	return base / chunk;
}

/* Alternate which way goes first, so neither always finds the caches warm. */
static enum way first_way(int rep)
{
	return rep % 2 ? CHUNKED : PER_PAGE;
}

/* ---- workload 1: the seed's loop ---- */

/* Iterations one way does before the other takes over. Short, so that both
 * ways see the same machine: a shared one's speed drifts by tens of percent
 * within seconds, and all of one way followed by all of the other would
 * report that drift as part of the ratio. Long enough that the switch,
 * which brings the other instance's descriptors back into the cache, is
 * rare. */
#define SEED_BLOCK 1000

/* iters iterations of the seed's loop, added to s. */
static void seed_block(struct buddy *b, enum way w, uint64_t iters, struct sample *s)
{
	uint64_t free_ns = 0, t_prev, t_start;

	/* Timestamps are chained: the one after a free ends the iteration,
	 * so the whole iterations add up to the loop's time. */
	t_start = t_prev = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t pfn, t_split;
		int err = buddy_alloc_pages(b, SEED_ORDER, NUMA_NO_NODE, &pfn);

		if (err)
			bench_die("seed, %s: alloc_pages(%d): %s", way_name[w], SEED_ORDER,
				  mm_strerror(err));
		if ((err = buddy_split_page(b, pfn, SEED_ORDER)))
			bench_die("seed, %s: split_page(%#llx, %d): %s", way_name[w],
				  (unsigned long long)pfn, SEED_ORDER, mm_strerror(err));
		t_split = bench_now_ns();
		free_run(b, w, pfn, SEED_PAGES);
		t_prev = bench_now_ns();
		free_ns += t_prev - t_split;
	}
	s->ns[w] += free_ns;
	s->iter_ns[w] += t_prev - t_start;
	s->cached[w] = buddy_nr_cached(b, 0);
}

static void run_seed(struct sample *s, int reps, uint64_t iters)
{
	for (int rep = 0; rep < reps; rep++) {
		struct buddy *b[2] = { instance_create(), instance_create() };

		memset(&s[rep], 0, sizeof(s[rep]));
		for (uint64_t done = 0, blk = 0; done < iters; done += SEED_BLOCK, blk++) {
			uint64_t n = mm_min(SEED_BLOCK, iters - done);

			for (int k = 0; k < 2; k++) {
				enum way w = (enum way)(first_way(rep + (int)(blk & 1)) ^ k);

				seed_block(b[w], w, n, &s[rep]);
			}
		}
		for (int w = 0; w < 2; w++)
			settle(b[w], "seed", (enum way)w);
		compare(b, "seed");
		s[rep].units = iters;
		buddy_destroy(b[0]);
		buddy_destroy(b[1]);
	}
}

/* ---- workloads 2 and 3: runs of random length and alignment ---- */

struct run {
	uint64_t pfn, nr;
};

struct batch {
	struct run *runs;
	size_t nr_runs;
	uint64_t *refs; /* pages that get an extra reference */
	size_t nr_refs;
	uint64_t pages;
};

/*
 * Batch i of a workload: runs laid out from the start of the span, each
 * after a gap of GAP_MIN..GAP_MAX pages, until the next might not fit. The
 * starts are therefore of every alignment and a few runs cross a section.
 * splitmix64 with a fixed seed per batch: both ways, and every repetition,
 * see exactly the same runs.
 */
static void batch_plan(struct batch *bt, uint64_t seed, uint64_t i, bool refs)
{
	struct bench_rng r = bench_rng_splitmix64(seed ^ (i * 0xd6e8feb86659fd93ull));
	uint64_t pos = SPAN_START;

	bt->nr_runs = bt->nr_refs = 0;
	bt->pages = 0;
	for (;;) {
		uint64_t gap = bench_rng_range(&r, GAP_MIN, GAP_MAX);
		uint64_t nr = bench_rng_range(&r, RUN_MIN, RUN_MAX);

		if (pos + gap + nr > SPAN_START + SPAN_PAGES)
			break;
		pos += gap;
		bt->runs[bt->nr_runs++] = (struct run){ pos, nr };
		bt->pages += nr;
		if (refs)
			for (uint64_t p = pos; p < pos + nr; p++)
				if (bench_rng_range(&r, 1, 100) <= REF_PERCENT)
					bt->refs[bt->nr_refs++] = p;
		pos += nr;
	}
}

static void runs_one(struct buddy *b, enum way w, const struct batch *bt, struct sample *s,
		     const char *workload)
{
	uint64_t t0, nfree;
	int err;

	for (size_t j = 0; j < bt->nr_runs; j++) {
		const struct run *rn = &bt->runs[j];

		if ((err = buddy_alloc_contig_range(b, rn->pfn, rn->pfn + rn->nr)))
			bench_die("%s, %s: alloc_contig_range(%#llx, %#llx): %s", workload,
				  way_name[w], (unsigned long long)rn->pfn,
				  (unsigned long long)(rn->pfn + rn->nr), mm_strerror(err));
	}
	for (size_t j = 0; j < bt->nr_refs; j++)
		if ((err = buddy_get_page(b, bt->refs[j])))
			bench_die("%s, %s: get_page(%#llx): %s", workload, way_name[w],
				  (unsigned long long)bt->refs[j], mm_strerror(err));

	/* One clock pair per batch: a run of a few pages frees faster than
	 * a clock read. */
	t0 = bench_now_ns();
	for (size_t j = 0; j < bt->nr_runs; j++)
		free_run(b, w, bt->runs[j].pfn, bt->runs[j].nr);
	s->ns[w] += bench_now_ns() - t0;

	/* Cheap mid-workload agreement: exactly the referenced pages are still
	 * allocated (cached pages count as free). */
	nfree = buddy_nr_free(b, NUMA_NO_NODE);
	if (nfree != SPAN_PAGES - bt->nr_refs)
		bench_die("%s, %s: %llu pages free after the free, expected %llu", workload,
			  way_name[w], (unsigned long long)nfree,
			  (unsigned long long)(SPAN_PAGES - bt->nr_refs));
	s->cached[w] = buddy_nr_cached(b, 0);

	for (size_t j = 0; j < bt->nr_refs; j++)
		if ((err = buddy_put_page(b, bt->refs[j])))
			bench_die("%s, %s: put_page(%#llx) of a referenced page: %s", workload,
				  way_name[w], (unsigned long long)bt->refs[j], mm_strerror(err));
}

static void run_runs(struct sample *s, int reps, uint64_t nbatches, bool refs,
		     const char *workload)
{
	const uint64_t seed = refs ? 0x5851f42d4c957f2dull : 0x2545f4914f6cdd1dull;
	struct batch bt = {
		.runs = bench_calloc(SPAN_PAGES / (GAP_MIN + RUN_MIN), sizeof(*bt.runs)),
		.refs = bench_calloc(SPAN_PAGES, sizeof(*bt.refs)),
	};

	for (int rep = 0; rep < reps; rep++) {
		struct buddy *b[2] = { instance_create(), instance_create() };

		memset(&s[rep], 0, sizeof(s[rep]));
		for (uint64_t i = 0; i < nbatches; i++) {
			batch_plan(&bt, seed, i, refs);
			for (int k = 0; k < 2; k++) {
				enum way w = (enum way)(first_way(rep + (int)(i & 1)) ^ k);

				runs_one(b[w], w, &bt, &s[rep], workload);
			}
			s[rep].units += bt.pages;
			s[rep].runs += bt.nr_runs;
			s[rep].refs += bt.nr_refs;
		}
		for (int w = 0; w < 2; w++)
			settle(b[w], workload, (enum way)w);
		compare(b, workload);
		buddy_destroy(b[0]);
		buddy_destroy(b[1]);
	}
	free(bt.runs);
	free(bt.refs);
}

/* ---- main ---- */

/* What one clock read costs here: the seed's whole iteration includes two. */
static double clock_read_ns(void)
{
	enum { N = 100000 };
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < N; i++)
		(void)bench_now_ns();
	return (double)(bench_now_ns() - t0) / N;
}

static _Noreturn void usage(void)
{
	fputs("usage: bench_buddy [--quick] [--reps N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct sample seed[BENCH_MAX_REPS], runs[BENCH_MAX_REPS], refd[BENCH_MAX_REPS];
	struct buddy_config cfg = instance_config();
	bool quick;
	int reps;
	uint64_t seed_iters, nbatches;
	char work[3][64];
	double clk, seed_ratio, runs_ratio, refd_ratio;

	bench_args(argc, argv, &quick, &reps, usage);
	seed_iters = quick ? SEED_ITERS / 10 : SEED_ITERS;
	nbatches = quick ? 8 : 80;

	clk = clock_read_ns();
	run_seed(seed, reps, seed_iters);
	same_work(seed, reps, "seed");
	run_runs(runs, reps, nbatches, false, "random runs");
	same_work(runs, reps, "random runs");
	run_runs(refd, reps, nbatches, true, "random runs, referenced");
	same_work(refd, reps, "random runs, referenced");

	printf("buddy: free a run of order-0 pages, per-page put_page vs free_contig_range, "
	       "median of %d run%s%s\n",
	       reps, reps == 1 ? "" : "s", quick ? ", --quick" : "");
	printf("instance: %llu pages, 1 node, 1 cpu, max_order %u, section 2^%u pages, "
	       "pcp high %u batch %u; a clock read costs %.1f ns\n",
	       (unsigned long long)SPAN_PAGES, cfg.max_order, cfg.section_shift, cfg.pcp_high,
	       cfg.pcp_batch, clk);
	printf("ratio = per-page / chunked (> 1: chunked faster); only the frees are timed "
	       "except in \"whole iteration\";\ncached = pages left in the per-CPU cache after "
	       "the last timed free (per-page / chunked)\n\n");
	printf("%-30s %-8s %12s %12s %7s  %-28s %s\n", "workload", "unit", "per-page",
	       "chunked", "ratio", "work per repetition", "cached");

	snprintf(work[0], sizeof(work[0]), "%llu iterations", (unsigned long long)seed_iters);
	seed_ratio = print_row("seed: free 512 pages", "us/iter",
			       median_per_unit(seed, reps, PER_PAGE, false, 1e-3),
			       median_per_unit(seed, reps, CHUNKED, false, 1e-3), work[0], &seed[0]);
	print_row("seed: whole iteration", "us/iter",
		  median_per_unit(seed, reps, PER_PAGE, true, 1e-3),
		  median_per_unit(seed, reps, CHUNKED, true, 1e-3), work[0], &seed[0]);
	snprintf(work[1], sizeof(work[1]), "%llu runs, %llu pages",
		 (unsigned long long)runs[0].runs, (unsigned long long)runs[0].units);
	runs_ratio = print_row("random runs 1..2048", "ns/page",
			       median_per_unit(runs, reps, PER_PAGE, false, 1),
			       median_per_unit(runs, reps, CHUNKED, false, 1), work[1], &runs[0]);
	snprintf(work[2], sizeof(work[2]), "%llu runs, %llu refs",
		 (unsigned long long)refd[0].runs, (unsigned long long)refd[0].refs);
	refd_ratio = print_row("random runs, 10% referenced", "ns/page",
			       median_per_unit(refd, reps, PER_PAGE, false, 1),
			       median_per_unit(refd, reps, CHUNKED, false, 1), work[2], &refd[0]);

	printf("\n");
	bench_summary("seed: free 512 pages after split_page", seed_ratio, NULL);
	bench_summary("random runs 1..2048 pages", runs_ratio, NULL);
	bench_summary("random runs, 10% still referenced", refd_ratio, NULL);
	return 0;
}
