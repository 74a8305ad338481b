// SPDX-License-Identifier: MIT
/*
 * The x86 KVM MMU entry points the model needs: models parts of
 * arch/x86/kvm/mmu/mmu.c.
 *
 *  - kvm_mmu_page_fault() -> kvm_tdp_page_fault(): note
 *    mmu_invalidate_seq, fault the pfn in through the host mm
 *    (kvm_faultin_pfn -> hva_to_pfn in kvm_main.c) with no KVM lock
 *    held, then under read_lock(mmu_lock) give up if an invalidation
 *    touched the gfn since (is_page_fault_stale ->
 *    mmu_invalidate_retry_gfn; policy kvm.mmu_invalidate_retry) and
 *    map it with kvm_tdp_mmu_map(); drop the page reference last;
 *  - kvm_recover_nx_huge_pages(): the NX recovery worker's pass: zap
 *    DIV_ROUND_UP(nx_lpage_splits, ratio) NX-split tables, the flush
 *    accumulated across them and done before the loop yields and at the
 *    end (the 2021 loop, with "flush |=" from the follow-up fix);
 *    mmu_lock for write, or for read with tdp.zap_mmu_lock=read; each
 *    table zapped by its parent SPTE (today) or by a range zap (2021),
 *    policy tdp.nx_recovery_zap;
 *  - kvm_unmap_gfn_range() / kvm_age_gfn_range() for the notifier,
 *    kvm_zap_gfn_range(), the memslot flush and write-protection.
 *
 * Simplifications: the host mm has no 2 MiB pages, so the goal level
 * of every fault is 4K; a memslot flagged `huge` (the model's stand-in
 * for a host mapping 2 MiB-aligned and 2 MiB-backed) makes an
 * instruction fetch's request level 2M, so that with the NX huge page
 * mitigation on, the 4K table it builds is accounted as an NX split as
 * in Linux; a data access there still maps 4K (where Linux would map a
 * 2 MiB leaf).  Writes are mapped writable only by write faults.
 *
 * Lock order: see kvm_main.c.
 */
#include "core/policy.h"
#include "core/trace.h"
#include "kvm/kvm_host.h"

bool kvm_zap_lock_shared(struct kvm *kvm)
{
	return policy_enum(kvm->w, KNOB_TDP_ZAP_MMU_LOCK) == TDP_ZAP_LOCK_READ;
}

/*
 * need_resched() at the TDP MMU's yield points.  In Linux the flag is set
 * by a tick or a wakeup at any moment while mmu_lock is held, and stays
 * set until the task schedules; the two checks of NX recovery (the loop
 * and the walk) can therefore disagree.  Here a tick is the explorer's
 * decision to run another agent while this one is inside its section:
 * true once another agent has taken a step since this agent last
 * yielded or took mmu_lock, and another agent can run now.  Every
 * placement of the tick is thus explored with the preemptions, and the
 * answer is deterministic and replays.
 */
static unsigned long others_steps(void)
{
	return __atomic_load_n(&current->w->step, __ATOMIC_RELAXED) -
	       current->steps;
}

void kvm_resched_mark(struct kvm *kvm)
{
	if (current)
		kvm->resched_mark[current->id] = others_steps();
}

bool kvm_need_resched(struct kvm *kvm)
{
	if (!current)
		return false;
	if (!world_is_det(kvm->w))
		return need_resched();
	return others_steps() != kvm->resched_mark[current->id] &&
	       need_resched();
}

static void kvm_mmu_lock(struct kvm *kvm, bool shared)
{
	if (shared)
		read_lock(&kvm->mmu_lock);
	else
		write_lock(&kvm->mmu_lock);
	kvm_resched_mark(kvm);
}

static void kvm_mmu_unlock(struct kvm *kvm, bool shared)
{
	kvm_check_yield(kvm, shared ? "read_unlock(mmu_lock)" :
				      "write_unlock(mmu_lock)");
	if (shared)
		read_unlock(&kvm->mmu_lock);
	else
		write_unlock(&kvm->mmu_lock);
}

/* ---- the fault path ---- */

static bool is_page_fault_stale(struct kvm *kvm, struct kvm_page_fault *fault)
{
	if (!kvm->root || kvm->root->role_invalid)
		return true;
	if (!policy_bool(kvm->w, KNOB_KVM_MMU_INVALIDATE_RETRY))
		return false;
	return mmu_invalidate_retry_gfn(kvm, fault->mmu_seq, fault->gfn);
}

static int kvm_faultin_pfn(struct kvm *kvm, struct kvm_page_fault *fault)
{
	unsigned long hva = gfn_to_hva_memslot(fault->slot, fault->gfn);
	bool writable = false;
	int ret;

	/* pairs with the seq++ of kvm_mmu_invalidate_end */
	fault->mmu_seq = READ_ONCE(kvm->mmu_invalidate_seq);
	ret = kvm_hva_to_pfn(kvm, hva, fault->write, &fault->pfn, &writable);
	if (ret)
		return ret;
	fault->pfn_gen = phys_generation(kvm->mm->mmw->pm, fault->pfn);
	fault->map_writable = writable &&
			      !(fault->slot->flags & KVM_MEM_READONLY);
	return 0;
}

/* KVM_REQ... RET_PF_*; -EFAULT when the host fault failed */
int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, bool write, bool exec)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_page_fault fault = {
		.addr = gpa,
		.gfn = gpa >> PAGE_SHIFT,
		.write = write,
		.exec = exec,
		.req_level = PG_LEVEL_4K,
		.goal_level = PG_LEVEL_4K,
	};
	int ret;

	vcpu->nr_faults++;
	__atomic_add_fetch(&kvm->nr_faults, 1, __ATOMIC_RELAXED);
	fault.slot = gfn_to_memslot(kvm, fault.gfn);
	if (!fault.slot)
		return RET_PF_EMULATE; /* MMIO: no memslot */
	if (fault.slot->flags & KVM_MEMSLOT_INVALID)
		return RET_PF_RETRY;
	if (write && (fault.slot->flags & KVM_MEM_READONLY))
		return RET_PF_EMULATE;
	if (fault.slot->huge)
		fault.req_level = PG_LEVEL_2M;
	fault.huge_page_disallowed = exec && kvm->nx_huge_pages;
	ret = kvm_faultin_pfn(kvm, &fault);
	if (ret)
		return ret;

	read_lock(&kvm->mmu_lock);
	if (is_page_fault_stale(kvm, &fault)) {
		ret = RET_PF_RETRY;
		__atomic_add_fetch(&kvm->nr_fault_retries, 1, __ATOMIC_RELAXED);
	} else {
		ret = kvm_tdp_mmu_map(vcpu, &fault);
	}
	read_unlock(&kvm->mmu_lock);
	/* kvm_release_faultin_page: the SPTE holds no reference */
	put_page(pfn_to_page(kvm->mm->mmw->pm, fault.pfn));
	return ret;
}

/* ---- NX recovery ---- */

/**
 * kvm_recover_nx_huge_pages - one pass of the NX recovery worker
 *
 * Zaps DIV_ROUND_UP(nx_lpage_splits, ratio) tables from the front of
 * possible_nx_huge_pages.  The flush is accumulated across zaps and
 * done before the loop yields; whether kvm_tdp_mmu_zap_sp() may yield
 * in the middle is tdp.nx_recovery_can_yield, the lock taken
 * tdp.zap_mmu_lock.
 */
void kvm_recover_nx_huge_pages(struct kvm *kvm)
{
	bool shared = kvm_zap_lock_shared(kvm);
	unsigned long to_zap;
	bool flush = false;

	kvm_mmu_lock(kvm, shared);
	/*
	 * Zapped tables are freed by RCU callbacks and vCPUs may still walk
	 * them until the flush: the flush must come before the grace period
	 * can end, so the loop stays an RCU reader until it has flushed.
	 */
	rcu_read_lock();
	to_zap = kvm->nx_huge_pages_recovery_ratio ?
			 (kvm->nx_lpage_splits +
			  kvm->nx_huge_pages_recovery_ratio - 1) /
				 kvm->nx_huge_pages_recovery_ratio :
			 0;
	trace_eventf(kvm->w, "kvm: NX recovery zaps %lu of %lu split pages%s",
		     to_zap, kvm->nx_lpage_splits,
		     shared ? " (read lock)" : "");
	for (; to_zap; --to_zap) {
		struct kvm_mmu_page *sp = NULL;

		if (shared)
			spin_lock(&kvm->tdp_mmu_pages_lock);
		if (!list_empty(&kvm->possible_nx_huge_pages))
			sp = list_first_entry(&kvm->possible_nx_huge_pages,
					      struct kvm_mmu_page,
					      possible_nx_huge_page_link);
		if (shared)
			spin_unlock(&kvm->tdp_mmu_pages_lock);
		if (!sp)
			break;
		if (policy_enum(kvm->w, KNOB_TDP_NX_RECOVERY_ZAP) ==
		    TDP_NX_ZAP_RANGE)
			flush |= kvm_tdp_mmu_zap_sp(kvm, sp, shared);
		else
			flush |= kvm_tdp_mmu_zap_possible_nx_huge_page(kvm, sp,
								       shared);
		/* the table was not found where the walk looked: drop it */
		if (sp->on_nx_list) {
			if (shared)
				spin_lock(&kvm->tdp_mmu_pages_lock);
			if (sp->on_nx_list) {
				sp->on_nx_list = false;
				list_del_init(&sp->possible_nx_huge_page_link);
				kvm->nx_lpage_splits--;
			}
			if (shared)
				spin_unlock(&kvm->tdp_mmu_pages_lock);
		}
		if (kvm_need_resched(kvm)) {
			if (flush)
				kvm_flush_remote_tlbs(kvm);
			flush = false;
			rcu_read_unlock();
			kvm_mmu_unlock(kvm, shared);
			cond_resched();
			kvm_mmu_lock(kvm, shared);
			rcu_read_lock();
		}
	}
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	rcu_read_unlock();
	kvm_mmu_unlock(kvm, shared);
}

/* ---- zaps for the notifier, memslots and the rest ---- */

/* mmu_lock held for write (the notifier) */
bool kvm_unmap_gfn_range(struct kvm *kvm, struct kvm_memory_slot *slot,
			 gfn_t start, gfn_t end, bool may_block)
{
	(void)slot;
	return kvm_tdp_mmu_zap_leafs(kvm, start, end, may_block, false, false);
}

bool kvm_age_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end, bool clear)
{
	return kvm_tdp_mmu_age_gfn_range(kvm, start, end, clear);
}

/**
 * kvm_zap_gfn_range - zap [start, end) for KVM's own reasons (MTRR,
 * APICv, ...), with a flush of that range.  Takes mmu_lock for write,
 * or for read with tdp.zap_mmu_lock=read.
 */
void kvm_zap_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end)
{
	bool shared = kvm_zap_lock_shared(kvm);
	bool flush;

	kvm_mmu_lock(kvm, shared);
	rcu_read_lock(); /* freed tables outlive the flush, as above */
	flush = __kvm_tdp_mmu_zap_gfn_range(kvm, start, end, true, false,
					    shared);
	if (flush)
		kvm_flush_remote_tlbs_range(kvm, start, end - start);
	rcu_read_unlock();
	kvm_mmu_unlock(kvm, shared);
}

/* the slot is going away or moving: drop its translations */
void kvm_arch_flush_shadow_memslot(struct kvm *kvm,
				   struct kvm_memory_slot *slot)
{
	bool flush;

	write_lock(&kvm->mmu_lock);
	flush = kvm_tdp_mmu_zap_leafs(kvm, slot->base_gfn,
				      slot->base_gfn + slot->npages, true,
				      false, false);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	write_unlock(&kvm->mmu_lock);
}

/* dirty logging: write-protect [start, start + nr) of @slot and flush */
void kvm_mmu_slot_remove_write_access(struct kvm *kvm,
				      struct kvm_memory_slot *slot, gfn_t start,
				      unsigned long nr)
{
	bool flush;

	(void)slot;
	write_lock(&kvm->mmu_lock);
	flush = kvm_tdp_mmu_wrprot_gfn_range(kvm, start, start + nr);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	write_unlock(&kvm->mmu_lock);
}
