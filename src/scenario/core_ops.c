// SPDX-License-Identifier: MIT
/*
 * The core scenario subsystem: kernel primitives as world objects and
 * agent operations, for scenarios that exercise the engines and lockdep
 * (and for the memory model's scenarios to mix in).
 *
 *   world:  mutexes, spinlocks, rwsems: lists of names (the name is also
 *           the lockdep class); counters: names, or name: initial value;
 *           rcu_pointers: names of RCU-protected pointers, each to an
 *           object that records whether it was freed
 *   ops:    lock/unlock (mutex, spinlock or rwsem-as-writer), down_read,
 *           up_read, down_write, up_write, read (optionally checking the
 *           value), write, inc (unlocked read-modify-write: the schedule
 *           point between the read and the write is the lost-update
 *           window), atomic_inc, atomic_dec, rcu_read_lock,
 *           rcu_read_unlock, synchronize_rcu, rcu_dereference (a read
 *           of the object: use-after-free when it was freed),
 *           rcu_replace (publish a new object, free the old one by
 *           call_rcu, after synchronize_rcu, or at once: the bug), sched
 *           (a bare schedule point), wait (for another agent to finish)
 *   final:  counter NAME
 *
 * Simplifications: a counter is an int; `read`/`write`/`inc` are
 * READ_ONCE/WRITE_ONCE (a schedule point each), `atomic_*` are the
 * sequentially consistent atomics of core/locking.h.
 *
 * Locking: none of its own; the ops are the primitives.
 */
#include <limits.h>
#include <string.h>

#include "core/locking.h"
#include "core/trace.h"
#include "scenario.h"

struct sc_counter {
	atomic_t v;
};

/* an object behind an RCU-protected pointer; freeing only marks it */
struct sc_rcu_obj {
	struct rcu_head rcu;
	bool freed;
};

struct sc_rcu_ptr {
	struct sc_rcu_obj *p;
};

enum core_kind { CK_MUTEX, CK_SPINLOCK, CK_RWSEM, CK_COUNTER, CK_RCU_PTR };

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

/* setup runs outside any agent: the first object, plainly */
static void rcu_ptr_init(struct world *w, void *inst, const struct sc_object *o)
{
	((struct sc_rcu_ptr *)inst)->p =
		arena_alloc(w, sizeof(struct sc_rcu_obj));
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
	[CK_RCU_PTR] = KIND("rcu_pointer", "rcu_pointers", struct sc_rcu_ptr,
			    NULL, rcu_ptr_init),
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

/*
 * rcu_dereference: the reader's access to the object it found; between
 * the load and the access is a schedule point (the window a free without
 * a grace period hits).  Only meaningful inside rcu_read_lock.
 */
static void op_rcu_dereference(struct sc_ctx *x, const struct sc_op *op)
{
	struct sc_rcu_ptr *ptr = sc_obj(x, op, 0);
	struct sc_rcu_obj *p = rcu_dereference(ptr->p);

	sched_point(SP_MEM, p);
	if (p->freed)
		report_add(
			x->w, "use-after-free",
			"%s read an object of %s freed while it was inside rcu_read_lock() (line %d)",
			current->name, sc_obj_name(x, op, 0), op->line);
}

static void rcu_obj_free(struct rcu_head *h)
{
	container_of(h, struct sc_rcu_obj, rcu)->freed = true;
}

static const char *const rcu_free_names[] = { "call_rcu", "synchronize_rcu",
					      "now", NULL };

static const char *rcu_free_how(const struct sc_op *op)
{
	return op->args[1].set ? op->args[1].s : "call_rcu";
}

/*
 * rcu_replace: the updater publishes a new object with
 * rcu_assign_pointer() and frees the old one: by call_rcu(), after
 * synchronize_rcu(), or at once (`now`, no grace period: the bug).  The
 * pointer has one updater at a time, so the old value is read plainly.
 */
static void op_rcu_replace(struct sc_ctx *x, const struct sc_op *op)
{
	struct sc_rcu_ptr *ptr = sc_obj(x, op, 0);
	struct sc_rcu_obj *old = ptr->p;
	struct sc_rcu_obj *new = arena_alloc(x->w, sizeof(*new));
	const char *how = rcu_free_how(op);

	rcu_assign_pointer(ptr->p, new);
	if (!strcmp(how, "call_rcu")) {
		call_rcu(&old->rcu, rcu_obj_free);
		return;
	}
	if (!strcmp(how, "synchronize_rcu"))
		synchronize_rcu();
	old->freed = true;
}

static int rcu_replace_check(struct sc_loader *ld, const struct sc_op *op,
			     const struct sc_node *key,
			     const struct sc_node *const *at)
{
	const char *f = rcu_free_how(op);
	int i;

	for (i = 0; rcu_free_names[i]; i++)
		if (!strcmp(f, rcu_free_names[i]))
			return 0;
	return sc_error(
		ld, at[1] ? at[1] : key,
		"'free' is '%s', not one of call_rcu, synchronize_rcu, now", f);
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
	OP("rcu_dereference",
	   "inside rcu_read_lock: load an RCU pointer and read its object (use-after-free when freed)",
	   op_rcu_dereference, REF("rcu_pointer", "rcu_pointer")),
	{ .name = "rcu_replace",
	  .help = "publish a new object and free the old one: free: call_rcu (default), synchronize_rcu, now (no grace period)",
	  .exec = op_rcu_replace,
	  .check = rcu_replace_check,
	  .params = { REF("ptr", "rcu_pointer"),
		      { "free", SCP_STRING, false, NULL, 0, 0 } } },
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
	"too-many-agents", "unexpected-value", "final-check", "self-join",
	"use-after-free", NULL,
};

const struct scenario_subsys sc_core_subsys = {
	.name = "core",
	.kinds = core_kinds,
	.ops = core_ops,
	.values = core_values,
	.violations = core_violations,
};
