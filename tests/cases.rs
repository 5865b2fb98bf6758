//! The ten grey-box files of `cases/` give the reference results of spec §8.

use blazes::greybox::parse;
use blazes::{
    Analysis, Annotation, Component, Coordination, Dataflow, Fix, Label, OrderKind, Permission,
    Strategy, Stream, Vote, analyze, attrs,
};

const WORDCOUNT: &str = include_str!("../cases/wordcount.yaml");
const WORDCOUNT_SEALED: &str = include_str!("../cases/wordcount_sealed.yaml");
const AD_THRESH: &str = include_str!("../cases/ad_thresh.yaml");
const AD_POOR: &str = include_str!("../cases/ad_poor.yaml");
const AD_POOR_SEAL_CAMPAIGN: &str = include_str!("../cases/ad_poor_seal_campaign.yaml");
const AD_CAMPAIGN_SEALED: &str = include_str!("../cases/ad_campaign_sealed.yaml");
const AD_WINDOW_SEALED: &str = include_str!("../cases/ad_window_sealed.yaml");
const AD_CAMPAIGN: &str = include_str!("../cases/ad_campaign.yaml");
const AD_CAMPAIGN_SEAL_WINDOW: &str = include_str!("../cases/ad_campaign_seal_window.yaml");
const AD_THRESH_SEALED: &str = include_str!("../cases/ad_thresh_sealed.yaml");

fn dataflow(name: &str, text: &str) -> Dataflow {
    parse(name, text).unwrap_or_else(|d| panic!("{}", d.render()))
}

fn analysis(name: &str, text: &str) -> Analysis {
    analyze(&dataflow(name, text)).expect("a parsed dataflow is valid")
}

fn label(a: &Analysis, output: &str) -> Label {
    a.outputs[output].clone()
}

fn seal(key: &str) -> Strategy {
    Strategy::Seal {
        key: attrs([key]),
        vote: Vote::Unanimous,
    }
}

fn dynamic_order() -> Strategy {
    Strategy::Order {
        kind: OrderKind::Dynamic,
    }
}

/// The coordination plan as (component, strategy, applied).
fn plan(a: &Analysis) -> Vec<(&str, &Strategy, bool)> {
    a.coordination
        .iter()
        .map(|c: &Coordination| (c.component.as_str(), &c.strategy, c.applied))
        .collect()
}

/// The fixes proposed for the first cause of the only violation.
fn fixes_of_only_violation(a: &Analysis, sink: &str, expected: Label) -> Vec<Fix> {
    assert_eq!(a.violations.len(), 1, "{:?}", a.violations);
    let violation = &a.violations[0];
    assert_eq!(violation.sink, sink);
    assert_eq!(violation.label, expected);
    violation.causes[0].fixes.clone()
}

#[test]
fn wordcount_is_wired_by_interface_name() {
    let d = dataflow("wordcount.yaml", WORDCOUNT);
    let expected = Dataflow::new()
        .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
        .component(Component::new("Count").path(
            "words",
            "counts",
            Annotation::ow(attrs(["word", "batch"])),
        ))
        .component(Component::new("Commit").path("counts", "db", Annotation::cw()))
        .stream(Stream::between("tweets", "Splitter.tweets"))
        .stream(Stream::between("Splitter.words", "Count.words"))
        .stream(Stream::between("Count.counts", "Commit.counts"))
        .stream(Stream::between("Commit.db", "db"));
    assert_eq!(d, expected);
}

#[test]
fn the_ad_network_list_form_reads_as_the_builder_would_write_it() {
    let d = dataflow("ad_poor.yaml", AD_POOR);
    let expected = Dataflow::new()
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
                .path("request", "response", Annotation::or(attrs(["id"]))),
        )
        .stream(Stream::between("clicks", "Report.click"))
        .stream(Stream::between("requests", "Cache.request"))
        .stream(Stream::between("Cache.request", "Report.request"))
        .stream(Stream::between("Report.response", "Cache.response"))
        .stream(Stream::between("Cache.response", "Cache.response"))
        .stream(Stream::between("Cache.response", "answers"));
    assert_eq!(d, expected);
}

#[test]
fn s1_wordcount_is_run_and_needs_a_seal_on_batch_or_an_order() {
    let a = analysis("wordcount.yaml", WORDCOUNT);
    assert_eq!(label(&a, "Splitter.words"), Label::Async);
    assert_eq!(label(&a, "Count.counts"), Label::Run);
    assert_eq!(a.sinks["db"], Label::Run);
    assert_eq!(plan(&a), [("Count", &dynamic_order(), false)]);
    let fixes = fixes_of_only_violation(&a, "db", Label::Run);
    let seal_fix = fixes.iter().find_map(|f| match f {
        Fix::Seal { streams, gate } => Some((streams, gate)),
        _ => None,
    });
    let (streams, gate) = seal_fix.expect("a seal fix");
    assert!(streams.contains(&"tweets->Splitter.tweets".to_string()));
    assert!(gate.contains("batch"), "batch must be a usable seal key");
    assert!(fixes.iter().any(|f| matches!(
        f,
        Fix::Order { component, .. } if component == "Count"
    )));
    assert!(fixes.iter().any(|f| matches!(f, Fix::Sequence { .. })));
}

#[test]
fn s1_with_seq_on_batch_is_repaired_by_a_static_order() {
    let text = format!("{WORDCOUNT}streams: {{ tweets: {{ seq: [batch] }} }}\ncoordinate: auto\n");
    let d = dataflow("wordcount_seq.yaml", &text);
    assert_eq!(d.coordinate, Permission::Auto);
    let a = analyze(&d).expect("valid");
    let static_order = Strategy::Order {
        kind: OrderKind::Static {
            seq: attrs(["batch"]),
        },
    };
    assert_eq!(plan(&a), [("Count", &static_order, true)]);
    assert_eq!(a.residual["db"], Label::Async);
    assert!(a.ok());
}

#[test]
fn s1_with_a_seal_on_batch_is_s2() {
    let text = format!("{WORDCOUNT}streams: {{ tweets: {{ seal: [batch] }} }}\n");
    assert_eq!(
        dataflow("wordcount_fixed.yaml", &text),
        dataflow("wordcount_sealed.yaml", WORDCOUNT_SEALED)
    );
}

#[test]
fn s2_sealed_wordcount_is_async_with_a_seal_buffer_at_count() {
    let a = analysis("wordcount_sealed.yaml", WORDCOUNT_SEALED);
    assert_eq!(label(&a, "Splitter.words"), Label::Seal(attrs(["batch"])));
    assert_eq!(a.sinks["db"], Label::Async);
    assert_eq!(plan(&a), [("Count", &seal("batch"), true)]);
    assert!(a.ok());
}

#[test]
fn s3_threshold_query_is_async_without_coordination() {
    let a = analysis("ad_thresh.yaml", AD_THRESH);
    assert_eq!(a.sinks["answers"], Label::Async);
    assert!(a.coordination.is_empty(), "{:?}", a.coordination);
    assert!(a.ok());
}

#[test]
fn s4_poor_query_is_inst_at_report_and_diverges_without_ordering() {
    let a = analysis("ad_poor.yaml", AD_POOR);
    assert_eq!(label(&a, "Report.response"), Label::Inst);
    assert_eq!(a.sinks["answers"], Label::Diverge);
    assert_eq!(plan(&a), [("Report", &dynamic_order(), false)]);
    let fixes = fixes_of_only_violation(&a, "answers", Label::Diverge);
    assert!(fixes.contains(&Fix::Seal {
        streams: vec!["clicks->Report.click".to_string()],
        gate: attrs(["id"]),
    }));
    assert!(fixes.iter().any(|f| matches!(
        f,
        Fix::Order { component, .. } if component == "Report"
    )));
}

#[test]
fn s5_a_campaign_seal_does_not_help_a_query_gated_on_id() {
    let d = dataflow("ad_poor_seal_campaign.yaml", AD_POOR_SEAL_CAMPAIGN);
    assert_eq!(d.streams[0].annotation.seal, Some(attrs(["campaign"])));
    let a = analyze(&d).expect("valid");
    let s4 = analysis("ad_poor.yaml", AD_POOR);
    assert_eq!(label(&a, "Report.response"), Label::Inst);
    assert_eq!(a.sinks["answers"], Label::Diverge);
    assert_eq!(a.outputs, s4.outputs);
    assert_eq!(plan(&a), plan(&s4));
}

#[test]
fn s6_campaign_query_with_clicks_sealed_on_campaign_is_async() {
    let a = analysis("ad_campaign_sealed.yaml", AD_CAMPAIGN_SEALED);
    assert_eq!(a.sinks["answers"], Label::Async);
    assert_eq!(plan(&a), [("Report", &seal("campaign"), true)]);
    assert!(a.ok());
}

#[test]
fn s7_window_query_with_clicks_sealed_on_window_is_async() {
    let a = analysis("ad_window_sealed.yaml", AD_WINDOW_SEALED);
    assert_eq!(a.sinks["answers"], Label::Async);
    assert_eq!(plan(&a), [("Report", &seal("window"), true)]);
    assert!(a.ok());
}

#[test]
fn s8_campaign_query_without_seal_diverges() {
    let a = analysis("ad_campaign.yaml", AD_CAMPAIGN);
    assert_eq!(a.sinks["answers"], Label::Diverge);
    assert!(!a.ok());
}

#[test]
fn s9_campaign_query_with_clicks_sealed_on_window_diverges() {
    let a = analysis("ad_campaign_seal_window.yaml", AD_CAMPAIGN_SEAL_WINDOW);
    assert_eq!(a.sinks["answers"], Label::Diverge);
    assert!(!a.ok());
}

#[test]
fn s10_sealed_threshold_query_is_async() {
    let a = analysis("ad_thresh_sealed.yaml", AD_THRESH_SEALED);
    assert_eq!(a.sinks["answers"], Label::Async);
    assert!(a.ok());
}
