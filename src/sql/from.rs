//! The `FROM` clause (issue 12): which of the view's inputs a `SELECT`
//! reads, under which names, and what its joins make of them. Joins of
//! streams are monotone but keep each side to match the other's later rows
//! (they write state); outer and anti joins are non-monotone over the
//! columns of their condition. `TUMBLE`/`HOP` window table functions add
//! `window_start`/`window_end`, which name the windows.

use std::collections::BTreeSet;

use blazes_core::AttrSet;
use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Join, JoinConstraint, JoinOperator, Spanned, TableAlias,
    TableFactor, TableFunctionArgs, TableWithJoins,
};

use super::derive::{Derived, Deriver};
use super::error::ErrorKind;
use super::exprs::ExprCtx;
use super::facts::Reason;
use super::lineage::Lineage;
use super::names;
use super::scope::{Col, Scope, ScopeRel};

/// The keywords that may precede a joined relation.
const JOIN_WORDS: [&str; 10] = [
    "NATURAL", "LEFT", "RIGHT", "FULL", "INNER", "CROSS", "OUTER", "SEMI", "ANTI", "JOIN",
];

/// How a join combines its sides.
enum JoinKind {
    /// Inner, cross or semi: monotone.
    Monotone,
    /// Outer: a padded row is withdrawn when its match arrives.
    Outer,
    /// Anti: a row is withdrawn when its match arrives on the right.
    AntiRight,
    /// Anti with the sides swapped.
    AntiLeft,
}

/// The view's inputs read by these relations.
fn inputs_of(rels: &[ScopeRel]) -> BTreeSet<String> {
    rels.iter().flat_map(|r| r.inputs.iter().cloned()).collect()
}

impl Deriver<'_> {
    /// The relations of a `FROM` clause.
    pub(crate) fn from(
        &mut self,
        from: &[TableWithJoins],
        parent: Option<&Scope>,
    ) -> Derived<Vec<ScopeRel>> {
        let mut all: Vec<ScopeRel> = Vec::new();
        for item in from {
            let rels = self.table_with_joins(item, parent)?;
            for r in &rels {
                if !r.qualifier.is_empty() && all.iter().any(|a| a.qualifier == r.qualifier) {
                    return Err(self.error(
                        ErrorKind::Lineage(format!(
                            "`{}` names two relations in one FROM: give one an alias",
                            r.qualifier
                        )),
                        item.relation.span(),
                    ));
                }
            }
            all.extend(rels);
        }
        if let [_, second, ..] = from {
            let clause = format!("FROM {}", super::derive::join_display(from));
            let reason = self.reason(
                second.relation.span(),
                &[","],
                clause,
                "a join keeps each side to match the other's later rows",
            );
            self.facts.writes(&inputs_of(&all), &reason);
        }
        Ok(all)
    }

    /// A relation and its joins.
    fn table_with_joins(
        &mut self,
        item: &TableWithJoins,
        parent: Option<&Scope>,
    ) -> Derived<Vec<ScopeRel>> {
        let mut rels = self.factor(&item.relation, parent)?;
        for join in &item.joins {
            rels = self.join(rels, join, parent)?;
        }
        Ok(rels)
    }

    /// One `JOIN`.
    fn join(
        &mut self,
        left: Vec<ScopeRel>,
        join: &Join,
        parent: Option<&Scope>,
    ) -> Derived<Vec<ScopeRel>> {
        let right = self.factor(&join.relation, parent)?;
        let (left_inputs, right_inputs) = (inputs_of(&left), inputs_of(&right));
        let (kind, constraint) = match &join.join_operator {
            JoinOperator::Join(c)
            | JoinOperator::Inner(c)
            | JoinOperator::CrossJoin(c)
            | JoinOperator::StraightJoin(c)
            | JoinOperator::Semi(c)
            | JoinOperator::LeftSemi(c)
            | JoinOperator::RightSemi(c) => (JoinKind::Monotone, c),
            JoinOperator::Left(c)
            | JoinOperator::LeftOuter(c)
            | JoinOperator::Right(c)
            | JoinOperator::RightOuter(c)
            | JoinOperator::FullOuter(c) => (JoinKind::Outer, c),
            JoinOperator::Anti(c) | JoinOperator::LeftAnti(c) => (JoinKind::AntiRight, c),
            JoinOperator::RightAnti(c) => (JoinKind::AntiLeft, c),
            _ => {
                return Err(self.unsupported(
                    format!("the join `{}`", super::text::one_line(&join.to_string())),
                    join.span(),
                ));
            }
        };
        let mut combined = left.clone();
        combined.extend(right.iter().cloned());
        let scope = Scope {
            relations: combined,
            parent,
        };
        let on_attrs = match constraint {
            JoinConstraint::On(expr) => {
                self.expr(expr, &scope, ExprCtx::join_on())?;
                self.equality_attrs(expr, &scope)
            }
            JoinConstraint::Using(columns) => {
                let mut attrs = AttrSet::new();
                for column in columns {
                    let (name, id) =
                        names::object(column).map_err(|k| self.error(k, column.span()))?;
                    for side in [&left, &right] {
                        let side_scope = Scope {
                            relations: side.clone(),
                            parent: None,
                        };
                        match side_scope.resolve(None, &name) {
                            super::scope::Resolved::Found { lineage, .. } => {
                                attrs.extend(lineage.gate_attrs())
                            }
                            _ => {
                                return Err(
                                    self.error(ErrorKind::UnknownColumn(name.clone()), id.span)
                                );
                            }
                        }
                    }
                }
                attrs
            }
            JoinConstraint::Natural => {
                return Err(self.unsupported(
                    "`NATURAL JOIN`; write the join condition with ON",
                    join.span(),
                ));
            }
            JoinConstraint::None | JoinConstraint::UsingAlias(..) => AttrSet::new(),
        };
        let all: BTreeSet<String> = left_inputs.union(&right_inputs).cloned().collect();
        let clause = super::text::one_line(&join.to_string());
        let span = join.span();
        let keeps = self.reason(
            span,
            &JOIN_WORDS,
            &clause,
            "a join keeps each side to match the other's later rows",
        );
        match kind {
            JoinKind::Monotone | JoinKind::Outer => self.facts.writes(&all, &keeps),
            // An anti-join keeps only the side it checks against.
            JoinKind::AntiRight => self.facts.writes(&right_inputs, &keeps),
            JoinKind::AntiLeft => self.facts.writes(&left_inputs, &keeps),
        }
        match kind {
            JoinKind::Monotone => {}
            JoinKind::Outer => {
                let reason = Reason {
                    why: "a row padded with NULLs is withdrawn when its match arrives".into(),
                    ..keeps
                };
                self.facts.order(&all, &on_attrs, &reason);
            }
            JoinKind::AntiRight | JoinKind::AntiLeft => {
                let (kept, negated) = match kind {
                    JoinKind::AntiRight => (&left_inputs, &right_inputs),
                    _ => (&right_inputs, &left_inputs),
                };
                let removes = Reason {
                    why: "a later match removes an answer already given".into(),
                    ..keeps.clone()
                };
                self.facts.order(negated, &on_attrs, &removes);
                let checks = Reason {
                    why: "each row is checked against the other side as it is when the row arrives"
                        .into(),
                    ..keeps
                };
                self.facts.order(kept, &on_attrs, &checks);
            }
        }
        Ok(match kind {
            JoinKind::AntiRight => left,
            JoinKind::AntiLeft => right,
            _ => scope.relations,
        })
    }

    /// One relation of a `FROM`: a table or view, a window table function,
    /// a subquery, or a parenthesised join.
    fn factor(&mut self, factor: &TableFactor, parent: Option<&Scope>) -> Derived<Vec<ScopeRel>> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                let (relation, id) = names::object(name).map_err(|k| self.error(k, name.span()))?;
                let rel = self.input(
                    &relation,
                    id.span,
                    alias.as_ref().map(|a| names::ident(&a.name)),
                )?;
                Ok(vec![self.renamed(rel, alias.as_ref())?])
            }
            TableFactor::Table {
                name,
                alias,
                args: Some(args),
                ..
            } => {
                let rel = self.window_table(name, args, factor)?;
                let rel = ScopeRel {
                    qualifier: alias
                        .as_ref()
                        .map_or(rel.qualifier.clone(), |a| names::ident(&a.name)),
                    ..rel
                };
                Ok(vec![self.renamed(rel, alias.as_ref())?])
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                if *lateral {
                    return Err(self.unsupported("`LATERAL` subqueries", factor.span()));
                }
                let derived = self.query(subquery, None)?;
                let rel = ScopeRel {
                    qualifier: alias
                        .as_ref()
                        .map_or(String::new(), |a| names::ident(&a.name)),
                    columns: derived.columns,
                    inputs: derived.inputs,
                };
                Ok(vec![self.renamed(rel, alias.as_ref())?])
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.table_with_joins(table_with_joins, parent),
            other => Err(self.unsupported(
                format!(
                    "the table expression `{}`",
                    super::text::one_line(&other.to_string())
                ),
                other.span(),
            )),
        }
    }

    /// A table or earlier view read as an input of the view.
    fn input(
        &mut self,
        relation: &str,
        span: sqlparser::tokenizer::Span,
        alias: Option<String>,
    ) -> Derived<ScopeRel> {
        let Some(columns) = self.catalog().get(relation) else {
            return Err(self.error(ErrorKind::UnknownRelation(relation.to_string()), span));
        };
        *self.reads.entry(relation.to_string()).or_default() += 1;
        // In a self-join a row of the view may hold two rows of the input:
        // a column is then a function of the input's attribute, not it.
        let repeated = self.repeated.contains(relation);
        let columns = columns
            .iter()
            .map(|c| Col {
                name: Some(c.name.clone()),
                lineage: if repeated {
                    Lineage::Derived {
                        deps: AttrSet::from([c.name.clone()]),
                    }
                } else {
                    Lineage::attr(&c.name, c.nonneg)
                },
            })
            .collect();
        let at = self.at(span);
        self.facts.read(relation, at);
        Ok(ScopeRel {
            qualifier: alias.unwrap_or_else(|| relation.to_string()),
            columns,
            inputs: BTreeSet::from([relation.to_string()]),
        })
    }

    /// `TUMBLE(t, ts, size)` or `HOP(t, ts, slide, size)` (RisingWave's
    /// window table functions): `t`'s columns, and `window_start` and
    /// `window_end`, computed from `ts`.
    fn window_table(
        &mut self,
        name: &sqlparser::ast::ObjectName,
        args: &TableFunctionArgs,
        factor: &TableFactor,
    ) -> Derived<ScopeRel> {
        let (function, _) = names::object(name).map_err(|k| self.error(k, name.span()))?;
        if function != "tumble" && function != "hop" {
            return Err(self.unsupported(
                format!("the table function `{function}` (only TUMBLE and HOP are read)"),
                factor.span(),
            ));
        }
        let expr_of = |arg: Option<&FunctionArg>| match arg {
            Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(e))) => Some(e.clone()),
            _ => None,
        };
        let usage = || {
            self.unsupported(
                format!(
                    "this form of `{}`: write {}(table, time_column, INTERVAL ...)",
                    function.to_uppercase(),
                    function.to_uppercase()
                ),
                factor.span(),
            )
        };
        let (Some(Expr::Identifier(table)), Some(time)) =
            (expr_of(args.args.first()), expr_of(args.args.get(1)))
        else {
            return Err(usage());
        };
        let time = match time {
            Expr::Identifier(id) => id,
            Expr::Function(f) if names::object(&f.name).is_ok_and(|(n, _)| n == "descriptor") => {
                match &f.args {
                    sqlparser::ast::FunctionArguments::List(list) => match list.args.as_slice() {
                        [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(id)))] => {
                            id.clone()
                        }
                        _ => return Err(usage()),
                    },
                    _ => return Err(usage()),
                }
            }
            _ => return Err(usage()),
        };
        let relation = names::ident(&table);
        let mut rel = self.input(&relation, table.span, None)?;
        let time_name = names::ident(&time);
        if !rel
            .columns
            .iter()
            .any(|c| c.name.as_deref() == Some(time_name.as_str()))
        {
            return Err(self.error(
                ErrorKind::UnknownColumn(format!("{relation}.{time_name}")),
                time.span,
            ));
        }
        for bound in ["window_start", "window_end"] {
            rel.columns.push(Col {
                name: Some(bound.to_string()),
                lineage: Lineage::Window {
                    bound: bound.to_string(),
                    time: time_name.clone(),
                    exact: function == "tumble",
                },
            });
        }
        Ok(rel)
    }

    /// Applies `AS alias (a, b, ...)` column names.
    fn renamed(&self, mut rel: ScopeRel, alias: Option<&TableAlias>) -> Derived<ScopeRel> {
        let Some(alias) = alias else {
            return Ok(rel);
        };
        if alias.columns.len() > rel.columns.len() {
            return Err(self.error(
                ErrorKind::Lineage(format!(
                    "`{}` names {} columns but the relation has {}",
                    alias,
                    alias.columns.len(),
                    rel.columns.len()
                )),
                alias.name.span,
            ));
        }
        for (col, new) in rel.columns.iter_mut().zip(&alias.columns) {
            col.name = Some(names::ident(&new.name));
        }
        Ok(rel)
    }
}
