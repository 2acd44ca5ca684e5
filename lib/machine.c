/* SPDX-License-Identifier: MIT */
/*
 * machine.c - boot the stack from a memory map (see machine.h).
 */
#include "machine.h"

struct mm_machine {
	struct memblock *mb;
	struct buddy *buddy;
	struct vmap *vmap;
	struct vmalloc *vmalloc;
	struct percpu *percpu;
	struct kho *kho;
	uint64_t page_size;
	struct mm_meta *meta;
};

void mm_machine_default_config(struct mm_machine_config *cfg)
{
	if (!cfg)
		return;
	*cfg = (struct mm_machine_config){ 0 };
	cfg->page_size = 4096;
	cfg->nr_cpus = 1;
	cfg->max_order = BUDDY_DEFAULT_MAX_ORDER;
	cfg->section_shift = BUDDY_DEFAULT_SECTION_SHIFT;
	cfg->pcp_high = 64;
	cfg->pcp_batch = 16;
	cfg->lazy_max_pages = 32;
}

/* The whole pages of [base, end): [*first, *last) in pfns; false if none. */
static bool whole_pages(uint64_t base, uint64_t end, uint64_t page, uint64_t *first,
			uint64_t *last)
{
	uint64_t b;

	if (!mm_round_up(base, page, &b))
		return false;
	*first = b / page;
	*last = mm_round_down(end, page) / page;
	return *first < *last;
}

/* A memblock with cfg's memory (or, with none, like's) and reserved ranges. */
static int boot_memblock(struct memblock **mb, const struct mm_machine_config *cfg,
			 const struct memblock *like)
{
	struct memblock_config mc = { .memory_cap = 128, .reserved_cap = 128, .meta = cfg->meta };
	int err = memblock_create(mb, &mc);

	for (size_t i = 0; !err && i < cfg->nr_memory; i++) {
		const struct mm_range *r = &cfg->memory[i];

		if (r->nid < 0 || r->nid >= BUDDY_MAX_NODES)
			return -MM_EINVAL;
		err = memblock_add_node(*mb, r->base, r->size, r->nid, MEMBLOCK_NONE);
	}
	/* No ranges given: like's memory, region by region. */
	for (size_t i = 0; !err && like && !cfg->nr_memory &&
			   i < memblock_region_count(like, MEMBLOCK_MEMORY); i++) {
		const struct memblock_region *r = memblock_region(like, MEMBLOCK_MEMORY, i);

		err = memblock_add_node(*mb, r->base, r->size, r->nid, r->flags);
	}
	for (size_t i = 0; !err && i < cfg->nr_reserved; i++)
		err = memblock_reserve(*mb, cfg->reserved[i].base, cfg->reserved[i].size);
	return err;
}

/* The pfn span of memblock's memory: [*first, *last). */
static int memory_span(const struct memblock *mb, uint64_t page, uint64_t *first,
		       uint64_t *last)
{
	if (!memblock_region_count(mb, MEMBLOCK_MEMORY) ||
	    !whole_pages(mm_round_down(memblock_start_of_DRAM(mb), page),
			 memblock_end_of_DRAM(mb), page, first, last))
		return -MM_EINVAL;
	/* A partial last page still belongs to the span, as a hole. */
	if (memblock_end_of_DRAM(mb) % page)
		(*last)++;
	return 0;
}

static int boot_buddy(struct mm_machine *m, const struct mm_machine_config *cfg)
{
	uint64_t page = m->page_size, first, last, it = 0, s, e;
	struct buddy_config bc;
	unsigned nodes = 1;
	int nid, err;

	if (memory_span(m->mb, page, &first, &last))
		return -MM_EINVAL;
	for (size_t i = 0; i < memblock_region_count(m->mb, MEMBLOCK_MEMORY); i++) {
		nid = memblock_region(m->mb, MEMBLOCK_MEMORY, i)->nid;
		if (nid >= (int)nodes)
			nodes = (unsigned)nid + 1;
	}
	buddy_default_config(&bc, first, last);
	bc.max_order = cfg->max_order;
	bc.section_shift = cfg->section_shift ? cfg->section_shift : BUDDY_DEFAULT_SECTION_SHIFT;
	bc.nr_nodes = nodes;
	bc.nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : 1;
	bc.cpu_node = cfg->cpu_node;
	bc.pcp_high = cfg->pcp_high;
	bc.pcp_batch = cfg->pcp_batch;
	bc.page_size = cfg->backing ? page : 0;
	bc.meta = cfg->meta;
	err = buddy_create(&m->buddy, &bc);
	for (size_t i = 0; !err && i < memblock_region_count(m->mb, MEMBLOCK_MEMORY); i++) {
		const struct memblock_region *r = memblock_region(m->mb, MEMBLOCK_MEMORY, i);

		if (whole_pages(r->base, r->base + r->size, page, &s, &e))
			err = buddy_add_memory(m->buddy, s, e - s, r->nid < 0 ? 0 : r->nid);
	}
	while (!err && memblock_next_free_range(m->mb, NUMA_NO_NODE, &it, &s, &e, &nid))
		if (whole_pages(s, e, page, &first, &last))
			err = buddy_free_boot_range(m->buddy, first, last - first);
	return err;
}

static int boot_vmalloc(struct mm_machine *m, const struct mm_machine_config *cfg)
{
	struct vmap_config vc = { 0 };
	int err;

	if (!cfg->vmalloc_size)
		return 0;
	vc.vstart = cfg->vmalloc_start;
	if (!mm_add_ok(cfg->vmalloc_start, cfg->vmalloc_size, &vc.vend))
		return -MM_EINVAL;
	vc.page_size = m->page_size;
	vc.lazy_max_pages = cfg->lazy_max_pages;
	vc.meta = cfg->meta;
	err = vmap_create(&m->vmap, &vc);
	return err ? err : vmalloc_create(&m->vmalloc, m->vmap, m->buddy, cfg->meta);
}

static int boot_percpu(struct mm_machine *m, const struct mm_machine_config *cfg)
{
	struct percpu_config pc = { 0 };

	if (!cfg->percpu)
		return 0;
	if (!m->vmalloc)
		return -MM_EINVAL;
	pc.nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : 1;
	pc.cpu_node = cfg->cpu_node;
	pc.unit_pages = cfg->percpu_unit_pages;
	pc.policy = cfg->percpu_policy;
	pc.meta = cfg->meta;
	return percpu_create(&m->percpu, m->vmalloc, m->buddy, &pc);
}

/* kho over the span, up to the last page whose bytes are addressable. */
static int boot_kho(struct mm_machine *m, const struct mm_machine_config *cfg)
{
	struct kho_config kc;
	uint64_t first, last, top = MM_ADDR_MAX / m->page_size;

	if (memory_span(m->mb, m->page_size, &first, &last))
		return -MM_EINVAL;
	if (first >= mm_min(last, top))
		return 0;
	kho_default_config(&kc, first, mm_min(last, top));
	kc.max_order = cfg->max_order;
	kc.page_size = m->page_size;
	kc.meta = cfg->meta;
	return kho_create(&m->kho, &kc);
}

/* The layers above memblock, in boot order. */
static int boot_layers(struct mm_machine *m, const struct mm_machine_config *cfg)
{
	int err = boot_kho(m, cfg);

	if (!err)
		err = boot_buddy(m, cfg);
	if (!err)
		err = boot_vmalloc(m, cfg);
	if (!err)
		err = boot_percpu(m, cfg);
	return err;
}

static struct mm_machine *machine_new(const struct mm_machine_config *cfg, uint64_t page)
{
	struct mm_machine *m = mm_meta_alloc(cfg->meta, sizeof(*m));

	if (m) {
		*m = (struct mm_machine){ 0 };
		m->meta = cfg->meta;
		m->page_size = page;
	}
	return m;
}

static bool cfg_ok(const struct mm_machine_config *cfg)
{
	return cfg && (!cfg->page_size || mm_is_pow2(cfg->page_size));
}

/* cfg's memory and reserved lists: NULL only with a count of 0. */
static bool lists_ok(const struct mm_machine_config *cfg)
{
	return (cfg->memory || !cfg->nr_memory) && (cfg->reserved || !cfg->nr_reserved);
}

int mm_machine_boot(struct mm_machine **out, const struct mm_machine_config *cfg)
{
	struct memblock *mb = NULL;
	int err;

	if (!out || !cfg_ok(cfg) || !lists_ok(cfg))
		return -MM_EINVAL;
	err = boot_memblock(&mb, cfg, NULL);
	if (!err)
		err = mm_machine_boot_memblock(out, cfg, mb);
	if (err)
		memblock_destroy(mb);
	return err;
}

int mm_machine_boot_memblock(struct mm_machine **out, const struct mm_machine_config *cfg,
			     struct memblock *mb)
{
	struct mm_machine *m;
	int err;

	if (!out || !cfg_ok(cfg) || !mb)
		return -MM_EINVAL;
	m = machine_new(cfg, cfg->page_size ? cfg->page_size : 4096);
	if (!m)
		return -MM_ENOMEM;
	m->mb = mb; /* the layers only read it */
	err = boot_layers(m, cfg);
	if (err) {
		m->mb = NULL; /* still the caller's */
		mm_machine_destroy(m);
		return err;
	}
	*out = m;
	return 0;
}

void mm_machine_destroy(struct mm_machine *m)
{
	if (!m)
		return;
	percpu_destroy(m->percpu); /* gives its pages and areas back */
	vmalloc_destroy(m->vmalloc); /* gives its pages back to buddy */
	vmap_destroy(m->vmap);
	kho_destroy(m->kho);
	buddy_destroy(m->buddy);
	memblock_destroy(m->mb);
	mm_meta_free(m->meta, m, sizeof(*m));
}

struct memblock *mm_machine_memblock(const struct mm_machine *m)
{
	return m->mb;
}

struct buddy *mm_machine_buddy(const struct mm_machine *m)
{
	return m->buddy;
}

struct vmap *mm_machine_vmap(const struct mm_machine *m)
{
	return m->vmap;
}

struct vmalloc *mm_machine_vmalloc(const struct mm_machine *m)
{
	return m->vmalloc;
}

struct percpu *mm_machine_percpu(const struct mm_machine *m)
{
	return m->percpu;
}

struct kho *mm_machine_kho(const struct mm_machine *m)
{
	return m->kho;
}

uint64_t mm_machine_page_size(const struct mm_machine *m)
{
	return m->page_size;
}

const char *mm_machine_check(const struct mm_machine *m)
{
	const char *e = memblock_check(m->mb);

	if (!e)
		e = buddy_check(m->buddy);
	if (!e && m->vmap)
		e = vmap_check(m->vmap);
	if (!e && m->vmalloc)
		e = vmalloc_check(m->vmalloc);
	if (!e && m->percpu)
		e = percpu_check(m->percpu);
	if (!e && m->kho)
		e = kho_check(m->kho);
	return e;
}

/* ---- kexec ---- */

/* The two memblocks hold the same memory regions. */
static bool same_memory(const struct memblock *a, const struct memblock *b)
{
	size_t n = memblock_region_count(a, MEMBLOCK_MEMORY);

	if (n != memblock_region_count(b, MEMBLOCK_MEMORY))
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct memblock_region *x = memblock_region(a, MEMBLOCK_MEMORY, i);
		const struct memblock_region *y = memblock_region(b, MEMBLOCK_MEMORY, i);

		if (x->base != y->base || x->size != y->size || x->nid != y->nid ||
		    x->flags != y->flags)
			return false;
	}
	return true;
}

int mm_machine_kexec(struct mm_machine **out, const struct mm_machine_config *cfg,
		     struct mm_machine *old, const void *blob, size_t len, int *kho_rc)
{
	struct mm_machine_config c;
	struct mm_machine *m;
	void *mem;
	int err, rc = 0;

	if (!out || !cfg_ok(cfg) || !lists_ok(cfg) || !old || !kho_rc || (!blob && len))
		return -MM_EINVAL;
	if ((cfg->page_size ? cfg->page_size : 4096) != old->page_size ||
	    cfg->backing != (buddy_page_ptr(old->buddy, buddy_start_pfn(old->buddy)) != NULL))
		return -MM_EINVAL;
	m = machine_new(cfg, old->page_size);
	if (!m)
		return -MM_ENOMEM;
	err = boot_memblock(&m->mb, cfg, old->mb);
	if (!err && !same_memory(m->mb, old->mb))
		err = -MM_EINVAL;
	if (!err)
		err = boot_kho(m, cfg);
	/* Before buddy: what the blob preserves must never reach it. A blob
	 * refused is the next kernel booting without a handover. */
	if (!err && blob)
		rc = m->kho ? kho_restore(m->kho, blob, len, m->mb) : -MM_EINVAL;
	if (rc == -MM_ENOMEM)
		err = rc;
	/* Buddy without backing of its own: it takes over the old bytes last,
	 * once nothing can fail. */
	c = *cfg;
	c.backing = false;
	if (!err)
		err = boot_buddy(m, &c);
	if (!err)
		err = boot_vmalloc(m, cfg);
	if (!err)
		err = boot_percpu(m, cfg);
	if (err) {
		mm_machine_destroy(m);
		return err;
	}
	mem = buddy_release_backing(old->buddy);
	if (mem && buddy_adopt_backing(m->buddy, mem, m->page_size)) {
		/* Not reached: the spans and page sizes are the same. */
		buddy_adopt_backing(old->buddy, mem, old->page_size);
		mm_machine_destroy(m);
		return -MM_EINVAL;
	}
	mm_machine_destroy(old);
	*out = m;
	*kho_rc = rc;
	return 0;
}
