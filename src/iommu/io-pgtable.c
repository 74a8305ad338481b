// SPDX-License-Identifier: MIT
/*
 * The IOMMU's own page table for DMA-API domains.
 *
 * Models drivers/iommu/io-pgtable-arm.c (the LPAE stage-1 format with a
 * 4 KiB granule) as used through io_pgtable_ops by iommu_map() and
 * iommu_unmap(): map_pages installs leaves and allocates missing tables
 * with a compare-and-swap, so concurrent maps of disjoint ranges need no
 * lock; unmap_pages clears leaves and gathers the range for the caller's
 * IOTLB invalidation; iova_to_phys is the walk the IOMMU runs on an IOTLB
 * miss.  The code is our own.
 *
 * Simplifications:
 *  - Three levels of 512 entries (39-bit IOVA), 4 KiB leaves only: no
 *    block mappings, so unmap never splits a block.
 *  - Tables live in the world's arena, not in frames, and are never freed
 *    before the world is reset: an unmap leaves empty tables behind (as
 *    io-pgtable-arm does for the leaf level), so there is no page-table
 *    freelist to hand to the gather and no walk-cache hazard to model.
 *  - No access/dirty bits, no memory attributes, no non-coherent table
 *    walk (no cache maintenance of table memory).
 *  - A frame's generation is not stored in the entry: the DMA-API map
 *    holds a page reference, so the frame cannot move while mapped; the
 *    walker reads the generation from struct page (as the CPU walk does).
 *
 * Every entry read or write is a schedule point (SP_MEM) with
 * acquire/release ordering; a table is published with a release
 * compare-and-swap, a leaf installed with one (a present leaf is
 * -EEXIST), cleared with an exchange.
 *
 * Locking: none.  The caller guarantees that no two maps or unmaps of
 * overlapping ranges run at once (the IOVA allocator hands a range to one
 * user), as Linux's io-pgtable requires; walks may run at any time.
 */
#include <errno.h>
#include <string.h>

#include "core/locking.h"
#include "iommu/io-pgtable.h"

static inline unsigned long iopt_index(unsigned long iova, int level)
{
	/* level 1 = leaf table */
	return (iova >> (PAGE_SHIFT + (level - 1) * IOPT_LEVEL_BITS)) &
	       (IOPT_PTRS - 1);
}

static inline uint64_t iopte_load(uint64_t *ptep)
{
	sched_point(SP_MEM, ptep);
	return __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
}

static inline bool iopte_cmpxchg(uint64_t *ptep, uint64_t old, uint64_t new)
{
	sched_point(SP_MEM, ptep);
	return __atomic_compare_exchange_n(ptep, &old, new, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static inline uint64_t iopte_xchg(uint64_t *ptep, uint64_t new)
{
	sched_point(SP_MEM, ptep);
	return __atomic_exchange_n(ptep, new, __ATOMIC_ACQ_REL);
}

static inline uint64_t *iopte_table(uint64_t pte)
{
	return (uint64_t *)(uintptr_t)(pte & ~(IOPTE_VALID | IOPTE_TABLE));
}

static uint64_t *iopt_alloc_table(struct io_pgtable *iop)
{
	uint64_t *t = arena_alloc(iop->w, IOPT_PTRS * sizeof(uint64_t));

	if (t)
		__atomic_add_fetch(&iop->nr_tables, 1, __ATOMIC_RELAXED);
	return t;
}

int alloc_io_pgtable(struct world *w, struct io_pgtable *iop)
{
	memset(iop, 0, sizeof(*iop));
	iop->w = w;
	iop->pgd = iopt_alloc_table(iop);
	return iop->pgd ? 0 : -ENOMEM;
}

/*
 * The leaf entry for @iova, allocating the missing tables when @alloc.
 * Returns NULL when a table is missing (and !@alloc) or on -ENOMEM.
 */
static uint64_t *iopt_leaf(struct io_pgtable *iop, unsigned long iova,
			   bool alloc)
{
	uint64_t *table = iop->pgd;
	int level;

	for (level = IOPT_LEVELS; level > 1; level--) {
		uint64_t *ptep = &table[iopt_index(iova, level)];
		uint64_t pte = iopte_load(ptep);
		uint64_t *next;

		if (pte & IOPTE_VALID) {
			table = iopte_table(pte);
			continue;
		}
		if (!alloc)
			return NULL;
		next = iopt_alloc_table(iop);
		if (!next)
			return NULL;
		/*
		 * Another map may install the same table first (disjoint
		 * ranges can share a table): the loser uses the winner's,
		 * as arm_lpae_install_table() does.  The loser's table stays
		 * in the arena.
		 */
		if (!iopte_cmpxchg(ptep, 0,
				   (uintptr_t)next | IOPTE_VALID |
					   IOPTE_TABLE)) {
			__atomic_add_fetch(&iop->nr_lost_races, 1,
					   __ATOMIC_RELAXED);
			pte = iopte_load(ptep);
			next = iopte_table(pte);
		}
		table = next;
	}
	return &table[iopt_index(iova, 1)];
}

int io_pgtable_map_pages(struct io_pgtable *iop, unsigned long iova,
			 unsigned long pfn, unsigned long pgcount, int prot,
			 size_t *mapped)
{
	uint64_t bits = IOPTE_VALID;
	unsigned long i;

	*mapped = 0;
	if ((iova & ~PAGE_MASK) || !pgcount ||
	    !(prot & (IOMMU_READ | IOMMU_WRITE)) ||
	    (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	if (iova >= IOPT_IOVA_LIMIT ||
	    pgcount > (IOPT_IOVA_LIMIT - iova) >> PAGE_SHIFT)
		return -EINVAL;
	if (prot & IOMMU_READ)
		bits |= IOPTE_READ;
	if (prot & IOMMU_WRITE)
		bits |= IOPTE_WRITE;

	for (i = 0; i < pgcount; i++) {
		unsigned long va = iova + (i << PAGE_SHIFT);
		uint64_t *ptep = iopt_leaf(iop, va, true);

		if (!ptep)
			return -ENOMEM;
		if (!iopte_cmpxchg(ptep, 0,
				   ((uint64_t)(pfn + i) << IOPTE_PFN_SHIFT) |
					   bits))
			return -EEXIST;
		__atomic_add_fetch(&iop->nr_mapped, 1, __ATOMIC_RELAXED);
		*mapped += PAGE_SIZE;
	}
	return 0;
}

size_t io_pgtable_unmap_pages(struct io_pgtable *iop, unsigned long iova,
			      unsigned long pgcount,
			      struct iommu_iotlb_gather *gather)
{
	size_t unmapped = 0;
	unsigned long i;

	if (iova & ~PAGE_MASK)
		return 0;
	for (i = 0; i < pgcount; i++) {
		unsigned long va = iova + (i << PAGE_SHIFT);
		uint64_t *ptep;
		uint64_t old;

		if (va >= IOPT_IOVA_LIMIT)
			break;
		ptep = iopt_leaf(iop, va, false);
		if (!ptep)
			break;
		old = iopte_xchg(ptep, 0);
		if (!(old & IOPTE_VALID))
			break;
		__atomic_sub_fetch(&iop->nr_mapped, 1, __ATOMIC_RELAXED);
		iommu_iotlb_gather_add_page(gather, va, PAGE_SIZE);
		unmapped += PAGE_SIZE;
	}
	return unmapped;
}

int io_pgtable_iova_to_phys(struct io_pgtable *iop, unsigned long iova,
			    struct io_pgtable_walk *out)
{
	uint64_t *ptep;
	uint64_t pte;

	if (iova >= IOPT_IOVA_LIMIT)
		return -ENOENT;
	ptep = iopt_leaf(iop, iova, false);
	if (!ptep)
		return -ENOENT;
	pte = iopte_load(ptep);
	if (!(pte & IOPTE_VALID))
		return -ENOENT;
	out->pfn = pte >> IOPTE_PFN_SHIFT;
	out->prot = ((pte & IOPTE_READ) ? IOMMU_READ : 0) |
		    ((pte & IOPTE_WRITE) ? IOMMU_WRITE : 0);
	return 0;
}

int io_pgtable_iova_to_phys_peek(struct io_pgtable *iop, unsigned long iova,
				 struct io_pgtable_walk *out)
{
	uint64_t *table = iop->pgd;
	uint64_t pte = 0;
	int level;

	if (iova >= IOPT_IOVA_LIMIT)
		return -ENOENT;
	for (level = IOPT_LEVELS; level >= 1; level--) {
		pte = __atomic_load_n(&table[iopt_index(iova, level)],
				      __ATOMIC_ACQUIRE);
		if (!(pte & IOPTE_VALID))
			return -ENOENT;
		if (level > 1)
			table = iopte_table(pte);
	}
	out->pfn = pte >> IOPTE_PFN_SHIFT;
	out->prot = ((pte & IOPTE_READ) ? IOMMU_READ : 0) |
		    ((pte & IOPTE_WRITE) ? IOMMU_WRITE : 0);
	return 0;
}
