// SPDX-License-Identifier: MIT
/*
 * bench_vfio_pci: the cost of vfio-pci's BAR faults and of its zap, per
 * page, in each design (vfio_pci.design), as the BAR grows from 1 to
 * 262144 pages (1 GiB) and with 1 or 4 processes mapping it.
 *
 * One agent on the real engine (real locks, no other agent): every
 * process maps the whole BAR0; then
 *   - fault: every page of every mapping is read once by CPU0 (the first
 *     read of a page faults: one vmf_insert_pfn per page in
 *     unmap_mapping_range, one io_remap_pfn_range of the whole VMA in
 *     the vma_list designs, after which the other reads only walk);
 *     figure: ns per page touched;
 *   - zap: the user clears the memory bit (the zap of every mapping, then
 *     down_write(memory_lock) and the COMMAND write); figure: ns per
 *     page mapped;
 *   - the memory bit goes back on before the next round.
 * Each figure is the best of 5 rounds (the machine may be shared).  memory_lock_outer is left out:
 * it is the unmap of vma_list with the locks in another order (and
 * lockdep reports it).
 *
 * usage: bench_vfio_pci [quick]   (quick: BARs up to 4096 pages)
 *
 * Timings never fail the run: the exit status is nonzero only if an
 * access fails or reads a wrong value, or a run reports a violation.
 *
 * Locking: the one agent owns everything; results are read after
 * world_run() joined it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "engine/engine.h"
#include "mm/tlb.h"
#include "vfio/vfio_pci_core.h"

#define ROUNDS 5
#define MAX_PROCS 4

struct bench {
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm[MAX_PROCS];
	struct pci_dev pdev;
	struct vfio_pci_core_device vdev;
	unsigned long pages;
	int procs;
	double fault_ns[ROUNDS], zap_ns[ROUNDS];
	int bad;
};

/* the best round: the machine is shared, so noise only adds */
static double best(const double *v)
{
	double m = v[0];
	int i;

	for (i = 1; i < ROUNDS; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static void bench_agent(void *arg)
{
	struct bench *b = arg;
	struct cpu *cpu = mm_cpu(b->mmw, 0);
	unsigned long addr[MAX_PROCS], i;
	double t0;
	uint64_t v;
	int p, r;

	for (p = 0; p < b->procs; p++) {
		addr[p] = vfio_pci_mmap_bar(&b->vdev, b->mm[p], 0, 0,
					    b->pages << PAGE_SHIFT, 0, false);
		if (IS_ERR_VALUE(addr[p])) {
			b->bad++;
			return;
		}
	}
	for (r = 0; r < ROUNDS; r++) {
		t0 = now_sec();
		for (p = 0; p < b->procs; p++)
			for (i = 0; i < b->pages; i++)
				if (cpu_read(cpu, b->mm[p],
					     addr[p] + (i << PAGE_SHIFT), &v) ||
				    v != 0)
					b->bad++;
		b->fault_ns[r] = (now_sec() - t0) * 1e9 / (b->pages * b->procs);
		t0 = now_sec();
		vfio_pci_config_write_command(&b->vdev, PCI_COMMAND_MASTER);
		b->zap_ns[r] = (now_sec() - t0) * 1e9 / (b->pages * b->procs);
		vfio_pci_config_write_command(
			&b->vdev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	}
	for (p = 0; p < b->procs; p++)
		if (vm_munmap(b->mm[p], addr[p], b->pages << PAGE_SHIFT))
			b->bad++;
	cpu_idle(cpu);
}

static int bench_run(enum vfio_pci_design design, unsigned long pages,
		     int procs, double *fault_ns, double *zap_ns)
{
	struct bench *b = calloc(1, sizeof(*b));
	struct policy pol;
	int p, ret = -1;

	policy_init_default(&pol);
	pol.v[KNOB_VFIO_PCI_DESIGN] = design;
	b->w = world_create(&(struct world_opts){ .engine = ENGINE_REAL,
						  .max_steps = ~0UL,
						  .seed = 1,
						  .policy = &pol });
	if (!b->w) {
		broken("world_create");
		goto out;
	}
	/* the BAR, plus a PTE table per 512 pages of each mapping */
	b->mmw = mm_world_get(b->w, pages + procs * (pages / 512 + 64) + 4096,
			      1);
	b->pages = pages;
	b->procs = procs;
	if (!b->mmw || pci_dev_init(&b->pdev, b->mmw, "bar", &pages, 1) ||
	    vfio_pci_core_init_dev(&b->vdev, &b->pdev)) {
		broken("device setup");
		goto destroy;
	}
	for (p = 0; p < procs; p++)
		b->mm[p] = mm_alloc(b->mmw);
	if (!agent_create(b->w, "bench", bench_agent, b) || world_run(b->w))
		broken("world_run");
	if (b->bad)
		broken("BAR access");
	for (p = 0; p < procs; p++)
		mmput(b->mm[p]);
	if (b->w->nr_reports) {
		report_print_all(b->w, stderr);
		broken("reports");
	}
	*fault_ns = best(b->fault_ns);
	*zap_ns = best(b->zap_ns);
	ret = 0;
destroy:
	world_destroy(b->w);
out:
	free(b);
	return ret;
}

int main(int argc, char **argv)
{
	static const enum vfio_pci_design designs[] = {
		VFIO_PCI_DESIGN_UNMAP_MAPPING_RANGE,
		VFIO_PCI_DESIGN_VMA_LIST,
		VFIO_PCI_DESIGN_VMA_LIST_TRYLOCK,
		VFIO_PCI_DESIGN_PAUSE_FAULTS,
	};
	static const unsigned long sizes[] = { 1, 64, 4096, 262144 };
	static const int procs[] = { 1, 4 };
	bool quick = argc > 1 && !strcmp(argv[1], "quick");
	double f, z;
	char name[64];
	unsigned d, s, p;
	int i;

	bench_name = "bench_vfio_pci";
	printf("%-20s %8s %5s %14s %14s\n", "design", "pages", "procs",
	       "fault ns/page", "zap ns/page");
	for (d = 0; d < ARRAY_SIZE(designs); d++)
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			if (quick && sizes[s] > 4096)
				continue;
			for (p = 0; p < ARRAY_SIZE(procs); p++) {
				if (bench_run(designs[d], sizes[s], procs[p],
					      &f, &z))
					continue;
				printf("%-20s %8lu %5d %14.1f %14.1f\n",
				       vfio_pci_design_name(designs[d]),
				       sizes[s], procs[p], f, z);
				if (sizes[s] == 4096 && procs[p] == 1) {
					snprintf(name, sizeof(name),
						 "%s fault 4096",
						 vfio_pci_design_name(
							 designs[d]));
					figure(name, f, "ns/page");
					snprintf(name, sizeof(name),
						 "%s zap 4096",
						 vfio_pci_design_name(
							 designs[d]));
					figure(name, z, "ns/page");
				}
			}
		}
	printf("== summary\n");
	for (i = 0; i < bench_nr_figures; i++)
		printf("  %-32s %14.1f %s\n", bench_figures[i].name,
		       bench_figures[i].value, bench_figures[i].unit);
	return bench_failures ? 1 : 0;
}
