/* SPDX-License-Identifier: MIT */
/*
 * The TDP iterator: a pre-order walk over the SPTEs that map
 * [start, end), models arch/x86/kvm/mmu/tdp_iter.[ch] (see tdp_iter.c).
 */
#ifndef SECMMU_KVM_MMU_TDP_ITER_H
#define SECMMU_KVM_MMU_TDP_ITER_H

#include "kvm/kvm_host.h"

/**
 * struct tdp_iter - where a walk is
 * @next_last_level_gfn: the gfn the walk goes to next at the lowest
 *	level; where a restart after a yield starts over
 * @yielded_gfn: @next_last_level_gfn when the walk started or last
 *	yielded: tdp_mmu_iter_cond_resched() yields only past it
 * @pt_path: the table entered at each level
 * @pt_gen: the generation of each entered table's frame at entry (the
 *	checker's: a freed table read later is reported)
 */
struct tdp_iter {
	gfn_t next_last_level_gfn;
	gfn_t yielded_gfn;
	struct kvm_mmu_page *pt_path[TDP_ROOT_LEVEL];
	unsigned long pt_gen[TDP_ROOT_LEVEL];
	uint64_t *sptep;
	gfn_t gfn;
	int root_level, min_level, level;
	uint64_t old_spte;
	bool valid;
	bool yielded;
	struct kvm *kvm;
};

void tdp_iter_start(struct tdp_iter *iter, struct kvm *kvm,
		    struct kvm_mmu_page *root, int min_level, gfn_t gfn);
void tdp_iter_next(struct tdp_iter *iter);
void tdp_iter_restart(struct tdp_iter *iter);
/* READ_ONCE of *iter->sptep, with the freed-table check */
uint64_t tdp_iter_read_spte(struct tdp_iter *iter);
/* the table a non-leaf SPTE at @level points to, or NULL */
struct kvm_mmu_page *spte_to_child_sp(struct kvm *kvm, uint64_t spte,
				      int level);

#define for_each_tdp_pte_min_level(iter, kvm, root, min_level, start, end) \
	for (tdp_iter_start(&iter, kvm, root, min_level, start);           \
	     iter.valid && iter.gfn < (end); tdp_iter_next(&iter))

#define tdp_root_for_each_pte(iter, kvm, root, start, end) \
	for_each_tdp_pte_min_level(iter, kvm, root, PG_LEVEL_4K, start, end)

#endif
