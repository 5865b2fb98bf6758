//! Collects every error of one expansion (serde_derive's `Ctxt` pattern), so
//! the user sees all of them at once, each spanned on its own token.

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The errors found so far.
#[derive(Default)]
pub struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// No errors yet.
    pub fn new() -> Errors {
        Errors::default()
    }

    /// Records an error (a `syn::Error` or a `darling::Error`).
    pub fn push(&mut self, error: impl Into<syn::Error>) {
        let error = error.into();
        match &mut self.combined {
            Some(all) => all.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Records an error spanning `tokens` (first to last token).
    pub fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Keeps the value of `result`, or records its error.
    pub fn keep<T, E: Into<syn::Error>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// Each error recorded, with the first and last spans it covers.
    pub fn each(&self) -> Vec<(SpanRange, String)> {
        self.combined
            .iter()
            .flat_map(|e| e.clone().into_iter())
            .map(|e| {
                // `syn::Error` keeps its range only to write it into its
                // `compile_error!`: the path at the start, the braces at the end.
                let written = e.to_compile_error().into_iter();
                let start = e.span();
                let end = written.last().map_or(start, |t| t.span());
                (SpanRange { start, end }, e.to_string())
            })
            .collect()
    }

    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.combined.is_none()
    }

    /// The messages, in order (for unit tests).
    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.combined
            .iter()
            .flat_map(|e| e.clone().into_iter().map(|e| e.to_string()))
            .collect()
    }

    /// One `compile_error!` per error.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.combined
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }
}

impl ToTokens for Errors {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.to_compile_errors());
    }
}

/// Where an element was written, as its first and last spans: enough for an
/// error over the whole element, without keeping (or rebuilding) its tokens.
#[derive(Clone, Copy, Debug)]
pub struct SpanRange {
    /// The first token's span.
    pub start: proc_macro2::Span,
    /// The last token's span.
    pub end: proc_macro2::Span,
}

impl SpanRange {
    /// A range over `tokens`, from the first token to the last.
    pub fn of(tokens: impl ToTokens) -> SpanRange {
        let mut spans = tokens.into_token_stream().into_iter().map(|t| t.span());
        let start = spans.next().unwrap_or_else(proc_macro2::Span::call_site);
        let end = spans.last().unwrap_or(start);
        SpanRange { start, end }
    }

    /// A key telling sites apart, for de-duplicating messages.
    pub fn key(&self) -> String {
        format!("{:?}..{:?}", self.start, self.end)
    }
}

impl ToTokens for SpanRange {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend([
            proc_macro2::TokenTree::Ident(proc_macro2::Ident::new("site", self.start)),
            proc_macro2::TokenTree::Ident(proc_macro2::Ident::new("site", self.end)),
        ]);
    }
}
