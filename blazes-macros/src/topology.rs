//! The wiring of a dataflow module: `streams! { .. }` and `fds! { .. }`.
//!
//! ```text
//! streams! {
//!     tweets -> Splitter.tweets { seal: [batch] };   // no dot: a source
//!     Splitter.words -> Count.words;
//!     Commit.db -> db;                               // no dot: a sink
//! }
//! fds! { company -> symbol; [a, b] -> c; }
//! ```
//! Stream options: `seal: [k, ..]`, `seq: [k, ..]`, `independent`, `rep`
//! (the flags also as `independent: true`).

use blazes_core::{AttrSet, Endpoint, StreamAnnotation};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, Token, braced, bracketed};

use crate::attrs::name_of;
use crate::errors::SpanRange;

/// One end of a declared stream.
#[derive(Debug, Clone)]
pub enum EndpointDecl {
    /// A source or sink name.
    External(Ident),
    /// `Component.interface`.
    Port {
        /// The component.
        component: Ident,
        /// The interface.
        interface: Ident,
    },
}

impl EndpointDecl {
    /// The endpoint in the analysis model.
    pub fn endpoint(&self) -> Endpoint {
        match self {
            EndpointDecl::External(name) => Endpoint::External(name_of(name)),
            EndpointDecl::Port {
                component,
                interface,
            } => Endpoint::port(&name_of(component), &name_of(interface)),
        }
    }

    /// The component named, if any.
    pub fn component(&self) -> Option<&Ident> {
        match self {
            EndpointDecl::External(_) => None,
            EndpointDecl::Port { component, .. } => Some(component),
        }
    }

    /// The interface (or external) name token.
    pub fn interface(&self) -> &Ident {
        match self {
            EndpointDecl::External(name) => name,
            EndpointDecl::Port { interface, .. } => interface,
        }
    }
}

impl Parse for EndpointDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let first = Ident::parse_any(input)?;
        if input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let interface = Ident::parse_any(input)?;
            Ok(EndpointDecl::Port {
                component: first,
                interface,
            })
        } else {
            Ok(EndpointDecl::External(first))
        }
    }
}

/// `from -> to { options }`.
#[derive(Debug, Clone)]
pub struct StreamDecl {
    /// The producing end.
    pub from: EndpointDecl,
    /// The consuming end.
    pub to: EndpointDecl,
    /// The options.
    pub annotation: StreamAnnotation,
    /// Where the declaration is, for error spans.
    pub tokens: SpanRange,
}

fn key_list(input: ParseStream) -> syn::Result<AttrSet> {
    let content;
    bracketed!(content in input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
    Ok(names.iter().map(name_of).collect())
}

fn flag(input: ParseStream) -> syn::Result<bool> {
    if input.peek(Token![:]) {
        input.parse::<Token![:]>()?;
        Ok(input.parse::<LitBool>()?.value)
    } else {
        Ok(true)
    }
}

fn options(input: ParseStream, annotation: &mut StreamAnnotation) -> syn::Result<Span> {
    let content;
    let brace = braced!(content in input);
    while !content.is_empty() {
        let key = Ident::parse_any(&content)?;
        match key.to_string().as_str() {
            "seal" => {
                content.parse::<Token![:]>()?;
                annotation.seal = Some(key_list(&content)?);
            }
            "seq" => {
                content.parse::<Token![:]>()?;
                annotation.seq = Some(key_list(&content)?);
            }
            "independent" => annotation.independent = flag(&content)?,
            "rep" => annotation.rep = flag(&content)?,
            other => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown stream option `{other}`: expected `seal: [..]`, `seq: [..]`, \
                         `independent` or `rep`"
                    ),
                ));
            }
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(brace.span.close())
}

impl Parse for StreamDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let start = input.span();
        let from: EndpointDecl = input.parse()?;
        input.parse::<Token![->]>()?;
        let to: EndpointDecl = input.parse()?;
        let mut annotation = StreamAnnotation::default();
        let end = if input.peek(syn::token::Brace) {
            options(input, &mut annotation)?
        } else {
            to.interface().span()
        };
        let tokens = SpanRange { start, end };
        Ok(StreamDecl {
            from,
            to,
            annotation,
            tokens,
        })
    }
}

/// The body of `streams! { .. }`.
#[derive(Debug, Clone, Default)]
pub struct Streams(pub Vec<StreamDecl>);

impl Parse for Streams {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let decls = Punctuated::<StreamDecl, Token![;]>::parse_terminated(input)?;
        Ok(Streams(decls.into_iter().collect()))
    }
}

/// `[a, b] -> c` or `a -> c`: an injective functional dependency.
#[derive(Debug, Clone)]
pub struct FdDecl {
    /// The determining attributes.
    pub from: AttrSet,
    /// The determined attribute.
    pub to: String,
    /// Where the declaration is.
    pub tokens: SpanRange,
}

impl Parse for FdDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let start = input.span();
        let from = if input.peek(syn::token::Bracket) {
            key_list(input)?
        } else {
            AttrSet::from([name_of(&Ident::parse_any(input)?)])
        };
        input.parse::<Token![->]>()?;
        let to_ident = Ident::parse_any(input)?;
        Ok(FdDecl {
            from,
            to: name_of(&to_ident),
            tokens: SpanRange {
                start,
                end: to_ident.span(),
            },
        })
    }
}

/// The body of `fds! { .. }`.
#[derive(Debug, Clone, Default)]
pub struct Fds(pub Vec<FdDecl>);

impl Parse for Fds {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let decls = Punctuated::<FdDecl, Token![;]>::parse_terminated(input)?;
        Ok(Fds(decls.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn parses_sources_ports_sinks_and_options() {
        let streams: Streams = syn::parse_quote! {
            tweets -> Splitter.tweets { seal: [batch], independent };
            Splitter.words -> Count.words { seq: [batch], rep: true };
            Commit.db -> db
        };
        let s = &streams.0;
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].from.endpoint(), Endpoint::External("tweets".into()));
        assert_eq!(s[0].to.endpoint(), Endpoint::port("Splitter", "tweets"));
        assert_eq!(s[0].annotation.seal, Some(attrs(["batch"])));
        assert!(s[0].annotation.independent);
        assert_eq!(s[1].annotation.seq, Some(attrs(["batch"])));
        assert!(s[1].annotation.rep);
        assert_eq!(s[2].to.endpoint(), Endpoint::External("db".into()));
    }

    #[test]
    fn rejects_an_unknown_option() {
        let error = syn::parse_str::<Streams>("a -> B.c { sealed: [k] }").expect_err("unknown");
        assert!(error.to_string().contains("unknown stream option `sealed`"));
    }

    #[test]
    fn parses_fds_in_both_forms() {
        let fds: Fds = syn::parse_quote! { company -> symbol; [a, b] -> c; };
        assert_eq!(fds.0[0].from, attrs(["company"]));
        assert_eq!(fds.0[0].to, "symbol");
        assert_eq!(fds.0[1].from, attrs(["a", "b"]));
    }
}
