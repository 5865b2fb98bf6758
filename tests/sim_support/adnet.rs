//! The ad-tracking network of the paper (§II, §VIII-B): ad servers emit
//! clicks to replicated reporting servers (Report), requests reach Report
//! through a replicated cache (Cache) that stores the responses.

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{Deployment, Factories, ProducerId, Routing, RunReport};
use blazes::sim::Workload;
use blazes::{Annotation, Component, Dataflow, Permission, Record, Stream, Tuple, attrs};

/// Ads with fewer clicks than this are poor performers.
pub const THRESHOLD: i64 = 3;

/// Which continuous query Report runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// `POOR`: ads with fewer than `THRESHOLD` clicks overall, `OR[id]`.
    Poor,
    /// `CAMPAIGN`: per campaign and ad, `OR[id,campaign]`.
    Campaign,
}

/// How the click stream is sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clicks {
    /// Not sealed.
    Unsealed,
    /// Sealed on campaign by every ad server (unanimous vote).
    SealedOnCampaign,
    /// Sealed on campaign by the one ad server mastering it (independent).
    IndependentOnCampaign,
}

/// A click on ad `id` in `campaign`.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Click {
    /// The campaign.
    pub campaign: i64,
    /// The ad.
    pub id: i64,
}

/// An analyst's request about ad `id` in `campaign`.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Request {
    /// The request's number.
    pub request: i64,
    /// The campaign.
    pub campaign: i64,
    /// The ad.
    pub id: i64,
}

/// Report's answer: the request with the clicks the query counts and
/// whether the ad is poor.
#[derive(
    blazes::Record,
    serde::Serialize,
    serde::Deserialize,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
)]
pub struct Answer {
    /// The request's number.
    pub request: i64,
    /// The campaign.
    pub campaign: i64,
    /// The ad.
    pub id: i64,
    /// The clicks counted (overall for POOR, in the campaign for CAMPAIGN).
    pub clicks: i64,
    /// 1 when `clicks < THRESHOLD`.
    pub poor: i64,
}

/// The click counts of a reporting server.
#[derive(Default)]
pub struct Counts {
    by_id: BTreeMap<i64, i64>,
    by_campaign: BTreeMap<(i64, i64), i64>,
}

impl Counts {
    fn click(&mut self, click: &Click) {
        *self.by_id.entry(click.id).or_default() += 1;
        *self
            .by_campaign
            .entry((click.campaign, click.id))
            .or_default() += 1;
    }

    fn answer(&self, query: Query, request: Request) -> Answer {
        let clicks = match query {
            Query::Poor => self.by_id.get(&request.id),
            Query::Campaign => self.by_campaign.get(&(request.campaign, request.id)),
        }
        .copied()
        .unwrap_or_default();
        Answer {
            request: request.request,
            campaign: request.campaign,
            id: request.id,
            clicks,
            poor: i64::from(clicks < THRESHOLD),
        }
    }
}

/// A cache replica: forwards requests, stores every response once.
pub mod cache {
    use std::collections::BTreeSet;

    use blazes::component;

    use super::{Answer, Request};

    /// A cache replica.
    #[component(rep)]
    #[derive(Default)]
    pub struct Cache {
        stored: BTreeSet<Answer>,
    }

    #[component(outputs { request: Request, response: Answer })]
    impl Cache {
        #[path(from = request, to = response, label = CR)]
        #[path(from = request, to = request, label = CR)]
        fn request(&mut self, request: Request, out: &mut CacheOut) {
            out.request(request);
        }

        #[path(from = response, to = response, label = CW)]
        fn response(&mut self, answer: Answer, out: &mut CacheOut) {
            if self.stored.insert(answer.clone()) {
                out.response(answer);
            }
        }
    }
}

/// A reporting server answering `$query` with `$gate` on its request path.
macro_rules! report {
    ($module:ident, $query:ident, [$($gate:ident),*]) => {
        /// A reporting server: counts clicks, answers requests with the query.
        pub mod $module {
            use blazes::component;

            use super::{Answer, Click, Counts, Query, Request};

            /// A reporting server replica.
            #[component(rep)]
            #[derive(Default)]
            pub struct Report(Counts);

            #[component(outputs { response: Answer })]
            impl Report {
                #[path(from = click, to = response, label = CW)]
                fn click(&mut self, click: Click, _out: &mut ReportOut) {
                    self.0.click(&click);
                }

                #[path(from = request, to = response, label = OR, gate = [$($gate),*])]
                fn request(&mut self, request: Request, out: &mut ReportOut) {
                    out.response(self.0.answer(Query::$query, request));
                }
            }
        }
    };
}

report!(poor, Poor, [id]);
report!(campaign, Campaign, [id, campaign]);

/// The ad network dataflow (under `auto`, so ordering may be synthesised).
/// Declared with the dynamic builder: the scenarios choose the query and the
/// clicks' annotation at run time, and some of them (POOR with unsealed
/// clicks) are anomalies a `#[blazes::dataflow]` module would refuse to
/// build. Its handlers are the typed components above.
pub fn dataflow(query: Query, clicks: Clicks) -> Dataflow {
    let annotation = match query {
        Query::Poor => Annotation::or(attrs(["id"])),
        Query::Campaign => Annotation::or(attrs(["id", "campaign"])),
    };
    let mut click_stream = Stream::between("clicks", "Report.click");
    match clicks {
        Clicks::Unsealed => {}
        Clicks::SealedOnCampaign => click_stream = click_stream.sealed(attrs(["campaign"])),
        Clicks::IndependentOnCampaign => {
            click_stream = click_stream.sealed(attrs(["campaign"])).independent()
        }
    }
    Dataflow::new()
        .component(
            Component::new("Cache")
                .replicated(true)
                .path("request", "response", Annotation::cr())
                .path("response", "response", Annotation::cw())
                .path("request", "request", Annotation::cr()),
        )
        .component(
            Component::new("Report")
                .replicated(true)
                .path("click", "response", Annotation::cw())
                .path("request", "response", annotation),
        )
        .stream(click_stream)
        .stream(Stream::between("requests", "Cache.request"))
        .stream(Stream::between("Cache.request", "Report.request"))
        .stream(Stream::between("Report.response", "Cache.response"))
        .stream(Stream::between("Cache.response", "Cache.response"))
        .stream(Stream::between("Cache.response", "answers"))
        .coordinate(Permission::Auto)
}

/// `ad_servers` click producers, two Report and two Cache replicas; cache
/// replica `i` asks report replica `i` and stores its answers.
pub fn deployment(ad_servers: usize) -> Deployment {
    Deployment::new()
        .instances("Report", 2)
        .instances("Cache", 2)
        .source_producers("clicks", ad_servers)
        .route("Cache.request", "Report.request", Routing::Paired)
        .route("Report.response", "Cache.response", Routing::Paired)
}

/// The handlers: the typed components, Report answering `query`.
pub fn factories(query: Query) -> Factories {
    let factories = Factories::new().with("Cache", || Box::<cache::Cache>::default());
    match query {
        Query::Poor => factories.with("Report", || Box::<poor::Report>::default()),
        Query::Campaign => factories.with("Report", || Box::<campaign::Report>::default()),
    }
}

/// Clicks of `ads` ads over `campaigns` campaigns from each ad server, each
/// campaign sealed by its producers, and one request per (campaign, ad).
/// With `independent`, campaign `c` is mastered by ad server `c mod n`: only
/// it sends (and seals) clicks of `c`.
pub fn workload(
    ad_servers: usize,
    campaigns: i64,
    ads: i64,
    independent: bool,
    sealed: bool,
) -> Workload {
    let mut w = Workload::new();
    let n = ad_servers as i64;
    for s in 0..n {
        for c in 0..campaigns {
            if independent && c % n != s {
                continue;
            }
            for id in 0..ads {
                // A fixed, uneven number of clicks around the threshold.
                let clicks = (id + c + s) % 3 + if independent { 1 } else { 0 };
                for _ in 0..clicks {
                    let click = Click { campaign: c, id };
                    w = w.record("clicks", s as usize, click.to_tuple());
                }
            }
            if sealed {
                w = w.seal("clicks", s as usize, Tuple::new().with("campaign", c));
            }
        }
    }
    let mut request = 0;
    for c in 0..campaigns {
        for id in 0..ads {
            let asked = Request {
                request,
                campaign: c,
                id,
            };
            w = w.record("requests", 0, asked.to_tuple());
            request += 1;
        }
    }
    w
}

/// What each cache replica stored: its answers, by producer.
pub fn cache_states(report: &RunReport) -> BTreeMap<ProducerId, BTreeSet<Tuple>> {
    let mut out: BTreeMap<ProducerId, BTreeSet<Tuple>> = BTreeMap::new();
    for r in report.records("answers") {
        out.entry(r.producer).or_default().insert(r.payload.clone());
    }
    out
}

/// True when every replica stored the same answers.
pub fn replicas_agree(report: &RunReport) -> bool {
    let states = cache_states(report);
    let mut values = states.values();
    match values.next() {
        Some(first) => values.all(|s| s == first),
        None => true,
    }
}
