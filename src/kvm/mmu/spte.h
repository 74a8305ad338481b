/* SPDX-License-Identifier: MIT */
/*
 * SPTE encoding of the model's TDP (EPT-like) page tables.
 *
 * Models arch/x86/kvm/mmu/spte.h: a present bit KVM owns
 * (SPTE_MMU_PRESENT_MASK), read/write/exec permission bits, the large
 * bit of a 2 MiB leaf, accessed/dirty, the pfn in bits 12..51 and the
 * FROZEN_SPTE value (REMOVED_SPTE before 6.10) a walker that holds
 * mmu_lock for read writes with cmpxchg to own an entry while it tears
 * it down.  A non-leaf SPTE holds the pfn of the frame backing the child
 * table (struct kvm_mmu_page).  The bit positions are our own; no A/D
 * disabled or access-tracking SPTEs, no MMIO SPTEs (an access outside
 * every memslot exits to userspace before any SPTE is made).
 */
#ifndef SECMMU_KVM_MMU_SPTE_H
#define SECMMU_KVM_MMU_SPTE_H

#include <stdbool.h>
#include <stdint.h>

#define SPTE_ENT_PER_PAGE 512
#define SPTE_LEVEL_BITS 9
#define PG_LEVEL_4K 1
#define PG_LEVEL_2M 2
#define TDP_ROOT_LEVEL 4

#define SPTE_READABLE (1ull << 0)
#define SPTE_WRITABLE (1ull << 1)
#define SPTE_EXECUTABLE (1ull << 2)
#define SPTE_LARGE (1ull << 7)
#define SPTE_ACCESSED (1ull << 8)
#define SPTE_DIRTY (1ull << 9)
#define SPTE_MMU_PRESENT_MASK (1ull << 11)
#define SPTE_PFN_MASK 0x000ffffffffff000ull
/* non-present, and no valid SPTE has this value */
#define FROZEN_SPTE 0x5a0ull

/* gfns covered by one SPTE at @level (KVM_PAGES_PER_HPAGE) */
#define KVM_PAGES_PER_HPAGE(level) (1ul << (((level)-1) * SPTE_LEVEL_BITS))

static inline bool is_frozen_spte(uint64_t spte)
{
	return spte == FROZEN_SPTE;
}

static inline bool is_shadow_present_pte(uint64_t spte)
{
	return (spte & SPTE_MMU_PRESENT_MASK) && !is_frozen_spte(spte);
}

static inline bool is_large_pte(uint64_t spte)
{
	return spte & SPTE_LARGE;
}

static inline bool is_last_spte(uint64_t spte, int level)
{
	return level == PG_LEVEL_4K || is_large_pte(spte);
}

static inline bool is_writable_pte(uint64_t spte)
{
	return spte & SPTE_WRITABLE;
}

static inline unsigned long spte_to_pfn(uint64_t spte)
{
	return (spte & SPTE_PFN_MASK) >> 12;
}

/* index of @gfn's entry in a table at @level */
static inline unsigned spte_index(unsigned long gfn, int level)
{
	return (gfn >> ((level - 1) * SPTE_LEVEL_BITS)) &
	       (SPTE_ENT_PER_PAGE - 1);
}

static inline uint64_t make_nonleaf_spte(unsigned long child_pfn)
{
	return SPTE_MMU_PRESENT_MASK | SPTE_READABLE | SPTE_WRITABLE |
	       SPTE_EXECUTABLE | ((uint64_t)child_pfn << 12);
}

#endif
