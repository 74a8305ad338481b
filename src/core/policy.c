// SPDX-License-Identifier: MIT
/*
 * The knob registry and the presets (see policy.h).
 *
 * Adding a knob: add its id to enum knob_id, its entry to knobs[] (the
 * default is the newest, fixed behaviour), and its older values to the
 * presets of the versions that behaved differently.  A preset lists only
 * the knobs that differ from the default.
 *
 * Locking: none; the tables are constant and a struct policy is not
 * shared while it is written (policy.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "policy.h"
#include "suggest.h"

BUILD_BUG_ON(NR_KNOBS > 64);

static const char *const secondary_tlb_flush_values[] = {
	[SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH] = "with_tlb_flush",
	[SECONDARY_TLB_FLUSH_IN_RANGE_END] = "in_range_end",
	[SECONDARY_TLB_FLUSH_NONE] = "none",
	NULL,
};

static const char *const iommu_fault_during_invalidation_values[] = {
	[IOMMU_FAULT_INV_WAIT] = "wait",
	[IOMMU_FAULT_INV_REFAULT] = "refault",
	NULL,
};

static const char *const vfio_pci_design_values[] = {
	[VFIO_PCI_DESIGN_UNMAP_MAPPING_RANGE] = "unmap_mapping_range",
	[VFIO_PCI_DESIGN_VMA_LIST] = "vma_list",
	[VFIO_PCI_DESIGN_VMA_LIST_TRYLOCK] = "vma_list_trylock",
	[VFIO_PCI_DESIGN_PAUSE_FAULTS] = "pause_faults",
	[VFIO_PCI_DESIGN_MEMORY_LOCK_OUTER] = "memory_lock_outer",
	[VFIO_PCI_DESIGN_VMA_LIST_58] = "vma_list_5_8",
	NULL,
};

static const char *const tlb_flush_batched_values[] = {
	[TLB_FLUSH_BATCHED_COUNTERS] = "counters",
	[TLB_FLUSH_BATCHED_BOOL] = "bool",
	NULL,
};

static const char *const iommu_dma_invalidation_values[] = {
	"strict", /* IOMMU_DMA_STRICT (src/iommu/dma-iommu.h) */
	"deferred", /* IOMMU_DMA_DEFERRED */
	NULL,
};

static const char *const vfio_noncoherent_flush_values[] = {
	[VFIO_NC_FLUSH_NONE] = "none",
	[VFIO_NC_FLUSH_MAP_AND_UNPIN] = "map_and_unpin",
	NULL,
};

static const char *const vfio_cache_flush_bookkeeping_values[] = {
	[VFIO_CFR_V1] = "v1",
	[VFIO_CFR_KEEP_SET] = "keep_set",
	[VFIO_CFR_PLAIN] = "plain",
	NULL,
};

static const char *const tdp_zap_mmu_lock_values[] = { "write", "read", NULL };
static const char *const tdp_nx_recovery_zap_values[] = { "parent_spte",
							    "range", NULL };
static const char *const kvm_pfncache_retry_values[] = { "active_count",
							   "in_progress", NULL };

const struct knob knobs[NR_KNOBS] = {
	[KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK] = {
		.name = "mremap.flush_before_ptl_unlock",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "move_ptes() flushes the moved range from the TLBs before it drops the page-table locks; false flushes after, so a racing truncate can free a page a TLB still maps",
		.history = "CVE-2018-18281, fixed in 4.19 by eb66ae030829 \"mremap: properly flush TLB before releasing the page\"",
	},
	[KNOB_RMAP_BATCHED_FLUSH_PENDING] = {
		.name = "rmap.batched_flush_pending",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "mprotect/munmap/madvise call flush_tlb_batched_pending() under the PTL, completing reclaim's deferred (TTU_BATCH_FLUSH) flush before trusting a PTE it already cleared; false skips it and leaves a stale writable TLB entry",
		.history = "2017 race, fixed in 4.13 by 3ea277194daa \"mm, mprotect: flush TLB if potentially racing with a parallel reclaim leaving stale TLB entries\"",
	},
	[KNOB_NOTIFIER_SECONDARY_TLB_FLUSH] = {
		.name = "notifier.secondary_tlb_flush",
		.type = KNOB_ENUM,
		.values = secondary_tlb_flush_values,
		.def = SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH,
		.meaning = "when secondary TLBs are invalidated: with_tlb_flush = wherever the CPU TLB is flushed (arch_invalidate_secondary_tlbs), in_range_end = ->invalidate_range() from the _notify helpers and invalidate_range_end, none = only start/end (refault until end)",
		.history = "with_tlb_flush since 6.6: 6bbd42e2df8f \"mmu_notifiers: call invalidate_range() when invalidating TLBs\" (the callback renamed arch_invalidate_secondary_tlbs by 1af5a8109904); in_range_end = 3.19-6.5: ->invalidate_range() came with 0f0a327fa12c \"mmu_notifier: add the callback for mmu_notifier_invalidate_range()\" (2014-11-13) and was called from invalidate_range_end, from tlb_flush_mmu_tlbonly() right after tlb_flush(), and from the _notify helpers under the PT lock (ptep_clear_flush_notify in wp_page_copy and try_to_unmap_one); none = before 3.19 (start/end only)",
	},
	[KNOB_MIRROR_READ_RETRY] = {
		.name = "mirror.read_retry",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "the mirror device (src/devices/mirror.c) checks mmu_interval_read_retry() under its mutex before installing entries built from a page-table walk; false installs without the check, so an entry built from a PTE that an invalidation has since changed becomes visible (a driver bug, not a kernel version)",
		.history = "lib/test_hmm.c's dmirror (5.7, \"mm/hmm/test: add selftest driver for HMM\") uses mmu_interval_read_begin/read_retry, the HMM contract documented in Documentation/mm/hmm.rst; false models a driver that skips it",
	},
	[KNOB_NOTIFIER_NONBLOCK_FAIL_ENDS_ITREE] = {
		.name = "notifier.nonblock_fail_ends_itree",
		.type = KNOB_BOOL,
		.def = false, /* Linux today: no fix exists (see .history) */
		.meaning = "a non-blockable invalidate_range_start whose interval-tree part succeeded but whose plain subscriber returned -EAGAIN: false = return -EAGAIN without ending the interval epoch (Linux), so active_invalidate_ranges stays raised and invalidate_seq odd, and read_begin/remove on every collided interval sleep for ever; true = end the interval epoch first (a proposed fix; the model's behaviour before this knob existed)",
		.history = "false since the interval notifier came in 5.5 (99cb252f5e68 \"mm/mmu_notifier: add an interval tree notifier\"): __mmu_notifier_invalidate_range_start returns mn_hlist_invalidate_range_start's error without mn_itree_inv_end; unchanged in the mm/mmu_notifier.c read for this model (a recent tree); found by this model, no upstream report or fix found; needs the OOM reaper (the non-blockable caller) on an mm with both an interval notifier and a plain subscriber that refuses non-blockable starts; true is not a Linux version",
	},
	[KNOB_CLEAR_REFS_FLUSH_TLB] = {
		.name = "clear_refs.flush_tlb",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "clear_refs (writing 4: soft-dirty) flushes the mm's TLBs after write-protecting and cleaning the PTEs; false skips the flush, so a CPU keeps a writable TLB entry and its next writes set no soft-dirty bit (missed-dirty)",
		.history = "false = 5.5-5.11: since 0758cd830494 \"asm-generic/tlb: avoid potential double flush\" (5.5, also in 4.19.y stable) tlb_finish_mmu() flushes nothing when no entry went through tlb_remove_*(), so clear_refs' mmu_gather write-protected the PTEs without any TLB flush (generic mmu_gather: x86 and arm64 alike); fixed by 912efa17e512 \"mm: proc: Invalidate TLB after clearing soft-dirty page state\" (Will Deacon, posted 2021-01-27, merged for 5.12 as far as its tip Link shows, backported to 5.10.y): flush_tlb_mm under inc_tlb_flush_pending",
	},
	[KNOB_IOMMU_FAULT_DURING_INVALIDATION] = {
		.name = "iommu.fault_during_invalidation",
		.type = KNOB_ENUM,
		.values = iommu_fault_during_invalidation_values,
		.def = IOMMU_FAULT_INV_WAIT,
		.meaning = "an SVA page request that arrives while an invalidation brackets the mm (the pre-3.19 AMD IOMMUv2 glue under notifier.secondary_tlb_flush=none points the PASID at an empty table from invalidate_range_start to _end): wait = the iopf worker waits for the end, then faults the page in; refault = it fixes the CPU page table and answers success at once, the IOMMU still cannot translate, the device faults again",
		.history = "the AMD IOMMUv2 driver (drivers/iommu/amd_iommu_v2.c; the versions it shipped in were not checked here) answered such requests with success and let the device refault; with devices that give up after a few retries this is why ->invalidate_range() was added in 3.19 (0f0a327fa12c \"mmu_notifier: add the callback for mmu_notifier_invalidate_range()\", 2014-11-13)",
	},
	[KNOB_IOMMU_REFAULT_LIMIT] = {
		.name = "iommu.refault_limit",
		.type = KNOB_UINT,
		.min = 1,
		.max = 1000,
		.def = 8,
		.meaning = "page requests a device retries for one access after they were answered success; one more fault and the device gives up (failure state, reported as device-failure)",
		.history = "device-specific: PCIe PRI devices (GPUs, accelerators) bound the retries of one translation; the 2014 invalidate_range series was motivated by devices failing this way",
	},
	[KNOB_IOMMU_INVALIDATE_ON_UPGRADE] = {
		.name = "iommu.invalidate_on_upgrade",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "under arch arm64 (world: arch:), a PTE made more permissive in ptep_set_access_flags (a write fault reusing the page) also invalidates the secondary TLBs of the mm, through arm64's flush_tlb_page; false leaves an SMMU IOTLB, which keeps a read-only entry after a permission fault, with that entry, and the device faults forever on a page the fault handler finds already writable.  No effect under x86: its ptep_set_access_flags never flushes, and VT-d walks again after a permission fault",
		.history = "arm64 SMMUv3 SVA, fixed in 6.6 by 6bbd42e2df8f \"mmu_notifiers: call invalidate_range() when invalidating TLBs\" (Alistair Popple, 2023): the secondary flush moved into the arch TLB flush, which arm64 also does on a permission upgrade",
	},
	[KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL] = {
		.name = "rmap.secondary_flush_under_ptl",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "try_to_unmap_one() invalidates the secondary TLBs of the page while it holds the page-table lock (ptep_clear_flush_notify); false leaves it to invalidate_range_end after the lock is dropped, when a new PTE may already be installed",
		.history = "false = up to 4.10: try_to_unmap_one() called mmu_notifier_invalidate_page() after dropping the PT lock; 4.11's c7ab0d2fdc84 \"mm: convert try_to_unmap_one() to use page_vma_mapped_walk()\" moved that call under the lock (unintended: sleeping notifiers broke, 2017 reports), and 4.13's 369ea8242c0f \"mm/rmap: update to new mmu_notifier semantic v2\" (2017-08-31) made it ptep_clear_flush_notify() under the lock inside a start/end bracket; true ever since (6.6: arch_tlbbatch_add_pending / flush_tlb_page reach the secondaries)",
	},
	[KNOB_IOMMU_DMA_INVALIDATION] = {
		.name = "iommu.dma_invalidation",
		.type = KNOB_ENUM,
		.values = iommu_dma_invalidation_values,
		.def = 0, /* strict */
		.meaning = "DMA-API domains (src/iommu/dma-iommu.c): strict = dma_unmap_page() invalidates the IOTLB and device TLB before it returns; deferred = it queues the IOVA on a flush queue (256 entries) flushed domain-wide when full or on a timeout, so the device may still reach the buffer for a while after the unmap returned (reported as dma-after-unmap)",
		.history = "the iommu.strict=0/1 boot option (lazy vs strict); flush queues came to the AMD and Intel drivers in 4.14 (iova.c), moved to dma-iommu.c with the IOMMU_DOMAIN_DMA_FQ domain type in 5.15-5.17; lazy is the documented trade-off of kernel-parameters.txt, and untrusted (external) devices are always strict",
	},
	[KNOB_IOMMU_SVA_FULL_RANGE_FLUSH] = {
		.name = "iommu.sva_full_range_flush",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "the SVA driver's arch_invalidate_secondary_tlbs recognizes the full-address-space range [0, -1UL) that full CPU flushes pass (tlb_finish_mmu's nested flush, flush_tlb_mm, ranges above the flush ceiling) and invalidates the whole PASID; false keeps the older page-count arithmetic, which wraps to 0 for that range: nothing is invalidated",
		.history = "6.6's 6bbd42e2df8f (\"mmu_notifiers: call invalidate_range() when invalidating TLBs\") began sending [0, -1UL); the Intel driver's overflow was fixed by e7ad6c2a4b1a \"iommu/vt-d: Fix incorrect cache invalidation for mm notification\" (Lu Baolu, Nov 2023, Cc stable); the same series fixed arm64 SMMU (\"arm64/smmu: use TLBI ASID when invalidating entire range\")",
	},
	[KNOB_CHECK_VALUE_ORACLE] = {
		.name = "check.value_oracle",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "a checker switch, not a kernel design: the value oracle (src/check/oracle.c) checks every CPU, mirror-device and SVA-device access of the deterministic engine against a syscall-level model of the address space; false turns it off (it is always off under the real engine)",
		.history = "not a Linux knob: DESIGN section 4, check 2",
	},
	[KNOB_MREMAP_PMD_MOVE_RMAP_LOCKS] = {
		.name = "mremap.pmd_move_rmap_locks",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "move_page_tables() takes the rmap locks (i_mmap_rwsem for write) around every whole-table move (move_normal_pmd/pud), which does not take the moved table's PTE lock; false takes them only when copy_vma() asks (need_rmap_locks, never for a fresh VMA), so truncation that locked the table through the old VMA clears a PTE that now maps the new address, flushes only the old one and frees the page while a CPU caches the new address",
		.history = "the whole-table move came in 2019 with 2c91bd4a4e2e \"mm: speed up mremap by 20x on large regions\" (CONFIG_HAVE_MOVE_PMD; PUD: c49dd3401802); fixed in 2021 by 97113eb39fa7 \"mm/mremap: hold the rmap lock in write mode when moving page table entries.\" (5.14, stable 5.13.3; move_pgt_entry(NORMAL_PMD/PUD, ..., true)); 2c91bd4a4e2e and c49dd3401802 as cited by that commit's context, not checked here",
	},
	[KNOB_MREMAP_MOVE_PMD] = {
		.name = "mremap.move_pmd",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "move_page_tables() moves a whole PTE table when source, destination and length cover a whole PMD (move_normal_pmd), and a whole PMD table when they cover a whole PUD (move_normal_pud); false moves every PTE one by one, as kernels without CONFIG_HAVE_MOVE_PMD do",
		.history = "CONFIG_HAVE_MOVE_PMD and move_normal_pmd() came in 2019 with 2c91bd4a4e2e \"mm: speed up mremap by 20x on large regions\"; older kernels, and the linux-4.13/4.12/4.10 presets, move PTEs only",
	},
	[KNOB_VFIO_NONCOHERENT_FLUSH] = {
		.name = "vfio.noncoherent_flush",
		.type = KNOB_ENUM,
		.values = vfio_noncoherent_flush_values,
		.def = VFIO_NC_FLUSH_MAP_AND_UNPIN,
		.meaning = "VFIO type1 with a domain that does not enforce cache coherency (no-snoop DMA): none = pages are mapped and unpinned without touching the CPU cache, so the device reads memory under the new owner's cached zeroes (a previous owner's data) and dirty lines outlive the unpin; map_and_unpin = arch_flush_cache_phys() before a page becomes reachable by a first non-coherent domain (pin+map, replay) and before it is unpinned (unmap, and the unwind of a failed map)",
		.history = "none is every kernel since 73fa0d10d077 \"vfio: Type1 IOMMU implementation\" (the Fixes: tag of the series) and the recent mainline read (Kingxukai/linux 0291023e, no flush in vfio_iommu_type1.c); map_and_unpin is Yan Zhao's \"vfio/type1: Flush CPU caches on DMA pages in non-coherent domains\" (PATCH 4/5, 2024-05-07, reviewed by Alex Williamson, Kevin Tian, Jason Gunthorpe), not merged; default here so the clean models run with it",
	},
	[KNOB_VFIO_CACHE_FLUSH_BOOKKEEPING] = {
		.name = "vfio.cache_flush_bookkeeping",
		.type = KNOB_ENUM,
		.values = vfio_cache_flush_bookkeeping_values,
		.def = VFIO_CFR_V1,
		.meaning = "how vfio_iommu_replay() keeps dma->cache_flush_required when a group attaches and a new domain gets every mapping: v1 = the posted logic (set and flush only when the domain is non-coherent and the flag was clear), keep_set = if (!dma->cache_flush_required) dma->cache_flush_required = !domain->enforce_cache_coherency (flush on every replay into a non-coherent domain), plain = dma->cache_flush_required = !domain->enforce_cache_coherency, which a later coherent domain's replay clears, losing the flush on unpin",
		.history = "v1 and the plain form are in the 2024 review of \"vfio/type1: Flush CPU caches on DMA pages in non-coherent domains\" (Alex Williamson suggested the plain assignment, Yan Zhao answered that a later coherent attach would reset it, 2024-05-10); keep_set is the review's guarded form; the v4 repost was not found with the search tools, the v1 text (2024-05-07) was read",
	},
	[KNOB_VFIO_FGSP_SECOND_FLUSH] = {
		.name = "vfio.fgsp_second_flush",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "with vfio.noncoherent_flush=map_and_unpin, vfio_test_domain_fgsp() of a non-coherent domain flushes the CPU cache over its two probe pages again after unmapping them, before freeing them (the first flush, before mapping, is part of map_and_unpin); false leaves the probe pages' lines as the IOMMU driver's access left them",
		.history = "the second arch_clean_nonsnoop_dma() in vfio_test_domain_fgsp() of the 2024 series, questioned by Alex Williamson (kernel pages, no ongoing use) and kept by Yan Zhao for a malicious device; vfio_test_domain_fgsp() (2013, fixed 2023 by \"vfio/type1: Respect IOMMU reserved regions in vfio_test_domain_fgsp()\") is absent from the recent mainline read",
	},
	[KNOB_VFIO_SYNC_BEFORE_UNPIN] = {
		.name = "vfio.sync_before_unpin",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "vfio_unmap_unpin(): vfio_sync_unpin() syncs the IOTLB for the gathered unmaps before it unpins their pages; false unpins first, so a page freed by the unpin is still reachable through the device's IOTLB entry until the sync",
		.history = "the unmap_unpin_fast() + vfio_sync_unpin() design (iommu_iotlb_gather, VFIO_IOMMU_TLB_SYNC_MAX 512) syncs first in the read mainline (Kingxukai/linux 0291023e); the commit that introduced it was not found with the search tools; false is a what-if, not a Linux version",
	},
	[KNOB_VFIO_UNWIND_UNACCOUNT] = {
		.name = "vfio.unwind_unaccount",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "vfio_pin_map_dma(): when vfio_iommu_map() fails after a chunk was pinned and charged to locked_vm, the unwind unpins it with do_accounting = true; false unpins without giving the pages back to locked_vm (a leak that RLIMIT_MEMLOCK later turns into -ENOMEM)",
		.history = "true in the read mainline (vfio_unpin_pages_remote(dma, iova + dma->size, pfn, npage, true)); false is a what-if for the quiescent locked_vm check, no upstream bug of this exact shape was identified with the tools",
	},
	[KNOB_VFIO_PCI_ZAP_ON_MEMORY_DISABLE] = {
		.name = "vfio_pci.zap_on_memory_disable",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "vfio-pci zaps the user mappings of a device's BARs and takes memory_lock for write before anything disables memory decode (a COMMAND write clearing the memory bit, a reset, D3hot), and its faults and read/write file ops refuse (SIGBUS, -EIO) while decode is off; false = the mappings stay and the user's CPU reaches the BAR while the device does not decode it",
		.history = "CVE-2020-12888, fixed in 5.8 by abafbc551fdd \"vfio-pci: Invalidate mmaps and block MMIO access on disabled memory\" (with 11c4cd07ba11 \"vfio-pci: Fault mmaps to enable vma tracking\"); both ids verified in later Fixes: tags and the 4.14 stable backports (abafbc551fdd in bc93b9ae0151 \"vfio-pci: Avoid recursive read-lock usage\", 11c4cd07ba11 in 6a45ece4c9af)",
	},
	[KNOB_VFIO_PCI_DESIGN] = {
		.name = "vfio_pci.design",
		.type = KNOB_ENUM,
		.values = vfio_pci_design_values,
		.def = VFIO_PCI_DESIGN_UNMAP_MAPPING_RANGE,
		.meaning = "how vfio-pci finds and zaps BAR mappings: unmap_mapping_range = the device inode's i_mmap, fault inserts one pfn under memory_lock (read); vma_list = a vma_list under vma_lock, the fault maps the whole VMA under vma_lock -> memory_lock, the zap drops vma_lock to take each mm's mmap_lock; vma_list_trylock = the fault only trylocks memory_lock and returns VM_FAULT_RETRY (or SIGBUS without FAULT_FLAG_ALLOW_RETRY); pause_faults = faults wait on a pause flag instead of memory_lock; memory_lock_outer = down_write(memory_lock) before the zap takes mmap_lock (the order the thread rejected: mmap_lock/memory_lock ABBA); vma_list_5_8 = vma_list as merged in 5.8, the fault listing the VMA and dropping vma_lock before io_remap_pfn_range() of the whole VMA, so two faults of one VMA both remap it",
		.history = "vma_list: 5.8, abafbc551fdd (thread \"vfio-pci: Invalidate mmaps and block MMIO access on disabled memory\", 2020; the vma_lock/mmap_lock dance read in vfio_pci_zap_and_vma_lock); unmap_mapping_range: aac6db75a9fc \"vfio/pci: Use unmap_mapping_range()\" with b7c5e64fec \"vfio: Create vfio_fs_type with inode per device\" (v2 posted 2024-05-30, the 6.10 cycle; fault = vfio_pci_mmap_huge_fault read in a recent tree); vma_list_trylock, pause_faults and memory_lock_outer are the alternatives argued in the 2020 thread as this model understands them, not verified against a posted patch; vma_list_5_8 until 6a45ece4c9af \"vfio/pci: Handle concurrent vma faults\" (2021, verified in linux-next merge logs; the 5.8 fault's shape is from the fix's thread, not read in a 5.8 tree)",
	},
	[KNOB_MMU_GATHER_PFNMAP_FORCED_FLUSH] = {
		.name = "mmu_gather.pfnmap_forced_flush",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "tlb_end_vma() flushes the TLB of a VM_PFNMAP/VM_MIXEDMAP VMA before munmap unlinks it from i_mmap; false defers the flush to tlb_finish_mmu(), so a driver's unmap_mapping_range() that no longer finds the VMA returns while CPUs still map the device frames",
		.history = "CVE-2022-39188, fixed in 5.19 by b67fbebd4cf9 \"mmu_gather: Force tlb-flush VM_PFNMAP vmas\" (verified: stable backports and the 2025 follow-up by Roman Gushchin cite it)",
	},
	[KNOB_RMAP_TLB_FLUSH_BATCHED] = {
		.name = "rmap.tlb_flush_batched",
		.type = KNOB_ENUM,
		.values = tlb_flush_batched_values,
		.def = TLB_FLUSH_BATCHED_COUNTERS,
		.meaning = "what mm->tlb_flush_batched is: counters = pending and flushed generations (reclaim's set_tlb_ubc_flush_pending increments pending; flush_tlb_batched_pending flushes while they differ and records the flush with a cmpxchg that fails if a new flush was deferred meanwhile); bool = a flag that flush_tlb_batched_pending clears after its flush, even when reclaim set it again for another page-table page during that flush, so the next mprotect/munmap on that page skips its flush",
		.history = "bool from 4.13 (3ea277194daa \"mm, mprotect: flush TLB if potentially racing with a parallel reclaim leaving stale TLB entries\") until 5ee2fa2f0636 \"mm/rmap: fix potential batched TLB flush race\" (Huang Ying, reported by syzbot/KCSAN in Nov 2021; in the Jan 2022 mm merge, so 5.17: version taken from that merge's commit list, not checked against a tag)",
	},
	/* KVM (src/kvm, docs/kvm.md) */
	[KNOB_KVM_MMU_INVALIDATE_RETRY] = {
		.name = "kvm.mmu_invalidate_retry",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "the TDP fault path, under read_lock(mmu_lock), drops a fault whose gfn an invalidation has touched since it read mmu_invalidate_seq (is_page_fault_stale -> mmu_invalidate_retry_gfn: in progress over the gfn, or the sequence moved); false installs the SPTE from the pfn read before the invalidation",
		.history = "the check exists since the mmu_notifier glue came (2008, e930bffe95e1 \"KVM: Synchronize guest physical memory map to host virtual memory map\": mmu_notifier_seq/mmu_notifier_count, later renamed mmu_invalidate_seq/_in_progress, the rename commit not verified here); the per-gfn range check (mmu_invalidate_range_start/end) came later, version not verified here; false is the driver bug the check prevents, not a kernel version",
	},
	[KNOB_TDP_NX_RECOVERY_CAN_YIELD] = {
		.name = "tdp.nx_recovery_can_yield",
		.type = KNOB_BOOL,
		.def = false,
		.meaning = "NX huge page recovery zaps each split table with kvm_tdp_mmu_zap_sp(), a range zap over the 2 MiB it covers; true lets that zap yield mmu_lock (tdp_mmu_iter_cond_resched) although the recovery loop may hold a flush accumulated from earlier tables that the zap does not know about; false passes can_yield=false",
		.history = "true before 33a3164161fc (5.12-rc, March 2021, \"KVM: x86/mmu: Don't allow TDP MMU to yield when recovering NX pages\"; with 048f49809c52 and a835429cda91 in the same series, and the follow-up \"KVM: x86/mmu: preserve pending TLB flush across calls to kvm_tdp_mmu_zap_sp\" making it flush |=); the commit message argues that with the write lock the zap never yields there (the forward-progress rule) and that zapping under the read lock would break that; since 2022 kvm_tdp_mmu_zap_sp zaps the one parent SPTE and cannot yield",
	},
	[KNOB_TDP_ZAP_MMU_LOCK] = {
		.name = "tdp.zap_mmu_lock",
		.type = KNOB_ENUM,
		.values = tdp_zap_mmu_lock_values,
		.def = TDP_ZAP_LOCK_WRITE,
		.meaning = "the lock NX recovery and kvm_zap_gfn_range take: write = mmu_lock for write (Linux for the 2021 code); read = mmu_lock for read with every SPTE change made by cmpxchg and the flush still left to the caller: the same code under the read lock, the hypothetical the 2021 commit message warns about (vCPU faults then run concurrently with the zap)",
		.history = "write in the 2021 code (33a3164161fc's comment: the forward-progress argument needs mmu_lock held for write); Linux's own read-lock zaps (e.g. tdp_mmu_zap_spte_atomic, 5.13+) flush each SPTE before unfreezing it, which read does not model; read-lock NX recovery upstream (2025 series \"KVM: x86/mmu: Recover TDP MMU NX huge pages using MMU read lock\") zaps only the parent SPTE with a cmpxchg and was not verified against a commit id here",
	},
	[KNOB_KVM_PFNCACHE_RETRY] = {
		.name = "kvm.pfncache_retry",
		.type = KNOB_ENUM,
		.values = kvm_pfncache_retry_values,
		.def = PFNCACHE_RETRY_ACTIVE_COUNT,
		.meaning = "what a gfn=>pfn cache refresh checks before installing the pfn it faulted in (mmu_notifier_retry_cache): active_count = mn_active_invalidate_count, raised before the notifier invalidates the caches; in_progress = mmu_invalidate_in_progress, raised only after, so a refresh between the two installs a stale pfn",
		.history = "in_progress in the 5.17 cache (982ed0de4753 \"KVM: Reinstate gfn_to_pfn_cache with invalidation support\", mmu_notifier_retry_hva); active_count since 58cd407ca4c6 (2022, \"KVM: Fix multiple races in gfn=>pfn cache refresh\"), whose mmu_notifier_retry_cache comment explains the ordering",
	},
	[KNOB_TDP_NX_RECOVERY_ZAP] = {
		.name = "tdp.nx_recovery_zap",
		.type = KNOB_ENUM,
		.values = tdp_nx_recovery_zap_values,
		.def = TDP_NX_ZAP_PARENT_SPTE,
		.meaning = "how NX recovery zaps a split table: parent_spte = only the SPTE that links it, and (mmu_lock shared) only if it still points at the table, with one cmpxchg: no walk, so nothing can yield; range = a range zap over the 2 MiB the table covers (kvm_tdp_mmu_zap_sp of 2021), whose yielding tdp.nx_recovery_can_yield decides",
		.history = "range in 5.10-5.19 (33a3164161fc made it non-yielding); parent_spte since c10743a1824b (2022, \"KVM: x86/mmu: Zap only the target TDP MMU shadow page in NX recovery\"); under the read lock since a57750909580 (2025, \"KVM: x86/mmu: Recover TDP MMU NX huge pages using MMU read lock\"), which zaps the parent only while it still points at the table",
	},
};

const struct policy_preset policy_presets[] = {
	{
		.name = "default",
		.desc = "the newest, fixed behaviour of every knob (same as linux-6.6)",
		.set = { { NR_KNOBS, 0 } },
	},
	{
		.name = "linux-6.6",
		.desc = "secondary TLBs flushed with the CPU TLB (arch_invalidate_secondary_tlbs)",
		.set = { { NR_KNOBS, 0 } },
	},
	{
		.name = "linux-6.1",
		.desc = "secondary TLBs flushed through ->invalidate_range(), also from invalidate_range_end; no secondary flush on permission upgrade",
		.set = {
			{ KNOB_NOTIFIER_SECONDARY_TLB_FLUSH, SECONDARY_TLB_FLUSH_IN_RANGE_END },
			{ KNOB_IOMMU_INVALIDATE_ON_UPGRADE, false },
			{ KNOB_VFIO_PCI_DESIGN, VFIO_PCI_DESIGN_VMA_LIST },
			{ NR_KNOBS, 0 },
		},
	},
	{
		.name = "linux-4.13",
		.desc = "before the mremap TLB-flush fix (CVE-2018-18281); has the 4.13 batched-flush fix, with the boolean mm->tlb_flush_batched (until 5.17)",
		.set = {
			{ KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK, false },
			{ KNOB_RMAP_TLB_FLUSH_BATCHED, TLB_FLUSH_BATCHED_BOOL },
			{ KNOB_NOTIFIER_SECONDARY_TLB_FLUSH, SECONDARY_TLB_FLUSH_IN_RANGE_END },
			{ KNOB_IOMMU_INVALIDATE_ON_UPGRADE, false },
			{ KNOB_MREMAP_MOVE_PMD, false },
			{ KNOB_VFIO_PCI_ZAP_ON_MEMORY_DISABLE, false },
			{ KNOB_VFIO_PCI_DESIGN, VFIO_PCI_DESIGN_VMA_LIST },
			{ KNOB_MMU_GATHER_PFNMAP_FORCED_FLUSH, false },
			{ NR_KNOBS, 0 },
		},
	},
	{
		.name = "linux-4.12",
		.desc = "also before flush_tlb_batched_pending() (3ea277194daa, 4.13); try_to_unmap_one already notified under the PT lock (invalidate_page since 4.11's c7ab0d2fdc84, approximated by in_range_end)",
		.set = {
			{ KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK, false },
			{ KNOB_RMAP_BATCHED_FLUSH_PENDING, false },
			{ KNOB_RMAP_TLB_FLUSH_BATCHED, TLB_FLUSH_BATCHED_BOOL },
			{ KNOB_NOTIFIER_SECONDARY_TLB_FLUSH, SECONDARY_TLB_FLUSH_IN_RANGE_END },
			{ KNOB_IOMMU_INVALIDATE_ON_UPGRADE, false },
			{ KNOB_MREMAP_MOVE_PMD, false },
			{ KNOB_VFIO_PCI_ZAP_ON_MEMORY_DISABLE, false },
			{ KNOB_VFIO_PCI_DESIGN, VFIO_PCI_DESIGN_VMA_LIST },
			{ KNOB_MMU_GATHER_PFNMAP_FORCED_FLUSH, false },
			{ NR_KNOBS, 0 },
		},
	},
	{
		.name = "linux-4.10",
		.desc = "also before 4.11's c7ab0d2fdc84: try_to_unmap_one told secondaries (invalidate_page) only after dropping the PT lock",
		.set = {
			{ KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK, false },
			{ KNOB_RMAP_BATCHED_FLUSH_PENDING, false },
			{ KNOB_RMAP_TLB_FLUSH_BATCHED, TLB_FLUSH_BATCHED_BOOL },
			{ KNOB_NOTIFIER_SECONDARY_TLB_FLUSH, SECONDARY_TLB_FLUSH_IN_RANGE_END },
			{ KNOB_IOMMU_INVALIDATE_ON_UPGRADE, false },
			{ KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL, false },
			{ KNOB_MREMAP_MOVE_PMD, false },
			{ KNOB_VFIO_PCI_ZAP_ON_MEMORY_DISABLE, false },
			{ KNOB_VFIO_PCI_DESIGN, VFIO_PCI_DESIGN_VMA_LIST },
			{ KNOB_MMU_GATHER_PFNMAP_FORCED_FLUSH, false },
			{ NR_KNOBS, 0 },
		},
	},
};

const int nr_policy_presets = ARRAY_SIZE(policy_presets);

void policy_init_default(struct policy *p)
{
	int i;

	for (i = 0; i < NR_KNOBS; i++)
		p->v[i] = knobs[i].def;
	p->preset = NULL;
	p->set_mask = 0;
}

int policy_knob_find(const char *name)
{
	int i;

	for (i = 0; i < NR_KNOBS; i++)
		if (!strcmp(knobs[i].name, name))
			return i;
	return -1;
}

const struct policy_preset *policy_preset_find(const char *name)
{
	int i;

	for (i = 0; i < nr_policy_presets; i++)
		if (!strcmp(policy_presets[i].name, name))
			return &policy_presets[i];
	return NULL;
}

static void list_names(char *buf, size_t len, const char *const *names, int nr)
{
	size_t used = strlen(buf);
	int i;

	for (i = 0; (nr < 0 ? names[i] != NULL : i < nr) && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 names[i]);
}

static int parse_bool(const char *s, unsigned *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int parse_uint(const char *s, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int policy_set(struct policy *p, const char *knob, const char *value,
	       char *err, size_t errlen)
{
	const char *names[NR_KNOBS];
	char q[CLIP_MAX];
	const struct knob *k;
	unsigned long long u;
	unsigned v;
	int id, i;

	id = policy_knob_find(knob);
	if (id < 0) {
		for (i = 0; i < NR_KNOBS; i++)
			names[i] = knobs[i].name;
		snprintf(err, errlen, "unknown policy knob '%s'",
			 clip(q, knob));
		suggest_close(err, errlen, knob, names, NR_KNOBS);
		return -EINVAL;
	}
	k = &knobs[id];
	switch (k->type) {
	case KNOB_BOOL:
		if (parse_bool(value, &v)) {
			snprintf(err, errlen,
				 "%s: '%s' is not a boolean (true or false)",
				 k->name, clip(q, value));
			return -EINVAL;
		}
		break;
	case KNOB_ENUM:
		for (v = 0; k->values[v]; v++)
			if (!strcmp(k->values[v], value))
				break;
		if (!k->values[v]) {
			snprintf(err, errlen, "%s: '%s' is not one of ",
				 k->name, clip(q, value));
			list_names(err, errlen, k->values, -1);
			return -EINVAL;
		}
		break;
	case KNOB_UINT:
		if (parse_uint(value, &u)) {
			snprintf(err, errlen,
				 "%s: '%s' is not a non-negative number",
				 k->name, clip(q, value));
			return -EINVAL;
		}
		if (u < k->min || u > k->max) {
			snprintf(err, errlen, "%s: %s is out of range [%u, %u]",
				 k->name, clip(q, value), k->min, k->max);
			return -EINVAL;
		}
		v = u;
		break;
	default:
		return -EINVAL;
	}
	p->v[id] = v;
	p->set_mask |= 1ULL << id;
	return 0;
}

int policy_apply_preset(struct policy *p, const char *name, char *err,
			size_t errlen)
{
	const struct policy_preset *ps = policy_preset_find(name);
	const char *names[16];
	char q[CLIP_MAX];
	int i;

	if (!ps) {
		for (i = 0; i < nr_policy_presets && i < 16; i++)
			names[i] = policy_presets[i].name;
		snprintf(err, errlen,
			 "unknown policy preset '%s' (known: ", clip(q, name));
		list_names(err, errlen, names, i);
		if (strlen(err) + 1 < errlen)
			strcat(err, ")");
		return -EINVAL;
	}
	policy_init_default(p);
	for (i = 0; ps->set[i].id != NR_KNOBS; i++)
		p->v[ps->set[i].id] = ps->set[i].value;
	p->preset = ps->name;
	return 0;
}

const char *policy_value_str(const struct policy *p, enum knob_id id,
			     char *buf, size_t len)
{
	const struct knob *k = &knobs[id];
	unsigned v = p->v[id];

	switch (k->type) {
	case KNOB_BOOL:
		return v ? "true" : "false";
	case KNOB_ENUM:
		return k->values[v];
	case KNOB_UINT:
	default:
		snprintf(buf, len, "%u", v);
		return buf;
	}
}

static const char *type_str(const struct knob *k, char *buf, size_t len)
{
	buf[0] = 0;
	switch (k->type) {
	case KNOB_BOOL:
		return "bool";
	case KNOB_ENUM:
		snprintf(buf, len, "enum ");
		list_names(buf, len, k->values, -1);
		return buf;
	case KNOB_UINT:
	default:
		snprintf(buf, len, "uint %u..%u", k->min, k->max);
		return buf;
	}
}

static void print_text(FILE *f)
{
	struct policy def, p;
	char buf[128], err[64];
	int i, k;

	policy_init_default(&def);
	fprintf(f, "presets:\n");
	for (i = 0; i < nr_policy_presets; i++) {
		policy_apply_preset(&p, policy_presets[i].name, err, sizeof(err));
		fprintf(f, "  %-12s %s\n", policy_presets[i].name,
			policy_presets[i].desc);
		for (k = 0; k < NR_KNOBS; k++)
			if (p.v[k] != def.v[k])
				fprintf(f, "  %-12s   %s=%s\n", "", knobs[k].name,
					policy_value_str(&p, k, buf, sizeof(buf)));
	}
	fprintf(f, "\nknobs:\n");
	for (k = 0; k < NR_KNOBS; k++) {
		fprintf(f, "  %s\n", knobs[k].name);
		fprintf(f, "      type:    %s\n",
			type_str(&knobs[k], buf, sizeof(buf)));
		fprintf(f, "      default: %s\n",
			policy_value_str(&def, k, buf, sizeof(buf)));
		fprintf(f, "      meaning: %s\n", knobs[k].meaning);
		fprintf(f, "      history: %s\n", knobs[k].history);
	}
}

static void print_json(FILE *f)
{
	struct policy def, p;
	char buf[128], err[64];
	int i, k, v;

	policy_init_default(&def);
	fprintf(f, "{\"presets\":[");
	for (i = 0; i < nr_policy_presets; i++) {
		policy_apply_preset(&p, policy_presets[i].name, err, sizeof(err));
		fprintf(f, "%s{\"name\":", i ? "," : "");
		fput_json_str(f, policy_presets[i].name);
		fprintf(f, ",\"description\":");
		fput_json_str(f, policy_presets[i].desc);
		fprintf(f, ",\"values\":{");
		for (k = 0; k < NR_KNOBS; k++) {
			fprintf(f, "%s", k ? "," : "");
			fput_json_str(f, knobs[k].name);
			fputc(':', f);
			fput_json_str(f, policy_value_str(&p, k, buf, sizeof(buf)));
		}
		fprintf(f, "}}");
	}
	fprintf(f, "],\"knobs\":[");
	for (k = 0; k < NR_KNOBS; k++) {
		const struct knob *kn = &knobs[k];

		fprintf(f, "%s{\"name\":", k ? "," : "");
		fput_json_str(f, kn->name);
		fprintf(f, ",\"type\":\"%s\"",
			kn->type == KNOB_BOOL ? "bool" :
			kn->type == KNOB_ENUM ? "enum" : "uint");
		if (kn->type == KNOB_ENUM) {
			fprintf(f, ",\"values\":[");
			for (v = 0; kn->values[v]; v++) {
				fprintf(f, "%s", v ? "," : "");
				fput_json_str(f, kn->values[v]);
			}
			fprintf(f, "]");
		}
		if (kn->type == KNOB_UINT)
			fprintf(f, ",\"min\":%u,\"max\":%u", kn->min, kn->max);
		fprintf(f, ",\"default\":");
		fput_json_str(f, policy_value_str(&def, k, buf, sizeof(buf)));
		fprintf(f, ",\"meaning\":");
		fput_json_str(f, kn->meaning);
		fprintf(f, ",\"history\":");
		fput_json_str(f, kn->history);
		fprintf(f, "}");
	}
	fprintf(f, "]}\n");
}

void policy_print_all(FILE *f, bool json)
{
	if (json)
		print_json(f);
	else
		print_text(f);
}

void fput_md_text(FILE *f, const char *s)
{
	char prev = ' ';

	for (; *s; prev = *s++) {
		if (*s == '|' || *s == '*' ||
		    (*s == '_' && !isalnum((unsigned char)prev)))
			fputc('\\', f);
		if (*s == '<')
			fputs("&lt;", f);
		else
			fputc(*s, f);
	}
}

void policy_describe(FILE *f, const struct policy *p)
{
	char buf[32];
	bool any = false;
	int k;

	fprintf(f, "`%s`", p->preset ? p->preset : "default");
	for (k = 0; k < NR_KNOBS; k++) {
		if (!(p->set_mask & (1ULL << k)))
			continue;
		fprintf(f, "%s`%s=%s`", any ? ", " : " + ", knobs[k].name,
			policy_value_str(p, k, buf, sizeof(buf)));
		any = true;
	}
}

/*
 * The knob values each preset gives @k, when they differ from the
 * default: "`linux-4.13`: `false`, ..." or "none".
 */
static void print_md_preset_values(FILE *f, int k)
{
	struct policy def, p;
	char buf[32], err[64];
	bool any = false;
	int i;

	policy_init_default(&def);
	for (i = 0; i < nr_policy_presets; i++) {
		policy_apply_preset(&p, policy_presets[i].name, err,
				    sizeof(err));
		if (p.v[k] == def.v[k])
			continue;
		fprintf(f, "%s`%s`: `%s`", any ? ", " : "",
			policy_presets[i].name,
			policy_value_str(&p, k, buf, sizeof(buf)));
		any = true;
	}
	if (!any)
		fprintf(f, "none (only `--set`)");
}

void policy_print_markdown(FILE *f)
{
	struct policy def, p;
	char buf[128], err[64];
	bool any;
	int i, k, v;

	policy_init_default(&def);
	fprintf(f,
		"<!-- generated by `secmmu policies --markdown` from src/core/policy.c;\n"
		"     do not edit: change the code, then run `make docs` -->\n"
		"# Policies\n\n"
		"A policy is a set of knobs, one for each behaviour of the modeled kernel\n"
		"that changed over Linux's history (usually a bug and its fix). The\n"
		"default of every knob is the newest behaviour. A preset names the\n"
		"values of one kernel version; it lists only the knobs that differ from\n"
		"the default. Scenario files name a policy (`policy: {preset: P, set:\n"
		"{KNOB: VALUE}}`); on the command line `--policy P` replaces it and each\n"
		"`--set KNOB=VALUE` then changes one knob. `secmmu policies` prints the\n"
		"same table as text, `--json` for scripts.\n\n"
		"## Presets\n\n"
		"| preset | description | knobs that differ from the default |\n"
		"|---|---|---|\n");
	for (i = 0; i < nr_policy_presets; i++) {
		policy_apply_preset(&p, policy_presets[i].name, err,
				    sizeof(err));
		fprintf(f, "| `%s` | ", policy_presets[i].name);
		fput_md_text(f, policy_presets[i].desc);
		fprintf(f, " | ");
		any = false;
		for (k = 0; k < NR_KNOBS; k++) {
			if (p.v[k] == def.v[k])
				continue;
			fprintf(f, "%s`%s=%s`", any ? ", " : "", knobs[k].name,
				policy_value_str(&p, k, buf, sizeof(buf)));
			any = true;
		}
		fprintf(f, "%s |\n", any ? "" : "none");
	}
	fprintf(f, "\n## Knobs\n\n| knob | type | default |\n|---|---|---|\n");
	for (k = 0; k < NR_KNOBS; k++)
		fprintf(f, "| [`%s`](#%s) | %s | `%s` |\n", knobs[k].name,
			knobs[k].name,
			knobs[k].type == KNOB_BOOL ? "bool" :
			knobs[k].type == KNOB_ENUM ? "enum" :
						     "uint",
			policy_value_str(&def, k, buf, sizeof(buf)));
	for (k = 0; k < NR_KNOBS; k++) {
		const struct knob *kn = &knobs[k];

		fprintf(f, "\n<a id=\"%s\"></a>\n### `%s`\n\n", kn->name,
			kn->name);
		switch (kn->type) {
		case KNOB_BOOL:
			fprintf(f, "- type: bool (`true`, `false`)\n");
			break;
		case KNOB_ENUM:
			fprintf(f, "- type: enum (");
			for (v = 0; kn->values[v]; v++)
				fprintf(f, "%s`%s`", v ? ", " : "",
					kn->values[v]);
			fprintf(f, ")\n");
			break;
		case KNOB_UINT:
		default:
			fprintf(f, "- type: unsigned integer, %u to %u\n",
				kn->min, kn->max);
			break;
		}
		fprintf(f, "- default: `%s`\n- presets that change it: ",
			policy_value_str(&def, k, buf, sizeof(buf)));
		print_md_preset_values(f, k);
		fprintf(f, "\n\n**Meaning.** ");
		fput_md_text(f, kn->meaning);
		fprintf(f, "\n\n**History.** ");
		fput_md_text(f, kn->history);
		fprintf(f, "\n");
	}
}
