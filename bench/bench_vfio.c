// SPDX-License-Identifier: MIT
/*
 * bench_vfio: VFIO type1 MAP_DMA / UNMAP_DMA throughput and the cost of
 * the 2024 series' CPU cache flushes.
 *
 * 1. Pages per second of VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA of
 *    one mapping of 1 .. 262144 pages (already faulted in), for 1, 2 and
 *    4 coherent domains, and for one non-coherent domain with
 *    vfio.noncoherent_flush=none and =map_and_unpin; the flush's share of
 *    the map+unmap time is (t_flush - t_none) / t_flush.
 * 2. vfio_iommu_replay(): pages per second replayed into a new domain
 *    when a group with another coherency attaches to a container that
 *    maps 1 .. 262144 pages.
 *
 * Deterministic engine, calls from the main thread (no agent switches):
 * the figures are the model's own cost per page (pinning through gup,
 * locked_vm accounting, io-pgtable, IOTLB sync, clflush of 64 lines a
 * page in the cache model).  Timings never fail the run; a wrong return
 * value does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "core/policy.h"
#include "phys/cache.h"
#include "vfio/vfio.h"

#define MAX_PAGES 262144UL
#define FRAMES (MAX_PAGES + 8192)
#define VA 0x100000000UL
#define IOVA 0x40000000UL

struct vbench {
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct vfio_iommu *c;
	struct vfio_task task;
};

static int vb_init(struct vbench *b, unsigned nc_flush)
{
	struct policy pol;
	char err[128];
	int e;

	policy_init_default(&pol);
	if (policy_set(&pol, "vfio.noncoherent_flush",
		       nc_flush ? "map_and_unpin" : "none", err, sizeof(err)))
		return -1;
	b->w = world_create(
		&(struct world_opts){ .engine = ENGINE_DET, .policy = &pol });
	b->mmw = b->w ? mm_world_get(b->w, FRAMES, 1) : NULL;
	b->mm = b->mmw ? mm_alloc(b->mmw) : NULL;
	if (!b->mm)
		return -1;
	if (vm_mmap(b->mm, NULL, VA, MAX_PAGES * PAGE_SIZE,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE,
		    0) != VA)
		return -1;
	b->c = vfio_iommu_type1_open(b->mmw, VFIO_TYPE1v2_IOMMU, &e);
	b->task = (struct vfio_task){ .mm = b->mm,
				      .rlimit_memlock = RLIM_INFINITY };
	return b->c ? 0 : -1;
}

static void vb_fini(struct vbench *b)
{
	vfio_iommu_type1_release(b->c);
	mmput(b->mm);
	world_destroy(b->w);
}

static long vb_map(struct vbench *b, unsigned long pages)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = VA,
		.iova = IOVA,
		.size = pages * PAGE_SIZE,
	};

	return vfio_iommu_type1_ioctl(b->c, &b->task, VFIO_IOMMU_MAP_DMA, &m);
}

static long vb_unmap(struct vbench *b, unsigned long pages)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
						.iova = IOVA,
						.size = pages * PAGE_SIZE };
	long ret = vfio_iommu_type1_ioctl(b->c, &b->task, VFIO_IOMMU_UNMAP_DMA,
					  &u);

	return ret ? ret : (long)(u.size != pages * PAGE_SIZE);
}

static const unsigned long sizes[] = { 1, 16, 256, 4096, 65536, 262144 };
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* map/unmap rates for one configuration; t[] gets seconds per page */
static void run_config(const char *name, int coherent_domains, bool nc,
		       unsigned nc_flush, double *tpp)
{
	struct vbench b;
	char gname[8][16];
	unsigned i;
	int d;

	if (vb_init(&b, nc_flush)) {
		broken("vfio bench setup");
		return;
	}
	for (d = 0; d < coherent_domains + (nc ? 1 : 0); d++) {
		struct vfio_group *g;
		bool coherent = d < coherent_domains;

		snprintf(gname[d], sizeof(gname[d]), "g%d", d);
		g = vfio_group_add(b.mmw, gname[d], coherent);
		/* a group per IOMMU driver: each gets its own domain */
		if (g)
			g->ops_id = d;
		if (!g || vfio_iommu_type1_attach_group(b.c, g)) {
			broken("attach");
			vb_fini(&b);
			return;
		}
	}
	for (i = 0; i < NR_SIZES; i++) {
		unsigned long n = sizes[i], reps = MAX_PAGES / n, r;
		double t0, tm = 0, tu = 0;

		if (reps > 256)
			reps = 256;
		for (r = 0; r < reps; r++) {
			t0 = now_sec();
			if (vb_map(&b, n))
				broken("map");
			tm += now_sec() - t0;
			t0 = now_sec();
			if (vb_unmap(&b, n))
				broken("unmap");
			tu += now_sec() - t0;
		}
		printf("%-22s %7lu pages x%-4lu  map %10.3e pages/s  unmap %10.3e pages/s\n",
		       name, n, reps, n * reps / tm, n * reps / tu);
		tpp[i] = (tm + tu) / (n * reps);
	}
	fflush(stdout);
	vb_fini(&b);
}

static void bench_map_unmap(void)
{
	double coh[3][NR_SIZES], none[NR_SIZES], flush[NR_SIZES];
	static const int ndom[3] = { 1, 2, 4 };
	char name[32];
	unsigned i;
	int k;

	printf("== VFIO_IOMMU_MAP_DMA / UNMAP_DMA of one mapping (pages/s) ==\n");
	for (k = 0; k < 3; k++) {
		snprintf(name, sizeof(name), "coherent x%d domains", ndom[k]);
		run_config(name, ndom[k], false, 0, coh[k]);
	}
	run_config("non-coherent, no flush", 0, true, 0, none);
	run_config("non-coherent, flush", 0, true, 1, flush);
	printf("flush share of map+unmap time (non-coherent domain):\n");
	for (i = 0; i < NR_SIZES; i++)
		printf("  %7lu pages: %5.1f %%\n", sizes[i],
		       100.0 * (flush[i] - none[i]) / flush[i]);
	figure("vfio map+unmap 262144 pages, 1 coherent domain",
	       1.0 / coh[0][NR_SIZES - 1], "pages/s");
	figure("vfio map+unmap 262144 pages, 4 coherent domains",
	       1.0 / coh[2][NR_SIZES - 1], "pages/s");
	figure("vfio map+unmap 262144 pages, non-coherent + flush",
	       1.0 / flush[NR_SIZES - 1], "pages/s");
	figure("vfio flush share at 262144 pages",
	       100.0 * (flush[NR_SIZES - 1] - none[NR_SIZES - 1]) /
		       flush[NR_SIZES - 1],
	       "%");
}

static void bench_replay(void)
{
	unsigned i;

	printf("== vfio_iommu_replay() into a new (non-coherent) domain ==\n");
	for (i = 0; i < NR_SIZES; i++) {
		struct vbench b;
		struct vfio_group *a, *g;
		double t0, t;

		if (vb_init(&b, 1)) {
			broken("replay setup");
			return;
		}
		a = vfio_group_add(b.mmw, "coh", true);
		g = vfio_group_add(b.mmw, "nc", false);
		if (vfio_iommu_type1_attach_group(b.c, a) ||
		    vb_map(&b, sizes[i]))
			broken("replay map");
		t0 = now_sec();
		if (vfio_iommu_type1_attach_group(b.c, g))
			broken("replay attach");
		t = now_sec() - t0;
		printf("replay %7lu pages: %8.3f ms  %10.3e pages/s  (%lu flushed)\n",
		       sizes[i], t * 1e3, sizes[i] / t,
		       b.c->stats.flushed_pages);
		if (i == NR_SIZES - 1)
			figure("vfio replay 262144 pages into a non-coherent domain",
			       sizes[i] / t, "pages/s");
		vb_fini(&b);
	}
}

int main(void)
{
	bench_name = "bench_vfio";
	bench_map_unmap();
	bench_replay();
	return bench_failures ? 1 : 0;
}
