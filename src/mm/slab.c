// SPDX-License-Identifier: MIT
/*
 * Object caches for mm's structures.
 *
 * Models the interface of mm/slab_common.c (kmem_cache_zalloc,
 * kmem_cache_free) and nothing of its implementation: objects come from
 * the world's arena and freed ones go on a LIFO free list, so a long
 * real-engine run that maps and unmaps in a loop reuses its VMAs instead
 * of growing the arena, and everything vanishes with world_reset().
 *
 * Locking: the free list is guarded by world_lock() (a leaf, outside the
 * model; nothing in the deterministic engine), so it may be used from RCU
 * callbacks and with any model lock held.  Allocation is not a schedule
 * point: the kernel's slab allocator is not where the races we model are.
 */
#include <string.h>

#include "mm/mm.h"

void kmem_cache_init(struct kmem_cache *c, const char *name, size_t size)
{
	c->name = name;
	c->size = max(size, sizeof(void *));
	c->free = NULL;
}

/* a zeroed object, never NULL (the arena aborts when out of memory) */
void *kmem_cache_zalloc(struct mm_world *mmw, struct kmem_cache *c)
{
	void *obj;

	world_lock(mmw->w);
	obj = c->free;
	if (obj)
		c->free = *(void **)obj;
	world_unlock(mmw->w);
	if (!obj)
		return arena_alloc(mmw->w, c->size);
	memset(obj, 0, c->size);
	return obj;
}

void kmem_cache_free(struct mm_world *mmw, struct kmem_cache *c, void *obj)
{
	if (!obj)
		return;
	world_lock(mmw->w);
	*(void **)obj = c->free;
	c->free = obj;
	world_unlock(mmw->w);
}
