// SPDX-License-Identifier: MIT
/*
 * The mirror scenario subsystem: the dmirror-like device of
 * src/devices/mirror.c (lib/test_hmm.c's dmirror, a secondary MMU kept
 * coherent by an mmu_interval_notifier) in scenario files.
 *
 *   world:  mirrors: {NAME: {proc: P, addr: A, pages: N}}: a device
 *           mirroring N pages (1..16, default 1) of process P from the
 *           page-aligned address A; its notifier is inserted before the
 *           agents start (the range need not be mapped yet)
 *   ops:    mirror_read, mirror_write (one word through the device's own
 *           table, faulting through hmm_range_fault on a miss),
 *           mirror_fault (fault `pages` pages into the device, for
 *           writing with `write: true`)
 *   final:  mirror_valid DEV (valid device entries)
 *
 * An op's address is `addr`, `region` (+ `offset`) as in the mm ops, or
 * the mirror's first address when neither is given.  `expect` is `any`
 * (the default), `ok`, an errno the device returns (`EFAULT`, `EPERM`,
 * `ENOMEM`, `EBUSY`, `EINVAL`, with or without a leading '-') or, for
 * mirror_read, the value read.
 *
 * At the end of every execution the device's entries are checked
 * against the page table (dmirror_check_quiescent: "stale-secondary"),
 * then the notifier world (ranges left open) and the device is removed,
 * before the mm subsystem tears the processes down.
 *
 * Simplifications: a mirror stays bound to the mm its process had when
 * the execution started (a later `fork` into that process does not move
 * it).  Several mirrors share one lock class ("dmirror->mutex").
 *
 * Locking: the ops call the device, which takes mmap_lock (read) and
 * then the device mutex (mirror.c's order); the per-execution state is
 * written only by run_init, before the agents start.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "devices/mirror.h"
#include "scenario.h"

struct mirror_cfg {
	const struct sc_node *proc_node; /* valid while loading */
	int proc; /* object index of the process */
	long addr, pages;
};

struct mirror_inst {
	struct dmirror dev;
	bool bound; /* dmirror_init succeeded */
};

/* ---- world: mirrors ---- */

static int mirror_parse(struct sc_loader *ld, struct sc_object *o,
			const struct sc_node *n)
{
	struct mirror_cfg *cfg = sc_alloc(ld, sizeof(*cfg));
	const struct sc_node *addr = NULL;
	int i;

	if (!sc_is_map(n))
		return sc_error(
			ld, n,
			"a mirror's settings must be a map {proc, addr, pages}");
	cfg->pages = 1;
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);

		if (!strcmp(sc_str(k), "name"))
			continue;
		if (!strcmp(sc_str(k), "proc")) {
			cfg->proc_node = v;
		} else if (!strcmp(sc_str(k), "addr")) {
			if (sc_get_int(ld, v, 0, (long)TASK_SIZE - PAGE_SIZE,
				       "'addr'", &cfg->addr))
				return -1;
			addr = v;
		} else if (!strcmp(sc_str(k), "pages")) {
			if (sc_get_int(ld, v, 1, DMIRROR_MAX_PAGES, "'pages'",
				       &cfg->pages))
				return -1;
		} else {
			return sc_error(
				ld, k,
				"unknown key '%s' in a mirror (proc, addr, pages)",
				sc_str(k));
		}
	}
	if (!cfg->proc_node)
		return sc_error(ld, n, "a mirror needs 'proc'");
	if (!addr)
		return sc_error(ld, n, "a mirror needs 'addr'");
	if (cfg->addr & ~PAGE_MASK)
		return sc_error(ld, addr,
				"'addr': %#lx is not page-aligned (4096)",
				cfg->addr);
	if ((unsigned long)cfg->addr + (cfg->pages << PAGE_SHIFT) > TASK_SIZE)
		return sc_error(ld, addr, "the mirrored range ends past %#lx",
				(unsigned long)TASK_SIZE);
	o->cfg = cfg;
	return 0;
}

/* `proc` may name a process declared after the mirror */
static int mirror_resolve(struct sc_loader *ld, struct sc_object *o)
{
	struct mirror_cfg *cfg = o->cfg;

	if (!cfg)
		return sc_error_at(
			ld, o->line, o->col,
			"a mirror needs settings {proc, addr, pages}");
	return sc_get_ref(ld, cfg->proc_node, "mirror", "process", &cfg->proc);
}

static const struct scenario_obj_kind mirror_kinds[] = {
	{ .kind = "mirror",
	  .world_key = "mirrors",
	  .size = sizeof(struct mirror_inst),
	  .parse = mirror_parse,
	  .resolve = mirror_resolve },
	{ .kind = NULL },
};

static bool has_mirrors(const struct scenario *sc)
{
	int i;

	for (i = 0; i < sc->nr_objs; i++)
		if (sc->objs[i].kind == &mirror_kinds[0])
			return true;
	return false;
}

/* bind every mirror to its process's mm (after the mm subsystem's init) */
static void *mirror_run_init(struct sc_run *run, const void *unused)
{
	const struct scenario *sc = run->sc;
	int i, ret;

	if (!has_mirrors(sc))
		return NULL;
	for (i = 0; i < sc->nr_objs; i++) {
		const struct mirror_cfg *cfg = sc->objs[i].cfg;
		struct mirror_inst *m = run->obj[i];
		struct mm_struct *mm;

		if (sc->objs[i].kind != &mirror_kinds[0])
			continue;
		mm = sc_mm_of(run, cfg->proc);
		ret = mm ? dmirror_init(&m->dev, mm, cfg->addr, cfg->pages) :
			   -ENOMEM;
		if (ret)
			report_add(run->w, "scenario-error",
				   "mirror '%s' (line %d): cannot bind: %d\n",
				   sc->objs[i].name, sc->objs[i].line, ret);
		m->bound = !ret;
		m->dev.name = sc->objs[i].name;
	}
	return run;
}

/* entries against the page table, open ranges, then unbind */
static void mirror_run_check(struct sc_run *run, void *state)
{
	const struct scenario *sc = run->sc;
	struct mmu_notifier_world *nw = NULL;
	int i;

	if (!state)
		return;
	for (i = 0; i < sc->nr_objs; i++) {
		struct mirror_inst *m = run->obj[i];

		if (sc->objs[i].kind != &mirror_kinds[0] || !m->bound)
			continue;
		dmirror_check_quiescent(&m->dev);
		nw = m->dev.mm->mmw->nw;
	}
	if (nw)
		mmu_notifier_world_check(nw);
	for (i = 0; i < sc->nr_objs; i++) {
		struct mirror_inst *m = run->obj[i];

		if (sc->objs[i].kind == &mirror_kinds[0] && m->bound) {
			dmirror_fini(&m->dev);
			m->bound = false;
		}
	}
}

/* ---- the ops ---- */

enum { MI_DEV, MI_ADDR, MI_REGION, MI_OFF, MI_EXPECT, MI_ARG, MI_WRITE };

static const struct {
	const char *name;
	int err;
} mirror_errnos[] = {
	{ "EFAULT", EFAULT }, { "EPERM", EPERM },   { "ENOMEM", ENOMEM },
	{ "EBUSY", EBUSY },   { "EINVAL", EINVAL },
};

/* "EFAULT" or "-EFAULT": the errno, else 0 */
static int errno_of(const char *s)
{
	unsigned i;

	s += *s == '-';
	for (i = 0; i < ARRAY_SIZE(mirror_errnos); i++)
		if (!strcmp(s, mirror_errnos[i].name))
			return mirror_errnos[i].err;
	return 0;
}

/* a number, in the forms sc_get_int takes (decimal, 0x, 0) */
static bool is_number(const char *s, unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	*v = strtoull(s, &end, 0);
	return !*end;
}

static int mirror_check(struct sc_loader *ld, const struct sc_op *op,
			const struct sc_node *key,
			const struct sc_node *const *at)
{
	const char *e = op->args[MI_EXPECT].s;
	bool is_read = !strcmp(op->type->name, "mirror_read");
	unsigned long long v;

	if (op->args[MI_ADDR].set && op->args[MI_REGION].set)
		return sc_error(ld, at[MI_REGION],
				"'%s' takes 'addr' or 'region', not both",
				op->type->name);
	if (op->args[MI_OFF].set && !op->args[MI_REGION].set)
		return sc_error(ld, at[MI_OFF], "'offset' needs 'region'");
	if (op->args[MI_ADDR].set && (op->args[MI_ADDR].i & 7))
		return sc_error(ld, at[MI_ADDR],
				"'addr': %#lx is not 8-byte aligned",
				op->args[MI_ADDR].i);
	if (op->args[MI_OFF].set && (op->args[MI_OFF].i & 7))
		return sc_error(ld, at[MI_OFF],
				"'offset': %#lx is not 8-byte aligned",
				op->args[MI_OFF].i);
	if (!e || !strcmp(e, "any") || !strcmp(e, "ok") || errno_of(e) ||
	    (is_read && is_number(e, &v)))
		return 0;
	return sc_error(
		ld, at[MI_EXPECT],
		"'%s' parameter 'expect': '%s' is not any, ok, %sor one of EFAULT, EPERM, ENOMEM, EBUSY, EINVAL",
		op->type->name, e, is_read ? "a value " : "");
}

/* the address an op names; false (reported) for an unmapped region */
static bool mirror_addr(struct sc_ctx *x, const struct sc_op *op,
			struct mirror_inst *m, unsigned long *va)
{
	const struct sc_arg *a = op->args;
	unsigned long len;

	if (a[MI_ADDR].set) {
		*va = a[MI_ADDR].i;
	} else if (a[MI_REGION].set) {
		if (!sc_mm_region(x->run, a[MI_REGION].s, va, &len)) {
			report_add(x->w, "scenario-error",
				   "line %d: no region was mapped as '%s'\n",
				   op->line, a[MI_REGION].s);
			return false;
		}
		*va += a[MI_OFF].set ? a[MI_OFF].i : 0;
	} else {
		*va = m->dev.start;
	}
	return true;
}

static void op_mirror_read(struct sc_ctx *x, const struct sc_op *op);

/* compare the device's result (and a read's value) with `expect` */
static void mirror_expect(struct sc_ctx *x, const struct sc_op *op,
			  unsigned long va, int ret, uint64_t v)
{
	const char *e = op->args[MI_EXPECT].set ? op->args[MI_EXPECT].s : "any";
	unsigned long long want;

	if (!strcmp(e, "any"))
		return;
	if (!strcmp(e, "ok") ? !ret :
	    errno_of(e)	     ? ret == -errno_of(e) :
			       !ret && is_number(e, &want) && v == want)
		return;
	if (ret)
		report_add(
			x->w, "value",
			"%s: %s of va %#lx (line %d) returned %d, expected %s\n",
			current->name, op->type->name, va, op->line, ret, e);
	else
		report_add(
			x->w, "value",
			"%s: %s of va %#lx (line %d) %s %#llx, expected %s\n",
			current->name, op->type->name, va, op->line,
			op->type->exec == op_mirror_read ? "read" : "succeeded",
			(unsigned long long)v, e);
}

static struct mirror_inst *op_mirror(struct sc_ctx *x, const struct sc_op *op)
{
	struct mirror_inst *m = sc_obj(x, op, MI_DEV);

	if (!m->bound)
		report_add(x->w, "scenario-error",
			   "line %d: mirror '%s' is not bound\n", op->line,
			   sc_obj_name(x, op, MI_DEV));
	return m->bound ? m : NULL;
}

static void op_mirror_read(struct sc_ctx *x, const struct sc_op *op)
{
	struct mirror_inst *m = op_mirror(x, op);
	unsigned long va;
	uint64_t v = 0;
	int ret;

	if (!m || !mirror_addr(x, op, m, &va))
		return;
	ret = dmirror_read(&m->dev, va, &v);
	trace_eventf(x->w, "mirror %s read va %#lx = %d/%llu",
		     sc_obj_name(x, op, MI_DEV), va, ret,
		     (unsigned long long)v);
	mirror_expect(x, op, va, ret, v);
}

static void op_mirror_write(struct sc_ctx *x, const struct sc_op *op)
{
	struct mirror_inst *m = op_mirror(x, op);
	unsigned long va;
	int ret;

	if (!m || !mirror_addr(x, op, m, &va))
		return;
	ret = dmirror_write(&m->dev, va, op->args[MI_ARG].i);
	trace_eventf(x->w, "mirror %s write va %#lx := %ld: %d",
		     sc_obj_name(x, op, MI_DEV), va, op->args[MI_ARG].i, ret);
	mirror_expect(x, op, va, ret, op->args[MI_ARG].i);
}

static void op_mirror_fault(struct sc_ctx *x, const struct sc_op *op)
{
	struct mirror_inst *m = op_mirror(x, op);
	long pages = op->args[MI_ARG].set ? op->args[MI_ARG].i : 1;
	bool write = op->args[MI_WRITE].set && op->args[MI_WRITE].i;
	unsigned long va;
	int ret;

	if (!m || !mirror_addr(x, op, m, &va))
		return;
	ret = dmirror_fault(&m->dev, va & PAGE_MASK, pages, write);
	trace_eventf(x->w, "mirror %s fault va %#lx x%ld%s: %d",
		     sc_obj_name(x, op, MI_DEV), va & PAGE_MASK, pages,
		     write ? " write" : "", ret);
	mirror_expect(x, op, va, ret, 0);
}

#define MIRROR                                          \
	{                                               \
		"mirror", SCP_REF, true, "mirror", 0, 0 \
	}
#define MADDR                                                           \
	{ "addr", SCP_INT, false, NULL, 0, (long)TASK_SIZE - 8 },       \
		{ "region", SCP_STRING, false, NULL, 0, 0 },            \
		{ "offset", SCP_INT, false, NULL, 0, (long)TASK_SIZE }, \
	{                                                               \
		"expect", SCP_STRING, false, NULL, 0, 0                 \
	}

static const struct scenario_op_type mirror_ops[] = {
	{ .name = "mirror_read",
	  .help = "the device reads a word through its own page table",
	  .params = { MIRROR, MADDR },
	  .exec = op_mirror_read,
	  .check = mirror_check },
	{ .name = "mirror_write",
	  .help = "the device writes value to a word through its table",
	  .params = { MIRROR,
		      MADDR,
		      { "value", SCP_INT, true, NULL, LONG_MIN, LONG_MAX } },
	  .exec = op_mirror_write,
	  .check = mirror_check },
	{ .name = "mirror_fault",
	  .help = "fault pages pages into the device (hmm_range_fault)",
	  .params = { MIRROR,
		      MADDR,
		      { "pages", SCP_INT, false, NULL, 1, DMIRROR_MAX_PAGES },
		      { "write", SCP_BOOL, false, NULL, 0, 0 } },
	  .exec = op_mirror_fault,
	  .check = mirror_check },
	{ .name = NULL },
};

/* ---- final-check values ---- */

/* valid entries; the run is over, so without the device mutex */
static long mirror_valid_value(struct sc_run *run, const struct sc_arg *a)
{
	struct mirror_inst *m = run->obj[a[0].ref];
	long n = 0;
	unsigned i;

	for (i = 0; m->bound && i < m->dev.npages; i++)
		n += m->dev.pt[i].valid;
	return n;
}

static const struct scenario_value_type mirror_values[] = {
	{ .name = "mirror_valid",
	  .params = { MIRROR },
	  .eval = mirror_valid_value },
	{ .name = NULL },
};

static const char *const mirror_violations[] = {
	"stale-secondary",   "install-in-invalidation",
	"notifier-unpaired", "notifier-epoch-open",
	"notifier-misuse",   "value",
	"scenario-error",    NULL,
};

const struct scenario_subsys sc_mirror_subsys = {
	.name = "mirror",
	.kinds = mirror_kinds,
	.ops = mirror_ops,
	.values = mirror_values,
	.violations = mirror_violations,
	.run_init = mirror_run_init,
	.run_check = mirror_run_check,
};
