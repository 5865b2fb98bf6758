//! The ad-tracking network of the paper (§II, §VIII-B) as annotated Rust: ad
//! servers send click logs to replicated Report servers; analysts' requests
//! reach Report through replicated caches, which store the answers. Each
//! continuous query is its own `#[blazes::dataflow]` module, so each is
//! checked when it compiles:
//!
//! - THRESH (ads with at least `THRESH` clicks) is confluent: no coordination;
//! - POOR (ads with fewer than `POOR` clicks) is `OR[id]`: no seal fits, the
//!   replicas would diverge, so it only builds with `coordinate = auto,
//!   requires = convergent` (ordering through a sequencer at Report);
//! - WINDOW (clicks per ad and window) is `OR[id,window]`, clicks sealed on
//!   `window`: a seal buffer;
//! - CAMPAIGN (clicks per ad and campaign) is `OR[id,campaign]`, clicks sealed
//!   on `campaign`: a seal buffer; `campaign_independent` seals each campaign
//!   at the one ad server mastering it, `campaign_ordered` leaves the clicks
//!   unsealed and gets ordering (the evaluation's "ordered" run).

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{
    CoordinationMode, DataflowRunner, Deployment, Factories, ProducerId, Routing, RunReport,
    Workload,
};
use blazes::{Analysis, Dataflow, Emit, Tuple};

/// THRESH: an ad is reported once it has at least this many clicks.
pub const THRESH: i64 = 200;
/// POOR: an ad is poor while it has fewer clicks than this.
pub const POOR: i64 = 100;

/// A continuous query of the reporting servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Query {
    /// Ads with at least `THRESH` clicks (monotone).
    Thresh,
    /// Ads with fewer than `POOR` clicks (non-monotone, `OR[id]`).
    Poor,
    /// Clicks per ad and time window (`OR[id,window]`).
    Window,
    /// Clicks per ad and campaign (`OR[id,campaign]`).
    Campaign,
}

/// The click counts a Report server keeps.
#[derive(Default, Debug)]
pub struct Clicks {
    by_id: BTreeMap<i64, i64>,
    by_window: BTreeMap<(i64, i64), i64>,
    by_campaign: BTreeMap<(i64, i64), i64>,
}

impl Clicks {
    fn click(&mut self, click: &Tuple) {
        let id = click.int("id").unwrap_or_default();
        *self.by_id.entry(id).or_default() += 1;
        let window = click.int("window").unwrap_or_default();
        *self.by_window.entry((id, window)).or_default() += 1;
        let campaign = click.int("campaign").unwrap_or_default();
        *self.by_campaign.entry((id, campaign)).or_default() += 1;
    }

    fn answer(&self, query: Query, request: Tuple, out: &mut Emit) {
        let id = request.int("id").unwrap_or_default();
        let count = |map: &BTreeMap<(i64, i64), i64>, attr: &str| {
            let key = (id, request.int(attr).unwrap_or_default());
            map.get(&key).copied().unwrap_or_default()
        };
        let total = self.by_id.get(&id).copied().unwrap_or_default();
        let answer = match query {
            // Monotone: once over the threshold, always over it.
            Query::Thresh if total >= THRESH => request.with("over_thresh", 1),
            Query::Thresh => return,
            Query::Poor => request.with("poor", i64::from(total < POOR)),
            Query::Window => {
                let clicks = count(&self.by_window, "window");
                request.with("clicks", clicks)
            }
            Query::Campaign => {
                let clicks = count(&self.by_campaign, "campaign");
                request.with("clicks", clicks)
            }
        };
        out.emit("response", answer);
    }
}

/// What a cache replica stores: each answer once.
#[derive(Default, Debug)]
pub struct Answers(BTreeSet<Tuple>);

impl Answers {
    fn store(&mut self, answer: Tuple, out: &mut Emit) {
        if self.0.insert(answer.clone()) {
            out.emit("response", answer);
        }
    }
}

/// One ad network dataflow module: the same replicated Cache and Report, the
/// query's annotation on Report's request path, and the clicks stream's
/// annotation. A `#[blazes::dataflow]` module sees only its own tokens, so the
/// components must be written inside each module: this macro writes them once.
/// It expands before the dataflow attribute, which then sees whole modules.
macro_rules! ad_network_module {
    (
        $(#[$doc:meta])*
        $name:ident ($($options:tt)*),
        query: $query:ident,
        request: ($($request:tt)*),
        clicks: ($($clicks:tt)*) $(,)?
    ) => {
        $(#[$doc])*
        #[blazes::dataflow($($options)*)]
        pub mod $name {
            use blazes::{Emit, Tuple, component};

            /// A cache replica: forwards requests, stores the answers.
            #[component(rep)]
            #[derive(Default, Debug)]
            pub struct Cache(super::Answers);

            #[component]
            impl Cache {
                #[path(from = request, to = response, label = CR)]
                #[path(from = request, to = request, label = CR)]
                fn request(&mut self, request: Tuple, out: &mut Emit) {
                    out.emit("request", request);
                }

                #[path(from = response, to = response, label = CW)]
                fn response(&mut self, answer: Tuple, out: &mut Emit) {
                    self.0.store(answer, out);
                }
            }

            /// A reporting server replica: counts clicks, answers the query.
            #[component(rep)]
            #[derive(Default, Debug)]
            pub struct Report(super::Clicks);

            #[component]
            impl Report {
                #[path(from = click, to = response, label = CW)]
                fn click(&mut self, click: Tuple, _out: &mut Emit) {
                    self.0.click(&click);
                }

                #[path(from = request, to = response, $($request)*)]
                fn request(&mut self, request: Tuple, out: &mut Emit) {
                    self.0.answer(super::Query::$query, request, out);
                }
            }

            streams! {
                clicks -> Report.click $($clicks)*;
                requests -> Cache.request;
                Cache.request -> Report.request;
                Report.response -> Cache.response;
                Cache.response -> Cache.response;
                Cache.response -> answers;
            }
        }
    };
}

ad_network_module! {
    /// THRESH: confluent, no coordination.
    thresh(),
    query: Thresh,
    request: (label = CR),
    clicks: (),
}

ad_network_module! {
    /// POOR: `OR[id]`, no compatible seal: ordering at Report; builds only with
    /// `coordinate = auto, requires = convergent`.
    poor(coordinate = auto, requires = convergent),
    query: Poor,
    request: (label = OR, gate = [id]),
    clicks: (),
}

ad_network_module! {
    /// WINDOW: `OR[id,window]`, clicks sealed on `window`.
    window(),
    query: Window,
    request: (label = OR, gate = [id, window]),
    clicks: ({ seal: [window] }),
}

ad_network_module! {
    /// CAMPAIGN: `OR[id,campaign]`, clicks sealed on `campaign` by every ad server.
    campaign(),
    query: Campaign,
    request: (label = OR, gate = [id, campaign]),
    clicks: ({ seal: [campaign] }),
}

ad_network_module! {
    /// CAMPAIGN, each campaign sealed by the one ad server mastering it.
    campaign_independent(),
    query: Campaign,
    request: (label = OR, gate = [id, campaign]),
    clicks: ({ seal: [campaign], independent }),
}

ad_network_module! {
    /// CAMPAIGN with unsealed clicks: ordering at Report.
    campaign_ordered(coordinate = auto, requires = convergent),
    query: Campaign,
    request: (label = OR, gate = [id, campaign]),
    clicks: (),
}

/// How the reporting servers are coordinated (the evaluation's four runs, and
/// the example's queries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// A query as annotated, with the coordination blazes chose.
    Query(Query),
    /// CAMPAIGN without any coordination (the plan ignored).
    Uncoordinated,
    /// CAMPAIGN with unsealed clicks: ordering through the sequencer.
    Ordered,
    /// CAMPAIGN sealed on campaign by every ad server.
    Seal,
    /// CAMPAIGN sealed on campaign by the ad server mastering it.
    IndependentSeal,
}

impl Run {
    /// The dataflow, its analysis and its handlers, all from the annotations.
    pub fn job(self) -> (Dataflow, Analysis, Factories) {
        match self {
            Run::Query(Query::Thresh) => {
                (thresh::dataflow(), thresh::analysis(), thresh::factories())
            }
            Run::Query(Query::Poor) => (poor::dataflow(), poor::analysis(), poor::factories()),
            Run::Query(Query::Window) => {
                (window::dataflow(), window::analysis(), window::factories())
            }
            Run::Query(Query::Campaign) | Run::Seal | Run::Uncoordinated => (
                campaign::dataflow(),
                campaign::analysis(),
                campaign::factories(),
            ),
            Run::IndependentSeal => (
                campaign_independent::dataflow(),
                campaign_independent::analysis(),
                campaign_independent::factories(),
            ),
            Run::Ordered => (
                campaign_ordered::dataflow(),
                campaign_ordered::analysis(),
                campaign_ordered::factories(),
            ),
        }
    }

    /// The attribute the clicks are sealed on, if any.
    pub fn seal_key(self) -> Option<&'static str> {
        match self {
            Run::Query(Query::Window) => Some("window"),
            Run::Query(Query::Campaign) | Run::Seal | Run::IndependentSeal => Some("campaign"),
            _ => None,
        }
    }

    /// Whether each campaign is mastered by one ad server.
    pub fn independent(self) -> bool {
        self == Run::IndependentSeal
    }
}

/// The shape of the click workload.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Ad servers.
    pub ad_servers: usize,
    /// Click records per ad server.
    pub clicks: usize,
    /// Records per batch (one campaign and one window per batch).
    pub batch: usize,
    /// Distinct ads.
    pub ads: i64,
}

impl Shape {
    /// Batches per ad server.
    pub fn batches(&self) -> usize {
        self.clicks.div_ceil(self.batch.max(1))
    }

    /// The campaign (and window) of batch `b` of ad server `server`: shared by
    /// every server, or mastered by one (`independent`).
    pub fn campaign(&self, server: usize, b: usize, independent: bool) -> i64 {
        if independent {
            (b * self.ad_servers + server) as i64
        } else {
            b as i64
        }
    }

    /// The clicks of batch `b` of ad server `server`.
    pub fn batch_clicks(&self, server: usize, b: usize, independent: bool) -> Vec<Tuple> {
        let campaign = self.campaign(server, b, independent);
        let first = b * self.batch;
        (first..(first + self.batch).min(self.clicks))
            .map(|i| {
                // Skewed: the smaller of two spread values, so low ids get
                // many clicks and high ids few.
                let ads = self.ads.max(1);
                let (a, b) = (
                    (i * 7 + server * 3) as i64,
                    (i * 13 + server * 5 + 1) as i64,
                );
                let id = (a % ads).min(b % ads);
                Tuple::new()
                    .with("id", id)
                    .with("campaign", campaign)
                    .with("window", campaign)
                    .with("server", server as i64)
            })
            .collect()
    }

    /// Every campaign some ad server emits.
    pub fn campaigns(&self, independent: bool) -> BTreeSet<i64> {
        (0..self.ad_servers)
            .flat_map(|s| (0..self.batches()).map(move |b| (s, b)))
            .map(|(s, b)| self.campaign(s, b, independent))
            .collect()
    }

    /// One request per ad and campaign.
    pub fn requests(&self, independent: bool) -> Vec<Tuple> {
        let mut requests = Vec::new();
        for campaign in self.campaigns(independent) {
            for id in 0..self.ads {
                let request = Tuple::new().with("request", requests.len() as i64);
                requests.push(
                    request
                        .with("id", id)
                        .with("campaign", campaign)
                        .with("window", campaign),
                );
            }
        }
        requests
    }

    /// CAMPAIGN's true answers: each request with the clicks of its ad and
    /// campaign over the whole workload.
    pub fn campaign_answers(&self, independent: bool) -> Vec<Tuple> {
        let mut clicks: BTreeMap<(Option<i64>, Option<i64>), i64> = BTreeMap::new();
        for server in 0..self.ad_servers {
            for b in 0..self.batches() {
                for click in self.batch_clicks(server, b, independent) {
                    *clicks
                        .entry((click.int("id"), click.int("campaign")))
                        .or_default() += 1;
                }
            }
        }
        self.requests(independent)
            .into_iter()
            .map(|r| {
                let n = clicks
                    .get(&(r.int("id"), r.int("campaign")))
                    .copied()
                    .unwrap_or_default();
                r.with("clicks", n)
            })
            .collect()
    }

    /// The whole workload as scripts: clicks batch by batch, each batch
    /// sealed when `run` seals, and the requests.
    pub fn workload(&self, run: Run) -> Workload {
        let mut workload = Workload::new();
        for server in 0..self.ad_servers {
            for b in 0..self.batches() {
                for click in self.batch_clicks(server, b, run.independent()) {
                    workload = workload.record("clicks", server, click);
                }
                if let Some(key) = run.seal_key() {
                    let campaign = self.campaign(server, b, run.independent());
                    workload = workload.seal("clicks", server, Tuple::new().with(key, campaign));
                }
            }
        }
        for request in self.requests(run.independent()) {
            workload = workload.record("requests", 0, request);
        }
        workload
    }
}

/// `ad_servers` click producers, `replicas` Report and Cache replicas; cache
/// replica `i` asks report replica `i` and stores its answers.
pub fn deployment(run: Run, ad_servers: usize, replicas: usize) -> Deployment {
    let deployment = Deployment::new()
        .instances("Report", replicas)
        .instances("Cache", replicas)
        .source_producers("clicks", ad_servers)
        .route("Cache.request", "Report.request", Routing::Paired)
        .route("Report.response", "Cache.response", Routing::Paired);
    if run == Run::Uncoordinated {
        deployment.coordination(CoordinationMode::Off)
    } else {
        deployment
    }
}

/// Runs a workload on tokio and returns the report.
pub fn run(
    run: Run,
    deployment: &Deployment,
    workload: &Workload,
) -> Result<RunReport, Box<dyn std::error::Error>> {
    let (dataflow, analysis, factories) = run.job();
    let runner = DataflowRunner::new(&dataflow, &analysis, deployment, factories)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let running = runtime.block_on(async { runner.start() })?;
    Ok(runtime.block_on(running.run_workload(workload))?)
}

/// What each cache replica stored.
pub fn answers_by_replica(report: &RunReport) -> BTreeMap<ProducerId, BTreeSet<Tuple>> {
    let mut by_replica: BTreeMap<ProducerId, BTreeSet<Tuple>> = BTreeMap::new();
    for record in report.records("answers") {
        by_replica
            .entry(record.producer)
            .or_default()
            .insert(record.payload.clone());
    }
    by_replica
}

/// Total clicks per ad over the whole workload.
pub fn totals(shape: &Shape, independent: bool) -> BTreeMap<i64, i64> {
    let mut totals = BTreeMap::new();
    for server in 0..shape.ad_servers {
        for b in 0..shape.batches() {
            for click in shape.batch_clicks(server, b, independent) {
                *totals
                    .entry(click.int("id").unwrap_or_default())
                    .or_default() += 1;
            }
        }
    }
    totals
}

/// True when every replica stored the same answers.
pub fn replicas_agree(by_replica: &BTreeMap<ProducerId, BTreeSet<Tuple>>) -> bool {
    let mut states = by_replica.values();
    states
        .next()
        .is_none_or(|first| states.all(|other| other == first))
}

/// An answer as `name=value` pairs.
pub fn show(answer: &Tuple) -> String {
    answer
        .fields()
        .map(|(name, value)| match value {
            blazes::Value::Int(i) => format!("{name}={i}"),
            other => format!("{name}={other:?}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
