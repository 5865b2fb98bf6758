//! The account an operator's retirement gives each member of an ordered
//! group about the retired producer's positions in the group's order
//! (docs/runtime.md, "Retirement").
//!
//! A producer asks the sequencer for a position per message, then
//! publishes the message to every member, one link each. A producer that
//! stopped between the two left positions that no member will ever
//! receive, and one that stopped while publishing left a message on some
//! members' links and not on others'. Either way the members would wait at
//! that position for ever, or apply different messages. The retiring
//! incarnation registers first (every frame of the stopped one stored
//! later is refused), so what each member will ever admit from the stopped
//! producer is fixed: it reads it back from each member's subject, up to
//! its own registration, with the members' own fencing
//! ([`stored_ordered`]), and gives every member the same decision per
//! position ([`account`]): a position no member holds is skipped by all;
//! a message some member holds is delivered to those that lack it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::cluster::ClusterError;
use super::fence::EpochFence;
use super::transport::RunStream;
use super::wire::{Message, decode_message};
use crate::runtime::node::envelope::{Delivery, ProducerId};

/// How long the retiring incarnation reads a member's subject without
/// finding its own registration before it gives up.
const READ_BACK_LIMIT: Duration = Duration::from_secs(60);

/// What one member is told: the positions it skips, and the messages it
/// lacks that another member holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MemberAccount {
    /// Positions no member holds, increasing (the same for every member).
    pub(crate) skipped: Vec<u64>,
    /// Ordered messages another member holds and this one lacks, by
    /// position.
    pub(crate) filled: Vec<Delivery>,
}

/// Each member's account, from the positions the producer was `assigned`
/// and the ordered messages each member holds (`held`, by member, then by
/// position): a position no member holds is skipped by every member; a
/// message some members hold goes to the others (the first member's copy,
/// every copy being the same message).
pub(crate) fn account(
    assigned: &[u64],
    held: &BTreeMap<ProducerId, BTreeMap<u64, Delivery>>,
) -> BTreeMap<ProducerId, MemberAccount> {
    let mut anywhere: BTreeMap<u64, &Delivery> = BTreeMap::new();
    for messages in held.values() {
        for (position, delivery) in messages {
            anywhere.entry(*position).or_insert(delivery);
        }
    }
    let skipped: Vec<u64> = assigned
        .iter()
        .copied()
        .collect::<BTreeSet<u64>>()
        .into_iter()
        .filter(|p| !anywhere.contains_key(p))
        .collect();
    held.iter()
        .map(|(member, messages)| {
            let filled = anywhere
                .iter()
                .filter(|(position, _)| !messages.contains_key(position))
                .map(|(_, delivery)| (*delivery).clone())
                .collect();
            let account = MemberAccount {
                skipped: skipped.clone(),
                filled,
            };
            (*member, account)
        })
        .collect()
}

/// The ordered messages of `producer` that the member reading `subject`
/// admits, by position: read from the start of the run up to the
/// registration of `producer`'s incarnation `epoch` (the retiring one),
/// fenced as the member fences them ([`EpochFence`]).
pub(crate) async fn stored_ordered(
    stream: &RunStream,
    subject: String,
    producer: ProducerId,
    epoch: u64,
) -> Result<BTreeMap<u64, Delivery>, ClusterError> {
    let mut reader = stream.reader(subject.clone());
    let mut fence = EpochFence::new();
    let mut held = BTreeMap::new();
    let mut last_read = Instant::now();
    loop {
        let Some(bytes) = reader.next(Duration::from_secs(1)).await? else {
            if last_read.elapsed() >= READ_BACK_LIMIT {
                return Err(ClusterError::RetirementUnread {
                    subject,
                    waited: last_read.elapsed(),
                });
            }
            continue;
        };
        last_read = Instant::now();
        match decode_message(&bytes) {
            Ok(Message::Registration(r)) if r.from == producer => {
                if r.epoch == epoch {
                    return Ok(held);
                }
                fence.register(r.from, r.epoch);
            }
            Ok(Message::Retirement(r)) if r.from == producer => {
                fence.admit(r.from, r.epoch);
            }
            Ok(Message::Frame(frame)) if frame.from == producer => {
                if !fence.admit(frame.from, frame.epoch) {
                    continue;
                }
                for delivery in frame.messages {
                    if let Delivery::Ordered { position, .. } = delivery {
                        held.entry(position).or_insert(delivery);
                    }
                }
            }
            // Other producers' messages, and what does not decode (the
            // member skips it too).
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::node::envelope::Envelope;

    fn ordered(position: u64) -> Delivery {
        Delivery::Ordered {
            position,
            input: 0,
            envelope: Envelope::End {
                producer: ProducerId(9),
                seq: position,
            },
        }
    }

    fn holding(positions: &[u64]) -> BTreeMap<u64, Delivery> {
        positions.iter().map(|&p| (p, ordered(p))).collect()
    }

    /// Positions 1 and 6 were taken and published nowhere; 4 reached the
    /// first member only (the producer stopped while publishing it), 5 the
    /// second only (its frame to the first was lost).
    #[test]
    fn every_member_skips_what_none_holds_and_gets_what_another_holds() {
        let (a, b) = (ProducerId(1), ProducerId(2));
        let held = BTreeMap::from([(a, holding(&[0, 2, 4])), (b, holding(&[0, 2, 5]))]);
        let accounts = account(&[0, 1, 2, 4, 5, 6], &held);
        assert_eq!(
            accounts[&a],
            MemberAccount {
                skipped: vec![1, 6],
                filled: vec![ordered(5)],
            }
        );
        assert_eq!(
            accounts[&b],
            MemberAccount {
                skipped: vec![1, 6],
                filled: vec![ordered(4)],
            }
        );
    }

    #[test]
    fn a_producer_that_published_everything_leaves_nothing_to_account() {
        let held = BTreeMap::from([
            (ProducerId(1), holding(&[3, 7])),
            (ProducerId(2), holding(&[3, 7])),
        ]);
        for account in account(&[3, 7], &held).values() {
            assert_eq!(account, &MemberAccount::default());
        }
    }
}
