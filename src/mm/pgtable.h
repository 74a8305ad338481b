/* SPDX-License-Identifier: MIT */
/*
 * Page-table entries: types, x86-64 bits and the helpers that read and
 * build them.
 *
 * Models arch/x86/include/asm/pgtable_types.h, pgtable.h, pgtable_64.h
 * and include/linux/swapops.h: 4 levels (PGD -> PUD -> PMD -> PTE, the P4D
 * level folded as in a 4-level x86-64 kernel), 512 entries a table, 48-bit
 * virtual addresses, and the x86 bit layout (P, RW, US, A, D, PSE, G, NX
 * and the software bits the kernel uses for _PAGE_SPECIAL and
 * _PAGE_SOFT_DIRTY).
 *
 * Simplifications:
 *  - An entry is a 64-bit value wrapped in a struct as in Linux; the
 *    helpers here are pure functions of the value.  Reading and writing an
 *    entry in a table (ptep_get(), set_pte_at(), ...) lives in mm.h,
 *    because there it is a schedule point.
 *  - A table entry (PGD/PUD/PMD pointing to the next level) holds the pfn
 *    of the next table's frame with _PAGE_TABLE flags, as on x86.
 *  - No PAT/PCD/PWT, no protection keys, no 5-level paging.
 *  - Swap entries use a simpler non-present layout than x86's inverted
 *    one: type in bits 58..62, offset in bits 9..57, _PAGE_PRESENT and
 *    _PAGE_PROTNONE clear.  Migration entries are swap entries of three
 *    reserved types, as in swapops.h.
 *  - PROT_NONE is encoded as on x86: _PAGE_PROTNONE (the global bit,
 *    meaningless in a user PTE) set and _PAGE_PRESENT clear.  The kernel
 *    (pte_present()) sees such a PTE as present; the hardware does not.
 *
 * Locking: none here; see mm.h for who may change an entry.
 */
#ifndef SECMMU_MM_PGTABLE_H
#define SECMMU_MM_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "phys/page.h"

/* ---- geometry ---- */

#define PTRS_PER_PTE 512
#define PTRS_PER_PMD 512
#define PTRS_PER_PUD 512
#define PTRS_PER_PGD 512

#define PMD_SHIFT 21
#define PUD_SHIFT 30
#define PGDIR_SHIFT 39
#define PMD_SIZE (1UL << PMD_SHIFT)
#define PUD_SIZE (1UL << PUD_SHIFT)
#define PGDIR_SIZE (1UL << PGDIR_SHIFT)
#define PMD_MASK (~(PMD_SIZE - 1))
#define PUD_MASK (~(PUD_SIZE - 1))
#define PGDIR_MASK (~(PGDIR_SIZE - 1))

/* user address space: the low canonical half, minus the guard page */
#define TASK_SIZE ((1UL << 47) - PAGE_SIZE)
#define FIRST_USER_ADDRESS 0UL
#define USER_PGTABLES_CEILING 0UL

#define PAGE_ALIGN(x) ALIGN_UP((unsigned long)(x), PAGE_SIZE)
#define PAGE_ALIGNED(x) (((unsigned long)(x) & ~PAGE_MASK) == 0)
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)

static inline unsigned long pgd_index(unsigned long addr)
{
	return (addr >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1);
}

static inline unsigned long pud_index(unsigned long addr)
{
	return (addr >> PUD_SHIFT) & (PTRS_PER_PUD - 1);
}

static inline unsigned long pmd_index(unsigned long addr)
{
	return (addr >> PMD_SHIFT) & (PTRS_PER_PMD - 1);
}

static inline unsigned long pte_index(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
}

/* the next boundary of a table's coverage after addr, capped at end */
#define __pxx_addr_end(addr, end, size)                              \
	({                                                           \
		unsigned long __b = ((addr) + (size)) & ~((size)-1); \
		(__b - 1 < (end)-1) ? __b : (end);                   \
	})
#define pgd_addr_end(addr, end) __pxx_addr_end(addr, end, PGDIR_SIZE)
#define pud_addr_end(addr, end) __pxx_addr_end(addr, end, PUD_SIZE)
#define pmd_addr_end(addr, end) __pxx_addr_end(addr, end, PMD_SIZE)

/* ---- bits (arch/x86/include/asm/pgtable_types.h) ---- */

#define _PAGE_BIT_PRESENT 0
#define _PAGE_BIT_RW 1
#define _PAGE_BIT_USER 2
#define _PAGE_BIT_PWT 3
#define _PAGE_BIT_PCD 4
#define _PAGE_BIT_ACCESSED 5
#define _PAGE_BIT_DIRTY 6
#define _PAGE_BIT_PSE 7
#define _PAGE_BIT_GLOBAL 8
#define _PAGE_BIT_SOFTW1 9
#define _PAGE_BIT_SOFTW2 10
#define _PAGE_BIT_SOFTW3 11
#define _PAGE_BIT_NX 63
#define _PAGE_BIT_SPECIAL _PAGE_BIT_SOFTW1
#define _PAGE_BIT_SOFT_DIRTY _PAGE_BIT_SOFTW3
#define _PAGE_BIT_PROTNONE _PAGE_BIT_GLOBAL

#define _PAGE_PRESENT (1ULL << _PAGE_BIT_PRESENT)
#define _PAGE_RW (1ULL << _PAGE_BIT_RW)
#define _PAGE_USER (1ULL << _PAGE_BIT_USER)
#define _PAGE_PWT (1ULL << _PAGE_BIT_PWT)
#define _PAGE_PCD (1ULL << _PAGE_BIT_PCD)
#define _PAGE_ACCESSED (1ULL << _PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY (1ULL << _PAGE_BIT_DIRTY)
#define _PAGE_PSE (1ULL << _PAGE_BIT_PSE)
#define _PAGE_GLOBAL (1ULL << _PAGE_BIT_GLOBAL)
#define _PAGE_SPECIAL (1ULL << _PAGE_BIT_SPECIAL)
#define _PAGE_SOFT_DIRTY (1ULL << _PAGE_BIT_SOFT_DIRTY)
#define _PAGE_PROTNONE (1ULL << _PAGE_BIT_PROTNONE)
#define _PAGE_NX (1ULL << _PAGE_BIT_NX)

/* swap PTEs keep soft-dirty in a bit that is free when not present */
#define _PAGE_SWP_SOFT_DIRTY _PAGE_PSE

#define __PHYSICAL_MASK_SHIFT 52
#define PTE_PFN_MASK \
	(((1ULL << __PHYSICAL_MASK_SHIFT) - 1) & ~((1ULL << PAGE_SHIFT) - 1))
#define PTE_FLAGS_MASK (~PTE_PFN_MASK)

/* a table entry: what pmd_populate() and friends write */
#define _PAGE_TABLE \
	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

/* bits pte_modify() keeps when the protection changes */
#define _PAGE_CHG_MASK                                          \
	(PTE_PFN_MASK | _PAGE_PCD | _PAGE_PWT | _PAGE_SPECIAL | \
	 _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SOFT_DIRTY | _PAGE_PSE)

typedef struct {
	uint64_t pte;
} pte_t;
typedef struct {
	uint64_t pmd;
} pmd_t;
typedef struct {
	uint64_t pud;
} pud_t;
typedef struct {
	uint64_t pgd;
} pgd_t;
typedef struct {
	uint64_t pgprot;
} pgprot_t;

#define __pte(x) ((pte_t){ (x) })
#define __pmd(x) ((pmd_t){ (x) })
#define __pud(x) ((pud_t){ (x) })
#define __pgd(x) ((pgd_t){ (x) })
#define __pgprot(x) ((pgprot_t){ (x) })
#define pte_val(x) ((x).pte)
#define pmd_val(x) ((x).pmd)
#define pud_val(x) ((x).pud)
#define pgd_val(x) ((x).pgd)
#define pgprot_val(x) ((x).pgprot)

/* the protections vm_get_page_prot() hands out (protection_map[]) */
#define PAGE_NONE __pgprot(_PAGE_PROTNONE | _PAGE_ACCESSED)
#define PAGE_SHARED                                                       \
	__pgprot(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | \
		 _PAGE_NX)
#define PAGE_SHARED_EXEC \
	__pgprot(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#define PAGE_COPY \
	__pgprot(_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX)
#define PAGE_COPY_EXEC __pgprot(_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define PAGE_READONLY PAGE_COPY
#define PAGE_READONLY_EXEC PAGE_COPY_EXEC

/* ---- PTE predicates ---- */

static inline uint64_t pte_flags(pte_t pte)
{
	return pte_val(pte) & PTE_FLAGS_MASK;
}

static inline bool pte_none(pte_t pte)
{
	return !pte_val(pte);
}

/* the kernel's view: PROT_NONE PTEs are present (the page is mapped) */
static inline bool pte_present(pte_t pte)
{
	return pte_flags(pte) & (_PAGE_PRESENT | _PAGE_PROTNONE);
}

/* the hardware's view */
static inline bool pte_hw_present(pte_t pte)
{
	return pte_flags(pte) & _PAGE_PRESENT;
}

static inline bool pte_protnone(pte_t pte)
{
	return (pte_flags(pte) & (_PAGE_PROTNONE | _PAGE_PRESENT)) ==
	       _PAGE_PROTNONE;
}

static inline bool pte_write(pte_t pte)
{
	return pte_flags(pte) & _PAGE_RW;
}

static inline bool pte_user(pte_t pte)
{
	return pte_flags(pte) & _PAGE_USER;
}

static inline bool pte_dirty(pte_t pte)
{
	return pte_flags(pte) & _PAGE_DIRTY;
}

static inline bool pte_young(pte_t pte)
{
	return pte_flags(pte) & _PAGE_ACCESSED;
}

static inline bool pte_special(pte_t pte)
{
	return pte_flags(pte) & _PAGE_SPECIAL;
}

static inline bool pte_soft_dirty(pte_t pte)
{
	return pte_flags(pte) & _PAGE_SOFT_DIRTY;
}

static inline bool pte_exec(pte_t pte)
{
	return !(pte_flags(pte) & _PAGE_NX);
}

static inline unsigned long pte_pfn(pte_t pte)
{
	return (pte_val(pte) & PTE_PFN_MASK) >> PAGE_SHIFT;
}

static inline bool pte_same(pte_t a, pte_t b)
{
	return pte_val(a) == pte_val(b);
}

/* ---- PTE builders ---- */

static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	return __pte(((uint64_t)pfn << PAGE_SHIFT & PTE_PFN_MASK) |
		     pgprot_val(prot));
}

static inline pte_t pte_set_flags(pte_t pte, uint64_t set)
{
	return __pte(pte_val(pte) | set);
}

static inline pte_t pte_clear_flags(pte_t pte, uint64_t clear)
{
	return __pte(pte_val(pte) & ~clear);
}

static inline pte_t pte_mkwrite(pte_t pte)
{
	return pte_set_flags(pte, _PAGE_RW);
}

static inline pte_t pte_wrprotect(pte_t pte)
{
	return pte_clear_flags(pte, _PAGE_RW);
}

/* as on x86, a software-dirtied PTE is also soft-dirty */
static inline pte_t pte_mkdirty(pte_t pte)
{
	return pte_set_flags(pte, _PAGE_DIRTY | _PAGE_SOFT_DIRTY);
}

static inline pte_t pte_mkclean(pte_t pte)
{
	return pte_clear_flags(pte, _PAGE_DIRTY);
}

static inline pte_t pte_mkyoung(pte_t pte)
{
	return pte_set_flags(pte, _PAGE_ACCESSED);
}

static inline pte_t pte_mkold(pte_t pte)
{
	return pte_clear_flags(pte, _PAGE_ACCESSED);
}

static inline pte_t pte_mkspecial(pte_t pte)
{
	return pte_set_flags(pte, _PAGE_SPECIAL);
}

static inline pte_t pte_mksoft_dirty(pte_t pte)
{
	return pte_set_flags(pte, _PAGE_SOFT_DIRTY);
}

static inline pte_t pte_clear_soft_dirty(pte_t pte)
{
	return pte_clear_flags(pte, _PAGE_SOFT_DIRTY);
}

/* change the protection, keeping the frame and the A/D/soft bits */
static inline pte_t pte_modify(pte_t pte, pgprot_t newprot)
{
	return __pte((pte_val(pte) & _PAGE_CHG_MASK) |
		     (pgprot_val(newprot) & ~_PAGE_CHG_MASK));
}

static inline pgprot_t pte_pgprot(pte_t pte)
{
	return __pgprot(pte_flags(pte) & ~_PAGE_CHG_MASK);
}

/* x86 sets the accessed bit by hand on a new PTE (pte_sw_mkyoung) */
static inline pte_t pte_sw_mkyoung(pte_t pte)
{
	return pte_mkyoung(pte);
}

/*
 * pte_needs_flush - whether replacing @oldpte by @newpte requires a TLB
 * flush (x86's pte_flags_need_flush()): only if the old one was present
 * to the hardware and the frame changed, a permission bit changed, or
 * the dirty or present bit was cleared.  The accessed bit is ignored.
 */
static inline bool pte_needs_flush(pte_t oldpte, pte_t newpte)
{
	const uint64_t flush_on_clear = _PAGE_DIRTY | _PAGE_PRESENT;
	const uint64_t flush_on_change = _PAGE_RW | _PAGE_USER | _PAGE_PWT |
					 _PAGE_PCD | _PAGE_PSE | _PAGE_GLOBAL |
					 _PAGE_NX;
	uint64_t diff;

	if (!pte_hw_present(oldpte))
		return false;
	if (pte_pfn(oldpte) != pte_pfn(newpte))
		return true;
	diff = pte_flags(oldpte) ^ pte_flags(newpte);
	return (diff & pte_flags(oldpte) & flush_on_clear) ||
	       (diff & flush_on_change);
}

/* ---- upper levels ---- */

static inline bool pmd_none(pmd_t pmd)
{
	return !pmd_val(pmd);
}

static inline bool pmd_present(pmd_t pmd)
{
	return pmd_val(pmd) & (_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_PSE);
}

/* a 2 MiB leaf (THP-style mapping), not a pointer to a PTE table */
static inline bool pmd_leaf(pmd_t pmd)
{
	return (pmd_val(pmd) & (_PAGE_PSE | _PAGE_PRESENT)) ==
	       (_PAGE_PSE | _PAGE_PRESENT);
}
#define pmd_trans_huge pmd_leaf

static inline unsigned long pmd_pfn(pmd_t pmd)
{
	return (pmd_val(pmd) & PTE_PFN_MASK) >> PAGE_SHIFT;
}

/* a table entry with anything but the table flags is corrupt */
static inline bool pmd_bad(pmd_t pmd)
{
	return (pmd_val(pmd) & PTE_FLAGS_MASK & ~_PAGE_NX) != _PAGE_TABLE;
}

static inline bool pud_none(pud_t pud)
{
	return !pud_val(pud);
}

static inline bool pud_present(pud_t pud)
{
	return pud_val(pud) & _PAGE_PRESENT;
}

static inline unsigned long pud_pfn(pud_t pud)
{
	return (pud_val(pud) & PTE_PFN_MASK) >> PAGE_SHIFT;
}

static inline bool pud_bad(pud_t pud)
{
	return (pud_val(pud) & PTE_FLAGS_MASK & ~_PAGE_NX) != _PAGE_TABLE;
}

static inline bool pgd_none(pgd_t pgd)
{
	return !pgd_val(pgd);
}

static inline bool pgd_present(pgd_t pgd)
{
	return pgd_val(pgd) & _PAGE_PRESENT;
}

static inline unsigned long pgd_pfn(pgd_t pgd)
{
	return (pgd_val(pgd) & PTE_PFN_MASK) >> PAGE_SHIFT;
}

static inline bool pgd_bad(pgd_t pgd)
{
	return (pgd_val(pgd) & PTE_FLAGS_MASK & ~_PAGE_NX) != _PAGE_TABLE;
}

/* ---- swap and migration entries (include/linux/swapops.h) ---- */

typedef struct {
	unsigned long val;
} swp_entry_t;

#define MAX_SWAPFILES_SHIFT 5
#define SWP_TYPE_SHIFT 58
#define SWP_OFFSET_SHIFT 9
#define SWP_OFFSET_MASK ((1UL << (SWP_TYPE_SHIFT - SWP_OFFSET_SHIFT)) - 1)
#define SWP_MIGRATION_NUM 3
#define MAX_SWAPFILES ((1 << MAX_SWAPFILES_SHIFT) - SWP_MIGRATION_NUM)
#define SWP_MIGRATION_READ (MAX_SWAPFILES)
#define SWP_MIGRATION_READ_EXCLUSIVE (MAX_SWAPFILES + 1)
#define SWP_MIGRATION_WRITE (MAX_SWAPFILES + 2)

static inline swp_entry_t swp_entry(unsigned int type, unsigned long offset)
{
	return (swp_entry_t){ ((unsigned long)type << SWP_TYPE_SHIFT) |
			      (offset & SWP_OFFSET_MASK) };
}

static inline unsigned int swp_type(swp_entry_t e)
{
	return e.val >> SWP_TYPE_SHIFT;
}

static inline unsigned long swp_offset(swp_entry_t e)
{
	return e.val & SWP_OFFSET_MASK;
}

/* a non-none PTE the kernel does not see as present */
static inline bool is_swap_pte(pte_t pte)
{
	return !pte_none(pte) && !pte_present(pte);
}

static inline swp_entry_t pte_to_swp_entry(pte_t pte)
{
	uint64_t v = pte_val(pte) & ~_PAGE_SWP_SOFT_DIRTY;

	return swp_entry(v >> SWP_TYPE_SHIFT,
			 (v >> SWP_OFFSET_SHIFT) & SWP_OFFSET_MASK);
}

static inline pte_t swp_entry_to_pte(swp_entry_t e)
{
	return __pte(((uint64_t)swp_type(e) << SWP_TYPE_SHIFT) |
		     ((uint64_t)swp_offset(e) << SWP_OFFSET_SHIFT));
}

static inline bool pte_swp_soft_dirty(pte_t pte)
{
	return pte_val(pte) & _PAGE_SWP_SOFT_DIRTY;
}

static inline pte_t pte_swp_mksoft_dirty(pte_t pte)
{
	return pte_set_flags(pte, _PAGE_SWP_SOFT_DIRTY);
}

static inline pte_t pte_swp_clear_soft_dirty(pte_t pte)
{
	return pte_clear_flags(pte, _PAGE_SWP_SOFT_DIRTY);
}

static inline bool is_migration_entry(swp_entry_t e)
{
	unsigned int t = swp_type(e);

	return t == SWP_MIGRATION_READ || t == SWP_MIGRATION_READ_EXCLUSIVE ||
	       t == SWP_MIGRATION_WRITE;
}

static inline bool is_writable_migration_entry(swp_entry_t e)
{
	return swp_type(e) == SWP_MIGRATION_WRITE;
}

static inline swp_entry_t make_readable_migration_entry(unsigned long pfn)
{
	return swp_entry(SWP_MIGRATION_READ, pfn);
}

static inline swp_entry_t
make_readable_exclusive_migration_entry(unsigned long pfn)
{
	return swp_entry(SWP_MIGRATION_READ_EXCLUSIVE, pfn);
}

static inline swp_entry_t make_writable_migration_entry(unsigned long pfn)
{
	return swp_entry(SWP_MIGRATION_WRITE, pfn);
}

/* the frame a migration entry stands for */
static inline unsigned long swp_offset_pfn(swp_entry_t e)
{
	return swp_offset(e);
}

#endif
