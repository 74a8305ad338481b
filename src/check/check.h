/* SPDX-License-Identifier: MIT */
/*
 * The checker's quiescent invariants over the primary MMU.
 *
 * Run at a quiescent point (every agent finished, from a model's check
 * function): nothing may be in flight, so each invariant must hold
 * exactly.  Violations are world reports.
 */
#ifndef SECMMU_CHECK_CHECK_H
#define SECMMU_CHECK_CHECK_H

#include "mm/mm_types.h"

unsigned long mm_check_quiescent(struct mm_world *mmw);

#endif
