//! What `blazes check` learns about one file: the analysis with the locations
//! of the user's annotations, or why the file was refused; and the exit
//! status of spec §7 (0 ok, 1 requirement violated, 2 invalid input), the
//! worst over several files.

use blazes_core::{Analysis, Dataflow, Endpoint};

use super::input::{self, LoadError};
use crate::locations::Locations;
use crate::warnings::Warning;

/// A front end: turns a file's name and text into a dataflow, where its
/// annotations were written, and its warnings.
pub type FrontEnd = fn(&str, &str) -> Result<Read, LoadError>;

/// What a front end read from one file.
#[derive(Debug)]
pub struct Read {
    /// The dataflow.
    pub dataflow: Dataflow,
    /// Where each annotation was written.
    pub locations: Locations,
    /// Warnings about the file (the grey-box reader's attribute warnings).
    pub warnings: Vec<Warning>,
}

impl From<(Dataflow, Locations)> for Read {
    /// A front end's result without warnings.
    fn from((dataflow, locations): (Dataflow, Locations)) -> Read {
        Read {
            dataflow,
            locations,
            warnings: Vec::new(),
        }
    }
}

/// A file that was read and analysed.
#[derive(Debug)]
pub struct Checked {
    /// Where each annotation was written (and the file's name and text).
    pub locations: Locations,
    /// The dataflow read.
    pub dataflow: Dataflow,
    /// Its analysis.
    pub analysis: Analysis,
    /// Warnings from the front end (the grey-box attribute warnings).
    pub warnings: Vec<Warning>,
}

impl Checked {
    /// The file's name, as given.
    pub fn file(&self) -> &str {
        self.locations.file()
    }

    /// The exit status this file calls for.
    pub fn status(&self) -> Status {
        if self.analysis.ok() {
            Status::Ok
        } else {
            Status::Violated
        }
    }
}

/// One file's outcome.
#[derive(Debug)]
pub enum Outcome {
    /// Read and analysed.
    Checked(Box<Checked>),
    /// Refused before the analysis.
    Rejected(LoadError),
}

impl Outcome {
    /// The exit status this file calls for.
    pub fn status(&self) -> Status {
        match self {
            Outcome::Checked(c) => c.status(),
            Outcome::Rejected(_) => Status::Invalid,
        }
    }

    /// The file's name, as given.
    pub fn file(&self) -> &str {
        match self {
            Outcome::Checked(c) => c.file(),
            Outcome::Rejected(e) => e.file(),
        }
    }
}

/// The exit status of `blazes check`, ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Status {
    /// Every sink meets the requirement.
    #[default]
    Ok,
    /// Some sink is above the requirement.
    Violated,
    /// The input could not be analysed.
    Invalid,
}

impl Status {
    /// The process exit code: 0, 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Violated => 1,
            Status::Invalid => 2,
        }
    }

    /// The worst status of several files (`Ok` for none).
    pub fn worst<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Status {
        outcomes
            .into_iter()
            .map(Outcome::status)
            .max()
            .unwrap_or_default()
    }
}

/// Reads the file argument `arg` (a path, or `-` for standard input), turns
/// it into a dataflow with `front_end`, and analyses it.
pub fn check(arg: &str, front_end: FrontEnd) -> Outcome {
    match analysed(arg, front_end) {
        Ok(checked) => Outcome::Checked(Box::new(checked)),
        Err(error) => Outcome::Rejected(error),
    }
}

/// Like [`check`], for text already in memory: `name` only names it in the
/// report (and chooses the front end's format, see [`front_end`]).
pub fn check_text(name: &str, text: &str, front_end: FrontEnd) -> Outcome {
    match analysed_text(name, text, front_end) {
        Ok(checked) => Outcome::Checked(Box::new(checked)),
        Err(error) => Outcome::Rejected(error),
    }
}

/// The front end of `blazes check`: SQL for a `.sql` name (see
/// [`is_sql`](super::is_sql)), a grey-box file otherwise. The one place a
/// new input format is added.
pub fn front_end(name: &str, text: &str) -> Result<Read, LoadError> {
    if super::is_sql(name) {
        #[cfg(feature = "sql")]
        return Ok(crate::sql::parse(name, text)?.into());
        #[cfg(not(feature = "sql"))]
        return Err(LoadError::SqlNotEnabled {
            file: name.to_string(),
        });
    }
    let (dataflow, locations, warnings) = crate::greybox::parse_reported(name, text)?;
    Ok(Read {
        dataflow,
        locations,
        warnings: warnings.to_report(),
    })
}

fn analysed(arg: &str, front_end: FrontEnd) -> Result<Checked, LoadError> {
    let (name, text) = input::read(arg)?;
    analysed_text(&name, &text, front_end)
}

fn analysed_text(name: &str, text: &str, front_end: FrontEnd) -> Result<Checked, LoadError> {
    let read = front_end(name, text)?;
    let analysis = blazes_core::analyze(&read.dataflow).map_err(|errors| LoadError::Dataflow {
        file: name.to_string(),
        errors,
    })?;
    let mut warnings = read.warnings;
    warnings.extend(unrunnable_plan_warnings(
        &read.dataflow,
        &analysis,
        &read.locations,
    ));
    Ok(Checked {
        locations: read.locations,
        dataflow: read.dataflow,
        analysis,
        warnings,
    })
}

/// A plan the runtime refuses to run: a seal buffer that would wait on
/// itself ([`blazes_core::seal_loops`], code `seal-loop`), or an input
/// wrapped in two ways that cannot be combined
/// ([`blazes_core::coordination_conflicts`], code `coordination-conflict`).
/// The report warns at the first stream into the input concerned. The
/// labels stand (spec §4), so the exit status does not change.
fn unrunnable_plan_warnings(
    dataflow: &Dataflow,
    analysis: &Analysis,
    locations: &Locations,
) -> Vec<Warning> {
    let loops = blazes_core::seal_loops(dataflow, analysis)
        .into_iter()
        .map(|found| {
            let at = Endpoint::port(&found.component, &found.input);
            ("seal-loop", found.problem(), found.fix(), at)
        });
    let conflicts = blazes_core::coordination_conflicts(&analysis.coordination)
        .into_iter()
        .map(|found| {
            let at = Endpoint::port(&found.component, &found.input);
            ("coordination-conflict", found.problem(), found.fix(), at)
        });
    loops
        .chain(conflicts)
        .map(|(code, problem, fix, input)| {
            let warning = Warning::new(code, format!("the plan cannot run: {problem}"))
                .note(format!("fix: {fix}"));
            let at = dataflow
                .streams
                .iter()
                .filter(|s| s.to == input)
                .find_map(|s| locations.stream(&s.name()));
            match at {
                Some(at) => warning.at(at.clone()),
                None => warning,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greybox(name: &str, text: &str) -> Result<Read, LoadError> {
        Ok(crate::greybox::parse_located(name, text)?.into())
    }

    /// A build without the `sql` feature does not read a `.sql` file as a
    /// grey-box file: it says which feature reads it.
    #[cfg(not(feature = "sql"))]
    #[test]
    fn a_sql_file_without_the_sql_feature_names_the_feature() {
        let error = match front_end("views.sql", "CREATE VIEW v AS SELECT a FROM t;") {
            Ok(_) => panic!("a .sql file read without the sql feature"),
            Err(error) => error,
        };
        assert_eq!(error.file(), "views.sql");
        let text = error.render();
        assert!(text.contains("`sql` feature"), "{text}");
    }

    /// The loop of `tests/seal_loop.rs` as a grey-box file: the labels are
    /// fine (exit 0), and the report warns that the plan cannot run, at the
    /// stream closing the loop.
    #[test]
    fn a_seal_buffer_waiting_on_itself_is_a_warning_at_the_loop() {
        let text = "components:
  Rate:
    annotation:
      - { from: prices, to: charges, label: CW }
      - { from: limits, to: charges, label: CW }
      - { from: readings, to: charges, label: OR, subscript: [tariff, hour] }
      - { from: readings, to: spikes, label: CR }
  Throttle:
    annotation:
      - { from: spikes, to: limits, label: CR }
streams:
  - { from: prices, to: Rate.prices, seal: [hour] }
  - { from: readings, to: Rate.readings, seal: [hour] }
  - { from: Rate.spikes, to: Throttle.spikes }
  - { from: Throttle.limits, to: Rate.limits }
  - { from: Rate.charges, to: charges }
";
        let outcome = check_text("loop.yaml", text, front_end);
        assert_eq!(outcome.status(), Status::Ok);
        let Outcome::Checked(checked) = outcome else {
            panic!("checked");
        };
        let [warning] = &checked.warnings[..] else {
            panic!("one warning: {:?}", checked.warnings);
        };
        assert_eq!(warning.code, "seal-loop");
        assert!(
            warning
                .message
                .starts_with("the plan cannot run: `Rate` holds `readings` on [hour]"),
            "{}",
            warning.message
        );
        assert_eq!(warning.at.as_ref().map(|at| at.line), Some(15));
        assert!(warning.notes[0].starts_with("fix: "), "{:?}", warning.notes);
        // Sealed by Throttle's own code, the loop is not the runner's to judge.
        let declared = text.replace(
            "{ from: Throttle.limits, to: Rate.limits }",
            "{ from: Throttle.limits, to: Rate.limits, seal: [hour] }",
        );
        let Outcome::Checked(checked) = check_text("loop.yaml", &declared, front_end) else {
            panic!("checked");
        };
        assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    }

    /// A read whose writes are sealed on two keys would wait under both
    /// (spec §5); the runtime gates a read under one, so the report warns
    /// at the read's stream, with the fix.
    #[test]
    fn a_read_under_seals_on_two_keys_is_a_warning_at_its_stream() {
        let text = "components:
  Register:
    rep: true
    annotation:
      - { from: put_a, to: ack, label: OW, subscript: [key] }
      - { from: put_b, to: ack, label: OW, subscript: [day] }
      - { from: get, to: value, label: OR, subscript: [key, day] }
streams:
  - { from: puts_a, to: Register.put_a, seal: [key] }
  - { from: puts_b, to: Register.put_b, seal: [day] }
  - { from: gets, to: Register.get }
  - { from: Register.ack, to: acks }
  - { from: Register.value, to: values }
";
        let Outcome::Checked(checked) = check_text("register.yaml", text, front_end) else {
            panic!("checked");
        };
        let [warning] = &checked.warnings[..] else {
            panic!("one warning: {:?}", checked.warnings);
        };
        assert_eq!(warning.code, "coordination-conflict");
        assert!(
            warning
                .message
                .starts_with("the plan cannot run: input `Register.get` needs a seal buffer on [")
                && warning.message.contains("on [key]")
                && warning.message.contains("on [day]"),
            "{}",
            warning.message
        );
        assert_eq!(warning.at.as_ref().map(|at| at.line), Some(11));
        assert!(
            warning.notes[0].contains("on one key"),
            "{:?}",
            warning.notes
        );
        // Both writes sealed on one key: one buffer, nothing to warn of.
        let one_key = text
            .replace("seal: [day]", "seal: [key]")
            .replace("[day] }", "[key] }");
        let Outcome::Checked(checked) = check_text("register.yaml", &one_key, front_end) else {
            panic!("checked");
        };
        assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    }

    #[test]
    fn the_worst_status_wins() {
        let missing = check("no/such/file.yaml", greybox);
        assert_eq!(missing.status(), Status::Invalid);
        assert_eq!(Status::worst([&missing]).code(), 2);
        assert_eq!(Status::worst([]), Status::Ok);
        assert!(Status::Violated > Status::Ok && Status::Invalid > Status::Violated);
    }

    #[test]
    fn a_dataflow_the_core_refuses_is_rejected_not_panicked() {
        fn unvalidated(name: &str, _: &str) -> Result<Read, LoadError> {
            let d = Dataflow::new().stream(blazes_core::Stream::between("a", "Nobody.x"));
            Ok((d, Locations::new(name, "")).into())
        }
        let dir = tempfile::tempdir().expect("scratch dir");
        let path = dir.path().join("any.yaml");
        std::fs::write(&path, "x").expect("written");
        let outcome = check(path.to_str().expect("utf-8 path"), unvalidated);
        let Outcome::Rejected(error @ LoadError::Dataflow { .. }) = outcome else {
            panic!("expected a refused dataflow");
        };
        assert!(error.render().contains("Nobody"), "{}", error.render());
    }
}
