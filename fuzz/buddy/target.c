/* SPDX-License-Identifier: MIT */
/*
 * fuzz_buddy: every buddy operation, applied to lib/buddy.c and to the
 * per-page model. After each op, every page the op can have touched (the
 * max-order blocks around the pages it names or returns; the whole span
 * when it emptied the per-CPU caches) must agree: its state, order,
 * refcount and node. Every FZ_FULL_EVERY ops and after the last, so must
 * every page of the span, the free counts per node, and whenever no
 * per-CPU cache holds pages, the free lists against the greedy
 * decomposition of the free pages. buddy_check runs after every op.
 *
 * The header sets the shape: nodes, cpus, max order, section size, cache
 * marks, up to three memory ranges with holes between them, and whether
 * pages are backed by host memory (then every allocated page is written,
 * so handing out a page that is still free trips ASan's poison).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "fz.h"
#include "compare.h"
#include "model.h"

#define SPAN 640      /* pages in the span */
#define PFN_HI 700    /* pfn arguments reach a little past it */
#define NR_HI 300
#define BACKING_PAGE 64 /* bytes per backed page: small, the data is a witness */

struct world {
	struct buddy *b;
	struct bm *m;
	int impl_rc;       /* the implementation's last allocation, for the model */
	uint64_t impl_pfn;
	uint64_t block;    /* pages in a max-order block */
	unsigned nr_cpus, nr_nodes, max_order; /* of the config */
	uint64_t lo, hi;   /* the pages the last op can have touched (see touch) */
	uint64_t cached;   /* pages in the per-CPU caches after the last op */
	bool changed_on_error; /* an op failed and still moved pages (see below) */
};

#define W ((struct world *)w)

/* An op named or returned pages [pfn, pfn + nr): what it can change
 * without a cache drain lies in the max-order blocks around them (a free
 * merges up to one, an allocation splits one). What a drain of a per-CPU
 * cache changes elsewhere, the whole-state comparison sees. */
static void touch(struct world *w, uint64_t pfn, uint64_t nr)
{
	uint64_t lo = pfn & ~(w->block - 1), hi = pfn + (nr ? nr : 1);

	if (hi < pfn || hi > UINT64_MAX - w->block)
		hi = UINT64_MAX - w->block;
	hi = (hi + w->block - 1) & ~(w->block - 1);
	if (lo < w->lo)
		w->lo = lo;
	if (hi > w->hi)
		w->hi = hi;
}

/* The pages of a block of a (raw) order argument, for touch: one page when
 * the order is too large to be a block. */
static uint64_t order_pages(uint64_t order)
{
	return order < 64 ? (uint64_t)1 << order : 1;
}

/* Bad (raw) arguments keep their badness when narrowed. */
static unsigned u_arg(uint64_t v)
{
	return v > 0xffff ? 0xffffu : (unsigned)v;
}

static int nid_arg(uint64_t v)
{
	int64_t s = (int64_t)v;

	return s < -1000 || s > 1000 ? 1000 : (int)s;
}

/* Write the pfn into every page of a block the implementation handed out. */
static void witness(struct world *w, uint64_t pfn, uint64_t nr)
{
	for (uint64_t p = pfn; p < pfn + nr; p++) {
		void *mem = buddy_page_ptr(w->b, p);

		if (mem)
			memcpy(mem, &p, sizeof(p));
	}
}

/* ---- ops ---- */

static struct fz_result i_set_cpu(void *w, const uint64_t *a)
{
	return fz_rc(buddy_set_cpu(W->b, u_arg(a[0])));
}
static struct fz_result m_set_cpu(void *w, const uint64_t *a)
{
	return fz_rc(bm_set_cpu(W->m, u_arg(a[0])));
}

/*
 * What the model cannot see: which free pages sit in the per-CPU caches and
 * how the lists hold the rest. A failed call must not change that either
 * (nothing changes on an error: alloc_pages fails before any cache is
 * drained), so it is compared around every failed allocation.
 */
struct hidden {
	uint64_t cached[BUDDY_MAX_CPUS];
	uint64_t blocks[BUDDY_MAX_NODES][BUDDY_MAX_ORDER_LIMIT + 1];
};

/* Only the config's cpus, nodes and orders: the rest is none on both
 * sides. */
static void hidden_take(const struct world *w, struct hidden *h)
{
	for (unsigned cpu = 0; cpu < w->nr_cpus; cpu++)
		h->cached[cpu] = buddy_nr_cached(w->b, cpu);
	for (unsigned nid = 0; nid < w->nr_nodes; nid++)
		for (unsigned o = 0; o <= w->max_order; o++)
			h->blocks[nid][o] = buddy_nr_free_blocks(w->b, (int)nid, o);
}

static bool hidden_same(const struct world *w, const struct hidden *a, const struct hidden *b)
{
	for (unsigned cpu = 0; cpu < w->nr_cpus; cpu++)
		if (a->cached[cpu] != b->cached[cpu])
			return false;
	for (unsigned nid = 0; nid < w->nr_nodes; nid++)
		for (unsigned o = 0; o <= w->max_order; o++)
			if (a->blocks[nid][o] != b->blocks[nid][o])
				return false;
	return true;
}

static struct fz_result i_alloc_pages(void *w, const uint64_t *a)
{
	struct hidden before, after;
	uint64_t pfn = 0;

	hidden_take(W, &before);
	W->impl_rc = buddy_alloc_pages(W->b, u_arg(a[0]), nid_arg(a[1]), &pfn);
	if (W->impl_rc) {
		hidden_take(W, &after);
		if (!hidden_same(W, &before, &after))
			W->changed_on_error = true;
	}
	W->impl_pfn = pfn;
	if (!W->impl_rc) {
		witness(W, pfn, (uint64_t)1 << u_arg(a[0]));
		touch(W, pfn, (uint64_t)1 << u_arg(a[0]));
	}
	return fz_val(W->impl_rc, pfn);
}
static struct fz_result m_alloc_pages(void *w, const uint64_t *a)
{
	uint64_t pfn = 0;
	int rc = bm_alloc_pages(W->m, u_arg(a[0]), nid_arg(a[1]), W->impl_rc, W->impl_pfn, &pfn);

	return fz_val(rc, pfn);
}

static struct fz_result i_free_pages(void *w, const uint64_t *a)
{
	touch(W, a[0], order_pages(a[1]));
	return fz_rc(buddy_free_pages(W->b, a[0], u_arg(a[1])));
}
static struct fz_result m_free_pages(void *w, const uint64_t *a)
{
	return fz_rc(bm_free_pages(W->m, a[0], u_arg(a[1])));
}

static struct fz_result i_get_page(void *w, const uint64_t *a)
{
	touch(W, a[0], 1);
	return fz_rc(buddy_get_page(W->b, a[0]));
}
static struct fz_result m_get_page(void *w, const uint64_t *a)
{
	return fz_rc(bm_get_page(W->m, a[0]));
}

static struct fz_result i_put_page(void *w, const uint64_t *a)
{
	touch(W, a[0], 1);
	return fz_rc(buddy_put_page(W->b, a[0]));
}
static struct fz_result m_put_page(void *w, const uint64_t *a)
{
	return fz_rc(bm_put_page(W->m, a[0]));
}

static struct fz_result i_split_page(void *w, const uint64_t *a)
{
	touch(W, a[0], order_pages(a[1]));
	return fz_rc(buddy_split_page(W->b, a[0], u_arg(a[1])));
}
static struct fz_result m_split_page(void *w, const uint64_t *a)
{
	return fz_rc(bm_split_page(W->m, a[0], u_arg(a[1])));
}

static struct fz_result i_free_contig(void *w, const uint64_t *a)
{
	touch(W, a[0], a[1]);
	return fz_rc(buddy_free_contig_range(W->b, a[0], a[1]));
}
static struct fz_result m_free_contig(void *w, const uint64_t *a)
{
	return fz_rc(bm_free_contig_range(W->m, a[0], a[1]));
}

static struct fz_result i_alloc_contig_range(void *w, const uint64_t *a)
{
	int rc = buddy_alloc_contig_range(W->b, a[0], a[1]);

	touch(W, a[0], a[1] > a[0] ? a[1] - a[0] : 1);
	if (!rc)
		witness(W, a[0], a[1] - a[0]);
	return fz_rc(rc);
}
static struct fz_result m_alloc_contig_range(void *w, const uint64_t *a)
{
	return fz_rc(bm_alloc_contig_range(W->m, a[0], a[1]));
}

static struct fz_result i_alloc_contig_pages(void *w, const uint64_t *a)
{
	uint64_t pfn = 0;
	int rc = buddy_alloc_contig_pages(W->b, a[0], nid_arg(a[1]), &pfn);

	if (!rc) {
		witness(W, pfn, a[0]);
		touch(W, pfn, a[0]);
	}
	return fz_val(rc, pfn);
}
static struct fz_result m_alloc_contig_pages(void *w, const uint64_t *a)
{
	uint64_t pfn = 0;
	int rc = bm_alloc_contig_pages(W->m, a[0], nid_arg(a[1]), &pfn);

	return fz_val(rc, pfn);
}

static struct fz_result i_drain(void *w, const uint64_t *a)
{
	return fz_rc(buddy_drain(W->b, u_arg(a[0])));
}
static struct fz_result m_drain(void *w, const uint64_t *a)
{
	return fz_rc(bm_drain(W->m, u_arg(a[0])));
}

static struct fz_result i_drain_all(void *w, const uint64_t *a)
{
	(void)a;
	buddy_drain_all(W->b);
	return fz_rc(0);
}
static struct fz_result m_drain_all(void *w, const uint64_t *a)
{
	(void)w, (void)a;
	return fz_rc(0);
}

static struct fz_result i_add_memory(void *w, const uint64_t *a)
{
	touch(W, a[0], a[1]);
	return fz_rc(buddy_add_memory(W->b, a[0], a[1], nid_arg(a[2])));
}
static struct fz_result m_add_memory(void *w, const uint64_t *a)
{
	return fz_rc(bm_add_memory(W->m, a[0], a[1], nid_arg(a[2])));
}

static struct fz_result i_free_boot(void *w, const uint64_t *a)
{
	touch(W, a[0], a[1]);
	return fz_rc(buddy_free_boot_range(W->b, a[0], a[1]));
}
static struct fz_result m_free_boot(void *w, const uint64_t *a)
{
	return fz_rc(bm_free_boot_range(W->m, a[0], a[1]));
}

static struct fz_result i_nr_free(void *w, const uint64_t *a)
{
	return fz_val(0, buddy_nr_free(W->b, nid_arg(a[0])));
}
static struct fz_result m_nr_free(void *w, const uint64_t *a)
{
	return fz_val(0, bm_nr_free(W->m, nid_arg(a[0])));
}

static struct fz_result i_claim_reserved(void *w, const uint64_t *a)
{
	int rc = buddy_claim_reserved(W->b, a[0], u_arg(a[1]));

	touch(W, a[0], order_pages(a[1]));
	if (!rc)
		witness(W, a[0], (uint64_t)1 << u_arg(a[1]));
	return fz_rc(rc);
}
static struct fz_result m_claim_reserved(void *w, const uint64_t *a)
{
	return fz_rc(bm_claim_reserved(W->m, a[0], u_arg(a[1])));
}

/* ---- the table ---- */

#define A_PFN { "pfn", FZ_INT, 0, PFN_HI, NULL }
#define A_H { "pfn", FZ_HANDLE, 0, 0, NULL }
#define A_ORDER { "order", FZ_INT, 0, 9, NULL }
#define A_NID { "nid", FZ_INT, -1, 3, NULL }
#define A_NR { "nr", FZ_INT, 0, NR_HI, NULL }
#define A_CPU { "cpu", FZ_INT, 0, 4, NULL }

static const struct fz_op_def ops[] = {
	{ "alloc_pages", FZ_RET_HANDLE, 2, { A_ORDER, A_NID }, i_alloc_pages, m_alloc_pages },
	{ "alloc_pages", FZ_RET_HANDLE, 2, { A_ORDER, A_NID }, i_alloc_pages, m_alloc_pages },
	{ "free_pages", 0, 2, { A_H, A_ORDER }, i_free_pages, m_free_pages },
	{ "free_pages", 0, 2, { A_PFN, A_ORDER }, i_free_pages, m_free_pages },
	{ "get_page", 0, 1, { A_H }, i_get_page, m_get_page },
	{ "put_page", 0, 1, { A_H }, i_put_page, m_put_page },
	{ "put_page", 0, 1, { A_PFN }, i_put_page, m_put_page },
	{ "split_page", 0, 2, { A_H, A_ORDER }, i_split_page, m_split_page },
	{ "free_contig_range", 0, 2, { A_H, A_NR }, i_free_contig, m_free_contig },
	{ "free_contig_range", 0, 2, { A_PFN, A_NR }, i_free_contig, m_free_contig },
	{ "alloc_contig_range", 0, 2, { { "start", FZ_INT, 0, PFN_HI, NULL },
					{ "end", FZ_INT, 0, PFN_HI, NULL } },
	  i_alloc_contig_range, m_alloc_contig_range },
	{ "alloc_contig_pages", FZ_RET_HANDLE, 2, { A_NR, A_NID }, i_alloc_contig_pages,
	  m_alloc_contig_pages },
	{ "set_cpu", 0, 1, { A_CPU }, i_set_cpu, m_set_cpu },
	{ "drain", 0, 1, { A_CPU }, i_drain, m_drain },
	{ "drain_all", 0, 0, { { 0 } }, i_drain_all, m_drain_all },
	{ "add_memory", 0, 3, { A_PFN, A_NR, A_NID }, i_add_memory, m_add_memory },
	{ "free_boot_range", 0, 2, { A_PFN, A_NR }, i_free_boot, m_free_boot },
	{ "nr_free", FZ_RET_VALUE, 1, { A_NID }, i_nr_free, m_nr_free },
	/* Literal forms, to name a page inside a block (appended: the byte
	 * encoding of the entries above stays as it was). */
	{ "get_page", 0, 1, { A_PFN }, i_get_page, m_get_page },
	{ "split_page", 0, 2, { A_PFN, A_ORDER }, i_split_page, m_split_page },
	{ "claim_reserved", 0, 2, { A_PFN, A_ORDER }, i_claim_reserved, m_claim_reserved },
};

enum {
	C_START, C_NODES, C_CPUS, C_MAX_ORDER, C_SECTION, C_HIGH, C_BATCH, C_BACKING,
	C_GAP0, C_LEN0, C_NID0, C_GAP1, C_LEN1, C_NID1, C_GAP2, C_LEN2, C_NID2, C_BOOT,
};

static const struct fz_cfg_def cfg[] = {
	{ "start_pfn", 0, 255, 0 },
	{ "nodes", 1, 4, 2 },
	{ "cpus", 1, 4, 2 },
	{ "max_order", 0, 8, 4 },
	{ "section_shift", 1, 10, 6 },
	{ "pcp_high", 0, 40, 8 },
	{ "pcp_batch", 1, 16, 4 },
	{ "backing", 0, 1, 1 },
	{ "gap0", 0, 63, 0 },
	{ "len0", 0, 200, 160 },
	{ "nid0", 0, 3, 0 },
	{ "gap1", 0, 63, 16 },
	{ "len1", 0, 200, 96 },
	{ "nid1", 0, 3, 1 },
	{ "gap2", 0, 63, 0 },
	{ "len2", 0, 200, 0 },
	{ "nid2", 0, 3, 0 },
	{ "boot_free", 0, 1, 1 },
};

/* ---- world ---- */

static void *create(const uint64_t *c, struct mm_meta *meta)
{
	struct buddy_config bc;
	struct world *w = calloc(1, sizeof(*w));
	uint64_t at;

	if (!w)
		abort();
	buddy_default_config(&bc, c[C_START], c[C_START] + SPAN);
	bc.nr_nodes = (unsigned)c[C_NODES];
	bc.nr_cpus = (unsigned)c[C_CPUS];
	bc.max_order = (unsigned)c[C_MAX_ORDER];
	bc.section_shift = (unsigned)c[C_SECTION];
	bc.pcp_high = (unsigned)c[C_HIGH];
	bc.pcp_batch = (unsigned)c[C_BATCH];
	bc.page_size = c[C_BACKING] ? BACKING_PAGE : 0;
	bc.meta = meta;
	w->m = bm_create(bc.start_pfn, bc.end_pfn, bc.max_order, bc.section_shift, bc.nr_nodes,
			 bc.nr_cpus);
	if (!w->m || buddy_create(&w->b, &bc) != 0)
		abort();
	w->block = (uint64_t)1 << bc.max_order;
	w->nr_cpus = bc.nr_cpus;
	w->nr_nodes = bc.nr_nodes;
	w->max_order = bc.max_order;
	w->lo = UINT64_MAX;
	/* The memory map: up to three ranges with holes between them. Boot is
	 * part of the config, not of the ops: both sides must accept it. */
	at = c[C_START];
	for (int r = 0; r < 3; r++) {
		uint64_t gap = c[C_GAP0 + 3 * r], len = c[C_LEN0 + 3 * r];
		int nid = (int)(c[C_NID0 + 3 * r] % bc.nr_nodes);

		at += gap;
		if (!len || at + len > bc.end_pfn)
			continue;
		if (buddy_add_memory(w->b, at, len, nid) != bm_add_memory(w->m, at, len, nid))
			abort();
		if (c[C_BOOT] &&
		    buddy_free_boot_range(w->b, at, len) != bm_free_boot_range(w->m, at, len))
			abort();
		at += len;
	}
	return w;
}

static void destroy(void *w)
{
	buddy_destroy(W->b);
	bm_destroy(W->m);
	free(w);
}

/* After every op buddy_check (the lists, and the pages changed since the
 * last one); where the whole state is compared, every page. */
static const char *check(void *w)
{
	return buddy_check(W->b);
}

static const char *check_full(void *w)
{
	return buddy_check_full(W->b);
}

static uint64_t nr_cached(const struct world *w)
{
	uint64_t n = 0;

	for (unsigned cpu = 0; cpu < w->nr_cpus; cpu++)
		n += buddy_nr_cached(w->b, cpu);
	return n;
}

/* After every op: the state, node, order and refcount of the pages it can
 * have touched. An op that emptied the caches (a drain, or an allocation
 * that drained them first) can have moved pages anywhere: then the whole
 * span. (The free lists, which a drain changes, are checked against the
 * greedy decomposition by compare_full.) */
static const char *compare(void *w, char *buf, size_t len)
{
	const char *e = NULL;
	uint64_t cached = nr_cached(W);
	bool emptied = W->cached && !cached;

	if (W->changed_on_error) {
		snprintf(buf, len, "alloc_pages failed but changed the caches or the lists");
		return buf;
	}
	if (emptied)
		touch(W, 0, UINT64_MAX);
	W->cached = cached;
	if (W->lo < W->hi)
		e = bm_compare_pages(W->m, W->b, W->lo, W->hi, false, buf, len);
	W->lo = UINT64_MAX;
	W->hi = 0;
	return e;
}

/* Every FZ_FULL_EVERY ops and after the last: every page of the span, the
 * free lists against the greedy decomposition when nothing is cached, and
 * the free pages of every node. */
static const char *compare_full(void *w, char *buf, size_t len)
{
	return bm_compare(W->m, W->b, buf, len);
}

/* Runs of pages with the same state, both sides. */
static void dump(void *w, FILE *f)
{
	uint64_t start = buddy_start_pfn(W->b), end = buddy_end_pfn(W->b);

	fprintf(f, "  implementation (cpu %u):", buddy_cpu(W->b));
	for (uint64_t pfn = start; pfn < end;) {
		struct buddy_page_info i;
		uint64_t n;

		buddy_page(W->b, pfn, &i);
		if (i.state == BUDDY_HOLE) {
			pfn++;
			continue;
		}
		n = (i.state == BUDDY_FREE || i.state == BUDDY_PCP || i.state == BUDDY_ALLOC)
			    ? (uint64_t)1 << i.order : 1;
		if (i.state != BUDDY_RESERVED)
			fprintf(f, " %s%" PRIx64 "/%u%s",
				i.state == BUDDY_FREE ? "F" : i.state == BUDDY_PCP ? "C" : "A", pfn,
				i.order, i.state == BUDDY_ALLOC && i.refcount != 1 ? "+" : "");
		pfn += n;
	}
	fprintf(f, "\n  (F free block on a list, C cached block, A allocated head; pfn/order)\n");
}

static const struct fz_target target = {
	.name = "buddy",
	.cfg = cfg,
	.ncfg = sizeof(cfg) / sizeof(cfg[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.create = create,
	.destroy = destroy,
	.compare = compare,
	.compare_full = compare_full,
	.check = check,
	.check_full = check_full,
	.dump = dump,
};

FZ_TARGET(target)
