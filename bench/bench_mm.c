// SPDX-License-Identifier: MIT
/*
 * bench_mm: the primary MMU's benchmarks (issue 3).
 *
 *   1. Real engine: modeled page faults per second and invalidated pages
 *      per second for munmap, MADV_DONTNEED and mprotect(PROT_READ), over
 *      regions of 1, 64, 4096 and 262144 pages, with one agent (CPU0) and
 *      with two agents on two CPUs in the same mm (each its own region).
 *      Each round maps a fresh anonymous region, writes one word to every
 *      page (one fault each: the "fault" figure), then runs the operation
 *      (the "invalidated" figure: pages covered / time of the call); the
 *      DONTNEED and mprotect rounds then munmap the region, untimed.  The
 *      same rounds run on the real kernel of this machine (mmap, a store
 *      per page, munmap/madvise/mprotect; pthreads for two agents) in the
 *      same process, and each model figure is printed with the ratio
 *      model/kernel.  Two agents' rate is the sum of each agent's own.
 *   2. Explorer: executions per second of mremap-vs-truncate (random and
 *      PCT, default policy); the same, and ksm-vs-write, with the value
 *      oracle on and off (check.value_oracle, best of 5); and the time to first detection of each
 *      buggy policy with PCT over 20 seeds (median, min, max of
 *      executions and seconds):
 *        mremap.flush_before_ptl_unlock=false  mremap-vs-truncate  stale-tlb
 *        rmap.batched_flush_pending=false      reclaim-vs-mprotect permission
 *        clear_refs.flush_tlb=false            write-vs-clear-refs missed-dirty
 *
 * Figures are printed, never asserted.  The exit status is nonzero only
 * if a model run reports a violation or an access or call fails, or a
 * buggy policy is not found within the budget.
 *
 * Usage: bench_mm [quick]   ("quick": sizes up to 4096 pages, 5 seeds)
 *
 * Locking: the model runs inside its worlds; the kernel half uses plain
 * pthreads with no shared state but their own result slot.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_util.h"
#include "core/policy.h"
#include "engine/engine.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario/builtin.h"
#include "scenario/mm_models.h"
#include "../tests/shipped.h"

enum bench_op { OP_MUNMAP, OP_DONTNEED, OP_MPROTECT, NR_OPS };

static const char *const op_names[NR_OPS] = { "munmap", "dontneed",
					      "mprotect" };

/* pages touched per case: enough to time, few enough for seconds */
#define CASE_PAGES 262144UL
#define MAX_ROUNDS 8192UL
#define BENCH_AGENTS 2

static unsigned long case_rounds(unsigned long n)
{
	unsigned long r = CASE_PAGES / n;

	if (r > MAX_ROUNDS)
		r = MAX_ROUNDS;
	return r ? r : 1;
}

/* one agent's (or thread's) share of a case */
struct agent_stat {
	double t_fault, t_op;
	unsigned long faults, inval;
	int id;
	int bad;
	struct mm_case *c;
};

struct mm_case {
	enum bench_op op;
	unsigned long n, rounds;
	int nagents;
	struct mm_world *mmw;
	struct mm_struct *mm;
	struct agent_stat st[BENCH_AGENTS];
};

struct rates {
	double faults, inval; /* per second, summed over agents */
};

static struct rates case_rates(const struct mm_case *c)
{
	struct rates r = { 0, 0 };
	int i;

	for (i = 0; i < c->nagents; i++) {
		const struct agent_stat *s = &c->st[i];

		if (s->t_fault > 0)
			r.faults += s->faults / s->t_fault;
		if (s->t_op > 0)
			r.inval += s->inval / s->t_op;
	}
	return r;
}

/* ---- the model, under the real engine ---- */

static void model_agent(void *arg)
{
	struct agent_stat *s = arg;
	struct mm_case *c = s->c;
	struct cpu *cpu = mm_cpu(c->mmw, s->id);
	unsigned long len = c->n * PAGE_SIZE, r, p;
	double t0, t1, t2;
	int ret = 0;

	for (r = 0; r < c->rounds && !s->bad; r++) {
		unsigned long a = vm_mmap(c->mm, NULL, 0, len,
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, 0);

		if (IS_ERR_VALUE(a)) {
			s->bad++;
			break;
		}
		t0 = now_sec();
		for (p = 0; p < c->n; p++)
			if (cpu_write(cpu, c->mm, a + p * PAGE_SIZE, p + 1))
				s->bad++;
		t1 = now_sec();
		switch (c->op) {
		case OP_MUNMAP:
			ret = vm_munmap(c->mm, a, len);
			break;
		case OP_DONTNEED:
			ret = do_madvise(c->mm, a, len, MADV_DONTNEED);
			break;
		case OP_MPROTECT:
			ret = do_mprotect_pkey(c->mm, a, len, PROT_READ, -1);
			break;
		default:
			break;
		}
		t2 = now_sec();
		if (ret)
			s->bad++;
		if (c->op != OP_MUNMAP && vm_munmap(c->mm, a, len))
			s->bad++;
		s->t_fault += t1 - t0;
		s->t_op += t2 - t1;
		s->faults += c->n;
		s->inval += c->n;
	}
	cpu_idle(cpu);
}

static struct rates model_case(enum bench_op op, unsigned long n, int nagents)
{
	struct mm_case c = {
		.op = op, .n = n, .rounds = case_rounds(n), .nagents = nagents
	};
	/*
	 * The pages, their PTE tables and the upper levels, per agent, and
	 * room for the tables each round's munmap frees: they go back to
	 * the allocator only after an RCU grace period, which liburcu's
	 * callback thread may run long after.
	 */
	unsigned long frames =
		nagents * (n + n / 512 + 64 + 4 * c.rounds) + 1024;
	struct world *w;
	int i, bad = 0;

	w = world_create(&(struct world_opts){
		.engine = ENGINE_REAL, .max_steps = ~0UL, .seed = 1 });
	if (!w) {
		broken("world_create");
		return (struct rates){ 0, 0 };
	}
	c.mmw = mm_world_get(w, frames, nagents);
	c.mm = c.mmw ? mm_alloc(c.mmw) : NULL;
	if (!c.mm) {
		broken("mm_alloc");
		world_destroy(w);
		return (struct rates){ 0, 0 };
	}
	for (i = 0; i < nagents; i++) {
		c.st[i].id = i;
		c.st[i].c = &c;
		if (!agent_create(w, i ? "agent1" : "agent0", model_agent,
				  &c.st[i]))
			bad++;
	}
	if (bad || world_run(w))
		broken("world_run");
	for (i = 0; i < nagents; i++)
		bad += c.st[i].bad;
	if (bad)
		broken("a model access or call failed");
	mmput(c.mm);
	if (w->nr_reports) {
		report_print_all(w, stderr);
		broken("reports");
	}
	world_destroy(w);
	return case_rates(&c);
}

/* ---- the same on this machine's kernel ---- */

static void *kernel_agent(void *arg)
{
	struct agent_stat *s = arg;
	struct mm_case *c = s->c;
	size_t len = c->n * PAGE_SIZE;
	unsigned long r, p;
	double t0, t1, t2;
	int ret = 0;

	for (r = 0; r < c->rounds && !s->bad; r++) {
		char *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (a == MAP_FAILED) {
			s->bad++;
			break;
		}
		t0 = now_sec();
		for (p = 0; p < c->n; p++)
			((volatile unsigned long *)(a + p * PAGE_SIZE))[0] =
				p + 1;
		t1 = now_sec();
		switch (c->op) {
		case OP_MUNMAP:
			ret = munmap(a, len);
			break;
		case OP_DONTNEED:
			ret = madvise(a, len, MADV_DONTNEED);
			break;
		case OP_MPROTECT:
			ret = mprotect(a, len, PROT_READ);
			break;
		default:
			break;
		}
		t2 = now_sec();
		if (ret)
			s->bad++;
		if (c->op != OP_MUNMAP && munmap(a, len))
			s->bad++;
		s->t_fault += t1 - t0;
		s->t_op += t2 - t1;
		s->faults += c->n;
		s->inval += c->n;
	}
	return NULL;
}

static struct rates kernel_case(enum bench_op op, unsigned long n, int nagents)
{
	struct mm_case c = {
		.op = op, .n = n, .rounds = case_rounds(n), .nagents = nagents
	};
	pthread_t t[BENCH_AGENTS];
	int i;

	for (i = 0; i < nagents; i++) {
		c.st[i].id = i;
		c.st[i].c = &c;
		if (pthread_create(&t[i], NULL, kernel_agent, &c.st[i]))
			broken("pthread_create");
	}
	for (i = 0; i < nagents; i++) {
		pthread_join(t[i], NULL);
		if (c.st[i].bad)
			broken("a kernel call failed");
	}
	return case_rates(&c);
}

static void real_engine_bench(bool quick)
{
	static const unsigned long sizes[] = { 1, 64, 4096, 262144 };
	int nsizes = quick ? 3 : 4;
	int op, s, nagents;

	printf("real engine vs this machine's kernel (rates summed over agents; ratio = model/kernel)\n");
	printf("%-9s %7s %6s | %12s %12s %8s | %12s %12s %8s\n", "op", "pages",
	       "agents", "faults/s", "kernel", "ratio", "inval/s", "kernel",
	       "ratio");
	for (op = 0; op < NR_OPS; op++)
		for (nagents = 1; nagents <= BENCH_AGENTS; nagents++)
			for (s = 0; s < nsizes; s++) {
				unsigned long n = sizes[s];
				struct rates m = model_case(op, n, nagents);
				struct rates k = kernel_case(op, n, nagents);

				printf("%-9s %7lu %6d | %12.3g %12.3g %8.3f | %12.3g %12.3g %8.3f\n",
				       op_names[op], n, nagents, m.faults,
				       k.faults,
				       k.faults > 0 ? m.faults / k.faults : 0,
				       m.inval, k.inval,
				       k.inval > 0 ? m.inval / k.inval : 0);
				fflush(stdout);
			}
}

/* ---- the explorer ---- */

static void explorer_rate(const char *model, enum strategy strat,
			  const char *sname, unsigned long iters)
{
	const struct model *m = model_by_name_fixed(model);
	struct explore_opts o = { .strategy = strat,
				  .seed = 1,
				  .iterations = iters,
				  .bound = -1,
				  .progress_fd = -1 };
	struct explore_result r;
	char name[64];
	double t;

	if (!m) {
		broken(model);
		return;
	}
	t = now_sec();
	if (explore(m, &o, &r) || r.violating)
		broken("explore of a clean model");
	t = now_sec() - t;
	snprintf(name, sizeof(name), "%s %s", model, sname);
	figure(name, r.executions / t, "executions/s");
	explore_result_free(&r);
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a,
		      y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define MAX_SEEDS 20
#define DETECT_BUDGET 200000UL

static void time_to_detection(const char *model, const char *knob,
			      const char *kind, int nseeds)
{
	const struct model *inner = model_by_name_fixed(model);
	unsigned long execs[MAX_SEEDS];
	double secs[MAX_SEEDS];
	struct policy_model pm;
	struct policy pol;
	char err[128];
	int i, found = 0;

	policy_init_default(&pol);
	if (!inner || policy_set(&pol, knob, "false", err, sizeof(err))) {
		broken(model);
		return;
	}
	policy_model_by_name(&pm, model, &pol);
	for (i = 0; i < nseeds; i++) {
		struct explore_opts o = { .strategy = STRAT_PCT,
					  .seed = i + 1,
					  .iterations = DETECT_BUDGET,
					  .bound = -1,
					  .progress_fd = -1,
					  .stop_on_violation = true,
					  .stop_kind = kind };
		struct explore_result r;
		double t = now_sec();

		if (explore(&pm.m, &o, &r))
			broken("explore");
		t = now_sec() - t;
		if (r.first_violation && !strcmp(r.first_kind, kind)) {
			execs[found] = r.first_violation;
			secs[found] = t;
			found++;
		}
		explore_result_free(&r);
	}
	if (found < nseeds) {
		fprintf(stderr,
			"%s with %s=false: %s found by %d of %d seeds\n", model,
			knob, kind, found, nseeds);
		broken("a buggy policy was not found");
	}
	if (!found)
		return;
	qsort(execs, found, sizeof(execs[0]), cmp_ulong);
	qsort(secs, found, sizeof(secs[0]), cmp_double);
	printf("%s=false on %s (%s, pct, %d seeds): executions median %lu min %lu max %lu; seconds median %.4f min %.4f max %.4f\n",
	       knob, model, kind, found, execs[found / 2], execs[0],
	       execs[found - 1], secs[found / 2], secs[0], secs[found - 1]);
	fflush(stdout);
}

/*
 * The value oracle's cost (src/check/oracle.c): executions per second of
 * a model with check.value_oracle on and off, best of @rounds runs each
 * (alternating, so a busy machine hurts both alike).
 */
static void oracle_cost(const char *model, unsigned long iters, int rounds)
{
	const struct model *inner = model_by_name_fixed(model);
	double best[2] = { 0, 0 };
	struct policy_model pm;
	struct policy pol;
	char err[128], name[96];
	int i, on;

	for (i = 0; i < rounds; i++)
		for (on = 1; on >= 0; on--) {
			struct explore_opts o = { .strategy = STRAT_RANDOM,
						  .seed = 1,
						  .iterations = iters,
						  .bound = -1,
						  .progress_fd = -1 };
			struct explore_result r;
			double t;

			policy_init_default(&pol);
			if (!inner || policy_set(&pol, "check.value_oracle",
						 on ? "true" : "false", err,
						 sizeof(err))) {
				broken(model);
				return;
			}
			policy_model_by_name(&pm, model, &pol);
			t = now_sec();
			if (explore(&pm.m, &o, &r) || r.violating)
				broken("explore of a clean model");
			t = now_sec() - t;
			if (r.executions / t > best[on])
				best[on] = r.executions / t;
			explore_result_free(&r);
		}
	snprintf(name, sizeof(name), "%s random, value oracle on", model);
	figure(name, best[1], "executions/s");
	snprintf(name, sizeof(name), "%s random, value oracle off", model);
	figure(name, best[0], "executions/s");
	printf("value oracle on %s: %.2fx the time per execution (+%.2f us)\n",
	       model, best[0] / best[1], 1e6 / best[1] - 1e6 / best[0]);
	fflush(stdout);
}

static void explorer_bench(bool quick)
{
	int nseeds = quick ? 5 : MAX_SEEDS;

	explorer_rate("mremap-truncate-cve-2018-18281", STRAT_RANDOM, "random",
		      5000);
	explorer_rate("mremap-truncate-cve-2018-18281", STRAT_PCT, "pct", 5000);
	oracle_cost("mremap-truncate-cve-2018-18281", 5000, quick ? 2 : 5);
	oracle_cost("ksm-vs-write", 5000, quick ? 2 : 5);
	time_to_detection("mremap-truncate-cve-2018-18281",
			  "mremap.flush_before_ptl_unlock", "stale-tlb",
			  nseeds);
	time_to_detection("reclaim-vs-mprotect", "rmap.batched_flush_pending",
			  "permission", nseeds);
	time_to_detection("write-vs-clear-refs", "clear_refs.flush_tlb",
			  "missed-dirty", nseeds);
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "quick");

	bench_name = "bench_mm";
	real_engine_bench(quick);
	explorer_bench(quick);
	return bench_failures ? 1 : 0;
}
