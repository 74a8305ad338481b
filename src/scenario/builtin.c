// SPDX-License-Identifier: MIT
/*
 * Built-in demo models.  They model no kernel part; they are the classic
 * concurrency examples the explorer and lockdep must get right:
 *
 *   steps-2x2        2 agents x 2 independent steps (6 interleavings)
 *   steps-3x1        3 agents x 1 step (6 interleavings)
 *   lost-update      two unlocked read-modify-write increments
 *   locked-update    the same under a mutex (clean)
 *   abba             two mutexes taken in opposite orders
 *   rcu-call-rcu     RCU reader vs updater freeing via call_rcu (clean)
 *   rcu-sync         the updater uses synchronize_rcu() (clean)
 *   rcu-free-early   the updater frees without a grace period (bug)
 *   sleep-in-atomic  mutex_lock() under a spinlock
 *
 * and the primary-MMU models of mm_models.c (fault-vs-munmap, ...) and
 * mm_reclaim_models.c (reclaim-vs-mprotect, ...).
 *
 * Locking: each model documents the locks it takes in its own functions.
 */
#include <string.h>

#include "builtin.h"
#include "core/locking.h"
#include "core/trace.h"
#include "scenario/dma_models.h"
#include "scenario/iommu_models.h"
#include "scenario/mirror_models.h"
#include "scenario/mm_models.h"

/* ---- independent steps: the explorer's counting oracle ---- */

struct steps {
	int nr_agents, nr_steps;
	int done[MAX_AGENTS];
};

static void steps_agent(void *arg)
{
	struct steps *s = arg;
	int id = current->id, i;

	for (i = 0; i < s->nr_steps; i++) {
		sched_point(SP_EXPLICIT, NULL);
		s->done[id]++; /* private to this agent: no race */
	}
}

static int steps_setup(struct world *w, int nr_agents, int nr_steps)
{
	struct steps *s = arena_alloc(w, sizeof(*s));
	char name[16];
	int i;

	s->nr_agents = nr_agents;
	s->nr_steps = nr_steps;
	w->priv = s;
	for (i = 0; i < nr_agents; i++) {
		snprintf(name, sizeof(name), "A%d", i);
		if (!agent_create(w, name, steps_agent, s))
			return -1;
	}
	return 0;
}

static int steps_2x2_setup(struct world *w, void *arg)
{
	(void)arg;
	return steps_setup(w, 2, 2);
}

static int steps_3x1_setup(struct world *w, void *arg)
{
	(void)arg;
	return steps_setup(w, 3, 1);
}

static void steps_check(struct world *w, void *arg)
{
	struct steps *s = w->priv;
	int i;

	(void)arg;
	for (i = 0; i < s->nr_agents; i++)
		if (s->done[i] != s->nr_steps)
			report_add(w, "steps-missing", "A%d did %d of %d steps",
				   i, s->done[i], s->nr_steps);
}

/* ---- lost update ---- */

struct counter {
	int value;
	struct mutex lock;
	bool locked;
};

static void counter_agent(void *arg)
{
	struct counter *c = arg;
	int v;

	if (c->locked)
		mutex_lock(&c->lock);
	v = READ_ONCE(c->value);
	WRITE_ONCE(c->value, v + 1);
	if (c->locked)
		mutex_unlock(&c->lock);
}

static int counter_setup(struct world *w, bool locked)
{
	struct counter *c = arena_alloc(w, sizeof(*c));

	c->locked = locked;
	mutex_init(w, &c->lock, "counter_lock");
	w->priv = c;
	if (!agent_create(w, "inc0", counter_agent, c) ||
	    !agent_create(w, "inc1", counter_agent, c))
		return -1;
	return 0;
}

static int lost_update_setup(struct world *w, void *arg)
{
	(void)arg;
	return counter_setup(w, false);
}

static int locked_update_setup(struct world *w, void *arg)
{
	(void)arg;
	return counter_setup(w, true);
}

static void counter_check(struct world *w, void *arg)
{
	struct counter *c = w->priv;

	(void)arg;
	if (c->value != 2)
		report_add(w, "lost-update",
			   "two increments of 0 left the counter at %d: one update was lost",
			   c->value);
}

/* ---- ABBA ---- */

struct abba {
	struct mutex a, b;
};

static void abba_ab(void *arg)
{
	struct abba *x = arg;

	mutex_lock(&x->a);
	mutex_lock(&x->b);
	mutex_unlock(&x->b);
	mutex_unlock(&x->a);
}

static void abba_ba(void *arg)
{
	struct abba *x = arg;

	mutex_lock(&x->b);
	mutex_lock(&x->a);
	mutex_unlock(&x->a);
	mutex_unlock(&x->b);
}

static int abba_setup(struct world *w, void *arg)
{
	struct abba *x = arena_alloc(w, sizeof(*x));

	(void)arg;
	mutex_init(w, &x->a, "lock_A");
	mutex_init(w, &x->b, "lock_B");
	if (!agent_create(w, "ab", abba_ab, x) ||
	    !agent_create(w, "ba", abba_ba, x))
		return -1;
	return 0;
}

/* ---- RCU ---- */

enum rcu_mode { RCU_CALL, RCU_SYNC, RCU_EARLY };

struct rcu_obj {
	struct rcu_head rcu;
	int value;
	bool freed;
};

struct rcu_demo {
	struct rcu_obj *gp;
	enum rcu_mode mode;
};

static void rcu_reader(void *arg)
{
	struct rcu_demo *d = arg;
	struct rcu_obj *p;

	rcu_read_lock();
	p = rcu_dereference(d->gp);
	sched_point(SP_MEM, p);
	if (p->freed)
		report_add(current->w, "use-after-free",
			   "%s read an object freed while it was inside rcu_read_lock()",
			   current->name);
	rcu_read_unlock();
}

static void rcu_obj_free(struct rcu_head *h)
{
	container_of(h, struct rcu_obj, rcu)->freed = true;
}

static void rcu_updater(void *arg)
{
	struct rcu_demo *d = arg;
	struct rcu_obj *old = d->gp;
	struct rcu_obj *new = arena_alloc(current->w, sizeof(*new));

	new->value = 2;
	rcu_assign_pointer(d->gp, new);
	switch (d->mode) {
	case RCU_CALL:
		call_rcu(&old->rcu, rcu_obj_free);
		break;
	case RCU_SYNC:
		synchronize_rcu();
		old->freed = true;
		break;
	case RCU_EARLY:
		old->freed = true; /* the bug: no grace period */
		break;
	}
}

static int rcu_setup(struct world *w, enum rcu_mode mode)
{
	struct rcu_demo *d = arena_alloc(w, sizeof(*d));

	d->mode = mode;
	d->gp = arena_alloc(w, sizeof(*d->gp));
	d->gp->value = 1;
	if (!agent_create(w, "reader", rcu_reader, d) ||
	    !agent_create(w, "updater", rcu_updater, d))
		return -1;
	return 0;
}

static int rcu_call_setup(struct world *w, void *arg)
{
	(void)arg;
	return rcu_setup(w, RCU_CALL);
}

static int rcu_sync_setup(struct world *w, void *arg)
{
	(void)arg;
	return rcu_setup(w, RCU_SYNC);
}

static int rcu_early_setup(struct world *w, void *arg)
{
	(void)arg;
	return rcu_setup(w, RCU_EARLY);
}

/* ---- sleeping in atomic context ---- */

struct sia {
	spinlock_t spin;
	struct mutex m;
};

static void sia_agent(void *arg)
{
	struct sia *s = arg;

	spin_lock(&s->spin);
	mutex_lock(&s->m); /* the bug: may sleep under a spinlock */
	mutex_unlock(&s->m);
	spin_unlock(&s->spin);
}

static int sia_setup(struct world *w, void *arg)
{
	struct sia *s = arena_alloc(w, sizeof(*s));

	(void)arg;
	spin_lock_init(w, &s->spin, "demo_spin");
	mutex_init(w, &s->m, "demo_mutex");
	return agent_create(w, "sleeper", sia_agent, s) ? 0 : -1;
}

#define MODEL(n, d, s, c) \
	static const struct model model_##s = { n, d, s##_setup, c, NULL }

MODEL("steps-2x2", "2 agents x 2 independent steps", steps_2x2, steps_check);
MODEL("steps-3x1", "3 agents x 1 step", steps_3x1, steps_check);
MODEL("lost-update", "two unlocked increments (bug: lost update)",
      lost_update, counter_check);
MODEL("locked-update", "two increments under a mutex (clean)", locked_update,
      counter_check);
MODEL("abba", "two mutexes in opposite orders (bug: ABBA deadlock)", abba,
      NULL);
MODEL("rcu-call-rcu", "reader vs updater freeing via call_rcu (clean)",
      rcu_call, NULL);
MODEL("rcu-sync", "reader vs updater using synchronize_rcu (clean)", rcu_sync,
      NULL);
MODEL("rcu-free-early", "updater frees without a grace period (bug)",
      rcu_early, NULL);
MODEL("sleep-in-atomic", "mutex_lock under a spinlock (bug)", sia, NULL);

const struct model *const builtin_models[] = {
	&model_steps_2x2,     &model_steps_3x1,	   &model_lost_update,
	&model_locked_update, &model_abba,	   &model_rcu_call,
	&model_rcu_sync,      &model_rcu_early,	   &model_sia,
	&model_fault_vs_munmap,	&model_fault_vs_munmap_noflush,
	&model_fault_vs_mprotect, &model_fault_vs_mprotect_noflush,
	&model_fault_vs_truncate, &model_read_vs_dontneed,
	&model_read_vs_dontneed_nonested, &model_write_vs_fork,
	&model_write_vs_fork_noflush,
	&model_reclaim_vs_mprotect, &model_reclaim_vs_munmap,
	&model_reclaim_vs_mprotect_2017, &model_reclaim_vs_munmap_2017,
	&model_migrate_vs_write, &model_ksm_vs_write,
	&model_mremap_vs_truncate,
	&model_write_vs_clear_refs, &model_write_vs_clear_refs_noflush,
	&model_mirror_vs_munmap, &model_mirror_vs_mprotect,
	&model_mirror_vs_munmap_noretry, &model_mirror_vs_mprotect_noretry,
	&model_mirror_vs_mremap, &model_mirror_vs_dontneed,
	&model_mirror_vs_fork, &model_mirror_vs_truncate,
	&model_mirror_vs_migrate, &model_mirror_vs_ksm,
	&model_mirror_vs_reclaim, &model_mirror_vs_exit,
	&model_mirror_vs_mremap_noretry, &model_mirror_vs_dontneed_noretry,
	&model_mirror_vs_fork_noretry, &model_mirror_vs_truncate_noretry,
	&model_mirror_vs_migrate_noretry, &model_mirror_vs_ksm_noretry,
	&model_mirror_vs_reclaim_noretry, &model_mirror_vs_oom_reaper,
	&model_dma_unmap_vs_dma, &model_dma_unmap_vs_dma_deferred,
	&model_sva_mremap_vs_truncate, &model_sva_dontneed_nested,
	&model_sva_ksm_vs_write,
	&model_sva_vs_munmap, &model_sva_vs_mprotect, &model_sva_refault,
	&model_sva_refault_2014, &model_sva_upgrade, &model_sva_upgrade_2023,
	&model_sva_vs_reclaim,
	&model_mremap_pmd_vs_truncate, &model_mremap_pmd_vs_munmap,
	&model_sva_mremap_vs_reclaim_file, &model_sva_mremap2_vs_reclaim_file,
	&model_sva_mremap_vs_reclaim_anon,
	&model_sva_mremap_vs_migrate, &model_sva_mremap_vs_dontneed,
	&model_sva_mremap_merge_vs_reclaim,
	NULL,
};

const struct model *builtin_find(const char *name)
{
	int i;

	for (i = 0; builtin_models[i]; i++)
		if (!strcmp(builtin_models[i]->name, name))
			return builtin_models[i];
	return NULL;
}
