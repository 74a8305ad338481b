// SPDX-License-Identifier: MIT
/*
 * The dma scenario subsystem: DMA-API domains (src/iommu/dma-iommu.c) in
 * scenario files.
 *
 *   world:  dma_devices: PCI devices, each on its own DMA-API domain
 *           (iommu.dma_invalidation decides strict or deferred), with
 *           `buffers` pages to map (default 2, zeroed), `ats` (a device
 *           TLB, default true) and `fq_timeout` (the flush-queue timeout
 *           in world steps, default IOVA_FQ_TIMEOUT_STEPS):
 *           `dma_devices: {nic: {buffers: 1, fq_timeout: 50}}`
 *   ops:    dma_map (dma_map_page() of a buffer; `as` names the DMA
 *           address), dma_unmap (dma_unmap_page() of a named address),
 *           dma_read / dma_write (the device's DMA at a named address +
 *           offset, through its device TLB and the IOMMU), dma_free (the
 *           domain's teardown: stops the flush-queue timer, flushes)
 *
 * Accesses take `expect: any` (the default), a number, `ok` or `fault`;
 * dma_map takes `expect: ok` (default) or `error`.
 *
 * Deferred mode runs a timer agent ("fq-timer") per device from the start
 * of the execution: a scenario that sets iommu.dma_invalidation=deferred
 * must end with `dma_free` of each device (usually an agent that waits for
 * the others), or the timer is left sleeping and the run ends in a
 * deadlock report naming it.  The timer agents are created before the
 * file's own agents and take the first letters of schedule strings.
 *
 * Simplifications: the devices use the mm world's physical memory (the
 * mm subsystem's when the scenario has processes or files, else 256
 * frames of their own).  Mixed with processes, dma_run_check() releases
 * the buffers before the mm subsystem's leak check (checks run in reverse
 * subsystem order).  DMA address names are
 * per execution, written by ops; as in mm_ops.c, the real engine does not
 * serialise them, so scenarios for it should not race on names.
 *
 * Locking: the ops call the DMA API and the device's DMA, which take the
 * model's locks (dma-iommu.c, iommu.c).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "iommu/dma-iommu.h"
#include "mm/mm.h"
#include "scenario.h"

#define DMA_SC_MAX_BUFFERS 8
#define DMA_SC_MAX_NAMES 16
#define DMA_SC_FRAMES 256

struct dma_sc_cfg {
	long buffers;
	long ats;
	long fq_timeout;
};

struct dma_sc_dev {
	struct pci_dev *dev;
	struct iommu_dma_cookie *cookie;
	struct page *buf[DMA_SC_MAX_BUFFERS];
	int nr_buf;
	bool freed;
};

struct dma_sc_name {
	const char *name;
	int dev; /* object index */
	dma_addr_t dma;
};

struct dma_sc_state {
	struct mm_world *mmw;
	bool own_mmw; /* made here, not by the mm subsystem */
	struct iommu *iommu;
	struct dma_sc_name names[DMA_SC_MAX_NAMES];
	int nr_names;
};

/* ---- world: dma_devices ---- */

static int dev_parse(struct sc_loader *ld, struct sc_object *o,
		     const struct sc_node *n)
{
	struct dma_sc_cfg *cfg = sc_alloc(ld, sizeof(*cfg));
	int i;

	cfg->buffers = 2;
	cfg->ats = 1;
	cfg->fq_timeout = IOVA_FQ_TIMEOUT_STEPS;
	o->cfg = cfg;
	if (!sc_is_map(n))
		return sc_error(
			ld, n,
			"a DMA device's settings must be a map (buffers, ats, fq_timeout)");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);
		const char *key = sc_str(k);

		if (!strcmp(key, "name"))
			continue;
		if (!strcmp(key, "buffers")) {
			if (sc_get_int(ld, v, 1, DMA_SC_MAX_BUFFERS,
				       "'buffers'", &cfg->buffers))
				return -1;
		} else if (!strcmp(key, "fq_timeout")) {
			if (sc_get_int(ld, v, 1, 1000000, "'fq_timeout'",
				       &cfg->fq_timeout))
				return -1;
		} else if (!strcmp(key, "ats")) {
			const char *s = sc_is_scalar(v) ? sc_str(v) : "";

			if (!strcmp(s, "true"))
				cfg->ats = 1;
			else if (!strcmp(s, "false"))
				cfg->ats = 0;
			else
				return sc_error(ld, v,
						"'ats' must be true or false");
		} else {
			return sc_error(
				ld, k,
				"unknown key '%s' in a DMA device (buffers, ats, fq_timeout)",
				key);
		}
	}
	return 0;
}

static const struct scenario_obj_kind dma_kinds[] = {
	{ .kind = "dma_device",
	  .world_key = "dma_devices",
	  .size = sizeof(struct dma_sc_dev),
	  .parse = dev_parse },
	{ .kind = NULL },
};

extern const struct scenario_subsys sc_dma_subsys;

static struct dma_sc_state *dma_state(struct sc_run *run)
{
	const struct scenario_subsys *s;
	int i;

	for (i = 0; (s = scenario_subsys_at(i)); i++)
		if (s == &sc_dma_subsys)
			return run->subsys_state[i];
	return NULL;
}

static void *dma_run_init(struct sc_run *run, const void *cfgp)
{
	const struct scenario *sc = run->sc;
	struct world *w = run->w;
	struct dma_sc_state *st = NULL;
	int i, j;

	for (i = 0; i < sc->nr_objs; i++) {
		const struct sc_object *o = &sc->objs[i];
		const struct dma_sc_cfg *cfg = o->cfg;
		struct dma_sc_dev *d = run->obj[i];

		if (o->kind != &dma_kinds[0])
			continue;
		if (!st) {
			st = arena_alloc(w, sizeof(*st));
			/* the mm subsystem's world when it made one */
			if (w->mmw && !w->mmw->needs_reset)
				st->mmw = w->mmw;
			else
				st->own_mmw = true;
			if (st->own_mmw)
				st->mmw = mm_world_get(w, DMA_SC_FRAMES, 1);
			if (!st->mmw) {
				run->setup_err = -ENOMEM;
				return NULL;
			}
			st->iommu = iommu_get(st->mmw);
		}
		d->dev = pci_dev_add(st->iommu, o->name, cfg->ats, false);
		if (!d->dev)
			return NULL;
		d->cookie = iommu_dma_domain_alloc(st->iommu, d->dev);
		if (!d->cookie)
			return NULL;
		d->cookie->fq_timeout = cfg->fq_timeout;
		d->nr_buf = cfg->buffers;
		for (j = 0; j < d->nr_buf; j++)
			d->buf[j] = alloc_page(st->mmw->pm, __GFP_ZERO);
		iommu_dma_init_fq(d->cookie);
	}
	return st;
}

/* the domains go (if no dma_free did it); nothing may be left */
static void dma_run_check(struct sc_run *run, void *state)
{
	const struct scenario *sc = run->sc;
	struct dma_sc_state *st = state;
	int i, j;

	if (!st)
		return;
	for (i = 0; i < sc->nr_objs; i++) {
		struct dma_sc_dev *d = run->obj[i];

		if (sc->objs[i].kind != &dma_kinds[0])
			continue;
		if (!d->freed && !d->cookie->fq_timer)
			iommu_dma_domain_free(d->cookie);
		iommu_dma_check_quiescent(d->cookie);
		for (j = 0; j < d->nr_buf; j++)
			if (d->buf[j])
				put_page(d->buf[j]);
	}
	iommu_check_quiescent(st->iommu);
	if (st->own_mmw)
		phys_check_leaks(st->mmw->pm, 0);
}

/* ---- the ops ---- */

static struct dma_sc_name *name_find(struct dma_sc_state *st, const char *name)
{
	int i;

	for (i = 0; i < st->nr_names; i++)
		if (!strcmp(st->names[i].name, name))
			return &st->names[i];
	return NULL;
}

enum { P_DEV, P_BUF, P_DIR, P_AS, P_EXPECT };

static void op_dma_map(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	struct dma_sc_state *st = dma_state(x->run);
	struct dma_sc_dev *d = sc_obj(x, op, P_DEV);
	const char *dirs = a[P_DIR].set ? a[P_DIR].s : "bidirectional";
	const char *e = a[P_EXPECT].set ? a[P_EXPECT].s : "ok";
	enum dma_data_direction dir;
	struct dma_sc_name *n;
	dma_addr_t dma;

	if (!strcmp(dirs, "bidirectional")) {
		dir = DMA_BIDIRECTIONAL;
	} else if (!strcmp(dirs, "to_device")) {
		dir = DMA_TO_DEVICE;
	} else if (!strcmp(dirs, "from_device")) {
		dir = DMA_FROM_DEVICE;
	} else {
		sc_op_error(x, op, "unknown DMA direction", dirs);
		return;
	}
	if (a[P_BUF].i >= d->nr_buf) {
		sc_op_error(x, op, "the device has no such buffer", "buf");
		return;
	}
	dma = iommu_dma_map_page(d->dev, d->buf[a[P_BUF].i], 0, PAGE_SIZE, dir);
	if ((dma == DMA_MAPPING_ERROR) != !strcmp(e, "error")) {
		report_add(x->w, "value",
			   "%s: dma_map_page (line %d) %s, expected %s\n",
			   current->name, op->line,
			   dma == DMA_MAPPING_ERROR ? "failed" : "succeeded",
			   e);
		return;
	}
	if (dma == DMA_MAPPING_ERROR || !a[P_AS].set)
		return;
	n = name_find(st, a[P_AS].s);
	if (!n) {
		if (st->nr_names == DMA_SC_MAX_NAMES) {
			sc_op_error(x, op, "too many DMA names at", a[P_AS].s);
			return;
		}
		n = &st->names[st->nr_names++];
		n->name = a[P_AS].s;
	}
	n->dev = op->args[P_DEV].ref;
	WRITE_ONCE(n->dma, dma);
}

enum { U_DEV, U_DMA, U_DIR };

static bool op_dma_addr(struct sc_ctx *x, const struct sc_op *op, int p_name,
			int p_off, dma_addr_t *out)
{
	struct dma_sc_name *n =
		name_find(dma_state(x->run), op->args[p_name].s);

	if (!n) {
		sc_op_error(x, op, "no DMA address was mapped as",
			    op->args[p_name].s);
		return false;
	}
	*out = READ_ONCE(n->dma) +
	       (p_off >= 0 && op->args[p_off].set ? op->args[p_off].i : 0);
	return true;
}

static void op_dma_unmap(struct sc_ctx *x, const struct sc_op *op)
{
	struct dma_sc_dev *d = sc_obj(x, op, U_DEV);
	dma_addr_t dma;

	if (!op_dma_addr(x, op, U_DMA, -1, &dma))
		return;
	iommu_dma_unmap_page(d->dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL);
}

enum { A_DEV, A_DMA, A_OFF, A_EXPECT, A_VALUE };

static void check_dma_access(struct sc_ctx *x, const struct sc_op *op,
			     const char *what, dma_addr_t dma, int ret,
			     uint64_t v)
{
	static const char *const outcomes[] = { "fault", "ok", NULL };
	const char *e = op->args[A_EXPECT].set ? op->args[A_EXPECT].s : "any";

	sc_check_expect(x, op, e, ret ? "fault" : "ok", ret, v, outcomes,
			"DMA %s of iova %#lx", what, dma);
}

static void op_dma_read(struct sc_ctx *x, const struct sc_op *op)
{
	struct dma_sc_dev *d = sc_obj(x, op, A_DEV);
	dma_addr_t dma;
	uint64_t v = 0;
	int ret;

	if (!op_dma_addr(x, op, A_DMA, A_OFF, &dma))
		return;
	ret = iommu_dma_read(d->dev, IOMMU_NO_PASID, dma, &v);
	trace_eventf(x->w, "dma_read %s iova %#lx = %d/%llu", d->dev->name, dma,
		     ret, (unsigned long long)v);
	check_dma_access(x, op, "read", dma, ret, v);
}

static void op_dma_write(struct sc_ctx *x, const struct sc_op *op)
{
	struct dma_sc_dev *d = sc_obj(x, op, A_DEV);
	dma_addr_t dma;
	int ret;

	if (!op_dma_addr(x, op, A_DMA, A_OFF, &dma))
		return;
	ret = iommu_dma_write(d->dev, IOMMU_NO_PASID, dma, op->args[A_VALUE].i);
	check_dma_access(x, op, "write", dma, ret, 0);
}

static void op_dma_free(struct sc_ctx *x, const struct sc_op *op)
{
	struct dma_sc_dev *d = sc_obj(x, op, 0);

	if (d->freed) {
		sc_op_error(x, op, "the domain was freed already",
			    d->dev->name);
		return;
	}
	d->freed = true;
	iommu_dma_domain_free(d->cookie);
}

#define DEV                                              \
	{                                                \
		"dev", SCP_REF, true, "dma_device", 0, 0 \
	}
#define STR(n, req)                            \
	{                                      \
		n, SCP_STRING, req, NULL, 0, 0 \
	}
#define OP(n, h, e, ...)                                                   \
	{                                                                  \
		.name = n, .help = h, .exec = e, .params = { __VA_ARGS__ } \
	}

static const struct scenario_op_type dma_ops[] = {
	OP("dma_map",
	   "dma_map_page() of buffer buf of dev (dir); `as` names the address",
	   op_dma_map, DEV,
	   { "buf", SCP_INT, true, NULL, 0, DMA_SC_MAX_BUFFERS - 1 },
	   STR("dir", false), STR("as", false), STR("expect", false)),
	OP("dma_unmap", "dma_unmap_page() of the address named dma",
	   op_dma_unmap, DEV, STR("dma", true)),
	OP("dma_read", "the device reads a word at DMA address dma + offset",
	   op_dma_read, DEV, STR("dma", true),
	   { "offset", SCP_INT, false, NULL, 0, PAGE_SIZE - 8 },
	   STR("expect", false)),
	OP("dma_write", "the device writes value at DMA address dma + offset",
	   op_dma_write, DEV, STR("dma", true),
	   { "offset", SCP_INT, false, NULL, 0, PAGE_SIZE - 8 },
	   STR("expect", false),
	   { "value", SCP_INT, true, NULL, LONG_MIN, LONG_MAX }),
	OP("dma_free",
	   "tear down dev's DMA domain: stop the flush-queue timer, flush",
	   op_dma_free, DEV),
	{ .name = NULL },
};

static const char *const dma_violations[] = {
	"dma-after-unmap", "bad-dma-unmap", "dma-leak",	       "bad-iova-free",
	"stale-iotlb",	   "stale-atc",	    "iotlb-coherence", "frame-leak",
	"bad-page",	   "value",	    "scenario-error",  NULL,
};

const struct scenario_subsys sc_dma_subsys = {
	.name = "dma",
	.kinds = dma_kinds,
	.ops = dma_ops,
	.violations = dma_violations,
	.run_init = dma_run_init,
	.run_check = dma_run_check,
};
