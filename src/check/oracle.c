// SPDX-License-Identifier: MIT
/*
 * The value oracle (DESIGN section 4, check 2).
 *
 * Models what user space is promised about the content of its memory,
 * independently of how the kernel model keeps it: each mm has a list of
 * logical regions (what mmap/munmap/mprotect/mremap/madvise returned, as
 * the man pages describe them) and a sparse table of the words user code
 * wrote; each file has a table of its words and its size.  The model is
 * changed only at the *return* of user-visible operations and by user
 * writes; the kernel's own work (reclaim and swap, migration, KSM, COW
 * copies, page-table moves) never touches it, so any value they change
 * is reported.
 *
 * A word holds a small set of allowed values.  An absent word is the
 * region's default: zero for anonymous memory, the file's word for a
 * MAP_SHARED mapping (and for a MAP_PRIVATE one until the page is first
 * written: then the page is a private copy).  MADV_FREE adds zero to the
 * set until the next write (reclaim may drop the page).  A read that
 * returns an allowed value, while nothing is in flight there, narrows the
 * set to that value.
 *
 * Concurrency rule: an operation is in flight from oracle_op_begin() to
 * its *_end() hook.  An access to its range meanwhile may see the old or
 * the new state (value, success or signal); a write that races with a
 * discarding operation (munmap, DONTNEED, truncate) may be lost, so it
 * leaves {written, new state}.  Once the operation returned only the new
 * state is allowed.  A signal is excused if an operation on the address
 * was in flight, or returned, while the access ran (oracle_seq()).
 *
 * Reports: "value" (a read returned a value the model does not allow),
 * "lost-write" (the same, where the word's last value came from a write
 * no discarding operation raced), "access-after-munmap", "permission" and
 * "access-after-truncate" (an access succeeded after the operation that
 * forbids it returned), "spurious-fault" (a signal where the model says
 * the access must succeed).
 *
 * Simplifications: deterministic engine only (one agent runs at a time,
 * so the hooks need no locks and add no schedule points); a MAP_PRIVATE
 * file page that was never written follows the file (a racing file write
 * and first COW are not told apart); an mmap racing with accesses to its
 * range allows any value; mremap without MREMAP_FIXED has no known target
 * while in flight, so accesses outside every region are excused then;
 * THP, userfaultfd, MADV_REMOVE are not modeled; at most 4 candidate
 * values per word (more means "anything" until the next observation).
 *
 * Memory: everything comes from the world arena (reset per execution);
 * tables double in place and the old array is left to the arena.
 *
 * Lock order: takes no lock (runs inside cpu_tlb / i_rwsem / the mirror's
 * mutex, or at syscall entry and exit outside the kernel's locks).
 */
#include <stdlib.h>
#include <string.h>

#include "check/oracle.h"
#include "core/policy.h"
#include "core/world.h"
#include "mm/mm.h"

#define OW_CANDS 4
#define OW_DEAD 0x01 /* removed: the key's default applies */
#define OW_LAZY 0x02 /* MADV_FREE: zero allowed until the next write */
#define OW_ANY 0x04 /* unknown: any value until the next observation */
#define OW_WROTE 0x08 /* the value is a write no discarding op raced */
#define OW_RACED 0x10 /* written while a discarding op was in flight */

/* keys: word address | 1; a MAP_PRIVATE file page copied: page | 2 */
#define KEY_WORD(a) ((a) | 1UL)
#define KEY_COPIED(a) (((a)&PAGE_MASK) | 2UL)
#define KEY_ADDR(k) ((k) & ~7UL)

struct oword {
	unsigned long key;
	uint8_t n, flags;
	uint64_t v[OW_CANDS];
	uint64_t prev; /* OW_WROTE: the value the write replaced */
};

struct otable {
	struct oword *e;
	unsigned long size, used; /* size: power of two */
};

struct ofile {
	struct address_space *mapping;
	unsigned long size;
	bool learn; /* first seen after it had content: learn on read */
	struct otable words;
	struct ofile *next;
};

enum oregion_kind { OR_ANON, OR_SHARED, OR_FILE_PRIVATE, OR_DEVICE };
#define ORF_DONTFORK 1
#define ORF_WIPEONFORK 2

struct oregion {
	unsigned long start, end;
	unsigned long off; /* file offset of start (bytes) */
	struct ofile *file;
	uint8_t kind, prot, flags;
	char why[40]; /* the call that set @prot, for reports */
	const char *vwhy; /* the last call that set its content */
};

struct oracle_mm {
	struct mm_struct *mm;
	struct oracle_world *ow;
	struct oregion *r;
	int nr, cap;
	struct otable words;
	struct otable pending; /* fork in flight: the child's words */
	bool forking, dead;
	struct oracle_mm *next;
};

#define ORACLE_FLIGHTS 16
#define ORACLE_DONE 16

struct oflight {
	bool active;
	uint8_t op;
	struct oracle_mm *om;
	struct oracle_mm *child; /* forked while this was in flight */
	struct ofile *file;
	unsigned long start, end, dst, dst_end, arg;
};

struct odone {
	struct oracle_mm *om;
	struct ofile *file;
	unsigned long start, end;
};

struct oracle_world {
	struct world *w;
	struct mm_world *mmw;
	struct ofile *files;
	struct oracle_mm *mms;
	struct oflight flight[ORACLE_FLIGHTS];
	struct odone done[ORACLE_DONE];
	unsigned long nr_done;
};

/* ---- tables ---- */

static void ot_init(struct world *w, struct otable *t, unsigned long size)
{
	t->e = arena_alloc(w, size * sizeof(*t->e));
	memset(t->e, 0, size * sizeof(*t->e));
	t->size = size;
	t->used = 0;
}

static unsigned long ot_hash(unsigned long key, unsigned long size)
{
	return ((key >> 3) * 0x9E3779B97F4A7C15UL >> 20) & (size - 1);
}

static struct oword *ot_slot(struct otable *t, unsigned long key)
{
	unsigned long i = ot_hash(key, t->size);

	while (t->e[i].key && t->e[i].key != key)
		i = (i + 1) & (t->size - 1);
	return &t->e[i];
}

static struct oword *ot_find(struct otable *t, unsigned long key)
{
	struct oword *e = ot_slot(t, key);

	return e->key && !(e->flags & OW_DEAD) ? e : NULL;
}

static struct oword *ot_get(struct world *w, struct otable *t,
			    unsigned long key)
{
	struct oword *e = ot_slot(t, key);

	if (!e->key) {
		if (2 * (t->used + 1) > t->size) {
			struct otable old = *t;
			unsigned long i;

			ot_init(w, t, old.size * 2);
			for (i = 0; i < old.size; i++)
				if (old.e[i].key &&
				    !(old.e[i].flags & OW_DEAD)) {
					*ot_slot(t, old.e[i].key) = old.e[i];
					t->used++;
				}
			e = ot_slot(t, key);
		}
		e->key = key;
		t->used++;
		e->flags = OW_DEAD;
	}
	if (e->flags & OW_DEAD) {
		e->flags = 0;
		e->n = 0;
	}
	return e;
}

static void ot_copy(struct world *w, struct otable *dst,
		    const struct otable *src)
{
	ot_init(w, dst, src->size);
	memcpy(dst->e, src->e, src->size * sizeof(*src->e));
	dst->used = src->used;
}

/* mark the words and page markers of [lo, hi) removed */
static void ot_drop(struct otable *t, unsigned long lo, unsigned long hi)
{
	unsigned long i;

	for (i = 0; i < t->size; i++)
		if (t->e[i].key && KEY_ADDR(t->e[i].key) >= lo &&
		    KEY_ADDR(t->e[i].key) < hi)
			t->e[i].flags |= OW_DEAD;
}

static bool cand_has(const struct oword *e, uint64_t v)
{
	int i;

	if (e->flags & OW_ANY)
		return true;
	if ((e->flags & OW_LAZY) && !v)
		return true;
	for (i = 0; i < e->n; i++)
		if (e->v[i] == v)
			return true;
	return false;
}

static void cand_add(struct oword *e, uint64_t v)
{
	if (cand_has(e, v) && !(e->flags & OW_ANY))
		return;
	if (e->n < OW_CANDS)
		e->v[e->n++] = v;
	else
		e->flags |= OW_ANY;
}

static void cand_set(struct oword *e, uint64_t v, uint8_t flags)
{
	e->n = 1;
	e->v[0] = v;
	e->flags = flags;
}

/* ---- files ---- */

static struct ofile *ofile_get(struct oracle_world *ow,
			       struct address_space *mapping, bool learn)
{
	struct ofile *f;

	for (f = ow->files; f; f = f->next)
		if (f->mapping == mapping)
			return f;
	f = arena_alloc(ow->w, sizeof(*f));
	memset(f, 0, sizeof(*f));
	f->mapping = mapping;
	f->size = i_size_read(mapping);
	f->learn = learn && (f->size || mapping->nrpages);
	ot_init(ow->w, &f->words, 64);
	f->next = ow->files;
	ow->files = f;
	return f;
}

/* ---- regions ---- */

static struct oregion *region_find(struct oracle_mm *om, unsigned long va)
{
	int i;

	for (i = 0; i < om->nr; i++)
		if (va >= om->r[i].start && va < om->r[i].end)
			return &om->r[i];
	return NULL;
}

static void region_insert(struct oracle_mm *om, const struct oregion *r)
{
	int i;

	if (om->nr == om->cap) {
		struct oregion *n =
			arena_alloc(om->ow->w, 2 * om->cap * sizeof(*n));

		memcpy(n, om->r, om->nr * sizeof(*n));
		om->r = n;
		om->cap *= 2;
	}
	for (i = 0; i < om->nr && om->r[i].start < r->start; i++)
		;
	memmove(&om->r[i + 1], &om->r[i], (om->nr - i) * sizeof(*r));
	om->r[i] = *r;
	om->nr++;
}

/* make @addr a region boundary */
static void region_split(struct oracle_mm *om, unsigned long addr)
{
	struct oregion *r = region_find(om, addr), hi;

	if (!r || r->start == addr)
		return;
	hi = *r;
	hi.off += addr - r->start;
	hi.start = addr;
	r->end = addr;
	region_insert(om, &hi);
}

static void region_remove(struct oracle_mm *om, unsigned long s,
			  unsigned long e)
{
	int i, j;

	region_split(om, s);
	region_split(om, e);
	for (i = j = 0; i < om->nr; i++)
		if (om->r[i].start < s || om->r[i].end > e)
			om->r[j++] = om->r[i];
	om->nr = j;
	ot_drop(&om->words, s, e);
}

static unsigned long region_off(const struct oregion *r, unsigned long va)
{
	return r->off + (va - r->start);
}

static bool region_beyond_eof(const struct oregion *r, unsigned long va)
{
	return r->file &&
	       (r->kind == OR_SHARED || r->kind == OR_FILE_PRIVATE) &&
	       region_off(r, va) >> PAGE_SHIFT >= PAGE_ALIGN(r->file->size) >>
		       PAGE_SHIFT;
}

/* ---- where a word lives ---- */

struct oloc {
	struct otable *t;
	unsigned long key;
	bool learn;
};

static struct oloc loc_of(struct oracle_mm *om, struct oregion *r,
			  unsigned long va)
{
	struct oloc l = { &om->words, KEY_WORD(va), false };

	if (r->kind == OR_ANON)
		return l;
	if (r->kind == OR_FILE_PRIVATE &&
	    (ot_find(&om->words, l.key) || ot_find(&om->words, KEY_COPIED(va))))
		return l;
	l.t = &r->file->words;
	l.key = KEY_WORD(region_off(r, va));
	l.learn = r->file->learn;
	return l;
}

static bool loc_allows(const struct oloc *l, uint64_t v)
{
	struct oword *e = ot_find(l->t, l->key);

	if (!e)
		return l->learn || !v;
	return cand_has(e, v);
}

/* a read saw @v while nothing was in flight: narrow the set */
static void loc_observe(struct world *w, const struct oloc *l, uint64_t v)
{
	struct oword *e = ot_find(l->t, l->key);

	if (!e) {
		if (l->learn)
			cand_set(ot_get(w, l->t, l->key), v, 0);
		return;
	}
	if ((e->flags & OW_LAZY) && v)
		return; /* reclaim may still drop the lazily freed page */
	cand_set(e, v, e->flags & OW_WROTE);
}

/*
 * A write: the word holds the new value only.  @raced: a discarding
 * operation is in flight on it, so the write may yet be lost.  The value
 * it replaced is kept to tell a lost write from another wrong value.
 */
static void word_write(struct world *w, const struct oloc *l, uint64_t v,
		       bool raced)
{
	struct oword *e = ot_get(w, l->t, l->key);
	uint64_t prev = e->n ? e->v[0] : 0;

	cand_set(e, v, raced ? OW_RACED : OW_WROTE);
	e->prev = prev;
}

/* the first write to a MAP_PRIVATE file page: it becomes a private copy */
static void cow_file_page(struct oracle_mm *om, struct oregion *r,
			  unsigned long va)
{
	struct world *w = om->ow->w;
	unsigned long page = va & PAGE_MASK, a;

	if (ot_find(&om->words, KEY_COPIED(va)))
		return;
	for (a = page; a < page + PAGE_SIZE; a += 8) {
		struct oloc l = loc_of(om, r, a);
		struct oword *src, *dst;

		if (l.t == &om->words)
			continue;
		src = ot_find(l.t, l.key);
		if (!src && !l.learn)
			continue;
		dst = ot_get(w, &om->words, KEY_WORD(a));
		if (src)
			*dst = *src;
		else
			dst->flags = OW_ANY;
		dst->key = KEY_WORD(a);
	}
	ot_get(w, &om->words, KEY_COPIED(va));
}

/* ---- operations in flight ---- */

#define FL(op) (1U << (op))

static unsigned flight_mask(struct oracle_world *ow, struct oracle_mm *om,
			    struct oregion *r, unsigned long va,
			    struct oflight **remap, int *madv)
{
	unsigned mask = 0;
	int i;

	for (i = 0; i < ORACLE_FLIGHTS; i++) {
		struct oflight *fl = &ow->flight[i];

		if (!fl->active)
			continue;
		if (fl->file) {
			if (r && r->file == fl->file &&
			    region_off(r, va) >= fl->start)
				mask |= FL(fl->op);
			continue;
		}
		if (fl->om != om && (!fl->child || fl->child != om))
			continue;
		if (va >= fl->start && va < fl->end) {
			mask |= FL(fl->op);
			if (fl->op == ORACLE_MADVISE && madv)
				*madv = fl->arg;
		} else if (fl->op == ORACLE_MREMAP &&
			   ((va >= fl->dst && va < fl->dst_end) ||
			    (!fl->dst && !r))) {
			mask |= FL(fl->op);
			if (remap)
				*remap = fl;
		}
	}
	return mask;
}

static int flight_new(struct oracle_world *ow, int op)
{
	int i;

	for (i = 0; i < ORACLE_FLIGHTS; i++)
		if (!ow->flight[i].active) {
			memset(&ow->flight[i], 0, sizeof(ow->flight[i]));
			ow->flight[i].active = true;
			ow->flight[i].op = op;
			return i;
		}
	return -1;
}

static void done_push(struct oracle_world *ow, struct oracle_mm *om,
		      struct ofile *file, unsigned long start,
		      unsigned long end)
{
	struct odone *d = &ow->done[ow->nr_done++ % ORACLE_DONE];

	d->om = om;
	d->file = file;
	d->start = start;
	d->end = end;
}

static void flight_end(struct oracle_world *ow, int tok)
{
	struct oflight *fl;

	if (tok < 0)
		return;
	fl = &ow->flight[tok];
	done_push(ow, fl->om, fl->file, fl->start, fl->end);
	if (fl->dst_end)
		done_push(ow, fl->om, NULL, fl->dst, fl->dst_end);
	else if (fl->op == ORACLE_MREMAP)
		done_push(ow, fl->om, NULL, 0, ~0UL);
	fl->active = false;
}

/* did an operation on @va return since @seq0? */
static bool done_since(struct oracle_world *ow, struct oracle_mm *om,
		       struct oregion *r, unsigned long va, unsigned long seq0)
{
	unsigned long s;

	if (ow->nr_done - seq0 > ORACLE_DONE)
		return true; /* too many to tell: excuse */
	for (s = seq0; s < ow->nr_done; s++) {
		struct odone *d = &ow->done[s % ORACLE_DONE];

		if (d->file ? r && r->file == d->file &&
				      region_off(r, va) >= d->start :
			      d->om == om && va >= d->start && va < d->end)
			return true;
	}
	return false;
}

/* ---- setup ---- */

void oracle_world_init(struct mm_world *mmw)
{
	struct world *w = mmw->w;
	struct oracle_world *ow;

	mmw->oracle = NULL;
	if (!world_is_det(w) || !policy_bool(w, KNOB_CHECK_VALUE_ORACLE))
		return;
	ow = arena_alloc(w, sizeof(*ow));
	memset(ow, 0, sizeof(*ow));
	ow->w = w;
	ow->mmw = mmw;
	mmw->oracle = ow;
}

void oracle_mm_init(struct mm_struct *mm)
{
	struct oracle_world *ow = mm->mmw->oracle;
	struct oracle_mm *om;

	mm->oracle = NULL;
	if (!ow)
		return;
	om = arena_alloc(ow->w, sizeof(*om));
	memset(om, 0, sizeof(*om));
	om->mm = mm;
	om->ow = ow;
	om->cap = 8;
	om->r = arena_alloc(ow->w, om->cap * sizeof(*om->r));
	ot_init(ow->w, &om->words, 64);
	om->next = ow->mms;
	ow->mms = om;
	mm->oracle = om;
}

void oracle_file_init(struct mm_world *mmw, struct address_space *mapping)
{
	struct ofile *f;

	if (!mmw->oracle)
		return;
	/* a new file (maybe at the address of a freed one): known, empty */
	f = ofile_get(mmw->oracle, mapping, false);
	f->size = i_size_read(mapping);
	f->learn = false;
	ot_init(mmw->oracle->w, &f->words, 64);
}

/* ---- operations ---- */

int oracle_op_begin(struct mm_struct *mm, enum oracle_op op,
		    unsigned long start, unsigned long len, unsigned long arg)
{
	struct oracle_mm *om = mm->oracle;
	struct oflight *fl;
	int tok;

	if (!om)
		return -1;
	tok = flight_new(om->ow, op);
	if (tok < 0)
		return -1;
	fl = &om->ow->flight[tok];
	fl->om = om;
	fl->start = start;
	fl->end = start + PAGE_ALIGN(len);
	if (fl->end < start)
		fl->end = ~0UL;
	fl->arg = arg;
	return tok;
}

static void prot_name(char *buf, size_t len, const char *call, unsigned prot)
{
	snprintf(buf, len, "%s(%s)", call,
		 !(prot & (PROT_READ | PROT_WRITE)) ? "PROT_NONE" :
		 !(prot & PROT_WRITE)		    ? "PROT_READ" :
						      "PROT_READ|PROT_WRITE");
}

void oracle_mmap_end(struct mm_struct *mm, int tok, unsigned long ret,
		     unsigned long len, unsigned long prot, unsigned long flags,
		     unsigned long offset)
{
	struct oracle_mm *om = mm->oracle;
	struct oregion r = { 0 };
	struct vm_area_struct *vma;

	if (!om)
		return;
	if (!IS_ERR_VALUE(ret)) {
		r.start = ret;
		r.end = ret + PAGE_ALIGN(len);
		r.prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
		prot_name(r.why, sizeof(r.why), "mmap", r.prot);
		r.vwhy = "mmap()";
		vma = vma_lookup(mm, ret);
		if ((flags & MAP_TYPE) == MAP_PRIVATE &&
		    (flags & MAP_ANONYMOUS)) {
			r.kind = OR_ANON;
		} else if (vma && vma->vm_file && vma->vm_file->f_mapping &&
			   !(vma->vm_flags & VM_PFNMAP)) {
			r.file = ofile_get(om->ow, vma->vm_file->f_mapping,
					   true);
			r.kind = (flags & MAP_TYPE) == MAP_PRIVATE ?
					 OR_FILE_PRIVATE :
					 OR_SHARED;
			r.off = (flags & MAP_ANONYMOUS) ? 0 : offset;
		} else {
			r.kind =
				OR_DEVICE; /* a driver's mapping: not followed */
		}
		region_remove(om, r.start, r.end);
		region_insert(om, &r);
	}
	if (tok >= 0)
		om->ow->flight[tok].end = IS_ERR_VALUE(ret) ? 0 : r.end;
	if (tok >= 0 && !IS_ERR_VALUE(ret))
		om->ow->flight[tok].start = r.start;
	flight_end(om->ow, tok);
}

void oracle_munmap_end(struct mm_struct *mm, int tok, int ret,
		       unsigned long start, unsigned long len)
{
	struct oracle_mm *om = mm->oracle;

	if (!om)
		return;
	if (!ret)
		region_remove(om, start, start + PAGE_ALIGN(len));
	flight_end(om->ow, tok);
}

void oracle_mprotect_end(struct mm_struct *mm, int tok, int ret,
			 unsigned long start, unsigned long len,
			 unsigned long prot)
{
	struct oracle_mm *om = mm->oracle;
	unsigned long end = start + PAGE_ALIGN(len), at = start;
	int i;

	if (!om)
		return;
	if (!ret || ret == -ENOMEM) {
		/* -ENOMEM: the part before the first hole was changed */
		region_split(om, start);
		region_split(om, end);
		for (i = 0; i < om->nr; i++) {
			struct oregion *r = &om->r[i];

			if (r->end <= start)
				continue;
			if (r->start >= end || r->start != at)
				break;
			r->prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
			prot_name(r->why, sizeof(r->why), "mprotect", r->prot);
			at = r->end;
		}
	}
	flight_end(om->ow, tok);
}

static void madvise_region(struct oracle_mm *om, struct oregion *r,
			   int behavior)
{
	struct otable *t = &om->words;
	unsigned long i;

	switch (behavior) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		if (r->kind == OR_SHARED)
			return; /* the page cache keeps the data */
		r->vwhy = "MADV_DONTNEED";
		for (i = 0; i < t->size; i++) {
			struct oword *e = &t->e[i];
			unsigned long a = KEY_ADDR(e->key);

			if (!e->key || (e->flags & OW_DEAD) || a < r->start ||
			    a >= r->end)
				continue;
			if (!(e->flags & OW_RACED) || (e->key & 2)) {
				e->flags |= OW_DEAD;
			} else if (r->kind == OR_ANON) {
				cand_add(e, 0); /* the write may be lost */
				e->flags &= ~OW_RACED;
			} else {
				e->flags = OW_ANY;
			}
		}
		break;
	case MADV_FREE:
		r->vwhy = "MADV_FREE";
		for (i = 0; i < t->size; i++) {
			struct oword *e = &t->e[i];
			unsigned long a = KEY_ADDR(e->key);

			if (e->key && a >= r->start && a < r->end)
				e->flags |= OW_LAZY;
		}
		break;
	case MADV_DONTFORK:
		r->flags |= ORF_DONTFORK;
		break;
	case MADV_DOFORK:
		r->flags &= ~ORF_DONTFORK;
		break;
	case MADV_WIPEONFORK:
		r->flags |= ORF_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		r->flags &= ~ORF_WIPEONFORK;
		break;
	}
}

void oracle_madvise_end(struct mm_struct *mm, int tok, int ret,
			unsigned long start, unsigned long len, int behavior)
{
	struct oracle_mm *om = mm->oracle;
	unsigned long end = start + PAGE_ALIGN(len);
	int i;

	if (!om)
		return;
	if (!ret || ret == -ENOMEM) {
		region_split(om, start);
		region_split(om, end);
		for (i = 0; i < om->nr; i++)
			if (om->r[i].start >= start && om->r[i].end <= end)
				madvise_region(om, &om->r[i], behavior);
	}
	flight_end(om->ow, tok);
}

/* copy the regions and private words of [s, e) to @dst */
static void move_range(struct oracle_mm *om, unsigned long s, unsigned long e,
		       unsigned long dst)
{
	struct world *w = om->ow->w;
	struct oregion *copy;
	struct oword *moved;
	unsigned long i, n = 0;
	int k;

	region_remove(om, dst, dst + (e - s));
	region_split(om, s);
	region_split(om, e);
	copy = malloc((om->nr + 1) * sizeof(*copy));
	if (!copy)
		abort();
	for (k = 0; k < om->nr; k++)
		if (om->r[k].start >= s && om->r[k].end <= e)
			copy[n++] = om->r[k];
	for (i = 0; i < n; i++) {
		copy[i].start += dst - s;
		copy[i].end += dst - s;
		copy[i].vwhy = "mremap()";
		region_insert(om, &copy[i]);
	}
	free(copy);
	n = 0;
	moved = malloc((om->words.size + 1) * sizeof(*moved));
	if (!moved)
		abort();
	for (i = 0; i < om->words.size; i++) {
		struct oword *x = &om->words.e[i];

		if (x->key && !(x->flags & OW_DEAD) && KEY_ADDR(x->key) >= s &&
		    KEY_ADDR(x->key) < e) {
			moved[n++] = *x;
			x->flags |= OW_DEAD;
		}
	}
	for (i = 0; i < n; i++) {
		unsigned long key = moved[i].key + (dst - s);
		struct oword *x = ot_get(w, &om->words, key);

		*x = moved[i];
		x->key = key;
	}
	free(moved);
}

void oracle_mremap_end(struct mm_struct *mm, int tok, unsigned long ret,
		       unsigned long addr, unsigned long old_len,
		       unsigned long new_len, unsigned long flags)
{
	struct oracle_mm *om = mm->oracle;
	struct oregion *r, ext;

	if (!om)
		return;
	old_len = PAGE_ALIGN(old_len);
	new_len = PAGE_ALIGN(new_len);
	if (IS_ERR_VALUE(ret))
		goto out;
	if (ret == addr && !(flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))) {
		if (new_len < old_len) {
			region_remove(om, addr + new_len, addr + old_len);
		} else if (new_len > old_len) {
			r = region_find(om, addr + old_len - 1);
			if (r) {
				ext = *r;
				ext.off = region_off(r, addr + old_len);
				ext.start = addr + old_len;
				ext.end = addr + new_len;
				region_remove(om, ext.start, ext.end);
				region_insert(om, &ext);
			}
		}
		goto out;
	}
	/* moved to ret */
	r = region_find(om, addr + old_len - 1);
	ext = r ? *r : (struct oregion){ 0 };
	move_range(om, addr, addr + min(old_len, new_len), ret);
	if (new_len > old_len && r) {
		ext.off = region_off(&ext, addr + old_len);
		ext.start = ret + old_len;
		ext.end = ret + new_len;
		region_remove(om, ext.start, ext.end);
		region_insert(om, &ext);
	}
	/* MREMAP_DONTUNMAP leaves the old range mapped and empty */
	if (!(flags & MREMAP_DONTUNMAP))
		region_remove(om, addr, addr + old_len);
out:
	if (tok >= 0 && !IS_ERR_VALUE(ret) && ret != addr) {
		om->ow->flight[tok].dst = ret;
		om->ow->flight[tok].dst_end = ret + new_len;
	}
	flight_end(om->ow, tok);
}

void oracle_mremap_target(struct mm_struct *mm, int tok, unsigned long dst,
			  unsigned long len)
{
	struct oracle_mm *om = mm->oracle;

	if (!om || tok < 0)
		return;
	om->ow->flight[tok].dst = dst;
	om->ow->flight[tok].dst_end = dst + PAGE_ALIGN(len);
}

int oracle_fork_begin(struct mm_struct *oldmm)
{
	struct oracle_mm *om = oldmm->oracle;

	if (!om)
		return -1;
	ot_copy(om->ow->w, &om->pending, &om->words);
	om->forking = true;
	return 0;
}

void oracle_fork_end(struct mm_struct *oldmm, int tok, struct mm_struct *mm)
{
	struct oracle_mm *om = oldmm->oracle, *child;
	struct oregion cr;
	int i;

	if (!om || tok < 0)
		return;
	om->forking = false;
	if (!mm || !mm->oracle)
		return;
	child = mm->oracle;
	child->words = om->pending;
	/* an operation still returning in the parent: excused in the child */
	for (i = 0; i < ORACLE_FLIGHTS; i++)
		if (om->ow->flight[i].active && om->ow->flight[i].om == om)
			om->ow->flight[i].child = child;
	for (i = 0; i < om->nr; i++) {
		struct oregion *r = &om->r[i];

		if (r->flags & ORF_DONTFORK) {
			ot_drop(&child->words, r->start, r->end);
			continue;
		}
		if (r->flags & ORF_WIPEONFORK)
			ot_drop(&child->words, r->start, r->end);
		cr = *r;
		cr.vwhy = "fork()";
		region_insert(child, &cr);
	}
}

int oracle_exit_begin(struct mm_struct *mm)
{
	return oracle_op_begin(mm, ORACLE_EXIT, 0, ~0UL - PAGE_SIZE, 0);
}

void oracle_exit_end(struct mm_struct *mm, int tok)
{
	struct oracle_mm *om = mm->oracle;

	if (!om)
		return;
	om->nr = 0;
	om->dead = true;
	flight_end(om->ow, tok);
}

int oracle_truncate_begin(struct address_space *mapping, unsigned long length)
{
	struct oracle_world *ow = mapping->mmw->oracle;
	struct oflight *fl;
	int tok;

	if (!ow)
		return -1;
	tok = flight_new(ow, ORACLE_TRUNCATE);
	if (tok < 0)
		return -1;
	fl = &ow->flight[tok];
	fl->file = ofile_get(ow, mapping, true);
	fl->start = length;
	fl->end = ~0UL;
	return tok;
}

void oracle_truncate_end(struct address_space *mapping, int tok,
			 unsigned long length, int ret)
{
	struct oracle_world *ow = mapping->mmw->oracle;
	struct ofile *f;
	struct oracle_mm *om;
	int i;

	if (!ow)
		return;
	f = ofile_get(ow, mapping, true);
	if (!ret) {
		if (length < f->size) {
			ot_drop(&f->words, length, ~0UL);
			/* private copies past the new last page are unmapped */
			for (om = ow->mms; om; om = om->next)
				for (i = 0; i < om->nr; i++) {
					struct oregion *r = &om->r[i];
					unsigned long eof = PAGE_ALIGN(length);

					if (r->file != f ||
					    r->kind != OR_FILE_PRIVATE ||
					    r->off + (r->end - r->start) <= eof)
						continue;
					ot_drop(&om->words,
						r->start +
							(eof > r->off ?
								 eof - r->off :
								 0),
						r->end);
				}
		}
		f->size = length;
	}
	flight_end(ow, tok);
}

static bool file_in_flight(struct oracle_world *ow, struct ofile *f,
			   unsigned long pos)
{
	int i;

	for (i = 0; i < ORACLE_FLIGHTS; i++)
		if (ow->flight[i].active && ow->flight[i].file == f &&
		    pos >= ow->flight[i].start)
			return true;
	return false;
}

void oracle_file_write(struct address_space *mapping, unsigned long pos,
		       uint64_t val)
{
	struct oracle_world *ow = mapping->mmw->oracle;
	struct ofile *f;
	struct oloc l;

	if (!ow)
		return;
	f = ofile_get(ow, mapping, true);
	l = (struct oloc){ &f->words, KEY_WORD(pos), false };
	word_write(ow->w, &l, val, file_in_flight(ow, f, pos));
	if (pos + 8 > f->size)
		f->size = pos + 8;
}

static const char *who_name(int cpu, char *buf, size_t len)
{
	if (cpu == -2)
		snprintf(buf, len, "read(2) by %s",
			 current ? current->name : "no agent");
	else if (cpu < 0)
		snprintf(buf, len, "device (%s)",
			 current ? current->name : "no agent");
	else
		snprintf(buf, len, "CPU%d (%s)", cpu,
			 current ? current->name : "no agent");
	return buf;
}

static void report_value(struct oracle_world *ow, const struct oloc *l,
			 const char *who, const char *where, unsigned long va,
			 uint64_t v, const char *since)
{
	struct oword *e = ot_find(l->t, l->key);
	char cands[128] = "0 (never written)";
	bool lost = e && (e->flags & OW_WROTE) && !(e->flags & OW_LAZY) &&
		    e->n == 1 && v == e->prev && v != e->v[0];
	int i, n = 0;

	if (e) {
		cands[0] = 0;
		for (i = 0; i < e->n && n < (int)sizeof(cands) - 24; i++)
			n += snprintf(cands + n, sizeof(cands) - n, "%s%#llx",
				      i ? " or " : "",
				      (unsigned long long)e->v[i]);
		if (e->flags & OW_LAZY)
			snprintf(cands + n, sizeof(cands) - n, " or 0");
	}
	report_add(
		ow->w, lost ? "lost-write" : "value",
		"oracle: %s read %#llx at %s %#lx, but only %s is allowed there after %s had returned%s\n",
		who, (unsigned long long)v, where, va, cands,
		since ? since : "the last write",
		lost ? ": the last write is lost, and no discarding operation raced with it" :
		       " (no operation on it was in flight)");
}

void oracle_file_read(struct address_space *mapping, unsigned long pos,
		      uint64_t val, int ret)
{
	struct oracle_world *ow = mapping->mmw->oracle;
	struct ofile *f;
	struct oloc l;
	char who[64];

	if (!ow || ret != 8)
		return;
	f = ofile_get(ow, mapping, true);
	l = (struct oloc){ &f->words, KEY_WORD(pos), f->learn };
	if (file_in_flight(ow, f, pos))
		return;
	if (!loc_allows(&l, val)) {
		report_value(ow, &l, who_name(-2, who, sizeof(who)),
			     "file offset", pos, val, NULL);
		return;
	}
	loc_observe(ow->w, &l, val);
}

/* ---- accesses ---- */

void oracle_access(struct mm_struct *mm, int cpu, unsigned long va, bool write,
		   uint64_t val)
{
	struct oracle_mm *om = mm->oracle;
	struct oflight *remap = NULL;
	struct oracle_world *ow;
	struct oregion *r;
	unsigned fl, need;
	int madv = -1;
	struct oloc l;
	char who[64];
	bool ok;

	if (!om)
		return;
	ow = om->ow;
	r = region_find(om, va);
	fl = flight_mask(ow, om, r, va, &remap, &madv);
	if (remap && remap->dst && va >= remap->dst && va < remap->dst_end &&
	    va - remap->dst < remap->end - remap->start) {
		/* the target of a move in flight: the moved data */
		unsigned long src = remap->start + (va - remap->dst);
		struct oregion *sr = region_find(om, src);

		if (sr && !r) {
			r = sr;
			va = src;
		}
	}
	if (!r) {
		if (fl & (FL(ORACLE_MMAP) | FL(ORACLE_MUNMAP) |
			  FL(ORACLE_MREMAP) | FL(ORACLE_EXIT)))
			return;
		report_add(
			ow->w, "access-after-munmap",
			"oracle: %s %s va %#lx (mm %d) succeeded, but nothing is mapped there: the munmap/mremap that removed it had returned\n",
			who_name(cpu, who, sizeof(who)),
			write ? "write to" : "read of", va, mm->id);
		return;
	}
	need = write ? PROT_WRITE : (PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!(r->prot & need)) {
		if (fl &
		    (FL(ORACLE_MMAP) | FL(ORACLE_MUNMAP) | FL(ORACLE_MREMAP) |
		     FL(ORACLE_MPROTECT) | FL(ORACLE_EXIT)))
			goto checked_prot;
		report_add(
			ow->w, "permission",
			"oracle: %s %s va %#lx (mm %d) succeeded after %s had returned\n",
			who_name(cpu, who, sizeof(who)),
			write ? "write to" : "read of", va, mm->id, r->why);
		if (!write)
			return;
		/* the write landed all the same: later reads may see it */
	}
checked_prot:
	if (r->kind == OR_DEVICE)
		return;
	if (region_beyond_eof(r, va)) {
		if (!(fl & FL(ORACLE_TRUNCATE)))
			report_add(
				ow->w, "access-after-truncate",
				"oracle: %s %s va %#lx (mm %d, file offset %#lx) succeeded after truncate() to %lu had returned (SIGBUS expected)\n",
				who_name(cpu, who, sizeof(who)),
				write ? "write to" : "read of", va, mm->id,
				region_off(r, va), r->file->size);
		if (!write)
			return;
	}
	if (write) {
		bool raced = fl & (FL(ORACLE_MUNMAP) | FL(ORACLE_MADVISE) |
				   FL(ORACLE_TRUNCATE) | FL(ORACLE_MMAP) |
				   FL(ORACLE_MREMAP) | FL(ORACLE_EXIT));

		if (r->kind == OR_FILE_PRIVATE)
			cow_file_page(om, r, va);
		l = loc_of(om, r, va);
		if (om->forking && l.t == &om->words) {
			struct oword *p = ot_find(&om->pending, l.key);

			if (!p) {
				p = ot_get(ow->w, &om->pending, l.key);
				cand_set(p, 0, r->kind == OR_ANON ? 0 : OW_ANY);
			}
			cand_add(p, val);
			p->flags &= ~OW_LAZY;
		}
		word_write(ow->w, &l, val, raced);
		return;
	}
	l = loc_of(om, r, va);
	ok = loc_allows(&l, val);
	if (!ok && (fl & FL(ORACLE_MMAP)))
		ok = true;
	if (!ok && (fl & FL(ORACLE_TRUNCATE)) && !val)
		ok = true;
	if (!ok && madv == MADV_FREE && !val)
		ok = true;
	if (!ok && (madv == MADV_DONTNEED || madv == MADV_DONTNEED_LOCKED)) {
		if (r->kind == OR_ANON) {
			ok = !val;
		} else if (r->kind == OR_FILE_PRIVATE) {
			struct oloc fl2 = { &r->file->words,
					    KEY_WORD(region_off(r, va)),
					    r->file->learn };

			ok = loc_allows(&fl2, val);
		}
	}
	if (!ok && remap && remap->dst && va >= remap->dst &&
	    va < remap->dst_end &&
	    va - remap->dst < remap->end - remap->start) {
		/* a mapping being replaced by a move: the moved data too */
		unsigned long src = remap->start + (va - remap->dst);
		struct oregion *sr = region_find(om, src);

		if (sr) {
			struct oloc sl = loc_of(om, sr, src);

			ok = loc_allows(&sl, val);
		}
	}
	if (!ok) {
		char where[48];

		snprintf(where, sizeof(where), "mm %d va", mm->id);
		report_value(ow, &l, who_name(cpu, who, sizeof(who)), where, va,
			     val, r->vwhy);
		return;
	}
	if (!fl)
		loc_observe(ow->w, &l, val);
}

unsigned long oracle_seq(struct mm_struct *mm)
{
	return mm->oracle ? mm->oracle->ow->nr_done : 0;
}

void oracle_fault(struct mm_struct *mm, int cpu, unsigned long va, bool write,
		  int sig, unsigned long seq0)
{
	struct oracle_mm *om = mm->oracle;
	struct oracle_world *ow;
	struct oregion *r;
	unsigned need;
	char who[64];

	if (!om || (sig != CPU_SIGSEGV && sig != CPU_SIGBUS))
		return;
	ow = om->ow;
	r = region_find(om, va);
	need = write ? PROT_WRITE : (PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!r || r->kind == OR_DEVICE || !(r->prot & need) ||
	    region_beyond_eof(r, va))
		return;
	if (flight_mask(ow, om, r, va, NULL, NULL) ||
	    done_since(ow, om, r, va, seq0))
		return;
	report_add(
		ow->w, "spurious-fault",
		"oracle: %s %s va %#lx (mm %d) got %s, but the address is mapped %s and no operation on it was in flight\n",
		who_name(cpu, who, sizeof(who)), write ? "write to" : "read of",
		va, mm->id, sig == CPU_SIGBUS ? "SIGBUS" : "SIGSEGV",
		r->prot & PROT_WRITE ? "read-write" : "readable");
}
