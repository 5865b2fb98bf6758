//! For every file of `cases/` (S1 to S14), the same dataflow declared with
//! the macros (`tests/macro_cases/`) gives the same model, labels and
//! coordination plan as the grey-box reader gives for the file; and so do
//! plain and injective FDs, which mean the same in both (spec §1, §3).

mod macro_cases;

use blazes::greybox::parse;
use blazes::{Analysis, Dataflow, analyze};
use macro_cases::{ad_network, loops, profiles, register, wordcount};

/// The dataflow in a canonical order, without its name.
fn canonical(mut dataflow: Dataflow) -> Dataflow {
    dataflow.name = None;
    for component in &mut dataflow.components {
        component
            .paths
            .sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        component.extra_inputs.sort();
        component.extra_outputs.sort();
    }
    dataflow.components.sort_by(|a, b| a.name.cmp(&b.name));
    dataflow.streams.sort_by_key(|s| s.name());
    dataflow
        .fds
        .sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    dataflow
}

/// Everything the analysis derives, without the dataflow's name: labels,
/// plan, violations, and every derivation and cause, explained.
fn results(analysis: &Analysis) -> String {
    let causes: Vec<_> = analysis
        .violations
        .iter()
        .map(|v| analysis.causes(v))
        .collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        analysis.outputs,
        analysis.inputs,
        analysis.sinks,
        analysis.streams,
        analysis.coordination,
        analysis.residual,
        analysis.residual_outputs,
        analysis.violations,
        causes,
        analysis.derivations(),
    )
}

fn assert_parity(file: &str, text: &str, macro_dataflow: Dataflow, macro_analysis: Analysis) {
    let file_dataflow = parse(file, text).unwrap_or_else(|d| panic!("{}", d.render()));
    assert_eq!(
        canonical(macro_dataflow.clone()),
        canonical(file_dataflow.clone()),
        "{file}: the macros declare a different dataflow"
    );
    let file_analysis = analyze(&file_dataflow).expect("a parsed dataflow is valid");
    let (m, f) = (&macro_analysis, &file_analysis);
    assert_eq!(m.outputs, f.outputs, "{file}: outputs");
    assert_eq!(m.sinks, f.sinks, "{file}: sinks");
    assert_eq!(m.streams, f.streams, "{file}: streams");
    assert_eq!(m.coordination, f.coordination, "{file}: plan");
    assert_eq!(m.residual, f.residual, "{file}: residual");
    assert_eq!(m.violations, f.violations, "{file}: violations");
    assert_eq!(m.ok(), f.ok(), "{file}: ok");
    assert_eq!(results(m), results(f), "{file}: derivations and causes");
    // The analysis a module reports is the analysis of the dataflow it builds.
    assert_eq!(
        results(m),
        results(&analyze(&macro_dataflow).expect("valid")),
        "{file}: analysis() and dataflow() disagree"
    );
}

macro_rules! parity {
    ($test:ident, $file:literal, $module:path) => {
        #[test]
        fn $test() {
            use $module as module;
            assert_parity(
                $file,
                include_str!(concat!("../cases/", $file)),
                module::dataflow(),
                module::analysis(),
            );
        }
    };
}

parity!(s1_wordcount, "wordcount.yaml", wordcount::unsealed);
parity!(
    s2_wordcount_sealed,
    "wordcount_sealed.yaml",
    wordcount::sealed
);
parity!(s3_ad_thresh, "ad_thresh.yaml", ad_network::thresh);
parity!(s4_ad_poor, "ad_poor.yaml", ad_network::poor);
parity!(
    s5_ad_poor_seal_campaign,
    "ad_poor_seal_campaign.yaml",
    ad_network::poor_seal_campaign
);
parity!(
    s6_ad_campaign_sealed,
    "ad_campaign_sealed.yaml",
    ad_network::campaign_sealed
);
parity!(
    s7_ad_window_sealed,
    "ad_window_sealed.yaml",
    ad_network::window_sealed
);
parity!(s8_ad_campaign, "ad_campaign.yaml", ad_network::campaign);
parity!(
    s9_ad_campaign_seal_window,
    "ad_campaign_seal_window.yaml",
    ad_network::campaign_seal_window
);
parity!(
    s10_ad_thresh_sealed,
    "ad_thresh_sealed.yaml",
    ad_network::thresh_sealed
);

parity!(s11_register_rep, "register_rep.yaml", register::unsealed);
parity!(
    s12_register_rep_sealed,
    "register_rep_sealed.yaml",
    register::sealed
);
parity!(
    s13_loop_first_wins,
    "loop_first_wins.yaml",
    loops::first_wins
);
parity!(s14_loop_min, "loop_min.yaml", loops::min);

/// The profile store of `macro_cases::profiles` as a grey-box file, with the
/// FD entry `fd`.
fn profiles_yaml(fd: &str) -> String {
    format!(
        "Profile:\n  annotation: [ {{ from: events, to: profiles, label: OW, gate: [user] }} ]\n\
         streams:\n  - {{ from: events, to: Profile.events, seal: [session] }}\n  \
         - {{ from: Profile.profiles, to: store }}\nfds:\n  - {fd}\n"
    )
}

#[test]
fn a_plain_fd_means_the_same_in_both_and_a_seal_does_not_cover_its_image() {
    let text = profiles_yaml("{ from: [session], to: user, injective: false }");
    let file = parse("profiles.yaml", &text).expect("valid");
    assert!(!file.fds[0].injective);
    assert_parity(
        "profiles.yaml",
        &text,
        profiles::many_to_one::dataflow(),
        profiles::many_to_one::analysis(),
    );
    let analysis = profiles::many_to_one::analysis();
    assert!(
        !analysis.ok(),
        "a seal on session does not cover gate [user]"
    );
    assert_eq!(analysis.violations[0].sink, "store");
}

#[test]
fn an_injective_fd_means_the_same_in_both_and_a_seal_covers_its_image() {
    // The grey-box file's default is injective (spec §1), as before.
    for entry in [
        "{ from: [session], to: user }",
        "{ from: [session], to: user, injective: true }",
    ] {
        let text = profiles_yaml(entry);
        for (dataflow, analysis) in [
            (
                profiles::one_to_one::dataflow(),
                profiles::one_to_one::analysis(),
            ),
            (
                profiles::one_to_one_as_in_yaml::dataflow(),
                profiles::one_to_one_as_in_yaml::analysis(),
            ),
        ] {
            assert!(
                analysis.ok(),
                "{entry}: a seal on session covers gate [user]"
            );
            assert_parity("profiles.yaml", &text, dataflow, analysis);
        }
    }
}

#[test]
fn every_case_file_has_a_parity_test() {
    let source = include_str!("macro_parity.rs");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/cases");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("cases/ exists")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 14, "{files:?}");
    for file in files {
        assert!(
            source.contains(&format!("\"{file}\",")),
            "no parity test for cases/{file}"
        );
    }
}

#[test]
fn plain_and_injective_fds_are_told_apart() {
    // Guards the comparison: the FD's kind is part of the compared model.
    assert_ne!(
        canonical(profiles::many_to_one::dataflow()),
        canonical(profiles::one_to_one::dataflow())
    );
}

#[test]
fn the_sealed_and_unsealed_word_counts_differ() {
    // Guards the comparison itself: two different dataflows are told apart.
    assert_ne!(
        canonical(wordcount::sealed::dataflow()),
        canonical(wordcount::unsealed::dataflow())
    );
    assert_ne!(
        wordcount::sealed::analysis().sinks,
        wordcount::unsealed::analysis().sinks
    );
}
