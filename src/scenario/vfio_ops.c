// SPDX-License-Identifier: MIT
/*
 * The vfio scenario subsystem: VFIO type1 containers and groups
 * (src/vfio/vfio_iommu_type1.c) and the CPU cache (src/phys/cache.c) in
 * scenario files, on the processes of the mm subsystem.
 *
 *   world:  vfio_groups: `{NAME: {coherent: true|false, map_fail_at: N,
 *             fgsp_quirk: bool}}` an IOMMU group with one device;
 *             coherent: false lets it DMA with no-snoop (its domain does
 *             not enforce coherency); map_fail_at: iommu_map() fails once
 *             its domain maps N pages; fgsp_quirk: the IOMMU driver's CPU
 *             stores to vfio_test_domain_fgsp()'s probe pages
 *           vfio_containers: `{NAME: {proc: P, type: v2|v1,
 *             memlock: PAGES|unlimited, cap_ipc_lock: bool}}` a container
 *             opened by process P (its mm is current->mm of every ioctl)
 *   ops:    vfio_attach / vfio_detach (group to/from container),
 *           vfio_map_dma / vfio_unmap_dma / vfio_dirty (the ioctls, with
 *           `expect:` an errno name or ok), vfio_check_extension,
 *           vfio_dma_read / vfio_dma_write (the group's device DMA through
 *           its domain), cpu_wbinvd, vfio_release
 *
 * Errnos are checked against `expect` (ok by default); a mismatch is a
 * "value" report naming the line.  Bad names and values in a file are
 * FILE:LINE:COL errors from the loader.
 *
 * Simplifications: containers and groups are made by run_init on the mm
 * subsystem's world (a scenario with VFIO objects must declare
 * processes); run_check releases every container (unmap, unpin) before
 * the mm subsystem's checks, and reports "locked-vm-leak" if a process's
 * locked_vm is not back to its VM_LOCKED pages.
 *
 * Locking: the ops call the container's ioctls and the device's DMA,
 * which take the model's locks.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "mm/mm.h"
#include "phys/cache.h"
#include "scenario.h"
#include "vfio/vfio.h"

struct vfio_sc_group_cfg {
	long coherent;
	long map_fail_at;
	long fgsp_quirk;
};

struct vfio_sc_cont_cfg {
	const struct sc_node *proc_node; /* valid while loading */
	int proc;
	long v2;
	long memlock; /* pages, -1: unlimited */
	long cap_ipc_lock;
};

struct vfio_sc_group {
	struct vfio_group *group;
};

struct vfio_sc_cont {
	struct vfio_iommu *iommu;
	struct vfio_task task;
	bool released;
};

enum { VK_GROUP, VK_CONTAINER };

/* ---- world ---- */

static int parse_bool(struct sc_loader *ld, const struct sc_node *v,
		      const char *what, long *out)
{
	const char *s = sc_is_scalar(v) ? sc_str(v) : "";

	if (!strcmp(s, "true"))
		*out = 1;
	else if (!strcmp(s, "false"))
		*out = 0;
	else
		return sc_error(ld, v, "%s must be true or false", what);
	return 0;
}

static int group_parse(struct sc_loader *ld, struct sc_object *o,
		       const struct sc_node *n)
{
	struct vfio_sc_group_cfg *cfg = sc_alloc(ld, sizeof(*cfg));
	int i;

	cfg->coherent = 1;
	o->cfg = cfg;
	if (!n || sc_is_null(n))
		return 0;
	if (!sc_is_map(n))
		return sc_error(
			ld, n,
			"a VFIO group's settings must be a map (coherent, map_fail_at, fgsp_quirk)");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);
		const char *key = sc_str(k);

		if (!strcmp(key, "name"))
			continue;
		if (!strcmp(key, "coherent")) {
			if (parse_bool(ld, v, "'coherent'", &cfg->coherent))
				return -1;
		} else if (!strcmp(key, "fgsp_quirk")) {
			if (parse_bool(ld, v, "'fgsp_quirk'", &cfg->fgsp_quirk))
				return -1;
		} else if (!strcmp(key, "map_fail_at")) {
			if (sc_get_int(ld, v, 0, 1L << 30, "'map_fail_at'",
				       &cfg->map_fail_at))
				return -1;
		} else {
			return sc_error(
				ld, k,
				"unknown key '%s' in a VFIO group (coherent, map_fail_at, fgsp_quirk)",
				key);
		}
	}
	return 0;
}

static int cont_parse(struct sc_loader *ld, struct sc_object *o,
		      const struct sc_node *n)
{
	struct vfio_sc_cont_cfg *cfg = sc_alloc(ld, sizeof(*cfg));
	int i;

	cfg->v2 = 1;
	cfg->memlock = -1;
	o->cfg = cfg;
	if (!n || !sc_is_map(n))
		return sc_error_at(
			ld, o->line, o->col,
			"a VFIO container needs settings {proc, type, memlock, cap_ipc_lock}");
	for (i = 0; i < sc_len(n); i++) {
		const struct sc_node *k = sc_map_key(n, i);
		const struct sc_node *v = sc_map_value(n, i);
		const char *key = sc_str(k);

		if (!strcmp(key, "name"))
			continue;
		if (!strcmp(key, "proc")) {
			cfg->proc_node = v;
		} else if (!strcmp(key, "type")) {
			const char *s = sc_is_scalar(v) ? sc_str(v) : "";

			if (!strcmp(s, "v2"))
				cfg->v2 = 1;
			else if (!strcmp(s, "v1"))
				cfg->v2 = 0;
			else
				return sc_error(ld, v,
						"'type' must be v1 or v2");
		} else if (!strcmp(key, "memlock")) {
			if (sc_is_scalar(v) && !strcmp(sc_str(v), "unlimited"))
				cfg->memlock = -1;
			else if (sc_get_int(ld, v, 0, 1L << 40,
					    "'memlock' (pages or unlimited)",
					    &cfg->memlock))
				return -1;
		} else if (!strcmp(key, "cap_ipc_lock")) {
			if (parse_bool(ld, v, "'cap_ipc_lock'",
				       &cfg->cap_ipc_lock))
				return -1;
		} else {
			return sc_error(
				ld, k,
				"unknown key '%s' in a VFIO container (proc, type, memlock, cap_ipc_lock)",
				key);
		}
	}
	if (!cfg->proc_node)
		return sc_error(ld, n, "a VFIO container needs 'proc'");
	return 0;
}

static int cont_resolve(struct sc_loader *ld, struct sc_object *o)
{
	struct vfio_sc_cont_cfg *cfg = o->cfg;

	return sc_get_ref(ld, cfg->proc_node, "'proc'", "process", &cfg->proc);
}

static const struct scenario_obj_kind vfio_kinds[] = {
	[VK_GROUP] = { .kind = "vfio_group",
		       .world_key = "vfio_groups",
		       .size = sizeof(struct vfio_sc_group),
		       .parse = group_parse },
	[VK_CONTAINER] = { .kind = "vfio_container",
			   .world_key = "vfio_containers",
			   .size = sizeof(struct vfio_sc_cont),
			   .parse = cont_parse,
			   .resolve = cont_resolve },
	{ .kind = NULL },
};

static void *vfio_run_init(struct sc_run *run, const void *unused)
{
	const struct scenario *sc = run->sc;
	struct mm_world *mmw = NULL;
	int i, err;

	(void)unused;
	for (i = 0; i < sc->nr_objs; i++) {
		const struct sc_object *o = &sc->objs[i];

		if (o->kind == &vfio_kinds[VK_CONTAINER]) {
			const struct vfio_sc_cont_cfg *cfg = o->cfg;
			struct vfio_sc_cont *c = run->obj[i];
			struct mm_struct *mm = sc_mm_of(run, cfg->proc);

			if (!mm)
				return NULL;
			mmw = mm->mmw;
			c->task.mm = mm;
			c->task.rlimit_memlock =
				cfg->memlock < 0 ? RLIM_INFINITY :
						   (unsigned long)cfg->memlock;
			c->task.cap_ipc_lock = cfg->cap_ipc_lock;
			c->iommu = vfio_iommu_type1_open(
				mmw,
				cfg->v2 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU,
				&err);
			if (!c->iommu)
				return NULL;
		}
	}
	if (!mmw)
		return NULL;
	for (i = 0; i < sc->nr_objs; i++) {
		const struct sc_object *o = &sc->objs[i];
		const struct vfio_sc_group_cfg *cfg = o->cfg;
		struct vfio_sc_group *g = run->obj[i];

		if (o->kind != &vfio_kinds[VK_GROUP])
			continue;
		g->group = vfio_group_add(mmw, o->name, cfg->coherent);
		if (!g->group)
			return NULL;
		g->group->map_fail_at = cfg->map_fail_at;
		g->group->fgsp_quirk = cfg->fgsp_quirk;
	}
	return run;
}

/* pages of VM_LOCKED VMAs: what locked_vm holds without VFIO */
static unsigned long vm_locked_pages(struct mm_struct *mm)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < mm->map_count; i++)
		if (mm->vmas[i]->vm_flags & VM_LOCKED)
			n += vma_pages(mm->vmas[i]);
	return n;
}

static void vfio_run_check(struct sc_run *run, void *state)
{
	const struct scenario *sc = run->sc;
	int i;

	if (!state)
		return;
	for (i = 0; i < sc->nr_objs; i++) {
		struct vfio_sc_cont *c = run->obj[i];
		unsigned long locked;

		if (sc->objs[i].kind != &vfio_kinds[VK_CONTAINER])
			continue;
		if (!c->released)
			vfio_iommu_type1_release(c->iommu);
		c->released = true;
		locked = vm_locked_pages(c->task.mm);
		if (c->task.mm->locked_vm != locked)
			report_add(
				run->w, "locked-vm-leak",
				"container %s: every mapping is gone but locked_vm of its process is %lu pages, %lu more than its VM_LOCKED VMAs: pinned pages were charged and never given back\n",
				sc->objs[i].name, c->task.mm->locked_vm,
				c->task.mm->locked_vm - locked);
	}
}

/* ---- errnos ---- */

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "ok", 0 },	      { "EINVAL", EINVAL }, { "EEXIST", EEXIST },
	{ "ENOSPC", ENOSPC }, { "ENOENT", ENOENT }, { "ENOMEM", ENOMEM },
	{ "EBUSY", EBUSY },   { "EACCES", EACCES }, { "EFAULT", EFAULT },
	{ "ESRCH", ESRCH },   { "ENOTTY", ENOTTY }, { "EPERM", EPERM },
	{ "ENODEV", ENODEV },
};

static int errno_of(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(s, errnos[i].name))
			return errnos[i].err;
	return -1;
}

static const char *errno_name(int err)
{
	unsigned int i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "another errno";
}

/* the op's `expect` against @ret (0 or -errno); "any" takes everything */
static bool check_errno(struct sc_ctx *x, const struct sc_op *op, int p,
			const char *what, long ret)
{
	const char *e = op->args[p].set ? op->args[p].s : "ok";
	int want;

	if (!strcmp(e, "any"))
		return ret >= 0;
	want = errno_of(e);
	if ((ret < 0 ? -ret : 0) == want)
		return ret >= 0;
	report_add(x->w, "value",
		   "%s: %s (line %d) returned %s (%ld), expected %s\n",
		   current->name, what, op->line,
		   ret < 0 ? errno_name((int)-ret) : "ok", ret, e);
	return false;
}

static int check_expect_param(struct sc_loader *ld, const struct sc_node *n)
{
	if (!n)
		return 0;
	if (!sc_is_scalar(n) ||
	    (strcmp(sc_str(n), "any") && errno_of(sc_str(n)) < 0))
		return sc_error(
			ld, n,
			"'expect' must be ok, any or an errno name (EINVAL, EEXIST, ENOSPC, ENOENT, ENOMEM, EBUSY, EACCES, EFAULT, ESRCH, ENOTTY, EPERM, ENODEV)");
	return 0;
}

/* ---- ops ---- */

enum { AT_CONT, AT_GROUP, AT_EXPECT };

static void op_attach(struct sc_ctx *x, const struct sc_op *op)
{
	struct vfio_sc_cont *c = sc_obj(x, op, AT_CONT);
	struct vfio_sc_group *g = sc_obj(x, op, AT_GROUP);

	check_errno(x, op, AT_EXPECT, "vfio attach",
		    vfio_iommu_type1_attach_group(c->iommu, g->group));
}

static void op_detach(struct sc_ctx *x, const struct sc_op *op)
{
	struct vfio_sc_cont *c = sc_obj(x, op, AT_CONT);
	struct vfio_sc_group *g = sc_obj(x, op, AT_GROUP);

	vfio_iommu_type1_detach_group(c->iommu, g->group);
}

static int check_attach(struct sc_loader *ld, const struct sc_op *op,
			const struct sc_node *key,
			const struct sc_node *const *at)
{
	return check_expect_param(ld, at[AT_EXPECT]);
}

enum { M_CONT, M_REGION, M_VADDR, M_OFF, M_IOVA, M_SIZE, M_FLAGS, M_EXPECT };

static int map_flags(const char *s)
{
	if (!strcmp(s, "rw"))
		return VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (!strcmp(s, "r"))
		return VFIO_DMA_MAP_FLAG_READ;
	if (!strcmp(s, "w"))
		return VFIO_DMA_MAP_FLAG_WRITE;
	if (!strcmp(s, "vaddr"))
		return VFIO_DMA_MAP_FLAG_VADDR;
	if (!strcmp(s, "none"))
		return 0;
	if (!strcmp(s, "bad"))
		return 1 << 7;
	return -1;
}

static void op_map_dma(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	struct vfio_sc_cont *c = sc_obj(x, op, M_CONT);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	unsigned long addr = 0, len = 0;

	if (a[M_REGION].set) {
		if (!sc_mm_region(x->run, a[M_REGION].s, &addr, &len)) {
			sc_op_error(x, op, "no region was mapped as",
				    a[M_REGION].s);
			return;
		}
	} else {
		addr = a[M_VADDR].i;
	}
	map.vaddr = addr + (a[M_OFF].set ? a[M_OFF].i : 0);
	map.iova = a[M_IOVA].i;
	map.size = a[M_SIZE].set ? (unsigned long)a[M_SIZE].i : len;
	map.flags = map_flags(a[M_FLAGS].set ? a[M_FLAGS].s : "rw");
	trace_eventf(x->w, "vfio map_dma iova %#llx vaddr %#llx size %#llx",
		     (unsigned long long)map.iova,
		     (unsigned long long)map.vaddr,
		     (unsigned long long)map.size);
	check_errno(x, op, M_EXPECT, "VFIO_IOMMU_MAP_DMA",
		    vfio_iommu_type1_ioctl(c->iommu, &c->task,
					   VFIO_IOMMU_MAP_DMA, &map));
}

static int check_map(struct sc_loader *ld, const struct sc_op *op,
		     const struct sc_node *key, const struct sc_node *const *at)
{
	if (at[M_FLAGS] &&
	    (!sc_is_scalar(at[M_FLAGS]) || map_flags(sc_str(at[M_FLAGS])) < 0))
		return sc_error(ld, at[M_FLAGS],
				"'flags' must be rw, r, w, vaddr, none or bad");
	if (!at[M_REGION] && !at[M_VADDR])
		return sc_error(ld, key,
				"vfio_map_dma needs 'region' or 'vaddr'");
	if (at[M_REGION] && at[M_VADDR])
		return sc_error(ld, at[M_VADDR],
				"give 'region' or 'vaddr', not both");
	if (!at[M_REGION] && !at[M_SIZE])
		return sc_error(ld, key,
				"vfio_map_dma with 'vaddr' needs 'size'");
	return check_expect_param(ld, at[M_EXPECT]);
}

enum { U_CONT, U_IOVA, U_SIZE, U_FLAGS, U_EXPECT, U_UNMAPPED };

static int unmap_flags(const char *s)
{
	if (!strcmp(s, "none"))
		return 0;
	if (!strcmp(s, "all"))
		return VFIO_DMA_UNMAP_FLAG_ALL;
	if (!strcmp(s, "vaddr"))
		return VFIO_DMA_UNMAP_FLAG_VADDR;
	if (!strcmp(s, "dirty"))
		return VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	if (!strcmp(s, "bad"))
		return 1 << 7;
	return -1;
}

static void op_unmap_dma(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	struct vfio_sc_cont *c = sc_obj(x, op, U_CONT);
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	uint64_t bits[64] = { 0 };
	long ret;

	unmap.iova = a[U_IOVA].set ? a[U_IOVA].i : 0;
	unmap.size = a[U_SIZE].set ? a[U_SIZE].i : 0;
	unmap.flags = unmap_flags(a[U_FLAGS].set ? a[U_FLAGS].s : "none");
	unmap.bitmap = (struct vfio_bitmap){ .pgsize = PAGE_SIZE,
					     .size = sizeof(bits),
					     .data = bits };
	ret = vfio_iommu_type1_ioctl(c->iommu, &c->task, VFIO_IOMMU_UNMAP_DMA,
				     &unmap);
	trace_eventf(x->w, "vfio unmap_dma iova %#llx -> %ld, %llu unmapped",
		     (unsigned long long)a[U_IOVA].i, ret,
		     (unsigned long long)unmap.size);
	if (check_errno(x, op, U_EXPECT, "VFIO_IOMMU_UNMAP_DMA", ret) &&
	    a[U_UNMAPPED].set && unmap.size != (uint64_t)a[U_UNMAPPED].i)
		report_add(
			x->w, "value",
			"%s: VFIO_IOMMU_UNMAP_DMA (line %d) unmapped %llu bytes, expected %ld\n",
			current->name, op->line, (unsigned long long)unmap.size,
			a[U_UNMAPPED].i);
}

static int check_unmap(struct sc_loader *ld, const struct sc_op *op,
		       const struct sc_node *key,
		       const struct sc_node *const *at)
{
	if (at[U_FLAGS] && (!sc_is_scalar(at[U_FLAGS]) ||
			    unmap_flags(sc_str(at[U_FLAGS])) < 0))
		return sc_error(
			ld, at[U_FLAGS],
			"'flags' must be none, all, vaddr, dirty or bad");
	return check_expect_param(ld, at[U_EXPECT]);
}

enum { D_CONT, D_OP, D_IOVA, D_SIZE, D_EXPECT, D_DIRTY };

static void op_dirty(struct sc_ctx *x, const struct sc_op *op)
{
	const struct sc_arg *a = op->args;
	struct vfio_sc_cont *c = sc_obj(x, op, D_CONT);
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d) };
	uint64_t bits[64] = { 0 };
	long ret, n = 0;
	unsigned int i;

	d.flags = !strcmp(a[D_OP].s, "start") ?
			  VFIO_IOMMU_DIRTY_PAGES_FLAG_START :
		  !strcmp(a[D_OP].s, "stop") ?
			  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP :
			  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	d.range.iova = a[D_IOVA].set ? a[D_IOVA].i : 0;
	d.range.size = a[D_SIZE].set ? a[D_SIZE].i : 0;
	d.range.bitmap = (struct vfio_bitmap){ .pgsize = PAGE_SIZE,
					       .size = sizeof(bits),
					       .data = bits };
	ret = vfio_iommu_type1_ioctl(c->iommu, &c->task, VFIO_IOMMU_DIRTY_PAGES,
				     &d);
	if (!check_errno(x, op, D_EXPECT, "VFIO_IOMMU_DIRTY_PAGES", ret) ||
	    !a[D_DIRTY].set)
		return;
	for (i = 0; i < 64; i++)
		n += __builtin_popcountll(bits[i]);
	if (n != a[D_DIRTY].i)
		report_add(
			x->w, "value",
			"%s: VFIO_IOMMU_DIRTY_PAGES (line %d) reported %ld dirty pages, expected %ld\n",
			current->name, op->line, n, a[D_DIRTY].i);
}

static int check_dirty(struct sc_loader *ld, const struct sc_op *op,
		       const struct sc_node *key,
		       const struct sc_node *const *at)
{
	const char *s = sc_is_scalar(at[D_OP]) ? sc_str(at[D_OP]) : "";

	if (strcmp(s, "start") && strcmp(s, "stop") && strcmp(s, "get"))
		return sc_error(ld, at[D_OP],
				"'op' must be start, stop or get");
	if (!strcmp(s, "get") && !at[D_SIZE])
		return sc_error(ld, key, "vfio_dirty get needs 'size'");
	return check_expect_param(ld, at[D_EXPECT]);
}

enum { X_CONT, X_EXT, X_EXPECT };

static const struct {
	const char *name;
	unsigned long ext;
} extensions[] = {
	{ "type1", VFIO_TYPE1_IOMMU },
	{ "type1v2", VFIO_TYPE1v2_IOMMU },
	{ "dma_cc_iommu", VFIO_DMA_CC_IOMMU },
	{ "unmap_all", VFIO_UNMAP_ALL },
	{ "update_vaddr", VFIO_UPDATE_VADDR },
};

static long ext_of(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (!strcmp(s, extensions[i].name))
			return extensions[i].ext;
	return -1;
}

static void op_check_ext(struct sc_ctx *x, const struct sc_op *op)
{
	struct vfio_sc_cont *c = sc_obj(x, op, X_CONT);
	long ret = vfio_iommu_type1_ioctl(c->iommu, &c->task,
					  VFIO_CHECK_EXTENSION,
					  (void *)ext_of(op->args[X_EXT].s));

	if (ret != op->args[X_EXPECT].i)
		report_add(
			x->w, "value",
			"%s: VFIO_CHECK_EXTENSION(%s) (line %d) returned %ld, expected %ld\n",
			current->name, op->args[X_EXT].s, op->line, ret,
			op->args[X_EXPECT].i);
}

static int check_ext(struct sc_loader *ld, const struct sc_op *op,
		     const struct sc_node *key, const struct sc_node *const *at)
{
	if (!sc_is_scalar(at[X_EXT]) || ext_of(sc_str(at[X_EXT])) < 0)
		return sc_error(
			ld, at[X_EXT],
			"'ext' must be type1, type1v2, dma_cc_iommu, unmap_all or update_vaddr");
	return 0;
}

enum { A_GROUP, A_IOVA, A_EXPECT, A_VALUE };

static void op_dma_rw(struct sc_ctx *x, const struct sc_op *op, bool write)
{
	static const char *const outcomes[] = { "fault", "ok", NULL };
	struct vfio_sc_group *g = sc_obj(x, op, A_GROUP);
	const char *e = op->args[A_EXPECT].set ? op->args[A_EXPECT].s : "any";
	unsigned long iova = op->args[A_IOVA].i;
	uint64_t v = write ? (uint64_t)op->args[A_VALUE].i : 0;
	int ret = iommu_dma_access(g->group->dev, IOMMU_NO_PASID, iova, write,
				   &v);

	sc_check_expect(x, op, e, ret ? "fault" : "ok", ret, v, outcomes,
			"VFIO DMA %s of iova %#lx", write ? "write" : "read",
			iova);
}

static void op_dma_read(struct sc_ctx *x, const struct sc_op *op)
{
	op_dma_rw(x, op, false);
}

static void op_dma_write(struct sc_ctx *x, const struct sc_op *op)
{
	op_dma_rw(x, op, true);
}

static void op_wbinvd(struct sc_ctx *x, const struct sc_op *op)
{
	struct vfio_sc_cont *c = sc_obj(x, op, 0);
	struct phys_mem *pm = c->task.mm->mmw->pm;

	(void)op;
	sched_point(SP_MEM, pm);
	cpu_cache_wbinvd(pm);
}

static void op_release(struct sc_ctx *x, const struct sc_op *op)
{
	struct vfio_sc_cont *c = sc_obj(x, op, 0);

	if (c->released) {
		sc_op_error(x, op, "the container was released already",
			    sc_obj_name(x, op, 0));
		return;
	}
	c->released = true;
	vfio_iommu_type1_release(c->iommu);
}

#define CONT                                                       \
	{                                                          \
		"container", SCP_REF, true, "vfio_container", 0, 0 \
	}
#define GROUP                                              \
	{                                                  \
		"group", SCP_REF, true, "vfio_group", 0, 0 \
	}
#define STR(n, req)                            \
	{                                      \
		n, SCP_STRING, req, NULL, 0, 0 \
	}
#define INT(n, req, lo, hi)                   \
	{                                     \
		n, SCP_INT, req, NULL, lo, hi \
	}
#define OP(n, h, e, c, ...)                                              \
	{                                                                \
		.name = n, .help = h, .exec = e, .check = c, .params = { \
			__VA_ARGS__                                      \
		}                                                        \
	}

static const struct scenario_op_type vfio_ops[] = {
	OP("vfio_attach",
	   "attach group to container (join a domain of the same coherency or make one and replay every mapping)",
	   op_attach, check_attach, CONT, GROUP, STR("expect", false)),
	OP("vfio_detach", "detach group from container", op_detach, NULL, CONT,
	   GROUP),
	OP("vfio_map_dma",
	   "VFIO_IOMMU_MAP_DMA of region (or vaddr) + offset, size bytes at iova",
	   op_map_dma, check_map, CONT, STR("region", false),
	   INT("vaddr", false, LONG_MIN, LONG_MAX),
	   INT("offset", false, 0, LONG_MAX),
	   INT("iova", true, LONG_MIN, LONG_MAX),
	   INT("size", false, LONG_MIN, LONG_MAX), STR("flags", false),
	   STR("expect", false)),
	OP("vfio_unmap_dma",
	   "VFIO_IOMMU_UNMAP_DMA of [iova, iova + size); `unmapped` checks the size returned",
	   op_unmap_dma, check_unmap, CONT,
	   INT("iova", false, LONG_MIN, LONG_MAX),
	   INT("size", false, LONG_MIN, LONG_MAX), STR("flags", false),
	   STR("expect", false), INT("unmapped", false, 0, LONG_MAX)),
	OP("vfio_dirty",
	   "VFIO_IOMMU_DIRTY_PAGES start, stop or get (iova, size; `dirty` checks the count)",
	   op_dirty, check_dirty, CONT, STR("op", true),
	   INT("iova", false, LONG_MIN, LONG_MAX),
	   INT("size", false, LONG_MIN, LONG_MAX), STR("expect", false),
	   INT("dirty", false, 0, 4096)),
	OP("vfio_check_extension",
	   "VFIO_CHECK_EXTENSION(ext) must return expect", op_check_ext,
	   check_ext, CONT, STR("ext", true), INT("expect", true, 0, 1)),
	OP("vfio_dma_read",
	   "the group's device reads a word at iova (snooping or not, by its domain)",
	   op_dma_read, NULL, GROUP, INT("iova", true, 0, LONG_MAX),
	   STR("expect", false)),
	OP("vfio_dma_write", "the group's device writes value at iova",
	   op_dma_write, NULL, GROUP, INT("iova", true, 0, LONG_MAX),
	   STR("expect", false), INT("value", true, LONG_MIN, LONG_MAX)),
	OP("cpu_wbinvd",
	   "a CPU runs wbinvd: every dirty line of the container's memory is written back",
	   op_wbinvd, NULL, CONT),
	OP("vfio_release", "close the container: unmap and unpin everything",
	   op_release, NULL, CONT),
	{ .name = NULL },
};

static const char *const vfio_violations[] = {
	"noncoherent-leak",
	"noncoherent-stale-read",
	"noncoherent-corruption",
	"locked-vm-leak",
	"stale-iotlb",
	"iotlb-coherence",
	"frame-leak",
	"bad-page",
	"value",
	"scenario-error",
	NULL,
};

const struct scenario_subsys sc_vfio_subsys = {
	.name = "vfio",
	.kinds = vfio_kinds,
	.ops = vfio_ops,
	.violations = vfio_violations,
	.run_init = vfio_run_init,
	.run_check = vfio_run_check,
};
