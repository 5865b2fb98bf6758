//! The receiving side of an instance task: its incoming channels, read in
//! turn, with what each received and could not deliver yet (an input at its
//! buffer bound parks its link; backpressure).

use std::collections::VecDeque;
use std::task::Poll;

use tokio::sync::mpsc::Receiver;

use super::send_queues::{Batch, SendQueues};
use crate::runtime::node::envelope::{Delivery, OutputId};
use crate::runtime::node::instance::InstanceCore;
use crate::runtime::node::topology::CycleCut;

/// One incoming link of an instance task: its channel, the outputs the
/// inputs it carries feed, and what was received and not yet delivered.
pub(super) struct InLink {
    rx: Receiver<Batch>,
    /// The outputs fed by the inputs this link carries.
    outputs: Vec<OutputId>,
    /// Messages received and not delivered yet, in order.
    buffered: VecDeque<Delivery>,
    /// The first buffered message waits at the buffer bound.
    parked: bool,
    /// The channel has closed (what is buffered is still delivered).
    closed: bool,
}

impl InLink {
    /// A link reading `rx`, whose inputs feed `outputs`.
    pub(super) fn new(rx: Receiver<Batch>, outputs: Vec<OutputId>) -> InLink {
        InLink {
            rx,
            outputs,
            buffered: VecDeque::new(),
            parked: false,
            closed: false,
        }
    }

    /// The first buffered message, if it can be delivered now: its outputs
    /// have nothing waiting and it fits in the wrappers. A message that
    /// does not fit parks the link (counted as backpressure once).
    pub(super) fn take_ready(
        &mut self,
        core: &mut InstanceCore,
        outgoing: &SendQueues,
    ) -> Option<Delivery> {
        let head = self.buffered.front()?;
        if self.outputs.iter().any(|o| outgoing.is_waiting(*o)) {
            return None;
        }
        if core.would_block(head) {
            if !self.parked {
                core.note_backpressure();
                self.parked = true;
            }
            return None;
        }
        self.parked = false;
        self.buffered.pop_front()
    }
}

/// Every incoming link of an instance task, read round-robin.
pub(super) struct ReceiveLinks {
    links: Vec<InLink>,
    cursor: usize,
}

impl ReceiveLinks {
    /// The links of one instance.
    pub(super) fn new(links: Vec<InLink>) -> ReceiveLinks {
        ReceiveLinks { links, cursor: 0 }
    }

    /// True when no link has a message ready or parked.
    pub(super) fn idle(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.buffered.is_empty() && (l.closed || l.rx.is_empty()))
    }

    /// What link `link` received and has not delivered yet, in order, for
    /// the instance to deliver from ([`Node::deliver_run`](crate::runtime::node::Node::deliver_run)).
    pub(super) fn buffered(&mut self, link: usize) -> Option<&mut VecDeque<Delivery>> {
        self.links.get_mut(link).map(|l| &mut l.buffered)
    }
}

pub(super) enum Event {
    /// A message to deliver, from link `.1`.
    Message(Delivery, usize),
    /// Some queued sends went out, or a link was parked: look again.
    Flushed,
    /// Every open link is parked at the buffer bound and nothing is queued.
    Stalled,
    /// Every link is closed and nothing is queued.
    Closed,
    /// Time to look for partitions waiting past the configured time.
    OverdueCheck,
    /// Time to publish the live snapshot of an idle instance.
    Publish,
    /// The run is quiet: end this cycle-closing stream the instance
    /// produces.
    EndCycle(CycleCut),
    /// The run was stopped (`RunningDataflow::finish_within`).
    Stopped,
}

impl ReceiveLinks {
    /// Sends what can be sent and takes the next admissible message, round
    /// robin over the links. A link is read only when its outputs have
    /// nothing waiting and its next record fits in the wrappers.
    pub(super) async fn next(
        &mut self,
        core: &mut InstanceCore,
        outgoing: &mut SendQueues,
    ) -> Event {
        std::future::poll_fn(|cx| {
            let flushed = outgoing.poll_flush(cx);
            let n = self.links.len();
            let mut pending = false;
            let mut parked = false;
            for k in 0..n {
                let i = (self.cursor + k) % n;
                let link = &mut self.links[i];
                if link.buffered.is_empty() && !link.closed {
                    if link.outputs.iter().any(|o| outgoing.is_waiting(*o)) {
                        pending = true;
                        continue;
                    }
                    match link.rx.poll_recv(cx) {
                        Poll::Ready(Some(batch)) => link.buffered = batch.into(),
                        Poll::Ready(None) => link.closed = true,
                        Poll::Pending => pending = true,
                    }
                }
                if link.buffered.is_empty() {
                    continue;
                }
                let was_parked = link.parked;
                match link.take_ready(core, outgoing) {
                    Some(m) => {
                        self.cursor = (i + 1) % n;
                        return Poll::Ready(Event::Message(m, i));
                    }
                    None if link.parked && !was_parked => parked = true,
                    None if !link.parked => pending = true,
                    None => {}
                }
            }
            if flushed || parked {
                // Parking arms the stall timer in the caller.
                Poll::Ready(Event::Flushed)
            } else if pending || !outgoing.is_empty() {
                Poll::Pending
            } else if self.links.iter().any(|l| l.parked) {
                Poll::Ready(Event::Stalled)
            } else {
                Poll::Ready(Event::Closed)
            }
        })
        .await
    }

    /// Drops what is left on every link, received or still coming, until
    /// each closes, telling `dropped` how many messages each time (an
    /// instance that has finished, in a run that counts its messages).
    pub(super) async fn drain(&mut self, mut dropped: impl FnMut(u64)) {
        dropped(self.drop_buffered());
        std::future::poll_fn(|cx| {
            let mut open = false;
            for link in self.links.iter_mut().filter(|l| !l.closed) {
                loop {
                    match link.rx.poll_recv(cx) {
                        Poll::Ready(Some(batch)) => dropped(batch.len() as u64),
                        Poll::Ready(None) => {
                            link.closed = true;
                            break;
                        }
                        Poll::Pending => {
                            open = true;
                            break;
                        }
                    }
                }
            }
            if open { Poll::Pending } else { Poll::Ready(()) }
        })
        .await;
    }

    /// Takes what was received and not delivered, and what the links hold
    /// now, without waiting (the run was stopped). Each link is closed
    /// first, so a producer's later send is refused back to it rather than
    /// left in a channel nobody reads.
    pub(super) fn abandon(&mut self) -> Vec<Delivery> {
        let mut out = Vec::new();
        for link in &mut self.links {
            link.rx.close();
            link.parked = false;
            out.extend(link.buffered.drain(..));
            while let Ok(batch) = link.rx.try_recv() {
                out.extend(batch);
            }
        }
        out
    }

    /// Drops what every link received and has not delivered: how many.
    fn drop_buffered(&mut self) -> u64 {
        let mut n = 0;
        for link in &mut self.links {
            n += link.buffered.len() as u64;
            link.buffered.clear();
            link.parked = false;
        }
        n
    }

    /// True when some link waits at the buffer bound.
    pub(super) fn has_parked(&self) -> bool {
        self.links.iter().any(|l| l.parked)
    }

    /// A parked message, admitted beyond the bound because nothing else can
    /// arrive (the bound is smaller than one open window).
    /// Returns it with its link, to deliver the rest of the link after it
    /// ([`Node::deliver_run`](crate::runtime::node::Node::deliver_run)):
    /// only its first record goes beyond the bound.
    pub(super) fn force_parked(&mut self) -> Option<(Delivery, usize)> {
        let at = self.links.iter().position(|l| l.parked)?;
        let link = &mut self.links[at];
        link.parked = false;
        link.buffered.pop_front().map(|m| (m, at))
    }
}
