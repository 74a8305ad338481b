/* SPDX-License-Identifier: MIT */
/*
 * An interval tree with the interface of include/linux/interval_tree.h
 * (interval_tree_insert, _remove, _iter_first, _iter_next over closed
 * intervals [start, last]), as mm/mmu_notifier.c uses it for its
 * mmu_interval_notifiers.
 *
 * Simplification: it is not a tree.  It is an array of node pointers
 * sorted by start, with a running maximum of `last` beside it
 * (max_last[i] = the largest last among nodes 0..i).  The running maximum
 * never decreases, so a binary search finds the first node that can
 * overlap a query, and a forward scan stops at the first node starting
 * past the query's end.  A query costs O(log n + k + s), where k is the
 * number of hits and s the number of skipped nodes that start inside the
 * scanned window but end before the query starts (zero when intervals do
 * not nest).  Insert and remove cost O(n) (memmove plus renumbering),
 * which is fine for the thousands of intervals the model registers: in
 * Linux they are rare operations too.  Storage comes from the world's
 * arena and is doubled when full; the old arrays are left to the arena.
 *
 * Locking: none inside.  mm/mmu_notifier.c changes the tree only under
 * mmu_notifier_subscriptions.lock, and walks it without that lock only
 * while the tree is frozen (invalidate_seq odd); the owner of the tree
 * provides the same guarantees here.
 */
#ifndef SECMMU_NOTIFIER_INTERVAL_TREE_H
#define SECMMU_NOTIFIER_INTERVAL_TREE_H

#include "core/world.h"

struct interval_tree_root;

struct interval_tree_node {
	unsigned long start;
	unsigned long last; /* inclusive */
	long __idx; /* slot in the sorted array, -1: not in a tree */
	struct interval_tree_root *__root;
};

struct interval_tree_root {
	struct world *w; /* arena for the arrays */
	struct interval_tree_node **nodes;
	unsigned long *max_last;
	long nr, cap;
};

void interval_tree_init(struct interval_tree_root *root, struct world *w);
void interval_tree_node_init(struct interval_tree_node *node);
void interval_tree_insert(struct interval_tree_node *node,
			  struct interval_tree_root *root);
void interval_tree_remove(struct interval_tree_node *node,
			  struct interval_tree_root *root);
struct interval_tree_node *
interval_tree_iter_first(struct interval_tree_root *root, unsigned long start,
			 unsigned long last);
struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, unsigned long start,
			unsigned long last);

/* RB_EMPTY_NODE(): the node is in no tree */
static inline bool interval_tree_node_empty(const struct interval_tree_node *n)
{
	return n->__idx < 0;
}

static inline long interval_tree_count(const struct interval_tree_root *root)
{
	return root->nr;
}

#endif
