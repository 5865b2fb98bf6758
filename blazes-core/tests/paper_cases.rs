//! The paper's cases built with the Rust builder (the grey-box files are
//! checked separately, in the `blazes` crate).

use blazes_core::{
    Annotation, Component, Dataflow, Label, OrderKind, Permission, Strategy, Stream, Vote, analyze,
    attrs,
};

fn wordcount(seal: bool, seq: bool) -> Dataflow {
    let mut tweets = Stream::between("tweets", "Splitter.tweets");
    if seal {
        tweets = tweets.sealed(attrs(["batch"]));
    }
    if seq {
        tweets = tweets.sequenced(attrs(["batch"]));
    }
    Dataflow::new()
        .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
        .component(Component::new("Count").path(
            "words",
            "counts",
            Annotation::ow(attrs(["word", "batch"])),
        ))
        .component(Component::new("Commit").path("counts", "db", Annotation::cw()))
        .stream(tweets)
        .stream(Stream::between("Splitter.words", "Count.words"))
        .stream(Stream::between("Count.counts", "Commit.counts"))
        .stream(Stream::between("Commit.db", "db"))
}

fn ad_network(query: Annotation, click_seal: Option<&str>) -> Dataflow {
    let mut clicks = Stream::between("clicks", "Report.click");
    if let Some(k) = click_seal {
        clicks = clicks.sealed(attrs([k]));
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
                .path("request", "response", query),
        )
        .stream(clicks)
        .stream(Stream::between("requests", "Cache.request"))
        .stream(Stream::between("Cache.request", "Report.request"))
        .stream(Stream::between("Report.response", "Cache.response"))
        .stream(Stream::between("Cache.response", "Cache.response"))
        .stream(Stream::between("Cache.response", "answers"))
}

#[test]
fn s1_unsealed_wordcount_is_run_and_needs_order_at_count() {
    let a = analyze(&wordcount(false, false)).unwrap();
    assert_eq!(a.outputs["Count.counts"], Label::Run);
    assert_eq!(a.sinks["db"], Label::Run);
    assert!(!a.ok());
    let order = a
        .coordination
        .iter()
        .find(|c| c.component == "Count")
        .expect("ordering at Count");
    assert_eq!(
        order.strategy,
        Strategy::Order {
            kind: OrderKind::Dynamic
        }
    );
    assert!(!order.applied);
}

#[test]
fn s1_with_seq_is_repaired_by_static_order_under_auto() {
    let a = analyze(&wordcount(false, true).coordinate(Permission::Auto)).unwrap();
    assert_eq!(a.residual["db"], Label::Async);
    assert!(a.ok());
    assert_eq!(
        a.coordination[0].strategy,
        Strategy::Order {
            kind: OrderKind::Static {
                seq: attrs(["batch"])
            }
        }
    );
}

#[test]
fn s2_sealed_wordcount_is_async_with_a_seal_buffer_at_count() {
    let a = analyze(&wordcount(true, false)).unwrap();
    assert_eq!(a.outputs["Splitter.words"], Label::Seal(attrs(["batch"])));
    assert_eq!(a.sinks["db"], Label::Async);
    assert!(a.ok());
    assert_eq!(a.coordination.len(), 1);
    assert_eq!(a.coordination[0].component, "Count");
    assert_eq!(
        a.coordination[0].strategy,
        Strategy::Seal {
            key: attrs(["batch"]),
            vote: Vote::Unanimous
        }
    );
}

#[test]
fn s4_poor_is_inst_at_report_and_diverges_at_answers() {
    let a = analyze(&ad_network(Annotation::or(attrs(["id"])), None)).unwrap();
    assert_eq!(a.outputs["Report.response"], Label::Inst);
    assert_eq!(a.sinks["answers"], Label::Diverge);
    let components: Vec<&str> = a
        .coordination
        .iter()
        .map(|c| c.component.as_str())
        .collect();
    assert_eq!(components, ["Report"]);
    assert!(!a.ok());
}

#[test]
fn s6_campaign_sealed_is_async_with_seal_at_report() {
    let a = analyze(&ad_network(
        Annotation::or(attrs(["id", "campaign"])),
        Some("campaign"),
    ))
    .unwrap();
    assert_eq!(a.sinks["answers"], Label::Async);
    assert!(a.ok());
    assert_eq!(a.coordination.len(), 1);
    assert_eq!(a.coordination[0].component, "Report");
}
