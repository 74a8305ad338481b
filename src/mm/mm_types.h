/* SPDX-License-Identifier: MIT */
/*
 * The memory-management objects: page-table descriptors, address spaces,
 * VMAs, anon_vmas, files, the CPUs with their TLBs, and the per-world
 * container that owns them all.
 *
 * Models include/linux/mm_types.h (struct mm_struct, struct
 * vm_area_struct, struct ptdesc), include/linux/mm.h (vm flags, struct
 * vm_fault, vm_operations_struct), include/linux/rmap.h (struct
 * anon_vma), include/linux/fs.h (struct file, struct address_space) and
 * arch/x86's per-CPU TLB state (cpu_tlbstate).
 *
 * Simplifications:
 *  - VMAs of an mm sit in a sorted array (at most MM_MAX_VMAS) instead of
 *    a maple tree; mmap()/mprotect() fail with -ENOMEM past the limit, as
 *    Linux does past vm.max_map_count.
 *  - One split PTE lock per PTE table (ptdesc->ptl); PMD entries are
 *    guarded by mm->page_table_lock (no split PMD locks).
 *  - No per-VMA locks: faults take mmap_lock for read.
 *  - anon_vma is a refcounted owner tag with a parent link (no chains, no
 *    interval tree): the rmap walk derives the chains from the links.
 *  - A CPU has one TLB level and no paging-structure caches; without
 *    PCID, switching mm flushes its whole TLB.  A CPU holds a reference
 *    (mm_count) on the mm it has loaded, like a lazy-TLB mm.
 *
 * Lock order: see the top of memory.c.
 */
#ifndef SECMMU_MM_MM_TYPES_H
#define SECMMU_MM_MM_TYPES_H

#include "core/locking.h"
#include "mm/pgtable.h"
#include "phys/page.h"

struct mm_struct;
struct vm_area_struct;
struct vm_fault;
struct mm_world;
struct file;
struct mmu_notifier_subscriptions;
struct mmu_notifier_world;
struct iommu;
struct oracle_mm;
struct oracle_world;

/* ---- page-table pages ---- */

/**
 * struct ptdesc - a page-table page (include/linux/mm_types.h)
 * @entries: the 512 entries; read and written only through the
 *	accessors of mm.h (each a schedule point)
 * @ptl: the split PTE lock of a PTE table (class "ptl")
 * @page: the frame holding this table (PAGE_STATE_PGTABLE); its
 *	->private points back here
 * @pt_mm: the mm this table belongs to (may be gone by the time an RCU
 *	callback frees the table: use @mmw there)
 * @mmw: the world's mm state
 * @pt_rcu_head: frees the table one grace period after the TLB flush
 * @level: 4 = PGD, 3 = PUD, 2 = PMD, 1 = PTE
 * @next_free: free list of descriptors (mm_world)
 *
 * The descriptor is aligned to its own size, so ptdesc_of() finds it from
 * a pointer to any of its entries, as Linux's virt_to_ptdesc() does.
 */
struct ptdesc {
	uint64_t entries[PTRS_PER_PTE];
	spinlock_t ptl;
	struct page *page;
	struct mm_struct *pt_mm;
	struct mm_world *mmw;
	struct rcu_head pt_rcu_head;
	int level;
	struct ptdesc *next_free;
} __attribute__((aligned(8192)));

_Static_assert(sizeof(struct ptdesc) == 8192, "ptdesc must be 8 KiB");

static inline struct ptdesc *ptdesc_of(const void *entry)
{
	return (struct ptdesc *)((uintptr_t)entry &
				 ~(uintptr_t)(sizeof(struct ptdesc) - 1));
}

/* ---- VMA flags (include/linux/mm.h) ---- */

typedef unsigned long vm_flags_t;

#define VM_NONE 0x00000000UL
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYREAD 0x00000010UL
#define VM_MAYWRITE 0x00000020UL
#define VM_MAYEXEC 0x00000040UL
#define VM_MAYSHARE 0x00000080UL
#define VM_GROWSDOWN 0x00000100UL
#define VM_PFNMAP 0x00000400UL
#define VM_LOCKED 0x00002000UL
#define VM_IO 0x00004000UL
#define VM_SEQ_READ 0x00008000UL
#define VM_RAND_READ 0x00010000UL
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_NORESERVE 0x00200000UL
#define VM_WIPEONFORK 0x02000000UL
#define VM_DONTDUMP 0x04000000UL
#define VM_SOFTDIRTY 0x08000000UL
#define VM_MIXEDMAP 0x10000000UL
#define VM_MERGEABLE 0x80000000UL
#define VM_GROWSUP VM_NONE

#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)
#define VM_SPECIAL (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)

/* ---- faults ---- */

typedef unsigned int vm_fault_t;

enum vm_fault_reason {
	VM_FAULT_OOM = 0x000001,
	VM_FAULT_SIGBUS = 0x000002,
	VM_FAULT_MAJOR = 0x000004,
	VM_FAULT_HWPOISON = 0x000010,
	VM_FAULT_SIGSEGV = 0x000040,
	VM_FAULT_NOPAGE = 0x000100,
	VM_FAULT_LOCKED = 0x000200,
	VM_FAULT_RETRY = 0x000400,
	VM_FAULT_FALLBACK = 0x000800,
	VM_FAULT_DONE_COW = 0x001000,
	VM_FAULT_COMPLETED = 0x004000,
};
#define VM_FAULT_ERROR \
	(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON)

enum fault_flag {
	FAULT_FLAG_WRITE = 1 << 0,
	FAULT_FLAG_ALLOW_RETRY = 1 << 2,
	FAULT_FLAG_RETRY_NOWAIT = 1 << 3,
	FAULT_FLAG_KILLABLE = 1 << 4,
	FAULT_FLAG_TRIED = 1 << 5,
	FAULT_FLAG_USER = 1 << 6,
	FAULT_FLAG_REMOTE = 1 << 7,
	FAULT_FLAG_INSTRUCTION = 1 << 8,
};

/**
 * struct vm_fault - one fault being handled (include/linux/mm.h)
 * @vma: the VMA of the address
 * @address: the faulting address, page aligned
 * @real_address: the faulting address as given
 * @flags: FAULT_FLAG_*
 * @pgoff: the address's page offset in the VMA's object
 * @pmd: the PMD entry covering the address
 * @cow_page: a private copy to map instead of @page (do_cow_fault)
 * @pte: the PTE, when mapped (then @ptl is its lock)
 * @orig_pte: the PTE value the handler decided on
 * @ptl: the PTE table's lock
 * @page: the page the handler works on (do_wp_page); the page ->fault
 *	returns, with a reference (locked if VM_FAULT_LOCKED)
 */
struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long address;
	unsigned long real_address;
	unsigned int flags;
	unsigned long pgoff;
	pmd_t *pmd;
	struct page *cow_page;
	pte_t *pte;
	pte_t orig_pte;
	spinlock_t *ptl;
	struct page *page;
};

/**
 * struct vm_operations_struct - a VMA's callbacks
 * @open: a new VMA was made from this one (split, fork)
 * @close: the VMA goes away
 * @fault: map the page at vmf->address; for VM_PFNMAP VMAs the driver
 *	calls vmf_insert_pfn() and returns VM_FAULT_NOPAGE
 */
struct vm_operations_struct {
	void (*open)(struct vm_area_struct *vma);
	void (*close)(struct vm_area_struct *vma);
	vm_fault_t (*fault)(struct vm_fault *vmf);
	const char *name;
};

/* ---- files ---- */

#define FMODE_READ 0x1u
#define FMODE_WRITE 0x2u

/**
 * struct file_operations - the part of a file's operations mmap needs
 * @mmap: set up @vma for this file (vm_ops, VM_PFNMAP, ...); 0 or -errno
 */
struct file_operations {
	int (*mmap)(struct file *file, struct vm_area_struct *vma);
};

/* the page cache of a file holds at most this many pages (128 MiB) */
#define XA_CHUNK_PAGES 512
#define XA_CHUNKS 64
#define MAX_FILE_PAGES (XA_CHUNK_PAGES * XA_CHUNKS)

/**
 * struct address_space - a file's pages and mappings (an inode, merged)
 * @mmw: the world's mm state
 * @i_rwsem: serialises size changes and writes (class "i_rwsem")
 * @i_size: size in bytes (i_size_read()/i_size_write(): atomic)
 * @i_pages_lock: guards the page cache index (the xarray's xa_lock,
 *	class "i_pages")
 * @xa: the page cache: index -> page, in chunks of XA_CHUNK_PAGES
 * @nrpages: pages in the cache
 * @i_mmap_rwsem: guards @i_mmap (class "i_mmap_rwsem")
 * @i_mmap: the VMAs mapping this file (vma->shared)
 * @swapbacked: shmem/tmpfs: pages are PG_swapbacked (MM_SHMEMPAGES)
 *
 * Pages in the cache hold one reference each and have ->mapping set to
 * the address_space and ->index to their offset; both are cleared when
 * truncation removes them, under the folio lock.
 */
struct address_space {
	struct mm_world *mmw;
	struct rw_semaphore i_rwsem;
	unsigned long i_size;
	spinlock_t i_pages_lock;
	struct page **xa[XA_CHUNKS];
	unsigned long nrpages;
	struct rw_semaphore i_mmap_rwsem;
	struct list_head i_mmap;
	bool swapbacked;
	struct address_space *next_free;
};

/**
 * struct file - an open file that can be mapped
 * @f_op: its operations
 * @f_mode: FMODE_READ / FMODE_WRITE
 * @f_mapping: its page cache (NULL for device files)
 * @f_count: references (fget/fput); mapping VMAs hold one each
 * @private_data: the driver's
 *
 * Each file with a page cache has its own address_space (one open per
 * inode); device files (VM_PFNMAP drivers) have none and belong to the
 * driver that made them.
 */
struct file {
	const struct file_operations *f_op;
	unsigned int f_mode;
	struct address_space *f_mapping;
	atomic_t f_count;
	void *private_data;
	struct file *next_free;
};

/* ---- anonymous memory ---- */

/**
 * struct anon_vma - the owner tag of anonymous pages (include/linux/rmap.h)
 * @root: the root of the fork tree
 * @parent: the anon_vma this one was forked from
 * @refcount: VMAs and children holding it
 *
 * A page's ->mapping points here.  There is no anon_vma_chain: the rmap
 * walk (rmap.c) finds the VMAs that may map a page of this anon_vma as
 * those whose own anon_vma is this one or a descendant (@parent links),
 * which is the set Linux's chains reach after fork.
 */
struct anon_vma {
	struct anon_vma *root;
	struct anon_vma *parent;
	atomic_t refcount;
	struct mm_world *mmw;
	struct anon_vma *next_free;
};

/* ---- reclaim: deferred TLB flushes and the swap store ---- */

/**
 * struct tlbflush_unmap_batch - TLB flushes reclaim deferred
 *	(include/linux/mm_types_task.h, arch/x86's arch_tlbflush_unmap_batch)
 * @cpumask: CPUs that may still cache a translation reclaim cleared
 * @flush_required: a PTE was cleared and not flushed yet
 * @writable: one of those PTEs was dirty or writable: the flush must
 *	happen before the page is written out (try_to_unmap_flush_dirty)
 *
 * Linux keeps one in each task (current->tlb_ubc); here the reclaiming
 * agent keeps it in its own context and passes it down.
 */
struct tlbflush_unmap_batch {
	unsigned long cpumask;
	bool flush_required;
	bool writable;
};

#define SWAP_SLOTS 64

/**
 * struct swap_slot - one slot of the in-model swap device
 * @count: swap PTEs naming the slot (swap_map's count)
 * @cache: the folio in the swap cache for this slot, with a reference
 * @store: the slot's content on "disk": a frame the content is copied
 *	into by swap_writepage(), freed with the slot
 */
struct swap_slot {
	int count;
	struct folio *cache;
	struct page *store;
};

/**
 * struct swap_info_struct - the single swap device (type 0)
 * @lock: guards every slot (class "swap_info", a leaf but for zone->lock)
 * @slots: the slots; swap entry offset i + 1 names slots[i]
 */
struct swap_info_struct {
	spinlock_t lock;
	struct swap_slot slots[SWAP_SLOTS];
};

/* ---- VMAs ---- */

/**
 * struct vm_area_struct - one mapping of an address space
 * @vm_mm: the address space
 * @vm_start: first address
 * @vm_end: first address after the mapping
 * @vm_flags: VM_*
 * @vm_page_prot: the PTE protection vm_flags give (vm_get_page_prot())
 * @vm_pgoff: offset in the file, in pages; for anonymous private
 *	mappings the address >> PAGE_SHIFT at creation
 * @vm_file: the mapped file, NULL for anonymous memory
 * @vm_ops: the file's callbacks, NULL for anonymous memory
 * @vm_private_data: the driver's
 * @anon_vma: owner of the VMA's anonymous pages, set on first anon fault
 * @shared: link in vm_file->f_mapping->i_mmap (i_mmap_rwsem)
 *
 * Every field is changed only with mmap_lock held for write.
 */
struct vm_area_struct {
	struct mm_struct *vm_mm;
	unsigned long vm_start;
	unsigned long vm_end;
	vm_flags_t vm_flags;
	pgprot_t vm_page_prot;
	unsigned long vm_pgoff;
	struct file *vm_file;
	const struct vm_operations_struct *vm_ops;
	void *vm_private_data;
	struct anon_vma *anon_vma;
	struct list_head shared;
	struct vm_area_struct *next_free;
};

/*
 * vm_flags change under mmap_lock (mprotect, madvise, clear_refs) while
 * rmap walkers that hold only i_mmap_rwsem (truncate's unmap_mapping_range
 * reaching tlb_end_vma) read bits that never change after mmap, such as
 * VM_PFNMAP.  Linux gets away with plain accesses to the word; the model
 * runs on real threads under TSan, so those writers and that reader use
 * relaxed atomics (vm_flags_reset / vma_flags_read).
 */
static inline void vm_flags_reset(struct vm_area_struct *vma, vm_flags_t flags)
{
	__atomic_store_n(&vma->vm_flags, flags, __ATOMIC_RELAXED);
}

static inline vm_flags_t vma_flags_read(const struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->vm_flags, __ATOMIC_RELAXED);
}

/* ---- address spaces ---- */

enum mm_counter {
	MM_FILEPAGES,
	MM_ANONPAGES,
	MM_SWAPENTS,
	MM_SHMEMPAGES,
	NR_MM_COUNTERS,
};

#define MM_MAX_VMAS 256
#define MM_MAX_CPUS 16 /* mm_cpumask is one word: at most 64 */

/**
 * struct mm_struct - an address space
 * @id: a small number, unique in the world for its lifetime (TLB tags)
 * @mmw: the world's mm state
 * @mmap_lock: guards the VMA array and VMA fields (class "mmap_lock")
 * @page_table_lock: guards the PGD/PUD/PMD entries of this mm's tables
 *	(class "page_table_lock")
 * @pgd: the top-level table
 * @vmas: the VMAs, sorted by address, @map_count of them; munmap may
 *	go two above MM_MAX_VMAS for a moment while it splits
 * @mm_users: users of the address space (exit_mmap() when it drops to 0)
 * @mm_count: references to the struct (the pgd is freed with it)
 * @tlb_flush_pending: mmu_gathers in progress (inc/dec_tlb_flush_pending)
 * @tlb_flush_batched: reclaim deferred a flush (flush_tlb_batched_pending):
 *	pending generations in bits 0-14, flushed ones in bits 16-30, or
 *	0/1 under rmap.tlb_flush_batched=bool
 * @cpu_bitmap: CPUs that may hold TLB entries of this mm (mm_cpumask)
 * @locked_vm: pages of VM_LOCKED VMAs (mmap_lock)
 * @pinned_vm: FOLL_LONGTERM pins
 * @total_vm: mapped pages (mmap_lock)
 * @rss_stat: resident pages by kind
 * @nr_ptes: page-table pages, the PGD included
 * @mmap_base: top of the top-down mmap search
 * @mmlist: the world's list of mms (for quiescent checks)
 * @soft_dirty_clears: completed clear_refs soft-dirty passes (atomic;
 *	the missed-dirty check looks at soft-dirty only after the first)
 * @missed_dirty_reported: a device's missed-dirty write was reported
 *	(once per mm: a device keeps writing through the same entry)
 */
struct mm_struct {
	int id;
	struct mm_world *mmw;
	struct rw_semaphore mmap_lock;
	spinlock_t page_table_lock;
	pgd_t *pgd;
	struct vm_area_struct *vmas[MM_MAX_VMAS + 2];
	int map_count;
	atomic_t mm_users;
	atomic_t mm_count;
	atomic_t tlb_flush_pending;
	int tlb_flush_batched;
	unsigned long cpu_bitmap;
	unsigned long locked_vm;
	atomic_long_t pinned_vm;
	unsigned long total_vm;
	long rss_stat[NR_MM_COUNTERS];
	long nr_ptes;
	unsigned long mmap_base;
	struct list_head mmlist;
	/* mmu notifiers: made with the mm, destroyed when it is freed */
	struct mmu_notifier_subscriptions *notifier_subscriptions;
	unsigned long soft_dirty_clears;
	bool missed_dirty_reported;
	/* the value oracle's model of this mm (src/check/oracle.c) or NULL */
	struct oracle_mm *oracle;
	struct mm_struct *next_free;
};

/* ---- CPUs and TLBs ---- */

#define TLB_ENTRIES 64

/**
 * struct tlb_entry - one cached translation
 * @vpn: virtual page number
 * @pfn: the frame
 * @gen: the frame's generation when the entry was filled
 * @fill_step: the world step of the fill
 * @mm_id: the mm it belongs to, 0 if the entry is invalid
 * @fill_agent: the agent whose access filled it
 * @writable: the PTE allowed writes (_PAGE_RW)
 * @user: the PTE allowed user access (_PAGE_USER)
 * @dirty: the PTE was dirty when cached; a write through a clean entry
 *	walks again to set the dirty bit, as x86 does
 * @reported: a stale use of this entry was reported already
 * @ptep: the leaf entry the walk read (for the checker's missed-dirty
 *	test; the table may be gone by the time the entry is used)
 * @leaf_level: 1 for a PTE, 2 for a PMD leaf
 */
struct tlb_entry {
	unsigned long vpn;
	unsigned long pfn;
	unsigned long gen;
	unsigned long fill_step;
	int mm_id;
	short fill_agent;
	bool writable;
	bool user;
	bool dirty;
	bool reported;
	unsigned char leaf_level;
	uint64_t *ptep;
};

/**
 * struct cpu - a simulated CPU
 * @id: its number (bit in mm_cpumask)
 * @mmw: the world's mm state
 * @tlb_lock: held for the whole of one memory access (an instruction)
 *	and by a remote flush while it edits @tlb: a shootdown lands
 *	between two instructions, as an IPI does (class "cpu_tlb")
 * @loaded_mm: the mm whose page tables CR3 points to (with a reference)
 * @tlb: the entries; @tlb_next is the FIFO replacement cursor
 * @nr_*: statistics (under @tlb_lock, nr_faults atomically)
 */
struct cpu {
	int id;
	struct mm_world *mmw;
	spinlock_t tlb_lock;
	struct mm_struct *loaded_mm;
	struct tlb_entry tlb[TLB_ENTRIES];
	unsigned int tlb_next;
	unsigned long nr_hits, nr_misses, nr_walks, nr_faults, nr_flushes;
};

/* ---- the world's mm state ---- */

/**
 * struct mm_inject - test-only fault injection: each knob breaks one
 * correctness rule so that tests can show the checker catches it
 * @munmap_skip_flush: munmap's mmu_gather frees pages without flushing
 *	the TLBs
 * @mprotect_skip_flush: mprotect never flushes the TLBs
 * @truncate_single_unmap: truncation unmaps the pages past the end only
 *	once, before removing them, so a fault that maps one in between
 *	leaves it mapped (truncate_pagecache's second unmap, and
 *	truncate_inode_folio's, are what prevent that)
 * @tlb_no_nested_flush: tlb_finish_mmu() ignores mm_tlb_flush_nested():
 *	a gather that found the PTEs already cleared by a concurrent one
 *	returns before that one flushed
 * @pgtable_free_no_rcu: unlinked page tables are freed right after the
 *	TLB flush, without waiting for a grace period
 * @fork_skip_flush: fork write-protects the parent's PTEs but does not
 *	flush its TLBs
 */
struct mm_inject {
	bool munmap_skip_flush;
	bool mprotect_skip_flush;
	bool truncate_single_unmap;
	bool tlb_no_nested_flush;
	bool pgtable_free_no_rcu;
	bool fork_skip_flush;
};

/* a fixed-size object cache over the world's arena (mm/slab_common.c) */
struct kmem_cache {
	const char *name;
	size_t size;
	void *free; /* objects linked through their first word */
};

/**
 * struct mm_world - the mm subsystem's state in one world
 * @w: the world
 * @pm: physical memory
 * @nr_cpus: CPUs in @cpus
 * @cpus: the CPUs
 * @needs_reset: world_reset() happened; mm_world_get() resets
 * @next_mm_id: ids for new mms
 * @mmlist_lock: guards @mmlist (class "mmlist_lock")
 * @mmlist: every live mm_struct
 * @mm_cachep, @vm_area_cachep, @anon_vma_cachep, @file_cachep,
 * @mapping_cachep, @xa_node_cachep: object caches
 * @ptdesc_free: free page-table descriptors
 * @ptdesc_chunks: every descriptor chunk (kept across resets)
 * @mmap_min_addr: vm.mmap_min_addr
 * @inject: test-only fault injection
 * @swap: the swap device reclaim writes anonymous pages to
 */
struct mm_world {
	struct world *w;
	struct phys_mem *pm;
	unsigned long nr_frames;
	int nr_cpus;
	struct cpu cpus[MM_MAX_CPUS];
	bool needs_reset;
	int next_mm_id;
	spinlock_t mmlist_lock;
	struct list_head mmlist;
	struct kmem_cache mm_cachep;
	struct kmem_cache vm_area_cachep;
	struct kmem_cache anon_vma_cachep;
	struct kmem_cache file_cachep;
	struct kmem_cache mapping_cachep;
	struct kmem_cache xa_node_cachep;
	struct ptdesc *ptdesc_free;
	struct ptdesc_chunk *ptdesc_chunks;
	unsigned long mmap_min_addr;
	struct mm_inject inject;
	struct swap_info_struct swap;
	/* the notifiers' per-world state (SRCU domain, checker) */
	struct mmu_notifier_world *nw;
	/* the IOMMU (src/iommu), made by iommu_get(); arena memory */
	struct iommu *iommu;
	/* the value oracle (src/check/oracle.c), NULL when off */
	struct oracle_world *oracle;
	/*
	 * Device MMIO (src/pci/pci.c): called for every CPU access to a
	 * PAGE_STATE_DEVICE frame, under cpu_tlb; false if the device does
	 * not decode it (the access then reads all ones, writes are
	 * dropped).  NULL when no PCI device exists.
	 */
	bool (*mmio_access)(struct mm_world *mmw, struct cpu *cpu,
			    const struct tlb_entry *e, unsigned long va,
			    bool write);
	/*
	 * The same for a device's DMA (peer-to-peer, through the IOMMU) to
	 * a PAGE_STATE_DEVICE frame: @initiator names the DMA's device.
	 */
	bool (*p2p_access)(struct mm_world *mmw, const char *initiator,
			   unsigned long pfn, unsigned long off, bool write);
	void *mmio_priv;
};

#endif
