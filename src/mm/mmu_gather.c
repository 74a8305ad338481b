// SPDX-License-Identifier: MIT
/*
 * mmu_gather: free what a page-table teardown unlinked only after every
 * TLB that might still hold a translation to it has been flushed.
 *
 * Models mm/mmu_gather.c (tlb_gather_mmu, tlb_flush_mmu, tlb_finish_mmu
 * with the mm_tlb_flush_nested() forced flush, tlb_remove_table with
 * MMU_GATHER_RCU_TABLE_FREE) and include/asm-generic/tlb.h plus x86's
 * tlb_flush().
 *
 * The rules it enforces:
 *  - a page whose PTE was cleared is put (maybe freed) only after the
 *    flush of its range;
 *  - a page-table page is freed only after the flush and an RCU grace
 *    period, so lockless walkers inside rcu_read_lock() (the hardware
 *    walker here, GUP-fast in Linux) never see it reused;
 *  - while more than one gather of the same mm is in flight
 *    (mm->tlb_flush_pending > 1), a thread may have found a PTE already
 *    cleared by the other and skipped its flush, so tlb_finish_mmu()
 *    flushes the whole mm.
 *
 * Simplifications: see mmu_gather.h.
 *
 * Lock order: gathers are filled under a PTE lock and flushed outside it
 * (cpu_tlb is taken by the flush), except for a full batch, which
 * zap_pte_range() flushes under the PTL.  Pages and tables are freed with
 * no mm lock held but mmap_lock.
 */
#include "core/policy.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/mmu_gather.h"
#include "mm/tlb.h"

static void __tlb_reset_range(struct mmu_gather *tlb)
{
	if (tlb->fullmm) {
		tlb->start = tlb->end = ~0UL;
	} else {
		tlb->start = TASK_SIZE;
		tlb->end = 0;
	}
	tlb->freed_tables = 0;
	tlb->cleared_ptes = 0;
	tlb->cleared_pmds = 0;
}

static void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm,
			     bool fullmm)
{
	tlb->mm = mm;
	tlb->fullmm = fullmm;
	tlb->need_flush_all = 0;
	tlb->skip_flush = 0;
	tlb->nr_pages = 0;
	tlb->nr_tables = 0;
	__tlb_reset_range(tlb);
	inc_tlb_flush_pending(mm);
}

/**
 * tlb_gather_mmu - start a teardown of part of @mm
 * @tlb: the gather (on the caller's stack)
 * @mm: the address space
 */
void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, false);
}

/* the whole mm goes (exit_mmap) */
void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm)
{
	__tlb_gather_mmu(tlb, mm, true);
}

/* x86's tlb_flush(): the range, or everything for a full-mm gather */
static void tlb_flush(struct mmu_gather *tlb)
{
	unsigned long start = 0, end = TLB_FLUSH_ALL;

	if (!tlb->fullmm && !tlb->need_flush_all) {
		start = tlb->start;
		end = tlb->end;
	}
	if (tlb->skip_flush)
		return; /* test-only fault injection */
	flush_tlb_mm_range(tlb->mm, start, end, PAGE_SHIFT, tlb->freed_tables);
}

/*
 * Before 6.6 (notifier.secondary_tlb_flush=in_range_end) the generic
 * tlb_flush_mmu_tlbonly() called mmu_notifier_invalidate_range() right
 * after tlb_flush(), so a batch flushed under the PTL (a full gather in
 * zap_pte_range) reached the secondary TLBs before its pages were freed.
 * That call was added in 3.19 with the ->invalidate_range() callback and
 * removed by 6.6's 6bbd42e2df8f, which moved it into the arch flush
 * (flush_tlb_mm_range here).  A full-mm gather's range is [~0, ~0): an
 * empty range, nothing to invalidate, as in Linux.
 */
static void tlb_notify_secondary_tlbs(struct mmu_gather *tlb)
{
	struct mm_struct *mm = tlb->mm;

	if (tlb->skip_flush || tlb->start >= tlb->end)
		return;
	if (policy_enum(mm->mmw->w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH) ==
	    SECONDARY_TLB_FLUSH_IN_RANGE_END)
		mmu_notifier_arch_invalidate_secondary_tlbs(
			mm->notifier_subscriptions, tlb->start, tlb->end);
}

/**
 * tlb_flush_mmu_tlbonly - flush the TLBs for what was gathered so far
 * @tlb: the gather
 *
 * Does not free anything.  Nothing to do if no entry was changed.
 */
void tlb_flush_mmu_tlbonly(struct mmu_gather *tlb)
{
	if (!(tlb->freed_tables || tlb->cleared_ptes || tlb->cleared_pmds))
		return;
	tlb_flush(tlb);
	tlb_notify_secondary_tlbs(tlb);
	__tlb_reset_range(tlb);
}

static void tlb_remove_table_rcu(struct rcu_head *head)
{
	pagetable_free(container_of(head, struct ptdesc, pt_rcu_head));
}

/* tables: one grace period after the flush that preceded this */
static void tlb_table_flush(struct mmu_gather *tlb)
{
	unsigned int i;

	for (i = 0; i < tlb->nr_tables; i++) {
		if (tlb->mm->mmw->inject.pgtable_free_no_rcu)
			pagetable_free(tlb->tables[i]);
		else
			call_rcu(&tlb->tables[i]->pt_rcu_head,
				 tlb_remove_table_rcu);
	}
	tlb->nr_tables = 0;
}

static void tlb_batch_pages_flush(struct mmu_gather *tlb)
{
	unsigned int i;

	for (i = 0; i < tlb->nr_pages; i++) {
		trace_eventf(tlb->mm->mmw->w, "mmu_gather put pfn %#lx",
			     page_to_pfn(tlb->pages[i]));
		put_page(tlb->pages[i]);
	}
	tlb->nr_pages = 0;
}

/**
 * tlb_flush_mmu - flush the TLBs, then free the gathered pages and
 * (after a grace period) tables
 * @tlb: the gather
 */
void tlb_flush_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu_tlbonly(tlb);
	tlb_table_flush(tlb);
	tlb_batch_pages_flush(tlb);
}

/**
 * __tlb_remove_page - defer the put of @page to after the flush
 * @tlb: the gather
 * @page: a page whose PTE was just cleared
 *
 * Returns true if the batch is now full: the caller must flush
 * (tlb_flush_mmu) before adding more.
 */
bool __tlb_remove_page(struct mmu_gather *tlb, struct page *page)
{
	tlb->pages[tlb->nr_pages++] = page;
	return tlb->nr_pages == MMU_GATHER_MAX_PAGES;
}

void tlb_remove_page(struct mmu_gather *tlb, struct page *page)
{
	if (__tlb_remove_page(tlb, page))
		tlb_flush_mmu(tlb);
}

/**
 * tlb_remove_table - free an unlinked page-table page after the flush
 * and a grace period
 * @tlb: the gather
 * @pt: the table, no longer reachable from the mm's tables
 */
void tlb_remove_table(struct mmu_gather *tlb, struct ptdesc *pt)
{
	tlb->tables[tlb->nr_tables++] = pt;
	if (tlb->nr_tables == MAX_TABLE_BATCH) {
		tlb_flush_mmu_tlbonly(tlb); /* tlb_table_invalidate() */
		tlb_table_flush(tlb);
	}
}

static void __pxx_free_tlb(struct mmu_gather *tlb, struct ptdesc *pt,
			   unsigned long address)
{
	__tlb_adjust_range(tlb, address, PAGE_SIZE);
	tlb->cleared_pmds = 1;
	tlb->freed_tables = 1;
	tlb_remove_table(tlb, pt);
}

void pte_free_tlb(struct mmu_gather *tlb, struct ptdesc *pt,
		  unsigned long address)
{
	__pxx_free_tlb(tlb, pt, address);
}

void pmd_free_tlb(struct mmu_gather *tlb, struct ptdesc *pt,
		  unsigned long address)
{
	__pxx_free_tlb(tlb, pt, address);
}

void pud_free_tlb(struct mmu_gather *tlb, struct ptdesc *pt,
		  unsigned long address)
{
	__pxx_free_tlb(tlb, pt, address);
}

void tlb_start_vma(struct mmu_gather *tlb, struct vm_area_struct *vma)
{
}

/*
 * Flush at each VMA's end so ranges do not span the gaps between VMAs.
 * A VM_PFNMAP/VM_MIXEDMAP VMA must be flushed here in any case: its
 * frames are not refcounted, so the driver's only way to know no CPU
 * still maps them is unmap_mapping_range(), which walks i_mmap; munmap
 * unlinks the VMA from i_mmap (free_pgtables) before tlb_finish_mmu()
 * flushes, and a zap that no longer finds the VMA returns with the stale
 * entries live (CVE-2022-39188).  mmu_gather.pfnmap_forced_flush=false
 * skips the flush for such VMAs, as x86 (which merged the flushes of
 * all VMAs) did before the fix.
 */
void tlb_end_vma(struct mmu_gather *tlb, struct vm_area_struct *vma)
{
	if (tlb->fullmm)
		return;
	if ((vma_flags_read(vma) & (VM_PFNMAP | VM_MIXEDMAP)) &&
	    !policy_bool(tlb->mm->mmw->w, KNOB_MMU_GATHER_PFNMAP_FORCED_FLUSH))
		return;
	tlb_flush_mmu_tlbonly(tlb);
}

/**
 * tlb_finish_mmu - end a teardown: flush and free what is left
 * @tlb: the gather
 *
 * If another gather of this mm is in flight, a PTE this one saw cleared
 * may have been cleared by the other, whose flush has not happened yet:
 * flush the whole mm to be sure.
 */
void tlb_finish_mmu(struct mmu_gather *tlb)
{
	if (mm_tlb_flush_nested(tlb->mm) &&
	    !tlb->mm->mmw->inject.tlb_no_nested_flush) {
		tlb->fullmm = 1;
		__tlb_reset_range(tlb);
		tlb->freed_tables = 1;
	}
	tlb_flush_mmu(tlb);
	dec_tlb_flush_pending(tlb->mm);
}
