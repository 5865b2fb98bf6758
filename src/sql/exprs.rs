//! Expressions (issue 12): the lineage of each expression, the aggregates and
//! window functions it calls, and its subquery predicates: `IN`/`EXISTS` are
//! semi-joins (monotone), `NOT IN`/`NOT EXISTS` anti-joins (non-monotone over
//! their correlated columns). A subquery under `NOT`, `CASE` or a function is
//! taken as negated, the sound choice. Also the monotone thresholds of the
//! paper's THRESH (`HAVING COUNT(*) > c`).

use blazes_core::AttrSet;
use sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, InTarget,
    Query, Spanned, UnaryOperator, Value, WindowType,
};
use sqlparser::tokenizer::Span;

use super::derive::{Derived, Deriver};
use super::error::ErrorKind;
use super::facts::Reason;
use super::functions::{self, FunctionKind};
use super::lineage::Lineage;
use super::names;
use super::scope::{Resolved, Scope};

/// Whether a predicate's truth adds rows (positive) or removes them (negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Polarity {
    /// Under `AND`/`OR` of a `WHERE`: more matches, more rows.
    Positive,
    /// Under one `NOT`.
    Negative,
    /// Inside an expression whose truth is not a row filter (`CASE`, a
    /// comparison, a function argument): taken as negative.
    Unknown,
}

/// Where an expression stands.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExprCtx {
    /// Aggregates and window functions may be called here.
    aggregates: bool,
    /// The polarity of a predicate here.
    polarity: Polarity,
    /// A conjunct of the `WHERE`/`ON`: an equality here holds on every row.
    conjunct: bool,
    /// The clause, for error messages.
    clause: &'static str,
}

impl ExprCtx {
    /// A `WHERE` condition.
    pub fn condition() -> ExprCtx {
        ExprCtx {
            aggregates: false,
            polarity: Polarity::Positive,
            conjunct: true,
            clause: "WHERE",
        }
    }

    /// A join's `ON` condition.
    pub fn join_on() -> ExprCtx {
        ExprCtx {
            clause: "ON",
            ..ExprCtx::condition()
        }
    }

    /// A `HAVING` condition.
    pub fn having() -> ExprCtx {
        ExprCtx {
            aggregates: true,
            conjunct: false,
            clause: "HAVING",
            ..ExprCtx::condition()
        }
    }

    /// An item of the `SELECT` list.
    pub fn select() -> ExprCtx {
        ExprCtx {
            aggregates: true,
            polarity: Polarity::Unknown,
            conjunct: false,
            clause: "SELECT",
        }
    }

    /// A key: `GROUP BY`, `PARTITION BY`, `DISTINCT ON`.
    pub fn key() -> ExprCtx {
        ExprCtx {
            aggregates: false,
            polarity: Polarity::Unknown,
            conjunct: false,
            clause: "a key",
        }
    }

    /// Inside a non-boolean operator.
    fn inner(self) -> ExprCtx {
        ExprCtx {
            polarity: Polarity::Unknown,
            conjunct: false,
            ..self
        }
    }

    /// Under `NOT`.
    fn negated(self) -> ExprCtx {
        ExprCtx {
            polarity: match self.polarity {
                Polarity::Positive => Polarity::Negative,
                Polarity::Negative => Polarity::Positive,
                Polarity::Unknown => Polarity::Unknown,
            },
            conjunct: false,
            ..self
        }
    }

    /// True when a predicate `negated` here removes rows as matches arrive.
    fn removes(self, negated: bool) -> bool {
        match self.polarity {
            Polarity::Positive => negated,
            Polarity::Negative => !negated,
            Polarity::Unknown => true,
        }
    }
}

impl Deriver<'_> {
    /// The lineage of an expression; records the aggregates, window
    /// functions, equalities and subquery predicates it holds.
    pub(crate) fn expr(&mut self, e: &Expr, scope: &Scope, ctx: ExprCtx) -> Derived<Lineage> {
        match e {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                self.column(e, scope).map(|(lineage, _)| lineage)
            }
            Expr::Value(_) | Expr::TypedString(_) | Expr::Interval(_) => Ok(Lineage::constant()),
            Expr::Nested(inner) => self.expr(inner, scope, ctx),
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => self.expr(expr, scope, ctx.negated()),
            Expr::UnaryOp { expr, .. } => self.expr(expr, scope, ctx.inner()),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                let l = self.expr(left, scope, ctx)?;
                let r = self.expr(right, scope, ctx)?;
                Ok(Lineage::combine([l, r]))
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                let ctx = ExprCtx {
                    conjunct: false,
                    ..ctx
                };
                let l = self.expr(left, scope, ctx)?;
                let r = self.expr(right, scope, ctx)?;
                Ok(Lineage::combine([l, r]))
            }
            Expr::BinaryOp { left, op, right } => {
                if *op == BinaryOperator::Eq && ctx.conjunct && ctx.polarity == Polarity::Positive {
                    self.equality(left, right, scope)?;
                }
                let l = self.expr(left, scope, ctx.inner())?;
                let r = self.expr(right, scope, ctx.inner())?;
                Ok(Lineage::combine([l, r]))
            }
            Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::IsTrue(x)
            | Expr::IsNotTrue(x)
            | Expr::IsFalse(x)
            | Expr::IsNotFalse(x)
            | Expr::IsUnknown(x)
            | Expr::IsNotUnknown(x)
            | Expr::Cast { expr: x, .. }
            | Expr::Collate { expr: x, .. }
            | Expr::Extract { expr: x, .. }
            | Expr::Ceil { expr: x, .. }
            | Expr::Floor { expr: x, .. } => self.expr(x, scope, ctx.inner()),
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                self.all(&[a.as_ref(), b.as_ref()], scope, ctx.inner())
            }
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => self.all(
                &[timestamp.as_ref(), time_zone.as_ref()],
                scope,
                ctx.inner(),
            ),
            Expr::Between {
                expr, low, high, ..
            } => self.all(
                &[expr.as_ref(), low.as_ref(), high.as_ref()],
                scope,
                ctx.inner(),
            ),
            Expr::Like { expr, pattern, .. }
            | Expr::ILike { expr, pattern, .. }
            | Expr::SimilarTo { expr, pattern, .. } => {
                self.all(&[expr.as_ref(), pattern.as_ref()], scope, ctx.inner())
            }
            Expr::In {
                expr,
                target: InTarget::List(list),
                ..
            } => {
                let mut parts = vec![self.expr(expr, scope, ctx.inner())?];
                for item in list {
                    parts.push(self.expr(item, scope, ctx.inner())?);
                }
                Ok(Lineage::combine(parts))
            }
            Expr::In {
                expr,
                target: InTarget::Subquery(query),
                negated,
                ..
            } => self.subquery_predicate(Some(expr), query, *negated, scope, ctx, e),
            Expr::Exists { subquery, negated } => {
                self.subquery_predicate(None, subquery, *negated, scope, ctx, e)
            }
            Expr::Subquery(query) => Err(self.unsupported(
                "a scalar subquery; read its relation with a join, or make it a view",
                query.span(),
            )),
            Expr::Function(f) => self.function(f, scope, ctx, e),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let mut parts = Vec::new();
                for x in operand.iter().chain(else_result.iter()) {
                    parts.push(self.expr(x, scope, ctx.inner())?);
                }
                for when in conditions {
                    parts.push(self.expr(&when.condition, scope, ctx.inner())?);
                    parts.push(self.expr(&when.result, scope, ctx.inner())?);
                }
                Ok(Lineage::combine(parts))
            }
            Expr::Tuple(items) => {
                let items: Vec<&Expr> = items.iter().collect();
                self.all(&items, scope, ctx.inner())
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut items = vec![expr.as_ref()];
                items.extend(substring_from.as_deref());
                items.extend(substring_for.as_deref());
                self.all(&items, scope, ctx.inner())
            }
            Expr::Trim {
                expr, trim_what, ..
            } => {
                let mut items = vec![expr.as_ref()];
                items.extend(trim_what.as_deref());
                self.all(&items, scope, ctx.inner())
            }
            Expr::Position { expr, r#in } => {
                self.all(&[expr.as_ref(), r#in.as_ref()], scope, ctx.inner())
            }
            other => Err(self.unsupported(
                format!(
                    "the expression `{}`",
                    super::text::one_line(&other.to_string())
                ),
                other.span(),
            )),
        }
    }

    /// The combined lineage of several expressions.
    fn all(&mut self, items: &[&Expr], scope: &Scope, ctx: ExprCtx) -> Derived<Lineage> {
        let mut parts = Vec::with_capacity(items.len());
        for item in items {
            parts.push(self.expr(item, scope, ctx)?);
        }
        Ok(Lineage::combine(parts))
    }

    /// A column reference: its lineage and how many scopes out it is.
    fn column(&self, e: &Expr, scope: &Scope) -> Derived<(Lineage, usize)> {
        let (qualifier, id) = match e {
            Expr::Identifier(id) => (None, id),
            Expr::CompoundIdentifier(ids) => match ids.as_slice() {
                [q, c] => (Some(names::ident(q)), c),
                _ => {
                    return Err(self.unsupported(
                        format!("the qualified column `{e}` (schemas, nested fields)"),
                        e.span(),
                    ));
                }
            },
            _ => return Err(self.unsupported(format!("`{e}`"), e.span())),
        };
        let name = names::ident(id);
        let shown = match &qualifier {
            Some(q) => format!("{q}.{name}"),
            None => name.clone(),
        };
        match scope.resolve(qualifier.as_deref(), &name) {
            Resolved::Found { lineage, depth } => Ok((lineage, depth)),
            Resolved::Unknown => Err(self.error(ErrorKind::UnknownColumn(shown), e.span())),
            Resolved::Ambiguous => Err(self.error(ErrorKind::AmbiguousColumn(shown), e.span())),
        }
    }

    /// Records `left = right` between two columns: an equality that holds on
    /// every row (both in this query) or a correlation (one outside).
    fn equality(&mut self, left: &Expr, right: &Expr, scope: &Scope) -> Derived<()> {
        let is_column = |e: &Expr| matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
        if !is_column(left) || !is_column(right) {
            return Ok(());
        }
        let (l, ld) = self.column(left, scope)?;
        let (r, rd) = self.column(right, scope)?;
        let attrs: AttrSet = l.gate_attrs().union(&r.gate_attrs()).cloned().collect();
        if let Some(state) = self.selects.last_mut() {
            if ld == 0 && rd == 0 {
                state.equalities.push(attrs);
            } else if (ld == 0) != (rd == 0) {
                state.correlated.extend(attrs);
            }
        }
        Ok(())
    }

    /// The attributes of the column equalities among the conjuncts of `e`.
    pub(crate) fn equality_attrs(&self, e: &Expr, scope: &Scope) -> AttrSet {
        let mut attrs = AttrSet::new();
        match e {
            Expr::Nested(inner) => attrs.extend(self.equality_attrs(inner, scope)),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                attrs.extend(self.equality_attrs(left, scope));
                attrs.extend(self.equality_attrs(right, scope));
            }
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => {
                for side in [left, right] {
                    if let Ok((lineage, _)) = self.column(side, scope) {
                        attrs.extend(lineage.gate_attrs());
                    }
                }
            }
            _ => {}
        }
        attrs
    }

    /// `x [NOT] IN (subquery)` and `[NOT] EXISTS (subquery)`.
    fn subquery_predicate(
        &mut self,
        lhs: Option<&Expr>,
        query: &Query,
        negated: bool,
        scope: &Scope,
        ctx: ExprCtx,
        whole: &Expr,
    ) -> Derived<Lineage> {
        let lhs_lineage = match lhs {
            Some(l) => Some(self.expr(l, scope, ctx.inner())?),
            None => None,
        };
        let rel = self.query(query, Some(scope))?;
        let mut gate = rel.correlated.clone();
        if let Some(l) = &lhs_lineage {
            let [column] = rel.columns.as_slice() else {
                return Err(self.error(
                    ErrorKind::Lineage(format!(
                        "the subquery of `IN` selects {} columns; it should select one",
                        rel.columns.len()
                    )),
                    query.span(),
                ));
            };
            gate.extend(l.gate_attrs());
            gate.extend(column.lineage.gate_attrs());
        }
        let outer = scope.inputs();
        if let Some(state) = self.selects.last_mut() {
            state.subquery_inputs.extend(rel.inputs.iter().cloned());
        }
        let span = whole.span().union(&query.span());
        let keywords = ["NOT", "EXISTS"];
        let shown = inputs_text(&rel.inputs);
        if ctx.removes(negated) {
            let context = match ctx.polarity {
                Polarity::Positive => "",
                Polarity::Negative => " (under NOT)",
                Polarity::Unknown => " (inside an expression, taken as an anti-join)",
            };
            let removes = self.reason(
                span,
                &keywords,
                whole,
                format!("a later row of {shown} removes an answer already given{context}"),
            );
            self.facts.order(&rel.inputs, &gate, &removes);
            let kept = Reason {
                why: "the anti-join keeps the rows it checks against".into(),
                ..removes.clone()
            };
            self.facts.writes(&rel.inputs, &kept);
            let checks = Reason {
                why: format!("each row is checked against {shown} as it is when the row arrives"),
                ..removes
            };
            self.facts.order(&outer, &gate, &checks);
        } else {
            let keeps = self.reason(
                span,
                &keywords,
                whole,
                "a semi-join keeps both sides to match later rows",
            );
            let both = outer.union(&rel.inputs).cloned().collect();
            self.facts.writes(&both, &keeps);
        }
        Ok(Lineage::combine(lhs_lineage))
    }

    /// A function call: aggregate, window function or scalar.
    fn function(
        &mut self,
        f: &Function,
        scope: &Scope,
        ctx: ExprCtx,
        whole: &Expr,
    ) -> Derived<Lineage> {
        let (name, _) = names::object(&f.name).map_err(|k| self.error(k, f.name.span()))?;
        let Some(kind) = functions::kind(&name) else {
            return Err(self.error(ErrorKind::UnknownFunction(name), f.name.span()));
        };
        let args = match &f.args {
            FunctionArguments::None => Vec::new(),
            FunctionArguments::List(list) => list.args.iter().collect(),
            FunctionArguments::Subquery(q) => {
                return Err(self.unsupported("a subquery as a function argument", q.span()));
            }
        };
        // A scalar function may wrap an aggregate where aggregates are
        // allowed (`COALESCE(SUM(x), 0)`, `ROUND(AVG(x), 2)`); an aggregate
        // or window function may not take one as its argument.
        let inner = ExprCtx {
            aggregates: ctx.aggregates && kind == FunctionKind::Scalar && f.over.is_none(),
            ..ctx.inner()
        };
        let mut parts = Vec::new();
        for arg in args {
            let e = match arg {
                FunctionArg::Unnamed(a) | FunctionArg::Named { arg: a, .. } => a,
                FunctionArg::ExprNamed { arg: a, .. } => a,
            };
            match e {
                FunctionArgExpr::Expr(x) => parts.push(self.expr(x, scope, inner)?),
                _ => parts.push(Lineage::constant()),
            }
        }
        if let Some(filter) = &f.filter {
            self.expr(filter, scope, inner)?;
        }
        if let Some(over) = &f.over {
            return self.window_function(f, &name, kind, over, scope, ctx, whole);
        }
        match kind {
            FunctionKind::Aggregate => {
                if !ctx.aggregates {
                    return Err(self.unsupported(
                        format!("the aggregate `{whole}` in {}", ctx.clause),
                        whole.span(),
                    ));
                }
                if let Some(state) = self.selects.last_mut() {
                    state.aggregated = true;
                }
                Ok(Lineage::Aggregate)
            }
            FunctionKind::WindowOnly => Err(self.unsupported(
                format!("`{name}` without OVER (...)"),
                whole.span(),
            )),
            FunctionKind::NonDeterministic => {
                let reason = self.reason(
                    whole.span(),
                    &[],
                    whole,
                    "its value depends on when a row is processed, not on the input",
                );
                if let Some(state) = self.selects.last_mut() {
                    state.nondeterministic.push(reason);
                }
                Ok(Lineage::Opaque)
            }
            FunctionKind::Scalar => Ok(Lineage::combine(parts)),
            FunctionKind::WindowExpression => Err(self.unsupported(
                format!(
                    "`{whole}` as an expression (Arroyo's window syntax); use the window table function FROM {}(table, time_column, INTERVAL ...)",
                    name.to_uppercase()
                ),
                whole.span(),
            )),
        }
    }

    /// `f(...) OVER (PARTITION BY ...)`: order-sensitive over its partition.
    #[allow(clippy::too_many_arguments)]
    fn window_function(
        &mut self,
        f: &Function,
        name: &str,
        kind: FunctionKind,
        over: &WindowType,
        scope: &Scope,
        ctx: ExprCtx,
        whole: &Expr,
    ) -> Derived<Lineage> {
        let spec = match over {
            WindowType::WindowSpec(spec) if spec.window_name.is_none() => spec,
            _ => {
                return Err(self.unsupported(
                    "a named window; write the window in OVER (...)",
                    whole.span(),
                ));
            }
        };
        if !matches!(kind, FunctionKind::Aggregate | FunctionKind::WindowOnly) {
            return Err(self.unsupported(format!("`{name}` with OVER (...)"), whole.span()));
        }
        if !ctx.aggregates {
            return Err(self.unsupported(
                format!("the window function `{whole}` in {}", ctx.clause),
                whole.span(),
            ));
        }
        let mut gate = AttrSet::new();
        let mut span: Span = f.span();
        for p in &spec.partition_by {
            gate.extend(self.expr(p, scope, ExprCtx::key())?.gate_attrs());
            span = span.union(&p.span());
        }
        for o in &spec.order_by {
            self.expr(&o.expr, scope, ExprCtx::key())?;
            span = span.union(&o.expr.span());
        }
        let reason = self.reason(
            span,
            &[],
            whole,
            "its value depends on which rows of its partition arrived before",
        );
        if let Some(state) = self.selects.last_mut() {
            state.windows.push((gate, reason));
        }
        Ok(Lineage::Aggregate)
    }

    /// True when `having` is a conjunction of monotone thresholds: `COUNT`,
    /// `SUM` over a non-negative column, or `MAX` above a constant, or `MIN`
    /// below one. Once such a condition holds, more rows keep it holding.
    pub(crate) fn is_threshold(&self, having: &Expr, scope: &Scope) -> bool {
        match having {
            Expr::Nested(inner) => self.is_threshold(inner, scope),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => self.is_threshold(left, scope) && self.is_threshold(right, scope),
            Expr::BinaryOp { left, op, right } => {
                let (aggregate, op) = if is_number(right) {
                    (left.as_ref(), op.clone())
                } else if is_number(left) {
                    (right.as_ref(), flip(op))
                } else {
                    return false;
                };
                match op {
                    BinaryOperator::Gt | BinaryOperator::GtEq => self.grows(aggregate, scope),
                    BinaryOperator::Lt | BinaryOperator::LtEq => shrinks(aggregate),
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// `COUNT(..)`, `MAX(..)`, or `SUM(c)` of a non-negative column.
    fn grows(&self, e: &Expr, scope: &Scope) -> bool {
        let Some((name, args)) = plain_aggregate(e) else {
            return false;
        };
        match name.as_str() {
            "count" | "max" => true,
            "sum" => matches!(args.as_slice(), [FunctionArg::Unnamed(FunctionArgExpr::Expr(c))]
                if self.column(c, scope).is_ok_and(|(l, _)| l.is_nonneg())),
            _ => false,
        }
    }
}

/// `MIN(..)`: only falls as rows arrive.
fn shrinks(e: &Expr) -> bool {
    plain_aggregate(e).is_some_and(|(name, _)| name == "min")
}

/// An aggregate call without `OVER`: its name and arguments.
fn plain_aggregate(e: &Expr) -> Option<(String, Vec<FunctionArg>)> {
    let Expr::Function(f) = e else {
        return None;
    };
    if f.over.is_some() {
        return None;
    }
    let (name, _) = names::object(&f.name).ok()?;
    let args = match &f.args {
        FunctionArguments::List(list) => list.args.clone(),
        _ => Vec::new(),
    };
    Some((name, args))
}

/// A numeric literal, possibly negated.
fn is_number(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(v.value, Value::Number(..)),
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => is_number(expr),
        Expr::Nested(inner) => is_number(inner),
        _ => false,
    }
}

/// `c < x` is `x > c`.
fn flip(op: &BinaryOperator) -> BinaryOperator {
    match op {
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        other => other.clone(),
    }
}

/// `` `a` `` or `` `a`, `b` ``.
fn inputs_text(inputs: &std::collections::BTreeSet<String>) -> String {
    inputs
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
