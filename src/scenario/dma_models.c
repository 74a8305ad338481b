// SPDX-License-Identifier: MIT
/*
 * Built-in models of DMA-API domains: a driver maps a buffer with
 * dma_map_page(), lets its device DMA from it and unmaps it with
 * dma_unmap_page(), twice (the second buffer may get the first one's
 * IOVA), while the device keeps reading the last DMA address it was
 * given.
 *
 *   dma-unmap-vs-dma           iommu.dma_invalidation from the policy
 *                              (default strict: clean)
 *   dma-unmap-vs-dma-deferred  setup sets deferred: the device reads
 *                              through its IOTLB/ATC entry after
 *                              dma_unmap_page() returned
 *                              ("dma-after-unmap", with the window)
 *
 * Oracle: the checker of dma-iommu.c (dma-after-unmap on every cache hit
 * after the unmap returned, or through an old translation of a reused
 * IOVA), the core's stale-iotlb/stale-atc, and a value check: a read that
 * succeeds returns the value of one of the two buffers.  At the end the
 * domain is torn down (the driver joins the flush-queue timer) and
 * iommu_dma_check_quiescent(), iommu_check_quiescent() and
 * phys_check_leaks() run.
 *
 * SVA models (a device bound to a process with iommu_sva_bind_device(),
 * DMA by virtual address through its device TLB and the IOMMU, which
 * walks the CPU page tables; no PRI, so a translation fault fails the
 * access):
 *
 *   sva-mremap-vs-truncate  the device has the file page at the old
 *                           address cached; mremap moves it, truncate
 *                           frees it.  Under in_range_end (before 6.6)
 *                           the secondary TLB is flushed only at mremap's
 *                           range end, after move_ptes dropped the PTLs,
 *                           yet the run is clean: truncate's notifier
 *                           range over the old VMA (still in i_mmap)
 *                           flushes the device first (docs/iommu.md).  With
 *                           "none" the device uses the freed page
 *                           ("stale-atc")
 *   sva-dontneed-nested     two MADV_DONTNEEDs of one page; the one that
 *                           finds the PTE already cleared relies on
 *                           tlb_finish_mmu's nested (full) flush, which
 *                           reaches the secondary TLB as [0, -1UL).  With
 *                           iommu.sva_full_range_flush=false that range
 *                           invalidates nothing: after its madvise
 *                           returned the device still reads the old value
 *                           ("value")
 *   sva-ksm-vs-write        ksmd merges two identical pages while the
 *                           device writes one; after the run a write that
 *                           succeeded must be in the page ("lost-update"
 *                           otherwise).  Clean under with_tlb_flush and
 *                           in_range_end: the compare comes after
 *                           write_protect_page()'s range end (docs)
 *
 * Why C: in dma-unmap-vs-dma the device reads whichever DMA address the
 * driver handed it last (published with WRITE_ONCE, so it may get the
 * second buffer's address, possibly the first's reused IOVA); the
 * scenario ops name one fixed mapping each (`dma: NAME`).  The
 * deferred-invalidation bug alone is the zoo scenario
 * scenarios/bugs/dma-deferred-unmap.yaml.  The three SVA models here have
 * scenario twins in scenarios/bugs/ (sva-mremap-truncate,
 * sva-nested-flush-range, sva-ksm-write-protect) but were not converted
 * yet: their tests sweep policies and count executions against these
 * programs, which would have to be checked against the files.
 *
 * Locking: the agents use the DMA layer's and the IOMMU's locks; the DMA
 * address is published with WRITE_ONCE, the hand-offs are completions.
 */
#include <string.h>

#include "check/check.h"
#include "core/policy.h"
#include "iommu/dma-iommu.h"
#include "iommu/iommu-sva.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/dma_models.h"

#define DMA_RACE_FRAMES 256
#define DMA_RACE_VAL 0xd3a0UL

struct dma_race {
	const struct dma_race_opts *o;
	struct mm_world *mmw;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_dma_cookie *cookie;
	struct page *buf[2];
	dma_addr_t dma;
	struct completion mapped;
	struct completion dev_done;
};

static void dma_driver(void *arg)
{
	struct dma_race *r = arg;
	int i;

	for (i = 0; i < r->o->rounds; i++) {
		dma_addr_t dma = iommu_dma_map_page(
			r->dev, r->buf[i & 1], 0, PAGE_SIZE, DMA_BIDIRECTIONAL);

		if (dma == DMA_MAPPING_ERROR) {
			report_add(current->w, "value",
				   "dma_map_page() failed in round %d\n", i);
			break;
		}
		WRITE_ONCE(r->dma, dma);
		if (i == 0)
			complete(&r->mapped);
		iommu_dma_unmap_page(r->dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
	}
	if (i == 0)
		complete(&r->mapped);
	wait_for_completion(&r->dev_done);
	iommu_dma_domain_free(r->cookie);
}

static void dma_device(void *arg)
{
	struct dma_race *r = arg;
	uint64_t v;
	int i;

	wait_for_completion(&r->mapped);
	for (i = 0; i < r->o->iters; i++) {
		dma_addr_t dma = READ_ONCE(r->dma);

		if (!dma)
			break;
		if (iommu_dma_read(r->dev, IOMMU_NO_PASID, dma, &v))
			continue; /* unmapped: a translation fault */
		if (v != DMA_RACE_VAL && v != DMA_RACE_VAL + 1)
			report_add(
				current->w, "value",
				"device read %#lx at iova %#lx: not a value of either buffer\n",
				(unsigned long)v, dma);
	}
	complete(&r->dev_done);
}

int dma_race_setup(struct world *w, void *arg)
{
	const struct dma_race_opts *o = arg;
	struct dma_race *r = arena_alloc(w, sizeof(*r));
	int i;

	if (!r)
		return -ENOMEM;
	w->priv = r;
	r->o = o;
	if (o->deferred)
		w->policy->v[KNOB_IOMMU_DMA_INVALIDATION] = IOMMU_DMA_DEFERRED;
	r->mmw = mm_world_get(w, DMA_RACE_FRAMES, 1);
	if (!r->mmw)
		return -ENOMEM;
	r->iommu = iommu_get(r->mmw);
	r->dev = pci_dev_add(r->iommu, "nic", o->ats, false);
	if (!r->dev)
		return -ENOMEM;
	r->cookie = iommu_dma_domain_alloc(r->iommu, r->dev);
	if (!r->cookie)
		return -ENOMEM;
	r->cookie->fq_timeout = o->fq_timeout;
	for (i = 0; i < 2; i++) {
		r->buf[i] = alloc_page(r->mmw->pm, __GFP_ZERO);
		if (!r->buf[i])
			return -ENOMEM;
		phys_write(r->mmw->pm, page_to_pfn(r->buf[i]), 0,
			   DMA_RACE_VAL + i);
	}
	init_completion(w, &r->mapped);
	init_completion(w, &r->dev_done);
	agent_create(w, "driver", dma_driver, r);
	agent_create(w, "device", dma_device, r);
	return iommu_dma_init_fq(r->cookie);
}

void dma_race_check(struct world *w, void *arg)
{
	struct dma_race *r = w->priv;
	int i;

	iommu_dma_check_quiescent(r->cookie);
	iommu_check_quiescent(r->iommu);
	for (i = 0; i < 2; i++)
		put_page(r->buf[i]);
	phys_check_leaks(r->mmw->pm, 0);
}

static const struct dma_race_opts opts_policy = {
	.ats = true,
	.rounds = 2,
	.iters = 3,
	.fq_timeout = 40,
};
static const struct dma_race_opts opts_deferred = {
	.deferred = true,
	.ats = true,
	.rounds = 2,
	.iters = 3,
	.fq_timeout = 40,
};

const struct model model_dma_unmap_vs_dma = {
	"dma-unmap-vs-dma",
	"a driver maps/unmaps DMA buffers while its device reads them (iommu.dma_invalidation from the policy; strict: clean)",
	dma_race_setup, dma_race_check, (void *)&opts_policy
};
const struct model model_dma_unmap_vs_dma_deferred = {
	"dma-unmap-vs-dma-deferred",
	"the same with iommu.dma_invalidation=deferred: device reads after dma_unmap_page() returned (dma-after-unmap)",
	dma_race_setup, dma_race_check, (void *)&opts_deferred
};

/* ---- SVA devices vs the primary MMU ---- */

#define SVA_FRAMES 1024
#define SVA_ADDR 0x10000000UL
#define SVA_TARGET 0x10400000UL /* another PTE table */
#define SVA_VAL 42
#define SVA_DEV_VAL 7

struct sva_flush_race {
	const struct sva_flush_race_opts *o;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct file *file;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_sva *sva;
	uint32_t pasid;
	int done, done2; /* the racing operations returned */
	int dev_wrote; /* the device's write succeeded */
	int stale_writes; /* ... although the PTE was read-only just before */
	int merged;
};

/* a model's syscall failed where it must not: the SVA models' report */
void sva_syscall_failed(struct world *w, const char *what, long ret)
{
	report_add(w, "syscall-failed", "%s: %s returned %ld\n", current->name,
		   what, ret);
}

/* mremap: the old address must not translate once the page is freed */
static void sva_mremap_device(void *arg)
{
	struct sva_flush_race *r = arg;
	bool moved, truncated;
	uint64_t v;
	int i;

	for (i = 0; i < r->o->iters; i++) {
		moved = READ_ONCE(r->done);
		truncated = READ_ONCE(r->done2);
		if (iommu_dma_read(r->dev, r->pasid, SVA_ADDR, &v))
			continue;
		if (moved || truncated)
			report_add(
				r->mmw->w, "value",
				"%s: device read of va %#lx succeeded after %s() had returned\n",
				current->name, SVA_ADDR,
				truncated ? "truncate" : "mremap");
		else if (v != SVA_VAL)
			report_add(
				r->mmw->w, "value",
				"%s: device read %llu from va %#lx, the file holds %d\n",
				current->name, (unsigned long long)v, SVA_ADDR,
				SVA_VAL);
	}
}

static void sva_mremapper(void *arg)
{
	struct sva_flush_race *r = arg;
	unsigned long ret = do_mremap(r->mm, SVA_ADDR, PAGE_SIZE, PAGE_SIZE,
				      MREMAP_MAYMOVE | MREMAP_FIXED,
				      SVA_TARGET);

	if (ret != SVA_TARGET)
		sva_syscall_failed(r->mmw->w, "mremap", (long)ret);
	WRITE_ONCE(r->done, 1);
}

static void sva_truncater(void *arg)
{
	struct sva_flush_race *r = arg;
	int ret = vfs_truncate(r->file, 0);

	if (ret)
		sva_syscall_failed(r->mmw->w, "truncate", ret);
	WRITE_ONCE(r->done2, 1);
}

/* DONTNEED: once either madvise returned, only zero (or a fault) */
static void sva_dontneed_device(void *arg)
{
	struct sva_flush_race *r = arg;
	bool after;
	uint64_t v;
	int i;

	for (i = 0; i < r->o->iters; i++) {
		after = READ_ONCE(r->done) || READ_ONCE(r->done2);
		if (iommu_dma_read(r->dev, r->pasid, SVA_ADDR, &v))
			continue;
		if (v == 0 || (v == SVA_VAL && !after))
			continue;
		report_add(r->mmw->w, "value",
			   "%s: device read %llu from va %#lx%s\n",
			   current->name, (unsigned long long)v, SVA_ADDR,
			   after ? " after MADV_DONTNEED had returned" : "");
	}
}

static void sva_dontneed(void *arg)
{
	struct sva_flush_race *r = arg;
	int ret = do_madvise(r->mm, SVA_ADDR, PAGE_SIZE, MADV_DONTNEED);

	if (ret)
		sva_syscall_failed(r->mmw->w, "madvise(MADV_DONTNEED)", ret);
	if (!strcmp(current->name, "dontneed-a"))
		WRITE_ONCE(r->done, 1);
	else
		WRITE_ONCE(r->done2, 1);
}

/* KSM: the device writes page B once; the result is checked at the end */
static void sva_ksm_device(void *arg)
{
	struct sva_flush_race *r = arg;
	bool ro;
	pte_t pte;
	int i;

	for (i = 0; i < r->o->iters; i++) {
		/* without PRI, a write that succeeds over a read-only PTE
		 * went through a cached writable translation */
		ro = sva_peek_pte(r->mm, SVA_ADDR + PAGE_SIZE, &pte) ||
		     !pte_write(pte);
		if (iommu_dma_write(r->dev, r->pasid, SVA_ADDR + PAGE_SIZE,
				    SVA_DEV_VAL))
			continue;
		WRITE_ONCE(r->dev_wrote, 1);
		if (ro)
			WRITE_ONCE(r->stale_writes, r->stale_writes + 1);
	}
}

static void sva_ksmd(void *arg)
{
	struct sva_flush_race *r = arg;

	if (!ksm_merge_pair(r->mm, SVA_ADDR, SVA_ADDR + PAGE_SIZE))
		WRITE_ONCE(r->merged, 1);
}

int sva_flush_race_setup(struct world *w, void *arg)
{
	const struct sva_flush_race_opts *o = arg;
	struct sva_flush_race *r = arena_alloc(w, sizeof(*r));
	struct cpu *c0;
	unsigned long a, len = PAGE_SIZE;
	uint64_t v;

	if (!r)
		return -ENOMEM;
	w->priv = r;
	r->o = o;
	r->mmw = mm_world_get(w, SVA_FRAMES, 3);
	if (!r->mmw)
		return -ENOMEM;
	c0 = mm_cpu(r->mmw, 0);
	r->mm = mm_alloc(r->mmw);
	if (!r->mm)
		return -ENOMEM;
	if (o->op == SVA_FLUSH_MREMAP) {
		/* a shared file page; the PTE stays clean (a read fault) */
		r->file = shmem_file_setup(r->mmw, PAGE_SIZE);
		a = vm_mmap(r->mm, r->file, SVA_ADDR, PAGE_SIZE,
			    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
		if (a != SVA_ADDR ||
		    filemap_write_word(r->file, 0, SVA_VAL) < 0 ||
		    cpu_read(c0, r->mm, a, &v) || v != SVA_VAL)
			return -EFAULT;
	} else {
		if (o->op == SVA_FLUSH_KSM)
			len = 2 * PAGE_SIZE;
		a = vm_mmap(r->mm, NULL, SVA_ADDR, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
		if (a != SVA_ADDR || cpu_write(c0, r->mm, a, SVA_VAL))
			return -EFAULT;
		if (o->op == SVA_FLUSH_KSM &&
		    (do_madvise(r->mm, a, len, MADV_MERGEABLE) ||
		     cpu_write(c0, r->mm, a + PAGE_SIZE, SVA_VAL)))
			return -EFAULT;
	}
	cpu_idle(c0);
	/* the device (ATS, no PRI) is bound and caches the translation */
	r->iommu = iommu_get(r->mmw);
	r->dev = pci_dev_add(r->iommu, "accel", true, false);
	if (!r->dev)
		return -ENOMEM;
	r->sva = iommu_sva_bind_device(r->dev, r->mm);
	if (IS_ERR(r->sva))
		return -ENODEV;
	r->pasid = iommu_sva_get_pasid(r->sva);
	if (o->op == SVA_FLUSH_KSM) {
		/* a writable translation of page B */
		if (iommu_dma_write(r->dev, r->pasid, a + PAGE_SIZE, SVA_VAL))
			return -EFAULT;
	} else if (iommu_dma_read(r->dev, r->pasid, a, &v) || v != SVA_VAL) {
		return -EFAULT;
	}

	switch (o->op) {
	case SVA_FLUSH_MREMAP:
		if (!agent_create(w, "device", sva_mremap_device, r) ||
		    !agent_create(w, "mremapper", sva_mremapper, r) ||
		    !agent_create(w, "truncater", sva_truncater, r))
			return -EAGAIN;
		break;
	case SVA_FLUSH_DONTNEED:
		if (!agent_create(w, "device", sva_dontneed_device, r) ||
		    !agent_create(w, "dontneed-a", sva_dontneed, r) ||
		    !agent_create(w, "dontneed-b", sva_dontneed, r))
			return -EAGAIN;
		break;
	case SVA_FLUSH_KSM:
		if (!agent_create(w, "device", sva_ksm_device, r) ||
		    !agent_create(w, "ksmd", sva_ksmd, r))
			return -EAGAIN;
		break;
	}
	return 0;
}

void sva_flush_race_stats(struct world *w, bool *merged, bool *stale_write)
{
	struct sva_flush_race *r = w->priv;

	*merged = r->merged;
	*stale_write = r->stale_writes > 0;
}

void sva_flush_race_check(struct world *w, void *arg)
{
	struct sva_flush_race *r = w->priv;
	struct cpu *c0 = mm_cpu(r->mmw, 0);
	uint64_t v = 0;

	(void)arg;
	if (r->o->op == SVA_FLUSH_KSM && r->dev_wrote) {
		/* the device's write returned success: it must be there */
		if (cpu_read(c0, r->mm, SVA_ADDR + PAGE_SIZE, &v) ||
		    v != SVA_DEV_VAL)
			report_add(
				w, "lost-update",
				"the device's write of %d to va %#lx returned success, but the page now holds %llu (KSM %s the page)\n",
				SVA_DEV_VAL, SVA_ADDR + PAGE_SIZE,
				(unsigned long long)v,
				r->merged ? "merged" : "did not merge");
		cpu_idle(c0);
	}
	iommu_check_quiescent(r->iommu);
	mm_check_quiescent(r->mmw);
	iommu_sva_unbind_device(r->sva);
	cpu_idle(c0);
	cpu_idle(mm_cpu(r->mmw, 1));
	cpu_idle(mm_cpu(r->mmw, 2));
	mmput(r->mm);
	if (r->file)
		fput(r->file);
	phys_check_leaks(r->mmw->pm, 0);
}

#define SVA_ITERS 2

static const struct sva_flush_race_opts opts_sva_mremap = {
	.op = SVA_FLUSH_MREMAP,
	.iters = SVA_ITERS,
};
static const struct sva_flush_race_opts opts_sva_dontneed = {
	.op = SVA_FLUSH_DONTNEED,
	.iters = 3,
};
static const struct sva_flush_race_opts opts_sva_ksm = {
	.op = SVA_FLUSH_KSM,
	.iters = SVA_ITERS,
};

const struct model model_sva_mremap_vs_truncate = {
	"sva-mremap-vs-truncate",
	"an SVA device has a file page cached while mremap moves it and truncate frees it (clean, in_range_end too; stale-atc with notifier.secondary_tlb_flush=none)",
	sva_flush_race_setup, sva_flush_race_check, (void *)&opts_sva_mremap
};
const struct model model_sva_dontneed_nested = {
	"sva-dontneed-nested",
	"an SVA device reads a page two MADV_DONTNEEDs drop; the nested flush reaches it as [0, -1UL) (clean; value with iommu.sva_full_range_flush=false)",
	sva_flush_race_setup, sva_flush_race_check, (void *)&opts_sva_dontneed
};
const struct model model_sva_ksm_vs_write = {
	"sva-ksm-vs-write",
	"ksmd merges the page an SVA device writes (clean under with_tlb_flush and in_range_end: the compare follows the range end)",
	sva_flush_race_setup, sva_flush_race_check, (void *)&opts_sva_ksm
};
