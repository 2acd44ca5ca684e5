/* SPDX-License-Identifier: MIT */
/*
 * bench/percpu_ptrarray.h - the per-CPU scheme the dynamic allocator
 * replaced, kept as bench_percpu's baseline: every object is an array of
 * NR_CPUS pointers (the kernel's old struct percpu_data), and each possible
 * CPU's copy is allocated on its own, from the general allocator.
 *
 * The copies are real host memory (malloc), so that dereferences can be
 * timed; the memory the kernel would have spent is counted separately, in
 * kmalloc's size classes.
 */
#ifndef MMSTACK_BENCH_PERCPU_PTRARRAY_H
#define MMSTACK_BENCH_PERCPU_PTRARRAY_H

#include <stddef.h>
#include <stdint.h>

#define PA_NR_CPUS 64

struct pa_obj {
	void *ptrs[PA_NR_CPUS];
};

struct pa {
	unsigned nr_cpus;    /* possible CPUs: the copies made per object */
	uint64_t objects;
	uint64_t kmalloc_bytes; /* what the kernel's kmalloc would hold */
};

void pa_init(struct pa *pa, unsigned nr_cpus);
/* An object whose copies are zeroed and aligned to align (a power of two). */
struct pa_obj *pa_alloc(struct pa *pa, size_t size, size_t align);
void pa_free(struct pa *pa, struct pa_obj *o, size_t size, size_t align);

/* per_cpu_ptr of the old scheme: a load from the object's array. */
static inline void *pa_ptr(const struct pa_obj *o, unsigned cpu)
{
	return o->ptrs[cpu];
}

/* The kmalloc size class of a request (the smallest cache that holds it). */
uint64_t pa_kmalloc_size(uint64_t size);

#endif
