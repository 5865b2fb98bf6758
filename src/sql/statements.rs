//! Reading the statements of a SQL file (issue 12): `CREATE TABLE` is a
//! source stream with its `blazes.*` stream annotations, `CREATE [MATERIALIZED]
//! VIEW` is a component. Parsing is `sqlparser`'s (GenericDialect); this
//! module only sorts the statements and reads their declarations.

use std::ops::Range;

use blazes_core::{Fd, StreamAnnotation};
use sqlparser::ast::{
    BinaryOperator, ColumnOption, CreateTable, CreateView, Expr, Query, Spanned, Statement,
    TableConstraint, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};

use super::error::{ErrorKind, SqlError};
use super::names;
use super::options;
use super::text::SqlText;

/// A column of a table.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    /// Its name, as the model spells it.
    pub name: String,
    /// A `CHECK (c >= 0)` (or `> 0`) says it is never negative, so a `SUM`
    /// over it only grows.
    pub nonneg: bool,
}

/// A `CREATE TABLE`: a source stream.
#[derive(Debug)]
pub(crate) struct Table {
    /// The table's name.
    pub name: String,
    /// Where the name is written.
    pub at: Range<usize>,
    /// Its columns.
    pub columns: Vec<Column>,
    /// The stream annotation its options declare.
    pub annotation: StreamAnnotation,
    /// Where the `blazes.*` options are written, if any.
    pub annotated_at: Option<Range<usize>>,
    /// The functional dependencies among its columns (`blazes.fds`).
    pub fds: Vec<Fd>,
}

/// A `CREATE [MATERIALIZED] VIEW`: a component.
#[derive(Debug)]
pub(crate) struct View {
    /// The view's name.
    pub name: String,
    /// Where the name is written.
    pub at: Range<usize>,
    /// The whole statement.
    pub statement: Range<usize>,
    /// `'blazes.rep' = 'true'`: the component runs as several replicas.
    pub rep: bool,
    /// The names given in `CREATE VIEW v (a, b) AS ...`, if any.
    pub column_names: Vec<(String, Range<usize>)>,
    /// Its query.
    pub query: Box<Query>,
}

/// One statement of the file.
#[derive(Debug)]
pub(crate) enum Item {
    /// A source.
    Table(Table),
    /// A component.
    View(View),
}

/// Parses the text and reads every statement; `None` when it does not parse.
pub(crate) fn read(text: &SqlText, errors: &mut Vec<SqlError>) -> Option<Vec<Item>> {
    let statements = match Parser::parse_sql(&GenericDialect {}, text.text()) {
        Ok(s) => s,
        Err(e) => {
            errors.push(syntax_error(text, e));
            return None;
        }
    };
    let whole = 0..text.text().len();
    let mut items = Vec::new();
    for statement in statements {
        let at = text.range_or(statement.span(), &whole);
        match statement {
            Statement::CreateTable(table) => {
                if let Some(t) = read_table(&table, text, &at, errors) {
                    items.push(Item::Table(t));
                }
            }
            Statement::CreateView(view) => {
                if let Some(v) = read_view(view, text, &at, errors) {
                    items.push(Item::View(v));
                }
            }
            other => {
                let keyword = other
                    .to_string()
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                errors.push(
                    SqlError::new(ErrorKind::UnsupportedStatement(keyword), text.text(), at)
                        .note("a sink is a view that no other view reads"),
                );
            }
        }
    }
    Some(items)
}

/// A parse error, located from the position `sqlparser` writes in its message.
fn syntax_error(text: &SqlText, error: ParserError) -> SqlError {
    let raw = match &error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m.clone(),
        ParserError::RecursionLimitExceeded => "the statement nests too deeply".to_string(),
    };
    let (message, at) = match raw.rfind(" at Line: ") {
        Some(i) => {
            let position = &raw[i + " at Line: ".len()..];
            let mut numbers = position
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse::<u64>().ok());
            let at = match (numbers.next(), numbers.next()) {
                (Some(line), Some(column)) => {
                    text.offset(sqlparser::tokenizer::Location::new(line, column))
                }
                _ => None,
            };
            (raw[..i].to_string(), at)
        }
        None => (raw, None),
    };
    let start = at.unwrap_or(text.text().len());
    let end = text.text()[start..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.text().len(), |(i, _)| start + i.max(1));
    SqlError::new(
        ErrorKind::Syntax {
            message,
            source: error,
        },
        text.text(),
        start..end.max(start),
    )
}

/// Reads a `CREATE TABLE`.
fn read_table(
    table: &CreateTable,
    text: &SqlText,
    statement: &Range<usize>,
    errors: &mut Vec<SqlError>,
) -> Option<Table> {
    let fail = |errors: &mut Vec<SqlError>, kind: ErrorKind, at: Range<usize>| {
        errors.push(SqlError::new(kind, text.text(), at));
    };
    let (name, id) = match names::object(&table.name) {
        Ok(n) => n,
        Err(kind) => {
            fail(errors, kind, text.range_or(table.name.span(), statement));
            return None;
        }
    };
    let at = text.range_or(id.span, statement);
    if let Err(kind) = names::usable(&name) {
        fail(errors, kind, at);
        return None;
    }
    if table.query.is_some() {
        fail(
            errors,
            ErrorKind::Unsupported {
                construct: "`CREATE TABLE ... AS SELECT`".into(),
            },
            statement.clone(),
        );
        return None;
    }
    if table.columns.is_empty() {
        fail(
            errors,
            ErrorKind::Unsupported {
                construct: format!("a table without columns (`{name}`)"),
            },
            at,
        );
        return None;
    }
    let mut columns: Vec<Column> = Vec::new();
    for def in &table.columns {
        let column = names::ident(&def.name);
        let column_at = text.range_or(def.name.span, statement);
        if let Err(kind) = names::usable(&column) {
            fail(errors, kind, column_at);
            continue;
        }
        if columns.iter().any(|c| c.name == column) {
            fail(
                errors,
                ErrorKind::Duplicate(format!("column {column}")),
                column_at,
            );
            continue;
        }
        let nonneg = def.options.iter().any(|o| match &o.option {
            ColumnOption::Check(check) => nonneg_check(&check.expr).as_deref() == Some(&column),
            _ => false,
        });
        columns.push(Column {
            name: column,
            nonneg,
        });
    }
    for constraint in &table.constraints {
        if let TableConstraint::Check(check) = constraint
            && let Some(column) = nonneg_check(&check.expr)
            && let Some(c) = columns.iter_mut().find(|c| c.name == column)
        {
            c.nonneg = true;
        }
    }
    let column_names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let read = options::read(
        &table.table_options,
        options::table_options(),
        &column_names,
        text,
        statement,
        errors,
    );
    Some(Table {
        name,
        at,
        columns,
        annotation: read.annotation,
        annotated_at: read.at,
        fds: read.fds,
    })
}

/// The column a `CHECK (c >= 0)`, `CHECK (c > 0)` or `CHECK (0 <= c)` keeps
/// non-negative.
fn nonneg_check(expr: &Expr) -> Option<String> {
    let Expr::BinaryOp { left, op, right } = expr else {
        return None;
    };
    let zero = |e: &Expr| matches!(e, Expr::Value(v) if matches!(&v.value, Value::Number(n, _) if n.parse::<f64>() == Ok(0.0)));
    let column = |e: &Expr| match e {
        Expr::Identifier(id) => Some(names::ident(id)),
        _ => None,
    };
    match op {
        BinaryOperator::GtEq | BinaryOperator::Gt if zero(right) => column(left),
        BinaryOperator::LtEq | BinaryOperator::Lt if zero(left) => column(right),
        _ => None,
    }
}

/// Reads a `CREATE [MATERIALIZED] VIEW`.
fn read_view(
    view: CreateView,
    text: &SqlText,
    statement: &Range<usize>,
    errors: &mut Vec<SqlError>,
) -> Option<View> {
    let (name, id) = match names::object(&view.name) {
        Ok(n) => n,
        Err(kind) => {
            errors.push(SqlError::new(
                kind,
                text.text(),
                text.range_or(view.name.span(), statement),
            ));
            return None;
        }
    };
    let at = text.range_or(id.span, statement);
    if let Err(kind) = names::usable(&name) {
        errors.push(SqlError::new(kind, text.text(), at));
        return None;
    }
    let read = options::read(&view.options, &["blazes.rep"], &[], text, statement, errors);
    let column_names = view
        .columns
        .iter()
        .map(|c| (names::ident(&c.name), text.range_or(c.name.span, statement)))
        .collect();
    Some(View {
        name,
        at,
        statement: statement.clone(),
        rep: read.annotation.rep,
        column_names,
        query: view.query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(sql: &str) -> (Option<Vec<Item>>, Vec<SqlError>) {
        let text = SqlText::new(sql);
        let mut errors = Vec::new();
        let items = read(&text, &mut errors);
        (items, errors)
    }

    #[test]
    fn a_check_constraint_declares_a_column_non_negative() {
        let (items, errors) = read_all(
            "CREATE TABLE t (a INT CHECK (a >= 0), b INT, c INT, CHECK (0 < c)) WITH ('blazes.seal' = 'a, B');",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let Some([Item::Table(t)]) = items.as_deref() else {
            panic!("one table");
        };
        let nonneg: Vec<bool> = t.columns.iter().map(|c| c.nonneg).collect();
        assert_eq!(nonneg, [true, false, true]);
        assert_eq!(t.annotation.seal, Some(blazes_core::attrs(["a", "b"])));
    }

    #[test]
    fn a_syntax_error_is_located_where_the_parser_stopped() {
        let (items, errors) = read_all("CREATE TABLE t (a INT);\nCREATE VIEW v AS SELEC a FROM t;");
        assert!(items.is_none());
        assert_eq!((errors[0].line(), errors[0].column()), (2, 18));
        assert!(matches!(errors[0].kind, ErrorKind::Syntax { .. }));
        assert!(
            std::error::Error::source(&errors[0].kind).is_some(),
            "keeps the parser's error"
        );
    }
}
