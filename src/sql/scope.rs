//! The relations a `SELECT` can name and how a column reference resolves to
//! one of their columns (issue 12: lineage "through projections, aliases,
//! joins and subqueries"). A correlated subquery sees its enclosing scopes.

use std::collections::BTreeSet;

use super::lineage::Lineage;

/// A column of a relation in scope.
#[derive(Clone, Debug)]
pub(crate) struct Col {
    /// Its name; `None` for an unnamed expression of a subquery.
    pub name: Option<String>,
    /// Where its values come from.
    pub lineage: Lineage,
}

/// A relation in a `FROM` clause.
#[derive(Clone, Debug)]
pub(crate) struct ScopeRel {
    /// The name that qualifies its columns: the alias, or the relation's name.
    pub qualifier: String,
    /// Its columns.
    pub columns: Vec<Col>,
    /// The view's inputs it reads.
    pub inputs: BTreeSet<String>,
}

/// The relations of one `SELECT`, and the scope it is nested in.
#[derive(Debug)]
pub(crate) struct Scope<'p> {
    /// The relations of its `FROM`.
    pub relations: Vec<ScopeRel>,
    /// The enclosing query's scope, for correlated subqueries.
    pub parent: Option<&'p Scope<'p>>,
}

/// How a reference resolved.
#[derive(Debug)]
pub(crate) enum Resolved {
    /// To a column, `depth` scopes out (0: this query's `FROM`).
    Found {
        /// The column's lineage.
        lineage: Lineage,
        /// How many scopes out it was found.
        depth: usize,
    },
    /// No relation in any scope has it.
    Unknown,
    /// Several relations of the nearest scope that has it do.
    Ambiguous,
}

impl Scope<'_> {
    /// The view's inputs read by this scope's relations.
    pub fn inputs(&self) -> BTreeSet<String> {
        self.relations
            .iter()
            .flat_map(|r| r.inputs.iter().cloned())
            .collect()
    }

    /// Resolves `column`, or `qualifier.column`.
    pub fn resolve(&self, qualifier: Option<&str>, column: &str) -> Resolved {
        let mut scope = Some(self);
        let mut depth = 0;
        while let Some(s) = scope {
            let found: Vec<&Col> = s
                .relations
                .iter()
                .filter(|r| qualifier.is_none_or(|q| r.qualifier == q))
                .flat_map(|r| r.columns.iter())
                .filter(|c| c.name.as_deref() == Some(column))
                .collect();
            match found.as_slice() {
                [one] => {
                    return Resolved::Found {
                        lineage: one.lineage.clone(),
                        depth,
                    };
                }
                [] => {}
                _ => return Resolved::Ambiguous,
            }
            scope = s.parent;
            depth += 1;
        }
        Resolved::Unknown
    }

    /// The columns of the relation named `qualifier` in the nearest scope,
    /// for `qualifier.*`.
    pub fn relation(&self, qualifier: &str) -> Option<&ScopeRel> {
        self.relations.iter().find(|r| r.qualifier == qualifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(q: &str, cols: &[&str]) -> ScopeRel {
        ScopeRel {
            qualifier: q.into(),
            columns: cols
                .iter()
                .map(|c| Col {
                    name: Some(c.to_string()),
                    lineage: Lineage::attr(c, false),
                })
                .collect(),
            inputs: BTreeSet::from([q.to_string()]),
        }
    }

    #[test]
    fn a_column_resolves_in_the_nearest_scope_that_has_it() {
        let outer = Scope {
            relations: vec![rel("a", &["x", "y"])],
            parent: None,
        };
        let inner = Scope {
            relations: vec![rel("b", &["y"])],
            parent: Some(&outer),
        };
        assert!(matches!(
            inner.resolve(None, "y"),
            Resolved::Found { depth: 0, .. }
        ));
        assert!(matches!(
            inner.resolve(None, "x"),
            Resolved::Found { depth: 1, .. }
        ));
        assert!(matches!(
            inner.resolve(Some("a"), "y"),
            Resolved::Found { depth: 1, .. }
        ));
        assert!(matches!(inner.resolve(None, "z"), Resolved::Unknown));
    }

    #[test]
    fn a_column_of_two_relations_is_ambiguous() {
        let s = Scope {
            relations: vec![rel("a", &["x"]), rel("b", &["x"])],
            parent: None,
        };
        assert!(matches!(s.resolve(None, "x"), Resolved::Ambiguous));
        assert!(matches!(s.resolve(Some("b"), "x"), Resolved::Found { .. }));
    }
}
