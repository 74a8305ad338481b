/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator of DMA-API domains (see iova.c for what it models,
 * its simplifications and its lock order).
 */
#ifndef SECMMU_IOMMU_IOVA_H
#define SECMMU_IOMMU_IOVA_H

#include <stdbool.h>

#include "core/locking.h"

/* sizes 1, 2, 4, .. 32 pages are cached (Linux: 6 orders as well) */
#define IOVA_RANGE_CACHE_MAX_SIZE 6
/* entries of one size kept for reuse (Linux: 127 per CPU magazine) */
#define IOVA_MAG_SIZE 32

/**
 * struct iova - one allocated range [pfn_lo, pfn_hi] in granules
 */
struct iova {
	unsigned long pfn_lo;
	unsigned long pfn_hi;
};

/**
 * struct iova_rcache - freed ranges of one size, reused last-in first-out
 */
struct iova_rcache {
	unsigned int nr;
	unsigned long pfns[IOVA_MAG_SIZE];
};

/**
 * struct iova_domain - an IOVA space
 * @iova_rbtree_lock: guards @ranges (the rbtree in Linux)
 * @ranges: allocated ranges, sorted by pfn_lo, at most @max_ranges; a
 *	range sitting in a cache stays allocated here, as in Linux
 * @granule: bytes per IOVA page (PAGE_SIZE here)
 * @start_pfn: lowest allocatable pfn (at least 1: pfn 0 means failure)
 * @rcache_lock: guards @rcaches ("iova_rcache->lock")
 * @rcaches: per size order, the ranges freed by free_iova_fast()
 * @nr_alloc_tree, @nr_alloc_cached, @nr_free_tree, @nr_free_cached:
 *	statistics (under the respective lock)
 */
struct iova_domain {
	struct world *w;
	spinlock_t iova_rbtree_lock;
	struct iova *ranges;
	unsigned int nr_ranges;
	unsigned int max_ranges;
	unsigned long granule;
	unsigned long start_pfn;

	spinlock_t rcache_lock;
	struct iova_rcache rcaches[IOVA_RANGE_CACHE_MAX_SIZE];

	unsigned long nr_alloc_tree, nr_alloc_cached;
	unsigned long nr_free_tree, nr_free_cached;
};

static inline unsigned long iova_shift(const struct iova_domain *iovad)
{
	return __builtin_ctzl(iovad->granule);
}

static inline unsigned long iova_pfn(const struct iova_domain *iovad,
				     unsigned long iova)
{
	return iova >> iova_shift(iovad);
}

/**
 * init_iova_domain - an empty IOVA space
 * @granule: a power of two, at most PAGE_SIZE
 * @start_pfn: the lowest pfn handed out, at least 1
 * @max_ranges: capacity of the range table (allocations fail beyond it)
 *
 * Returns 0, -EINVAL or -ENOMEM.
 */
int init_iova_domain(struct world *w, struct iova_domain *iovad,
		     unsigned long granule, unsigned long start_pfn,
		     unsigned int max_ranges);

/**
 * alloc_iova - allocate @size pfns at or below @limit_pfn, top down
 * @size_aligned: align the range to @size rounded up to a power of two
 *
 * Returns the range's pfn_lo, or 0 when nothing fits.
 */
unsigned long alloc_iova(struct iova_domain *iovad, unsigned long size,
			 unsigned long limit_pfn, bool size_aligned);

/* free the range starting at @pfn; false (and a report) if none does */
bool free_iova(struct iova_domain *iovad, unsigned long pfn);

/* the range containing @pfn (a copy in @out); false if none */
bool find_iova(struct iova_domain *iovad, unsigned long pfn, struct iova *out);

/**
 * alloc_iova_fast - allocate through the range cache first
 *
 * A cached range of exactly @size (a power of two below
 * 1 << IOVA_RANGE_CACHE_MAX_SIZE) is reused, the most recently freed
 * first; otherwise the range table, size-aligned.  Returns pfn_lo or 0.
 */
unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn);

/**
 * free_iova_fast - give a range back through the cache
 *
 * A range of a cached size goes to its cache (and stays allocated in the
 * table) unless the cache is full; otherwise it is freed.  Freeing a
 * range that is not allocated, or that already sits in the cache, is
 * reported ("bad-iova-free") and ignored.
 */
void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size);

/* ranges allocated (cached ones included), under the lock */
unsigned int iova_nr_allocated(struct iova_domain *iovad);

#endif
