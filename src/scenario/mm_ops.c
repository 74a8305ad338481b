// SPDX-License-Identifier: MIT
/*
 * The mm scenario subsystem: the primary MMU in scenario files.
 *
 *   world:  cpus: N (default 2); memory: {frames: N} (default 4096);
 *           files: tmpfs files, `[{name: F, size: BYTES}]` or
 *           `{F: {size: BYTES}}`; processes: address spaces, `[P, ...]`;
 *           inject: test-only fault injections (struct mm_inject), by
 *           name, for scenarios that show the checker catching a
 *           missing flush
 *   ops:    mmap, munmap, mprotect, madvise, mremap, fork (the
 *           syscalls of src/mm, in the process named by `proc`),
 *           truncate and file_write (a file), read and write (a CPU's
 *           access to a process's address, through its TLB and the
 *           fault handler), reclaim (a kswapd pass with a batched
 *           TLB flush), clear_refs (writing to /proc/PID/clear_refs,
 *           4 = soft-dirty by default), soft_dirty (pagemap's bit 55
 *           of an address, compared with `expect: true|false`),
 *           migrate (one page to a new frame) and ksm_merge
 *           (ksmd merging two identical pages)
 *   final:  word P WHERE, present P WHERE, rss P, frames_in_use
 *
 * Addresses are given as `addr`, or as `region` (+ `offset`): `mmap`
 * and `mremap` name what they map with `as: NAME`; `mremap` of a region
 * moves the name with it.  Syscalls take `expect: ok` (the default) or an
 * errno name (`EINVAL`); accesses take `expect: any` (the default), a
 * number, `sigsegv`, `sigbus` or `fault` (either).
 *
 * Simplifications: prot, flags, advice, errno names and region names are
 * checked when the op runs, not when the file loads: a bad one reports
 * `scenario-error` naming the line.  Every process starts with an empty
 * address space; `fork` replaces the child's with a copy of the
 * parent's.  Files are tmpfs (src/mm/shmem.c).
 *
 * Locking: the ops are the model's syscalls and CPU accesses and take
 * the model's locks; the region table is per execution and written only
 * by ops (one agent at a time under the det engine; the real engine
 * serialises nothing here, so scenarios for it should not race on
 * region names).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/trace.h"
#include "fs/proc_fs.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "scenario.h"

#define MM_SC_MAX_REGIONS 32
#define MM_SC_DEFAULT_FRAMES 4096
#define MM_SC_DEFAULT_CPUS 2

struct mm_sc_cfg {
	long frames;
	long cpus;
	long arch; /* enum world_arch */
	struct mm_inject inject; /* world: inject: [...] */
};

struct mm_sc_file {
	struct file *file;
	long size;
};

struct mm_sc_proc {
	struct mm_struct *mm;
};

struct mm_sc_region {
	const char *name;
	unsigned long addr;
	unsigned long len;
};

struct mm_sc_state {
	struct mm_world *mmw;
	int nr_cpus;
	struct mm_sc_region regions[MM_SC_MAX_REGIONS];
	int nr_regions;
};

enum { MK_FILE, MK_PROCESS };

static int file_parse(struct sc_loader *ld, struct sc_object *o,
		      const struct sc_node *n)
{
	int i;

	if (!sc_is_map(n))
		return sc_error(ld, n,
				"a file's settings must be a map (size)");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);

		if (!strcmp(sc_str(k), "name"))
			continue;
		if (strcmp(sc_str(k), "size"))
			return sc_error(
				ld, k,
				"unknown key '%s' in a file (name, size)",
				sc_str(k));
		if (sc_get_int(ld, sc_map_value(n, i), 0,
			       (long)MAX_FILE_PAGES * PAGE_SIZE, "'size'",
			       &o->value))
			return -1;
	}
	return 0;
}

static int proc_parse(struct sc_loader *ld, struct sc_object *o,
		      const struct sc_node *n)
{
	int i;

	if (!sc_is_map(n))
		return sc_error(ld, n, "a process takes no settings");
	for (i = 0; i < sc_len(n); i++)
		if (strcmp(sc_str(sc_map_key(n, i)), "name"))
			return sc_error(ld, sc_map_key(n, i),
					"unknown key '%s' in a process (name)",
					sc_str(sc_map_key(n, i)));
	return 0;
}

static const struct scenario_obj_kind mm_kinds[] = {
	[MK_FILE] = { .kind = "file",
		      .world_key = "files",
		      .size = sizeof(struct mm_sc_file),
		      .parse = file_parse },
	[MK_PROCESS] = { .kind = "process",
			 .world_key = "processes",
			 .size = sizeof(struct mm_sc_proc),
			 .parse = proc_parse },
	{ .kind = NULL },
};

static int cpus_parse(struct sc_loader *ld, void *cfg, const struct sc_node *n)
{
	return sc_get_int(ld, n, 1, MM_MAX_CPUS, "'cpus'",
			  &((struct mm_sc_cfg *)cfg)->cpus);
}

static int memory_parse(struct sc_loader *ld, void *cfg,
			const struct sc_node *n)
{
	int i;

	if (!sc_is_map(n))
		return sc_error(ld, n, "'memory' must be a map (frames)");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);

		if (strcmp(sc_str(k), "frames"))
			return sc_error(ld, k,
					"unknown key '%s' in 'memory' (frames)",
					sc_str(k));
		if (sc_get_int(ld, sc_map_value(n, i), 64, 1L << 24, "'frames'",
			       &((struct mm_sc_cfg *)cfg)->frames))
			return -1;
	}
	return 0;
}

/* `arch: x86 | arm64`: where the two differ (world->arch) */
static int arch_parse(struct sc_loader *ld, void *cfg, const struct sc_node *n)
{
	static const char *const names[] = {
		[WORLD_ARCH_X86] = "x86",
		[WORLD_ARCH_ARM64] = "arm64",
	};
	unsigned i;

	if (!sc_is_scalar(n))
		return sc_error(ld, n, "'arch' must be x86 or arm64");
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(sc_str(n), names[i])) {
			((struct mm_sc_cfg *)cfg)->arch = i;
			return 0;
		}
	return sc_error(ld, n, "unknown arch '%s' (x86 or arm64)", sc_str(n));
}

/*
 * `inject: [munmap_skip_flush, ...]`: the test-only fault injections of
 * struct mm_inject, each breaking one rule the kernel keeps, so that a
 * scenario can show the checker catching what that rule prevents.  They
 * are not policy knobs: no Linux version behaved so.
 */
static int inject_parse(struct sc_loader *ld, void *cfgp,
			const struct sc_node *n)
{
	struct mm_inject *in = &((struct mm_sc_cfg *)cfgp)->inject;
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{ "munmap_skip_flush", offsetof(struct mm_inject, munmap_skip_flush) },
		{ "mprotect_skip_flush", offsetof(struct mm_inject, mprotect_skip_flush) },
		{ "truncate_single_unmap", offsetof(struct mm_inject, truncate_single_unmap) },
		{ "tlb_no_nested_flush", offsetof(struct mm_inject, tlb_no_nested_flush) },
		{ "pgtable_free_no_rcu", offsetof(struct mm_inject, pgtable_free_no_rcu) },
		{ "fork_skip_flush", offsetof(struct mm_inject, fork_skip_flush) },
	};
	int i;
	unsigned j;

	if (!sc_is_seq(n))
		return sc_error(ld, n, "'inject' must be a list of fault injections (munmap_skip_flush, mprotect_skip_flush, truncate_single_unmap, tlb_no_nested_flush, pgtable_free_no_rcu, fork_skip_flush)");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *it = sc_seq_item(n, i);

		for (j = 0; j < ARRAY_SIZE(names); j++)
			if (sc_is_scalar(it) && !strcmp(sc_str(it), names[j].name))
				break;
		if (j == ARRAY_SIZE(names))
			return sc_error(ld, it, "unknown fault injection '%s' (munmap_skip_flush, mprotect_skip_flush, truncate_single_unmap, tlb_no_nested_flush, pgtable_free_no_rcu, fork_skip_flush)",
					sc_is_scalar(it) ? sc_str(it) : "?");
		*(bool *)((char *)in + names[j].off) = true;
	}
	return 0;
}

static const struct scenario_world_key mm_world_keys[] = {
	{ "cpus", cpus_parse },
	{ "memory", memory_parse },
	{ "arch", arch_parse },
	{ "inject", inject_parse },
	{ NULL, NULL },
};

extern const struct scenario_subsys sc_mm_subsys;

static struct mm_sc_state *mm_state(struct sc_run *run)
{
	const struct scenario_subsys *s;
	int i;

	for (i = 0; (s = scenario_subsys_at(i)); i++)
		if (s == &sc_mm_subsys)
			return run->subsys_state[i];
	return NULL;
}

static bool is_mm_kind(const struct sc_object *o)
{
	return o->kind == &mm_kinds[MK_FILE] ||
	       o->kind == &mm_kinds[MK_PROCESS];
}

static void *mm_run_init(struct sc_run *run, const void *cfgp)
{
	const struct mm_sc_cfg *cfg = cfgp;
	const struct scenario *sc = run->sc;
	struct mm_sc_state *st;
	int i;

	run->w->arch = cfg->arch;
	for (i = 0; i < sc->nr_objs; i++)
		if (is_mm_kind(&sc->objs[i]))
			break;
	if (i == sc->nr_objs)
		return NULL; /* no mm objects: no memory model */
	st = arena_alloc(run->w, sizeof(*st));
	st->nr_cpus = cfg->cpus ? cfg->cpus : MM_SC_DEFAULT_CPUS;
	st->mmw = mm_world_get(run->w,
			       cfg->frames ? cfg->frames : MM_SC_DEFAULT_FRAMES,
			       st->nr_cpus);
	if (!st->mmw) {
		run->setup_err = -ENOMEM; /* the frames cannot be reserved */
		return NULL;
	}
	st->mmw->inject = cfg->inject;
	for (i = 0; i < sc->nr_objs; i++) {
		const struct sc_object *o = &sc->objs[i];

		if (o->kind == &mm_kinds[MK_FILE]) {
			struct mm_sc_file *f = run->obj[i];

			f->file = shmem_file_setup(st->mmw, o->value);
			f->size = o->value;
		} else if (o->kind == &mm_kinds[MK_PROCESS]) {
			((struct mm_sc_proc *)run->obj[i])->mm =
				mm_alloc(st->mmw);
		}
	}
	return st;
}

/* quiescent checks, then every process exits: nothing may be left */
static void mm_run_check(struct sc_run *run, void *state)
{
	struct mm_sc_state *st = state;
	const struct scenario *sc = run->sc;
	int i;

	if (!st)
		return;
	mm_check_quiescent(st->mmw);
	for (i = 0; i < st->nr_cpus; i++)
		cpu_idle(mm_cpu(st->mmw, i));
	for (i = 0; i < sc->nr_objs; i++) {
		const struct sc_object *o = &sc->objs[i];

		if (o->kind == &mm_kinds[MK_PROCESS] &&
		    ((struct mm_sc_proc *)run->obj[i])->mm)
			mmput(((struct mm_sc_proc *)run->obj[i])->mm);
		else if (o->kind == &mm_kinds[MK_FILE] &&
			 ((struct mm_sc_file *)run->obj[i])->file)
			fput(((struct mm_sc_file *)run->obj[i])->file);
	}
	/* device MMIO frames (BARs, src/pci) live as long as the world */
	phys_check_leaks(st->mmw->pm, PAGE_STATE_BIT(PAGE_STATE_DEVICE));
}

/* ---- parameter decoding at run time ---- */

#define P_PROC 0 /* every process op has `proc` first */

struct name_val {
	const char *name;
	unsigned long val;
};

static const struct name_val prot_names[] = {
	{ "none", PROT_NONE }, { "read", PROT_READ }, { "write", PROT_WRITE },
	{ "exec", PROT_EXEC }, { NULL, 0 },
};

static const struct name_val map_names[] = {
	{ "shared", MAP_SHARED },
	{ "private", MAP_PRIVATE },
	{ "shared_validate", MAP_SHARED_VALIDATE },
	{ "anonymous", MAP_ANONYMOUS },
	{ "fixed", MAP_FIXED },
	{ "fixed_noreplace", MAP_FIXED_NOREPLACE },
	{ "populate", MAP_POPULATE },
	{ "locked", MAP_LOCKED },
	{ "noreserve", MAP_NORESERVE },
	{ NULL, 0 },
};

static const struct name_val mremap_names[] = {
	{ "maymove", MREMAP_MAYMOVE },
	{ "fixed", MREMAP_FIXED },
	{ "dontunmap", MREMAP_DONTUNMAP },
	{ NULL, 0 },
};

static const struct name_val advice_names[] = {
	{ "normal", MADV_NORMAL },	     { "random", MADV_RANDOM },
	{ "sequential", MADV_SEQUENTIAL },   { "willneed", MADV_WILLNEED },
	{ "dontneed", MADV_DONTNEED },	     { "free", MADV_FREE },
	{ "remove", MADV_REMOVE },	     { "dontfork", MADV_DONTFORK },
	{ "dofork", MADV_DOFORK },	     { "mergeable", MADV_MERGEABLE },
	{ "unmergeable", MADV_UNMERGEABLE }, { "wipeonfork", MADV_WIPEONFORK },
	{ "keeponfork", MADV_KEEPONFORK },   { NULL, 0 },
};

static const struct name_val errno_names[] = {
	{ "ok", 0 },
	{ "EINVAL", EINVAL },
	{ "ENOMEM", ENOMEM },
	{ "EFAULT", EFAULT },
	{ "EPERM", EPERM },
	{ "EEXIST", EEXIST },
	{ "EACCES", EACCES },
	{ "EBADF", EBADF },
	{ "EAGAIN", EAGAIN },
	{ "ENODEV", ENODEV },
	{ "EFBIG", EFBIG },
	{ "EOVERFLOW", EOVERFLOW },
	{ "EOPNOTSUPP", EOPNOTSUPP },
	{ "ENOENT", ENOENT },
	{ "EBUSY", EBUSY },
	{ NULL, 0 },
};

/* "a|b|c" against @tab; false (and a report) on an unknown name */
static bool parse_names(struct sc_ctx *x, const struct sc_op *op,
			const struct name_val *tab, const char *what,
			const char *s, unsigned long *out)
{
	char word[32];

	*out = 0;
	while (s && *s) {
		size_t n = strcspn(s, "|, ");
		int i;

		if (n && n < sizeof(word)) {
			memcpy(word, s, n);
			word[n] = 0;
			for (i = 0; tab[i].name; i++)
				if (!strcmp(tab[i].name, word))
					break;
			if (!tab[i].name) {
				sc_op_error(x, op, what, word);
				return false;
			}
			*out |= tab[i].val;
		} else if (n) {
			sc_op_error(x, op, what, s);
			return false;
		}
		s += n;
		s += strspn(s, "|, ");
	}
	return true;
}

static struct mm_struct *op_mm(struct sc_ctx *x, const struct sc_op *op)
{
	return ((struct mm_sc_proc *)sc_obj(x, op, P_PROC))->mm;
}

/*
 * The region table is shared by every agent of a run, and on the real
 * engine they run at once: an entry is claimed with an atomic add, filled,
 * and published by a release store of its name; readers look only at
 * published names.  addr and len are relaxed atomics: an agent reading a
 * region while another remaps it sees either mapping, as a racing
 * program would.  Two agents that first map the same new name at once
 * may each add an entry: lookups take the first.
 */
static struct mm_sc_region *region_find(struct mm_sc_state *st,
					const char *name)
{
	int i, n = __atomic_load_n(&st->nr_regions, __ATOMIC_ACQUIRE);
	const char *rn;

	if (n > MM_SC_MAX_REGIONS)
		n = MM_SC_MAX_REGIONS;
	for (i = 0; i < n; i++) {
		rn = __atomic_load_n(&st->regions[i].name, __ATOMIC_ACQUIRE);
		if (rn && !strcmp(rn, name))
			return &st->regions[i];
	}
	return NULL;
}

static unsigned long region_addr(struct mm_sc_region *r)
{
	return __atomic_load_n(&r->addr, __ATOMIC_RELAXED);
}

static unsigned long region_len(struct mm_sc_region *r)
{
	return __atomic_load_n(&r->len, __ATOMIC_RELAXED);
}

static void region_set(struct sc_ctx *x, const struct sc_op *op,
		       const char *name, unsigned long addr, unsigned long len)
{
	struct mm_sc_state *st = mm_state(x->run);
	struct mm_sc_region *r = region_find(st, name);
	int i;

	if (!r) {
		i = __atomic_fetch_add(&st->nr_regions, 1, __ATOMIC_RELAXED);
		if (i >= MM_SC_MAX_REGIONS) {
			sc_op_error(x, op, "too many regions at", name);
			return;
		}
		r = &st->regions[i];
		__atomic_store_n(&r->addr, addr, __ATOMIC_RELAXED);
		__atomic_store_n(&r->len, len, __ATOMIC_RELAXED);
		__atomic_store_n(&r->name, name, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&r->addr, addr, __ATOMIC_RELAXED);
	__atomic_store_n(&r->len, len, __ATOMIC_RELAXED);
}

/*
 * the address of `addr`, or of `region` + `offset`; *len gets the
 * region's length past the offset (0 for a bare address)
 */
static bool op_addr(struct sc_ctx *x, const struct sc_op *op, int p_addr,
		    int p_region, int p_offset, unsigned long *addr,
		    unsigned long *len)
{
	const struct sc_arg *a = op->args;
	struct mm_sc_region *r;
	unsigned long off = p_offset >= 0 && a[p_offset].set ? a[p_offset].i :
							       0;

	*len = 0;
	if (a[p_region].set) {
		r = region_find(mm_state(x->run), a[p_region].s);
		if (!r) {
			sc_op_error(x, op, "no region was mapped as",
				    a[p_region].s);
			return false;
		}
		*addr = region_addr(r) + off;
		*len = off < region_len(r) ? region_len(r) - off : 0;
		return true;
	}
	if (!a[p_addr].set) {
		sc_op_error(x, op, "needs 'addr' or 'region'", "");
		return false;
	}
	*addr = a[p_addr].i + off;
	return true;
}

/* compare a syscall's result with `expect` (an errno name or ok) */
static void check_result(struct sc_ctx *x, const struct sc_op *op, int p_expect,
			 const char *call, long ret)
{
	const char *e = op->args[p_expect].set ? op->args[p_expect].s : "ok";
	unsigned long want;

	if (!parse_names(x, op, errno_names, "unknown errno name", e, &want))
		return;
	if (ret >= 0 && !want)
		return;
	if (ret < 0 && -ret == (long)want)
		return;
	if (!want)
		report_add(x->w, "syscall-failed",
			   "%s: %s (line %d) failed with %ld\n", current->name,
			   call, op->line, ret);
	else
		report_add(x->w, "unexpected-errno",
			   "%s: %s (line %d) returned %ld, expected -%s\n",
			   current->name, call, op->line, ret, e);
}

/* ---- the ops ---- */

enum {
	MM_PROC,
	MM_ADDR,
	MM_LEN,
	MM_PROT,
	MM_FLAGS,
	MM_FILE,
	MM_OFF,
	MM_AS,
	MM_EXPECT
};

static void op_mmap(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	struct file *file = NULL;
	unsigned long prot, flags, ret;

	if (!parse_names(x, op, prot_names, "unknown prot", a[MM_PROT].s,
			 &prot) ||
	    !parse_names(x, op, map_names, "unknown mmap flag",
			 a[MM_FLAGS].set ? a[MM_FLAGS].s : "private", &flags))
		return;
	if (a[MM_FILE].set)
		file = ((struct mm_sc_file *)sc_obj(x, op, MM_FILE))->file;
	else
		flags |= MAP_ANONYMOUS;
	ret = vm_mmap(op_mm(x, op), file, a[MM_ADDR].set ? a[MM_ADDR].i : 0,
		      a[MM_LEN].i, prot, flags,
		      a[MM_OFF].set ? a[MM_OFF].i : 0);
	check_result(x, op, MM_EXPECT, "mmap", (long)ret);
	if (!IS_ERR_VALUE(ret) && a[MM_AS].set)
		region_set(x, op, a[MM_AS].s, ret, PAGE_ALIGN(a[MM_LEN].i));
}

enum { UM_PROC, UM_ADDR, UM_REGION, UM_OFF, UM_LEN, UM_EXPECT, UM_PROT };

static bool range_of(struct sc_ctx *x, const struct sc_op *op,
		     unsigned long *addr, unsigned long *len)
{
	unsigned long rlen;

	if (!op_addr(x, op, UM_ADDR, UM_REGION, UM_OFF, addr, &rlen))
		return false;
	*len = op->args[UM_LEN].set ? (unsigned long)op->args[UM_LEN].i : rlen;
	return true;
}

static void op_munmap(struct sc_ctx *x, const struct sc_op *op)
{
	unsigned long addr, len;

	if (range_of(x, op, &addr, &len))
		check_result(x, op, UM_EXPECT, "munmap",
			     vm_munmap(op_mm(x, op), addr, len));
}

static void op_mprotect(struct sc_ctx *x, const struct sc_op *op)
{
	unsigned long addr, len, prot;

	if (!range_of(x, op, &addr, &len) ||
	    !parse_names(x, op, prot_names, "unknown prot", op->args[UM_PROT].s,
			 &prot))
		return;
	check_result(x, op, UM_EXPECT, "mprotect",
		     do_mprotect_pkey(op_mm(x, op), addr, len, prot, -1));
}

static void op_madvise(struct sc_ctx *x, const struct sc_op *op)
{
	unsigned long addr, len, advice;

	if (!range_of(x, op, &addr, &len) ||
	    !parse_names(x, op, advice_names, "unknown advice",
			 op->args[UM_PROT].s, &advice))
		return;
	check_result(x, op, UM_EXPECT, "madvise",
		     do_madvise(op_mm(x, op), addr, len, advice));
}

enum {
	MR_PROC,
	MR_ADDR,
	MR_REGION,
	MR_OLD,
	MR_NEW,
	MR_FLAGS,
	MR_NEWADDR,
	MR_AS,
	MR_EXPECT
};

static void op_mremap(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	unsigned long addr, rlen, old_len, new_len, flags, ret;

	if (!op_addr(x, op, MR_ADDR, MR_REGION, -1, &addr, &rlen) ||
	    !parse_names(x, op, mremap_names, "unknown mremap flag",
			 a[MR_FLAGS].set ? a[MR_FLAGS].s : "", &flags))
		return;
	old_len = a[MR_OLD].set ? (unsigned long)a[MR_OLD].i : rlen;
	new_len = a[MR_NEW].set ? (unsigned long)a[MR_NEW].i : old_len;
	ret = do_mremap(op_mm(x, op), addr, old_len, new_len, flags,
			a[MR_NEWADDR].set ? a[MR_NEWADDR].i : 0);
	check_result(x, op, MR_EXPECT, "mremap", (long)ret);
	if (IS_ERR_VALUE(ret))
		return;
	if (a[MR_AS].set)
		region_set(x, op, a[MR_AS].s, ret, PAGE_ALIGN(new_len));
	else if (a[MR_REGION].set)
		region_set(x, op, a[MR_REGION].s, ret, PAGE_ALIGN(new_len));
}

enum { AC_PROC, AC_CPU, AC_ADDR, AC_REGION, AC_OFF, AC_EXPECT, AC_VALUE };

/* the CPU of `cpu`, or NULL (reported) */
static struct cpu *op_cpu(struct sc_ctx *x, const struct sc_op *op)
{
	struct mm_sc_state *st = mm_state(x->run);
	long id = op->args[AC_CPU].set ? op->args[AC_CPU].i : 0;

	if (id >= st->nr_cpus) {
		report_add(x->w, "scenario-error",
			   "line %d: cpu %ld, but the world has %d\n", op->line,
			   id, st->nr_cpus);
		return NULL;
	}
	return mm_cpu(st->mmw, id);
}

/* does an access's outcome match `expect`? ("fault": any failure) */
static void check_access(struct sc_ctx *x, const struct sc_op *op,
			 const char *what, unsigned long va, int ret,
			 uint64_t v)
{
	static const char *const outcomes[] = { "sigsegv", "sigbus", "fault",
						"ok", NULL };
	const char *e = op->args[AC_EXPECT].set ? op->args[AC_EXPECT].s : "any";
	const char *got = ret == CPU_SIGSEGV ? "sigsegv" :
			  ret == CPU_SIGBUS  ? "sigbus" :
			  ret		     ? "error" :
					       "ok";

	if (ret && !strcmp(e, "fault"))
		return;
	sc_check_expect(x, op, e, got, ret, v, outcomes, "%s of va %#lx", what,
			va);
}

static void op_read(struct sc_ctx *x, const struct sc_op *op)
{
	struct cpu *cpu = op_cpu(x, op);
	unsigned long va, len;
	uint64_t v = 0;
	int ret;

	if (!cpu || !op_addr(x, op, AC_ADDR, AC_REGION, AC_OFF, &va, &len))
		return;
	ret = cpu_read(cpu, op_mm(x, op), va, &v);
	trace_eventf(x->w, "read va %#lx on CPU%d = %d/%llu", va, cpu->id, ret,
		     (unsigned long long)v);
	check_access(x, op, "read", va, ret, v);
}

static void op_write(struct sc_ctx *x, const struct sc_op *op)
{
	struct cpu *cpu = op_cpu(x, op);
	unsigned long va, len;
	int ret;

	if (!cpu || !op_addr(x, op, AC_ADDR, AC_REGION, AC_OFF, &va, &len))
		return;
	ret = cpu_write(cpu, op_mm(x, op), va, op->args[AC_VALUE].i);
	check_access(x, op, "write", va, ret, 0);
}

static void op_truncate(struct sc_ctx *x, const struct sc_op *op)
{
	struct mm_sc_file *f = sc_obj(x, op, 0);

	check_result(x, op, 2, "truncate",
		     vfs_truncate(f->file, op->args[1].i));
}

static void op_file_write(struct sc_ctx *x, const struct sc_op *op)
{
	struct mm_sc_file *f = sc_obj(x, op, 0);

	check_result(x, op, 3, "write",
		     filemap_write_word(f->file, op->args[1].i, op->args[2].i));
}

static void op_fork(struct sc_ctx *x, const struct sc_op *op)
{
	struct mm_sc_proc *child = sc_obj(x, op, 1);
	struct mm_struct *mm = dup_mm(op_mm(x, op));

	if (!mm) {
		check_result(x, op, 2, "fork", -ENOMEM);
		return;
	}
	if (child->mm)
		mmput(child->mm);
	child->mm = mm;
	check_result(x, op, 2, "fork", 0);
}

/*
 * kswapd's pass: reclaim up to `pages` anonymous pages (young ones too)
 * with TTU_BATCH_FLUSH; the agent's deferred-flush batch is its own.
 */
static void op_reclaim(struct sc_ctx *x, const struct sc_op *op)
{
	struct tlbflush_unmap_batch tlb_ubc = { 0 };
	struct scan_control sc = {
		.nr_to_reclaim = op->args[0].i,
		.ignore_references = true,
		.tlb_ubc = &tlb_ubc,
	};
	unsigned long n = kswapd_shrink(mm_state(x->run)->mmw, &sc);

	trace_eventf(x->w, "reclaim: %lu of %lu pages", n, sc.nr_to_reclaim);
}

/*
 * shrink_folio_list() on the clean page-cache page at `offset` of `file`:
 * isolate (a reference), trylock, try_to_unmap() through the file rmap
 * (i_mmap_rwsem, no mmap_lock) with a batched flush, flush the batch,
 * and once nobody maps it, out of the cache and freed.  The model's files
 * have no backing store, so leaving the cache is truncate_inode_pages()
 * from the page on (later pages of the file go too; a later read finds a
 * hole).  A page that is not cached, is locked, or stays mapped is left.
 */
static void op_reclaim_file(struct sc_ctx *x, const struct sc_op *op)
{
	struct mm_sc_file *f = sc_obj(x, op, 0);
	struct address_space *mapping = f->file->f_mapping;
	unsigned long index = op->args[1].i >> PAGE_SHIFT;
	struct tlbflush_unmap_batch tlb_ubc = { 0 };
	struct page *page = filemap_get_page(mapping, index);
	struct folio *folio;
	bool unmapped;

	if (!page) {
		trace_eventf(x->w, "reclaim_file: page %lu not cached", index);
		return;
	}
	folio = page_folio(page);
	if (!folio_trylock(folio)) {
		folio_put(folio);
		return;
	}
	unmapped = !folio_mapped(folio) ||
		   try_to_unmap(folio, TTU_BATCH_FLUSH, &tlb_ubc);
	try_to_unmap_flush(mm_state(x->run)->mmw, &tlb_ubc);
	folio_unlock(folio);
	if (unmapped)
		truncate_inode_pages(mapping, index << PAGE_SHIFT);
	trace_eventf(x->w, "reclaim_file: page %lu %s", index,
		     unmapped ? "reclaimed" : "still mapped");
	folio_put(folio);
}

/* clear_refs: write `type` (default 4, soft-dirty) to proc's clear_refs */
static void op_clear_refs(struct sc_ctx *x, const struct sc_op *op)
{
	long type = op->args[1].set ? op->args[1].i : CLEAR_REFS_SOFT_DIRTY;

	check_result(x, op, 2, "clear_refs",
		     clear_refs_write(op_mm(x, op), (int)type));
}

enum { SD_PROC, SD_ADDR, SD_REGION, SD_OFF, SD_EXPECT };

/*
 * soft_dirty: pagemap's soft-dirty bit of an address must be `expect`.
 * A clear bit where a write was expected is "missed-dirty"; a set bit
 * where none was expected is "soft-dirty".
 */
static void op_soft_dirty(struct sc_ctx *x, const struct sc_op *op)
{
	const char *e = op->args[SD_EXPECT].s;
	unsigned long va, len;
	bool want;
	int got;

	if (!op_addr(x, op, SD_ADDR, SD_REGION, SD_OFF, &va, &len))
		return;
	if (!strcmp(e, "true")) {
		want = true;
	} else if (!strcmp(e, "false")) {
		want = false;
	} else {
		sc_op_error(x, op, "expect must be true or false, not", e);
		return;
	}
	got = pagemap_soft_dirty(op_mm(x, op), va);
	trace_eventf(x->w, "soft_dirty va %#lx = %d", va, got);
	if (got == want)
		return;
	report_add(x->w, want ? "missed-dirty" : "soft-dirty",
		   "%s: pagemap reports va %#lx (line %d) %s, expected %s\n",
		   current->name, va, op->line, got ? "soft-dirty" : "clean",
		   want ? "soft-dirty (it was written since clear_refs)" :
			  "clean");
}

/* `expect: any` accepts every outcome; else as check_result */
static void check_result_any(struct sc_ctx *x, const struct sc_op *op,
			     int p_expect, const char *call, long ret)
{
	if (op->args[p_expect].set && !strcmp(op->args[p_expect].s, "any"))
		return;
	check_result(x, op, p_expect, call, ret);
}

enum { MG_PROC, MG_ADDR, MG_REGION, MG_OFF, MG_EXPECT };

/*
 * migrate_pages() of one page: the folio mapped at the address moves to
 * a new frame (migrate_folio_one); -ENOENT when nothing is mapped there
 * (move_pages' per-page status).  `expect` defaults to ok.
 */
static void op_migrate(struct sc_ctx *x, const struct sc_op *op)
{
	struct mm_struct *mm = op_mm(x, op);
	unsigned long va, len;
	struct folio *folio;
	int ret = -ENOENT;

	if (!op_addr(x, op, MG_ADDR, MG_REGION, MG_OFF, &va, &len))
		return;
	folio = sc_follow_folio(mm, va);
	if (folio) {
		ret = migrate_folio_one(mm->mmw, folio);
		folio_put(folio);
	}
	trace_eventf(x->w, "migrate va %#lx: %d", va, ret);
	check_result_any(x, op, MG_EXPECT, "migrate", ret);
}

enum { KS_PROC, KS_ADDR, KS_REGION, KS_OFF, KS_ADDR2, KS_OFF2, KS_EXPECT };

/*
 * One ksmd merge (try_to_merge_two_pages): the page at addr (or
 * region+offset) becomes the KSM page and replaces the one at addr2 (or
 * the same base + offset2; default: the next page).  Both VMAs must be
 * MADV_MERGEABLE.  `expect` defaults to ok; EAGAIN means not merged.
 */
static void op_ksm_merge(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	unsigned long base, va, va2, len;
	int ret;

	if (!op_addr(x, op, KS_ADDR, KS_REGION, -1, &base, &len))
		return;
	va = base + (a[KS_OFF].set ? a[KS_OFF].i : 0);
	if (a[KS_ADDR2].set)
		va2 = a[KS_ADDR2].i;
	else
		va2 = base + (a[KS_OFF2].set ? (unsigned long)a[KS_OFF2].i :
					       va - base + PAGE_SIZE);
	ret = ksm_merge_pair(op_mm(x, op), va, va2);
	trace_eventf(x->w, "ksm merge va %#lx with %#lx: %d", va, va2, ret);
	check_result_any(x, op, KS_EXPECT, "ksm_merge", ret);
}

#define ADDR_MAX ((long)TASK_SIZE)
#define PROC                                           \
	{                                              \
		"proc", SCP_REF, true, "process", 0, 0 \
	}
#define ADDR(req)                                       \
	{                                               \
		"addr", SCP_INT, req, NULL, 0, ADDR_MAX \
	}
#define LEN(n, req)                                \
	{                                          \
		n, SCP_INT, req, NULL, 0, ADDR_MAX \
	}
#define STR(n, req)                            \
	{                                      \
		n, SCP_STRING, req, NULL, 0, 0 \
	}
#define OFFSET                                              \
	{                                                   \
		"offset", SCP_INT, false, NULL, 0, ADDR_MAX \
	}
#define EXPECT STR("expect", false)
#define OP(n, h, e, ...)                                               \
	{                                                              \
		.name = n, .help = h, .exec = e, .check = mm_op_check, \
		.params = {                                            \
			__VA_ARGS__                                    \
		}                                                      \
	}

/* the index of @op's parameter @name, or -1 */
static int mm_param(const struct sc_op *op, const char *name)
{
	int i;

	for (i = 0; i < SC_MAX_PARAMS && op->type->params[i].name; i++)
		if (!strcmp(op->type->params[i].name, name))
			return i;
	return -1;
}

/*
 * Load-time checks across an mm op's parameters: one address (`addr`
 * or `region`, never both, as the mirror ops); a CPU access (read,
 * write) of an 8-byte-aligned word, since the model moves whole words
 * and an unaligned one would touch two (x86 would not fault, the model
 * cannot express it: refused rather than silently rounded); a fork into
 * another process than its parent.
 */
static int mm_op_check(struct sc_loader *ld, const struct sc_op *op,
		       const struct sc_node *key,
		       const struct sc_node *const *at)
{
	int addr = mm_param(op, "addr"), region = mm_param(op, "region");
	int off = mm_param(op, "offset");
	const char *name = op->type->name;
	unsigned long va;

	if (addr >= 0 && region >= 0 && op->args[addr].set &&
	    op->args[region].set)
		return sc_error(ld, at[region],
				"'%s' takes 'addr' or 'region', not both",
				name);
	if (!strcmp(name, "fork") && op->args[0].ref == op->args[1].ref)
		return sc_error(
			ld, at[1],
			"'fork': 'child' must be another process than 'proc'");
	if (strcmp(name, "read") && strcmp(name, "write"))
		return 0;
	va = (op->args[addr].set ? op->args[addr].i : 0) +
	     (op->args[off].set ? op->args[off].i : 0);
	if (va & 7)
		return sc_error(
			ld, at[op->args[off].set ? off : addr],
			"'%s' of %#lx: not 8-byte aligned (the model accesses whole words)",
			name, va);
	return 0;
}

static const struct scenario_op_type mm_ops[] = {
	OP("mmap", "mmap(2) in proc; `as` names the region", op_mmap, PROC,
	   ADDR(false), LEN("len", true), STR("prot", true),
	   STR("flags", false), { "file", SCP_REF, false, "file", 0, 0 },
	   OFFSET, STR("as", false), EXPECT),
	OP("munmap", "munmap(2) of addr or region (+offset), len", op_munmap,
	   PROC, ADDR(false), STR("region", false), OFFSET, LEN("len", false),
	   EXPECT),
	OP("mprotect", "mprotect(2) of addr or region, len, to prot",
	   op_mprotect, PROC, ADDR(false), STR("region", false), OFFSET,
	   LEN("len", false), EXPECT, STR("prot", true)),
	OP("madvise", "madvise(2) of addr or region, len, with advice",
	   op_madvise, PROC, ADDR(false), STR("region", false), OFFSET,
	   LEN("len", false), EXPECT, STR("advice", true)),
	OP("mremap", "mremap(2) of addr or region; the region follows",
	   op_mremap, PROC, ADDR(false), STR("region", false),
	   LEN("old_len", false), LEN("new_len", false), STR("flags", false),
	   LEN("new_addr", false), STR("as", false), EXPECT),
	OP("read", "a CPU reads a word of proc at addr or region+offset",
	   op_read, PROC, { "cpu", SCP_INT, false, NULL, 0, MM_MAX_CPUS - 1 },
	   ADDR(false), STR("region", false), OFFSET, EXPECT),
	OP("write", "a CPU writes value to a word of proc", op_write, PROC,
	   { "cpu", SCP_INT, false, NULL, 0, MM_MAX_CPUS - 1 }, ADDR(false),
	   STR("region", false), OFFSET, EXPECT,
	   { "value", SCP_INT, true, NULL, LONG_MIN, LONG_MAX }),
	OP("truncate", "truncate(2) a file to size", op_truncate,
	   { "file", SCP_REF, true, "file", 0, 0 },
	   { "size", SCP_INT, true, NULL, 0, LONG_MAX }, EXPECT),
	OP("file_write", "write(2) one word of a file at offset", op_file_write,
	   { "file", SCP_REF, true, "file", 0, 0 },
	   { "offset", SCP_INT, true, NULL, 0, LONG_MAX },
	   { "value", SCP_INT, true, NULL, LONG_MIN, LONG_MAX }, EXPECT),
	OP("fork", "fork(2): child (a process) becomes a copy of proc", op_fork,
	   PROC, { "child", SCP_REF, true, "process", 0, 0 }, EXPECT),
	OP("reclaim", "kswapd: reclaim up to pages anon pages, batched flush",
	   op_reclaim, { "pages", SCP_INT, true, NULL, 1, 1024 }),
	OP("reclaim_file",
	   "kswapd: reclaim the clean file page at offset via the file rmap",
	   op_reclaim_file, { "file", SCP_REF, true, "file", 0, 0 },
	   { "offset", SCP_INT, true, NULL, 0, LONG_MAX }),
	OP("clear_refs", "write type (default 4: soft-dirty) to clear_refs",
	   op_clear_refs, PROC, { "type", SCP_INT, false, NULL, -1, 16 },
	   EXPECT),
	OP("soft_dirty", "pagemap's soft-dirty bit of addr or region+offset",
	   op_soft_dirty, PROC, ADDR(false), STR("region", false), OFFSET,
	   STR("expect", true)),
	OP("migrate", "migrate the anon page at addr or region+offset",
	   op_migrate, PROC, ADDR(false), STR("region", false), OFFSET, EXPECT),
	OP("ksm_merge", "ksmd: merge two identical pages of proc", op_ksm_merge,
	   PROC, ADDR(false), STR("region", false), OFFSET, LEN("addr2", false),
	   LEN("offset2", false), EXPECT),
	{ .name = NULL },
};

/* ---- final-check values, read after the agents finished ---- */

/*
 * "REGION", "REGION+OFFSET" or an address; false (and a report) when
 * the region was never mapped or the text is neither
 */
static bool where_addr(struct sc_run *run, const char *s, unsigned long *va)
{
	struct mm_sc_state *st = mm_state(run);
	char name[SC_NAME_MAX + 1], *end;
	size_t n = strcspn(s, "+");
	struct mm_sc_region *r;

	errno = 0;
	*va = strtoul(s, &end, 0);
	if (*s >= '0' && *s <= '9' && !*end)
		goto check;
	if (st && n < sizeof(name)) {
		memcpy(name, s, n);
		name[n] = 0;
		r = region_find(st, name);
		*va = r ? region_addr(r) : 0;
		if (r && !s[n])
			goto check;
		if (r && s[n + 1] >= '0' && s[n + 1] <= '9') {
			unsigned long off = strtoul(s + n + 1, &end, 0);

			/* no wrapping around to a small address */
			*va = off < TASK_SIZE ? *va + off : ULONG_MAX;
			if (!*end)
				goto check;
		}
	}
	report_add(
		run->w, "scenario-error",
		"final check: '%s' is not an address, a mapped region or REGION+OFFSET\n",
		s);
	return false;
check:
	/* the page-table walk below covers user addresses only */
	if (!errno && *va < TASK_SIZE)
		return true;
	report_add(
		run->w, "scenario-error",
		"final check: '%s' is outside the user address space [0, %#lx)\n",
		s, (unsigned long)TASK_SIZE);
	return false;
}

/* the present PTE of @va in @mm, or none; no locks: the run is over */
static pte_t final_pte(struct mm_struct *mm, unsigned long va)
{
	pmd_t *pmd = mm ? mm_find_pmd(mm, va) : NULL;

	return pmd ? ptep_get(pte_offset_kernel(pmd, va)) : __pte(0);
}

static long present_value(struct sc_run *run, const struct sc_arg *a)
{
	struct mm_struct *mm = sc_mm_of(run, a[0].ref);
	unsigned long va;

	return where_addr(run, a[1].s, &va) && pte_present(final_pte(mm, va));
}

/* the word at the address through the page table; -1 when not present */
static long word_value(struct sc_run *run, const struct sc_arg *a)
{
	struct mm_struct *mm = sc_mm_of(run, a[0].ref);
	unsigned long va;
	uint64_t v;
	pte_t pte;

	if (!where_addr(run, a[1].s, &va))
		return -1;
	pte = final_pte(mm, va);
	if (!pte_present(pte) ||
	    phys_read(mm->mmw->pm, pte_pfn(pte), va & ~PAGE_MASK & ~7UL, &v))
		return -1;
	return (long)v;
}

/* resident pages: anon + file + shmem (get_mm_rss) */
static long rss_value(struct sc_run *run, const struct sc_arg *a)
{
	struct mm_struct *mm = sc_mm_of(run, a[0].ref);

	return mm ? get_mm_counter(mm, MM_ANONPAGES) +
			       get_mm_counter(mm, MM_FILEPAGES) +
			       get_mm_counter(mm, MM_SHMEMPAGES) :
		    0;
}

/* frames allocated now: pages, page tables, the swap store's copies */
static long frames_value(struct sc_run *run, const struct sc_arg *a)
{
	struct mm_sc_state *st = mm_state(run);

	return st ? (long)phys_nr_allocated(st->mmw->pm) : 0;
}

static const struct scenario_value_type mm_values[] = {
	{ .name = "word",
	  .params = { PROC, STR("where", true) },
	  .eval = word_value },
	{ .name = "present",
	  .params = { PROC, STR("where", true) },
	  .eval = present_value },
	{ .name = "rss", .params = { PROC }, .eval = rss_value },
	{ .name = "frames_in_use", .eval = frames_value },
	{ .name = NULL },
};

/* ---- for other subsystems (mirror_ops.c) ---- */

struct mm_struct *sc_mm_of(struct sc_run *run, int obj)
{
	return obj >= 0 && obj < run->sc->nr_objs &&
			       run->sc->objs[obj].kind ==
				       &mm_kinds[MK_PROCESS] ?
		       ((struct mm_sc_proc *)run->obj[obj])->mm :
		       NULL;
}

/* name [addr, addr + len) `as: NAME` for later ops (pci_ops.c's mmap) */
void sc_mm_region_set(struct sc_ctx *x, const struct sc_op *op,
		      const char *name, unsigned long addr, unsigned long len)
{
	if (mm_state(x->run))
		region_set(x, op, name, addr, len);
}

bool sc_mm_region(struct sc_run *run, const char *name, unsigned long *addr,
		  unsigned long *len)
{
	struct mm_sc_state *st = mm_state(run);
	struct mm_sc_region *r = st ? region_find(st, name) : NULL;

	if (!r)
		return false;
	*addr = region_addr(r);
	*len = region_len(r);
	return true;
}

/* what the mm checker, the quiescent checks and these ops report */
static const char *const mm_violations[] = {
	"stale-tlb",
	"stale-pte",
	"bad-pte",
	"bad-page",
	"pgtable",
	"mapcount",
	"rss-counter",
	"tlb-flush-pending",
	"tlb-coherence",
	"truncated-page-mapped",
	"frame-leak",
	"fault-livelock",
	"missed-dirty",
	"soft-dirty",
	"value",
	"syscall-failed",
	"unexpected-errno",
	"scenario-error",
	/* the value oracle's (check/oracle.c), which every mm world runs */
	"lost-write",
	"access-after-munmap",
	"permission",
	"access-after-truncate",
	"spurious-fault",
	/* mm/mmu_notifier.c's, for any subscriber a scenario registers */
	"notifier-after-unregister",
	"notifier-bad-return",
	"notifier-ops-conflict",
	NULL,
};

const struct scenario_subsys sc_mm_subsys = {
	.name = "mm",
	.kinds = mm_kinds,
	.world_keys = mm_world_keys,
	.ops = mm_ops,
	.values = mm_values,
	.violations = mm_violations,
	.cfg_size = sizeof(struct mm_sc_cfg),
	.run_init = mm_run_init,
	.run_check = mm_run_check,
};
