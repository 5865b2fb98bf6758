//! What an instance task has routed but not yet sent, per destination.
//!
//! Sends never block the task: a message for a full channel waits here, and
//! the task stops reading only the inputs that feed the output it is stuck
//! on. Ports form no cycle (the topology refuses them), so some instance can
//! always make progress, even where instances form a cycle (a cache asking a
//! report server that answers the cache).

use std::collections::{HashMap, VecDeque};
use std::task::{Context, Poll};

use tokio::sync::mpsc::Sender;
use tokio_util::sync::PollSender;

use super::envelope::{Envelope, Inbound, InputId, OutputId};
use super::router::{Destination, Routed};

enum PortSender {
    Instance(Sender<Inbound>, PollSender<Inbound>),
    Group(Sender<(InputId, Envelope)>, PollSender<(InputId, Envelope)>),
    Sink(Sender<Envelope>, PollSender<Envelope>),
}

/// The outcome of a send attempt that does not wait.
enum TrySend {
    Sent,
    Full(Routed),
}

impl PortSender {
    /// Sends at once if the channel has room (the common case, without the
    /// cost of reserving through `PollSender`).
    fn try_send(&self, routed: Routed) -> TrySend {
        use tokio::sync::mpsc::error::TrySendError;
        let Routed {
            to,
            input,
            envelope,
        } = routed;
        let full = |envelope| {
            TrySend::Full(Routed {
                to,
                input,
                envelope,
            })
        };
        match self {
            PortSender::Instance(tx, _) => match tx.try_send(Inbound::Direct { input, envelope }) {
                Err(TrySendError::Full(Inbound::Direct { envelope, .. })) => full(envelope),
                _ => TrySend::Sent,
            },
            PortSender::Group(tx, _) => match tx.try_send((input, envelope)) {
                Err(TrySendError::Full((_, envelope))) => full(envelope),
                _ => TrySend::Sent,
            },
            PortSender::Sink(tx, _) => match tx.try_send(envelope) {
                Err(TrySendError::Full(envelope)) => full(envelope),
                _ => TrySend::Sent,
            },
        }
    }

    fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        match self {
            PortSender::Instance(_, s) => s.poll_reserve(cx).map(|r| r.is_ok()),
            PortSender::Group(_, s) => s.poll_reserve(cx).map(|r| r.is_ok()),
            PortSender::Sink(_, s) => s.poll_reserve(cx).map(|r| r.is_ok()),
        }
    }

    fn send(&mut self, routed: Routed) -> bool {
        match self {
            PortSender::Instance(_, s) => s
                .send_item(Inbound::Direct {
                    input: routed.input,
                    envelope: routed.envelope,
                })
                .is_ok(),
            PortSender::Group(_, s) => s.send_item((routed.input, routed.envelope)).is_ok(),
            PortSender::Sink(_, s) => s.send_item(routed.envelope).is_ok(),
        }
    }
}

struct Port {
    sender: PortSender,
    queue: VecDeque<(OutputId, Routed)>,
}

/// The per-destination send queues of one instance.
pub struct Outgoing {
    ports: HashMap<Destination, Port>,
    waiting: Vec<usize>,
    total: usize,
}

impl Outgoing {
    /// Queues for an instance with `outputs` outputs.
    pub fn new(outputs: usize) -> Outgoing {
        Outgoing {
            ports: HashMap::new(),
            waiting: vec![0; outputs],
            total: 0,
        }
    }

    /// Adds the channel to a component instance.
    pub fn add_instance(&mut self, to: Destination, sender: Sender<Inbound>) {
        self.add(
            to,
            PortSender::Instance(sender.clone(), PollSender::new(sender)),
        );
    }

    /// Adds the channel to an ordered group's sequencer.
    pub fn add_group(&mut self, to: Destination, sender: Sender<(InputId, Envelope)>) {
        self.add(
            to,
            PortSender::Group(sender.clone(), PollSender::new(sender)),
        );
    }

    /// Adds the channel to a sink.
    pub fn add_sink(&mut self, to: Destination, sender: Sender<Envelope>) {
        self.add(
            to,
            PortSender::Sink(sender.clone(), PollSender::new(sender)),
        );
    }

    fn add(&mut self, to: Destination, sender: PortSender) {
        self.ports.insert(
            to,
            Port {
                sender,
                queue: VecDeque::new(),
            },
        );
    }

    /// Sends a message emitted on `output` at once if its channel has room,
    /// else queues it.
    pub fn push(&mut self, output: OutputId, routed: Routed) {
        if let Some(port) = self.ports.get_mut(&routed.to) {
            let routed = if port.queue.is_empty() {
                match port.sender.try_send(routed) {
                    TrySend::Sent => return,
                    TrySend::Full(routed) => routed,
                }
            } else {
                routed
            };
            port.queue.push_back((output, routed));
            if let Some(w) = self.waiting.get_mut(output) {
                *w += 1;
            }
            self.total += 1;
        }
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// True when messages of `output` wait for a full channel.
    pub fn is_waiting(&self, output: OutputId) -> bool {
        self.waiting.get(output).is_some_and(|w| *w > 0)
    }

    /// Sends whatever the channels have room for; true if anything left.
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progressed = false;
        for port in self.ports.values_mut() {
            while !port.queue.is_empty() {
                match port.sender.poll_reserve(cx) {
                    Poll::Pending => break,
                    Poll::Ready(open) => {
                        let Some((output, routed)) = port.queue.pop_front() else {
                            break;
                        };
                        // A closed channel means the consumer has finished:
                        // it only misses replays.
                        if open {
                            port.sender.send(routed);
                        }
                        if let Some(w) = self.waiting.get_mut(output) {
                            *w = w.saturating_sub(1);
                        }
                        self.total -= 1;
                        progressed = true;
                    }
                }
            }
        }
        progressed
    }
}
