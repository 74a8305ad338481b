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
 * Second, the notifier's cost through the mm call sites: one agent maps
 * 64 populated anonymous pages and times munmap (UNMAP), MADV_DONTNEED
 * (CLEAR) or mprotect (PROTECTION_VMA, toggling PROT_READ and
 * PROT_READ|PROT_WRITE) of all of them, with
 *   - 0, 1, 4 or 16 mirror devices registered (16 pages each, spread over
 *     the 64, so every call invalidates every device once; the devices'
 *     tables are empty: the callback takes the mutex, sets the sequence
 *     and scans its entries), and
 *   - 1, 10, 100, 1000 or 10000 registered one-page interval notifiers,
 *     one inside the 64 pages and the others elsewhere (the cost of the
 *     interval-tree lookup as the tree grows).
 * Only the operation is timed (not the CPU writes that repopulate the
 * pages, nor munmap's mmap).  Figures are pages the operation
 * invalidated per second (64 per call), the median of 5 runs.
 *
 * Timings never fail the run: the exit status is nonzero only if a run
 * reports a violation, an operation fails, a device access returns a
 * wrong value or a callback count is wrong.
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

/* a world of @kind with 1024 frames, one CPU and one mm; 0 or -1 */
static int bench_world(enum engine_kind kind, struct world **w,
		       struct mm_world **mmw, struct mm_struct **mm)
{
	*w = world_create(&(struct world_opts){
		.engine = kind, .max_steps = ~0UL, .seed = 1 });
	if (!*w) {
		broken("world_create");
		return -1;
	}
	*mmw = mm_world_get(*w, 1024, 1);
	*mm = *mmw ? mm_alloc(*mmw) : NULL;
	if (!*mm) {
		broken("mm_alloc");
		world_destroy(*w);
		return -1;
	}
	return 0;
}

static double bench_run(enum engine_kind kind)
{
	struct bench b = { 0 };

	if (bench_world(kind, &b.w, &b.mmw, &b.mm))
		return -1;
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

/* ---- the notifier through the mm call sites ---- */

#define CS_PAGES 64
#define CS_ADDR 0x40000000UL
#define CS_FAR 0x100000000UL /* intervals that the calls never touch */
#define CS_DET_CALLS 300
#define CS_REAL_CALLS 2000
#define CS_REPS 5 /* the median of 5 runs: the machine is shared */

enum cs_op { CS_MUNMAP, CS_DONTNEED, CS_MPROTECT, CS_NR_OPS };

static const char *const cs_op_names[CS_NR_OPS] = { "munmap", "dontneed",
						    "mprotect" };

struct cs_int {
	struct mmu_interval_notifier mni;
	unsigned long calls;
};

struct cs_bench {
	struct world *w;
	struct mm_world *mmw;
	struct mm_struct *mm;
	enum cs_op op;
	struct dmirror *devs;
	int nr_devs;
	struct cs_int *ints;
	int nr_ints;
	long calls;
	double busy;
	int bad;
};

static bool cs_invalidate(struct mmu_interval_notifier *mni,
			  const struct mmu_notifier_range *range,
			  unsigned long cur_seq)
{
	container_of(mni, struct cs_int, mni)->calls++;
	mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops cs_int_ops = {
	.invalidate = cs_invalidate,
};

static bool cs_map(struct cs_bench *b)
{
	return vm_mmap(b->mm, NULL, CS_ADDR, CS_PAGES * PAGE_SIZE,
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0) == CS_ADDR;
}

static void cs_agent(void *arg)
{
	struct cs_bench *b = arg;
	struct cpu *cpu = mm_cpu(b->mmw, 0);
	unsigned long len = CS_PAGES * PAGE_SIZE;
	double t;
	long i;
	int p, ret = 0;

	if (!cs_map(b)) {
		b->bad++;
		return;
	}
	for (i = 0; i < b->calls; i++) {
		/* mprotect keeps the pages: populate once */
		if (b->op != CS_MPROTECT || !i)
			for (p = 0; p < CS_PAGES; p++)
				if (cpu_write(cpu, b->mm,
					      CS_ADDR + p * PAGE_SIZE, i))
					b->bad++;
		t = now_sec();
		switch (b->op) {
		case CS_MUNMAP:
			ret = vm_munmap(b->mm, CS_ADDR, len);
			break;
		case CS_DONTNEED:
			ret = do_madvise(b->mm, CS_ADDR, len, MADV_DONTNEED);
			break;
		default:
			ret = do_mprotect_pkey(
				b->mm, CS_ADDR, len,
				i & 1 ? PROT_READ | PROT_WRITE : PROT_READ, -1);
		}
		b->busy += now_sec() - t;
		if (ret || (b->op == CS_MUNMAP && !cs_map(b)))
			b->bad++;
	}
}

/* invalidated pages per second of one run, or a negative value on error */
static double cs_run_once(enum engine_kind kind, enum cs_op op, int nr_devs,
			  int nr_ints)
{
	struct cs_bench b = { .op = op,
			      .nr_devs = nr_devs,
			      .nr_ints = nr_ints };
	unsigned long a;
	int i;

	if (bench_world(kind, &b.w, &b.mmw, &b.mm))
		return -1;
	b.calls = kind == ENGINE_DET ? CS_DET_CALLS : CS_REAL_CALLS;
	b.devs = arena_alloc(b.w, sizeof(*b.devs) * (nr_devs ? nr_devs : 1));
	for (i = 0; i < nr_devs; i++)
		if (dmirror_init(&b.devs[i], b.mm,
				 CS_ADDR + (i % 4) * DMIRROR_MAX_PAGES *
						   PAGE_SIZE,
				 DMIRROR_MAX_PAGES))
			broken("dmirror_init");
	b.ints = arena_alloc(b.w, sizeof(*b.ints) * (nr_ints ? nr_ints : 1));
	for (i = 0; i < nr_ints; i++) {
		a = i ? CS_FAR + 2 * PAGE_SIZE * (unsigned long)i : CS_ADDR;
		if (mmu_interval_notifier_insert(&b.ints[i].mni,
						 b.mm->notifier_subscriptions,
						 a, PAGE_SIZE, &cs_int_ops))
			broken("interval insert");
	}
	if (!agent_create(b.w, "bench", cs_agent, &b) || world_run(b.w))
		broken("world_run");
	if (b.bad)
		broken("mm operation");
	/* one invalidation per call reached the interval inside the range */
	if (nr_ints && (b.ints[0].calls < (unsigned long)b.calls ||
			(nr_ints > 1 && b.ints[1].calls)))
		broken("interval callback count");
	for (i = 0; i < nr_devs; i++)
		if (b.devs[i].nr_invalidations < (unsigned long)b.calls)
			broken("device invalidation count");
	for (i = 0; i < nr_ints; i++)
		mmu_interval_notifier_remove(&b.ints[i].mni);
	for (i = 0; i < nr_devs; i++)
		dmirror_fini(&b.devs[i]);
	cpu_idle(mm_cpu(b.mmw, 0));
	mmput(b.mm);
	if (b.w->nr_reports) {
		report_print_all(b.w, stderr);
		broken("reports");
	}
	world_destroy(b.w);
	return CS_PAGES * b.calls / b.busy;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the median of CS_REPS runs */
static double cs_run(enum engine_kind kind, enum cs_op op, int nr_devs,
		     int nr_ints)
{
	double r[CS_REPS];
	int i;

	for (i = 0; i < CS_REPS; i++)
		r[i] = cs_run_once(kind, op, nr_devs, nr_ints);
	qsort(r, CS_REPS, sizeof(r[0]), cmp_double);
	return r[CS_REPS / 2];
}

static void bench_call_sites(enum engine_kind kind)
{
	static const int devs[] = { 0, 1, 4, 16 };
	static const int ints[] = { 1, 10, 100, 1000, 10000 };
	const char *e = kind == ENGINE_DET ? "det" : "real";
	char name[64];
	unsigned i;
	int op;

	printf("== %s engine: pages invalidated per second by the mm call sites\n",
	       e);
	for (op = 0; op < CS_NR_OPS; op++) {
		for (i = 0; i < ARRAY_SIZE(devs); i++) {
			snprintf(name, sizeof(name), "%s-%s-devices-%d", e,
				 cs_op_names[op], devs[i]);
			figure(name, cs_run(kind, op, devs[i], 0), "pages/s");
		}
		for (i = 0; i < ARRAY_SIZE(ints); i++) {
			snprintf(name, sizeof(name), "%s-%s-intervals-%d", e,
				 cs_op_names[op], ints[i]);
			figure(name, cs_run(kind, op, 0, ints[i]), "pages/s");
		}
	}
}

int main(void)
{
	int i;

	bench_name = "bench_mirror";
	figure("mirror fault det", bench_run(ENGINE_DET), "pages/s");
	figure("mirror fault real", bench_run(ENGINE_REAL), "pages/s");
	bench_call_sites(ENGINE_DET);
	bench_call_sites(ENGINE_REAL);
	printf("== summary\n");
	for (i = 0; i < bench_nr_figures; i++)
		printf("  %-32s %14.1f %s\n", bench_figures[i].name,
		       bench_figures[i].value, bench_figures[i].unit);
	return bench_failures ? 1 : 0;
}
