// SPDX-License-Identifier: MIT
/*
 * KVM's generic part: models virt/kvm/kvm_main.c (and the vCPU side of
 * arch/x86/kvm/x86.c) with Linux's names; the code is our own.
 *
 * What is modeled:
 *  - struct kvm over one process's mm (mmgrab'd), its memslots (GPA to
 *    HVA ranges of that mm) kept as two struct kvm_memslots swapped by
 *    kvm_swap_active_memslots() under slots_lock, read under kvm->srcu;
 *    KVM_SET_USER_MEMORY_REGION (kvm_set_memory_region) with Linux's
 *    checks and errnos, creation, flag changes (dirty logging), and
 *    deletion through an invalid copy of the slot, a zap of its SPTEs
 *    and a second swap;
 *  - the mmu_notifier glue: invalidate_range_start raises
 *    mn_active_invalidate_count, takes mmu_lock for write for the
 *    memslots the HVA range hits, opens the invalidation
 *    (mmu_invalidate_in_progress, mmu_invalidate_range_start/_end
 *    widened by each range), zaps and flushes; invalidate_range_end
 *    bumps mmu_invalidate_seq and closes it, and wakes a memslot update
 *    waiting for mn_active_invalidate_count to drop to zero;
 *    clear_flush_young / clear_young / test_young; release zaps all;
 *  - vCPUs: requests (KVM_REQ_TLB_FLUSH and a ranged flush) serviced
 *    on guest entry, kicks (wait for a vCPU in guest mode to leave it),
 *    kvm_flush_remote_tlbs(); a guest access runs through the vCPU's
 *    TLB (gfn -> pfn, tagged by root), walks the TDP tables on a miss
 *    and exits to the fault path on an EPT violation;
 *  - hva_to_pfn: the host pfn of an HVA with a page reference, faulting
 *    it in through the mm's own fault handler (see below);
 *  - dirty logging: mark_page_dirty_in_slot, KVM_GET_DIRTY_LOG (get
 *    and clear, write-protecting what it clears) and KVM_CLEAR_DIRTY_LOG.
 *
 * Simplifications:
 *  - One address space (no SMM), one root, KVM_USER_MEM_SLOTS slots
 *    looked up linearly, at most KVM_MAX_VCPUS vCPUs; no memslot move
 *    (as an update that changes base_gfn it is -EINVAL here: delete and
 *    create instead); no private memory, no dirty ring.
 *  - A vCPU is the agent that issues guest accesses; KVM_RUN is one
 *    access (kvm_vcpu_guest_access) and holds kvm->srcu throughout.
 *    Guest mode is vcpu->mode_lock held: a kick takes and drops it, so
 *    it returns only once the vCPU is outside guest mode; the request
 *    it leaves is serviced before the vCPU next uses its TLB.
 *  - The TLB holds leaf translations only (no paging-structure cache);
 *    KVM_REQ_TLB_FLUSH empties it, the ranged request (what
 *    kvm_flush_remote_tlbs_range asks, as Hyper-V's enlightened flush
 *    does; bare-metal x86 flushes everything) drops only its gfns.
 *  - An access to a GPA no memslot covers, or a write to a read-only
 *    slot, is an MMIO exit: KVM_EXIT_MMIO_ERR to the caller.
 *  - hva_to_pfn is written here as a static function (the gup fast/slow
 *    paths of virt/kvm/kvm_main.c), not on top of src/mm/gup.c: it
 *    takes mmap_lock for read, looks the PTE up under its lock, takes a
 *    reference with folio_try_get, and otherwise calls handle_mm_fault()
 *    and looks again.  No VM_PFNMAP, no async page faults.
 *
 * Checks made here (kinds in quotes):
 *  - "stale-tlb": a guest access through a vCPU TLB entry whose frame
 *    was freed since the fault read its pfn (by generation);
 *  - the value oracle: every guest access is an access to the HVA the
 *    memslot maps it to (oracle_access);
 *  - "kvm-missed-dirty": a guest write into a dirty-logged slot whose
 *    dirty bit is clear (the SPTE should have been write-protected),
 *    outside a GET/CLEAR_DIRTY_LOG in flight;
 *  - "tdp-yield-pending-flush": mmu_lock dropped with zapped SPTEs not
 *    yet flushed by the agent that zapped them;
 *  - "kvm-stale-spte" (quiescent): a present leaf SPTE whose frame is no
 *    longer mapped at the slot's HVA by the host (a missed
 *    invalidation).
 *
 * Lock order (outermost first):
 *
 *   kvm->slots_lock (memslot updates)
 *     kvm->srcu (read: vCPUs, notifier, faults; synchronize: updates)
 *       mm->mmap_lock (read: hva_to_pfn; no KVM lock held)
 *       mmu_notifier_invalidate_range_start (the notifier's map)
 *         kvm->mn_invalidate_lock (leaf)
 *         kvm->mmu_lock (rwlock: write for the notifier, zaps and
 *                        memslot flushes, read for faults)
 *           kvm->tdp_mmu_pages_lock (NX list under a shared mmu_lock)
 *           vcpu->mode_lock (kicks; a vCPU holds it alone in guest mode)
 *           gpc->lock (pfn caches, invalidated by the notifier)
 */
#include <string.h>

#include "check/oracle.h"
#include "core/policy.h"
#include "core/trace.h"
#include "kvm/mmu/tdp_iter.h"

#define KVM_MAX_ACCESS_TRIES 64
#define HVA_TO_PFN_TRIES 64

static inline struct kvm_memslots *kvm_memslots_get(struct kvm *kvm)
{
	return rcu_dereference(kvm->memslots);
}

struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memslots *slots = kvm_memslots_get(kvm);
	int i;

	for (i = 0; i < KVM_USER_MEM_SLOTS; i++) {
		struct kvm_memory_slot *s = &slots->slots[i];

		if (s->npages && gfn >= s->base_gfn &&
		    gfn < s->base_gfn + s->npages)
			return s;
	}
	return NULL;
}

unsigned long gfn_to_hva_memslot(struct kvm_memory_slot *slot, gfn_t gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

/* ---- the checker's pending-flush bookkeeping ---- */

void kvm_note_zap(struct kvm *kvm, gfn_t gfn, int level)
{
	struct kvm_pending_flush *p;
	gfn_t end = gfn + KVM_PAGES_PER_HPAGE(level);

	if (!current)
		return;
	world_lock(kvm->w);
	p = &kvm->pending[current->id];
	if (!p->nr++) {
		p->start = gfn;
		p->end = end;
	} else {
		p->start = min(p->start, gfn);
		p->end = max(p->end, end);
	}
	world_unlock(kvm->w);
}

static void kvm_pending_flushed(struct kvm *kvm, gfn_t start, gfn_t end)
{
	int i;

	world_lock(kvm->w);
	for (i = 0; i < MAX_AGENTS; i++) {
		struct kvm_pending_flush *p = &kvm->pending[i];

		if (p->nr && p->start >= start && p->end <= end)
			p->nr = 0;
	}
	world_unlock(kvm->w);
}

void kvm_check_yield(struct kvm *kvm, const char *where)
{
	struct kvm_pending_flush p;

	if (!current)
		return;
	world_lock(kvm->w);
	p = kvm->pending[current->id];
	world_unlock(kvm->w);
	if (!p.nr)
		return;
	report_add(
		kvm->w, "tdp-yield-pending-flush",
		"KVM: %s reaches %s with %lu zapped SPTE(s) in gfns [%#lx, %#lx) not yet flushed from the vCPU TLBs: once mmu_lock is dropped another path can find those SPTEs gone, skip its own flush and let the host free the pages while a vCPU still translates them\n",
		current->name, where, p.nr, p.start, p.end);
}

/* ---- vCPU requests, kicks and remote TLB flushes ---- */

/*
 * Set a request and kick: taking the vCPU's mode lock waits until it is
 * outside guest mode; it services the request before it next uses its
 * TLB (vcpu_enter_guest).
 */
static void kvm_make_vcpu_request(struct kvm_vcpu *vcpu, gfn_t start, gfn_t end)
{
	spin_lock(&vcpu->mode_lock);
	if (start == 0 && end == ~0ul) {
		vcpu->requests |= 1ul << KVM_REQ_TLB_FLUSH;
	} else if (vcpu->req_range_end <= vcpu->req_range_start) {
		vcpu->req_range_start = start;
		vcpu->req_range_end = end;
	} else {
		vcpu->req_range_start = min(vcpu->req_range_start, start);
		vcpu->req_range_end = max(vcpu->req_range_end, end);
	}
	spin_unlock(&vcpu->mode_lock);
}

static void kvm_flush_remote_tlbs_gfns(struct kvm *kvm, gfn_t start, gfn_t end)
{
	int i;

	__atomic_add_fetch(&kvm->nr_remote_tlb_flushes, 1, __ATOMIC_RELAXED);
	if (end == ~0ul)
		trace_eventf(kvm->w, "kvm: remote TLB flush (all)");
	else
		trace_eventf(kvm->w, "kvm: remote TLB flush gfns [%#lx, %#lx)",
			     start, end);
	kvm_pending_flushed(kvm, start, end);
	for (i = 0; i < kvm->nr_vcpus; i++)
		kvm_make_vcpu_request(&kvm->vcpus[i], start, end);
}

/* kvm_flush_remote_tlbs - every vCPU drops every translation */
void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	kvm_flush_remote_tlbs_gfns(kvm, 0, ~0ul);
}

void kvm_flush_remote_tlbs_range(struct kvm *kvm, gfn_t gfn, unsigned long nr)
{
	kvm_flush_remote_tlbs_gfns(kvm, gfn, gfn + nr);
}

/* guest entry: vcpu->mode_lock held */
static void kvm_vcpu_service_requests(struct kvm_vcpu *vcpu)
{
	int i;

	if (vcpu->requests & (1ul << KVM_REQ_TLB_FLUSH)) {
		vcpu->requests &= ~(1ul << KVM_REQ_TLB_FLUSH);
		for (i = 0; i < KVM_VCPU_TLB_ENTRIES; i++)
			vcpu->tlb[i].valid = false;
		vcpu->req_range_start = vcpu->req_range_end = 0;
		vcpu->nr_tlb_flushes++;
		return;
	}
	if (vcpu->req_range_end > vcpu->req_range_start) {
		for (i = 0; i < KVM_VCPU_TLB_ENTRIES; i++) {
			struct kvm_tlb_entry *e = &vcpu->tlb[i];

			if (e->gfn >= vcpu->req_range_start &&
			    e->gfn < vcpu->req_range_end)
				e->valid = false;
		}
		vcpu->req_range_start = vcpu->req_range_end = 0;
		vcpu->nr_tlb_flushes++;
	}
}

/* ---- hva_to_pfn ---- */

/*
 * The present, accessible PTE of @hva with a reference on its page:
 * GUP's follow_page_pte, under the PTE lock so the page cannot be freed
 * between the look and the reference.
 */
static bool hva_to_pfn_fast(struct vm_area_struct *vma, unsigned long hva,
			    bool write, unsigned long *pfn, bool *writable)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmd = mm_find_pmd(mm, hva);
	spinlock_t *ptl;
	struct page *page;
	pte_t *ptep, pte;
	bool got = false;

	if (!pmd)
		return false;
	ptep = pte_offset_map_lock(mm, pmd, hva, &ptl);
	if (!ptep)
		return false;
	pte = ptep_get(ptep);
	if (pte_present(pte) && (!write || pte_write(pte))) {
		page = vm_normal_page(vma, hva, pte);
		if (page && folio_try_get(page_folio(page))) {
			*pfn = page_to_pfn(page);
			*writable = pte_write(pte);
			got = true;
		}
	}
	pte_unmap_unlock(ptep, ptl);
	return got;
}

/*
 * hva_to_pfn_slow: look the page up, fault it in with the mm's own
 * handler (handle_mm_fault, as get_user_pages does) and look again.
 * 0 with a reference on *pfn, or -EFAULT (no VMA, no permission, the
 * fault failed, the process has exited).  Takes mmap_lock for read;
 * called with no KVM lock held.
 */
static int hva_to_pfn_slow(struct kvm *kvm, unsigned long hva, bool write,
			   unsigned long *pfn, bool *writable)
{
	struct mm_struct *mm = kvm->mm;
	int ret = -EFAULT, tries;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	for (tries = 0; tries < HVA_TO_PFN_TRIES; tries++) {
		struct vm_area_struct *vma = vma_lookup(mm, hva);
		vm_fault_t fault;

		if (!vma || !(vma->vm_flags & VM_READ) ||
		    (vma->vm_flags & (VM_IO | VM_PFNMAP)))
			break;
		if (write && !(vma->vm_flags & VM_WRITE))
			break;
		if (hva_to_pfn_fast(vma, hva, write, pfn, writable)) {
			ret = 0;
			break;
		}
		fault = handle_mm_fault(vma, hva,
					FAULT_FLAG_REMOTE |
						(write ? FAULT_FLAG_WRITE : 0));
		if (fault & VM_FAULT_ERROR)
			break;
		/* e.g. a migration entry whose folio is frozen: let it finish */
		cond_resched();
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

int kvm_hva_to_pfn(struct kvm *kvm, unsigned long hva, bool write,
		   unsigned long *pfn, bool *writable)
{
	return hva_to_pfn_slow(kvm, hva, write, pfn, writable);
}

/* ---- the invalidation sequence ---- */

/* mmu_lock held: did an invalidation touch @gfn since @mmu_seq? */
bool mmu_invalidate_retry_gfn(struct kvm *kvm, unsigned long mmu_seq, gfn_t gfn)
{
	if (kvm->mmu_invalidate_in_progress) {
		if (kvm->mmu_invalidate_range_start == INVALID_GPA)
			report_add(
				kvm->w, "kvm-bug",
				"KVM: invalidation in progress without a range\n");
		if (gfn >= kvm->mmu_invalidate_range_start &&
		    gfn < kvm->mmu_invalidate_range_end)
			return true;
	}
	return kvm->mmu_invalidate_seq != mmu_seq;
}

static void kvm_mmu_invalidate_begin(struct kvm *kvm)
{
	lockdep_assert_held(&kvm->mmu_lock);
	kvm->mmu_invalidate_in_progress++;
	if (kvm->mmu_invalidate_in_progress == 1) {
		kvm->mmu_invalidate_range_start = INVALID_GPA;
		kvm->mmu_invalidate_range_end = INVALID_GPA;
	}
}

static void kvm_mmu_invalidate_range_add(struct kvm *kvm, gfn_t start,
					 gfn_t end)
{
	if (kvm->mmu_invalidate_range_start == INVALID_GPA) {
		kvm->mmu_invalidate_range_start = start;
		kvm->mmu_invalidate_range_end = end;
	} else {
		kvm->mmu_invalidate_range_start =
			min(kvm->mmu_invalidate_range_start, start);
		kvm->mmu_invalidate_range_end =
			max(kvm->mmu_invalidate_range_end, end);
	}
}

static void kvm_mmu_invalidate_end(struct kvm *kvm)
{
	lockdep_assert_held(&kvm->mmu_lock);
	/* a fault that read the old sequence will retry */
	WRITE_ONCE(kvm->mmu_invalidate_seq, kvm->mmu_invalidate_seq + 1);
	kvm->mmu_invalidate_in_progress--;
	if (kvm->mmu_invalidate_in_progress < 0)
		report_add(kvm->w, "kvm-bug",
			   "KVM: mmu_invalidate_in_progress went negative\n");
}

/* ---- the mmu_notifier ---- */

enum kvm_hva_op { HVA_UNMAP_BEGIN, HVA_END, HVA_AGE_FLUSH, HVA_AGE, HVA_TEST };

/*
 * __kvm_handle_hva_range: for every memslot [start, end) hits, take
 * mmu_lock for write once (opening the invalidation for UNMAP_BEGIN,
 * closing it for END) and act on its gfns.  Returns "young" for aging.
 */
static bool __kvm_handle_hva_range(struct kvm *kvm, unsigned long start,
				   unsigned long end, enum kvm_hva_op op,
				   bool may_block)
{
	struct kvm_memslots *slots;
	bool locked = false, flush = false, ret = false;
	int idx, i;

	idx = srcu_read_lock(&kvm->srcu);
	slots = kvm_memslots_get(kvm);
	for (i = 0; i < KVM_USER_MEM_SLOTS; i++) {
		struct kvm_memory_slot *s = &slots->slots[i];
		unsigned long s_end =
			s->userspace_addr + (s->npages << PAGE_SHIFT);
		unsigned long hs, he;
		gfn_t gs, ge;

		if (!s->npages || start >= s_end || end <= s->userspace_addr)
			continue;
		hs = max(start, s->userspace_addr);
		he = min(end, s_end);
		gs = s->base_gfn + ((hs - s->userspace_addr) >> PAGE_SHIFT);
		ge = s->base_gfn +
		     ((he + PAGE_SIZE - 1 - s->userspace_addr) >> PAGE_SHIFT);
		if (!locked) {
			locked = true;
			write_lock(&kvm->mmu_lock);
			if (op == HVA_UNMAP_BEGIN)
				kvm_mmu_invalidate_begin(kvm);
			else if (op == HVA_END)
				kvm_mmu_invalidate_end(kvm);
		}
		switch (op) {
		case HVA_UNMAP_BEGIN:
			kvm_mmu_invalidate_range_add(kvm, gs, ge);
			flush |= kvm_unmap_gfn_range(kvm, s, gs, ge, may_block);
			break;
		case HVA_END:
			break;
		case HVA_AGE_FLUSH:
			ret |= kvm_age_gfn_range(kvm, gs, ge, true);
			break;
		case HVA_AGE:
			ret |= kvm_age_gfn_range(kvm, gs, ge, true);
			break;
		case HVA_TEST:
			ret |= kvm_age_gfn_range(kvm, gs, ge, false);
			break;
		}
	}
	if (locked) {
		if (flush || (op == HVA_AGE_FLUSH && ret))
			kvm_flush_remote_tlbs(kvm);
		write_unlock(&kvm->mmu_lock);
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

static struct kvm *mmu_notifier_to_kvm(struct mmu_notifier *mn)
{
	return container_of(mn, struct kvm, mmu_notifier);
}

static int
kvm_mmu_notifier_invalidate_range_start(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct kvm *kvm = mmu_notifier_to_kvm(mn);

	/* a memslot update must wait for the matching end (see below) */
	spin_lock(&kvm->mn_invalidate_lock);
	kvm->mn_active_invalidate_count++;
	spin_unlock(&kvm->mn_invalidate_lock);
	__atomic_add_fetch(&kvm->nr_invalidations, 1, __ATOMIC_RELAXED);
	gfn_to_pfn_cache_invalidate_start(kvm, range->start, range->end);
	__kvm_handle_hva_range(kvm, range->start, range->end, HVA_UNMAP_BEGIN,
			       mmu_notifier_range_blockable(range));
	return 0;
}

static void
kvm_mmu_notifier_invalidate_range_end(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct kvm *kvm = mmu_notifier_to_kvm(mn);
	bool wake;

	__kvm_handle_hva_range(kvm, range->start, range->end, HVA_END, true);
	spin_lock(&kvm->mn_invalidate_lock);
	wake = !--kvm->mn_active_invalidate_count;
	spin_unlock(&kvm->mn_invalidate_lock);
	if (wake)
		wake_up(&kvm->mn_memslots_update_rcuwait);
}

static int kvm_mmu_notifier_clear_flush_young(struct mmu_notifier *mn,
					      struct mm_struct *mm,
					      unsigned long start,
					      unsigned long end)
{
	return __kvm_handle_hva_range(mmu_notifier_to_kvm(mn), start, end,
				      HVA_AGE_FLUSH, false);
}

static int kvm_mmu_notifier_clear_young(struct mmu_notifier *mn,
					struct mm_struct *mm,
					unsigned long start, unsigned long end)
{
	/* no flush: a stale accessed bit only ages the page later */
	return __kvm_handle_hva_range(mmu_notifier_to_kvm(mn), start, end,
				      HVA_AGE, false);
}

static int kvm_mmu_notifier_test_young(struct mmu_notifier *mn,
				       struct mm_struct *mm,
				       unsigned long address)
{
	return __kvm_handle_hva_range(mmu_notifier_to_kvm(mn), address,
				      address + PAGE_SIZE, HVA_TEST, false);
}

static void kvm_mmu_notifier_release(struct mmu_notifier *mn,
				     struct mm_struct *mm)
{
	struct kvm *kvm = mmu_notifier_to_kvm(mn);
	int idx = srcu_read_lock(&kvm->srcu);

	/* kvm_flush_shadow_all */
	kvm_tdp_mmu_zap_all(kvm);
	srcu_read_unlock(&kvm->srcu, idx);
}

static const struct mmu_notifier_ops kvm_mmu_notifier_ops = {
	.invalidate_range_start = kvm_mmu_notifier_invalidate_range_start,
	.invalidate_range_end = kvm_mmu_notifier_invalidate_range_end,
	.clear_flush_young = kvm_mmu_notifier_clear_flush_young,
	.clear_young = kvm_mmu_notifier_clear_young,
	.test_young = kvm_mmu_notifier_test_young,
	.release = kvm_mmu_notifier_release,
};

/* ---- memslots ---- */

/*
 * kvm_swap_active_memslots - publish the inactive set
 *
 * Waits until no invalidation is between start and end: the gfn range
 * an invalidation recorded at start must be the one its end closes.
 * Then readers are waited for (synchronize_srcu) before the old set may
 * be written.  slots_lock held.
 */
static void kvm_swap_active_memslots(struct kvm *kvm, struct kvm_memslots *next)
{
	struct kvm_memslots *old = kvm->memslots;

	spin_lock(&kvm->mn_invalidate_lock);
	while (kvm->mn_active_invalidate_count) {
		spin_unlock(&kvm->mn_invalidate_lock);
		wait_event(kvm->mn_memslots_update_rcuwait,
			   !READ_ONCE(kvm->mn_active_invalidate_count));
		spin_lock(&kvm->mn_invalidate_lock);
	}
	next->generation = ++kvm->memslots_generation;
	rcu_assign_pointer(kvm->memslots, next);
	spin_unlock(&kvm->mn_invalidate_lock);
	synchronize_srcu(&kvm->srcu);
	(void)old;
}

static struct kvm_memslots *kvm_inactive_memslots(struct kvm *kvm)
{
	struct kvm_memslots *active = kvm->memslots;
	struct kvm_memslots *next = active == &kvm->__memslots[0] ?
					    &kvm->__memslots[1] :
					    &kvm->__memslots[0];

	memcpy(next->slots, active->slots, sizeof(next->slots));
	return next;
}

static int __kvm_set_memory_region(struct kvm *kvm, unsigned int id,
				   unsigned int flags, gpa_t gpa,
				   unsigned long size, unsigned long hva)
{
	struct kvm_memslots *next;
	struct kvm_memory_slot *old, *s;
	gfn_t base_gfn = gpa >> PAGE_SHIFT;
	unsigned long npages = size >> PAGE_SHIFT;
	int i;

	if (flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
		return -EINVAL;
	if ((size & (PAGE_SIZE - 1)) || size != (unsigned long)size)
		return -EINVAL;
	if (gpa & (PAGE_SIZE - 1))
		return -EINVAL;
	/* the HVA must be page-aligned and a user address (access_ok) */
	if ((hva & (PAGE_SIZE - 1)) ||
	    (size && (hva + size < hva || hva + size > TASK_SIZE)))
		return -EINVAL;
	if (id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	if (gpa + size < gpa)
		return -EINVAL;
	if (npages > KVM_MEM_SLOTS_MAX_PAGES)
		return -EINVAL;
	old = &kvm->memslots->slots[id];

	if (!size) {
		/* delete: a missing slot is -EINVAL */
		if (!old->npages)
			return -EINVAL;
		next = kvm_inactive_memslots(kvm);
		next->slots[id].flags |= KVM_MEMSLOT_INVALID;
		kvm_swap_active_memslots(kvm, next);
		kvm_arch_flush_shadow_memslot(kvm, &kvm->memslots->slots[id]);
		next = kvm_inactive_memslots(kvm);
		memset(&next->slots[id], 0, sizeof(next->slots[id]));
		kvm_swap_active_memslots(kvm, next);
		trace_eventf(kvm->w, "kvm: memslot %u deleted", id);
		return 0;
	}
	if (old->npages) {
		/* change: only KVM_MEM_LOG_DIRTY_PAGES may change */
		if (old->base_gfn != base_gfn || old->npages != npages ||
		    old->userspace_addr != hva ||
		    ((old->flags ^ flags) & KVM_MEM_READONLY))
			return -EINVAL;
		next = kvm_inactive_memslots(kvm);
		s = &next->slots[id];
		s->flags = flags;
		if ((flags & KVM_MEM_LOG_DIRTY_PAGES) && !s->dirty_bitmap)
			s->dirty_bitmap = arena_alloc(
				kvm->w, ((npages + 63) / 64) * sizeof(long));
		if (flags & KVM_MEM_LOG_DIRTY_PAGES)
			memset(s->dirty_bitmap, 0,
			       ((npages + 63) / 64) * sizeof(long));
		kvm_swap_active_memslots(kvm, next);
		/* logging starts: every writable SPTE must fault again */
		if ((flags & ~old->flags) & KVM_MEM_LOG_DIRTY_PAGES)
			kvm_mmu_slot_remove_write_access(
				kvm, &kvm->memslots->slots[id], base_gfn,
				npages);
		return 0;
	}
	/* create: no overlap with another slot */
	for (i = 0; i < KVM_USER_MEM_SLOTS; i++) {
		struct kvm_memory_slot *o = &kvm->memslots->slots[i];

		if (o->npages && base_gfn < o->base_gfn + o->npages &&
		    o->base_gfn < base_gfn + npages)
			return -EEXIST;
	}
	next = kvm_inactive_memslots(kvm);
	s = &next->slots[id];
	*s = (struct kvm_memory_slot){
		.base_gfn = base_gfn,
		.npages = npages,
		.userspace_addr = hva,
		.flags = flags,
		.id = id,
	};
	if (flags & KVM_MEM_LOG_DIRTY_PAGES) {
		s->dirty_bitmap = arena_alloc(kvm->w, ((npages + 63) / 64) *
							      sizeof(long));
		memset(s->dirty_bitmap, 0, ((npages + 63) / 64) * sizeof(long));
	}
	kvm_swap_active_memslots(kvm, next);
	trace_eventf(kvm->w, "kvm: memslot %u gpa %#lx+%#lx -> hva %#lx", id,
		     gpa, size, hva);
	return 0;
}

int kvm_set_memory_region(struct kvm *kvm, unsigned int slot,
			  unsigned int flags, gpa_t guest_phys_addr,
			  unsigned long memory_size,
			  unsigned long userspace_addr)
{
	int r;

	mutex_lock(&kvm->slots_lock);
	r = __kvm_set_memory_region(kvm, slot, flags, guest_phys_addr,
				    memory_size, userspace_addr);
	mutex_unlock(&kvm->slots_lock);
	return r;
}

int kvm_memslot_set_huge(struct kvm *kvm, unsigned int slot, bool huge)
{
	if (slot >= KVM_USER_MEM_SLOTS || !kvm->memslots->slots[slot].npages)
		return -EINVAL;
	kvm->__memslots[0].slots[slot].huge = huge;
	kvm->__memslots[1].slots[slot].huge = huge;
	return 0;
}

/* ---- dirty logging ---- */

void mark_page_dirty_in_slot(struct kvm *kvm, struct kvm_memory_slot *slot,
			     gfn_t gfn)
{
	unsigned long rel = gfn - slot->base_gfn;

	if (!slot->dirty_bitmap)
		return;
	sched_point(SP_ATOMIC, &slot->dirty_bitmap[rel / 64]);
	__atomic_fetch_or(&slot->dirty_bitmap[rel / 64], 1ul << (rel % 64),
			  __ATOMIC_RELEASE);
}

/*
 * KVM_GET_DIRTY_LOG with manual protection off: copy and clear the
 * bitmap, write-protect what was dirty, flush.  -ENOENT without logging.
 */
int kvm_get_dirty_log(struct kvm *kvm, unsigned int id, unsigned long *out,
		      unsigned long nr_longs)
{
	struct kvm_memory_slot *s;
	unsigned long i, n;
	bool flush = false;

	if (id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	mutex_lock(&kvm->slots_lock);
	s = &kvm->memslots->slots[id];
	if (!s->npages || !s->dirty_bitmap) {
		mutex_unlock(&kvm->slots_lock);
		return -ENOENT;
	}
	n = min(nr_longs, (s->npages + 63) / 64);
	WRITE_ONCE(kvm->dirty_log_in_flight, kvm->dirty_log_in_flight + 1);
	write_lock(&kvm->mmu_lock);
	for (i = 0; i < n; i++) {
		unsigned long mask;
		int b;

		sched_point(SP_ATOMIC, &s->dirty_bitmap[i]);
		mask = __atomic_exchange_n(&s->dirty_bitmap[i], 0,
					   __ATOMIC_ACQ_REL);
		out[i] = mask;
		for (b = 0; mask && b < 64; b++)
			if (mask & (1ul << b))
				flush |= kvm_tdp_mmu_wrprot_gfn_range(
					kvm, s->base_gfn + i * 64 + b,
					s->base_gfn + i * 64 + b + 1);
	}
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	write_unlock(&kvm->mmu_lock);
	WRITE_ONCE(kvm->dirty_log_in_flight, kvm->dirty_log_in_flight - 1);
	mutex_unlock(&kvm->slots_lock);
	return 0;
}

/* KVM_CLEAR_DIRTY_LOG of [first, first + num): re-protect and clear */
int kvm_clear_dirty_log(struct kvm *kvm, unsigned int id, gfn_t first,
			unsigned long num)
{
	struct kvm_memory_slot *s;
	unsigned long i;
	bool flush;

	if (id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	mutex_lock(&kvm->slots_lock);
	s = &kvm->memslots->slots[id];
	if (!s->npages || !s->dirty_bitmap) {
		mutex_unlock(&kvm->slots_lock);
		return -ENOENT;
	}
	if ((first & 63) || first + num > s->npages || first + num < first) {
		mutex_unlock(&kvm->slots_lock);
		return -EINVAL;
	}
	WRITE_ONCE(kvm->dirty_log_in_flight, kvm->dirty_log_in_flight + 1);
	write_lock(&kvm->mmu_lock);
	/* protect first, then clear: a write in between sets the bit again */
	flush = kvm_tdp_mmu_wrprot_gfn_range(kvm, s->base_gfn + first,
					     s->base_gfn + first + num);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	for (i = first; i < first + num; i++) {
		sched_point(SP_ATOMIC, &s->dirty_bitmap[i / 64]);
		__atomic_fetch_and(&s->dirty_bitmap[i / 64], ~(1ul << (i % 64)),
				   __ATOMIC_ACQ_REL);
	}
	write_unlock(&kvm->mmu_lock);
	WRITE_ONCE(kvm->dirty_log_in_flight, kvm->dirty_log_in_flight - 1);
	mutex_unlock(&kvm->slots_lock);
	return 0;
}

/* ---- guest accesses ---- */

static struct kvm_tlb_entry *kvm_vcpu_tlb_lookup(struct kvm_vcpu *vcpu,
						 gfn_t gfn)
{
	int i;

	for (i = 0; i < KVM_VCPU_TLB_ENTRIES; i++) {
		struct kvm_tlb_entry *e = &vcpu->tlb[i];

		if (e->valid && e->gfn == gfn && e->root == vcpu->kvm->root)
			return e;
	}
	return NULL;
}

static void kvm_vcpu_check_stale(struct kvm_vcpu *vcpu, struct kvm_tlb_entry *e,
				 gpa_t gpa, bool write)
{
	struct page *page = pfn_to_page(vcpu->kvm->mm->mmw->pm, e->pfn);
	unsigned long gen = page_generation(page);

	if (gen == e->gen || e->reported)
		return;
	e->reported = true;
	report_add(
		vcpu->kvm->w, "stale-tlb",
		"KVM vCPU%d (%s) %s gpa %#lx through a stale TLB entry: pfn %#lx was mapped at step %lu with generation %lu, but the host has freed the frame since (generation %lu, now %s)\n",
		vcpu->vcpu_id, current ? current->name : "(no agent)",
		write ? "wrote" : "read", gpa, e->pfn, e->fill_step, e->gen,
		gen, page_state_name(page_state(page)));
}

/*
 * One access in guest mode: TLB, else the hardware walk.  Returns 0
 * (done), 1 (EPT violation: the caller handles the fault).
 */
static int kvm_vcpu_access_in_guest(struct kvm_vcpu *vcpu,
				    struct kvm_memory_slot *slot, gpa_t gpa,
				    bool write, bool exec, uint64_t *val)
{
	struct kvm *kvm = vcpu->kvm;
	struct phys_mem *pm = kvm->mm->mmw->pm;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_tlb_entry *e;
	unsigned long hva = gfn_to_hva_memslot(slot, gfn) + (gpa & ~PAGE_MASK);
	int ret = 1;

	spin_lock(&vcpu->mode_lock);
	kvm_vcpu_service_requests(vcpu);
	e = kvm_vcpu_tlb_lookup(vcpu, gfn);
	if (e && write && !e->writable) {
		e->valid = false;
		e = NULL;
	}
	if (!e) {
		struct kvm_mmu_page *root;
		unsigned long gen = 0;
		uint64_t spte = kvm_tdp_mmu_walk_hw(vcpu, gfn, &gen, &root);

		if (is_shadow_present_pte(spte) &&
		    (!write || is_writable_pte(spte)) &&
		    (!exec || (spte & SPTE_EXECUTABLE))) {
			e = &vcpu->tlb[vcpu->tlb_next++ % KVM_VCPU_TLB_ENTRIES];
			*e = (struct kvm_tlb_entry){
				.gfn = gfn,
				.pfn = spte_to_pfn(spte),
				.gen = gen,
				.fill_step = __atomic_load_n(&kvm->w->step,
							     __ATOMIC_RELAXED),
				.root = root,
				.writable = is_writable_pte(spte),
				.exec = spte & SPTE_EXECUTABLE,
				.valid = true,
			};
		}
	}
	if (e) {
		kvm_vcpu_check_stale(vcpu, e, gpa, write);
		if (write) {
			unsigned long rel = gfn - slot->base_gfn;

			/*
			 * A write racing with GET/CLEAR_DIRTY_LOG may land
			 * before the write-protection takes effect: the
			 * page was logged when it was faulted writable, and
			 * userspace copies it after the ioctl returns.
			 */
			if (slot->dirty_bitmap &&
			    !__atomic_load_n(&kvm->dirty_log_in_flight,
					     __ATOMIC_ACQUIRE) &&
			    !(__atomic_load_n(&slot->dirty_bitmap[rel / 64],
					      __ATOMIC_ACQUIRE) &
			      (1ul << (rel % 64))))
				report_add(
					kvm->w, "kvm-missed-dirty",
					"KVM vCPU%d (%s) wrote gpa %#lx in dirty-logged slot %d while its dirty bit is clear: the write is missing from the next KVM_GET_DIRTY_LOG\n",
					vcpu->vcpu_id, current->name, gpa,
					slot->id);
			phys_write(pm, e->pfn, gpa & ~PAGE_MASK, *val);
		} else {
			phys_read(pm, e->pfn, gpa & ~PAGE_MASK, val);
		}
		oracle_access(kvm->mm, -1, hva, write, *val);
		ret = 0;
	}
	spin_unlock(&vcpu->mode_lock);
	return ret;
}

int kvm_vcpu_guest_access(struct kvm_vcpu *vcpu, gpa_t gpa, bool write,
			  bool exec, uint64_t *val)
{
	struct kvm *kvm = vcpu->kvm;
	int tries, ret = -EBUSY;

	if (gpa & 7)
		return -EINVAL;
	for (tries = 0; tries < KVM_MAX_ACCESS_TRIES; tries++) {
		int idx = srcu_read_lock(&kvm->srcu);
		struct kvm_memory_slot *slot =
			gfn_to_memslot(kvm, gpa >> PAGE_SHIFT);
		int r;

		if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
			srcu_read_unlock(&kvm->srcu, idx);
			vcpu->nr_exits++;
			return KVM_EXIT_MMIO_ERR;
		}
		if (!(slot->flags & KVM_MEMSLOT_INVALID) &&
		    !kvm_vcpu_access_in_guest(vcpu, slot, gpa, write, exec,
					      val)) {
			srcu_read_unlock(&kvm->srcu, idx);
			return 0;
		}
		vcpu->nr_exits++;
		r = kvm_mmu_page_fault(vcpu, gpa, write, exec);
		srcu_read_unlock(&kvm->srcu, idx);
		if (r == RET_PF_EMULATE)
			return KVM_EXIT_MMIO_ERR;
		if (r < 0)
			return r;
		/*
		 * RET_PF_RETRY: an invalidation is in progress, or another
		 * walker owns the SPTE; vcpu_run reschedules before it
		 * re-enters the guest
		 */
		if (r == RET_PF_RETRY)
			cond_resched();
	}
	return ret;
}

/* ---- VM lifetime ---- */

struct kvm *kvm_create_vm(struct mm_struct *mm, int nr_vcpus)
{
	struct world *w = mm->mmw->w;
	struct kvm *kvm;
	int i;

	if (nr_vcpus < 1 || nr_vcpus > KVM_MAX_VCPUS)
		return ERR_PTR(-EINVAL);
	kvm = arena_alloc(w, sizeof(*kvm));
	memset(kvm, 0, sizeof(*kvm));
	kvm->w = w;
	kvm->mm = mm;
	rwlock_init(w, &kvm->mmu_lock, "kvm->mmu_lock");
	mutex_init(w, &kvm->slots_lock, "kvm->slots_lock");
	init_srcu_struct(w, &kvm->srcu, "kvm->srcu");
	spin_lock_init(w, &kvm->mn_invalidate_lock, "kvm->mn_invalidate_lock");
	spin_lock_init(w, &kvm->tdp_mmu_pages_lock, "kvm->tdp_mmu_pages_lock");
	spin_lock_init(w, &kvm->gpc_lock, "kvm->gpc_lock");
	init_waitqueue_head(w, &kvm->mn_memslots_update_rcuwait);
	INIT_LIST_HEAD(&kvm->possible_nx_huge_pages);
	INIT_LIST_HEAD(&kvm->gpc_list);
	kvm->memslots = &kvm->__memslots[0];
	kvm->mmu_invalidate_range_start = INVALID_GPA;
	kvm->mmu_invalidate_range_end = INVALID_GPA;
	kvm->nx_huge_pages = true;
	kvm->nx_huge_pages_recovery_ratio = 60;
	kvm->nr_frames = mm->mmw->nr_frames;
	kvm->sp_of_pfn =
		arena_alloc(w, kvm->nr_frames * sizeof(*kvm->sp_of_pfn));
	memset(kvm->sp_of_pfn, 0, kvm->nr_frames * sizeof(*kvm->sp_of_pfn));
	kvm->nr_vcpus = nr_vcpus;
	for (i = 0; i < nr_vcpus; i++) {
		kvm->vcpus[i].kvm = kvm;
		kvm->vcpus[i].vcpu_id = i;
		spin_lock_init(w, &kvm->vcpus[i].mode_lock, "kvm_vcpu->mode");
	}
	if (kvm_tdp_mmu_init(kvm))
		return ERR_PTR(-ENOMEM);
	mmgrab(mm);
	kvm->mmu_notifier.ops = &kvm_mmu_notifier_ops;
	if (__mmu_notifier_register(&kvm->mmu_notifier,
				    mm->notifier_subscriptions)) {
		kvm_tdp_mmu_destroy(kvm);
		mmdrop(mm);
		return ERR_PTR(-ENOMEM);
	}
	kvm->mn_registered = true;
	return kvm;
}

void kvm_destroy_vm(struct kvm *kvm)
{
	if (kvm->dead)
		return;
	kvm->dead = true;
	if (kvm->mn_registered)
		mmu_notifier_unregister(&kvm->mmu_notifier,
					kvm->mm->notifier_subscriptions);
	kvm_tdp_mmu_destroy(kvm);
	mmdrop(kvm->mm);
}

/*
 * At a quiescent point: every present leaf SPTE must map the frame the
 * host maps at the slot's HVA ("kvm-stale-spte").
 */
unsigned long kvm_check_quiescent(struct kvm *kvm)
{
	struct kvm_memslots *slots = kvm->memslots;
	unsigned long nr = 0;
	int i;

	for (i = 0; i < KVM_USER_MEM_SLOTS; i++) {
		struct kvm_memory_slot *s = &slots->slots[i];
		unsigned long g;

		for (g = 0; s->npages && g < s->npages && g < 4096; g++) {
			gfn_t gfn = s->base_gfn + g;
			struct kvm_mmu_page *sp = kvm->root;
			unsigned long hva = gfn_to_hva_memslot(s, gfn);
			uint64_t spte = 0;
			pmd_t *pmd;
			pte_t pte = __pte(0);
			int level;

			for (level = TDP_ROOT_LEVEL; sp; level--) {
				spte = sp->spt[spte_index(gfn, level)];
				if (!is_shadow_present_pte(spte) ||
				    is_last_spte(spte, level))
					break;
				sp = spte_to_child_sp(kvm, spte, level);
			}
			if (!sp || !is_shadow_present_pte(spte))
				continue;
			pmd = mm_find_pmd(kvm->mm, hva);
			if (pmd)
				pte = __pte(__atomic_load_n(
					&pte_offset_kernel(pmd, hva)->pte,
					__ATOMIC_ACQUIRE));
			if (pte_present(pte) &&
			    pte_pfn(pte) == spte_to_pfn(spte))
				continue;
			nr++;
			report_add(
				kvm->w, "kvm-stale-spte",
				"KVM: at quiescence the SPTE of gfn %#lx maps pfn %#lx, but the host %s at hva %#lx: an invalidation was missed\n",
				gfn, spte_to_pfn(spte),
				pte_present(pte) ? "maps another frame" :
						   "maps nothing",
				hva);
		}
	}
	return nr;
}
