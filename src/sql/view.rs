//! One view as a component (issue 12): its query's derivation, its output
//! columns (what later views may read) and the functional dependencies their
//! lineage gives (spec §1, §3: an identity renamed is an injective FD, a
//! deterministic expression a plain one).

use std::collections::BTreeSet;
use std::ops::Range;

use blazes_core::{AttrSet, Fd};
use sqlparser::ast::{SelectItem, SetExpr, Spanned};

use super::derive::{Catalog, Deriver};
use super::error::{ErrorKind, SqlError};
use super::facts::ViewFacts;
use super::lineage::Lineage;
use super::scope::Col;
use super::statements::{Column, View};
use super::text::SqlText;

/// A view, derived.
#[derive(Debug)]
pub(crate) struct DerivedView {
    /// The facts of each input.
    pub facts: ViewFacts,
    /// Its named output columns, for the views that read it.
    pub columns: Vec<Column>,
    /// The functional dependencies its columns' lineage gives.
    pub fds: Vec<Fd>,
}

/// Derives one view.
pub(crate) fn derive(
    view: &View,
    catalog: &Catalog,
    text: &SqlText,
) -> Result<DerivedView, Box<SqlError>> {
    let mut deriver = Deriver::new(text, catalog, view.statement.clone(), BTreeSet::new());
    let mut rel = deriver.query(&view.query, None)?;
    let repeated = deriver.repeated_reads();
    if !repeated.is_empty() {
        // A self-join: derive again, without identities for that input.
        deriver = Deriver::new(text, catalog, view.statement.clone(), repeated);
        rel = deriver.query(&view.query, None)?;
    }
    let facts = deriver.into_facts();
    let mut columns = rel.columns;
    let spans = item_spans(view, text, columns.len());
    if !view.column_names.is_empty() {
        if view.column_names.len() != columns.len() {
            return Err(Box::new(SqlError::new(
                ErrorKind::Lineage(format!(
                    "the view names {} columns but its query has {}",
                    view.column_names.len(),
                    columns.len()
                )),
                text.text(),
                view.at.clone(),
            )));
        }
        for (col, (name, _)) in columns.iter_mut().zip(&view.column_names) {
            col.name = Some(name.clone());
        }
    }
    let input_attrs: AttrSet = facts
        .inputs()
        .iter()
        .filter_map(|(input, _)| catalog.get(input))
        .flat_map(|cols| cols.iter().map(|c| c.name.clone()))
        .collect();
    let mut out: Vec<Column> = Vec::new();
    let mut fds: Vec<Fd> = Vec::new();
    for (i, col) in columns.iter().enumerate() {
        let Some(name) = &col.name else { continue };
        let at = spans.get(i).cloned().unwrap_or_else(|| view.at.clone());
        if out.iter().any(|c| &c.name == name) {
            return Err(Box::new(SqlError::new(
                ErrorKind::Duplicate(format!("column `{name}` of view `{}`", view.name)),
                text.text(),
                at,
            )));
        }
        check_name(view, col, name, &input_attrs, text, at)?;
        fds.extend(fds_of(name, &col.lineage));
        out.push(Column {
            name: name.clone(),
            nonneg: col.lineage.is_nonneg(),
        });
    }
    Ok(DerivedView {
        facts,
        columns: out,
        fds,
    })
}

/// Refuses a column that takes the name of an input attribute without being
/// that attribute: names are global in the analysis (spec §1), so a seal on
/// the input's `id` would be taken to partition a computed `id` too.
fn check_name(
    view: &View,
    col: &Col,
    name: &str,
    input_attrs: &AttrSet,
    text: &SqlText,
    at: Range<usize>,
) -> Result<(), Box<SqlError>> {
    let same = matches!(&col.lineage, Lineage::Attr { attrs, .. } if attrs.contains(name));
    if same || !input_attrs.contains(name) {
        return Ok(());
    }
    Err(Box::new(SqlError::new(
        ErrorKind::Lineage(format!(
            "column `{name}` of view `{}` is not the input column `{name}` but has its name: attribute names are global in the analysis, so a seal on `{name}` would wrongly cover it",
            view.name
        )),
        text.text(),
        at,
    )
    .note(format!("give it a new name, e.g. `AS {name}_2`"))))
}

/// The FDs from the attributes a column is computed from to the column.
fn fds_of(name: &str, lineage: &Lineage) -> Vec<Fd> {
    match lineage {
        Lineage::Attr { attrs, .. } => attrs
            .iter()
            .filter(|a| a.as_str() != name)
            .map(|a| Fd {
                from: AttrSet::from([a.clone()]),
                to: name.to_string(),
                injective: true,
            })
            .collect(),
        Lineage::Window { .. } | Lineage::Derived { .. } => match lineage.deps() {
            Some(deps) if !deps.is_empty() && !deps.contains(name) => vec![Fd {
                from: deps,
                to: name.to_string(),
                injective: false,
            }],
            _ => Vec::new(),
        },
        Lineage::Aggregate | Lineage::Opaque => Vec::new(),
    }
}

/// Where each output column is written, when the query is one `SELECT`
/// whose items are its columns.
fn item_spans(view: &View, text: &SqlText, count: usize) -> Vec<Range<usize>> {
    let SetExpr::Select(select) = view.query.body.as_ref() else {
        return Vec::new();
    };
    if select.projection.len() != count
        || select.projection.iter().any(|i| {
            matches!(
                i,
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
            )
        })
    {
        return Vec::new();
    }
    select
        .projection
        .iter()
        .map(|i| text.range_or(i.span(), &view.at))
        .collect()
}
