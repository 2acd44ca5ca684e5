/* SPDX-License-Identifier: MIT */
/*
 * rbtree.c - red-black tree (see rbtree.h, which holds the insert and erase
 * templates: the classic case analysis, at most two rotations to insert,
 * three to erase). Here: those with the callback called through its
 * pointer, the walks and the check.
 */
#include "rbtree.h"

void rb_propagate(struct rb_node *node, rb_recompute_fn aug)
{
	rb_propagate_inline(node, aug);
}

void rb_insert(struct rb_root *root, struct rb_node *node, struct rb_node *parent,
	       struct rb_node **link, rb_recompute_fn aug)
{
	rb_insert_inline(root, node, parent, link, aug, NULL);
}

void rb_erase(struct rb_root *root, struct rb_node *z, rb_recompute_fn aug)
{
	rb_erase_inline(root, z, aug, NULL);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	while (n && n->left)
		n = n->left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	while (n && n->right)
		n = n->right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct rb_node *)n;
	}
	while (n->parent && n == n->parent->right)
		n = n->parent;
	return n->parent;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct rb_node *)n;
	}
	while (n->parent && n == n->parent->left)
		n = n->parent;
	return n->parent;
}

/* Black height of the subtree, or -1 with *err set. */
static int check_node(const struct rb_node *n, rb_recompute_fn aug, const char **err)
{
	int l, r;

	if (!n)
		return 1;
	if ((n->left && n->left->parent != n) || (n->right && n->right->parent != n)) {
		*err = "rbtree: child's parent link broken";
		return -1;
	}
	if (n->red && (rb__is_red(n->left) || rb__is_red(n->right))) {
		*err = "rbtree: red node with a red child";
		return -1;
	}
	l = check_node(n->left, aug, err);
	if (l < 0)
		return -1;
	r = check_node(n->right, aug, err);
	if (r < 0)
		return -1;
	if (l != r) {
		*err = "rbtree: black heights differ";
		return -1;
	}
	/* The value must already be what recompute would make it. */
	if (aug && aug((struct rb_node *)n, false)) {
		*err = "rbtree: stale augmented value";
		return -1;
	}
	return l + !n->red;
}

const char *rb_check(const struct rb_root *root,
		     bool (*less)(const struct rb_node *a, const struct rb_node *b),
		     rb_recompute_fn aug)
{
	const char *err = NULL;

	if (!root->node)
		return NULL;
	if (root->node->parent)
		return "rbtree: root has a parent";
	if (root->node->red)
		return "rbtree: red root";
	if (check_node(root->node, aug, &err) < 0)
		return err;
	if (less)
		for (const struct rb_node *n = rb_first(root), *m; n && (m = rb_next(n)); n = m)
			if (!less(n, m))
				return "rbtree: in-order walk not strictly increasing";
	return NULL;
}
