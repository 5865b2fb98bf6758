//! What an instance task has routed but not yet sent, per destination, in
//! batches.
//!
//! Every link carries batches of messages ([`Batch`]): an instance adds what
//! it routes to the open batch of the destination, and sends the open
//! batches when it has delivered what it received (or when one is full,
//! see [`LinkSizing`]). Sends never block the task: a batch for a full
//! channel waits here, and the task stops reading only the inputs that feed
//! the outputs it is stuck on. Ports form no cycle (the topology refuses
//! them), so some instance can always make progress, even where instances
//! form a cycle (a cache asking a report server that answers the cache).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::task::{Context, Poll};

use smallvec::SmallVec;
use tokio::sync::mpsc::Sender;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;
use tokio_util::sync::PollSender;

use super::quiescence::Quiescence;
use crate::runtime::node::envelope::{Delivery, OutputId};
use crate::runtime::node::router::{Destination, Routed};

/// True for the messages a run with cycles counts as work in flight: those
/// to an instance or a group's sequencer (a sink produces nothing).
fn counted(to: Destination) -> bool {
    !matches!(to, Destination::Sink(_))
}

/// Uncounts, in `quiet`, `n` messages to `to` that will never be delivered.
fn lost(quiet: Option<&Quiescence>, to: Destination, n: usize) {
    if let Some(q) = quiet
        && counted(to)
    {
        q.done(n as u64);
    }
}

/// Messages sent together on one link, in the order they were routed. A
/// sink or a sequencer group gets [`Delivery::Direct`] messages too (a sink
/// ignores the input).
pub type Batch = Vec<Delivery>;

/// Most messages in one batch.
pub const MAX_BATCH: usize = 1024;

/// The messages a new open batch has room for: a batch of runs holds a
/// few (a run and a seal, say), and a batch this small is freed through
/// the allocator's per-thread cache wherever its consumer runs; glibc
/// takes the lock of the allocating thread's arena to free a larger
/// block on another thread, which every batch crossing between workers
/// did at 64 (4.6 KB).
const OPEN_BATCH_CAPACITY: usize = 8;

/// What a message weighs in a batch: its records (a run of records counts
/// each, see [`Envelope::Records`](crate::runtime::node::envelope::Envelope::Records)),
/// or 1 for a punctuation.
fn weight(routed: &Routed) -> usize {
    routed.envelope.record_count().max(1)
}

/// How a link of `channel_capacity` messages is cut into batches: at most
/// `batch` messages per batch and `slots` batches queued in the channel,
/// so about `channel_capacity` messages wait in a link, as when each
/// message was sent alone. A run of records weighs its records: a batch
/// closes once it holds `batch` records (a run takes it past by at most
/// one run's records), so a link holds about as many records as before
/// runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkSizing {
    /// Most messages per batch.
    pub batch: usize,
    /// Batches the channel holds.
    pub slots: usize,
}

impl LinkSizing {
    /// The sizing of links holding `channel_capacity` messages.
    pub fn new(channel_capacity: usize) -> LinkSizing {
        let batch = channel_capacity.clamp(1, MAX_BATCH);
        LinkSizing {
            batch,
            slots: (channel_capacity / batch).max(1),
        }
    }
}

/// The message a routed envelope becomes on its link.
pub fn delivery(routed: Routed) -> Delivery {
    Delivery::Direct {
        input: routed.input,
        envelope: routed.envelope,
    }
}

/// The outputs a batch's messages left by: one or two, held inline (a
/// batch would otherwise allocate a list for them).
type Outputs = SmallVec<[OutputId; 2]>;

struct Port {
    to: Destination,
    sender: Sender<Batch>,
    poll: PollSender<Batch>,
    /// The batch being filled, and the outputs its messages left by.
    open: Batch,
    /// The records (and punctuations) in `open`.
    open_weight: usize,
    open_outputs: Outputs,
    /// Full batches waiting for room in the channel, with their outputs.
    queue: VecDeque<(Outputs, Batch)>,
}

/// The per-destination send queues of one instance.
pub struct SendQueues {
    ports: Vec<Port>,
    /// Batches waiting for room, by the outputs their messages left by.
    waiting: Vec<usize>,
    /// Batches waiting for room.
    queued: usize,
    /// Ports with an open batch.
    open: usize,
    batch: usize,
    /// Where messages in flight are counted, in a run with cycles.
    quiet: Option<Arc<Quiescence>>,
    /// By output: true for an output that closes a cycle, which never
    /// makes the instance wait ([`SendQueues::never_wait_on`]).
    closes_cycle: Vec<bool>,
    /// The destination of the last message pushed and its port: messages
    /// to one destination mostly come in runs.
    last: Option<(Destination, usize)>,
    /// Cancelled when the run is stopped: a batch its consumer no longer
    /// takes is then kept for [`SendQueues::abandon`], not dropped.
    stop: CancellationToken,
    /// Batches refused by a consumer that had stopped.
    refused: Vec<(Destination, Batch)>,
}

impl SendQueues {
    /// Queues for an instance with `outputs` outputs, sending batches of at
    /// most `batch` messages.
    pub fn new(outputs: usize, batch: usize) -> SendQueues {
        SendQueues {
            ports: Vec::new(),
            waiting: vec![0; outputs],
            queued: 0,
            open: 0,
            batch: batch.max(1),
            quiet: None,
            closes_cycle: vec![false; outputs],
            last: None,
            stop: CancellationToken::new(),
            refused: Vec::new(),
        }
    }

    /// Keeps what a stopped consumer refuses once `stop` is cancelled
    /// (builder style).
    pub(super) fn stopped_by(mut self, stop: CancellationToken) -> SendQueues {
        self.stop = stop;
        self
    }

    /// Outputs that close a cycle between components
    /// ([`Topology::cycle_cuts`](crate::runtime::Topology::cycle_cuts)):
    /// their batches queue here for as long as their channels are full,
    /// and the instance goes on reading every input. Every other output
    /// makes the instance stop reading the inputs that feed it while it
    /// waits (backpressure), and around a loop every instance would then
    /// wait for the next one: a loop whose links are all full would never
    /// move again. What waits here is bounded by the loop's own work.
    pub fn never_wait_on(&mut self, outputs: impl IntoIterator<Item = OutputId>) {
        for o in outputs {
            if let Some(closes) = self.closes_cycle.get_mut(o) {
                *closes = true;
            }
        }
    }

    /// Counts every message queued for an instance or a group in `quiet`
    /// (and uncounts those a finished consumer will never receive).
    pub(super) fn count_in(&mut self, quiet: Option<Arc<Quiescence>>) {
        self.quiet = quiet;
    }

    /// Adds the channel to a destination (an instance, a group's sequencer
    /// or a sink).
    pub fn add(&mut self, to: Destination, sender: Sender<Batch>) {
        self.ports.push(Port {
            to,
            poll: PollSender::new(sender.clone()),
            sender,
            open: Vec::new(),
            open_weight: 0,
            open_outputs: Outputs::new(),
            queue: VecDeque::new(),
        });
    }

    /// Adds a message emitted on `output` to the open batch of its
    /// destination; a batch that is full is sent (or queued).
    pub fn push(&mut self, output: OutputId, routed: Routed) {
        let p = match self.last {
            Some((to, p)) if to == routed.to => p,
            _ => {
                let Some(p) = self.ports.iter().position(|p| p.to == routed.to) else {
                    return;
                };
                self.last = Some((routed.to, p));
                p
            }
        };
        if let Some(q) = &self.quiet
            && counted(routed.to)
        {
            q.add(1);
        }
        let port = &mut self.ports[p];
        if port.open.is_empty() {
            self.open += 1;
        }
        port.open_weight += weight(&routed);
        port.open.push(delivery(routed));
        if !port.open_outputs.contains(&output) {
            port.open_outputs.push(output);
        }
        if port.open_weight >= self.batch {
            self.close_batch(p);
        }
    }

    /// Sends (or queues, if its channel is full) the open batch of port `p`.
    fn close_batch(&mut self, p: usize) {
        let port = &mut self.ports[p];
        if port.open.is_empty() {
            return;
        }
        self.open -= 1;
        port.open_weight = 0;
        let batch = std::mem::replace(
            &mut port.open,
            Vec::with_capacity(self.batch.min(OPEN_BATCH_CAPACITY)),
        );
        let outputs = std::mem::take(&mut port.open_outputs);
        let batch = if port.queue.is_empty() {
            match port.sender.try_send(batch) {
                Ok(()) => return,
                // A closed channel means the consumer has finished: it
                // only misses replays.
                Err(TrySendError::Closed(batch)) => {
                    lost(self.quiet.as_deref(), port.to, batch.len());
                    if self.stop.is_cancelled() {
                        self.refused.push((port.to, batch));
                    }
                    return;
                }
                Err(TrySendError::Full(batch)) => batch,
            }
        } else {
            batch
        };
        // An output that closes a cycle queues without waiting.
        for &o in &outputs {
            if let (Some(w), Some(false)) = (self.waiting.get_mut(o), self.closes_cycle.get(o)) {
                *w += 1;
            }
        }
        port.queue.push_back((outputs, batch));
        self.queued += 1;
    }

    /// Sends (or queues) every open batch: call before waiting for input.
    pub fn close_batches(&mut self) {
        if self.open == 0 {
            return;
        }
        for p in 0..self.ports.len() {
            self.close_batch(p);
        }
    }

    /// Takes every message not sent yet, with where it was going (the run
    /// was stopped): the open and queued batches, and those a stopped
    /// consumer refused.
    pub(super) fn abandon(&mut self) -> Vec<(Destination, Delivery)> {
        let mut out: Vec<(Destination, Delivery)> = Vec::new();
        for (to, batch) in self.refused.drain(..) {
            out.extend(batch.into_iter().map(|d| (to, d)));
        }
        for port in &mut self.ports {
            let to = port.to;
            out.extend(port.open.drain(..).map(|d| (to, d)));
            port.open_outputs.clear();
            for (_, batch) in port.queue.drain(..) {
                out.extend(batch.into_iter().map(|d| (to, d)));
            }
        }
        self.waiting.iter_mut().for_each(|w| *w = 0);
        self.queued = 0;
        self.open = 0;
        out
    }

    /// True when no batch waits for room (open batches aside).
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// True when batches with messages of `output` wait for a full channel
    /// and the instance must wait with them: never for an output that
    /// closes a cycle ([`SendQueues::never_wait_on`]), whose batches are
    /// not counted as waiting.
    pub fn is_waiting(&self, output: OutputId) -> bool {
        self.waiting.get(output).is_some_and(|w| *w > 0)
    }

    /// Sends the queued batches the channels have room for; true if any went.
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progressed = false;
        let quiet = self.quiet.as_deref();
        for port in &mut self.ports {
            while !port.queue.is_empty() {
                match port.poll.poll_reserve(cx) {
                    Poll::Pending => break,
                    Poll::Ready(open) => {
                        let Some((outputs, batch)) = port.queue.pop_front() else {
                            break;
                        };
                        // A closed channel means the consumer has finished:
                        // it only misses replays.
                        let n = batch.len();
                        if !(open.is_ok() && port.poll.send_item(batch).is_ok()) {
                            lost(quiet, port.to, n);
                        }
                        for o in outputs {
                            if let Some(w) = self.waiting.get_mut(o) {
                                *w = w.saturating_sub(1);
                            }
                        }
                        self.queued -= 1;
                        progressed = true;
                    }
                }
            }
        }
        progressed
    }
}

/// The senders one producer needs, by destination.
#[derive(Clone, Default)]
pub(super) struct DestinationSenders {
    links: HashMap<Destination, Sender<Batch>>,
    /// Where messages in flight are counted, in a run with cycles.
    quiet: Option<Arc<Quiescence>>,
}

impl DestinationSenders {
    /// Sends to `to` through `tx`.
    pub(super) fn connect(&mut self, to: Destination, tx: Sender<Batch>) {
        self.links.insert(to, tx);
    }

    /// Counts every message sent to an instance or a group in `quiet`.
    pub(super) fn count_in(mut self, quiet: Option<Arc<Quiescence>>) -> DestinationSenders {
        self.quiet = quiet;
        self
    }

    /// The same channels as non-blocking queues, for an instance task.
    pub(super) fn into_send_queues(self, outputs: usize, batch: usize) -> SendQueues {
        let mut out = SendQueues::new(outputs, batch);
        out.count_in(self.quiet);
        let mut links: Vec<_> = self.links.into_iter().collect();
        links.sort_by_key(|(to, _)| *to);
        for (to, tx) in links {
            out.add(to, tx);
        }
        out
    }

    /// Sends one batch to `to`, waiting for capacity. A source's consumer
    /// finishes only after the source's end, or when the run is stopped:
    /// records refused then are logged as not delivered.
    pub(super) async fn send_batch(&self, to: Destination, batch: Batch) {
        if let Some(tx) = self.links.get(&to) {
            let n = batch.len();
            if let Some(q) = self.quiet.as_deref().filter(|_| counted(to)) {
                q.add(n as u64);
            }
            if let Err(refused) = tx.send(batch).await {
                lost(self.quiet.as_deref(), to, n);
                let records = refused
                    .0
                    .iter()
                    .map(|d| d.envelope().record_count())
                    .sum::<usize>();
                if records > 0 {
                    tracing::error!(
                        ?to,
                        records,
                        "records not delivered: their consumer has stopped (the run was stopped)"
                    );
                }
            }
        }
    }

    /// Sends one routed message alone.
    pub(super) async fn send(&self, routed: Routed) {
        self.send_batch(routed.to, vec![delivery(routed)]).await;
    }

    /// Sends routed messages in batches of at most `most` per destination,
    /// each destination's in the order given.
    pub(super) async fn send_all(&self, routed: impl IntoIterator<Item = Routed>, most: usize) {
        let mut open: Vec<(Destination, Batch, usize)> = Vec::new();
        for r in routed {
            let to = r.to;
            let b = match open.iter().position(|(d, _, _)| *d == to) {
                Some(b) => b,
                None => {
                    open.push((to, Vec::new(), 0));
                    open.len() - 1
                }
            };
            open[b].2 += weight(&r);
            open[b].1.push(delivery(r));
            if open[b].2 >= most {
                let batch = std::mem::take(&mut open[b].1);
                open[b].2 = 0;
                self.send_batch(to, batch).await;
            }
        }
        for (to, batch, _) in open {
            if !batch.is_empty() {
                self.send_batch(to, batch).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::node::envelope::{Envelope, ProducerId};
    use crate::tuple::Tuple;

    fn record(seq: u64, to: Destination) -> Routed {
        Routed {
            to,
            input: 0,
            envelope: Envelope::Record {
                producer: ProducerId(9),
                seq,
                payload: Tuple::new().with("n", seq as i64).into(),
            },
        }
    }

    fn seqs(batch: &Batch) -> Vec<u64> {
        batch.iter().map(|m| m.envelope().seq()).collect()
    }

    #[test]
    fn links_hold_about_their_capacity_in_batches() {
        assert_eq!(LinkSizing::new(1), LinkSizing { batch: 1, slots: 1 });
        assert_eq!(LinkSizing::new(4), LinkSizing { batch: 4, slots: 1 });
        assert_eq!(
            LinkSizing::new(4 * MAX_BATCH),
            LinkSizing {
                batch: MAX_BATCH,
                slots: 4
            }
        );
        assert_eq!(
            LinkSizing::new(MAX_BATCH + 1),
            LinkSizing {
                batch: MAX_BATCH,
                slots: 1
            }
        );
        assert_eq!(LinkSizing::new(0), LinkSizing { batch: 1, slots: 1 });
    }

    #[tokio::test]
    async fn messages_go_in_batches_in_order_and_full_channels_hold_their_outputs() {
        let (a, b) = (Destination::Sink(0), Destination::Sink(1));
        let (tx_a, mut rx_a) = tokio::sync::mpsc::channel(1);
        let (tx_b, mut rx_b) = tokio::sync::mpsc::channel(1);
        let mut out = SendQueues::new(2, 3);
        out.add(a, tx_a);
        out.add(b, tx_b);
        for seq in 0..4 {
            out.push(0, record(seq, a));
        }
        out.push(1, record(10, b));
        // The first batch of `a` was full and went; the rest stays open.
        assert_eq!(seqs(&rx_a.try_recv().expect("a full batch")), vec![0, 1, 2]);
        assert!(rx_b.try_recv().is_err(), "b's batch is still open");
        out.close_batches();
        assert_eq!(seqs(&rx_b.try_recv().expect("b's batch")), vec![10]);
        assert!(out.is_empty() && !out.is_waiting(0));
        // `a`'s channel holds the open batch [3]; the next one waits.
        out.push(0, record(4, a));
        out.close_batches();
        assert!(out.is_waiting(0) && !out.is_waiting(1) && !out.is_empty());
        assert_eq!(seqs(&rx_a.recv().await.expect("sent")), vec![3]);
        std::future::poll_fn(|cx| Poll::Ready(out.poll_flush(cx))).await;
        assert!(out.is_empty() && !out.is_waiting(0));
        assert_eq!(seqs(&rx_a.recv().await.expect("flushed")), vec![4]);
    }

    #[test]
    fn a_run_of_records_weighs_its_records_in_a_batch() {
        let a = Destination::Instance(ProducerId(1));
        let (tx_a, mut rx_a) = tokio::sync::mpsc::channel(8);
        let mut out = SendQueues::new(1, 4);
        out.add(a, tx_a);
        let records = crate::runtime::node::payload::test_run(0..3);
        let run = |seq: u64| Routed {
            to: a,
            input: 0,
            envelope: Envelope::Records {
                producer: ProducerId(9),
                seq,
                records: records.clone(),
            },
        };
        // One record, then a run of 3: four records, a full batch of two
        // messages (by messages, it would still be open).
        out.push(0, record(0, a));
        out.push(0, run(1));
        assert_eq!(seqs(&rx_a.try_recv().expect("a full batch")), vec![0, 1]);
        out.push(0, run(4));
        assert!(rx_a.try_recv().is_err(), "three records: still open");
    }

    #[tokio::test]
    async fn an_output_that_closes_a_cycle_queues_without_making_the_instance_wait() {
        let (a, b) = (Destination::Sink(0), Destination::Sink(1));
        let (tx_a, mut rx_a) = tokio::sync::mpsc::channel(1);
        let (tx_b, _rx_b) = tokio::sync::mpsc::channel(1);
        let mut out = SendQueues::new(2, 1);
        out.add(a, tx_a);
        out.add(b, tx_b);
        out.never_wait_on([0]);
        for seq in 0..5 {
            out.push(0, record(seq, a));
            out.push(1, record(10 + seq, b));
        }
        // Both channels are full and batches of both outputs queue; only
        // the ordinary output holds the instance back.
        assert!(!out.is_empty());
        assert!(!out.is_waiting(0) && out.is_waiting(1));
        // What queued still goes, in order, as the channel makes room.
        let mut got = Vec::new();
        while got.len() < 5 {
            got.extend(seqs(&rx_a.recv().await.expect("a batch")));
            std::future::poll_fn(|cx| Poll::Ready(out.poll_flush(cx))).await;
        }
        assert_eq!(got, vec![0, 1, 2, 3, 4]);
    }
}
