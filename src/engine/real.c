// SPDX-License-Identifier: MIT
/*
 * The real engine: one POSIX thread per agent, run truly in parallel, as
 * the kernel's tasks run on several CPUs.  It finds what the deterministic
 * engine cannot reach in its bounded search (long, wide interleavings),
 * at the price of reproducibility; --delay injects sched_yield() and short
 * sleeps at schedule points to widen race windows (stress testing).
 *
 * Simplifications: the monitor is a fixed table of hashed mutex/condvar
 * buckets, so unrelated objects may share a bucket (spurious wake-ups,
 * which every caller tolerates, and a little false contention); a model
 * that deadlocks is caught by a watchdog in run(): once every unfinished
 * agent has been blocked with no schedule point passed for about a
 * second, it reports the deadlock (with the wait-for cycle), sets w->stop
 * and wakes everyone; a waiter that sees w->stop leaves its thread.  The
 * real engine has no livelock bound.
 *
 * Locking: a bucket mutex protects the state of every primitive hashing
 * to it and is held around mon_wait()/mon_wake(); bucket mutexes are
 * never nested.  Order: bucket mutex -> w->lock (engine.h); w->lock is
 * taken here only to read the agent table.  Per-agent thread slots are
 * published with release/acquire on ra->state.  Agents write only their
 * own struct agent; fields other threads may read (state, blocked_on,
 * blocked_what, w->step) are accessed with __atomic builtins.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lockdep.h"
#include "core/rcu_urcu.h"
#include "core/trace.h"
#include "engine/engine.h"

#define REAL_BUCKET_BITS 7
#define REAL_BUCKETS (1u << REAL_BUCKET_BITS)

struct real_bucket {
	pthread_mutex_t m;
	pthread_cond_t c;
};

/* Thread slot life: NONE -> PENDING (before run) -> STARTED -> JOINED. */
enum real_slot_state {
	RA_NONE, /* agent_init has not run yet */
	RA_PENDING, /* created before run(), run() starts it */
	RA_STARTED,
	RA_FAILED, /* pthread_create failed */
	RA_JOINED,
};

struct real_agent {
	pthread_t th;
	int state; /* enum real_slot_state, atomic */
	int err; /* pthread_create error, valid once state is RA_FAILED */
};

struct real_state {
	struct real_bucket b[REAL_BUCKETS];
	struct real_agent ra[MAX_AGENTS];
	bool running; /* atomic: agents created now start at once */
};

static struct real_state *rs_of(struct world *w)
{
	return w->eng;
}

static int slot_state(struct real_agent *ra)
{
	return __atomic_load_n(&ra->state, __ATOMIC_ACQUIRE);
}

static void slot_set(struct real_agent *ra, int state)
{
	__atomic_store_n(&ra->state, state, __ATOMIC_RELEASE);
}

/* ---- lifetime ---- */

static void real_free(struct real_state *rs, unsigned nr_buckets)
{
	unsigned i;

	for (i = 0; i < nr_buckets; i++) {
		pthread_cond_destroy(&rs->b[i].c);
		pthread_mutex_destroy(&rs->b[i].m);
	}
	free(rs);
}

static int real_init(struct world *w)
{
	struct real_state *rs = calloc(1, sizeof(*rs));
	unsigned i;
	int err;

	if (!rs)
		return -ENOMEM;
	for (i = 0; i < REAL_BUCKETS; i++) {
		err = pthread_mutex_init(&rs->b[i].m, NULL);
		if (err)
			goto fail;
		err = pthread_cond_init(&rs->b[i].c, NULL);
		if (err) {
			pthread_mutex_destroy(&rs->b[i].m);
			goto fail;
		}
	}
	w->eng = rs;
	return 0;
fail:
	real_free(rs, i);
	return -err;
}

/* Called between executions, when every thread has been joined. */
static void real_reset(struct world *w)
{
	struct real_state *rs = rs_of(w);

	memset(rs->ra, 0, sizeof(rs->ra));
	__atomic_store_n(&rs->running, false, __ATOMIC_RELEASE);
}

static void real_destroy(struct world *w)
{
	real_free(rs_of(w), REAL_BUCKETS);
	w->eng = NULL;
}

/* ---- the monitor ---- */

static struct real_bucket *bucket_of(struct world *w, const void *obj)
{
	uint64_t h = (uint64_t)((uintptr_t)obj >> 4) * 0x9E3779B97F4A7C15ULL;

	return &rs_of(w)->b[h >> (64 - REAL_BUCKET_BITS)];
}

static void real_mon_lock(struct world *w, const void *obj)
{
	pthread_mutex_lock(&bucket_of(w, obj)->m);
}

static void real_mon_unlock(struct world *w, const void *obj)
{
	pthread_mutex_unlock(&bucket_of(w, obj)->m);
}

/* CLOCK_REALTIME deadline @ms from now, for timed waits and joins */
static struct timespec deadline_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Called with obj's bucket mutex held; may return spuriously. */
static void real_mon_wait(struct world *w, struct agent *a, const void *obj,
			  const char *what)
{
	struct real_bucket *b = bucket_of(w, obj);

	if (a) {
		__atomic_store_n(&a->blocked_what, what, __ATOMIC_RELAXED);
		__atomic_store_n(&a->blocked_on, obj, __ATOMIC_RELAXED);
		__atomic_store_n(&a->state, AGENT_BLOCKED, __ATOMIC_RELAXED);
	}
	{
		struct timespec ts = deadline_ms(50);

		pthread_cond_timedwait(&b->c, &b->m, &ts);
	}
	if (a && __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		/* the watchdog declared a deadlock: abandon this agent */
		pthread_mutex_unlock(&b->m);
		pthread_exit(NULL);
	}
	if (a) {
		__atomic_store_n(&a->state, AGENT_RUNNABLE, __ATOMIC_RELAXED);
		__atomic_store_n(&a->blocked_on, NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&a->blocked_what, NULL, __ATOMIC_RELAXED);
	}
}

/* Called with obj's bucket mutex held: wakes every waiter of the bucket. */
static void real_mon_wake(struct world *w, const void *obj)
{
	pthread_cond_broadcast(&bucket_of(w, obj)->c);
}

/* ---- schedule points ---- */

/* Stress: yield at ~pct% of points, and sleep a few us at 1/16 of those. */
static void real_delay(struct agent *a, unsigned pct)
{
	uint64_t r = splitmix64(&a->rng);
	struct timespec ts = { 0, 0 };

	if (r % 100 >= pct)
		return;
	if (((r >> 40) & 15) != 0) {
		sched_yield();
		return;
	}
	ts.tv_nsec = 1000 + (long)((r >> 48) & 7) * 1000;
	nanosleep(&ts, NULL);
}

static void real_sched_point(struct world *w, struct agent *a, enum sp_kind k,
			     const void *obj)
{
	(void)k;
	(void)obj;
	__atomic_fetch_add(&w->step, 1, __ATOMIC_RELAXED);
	if (!a)
		return;
	a->steps++;
	if (w->opts.real_delay_pct)
		real_delay(a, w->opts.real_delay_pct);
}

/* ---- agent threads ---- */

/* The i-th agent, or NULL past the end; the table grows while running. */
static struct agent *agent_at(struct world *w, int i)
{
	struct agent *a = NULL;

	world_lock(w);
	if (i < w->nr_agents)
		a = w->agents[i];
	world_unlock(w);
	return a;
}

/* Runs on return and on pthread_exit() from an abandoned wait. */
static void real_thread_exit(void *arg)
{
	struct agent *a = arg;

	trace_emit(a->w, TR_AGENT_EXIT, a->id, 0, 0, NULL);
	real_mon_lock(a->w, a);
	__atomic_store_n(&a->state, AGENT_DONE, __ATOMIC_RELEASE);
	real_mon_wake(a->w, a); /* agent_join() waiters */
	real_mon_unlock(a->w, a);
	urcu_thread_offline();
	current = NULL;
}

static void *real_thread(void *arg)
{
	struct agent *a = arg;
	struct world *w = a->w;

	current = a;
	urcu_thread_online();
	__atomic_store_n(&a->state, AGENT_RUNNABLE, __ATOMIC_RELEASE);
	trace_emit(w, TR_AGENT_START, a->id, 0, 0, NULL);
	pthread_cleanup_push(real_thread_exit, a);
	a->fn(a->arg);
	pthread_cleanup_pop(1);
	return NULL;
}

struct watchdog {
	unsigned long last_step;
	int idle_ticks;
};

/* true if every agent is finished or blocked */
static bool all_blocked(struct world *w)
{
	struct agent *a;
	bool any = false;
	int i, st;

	for (i = 0; (a = agent_at(w, i)); i++) {
		st = __atomic_load_n(&a->state, __ATOMIC_ACQUIRE);
		if (st == AGENT_BLOCKED)
			any = true;
		else if (st != AGENT_DONE)
			return false;
	}
	return any;
}

/* Called every 100 ms while joining: declares a deadlock after ~1 s. */
static void real_watchdog(struct world *w, struct watchdog *wd)
{
	struct real_state *rs = rs_of(w);
	unsigned long step = __atomic_load_n(&w->step, __ATOMIC_RELAXED);
	unsigned i;

	if (step != wd->last_step) {
		wd->last_step = step;
		wd->idle_ticks = 0;
		return;
	}
	if (++wd->idle_ticks < 10 || __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
		return;
	/*
	 * Taking each bucket once orders us after every waiter's last writes
	 * (its held-lock stack) before it slept.  Holding them all at once
	 * would be simpler but exceeds ThreadSanitizer's held-lock limit.
	 */
	for (i = 0; i < REAL_BUCKETS; i++) {
		pthread_mutex_lock(&rs->b[i].m);
		pthread_mutex_unlock(&rs->b[i].m);
	}
	if (!all_blocked(w))
		return; /* still no progress: look again next tick */
	report_deadlock(w);
	__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < REAL_BUCKETS; i++) {
		pthread_mutex_lock(&rs->b[i].m);
		pthread_cond_broadcast(&rs->b[i].c);
		pthread_mutex_unlock(&rs->b[i].m);
	}
}

/* Start a's thread; publishes the slot (STARTED or FAILED). */
static int real_start(struct real_agent *ra, struct agent *a)
{
	int err = pthread_create(&ra->th, NULL, real_thread, a);

	if (err) {
		ra->err = err;
		slot_set(ra, RA_FAILED);
		return -err;
	}
	slot_set(ra, RA_STARTED);
	return 0;
}

static int real_agent_init(struct world *w, struct agent *a)
{
	struct real_state *rs = rs_of(w);
	struct real_agent *ra;

	if (a->id < 0 || a->id >= MAX_AGENTS)
		return -EINVAL;
	ra = &rs->ra[a->id];
	a->eng = ra;
	if (!__atomic_load_n(&rs->running, __ATOMIC_ACQUIRE)) {
		slot_set(ra, RA_PENDING);
		return 0;
	}
	return real_start(ra, a);
}

/* Wait for a's thread to end; returns a thread creation error, or 0. */
static int real_join(struct world *w, struct agent *a)
{
	struct real_agent *ra = &rs_of(w)->ra[a->id];
	int st;

	/* agent_create publishes the agent before calling agent_init */
	while ((st = slot_state(ra)) == RA_NONE)
		sched_yield();
	if (st == RA_PENDING && real_start(ra, a))
		st = RA_FAILED;
	if (st == RA_FAILED) {
		__atomic_store_n(&a->state, AGENT_DONE, __ATOMIC_RELEASE);
		return -ra->err;
	}
	if (st == RA_STARTED) {
		struct watchdog wd = { .last_step = ~0UL };
		struct timespec ts;

		for (;;) {
			ts = deadline_ms(100);
			if (pthread_timedjoin_np(ra->th, NULL, &ts) != ETIMEDOUT)
				break;
			real_watchdog(w, &wd);
		}
		slot_set(ra, RA_JOINED);
	}
	return 0;
}

static int real_run(struct world *w)
{
	struct real_state *rs = rs_of(w);
	struct agent *a;
	int i, n, err, ret = 0;

	/* from here on, agent_init starts threads itself */
	world_lock(w);
	__atomic_store_n(&rs->running, true, __ATOMIC_RELEASE);
	n = w->nr_agents;
	world_unlock(w);

	for (i = 0; i < n; i++) {
		a = agent_at(w, i);
		if (slot_state(&rs->ra[a->id]) == RA_PENDING)
			real_start(&rs->ra[a->id], a);
	}
	/* an agent is only created by a live one, so the last join ends it */
	for (i = 0; (a = agent_at(w, i)); i++) {
		err = real_join(w, a);
		if (err && !ret)
			ret = err;
	}
	__atomic_store_n(&rs->running, false, __ATOMIC_RELEASE);
	return ret;
}

const struct engine_ops real_engine_ops = {
	.name = "real",
	.init = real_init,
	.reset = real_reset,
	.destroy = real_destroy,
	.agent_init = real_agent_init,
	.run = real_run,
	.sched_point = real_sched_point,
	.mon_lock = real_mon_lock,
	.mon_unlock = real_mon_unlock,
	.mon_wait = real_mon_wait,
	.mon_wake = real_mon_wake,
};

/* ---- run_real: repeated real executions of a model ---- */

static void real_record(struct world *w, uint64_t seed, unsigned long nth,
			struct explore_result *r)
{
	struct report *rep;
	size_t len;
	FILE *f;

	r->violating++;
	explore_count_kinds(r, w, nth);
	if (r->first_violation)
		return;
	r->first_violation = nth;
	r->first_seed = seed;
	rep = list_first_entry(&w->reports, struct report, node);
	snprintf(r->first_kind, sizeof(r->first_kind), "%s", rep->kind);
	f = open_memstream(&r->first_report, &len);
	if (!f)
		return;
	report_print_all(w, f);
	fclose(f);
}

static int real_once(const struct model *m, unsigned delay_pct, uint64_t seed,
		     unsigned long nth, struct explore_result *r)
{
	struct world_opts o = {
		.engine = ENGINE_REAL,
		.real_delay_pct = delay_pct,
		.seed = seed,
	};
	struct world *w = world_create(&o);
	int err;

	if (!w)
		return -ENOMEM;
	err = m->setup(w, m->arg);
	if (!err)
		err = world_run(w);
	if (!err) {
		if (m->check)
			m->check(w, m->arg);
		r->executions++;
		r->total_steps += __atomic_load_n(&w->step, __ATOMIC_RELAXED);
		if (!list_empty(&w->reports))
			real_record(w, seed, nth, r);
	}
	world_destroy(w);
	return err;
}

/**
 * run_real - run a model @iterations times on the real engine
 * @m: the model
 * @iterations: executions, each in a fresh world seeded @seed + i
 * @delay_pct: percentage of schedule points that yield (stress), 0 = none
 * @seed: base seed (per-agent delay PRNGs)
 * @r: result, zeroed first; free with explore_result_free()
 *
 * Returns 0, or the first error of a model's setup or of the engine.
 */
int run_real(const struct model *m, unsigned long iterations,
	     unsigned delay_pct, uint64_t seed, struct explore_result *r)
{
	struct timespec t0, t1;
	unsigned long i;
	int err = 0;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iterations && !err; i++)
		err = real_once(m, delay_pct, seed + i, i + 1, r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return err;
}
