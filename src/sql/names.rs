//! SQL names as the model spells them (issue 12): an unquoted identifier is
//! folded to lower case, as PostgreSQL, Flink and RisingWave do; a quoted one
//! (`"window"`) keeps its spelling. Names become component, interface and
//! attribute names (spec §1), which may not be empty or contain a dot.

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

use super::error::ErrorKind;

/// The model's spelling of an identifier.
pub(crate) fn ident(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The single part of an object name, or the reason it cannot be used.
pub(crate) fn object(name: &ObjectName) -> Result<(String, &Ident), ErrorKind> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => Ok((ident(id), id)),
        _ => Err(ErrorKind::Unsupported {
            construct: format!("the qualified name `{name}` (schemas and catalogs)"),
        }),
    }
}

/// Checks that a name can be a component, interface or attribute name.
pub(crate) fn usable(name: &str) -> Result<(), ErrorKind> {
    if name.is_empty() {
        Err(ErrorKind::BadName(name.to_string(), "it is empty"))
    } else if name.contains('.') {
        Err(ErrorKind::BadName(
            name.to_string(),
            "dots separate a component from its interface in the model",
        ))
    } else if name.contains("->") {
        Err(ErrorKind::BadName(
            name.to_string(),
            "`->` separates the ends of a stream's name",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_names_fold_and_quoted_names_keep_their_case() {
        assert_eq!(ident(&Ident::new("Clicks")), "clicks");
        assert_eq!(ident(&Ident::with_quote('"', "Window")), "Window");
    }

    #[test]
    fn names_with_dots_are_refused() {
        assert!(usable("a.b").is_err());
        assert!(usable("").is_err());
        assert!(usable("campaign").is_ok());
    }
}
