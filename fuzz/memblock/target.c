/* SPDX-License-Identifier: MIT */
/*
 * fuzz_memblock: every memblock operation, applied to lib/memblock.c and to
 * the painted-interval model; after each op both region lists, the free
 * ranges of every node and the policy must be equal, and memblock_check
 * must pass. (The free ranges are walked again only after an op that
 * changed the lists, which they are a function of, and in the whole-state
 * comparison.) The input header sets small initial capacities, so that the
 * arrays grow often, and a fault schedule that fails growth.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"
#include "memblock.h"
#include "compare.h"
#include "model.h"

#define NODES MBM_CMP_NODES /* nids the fuzzer uses: -1 .. NODES-1 (others are bad input) */

struct world {
	struct memblock *mb;
	struct mbm *m;
	/* The model's generation when the free ranges last agreed. */
	uint64_t ranges_seen;
};

/* ---- helpers ---- */

#define W ((struct world *)w)
/* A raw (bad) int argument may not fit an int: keep it out of range. */
static int nid_arg(uint64_t v)
{
	int64_t s = (int64_t)v;

	return s < -1000 || s > 1000 ? 1000 : (int)s;
}

static uint32_t flags_arg(uint64_t v)
{
	return v > UINT32_MAX ? 0x80u : (uint32_t)v;
}

/* ---- ops: implementation and model side by side ---- */

static struct fz_result i_add(void *w, const uint64_t *a)
{
	return fz_rc(memblock_add(W->mb, a[0], a[1]));
}
static struct fz_result m_add(void *w, const uint64_t *a)
{
	return fz_rc(mbm_add(W->m, a[0], a[1]));
}

static struct fz_result i_add_node(void *w, const uint64_t *a)
{
	return fz_rc(memblock_add_node(W->mb, a[0], a[1], nid_arg(a[2]), flags_arg(a[3])));
}
static struct fz_result m_add_node(void *w, const uint64_t *a)
{
	return fz_rc(mbm_add_node(W->m, a[0], a[1], nid_arg(a[2]), flags_arg(a[3])));
}

static struct fz_result i_reserve(void *w, const uint64_t *a)
{
	return fz_rc(memblock_reserve(W->mb, a[0], a[1]));
}
static struct fz_result m_reserve(void *w, const uint64_t *a)
{
	return fz_rc(mbm_reserve(W->m, a[0], a[1]));
}

static struct fz_result i_remove(void *w, const uint64_t *a)
{
	return fz_rc(memblock_remove(W->mb, a[0], a[1]));
}
static struct fz_result m_remove(void *w, const uint64_t *a)
{
	return fz_rc(mbm_remove(W->m, a[0], a[1]));
}

static struct fz_result i_phys_free(void *w, const uint64_t *a)
{
	return fz_rc(memblock_phys_free(W->mb, a[0], a[1]));
}
static struct fz_result m_phys_free(void *w, const uint64_t *a)
{
	return fz_rc(mbm_phys_free(W->m, a[0], a[1]));
}

#define FLAG_OP(name, flag, set)                                                  \
	static struct fz_result i_##name(void *w, const uint64_t *a)              \
	{                                                                         \
		return fz_rc(memblock_##name(W->mb, a[0], a[1]));                     \
	}                                                                         \
	static struct fz_result m_##name(void *w, const uint64_t *a)              \
	{                                                                         \
		return fz_rc(mbm_setclr_flag(W->m, a[0], a[1], flag, set));          \
	}
FLAG_OP(mark_hotplug, MEMBLOCK_HOTPLUG, true)
FLAG_OP(clear_hotplug, MEMBLOCK_HOTPLUG, false)
FLAG_OP(mark_mirror, MEMBLOCK_MIRROR, true)
FLAG_OP(mark_nomap, MEMBLOCK_NOMAP, true)
FLAG_OP(clear_nomap, MEMBLOCK_NOMAP, false)

static enum memblock_type_id type_arg(uint64_t v)
{
	return v > 1 ? (enum memblock_type_id)7 : (enum memblock_type_id)v;
}

static struct fz_result i_set_node(void *w, const uint64_t *a)
{
	return fz_rc(memblock_set_node(W->mb, a[0], a[1], type_arg(a[2]), nid_arg(a[3])));
}
static struct fz_result m_set_node(void *w, const uint64_t *a)
{
	return fz_rc(mbm_set_node(W->m, a[0], a[1], (int)type_arg(a[2]), nid_arg(a[3])));
}

static struct fz_result i_trim(void *w, const uint64_t *a)
{
	return fz_rc(memblock_trim_memory(W->mb, a[0]));
}
static struct fz_result m_trim(void *w, const uint64_t *a)
{
	return fz_rc(mbm_trim_memory(W->m, a[0]));
}

static struct fz_result i_limit(void *w, const uint64_t *a)
{
	memblock_set_current_limit(W->mb, a[0]);
	return fz_rc(0);
}
static struct fz_result m_limit(void *w, const uint64_t *a)
{
	mbm_set_current_limit(W->m, a[0]);
	return fz_rc(0);
}

static struct fz_result i_bottom_up(void *w, const uint64_t *a)
{
	memblock_set_bottom_up(W->mb, a[0] != 0);
	return fz_rc(0);
}
static struct fz_result m_bottom_up(void *w, const uint64_t *a)
{
	mbm_set_bottom_up(W->m, a[0] != 0);
	return fz_rc(0);
}

static struct fz_result i_alloc_range(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = memblock_phys_alloc_range(W->mb, a[0], a[1], a[2], a[3], nid_arg(a[4]),
					   a[5] != 0, &addr);

	return fz_val(rc, addr);
}
static struct fz_result m_alloc_range(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = mbm_phys_alloc_range(W->m, a[0], a[1], a[2], a[3], nid_arg(a[4]), a[5] != 0,
				      &addr);

	return fz_val(rc, addr);
}

static struct fz_result i_try_nid(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = memblock_alloc_try_nid(W->mb, a[0], a[1], a[2], a[3], nid_arg(a[4]), &addr);

	return fz_val(rc, addr);
}
static struct fz_result m_try_nid(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = mbm_alloc_nid(W->m, a[0], a[1], a[2], a[3], nid_arg(a[4]), false, &addr);

	return fz_val(rc, addr);
}

static struct fz_result i_exact_nid(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = memblock_alloc_exact_nid(W->mb, a[0], a[1], a[2], a[3], nid_arg(a[4]), &addr);

	return fz_val(rc, addr);
}
static struct fz_result m_exact_nid(void *w, const uint64_t *a)
{
	uint64_t addr = 0;
	int rc = mbm_alloc_nid(W->m, a[0], a[1], a[2], a[3], nid_arg(a[4]), true, &addr);

	return fz_val(rc, addr);
}

static struct fz_result i_is_memory(void *w, const uint64_t *a)
{
	return fz_bool(memblock_is_memory(W->mb, a[0]));
}
static struct fz_result m_is_memory(void *w, const uint64_t *a)
{
	return fz_bool(mbm_is_memory(W->m, a[0]));
}

static struct fz_result i_is_reserved(void *w, const uint64_t *a)
{
	return fz_bool(memblock_is_region_reserved(W->mb, a[0], a[1]));
}
static struct fz_result m_is_reserved(void *w, const uint64_t *a)
{
	return fz_bool(mbm_is_region_reserved(W->m, a[0], a[1]));
}

#define QUERY_OP(name)                                                            \
	static struct fz_result i_##name(void *w, const uint64_t *a)              \
	{                                                                         \
		(void)a;                                                          \
		return fz_val(0, memblock_##name(W->mb));                             \
	}                                                                         \
	static struct fz_result m_##name(void *w, const uint64_t *a)              \
	{                                                                         \
		(void)a;                                                          \
		return fz_val(0, mbm_##name(W->m));                                   \
	}
QUERY_OP(phys_mem_size)
QUERY_OP(reserved_size)
QUERY_OP(start_of_DRAM)
QUERY_OP(end_of_DRAM)

static struct fz_result i_free_ranges(void *w, const uint64_t *a)
{
	uint64_t it = 0, s, e, n = 0;
	int nid;

	while (memblock_next_free_range(W->mb, nid_arg(a[0]), &it, &s, &e, &nid))
		n++;
	return fz_val(0, n);
}
static struct fz_result m_free_ranges(void *w, const uint64_t *a)
{
	return fz_val(0, mbm_free_ranges(W->m, nid_arg(a[0]), NULL, NULL, NULL, 0));
}

static struct fz_result i_allow_resize(void *w, const uint64_t *a)
{
	(void)a;
	memblock_allow_resize(W->mb);
	return fz_rc(0);
}
static struct fz_result m_allow_resize(void *w, const uint64_t *a)
{
	(void)a;
	/* The capacities the arrays reached by bookkeeping growth, which the
	 * model does not predict (see mbm_allow_resize). */
	if (W->mb) /* --emit-kernel-test runs the model alone */
		mbm_allow_resize(W->m, memblock_array_max(W->mb, MEMBLOCK_MEMORY),
				 memblock_array_max(W->mb, MEMBLOCK_RESERVED));
	return fz_rc(0);
}

/* ---- the table ---- */

static const char *const type_names[] = { "memory", "reserved" };

#define A_BASE { "base", FZ_ADDR, 0, 0, NULL }
#define A_SIZE { "size", FZ_SIZE, 0, 0, NULL }
#define A_NID { "nid", FZ_INT, -1, NODES - 1, NULL }
#define RANGE_OP(n, i, m) { n, 0, 2, { A_BASE, A_SIZE }, i, m }
#define ALLOC_ARGS { "size", FZ_SIZE, 0, 0, NULL }, { "align", FZ_ALIGN, 0, 0, NULL }

static const struct fz_op_def ops[] = {
	RANGE_OP("add", i_add, m_add),
	{ "add_node", 0, 4,
	  { A_BASE, A_SIZE, A_NID, { "flags", FZ_INT, 0, MEMBLOCK_FLAGS_MASK, NULL } },
	  i_add_node, m_add_node },
	RANGE_OP("reserve", i_reserve, m_reserve),
	RANGE_OP("reserve", i_reserve, m_reserve), /* twice: reserves are the common case */
	RANGE_OP("remove", i_remove, m_remove),
	RANGE_OP("phys_free", i_phys_free, m_phys_free),
	RANGE_OP("mark_hotplug", i_mark_hotplug, m_mark_hotplug),
	RANGE_OP("clear_hotplug", i_clear_hotplug, m_clear_hotplug),
	RANGE_OP("mark_mirror", i_mark_mirror, m_mark_mirror),
	RANGE_OP("mark_nomap", i_mark_nomap, m_mark_nomap),
	RANGE_OP("clear_nomap", i_clear_nomap, m_clear_nomap),
	{ "set_node", 0, 4, { A_BASE, A_SIZE, { "type", FZ_ENUM, 0, 1, type_names }, A_NID },
	  i_set_node, m_set_node },
	{ "trim_memory", 0, 1, { { "align", FZ_ALIGN, 0, 0, NULL } }, i_trim, m_trim },
	{ "set_current_limit", 0, 1, { { "limit", FZ_ADDR, 0, 0, NULL } }, i_limit, m_limit },
	{ "set_bottom_up", 0, 1, { { "enable", FZ_INT, 0, 1, NULL } }, i_bottom_up,
	  m_bottom_up },
	{ "phys_alloc_range", FZ_RET_VALUE, 6,
	  { ALLOC_ARGS, { "start", FZ_ADDR, 0, 0, NULL }, { "end", FZ_ADDR, 0, 0, NULL },
	    A_NID, { "exact", FZ_INT, 0, 1, NULL } },
	  i_alloc_range, m_alloc_range },
	{ "alloc_try_nid", FZ_RET_VALUE, 5,
	  { ALLOC_ARGS, { "min", FZ_ADDR, 0, 0, NULL }, { "max", FZ_ADDR, 0, 0, NULL }, A_NID },
	  i_try_nid, m_try_nid },
	{ "alloc_exact_nid", FZ_RET_VALUE, 5,
	  { ALLOC_ARGS, { "min", FZ_ADDR, 0, 0, NULL }, { "max", FZ_ADDR, 0, 0, NULL }, A_NID },
	  i_exact_nid, m_exact_nid },
	{ "is_memory", FZ_RET_BOOL, 1, { { "addr", FZ_ADDR, 0, 0, NULL } }, i_is_memory,
	  m_is_memory },
	{ "is_region_reserved", FZ_RET_BOOL, 2, { A_BASE, A_SIZE }, i_is_reserved,
	  m_is_reserved },
	{ "phys_mem_size", FZ_RET_VALUE, 0, { { 0 } }, i_phys_mem_size, m_phys_mem_size },
	{ "reserved_size", FZ_RET_VALUE, 0, { { 0 } }, i_reserved_size, m_reserved_size },
	{ "start_of_DRAM", FZ_RET_VALUE, 0, { { 0 } }, i_start_of_DRAM, m_start_of_DRAM },
	{ "end_of_DRAM", FZ_RET_VALUE, 0, { { 0 } }, i_end_of_DRAM, m_end_of_DRAM },
	{ "free_ranges", FZ_RET_VALUE, 1, { A_NID }, i_free_ranges, m_free_ranges },
	{ "allow_resize", 0, 0, { { 0 } }, i_allow_resize, m_allow_resize },
};

enum { CFG_MEMORY_CAP, CFG_RESERVED_CAP, CFG_MIRROR, CFG_SELF_HOSTED };

static const struct fz_cfg_def cfg[] = {
	{ "memory_cap", 1, 16, 4 },
	{ "reserved_cap", 1, 16, 4 },
	{ "mirror", 0, 1, 0 }, /* mirrored_kernelcore */
	{ "self_hosted", 0, 1, 0 }, /* self_hosted_arrays */
};

/* Built as fuzz_memblock_kernel (fuzz/memblock/kernel/), the implementation
 * is a kernel tree's mm/memblock.c and the model takes the kernel profile. */
#ifdef MMSTACK_KERNEL_BACKEND
#define KERNEL_PROFILE true
#else
#define KERNEL_PROFILE false
#endif

/* ---- world ---- */

static void *create(const uint64_t *c, struct mm_meta *meta)
{
	struct memblock_config mc = { .memory_cap = c[CFG_MEMORY_CAP],
				      .reserved_cap = c[CFG_RESERVED_CAP],
				      .meta = meta,
				      .mirrored_kernelcore = c[CFG_MIRROR] != 0,
				      .self_hosted_arrays = c[CFG_SELF_HOSTED] != 0 };
	struct mbm_config mcfg = { .kernel = KERNEL_PROFILE,
				   .mirrored_kernelcore = c[CFG_MIRROR] != 0,
				   .self_hosted = c[CFG_SELF_HOSTED] != 0 };
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		abort();
	w->m = mbm_create_cfg(&mcfg);
	if (!w->m || memblock_create(&w->mb, &mc) != 0)
		abort();
	w->ranges_seen = UINT64_MAX;
	return w;
}

static void destroy(void *w)
{
	memblock_destroy(W->mb);
	mbm_destroy(W->m);
	free(w);
}

static const char *check(void *w)
{
	return memblock_check(W->mb);
}

/* After every op: the region lists, and the free ranges when an op
 * changed the lists (mbm_compare_step). */
static const char *compare(void *w, char *buf, size_t len)
{
	return mbm_compare_step(W->m, W->mb, &W->ranges_seen, buf, len);
}

/* Every FZ_FULL_EVERY ops, after expect lines and after the last op. */
static const char *compare_full(void *w, char *buf, size_t len)
{
	return mbm_compare(W->m, W->mb, buf, len);
}

static void dump(void *w, FILE *f)
{
	mbm_dump(W->m, W->mb, f);
}

/*
 * expect memory|reserved [BASE-END [nid=N] [flags=F]]...   the exact list
 * expect grows memory|reserved N                           array growths
 */
static const char *expect(void *w, const char *line, char *buf, size_t len)
{
	char copy[1024], *save = NULL, *tok;
	int type;
	size_t i = 0, n;
	const struct memblock_region *r = NULL;

	snprintf(copy, sizeof(copy), "%s", line);
	tok = strtok_r(copy, " \t", &save);
	if (tok && !strcmp(tok, "grows")) {
		char *t = strtok_r(NULL, " \t", &save), *v = strtok_r(NULL, " \t", &save);
		uint64_t got;

		type = t && !strcmp(t, "reserved") ? 1 : 0;
		if (!t || !v || (strcmp(t, "memory") && strcmp(t, "reserved"))) {
			snprintf(buf, len, "usage: expect grows memory|reserved N");
			return buf;
		}
		got = memblock_grow_count(W->mb, (enum memblock_type_id)type);
		if (got != strtoull(v, NULL, 0)) {
			snprintf(buf, len, "%s grew %" PRIu64 " times", t, got);
			return buf;
		}
		return NULL;
	}
	if (!tok || (strcmp(tok, "memory") && strcmp(tok, "reserved"))) {
		snprintf(buf, len, "expect memory|reserved|grows ...");
		return buf;
	}
	type = !strcmp(tok, "reserved");
	n = memblock_region_count(W->mb, (enum memblock_type_id)type);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		uint64_t v;

		if (!strncmp(tok, "nid=", 4) || !strncmp(tok, "flags=", 6)) {
			bool is_nid = tok[0] == 'n';
			char *val = strchr(tok, '=') + 1;

			if (!r) {
				snprintf(buf, len, "'%s' before any region", tok);
				return buf;
			}
			v = (uint64_t)strtoll(val, NULL, 0);
			if (!is_nid && !strcmp(val, "hotplug"))
				v = MEMBLOCK_HOTPLUG;
			else if (!is_nid && !strcmp(val, "mirror"))
				v = MEMBLOCK_MIRROR;
			else if (!is_nid && !strcmp(val, "nomap"))
				v = MEMBLOCK_NOMAP;
			if (is_nid ? r->nid != (int)(int64_t)v : r->flags != (uint32_t)v) {
				snprintf(buf, len, "region %zu has %s=%" PRId64, i - 1,
					 is_nid ? "nid" : "flags",
					 is_nid ? (int64_t)r->nid : (int64_t)r->flags);
				return buf;
			}
		} else if (!strcmp(tok, "empty")) {
			continue;
		} else {
			char *dash = strchr(tok, '-');
			uint64_t b, e;

			if (!dash) {
				snprintf(buf, len, "'%s' is not BASE-END", tok);
				return buf;
			}
			*dash = 0;
			b = strtoull(tok, NULL, 0);
			e = strtoull(dash + 1, NULL, 0);
			r = memblock_region(W->mb, (enum memblock_type_id)type, i);
			if (!r) {
				snprintf(buf, len, "only %zu regions; no [0x%" PRIx64 "-0x%" PRIx64 ")",
					 n, b, e);
				return buf;
			}
			if (r->base != b || r->base + r->size != e) {
				snprintf(buf, len,
					 "region %zu is [0x%" PRIx64 "-0x%" PRIx64 "), not [0x%" PRIx64
					 "-0x%" PRIx64 ")",
					 i, r->base, r->base + r->size, b, e);
				return buf;
			}
			i++;
		}
	}
	if (i != n) {
		snprintf(buf, len, "%zu regions, expected %zu", n, i);
		return buf;
	}
	return NULL;
}

static const struct fz_target target = {
	.name = "memblock",
	.cfg = cfg,
	.ncfg = sizeof(cfg) / sizeof(cfg[0]),
	.ops = ops,
	.nops = sizeof(ops) / sizeof(ops[0]),
	.create = create,
	.destroy = destroy,
	.compare = compare,
	.compare_full = compare_full,
	.check = check,
	.expect = expect,
	.dump = dump,
};

FZ_TARGET(target)

#ifndef MMSTACK_KERNEL_BACKEND
/*
 * fuzz_memblock --emit-kernel-test TRACE: the trace as a C test function for
 * a kernel tree's tools/testing/memblock/tests/, in that directory's style.
 * Every op becomes the kernel call, and what the model in its kernel profile
 * predicts becomes an ASSERT_EQ: the result of each op, and both region
 * lists (with total_size) after every op that changes them. The test passes
 * exactly when the kernel does what the model says. Ops with arguments
 * that shim.c rejects (outside the kernel's contract) become comments; so
 * do the trace's fault schedule and memory_cap / reserved_cap, which the
 * kernel has no equivalent of.
 */
static void emit_c_name(FILE *out, const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	fprintf(out, "memblock_mmstack_");
	for (; *b && strcmp(b, ".trace"); b++)
		fputc(isalnum((unsigned char)*b) ? *b : '_', out);
}

static void emit_nid(FILE *out, int nid)
{
	if (nid == NUMA_NO_NODE)
		fprintf(out, "NUMA_NO_NODE");
	else if (nid == MEMBLOCK_MAX_NUMNODES)
		fprintf(out, "MAX_NUMNODES");
	else
		fprintf(out, "%d", nid);
}

/* The free ranges of every node, one by one, as for_each_free_mem_range
 * must give them. */
static void emit_free_ranges(FILE *out, const struct mbm *m)
{
	size_t n = mbm_free_ranges(m, NUMA_NO_NODE, NULL, NULL, NULL, 0);
	uint64_t *s = calloc(n + 1, sizeof(*s)), *e = calloc(n + 1, sizeof(*e));
	int *nid = calloc(n + 1, sizeof(*nid));

	if (!s || !e || !nid)
		abort();
	mbm_free_ranges(m, NUMA_NO_NODE, s, e, nid, n);
	fprintf(out, "\t{\n\t\tstatic const phys_addr_t want[][2] = {");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s{ 0x%" PRIx64 ", 0x%" PRIx64 " }", i ? ", " : " ", s[i], e[i]);
	fprintf(out, "%s{ 0, 0 } };\n\n", n ? ", " : " ");
	fprintf(out, "\t\tn = 0;\n\t\tfor_each_free_mem_range(i, NUMA_NO_NODE, MEMBLOCK_NONE, "
		     "&start, &end, NULL) {\n");
	fprintf(out, "\t\t\tASSERT_LT(n, %zu);\n", n);
	fprintf(out, "\t\t\tASSERT_EQ(want[n][0], start);\n\t\t\tASSERT_EQ(want[n][1], end);\n"
		     "\t\t\tn++;\n\t\t}\n");
	fprintf(out, "\t\tASSERT_EQ(%zu, n);\n\t}\n", n);
	free(s);
	free(e);
	free(nid);
}

static void emit_regions(FILE *out, const struct mbm *m, struct memblock_region *prev[2],
			 size_t nprev[2])
{
	static const char *const field[] = { "memblock.memory", "memblock.reserved" };
	bool changed = false;

	for (int t = 0; t < 2; t++) {
		size_t n = mbm_regions(m, t, NULL, 0);
		struct memblock_region *r = calloc(n + 1, sizeof(*r));
		uint64_t sum = 0;

		if (!r)
			abort();
		mbm_regions(m, t, r, n);
		if (prev[t] && nprev[t] == n && !memcmp(prev[t], r, n * sizeof(*r))) {
			free(r);
			continue;
		}
		fprintf(out, "\tASSERT_EQ(%zu, %s.cnt);\n", n, field[t]);
		for (size_t i = 0; i < n; i++) {
			fprintf(out, "\tASSERT_EQ(0x%" PRIx64 ", %s.regions[%zu].base);\n", r[i].base,
				field[t], i);
			fprintf(out, "\tASSERT_EQ(0x%" PRIx64 ", %s.regions[%zu].size);\n", r[i].size,
				field[t], i);
			fprintf(out, "\tASSERT_EQ(0x%x, %s.regions[%zu].flags);\n", r[i].flags, field[t],
				i);
			fprintf(out, "\tASSERT_EQ(");
			emit_nid(out, r[i].nid);
			fprintf(out, ", memblock_get_region_node(&%s.regions[%zu]));\n", field[t], i);
			sum += r[i].size;
		}
		fprintf(out, "\tASSERT_EQ(0x%" PRIx64 ", %s.total_size);\n", sum, field[t]);
		free(prev[t]);
		prev[t] = r;
		nprev[t] = n;
		changed = true;
	}
	if (changed)
		emit_free_ranges(out, m);
}

static void emit_op(FILE *out, const struct fz_op_def *d, const uint64_t *a,
		    struct fz_result r)
{
	const char *n = d->name;
	uint64_t found = r.rc == 0 ? r.val : 0;

	if (!strcmp(n, "add")) {
		fprintf(out, "\trc = memblock_add(0x%" PRIx64 ", 0x%" PRIx64 ");\n\tASSERT_EQ(%d, rc);\n", a[0],
			a[1], r.rc);
	} else if (!strcmp(n, "add_node")) {
		fprintf(out, "\trc = memblock_add_node(0x%" PRIx64 ", 0x%" PRIx64 ", ", a[0], a[1]);
		emit_nid(out, nid_arg(a[2]));
		fprintf(out, ", 0x%x);\n\tASSERT_EQ(%d, rc);\n", flags_arg(a[3]), r.rc);
	} else if (!strcmp(n, "set_node")) {
		fprintf(out, "\trc = memblock_set_node(0x%" PRIx64 ", 0x%" PRIx64 ", %s, ", a[0], a[1],
			a[2] ? "&memblock.reserved" : "&memblock.memory");
		emit_nid(out, nid_arg(a[3]));
		fprintf(out, ");\n\tASSERT_EQ(%d, rc);\n", r.rc);
	} else if (!strcmp(n, "trim_memory")) {
		fprintf(out, "\tmemblock_trim_memory(0x%" PRIx64 ");\n", a[0]);
	} else if (!strcmp(n, "set_current_limit")) {
		fprintf(out, "\tmemblock_set_current_limit(0x%" PRIx64 ");\n", a[0]);
	} else if (!strcmp(n, "set_bottom_up")) {
		fprintf(out, "\tmemblock_set_bottom_up(%s);\n", a[0] ? "true" : "false");
	} else if (!strcmp(n, "phys_alloc_range")) {
		fprintf(out,
			"\taddr = memblock_alloc_range_nid(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
			", 0x%" PRIx64 ", ",
			a[0], a[1], a[2], a[3]);
		emit_nid(out, nid_arg(a[4]));
		fprintf(out, ", %s);\n\tASSERT_EQ(0x%" PRIx64 ", addr);\n", a[5] ? "true" : "false",
			found);
	} else if (!strcmp(n, "alloc_try_nid") || !strcmp(n, "alloc_exact_nid")) {
		fprintf(out,
			"\taddr = (phys_addr_t)memblock_alloc_%s_nid_raw(0x%" PRIx64 ", 0x%" PRIx64
			", 0x%" PRIx64 ", 0x%" PRIx64 ", ",
			n[6] == 't' ? "try" : "exact", a[0], a[1], a[2], a[3]);
		emit_nid(out, nid_arg(a[4]));
		fprintf(out, ");\n\tASSERT_EQ(0x%" PRIx64 ", addr);\n", found);
	} else if (!strcmp(n, "is_memory")) {
		fprintf(out, "\tASSERT_EQ(%s, memblock_is_memory(0x%" PRIx64 "));\n",
			r.val ? "true" : "false", a[0]);
	} else if (!strcmp(n, "is_region_reserved")) {
		fprintf(out, "\tASSERT_EQ(%s, memblock_is_region_reserved(0x%" PRIx64 ", 0x%" PRIx64
			"));\n", r.val ? "true" : "false", a[0], a[1]);
	} else if (!strcmp(n, "free_ranges")) {
		fprintf(out, "\tn = 0;\n\tfor_each_free_mem_range(i, ");
		emit_nid(out, nid_arg(a[0]));
		fprintf(out, ", MEMBLOCK_NONE, &start, &end, NULL)\n\t\tn++;\n");
		fprintf(out, "\tASSERT_EQ(%" PRIu64 ", n);\n", r.val);
	} else if (!strcmp(n, "allow_resize")) {
		/* The kernel profile's arrays can resize from the start; in the
		 * simulator a growth would write to a physical address. */
		fprintf(out, "\t/* allow_resize: nothing to call, see the kernel profile */\n");
	} else if (d->nargs == 0) { /* the size and DRAM queries */
		fprintf(out, "\tASSERT_EQ(0x%" PRIx64 ", memblock_%s());\n", r.val, n);
	} else { /* the range ops: reserve, remove, phys_free, the flag setters */
		fprintf(out, "\trc = memblock_%s(0x%" PRIx64 ", 0x%" PRIx64 ");\n\tASSERT_EQ(%d, rc);\n",
			n, a[0], a[1], r.rc);
	}
}

int memblock_emit_kernel_test(const char *path, FILE *out);
int memblock_emit_kernel_test(const char *path, FILE *out)
{
	static struct fz_prog p;
	struct memblock_region *prev[2] = { NULL, NULL };
	size_t nprev[2] = { 0, 0 };
	/* The simulator's arrays: INIT_MEMBLOCK_REGIONS of its tests/common.h. */
	struct mbm_config mcfg = { .kernel = true, .kernel_init_cap = 128 };
	struct world w = { 0 };
	char err[512], *text, *line, *save = NULL;
	FILE *f = fopen(path, "rb");
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (f)
			fclose(f);
		return 2;
	}
	text = calloc((size_t)len + 1, 1);
	if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(text);
		fprintf(stderr, "%s: cannot read\n", path);
		return 2;
	}
	fclose(f);
	if (fz_parse(&target, text, &p, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, err);
		free(text);
		return 2;
	}
	free(text);
	mcfg.mirrored_kernelcore = p.cfg[CFG_MIRROR] != 0;
	w.m = mbm_create_cfg(&mcfg);
	if (!w.m)
		abort();

	fprintf(out, "/*\n * Emitted by fuzz_memblock --emit-kernel-test from %s:\n *\n", path);
	for (line = p.comment ? strtok_r(p.comment, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(out, " * %s\n", line[0] == '#' ? line + (line[1] == ' ' ? 2 : 1) : line);
	fprintf(out, " *\n * The expected values are those of mmstack's memblock model in its kernel\n"
		     " * profile. Assumes a build with NUMA=1 and a memblock that nothing else\n"
		     " * has used since boot (the mirror-seen flag is private to memblock.c).\n");
	if (p.fail_at)
		fprintf(out, " * (The trace's fault schedule has no kernel equivalent: left out.)\n");
	fprintf(out, " */\nstatic int ");
	emit_c_name(out, path);
	fprintf(out, "(void)\n{\n\t__maybe_unused phys_addr_t start, end, addr;\n"
		     "\t__maybe_unused int rc;\n"
		     "\t__maybe_unused u64 i;\n\t__maybe_unused int n;\n\n"
		     "\tPREFIX_PUSH();\n\treset_memblock_regions();\n\treset_memblock_attributes();\n"
		     "\tmirrored_kernelcore = %s;\n\n", mcfg.mirrored_kernelcore ? "true" : "false");
	for (unsigned k = 0; k < p.nops; k++) {
		const struct fz_op *op = &p.ops[k];
		const struct fz_op_def *d = &ops[op->code];
		struct fz_result r = d->model(&w, op->args);
		char buf[512];

		fz_format_op(&target, op, buf, sizeof(buf));
		if (r.rc == -MM_EINVAL) {
			fprintf(out, "\t/* %s: bad input, never passed to the kernel */\n", buf);
			continue;
		}
		fprintf(out, "\t/* %s */\n", buf);
		emit_op(out, d, op->args, r);
		emit_regions(out, w.m, prev, nprev);
	}
	fprintf(out, "\n\ttest_pass_pop();\n\n\treturn 0;\n}\n");
	if (mbm_grown(w.m))
		fprintf(stderr, "%s: the arrays outgrow the simulator's 128 regions: growth there "
				"writes to the physical addresses as pointers; the test will crash\n",
			path);
	free(prev[0]);
	free(prev[1]);
	mbm_destroy(w.m);
	fz_prog_free(&p);
	return 0;
}
#endif
