// SPDX-License-Identifier: MIT
/*
 * Suite "unit": physical memory (src/phys).  struct page budget, the
 * allocator's LIFO reuse, generations, reference counts and bad-page
 * reports, sparse content, 2 MiB folios, pins, accounting and the leak
 * check, reset, the folio lock under the explorer, and a short real-engine
 * run of concurrent alloc/write/read/free.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/locking.h"
#include "engine/engine.h"
#include "phys/page.h"

struct fixture {
	struct world *w;
	struct phys_mem *pm;
};

#define NR_FRAMES 4096UL

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->w = world_create(&(struct world_opts){ .engine = ENGINE_DET });
	assert_non_null(f->w);
	f->pm = phys_mem_create(f->w, NR_FRAMES);
	assert_non_null(f->pm);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	phys_mem_destroy(f->pm);
	world_destroy(f->w);
	free(f);
	return 0;
}

static struct phys_mem *PM(void **state)
{
	return ((struct fixture *)*state)->pm;
}

static struct world *W(void **state)
{
	return ((struct fixture *)*state)->w;
}

static uint64_t rd(struct phys_mem *pm, unsigned long pfn, unsigned long off)
{
	uint64_t v = 0xdead;

	assert_int_equal(phys_read(pm, pfn, off, &v), 0);
	return v;
}

static void wr(struct phys_mem *pm, unsigned long pfn, unsigned long off,
	       uint64_t v)
{
	assert_int_equal(phys_write(pm, pfn, off, v), 0);
}

static void test_struct_page_budget(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct page), 64);
	assert_int_equal(sizeof(struct folio), sizeof(struct page));
}

static void test_pfn_page(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *page = alloc_page(pm, GFP_KERNEL);
	unsigned long pfn;

	assert_non_null(page);
	pfn = page_to_pfn(page);
	assert_true(pfn < NR_FRAMES);
	assert_ptr_equal(pfn_to_page(pm, pfn), page);
	assert_ptr_equal(page_phys_mem(page), pm);
	assert_ptr_equal(page_phys_mem(pfn_to_page(pm, NR_FRAMES - 1)), pm);
	assert_int_equal(page_to_pfn(pfn_to_page(pm, 0)), 0);
	assert_true(pfn_valid(pm, NR_FRAMES - 1));
	assert_false(pfn_valid(pm, NR_FRAMES));
	assert_int_equal(page_state(page), PAGE_STATE_KERNEL);
	assert_int_equal(page_ref_count(page), 1);
	assert_int_equal(page_mapcount(page), 0);
	put_page(page);
	assert_false(report_has(W(state), "bad-page"));
}

static void test_lifo_reuse(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *a = alloc_page(pm, GFP_KERNEL);
	struct page *b = alloc_page(pm, GFP_KERNEL);
	struct page *c;

	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);

	/* the frame just freed is the next one allocated */
	put_page(a);
	c = alloc_page(pm, GFP_KERNEL);
	assert_ptr_equal(c, a);

	/* last in, first out */
	put_page(b);
	put_page(c);
	assert_ptr_equal(alloc_page(pm, GFP_KERNEL), a);
	assert_ptr_equal(alloc_page(pm, GFP_KERNEL), b);
	__free_page(a);
	__free_page(b);
	assert_int_equal(phys_nr_allocated(pm), 0);
	assert_false(report_has(W(state), "bad-page"));
}

static void test_generation(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *page = alloc_page(pm, GFP_KERNEL);
	unsigned long pfn = page_to_pfn(page);
	unsigned long g = page_generation(page);

	/* references, mappings, pins, flags and content do not change it */
	get_page(page);
	put_page(page);
	page_mapcount_inc(page);
	page_mapcount_dec(page);
	assert_true(folio_try_pin(page_folio(page)));
	unpin_user_page(page);
	SetPageDirty(page);
	ClearPageDirty(page);
	page_set_state(page, PAGE_STATE_ANON);
	wr(pm, pfn, 0, 42);
	clear_highpage(page);
	assert_int_equal(page_generation(page), g);

	/* a free does, once */
	page_set_state(page, PAGE_STATE_KERNEL);
	put_page(page);
	assert_int_equal(phys_generation(pm, pfn), g + 1);

	/* reallocation does not */
	page = alloc_page(pm, GFP_KERNEL);
	assert_int_equal(page_to_pfn(page), pfn);
	assert_int_equal(page_generation(page), g + 1);
	put_page(page);
	assert_int_equal(page_generation(page), g + 2);
	assert_false(report_has(W(state), "bad-page"));
}

static void test_refcount(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *page = alloc_page(pm, GFP_KERNEL);
	unsigned long g = page_generation(page);

	get_page(page);
	get_page(page);
	assert_int_equal(page_ref_count(page), 3);
	put_page(page);
	put_page(page);
	assert_int_equal(page_ref_count(page), 1);
	assert_int_equal(phys_nr_allocated(pm), 1);
	assert_int_equal(page_generation(page), g);
	assert_int_equal(page_state(page), PAGE_STATE_KERNEL);

	put_page(page); /* the last reference frees */
	assert_int_equal(page_ref_count(page), 0);
	assert_int_equal(page_state(page), PAGE_STATE_FREE);
	assert_true(PageBuddy(page));
	assert_int_equal(page_generation(page), g + 1);
	assert_int_equal(phys_nr_allocated(pm), 0);

	/* speculative references fail on a free frame */
	assert_false(get_page_unless_zero(page));
	assert_false(folio_try_pin(page_folio(page)));

	/* freeze/unfreeze (migration) */
	page = alloc_page(pm, GFP_KERNEL);
	get_page(page);
	assert_false(folio_ref_freeze(page_folio(page), 1));
	assert_true(folio_ref_freeze(page_folio(page), 2));
	assert_false(get_page_unless_zero(page));
	folio_ref_unfreeze(page_folio(page), 1);
	assert_int_equal(page_ref_count(page), 1);
	put_page(page);
	assert_false(report_has(W(state), "bad-page"));
}

static void test_double_free_reported(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *page = alloc_page(pm, GFP_KERNEL);
	unsigned long g;

	put_page(page);
	g = page_generation(page);
	assert_false(report_has(W(state), "bad-page"));
	put_page(page); /* double free: reported, nothing else happens */
	assert_true(report_has(W(state), "bad-page"));
	assert_int_equal(page_ref_count(page), 0);
	assert_int_equal(page_generation(page), g);
	assert_int_equal(phys_nr_allocated(pm), 0);

	/* and the allocator still hands the frame out exactly once */
	assert_ptr_equal(alloc_page(pm, GFP_KERNEL), page);
	assert_ptr_not_equal(alloc_page(pm, GFP_KERNEL), page);
	assert_int_equal(phys_nr_allocated(pm), 2);
}

static void test_free_page_is_bad(void **state)
{
	struct phys_mem *pm = PM(state);
	struct world *w = W(state);
	struct page *page;

	/* freeing a still-mapped page */
	page = alloc_page(pm, GFP_KERNEL);
	page_mapcount_inc(page);
	put_page(page);
	assert_true(report_has(w, "bad-page"));

	/* get_page() on a free frame is refused and reported */
	world_reset(w);
	phys_mem_reset(pm);
	page = alloc_page(pm, GFP_KERNEL);
	put_page(page);
	get_page(page);
	assert_true(report_has(w, "bad-page"));
	assert_int_equal(page_ref_count(page), 0);

	/* a file page still in the page cache */
	world_reset(w);
	phys_mem_reset(pm);
	page = alloc_page(pm, GFP_KERNEL);
	page_set_state(page, PAGE_STATE_FILE);
	page->mapping = (struct address_space *)page; /* any non-NULL */
	put_page(page);
	assert_true(report_has(w, "bad-page"));

	/* mapcount underflow, unpin without pin, unlock without lock */
	world_reset(w);
	phys_mem_reset(pm);
	page = alloc_page(pm, GFP_KERNEL);
	assert_false(page_mapcount_dec(page));
	assert_true(report_has(w, "bad-page"));
	assert_int_equal(page_mapcount(page), 0);
	world_reset(w);
	unpin_user_page(page);
	assert_true(report_has(w, "bad-page"));
	assert_int_equal(page_ref_count(page), 1);
	world_reset(w);
	folio_unlock(page_folio(page));
	assert_true(report_has(w, "bad-page"));

	/* __free_pages() with the wrong order */
	world_reset(w);
	__free_pages(page, PMD_ORDER);
	assert_true(report_has(w, "bad-page"));
	assert_int_equal(page_ref_count(page), 1);
}

static void test_content(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *a = alloc_page(pm, GFP_KERNEL);
	struct page *b = alloc_page(pm, GFP_KERNEL);
	unsigned long pa = page_to_pfn(a), pb = page_to_pfn(b);
	unsigned long off;

	/* unwritten words read 0 */
	assert_int_equal(rd(pm, pa, 0), 0);
	assert_int_equal(rd(pm, pa, PAGE_SIZE - 8), 0);
	assert_int_equal(page_content_words(a), 0);

	wr(pm, pa, 8, 0x1111);
	wr(pm, pa, PAGE_SIZE - 8, 0x2222);
	wr(pm, pa, 0, 0x3333);
	assert_int_equal(rd(pm, pa, 0), 0x3333);
	assert_int_equal(rd(pm, pa, 8), 0x1111);
	assert_int_equal(rd(pm, pa, 16), 0);
	assert_int_equal(rd(pm, pa, PAGE_SIZE - 8), 0x2222);
	assert_int_equal(page_content_words(a), 3);
	wr(pm, pa, 8, 0x4444); /* overwrite */
	assert_int_equal(rd(pm, pa, 8), 0x4444);
	assert_int_equal(page_content_words(a), 3);
	wr(pm, pa, 8, 0); /* zero is not stored */
	assert_int_equal(rd(pm, pa, 8), 0);
	assert_int_equal(rd(pm, pa, 0), 0x3333);
	assert_int_equal(page_content_words(a), 2);
	assert_int_equal(rd(pm, pb, 0), 0); /* frames are separate */

	/* a whole frame, in a scrambled order */
	for (off = 0; off < PAGE_SIZE; off += 8)
		wr(pm, pb, (off * 37) % PAGE_SIZE,
		   ((off * 37) % PAGE_SIZE) + 1);
	for (off = 0; off < PAGE_SIZE; off += 8)
		assert_int_equal(rd(pm, pb, off), off + 1);
	assert_int_equal(page_content_words(b), PAGE_WORDS);

	/* copy, compare, checksum */
	assert_int_not_equal(memcmp_pages(a, b), 0);
	copy_highpage(a, b);
	assert_int_equal(memcmp_pages(a, b), 0);
	assert_int_equal(page_content_checksum(a), page_content_checksum(b));
	for (off = 0; off < PAGE_SIZE; off += 8)
		assert_int_equal(rd(pm, pa, off), off + 1);
	wr(pm, pa, 64, 7); /* the copy is independent */
	assert_int_equal(rd(pm, pb, 64), 65);
	assert_int_not_equal(memcmp_pages(a, b), 0);
	assert_int_not_equal(page_content_checksum(a),
			     page_content_checksum(b));

	/* clear_highpage, and copying an empty frame clears */
	clear_highpage(b);
	assert_int_equal(rd(pm, pb, 8), 0);
	assert_int_equal(page_content_words(b), 0);
	copy_highpage(a, b);
	assert_int_equal(rd(pm, pa, 64), 0);
	assert_int_equal(memcmp_pages(a, b), 0);

	/* equal content written differently compares equal */
	wr(pm, pa, 0, 5);
	wr(pm, pa, 16, 6);
	wr(pm, pb, 16, 6);
	wr(pm, pb, 8, 9);
	wr(pm, pb, 0, 5);
	wr(pm, pb, 8, 0);
	assert_int_equal(memcmp_pages(a, b), 0);
	assert_int_equal(page_content_checksum(a), page_content_checksum(b));

	/* freeing drops the content: the reused frame reads 0 */
	put_page(a);
	assert_int_equal(rd(pm, pa, 0), 0);
	a = alloc_page(pm, GFP_KERNEL);
	assert_int_equal(page_to_pfn(a), pa);
	assert_int_equal(rd(pm, pa, 16), 0);
	assert_int_equal(page_content_words(a), 0);

	/* a stale write to a free frame is cleared by a __GFP_ZERO alloc */
	put_page(a);
	wr(pm, pa, 0, 99);
	a = alloc_page(pm, GFP_KERNEL | __GFP_ZERO);
	assert_int_equal(page_to_pfn(a), pa);
	assert_int_equal(rd(pm, pa, 0), 0);
	put_page(a);
	put_page(b);
	assert_false(report_has(W(state), "bad-page"));
}

static void test_misaligned_rejected(void **state)
{
	struct phys_mem *pm = PM(state);
	uint64_t v = 1;

	assert_int_equal(phys_write(pm, 3, 4, 1), -EINVAL);
	assert_int_equal(phys_write(pm, 3, 1, 1), -EINVAL);
	assert_int_equal(phys_read(pm, 3, 12, &v), -EINVAL);
	assert_int_equal(phys_write(pm, 3, PAGE_SIZE, 1), -ERANGE);
	assert_int_equal(phys_read(pm, 3, PAGE_SIZE + 8, &v), -ERANGE);
	assert_int_equal(phys_write(pm, NR_FRAMES, 0, 1), -ERANGE);
	assert_int_equal(phys_read(pm, NR_FRAMES, 0, &v), -ERANGE);
	assert_int_equal(phys_read(pm, -1UL, 0, &v), -ERANGE);
	/* nothing was written */
	assert_int_equal(rd(pm, 3, 0), 0);
	assert_int_equal(page_content_words(pfn_to_page(pm, 3)), 0);
}

static void test_pmd_order(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *head = alloc_pages(pm, GFP_TRANSHUGE, PMD_ORDER);
	struct folio *folio;
	unsigned long pfn, i, gens[HPAGE_PMD_NR];

	assert_non_null(head);
	pfn = page_to_pfn(head);
	assert_int_equal(pfn % HPAGE_PMD_NR, 0);
	folio = page_folio(head);
	assert_ptr_equal(&folio->page, head);
	assert_true(folio_test_large(folio));
	assert_int_equal(folio_order(folio), PMD_ORDER);
	assert_int_equal(folio_nr_pages(folio), HPAGE_PMD_NR);
	assert_int_equal(phys_nr_allocated(pm), HPAGE_PMD_NR);
	for (i = 1; i < HPAGE_PMD_NR; i++) {
		struct page *tail = pfn_to_page(pm, pfn + i);

		assert_true(PageTail(tail));
		assert_ptr_equal(compound_head(tail), head);
		assert_ptr_equal(page_folio(tail), folio);
		assert_int_equal(page_ref_count(tail), 0);
		assert_int_equal(page_state(tail), PAGE_STATE_KERNEL);
	}
	assert_true(PageHead(head));
	assert_false(PageTail(head));

	/* references on a tail are the folio's */
	get_page(folio_page(folio, 100));
	assert_int_equal(folio_ref_count(folio), 2);
	assert_int_equal(page_count(folio_page(folio, 100)), 2);

	/* PMD and PTE mappings */
	assert_true(folio_entire_mapcount_inc(folio));
	assert_true(page_mapcount_inc(folio_page(folio, 3)));
	assert_int_equal(page_mapcount(folio_page(folio, 3)), 2);
	assert_int_equal(page_mapcount(folio_page(folio, 4)), 1);
	assert_int_equal(folio_mapcount(folio), 2);
	assert_true(page_mapcount_dec(folio_page(folio, 3)));
	assert_true(folio_entire_mapcount_dec(folio));
	assert_false(folio_mapped(folio));

	/* content in a tail frame */
	wr(pm, pfn + 511, 8, 77);
	assert_int_equal(rd(pm, pfn + 511, 8), 77);

	for (i = 0; i < HPAGE_PMD_NR; i++)
		gens[i] = phys_generation(pm, pfn + i);
	put_page(folio_page(folio, 100));
	assert_int_equal(phys_nr_allocated(pm), HPAGE_PMD_NR);
	folio_put(folio); /* every frame of the folio is freed */
	assert_int_equal(phys_nr_allocated(pm), 0);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		assert_int_equal(phys_generation(pm, pfn + i), gens[i] + 1);
		assert_int_equal(page_state(pfn_to_page(pm, pfn + i)),
				 PAGE_STATE_FREE);
	}
	assert_int_equal(rd(pm, pfn + 511, 8), 0);

	/* the 2 MiB block is reused first, too */
	head = alloc_pages(pm, GFP_TRANSHUGE, PMD_ORDER);
	assert_int_equal(page_to_pfn(head), pfn);
	assert_true(PageTail(pfn_to_page(pm, pfn + 1)));
	__free_pages(head, PMD_ORDER);

	/* orders other than 0 and PMD_ORDER are not supported */
	assert_null(alloc_pages(pm, GFP_KERNEL, 1));
	assert_false(report_has(W(state), "bad-page"));
}

static void test_oom_and_split(void **state)
{
	struct world *w = W(state);
	struct phys_mem *pm = phys_mem_create(w, 1024);
	struct page *h1, *h2, *p;
	unsigned long i, n;

	assert_non_null(pm);
	h1 = alloc_pages(pm, GFP_KERNEL, PMD_ORDER);
	h2 = alloc_pages(pm, GFP_KERNEL, PMD_ORDER);
	assert_non_null(h1);
	assert_non_null(h2);
	assert_null(alloc_pages(pm, GFP_KERNEL, PMD_ORDER));
	assert_null(alloc_page(pm, GFP_KERNEL)); /* OOM: NULL, no report */
	assert_false(report_has(w, "bad-page"));

	/* an order-0 allocation splits a free 2 MiB block */
	__free_pages(h2, PMD_ORDER);
	p = alloc_page(pm, GFP_KERNEL);
	assert_ptr_equal(p, h2);
	assert_false(PageHead(p));
	for (n = 1; alloc_page(pm, GFP_KERNEL); n++)
		;
	assert_int_equal(n, HPAGE_PMD_NR);
	assert_int_equal(phys_nr_allocated(pm), 1024);

	/* no coalescing: the frames come back one by one */
	for (i = 0; i < HPAGE_PMD_NR; i++)
		put_page(pfn_to_page(pm, page_to_pfn(h2) + i));
	assert_null(alloc_pages(pm, GFP_KERNEL, PMD_ORDER));
	assert_non_null(alloc_page(pm, GFP_KERNEL));
	phys_mem_destroy(pm);
}

static void test_pins(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *page = alloc_page(pm, GFP_KERNEL);
	struct folio *folio = page_folio(page);

	assert_false(folio_maybe_dma_pinned(folio));
	assert_true(folio_try_pin(folio));
	assert_true(folio_try_pin(folio));
	assert_int_equal(folio_pincount(folio), 2);
	assert_int_equal(folio_ref_count(folio), 3);
	assert_true(folio_maybe_dma_pinned(folio));
	/* plain references never look like pins (no bias) */
	folio_ref_add(folio, 2000);
	folio_put_refs(folio, 2000);
	assert_int_equal(folio_pincount(folio), 2);
	unpin_user_page(page);
	unpin_folio(folio);
	assert_false(folio_maybe_dma_pinned(folio));
	assert_int_equal(folio_ref_count(folio), 1);

	/* the pin's reference keeps the frame alive after the owner's put */
	assert_true(folio_try_pin(folio));
	put_page(page);
	assert_int_equal(page_state(page), PAGE_STATE_KERNEL);
	unpin_user_page(page);
	assert_int_equal(page_state(page), PAGE_STATE_FREE);
	assert_false(report_has(W(state), "bad-page"));
}

static void test_states_and_leaks(void **state)
{
	struct phys_mem *pm = PM(state);
	struct world *w = W(state);
	unsigned long counts[NR_PAGE_STATES];
	struct page *anon, *pt, *thp;
	long dev;

	phys_count_states(pm, counts);
	assert_int_equal(counts[PAGE_STATE_FREE], NR_FRAMES);
	assert_int_equal(phys_check_leaks(pm, 0), 0);

	anon = alloc_page(pm, GFP_KERNEL);
	page_set_state(anon, PAGE_STATE_ANON);
	assert_true(PageAnon(anon));
	pt = alloc_page(pm, GFP_KERNEL);
	page_set_state(pt, PAGE_STATE_PGTABLE);
	assert_true(PageTable(pt));
	thp = alloc_pages(pm, GFP_KERNEL, PMD_ORDER);
	folio_set_state(page_folio(thp), PAGE_STATE_ANON);
	dev = phys_reserve_range(pm, 16, PAGE_STATE_DEVICE);
	assert_true(dev >= 0);
	assert_int_equal(page_state(pfn_to_page(pm, dev + 15)),
			 PAGE_STATE_DEVICE);

	phys_count_states(pm, counts);
	assert_int_equal(counts[PAGE_STATE_ANON], 1 + HPAGE_PMD_NR);
	assert_int_equal(counts[PAGE_STATE_PGTABLE], 1);
	assert_int_equal(counts[PAGE_STATE_DEVICE], 16);
	assert_int_equal(counts[PAGE_STATE_FREE],
			 NR_FRAMES - 2 - HPAGE_PMD_NR - 16);
	assert_int_equal(phys_nr_allocated(pm), 2 + HPAGE_PMD_NR + 16);

	/* page tables and device frames allowed: the anon frames leak */
	assert_int_equal(
		phys_check_leaks(pm, PAGE_STATE_BIT(PAGE_STATE_PGTABLE) |
					     PAGE_STATE_BIT(PAGE_STATE_DEVICE)),
		1 + HPAGE_PMD_NR);
	assert_true(report_has(w, "frame-leak"));
	assert_false(report_has(w, "bad-page"));

	world_reset(w);
	put_page(anon);
	folio_put(page_folio(thp));
	assert_int_equal(
		phys_check_leaks(pm, PAGE_STATE_BIT(PAGE_STATE_PGTABLE) |
					     PAGE_STATE_BIT(PAGE_STATE_DEVICE)),
		0);
	assert_false(report_has(w, "frame-leak"));

	/* device frames are never freed: a put to zero is a bad page */
	put_page(pfn_to_page(pm, dev));
	assert_true(report_has(w, "bad-page"));
	assert_int_equal(page_state(pfn_to_page(pm, dev)), PAGE_STATE_DEVICE);
	assert_int_equal(phys_reserve_range(pm, 1, PAGE_STATE_ANON), -EINVAL);
}

static void test_split(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page *head = alloc_pages(pm, GFP_KERNEL, PMD_ORDER);
	struct folio *folio = page_folio(head);
	unsigned long pfn = page_to_pfn(head), i, g = page_generation(head);

	folio_set_state(folio, PAGE_STATE_FILE);
	folio->index = 1024;
	folio_set_dirty(folio);
	SetPageAnonExclusive(folio_page(folio, 7));
	wr(pm, pfn + 7, 0, 7);

	page_mapcount_inc(folio_page(folio, 1));
	assert_int_equal(split_folio_to_order0(folio), -EBUSY);
	page_mapcount_dec(folio_page(folio, 1));

	assert_int_equal(split_folio_to_order0(folio), 0);
	assert_false(folio_test_large(folio));
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *p = pfn_to_page(pm, pfn + i);

		assert_false(PageCompound(p));
		assert_ptr_equal(page_folio(p), (struct folio *)p);
		assert_int_equal(page_ref_count(p), 1);
		assert_int_equal(p->index, 1024 + i);
		assert_int_equal(page_state(p), PAGE_STATE_FILE);
		assert_true(PageDirty(p));
		assert_int_equal(PageAnonExclusive(p), i == 7);
		assert_int_equal(page_generation(p), g);
	}
	assert_int_equal(rd(pm, pfn + 7, 0), 7);
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *p = pfn_to_page(pm, pfn + i);

		ClearPageDirty(p);
		p->mapping = NULL;
		put_page(p);
	}
	assert_int_equal(phys_nr_allocated(pm), 0);
	assert_false(report_has(W(state), "bad-page"));
}

static void test_page_list(void **state)
{
	struct phys_mem *pm = PM(state);
	struct page_list l;
	struct page *p[4], *pos;
	int i, n;

	page_list_init(&l);
	assert_true(page_list_empty(&l));
	for (i = 0; i < 4; i++)
		p[i] = alloc_page(pm, GFP_KERNEL);
	page_list_add_tail(&l, p[1]);
	page_list_add_tail(&l, p[2]);
	page_list_add(&l, p[0]);
	page_list_add_tail(&l, p[3]);
	assert_int_equal(l.nr, 4);
	n = 0;
	for (pos = page_list_first(pm, &l); pos; pos = page_list_next(pos))
		assert_ptr_equal(pos, p[n++]);
	assert_int_equal(n, 4);
	page_list_del(&l, p[2]);
	page_list_del(&l, p[0]);
	assert_ptr_equal(page_list_first(pm, &l), p[1]);
	assert_ptr_equal(page_list_next(p[1]), p[3]);
	assert_null(page_list_next(p[3]));
	page_list_del(&l, p[3]);
	page_list_del(&l, p[1]);
	assert_true(page_list_empty(&l));
	assert_int_equal(l.nr, 0);
	for (i = 0; i < 4; i++)
		put_page(p[i]);
}

static void test_reset(void **state)
{
	struct phys_mem *pm = PM(state);
	struct world *w = W(state);
	struct page *first, *p, *thp;

	first = alloc_page(pm, GFP_KERNEL);
	put_page(first);
	p = alloc_page(pm, GFP_KERNEL);
	wr(pm, page_to_pfn(p), 0, 1);
	thp = alloc_pages(pm, GFP_KERNEL, PMD_ORDER);
	assert_int_equal(page_generation(first), 1);

	world_reset(w);
	phys_mem_reset(pm);
	assert_int_equal(phys_nr_allocated(pm), 0);
	assert_int_equal(page_generation(first), 0);
	assert_int_equal(page_state(thp), PAGE_STATE_FREE);
	assert_int_equal(rd(pm, page_to_pfn(p), 0), 0);
	/* the same allocations come out in the same order */
	assert_ptr_equal(alloc_page(pm, GFP_KERNEL), first);
	assert_ptr_equal(alloc_pages(pm, GFP_KERNEL, PMD_ORDER), thp);
	assert_int_equal(
		phys_check_leaks(pm, PAGE_STATE_BIT(PAGE_STATE_KERNEL)), 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * 4;
}

static void test_16m_frames(void **state)
{
	struct world *w = W(state);
	const unsigned long nr = 16UL << 20;
	double t0 = now(), t;
	long rss0 = rss_kib();
	struct phys_mem *pm = phys_mem_create(w, nr);
	struct page *p, *thp;
	double bpf;

	assert_non_null(pm);
	p = alloc_page(pm, GFP_KERNEL);
	thp = alloc_pages(pm, GFP_KERNEL, PMD_ORDER);
	assert_int_equal(page_to_pfn(p), nr - 1);
	assert_int_equal(page_to_pfn(thp), 0);
	assert_ptr_equal(page_phys_mem(p), pm);
	wr(pm, nr - 1, PAGE_SIZE - 8, 5);
	assert_int_equal(rd(pm, nr - 1, PAGE_SIZE - 8), 5);
	put_page(p);
	folio_put(page_folio(thp));
	t = now() - t0;
	bpf = phys_metadata_bytes_per_frame(pm);
	print_message("16M frames: %.2f ms, %.2f bytes/frame, RSS +%ld KiB\n",
		      t * 1e3, bpf, rss_kib() - rss0);
	assert_true(t < 1.0);
	assert_true(bpf >= 64.0 && bpf < 65.0);
	assert_true(rss_kib() - rss0 < 32 * 1024);
	phys_mem_reset(pm);
	phys_mem_destroy(pm);
	assert_null(phys_mem_create(w, 0));
	assert_null(phys_mem_create(w, PHYS_MAX_FRAMES + 1));
}

/* ---- the folio lock under the deterministic explorer ---- */

/*
 * A model's physical memory across executions: reset while the explorer
 * reuses its world, rebuilt when it starts another (it does, to trace).
 */
static struct phys_mem *phys_for(struct phys_mem *pm, struct world *w,
				 unsigned long nr)
{
	if (pm && pm->w == w) {
		phys_mem_reset(pm);
		return pm;
	}
	phys_mem_destroy(pm);
	return phys_mem_create(w, nr);
}

struct lock_model {
	struct phys_mem *pm;
	struct page *page;
	int counter;
	bool no_lock; /* negative control: the race must be found */
};

static void lock_agent(void *arg)
{
	struct lock_model *m = arg;
	struct folio *folio = page_folio(m->page);
	int v;

	if (!m->no_lock)
		folio_lock(folio);
	v = m->counter;
	sched_point(SP_EXPLICIT, &m->counter);
	m->counter = v + 1;
	if (!m->no_lock)
		folio_unlock(folio);
}

static int lock_setup(struct world *w, void *arg)
{
	struct lock_model *m = arg;

	m->pm = phys_for(m->pm, w, 64);
	m->page = alloc_page(m->pm, GFP_KERNEL);
	m->counter = 0;
	agent_create(w, "a", lock_agent, m);
	agent_create(w, "b", lock_agent, m);
	agent_create(w, "c", lock_agent, m);
	return 0;
}

static void lock_check(struct world *w, void *arg)
{
	struct lock_model *m = arg;

	if (m->counter != 3)
		report_add(w, "lost-update", "counter %d", m->counter);
	put_page(m->page);
	phys_check_leaks(m->pm, 0);
}

static void explore_folio_lock(bool no_lock)
{
	struct lock_model m = { .no_lock = no_lock };
	struct model model = { .name = "folio-lock",
			       .setup = lock_setup,
			       .check = lock_check,
			       .arg = &m };
	struct explore_opts o = { .strategy = STRAT_DFS,
				  .seed = 1,
				  .bound = 2,
				  .progress_fd = -1,
				  .stop_on_violation = true };
	struct explore_result r;

	assert_int_equal(explore(&model, &o, &r), 0);
	if (no_lock) {
		assert_string_equal(r.first_kind, "lost-update");
	} else {
		if (r.first_report)
			fprintf(stderr, "%s\n", r.first_report);
		assert_int_equal(r.violating, 0);
		assert_true(r.exhausted);
		assert_true(r.executions > 10);
	}
	explore_result_free(&r);
	phys_mem_destroy(m.pm);
}

static void test_folio_lock_explored(void **state)
{
	(void)state;
	explore_folio_lock(false);
	explore_folio_lock(true);
}

/* ---- alloc/free racing under the deterministic explorer ---- */

struct race_model {
	struct phys_mem *pm;
};

static void race_agent(void *arg)
{
	struct race_model *m = arg;
	int i;

	for (i = 0; i < 2; i++) {
		struct page *p = alloc_page(m->pm, GFP_KERNEL);
		unsigned long pfn = page_to_pfn(p);
		uint64_t v;

		phys_write(m->pm, pfn, 0, (uint64_t)current->id + 1);
		sched_point(SP_EXPLICIT, p);
		phys_read(m->pm, pfn, 0, &v);
		if (v != (uint64_t)current->id + 1)
			report_add(current->w, "lost-write", "pfn %#lx", pfn);
		put_page(p);
	}
}

static int race_setup(struct world *w, void *arg)
{
	struct race_model *m = arg;

	m->pm = phys_for(m->pm, w, 8);
	agent_create(w, "a", race_agent, m);
	agent_create(w, "b", race_agent, m);
	return 0;
}

static void race_check(struct world *w, void *arg)
{
	struct race_model *m = arg;

	if (phys_nr_allocated(m->pm))
		report_add(w, "frame-leak", "nr_allocated %lu",
			   phys_nr_allocated(m->pm));
	phys_check_leaks(m->pm, 0);
}

static void test_alloc_free_explored(void **state)
{
	struct race_model m = { 0 };
	struct model model = { .name = "alloc-free",
			       .setup = race_setup,
			       .check = race_check,
			       .arg = &m };
	struct explore_opts o = { .strategy = STRAT_RANDOM,
				  .seed = 1,
				  .iterations = 2000,
				  .bound = -1,
				  .progress_fd = -1,
				  .stop_on_violation = true };
	struct explore_result r;

	(void)state;
	assert_int_equal(explore(&model, &o, &r), 0);
	if (r.first_report)
		fprintf(stderr, "%s\n", r.first_report);
	assert_int_equal(r.violating, 0);
	assert_int_equal(r.executions, 2000);
	explore_result_free(&r);
	phys_mem_destroy(m.pm);
}

/* ---- real engine: concurrent alloc/write/read/free ---- */

#define REAL_AGENTS 4
#define REAL_ITERS 2000

static void real_agent(void *arg)
{
	struct phys_mem *pm = arg;
	uint64_t tag = (uint64_t)(current->id + 1) << 32;
	int i;

	for (i = 0; i < REAL_ITERS; i++) {
		struct page *p = alloc_pages(pm, GFP_KERNEL,
					     i % 64 == 0 ? PMD_ORDER : 0);
		unsigned long pfn, g;
		uint64_t v;

		if (!p)
			continue;
		pfn = page_to_pfn(p);
		g = page_generation(p);
		phys_write(pm, pfn, (i % PAGE_WORDS) * 8, tag | i);
		get_page(p);
		folio_lock(page_folio(p));
		phys_read(pm, pfn, (i % PAGE_WORDS) * 8, &v);
		folio_unlock(page_folio(p));
		if (v != (tag | i) || page_generation(p) != g)
			report_add(pm->w, "lost-write", "pfn %#lx", pfn);
		put_page(p);
		put_page(p);
	}
}

static void test_real_engine(void **state)
{
	struct world *w = world_create(&(struct world_opts){
		.engine = ENGINE_REAL, .real_delay_pct = 5, .seed = 3 });
	struct phys_mem *pm;
	int i;

	(void)state;
	assert_non_null(w);
	pm = phys_mem_create(w, 4096);
	assert_non_null(pm);
	for (i = 0; i < REAL_AGENTS; i++)
		assert_non_null(agent_create(w, "alloc", real_agent, pm));
	assert_int_equal(world_run(w), 0);
	if (!list_empty(&w->reports))
		report_print_all(w, stderr);
	assert_true(list_empty(&w->reports));
	assert_int_equal(phys_nr_allocated(pm), 0);
	assert_int_equal(phys_check_leaks(pm, 0), 0);
	phys_mem_destroy(pm);
	world_destroy(w);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_struct_page_budget),
		T(test_pfn_page),
		T(test_lifo_reuse),
		T(test_generation),
		T(test_refcount),
		T(test_double_free_reported),
		T(test_free_page_is_bad),
		T(test_content),
		T(test_misaligned_rejected),
		T(test_pmd_order),
		T(test_oom_and_split),
		T(test_pins),
		T(test_states_and_leaks),
		T(test_split),
		T(test_page_list),
		T(test_reset),
		T(test_16m_frames),
		T(test_folio_lock_explored),
		T(test_alloc_free_explored),
		T(test_real_engine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
