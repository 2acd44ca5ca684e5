/* SPDX-License-Identifier: MIT */
/*
 * bench/bench.h - what every benchmark needs besides its workloads: fatal
 * errors, allocation, the clock, deterministic random numbers, medians, the
 * common command line and the summary lines ci/bench collects (bench.c).
 *
 * Each benchmark defines bench_prog, the name its messages start with.
 */
#ifndef MMSTACK_BENCH_H
#define MMSTACK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#if defined(__GNUC__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BENCH_PRINTF(f, a)
#endif

/* --reps: at most this many repetitions per workload, and the default. */
#define BENCH_MAX_REPS 99
#define BENCH_DEFAULT_REPS 5

/* The program's name, defined by each benchmark: "bench_memblock", ... */
extern const char bench_prog[];

/* Print "<bench_prog>: <message>" to stderr and exit(1). */
_Noreturn void bench_die(const char *fmt, ...) BENCH_PRINTF(1, 2);

/* calloc() that never returns NULL (nor asks for 0 bytes): dies instead. */
void *bench_calloc(size_t n, size_t size);

/*
 * CLOCK_MONOTONIC in nanoseconds. Inline, because the benchmarks read it
 * inside what they time: an out-of-line call would add to every interval.
 */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Deterministic random numbers: fixed seeds make every run, and every
 * repetition, see the same workloads. Two generators, because the
 * benchmarks' workloads were generated with different ones and must stay
 * the same: xorshift64* (bench_memblock) and splitmix64 (bench_buddy). The
 * two give unrelated streams from the same seed. Start one with
 * bench_rng_xorshift64s() or bench_rng_splitmix64(), never from a zeroed
 * struct (bench_rng_next() dies on one).
 */
enum bench_rng_kind {
	BENCH_RNG_XORSHIFT64S = 1, /* xorshift64*; a zero seed stays zero */
	BENCH_RNG_SPLITMIX64 = 2,
};

struct bench_rng {
	enum bench_rng_kind kind;
	uint64_t s;
};

struct bench_rng bench_rng_xorshift64s(uint64_t seed);
struct bench_rng bench_rng_splitmix64(uint64_t seed);
uint64_t bench_rng_next(struct bench_rng *r);

/* Uniform enough in [lo, hi] for workload shapes: lo + next % (hi - lo + 1). */
uint64_t bench_rng_range(struct bench_rng *r, uint64_t lo, uint64_t hi);

/* The median of v[0..n), n >= 1; sorts v. */
double bench_median(double *v, int n);

/*
 * The common command line, [--quick] [--reps N] with 1 <= N <= BENCH_MAX_REPS:
 * sets *quick (default false) and *reps (default BENCH_DEFAULT_REPS), and
 * calls usage(), which must not return, on anything else.
 */
void bench_args(int argc, char **argv, bool *quick, int *reps, void (*usage)(void));

/*
 * Headline figures. After its own tables, a benchmark prints one line per
 * figure that belongs in the summary ci/bench assembles from every
 * benchmark (bench/results/summary.md, the table in README.md):
 *
 *   summary | <bench_prog> | <workload> | <figure> | <target>
 *
 * bench_summary() prints a ratio against the baseline (old / new, so above
 * 1 the new algorithm wins) as "33.3x"; bench_summary_percent() a
 * percentage as "99.04%". target is what the benchmark aims for and whether
 * this run met it, e.g. "<= 1.5x: MISSED" (see bench_met()), or NULL when
 * the figure has none. Neither string may hold '|' or a newline (dies).
 * The figures must be the ones the benchmark's tables print, from the same
 * medians.
 */
void bench_summary(const char *workload, double ratio, const char *target);
void bench_summary_percent(const char *workload, double percent, const char *target);

/* "met" or "MISSED", as the tables and summary lines say it. */
const char *bench_met(bool met);

#endif /* MMSTACK_BENCH_H */
