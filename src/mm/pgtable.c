// SPDX-License-Identifier: MIT
/*
 * Page-table pages: allocation, descent from one level to the next,
 * population of empty entries, and mapping a PTE table with its lock.
 *
 * Models mm/pgtable-generic.c (__pte_offset_map, pte_offset_map_lock),
 * the allocation half of mm/memory.c (__pte_alloc, __pud_alloc,
 * __pmd_alloc), include/linux/mm.h's ptdesc helpers (pagetable_alloc,
 * pagetable_pte_ctor, pte_lockptr, pmd_lock) and arch/x86/mm/pgtable.c
 * (pgd_alloc, pgd_free).
 *
 * Each table is a real frame of physical memory in PAGE_STATE_PGTABLE;
 * its descriptor (struct ptdesc) holds the 512 entries and the split PTE
 * lock and is found from the frame through page->private.  An entry of
 * an upper level holds the pfn of the next table's frame, so walking the
 * tables goes through struct page exactly as a hardware walk goes
 * through physical memory.
 *
 * Simplifications: PMD entries are guarded by mm->page_table_lock (no
 * split PMD lock); there are no 1 GiB leaves.
 *
 * Lock order (see memory.c for the whole tree):
 *   mm->page_table_lock     populating a PGD/PUD/PMD entry (pmd_lock)
 *   ptdesc->ptl             a PTE table's entries (pte_offset_map_lock)
 *     zone->lock            allocating the table's frame happens before
 *                           either lock is taken
 * pte_offset_map*() enter an RCU read-side section that pte_unmap*()
 * leaves: a PTE table is freed only after a grace period (mmu_gather).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm.h"

/* a model bug, not a modeled one: stop loudly */
static void pgtable_bug(const char *what, uint64_t val)
{
	fprintf(stderr, "secmmu: page-table bug: %s (entry %#llx)\n", what,
		(unsigned long long)val);
	abort();
}

/**
 * pagetable_alloc - a zeroed page-table page for @mm
 * @mm: the address space it will belong to
 * @level: 4 = PGD, 3 = PUD, 2 = PMD, 1 = PTE
 *
 * Allocates a frame (may sleep), types it PAGE_STATE_PGTABLE and gives it
 * a descriptor with an initialised "ptl".  Returns NULL when memory is
 * out.  The table is not linked anywhere yet.
 */
struct ptdesc *pagetable_alloc(struct mm_struct *mm, int level)
{
	struct mm_world *mmw = mm->mmw;
	struct page *page = alloc_page(mmw->pm, GFP_KERNEL);
	struct ptdesc *pt;

	if (!page)
		return NULL;
	pt = ptdesc_alloc(mmw);
	memset(pt->entries, 0, sizeof(pt->entries));
	spin_lock_init(mmw->w, &pt->ptl, "ptl");
	pt->page = page;
	pt->pt_mm = mm;
	pt->mmw = mmw;
	pt->level = level;
	pt->next_free = NULL;
	page_set_state(page, PAGE_STATE_PGTABLE);
	__atomic_store_n(&page->private, (unsigned long)pt, __ATOMIC_RELEASE);
	return pt;
}

/* pagetable_dtor() + free: the frame's generation goes up */
void pagetable_free(struct ptdesc *pt)
{
	struct page *page = pt->page;
	struct mm_world *mmw = pt->mmw;

	__atomic_store_n(&page->private, 0UL, __ATOMIC_RELAXED);
	page_set_state(page, PAGE_STATE_KERNEL);
	pt->page = NULL;
	ptdesc_free(mmw, pt);
	__free_page(page);
}

/**
 * ptdesc_of_pfn - the descriptor of the page-table frame @pfn
 * @pm: physical memory
 * @pfn: the frame an upper-level entry points to
 *
 * Returns NULL if the frame is not (or no longer) a page table: the
 * caller followed a stale entry.
 */
struct ptdesc *ptdesc_of_pfn(struct phys_mem *pm, unsigned long pfn)
{
	struct page *page;

	if (!pfn_valid(pm, pfn))
		return NULL;
	page = pfn_to_page(pm, pfn);
	if (!PageTable(page))
		return NULL;
	return (struct ptdesc *)__atomic_load_n(&page->private,
						__ATOMIC_ACQUIRE);
}

/* the table an upper-level entry of table @from points to */
static struct ptdesc *next_table(const void *from, uint64_t val)
{
	struct phys_mem *pm = page_phys_mem(ptdesc_of(from)->page);
	struct ptdesc *pt;

	if (!(val & _PAGE_PRESENT))
		pgtable_bug("descending through a non-present entry", val);
	pt = ptdesc_of_pfn(pm, (val & PTE_PFN_MASK) >> PAGE_SHIFT);
	if (!pt)
		pgtable_bug("entry points to a frame that is not a table", val);
	return pt;
}

static uint64_t table_entry(struct ptdesc *pt)
{
	return ((uint64_t)page_to_pfn(pt->page) << PAGE_SHIFT) | _PAGE_TABLE;
}

pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr)
{
	return mm->pgd + pgd_index(addr);
}

/* the descents read the entry without a schedule point: the caller has
 * just read it through pgdp_get() and friends, or holds the lock that
 * keeps it */
pud_t *pud_offset(pgd_t *pgd, unsigned long addr)
{
	uint64_t v = __atomic_load_n(&pgd->pgd, __ATOMIC_ACQUIRE);

	return (pud_t *)&next_table(pgd, v)->entries[pud_index(addr)];
}

pmd_t *pmd_offset(pud_t *pud, unsigned long addr)
{
	uint64_t v = __atomic_load_n(&pud->pud, __ATOMIC_ACQUIRE);

	return (pmd_t *)&next_table(pud, v)->entries[pmd_index(addr)];
}

pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long addr)
{
	uint64_t v = __atomic_load_n(&pmd->pmd, __ATOMIC_ACQUIRE);

	return (pte_t *)&next_table(pmd, v)->entries[pte_index(addr)];
}

spinlock_t *pmd_lock(struct mm_struct *mm, pmd_t *pmd)
{
	spin_lock(&mm->page_table_lock);
	return &mm->page_table_lock;
}

static void mm_inc_nr_ptes(struct mm_struct *mm)
{
	__atomic_add_fetch(&mm->nr_ptes, 1, __ATOMIC_RELAXED);
}

/*
 * Populate an empty upper-level entry with a new table.  The table is
 * allocated first (it may sleep), then installed under page_table_lock
 * unless another thread installed one meanwhile.  The release store of
 * the entry publishes the zeroed table to lockless walkers.
 */
static int __pxx_alloc(struct mm_struct *mm, uint64_t *entry, int level)
{
	struct ptdesc *pt = pagetable_alloc(mm, level);

	if (!pt)
		return -ENOMEM;
	spin_lock(&mm->page_table_lock);
	if (!__PT_LOAD(entry)) {
		mm_inc_nr_ptes(mm);
		__PT_STORE(entry, table_entry(pt));
		pt = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (pt) /* never visible to anyone: free at once */
		pagetable_free(pt);
	return 0;
}

pud_t *pud_alloc(struct mm_struct *mm, pgd_t *pgd, unsigned long addr)
{
	if (pgd_none(pgdp_get(pgd)) && __pxx_alloc(mm, &pgd->pgd, 3))
		return NULL;
	return pud_offset(pgd, addr);
}

pmd_t *pmd_alloc(struct mm_struct *mm, pud_t *pud, unsigned long addr)
{
	if (pud_none(pudp_get(pud)) && __pxx_alloc(mm, &pud->pud, 2))
		return NULL;
	return pmd_offset(pud, addr);
}

/* 0, or -ENOMEM: as Linux's __pte_alloc() */
int __pte_alloc(struct mm_struct *mm, pmd_t *pmd)
{
	return __pxx_alloc(mm, &pmd->pmd, 1);
}

/*
 * __pte_offset_map(): enter RCU, read the PMD once and map its table.
 * NULL (RCU left) if there is no PTE table there: none, or a leaf.
 */
static pte_t *__pte_offset_map(pmd_t *pmd, unsigned long addr, pmd_t *pmdvalp)
{
	pmd_t pmdval;

	rcu_read_lock();
	pmdval = pmdp_get(pmd);
	if (pmd_none(pmdval) || pmd_leaf(pmdval) || !pmd_present(pmdval)) {
		rcu_read_unlock();
		return NULL;
	}
	if (pmd_bad(pmdval))
		pgtable_bug("bad pmd", pmd_val(pmdval));
	*pmdvalp = pmdval;
	return (pte_t *)&next_table(pmd, pmd_val(pmdval))
		->entries[pte_index(addr)];
}

/**
 * pte_offset_map_nolock - map the PTE for @addr without locking it
 * @mm: the address space
 * @pmd: the PMD entry covering @addr
 * @addr: the address
 * @ptlp: set to the table's lock, for the caller to take
 *
 * Returns NULL if no PTE table is there.  Otherwise the caller is in an
 * RCU read-side section until pte_unmap().
 */
pte_t *pte_offset_map_nolock(struct mm_struct *mm, pmd_t *pmd,
			     unsigned long addr, spinlock_t **ptlp)
{
	pmd_t pmdval;
	pte_t *pte = __pte_offset_map(pmd, addr, &pmdval);

	if (pte)
		*ptlp = &ptdesc_of(pte)->ptl;
	return pte;
}

/**
 * pte_offset_map_lock - map and lock the PTE for @addr
 * @mm: the address space
 * @pmd: the PMD entry covering @addr
 * @addr: the address
 * @ptlp: set to the lock taken
 *
 * Returns NULL if no PTE table is there.  Rechecks the PMD under the lock
 * and retries if the table was replaced meanwhile.  Unlock with
 * pte_unmap_unlock().
 */
pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			   spinlock_t **ptlp)
{
	spinlock_t *ptl;
	pmd_t pmdval;
	pte_t *pte;

	for (;;) {
		pte = __pte_offset_map(pmd, addr, &pmdval);
		if (!pte)
			return NULL;
		ptl = &ptdesc_of(pte)->ptl;
		spin_lock(ptl);
		if (pmd_val(pmdp_get(pmd)) == pmd_val(pmdval))
			break;
		pte_unmap_unlock(pte, ptl);
	}
	*ptlp = ptl;
	return pte;
}

pte_t *pte_alloc_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			  spinlock_t **ptlp)
{
	if (pte_alloc(mm, pmd))
		return NULL;
	return pte_offset_map_lock(mm, pmd, addr, ptlp);
}

void pte_unmap(pte_t *pte)
{
	rcu_read_unlock();
}

void pte_unmap_unlock(pte_t *pte, spinlock_t *ptl)
{
	spin_unlock(ptl);
	pte_unmap(pte);
}

/**
 * pgd_alloc - the top-level table of a new mm
 * @mm: the address space
 *
 * Returns the PGD's entries, or NULL when memory is out.
 */
pgd_t *pgd_alloc(struct mm_struct *mm)
{
	struct ptdesc *pt = pagetable_alloc(mm, 4);

	if (!pt)
		return NULL;
	mm_inc_nr_ptes(mm);
	return (pgd_t *)pt->entries;
}

/* the mm is dead and loaded on no CPU: no walker can be in the PGD */
void pgd_free(struct mm_struct *mm, pgd_t *pgd)
{
	__atomic_sub_fetch(&mm->nr_ptes, 1, __ATOMIC_RELAXED);
	pagetable_free(ptdesc_of(pgd));
}
