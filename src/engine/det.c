// SPDX-License-Identifier: MIT
/*
 * The deterministic engine: agents are user-level threads (coroutines) on
 * one OS thread and exactly one runs at a time.  An agent runs until it
 * reaches a schedule point or blocks; then the scheduler asks the
 * controller (a strategy of the explorer, see explore.c) which runnable
 * agent performs the next step.  Nothing else is a source of choice, so a
 * decision list replays an execution exactly.
 *
 * A new agent first runs, unscheduled, up to its first schedule point:
 * its prologue touches nothing shared, and making it a decision would
 * only duplicate interleavings.
 *
 * Context switches are a few instructions of hand-written x86-64 (callee
 * saved registers and the stack pointer); other architectures fall back
 * to ucontext.  Under AddressSanitizer every switch is announced with the
 * fiber API so ASan follows the stacks.
 *
 * Deadlock: no agent runnable while some are unfinished; the report shows
 * each blocked agent, what it waits for, who holds it, and the cycle.
 * Livelock: the execution exceeded opts.max_steps schedule points.
 *
 * Locking: none; single OS thread.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/lockdep.h"
#include "core/locking.h"
#include "core/rcu.h"
#include "core/trace.h"
#include "engine.h"
#include "det_ctl.h"

#if defined(__SANITIZE_ADDRESS__)
#define DET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DET_ASAN 1
#endif
#endif

#ifdef DET_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define DET_STACK_SIZE (1024 * 1024)
#else
#define DET_STACK_SIZE (256 * 1024)
#endif

#if defined(__x86_64__)
/*
 * secmmu_ctx_switch(save, to): push callee-saved registers, store rsp in
 * *save, load rsp from to, pop and return into the other context.
 */
__asm__(".text\n"
	".p2align 4\n"
	".globl secmmu_ctx_switch\n"
	".hidden secmmu_ctx_switch\n"
	".type secmmu_ctx_switch,@function\n"
	"secmmu_ctx_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size secmmu_ctx_switch, .-secmmu_ctx_switch\n"
	".globl secmmu_ctx_entry\n"
	".hidden secmmu_ctx_entry\n"
	".type secmmu_ctx_entry,@function\n"
	"secmmu_ctx_entry:\n"
	"	movq %r12, %rdi\n"
	"	callq *%r13\n"
	"	ud2\n"
	".size secmmu_ctx_entry, .-secmmu_ctx_entry\n");

void secmmu_ctx_switch(void **save, void *to);
void secmmu_ctx_entry(void);
#define DET_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

struct det_agent {
	struct agent *a;
	void *stack;
#ifdef DET_ASM_SWITCH
	void *sp;
#else
	ucontext_t uc;
#endif
};

struct det {
	struct world *w;
#ifdef DET_ASM_SWITCH
	void *sched_sp;
#else
	ucontext_t sched_uc;
#endif
	const void *sched_bottom; /* ASan: the scheduler's stack */
	size_t sched_size;
	struct det_agent da[MAX_AGENTS];
	void *stacks[MAX_AGENTS]; /* pool, kept across resets */
	struct det_ctl *ctl;
	int last;
};

static inline struct det *det_of(struct world *w)
{
	return w->eng;
}

void det_set_controller(struct world *w, struct det_ctl *ctl)
{
	det_of(w)->ctl = ctl;
}

static void fiber_start(void **fake, const void *bottom, size_t size)
{
#ifdef DET_ASAN
	__sanitizer_start_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

static void fiber_finish(void *fake, const void **bottom, size_t *size)
{
#ifdef DET_ASAN
	__sanitizer_finish_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

static void switch_to_agent(struct det *d, struct det_agent *da)
{
	void *fake = NULL;

	current = da->a;
	fiber_start(&fake, da->stack, DET_STACK_SIZE);
#ifdef DET_ASM_SWITCH
	secmmu_ctx_switch(&d->sched_sp, da->sp);
#else
	swapcontext(&d->sched_uc, &da->uc);
#endif
	fiber_finish(fake, NULL, NULL);
	current = NULL;
}

static void switch_to_sched(struct det *d, struct det_agent *da, bool exiting)
{
	void *fake = NULL;

	fiber_start(exiting ? NULL : &fake, d->sched_bottom, d->sched_size);
#ifdef DET_ASM_SWITCH
	secmmu_ctx_switch(&da->sp, d->sched_sp);
#else
	swapcontext(&da->uc, &d->sched_uc);
#endif
	fiber_finish(fake, &d->sched_bottom, &d->sched_size);
}

static void det_mon_wake(struct world *w, const void *obj);

static void det_agent_main(void *arg)
{
	struct agent *a = arg;
	struct det *d = det_of(a->w);

	fiber_finish(NULL, &d->sched_bottom, &d->sched_size);
	trace_emit(a->w, TR_AGENT_START, a->id, 0, 0, NULL);
	a->fn(a->arg);
	if (a->nr_held)
		report_add(a->w, "exit-holding-locks",
			   "%s exited holding %d lock(s), first (%s)", a->name,
			   a->nr_held, a->held[0].lock->name);
	if (a->rcu_depth)
		report_add(a->w, "exit-in-rcu",
			   "%s exited inside an RCU read-side section", a->name);
	trace_emit(a->w, TR_AGENT_EXIT, a->id, 0, 0, NULL);
	a->state = AGENT_DONE;
	det_mon_wake(a->w, a); /* agent_join() waiters */
	switch_to_sched(d, &d->da[a->id], true);
	abort(); /* a finished agent is never resumed */
}

#ifndef DET_ASM_SWITCH
static void det_uc_entry(unsigned hi, unsigned lo)
{
	det_agent_main((void *)(((uintptr_t)hi << 32) | lo));
}
#endif

static int det_init(struct world *w)
{
	struct det *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	d->w = w;
	d->last = -1;
	w->eng = d;
	return 0;
}

static void det_reset(struct world *w)
{
	struct det *d = det_of(w);

	memset(d->da, 0, sizeof(d->da));
	d->ctl = NULL;
	d->last = -1;
}

static void det_destroy(struct world *w)
{
	struct det *d = det_of(w);
	int i;

	for (i = 0; i < MAX_AGENTS; i++)
		if (d->stacks[i])
			munmap(d->stacks[i], DET_STACK_SIZE);
	free(d);
	w->eng = NULL;
}

static int det_agent_init(struct world *w, struct agent *a)
{
	struct det *d = det_of(w);
	struct det_agent *da = &d->da[a->id];

	if (!d->stacks[a->id]) {
		void *s = mmap(NULL, DET_STACK_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);

		if (s == MAP_FAILED)
			return -1;
		mprotect(s, 4096, PROT_NONE); /* guard page */
		d->stacks[a->id] = s;
	}
	da->a = a;
	da->stack = d->stacks[a->id];
	a->eng = da;
#ifdef DET_ASAN
	/*
	 * Frames that never returned (an exited agent's last switch, an
	 * abandoned agent, or a destroyed world's stack mapped again at this
	 * address) leave their redzones poisoned: start from a clean shadow.
	 */
	__asan_unpoison_memory_region(da->stack, DET_STACK_SIZE);
#endif
#ifdef DET_ASM_SWITCH
	{
		uintptr_t top = ((uintptr_t)da->stack + DET_STACK_SIZE) & ~15UL;
		void **sp = (void **)(top - 72);

		memset(sp, 0, 72);
		sp[2] = (void *)det_agent_main; /* r13 */
		sp[3] = a;			/* r12 */
		sp[6] = (void *)secmmu_ctx_entry;
		da->sp = sp;
	}
#else
	getcontext(&da->uc);
	da->uc.uc_stack.ss_sp = da->stack;
	da->uc.uc_stack.ss_size = DET_STACK_SIZE;
	da->uc.uc_link = NULL;
	makecontext(&da->uc, (void (*)(void))det_uc_entry, 2,
		    (unsigned)((uintptr_t)a >> 32), (unsigned)(uintptr_t)a);
#endif
	return 0;
}

static void det_sched_point(struct world *w, struct agent *a, enum sp_kind k,
			    const void *obj)
{
	struct det *d = det_of(w);

	(void)k, (void)obj;
	a->state = AGENT_RUNNABLE;
	switch_to_sched(d, &d->da[a->id], false);
}

static void det_mon_lock(struct world *w, const void *obj)
{
	(void)w, (void)obj;
}

static void det_mon_wait(struct world *w, struct agent *a, const void *obj,
			 const char *what)
{
	struct det *d = det_of(w);

	if (!a) {
		rcu_callback_blocked(w, what); /* does not return */
		abort();
	}
	a->state = AGENT_BLOCKED;
	a->blocked_on = obj;
	a->blocked_what = what;
	trace_emit(w, TR_BLOCK, a->id, 0, 0, what);
	switch_to_sched(d, &d->da[a->id], false);
}

static void det_mon_wake(struct world *w, const void *obj)
{
	int i;

	for (i = 0; i < w->nr_agents; i++) {
		struct agent *b = w->agents[i];

		if (b->state == AGENT_BLOCKED && b->blocked_on == obj) {
			b->state = AGENT_RUNNABLE;
			b->blocked_on = NULL;
			trace_emit(w, TR_WAKE, b->id, 0, 0, NULL);
		}
	}
}

static void report_livelock(struct world *w)
{
	struct strbuf sb = { 0 };
	int i;

	sb_printf(&sb, "livelock: execution exceeded %lu schedule points\n",
		  w->opts.max_steps);
	for (i = 0; i < w->nr_agents; i++)
		sb_printf(&sb, "  %s: %lu steps, %s\n", w->agents[i]->name,
			  w->agents[i]->steps,
			  w->agents[i]->state == AGENT_DONE ? "done" :
							      "running");
	report_add(w, "livelock", "%s", sb.buf);
	sb_free(&sb);
}

/* Without a controller: run the last agent on, else the lowest id. */
static int default_pick(uint64_t runnable, int last)
{
	if (last >= 0 && (runnable >> last & 1))
		return last;
	return __builtin_ctzll(runnable);
}

static int det_run(struct world *w)
{
	struct det *d = det_of(w);
	int i, pick, nr;
	uint64_t runnable;
	bool unfinished;

	for (;;) {
		for (i = 0; i < w->nr_agents; i++)
			if (w->agents[i]->state == AGENT_NEW)
				switch_to_agent(d, &d->da[i]);
		rcu_process_callbacks(w);
		if (w->stop)
			break;
		runnable = 0;
		nr = 0;
		unfinished = false;
		for (i = 0; i < w->nr_agents; i++) {
			enum agent_state s = w->agents[i]->state;

			if (s == AGENT_RUNNABLE) {
				runnable |= 1ULL << i;
				nr++;
			}
			if (s != AGENT_DONE)
				unfinished = true;
		}
		if (!unfinished)
			break;
		if (!nr) {
			report_deadlock(w);
			w->stop = true;
			break;
		}
		if (w->step >= w->opts.max_steps) {
			report_livelock(w);
			w->stop = true;
			break;
		}
		pick = d->ctl ? d->ctl->pick(d->ctl, w, runnable, nr, d->last) :
				default_pick(runnable, d->last);
		if (pick < 0 || !(runnable >> pick & 1)) {
			report_add(w, "replay-divergence",
				   "schedule names agent %d, which cannot run at step %lu",
				   pick, w->step);
			w->stop = true;
			break;
		}
		w->step++;
		w->agents[pick]->steps++;
		if (nr > 1)
			trace_emit(w, TR_SCHED, pick, 0, 0, NULL);
		d->last = pick;
		switch_to_agent(d, &d->da[pick]);
	}
	return w->stop ? -1 : 0;
}

const struct engine_ops det_engine_ops = {
	.name = "det",
	.init = det_init,
	.reset = det_reset,
	.destroy = det_destroy,
	.agent_init = det_agent_init,
	.run = det_run,
	.sched_point = det_sched_point,
	.mon_lock = det_mon_lock,
	.mon_unlock = det_mon_lock,
	.mon_wait = det_mon_wait,
	.mon_wake = det_mon_wake,
};
