//! The white box for streaming SQL (issue 12; paper §VII; spec §1, §6): a file
//! of `CREATE TABLE` (sources, with `blazes.*` stream annotations) and
//! `CREATE [MATERIALIZED] VIEW` (components) becomes an annotated dataflow
//! whose path annotations are derived from the queries: non-monotone
//! operators make a path order-sensitive with a gate from their grouping,
//! correlation or partitioning columns; accumulating operators make it write
//! state; identity lineage gives injective FDs. docs/sql.md has the table.
//!
//! ```
//! let sql = "
//! CREATE TABLE clicks (id BIGINT, campaign TEXT, \"window\" INT)
//!   WITH ('blazes.seal' = 'window');
//! CREATE VIEW report AS
//!   SELECT \"window\", id FROM clicks GROUP BY \"window\", id HAVING COUNT(*) < 100;
//! ";
//! let (dataflow, locations) = blazes::sql::parse("window.sql", sql).expect("valid SQL");
//! let report = dataflow.find_component("report").expect("a component per view");
//! assert_eq!(report.paths[0].annotation.to_string(), "OW[id,window]");
//! let analysis = blazes::analyze(&dataflow).expect("valid dataflow");
//! assert_eq!(analysis.sinks["report"], blazes::Label::Async);
//!
//! let origin = blazes::Origin::Path { component: "report".into(), from: "clicks".into(), to: "report".into() };
//! let at = locations.path(&origin).expect("every path is located");
//! assert_eq!(at.line, 5);
//! assert!(at.note.as_deref().unwrap_or("").contains("`HAVING COUNT(*) < 100` at line 5"));
//! ```

mod advice;
mod dataflow;
mod derive;
pub mod emit;
mod error;
mod exprs;
mod facts;
mod from;
mod functions;
mod lineage;
mod names;
mod options;
mod projection;
mod scope;
mod statements;
mod text;
mod view;

use std::collections::{HashMap, HashSet};

use blazes_core::{Dataflow, validate};

pub(crate) use advice::fix_in_sql;
pub use advice::{advice, explain};
pub use error::{ErrorKind, SqlError, SqlErrors};

use crate::locations::Locations;
use derive::Catalog;
use statements::Item;
use text::SqlText;

/// Reads a SQL file into its derived dataflow and where each annotation
/// comes from. `file_name` only names the file in error reports. On failure,
/// [`SqlErrors`] holds every error found, each located at its construct.
pub fn parse(file_name: &str, text: &str) -> Result<(Dataflow, Locations), SqlErrors> {
    let source = SqlText::new(text);
    let mut errors = Vec::new();
    let built = read(&source, file_name, &mut errors);
    match built {
        Some(result) if errors.is_empty() => Ok(result),
        _ => Err(SqlErrors::new(file_name, text, errors)),
    }
}

fn read(
    source: &SqlText,
    file_name: &str,
    errors: &mut Vec<SqlError>,
) -> Option<(Dataflow, Locations)> {
    let items = statements::read(source, errors)?;
    let mut catalog = Catalog::new();
    let mut defined: HashMap<String, std::ops::Range<usize>> = HashMap::new();
    let mut failed: HashSet<String> = HashSet::new();
    let mut tables = Vec::new();
    let mut views = Vec::new();
    let mut fds = Vec::new();
    for item in &items {
        let (name, at) = match item {
            Item::Table(t) => (&t.name, &t.at),
            Item::View(v) => (&v.name, &v.at),
        };
        if defined.contains_key(name) {
            errors.push(SqlError::new(
                ErrorKind::Duplicate(name.clone()),
                source.text(),
                at.clone(),
            ));
            continue;
        }
        defined.insert(name.clone(), at.clone());
        match item {
            Item::Table(t) => {
                catalog.insert(t.name.clone(), t.columns.clone());
                fds.extend(t.fds.iter().cloned());
            }
            Item::View(v) => match view::derive(v, &catalog, source) {
                Ok(derived) => {
                    catalog.insert(v.name.clone(), derived.columns);
                    fds.extend(derived.fds);
                    views.push(dataflow::ViewPart {
                        view: v,
                        facts: derived.facts,
                    });
                }
                Err(e) => {
                    failed.insert(v.name.clone());
                    // A view that reads a view already in error adds nothing.
                    if !matches!(&e.kind, ErrorKind::UnknownRelation(n) if failed.contains(n)) {
                        errors.push(*e);
                    }
                }
            },
        }
    }
    for item in &items {
        if let Item::Table(t) = item {
            tables.push(t);
        }
    }
    if views.is_empty() && failed.is_empty() {
        errors.push(SqlError::new(ErrorKind::NoView, source.text(), 0..0));
        return None;
    }
    if !errors.is_empty() {
        return None;
    }
    let (dataflow, locations) = dataflow::build(&tables, views, fds, file_name, source);
    if let Err(problems) = validate(&dataflow) {
        for p in problems {
            errors.push(SqlError::new(
                ErrorKind::Invalid(p.to_string()),
                source.text(),
                0..0,
            ));
        }
        return None;
    }
    Some((dataflow, locations))
}
