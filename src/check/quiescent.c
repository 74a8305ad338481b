// SPDX-License-Identifier: MIT
/*
 * Quiescent invariants of the primary MMU.
 *
 * Models nothing of Linux; it checks what Linux's design promises once
 * every operation has returned (DESIGN.md section 4, item 8):
 *
 *  - "pgtable": every table reachable from a live mm is a page-table
 *    frame, and the page-table frames allocated are exactly the tables
 *    reachable (none leaked, none freed while linked); each mm's nr_ptes
 *    matches its tables.
 *  - "stale-pte": no present PTE maps a free frame.
 *  - "truncated-page-mapped": no PTE maps a file page that truncation
 *    removed from its file.
 *  - "mapcount": each normal page's mapcount equals the number of PTEs
 *    mapping it, and it has at least that many references.
 *  - "rss-counter": each mm's resident counters match its PTEs, as
 *    check_mm() checks at exit.
 *  - "tlb-flush-pending": no mmu_gather is left open.
 *  - "stale-tlb": no TLB entry names a frame freed since it was cached.
 *  - "tlb-coherence": no TLB entry is more than its PTE allows (a
 *    translation that outlived the flush that should have removed it).
 *
 * Reads the tables without schedule points (the check runs outside any
 * agent) and takes no lock.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "mm/mm.h"

struct qscan {
	struct mm_world *mmw;
	int *mapped; /* PTE mappings seen per pfn */
	unsigned long tables;
	unsigned long nr_reports;
};

#define qreport(q, kind, ...)                               \
	do {                                                \
		report_add((q)->mmw->w, kind, __VA_ARGS__); \
		(q)->nr_reports++;                          \
	} while (0)

static struct ptdesc *q_table(struct qscan *q, struct mm_struct *mm,
			      uint64_t val)
{
	struct ptdesc *pt =
		ptdesc_of_pfn(q->mmw->pm, (val & PTE_PFN_MASK) >> PAGE_SHIFT);

	if (!pt)
		qreport(q, "pgtable",
			"quiescent: mm %d links entry %#lx to frame %#lx, which is not a page table\n",
			mm->id, (unsigned long)val,
			(unsigned long)((val & PTE_PFN_MASK) >> PAGE_SHIFT));
	else
		q->tables++;
	return pt;
}

static void q_pte_table(struct qscan *q, struct mm_struct *mm,
			struct ptdesc *pt, long *rss)
{
	struct phys_mem *pm = q->mmw->pm;
	int i;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		pte_t pte = __pte(
			__atomic_load_n(&pt->entries[i], __ATOMIC_ACQUIRE));
		unsigned long pfn = pte_pfn(pte);
		struct page *page;

		if (is_swap_pte(pte) && swp_type(pte_to_swp_entry(pte)) == 0)
			rss[MM_SWAPENTS]++; /* a swapped-out page */
		if (!pte_present(pte) || pte_special(pte))
			continue;
		if (!pfn_valid(pm, pfn)) {
			qreport(q, "pgtable",
				"quiescent: mm %d maps pfn %#lx out of range (pte %#lx)\n",
				mm->id, pfn, (unsigned long)pte_val(pte));
			continue;
		}
		page = pfn_to_page(pm, pfn);
		if (PageBuddy(page)) {
			qreport(q, "stale-pte",
				"quiescent: mm %d maps pfn %#lx, a free frame (pte %#lx)\n",
				mm->id, pfn, (unsigned long)pte_val(pte));
			continue;
		}
		if (page_state(page) == PAGE_STATE_FILE && !page->mapping)
			qreport(q, "truncated-page-mapped",
				"quiescent: mm %d maps pfn %#lx, a file page no longer in its file (truncated)\n",
				mm->id, pfn);
		q->mapped[pfn]++;
		rss[mm_counter(page)]++;
	}
}

static void q_walk(struct qscan *q, struct mm_struct *mm, struct ptdesc *pt,
		   long *rss)
{
	int i;

	if (pt->level == 1) {
		q_pte_table(q, mm, pt, rss);
		return;
	}
	for (i = 0; i < PTRS_PER_PTE; i++) {
		uint64_t v = __atomic_load_n(&pt->entries[i], __ATOMIC_ACQUIRE);
		struct ptdesc *next;

		if (!v)
			continue;
		if (pt->level == 2 && (v & _PAGE_PSE))
			continue; /* no PMD leaves are made yet */
		next = q_table(q, mm, v);
		if (next)
			q_walk(q, mm, next, rss);
	}
}

static void q_mm(struct qscan *q, struct mm_struct *mm)
{
	long rss[NR_MM_COUNTERS] = { 0 };
	unsigned long before = q->tables;
	int i;

	q->tables++; /* the PGD */
	q_walk(q, mm, ptdesc_of(mm->pgd), rss);
	if ((long)(q->tables - before) != mm->nr_ptes)
		qreport(q, "pgtable",
			"quiescent: mm %d reaches %lu tables but accounts %ld\n",
			mm->id, q->tables - before, mm->nr_ptes);
	for (i = 0; i < NR_MM_COUNTERS; i++)
		if (rss[i] != get_mm_counter(mm, i))
			qreport(q, "rss-counter",
				"quiescent: mm %d counter %d is %ld but its PTEs map %ld such pages\n",
				mm->id, i, get_mm_counter(mm, i), rss[i]);
	if (atomic_read(&mm->tlb_flush_pending))
		qreport(q, "tlb-flush-pending",
			"quiescent: mm %d has %d mmu_gathers open\n", mm->id,
			atomic_read(&mm->tlb_flush_pending));
}

static void q_frames(struct qscan *q)
{
	struct phys_mem *pm = q->mmw->pm;
	unsigned long counts[NR_PAGE_STATES];
	unsigned long pfn;

	for (pfn = 0; pfn < pm->nr_frames; pfn++) {
		struct page *page = pfn_to_page(pm, pfn);
		int mc = page_mapcount(page);

		if (mc == q->mapped[pfn] && (!mc || page_count(page) >= mc))
			continue;
		qreport(q, "mapcount",
			"quiescent: pfn %#lx has mapcount %d and %d references, but %d PTEs map it\n",
			pfn, mc, page_count(page), q->mapped[pfn]);
	}
	phys_count_states(pm, counts);
	if (counts[PAGE_STATE_PGTABLE] != q->tables)
		qreport(q, "pgtable",
			"quiescent: %lu page-table frames allocated, %lu reachable\n",
			counts[PAGE_STATE_PGTABLE], q->tables);
}

static struct mm_struct *q_find_mm(struct mm_world *mmw, int id)
{
	struct mm_struct *mm;

	list_for_each_entry(mm, &mmw->mmlist, mmlist)
		if (mm->id == id)
			return mm;
	return NULL;
}

static void q_tlbs(struct qscan *q)
{
	struct mm_world *mmw = q->mmw;
	int c, i;

	for (c = 0; c < mmw->nr_cpus; c++) {
		struct cpu *cpu = &mmw->cpus[c];

		for (i = 0; i < TLB_ENTRIES; i++) {
			struct tlb_entry *e = &cpu->tlb[i];
			unsigned long va = e->vpn << PAGE_SHIFT;
			struct mm_struct *mm;
			pte_t pte;

			if (!e->mm_id)
				continue;
			if (phys_generation(mmw->pm, e->pfn) != e->gen) {
				qreport(q, "stale-tlb",
					"quiescent: CPU%d caches va %#lx -> pfn %#lx, a frame freed since\n",
					c, va, e->pfn);
				continue;
			}
			mm = q_find_mm(mmw, e->mm_id);
			pte = mm ? check_peek_pte(mmw, mm, va) : __pte(0);
			if (!pte_hw_present(pte) || pte_pfn(pte) != e->pfn ||
			    (e->writable && !pte_write(pte)))
				qreport(q, "tlb-coherence",
					"quiescent: CPU%d caches va %#lx -> pfn %#lx%s beyond what its PTE %#lx allows\n",
					c, va, e->pfn,
					e->writable ? " (writable)" : "",
					(unsigned long)pte_val(pte));
		}
	}
}

/**
 * mm_check_quiescent - check the primary MMU's quiescent invariants
 * @mmw: the world's mm state
 *
 * Call with every agent finished.  Returns the number of reports added.
 */
unsigned long mm_check_quiescent(struct mm_world *mmw)
{
	struct qscan q = { .mmw = mmw };
	struct mm_struct *mm;

	q.mapped = calloc(mmw->pm->nr_frames, sizeof(*q.mapped));
	if (!q.mapped)
		abort();
	list_for_each_entry(mm, &mmw->mmlist, mmlist)
		q_mm(&q, mm);
	q_frames(&q);
	q_tlbs(&q);
	free(q.mapped);
	return q.nr_reports;
}
