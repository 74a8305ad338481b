/* SPDX-License-Identifier: MIT */
/*
 * struct mmu_gather: batching of page-table teardown so that pages and
 * page-table pages are freed only after the TLBs were flushed.
 *
 * Models include/asm-generic/tlb.h (the generic mmu_gather with
 * MMU_GATHER_RCU_TABLE_FREE, as x86 uses) and x86's tlb_flush().
 *
 * Simplifications: the page batch is one fixed array of
 * MMU_GATHER_MAX_PAGES (Linux chains batches it allocates with
 * GFP_NOWAIT and force-flushes when that fails; here the array filling
 * up is that failure).  No delayed rmap, no page sizes: pages are 4 KiB.
 *
 * Locking: an mmu_gather lives on its user's stack.  Users hold
 * mmap_lock (read or write); zap_pte_range() fills it under the PTE lock
 * and flushes outside it, except when the batch fills up.
 */
#ifndef SECMMU_MM_MMU_GATHER_H
#define SECMMU_MM_MMU_GATHER_H

#include "mm/mm_types.h"

#define MMU_GATHER_MAX_PAGES 64
#define MAX_TABLE_BATCH 32

/**
 * struct mmu_gather - pages and tables to free after a TLB flush
 * @mm: the address space
 * @start: lowest address whose PTE changed (TASK_SIZE if none)
 * @end: end of the changed range (0 if none)
 * @fullmm: the whole mm goes (exit_mmap)
 * @need_flush_all: flush everything, not the range
 * @freed_tables: page-table pages were unlinked
 * @cleared_ptes: leaf entries were changed
 * @skip_flush: test-only fault injection: never flush (mm_inject)
 * @pages: pages whose last put waits for the flush
 * @tables: page-table pages waiting for flush + RCU grace period
 */
struct mmu_gather {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned int fullmm : 1;
	unsigned int need_flush_all : 1;
	unsigned int freed_tables : 1;
	unsigned int cleared_ptes : 1;
	unsigned int cleared_pmds : 1;
	unsigned int skip_flush : 1;
	unsigned int nr_pages;
	unsigned int nr_tables;
	struct page *pages[MMU_GATHER_MAX_PAGES];
	struct ptdesc *tables[MAX_TABLE_BATCH];
};

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm);
void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm);
void tlb_finish_mmu(struct mmu_gather *tlb);
void tlb_flush_mmu(struct mmu_gather *tlb);
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb);
bool __tlb_remove_page(struct mmu_gather *tlb, struct page *page);
void tlb_remove_page(struct mmu_gather *tlb, struct page *page);
void tlb_remove_table(struct mmu_gather *tlb, struct ptdesc *pt);

static inline void __tlb_adjust_range(struct mmu_gather *tlb,
				      unsigned long address,
				      unsigned long range_size)
{
	if (address < tlb->start)
		tlb->start = address;
	if (address + range_size > tlb->end)
		tlb->end = address + range_size;
}

/* a PTE was cleared or changed: its range needs a flush */
static inline void tlb_remove_tlb_entry(struct mmu_gather *tlb, pte_t *ptep,
					unsigned long address)
{
	__tlb_adjust_range(tlb, address, PAGE_SIZE);
	tlb->cleared_ptes = 1;
}

static inline void tlb_flush_pte_range(struct mmu_gather *tlb,
				       unsigned long address,
				       unsigned long size)
{
	__tlb_adjust_range(tlb, address, size);
	tlb->cleared_ptes = 1;
}

/* the VMA walk of unmap_vmas(): flush per VMA unless the mm goes */
void tlb_start_vma(struct mmu_gather *tlb, struct vm_area_struct *vma);
void tlb_end_vma(struct mmu_gather *tlb, struct vm_area_struct *vma);

/* unlinking a table: pte_free_tlb() and friends */
void pte_free_tlb(struct mmu_gather *tlb, struct ptdesc *pt,
		  unsigned long address);
void pmd_free_tlb(struct mmu_gather *tlb, struct ptdesc *pt,
		  unsigned long address);
void pud_free_tlb(struct mmu_gather *tlb, struct ptdesc *pt,
		  unsigned long address);

#endif
