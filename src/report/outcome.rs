//! What `blazes check` learns about one file: the analysis with the locations
//! of the user's annotations, or why the file was refused; and the exit
//! status of spec §7 (0 ok, 1 requirement violated, 2 invalid input), the
//! worst over several files.

use blazes_core::{Analysis, Dataflow};

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
        return Ok(crate::sql::parse(name, text)?.into());
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
    Ok(Checked {
        locations: read.locations,
        dataflow: read.dataflow,
        analysis,
        warnings: read.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greybox(name: &str, text: &str) -> Result<Read, LoadError> {
        Ok(crate::greybox::parse_located(name, text)?.into())
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
