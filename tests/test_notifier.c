// SPDX-License-Identifier: MIT
/*
 * mmu_notifier and mmu_interval_notifier: the interval protocol (epochs,
 * deferred insert and remove, read_begin waits, overlapping ranges), the
 * non-blockable failure path, register/unregister and get/put lifetimes,
 * the ops conflict rule, the pairing and bracket checks, and a driver
 * doing the read_begin / walk / lock / read_retry loop against an
 * invalidator, explored under DFS and random (and a broken driver that
 * skips read_retry, which the explorer must catch).
 *
 * Run as `test_notifier det` (suite unit: deterministic engine, sequential
 * calls from the test thread) or `test_notifier real` (suite real: the
 * real engine, also under TSan).  Agents never call cmocka asserts: they
 * report "test-check" and the test asserts on the reports afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/locking.h"
#include "core/policy.h"
#include "engine/engine.h"
#include "notifier/mmu_notifier.h"

#include "explore_helpers.h"

#define PG 0x1000UL

#define CHECK(w, cond)                                                     \
	do {                                                               \
		if (!(cond))                                               \
			report_add(w, "test-check", "%s:%d: %s", __FILE__, \
				   __LINE__, #cond);                       \
	} while (0)

static struct world *det_world(void)
{
	struct world *w =
		world_create(&(struct world_opts){ .engine = ENGINE_DET });

	assert_non_null(w);
	return w;
}

static int count_kind(struct world *w, const char *kind)
{
	struct report *r;
	int n = 0;

	list_for_each_entry(r, &w->reports, node)
		if (!strcmp(r->kind, kind))
			n++;
	return n;
}

static void expect_clean(struct world *w)
{
	if (w->nr_reports)
		report_print_all(w, stderr);
	assert_int_equal(w->nr_reports, 0);
}

static void run_agent(struct world *w, const char *name, agent_fn fn, void *arg)
{
	assert_non_null(agent_create(w, name, fn, arg));
	assert_int_equal(world_run(w), 0);
}

static bool has_kind(const struct explore_result *r, const char *kind)
{
	int i;

	for (i = 0; i < r->nr_kinds; i++)
		if (!strcmp(r->kinds[i].kind, kind))
			return true;
	return false;
}

static void explore_clean(const struct model *m, struct explore_opts o,
			  unsigned long min_execs)
{
	struct explore_result r;

	o.trace = getenv("NOTIFIER_TRACE") != NULL;
	assert_int_equal(explore(m, &o, &r), 0);
	if (r.violating)
		fprintf(stderr, "%s: %s\nschedule: %s\n", m->name,
			r.first_report, r.first_schedule);
	if (getenv("NOTIFIER_VERBOSE"))
		fprintf(stderr, "%s: %lu executions, %lu steps, %.3fs%s\n%s\n",
			m->name, r.executions, r.total_steps, r.seconds,
			r.exhausted ? ", exhausted" : "",
			getenv("NOTIFIER_TRACE") && r.trace_text ?
				r.trace_text :
				"");
	assert_int_equal(r.violating, 0);
	assert_true(r.executions >= min_execs);
	if (o.strategy == STRAT_DFS && !o.iterations)
		assert_true(r.exhausted);
	explore_result_free(&r);
}

/* ---- a test interval subscriber ---- */

struct tint {
	struct mmu_interval_notifier mni;
	int calls;
	unsigned long last_seq;
	enum mmu_notifier_event last_event;
	bool fail_nonblock;
	bool saw_noblock;
	bool set_seq;
};

static bool tint_invalidate(struct mmu_interval_notifier *mni,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	struct tint *t = container_of(mni, struct tint, mni);

	if (t->fail_nonblock && !mmu_notifier_range_blockable(range))
		return false;
	t->calls++;
	t->last_seq = cur_seq;
	t->last_event = range->event;
	if (current && current->in_noblock)
		t->saw_noblock = true; /* sticky */
	if (t->set_seq)
		mmu_interval_set_seq(mni, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops tint_ops = {
	.invalidate = tint_invalidate,
};

struct fixture {
	struct world *w;
	struct mmu_notifier_world *nw;
	struct mmu_notifier_subscriptions *subs;
};

static struct fixture fixture_make(struct world *w)
{
	struct fixture f = { .w = w };

	f.nw = mmu_notifier_world_create(w);
	f.subs = mmu_notifier_subscriptions_create(f.nw, NULL);
	return f;
}

static void tint_insert(struct fixture *f, struct tint *t, unsigned long start,
			unsigned long len)
{
	t->set_seq = true;
	assert_int_equal(mmu_interval_notifier_insert(&t->mni, f->subs, start,
						      len, &tint_ops),
			 0);
}

static void range_start(struct fixture *f, struct mmu_notifier_range *r,
			unsigned long start, unsigned long end)
{
	mmu_notifier_range_init(r, MMU_NOTIFY_UNMAP, 0, NULL, start, end);
	mmu_notifier_invalidate_range_start(f->subs, r);
}

/* ---- the interval protocol, sequentially ---- */

static void test_range_init(void **state)
{
	struct world *w = det_world();
	struct fixture f = fixture_make(w);
	struct mmu_notifier_range r;
	int owner;

	(void)state;
	mmu_notifier_range_init_owner(&r, MMU_NOTIFY_MIGRATE,
				      MMU_NOTIFIER_RANGE_BLOCKABLE, NULL, PG,
				      3 * PG, &owner);
	assert_int_equal(r.start, PG);
	assert_int_equal(r.end, 3 * PG);
	assert_int_equal(r.event, MMU_NOTIFY_MIGRATE);
	assert_ptr_equal(r.owner, &owner);
	assert_true(mmu_notifier_range_blockable(&r));
	assert_string_equal(mmu_notifier_event_name(MMU_NOTIFY_EXCLUSIVE),
			    "EXCLUSIVE");
	assert_int_equal(
		mmu_notifier_invalidate_range_start_nonblock(f.subs, &r), 0);
	assert_false(mmu_notifier_range_blockable(&r));
	mmu_notifier_invalidate_range_end(f.subs, &r);
	mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR, 0, NULL, 0, PG);
	mmu_notifier_invalidate_range_start(f.subs, &r);
	assert_true(mmu_notifier_range_blockable(&r));
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_false(mm_has_notifiers(f.subs));
	/* no subscriptions at all: pairing is still tracked */
	mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR, 0, NULL, 0, PG);
	mmu_notifier_invalidate_range_start(NULL, &r);
	mmu_notifier_invalidate_range_end(NULL, &r);
	mmu_notifier_world_check(f.nw);
	expect_clean(w);
	world_destroy(w);
}

static void test_itree_epoch(void **state)
{
	struct world *w = det_world();
	struct fixture f = fixture_make(w);
	struct mmu_notifier_range r;
	struct tint x = { 0 };
	unsigned long seq;

	(void)state;
	tint_insert(&f, &x, PG, PG);
	assert_true(mm_has_notifiers(f.subs));
	assert_int_equal(f.subs->invalidate_seq, 2);
	assert_int_equal(x.mni.invalidate_seq, 1); /* odd, not current */
	seq = mmu_interval_read_begin(&x.mni);
	assert_int_equal(seq, 1);
	assert_false(mmu_interval_read_retry(&x.mni, seq));

	/* a range missing every interval leaves the sequence even */
	range_start(&f, &r, 3 * PG, 4 * PG);
	assert_int_equal(f.subs->active_invalidate_ranges, 1);
	assert_int_equal(f.subs->invalidate_seq, 2);
	assert_int_equal(x.calls, 0);
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_int_equal(f.subs->active_invalidate_ranges, 0);
	assert_int_equal(f.subs->invalidate_seq, 2);

	/* an overlapping one makes it odd and hands the odd value over */
	range_start(&f, &r, PG + 0x800, 2 * PG);
	assert_int_equal(f.subs->invalidate_seq, 3);
	assert_int_equal(x.calls, 1);
	assert_int_equal(x.last_seq, 3);
	assert_false(x.saw_noblock);
	assert_true(mmu_interval_read_retry(&x.mni, seq));
	assert_true(mmu_interval_check_retry(&x.mni, seq));
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_int_equal(f.subs->invalidate_seq, 4);

	/* [start, end) is half open: a range ending at the interval misses */
	range_start(&f, &r, 0, PG);
	assert_int_equal(x.calls, 1);
	mmu_notifier_invalidate_range_end(f.subs, &r);

	seq = mmu_interval_read_begin(&x.mni);
	assert_int_equal(seq, 3);
	assert_false(mmu_interval_read_retry(&x.mni, seq));
	mmu_interval_notifier_remove(&x.mni);
	assert_true(interval_tree_node_empty(&x.mni.interval_tree));
	mmu_notifier_world_check(f.nw);
	expect_clean(w);
	world_destroy(w);
}

static void test_itree_insert_deferred_collided(void **state)
{
	struct world *w = det_world();
	struct fixture f = fixture_make(w);
	struct mmu_notifier_range r, r2;
	struct tint y = { 0 }, x = { 0 }, z = { 0 };
	unsigned long seq;

	(void)state;
	tint_insert(&f, &y, PG, PG);
	range_start(&f, &r, PG, 2 * PG);
	assert_int_equal(f.subs->invalidate_seq, 3);

	/* the tree is frozen: the insert waits on the deferred list */
	tint_insert(&f, &x, 5 * PG, PG);
	assert_true(interval_tree_node_empty(&x.mni.interval_tree));
	assert_int_equal(interval_tree_count(&f.subs->itree), 1);
	/* ...and counts as collided: read_begin would wait for the epoch */
	assert_int_equal(x.mni.invalidate_seq, f.subs->invalidate_seq);

	/* an invalidation of its range now cannot reach it */
	range_start(&f, &r2, 5 * PG, 6 * PG);
	assert_int_equal(x.calls, 0);
	mmu_notifier_invalidate_range_end(f.subs, &r2);
	assert_int_equal(f.subs->invalidate_seq, 3); /* r still active */
	assert_true(interval_tree_node_empty(&x.mni.interval_tree));

	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_int_equal(f.subs->invalidate_seq, 4);
	assert_false(interval_tree_node_empty(&x.mni.interval_tree));
	seq = mmu_interval_read_begin(&x.mni);
	assert_int_equal(seq, 3);
	range_start(&f, &r, 5 * PG, 6 * PG);
	assert_int_equal(x.calls, 1);
	assert_true(mmu_interval_read_retry(&x.mni, seq));
	mmu_notifier_invalidate_range_end(f.subs, &r);

	/* active but even (no overlap): inserted at once, made odd, collided */
	range_start(&f, &r, 9 * PG, 10 * PG);
	assert_int_equal(f.subs->invalidate_seq, 6);
	tint_insert(&f, &z, 20 * PG, PG);
	assert_false(interval_tree_node_empty(&z.mni.interval_tree));
	assert_int_equal(f.subs->invalidate_seq, 7);
	assert_int_equal(z.mni.invalidate_seq, 7);
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_int_equal(f.subs->invalidate_seq, 8);
	assert_int_equal(mmu_interval_read_begin(&z.mni), 7);

	mmu_interval_notifier_remove(&x.mni);
	mmu_interval_notifier_remove(&y.mni);
	mmu_interval_notifier_remove(&z.mni);
	assert_int_equal(interval_tree_count(&f.subs->itree), 0);
	mmu_notifier_world_check(f.nw);
	expect_clean(w);
	world_destroy(w);
}

static void test_itree_two_overlapping_keep_odd(void **state)
{
	struct world *w = det_world();
	struct fixture f = fixture_make(w);
	struct mmu_notifier_range a, b;
	struct tint x = { 0 };
	unsigned long wakeups;

	(void)state;
	tint_insert(&f, &x, PG, 4 * PG);
	wakeups = f.subs->wq.wakeups;
	range_start(&f, &a, PG, 2 * PG);
	range_start(&f, &b, 2 * PG, 3 * PG);
	assert_int_equal(f.subs->active_invalidate_ranges, 2);
	assert_int_equal(x.calls, 2);
	assert_int_equal(x.last_seq, 3); /* both saw the same epoch */
	mmu_notifier_invalidate_range_end(f.subs, &a);
	assert_int_equal(f.subs->invalidate_seq, 3);
	assert_int_equal(f.subs->wq.wakeups, wakeups);
	mmu_notifier_invalidate_range_end(f.subs, &b);
	assert_int_equal(f.subs->invalidate_seq, 4);
	assert_int_equal(f.subs->wq.wakeups, wakeups + 1);
	assert_int_equal(f.subs->active_invalidate_ranges, 0);
	mmu_interval_notifier_remove(&x.mni);
	mmu_notifier_world_check(f.nw);
	expect_clean(w);
	world_destroy(w);
}

static void test_itree_remove_cancels_deferred_insert(void **state)
{
	struct world *w = det_world();
	struct fixture f = fixture_make(w);
	struct mmu_notifier_range r;
	struct tint y = { 0 }, x = { 0 };

	(void)state;
	tint_insert(&f, &y, PG, PG);
	range_start(&f, &r, PG, 2 * PG);
	tint_insert(&f, &x, 5 * PG, PG);
	assert_false(list_empty(&f.subs->deferred_list));
	mmu_interval_notifier_remove(&x.mni); /* no wait: never inserted */
	assert_true(list_empty(&f.subs->deferred_list));
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_true(interval_tree_node_empty(&x.mni.interval_tree));
	assert_int_equal(interval_tree_count(&f.subs->itree), 1);
	/* removing twice is misuse */
	mmu_interval_notifier_remove(&x.mni);
	assert_int_equal(count_kind(w, "notifier-misuse"), 1);
	/* an empty interval is refused */
	assert_int_equal(mmu_interval_notifier_insert(&x.mni, f.subs, PG, 0,
						      &tint_ops),
			 -EOVERFLOW);
	mmu_interval_notifier_remove(&y.mni);
	world_destroy(w);
}

/* the tree itself: many intervals, nested and disjoint */
static void test_interval_tree(void **state)
{
	struct world *w = det_world();
	struct interval_tree_root root;
	struct interval_tree_node n[64], *it;
	int i, hits;

	(void)state;
	interval_tree_init(&root, w);
	for (i = 0; i < 64; i++) {
		interval_tree_node_init(&n[i]);
		n[i].start = (i * 37) % 64 * 10;
		n[i].last = n[i].start + (i % 5 == 0 ? 300 : 4);
		interval_tree_insert(&n[i], &root);
	}
	assert_int_equal(interval_tree_count(&root), 64);
	for (i = 0; i < 700; i += 7) {
		int expect = 0, j;

		for (j = 0; j < 64; j++)
			if (n[j].start <= (unsigned long)i + 3 &&
			    n[j].last >= (unsigned long)i)
				expect++;
		hits = 0;
		for (it = interval_tree_iter_first(&root, i, i + 3); it;
		     it = interval_tree_iter_next(it, i, i + 3))
			hits++;
		assert_int_equal(hits, expect);
	}
	for (i = 0; i < 64; i += 2)
		interval_tree_remove(&n[i], &root);
	assert_int_equal(interval_tree_count(&root), 32);
	hits = 0;
	for (it = interval_tree_iter_first(&root, 0, ULONG_MAX); it;
	     it = interval_tree_iter_next(it, 0, ULONG_MAX))
		hits++;
	assert_int_equal(hits, 32);
	world_destroy(w);
}

/* ---- read_begin blocks until the epoch ends ---- */

struct rb_model {
	struct fixture f;
	struct tint x;
	struct completion started, reader_in;
	int ending, before, after;
	unsigned long executions_waited; /* across executions (model arg) */
	bool scripted;
};

static void rb_invalidator(void *arg)
{
	struct rb_model *m = arg;
	struct mmu_notifier_range r;

	range_start(&m->f, &r, PG, 2 * PG);
	if (m->scripted) {
		complete(&m->started);
		wait_for_completion(&m->reader_in);
	} else {
		sched_point(SP_EXPLICIT, NULL);
	}
	WRITE_ONCE(m->ending, 1);
	mmu_notifier_invalidate_range_end(m->f.subs, &r);
}

static void rb_reader(void *arg)
{
	struct rb_model *m = arg;
	struct mmu_notifier_subscriptions *subs = m->f.subs;
	unsigned long seq;

	if (m->scripted) {
		wait_for_completion(&m->started);
		complete(&m->reader_in);
	}
	m->before = READ_ONCE(m->ending);
	seq = mmu_interval_read_begin(&m->x.mni);
	/* no schedule point since read_begin's last: this is its return */
	CHECK(subs->nw->w, m->x.mni.invalidate_seq != subs->invalidate_seq);
	CHECK(subs->nw->w, seq == m->x.mni.invalidate_seq ||
				   mmu_interval_read_retry(&m->x.mni, seq));
	m->after = READ_ONCE(m->ending);
}

static int rb_setup_common(struct world *w, struct rb_model *m)
{
	m->f = fixture_make(w);
	memset(&m->x, 0, sizeof(m->x));
	m->ending = m->before = m->after = 0;
	init_completion(w, &m->started);
	init_completion(w, &m->reader_in);
	tint_insert(&m->f, &m->x, PG, PG);
	w->priv = m;
	if (!agent_create(w, "invalidator", rb_invalidator, m) ||
	    !agent_create(w, "reader", rb_reader, m))
		return -1;
	return 0;
}

static int rb_setup(struct world *w, void *arg)
{
	return rb_setup_common(w, arg);
}

static void rb_check(struct world *w, void *arg)
{
	struct rb_model *m = arg;

	if (m->x.mni.invalidate_seq == 3 && !m->before && m->after)
		m->executions_waited++;
	mmu_notifier_world_check(m->f.nw);
}

static void test_read_begin_blocks(void **state)
{
	struct rb_model m = { .scripted = true };
	struct model model = { "read-begin-blocks", "", rb_setup, rb_check,
			       &m };
	struct world *w = det_world();

	(void)state;
	/*
	 * Scripted: the reader enters read_begin during the epoch.  Under the
	 * default (run-on) scheduler the invalidator runs again only if the
	 * reader blocks, so seeing `ending` flip across the call proves the
	 * wait; the CHECKs prove it returned only after the epoch ended.
	 */
	assert_int_equal(rb_setup(w, &m), 0);
	assert_int_equal(world_run(w), 0);
	rb_check(w, &m);
	expect_clean(w);
	assert_int_equal(m.before, 0);
	assert_int_equal(m.after, 1);
	assert_int_equal(m.executions_waited, 1);
	world_destroy(w);

	/* and every interleaving, unscripted */
	m = (struct rb_model){ .scripted = false };
	model.arg = &m;
	explore_clean(&model, xopts(STRAT_DFS, 0, -1), 10);
	assert_true(m.executions_waited > 0);
}

/* ---- remove during an invalidation waits for the epoch ---- */

struct rm_model {
	struct fixture f;
	struct tint x;
	int removed;
	unsigned long deferred_execs;
};

static void rm_invalidator(void *arg)
{
	struct rm_model *m = arg;
	struct mmu_notifier_range r;
	int i;

	for (i = 0; i < 2; i++) {
		range_start(&m->f, &r, PG, 2 * PG);
		sched_point(SP_EXPLICIT, NULL);
		mmu_notifier_invalidate_range_end(m->f.subs, &r);
	}
}

static void rm_remover(void *arg)
{
	struct rm_model *m = arg;
	struct mmu_notifier_subscriptions *subs = m->f.subs;

	sched_point(SP_EXPLICIT, NULL);
	if (subs->invalidate_seq & 1) /* plain peek: likely deferred */
		m->deferred_execs++;
	mmu_interval_notifier_remove(&m->x.mni);
	/* the epoch that saw it is over and it left the tree */
	CHECK(subs->nw->w, interval_tree_node_empty(&m->x.mni.interval_tree));
	CHECK(subs->nw->w, list_empty(&subs->deferred_list));
	WRITE_ONCE(m->removed, 1);
}

static int rm_setup(struct world *w, void *arg)
{
	struct rm_model *m = arg;

	m->f = fixture_make(w);
	memset(&m->x, 0, sizeof(m->x));
	m->removed = 0;
	tint_insert(&m->f, &m->x, PG, PG);
	if (!agent_create(w, "invalidator", rm_invalidator, m) ||
	    !agent_create(w, "remover", rm_remover, m))
		return -1;
	return 0;
}

static void rm_check(struct world *w, void *arg)
{
	struct rm_model *m = arg;

	mmu_notifier_world_check(m->f.nw);
	CHECK(w, interval_tree_count(&m->f.subs->itree) == 0);
}

static void test_remove_waits(void **state)
{
	struct rm_model m = { 0 };
	struct model model = { "remove-waits", "", rm_setup, rm_check, &m };

	(void)state;
	/* the checker reports any invalidate of x after remove returned */
	explore_clean(&model, xopts(STRAT_DFS, 0, -1), 10);
	assert_true(m.deferred_execs > 0);
	explore_clean(&model, xopts(STRAT_RANDOM, 2000, -1), 2000);
}

/* ---- hlist subscribers ---- */

struct tsub {
	struct mmu_notifier mn;
	int starts, ends, releases, tlb_flushes, young, frees;
	int fail_nonblock; /* return -EAGAIN when not blockable */
	bool block; /* mutex_lock (may sleep) in start */
	bool try_block; /* mutex_trylock in start */
	bool saw_noblock, saw_block;
	unsigned long tlb_start, tlb_end;
	struct mutex *lock;
	bool yield;
};

#define TSUB(m) container_of(m, struct tsub, mn)

static int tsub_start(struct mmu_notifier *mn,
		      const struct mmu_notifier_range *range)
{
	struct tsub *s = TSUB(mn);

	if (current) {
		if (current->in_noblock)
			s->saw_noblock = true;
		else
			s->saw_block = true;
	}
	if (s->fail_nonblock && !mmu_notifier_range_blockable(range))
		return -EAGAIN;
	if (s->block) {
		mutex_lock(s->lock);
		mutex_unlock(s->lock);
	}
	if (s->try_block && mutex_trylock(s->lock))
		mutex_unlock(s->lock);
	if (s->yield)
		sched_point(SP_EXPLICIT, NULL);
	s->starts++;
	return 0;
}

static void tsub_end(struct mmu_notifier *mn,
		     const struct mmu_notifier_range *range)
{
	struct tsub *s = TSUB(mn);

	if (current &&
	    current->in_noblock != !mmu_notifier_range_blockable(range))
		report_add(current->w, "test-check", "end: in_noblock wrong");
	if (s->yield)
		sched_point(SP_EXPLICIT, NULL);
	s->ends++;
}

static void tsub_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	TSUB(mn)->releases++;
}

static void tsub_tlbs(struct mmu_notifier *mn, struct mm_struct *mm,
		      unsigned long start, unsigned long end)
{
	struct tsub *s = TSUB(mn);

	s->tlb_flushes++;
	s->tlb_start = start;
	s->tlb_end = end;
	if (s->block) {
		mutex_lock(s->lock); /* may sleep: not allowed here */
		mutex_unlock(s->lock);
	}
}

static int tsub_young(struct mmu_notifier *mn, struct mm_struct *mm,
		      unsigned long start, unsigned long end)
{
	return TSUB(mn)->young;
}

static int tsub_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
			   unsigned long address)
{
	TSUB(mn)->tlb_flushes++; /* counts calls */
	return TSUB(mn)->young;
}

static const struct mmu_notifier_ops tsub_ops = {
	.release = tsub_release,
	.invalidate_range_start = tsub_start,
	.invalidate_range_end = tsub_end,
	.clear_flush_young = tsub_young,
	.clear_young = tsub_young,
	.test_young = tsub_test_young,
};

/* fails when non-blockable: may not have an end */
static const struct mmu_notifier_ops tsub_fail_ops = {
	.invalidate_range_start = tsub_start,
};

static const struct mmu_notifier_ops tsub_tlb_ops = {
	.arch_invalidate_secondary_tlbs = tsub_tlbs,
	.test_young = tsub_test_young,
};

static const struct mmu_notifier_ops tsub_conflict_ops = {
	.invalidate_range_start = tsub_start,
	.arch_invalidate_secondary_tlbs = tsub_tlbs,
};

struct nb_ctx {
	struct fixture f;
	struct tsub s1, s2, s3;
	struct tint x, y;
	struct mutex lock;
	int ret, ret2;
};

static void nb_agent(void *arg)
{
	struct nb_ctx *c = arg;
	struct mmu_notifier_range r;

	mmu_notifier_range_init(&r, MMU_NOTIFY_UNMAP, 0, NULL, 0, 4 * PG);
	c->ret = mmu_notifier_invalidate_range_start_nonblock(c->f.subs, &r);
	CHECK(current->w, !current->in_noblock);
	/* no end after a failed non-blockable start; blockable works */
	mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR, 0, NULL, 0, 4 * PG);
	mmu_notifier_invalidate_range_start(c->f.subs, &r);
	mmu_notifier_invalidate_range_end(c->f.subs, &r);
}

static void nb_setup(struct world *w, struct nb_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->f = fixture_make(w);
	mutex_init(w, &c->lock, "test_driver_lock");
	c->s1.mn.ops = &tsub_ops;
	c->s2.mn.ops = &tsub_fail_ops;
	c->s2.fail_nonblock = 1;
	c->s3.mn.ops = &tsub_ops;
	assert_int_equal(mmu_notifier_register(&c->s1.mn, c->f.subs), 0);
	assert_int_equal(mmu_notifier_register(&c->s2.mn, c->f.subs), 0);
	assert_int_equal(mmu_notifier_register(&c->s3.mn, c->f.subs), 0);
}

static void test_nonblock_failure(void **state)
{
	struct world *w = det_world();
	struct nb_ctx c;

	(void)state;
	nb_setup(w, &c);
	/* the fix: the failed start ends its interval part too */
	w->policy->v[KNOB_NOTIFIER_NONBLOCK_FAIL_ENDS_ITREE] = true;
	tint_insert(&c.f, &c.x, PG, PG);
	run_agent(w, "oom_reaper", nb_agent, &c);
	assert_int_equal(c.ret, -EAGAIN);
	/* every subscriber was started, in non-blockable context */
	assert_int_equal(c.s1.starts, 2);
	assert_int_equal(c.s3.starts, 2);
	assert_int_equal(c.s2.starts, 1); /* its blockable start */
	assert_true(c.s1.saw_noblock && c.s2.saw_noblock && c.s3.saw_noblock);
	/* interval callbacks are not inside non_block_start(), as in Linux */
	assert_false(c.x.saw_noblock);
	/* the ones that started got their end: once for each range */
	assert_int_equal(c.s1.ends, 2);
	assert_int_equal(c.s3.ends, 2);
	/* the interval part was ended too: the epoch is closed */
	assert_int_equal(c.x.calls, 2);
	assert_int_equal(c.f.subs->active_invalidate_ranges, 0);
	assert_int_equal(c.f.subs->invalidate_seq, 6);
	mmu_notifier_world_check(c.f.nw);
	expect_clean(w);
	world_destroy(w);
}

static void nb_itree_agent(void *arg)
{
	struct nb_ctx *c = arg;
	struct mmu_notifier_range r;

	mmu_notifier_range_init(&r, MMU_NOTIFY_UNMAP, 0, NULL, 0, 4 * PG);
	c->ret = mmu_notifier_invalidate_range_start_nonblock(c->f.subs, &r);
}

static void test_nonblock_itree_failure(void **state)
{
	struct world *w = det_world();
	struct nb_ctx c;
	unsigned long seq;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.f = fixture_make(w);
	c.s1.mn.ops = &tsub_ops;
	assert_int_equal(mmu_notifier_register(&c.s1.mn, c.f.subs), 0);
	tint_insert(&c.f, &c.y, 0, PG);
	tint_insert(&c.f, &c.x, PG, PG);
	c.x.fail_nonblock = true;
	seq = mmu_interval_read_begin(&c.y.mni);
	run_agent(w, "oom_reaper", nb_itree_agent, &c);
	assert_int_equal(c.ret, -EAGAIN);
	/* y was invalidated before x refused; the hlist was never called */
	assert_int_equal(c.y.calls, 1);
	assert_false(c.y.saw_noblock); /* mn_itree_invalidate: no marking */
	assert_true(mmu_interval_read_retry(&c.y.mni, seq));
	assert_int_equal(c.s1.starts, 0);
	assert_int_equal(c.s1.ends, 0);
	assert_int_equal(c.f.subs->active_invalidate_ranges, 0);
	assert_int_equal(c.f.subs->invalidate_seq & 1, 0);
	mmu_notifier_world_check(c.f.nw);
	expect_clean(w);
	world_destroy(w);
}

static void test_nonblock_linux_keeps_itree(void **state)
{
	struct world *w = det_world();
	struct nb_ctx c;

	(void)state;
	nb_setup(w, &c);
	/* the default policy is Linux's */
	assert_false(policy_bool(w, KNOB_NOTIFIER_NONBLOCK_FAIL_ENDS_ITREE));
	tint_insert(&c.f, &c.x, PG, PG);
	assert_non_null(agent_create(w, "oom_reaper", nb_itree_agent, &c));
	assert_int_equal(world_run(w), 0);
	assert_int_equal(c.ret, -EAGAIN);
	/* Linux as written: the epoch opened by the interval part stays open */
	assert_int_equal(c.f.subs->active_invalidate_ranges, 1);
	assert_int_equal(c.f.subs->invalidate_seq & 1, 1);
	mmu_notifier_world_check(c.f.nw);
	assert_int_equal(count_kind(w, "notifier-epoch-open"), 1);
	assert_int_equal(count_kind(w, "notifier-unpaired"), 0);
	world_destroy(w);
}

struct blk_ctx {
	struct fixture f;
	struct tsub s;
	struct mutex lock;
	int ret;
};

static void blk_agent(void *arg)
{
	struct blk_ctx *c = arg;
	struct mmu_notifier_range r;

	mmu_notifier_range_init(&r, MMU_NOTIFY_UNMAP, 0, NULL, 0, PG);
	c->ret = mmu_notifier_invalidate_range_start_nonblock(c->f.subs, &r);
	if (!c->ret)
		mmu_notifier_invalidate_range_end(c->f.subs, &r);
}

static void test_block_in_nonblock(void **state)
{
	struct blk_ctx c;
	struct world *w;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		w = det_world();
		memset(&c, 0, sizeof(c));
		c.f = fixture_make(w);
		mutex_init(w, &c.lock, "test_driver_lock");
		c.s.mn.ops = &tsub_ops;
		c.s.lock = &c.lock;
		if (i)
			c.s.block = true; /* mutex_lock: may sleep */
		else
			c.s.try_block = true; /* mutex_trylock: fine */
		assert_int_equal(mmu_notifier_register(&c.s.mn, c.f.subs), 0);
		run_agent(w, "oom_reaper", blk_agent, &c);
		assert_int_equal(count_kind(w, "block-in-nonblock"), i);
		assert_int_equal(w->nr_reports, i);
		world_destroy(w);
	}
}

/* ---- pairing reports ---- */

static void test_pairing_reports(void **state)
{
	struct world *w = det_world();
	struct fixture f = fixture_make(w);
	struct mmu_notifier_range r, open;
	struct tsub s = { .mn.ops = &tsub_fail_ops, .fail_nonblock = 1 };
	struct report *rep;

	(void)state;
	/* end without start */
	mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR, 0, NULL, 0, PG);
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_int_equal(count_kind(w, "notifier-unpaired"), 1);
	/* double end */
	mmu_notifier_invalidate_range_start(f.subs, &r);
	mmu_notifier_invalidate_range_end(f.subs, &r);
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_int_equal(count_kind(w, "notifier-unpaired"), 2);
	/* start twice */
	mmu_notifier_invalidate_range_start(f.subs, &r);
	mmu_notifier_invalidate_range_start(f.subs, &r);
	assert_int_equal(count_kind(w, "notifier-unpaired"), 3);
	mmu_notifier_invalidate_range_end(f.subs, &r);
	/* a failed non-blockable start needs no end, and may not have one */
	assert_int_equal(mmu_notifier_register(&s.mn, f.subs), 0);
	assert_int_equal(mmu_notifier_invalidate_range_start_nonblock(f.subs,
								      &r),
			 -EAGAIN);
	assert_int_equal(mmu_notifier_active_ranges(f.subs), 0);
	mmu_notifier_world_check(f.nw);
	assert_int_equal(count_kind(w, "notifier-unpaired"), 3);
	mmu_notifier_invalidate_range_end(f.subs, &r);
	assert_int_equal(count_kind(w, "notifier-unpaired"), 4);
	/* a start never ended is reported at the end of the run */
	mmu_notifier_range_init(&open, MMU_NOTIFY_SOFT_DIRTY, 0, NULL, 7 * PG,
				8 * PG);
	mmu_notifier_invalidate_range_start(f.subs, &open);
	assert_int_equal(mmu_notifier_active_ranges(f.subs), 1);
	mmu_notifier_world_check(f.nw);
	assert_int_equal(count_kind(w, "notifier-unpaired"), 5);
	rep = list_entry(w->reports.prev, struct report, node);
	assert_non_null(strstr(rep->text, "[0x7000, 0x8000) event SOFT_DIRTY"));
	assert_non_null(strstr(rep->text, "never ended"));
	assert_int_equal(count_kind(w, "notifier-bad-return"), 0);
	mmu_notifier_invalidate_range_end(f.subs, &open);
	mmu_notifier_unregister(&s.mn, f.subs);
	world_destroy(w);
}

/* ---- the bracket rule helper ---- */

struct inst_ctx {
	struct fixture f;
	struct tsub s;
	bool during_start;
};

static int inst_start(struct mmu_notifier *mn,
		      const struct mmu_notifier_range *range)
{
	struct inst_ctx *c = container_of(TSUB(mn), struct inst_ctx, s);

	/* still inside start: not yet a violation */
	c->during_start =
		mmu_notifier_check_install(c->f.subs, range->start, range->end);
	return 0;
}

static const struct mmu_notifier_ops inst_ops = {
	.invalidate_range_start = inst_start,
};

static void test_check_install(void **state)
{
	struct world *w = det_world();
	struct inst_ctx c = { 0 };
	struct mmu_notifier_range r;
	int owner, other;

	(void)state;
	c.f = fixture_make(w);
	c.s.mn.ops = &inst_ops;
	assert_int_equal(mmu_notifier_register(&c.s.mn, c.f.subs), 0);
	range_start(&c.f, &r, PG, 3 * PG);
	assert_false(c.during_start);
	assert_false(mmu_notifier_check_install(c.f.subs, 3 * PG, 4 * PG));
	assert_false(mmu_notifier_check_install(c.f.subs, 0, PG));
	assert_true(mmu_notifier_check_install(c.f.subs, 2 * PG, 3 * PG));
	assert_int_equal(count_kind(w, "install-in-invalidation"), 1);
	mmu_notifier_invalidate_range_end(c.f.subs, &r);
	assert_false(mmu_notifier_check_install(c.f.subs, 2 * PG, 3 * PG));

	/* a migration by the secondary itself does not count for it */
	mmu_notifier_range_init_owner(&r, MMU_NOTIFY_MIGRATE, 0, NULL, PG,
				      2 * PG, &owner);
	mmu_notifier_invalidate_range_start(c.f.subs, &r);
	assert_false(
		mmu_notifier_check_install_owner(c.f.subs, PG, 2 * PG, &owner));
	assert_true(
		mmu_notifier_check_install_owner(c.f.subs, PG, 2 * PG, &other));
	mmu_notifier_invalidate_range_end(c.f.subs, &r);
	assert_int_equal(count_kind(w, "install-in-invalidation"), 2);
	mmu_notifier_unregister(&c.s.mn, c.f.subs);
	world_destroy(w);
}

/* ---- ops conflict, young, secondary TLBs, release ---- */

static struct mmu_notifier *conflict_alloc(struct mm_struct *mm)
{
	static struct tsub s; /* single-threaded test */

	memset(&s, 0, sizeof(s));
	return &s.mn;
}

static int conflict_frees;

static void conflict_free(struct mmu_notifier *mn)
{
	conflict_frees++;
}

static const struct mmu_notifier_ops conflict_get_ops = {
	.invalidate_range_end = tsub_end,
	.arch_invalidate_secondary_tlbs = tsub_tlbs,
	.alloc_notifier = conflict_alloc,
	.free_notifier = conflict_free,
};

static void test_ops_conflict(void **state)
{
	struct world *w = det_world();
	struct fixture f = fixture_make(w);
	struct tsub s = { .mn.ops = &tsub_conflict_ops };
	struct mmu_notifier *mn;

	(void)state;
	assert_int_equal(mmu_notifier_register(&s.mn, f.subs), -EINVAL);
	assert_int_equal(count_kind(w, "notifier-ops-conflict"), 1);
	assert_false(mm_has_notifiers(f.subs));
	conflict_frees = 0;
	mn = mmu_notifier_get(&conflict_get_ops, f.subs);
	assert_true(IS_ERR(mn));
	assert_int_equal(PTR_ERR(mn), -EINVAL);
	assert_int_equal(conflict_frees, 1);
	assert_int_equal(count_kind(w, "notifier-ops-conflict"), 2);
	assert_false(mm_has_notifiers(f.subs));
	world_destroy(w);
}

struct tlb_ctx {
	struct fixture f;
	struct tsub a, b, t;
	struct mutex lock;
	int young, cyoung, tyoung;
};

static void tlb_agent(void *arg)
{
	struct tlb_ctx *c = arg;

	c->young = mmu_notifier_clear_flush_young(c->f.subs, PG, 2 * PG);
	c->cyoung = mmu_notifier_clear_young(c->f.subs, PG, 2 * PG);
	c->tyoung = mmu_notifier_test_young(c->f.subs, PG);
	mmu_notifier_arch_invalidate_secondary_tlbs(c->f.subs, PG, 5 * PG);
}

static void test_young_and_secondary_tlbs(void **state)
{
	struct world *w = det_world();
	struct tlb_ctx c = { 0 };

	(void)state;
	c.f = fixture_make(w);
	mutex_init(w, &c.lock, "test_driver_lock");
	c.a.mn.ops = &tsub_ops;
	c.a.young = 1;
	c.b.mn.ops = &tsub_ops;
	c.t.mn.ops = &tsub_tlb_ops;
	c.t.lock = &c.lock;
	c.t.block = true; /* sleeps in arch_invalidate_secondary_tlbs */
	assert_int_equal(mmu_notifier_register(&c.a.mn, c.f.subs), 0);
	assert_int_equal(mmu_notifier_register(&c.b.mn, c.f.subs), 0);
	assert_false(mmu_notifier_has_secondary_tlbs(c.f.subs));
	assert_true(mmu_notifier_has_start_end(c.f.subs));
	assert_int_equal(mmu_notifier_register(&c.t.mn, c.f.subs), 0);
	assert_true(mmu_notifier_has_secondary_tlbs(c.f.subs));
	run_agent(w, "kswapd", tlb_agent, &c);
	assert_int_equal(c.young, 1);
	assert_int_equal(c.cyoung, 1);
	/* test_young walks newest first (t, b, a) and stops at a hit */
	assert_int_equal(c.tyoung, 1);
	assert_int_equal(c.t.tlb_flushes, 1 + 1);
	assert_int_equal(c.b.tlb_flushes, 1);
	assert_int_equal(c.a.tlb_flushes, 1);
	assert_int_equal(c.t.tlb_start, PG);
	assert_int_equal(c.t.tlb_end, 5 * PG);
	/* the secondary-TLB callback ran in atomic context */
	assert_int_equal(count_kind(w, "sleep-in-atomic"), 1);
	assert_int_equal(w->nr_reports, 1);
	mmu_notifier_unregister(&c.t.mn, c.f.subs);
	assert_false(mmu_notifier_has_secondary_tlbs(c.f.subs));
	world_destroy(w);
}

struct rel_ctx {
	struct fixture f;
	struct tsub s;
	struct tint x;
};

static void rel_agent(void *arg)
{
	struct rel_ctx *c = arg;

	mmu_notifier_release(c->f.subs); /* exit_mmap */
	mmu_notifier_unregister(&c->s.mn, c->f.subs);
	mmu_interval_notifier_remove(&c->x.mni);
}

static void test_release(void **state)
{
	struct world *w = det_world();
	struct rel_ctx c = { 0 };

	(void)state;
	c.f = fixture_make(w);
	c.s.mn.ops = &tsub_ops;
	assert_int_equal(mmu_notifier_register(&c.s.mn, c.f.subs), 0);
	tint_insert(&c.f, &c.x, 100 * PG, PG);
	run_agent(w, "exit", rel_agent, &c);
	assert_int_equal(c.s.releases,
			 1); /* unregister did not call it again */
	assert_int_equal(c.x.calls, 1);
	assert_int_equal(c.x.last_event, MMU_NOTIFY_RELEASE);
	assert_false(mm_has_notifiers(c.f.subs) && c.f.subs->list);
	assert_int_equal(c.f.subs->invalidate_seq & 1, 0);
	mmu_notifier_subscriptions_destroy(c.f.subs);
	mmu_notifier_world_check(c.f.nw);
	expect_clean(w);
	world_destroy(w);
}

/* lockdep: read_begin under a lock the invalidate callback takes */
struct dl_ctx {
	struct fixture f;
	struct mmu_interval_notifier mni;
	struct mutex lock;
};

static bool dl_invalidate(struct mmu_interval_notifier *mni,
			  const struct mmu_notifier_range *range,
			  unsigned long cur_seq)
{
	struct dl_ctx *c = container_of(mni, struct dl_ctx, mni);

	mutex_lock(&c->lock);
	mmu_interval_set_seq(mni, cur_seq);
	mutex_unlock(&c->lock);
	return true;
}

static const struct mmu_interval_notifier_ops dl_ops = {
	.invalidate = dl_invalidate,
};

static void dl_agent(void *arg)
{
	struct dl_ctx *c = arg;
	struct mmu_notifier_range r;

	range_start(&c->f, &r, 0, PG);
	mmu_notifier_invalidate_range_end(c->f.subs, &r);
	mutex_lock(&c->lock);
	mmu_interval_read_begin(&c->mni); /* may wait for the callback */
	mutex_unlock(&c->lock);
}

static void test_lockdep_read_begin_under_driver_lock(void **state)
{
	struct world *w = det_world();
	struct dl_ctx c = { 0 };

	(void)state;
	c.f = fixture_make(w);
	mutex_init(w, &c.lock, "dmirror_mutex");
	assert_int_equal(mmu_interval_notifier_insert(&c.mni, c.f.subs, 0, PG,
						      &dl_ops),
			 0);
	run_agent(w, "driver", dl_agent, &c);
	assert_int_equal(count_kind(w, "lockdep-circular"), 1);
	world_destroy(w);
}

/* an owner that gives its mmap_lock: register and get take it */
struct ml_ctx {
	struct fixture f;
	struct rw_semaphore mmap_lock;
	struct tsub a, b;
	struct tint x;
	int ret_locked, ret_unlocked;
};

static void ml_agent(void *arg)
{
	struct ml_ctx *c = arg;
	struct mmu_notifier_range r;

	/* takes mmap_lock for write itself */
	CHECK(current->w, !mmu_notifier_register(&c->a.mn, c->f.subs));
	down_write(&c->mmap_lock);
	c->ret_locked = __mmu_notifier_register(&c->b.mn, c->f.subs);
	CHECK(current->w, !mmu_interval_notifier_insert_locked(
				  &c->x.mni, c->f.subs, PG, PG, &tint_ops));
	up_write(&c->mmap_lock);
	/* an invalidation under mmap_lock (read), as munmap's zap does */
	down_read(&c->mmap_lock);
	range_start(&c->f, &r, 0, 4 * PG);
	mmu_notifier_invalidate_range_end(c->f.subs, &r);
	up_read(&c->mmap_lock);
	mmu_notifier_unregister(&c->a.mn, c->f.subs);
	mmu_notifier_unregister(&c->b.mn, c->f.subs);
	mmu_interval_notifier_remove(&c->x.mni);
}

static void ml_unlocked_agent(void *arg)
{
	struct ml_ctx *c = arg;

	c->ret_unlocked = __mmu_notifier_register(&c->a.mn, c->f.subs);
	mmu_notifier_unregister(&c->a.mn, c->f.subs);
}

static void test_mmap_lock_variants(void **state)
{
	struct world *w = det_world();
	struct ml_ctx c = { 0 };

	(void)state;
	c.f = fixture_make(w);
	init_rwsem(w, &c.mmap_lock, "mmap_lock");
	mmu_notifier_subscriptions_set_mmap_lock(c.f.subs, &c.mmap_lock);
	c.a.mn.ops = &tsub_ops;
	c.b.mn.ops = &tsub_ops;
	c.x.set_seq = true;
	run_agent(w, "driver", ml_agent, &c);
	assert_int_equal(c.ret_locked, 0);
	assert_int_equal(c.a.starts, 1);
	assert_int_equal(c.b.ends, 1);
	assert_int_equal(c.x.calls, 1);
	mmu_notifier_world_check(c.f.nw);
	expect_clean(w);
	world_destroy(w);

	/* __mmu_notifier_register() without the mmap_lock is caught */
	w = det_world();
	memset(&c, 0, sizeof(c));
	c.f = fixture_make(w);
	init_rwsem(w, &c.mmap_lock, "mmap_lock");
	mmu_notifier_subscriptions_set_mmap_lock(c.f.subs, &c.mmap_lock);
	c.a.mn.ops = &tsub_ops;
	run_agent(w, "driver", ml_unlocked_agent, &c);
	assert_int_equal(count_kind(w, "lockdep-assert"), 1);
	world_destroy(w);
}

/* ---- register/unregister lifetime, explored ---- */

struct life_model {
	struct fixture f;
	struct tsub s;
	bool skip_sync;
};

/* two invalidations of page 0; @arg is a struct fixture */
static void life_mm(void *arg)
{
	struct fixture *f = arg;
	struct mmu_notifier_range r;
	int i;

	for (i = 0; i < 2; i++) {
		range_start(f, &r, 0, PG);
		sched_point(SP_EXPLICIT, NULL); /* the PTEs change */
		mmu_notifier_invalidate_range_end(f->subs, &r);
	}
}

static void life_driver(void *arg)
{
	struct life_model *m = arg;

	if (mmu_notifier_register(&m->s.mn, m->f.subs))
		report_add(current->w, "test-check", "register failed");
	sched_point(SP_EXPLICIT, NULL);
	mmu_notifier_unregister(&m->s.mn, m->f.subs);
}

static int life_setup(struct world *w, void *arg)
{
	struct life_model *m = arg;

	m->f = fixture_make(w);
	m->f.nw->knobs.unregister_skips_sync = m->skip_sync;
	memset(&m->s, 0, sizeof(m->s));
	m->s.mn.ops = &tsub_ops;
	m->s.yield = true;
	if (!agent_create(w, "mm", life_mm, &m->f) ||
	    !agent_create(w, "driver", life_driver, m))
		return -1;
	return 0;
}

static void life_check(struct world *w, void *arg)
{
	struct life_model *m = arg;

	mmu_notifier_world_check(m->f.nw);
	if (m->s.ends > m->s.starts)
		report_add(w, "test-check", "more ends (%d) than starts (%d)",
			   m->s.ends, m->s.starts);
	if (m->s.releases != 1)
		report_add(w, "test-check", "release called %d times",
			   m->s.releases);
}

static void test_unregister_lifetime(void **state)
{
	struct life_model m = { 0 };
	struct model model = { "unregister", "", life_setup, life_check, &m };
	struct explore_result r;
	struct explore_opts o;

	(void)state;
	explore_clean(&model, xopts(STRAT_DFS, 0, 2), 10);
	explore_clean(&model, xopts(STRAT_RANDOM, 2000, -1), 2000);

	/* without its grace period, unregister returns under a callback */
	m.skip_sync = true;
	o = xopts(STRAT_DFS, 0, 2);
	assert_int_equal(explore(&model, &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_string_equal(r.first_kind, "notifier-after-unregister");
	assert_non_null(strstr(r.first_report, "mmu_notifier#1"));
	explore_result_free(&r);
}

/* ---- get/put lifetime, explored ---- */

struct gp_model {
	struct fixture f;
	struct tsub s;
	int allocs;
	bool sleep_in_free;
	struct mutex lock;
};

static struct gp_model *gp_current;

static struct mmu_notifier *gp_alloc(struct mm_struct *mm)
{
	struct gp_model *m = gp_current;

	m->allocs++;
	memset(&m->s, 0, sizeof(m->s));
	m->s.yield = true;
	return &m->s.mn;
}

static void gp_free(struct mmu_notifier *mn)
{
	struct gp_model *m = gp_current;

	TSUB(mn)->frees++;
	if (m->sleep_in_free) {
		mutex_lock(&m->lock); /* an SRCU callback may not sleep */
		mutex_unlock(&m->lock);
	}
}

static const struct mmu_notifier_ops gp_ops = {
	.invalidate_range_start = tsub_start,
	.invalidate_range_end = tsub_end,
	.alloc_notifier = gp_alloc,
	.free_notifier = gp_free,
};

static void gp_user(void *arg)
{
	struct gp_model *m = arg;
	struct mmu_notifier *a, *b;

	a = mmu_notifier_get(&gp_ops, m->f.subs);
	b = mmu_notifier_get(&gp_ops, m->f.subs);
	CHECK(current->w, a == b && !IS_ERR(a) && a->users == 2);
	mmu_notifier_put(a);
	CHECK(current->w, m->s.frees == 0);
	mmu_notifier_put(b);
	mmu_notifier_synchronize(m->f.nw);
	CHECK(current->w, m->s.frees == 1);
}

static int gp_setup(struct world *w, void *arg)
{
	struct gp_model *m = arg;

	gp_current = m;
	m->f = fixture_make(w);
	m->allocs = 0;
	mutex_init(w, &m->lock, "test_free_lock");
	if (!agent_create(w, "mm", life_mm, &m->f) ||
	    !agent_create(w, "user", gp_user, m))
		return -1;
	return 0;
}

static void gp_check(struct world *w, void *arg)
{
	struct gp_model *m = arg;

	mmu_notifier_world_check(m->f.nw);
	if (m->allocs != 1 || m->s.frees != 1)
		report_add(w, "test-check", "allocs %d frees %d", m->allocs,
			   m->s.frees);
	if (m->s.ends > m->s.starts)
		report_add(w, "test-check", "more ends than starts");
}

static void test_get_put_lifetime(void **state)
{
	struct gp_model m = { 0 };
	struct model model = { "get-put", "", gp_setup, gp_check, &m };
	struct explore_result r;
	struct explore_opts o;

	(void)state;
	explore_clean(&model, xopts(STRAT_DFS, 0, 2), 10);
	explore_clean(&model, xopts(STRAT_RANDOM, 1000, -1), 1000);

	/* free_notifier runs in SRCU-callback (atomic) context */
	m.sleep_in_free = true;
	o = xopts(STRAT_RANDOM, 1, -1);
	assert_int_equal(explore(&model, &o, &r), 0);
	assert_string_equal(r.first_kind, "sleep-in-atomic");
	explore_result_free(&r);
}

/* put outside any agent frees at once; put from ->release is allowed */
static void test_put_outside_agent(void **state)
{
	struct world *w = det_world();
	struct gp_model m = { 0 };
	struct mmu_notifier *a;

	(void)state;
	gp_current = &m;
	m.f = fixture_make(w);
	a = mmu_notifier_get(&gp_ops, m.f.subs);
	assert_false(IS_ERR(a));
	assert_true(mm_has_notifiers(m.f.subs));
	mmu_notifier_put(a);
	assert_int_equal(m.s.frees, 1);
	assert_false(mm_has_notifiers(m.f.subs));
	mmu_notifier_put(a); /* one put too many */
	assert_int_equal(count_kind(w, "notifier-misuse"), 1);
	world_destroy(w);
}

/* ---- a driver against an invalidator: the read_retry loop ---- */

#define NSLOTS 2
#define SLOT_ADDR(i) (0x10000UL + (unsigned long)(i)*PG)

/*
 * A toy secondary MMU mirroring NSLOTS pages.  The "primary page table"
 * is primary_gen[]: the generation of the frame each page maps, bumped by
 * the invalidator between start and end (the frame changes).  The
 * secondary page table spt[] remembers the generation it was built from;
 * an entry left present with an old generation is a stale install.
 */
struct mirror {
	struct fixture f;
	struct mmu_interval_notifier mni;
	struct mutex lock; /* the driver lock (dmirror->mutex) */
	unsigned long primary_gen[NSLOTS];
	struct {
		int present;
		unsigned long gen;
	} spt[NSLOTS];
	bool retry; /* false: the broken driver */
	int inv_iters, faults;
	unsigned long installs, retries;
};

static bool mirror_invalidate(struct mmu_interval_notifier *mni,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	struct mirror *m = container_of(mni, struct mirror, mni);
	int i;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&m->lock);
	else if (!mutex_trylock(&m->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	for (i = 0; i < NSLOTS; i++)
		if (SLOT_ADDR(i) < range->end &&
		    SLOT_ADDR(i) + PG > range->start)
			WRITE_ONCE(m->spt[i].present, 0);
	mutex_unlock(&m->lock);
	return true;
}

static const struct mmu_interval_notifier_ops mirror_ops = {
	.invalidate = mirror_invalidate,
};

static void mirror_invalidator(void *arg)
{
	struct mirror *m = arg;
	struct mmu_notifier_range r;
	int i, s;

	for (i = 0; i < m->inv_iters; i++) {
		s = i % NSLOTS;
		mmu_notifier_range_init(&r, MMU_NOTIFY_CLEAR, 0, NULL,
					SLOT_ADDR(s), SLOT_ADDR(s) + PG);
		mmu_notifier_invalidate_range_start(m->f.subs, &r);
		/* the primary PTE now points at another frame */
		WRITE_ONCE(m->primary_gen[s], READ_ONCE(m->primary_gen[s]) + 1);
		mmu_notifier_invalidate_range_end(m->f.subs, &r);
	}
}

/* dmirror_range_fault(), reduced: begin, walk, lock, retry or install */
static void mirror_fault(struct mirror *m, int s)
{
	unsigned long seq, gen;
	int tries;

	for (tries = 0; tries < 16; tries++) {
		seq = mmu_interval_read_begin(&m->mni);
		gen = READ_ONCE(m->primary_gen[s]); /* hmm_range_fault() */
		mutex_lock(&m->lock);
		if (m->retry && mmu_interval_read_retry(&m->mni, seq)) {
			m->retries++;
			mutex_unlock(&m->lock);
			continue;
		}
		mmu_notifier_check_install(m->f.subs, SLOT_ADDR(s),
					   SLOT_ADDR(s) + PG);
		m->spt[s].gen = gen;
		WRITE_ONCE(m->spt[s].present, 1);
		m->installs++;
		mutex_unlock(&m->lock);
		return;
	}
}

static void mirror_driver(void *arg)
{
	struct mirror *m = arg;
	int i;

	for (i = 0; i < m->faults; i++)
		mirror_fault(m, i % NSLOTS);
}

static int mirror_setup(struct world *w, void *arg)
{
	struct mirror *m = arg;
	bool retry = m->retry;
	int inv = m->inv_iters, faults = m->faults;
	unsigned long installs = m->installs, retries = m->retries;

	memset(m, 0, sizeof(*m));
	m->retry = retry;
	m->inv_iters = inv;
	m->faults = faults;
	m->installs = installs;
	m->retries = retries;
	m->f = fixture_make(w);
	mutex_init(w, &m->lock, "dmirror_mutex");
	if (mmu_interval_notifier_insert(&m->mni, m->f.subs, SLOT_ADDR(0),
					 NSLOTS * PG, &mirror_ops))
		return -1;
	if (!agent_create(w, "invalidator", mirror_invalidator, m) ||
	    !agent_create(w, "driver", mirror_driver, m))
		return -1;
	return 0;
}

static void mirror_check(struct world *w, void *arg)
{
	struct mirror *m = arg;
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (m->spt[i].present && m->spt[i].gen != m->primary_gen[i])
			report_add(
				w, "stale-install",
				"secondary entry of page %d built from generation %lu, primary is at %lu",
				i, m->spt[i].gen, m->primary_gen[i]);
	mmu_notifier_world_check(m->f.nw);
}

static void test_driver_retry_clean(void **state)
{
	struct mirror m = { .retry = true, .inv_iters = 2, .faults = 2 };
	struct model model = { "mirror", "", mirror_setup, mirror_check, &m };

	(void)state;
	explore_clean(&model, xopts(STRAT_DFS, 0, 2), 100);
	assert_true(m.retries > 0); /* the retry path was exercised */
	explore_clean(&model, xopts(STRAT_RANDOM, 3000, -1), 3000);
	explore_clean(&model, xopts(STRAT_PCT, 1000, -1), 1000);
}

static void test_driver_without_retry_found(void **state)
{
	struct mirror m = { .retry = false, .inv_iters = 2, .faults = 2 };
	struct model model = { "mirror-no-retry", "", mirror_setup,
			       mirror_check, &m };
	struct explore_opts o;
	struct explore_result r;

	(void)state;
	o = xopts(STRAT_DFS, 0, 2);
	o.stop_on_violation = false;
	assert_int_equal(explore(&model, &o, &r), 0);
	assert_true(r.exhausted);
	assert_true(r.violating > 0);
	assert_true(has_kind(&r, "stale-install"));
	assert_true(has_kind(&r, "install-in-invalidation"));
	explore_result_free(&r);

	o = xopts(STRAT_RANDOM, 5000, -1);
	assert_int_equal(explore(&model, &o, &r), 0);
	assert_true(r.first_violation > 0);
	assert_true(!strcmp(r.first_kind, "stale-install") ||
		    !strcmp(r.first_kind, "install-in-invalidation"));
	assert_non_null(r.first_schedule);
	explore_result_free(&r);
}

/* ---- the real engine ---- */

#define REAL_INV 3000
#define REAL_FAULTS 3000

static void test_real_driver(void **state)
{
	struct mirror m = { .retry = true,
			    .inv_iters = REAL_INV,
			    .faults = REAL_FAULTS };
	struct world *w;
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		w = world_create(
			&(struct world_opts){ .engine = ENGINE_REAL,
					      .real_delay_pct = round ? 20 : 0,
					      .seed = 11 });
		assert_non_null(w);
		assert_int_equal(mirror_setup(w, &m), 0);
		/* a second driver and a second invalidator */
		assert_non_null(agent_create(w, "driver2", mirror_driver, &m));
		assert_non_null(agent_create(w, "invalidator2",
					     mirror_invalidator, &m));
		assert_int_equal(world_run(w), 0);
		mirror_check(w, &m);
		expect_clean(w);
		if (getenv("NOTIFIER_VERBOSE"))
			fprintf(stderr,
				"real round %d: %lu installs, %lu retries\n",
				round, m.installs, m.retries);
		assert_true(m.installs > 0);
		world_destroy(w);
	}
}

static void test_real_get_put(void **state)
{
	struct gp_model m = { 0 };
	struct world *w;
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		w = world_create(&(struct world_opts){ .engine = ENGINE_REAL,
						       .real_delay_pct = 20,
						       .seed = 5 + i });
		assert_non_null(w);
		assert_int_equal(gp_setup(w, &m), 0);
		assert_int_equal(world_run(w), 0);
		gp_check(w, &m);
		expect_clean(w);
		world_destroy(w);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest det_tests[] = {
		cmocka_unit_test(test_range_init),
		cmocka_unit_test(test_interval_tree),
		cmocka_unit_test(test_itree_epoch),
		cmocka_unit_test(test_itree_insert_deferred_collided),
		cmocka_unit_test(test_itree_two_overlapping_keep_odd),
		cmocka_unit_test(test_itree_remove_cancels_deferred_insert),
		cmocka_unit_test(test_read_begin_blocks),
		cmocka_unit_test(test_remove_waits),
		cmocka_unit_test(test_nonblock_failure),
		cmocka_unit_test(test_nonblock_itree_failure),
		cmocka_unit_test(test_nonblock_linux_keeps_itree),
		cmocka_unit_test(test_block_in_nonblock),
		cmocka_unit_test(test_pairing_reports),
		cmocka_unit_test(test_check_install),
		cmocka_unit_test(test_ops_conflict),
		cmocka_unit_test(test_young_and_secondary_tlbs),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_lockdep_read_begin_under_driver_lock),
		cmocka_unit_test(test_mmap_lock_variants),
		cmocka_unit_test(test_unregister_lifetime),
		cmocka_unit_test(test_get_put_lifetime),
		cmocka_unit_test(test_put_outside_agent),
		cmocka_unit_test(test_driver_retry_clean),
		cmocka_unit_test(test_driver_without_retry_found),
	};
	const struct CMUnitTest real_tests[] = {
		cmocka_unit_test(test_real_driver),
		cmocka_unit_test(test_real_get_put),
	};

	if (argc > 1 && !strcmp(argv[1], "real"))
		return cmocka_run_group_tests_name("notifier-real", real_tests,
						   NULL, NULL);
	return cmocka_run_group_tests_name("notifier", det_tests, NULL, NULL);
}
