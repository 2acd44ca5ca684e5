/* SPDX-License-Identifier: MIT */
/*
 * percpu.c - the dynamic per-CPU allocator (see percpu.h for the contract).
 *
 * Each chunk keeps two bitmaps over one unit at a 4-byte granule: alloc_map
 * (the granule is allocated) and bound_map (an allocation starts here), so
 * a free finds its size without any record per object: the allocation
 * ends at the first free granule or the next start, whichever is first.
 *
 * The bitmap is cut into blocks of one page. Every block keeps hints about
 * its free space (the kernel's pcpu_block_md): the largest free run inside
 * it and where the lowest one starts (contig), the largest run that starts
 * before that one (scan), the free granules at its two edges (left, right),
 * its first free granule and how many are free. The hints are exact: an
 * allocation or a free rescans the (at most two) blocks it cuts and fills
 * the blocks it covers wholly, so no hint is ever stale. The chunk's own
 * hints (largest free run across blocks, first free granule) are rebuilt
 * from the blocks' in one pass over them.
 *
 * Chunks sit in slots by their largest free run (pcpu_chunk_slot). Two
 * placement policies share all of this:
 *
 *  - first fit (the kernel's): take the lowest slot that can serve the
 *    request and, in a chunk of it, the first fit. The search walks the
 *    blocks from the chunk's first free granule and looks inside a block
 *    only when its contig hint could hold the request, starting past its
 *    scan hint's region when that is too small: most allocations never
 *    scan more than the block they land in.
 *  - best fit (the default): every maximal free run of every chunk is a
 *    record in one red-black tree ordered by (length, address), and an
 *    allocation takes the smallest run that fits. Small holes left by
 *    frees are filled first and long runs stay whole: under random sizes
 *    and frees this holds utilization near 99% where first fit settles
 *    near 97% (bench/percpu). The bitmaps stay the ground truth: a free
 *    finds the runs on either side of it in the bitmap, the block hints
 *    letting it jump over whole blocks, and percpu_check compares the
 *    tree with the bitmaps run by run.
 *
 * A free must not fail, so it must not need a new run record: a chunk has
 * at most one free run more than it has allocations, and records (in the
 * tree or spare) are kept at least as many as allocations and chunks,
 * reserved before an allocation changes anything.
 */
#include "percpu.h"

#include <string.h>

#include "bitmap.h"
#include "rbtree.h"

#define GRANULE PCPU_MIN_ALLOC_SIZE
#define MAX_SLOTS 32

/* Hints of one block; offsets are relative to the block's first granule. */
struct pcpu_block {
	uint32_t contig, contig_start; /* largest free run, the lowest one */
	uint32_t scan, scan_start;     /* largest free run starting before it */
	uint32_t left, right;          /* free granules at the start / end */
	uint32_t first_free;           /* block_bits when the block is full */
	uint32_t nr_free;
};

/* Hints of a whole chunk, built from its blocks. */
struct pcpu_md {
	uint32_t contig, contig_start, first_free, nr_free;
};

/* A maximal free run of a chunk (best fit). */
struct pcpu_run {
	struct rb_node rb;           /* in percpu.runs by (len, chunk base, start) */
	struct pcpu_chunk *chunk;
	uint32_t start, len;         /* granules */
	struct pcpu_run *next_spare; /* on the spare list */
};

struct pcpu_chunk {
	struct rb_node rb;               /* by base */
	struct pcpu_chunk *prev, *next;  /* the list of its slot */
	unsigned slot;
	uint64_t base;                   /* unit 0's first byte */
	uint64_t *alloc_map, *bound_map; /* one bit per granule of a unit */
	uint64_t *populated;             /* one bit per page of a unit */
	struct pcpu_block *blocks;       /* one per page of a unit */
	struct pcpu_md md;
	uint32_t nr_allocs, nr_populated;
	/* The check's own record: stale once anything of the chunk changed
	 * since its last check (which then found chk_live allocated granules
	 * and chk_runs free runs); a clean chunk is not walked again. */
	bool stale;
	uint32_t chk_live, chk_runs;
};

struct percpu {
	struct vmalloc *v;
	struct buddy *b;
	struct mm_meta *meta;
	unsigned nr_cpus, nr_slots;
	int cpu_node[PERCPU_MAX_CPUS];
	uint64_t unit_offset[PERCPU_MAX_CPUS];
	uint64_t page, unit_pages, unit_bytes;
	uint32_t nbits, block_bits;      /* granules per unit / per page */
	enum percpu_policy policy;
	struct rb_root chunks;
	struct pcpu_chunk *slots[MAX_SLOTS];
	uint64_t nr_chunks, nr_empty;
	struct rb_root runs;             /* best fit: every free run */
	struct pcpu_run *spare;          /* records not in the tree */
	uint64_t nr_runs, nr_spare;
	uint64_t allocs, live_bits, populated_pages, off_node_pages;
};

static unsigned floor_log2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* ---- hints ---- */

/* The hints of block b, from the bitmap. */
static void block_scan(const struct percpu *pc, const struct pcpu_chunk *c, uint32_t b,
		       struct pcpu_block *out)
{
	uint32_t s = b * pc->block_bits, e = s + pc->block_bits, pos = s;
	struct pcpu_block k = { 0 };

	k.first_free = pc->block_bits;
	while (pos < e) {
		uint32_t f = (uint32_t)find_next_zero_bit(c->alloc_map, e, pos), end, len;

		if (f == e)
			break;
		end = (uint32_t)find_next_bit(c->alloc_map, e, f);
		len = end - f;
		k.nr_free += len;
		if (k.first_free == pc->block_bits)
			k.first_free = f - s;
		if (f == s)
			k.left = len;
		if (end == e)
			k.right = len;
		/* A longer run: every run so far starts before it, and the
		 * longest of them is the old contig (the lowest on a tie). */
		if (len > k.contig) {
			k.scan = k.contig;
			k.scan_start = k.contig_start;
			k.contig = len;
			k.contig_start = f - s;
		}
		pos = end;
	}
	*out = k;
}

/* A block wholly free or wholly allocated. */
static void block_fill(const struct percpu *pc, struct pcpu_block *k, bool free)
{
	uint32_t n = free ? pc->block_bits : 0;

	*k = (struct pcpu_block){ .contig = n, .left = n, .right = n, .nr_free = n,
				  .first_free = free ? 0 : pc->block_bits };
}

static void md_consider(struct pcpu_md *md, uint32_t start, uint32_t len)
{
	if (len > md->contig) {
		md->contig = len;
		md->contig_start = start;
	}
}

/* The chunk's hints, from its blocks' (runs are met in address order, so
 * a strictly longer one is the only one that replaces the best). */
static void chunk_md_scan(const struct percpu *pc, const struct pcpu_chunk *c,
			  struct pcpu_md *md)
{
	uint32_t bb = pc->block_bits, run = 0, run_start = 0;

	*md = (struct pcpu_md){ .first_free = pc->nbits };
	for (uint32_t b = 0; b < pc->unit_pages; b++) {
		const struct pcpu_block *k = &c->blocks[b];
		uint32_t bs = b * bb;

		md->nr_free += k->nr_free;
		if (md->first_free == pc->nbits && k->first_free < bb)
			md->first_free = bs + k->first_free;
		if (k->nr_free == bb) { /* the open run goes on through it */
			if (!run)
				run_start = bs;
			run += bb;
			continue;
		}
		if (run || k->left)
			md_consider(md, run ? run_start : bs, run + k->left);
		if (k->contig)
			md_consider(md, bs + k->contig_start, k->contig);
		run = k->right;
		run_start = bs + bb - k->right;
	}
	if (run)
		md_consider(md, run_start, run);
}

/* After [off, off + n) was allocated (free false) or freed: the blocks it
 * cuts are rescanned, the ones it covers wholly filled, the chunk's hints
 * rebuilt. */
static void update_hints(const struct percpu *pc, struct pcpu_chunk *c, uint32_t off, uint32_t n,
			 bool free)
{
	uint32_t b0 = off / pc->block_bits, b1 = (off + n - 1) / pc->block_bits;

	block_scan(pc, c, b0, &c->blocks[b0]);
	for (uint32_t b = b0 + 1; b < b1; b++)
		block_fill(pc, &c->blocks[b], free);
	if (b1 != b0)
		block_scan(pc, c, b1, &c->blocks[b1]);
	chunk_md_scan(pc, c, &c->md);
}

/* Whether an aligned run of bits fits in the free run [s, e); *at its start. */
static bool fits(uint32_t s, uint32_t e, uint32_t bits, uint32_t align, uint32_t *at)
{
	uint32_t a = (s + align - 1) & ~(align - 1);

	if (a < s || a >= e || e - a < bits)
		return false;
	*at = a;
	return true;
}

/*
 * The lowest offset of an aligned free run of bits in c, or -1. Free runs
 * are met in address order: one still open from earlier blocks closes at a
 * block's left edge; the runs inside a block are looked at only when its
 * contig hint can hold the request (from its contig run on when the scan
 * hint says nothing before that is long enough); a run at a block's right
 * edge stays open into the next block.
 */
static int64_t find_fit(const struct percpu *pc, const struct pcpu_chunk *c, uint32_t bits,
			uint32_t align)
{
	uint32_t bb = pc->block_bits, open_start = 0, at;
	bool open = false;

	if (c->md.contig < bits)
		return -1;
	for (uint32_t b = c->md.first_free / bb; b < pc->unit_pages; b++) {
		const struct pcpu_block *k = &c->blocks[b];
		uint32_t bs = b * bb, p = bs;

		if (k->nr_free == bb) {
			if (!open)
				open_start = bs;
			open = true;
			continue;
		}
		if (open) {
			if (fits(open_start, bs + k->left, bits, align, &at))
				return at;
			open = false;
			p = bs + k->left;
		}
		if (k->contig >= bits) {
			uint32_t lim = bs + bb - k->right;

			if (bits > k->scan && bs + k->contig_start > p)
				p = bs + k->contig_start;
			while (p < lim) {
				uint32_t f = (uint32_t)find_next_zero_bit(c->alloc_map, lim, p), e;

				if (f == lim)
					break;
				e = (uint32_t)find_next_bit(c->alloc_map, bs + bb, f);
				if (fits(f, e, bits, align, &at))
					return at;
				p = e;
			}
		}
		if (k->right) {
			open = true;
			open_start = bs + bb - k->right;
		}
	}
	if (open && fits(open_start, pc->nbits, bits, align, &at))
		return at;
	return -1;
}

/* ---- free runs (best fit) ---- */

static struct pcpu_run *run_of(const struct rb_node *n)
{
	return rb_entry(n, struct pcpu_run, rb);
}

/* (len, chunk base, start): a total order, the lowest address first among
 * runs of one length. */
static bool run_before(uint32_t len, uint64_t base, uint32_t start, const struct pcpu_run *r)
{
	if (len != r->len)
		return len < r->len;
	if (base != r->chunk->base)
		return base < r->chunk->base;
	return start < r->start;
}

static bool run_less(const struct rb_node *a, const struct rb_node *b)
{
	return run_before(run_of(a)->len, run_of(a)->chunk->base, run_of(a)->start, run_of(b));
}

/* At least want records in the tree and spare together; the ones taken
 * here stay spare if a later one cannot be had. */
static int runs_reserve(struct percpu *pc, uint64_t want)
{
	while (pc->nr_runs + pc->nr_spare < want) {
		struct pcpu_run *r = mm_meta_alloc(pc->meta, sizeof(*r));

		if (!r)
			return -MM_ENOMEM;
		r->next_spare = pc->spare;
		pc->spare = r;
		pc->nr_spare++;
	}
	return 0;
}

/* Spare records beyond what the allocations and chunks could need, and a
 * few more, go back. */
static void runs_trim(struct percpu *pc)
{
	uint64_t need = pc->allocs + pc->nr_chunks + 16;

	while (pc->nr_spare && pc->nr_runs + pc->nr_spare > need) {
		struct pcpu_run *r = pc->spare;

		pc->spare = r->next_spare;
		pc->nr_spare--;
		mm_meta_free(pc->meta, r, sizeof(*r));
	}
}

/* Record the free run [start, start + len) of c, from the spares (which
 * the reservation guarantees). */
static void run_add(struct percpu *pc, struct pcpu_chunk *c, uint32_t start, uint32_t len)
{
	struct rb_node **link = &pc->runs.node, *parent = NULL;
	struct pcpu_run *r = pc->spare;

	pc->spare = r->next_spare;
	pc->nr_spare--;
	r->chunk = c;
	r->start = start;
	r->len = len;
	while (*link) {
		parent = *link;
		link = run_before(len, c->base, start, run_of(parent)) ? &parent->left
									 : &parent->right;
	}
	rb_insert(&pc->runs, &r->rb, parent, link, NULL);
	pc->nr_runs++;
}

static struct pcpu_run *run_find(const struct percpu *pc, const struct pcpu_chunk *c,
				 uint32_t start, uint32_t len)
{
	const struct rb_node *n = pc->runs.node;

	while (n) {
		struct pcpu_run *r = run_of(n);

		if (r->chunk == c && r->start == start && r->len == len)
			return r;
		n = run_before(len, c->base, start, r) ? n->left : n->right;
	}
	return NULL;
}

static void run_del(struct percpu *pc, struct pcpu_run *r)
{
	rb_erase(&pc->runs, &r->rb, NULL);
	pc->nr_runs--;
	r->next_spare = pc->spare;
	pc->spare = r;
	pc->nr_spare++;
}

/* The smallest run with an aligned fit of bits (the lowest address among
 * equals); *at is the fit's start. */
static struct pcpu_run *best_fit(const struct percpu *pc, uint32_t bits, uint32_t align,
				 uint32_t *at)
{
	const struct rb_node *n = pc->runs.node, *first = NULL;

	while (n) { /* the leftmost run of len >= bits */
		if (run_of(n)->len >= bits) {
			first = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	for (; first; first = rb_next(first)) {
		struct pcpu_run *r = run_of(first);

		if (fits(r->start, r->start + r->len, bits, align, at))
			return r;
	}
	return NULL;
}

/* The first granule of the free run holding the free granule pos: the
 * last allocated one before it in its block, else the free tail of the
 * blocks before (their right hints). */
static uint32_t free_run_start(const struct percpu *pc, const struct pcpu_chunk *c, uint32_t pos)
{
	uint32_t bb = pc->block_bits, b = pos / bb, last;

	last = (uint32_t)find_prev_bit(c->alloc_map, b * bb, pos);
	if (last != pos)
		return last + 1;
	for (; b > 0; b--)
		if (c->blocks[b - 1].right < bb)
			return b * bb - c->blocks[b - 1].right;
	return 0;
}

/* One past the last granule of the free run holding the free granule pos
 * (the blocks' left hints after its own block). */
static uint32_t free_run_end(const struct percpu *pc, const struct pcpu_chunk *c, uint32_t pos)
{
	uint32_t bb = pc->block_bits, b = pos / bb, e;

	e = (uint32_t)find_next_bit(c->alloc_map, (b + 1) * bb, pos);
	if (e < (b + 1) * bb)
		return e;
	for (b++; b < pc->unit_pages; b++)
		if (c->blocks[b].left < bb)
			return b * bb + c->blocks[b].left;
	return pc->nbits;
}

/* Every free run of c leaves the tree (c is going away). */
static void runs_drop_chunk(struct percpu *pc, struct pcpu_chunk *c)
{
	for (uint32_t p = 0; p < pc->nbits;) {
		uint32_t f = (uint32_t)find_next_zero_bit(c->alloc_map, pc->nbits, p), e;
		struct pcpu_run *r;

		if (f == pc->nbits)
			break;
		e = free_run_end(pc, c, f);
		r = run_find(pc, c, f, e - f);
		if (r)
			run_del(pc, r);
		p = e;
	}
}

/* ---- slots ---- */

/* 0: no free run; 1 + floor(log2(largest run in bytes)) while the chunk
 * holds an allocation; the last slot when it holds none. */
static unsigned chunk_slot(const struct percpu *pc, const struct pcpu_chunk *c)
{
	if (!c->nr_allocs)
		return pc->nr_slots - 1;
	if (!c->md.contig)
		return 0;
	return 1 + floor_log2((uint64_t)c->md.contig * GRANULE);
}

/* The lowest slot whose chunks can have a run of bits. */
static unsigned size_slot(uint32_t bits)
{
	return 1 + floor_log2((uint64_t)bits * GRANULE);
}

static void slot_link(struct percpu *pc, struct pcpu_chunk *c)
{
	c->slot = chunk_slot(pc, c);
	c->prev = NULL;
	c->next = pc->slots[c->slot];
	if (c->next)
		c->next->prev = c;
	pc->slots[c->slot] = c;
}

static void slot_unlink(struct percpu *pc, struct pcpu_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		pc->slots[c->slot] = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void slot_update(struct percpu *pc, struct pcpu_chunk *c)
{
	if (chunk_slot(pc, c) != c->slot) {
		slot_unlink(pc, c);
		slot_link(pc, c);
	}
}

/* ---- host memory ---- */

static void host_zero(void *p, size_t n)
{
	mm_unpoison(p, n);
	memset(p, 0, n);
}

static void host_poison(void *p, size_t n)
{
	mm_poison(p, n);
}

/* fn over the host memory of [off, off + len) (bytes) in every unit. */
static void for_each_piece(const struct percpu *pc, const struct pcpu_chunk *c, uint64_t off,
			   uint64_t len, void (*fn)(void *p, size_t n))
{
	for (unsigned u = 0; u < pc->nr_cpus; u++) {
		uint64_t addr = c->base + pc->unit_offset[u] + off, end = addr + len;

		while (addr < end) {
			uint64_t next = mm_min(mm_round_down(addr, pc->page) + pc->page, end);
			void *h = vmalloc_host(pc->v, addr);

			if (h)
				fn(h, (size_t)(next - addr));
			addr = next;
		}
	}
}

/* Poison the granules of a freed [off, off + n), widened or narrowed to
 * ASan's 8-byte granules so that no byte of a live neighbour is poisoned. */
static void poison_freed(const struct percpu *pc, const struct pcpu_chunk *c, uint32_t off,
			 uint32_t n)
{
	uint64_t lo = (uint64_t)off * GRANULE, hi = (uint64_t)(off + n) * GRANULE;

	if (lo % 8)
		lo = test_bit(off - 1, c->alloc_map) ? lo + GRANULE : lo - GRANULE;
	if (hi % 8)
		hi = off + n < pc->nbits && !test_bit(off + n, c->alloc_map) ? hi + GRANULE
									     : hi - GRANULE;
	if (lo < hi)
		for_each_piece(pc, c, lo, hi - lo, host_poison);
}

/* ---- pages ---- */

static uint64_t page_addr(const struct percpu *pc, const struct pcpu_chunk *c, unsigned u,
			  uint64_t p)
{
	return c->base + pc->unit_offset[u] + p * pc->page;
}

static bool on_node(const struct percpu *pc, uint64_t pfn, unsigned u)
{
	struct buddy_page_info i;

	return !buddy_page(pc->b, pfn, &i) && i.nid == pc->cpu_node[u];
}

/* Unmap page p of units [0, units) and give the pages back. */
static void page_release(struct percpu *pc, struct pcpu_chunk *c, uint64_t p, unsigned units)
{
	for (unsigned u = 0; u < units; u++) {
		uint64_t pfn;

		if (vmalloc_unmap_page(pc->v, page_addr(pc, c, u, p), &pfn))
			continue;
		if (!on_node(pc, pfn, u))
			pc->off_node_pages--;
		buddy_free_pages(pc->b, pfn, 0);
	}
}

/* Page p of every unit, each from its CPU's node. */
static int page_populate(struct percpu *pc, struct pcpu_chunk *c, uint64_t p)
{
	for (unsigned u = 0; u < pc->nr_cpus; u++) {
		uint64_t pfn;
		void *h;

		if (buddy_alloc_pages(pc->b, 0, pc->cpu_node[u], &pfn))
			goto undo;
		if (vmalloc_map_page(pc->v, page_addr(pc, c, u, p), pfn)) {
			buddy_free_pages(pc->b, pfn, 0);
			goto undo;
		}
		if (!on_node(pc, pfn, u))
			pc->off_node_pages++;
		h = vmalloc_host(pc->v, page_addr(pc, c, u, p));
		if (h) /* nothing of it is allocated yet */
			host_poison(h, (size_t)pc->page);
		continue;
undo:
		page_release(pc, c, p, u);
		return -MM_ENOMEM;
	}
	c->stale = true;
	bitmap_set(c->populated, (uint32_t)p, 1);
	c->nr_populated++;
	pc->populated_pages++;
	return 0;
}

static void page_depopulate(struct percpu *pc, struct pcpu_chunk *c, uint64_t p)
{
	c->stale = true;
	page_release(pc, c, p, pc->nr_cpus);
	bitmap_clear(c->populated, (uint32_t)p, 1);
	c->nr_populated--;
	pc->populated_pages--;
}

/* A page is populated exactly while an allocation covers part of it, i.e.
 * while its block is not wholly free. */
static bool page_needed(const struct percpu *pc, const struct pcpu_chunk *c, uint64_t p)
{
	return c->blocks[p].nr_free < pc->block_bits;
}

/* Pages of [off, off + n) granules not populated yet. */
static uint64_t pages_to_populate(const struct percpu *pc, const struct pcpu_chunk *c,
				  uint32_t off, uint32_t n)
{
	uint64_t need = 0;

	for (uint32_t p = off / pc->block_bits; p <= (off + n - 1) / pc->block_bits; p++)
		need += !test_bit(p, c->populated);
	return need;
}

/* Populate what [off, off + n) needs (before its bits are set); on a
 * failure the pages populated here go back. */
static int populate(struct percpu *pc, struct pcpu_chunk *c, uint32_t off, uint32_t n)
{
	uint32_t p0 = off / pc->block_bits, p1 = (off + n - 1) / pc->block_bits;

	for (uint32_t p = p0; p <= p1; p++) {
		if (test_bit(p, c->populated) || !page_populate(pc, c, p))
			continue;
		while (p-- > p0)
			if (!page_needed(pc, c, p))
				page_depopulate(pc, c, p);
		return -MM_ENOMEM;
	}
	return 0;
}

/* After [off, off + n) was freed: the pages nothing covers go back. */
static void depopulate(struct percpu *pc, struct pcpu_chunk *c, uint32_t off, uint32_t n)
{
	for (uint32_t p = off / pc->block_bits; p <= (off + n - 1) / pc->block_bits; p++)
		if (test_bit(p, c->populated) && !page_needed(pc, c, p))
			page_depopulate(pc, c, p);
}

/* ---- chunks ---- */

static struct pcpu_chunk *chunk_of(const struct rb_node *n)
{
	return n ? rb_entry(n, struct pcpu_chunk, rb) : NULL;
}

static size_t map_bytes(const struct percpu *pc)
{
	return (size_t)(pc->nbits / 64) * sizeof(uint64_t);
}

static size_t populated_bytes(const struct percpu *pc)
{
	return (size_t)((pc->unit_pages + 63) / 64) * sizeof(uint64_t);
}

static void chunk_free_meta(struct percpu *pc, struct pcpu_chunk *c)
{
	mm_meta_free(pc->meta, c->alloc_map, map_bytes(pc));
	mm_meta_free(pc->meta, c->bound_map, map_bytes(pc));
	mm_meta_free(pc->meta, c->populated, populated_bytes(pc));
	mm_meta_free(pc->meta, c->blocks, (size_t)pc->unit_pages * sizeof(*c->blocks));
	mm_meta_free(pc->meta, c, sizeof(*c));
}

/* The chunk whose unit 0 holds addr. */
static struct pcpu_chunk *chunk_holding(const struct percpu *pc, uint64_t addr)
{
	const struct rb_node *n = pc->chunks.node;
	struct pcpu_chunk *best = NULL;

	while (n) {
		if (chunk_of(n)->base <= addr) {
			best = chunk_of(n);
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best && addr - best->base < pc->unit_bytes ? best : NULL;
}

/* A new chunk, all free, nothing populated: its bookkeeping and its vmalloc
 * area of every unit (pcpu_create_chunk). */
static int chunk_create(struct percpu *pc, struct pcpu_chunk **out)
{
	struct pcpu_chunk *c = mm_meta_alloc(pc->meta, sizeof(*c));
	struct rb_node **link = &pc->chunks.node, *parent = NULL;
	int err = -MM_ENOMEM;

	if (!c)
		return -MM_ENOMEM;
	c->alloc_map = mm_meta_alloc(pc->meta, map_bytes(pc));
	c->bound_map = mm_meta_alloc(pc->meta, map_bytes(pc));
	c->populated = mm_meta_alloc(pc->meta, populated_bytes(pc));
	c->blocks = mm_meta_calloc(pc->meta, (size_t)pc->unit_pages, sizeof(*c->blocks));
	if (!c->alloc_map || !c->bound_map || !c->populated || !c->blocks ||
	    (err = vmalloc_reserve(pc->v, pc->nr_cpus * pc->unit_pages, &c->base))) {
		chunk_free_meta(pc, c);
		return err;
	}
	for (uint32_t b = 0; b < pc->unit_pages; b++)
		block_fill(pc, &c->blocks[b], true);
	chunk_md_scan(pc, c, &c->md);
	c->stale = true;
	while (*link) {
		parent = *link;
		link = c->base < chunk_of(parent)->base ? &parent->left : &parent->right;
	}
	rb_insert(&pc->chunks, &c->rb, parent, link, NULL);
	slot_link(pc, c);
	pc->nr_chunks++;
	pc->nr_empty++;
	if (pc->policy == PERCPU_BEST_FIT)
		run_add(pc, c, 0, pc->nbits);
	*out = c;
	return 0;
}

/* Everything of a chunk goes back: pages, area, bookkeeping. */
static void chunk_destroy(struct percpu *pc, struct pcpu_chunk *c)
{
	for (uint64_t p = 0; p < pc->unit_pages; p++)
		if (test_bit((uint32_t)p, c->populated))
			page_depopulate(pc, c, p);
	if (pc->policy == PERCPU_BEST_FIT)
		runs_drop_chunk(pc, c);
	vunmap(pc->v, c->base);
	slot_unlink(pc, c);
	rb_erase(&pc->chunks, &c->rb, NULL);
	pc->nr_chunks--;
	if (!c->nr_allocs)
		pc->nr_empty--;
	pc->allocs -= c->nr_allocs;
	pc->live_bits -= pc->nbits - c->md.nr_free;
	chunk_free_meta(pc, c);
}

/* ---- invariants ---- */

/* A chunk's bitmaps, hints, pages and free runs, walked: what it holds
 * of the totals added to them. */
static const char *walk_chunk(const struct percpu *pc, const struct pcpu_chunk *c,
			      uint64_t *live_bits, uint64_t *populated, uint64_t *runs)
{
	uint32_t starts = 0, pop = 0;
	struct pcpu_md md;

	for (uint32_t w = 0; w < pc->nbits / 64; w++) {
		if (c->bound_map[w] & ~c->alloc_map[w])
			return "percpu: an allocation starts on a free granule";
		starts += (uint32_t)__builtin_popcountll(c->bound_map[w]);
		*live_bits += (uint64_t)__builtin_popcountll(c->alloc_map[w]);
	}
	if (starts != c->nr_allocs)
		return "percpu: the chunk's allocation count differs from its bound map";
	for (uint32_t f = 0; f < pc->nbits;) {
		uint32_t s = (uint32_t)find_next_bit(c->alloc_map, pc->nbits, f);

		if (s == pc->nbits)
			break;
		if (!test_bit(s, c->bound_map))
			return "percpu: allocated granules that no allocation starts";
		f = (uint32_t)find_next_zero_bit(c->alloc_map, pc->nbits, s);
	}
	for (uint32_t b = 0; b < pc->unit_pages; b++) {
		struct pcpu_block k;

		block_scan(pc, c, b, &k);
		if (memcmp(&k, &c->blocks[b], sizeof(k)))
			return "percpu: a block's hints differ from its bitmap";
	}
	chunk_md_scan(pc, c, &md);
	if (memcmp(&md, &c->md, sizeof(md)))
		return "percpu: the chunk's hints differ from its blocks'";
	for (uint64_t p = 0; p < pc->unit_pages; p++) {
		bool on = test_bit((uint32_t)p, c->populated);

		if (on != page_needed(pc, c, p))
			return on ? "percpu: a populated page that no allocation covers"
				  : "percpu: an allocation covers a page that is not populated";
		for (unsigned u = 0; u < pc->nr_cpus; u++)
			if (!vmalloc_to_pfn(pc->v, page_addr(pc, c, u, p), NULL) != on)
				return "percpu: a unit's page mapping differs from the populated map";
		pop += on;
	}
	if (pop != c->nr_populated)
		return "percpu: the chunk's populated count differs from its map";
	*populated += pop;
	/* Best fit: every maximal free run is in the tree, as itself. */
	for (uint32_t f = 0; pc->policy == PERCPU_BEST_FIT && f < pc->nbits;) {
		uint32_t s = (uint32_t)find_next_zero_bit(c->alloc_map, pc->nbits, f), e;

		if (s == pc->nbits)
			break;
		e = (uint32_t)find_next_bit(c->alloc_map, pc->nbits, s);
		if (!run_find(pc, c, s, e - s))
			return "percpu: a free run is missing from the run tree";
		(*runs)++;
		f = e;
	}
	return NULL;
}

/*
 * A chunk, walked when it changed since its last check (or every chunk
 * when full); a clean one adds what its last walk found. Its slot is
 * checked either way: it depends on the whole allocator's slot count.
 */
static const char *check_chunk(const struct percpu *pc, struct pcpu_chunk *c, bool full,
			       uint64_t *live_bits, uint64_t *populated, uint64_t *runs)
{
	uint64_t live = 0, pop = 0, nruns = 0;
	const char *e;

	if (c->slot != chunk_slot(pc, c))
		return "percpu: a chunk is in the wrong slot";
	if (!c->stale && !full) {
		*live_bits += c->chk_live;
		*populated += c->nr_populated;
		*runs += c->chk_runs;
		return NULL;
	}
	if ((e = walk_chunk(pc, c, &live, &pop, &nruns)))
		return e;
	c->stale = false;
	c->chk_live = (uint32_t)live;
	c->chk_runs = (uint32_t)nruns;
	*live_bits += live;
	*populated += pop;
	*runs += nruns;
	return NULL;
}

static const char *check_all(const struct percpu *pc, bool full)
{
	uint64_t chunks = 0, empty = 0, allocs = 0, live = 0, populated = 0, listed = 0;
	uint64_t end = 0, runs = 0, in_tree = 0, spare = 0;
	const char *e;

	for (unsigned u = 0; u < pc->nr_cpus; u++)
		if (pc->unit_offset[u] != u * pc->unit_bytes)
			return "percpu: unit offsets are not the unit layout";
	/* The run tree's shape first: the chunks' checks look runs up in it. */
	e = rb_check(&pc->runs, run_less, NULL);
	if (e)
		return e;
	for (const struct rb_node *n = rb_first(&pc->chunks); n; n = rb_next(n)) {
		const struct pcpu_chunk *c = chunk_of(n);

		if (chunks && c->base < end)
			return "percpu: chunks overlap or are out of order";
		end = c->base + pc->nr_cpus * pc->unit_bytes;
		e = check_chunk(pc, chunk_of(n), full, &live, &populated, &runs);
		if (e)
			return e;
		chunks++;
		empty += !c->nr_allocs;
		allocs += c->nr_allocs;
	}
	for (unsigned s = 0; s < MAX_SLOTS; s++)
		for (const struct pcpu_chunk *c = pc->slots[s], *prev = NULL; c; prev = c, c = c->next) {
			if (s >= pc->nr_slots || c->slot != s || c->prev != prev)
				return "percpu: a slot list is broken";
			if (++listed > chunks)
				return "percpu: a slot list holds more than the chunks";
		}
	if (listed != chunks || chunks != pc->nr_chunks || empty != pc->nr_empty)
		return "percpu: chunk counts differ from the chunks";
	if (empty > 1)
		return "percpu: more than one chunk without allocations";
	if (allocs != pc->allocs || live != pc->live_bits || populated != pc->populated_pages)
		return "percpu: allocation or page counts differ from the chunks";
	for (const struct rb_node *n = rb_first(&pc->runs); n; n = rb_next(n))
		in_tree++;
	for (const struct pcpu_run *r = pc->spare; r && spare <= pc->nr_spare; r = r->next_spare)
		spare++;
	if (in_tree != runs || in_tree != pc->nr_runs || spare != pc->nr_spare)
		return "percpu: the run tree holds other runs than the bitmaps";
	if (pc->policy == PERCPU_BEST_FIT && pc->nr_runs + pc->nr_spare < pc->allocs + pc->nr_chunks)
		return "percpu: fewer run records than a free may need";
	return NULL;
}

const char *percpu_check(const struct percpu *pc)
{
	return check_all(pc, false);
}

const char *percpu_check_full(const struct percpu *pc)
{
	return check_all(pc, true);
}

/* ---- life cycle ---- */

int percpu_create(struct percpu **out, struct vmalloc *v, struct buddy *b,
		  const struct percpu_config *cfg)
{
	uint64_t page, unit_pages;
	unsigned nodes;
	struct percpu *pc;

	if (!out || !v || !b || !cfg || cfg->nr_cpus < 1 || cfg->nr_cpus > PERCPU_MAX_CPUS ||
	    (cfg->policy != PERCPU_BEST_FIT && cfg->policy != PERCPU_FIRST_FIT))
		return -MM_EINVAL;
	page = vmalloc_page_size(v);
	nodes = buddy_nr_nodes(b);
	if (page < PERCPU_MIN_PAGE_SIZE)
		return -MM_EINVAL;
	unit_pages = cfg->unit_pages ? cfg->unit_pages
				     : (PCPU_MIN_UNIT_SIZE + page - 1) / page;
	if (unit_pages > PERCPU_MAX_UNIT_SIZE / page)
		return -MM_EINVAL;
	for (unsigned u = 0; cfg->cpu_node && u < cfg->nr_cpus; u++)
		if (cfg->cpu_node[u] < 0 || cfg->cpu_node[u] >= (int)nodes)
			return -MM_EINVAL;
	pc = mm_meta_alloc(cfg->meta, sizeof(*pc));
	if (!pc)
		return -MM_ENOMEM;
	pc->v = v;
	pc->b = b;
	pc->meta = cfg->meta;
	pc->nr_cpus = cfg->nr_cpus;
	pc->policy = cfg->policy;
	pc->page = page;
	pc->unit_pages = unit_pages;
	pc->unit_bytes = unit_pages * page;
	pc->nbits = (uint32_t)(pc->unit_bytes / GRANULE);
	pc->block_bits = (uint32_t)(page / GRANULE);
	pc->nr_slots = floor_log2(pc->unit_bytes) + 3;
	for (unsigned u = 0; u < pc->nr_cpus; u++) {
		int nid = cfg->cpu_node ? cfg->cpu_node[u] : buddy_cpu_node(b, u);

		pc->cpu_node[u] = nid >= 0 ? nid : (int)(u % nodes);
		pc->unit_offset[u] = u * pc->unit_bytes;
	}
	*out = pc;
	return 0;
}

void percpu_destroy(struct percpu *pc)
{
	if (!pc)
		return;
	while (pc->chunks.node)
		chunk_destroy(pc, chunk_of(pc->chunks.node));
	while (pc->spare) {
		struct pcpu_run *r = pc->spare;

		pc->spare = r->next_spare;
		mm_meta_free(pc->meta, r, sizeof(*r));
	}
	mm_meta_free(pc->meta, pc, sizeof(*pc));
}

/* ---- allocation ---- */

/* Where an allocation goes: a chunk and offset, or c NULL for a new chunk;
 * under best fit also the run it is cut from. */
static void place(const struct percpu *pc, uint32_t bits, uint32_t align,
		  struct pcpu_chunk **c, int64_t *off, struct pcpu_run **run)
{
	uint32_t at;

	*c = NULL;
	*off = -1;
	*run = NULL;
	if (pc->policy == PERCPU_BEST_FIT) {
		*run = best_fit(pc, bits, align, &at);
		if (*run) {
			*c = (*run)->chunk;
			*off = at;
		}
		return;
	}
	for (unsigned s = size_slot(bits); s < pc->nr_slots; s++)
		for (struct pcpu_chunk *k = pc->slots[s]; k; k = k->next)
			if ((*off = find_fit(pc, k, bits, align)) >= 0) {
				*c = k;
				return;
			}
}

/* The run [off, off + bits) was cut from: what is left of it on either
 * side stays free. */
static void run_split(struct percpu *pc, struct pcpu_run *run, uint32_t off, uint32_t bits)
{
	struct pcpu_chunk *c = run->chunk;
	uint32_t s = run->start, e = run->start + run->len;

	run_del(pc, run);
	if (off > s)
		run_add(pc, c, s, off - s);
	if (off + bits < e)
		run_add(pc, c, off + bits, e - off - bits);
}

/* [off, off + n) was freed: it joins the free runs on either side. */
static void run_merge(struct percpu *pc, struct pcpu_chunk *c, uint32_t off, uint32_t n)
{
	uint32_t s = free_run_start(pc, c, off), e = free_run_end(pc, c, off);
	struct pcpu_run *r;

	if (s < off && (r = run_find(pc, c, s, off - s)))
		run_del(pc, r);
	if (e > off + n && (r = run_find(pc, c, off + n, e - off - n)))
		run_del(pc, r);
	run_add(pc, c, s, e - s);
}

int percpu_alloc(struct percpu *pc, uint64_t size, uint64_t align, uint64_t *ptr)
{
	struct pcpu_chunk *c;
	struct pcpu_run *run;
	uint32_t bits, abits;
	uint64_t need;
	int64_t off;
	bool fresh = false;
	int err;

	if (!ptr || !size || size > pc->unit_bytes || !mm_is_pow2(align) || align > pc->page)
		return -MM_EINVAL;
	bits = (uint32_t)((size + GRANULE - 1) / GRANULE);
	abits = align > GRANULE ? (uint32_t)(align / GRANULE) : 1;
	place(pc, bits, abits, &c, &off, &run);
	/* Order-0 pages fail only when buddy has none free at all: with this
	 * many free, populating cannot fail half-way. */
	need = (uint64_t)(c ? pages_to_populate(pc, c, (uint32_t)off, bits)
			    : (bits - 1) / pc->block_bits + 1) * pc->nr_cpus;
	if (need > buddy_nr_free(pc->b, NUMA_NO_NODE))
		return -MM_ENOMEM;
	/* Run records for every free to come: one per allocation and per
	 * chunk, this allocation and a new chunk counted. */
	if (pc->policy == PERCPU_BEST_FIT &&
	    (err = runs_reserve(pc, pc->allocs + 1 + pc->nr_chunks + !c)))
		return err;
	if (!c) {
		err = chunk_create(pc, &c);
		if (err)
			return err;
		fresh = true;
		off = 0;
		if (pc->policy == PERCPU_BEST_FIT)
			run = run_find(pc, c, 0, pc->nbits);
	}
	err = populate(pc, c, (uint32_t)off, bits);
	if (err) {
		if (fresh)
			chunk_destroy(pc, c);
		return err;
	}
	c->stale = true;
	bitmap_set(c->alloc_map, (uint32_t)off, bits);
	bitmap_set(c->bound_map, (uint32_t)off, 1);
	update_hints(pc, c, (uint32_t)off, bits, false);
	if (run)
		run_split(pc, run, (uint32_t)off, bits);
	if (!c->nr_allocs++)
		pc->nr_empty--;
	slot_update(pc, c);
	pc->allocs++;
	pc->live_bits += bits;
	for_each_piece(pc, c, (uint64_t)off * GRANULE, (uint64_t)bits * GRANULE, host_zero);
	*ptr = c->base + (uint64_t)off * GRANULE;
	return 0;
}

int percpu_free(struct percpu *pc, uint64_t ptr)
{
	struct pcpu_chunk *c = chunk_holding(pc, ptr);
	uint32_t off, end;

	if (!c || (ptr - c->base) % GRANULE)
		return -MM_ENOENT;
	off = (uint32_t)((ptr - c->base) / GRANULE);
	if (!test_bit(off, c->bound_map))
		return -MM_ENOENT;
	end = (uint32_t)find_next_zero_bit(c->alloc_map, pc->nbits, off);
	end = mm_min(end, (uint32_t)find_next_bit(c->bound_map, pc->nbits, off + 1));
	c->stale = true;
	bitmap_clear(c->alloc_map, off, end - off);
	bitmap_clear(c->bound_map, off, 1);
	poison_freed(pc, c, off, end - off);
	update_hints(pc, c, off, end - off, true);
	if (pc->policy == PERCPU_BEST_FIT)
		run_merge(pc, c, off, end - off);
	depopulate(pc, c, off, end - off);
	pc->allocs--;
	pc->live_bits -= end - off;
	/* One chunk without allocations stays as a spare; a second goes. */
	if (!--c->nr_allocs && pc->nr_empty++)
		chunk_destroy(pc, c);
	else
		slot_update(pc, c);
	runs_trim(pc);
	return 0;
}

const uint64_t *percpu_unit_offsets(const struct percpu *pc)
{
	return pc->unit_offset;
}

int percpu_ptr(const struct percpu *pc, uint64_t ptr, unsigned cpu, uint64_t *addr)
{
	const struct pcpu_chunk *c;

	if (cpu >= pc->nr_cpus)
		return -MM_EINVAL;
	c = chunk_holding(pc, ptr);
	if (!c || !test_bit((ptr - c->base) / GRANULE, c->alloc_map))
		return -MM_ENOENT;
	if (addr)
		*addr = per_cpu_ptr(pc->unit_offset, ptr, cpu);
	return 0;
}

void *percpu_host(const struct percpu *pc, uint64_t ptr, unsigned cpu)
{
	if (cpu >= pc->nr_cpus)
		return NULL;
	return vmalloc_host(pc->v, per_cpu_ptr(pc->unit_offset, ptr, cpu));
}

/* ---- queries ---- */

void percpu_stats(const struct percpu *pc, struct percpu_stats *st)
{
	if (!st)
		return;
	st->chunks = pc->nr_chunks;
	st->empty_chunks = pc->nr_empty;
	st->units = pc->nr_cpus;
	st->unit_bytes = pc->unit_bytes;
	st->allocs = pc->allocs;
	st->live_bytes = pc->live_bits * GRANULE;
	st->populated_bytes = pc->populated_pages * pc->page;
	st->off_node_pages = pc->off_node_pages;
}

void percpu_walk_chunks(const struct percpu *pc,
			void (*fn)(void *ctx, uint64_t base, unsigned slot), void *ctx)
{
	if (!fn)
		return;
	for (const struct rb_node *n = rb_first(&pc->chunks); n; n = rb_next(n))
		fn(ctx, chunk_of(n)->base, chunk_of(n)->slot);
}

unsigned percpu_nr_slots(const struct percpu *pc)
{
	return pc->nr_slots;
}
