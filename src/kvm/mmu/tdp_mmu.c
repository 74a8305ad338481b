// SPDX-License-Identifier: MIT
/*
 * The TDP MMU: models arch/x86/kvm/mmu/tdp_mmu.c.
 *
 * What is modeled, with Linux's names:
 *  - page-table pages (struct kvm_mmu_page) allocated by the fault path
 *    and linked with a cmpxchg under mmu_lock held for read; a table
 *    unlinked by a zap is torn down by handle_removed_pt() (its entries
 *    frozen with xchg when mmu_lock is shared) and freed by an RCU
 *    callback (tdp_mmu_free_sp_rcu_callback), as lockless walkers may
 *    still be reading it;
 *  - tdp_mmu_set_spte() (mmu_lock held for write) and
 *    tdp_mmu_set_spte_atomic() (held for read: cmpxchg, fails on a
 *    frozen SPTE), both followed by handle_changed_spte();
 *  - the 2021 zap of a gfn range (__kvm_tdp_mmu_zap_gfn_range: zaps the
 *    highest SPTE entirely inside the range, non-leaf or leaf), used by
 *    NX recovery through kvm_tdp_mmu_zap_sp() over the 2 MiB the table
 *    covers, and the newer leaf-only kvm_tdp_mmu_zap_leafs() used by the
 *    mmu_notifier; both yield through tdp_mmu_iter_cond_resched(), which
 *    yields only after the walk moved past where it last yielded
 *    (forward progress) and flushes what *this* walk zapped first;
 *  - kvm_tdp_mmu_map(), the fault path: walk down, link missing tables,
 *    account NX-disallowed ones on possible_nx_huge_pages, install the
 *    leaf with tdp_mmu_map_handle_target_level();
 *  - aging (clear the accessed bit) and write-protection for dirty
 *    logging.
 *
 * Simplifications: one root and one address space (no SMM); no
 * shadow paging, no huge-page splitting in place (the host has no 2 MiB
 * pages, see kvm_main.c), no access tracking, no MMIO SPTEs; a table's
 * struct lives in the world's arena and only its frame is freed (the
 * frame's generation is what the checker compares).  Emptied entries of
 * a removed table are frozen without a schedule point when they were
 * already empty (no walker can tell the difference).
 *
 * Checks made here:
 *  - "spte-pfn-change": a present leaf SPTE changed to another present
 *    leaf with a different pfn without being zapped first (the
 *    KVM_BUG_ON of handle_changed_spte);
 *  - "install-in-invalidation": a leaf installed while an invalidation
 *    covering its HVA is between invalidate_range_start and _end
 *    (mmu_notifier_check_install);
 *  - "pgtable-use-after-free" on every walk (tdp_iter.c);
 *  - "tdp-yield-pending-flush": mmu_lock dropped while SPTEs this agent
 *    zapped have not been flushed from the vCPU TLBs (kvm_check_yield).
 *
 * Lock order: kvm->mmu_lock (read or write) -> kvm->tdp_mmu_pages_lock
 * (the NX list, when mmu_lock is shared) -> vcpu->mode_lock (kicks);
 * walks run under rcu_read_lock() inside mmu_lock.
 */
#include <string.h>

#include "core/policy.h"
#include "core/rcu.h"
#include "core/trace.h"
#include "kvm/mmu/tdp_iter.h"

static struct kvm_mmu_page *tdp_mmu_alloc_sp(struct kvm *kvm, gfn_t gfn,
					     int level)
{
	struct page *frame = alloc_pages(kvm->mm->mmw->pm, __GFP_ZERO, 0);
	struct kvm_mmu_page *sp;

	if (!frame)
		return NULL;
	page_set_state(frame, PAGE_STATE_KERNEL);
	sp = arena_alloc(kvm->w, sizeof(*sp));
	memset(sp, 0, sizeof(*sp));
	sp->frame = frame;
	sp->gfn = gfn;
	sp->level = level;
	sp->kvm = kvm;
	INIT_LIST_HEAD(&sp->possible_nx_huge_page_link);
	kvm->sp_of_pfn[page_to_pfn(frame)] = sp;
	return sp;
}

/* a table that was never visible: free it now */
static void tdp_mmu_free_sp(struct kvm_mmu_page *sp)
{
	sp->freed = true;
	__free_pages(sp->frame, 0);
}

static void tdp_mmu_free_sp_rcu_callback(struct rcu_head *head)
{
	struct kvm_mmu_page *sp =
		container_of(head, struct kvm_mmu_page, rcu_head);

	tdp_mmu_free_sp(sp);
}

int kvm_tdp_mmu_init(struct kvm *kvm)
{
	kvm->root = tdp_mmu_alloc_sp(kvm, 0, TDP_ROOT_LEVEL);
	if (!kvm->root)
		return -ENOMEM;
	kvm->root->tdp_mmu_root_count = 1;
	return 0;
}

/* after every agent finished: zap everything, free what is left */
void kvm_tdp_mmu_destroy(struct kvm *kvm)
{
	struct kvm_mmu_page *root = kvm->root;

	if (!root)
		return;
	kvm_tdp_mmu_zap_all(kvm);
	if (current)
		rcu_barrier();
	else
		rcu_barrier_world(kvm->w);
	kvm->root = NULL;
	tdp_mmu_free_sp(root);
}

/* ---- the NX huge page list ---- */

static void track_possible_nx_huge_page(struct kvm *kvm,
					struct kvm_mmu_page *sp)
{
	if (sp->on_nx_list)
		return;
	sp->on_nx_list = true;
	list_add_tail(&sp->possible_nx_huge_page_link,
		      &kvm->possible_nx_huge_pages);
	kvm->nx_lpage_splits++;
}

static void untrack_possible_nx_huge_page(struct kvm *kvm,
					  struct kvm_mmu_page *sp)
{
	if (!sp->on_nx_list)
		return;
	sp->on_nx_list = false;
	list_del_init(&sp->possible_nx_huge_page_link);
	kvm->nx_lpage_splits--;
}

static void tdp_mmu_unlink_sp(struct kvm *kvm, struct kvm_mmu_page *sp,
			      bool shared)
{
	if (shared)
		spin_lock(&kvm->tdp_mmu_pages_lock);
	untrack_possible_nx_huge_page(kvm, sp);
	if (shared)
		spin_unlock(&kvm->tdp_mmu_pages_lock);
}

/* ---- changing SPTEs ---- */

static void handle_changed_spte(struct kvm *kvm, gfn_t gfn, uint64_t old_spte,
				uint64_t new_spte, int level, bool shared);

/*
 * handle_removed_pt - a table was unlinked: tear down its entries and
 * free it after a grace period.  With mmu_lock shared, another walker
 * may still write an entry of it, so each present entry is taken over
 * with xchg (frozen) before it is handled.
 */
static void handle_removed_pt(struct kvm *kvm, struct kvm_mmu_page *sp,
			      bool shared)
{
	int i;

	tdp_mmu_unlink_sp(kvm, sp, shared);
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		uint64_t *sptep = &sp->spt[i];
		gfn_t gfn = sp->gfn + i * KVM_PAGES_PER_HPAGE(sp->level);
		uint64_t old;

		if (!__atomic_load_n(sptep, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(sptep, FROZEN_SPTE, __ATOMIC_RELEASE);
			continue;
		}
		if (shared) {
			sched_point(SP_ATOMIC, sptep);
			old = __atomic_exchange_n(sptep, FROZEN_SPTE,
						  __ATOMIC_ACQ_REL);
		} else {
			old = __atomic_load_n(sptep, __ATOMIC_ACQUIRE);
			WRITE_ONCE(*sptep, FROZEN_SPTE);
		}
		if (!is_shadow_present_pte(old))
			continue;
		handle_changed_spte(kvm, gfn, old, FROZEN_SPTE, sp->level,
				    shared);
	}
	call_rcu(&sp->rcu_head, tdp_mmu_free_sp_rcu_callback);
}

static void handle_changed_spte(struct kvm *kvm, gfn_t gfn, uint64_t old_spte,
				uint64_t new_spte, int level, bool shared)
{
	bool was_present = is_shadow_present_pte(old_spte);
	bool is_present = is_shadow_present_pte(new_spte);
	bool was_leaf = was_present && is_last_spte(old_spte, level);
	bool is_leaf = is_present && is_last_spte(new_spte, level);

	if (old_spte == new_spte)
		return;
	if (was_leaf && is_leaf &&
	    spte_to_pfn(old_spte) != spte_to_pfn(new_spte)) {
		report_add(
			kvm->w, "spte-pfn-change",
			"KVM: %s changed the present leaf SPTE of gfn %#lx (level %d) from pfn %#lx to pfn %#lx without zapping it first (handle_changed_spte's KVM_BUG_ON): vCPU TLBs may keep the old translation\n",
			current ? current->name : "(no agent)", gfn, level,
			spte_to_pfn(old_spte), spte_to_pfn(new_spte));
		return;
	}
	/* a translation went away or lost permissions: TLBs must hear */
	if (was_leaf && (!is_leaf || (is_writable_pte(old_spte) &&
				      !is_writable_pte(new_spte)))) {
		kvm_note_zap(kvm, gfn, level);
		kvm->nr_zapped++;
	}
	if (was_present && !was_leaf && (!is_present || is_leaf))
		handle_removed_pt(kvm, spte_to_child_sp(kvm, old_spte, level),
				  shared);
}

/* mmu_lock held for write: nothing else changes SPTEs */
static void tdp_mmu_set_spte(struct kvm *kvm, struct tdp_iter *iter,
			     uint64_t new_spte)
{
	uint64_t old = iter->old_spte;

	WRITE_ONCE(*iter->sptep, new_spte);
	iter->old_spte = new_spte;
	handle_changed_spte(kvm, iter->gfn, old, new_spte, iter->level, false);
}

/*
 * mmu_lock held for read: cmpxchg against what the walk saw; -EBUSY
 * (iter->old_spte refreshed) when another walker got there first or
 * the entry is frozen.  A zap freezes the entry while the change is
 * handled, so no walker can build under it meanwhile.
 */
static int tdp_mmu_set_spte_atomic(struct kvm *kvm, struct tdp_iter *iter,
				   uint64_t new_spte)
{
	uint64_t old = iter->old_spte;
	bool zap = !is_shadow_present_pte(new_spte);

	if (is_frozen_spte(old))
		return -EBUSY;
	sched_point(SP_ATOMIC, iter->sptep);
	if (!__atomic_compare_exchange_n(iter->sptep, &iter->old_spte,
					 zap ? FROZEN_SPTE : new_spte, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -EBUSY;
	handle_changed_spte(kvm, iter->gfn, old, new_spte, iter->level, true);
	if (zap)
		WRITE_ONCE(*iter->sptep, new_spte);
	iter->old_spte = new_spte;
	return 0;
}

/* ---- yielding ---- */

static void cond_resched_rwlock(struct kvm *kvm, bool shared)
{
	if (shared) {
		read_unlock(&kvm->mmu_lock);
		cond_resched();
		read_lock(&kvm->mmu_lock);
	} else {
		write_unlock(&kvm->mmu_lock);
		cond_resched();
		write_lock(&kvm->mmu_lock);
	}
}

/*
 * tdp_mmu_iter_cond_resched - yield mmu_lock if someone wants the CPU
 * @flush: this walk zapped SPTEs that are not flushed yet
 *
 * Yields only once the walk has moved past where it started or last
 * yielded: otherwise a contended lock could restart the walk at the
 * same gfn for ever.  What *this* walk zapped is flushed first; a
 * flush the caller accumulated before calling the walk is not known
 * here, which is why NX recovery must not let this yield (the 2021
 * thread).  Returns true if it yielded (the walk restarts).
 */
static bool tdp_mmu_iter_cond_resched(struct kvm *kvm, struct tdp_iter *iter,
				      bool flush, bool shared)
{
	if (iter->next_last_level_gfn == iter->yielded_gfn)
		return false;
	if (!kvm_need_resched(kvm))
		return false;
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	rcu_read_unlock();
	kvm_check_yield(kvm, "tdp_mmu_iter_cond_resched");
	trace_eventf(kvm->w, "kvm: tdp walk yields mmu_lock at gfn %#lx%s",
		     iter->next_last_level_gfn, shared ? " (read)" : "");
	kvm->nr_yields++;
	cond_resched_rwlock(kvm, shared);
	kvm_resched_mark(kvm);
	rcu_read_lock();
	iter->yielded = true;
	return true;
}

/* ---- zapping ---- */

/*
 * __kvm_tdp_mmu_zap_gfn_range - the 2021 zap_gfn_range(): zap the
 * highest SPTE lying wholly inside [start, end), leaf or not
 * @shared: mmu_lock is held for read (tdp.zap_mmu_lock=read): changes
 *	are cmpxchg'd, the flush is still left to the caller
 *
 * Returns whether the caller must flush.
 */
bool __kvm_tdp_mmu_zap_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end,
				 bool can_yield, bool flush, bool shared)
{
	struct kvm_mmu_page *root = kvm->root;
	struct tdp_iter iter;

	if (!root)
		return flush;
	rcu_read_lock();
	tdp_root_for_each_pte(iter, kvm, root, start, end)
	{
retry:
		if (can_yield &&
		    tdp_mmu_iter_cond_resched(kvm, &iter, flush, shared)) {
			flush = false;
			continue;
		}
		if (!is_shadow_present_pte(iter.old_spte))
			continue;
		if ((iter.gfn < start ||
		     iter.gfn + KVM_PAGES_PER_HPAGE(iter.level) > end) &&
		    !is_last_spte(iter.old_spte, iter.level))
			continue;
		if (!shared) {
			tdp_mmu_set_spte(kvm, &iter, 0);
		} else if (tdp_mmu_set_spte_atomic(kvm, &iter, 0)) {
			if (!iter.valid)
				break;
			goto retry;
		}
		flush = true;
	}
	rcu_read_unlock();
	return flush;
}

/* zap only leaf SPTEs in [start, end): the notifier's and memslots' zap */
bool kvm_tdp_mmu_zap_leafs(struct kvm *kvm, gfn_t start, gfn_t end,
			   bool can_yield, bool flush, bool shared)
{
	struct kvm_mmu_page *root = kvm->root;
	struct tdp_iter iter;

	if (!root)
		return flush;
	rcu_read_lock();
	tdp_root_for_each_pte(iter, kvm, root, start, end)
	{
retry:
		if (can_yield &&
		    tdp_mmu_iter_cond_resched(kvm, &iter, flush, shared)) {
			flush = false;
			continue;
		}
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level))
			continue;
		if (!shared) {
			tdp_mmu_set_spte(kvm, &iter, 0);
		} else if (tdp_mmu_set_spte_atomic(kvm, &iter, 0)) {
			if (!iter.valid)
				break;
			goto retry;
		}
		flush = true;
	}
	rcu_read_unlock();
	return flush;
}

/*
 * kvm_tdp_mmu_zap_sp - zap the 2 MiB an NX-split table covers (the
 * form the 2021 thread argues about: a range zap, with yielding
 * allowed or not by tdp.nx_recovery_can_yield).  Returns whether the
 * caller must flush.
 */
bool kvm_tdp_mmu_zap_sp(struct kvm *kvm, struct kvm_mmu_page *sp, bool shared)
{
	gfn_t end = sp->gfn + KVM_PAGES_PER_HPAGE(sp->level + 1);

	return __kvm_tdp_mmu_zap_gfn_range(
		kvm, sp->gfn, end,
		policy_bool(kvm->w, KNOB_TDP_NX_RECOVERY_CAN_YIELD), false,
		shared);
}

/*
 * kvm_tdp_mmu_zap_possible_nx_huge_page - zap the SPTE linking @sp, and
 * (mmu_lock shared) only while it still points at @sp: another walker
 * may have zapped or replaced it.  No walk, so no yield.  Returns
 * whether the caller must flush.
 */
bool kvm_tdp_mmu_zap_possible_nx_huge_page(struct kvm *kvm,
					   struct kvm_mmu_page *sp, bool shared)
{
	struct tdp_iter iter = {
		.kvm = kvm,
		.sptep = sp->ptep,
		.level = sp->level + 1,
		.gfn = sp->gfn,
		.valid = true,
	};

	if (!sp->ptep)
		return false;
	iter.old_spte = READ_ONCE(*sp->ptep);
	if (spte_to_child_sp(kvm, iter.old_spte, iter.level) != sp)
		return false;
	if (!shared) {
		tdp_mmu_set_spte(kvm, &iter, 0);
		return true;
	}
	return !tdp_mmu_set_spte_atomic(kvm, &iter, 0);
}

void kvm_tdp_mmu_zap_all(struct kvm *kvm)
{
	bool flush;

	write_lock(&kvm->mmu_lock);
	rcu_read_lock();
	flush = __kvm_tdp_mmu_zap_gfn_range(kvm, 0, 1ul << 36, false, false,
					    false);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	rcu_read_unlock();
	write_unlock(&kvm->mmu_lock);
}

/* ---- the fault path ---- */

static void disallowed_hugepage_adjust(struct kvm_page_fault *fault,
				       struct kvm *kvm, uint64_t spte,
				       int level)
{
	struct kvm_mmu_page *child;

	if (level <= PG_LEVEL_4K || level != fault->goal_level ||
	    !is_shadow_present_pte(spte) || is_large_pte(spte))
		return;
	child = spte_to_child_sp(kvm, spte, level);
	if (child && child->nx_huge_page_disallowed)
		fault->goal_level--;
}

static int tdp_mmu_map_handle_target_level(struct kvm_vcpu *vcpu,
					   struct kvm_page_fault *fault,
					   struct tdp_iter *iter)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_mmu_page *sp = iter->pt_path[iter->level - 1];
	unsigned idx = spte_index(iter->gfn, iter->level);
	unsigned long hva = gfn_to_hva_memslot(fault->slot, fault->gfn);
	unsigned long old_gen = sp->spt_gen[idx];
	uint64_t new_spte;

	new_spte = SPTE_MMU_PRESENT_MASK | SPTE_READABLE | SPTE_EXECUTABLE |
		   SPTE_ACCESSED | ((uint64_t)fault->pfn << 12);
	if (fault->map_writable && fault->write)
		new_spte |= SPTE_WRITABLE | SPTE_DIRTY;
	if (iter->level > PG_LEVEL_4K)
		new_spte |= SPTE_LARGE;
	if (new_spte == iter->old_spte)
		return RET_PF_SPURIOUS;
	/* the bracket rule: no new translation inside an invalidation */
	mmu_notifier_check_install(kvm->mm->notifier_subscriptions, hva,
				   hva + PAGE_SIZE);
	sp->spt_gen[idx] = fault->pfn_gen;
	if (tdp_mmu_set_spte_atomic(kvm, iter, new_spte)) {
		sp->spt_gen[idx] = old_gen;
		return RET_PF_RETRY;
	}
	if (fault->write && (fault->slot->flags & KVM_MEM_LOG_DIRTY_PAGES))
		mark_page_dirty_in_slot(kvm, fault->slot, fault->gfn);
	trace_eventf(kvm->w, "kvm: vcpu%d maps gfn %#lx -> pfn %#lx%s",
		     vcpu->vcpu_id, fault->gfn, fault->pfn,
		     (new_spte & SPTE_WRITABLE) ? " rw" : " ro");
	return RET_PF_FIXED;
}

/*
 * kvm_tdp_mmu_map - install the SPTE for @fault; mmu_lock held for
 * read.  RET_PF_FIXED, RET_PF_SPURIOUS or RET_PF_RETRY.
 */
int kvm_tdp_mmu_map(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_mmu_page *root = kvm->root;
	struct tdp_iter iter;
	int ret = RET_PF_RETRY;

	if (!root)
		return RET_PF_RETRY;
	rcu_read_lock();
	tdp_root_for_each_pte(iter, kvm, root, fault->gfn, fault->gfn + 1)
	{
		struct kvm_mmu_page *sp;

		if (kvm->nx_huge_pages)
			disallowed_hugepage_adjust(fault, kvm, iter.old_spte,
						   iter.level);
		if (iter.level == fault->goal_level)
			break;
		if (is_shadow_present_pte(iter.old_spte) &&
		    !is_large_pte(iter.old_spte))
			continue;
		/* frozen: someone is tearing it down; a huge leaf: no split */
		if (is_frozen_spte(iter.old_spte) ||
		    is_shadow_present_pte(iter.old_spte))
			goto out;
		sp = tdp_mmu_alloc_sp(kvm, iter.gfn, iter.level - 1);
		if (!sp)
			goto out;
		sp->nx_huge_page_disallowed = fault->huge_page_disallowed;
		sp->ptep = iter.sptep;
		if (tdp_mmu_set_spte_atomic(
			    kvm, &iter,
			    make_nonleaf_spte(page_to_pfn(sp->frame)))) {
			tdp_mmu_free_sp(sp);
			goto out;
		}
		if (fault->huge_page_disallowed &&
		    fault->req_level >= iter.level) {
			spin_lock(&kvm->tdp_mmu_pages_lock);
			track_possible_nx_huge_page(kvm, sp);
			spin_unlock(&kvm->tdp_mmu_pages_lock);
		}
	}
	if (iter.valid && iter.level == fault->goal_level)
		ret = tdp_mmu_map_handle_target_level(vcpu, fault, &iter);
out:
	rcu_read_unlock();
	return ret;
}

/* ---- the vCPU's hardware walk ---- */

/*
 * The walk the CPU makes on a TLB miss in guest mode: no lock, each
 * level read once; sets the accessed bit of the leaf as hardware does.
 * Returns the leaf SPTE (0: EPT violation) with its fault-time
 * generation in *gen and the root it went through in *rootp.
 */
uint64_t kvm_tdp_mmu_walk_hw(struct kvm_vcpu *vcpu, gfn_t gfn,
			     unsigned long *gen, struct kvm_mmu_page **rootp)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_mmu_page *sp = READ_ONCE(kvm->root);
	int level;

	*rootp = sp;
	if (!sp)
		return 0;
	for (level = TDP_ROOT_LEVEL;; level--) {
		unsigned long tgen = page_generation(sp->frame);
		unsigned idx = spte_index(gfn, level);
		uint64_t spte = READ_ONCE(sp->spt[idx]);

		if (tgen != page_generation(sp->frame) || sp->freed) {
			report_add(
				kvm->w, "pgtable-use-after-free",
				"KVM: vCPU%d (%s): the hardware walk of gfn %#lx read a freed TDP table at level %d\n",
				vcpu->vcpu_id,
				current ? current->name : "(no agent)", gfn,
				level);
			return 0;
		}
		if (!is_shadow_present_pte(spte))
			return 0;
		if (is_last_spte(spte, level)) {
			*gen = sp->spt_gen[idx];
			if (!(spte & SPTE_ACCESSED)) {
				sched_point(SP_ATOMIC, &sp->spt[idx]);
				__atomic_fetch_or(&sp->spt[idx], SPTE_ACCESSED,
						  __ATOMIC_ACQ_REL);
			}
			return spte;
		}
		sp = spte_to_child_sp(kvm, spte, level);
		if (!sp)
			return 0;
	}
}

/* ---- aging and write-protection ---- */

bool kvm_tdp_mmu_age_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end,
			       bool clear)
{
	struct tdp_iter iter;
	bool young = false;

	if (!kvm->root)
		return false;
	rcu_read_lock();
	tdp_root_for_each_pte(iter, kvm, kvm->root, start, end)
	{
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level) ||
		    !(iter.old_spte & SPTE_ACCESSED))
			continue;
		young = true;
		if (clear) {
			sched_point(SP_ATOMIC, iter.sptep);
			__atomic_fetch_and(iter.sptep, ~SPTE_ACCESSED,
					   __ATOMIC_ACQ_REL);
		}
	}
	rcu_read_unlock();
	return young;
}

bool kvm_tdp_mmu_wrprot_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end)
{
	struct tdp_iter iter;
	bool flush = false;

	if (!kvm->root)
		return false;
	rcu_read_lock();
	tdp_root_for_each_pte(iter, kvm, kvm->root, start, end)
	{
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level) ||
		    !is_writable_pte(iter.old_spte))
			continue;
		tdp_mmu_set_spte(kvm, &iter,
				 iter.old_spte & ~(SPTE_WRITABLE | SPTE_DIRTY));
		flush = true;
	}
	rcu_read_unlock();
	return flush;
}

static unsigned long count_present(struct kvm *kvm, struct kvm_mmu_page *sp)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		uint64_t s = sp->spt[i];
		struct kvm_mmu_page *c;

		if (!is_shadow_present_pte(s))
			continue;
		c = spte_to_child_sp(kvm, s, sp->level);
		n += c ? count_present(kvm, c) : 1;
	}
	return n;
}

unsigned long kvm_tdp_mmu_nr_present(struct kvm *kvm)
{
	return kvm->root ? count_present(kvm, kvm->root) : 0;
}
