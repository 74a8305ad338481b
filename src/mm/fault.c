// SPDX-License-Identifier: MIT
/*
 * User memory accesses by simulated CPUs: TLB lookup, the hardware page
 * walk, and the page-fault entry.
 *
 * Models the x86 MMU (a 4-level walk that sets the accessed and dirty
 * bits with a locked cmpxchg and caches the result in the TLB; a write
 * through a clean or read-only entry goes back to the page tables; a page
 * fault drops the faulting address's entry) and arch/x86/mm/fault.c
 * (do_user_addr_fault, access_error).
 *
 * Simplifications:
 *  - One access is 8 bytes at an 8-byte aligned address; it never spans
 *    pages.  Only user-mode data accesses (no instruction fetch, no
 *    SMAP/PKU).
 *  - The whole access, walk included, runs under cpu->tlb_lock: a TLB
 *    shootdown is serviced before or after it, never inside (see tlb.c).
 *  - The walk reads each level once (a schedule point each) inside
 *    rcu_read_lock(), as GUP-fast does in Linux; a freed page-table page
 *    reached by a walk is reported, not followed.
 *  - No stack expansion: an address below a VMA is SIGSEGV.
 *  - The fault is FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE as on x86;
 *    only drivers' ->fault handlers return VM_FAULT_RETRY (having
 *    dropped mmap_lock).  An access that does not make progress is
 *    retried until FAULT_RETRY_LIMIT and then reported.
 *  - An access to a device MMIO frame asks mmw->mmio_access (src/pci)
 *    whether the device decodes it: if not it reads all ones (the
 *    checker reports "mmio-while-disabled" there).
 *
 * Checks made here:
 *  - "stale-tlb": a TLB hit on a frame freed since the entry was filled
 *    (check_stale_translation, tlb.c);
 *  - "stale-pte": a walk found a present PTE to a free frame (the kernel
 *    freed a page that was still mapped);
 *  - "pgtable-use-after-free": a walk reached a table frame that is no
 *    longer a page table;
 *  - "missed-dirty": a write lands while the PTE does not record it
 *    (check_missed_dirty, src/check/dirty.c).
 *
 * Lock order: cpu_tlb alone (with the RCU read side); the fault handler
 * runs after it is dropped and takes mmap_lock for read (see memory.c).
 */
#include <stdio.h>

#include "check/oracle.h"
#include "check/check.h"
#include "core/trace.h"
#include "mm/mm.h"
#include "mm/tlb.h"

#define FAULT_RETRY_LIMIT 1000

static unsigned long level_index(int level, unsigned long va)
{
	return (va >> (PAGE_SHIFT + 9 * (level - 1))) & (PTRS_PER_PTE - 1);
}

static void report_walk(struct cpu *cpu, const char *kind, unsigned long va,
			int level, uint64_t val, const char *what)
{
	report_add(
		cpu->mmw->w, kind,
		"CPU%d: %s: page walk of va %#lx at level %d (entry %#llx): %s\n",
		cpu->id, current ? current->name : "(no agent)", va, level,
		(unsigned long long)val, what);
}

/*
 * hw_page_walk - the MMU's walk for an access to @va.
 *
 * Returns 0 with *fill set, or the x86 error code of the page fault to
 * raise (X86_PF_PROT if a present entry denied the access).
 */
static unsigned long hw_page_walk(struct cpu *cpu, struct mm_struct *mm,
				  unsigned long va, bool write,
				  struct tlb_entry *fill)
{
	struct phys_mem *pm = mm->mmw->pm;
	unsigned long err;
	uint64_t need = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
	uint64_t *entry, val, perm;
	unsigned long pfn;
	struct ptdesc *pt;
	struct page *page;
	int level;

	rcu_read_lock();
retry:
	/* a retried walk starts over: a lost A/D race sets no PROT bit */
	err = X86_PF_USER | (write ? X86_PF_WRITE : 0);
	pt = ptdesc_of(mm->pgd);
	perm = _PAGE_RW | _PAGE_USER;
	for (level = 4;; level--) {
		entry = &pt->entries[level_index(level, va)];
		val = __PT_LOAD(entry);
		if (!(val & _PAGE_PRESENT))
			goto fault;
		perm &= val;
		if (level == 1 || (level == 2 && (val & _PAGE_PSE)))
			break;
		pt = ptdesc_of_pfn(pm, (val & PTE_PFN_MASK) >> PAGE_SHIFT);
		if (!pt) {
			report_walk(
				cpu, "pgtable-use-after-free", va, level, val,
				"the entry points to a frame that is no longer a page table");
			goto fault;
		}
	}
	err |= X86_PF_PROT;
	if (!(perm & _PAGE_USER) || (write && !(perm & _PAGE_RW)))
		goto fault;
	if ((val & need) != need) {
		if (!ptep_cmpxchg((pte_t *)entry, __pte(val),
				  __pte(val | need)))
			goto retry;
		val |= need;
	}
	pfn = (val & PTE_PFN_MASK) >> PAGE_SHIFT;
	if (level == 2)
		pfn += (va >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
	if (!pfn_valid(pm, pfn)) {
		report_walk(cpu, "bad-pte", va, level, val,
			    "the frame is out of range");
		goto fault;
	}
	page = pfn_to_page(pm, pfn);
	if (PageBuddy(page))
		report_walk(cpu, "stale-pte", va, level, val,
			    "a present PTE maps a free frame");
	rcu_read_unlock();
	*fill = (struct tlb_entry){
		.vpn = va >> PAGE_SHIFT,
		.pfn = pfn,
		.gen = page_generation(page),
		.fill_step =
			__atomic_load_n(&cpu->mmw->w->step, __ATOMIC_RELAXED),
		.mm_id = mm->id,
		.fill_agent = current ? current->id : -1,
		.writable = perm & _PAGE_RW,
		.user = true,
		.dirty = val & _PAGE_DIRTY,
		.leaf_level = level,
		.ptep = entry,
	};
	return 0;

fault:
	rcu_read_unlock();
	return err;
}

/* the memory access itself, through a checked entry */
static void cpu_do_access(struct cpu *cpu, struct tlb_entry *e,
			  unsigned long va, bool write, uint64_t *val)
{
	struct phys_mem *pm = cpu->mmw->pm;
	unsigned long off = va & ~PAGE_MASK;

	check_stale_translation(cpu, e, va, write);
	if (unlikely(cpu->mmw->mmio_access) &&
	    page_state(pfn_to_page(pm, e->pfn)) == PAGE_STATE_DEVICE &&
	    !cpu->mmw->mmio_access(cpu->mmw, cpu, e, va, write)) {
		/* not decoded: a master abort reads all ones */
		if (!write)
			*val = ~0ULL;
		return;
	}
	if (write) {
		check_missed_dirty(cpu, e, va);
		phys_write(pm, e->pfn, off, *val);
	} else {
		phys_read(pm, e->pfn, off, val);
	}
	if (cpu->loaded_mm)
		oracle_access(cpu->loaded_mm, cpu->id, va, write, *val);
}

/*
 * One attempt: 0 if the access was done, else the error code of the
 * fault to take.  Under cpu->tlb_lock.
 */
static unsigned long cpu_try_access(struct cpu *cpu, struct mm_struct *mm,
				    unsigned long va, bool write, uint64_t *val)
{
	struct tlb_entry *e = tlb_lookup(cpu, mm, va);
	struct tlb_entry fill;
	unsigned long err;

	if (e && (!write || (e->writable && e->dirty))) {
		cpu->nr_hits++;
		cpu_do_access(cpu, e, va, write, val);
		return 0;
	}
	if (e && write && !e->writable) {
		/* a cached read-only entry faults without a walk */
		tlb_invalidate_entry(e);
		return X86_PF_PROT | X86_PF_WRITE | X86_PF_USER;
	}
	/* miss, or a write through a clean entry: walk (again) */
	cpu->nr_misses++;
	cpu->nr_walks++;
	err = hw_page_walk(cpu, mm, va, write, &fill);
	if (err) {
		if (e)
			tlb_invalidate_entry(e);
		return err;
	}
	tlb_fill(cpu, &fill);
	trace_event_cpu(cpu->mmw->w, cpu->id,
			"tlb fill va %#lx -> pfn %#lx gen %lu %s",
			va & PAGE_MASK, fill.pfn, fill.gen,
			fill.writable ? "rw" : "ro");
	cpu_do_access(cpu, tlb_lookup(cpu, mm, va), va, write, val);
	return 0;
}

/**
 * cpu_access - one user access by @cpu in @mm
 * @cpu: the CPU (loads @mm first if it runs another)
 * @mm: the address space
 * @va: the address, 8-byte aligned
 * @write: store *@val, else load into *@val
 * @val: the value
 *
 * Returns 0, CPU_SIGSEGV (-EFAULT), CPU_SIGBUS (-EBUSY), -ENOMEM (the
 * fault ran out of memory), -EINVAL for a misaligned @va, or -EAGAIN if
 * the fault never made progress (reported as "fault-livelock").
 */
int cpu_access(struct cpu *cpu, struct mm_struct *mm, unsigned long va,
	       bool write, uint64_t *val)
{
	unsigned long err, seq = oracle_seq(mm);
	int tries, ret;

	if (va & 7)
		return -EINVAL;
	for (tries = 0; tries < FAULT_RETRY_LIMIT; tries++) {
		spin_lock(&cpu->tlb_lock);
		if (cpu->loaded_mm != mm) {
			spin_unlock(&cpu->tlb_lock);
			switch_mm(cpu, mm);
			continue;
		}
		err = va < TASK_SIZE ? cpu_try_access(cpu, mm, va, write, val) :
				       X86_PF_USER | X86_PF_PROT;
		spin_unlock(&cpu->tlb_lock);
		if (!err)
			return 0;
		__atomic_add_fetch(&cpu->nr_faults, 1, __ATOMIC_RELAXED);
		ret = do_user_addr_fault(cpu, mm, va, err);
		if (ret) {
			oracle_fault(mm, cpu->id, va, write, ret, seq);
			return ret;
		}
	}
	report_add(
		cpu->mmw->w, "fault-livelock",
		"CPU%d: %s: access to va %#lx faulted %d times without progress\n",
		cpu->id, current ? current->name : "(no agent)", va, tries);
	return -EAGAIN;
}

int cpu_read(struct cpu *cpu, struct mm_struct *mm, unsigned long va,
	     uint64_t *val)
{
	return cpu_access(cpu, mm, va, false, val);
}

int cpu_write(struct cpu *cpu, struct mm_struct *mm, unsigned long va,
	      uint64_t val)
{
	return cpu_access(cpu, mm, va, true, &val);
}

/* 1 if the VMA does not allow the access the CPU tried */
static int access_error(unsigned long error_code, struct vm_area_struct *vma)
{
	if (error_code & X86_PF_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (error_code & X86_PF_PROT)
		return 1; /* a read of a present page was refused */
	return !vma_is_accessible(vma);
}

/**
 * do_user_addr_fault - the page-fault handler's user half
 * @cpu: the faulting CPU
 * @mm: its address space
 * @address: the faulting address
 * @error_code: X86_PF_* bits from the walk
 *
 * Returns 0 (retry the access), CPU_SIGSEGV, CPU_SIGBUS or -ENOMEM.
 */
int do_user_addr_fault(struct cpu *cpu, struct mm_struct *mm,
		       unsigned long address, unsigned long error_code)
{
	unsigned int flags = FAULT_FLAG_USER;
	struct vm_area_struct *vma;
	vm_fault_t fault;

	if (address >= TASK_SIZE)
		return CPU_SIGSEGV;
	if (error_code & X86_PF_WRITE)
		flags |= FAULT_FLAG_WRITE;
	flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;

retry:
	mmap_read_lock(mm);
	vma = find_vma(mm, address);
	if (!vma || vma->vm_start > address || access_error(error_code, vma)) {
		mmap_read_unlock(mm);
		return CPU_SIGSEGV; /* bad_area() */
	}
	fault = handle_mm_fault(vma, address, flags);
	/* VM_FAULT_RETRY: the handler dropped mmap_lock (a driver's ->fault
	 * waiting for its own lock, vfio-pci's memory_lock); look again */
	if (fault & VM_FAULT_RETRY) {
		if (fatal_signal_pending(current))
			return CPU_SIGBUS; /* the task is dying anyway */
		flags |= FAULT_FLAG_TRIED;
		goto retry;
	}
	mmap_read_unlock(mm);
	trace_event_cpu(mm->mmw->w, cpu->id, "page fault va %#lx %s: %#x",
			address, flags & FAULT_FLAG_WRITE ? "write" : "read",
			fault);

	if (fault & VM_FAULT_OOM)
		return -ENOMEM;
	if (fault & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON))
		return CPU_SIGBUS;
	if (fault & VM_FAULT_SIGSEGV)
		return CPU_SIGSEGV;
	return 0;
}
