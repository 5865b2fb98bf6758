//! The `SELECT` list and `GROUP BY` keys (issue 12): the columns a query
//! produces, each with its lineage, and the lineage of each grouping key
//! (a column, a `SELECT` alias, or a position in the list).

use sqlparser::ast::{Expr, SelectItem, SelectItemQualifiedWildcardKind, Spanned, Value};

use super::derive::{Derived, Deriver};
use super::error::ErrorKind;
use super::exprs::ExprCtx;
use super::lineage::Lineage;
use super::names;
use super::scope::{Col, Resolved, Scope};

impl Deriver<'_> {
    /// The columns of a `SELECT` list.
    pub(crate) fn projection(&mut self, items: &[SelectItem], scope: &Scope) -> Derived<Vec<Col>> {
        let mut columns = Vec::new();
        for item in items {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let lineage = self.expr(e, scope, ExprCtx::select())?;
                    let name = match e {
                        Expr::Identifier(id) => Some(names::ident(id)),
                        Expr::CompoundIdentifier(ids) => ids.last().map(names::ident),
                        _ => None,
                    };
                    columns.push(Col { name, lineage });
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let lineage = self.expr(expr, scope, ExprCtx::select())?;
                    let name = names::ident(alias);
                    names::usable(&name).map_err(|k| self.error(k, alias.span))?;
                    columns.push(Col {
                        name: Some(name),
                        lineage,
                    });
                }
                SelectItem::Wildcard(_) => {
                    columns.extend(
                        scope
                            .relations
                            .iter()
                            .flat_map(|r| r.columns.iter().cloned()),
                    );
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(name),
                    _,
                ) => {
                    let (qualifier, id) =
                        names::object(name).map_err(|k| self.error(k, name.span()))?;
                    match scope.relation(&qualifier) {
                        Some(rel) => columns.extend(rel.columns.iter().cloned()),
                        None => {
                            return Err(self.error(ErrorKind::UnknownRelation(qualifier), id.span));
                        }
                    }
                }
                other => {
                    return Err(
                        self.unsupported(format!("the select item `{other}`"), other.span())
                    );
                }
            }
        }
        Ok(columns)
    }

    /// The lineage of a `GROUP BY` key: a column in scope, else an alias of
    /// the `SELECT` list, or `GROUP BY 2` for the second item.
    pub(crate) fn group_key(
        &mut self,
        key: &Expr,
        scope: &Scope,
        items: &[SelectItem],
        columns: &[Col],
    ) -> Derived<Lineage> {
        match key {
            Expr::Value(v) => {
                if let Value::Number(n, _) = &v.value
                    && let Ok(position) = n.parse::<usize>()
                    && position >= 1
                    && position <= items.len()
                    && items.len() == columns.len()
                {
                    return Ok(columns[position - 1].lineage.clone());
                }
                Err(self.unsupported(format!("`GROUP BY {key}`"), key.span()))
            }
            Expr::Identifier(id) => {
                let name = names::ident(id);
                match scope.resolve(None, &name) {
                    Resolved::Unknown => columns
                        .iter()
                        .find(|c| c.name.as_deref() == Some(name.as_str()))
                        .map(|c| c.lineage.clone())
                        .ok_or_else(|| self.error(ErrorKind::UnknownColumn(name), id.span)),
                    _ => self.expr(key, scope, ExprCtx::key()),
                }
            }
            _ => self.expr(key, scope, ExprCtx::key()),
        }
    }
}
