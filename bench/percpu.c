/* SPDX-License-Identifier: MIT */
/*
 * bench/percpu.c - lib/percpu's dynamic per-CPU allocator against the
 * scheme it replaced (bench/percpu_ptrarray: an NR_CPUS array of pointers
 * per object, every CPU's copy allocated on its own), in one run:
 *
 *   utilization
 *       random sizes of 4..1024 bytes, each with a random power-of-two
 *       alignment of 4..64 bytes but never above the size rounded up to a
 *       power of two, allocated until the live objects add up to a live
 *       total; then rounds of freeing a random half of them and allocating
 *       back to the total. After every round: the live bytes (as
 *       requested) over the bytes of populated pages in one unit, for
 *       percpu under each policy (best fit, the default; first fit, the
 *       kernel's); for the old scheme, the same live bytes over its
 *       copies' kmalloc size classes in one CPU. Two shapes of object: C
 *       types (the size a multiple of the alignment, as sizeof and alignof
 *       always are: what alloc_percpu(type) asks for), and arbitrary pairs
 *       (any size with any of those alignments).
 *   memory per object
 *       at the end of the rounds, everything each scheme holds for the
 *       live objects: percpu's populated pages in every unit plus its own
 *       bookkeeping; the old scheme's copies plus the pointer array of
 *       each object, in kmalloc's size classes.
 *   per_cpu_ptr
 *       the cost of reading one CPU's copy of an 8-byte object, over many
 *       objects in random and in sequential order: percpu's ptr +
 *       offsets[cpu] (one load: the copy) against the old scheme's
 *       obj->ptrs[cpu] (two dependent loads: the pointer, then the copy).
 *       The machine's vmalloc range is placed on a host mapping, so a
 *       percpu address is a host address and the dereference is real.
 *
 * The machine: 4 CPUs on 2 nodes, 4 KiB pages, 32 KiB units, no backing
 * memory (the simulated pages hold no data; only the dereference part
 * touches memory, through the host mapping). Both schemes hold the same
 * objects; percpu_check runs after every round, and both sides of the
 * dereference part must read the same sums, or the benchmark fails.
 *
 * Usage: bench_percpu [--quick] [--reps N]
 */
#include "bench.h"
#include "machine.h"
#include "percpu_ptrarray.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NR_CPUS 4
#define PAGE 4096ull
#define MEM_PAGES (1ull << 16)       /* 256 MiB of simulated memory */
#define VSIZE (1ull << 30)           /* the vmalloc range, host-mapped */
#define SIZE_MIN 4
#define SIZE_MAX_ 1024
#define ALIGN_MAX 64
#define DEREF_SIZE 8

const char bench_prog[] = "bench_percpu";

static void usage(void)
{
	fprintf(stderr, "usage: bench_percpu [--quick] [--reps N]\n");
	exit(2);
}

struct world {
	struct mm_machine *m;
	struct percpu *pc;
	struct mm_meta meta;   /* the machine's */
	struct mm_meta pcmeta; /* percpu's own bookkeeping */
	void *vbase;
	struct pa pa;
};

static void boot(struct world *w, enum percpu_policy policy)
{
	static const int cpu_node[NR_CPUS] = { 0, 1, 0, 1 };
	struct mm_range mem[2] = { { 0, MEM_PAGES * PAGE / 2, 0 },
				   { MEM_PAGES * PAGE / 2, MEM_PAGES * PAGE / 2, 1 } };
	struct percpu_config pcfg = { NR_CPUS, cpu_node, 0, NULL, PERCPU_BEST_FIT };
	struct mm_machine_config mc;

	memset(w, 0, sizeof(*w));
	w->vbase = mmap(NULL, VSIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w->vbase == MAP_FAILED || (uint64_t)(uintptr_t)w->vbase % PAGE)
		bench_die("cannot map the vmalloc range");
	mm_meta_init(&w->meta);
	mm_meta_init(&w->pcmeta);
	mm_machine_default_config(&mc);
	mc.memory = mem;
	mc.nr_memory = 2;
	mc.page_size = PAGE;
	mc.nr_cpus = NR_CPUS;
	mc.cpu_node = cpu_node;
	mc.vmalloc_start = (uint64_t)(uintptr_t)w->vbase;
	mc.vmalloc_size = VSIZE;
	mc.lazy_max_pages = 1024;
	mc.meta = &w->meta;
	if (mm_machine_boot(&w->m, &mc))
		bench_die("machine boot failed");
	pcfg.meta = &w->pcmeta;
	pcfg.policy = policy;
	if (percpu_create(&w->pc, mm_machine_vmalloc(w->m), mm_machine_buddy(w->m), &pcfg))
		bench_die("percpu_create failed");
	pa_init(&w->pa, NR_CPUS);
}

static void shutdown(struct world *w)
{
	percpu_destroy(w->pc);
	mm_machine_destroy(w->m);
	munmap(w->vbase, VSIZE);
}

/* ---- utilization ---- */

struct obj {
	uint64_t ptr;
	struct pa_obj *pa;
	uint32_t size, align;
};

static uint32_t pow2_above(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* One object on both sides; c_type: its size a multiple of its alignment. */
static void alloc_both(struct world *w, struct bench_rng *r, bool c_type, struct obj *o)
{
	uint32_t size = (uint32_t)bench_rng_range(r, SIZE_MIN, SIZE_MAX_);
	uint32_t align = 4u << bench_rng_range(r, 0, 4); /* 4 .. ALIGN_MAX */

	if (align > pow2_above(size))
		align = pow2_above(size) < 4 ? 4 : pow2_above(size);
	if (c_type)
		size = (size + align - 1) / align * align;
	o->size = size;
	o->align = align;
	if (percpu_alloc(w->pc, size, align, &o->ptr))
		bench_die("percpu_alloc(%u, %u) failed", size, align);
	o->pa = pa_alloc(&w->pa, size, align);
}

static void free_both(struct world *w, struct obj *o)
{
	if (percpu_free(w->pc, o->ptr))
		bench_die("percpu_free failed");
	pa_free(&w->pa, o->pa, o->size, o->align);
}

struct round {
	uint64_t objects, live, populated, chunks, kmalloc_copies;
};

/* The end of the rounds, for the memory-per-object report. */
struct ending {
	uint64_t objects, live, populated, bookkeeping, old_bytes, old_copies;
};

/* The rounds for one policy and shape; res[0..rounds]. */
static void rounds(bool quick, enum percpu_policy policy, bool c_type, int nrounds,
		   struct round *res, struct ending *end)
{
	uint64_t target = quick ? 256u << 10 : 4u << 20, live = 0;
	struct obj *objs = bench_calloc(target / SIZE_MIN + 1, sizeof(*objs));
	/* The same objects and frees for both policies of a shape. */
	struct bench_rng r = bench_rng_splitmix64(0x9e3779b97f4a7c15ull + c_type);
	struct percpu_stats st;
	struct world w;
	size_t n = 0;

	boot(&w, policy);
	for (int round = 0; round <= nrounds; round++) {
		if (round) { /* free a random half */
			for (size_t k = n / 2; k; k--) {
				size_t i = (size_t)bench_rng_range(&r, 0, n - 1);

				live -= objs[i].size;
				free_both(&w, &objs[i]);
				objs[i] = objs[--n];
			}
		}
		while (live < target) {
			alloc_both(&w, &r, c_type, &objs[n]);
			live += objs[n++].size;
		}
		if (percpu_check(w.pc))
			bench_die("percpu_check: %s", percpu_check(w.pc));
		percpu_stats(w.pc, &st);
		if (st.allocs != n || w.pa.objects != n)
			bench_die("the two schemes hold different objects");
		res[round] = (struct round){ n, live, st.populated_bytes, st.chunks,
					     w.pa.kmalloc_bytes - n * pa_kmalloc_size(sizeof(struct pa_obj)) };
	}
	*end = (struct ending){ n, live, st.populated_bytes, w.pcmeta.live_bytes,
				w.pa.kmalloc_bytes, res[nrounds].kmalloc_copies };
	for (size_t i = 0; i < n; i++)
		free_both(&w, &objs[i]);
	shutdown(&w);
	free(objs);
}

static double util(const struct round *r)
{
	return 100.0 * (double)r->live / (double)r->populated;
}

static double util_old(const struct round *r)
{
	return 100.0 * (double)r->live * NR_CPUS / (double)r->kmalloc_copies;
}

/* The figures main() passes on to the summary lines, as the tables print them. */
struct headline {
	int rounds;
	double util[2][2]; /* last round, [shape: C type, arbitrary][policy] */
	double util_old[2]; /* last round, [shape] */
	double per_object;  /* memory per object, old / percpu */
	double deref[2];    /* per_cpu_ptr, old / percpu, [sequential, random] */
};

static void utilization(bool quick, struct headline *h)
{
	int nr = quick ? 5 : 30;
	struct round *res[2][2]; /* [shape: C type, arbitrary][policy] */
	struct ending end[2][2];
	const struct ending *e = &end[0][PERCPU_BEST_FIT];
	double ours_pp, old_pp, pop_pp;

	for (int shape = 0; shape < 2; shape++)
		for (int pol = 0; pol < 2; pol++) {
			res[shape][pol] = bench_calloc((size_t)nr + 1, sizeof(struct round));
			rounds(quick, (enum percpu_policy)pol, shape == 0, nr, res[shape][pol],
			       &end[shape][pol]);
		}

	printf("utilization: live bytes (as requested) / populated bytes of one unit; old scheme: "
	       "live bytes / its copies in one CPU (kmalloc classes)\n");
	printf("round 0 fills to %u KiB live; every later round frees a random half and "
	       "allocates back\n\n", quick ? 256 : 4096);
	printf("C types (size a multiple of the alignment)\n");
	printf("%-7s %8s %10s %9s %9s %10s %10s %11s\n", "round", "objects", "live KiB",
	       "chunks", "(first)", "best fit", "first fit", "old scheme");
	for (int i = 0; i <= nr; i++) {
		const struct round *b = &res[0][PERCPU_BEST_FIT][i], *f = &res[0][PERCPU_FIRST_FIT][i];

		printf("%-7d %8llu %10.1f %9llu %9llu %9.2f%% %9.2f%% %10.2f%%\n", i,
		       (unsigned long long)b->objects, b->live / 1024.0, (unsigned long long)b->chunks,
		       (unsigned long long)f->chunks, util(b), util(f), util_old(b));
	}
	printf("\narbitrary pairs (any size with any of the alignments), last round:\n");
	printf("  best fit %.2f%%, first fit %.2f%%, old scheme %.2f%%\n",
	       util(&res[1][PERCPU_BEST_FIT][nr]), util(&res[1][PERCPU_FIRST_FIT][nr]),
	       util_old(&res[1][PERCPU_BEST_FIT][nr]));

	/* Memory per object at the end, the default policy on C types. */
	pop_pp = (double)e->populated * NR_CPUS / (double)e->objects;
	ours_pp = pop_pp + (double)e->bookkeeping / (double)e->objects;
	old_pp = (double)e->old_bytes / (double)e->objects;
	printf("\nmemory per object at the end, C types, best fit (%llu objects, %u CPUs, mean size "
	       "%.0f bytes)\n", (unsigned long long)e->objects, NR_CPUS,
	       (double)e->live / (double)e->objects);
	printf("  percpu:     %8.1f bytes (%.1f populated pages in %u units + %.1f bookkeeping)\n",
	       ours_pp, pop_pp, NR_CPUS, (double)e->bookkeeping / (double)e->objects);
	printf("  old scheme: %8.1f bytes (%.1f copies + %.1f pointer array of NR_CPUS = %d)\n",
	       old_pp, (double)e->old_copies / (double)e->objects,
	       old_pp - (double)e->old_copies / (double)e->objects, PA_NR_CPUS);
	printf("  ratio old / percpu: %.2fx\n", old_pp / ours_pp);
	h->per_object = old_pp / ours_pp;
	h->rounds = nr;
	for (int shape = 0; shape < 2; shape++) {
		for (int pol = 0; pol < 2; pol++)
			h->util[shape][pol] = util(&res[shape][pol][nr]);
		h->util_old[shape] = util_old(&res[shape][PERCPU_BEST_FIT][nr]);
	}
	printf("  final utilization (C types, best fit) %.2f%% (target >= 98%%: %s)\n\n",
	       util(&res[0][PERCPU_BEST_FIT][nr]),
	       quick ? "a quick run is too small to judge"
		     : util(&res[0][PERCPU_BEST_FIT][nr]) >= 98.0 ? "met" : "MISSED");
	for (int shape = 0; shape < 2; shape++)
		for (int pol = 0; pol < 2; pol++)
			free(res[shape][pol]);
}

/* ---- per_cpu_ptr ---- */

/* Sum of one CPU's copies in the given order, each way. */
static uint64_t sum_percpu(const uint64_t *ptrs, const uint32_t *order, size_t n,
			   const uint64_t *offsets, unsigned cpu)
{
	uint64_t s = 0;

	for (size_t k = 0; k < n; k++)
		s += *(const volatile uint64_t *)(uintptr_t)per_cpu_ptr(offsets, ptrs[order[k]], cpu);
	return s;
}

static uint64_t sum_old(struct pa_obj *const *objs, const uint32_t *order, size_t n,
			unsigned cpu)
{
	uint64_t s = 0;

	for (size_t k = 0; k < n; k++)
		s += *(const volatile uint64_t *)pa_ptr(objs[order[k]], cpu);
	return s;
}

static void deref(bool quick, int reps, struct headline *h)
{
	size_t n = quick ? 4096 : 1u << 18;
	uint64_t *ptrs = bench_calloc(n, sizeof(*ptrs));
	struct pa_obj **objs = bench_calloc(n, sizeof(*objs));
	uint32_t *order[2];
	struct bench_rng r = bench_rng_splitmix64(42);
	const uint64_t *offsets;
	double t[2][2][BENCH_MAX_REPS];
	struct world w;

	boot(&w, PERCPU_BEST_FIT);
	offsets = percpu_unit_offsets(w.pc);
	/* Allocated in turn, as counters are: both schemes' objects then sit
	 * in allocation order in memory (percpu's packed in chunks, the old
	 * scheme's wherever malloc put them). */
	for (size_t i = 0; i < n; i++) {
		if (percpu_alloc(w.pc, DEREF_SIZE, DEREF_SIZE, &ptrs[i]))
			bench_die("percpu_alloc failed");
		objs[i] = pa_alloc(&w.pa, DEREF_SIZE, DEREF_SIZE);
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
			uint64_t v = i * NR_CPUS + cpu;

			memcpy((void *)(uintptr_t)per_cpu_ptr(offsets, ptrs[i], cpu), &v, sizeof(v));
			memcpy(pa_ptr(objs[i], cpu), &v, sizeof(v));
		}
	}
	order[0] = bench_calloc(n, sizeof(uint32_t));
	order[1] = bench_calloc(n, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
		order[0][i] = order[1][i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) { /* order[1]: a random permutation */
		size_t j = (size_t)bench_rng_range(&r, 0, i);
		uint32_t x = order[1][i];

		order[1][i] = order[1][j];
		order[1][j] = x;
	}
	for (int rep = 0; rep < reps; rep++)
		for (int o = 0; o < 2; o++)
			for (int way = 0; way < 2; way++) {
				uint64_t t0 = bench_now_ns();

				for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
					uint64_t s = way ? sum_old(objs, order[o], n, cpu)
							 : sum_percpu(ptrs, order[o], n, offsets, cpu);
					/* sum of i * NR_CPUS + cpu over i < n */
					uint64_t want = (uint64_t)NR_CPUS * (n * (n - 1) / 2) + (uint64_t)cpu * n;

					if (s != want)
						bench_die("per_cpu_ptr read a wrong sum");
				}
				t[o][way][rep] = (double)(bench_now_ns() - t0) / (double)(n * NR_CPUS);
			}
	printf("per_cpu_ptr: read one CPU's copy of each of %zu 8-byte objects, every CPU in "
	       "turn; ns per read, median of %d\n", n, reps);
	printf("percpu: *(ptr + offsets[cpu]), one load; old scheme: *obj->ptrs[cpu], two "
	       "dependent loads\n\n");
	printf("%-12s %12s %12s %8s\n", "order", "percpu ns", "old ns", "ratio");
	for (int o = 0; o < 2; o++) {
		double a = bench_median(t[o][0], reps), b = bench_median(t[o][1], reps);

		printf("%-12s %12.2f %12.2f %7.2fx\n", o ? "random" : "sequential", a, b, b / a);
		h->deref[o] = b / a;
	}
	for (size_t i = 0; i < n; i++) {
		percpu_free(w.pc, ptrs[i]);
		pa_free(&w.pa, objs[i], DEREF_SIZE, DEREF_SIZE);
	}
	shutdown(&w);
	free(order[0]);
	free(order[1]);
	free(objs);
	free(ptrs);
}

int main(int argc, char **argv)
{
	static const char *const shape[2] = { "C types", "arbitrary pairs" };
	struct headline h;
	char name[96], target[64];
	bool quick;
	int reps;

	bench_args(argc, argv, &quick, &reps, usage);
	printf("bench_percpu: %u CPUs on 2 nodes, 4 KiB pages, %u KiB units\n\n", NR_CPUS,
	       PCPU_MIN_UNIT_SIZE >> 10);
	utilization(quick, &h);
	deref(quick, reps, &h);

	/* The same verdict as the utilization table's last line. */
	snprintf(target, sizeof(target), ">= 98%%: %s",
		 quick ? "a quick run is too small to judge"
		       : bench_met(h.util[0][PERCPU_BEST_FIT] >= 98.0));
	printf("\n");
	for (int sh = 0; sh < 2; sh++) {
		snprintf(name, sizeof(name), "utilization after %d rounds, %s, best fit", h.rounds,
			 shape[sh]);
		bench_summary_percent(name, h.util[sh][PERCPU_BEST_FIT], sh ? NULL : target);
	}
	for (int sh = 0; sh < 2; sh++) {
		snprintf(name, sizeof(name), "utilization after %d rounds, %s, first fit (kernel)",
			 h.rounds, shape[sh]);
		bench_summary_percent(name, h.util[sh][PERCPU_FIRST_FIT], NULL);
	}
	for (int sh = 0; sh < 2; sh++) {
		snprintf(name, sizeof(name), "utilization after %d rounds, %s, old scheme",
			 h.rounds, shape[sh]);
		bench_summary_percent(name, h.util_old[sh], NULL);
	}
	snprintf(name, sizeof(name), "memory per object, old scheme (NR_CPUS = %d) / percpu",
		 PA_NR_CPUS);
	bench_summary(name, h.per_object, NULL);
	bench_summary("per_cpu_ptr, random order", h.deref[1], NULL);
	bench_summary("per_cpu_ptr, sequential order", h.deref[0], NULL);
	return 0;
}
