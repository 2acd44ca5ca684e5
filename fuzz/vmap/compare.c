/* SPDX-License-Identifier: MIT */
/* compare.c - a vmap instance against the interval model (see compare.h). */
#include "compare.h"

#include <inttypes.h>
#include <stdio.h>

#define MAX_AREAS 4096

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

const char *vmm_compare(const struct vm_model *m, const struct vmap *v, char *buf, size_t len)
{
	static const char *const kind[] = { "free", "busy", "lazy" };
	static struct list impl, model;

	for (int k = VMAP_FREE; k <= VMAP_LAZY; k++) {
		impl.n = 0;
		vmap_walk(v, (enum vmap_kind)k, collect, &impl);
		model.n = vmm_areas(m, (enum vmap_kind)k, model.start, model.end, MAX_AREAS);
		if (impl.n > MAX_AREAS || model.n > MAX_AREAS) {
			snprintf(buf, len, "more than %d %s areas to compare", MAX_AREAS, kind[k]);
			return buf;
		}
		for (size_t i = 0; i < impl.n || i < model.n; i++) {
			if (i < impl.n && i < model.n && impl.start[i] == model.start[i] &&
			    impl.end[i] == model.end[i])
				continue;
			snprintf(buf, len,
				 "%s areas differ at %zu: [0x%" PRIx64 "-0x%" PRIx64 ") vs model [0x%" PRIx64
				 "-0x%" PRIx64 ") (%zu vs %zu areas)",
				 kind[k], i, i < impl.n ? impl.start[i] : 0, i < impl.n ? impl.end[i] : 0,
				 i < model.n ? model.start[i] : 0, i < model.n ? model.end[i] : 0, impl.n,
				 model.n);
			return buf;
		}
	}
	if (vmap_lazy_pages(v) != vmm_lazy_pages(m)) {
		snprintf(buf, len, "lazy pages %" PRIu64 ", model %" PRIu64, vmap_lazy_pages(v),
			 vmm_lazy_pages(m));
		return buf;
	}
	return NULL;
}
