/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vmap: every vmap operation, applied to lib/vmap.c and to the
 * interval-list model, which predicts every address and every purge. After
 * each op the free, busy and lazy areas must be the same lists on both
 * sides, and vmap_check must pass (tree colours and black height, every
 * subtree_max_size, list = tree, tiling of the range). The header places
 * the range low or at the very top of the address space, and sets the
 * lazy threshold and a fault schedule.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "compare.h"
#include "model.h"
#include "vmap.h"

#define PAGE 4096u
#define TOP_END ((uint64_t)0 - PAGE) /* the highest page-aligned end */
#define MAX_AREAS 8192

struct world {
	struct vmap *v;
	struct vm_model *m;
	uint64_t vstart, vend;
};

#define W ((struct world *)w)

/* ---- ops ---- */

static struct fz_result i_alloc(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = vmap_alloc(W->v, a[0], a[1], W->vstart, W->vend, &addr);

	return fz_val(rc, addr);
}
static struct fz_result m_alloc(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = vmm_alloc(W->m, a[0], a[1], W->vstart, W->vend, &addr);

	return fz_val(rc, addr);
}

static struct fz_result i_alloc_in(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = vmap_alloc(W->v, a[0], a[1], a[2], a[3], &addr);

	return fz_val(rc, addr);
}
static struct fz_result m_alloc_in(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = vmm_alloc(W->m, a[0], a[1], a[2], a[3], &addr);

	return fz_val(rc, addr);
}

static struct fz_result i_free(void *w, const uint64_t *a)
{
	return fz_rc(vmap_free(W->v, a[0]));
}
static struct fz_result m_free(void *w, const uint64_t *a)
{
	return fz_rc(vmm_free(W->m, a[0]));
}

static struct fz_result i_free_lazy(void *w, const uint64_t *a)
{
	return fz_rc(vmap_free_lazy(W->v, a[0]));
}
static struct fz_result m_free_lazy(void *w, const uint64_t *a)
{
	return fz_rc(vmm_free_lazy(W->m, a[0]));
}

static struct fz_result i_purge(void *w, const uint64_t *a)
{
	(void)a;
	vmap_purge(W->v);
	return fz_rc(0);
}
static struct fz_result m_purge(void *w, const uint64_t *a)
{
	(void)a;
	vmm_purge(W->m);
	return fz_rc(0);
}

/* find: the start of the busy area holding addr; find_size: its size. */
static struct fz_result find_on(struct world *w, bool model, uint64_t addr, bool size)
{
	uint64_t start = 0, bytes = 0;
	int rc = model ? vmm_find(w->m, addr, &start, &bytes) : vmap_find(w->v, addr, &start, &bytes);

	return fz_val(rc, size ? bytes : start);
}
static struct fz_result i_find(void *w, const uint64_t *a)
{
	return find_on(W, false, a[0], false);
}
static struct fz_result m_find(void *w, const uint64_t *a)
{
	return find_on(W, true, a[0], false);
}
static struct fz_result i_find_size(void *w, const uint64_t *a)
{
	return find_on(W, false, a[0], true);
}
static struct fz_result m_find_size(void *w, const uint64_t *a)
{
	return find_on(W, true, a[0], true);
}

static struct fz_result i_lazy_pages(void *w, const uint64_t *a)
{
	(void)a;
	return fz_val(0, vmap_lazy_pages(W->v));
}
static struct fz_result m_lazy_pages(void *w, const uint64_t *a)
{
	(void)a;
	return fz_val(0, vmm_lazy_pages(W->m));
}

/* ---- the table ---- */

#define A_SIZE { "size", FZ_SIZE, 0, 0, NULL }
#define A_ALIGN { "align", FZ_ALIGN, 0, 0, NULL }
#define A_H { "addr", FZ_HANDLE, 0, 0, NULL }
#define A_ADDR { "addr", FZ_ADDR, 0, 0, NULL }

static const struct fz_op_def ops[] = {
	{ "alloc", FZ_RET_HANDLE, 2, { A_SIZE, A_ALIGN }, i_alloc, m_alloc },
	{ "alloc", FZ_RET_HANDLE, 2, { A_SIZE, A_ALIGN }, i_alloc, m_alloc },
	{ "alloc_in", FZ_RET_HANDLE, 4,
	  { A_SIZE, A_ALIGN, { "lo", FZ_ADDR, 0, 0, NULL }, { "hi", FZ_ADDR, 0, 0, NULL } },
	  i_alloc_in, m_alloc_in },
	{ "free", 0, 1, { A_H }, i_free, m_free },
	{ "free", 0, 1, { A_H }, i_free, m_free },
	{ "free", 0, 1, { A_ADDR }, i_free, m_free },
	{ "free_lazy", 0, 1, { A_H }, i_free_lazy, m_free_lazy },
	{ "free_lazy", 0, 1, { A_ADDR }, i_free_lazy, m_free_lazy },
	{ "purge", 0, 0, { { 0 } }, i_purge, m_purge },
	{ "find", FZ_RET_VALUE, 1, { A_ADDR }, i_find, m_find },
	{ "lazy_pages", FZ_RET_VALUE, 0, { { 0 } }, i_lazy_pages, m_lazy_pages },
	{ "find_size", FZ_RET_VALUE, 1, { A_ADDR }, i_find_size, m_find_size },
};

enum { C_VSTART, C_PAGES, C_TOP, C_LAZY };

static const struct fz_cfg_def cfg[] = {
	{ "vstart_page", 0, 255, 1 },
	{ "pages", 1, 2048, 256 },
	{ "top", 0, 1, 0 },
	{ "lazy_max_pages", 0, 64, 8 },
};

/* ---- world ---- */

static void *create(const uint64_t *c, struct mm_meta *meta)
{
	struct world *w = calloc(1, sizeof(*w));
	struct vmap_config vc = { 0 };

	if (!w)
		abort();
	if (c[C_TOP]) { /* the range ends at the highest page boundary */
		w->vend = TOP_END;
		w->vstart = TOP_END - c[C_PAGES] * PAGE;
	} else {
		w->vstart = c[C_VSTART] * PAGE;
		w->vend = w->vstart + c[C_PAGES] * PAGE;
	}
	vc.vstart = w->vstart;
	vc.vend = w->vend;
	vc.page_size = PAGE;
	vc.lazy_max_pages = c[C_LAZY];
	vc.meta = meta;
	w->m = vmm_create(w->vstart, w->vend, PAGE, c[C_LAZY]);
	if (!w->m || vmap_create(&w->v, &vc) != 0)
		abort();
	return w;
}

static void destroy(void *w)
{
	vmap_destroy(W->v);
	vmm_destroy(W->m);
	free(w);
}

static const char *check(void *w)
{
	return vmap_check(W->v);
}

struct list {
	uint64_t start[MAX_AREAS], end[MAX_AREAS];
	size_t n;
};

static void collect(void *ctx, uint64_t start, uint64_t end)
{
	struct list *l = ctx;

	if (l->n < MAX_AREAS) {
		l->start[l->n] = start;
		l->end[l->n] = end;
	}
	l->n++;
}

static const char *const kind_names[] = { "free", "busy", "lazy" };

static const char *compare(void *w, char *buf, size_t len)
{
	return vmm_compare(W->m, W->v, buf, len);
}

static void dump_kind(void *ctx, uint64_t start, uint64_t end)
{
	fprintf(ctx, " [0x%" PRIx64 "-0x%" PRIx64 ")", start, end);
}

static void dump(void *w, FILE *f)
{
	static struct list model;

	for (int k = VMAP_FREE; k <= VMAP_LAZY; k++) {
		fprintf(f, "  implementation %s:", kind_names[k]);
		vmap_walk(W->v, (enum vmap_kind)k, dump_kind, f);
		model.n = vmm_areas(W->m, (enum vmap_kind)k, model.start, model.end, MAX_AREAS);
		fprintf(f, "\n  model          %s:", kind_names[k]);
		for (size_t i = 0; i < model.n && i < MAX_AREAS; i++)
			fprintf(f, " [0x%" PRIx64 "-0x%" PRIx64 ")", model.start[i], model.end[i]);
		fprintf(f, "\n");
	}
}

/* expect free|busy|lazy [START-END]...: the exact list of that kind. */
static const char *expect(void *w, const char *line, char *buf, size_t len)
{
	static struct list got;
	char copy[1024], *save = NULL, *tok;
	size_t i = 0;
	int k;

	snprintf(copy, sizeof(copy), "%s", line);
	tok = strtok_r(copy, " \t", &save);
	for (k = 0; k < 3 && tok; k++)
		if (!strcmp(tok, kind_names[k]))
			break;
	if (!tok || k == 3) {
		snprintf(buf, len, "usage: expect free|busy|lazy [START-END]...");
		return buf;
	}
	got.n = 0;
	vmap_walk(W->v, (enum vmap_kind)k, collect, &got);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *dash = strchr(tok, '-');
		uint64_t s, e;

		if (!strcmp(tok, "empty"))
			continue;
		if (!dash) {
			snprintf(buf, len, "'%s' is not START-END", tok);
			return buf;
		}
		*dash = 0;
		s = strtoull(tok, NULL, 0);
		e = strtoull(dash + 1, NULL, 0);
		if (i >= got.n || got.start[i] != s || got.end[i] != e) {
			snprintf(buf, len, "%s area %zu is not [0x%" PRIx64 "-0x%" PRIx64 ")",
				 kind_names[k], i, s, e);
			return buf;
		}
		i++;
	}
	if (i != got.n) {
		snprintf(buf, len, "%zu %s areas, expected %zu", got.n, kind_names[k], i);
		return buf;
	}
	return NULL;
}

static const struct fz_target target = {
	.name = "vmap",
	.cfg = cfg,
	.ncfg = sizeof(cfg) / sizeof(cfg[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.create = create,
	.destroy = destroy,
	.compare = compare,
	.check = check,
	.expect = expect,
	.dump = dump,
};

FZ_TARGET(target)
