//! The simulated network: one FIFO queue per link, with the history of what
//! was sent on it, so a producer can replay from a checkpoint.

use std::collections::{BTreeSet, VecDeque};

use crate::runtime::node::envelope::{Delivery, Envelope, InputId, ProducerId};
use crate::runtime::node::topology::{GroupId, SinkId};

/// The sending end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum From {
    /// A component instance or a source producer.
    Producer(ProducerId),
    /// The sequencer of an ordered group.
    Sequencer(GroupId),
}

/// The receiving end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum To {
    /// A component instance.
    Instance(ProducerId),
    /// The sequencer of an ordered group.
    Sequencer(GroupId),
    /// A sink.
    Sink(SinkId),
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// For a component instance.
    Instance(Delivery),
    /// For a sequencer: the input it is for at the group's members.
    Sequencer(InputId, Envelope),
    /// For a sink.
    Sink(Envelope),
}

impl Message {
    /// The envelope carried.
    pub fn envelope(&self) -> &Envelope {
        match self {
            Message::Instance(i) => i.envelope(),
            Message::Sequencer(_, e) | Message::Sink(e) => e,
        }
    }
}

/// A queued message; `original` is its index in the link's history (none
/// for a copy re-sent by a restarted producer).
#[derive(Clone, Debug)]
pub struct Queued {
    /// The message.
    pub message: Message,
    /// Its index in the history.
    pub original: Option<usize>,
}

/// One link.
#[derive(Clone, Debug)]
pub struct Link {
    /// Sender.
    pub from: From,
    /// Receiver.
    pub to: To,
    /// In flight, oldest first.
    pub queue: VecDeque<Queued>,
    /// Everything originally sent.
    pub history: Vec<Message>,
    /// The history entries `0..delivered` have all been delivered at least once.
    pub delivered: usize,
    /// Entries past `delivered` delivered out of order.
    delivered_beyond: BTreeSet<usize>,
    /// The head could not be delivered at the last look (backpressure).
    pub blocked: bool,
}

impl Link {
    /// An empty link.
    pub fn new(from: From, to: To) -> Link {
        Link {
            from,
            to,
            queue: VecDeque::new(),
            history: Vec::new(),
            delivered: 0,
            delivered_beyond: BTreeSet::new(),
            blocked: false,
        }
    }

    /// Sends a new message.
    pub fn send(&mut self, message: Message) {
        self.queue.push_back(Queued {
            message: message.clone(),
            original: Some(self.history.len()),
        });
        self.history.push(message);
    }

    /// Re-sends history entries `from..to` after whatever is queued.
    pub fn replay(&mut self, from: usize, to: usize) {
        for i in from..to.min(self.history.len()) {
            self.queue.push_back(Queued {
                message: self.history[i].clone(),
                original: Some(i),
            });
        }
    }

    /// Takes the message at `index` in the queue (out of FIFO order), not
    /// noting its delivery yet ([`Link::delivered`]): a run of records the
    /// receiver's bound stops inside goes back to the front
    /// ([`Link::put_back`]), and counts as delivered only once its last
    /// record is.
    pub fn take_at(&mut self, index: usize) -> Option<Queued> {
        self.queue.remove(index)
    }

    /// Notes that history entry `original` (if any) has been delivered
    /// whole.
    pub fn note_delivered(&mut self, original: Option<usize>) {
        if let Some(i) = original
            && i >= self.delivered
        {
            self.delivered_beyond.insert(i);
            while self.delivered_beyond.remove(&self.delivered) {
                self.delivered += 1;
            }
        }
    }

    /// Puts `rest` (what was not delivered of history entry `original`)
    /// back at the front of the queue.
    pub fn put_back(&mut self, rest: Message, original: Option<usize>) {
        self.queue.push_front(Queued {
            message: rest,
            original,
        });
    }
}
