// SPDX-License-Identifier: MIT
/*
 * gfn=>pfn caches: models virt/kvm/pfncache.c.
 *
 * A cache translates one guest page to a host pfn for KVM's own
 * accesses (Xen shared info, steal time ...) without an SPTE and
 * without holding a page reference, so the mmu_notifier must invalidate
 * it: gfn_to_pfn_cache_invalidate_start() clears ->valid for caches
 * whose HVA the range hits, and is called from invalidate_range_start
 * *before* mmu_invalidate_in_progress is raised.  A refresh therefore
 * reads mmu_invalidate_seq, faults the pfn in with no lock held, and
 * installs it under gpc->lock only if no invalidation can have run
 * since: mmu_notifier_retry_cache().  Which test it makes is the policy
 * kvm.pfncache_retry: "active_count" (mn_active_invalidate_count, raised
 * before the caches are invalidated: 58cd407ca4c6, 2022) or
 * "in_progress" (mmu_invalidate_in_progress, as the 5.17 cache did:
 * an invalidation that has invalidated the caches but not yet raised
 * it is missed, and a stale pfn is installed).
 *
 * Simplifications: HVA-less (gpa) caches only, one page, no kernel
 * mapping (reads go to the frame), refresh_lock serialises refreshes
 * (93984f19e7bc); the cache drops its page reference once installed.
 *
 * Check: "stale-pfncache": a read through a valid cache whose frame was
 * freed since the refresh read its pfn.
 *
 * Lock order: gpc->refresh_lock -> mmap_lock (hva_to_pfn) ; then
 * gpc->lock.  The notifier: kvm->gpc_lock -> gpc->lock.
 */
#include <string.h>

#include "core/policy.h"
#include "core/trace.h"
#include "kvm/kvm_host.h"

void kvm_gpc_init(struct gfn_to_pfn_cache *gpc, struct kvm *kvm)
{
	memset(gpc, 0, sizeof(*gpc));
	gpc->kvm = kvm;
	rwlock_init(kvm->w, &gpc->lock, "gpc->lock");
	mutex_init(kvm->w, &gpc->refresh_lock, "gpc->refresh_lock");
	INIT_LIST_HEAD(&gpc->list);
}

static bool mmu_notifier_retry_cache(struct kvm *kvm, unsigned long mmu_seq)
{
	if (policy_enum(kvm->w, KNOB_KVM_PFNCACHE_RETRY) ==
	    PFNCACHE_RETRY_ACTIVE_COUNT) {
		if (READ_ONCE(kvm->mn_active_invalidate_count))
			return true;
	} else if (READ_ONCE(kvm->mmu_invalidate_in_progress)) {
		return true;
	}
	return READ_ONCE(kvm->mmu_invalidate_seq) != mmu_seq;
}

int kvm_gpc_refresh(struct gfn_to_pfn_cache *gpc)
{
	struct kvm *kvm = gpc->kvm;
	struct kvm_memory_slot *slot;
	unsigned long pfn = 0, mmu_seq;
	int idx, tries, ret = -EFAULT;
	bool writable;

	mutex_lock(&gpc->refresh_lock);
	idx = srcu_read_lock(&kvm->srcu);
	slot = gfn_to_memslot(kvm, gpc->gpa >> PAGE_SHIFT);
	if (!slot || !gpc->active)
		goto out;
	gpc->uhva = gfn_to_hva_memslot(slot, gpc->gpa >> PAGE_SHIFT);
	write_lock(&gpc->lock);
	gpc->valid = false;
	write_unlock(&gpc->lock);
	for (tries = 0; tries < 64; tries++) {
		mmu_seq = READ_ONCE(kvm->mmu_invalidate_seq);
		ret = kvm_hva_to_pfn(kvm, gpc->uhva, true, &pfn, &writable);
		if (ret)
			goto out;
		write_lock(&gpc->lock);
		if (!mmu_notifier_retry_cache(kvm, mmu_seq)) {
			gpc->pfn = pfn;
			gpc->gen = phys_generation(kvm->mm->mmw->pm, pfn);
			gpc->generation = kvm->memslots->generation;
			gpc->valid = true;
			gpc->reported = false;
			write_unlock(&gpc->lock);
			put_page(pfn_to_page(kvm->mm->mmw->pm, pfn));
			ret = 0;
			goto out;
		}
		write_unlock(&gpc->lock);
		put_page(pfn_to_page(kvm->mm->mmw->pm, pfn));
		cond_resched();
	}
	ret = -EBUSY;
out:
	srcu_read_unlock(&kvm->srcu, idx);
	mutex_unlock(&gpc->refresh_lock);
	return ret;
}

int kvm_gpc_activate(struct gfn_to_pfn_cache *gpc, gpa_t gpa)
{
	struct kvm *kvm = gpc->kvm;

	if (gpa & 7)
		return -EINVAL;
	spin_lock(&kvm->gpc_lock);
	if (!gpc->active)
		list_add(&gpc->list, &kvm->gpc_list);
	spin_unlock(&kvm->gpc_lock);
	write_lock(&gpc->lock);
	gpc->gpa = gpa;
	gpc->active = true;
	write_unlock(&gpc->lock);
	return kvm_gpc_refresh(gpc);
}

void kvm_gpc_deactivate(struct gfn_to_pfn_cache *gpc)
{
	struct kvm *kvm = gpc->kvm;

	write_lock(&gpc->lock);
	gpc->active = false;
	gpc->valid = false;
	write_unlock(&gpc->lock);
	spin_lock(&kvm->gpc_lock);
	list_del_init(&gpc->list);
	spin_unlock(&kvm->gpc_lock);
}

/* gpc->lock held for read */
bool kvm_gpc_check(struct gfn_to_pfn_cache *gpc)
{
	return gpc->active && gpc->valid &&
	       gpc->generation == gpc->kvm->memslots->generation;
}

int kvm_gpc_read(struct gfn_to_pfn_cache *gpc, unsigned long off, uint64_t *val)
{
	struct kvm *kvm = gpc->kvm;
	struct page *page;
	int tries, ret;

	if ((off & 7) || off >= PAGE_SIZE)
		return -EINVAL;
	read_lock(&gpc->lock);
	for (tries = 0; !kvm_gpc_check(gpc); tries++) {
		read_unlock(&gpc->lock);
		if (tries == 16)
			return -EBUSY;
		ret = kvm_gpc_refresh(gpc);
		if (ret)
			return ret;
		read_lock(&gpc->lock);
	}
	page = pfn_to_page(kvm->mm->mmw->pm, gpc->pfn);
	if (page_generation(page) != gpc->gen && !gpc->reported) {
		gpc->reported = true;
		report_add(
			kvm->w, "stale-pfncache",
			"KVM: %s read gpa %#lx through a pfn cache whose frame (pfn %#lx, generation %lu at refresh) has been freed since (generation %lu): the refresh installed a pfn an invalidation had already taken away\n",
			current ? current->name : "(no agent)", gpc->gpa + off,
			gpc->pfn, gpc->gen, page_generation(page));
	}
	phys_read(kvm->mm->mmw->pm, gpc->pfn, (gpc->gpa & ~PAGE_MASK) + off,
		  val);
	read_unlock(&gpc->lock);
	return 0;
}

void gfn_to_pfn_cache_invalidate_start(struct kvm *kvm, unsigned long start,
				       unsigned long end)
{
	struct gfn_to_pfn_cache *gpc;

	spin_lock(&kvm->gpc_lock);
	list_for_each_entry(gpc, &kvm->gpc_list, list) {
		write_lock(&gpc->lock);
		if (gpc->valid && gpc->uhva >= start && gpc->uhva < end)
			gpc->valid = false;
		write_unlock(&gpc->lock);
	}
	spin_unlock(&kvm->gpc_lock);
}
