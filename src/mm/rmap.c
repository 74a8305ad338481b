// SPDX-License-Identifier: MIT
/*
 * Reverse mapping: the anon_vma a VMA's anonymous pages belong to, the
 * mapcount of each page, and the walks from a folio to the PTEs mapping
 * it that reclaim uses.
 *
 * Models mm/rmap.c: anon_vma_prepare, anon_vma_fork, unlink_anon_vmas,
 * folio_add_new_anon_rmap, folio_try_dup_anon_rmap_pte (with
 * PageAnonExclusive and the pinned case), folio_remove_rmap_pte;
 * rmap_walk (rmap_walk_anon, rmap_walk_file), folio_referenced (with
 * ptep_clear_flush_young_notify) and page_idle_clear_pte_refs (with
 * ptep_clear_young_notify, mm/page_idle.c),
 * try_to_unmap / try_to_unmap_one (TTU_BATCH_FLUSH, and migration
 * entries for TTU_MIGRATION), set_tlb_ubc_flush_pending,
 * try_to_unmap_flush(_dirty) and flush_tlb_batched_pending.
 *
 * Simplifications:
 *  - An anon_vma is a refcounted tag with a parent link; no
 *    anon_vma_chain, no interval tree, no anon_vma lock.  The anon walk
 *    derives the chain instead: the VMAs that may map a page of anon_vma
 *    A are those whose anon_vma is A or a descendant of A (fork), found
 *    by visiting the world's mms under their mmap_lock, taken with a
 *    trylock (see rmap_walk_anon()).
 *  - Order-0 folios only (page_vma_mapped_walk is one PTE).
 *  - The batch of deferred flushes (tlbflush_unmap_batch) is passed by
 *    the reclaiming agent instead of living in current->tlb_ubc; its
 *    flush is a full flush of the recorded CPUs, as on x86.
 *  - mm->tlb_flush_batched is the pair of generation counters of 5.17
 *    (5ee2fa2f0636), or the 4.13 boolean under rmap.tlb_flush_batched=bool.
 *
 * Lock order (see memory.c): mmap_lock -> page_table_lock (installing
 * vma->anon_vma, as __anon_vma_prepare does); the mapcount updates are
 * atomic and done under the PTE lock of the PTE they account for.  The
 * walks run under the folio lock: mmlist_lock, then mmap_lock (trylock),
 * or i_mmap_rwsem for files, then the PTL, then cpu_tlb when flushing.
 */
#include "core/policy.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "notifier/mmu_notifier.h"

static struct anon_vma *anon_vma_alloc(struct mm_world *mmw)
{
	struct anon_vma *av = kmem_cache_zalloc(mmw, &mmw->anon_vma_cachep);

	av->root = av;
	av->mmw = mmw;
	av->refcount.counter = 1;
	return av;
}

static void get_anon_vma(struct anon_vma *av)
{
	atomic_inc(&av->refcount);
}

static void put_anon_vma(struct mm_world *mmw, struct anon_vma *av)
{
	while (av && atomic_dec_and_test(&av->refcount)) {
		struct anon_vma *parent = av->parent;

		kmem_cache_free(mmw, &mmw->anon_vma_cachep, av);
		av = parent;
	}
}

static struct anon_vma *vma_anon_vma(struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE);
}

/**
 * anon_vma_prepare - make sure @vma has an anon_vma before its first
 * anonymous page is mapped
 * @vma: the VMA; caller holds mmap_lock (read suffices)
 *
 * Two faults may race to install one; page_table_lock decides, the loser
 * drops its own.  Returns 0 (allocation cannot fail here).
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *av;

	if (likely(vma_anon_vma(vma)))
		return 0;
	av = anon_vma_alloc(mm->mmw);
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		__atomic_store_n(&vma->anon_vma, av, __ATOMIC_RELEASE);
		av = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (av)
		put_anon_vma(mm->mmw, av);
	return 0;
}

/* a VMA split or duplicated within one mm shares its anon_vma */
void anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	dst->anon_vma = src->anon_vma;
	if (dst->anon_vma)
		get_anon_vma(dst->anon_vma);
}

/**
 * anon_vma_fork - the child's VMA gets its own anon_vma under the parent's
 * @vma: the child's VMA (a copy of @pvma)
 * @pvma: the parent's VMA
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anon_vma *av;

	vma->anon_vma = NULL;
	if (!pvma->anon_vma)
		return 0;
	av = anon_vma_alloc(vma->vm_mm->mmw);
	av->root = pvma->anon_vma->root;
	av->parent = pvma->anon_vma;
	get_anon_vma(av->parent);
	vma->anon_vma = av;
	return 0;
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma *av = vma->anon_vma;

	vma->anon_vma = NULL;
	put_anon_vma(vma->vm_mm->mmw, av);
}

/**
 * folio_add_new_anon_rmap - a freshly allocated page becomes anonymous
 * memory of @vma, mapped once, exclusively
 * @folio: the new folio (one reference, held by the mapping from now)
 * @vma: the VMA, with an anon_vma
 * @address: where it is mapped
 */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address)
{
	folio_set_state(folio, PAGE_STATE_ANON);
	folio->index = linear_page_index(vma, address);
	/* published for rmap walkers that found the folio without a lock
	 * (reclaim's scan): index first, then mapping (release) */
	__atomic_store_n(&folio->mapping, (struct address_space *)vma->anon_vma,
			 __ATOMIC_RELEASE);
	SetPageAnonExclusive(&folio->page);
	page_mapcount_inc(&folio->page);
}

void folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma)
{
	page_mapcount_inc(page);
}

void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma)
{
	page_mapcount_dec(page);
}

/**
 * folio_try_dup_anon_rmap_pte - fork: the child maps the page too
 * @folio: the page's folio
 * @page: the page
 * @dst_vma: the child's VMA
 * @src_vma: the parent's VMA
 *
 * The page stops being exclusive to the parent.  Returns -EBUSY, with
 * nothing changed, if the page is exclusive and may be DMA-pinned: then
 * the child must get a copy (a pinned page must stay the parent's).
 */
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma)
{
	if (PageAnonExclusive(page)) {
		if (folio_maybe_dma_pinned(folio))
			return -EBUSY;
		ClearPageAnonExclusive(page);
	}
	page_mapcount_inc(page);
	return 0;
}

/* ---- the reverse-map walk ---- */

/*
 * mmgrab_not_zero - pin the struct (mm_count) of an mm on the mmlist
 * unless its last reference is already going.  The walk pins with
 * mm_count, not mm_users, so that it never runs exit_mmap() itself
 * while holding the folio lock.
 */
static bool mmgrab_not_zero(struct mm_struct *mm)
{
	int old = atomic_read(&mm->mm_count);

	while (old > 0) {
		int cur = atomic_cmpxchg(&mm->mm_count, old, old + 1);

		if (cur == old)
			return true;
		old = cur;
	}
	return false;
}

/* @av is @vma's anon_vma or one of its ancestors (the chain after fork) */
static bool anon_vma_reaches(struct vm_area_struct *vma, struct anon_vma *av)
{
	struct anon_vma *a;

	for (a = vma_anon_vma(vma); a; a = a->parent)
		if (a == av)
			return true;
	return false;
}

/* where @vma maps page @pgoff of its object, or -EFAULT (vma_address) */
static unsigned long vma_address(struct vm_area_struct *vma,
				 unsigned long pgoff)
{
	unsigned long addr;

	if (pgoff < vma->vm_pgoff)
		return -EFAULT;
	addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
	if (addr < vma->vm_start || addr >= vma->vm_end)
		return -EFAULT;
	return addr;
}

/* folio_anon_vma() with an acquire load: pairs with the release store
 * of folio_add_new_anon_rmap() */
static struct anon_vma *folio_anon_vma_acquire(struct folio *folio)
{
	if (!folio_test_anon(folio))
		return NULL;
	return (struct anon_vma *)__atomic_load_n(&folio->mapping,
						  __ATOMIC_ACQUIRE);
}

/* visit the VMAs of @mm that may map @folio; false: stop the walk */
static bool rmap_walk_anon_mm(struct folio *folio, struct mm_struct *mm,
			      struct rmap_walk_control *rwc)
{
	struct anon_vma *av = folio_anon_vma_acquire(folio);
	int j;

	for (j = 0; j < mm->map_count; j++) {
		struct vm_area_struct *vma = mm->vmas[j];
		unsigned long addr;

		if (!anon_vma_reaches(vma, av))
			continue;
		addr = vma_address(vma, folio->index);
		if (IS_ERR_VALUE(addr))
			continue;
		if (!rwc->rmap_one(folio, vma, addr, rwc->arg))
			return false;
		if (rwc->done && rwc->done(folio))
			return false;
	}
	return true;
}

/**
 * rmap_lock_mms - pin every live mm and take its mmap_lock for read
 * @mmw: the world's mm state
 * @set: filled with the mms locked
 * @all: fail (-EAGAIN, nothing held) unless every lock could be taken;
 *	else skip the contended ones (then return -EAGAIN too, holding the
 *	others)
 *
 * Trylocks only: the caller holds a folio lock, which nests inside
 * mmap_lock.  An mm already in exit_mmap() is left out.
 */
int rmap_lock_mms(struct mm_world *mmw, struct rmap_mm_set *set, bool all)
{
	struct mm_struct *mms[RMAP_MAX_MMS], *mm;
	int nr = 0, i, ret = 0;

	set->nr = 0;
	spin_lock(&mmw->mmlist_lock);
	list_for_each_entry(mm, &mmw->mmlist, mmlist) {
		if (nr == RMAP_MAX_MMS) {
			ret = -EAGAIN;
			break;
		}
		if (mmgrab_not_zero(mm))
			mms[nr++] = mm;
	}
	spin_unlock(&mmw->mmlist_lock);

	for (i = 0; i < nr; i++) {
		mm = mms[i];
		if (!down_read_trylock(&mm->mmap_lock)) {
			ret = -EAGAIN;
			mmdrop(mm);
			continue;
		}
		/* exit_mmap() has begun or is over: nothing left to visit */
		if (!atomic_read(&mm->mm_users)) {
			mmap_read_unlock(mm);
			mmdrop(mm);
			continue;
		}
		set->mms[set->nr++] = mm;
	}
	if (ret && all) {
		rmap_unlock_mms(set);
		return ret;
	}
	return ret;
}

void rmap_unlock_mms(struct rmap_mm_set *set)
{
	int i;

	for (i = 0; i < set->nr; i++) {
		mmap_read_unlock(set->mms[i]);
		mmdrop(set->mms[i]);
	}
	set->nr = 0;
}

/* the anon walk over mms the caller has locked (rmap_walk_locked) */
void rmap_walk_anon_locked(struct folio *folio, struct rmap_walk_control *rwc,
			   struct rmap_mm_set *set)
{
	int i;

	if (!folio_anon_vma_acquire(folio))
		return;
	for (i = 0; i < set->nr; i++)
		if (!rmap_walk_anon_mm(folio, set->mms[i], rwc))
			return;
}

/*
 * rmap_walk_anon - call rwc->rmap_one for each VMA that may map @folio.
 *
 * Linux walks the interval tree of the folio's anon_vma under the root's
 * anon_vma lock, which VMA changes also take.  Here VMAs live in each
 * mm's array under mmap_lock, so the walk visits the world's mms and
 * takes each one's mmap_lock for read with a trylock (the caller holds
 * the folio lock, which nests inside mmap_lock): an mm whose lock is
 * contended is skipped, and the walk is then incomplete, as Linux's is
 * when rwc->try_lock fails.  Returns false if an mm was skipped.
 *
 * This is enough for reclaim and folio_referenced, which may fail and
 * retry.  Migration, which must reach every migration entry it left,
 * locks every mm first or gives up (rmap_lock_mms(.., true)) and walks
 * with rmap_walk_anon_locked().
 */
static bool rmap_walk_anon(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct anon_vma *av = folio_anon_vma_acquire(folio);
	struct rmap_mm_set set;
	bool complete;

	if (!av)
		return true;
	complete = !rmap_lock_mms(av->mmw, &set, false);
	rmap_walk_anon_locked(folio, rwc, &set);
	rmap_unlock_mms(&set);
	return complete;
}

/* rmap_walk_file - every VMA in the file's i_mmap, under i_mmap_rwsem */
static bool rmap_walk_file(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct address_space *mapping = folio->mapping;
	struct vm_area_struct *vma;

	if (!mapping)
		return true;
	down_read(&mapping->i_mmap_rwsem);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		unsigned long addr = vma_address(vma, folio->index);

		if (IS_ERR_VALUE(addr))
			continue;
		if (!rwc->rmap_one(folio, vma, addr, rwc->arg))
			break;
		if (rwc->done && rwc->done(folio))
			break;
	}
	up_read(&mapping->i_mmap_rwsem);
	return true;
}

/**
 * rmap_walk - visit every place @folio may be mapped
 * @folio: the folio, locked by the caller
 * @rwc: what to do at each (VMA, address)
 *
 * Returns false if the walk could not visit everything (see
 * rmap_walk_anon()).
 */
bool rmap_walk(struct folio *folio, struct rmap_walk_control *rwc)
{
	if (folio_test_anon(folio))
		return rmap_walk_anon(folio, rwc);
	return rmap_walk_file(folio, rwc);
}

/* the PMD covering @addr in @mm, or NULL (mm_find_pmd) */
pmd_t *mm_find_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	pud_t *pud;
	pmd_t *pmd;

	if (pgd_none(pgdp_get(pgd)))
		return NULL;
	pud = pud_offset(pgd, addr);
	if (pud_none(pudp_get(pud)))
		return NULL;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(pmdp_get(pmd)) || pmd_leaf(pmdp_get(pmd)))
		return NULL;
	return pmd;
}

/*
 * page_vma_mapped - lock the PTE that maps @folio at @addr of @vma
 * (page_vma_mapped_walk() for an order-0 folio).  Returns the PTE with
 * its lock in *ptlp, or NULL if @folio is not mapped there.
 */
static pte_t *page_vma_mapped(struct folio *folio, struct vm_area_struct *vma,
			      unsigned long addr, spinlock_t **ptlp)
{
	pmd_t *pmd = mm_find_pmd(vma->vm_mm, addr);
	pte_t *pte, ptent;

	if (!pmd)
		return NULL;
	pte = pte_offset_map_lock(vma->vm_mm, pmd, addr, ptlp);
	if (!pte)
		return NULL;
	ptent = ptep_get(pte);
	if (!pte_present(ptent) || pte_special(ptent) ||
	    pte_pfn(ptent) != folio_pfn(folio)) {
		pte_unmap_unlock(pte, *ptlp);
		return NULL;
	}
	return pte;
}

/* ---- folio_referenced and page aging ---- */

static bool ptep_test_and_clear_young(struct vm_area_struct *vma,
				      unsigned long addr, pte_t *ptep)
{
	sched_point(SP_MEM, ptep);
	return __atomic_fetch_and(&ptep->pte, ~(uint64_t)_PAGE_ACCESSED,
				  __ATOMIC_ACQ_REL) &
	       _PAGE_ACCESSED;
}

/*
 * x86's ptep_clear_flush_young() clears the bit and does not flush: a
 * TLB entry that stays cached means later accesses set no new young bit,
 * so reclaim only thinks the page colder than it is (a wrong guess, not a
 * correctness problem).
 */
static bool ptep_clear_flush_young(struct vm_area_struct *vma,
				   unsigned long addr, pte_t *ptep)
{
	return ptep_test_and_clear_young(vma, addr, ptep);
}

/*
 * ptep_clear_flush_young_notify - the CPU's accessed bit, then the
 * secondary MMUs' (KVM's SPTEs, an IOMMU's): any of them makes the page
 * young.  PTL held, as in Linux; the secondaries' callbacks may not sleep.
 */
static bool ptep_clear_flush_young_notify(struct vm_area_struct *vma,
					  unsigned long addr, pte_t *ptep)
{
	bool young = ptep_clear_flush_young(vma, addr, ptep);

	young |= mmu_notifier_clear_flush_young(
			 vma->vm_mm->notifier_subscriptions, addr,
			 addr + PAGE_SIZE) != 0;
	return young;
}

/* ptep_clear_young_notify(): the same without a secondary TLB flush */
static bool ptep_clear_young_notify(struct vm_area_struct *vma,
				    unsigned long addr, pte_t *ptep)
{
	bool young = ptep_test_and_clear_young(vma, addr, ptep);

	young |= mmu_notifier_clear_young(vma->vm_mm->notifier_subscriptions,
					  addr, addr + PAGE_SIZE) != 0;
	return young;
}

struct folio_referenced_arg {
	int referenced;
	int mapcount;
	bool idle; /* page_idle: clear_young, no flush of secondaries */
};

static bool folio_referenced_one(struct folio *folio,
				 struct vm_area_struct *vma, unsigned long addr,
				 void *arg)
{
	struct folio_referenced_arg *pra = arg;
	spinlock_t *ptl;
	pte_t *pte = page_vma_mapped(folio, vma, addr, &ptl);
	bool young;

	if (!pte)
		return true;
	if (pra->idle)
		young = ptep_clear_young_notify(vma, addr, pte);
	else
		young = ptep_clear_flush_young_notify(vma, addr, pte);
	if (young)
		pra->referenced++;
	pte_unmap_unlock(pte, ptl);
	pra->mapcount--;
	return true;
}

/**
 * folio_referenced - clear the young bit of every PTE mapping @folio
 * @folio: the folio, locked
 *
 * Each mapping's accessed bit is tested and cleared, and each mm's
 * secondary MMUs are asked the same for the page's range
 * (mmu_notifier_clear_flush_young).  Returns how many mappings were
 * young in the CPU page table or in a secondary MMU.
 */
int folio_referenced(struct folio *folio)
{
	struct folio_referenced_arg pra = { .mapcount = folio_mapcount(folio) };
	struct rmap_walk_control rwc = {
		.rmap_one = folio_referenced_one,
		.arg = &pra,
	};

	if (!pra.mapcount)
		return 0;
	rmap_walk(folio, &rwc);
	return pra.referenced;
}

/**
 * page_idle_clear_pte_refs - idle page tracking's walk (mm/page_idle.c)
 * @folio: the folio, locked
 *
 * As folio_referenced(), but secondary MMUs are asked with
 * mmu_notifier_clear_young(): marking pages idle need not flush their
 * TLBs.  Returns how many mappings were young.
 */
int page_idle_clear_pte_refs(struct folio *folio)
{
	struct folio_referenced_arg pra = { .mapcount = folio_mapcount(folio),
					    .idle = true };
	struct rmap_walk_control rwc = {
		.rmap_one = folio_referenced_one,
		.arg = &pra,
	};

	if (!pra.mapcount)
		return 0;
	rmap_walk(folio, &rwc);
	return pra.referenced;
}

/* ---- try_to_unmap and the batched TLB flush ---- */

/*
 * set_tlb_ubc_flush_pending - record that the CPUs of @mm may cache the
 * PTE just cleared; the flush comes with try_to_unmap_flush().  Setting
 * mm->tlb_flush_batched tells anyone else who finds the PTE cleared
 * (mprotect, munmap, madvise, mremap) that a flush is still owed: they
 * must call flush_tlb_batched_pending() before relying on it.
 */
/*
 * mm->tlb_flush_batched as generation counters: bits 0-14 count deferred
 * flushes (pending), bits 16-30 the pending value the last completed
 * flush_tlb_batched_pending() saw (flushed).  A flusher records its
 * flush with a cmpxchg against the value it read, so a flush deferred
 * meanwhile (another page-table page, another PTL) keeps pending ahead.
 */
#define TLB_FLUSH_BATCH_FLUSHED_SHIFT 16
#define TLB_FLUSH_BATCH_PENDING_MASK \
	((1 << (TLB_FLUSH_BATCH_FLUSHED_SHIFT - 1)) - 1)
#define TLB_FLUSH_BATCH_PENDING_LARGE (TLB_FLUSH_BATCH_PENDING_MASK / 2)

static bool tlb_flush_batched_bool(struct mm_struct *mm)
{
	return policy_enum(mm->mmw->w, KNOB_RMAP_TLB_FLUSH_BATCHED) ==
	       TLB_FLUSH_BATCHED_BOOL;
}

/* atomic_try_cmpxchg() on mm->tlb_flush_batched: a schedule point */
static bool tlb_flush_batched_try_cmpxchg(struct mm_struct *mm, int *old,
					  int new)
{
	sched_point(SP_ATOMIC, &mm->tlb_flush_batched);
	return __atomic_compare_exchange_n(&mm->tlb_flush_batched, old, new,
					   false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/**
 * mm_tlb_flush_batched_pending - has reclaim deferred a flush of @mm that
 * no flush_tlb_batched_pending() has done yet?  (for checks and tests)
 */
bool mm_tlb_flush_batched_pending(struct mm_struct *mm)
{
	int batch = __atomic_load_n(&mm->tlb_flush_batched, __ATOMIC_RELAXED);

	if (tlb_flush_batched_bool(mm))
		return batch != 0;
	return (batch & TLB_FLUSH_BATCH_PENDING_MASK) !=
	       batch >> TLB_FLUSH_BATCH_FLUSHED_SHIFT;
}

static void tlb_flush_batched_add_pending(struct mm_struct *mm)
{
	int batch;

	if (tlb_flush_batched_bool(mm)) {
		WRITE_ONCE(mm->tlb_flush_batched, 1);
		return;
	}
	batch = READ_ONCE(mm->tlb_flush_batched);
	for (;;) {
		/* keep pending from wrapping onto flushed: restart at 1/0 */
		if ((batch & TLB_FLUSH_BATCH_PENDING_MASK) <=
		    TLB_FLUSH_BATCH_PENDING_LARGE) {
			sched_point(SP_ATOMIC, &mm->tlb_flush_batched);
			__atomic_fetch_add(&mm->tlb_flush_batched, 1,
					   __ATOMIC_SEQ_CST);
			return;
		}
		if (tlb_flush_batched_try_cmpxchg(mm, &batch, 1))
			return;
	}
}

static void set_tlb_ubc_flush_pending(struct mm_struct *mm,
				      struct tlbflush_unmap_batch *tlb_ubc,
				      pte_t pteval)
{
	tlb_ubc->cpumask |= mm_cpumask(mm);
	tlb_ubc->flush_required = true;
	/* ordered after the PTE clear: the PTL's unlock publishes both */
	tlb_flush_batched_add_pending(mm);
	if (pte_write(pteval) || pte_dirty(pteval))
		tlb_ubc->writable = true;
}

/**
 * try_to_unmap_flush - flush every TLB reclaim's batch recorded
 * @mmw: the world's mm state
 * @tlb_ubc: the reclaiming agent's batch
 */
void try_to_unmap_flush(struct mm_world *mmw,
			struct tlbflush_unmap_batch *tlb_ubc)
{
	if (!tlb_ubc->flush_required)
		return;
	arch_tlbbatch_flush(mmw, tlb_ubc->cpumask);
	tlb_ubc->cpumask = 0;
	tlb_ubc->flush_required = false;
	tlb_ubc->writable = false;
}

/* before writing a page out: a writable stale entry could change it */
void try_to_unmap_flush_dirty(struct mm_world *mmw,
			      struct tlbflush_unmap_batch *tlb_ubc)
{
	if (tlb_ubc->writable)
		try_to_unmap_flush(mmw, tlb_ubc);
}

/**
 * flush_tlb_batched_pending - complete a flush reclaim deferred for @mm
 * @mm: the address space; caller holds a PTE lock of it
 *
 * Called by those who change PTEs under the PTL and may find one that
 * reclaim cleared without flushing yet (zap_pte_range, change_pte_range,
 * the madvise walkers, move_ptes): they must not report "nothing was
 * mapped, nothing to flush" while a CPU still caches the old entry.
 *
 * Policy rmap.batched_flush_pending=false skips it, as kernels before
 * 4.13 did (the race of commit 3ea277194daa).
 *
 * Callers: zap_pte_range, change_pte_range, the MADV_FREE walk and
 * move_ptes (mremap), each under the PTL, as in Linux.
 */
void flush_tlb_batched_pending(struct mm_struct *mm)
{
	int batch, pending, flushed;

	if (!policy_bool(mm->mmw->w, KNOB_RMAP_BATCHED_FLUSH_PENDING))
		return;
	if (tlb_flush_batched_bool(mm)) {
		/* 4.13-5.16: a flush deferred during ours is forgotten */
		if (READ_ONCE(mm->tlb_flush_batched)) {
			flush_tlb_mm(mm);
			WRITE_ONCE(mm->tlb_flush_batched, 0);
		}
		return;
	}
	batch = READ_ONCE(mm->tlb_flush_batched);
	pending = batch & TLB_FLUSH_BATCH_PENDING_MASK;
	flushed = batch >> TLB_FLUSH_BATCH_FLUSHED_SHIFT;
	if (pending != flushed) {
		flush_tlb_mm(mm);
		/* fails if reclaim deferred another flush meanwhile */
		tlb_flush_batched_try_cmpxchg(
			mm, &batch,
			pending | (pending << TLB_FLUSH_BATCH_FLUSHED_SHIFT));
	}
}

struct ttu_arg {
	enum ttu_flags flags;
	struct tlbflush_unmap_batch *tlb_ubc;
	bool failed;
};

/*
 * The secondary TLBs that share the page tables (SVA), told under the
 * PTL that the PTE of @addr is gone (rmap.secondary_flush_under_ptl):
 * 4.13-6.5 did it with ptep_clear_flush_notify() (in_range_end here);
 * 6.6 does it when the CPU flush is queued (x86's arch_tlbbatch_add_pending
 * calls arch_invalidate_secondary_tlbs for the whole mm), while a direct
 * ptep_clear_flush() already reached them through flush_tlb_page().
 * Before 4.13 (false) mmu_notifier_invalidate_page() ran only after the
 * PTL was dropped, which invalidate_range_end stands for here.
 */
static void try_to_unmap_notify_secondary(struct vm_area_struct *vma,
					  unsigned long addr, bool batched)
{
	struct mm_struct *mm = vma->vm_mm;
	struct world *w = mm->mmw->w;
	unsigned int how = policy_enum(w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH);

	if (!policy_bool(w, KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL))
		return;
	if (how == SECONDARY_TLB_FLUSH_IN_RANGE_END)
		mmu_notifier_arch_invalidate_secondary_tlbs(
			mm->notifier_subscriptions, addr, addr + PAGE_SIZE);
	else if (how == SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH && batched)
		mmu_notifier_arch_invalidate_secondary_tlbs(
			mm->notifier_subscriptions, 0, TLB_FLUSH_ALL);
}

/*
 * try_to_unmap_one - unmap @folio at @addr of @vma, under the PTL.
 *
 * The PTE is cleared; with TTU_BATCH_FLUSH the flush is recorded in the
 * batch instead of done now.  An anonymous folio must be in the swap
 * cache: its PTE becomes the swap entry.  A migration unmap
 * (TTU_MIGRATION) leaves a migration entry instead.
 */
static bool try_to_unmap_one(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long addr, void *arg)
{
	struct ttu_arg *ta = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct page *page = &folio->page;
	struct mmu_notifier_range range;
	spinlock_t *ptl;
	pte_t *pte;
	pte_t pteval, swp_pte;
	bool anon = folio_test_anon(folio);

	/* secondary MMUs drop the page before the PTE goes (CLEAR) */
	mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR, 0, mm, addr,
				addr + PAGE_SIZE);
	mmu_notifier_invalidate_range_start(mm->notifier_subscriptions, &range);
	pte = page_vma_mapped(folio, vma, addr, &ptl);
	if (!pte)
		goto out_end;
	if (vma->vm_flags & VM_LOCKED) {
		pte_unmap_unlock(pte, ptl);
		ta->failed = true;
		mmu_notifier_invalidate_range_end(mm->notifier_subscriptions,
						  &range);
		return false;
	}
	if (anon && !(ta->flags & TTU_MIGRATION) &&
	    !folio_test_swapcache(folio)) {
		pte_unmap_unlock(pte, ptl);
		ta->failed = true;
		mmu_notifier_invalidate_range_end(mm->notifier_subscriptions,
						  &range);
		return false;
	}
	if ((ta->flags & TTU_BATCH_FLUSH) && ta->tlb_ubc) {
		pteval = ptep_get_and_clear(mm, addr, pte);
		set_tlb_ubc_flush_pending(mm, ta->tlb_ubc, pteval);
	} else {
		pteval = ptep_clear_flush(vma, addr, pte);
	}
	try_to_unmap_notify_secondary(vma, addr,
				      (ta->flags & TTU_BATCH_FLUSH) &&
					      ta->tlb_ubc);
	if (pte_dirty(pteval))
		folio_set_dirty(folio);

	if (ta->flags & TTU_MIGRATION) {
		swp_entry_t entry;

		if (pte_write(pteval))
			entry = make_writable_migration_entry(
				page_to_pfn(page));
		else if (anon && PageAnonExclusive(page))
			entry = make_readable_exclusive_migration_entry(
				page_to_pfn(page));
		else
			entry = make_readable_migration_entry(
				page_to_pfn(page));
		swp_pte = swp_entry_to_pte(entry);
		if (pte_soft_dirty(pteval))
			swp_pte = pte_swp_mksoft_dirty(swp_pte);
		set_pte_at(mm, addr, pte, swp_pte);
		/* the page keeps its rss slot: the migration entry counts
		 * as the page, as in Linux's counters */
	} else if (anon) {
		swp_entry_t entry = { folio->private };

		swap_duplicate(mm->mmw, entry);
		swp_pte = swp_entry_to_pte(entry);
		if (pte_soft_dirty(pteval))
			swp_pte = pte_swp_mksoft_dirty(swp_pte);
		set_pte_at(mm, addr, pte, swp_pte);
		add_mm_counter(mm, MM_ANONPAGES, -1);
		add_mm_counter(mm, MM_SWAPENTS, 1);
	} else {
		add_mm_counter(mm, mm_counter(page), -1);
	}
	ClearPageAnonExclusive(page);
	folio_remove_rmap_pte(folio, page, vma);
	pte_unmap_unlock(pte, ptl);
	folio_put(folio); /* the mapping's reference */
out_end:
	mmu_notifier_invalidate_range_end(mm->notifier_subscriptions, &range);
	return true;
}

static bool folio_not_mapped(struct folio *folio)
{
	return !folio_mapped(folio);
}

/**
 * try_to_unmap - unmap @folio everywhere
 * @folio: the folio, locked, with a reference held by the caller
 * @flags: TTU_BATCH_FLUSH (defer the TLB flush into @tlb_ubc),
 *	TTU_MIGRATION (leave migration entries)
 * @tlb_ubc: the caller's batch (TTU_BATCH_FLUSH)
 *
 * Returns true if @folio is no longer mapped.
 */
bool try_to_unmap(struct folio *folio, enum ttu_flags flags,
		  struct tlbflush_unmap_batch *tlb_ubc)
{
	struct ttu_arg ta = { .flags = flags, .tlb_ubc = tlb_ubc };
	struct rmap_walk_control rwc = {
		.rmap_one = try_to_unmap_one,
		.done = folio_not_mapped,
		.arg = &ta,
	};

	rmap_walk(folio, &rwc);
	return !folio_mapped(folio);
}

/**
 * try_to_migrate - replace every PTE mapping anonymous @folio with a
 * migration entry, flushing each at once
 * @folio: locked, with the caller's reference
 * @set: every mm that may map it, locked by rmap_lock_mms(.., true)
 *
 * Returns true if @folio is no longer mapped.
 */
bool try_to_migrate(struct folio *folio, struct rmap_mm_set *set)
{
	struct ttu_arg ta = { .flags = TTU_MIGRATION };
	struct rmap_walk_control rwc = {
		.rmap_one = try_to_unmap_one,
		.done = folio_not_mapped,
		.arg = &ta,
	};

	rmap_walk_anon_locked(folio, &rwc, set);
	return !folio_mapped(folio);
}
