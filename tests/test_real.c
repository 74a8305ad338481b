// SPDX-License-Identifier: MIT
/*
 * Suite "real": the real-thread engine runs the kernel-shaped primitives
 * on genuine parallel threads, with and without stress delays, and gets
 * exact results.  Must stay ThreadSanitizer clean: plain shared ints are
 * touched only under the primitive under test, or handed over with
 * release/acquire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/locking.h"
#include "engine/engine.h"
#include "scenario/builtin.h"
#include "shipped.h"

#define ITERS 10000
#define HANDOFFS 2000
#define RCU_UPDATES 2000

static unsigned delay_none;
static unsigned delay_stress = 50;

static unsigned delay_of(void **state)
{
	return *(unsigned *)*state;
}

static struct world *real_world(unsigned delay)
{
	struct world_opts o = {
		.engine = ENGINE_REAL,
		.real_delay_pct = delay,
		.seed = 7,
	};
	struct world *w = world_create(&o);

	assert_non_null(w);
	return w;
}

static void spawn(struct world *w, const char *name, agent_fn fn, void *arg)
{
	assert_non_null(agent_create(w, name, fn, arg));
}

static void run_clean(struct world *w)
{
	int ret = world_run(w);

	if (!list_empty(&w->reports))
		report_print_all(w, stderr);
	assert_int_equal(ret, 0);
	assert_true(list_empty(&w->reports));
}

/* ---- spinlock_t ---- */

struct spin_ctx {
	spinlock_t lock;
	int count;
	int iters;
	int spawned; /* test_nested_agents, atomic */
};

static void spin_agent(void *arg)
{
	struct spin_ctx *c = arg;
	int i;

	for (i = 0; i < c->iters; i++) {
		spin_lock(&c->lock);
		c->count++;
		spin_unlock(&c->lock);
	}
}

static void test_spinlock(void **state)
{
	struct world *w = real_world(delay_of(state));
	struct spin_ctx *c = arena_alloc(w, sizeof(*c));

	spin_lock_init(w, &c->lock, "test_spin");
	c->iters = ITERS;
	spawn(w, "a", spin_agent, c);
	spawn(w, "b", spin_agent, c);
	run_clean(w);
	assert_int_equal(c->count, 2 * ITERS);
	world_destroy(w);
}

/* ---- struct mutex ---- */

struct mutex_ctx {
	struct mutex lock;
	int count;
};

static void mutex_agent(void *arg)
{
	struct mutex_ctx *c = arg;
	int i;

	for (i = 0; i < ITERS; i++) {
		mutex_lock(&c->lock);
		c->count++;
		if ((i & 127) == 0)
			cond_resched(); /* sleeping inside a mutex is allowed */
		mutex_unlock(&c->lock);
	}
}

static void test_mutex(void **state)
{
	struct world *w = real_world(delay_of(state));
	struct mutex_ctx *c = arena_alloc(w, sizeof(*c));

	mutex_init(w, &c->lock, "test_mutex");
	spawn(w, "a", mutex_agent, c);
	spawn(w, "b", mutex_agent, c);
	run_clean(w);
	assert_int_equal(c->count, 2 * ITERS);
	world_destroy(w);
}

/* ---- struct rw_semaphore: readers see a == b, written under down_write */

struct rwsem_ctx {
	struct rw_semaphore sem;
	int a, b;
};

struct rwsem_reader {
	struct rwsem_ctx *c;
	int bad, reads;
};

static void rwsem_writer(void *arg)
{
	struct rwsem_ctx *c = arg;
	int i;

	for (i = 0; i < ITERS / 2; i++) {
		down_write(&c->sem);
		c->a++;
		cond_resched(); /* widen the window between the two stores */
		c->b++;
		up_write(&c->sem);
	}
}

static void rwsem_reader(void *arg)
{
	struct rwsem_reader *r = arg;
	int i;

	for (i = 0; i < ITERS / 2; i++) {
		down_read(&r->c->sem);
		if (r->c->a != r->c->b)
			r->bad++;
		r->reads++;
		up_read(&r->c->sem);
	}
}

static void test_rwsem(void **state)
{
	struct world *w = real_world(delay_of(state));
	struct rwsem_ctx *c = arena_alloc(w, sizeof(*c));
	struct rwsem_reader *r = arena_alloc(w, 2 * sizeof(*r));

	init_rwsem(w, &c->sem, "test_rwsem");
	r[0].c = r[1].c = c;
	spawn(w, "w0", rwsem_writer, c);
	spawn(w, "r0", rwsem_reader, &r[0]);
	spawn(w, "w1", rwsem_writer, c);
	spawn(w, "r1", rwsem_reader, &r[1]);
	run_clean(w);
	assert_int_equal(c->a, ITERS);
	assert_int_equal(c->b, ITERS);
	assert_int_equal(r[0].bad + r[1].bad, 0);
	assert_int_equal(r[0].reads + r[1].reads, ITERS);
	world_destroy(w);
}

/* ---- atomic_t ---- */

static void atomic_agent(void *arg)
{
	atomic_t *v = arg;
	int i;

	for (i = 0; i < ITERS; i++) {
		atomic_inc(v);
		atomic_add_return(2, v);
		atomic_dec(v);
		atomic_dec(v);
	}
}

static void test_atomic(void **state)
{
	struct world *w = real_world(delay_of(state));
	atomic_t *v = arena_alloc(w, sizeof(*v));

	atomic_set(v, 0);
	spawn(w, "a", atomic_agent, v);
	spawn(w, "b", atomic_agent, v);
	run_clean(w);
	assert_int_equal(atomic_read(v), 2 * ITERS);
	world_destroy(w);
}

/* ---- wait_event()/wake_up(): a ping-pong handoff of plain data ---- */

struct pingpong {
	wait_queue_head_t wq;
	int turn; /* 0: producer's, 1: consumer's; release/acquire */
	int data;
	long sum;
};

static int turn_is(struct pingpong *p, int who)
{
	return __atomic_load_n(&p->turn, __ATOMIC_ACQUIRE) == who;
}

static void pass_turn(struct pingpong *p, int to)
{
	__atomic_store_n(&p->turn, to, __ATOMIC_RELEASE);
	wake_up(&p->wq);
}

static void producer(void *arg)
{
	struct pingpong *p = arg;
	int i;

	for (i = 1; i <= HANDOFFS; i++) {
		wait_event(p->wq, turn_is(p, 0));
		p->data = i;
		pass_turn(p, 1);
	}
}

static void consumer(void *arg)
{
	struct pingpong *p = arg;
	int i;

	for (i = 1; i <= HANDOFFS; i++) {
		wait_event(p->wq, turn_is(p, 1));
		p->sum += p->data;
		pass_turn(p, 0);
	}
}

static void test_wait_event(void **state)
{
	struct world *w = real_world(delay_of(state));
	struct pingpong *p = arena_alloc(w, sizeof(*p));

	init_waitqueue_head(w, &p->wq);
	spawn(w, "consumer", consumer, p);
	spawn(w, "producer", producer, p);
	run_clean(w);
	assert_int_equal(p->sum, (long)HANDOFFS * (HANDOFFS + 1) / 2);
	world_destroy(w);
}

/* ---- RCU: readers dereference what the writer replaces and call_rcu()s */

struct rcu_ctx;

struct robj {
	struct rcu_head rcu;
	struct rcu_ctx *ctx;
	int val, check; /* check == ~val while live; poisoned when freed */
};

struct rcu_ctx {
	struct robj *gp; /* rcu_dereference/rcu_assign_pointer by hand */
	unsigned long freed;
};

struct rcu_reader {
	struct rcu_ctx *c;
	int bad;
};

static struct robj *robj_new(struct rcu_ctx *c, int val)
{
	struct robj *o = calloc(1, sizeof(*o));

	if (!o)
		abort(); /* cmocka asserts are for the main thread only */
	o->ctx = c;
	o->val = val;
	o->check = ~val;
	return o;
}

static void robj_free(struct rcu_head *head)
{
	struct robj *o = container_of(head, struct robj, rcu);

	__atomic_fetch_add(&o->ctx->freed, 1, __ATOMIC_RELAXED);
	o->val = o->check = -1; /* a late reader would see val != ~check */
	free(o);
}

static void rcu_writer(void *arg)
{
	struct rcu_ctx *c = arg;
	struct robj *old;
	int i;

	for (i = 1; i <= RCU_UPDATES; i++) {
		old = __atomic_exchange_n(&c->gp, robj_new(c, i),
					  __ATOMIC_ACQ_REL);
		if (i % 500 == 0) {
			synchronize_rcu();
			robj_free(&old->rcu);
		} else {
			call_rcu(&old->rcu, robj_free);
		}
	}
	rcu_barrier();
}

static void rcu_reader(void *arg)
{
	struct rcu_reader *r = arg;
	struct robj *p;
	int i;

	for (i = 0; i < ITERS; i++) {
		rcu_read_lock();
		p = __atomic_load_n(&r->c->gp, __ATOMIC_ACQUIRE);
		if (p->val != ~p->check)
			r->bad++;
		rcu_read_unlock();
	}
}

static void test_rcu(void **state)
{
	struct world *w = real_world(delay_of(state));
	struct rcu_ctx *c = arena_alloc(w, sizeof(*c));
	struct rcu_reader *r = arena_alloc(w, 2 * sizeof(*r));

	c->gp = robj_new(c, 0);
	r[0].c = r[1].c = c;
	spawn(w, "r0", rcu_reader, &r[0]);
	spawn(w, "writer", rcu_writer, c);
	spawn(w, "r1", rcu_reader, &r[1]);
	run_clean(w);
	assert_int_equal(r[0].bad + r[1].bad, 0);
	assert_int_equal(__atomic_load_n(&c->freed, __ATOMIC_RELAXED),
			 RCU_UPDATES);
	assert_int_equal(c->gp->val, RCU_UPDATES);
	free(c->gp);
	world_destroy(w);
}

/* ---- agents created by a running agent are started and joined ---- */

static void spawner(void *arg)
{
	struct spin_ctx *c = arg;
	struct world *w = current->w;

	if (agent_create(w, "child0", spin_agent, c))
		__atomic_fetch_add(&c->spawned, 1, __ATOMIC_RELAXED);
	if (agent_create(w, "child1", spin_agent, c))
		__atomic_fetch_add(&c->spawned, 1, __ATOMIC_RELAXED);
	spin_agent(c);
}

static void test_nested_agents(void **state)
{
	struct world *w = real_world(delay_of(state));
	struct spin_ctx *c = arena_alloc(w, sizeof(*c));

	spin_lock_init(w, &c->lock, "test_spin");
	c->iters = ITERS / 10;
	spawn(w, "spawner", spawner, c);
	spawn(w, "peer", spin_agent, c);
	run_clean(w);
	assert_int_equal(c->spawned, 2);
	assert_int_equal(w->nr_agents, 4);
	assert_int_equal(c->count, 4 * (ITERS / 10));
	world_destroy(w);
}

/* ---- run_real(): executions, violations and the first report ---- */

static int counter_setup(struct world *w, void *arg)
{
	struct spin_ctx *c = arena_alloc(w, sizeof(*c));

	(void)arg;
	spin_lock_init(w, &c->lock, "model_spin");
	c->iters = ITERS / 10;
	w->priv = c;
	if (!agent_create(w, "a", spin_agent, c) ||
	    !agent_create(w, "b", spin_agent, c))
		return -1;
	return 0;
}

static void counter_check(struct world *w, void *arg)
{
	struct spin_ctx *c = w->priv;

	if (c->count != 2 * c->iters)
		report_add(w, "lost-update", "count %d", c->count);
	if (arg)
		report_add(w, "always", "check always reports");
}

static void test_run_real(void **state)
{
	struct model m = {
		.name = "counter",
		.setup = counter_setup,
		.check = counter_check,
	};
	struct explore_result r;

	assert_int_equal(run_real(&m, 5, delay_of(state), 1, &r), 0);
	assert_int_equal(r.executions, 5);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.first_violation, 0);
	assert_true(r.total_steps >= 5 * 2 * (ITERS / 10));
	explore_result_free(&r);

	m.arg = &m; /* counter_check: report every execution */
	assert_int_equal(run_real(&m, 3, delay_of(state), 100, &r), 0);
	assert_int_equal(r.executions, 3);
	assert_int_equal(r.violating, 3);
	assert_int_equal(r.first_violation, 1);
	assert_int_equal(r.first_seed, 100);
	assert_string_equal(r.first_kind, "always");
	assert_non_null(r.first_report);
	assert_non_null(strstr(r.first_report, "check always reports"));
	explore_result_free(&r);
}

/* the built-in demo models, same code as under the det engine */
static void test_builtin_models_real(void **state)
{
	static const char *const clean[] = { "locked-update", "rcu-call-rcu",
					     "rcu-sync", "steps-3x1" };
	struct explore_result r;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(clean); i++) {
		assert_int_equal(run_real(model_by_name(clean[i]), 50,
					  delay_of(state), 1, &r),
				 0);
		assert_int_equal(r.executions, 50);
		if (r.violating)
			fprintf(stderr, "%s: %s\n", clean[i], r.first_report);
		assert_int_equal(r.violating, 0);
		explore_result_free(&r);
	}
	/* lockdep sees the ABBA order in every real execution too */
	assert_int_equal(run_real(model_by_name("abba"), 10, delay_of(state), 1,
				  &r),
			 0);
	assert_int_equal(r.violating, 10);
	explore_result_free(&r);
}

/* a guaranteed ABBA deadlock: the watchdog must report it and end the run */
struct dl {
	struct mutex a, b;
	struct completion ca, cb;
};

static void dl_ab(void *arg)
{
	struct dl *d = arg;

	mutex_lock(&d->a);
	complete(&d->ca);
	wait_for_completion(&d->cb);
	mutex_lock(&d->b);
	mutex_unlock(&d->b);
	mutex_unlock(&d->a);
}

static void dl_ba(void *arg)
{
	struct dl *d = arg;

	mutex_lock(&d->b);
	complete(&d->cb);
	wait_for_completion(&d->ca);
	mutex_lock(&d->a);
	mutex_unlock(&d->a);
	mutex_unlock(&d->b);
}

static void test_deadlock_watchdog(void **state)
{
	struct world *w = real_world(delay_of(state));
	struct dl *d = arena_alloc(w, sizeof(*d));

	mutex_init(w, &d->a, "dl_A");
	mutex_init(w, &d->b, "dl_B");
	init_completion(w, &d->ca);
	init_completion(w, &d->cb);
	spawn(w, "ab", dl_ab, d);
	spawn(w, "ba", dl_ba, d);
	world_run(w);
	assert_true(report_has(w, "deadlock"));
	assert_true(w->stop);
	world_destroy(w);
}

/* clang-format off */
#define REAL_TEST(fn, delay) { #fn "/" #delay, fn, NULL, NULL, &delay }
/* clang-format on */
#define REAL_TESTS(fn) REAL_TEST(fn, delay_none), REAL_TEST(fn, delay_stress)

int main(void)
{
	const struct CMUnitTest tests[] = {
		REAL_TESTS(test_spinlock),	REAL_TESTS(test_mutex),
		REAL_TESTS(test_rwsem),		REAL_TESTS(test_atomic),
		REAL_TESTS(test_wait_event),	REAL_TESTS(test_rcu),
		REAL_TESTS(test_nested_agents), REAL_TESTS(test_run_real),
		REAL_TESTS(test_deadlock_watchdog),
		REAL_TESTS(test_builtin_models_real),
	};

	return cmocka_run_group_tests_name("real", tests, NULL, NULL);
}
