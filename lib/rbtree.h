/* SPDX-License-Identifier: MIT */
/*
 * rbtree.h - an intrusive red-black tree, optionally augmented.
 *
 * The caller owns the ordering: it descends to the leaf position itself and
 * hands rb_insert the parent and the link to fill, as with the kernel's
 * rbtree. Augmentation is one callback, recompute(n, store): compute n's
 * value from n and its children, say whether it differs from the one n
 * holds, and (store) make it n's value; optionally a second, rotate (see
 * rb_rotate_fn). The tree calls them on every node whose subtree changes
 * (the path above an insert or erase, as far as values change, and both
 * nodes of a rotation), so a value such as the largest free size in a
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

/* rotate(old, new): new has just taken old's place at the top of a
 * rotation. The subtree under new is the one old had, so new takes old's
 * value and old is recomputed from its new children. NULL: recompute both. */
typedef void (*rb_rotate_fn)(struct rb_node *old, struct rb_node *new_top);

/* Link node as the child *link of parent (NULL parent: the root), then
 * rebalance. */
void rb_insert(struct rb_root *root, struct rb_node *node, struct rb_node *parent,
	       struct rb_node **link, rb_recompute_fn aug);
void rb_erase(struct rb_root *root, struct rb_node *node, rb_recompute_fn aug);
/* node's own value changed in place: recompute it and its ancestors, up to
 * the first whose value stays. Call it before the next insert or erase:
 * those rebalance from the values the tree holds, which must all be
 * current. */
void rb_propagate(struct rb_node *node, rb_recompute_fn aug);

/*
 * The same three as inline templates, for an augmented tree whose callbacks
 * should be compiled into its own code (as the kernel's RB_DECLARE_CALLBACKS
 * does): a caller wraps each once with its own static callbacks, e.g.
 *
 *	static void free_erase(struct rb_root *r, struct rb_node *n)
 *	{
 *		rb_erase_inline(r, n, my_recompute, my_rotate);
 *	}
 *
 * and the compiler, seeing constant callbacks, inlines them. rb_insert and
 * friends are these with the callback called through its pointer.
 */
#define RB_INLINE static inline __attribute__((always_inline))

RB_INLINE void rb__replace_child(struct rb_root *root, struct rb_node *old, struct rb_node *new_,
				 struct rb_node *parent)
{
	if (!parent)
		root->node = new_;
	else if (parent->left == old)
		parent->left = new_;
	else
		parent->right = new_;
}

RB_INLINE void rb__rotated(struct rb_node *x, struct rb_node *y, rb_recompute_fn aug,
			   rb_rotate_fn rot)
{
	if (rot) {
		rot(x, y);
	} else if (aug) {
		aug(x, true);
		aug(y, true);
	}
}

/* x's right child y takes x's place, x becomes y's left child. A rotation
 * keeps the set of nodes below the top, so only x and y change value. */
RB_INLINE void rb__rotate_left(struct rb_root *root, struct rb_node *x, rb_recompute_fn aug,
			       rb_rotate_fn rot)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	rb__replace_child(root, x, y, x->parent);
	y->left = x;
	x->parent = y;
	rb__rotated(x, y, aug, rot);
}

RB_INLINE void rb__rotate_right(struct rb_root *root, struct rb_node *x, rb_recompute_fn aug,
				rb_rotate_fn rot)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	rb__replace_child(root, x, y, x->parent);
	y->right = x;
	x->parent = y;
	rb__rotated(x, y, aug, rot);
}

RB_INLINE bool rb__is_red(const struct rb_node *n)
{
	return n && n->red;
}

RB_INLINE void rb_propagate_inline(struct rb_node *node, rb_recompute_fn aug)
{
	/* Ancestors depend only on their children: stop where nothing changed. */
	for (struct rb_node *n = node; aug && n; n = n->parent)
		if (!aug(n, true) && n != node)
			break;
}

/* Rebalance after node was linked red as a leaf. */
RB_INLINE void rb_insert_fixup_inline(struct rb_root *root, struct rb_node *node,
				      rb_recompute_fn aug, rb_rotate_fn rot)
{
	while (rb__is_red(node->parent)) {
		struct rb_node *p = node->parent, *g = p->parent, *u;

		if (p == g->left) {
			u = g->right;
			if (rb__is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				node = g;
				continue;
			}
			if (node == p->right) {
				rb__rotate_left(root, p, aug, rot);
				node = p;
				p = node->parent;
			}
			p->red = false;
			g->red = true;
			rb__rotate_right(root, g, aug, rot);
		} else {
			u = g->left;
			if (rb__is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				node = g;
				continue;
			}
			if (node == p->left) {
				rb__rotate_right(root, p, aug, rot);
				node = p;
				p = node->parent;
			}
			p->red = false;
			g->red = true;
			rb__rotate_left(root, g, aug, rot);
		}
	}
	root->node->red = false;
}

/* Link as rb_insert does; the caller brings the new node's value and its
 * ancestors' up to date (rb_propagate_inline) before calling this. */
RB_INLINE void rb_link_inline(struct rb_node *node, struct rb_node *parent,
			      struct rb_node **link)
{
	node->parent = parent;
	node->left = node->right = NULL;
	node->red = true;
	*link = node;
}

RB_INLINE void rb_insert_inline(struct rb_root *root, struct rb_node *node,
				struct rb_node *parent, struct rb_node **link,
				rb_recompute_fn aug, rb_rotate_fn rot)
{
	rb_link_inline(node, parent, link);
	rb_propagate_inline(node, aug);
	rb_insert_fixup_inline(root, node, aug, rot);
}

/* v (possibly NULL) takes u's place under u's parent. */
RB_INLINE void rb__transplant(struct rb_root *root, struct rb_node *u, struct rb_node *v)
{
	rb__replace_child(root, u, v, u->parent);
	if (v)
		v->parent = u->parent;
}

/* Restore the black height after a black node left: x (possibly NULL) is
 * short one black, xp is its parent. */
RB_INLINE void rb__erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *xp,
			       rb_recompute_fn aug, rb_rotate_fn rot)
{
	while (x != root->node && !rb__is_red(x)) {
		struct rb_node *w;

		if (x == xp->left) {
			w = xp->right;
			if (w->red) {
				w->red = false;
				xp->red = true;
				rb__rotate_left(root, xp, aug, rot);
				w = xp->right;
			}
			if (!rb__is_red(w->left) && !rb__is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!rb__is_red(w->right)) {
				w->left->red = false;
				w->red = true;
				rb__rotate_right(root, w, aug, rot);
				w = xp->right;
			}
			w->red = xp->red;
			xp->red = false;
			w->right->red = false;
			rb__rotate_left(root, xp, aug, rot);
		} else {
			w = xp->left;
			if (w->red) {
				w->red = false;
				xp->red = true;
				rb__rotate_right(root, xp, aug, rot);
				w = xp->left;
			}
			if (!rb__is_red(w->left) && !rb__is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!rb__is_red(w->left)) {
				w->right->red = false;
				w->red = true;
				rb__rotate_left(root, w, aug, rot);
				w = xp->left;
			}
			w->red = xp->red;
			xp->red = false;
			w->left->red = false;
			rb__rotate_right(root, xp, aug, rot);
		}
		x = root->node;
		xp = NULL;
	}
	if (x)
		x->red = false;
}

RB_INLINE void rb_erase_inline(struct rb_root *root, struct rb_node *z, rb_recompute_fn aug,
			       rb_rotate_fn rot)
{
	struct rb_node *x, *xp, *y = NULL;
	bool black_removed;

	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		xp = z->parent;
		black_removed = !z->red;
		rb__transplant(root, z, x);
	} else {
		y = z->right;
		while (y->left)
			y = y->left;
		black_removed = !y->red;
		x = y->right;
		if (y->parent == z) {
			xp = y;
		} else {
			xp = y->parent;
			rb__transplant(root, y, y->right);
			y->right = z->right;
			y->right->parent = y;
		}
		rb__transplant(root, z, y);
		y->left = z->left;
		y->left->parent = y;
		y->red = z->red;
	}
	/*
	 * Every node from the splice point xp up lost a descendant. Below the
	 * successor y (when z had two children, y moved up into z's place and
	 * is an ancestor of xp), a node whose value stays means every node up
	 * to y stays too; y itself holds a stale value and is recomputed
	 * whatever happens below it; above it, again, the first node whose
	 * value stays ends the walk. Rotations in the fixup keep the values of
	 * the subtrees they turn.
	 */
	if (aug) {
		struct rb_node *n = xp;

		while (n) {
			bool changed = aug(n, true);

			if (n == y) {
				y = NULL;
				n = n->parent;
			} else if (!changed) {
				if (!y)
					break;
				n = y;
			} else {
				n = n->parent;
			}
		}
	}
	if (black_removed)
		rb__erase_fixup(root, x, xp, aug, rot);
}

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
