/* SPDX-License-Identifier: MIT */
/*
 * fz.c - the op engine: decode, encode, parse, print, run, replay, shrink.
 *
 * Byte format (what fz_decode reads and fz_encode writes):
 *
 *   config   one value per config key, 1, 2 or 8 bytes by the key's range
 *   faults   2 bytes: s, k. s < 160: no fault; else fail_at = k + 1 and
 *            fail_after = s & 1
 *   ops      until the input ends: 1 byte op code (mod the op count), then
 *            each argument by its kind (see decode_arg); missing bytes read
 *            as zero, so every byte string is a valid program.
 *
 * Every decodable value has an encoding (the raw 8-byte form where nothing
 * shorter fits), which is what lets a trace become a corpus seed.
 */
#include "fz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* data producer                                                        */

struct dp {
	const uint8_t *p;
	size_t n, pos;
};

static uint64_t dp_bytes(struct dp *d, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++) {
		uint64_t b = d->pos < d->n ? d->p[d->pos] : 0;

		d->pos++;
		v |= b << (8 * i);
	}
	return v;
}

static uint8_t dp_u8(struct dp *d)
{
	return (uint8_t)dp_bytes(d, 1);
}

struct enc {
	uint8_t *out;
	size_t cap, len;
};

static void enc_bytes(struct enc *e, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++, e->len++)
		if (e->out && e->len < e->cap)
			e->out[e->len] = (uint8_t)(v >> (8 * i));
}

/* Width of a ranged value: enough bytes for hi - lo. */
static unsigned range_width(uint64_t span)
{
	return span < 0x100 ? 1 : span < 0x10000 ? 2 : 8;
}

static uint64_t ranged(uint64_t lo, uint64_t hi, uint64_t raw)
{
	uint64_t span = hi - lo;

	return span == UINT64_MAX ? raw : lo + raw % (span + 1);
}

/* ------------------------------------------------------------------ */
/* argument kinds                                                       */

#define INT_RAW_SEL 240 /* FZ_INT selector at or above this: a raw 64-bit value */
#define INT_RAW_SEL16 0xfff0 /* the same for ranges too wide for one byte */

/* FZ_INT ranges of INT_RAW_SEL values or more take two bytes. */
static bool int_wide(const struct fz_arg_def *a)
{
	return a->kind == FZ_INT && (uint64_t)(a->hi - a->lo) >= INT_RAW_SEL;
}

static int ilog2_u64(uint64_t v)
{
	int l = 0;

	while (v >>= 1)
		l++;
	return l;
}

static uint64_t decode_arg(struct dp *d, const struct fz_arg_def *a, unsigned nhandles)
{
	uint8_t sel;

	if (int_wide(a)) {
		uint64_t v = dp_bytes(d, 2);

		if (v >= INT_RAW_SEL16)
			return dp_bytes(d, 8);
		return (uint64_t)a->lo + v % (uint64_t)(a->hi - a->lo + 1);
	}
	sel = dp_u8(d);

	switch (a->kind) {
	case FZ_ADDR:
		switch (sel & 3) {
		case 0:
			return dp_bytes(d, 1) << 12;
		case 1:
			return dp_bytes(d, 2) << 4;
		case 2:
			return (uint64_t)0 - ((dp_bytes(d, 2) + 1) << 12);
		default:
			return dp_bytes(d, 8);
		}
	case FZ_SIZE:
		switch (sel & 3) {
		case 0:
			return dp_bytes(d, 1) << 12;
		case 1:
			return dp_bytes(d, 2);
		case 2:
			return UINT64_MAX - dp_bytes(d, 2);
		default:
			return dp_bytes(d, 8);
		}
	case FZ_ALIGN:
		switch (sel & 3) {
		case 0:
			return (uint64_t)1 << (dp_bytes(d, 1) % 24);
		case 1:
			return (uint64_t)1 << (dp_bytes(d, 1) % 64);
		case 2:
			return 0;
		default:
			return dp_bytes(d, 8);
		}
	case FZ_INT:
	case FZ_ENUM: {
		int64_t lo = a->kind == FZ_ENUM ? 0 : a->lo;

		if (sel >= INT_RAW_SEL)
			return dp_bytes(d, 8);
		return (uint64_t)lo + sel % (uint64_t)(a->hi - lo + 1);
	}
	case FZ_HANDLE:
		return nhandles ? sel % nhandles : 0;
	}
	return 0;
}

static void encode_arg(struct enc *e, const struct fz_arg_def *a, uint64_t v)
{
	switch (a->kind) {
	case FZ_ADDR:
		if (!(v & 0xfff) && (v >> 12) < 0x100) {
			enc_bytes(e, 0, 1), enc_bytes(e, v >> 12, 1);
		} else if (!(v & 0xf) && (v >> 4) < 0x10000) {
			enc_bytes(e, 1, 1), enc_bytes(e, v >> 4, 2);
		} else if (v && !(-v & 0xfff) && ((-v) >> 12) - 1 < 0x10000) {
			enc_bytes(e, 2, 1), enc_bytes(e, ((-v) >> 12) - 1, 2);
		} else {
			enc_bytes(e, 3, 1), enc_bytes(e, v, 8);
		}
		return;
	case FZ_SIZE:
		if (!(v & 0xfff) && (v >> 12) < 0x100) {
			enc_bytes(e, 0, 1), enc_bytes(e, v >> 12, 1);
		} else if (v < 0x10000) {
			enc_bytes(e, 1, 1), enc_bytes(e, v, 2);
		} else if (UINT64_MAX - v < 0x10000) {
			enc_bytes(e, 2, 1), enc_bytes(e, UINT64_MAX - v, 2);
		} else {
			enc_bytes(e, 3, 1), enc_bytes(e, v, 8);
		}
		return;
	case FZ_ALIGN:
		if (v == 0) {
			enc_bytes(e, 2, 1);
		} else if (mm_is_pow2(v)) {
			int l = ilog2_u64(v);

			enc_bytes(e, l < 24 ? 0 : 1, 1), enc_bytes(e, (uint64_t)l, 1);
		} else {
			enc_bytes(e, 3, 1), enc_bytes(e, v, 8);
		}
		return;
	case FZ_INT:
	case FZ_ENUM: {
		int64_t lo = a->kind == FZ_ENUM ? 0 : a->lo;
		int64_t s = (int64_t)v;

		if (int_wide(a)) {
			if (s >= lo && s <= a->hi && (uint64_t)(s - lo) < INT_RAW_SEL16)
				enc_bytes(e, (uint64_t)(s - lo), 2);
			else
				enc_bytes(e, INT_RAW_SEL16, 2), enc_bytes(e, v, 8);
			return;
		}
		if (s >= lo && s <= a->hi && (uint64_t)(s - lo) < INT_RAW_SEL) {
			enc_bytes(e, (uint64_t)(s - lo), 1);
		} else {
			enc_bytes(e, INT_RAW_SEL, 1), enc_bytes(e, v, 8);
		}
		return;
	}
	case FZ_HANDLE:
		enc_bytes(e, v, 1);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* programs                                                             */

void fz_prog_init(struct fz_prog *p, const struct fz_target *t)
{
	/* A table the engine cannot hold is a bug in the target: stop at once. */
	if (t->ncfg > FZ_MAX_CFG) {
		fprintf(stderr, "%s: %u config keys, the engine holds %d\n", t->name, t->ncfg,
			FZ_MAX_CFG);
		abort();
	}
	for (unsigned i = 0; i < t->nops; i++)
		if (t->ops[i].nargs > FZ_MAX_ARGS) {
			fprintf(stderr, "%s: op %s has too many arguments\n", t->name, t->ops[i].name);
			abort();
		}
	/* Not the ops: each is cleared when it is added (tens of KiB a run). */
	memset(p, 0, offsetof(struct fz_prog, ops));
	p->head_expects = p->comment = NULL;
	for (unsigned i = 0; i < t->ncfg; i++)
		p->cfg[i] = t->cfg[i].def;
}

void fz_prog_free(struct fz_prog *p)
{
	for (unsigned i = 0; i < p->nops; i++)
		free(p->ops[i].expects);
	free(p->head_expects);
	free(p->comment);
	p->nops = 0;
	p->head_expects = p->comment = NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void fz_prog_copy(struct fz_prog *dst, const struct fz_prog *src)
{
	memcpy(dst, src, sizeof(*dst));
	for (unsigned i = 0; i < dst->nops; i++)
		dst->ops[i].expects = dup_or_null(src->ops[i].expects);
	dst->head_expects = dup_or_null(src->head_expects);
	dst->comment = dup_or_null(src->comment);
}

void fz_decode(const struct fz_target *t, const uint8_t *data, size_t size,
	       struct fz_prog *p)
{
	struct dp d = { data, size, 0 };
	unsigned nhandles = 0;
	uint8_t s, k;

	fz_prog_init(p, t);
	for (unsigned i = 0; i < t->ncfg; i++) {
		const struct fz_cfg_def *c = &t->cfg[i];

		p->cfg[i] = ranged(c->lo, c->hi, dp_bytes(&d, range_width(c->hi - c->lo)));
	}
	s = dp_u8(&d);
	k = dp_u8(&d);
	if (s >= 160) {
		p->fail_at = (uint64_t)k + 1;
		p->fail_after = s & 1;
	}
	while (d.pos < d.n && p->nops < FZ_MAX_OPS) {
		struct fz_op *op = &p->ops[p->nops++];
		const struct fz_op_def *def;

		memset(op, 0, sizeof(*op));
		op->code = (uint16_t)(dp_u8(&d) % t->nops);
		def = &t->ops[op->code];
		for (unsigned a = 0; a < def->nargs; a++)
			op->args[a] = decode_arg(&d, &def->args[a], nhandles);
		if (def->flags & FZ_RET_HANDLE)
			nhandles++;
	}
}

size_t fz_encode(const struct fz_target *t, const struct fz_prog *p, uint8_t *out,
		 size_t cap, char *err, size_t errlen)
{
	struct enc e = { out, cap, 0 };
	unsigned nhandles = 0;

	for (unsigned i = 0; i < t->ncfg; i++) {
		const struct fz_cfg_def *c = &t->cfg[i];

		enc_bytes(&e, p->cfg[i] - c->lo, range_width(c->hi - c->lo));
	}
	if (p->fail_at) {
		if (p->fail_at > 256) {
			snprintf(err, errlen, "fail_at=%" PRIu64 " cannot be encoded (at most 256)",
				 p->fail_at);
			return 0;
		}
		enc_bytes(&e, 160 + (p->fail_after ? 1 : 0), 1);
		enc_bytes(&e, p->fail_at - 1, 1);
	} else {
		enc_bytes(&e, 0, 2);
	}
	for (unsigned i = 0; i < p->nops; i++) {
		const struct fz_op *op = &p->ops[i];
		const struct fz_op_def *def = &t->ops[op->code];

		enc_bytes(&e, op->code, 1);
		for (unsigned a = 0; a < def->nargs; a++) {
			if (def->args[a].kind == FZ_HANDLE &&
			    (op->args[a] >= nhandles || op->args[a] > 0xff)) {
				snprintf(err, errlen, "op %u: handle h%" PRIu64 " cannot be encoded",
					 i, op->args[a]);
				return 0;
			}
			encode_arg(&e, &def->args[a], op->args[a]);
		}
		if (def->flags & FZ_RET_HANDLE)
			nhandles++;
	}
	return e.len;
}

/* ------------------------------------------------------------------ */
/* printing                                                             */

static void format_value(const struct fz_arg_def *a, uint64_t v, char *buf, size_t len)
{
	switch (a->kind) {
	case FZ_INT:
		snprintf(buf, len, "%" PRId64, (int64_t)v);
		return;
	case FZ_ENUM:
		if (v <= (uint64_t)a->hi && a->names)
			snprintf(buf, len, "%s", a->names[v]);
		else
			snprintf(buf, len, "%" PRId64, (int64_t)v);
		return;
	case FZ_HANDLE:
		snprintf(buf, len, "h%" PRIu64, v);
		return;
	default:
		snprintf(buf, len, "0x%" PRIx64, v);
		return;
	}
}

void fz_format_op(const struct fz_target *t, const struct fz_op *op, char *buf, size_t len)
{
	const struct fz_op_def *def = &t->ops[op->code];
	size_t n = (size_t)snprintf(buf, len, "%s", def->name);

	for (unsigned a = 0; a < def->nargs && n < len; a++) {
		char v[64];

		format_value(&def->args[a], op->args[a], v, sizeof(v));
		n += (size_t)snprintf(buf + n, len - n, " %s=%s", def->args[a].name, v);
	}
}

void fz_format_result(const struct fz_op_def *d, struct fz_result r, char *buf, size_t len)
{
	const char *name;

	if (r.rc == FZ_RC_SKIPPED)
		snprintf(buf, len, "skipped");
	else if (r.rc < 0)
		snprintf(buf, len, "-%s", (name = mm_errname(r.rc)) ? name : "E?");
	else if (d->flags & FZ_RET_BOOL)
		snprintf(buf, len, "%s", r.val ? "true" : "false");
	else if (d->flags & (FZ_RET_VALUE | FZ_RET_HANDLE))
		snprintf(buf, len, "0x%" PRIx64, r.val);
	else
		snprintf(buf, len, "%d", r.rc);
}

static void print_lines(FILE *f, const char *prefix, const char *text)
{
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		fprintf(f, "%s%.*s\n", prefix, (int)n, text);
		text += n + (nl ? 1 : 0);
	}
}

void fz_print(const struct fz_target *t, const struct fz_prog *p,
	      const struct fz_result *results, FILE *f)
{
	unsigned nhandles = 0;

	print_lines(f, "", p->comment);
	fprintf(f, "config");
	for (unsigned i = 0; i < t->ncfg; i++)
		fprintf(f, " %s=%" PRIu64, t->cfg[i].name, p->cfg[i]);
	if (p->fail_at)
		fprintf(f, " fail_at=%" PRIu64 " fail_after=%d", p->fail_at, p->fail_after);
	fprintf(f, "\n");
	print_lines(f, "expect ", p->head_expects);
	for (unsigned i = 0; i < p->nops; i++) {
		const struct fz_op *op = &p->ops[i];
		const struct fz_op_def *def = &t->ops[op->code];
		char buf[512], res[64];

		fz_format_op(t, op, buf, sizeof(buf));
		fprintf(f, "%s", buf);
		if (results && results[i].rc != FZ_RC_NONE) {
			fz_format_result(def, results[i], res, sizeof(res));
			if ((def->flags & FZ_RET_HANDLE) && results[i].rc >= 0)
				fprintf(f, " -> h%u=%s", nhandles, res);
			else
				fprintf(f, " -> %s", res);
		}
		fprintf(f, "\n");
		print_lines(f, "expect ", op->expects);
		if (def->flags & FZ_RET_HANDLE)
			nhandles++;
	}
}

/* ------------------------------------------------------------------ */
/* parsing                                                              */

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	bool neg = *s == '-';

	if (neg)
		s++;
	if (!*s)
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	if (neg)
		*out = (uint64_t)0 - *out;
	return true;
}

static bool parse_value(const struct fz_arg_def *a, const char *s, uint64_t *out)
{
	if (a->kind == FZ_HANDLE)
		return s[0] == 'h' && parse_u64(s + 1, out);
	if (a->kind == FZ_ENUM && a->names)
		for (int64_t i = 0; i <= a->hi; i++)
			if (!strcmp(a->names[i], s)) {
				*out = (uint64_t)i;
				return true;
			}
	if (!strcmp(s, "true") || !strcmp(s, "false")) {
		*out = s[0] == 't';
		return true;
	}
	return parse_u64(s, out);
}

static bool parse_result(const struct fz_op_def *d, const char *s, struct fz_result *r,
			 unsigned handle_no)
{
	uint64_t v;

	r->rc = 0;
	r->val = 0;
	if (!strcmp(s, "skipped")) {
		r->rc = FZ_RC_SKIPPED;
		return true;
	}
	if (s[0] == '-' && s[1] == 'E') {
		int code = mm_errcode(s + 1);

		r->rc = -code;
		return code != 0;
	}
	if (s[0] == 'h') { /* hN=VALUE: N must be this op's handle number */
		const char *eq = strchr(s, '=');
		char num[32];

		if (!eq || (size_t)(eq - s - 1) >= sizeof(num))
			return false;
		memcpy(num, s + 1, (size_t)(eq - s - 1));
		num[eq - s - 1] = 0;
		if (!parse_u64(num, &v) || v != handle_no)
			return false;
		s = eq + 1;
	}
	if (!strcmp(s, "true") || !strcmp(s, "false")) {
		r->val = s[0] == 't';
		return true;
	}
	if (!parse_u64(s, &v))
		return false;
	if (d->flags & (FZ_RET_VALUE | FZ_RET_HANDLE | FZ_RET_BOOL))
		r->val = v;
	else
		r->rc = (int)v;
	return true;
}

static void append_line(char **dst, const char *line)
{
	size_t old = *dst ? strlen(*dst) : 0, n = strlen(line);
	char *p = realloc(*dst, old + n + 2);

	if (!p)
		abort();
	if (old)
		p[old++] = '\n';
	memcpy(p + old, line, n + 1);
	*dst = p;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int parse_error(char *err, size_t len, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, len, "line %u: ", line);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < len)
		vsnprintf(err + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_config(const struct fz_target *t, char *rest, struct fz_prog *p,
			char *err, size_t errlen, unsigned lineno)
{
	for (char *tok = strtok(rest, " \t"); tok; tok = strtok(NULL, " \t")) {
		char *eq = strchr(tok, '=');
		uint64_t v;
		unsigned i;

		if (!eq)
			return parse_error(err, errlen, lineno, "config: '%s' is not key=value", tok);
		*eq = 0;
		if (!parse_u64(eq + 1, &v))
			return parse_error(err, errlen, lineno, "config: bad value for %s", tok);
		if (!strcmp(tok, "fail_at")) {
			p->fail_at = v;
			continue;
		}
		if (!strcmp(tok, "fail_after")) {
			p->fail_after = v != 0;
			continue;
		}
		for (i = 0; i < t->ncfg; i++)
			if (!strcmp(t->cfg[i].name, tok))
				break;
		if (i == t->ncfg)
			return parse_error(err, errlen, lineno, "config: unknown key '%s'", tok);
		if (v < t->cfg[i].lo || v > t->cfg[i].hi)
			return parse_error(err, errlen, lineno,
					   "config: %s=%" PRIu64 " outside [%" PRIu64 ", %" PRIu64 "]",
					   tok, v, t->cfg[i].lo, t->cfg[i].hi);
		p->cfg[i] = v;
	}
	return 0;
}

/* Parse line as op code; 0, or -1 with a message. */
static int parse_op_as(const struct fz_target *t, unsigned code, char *line, struct fz_op *op,
		       unsigned nhandles, char *err, size_t errlen, unsigned lineno)
{
	const struct fz_op_def *def = &t->ops[code];
	bool seen[FZ_MAX_ARGS] = { false };
	char *arrow = strstr(line, "->"), *tok, *save = NULL;

	if (arrow)
		*arrow = 0;
	memset(op, 0, sizeof(*op));
	op->code = (uint16_t)code;
	strtok_r(line, " \t", &save); /* the name */
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		unsigned a;

		if (!eq)
			return parse_error(err, errlen, lineno, "'%s' is not name=value", tok);
		*eq = 0;
		for (a = 0; a < def->nargs; a++)
			if (!strcmp(def->args[a].name, tok))
				break;
		if (a == def->nargs)
			return parse_error(err, errlen, lineno, "%s has no argument '%s'",
					   def->name, tok);
		if (!parse_value(&def->args[a], eq + 1, &op->args[a]))
			return parse_error(err, errlen, lineno, "bad value '%s' for %s", eq + 1, tok);
		if (def->args[a].kind == FZ_HANDLE && op->args[a] >= nhandles)
			return parse_error(err, errlen, lineno, "h%" PRIu64 " does not exist yet",
					   op->args[a]);
		seen[a] = true;
	}
	for (unsigned a = 0; a < def->nargs; a++)
		if (!seen[a])
			return parse_error(err, errlen, lineno, "%s needs %s=", def->name,
					   def->args[a].name);
	if (arrow) {
		char *r = trim(arrow + 2);

		if (!parse_result(def, r, &op->want, nhandles))
			return parse_error(err, errlen, lineno, "bad result '%s'", r);
		op->has_want = true;
	}
	return 0;
}

/* An op line. Several table entries may share a name (the same op taking a
 * handle or a literal): the first whose arguments parse wins. */
static int parse_op(const struct fz_target *t, char *line, struct fz_prog *p,
		    unsigned *nhandles, char *err, size_t errlen, unsigned lineno)
{
	size_t n = strcspn(line, " \t");
	int rc = parse_error(err, errlen, lineno, "unknown op '%.*s'", (int)n, line);

	if (p->nops >= FZ_MAX_OPS)
		return parse_error(err, errlen, lineno, "more than %d ops", FZ_MAX_OPS);
	for (unsigned code = 0; code < t->nops && rc; code++) {
		char copy[1024];

		if (strlen(t->ops[code].name) != n || strncmp(t->ops[code].name, line, n))
			continue;
		snprintf(copy, sizeof(copy), "%s", line);
		rc = parse_op_as(t, code, copy, &p->ops[p->nops], *nhandles, err, errlen, lineno);
	}
	if (rc)
		return rc;
	if (t->ops[p->ops[p->nops].code].flags & FZ_RET_HANDLE)
		(*nhandles)++;
	p->nops++;
	return 0;
}

int fz_parse(const struct fz_target *t, const char *text, struct fz_prog *p, char *err,
	     size_t errlen)
{
	char *copy = strdup(text), *cur = copy;
	unsigned lineno = 0, nhandles = 0;
	bool head = true;
	int rc = 0;

	if (!copy)
		abort();
	fz_prog_init(p, t);
	while (cur && rc == 0) {
		char *nl = strchr(cur, '\n'), *line;

		if (nl)
			*nl = 0;
		lineno++;
		line = trim(cur);
		cur = nl ? nl + 1 : NULL;
		if (line[0] == '#') {
			if (head)
				append_line(&p->comment, line);
			continue;
		}
		{ /* a comment after the content */
			char *hash = strstr(line, " #");

			if (hash)
				*hash = 0;
			line = trim(line);
		}
		if (!line[0])
			continue;
		head = false;
		if (!strncmp(line, "config", 6) && (line[6] == ' ' || !line[6])) {
			if (p->nops)
				rc = parse_error(err, errlen, lineno, "config after the first op");
			else
				rc = parse_config(t, line + 6, p, err, errlen, lineno);
		} else if (!strncmp(line, "expect ", 7)) {
			append_line(p->nops ? &p->ops[p->nops - 1].expects : &p->head_expects,
				    trim(line + 7));
		} else {
			rc = parse_op(t, line, p, &nhandles, err, errlen, lineno);
		}
	}
	free(copy);
	if (rc)
		fz_prog_free(p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* running                                                              */

static bool fail(struct fz_failure *f, const struct fz_target *t, void *world, int index,
		 const char *sig, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	f->failed = true;
	f->op_index = index;
	snprintf(f->sig, sizeof(f->sig), "%s", sig);
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	n = strlen(f->msg);
	if (world && t->dump && n + 1 < sizeof(f->msg)) {
		FILE *m = fmemopen(f->msg + n, sizeof(f->msg) - n, "w");

		if (m) {
			t->dump(world, m);
			fclose(m);
		}
		f->msg[sizeof(f->msg) - 1] = 0;
	}
	return false;
}

static bool same_result(const struct fz_op_def *d, struct fz_result a, struct fz_result b)
{
	if (a.rc != b.rc)
		return false;
	if (a.rc < 0 || !(d->flags & (FZ_RET_VALUE | FZ_RET_HANDLE | FZ_RET_BOOL)))
		return true;
	if (d->flags & FZ_RET_BOOL)
		return !a.val == !b.val;
	return a.val == b.val;
}

/* Check the expect lines of one op (or the head). */
static bool run_expects(const struct fz_target *t, void *world, const char *lines,
			int index, struct fz_failure *f)
{
	char buf[1024], line[1024], sig[256];

	while (lines && *lines) {
		const char *nl = strchr(lines, '\n');
		size_t n = nl ? (size_t)(nl - lines) : strlen(lines);
		const char *msg;

		snprintf(line, sizeof(line), "%.*s", (int)n, lines);
		lines += n + (nl ? 1 : 0);
		if (!t->expect)
			return fail(f, t, world, index, "expect:unsupported",
				    "this target has no expect lines: expect %s\n", line);
		msg = t->expect(world, line, buf, sizeof(buf));
		if (msg) {
			snprintf(sig, sizeof(sig), "expect:%.200s", line);
			return fail(f, t, world, index, sig, "after op %d: expect %s\n  %s\n",
				    index, line, msg);
		}
	}
	return true;
}

struct handle {
	bool valid;
	uint64_t val;
};

/* A signature names a bug, not one instance of it: the same broken state
 * reached through different ops or at other addresses is one failure. */
static void signature(char *sig, size_t len, const char *kind, const char *msg)
{
	size_t n = (size_t)snprintf(sig, len, "%s:", kind);

	for (const char *m = msg; *m && n + 1 < len; m++) {
		if (m[0] == '0' && m[1] == 'x') {
			m++;
			while (m[1] && strchr("0123456789abcdefABCDEF", m[1]))
				m++;
			sig[n++] = '#';
		} else if (*m >= '0' && *m <= '9') {
			while (m[1] >= '0' && m[1] <= '9')
				m++;
			sig[n++] = '#';
		} else {
			sig[n++] = *m;
		}
	}
	sig[n] = 0;
}

static void *run_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return fz_pool_get(size, true);
}

/* mm_meta_array's memory (backing pages among it) is not zeroed. */
static void *run_array(void *ctx, size_t size)
{
	(void)ctx;
	return fz_pool_get(size, false);
}

static void run_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	fz_pool_put(p, size);
}

/* The world a run's destroy gave back, kept for the next create: it is
 * the harness's own, so it is kept as it is, not poisoned (no code runs
 * between one run's destroy and the next one's create). */
static struct {
	void *p;
	size_t size;
} spare_world;

void *fz_world_alloc(size_t size)
{
	void *p = spare_world.p;

	if (p && spare_world.size == size)
		spare_world.p = NULL;
	else if (!(p = malloc(size)))
		abort();
	return p;
}

void fz_world_free(void *p, size_t size)
{
	if (!p)
		return;
	if (spare_world.p)
		free(spare_world.p);
	spare_world.p = p;
	spare_world.size = size;
}

bool fz_run(const struct fz_target *t, const struct fz_prog *p, struct fz_result *results,
	    struct fz_failure *f)
{
	struct mm_meta meta;
	struct handle *handles;
	unsigned nh = 0;
	void *world;
	bool ok = true;

	/* The report's buffers are written only on a failure: not cleared. */
	f->failed = false;
	f->op_index = -1;
	f->sig[0] = f->msg[0] = '\0';
	f->allocs = 0;
	for (unsigned i = 0; results && i < p->nops; i++)
		results[i].rc = FZ_RC_NONE;
	mm_meta_init(&meta);
	meta.alloc_fn = run_alloc;
	meta.array_fn = run_array;
	meta.free_fn = run_free;
	world = t->create(p->cfg, &meta);
	if (!world)
		return true; /* a config the target does not build: nothing to check */
	handles = calloc(p->nops + 1, sizeof(*handles));
	if (!handles)
		abort();
	mm_meta_fail_at(&meta, p->fail_at, p->fail_after);
	ok = run_expects(t, world, p->head_expects, -1, f);

	for (unsigned i = 0; ok && i < p->nops; i++) {
		const struct fz_op *op = &p->ops[i];
		const struct fz_op_def *def = &t->ops[op->code];
		struct fz_result ri, rm;
		uint64_t args[FZ_MAX_ARGS];
		bool skip = false;
		char opbuf[512], a[64], b[64], sig[300];
		const char *msg;
		bool full;
		char cmp[1024];
		uint64_t failures = meta.failures;

		for (unsigned k = 0; k < def->nargs; k++) {
			args[k] = op->args[k];
			if (def->args[k].kind == FZ_HANDLE) {
				if (args[k] >= nh || !handles[args[k]].valid)
					skip = true;
				else
					args[k] = handles[args[k]].val;
			}
		}
		if (skip) {
			ri.rc = FZ_RC_SKIPPED;
			ri.val = 0;
			rm = ri;
		} else {
			ri = def->impl(world, args);
			/* An op that met an injected bookkeeping failure must fail
			 * with -ENOMEM and change nothing: the model stays as it was. */
			if (meta.failures != failures && ri.rc == -MM_ENOMEM)
				rm = ri;
			else
				rm = def->model(world, args);
		}
		if (!same_result(def, ri, rm)) {
			fz_format_op(t, op, opbuf, sizeof(opbuf));
			fz_format_result(def, ri, a, sizeof(a));
			fz_format_result(def, rm, b, sizeof(b));
			snprintf(sig, sizeof(sig), "result:%s", def->name);
			ok = fail(f, t, world, (int)i, sig,
				  "op %u: %s\n  implementation: %s\n  model:          %s\n", i,
				  opbuf, a, b);
			break;
		}
		if (op->has_want && !same_result(def, ri, op->want)) {
			fz_format_op(t, op, opbuf, sizeof(opbuf));
			fz_format_result(def, ri, a, sizeof(a));
			fz_format_result(def, op->want, b, sizeof(b));
			snprintf(sig, sizeof(sig), "want:%s", def->name);
			ok = fail(f, t, world, (int)i, sig,
				  "op %u: %s\n  result:   %s\n  expected: %s (trace)\n", i, opbuf, a, b);
			break;
		}
		if (results)
			results[i] = rm;
		if (def->flags & FZ_RET_HANDLE) {
			handles[nh].valid = ri.rc >= 0 && ri.rc != FZ_RC_SKIPPED;
			handles[nh].val = ri.val;
			nh++;
		}
		/* The whole state every FZ_FULL_EVERY ops and after the last op;
		 * what the op can have touched after the others. */
		full = (i + 1) % FZ_FULL_EVERY == 0 || i + 1 == p->nops || op->expects;
		msg = t->compare ? t->compare(world, cmp, sizeof(cmp)) : NULL;
		if (!msg && full && t->compare_full)
			msg = t->compare_full(world, cmp, sizeof(cmp));
		if (msg) {
			fz_format_op(t, op, opbuf, sizeof(opbuf));
			signature(sig, sizeof(sig), "state", msg);
			ok = fail(f, t, world, (int)i, sig,
				  "op %u: %s\n  state differs from the model: %s\n", i, opbuf, msg);
			break;
		}
		msg = t->check ? t->check(world) : NULL;
		if (!msg && full && t->check_full)
			msg = t->check_full(world);
		if (msg) {
			fz_format_op(t, op, opbuf, sizeof(opbuf));
			signature(sig, sizeof(sig), "check", msg);
			ok = fail(f, t, world, (int)i, sig, "op %u: %s\n  check failed: %s\n", i,
				  opbuf, msg);
			break;
		}
		ok = run_expects(t, world, op->expects, (int)i, f);
	}
	free(handles);
	f->allocs = meta.calls;
	t->destroy(world);
	fz_pool_settle();
	if (ok && meta.live)
		ok = fail(f, t, NULL, (int)p->nops - 1, "leak",
			  "%" PRIu64 " bookkeeping allocations (%" PRIu64
			  " bytes) not freed at destroy\n",
			  meta.live, meta.live_bytes);
	return ok;
}

/* ------------------------------------------------------------------ */
/* libFuzzer entry                                                      */

static void report(const struct fz_target *t, const struct fz_prog *p,
		   const struct fz_result *results, const struct fz_failure *f, FILE *out)
{
	fprintf(out, "==== %s: %s\n%s", t->name, f->sig, f->msg);
	fprintf(out, "---- the program as a trace:\n");
	fz_print(t, p, results, out);
	fprintf(out, "----\n");
}

/*
 * libFuzzer's entropic schedule counts, for every feature of every run, how
 * often it has been seen, and looks each one up in its list of rare
 * features: every feature seen fewer than 255 times, by default. An op
 * program runs thousands of the library's edges, each with its own hit-count
 * buckets, so for the first hundreds of thousands of runs that list holds
 * tens of thousands of features, and the lookups cost most of the CPU
 * (ci/throughput measures it). Entropic itself stays: only the set of
 * features it treats as rare is its floor, the rarest ones
 * (-entropic_number_of_rarest_features). ci/bugs shows nothing is found
 * later. A flag given on the command line wins: it comes after this one.
 */
static const char *const engine_defaults[] = {
	"-entropic_feature_frequency_threshold=",
	"-entropic_feature_frequency_threshold=1",
};

/* Defined by AFL++'s runtime only: its driver calls LLVMFuzzerInitialize
 * too, but reads its argv differently, and its engine has no entropic. */
int __afl_persistent_loop(unsigned int max_cnt) __attribute__((weak));

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[256];
	int n = *argc;

	if (__afl_persistent_loop || n < 1 || n + 2 > (int)(sizeof(args) / sizeof(args[0])))
		return 0;
	for (int i = 1; i < n; i++)
		if (!strncmp((*argv)[i], engine_defaults[0], strlen(engine_defaults[0])))
			return 0;
	args[0] = (*argv)[0];
	args[1] = (char *)engine_defaults[1];
	for (int i = 1; i < n; i++)
		args[i + 1] = (*argv)[i];
	args[n + 1] = NULL;
	*argc = n + 1;
	*argv = args;
	return 0;
}

int fz_fuzz_one(const struct fz_target *t, const uint8_t *data, size_t size)
{
	static struct fz_prog p;
	static struct fz_result results[FZ_MAX_OPS];
	struct fz_failure f;

	fz_decode(t, data, size, &p);
	if (!fz_run(t, &p, results, &f)) {
		report(t, &p, results, &f, stderr);
		abort();
	}
	fz_prog_free(&p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* files                                                                */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!fp)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb)
				abort();
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, fp);

		n += got;
		if (got == 0)
			break;
	}
	fclose(fp);
	buf[n] = 0;
	*len = n;
	return buf;
}

static bool is_trace_name(const char *path)
{
	size_t n = strlen(path);

	return n > 6 && !strcmp(path + n - 6, ".trace");
}

/* Load a file as a program: a .trace is parsed, anything else decoded. */
static int load(const struct fz_target *t, const char *path, struct fz_prog *p, char *err,
		size_t errlen)
{
	size_t len;
	uint8_t *data = read_file(path, &len);
	int rc = 0;

	if (!data) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (is_trace_name(path))
		rc = fz_parse(t, (const char *)data, p, err, errlen);
	else
		fz_decode(t, data, len, p);
	free(data);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Call fn on path, or on each file in it (sorted) when it is a directory. */
static int for_each_file(const char *path, int (*fn)(const char *, void *), void *ctx)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int bad = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return fn(path, ctx);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		char full[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[n++] = strdup(full);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		bad |= fn(names[i], ctx);
		free(names[i]);
	}
	free(names);
	return bad;
}

/* ------------------------------------------------------------------ */
/* shrinking: every candidate runs in a child, so a sanitizer report or a
 * crash is a failure like any other and the shrinker survives it.      */

#define SHRINK_TIMEOUT_S 20

struct shrink {
	const struct fz_target *t;
	char sig[512];
	unsigned tries, accepted;
};

/* The failure signature of a program, run in a child ("" when it passes). */
static void child_signature(const struct fz_target *t, const struct fz_prog *p, char *sig,
			    size_t len)
{
	int fds[2];
	pid_t pid;
	char buf[65536];
	size_t n = 0;
	int status;

	sig[0] = 0;
	if (pipe(fds) != 0)
		abort();
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		struct fz_failure f;

		close(fds[0]);
		dup2(fds[1], 2);
		alarm(SHRINK_TIMEOUT_S);
		if (!fz_run(t, p, NULL, &f)) {
			dprintf(2, "\nFZSIG:%s\n", f.sig);
			_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t got = read(fds[0], buf + n, sizeof(buf) - 1 - n);

		if (got <= 0)
			break;
		n += (size_t)got;
		if (n == sizeof(buf) - 1) { /* keep the tail, where the summary is */
			memmove(buf, buf + n / 2, n - n / 2);
			n -= n / 2;
		}
	}
	buf[n] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	{
		char *s = strstr(buf, "FZSIG:");

		if (s) {
			char *e = strchr(s, '\n');

			snprintf(sig, len, "%.*s", (int)(e ? e - s - 6 : (long)strlen(s + 6)), s + 6);
			return;
		}
		s = strstr(buf, "SUMMARY: ");
		if (s) {
			char *e = strchr(s, '\n');

			snprintf(sig, len, "crash:%.*s", (int)(e ? e - s : (long)strlen(s)), s);
			return;
		}
	}
	if (WIFSIGNALED(status))
		snprintf(sig, len, "crash:signal %d", WTERMSIG(status));
	else
		snprintf(sig, len, "crash:exit %d", WEXITSTATUS(status));
}

static bool still_fails(struct shrink *s, const struct fz_prog *p)
{
	char sig[512];

	s->tries++;
	child_signature(s->t, p, sig, sizeof(sig));
	return !strcmp(sig, s->sig);
}

/* Remove ops [at, at + n) and every later op naming a handle they made;
 * later handle numbers are renumbered. */
static void remove_ops(const struct fz_target *t, struct fz_prog *p, unsigned at, unsigned n)
{
	static int32_t map[FZ_MAX_OPS];
	unsigned nh_old = 0, nh_new = 0, k = 0;

	for (unsigned i = 0; i < p->nops; i++) {
		struct fz_op *op = &p->ops[i];
		const struct fz_op_def *def = &t->ops[op->code];
		bool drop = i >= at && i < at + n;

		for (unsigned a = 0; a < def->nargs && !drop; a++)
			if (def->args[a].kind == FZ_HANDLE && map[op->args[a]] < 0)
				drop = true;
		if (def->flags & FZ_RET_HANDLE)
			map[nh_old++] = drop ? -1 : (int32_t)nh_new++;
		if (drop) {
			free(op->expects);
			continue;
		}
		for (unsigned a = 0; a < def->nargs; a++)
			if (def->args[a].kind == FZ_HANDLE)
				op->args[a] = (uint64_t)map[op->args[a]];
		p->ops[k++] = *op;
	}
	p->nops = k;
}

static void shrink_ops(struct shrink *s, struct fz_prog *p)
{
	for (unsigned chunk = p->nops / 2 ? p->nops / 2 : 1; chunk >= 1; chunk /= 2) {
		for (unsigned at = 0; at < p->nops;) {
			struct fz_prog c;

			fz_prog_copy(&c, p);
			remove_ops(s->t, &c, at, chunk);
			if (c.nops < p->nops && still_fails(s, &c)) {
				fz_prog_free(p);
				*p = c;
				s->accepted++;
			} else {
				fz_prog_free(&c);
				at += chunk;
			}
		}
		if (chunk == 1)
			break;
	}
}

/* Smaller candidates for a value, most aggressive first. */
static unsigned value_candidates(uint64_t v, int64_t lo, uint64_t *out)
{
	unsigned n = 0;
	uint64_t low = v & (0 - v);

	if (v != (uint64_t)lo)
		out[n++] = (uint64_t)lo;
	if (v > 1 && lo <= 1)
		out[n++] = 1;
	if (v >> 1 > (uint64_t)lo)
		out[n++] = v >> 1;
	if (low != v && low) /* clear the lowest set bit */
		out[n++] = v - low;
	if ((v & ~(uint64_t)0xfff) != v && (v & ~(uint64_t)0xfff) > (uint64_t)lo)
		out[n++] = v & ~(uint64_t)0xfff;
	if (v > (uint64_t)lo + 1)
		out[n++] = v - 1;
	return n;
}

static bool try_value(struct shrink *s, struct fz_prog *p, uint64_t *slot, uint64_t cand)
{
	uint64_t old = *slot;

	*slot = cand;
	if (still_fails(s, p)) {
		s->accepted++;
		return true;
	}
	*slot = old;
	return false;
}

static void shrink_values(struct shrink *s, struct fz_prog *p)
{
	uint64_t cands[8];

	if (p->fail_at) {
		uint64_t fa = p->fail_at;

		p->fail_at = 0;
		if (still_fails(s, p))
			s->accepted++;
		else
			p->fail_at = fa;
	}
	for (unsigned i = 0; i < s->t->ncfg; i++) {
		unsigned n = value_candidates(p->cfg[i], (int64_t)s->t->cfg[i].lo, cands);

		for (unsigned c = 0; c < n; c++)
			if (cands[c] >= s->t->cfg[i].lo && try_value(s, p, &p->cfg[i], cands[c]))
				break;
	}
	for (unsigned i = 0; i < p->nops; i++) {
		const struct fz_op_def *def = &s->t->ops[p->ops[i].code];

		for (unsigned a = 0; a < def->nargs; a++) {
			const struct fz_arg_def *ad = &def->args[a];
			int64_t lo = ad->kind == FZ_INT ? ad->lo : 0;
			bool progress = true;

			if (ad->kind == FZ_HANDLE)
				continue;
			/* Signed arguments (a nid of -1) keep their sign. */
			if (ad->kind == FZ_INT && (int64_t)p->ops[i].args[a] < 0)
				continue;
			for (unsigned round = 0; progress && round < 64; round++) {
				unsigned n = value_candidates(p->ops[i].args[a], lo, cands);

				progress = false;
				for (unsigned c = 0; c < n && !progress; c++)
					progress = try_value(s, p, &p->ops[i].args[a], cands[c]);
			}
		}
	}
}

/* Shrink p in place while it fails with signature sig. */
static void shrink(const struct fz_target *t, struct fz_prog *p, const char *sig,
		   int fail_index)
{
	struct shrink s = { .t = t };
	unsigned before;

	snprintf(s.sig, sizeof(s.sig), "%s", sig);
	/* Nothing after the failing op matters. */
	if (fail_index >= 0 && (unsigned)fail_index + 1 < p->nops) {
		struct fz_prog c;

		fz_prog_copy(&c, p);
		remove_ops(t, &c, (unsigned)fail_index + 1, p->nops - (unsigned)fail_index - 1);
		if (still_fails(&s, &c)) {
			fz_prog_free(p);
			*p = c;
		} else {
			fz_prog_free(&c);
		}
	}
	do {
		before = s.accepted;
		shrink_ops(&s, p);
		shrink_values(&s, p);
	} while (s.accepted != before && s.tries < 20000);
	fprintf(stderr, "shrink: %u runs, %u steps taken, %u ops left\n", s.tries, s.accepted,
		p->nops);
}

/* Run p in a child that leaves the model's results in shared memory, so a
 * crashing program still prints with the results of the ops before it. */
static void results_in_child(const struct fz_target *t, const struct fz_prog *p,
			     struct fz_result *out)
{
	size_t bytes = sizeof(struct fz_result) * FZ_MAX_OPS;
	struct fz_result *shared = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	for (unsigned i = 0; i < FZ_MAX_OPS; i++)
		out[i].rc = FZ_RC_NONE;
	if (shared == MAP_FAILED)
		return;
	for (unsigned i = 0; i < FZ_MAX_OPS; i++)
		shared[i].rc = FZ_RC_NONE;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct fz_failure f;
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 2);
		alarm(SHRINK_TIMEOUT_S);
		fz_run(t, p, shared, &f);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	memcpy(out, shared, bytes);
	munmap(shared, bytes);
}

/* ------------------------------------------------------------------ */
/* the standalone tool                                                  */

struct opts {
	const struct fz_target *t;
	bool quiet, verbose, sweep;
	uint64_t sweep_runs;
	bool have_fault;
	uint64_t fail_at;
	bool fail_after;
	unsigned passed, failed;
};

static void apply_opts(const struct opts *o, struct fz_prog *p)
{
	if (o->have_fault) {
		p->fail_at = o->fail_at;
		p->fail_after = o->fail_after;
	}
}

/*
 * The out-of-memory sweep (SQLite's OOM test): run the program once to
 * count the bookkeeping allocations its ops make, then once more for each,
 * failing that one. The op that meets the failure must return -ENOMEM and
 * leave everything as the model has it; nothing may leak. The trace's own
 * "->" and "expect" lines are dropped, since a failed allocation rightly
 * changes what follows; the model and the checks still judge every op.
 */
static int sweep_one(struct opts *o, const char *path, struct fz_prog *p)
{
	struct fz_failure f;
	uint64_t n;

	for (unsigned i = 0; i < p->nops; i++) {
		p->ops[i].has_want = false;
		free(p->ops[i].expects);
		p->ops[i].expects = NULL;
	}
	free(p->head_expects);
	p->head_expects = NULL;
	p->fail_at = 0;
	if (!fz_run(o->t, p, NULL, &f)) {
		fprintf(stderr, "FAIL %s (no fault)\n%s", path, f.msg);
		return 1;
	}
	n = f.allocs;
	for (uint64_t k = 1; k <= n; k++) {
		p->fail_at = k;
		p->fail_after = false;
		o->sweep_runs++;
		if (!fz_run(o->t, p, NULL, &f)) {
			fprintf(stderr, "FAIL %s with fail_at=%" PRIu64 "\n", path, k);
			report(o->t, p, NULL, &f, stderr);
			return 1;
		}
	}
	if (!o->quiet)
		printf("ok   %s (%" PRIu64 " faults)\n", path, n);
	return 0;
}

/* A trace must survive bytes: encode it, decode it, and get the same program.
 * That is what makes every trace a corpus seed. */
static bool round_trips(const struct fz_target *t, const struct fz_prog *p, char *err,
			size_t errlen)
{
	static struct fz_prog back;
	size_t n = fz_encode(t, p, NULL, 0, err, errlen);
	uint8_t *buf;
	bool same = true;

	if (!n)
		return false;
	buf = malloc(n);
	if (!buf)
		abort();
	fz_encode(t, p, buf, n, err, errlen);
	fz_decode(t, buf, n, &back);
	free(buf);
	same = back.nops == p->nops && back.fail_at == p->fail_at &&
	       back.fail_after == p->fail_after &&
	       !memcmp(back.cfg, p->cfg, sizeof(p->cfg));
	for (unsigned i = 0; same && i < p->nops; i++) {
		const struct fz_op_def *def = &t->ops[p->ops[i].code];

		same = !strcmp(t->ops[back.ops[i].code].name, def->name) &&
		       !memcmp(back.ops[i].args, p->ops[i].args, def->nargs * sizeof(uint64_t));
		if (!same)
			snprintf(err, errlen, "op %u does not survive encode + decode", i);
	}
	if (!same && back.nops != p->nops)
		snprintf(err, errlen, "%u ops decode back as %u", p->nops, back.nops);
	else if (!same && !err[0])
		snprintf(err, errlen, "the config does not survive encode + decode");
	fz_prog_free(&back);
	return same;
}

static int replay_one(const char *path, void *ctx)
{
	struct opts *o = ctx;
	static struct fz_prog p;
	static struct fz_result results[FZ_MAX_OPS];
	struct fz_failure f;
	char err[512];

	if (load(o->t, path, &p, err, sizeof(err))) {
		fprintf(stderr, "FAIL %s: %s\n", path, err);
		o->failed++;
		return 1;
	}
	if (o->sweep) {
		int bad = sweep_one(o, path, &p);

		o->passed += !bad;
		o->failed += bad;
		fz_prog_free(&p);
		return bad;
	}
	err[0] = 0;
	if (is_trace_name(path) && !round_trips(o->t, &p, err, sizeof(err))) {
		fprintf(stderr, "FAIL %s: %s\n", path, err);
		o->failed++;
		fz_prog_free(&p);
		return 1;
	}
	apply_opts(o, &p);
	if (!fz_run(o->t, &p, results, &f)) {
		fprintf(stderr, "FAIL %s\n", path);
		report(o->t, &p, results, &f, stderr);
		o->failed++;
		fz_prog_free(&p);
		return 1;
	}
	if (!o->quiet)
		printf("ok   %s (%u ops)\n", path, p.nops);
	o->passed++;
	fz_prog_free(&p);
	return 0;
}

static void usage(const char *argv0, const struct fz_target *t)
{
	fprintf(stderr,
		"usage: %s [options] FILE|DIR...    replay traces (*.trace) and raw inputs\n"
		"       %s --print FILE             the input as a trace, with results\n"
		"       %s --shrink FILE            shrink a failing input to a small trace\n"
		"       %s --encode IN.trace OUT    a trace as fuzzer input bytes\n"
		"       %s --fault-sweep FILE|DIR...  replay failing each bookkeeping allocation\n"
		"options: --fail-at K [--fail-after]  fail the K-th bookkeeping allocation\n"
		"         -q                          print failures only\n"
		"target: %s (traces in regress/%s/)\n",
		argv0, argv0, argv0, argv0, argv0, t->name, t->name);
}

static int cmd_print(struct opts *o, const char *path, bool do_shrink)
{
	static struct fz_prog p;
	static struct fz_result results[FZ_MAX_OPS];
	char err[512], sig[512];
	struct fz_failure f;
	bool clean;

	if (load(o->t, path, &p, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 2;
	}
	apply_opts(o, &p);
	/* In a child first: a sanitizer report must not take this process down. */
	child_signature(o->t, &p, sig, sizeof(sig));
	clean = !sig[0];
	if (do_shrink) {
		int idx = -1;

		if (clean) {
			fprintf(stderr, "%s: runs clean, nothing to shrink\n", path);
			fz_prog_free(&p);
			return 1;
		}
		if (strncmp(sig, "crash:", 6) != 0 && !fz_run(o->t, &p, NULL, &f))
			idx = f.op_index;
		shrink(o->t, &p, sig, idx);
	}
	results_in_child(o->t, &p, results);
	/* The failure's own op carries no "->": its right answer is the model's
	 * to give, and the replay compares against the model anyway. */
	free(p.comment);
	p.comment = NULL;
	if (!clean) {
		char line[600];

		snprintf(line, sizeof(line), "# failure: %s", sig);
		append_line(&p.comment, line);
		if (strncmp(sig, "crash:", 6) != 0 && !fz_run(o->t, &p, NULL, &f)) {
			const char *m = f.msg;

			while (*m) {
				const char *nl = strchr(m, '\n');
				size_t n = nl ? (size_t)(nl - m) : strlen(m);

				snprintf(line, sizeof(line), "#   %.*s", (int)n, m);
				append_line(&p.comment, line);
				m += n + (nl ? 1 : 0);
			}
		}
	}
	fz_print(o->t, &p, results, stdout);
	fz_prog_free(&p);
	return clean ? 0 : 1;
}

static int cmd_encode(struct opts *o, const char *in, const char *out)
{
	static struct fz_prog p;
	char err[512];
	size_t n;
	uint8_t *buf;
	FILE *fp;

	if (load(o->t, in, &p, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", in, err);
		return 2;
	}
	n = fz_encode(o->t, &p, NULL, 0, err, sizeof(err));
	if (!n) {
		fprintf(stderr, "%s: %s\n", in, err);
		fz_prog_free(&p);
		return 2;
	}
	buf = malloc(n);
	if (!buf)
		abort();
	fz_encode(o->t, &p, buf, n, err, sizeof(err));
	fz_prog_free(&p);
	fp = fopen(out, "wb");
	if (!fp || fwrite(buf, 1, n, fp) != n || fclose(fp) != 0) {
		fprintf(stderr, "%s: cannot write\n", out);
		free(buf);
		return 2;
	}
	free(buf);
	return 0;
}

/* What the tool printed is out before it returns: a program that fails by
 * leaking makes LeakSanitizer abort at exit, before stdio would flush. */
static int flushed(int rc)
{
	fflush(stdout);
	return rc;
}

int fz_main(const struct fz_target *t, int argc, char **argv)
{
	struct opts o = { .t = t };
	const char *print = NULL, *shrink_path = NULL, *enc_in = NULL, *enc_out = NULL;
	int first_file = argc, bad = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-q")) {
			o.quiet = true;
		} else if (!strcmp(a, "--fail-at") && i + 1 < argc) {
			uint64_t k;

			if (!parse_u64(argv[++i], &k)) {
				usage(argv[0], t);
				return 2;
			}
			o.have_fault = true;
			o.fail_at = k;
		} else if (!strcmp(a, "--fault-sweep")) {
			o.sweep = true;
		} else if (!strcmp(a, "--fail-after")) {
			o.fail_after = true;
		} else if (!strcmp(a, "--print") && i + 1 < argc) {
			print = argv[++i];
		} else if (!strcmp(a, "--shrink") && i + 1 < argc) {
			shrink_path = argv[++i];
		} else if (!strcmp(a, "--encode") && i + 2 < argc) {
			enc_in = argv[++i];
			enc_out = argv[++i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(argv[0], t);
			return 0;
		} else if (a[0] == '-') {
			usage(argv[0], t);
			return 2;
		} else {
			first_file = i;
			break;
		}
	}
	if (print)
		return flushed(cmd_print(&o, print, false));
	if (shrink_path)
		return flushed(cmd_print(&o, shrink_path, true));
	if (enc_in)
		return flushed(cmd_encode(&o, enc_in, enc_out));
	if (first_file >= argc) {
		usage(argv[0], t);
		return 2;
	}
	for (int i = first_file; i < argc; i++)
		bad |= for_each_file(argv[i], replay_one, &o);
	if (o.sweep)
		printf("%s: fault sweep: %" PRIu64 " replays with one allocation failed\n", t->name,
		       o.sweep_runs);
	printf("%s: %u passed, %u failed\n", t->name, o.passed, o.failed);
	return flushed(bad || o.failed ? 1 : 0);
}
