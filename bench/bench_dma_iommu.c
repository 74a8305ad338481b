// SPDX-License-Identifier: MIT
/*
 * bench_dma_iommu: DMA-API domains and secondary-TLB invalidation counts.
 *
 * 1. DMA-API unmaps per second, strict vs deferred, under the real engine:
 *    one driver thread maps a page, its device writes it by DMA, the
 *    driver unmaps it, DMA_ROUNDS times (deferred: plus the flush-queue
 *    timer thread).  Also the IOTLB invalidation commands per unmap.
 * 2. The deferred exposure window (world steps from dma_unmap_page()'s
 *    return to the domain-wide flush that covers it): min / median / p99
 *    / max, from the real-engine run and from the deterministic engine
 *    under random schedules (a driver, its device and the timer).
 * 3. Secondary invalidations per 1,000 MM operations with an SVA device
 *    bound, for munmap, mprotect, KSM, migration and reclaim workloads
 *    under each notifier.secondary_tlb_flush policy:
 *    arch_invalidate_secondary_tlbs calls (plus invalidate_range_start
 *    calls of the AMD IOMMUv2 scheme under "none"), IOTLB invalidation
 *    commands and ATS (device TLB) invalidations.  Deterministic: one
 *    agent, the default scheduler, so the counts are exact.
 *
 * Timings never fail the run: the exit status is nonzero only if a run
 * reports a violation or a model call fails.
 *
 * Locking: each run's agents own their world; results are read after
 * world_run() or explore() returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/policy.h"
#include "engine/engine.h"
#include "iommu/dma-iommu.h"
#include "iommu/iommu-sva.h"
#include "mm/mm.h"
#include "mm/tlb.h"

#define DMA_ROUNDS 20000
#define NBUF 16
#define WIN_CAP 65536

/* ---- 1 and 2: DMA-API map/unmap ---- */

struct dbench {
	struct world *w;
	struct mm_world *mmw;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_dma_cookie *cookie;
	struct page *buf[NBUF];
	long rounds;
	double t0, t1;
	int bad;
};

static void dma_driver(void *arg)
{
	struct dbench *b = arg;
	dma_addr_t dma;
	long i;

	b->t0 = now_sec();
	for (i = 0; i < b->rounds; i++) {
		dma = iommu_dma_map_page(b->dev, b->buf[i % NBUF], 0, PAGE_SIZE,
					 DMA_BIDIRECTIONAL);
		if (dma == DMA_MAPPING_ERROR) {
			b->bad++;
			break;
		}
		if (iommu_dma_write(b->dev, IOMMU_NO_PASID, dma, i))
			b->bad++;
		iommu_dma_unmap_page(b->dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
	}
	b->t1 = now_sec();
	iommu_dma_domain_free(b->cookie);
}

/* the world's DMA domain, buffers and driver; 0 or -1 */
static int dbench_setup(struct dbench *b, struct world *w, long rounds,
			unsigned long win_cap)
{
	int i;

	b->w = w;
	b->rounds = rounds;
	b->mmw = mm_world_get(w, 256, 1);
	if (!b->mmw)
		return -1;
	b->iommu = iommu_get(b->mmw);
	b->dev = pci_dev_add(b->iommu, "nic", true, false);
	b->cookie = b->dev ? iommu_dma_domain_alloc(b->iommu, b->dev) : NULL;
	if (!b->cookie)
		return -1;
	if (win_cap)
		iommu_dma_record_windows(b->cookie, win_cap);
	for (i = 0; i < NBUF; i++)
		if (!(b->buf[i] = alloc_page(b->mmw->pm, __GFP_ZERO)))
			return -1;
	if (!agent_create(w, "driver", dma_driver, b) ||
	    iommu_dma_init_fq(b->cookie))
		return -1;
	return 0;
}

static void dbench_teardown(struct dbench *b)
{
	int i;

	iommu_dma_check_quiescent(b->cookie);
	for (i = 0; i < NBUF; i++)
		put_page(b->buf[i]);
	phys_check_leaks(b->mmw->pm, 0);
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void window_figures(const char *what, unsigned long *v, unsigned long n)
{
	char name[64];

	if (!n) {
		broken("no exposure windows recorded");
		return;
	}
	qsort(v, n, sizeof(*v), cmp_ul);
	snprintf(name, sizeof(name), "%s window min", what);
	figure(name, v[0], "steps");
	snprintf(name, sizeof(name), "%s window median", what);
	figure(name, v[n / 2], "steps");
	snprintf(name, sizeof(name), "%s window p99", what);
	figure(name, v[(n * 99) / 100], "steps");
	snprintf(name, sizeof(name), "%s window max", what);
	figure(name, v[n - 1], "steps");
	snprintf(name, sizeof(name), "%s windows", what);
	figure(name, n, "unmaps");
}

static void dma_rate(bool deferred)
{
	struct policy pol;
	struct dbench b = { 0 };
	struct world *w;
	char err[128];
	unsigned long *win;

	policy_init_default(&pol);
	policy_set(&pol, "iommu.dma_invalidation",
		   deferred ? "deferred" : "strict", err, sizeof(err));
	w = world_create(&(struct world_opts){ .engine = ENGINE_REAL,
					       .max_steps = ~0UL,
					       .seed = 1,
					       .policy = &pol });
	if (!w || dbench_setup(&b, w, DMA_ROUNDS, deferred ? WIN_CAP : 0) ||
	    world_run(w)) {
		broken("dma world");
		if (w)
			world_destroy(w);
		return;
	}
	if (b.bad)
		broken("dma map or device write failed");
	dbench_teardown(&b);
	if (w->nr_reports && !deferred) {
		report_print_all(w, stderr);
		broken("reports under strict invalidation");
	}
	figure(deferred ? "dma unmap deferred real" : "dma unmap strict real",
	       b.rounds / (b.t1 - b.t0), "unmaps/s");
	figure(deferred ? "iotlb commands per unmap deferred" :
			  "iotlb commands per unmap strict",
	       (double)b.iommu->stats.inv_cmds / b.rounds, "cmds");
	if (deferred) {
		figure("fq flushes (full queue) real",
		       b.cookie->nr_fq_full_flushes, "flushes");
		figure("fq flushes (timeout) real",
		       b.cookie->nr_fq_timeout_flushes, "flushes");
		win = malloc(b.cookie->windows.nr * sizeof(*win) + 1);
		memcpy(win, b.cookie->windows.v,
		       b.cookie->windows.nr * sizeof(*win));
		window_figures("deferred real", win, b.cookie->windows.nr);
		free(win);
	}
	world_destroy(w);
}

/*
 * The deterministic engine under random schedules: the driver, a device
 * agent reading whatever was mapped last, and the timer.
 */
#define DET_ROUNDS 256
#define DET_EXECS 100

static struct {
	unsigned long *v;
	unsigned long n, cap;
	int bad;
} det_win;

struct dwin_run {
	struct dbench b;
	int done;
};

static void dwin_device(void *arg)
{
	struct dwin_run *r = arg;
	uint64_t v;

	while (!READ_ONCE(r->done))
		iommu_dma_read(r->b.dev, IOMMU_NO_PASID,
			       (DMA_IOVA_LIMIT_PFN << PAGE_SHIFT), &v);
}

static void dwin_driver(void *arg)
{
	struct dwin_run *r = arg;

	dma_driver(&r->b);
	WRITE_ONCE(r->done, 1);
}

static int dwin_setup(struct world *w, void *arg)
{
	struct dwin_run *r = arena_alloc(w, sizeof(*r));
	struct dbench *b = &r->b;
	int i;

	(void)arg;
	w->priv = r;
	w->policy->v[KNOB_IOMMU_DMA_INVALIDATION] = IOMMU_DMA_DEFERRED;
	b->w = w;
	b->rounds = DET_ROUNDS;
	b->mmw = mm_world_get(w, 256, 1);
	if (!b->mmw)
		return -1;
	b->iommu = iommu_get(b->mmw);
	b->dev = pci_dev_add(b->iommu, "nic", true, false);
	b->cookie = b->dev ? iommu_dma_domain_alloc(b->iommu, b->dev) : NULL;
	if (!b->cookie)
		return -1;
	iommu_dma_record_windows(b->cookie, DET_ROUNDS);
	for (i = 0; i < NBUF; i++)
		if (!(b->buf[i] = alloc_page(b->mmw->pm, __GFP_ZERO)))
			return -1;
	if (!agent_create(w, "driver", dwin_driver, r) ||
	    !agent_create(w, "device", dwin_device, r))
		return -1;
	return iommu_dma_init_fq(b->cookie);
}

static void dwin_check(struct world *w, void *arg)
{
	struct dwin_run *r = w->priv;
	struct dma_windows *dw = &r->b.cookie->windows;
	unsigned long i;

	(void)arg;
	det_win.bad += r->b.bad;
	for (i = 0; i < dw->nr && det_win.n < det_win.cap; i++)
		det_win.v[det_win.n++] = dw->v[i];
	dbench_teardown(&r->b);
}

static void dma_windows_det(void)
{
	const struct model m = { .name = "dma-windows",
				 .setup = dwin_setup,
				 .check = dwin_check };
	struct explore_opts o = { .strategy = STRAT_RANDOM,
				  .iterations = DET_EXECS,
				  .seed = 1,
				  .max_steps = ~0UL,
				  .progress_fd = -1 };
	struct explore_result r;
	unsigned long k;

	det_win.cap = DET_EXECS * DET_ROUNDS;
	det_win.v = calloc(det_win.cap, sizeof(*det_win.v));
	if (explore(&m, &o, &r))
		broken("explore dma-windows");
	/* only dma-after-unmap may be reported (the device reads on) */
	for (k = 0; k < (unsigned long)r.nr_kinds; k++)
		if (strcmp(r.kinds[k].kind, "dma-after-unmap"))
			broken(r.kinds[k].kind);
	if (det_win.bad)
		broken("dma map or device write failed (det)");
	window_figures("deferred det", det_win.v, det_win.n);
	figure("deferred det executions with dma-after-unmap", r.violating,
	       "of 100");
	explore_result_free(&r);
	free(det_win.v);
}

/* ---- 3: secondary invalidations per 1,000 MM operations ---- */

#define MM_OPS 1000

enum workload { WL_MUNMAP, WL_MPROTECT, WL_KSM, WL_MIGRATE, WL_RECLAIM };

static const char *const wl_names[] = { "munmap", "mprotect", "ksm",
					"migration", "reclaim" };

struct sbench {
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct cpu *c0;
	struct iommu *iommu;
	struct pci_dev *dev;
	struct iommu_sva *sva;
	uint32_t pasid;
	enum workload wl;
	unsigned long ops;
	int bad;
};

static struct folio *follow_folio(struct mm_struct *mm, unsigned long va)
{
	struct folio *folio = NULL;
	spinlock_t *ptl;
	pte_t *pte;
	pmd_t *pmd;

	mmap_read_lock(mm);
	pmd = mm_find_pmd(mm, va);
	pte = pmd ? pte_offset_map_lock(mm, pmd, va, &ptl) : NULL;
	if (pte) {
		pte_t ptent = ptep_get(pte);

		if (pte_present(ptent)) {
			folio = page_folio(
				pfn_to_page(mm->mmw->pm, pte_pfn(ptent)));
			if (!folio_try_get(folio))
				folio = NULL;
		}
		pte_unmap_unlock(pte, ptl);
	}
	mmap_read_unlock(mm);
	return folio;
}

static void dev_touch(struct sbench *b, unsigned long va)
{
	uint64_t v;

	/* fills the IOTLB and ATC; a fault (no PRI) is fine */
	iommu_dma_read(b->dev, b->pasid, va, &v);
}

static void sbench_agent(void *arg)
{
	struct sbench *b = arg;
	const unsigned long rw = PROT_READ | PROT_WRITE;
	const unsigned long anon = MAP_PRIVATE | MAP_ANONYMOUS;
	unsigned long a = 0, i;
	struct folio *folio;

	if (b->wl != WL_MUNMAP) {
		a = vm_mmap(b->mm, NULL, 0, 2 * PAGE_SIZE, rw, anon, 0);
		if (IS_ERR_VALUE(a) || cpu_write(b->c0, b->mm, a, 1))
			b->bad++;
		if (b->wl == WL_KSM &&
		    do_madvise(b->mm, a, 2 * PAGE_SIZE, MADV_MERGEABLE))
			b->bad++;
	}
	for (i = 0; i < MM_OPS; i++) {
		switch (b->wl) {
		case WL_MUNMAP:
			a = vm_mmap(b->mm, NULL, 0, PAGE_SIZE, rw, anon, 0);
			if (IS_ERR_VALUE(a) || cpu_write(b->c0, b->mm, a, i))
				b->bad++;
			dev_touch(b, a);
			if (vm_munmap(b->mm, a, PAGE_SIZE))
				b->bad++;
			break;
		case WL_MPROTECT:
			dev_touch(b, a);
			if (do_mprotect_pkey(b->mm, a, PAGE_SIZE,
					     i & 1 ? rw : PROT_READ, -1))
				b->bad++;
			break;
		case WL_KSM:
			/* two identical pages again (a write breaks COW) */
			if (cpu_write(b->c0, b->mm, a, 42) ||
			    cpu_write(b->c0, b->mm, a + PAGE_SIZE, 42))
				b->bad++;
			dev_touch(b, a + PAGE_SIZE);
			ksm_merge_pair(b->mm, a, a + PAGE_SIZE);
			break;
		case WL_MIGRATE:
			dev_touch(b, a);
			folio = follow_folio(b->mm, a);
			if (!folio) {
				b->bad++;
				break;
			}
			migrate_folio_one(b->mmw, folio);
			folio_put(folio);
			break;
		case WL_RECLAIM: {
			struct tlbflush_unmap_batch ubc = { 0 };
			struct scan_control sc = { .nr_to_reclaim = 1,
						   .ignore_references = true,
						   .tlb_ubc = &ubc };

			/* fault it back in (swap-in), let the device see it */
			if (cpu_write(b->c0, b->mm, a, i))
				b->bad++;
			dev_touch(b, a);
			kswapd_shrink(b->mmw, &sc);
			break;
		}
		}
		b->ops++;
	}
	cpu_idle(b->c0);
}

struct scount {
	unsigned long arch_calls, starts, iotlb_cmds, ats_cmds;
};

static int sbench_run(enum workload wl, const char *policy_value, bool amd_v2,
		      struct scount *out)
{
	struct policy pol;
	struct sbench b = { .wl = wl };
	struct intel_svm *svm;
	char err[128];
	unsigned long cmds0, ats0;

	policy_init_default(&pol);
	policy_set(&pol, "notifier.secondary_tlb_flush", policy_value, err,
		   sizeof(err));
	b.w = world_create(&(struct world_opts){
		.engine = ENGINE_DET, .max_steps = ~0UL, .policy = &pol });
	if (!b.w)
		return -1;
	b.mmw = mm_world_get(b.w, 2048, 1);
	b.mm = b.mmw ? mm_alloc(b.mmw) : NULL;
	if (!b.mm)
		goto fail;
	b.c0 = mm_cpu(b.mmw, 0);
	b.iommu = iommu_get(b.mmw);
	b.iommu->vendor = amd_v2 ? IOMMU_VENDOR_AMD_V2 : IOMMU_VENDOR_INTEL;
	b.dev = pci_dev_add(b.iommu, "accel", true, false);
	b.sva = b.dev ? iommu_sva_bind_device(b.dev, b.mm) : NULL;
	if (!b.sva || IS_ERR(b.sva))
		goto fail;
	b.pasid = iommu_sva_get_pasid(b.sva);
	svm = b.sva->svm;
	cmds0 = b.iommu->stats.inv_cmds;
	ats0 = b.iommu->stats.dev_inv_cmds;
	if (!agent_create(b.w, "mm", sbench_agent, &b) || world_run(b.w))
		goto fail;
	out->arch_calls = svm->nr_inv_range + svm->nr_inv_all;
	out->starts = svm->nr_inv_start;
	out->iotlb_cmds = b.iommu->stats.inv_cmds - cmds0;
	out->ats_cmds = b.iommu->stats.dev_inv_cmds - ats0;
	if (b.bad || b.ops != MM_OPS)
		broken(wl_names[wl]);
	iommu_sva_unbind_device(b.sva);
	cpu_idle(b.c0);
	mmput(b.mm);
	world_destroy(b.w);
	return 0;
fail:
	broken("secondary invalidation world");
	world_destroy(b.w);
	return -1;
}

static void secondary_counts(void)
{
	static const struct {
		const char *policy;
		bool amd_v2;
		const char *label;
	} pols[] = {
		{ "with_tlb_flush", false, "with_tlb_flush" },
		{ "in_range_end", false, "in_range_end" },
		{ "none", false, "none (Intel glue)" },
		{ "none", true, "none (AMD v2 start/end)" },
	};
	unsigned int p, wl;

	printf("secondary invalidations per %d MM operations, SVA device bound:\n",
	       MM_OPS);
	printf("  %-10s %-24s %12s %10s %10s %10s\n", "workload", "policy",
	       "arch_calls", "starts", "iotlb_cmd", "ats_cmd");
	for (wl = 0; wl <= WL_RECLAIM; wl++) {
		for (p = 0; p < sizeof(pols) / sizeof(pols[0]); p++) {
			struct scount c = { 0 };
			char name[64];

			if (sbench_run(wl, pols[p].policy, pols[p].amd_v2, &c))
				continue;
			printf("  %-10s %-24s %12lu %10lu %10lu %10lu\n",
			       wl_names[wl], pols[p].label, c.arch_calls,
			       c.starts, c.iotlb_cmds, c.ats_cmds);
			snprintf(name, sizeof(name), "%s %s iotlb cmds",
				 wl_names[wl], pols[p].label);
			if (bench_nr_figures < BENCH_MAX_FIGURES) {
				struct bench_figure *f =
					&bench_figures[bench_nr_figures++];

				snprintf(f->name, sizeof(f->name), "%s", name);
				f->value = c.iotlb_cmds;
				f->unit = "per 1000 ops";
			}
		}
	}
	fflush(stdout);
}

int main(void)
{
	bench_name = "bench_dma_iommu";
	dma_rate(false);
	dma_rate(true);
	dma_windows_det();
	secondary_counts();
	return bench_failures ? 1 : 0;
}
