/* SPDX-License-Identifier: MIT */
/* compare.c - a kho instance's sets against the model's (see compare.h). */
#include <inttypes.h>
#include <stdio.h>

#include "compare.h"

void km_walk_collect(void *ctx, uint64_t pfn, unsigned order)
{
	struct km_walk *wk = ctx;

	if (wk->n < KM_WALK_MAX)
		wk->f[wk->n] = (struct km_folio){ pfn, order, false };
	wk->n++;
}

const char *km_compare_set(const struct kho *k, enum kho_set_id id, const struct km_set *m,
			   char *buf, size_t len)
{
	static struct km_walk wk;
	size_t j = 0;

	wk.n = 0;
	kho_walk(k, id, km_walk_collect, &wk);
	for (size_t i = 0; i < m->n; i++) {
		if (m->f[i].restored)
			continue;
		if (j >= wk.n || j >= KM_WALK_MAX || wk.f[j].pfn != m->f[i].pfn ||
		    wk.f[j].order != m->f[i].order) {
			snprintf(buf, len, "%s set: model has 0x%" PRIx64 "/%u, implementation %s",
				 id == KHO_PRESERVED ? "preserved" : "incoming", m->f[i].pfn,
				 m->f[i].order, j < wk.n ? "another folio there" : "none");
			return buf;
		}
		j++;
	}
	if (j != wk.n) {
		snprintf(buf, len, "%s set: the implementation has %zu folios, the model %zu",
			 id == KHO_PRESERVED ? "preserved" : "incoming", wk.n, j);
		return buf;
	}
	return NULL;
}

const char *km_compare_sets(const struct kho *k, unsigned mask, const struct km_set *out,
			    const struct km_set *in, char *buf, size_t len)
{
	const char *e = NULL;

	if (mask & 1u << KHO_PRESERVED)
		e = km_compare_set(k, KHO_PRESERVED, out, buf, len);
	if (!e && mask & 1u << KHO_INCOMING)
		e = km_compare_set(k, KHO_INCOMING, in, buf, len);
	return e;
}
