/* SPDX-License-Identifier: MIT */
/*
 * The mm subsystem's interface: the world's mm state, address-space
 * lifetime, page-table access, the fault handler and the syscall-level
 * operations (mmap, munmap, mprotect, madvise, fork, exit).
 *
 * Models include/linux/mm.h, include/linux/pgtable.h,
 * include/linux/mmap_lock.h, include/uapi/asm-generic/mman-common.h and
 * the syscall entry points of mm/mmap.c, mm/mprotect.c, mm/madvise.c and
 * kernel/fork.c.
 *
 * Simplifications: there is no `current->mm`; every operation names its
 * mm.  Syscall-level functions return what the syscall would: an address
 * or -errno for vm_mmap(), 0 or -errno for the others.
 *
 * Page-table accessors: every read or write of an entry is a schedule
 * point (they are READ_ONCE/WRITE_ONCE in Linux, and the hardware walker
 * races with them).  Loads are acquire and stores release, so a table
 * published by pmd_populate() is seen initialised by a lockless walker.
 *
 * Lock order: see the top of memory.c.
 */
#ifndef SECMMU_MM_MM_H
#define SECMMU_MM_MM_H

#include <errno.h>

#include "mm/mm_types.h"
#include "notifier/mmu_notifier.h"

/* ---- mman constants (values of the Linux x86-64 ABI) ---- */

#ifndef PROT_READ
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define PROT_SEM 0x8
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP 0x02000000
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_SYNC 0x80000
#define MAP_FIXED_NOREPLACE 0x100000
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

/* what a CPU access returns besides 0 */
#define CPU_SIGSEGV (-EFAULT)
#define CPU_SIGBUS (-EBUSY)

#define IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-4095)

/* ---- the world's mm state (mm_world.c) ---- */

struct mm_world *mm_world_get(struct world *w, unsigned long nr_frames,
			      int nr_cpus);
struct cpu *mm_cpu(struct mm_world *mmw, int id);
struct ptdesc *ptdesc_alloc(struct mm_world *mmw);
void ptdesc_free(struct mm_world *mmw, struct ptdesc *pt);

static inline struct mm_world *mm_world_of(struct mm_struct *mm)
{
	return mm->mmw;
}

/* slab.c: object caches over the world's arena */
void kmem_cache_init(struct kmem_cache *c, const char *name, size_t size);
void *kmem_cache_zalloc(struct mm_world *mmw, struct kmem_cache *c);
void kmem_cache_free(struct mm_world *mmw, struct kmem_cache *c, void *obj);

/* ---- address-space lifetime (kernel/fork.c) ---- */

struct mm_struct *mm_alloc(struct mm_world *mmw);
void mmget(struct mm_struct *mm);
bool mmget_not_zero(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
struct mm_struct *dup_mm(struct mm_struct *oldmm);
void exit_mmap(struct mm_struct *mm);

static inline void mmap_read_lock(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
}

static inline void mmap_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
}

static inline void mmap_write_lock(struct mm_struct *mm)
{
	down_write(&mm->mmap_lock);
}

static inline int mmap_write_lock_killable(struct mm_struct *mm)
{
	return down_write_killable(&mm->mmap_lock);
}

static inline void mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_lock);
}

static inline void mmap_write_downgrade(struct mm_struct *mm)
{
	downgrade_write(&mm->mmap_lock);
}

static inline void mmap_assert_locked(struct mm_struct *mm)
{
	lockdep_assert_held(&mm->mmap_lock);
}

/* ---- counters ---- */

static inline void add_mm_counter(struct mm_struct *mm, int member, long v)
{
	__atomic_add_fetch(&mm->rss_stat[member], v, __ATOMIC_RELAXED);
}

static inline long get_mm_counter(struct mm_struct *mm, int member)
{
	return __atomic_load_n(&mm->rss_stat[member], __ATOMIC_RELAXED);
}

static inline void inc_tlb_flush_pending(struct mm_struct *mm)
{
	atomic_inc(&mm->tlb_flush_pending);
}

static inline void dec_tlb_flush_pending(struct mm_struct *mm)
{
	atomic_dec(&mm->tlb_flush_pending);
}

static inline bool mm_tlb_flush_pending(struct mm_struct *mm)
{
	return atomic_read(&mm->tlb_flush_pending) > 0;
}

/* more than one mmu_gather of this mm in flight (mm_tlb_flush_nested) */
static inline bool mm_tlb_flush_nested(struct mm_struct *mm)
{
	return atomic_read(&mm->tlb_flush_pending) > 1;
}

/* ---- page-table entries: access (each a schedule point) ---- */

#define __PT_LOAD(p)                                    \
	({                                              \
		sched_point(SP_MEM, (p));               \
		__atomic_load_n((p), __ATOMIC_ACQUIRE); \
	})
#define __PT_STORE(p, v)                                      \
	do {                                                  \
		sched_point(SP_MEM, (p));                     \
		__atomic_store_n((p), (v), __ATOMIC_RELEASE); \
	} while (0)

static inline pte_t ptep_get(pte_t *ptep)
{
	return __pte(__PT_LOAD(&ptep->pte));
}

/*
 * ptep_get() for a walk that holds @ptl, the lock of @ptep's table.  An
 * empty entry only ever changes under that lock (no path, not even a
 * hardware walker, fills a none PTE locklessly), so nothing another agent
 * does can change what this load returns while the lock is held: a
 * schedule point before it would only add interleavings equivalent to
 * existing ones, and a 512-entry walk over holes would cost 512 of them.
 * Other values keep their schedule point, and are read again after it,
 * since a hardware walker may set the accessed or dirty bit meanwhile.
 */
static inline pte_t ptep_get_locked(pte_t *ptep, spinlock_t *ptl)
{
	pte_t pte = __pte(__atomic_load_n(&ptep->pte, __ATOMIC_ACQUIRE));

	lockdep_assert_held(ptl);
	return pte_none(pte) ? pte : ptep_get(ptep);
}

static inline pmd_t pmdp_get(pmd_t *pmdp)
{
	return __pmd(__PT_LOAD(&pmdp->pmd));
}

static inline pud_t pudp_get(pud_t *pudp)
{
	return __pud(__PT_LOAD(&pudp->pud));
}

static inline pgd_t pgdp_get(pgd_t *pgdp)
{
	return __pgd(__PT_LOAD(&pgdp->pgd));
}

static inline void set_pte_at(struct mm_struct *mm, unsigned long addr,
			      pte_t *ptep, pte_t pte)
{
	__PT_STORE(&ptep->pte, pte_val(pte));
}

static inline void pte_clear(struct mm_struct *mm, unsigned long addr,
			     pte_t *ptep)
{
	__PT_STORE(&ptep->pte, 0);
}

/* atomic: the hardware may set A/D bits concurrently */
static inline pte_t ptep_get_and_clear(struct mm_struct *mm, unsigned long addr,
				       pte_t *ptep)
{
	sched_point(SP_MEM, ptep);
	return __pte(__atomic_exchange_n(&ptep->pte, 0, __ATOMIC_ACQ_REL));
}

static inline void ptep_set_wrprotect(struct mm_struct *mm, unsigned long addr,
				      pte_t *ptep)
{
	sched_point(SP_MEM, ptep);
	__atomic_fetch_and(&ptep->pte, ~_PAGE_RW, __ATOMIC_ACQ_REL);
}

/* the hardware walker's cmpxchg (A/D bits); true if it took */
static inline bool ptep_cmpxchg(pte_t *ptep, pte_t old, pte_t new)
{
	uint64_t o = pte_val(old);

	sched_point(SP_ATOMIC, ptep);
	return __atomic_compare_exchange_n(&ptep->pte, &o, pte_val(new), false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static inline void set_pmd(pmd_t *pmdp, pmd_t pmd)
{
	__PT_STORE(&pmdp->pmd, pmd_val(pmd));
}

static inline void set_pud(pud_t *pudp, pud_t pud)
{
	__PT_STORE(&pudp->pud, pud_val(pud));
}

static inline void set_pgd(pgd_t *pgdp, pgd_t pgd)
{
	__PT_STORE(&pgdp->pgd, pgd_val(pgd));
}

static inline void pmd_clear(pmd_t *pmdp)
{
	set_pmd(pmdp, __pmd(0));
}

static inline void pud_clear(pud_t *pudp)
{
	set_pud(pudp, __pud(0));
}

static inline void pgd_clear(pgd_t *pgdp)
{
	set_pgd(pgdp, __pgd(0));
}

/* ---- page tables (pgtable.c) ---- */

struct ptdesc *pagetable_alloc(struct mm_struct *mm, int level);
void pagetable_free(struct ptdesc *pt);
struct ptdesc *ptdesc_of_pfn(struct phys_mem *pm, unsigned long pfn);

pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr);
pud_t *pud_offset(pgd_t *pgd, unsigned long addr);
pmd_t *pmd_offset(pud_t *pud, unsigned long addr);
pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long addr);

pud_t *pud_alloc(struct mm_struct *mm, pgd_t *pgd, unsigned long addr);
pmd_t *pmd_alloc(struct mm_struct *mm, pud_t *pud, unsigned long addr);
int __pte_alloc(struct mm_struct *mm, pmd_t *pmd);
#define pte_alloc(mm, pmd) (pmd_none(pmdp_get(pmd)) && __pte_alloc(mm, pmd))

pte_t *pte_offset_map_nolock(struct mm_struct *mm, pmd_t *pmd,
			     unsigned long addr, spinlock_t **ptlp);
pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			   spinlock_t **ptlp);
pte_t *pte_alloc_map_lock(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
			  spinlock_t **ptlp);
void pte_unmap(pte_t *pte);
void pte_unmap_unlock(pte_t *pte, spinlock_t *ptl);
spinlock_t *pmd_lock(struct mm_struct *mm, pmd_t *pmd);

pgd_t *pgd_alloc(struct mm_struct *mm);
void pgd_free(struct mm_struct *mm, pgd_t *pgd);

/* ---- VMAs (mmap.c) ---- */

void mm_init_mmap(struct mm_struct *mm);
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm,
					     unsigned long start,
					     unsigned long end);
int vma_index(struct mm_struct *mm, struct vm_area_struct *vma);
pgprot_t vm_get_page_prot(vm_flags_t vm_flags);
int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below);
int vma_modify(struct vm_area_struct **vmap, unsigned long start,
	       unsigned long end);
void vma_merge_around(struct mm_struct *mm, int idx);
struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm,
					   struct vm_area_struct *tmpl,
					   unsigned long addr, unsigned long end,
					   unsigned long pgoff);
void vma_set_page_prot(struct vm_area_struct *vma);
bool vma_wants_writenotify(struct vm_area_struct *vma);
/* for mremap.c: mmap_lock held for write */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);
int vma_link(struct mm_struct *mm, struct vm_area_struct *vma);
unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long addr,
				unsigned long len, unsigned long flags);
int do_vmi_munmap(struct mm_struct *mm, unsigned long start, size_t len,
		  bool unlock);

static inline bool vma_is_anonymous(struct vm_area_struct *vma)
{
	return !vma->vm_ops;
}

static inline bool vma_is_accessible(struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_ACCESS_FLAGS;
}

/* private and may be written: pages are copied on write */
static inline bool is_cow_mapping(vm_flags_t flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

static inline unsigned long linear_page_index(struct vm_area_struct *vma,
					      unsigned long address)
{
	return ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}

static inline unsigned long vma_pages(struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* ---- rmap, minimal (rmap.c) ---- */

int anon_vma_prepare(struct vm_area_struct *vma);
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma);
void anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src);
void unlink_anon_vmas(struct vm_area_struct *vma);
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long address);
void folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma);
void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma);
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *dst_vma,
				struct vm_area_struct *src_vma);

/* ---- rmap walks, unmapping, the batched flush (rmap.c) ---- */

/**
 * struct rmap_walk_control - what rmap_walk() does at each mapping
 * @arg: passed to the callbacks
 * @rmap_one: called with the VMA and the address @folio would be mapped
 *	at (the PTE may map something else); false stops the walk
 * @done: optional; true stops the walk
 */
struct rmap_walk_control {
	void *arg;
	bool (*rmap_one)(struct folio *folio, struct vm_area_struct *vma,
			 unsigned long addr, void *arg);
	bool (*done)(struct folio *folio);
};

enum ttu_flags {
	TTU_BATCH_FLUSH = 0x20, /* defer the TLB flush into the batch */
	TTU_MIGRATION = 0x100, /* leave migration entries (migrate.c) */
};

#define RMAP_MAX_MMS 16

/* mms whose mmap_lock an rmap walker holds for read (rmap_lock_mms) */
struct rmap_mm_set {
	int nr;
	struct mm_struct *mms[RMAP_MAX_MMS];
};

bool rmap_walk(struct folio *folio, struct rmap_walk_control *rwc);
int rmap_lock_mms(struct mm_world *mmw, struct rmap_mm_set *set, bool all);
void rmap_unlock_mms(struct rmap_mm_set *set);
void rmap_walk_anon_locked(struct folio *folio, struct rmap_walk_control *rwc,
			   struct rmap_mm_set *set);
pmd_t *mm_find_pmd(struct mm_struct *mm, unsigned long addr);
int folio_referenced(struct folio *folio);
int page_idle_clear_pte_refs(struct folio *folio);
bool try_to_unmap(struct folio *folio, enum ttu_flags flags,
		  struct tlbflush_unmap_batch *tlb_ubc);
void try_to_unmap_flush(struct mm_world *mmw,
			struct tlbflush_unmap_batch *tlb_ubc);
void try_to_unmap_flush_dirty(struct mm_world *mmw,
			      struct tlbflush_unmap_batch *tlb_ubc);
bool mm_tlb_flush_batched_pending(struct mm_struct *mm);
void flush_tlb_batched_pending(struct mm_struct *mm);
bool try_to_migrate(struct folio *folio, struct rmap_mm_set *set);

/* ---- migration (migrate.c) ---- */

int migrate_folio_one(struct mm_world *mmw, struct folio *folio);

/* ---- KSM (ksm.c) ---- */

int ksm_merge_pair(struct mm_struct *mm, unsigned long addr1,
		   unsigned long addr2);

/* ---- the swap store (swapfile.c) ---- */

static inline bool non_swap_entry(swp_entry_t e)
{
	return swp_type(e) >= MAX_SWAPFILES;
}

swp_entry_t folio_alloc_swap(struct mm_world *mmw, struct folio *folio);
void swap_duplicate(struct mm_world *mmw, swp_entry_t entry);
int swap_free(struct mm_world *mmw, swp_entry_t entry);
struct folio *swap_cache_get_folio(struct mm_world *mmw, swp_entry_t entry);
int swap_read_store(struct mm_world *mmw, swp_entry_t entry, struct page *page);
void swap_writepage(struct mm_world *mmw, struct folio *folio);
bool swap_remove_mapping(struct mm_world *mmw, struct folio *folio,
			 int expected_refs);
void delete_from_swap_cache(struct mm_world *mmw, struct folio *folio);
bool folio_free_swap(struct mm_world *mmw, struct folio *folio);
unsigned long nr_swap_slots_used(struct mm_world *mmw);

/* ---- reclaim (vmscan.c) ---- */

/**
 * struct scan_control - one reclaim pass (mm/vmscan.c)
 * @nr_to_reclaim: stop after freeing this many pages
 * @nr_scanned: folios looked at
 * @nr_reclaimed: folios freed
 * @ignore_references: reclaim young pages too (MADV_PAGEOUT's
 *	reclaim_pages() does); else a referenced page is kept
 * @tlb_ubc: the reclaiming agent's batch of deferred TLB flushes
 */
struct scan_control {
	unsigned long nr_to_reclaim;
	unsigned long nr_scanned;
	unsigned long nr_reclaimed;
	bool ignore_references;
	struct tlbflush_unmap_batch *tlb_ubc;
};

unsigned long shrink_folio_list(struct mm_world *mmw, struct folio **folios,
				int nr, struct scan_control *sc);
unsigned long kswapd_shrink(struct mm_world *mmw, struct scan_control *sc);

/* ---- faults and zapping (memory.c) ---- */

struct mmu_gather;

int mm_counter(struct page *page);
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr,
			    pte_t pte);
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags);
vm_fault_t vmf_insert_pfn(struct vm_area_struct *vma, unsigned long addr,
			  unsigned long pfn);
/**
 * struct follow_pfnmap_args - follow_pfnmap_start()'s input and output
 * @vma: in: a VM_IO/VM_PFNMAP VMA
 * @address: in: the user address
 * @pfn: out: the frame mapped there
 * @addr_mask: out: the mask of the mapping's size (PAGE_MASK here)
 * @writable: out: the PTE allows writes
 */
struct follow_pfnmap_args {
	struct vm_area_struct *vma;
	unsigned long address;
	unsigned long pfn;
	unsigned long addr_mask;
	bool writable;
	/* private: the PTE lock held until follow_pfnmap_end() */
	spinlock_t *lock;
	pte_t *ptep;
};

int follow_pfnmap_start(struct follow_pfnmap_args *args);
void follow_pfnmap_end(struct follow_pfnmap_args *args);
int remap_pfn_range(struct vm_area_struct *vma, unsigned long addr,
		    unsigned long pfn, unsigned long size, pgprot_t prot);
int io_remap_pfn_range(struct vm_area_struct *vma, unsigned long addr,
		       unsigned long pfn, unsigned long size, pgprot_t prot);
void zap_vma_ptes(struct vm_area_struct *vma, unsigned long address,
		  unsigned long size);
int ptep_set_access_flags(struct vm_area_struct *vma, unsigned long address,
			  pte_t *ptep, pte_t entry, int dirty);
pte_t ptep_clear_flush(struct vm_area_struct *vma, unsigned long address,
		       pte_t *ptep);
pte_t ptep_clear_flush_notify(struct vm_area_struct *vma, unsigned long address,
			      pte_t *ptep);
void unmap_page_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
		      unsigned long addr, unsigned long end);
void unmap_vmas(struct mmu_gather *tlb, struct vm_area_struct **vmas, int nr,
		unsigned long start, unsigned long end);
void zap_page_range_single(struct vm_area_struct *vma, unsigned long address,
			   unsigned long size);
void free_pgd_range(struct mmu_gather *tlb, unsigned long addr,
		    unsigned long end, unsigned long floor,
		    unsigned long ceiling);
void free_pgtables(struct mmu_gather *tlb, struct vm_area_struct **vmas, int nr,
		   unsigned long floor, unsigned long ceiling);
int copy_page_range(struct vm_area_struct *dst_vma,
		    struct vm_area_struct *src_vma);
int mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len);
void populate_vma_page_range(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end);

/* ---- page-table walks (pagewalk.c) ---- */

struct mm_walk;

/**
 * struct mm_walk_ops - callbacks of walk_page_range()
 * @pmd_entry: called for each PMD entry that holds a PTE table, with the
 *	part [addr, next) of the walk it covers; non-zero stops the walk
 */
struct mm_walk_ops {
	int (*pmd_entry)(pmd_t *pmd, unsigned long addr, unsigned long next,
			 struct mm_walk *walk);
};

struct mm_walk {
	const struct mm_walk_ops *ops;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	void *private;
};

int walk_page_range_vma(struct vm_area_struct *vma, unsigned long start,
			unsigned long end, const struct mm_walk_ops *ops,
			void *private);

/* ---- files (filemap.c, shmem.c) ---- */

static inline unsigned long i_size_read(struct address_space *mapping)
{
	return __atomic_load_n(&mapping->i_size, __ATOMIC_ACQUIRE);
}

/* i_rwsem held for write */
static inline void i_size_write(struct address_space *mapping,
				unsigned long size)
{
	__atomic_store_n(&mapping->i_size, size, __ATOMIC_RELEASE);
}

struct page *filemap_get_page(struct address_space *mapping,
			      unsigned long index);
struct page *filemap_grab_page(struct address_space *mapping,
			       unsigned long index);
vm_fault_t filemap_fault(struct vm_fault *vmf);
int filemap_write_word(struct file *file, unsigned long pos, uint64_t val);
int filemap_read_word(struct file *file, unsigned long pos, uint64_t *val);
void truncate_inode_pages(struct address_space *mapping, unsigned long lstart);
void truncate_pagecache(struct address_space *mapping, unsigned long newsize);
void filemap_free_index(struct address_space *mapping);

struct file *shmem_file_setup(struct mm_world *mmw, unsigned long size);
int shmem_zero_setup(struct vm_area_struct *vma);
struct file *get_file(struct file *file);
void fput(struct file *file);
int vfs_truncate(struct file *file, unsigned long length);

void unmap_mapping_pages(struct address_space *mapping, unsigned long start,
			 unsigned long nr, bool even_cows);
void unmap_mapping_range(struct address_space *mapping,
			 unsigned long holebegin, unsigned long holelen,
			 bool even_cows);
void vma_link_file(struct vm_area_struct *vma);
struct address_space *vma_prepare(struct vm_area_struct *vma);
void vma_complete(struct address_space *mapping);
void __vma_link_file(struct vm_area_struct *vma, struct address_space *mapping);
void __vma_relink_file(struct vm_area_struct *vma,
		       struct address_space *mapping);
void unlink_file_vma(struct vm_area_struct *vma);

/* ---- syscalls ---- */

unsigned long vm_mmap(struct mm_struct *mm, struct file *file,
		      unsigned long addr, unsigned long len, unsigned long prot,
		      unsigned long flags, unsigned long offset);
int vm_munmap(struct mm_struct *mm, unsigned long start, size_t len);
long change_protection(struct mmu_gather *tlb, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end,
		       unsigned long cp_flags);
int do_mprotect_pkey(struct mm_struct *mm, unsigned long start, size_t len,
		     unsigned long prot, int pkey);
int do_madvise(struct mm_struct *mm, unsigned long start, size_t len_in,
	       int behavior);

/* mremap.c */
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
unsigned long do_mremap(struct mm_struct *mm, unsigned long addr,
			unsigned long old_len, unsigned long new_len,
			unsigned long flags, unsigned long new_addr);
unsigned long move_page_tables(struct vm_area_struct *vma,
			       unsigned long old_addr,
			       struct vm_area_struct *new_vma,
			       unsigned long new_addr, unsigned long len,
			       bool need_rmap_locks);

#endif
