/* SPDX-License-Identifier: MIT */
/*
 * bench/bench.c - the benchmarks' common utilities (see bench.h).
 */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", bench_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void *bench_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		bench_die("out of memory");
	return p;
}

/* ---- random numbers ---- */

struct bench_rng bench_rng_xorshift64s(uint64_t seed)
{
	return (struct bench_rng){ BENCH_RNG_XORSHIFT64S, seed };
}

struct bench_rng bench_rng_splitmix64(uint64_t seed)
{
	return (struct bench_rng){ BENCH_RNG_SPLITMIX64, seed };
}

static uint64_t xorshift64s_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t splitmix64_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t bench_rng_next(struct bench_rng *r)
{
	switch (r->kind) {
	case BENCH_RNG_XORSHIFT64S:
		return xorshift64s_next(&r->s);
	case BENCH_RNG_SPLITMIX64:
		return splitmix64_next(&r->s);
	}
	bench_die("bench_rng_next: generator of unknown kind %d (not seeded?)", (int)r->kind);
}

uint64_t bench_rng_range(struct bench_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + bench_rng_next(r) % (hi - lo + 1);
}

/* ---- medians ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- command line ---- */

void bench_args(int argc, char **argv, bool *quick, int *reps, void (*usage)(void))
{
	*quick = false;
	*reps = BENCH_DEFAULT_REPS;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			*quick = true;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end || v < 1 || v > BENCH_MAX_REPS)
				usage();
			*reps = (int)v;
		} else {
			usage();
		}
	}
}

/* ---- summary lines ---- */

static void summary_field(const char *s)
{
	if (strpbrk(s, "|\n"))
		bench_die("summary field \"%s\" holds '|' or a newline", s);
}

/* About three significant digits: 118x, 33.3x, 7.37x, 0.42x; percentages
 * as the tables print them, 99.04%. The target follows the last '|' after a
 * space, or nothing when there is none (no trailing blank). */
static void summary_line(const char *workload, double value, const char *suffix,
			 const char *target)
{
	int prec = !strcmp(suffix, "%") ? 2 : value >= 100 ? 0 : value >= 10 ? 1 : 2;

	summary_field(workload);
	if (target)
		summary_field(target);
	printf("summary | %s | %s | %.*f%s |%s%s\n", bench_prog, workload, prec, value, suffix,
	       target ? " " : "", target ? target : "");
}

void bench_summary(const char *workload, double ratio, const char *target)
{
	summary_line(workload, ratio, "x", target);
}

void bench_summary_percent(const char *workload, double percent, const char *target)
{
	summary_line(workload, percent, "%", target);
}

const char *bench_met(bool met)
{
	return met ? "met" : "MISSED";
}
