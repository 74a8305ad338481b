/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU's own page table for DMA-API domains (IOVA -> frame with
 * read/write permission), and the IOTLB gather that an unmap fills.
 *
 * Models drivers/iommu/io-pgtable.c and the LPAE format of
 * drivers/iommu/io-pgtable-arm.c as the DMA layer sees it through
 * struct io_pgtable_ops (map_pages, unmap_pages, iova_to_phys), and
 * include/linux/iommu.h's struct iommu_iotlb_gather with
 * iommu_iotlb_gather_add_page().  See io-pgtable.c for the
 * simplifications and the (absent) locking.
 */
#ifndef SECMMU_IOMMU_IO_PGTABLE_H
#define SECMMU_IOMMU_IO_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/world.h"
#include "phys/page.h"

/* iommu_map() prot bits (include/linux/iommu.h) */
#ifndef IOMMU_READ
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)
#endif

/* 3 levels of 512 entries over 4 KiB pages: a 39-bit IOVA space */
#define IOPT_LEVELS 3
#define IOPT_LEVEL_BITS 9
#define IOPT_PTRS (1UL << IOPT_LEVEL_BITS)
#define IOPT_IAS (PAGE_SHIFT + IOPT_LEVELS * IOPT_LEVEL_BITS) /* 39 */
#define IOPT_IOVA_LIMIT (1UL << IOPT_IAS)

/* entry bits: a table entry holds the next table's address | VALID|TABLE */
#define IOPTE_VALID (1UL << 0)
#define IOPTE_TABLE (1UL << 1)
#define IOPTE_READ (1UL << 2)
#define IOPTE_WRITE (1UL << 3)
#define IOPTE_PFN_SHIFT 12

/**
 * struct io_pgtable - one DMA domain's page table
 * @w: the world (tables come from its arena)
 * @pgd: the top-level table (IOPT_PTRS entries)
 * @nr_tables: tables allocated, the top one included (atomic)
 * @nr_mapped: leaf entries present (atomic)
 * @nr_lost_races: tables allocated by a map that lost the install race
 */
struct io_pgtable {
	struct world *w;
	uint64_t *pgd;
	unsigned long nr_tables;
	unsigned long nr_mapped;
	unsigned long nr_lost_races;
};

/**
 * struct iommu_iotlb_gather - the range an unmap must invalidate
 * @start: lowest IOVA unmapped (ULONG_MAX when empty)
 * @end: last byte unmapped (inclusive, as in Linux; 0 when empty)
 * @pgsize: the page size of the gathered unmaps
 * @nr_pages: pages gathered
 * @queued: the unmap goes to a flush queue: no iotlb_sync now
 */
struct iommu_iotlb_gather {
	unsigned long start;
	unsigned long end;
	size_t pgsize;
	unsigned long nr_pages;
	bool queued;
};

static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *gather)
{
	gather->start = ~0UL;
	gather->end = 0;
	gather->pgsize = 0;
	gather->nr_pages = 0;
	gather->queued = false;
}

static inline bool iommu_iotlb_gather_empty(const struct iommu_iotlb_gather *g)
{
	return g->nr_pages == 0;
}

/* extend @gather by [iova, iova + size) (iommu_iotlb_gather_add_range) */
static inline void iommu_iotlb_gather_add_page(struct iommu_iotlb_gather *g,
					       unsigned long iova, size_t size)
{
	unsigned long end = iova + size - 1;

	if (iova < g->start)
		g->start = iova;
	if (end > g->end)
		g->end = end;
	g->pgsize = size;
	g->nr_pages++;
}

/**
 * struct io_pgtable_walk - what a walk of one IOVA found
 * @pfn: the frame
 * @prot: IOMMU_READ | IOMMU_WRITE
 */
struct io_pgtable_walk {
	unsigned long pfn;
	int prot;
};

/* the top-level table from the world's arena; 0 or -ENOMEM */
int alloc_io_pgtable(struct world *w, struct io_pgtable *iop);

/**
 * io_pgtable_map_pages - map @pgcount pages at @iova to frames @pfn..
 * @iop: the table
 * @iova: page-aligned IOVA below IOPT_IOVA_LIMIT
 * @pfn: first frame; page i maps frame @pfn + i
 * @pgcount: number of 4 KiB pages
 * @prot: IOMMU_READ and/or IOMMU_WRITE (at least one)
 * @mapped: out: bytes mapped (also on error: what was mapped before it)
 *
 * Lockless, as io-pgtable-arm: the caller must not map or unmap an
 * overlapping range at the same time (the IOVA allocator guarantees it).
 * Returns 0; -EINVAL for a bad address or prot; -EEXIST if a page is
 * already mapped (io-pgtable-arm warns and returns -EEXIST); -ENOMEM.
 */
int io_pgtable_map_pages(struct io_pgtable *iop, unsigned long iova,
			 unsigned long pfn, unsigned long pgcount, int prot,
			 size_t *mapped);

/**
 * io_pgtable_unmap_pages - unmap @pgcount pages at @iova
 * @gather: each unmapped page is added (the caller syncs the IOTLB)
 *
 * Stops at the first page that is not mapped, as __iommu_unmap() does.
 * Returns the bytes unmapped.  Tables are never freed here (see
 * io-pgtable.c), so the gather carries no page-table freelist.
 */
size_t io_pgtable_unmap_pages(struct io_pgtable *iop, unsigned long iova,
			      unsigned long pgcount,
			      struct iommu_iotlb_gather *gather);

/**
 * io_pgtable_iova_to_phys - the translation walk (hardware or software)
 * @out: the frame and permission of a present leaf
 *
 * Every entry read is a schedule point.  Returns 0, or -ENOENT when
 * nothing is mapped at @iova.
 */
int io_pgtable_iova_to_phys(struct io_pgtable *iop, unsigned long iova,
			    struct io_pgtable_walk *out);

/*
 * The same lookup for checkers: plain loads, no schedule point, usable
 * outside agents or under any lock.
 */
int io_pgtable_iova_to_phys_peek(struct io_pgtable *iop, unsigned long iova,
				 struct io_pgtable_walk *out);

/*
 * The same lookup for checkers: plain loads, no schedule point, usable
 * outside agents or under any lock.
 */
int io_pgtable_iova_to_phys_peek(struct io_pgtable *iop, unsigned long iova,
				 struct io_pgtable_walk *out);

#endif
