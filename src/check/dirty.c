// SPDX-License-Identifier: MIT
/*
 * The dirty-tracking check (DESIGN section 4, item 4): "missed-dirty".
 *
 * Linux learns that user memory was written from two PTE bits.  The
 * hardware dirty bit (_PAGE_DIRTY) tells reclaim, MADV_FREE and writeback
 * that the page must not be dropped; the soft-dirty bit (set by the
 * kernel's pte_mkdirty() on a write fault, cleared by clear_refs "4")
 * tells CRIU-like trackers which pages changed since the last clear.  A
 * CPU can only write through a TLB entry that was filled from a writable,
 * dirty PTE; both bits are therefore right as long as every TLB entry
 * that may still write has been flushed whenever the kernel cleared one
 * of them (clear_refs write-protects the PTE so the next write faults).
 * A write that lands through an entry the kernel meant to be gone is
 * recorded nowhere: that is the violation.
 *
 * The rule, checked on every write a CPU performs (cpu_do_access()): if
 * the leaf the entry was filled from still maps the same frame and no
 * TLB flush is pending for the mm (mm_tlb_flush_pending(): an operation
 * that cleared bits and has not flushed yet is in flight, and a write
 * racing with it may count as before it, as Linux allows), then
 *  - the PTE must be dirty, and
 *  - once clear_refs has run on the mm, it must be soft-dirty unless its
 *    VMA still has VM_SOFTDIRTY (pagemap reports the whole VMA dirty).
 *
 * Simplifications: the VMA flag is read only under the deterministic
 * engine (one agent runs; the check takes no lock and adds no schedule
 * point).  Under the real engine the VMAs may be changing, so the soft
 * part is checked only when the PTE is write-protected (then the write
 * certainly went around the fault that would have set the bit).  PMD
 * leaves are not checked.  A write through a PTE that is gone (zapped,
 * moved, swapped) is the business of stale-tlb and the value oracle.
 *
 * Lock order: runs under cpu->tlb_lock and takes nothing.
 */
#include "check/check.h"
#include "core/world.h"
#include "mm/mm.h"
#include "notifier/mmu_notifier.h"

/*
 * The PTE of @va in @mm, read without locks or schedule points (checkers
 * only: exact under the deterministic engine or at a quiescent point);
 * 0 if there is none.
 */
pte_t check_peek_pte(struct mm_world *mmw, struct mm_struct *mm,
			  unsigned long va)
{
	struct ptdesc *pt = ptdesc_of(mm->pgd);
	int level;

	for (level = 4; level > 1; level--) {
		unsigned long idx = (va >> (PAGE_SHIFT + 9 * (level - 1))) &
				    511;
		uint64_t v =
			__atomic_load_n(&pt->entries[idx], __ATOMIC_ACQUIRE);

		if (!(v & _PAGE_PRESENT) || (v & _PAGE_PSE))
			return __pte(0);
		pt = ptdesc_of_pfn(mmw->pm, (v & PTE_PFN_MASK) >> PAGE_SHIFT);
		if (!pt)
			return __pte(0);
	}
	return __pte(
		__atomic_load_n(&pt->entries[pte_index(va)], __ATOMIC_ACQUIRE));
}

static const char *agent_name(struct world *w, int id)
{
	if (id < 0 || id >= w->nr_agents || !w->agents[id])
		return "(no agent)";
	return w->agents[id]->name;
}

/* the soft-dirty state pagemap would report for a clean PTE at @va */
static bool soft_dirty_by_vma(struct world *w, struct mm_struct *mm,
			      unsigned long va, pte_t pte, bool *known)
{
	struct vm_area_struct *vma;

	*known = true;
	if (!world_is_det(w)) {
		/* cannot read the VMAs: only a write-protected PTE is sure */
		*known = !pte_write(pte);
		return false;
	}
	vma = vma_lookup(mm, va);
	return vma && (vma->vm_flags & VM_SOFTDIRTY);
}

/*
 * Why the present @pte does not record a write through it, or NULL if it
 * does: it is clean, or clear_refs cleared its soft-dirty bit, nothing set
 * it again and the VMA does not stand in for it (@soft_dirty_why then).
 */
static const char *missed_dirty_why(struct world *w, struct mm_struct *mm,
				    unsigned long va, pte_t pte,
				    const char *soft_dirty_why)
{
	bool known;

	if (!pte_dirty(pte))
		return "the PTE is clean: reclaim or MADV_FREE may drop the data";
	if (pte_soft_dirty(pte) ||
	    !__atomic_load_n(&mm->soft_dirty_clears, __ATOMIC_ACQUIRE))
		return NULL;
	if (soft_dirty_by_vma(w, mm, va, pte, &known) || !known)
		return NULL;
	return soft_dirty_why;
}

/**
 * check_missed_dirty - a CPU is about to write through TLB entry @e
 * @cpu: the CPU, holding its tlb_lock
 * @e: the entry (filled from @e->ptep)
 * @va: the address written
 *
 * Reports "missed-dirty" once per entry if the write would land while
 * the PTE records neither a dirty page nor (after clear_refs) a
 * soft-dirty one; see the header for the exact rule.
 */
void check_missed_dirty(struct cpu *cpu, struct tlb_entry *e, unsigned long va)
{
	struct mm_struct *mm = cpu->loaded_mm;
	struct world *w = cpu->mmw->w;
	const char *what;
	pte_t pte;

	if (!mm || !e->ptep || e->leaf_level != 1 || e->reported ||
	    e->mm_id != mm->id)
		return;
	if (__atomic_load_n(&mm->tlb_flush_pending.counter, __ATOMIC_ACQUIRE))
		return;
	pte = __pte(__atomic_load_n(e->ptep, __ATOMIC_ACQUIRE));
	if (!pte_hw_present(pte) || pte_pfn(pte) != e->pfn)
		return;
	what = missed_dirty_why(
		w, mm, va, pte,
		"clear_refs cleared its soft-dirty bit and the write did not fault to set it again");
	if (!what)
		return;
	e->reported = true;
	report_add(
		w, "missed-dirty",
		"CPU%d: %s wrote va %#lx (mm %d, pfn %#lx) through a %s TLB entry filled at step %lu by %s, but the PTE (%#llx, %s) does not record the write: %s\n",
		cpu->id, current ? current->name : "(no agent)", va, mm->id,
		e->pfn, e->writable ? "writable" : "read-only", e->fill_step,
		agent_name(w, e->fill_agent), (unsigned long long)pte_val(pte),
		pte_write(pte) ? "writable" : "write-protected", what);
}

/**
 * check_missed_dirty_secondary - a device wrote @va of @mm through a
 *	translation of frame @pfn that a secondary TLB (IOTLB, device TLB)
 *	cached
 * @who: the device, for the report
 *
 * The same rule as check_missed_dirty() for a secondary MMU that shares
 * the CPU page tables (SVA): its walker sets the hardware dirty bit, and
 * clear_refs' write-protect must reach its TLB so that the next write
 * takes a page request and a write fault that sets soft-dirty again.
 * Deterministic engine only (it reads the VMAs and page tables without
 * locks); one report per mm.
 */
void check_missed_dirty_secondary(struct mm_struct *mm, unsigned long va,
				  unsigned long pfn, const char *who)
{
	struct world *w = mm->mmw->w;
	const char *what;
	pte_t pte;

	if (!world_is_det(w) || mm->missed_dirty_reported)
		return;
	if (__atomic_load_n(&mm->tlb_flush_pending.counter, __ATOMIC_ACQUIRE))
		return;
	/*
	 * Inside an invalidation bracket over @va the operation is in
	 * flight: before 6.6 the secondary TLB is flushed only at its end
	 * (KSM's write_protect_page moves the dirty bit to the page first).
	 */
	if (mmu_notifier_range_in_flight(mm->notifier_subscriptions, va,
					 va + 1))
		return;
	pte = check_peek_pte(mm->mmw, mm, va);
	if (!pte_hw_present(pte) || pte_pfn(pte) != pfn)
		return;
	what = missed_dirty_why(
		w, mm, va, pte,
		"clear_refs cleared its soft-dirty bit and the device's write went around the fault that sets it again");
	if (!what)
		return;
	mm->missed_dirty_reported = true;
	report_add(
		w, "missed-dirty",
		"%s: %s wrote va %#lx (mm %d, pfn %#lx) through a cached secondary translation, but the PTE (%#llx, %s) does not record the write: %s\n",
		current ? current->name : "(no agent)", who, va, mm->id, pfn,
		(unsigned long long)pte_val(pte),
		pte_write(pte) ? "writable" : "write-protected", what);
}
