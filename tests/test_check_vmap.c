/* SPDX-License-Identifier: MIT */
/* vmap_check and rb_check must catch each broken invariant: one at a time,
 * on a healthy instance, with the exact message (see test_check_buddy):
 * vmap_check_full at once, vmap_check once a call that can change the
 * instance ran; a last part shows vmap_check skipping an unchanged one. */
#include <string.h>

#include "check.h"
#include "rbtree.c"
#include "vmap.c"

static struct vmap *vm;

#define BREAKS(msg, breakit, mendit)                                             \
	do {                                                                     \
		const char *got_;                                                \
		breakit;                                                         \
		got_ = vmap_check_full(vm);                                      \
		CHECK(got_ && !strcmp(got_, msg));                               \
		if (got_ && strcmp(got_, msg))                                   \
			fprintf(stderr, "  expected '%s', got '%s'\n", msg, got_); \
		vm->checked = false; /* as any call that can change it does */   \
		got_ = vmap_check(vm);                                           \
		CHECK(got_ && !strcmp(got_, msg));                               \
		mendit;                                                          \
		CHECK(vmap_check_full(vm) == NULL);                              \
		CHECK(vmap_check(vm) == NULL);                                   \
	} while (0)

int main(void)
{
	struct vmap_config c = { 0x10000, 0x40000, 4096, 100, NULL };
	uint64_t a[8];
	struct va *f, *s, *b1;
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
	f = vm->first;      /* [0x10000, 0x11000) */
	b1 = f->next;       /* busy [0x11000, 0x12000) */
	s = b1->next;       /* [0x12000, 0x13000) */
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
	BREAKS("lowest free area pointer stale", vm->free_first = s, vm->free_first = f);
	/* The search hint: f below s holds a one-page fit; b1 is busy. */
	CHECK(vm->hint == NULL);
	BREAKS("a fit lies below the search hint",
	       (vm->hint = s, vm->hint_size = 0x1000, vm->hint_align = 0x1000), vm->hint = NULL);
	BREAKS("the search hint is not a free area",
	       (vm->hint = b1, vm->hint_size = 0x100000, vm->hint_align = 0x1000), vm->hint = NULL);
	{ /* the tail (the free area up to vend, off the tree) is lost or misplaced */
		struct va *t = vm->tail;

		CHECK(t && !t->next && t->end == c.vend);
		BREAKS("the tail is not the highest area", vm->tail = f, vm->tail = t);
		BREAKS("the highest area is free but not the tail", vm->tail = NULL, vm->tail = t);
	}
	/* f moves onto s, keeping its size: the tree is no longer ordered. */
	BREAKS("rbtree: in-order walk not strictly increasing",
	       (f->start += 0x2000, f->end += 0x2000), (f->start -= 0x2000, f->end -= 0x2000));
	/* A busy area that reads as free is in no tree. */
	BREAKS("free areas differ from the free tree", b1->subtree_max = 0x1000,
	       b1->subtree_max = 0);
	BREAKS("area list prev link broken", s->prev = NULL, s->prev = b1);
	/* f swallows b1: two free areas touch. */
	BREAKS("free areas touch",
	       (f->next = s, s->prev = f, f->end = s->start, rb_propagate(&f->rb, va_recompute)),
	       (f->next = b1, s->prev = b1, f->end = 0x11000, rb_propagate(&f->rb, va_recompute)));
	{ /* b1 drops out of the index, or the count is off */
		struct va **l = index_link(vm, b1->start);

		BREAKS("busy area missing from the index", *l = b1->nf.hash_next, *l = b1);
	}
	BREAKS("index holds a different number of busy areas", vm->nbusy++, vm->nbusy--);
	{ /* the lazy list holds a busy area, or loses its lazy one */
		struct va *l = vm->lazy;

		BREAKS("lazy list holds an area that is not lazy",
		       (vm->lazy = b1, b1->nf.lazy_next = NULL), vm->lazy = l);
		BREAKS("lazy area missing from the lazy list", vm->lazy = NULL, vm->lazy = l);
	}
	/* a busy area of no pages, where the tiling reaches it */
	BREAKS("empty area", b1->end = b1->start, b1->end = b1->start + 0x1000);
	BREAKS("lazy page count differs from the lazy areas", vm->lazy_pages++, vm->lazy_pages--);
	/* Areas that no longer tile the range: a free area shrinks (its
	 * subtree values follow, so only the tiling sees it). */
	BREAKS("a hole no area covers", (f->end -= 0x800, rb_propagate(&f->rb, va_recompute)),
	       (f->end += 0x800, rb_propagate(&f->rb, va_recompute)));
	BREAKS("areas overlap", (f->end += 0x800, rb_propagate(&f->rb, va_recompute)),
	       (f->end -= 0x800, rb_propagate(&f->rb, va_recompute)));
	BREAKS("areas do not reach the end of the range", vm->vend += 0x1000, vm->vend -= 0x1000);
	/* Unchanged since a passed check: vmap_check does not walk it again, a
	 * break behind vmap's back shows only to vmap_check_full; any call
	 * that can change it, even one that fails, has vmap_check walk again. */
	CHECK(vmap_check(vm) == NULL);
	vm->lazy_pages++;
	CHECK(vmap_check(vm) == NULL);
	CHECK(vmap_check_full(vm) &&
	      !strcmp(vmap_check_full(vm), "lazy page count differs from the lazy areas"));
	CHECK_EQ(vmap_free(vm, vm->vend), -MM_ENOENT);
	CHECK(vmap_check(vm) &&
	      !strcmp(vmap_check(vm), "lazy page count differs from the lazy areas"));
	vm->lazy_pages--;
	CHECK(vmap_check(vm) == NULL);

	vmap_destroy(vm);
	return check_summary("test_check_vmap");
}
