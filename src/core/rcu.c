// SPDX-License-Identifier: MIT
/*
 * Models RCU (kernel/rcu/tree.c's contract, not its machinery) and SRCU.
 *
 * Deterministic engine: a grace period is a snapshot of which agents sit
 * in a read-side critical section; it ends once each of them has left its
 * outermost section (rcu_exits moved on) or finished.  synchronize_rcu()
 * blocks on that; call_rcu() callbacks are run by the scheduler between
 * steps once their grace period ended, like softirq callbacks, and must
 * not block.  SRCU uses the same snapshot rule per srcu_struct.
 *
 * Real engine: RCU is liburcu (membarrier flavour, rcu_urcu.c); SRCU is
 * two reader counters flipped twice by synchronize_srcu(), with
 * sequentially consistent atomics.
 *
 * Locking: rcu_state is touched only by the det scheduler and the running
 * agent (one at a time); real engine state lives in liburcu.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockdep.h"
#include "locking.h"
#include "rcu.h"
#include "rcu_urcu.h"
#include "trace.h"

struct rcu_state {
	struct rcu_head *head, **tail; /* det callback queue, FIFO */
	unsigned long pending;
	jmp_buf cb_abort; /* det: a callback tried to block */
	bool in_callback;
};

/* det: a callback may not block; report it and abandon the callback */
void rcu_callback_blocked(struct world *w, const char *what)
{
	report_add(w, "block-in-rcu-callback",
		   "an RCU callback would block on %s; callbacks run in softirq context and may not sleep",
		   what);
	w->stop = true;
	if (w->rcu->in_callback)
		longjmp(w->rcu->cb_abort, 1);
}

struct rcu_state *rcu_state_create(struct world *w)
{
	struct rcu_state *r = calloc(1, sizeof(*r));

	if (!r)
		abort();
	r->tail = &r->head;
	(void)w;
	return r;
}

void rcu_state_reset(struct world *w)
{
	w->rcu->head = NULL;
	w->rcu->tail = &w->rcu->head;
	w->rcu->pending = 0;
}

void rcu_state_destroy(struct world *w)
{
	if (!world_is_det(w))
		urcu_real_barrier();
	free(w->rcu);
	w->rcu = NULL;
}

/* snap[i] = exits+1 of agent i if it was a reader, else 0 */
static void gp_snapshot(struct world *w, unsigned long *snap)
{
	int i;

	for (i = 0; i < w->nr_agents; i++) {
		struct agent *a = w->agents[i];

		snap[i] = a->rcu_depth ? a->rcu_exits + 1 : 0;
	}
}

static bool gp_done(struct world *w, const unsigned long *snap, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct agent *a = w->agents[i];

		if (snap[i] && a->state != AGENT_DONE && a->rcu_exits < snap[i])
			return false;
	}
	return true;
}

void rcu_read_lock(void)
{
	struct agent *a = current;

	if (!a)
		return;
	sched_point(SP_RCU, a->w->rcu);
	if (!world_is_det(a->w))
		urcu_real_read_lock();
	a->rcu_depth++;
}

void rcu_read_unlock(void)
{
	struct agent *a = current;
	struct world *w;

	if (!a)
		return;
	w = a->w;
	if (a->rcu_depth <= 0) {
		report_add(w, "rcu-unbalanced",
			   "%s: rcu_read_unlock() without rcu_read_lock()",
			   a->name);
		return;
	}
	sched_point(SP_RCU, w->rcu);
	if (!world_is_det(w)) {
		a->rcu_depth--;
		urcu_real_read_unlock();
		return;
	}
	if (--a->rcu_depth == 0) {
		a->rcu_exits++;
		w->ops->mon_wake(w, w->rcu);
	}
}

bool rcu_read_lock_held(void)
{
	return current && current->rcu_depth > 0;
}

void synchronize_rcu(void)
{
	struct agent *a = current;
	unsigned long snap[MAX_AGENTS];
	struct world *w;
	int n;

	if (!a)
		return;
	w = a->w;
	lockdep_sleep_check(a, "synchronize_rcu");
	sched_point(SP_RCU, w->rcu);
	if (!world_is_det(w)) {
		urcu_real_synchronize();
		return;
	}
	n = w->nr_agents;
	gp_snapshot(w, snap);
	snap[a->id] = 0; /* our own section would be a bug reported above */
	while (!gp_done(w, snap, n))
		w->ops->mon_wait(w, a, w->rcu, "synchronize_rcu");
	trace_emit(w, TR_RCU, a->id, 0, 0, "grace period");
}

static void urcu_trampoline(void *storage)
{
	struct rcu_head *head = (struct rcu_head *)storage;

	head->func(head);
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *))
{
	struct agent *a = current;
	struct world *w;

	if (!a) {
		func(head);
		return;
	}
	w = a->w;
	head->func = func;
	head->w = w;
	sched_point(SP_RCU, w->rcu);
	if (!world_is_det(w)) {
		urcu_real_call(head->urcu, urcu_trampoline);
		return;
	}
	head->snap = arena_alloc(w, sizeof(unsigned long) * MAX_AGENTS);
	gp_snapshot(w, head->snap);
	head->next = NULL;
	*w->rcu->tail = head;
	w->rcu->tail = &head->next;
	w->rcu->pending++;
}

/* det: invoke ready callbacks in queue order, outside any agent */
void rcu_process_callbacks(struct world *w)
{
	struct rcu_state *r = w->rcu;
	struct agent *saved = current;

	if (!r->pending)
		return;
	current = NULL;
	while (r->head && gp_done(w, r->head->snap, w->nr_agents)) {
		struct rcu_head *h = r->head;

		r->head = h->next;
		if (!r->head)
			r->tail = &r->head;
		r->pending--;
		trace_emit(w, TR_RCU, -1, 0, 0, "callback");
		r->in_callback = true;
		if (!setjmp(r->cb_abort))
			h->func(h);
		r->in_callback = false;
		if (w->stop)
			break;
	}
	current = saved;
}

void rcu_barrier_world(struct world *w)
{
	if (world_is_det(w))
		rcu_process_callbacks(w);
	else
		urcu_real_barrier();
}

void rcu_barrier(void)
{
	struct agent *a = current;

	if (!a)
		return;
	might_sleep();
	if (!world_is_det(a->w)) {
		urcu_real_barrier();
		return;
	}
	while (a->w->rcu->pending) {
		synchronize_rcu();
		rcu_process_callbacks(a->w);
	}
}

/* ---- SRCU ---- */

void init_srcu_struct(struct world *w, struct srcu_struct *s,
		      const char *name)
{
	memset(s, 0, sizeof(*s));
	__lock_init(w, &s->dep, name, LK_SRCU, 0);
	mutex_init(w, &s->gp_mutex, "srcu_gp_mutex");
}

int srcu_read_lock(struct srcu_struct *s)
{
	struct agent *a = current;
	int idx;

	sched_point(SP_RCU, s);
	if (!a)
		return 0;
	if (world_is_det(s->dep.w)) {
		s->depth[a->id]++;
		return 0;
	}
	idx = __atomic_load_n(&s->idx, __ATOMIC_SEQ_CST) & 1;
	__atomic_fetch_add(&s->count[idx], 1, __ATOMIC_SEQ_CST);
	return idx;
}

void srcu_read_unlock(struct srcu_struct *s, int idx)
{
	struct agent *a = current;
	struct world *w = s->dep.w;

	sched_point(SP_RCU, s);
	if (!a)
		return;
	if (!world_is_det(w)) {
		__atomic_fetch_sub(&s->count[idx], 1, __ATOMIC_SEQ_CST);
		return;
	}
	if (s->depth[a->id] <= 0) {
		report_add(w, "srcu-unbalanced",
			   "%s: srcu_read_unlock(%s) without srcu_read_lock()",
			   a->name, s->dep.name);
		return;
	}
	if (--s->depth[a->id] == 0) {
		s->readers_exits[a->id]++;
		w->ops->mon_wake(w, s);
	}
}

static bool srcu_gp_done(struct srcu_struct *s, const unsigned long *snap,
			 int n)
{
	struct world *w = s->dep.w;
	int i;

	for (i = 0; i < n; i++)
		if (snap[i] && w->agents[i]->state != AGENT_DONE &&
		    s->readers_exits[i] < snap[i])
			return false;
	return true;
}

static void srcu_wait_idx(struct srcu_struct *s, int idx)
{
	struct timespec ts = { 0, 1000 };

	while (__atomic_load_n(&s->count[idx], __ATOMIC_SEQ_CST))
		nanosleep(&ts, NULL);
}

void synchronize_srcu(struct srcu_struct *s)
{
	struct world *w = s->dep.w;
	struct agent *a = current;
	unsigned long snap[MAX_AGENTS];
	int i, n, old;

	if (!a)
		return;
	might_sleep();
	sched_point(SP_RCU, s);
	if (!world_is_det(w)) {
		mutex_lock(&s->gp_mutex);
		for (i = 0; i < 2; i++) {
			old = __atomic_fetch_xor(&s->idx, 1, __ATOMIC_SEQ_CST) & 1;
			srcu_wait_idx(s, old);
		}
		mutex_unlock(&s->gp_mutex);
		return;
	}
	n = w->nr_agents;
	for (i = 0; i < n; i++)
		snap[i] = s->depth[i] ? s->readers_exits[i] + 1 : 0;
	if (snap[a->id])
		report_add(w, "srcu-self-deadlock",
			   "%s calls synchronize_srcu(%s) inside its read section",
			   a->name, s->dep.name);
	snap[a->id] = 0;
	while (!srcu_gp_done(s, snap, n))
		w->ops->mon_wait(w, a, s, "synchronize_srcu");
}
