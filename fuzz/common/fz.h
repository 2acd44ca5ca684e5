/* SPDX-License-Identifier: MIT */
/*
 * fz.h - the op engine shared by every fuzz target.
 *
 * A target describes its operations in a table (struct fz_op_def): a name,
 * typed arguments, and two functions, one applying the op to the
 * implementation and one to the naive model. The engine decodes fuzzer bytes
 * into a config and a list of ops, prints and parses the same list as a text
 * trace, runs it (both sides, results compared, state compared, invariants
 * checked after every op), encodes a trace back into bytes, and shrinks a
 * failing list.
 */
#ifndef MMSTACK_FZ_H
#define MMSTACK_FZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mm.h"

#define FZ_MAX_ARGS 8
#define FZ_MAX_CFG 32
#define FZ_MAX_OPS 512
#define FZ_MSG 2048
#define FZ_FULL_EVERY 8 /* ops between two whole-state comparisons */

/* How an argument is decoded from bytes, printed and parsed. */
enum fz_kind {
	FZ_ADDR,   /* 64-bit address: mostly a small window, sometimes near the top */
	FZ_SIZE,   /* 64-bit size: page multiples, odd small values, huge */
	FZ_ALIGN,  /* mostly powers of two, sometimes 0 or not a power of two */
	FZ_INT,    /* integer in [lo, hi], now and then any 64-bit value (bad input) */
	FZ_ENUM,   /* like FZ_INT over names[0..hi], printed by name */
	FZ_HANDLE, /* the result of an earlier op that makes handles: hN */
};

struct fz_arg_def {
	const char *name;
	enum fz_kind kind;
	int64_t lo, hi;            /* FZ_INT range; FZ_ENUM uses hi = count - 1 */
	const char *const *names;  /* FZ_ENUM names */
};

/* An op's outcome: rc < 0 is an error code; otherwise val is the value.
 * FZ_RC_SKIPPED: the op named a handle whose op failed, and did not run.
 * FZ_RC_NONE: no result (not run, or implementation and model disagreed). */
#define FZ_RC_SKIPPED 1
#define FZ_RC_NONE (-0x7fff)
struct fz_result {
	int rc;
	uint64_t val;
};

/* Results, as the apply functions build them. */
static inline struct fz_result fz_rc(int rc)
{
	struct fz_result r = { rc, 0 };

	return r;
}

/* A value that counts only when the op succeeded. Call the function that
 * fills v first: in fz_val(f(&v), v) C may read v before f runs (gcc does). */
static inline struct fz_result fz_val(int rc, uint64_t v)
{
	struct fz_result r = { rc, rc == 0 ? v : 0 };

	return r;
}

static inline struct fz_result fz_bool(bool b)
{
	struct fz_result r = { 0, b };

	return r;
}

/* Op flags. */
#define FZ_RET_VALUE 0x1u  /* val is meaningful and compared, printed "-> 0x..." */
#define FZ_RET_HANDLE 0x2u /* a successful result becomes the next handle */
#define FZ_RET_BOOL 0x4u   /* val is a truth value, printed true/false */

struct fz_op_def {
	const char *name;
	unsigned flags;
	unsigned nargs;
	struct fz_arg_def args[FZ_MAX_ARGS];
	struct fz_result (*impl)(void *world, const uint64_t *args);
	struct fz_result (*model)(void *world, const uint64_t *args);
};

/* A config key of the input header (instance shape, capacities, ...). */
struct fz_cfg_def {
	const char *name;
	uint64_t lo, hi, def;
};

struct fz_target {
	const char *name; /* "memblock": traces live in regress/<name>/ */
	const struct fz_cfg_def *cfg;
	unsigned ncfg;
	const struct fz_op_def *ops;
	unsigned nops;

	/* Build implementation + model from cfg values; meta is the hook every
	 * bookkeeping allocation of the implementation must go through. NULL
	 * when the config cannot be built (the input is skipped). */
	void *(*create)(const uint64_t *cfg, struct mm_meta *meta);
	void (*destroy)(void *world);
	/* Implementation state vs model state: NULL when equal, else a message in buf.
	 * compare runs after every op; when compare_full is set too, compare
	 * may look only at what the last op can have touched (and at what is
	 * cheap), and compare_full compares everything: after every
	 * FZ_FULL_EVERY-th op, after an op with expect lines, and after the
	 * last op, so a divergence anywhere still fails the same input. */
	const char *(*compare)(void *world, char *buf, size_t len);
	const char *(*compare_full)(void *world, char *buf, size_t len);
	/* The layer's <layer>_check, after every op. check_full, when set, is
	 * the whole machine's (mm_machine_check: the layers below too), run
	 * where compare_full runs. */
	const char *(*check)(void *world);
	const char *(*check_full)(void *world);
	/* A trace "expect ..." line (text after "expect "), checked against the
	 * implementation: NULL when it holds, else a message in buf. */
	const char *(*expect)(void *world, const char *line, char *buf, size_t len);
	/* Print both states, for failure reports. */
	void (*dump)(void *world, FILE *f);
};

/* One decoded op. */
struct fz_op {
	uint16_t code;
	uint64_t args[FZ_MAX_ARGS];
	/* From a trace: an expected result ("-> ..."), and "expect" lines that
	 * follow this op (checked after it). */
	bool has_want;
	struct fz_result want;
	char *expects; /* newline-separated, owned, or NULL */
};

/* A whole program: config + ops (+ expect lines before any op). */
struct fz_prog {
	uint64_t cfg[FZ_MAX_CFG];
	uint64_t fail_at;  /* fault schedule: fail the k-th bookkeeping alloc */
	bool fail_after;   /* ... and every one after it */
	unsigned nops;
	struct fz_op ops[FZ_MAX_OPS];
	char *head_expects; /* expect lines before the first op */
	char *comment;      /* leading "#" lines of a trace, kept for printing */
};

/* What a run found. */
struct fz_failure {
	bool failed;
	int op_index;             /* -1: before any op (setup/expect) */
	char sig[256];            /* stable: category + op name + check text */
	char msg[FZ_MSG];         /* the whole report */
	uint64_t allocs;          /* bookkeeping allocations the ops asked for */
};

void fz_prog_init(struct fz_prog *p, const struct fz_target *t);
void fz_prog_free(struct fz_prog *p);
void fz_prog_copy(struct fz_prog *dst, const struct fz_prog *src);

/* Bytes -> program. Every byte string decodes to a valid program. */
void fz_decode(const struct fz_target *t, const uint8_t *data, size_t size,
	       struct fz_prog *p);
/* Program -> bytes that decode back to it. Returns the length, or 0 with a
 * message in err when a value cannot be encoded. out may be NULL to measure. */
size_t fz_encode(const struct fz_target *t, const struct fz_prog *p, uint8_t *out,
		 size_t cap, char *err, size_t errlen);

/* Trace text -> program. 0, or -1 with "line N: ..." in err. */
int fz_parse(const struct fz_target *t, const char *text, struct fz_prog *p,
	     char *err, size_t errlen);
/* Program -> trace. With results (from a run), ops are printed "-> result". */
void fz_print(const struct fz_target *t, const struct fz_prog *p,
	      const struct fz_result *results, FILE *f);
/* One op in trace form (no result). */
void fz_format_op(const struct fz_target *t, const struct fz_op *op, char *buf,
		  size_t len);
void fz_format_result(const struct fz_op_def *d, struct fz_result r, char *buf,
		      size_t len);

/* Run a program: both sides, every op compared and checked. results (may be
 * NULL) receives the implementation's result of each op. Returns true when
 * it ran clean; else fills f. Leaks of bookkeeping memory are failures. */
bool fz_run(const struct fz_target *t, const struct fz_prog *p,
	    struct fz_result *results, struct fz_failure *f);

/* The harness's allocator (pool.c): blocks of size bytes (zeroed when
 * asked, NULL only when malloc fails), given back with the size they were
 * taken with, kept for reuse instead of going through malloc, and never
 * handed out again while one of the last few given back of their size. A
 * run's layers take their bookkeeping from it (fz_run); fz_pool_settle,
 * at the end of a run, keeps what the run gave back for the next runs. */
void *fz_pool_get(size_t size, bool zero);
void fz_pool_put(void *p, size_t size);
void fz_pool_settle(void);

/* Memory for a model's or a target's own use, from the same pool (cheaper
 * than malloc under ASan, and a use after free is still reported): like
 * malloc, calloc, realloc and free, but never NULL (out of memory aborts),
 * and only with each other. */
void *fz_malloc(size_t size);
void *fz_calloc(size_t n, size_t size);
void *fz_realloc(void *p, size_t size);
void fz_free(void *p);

/* Memory for a target's world, taken by create and given back by destroy
 * (with the size it was taken with): a large block is kept for the next
 * input instead of being mapped and unmapped for each one. Not zeroed;
 * never NULL (out of memory aborts). */
void *fz_world_alloc(size_t size);
void fz_world_free(void *p, size_t size);

/* The libFuzzer entry for a target: decode, run, abort with a report on failure. */
int fz_fuzz_one(const struct fz_target *t, const uint8_t *data, size_t size);

/* The standalone tool: replay files and directories (traces and raw
 * inputs), --print, --shrink, --encode, --fault-sweep; see usage(). */
int fz_main(const struct fz_target *t, int argc, char **argv);

/* Each target's source defines its target and this one line: the fuzzer
 * entry, and the target the standalone main (common/main.c) runs. */
extern const struct fz_target *const fz_the_target;
#define FZ_TARGET(tgt)                                                       \
	const struct fz_target *const fz_the_target = &(tgt);                \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);        \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)         \
	{                                                                    \
		return fz_fuzz_one(&(tgt), data, size);                      \
	}

#endif
