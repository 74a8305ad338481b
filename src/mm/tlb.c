// SPDX-License-Identifier: MIT
/*
 * Simulated CPUs: their TLBs, switching address spaces, and TLB shootdown.
 *
 * Models arch/x86/mm/tlb.c (switch_mm_irqs_off, flush_tlb_mm_range,
 * flush_tlb_func, the single-page flush ceiling) and the TLB itself.
 *
 * Simplifications:
 *  - No PCID and no lazy TLB mode: loading another mm flushes the CPU's
 *    whole TLB and takes the CPU out of the old mm's cpumask, so a CPU
 *    holds entries of its loaded mm only.  It keeps a reference
 *    (mm_count) on the loaded mm, as a lazy-TLB CPU does.
 *  - The shootdown IPI is synchronous and modeled by the flusher editing
 *    each target CPU's TLB under that CPU's tlb_lock.  A CPU holds its
 *    tlb_lock for the whole of one access (TLB lookup, page walk, fill,
 *    the memory access), so a flush lands between two instructions, never
 *    inside one: exactly the guarantee an IPI gives.  Taking each CPU's
 *    lock is the schedule point of that CPU's flush.
 *  - Entries are tagged with the mm's id; a flush drops the entries of
 *    its mm in the range (or all of them past the ceiling), whatever mm
 *    the CPU has loaded.
 *  - No global pages, no paging-structure caches, no tlb_gen tracking.
 *
 * The stale-translation check lives here: each use of an entry compares
 * the frame's generation with the one cached at fill time.
 *
 * Lock order: cpu_tlb is the innermost mm lock (see memory.c); the page
 * allocator's zone->lock is never taken under it (mmdrop() of the old mm
 * is done after switch_mm() drops it).
 */
#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/tlb.h"

void cpu_init(struct mm_world *mmw, struct cpu *cpu, int id)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->id = id;
	cpu->mmw = mmw;
	spin_lock_init(mmw->w, &cpu->tlb_lock, "cpu_tlb");
}

void tlb_invalidate_entry(struct tlb_entry *e)
{
	e->mm_id = 0;
	e->reported = false;
}

/* under cpu->tlb_lock */
static void local_flush_tlb_all(struct cpu *cpu)
{
	int i;

	for (i = 0; i < TLB_ENTRIES; i++)
		tlb_invalidate_entry(&cpu->tlb[i]);
}

/*
 * switch_mm_irqs_off(): load @next on @cpu, under cpu->tlb_lock.  The
 * CPU enters next's cpumask before it can cache anything of it, so a
 * flusher that reads the mask later will reach it.  Returns the old mm,
 * whose reference the caller drops after unlocking.
 */
static struct mm_struct *switch_mm_irqs_off(struct cpu *cpu,
					    struct mm_struct *next)
{
	struct mm_struct *prev = cpu->loaded_mm;

	if (prev == next)
		return NULL;
	if (next) {
		mmgrab(next);
		sched_point(SP_ATOMIC, &next->cpu_bitmap);
		__atomic_fetch_or(&next->cpu_bitmap, 1UL << cpu->id,
				  __ATOMIC_ACQ_REL);
	}
	local_flush_tlb_all(cpu); /* CR3 write, no PCID */
	cpu->loaded_mm = next;
	if (prev) {
		sched_point(SP_ATOMIC, &prev->cpu_bitmap);
		__atomic_fetch_and(&prev->cpu_bitmap, ~(1UL << cpu->id),
				   __ATOMIC_ACQ_REL);
	}
	return prev;
}

/* switch_mm() with the lock taken here; @next may be NULL (idle) */
void switch_mm(struct cpu *cpu, struct mm_struct *next)
{
	struct mm_struct *prev;

	spin_lock(&cpu->tlb_lock);
	prev = switch_mm_irqs_off(cpu, next);
	spin_unlock(&cpu->tlb_lock);
	if (prev)
		mmdrop(prev);
}

/* the CPU runs no user task: it lets go of its mm */
void cpu_idle(struct cpu *cpu)
{
	switch_mm(cpu, NULL);
}

struct tlb_entry *tlb_lookup(struct cpu *cpu, struct mm_struct *mm,
			     unsigned long va)
{
	unsigned long vpn = va >> PAGE_SHIFT;
	int i;

	for (i = 0; i < TLB_ENTRIES; i++) {
		struct tlb_entry *e = &cpu->tlb[i];

		if (e->mm_id == mm->id && e->vpn == vpn)
			return e;
	}
	return NULL;
}

/* insert or replace (FIFO) the entry for e->vpn */
void tlb_fill(struct cpu *cpu, const struct tlb_entry *e)
{
	struct tlb_entry *slot = NULL;
	int i;

	for (i = 0; i < TLB_ENTRIES; i++)
		if (cpu->tlb[i].mm_id == e->mm_id && cpu->tlb[i].vpn == e->vpn)
			slot = &cpu->tlb[i];
	if (!slot) {
		slot = &cpu->tlb[cpu->tlb_next];
		cpu->tlb_next = (cpu->tlb_next + 1) % TLB_ENTRIES;
	}
	*slot = *e;
}

static const char *agent_name(struct world *w, int id)
{
	if (id < 0 || id >= w->nr_agents || !w->agents[id])
		return "(no agent)";
	return w->agents[id]->name;
}

/**
 * check_stale_translation - a TLB entry is about to be used
 * @cpu: the CPU
 * @e: its entry
 * @va: the address accessed
 * @write: a write access
 *
 * The frame the entry names must not have been freed since the entry was
 * filled: if its generation moved, the access is a use-after-free through
 * the TLB, reported once per entry as "stale-tlb".
 */
void check_stale_translation(struct cpu *cpu, struct tlb_entry *e,
			     unsigned long va, bool write)
{
	struct mm_world *mmw = cpu->mmw;
	struct world *w = mmw->w;
	struct page *page = pfn_to_page(mmw->pm, e->pfn);
	unsigned long gen = page_generation(page);

	if (gen == e->gen || e->reported)
		return;
	e->reported = true;
	report_add(
		w, "stale-tlb",
		"CPU%d: %s %s va %#lx through a stale TLB entry (mm %d): pfn %#lx was cached at step %lu by %s with generation %lu, but the frame has been freed since (generation %lu, now %s)\n",
		cpu->id, current ? current->name : "(no agent)",
		write ? "wrote" : "read", va, e->mm_id, e->pfn, e->fill_step,
		agent_name(w, e->fill_agent), e->gen, gen,
		page_state_name(page_state(page)));
}

/* the IPI handler on @cpu: drop @mm's entries in [start, end) */
static void flush_tlb_func(struct cpu *cpu, struct mm_struct *mm,
			   unsigned long start, unsigned long end)
{
	unsigned long svpn = start >> PAGE_SHIFT;
	unsigned long evpn = end >> PAGE_SHIFT;
	bool all = end == TLB_FLUSH_ALL;
	int i;

	spin_lock(&cpu->tlb_lock);
	for (i = 0; i < TLB_ENTRIES; i++) {
		struct tlb_entry *e = &cpu->tlb[i];

		if (e->mm_id != mm->id)
			continue;
		if (all || (e->vpn >= svpn && e->vpn < evpn))
			tlb_invalidate_entry(e);
	}
	cpu->nr_flushes++;
	spin_unlock(&cpu->tlb_lock);
	trace_event_cpu(cpu->mmw->w, cpu->id, "tlb flush mm %d [%#lx, %#lx)",
			mm->id, start, end);
}

/**
 * flush_tlb_mm_range - shoot down @mm's translations of [start, end)
 * @mm: the address space
 * @start: first address
 * @end: end of the range, or TLB_FLUSH_ALL
 * @stride_shift: log2 of the page size the range was mapped with
 * @freed_tables: page-table pages were freed (no paging-structure caches
 *	here, so it changes nothing)
 *
 * Every CPU in mm_cpumask(mm) is flushed, one after the other, before
 * this returns.  A range longer than TLB_SINGLE_PAGE_FLUSH_CEILING pages
 * becomes a full flush of the mm, as on x86.
 */
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			unsigned long end, unsigned int stride_shift,
			bool freed_tables)
{
	struct mm_world *mmw = mm->mmw;
	unsigned long mask;
	int i;

	if (end != TLB_FLUSH_ALL &&
	    (end - start) >> stride_shift > TLB_SINGLE_PAGE_FLUSH_CEILING) {
		start = 0;
		end = TLB_FLUSH_ALL;
	}
	sched_point(SP_MEM, &mm->cpu_bitmap);
	mask = mm_cpumask(mm);
	trace_eventf(mmw->w, "flush_tlb_mm_range mm %d [%#lx, %#lx) cpus %#lx",
		     mm->id, start, end, mask);
	for (i = 0; i < mmw->nr_cpus; i++)
		if (mask & (1UL << i))
			flush_tlb_func(&mmw->cpus[i], mm, start, end);
	/* 6.6+: secondary TLBs sharing the page tables go with the CPU's */
	if (policy_enum(mmw->w, KNOB_NOTIFIER_SECONDARY_TLB_FLUSH) ==
	    SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH)
		mmu_notifier_arch_invalidate_secondary_tlbs(
			mm->notifier_subscriptions, start, end);
}

void flush_tlb_page(struct vm_area_struct *vma, unsigned long addr)
{
	addr &= PAGE_MASK;
	flush_tlb_mm_range(vma->vm_mm, addr, addr + PAGE_SIZE, PAGE_SHIFT,
			   false);
}

void flush_tlb_range(struct vm_area_struct *vma, unsigned long start,
		     unsigned long end)
{
	flush_tlb_mm_range(vma->vm_mm, start, end, PAGE_SHIFT, false);
}

void flush_tlb_mm(struct mm_struct *mm)
{
	flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL, 0, false);
}

/**
 * arch_tlbbatch_flush - flush the whole TLB of every CPU in @cpumask
 * @mmw: the world's mm state
 * @cpumask: the CPUs reclaim's batch recorded
 *
 * x86 sends one IPI to the batch's CPUs and each flushes everything
 * (reclaim does not track which mms or addresses it cleared).
 */
void arch_tlbbatch_flush(struct mm_world *mmw, unsigned long cpumask)
{
	int i;

	trace_eventf(mmw->w, "arch_tlbbatch_flush cpus %#lx", cpumask);
	for (i = 0; i < mmw->nr_cpus; i++) {
		struct cpu *cpu = &mmw->cpus[i];

		if (!(cpumask & (1UL << i)))
			continue;
		spin_lock(&cpu->tlb_lock);
		local_flush_tlb_all(cpu);
		cpu->nr_flushes++;
		spin_unlock(&cpu->tlb_lock);
	}
}
