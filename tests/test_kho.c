/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of kho's API edges the fuzz targets do not reach: creation and
 * its failures, serialize into a buffer that is too small, restore's own
 * preconditions, tables deep enough to have several levels (the fuzzed
 * spans are a few hundred pages: one level), an out-of-memory sweep over a
 * restore that also grows memblock, a blob that names far more than it
 * holds, and mm_machine_kexec's refusals and its own out-of-memory sweep.
 * Scenarios live in the traces under regress/kho.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "machine.h"

static void test_create(void)
{
	struct kho_config c;
	struct kho *k;
	struct mm_meta m;

	kho_default_config(&c, 10, 10);
	CHECK_EQ(kho_create(&k, &c), -MM_EINVAL); /* empty span */
	kho_default_config(&c, 0, 64);
	c.max_order = KHO_MAX_ORDER_LIMIT + 1;
	CHECK_EQ(kho_create(&k, &c), -MM_EINVAL);
	kho_default_config(&c, 0, 64);
	c.page_size = 3000;
	CHECK_EQ(kho_create(&k, &c), -MM_EINVAL);
	kho_default_config(&c, 0, (MM_ADDR_MAX >> 12) + 1); /* bytes past 2^64 */
	CHECK_EQ(kho_create(&k, &c), -MM_EINVAL);
	CHECK_EQ(kho_create(NULL, &c), -MM_EINVAL);
	CHECK_EQ(kho_create(&k, NULL), -MM_EINVAL);
	kho_default_config(&c, 0, 64);
	c.page_size = 0; /* 4096 */
	CHECK_EQ(kho_create(&k, &c), 0);
	{
		uint8_t buf[64];
		size_t len;

		CHECK_EQ(kho_serialize(k, buf, sizeof(buf), &len), 0);
		CHECK_EQ(buf[12], 12); /* page_shift */
	}
	kho_destroy(k);
	kho_default_config(&c, 0, MM_ADDR_MAX >> 12); /* the last addressable page */
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_max_order(k), BUDDY_DEFAULT_MAX_ORDER);
	CHECK_EQ(kho_preserve_folio(k, (MM_ADDR_MAX >> 12) - 1, 0), 0);
	CHECK_EQ(kho_preserve_folio(k, MM_ADDR_MAX >> 12, 0), -MM_ERANGE);
	CHECK(kho_check(k) == NULL);
	kho_destroy(k);
	kho_destroy(NULL);

	mm_meta_init(&m);
	kho_default_config(&c, 0, 64);
	c.meta = &m;
	mm_meta_fail_at(&m, 1, false);
	CHECK_EQ(kho_create(&k, &c), -MM_ENOMEM);
	CHECK_EQ(m.live, 0);
}

/* Too small a buffer: -ERANGE, the size needed, and nothing written. */
static void test_serialize_room(void)
{
	struct kho_config c;
	struct kho *k;
	uint8_t buf[512];
	size_t len = 0;

	kho_default_config(&c, 0, 1024);
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_serialized_size(k), KHO_BLOB_HEADER + KHO_BLOB_TRAILER);
	CHECK_EQ(kho_preserve_pages(k, 3, 100), 0);
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(kho_serialize(k, buf, kho_serialized_size(k) - 1, &len), -MM_ERANGE);
	CHECK_EQ(len, kho_serialized_size(k));
	CHECK(buf[0] == 0xa5 && buf[len - 2] == 0xa5);
	CHECK_EQ(kho_serialize(k, NULL, 0, &len), -MM_ERANGE);
	CHECK_EQ(kho_serialize(k, buf, sizeof(buf), &len), 0);
	CHECK(!memcmp(buf, "KHO-BLOB", 8));
	kho_destroy(k);
}

static struct memblock *memory(uint64_t base, uint64_t size, struct mm_meta *meta)
{
	struct memblock_config mc = { .memory_cap = 2, .reserved_cap = 2, .meta = meta };
	struct memblock *mb;

	if (memblock_create(&mb, &mc) || memblock_add(mb, base, size))
		return NULL;
	return mb;
}

/* Restore's own refusals: no memblock, no blob, a second restore. */
static void test_restore_preconditions(void)
{
	struct kho_config c;
	struct kho *k, *k2;
	struct memblock *mb = memory(0, 1024 * 4096, NULL);
	uint8_t buf[128];
	size_t len;

	kho_default_config(&c, 0, 1024);
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_create(&k2, &c), 0);
	CHECK_EQ(kho_preserve_folio(k, 8, 3), 0);
	CHECK_EQ(kho_serialize(k, buf, sizeof(buf), &len), 0);
	CHECK_EQ(kho_restore(k2, buf, len, NULL), -MM_EINVAL);
	CHECK_EQ(kho_restore(k2, NULL, len, mb), -MM_EINVAL);
	CHECK_EQ(kho_restore(k2, NULL, 0, mb), -MM_EINVAL);
	CHECK_EQ(kho_restore(k2, buf, len, mb), 0);
	CHECK_EQ(kho_restore(k2, buf, len, mb), -MM_EBUSY);
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 1);
	CHECK(kho_check(k2) == NULL);
	kho_destroy(k);
	kho_destroy(k2);
	memblock_destroy(mb);
}

struct folios {
	uint64_t pfn[4096];
	unsigned order[4096];
	size_t n;
};

static void collect(void *ctx, uint64_t pfn, unsigned order)
{
	struct folios *f = ctx;

	if (f->n < 4096) {
		f->pfn[f->n] = pfn;
		f->order[f->n] = order;
	}
	f->n++;
}

/*
 * A span of 2^36 pages far from 0: the order-0 table has five levels.
 * Scattered folios of every order round-trip through a blob into a
 * memblock that starts with room for two reserved regions (so the restore
 * grows it once, ahead), and every bookkeeping allocation of that restore
 * is failed in turn: -ENOMEM with memblock and the instance as before, and
 * nothing leaked.
 */
static void test_deep_tables(void)
{
	static struct folios out, in;
	const uint64_t start = 1ull << 38, end = start + (1ull << 36);
	struct kho_config c;
	struct kho *k, *k2;
	struct mm_meta m;
	uint64_t x = 0x243f6a8885a308d3ull, allocs = 0, live;
	uint8_t *blob;
	size_t len;
	unsigned failures = 0;

	kho_default_config(&c, start, end);
	c.max_order = 9;
	CHECK_EQ(kho_create(&k, &c), 0);
	for (int i = 0; i < 300; i++) {
		unsigned order;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		order = (unsigned)(x % 10);
		kho_preserve_folio(k, (start + (x >> 20) % (end - start)) & ~((1ull << order) - 1),
				   order);
	}
	CHECK_EQ(kho_preserve_pages(k, end - 5000, 5000), 0); /* up to the last page */
	CHECK(kho_check(k) == NULL);
	out.n = 0;
	kho_walk(k, KHO_PRESERVED, collect, &out);
	CHECK(out.n > 250);
	len = kho_serialized_size(k);
	blob = malloc(len);
	CHECK_EQ(kho_serialize(k, blob, len, &len), 0);

	mm_meta_init(&m);
	c.meta = &m;
	for (uint64_t fail = 0;; fail++) {
		struct memblock *mb = memory(start << 12, (end - start) << 12, &m);
		struct kho_stats st;
		int rc;

		CHECK_EQ(kho_create(&k2, &c), 0);
		live = m.live;
		mm_meta_fail_at(&m, fail, false);
		rc = kho_restore(k2, blob, len, mb);
		if (!fail)
			allocs = m.calls;
		mm_meta_fail_at(&m, 0, false);
		kho_stats(k2, &st);
		if (rc) {
			failures++;
			CHECK_EQ(rc, -MM_ENOMEM);
			CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 0);
			CHECK(!st.restored && !st.folios[KHO_INCOMING]);
			CHECK_EQ(m.live, live);
		} else {
			in.n = 0;
			kho_walk(k2, KHO_INCOMING, collect, &in);
			CHECK_EQ(in.n, out.n);
			CHECK(!memcmp(in.pfn, out.pfn, out.n * sizeof(out.pfn[0])));
			CHECK(!memcmp(in.order, out.order, out.n * sizeof(out.order[0])));
			CHECK_EQ(st.reserves, memblock_region_count(mb, MEMBLOCK_RESERVED));
			CHECK(memblock_grow_count(mb, MEMBLOCK_RESERVED) >= 1);
		}
		CHECK(kho_check(k2) == NULL);
		CHECK(memblock_check(mb) == NULL);
		/* Every folio back, and the tables pruned to nothing. */
		for (size_t i = 0; !rc && i < in.n; i++) {
			unsigned o;

			CHECK_EQ(kho_restore_folio(k2, NULL, in.pfn[i], &o), 0);
			CHECK_EQ(o, in.order[i]);
		}
		if (!rc)
			CHECK_EQ(m.live, live);
		kho_destroy(k2);
		memblock_destroy(mb);
		CHECK_EQ(m.live, 0);
		if (fail && fail >= allocs)
			break;
	}
	CHECK_EQ(failures, allocs); /* each allocation, failed, was an -ENOMEM */
	CHECK(allocs > 10);
	/* Unpreserving everything prunes every table away. */
	for (size_t i = 0; i < out.n; i++)
		CHECK_EQ(kho_unpreserve_folio(k, out.pfn[i], out.order[i]), 0);
	CHECK_EQ(kho_serialized_size(k), KHO_BLOB_HEADER + KHO_BLOB_TRAILER);
	CHECK(kho_check(k) == NULL);
	free(blob);
	kho_destroy(k);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A blob with one order-0 record, checksum right: a run of count folios
 * from key, or (word) a word of bits at key. */
static void one_record_blob(uint8_t b[80], bool word, uint64_t key, uint64_t count)
{
	uint64_t h = 0xcbf29ce484222325ull;

	memset(b, 0, 80);
	memcpy(b, "KHO-BLOB", 8);
	b[8] = 1;         /* version */
	b[12] = 12;       /* page_shift */
	b[16] = 1;        /* nr_sections */
	put_le64(b + 24, 80);
	memcpy(b + 32, "KHOS", 4);
	b[word ? 48 : 40] = 1; /* nr_words or nr_runs */
	put_le64(b + 56, key);
	put_le64(b + 64, count);
	for (size_t i = 0; i < 72; i += 8) {
		uint64_t w = 0;

		for (int j = 7; j >= 0; j--)
			w = w << 8 | b[i + (size_t)j];
		h ^= w;
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	put_le64(b + 72, h);
}

static void one_run_blob(uint8_t b[80], uint64_t count)
{
	one_record_blob(b, false, 0, count);
}

/* Sixteen bytes can name 2^40 folios: refused on the count, at once, not
 * walked; a run that fits is one range, reserved once. */
static void test_huge_run(void)
{
	struct kho_config c;
	struct kho *k;
	struct memblock *mb = memory(0, 1ull << 52, NULL);
	uint8_t b[80];

	one_run_blob(b, 1ull << 40);
	kho_default_config(&c, 0, 1ull << 30);
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), -MM_EINVAL); /* past the span */
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 0);
	one_run_blob(b, 1ull << 20);
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), 0);
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 1);
	CHECK_EQ(memblock_reserved_size(mb), (1ull << 20) << 12);
	CHECK(kho_check(k) == NULL);
	kho_destroy(k);
	memblock_destroy(mb);
}

/* restore_folio with a buddy that cannot claim the pages (they are not
 * reserved there): buddy's error, and the folio stays incoming. */
static void test_restore_folio_claim_fails(void)
{
	struct buddy_config bc;
	struct kho_config c;
	struct buddy *b;
	struct kho *k, *k2;
	struct memblock *mb = memory(0, 64 * 4096, NULL);
	struct kho_stats st;
	uint8_t buf[128];
	size_t len;
	unsigned o = 7;

	kho_default_config(&c, 0, 64);
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_create(&k2, &c), 0);
	CHECK_EQ(kho_preserve_folio(k, 16, 2), 0);
	CHECK_EQ(kho_serialize(k, buf, sizeof(buf), &len), 0);
	CHECK_EQ(kho_restore(k2, buf, len, mb), 0);
	buddy_default_config(&bc, 0, 64);
	bc.pcp_high = 0;
	CHECK_EQ(buddy_create(&b, &bc), 0);
	CHECK_EQ(buddy_add_memory(b, 0, 64, 0), 0);
	CHECK_EQ(buddy_free_boot_range(b, 0, 64), 0); /* booted without kho */
	CHECK_EQ(kho_restore_folio(k2, b, 16, &o), -MM_EINVAL);
	CHECK_EQ(o, 7);
	kho_stats(k2, &st);
	CHECK_EQ(st.folios[KHO_INCOMING], 1);
	buddy_destroy(b);
	kho_destroy(k);
	kho_destroy(k2);
	memblock_destroy(mb);
}

static const struct mm_range map[] = { { 0x0, 0x40000, 0 }, { 0x50000, 0x30000, 1 } };
static const struct mm_range other_map[] = { { 0x0, 0x40000, 0 } };
static const struct mm_range fw[] = { { 0x1000, 0x1000, 0 } };

static void config(struct mm_machine_config *c, struct mm_meta *m)
{
	mm_machine_default_config(c);
	c->memory = map;
	c->nr_memory = 2;
	c->reserved = fw;
	c->nr_reserved = 1;
	c->max_order = 4;
	c->pcp_high = 0;
	c->backing = true;
	c->meta = m;
}

/* kexec refuses another memory, another page size or backing, and leaves
 * the old machine as it was; NULL blob: no handover. */
static void test_kexec_refusals(void)
{
	struct mm_machine_config c, bad;
	struct mm_machine *m, *next = NULL;
	struct kho_stats st;
	int rc = 99;

	config(&c, NULL);
	CHECK_EQ(mm_machine_boot(&m, &c), 0);
	CHECK(mm_machine_kho(m) != NULL);
	CHECK_EQ(kho_preserve_folio(mm_machine_kho(m), 16, 4), 0);
	bad = c;
	bad.memory = other_map;
	bad.nr_memory = 1;
	CHECK_EQ(mm_machine_kexec(&next, &bad, m, NULL, 0, &rc), -MM_EINVAL);
	bad = c;
	bad.page_size = 8192;
	CHECK_EQ(mm_machine_kexec(&next, &bad, m, NULL, 0, &rc), -MM_EINVAL);
	bad = c;
	bad.backing = false;
	CHECK_EQ(mm_machine_kexec(&next, &bad, m, NULL, 0, &rc), -MM_EINVAL);
	CHECK_EQ(mm_machine_kexec(&next, &c, m, NULL, 0, NULL), -MM_EINVAL);
	CHECK(next == NULL && rc == 99);
	kho_stats(mm_machine_kho(m), &st);
	CHECK_EQ(st.folios[KHO_PRESERVED], 1);
	CHECK(mm_machine_check(m) == NULL);
	/* Without a blob the next machine boots with nothing handed over. */
	CHECK_EQ(mm_machine_kexec(&next, &c, m, NULL, 0, &rc), 0);
	CHECK_EQ(rc, 0);
	kho_stats(mm_machine_kho(next), &st);
	CHECK(!st.restored && !st.folios[KHO_INCOMING]);
	CHECK_EQ(buddy_nr_free(mm_machine_buddy(next), NUMA_NO_NODE), 0x70 - 1);
	mm_machine_destroy(next);
}

/* Every bookkeeping allocation of a kexec, failed in turn: -ENOMEM, the
 * old machine intact (its allocated page keeps its bytes, its preserved
 * folio stays), nothing leaked; then the kexec that succeeds hands the
 * page over with its bytes. */
static void test_kexec_fault_sweep(void)
{
	struct mm_machine_config c;
	struct mm_meta meta;
	uint64_t calls = 0, pfn;
	unsigned failures = 0;

	mm_meta_init(&meta);
	config(&c, &meta);
	for (uint64_t fail = 1;; fail++) {
		struct mm_machine *m, *next = NULL;
		struct kho_stats st;
		uint8_t blob[256], *p;
		size_t len;
		int rc = 99, err;
		unsigned order;

		mm_meta_fail_at(&meta, 0, false);
		CHECK_EQ(mm_machine_boot(&m, &c), 0);
		CHECK_EQ(buddy_alloc_pages(mm_machine_buddy(m), 1, NUMA_NO_NODE, &pfn), 0);
		p = buddy_page_ptr(mm_machine_buddy(m), pfn);
		memset(p, 0x3c, 2 * 4096);
		CHECK_EQ(kho_preserve_folio(mm_machine_kho(m), pfn, 1), 0);
		CHECK_EQ(kho_serialize(mm_machine_kho(m), blob, sizeof(blob), &len), 0);
		mm_meta_fail_at(&meta, fail, false);
		err = mm_machine_kexec(&next, &c, m, blob, len, &rc);
		calls = meta.calls;
		mm_meta_fail_at(&meta, 0, false);
		if (err) {
			failures++;
			CHECK_EQ(err, -MM_ENOMEM);
			CHECK(next == NULL && rc == 99);
			kho_stats(mm_machine_kho(m), &st);
			CHECK_EQ(st.folios[KHO_PRESERVED], 1);
			CHECK(p[0] == 0x3c && p[2 * 4096 - 1] == 0x3c);
			CHECK(mm_machine_check(m) == NULL);
			mm_machine_destroy(m);
			CHECK_EQ(meta.live, 0);
			continue;
		}
		CHECK_EQ(rc, 0);
		CHECK_EQ(kho_restore_folio(mm_machine_kho(next), mm_machine_buddy(next), pfn, &order),
			 0);
		CHECK_EQ(order, 1);
		p = buddy_page_ptr(mm_machine_buddy(next), pfn);
		CHECK(p[0] == 0x3c && p[2 * 4096 - 1] == 0x3c);
		CHECK(mm_machine_check(next) == NULL);
		mm_machine_destroy(next);
		CHECK_EQ(meta.live, 0);
		break;
	}
	CHECK(failures > 10);
	CHECK_EQ(failures, calls); /* each allocation of the kexec, failed once */
}

/* Blobs that are well formed but name nothing or name pages memory does
 * not have: -EINVAL, nothing reserved, nothing incoming. */
static void test_restore_refuses_records(void)
{
	struct kho_config c;
	struct kho *k;
	struct kho_stats st;
	struct memblock *mb = memory(0, 64 * 4096, NULL);
	uint8_t b[80];

	kho_default_config(&c, 0, 1024);
	CHECK_EQ(kho_create(&k, &c), 0);
	one_run_blob(b, 0); /* a run of no folios */
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), -MM_EINVAL);
	one_record_blob(b, true, 0, 0); /* a word with no bit set */
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), -MM_EINVAL);
	one_record_blob(b, false, 128, 64); /* pages 128-191: past all memory */
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), -MM_EINVAL);
	one_record_blob(b, false, 0, 128); /* pages 0-127: memory ends at 64 */
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), -MM_EINVAL);
	one_record_blob(b, true, 64, 0x5); /* pages 64 and 66, past memory too */
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), -MM_EINVAL);
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 0);
	kho_stats(k, &st);
	CHECK(!st.restored && st.folios[KHO_INCOMING] == 0);
	/* The same instance still takes a good one. */
	one_record_blob(b, true, 0, 0x5);
	CHECK_EQ(kho_restore(k, b, sizeof(b), mb), 0);
	CHECK_EQ(memblock_region_count(mb, MEMBLOCK_RESERVED), 2);
	kho_stats(k, &st);
	CHECK(st.restored && st.folios[KHO_INCOMING] == 2);
	CHECK(kho_check(k) == NULL);
	kho_destroy(k);
	memblock_destroy(mb);
}

/* A high-order folio meets lower-order folios across many leaves of their
 * table (a search that skips absent subtrees) and across two (leaf by
 * leaf); either way only a folio inside the range refuses it. Unpreserving
 * a run of pages looks at every leaf it spans. */
static void test_overlap_across_leaves(void)
{
	struct kho_config c;
	struct kho *k;
	struct kho_stats st;

	kho_default_config(&c, 0, 1 << 16);
	c.max_order = 12;
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_preserve_folio(k, 5000, 0), 0);
	CHECK_EQ(kho_preserve_folio(k, 20000, 0), 0);
	/* Order 12: 4096 order-0 keys, eight leaves. */
	CHECK_EQ(kho_preserve_folio(k, 4096, 12), -MM_EEXIST);   /* holds 5000 */
	CHECK_EQ(kho_preserve_folio(k, 0, 12), 0);              /* 5000 is past it */
	CHECK_EQ(kho_preserve_folio(k, 8192, 12), 0);           /* 20000 is past it */
	CHECK_EQ(kho_preserve_folio(k, 61440, 12), 0);          /* nothing after it */
	CHECK_EQ(kho_preserve_pages(k, 16384, 8192), -MM_EEXIST); /* holds 20000 */
	/* Order 10: 1024 order-0 keys, two leaves. */
	CHECK_EQ(kho_preserve_folio(k, 4096, 10), -MM_EEXIST);
	CHECK_EQ(kho_preserve_folio(k, 5120, 10), 0);
	CHECK_EQ(kho_preserve_folio(k, 19456, 10), -MM_EEXIST); /* 19456-20479 */
	CHECK_EQ(kho_preserve_folio(k, 18432, 10), 0);
	kho_stats(k, &st);
	CHECK_EQ(st.folios[KHO_PRESERVED], 7);
	CHECK_EQ(st.pages[KHO_PRESERVED], 2 + 3 * 4096 + 2 * 1024);
	CHECK(kho_check(k) == NULL);
	kho_destroy(k);

	/* max_order 0: a run of pages is one segment of order-0 folios, and
	 * unpreserving it looks at every leaf it spans: one gap refuses it. */
	kho_default_config(&c, 0, 4096);
	c.max_order = 0;
	CHECK_EQ(kho_create(&k, &c), 0);
	CHECK_EQ(kho_preserve_pages(k, 100, 1000), 0);   /* leaves 0-2 */
	CHECK_EQ(kho_unpreserve_folio(k, 1000, 0), 0);    /* a gap in leaf 1 */
	CHECK_EQ(kho_unpreserve_pages(k, 100, 1000), -MM_ENOENT);
	CHECK_EQ(kho_unpreserve_pages(k, 1001, 99), 0);   /* leaves 1-2 */
	CHECK_EQ(kho_unpreserve_pages(k, 100, 900), 0);   /* leaves 0-1 */
	kho_stats(k, &st);
	CHECK_EQ(st.folios[KHO_PRESERVED], 0);
	CHECK(kho_check(k) == NULL);
	kho_destroy(k);
}

int main(void)
{
	test_create();
	test_serialize_room();
	test_restore_preconditions();
	test_deep_tables();
	test_huge_run();
	test_restore_refuses_records();
	test_overlap_across_leaves();
	test_restore_folio_claim_fails();
	test_kexec_refusals();
	test_kexec_fault_sweep();
	return check_summary("test_kho");
}
