// SPDX-License-Identifier: MIT
/*
 * The iommu scenario subsystem: SVA devices in scenario files.
 *
 *   world:  devices: `{NAME: {ats: true, pri: true}}` (PCIe devices
 *           behind the world's IOMMU; both default to true);
 *           iommu: `{vendor: intel | amd_iommu_v2}` (whose SVA notifier
 *           glue, default intel; see src/iommu/iommu-sva.c)
 *   ops:    sva_bind (a device to a process: iommu_sva_bind_device),
 *           sva_unbind, dma_read and dma_write (one 8-byte DMA by the
 *           device at a virtual address of the process it is bound to,
 *           with its PASID: device TLB, IOTLB, the IOMMU's walk of the
 *           CPU page tables, PRI page requests)
 *   agents: with devices, two background agents are added before the
 *           file's own: "iopf" (the page request worker) and "sva-exit",
 *           which waits for every other agent, unbinds what is still
 *           bound (as a driver's release at close does), runs the IOMMU's
 *           quiescent check and stops the worker.  They take the letters
 *           a and b of schedule strings.
 *
 * DMA ops take `expect: any` (the default), `ok`, `fault` (-EFAULT: no
 * translation and no page request could make one), `failed` (-EIO: the
 * device is in the failure state) or a number (the value a read must
 * return).  sva_bind takes `expect: ok` (default) or an errno name.  A
 * DMA by a device that is not bound uses the PASID of its last bind, so
 * DMA after sva_unbind is reported ("dma-after-unbind").
 *
 * A DMA's address is `addr`, or `region` (a name the mm subsystem's mmap
 * or mremap gave with `as`) plus an optional `offset`.
 *
 * Simplifications: a device is bound to one process at a time in a
 * file; a region name is looked up when the op runs, not at load.
 *
 * Locking: the ops run the model's code (its locks); a device instance's
 * fields are written by bind/unbind ops, which a scenario should not run
 * concurrently on one device.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "iommu/io-pgfault.h"
#include "iommu/iommu-sva.h"
#include "scenario.h"

struct iommu_sc_cfg {
	long vendor; /* enum iommu_vendor */
};

struct iommu_sc_dev_cfg {
	bool ats, pri;
};

struct iommu_sc_dev {
	struct pci_dev *dev;
	struct iommu_sva *sva;
	uint32_t pasid; /* of the last bind */
};

struct iommu_sc_state {
	struct iommu *iommu;
	struct iopf_queue *iopf;
	struct agent *exit_agent;
	struct sc_run *run;
};

enum { IK_DEVICE };

static int parse_bool_node(struct sc_loader *ld, const struct sc_node *n,
			   const char *what, bool *out)
{
	const char *s = sc_is_scalar(n) ? sc_str(n) : NULL;

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*out = true;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*out = false;
		return 0;
	}
	return sc_error(ld, n, "%s must be true or false", what);
}

static int device_parse(struct sc_loader *ld, struct sc_object *o,
			const struct sc_node *n)
{
	struct iommu_sc_dev_cfg *cfg = sc_alloc(ld, sizeof(*cfg));
	int i;

	cfg->ats = true;
	cfg->pri = true;
	o->cfg = cfg;
	if (sc_is_null(n))
		return 0;
	if (!sc_is_map(n))
		return sc_error(ld, n,
				"a device's settings must be a map (ats, pri)");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const char *key = sc_str(k);

		if (!strcmp(key, "name"))
			continue;
		if (!strcmp(key, "ats")) {
			if (parse_bool_node(ld, sc_map_value(n, i), "'ats'",
					    &cfg->ats))
				return -1;
		} else if (!strcmp(key, "pri")) {
			if (parse_bool_node(ld, sc_map_value(n, i), "'pri'",
					    &cfg->pri))
				return -1;
		} else {
			return sc_error(
				ld, k,
				"unknown key '%s' in a device (ats, pri)", key);
		}
	}
	return 0;
}

static const struct scenario_obj_kind iommu_kinds[] = {
	[IK_DEVICE] = { .kind = "device",
			.world_key = "devices",
			.size = sizeof(struct iommu_sc_dev),
			.parse = device_parse },
	{ .kind = NULL },
};

static int iommu_key_parse(struct sc_loader *ld, void *cfgp,
			   const struct sc_node *n)
{
	struct iommu_sc_cfg *cfg = cfgp;
	int i;

	if (!sc_is_map(n))
		return sc_error(ld, n, "'iommu' must be a map (vendor)");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);

		if (strcmp(sc_str(k), "vendor"))
			return sc_error(ld, k,
					"unknown key '%s' in 'iommu' (vendor)",
					sc_str(k));
		if (sc_is_scalar(v) && !strcmp(sc_str(v), "intel"))
			cfg->vendor = IOMMU_VENDOR_INTEL;
		else if (sc_is_scalar(v) && !strcmp(sc_str(v), "amd_iommu_v2"))
			cfg->vendor = IOMMU_VENDOR_AMD_V2;
		else
			return sc_error(
				ld, v,
				"'vendor' must be intel or amd_iommu_v2");
	}
	return 0;
}

static const struct scenario_world_key iommu_world_keys[] = {
	{ "iommu", iommu_key_parse },
	{ NULL, NULL },
};

extern const struct scenario_subsys sc_iommu_subsys;

static struct iommu_sc_state *iommu_state(struct sc_run *run)
{
	const struct scenario_subsys *s;
	int i;

	for (i = 0; (s = scenario_subsys_at(i)); i++)
		if (s == &sc_iommu_subsys)
			return run->subsys_state[i];
	return NULL;
}

/*
 * "sva-exit": once every other agent has finished, release what the
 * file left bound, check the IOMMU while nothing runs, stop the worker.
 */
static void sva_exit_agent(void *arg)
{
	struct iommu_sc_state *st = arg;
	struct sc_run *run = st->run;
	struct world *w = run->w;
	int i, n = w->nr_agents;

	for (i = 0; i < n; i++) {
		struct agent *a = w->agents[i];

		if (a && a != current && a != st->iopf->worker)
			agent_join(a);
	}
	for (i = 0; i < run->sc->nr_objs; i++) {
		struct iommu_sc_dev *d = run->obj[i];

		if (run->sc->objs[i].kind != &iommu_kinds[IK_DEVICE])
			continue;
		while (d->sva && d->sva->users)
			iommu_sva_unbind_device(d->sva);
		d->sva = NULL;
	}
	iommu_check_quiescent(st->iommu);
	iopf_queue_free(st->iopf);
}

static void *iommu_run_init(struct sc_run *run, const void *cfgp)
{
	const struct iommu_sc_cfg *cfg = cfgp;
	const struct scenario *sc = run->sc;
	struct world *w = run->w;
	struct iommu_sc_state *st;
	int i;

	for (i = 0; i < sc->nr_objs; i++)
		if (sc->objs[i].kind == &iommu_kinds[IK_DEVICE])
			break;
	if (i == sc->nr_objs)
		return NULL;
	if (!w->mmw) {
		report_add(
			w, "scenario-error",
			"devices need the memory model: declare processes\n");
		return NULL;
	}
	st = arena_alloc(w, sizeof(*st));
	st->run = run;
	st->iommu = iommu_get(w->mmw);
	st->iommu->vendor = cfg->vendor;
	st->iopf = iopf_queue_alloc(st->iommu, "iopf");
	if (!st->iopf)
		return NULL;
	for (i = 0; i < sc->nr_objs; i++) {
		const struct sc_object *o = &sc->objs[i];
		const struct iommu_sc_dev_cfg *dc = o->cfg;
		struct iommu_sc_dev *d = run->obj[i];

		if (o->kind != &iommu_kinds[IK_DEVICE])
			continue;
		d->dev = pci_dev_add(st->iommu, o->name, dc->ats, dc->pri);
		if (!d->dev) {
			report_add(w, "scenario-error",
				   "too many devices (at most %d)\n",
				   IOMMU_MAX_DEVICES);
			return NULL;
		}
		if (dc->pri)
			iopf_queue_add_device(st->iopf, d->dev);
	}
	st->exit_agent = agent_create(w, "sva-exit", sva_exit_agent, st);
	return st;
}

/* ---- ops ---- */

/* the process object's mm (mm_ops.c owns the process objects) */
static struct mm_struct *proc_mm(struct sc_ctx *x, const struct sc_op *op,
				 int param)
{
	return sc_mm_of(x->run, op->args[param].ref);
}

#define B_DEV 0
#define B_PROC 1
#define B_EXPECT 2

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "ok", 0 },	      { "ENODEV", ENODEV }, { "ENOSPC", ENOSPC },
	{ "EINVAL", EINVAL }, { "EBUSY", EBUSY },   { NULL, 0 },
};

static void op_sva_bind(struct sc_ctx *x, const struct sc_op *op)
{
	struct iommu_sc_dev *d = sc_obj(x, op, B_DEV);
	const char *e = op->args[B_EXPECT].set ? op->args[B_EXPECT].s : "ok";
	struct iommu_sva *sva;
	int i, err = 0;

	if (!iommu_state(x->run))
		return;
	for (i = 0; errnos[i].name; i++)
		if (!strcmp(errnos[i].name, e))
			break;
	if (!errnos[i].name) {
		sc_op_error(x, op, "unknown expectation", e);
		return;
	}
	sva = iommu_sva_bind_device(d->dev, proc_mm(x, op, B_PROC));
	if (IS_ERR(sva)) {
		err = -PTR_ERR(sva);
	} else {
		d->sva = sva;
		d->pasid = iommu_sva_get_pasid(sva);
	}
	if (err != errnos[i].err)
		report_add(
			x->w, "value",
			"%s: sva_bind of %s (line %d) returned %d, expected %s\n",
			current->name, d->dev->name, op->line, -err, e);
}

static void op_sva_unbind(struct sc_ctx *x, const struct sc_op *op)
{
	struct iommu_sc_dev *d = sc_obj(x, op, 0);

	if (!d->sva || !d->sva->users) {
		sc_op_error(x, op, "sva_unbind of a device that is not bound",
			    d->dev ? d->dev->name : "");
		return;
	}
	iommu_sva_unbind_device(d->sva);
	if (!d->sva->users)
		d->sva = NULL;
}

enum { D_DEV, D_ADDR, D_REGION, D_OFF, D_EXPECT, D_VALUE };

static void check_dma(struct sc_ctx *x, const struct sc_op *op,
		      const char *what, struct iommu_sc_dev *d,
		      unsigned long va, int ret, uint64_t v)
{
	static const char *const outcomes[] = { "fault", "failed", "ok", NULL };
	const char *e = op->args[D_EXPECT].set ? op->args[D_EXPECT].s : "any";
	const char *got = ret == -EFAULT ? "fault" :
			  ret == -EIO	 ? "failed" :
			  ret		 ? "error" :
					   "ok";

	sc_check_expect(x, op, e, got, ret, v, outcomes,
			"device %s %s of va %#lx", d->dev->name, what, va);
}

static void op_dma(struct sc_ctx *x, const struct sc_op *op, bool write)
{
	struct iommu_sc_dev *d = sc_obj(x, op, D_DEV);
	const struct sc_arg *a = op->args;
	uint64_t v = write ? (uint64_t)a[D_VALUE].i : 0;
	unsigned long va = a[D_ADDR].i, len;
	int ret;

	if (!iommu_state(x->run))
		return;
	if (a[D_REGION].set) {
		if (!sc_mm_region(x->run, a[D_REGION].s, &va, &len)) {
			sc_op_error(x, op, "no region was mapped as",
				    a[D_REGION].s);
			return;
		}
		va += a[D_OFF].set ? a[D_OFF].i : 0;
	}
	ret = iommu_dma_access(d->dev, d->pasid, va, write, &v);
	trace_eventf(x->w, "dma %s %s va %#lx pasid %u = %d/%llu", d->dev->name,
		     write ? "write" : "read", va, d->pasid, ret,
		     (unsigned long long)v);
	check_dma(x, op, write ? "write" : "read", d, va, ret, v);
}

static void op_dma_read(struct sc_ctx *x, const struct sc_op *op)
{
	op_dma(x, op, false);
}

static void op_dma_write(struct sc_ctx *x, const struct sc_op *op)
{
	op_dma(x, op, true);
}

#define DEV                                             \
	{                                               \
		"device", SCP_REF, true, "device", 0, 0 \
	}
#define STR(n, req)                            \
	{                                      \
		n, SCP_STRING, req, NULL, 0, 0 \
	}
#define OP(n, h, e, ...)                                                   \
	{                                                                  \
		.name = n, .help = h, .exec = e, .params = { __VA_ARGS__ } \
	}
#define OPC(n, h, e, ...)                                           \
	{                                                           \
		.name = n, .help = h, .exec = e, .check = check_va, \
		.params = {                                         \
			__VA_ARGS__                                 \
		}                                                   \
	}
/* D_ADDR, D_REGION, D_OFF */
#define VA                                                   \
	{ "addr", SCP_INT, false, NULL, 0, LONG_MAX },       \
		{ "region", SCP_STRING, false, NULL, 0, 0 }, \
	{                                                    \
		"offset", SCP_INT, false, NULL, 0, LONG_MAX  \
	}

/* a DMA names its address once: addr, or region with an optional offset */
static int check_va(struct sc_loader *ld, const struct sc_op *op,
		    const struct sc_node *key, const struct sc_node *const *at)
{
	const struct sc_arg *a = op->args;

	if (a[D_ADDR].set && a[D_REGION].set)
		return sc_error(ld, at[D_REGION],
				"'%s' takes 'addr' or 'region', not both",
				op->type->name);
	if (!a[D_ADDR].set && !a[D_REGION].set)
		return sc_error(ld, key, "'%s' needs 'addr' or 'region'",
				op->type->name);
	if (a[D_OFF].set && !a[D_REGION].set)
		return sc_error(ld, at[D_OFF], "'offset' needs 'region'");
	return 0;
}

static const struct scenario_op_type iommu_ops[] = {
	OP("sva_bind", "iommu_sva_bind_device(device, proc): a PASID for proc",
	   op_sva_bind, DEV, { "proc", SCP_REF, true, "process", 0, 0 },
	   STR("expect", false)),
	OP("sva_unbind", "iommu_sva_unbind_device: detach, drain page requests",
	   op_sva_unbind, DEV),
	OPC("dma_read",
	    "the device reads a word at addr (or region+offset) of its bound process",
	    op_dma_read, DEV, VA, STR("expect", false)),
	OPC("dma_write",
	    "the device writes value at addr (or region+offset) of its bound process",
	    op_dma_write, DEV, VA, STR("expect", false),
	    { "value", SCP_INT, true, NULL, LONG_MIN, LONG_MAX }),
	{ .name = NULL },
};

static const char *const iommu_violations[] = {
	"stale-iotlb",	  "stale-atc",	      "iotlb-coherence",
	"device-failure", "dma-after-unbind", "iopf-livelock",
	"value",	  "scenario-error",   NULL,
};

const struct scenario_subsys sc_iommu_subsys = {
	.name = "iommu",
	.kinds = iommu_kinds,
	.world_keys = iommu_world_keys,
	.ops = iommu_ops,
	.violations = iommu_violations,
	.cfg_size = sizeof(struct iommu_sc_cfg),
	.run_init = iommu_run_init,
};
