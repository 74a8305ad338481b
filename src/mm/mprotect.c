// SPDX-License-Identifier: MIT
/*
 * mprotect(2): change the protection of a range of VMAs and of their
 * present PTEs.
 *
 * Models mm/mprotect.c: do_mprotect_pkey, mprotect_fixup,
 * change_protection .. change_pte_range with can_change_pte_writable()
 * (MM_CP_TRY_CHANGE_WRITABLE: exclusive anonymous pages become writable
 * at once, without a write fault), and the mmu_gather that flushes the
 * TLBs once, in tlb_finish_mmu(), after every PTL has been dropped.
 *
 * Simplifications: no protection keys (a pkey other than -1 is -EINVAL,
 * as for an unallocated key), no PROT_GROWSDOWN expansion below the VMA,
 * no userfaultfd-wp, no NUMA hinting, no commit accounting.  VMAs are
 * split as needed and merged again afterwards.
 *
 * Lock order (see memory.c): mmap_lock for write -> PTE lock; the TLB
 * flush (cpu_tlb) happens after the PTE locks are dropped, still under
 * mmap_lock.  Until then other CPUs may go on using the old, more
 * permissive translations: the operation is in flight.
 */
#include "check/oracle.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/mmu_gather.h"

#define MM_CP_TRY_CHANGE_WRITABLE 0x1

/* soft-dirty tracking wants write faults on clean PTEs */
static bool pte_needs_soft_dirty_wp(struct vm_area_struct *vma, pte_t pte)
{
	return !(vma->vm_flags & VM_SOFTDIRTY) && !pte_soft_dirty(pte);
}

/*
 * can_change_pte_writable - may mprotect map this PTE writable without
 * waiting for the write fault?  Only if that fault would do nothing but
 * set the bit: an exclusive anonymous page, or a dirty shared one.
 */
static bool can_change_pte_writable(struct vm_area_struct *vma,
				    unsigned long addr, pte_t pte)
{
	struct page *page;

	if (!(vma->vm_flags & VM_WRITE))
		return false;
	if (pte_protnone(pte))
		return false;
	if (pte_needs_soft_dirty_wp(vma, pte))
		return false;
	if (!(vma->vm_flags & VM_SHARED)) {
		page = vm_normal_page(vma, addr, pte);
		return page && PageAnon(page) && PageAnonExclusive(page);
	}
	return pte_dirty(pte);
}

static long change_pte_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			     pmd_t *pmd, unsigned long addr, unsigned long end,
			     pgprot_t newprot, unsigned long cp_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *pte, *start_pte;
	long pages = 0;

	start_pte = pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return 0;
	/* reclaim may have cleared a PTE here without flushing yet */
	flush_tlb_batched_pending(mm);
	for (; addr != end; pte++, addr += PAGE_SIZE) {
		pte_t oldpte = ptep_get_locked(pte, ptl), ptent;

		if (!pte_present(oldpte))
			continue; /* no swap or migration entries yet */
		/* ptep_modify_prot_start(): the hardware cannot set A/D on
		 * the old value behind our back */
		oldpte = ptep_get_and_clear(mm, addr, pte);
		ptent = pte_modify(oldpte, newprot);
		if ((cp_flags & MM_CP_TRY_CHANGE_WRITABLE) &&
		    !pte_write(ptent) &&
		    can_change_pte_writable(vma, addr, ptent))
			ptent = pte_mkwrite(ptent);
		set_pte_at(mm, addr, pte, ptent);
		/*
		 * pte_needs_flush() is x86's, which flushes any change of
		 * RW, upgrades included; arm64 has no such helper and
		 * flushes every change.  Either way an upgrade reaches the
		 * secondary TLBs through the gather's flush: with it since
		 * 6.6, through tlb_flush_mmu_tlbonly()'s ->invalidate_range()
		 * before.
		 */
		if (pte_needs_flush(oldpte, ptent) ||
		    mm->mmw->w->arch == WORLD_ARCH_ARM64)
			tlb_flush_pte_range(tlb, addr, PAGE_SIZE);
		pages++;
	}
	pte_unmap_unlock(start_pte, ptl);
	return pages;
}

static long change_pmd_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			     pud_t *pud, unsigned long addr, unsigned long end,
			     pgprot_t newprot, unsigned long cp_flags)
{
	pmd_t *pmd = pmd_offset(pud, addr);
	unsigned long next;
	long pages = 0;

	do {
		next = pmd_addr_end(addr, end);
		if (pmd_none(pmdp_get(pmd)))
			continue;
		pages += change_pte_range(tlb, vma, pmd, addr, next, newprot,
					  cp_flags);
	} while (pmd++, addr = next, addr != end);
	return pages;
}

static long change_pud_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			     pgd_t *pgd, unsigned long addr, unsigned long end,
			     pgprot_t newprot, unsigned long cp_flags)
{
	pud_t *pud = pud_offset(pgd, addr);
	unsigned long next;
	long pages = 0;

	do {
		next = pud_addr_end(addr, end);
		if (pud_none(pudp_get(pud)))
			continue;
		pages += change_pmd_range(tlb, vma, pud, addr, next, newprot,
					  cp_flags);
	} while (pud++, addr = next, addr != end);
	return pages;
}

/**
 * change_protection - apply vma->vm_page_prot to the present PTEs of
 * [start, end)
 * @tlb: the gather that will flush the changed range
 * @vma: the VMA, its flags and page protection already updated
 * @start: start, inside @vma
 * @end: end, inside @vma
 * @cp_flags: MM_CP_*
 *
 * Returns the number of PTEs changed.
 */
long change_protection(struct mmu_gather *tlb, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end,
		       unsigned long cp_flags)
{
	pgd_t *pgd = pgd_offset(vma->vm_mm, start);
	unsigned long next, addr = start;
	struct mmu_notifier_range range;
	long pages = 0;

	/* Linux starts it per PMD range in change_pmd_range(); one here */
	mmu_notifier_range_init(&range, MMU_NOTIFY_PROTECTION_VMA, 0,
				vma->vm_mm, start, end);
	mmu_notifier_invalidate_range_start(vma->vm_mm->notifier_subscriptions,
					    &range);
	tlb_start_vma(tlb, vma);
	do {
		next = pgd_addr_end(addr, end);
		if (pgd_none(pgdp_get(pgd)))
			continue;
		pages += change_pud_range(tlb, vma, pgd, addr, next,
					  vma->vm_page_prot, cp_flags);
	} while (pgd++, addr = next, addr != end);
	mmu_notifier_invalidate_range_end(vma->vm_mm->notifier_subscriptions,
					  &range);
	return pages;
}

static bool vma_wants_manual_pte_write_upgrade(struct vm_area_struct *vma)
{
	/* shared: only if write faults are wanted (soft-dirty tracking) */
	if (vma->vm_flags & VM_SHARED)
		return vma_wants_writenotify(vma);
	return vma->vm_flags & VM_WRITE;
}

/*
 * mprotect_fixup - give [start, end) of @vma the flags @newflags,
 * splitting it if the range does not cover it.  Returns 0 or -ENOMEM.
 */
static int mprotect_fixup(struct mm_struct *mm, struct mmu_gather *tlb,
			  struct vm_area_struct *vma, unsigned long start,
			  unsigned long end, vm_flags_t newflags)
{
	vm_flags_t oldflags = vma->vm_flags;
	unsigned long cp_flags = 0;
	int err;

	if (newflags == oldflags)
		return 0;
	err = vma_modify(&vma, start, end);
	if (err)
		return err;
	vm_flags_reset(vma, newflags);
	if (vma_wants_manual_pte_write_upgrade(vma))
		cp_flags |= MM_CP_TRY_CHANGE_WRITABLE;
	vma_set_page_prot(vma);
	change_protection(tlb, vma, start, end, cp_flags);

	/* a private locked VMA made writable: break COW now */
	if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED &&
	    (newflags & VM_WRITE))
		populate_vma_page_range(vma, start, end);
	vma_merge_around(mm, vma_index(mm, vma));
	return 0;
}

/**
 * do_mprotect_pkey - mprotect(2) in @mm
 * @mm: the address space
 * @start: page-aligned start
 * @len: length, rounded up to pages
 * @prot: PROT_READ / PROT_WRITE / PROT_EXEC / PROT_SEM, or PROT_NONE
 * @pkey: protection key, -1 for none
 *
 * Returns 0 (also for a zero length), -EINVAL (unaligned start, unknown
 * prot bits, a pkey), -ENOMEM (wrap-around, a hole in or at the start
 * of the range: VMAs before the hole are changed, as in Linux), -EACCES
 * (more access than the mapping may have, e.g. write on a read-only
 * shared file), -EINTR.
 */
int do_mprotect_pkey(struct mm_struct *mm, unsigned long start, size_t len,
		     unsigned long prot, int pkey)
{
	const unsigned long grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	struct vm_area_struct *vma;
	unsigned long end, nstart, tmp;
	struct mmu_gather tlb;
	int error, tok;

	prot &= ~(unsigned long)(PROT_GROWSDOWN | PROT_GROWSUP);
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot &
	    ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;

	tok = oracle_op_begin(mm, ORACLE_MPROTECT, start, len, prot);
	if (mmap_write_lock_killable(mm)) {
		oracle_mprotect_end(mm, tok, -EINTR, start, len, prot);
		return -EINTR;
	}
	error = -EINVAL;
	if (pkey != -1)
		goto out;
	vma = find_vma_intersection(mm, start, end);
	error = -ENOMEM;
	if (!vma)
		goto out;
	if (grows & PROT_GROWSDOWN) {
		error = -EINVAL;
		if (!(vma->vm_flags & VM_GROWSDOWN))
			goto out;
		start = vma->vm_start;
	} else {
		if (vma->vm_start > start)
			goto out;
		error = -EINVAL;
		if (grows & PROT_GROWSUP)
			goto out; /* no VM_GROWSUP on x86 */
	}

	error = 0;
	tlb_gather_mmu(&tlb, mm);
	tlb.skip_flush = mm->mmw->inject.mprotect_skip_flush;
	nstart = start;
	tmp = vma->vm_start;
	while (vma && vma->vm_start < end) {
		vm_flags_t newflags;

		if (vma->vm_start != tmp) {
			error = -ENOMEM; /* a hole */
			break;
		}
		newflags = (prot & PROT_READ ? VM_READ : 0) |
			   (prot & PROT_WRITE ? VM_WRITE : 0) |
			   (prot & PROT_EXEC ? VM_EXEC : 0) |
			   (vma->vm_flags & ~VM_ACCESS_FLAGS);
		/* VM_MAY* sit 4 bits above the VM_* they allow */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
			error = -EACCES;
			break;
		}
		tmp = min(vma->vm_end, end);
		error = mprotect_fixup(mm, &tlb, vma, nstart, tmp, newflags);
		if (error)
			break;
		vma = find_vma(mm, tmp);
		if (vma && vma->vm_start < tmp) { /* merged past tmp */
			tmp = vma->vm_end;
			vma = find_vma(mm, tmp);
		}
		nstart = tmp;
	}
	tlb_finish_mmu(&tlb);
	if (!error && tmp < end)
		error = -ENOMEM;
out:
	mmap_write_unlock(mm);
	oracle_mprotect_end(mm, tok, error, start, len, prot);
	trace_eventf(mm->mmw->w, "mprotect(%#lx, %#zx, %#lx) = %d", start, len,
		     prot, error);
	return error;
}
