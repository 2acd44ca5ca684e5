/* SPDX-License-Identifier: MIT */
/* Unit tests of the shared pieces: error names, arithmetic, the fault hook. */
#include <string.h>

#include "check.h"
#include "mm.h"

static void test_errors(void)
{
	CHECK(!strcmp(mm_errname(-MM_EINVAL), "EINVAL"));
	CHECK(!strcmp(mm_errname(MM_ENOMEM), "ENOMEM"));
	CHECK(mm_errname(-1) == NULL);
	CHECK_EQ(mm_errcode("EBUSY"), MM_EBUSY);
	CHECK_EQ(mm_errcode("ENOPE"), 0);
	CHECK(!strcmp(mm_strerror(0), "success"));
	CHECK(!strcmp(mm_strerror(-MM_ENOENT), "no such object"));
	CHECK(!strcmp(mm_strerror(-9999), "unknown error"));
}

static void test_arith(void)
{
	uint64_t r = 0;

	CHECK(mm_add_ok(1, 2, &r) && r == 3);
	CHECK(!mm_add_ok(UINT64_MAX, 1, &r));
	CHECK_EQ(mm_cap_size(UINT64_MAX - 10, 100), 10);
	CHECK_EQ(mm_cap_size(0, UINT64_MAX), UINT64_MAX);
	CHECK_EQ(mm_cap_size(UINT64_MAX, 5), 0);
	CHECK(mm_round_up(0x1001, 0x1000, &r) && r == 0x2000);
	CHECK(!mm_round_up(UINT64_MAX - 1, 0x1000, &r));
	CHECK_EQ(mm_round_down(0x1fff, 0x1000), 0x1000);
	CHECK(mm_is_pow2(1) && mm_is_pow2(1ull << 63) && !mm_is_pow2(0) && !mm_is_pow2(6));
}

static void test_fault_schedule(void)
{
	struct mm_meta m;
	void *p[5];

	mm_meta_init(&m);
	mm_meta_fail_at(&m, 3, false);
	for (int i = 0; i < 5; i++)
		p[i] = mm_meta_alloc(&m, 16);
	CHECK(p[0] && p[1] && !p[2] && p[3] && p[4]);
	CHECK_EQ(m.calls, 5);
	CHECK_EQ(m.failures, 1);
	CHECK_EQ(m.live, 4);
	CHECK_EQ(m.live_bytes, 64);
	for (int i = 0; i < 5; i++)
		mm_meta_free(&m, p[i], 16);
	CHECK_EQ(m.live, 0);

	mm_meta_fail_at(&m, 2, true);
	p[0] = mm_meta_alloc(&m, 8);
	p[1] = mm_meta_alloc(&m, 8);
	p[2] = mm_meta_alloc(&m, 8);
	CHECK(p[0] && !p[1] && !p[2]);
	CHECK_EQ(m.failures, 2);
	mm_meta_free(&m, p[0], 8);

	/* Zeroed memory, and an overflowing calloc is refused, not wrapped. */
	mm_meta_fail_at(&m, 0, false);
	{
		unsigned char *z = mm_meta_calloc(&m, 4, 8);

		CHECK(z && z[0] == 0 && z[31] == 0);
		mm_meta_free(&m, z, 32);
	}
	CHECK(mm_meta_calloc(&m, SIZE_MAX / 2, 4) == NULL);
	CHECK_EQ(m.live, 0);
}

/* A host allocator behind the hook: counts what it is given and hands back,
 * and can say no on its own (the hook then counts no allocation). */
struct host {
	unsigned allocs, frees;
	size_t bytes;
	bool refuse;
	unsigned char pool[4][64];
	bool used[4];
};

static void *host_alloc(void *ctx, size_t size)
{
	struct host *h = ctx;

	if (h->refuse || size > sizeof(h->pool[0]))
		return NULL;
	for (int i = 0; i < 4; i++)
		if (!h->used[i]) {
			h->used[i] = true;
			h->allocs++;
			h->bytes += size;
			memset(h->pool[i], 0, sizeof(h->pool[i]));
			return h->pool[i];
		}
	return NULL;
}

static void host_free(void *ctx, void *p, size_t size)
{
	struct host *h = ctx;

	for (int i = 0; i < 4; i++)
		if (p == h->pool[i]) {
			h->used[i] = false;
			h->frees++;
			h->bytes -= size;
		}
}

static void test_host_hook(void)
{
	struct host h = { 0 };
	struct mm_meta m;
	unsigned char *a, *b, *z;

	mm_meta_init(&m);
	m.alloc_fn = host_alloc;
	m.free_fn = host_free;
	m.ctx = &h;
	a = mm_meta_alloc(&m, 16);
	b = mm_meta_array(&m, 3, 8);
	CHECK(a == h.pool[0] && b == h.pool[1]);
	CHECK_EQ(h.allocs, 2);
	CHECK_EQ(m.live, 2);
	CHECK_EQ(m.live_bytes, 40);
	/* The host says no: NULL, and nothing is counted live (nor as a
	 * failure of the schedule: none was armed). */
	h.refuse = true;
	CHECK(mm_meta_alloc(&m, 8) == NULL);
	CHECK_EQ(m.live, 2);
	CHECK_EQ(m.failures, 0);
	CHECK_EQ(m.calls, 3);
	h.refuse = false;
	/* An overflowing array never reaches the host. */
	CHECK(mm_meta_array(&m, SIZE_MAX / 4, 8) == NULL);
	CHECK(mm_meta_calloc(&m, 2, SIZE_MAX / 2 + 1) == NULL);
	CHECK_EQ(h.allocs, 2);
	CHECK_EQ(m.calls, 3);
	/* Size 0 is one byte, given back as one byte: the books balance. */
	z = mm_meta_alloc(&m, 0);
	CHECK(z == h.pool[2]);
	CHECK_EQ(m.live_bytes, 41);
	mm_meta_free(&m, z, 0);
	mm_meta_free(&m, b, 24);
	mm_meta_free(&m, a, 16);
	mm_meta_free(&m, NULL, 16); /* nothing */
	CHECK_EQ(h.frees, 3);
	CHECK_EQ(h.bytes, 0);
	CHECK_EQ(m.live, 0);
	CHECK_EQ(m.live_bytes, 0);

	/* Without a hook at all: the host allocator, size 0 included. */
	z = mm_meta_alloc(NULL, 0);
	CHECK(z != NULL);
	mm_meta_free(NULL, z, 0);
	z = mm_meta_array(NULL, 4, 4);
	CHECK(z != NULL);
	mm_meta_free(NULL, z, 16);
}

/* array_fn serves mm_meta_array only; the zeroed calls still go to
 * alloc_fn, and both are counted and freed through free_fn alike. */
static unsigned array_calls;

static void *host_array(void *ctx, size_t size)
{
	array_calls++;
	return host_alloc(ctx, size);
}

static void test_array_hook(void)
{
	struct host h = { 0 };
	struct mm_meta m;
	unsigned char *a, *b;

	mm_meta_init(&m);
	m.alloc_fn = host_alloc;
	m.array_fn = host_array;
	m.free_fn = host_free;
	m.ctx = &h;
	a = mm_meta_array(&m, 4, 8);
	CHECK(a == h.pool[0]);
	CHECK_EQ(array_calls, 1);
	b = mm_meta_calloc(&m, 4, 8);
	CHECK(b == h.pool[1]);
	CHECK_EQ(array_calls, 1);
	CHECK_EQ(m.live, 2);
	CHECK_EQ(m.live_bytes, 64);
	/* The schedule fails an array call before the host sees it. */
	mm_meta_fail_at(&m, 1, false);
	CHECK(mm_meta_array(&m, 2, 8) == NULL);
	CHECK_EQ(array_calls, 1);
	CHECK_EQ(m.failures, 1);
	mm_meta_free(&m, a, 32);
	mm_meta_free(&m, b, 32);
	CHECK_EQ(h.frees, 2);
	CHECK_EQ(m.live, 0);
}

int main(void)
{
	test_errors();
	test_arith();
	test_fault_schedule();
	test_host_hook();
	test_array_hook();
	return check_summary("test_mm");
}
