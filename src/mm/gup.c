// SPDX-License-Identifier: MIT
/*
 * get_user_pages_remote() and pin_user_pages_remote(): references and
 * FOLL_PIN pins on the pages behind a range of another address space.
 *
 * Models mm/gup.c (__get_user_pages: follow_page_mask, faultin_page with
 * FAULT_FLAG_REMOTE, try_grab_folio, the FOLL_PIN/FOLL_GET split,
 * unpin_user_pages_dirty_lock).  The code is our own.
 *
 * Simplifications:
 *  - Only PTE-mapped pages (a PMD-mapped THP is faulted through the PTE
 *    path the model has); no FOLL_NOWAIT, no FOLL_NOFAULT, no retry with
 *    the mmap_lock dropped (the model's faults never drop it).
 *  - FOLL_LONGTERM does not migrate pages out of ZONE_MOVABLE or CMA (the
 *    model has one zone); it only refuses VMAs a long-term pin may not
 *    hold (here: none beyond what __get_user_pages refuses, VM_IO and
 *    VM_PFNMAP, which VFIO resolves itself).
 *  - A pin of an anonymous page that is not exclusive to the mm (shared
 *    after fork, or KSM) first breaks the sharing with a write fault when
 *    the VMA is writable, the effect FAULT_FLAG_UNSHARE has in Linux, so
 *    a pinned anonymous page is always the process's own
 *    (PageAnonExclusive), which fork then copies (page_needs_cow_for_dma).
 *
 * Locking: the caller holds mmap_lock for read (as Linux asks of the
 * _remote variants); the PTE is read under its page-table lock, and the
 * reference or pin is taken before that lock is dropped, so the page
 * cannot be freed in between:
 *
 *   mmap_lock (read, caller)
 *     ptdesc->ptl        (follow the PTE, try_grab_folio)
 */
#include "mm/gup.h"

/* the page mapped at @addr, referenced or pinned, or NULL to fault first */
static struct page *follow_page_pte(struct vm_area_struct *vma,
				    unsigned long addr, unsigned int flags,
				    bool *unshare)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page = NULL;
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	pmd_t *pmd;

	*unshare = false;
	pmd = mm_find_pmd(mm, addr);
	if (!pmd)
		return NULL;
	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		return NULL;
	pte = ptep_get(ptep);
	if (!pte_present(pte) || ((flags & FOLL_WRITE) && !pte_write(pte)))
		goto out;
	page = pfn_to_page(mm->mmw->pm, pte_pfn(pte));
	folio = page_folio(page);
	if ((flags & FOLL_PIN) && folio_test_anon(folio) &&
	    !PageAnonExclusive(page)) {
		/* gup_must_unshare(): a pin needs the page exclusive */
		*unshare = true;
		page = NULL;
		goto out;
	}
	if (flags & FOLL_PIN) {
		if (!folio_try_pin(folio))
			page = NULL;
	} else if (!folio_try_get(folio)) {
		page = NULL;
	}
out:
	pte_unmap_unlock(ptep, ptl);
	return page;
}

static long __get_user_pages(struct mm_struct *mm, unsigned long start,
			     unsigned long nr_pages, unsigned int flags,
			     struct page **pages)
{
	unsigned long i, addr = start & PAGE_MASK;
	struct vm_area_struct *vma = NULL;

	mmap_assert_locked(mm);
	for (i = 0; i < nr_pages; i++, addr += PAGE_SIZE) {
		struct page *page;
		bool unshare;
		int tries;

		if (!vma || addr >= vma->vm_end) {
			vma = vma_lookup(mm, addr);
			/* check_vma_flags() */
			if (!vma || (vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
			    ((flags & FOLL_WRITE) &&
			     !(vma->vm_flags & VM_WRITE)) ||
			    !(vma->vm_flags & (VM_READ | VM_WRITE)))
				return i ? (long)i : -EFAULT;
		}
		for (tries = 0;; tries++) {
			unsigned int fault_flags = FAULT_FLAG_REMOTE;
			vm_fault_t ret;

			cond_resched();
			page = follow_page_pte(vma, addr, flags, &unshare);
			if (page)
				break;
			if (tries >= 3)
				return i ? (long)i : -EFAULT;
			/* faultin_page() */
			if ((flags & FOLL_WRITE) ||
			    (unshare && (vma->vm_flags & VM_WRITE)))
				fault_flags |= FAULT_FLAG_WRITE;
			else if (unshare)
				return i ? (long)i : -EFAULT;
			ret = handle_mm_fault(vma, addr, fault_flags);
			if (ret & VM_FAULT_OOM)
				return i ? (long)i : -ENOMEM;
			if (ret & VM_FAULT_ERROR)
				return i ? (long)i : -EFAULT;
		}
		if (pages)
			pages[i] = page;
		else if (flags & FOLL_PIN)
			unpin_user_page(page);
		else
			put_page(page);
	}
	return (long)nr_pages;
}

/**
 * get_user_pages_remote - references on the pages of [@start, +@nr_pages)
 * @mm: the address space; its mmap_lock held for read
 * @gup_flags: FOLL_WRITE (fault for write, refuse read-only mappings)
 * @pages: out: the pages (put_page() each), or NULL to fault only
 *
 * Returns the number of pages (fewer when a later one fails), or -EFAULT
 * / -ENOMEM when the first fails.
 */
long get_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages)
{
	if (gup_flags & FOLL_PIN)
		return -EINVAL;
	return __get_user_pages(mm, start, nr_pages, gup_flags | FOLL_GET,
				pages);
}

/**
 * pin_user_pages_remote - FOLL_PIN pins on the pages of a range
 *
 * As get_user_pages_remote(), but each page is pinned
 * (folio_maybe_dma_pinned() becomes true: reclaim, migration and KSM
 * leave it alone, fork copies it for the child); release with
 * unpin_user_pages().  FOLL_LONGTERM is what VFIO passes.
 */
long pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
			   unsigned long nr_pages, unsigned int gup_flags,
			   struct page **pages)
{
	if (gup_flags & FOLL_GET)
		return -EINVAL;
	return __get_user_pages(mm, start, nr_pages, gup_flags | FOLL_PIN,
				pages);
}

/**
 * fixup_user_fault - fault in one page of @mm for a kernel user
 * @mm: the address space; its mmap_lock held for read
 * @address: the user address
 * @fault_flags: FAULT_FLAG_WRITE and/or FAULT_FLAG_REMOTE
 * @unlocked: out: the mmap_lock was dropped and retaken
 *
 * For callers that resolve the frame themselves (VFIO's follow of a
 * VM_PFNMAP range).  Simplified: no FAULT_FLAG_ALLOW_RETRY is passed, so
 * the fault never drops mmap_lock and *@unlocked stays false (a driver
 * fault that cannot wait gives VM_FAULT_SIGBUS instead of a retry).
 * Returns 0, -EFAULT (no VMA, no permission, SIGBUS/SIGSEGV) or -ENOMEM.
 */
int fixup_user_fault(struct mm_struct *mm, unsigned long address,
		     unsigned int fault_flags, bool *unlocked)
{
	struct vm_area_struct *vma;
	vm_fault_t ret;

	mmap_assert_locked(mm);
	if (unlocked)
		*unlocked = false;
	vma = vma_lookup(mm, address);
	if (!vma)
		return -EFAULT;
	/* vma_permits_fault() */
	if ((fault_flags & FAULT_FLAG_WRITE) ? !(vma->vm_flags & VM_WRITE) :
					       !(vma->vm_flags & VM_READ))
		return -EFAULT;
	ret = handle_mm_fault(vma, address,
			      fault_flags &
				      (FAULT_FLAG_WRITE | FAULT_FLAG_REMOTE));
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & VM_FAULT_ERROR)
		return -EFAULT;
	return 0;
}

void unpin_user_pages(struct page **pages, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		unpin_user_page(pages[i]);
}

void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		struct folio *folio = page_folio(pages[i]);

		if (make_dirty)
			folio_set_dirty(folio);
		unpin_folio(folio);
	}
}
