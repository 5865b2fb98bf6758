//! The `blazes.*` options of a `WITH (...)` clause (issue 12): on a `CREATE
//! TABLE`, the stream annotations of spec §1 (`'blazes.seal' = 'campaign'`,
//! `'blazes.independent' = 'true'`, `'blazes.seq' = 'batch'`, `'blazes.rep' =
//! 'true'`) and the functional dependencies among its columns (`'blazes.fds' =
//! 'merchant -> region; account <-> iban'`); on a view, `'blazes.rep' = 'true'`
//! (the component is replicated). Other options (`connector`, `topic`, ...) belong to the engine
//! and are ignored; an unknown `blazes.*` option is an error.

use std::ops::Range;

use blazes_core::{AttrSet, Fd, StreamAnnotation};
use sqlparser::ast::{CreateTableOptions, Expr, Spanned, SqlOption, Value};

use super::error::{ErrorKind, SqlError};
use super::names;
use super::text::SqlText;

/// The options a table accepts.
const TABLE_OPTIONS: [&str; 5] = [
    "blazes.seal",
    "blazes.independent",
    "blazes.seq",
    "blazes.rep",
    "blazes.fds",
];

/// What the `blazes.*` options of one statement say.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// The stream annotation they declare.
    pub annotation: StreamAnnotation,
    /// The functional dependencies among the columns (`blazes.fds`).
    pub fds: Vec<Fd>,
    /// Where they are written: from the first to the last `blazes.*` option.
    pub at: Option<Range<usize>>,
}

/// Reads the `blazes.*` options; `allowed` lists those the statement accepts.
/// `columns` are the attributes a seal or seq key may name.
pub(crate) fn read(
    options: &CreateTableOptions,
    allowed: &[&str],
    columns: &[String],
    text: &SqlText,
    fallback: &Range<usize>,
    errors: &mut Vec<SqlError>,
) -> Options {
    let list = match options {
        CreateTableOptions::None => return Options::default(),
        CreateTableOptions::With(list)
        | CreateTableOptions::Options(list)
        | CreateTableOptions::Plain(list)
        | CreateTableOptions::TableProperties(list) => list,
    };
    let mut out = Options::default();
    for option in list {
        let SqlOption::KeyValue { key, value } = option else {
            continue;
        };
        let key_text = key
            .0
            .iter()
            .filter_map(|p| p.as_ident())
            .map(|i| i.value.clone())
            .collect::<Vec<_>>()
            .join(".");
        if !key_text.to_lowercase().starts_with("blazes.") {
            continue;
        }
        let at = text
            .range(key.span().union(&value.span()))
            .unwrap_or_else(|| fallback.clone());
        out.at = Some(match &out.at {
            Some(r) => r.start.min(at.start)..r.end.max(at.end),
            None => at.clone(),
        });
        let bad =
            |message: String| SqlError::new(ErrorKind::BadOption(message), text.text(), at.clone());
        let key_lower = key_text.to_lowercase();
        if !allowed.contains(&key_lower.as_str()) {
            let what = if allowed.len() == 1 {
                "a view accepts only `'blazes.rep'`".to_string()
            } else {
                format!("a table accepts {}", quoted(&TABLE_OPTIONS))
            };
            errors.push(bad(format!("unknown option `{key_text}`: {what}")));
            continue;
        }
        let Some(string) = string_value(value) else {
            errors.push(bad(format!(
                "the value of `{key_text}` should be a quoted string like '{}'; found `{value}`",
                if key_lower.ends_with("seal") || key_lower.ends_with("seq") {
                    "campaign"
                } else if key_lower.ends_with("fds") {
                    "merchant -> region"
                } else {
                    "true"
                }
            )));
            continue;
        };
        match key_lower.as_str() {
            "blazes.seal" | "blazes.seq" => match key_set(&string, columns) {
                Ok(set) if key_lower == "blazes.seal" => out.annotation.seal = Some(set),
                Ok(set) => out.annotation.seq = Some(set),
                Err(message) => errors.push(bad(format!("`{key_text}`: {message}"))),
            },
            "blazes.fds" => match fd_list(&string, columns) {
                Ok(fds) => out.fds.extend(fds),
                Err(message) => errors.push(bad(format!("`{key_text}`: {message}"))),
            },
            _ => match string.trim().to_lowercase().as_str() {
                "true" if key_lower == "blazes.rep" => out.annotation.rep = true,
                "true" => out.annotation.independent = true,
                "false" => {}
                _ => errors.push(bad(format!(
                    "the value of `{key_text}` should be 'true' or 'false'; found '{string}'"
                ))),
            },
        }
    }
    if out.annotation.independent && out.annotation.seal.is_none() {
        let at = out.at.clone().unwrap_or_else(|| fallback.clone());
        errors.push(
            SqlError::new(
                ErrorKind::BadOption(
                    "`blazes.independent` without `blazes.seal`: independence is a property of the seal's partitions".into(),
                ),
                text.text(),
                at,
            )
            .note("add 'blazes.seal' = '<key>' or remove 'blazes.independent'"),
        );
    }
    out
}

/// The options a table accepts.
pub(crate) fn table_options() -> &'static [&'static str] {
    &TABLE_OPTIONS
}

/// A string literal, or a bare `true`/`false`.
fn string_value(value: &Expr) -> Option<String> {
    match value {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s.clone()),
            Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        Expr::Identifier(id) => Some(id.value.clone()),
        _ => None,
    }
}

/// A comma-separated key; each attribute must be one of `columns`.
fn key_set(text: &str, columns: &[String]) -> Result<AttrSet, String> {
    let mut set = AttrSet::new();
    for part in text.split(',') {
        let name = column(part, columns).map_err(|e| match e {
            ColumnError::Empty => format!("'{text}' has an empty attribute; write 'a' or 'a, b'"),
            ColumnError::Refused(message) => message,
        })?;
        set.insert(name);
    }
    Ok(set)
}

/// Why a written column is refused.
enum ColumnError {
    /// Nothing is written.
    Empty,
    /// Written, but not a usable column of the table.
    Refused(String),
}

/// One column name as an option writes it (`"Quoted"` keeps its case); it
/// must be one of `columns`.
fn column(written: &str, columns: &[String]) -> Result<String, ColumnError> {
    let written = written.trim();
    let name = match written.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
        Some(quoted) => quoted.to_string(),
        None => written.to_lowercase(),
    };
    if name.is_empty() {
        return Err(ColumnError::Empty);
    }
    names::usable(&name).map_err(|e| ColumnError::Refused(e.to_string()))?;
    if !columns.contains(&name) {
        return Err(ColumnError::Refused(format!(
            "`{name}` is not a column of the table (its columns: {})",
            columns.join(", ")
        )));
    }
    Ok(name)
}

/// `'a -> b; c, d -> e; f <-> g'`: functional dependencies among `columns`,
/// separated by `;`. `->` is a plain (many-to-one) dependency, `<->` a
/// one-to-one (injective) one, as in the grey-box file and `fds!`.
fn fd_list(text: &str, columns: &[String]) -> Result<Vec<Fd>, String> {
    const SHAPE: &str = "write 'a -> b' (each `a` has one `b`), 'a, b -> c', or 'a <-> b' \
                         (one-to-one), several separated by `;`";
    let mut fds = Vec::new();
    for written in text.split(';') {
        let written = written.trim();
        if written.is_empty() {
            continue;
        }
        let (from, to, injective) = if let Some((from, to)) = written.split_once("<->") {
            (from, to, true)
        } else if let Some((from, to)) = written.split_once("->") {
            (from, to, false)
        } else {
            return Err(format!("'{written}' is not a dependency; {SHAPE}"));
        };
        let refused = |e: ColumnError| match e {
            ColumnError::Empty => format!("'{written}' has an empty attribute; {SHAPE}"),
            ColumnError::Refused(message) => message,
        };
        let mut determining = AttrSet::new();
        for part in from.split(',') {
            determining.insert(column(part, columns).map_err(refused)?);
        }
        if to.contains(',') || to.contains("->") {
            return Err(format!(
                "'{written}' determines more than one column; write one dependency per \
                 determined column, separated by `;`"
            ));
        }
        let determined = column(to, columns).map_err(refused)?;
        if determining.contains(&determined) {
            return Err(format!(
                "'{written}' says a column determines itself, which every column does"
            ));
        }
        fds.push(Fd {
            from: determining,
            to: determined,
            injective,
        });
    }
    if fds.is_empty() {
        return Err(format!("no dependency in '{text}'; {SHAPE}"));
    }
    Ok(fds)
}

/// `a`, `b` and `c`, each in backquotes.
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`'{n}'`"))
        .collect::<Vec<_>>()
        .join(", ")
}
