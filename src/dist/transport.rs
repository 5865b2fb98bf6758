//! Streams between processes on NATS JetStream: one JetStream stream per run
//! (`BLAZES_RUN_{run}`, file storage) holding one subject per destination
//! (`blazes.{run}.i.{instance}` for a component instance,
//! `blazes.{run}.s.{sink}` for a sink).
//!
//! - Publishing is at-least-once: every frame is published with
//!   `Nats-Msg-Id: {from}.{epoch}.{subject}.{link_seq}` and retried until JetStream
//!   acknowledges it (through reconnections and server restarts, until the
//!   retry policy's deadline). Up to a window of frames wait for their
//!   acknowledgements at once; a retried frame may be stored after a later
//!   one, which the receiver's [`LinkReceiver`](super::link::LinkReceiver)
//!   puts back in order.
//! - Reading is from the start of the run: each destination reads its
//!   subject with an ordered consumer (no acknowledgements, no server-side
//!   state to lose) and, when the consumer fails (server restart, missed
//!   heartbeats), resumes after the last stream sequence it saw. A process
//!   that restarts reads its inputs again from the beginning and rebuilds
//!   its state; what it sends again carries the same link sequence numbers
//!   and is dropped downstream.
//! - Incarnations are fenced (issue 15, fix 3): a producer that starts gets
//!   its incarnation's *epoch* from JetStream, the stream sequence of a
//!   message it publishes on `blazes.{run}.e.{producer}`
//!   ([`RunStream::register_incarnation`]), larger than every earlier
//!   incarnation's; it registers that epoch on every destination's subject
//!   before sending anything, and stamps it on every frame (see
//!   [`fence`](super::fence)).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::pull::OrderedConfig, context::PublishAckFuture};
use bytes::Bytes;
use futures_util::StreamExt;

use super::retry::{BoxError, RetryPolicy, ServiceError, Stop, connect_jetstream, retrying};
use super::run_identity::{Difference, RunIdentity, differences};
use super::security::NatsSecurity;
use crate::runtime::node::envelope::ProducerId;

/// The transport failed for good (the retry policy's deadline passed), or
/// was asked for something it cannot do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A run id that cannot name a stream (see [`valid_run_id`]).
    #[error("transport: run id `{0}` must be 1 to 64 ASCII letters, digits, `-` or `_`")]
    InvalidRunId(String),
    /// The NATS server could not be reached, or kept refusing to create
    /// or find the run's stream.
    #[error("transport: {0}")]
    Service(#[from] ServiceError),
    /// The server refused to delete the run's stream.
    #[error("transport: deleting stream {stream}: {source}")]
    Delete {
        /// The stream.
        stream: String,
        /// The client's error.
        #[source]
        source: jetstream::context::DeleteStreamError,
    },
    /// The server could not say whether the run's stream exists.
    #[error("transport: stream {stream}: {source}")]
    Lookup {
        /// The stream.
        stream: String,
        /// The client's error.
        #[source]
        source: jetstream::context::GetStreamError,
    },
    /// The run id was first used for another dataflow, deployment or
    /// workload (runtime spec, "Restarts": a run id names one run).
    #[error(
        "transport: run id `{run}` names another run: {}; give this run a new run id, or delete \
         the old run first (docs/runtime.md, \"Cleaning up a run\")",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    RunIdReused {
        /// The run id.
        run: String,
        /// What differs between the run recorded and this process's.
        differences: Vec<Difference>,
    },
    /// The identity recorded for the run cannot be read (not written by
    /// blazes, or by an incompatible version).
    #[error("transport: run id `{run}`: the recorded identity is unreadable: {source}")]
    RunIdentityUnreadable {
        /// The run id.
        run: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A frame was not acknowledged before the retry policy's deadline.
    #[error("transport: {subject} (message {id}) not acknowledged after {waited:?}")]
    NotAcknowledged {
        /// The frame's subject.
        subject: String,
        /// The frame's message id.
        id: String,
        /// How long it was published again.
        waited: Duration,
    },
    /// A subject's consumer could not be created again before the retry
    /// policy's deadline.
    #[error("transport: reading {subject}: {source}")]
    Read {
        /// The subject.
        subject: String,
        /// The last attempt's error.
        #[source]
        source: BoxError,
    },
}

/// True for a run id usable in stream names and subjects.
pub fn valid_run_id(run: &str) -> bool {
    !run.is_empty()
        && run.len() <= 64
        && run
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The JetStream stream of one run, and how to name its subjects.
#[derive(Clone, Debug)]
pub struct RunStream {
    context: jetstream::Context,
    name: String,
    prefix: String,
    duplicate_window: Duration,
    policy: RetryPolicy,
}

#[cfg(test)]
impl RunStream {
    /// The stream of run `run` on a client that never reaches a server
    /// (port 1 refuses): for tests of what is done before anything is
    /// published or read.
    pub(crate) async fn unconnected(run: &str) -> RunStream {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect("nats://127.0.0.1:1")
            .await
            .expect("with retry_on_initial_connect, connecting returns at once");
        RunStream {
            context: jetstream::new(client),
            name: format!("BLAZES_RUN_{run}"),
            prefix: format!("blazes.{run}"),
            duplicate_window: super::config::DEFAULT_DUPLICATE_WINDOW,
            policy: RetryPolicy::default(),
        }
    }
}

impl RunStream {
    /// Connects to `url` and creates (or finds) the stream of run `run`.
    pub async fn connect(
        url: &str,
        run: &str,
        duplicate_window: Duration,
        policy: RetryPolicy,
    ) -> Result<RunStream, TransportError> {
        let open = NatsSecurity::default();
        RunStream::connect_with(url, run, duplicate_window, policy, &open).await
    }

    /// [`RunStream::connect`] with credentials and TLS.
    pub async fn connect_with(
        url: &str,
        run: &str,
        duplicate_window: Duration,
        policy: RetryPolicy,
        security: &NatsSecurity,
    ) -> Result<RunStream, TransportError> {
        let mut stream = RunStream::connect_existing(url, run, policy, security).await?;
        stream.duplicate_window = duplicate_window;
        stream.ensure().await?;
        Ok(stream)
    }

    /// The run's stream without creating it (to look at or delete it).
    pub async fn connect_existing(
        url: &str,
        run: &str,
        policy: RetryPolicy,
        security: &NatsSecurity,
    ) -> Result<RunStream, TransportError> {
        if !valid_run_id(run) {
            return Err(TransportError::InvalidRunId(run.to_string()));
        }
        let context = connect_jetstream(url, policy, security).await?;
        Ok(RunStream {
            context,
            name: format!("BLAZES_RUN_{run}"),
            prefix: format!("blazes.{run}"),
            duplicate_window: super::config::DEFAULT_DUPLICATE_WINDOW,
            policy,
        })
    }

    async fn ensure(&self) -> Result<jetstream::stream::Stream, TransportError> {
        let config = jetstream::stream::Config {
            name: self.name.clone(),
            subjects: vec![format!("{}.>", self.prefix)],
            storage: jetstream::stream::StorageType::File,
            duplicate_window: self.duplicate_window,
            ..Default::default()
        };
        let config = &config;
        retrying(
            &self.policy,
            &format!("stream {}", self.name),
            None,
            |_| async move {
                self.context
                    .get_or_create_stream(config.clone())
                    .await
                    .map_err(|e| Stop::Retry {
                        ambiguous: false,
                        reason: e.into(),
                    })
            },
        )
        .await
        .map_err(TransportError::from)
    }

    /// Deletes the run's stream and everything in it (when the run is over:
    /// a process that restarts afterwards finds nothing to replay).
    pub async fn delete(&self) -> Result<(), TransportError> {
        self.context
            .delete_stream(&self.name)
            .await
            .map(|_| ())
            .map_err(|source| TransportError::Delete {
                stream: self.name.clone(),
                source,
            })
    }

    /// Whether the run's stream exists on the server.
    pub async fn exists(&self) -> Result<bool, TransportError> {
        match self.context.get_stream(&self.name).await {
            Ok(_) => Ok(true),
            Err(e) => match e.kind() {
                jetstream::context::GetStreamErrorKind::JetStream(j)
                    if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
                {
                    Ok(false)
                }
                _ => Err(TransportError::Lookup {
                    stream: self.name.clone(),
                    source: e,
                }),
            },
        }
    }

    /// Records `identity` as the run's if it is the first to, and compares
    /// it with the one recorded otherwise: a mismatch is
    /// [`TransportError::RunIdReused`], naming what differs. The first
    /// record is atomic (published with an expected last subject sequence
    /// of 0), so of two processes starting at once with different runs,
    /// one is refused.
    pub async fn claim_identity(&self, identity: &RunIdentity) -> Result<(), TransportError> {
        let subject = format!("{}.identity", self.prefix);
        let body = identity.to_json();
        let (subject, body) = (&subject, &body);
        let recorded = retrying(
            &self.policy,
            &format!("run identity on {subject}"),
            Some(self.policy.attempt_timeout),
            |_| async move {
                let publish = jetstream::message::PublishMessage::build()
                    .payload(Bytes::from(body.clone()))
                    .expected_last_subject_sequence(0);
                // Stored, or refused because one is there: either way the
                // last message on the subject is the run's identity.
                match self.context.send_publish(subject.clone(), publish).await {
                    Ok(ack) => {
                        if let Err(e) = ack.await {
                            tracing::debug!(%subject, error = %e, "identity not stored: one was");
                        }
                    }
                    Err(e) => {
                        return Err(Stop::Retry {
                            ambiguous: true,
                            reason: e.into(),
                        });
                    }
                }
                let stream =
                    self.context
                        .get_stream(&self.name)
                        .await
                        .map_err(|e| Stop::Retry {
                            ambiguous: false,
                            reason: e.into(),
                        })?;
                stream
                    .get_last_raw_message_by_subject(subject)
                    .await
                    .map(|m| m.payload.to_vec())
                    .map_err(|e| Stop::Retry {
                        ambiguous: false,
                        reason: e.into(),
                    })
            },
        )
        .await?;
        let recorded = RunIdentity::from_json(&recorded).map_err(|source| {
            TransportError::RunIdentityUnreadable {
                run: self.run_id().to_string(),
                source,
            }
        })?;
        let differ = differences(&recorded, identity);
        if differ.is_empty() {
            Ok(())
        } else {
            Err(TransportError::RunIdReused {
                run: self.run_id().to_string(),
                differences: differ,
            })
        }
    }

    /// The run id.
    pub fn run_id(&self) -> &str {
        self.name.strip_prefix("BLAZES_RUN_").unwrap_or(&self.name)
    }

    /// The name of the run's JetStream stream.
    pub fn stream_name(&self) -> &str {
        &self.name
    }

    /// The subject a component instance reads.
    pub fn instance_subject(&self, instance: ProducerId) -> String {
        format!("{}.i.{}", self.prefix, instance.0)
    }

    /// Gets the epoch of a new incarnation of `producer`: the stream
    /// sequence of a message it publishes on its epoch subject, larger than
    /// that of every earlier incarnation's. Retried like a publish.
    pub async fn register_incarnation(&self, producer: ProducerId) -> Result<u64, TransportError> {
        let subject = format!("{}.e.{}", self.prefix, producer.0);
        self.publish_acked(&subject, Bytes::new(), "registering")
            .await
            .map_err(TransportError::Service)
    }

    /// The epoch of `producer`'s newest incarnation: the stream sequence of
    /// the last registration on its epoch subject (see
    /// [`RunStream::register_incarnation`]).
    #[cfg(feature = "zookeeper")] // used by the cluster only
    pub(crate) async fn newest_incarnation(
        &self,
        producer: ProducerId,
    ) -> Result<u64, TransportError> {
        let subject = format!("{}.e.{}", self.prefix, producer.0);
        let last = self.last_on(&subject, "newest incarnation").await?;
        Ok(last.map_or(0, |(sequence, _)| sequence))
    }

    /// The stream sequence and payload of the last message on `subject`
    /// (`None` when there is none), retried under the run's policy.
    #[cfg(feature = "zookeeper")] // used by the cluster only
    async fn last_on(
        &self,
        subject: &str,
        what: &str,
    ) -> Result<Option<(u64, Vec<u8>)>, TransportError> {
        retrying(
            &self.policy,
            &format!("{what} on {subject}"),
            Some(self.policy.attempt_timeout),
            |_| async move {
                let stream = self.ensure().await.map_err(|e| Stop::Retry {
                    ambiguous: false,
                    reason: e.into(),
                })?;
                match stream.get_last_raw_message_by_subject(subject).await {
                    Ok(m) => Ok(Some((m.sequence, m.payload.to_vec()))),
                    Err(e)
                        if e.kind()
                            == jetstream::stream::LastRawMessageErrorKind::NoMessageFound =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(Stop::Retry {
                        ambiguous: false,
                        reason: e.into(),
                    }),
                }
            },
        )
        .await
        .map_err(TransportError::from)
    }

    /// Publishes `payload` on `subject` and waits for JetStream's
    /// acknowledgement, retried under the run's policy (a lost
    /// acknowledgement is ambiguous); answers the message's stream sequence.
    async fn publish_acked(
        &self,
        subject: &str,
        payload: Bytes,
        what: &str,
    ) -> Result<u64, ServiceError> {
        let payload = &payload;
        retrying(
            &self.policy,
            &format!("{what} on {subject}"),
            Some(self.policy.attempt_timeout),
            |_| async move {
                let ack = self
                    .context
                    .publish(subject.to_string(), payload.clone())
                    .await
                    .map_err(|e| Stop::Retry {
                        ambiguous: false,
                        reason: e.into(),
                    })?;
                ack.await.map(|a| a.sequence).map_err(|e| Stop::Retry {
                    ambiguous: true,
                    reason: e.into(),
                })
            },
        )
        .await
    }

    #[cfg(feature = "zookeeper")] // used by the cluster only
    /// The subject holding an instance's checkpoints (see
    /// `dist::checkpoint`): only the last one is kept.
    fn checkpoint_subject(&self, instance: ProducerId) -> String {
        format!("{}.c.{}", self.prefix, instance.0)
    }

    #[cfg(feature = "zookeeper")] // used by the cluster only
    /// Stores `checkpoint` as `instance`'s last, waiting until JetStream
    /// holds it, then purges the earlier ones. Retried like a publish.
    pub(crate) async fn save_checkpoint(
        &self,
        instance: ProducerId,
        checkpoint: Vec<u8>,
    ) -> Result<(), TransportError> {
        let subject = self.checkpoint_subject(instance);
        let sequence = self
            .publish_acked(&subject, Bytes::from(checkpoint), "checkpoint")
            .await?;
        let subject = &subject;
        // Keeping the earlier ones is harmless (the last is read), so a
        // failed purge is only logged.
        match self.context.get_stream(&self.name).await {
            Ok(stream) => {
                if let Err(e) = stream.purge().filter(subject).sequence(sequence).await {
                    tracing::debug!(%subject, error = %e, "earlier checkpoints not purged");
                }
            }
            Err(e) => tracing::debug!(%subject, error = %e, "earlier checkpoints not purged"),
        }
        Ok(())
    }

    /// `instance`'s last checkpoint, if it stored one.
    #[cfg(feature = "zookeeper")] // used by the cluster only
    pub(crate) async fn load_checkpoint(
        &self,
        instance: ProducerId,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        let subject = self.checkpoint_subject(instance);
        let last = self.last_on(&subject, "checkpoint").await?;
        Ok(last.map(|(_, payload)| payload))
    }

    /// Every subject a producer can send to: each instance's and each sink's
    /// (`instances` and `sinks` are their counts in the topology).
    pub fn destination_subjects(&self, instances: &[ProducerId], sinks: usize) -> Vec<String> {
        instances
            .iter()
            .map(|i| self.instance_subject(*i))
            .chain((0..sinks).map(|s| self.sink_subject(s)))
            .collect()
    }

    /// The subject a sink reads.
    pub fn sink_subject(&self, sink: usize) -> String {
        format!("{}.s.{sink}", self.prefix)
    }

    /// A publisher keeping up to `window` frames unacknowledged.
    pub fn publisher(&self, window: usize) -> Publisher {
        Publisher {
            context: self.context.clone(),
            policy: self.policy,
            window: window.max(1),
            pending: VecDeque::new(),
            published: 0,
            retries: 0,
            already_stored: 0,
        }
    }

    /// Reads `subject` from the start of the run.
    pub fn reader(&self, subject: String) -> Reader {
        Reader {
            stream: self.clone(),
            subject,
            next_sequence: 1,
            messages: None,
            restarts: 0,
        }
    }
}

/// One frame on its way, kept until JetStream acknowledges it.
struct InFlight {
    subject: String,
    id: String,
    payload: Bytes,
    ack: Option<PublishAckFuture>,
    /// When it was last published: its acknowledgement is awaited until one
    /// attempt timeout after that.
    published_at: Instant,
}

/// Publishes frames at least once, with a bounded window of acknowledgements
/// outstanding.
pub struct Publisher {
    context: jetstream::Context,
    policy: RetryPolicy,
    window: usize,
    pending: VecDeque<InFlight>,
    published: u64,
    retries: u64,
    already_stored: u64,
}

impl Publisher {
    /// Publishes `payload` on `subject` with message id `id`; waits for the
    /// oldest acknowledgement when the window is full.
    pub async fn send(
        &mut self,
        subject: String,
        id: String,
        payload: Vec<u8>,
    ) -> Result<(), TransportError> {
        let mut frame = InFlight {
            subject,
            id,
            payload: Bytes::from(payload),
            ack: None,
            published_at: Instant::now(),
        };
        frame.ack = self.publish_once(&frame).await;
        self.pending.push_back(frame);
        while self.pending.len() > self.window {
            self.settle_oldest().await?;
        }
        Ok(())
    }

    /// Waits until every frame sent is acknowledged.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        while !self.pending.is_empty() {
            self.settle_oldest().await?;
        }
        Ok(())
    }

    /// Frames acknowledged so far.
    pub fn published(&self) -> u64 {
        self.published
    }

    /// Publish attempts repeated after a failure or a lost acknowledgement.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// Frames JetStream acknowledged as already stored (same message id
    /// within the duplicate window): a retry or a replay after a restart.
    pub fn already_stored(&self) -> u64 {
        self.already_stored
    }

    async fn publish_once(&self, frame: &InFlight) -> Option<PublishAckFuture> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, frame.id.as_str());
        match self
            .context
            .publish_with_headers(frame.subject.clone(), headers, frame.payload.clone())
            .await
        {
            Ok(ack) => Some(ack),
            Err(e) => {
                tracing::debug!(subject = %frame.subject, error = %e, "publish failed; will retry");
                None
            }
        }
    }

    /// Waits for the oldest frame's acknowledgement, publishing it again
    /// (same message id) until it comes or the deadline passes.
    async fn settle_oldest(&mut self) -> Result<(), TransportError> {
        let Some(mut frame) = self.pending.pop_front() else {
            return Ok(());
        };
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            if let Some(ack) = frame.ack.take() {
                // Timed from the publication, not from now: the frames a
                // server restart left unacknowledged time out together, not
                // one attempt timeout after another (an acknowledgement that
                // has arrived is taken even past the instant).
                let until = frame.published_at + self.policy.attempt_timeout;
                match tokio::time::timeout_at(until.into(), ack.into_future()).await {
                    Ok(Ok(ack)) => {
                        if ack.duplicate {
                            self.already_stored += 1;
                        }
                        self.published += 1;
                        return Ok(());
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(subject = %frame.subject, id = %frame.id, error = %e,
                            "no acknowledgement; publishing again");
                    }
                    Err(_) => {
                        tracing::debug!(subject = %frame.subject, id = %frame.id,
                            "no acknowledgement within the attempt timeout; publishing again");
                    }
                }
            }
            let pause = self.policy.pause(attempt);
            if start.elapsed() + pause > self.policy.deadline {
                return Err(TransportError::NotAcknowledged {
                    subject: frame.subject.clone(),
                    id: frame.id.to_string(),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(pause).await;
            attempt += 1;
            self.retries += 1;
            frame.published_at = Instant::now();
            frame.ack = self.publish_once(&frame).await;
        }
    }
}

/// Reads one subject of the run stream in stream order, resuming after the
/// last message seen whenever the consumer fails.
pub struct Reader {
    stream: RunStream,
    subject: String,
    next_sequence: u64,
    messages: Option<jetstream::consumer::pull::Ordered>,
    restarts: u64,
}

impl Reader {
    /// Times the consumer was created again after a failure.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// The stream sequence the reader reads from next.
    #[cfg(feature = "zookeeper")] // used by the cluster only
    pub(crate) fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    #[cfg(feature = "zookeeper")] // used by the cluster only
    /// Reads from stream sequence `sequence` on (as a checkpoint recorded),
    /// not from the start of the run.
    pub(crate) fn resume_at(&mut self, sequence: u64) {
        self.next_sequence = sequence.max(1);
        self.messages = None;
    }

    /// The next message's payload; `Ok(None)` when nothing arrived within
    /// `idle`. Fails only when the consumer cannot be recreated before the
    /// retry policy's deadline.
    pub async fn next(&mut self, idle: Duration) -> Result<Option<Bytes>, TransportError> {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            if self.messages.is_none() {
                match self.open().await {
                    Ok(m) => self.messages = Some(m),
                    Err(reason) => {
                        let pause = self.stream.policy.pause(attempt);
                        if start.elapsed() + pause > self.stream.policy.deadline {
                            return Err(TransportError::Read {
                                subject: self.subject.clone(),
                                source: reason,
                            });
                        }
                        tracing::debug!(subject = %self.subject, %reason, "consumer not ready; retrying");
                        tokio::time::sleep(pause).await;
                        attempt += 1;
                        continue;
                    }
                }
            }
            let Some(messages) = self.messages.as_mut() else {
                continue;
            };
            match tokio::time::timeout(idle, messages.next()).await {
                Err(_) => return Ok(None),
                Ok(Some(Ok(message))) => {
                    if let Ok(info) = message.info() {
                        if info.stream_sequence < self.next_sequence {
                            // Already read before the consumer was recreated.
                            continue;
                        }
                        self.next_sequence = info.stream_sequence + 1;
                    }
                    return Ok(Some(message.payload.clone()));
                }
                Ok(Some(Err(e))) => {
                    tracing::debug!(subject = %self.subject, error = %e, "consumer failed; resuming");
                    self.messages = None;
                    self.restarts += 1;
                }
                Ok(None) => {
                    self.messages = None;
                    self.restarts += 1;
                }
            }
        }
    }

    async fn open(&self) -> Result<jetstream::consumer::pull::Ordered, BoxError> {
        let stream = self.stream.ensure().await?;
        let deliver_policy = if self.next_sequence <= 1 {
            jetstream::consumer::DeliverPolicy::All
        } else {
            jetstream::consumer::DeliverPolicy::ByStartSequence {
                start_sequence: self.next_sequence,
            }
        };
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: self.subject.clone(),
                deliver_policy,
                ..Default::default()
            })
            .await?;
        Ok(consumer.messages().await?)
    }
}
