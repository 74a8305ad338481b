/* SPDX-License-Identifier: MIT */
/*
 * CPUs, their TLBs, TLB shootdown and user memory accesses.
 *
 * Models arch/x86/include/asm/tlbflush.h and mmu_context.h (switch_mm,
 * flush_tlb_mm_range, flush_tlb_page, flush_tlb_mm), the hardware page
 * walker and arch/x86/mm/fault.c's entry (do_user_addr_fault).
 *
 * A "CPU task" helper API for agents: cpu_read()/cpu_write() perform one
 * 8-byte user access on a CPU in an mm, through its TLB, walking the page
 * tables on a miss and taking page faults as the hardware would.
 *
 * Lock order: see the top of memory.c (cpu_tlb is innermost of mm's).
 */
#ifndef SECMMU_MM_TLB_H
#define SECMMU_MM_TLB_H

#include "mm/mm_types.h"

#define TLB_FLUSH_ALL (~0UL)

/* flush_tlb_mm_range() flushes everything beyond this many pages */
#define TLB_SINGLE_PAGE_FLUSH_CEILING 33

void cpu_init(struct mm_world *mmw, struct cpu *cpu, int id);
void switch_mm(struct cpu *cpu, struct mm_struct *next);
void cpu_idle(struct cpu *cpu);

static inline unsigned long mm_cpumask(struct mm_struct *mm)
{
	return __atomic_load_n(&mm->cpu_bitmap, __ATOMIC_ACQUIRE);
}

void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			unsigned long end, unsigned int stride_shift,
			bool freed_tables);
void flush_tlb_page(struct vm_area_struct *vma, unsigned long addr);
void flush_tlb_mm(struct mm_struct *mm);
void flush_tlb_range(struct vm_area_struct *vma, unsigned long start,
		     unsigned long end);

/* under cpu->tlb_lock */
struct tlb_entry *tlb_lookup(struct cpu *cpu, struct mm_struct *mm,
			     unsigned long va);
void tlb_fill(struct cpu *cpu, const struct tlb_entry *e);
void tlb_invalidate_entry(struct tlb_entry *e);
void check_stale_translation(struct cpu *cpu, struct tlb_entry *e,
			     unsigned long va, bool write);

/* fault.c */
int cpu_access(struct cpu *cpu, struct mm_struct *mm, unsigned long va,
	       bool write, uint64_t *val);
int cpu_read(struct cpu *cpu, struct mm_struct *mm, unsigned long va,
	     uint64_t *val);
int cpu_write(struct cpu *cpu, struct mm_struct *mm, unsigned long va,
	      uint64_t val);
int do_user_addr_fault(struct cpu *cpu, struct mm_struct *mm,
		       unsigned long address, unsigned long error_code);

/* x86 page-fault error code bits */
#define X86_PF_PROT (1UL << 0)
#define X86_PF_WRITE (1UL << 1)
#define X86_PF_USER (1UL << 2)

#endif
