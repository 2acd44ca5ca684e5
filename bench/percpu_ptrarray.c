/* SPDX-License-Identifier: MIT */
/* bench/percpu_ptrarray.c - the old per-CPU scheme (see percpu_ptrarray.h). */
#include "percpu_ptrarray.h"

#include <stdlib.h>
#include <string.h>

#include "bench.h"

void pa_init(struct pa *pa, unsigned nr_cpus)
{
	if (!nr_cpus || nr_cpus > PA_NR_CPUS)
		bench_die("pa_init: %u cpus", nr_cpus);
	memset(pa, 0, sizeof(*pa));
	pa->nr_cpus = nr_cpus;
}

uint64_t pa_kmalloc_size(uint64_t size)
{
	uint64_t c = 8;

	/* kmalloc's caches: powers of two from 8, and 96 and 192. */
	if (size > 64 && size <= 96)
		return 96;
	if (size > 128 && size <= 192)
		return 192;
	while (c < size)
		c <<= 1;
	return c;
}

/* A copy has to honour align: kmalloc aligns a power-of-two class to its
 * size, so the class of max(size, align) does. */
static uint64_t copy_bytes(size_t size, size_t align)
{
	return pa_kmalloc_size(size > align ? size : align);
}

struct pa_obj *pa_alloc(struct pa *pa, size_t size, size_t align)
{
	struct pa_obj *o = bench_calloc(1, sizeof(*o));

	for (unsigned cpu = 0; cpu < pa->nr_cpus; cpu++) {
		size_t a = align < sizeof(void *) ? sizeof(void *) : align;
		void *p = aligned_alloc(a, (size + a - 1) / a * a);

		if (!p)
			bench_die("pa_alloc: out of host memory");
		memset(p, 0, size);
		o->ptrs[cpu] = p;
		pa->kmalloc_bytes += copy_bytes(size, align);
	}
	pa->kmalloc_bytes += pa_kmalloc_size(sizeof(*o));
	pa->objects++;
	return o;
}

void pa_free(struct pa *pa, struct pa_obj *o, size_t size, size_t align)
{
	for (unsigned cpu = 0; cpu < pa->nr_cpus; cpu++) {
		free(o->ptrs[cpu]);
		pa->kmalloc_bytes -= copy_bytes(size, align);
	}
	pa->kmalloc_bytes -= pa_kmalloc_size(sizeof(*o));
	pa->objects--;
	free(o);
}
