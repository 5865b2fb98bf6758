//! Compile-time warnings at the user's tokens: the attribute warnings of
//! `blazes_core::lint` (spec §1, §3: a probably misspelt attribute, a seal key
//! that no gate can use), each on the attribute name as written.
//!
//! Stable Rust has no proc-macro warning API, so each warning is a
//! `#[deprecated(note = "..")]` unit struct that the expansion uses once, with
//! the user's attribute token as the span of that use: rustc's `deprecated`
//! lint then prints the note there, under `cargo check` too, as
//!
//! ```text
//! warning: use of deprecated unit struct `m::_::blazes_warning`: blazes: seal attribute ..
//!   --> src/lib.rs:20:38
//!    |
//! 20 |         clicks -> Report.click { seal: [campain] };
//!    |                                         ^^^^^^^
//! ```
//!
//! Like any lint, it obeys `#[allow(deprecated)]` (on the module: silences
//! it), `#![deny(deprecated)]` and `-D warnings`.

use blazes_core::lint::{Role, Warning};
use blazes_core::validate::Site;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};

use crate::attrs::name_of;
use crate::model::Built;

/// The warnings of one expansion, each with the span it is shown at.
#[derive(Debug, Default)]
pub struct Warnings {
    found: Vec<(Span, String)>,
}

impl Warnings {
    /// No warnings yet.
    pub fn new() -> Warnings {
        Warnings::default()
    }

    /// Records a warning shown at `span`.
    pub fn push(&mut self, span: Span, message: impl Into<String>) {
        self.found.push((span, message.into()));
    }

    /// The messages, in order (for unit tests).
    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.found.iter().map(|(_, m)| m.clone()).collect()
    }
}

impl ToTokens for Warnings {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for (span, message) in &self.found {
            // Definition and use share the user's span, so that the use
            // resolves (same hygiene) and the lint points at the attribute.
            let ident = Ident::new("blazes_warning", *span);
            let note = format!("blazes: {message}");
            tokens.extend(quote! {
                const _: () = {
                    #[deprecated(note = #note)]
                    #[allow(non_camel_case_types)]
                    struct #ident;
                    let _ = #ident;
                };
            });
        }
    }
}

/// The span of the attribute a lint warning is about, as written in the
/// module: the name inside the gate, the `seal`/`seq` list or the FD.
pub fn locate(built: &Built, warning: &Warning) -> Span {
    let sites = &built.sites;
    let attribute = warning.kind.attribute();
    let named = |names: &[syn::Ident]| -> Option<Span> {
        names
            .iter()
            .find(|n| name_of(n) == attribute)
            .map(syn::Ident::span)
    };
    let found = match warning.site {
        Site::Path(c, p) => sites
            .gates
            .get(c)
            .and_then(|g| g.get(p))
            .and_then(|names| named(names))
            .or_else(|| sites.paths.get(c)?.get(p).map(|r| r.start)),
        Site::Stream(s) => sites.streams.get(s).and_then(|decl| {
            let names = match warning.kind.role() {
                Role::Seq => &decl.seq_names,
                _ => &decl.seal_names,
            };
            named(names).or(Some(decl.tokens.start))
        }),
        Site::Fd(f) => sites.fds.get(f).and_then(|decl| match warning.kind.role() {
            Role::FdTo => Some(decl.to_name.span()),
            _ => named(&decl.from_names).or(Some(decl.tokens.start)),
        }),
        Site::Dataflow | Site::Component(_) => None,
    };
    found.unwrap_or_else(Span::call_site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_warning_is_a_deprecated_item_used_once() {
        let mut warnings = Warnings::new();
        warnings.push(Span::call_site(), "seal attribute `campain` ...");
        let out = warnings.to_token_stream().to_string();
        assert!(
            out.contains("# [deprecated (note = \"blazes: seal attribute `campain` ...\")]"),
            "{out}"
        );
        assert!(out.contains("struct blazes_warning ;"), "{out}");
        assert!(out.contains("let _ = blazes_warning ;"), "{out}");
        assert_eq!(warnings.messages().len(), 1);
    }
}
