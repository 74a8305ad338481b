// SPDX-License-Identifier: MIT
/*
 * The KVM scenario subsystem: VMs over a process's memory (src/kvm) in
 * scenario files.
 *
 *   world:  vms: {NAME: {proc: P, vcpus: N (1..4, default 1),
 *                        nx_ratio: R (default 60), slots: [SLOT...]}}
 *           SLOT = {slot: ID, gpa: G, size: S, addr: HVA,
 *                   flags: none|log_dirty|readonly|log_dirty+readonly,
 *                   huge: BOOL}
 *           The VM is created (registering its mmu_notifier on P's mm)
 *           and its slots set with KVM_SET_USER_MEMORY_REGION before the
 *           agents start; the HVA need not be mapped yet.  A slot Linux
 *           refuses is a "scenario-error" naming the errno.
 *   ops:    guest_read / guest_write (vCPU `vcpu` of `vm` accesses one
 *           word at `gpa`; `exec: true` makes a read an instruction
 *           fetch), kvm_set_memslot, kvm_nx_recover, kvm_zap_gfn,
 *           kvm_get_dirty_log, kvm_clear_dirty_log, kvm_gpc_activate,
 *           kvm_gpc_read
 *   final:  kvm_sptes VM (present leaf SPTEs), kvm_nx_splits VM
 *
 * `expect` is any (the default), ok, MMIO (the access exited to
 * userspace: no memslot, or a write to a read-only slot), an errno
 * (EFAULT, EINVAL, EEXIST, ENOENT, EBUSY) or, for reads and
 * kvm_get_dirty_log, the value (the first 64 bits of the bitmap).
 *
 * At the end of every execution the SPTEs are checked against the host
 * page table ("kvm-stale-spte"), then the VM is destroyed, before the
 * mm subsystem tears the processes down.
 *
 * Locking: the ops call src/kvm, which takes its own locks; the
 * per-execution state is written only by run_init, before the agents.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "kvm/kvm_host.h"
#include "scenario.h"

#define KVM_SC_MAX_SLOTS 4

struct kvm_slot_cfg {
	long slot, gpa, size, addr, flags;
	bool huge;
};

struct kvm_vm_cfg {
	const struct sc_node *proc_node;
	int proc;
	long vcpus, nx_ratio;
	struct kvm_slot_cfg slots[KVM_SC_MAX_SLOTS];
	int nr_slots;
};

struct kvm_inst {
	struct kvm *kvm;
	struct gfn_to_pfn_cache gpc;
};

static const char *const kvm_outcomes[] = { "ok",     "MMIO",	"EFAULT",
					    "EINVAL", "EEXIST", "ENOENT",
					    "EBUSY",  NULL };

static const char *kvm_outcome(int ret)
{
	switch (ret) {
	case 0:
		return "ok";
	case KVM_EXIT_MMIO_ERR:
		return "MMIO";
	case -EFAULT:
		return "EFAULT";
	case -EINVAL:
		return "EINVAL";
	case -EEXIST:
		return "EEXIST";
	case -ENOENT:
		return "ENOENT";
	default:
		return "EBUSY";
	}
}

/* ---- world: vms ---- */

static int parse_flags(struct sc_loader *ld, const struct sc_node *v,
		       long *flags)
{
	const char *s = sc_str(v);

	if (!strcmp(s, "none"))
		*flags = 0;
	else if (!strcmp(s, "log_dirty"))
		*flags = KVM_MEM_LOG_DIRTY_PAGES;
	else if (!strcmp(s, "readonly"))
		*flags = KVM_MEM_READONLY;
	else if (!strcmp(s, "log_dirty+readonly"))
		*flags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
	else
		return sc_error(
			ld, v,
			"'flags': '%s' is not none, log_dirty, readonly or log_dirty+readonly",
			s);
	return 0;
}

static int parse_slot(struct sc_loader *ld, const struct sc_node *n,
		      struct kvm_slot_cfg *c)
{
	bool have_size = false, have_addr = false;
	int i;

	if (!sc_is_map(n))
		return sc_error(
			ld, n,
			"a memslot must be a map {slot, gpa, size, addr, flags, huge}");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);
		const char *key = sc_str(k);
		long b;

		if (!strcmp(key, "slot")) {
			if (sc_get_int(ld, v, 0, 65535, "'slot'", &c->slot))
				return -1;
		} else if (!strcmp(key, "gpa")) {
			if (sc_get_int(ld, v, 0, LONG_MAX, "'gpa'", &c->gpa))
				return -1;
		} else if (!strcmp(key, "size")) {
			if (sc_get_int(ld, v, 0, LONG_MAX, "'size'", &c->size))
				return -1;
			have_size = true;
		} else if (!strcmp(key, "addr")) {
			if (sc_get_int(ld, v, 0, LONG_MAX, "'addr'", &c->addr))
				return -1;
			have_addr = true;
		} else if (!strcmp(key, "flags")) {
			if (parse_flags(ld, v, &c->flags))
				return -1;
		} else if (!strcmp(key, "huge")) {
			if (strcmp(sc_str(v), "true") &&
			    strcmp(sc_str(v), "false"))
				return sc_error(ld, v,
						"'huge' must be true or false");
			b = !strcmp(sc_str(v), "true");
			c->huge = b;
		} else {
			return sc_error(
				ld, k,
				"unknown key '%s' in a memslot (slot, gpa, size, addr, flags, huge)",
				key);
		}
	}
	if (!have_size || !have_addr)
		return sc_error(ld, n, "a memslot needs 'size' and 'addr'");
	return 0;
}

static int vm_parse(struct sc_loader *ld, struct sc_object *o,
		    const struct sc_node *n)
{
	struct kvm_vm_cfg *cfg = sc_alloc(ld, sizeof(*cfg));
	int i, j;

	if (!sc_is_map(n))
		return sc_error(
			ld, n,
			"a vm's settings must be a map {proc, vcpus, nx_ratio, slots}");
	cfg->vcpus = 1;
	cfg->nx_ratio = 60;
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);

		if (!strcmp(sc_str(k), "proc")) {
			cfg->proc_node = v;
		} else if (!strcmp(sc_str(k), "vcpus")) {
			if (sc_get_int(ld, v, 1, KVM_MAX_VCPUS, "'vcpus'",
				       &cfg->vcpus))
				return -1;
		} else if (!strcmp(sc_str(k), "nx_ratio")) {
			if (sc_get_int(ld, v, 0, 1000, "'nx_ratio'",
				       &cfg->nx_ratio))
				return -1;
		} else if (!strcmp(sc_str(k), "slots")) {
			if (!sc_is_seq(v))
				return sc_error(
					ld, v,
					"'slots' must be a list of memslots");
			if (sc_len(v) > KVM_SC_MAX_SLOTS)
				return sc_error(ld, v,
						"at most %d memslots in a vm",
						KVM_SC_MAX_SLOTS);
			for (j = 0; j < sc_len(v); j++)
				if (parse_slot(ld, sc_seq_item(v, j),
					       &cfg->slots[j]))
					return -1;
			cfg->nr_slots = sc_len(v);
		} else {
			return sc_error(
				ld, k,
				"unknown key '%s' in a vm (proc, vcpus, nx_ratio, slots)",
				sc_str(k));
		}
	}
	if (!cfg->proc_node)
		return sc_error(ld, n, "a vm needs 'proc'");
	o->cfg = cfg;
	return 0;
}

static int vm_resolve(struct sc_loader *ld, struct sc_object *o)
{
	struct kvm_vm_cfg *cfg = o->cfg;

	if (!cfg)
		return sc_error_at(ld, o->line, o->col,
				   "a vm needs settings {proc, slots}");
	return sc_get_ref(ld, cfg->proc_node, "vm", "process", &cfg->proc);
}

static const struct scenario_obj_kind kvm_kinds[] = {
	{ .kind = "vm",
	  .world_key = "vms",
	  .size = sizeof(struct kvm_inst),
	  .parse = vm_parse,
	  .resolve = vm_resolve },
	{ .kind = NULL },
};

static bool has_vms(const struct scenario *sc)
{
	int i;

	for (i = 0; i < sc->nr_objs; i++)
		if (sc->objs[i].kind == &kvm_kinds[0])
			return true;
	return false;
}

static void *kvm_run_init(struct sc_run *run, const void *unused)
{
	const struct scenario *sc = run->sc;
	int i, j, ret;

	if (!has_vms(sc))
		return NULL;
	for (i = 0; i < sc->nr_objs; i++) {
		const struct kvm_vm_cfg *cfg = sc->objs[i].cfg;
		struct kvm_inst *vi = run->obj[i];
		struct mm_struct *mm;
		struct kvm *kvm;

		if (sc->objs[i].kind != &kvm_kinds[0])
			continue;
		vi->kvm = NULL;
		mm = sc_mm_of(run, cfg->proc);
		kvm = mm ? kvm_create_vm(mm, cfg->vcpus) : ERR_PTR(-ENOMEM);
		if (IS_ERR(kvm)) {
			report_add(run->w, "scenario-error",
				   "vm '%s' (line %d): cannot create: %ld\n",
				   sc->objs[i].name, sc->objs[i].line,
				   PTR_ERR(kvm));
			continue;
		}
		kvm->nx_huge_pages_recovery_ratio = cfg->nx_ratio;
		for (j = 0; j < cfg->nr_slots; j++) {
			const struct kvm_slot_cfg *s = &cfg->slots[j];

			ret = kvm_set_memory_region(kvm, s->slot, s->flags,
						    s->gpa, s->size, s->addr);
			if (!ret && s->huge)
				ret = kvm_memslot_set_huge(kvm, s->slot, true);
			if (ret)
				report_add(
					run->w, "scenario-error",
					"vm '%s' (line %d): memslot %ld: KVM_SET_USER_MEMORY_REGION returns %s\n",
					sc->objs[i].name, sc->objs[i].line,
					s->slot, kvm_outcome(ret));
		}
		kvm_gpc_init(&vi->gpc, kvm);
		vi->kvm = kvm;
	}
	return run;
}

static void kvm_run_check(struct sc_run *run, void *state)
{
	const struct scenario *sc = run->sc;
	int i;

	if (!state)
		return;
	for (i = 0; i < sc->nr_objs; i++) {
		struct kvm_inst *vi = run->obj[i];

		if (sc->objs[i].kind != &kvm_kinds[0] || !vi->kvm)
			continue;
		kvm_check_quiescent(vi->kvm);
		kvm_destroy_vm(vi->kvm);
		vi->kvm = NULL;
	}
}

/* ---- ops ---- */

enum { KV_VM, KV_EXPECT, KV_A, KV_B, KV_C, KV_D, KV_E };

static int kvm_check_op(struct sc_loader *ld, const struct sc_op *op,
			const struct sc_node *key,
			const struct sc_node *const *at)
{
	const char *e = op->args[KV_EXPECT].s;
	const char *const *o;
	char *end;

	if (!strcmp(op->type->name, "kvm_set_memslot") && op->args[KV_E].set) {
		const char *f = op->args[KV_E].s;

		if (strcmp(f, "none") && strcmp(f, "log_dirty") &&
		    strcmp(f, "readonly") && strcmp(f, "log_dirty+readonly"))
			return sc_error(
				ld, at[KV_E],
				"'flags': '%s' is not none, log_dirty, readonly or log_dirty+readonly",
				f);
	}
	if (e && (!strcmp(op->type->name, "kvm_nx_recover") ||
		  !strcmp(op->type->name, "kvm_zap_gfn")))
		return sc_error(ld, at[KV_EXPECT],
				"'%s' returns nothing: it takes no 'expect'",
				op->type->name);
	if (!e || !strcmp(e, "any"))
		return 0;
	for (o = kvm_outcomes; *o; o++)
		if (!strcmp(e, *o))
			return 0;
	strtoull(e, &end, 0);
	if (*e && *e != '-' && !*end)
		return 0;
	return sc_error(
		ld, at[KV_EXPECT],
		"'%s' parameter 'expect': '%s' is not any, ok, MMIO, a value or one of EFAULT, EINVAL, EEXIST, ENOENT, EBUSY",
		op->type->name, e);
}

static struct kvm *op_kvm(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm_inst *vi = sc_obj(x, op, KV_VM);

	if (!vi->kvm)
		report_add(x->w, "scenario-error",
			   "line %d: vm '%s' was not created\n", op->line,
			   sc_obj_name(x, op, KV_VM));
	return vi->kvm;
}

static const char *op_expect(const struct sc_op *op)
{
	return op->args[KV_EXPECT].set ? op->args[KV_EXPECT].s : "any";
}

static void guest_access(struct sc_ctx *x, const struct sc_op *op, bool write)
{
	struct kvm *kvm = op_kvm(x, op);
	long vcpu = op->args[KV_A].set ? op->args[KV_A].i : 0;
	gpa_t gpa = op->args[KV_B].i;
	uint64_t v = write ? (uint64_t)op->args[KV_C].i : 0;
	bool exec = !write && op->args[KV_C].set && op->args[KV_C].i;
	int ret;

	if (!kvm)
		return;
	if (vcpu >= kvm->nr_vcpus) {
		report_add(x->w, "scenario-error",
			   "line %d: vm '%s' has no vcpu %ld\n", op->line,
			   sc_obj_name(x, op, KV_VM), vcpu);
		return;
	}
	ret = kvm_vcpu_guest_access(&kvm->vcpus[vcpu], gpa, write, exec, &v);
	trace_eventf(x->w, "vm %s vcpu%ld %s gpa %#lx = %s/%llu",
		     sc_obj_name(x, op, KV_VM), vcpu,
		     write ? "write" :
		     exec  ? "fetch" :
			     "read",
		     gpa, kvm_outcome(ret), (unsigned long long)v);
	sc_check_expect(x, op, op_expect(op), kvm_outcome(ret), ret, v,
			kvm_outcomes, "guest %s of gpa %#lx",
			write ? "write" : "read", gpa);
}

static void op_guest_read(struct sc_ctx *x, const struct sc_op *op)
{
	guest_access(x, op, false);
}

static void op_guest_write(struct sc_ctx *x, const struct sc_op *op)
{
	guest_access(x, op, true);
}

static void op_set_memslot(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm *kvm = op_kvm(x, op);
	long flags = 0;
	int ret;

	if (!kvm)
		return;
	if (op->args[KV_E].set) {
		const char *f = op->args[KV_E].s;

		flags = !strcmp(f, "log_dirty") ? KVM_MEM_LOG_DIRTY_PAGES :
			!strcmp(f, "readonly")	? KVM_MEM_READONLY :
			!strcmp(f, "log_dirty+readonly") ?
						 KVM_MEM_LOG_DIRTY_PAGES |
							 KVM_MEM_READONLY :
						 0;
	}
	ret = kvm_set_memory_region(kvm, op->args[KV_A].i, flags,
				    op->args[KV_B].i, op->args[KV_C].i,
				    op->args[KV_D].set ? op->args[KV_D].i : 0);
	trace_eventf(x->w, "vm %s KVM_SET_USER_MEMORY_REGION slot %ld: %s",
		     sc_obj_name(x, op, KV_VM), op->args[KV_A].i,
		     kvm_outcome(ret));
	sc_check_expect(x, op, op_expect(op), kvm_outcome(ret), ret, 0,
			kvm_outcomes, "KVM_SET_USER_MEMORY_REGION of slot %ld",
			op->args[KV_A].i);
}

static void op_nx_recover(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm *kvm = op_kvm(x, op);

	if (kvm)
		kvm_recover_nx_huge_pages(kvm);
}

static void op_zap_gfn(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm *kvm = op_kvm(x, op);
	gfn_t start = op->args[KV_A].i >> PAGE_SHIFT;

	if (kvm)
		kvm_zap_gfn_range(kvm, start,
				  start + (op->args[KV_B].i >> PAGE_SHIFT));
}

static void op_get_dirty_log(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm *kvm = op_kvm(x, op);
	unsigned long bitmap[1] = { 0 };
	int ret;

	if (!kvm)
		return;
	ret = kvm_get_dirty_log(kvm, op->args[KV_A].i, bitmap, 1);
	sc_check_expect(x, op, op_expect(op), kvm_outcome(ret), ret, bitmap[0],
			kvm_outcomes, "KVM_GET_DIRTY_LOG of slot %ld",
			op->args[KV_A].i);
}

static void op_clear_dirty_log(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm *kvm = op_kvm(x, op);
	int ret;

	if (!kvm)
		return;
	ret = kvm_clear_dirty_log(kvm, op->args[KV_A].i, op->args[KV_B].i,
				  op->args[KV_C].i);
	sc_check_expect(x, op, op_expect(op), kvm_outcome(ret), ret, 0,
			kvm_outcomes, "KVM_CLEAR_DIRTY_LOG of slot %ld",
			op->args[KV_A].i);
}

static void op_gpc_activate(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm_inst *vi = sc_obj(x, op, KV_VM);
	int ret;

	if (!op_kvm(x, op))
		return;
	ret = kvm_gpc_activate(&vi->gpc, op->args[KV_A].i);
	sc_check_expect(x, op, op_expect(op), kvm_outcome(ret), ret, 0,
			kvm_outcomes, "pfn cache activation at gpa %#lx",
			op->args[KV_A].i);
}

static void op_gpc_read(struct sc_ctx *x, const struct sc_op *op)
{
	struct kvm_inst *vi = sc_obj(x, op, KV_VM);
	uint64_t v = 0;
	int ret;

	if (!op_kvm(x, op))
		return;
	ret = kvm_gpc_read(&vi->gpc, op->args[KV_A].set ? op->args[KV_A].i : 0,
			   &v);
	sc_check_expect(x, op, op_expect(op), kvm_outcome(ret), ret, v,
			kvm_outcomes, "pfn cache read");
}

#define VM                                      \
	{                                       \
		"vm", SCP_REF, true, "vm", 0, 0 \
	}
#define EXPECT                                          \
	{                                               \
		"expect", SCP_STRING, false, NULL, 0, 0 \
	}
#define VCPU                                                       \
	{                                                          \
		"vcpu", SCP_INT, false, NULL, 0, KVM_MAX_VCPUS - 1 \
	}
#define GPA(req)                                       \
	{                                              \
		"gpa", SCP_INT, req, NULL, 0, LONG_MAX \
	}

static const struct scenario_op_type kvm_ops[] = {
	{ .name = "guest_read",
	  .help = "vCPU vcpu of vm reads the word at gpa (exec: a fetch)",
	  .params = { VM,
		      EXPECT,
		      VCPU,
		      GPA(true),
		      { "exec", SCP_BOOL, false, NULL, 0, 0 } },
	  .exec = op_guest_read,
	  .check = kvm_check_op },
	{ .name = "guest_write",
	  .help = "vCPU vcpu of vm writes value to the word at gpa",
	  .params = { VM,
		      EXPECT,
		      VCPU,
		      GPA(true),
		      { "value", SCP_INT, true, NULL, LONG_MIN, LONG_MAX } },
	  .exec = op_guest_write,
	  .check = kvm_check_op },
	{ .name = "kvm_set_memslot",
	  .help = "KVM_SET_USER_MEMORY_REGION: slot, gpa, size (0 deletes), addr, flags",
	  .params = { VM,
		      EXPECT,
		      { "slot", SCP_INT, true, NULL, 0, 65535 },
		      GPA(false),
		      { "size", SCP_INT, true, NULL, 0, LONG_MAX },
		      { "addr", SCP_INT, false, NULL, 0, LONG_MAX },
		      { "flags", SCP_STRING, false, NULL, 0, 0 } },
	  .exec = op_set_memslot,
	  .check = kvm_check_op },
	{ .name = "kvm_nx_recover",
	  .help = "one pass of the NX huge page recovery worker",
	  .params = { VM, EXPECT },
	  .exec = op_nx_recover,
	  .check = kvm_check_op },
	{ .name = "kvm_zap_gfn",
	  .help = "kvm_zap_gfn_range of [gpa, gpa + size) with a ranged flush",
	  .params = { VM,
		      EXPECT,
		      GPA(true),
		      { "size", SCP_INT, true, NULL, 1, LONG_MAX } },
	  .exec = op_zap_gfn,
	  .check = kvm_check_op },
	{ .name = "kvm_get_dirty_log",
	  .help = "KVM_GET_DIRTY_LOG of slot; expect the first 64 bits",
	  .params = { VM, EXPECT, { "slot", SCP_INT, true, NULL, 0, 65535 } },
	  .exec = op_get_dirty_log,
	  .check = kvm_check_op },
	{ .name = "kvm_clear_dirty_log",
	  .help = "KVM_CLEAR_DIRTY_LOG of slot pages [first, first + num)",
	  .params = { VM,
		      EXPECT,
		      { "slot", SCP_INT, true, NULL, 0, 65535 },
		      { "first", SCP_INT, true, NULL, 0, LONG_MAX },
		      { "num", SCP_INT, true, NULL, 0, LONG_MAX } },
	  .exec = op_clear_dirty_log,
	  .check = kvm_check_op },
	{ .name = "kvm_gpc_activate",
	  .help = "activate the vm's gfn=>pfn cache at gpa (and refresh it)",
	  .params = { VM, EXPECT, GPA(true) },
	  .exec = op_gpc_activate,
	  .check = kvm_check_op },
	{ .name = "kvm_gpc_read",
	  .help = "KVM reads a word through the pfn cache (refreshing it)",
	  .params = { VM,
		      EXPECT,
		      { "offset", SCP_INT, false, NULL, 0, PAGE_SIZE - 8 } },
	  .exec = op_gpc_read,
	  .check = kvm_check_op },
	{ .name = NULL },
};

/* ---- final values ---- */

static long sptes_value(struct sc_run *run, const struct sc_arg *a)
{
	struct kvm_inst *vi = run->obj[a[0].ref];

	return vi->kvm ? (long)kvm_tdp_mmu_nr_present(vi->kvm) : -1;
}

static long nx_splits_value(struct sc_run *run, const struct sc_arg *a)
{
	struct kvm_inst *vi = run->obj[a[0].ref];

	return vi->kvm ? (long)vi->kvm->nx_lpage_splits : -1;
}

static const struct scenario_value_type kvm_values[] = {
	{ .name = "kvm_sptes", .params = { VM }, .eval = sptes_value },
	{ .name = "kvm_nx_splits", .params = { VM }, .eval = nx_splits_value },
	{ .name = NULL },
};

static const char *const kvm_violations[] = {
	"stale-tlb",
	"stale-pfncache",
	"spte-pfn-change",
	"install-in-invalidation",
	"pgtable-use-after-free",
	"tdp-yield-pending-flush",
	"kvm-missed-dirty",
	"kvm-stale-spte",
	"kvm-bug",
	"value",
	"scenario-error",
	NULL,
};

const struct scenario_subsys sc_kvm_subsys = {
	.name = "kvm",
	.kinds = kvm_kinds,
	.ops = kvm_ops,
	.values = kvm_values,
	.violations = kvm_violations,
	.run_init = kvm_run_init,
	.run_check = kvm_run_check,
};
