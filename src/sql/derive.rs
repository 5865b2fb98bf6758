//! The derivation of a view's path annotations from its query (paper §VII,
//! issue 12; the table is in docs/sql.md): this module walks queries, set
//! operations, `SELECT`s and `FROM` clauses; `exprs` walks expressions.
//! Non-monotone operators make the inputs they read order-sensitive, with a
//! gate from their grouping, correlation or partitioning columns;
//! accumulating operators make them write state.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use blazes_core::AttrSet;
use sqlparser::ast::{
    Distinct, Expr, GroupByExpr, Query, Select, SetExpr, SetOperator, SetQuantifier, Spanned,
};
use sqlparser::tokenizer::Span;

use super::error::{ErrorKind, SqlError};
use super::exprs::ExprCtx;
use super::facts::{Reason, ViewFacts};
use super::lineage::Lineage;
use super::scope::{Col, Scope};
use super::statements::Column;
use super::text::{SqlText, one_line};

/// The relations a view may read: tables and the views created before it.
pub(crate) type Catalog = HashMap<String, Vec<Column>>;

/// A result of the derivation or the error that stopped it.
pub(crate) type Derived<T> = Result<T, Box<SqlError>>;

/// What a query produces.
#[derive(Debug)]
pub(crate) struct Rel {
    /// Its columns.
    pub columns: Vec<Col>,
    /// The view's inputs it reads.
    pub inputs: BTreeSet<String>,
    /// Attributes of equalities with an enclosing query (a correlated
    /// subquery's `WHERE b.y = a.x`).
    pub correlated: AttrSet,
}

/// What one `SELECT` gathers while its expressions are walked.
#[derive(Debug, Default)]
pub(crate) struct SelectState {
    /// An aggregate function (without `OVER`) was called.
    pub aggregated: bool,
    /// Window functions: their `PARTITION BY` attributes and clause.
    pub windows: Vec<(AttrSet, Reason)>,
    /// Attributes that equalities in `WHERE`/`ON` conjuncts make equal.
    pub equalities: Vec<AttrSet>,
    /// Attributes of conjunct equalities with an enclosing query.
    pub correlated: AttrSet,
    /// The view's inputs read by subqueries in its expressions.
    pub subquery_inputs: BTreeSet<String>,
    /// Calls of non-deterministic functions (`NOW()`, `RANDOM()`).
    pub nondeterministic: Vec<Reason>,
}

/// Walks one view's query.
pub(crate) struct Deriver<'a> {
    pub(crate) text: &'a SqlText<'a>,
    catalog: &'a Catalog,
    pub(crate) facts: ViewFacts,
    /// The view's statement: where to point when a node has no span.
    pub(crate) fallback: Range<usize>,
    pub(crate) selects: Vec<SelectState>,
    /// How many times each input is named in the query.
    pub(crate) reads: HashMap<String, usize>,
    /// Inputs named more than once (self-joins): their columns are not
    /// identities, since a row may mix two of the input's rows.
    pub(crate) repeated: BTreeSet<String>,
}

impl<'a> Deriver<'a> {
    /// A walker for one view.
    pub fn new(
        text: &'a SqlText<'a>,
        catalog: &'a Catalog,
        fallback: Range<usize>,
        repeated: BTreeSet<String>,
    ) -> Deriver<'a> {
        Deriver {
            text,
            catalog,
            facts: ViewFacts::default(),
            fallback,
            selects: Vec::new(),
            reads: HashMap::new(),
            repeated,
        }
    }

    /// The inputs the query names more than once.
    pub fn repeated_reads(&self) -> BTreeSet<String> {
        self.reads
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(i, _)| i.clone())
            .collect()
    }

    /// The relations the view may read.
    pub(crate) fn catalog(&self) -> &'a Catalog {
        self.catalog
    }

    /// The facts gathered.
    pub fn into_facts(self) -> ViewFacts {
        self.facts
    }

    /// The byte range of a node.
    pub(crate) fn at(&self, span: Span) -> Range<usize> {
        self.text.range_or(span, &self.fallback)
    }

    /// An error at a node.
    pub(crate) fn error(&self, kind: ErrorKind, span: Span) -> Box<SqlError> {
        Box::new(SqlError::new(kind, self.text.text(), self.at(span)))
    }

    /// An "is not supported" error at a node. A `construct; hint` text puts
    /// the hint (what to write instead) in a note.
    pub(crate) fn unsupported(&self, construct: impl Into<String>, span: Span) -> Box<SqlError> {
        let construct = construct.into();
        let (construct, hint) = match construct.split_once("; ") {
            Some((c, h)) => (c.to_string(), Some(h.to_string())),
            None => (construct, None),
        };
        let error = self.error(ErrorKind::Unsupported { construct }, span);
        match hint {
            Some(h) => Box::new(error.note(h)),
            None => error,
        }
    }

    /// A reason: the clause at `span` (extended back over `keywords`), quoted as `clause`.
    pub(crate) fn reason(
        &self,
        span: Span,
        keywords: &[&str],
        clause: impl std::fmt::Display,
        why: impl Into<String>,
    ) -> Reason {
        Reason {
            at: self.text.with_keywords(self.at(span), keywords),
            clause: one_line(&clause.to_string()),
            why: why.into(),
        }
    }

    /// Derives a query (`parent`: the scope of an enclosing query, for a
    /// correlated subquery).
    pub fn query(&mut self, query: &Query, parent: Option<&Scope>) -> Derived<Rel> {
        if let Some(with) = &query.with {
            return Err(self.unsupported(
                "`WITH` (a common table expression); write each as its own CREATE VIEW",
                with.span(),
            ));
        }
        if !query.pipe_operators.is_empty() {
            return Err(self.unsupported("pipe operators (`|>`)", query.span()));
        }
        let rel = self.set_expr(&query.body, parent)?;
        let limit = query
            .limit_clause
            .as_ref()
            .map(|l| (l.to_string(), l.span()));
        let fetch = query.fetch.as_ref().map(|f| (f.to_string(), query.span()));
        if let Some((text, span)) = limit.or(fetch) {
            let clause = match &query.order_by {
                Some(order) => format!("{order} {text}"),
                None => text.trim().to_string(),
            };
            let span = query
                .order_by
                .as_ref()
                .map_or(span, |o| o.span().union(&span));
            let why = if query.order_by.is_some() {
                "the first rows by value change as rows arrive: a top-k over a stream"
            } else {
                "which rows come first depends on arrival order"
            };
            let reason = self.reason(
                span,
                &["ORDER", "BY", "LIMIT", "OFFSET", "FETCH"],
                clause,
                why,
            );
            self.facts.order(&rel.inputs, &AttrSet::new(), &reason);
            let kept = Reason {
                why: "it keeps the rows that may still rank".into(),
                ..reason
            };
            self.facts.writes(&rel.inputs, &kept);
        }
        Ok(rel)
    }

    /// Derives a query body: a `SELECT`, a nested query or a set operation.
    fn set_expr(&mut self, body: &SetExpr, parent: Option<&Scope>) -> Derived<Rel> {
        match body {
            SetExpr::Select(select) => self.select(select, parent),
            SetExpr::Query(query) => self.query(query, parent),
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => self.set_operation(body, left, *op, *set_quantifier, right, parent),
            SetExpr::Values(_) => {
                Err(self.unsupported("`VALUES` (a view must read a table or a view)", body.span()))
            }
            other => Err(self.unsupported(
                format!("`{}`", first_words(&other.to_string())),
                other.span(),
            )),
        }
    }

    /// `UNION [ALL]`, `INTERSECT`, `EXCEPT`.
    fn set_operation(
        &mut self,
        body: &SetExpr,
        left: &SetExpr,
        op: SetOperator,
        quantifier: SetQuantifier,
        right: &SetExpr,
        parent: Option<&Scope>,
    ) -> Derived<Rel> {
        let l = self.set_expr(left, parent)?;
        let r = self.set_expr(right, parent)?;
        if l.columns.len() != r.columns.len() {
            return Err(self.error(
                ErrorKind::Lineage(format!(
                    "the two sides of `{op}` have {} and {} columns",
                    l.columns.len(),
                    r.columns.len()
                )),
                body.span(),
            ));
        }
        let inputs: BTreeSet<String> = l.inputs.union(&r.inputs).cloned().collect();
        let clause = format!("{op}{}", quantifier_text(quantifier));
        let span = right.span();
        let keywords = ["UNION", "INTERSECT", "EXCEPT", "MINUS", "ALL", "DISTINCT"];
        match op {
            SetOperator::Union
                if matches!(quantifier, SetQuantifier::All | SetQuantifier::AllByName) => {}
            SetOperator::Union => {
                let reason = self.reason(
                    span,
                    &keywords,
                    clause,
                    "it removes duplicates, so it keeps the rows it has seen",
                );
                self.facts.writes(&inputs, &reason);
            }
            SetOperator::Intersect => {
                let reason = self.reason(
                    span,
                    &keywords,
                    clause,
                    "it keeps both sides to match later rows",
                );
                self.facts.writes(&inputs, &reason);
            }
            SetOperator::Except | SetOperator::Minus => {
                let mut gate = AttrSet::new();
                for c in l.columns.iter().chain(&r.columns) {
                    gate.extend(c.lineage.gate_attrs());
                }
                let removes = self.reason(
                    span,
                    &keywords,
                    &clause,
                    "a later row of the right side removes an answer already given",
                );
                let checks = Reason {
                    why: "each row is checked against the right side as it is when the row arrives"
                        .into(),
                    ..removes.clone()
                };
                self.facts.order(&l.inputs, &gate, &checks);
                self.facts.order(&r.inputs, &gate, &removes);
                let kept = Reason {
                    why: "it keeps the right side's rows".into(),
                    ..removes
                };
                self.facts.writes(&r.inputs, &kept);
            }
        }
        let columns = l
            .columns
            .iter()
            .zip(&r.columns)
            .map(|(a, b)| Col {
                name: a.name.clone(),
                lineage: Lineage::either(&a.lineage, &b.lineage),
            })
            .collect();
        Ok(Rel {
            columns,
            inputs,
            correlated: l.correlated.union(&r.correlated).cloned().collect(),
        })
    }

    /// Derives one `SELECT`.
    fn select(&mut self, select: &Select, parent: Option<&Scope>) -> Derived<Rel> {
        self.refuse_select_extras(select)?;
        self.selects.push(SelectState::default());
        let read = self.select_read(select, parent);
        let state = self.selects.pop().unwrap_or_default();
        let read = read?;
        let inputs: BTreeSet<String> = read
            .inputs
            .iter()
            .chain(&state.subquery_inputs)
            .cloned()
            .collect();
        let closed = |gate: AttrSet| close(gate, &state.equalities);
        let group_by = group_exprs(select);
        if !group_by.is_empty() || state.aggregated || select.having.is_some() {
            let gate = closed(read.group_gate.clone());
            self.aggregation(select, &read, state.aggregated, gate, &inputs);
        }
        for reason in &state.nondeterministic {
            // No seal or order fixes a value that depends on when a row is
            // processed: an ungated order-sensitive write makes the analysis
            // report it (Run, or Diverge when replicated).
            self.facts.order(&inputs, &AttrSet::new(), reason);
            self.facts.writes(&inputs, reason);
        }
        for (gate, reason) in &state.windows {
            self.facts.order(&inputs, &closed(gate.clone()), reason);
            let kept = Reason {
                why: "it keeps each partition's rows".into(),
                ..reason.clone()
            };
            self.facts.writes(&inputs, &kept);
        }
        match &select.distinct {
            Some(Distinct::Distinct) => {
                let reason = self.reason(
                    select.select_token.0.span,
                    &[],
                    "SELECT DISTINCT",
                    "it keeps the rows it has seen",
                );
                self.facts.writes(&inputs, &reason);
            }
            Some(Distinct::On(exprs)) => {
                let span = exprs
                    .iter()
                    .fold(select.select_token.0.span, |s, e| s.union(&e.span()));
                let clause = format!("DISTINCT ON ({})", join_display(exprs));
                let reason = self.reason(
                    span,
                    &[],
                    clause,
                    "which row of a key is kept depends on arrival order",
                );
                self.facts
                    .order(&inputs, &closed(read.distinct_gate), &reason);
                let kept = Reason {
                    why: "it keeps the row of each key".into(),
                    ..reason
                };
                self.facts.writes(&inputs, &kept);
            }
            Some(Distinct::All) | None => {}
        }
        Ok(Rel {
            columns: read.columns,
            inputs,
            correlated: state.correlated,
        })
    }

    /// Walks the clauses of a `SELECT`, with its state on the stack.
    fn select_read(&mut self, select: &Select, parent: Option<&Scope>) -> Derived<SelectRead> {
        if select.from.is_empty() {
            return Err(self.unsupported(
                "a SELECT without FROM (a view must read a table or a view)",
                select.select_token.0.span,
            ));
        }
        let relations = self.from(&select.from, parent)?;
        let scope = Scope { relations, parent };
        if let Some(selection) = &select.selection {
            self.expr(selection, &scope, ExprCtx::condition())?;
        }
        let columns = self.projection(&select.projection, &scope)?;
        if !matches!(&select.group_by, GroupByExpr::Expressions(_, m) if m.is_empty()) {
            return Err(self.unsupported(
                format!(
                    "`{}` (ROLLUP, CUBE, GROUPING SETS, GROUP BY ALL)",
                    one_line(&select.group_by.to_string())
                ),
                select.select_token.0.span,
            ));
        }
        let mut group_gate = AttrSet::new();
        for e in group_exprs(select) {
            let lineage = self.group_key(e, &scope, &select.projection, &columns)?;
            group_gate.extend(lineage.gate_attrs());
        }
        let mut monotone_having = false;
        if let Some(having) = &select.having {
            self.expr(having, &scope, ExprCtx::having())?;
            monotone_having = self.is_threshold(having, &scope);
        }
        let mut distinct_gate = AttrSet::new();
        if let Some(Distinct::On(exprs)) = &select.distinct {
            for e in exprs {
                distinct_gate.extend(self.expr(e, &scope, ExprCtx::key())?.gate_attrs());
            }
        }
        Ok(SelectRead {
            inputs: scope.inputs(),
            columns,
            group_gate,
            distinct_gate,
            monotone_having,
        })
    }

    /// Refuses the clauses of other dialects that the derivation does not read.
    fn refuse_select_extras(&self, select: &Select) -> Derived<()> {
        let span = select.select_token.0.span;
        let refuse = |what: &str| Err(self.unsupported(what.to_string(), span));
        if select.top.is_some() {
            return refuse("`TOP`");
        }
        if select.into.is_some() {
            return refuse("`SELECT ... INTO`");
        }
        if !select.lateral_views.is_empty() {
            return refuse("`LATERAL VIEW`");
        }
        if select.prewhere.is_some() {
            return refuse("`PREWHERE`");
        }
        if !select.connect_by.is_empty() {
            return refuse("`CONNECT BY`");
        }
        if !select.cluster_by.is_empty()
            || !select.distribute_by.is_empty()
            || !select.sort_by.is_empty()
        {
            return refuse("`CLUSTER BY`/`DISTRIBUTE BY`/`SORT BY`");
        }
        if !select.named_window.is_empty() {
            return refuse("a named `WINDOW` clause; write the window in `OVER (...)`");
        }
        if let Some(q) = &select.qualify {
            return Err(self.unsupported("`QUALIFY`", q.span()));
        }
        if select.exclude.is_some() {
            return refuse("`EXCLUDE`");
        }
        Ok(())
    }

    /// The facts of an aggregation: it keeps its groups (writes state), and
    /// is order-sensitive over its grouping columns unless it is a monotone
    /// threshold (the paper's THRESH) or a `GROUP BY` without aggregates.
    fn aggregation(
        &mut self,
        select: &Select,
        read: &SelectRead,
        aggregated: bool,
        gate: AttrSet,
        inputs: &BTreeSet<String>,
    ) {
        let columns = &read.columns;
        let group_by = group_exprs(select);
        let group_clause = format!("GROUP BY {}", join_display(group_by));
        let group_span = group_by
            .iter()
            .fold(Span::empty(), |s, e| s.union(&e.span()));
        let group_span = if group_by.is_empty() {
            select.select_token.0.span
        } else {
            group_span
        };
        let keeps = self.reason(
            group_span,
            &["GROUP", "BY"],
            if group_by.is_empty() {
                "an aggregate over the whole input".to_string()
            } else {
                group_clause
            },
            "an aggregation keeps its groups",
        );
        self.facts.writes(inputs, &keeps);
        let projected = select
            .projection
            .iter()
            .zip(columns)
            .find(|(_, c)| c.lineage.is_aggregate());
        match &select.having {
            Some(having) if read.monotone_having => {
                let reason = self.reason(
                    having.span(),
                    &["HAVING"],
                    format!("HAVING {having}"),
                    "a monotone threshold, the paper's THRESH: once it holds it keeps holding",
                );
                if let Some((item, _)) = projected {
                    let order = self.reason(
                        item.span(),
                        &[],
                        item,
                        "it shows a running aggregate that changes as rows arrive",
                    );
                    self.facts.order(inputs, &gate, &order);
                } else {
                    self.facts.confluent(inputs, &reason);
                }
            }
            Some(having) => {
                let reason = self.reason(
                    having.span(),
                    &["HAVING"],
                    format!("HAVING {having}"),
                    "a group's answer can change as rows arrive",
                );
                self.facts.order(inputs, &gate, &reason);
            }
            None if aggregated => {
                let reason = match projected {
                    Some((item, _)) => self.reason(
                        item.span(),
                        &[],
                        item,
                        "it shows a running aggregate that changes as rows arrive",
                    ),
                    None => Reason {
                        why: "its aggregates change as rows arrive".into(),
                        ..keeps
                    },
                };
                self.facts.order(inputs, &gate, &reason);
            }
            None => {
                let reason = Reason {
                    why: "a GROUP BY without aggregates is a DISTINCT: monotone".into(),
                    ..keeps
                };
                self.facts.confluent(inputs, &reason);
            }
        }
    }
}

/// What the clauses of a `SELECT` give, before its facts are recorded.
struct SelectRead {
    inputs: BTreeSet<String>,
    columns: Vec<Col>,
    group_gate: AttrSet,
    distinct_gate: AttrSet,
    monotone_having: bool,
}

/// The expressions of a plain `GROUP BY`.
fn group_exprs(select: &Select) -> &[Expr] {
    match &select.group_by {
        GroupByExpr::Expressions(exprs, _) => exprs,
        GroupByExpr::All(_) => &[],
    }
}

/// Closes a gate under the equalities of a `SELECT`'s conjuncts: in a group
/// where `x = v` and `x = y` holds on every row, `y = v` too.
fn close(mut gate: AttrSet, equalities: &[AttrSet]) -> AttrSet {
    if gate.is_empty() {
        return gate;
    }
    loop {
        let before = gate.len();
        for eq in equalities {
            if !eq.is_disjoint(&gate) {
                gate.extend(eq.iter().cloned());
            }
        }
        if gate.len() == before {
            return gate;
        }
    }
}

/// `ALL`, `DISTINCT` or nothing, after a set operator.
fn quantifier_text(q: SetQuantifier) -> String {
    match q {
        SetQuantifier::None => String::new(),
        other => format!(" {other}"),
    }
}

/// The first two words of a statement, to name it.
pub(crate) fn first_words(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Items joined by commas.
pub(crate) fn join_display<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn a_gate_grows_along_chains_of_equalities() {
        let eqs = [
            attrs(["id", "ad"]),
            attrs(["ad", "item"]),
            attrs(["x", "y"]),
        ];
        assert_eq!(close(attrs(["id"]), &eqs), attrs(["ad", "id", "item"]));
    }

    #[test]
    fn an_empty_gate_stays_empty() {
        assert!(close(AttrSet::new(), &[attrs(["a", "b"])]).is_empty());
    }
}
