//! The ad-tracking network of the paper (§II, §VIII-B): ad servers emit
//! clicks to replicated reporting servers (Report), requests reach Report
//! through a replicated cache (Cache) that stores the responses.

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{Deployment, Factories, ProducerId, Routing, RunReport};
use blazes::sim::Workload;
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Permission, Stream, Tuple, UnknownInput, attrs,
};

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

/// The ad network dataflow (under `auto`, so ordering may be synthesised).
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

/// A reporting server: counts clicks, answers requests with the query.
pub struct Report {
    query: Query,
    by_id: BTreeMap<i64, i64>,
    by_campaign: BTreeMap<(i64, i64), i64>,
}

impl Handler for Report {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let id = tuple.int("id").unwrap_or_default();
        let campaign = tuple.int("campaign").unwrap_or_default();
        match input {
            "click" => {
                *self.by_id.entry(id).or_default() += 1;
                *self.by_campaign.entry((campaign, id)).or_default() += 1;
            }
            "request" => {
                let clicks = match self.query {
                    Query::Poor => self.by_id.get(&id),
                    Query::Campaign => self.by_campaign.get(&(campaign, id)),
                }
                .copied()
                .unwrap_or_default();
                out.emit(
                    "response",
                    tuple
                        .with("clicks", clicks)
                        .with("poor", i64::from(clicks < THRESHOLD)),
                );
            }
            other => return Err(UnknownInput::new(other, tuple)),
        }
        Ok(())
    }
}

/// A cache replica: forwards requests, stores every response once.
#[derive(Default)]
pub struct Cache {
    stored: BTreeSet<Tuple>,
}

impl Handler for Cache {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        match input {
            "request" => out.emit("request", tuple),
            "response" => {
                if self.stored.insert(tuple.clone()) {
                    out.emit("response", tuple);
                }
            }
            other => return Err(UnknownInput::new(other, tuple)),
        }
        Ok(())
    }
}

/// The handlers.
pub fn factories(query: Query) -> Factories {
    Factories::new()
        .with("Report", move || {
            Box::new(Report {
                query,
                by_id: BTreeMap::new(),
                by_campaign: BTreeMap::new(),
            })
        })
        .with("Cache", || Box::<Cache>::default())
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
                    w = w.record(
                        "clicks",
                        s as usize,
                        Tuple::new().with("campaign", c).with("id", id),
                    );
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
            w = w.record(
                "requests",
                0,
                Tuple::new()
                    .with("request", request)
                    .with("campaign", c)
                    .with("id", id),
            );
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
