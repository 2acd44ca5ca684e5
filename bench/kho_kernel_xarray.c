/* SPDX-License-Identifier: MIT */
/*
 * kho_kernel_xarray.c - kxa_kernel_store (kho_store.h): the xarray-like
 * baseline's bitmaps kept in the kernel's own lib/xarray.c, built only with
 * -Dkernel_src=DIR. This file is compiled against DIR's userspace stubs
 * (tools/testing/shared, tools/include: what tools/testing/radix-tree
 * builds with) and includes DIR/lib/xarray.c itself; nothing of the kernel
 * tree is in this repository.
 *
 * The shape is the first kernel KHO's: an xarray of orders whose entries
 * are per-order structures, each an xarray of 512-byte bitmaps keyed by
 * (pfn >> order) >> 12, a bitmap taken with a zeroed allocation and put in
 * place with xa_cmpxchg. XA_CHUNK_SHIFT is 6 (64 slots), the kernel's
 * default, not the radix-tree tests' 3; XA_DEBUG is off, as in a
 * production kernel.
 *
 * The stub slab of tools/testing fails every GFP_NOWAIT allocation unless
 * told how many to let through; xarray.c takes its nodes with GFP_NOWAIT
 * first, which "will usually succeed" in a kernel, and the stores let them
 * (as the maple tree tests' mt_set_non_kernel does), so that a node costs
 * one walk, not a failed one and a retry.
 *
 * Memory: xa_node allocations come from the tree's one slab cache
 * (radix_tree_node_cachep); a store counts the nodes its own calls took
 * (the cache's count before and after each), and waits for the RCU frees
 * of a destroyed store (rcu_barrier) so that no other store's frees land
 * inside its calls. Nodes are counted at sizeof(struct xa_node), 576 bytes.
 */
#include "shared.h"

#include "lib/xarray.c"

#include "kho_store.h"

#include <stdlib.h>

/* tools/testing/shared/linux.c's: a cache's count of live objects, and how
 * many allocations without __GFP_DIRECT_RECLAIM it lets succeed. */
unsigned long kmem_cache_nr_allocated(struct kmem_cache *cachep);
void kmem_cache_set_non_kernel(struct kmem_cache *cachep, unsigned int val);
/* radix-tree.c's, which sets up the node cache xarray.c allocates from. */
void radix_tree_init(void);
/* The setup every kernel-backed store needs once: this thread known to
 * RCU, the node cache. Also called by kho_kernel_maple.c. */
void kho_kernel_init(void);

void kho_kernel_init(void)
{
	static bool done;

	if (done)
		return;
	rcu_register_thread();
	radix_tree_init();
	done = true;
}

struct kx_order {
	struct xarray bits; /* index -> 512-byte bitmap */
};

struct kx {
	struct xarray orders; /* order -> struct kx_order */
	long nodes;           /* xa_nodes taken by this store's calls */
	uint64_t orders_made, bitmaps;
};

static long nodes_now(void)
{
	return (long)kmem_cache_nr_allocated(radix_tree_node_cachep);
}

static int kx_create(void **out)
{
	struct kx *x;

	kho_kernel_init();
	kmem_cache_set_non_kernel(radix_tree_node_cachep, UINT_MAX);
	x = calloc(1, sizeof(*x));
	if (!x)
		return -KHO_STORE_ENOMEM;
	xa_init(&x->orders);
	*out = x;
	return 0;
}

static void kx_destroy(void *s)
{
	struct kx *x = s;
	struct kx_order *o;
	unsigned long order, i;
	void *bits;

	xa_for_each(&x->orders, order, o) {
		xa_for_each(&o->bits, i, bits)
			free(bits);
		xa_destroy(&o->bits);
		free(o);
	}
	xa_destroy(&x->orders);
	free(x);
	rcu_barrier();
}

static uint64_t *kx_load(void *s, unsigned order, uint64_t index)
{
	struct kx_order *o = xa_load(&((struct kx *)s)->orders, order);

	return o ? xa_load(&o->bits, (unsigned long)index) : NULL;
}

/* xa_load, and on a miss a zeroed allocation of size put in with
 * xa_cmpxchg, as the kernel's KHO does. */
static void *load_or_make(struct kx *x, struct xarray *xa, unsigned long index, size_t size,
			  bool *made)
{
	void *p = xa_load(xa, index), *old;
	long before;

	*made = false;
	if (p)
		return p;
	p = calloc(1, size);
	if (!p)
		return NULL;
	before = nodes_now();
	old = xa_cmpxchg(xa, index, NULL, p, GFP_KERNEL);
	x->nodes += nodes_now() - before;
	if (xa_is_err(old) || old) { /* single-threaded: only an error */
		free(p);
		return xa_is_err(old) ? NULL : old;
	}
	*made = true;
	return p;
}

static uint64_t *kx_make(void *s, unsigned order, uint64_t index)
{
	struct kx *x = s;
	struct kx_order *o;
	uint64_t *bits;
	bool made;

	o = load_or_make(x, &x->orders, order, sizeof(*o), &made);
	if (!o)
		return NULL;
	if (made) {
		xa_init(&o->bits);
		x->orders_made++;
	}
	bits = load_or_make(x, &o->bits, (unsigned long)index, KHO_CHUNK_WORDS * 8, &made);
	x->bitmaps += made;
	return bits;
}

static void kx_each(void *s, unsigned order,
		    void (*fn)(void *ctx, uint64_t index, const uint64_t *bits), void *ctx)
{
	struct kx_order *o = xa_load(&((struct kx *)s)->orders, order);
	unsigned long index;
	uint64_t *bits;

	if (!o)
		return;
	xa_for_each(&o->bits, index, bits)
		fn(ctx, index, bits);
}

static uint64_t kx_bytes(const void *s)
{
	const struct kx *x = s;

	return sizeof(*x) + (uint64_t)x->nodes * sizeof(struct xa_node) +
	       x->orders_made * sizeof(struct kx_order) + x->bitmaps * KHO_CHUNK_WORDS * 8;
}

const struct kxa_store kxa_kernel_store = {
	"kernel xarray", kx_create, kx_destroy, kx_load, kx_make, kx_each, kx_bytes,
};
