//! A sequencer on NATS JetStream: one stream per group, named `PREFIX_G`
//! with subjects `PREFIX.seq.G.>` (`G` escaped by [`names::escape`]), file
//! storage. Each ordered message is published once, on its own subject
//! `PREFIX.seq.G.{producer}.{seq}`, with header `Nats-Msg-Id:
//! {producer}/{seq}`, header `Nats-Expected-Last-Subject-Sequence: 0` and an
//! empty body; the stream sequence (from 1, dense: only this backend
//! publishes there) minus one is its position.
//!
//! A message is ordered at most once, for as long as the stream keeps it
//! (issue 15, fix 2): JetStream refuses a second publish on the message's
//! subject (expected last subject sequence 0), and the sequencer then reads
//! the original position from the stored message (last by subject). Within
//! the duplicate window JetStream answers such a publish itself, with
//! `duplicate: true` and the original sequence. Either way the message is a
//! replay (`None`). Before this, replays were recognised within the window
//! only: a producer that died between getting position `N` and publishing
//! its message, and restarted after the window, got a new position from
//! [`Sequencer::recover`], and position `N` stayed empty forever, every
//! replica waiting for it.
//!
//! [`Sequencer::recover`] publishes the same way, its body a token unique to
//! the call: a duplicate carries the original sequence (`replay: true`).
//! When an attempt's outcome was unknown and the retry finds the message
//! stored, the stored body tells whether this call published it.
//!
//! Costs: the server indexes one subject per ordered message (the stream's
//! subject state), besides the message ids of the duplicate window
//! ([`JetStreamSequencer::DEFAULT_DUPLICATE_WINDOW`] unless configured); a
//! replay outside the window costs a second request (the lookup).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream;

use super::names;
use super::retry::{BoxError, RetryPolicy, Stop, client_error, connect_jetstream, retrying};
use super::security::NatsSecurity;
use super::token::call_token;
use crate::runtime::coordination::sequencer::{
    AssignedFuture, RecoverFuture, Recovered, Sequencer, SequencerError, SequencerFuture,
};
use crate::runtime::node::envelope::ProducerId;

/// A [`Sequencer`] backed by NATS JetStream.
pub struct JetStreamSequencer {
    url: String,
    context: jetstream::Context,
    stream_prefix: String,
    duplicate_window: Duration,
    policy: RetryPolicy,
    ready_groups: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for JetStreamSequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamSequencer")
            .field("url", &self.url)
            .field("stream_prefix", &self.stream_prefix)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to: the answer, or why there is none.
type Attempt<T> = Result<T, Stop>;

/// A publish's acknowledgement: the message's position, and whether the
/// stream already held the message (with its stored body, when the
/// sequencer had to read it to learn the position).
struct Published {
    position: u64,
    duplicate: bool,
    stored_body: Option<Vec<u8>>,
}

impl JetStreamSequencer {
    /// How long JetStream remembers message ids by default (one hour).
    pub const DEFAULT_DUPLICATE_WINDOW: Duration = super::config::DEFAULT_DUPLICATE_WINDOW;

    /// Connects to the NATS server at `url` (`nats://host:port`); streams
    /// are named `{stream_prefix}_{G}`. The client reconnects by itself
    /// after a connection loss; the first connection is retried until the
    /// policy's deadline.
    pub async fn connect(
        url: &str,
        stream_prefix: &str,
        duplicate_window: Duration,
        policy: RetryPolicy,
    ) -> Result<JetStreamSequencer, SequencerError> {
        let open = NatsSecurity::default();
        JetStreamSequencer::connect_with(url, stream_prefix, duplicate_window, policy, &open).await
    }

    /// [`JetStreamSequencer::connect`] with credentials and TLS.
    pub async fn connect_with(
        url: &str,
        stream_prefix: &str,
        duplicate_window: Duration,
        policy: RetryPolicy,
        security: &NatsSecurity,
    ) -> Result<JetStreamSequencer, SequencerError> {
        if !names::valid_prefix(stream_prefix) {
            return Err(SequencerError::Config(format!(
                "stream prefix `{stream_prefix}` must be ASCII letters, digits, `-` and `_`"
            )));
        }
        let context = connect_jetstream(url, policy, security).await?;
        Ok(JetStreamSequencer {
            url: url.to_string(),
            context,
            stream_prefix: stream_prefix.to_string(),
            duplicate_window,
            policy,
            ready_groups: Mutex::new(HashSet::new()),
        })
    }

    /// The stream's name and the subject prefix of its messages for `group`.
    fn stream_of(&self, group: &str) -> (String, String) {
        let escaped = names::escape(group);
        (
            format!("{}_{escaped}", self.stream_prefix),
            format!("{}.seq.{escaped}", self.stream_prefix),
        )
    }

    /// Creates the group's stream once per group and process; `subject` is
    /// the prefix of its messages' subjects.
    async fn ensure_stream(&self, name: &str, subject: &str) -> Result<(), BoxError> {
        let known = self
            .ready_groups
            .lock()
            .map(|g| g.contains(name))
            .unwrap_or(false);
        if known {
            return Ok(());
        }
        let config = jetstream::stream::Config {
            name: name.to_string(),
            subjects: vec![format!("{subject}.>")],
            storage: jetstream::stream::StorageType::File,
            duplicate_window: self.duplicate_window,
            ..Default::default()
        };
        self.context
            .get_or_create_stream(config)
            .await
            .map_err(|e| client_error(format!("stream {name}"), e))?;
        if let Ok(mut groups) = self.ready_groups.lock() {
            groups.insert(name.to_string());
        }
        Ok(())
    }

    /// Publishes `(producer, seq)` with `body` once: on its own subject,
    /// refused by the server when that subject already holds the message.
    async fn publish(
        &self,
        stream: &str,
        prefix: &str,
        producer: ProducerId,
        seq: u64,
        body: &str,
        ambiguous: bool,
    ) -> Attempt<Published> {
        if let Err(reason) = self.ensure_stream(stream, prefix).await {
            return Err(Stop::Retry { ambiguous, reason });
        }
        let subject = format!("{prefix}.{}.{seq}", producer.0);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            async_nats::header::NATS_MESSAGE_ID,
            format!("{}/{seq}", producer.0).as_str(),
        );
        headers.insert(async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, "0");
        let future = match self
            .context
            .publish_with_headers(subject.clone(), headers, body.to_string().into())
            .await
        {
            Ok(f) => f,
            Err(e) => {
                return Err(Stop::Retry {
                    ambiguous: true,
                    reason: e.into(),
                });
            }
        };
        match future.await {
            Ok(ack) => {
                if ack.stream != stream {
                    return Err(Stop::fail(format!(
                        "subject {subject} is stored by stream {} instead of {stream}",
                        ack.stream
                    )));
                }
                Ok(Published {
                    position: position_of(ack.sequence)?,
                    duplicate: ack.duplicate,
                    stored_body: None,
                })
            }
            Err(e) => match e.kind() {
                // Ordered before, outside the duplicate window: read it back.
                jetstream::context::PublishErrorKind::WrongLastSequence => {
                    let stored = self.stored(stream, &subject).await?;
                    Ok(Published {
                        position: position_of(stored.sequence)?,
                        duplicate: true,
                        stored_body: Some(stored.payload.to_vec()),
                    })
                }
                kind => {
                    if kind == jetstream::context::PublishErrorKind::StreamNotFound
                        && let Ok(mut groups) = self.ready_groups.lock()
                    {
                        groups.remove(stream);
                    }
                    Err(Stop::Retry {
                        ambiguous: true,
                        reason: e.into(),
                    })
                }
            },
        }
    }

    /// The message stored on `subject` (the one message of an ordered
    /// `(producer, seq)`).
    async fn stored(
        &self,
        stream: &str,
        subject: &str,
    ) -> Attempt<async_nats::jetstream::message::StreamMessage> {
        let handle = self
            .context
            .get_stream(stream)
            .await
            .map_err(|e| Stop::Retry {
                ambiguous: true,
                reason: client_error(format!("stream {stream}"), e),
            })?;
        handle
            .get_last_raw_message_by_subject(subject)
            .await
            .map_err(|e| Stop::Retry {
                ambiguous: true,
                reason: client_error(format!("stream {stream}, subject {subject}"), e),
            })
    }

    async fn assign_attempt(
        &self,
        stream: &str,
        subject: &str,
        producer: ProducerId,
        seq: u64,
        ambiguous: bool,
    ) -> Attempt<Option<u64>> {
        let ack = self
            .publish(stream, subject, producer, seq, "", ambiguous)
            .await?;
        Ok(match (ack.duplicate, ambiguous) {
            (false, _) | (true, true) => Some(ack.position),
            (true, false) => None,
        })
    }

    async fn recover_attempt(
        &self,
        stream: &str,
        subject: &str,
        producer: ProducerId,
        seq: u64,
        token: &str,
        ambiguous: bool,
    ) -> Attempt<Recovered> {
        let ack = self
            .publish(stream, subject, producer, seq, token, ambiguous)
            .await?;
        let replay = if ack.duplicate && ambiguous {
            // Did this call's lost attempt store it?
            let body = match ack.stored_body {
                Some(body) => body,
                None => match self.stored_body(stream, ack.position + 1).await {
                    Ok(body) => body,
                    Err(reason) => {
                        return Err(Stop::Retry {
                            ambiguous: true,
                            reason,
                        });
                    }
                },
            };
            body != token.as_bytes()
        } else {
            ack.duplicate
        };
        Ok(Recovered {
            position: ack.position,
            replay,
        })
    }

    /// Every `(seq, position)` of `producer` in the group's stream: the
    /// subjects `{prefix}.{producer}.{seq}` it holds (one message each),
    /// each one's position read from its message.
    async fn assigned_attempt(
        &self,
        stream: &str,
        prefix: &str,
        producer: ProducerId,
    ) -> Attempt<Vec<(u64, u64)>> {
        use futures_util::TryStreamExt;
        let retry = |reason: BoxError| Stop::Retry {
            ambiguous: false,
            reason,
        };
        if let Err(reason) = self.ensure_stream(stream, prefix).await {
            return Err(retry(reason));
        }
        let handle = self
            .context
            .get_stream(stream)
            .await
            .map_err(|e| retry(client_error(format!("stream {stream}"), e)))?;
        let filter = format!("{prefix}.{}.*", producer.0);
        let mut subjects = handle
            .info_with_subjects(&filter)
            .await
            .map_err(|e| retry(client_error(format!("stream {stream}, {filter}"), e)))?;
        let mut listed = Vec::new();
        while let Some((subject, _)) = subjects
            .try_next()
            .await
            .map_err(|e| retry(client_error(format!("stream {stream}, {filter}"), e)))?
        {
            listed.push(subject);
        }
        let mut pairs = Vec::with_capacity(listed.len());
        for subject in listed {
            let Some(seq) = subject
                .rsplit_once('.')
                .and_then(|(_, seq)| seq.parse::<u64>().ok())
            else {
                return Err(Stop::fail(format!("unexpected subject {subject}")));
            };
            let stored = self.stored(stream, &subject).await?;
            pairs.push((seq, position_of(stored.sequence)?));
        }
        pairs.sort_unstable_by_key(|&(_, position)| position);
        Ok(pairs)
    }

    /// The body of the message stored at `sequence` in `stream`.
    async fn stored_body(&self, stream: &str, sequence: u64) -> Result<Vec<u8>, BoxError> {
        let handle = self
            .context
            .get_stream(stream)
            .await
            .map_err(|e| client_error(format!("stream {stream}"), e))?;
        let message = handle
            .get_raw_message(sequence)
            .await
            .map_err(|e| client_error(format!("stream {stream}, message {sequence}"), e))?;
        Ok(message.payload.to_vec())
    }

    /// Runs `attempt` with the retry policy (the context bounds each
    /// request by the attempt timeout).
    async fn retrying<T, F, Fut>(&self, group: &str, attempt: F) -> Result<T, SequencerError>
    where
        F: FnMut(bool) -> Fut,
        Fut: std::future::Future<Output = Attempt<T>>,
    {
        retrying(
            &self.policy,
            &format!("jetstream, group {group}"),
            None,
            attempt,
        )
        .await
        .map_err(SequencerError::from)
    }
}

/// The position of the message at stream sequence `sequence` (from 1).
fn position_of(sequence: u64) -> Attempt<u64> {
    sequence
        .checked_sub(1)
        .ok_or_else(|| Stop::fail("stream sequence 0 acknowledged"))
}

impl Sequencer for JetStreamSequencer {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        Box::pin(async move {
            let (stream, subject) = self.stream_of(group);
            self.retrying(group, |ambiguous| {
                self.assign_attempt(&stream, &subject, producer, seq, ambiguous)
            })
            .await
        })
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        Box::pin(async move {
            let (stream, subject) = self.stream_of(group);
            let token = call_token();
            self.retrying(group, |ambiguous| {
                self.recover_attempt(&stream, &subject, producer, seq, &token, ambiguous)
            })
            .await
        })
    }

    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        Box::pin(async move {
            let (stream, subject) = self.stream_of(group);
            self.retrying(group, |_| {
                self.assigned_attempt(&stream, &subject, producer)
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_prefix_is_valid_and_separators_are_not() {
        assert!(names::valid_prefix(names::DEFAULT_STREAM_PREFIX));
        assert!(names::valid_prefix("run-7_a"));
        for bad in ["", "a.b", "a b", "a*", "a>", "a/b"] {
            assert!(!names::valid_prefix(bad), "{bad}");
        }
    }
}
