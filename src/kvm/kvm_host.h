/* SPDX-License-Identifier: MIT */
/*
 * KVM: a VM over a process's address space, its memslots, its vCPUs with
 * their TLBs, and the TDP MMU that maps guest-physical frames to the
 * host frames of the process (see kvm_main.c for what is modeled, the
 * simplifications and the lock order).
 *
 * Models include/linux/kvm_host.h, arch/x86/include/asm/kvm_host.h and
 * arch/x86/kvm/mmu/mmu_internal.h with Linux's names; the code is our own.
 */
#ifndef SECMMU_KVM_KVM_HOST_H
#define SECMMU_KVM_KVM_HOST_H

#include "kvm/mmu/spte.h"
#include "mm/mm.h"

typedef unsigned long gfn_t;
typedef unsigned long gpa_t;

#define KVM_USER_MEM_SLOTS 8
#define KVM_MAX_VCPUS 4
#define KVM_VCPU_TLB_ENTRIES 8
#define KVM_MEM_SLOTS_MAX_PAGES (1ul << 20) /* 4 GiB per slot */
#define INVALID_GPA (~0ul)

/* struct kvm_userspace_memory_region flags */
#define KVM_MEM_LOG_DIRTY_PAGES (1u << 0)
#define KVM_MEM_READONLY (1u << 1)
/* kernel-internal: the slot is being deleted or moved */
#define KVM_MEMSLOT_INVALID (1u << 16)

/* vCPU requests (kvm_make_request) */
#define KVM_REQ_TLB_FLUSH 0

/* page-fault return values (arch/x86/kvm/mmu/mmu_internal.h) */
enum {
	RET_PF_CONTINUE = 0,
	RET_PF_RETRY,
	RET_PF_EMULATE, /* MMIO: no memslot */
	RET_PF_FIXED,
	RET_PF_SPURIOUS,
};

/* what a guest access returns besides 0 */
#define KVM_EXIT_MMIO_ERR (-EREMOTEIO) /* no memslot: exit to userspace */

struct kvm;
struct kvm_vcpu;

/**
 * struct kvm_memory_slot - GPA [base_gfn, base_gfn + npages) to HVA
 * @dirty_bitmap: one bit per page when KVM_MEM_LOG_DIRTY_PAGES
 */
struct kvm_memory_slot {
	gfn_t base_gfn;
	unsigned long npages;
	unsigned long userspace_addr;
	unsigned int flags;
	short id;
	bool huge; /* the model's stand-in for a host 2 MiB mapping */
	unsigned long *dirty_bitmap;
};

/* one memslot set; two per VM, swapped on every update */
struct kvm_memslots {
	unsigned long generation;
	struct kvm_memory_slot slots[KVM_USER_MEM_SLOTS]; /* npages 0: unused */
};

/**
 * struct kvm_mmu_page - one TDP page-table page
 * @spt: the entries
 * @spt_gen: for each present leaf, the host frame's generation when the
 *	fault read the pfn (the checker's, not in Linux's SPTE)
 * @frame: the host frame that stands for the table (its pfn is in the
 *	parent SPTE; its generation moves when the table is freed)
 * @ptep: the parent SPTE (NULL for a root)
 */
struct kvm_mmu_page {
	uint64_t spt[SPTE_ENT_PER_PAGE];
	unsigned long spt_gen[SPTE_ENT_PER_PAGE];
	struct page *frame;
	uint64_t *ptep;
	gfn_t gfn;
	int level; /* sp->role.level: the level of the entries in @spt */
	bool nx_huge_page_disallowed;
	bool on_nx_list; /* on kvm->possible_nx_huge_pages */
	bool role_invalid; /* roots only */
	bool freed; /* the RCU callback ran */
	int tdp_mmu_root_count;
	struct list_head possible_nx_huge_page_link;
	struct rcu_head rcu_head;
	struct kvm *kvm;
};

/* a cached guest-physical translation of one vCPU, tagged by root */
struct kvm_tlb_entry {
	gfn_t gfn;
	unsigned long pfn;
	unsigned long gen; /* the SPTE's generation at fill */
	unsigned long fill_step;
	struct kvm_mmu_page *root;
	bool writable, exec, valid, reported;
};

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;
	/* held while the vCPU is in guest mode: a kick waits for it */
	spinlock_t mode_lock;
	unsigned long requests;
	gfn_t req_range_start, req_range_end; /* a ranged flush request */
	struct kvm_tlb_entry tlb[KVM_VCPU_TLB_ENTRIES];
	unsigned tlb_next;
	/* statistics */
	unsigned long nr_faults, nr_exits, nr_tlb_flushes;
};

/* per-agent zaps the agent has not flushed yet (the checker's) */
struct kvm_pending_flush {
	unsigned long nr;
	gfn_t start, end;
};

struct kvm {
	struct world *w;
	struct mm_struct *mm;
	int id;
	rwlock_t mmu_lock;
	struct mutex slots_lock;
	struct srcu_struct srcu;
	struct kvm_memslots *memslots; /* srcu/rcu protected */
	struct kvm_memslots __memslots[2];
	unsigned long memslots_generation;

	struct mmu_notifier mmu_notifier;
	bool mn_registered;
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	gfn_t mmu_invalidate_range_start, mmu_invalidate_range_end;
	spinlock_t mn_invalidate_lock;
	unsigned long mn_active_invalidate_count;
	wait_queue_head_t mn_memslots_update_rcuwait;

	struct kvm_vcpu vcpus[KVM_MAX_VCPUS];
	int nr_vcpus;

	struct kvm_mmu_page *root; /* the valid root, or NULL */
	spinlock_t tdp_mmu_pages_lock;
	struct list_head possible_nx_huge_pages;
	unsigned long nx_lpage_splits;
	unsigned int nx_huge_pages_recovery_ratio;
	bool nx_huge_pages; /* the mitigation is on */
	struct kvm_mmu_page **sp_of_pfn; /* frame pfn -> table */
	unsigned long nr_frames;

	struct list_head gpc_list;
	spinlock_t gpc_lock;

	struct kvm_pending_flush pending[MAX_AGENTS];
	/* others' schedule points when each agent last checked need_resched */
	unsigned long resched_mark[MAX_AGENTS];
	/* statistics */
	unsigned long nr_remote_tlb_flushes, nr_zapped, nr_faults,
		nr_fault_retries, nr_yields, nr_invalidations;
	int dirty_log_in_flight; /* GET/CLEAR_DIRTY_LOG running */
	bool dead;
};

/* ---- kvm_main.c ---- */

struct kvm *kvm_create_vm(struct mm_struct *mm, int nr_vcpus);
void kvm_destroy_vm(struct kvm *kvm);
/**
 * kvm_set_memory_region - KVM_SET_USER_MEMORY_REGION
 * Returns 0 or Linux's errno: -EINVAL (flags, alignment, slot id, size,
 * moving a slot or changing its flags other than dirty logging), -EEXIST
 * (overlap).  Takes slots_lock; may sleep.
 */
int kvm_set_memory_region(struct kvm *kvm, unsigned int slot,
			  unsigned int flags, gpa_t guest_phys_addr,
			  unsigned long memory_size,
			  unsigned long userspace_addr);
/* the model's flag for host 2 MiB backing, set before any vCPU runs */
int kvm_memslot_set_huge(struct kvm *kvm, unsigned int slot, bool huge);
struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn);
unsigned long gfn_to_hva_memslot(struct kvm_memory_slot *slot, gfn_t gfn);
void kvm_flush_remote_tlbs(struct kvm *kvm);
void kvm_flush_remote_tlbs_range(struct kvm *kvm, gfn_t gfn, unsigned long nr);
void mark_page_dirty_in_slot(struct kvm *kvm, struct kvm_memory_slot *slot,
			     gfn_t gfn);
int kvm_get_dirty_log(struct kvm *kvm, unsigned int slot, unsigned long *out,
		      unsigned long nr_longs);
int kvm_clear_dirty_log(struct kvm *kvm, unsigned int slot, gfn_t first,
			unsigned long num);
/*
 * One 8-byte guest access at @gpa by @vcpu (KVM_RUN until the access
 * retires): 0, KVM_EXIT_MMIO_ERR (no memslot), -EFAULT (the host fault
 * failed, KVM_RUN returns -EFAULT), or -EBUSY (no progress).
 */
int kvm_vcpu_guest_access(struct kvm_vcpu *vcpu, gpa_t gpa, bool write,
			  bool exec, uint64_t *val);
/* host pfn for @hva with a reference (hva_to_pfn); 0 or -EFAULT */
int kvm_hva_to_pfn(struct kvm *kvm, unsigned long hva, bool write,
		   unsigned long *pfn, bool *writable);
bool mmu_invalidate_retry_gfn(struct kvm *kvm, unsigned long mmu_seq,
			      gfn_t gfn);
unsigned long kvm_check_quiescent(struct kvm *kvm);
/* the checker's pending-flush bookkeeping */
void kvm_note_zap(struct kvm *kvm, gfn_t gfn, int level);
void kvm_check_yield(struct kvm *kvm, const char *where);

/* ---- mmu/mmu.c ---- */

int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, bool write, bool exec);
void kvm_recover_nx_huge_pages(struct kvm *kvm);
bool kvm_unmap_gfn_range(struct kvm *kvm, struct kvm_memory_slot *slot,
			 gfn_t start, gfn_t end, bool may_block);
bool kvm_age_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end, bool clear);
void kvm_zap_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end);
void kvm_arch_flush_shadow_memslot(struct kvm *kvm,
				   struct kvm_memory_slot *slot);
void kvm_mmu_slot_remove_write_access(struct kvm *kvm,
				      struct kvm_memory_slot *slot, gfn_t start,
				      unsigned long nr);
/* write lock, or read when the knob says so */
bool kvm_zap_lock_shared(struct kvm *kvm);
/* need_resched() at the TDP MMU's yield points (see mmu.c) */
bool kvm_need_resched(struct kvm *kvm);
void kvm_resched_mark(struct kvm *kvm);

/* ---- mmu/tdp_mmu.c ---- */

int kvm_tdp_mmu_init(struct kvm *kvm);
void kvm_tdp_mmu_destroy(struct kvm *kvm);
struct kvm_page_fault {
	gpa_t addr;
	gfn_t gfn;
	bool write, exec;
	struct kvm_memory_slot *slot;
	unsigned long mmu_seq;
	unsigned long pfn, pfn_gen;
	bool map_writable;
	int req_level, goal_level;
	bool huge_page_disallowed;
};
int kvm_tdp_mmu_map(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
bool kvm_tdp_mmu_zap_leafs(struct kvm *kvm, gfn_t start, gfn_t end,
			   bool can_yield, bool flush, bool shared);
bool __kvm_tdp_mmu_zap_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end,
				 bool can_yield, bool flush, bool shared);
bool kvm_tdp_mmu_zap_sp(struct kvm *kvm, struct kvm_mmu_page *sp, bool shared);
bool kvm_tdp_mmu_zap_possible_nx_huge_page(struct kvm *kvm,
					   struct kvm_mmu_page *sp,
					   bool shared);
void kvm_tdp_mmu_zap_all(struct kvm *kvm);
bool kvm_tdp_mmu_age_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end,
			       bool clear);
bool kvm_tdp_mmu_wrprot_gfn_range(struct kvm *kvm, gfn_t start, gfn_t end);
/* the hardware walk of @vcpu (lockless): the leaf SPTE of @gfn or 0 */
uint64_t kvm_tdp_mmu_walk_hw(struct kvm_vcpu *vcpu, gfn_t gfn,
			     unsigned long *gen, struct kvm_mmu_page **root);
unsigned long kvm_tdp_mmu_nr_present(struct kvm *kvm);

/* ---- pfncache.c ---- */

/**
 * struct gfn_to_pfn_cache - a kernel mapping of one guest page
 * @uhva: the HVA the cache translates
 * @pfn, @gen: the frame and its generation when refreshed
 * @valid: the translation may be used (under @lock, read)
 */
struct gfn_to_pfn_cache {
	struct kvm *kvm;
	gpa_t gpa;
	unsigned long uhva;
	unsigned long pfn, gen;
	unsigned long generation; /* memslots generation */
	rwlock_t lock;
	struct mutex refresh_lock;
	bool active, valid, reported;
	struct list_head list;
};

void kvm_gpc_init(struct gfn_to_pfn_cache *gpc, struct kvm *kvm);
int kvm_gpc_activate(struct gfn_to_pfn_cache *gpc, gpa_t gpa);
void kvm_gpc_deactivate(struct gfn_to_pfn_cache *gpc);
int kvm_gpc_refresh(struct gfn_to_pfn_cache *gpc);
bool kvm_gpc_check(struct gfn_to_pfn_cache *gpc);
/* read a word through the cache, refreshing it as its users do */
int kvm_gpc_read(struct gfn_to_pfn_cache *gpc, unsigned long off,
		 uint64_t *val);
void gfn_to_pfn_cache_invalidate_start(struct kvm *kvm, unsigned long start,
				       unsigned long end);

#endif
