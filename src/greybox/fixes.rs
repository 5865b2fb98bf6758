//! A fix as a grey-box file writes it: the analysis's own words (spec §5),
//! and, where a stream already carries a seal that does not fit the gate,
//! the `fds:` entry that would make it fit, if it is true of the data.

use blazes_core::label::attrs_to_string;
use blazes_core::{Analysis, AttrSet, Dataflow, Fd, Fix, dependencies_for, explain, result::Cause};

/// The lines of one fix of `cause` for a grey-box file: the analysis's
/// words first, then, for a seal fix, one line per stream whose declared
/// seal a functional dependency from the gate would make compatible
/// ([`dependencies_for`], the rule the macros' `fds!` hint also uses).
pub(crate) fn fix_in_greybox(
    fix: &Fix,
    analysis: &Analysis,
    cause: &Cause,
    dataflow: &Dataflow,
) -> Vec<String> {
    let mut lines = vec![explain::fix_of(fix, analysis, cause)];
    if let Fix::Seal { streams, gate } = fix {
        lines.extend(
            streams
                .iter()
                .filter_map(|name| keep_the_seal(name, gate, dataflow)),
        );
    }
    lines
}

/// `or keep ... and declare ...` for the stream `name`, when it is sealed on
/// a key that some plain dependency from one attribute of `gate` would make
/// compatible; `None` otherwise.
fn keep_the_seal(name: &str, gate: &AttrSet, dataflow: &Dataflow) -> Option<String> {
    let stream = dataflow.streams.iter().find(|s| s.name() == name)?;
    let key = stream.annotation.seal.as_ref()?;
    let alternatives: Vec<String> = dependencies_for(&dataflow.fds, gate, key)
        .iter()
        .map(|fds| {
            let entries: Vec<String> = fds.iter().map(fd_entry).collect();
            let claims: Vec<String> = fds
                .iter()
                .map(|fd| format!("each `{}` has one `{}`", joined(&fd.from), fd.to))
                .collect();
            format!(
                "`fds: [{}]` if {}",
                entries.join(", "),
                claims.join(" and ")
            )
        })
        .collect();
    if alternatives.is_empty() {
        return None;
    }
    Some(format!(
        "or keep `seal: {}` on stream `{name}` and declare what makes it fit the gate {}: {}",
        attrs_to_string(key),
        attrs_to_string(gate),
        alternatives.join(", or ")
    ))
}

/// A many-to-one dependency as the file's `fds:` list writes it.
fn fd_entry(fd: &Fd) -> String {
    format!(
        "{{ from: [{}], to: {}, injective: false }}",
        joined(&fd.from),
        fd.to
    )
}

/// `a, b`.
fn joined(set: &AttrSet) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> (Dataflow, Analysis) {
        let dataflow = crate::greybox::parse("fd.yaml", text).expect("valid file");
        let analysis = blazes_core::analyze(&dataflow).expect("validated");
        (dataflow, analysis)
    }

    fn fixes(dataflow: &Dataflow, analysis: &Analysis) -> Vec<String> {
        let violation = analysis.violations.first().expect("a violation");
        analysis
            .causes(violation)
            .iter()
            .flat_map(|cause| {
                cause
                    .fixes
                    .iter()
                    .flat_map(|fix| fix_in_greybox(fix, analysis, cause, dataflow))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    const TALLY: &str = "
components:
  Tally:
    annotation:
      - { from: sales, to: sums, label: OW, subscript: [store, day] }
streams:
  - { from: sales, to: Tally.sales, seal: [region, day] }
  - { from: Tally.sums, to: sums }
";

    #[test]
    fn a_declared_seal_that_a_dependency_would_fit_offers_the_fds_entry() {
        let (dataflow, analysis) = check(TALLY);
        let lines = fixes(&dataflow, &analysis);
        let offered = "or keep `seal: [day,region]` on stream `sales->Tally.sales` and declare \
                       what makes it fit the gate [day,store]: `fds: [{ from: [day], to: region, \
                       injective: false }]` if each `day` has one `region`, or `fds: [{ from: \
                       [store], to: region, injective: false }]` if each `store` has one `region`";
        assert!(lines.iter().any(|l| l == offered), "{lines:#?}");

        // Declaring it, as offered, makes the seal fit: no violation left.
        let declared =
            format!("{TALLY}fds:\n  - {{ from: [store], to: region, injective: false }}\n");
        let (_, analysis) = check(&declared);
        assert!(analysis.violations.is_empty(), "{:?}", analysis.violations);
    }

    #[test]
    fn no_dependency_is_offered_where_nothing_is_sealed() {
        let unsealed = TALLY.replace(", seal: [region, day]", "");
        let (dataflow, analysis) = check(&unsealed);
        let lines = fixes(&dataflow, &analysis);
        assert!(!lines.is_empty());
        assert!(lines.iter().all(|l| !l.contains("fds:")), "{lines:#?}");
    }
}
