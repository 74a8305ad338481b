// SPDX-License-Identifier: MIT
/*
 * The core scenario subsystem: kernel primitives as world objects and
 * agent operations, for scenarios that exercise the engines and lockdep
 * (and for the memory model's scenarios to mix in).
 *
 *   world:  mutexes, spinlocks, rwsems: lists of names (the name is also
 *           the lockdep class); counters: names, or name: initial value
 *   ops:    lock/unlock (mutex, spinlock or rwsem-as-writer), down_read,
 *           up_read, down_write, up_write, read (optionally checking the
 *           value), write, inc (unlocked read-modify-write: the schedule
 *           point between the read and the write is the lost-update
 *           window), atomic_inc, atomic_dec, rcu_read_lock,
 *           rcu_read_unlock, synchronize_rcu, sched (a bare schedule
 *           point), wait (for another agent to finish)
 *   final:  counter NAME
 *
 * Simplifications: a counter is an int; `read`/`write`/`inc` are
 * READ_ONCE/WRITE_ONCE (a schedule point each), `atomic_*` are the
 * sequentially consistent atomics of core/locking.h.
 *
 * Locking: none of its own; the ops are the primitives.
 */
#include <limits.h>

#include "core/locking.h"
#include "core/trace.h"
#include "scenario.h"

struct sc_counter {
	atomic_t v;
};

enum core_kind { CK_MUTEX, CK_SPINLOCK, CK_RWSEM, CK_COUNTER };

static void mutex_obj_init(struct world *w, void *inst, const struct sc_object *o)
{
	mutex_init(w, inst, o->name);
}

static void spin_obj_init(struct world *w, void *inst, const struct sc_object *o)
{
	spin_lock_init(w, inst, o->name);
}

static void rwsem_obj_init(struct world *w, void *inst, const struct sc_object *o)
{
	init_rwsem(w, inst, o->name);
}

static int counter_parse(struct sc_loader *ld, struct sc_object *o,
			 const struct sc_node *n)
{
	return sc_get_int(ld, n, INT_MIN, INT_MAX, "a counter's initial value",
			  &o->value);
}

/* setup runs outside any agent: no schedule point, plain store */
static void counter_init(struct world *w, void *inst, const struct sc_object *o)
{
	((struct sc_counter *)inst)->v.counter = o->value;
}

#define KIND(k, key, type, p, i)                                               \
	{ .kind = k, .world_key = key, .size = sizeof(type), .parse = p,       \
	  .init = i }

static const struct scenario_obj_kind core_kinds[] = {
	[CK_MUTEX] = KIND("mutex", "mutexes", struct mutex, NULL,
			  mutex_obj_init),
	[CK_SPINLOCK] = KIND("spinlock", "spinlocks", spinlock_t, NULL,
			     spin_obj_init),
	[CK_RWSEM] = KIND("rwsem", "rwsems", struct rw_semaphore, NULL,
			  rwsem_obj_init),
	[CK_COUNTER] = KIND("counter", "counters", struct sc_counter,
			    counter_parse, counter_init),
	{ .kind = NULL },
};

static enum core_kind obj_kind(struct sc_ctx *x, const struct sc_op *op)
{
	return x->run->sc->objs[op->args[0].ref].kind - core_kinds;
}

static void op_lock(struct sc_ctx *x, const struct sc_op *op)
{
	void *l = sc_obj(x, op, 0);

	switch (obj_kind(x, op)) {
	case CK_MUTEX:
		mutex_lock(l);
		break;
	case CK_SPINLOCK:
		spin_lock(l);
		break;
	default:
		down_write(l);
		break;
	}
}

static void op_unlock(struct sc_ctx *x, const struct sc_op *op)
{
	void *l = sc_obj(x, op, 0);

	switch (obj_kind(x, op)) {
	case CK_MUTEX:
		mutex_unlock(l);
		break;
	case CK_SPINLOCK:
		spin_unlock(l);
		break;
	default:
		up_write(l);
		break;
	}
}

static void op_down_read(struct sc_ctx *x, const struct sc_op *op)
{
	down_read(sc_obj(x, op, 0));
}

static void op_up_read(struct sc_ctx *x, const struct sc_op *op)
{
	up_read(sc_obj(x, op, 0));
}

static void op_down_write(struct sc_ctx *x, const struct sc_op *op)
{
	down_write(sc_obj(x, op, 0));
}

static void op_up_write(struct sc_ctx *x, const struct sc_op *op)
{
	up_write(sc_obj(x, op, 0));
}

static void op_read(struct sc_ctx *x, const struct sc_op *op)
{
	struct sc_counter *c = sc_obj(x, op, 0);
	int v = READ_ONCE(c->v.counter);

	trace_eventf(x->w, "read %s = %d", sc_obj_name(x, op, 0), v);
	if (op->args[1].set && v != op->args[1].i)
		report_add(x->w,
			   op->args[2].set ? op->args[2].s : "unexpected-value",
			   "%s read %s = %d, expected %ld (line %d)",
			   current->name, sc_obj_name(x, op, 0), v,
			   op->args[1].i, op->line);
}

static void op_write(struct sc_ctx *x, const struct sc_op *op)
{
	struct sc_counter *c = sc_obj(x, op, 0);

	WRITE_ONCE(c->v.counter, (int)op->args[1].i);
	trace_eventf(x->w, "write %s = %ld", sc_obj_name(x, op, 0),
		     op->args[1].i);
}

/*
 * inc: the unlocked read-modify-write.  Between READ_ONCE and WRITE_ONCE
 * is a schedule point: another agent's whole increment can run there and
 * is then overwritten (the lost update).
 */
static void op_inc(struct sc_ctx *x, const struct sc_op *op)
{
	struct sc_counter *c = sc_obj(x, op, 0);
	int v = READ_ONCE(c->v.counter);

	WRITE_ONCE(c->v.counter, v + 1);
	trace_eventf(x->w, "inc %s: read %d, wrote %d", sc_obj_name(x, op, 0),
		     v, v + 1);
}

static void op_atomic_inc(struct sc_ctx *x, const struct sc_op *op)
{
	atomic_inc(&((struct sc_counter *)sc_obj(x, op, 0))->v);
}

static void op_atomic_dec(struct sc_ctx *x, const struct sc_op *op)
{
	atomic_dec(&((struct sc_counter *)sc_obj(x, op, 0))->v);
}

static void op_rcu_read_lock(struct sc_ctx *x, const struct sc_op *op)
{
	rcu_read_lock();
}

static void op_rcu_read_unlock(struct sc_ctx *x, const struct sc_op *op)
{
	rcu_read_unlock();
}

static void op_synchronize_rcu(struct sc_ctx *x, const struct sc_op *op)
{
	synchronize_rcu();
}

static void op_sched(struct sc_ctx *x, const struct sc_op *op)
{
	sched_point(SP_EXPLICIT, NULL);
}

static void op_wait(struct sc_ctx *x, const struct sc_op *op)
{
	sc_wait_agent(x, op->args[0].ref);
}

#define LOCKS "mutex|spinlock|rwsem"
#define REF(n, kinds) { n, SCP_REF, true, kinds, 0, 0 }
#define COUNTER REF("counter", "counter")
#define OP(n, h, e, ...) { .name = n, .help = h, .exec = e, .params = { __VA_ARGS__ } }

static const struct scenario_op_type core_ops[] = {
	OP("lock", "take a mutex, a spinlock, or an rwsem for writing",
	   op_lock, REF("lock", LOCKS)),
	OP("unlock", "release what 'lock' took", op_unlock, REF("lock", LOCKS)),
	OP("down_read", "take an rwsem for reading", op_down_read,
	   REF("rwsem", "rwsem")),
	OP("up_read", "release a read hold of an rwsem", op_up_read,
	   REF("rwsem", "rwsem")),
	OP("down_write", "take an rwsem for writing", op_down_write,
	   REF("rwsem", "rwsem")),
	OP("up_write", "release a write hold of an rwsem", op_up_write,
	   REF("rwsem", "rwsem")),
	OP("read", "READ_ONCE a counter; with expect, report when it differs",
	   op_read, COUNTER,
	   { "expect", SCP_INT, false, NULL, INT_MIN, INT_MAX },
	   { "violation", SCP_KIND, false, NULL, 0, 0 }),
	OP("write", "WRITE_ONCE a counter", op_write, COUNTER,
	   { "value", SCP_INT, true, NULL, INT_MIN, INT_MAX }),
	OP("inc", "unlocked read-modify-write: READ_ONCE, schedule point, WRITE_ONCE",
	   op_inc, COUNTER),
	OP("atomic_inc", "atomic_inc() a counter", op_atomic_inc, COUNTER),
	OP("atomic_dec", "atomic_dec() a counter", op_atomic_dec, COUNTER),
	OP("rcu_read_lock", "enter an RCU read-side section", op_rcu_read_lock),
	OP("rcu_read_unlock", "leave an RCU read-side section",
	   op_rcu_read_unlock),
	OP("synchronize_rcu", "wait for a grace period", op_synchronize_rcu),
	OP("sched", "a bare schedule point", op_sched),
	OP("wait", "wait until every copy of another agent has finished",
	   op_wait, { "agent", SCP_AGENT, true, NULL, 0, 0 }),
	{ .name = NULL },
};

static long counter_value(struct sc_run *run, const struct sc_arg *args)
{
	return ((struct sc_counter *)run->obj[args[0].ref])->v.counter;
}

static const struct scenario_value_type core_values[] = {
	{ .name = "counter", .params = { COUNTER }, .eval = counter_value },
	{ .name = NULL },
};

/* every kind the core (engines, lockdep, RCU) and these ops report */
static const char *const core_violations[] = {
	"deadlock", "livelock", "replay-divergence", "nondeterminism",
	"block-in-rcu-callback", "lockdep-circular", "recursive-locking",
	"bad-unlock-balance", "sleep-in-atomic", "block-in-nonblock",
	"destroy-held-lock", "lockdep-assert", "lockdep-overflow",
	"bad-downgrade", "rcu-unbalanced", "srcu-unbalanced",
	"srcu-self-deadlock", "exit-holding-locks", "exit-in-rcu",
	"too-many-agents", "unexpected-value", "final-check", "self-join", NULL,
};

const struct scenario_subsys sc_core_subsys = {
	.name = "core",
	.kinds = core_kinds,
	.ops = core_ops,
	.values = core_values,
	.violations = core_violations,
};
