/* SPDX-License-Identifier: MIT */
/* vmap_check and rb_check must catch each broken invariant: one at a time,
 * on a healthy instance, with the exact message (see test_check_buddy). */
#include <string.h>

#include "check.h"
#include "rbtree.c"
#include "vmap.c"

static struct vmap *vm;

#define BREAKS(msg, breakit, mendit)                                             \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = vmap_check(vm);                                           \
		CHECK(got_ && !strcmp(got_, msg));                               \
		if (got_ && strcmp(got_, msg))                                   \
			fprintf(stderr, "  expected '%s', got '%s'\n", msg, got_); \
		mendit;                                                          \
		CHECK(vmap_check(vm) == NULL);                                   \
	} while (0)

int main(void)
{
	struct vmap_config c = { 0x10000, 0x40000, 4096, 100, NULL };
	uint64_t a[8];
	struct va *f, *s, *last;
	struct rb_node *root;

	/* Eight busy areas of one page, every other one freed (free areas at
	 * 0x10000.. between busy ones), one lazily freed. */
	CHECK_EQ(vmap_create(&vm, &c), 0);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(vmap_alloc(vm, 0x1000, 0x1000, c.vstart, c.vend, &a[i]), 0);
	for (int i = 0; i < 8; i += 2)
		CHECK_EQ(vmap_free(vm, a[i]), 0);
	CHECK_EQ(vmap_free_lazy(vm, a[7]), 0);
	CHECK(vmap_check(vm) == NULL);
	f = vm->free_head;  /* [0x10000, 0x11000) */
	s = f->next;        /* [0x12000, 0x13000) */
	root = vm->free.node;

	BREAKS("rbtree: red root", root->red = true, root->red = false);
	BREAKS("rbtree: root has a parent", root->parent = root, root->parent = NULL);
	BREAKS("rbtree: stale augmented value", va_of(root)->subtree_max += 0x1000,
	       va_of(root)->subtree_max -= 0x1000);
	BREAKS("rbtree: child's parent link broken",
	       root->left->parent = root->right, root->left->parent = root);
	BREAKS("rbtree: black heights differ", root->left->red = !root->left->red,
	       root->left->red = !root->left->red);
	{ /* a child of the root that has a child of its own: both red */
		struct rb_node *n = root->left->left || root->left->right ? root->left : root->right;
		struct rb_node *ch = n->left ? n->left : n->right;
		bool nr = n->red, cr = ch->red;

		BREAKS("rbtree: red node with a red child", (n->red = true, ch->red = true),
		       (n->red = nr, ch->red = cr));
	}
	/* f moves onto s, keeping its size: the tree is no longer ordered. */
	BREAKS("rbtree: in-order walk not strictly increasing",
	       (f->start += 0x2000, f->end += 0x2000), (f->start -= 0x2000, f->end -= 0x2000));
	BREAKS("free list differs from the free tree", (vm->free_head = s, s->prev = NULL),
	       (vm->free_head = f, s->prev = f));
	BREAKS("free list prev link broken", s->prev = NULL, s->prev = f);
	last = f;
	while (last->next)
		last = last->next;
	BREAKS("free list and free tree differ in length", last->next = s, last->next = NULL);
	BREAKS("free list and free tree differ in length", f->next = NULL, f->next = s);
	BREAKS("free areas touch or overlap",
	       (f->end = s->start, rb_propagate(&f->rb, va_recompute)),
	       (f->end = 0x11000, rb_propagate(&f->rb, va_recompute)));
	/* The busy and lazy trees are checked as trees too. */
	BREAKS("rbtree: red root", vm->busy.node->red = true, vm->busy.node->red = false);
	BREAKS("rbtree: red root", vm->lazy.node->red = true, vm->lazy.node->red = false);
	{ /* a busy area of no pages, where the tiling reaches it */
		struct va *b1 = tree_floor(&vm->busy, a[1]);

		BREAKS("empty area", b1->end = b1->start, b1->end = b1->start + 0x1000);
	}
	BREAKS("lazy page count differs from the lazy areas", vm->lazy_pages++, vm->lazy_pages--);
	/* Areas that no longer tile the range: a free area shrinks (its
	 * subtree values follow, so only the tiling sees it). */
	BREAKS("a hole no area covers", (f->end -= 0x800, rb_propagate(&f->rb, va_recompute)),
	       (f->end += 0x800, rb_propagate(&f->rb, va_recompute)));
	BREAKS("areas overlap", (f->end += 0x800, rb_propagate(&f->rb, va_recompute)),
	       (f->end -= 0x800, rb_propagate(&f->rb, va_recompute)));
	BREAKS("areas do not reach the end of the range", vm->vend += 0x1000, vm->vend -= 0x1000);
	vmap_destroy(vm);
	return check_summary("test_check_vmap");
}
