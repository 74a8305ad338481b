// SPDX-License-Identifier: MIT
/*
 * bench_mirror: the mirror device's fault rate.  One agent maps 16
 * anonymous pages, and the device faults all of them in for write
 * (read_begin, the hmm_range_fault-style walk with a handle_mm_fault per
 * page, read_retry, install); MADV_DONTNEED then zaps them (a CLEAR
 * invalidation that drops the device entries) and the loop repeats, so
 * every round faults 16 fresh pages.  Run under the deterministic engine
 * (every schedule point a coroutine switch) and the real engine (one
 * thread, real locks).  Figures are device pages faulted per second.
 *
 * Timings never fail the run: the exit status is nonzero only if a run
 * reports a violation or a device access returns a wrong value.
 *
 * Locking: the one agent owns everything; results are read after
 * world_run() joined it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "devices/mirror.h"
#include "engine/engine.h"
#include "mm/tlb.h"

#define NPAGES 16
#define DET_ROUNDS 2000
#define REAL_ROUNDS 4000

struct bench {
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct dmirror dev;
	long rounds;
	double t0, t1;
	int bad;
};

static void bench_agent(void *arg)
{
	struct bench *b = arg;
	unsigned long a;
	uint64_t v;
	long i;

	a = vm_mmap(b->mm, NULL, 0, NPAGES * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(a) || dmirror_init(&b->dev, b->mm, a, NPAGES)) {
		b->bad++;
		return;
	}
	b->t0 = now_sec();
	for (i = 0; i < b->rounds; i++) {
		if (dmirror_fault(&b->dev, a, NPAGES, true))
			b->bad++;
		if (dmirror_write(&b->dev, a, i) ||
		    dmirror_read(&b->dev, a, &v) || v != (uint64_t)i)
			b->bad++;
		if (do_madvise(b->mm, a, NPAGES * PAGE_SIZE, MADV_DONTNEED))
			b->bad++;
	}
	b->t1 = now_sec();
	dmirror_fini(&b->dev);
}

static double bench_run(enum engine_kind kind)
{
	struct bench b = { 0 };

	b.w = world_create(&(struct world_opts){
		.engine = kind, .max_steps = ~0UL, .seed = 1 });
	if (!b.w) {
		broken("world_create");
		return -1;
	}
	b.mmw = mm_world_get(b.w, 1024, 1);
	b.mm = b.mmw ? mm_alloc(b.mmw) : NULL;
	if (!b.mm) {
		broken("mm_alloc");
		world_destroy(b.w);
		return -1;
	}
	b.rounds = kind == ENGINE_DET ? DET_ROUNDS : REAL_ROUNDS;
	if (!agent_create(b.w, "bench", bench_agent, &b) || world_run(b.w))
		broken("world_run");
	if (b.bad)
		broken("device fault or access");
	cpu_idle(mm_cpu(b.mmw, 0));
	mmput(b.mm);
	if (b.w->nr_reports) {
		report_print_all(b.w, stderr);
		broken("reports");
	}
	world_destroy(b.w);
	return NPAGES * b.rounds / (b.t1 - b.t0);
}

int main(void)
{
	bench_name = "bench_mirror";
	figure("mirror fault det", bench_run(ENGINE_DET), "pages/s");
	figure("mirror fault real", bench_run(ENGINE_REAL), "pages/s");
	return bench_failures ? 1 : 0;
}
