/* SPDX-License-Identifier: MIT */
/*
 * bench/memblock.c - lib's one-pass memblock insert against the kernel's
 * two-pass insert (memblock_twopass.c), in one process, on the same
 * deterministic workloads:
 *
 *   small boot: memory / small boot: reserve
 *       40 memory regions and 60 reserves, repeated on fresh instances: a
 *       machine whose map fits the first 128 slots, where two-pass never
 *       needs its counting pass;
 *   boot: memory / boot: reserve
 *       a few hundred memory regions on four nodes, then thousands of small
 *       scattered reserves, some touching or overlapping the previous one,
 *       a few large ones covering many;
 *   overlap-heavy
 *       ~2000 small disjoint regions alternating between two nodes, then
 *       adds that each span 64..512 of them, filling every gap in the span
 *       (many new pieces per add and, for a matching nid, many merges);
 *   full array N=...
 *       N disjoint regions in an array of capacity N, then one add into a
 *       gap, which must grow the array.
 *
 * Only the measured adds are timed. Every workload runs several times and the
 * median is reported. After every workload instance the two region lists
 * must be identical, or the benchmark fails: a benchmark of two
 * implementations that disagree measures nothing.
 *
 * The ratio is that of the whole insert. Besides skipping the counting pass,
 * lib finds its starting region by binary search (the kernel walks from
 * index 0), writes new pieces into a gap instead of shifting the tail once
 * per piece, and merges in one sweep instead of one memmove per merge; the
 * "counted" column says how often the counting pass alone was in play.
 *
 * Usage: bench_memblock [--quick] [--reps N]
 *   --quick   about a tenth of the work (a smoke test for the test suite)
 *   --reps N  repetitions per workload (default 5); the median is reported
 */
#include "bench.h"
#include "memblock.h"
#include "memblock_twopass.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define PAGE (4 * KIB)

/* Both implementations start this small, so growth is part of the story. */
#define START_CAP 128

enum impl { TWO_PASS = 0, ONE_PASS = 1 };

/* The name bench_die() prints. The workloads use xorshift64*
 * (bench_rng_xorshift64s) with fixed seeds, so every run and every
 * repetition is the same. */
const char bench_prog[] = "bench_memblock";

/* ---- one add, and a list of them applied to either implementation ---- */

struct op {
	enum memblock_type_id type;
	uint64_t base;
	uint64_t size;
	int nid;
	uint32_t flags;
};

static void shuffle_ops(struct bench_rng *r, struct op *ops, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)bench_rng_range(r, 0, i - 1);
		struct op t = ops[i - 1];

		ops[i - 1] = ops[j];
		ops[j] = t;
	}
}

/* The same instance built both ways. */
struct pair {
	struct tp_memblock tp;
	struct memblock *lib;
};

static void pair_create(struct pair *p, size_t memory_cap, size_t reserved_cap)
{
	struct memblock_config cfg = { .memory_cap = memory_cap, .reserved_cap = reserved_cap, .meta = NULL };

	if (tp_init(&p->tp, memory_cap, reserved_cap))
		bench_die("two-pass: init failed");
	if (memblock_create(&p->lib, &cfg))
		bench_die("one-pass: memblock_create failed");
}

static void pair_destroy(struct pair *p)
{
	tp_destroy(&p->tp);
	memblock_destroy(p->lib);
	p->lib = NULL;
}

/*
 * Apply ops to one side. Errors are fatal: with the host allocator nothing
 * here may fail. The loop per side is the same shape, so neither pays for
 * the other's dispatch.
 */
static void apply(enum impl which, struct pair *p, const struct op *ops, size_t n)
{
	int err = 0;

	if (which == TWO_PASS) {
		for (size_t i = 0; i < n && !err; i++)
			err = ops[i].type == MEMBLOCK_MEMORY ?
				tp_add_node(&p->tp, ops[i].base, ops[i].size, ops[i].nid,
					    ops[i].flags) :
				tp_reserve(&p->tp, ops[i].base, ops[i].size);
	} else {
		for (size_t i = 0; i < n && !err; i++)
			err = ops[i].type == MEMBLOCK_MEMORY ?
				memblock_add_node(p->lib, ops[i].base, ops[i].size,
						  ops[i].nid, ops[i].flags) :
				memblock_reserve(p->lib, ops[i].base, ops[i].size);
	}
	if (err)
		bench_die("%s: add failed: %s", which == TWO_PASS ? "two-pass" : "one-pass",
			  mm_strerror(err));
}

/* The same, returning the time it took. */
static uint64_t timed_apply(enum impl which, struct pair *p, const struct op *ops, size_t n)
{
	uint64_t t0 = bench_now_ns();

	apply(which, p, ops, n);
	return bench_now_ns() - t0;
}

static uint64_t grows(enum impl which, const struct pair *p, enum memblock_type_id type)
{
	return which == TWO_PASS ? p->tp.type[type].grows : memblock_grow_count(p->lib, type);
}

static uint64_t counted(const struct pair *p, enum memblock_type_id type)
{
	return p->tp.type[type].counted;
}

/* Exit non-zero unless both sides hold exactly the same regions. */
static void pair_compare(const struct pair *p, const char *workload)
{
	const char *broken = memblock_check(p->lib);

	if (broken)
		bench_die("%s: one-pass is inconsistent: %s", workload, broken);
	for (int ti = 0; ti < 2; ti++) {
		enum memblock_type_id type = (enum memblock_type_id)ti;
		const struct tp_type *t = &p->tp.type[type];
		const char *tname = type == MEMBLOCK_MEMORY ? "memory" : "reserved";
		size_t n = memblock_region_count(p->lib, type);
		uint64_t total = type == MEMBLOCK_MEMORY ? memblock_phys_mem_size(p->lib) :
							   memblock_reserved_size(p->lib);

		if (n != t->cnt)
			bench_die("%s: %s: two-pass has %zu regions, one-pass %zu", workload, tname,
				  t->cnt, n);
		if (total != t->total_size)
			bench_die("%s: %s: total size differs", workload, tname);
		for (size_t i = 0; i < n; i++) {
			const struct memblock_region *a = &t->regions[i];
			const struct memblock_region *b = memblock_region(p->lib, type, i);

			if (a->base != b->base || a->size != b->size || a->nid != b->nid ||
			    a->flags != b->flags)
				bench_die("%s: %s region %zu differs: "
					  "two-pass [%#llx +%#llx nid %d flags %#x], "
					  "one-pass [%#llx +%#llx nid %d flags %#x]",
					  workload, tname, i, (unsigned long long)a->base,
					  (unsigned long long)a->size, a->nid, a->flags,
					  (unsigned long long)b->base, (unsigned long long)b->size,
					  b->nid, b->flags);
		}
	}
}

/* ---- results ---- */

/* One repetition of one workload row: both sides' time and growth. */
struct sample {
	uint64_t ns[2];
	uint64_t grows[2];
	uint64_t counted; /* adds for which two-pass ran its counting pass */
	size_t adds;
};

struct row {
	const char *name;
	struct sample s[BENCH_MAX_REPS];
};

static double median_ns_per_add(const struct row *r, int reps, enum impl which)
{
	double v[BENCH_MAX_REPS];

	for (int i = 0; i < reps; i++)
		v[i] = (double)r->s[i].ns[which] / (double)r->s[i].adds;
	return bench_median(v, reps);
}

/* Print one row of the table; returns its ratio. */
static double print_row(const struct row *r, int reps)
{
	double tp = median_ns_per_add(r, reps, TWO_PASS);
	double op = median_ns_per_add(r, reps, ONE_PASS);

	/* Growth is deterministic; a run that disagrees with the first is a bug. */
	for (int i = 1; i < reps; i++)
		if (r->s[i].grows[0] != r->s[0].grows[0] ||
		    r->s[i].grows[1] != r->s[0].grows[1] || r->s[i].counted != r->s[0].counted)
			bench_die("%s: counts differ between repetitions", r->name);
	printf("%-22s %8zu %16.1f %16.1f %6.2f %10llu %10llu %12llu\n", r->name, r->s[0].adds,
	       tp, op, tp / op, (unsigned long long)r->s[0].grows[0],
	       (unsigned long long)r->s[0].grows[1], (unsigned long long)r->s[0].counted);
	return tp / op;
}

/* Alternate which side goes first, so neither always finds the caches warm. */
static enum impl first_side(int rep)
{
	return rep % 2 ? ONE_PASS : TWO_PASS;
}

/* ---- workload 1: boot-like ---- */

#define BOOT_NODES 4

struct boot_work {
	struct op *mem;
	size_t n_mem;
	struct op *res;
	size_t n_res;
};

/* A small reserve: 4 KiB .. 256 KiB, in pages. */
static uint64_t small_size(struct bench_rng *r)
{
	return bench_rng_range(r, 1, 64) * PAGE;
}

static void boot_generate(struct boot_work *w, size_t n_mem, size_t n_res)
{
	struct bench_rng r = bench_rng_xorshift64s(0x9e3779b97f4a7c15ull);
	struct op *sorted;
	uint64_t addr = 1 * MIB;

	w->n_mem = n_mem;
	w->n_res = n_res;
	w->mem = bench_calloc(n_mem, sizeof(*w->mem));
	w->res = bench_calloc(n_res, sizeof(*w->res));
	sorted = bench_calloc(n_mem, sizeof(*sorted));

	/*
	 * A firmware-style map: nodes own consecutive stretches, regions of
	 * 64 KiB .. 64 MiB separated by holes, a quarter of them touching the
	 * previous one (those merge when nid and flags agree), an eighth
	 * hotpluggable.
	 */
	for (size_t i = 0; i < n_mem; i++) {
		struct op *o = &sorted[i];

		if (bench_rng_range(&r, 0, 3))
			addr += bench_rng_range(&r, 1, 4096) * PAGE;
		o->type = MEMBLOCK_MEMORY;
		o->base = addr;
		o->size = bench_rng_range(&r, 16, 16384) * PAGE;
		o->nid = (int)(i * BOOT_NODES / n_mem);
		o->flags = bench_rng_range(&r, 0, 7) ? MEMBLOCK_NONE : MEMBLOCK_HOTPLUG;
		addr += o->size;
	}
	/* Added in random order, so inserts land all over the array rather than
	 * always at its end (the best case for a walk from index 0). */
	memcpy(w->mem, sorted, n_mem * sizeof(*sorted));
	shuffle_ops(&r, w->mem, n_mem);

	for (size_t j = 0; j < n_res; j++) {
		struct op *o = &w->res[j];
		const struct op *prev = j ? &w->res[j - 1] : NULL;
		const struct op *m = &sorted[bench_rng_range(&r, 0, n_mem - 1)];
		uint64_t pick = bench_rng_range(&r, 0, 99);

		o->type = MEMBLOCK_RESERVED;
		o->nid = NUMA_NO_NODE;
		o->size = small_size(&r);
		if (prev && pick < 20) {
			/* Touches the previous reserve: a merge. */
			o->base = prev->base + prev->size;
		} else if (prev && pick < 30) {
			/* Overlaps the previous reserve from inside it. */
			o->base = prev->base + bench_rng_range(&r, 0, prev->size / PAGE - 1) * PAGE;
		} else {
			o->base = m->base + bench_rng_range(&r, 0, m->size / PAGE - 1) * PAGE;
			/* Now and then a large one (initrd, crash kernel, ...) that
			 * swallows whatever small reserves lie under it. */
			if (pick >= 98)
				o->size = bench_rng_range(&r, 1024, 16384) * PAGE;
		}
	}
	free(sorted);
}

/*
 * Each repetition builds `instances` fresh maps (summing the times), so that
 * a small map still gives enough adds to time.
 */
static void run_boot(struct row *mem_row, struct row *res_row, int reps, size_t n_mem,
		     size_t n_res, size_t instances)
{
	struct boot_work w;

	boot_generate(&w, n_mem, n_res);
	for (int rep = 0; rep < reps; rep++) {
		struct sample *sm = &mem_row->s[rep], *sr = &res_row->s[rep];

		memset(sm, 0, sizeof(*sm));
		memset(sr, 0, sizeof(*sr));
		for (size_t i = 0; i < instances; i++) {
			struct pair p;

			pair_create(&p, START_CAP, START_CAP);
			for (int k = 0; k < 2; k++) {
				enum impl side = (enum impl)(first_side(rep) ^ k);

				sm->ns[side] += timed_apply(side, &p, w.mem, w.n_mem);
				sm->grows[side] += grows(side, &p, MEMBLOCK_MEMORY);
				sr->ns[side] += timed_apply(side, &p, w.res, w.n_res);
				sr->grows[side] += grows(side, &p, MEMBLOCK_RESERVED);
			}
			sm->adds += w.n_mem;
			sr->adds += w.n_res;
			sm->counted += counted(&p, MEMBLOCK_MEMORY);
			sr->counted += counted(&p, MEMBLOCK_RESERVED);
			pair_compare(&p, mem_row->name);
			pair_destroy(&p);
		}
	}
	free(w.mem);
	free(w.res);
}

/* ---- workload 2: adds that each cover many regions ---- */

#define OVL_REGIONS 2000
#define OVL_STRIDE (64 * KIB)
#define OVL_SPAN_MIN 64
#define OVL_SPAN_MAX 512

struct ovl_batch {
	struct op *ops;
	size_t n;
};

/*
 * The start state: region i lies at (i + 1) * 64 KiB, 8..48 KiB long, on
 * node i % 2, so every region is followed by a gap of at least 16 KiB.
 */
static struct op *ovl_start_state(void)
{
	struct bench_rng r = bench_rng_xorshift64s(0xd1b54a32d192ed03ull);
	struct op *ops = bench_calloc(OVL_REGIONS, sizeof(*ops));

	for (size_t i = 0; i < OVL_REGIONS; i++)
		ops[i] = (struct op){ MEMBLOCK_MEMORY, (i + 1) * OVL_STRIDE,
				      bench_rng_range(&r, 2, 12) * PAGE, (int)(i % 2),
				      MEMBLOCK_NONE };
	return ops;
}

/*
 * One batch: the regions are cut into consecutive spans of 64..512 and each
 * span gets one add, from inside its first region to inside its last, in
 * random order. The spans are disjoint, so every add finds all the gaps of
 * its span still open and fills each with a new piece; with nid 0 or 1 the
 * pieces also merge with the neighbours of that node, with nid 2 they do not.
 */
static void ovl_batch_generate(struct bench_rng *r, const struct op *start, struct ovl_batch *b)
{
	size_t first = 0;

	b->ops = bench_calloc(OVL_REGIONS / OVL_SPAN_MIN + 1, sizeof(*b->ops));
	b->n = 0;
	while (first < OVL_REGIONS) {
		size_t len = (size_t)bench_rng_range(r, OVL_SPAN_MIN, OVL_SPAN_MAX);
		size_t left = OVL_REGIONS - first;
		const struct op *lo, *hi;
		uint64_t base, end;

		/* Never leave a span too short to count: the tail joins this one. */
		if (len > left || left - len < OVL_SPAN_MIN)
			len = left;
		lo = &start[first];
		hi = &start[first + len - 1];
		base = lo->base + bench_rng_range(r, 0, lo->size / PAGE - 1) * PAGE;
		end = hi->base + bench_rng_range(r, 1, hi->size / PAGE) * PAGE;
		b->ops[b->n++] = (struct op){ MEMBLOCK_MEMORY, base, end - base,
					      (int)bench_rng_range(r, 0, 2), MEMBLOCK_NONE };
		first += len;
	}
	shuffle_ops(r, b->ops, b->n);
}

static void run_overlap(struct row *row, int reps, bool quick)
{
	struct bench_rng r = bench_rng_xorshift64s(0x94d049bb133111ebull);
	size_t n_batches = quick ? 3 : 30;
	struct ovl_batch *batches = bench_calloc(n_batches, sizeof(*batches));
	struct op *start = ovl_start_state();

	for (size_t b = 0; b < n_batches; b++)
		ovl_batch_generate(&r, start, &batches[b]);

	for (int rep = 0; rep < reps; rep++) {
		struct sample *s = &row->s[rep];

		memset(s, 0, sizeof(*s));
		/* A fresh start state per batch: after a batch no gaps are left. */
		for (size_t b = 0; b < n_batches; b++) {
			struct pair p;
			uint64_t c0;

			pair_create(&p, START_CAP, START_CAP);
			apply(TWO_PASS, &p, start, OVL_REGIONS);
			apply(ONE_PASS, &p, start, OVL_REGIONS);
			c0 = counted(&p, MEMBLOCK_MEMORY);
			for (int k = 0; k < 2; k++) {
				enum impl side = (enum impl)(first_side(rep) ^ k);
				uint64_t g0 = grows(side, &p, MEMBLOCK_MEMORY);

				s->ns[side] += timed_apply(side, &p, batches[b].ops, batches[b].n);
				s->grows[side] += grows(side, &p, MEMBLOCK_MEMORY) - g0;
			}
			s->adds += batches[b].n;
			s->counted += counted(&p, MEMBLOCK_MEMORY) - c0;
			pair_compare(&p, "overlap-heavy");
			pair_destroy(&p);
		}
	}
	for (size_t b = 0; b < n_batches; b++)
		free(batches[b].ops);
	free(batches);
	free(start);
}

/* ---- workload 3: an add into an array that is exactly full ---- */

#define FULL_STRIDE (64 * KIB)
/* Instances alive at once hold about this many regions per side, so the
 * heap stays inside the pre-faulted pool (see heap_prefault). */
#define FULL_CHUNK_REGIONS (64 * 1024)

/*
 * Region i lies at (i + 1) * 64 KiB and is 32 KiB long; the add for gap g
 * lies strictly inside the hole just below region g (g == n: above the last
 * region), so it is one new piece that merges with nothing.
 */
static void run_full(struct row *row, int reps, size_t n, size_t instances)
{
	struct bench_rng r = bench_rng_xorshift64s(0xbf58476d1ce4e5b9ull ^ n);
	size_t chunk = n < FULL_CHUNK_REGIONS ? FULL_CHUNK_REGIONS / n : 1;
	struct op *fill = bench_calloc(n, sizeof(*fill));
	struct memblock_region *regions = bench_calloc(n, sizeof(*regions));
	struct op *adds = bench_calloc(instances, sizeof(*adds));
	struct pair *pairs = bench_calloc(chunk, sizeof(*pairs));

	for (size_t i = 0; i < n; i++) {
		fill[i] = (struct op){ MEMBLOCK_MEMORY, (i + 1) * FULL_STRIDE, 32 * KIB,
				       (int)(i % 2), MEMBLOCK_NONE };
		regions[i] = (struct memblock_region){ fill[i].base, fill[i].size,
						       fill[i].flags, fill[i].nid };
	}
	for (size_t k = 0; k < instances; k++) {
		uint64_t g = bench_rng_range(&r, 0, n);

		adds[k] = (struct op){ MEMBLOCK_MEMORY, g * FULL_STRIDE + 36 * KIB, 24 * KIB,
				       (int)bench_rng_range(&r, 0, 1), MEMBLOCK_NONE };
	}

	for (int rep = 0; rep < reps; rep++) {
		struct sample *s = &row->s[rep];

		memset(s, 0, sizeof(*s));
		for (size_t done = 0; done < instances; done += chunk) {
			size_t m = instances - done < chunk ? instances - done : chunk;
			const struct op *add = &adds[done];

			/*
			 * Fill (the reserved type is not used here: keep it tiny).
			 * One-pass through its API, ascending, which is cheap for
			 * it; two-pass by loading the same list, because the
			 * kernel's walk makes an ascending fill O(n^2) and that
			 * would be most of the run. The first add is compared
			 * against the other side like every other.
			 */
			for (size_t k = 0; k < m; k++) {
				struct pair *p = &pairs[k];

				pair_create(p, n, 1);
				apply(ONE_PASS, p, fill, n);
				if (tp_load(&p->tp, MEMBLOCK_MEMORY, regions, n))
					bench_die("%s: two-pass load failed", row->name);
				if (p->tp.type[MEMBLOCK_MEMORY].cnt != n ||
				    p->tp.type[MEMBLOCK_MEMORY].max != n ||
				    memblock_region_count(p->lib, MEMBLOCK_MEMORY) != n ||
				    grows(TWO_PASS, p, MEMBLOCK_MEMORY) ||
				    grows(ONE_PASS, p, MEMBLOCK_MEMORY))
					bench_die("%s: the fill did not leave the array "
						  "exactly full", row->name);
				/* Report only the measured add's counting pass. */
				s->counted -= counted(p, MEMBLOCK_MEMORY);
			}
			/* The chunk's adds of one side in a row under one timer
			 * pair, so the clock's own cost does not blur adds this
			 * short. */
			for (int k = 0; k < 2; k++) {
				enum impl side = (enum impl)(first_side(rep) ^ k);
				uint64_t t0 = bench_now_ns();

				for (size_t i = 0; i < m; i++)
					apply(side, &pairs[i], &add[i], 1);
				s->ns[side] += bench_now_ns() - t0;
				for (size_t i = 0; i < m; i++)
					s->grows[side] += grows(side, &pairs[i], MEMBLOCK_MEMORY);
			}
			for (size_t k = 0; k < m; k++) {
				s->counted += counted(&pairs[k], MEMBLOCK_MEMORY);
				pair_compare(&pairs[k], row->name);
				pair_destroy(&pairs[k]);
			}
		}
		s->adds = instances;
	}
	free(pairs);
	free(adds);
	free(regions);
	free(fill);
}

/* ---- main ---- */

/*
 * The kernel grows memblock arrays into memory that is already mapped. A
 * fresh host allocation is not: its first touch costs a page fault per 4 KiB,
 * which costs more than the array copy being measured and would drown the
 * difference between the two inserts ("full array" ran 6-8x slower).
 * So keep freed memory in the heap, serve large blocks from it instead of
 * fresh mmaps, and fault a pool in once up front; both sides then allocate
 * memory that is already there. Returns whether that could be arranged.
 */
static bool heap_prefault(void)
{
#ifdef __GLIBC__
	enum { POOL = 30 << 20 }; /* well above the peak heap use */
	volatile char *p;

	/* 32 MiB is the largest mmap threshold glibc accepts. */
	if (!mallopt(M_MMAP_THRESHOLD, 32 << 20) || !mallopt(M_TRIM_THRESHOLD, INT_MAX))
		return false;
	p = malloc(POOL);
	if (!p)
		return false;
	/* Volatile stores: a plain memset of memory freed right after may be
	 * optimised away together with the malloc. */
	for (size_t i = 0; i < POOL; i += 4096)
		p[i] = 1;
	free((void *)p);
	return true;
#else
	return false;
#endif
}

static _Noreturn void usage(void)
{
	fputs("usage: bench_memblock [--quick] [--reps N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const size_t full_n[] = { 128, 1024, 8192 };
	static const size_t full_instances[] = { 8192, 2048, 512 };
	static char full_names[3][32];
	static struct row rows[8];
	double ratio[sizeof(rows) / sizeof(rows[0])];
	bool quick, prefaulted;
	int reps;
	size_t nrows = 0;

	bench_args(argc, argv, &quick, &reps, usage);

	prefaulted = heap_prefault();
	/* A small machine: everything fits in the first 128 slots, so two-pass
	 * never counts. Already tiny, so --quick only runs fewer of them. */
	rows[0].name = "small boot: memory";
	rows[1].name = "small boot: reserve";
	run_boot(&rows[0], &rows[1], reps, 40, 60, quick ? 20 : 200);
	rows[2].name = "boot: memory";
	rows[3].name = "boot: reserve";
	run_boot(&rows[2], &rows[3], reps, quick ? 40 : 400, quick ? 500 : 5000, quick ? 1 : 4);
	rows[4].name = "overlap-heavy";
	run_overlap(&rows[4], reps, quick);
	nrows = 5;
	for (size_t i = 0; i < 3; i++, nrows++) {
		size_t inst = quick ? (full_instances[i] + 9) / 10 : full_instances[i];

		snprintf(full_names[i], sizeof(full_names[i]), "full array N=%zu", full_n[i]);
		rows[nrows].name = full_names[i];
		run_full(&rows[nrows], reps, full_n[i], inst);
	}

	printf("memblock add: kernel two-pass vs mmstack one-pass, median of %d run%s%s%s\n",
	       reps, reps == 1 ? "" : "s", quick ? ", --quick" : "",
	       prefaulted ? ", heap pre-faulted" : ", heap NOT pre-faulted (page faults included)");
	printf("ratio = two-pass / one-pass (> 1: one-pass faster); grows = array doublings,\n"
	       "counted = adds where two-pass ran its counting pass, both in the timed adds "
	       "of one run\n\n");
	printf("%-22s %8s %16s %16s %6s %10s %10s %12s\n", "workload", "adds/run",
	       "two-pass ns/add", "one-pass ns/add", "ratio", "grows(2p)", "grows(1p)",
	       "counted(2p)");
	for (size_t i = 0; i < nrows; i++)
		ratio[i] = print_row(&rows[i], reps);
	printf("\n");
	for (size_t i = 0; i < nrows; i++)
		bench_summary(rows[i].name, ratio[i], NULL);
	return 0;
}
