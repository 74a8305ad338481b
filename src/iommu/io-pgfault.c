// SPDX-License-Identifier: MIT
/*
 * I/O page faults: the queue that takes page requests from devices and
 * the worker that resolves them against the process page tables.
 *
 * Models drivers/iommu/io-pgfault.c (iopf_queue_alloc/free,
 * iopf_queue_add_device/remove_device, iopf_queue_flush_dev,
 * iommu_queue_iopf, iopf_handler) as of 6.6: a request is queued, a
 * worker finds the domain of its PASID, calls the domain's handler
 * (iommu_sva_handle_iopf for SVA) and sends the page response.  The code
 * is our own.
 *
 * Simplifications:
 *  - The workqueue is one worker agent ("iopf", made by
 *    iopf_queue_alloc, stopped and joined by iopf_queue_free, as a
 *    kthread); requests are handled one at a time in arrival order.
 *  - One page per group (the device sends LAST_PAGE requests only), so
 *    there is no partial-group list.
 *  - A request whose PASID has no domain any more (unbound, released)
 *    is answered INVALID, as iopf_handler does.
 *
 * Lock order: iopf_queue->lock is a leaf.  The worker holds nothing of
 * the queue while it handles a request (mmap_lock is taken inside
 * iommu_sva_handle_iopf) or while it answers (pci_dev->prq_lock).
 */
#include <stdio.h>
#include <string.h>

#include "core/trace.h"
#include "iommu/io-pgfault.h"
#include "iommu/iommu-sva.h"

static unsigned long world_step(struct world *w)
{
	return __atomic_load_n(&w->step, __ATOMIC_RELAXED);
}

/**
 * iommu_queue_iopf - the devices' fault handler: queue a page request
 * @fault: the request (copied)
 * @dev: the device that sent it
 * @data: the queue (iopf_queue_add_device registered it)
 *
 * Returns 0, or -EOPNOTSUPP for anything but a page request.
 */
int iommu_queue_iopf(struct iommu_fault *fault, struct pci_dev *dev, void *data)
{
	struct iopf_queue *queue = data;
	struct world *w = queue->iommu->w;
	struct iopf_fault *f;

	if (fault->type != IOMMU_FAULT_PAGE_REQ)
		return -EOPNOTSUPP;
	spin_lock(&queue->lock);
	f = queue->free;
	if (f)
		queue->free = f->next;
	spin_unlock(&queue->lock);
	if (!f)
		f = arena_alloc(w, sizeof(*f));
	f->fault = *fault;
	f->dev = dev;
	f->queued_step = world_step(w);
	f->next = NULL;
	spin_lock(&queue->lock);
	if (queue->tail)
		queue->tail->next = f;
	else
		queue->head = f;
	queue->tail = f;
	__atomic_add_fetch(&queue->nr_queued, 1, __ATOMIC_RELEASE);
	queue->pending[dev->id]++;
	spin_unlock(&queue->lock);
	wake_up(&queue->wq);
	return 0;
}

/* iopf_handler: resolve one request and answer it */
static void iopf_handler(struct iopf_queue *queue, struct iopf_fault *f)
{
	struct world *w = queue->iommu->w;
	struct iommu_fault_page_request *prm = &f->fault.prm;
	enum iommu_page_response_code status = IOMMU_PAGE_RESP_INVALID;
	struct iommu_page_response resp;
	struct iommu_domain *domain;
	unsigned long lat;

	domain = iommu_get_domain_for_dev_pasid(f->dev, prm->pasid);
	if (domain && domain->type == IOMMU_DOMAIN_SVA)
		status = iommu_sva_handle_iopf(&f->fault, domain);
	trace_eventf(w, "iopf %s grp %u pasid %u va %#lx: %s", f->dev->name,
		     prm->grpid, prm->pasid, prm->addr,
		     status == IOMMU_PAGE_RESP_SUCCESS ? "success" : "invalid");
	resp = (struct iommu_page_response){
		.pasid = prm->pasid,
		.grpid = prm->grpid,
		.code = status,
	};
	iommu_page_response(f->dev, &resp);
	lat = world_step(w) - f->queued_step;
	__atomic_add_fetch(&queue->nr_handled, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(status == IOMMU_PAGE_RESP_SUCCESS ?
				   &queue->nr_success :
				   &queue->nr_invalid,
			   1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&queue->latency_steps, lat, __ATOMIC_RELAXED);
	if (lat > queue->max_latency)
		queue->max_latency = lat;
}

static void iopf_worker(void *arg)
{
	struct iopf_queue *queue = arg;
	struct iopf_fault *f;

	for (;;) {
		wait_event(queue->wq, __atomic_load_n(&queue->nr_queued,
						      __ATOMIC_ACQUIRE) ||
					      READ_ONCE(queue->stop));
		spin_lock(&queue->lock);
		f = queue->head;
		if (f) {
			queue->head = f->next;
			if (!queue->head)
				queue->tail = NULL;
			__atomic_sub_fetch(&queue->nr_queued, 1,
					   __ATOMIC_RELEASE);
		}
		spin_unlock(&queue->lock);
		if (!f)
			return; /* stopped, and nothing left */
		iopf_handler(queue, f);
		spin_lock(&queue->lock);
		queue->pending[f->dev->id]--;
		f->next = queue->free;
		queue->free = f;
		spin_unlock(&queue->lock);
		wake_up(&queue->flush_wq);
	}
}

/**
 * iopf_queue_alloc - a page request queue with its worker agent
 * @iommu: the IOMMU
 * @name: the worker's name
 *
 * Call from setup or from an agent.  Returns NULL if no agent can be made.
 */
struct iopf_queue *iopf_queue_alloc(struct iommu *iommu, const char *name)
{
	struct world *w = iommu->w;
	struct iopf_queue *queue = arena_alloc(w, sizeof(*queue));

	queue->iommu = iommu;
	spin_lock_init(w, &queue->lock, "iopf_queue->lock");
	init_waitqueue_head(w, &queue->wq);
	init_waitqueue_head(w, &queue->flush_wq);
	queue->worker = agent_create(w, name, iopf_worker, queue);
	if (!queue->worker)
		return NULL;
	iommu->iopf = queue;
	return queue;
}

/**
 * iopf_queue_free - stop the worker once the queue is empty, and wait
 *	for it (kthread_stop-like).  Call from an agent.
 */
void iopf_queue_free(struct iopf_queue *queue)
{
	WRITE_ONCE(queue->stop, true);
	wake_up(&queue->wq);
	agent_join(queue->worker);
}

/* the device's page requests go to @queue from now on */
int iopf_queue_add_device(struct iopf_queue *queue, struct pci_dev *dev)
{
	return iommu_register_device_fault_handler(dev, iommu_queue_iopf,
						   queue);
}

/* -EBUSY while the device has requests in flight */
int iopf_queue_remove_device(struct iopf_queue *queue, struct pci_dev *dev)
{
	int pending;

	spin_lock(&queue->lock);
	pending = queue->pending[dev->id];
	spin_unlock(&queue->lock);
	if (pending)
		return -EBUSY;
	return iommu_unregister_device_fault_handler(dev);
}

static bool iopf_dev_idle(struct iopf_queue *queue, struct pci_dev *dev)
{
	bool idle;

	spin_lock(&queue->lock);
	idle = !queue->pending[dev->id];
	spin_unlock(&queue->lock);
	return idle;
}

/**
 * iopf_queue_flush_dev - wait until every page request @dev queued so
 *	far has been answered (intel_svm_drain_prq's role at unbind)
 *
 * A no-op for a device whose faults do not go to an iopf queue.  May
 * sleep.
 */
void iopf_queue_flush_dev(struct pci_dev *dev)
{
	struct iopf_queue *queue;

	if (dev->fault_handler != iommu_queue_iopf)
		return;
	queue = dev->fault_data;
	wait_event(queue->flush_wq, iopf_dev_idle(queue, dev));
}
