/* SPDX-License-Identifier: MIT */
/*
 * rbtree.h - an intrusive red-black tree, optionally augmented.
 *
 * The caller owns the ordering: it descends to the leaf position itself and
 * hands rb_insert the parent and the link to fill, as with the kernel's
 * rbtree. Augmentation is one callback, recompute(n, store): compute n's
 * value from n and its children, say whether it differs from the one n
 * holds, and (store) make it n's value. The tree calls it on
 * every node whose subtree changes (the path above an insert or erase, and
 * both nodes of a rotation), so a value such as the largest free size in a
 * subtree stays exact through every rebalance. NULL: a plain tree.
 *
 * A helper with preconditions, not codes (mm.h): nodes passed in are linked
 * (or, for rb_insert, about to be). rb_first / rb_last of an empty tree and
 * rb_next / rb_prev past either end are NULL.
 */
#ifndef MMSTACK_RBTREE_H
#define MMSTACK_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

struct rb_node {
	struct rb_node *parent, *left, *right;
	bool red;
};

struct rb_root {
	struct rb_node *node;
};

typedef bool (*rb_recompute_fn)(struct rb_node *n, bool store);

#define rb_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Link node as the child *link of parent (NULL parent: the root), then
 * rebalance. */
void rb_insert(struct rb_root *root, struct rb_node *node, struct rb_node *parent,
	       struct rb_node **link, rb_recompute_fn aug);
void rb_erase(struct rb_root *root, struct rb_node *node, rb_recompute_fn aug);
/* node's own value changed in place: recompute it and its ancestors. Call
 * it before the next insert or erase: those rebalance from the values the
 * tree holds, which must all be current. */
void rb_propagate(struct rb_node *node, rb_recompute_fn aug);

struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* Colours, black height, parent links, and (with less) strict in-order
 * ordering; with aug, that every node's value is what recompute says. NULL
 * when all hold. */
const char *rb_check(const struct rb_root *root,
		     bool (*less)(const struct rb_node *a, const struct rb_node *b),
		     rb_recompute_fn aug);

#endif
