/* SPDX-License-Identifier: MIT */
/*
 * kho_kernel_maple.c - kmr_kernel_store (kho_store.h): the maple-like
 * baseline's ranges kept in the kernel's own lib/maple_tree.c, built only
 * with -Dkernel_src=DIR, against DIR's userspace stubs as
 * kho_kernel_xarray.c is (the maple tree's own debug checks off, as in a
 * production kernel).
 *
 * A range [start, end) of one order is the maple tree entry
 * xa_mk_value(order) over [start, end - 1], as the maple-tree proposal for
 * KHO keeps them. Adding one with merge looks up the entries just below
 * and just above it and, when they hold the same order, stores the union
 * over them: the tree itself joins the slots. The tree is not in RCU mode,
 * so the nodes a store replaces go back to the cache within the call.
 *
 * Memory: maple nodes (256 bytes) come from the tree's slab cache; a
 * store counts what its own calls took, as kho_kernel_xarray.c does.
 *
 * Time: the cache is tools/testing/shared/linux.c's, which takes each node
 * of an aligned cache (the maple tree's is) with posix_memalign and gives
 * back each unused preallocated one with free: about 45% of this store's
 * instructions on bench_kho's workloads (callgrind), more than a kernel's
 * slab would cost. Its times are an upper bound.
 */
#include "shared.h"
#include <stdlib.h>
#include <time.h>
#include "linux/init.h"

#include "lib/maple_tree.c"

#include "kho_store.h"

/* tools/testing/shared/linux.c's, as in kho_kernel_xarray.c. */
unsigned long kmem_cache_nr_allocated(struct kmem_cache *cachep);
void kmem_cache_set_non_kernel(struct kmem_cache *cachep, unsigned int val);
void kho_kernel_init(void); /* kho_kernel_xarray.c */

struct km {
	struct maple_tree mt;
	long nodes; /* maple nodes taken by this store's calls */
	uint64_t n; /* ranges */
};

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	kho_kernel_init();
	maple_tree_init();
	done = true;
}

static long nodes_now(void)
{
	return (long)kmem_cache_nr_allocated(maple_node_cache);
}

static int km_create(void **out)
{
	struct km *t;

	init_once();
	kmem_cache_set_non_kernel(maple_node_cache, UINT_MAX); /* GFP_NOWAIT succeeds */
	t = calloc(1, sizeof(*t));
	if (!t)
		return -KHO_STORE_ENOMEM;
	mt_init_flags(&t->mt, 0);
	*out = t;
	return 0;
}

static void km_destroy(void *s)
{
	struct km *t = s;

	mtree_destroy(&t->mt);
	free(t);
	rcu_barrier();
}

static bool km_overlaps(void *s, uint64_t start, uint64_t end)
{
	unsigned long index = (unsigned long)start;

	return mt_find(&((struct km *)s)->mt, &index, (unsigned long)end - 1) != NULL;
}

static int km_add(void *s, uint64_t start, uint64_t end, unsigned order, bool merge)
{
	struct km *t = s;
	unsigned long lo = (unsigned long)start, hi = (unsigned long)end - 1;
	void *entry = xa_mk_value(order), *e;
	MA_STATE(mas, &t->mt, 0, 0);
	long before = nodes_now();
	uint64_t joined = 0;
	int err;

	mtree_lock(&t->mt);
	if (merge && start) {
		mas_set(&mas, lo - 1);
		e = mas_walk(&mas);
		if (e == entry) {
			lo = mas.index;
			joined++;
		}
	}
	if (merge && hi < ULONG_MAX) {
		mas_set(&mas, hi + 1);
		e = mas_walk(&mas);
		if (e == entry) {
			hi = mas.last;
			joined++;
		}
	}
	mas_set_range(&mas, lo, hi);
	err = mas_store_gfp(&mas, entry, GFP_KERNEL); /* the tree unchanged if it fails */
	mtree_unlock(&t->mt);
	t->nodes += nodes_now() - before;
	if (err)
		return -KHO_STORE_ENOMEM;
	t->n = t->n + 1 - joined;
	return 0;
}

static void km_each(void *s, void (*fn)(void *ctx, uint64_t start, uint64_t end, unsigned order),
		    void *ctx)
{
	MA_STATE(mas, &((struct km *)s)->mt, 0, 0);
	void *e;

	rcu_read_lock();
	mas_for_each(&mas, e, ULONG_MAX)
		fn(ctx, mas.index, (uint64_t)mas.last + 1, (unsigned)xa_to_value(e));
	rcu_read_unlock();
}

static uint64_t km_count(const void *s)
{
	return ((const struct km *)s)->n;
}

static uint64_t km_bytes(const void *s)
{
	const struct km *t = s;

	return sizeof(*t) + (uint64_t)t->nodes * sizeof(struct maple_node);
}

const struct kmr_store kmr_kernel_store = {
	"kernel maple", km_create, km_destroy, km_overlaps, km_add, km_each, km_count, km_bytes,
};
