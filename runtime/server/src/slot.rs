//! Invocation slots: at most N non-streaming invocations of one connection run at once
//! (ASP.NET Core's `MaximumParallelInvocationsPerClient`). A method waiting for a client
//! result gives its slot back meanwhile, so the client can call the hub while it answers.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

/// The slots of one connection.
#[derive(Debug)]
pub(crate) struct Slots {
    limit: usize,
    busy: AtomicUsize,
    /// Signalled when a slot is given back.
    pub(crate) freed: Notify,
}

impl Slots {
    pub(crate) fn new(limit: usize) -> Self {
        Slots {
            limit: limit.max(1),
            busy: AtomicUsize::new(0),
            freed: Notify::new(),
        }
    }

    /// Takes a slot if one is free.
    pub(crate) fn try_take(&self) -> bool {
        self.busy
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                (b < self.limit).then_some(b + 1)
            })
            .is_ok()
    }

    fn give_back(&self) {
        self.busy.fetch_sub(1, Ordering::AcqRel);
        self.freed.notify_waiters();
    }

    /// Waits for a free slot and takes it.
    async fn take(&self) {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.try_take() {
                return;
            }
            freed.await;
        }
    }
}

/// The slot one running invocation holds.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
    held: Arc<AtomicBool>,
}

impl Slot {
    /// A slot already taken from `slots`.
    pub(crate) fn taken(slots: Arc<Slots>) -> Self {
        Slot {
            slots,
            held: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Gives the slot back if it is held; whether it was.
    pub(crate) fn release(&self) -> bool {
        let was = self.held.swap(false, Ordering::AcqRel);
        if was {
            self.slots.give_back();
        }
        was
    }

    async fn reacquire(&self) {
        self.slots.take().await;
        self.held.store(true, Ordering::Release);
    }
}

tokio::task_local! {
    pub(crate) static SLOT: Slot;
}

/// Runs `f` without the calling hub method's invocation slot, if it holds one, and takes a
/// slot again before returning.
pub(crate) async fn without_slot<F: Future>(f: F) -> F::Output {
    let slot = SLOT.try_with(Clone::clone).ok();
    let released = slot.as_ref().is_some_and(Slot::release);
    let output = f.await;
    if released && let Some(slot) = slot {
        slot.reacquire().await;
    }
    output
}
