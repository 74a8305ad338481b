// SPDX-License-Identifier: MIT
/*
 * The interval "tree" of the mmu_interval_notifiers: a sorted array with a
 * running maximum of interval ends.  Models the contract of
 * include/linux/interval_tree.h; see interval_tree.h for the layout, the
 * costs and why it is not a real tree.
 *
 * Locking: none; the caller serialises changes (mmu_notifier.c holds
 * mmu_notifier_subscriptions.lock, a leaf lock) and only walks a frozen
 * tree without it.
 */
#include <string.h>

#include "interval_tree.h"

#define ITREE_MIN_CAP 8

void interval_tree_init(struct interval_tree_root *root, struct world *w)
{
	memset(root, 0, sizeof(*root));
	root->w = w;
}

void interval_tree_node_init(struct interval_tree_node *node)
{
	node->__idx = -1;
	node->__root = NULL;
}

static void itree_grow(struct interval_tree_root *root)
{
	long cap = root->cap ? root->cap * 2 : ITREE_MIN_CAP;
	struct interval_tree_node **nodes;
	unsigned long *max_last;

	nodes = arena_alloc(root->w, cap * sizeof(*nodes));
	max_last = arena_alloc(root->w, cap * sizeof(*max_last));
	if (root->nr) {
		memcpy(nodes, root->nodes, root->nr * sizeof(*nodes));
		memcpy(max_last, root->max_last, root->nr * sizeof(*max_last));
	}
	root->nodes = nodes;
	root->max_last = max_last;
	root->cap = cap;
}

/* renumber slots from..nr-1 and recompute their running maximum */
static void itree_fixup(struct interval_tree_root *root, long from)
{
	unsigned long m = from ? root->max_last[from - 1] : 0;
	long i;

	for (i = from; i < root->nr; i++) {
		struct interval_tree_node *n = root->nodes[i];

		n->__idx = i;
		if (!i || n->last > m)
			m = n->last;
		root->max_last[i] = m;
	}
}

/* first slot whose node starts after @start (upper bound) */
static long itree_upper(struct interval_tree_root *root, unsigned long start)
{
	long lo = 0, hi = root->nr;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (root->nodes[mid]->start <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void interval_tree_insert(struct interval_tree_node *node,
			  struct interval_tree_root *root)
{
	long pos;

	if (root->nr == root->cap)
		itree_grow(root);
	pos = itree_upper(root, node->start);
	memmove(&root->nodes[pos + 1], &root->nodes[pos],
		(root->nr - pos) * sizeof(root->nodes[0]));
	root->nodes[pos] = node;
	root->nr++;
	node->__root = root;
	itree_fixup(root, pos);
}

void interval_tree_remove(struct interval_tree_node *node,
			  struct interval_tree_root *root)
{
	long pos = node->__idx;

	if (pos < 0 || pos >= root->nr || root->nodes[pos] != node)
		return; /* not in this tree: the caller reports misuse */
	memmove(&root->nodes[pos], &root->nodes[pos + 1],
		(root->nr - pos - 1) * sizeof(root->nodes[0]));
	root->nr--;
	node->__idx = -1;
	node->__root = NULL;
	itree_fixup(root, pos);
}

/* scan from slot @i for the first node overlapping [start, last] */
static struct interval_tree_node *itree_scan(struct interval_tree_root *root,
					     long i, unsigned long start,
					     unsigned long last)
{
	for (; i < root->nr; i++) {
		struct interval_tree_node *n = root->nodes[i];

		if (n->start > last)
			break;
		if (n->last >= start)
			return n;
	}
	return NULL;
}

struct interval_tree_node *
interval_tree_iter_first(struct interval_tree_root *root, unsigned long start,
			 unsigned long last)
{
	long lo = 0, hi = root->nr;

	/* first slot whose running maximum reaches @start */
	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (root->max_last[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return itree_scan(root, lo, start, last);
}

struct interval_tree_node *
interval_tree_iter_next(struct interval_tree_node *node, unsigned long start,
			unsigned long last)
{
	if (!node->__root || node->__idx < 0)
		return NULL;
	return itree_scan(node->__root, node->__idx + 1, start, last);
}
