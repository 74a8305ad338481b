/* SPDX-License-Identifier: MIT */
/*
 * Policies: the designs argued upstream, as named knobs.
 *
 * A knob is one behaviour of the modeled kernel that changed over Linux's
 * history (usually a bug and its fix).  Each has a type (bool, enum with
 * named values, or unsigned int with a range), a default (the newest,
 * fixed behaviour), a one-line meaning and a one-line history.  A preset
 * (`linux-4.13`, `linux-6.6`, ...) is a named set of knob values; every
 * knob can also be set alone.
 *
 * Model code reads knobs through the typed getters below, by enum id: an
 * array load, cheap enough for every schedule point.
 *
 * Simplifications: a preset describes only the knobs this model has; it
 * says nothing about the rest of that kernel version.
 *
 * Locking: a struct policy is written only before a world runs (loading a
 * scenario, parsing --set) and is read-only while agents run, so it needs
 * no lock.
 */
#ifndef SECMMU_CORE_POLICY_H
#define SECMMU_CORE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "world.h"

enum knob_id {
	KNOB_MREMAP_FLUSH_BEFORE_PTL_UNLOCK,
	KNOB_RMAP_BATCHED_FLUSH_PENDING,
	KNOB_NOTIFIER_SECONDARY_TLB_FLUSH,
	KNOB_MIRROR_READ_RETRY,
	KNOB_NOTIFIER_NONBLOCK_FAIL_ENDS_ITREE,
	KNOB_CLEAR_REFS_FLUSH_TLB,
	KNOB_IOMMU_FAULT_DURING_INVALIDATION,
	KNOB_IOMMU_REFAULT_LIMIT,
	KNOB_IOMMU_INVALIDATE_ON_UPGRADE,
	KNOB_RMAP_SECONDARY_FLUSH_UNDER_PTL,
	KNOB_IOMMU_DMA_INVALIDATION,
	KNOB_IOMMU_SVA_FULL_RANGE_FLUSH,
	KNOB_CHECK_VALUE_ORACLE,
	KNOB_MREMAP_PMD_MOVE_RMAP_LOCKS,
	KNOB_MREMAP_MOVE_PMD,
	KNOB_VFIO_NONCOHERENT_FLUSH,
	KNOB_VFIO_CACHE_FLUSH_BOOKKEEPING,
	KNOB_VFIO_FGSP_SECOND_FLUSH,
	KNOB_VFIO_SYNC_BEFORE_UNPIN,
	KNOB_VFIO_UNWIND_UNACCOUNT,
	KNOB_VFIO_PCI_ZAP_ON_MEMORY_DISABLE,
	KNOB_VFIO_PCI_DESIGN,
	KNOB_MMU_GATHER_PFNMAP_FORCED_FLUSH,
	KNOB_RMAP_TLB_FLUSH_BATCHED,
	/* KVM (src/kvm) */
	KNOB_KVM_MMU_INVALIDATE_RETRY,
	KNOB_TDP_NX_RECOVERY_CAN_YIELD,
	KNOB_TDP_ZAP_MMU_LOCK,
	KNOB_KVM_PFNCACHE_RETRY,
	KNOB_TDP_NX_RECOVERY_ZAP,
	NR_KNOBS,
};

/* values of vfio_pci.design (src/vfio/vfio_pci_core.c) */
enum vfio_pci_design {
	VFIO_PCI_DESIGN_UNMAP_MAPPING_RANGE,
	VFIO_PCI_DESIGN_VMA_LIST,
	VFIO_PCI_DESIGN_VMA_LIST_TRYLOCK,
	VFIO_PCI_DESIGN_PAUSE_FAULTS,
	VFIO_PCI_DESIGN_MEMORY_LOCK_OUTER,
	VFIO_PCI_DESIGN_VMA_LIST_58,
};

/* values of notifier.secondary_tlb_flush */
enum secondary_tlb_flush {
	SECONDARY_TLB_FLUSH_WITH_TLB_FLUSH,
	SECONDARY_TLB_FLUSH_IN_RANGE_END,
	SECONDARY_TLB_FLUSH_NONE,
};

/* values of rmap.tlb_flush_batched */
enum tlb_flush_batched_kind {
	TLB_FLUSH_BATCHED_COUNTERS,
	TLB_FLUSH_BATCHED_BOOL,
};

/* values of tdp.zap_mmu_lock */
enum tdp_zap_mmu_lock {
	TDP_ZAP_LOCK_WRITE,
	TDP_ZAP_LOCK_READ,
};

/* values of tdp.nx_recovery_zap */
enum tdp_nx_recovery_zap {
	TDP_NX_ZAP_PARENT_SPTE,
	TDP_NX_ZAP_RANGE,
};

/* values of kvm.pfncache_retry */
enum kvm_pfncache_retry {
	PFNCACHE_RETRY_ACTIVE_COUNT,
	PFNCACHE_RETRY_IN_PROGRESS,
};

/* values of iommu.fault_during_invalidation */
enum iommu_fault_during_invalidation {
	IOMMU_FAULT_INV_WAIT,
	IOMMU_FAULT_INV_REFAULT,
};

/* values of vfio.noncoherent_flush */
enum vfio_noncoherent_flush {
	VFIO_NC_FLUSH_NONE,
	VFIO_NC_FLUSH_MAP_AND_UNPIN,
};

/* values of vfio.cache_flush_bookkeeping */
enum vfio_cache_flush_bookkeeping {
	VFIO_CFR_V1,
	VFIO_CFR_KEEP_SET,
	VFIO_CFR_PLAIN,
};

enum knob_type {
	KNOB_BOOL,
	KNOB_ENUM,
	KNOB_UINT,
};

struct knob {
	const char *name;	    /* "subsystem.what" */
	enum knob_type type;
	const char *const *values; /* KNOB_ENUM: value names, NULL-terminated */
	unsigned min, max;	    /* KNOB_UINT: inclusive range */
	unsigned def;		    /* default: the newest behaviour (fixed,
				     * or Linux today where no fix exists) */
	const char *meaning;	    /* one line */
	const char *history;	    /* one line: commit subject or CVE, version */
};

struct policy {
	unsigned v[NR_KNOBS];
	const char *preset; /* last preset applied (static string) or NULL */
	uint64_t set_mask;  /* knobs set one by one after the preset */
};

struct policy_preset {
	const char *name;
	const char *desc;
	/* the knobs that differ from the default; id NR_KNOBS ends the list */
	struct {
		enum knob_id id;
		unsigned value;
	} set[NR_KNOBS + 1];
};

extern const struct knob knobs[NR_KNOBS];
extern const struct policy_preset policy_presets[];
extern const int nr_policy_presets;

void policy_init_default(struct policy *p);
int policy_knob_find(const char *name); /* enum knob_id or -1 */
const struct policy_preset *policy_preset_find(const char *name);

/**
 * policy_set - set one knob from its textual value
 * @p: the policy
 * @knob: knob name, e.g. "mremap.flush_before_ptl_unlock"
 * @value: "true"/"false" (also yes/no, on/off, 1/0) for a bool, a value
 *         name for an enum, a number for an unsigned knob
 * @err, @errlen: on failure, one line saying what is wrong and what is
 *                allowed (close matches for an unknown knob)
 *
 * Returns 0, or -EINVAL with @err filled.
 */
int policy_set(struct policy *p, const char *knob, const char *value,
	       char *err, size_t errlen);

/**
 * policy_apply_preset - reset @p to the default, then apply preset @name
 *
 * Returns 0, or -EINVAL with @err naming the known presets.
 */
int policy_apply_preset(struct policy *p, const char *name, char *err,
			size_t errlen);

/* the textual value of knob @id in @p (static string or @buf) */
const char *policy_value_str(const struct policy *p, enum knob_id id,
			     char *buf, size_t len);

/* `secmmu policies`: presets, then every knob (text or JSON) */
void policy_print_all(FILE *f, bool json);

/* `secmmu policies --markdown`: docs/policies.md, generated */
void policy_print_markdown(FILE *f);

/* markdown text: escapes what would start markup (| < * and a leading _) */
void fput_md_text(FILE *f, const char *s);

/* "preset P + knob=value, ..." (or "default"): how @p was built */
void policy_describe(FILE *f, const struct policy *p);

static inline unsigned policy_get(const struct policy *p, enum knob_id id)
{
	return p->v[id];
}

/* typed getters for model code: policy_bool(w, KNOB_...) */
static inline bool policy_bool(const struct world *w, enum knob_id id)
{
	return w->policy->v[id] != 0;
}

static inline unsigned policy_enum(const struct world *w, enum knob_id id)
{
	return w->policy->v[id];
}

static inline unsigned policy_uint(const struct world *w, enum knob_id id)
{
	return w->policy->v[id];
}

#endif
