/* SPDX-License-Identifier: MIT */
/*
 * The checker over the primary MMU.
 *
 * mm_check_quiescent() runs at a quiescent point (every agent finished,
 * from a model's check function): nothing may be in flight, so each
 * invariant must hold exactly.  check_missed_dirty() runs on every CPU
 * write (fault.c), check_missed_dirty_secondary() on every SVA device
 * write (iommu.c).  Violations are world reports.
 */
#ifndef SECMMU_CHECK_CHECK_H
#define SECMMU_CHECK_CHECK_H

#include "mm/mm_types.h"

unsigned long mm_check_quiescent(struct mm_world *mmw);
void check_missed_dirty(struct cpu *cpu, struct tlb_entry *e, unsigned long va);
void check_missed_dirty_secondary(struct mm_struct *mm, unsigned long va,
				  unsigned long pfn, const char *who);
pte_t check_peek_pte(struct mm_world *mmw, struct mm_struct *mm,
		     unsigned long va);

#endif
