//! The sending side of a producer across processes: its incarnation's
//! registration (see [`fence`](super::fence)), link numbering, ordering
//! through the sequencer (recovering positions after a restart, and those a
//! paused earlier incarnation took), the master check of independent seals,
//! batching per destination, publishing.
//!
//! What a producer sends to one destination is buffered into one batch
//! (a frame, see [`wire`](super::wire)) until the batch reaches its limits
//! ([`BatchLimits`]) or the producer ends its step
//! ([`SendingEnd::flush_batches`], at the end of each forwarding step and of
//! each source send): no timer holds the last records back.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::cluster::{ClusterError, LinkStats};
use super::masters::{Masters, independent_endpoint};
use super::retirement_account::{account, stored_ordered};
use super::transport::{Publisher, RunStream};
use super::wire::{
    FrameWriter, RETIREMENT_SEQ, Registration, Retirement, encode_registration, encode_retirement,
};
use crate::runtime::BuildError;
use crate::runtime::coordination::sequencer::Sequencer;
use crate::runtime::node::envelope::{Delivery, Envelope, ProducerId};
use crate::runtime::node::router::{Destination, Routed};
use crate::runtime::node::topology::{GroupInfo, Topology};

/// How much one frame carries at most: a batch is published once it holds
/// `messages` messages, or before a message would take it past `bytes`
/// bytes of messages and their schemas (a single larger message goes
/// alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchLimits {
    /// Records per frame (at least 1): a run of records weighs its
    /// records, any other message one.
    pub(crate) messages: usize,
    /// Encoded bytes of messages per frame.
    pub(crate) bytes: usize,
}

/// Where a link goes: a component instance or a sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum To {
    Instance(ProducerId),
    Sink(usize),
}

/// One link of the producer: its destination's subject, the link position
/// of its next message, and the batch of messages not yet published (the
/// positions just before `next`), already encoded.
struct Link {
    /// `None` for a link resumed from a checkpoint and not used since.
    to: Option<To>,
    subject: String,
    next: u64,
    batch: FrameWriter,
}

/// A batch cut into a frame, encoded, not yet published.
struct CutFrame {
    subject: String,
    id: String,
    bytes: Vec<u8>,
}

/// The sending side of one producer: link numbering, ordering, batching,
/// publishing.
pub(crate) struct SendingEnd {
    me: ProducerId,
    /// This incarnation's epoch, stamped on every frame.
    epoch: u64,
    topology: Arc<Topology>,
    stream: RunStream,
    publisher: Publisher,
    /// Every link used (or resumed), with its batch.
    links: Vec<Link>,
    sequencer: Arc<dyn Sequencer>,
    run: String,
    /// Per ordered group: still asking for positions an earlier incarnation
    /// may have had (until the sequencer gives a fresh one).
    recovering: Vec<bool>,
    recovered: u64,
    masters: Masters,
    limits: BatchLimits,
    /// Frames cut from batches, not yet published, in order.
    cut: Vec<CutFrame>,
    /// Routed messages that ask a service before they join a batch, and
    /// every one queued after them (see [`SendingEnd::queue`]).
    waiting: VecDeque<Routed>,
}

impl SendingEnd {
    /// The sending side of producer `me` of run `run` (call
    /// [`SendingEnd::register`] with its incarnation's epoch before sending;
    /// [`SendingEnd::with_batches`] to batch).
    pub(crate) fn new(
        me: ProducerId,
        topology: Arc<Topology>,
        stream: &RunStream,
        window: usize,
        sequencer: Arc<dyn Sequencer>,
        run: &str,
        masters: Masters,
    ) -> SendingEnd {
        SendingEnd {
            me,
            epoch: 0,
            recovering: vec![true; topology.groups.len()],
            topology,
            stream: stream.clone(),
            publisher: stream.publisher(window),
            links: Vec::new(),
            sequencer,
            run: run.to_string(),
            recovered: 0,
            masters,
            limits: BatchLimits {
                messages: 1,
                bytes: usize::MAX,
            },
            cut: Vec::new(),
            waiting: VecDeque::new(),
        }
    }

    /// The next link sequence number of each link (by subject), for a
    /// checkpoint.
    pub(crate) fn link_positions(&self) -> Vec<(String, u64)> {
        self.links
            .iter()
            .map(|l| (l.subject.clone(), l.next))
            .collect()
    }

    /// Numbers each link on from `positions` (after a restore: what the
    /// instance sends again carries the numbers it had, and is dropped
    /// downstream as a duplicate).
    pub(crate) fn resume_links(&mut self, positions: Vec<(String, u64)>) {
        self.links = positions
            .into_iter()
            .map(|(subject, next)| Link {
                to: None,
                subject,
                next,
                batch: FrameWriter::new(),
            })
            .collect();
    }

    /// The most records a frame holds ([`BatchLimits::messages`]): a
    /// source cuts its runs at it, so that a run fills a frame.
    pub(crate) fn records_per_frame(&self) -> usize {
        self.limits.messages
    }

    /// Batches what it sends to each destination up to `limits` (a frame
    /// per message without this).
    pub(crate) fn with_batches(mut self, limits: BatchLimits) -> SendingEnd {
        self.limits = BatchLimits {
            messages: limits.messages.max(1),
            bytes: limits.bytes,
        };
        self
    }

    /// The deployed topology.
    pub(crate) fn topology(&self) -> &Arc<Topology> {
        &self.topology
    }

    /// Publishes every batch buffered, waits until JetStream holds
    /// everything sent, and says what was sent.
    pub(crate) async fn flush(&mut self) -> Result<LinkStats, ClusterError> {
        self.flush_batches().await?;
        self.publisher.flush().await?;
        self.check_not_replaced().await?;
        Ok(LinkStats {
            frames_out: self.publisher.published(),
            publish_retries: self.publisher.retries(),
            already_stored: self.publisher.already_stored(),
            recovered_positions: self.recovered,
            ..LinkStats::default()
        })
    }

    /// Fails with [`ClusterError::Fenced`] when a newer incarnation of this
    /// producer has registered since this one did: everything this one
    /// published after that is refused downstream.
    pub(crate) async fn check_not_replaced(&self) -> Result<(), ClusterError> {
        let newer = self.stream.newest_incarnation(self.me).await?;
        if newer > self.epoch {
            tracing::error!(producer = %self.topology.describe(self.me), epoch = self.epoch,
                newer, "replaced by a newer incarnation: stopping");
            return Err(ClusterError::Fenced {
                producer: self.topology.describe(self.me),
                epoch: self.epoch,
                newer,
            });
        }
        Ok(())
    }

    /// Registers this incarnation's `epoch` on every subject it may send
    /// to, and waits until JetStream holds the registrations: every frame it
    /// sends is stored after them, and a frame of an earlier incarnation
    /// stored after them is refused by the receiver.
    pub(crate) async fn register(&mut self, epoch: u64) -> Result<(), ClusterError> {
        self.epoch = epoch;
        let instances: Vec<ProducerId> = self.topology.instances().map(|(_, id)| id).collect();
        let subjects = self
            .stream
            .destination_subjects(&instances, self.topology.sinks.len());
        let registration = encode_registration(&Registration {
            from: self.me,
            epoch: self.epoch,
        })?;
        for subject in subjects {
            let id = format!("{}.{}.{subject}.r", self.me.0, self.epoch);
            self.publisher
                .send(subject, id, registration.clone())
                .await?;
        }
        self.publisher.flush().await?;
        Ok(())
    }

    /// Publishes every buffered batch (at the end of a step: what the step
    /// produced goes out now, whatever the batches' sizes).
    pub(crate) async fn flush_batches(&mut self) -> Result<(), ClusterError> {
        self.send_queued().await?;
        for i in 0..self.links.len() {
            if self.links[i].batch.count() > 0 {
                self.cut(i)?;
            }
        }
        self.publish_cut().await
    }

    /// Queues one routed message without waiting: it joins its link's
    /// batch (a full batch is cut into a frame for
    /// [`SendingEnd::send_queued`]), unless a service must be asked first (an
    /// ordered group's sequencer, an independent seal's master): then it,
    /// and everything queued after it, waits for
    /// [`SendingEnd::send_queued`], in order.
    pub(crate) fn queue(&mut self, routed: Routed) -> Result<(), ClusterError> {
        if self.waiting.is_empty()
            && let Some(to) = self.direct(&routed)
        {
            let input = match to {
                To::Instance(_) => routed.input,
                To::Sink(_) => 0,
            };
            let envelope = routed.envelope;
            return self.add(to, Delivery::Direct { input, envelope });
        }
        self.waiting.push_back(routed);
        Ok(())
    }

    /// Whether [`SendingEnd::send_queued`] has anything to do.
    pub(crate) fn has_queued(&self) -> bool {
        !self.cut.is_empty() || !self.waiting.is_empty()
    }

    /// Publishes the frames cut so far, then sends what waited for a
    /// service, in order. A message refused (a seal of a partition another
    /// producer masters) drops those queued after it, as a failed step
    /// does.
    pub(crate) async fn send_queued(&mut self) -> Result<(), ClusterError> {
        self.publish_cut().await?;
        while let Some(routed) = self.waiting.pop_front() {
            if let Err(e) = self.send(routed).await {
                self.waiting.clear();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Where `routed` goes when no service needs asking first.
    fn direct(&self, routed: &Routed) -> Option<To> {
        match routed.to {
            Destination::Instance(p) => {
                let independent_seal = matches!(routed.envelope, Envelope::Seal { .. })
                    && independent_endpoint(&self.topology, p, routed.input).is_some();
                (!independent_seal).then_some(To::Instance(p))
            }
            Destination::Sink(s) => Some(To::Sink(s)),
            Destination::Group(_) => None,
        }
    }

    /// The index of the link to `to`, added if new (or found by its
    /// subject when resumed from a checkpoint).
    fn link(&mut self, to: To) -> usize {
        if let Some(i) = self.links.iter().position(|l| l.to == Some(to)) {
            return i;
        }
        let subject = match to {
            To::Instance(p) => self.stream.instance_subject(p),
            To::Sink(s) => self.stream.sink_subject(s),
        };
        if let Some(i) = self.links.iter().position(|l| l.subject == subject) {
            self.links[i].to = Some(to);
            return i;
        }
        self.links.push(Link {
            to: Some(to),
            subject,
            next: 0,
            batch: FrameWriter::new(),
        });
        self.links.len() - 1
    }

    /// Adds `delivery` to the batch of the link to `to`, at the link's next
    /// position, cutting the batch into a frame when it is full (or before
    /// `delivery` would take it past its bytes).
    fn add(&mut self, to: To, delivery: Delivery) -> Result<(), ClusterError> {
        let i = self.link(to);
        let batch = &mut self.links[i].batch;
        let mark = batch.mark();
        batch.push(&delivery)?;
        if batch.count() > 1 && batch.bytes() > self.limits.bytes {
            batch.rollback(mark);
            self.cut(i)?;
            self.links[i].batch.push(&delivery)?;
        }
        let link = &mut self.links[i];
        link.next = link.next.wrapping_add(1);
        if link.batch.weight() >= self.limits.messages || link.batch.bytes() >= self.limits.bytes {
            self.cut(i)?;
        }
        Ok(())
    }

    /// Adds `delivery` to its link's batch (see [`SendingEnd::add`]) and
    /// publishes what that cut.
    async fn publish(&mut self, to: To, delivery: Delivery) -> Result<(), ClusterError> {
        self.add(to, delivery)?;
        self.publish_cut().await
    }

    /// Cuts the batch of link `i` into one frame, its message id naming
    /// its first link position (an incarnation cuts its batches once, so a
    /// retry carries the same messages under the same id).
    fn cut(&mut self, i: usize) -> Result<(), ClusterError> {
        let link = &mut self.links[i];
        let count = u64::try_from(link.batch.count()).unwrap_or(u64::MAX);
        let link_seq = link.next.wrapping_sub(count);
        let bytes = link.batch.finish(self.me, self.epoch, link_seq)?;
        link.batch.clear();
        let id = format!("{}.{}.{}.{}", self.me.0, self.epoch, link.subject, link_seq);
        self.cut.push(CutFrame {
            subject: link.subject.clone(),
            id,
            bytes,
        });
        Ok(())
    }

    /// Publishes the frames cut, in the order they were cut.
    async fn publish_cut(&mut self) -> Result<(), ClusterError> {
        let mut frames = std::mem::take(&mut self.cut);
        for frame in frames.drain(..) {
            self.publisher
                .send(frame.subject, frame.id, frame.bytes)
                .await?;
        }
        self.cut = frames;
        Ok(())
    }

    /// Publishes an operator's retirement of this producer to where
    /// `routed` (a routed [`Envelope::Retire`]) goes, outside the link
    /// numbering (see [`Retirement`]). An ordered group's members get it at
    /// one position of the group's order: the one the sequencer gives this
    /// producer's [`RETIREMENT_SEQ`] (the same again when the retirement is
    /// sent again), so every replica applies it at the same point; with it,
    /// each member's account of the producer's earlier positions
    /// ([`retirement_account`](super::retirement_account)): those it took
    /// and never published, which every member skips, and the messages
    /// this member lacks that another holds.
    pub(crate) async fn retire(&mut self, routed: Routed) -> Result<(), ClusterError> {
        let input = routed.input;
        let retirements = match routed.to {
            Destination::Instance(p) => vec![(
                self.stream.instance_subject(p),
                Retirement::new(self.me, self.epoch, input, None),
            )],
            Destination::Sink(s) => vec![(
                self.stream.sink_subject(s),
                Retirement::new(self.me, self.epoch, 0, None),
            )],
            Destination::Group(g) => self.ordered_retirements(g, input).await?,
        };
        for (subject, retirement) in retirements {
            let bytes = encode_retirement(&retirement)?;
            let id = format!("{}.{}.{subject}.x{input}", self.me.0, self.epoch);
            self.publisher
                .send(subject, id, bytes)
                .await
                .map_err(ClusterError::from)?;
        }
        Ok(())
    }

    /// The retirement of this producer on `input` of ordered group `g`,
    /// for each member's subject: at the position the sequencer gives
    /// [`RETIREMENT_SEQ`], with the member's account of the positions the
    /// producer was given before it.
    async fn ordered_retirements(
        &mut self,
        g: usize,
        input: usize,
    ) -> Result<Vec<(String, Retirement)>, ClusterError> {
        let group = ordered_group(&self.topology, g)?;
        let name = format!("{}.{}", self.run, group.name);
        let members = group.members.clone();
        let position = self
            .sequencer
            .recover(&name, self.me, RETIREMENT_SEQ)
            .await?
            .position;
        let assigned: Vec<u64> = self
            .sequencer
            .assigned(&name, self.me)
            .await?
            .into_iter()
            .filter(|&(seq, p)| seq != RETIREMENT_SEQ && p < position)
            .map(|(_, p)| p)
            .collect();
        let mut held = BTreeMap::new();
        for m in &members {
            let subject = self.stream.instance_subject(*m);
            let stored = stored_ordered(&self.stream, subject, self.me, self.epoch).await?;
            held.insert(*m, stored);
        }
        let mut accounts = account(&assigned, &held);
        Ok(members
            .into_iter()
            .map(|m| {
                let mut retirement = Retirement::new(self.me, self.epoch, input, Some(position));
                if let Some(account) = accounts.remove(&m) {
                    retirement.skipped = account.skipped;
                    retirement.filled = account.filled;
                }
                (self.stream.instance_subject(m), retirement)
            })
            .collect())
    }

    /// Sends one routed message.
    pub(crate) async fn send(&mut self, routed: Routed) -> Result<(), ClusterError> {
        match routed.to {
            Destination::Instance(p) => {
                if let Envelope::Seal { key, .. } = &routed.envelope
                    && let Some(endpoint) = independent_endpoint(&self.topology, p, routed.input)
                {
                    let master = self.masters.claim(&endpoint, key, self.me).await?;
                    if master != self.me {
                        return Err(ClusterError::NotMaster {
                            partition: key.to_string(),
                            endpoint,
                            master: self.topology.describe(master),
                            producer: self.topology.describe(self.me),
                        });
                    }
                }
                self.publish(
                    To::Instance(p),
                    Delivery::Direct {
                        input: routed.input,
                        envelope: routed.envelope,
                    },
                )
                .await
            }
            Destination::Sink(s) => {
                self.publish(
                    To::Sink(s),
                    Delivery::Direct {
                        input: 0,
                        envelope: routed.envelope,
                    },
                )
                .await
            }
            Destination::Group(g) => {
                let group = ordered_group(&self.topology, g)?;
                let name = format!("{}.{}", self.run, group.name);
                let (producer, seq) = (routed.envelope.producer(), routed.envelope.seq());
                let position = if self.recovering[g] {
                    let r = self.sequencer.recover(&name, producer, seq).await?;
                    if r.replay {
                        self.recovered += 1;
                    } else {
                        self.recovering[g] = false;
                    }
                    Some(r.position)
                } else {
                    match self.sequencer.assign(&name, producer, seq).await? {
                        Some(position) => Some(position),
                        // Already ordered, yet never sent by this
                        // incarnation (it numbers each message once): an
                        // earlier incarnation, paused and fenced since,
                        // took the position (issue 15, fix 3). Its frames
                        // are refused, so this one publishes it.
                        None => {
                            let r = self.sequencer.recover(&name, producer, seq).await?;
                            self.recovered += 1;
                            Some(r.position)
                        }
                    }
                };
                let Some(position) = position else {
                    return Ok(());
                };
                let members = group.members.clone();
                for m in members {
                    self.publish(
                        To::Instance(m),
                        Delivery::Ordered {
                            position,
                            input: routed.input,
                            envelope: routed.envelope.clone(),
                        },
                    )
                    .await?;
                }
                Ok(())
            }
        }
    }
}

/// Ordered group `g` of `topology`.
fn ordered_group(topology: &Topology, g: usize) -> Result<&GroupInfo, ClusterError> {
    topology
        .groups
        .get(g)
        .ok_or_else(|| ClusterError::Build(BuildError::Plan(format!("no ordered group {g}"))))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    use super::*;
    use crate::dist::wire::{self, Frame};
    use crate::runtime::Deployment;
    use crate::runtime::coordination::sequencer::EmbeddedSequencer;
    use crate::tuple::Tuple;
    use crate::{Annotation, Component, Dataflow, Stream, analyze};

    /// The sending end of producer 0 (epoch 3) of `src -> Pass -> sink`,
    /// batching up to `limits`, on a client that never reaches a server:
    /// queueing publishes nothing. With the id of the `Pass` instance.
    async fn sending_end(limits: BatchLimits) -> (SendingEnd, ProducerId) {
        let dataflow = Dataflow::new()
            .component(Component::new("Pass").path("in", "out", Annotation::cr()))
            .stream(Stream::between("src", "Pass.in"))
            .stream(Stream::between("Pass.out", "sink"));
        let analysis = analyze(&dataflow).expect("analysed");
        let topology =
            Topology::build(&dataflow, &analysis, &Deployment::new()).expect("a topology");
        let (_, pass) = topology.instances().next().expect("one instance");
        let stream = RunStream::unconnected("queue-test").await;
        let mut end = SendingEnd::new(
            ProducerId(0),
            Arc::new(topology),
            &stream,
            4,
            Arc::new(EmbeddedSequencer::new()),
            "queue-test",
            Masters::new(None, Duration::from_secs(1)),
        )
        .with_batches(limits);
        end.epoch = 3;
        (end, pass)
    }

    fn record(seq: u64, text: usize) -> Envelope {
        Envelope::Record {
            producer: ProducerId(0),
            seq,
            payload: Tuple::new()
                .with("n", i64::try_from(seq).expect("small"))
                .with("s", "x".repeat(text))
                .into(),
        }
    }

    /// Cuts what the batches hold (as [`SendingEnd::flush_batches`] does
    /// before publishing) and takes every frame cut, decoded, with its
    /// subject and message id, in the order they were cut.
    fn frames_cut(end: &mut SendingEnd) -> Vec<(String, String, Frame)> {
        for i in 0..end.links.len() {
            if end.links[i].batch.count() > 0 {
                end.cut(i).expect("a frame");
            }
        }
        end.cut
            .drain(..)
            .map(|f| (f.subject, f.id, wire::decode(&f.bytes).expect("decodes")))
            .collect()
    }

    /// The sync queueing path: every message queued reaches exactly one
    /// frame of its destination's link, in the order queued, the frames of
    /// each link at consecutive positions from 0, whether batches are cut
    /// by their count, by their bytes (a message that would pass them is
    /// taken back and starts the next batch) or alone (larger than the
    /// limit).
    #[tokio::test]
    async fn queued_messages_reach_one_frame_each_in_order() {
        let limits = BatchLimits {
            messages: 4,
            bytes: 90,
        };
        let (mut end, pass) = sending_end(limits).await;
        let mut expected: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        for seq in 0..60u64 {
            let text = if seq == 31 {
                200
            } else {
                (seq % 7 * 6) as usize
            };
            let envelope = record(seq, text);
            let (to, subject) = if seq % 3 == 0 {
                (Destination::Sink(0), end.stream.sink_subject(0))
            } else {
                (
                    Destination::Instance(pass),
                    end.stream.instance_subject(pass),
                )
            };
            expected.entry(subject).or_default().push(Delivery::Direct {
                input: 0,
                envelope: envelope.clone(),
            });
            end.queue(Routed {
                to,
                input: 0,
                envelope,
            })
            .expect("queued");
        }
        assert!(end.waiting.is_empty(), "nothing asks a service");
        assert!(end.has_queued(), "full batches were cut as they filled");
        let mut got: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        let mut ids = BTreeSet::new();
        let mut by_bytes = 0;
        for (subject, id, frame) in frames_cut(&mut end) {
            assert_eq!((frame.from, frame.epoch), (ProducerId(0), 3));
            let before = got.get(&subject).map_or(0, Vec::len);
            assert_eq!(frame.link_seq, before as u64, "{subject}: positions follow");
            assert!(frame.messages.len() <= limits.messages, "{id}");
            if frame.messages.len() < limits.messages {
                by_bytes += 1;
            }
            assert!(ids.insert(id.clone()), "message id {id} twice");
            got.entry(subject).or_default().extend(frame.messages);
        }
        assert!(by_bytes > 2, "some batches were cut by their bytes");
        assert_eq!(got, expected);
        // Each link numbers on after what it queued.
        let positions: BTreeMap<String, u64> = end.link_positions().into_iter().collect();
        let counts: BTreeMap<String, u64> = expected
            .iter()
            .map(|(s, m)| (s.clone(), m.len() as u64))
            .collect();
        assert_eq!(positions, counts);
    }

    /// A message that must ask a service first (an ordered group's
    /// sequencer) waits, and every message queued after it waits behind
    /// it, in order, even one that could go straight into a batch.
    #[tokio::test]
    async fn messages_queued_after_one_that_waits_wait_behind_it() {
        let limits = BatchLimits {
            messages: 2,
            bytes: usize::MAX,
        };
        let (mut end, pass) = sending_end(limits).await;
        let routed = |to, seq| Routed {
            to,
            input: 0,
            envelope: record(seq, 1),
        };
        for seq in 0..3 {
            end.queue(routed(Destination::Instance(pass), seq))
                .expect("queued");
        }
        end.queue(routed(Destination::Group(0), 3)).expect("queued");
        for seq in 4..7 {
            end.queue(routed(Destination::Instance(pass), seq))
                .expect("queued");
        }
        let waiting: Vec<(Destination, u64)> = end
            .waiting
            .iter()
            .map(|r| (r.to, r.envelope.seq()))
            .collect();
        assert_eq!(
            waiting,
            [
                (Destination::Group(0), 3),
                (Destination::Instance(pass), 4),
                (Destination::Instance(pass), 5),
                (Destination::Instance(pass), 6),
            ]
        );
        let batched: Vec<u64> = frames_cut(&mut end)
            .into_iter()
            .flat_map(|(_, _, frame)| frame.messages)
            .map(|m| m.envelope().seq())
            .collect();
        assert_eq!(batched, [0, 1, 2]);
        assert!(end.has_queued());
    }
}
