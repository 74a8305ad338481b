// SPDX-License-Identifier: MIT
/*
 * Deterministic engine and explorer: interleaving counts, bug finding by
 * each strategy, replay, determinism, deadlock and livelock reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/locking.h"
#include "core/trace.h"
#include "engine/engine.h"
#include "scenario/builtin.h"
#include "shipped.h"

static struct explore_opts opts(enum strategy s, unsigned long iters)
{
	return (struct explore_opts){ .strategy = s,
				      .seed = 1,
				      .iterations = iters,
				      .bound = -1,
				      .progress_fd = -1,
				      .stop_on_violation = true };
}

static unsigned long dfs_count(const char *model, int bound)
{
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;
	unsigned long n;

	o.bound = bound;
	assert_int_equal(explore(model_by_name(model), &o, &r), 0);
	assert_true(r.exhausted);
	assert_int_equal(r.violating, 0);
	n = r.executions;
	explore_result_free(&r);
	return n;
}

static void test_dfs_counts(void **state)
{
	(void)state;
	assert_int_equal(dfs_count("steps-2x2", -1), 6);
	assert_int_equal(dfs_count("steps-3x1", -1), 6);
	/* bound 0: only non-preemptive schedules */
	assert_int_equal(dfs_count("steps-2x2", 0), 2);
	assert_int_equal(dfs_count("steps-3x1", 0), 6);
	/* AABB BBAA (0) + ABBA BAAB (1) */
	assert_int_equal(dfs_count("steps-2x2", 1), 4);
	assert_int_equal(dfs_count("steps-2x2", 2), 6);
}

static void expect_found(const char *model, enum strategy s,
			 unsigned long iters, const char *kind)
{
	struct explore_opts o = opts(s, iters);
	struct explore_result r;

	assert_int_equal(explore(model_by_name(model), &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, kind);
	assert_non_null(r.first_schedule);
	assert_non_null(strstr(r.first_report, kind));
	explore_result_free(&r);
}

static void test_lost_update_found(void **state)
{
	(void)state;
	expect_found("lost-update", STRAT_RANDOM, 1000, "lost-update");
	expect_found("lost-update", STRAT_PCT, 1000, "lost-update");
	expect_found("lost-update", STRAT_DFS, 0, "lost-update");
}

static void test_locked_update_clean(void **state)
{
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;

	(void)state;
	assert_int_equal(explore(shipped("locked-update"), &o, &r), 0);
	assert_true(r.exhausted);
	assert_int_equal(r.violating, 0);
	assert_true(r.executions > 1);
	explore_result_free(&r);
	o = opts(STRAT_RANDOM, 2000);
	assert_int_equal(explore(shipped("locked-update"), &o, &r), 0);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, 2000);
	explore_result_free(&r);
}

static int kind_first_exec(const struct explore_result *r, const char *kind)
{
	int i;

	for (i = 0; i < r->nr_kinds; i++)
		if (!strcmp(r->kinds[i].kind, kind))
			return r->kinds[i].first_exec;
	return 0;
}

static void test_abba_lockdep_then_deadlock(void **state)
{
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;

	(void)state;
	o.stop_on_violation = false;
	assert_int_equal(explore(shipped("abba"), &o, &r), 0);
	assert_true(r.exhausted);
	/* the first execution runs ab to completion, then ba: no deadlock */
	assert_int_equal(kind_first_exec(&r, "lockdep-circular"), 1);
	assert_true(kind_first_exec(&r, "deadlock") > 1);
	assert_non_null(strstr(r.first_report, "circular locking dependency"));
	assert_non_null(strstr(r.first_report, "(a)"));
	assert_non_null(strstr(r.first_report, "(b)"));
	explore_result_free(&r);

	/* the deadlocking schedule, replayed, reports the wait-for cycle */
	o = opts(STRAT_REPLAY, 1);
	o.schedule = "ab";
	assert_int_equal(explore(shipped("abba"), &o, &r), 0);
	assert_int_equal(kind_first_exec(&r, "deadlock"), 1);
	assert_non_null(r.first_report);
	assert_non_null(
		strstr(r.first_report, "wait-for cycle: ab -> ba -> ab"));
	/* each blocked agent: what it waits for, who holds it, its own locks */
	assert_non_null(strstr(r.first_report,
			       "  ab waits for b held by ba\n"
			       "    1 lock held by ab:\n"
			       "     #0: (a)#0, taken at step"));
	assert_non_null(strstr(r.first_report,
			       "  ba waits for a held by ab\n"
			       "    1 lock held by ba:\n"
			       "     #0: (b)#1, taken at step"));
	explore_result_free(&r);
}

/* one traced execution of @m; the caller frees both traces */
static void traced_once(const struct model *m, struct explore_opts o,
			char **json, char **text, char **schedule)
{
	struct explore_result r;

	o.trace = true;
	assert_int_equal(explore(m, &o, &r), 0);
	assert_non_null(r.trace_json);
	assert_non_null(r.trace_text);
	*json = r.trace_json;
	*text = r.trace_text;
	*schedule = r.first_schedule;
	r.trace_json = r.trace_text = r.first_schedule = NULL;
	explore_result_free(&r);
}

static char *traced_run(const char *model, struct explore_opts o)
{
	char *json, *text, *schedule;

	traced_once(model_by_name(model), o, &json, &text, &schedule);
	free(text);
	free(schedule);
	return json;
}

static void test_replay_identical(void **state)
{
	struct explore_opts o = opts(STRAT_RANDOM, 1000);
	struct explore_result r;
	char *a, *b, *c, *d, *v, *e;

	(void)state;
	o.trace = true;
	assert_int_equal(explore(shipped("rcu-free-early"), &o, &r), 0);
	assert_true(r.first_violation > 0);
	a = r.trace_json;
	r.trace_json = NULL;

	/* by schedule string */
	o = opts(STRAT_REPLAY, 1);
	o.schedule = r.first_schedule;
	b = traced_run("rcu-free-early", o);
	/* by the execution's own seed */
	o = opts(STRAT_RANDOM, 1);
	o.seed = r.first_seed;
	c = traced_run("rcu-free-early", o);
	/* the same seed twice */
	d = traced_run("rcu-free-early", o);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_string_equal(c, d);
	assert_non_null(strstr(a, "VIOLATION use-after-free"));
	/* the violation event carries its report for the Perfetto reader */
	v = strstr(a, "{\"name\":\"VIOLATION use-after-free\"");
	assert_non_null(v);
	e = strchr(v, '\n');
	assert_non_null(e);
	*e = '\0';
	assert_non_null(strstr(
		v,
		",\"report\":\"reader read an object of gp freed while it was inside rcu_read_lock() (line 12)\"}"));
	*e = '\n';
	free(a);
	free(b);
	free(c);
	free(d);
	explore_result_free(&r);
}

static unsigned long count_str(const char *s, const char *needle)
{
	unsigned long n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}


/*
 * Every built-in model and shipped scenario, under random and under
 * pct: the same seed gives
 * byte-identical JSON and text traces, and a violating execution's
 * schedule replays to the same bytes.  A model that read anything outside
 * the engine (an address, the clock, a global) would differ here.
 */
static void test_all_models_deterministic(void **state)
{
	static const enum strategy strats[] = { STRAT_RANDOM, STRAT_PCT };
	const struct model *all[256], *const *m;
	unsigned s, nr = 0, replayed = 0;
	int n = 0, k;

	(void)state;
	for (m = builtin_models; *m; m++)
		all[n++] = *m;
	n += shipped_all(all + n, ARRAY_SIZE(all) - n);
	for (k = 0; k < n; k++) {
		m = &all[k];
		for (s = 0; s < ARRAY_SIZE(strats); s++) {
			struct explore_opts o = opts(strats[s], 1);
			char *j1, *t1, *s1, *j2, *t2, *s2;

			o.seed = 11;
			traced_once(*m, o, &j1, &t1, &s1);
			traced_once(*m, o, &j2, &t2, &s2);
			if (strcmp(j1, j2) || strcmp(t1, t2))
				fail_msg("%s: seed 11 under %s gave two traces",
					 (*m)->name, s ? "pct" : "random");
			if (s1) {
				free(j2);
				free(t2);
				free(s2);
				o = opts(STRAT_REPLAY, 1);
				o.schedule = s1;
				traced_once(*m, o, &j2, &t2, &s2);
				if (strcmp(j1, j2))
					fail_msg(
						"%s: replaying '%s' changed the trace",
						(*m)->name, s1);
				replayed++;
			}
			free(j1);
			free(t1);
			free(s1);
			free(j2);
			free(t2);
			free(s2);
			nr++;
		}
	}
	print_message("%u executions traced twice, %u replayed\n", nr,
		      replayed);
	/* the list really was walked, bugs included */
	assert_true(nr >= 2 * 60);
	assert_true(replayed >= 10);
}

/*
 * CPU and device events get tracks of their own (CPU0 at tid 1000,
 * devices from tid 2000, named by thread_name metadata), each written
 * again on the causing agent's track, and a seed still gives the same
 * bytes; the text trace names the resource in its own column.
 */
static void test_resource_tracks(void **state)
{
	static const char *const models[] = { "sva-vs-munmap",
					      "mirror-vs-munmap" };
	static const char *const dev[] = {
		"\"args\":{\"name\":\"device ",
		"\"args\":{\"name\":\"mirror of mm "
	};
	unsigned int m;

	(void)state;
	for (m = 0; m < ARRAY_SIZE(models); m++) {
		struct explore_opts o = opts(STRAT_RANDOM, 1);
		struct explore_result r;
		char *a, *b;
		unsigned long on_res;

		o.seed = 7;
		o.trace = true;
		assert_int_equal(explore(model_by_name(models[m]), &o, &r), 0);
		a = r.trace_json;
		r.trace_json = NULL;
		assert_non_null(a);
		b = traced_run(models[m], o);
		assert_string_equal(a, b);

		assert_non_null(strstr(
			a,
			"{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1000,\"ts\":0,\"args\":{\"name\":\"CPU0\"}}"));
		assert_non_null(
			strstr(a, "\"tid\":2000,\"ts\":0,\"args\":{\"name\":"));
		assert_non_null(strstr(a, dev[m]));
		assert_true(count_str(a, "\"cat\":\"cpu\"") > 0);
		assert_true(count_str(a, "\"cat\":\"device\"") > 0);
		/* every resource event is on its agent's track too */
		on_res = count_str(a, "\"cat\":\"cpu\"") +
			 count_str(a, "\"cat\":\"device\"");
		assert_int_equal(on_res, count_str(a, ",\"track\":\""));
		assert_non_null(
			strstr(a, "{\"name\":\"event [CPU0] tlb fill va "));

		assert_non_null(r.trace_text);
		assert_non_null(strstr(r.trace_text, " CPU0           ["));
		assert_non_null(strstr(r.trace_text, "] event tlb fill va "));
		free(a);
		free(b);
		explore_result_free(&r);
	}
}

static void test_pct_replay_identical(void **state)
{
	struct explore_opts o = opts(STRAT_PCT, 1);
	char *a, *b;

	(void)state;
	o.seed = 42;
	o.depth = 2;
	a = traced_run("lost-update", o);
	b = traced_run("lost-update", o);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_rcu_models(void **state)
{
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;

	(void)state;
	assert_int_equal(explore(shipped("rcu-call-rcu"), &o, &r), 0);
	assert_true(r.exhausted);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	assert_int_equal(explore(shipped("rcu-sync"), &o, &r), 0);
	assert_true(r.exhausted);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	expect_found("rcu-free-early", STRAT_DFS, 0, "use-after-free");
}

static void test_sleep_in_atomic(void **state)
{
	(void)state;
	expect_found("sleep-in-atomic", STRAT_RANDOM, 1, "sleep-in-atomic");
}

/* ---- custom models ---- */

struct spin_forever {
	int flag;
};

static void spinner(void *arg)
{
	struct spin_forever *s = arg;

	while (!READ_ONCE(s->flag))
		cond_resched();
}

static int livelock_setup(struct world *w, void *arg)
{
	(void)arg;
	return agent_create(w, "spinner", spinner,
			    arena_alloc(w, sizeof(struct spin_forever))) ?
		       0 :
		       -1;
}

static void test_livelock(void **state)
{
	struct model m = { "livelock", "", livelock_setup, NULL, NULL };
	struct explore_opts o = opts(STRAT_RANDOM, 1);
	struct explore_result r;

	(void)state;
	o.max_steps = 500;
	assert_int_equal(explore(&m, &o, &r), 0);
	assert_string_equal(r.first_kind, "livelock");
	assert_non_null(strstr(r.first_report, "500"));
	explore_result_free(&r);
}

struct misuse {
	spinlock_t s;
	struct mutex m;
};

static void misuse_agent(void *arg)
{
	struct misuse *x = arg;

	mutex_unlock(&x->m); /* not held */
	spin_lock(&x->s);
	spin_lock(&x->s); /* AA: reported, refused, no hang */
	spin_unlock(&x->s);
	spin_lock_destroy(&x->s); /* still held once */
	spin_unlock(&x->s);
}

static int misuse_setup(struct world *w, void *arg)
{
	struct misuse *x = arena_alloc(w, sizeof(*x));

	(void)arg;
	spin_lock_init(w, &x->s, "misuse_spin");
	mutex_init(w, &x->m, "misuse_mutex");
	w->priv = x;
	return agent_create(w, "misuser", misuse_agent, x) ? 0 : -1;
}

static void test_misuse_reported(void **state)
{
	struct world *w =
		world_create(&(struct world_opts){ .engine = ENGINE_DET });
	struct misuse *x;

	(void)state;
	assert_int_equal(misuse_setup(w, NULL), 0);
	assert_int_equal(world_run(w), 0);
	x = w->priv;
	assert_true(report_has(w, "bad-unlock-balance"));
	assert_true(report_has(w, "recursive-locking"));
	assert_true(report_has(w, "destroy-held-lock"));
	assert_false(report_has(w, "deadlock"));
	assert_false(spin_is_locked(&x->s));
	world_destroy(w);
}

/* rwsem: a recursive down_read deadlocks once a writer queues between */
struct rwsem_rec {
	struct rw_semaphore sem;
};

static void rec_reader(void *arg)
{
	struct rwsem_rec *x = arg;

	down_read(&x->sem);
	sched_point(SP_EXPLICIT, NULL);
	down_read(&x->sem);
	up_read(&x->sem);
	up_read(&x->sem);
}

static void rec_writer(void *arg)
{
	struct rwsem_rec *x = arg;

	down_write(&x->sem);
	up_write(&x->sem);
}

static int rec_setup(struct world *w, void *arg)
{
	struct rwsem_rec *x = arena_alloc(w, sizeof(*x));

	(void)arg;
	init_rwsem(w, &x->sem, "mmap_lock");
	if (!agent_create(w, "reader", rec_reader, x) ||
	    !agent_create(w, "writer", rec_writer, x))
		return -1;
	return 0;
}

static void test_rwsem_writer_preference(void **state)
{
	struct model m = { "rwsem-rec", "", rec_setup, NULL, NULL };
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;

	(void)state;
	o.stop_on_violation = false;
	assert_int_equal(explore(&m, &o, &r), 0);
	assert_true(r.exhausted);
	/* lockdep flags the recursion in every run; some runs deadlock */
	assert_int_equal(kind_first_exec(&r, "recursive-locking"), 1);
	assert_true(kind_first_exec(&r, "deadlock") > 0);
	explore_result_free(&r);
}

/* completion and wait queue hand-offs stay clean under exhaustive DFS */
struct handoff {
	struct completion done;
	wait_queue_head_t wq;
	int ready, value, seen;
	struct rw_semaphore sem;
};

static void producer(void *arg)
{
	struct handoff *h = arg;

	down_write(&h->sem);
	WRITE_ONCE(h->value, 42);
	downgrade_write(&h->sem);
	WRITE_ONCE(h->ready, 1);
	wake_up(&h->wq);
	up_read(&h->sem);
	complete(&h->done);
}

static void consumer(void *arg)
{
	struct handoff *h = arg;

	wait_event(h->wq, READ_ONCE(h->ready));
	wait_for_completion(&h->done);
	down_read(&h->sem);
	h->seen = READ_ONCE(h->value);
	up_read(&h->sem);
}

static int handoff_setup(struct world *w, void *arg)
{
	struct handoff *h = arena_alloc(w, sizeof(*h));

	(void)arg;
	init_completion(w, &h->done);
	init_waitqueue_head(w, &h->wq);
	init_rwsem(w, &h->sem, "handoff_sem");
	w->priv = h;
	if (!agent_create(w, "consumer", consumer, h) ||
	    !agent_create(w, "producer", producer, h))
		return -1;
	return 0;
}

static void handoff_check(struct world *w, void *arg)
{
	struct handoff *h = w->priv;

	(void)arg;
	if (h->seen != 42)
		report_add(w, "handoff", "consumer saw %d", h->seen);
}

static void test_handoff_clean(void **state)
{
	struct model m = { "handoff", "", handoff_setup, handoff_check, NULL };
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;

	(void)state;
	assert_int_equal(explore(&m, &o, &r), 0);
	assert_true(r.exhausted);
	assert_int_equal(r.violating, 0);
	assert_true(r.executions >= 2);
	explore_result_free(&r);
}

/* RCU callbacks run outside agents: they may complete, never block */
struct cb_demo {
	struct rcu_head rcu;
	struct completion done;
	struct mutex m;
	bool block;
};

static void cb_func(struct rcu_head *h)
{
	struct cb_demo *d = container_of(h, struct cb_demo, rcu);

	if (d->block)
		mutex_lock(&d->m); /* held by the agent: would sleep */
	complete(&d->done);
}

static void cb_agent(void *arg)
{
	struct cb_demo *d = arg;

	if (d->block)
		mutex_lock(&d->m);
	call_rcu(&d->rcu, cb_func);
	wait_for_completion(&d->done);
	if (d->block)
		mutex_unlock(&d->m);
}

static int cb_setup(struct world *w, bool block)
{
	struct cb_demo *d = arena_alloc(w, sizeof(*d));

	init_completion(w, &d->done);
	mutex_init(w, &d->m, "cb_mutex");
	d->block = block;
	return agent_create(w, "caller", cb_agent, d) ? 0 : -1;
}

static int cb_ok_setup(struct world *w, void *arg)
{
	(void)arg;
	return cb_setup(w, false);
}

static int cb_block_setup(struct world *w, void *arg)
{
	(void)arg;
	return cb_setup(w, true);
}

static void test_rcu_callback_context(void **state)
{
	struct model ok = { "cb-ok", "", cb_ok_setup, NULL, NULL };
	struct model bad = { "cb-block", "", cb_block_setup, NULL, NULL };
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;

	(void)state;
	assert_int_equal(explore(&ok, &o, &r), 0);
	assert_true(r.exhausted);
	assert_int_equal(r.violating, 0);
	explore_result_free(&r);
	assert_int_equal(explore(&bad, &o, &r), 0);
	assert_string_equal(r.first_kind, "block-in-rcu-callback");
	explore_result_free(&r);
}

/* agent creation from an agent, and join */
struct family {
	int child_result;
	int seen;
};

static void child_fn(void *arg)
{
	struct family *f = arg;

	sched_point(SP_EXPLICIT, NULL);
	WRITE_ONCE(f->child_result, 7);
}

static void parent_fn(void *arg)
{
	struct family *f = arg;
	struct agent *c = agent_create(current->w, "child", child_fn, f);

	agent_join(current); /* reported, returns */
	agent_join(c);
	f->seen = READ_ONCE(f->child_result);
}

static int family_setup(struct world *w, void *arg)
{
	struct family *f = arena_alloc(w, sizeof(*f));

	(void)arg;
	w->priv = f;
	return agent_create(w, "parent", parent_fn, f) ? 0 : -1;
}

static void family_check(struct world *w, void *arg)
{
	struct family *f = w->priv;

	(void)arg;
	if (f->seen != 7)
		report_add(w, "join-broken", "parent saw %d", f->seen);
}

static void test_agent_join(void **state)
{
	struct model m = { "family", "", family_setup, family_check, NULL };
	struct explore_opts o = opts(STRAT_DFS, 0);
	struct explore_result r;

	(void)state;
	o.stop_on_violation = false;
	assert_int_equal(explore(&m, &o, &r), 0);
	assert_true(r.exhausted);
	assert_true(r.executions > 1);
	/* every execution reports the self-join and nothing else */
	assert_int_equal(r.nr_kinds, 1);
	assert_string_equal(r.kinds[0].kind, "self-join");
	assert_int_equal(r.kinds[0].count, r.executions);
	explore_result_free(&r);
}

/* a model that depends on state outside the engine: replay must notice */
static int flaky_runs; /* deliberately outside the world */

static void flaky_agent(void *arg)
{
	(void)arg;
	sched_point(SP_EXPLICIT, NULL);
	if (++flaky_runs % 2)
		report_add(current->w, "flaky", "odd run");
	else
		sched_point(SP_EXPLICIT, NULL);
}

static int flaky_setup(struct world *w, void *arg)
{
	(void)arg;
	return agent_create(w, "flaky", flaky_agent, NULL) ? 0 : -1;
}

static void test_nondeterminism_flagged(void **state)
{
	struct model m = { "flaky", "", flaky_setup, NULL, NULL };
	struct explore_opts o = opts(STRAT_RANDOM, 10);
	struct explore_result r;

	(void)state;
	flaky_runs = 0;
	assert_int_equal(explore(&m, &o, &r), 0);
	assert_string_equal(r.first_kind, "flaky");
	assert_false(r.replay_verified);
	explore_result_free(&r);
	/* a deterministic model's failure replays */
	o = opts(STRAT_RANDOM, 1000);
	assert_int_equal(explore(shipped("lost-update"), &o, &r), 0);
	assert_true(r.replay_verified);
	explore_result_free(&r);
}

static void test_schedule_strings(void **state)
{
	unsigned char *d;
	size_t n;
	char *s;

	(void)state;
	assert_int_equal(schedule_decode("a3bA2", &d, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(d[0], 0);
	assert_int_equal(d[3], 1);
	assert_int_equal(d[4], 26);
	s = schedule_encode(d, n);
	assert_string_equal(s, "a3bA2");
	free(s);
	free(d);
	assert_int_equal(schedule_decode("ab0", &d, &n), -22);
	assert_int_equal(schedule_decode("a-b", &d, &n), -22);
	assert_int_equal(schedule_decode("", &d, &n), 0);
	assert_int_equal(n, 0);
	free(d);
}

static void test_replay_divergence(void **state)
{
	struct explore_opts o = opts(STRAT_REPLAY, 1);
	struct explore_result r;

	(void)state;
	o.schedule = "z"; /* no agent 25 */
	assert_int_equal(explore(shipped("lost-update"), &o, &r), 0);
	assert_string_equal(r.first_kind, "replay-divergence");
	explore_result_free(&r);
}

static void test_world_reuse(void **state)
{
	struct world *w =
		world_create(&(struct world_opts){ .engine = ENGINE_DET });
	const struct model *m = shipped("locked-update");
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		if (i)
			world_reset(w);
		assert_int_equal(m->setup(w, m->arg), 0);
		assert_int_equal(world_run(w), 0);
		m->check(w, m->arg);
		assert_int_equal(w->nr_reports, 0);
		assert_int_equal(w->nr_agents, 2);
	}
	world_destroy(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dfs_counts),
		cmocka_unit_test(test_lost_update_found),
		cmocka_unit_test(test_locked_update_clean),
		cmocka_unit_test(test_abba_lockdep_then_deadlock),
		cmocka_unit_test(test_replay_identical),
		cmocka_unit_test(test_pct_replay_identical),
		cmocka_unit_test(test_resource_tracks),
		cmocka_unit_test(test_all_models_deterministic),
		cmocka_unit_test(test_rcu_models),
		cmocka_unit_test(test_sleep_in_atomic),
		cmocka_unit_test(test_livelock),
		cmocka_unit_test(test_misuse_reported),
		cmocka_unit_test(test_rwsem_writer_preference),
		cmocka_unit_test(test_handoff_clean),
		cmocka_unit_test(test_rcu_callback_context),
		cmocka_unit_test(test_agent_join),
		cmocka_unit_test(test_nondeterminism_flagged),
		cmocka_unit_test(test_schedule_strings),
		cmocka_unit_test(test_replay_divergence),
		cmocka_unit_test(test_world_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
