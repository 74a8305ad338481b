/* SPDX-License-Identifier: MIT */
/*
 * I/O page faults: page requests queued by the IOMMU and resolved by a
 * worker agent (see io-pgfault.c).
 */
#ifndef SECMMU_IOMMU_IO_PGFAULT_H
#define SECMMU_IOMMU_IO_PGFAULT_H

#include "iommu/iommu.h"

struct iopf_fault {
	struct iommu_fault fault;
	struct pci_dev *dev;
	unsigned long queued_step;
	struct iopf_fault *next;
};

/**
 * struct iopf_queue - a page request queue and its worker
 * @iommu: the IOMMU whose devices report here
 * @lock: "iopf_queue->lock" (leaf): guards the list and @pending
 * @head, @tail: queued requests; @free: recycled nodes
 * @nr_queued: requests on the list (read locklessly by the worker's wait)
 * @pending: per device id: queued or being handled (iopf_queue_flush_dev)
 * @wq: wakes the worker; @flush_wq: wakes flushers
 * @stop: iopf_queue_free() asked the worker to finish
 * @worker: the agent ("iopf")
 * @nr_*: statistics; @latency_steps: world steps from queueing to the
 *	response, summed
 */
struct iopf_queue {
	struct iommu *iommu;
	spinlock_t lock;
	struct iopf_fault *head, *tail, *free;
	int nr_queued;
	int pending[IOMMU_MAX_DEVICES];
	wait_queue_head_t wq;
	wait_queue_head_t flush_wq;
	bool stop;
	struct agent *worker;
	unsigned long nr_handled, nr_success, nr_invalid, latency_steps;
	unsigned long max_latency;
};

struct iopf_queue *iopf_queue_alloc(struct iommu *iommu, const char *name);
void iopf_queue_free(struct iopf_queue *queue);
int iopf_queue_add_device(struct iopf_queue *queue, struct pci_dev *dev);
int iopf_queue_remove_device(struct iopf_queue *queue, struct pci_dev *dev);
void iopf_queue_flush_dev(struct pci_dev *dev);
int iommu_queue_iopf(struct iommu_fault *fault, struct pci_dev *dev,
		     void *data);

#endif
