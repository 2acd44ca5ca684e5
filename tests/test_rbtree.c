/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/rbtree: thousands of random inserts and erases against a
 * sorted array, with an augmented value (the largest weight in a subtree)
 * and the full check (colours, black height, links, order, every augmented
 * value) after every step.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rbtree.h"

struct item {
	struct rb_node rb;
	unsigned key, weight, max;
	bool in;
};

static unsigned recomputes; /* calls, for the propagation test */

static bool recompute(struct rb_node *n, bool store)
{
	struct item *it = rb_entry(n, struct item, rb);
	unsigned m = it->weight;

	recomputes++;
	if (n->left && rb_entry(n->left, struct item, rb)->max > m)
		m = rb_entry(n->left, struct item, rb)->max;
	if (n->right && rb_entry(n->right, struct item, rb)->max > m)
		m = rb_entry(n->right, struct item, rb)->max;
	if (m == it->max)
		return false;
	if (store)
		it->max = m;
	return true;
}

static bool less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct item, rb)->key < rb_entry(b, struct item, rb)->key;
}

/* The kernel's way through a rotation: the new top takes the old top's
 * value (same subtree), the old top is recomputed. */
static void rotate(struct rb_node *old, struct rb_node *top)
{
	rb_entry(top, struct item, rb)->max = rb_entry(old, struct item, rb)->max;
	recompute(old, true);
}

/* Through rbtree.h's inline templates with both callbacks, as lib/vmap
 * uses them, instead of rb_insert and rb_erase. */
static bool templates;

static void insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < rb_entry(parent, struct item, rb)->key ? &parent->left
									 : &parent->right;
	}
	it->max = 0;
	if (templates)
		rb_insert_inline(root, &it->rb, parent, link, recompute, rotate);
	else
		rb_insert(root, &it->rb, parent, link, recompute);
	it->in = true;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned next(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

#define N 512

static void test_random(void)
{
	static struct item items[N];
	struct rb_root root = { NULL };
	unsigned live = 0, bad = 0;

	memset(items, 0, sizeof(items));
	for (unsigned i = 0; i < N; i++) {
		items[i].key = i * 2;
		items[i].weight = next(1000);
	}
	for (unsigned step = 0; step < 20000; step++) {
		struct item *it = &items[next(N)];
		const char *e;

		if (it->in) {
			if (templates)
				rb_erase_inline(&root, &it->rb, recompute, rotate);
			else
				rb_erase(&root, &it->rb, recompute);
			it->in = false;
			live--;
		} else {
			insert(&root, it);
			live++;
		}
		/* Sometimes change a weight in place, as vmap does with sizes. */
		if (step % 7 == 0) {
			struct item *w = &items[next(N)];

			if (w->in) {
				w->weight = next(1000);
				if (templates)
					rb_propagate_inline(&w->rb, recompute);
				else
					rb_propagate(&w->rb, recompute);
			}
		}
		e = rb_check(&root, less, recompute);
		if (e) {
			bad++;
			if (bad < 3)
				fprintf(stderr, "step %u: %s\n", step, e);
		}
		if (step % 997 == 0) {
			unsigned n = 0, prev = 0, max = 0;
			bool ordered = true;

			for (struct rb_node *r = rb_first(&root); r; r = rb_next(r)) {
				struct item *x = rb_entry(r, struct item, rb);

				ordered &= n == 0 || x->key > prev;
				prev = x->key;
				max = x->weight > max ? x->weight : max;
				n++;
			}
			CHECK_EQ(n, live);
			CHECK(ordered);
			if (root.node)
				CHECK_EQ(rb_entry(root.node, struct item, rb)->max, max);
		}
	}
	CHECK_EQ(bad, 0);
}

/* An erase whose removed value was nowhere a subtree's largest stops
 * recomputing at the first ancestor that stays: the leftmost leaf of a tree
 * whose weights rise with the keys, deep on the left spine. */
static void test_erase_stops(void)
{
	static struct item items[1023];
	struct rb_root root = { NULL };
	struct rb_node *leaf;
	unsigned depth = 0;

	for (unsigned i = 0; i < 1023; i++) {
		items[i].key = i;
		items[i].weight = i + 1;
		items[i].in = false;
		insert(&root, &items[i]);
	}
	leaf = rb_first(&root);
	for (struct rb_node *n = leaf; n->parent; n = n->parent)
		depth++;
	CHECK(!leaf->left && !leaf->right);
	CHECK(depth >= 8);
	recomputes = 0;
	rb_erase(&root, leaf, recompute);
	/* One recompute that finds the parent unchanged, and at most three
	 * rotations of two each on the way back to a balanced tree. */
	CHECK(recomputes <= 7);
	CHECK(recomputes < depth);
	CHECK(rb_check(&root, less, recompute) == NULL);
}

static void test_walks(void)
{
	static struct item items[8];
	struct rb_root root = { NULL };
	unsigned expect = 14;

	CHECK(rb_first(&root) == NULL && rb_last(&root) == NULL);
	CHECK(rb_check(&root, less, recompute) == NULL);
	for (unsigned i = 0; i < 8; i++) {
		items[i].key = (7 - i) * 2;
		items[i].weight = i;
		insert(&root, &items[i]);
	}
	CHECK_EQ(rb_entry(rb_first(&root), struct item, rb)->key, 0);
	CHECK_EQ(rb_entry(rb_last(&root), struct item, rb)->key, 14);
	for (struct rb_node *r = rb_last(&root); r; r = rb_prev(r), expect -= 2)
		CHECK_EQ(rb_entry(r, struct item, rb)->key, expect);
	/* A stale value is reported, and the check leaves it as it found it. */
	rb_entry(root.node, struct item, rb)->max = 999;
	CHECK(rb_check(&root, less, recompute) != NULL);
	CHECK_EQ(rb_entry(root.node, struct item, rb)->max, 999);
}

static bool red(const struct rb_node *n)
{
	return n && n->red;
}

/* The message rb_check gives now, and none once mended. */
#define SHAPE(root, msg, breakit, mendit)                                        \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = rb_check(root, less, recompute);                          \
		CHECK(got_ && !strcmp(got_, msg));                               \
		mendit;                                                          \
		CHECK(rb_check(root, less, recompute) == NULL);                  \
	} while (0)

/* Each broken rule found wherever it is: on a right child, under a node
 * whose left child is fine, deep in a left subtree. Without less, only the
 * shape is checked. */
static void test_check_shape(void)
{
	static struct item items[15];
	struct rb_root root = { NULL };
	struct rb_node *top, *n = NULL, *first;
	struct item *lo;

	for (unsigned i = 0; i < 15; i++) {
		items[i].key = i;
		items[i].weight = i % 5;
		insert(&root, &items[i]);
	}
	CHECK(rb_check(&root, less, recompute) == NULL);
	top = root.node;
	CHECK(top->left && top->right);
	SHAPE(&root, "rbtree: child's parent link broken", top->right->parent = top->left,
	      top->right->parent = top);
	/* A black node below the root with a right child and a left child
	 * that is not red: it and its right child turn red. */
	for (struct rb_node *r = rb_first(&root); r; r = rb_next(r))
		if (r != top && !r->red && !red(r->parent) && r->right && !red(r->left)) {
			n = r;
			break;
		}
	CHECK(n != NULL);
	if (n) {
		bool rr = n->right->red;

		SHAPE(&root, "rbtree: red node with a red child", (n->red = true, n->right->red = true),
		      (n->red = false, n->right->red = rr));
	}
	/* The lowest node is a leaf deep in the root's left subtree. */
	first = rb_first(&root);
	CHECK(first != top && first->parent != top);
	lo = rb_entry(first, struct item, rb);
	SHAPE(&root, "rbtree: stale augmented value", lo->max += 100, lo->max -= 100);
	/* Keys out of order: only a check given less sees it. */
	items[3].key = 99;
	CHECK(rb_check(&root, NULL, recompute) == NULL);
	CHECK(rb_check(&root, less, recompute) != NULL);
	items[3].key = 3;
	CHECK(rb_check(&root, NULL, NULL) == NULL);
}

int main(void)
{
	test_random();
	templates = true;
	test_random();
	templates = false;
	test_erase_stops();
	test_walks();
	test_check_shape();
	return check_summary("test_rbtree");
}
