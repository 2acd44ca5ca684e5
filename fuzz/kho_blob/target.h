/* SPDX-License-Identifier: MIT */
/*
 * target.h - fuzz_kho_blob, shared by its fuzzer entry and its replay tool.
 *
 * An input is a control byte, a fault byte, then the blob:
 *
 *   byte 0   bit 0: write the blob's length into its total_len field
 *            bit 1: write the right checksum into its last 8 bytes
 *            bit 2: the second machine (see target.c)
 *            bit 3: fail the bookkeeping allocation that byte 1 names
 *   byte 1   with bit 3: fail the (byte 1 + 1)-th allocation of the restore
 *   byte 2.. the blob handed to kho_restore (after the fixes)
 *
 * The fixes let the fuzzer past the two fields it cannot guess, so that the
 * structural checks behind them are reached; without them the bytes go in
 * as they are.
 */
#ifndef MMSTACK_FUZZ_KHO_BLOB_TARGET_H
#define MMSTACK_FUZZ_KHO_BLOB_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KB_FIX_LEN 0x1u
#define KB_FIX_SUM 0x2u
#define KB_LAYOUT_B 0x4u
#define KB_FAULT 0x8u

/* Run one input: NULL when every check holds, else what failed (in buf).
 * fail_at > 0 overrides the input's fault byte; *allocs (may be NULL)
 * receives how many bookkeeping allocations the restore asked for. */
const char *kb_run(const uint8_t *data, size_t size, uint64_t fail_at, uint64_t *allocs,
		   char *buf, size_t len);

/* Write the generated seeds into dir: valid blobs of many shapes for both
 * machines. Returns how many, or -1. */
int kb_gen(const char *dir);

/* Describe an input: its control bits, the blob's fields as far as they
 * can be read, and the model's verdict. */
void kb_describe(const uint8_t *data, size_t size, FILE *f);

#endif
