// SPDX-License-Identifier: MIT
/*
 * The mm subsystem's per-world state: physical memory, the CPUs, the list
 * of address spaces, the object caches and the page-table descriptors.
 *
 * Models nothing of Linux by itself; it is the boot-time setup
 * (mm_core_init, the per-CPU TLB state) of one simulated machine.
 *
 * Lifetime: a model's setup calls mm_world_get().  The first call makes
 * the state and hangs it on the world (w->mmw); world_reset() only marks
 * it, and the next mm_world_get() resets it in place: physical memory is
 * reset (phys_mem_reset(): cost of the frames touched), the caches
 * restart over the rewound arena, the CPUs are empty.  Doing the reset
 * lazily, from the next setup, keeps lock instance ids identical in the
 * first execution and in later ones, so traces replay byte for byte.
 * world_destroy() frees it.
 *
 * Page-table descriptors are 8 KiB aligned (see struct ptdesc) so they
 * cannot come from the arena; they are carved from aligned chunks kept
 * for the world's lifetime and threaded on a free list.
 *
 * Locking: the descriptor free list is guarded by world_lock() (a leaf
 * outside the model); RCU callbacks free descriptors through it.
 * mmlist_lock guards the list of mms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/oracle.h"
#include "mm/mm.h"
#include "mm/tlb.h"

#define PTDESC_CHUNK 16

struct ptdesc_chunk {
	struct ptdesc_chunk *next;
	struct ptdesc *pts;
};

static void ptdesc_free_rebuild(struct mm_world *mmw)
{
	struct ptdesc_chunk *c;
	int i;

	mmw->ptdesc_free = NULL;
	for (c = mmw->ptdesc_chunks; c; c = c->next)
		for (i = PTDESC_CHUNK - 1; i >= 0; i--) {
			c->pts[i].next_free = mmw->ptdesc_free;
			mmw->ptdesc_free = &c->pts[i];
		}
}

static struct ptdesc_chunk *ptdesc_chunk_new(void)
{
	struct ptdesc_chunk *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	c->pts = aligned_alloc(sizeof(struct ptdesc),
			       PTDESC_CHUNK * sizeof(struct ptdesc));
	if (!c->pts)
		abort();
	return c;
}

/* a descriptor with unspecified content; the caller initialises it */
struct ptdesc *ptdesc_alloc(struct mm_world *mmw)
{
	struct ptdesc_chunk *c = NULL;
	struct ptdesc *pt;
	int i;

	for (;;) {
		world_lock(mmw->w);
		if (c) {
			c->next = mmw->ptdesc_chunks;
			mmw->ptdesc_chunks = c;
			for (i = PTDESC_CHUNK - 1; i >= 0; i--) {
				c->pts[i].next_free = mmw->ptdesc_free;
				mmw->ptdesc_free = &c->pts[i];
			}
		}
		pt = mmw->ptdesc_free;
		if (pt)
			mmw->ptdesc_free = pt->next_free;
		world_unlock(mmw->w);
		if (pt)
			return pt;
		c = ptdesc_chunk_new();
	}
}

void ptdesc_free(struct mm_world *mmw, struct ptdesc *pt)
{
	world_lock(mmw->w);
	pt->next_free = mmw->ptdesc_free;
	mmw->ptdesc_free = pt;
	world_unlock(mmw->w);
}

/* everything an execution starts from; the arena was just rewound */
static void mm_world_init(struct mm_world *mmw)
{
	struct world *w = mmw->w;
	int i;

	spin_lock_init(w, &mmw->mmlist_lock, "mmlist_lock");
	INIT_LIST_HEAD(&mmw->mmlist);
	kmem_cache_init(&mmw->mm_cachep, "mm_struct", sizeof(struct mm_struct));
	kmem_cache_init(&mmw->vm_area_cachep, "vm_area_struct",
			sizeof(struct vm_area_struct));
	kmem_cache_init(&mmw->anon_vma_cachep, "anon_vma",
			sizeof(struct anon_vma));
	kmem_cache_init(&mmw->file_cachep, "filp", sizeof(struct file));
	kmem_cache_init(&mmw->mapping_cachep, "inode",
			sizeof(struct address_space));
	kmem_cache_init(&mmw->xa_node_cachep, "radix_tree_node",
			XA_CHUNK_PAGES * sizeof(struct page *));
	ptdesc_free_rebuild(mmw);
	for (i = 0; i < mmw->nr_cpus; i++)
		cpu_init(mmw, &mmw->cpus[i], i);
	mmw->next_mm_id = 1;
	mmw->mmap_min_addr = 65536;
	memset(&mmw->inject, 0, sizeof(mmw->inject));
	memset(mmw->swap.slots, 0, sizeof(mmw->swap.slots));
	spin_lock_init(w, &mmw->swap.lock, "swap_info");
	mmw->nw = mmu_notifier_world_create(w);
	mmw->iommu = NULL; /* iommu_get() makes it again in the new arena */
	mmw->mmio_access = NULL; /* src/pci attaches its bus again */
	mmw->mmio_priv = NULL;
	oracle_world_init(mmw);
}

static void mm_world_free(struct mm_world *mmw)
{
	struct ptdesc_chunk *c, *n;

	phys_mem_destroy(mmw->pm);
	for (c = mmw->ptdesc_chunks; c; c = n) {
		n = c->next;
		free(c->pts);
		free(c);
	}
	free(mmw);
}

static void mm_world_release(struct world *w, bool destroy)
{
	struct mm_world *mmw = w->mmw;

	if (!mmw)
		return;
	if (!destroy) {
		mmw->needs_reset = true;
		return;
	}
	mm_world_free(mmw);
	w->mmw = NULL;
	w->mmw_release = NULL;
}

static struct mm_world *mm_world_create(struct world *w,
					unsigned long nr_frames, int nr_cpus)
{
	struct mm_world *mmw = calloc(1, sizeof(*mmw));

	if (!mmw)
		return NULL;
	mmw->w = w;
	mmw->nr_frames = nr_frames;
	mmw->nr_cpus = nr_cpus;
	mmw->pm = phys_mem_create(w, nr_frames);
	if (!mmw->pm) {
		free(mmw);
		return NULL;
	}
	mm_world_init(mmw);
	return mmw;
}

/**
 * mm_world_get - the world's mm state, made or reset for this execution
 * @w: the world
 * @nr_frames: physical memory in 4 KiB frames
 * @nr_cpus: simulated CPUs, 1 .. MM_MAX_CPUS
 *
 * Call from a model's setup (outside agents).  Returns the state of the
 * previous execution reset in place when the sizes match, a new one
 * otherwise, or NULL on bad sizes or when memory cannot be reserved.
 */
struct mm_world *mm_world_get(struct world *w, unsigned long nr_frames,
			      int nr_cpus)
{
	struct mm_world *mmw = w->mmw;

	if (nr_cpus < 1 || nr_cpus > MM_MAX_CPUS)
		return NULL;
	if (mmw && (mmw->nr_frames != nr_frames || mmw->nr_cpus != nr_cpus)) {
		mm_world_release(w, true);
		mmw = NULL;
	}
	if (!mmw) {
		mmw = mm_world_create(w, nr_frames, nr_cpus);
		if (!mmw)
			return NULL;
		w->mmw = mmw;
		w->mmw_release = mm_world_release;
		return mmw;
	}
	if (mmw->needs_reset) {
		phys_mem_reset(mmw->pm);
		mm_world_init(mmw);
		mmw->needs_reset = false;
	}
	return mmw;
}

struct cpu *mm_cpu(struct mm_world *mmw, int id)
{
	if (id < 0 || id >= mmw->nr_cpus)
		return NULL;
	return &mmw->cpus[id];
}
