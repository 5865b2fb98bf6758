//! Checkpoints of an instance hosted by a [`Cluster`](super::Cluster)
//! (runtime spec, "Restarts"; docs/runtime.md, "Checkpoints"): every so many
//! messages read, or so much time, an instance whose handler opts in saves
//! its whole state with its input positions on its checkpoint subject of
//! the run stream, once JetStream holds every output the state implies. A
//! restarted instance restores the last one and reads its inputs from the
//! recorded stream sequence, not from the start of the run; what it sends
//! again carries the link numbers it had, and is dropped downstream.
//!
//! # Encoding
//!
//! `version:u8(=1) body crc:u32le`: the body is the postcard encoding of the
//! private `Saved` type (the run's identity, the instance, the receiving end's
//! position, the outgoing link numbers, the core's own checkpoint, the
//! records sent when recorded); the CRC-32 covers every byte before it. A
//! checkpoint that does not decode, or was saved under another identity or
//! by another instance, is logged and ignored: the instance starts from the
//! start of the run, as without checkpoints.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::cluster::ClusterError;
use super::receiving_end::{ReceivingEnd, ReceivingPosition};
use super::sending_end::SendingEnd;
use super::transport::RunStream;
use crate::runtime::node::Node;
use crate::runtime::node::envelope::ProducerId;
use crate::tuple::Tuple;

/// When a hosted instance saves a checkpoint (see
/// [`ClusterConfig::checkpoints`](super::ClusterConfig::checkpoints)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckpointPolicy {
    /// After this many messages read since the last one (0: not by count).
    pub every_messages: u64,
    /// After this long since the last one, if anything was read (zero: not
    /// by time).
    pub every: Duration,
}

impl CheckpointPolicy {
    /// Every `messages` messages read, or every `every`, whichever first.
    pub fn new(messages: u64, every: Duration) -> CheckpointPolicy {
        CheckpointPolicy {
            every_messages: messages,
            every,
        }
    }
}

impl Default for CheckpointPolicy {
    /// Every 1000 messages or 5 seconds.
    fn default() -> CheckpointPolicy {
        CheckpointPolicy::new(1000, Duration::from_secs(5))
    }
}

/// The version byte that starts every checkpoint this module writes.
const VERSION: u8 = 1;

/// What one checkpoint holds.
#[derive(Serialize, Deserialize)]
struct Saved {
    identity: Vec<u8>,
    instance: ProducerId,
    receiving: ReceivingPosition,
    out_links: Vec<(String, u64)>,
    core: Vec<u8>,
    /// Where the instance's routing choices stood.
    routing: u128,
    sent: BTreeMap<String, Vec<Tuple>>,
}

fn encode(saved: &Saved) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = vec![VERSION];
    bytes.extend(postcard::to_allocvec(saved)?);
    let crc = crc32fast::hash(&bytes);
    bytes.extend(crc.to_le_bytes());
    Ok(bytes)
}

fn decode(bytes: &[u8]) -> Result<Saved, String> {
    let Some((body, crc)) = bytes.split_last_chunk::<4>() else {
        return Err("shorter than its checksum".to_string());
    };
    if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
        return Err("checksum mismatch".to_string());
    }
    match body.split_first() {
        Some((&VERSION, body)) => postcard::from_bytes(body).map_err(|e| e.to_string()),
        Some((version, _)) => Err(format!("version {version}, this build reads {VERSION}")),
        None => Err("empty".to_string()),
    }
}

/// The checkpoints of one hosted instance.
pub(crate) struct Checkpoints {
    policy: Option<CheckpointPolicy>,
    stream: RunStream,
    instance: ProducerId,
    identity: Vec<u8>,
    read_at_last: u64,
    saved_at: Instant,
    /// Checkpoints saved by this incarnation.
    pub(crate) saved: u64,
}

impl Checkpoints {
    /// The checkpoints of `instance` of the run with `identity`, saved as
    /// `policy` says (`None`: never saved, still restored).
    pub(crate) fn new(
        policy: Option<CheckpointPolicy>,
        stream: &RunStream,
        instance: ProducerId,
        identity: Vec<u8>,
    ) -> Checkpoints {
        Checkpoints {
            policy,
            stream: stream.clone(),
            instance,
            identity,
            read_at_last: 0,
            saved_at: Instant::now(),
            saved: 0,
        }
    }

    /// Restores the instance's last checkpoint, if there is a usable one:
    /// returns the stream sequence its receiving end reads from. One that does not
    /// decode or does not fit is logged and ignored.
    pub(crate) async fn restore(
        &mut self,
        node: &mut Node,
        receiving: &mut ReceivingEnd,
        out: &mut SendingEnd,
        sent: &mut BTreeMap<String, Vec<Tuple>>,
    ) -> Result<Option<u64>, ClusterError> {
        let Some(bytes) = self.stream.load_checkpoint(self.instance).await? else {
            return Ok(None);
        };
        let saved = match decode(&bytes) {
            Ok(saved) => saved,
            Err(why) => {
                tracing::warn!(instance = %self.instance, %why,
                    "checkpoint unreadable: ignored, reading from the start of the run");
                return Ok(None);
            }
        };
        if saved.identity != self.identity || saved.instance != self.instance {
            tracing::warn!(instance = %self.instance, saved_by = %saved.instance,
                "checkpoint of another run or instance: ignored, reading from the start of the run");
            return Ok(None);
        }
        if let Err(e) = node.core_mut().restore(&saved.core) {
            tracing::warn!(instance = %self.instance, error = %e,
                "checkpoint not restored: reading from the start of the run");
            return Ok(None);
        }
        let sequence = saved.receiving.next_sequence;
        node.resume_routing(saved.routing);
        receiving.resume(saved.receiving);
        out.resume_links(saved.out_links);
        *sent = saved.sent;
        tracing::info!(instance = %self.instance, from_sequence = sequence,
            "restored from a checkpoint");
        Ok(Some(sequence))
    }

    /// Saves a checkpoint if one is due after `read` messages read in all,
    /// and the instance is between deliveries with no frame held: first
    /// waits until JetStream holds everything sent, so a checkpoint never
    /// claims outputs not durably published.
    pub(crate) async fn maybe_save(
        &mut self,
        node: &Node,
        receiving: &ReceivingEnd,
        out: &mut SendingEnd,
        sent: &BTreeMap<String, Vec<Tuple>>,
    ) -> Result<(), ClusterError> {
        let Some(policy) = self.policy else {
            return Ok(());
        };
        let read = receiving.stats.frames_in;
        let since = read.saturating_sub(self.read_at_last);
        let by_count = policy.every_messages > 0 && since >= policy.every_messages;
        let by_time =
            !policy.every.is_zero() && since > 0 && self.saved_at.elapsed() >= policy.every;
        if !(by_count || by_time) {
            return Ok(());
        }
        let Some(position) = receiving.position() else {
            return Ok(());
        };
        let core_state = match node.core().checkpoint() {
            Ok(Some(state)) => state,
            Ok(None) => {
                tracing::debug!(instance = %self.instance,
                    "the component keeps no checkpoint: none saved");
                self.policy = None;
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(instance = %self.instance, error = %e, "checkpoint not saved");
                self.read_at_last = read;
                self.saved_at = Instant::now();
                return Ok(());
            }
        };
        out.flush().await?;
        let saved = Saved {
            identity: self.identity.clone(),
            instance: self.instance,
            receiving: position,
            out_links: out.link_positions(),
            core: core_state,
            routing: node.routing_position(),
            sent: sent.clone(),
        };
        let bytes = encode(&saved).map_err(ClusterError::CheckpointEncode)?;
        self.stream.save_checkpoint(self.instance, bytes).await?;
        self.saved += 1;
        self.read_at_last = read;
        self.saved_at = Instant::now();
        tracing::debug!(instance = %self.instance, at_sequence = saved.receiving.next_sequence,
            "checkpoint saved");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved() -> Saved {
        Saved {
            identity: b"run".to_vec(),
            instance: ProducerId(3),
            receiving: ReceivingPosition::for_test(17),
            out_links: vec![("blazes.r.i.4".to_string(), 9)],
            core: vec![1, 2, 3],
            routing: 5,
            sent: BTreeMap::from([("out".to_string(), vec![Tuple::new().with("k", 1)])]),
        }
    }

    #[test]
    fn a_checkpoint_decodes_to_what_was_saved_and_a_damaged_one_never_does() {
        let bytes = encode(&saved()).expect("encodes");
        let back = decode(&bytes).expect("decodes");
        assert_eq!(back.receiving.next_sequence, 17);
        assert_eq!(back.out_links, saved().out_links);
        assert_eq!(back.sent, saved().sent);
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x40;
            assert!(decode(&damaged).is_err(), "byte {i} flipped");
        }
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode(&[]).is_err());
    }
}
