//! The fourteen grey-box files of `cases/` give the reference results of
//! spec §8 (S1–S10 from the paper, S11–S14 for state edges and loops).

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
const REGISTER_REP: &str = include_str!("../cases/register_rep.yaml");
const REGISTER_REP_SEALED: &str = include_str!("../cases/register_rep_sealed.yaml");
const LOOP_FIRST_WINS: &str = include_str!("../cases/loop_first_wins.yaml");
const LOOP_MIN: &str = include_str!("../cases/loop_min.yaml");

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
    a.causes(violation)[0].fixes.clone()
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
    assert_eq!(
        plan_entries(&a),
        [(
            "Count",
            &dynamic_order(),
            vec!["words"],
            "Count.counts",
            false
        )]
    );
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
    assert_eq!(
        plan_entries(&a),
        [("Count", &static_order, vec!["words"], "Count.counts", true)]
    );
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
    assert_eq!(
        plan_entries(&a),
        [("Count", &seal("batch"), vec!["words"], "Count.counts", true)]
    );
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
    assert_eq!(
        plan_entries(&a),
        [(
            "Report",
            &dynamic_order(),
            vec!["click", "request"],
            "Report.response",
            false
        )]
    );
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
    assert_eq!(plan_entries(&a), plan_entries(&s4));
}

#[test]
fn s6_campaign_query_with_clicks_sealed_on_campaign_is_async() {
    let a = analysis("ad_campaign_sealed.yaml", AD_CAMPAIGN_SEALED);
    assert_eq!(a.sinks["answers"], Label::Async);
    let campaign = seal("campaign");
    assert_eq!(
        plan_entries(&a),
        [(
            "Report",
            &campaign,
            vec!["click", "request"],
            "Report.response",
            true
        )]
    );
    assert!(a.ok());
}

#[test]
fn s7_window_query_with_clicks_sealed_on_window_is_async() {
    let a = analysis("ad_window_sealed.yaml", AD_WINDOW_SEALED);
    assert_eq!(a.sinks["answers"], Label::Async);
    let window = seal("window");
    assert_eq!(
        plan_entries(&a),
        [(
            "Report",
            &window,
            vec!["click", "request"],
            "Report.response",
            true
        )]
    );
    assert!(a.ok());
}

#[test]
fn s8_campaign_query_without_seal_diverges() {
    let a = analysis("ad_campaign.yaml", AD_CAMPAIGN);
    assert_eq!(a.sinks["answers"], Label::Diverge);
    assert_eq!(label(&a, "Report.response"), Label::Inst);
    assert_eq!(
        plan_entries(&a),
        [(
            "Report",
            &dynamic_order(),
            vec!["click", "request"],
            "Report.response",
            false
        )]
    );
    assert!(!a.ok());
}

#[test]
fn s9_campaign_query_with_clicks_sealed_on_window_diverges() {
    let a = analysis("ad_campaign_seal_window.yaml", AD_CAMPAIGN_SEAL_WINDOW);
    assert_eq!(a.sinks["answers"], Label::Diverge);
    assert_eq!(
        plan_entries(&a),
        [(
            "Report",
            &dynamic_order(),
            vec!["click", "request"],
            "Report.response",
            false
        )]
    );
    assert!(!a.ok());
}

#[test]
fn s10_sealed_threshold_query_is_async() {
    let a = analysis("ad_thresh_sealed.yaml", AD_THRESH_SEALED);
    assert_eq!(a.sinks["answers"], Label::Async);
    assert!(a.coordination.is_empty(), "{:?}", a.coordination);
    assert!(a.ok());
}

/// The plan as (component, strategy, inputs, output, applied).
fn plan_entries(a: &Analysis) -> Vec<(&str, &Strategy, Vec<&str>, &str, bool)> {
    a.coordination
        .iter()
        .map(|c| {
            (
                c.component.as_str(),
                &c.strategy,
                c.inputs.iter().map(String::as_str).collect(),
                c.output.as_str(),
                c.applied,
            )
        })
        .collect()
}

#[test]
fn s11_a_replicated_register_read_races_with_its_writes() {
    let a = analysis("register_rep.yaml", REGISTER_REP);
    assert_eq!(label(&a, "Register.value"), Label::Inst);
    assert_eq!(label(&a, "Register.ack"), Label::Diverge);
    assert_eq!(a.sinks["value"], Label::Inst);
    assert_eq!(a.sinks["ack"], Label::Diverge);
    let order = dynamic_order();
    assert_eq!(
        plan_entries(&a),
        [
            ("Register", &order, vec!["put"], "Register.ack", false),
            (
                "Register",
                &order,
                vec!["get", "put"],
                "Register.value",
                false
            ),
        ]
    );
    // The read's derivation shows the write into the other output.
    let d = a.derivation("Register.value").expect("derived");
    assert!(d.contributions.iter().any(|c| matches!(
        &c.via,
        blazes::result::Via::State { component, input, output }
            if component == "Register" && input == "put" && output == "ack"
    )));
    let value = a
        .violations
        .iter()
        .find(|v| v.sink == "value")
        .expect("violated");
    let cause = &a.causes(value)[0];
    assert_eq!(cause.node, "Register.value");
    assert!(
        cause.why.contains("path Register.put -> ack"),
        "{}",
        cause.why
    );
    assert!(cause.fixes.contains(&Fix::Seal {
        streams: vec!["put->Register.put".to_string()],
        gate: attrs(["key"]),
    }));
}

#[test]
fn s12_puts_sealed_on_key_make_the_register_async_and_gets_wait_under_key() {
    let a = analysis("register_rep_sealed.yaml", REGISTER_REP_SEALED);
    assert_eq!(label(&a, "Register.value"), Label::Async);
    assert_eq!(label(&a, "Register.ack"), Label::Async);
    let key = seal("key");
    assert_eq!(
        plan_entries(&a),
        [
            ("Register", &key, vec!["put"], "Register.ack", true),
            ("Register", &key, vec!["get", "put"], "Register.value", true),
        ]
    );
    assert!(a.ok());
}

#[test]
fn s13_a_first_arrival_loop_is_run_everywhere_despite_its_sealed_entry() {
    let a = analysis("loop_first_wins.yaml", LOOP_FIRST_WINS);
    assert_eq!(
        a.streams["edges->Expand.edges"],
        Label::Seal(attrs(["node"]))
    );
    for output in ["Settle.settled", "Expand.candidates", "Settle.tree"] {
        assert_eq!(label(&a, output), Label::Run, "{output}");
    }
    assert_eq!(a.sinks["tree"], Label::Run);
    assert_eq!(
        plan_entries(&a),
        [(
            "Settle",
            &dynamic_order(),
            vec!["candidates"],
            "Settle.settled",
            false
        )]
    );
    // Loop ports show the user's own annotations, never a joined one.
    let d = a.derivation("Settle.settled").expect("derived");
    assert!(d.in_cycle);
    assert_eq!(d.contributions.len(), 1);
    assert_eq!(
        d.contributions[0].annotation,
        Annotation::ow(attrs(["node"]))
    );
    let d = a.derivation("Expand.candidates").expect("derived");
    let annotations: Vec<String> = d
        .contributions
        .iter()
        .map(|c| c.annotation.to_string())
        .collect();
    assert_eq!(annotations, ["CW", "CR"]);
    // No seal and no `seq` is offered inside the loop: only ordering helps.
    let cause = &a.causes(&a.violations[0])[0];
    assert_eq!(cause.node, "Settle.settled");
    assert!(
        cause
            .fixes
            .iter()
            .all(|f| matches!(f, Fix::Order { component, .. } if component == "Settle")),
        "{:?}",
        cause.fixes
    );
}

#[test]
fn s14_a_min_distance_loop_is_async_without_coordination() {
    let a = analysis("loop_min.yaml", LOOP_MIN);
    assert_eq!(a.sinks["tree"], Label::Async);
    for output in ["Settle.settled", "Expand.candidates", "Settle.tree"] {
        assert_eq!(label(&a, output), Label::Async, "{output}");
    }
    assert!(a.coordination.is_empty(), "{:?}", a.coordination);
    assert!(a.ok());
}

/// Spec §5: a read protected by writes sealed on different keys waits under
/// every key, listed whatever the order of the annotation lines.
#[test]
fn a_read_waits_under_every_key_its_writes_are_sealed_on() {
    let build = |reads_first: bool, puts_first: bool| {
        let mut store = Component::new("Store");
        let read = ("get", "value", Annotation::or(attrs(["user", "day"])));
        let writes = [
            ("put_user", "ack", Annotation::ow(attrs(["user"]))),
            ("put_day", "ack", Annotation::ow(attrs(["day"]))),
        ];
        let mut lines = Vec::new();
        if reads_first {
            lines.push(read.clone());
        }
        if puts_first {
            lines.extend(writes.iter().cloned());
        } else {
            lines.extend(writes.iter().rev().cloned());
        }
        if !reads_first {
            lines.push(read);
        }
        for (from, to, annotation) in lines {
            store = store.path(from, to, annotation);
        }
        Dataflow::new()
            .component(store)
            .stream(Stream::between("users", "Store.put_user").sealed(attrs(["user"])))
            .stream(Stream::between("days", "Store.put_day").sealed(attrs(["day"])))
            .stream(Stream::between("gets", "Store.get"))
            .stream(Stream::between("Store.value", "values"))
            .stream(Stream::between("Store.ack", "acks"))
    };
    let reference = analyze(&build(true, true)).expect("valid");
    assert_eq!(reference.sinks["values"], Label::Async);
    let at_value: Vec<(&Strategy, Vec<&str>)> = reference
        .coordination
        .iter()
        .filter(|c| c.output == "Store.value")
        .map(|c| (&c.strategy, c.inputs.iter().map(String::as_str).collect()))
        .collect();
    let (day, user) = (seal("day"), seal("user"));
    assert_eq!(
        at_value,
        [
            (&day, vec!["get", "put_day"]),
            (&user, vec!["get", "put_user"]),
        ]
    );
    for (reads_first, puts_first) in [(false, true), (true, false), (false, false)] {
        let other = analyze(&build(reads_first, puts_first)).expect("valid");
        assert_eq!(other.coordination, reference.coordination);
    }
}

/// Spec §5: a static order needs `seq` on the same attributes on every
/// offending input; `seq` on different attributes is ordered dynamically.
#[test]
fn static_order_needs_seq_on_the_same_attributes() {
    let build = |left: &str, right: &str| {
        Dataflow::new()
            .component(
                Component::new("Join")
                    .path("l", "o", Annotation::ow(attrs(["k"])))
                    .path("r", "o", Annotation::ow(attrs(["k"]))),
            )
            .stream(Stream::between("left", "Join.l").sequenced(attrs([left])))
            .stream(Stream::between("right", "Join.r").sequenced(attrs([right])))
            .stream(Stream::between("Join.o", "out"))
            .coordinate(Permission::Auto)
    };
    let same = analyze(&build("batch", "batch")).expect("valid");
    let static_batch = Strategy::Order {
        kind: OrderKind::Static {
            seq: attrs(["batch"]),
        },
    };
    assert_eq!(plan(&same), [("Join", &static_batch, true)]);
    assert_eq!(same.residual["out"], Label::Async);
    let different = analyze(&build("batch", "epoch")).expect("valid");
    assert_eq!(plan(&different), [("Join", &dynamic_order(), true)]);
    assert_eq!(different.residual["out"], Label::Run);
}
