//! The ad-tracking network of the paper (§II, §VIII-B) as annotated, typed
//! Rust: ad servers send [`Click`]s to replicated Report servers; analysts'
//! [`Request`]s reach Report through replicated caches, which store the
//! answers. Each continuous query is its own `#[blazes::dataflow]` module, so
//! each is checked when it compiles:
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
use blazes::{Analysis, Dataflow, Record, Tuple};
use serde::{Deserialize, Serialize};

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

/// A click on an ad, logged by an ad server.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Click {
    /// The ad.
    pub id: i64,
    /// The campaign the click belongs to.
    pub campaign: i64,
    /// Its time window (here the campaign's number).
    pub window: i64,
    /// The ad server that logged it.
    pub server: i64,
}

/// An analyst's request about one ad in one campaign (and window).
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Request {
    /// The request's number.
    pub request: i64,
    /// The ad asked about.
    pub id: i64,
    /// The campaign asked about (CAMPAIGN).
    pub campaign: i64,
    /// The window asked about (WINDOW).
    pub window: i64,
}

/// THRESH's answer: the ad has at least `THRESH` clicks.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ThreshAnswer {
    /// The request's number.
    pub request: i64,
    /// The ad.
    pub id: i64,
    /// The request's campaign.
    pub campaign: i64,
    /// The request's window.
    pub window: i64,
    /// Always 1: only ads over the threshold are answered.
    pub over_thresh: i64,
}

/// POOR's answer: whether the ad has fewer than `POOR` clicks.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PoorAnswer {
    /// The request's number.
    pub request: i64,
    /// The ad.
    pub id: i64,
    /// The request's campaign.
    pub campaign: i64,
    /// The request's window.
    pub window: i64,
    /// 1 when the ad is poor, 0 otherwise.
    pub poor: i64,
}

/// WINDOW's and CAMPAIGN's answer: the ad's clicks in the request's window
/// or campaign.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountAnswer {
    /// The request's number.
    pub request: i64,
    /// The ad.
    pub id: i64,
    /// The request's campaign.
    pub campaign: i64,
    /// The request's window.
    pub window: i64,
    /// The clicks counted.
    pub clicks: i64,
}

/// The click counts a Report server keeps (its checkpointed state).
#[derive(Default, Debug, Serialize, Deserialize)]
pub struct Clicks {
    by_id: BTreeMap<i64, i64>,
    by_window: BTreeMap<(i64, i64), i64>,
    by_campaign: BTreeMap<(i64, i64), i64>,
}

impl Clicks {
    fn click(&mut self, click: &Click) {
        *self.by_id.entry(click.id).or_default() += 1;
        *self.by_window.entry((click.id, click.window)).or_default() += 1;
        *self
            .by_campaign
            .entry((click.id, click.campaign))
            .or_default() += 1;
    }

    fn total(&self, id: i64) -> i64 {
        self.by_id.get(&id).copied().unwrap_or_default()
    }
}

/// A query's answer to a request, from Report's click counts (`None`: no
/// answer yet).
pub trait Answer: Record + Clone + Ord {
    /// The answer of `query` to `request`.
    fn answer(clicks: &Clicks, query: Query, request: Request) -> Option<Self>;
}

impl Answer for ThreshAnswer {
    fn answer(clicks: &Clicks, _query: Query, r: Request) -> Option<Self> {
        // Monotone: once over the threshold, always over it.
        (clicks.total(r.id) >= THRESH).then_some(ThreshAnswer {
            request: r.request,
            id: r.id,
            campaign: r.campaign,
            window: r.window,
            over_thresh: 1,
        })
    }
}

impl Answer for PoorAnswer {
    fn answer(clicks: &Clicks, _query: Query, r: Request) -> Option<Self> {
        Some(PoorAnswer {
            poor: i64::from(clicks.total(r.id) < POOR),
            request: r.request,
            id: r.id,
            campaign: r.campaign,
            window: r.window,
        })
    }
}

impl Answer for CountAnswer {
    fn answer(clicks: &Clicks, query: Query, r: Request) -> Option<Self> {
        let (map, key) = if query == Query::Window {
            (&clicks.by_window, (r.id, r.window))
        } else {
            (&clicks.by_campaign, (r.id, r.campaign))
        };
        Some(CountAnswer {
            clicks: map.get(&key).copied().unwrap_or_default(),
            request: r.request,
            id: r.id,
            campaign: r.campaign,
            window: r.window,
        })
    }
}

/// What a cache replica stores: each answer once.
#[derive(Debug)]
pub struct Answers<A>(BTreeSet<A>);

impl<A> Default for Answers<A> {
    fn default() -> Self {
        Answers(BTreeSet::new())
    }
}

impl<A: Answer> Answers<A> {
    /// Stores `answer`; true when it is new.
    fn store(&mut self, answer: &A) -> bool {
        self.0.insert(answer.clone())
    }
}

/// One ad network query: its components, a replicated Cache and Report typed
/// by the query's answer with the query's annotation on Report's request path,
/// in the module `$parts`; and its dataflow module `$name`, which names them by
/// path and declares the clicks stream's annotation. The queries differ in
/// Report's annotation and in the answer's record type, so each has its own
/// two components; this macro writes them once.
macro_rules! ad_network_module {
    (
        $(#[$doc:meta])*
        $name:ident ($($options:tt)*) in $parts:ident,
        query: $query:ident -> $answer:ident,
        request: ($($request:tt)*),
        clicks: ($($clicks:tt)*) $(,)?
    ) => {
        /// The components of the dataflow of the same query.
        pub mod $parts {
            use blazes::component;

            use super::{$answer, Answer, Click, Request};

            /// A cache replica: forwards requests, stores the answers.
            #[component(rep)]
            #[derive(Default, Debug)]
            pub struct Cache(super::Answers<$answer>);

            #[component(outputs { request: Request, response: $answer })]
            impl Cache {
                #[path(from = request, to = response, label = CR)]
                #[path(from = request, to = request, label = CR)]
                fn request(&mut self, request: Request, out: &mut CacheOut) {
                    out.request(request);
                }

                #[path(from = response, to = response, label = CW)]
                fn response(&mut self, answer: $answer, out: &mut CacheOut) {
                    if self.0.store(&answer) {
                        out.response(answer);
                    }
                }
            }

            /// A reporting server replica: counts clicks, answers the query.
            #[component(rep)]
            #[derive(Default, Debug, serde::Serialize, serde::Deserialize)]
            pub struct Report(super::Clicks);

            /// A Report that keeps checkpoints (docs/runtime.md, "Checkpoints").
            pub fn checkpointed_report() -> Box<dyn blazes::Handler> {
                Box::new(blazes::checkpointed::Checkpointed(Report::default()))
            }

            #[component(outputs { response: $answer })]
            impl Report {
                #[path(from = click, to = response, label = CW)]
                fn click(&mut self, click: Click, _out: &mut ReportOut) {
                    self.0.click(&click);
                }

                #[path(from = request, to = response, $($request)*)]
                fn request(&mut self, request: Request, out: &mut ReportOut) {
                    if let Some(answer) =
                        <$answer as Answer>::answer(&self.0, super::Query::$query, request)
                    {
                        out.response(answer);
                    }
                }
            }
        }

        $(#[$doc])*
        #[blazes::dataflow($($options)*)]
        pub mod $name {
            blazes::components! { super::$parts::Cache, super::$parts::Report }

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
    thresh() in thresh_parts,
    query: Thresh -> ThreshAnswer,
    request: (label = CR),
    clicks: (),
}

ad_network_module! {
    /// POOR: `OR[id]`, no compatible seal: ordering at Report; builds only with
    /// `coordinate = auto, requires = convergent`.
    poor(coordinate = auto, requires = convergent) in poor_parts,
    query: Poor -> PoorAnswer,
    request: (label = OR, gate = [id]),
    clicks: (),
}

ad_network_module! {
    /// WINDOW: `OR[id,window]`, clicks sealed on `window`.
    window() in window_parts,
    query: Window -> CountAnswer,
    request: (label = OR, gate = [id, window]),
    clicks: ({ seal: [window] }),
}

ad_network_module! {
    /// CAMPAIGN: `OR[id,campaign]`, clicks sealed on `campaign` by every ad server.
    campaign() in campaign_parts,
    query: Campaign -> CountAnswer,
    request: (label = OR, gate = [id, campaign]),
    clicks: ({ seal: [campaign] }),
}

ad_network_module! {
    /// CAMPAIGN, each campaign sealed by the one ad server mastering it.
    campaign_independent() in campaign_independent_parts,
    query: Campaign -> CountAnswer,
    request: (label = OR, gate = [id, campaign]),
    clicks: ({ seal: [campaign], independent }),
}

ad_network_module! {
    /// CAMPAIGN with unsealed clicks: ordering at Report.
    campaign_ordered(coordinate = auto, requires = convergent) in campaign_ordered_parts,
    query: Campaign -> CountAnswer,
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
    /// The dataflow, its analysis and its handlers, all from the annotations
    /// (the Report keeping checkpoints: [`Checkpointed`](blazes::checkpointed::Checkpointed)).
    pub fn job(self) -> (Dataflow, Analysis, Factories) {
        match self {
            Run::Query(Query::Thresh) => (
                thresh::dataflow(),
                thresh::analysis(),
                thresh::factories().with("Report", thresh_parts::checkpointed_report),
            ),
            Run::Query(Query::Poor) => (
                poor::dataflow(),
                poor::analysis(),
                poor::factories().with("Report", poor_parts::checkpointed_report),
            ),
            Run::Query(Query::Window) => (
                window::dataflow(),
                window::analysis(),
                window::factories().with("Report", window_parts::checkpointed_report),
            ),
            Run::Query(Query::Campaign) | Run::Seal | Run::Uncoordinated => (
                campaign::dataflow(),
                campaign::analysis(),
                campaign::factories().with("Report", campaign_parts::checkpointed_report),
            ),
            Run::IndependentSeal => (
                campaign_independent::dataflow(),
                campaign_independent::analysis(),
                campaign_independent::factories()
                    .with("Report", campaign_independent_parts::checkpointed_report),
            ),
            Run::Ordered => (
                campaign_ordered::dataflow(),
                campaign_ordered::analysis(),
                campaign_ordered::factories()
                    .with("Report", campaign_ordered_parts::checkpointed_report),
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
    pub fn batch_clicks(&self, server: usize, b: usize, independent: bool) -> Vec<Click> {
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
                Click {
                    id,
                    campaign,
                    window: campaign,
                    server: server as i64,
                }
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
    pub fn requests(&self, independent: bool) -> Vec<Request> {
        let mut requests = Vec::new();
        for campaign in self.campaigns(independent) {
            for id in 0..self.ads {
                requests.push(Request {
                    request: requests.len() as i64,
                    id,
                    campaign,
                    window: campaign,
                });
            }
        }
        requests
    }

    /// CAMPAIGN's true answers: each request with the clicks of its ad and
    /// campaign over the whole workload.
    pub fn campaign_answers(&self, independent: bool) -> Vec<CountAnswer> {
        let mut clicks = Clicks::default();
        for server in 0..self.ad_servers {
            for b in 0..self.batches() {
                for click in self.batch_clicks(server, b, independent) {
                    clicks.click(&click);
                }
            }
        }
        self.requests(independent)
            .into_iter()
            .filter_map(|r| CountAnswer::answer(&clicks, Query::Campaign, r))
            .collect()
    }

    /// The whole workload as scripts: clicks batch by batch, each batch
    /// sealed when `run` seals, and the requests.
    pub fn workload(&self, run: Run) -> Workload {
        let mut workload = Workload::new();
        for server in 0..self.ad_servers {
            for b in 0..self.batches() {
                for click in self.batch_clicks(server, b, run.independent()) {
                    workload = workload.record("clicks", server, click.to_tuple());
                }
                if let Some(key) = run.seal_key() {
                    let campaign = self.campaign(server, b, run.independent());
                    workload = workload.seal("clicks", server, Tuple::new().with(key, campaign));
                }
            }
        }
        for request in self.requests(run.independent()) {
            workload = workload.record("requests", 0, request.to_tuple());
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

/// What each cache replica stored: its answers as tuples (their record type
/// depends on the query).
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
                *totals.entry(click.id).or_default() += 1;
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
