//! Column lineage (paper §VII-B2, issue 12): where each column of a relation
//! in a view's query comes from, in terms of the view's inputs. An identity
//! (through projections, aliases, joins and subqueries) gives an injective FD
//! and can stand in a gate; a deterministic expression gives a plain FD; an
//! aggregate's running value or a non-deterministic expression gives none.

use blazes_core::AttrSet;

/// Where a column's values come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lineage {
    /// The identity of an input attribute (several alternatives under a
    /// `UNION`, one per side).
    Attr {
        /// The attributes, as the view's inputs name them.
        attrs: AttrSet,
        /// Every alternative is declared non-negative.
        nonneg: bool,
    },
    /// `window_start`/`window_end` of a `TUMBLE`/`HOP` over a time column.
    Window {
        /// The window's bound, the attribute that names its windows.
        bound: String,
        /// The time column the window is computed over.
        time: String,
        /// Each row is in exactly one window (`TUMBLE`), so the bound is a
        /// function of the time column; under `HOP` a row is in several.
        exact: bool,
    },
    /// A deterministic expression of these attributes (none for a constant).
    Derived {
        /// The attributes it reads.
        deps: AttrSet,
    },
    /// The running value of an aggregate or window function.
    Aggregate,
    /// A non-deterministic expression (`NOW()`, `RANDOM()`).
    Opaque,
}

impl Lineage {
    /// The identity of one input attribute.
    pub fn attr(name: &str, nonneg: bool) -> Lineage {
        Lineage::Attr {
            attrs: AttrSet::from([name.to_string()]),
            nonneg,
        }
    }

    /// A constant.
    pub fn constant() -> Lineage {
        Lineage::Derived {
            deps: AttrSet::new(),
        }
    }

    /// The attributes a deterministic expression of this column reads, or
    /// `None` when no function of the inputs gives it.
    pub fn deps(&self) -> Option<AttrSet> {
        match self {
            Lineage::Attr { attrs, .. } => Some(attrs.clone()),
            Lineage::Window {
                time, exact: true, ..
            } => Some(AttrSet::from([time.clone()])),
            Lineage::Window { exact: false, .. } => None,
            Lineage::Derived { deps } => Some(deps.clone()),
            Lineage::Aggregate | Lineage::Opaque => None,
        }
    }

    /// The attributes that partition the input like this column does, for a
    /// gate: an identity is its attribute, a window its bound (a window
    /// draws from many values of the time column, so the time column does
    /// not determine it: a seal on it is not compatible, spec §3). A derived
    /// expression gives nothing: leaving it out of a gate only makes the
    /// gate coarser, which is sound.
    pub fn gate_attrs(&self) -> AttrSet {
        match self {
            Lineage::Attr { attrs, .. } => attrs.clone(),
            Lineage::Window { bound, .. } => AttrSet::from([bound.clone()]),
            _ => AttrSet::new(),
        }
    }

    /// True for an aggregate's running value.
    pub fn is_aggregate(&self) -> bool {
        matches!(self, Lineage::Aggregate)
    }

    /// True for an identity of a non-negative attribute.
    pub fn is_nonneg(&self) -> bool {
        matches!(self, Lineage::Attr { nonneg: true, .. })
    }

    /// The lineage of a deterministic expression of several columns.
    pub fn combine(parts: impl IntoIterator<Item = Lineage>) -> Lineage {
        let mut deps = AttrSet::new();
        let mut aggregate = false;
        for part in parts {
            match part {
                Lineage::Opaque | Lineage::Window { exact: false, .. } => return Lineage::Opaque,
                Lineage::Aggregate => aggregate = true,
                other => deps.extend(other.deps().unwrap_or_default()),
            }
        }
        if aggregate {
            Lineage::Aggregate
        } else {
            Lineage::Derived { deps }
        }
    }

    /// The lineage of a column of a set operation, from its two sides.
    pub fn either(left: &Lineage, right: &Lineage) -> Lineage {
        match (left, right) {
            (
                Lineage::Attr {
                    attrs: a,
                    nonneg: na,
                },
                Lineage::Attr {
                    attrs: b,
                    nonneg: nb,
                },
            ) => Lineage::Attr {
                attrs: a.union(b).cloned().collect(),
                nonneg: *na && *nb,
            },
            (l, r) if l == r => l.clone(),
            (l, r) => Lineage::combine([l.clone(), r.clone()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn an_expression_reads_the_attributes_of_its_parts() {
        let l = Lineage::combine([Lineage::attr("id", false), Lineage::constant()]);
        assert_eq!(
            l,
            Lineage::Derived {
                deps: attrs(["id"])
            }
        );
        assert!(l.gate_attrs().is_empty());
    }

    #[test]
    fn an_aggregate_or_a_random_value_has_no_deps() {
        let agg = Lineage::combine([Lineage::Aggregate, Lineage::attr("id", false)]);
        assert_eq!(agg.deps(), None);
        assert_eq!(
            Lineage::combine([Lineage::Opaque, Lineage::Aggregate]),
            Lineage::Opaque
        );
    }

    #[test]
    fn a_union_column_keeps_both_identities() {
        let l = Lineage::either(&Lineage::attr("a", true), &Lineage::attr("b", false));
        assert_eq!(l.gate_attrs(), attrs(["a", "b"]));
        assert!(!l.is_nonneg());
    }

    #[test]
    fn a_window_is_gated_by_its_bound_and_determined_by_time_only_when_tumbling() {
        let tumble = Lineage::Window {
            bound: "window_start".into(),
            time: "ts".into(),
            exact: true,
        };
        assert_eq!(tumble.gate_attrs(), attrs(["window_start"]));
        assert_eq!(tumble.deps(), Some(attrs(["ts"])));
        let hop = Lineage::Window {
            bound: "window_start".into(),
            time: "ts".into(),
            exact: false,
        };
        assert_eq!(hop.deps(), None);
    }
}
