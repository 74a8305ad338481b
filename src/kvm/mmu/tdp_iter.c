// SPDX-License-Identifier: MIT
/*
 * The TDP iterator: models arch/x86/kvm/mmu/tdp_iter.c.
 *
 * A walk steps down into a present non-leaf SPTE, else sideways to the
 * next entry of its table, else up; stepping sideways moves
 * next_last_level_gfn, which is what tdp_mmu_iter_cond_resched() calls
 * forward progress.  try_step_down() reads the SPTE again before it
 * follows it, as Linux does, so a walk that holds mmu_lock for read may
 * enter a table that appeared after it looked at the entry.
 *
 * Every SPTE load is a schedule point.  The walk runs under
 * rcu_read_lock(); the generation of each table's frame is noted when
 * the walk enters it, and a later read of a table whose frame has been
 * freed since is reported as "pgtable-use-after-free" (the walk is
 * then cut short: the iterator becomes invalid).
 *
 * Simplification: one address space, one root per walk, no
 * min_level other than 4K for the walks the model makes.
 */
#include "kvm/mmu/tdp_iter.h"

static gfn_t round_gfn_for_level(gfn_t gfn, int level)
{
	return gfn & ~(KVM_PAGES_PER_HPAGE(level) - 1);
}

struct kvm_mmu_page *spte_to_child_sp(struct kvm *kvm, uint64_t spte, int level)
{
	unsigned long pfn;

	if (!is_shadow_present_pte(spte) || is_last_spte(spte, level))
		return NULL;
	pfn = spte_to_pfn(spte);
	return pfn < kvm->nr_frames ? kvm->sp_of_pfn[pfn] : NULL;
}

uint64_t tdp_iter_read_spte(struct tdp_iter *iter)
{
	struct kvm_mmu_page *sp = iter->pt_path[iter->level - 1];
	uint64_t v = READ_ONCE(*iter->sptep);

	if (page_generation(sp->frame) != iter->pt_gen[iter->level - 1]) {
		report_add(
			iter->kvm->w, "pgtable-use-after-free",
			"KVM: %s: a TDP walk read gfn %#lx's level-%d entry in a table that was freed after the walk entered it (table gfn %#lx)\n",
			current ? current->name : "(no agent)", iter->gfn,
			iter->level, sp->gfn);
		iter->valid = false;
		return 0;
	}
	return v;
}

static void tdp_iter_refresh_sptep(struct tdp_iter *iter)
{
	struct kvm_mmu_page *sp = iter->pt_path[iter->level - 1];

	iter->sptep = &sp->spt[spte_index(iter->gfn, iter->level)];
	iter->old_spte = tdp_iter_read_spte(iter);
}

void tdp_iter_restart(struct tdp_iter *iter)
{
	iter->yielded = false;
	iter->yielded_gfn = iter->next_last_level_gfn;
	iter->level = iter->root_level;
	iter->gfn = round_gfn_for_level(iter->next_last_level_gfn, iter->level);
	iter->valid = true;
	/* the root may have been freed while the walk yielded */
	iter->pt_gen[iter->level - 1] =
		page_generation(iter->pt_path[iter->level - 1]->frame);
	tdp_iter_refresh_sptep(iter);
}

void tdp_iter_start(struct tdp_iter *iter, struct kvm *kvm,
		    struct kvm_mmu_page *root, int min_level, gfn_t gfn)
{
	iter->kvm = kvm;
	iter->next_last_level_gfn = gfn;
	iter->root_level = root->level;
	iter->min_level = min_level;
	iter->pt_path[iter->root_level - 1] = root;
	tdp_iter_restart(iter);
}

static bool try_step_down(struct tdp_iter *iter)
{
	struct kvm_mmu_page *child;

	if (iter->level == iter->min_level)
		return false;
	/* look again: the entry may have changed since the loop body read it */
	iter->old_spte = tdp_iter_read_spte(iter);
	if (!iter->valid)
		return false;
	child = spte_to_child_sp(iter->kvm, iter->old_spte, iter->level);
	if (!child)
		return false;
	iter->level--;
	iter->pt_path[iter->level - 1] = child;
	iter->pt_gen[iter->level - 1] = page_generation(child->frame);
	if (PageBuddy(child->frame) || child->freed)
		report_add(
			iter->kvm->w, "pgtable-use-after-free",
			"KVM: %s: a TDP walk followed a present SPTE to a freed table (gfn %#lx, level %d)\n",
			current ? current->name : "(no agent)", iter->gfn,
			iter->level);
	iter->gfn = round_gfn_for_level(iter->next_last_level_gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

static bool try_step_side(struct tdp_iter *iter)
{
	if (spte_index(iter->gfn, iter->level) == SPTE_ENT_PER_PAGE - 1)
		return false;
	iter->gfn += KVM_PAGES_PER_HPAGE(iter->level);
	iter->next_last_level_gfn = iter->gfn;
	iter->sptep++;
	iter->old_spte = tdp_iter_read_spte(iter);
	return true;
}

static bool try_step_up(struct tdp_iter *iter)
{
	if (iter->level == iter->root_level)
		return false;
	iter->level++;
	iter->gfn = round_gfn_for_level(iter->gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

void tdp_iter_next(struct tdp_iter *iter)
{
	if (iter->yielded) {
		tdp_iter_restart(iter);
		return;
	}
	if (!iter->valid)
		return;
	if (try_step_down(iter) || !iter->valid)
		return;
	do {
		if (try_step_side(iter))
			return;
	} while (try_step_up(iter) && iter->valid);
	iter->valid = false;
}
