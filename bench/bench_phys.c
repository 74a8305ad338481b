// SPDX-License-Identifier: MIT
/*
 * bench_phys: what a modeled frame costs (issue 3's memory figures).
 *
 *   1. bytes of metadata per frame: sizeof(struct page) and the figure
 *      phys_metadata_bytes_per_frame() reports with and without content;
 *   2. RSS for 16M modeled frames: created, then every frame allocated
 *      once (touching its struct page), then 1M frames with 4 written
 *      words each; RSS read from /proc/self/statm;
 *   3. order-0 alloc+free and alloc+write+free cost in ns (det engine
 *      world, called outside agents, so no schedule points are taken).
 *
 * Figures are printed as "name: value unit"; timing never fails the run.
 * Locking: single-threaded, outside agents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "phys/page.h"

#define FRAMES_16M (16UL << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double rss_mib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

static int fail(const char *what)
{
	fprintf(stderr, "bench_phys: %s failed\n", what);
	return 1;
}

static int bench_16m(struct world *w)
{
	double base = rss_mib(), t0;
	struct phys_mem *pm = phys_mem_create(w, FRAMES_16M);
	unsigned long i, n = 0;
	struct page *p;

	if (!pm)
		return fail("phys_mem_create(16M)");
	printf("rss-16m-created: %.1f MiB\n", rss_mib() - base);
	t0 = now();
	while ((p = alloc_pages(pm, GFP_NOWAIT, 0)))
		n++;
	printf("frames-allocated: %lu frames in %.2f s\n", n, now() - t0);
	printf("rss-16m-all-allocated: %.1f MiB\n", rss_mib() - base);
	for (i = 0; i < (1UL << 20); i++)
		for (unsigned j = 0; j < 4; j++)
			if (phys_write(pm, i, j * 64, i + j + 1))
				return fail("phys_write");
	printf("rss-16m-plus-1m-written: %.1f MiB\n", rss_mib() - base);
	printf("metadata-bytes-per-frame-with-content: %.2f B/frame\n",
	       phys_metadata_bytes_per_frame(pm));
	phys_mem_destroy(pm);
	return 0;
}

static int bench_alloc(struct world *w)
{
	struct phys_mem *pm = phys_mem_create(w, 65536);
	const unsigned long iters = 2000000;
	unsigned long i;
	struct page *p;
	double t0;

	if (!pm)
		return fail("phys_mem_create(64K)");
	printf("metadata-bytes-per-frame: %.2f B/frame (sizeof(struct page) = %zu)\n",
	       phys_metadata_bytes_per_frame(pm), sizeof(struct page));
	t0 = now();
	for (i = 0; i < iters; i++) {
		p = alloc_pages(pm, GFP_NOWAIT, 0);
		if (!p)
			return fail("alloc_pages");
		__free_pages(p, 0);
	}
	printf("alloc-free: %.1f ns/pair\n", (now() - t0) * 1e9 / iters);
	t0 = now();
	for (i = 0; i < iters; i++) {
		p = alloc_pages(pm, GFP_NOWAIT, 0);
		if (!p || phys_write(pm, page_to_pfn(p), 8, i + 1))
			return fail("alloc+write");
		__free_pages(p, 0);
	}
	printf("alloc-write-free: %.1f ns/triple\n", (now() - t0) * 1e9 / iters);
	phys_mem_destroy(pm);
	return 0;
}

int main(void)
{
	struct world *w = world_create(&(struct world_opts){ .engine = ENGINE_DET });
	int ret;

	if (!w)
		return fail("world_create");
	printf("== physical memory model\n");
	ret = bench_alloc(w) || bench_16m(w);
	world_destroy(w);
	return ret;
}
