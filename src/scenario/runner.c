// SPDX-License-Identifier: MIT
/*
 * The scenario runner: a loaded scenario as a struct model (engine.h).
 *
 * For every execution the model's setup builds a struct sc_run in the
 * world's arena: one instance of every declared object (a mutex, a
 * counter ...), each subsystem's per-execution state, and one agent per
 * agent entry and copy.  An agent runs its op list `repeat` times; a loop
 * runs its body `times` times; each op's exec function does the work
 * through the kernel primitives, so the schedule points, lockdep and the
 * trace come from the same code C models use.  After all agents finished
 * the model's check runs the `final` checks, reporting the named
 * violation kind for each false one, then the subsystems' checks (which
 * also tear their state down), the last registered first.
 *
 * Simplifications: objects live for the whole execution (no creation or
 * destruction by ops yet).
 *
 * Locking: an sc_run is written by setup before any agent runs; agents
 * then only read it.  Waiting for an agent uses that entry's wait queue
 * and an atomic count of its running copies:
 *
 *   exiting copy                     waiter (sc_wait_agent)
 *   atomic_dec(&rt->remaining)       wait_event(rt->wq,
 *   wake_up(&rt->wq)                            !atomic_read(&rt->remaining))
 *
 * wait_event snapshots the queue before testing, so a wake-up between
 * the test and the sleep is not lost.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/locking.h"
#include "core/trace.h"
#include "scenario.h"

struct sc_agent_rt {
	atomic_t remaining; /* copies still running */
	wait_queue_head_t wq;
};

/* ---- the registry ---- */

extern const struct scenario_subsys sc_iommu_subsys; /* iommu_ops.c */
extern const struct scenario_subsys sc_vfio_subsys; /* vfio_ops.c */
extern const struct scenario_subsys sc_kvm_subsys; /* kvm_ops.c */

static const struct scenario_subsys *const builtin_subsys[] = {
	&sc_core_subsys,
	&sc_mm_subsys,
	&sc_mirror_subsys,
	&sc_iommu_subsys,
	&sc_dma_subsys, /* dma_ops.c: after mm, whose world it may share */
	&sc_vfio_subsys, /* vfio_ops.c: on the mm subsystem's processes */
	&sc_pci_subsys, /* pci_ops.c: vfio-pci devices, after mm */
	&sc_kvm_subsys, /* kvm_ops.c: after mm, torn down before it */
	NULL,
};

#define SC_MAX_EXTRA_SUBSYS 16
static const struct scenario_subsys *extra_subsys[SC_MAX_EXTRA_SUBSYS];
static int nr_extra_subsys;

const struct scenario_subsys *scenario_subsys_at(int i)
{
	int nr_builtin = ARRAY_SIZE(builtin_subsys) - 1;

	if (i < 0)
		return NULL;
	if (i < nr_builtin)
		return builtin_subsys[i];
	i -= nr_builtin;
	return i < nr_extra_subsys ? extra_subsys[i] : NULL;
}

int scenario_subsys_register(const struct scenario_subsys *s)
{
	int i;

	for (i = 0; i < nr_extra_subsys; i++)
		if (extra_subsys[i] == s)
			return 0;
	if (nr_extra_subsys == SC_MAX_EXTRA_SUBSYS)
		return -ENOSPC;
	extra_subsys[nr_extra_subsys++] = s;
	return 0;
}

/* ---- executing ops ---- */

static void exec_ops(struct sc_ctx *x, const struct sc_op *ops, int nr)
{
	long t;
	int i;

	for (i = 0; i < nr; i++) {
		const struct sc_op *op = &ops[i];

		if (op->type) {
			op->type->exec(x, op);
			continue;
		}
		for (t = 0; t < op->times; t++)
			exec_ops(x, op->body, op->nr_body);
	}
}

static void sc_agent_main(void *arg)
{
	struct sc_ctx *x = arg;
	const struct sc_agent *a = &x->run->sc->agents[x->agent];
	struct sc_agent_rt *rt = &x->run->agents[x->agent];
	long r;

	for (r = 0; r < a->repeat; r++)
		exec_ops(x, a->ops, a->nr_ops);
	if (a->waited) {
		atomic_dec(&rt->remaining);
		wake_up(&rt->wq);
	}
}

void sc_wait_agent(struct sc_ctx *x, int agent)
{
	struct sc_agent_rt *rt = &x->run->agents[agent];

	wait_event(rt->wq, !atomic_read(&rt->remaining));
}

/* ---- the model ---- */

static int sc_setup(struct world *w, void *arg)
{
	const struct scenario *sc = arg;
	const struct scenario_subsys *s;
	struct sc_run *run = arena_alloc(w, sizeof(*run));
	char name[SC_NAME_MAX + 16];
	int i, c;

	/* the scenario's knobs, before anything reads them */
	*w->policy = sc->policy;
	run->w = w;
	run->sc = sc;
	run->obj = arena_alloc(w, (sc->nr_objs + 1) * sizeof(void *));
	for (i = 0; i < sc->nr_objs; i++) {
		const struct sc_object *o = &sc->objs[i];

		run->obj[i] = arena_alloc(w, o->kind->size);
		if (o->kind->init)
			o->kind->init(w, run->obj[i], o);
	}
	run->subsys_state =
		arena_alloc(w, (sc->nr_subsys + 1) * sizeof(void *));
	for (i = 0; i < sc->nr_subsys && (s = scenario_subsys_at(i)); i++)
		if (s->run_init) {
			run->subsys_state[i] =
				s->run_init(run, sc->subsys_cfg[i]);
			if (run->setup_err)
				return run->setup_err;
		}
	run->agents = arena_alloc(w, sc->nr_agents * sizeof(*run->agents));
	w->priv = run;
	for (i = 0; i < sc->nr_agents; i++) {
		const struct sc_agent *a = &sc->agents[i];

		init_waitqueue_head(w, &run->agents[i].wq);
		run->agents[i].remaining.counter = a->copies;
		for (c = 0; c < a->copies; c++) {
			struct sc_ctx *x = arena_alloc(w, sizeof(*x));

			x->run = run;
			x->w = w;
			x->agent = i;
			x->copy = c;
			if (a->copies > 1)
				snprintf(name, sizeof(name), "%s.%d", a->name,
					 c + 1);
			else
				snprintf(name, sizeof(name), "%s", a->name);
			if (!agent_create(w, name, sc_agent_main, x))
				return -ENOMEM;
		}
	}
	return 0;
}

static bool compare(long v, enum sc_cmp cmp, long want)
{
	switch (cmp) {
	case SC_EQ:
		return v == want;
	case SC_NE:
		return v != want;
	case SC_LT:
		return v < want;
	case SC_LE:
		return v <= want;
	case SC_GT:
		return v > want;
	case SC_GE:
		return v >= want;
	}
	return false;
}

static void sc_check(struct world *w, void *arg)
{
	const struct scenario *sc = arg;
	const struct scenario_subsys *s;
	struct sc_run *run = w->priv;
	int i;

	/* the finals see the world as the agents left it ... */
	for (i = 0; i < sc->nr_finals; i++) {
		const struct sc_final *f = &sc->finals[i];
		long v = f->type->eval(run, f->args);

		if (compare(v, f->cmp, f->value))
			continue;
		report_add(
			w, f->violation,
			"final check '%s' (line %d) failed: the value is %ld%s%s",
			f->text, f->line, v, f->message ? "\n  " : "",
			f->message ? f->message : "");
	}
	/* ... then the subsystems check and tear down, the last one first */
	for (i = sc->nr_subsys - 1; i >= 0; i--) {
		s = scenario_subsys_at(i);
		if (s && s->run_check)
			s->run_check(run, run->subsys_state[i]);
	}
}

const struct model *scenario_model(struct scenario *sc)
{
	sc->model.name = sc->name;
	sc->model.desc = sc->description ? sc->description : "";
	sc->model.setup = sc_setup;
	sc->model.check = sc_check;
	sc->model.arg = sc;
	return &sc->model;
}
