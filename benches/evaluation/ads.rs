//! Figures 12-14: ad reporting, CAMPAIGN at replicated Report servers; click
//! records processed over time for uncoordinated, ordered (sequencer), seal
//! and independent seal runs. Each ad server sends its clicks in batches with
//! a pause after each batch (the paper's workload).

use std::sync::Arc;
use std::time::{Duration, Instant};

use blazes::Tuple;
use blazes::runtime::{DataflowRunner, RunReport, RunningDataflow, Sequencer, SourceHandle};
use serde_json::{Value, json};

use crate::job::ad::{self, Run, Shape};

/// The four runs of the paper, in its order.
pub const RUNS: [(Run, &str); 4] = [
    (Run::Uncoordinated, "uncoordinated"),
    (Run::Ordered, "ordered (embedded)"),
    (Run::Seal, "seal"),
    (Run::IndependentSeal, "independent seal"),
];

/// How long one run may sample before giving up waiting.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Requests posed during the run (one per campaign, the first campaigns).
const REQUESTS: i64 = 20;

/// The experiment's parameters.
#[derive(Clone, Copy)]
pub struct Setup {
    /// Click records per ad server.
    pub clicks: usize,
    /// Records per batch.
    pub batch: usize,
    /// The pause after each batch.
    pub pause: Duration,
    /// Report (and Cache) replicas.
    pub replicas: usize,
    /// Distinct ads.
    pub ads: i64,
}

impl Setup {
    /// The shape of the workload with `ad_servers` ad servers.
    pub fn shape(&self, ad_servers: usize) -> Shape {
        Shape {
            ad_servers,
            clicks: self.clicks,
            batch: self.batch,
            ads: self.ads,
        }
    }
}

/// One run: (seconds since start, click records processed per replica).
pub struct Trace {
    /// The samples.
    pub samples: Vec<(f64, f64)>,
    /// Seconds until every record was processed and the run ended.
    pub elapsed: f64,
    /// Click records per second (all ad servers), per replica.
    pub throughput: f64,
    /// Whether the cache replicas stored the same answers.
    pub replicas_agree: bool,
}

/// Sends one ad server's clicks, batch by batch, sealing each batch's
/// campaign when the run seals, pausing after each batch.
async fn ad_server(
    mut source: SourceHandle,
    shape: Shape,
    server: usize,
    run: Run,
    pause: Duration,
) {
    for b in 0..shape.batches() {
        for click in shape.batch_clicks(server, b, run.independent()) {
            source.send(blazes::Record::to_tuple(&click)).await;
        }
        if let Some(key) = run.seal_key() {
            let campaign = shape.campaign(server, b, run.independent());
            source
                .seal(Tuple::new().with(key, campaign))
                .await
                .expect("a seal holding the seal key");
        }
        tokio::time::sleep(pause).await;
    }
    source.close().await;
}

/// Records Report processed so far, per replica.
fn processed(running: &RunningDataflow, replicas: usize) -> f64 {
    let total: u64 = running
        .snapshot()
        .iter()
        .filter(|s| s.component == "Report")
        .map(|s| s.metrics.processed)
        .sum();
    total as f64 / replicas.max(1) as f64
}

/// Runs one configuration, sampling Report's progress every millisecond;
/// `sequencer` replaces the runner's in-process sequencer when given.
pub async fn trace(
    setup: Setup,
    ad_servers: usize,
    run: Run,
    sequencer: Option<Arc<dyn Sequencer>>,
) -> Result<Trace, Box<dyn std::error::Error>> {
    let shape = setup.shape(ad_servers);
    let (dataflow, analysis, factories) = run.job();
    let deployment = ad::deployment(run, ad_servers, setup.replicas);
    let mut runner = DataflowRunner::new(&dataflow, &analysis, &deployment, factories)?;
    if let Some(sequencer) = sequencer {
        runner = runner.with_sequencer(sequencer);
    }
    let mut running = runner.start()?;
    let mut servers = Vec::new();
    let started = Instant::now();
    for server in 0..ad_servers {
        let source = running
            .take_source("clicks", server)
            .ok_or("no click source")?;
        servers.push(tokio::spawn(ad_server(
            source,
            shape,
            server,
            run,
            setup.pause,
        )));
    }
    let mut analyst = running
        .take_source("requests", 0)
        .ok_or("no request source")?;
    for campaign in 0..REQUESTS {
        let request = Tuple::new()
            .with("request", campaign)
            .with("id", campaign % setup.ads);
        analyst
            .send(request.with("campaign", campaign).with("window", campaign))
            .await;
    }
    analyst.close().await;
    let mut samples = vec![(0.0, 0.0)];
    let total = (shape.clicks * ad_servers) as f64 + REQUESTS as f64;
    while samples.last().is_some_and(|&(_, n)| n < total) && started.elapsed() < RUN_LIMIT {
        tokio::time::sleep(Duration::from_millis(1)).await;
        samples.push((
            started.elapsed().as_secs_f64(),
            processed(&running, setup.replicas),
        ));
    }
    for server in servers {
        server.await?;
    }
    let report: RunReport = running.finish().await?;
    if !report.sequencer_errors.is_empty() {
        return Err(format!("{run:?}: sequencer errors {:?}", report.sequencer_errors).into());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let clicks_done = report.component_totals("Report").processed as f64 / setup.replicas as f64;
    if clicks_done < total {
        return Err(format!("{run:?}: Report processed {clicks_done} of {total}").into());
    }
    samples.push((elapsed, clicks_done));
    Ok(Trace {
        samples,
        elapsed,
        throughput: (shape.clicks * ad_servers) as f64 / elapsed,
        replicas_agree: ad::replicas_agree(&ad::answers_by_replica(&report)),
    })
}

/// A trace as JSON, its samples thinned to at most 200.
pub fn trace_json(trace: &Trace) -> Value {
    let step = trace.samples.len().div_ceil(200).max(1);
    let samples: Vec<[f64; 2]> = trace
        .samples
        .iter()
        .step_by(step)
        .chain(trace.samples.last())
        .map(|&(t, n)| [(t * 1e4).round() / 1e4, n])
        .collect();
    json!({
        "elapsed_seconds": trace.elapsed,
        "clicks_per_second": trace.throughput.round(),
        "replicas_agree": trace.replicas_agree,
        "samples_seconds_records": samples,
    })
}
