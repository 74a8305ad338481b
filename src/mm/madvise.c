// SPDX-License-Identifier: MIT
/*
 * madvise(2).
 *
 * Models mm/madvise.c: do_madvise with its argument checks and
 * madvise_walk_vmas (holes give -ENOMEM after the mapped parts were
 * advised), MADV_DONTNEED / MADV_DONTNEED_LOCKED (zap under mmap_lock
 * for read, through zap_page_range_single's own mmu_gather), MADV_FREE
 * (clean and age the PTEs of exclusive anonymous pages and mark the
 * pages lazily freeable), and the flag-only advice (NORMAL, RANDOM,
 * SEQUENTIAL, WILLNEED, DONTFORK, DOFORK, WIPEONFORK, KEEPONFORK,
 * MERGEABLE, UNMERGEABLE) with VMA splitting and merging.
 *
 * Simplifications: reclaim (vmscan.c) pages a lazily freeable page out
 * like any other instead of discarding it; WILLNEED reads nothing ahead;
 * MADV_REMOVE needs a hole punch in a shared file, which is not modeled
 * (-EINVAL); VM_MERGEABLE only marks the VMA for ksm_merge_pair() (ksm.c:
 * no ksmd scan).
 *
 * Lock order (see memory.c): mmap_lock (read for DONTNEED/FREE/WILLNEED/
 * REMOVE, write for the rest) -> PTE lock; TLB flushes after the PTE
 * lock is dropped (mmu_gather), still under mmap_lock.
 */
#include "check/oracle.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/mmu_gather.h"

static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
		return true;
	default:
		return false;
	}
}

static bool madvise_need_mmap_write(int behavior)
{
	switch (behavior) {
	case MADV_REMOVE:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		return false;
	default:
		return true;
	}
}

/* ---- MADV_FREE ---- */

static int madvise_free_pte_range(pmd_t *pmd, unsigned long addr,
				  unsigned long end, struct mm_walk *walk)
{
	struct mmu_gather *tlb = walk->private;
	struct vm_area_struct *vma = walk->vma;
	struct mm_struct *mm = walk->mm;
	spinlock_t *ptl;
	pte_t *start_pte, *pte;

	start_pte = pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return 0;
	/* reclaim may have cleared a PTE here without flushing yet */
	flush_tlb_batched_pending(mm);
	for (; addr != end; pte++, addr += PAGE_SIZE) {
		pte_t ptent = ptep_get_locked(pte, ptl);
		struct folio *folio;
		struct page *page;

		if (!pte_present(ptent))
			continue;
		page = vm_normal_page(vma, addr, ptent);
		if (!page || !PageAnon(page))
			continue;
		folio = page_folio(page);
		/* shared with another mm: its data must stay */
		if (folio_mapcount(folio) != 1)
			continue;
		folio_clear_dirty(folio);
		if (pte_young(ptent) || pte_dirty(ptent)) {
			ptent = ptep_get_and_clear(mm, addr, pte);
			ptent = pte_mkclean(pte_mkold(ptent));
			set_pte_at(mm, addr, pte, ptent);
			tlb_remove_tlb_entry(tlb, pte, addr);
		}
		folio_clear_swapbacked(folio); /* folio_mark_lazyfree() */
	}
	pte_unmap_unlock(start_pte, ptl);
	return 0;
}

static const struct mm_walk_ops madvise_free_walk_ops = {
	.pmd_entry = madvise_free_pte_range,
};

static int madvise_free_single_vma(struct vm_area_struct *vma,
				   unsigned long start, unsigned long end)
{
	struct mmu_notifier_range range;
	struct mmu_gather tlb;

	if (!vma_is_anonymous(vma))
		return -EINVAL;
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, vma->vm_mm, start,
				end);
	tlb_gather_mmu(&tlb, vma->vm_mm);
	mmu_notifier_invalidate_range_start(vma->vm_mm->notifier_subscriptions,
					    &range);
	tlb_start_vma(&tlb, vma);
	walk_page_range_vma(vma, start, end, &madvise_free_walk_ops, &tlb);
	tlb_end_vma(&tlb, vma);
	mmu_notifier_invalidate_range_end(vma->vm_mm->notifier_subscriptions,
					  &range);
	tlb_finish_mmu(&tlb);
	return 0;
}

/* ---- DONTNEED and FREE ---- */

static bool madvise_dontneed_free_valid_vma(struct vm_area_struct *vma,
					    int behavior)
{
	vm_flags_t forbidden = VM_PFNMAP;

	if (behavior != MADV_DONTNEED_LOCKED)
		forbidden |= VM_LOCKED;
	return !(vma->vm_flags & forbidden);
}

static int madvise_dontneed_free(struct vm_area_struct *vma,
				 unsigned long start, unsigned long end,
				 int behavior)
{
	if (!madvise_dontneed_free_valid_vma(vma, behavior))
		return -EINVAL;
	if (start == end)
		return 0;
	if (behavior == MADV_FREE)
		return madvise_free_single_vma(vma, start, end);
	zap_page_range_single(vma, start, end - start);
	return 0;
}

/* ---- flag-only advice ---- */

/* madvise_update_vma(): split off [start, end) and give it @new_flags */
static int madvise_update_vma(struct vm_area_struct *vma, unsigned long start,
			      unsigned long end, vm_flags_t new_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	int err;

	if (new_flags == vma->vm_flags)
		return 0;
	err = vma_modify(&vma, start, end);
	if (err)
		return err;
	vm_flags_reset(vma, new_flags);
	vma_merge_around(mm, vma_index(mm, vma));
	return 0;
}

static int madvise_vma_behavior(struct vm_area_struct *vma, unsigned long start,
				unsigned long end, int behavior)
{
	vm_flags_t new_flags = vma->vm_flags;
	int err;

	switch (behavior) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		return madvise_dontneed_free(vma, start, end, behavior);
	case MADV_WILLNEED:
		return 0;
	case MADV_REMOVE:
		/* madvise_remove(): hole punching is not modeled yet */
		return -EINVAL;
	case MADV_NORMAL:
		new_flags &= ~(VM_RAND_READ | VM_SEQ_READ);
		break;
	case MADV_SEQUENTIAL:
		new_flags = (new_flags & ~VM_RAND_READ) | VM_SEQ_READ;
		break;
	case MADV_RANDOM:
		new_flags = (new_flags & ~VM_SEQ_READ) | VM_RAND_READ;
		break;
	case MADV_DONTFORK:
		new_flags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		if (vma->vm_flags & VM_IO)
			return -EINVAL;
		new_flags &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK:
		if (vma->vm_file || (vma->vm_flags & VM_SHARED))
			return -EINVAL;
		new_flags |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		new_flags &= ~VM_WIPEONFORK;
		break;
	case MADV_MERGEABLE:
		if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE | VM_SPECIAL)))
			new_flags |= VM_MERGEABLE;
		break;
	case MADV_UNMERGEABLE:
		new_flags &= ~VM_MERGEABLE;
		break;
	}
	err = madvise_update_vma(vma, start, end, new_flags);
	/* madvise() returns EAGAIN if the kernel lacks the resources */
	return err == -ENOMEM ? -EAGAIN : err;
}

/*
 * madvise_walk_vmas - advise each VMA part of [start, end).  A hole is
 * remembered as -ENOMEM and the walk goes on; the first real error ends
 * it.
 */
static int madvise_walk_vmas(struct mm_struct *mm, unsigned long start,
			     unsigned long end, int behavior)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	int unmapped_error = 0, error;
	unsigned long tmp;

	for (;;) {
		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = min(vma->vm_end, end);
		error = madvise_vma_behavior(vma, start, tmp, behavior);
		if (error)
			return error;
		start = tmp;
		if (start >= end)
			break;
		vma = find_vma(mm, start);
	}
	return unmapped_error;
}

/**
 * do_madvise - madvise(2) in @mm
 * @mm: the address space
 * @start: page-aligned start
 * @len_in: length, rounded up to pages
 * @behavior: MADV_*
 *
 * Returns 0 (also for a zero length), -EINVAL (unknown advice, unaligned
 * start, wrap-around, advice that does not apply: DONTNEED on a locked or
 * PFNMAP VMA, FREE on a file), -ENOMEM (part of the range is unmapped;
 * the rest was advised), -EAGAIN (a VMA split failed), -EINTR.
 */
int do_madvise(struct mm_struct *mm, unsigned long start, size_t len_in,
	       int behavior)
{
	unsigned long end, len;
	bool write;
	int error, tok;

	if (!madvise_behavior_valid(behavior))
		return -EINVAL;
	if (!PAGE_ALIGNED(start))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;

	write = madvise_need_mmap_write(behavior);
	tok = oracle_op_begin(mm, ORACLE_MADVISE, start, len, behavior);
	if (write) {
		if (mmap_write_lock_killable(mm)) {
			oracle_madvise_end(mm, tok, -EINTR, start, len,
					   behavior);
			return -EINTR;
		}
	} else {
		mmap_read_lock(mm);
	}
	error = madvise_walk_vmas(mm, start, end, behavior);
	if (write)
		mmap_write_unlock(mm);
	else
		mmap_read_unlock(mm);
	oracle_madvise_end(mm, tok, error, start, len, behavior);
	trace_eventf(mm->mmw->w, "madvise(%#lx, %#zx, %d) = %d", start, len_in,
		     behavior, error);
	return error;
}
