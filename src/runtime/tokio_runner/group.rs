//! The task of an ordered group: it asks the [`Sequencer`] for each
//! message's position in the group's order and forwards the message, with
//! its position, to every member.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::mpsc::{Receiver, Sender};
use tokio_util::sync::CancellationToken;

use super::quiescence::Quiescence;
use super::send_queues::Batch;
use crate::runtime::coordination::sequencer::{NextStep, OrderRetry, Sequencer, Unordered};
use crate::runtime::node::envelope::Delivery;

/// What a group's task did: for the run's report.
pub(super) struct GroupOutcome {
    /// Messages the sequencer had already ordered (replays).
    pub(super) duplicates: u64,
    /// The sequencer's errors, retried or not.
    pub(super) errors: Vec<String>,
    /// Messages given up (the first one, and how many).
    pub(super) unordered: Option<(Unordered, u64)>,
    /// Messages received and not ordered when the run was stopped.
    pub(super) abandoned: u64,
}

/// Orders the messages sent to group `name` and forwards them to every
/// member. A failed call is retried ([`OrderRetry`]); a message still not
/// ordered after that fails the run, and the group stops ordering: it closes
/// its members' links (so they end) and drains its input (so producers are
/// not blocked), counting what it drops.
pub(super) async fn run_group(
    name: String,
    mut rx: Receiver<Batch>,
    mut members: Vec<Sender<Batch>>,
    sequencer: Arc<dyn Sequencer>,
    quiet: Option<Arc<Quiescence>>,
    stop: CancellationToken,
) -> GroupOutcome {
    // Each message taken is work done once forwarded (or dropped).
    let done = |q: &Option<Arc<Quiescence>>| {
        if let Some(q) = q {
            q.done(1);
        }
    };
    let mut outcome = GroupOutcome {
        duplicates: 0,
        errors: Vec::new(),
        unordered: None,
        abandoned: 0,
    };
    let retry = OrderRetry::default();
    let mut received = VecDeque::new();
    'messages: loop {
        let (input, envelope) = match received.pop_front() {
            Some(Delivery::Direct { input, envelope }) => (input, envelope),
            // Producers send a group direct messages only.
            Some(Delivery::Ordered { .. }) => {
                done(&quiet);
                continue;
            }
            None => {
                let batch = tokio::select! {
                    batch = rx.recv() => batch,
                    () = stop.cancelled() => None,
                };
                match batch {
                    Some(batch) => {
                        received = VecDeque::from(batch);
                        continue;
                    }
                    None => break,
                }
            }
        };
        let (producer, seq) = (envelope.producer(), envelope.seq());
        if let Some((_, dropped)) = outcome.unordered.as_mut() {
            *dropped += 1;
            done(&quiet);
            continue;
        }
        let mut attempt = 0;
        let position = loop {
            attempt += 1;
            let result = tokio::select! {
                result = sequencer.assign(&name, producer, seq) => result,
                () = stop.cancelled() => {
                    // This message is abandoned with the rest.
                    received.push_front(Delivery::Direct { input, envelope });
                    break 'messages;
                }
            };
            if let Err(e) = &result {
                tracing::warn!(group = %name, error = %e, attempt, "sequencer failed to order a message");
                outcome.errors.push(e.to_string());
            }
            let step = retry.next(&name, producer, seq, attempt, result, &mut rand::rng());
            match step {
                NextStep::Forward(position) => break position,
                NextStep::Replay => {
                    outcome.duplicates += 1;
                    done(&quiet);
                    continue 'messages;
                }
                NextStep::Retry(pause) => tokio::time::sleep(pause).await,
                NextStep::GiveUp(unordered) => {
                    tracing::error!(group = %name, error = %unordered, "message not ordered: the run fails");
                    outcome.unordered = Some((unordered, 1));
                    // The members will never see the rest of the order:
                    // closing their links lets them end, and the run with them.
                    members.clear();
                    done(&quiet);
                    continue 'messages;
                }
            }
        };
        for m in &members {
            if let Some(q) = &quiet {
                q.add(1);
            }
            let sent = m
                .send(vec![Delivery::Ordered {
                    position,
                    input,
                    envelope: envelope.clone(),
                }])
                .await;
            if sent.is_err()
                && let Some(q) = &quiet
            {
                // The member has finished: it will not deliver it.
                q.done(1);
            }
        }
        done(&quiet);
    }
    if stop.is_cancelled() {
        outcome.abandoned = received.len() as u64;
        while let Ok(batch) = rx.try_recv() {
            outcome.abandoned += batch.len() as u64;
        }
    }
    outcome
}
