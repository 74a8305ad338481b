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

static const char *const iommu_dma_invalidation_values[] = {
	"strict", /* IOMMU_DMA_STRICT (src/iommu/dma-iommu.h) */
	"deferred", /* IOMMU_DMA_DEFERRED */
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
		.history = "6.6: \"mmu_notifiers: call invalidate_range() when invalidating TLBs\" (and renamed arch_invalidate_secondary_tlbs); ->invalidate_range() itself came in 3.19 (\"mmu_notifier: Add mmu_notifier_invalidate_range()\", 2014)",
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
		.history = "5.10: clear_refs' fullmm mmu_gather let arm64 elide the TLB invalidation, so soft-dirty missed writes; fixed in 5.11 by Will Deacon's \"mm: proc: Invalidate TLB after clearing soft-dirty page state\" (flush_tlb_mm under inc_tlb_flush_pending)",
	},
	[KNOB_IOMMU_FAULT_DURING_INVALIDATION] = {
		.name = "iommu.fault_during_invalidation",
		.type = KNOB_ENUM,
		.values = iommu_fault_during_invalidation_values,
		.def = IOMMU_FAULT_INV_WAIT,
		.meaning = "an SVA page request that arrives while an invalidation brackets the mm (the pre-3.19 AMD IOMMUv2 glue under notifier.secondary_tlb_flush=none points the PASID at an empty table from invalidate_range_start to _end): wait = the iopf worker waits for the end, then faults the page in; refault = it fixes the CPU page table and answers success at once, the IOMMU still cannot translate, the device faults again",
		.history = "the AMD IOMMUv2 driver (drivers/iommu/amd_iommu_v2.c, 3.5-6.6) answered such requests with success and let the device refault; with devices that give up after a few retries this is why ->invalidate_range() was added in 3.19 (0f0a327fa12c \"mmu_notifier: add mmu_notifier_invalidate_range()\", 2014)",
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
		.meaning = "a PTE made more permissive (read-only to writable: mprotect, a write fault reusing the page) also invalidates the secondary TLBs of the mm; false leaves an IOTLB that caches permissions with its read-only entry, and the device faults forever on a page the fault handler finds already writable",
		.history = "arm64 SMMUv3 SVA, fixed in 6.6 by 6bbd42e2df8f \"mmu_notifiers: call invalidate_range() when invalidating TLBs\" (Alistair Popple, 2023): the secondary flush moved into the arch TLB flush, which arm64 also does on a permission upgrade",
	},
	[KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL] = {
		.name = "rmap.secondary_flush_under_ptl",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "try_to_unmap_one() invalidates the secondary TLBs of the page while it holds the page-table lock (ptep_clear_flush_notify); false leaves it to invalidate_range_end after the lock is dropped, when a new PTE may already be installed",
		.history = "2017 discussion (Andrea Arcangeli, Jerome Glisse): the old mmu_notifier_invalidate_page() ran after the PT lock was released; replaced in 4.13 by 369ea8242c0f \"mm/rmap: update to new mmu_notifier semantic v2\"",
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
		.history = "6.6's 6bbd42e2df8f (\"mmu_notifiers: call invalidate_range() when invalidating TLBs\") began sending [0, -1UL); the Intel driver's overflow was fixed by \"iommu/vt-d: Fix incorrect cache invalidation for mm notification\" (Nov 2023, Cc stable); the same series fixed arm64 SMMU (\"arm64/smmu: use TLBI ASID when invalidating entire range\")",
	},
	[KNOB_CHECK_VALUE_ORACLE] = {
		.name = "check.value_oracle",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "a checker switch, not a kernel design: the value oracle (src/check/oracle.c) checks every CPU and mirror-device access of the deterministic engine against a syscall-level model of the address space; false turns it off (it is always off under the real engine)",
		.history = "not a Linux knob: DESIGN section 4, check 2",
	},
	[KNOB_MREMAP_PMD_MOVE_RMAP_LOCKS] = {
		.name = "mremap.pmd_move_rmap_locks",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "move_page_tables() takes the rmap locks (i_mmap_rwsem for write) around every whole-table move (move_normal_pmd/pud), which does not take the moved table's PTE lock; false takes them only when copy_vma() asks (need_rmap_locks, never for a fresh VMA), so truncation that locked the table through the old VMA clears a PTE that now maps the new address, flushes only the old one and frees the page while a CPU caches the new address",
		.history = "the whole-table move came in 2019 with 2c91bd4a4e2e \"mm: speed up mremap by 20x on large regions\" (CONFIG_HAVE_MOVE_PMD; PUD: c49dd3401802); fixed in 2021 by 97113eb39fa7 \"mm/mremap: hold the rmap lock in write mode when moving page table entries\" (move_pgt_entry(NORMAL_PMD/PUD, ..., true))",
	},
	[KNOB_MREMAP_MOVE_PMD] = {
		.name = "mremap.move_pmd",
		.type = KNOB_BOOL,
		.def = true,
		.meaning = "move_page_tables() moves a whole PTE table when source, destination and length cover a whole PMD (move_normal_pmd), and a whole PMD table when they cover a whole PUD (move_normal_pud); false moves every PTE one by one, as kernels without CONFIG_HAVE_MOVE_PMD do",
		.history = "CONFIG_HAVE_MOVE_PMD and move_normal_pmd() came in 2019 with 2c91bd4a4e2e \"mm: speed up mremap by 20x on large regions\"; older kernels, and the linux-4.13/4.12 presets, move PTEs only",
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
			{ NR_KNOBS, 0 },
		},
	},
	{
		.name = "linux-4.13",
		.desc = "before the mremap TLB-flush fix (CVE-2018-18281); has the 4.13 batched-flush fix",
		.set = {
			{ KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK, false },
			{ KNOB_NOTIFIER_SECONDARY_TLB_FLUSH, SECONDARY_TLB_FLUSH_IN_RANGE_END },
			{ KNOB_IOMMU_INVALIDATE_ON_UPGRADE, false },
			{ KNOB_MREMAP_MOVE_PMD, false },
			{ NR_KNOBS, 0 },
		},
	},
	{
		.name = "linux-4.12",
		.desc = "also before flush_tlb_batched_pending() (4.13-rc5); its invalidate_page() era is approximated by in_range_end",
		.set = {
			{ KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK, false },
			{ KNOB_RMAP_BATCHED_FLUSH_PENDING, false },
			{ KNOB_NOTIFIER_SECONDARY_TLB_FLUSH, SECONDARY_TLB_FLUSH_IN_RANGE_END },
			{ KNOB_IOMMU_INVALIDATE_ON_UPGRADE, false },
			{ KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL, false },
			{ KNOB_MREMAP_MOVE_PMD, false },
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
	const struct knob *k;
	unsigned long long u;
	unsigned v;
	int id, i;

	id = policy_knob_find(knob);
	if (id < 0) {
		for (i = 0; i < NR_KNOBS; i++)
			names[i] = knobs[i].name;
		snprintf(err, errlen, "unknown policy knob '%s'", knob);
		suggest_close(err, errlen, knob, names, NR_KNOBS);
		return -EINVAL;
	}
	k = &knobs[id];
	switch (k->type) {
	case KNOB_BOOL:
		if (parse_bool(value, &v)) {
			snprintf(err, errlen,
				 "%s: '%s' is not a boolean (true or false)",
				 k->name, value);
			return -EINVAL;
		}
		break;
	case KNOB_ENUM:
		for (v = 0; k->values[v]; v++)
			if (!strcmp(k->values[v], value))
				break;
		if (!k->values[v]) {
			snprintf(err, errlen, "%s: '%s' is not one of ", k->name,
				 value);
			list_names(err, errlen, k->values, -1);
			return -EINVAL;
		}
		break;
	case KNOB_UINT:
		if (parse_uint(value, &u)) {
			snprintf(err, errlen,
				 "%s: '%s' is not a non-negative number",
				 k->name, value);
			return -EINVAL;
		}
		if (u < k->min || u > k->max) {
			snprintf(err, errlen, "%s: %s is out of range [%u, %u]",
				 k->name, value, k->min, k->max);
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
	int i;

	if (!ps) {
		for (i = 0; i < nr_policy_presets && i < 16; i++)
			names[i] = policy_presets[i].name;
		snprintf(err, errlen, "unknown policy preset '%s' (known: ",
			 name);
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
