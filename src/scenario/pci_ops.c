// SPDX-License-Identifier: MIT
/*
 * The pci scenario subsystem: PCI devices bound to vfio-pci, their BARs
 * mmap'ed into processes, and the user's config writes, resets, power
 * changes and BAR reads/writes through the device file.
 *
 *   world:  pci_devices: {NAME: {bars: [PAGES, ...]}} (or `bars: PAGES`
 *           for BAR0 alone): a device with memory BARs of those sizes
 *           (1 .. 1048576 pages each, at most 6 BARs), enabled (COMMAND
 *           memory|master, D0) and opened through vfio-pci with the
 *           policy's vfio_pci.design
 *   ops:    vfio_pci_mmap (mmap(2) of a BAR region into a process, named
 *           `as: NAME` for the mm ops' read/write), pci_config_write (the
 *           COMMAND register: `command: memory|io|master` or `none`),
 *           pci_reset (VFIO_DEVICE_RESET), pci_set_power (D0 or D3hot
 *           through PCI_PM_CTRL), vfio_pci_bar_read and
 *           vfio_pci_bar_write (pread/pwrite of one word of a BAR)
 *   final:  pci_decode DEV (1 while the device decodes memory),
 *           vfio_pci_faults DEV, vfio_pci_sigbus DEV, vfio_pci_zaps DEV
 *
 * CPU accesses to a mapped BAR are the mm subsystem's `read` and `write`
 * with `region:`; they take `expect: sigbus` when the fault refuses.
 *
 * Bad input is refused at load time with FILE:LINE:COL: an unknown
 * device (the loader's reference check), a BAR index the device does not
 * have (unless the op expects an errno: then the model's uAPI answers,
 * -EINVAL as vfio_pci_core_mmap does), unknown command bits or power
 * states, unaligned offsets.
 *
 * Locking: the ops call vfio-pci, which takes the model's locks; the
 * per-execution device storage is written only by run_init.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "scenario.h"
#include "vfio/vfio_pci_core.h"

struct pci_sc_cfg {
	unsigned long bars[PCI_STD_NUM_BARS];
	int nr_bars;
};

struct pci_sc_dev {
	struct pci_dev pdev;
	struct vfio_pci_core_device vdev;
	bool bound;
};

/* ---- world: pci_devices ---- */

static int bar_size(struct sc_loader *ld, const struct sc_node *n,
		    unsigned long *out)
{
	long v;

	if (sc_get_int(ld, n, 1, PCI_BAR_MAX_PAGES, "a BAR's size in pages",
		       &v))
		return -1;
	*out = v;
	return 0;
}

static int pci_dev_parse(struct sc_loader *ld, struct sc_object *o,
			 const struct sc_node *n)
{
	struct pci_sc_cfg *cfg = sc_alloc(ld, sizeof(*cfg));
	int i, j;

	if (!sc_is_map(n))
		return sc_error(
			ld, n,
			"a PCI device's settings must be a map {bars: [PAGES, ...]}");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);

		if (!strcmp(sc_str(k), "name"))
			continue;
		if (strcmp(sc_str(k), "bars"))
			return sc_error(
				ld, k,
				"unknown key '%s' in a PCI device (bars)",
				sc_str(k));
		if (sc_is_scalar(v)) {
			if (bar_size(ld, v, &cfg->bars[0]))
				return -1;
			cfg->nr_bars = 1;
			continue;
		}
		if (!sc_is_seq(v) || !sc_len(v) || sc_len(v) > PCI_STD_NUM_BARS)
			return sc_error(
				ld, v,
				"'bars' must be a page count or a list of 1 to %d page counts",
				PCI_STD_NUM_BARS);
		for (j = 0; j < sc_len(v); j++)
			if (bar_size(ld, sc_seq_item(v, j), &cfg->bars[j]))
				return -1;
		cfg->nr_bars = sc_len(v);
	}
	if (!cfg->nr_bars)
		return sc_error(ld, n, "a PCI device needs 'bars'");
	o->cfg = cfg;
	return 0;
}

static int pci_dev_resolve(struct sc_loader *ld, struct sc_object *o)
{
	if (!o->cfg)
		return sc_error_at(ld, o->line, o->col,
				   "a PCI device needs settings {bars: [...]}");
	return 0;
}

static const struct scenario_obj_kind pci_kinds[] = {
	{ .kind = "pci_device",
	  .world_key = "pci_devices",
	  .size = sizeof(struct pci_sc_dev),
	  .parse = pci_dev_parse,
	  .resolve = pci_dev_resolve },
	{ .kind = NULL },
};

static void *pci_run_init(struct sc_run *run, const void *unused)
{
	const struct scenario *sc = run->sc;
	struct mm_world *mmw = NULL;
	bool any = false;
	int i, ret;

	for (i = 0; i < sc->nr_objs; i++) {
		const struct pci_sc_cfg *cfg = sc->objs[i].cfg;
		struct pci_sc_dev *d = run->obj[i];

		if (sc->objs[i].kind != &pci_kinds[0])
			continue;
		any = true;
		if (!mmw) {
			mmw = run->w->mmw;
			if (!mmw || mmw->needs_reset)
				mmw = mm_world_get(run->w, 4096, 2);
		}
		ret = mmw ? pci_dev_init(&d->pdev, mmw, sc->objs[i].name,
					 cfg->bars, cfg->nr_bars) :
			    -ENOMEM;
		if (!ret)
			ret = vfio_pci_core_init_dev(&d->vdev, &d->pdev);
		if (ret)
			report_add(
				run->w, "scenario-error",
				"PCI device '%s' (line %d): cannot set up: %d\n",
				sc->objs[i].name, sc->objs[i].line, ret);
		d->bound = !ret;
	}
	return any ? run : NULL;
}

/* ---- op helpers ---- */

static const struct {
	const char *name;
	int err;
} pci_errnos[] = {
	{ "EINVAL", EINVAL }, { "EIO", EIO },	    { "ENOMEM", ENOMEM },
	{ "EBUSY", EBUSY },   { "EFAULT", EFAULT }, { "EEXIST", EEXIST },
};

/* "EINVAL" or "-EINVAL": the errno, else 0 */
static int errno_of(const char *s)
{
	unsigned i;

	if (!s)
		return 0;
	s += *s == '-';
	for (i = 0; i < ARRAY_SIZE(pci_errnos); i++)
		if (!strcmp(s, pci_errnos[i].name))
			return pci_errnos[i].err;
	return 0;
}

static const char *errno_name(long ret)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(pci_errnos); i++)
		if (-ret == pci_errnos[i].err)
			return pci_errnos[i].name;
	return "error";
}

static struct pci_sc_dev *op_dev(struct sc_ctx *x, const struct sc_op *op)
{
	struct pci_sc_dev *d = sc_obj(x, op, 0);

	if (!d->bound)
		report_add(x->w, "scenario-error",
			   "line %d: PCI device '%s' is not set up\n", op->line,
			   sc_obj_name(x, op, 0));
	return d->bound ? d : NULL;
}

/* a call's result against `expect` (ok by default, or an errno name) */
static void check_errno(struct sc_ctx *x, const struct sc_op *op, const char *e,
			const char *call, long ret)
{
	int want = errno_of(e);

	if (!e || !strcmp(e, "ok"))
		want = 0;
	if (e && !strcmp(e, "any"))
		return;
	if ((ret >= 0 && !want) || (ret < 0 && -ret == want))
		return;
	if (!want)
		report_add(x->w, "syscall-failed",
			   "%s: %s (line %d) failed with %ld\n", current->name,
			   call, op->line, ret);
	else
		report_add(x->w, "unexpected-errno",
			   "%s: %s (line %d) returned %ld, expected -%s\n",
			   current->name, call, op->line, ret, e + (*e == '-'));
}

/* the device has BAR @bar (load time); an errno expectation skips it */
static int check_bar(struct sc_loader *ld, const struct sc_op *op, int p_bar,
		     int p_expect, const struct sc_node *const *at,
		     const struct sc_node *key)
{
	const struct sc_object *o = sc_loader_object(ld, op->args[0].ref);
	const struct pci_sc_cfg *cfg = o ? o->cfg : NULL;
	long bar = op->args[p_bar].set ? op->args[p_bar].i : 0;

	if (!cfg || errno_of(op->args[p_expect].s))
		return 0;
	if (bar >= cfg->nr_bars)
		return sc_error(
			ld, at[p_bar] ? at[p_bar] : key,
			"BAR index %ld out of range: PCI device '%s' has %d BAR%s (0..%d)",
			bar, o->name, cfg->nr_bars, cfg->nr_bars > 1 ? "s" : "",
			cfg->nr_bars - 1);
	return 0;
}

static int check_expect_names(struct sc_loader *ld, const struct sc_op *op,
			      int p_expect, const struct sc_node *const *at,
			      bool value_ok)
{
	const char *e = op->args[p_expect].s;
	char *end;

	if (!e || !strcmp(e, "ok") || !strcmp(e, "any") || errno_of(e))
		return 0;
	if (value_ok && *e && *e != '-') {
		strtoull(e, &end, 0);
		if (!*end)
			return 0;
	}
	return sc_error(
		ld, at[p_expect],
		"'%s' parameter 'expect': '%s' is not ok, any, %sor one of EINVAL, EIO, ENOMEM, EBUSY, EFAULT, EEXIST",
		op->type->name, e, value_ok ? "a value, " : "");
}

/* ---- vfio_pci_mmap ---- */

enum { MP_DEV, MP_PROC, MP_BAR, MP_OFF, MP_LEN, MP_ADDR, MP_AS, MP_EXPECT };

static int mmap_check(struct sc_loader *ld, const struct sc_op *op,
		      const struct sc_node *key,
		      const struct sc_node *const *at)
{
	if (op->args[MP_OFF].set && (op->args[MP_OFF].i & ~PAGE_MASK))
		return sc_error(ld, at[MP_OFF],
				"'offset': %#lx is not page-aligned (4096)",
				op->args[MP_OFF].i);
	if (op->args[MP_ADDR].set && (op->args[MP_ADDR].i & ~PAGE_MASK))
		return sc_error(ld, at[MP_ADDR],
				"'addr': %#lx is not page-aligned (4096)",
				op->args[MP_ADDR].i);
	if (check_expect_names(ld, op, MP_EXPECT, at, false))
		return -1;
	return check_bar(ld, op, MP_BAR, MP_EXPECT, at, key);
}

static void op_vfio_pci_mmap(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	struct pci_sc_dev *d = op_dev(x, op);
	struct mm_struct *mm = sc_mm_of(x->run, a[MP_PROC].ref);
	int bar = a[MP_BAR].set ? a[MP_BAR].i : 0;
	unsigned long off = a[MP_OFF].set ? a[MP_OFF].i : 0;
	unsigned long len, ret;

	if (!d || !mm)
		return;
	if (a[MP_LEN].set)
		len = a[MP_LEN].i;
	else if (bar < d->pdev.nr_bars && off < pci_resource_len(&d->pdev, bar))
		len = pci_resource_len(&d->pdev, bar) - off;
	else
		len = PAGE_SIZE;
	ret = vfio_pci_mmap_bar(&d->vdev, mm, bar,
				a[MP_ADDR].set ? a[MP_ADDR].i : 0, len, off,
				a[MP_ADDR].set);
	trace_eventf(x->w, "vfio_pci_mmap %s BAR%d +%#lx len %#lx = %#lx",
		     sc_obj_name(x, op, MP_DEV), bar, off, len, ret);
	check_errno(x, op, a[MP_EXPECT].set ? a[MP_EXPECT].s : NULL,
		    "vfio_pci_mmap", (long)ret);
	if (!IS_ERR_VALUE(ret) && a[MP_AS].set)
		sc_mm_region_set(x, op, a[MP_AS].s, ret, PAGE_ALIGN(len));
}

/* ---- pci_config_write, pci_reset, pci_set_power ---- */

enum { CW_DEV, CW_COMMAND, CW_EXPECT };

/* "memory|io|master", "none" or a number: the COMMAND value, or -1 */
static long command_bits(const char *s)
{
	static const struct {
		const char *name;
		unsigned bit;
	} bits[] = { { "memory", PCI_COMMAND_MEMORY },
		     { "io", PCI_COMMAND_IO },
		     { "master", PCI_COMMAND_MASTER } };
	long v = 0;
	char *end;
	unsigned i;

	if (!strcmp(s, "none") || !strcmp(s, "0"))
		return 0;
	if (*s >= '0' && *s <= '9') {
		v = strtol(s, &end, 0);
		return *end || v < 0 || v > 0xffff ? -1 : v;
	}
	while (*s) {
		size_t n = strcspn(s, "|");

		for (i = 0; i < ARRAY_SIZE(bits); i++)
			if (strlen(bits[i].name) == n &&
			    !strncmp(s, bits[i].name, n))
				break;
		if (i == ARRAY_SIZE(bits))
			return -1;
		v |= bits[i].bit;
		s += n + (s[n] == '|');
	}
	return v;
}

static int config_check(struct sc_loader *ld, const struct sc_op *op,
			const struct sc_node *key,
			const struct sc_node *const *at)
{
	if (command_bits(op->args[CW_COMMAND].s) < 0)
		return sc_error(
			ld, at[CW_COMMAND],
			"'command': '%s' is not none, a number or bits memory|io|master",
			op->args[CW_COMMAND].s);
	return check_expect_names(ld, op, CW_EXPECT, at, false);
}

static void op_pci_config_write(struct sc_ctx *x, const struct sc_op *op)
{
	struct pci_sc_dev *d = op_dev(x, op);
	long cmd = command_bits(op->args[CW_COMMAND].s);

	if (!d)
		return;
	check_errno(x, op,
		    op->args[CW_EXPECT].set ? op->args[CW_EXPECT].s : NULL,
		    "pci_config_write",
		    vfio_pci_config_write_command(&d->vdev, cmd));
}

static void op_pci_reset(struct sc_ctx *x, const struct sc_op *op)
{
	struct pci_sc_dev *d = op_dev(x, op);

	if (!d)
		return;
	check_errno(x, op, op->args[1].set ? op->args[1].s : NULL, "pci_reset",
		    vfio_pci_core_reset(&d->vdev));
}

enum { PW_DEV, PW_STATE, PW_EXPECT };

static int power_state_of(const char *s)
{
	if (!strcmp(s, "D0"))
		return PCI_D0;
	if (!strcmp(s, "D3hot"))
		return PCI_D3hot;
	return -1;
}

static int power_check(struct sc_loader *ld, const struct sc_op *op,
		       const struct sc_node *key,
		       const struct sc_node *const *at)
{
	if (power_state_of(op->args[PW_STATE].s) < 0)
		return sc_error(ld, at[PW_STATE],
				"'state': '%s' is not D0 or D3hot",
				op->args[PW_STATE].s);
	return check_expect_names(ld, op, PW_EXPECT, at, false);
}

static void op_pci_set_power(struct sc_ctx *x, const struct sc_op *op)
{
	struct pci_sc_dev *d = op_dev(x, op);

	if (!d)
		return;
	check_errno(x, op,
		    op->args[PW_EXPECT].set ? op->args[PW_EXPECT].s : NULL,
		    "pci_set_power",
		    vfio_pci_config_write_power(
			    &d->vdev, power_state_of(op->args[PW_STATE].s)));
}

/* ---- vfio_pci_bar_read / vfio_pci_bar_write ---- */

enum { BR_DEV, BR_BAR, BR_OFF, BR_EXPECT, BR_VALUE };

static int bar_rw_check(struct sc_loader *ld, const struct sc_op *op,
			const struct sc_node *key,
			const struct sc_node *const *at)
{
	bool is_read = !strcmp(op->type->name, "vfio_pci_bar_read");
	const struct sc_object *o = sc_loader_object(ld, op->args[BR_DEV].ref);
	const struct pci_sc_cfg *cfg = o ? o->cfg : NULL;
	long bar = op->args[BR_BAR].set ? op->args[BR_BAR].i : 0;
	long off = op->args[BR_OFF].set ? op->args[BR_OFF].i : 0;

	if (off & 7)
		return sc_error(ld, at[BR_OFF],
				"'offset': %#lx is not 8-byte aligned", off);
	if (check_expect_names(ld, op, BR_EXPECT, at, is_read) ||
	    check_bar(ld, op, BR_BAR, BR_EXPECT, at, key))
		return -1;
	if (cfg && bar < cfg->nr_bars && !errno_of(op->args[BR_EXPECT].s) &&
	    (unsigned long)off >= cfg->bars[bar] << PAGE_SHIFT)
		return sc_error(
			ld, at[BR_OFF],
			"'offset': %#lx is past the end of BAR%ld (%#lx bytes)",
			off, bar, cfg->bars[bar] << PAGE_SHIFT);
	return 0;
}

static void bar_rw(struct sc_ctx *x, const struct sc_op *op, bool write)
{
	static const char *const outcomes[] = { "ok", "EIO", "EINVAL", NULL };
	const struct sc_arg *a = op->args;
	struct pci_sc_dev *d = op_dev(x, op);
	int bar = a[BR_BAR].set ? a[BR_BAR].i : 0;
	unsigned long off = a[BR_OFF].set ? a[BR_OFF].i : 0;
	const char *e = a[BR_EXPECT].set ? a[BR_EXPECT].s : "any";
	uint64_t v = write ? (uint64_t)a[BR_VALUE].i : 0;
	long ret;

	if (!d)
		return;
	ret = vfio_pci_bar_rw(&d->vdev, bar, off, &v, write);
	if (ret > 0)
		ret = 0;
	if (*e == '-')
		e++;
	sc_check_expect(x, op, e, ret ? errno_name(ret) : "ok", (int)ret, v,
			outcomes, "%s of BAR%d offset %#lx", op->type->name,
			bar, off);
}

static void op_bar_read(struct sc_ctx *x, const struct sc_op *op)
{
	bar_rw(x, op, false);
}

static void op_bar_write(struct sc_ctx *x, const struct sc_op *op)
{
	bar_rw(x, op, true);
}

#define PCIDEV                                              \
	{                                                   \
		"device", SCP_REF, true, "pci_device", 0, 0 \
	}
#define EXPECT                                          \
	{                                               \
		"expect", SCP_STRING, false, NULL, 0, 0 \
	}
#define BAR_PARAM                                                        \
	{                                                                \
		"bar", SCP_INT, false, NULL, 0, VFIO_PCI_NUM_REGIONS - 1 \
	}

static const struct scenario_op_type pci_ops[] = {
	{ .name = "vfio_pci_mmap",
	  .help = "mmap(2) BAR `bar` of the device file into `proc` (shared, read|write)",
	  .params = { PCIDEV,
		      { "proc", SCP_REF, true, "process", 0, 0 },
		      BAR_PARAM,
		      { "offset", SCP_INT, false, NULL, 0,
			(long)VFIO_PCI_OFFSET_MASK },
		      { "len", SCP_INT, false, NULL, 1, (long)TASK_SIZE },
		      { "addr", SCP_INT, false, NULL, 0, (long)TASK_SIZE },
		      { "as", SCP_STRING, false, NULL, 0, 0 },
		      EXPECT },
	  .exec = op_vfio_pci_mmap,
	  .check = mmap_check },
	{ .name = "pci_config_write",
	  .help = "the user writes the device's COMMAND register (memory|io|master, none)",
	  .params = { PCIDEV,
		      { "command", SCP_STRING, true, NULL, 0, 0 },
		      EXPECT },
	  .exec = op_pci_config_write,
	  .check = config_check },
	{ .name = "pci_reset",
	  .help = "VFIO_DEVICE_RESET: zap, memory_lock, function-level reset",
	  .params = { PCIDEV, EXPECT },
	  .exec = op_pci_reset },
	{ .name = "pci_set_power",
	  .help = "the user moves the device to D0 or D3hot (PCI_PM_CTRL)",
	  .params = { PCIDEV,
		      { "state", SCP_STRING, true, NULL, 0, 0 },
		      EXPECT },
	  .exec = op_pci_set_power,
	  .check = power_check },
	{ .name = "vfio_pci_bar_read",
	  .help = "pread(2) of one word of a BAR through the device file",
	  .params = { PCIDEV,
		      BAR_PARAM,
		      { "offset", SCP_INT, false, NULL, 0,
			(long)VFIO_PCI_OFFSET_MASK },
		      EXPECT },
	  .exec = op_bar_read,
	  .check = bar_rw_check },
	{ .name = "vfio_pci_bar_write",
	  .help = "pwrite(2) of one word of a BAR through the device file",
	  .params = { PCIDEV,
		      BAR_PARAM,
		      { "offset", SCP_INT, false, NULL, 0,
			(long)VFIO_PCI_OFFSET_MASK },
		      EXPECT,
		      { "value", SCP_INT, true, NULL, LONG_MIN, LONG_MAX } },
	  .exec = op_bar_write,
	  .check = bar_rw_check },
	{ .name = NULL },
};

/* ---- final-check values ---- */

static struct pci_sc_dev *value_dev(struct sc_run *run, const struct sc_arg *a)
{
	struct pci_sc_dev *d = run->obj[a[0].ref];

	return d->bound ? d : NULL;
}

static long decode_value(struct sc_run *run, const struct sc_arg *a)
{
	struct pci_sc_dev *d = value_dev(run, a);

	return d && __pci_memory_enabled(&d->pdev);
}

static long faults_value(struct sc_run *run, const struct sc_arg *a)
{
	struct pci_sc_dev *d = value_dev(run, a);

	return d ? (long)d->vdev.nr_faults : -1;
}

static long sigbus_value(struct sc_run *run, const struct sc_arg *a)
{
	struct pci_sc_dev *d = value_dev(run, a);

	return d ? (long)d->vdev.nr_sigbus : -1;
}

static long zaps_value(struct sc_run *run, const struct sc_arg *a)
{
	struct pci_sc_dev *d = value_dev(run, a);

	return d ? (long)d->vdev.nr_zaps : -1;
}

static const struct scenario_value_type pci_values[] = {
	{ .name = "pci_decode", .params = { PCIDEV }, .eval = decode_value },
	{ .name = "vfio_pci_faults",
	  .params = { PCIDEV },
	  .eval = faults_value },
	{ .name = "vfio_pci_sigbus",
	  .params = { PCIDEV },
	  .eval = sigbus_value },
	{ .name = "vfio_pci_zaps", .params = { PCIDEV }, .eval = zaps_value },
	{ .name = NULL },
};

static const char *const pci_violations[] = {
	"mmio-while-disabled", "stale-tlb",	 "bad-pte",	   "value",
	"unexpected-errno",    "syscall-failed", "scenario-error", NULL,
};

const struct scenario_subsys sc_pci_subsys = {
	.name = "pci",
	.kinds = pci_kinds,
	.ops = pci_ops,
	.values = pci_values,
	.violations = pci_violations,
	.run_init = pci_run_init,
};
