//! The functions the derivation knows (issue 12: "SQL the derivation does not
//! understand is an error ... never a silent guess"): aggregates, window-only
//! functions, non-deterministic functions and deterministic scalar functions.
//! A function in none of these lists is an error naming it.

/// What a function is, for the derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FunctionKind {
    /// An aggregate (`COUNT`, `SUM`, ...): a running value over its group.
    Aggregate,
    /// Only valid with `OVER` (`ROW_NUMBER`, `LAG`, ...).
    WindowOnly,
    /// Its value is not a function of its arguments (`NOW`, `RANDOM`).
    NonDeterministic,
    /// A deterministic scalar function.
    Scalar,
    /// A streaming window written as an expression (Arroyo's `tumble(..)`).
    WindowExpression,
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "array_agg",
    "string_agg",
    "listagg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "bit_xor",
    "approx_count_distinct",
    "approx_distinct",
    "median",
    "first",
    "last",
    "any_value",
    "json_agg",
    "jsonb_agg",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "collect",
    "count_if",
];

const WINDOW_ONLY: &[&str] = &[
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
];

const NON_DETERMINISTIC: &[&str] = &[
    "now",
    "current_timestamp",
    "current_time",
    "current_date",
    "localtime",
    "localtimestamp",
    "random",
    "rand",
    "uuid",
    "gen_random_uuid",
    "proctime",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
];

const SCALAR: &[&str] = &[
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "round",
    "trunc",
    "mod",
    "power",
    "pow",
    "sqrt",
    "exp",
    "ln",
    "log",
    "log10",
    "sign",
    "greatest",
    "least",
    "coalesce",
    "nullif",
    "ifnull",
    "nvl",
    "upper",
    "lower",
    "length",
    "char_length",
    "character_length",
    "concat",
    "concat_ws",
    "substr",
    "substring",
    "left",
    "right",
    "lpad",
    "rpad",
    "ltrim",
    "rtrim",
    "btrim",
    "trim",
    "replace",
    "reverse",
    "split_part",
    "strpos",
    "position",
    "md5",
    "sha256",
    "hash",
    "initcap",
    "repeat",
    "regexp_replace",
    "regexp_match",
    "to_char",
    "to_number",
    "to_timestamp",
    "to_date",
    "date_trunc",
    "date_part",
    "date_bin",
    "extract",
    "make_date",
    "make_timestamp",
    "from_unixtime",
    "to_unixtime",
    "unix_timestamp",
    "cast",
    "try_cast",
    "if",
    "case",
    "json_extract",
    "json_value",
    "array_length",
];

const WINDOW_EXPRESSIONS: &[&str] = &["tumble", "hop", "session", "cumulate"];

/// Classifies a function by its (lower-case) name.
pub(crate) fn kind(name: &str) -> Option<FunctionKind> {
    let name = name.to_lowercase();
    let name = name.as_str();
    if AGGREGATES.contains(&name) {
        Some(FunctionKind::Aggregate)
    } else if WINDOW_ONLY.contains(&name) {
        Some(FunctionKind::WindowOnly)
    } else if NON_DETERMINISTIC.contains(&name) {
        Some(FunctionKind::NonDeterministic)
    } else if SCALAR.contains(&name) {
        Some(FunctionKind::Scalar)
    } else if WINDOW_EXPRESSIONS.contains(&name) {
        Some(FunctionKind::WindowExpression)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classified_whatever_their_case() {
        assert_eq!(kind("COUNT"), Some(FunctionKind::Aggregate));
        assert_eq!(kind("row_number"), Some(FunctionKind::WindowOnly));
        assert_eq!(kind("Now"), Some(FunctionKind::NonDeterministic));
        assert_eq!(kind("upper"), Some(FunctionKind::Scalar));
        assert_eq!(kind("tumble"), Some(FunctionKind::WindowExpression));
        assert_eq!(kind("my_udf"), None);
    }
}
