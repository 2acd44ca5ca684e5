/* SPDX-License-Identifier: MIT */
/*
 * rbtree.c - red-black tree (see rbtree.h). Insert and erase follow the
 * classic case analysis: at most two rotations to insert, three to erase.
 */
#include "rbtree.h"

static void replace_child(struct rb_root *root, struct rb_node *old, struct rb_node *new,
			  struct rb_node *parent)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* x's right child y takes x's place, x becomes y's left child. A rotation
 * keeps the set of nodes below the top, so only x and y need recomputing,
 * the lower one first. */
static void rotate_left(struct rb_root *root, struct rb_node *x, rb_recompute_fn aug)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(root, x, y, x->parent);
	y->left = x;
	x->parent = y;
	if (aug) {
		aug(x, true);
		aug(y, true);
	}
}

static void rotate_right(struct rb_root *root, struct rb_node *x, rb_recompute_fn aug)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(root, x, y, x->parent);
	y->right = x;
	x->parent = y;
	if (aug) {
		aug(x, true);
		aug(y, true);
	}
}

static bool is_red(const struct rb_node *n)
{
	return n && n->red;
}

void rb_propagate(struct rb_node *node, rb_recompute_fn aug)
{
	/* Ancestors depend only on their children: stop where nothing changed. */
	for (struct rb_node *n = node; aug && n; n = n->parent)
		if (!aug(n, true) && n != node)
			break;
}

void rb_insert(struct rb_root *root, struct rb_node *node, struct rb_node *parent,
	       struct rb_node **link, rb_recompute_fn aug)
{
	node->parent = parent;
	node->left = node->right = NULL;
	node->red = true;
	*link = node;
	rb_propagate(node, aug);

	while (is_red(node->parent)) {
		struct rb_node *p = node->parent, *g = p->parent, *u;

		if (p == g->left) {
			u = g->right;
			if (is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				node = g;
				continue;
			}
			if (node == p->right) {
				rotate_left(root, p, aug);
				node = p;
				p = node->parent;
			}
			p->red = false;
			g->red = true;
			rotate_right(root, g, aug);
		} else {
			u = g->left;
			if (is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				node = g;
				continue;
			}
			if (node == p->left) {
				rotate_right(root, p, aug);
				node = p;
				p = node->parent;
			}
			p->red = false;
			g->red = true;
			rotate_left(root, g, aug);
		}
	}
	root->node->red = false;
}

/* v (possibly NULL) takes u's place under u's parent. */
static void transplant(struct rb_root *root, struct rb_node *u, struct rb_node *v)
{
	replace_child(root, u, v, u->parent);
	if (v)
		v->parent = u->parent;
}

/* Restore the black height after a black node left: x (possibly NULL) is
 * short one black, xp is its parent. */
static void erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *xp,
			rb_recompute_fn aug)
{
	while (x != root->node && !is_red(x)) {
		struct rb_node *w;

		if (x == xp->left) {
			w = xp->right;
			if (w->red) {
				w->red = false;
				xp->red = true;
				rotate_left(root, xp, aug);
				w = xp->right;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!is_red(w->right)) {
				w->left->red = false;
				w->red = true;
				rotate_right(root, w, aug);
				w = xp->right;
			}
			w->red = xp->red;
			xp->red = false;
			w->right->red = false;
			rotate_left(root, xp, aug);
		} else {
			w = xp->left;
			if (w->red) {
				w->red = false;
				xp->red = true;
				rotate_right(root, xp, aug);
				w = xp->left;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!is_red(w->left)) {
				w->right->red = false;
				w->red = true;
				rotate_left(root, w, aug);
				w = xp->left;
			}
			w->red = xp->red;
			xp->red = false;
			w->left->red = false;
			rotate_right(root, xp, aug);
		}
		x = root->node;
		xp = NULL;
	}
	if (x)
		x->red = false;
}

void rb_erase(struct rb_root *root, struct rb_node *z, rb_recompute_fn aug)
{
	struct rb_node *x, *xp;
	bool black_removed;

	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		xp = z->parent;
		black_removed = !z->red;
		transplant(root, z, x);
	} else {
		struct rb_node *y = z->right;

		while (y->left)
			y = y->left;
		black_removed = !y->red;
		x = y->right;
		if (y->parent == z) {
			xp = y;
		} else {
			xp = y->parent;
			transplant(root, y, y->right);
			y->right = z->right;
			y->right->parent = y;
		}
		transplant(root, z, y);
		y->left = z->left;
		y->left->parent = y;
		y->red = z->red;
	}
	/* Every node from the splice point up lost a descendant (and the
	 * successor moved up into that path): recompute them all. Rotations in
	 * the fixup keep the values of the subtrees they turn. */
	for (struct rb_node *n = xp; aug && n; n = n->parent)
		aug(n, true);
	if (black_removed)
		erase_fixup(root, x, xp, aug);
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
	if (n->red && (is_red(n->left) || is_red(n->right))) {
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
