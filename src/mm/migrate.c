// SPDX-License-Identifier: MIT
/*
 * Page migration of one anonymous order-0 folio: unmap with migration
 * entries, copy, remap.
 *
 * Models mm/migrate.c: migrate_folio_unmap (folio lock, try_to_migrate),
 * migrate_folio_move (folio_migrate_mapping with the reference count
 * frozen, folio_copy, remove_migration_ptes), and the fault side's
 * migration_entry_wait (memory.c: a faulting CPU waits on the folio lock
 * and retries).
 *
 * Simplifications:
 *  - One folio at a time, anonymous, order 0, not in the swap cache; the
 *    destination is any free frame (no nodes).
 *  - The rmap walk must reach every migration entry it leaves, and there
 *    are no anon_vma chains (rmap.c): migration takes the mmap_lock of
 *    every mm for read with trylocks before unmapping and gives up
 *    (-EAGAIN) if one is contended, then keeps them until the entries are
 *    gone.  So it never races with mprotect, munmap, mremap or fork (they
 *    hold mmap_lock for write), only with faults, accesses, MADV_DONTNEED
 *    and MADV_FREE, and reclaim (serialised by the folio lock).
 *  - Any reference besides the caller's (a CPU waiting on the migration
 *    entry holds one) makes the move fail: the old folio is remapped.
 *
 * Lock order (see memory.c): folio lock -> mmlist_lock; folio lock ->
 * mmap_lock (trylock only) -> PTL -> cpu_tlb.
 */
#include "core/trace.h"
#include "mm/mm.h"

struct remove_migration_arg {
	struct folio *src;
	struct folio *dst;
};

/*
 * remove_migration_pte - at @addr of @vma, turn a migration entry for
 * @src into a PTE mapping @dst (remove_migration_pte).
 */
static bool remove_migration_pte(struct folio *folio,
				 struct vm_area_struct *vma, unsigned long addr,
				 void *arg)
{
	struct remove_migration_arg *rma = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct folio *dst = rma->dst;
	pmd_t *pmd = mm_find_pmd(mm, addr);
	swp_entry_t entry;
	spinlock_t *ptl;
	pte_t *ptep, old, pte;

	if (!pmd)
		return true;
	ptep = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!ptep)
		return true;
	old = ptep_get(ptep);
	if (!is_swap_pte(old))
		goto unlock;
	entry = pte_to_swp_entry(old);
	if (!is_migration_entry(entry) ||
	    swp_offset_pfn(entry) != folio_pfn(rma->src))
		goto unlock;

	pte = pte_mkold(pfn_pte(folio_pfn(dst), vma->vm_page_prot));
	if (pte_swp_soft_dirty(old))
		pte = pte_mksoft_dirty(pte);
	if (is_writable_migration_entry(entry))
		pte = pte_mkdirty(pte_mkwrite(pte));
	folio_get(dst);
	folio_add_anon_rmap_pte(dst, &dst->page, vma);
	if (swp_type(entry) != SWP_MIGRATION_READ)
		SetPageAnonExclusive(&dst->page);
	set_pte_at(mm, addr, ptep, pte);
unlock:
	pte_unmap_unlock(ptep, ptl);
	return true;
}

static void remove_migration_ptes(struct folio *src, struct folio *dst,
				  struct rmap_mm_set *set)
{
	struct remove_migration_arg rma = { .src = src, .dst = dst };
	struct rmap_walk_control rwc = {
		.rmap_one = remove_migration_pte,
		.arg = &rma,
	};

	/* the walk follows src's anon_vma and index, which dst shares */
	rmap_walk_anon_locked(src, &rwc, set);
}

/**
 * migrate_folio_one - move anonymous @folio to a new frame
 * @mmw: the world's mm state
 * @folio: the folio, with a reference the caller keeps (and drops after)
 *
 * Returns 0 if every mapping now maps a copy (the old frame is freed
 * with the caller's reference), -EAGAIN if it could not be done now
 * (contended mmap_lock, an extra reference, still mapped), -EBUSY for a
 * folio this model does not migrate, -ENOMEM.
 */
int migrate_folio_one(struct mm_world *mmw, struct folio *folio)
{
	struct rmap_mm_set set;
	struct folio *dst;
	struct page *page;
	int ret;

	page = alloc_page(mmw->pm, GFP_HIGHUSER_MOVABLE);
	if (!page)
		return -ENOMEM;
	dst = page_folio(page);
	folio_lock(folio);
	if (!folio_test_anon(folio) || folio_test_large(folio) ||
	    folio_test_swapcache(folio) || !folio_mapped(folio)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	ret = rmap_lock_mms(mmw, &set, true);
	if (ret)
		goto out_unlock;

	/* migrate_folio_unmap(): each PTE flushed as it is replaced */
	if (!try_to_migrate(folio, &set)) {
		ret = -EAGAIN;
		goto out_remap_old;
	}
	/* folio_migrate_mapping(): only our reference may remain */
	if (!folio_ref_freeze(folio, 1)) {
		ret = -EAGAIN;
		goto out_remap_old;
	}
	folio_copy(dst, folio);
	folio_set_state(dst, PAGE_STATE_ANON);
	dst->index = folio->index;
	/* as folio_add_new_anon_rmap(): for lockless rmap walkers */
	__atomic_store_n(&dst->mapping, folio->mapping, __ATOMIC_RELEASE);
	SetPageUptodate(&dst->page);
	if (folio_test_dirty(folio))
		folio_set_dirty(dst);
	folio_ref_unfreeze(folio, 1);

	remove_migration_ptes(folio, dst, &set);
	rmap_unlock_mms(&set);
	trace_eventf(mmw->w, "migrate pfn %#lx -> pfn %#lx", folio_pfn(folio),
		     folio_pfn(dst));
	folio_unlock(folio);
	folio_put(dst); /* the allocation's: the mappings hold theirs */
	return 0;

out_remap_old:
	remove_migration_ptes(folio, folio, &set);
	rmap_unlock_mms(&set);
out_unlock:
	folio_unlock(folio);
	folio_put(dst);
	return ret;
}
