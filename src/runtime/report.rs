//! What a run leaves behind, whichever driver ran it, and whether it
//! succeeded: a run that ends with partitions never sealed, dead letters,
//! instances that did not finish, refused seals or unbalanced books is a
//! failure, listed by [`RunReport::failures`] (runtime spec, "Liveness and
//! membership": "a run that ends with such partitions ends as a failure that
//! names them, never as success").

use std::collections::BTreeMap;
use std::fmt;

use super::dead_letter::DeadLetter;
use super::error::NameError;
use super::metrics::{InstanceMetrics, InstanceSnapshot};
use super::sink::{NotARecord, SinkCollector, SinkRecord};
use crate::record::{Record, RecordError};
use crate::runtime::node::envelope::ProducerId;
use crate::tuple::Tuple;

/// The outcome of a run.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RunReport {
    /// What reached each sink.
    pub sinks: BTreeMap<String, SinkCollector>,
    /// Every instance's final counters.
    pub instances: Vec<InstanceSnapshot>,
    /// Every dead-lettered record.
    pub dead_letters: Vec<DeadLetter>,
    /// Messages the sequencers recognised as replays.
    pub sequencer_duplicates: u64,
    /// Errors of the sequencing service.
    pub sequencer_errors: Vec<String>,
    /// Set when the run had not ended within the limit given to
    /// `RunningDataflow::finish_within` and was stopped: the limit.
    pub stopped_after: Option<std::time::Duration>,
    /// Messages a sequencer group had received and not ordered when the
    /// run was stopped.
    pub abandoned_by_sequencers: u64,
    /// Set when a simulated run was cut short at its step limit
    /// ([`SimConfig::max_steps`](crate::sim::SimConfig::max_steps)): the
    /// steps taken, and the messages still in flight then.
    pub truncated: Option<Truncated>,
}

/// A simulated run cut short at its step limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated {
    /// Scheduler steps taken.
    pub steps: u64,
    /// Messages (records, punctuations, ends) still in flight, never
    /// delivered.
    pub in_flight: usize,
}

/// One reason a run did not succeed. More kinds may come: a `match` on
/// one outside this crate has a `_` arm.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunFailure {
    /// A partition was still held when the run ended: some producers never
    /// sealed (punctuated) it, and its records were dead-lettered.
    NeverSealed {
        /// The instance that held it, `Component[i]`.
        instance: String,
        /// The partition's seal-key values.
        partition: Tuple,
        /// Records held for it (dead-lettered at the end).
        held: usize,
        /// The producers whose seal was missing, `Component[i]` or `source[i]`.
        missing: Vec<String>,
        /// The producers that did seal it.
        sealed: Vec<String>,
    },
    /// Records went to the dead-letter path.
    DeadLetters {
        /// The instance that refused them.
        instance: String,
        /// The kind of reason ([`DeadLetterReason::kind`](super::DeadLetterReason::kind)).
        reason: &'static str,
        /// How many.
        count: usize,
        /// The first of them: its record, input, producer and full reason.
        first: String,
    },
    /// An instance whose inputs and outputs had not all ended when the run
    /// stopped (stalled, or the run was cut short).
    Unfinished {
        /// The instance.
        instance: String,
    },
    /// Seals the instance refused: from producers that are not members of
    /// the stream, without a seal-key attribute, or with a key of the wrong
    /// kind. None of them voted.
    RefusedSeals {
        /// The instance.
        instance: String,
        /// How many.
        count: u64,
    },
    /// The handler emitted (or punctuated) on outputs the component does
    /// not have: those tuples went nowhere.
    UnknownOutputs {
        /// The instance.
        instance: String,
        /// How many.
        count: u64,
    },
    /// A simulated run was cut short at its step limit: what was still in
    /// flight never arrived, so even an instance that finished, or a sink,
    /// may lack records (raise the limit, or lower the fault rates: a
    /// replay rate per step that outpaces the run's progress never ends).
    Truncated {
        /// Scheduler steps taken.
        steps: u64,
        /// Messages still in flight.
        in_flight: usize,
    },
    /// The run had not ended within the limit given to
    /// `RunningDataflow::finish_within`, and was stopped there: the
    /// instances that had not ended are failures of their own, what they
    /// held is dead-lettered, and the messages in flight are counted.
    Stopped {
        /// The limit.
        after: std::time::Duration,
        /// Messages (records and punctuations) in flight, not delivered;
        /// their records are dead-lettered
        /// ([`DeadLetterReason::Abandoned`](crate::runtime::DeadLetterReason::Abandoned)).
        abandoned: u64,
    },
    /// Records and punctuations emitted on an output after the instance
    /// had ended it: its consumers never get them.
    EmittedAfterEnd {
        /// The instance.
        instance: String,
        /// How many.
        count: u64,
    },
    /// Handler calls that panicked (records and seals).
    HandlerPanics {
        /// The instance.
        instance: String,
        /// How many.
        count: u64,
    },
    /// Distinct records in != processed + dead-lettered, or records still held.
    Unbalanced {
        /// The instance.
        instance: String,
        /// Its counters.
        metrics: Box<InstanceMetrics>,
    },
    /// The instance admitted records beyond its buffer bound, because
    /// holding to it would have stopped the run (a partition, or the
    /// partitions open together, needed more room than the bound).
    BoundExceeded {
        /// The instance.
        instance: String,
        /// Its bound (`Deployment::buffer_capacity`).
        bound: usize,
        /// The most records it held at once.
        held_max: u64,
        /// Records admitted beyond the bound.
        stalls: u64,
    },
    /// A sink's stream declared sealed reached the sink with records in a
    /// partition that some of its producers never sealed: the declaration
    /// the analysis relied on did not hold.
    SinkNeverSealed {
        /// The sink.
        sink: String,
        /// The partition's seal-key values.
        partition: Tuple,
        /// The sink's records in it (delivered, not held).
        records: usize,
        /// The producers whose seal was missing.
        missing: Vec<String>,
        /// The producers that sealed it.
        sealed: Vec<String>,
    },
    /// The sequencing service failed to order a message.
    Sequencer {
        /// The service's error.
        error: String,
    },
}

impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunFailure::NeverSealed {
                instance,
                partition,
                held,
                missing,
                sealed,
            } => {
                write!(
                    f,
                    "{instance}: partition {partition} was never sealed ({held} record(s) \
                     dead-lettered); missing the seal of {}",
                    missing.join(", ")
                )?;
                if !sealed.is_empty() {
                    // Some producers sealed it and others never did: the
                    // usual cause is a stream whose partitions each come
                    // from one producer, declared without `independent`.
                    write!(
                        f,
                        " (sealed by {} only: a seal is a vote of every producer of the \
                         stream; if each partition comes from one producer, declare the \
                         stream `independent`)",
                        sealed.join(", ")
                    )?;
                }
                Ok(())
            }
            RunFailure::SinkNeverSealed {
                sink,
                partition,
                records,
                missing,
                sealed,
            } => {
                write!(
                    f,
                    "sink `{sink}`: partition {partition} ({records} record(s)) was never sealed, \
                     though its stream is declared sealed; missing the seal of {}",
                    missing.join(", ")
                )?;
                if !sealed.is_empty() {
                    write!(f, " (sealed by {} only)", sealed.join(", "))?;
                }
                Ok(())
            }
            RunFailure::DeadLetters {
                instance,
                reason,
                count,
                first,
            } => write!(
                f,
                "{instance}: {count} record(s) dead-lettered ({reason}); the first: {first}"
            ),
            RunFailure::Unfinished { instance } => write!(
                f,
                "{instance}: did not finish (some input or output never ended)"
            ),
            RunFailure::RefusedSeals { instance, count } => write!(
                f,
                "{instance}: {count} seal(s) refused (not a member of the stream, no key \
                 attribute, or a key of the wrong kind)"
            ),
            RunFailure::UnknownOutputs { instance, count } => write!(
                f,
                "{instance}: {count} tuple(s) emitted or punctuated on an output the \
                 component does not have"
            ),
            RunFailure::Truncated { steps, in_flight } => write!(
                f,
                "the simulated run was cut short at its limit of {steps} steps with \
                 {in_flight} message(s) in flight, never delivered: raise \
                 `SimConfig::max_steps`, or lower the fault rates (replays at a rate per \
                 step that outpaces the run never let it end)"
            ),
            RunFailure::Stopped { after, abandoned } => write!(
                f,
                "the run had not ended after {after:?} and was stopped \
                 ({abandoned} message(s) in flight not delivered, their records dead-lettered \
                 as abandoned); the usual cause is a \
                 `SourceHandle` neither closed nor dropped"
            ),
            RunFailure::EmittedAfterEnd { instance, count } => write!(
                f,
                "{instance}: {count} tuple(s) emitted or punctuated on an output after it \
                 ended (every input with a path into it had ended): a handler emits where no \
                 path of its input leads; declare that path"
            ),
            RunFailure::HandlerPanics { instance, count } => {
                write!(f, "{instance}: the handler panicked {count} time(s)")
            }
            RunFailure::Unbalanced { instance, metrics } => write!(
                f,
                "{instance}: unbalanced: {} distinct record(s) in, {} processed, {} \
                 dead-lettered, {} still held",
                metrics.records_in(),
                metrics.processed,
                metrics.dead_lettered,
                metrics.held
            ),
            RunFailure::BoundExceeded {
                instance,
                bound,
                held_max,
                stalls,
            } => write!(
                f,
                "{instance}: {stalls} record(s) admitted beyond the buffer bound of {bound} \
                 (held {held_max} at most): raise the bound to at least {held_max}"
            ),
            RunFailure::Sequencer { error } => write!(f, "sequencer: {error}"),
        }
    }
}

impl InstanceSnapshot {
    /// What went wrong at this instance, as of this snapshot (taken at the
    /// end of a run): partitions never sealed, refused seals, tuples on
    /// unknown outputs, handler panics, unbalanced books, not finished.
    /// Dead letters are listed by [`dead_letter_failures`].
    pub fn failures(&self) -> Vec<RunFailure> {
        let instance = || self.name.clone();
        let mut out: Vec<RunFailure> = self
            .never_sealed
            .iter()
            .map(|p| RunFailure::NeverSealed {
                instance: instance(),
                partition: p.key.clone(),
                held: p.held,
                missing: p.missing_names.clone(),
                sealed: p.sealed_names.clone(),
            })
            .collect();
        let m = &self.metrics;
        if !self.finished {
            out.push(RunFailure::Unfinished {
                instance: instance(),
            });
        }
        let refused = m.unknown_sealers + m.keyless_seals + m.wrong_key_kinds + m.undecodable_seals;
        if refused > 0 {
            out.push(RunFailure::RefusedSeals {
                instance: instance(),
                count: refused,
            });
        }
        if m.unknown_outputs > 0 {
            out.push(RunFailure::UnknownOutputs {
                instance: instance(),
                count: m.unknown_outputs,
            });
        }
        if m.emitted_after_end > 0 {
            out.push(RunFailure::EmittedAfterEnd {
                instance: instance(),
                count: m.emitted_after_end,
            });
        }
        if m.stalls > 0 {
            out.push(RunFailure::BoundExceeded {
                instance: instance(),
                bound: self.bound,
                held_max: m.held_max,
                stalls: m.stalls,
            });
        }
        if m.handler_panics > 0 {
            out.push(RunFailure::HandlerPanics {
                instance: instance(),
                count: m.handler_panics,
            });
        }
        if !(m.balanced() && m.held == 0) {
            out.push(RunFailure::Unbalanced {
                instance: instance(),
                metrics: Box::new(m.clone()),
            });
        }
        out
    }
}

/// Dead letters counted by instance and kind of reason, as failures;
/// `names` gives the instances' names (`Component[i]`).
pub fn dead_letter_failures(
    dead_letters: &[DeadLetter],
    names: &BTreeMap<ProducerId, String>,
) -> Vec<RunFailure> {
    let name = |p: &ProducerId| names.get(p).cloned().unwrap_or_else(|| p.to_string());
    let mut counts: BTreeMap<(ProducerId, &'static str), (usize, &DeadLetter)> = BTreeMap::new();
    for d in dead_letters {
        counts
            .entry((d.instance, d.reason.kind()))
            .or_insert((0, d))
            .0 += 1;
    }
    counts
        .into_iter()
        .map(|((instance, reason), (count, d))| RunFailure::DeadLetters {
            instance: name(&instance),
            reason,
            count,
            first: format!(
                "{} on `{}` from {}: {}",
                d.payload, d.input, d.producer_name, d.reason
            ),
        })
        .collect()
}

/// Why [`RunReport::read_sink`] could not read a sink as a record type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadSinkError {
    /// The dataflow has no such sink.
    #[error(transparent)]
    UnknownSink(#[from] NameError),
    /// A record of the sink is not of the type asked for.
    #[error("record {index} of sink `{sink}` is not the record type asked for: {source}")]
    NotARecord {
        /// The sink.
        sink: String,
        /// The record's position in the sink's arrival order.
        index: usize,
        /// The field that does not fit.
        source: RecordError,
    },
}

impl RunReport {
    /// The collector of sink `sink`; a name the dataflow lacks is refused
    /// with its sinks ([`NameError::NoSuchSink`]).
    pub fn sink(&self, sink: &str) -> Result<&SinkCollector, NameError> {
        self.sinks.get(sink).ok_or_else(|| NameError::NoSuchSink {
            name: sink.to_string(),
            valid: self.sinks.keys().cloned().collect(),
        })
    }

    /// The records of a sink (empty for an unknown sink: [`RunReport::sink`]
    /// tells the two apart).
    pub fn records(&self, sink: &str) -> &[SinkRecord] {
        self.sinks
            .get(sink)
            .map(|s| s.records.as_slice())
            .unwrap_or_default()
    }

    /// The records of sink `sink` read as `T`, in arrival order, each with
    /// the name of the instance that produced it (`Component[i]`, or the
    /// source's producer).
    ///
    /// An unknown sink is refused with the dataflow's sinks, and a record
    /// that is not a `T` with its position and the field at fault: nothing is
    /// skipped.
    pub fn read_sink<T: Record>(&self, sink: &str) -> Result<Vec<(String, T)>, ReadSinkError> {
        let records = self.sink(sink)?.read::<T>().map_err(|wrong| {
            let NotARecord { index, source, .. } = wrong;
            ReadSinkError::NotARecord {
                sink: sink.to_string(),
                index,
                source,
            }
        })?;
        Ok(records
            .into_iter()
            .map(|(producer, value)| (self.producer_name(producer), value))
            .collect())
    }

    /// The name of a producer: its instance's `Component[i]` when it is one,
    /// else its number (`#n`, a source's producer).
    pub fn producer_name(&self, producer: ProducerId) -> String {
        self.instances
            .iter()
            .find(|i| i.instance == producer)
            .map_or_else(|| producer.to_string(), |i| i.name.clone())
    }

    /// The counters of every instance added up.
    pub fn totals(&self) -> InstanceMetrics {
        let mut total = InstanceMetrics::default();
        for i in &self.instances {
            total.add(&i.metrics);
        }
        total
    }

    /// The counters of one component's instances added up.
    pub fn component_totals(&self, component: &str) -> InstanceMetrics {
        let mut total = InstanceMetrics::default();
        for i in self.instances.iter().filter(|i| i.component == component) {
            total.add(&i.metrics);
        }
        total
    }

    /// True when, at every instance, distinct records in = processed +
    /// dead-lettered (nothing is left held at the end of a run). A balanced
    /// run can still have failed: see [`RunReport::is_success`].
    pub fn balanced(&self) -> bool {
        self.instances
            .iter()
            .all(|i| i.metrics.balanced() && i.metrics.held == 0)
    }

    /// Everything that went wrong in the run: partitions never sealed (with
    /// the producers whose seals were missing), dead letters by instance and
    /// reason, instances that did not finish (first, a run stopped by
    /// `finish_within`), refused seals, tuples on unknown outputs or after
    /// an output's end, handler panics, unbalanced books, sequencer errors.
    pub fn failures(&self) -> Vec<RunFailure> {
        let mut out: Vec<RunFailure> = Vec::new();
        if let Some(Truncated { steps, in_flight }) = self.truncated {
            out.push(RunFailure::Truncated { steps, in_flight });
        }
        if let Some(after) = self.stopped_after {
            out.push(RunFailure::Stopped {
                after,
                abandoned: self.totals().abandoned + self.abandoned_by_sequencers,
            });
        }
        out.extend(self.instances.iter().flat_map(InstanceSnapshot::failures));
        let names: BTreeMap<ProducerId, String> = self
            .instances
            .iter()
            .map(|i| (i.instance, i.name.clone()))
            .collect();
        out.extend(dead_letter_failures(&self.dead_letters, &names));
        for (sink, collector) in &self.sinks {
            for unsealed in collector.never_sealed() {
                let named = |ids: &[ProducerId]| -> Vec<String> {
                    ids.iter().map(|p| self.producer_name(*p)).collect()
                };
                out.push(RunFailure::SinkNeverSealed {
                    sink: sink.clone(),
                    missing: named(&unsealed.missing),
                    sealed: named(&unsealed.sealed),
                    partition: unsealed.partition,
                    records: unsealed.records,
                });
            }
        }
        out.extend(
            self.sequencer_errors
                .iter()
                .map(|error| RunFailure::Sequencer {
                    error: error.clone(),
                }),
        );
        out
    }

    /// True when the run had no failure ([`RunReport::failures`] is empty):
    /// every partition sealed, no dead letter, every instance finished.
    pub fn is_success(&self) -> bool {
        self.failures().is_empty()
    }

    /// `Ok` when the run had no failure, otherwise every failure in one
    /// error (for `?` in a program that must not go on after a failed run;
    /// its `Display` lists them, one per line).
    ///
    /// # Errors
    /// [`RunFailed`] with [`RunReport::failures`] when there is one.
    pub fn ensure_success(&self) -> Result<(), RunFailed> {
        let failures = self.failures();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(RunFailed { failures })
        }
    }
}

/// A run that did not succeed ([`RunReport::ensure_success`]): its failures.
/// `Debug` writes what `Display` does, so a `main` returning it through `?`
/// prints the failures rather than the structure.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct RunFailed {
    /// Every failure, as [`RunReport::failures`] lists them.
    pub failures: Vec<RunFailure>,
}

impl fmt::Debug for RunFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for RunFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the run failed ({} failure(s)):", self.failures.len())?;
        for failure in &self.failures {
            write!(f, "\n  {failure}")?;
        }
        Ok(())
    }
}
