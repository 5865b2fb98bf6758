//! The logic of the examples (`examples/wordcount.rs`, `examples/ad_network.rs`),
//! run through the same shared modules the examples use: labels as in spec §8,
//! committed word counts equal to counts computed directly, replicas agreeing.

#[allow(dead_code)]
#[path = "../examples/support/ad_network_job.rs"]
mod ad;
#[allow(dead_code)]
#[path = "../examples/support/sessionizer_job.rs"]
mod sessionizer_job;
#[allow(dead_code)]
#[path = "../examples/support/wordcount_job.rs"]
mod wordcount;

use std::collections::BTreeMap;

use ad::{Query, Run, Shape};
use blazes::Record;
use blazes::runtime::{BuildError, SourceEvent};
use blazes::{Label, OrderKind, Strategy, Vote, attrs};

fn seal_at(analysis: &blazes::Analysis, component: &str) -> Option<(Vec<String>, Vote)> {
    analysis
        .coordination
        .iter()
        .find_map(|c| match &c.strategy {
            Strategy::Seal { key, vote } if c.component == component && c.applied => {
                Some((key.iter().cloned().collect(), *vote))
            }
            _ => None,
        })
}

fn order_at(analysis: &blazes::Analysis, component: &str) -> Option<OrderKind> {
    analysis
        .coordination
        .iter()
        .find_map(|c| match &c.strategy {
            Strategy::Order { kind } if c.component == component && c.applied => Some(kind.clone()),
            _ => None,
        })
}

#[test]
fn sessionizer_seals_sessions_then_users_and_meets_the_requirement() {
    let analysis = sessionizer_job::sessionizer::analysis();
    assert!(analysis.ok());
    assert_eq!(analysis.sinks["screen"], Label::Async);
    assert_eq!(
        seal_at(&analysis, "Sessionize"),
        Some((vec!["session".to_string()], Vote::Unanimous))
    );
    assert_eq!(
        seal_at(&analysis, "PerUserStats"),
        Some((vec!["user".to_string()], Vote::Unanimous))
    );
    let dataflow = sessionizer_job::sessionizer::dataflow();
    let dashboard = dataflow.components.iter().find(|c| c.name == "Dashboard");
    assert!(
        dashboard.is_some_and(|c| c.rep),
        "the Dashboard is replicated"
    );
    let text = blazes::explain::summary(&analysis);
    assert!(
        text.contains("PerUserStats: seal buffer on [user]"),
        "{text}"
    );
}

#[test]
fn sessionizer_workload_seals_every_session_and_its_direct_stats_add_up() {
    let (workload, expected) = sessionizer_job::workload(6);
    assert_eq!(expected.len(), 6);
    let sessions: u32 = expected.values().map(|s| s.sessions).sum();
    assert_eq!(sessions, 1 + 2 + 3 + 1 + 2 + 3);
    let mut sealed = std::collections::BTreeSet::new();
    let mut events = 0;
    for event in workload.script("events", 0) {
        match event {
            SourceEvent::Record(tuple) => {
                let event = blazes_examples_lib::Event::from_tuple(tuple).expect("an Event");
                assert!(!sealed.contains(&event.session), "a record after its seal");
                events += 1;
            }
            SourceEvent::Seal(key) => {
                sealed.insert(key.int("session").expect("sealed on session") as u64);
            }
        }
    }
    let clicks: u32 = expected.values().map(|s| s.clicks).sum();
    assert_eq!(events, clicks as usize);
    assert_eq!(sealed.len() as u32, sessions, "every session is sealed");
}

#[test]
fn generated_factories_build_every_annotated_component_and_nothing_else() {
    let factories = wordcount::sealed::factories();
    for component in ["Splitter", "Count", "Commit"] {
        assert!(factories.make(component).is_ok(), "{component}");
    }
    assert!(matches!(
        factories.make("Report"),
        Err(BuildError::MissingFactory(name)) if name == "Report"
    ));
}

#[test]
fn sealed_word_count_has_the_labels_of_case_s2() {
    let analysis = wordcount::sealed::analysis();
    assert!(analysis.ok());
    assert_eq!(
        analysis.outputs["Splitter.words"],
        Label::Seal(attrs(["batch"]))
    );
    assert_eq!(analysis.sinks["db"], Label::Async);
    assert_eq!(analysis.coordination.len(), 1);
    assert_eq!(
        seal_at(&analysis, "Count"),
        Some((vec!["batch".to_string()], Vote::Unanimous))
    );
    let text = blazes::explain::summary(&analysis);
    assert!(text.contains("Count: seal buffer on [batch]"), "{text}");
    assert!(text.contains("Count.counts = Async"), "{text}");
}

#[test]
fn ordered_word_count_uses_a_static_order_at_count() {
    let analysis = wordcount::ordered::analysis();
    assert!(analysis.ok());
    assert_eq!(analysis.sinks["db"], Label::Run, "before coordination");
    assert_eq!(
        analysis.residual["db"],
        Label::Async,
        "after the static order"
    );
    assert_eq!(
        order_at(&analysis, "Count"),
        Some(OrderKind::Static {
            seq: attrs(["batch"])
        })
    );
}

#[test]
fn sealed_word_count_commits_the_counts_computed_directly() {
    let (workload, expected) = wordcount::tweets(6, 40);
    assert!(expected.len() > 50, "a workload with many words");
    for counters in [1, 3] {
        let deployment = wordcount::deployment(counters);
        let report = wordcount::run(wordcount::Variant::Sealed, &deployment, &workload)
            .expect("the word count runs");
        assert_eq!(
            wordcount::committed(&report).expect("db holds WordCounts"),
            expected,
            "{counters} counters"
        );
        assert!(report.balanced());
        assert_eq!(report.ensure_success(), Ok(()));
        // Each (batch, word) is committed exactly once.
        assert_eq!(report.records("db").len(), expected.len());
    }
}

#[test]
fn ordered_word_count_commits_the_same_counts() {
    let (workload, expected) = wordcount::tweets(5, 30);
    let report = wordcount::run(
        wordcount::Variant::Ordered,
        &wordcount::deployment(2),
        &workload,
    )
    .expect("the word count runs");
    assert_eq!(
        wordcount::committed(&report).expect("db holds WordCounts"),
        expected
    );
}

#[test]
fn ad_queries_have_the_labels_of_spec_section_8() {
    // S3: THRESH is Async with no coordination.
    let thresh = ad::thresh::analysis();
    assert_eq!(thresh.sinks["answers"], Label::Async);
    assert!(thresh.coordination.is_empty());
    // S4: POOR is Inst at Report, Diverge at the sink, ordered at Report.
    let poor = ad::poor::analysis();
    assert_eq!(poor.outputs["Report.response"], Label::Inst);
    assert_eq!(poor.sinks["answers"], Label::Diverge);
    assert_eq!(order_at(&poor, "Report"), Some(OrderKind::Dynamic));
    assert!(poor.ok(), "POOR builds under auto + convergent");
    // S7: WINDOW sealed on window.
    let window = ad::window::analysis();
    assert_eq!(window.sinks["answers"], Label::Async);
    assert_eq!(
        seal_at(&window, "Report"),
        Some((vec!["window".to_string()], Vote::Unanimous))
    );
    // S6: CAMPAIGN sealed on campaign; independently when mastered by one server.
    let campaign = ad::campaign::analysis();
    assert_eq!(campaign.sinks["answers"], Label::Async);
    assert_eq!(
        seal_at(&campaign, "Report"),
        Some((vec!["campaign".to_string()], Vote::Unanimous))
    );
    let independent = ad::campaign_independent::analysis();
    assert_eq!(
        seal_at(&independent, "Report"),
        Some((vec!["campaign".to_string()], Vote::Independent))
    );
    // S8 under auto: unsealed CAMPAIGN diverges without ordering at Report.
    let ordered = ad::campaign_ordered::analysis();
    assert_eq!(ordered.sinks["answers"], Label::Diverge);
    assert_eq!(order_at(&ordered, "Report"), Some(OrderKind::Dynamic));
}

fn small() -> Shape {
    Shape {
        ad_servers: 3,
        clicks: 200,
        batch: 50,
        ads: 10,
    }
}

/// Clicks per (id, campaign) computed directly from the workload.
fn campaign_counts(shape: &Shape, independent: bool) -> BTreeMap<(i64, i64), i64> {
    let mut counts = BTreeMap::new();
    for server in 0..shape.ad_servers {
        for b in 0..shape.batches() {
            for click in shape.batch_clicks(server, b, independent) {
                let key = (click.id, click.campaign);
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    counts
}

#[test]
fn sealed_campaign_answers_are_the_counts_at_every_replica() {
    let shape = small();
    for run in [Run::Query(Query::Campaign), Run::IndependentSeal] {
        let independent = run.independent();
        let deployment = ad::deployment(run, shape.ad_servers, 3);
        let report = ad::run(run, &deployment, &shape.workload(run)).expect("runs");
        let by_replica = ad::answers_by_replica(&report);
        assert_eq!(by_replica.len(), 3, "{run:?}");
        assert!(ad::replicas_agree(&by_replica), "{run:?}");
        let expected = campaign_counts(&shape, independent);
        let answers = by_replica.values().next().expect("a replica");
        assert_eq!(answers.len(), shape.requests(independent).len(), "{run:?}");
        for answer in answers {
            let answer = ad::CountAnswer::from_tuple(answer).expect("a CAMPAIGN answer");
            let key = (answer.id, answer.campaign);
            let want = expected.get(&key).copied().unwrap_or_default();
            assert_eq!(answer.clicks, want, "{run:?} {key:?}");
        }
    }
}

#[test]
fn window_and_poor_answers_agree_across_replicas() {
    let shape = small();
    for query in [Query::Window, Query::Poor] {
        let run = Run::Query(query);
        let report = ad::run(
            run,
            &ad::deployment(run, shape.ad_servers, 2),
            &shape.workload(run),
        )
        .expect("runs");
        let by_replica = ad::answers_by_replica(&report);
        assert_eq!(by_replica.len(), 2, "{query:?}");
        assert!(ad::replicas_agree(&by_replica), "{query:?}");
        let answers = by_replica.values().next().expect("a replica");
        let requests = shape.requests(false);
        let answered: std::collections::BTreeSet<i64> =
            answers.iter().filter_map(|a| a.int("request")).collect();
        let asked: std::collections::BTreeSet<i64> = requests.iter().map(|r| r.request).collect();
        assert_eq!(answered, asked, "{query:?}: every request is answered");
        if query == Query::Window {
            // Sealed: deterministic, so both cache replicas' copies of a
            // request (each reaches Report) get the same answer.
            assert_eq!(answers.len(), requests.len(), "{query:?}");
        }
        // POOR is `Run` (ordering, no seal): the two copies of a request are
        // ordered among the clicks by the sequencer, one order for every
        // replica but not the same place for both copies, so a request may
        // be answered both before and after an ad's clicks; the replicas
        // still agree (above).
    }
}

#[test]
fn thresh_answers_hold_of_the_final_counts() {
    let shape = Shape {
        ad_servers: 5,
        ..small()
    };
    let run = Run::Query(Query::Thresh);
    let report = ad::run(run, &ad::deployment(run, 5, 2), &shape.workload(run)).expect("runs");
    let totals = ad::totals(&shape, false);
    assert!(
        totals.values().any(|&t| t < ad::THRESH),
        "some ads stay under"
    );
    let answers: Vec<_> = ad::answers_by_replica(&report)
        .into_values()
        .flatten()
        .collect();
    for answer in &answers {
        let id = ad::ThreshAnswer::from_tuple(answer)
            .expect("a THRESH answer")
            .id;
        let total = totals[&id];
        assert!(total >= ad::THRESH, "{answer:?} but only {total} clicks");
    }
}
