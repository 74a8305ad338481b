/* SPDX-License-Identifier: MIT */
/*
 * The checker over the primary MMU.
 *
 * mm_check_quiescent() runs at a quiescent point (every agent finished,
 * from a model's check function): nothing may be in flight, so each
 * invariant must hold exactly.  check_missed_dirty() runs on every CPU
 * write (fault.c).  Violations are world reports.
 */
#ifndef SECMMU_CHECK_CHECK_H
#define SECMMU_CHECK_CHECK_H

#include "mm/mm_types.h"

unsigned long mm_check_quiescent(struct mm_world *mmw);
void check_missed_dirty(struct cpu *cpu, struct tlb_entry *e, unsigned long va);

#endif
