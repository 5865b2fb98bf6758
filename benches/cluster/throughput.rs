//! Issue 14, must-show 2: records per second across processes' transport,
//! side by side on one `nats-server -js`, in one run, interleaved:
//!
//! - `raw JetStream`: async-nats directly publishes the records to one
//!   subject in frames of `batch` records (the blazes wire encoding of the
//!   same records, one run of records per frame as the blazes source sends
//!   them, encoded before the clock starts), with `window`
//!   acknowledgements outstanding, while an ordered consumer reads them
//!   back and decodes them as a blazes destination does; timed from the
//!   first publish to the last frame read. No message ids (no server-side
//!   dedupe): the peer does the least work the transport allows.
//! - `uncoordinated` and `seal`: the same records (made before the clock
//!   starts, as the raw peer's) through blazes, a source producer -> one
//!   `Pass` instance -> a sink, each a `Cluster` with its own NATS
//!   connection, thread and tokio runtime in this process (separate
//!   processes would add only start-up, which the clock leaves out); the
//!   source sends `batch` records per `send_batch` and, for `seal`, each
//!   batch with its seal (`send_sealed_batch`: the seal rides in the
//!   batch's frame; Pass reads a stream sealed on `batch`, so its seal
//!   buffer holds each batch until its seal). Same records per frame and
//!   publish window as the raw peer. Timed from the source's first send to
//!   the sink's end. Two JetStream crossings (source -> Pass -> sink), each
//!   a publish with message ids (server-side dedupe) and a read.
//! - `uncoordinated, one hop` and `seal, one hop`: the same, but Pass's
//!   output is kept in its own process (no sink): one crossing, as the raw
//!   peer's. Timed from the first send to Pass's end.
//!
//! Figures: docs/evaluation.md, "Throughput against raw JetStream" (three
//! runs on the final code of 2026-12-01: one hop x0.61 to x0.74 of raw
//! uncoordinated and x0.58 to x0.80 with the seal, two hops x0.34 to
//! x0.48). The raw peer decodes with the blazes decoder, so a costlier
//! decoder slows it as much as the blazes sides. The rest is the two
//! cores' CPU, shared by the three sides, the raw reader and the server:
//! each crossing costs the server a stored, deduplicated publish, an
//! acknowledgement and a delivery per frame.
use std::collections::VecDeque;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use blazes::dist::wire::{self, Frame};
use blazes::dist::{Cluster, ClusterConfig, SourceProducer};
use blazes::runtime::ProducerId;
use blazes::runtime::sans_io::{Delivery, Envelope, PayloadRun};
use blazes::runtime::{Deployment, Factories};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};
use futures_util::StreamExt;
use serde_json::{Value as Json, json};

/// Records per frame (and per `send_batch`), for every contender.
pub const BATCH: usize = 64;
/// Frames awaiting their acknowledgement at once, for every contender.
pub const WINDOW: usize = 256;

/// What one measurement moves.
#[derive(Clone, Copy)]
pub struct Workload {
    /// Records sent.
    pub records: usize,
}

/// Passes every record on.
struct Pass;

impl Handler for Pass {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        out.emit("out", tuple);
        Ok(())
    }
}

/// Record `n` of batch `batch`.
fn record(n: usize) -> Tuple {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    Tuple::new()
        .with("batch", n / BATCH as i64)
        .with("n", n)
        .with("ad", format!("ad-{:02}", n % 10))
}

/// The records in batches of [`BATCH`].
fn batches(workload: Workload) -> Vec<Vec<Tuple>> {
    (0..workload.records)
        .map(record)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(<[Tuple]>::to_vec)
        .collect()
}

/// Raw JetStream: the frames published with a window of acknowledgements
/// and read back by an ordered consumer; records per second.
///
/// With `two_hops`, the shape of the blazes two-hop sides: a relay (its own
/// connection) reads the frames back with an ordered consumer, decodes each
/// and encodes it again (the least a forwarding process does), and
/// publishes it to a second subject with the same window, where the reader
/// reads them: two crossings, each a stored publish, an acknowledgement and
/// a delivery per frame, as blazes's two hops (which add message ids).
pub async fn raw(url: &str, tag: &str, workload: Workload, two_hops: bool) -> Result<f64, String> {
    let client = async_nats::connect(url).await.map_err(|e| e.to_string())?;
    let reader_client = async_nats::connect(url).await.map_err(|e| e.to_string())?;
    let js = jetstream::new(client);
    let name = format!("RAW_{tag}");
    let first_subject = format!("raw.{tag}.frames");
    let subject = if two_hops {
        format!("raw.{tag}.relayed")
    } else {
        first_subject.clone()
    };
    js.get_or_create_stream(jetstream::stream::Config {
        name: name.clone(),
        subjects: if two_hops {
            vec![first_subject.clone(), subject.clone()]
        } else {
            vec![subject.clone()]
        },
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let producer = ProducerId(1);
    let frames: Vec<bytes::Bytes> = batches(workload)
        .into_iter()
        .enumerate()
        .map(|(i, batch)| {
            // The batch as one run of records, as the blazes source sends
            // it (issue 14: runs on the wire).
            let first = (i * BATCH) as u64;
            let run = PayloadRun::from_tuples(batch).ok_or("an empty batch")?;
            let frame = Frame {
                from: producer,
                epoch: 1,
                link_seq: i as u64,
                messages: vec![Delivery::Direct {
                    input: 0,
                    envelope: Envelope::Records {
                        producer,
                        seq: first,
                        records: run,
                    },
                }],
            };
            wire::encode(&frame)
                .map(bytes::Bytes::from)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, String>>()?;
    let count = frames.len();
    let reader_js = jetstream::new(reader_client);
    let reader_stream = reader_js
        .get_stream(&name)
        .await
        .map_err(|e| e.to_string())?;
    let consumer = reader_stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subject: subject.clone(),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    let relay = if two_hops {
        Some(relay(url, &name, &first_subject, &subject, count).await?)
    } else {
        None
    };
    let start = Instant::now();
    let read = tokio::spawn(async move {
        let mut records = 0usize;
        let mut seen = 0usize;
        while seen < count {
            match tokio::time::timeout(Duration::from_secs(60), messages.next()).await {
                Ok(Some(Ok(m))) => {
                    // Decoded like a blazes destination decodes its frames.
                    records += wire::decode(&m.payload).map_or(0, |f| {
                        f.messages.iter().map(|m| m.envelope().record_count()).sum()
                    });
                    seen += 1;
                }
                other => return Err(format!("raw reader stopped: {other:?}")),
            }
        }
        Ok::<_, String>((records, start.elapsed()))
    });
    let mut window = AckWindow::default();
    for frame in frames {
        window.publish(&js, &first_subject, frame).await?;
    }
    window.finish().await?;
    let (records, elapsed) = read.await.map_err(|e| e.to_string())??;
    if let Some(relay) = relay {
        relay.await.map_err(|e| e.to_string())??;
    }
    if records != workload.records {
        return Err(format!(
            "raw: read {records} of {} records",
            workload.records
        ));
    }
    js.delete_stream(&name).await.map_err(|e| e.to_string())?;
    Ok(workload.records as f64 / elapsed.as_secs_f64())
}

/// The relay of the two-hop raw peer: reads `count` frames of `from` in
/// order, decodes each, encodes it again and publishes it to `to` with
/// [`WINDOW`] acknowledgements outstanding.
async fn relay(
    url: &str,
    stream: &str,
    from: &str,
    to: &str,
    count: usize,
) -> Result<tokio::task::JoinHandle<Result<(), String>>, String> {
    let js = jetstream::new(async_nats::connect(url).await.map_err(|e| e.to_string())?);
    let consumer = js
        .get_stream(stream)
        .await
        .map_err(|e| e.to_string())?
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subject: from.to_string(),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    let to = to.to_string();
    Ok(tokio::spawn(async move {
        let mut window = AckWindow::default();
        for _ in 0..count {
            let message = match tokio::time::timeout(Duration::from_secs(60), messages.next()).await
            {
                Ok(Some(Ok(m))) => m,
                other => return Err(format!("raw relay stopped: {other:?}")),
            };
            let frame = wire::decode(&message.payload).map_err(|e| e.to_string())?;
            let bytes = wire::encode(&frame).map_err(|e| e.to_string())?;
            window.publish(&js, &to, bytes::Bytes::from(bytes)).await?;
        }
        window.finish().await
    }))
}

/// Publishes with at most [`WINDOW`] acknowledgements outstanding, as the
/// raw peer's publisher and relay both do.
#[derive(Default)]
struct AckWindow(VecDeque<jetstream::context::PublishAckFuture>);

impl AckWindow {
    /// Publishes `frame` to `subject`, first awaiting the oldest
    /// acknowledgements beyond the window.
    async fn publish(
        &mut self,
        js: &jetstream::Context,
        subject: &str,
        frame: bytes::Bytes,
    ) -> Result<(), String> {
        let ack = js
            .publish(subject.to_string(), frame)
            .await
            .map_err(|e| e.to_string())?;
        self.0.push_back(ack);
        while self.0.len() > WINDOW {
            if let Some(ack) = self.0.pop_front() {
                ack.await.map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Awaits every outstanding acknowledgement.
    async fn finish(self) -> Result<(), String> {
        for ack in self.0 {
            ack.await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// What a blazes contender runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Pass's input sealed on `batch` (each batch sealed by the source);
    /// uncoordinated otherwise.
    pub sealed: bool,
    /// Two crossings: source -> Pass -> sink. One: source -> Pass, whose
    /// output is kept in its own process (no sink), as the raw peer
    /// crosses once.
    pub two_hops: bool,
}

/// The dataflow of `shape`.
fn dataflow(shape: Shape) -> Dataflow {
    let input = Stream::between("src", "Pass.in");
    let (input, annotation) = if shape.sealed {
        (
            input.sealed(attrs(["batch"])),
            Annotation::or(attrs(["batch"])),
        )
    } else {
        (input, Annotation::cr())
    };
    let dataflow = Dataflow::new()
        .component(Component::new("Pass").path("in", "out", annotation))
        .stream(input);
    if shape.two_hops {
        dataflow.stream(Stream::between("Pass.out", "sink"))
    } else {
        dataflow
    }
}

/// A cluster process's part, with its own NATS connection.
async fn connect(url: &str, run: &str, shape: Shape) -> Result<Cluster, String> {
    let dataflow = dataflow(shape);
    let analysis = analyze(&dataflow).map_err(|e| format!("{e:?}"))?;
    let mut config = ClusterConfig::new(url, run);
    config.publish_window = WINDOW;
    // A batch's records, and its seal when sealed: [`BATCH`] records a frame.
    config.batch_messages = BATCH + usize::from(shape.sealed);
    let factories = Factories::new().with("Pass", || Box::new(Pass));
    let cluster = Cluster::connect(&dataflow, &analysis, &Deployment::new(), factories, config)
        .await
        .map_err(|e| e.to_string())?;
    // In one hop, Pass's output is kept where it is made.
    Ok(cluster.record_outputs(!shape.two_hops))
}

/// Sends every batch (and its seal when `sealed`), then ends the stream;
/// when the first send started.
async fn send(
    mut source: SourceProducer,
    batches: Vec<Vec<Tuple>>,
    sealed: bool,
) -> Result<Instant, String> {
    let first = Instant::now();
    for (i, batch) in batches.into_iter().enumerate() {
        if sealed {
            let key = Tuple::new().with("batch", i64::try_from(i).unwrap_or(i64::MAX));
            source.send_sealed_batch(batch, key).await
        } else {
            source.send_batch(batch).await
        }
        .map_err(|e| e.to_string())?;
    }
    source.close().await.map_err(|e| e.to_string())?;
    Ok(first)
}

/// Runs `side` on its own thread and current-thread tokio runtime (as in a
/// process of its own), after connecting its cluster and waiting at
/// `ready` for the others.
fn side<T: Send + 'static>(
    url: &str,
    run: &str,
    shape: Shape,
    ready: Arc<Barrier>,
    side: impl AsyncFnOnce(Cluster) -> Result<T, String> + Send + 'static,
) -> std::thread::JoinHandle<Result<(T, Instant), String>> {
    let (url, run) = (url.to_string(), run.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            let cluster = connect(&url, &run, shape).await;
            ready.wait();
            let out = side(cluster?).await?;
            Ok((out, Instant::now()))
        })
    })
}

/// The result of a side's thread.
fn joined<T>(
    handle: std::thread::JoinHandle<Result<(T, Instant), String>>,
) -> Result<(T, Instant), String> {
    handle
        .join()
        .map_err(|_| "a side's thread panicked".to_string())?
}

/// The same records through blazes in `shape`; records per second and the
/// frames the Pass instance read and sent.
pub fn blazes(
    url: &str,
    run: &str,
    workload: Workload,
    shape: Shape,
) -> Result<(f64, Json), String> {
    let ready = Arc::new(Barrier::new(if shape.two_hops { 4 } else { 3 }));
    // The records exist before the clock starts, as the raw peer's do.
    let records = batches(workload);
    let source = side(url, run, shape, ready.clone(), async move |c: Cluster| {
        let source = c.source("src", 0).await.map_err(|e| e.to_string())?;
        send(source, records, shape.sealed).await
    });
    let pass = side(url, run, shape, ready.clone(), async |c: Cluster| {
        c.run_instance("Pass", 0).await.map_err(|e| e.to_string())
    });
    let sink = shape.two_hops.then(|| {
        side(url, run, shape, ready.clone(), async |c: Cluster| {
            c.collect_sink("sink").await.map_err(|e| e.to_string())
        })
    });
    ready.wait();
    let (start, _) = joined(source)?;
    let (pass, pass_end) = joined(pass)?;
    // Where the records end up, and when the last got there.
    let (arrived, end) = match sink {
        Some(sink) => {
            let ((sink, _), end) = joined(sink)?;
            (sink.records.len(), end)
        }
        None => (pass.sent.get("out").map_or(0, Vec::len), pass_end),
    };
    let elapsed = end - start;
    if arrived != workload.records || !pass.is_success() {
        return Err(format!(
            "blazes: {arrived} of {} records arrived; failures {:?}",
            workload.records,
            pass.failures()
        ));
    }
    let frames = json!({
        "pass_frames_in": pass.links.frames_in,
        "pass_frames_out": pass.links.frames_out,
    });
    Ok((workload.records as f64 / elapsed.as_secs_f64(), frames))
}
