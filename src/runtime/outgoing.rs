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
    Instance(PollSender<Inbound>),
    Group(PollSender<(InputId, Envelope)>),
    Sink(PollSender<Envelope>),
}

impl PortSender {
    fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        match self {
            PortSender::Instance(s) => s.poll_reserve(cx).map(|r| r.is_ok()),
            PortSender::Group(s) => s.poll_reserve(cx).map(|r| r.is_ok()),
            PortSender::Sink(s) => s.poll_reserve(cx).map(|r| r.is_ok()),
        }
    }

    fn send(&mut self, routed: Routed) -> bool {
        match self {
            PortSender::Instance(s) => s
                .send_item(Inbound::Direct {
                    input: routed.input,
                    envelope: routed.envelope,
                })
                .is_ok(),
            PortSender::Group(s) => s.send_item((routed.input, routed.envelope)).is_ok(),
            PortSender::Sink(s) => s.send_item(routed.envelope).is_ok(),
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
        self.add(to, PortSender::Instance(PollSender::new(sender)));
    }

    /// Adds the channel to an ordered group's sequencer.
    pub fn add_group(&mut self, to: Destination, sender: Sender<(InputId, Envelope)>) {
        self.add(to, PortSender::Group(PollSender::new(sender)));
    }

    /// Adds the channel to a sink.
    pub fn add_sink(&mut self, to: Destination, sender: Sender<Envelope>) {
        self.add(to, PortSender::Sink(PollSender::new(sender)));
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

    /// Queues a message emitted on `output`.
    pub fn push(&mut self, output: OutputId, routed: Routed) {
        if let Some(port) = self.ports.get_mut(&routed.to) {
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
