//! The wiring of a dataflow module: `streams! { .. }` and `fds! { .. }`.
//!
//! ```text
//! streams! {
//!     tweets -> Splitter.tweets { seal: [batch] };   // no dot: a source
//!     Splitter.words -> Count.words;
//!     Commit.db -> db;                               // no dot: a sink
//! }
//! fds! {
//!     company <-> symbol;   // one-to-one (injective): also symbol -> company
//!     session -> user;      // many-to-one (plain): only forwards
//!     [a, b] -> c;
//! }
//! ```
//! Stream options: `seal: [k, ..]`, `seq: [k, ..]`, `independent`, `rep`
//! (the flags also as `independent: true`). An FD takes the grey-box file's
//! key as an option too: `session -> user { injective: false }` is the plain
//! `session -> user`, `company -> symbol { injective: true }` (or
//! `{ injective }`) is `company <-> symbol` (spec §1, §3).

use blazes_core::{AttrSet, Endpoint, StreamAnnotation};
use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
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

/// Gives `ident` the span `to(its span)`.
fn respan_ident(ident: &mut Ident, to: &impl Fn(Span) -> Span) {
    ident.set_span(to(ident.span()));
}

impl EndpointDecl {
    /// Gives each name the span `to(its span)` (see
    /// [`StreamDecl::respan`]).
    fn respan(&mut self, to: &impl Fn(Span) -> Span) {
        match self {
            EndpointDecl::External(name) => respan_ident(name, to),
            EndpointDecl::Port {
                component,
                interface,
            } => {
                respan_ident(component, to);
                respan_ident(interface, to);
            }
        }
    }
}

impl StreamDecl {
    /// Gives every span the declaration keeps (its names, its keys, its
    /// extent) the span `to(span)`: `resolve_dataflow!` reads the streams
    /// from the body of a macro of the module and gives them back the
    /// hygiene of the user's tokens, so that errors at them do not also
    /// name that macro.
    pub fn respan(&mut self, to: &impl Fn(Span) -> Span) {
        self.from.respan(to);
        self.to.respan(to);
        for name in self
            .seal_names
            .iter_mut()
            .chain(&mut self.seq_names)
            .chain(&mut self.route_names)
        {
            respan_ident(name, to);
        }
        self.tokens = SpanRange {
            start: to(self.tokens.start),
            end: to(self.tokens.end),
        };
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
    /// The attribute names of `seal: [..]` as written, for warning spans.
    pub seal_names: Vec<Ident>,
    /// The attribute names of `seq: [..]` as written.
    pub seq_names: Vec<Ident>,
    /// The key of `route: [..]` (hash-partitioning the stream over the
    /// consumer's instances), as written; a dataflow with `components!`
    /// checks it and applies it in its generated `deployment()`.
    pub route_names: Vec<Ident>,
    /// Where the declaration is, for error spans.
    pub tokens: SpanRange,
}

/// `[a, b, ..]`: the names as written.
fn key_idents(input: ParseStream) -> syn::Result<Vec<Ident>> {
    let content;
    bracketed!(content in input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
    Ok(names.into_iter().collect())
}

/// The attribute set of names as written.
fn key_set(names: &[Ident]) -> AttrSet {
    names.iter().map(name_of).collect()
}

fn flag(input: ParseStream) -> syn::Result<bool> {
    if input.peek(Token![:]) {
        input.parse::<Token![:]>()?;
        Ok(input.parse::<LitBool>()?.value)
    } else {
        Ok(true)
    }
}

/// The `{ .. }` options of a stream, into `decl`; returns the closing brace.
fn options(input: ParseStream, decl: &mut StreamDecl) -> syn::Result<Span> {
    let annotation = &mut decl.annotation;
    let content;
    let brace = braced!(content in input);
    while !content.is_empty() {
        let key = Ident::parse_any(&content)?;
        match key.to_string().as_str() {
            "seal" => {
                content.parse::<Token![:]>()?;
                decl.seal_names = key_idents(&content)?;
                annotation.seal = Some(key_set(&decl.seal_names));
            }
            "seq" => {
                content.parse::<Token![:]>()?;
                decl.seq_names = key_idents(&content)?;
                annotation.seq = Some(key_set(&decl.seq_names));
            }
            "route" => {
                content.parse::<Token![:]>()?;
                decl.route_names = key_idents(&content)?;
            }
            "independent" => annotation.independent = flag(&content)?,
            "rep" => annotation.rep = flag(&content)?,
            other => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown stream option `{other}`: expected `seal: [..]`, `seq: [..]`, \
                         `route: [..]`, `independent` or `rep`"
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

impl StreamDecl {
    /// `from -> to` without options, its tokens from `start` to the end of
    /// `to`'s interface (options extend them).
    fn plain(from: EndpointDecl, to: EndpointDecl, start: Span) -> StreamDecl {
        let end = to.interface().span();
        StreamDecl {
            from,
            to,
            annotation: StreamAnnotation::default(),
            seal_names: Vec::new(),
            seq_names: Vec::new(),
            route_names: Vec::new(),
            tokens: SpanRange { start, end },
        }
    }
}

impl Parse for StreamDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let start = input.span();
        let from: EndpointDecl = input.parse()?;
        input.parse::<Token![->]>()?;
        let to: EndpointDecl = input.parse()?;
        let mut decl = StreamDecl::plain(from, to, start);
        if input.peek(syn::token::Brace) {
            decl.tokens.end = options(input, &mut decl)?;
        }
        Ok(decl)
    }
}

impl FdDecl {
    /// As [`StreamDecl::respan`], for a functional dependency.
    pub fn respan(&mut self, to: &impl Fn(Span) -> Span) {
        for name in self.from_names.iter_mut().chain([&mut self.to_name]) {
            respan_ident(name, to);
        }
        self.tokens = SpanRange {
            start: to(self.tokens.start),
            end: to(self.tokens.end),
        };
    }
}

/// The body of `streams! { .. }`.
#[derive(Debug, Clone, Default)]
pub struct Streams(pub Vec<StreamDecl>);

impl Streams {
    /// Reads declarations of the plain forms (`a -> B.x;`, `A.y -> B.x
    /// { seal: [k], seq: [n], route: [r] };`, `A.y -> sink;`) from their
    /// tokens, with the spans syn's reading keeps: a syntax tree's buffer
    /// would first fetch every token from the compiler. `None` for
    /// anything else (another option, a flag, a malformed declaration),
    /// which syn reads and reports.
    pub fn read_plain(tokens: TokenStream) -> Option<Streams> {
        let mut trees = tokens.into_iter().peekable();
        let mut decls = Vec::new();
        while trees.peek().is_some() {
            let (from, start) = plain_endpoint(&mut trees)?;
            match (trees.next()?, trees.next()?) {
                (TokenTree::Punct(minus), TokenTree::Punct(gt))
                    if minus.as_char() == '-'
                        && minus.spacing() == Spacing::Joint
                        && gt.as_char() == '>' => {}
                _ => return None,
            }
            let (to, _) = plain_endpoint(&mut trees)?;
            let mut decl = StreamDecl::plain(from, to, start);
            if let Some(TokenTree::Group(options)) = trees.peek()
                && options.delimiter() == Delimiter::Brace
            {
                let close = options.span_close();
                plain_options(options.stream(), &mut decl)?;
                decl.tokens.end = close;
                trees.next();
            }
            decls.push(decl);
            match trees.next() {
                None => break,
                Some(TokenTree::Punct(p)) if p.as_char() == ';' => {}
                Some(_) => return None,
            }
        }
        Some(Streams(decls))
    }
}

/// `Component.interface` or a source or sink name, and where it starts.
fn plain_endpoint(
    trees: &mut std::iter::Peekable<impl Iterator<Item = TokenTree>>,
) -> Option<(EndpointDecl, Span)> {
    let Some(TokenTree::Ident(first)) = trees.next() else {
        return None;
    };
    let start = first.span();
    if !matches!(trees.peek(), Some(TokenTree::Punct(dot)) if dot.as_char() == '.') {
        return Some((EndpointDecl::External(first), start));
    }
    trees.next();
    let Some(TokenTree::Ident(interface)) = trees.next() else {
        return None;
    };
    Some((
        EndpointDecl::Port {
            component: first,
            interface,
        },
        start,
    ))
}

/// `seal: [..]`, `seq: [..]` and `route: [..]` (comma-separated, an
/// optional trailing comma), into `decl`; `None` for anything else.
fn plain_options(options: TokenStream, decl: &mut StreamDecl) -> Option<()> {
    let mut trees = options.into_iter();
    loop {
        let key = match trees.next() {
            None => return Some(()),
            Some(TokenTree::Ident(key)) => key,
            Some(_) => return None,
        };
        match trees.next() {
            Some(TokenTree::Punct(colon))
                if colon.as_char() == ':' && colon.spacing() == Spacing::Alone => {}
            _ => return None,
        }
        let names = match trees.next() {
            Some(TokenTree::Group(list)) if list.delimiter() == Delimiter::Bracket => {
                crate::attrs::ident_list(list.stream())?
            }
            _ => return None,
        };
        match key.to_string().as_str() {
            "seal" => {
                decl.annotation.seal = Some(key_set(&names));
                decl.seal_names = names;
            }
            "seq" => {
                decl.annotation.seq = Some(key_set(&names));
                decl.seq_names = names;
            }
            "route" => decl.route_names = names,
            _ => return None,
        }
        match trees.next() {
            None => return Some(()),
            Some(TokenTree::Punct(comma)) if comma.as_char() == ',' => {}
            Some(_) => return None,
        }
    }
}

impl Parse for Streams {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let decls = Punctuated::<StreamDecl, Token![;]>::parse_terminated(input)?;
        Ok(Streams(decls.into_iter().collect()))
    }
}

/// `[a, b] -> c`, `a -> c` (plain, many-to-one) or `a <-> c` (injective,
/// one-to-one), optionally followed by `{ injective: bool }`.
#[derive(Debug, Clone)]
pub struct FdDecl {
    /// The determining attributes.
    pub from: AttrSet,
    /// The determined attribute.
    pub to: String,
    /// One-to-one: `to` also determines `from`.
    pub injective: bool,
    /// The determining attribute names as written, for warning spans.
    pub from_names: Vec<Ident>,
    /// The determined attribute's name as written.
    pub to_name: Ident,
    /// Where the declaration is.
    pub tokens: SpanRange,
}

/// The message for an FD whose arrow and `injective` option disagree.
const CONTRADICTION: &str = "`<->` already declares a one-to-one (injective) dependency: write \
     `a <-> b` or `a -> b { injective: true }` for one-to-one, `a -> b` for many-to-one";

/// `{ injective }` or `{ injective: bool }` after an FD.
fn fd_options(input: ParseStream) -> syn::Result<(bool, Span)> {
    let content;
    let brace = braced!(content in input);
    let key = Ident::parse_any(&content)?;
    if key != "injective" {
        return Err(syn::Error::new(
            key.span(),
            format!(
                "unknown option `{key}` of a functional dependency: expected `injective` or \
                 `injective: true|false`"
            ),
        ));
    }
    let injective = flag(&content)?;
    if !content.is_empty() {
        content.parse::<Token![,]>()?;
    }
    if !content.is_empty() {
        return Err(content.error("a functional dependency has one option, `injective`"));
    }
    Ok((injective, brace.span.close()))
}

impl Parse for FdDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let start = input.span();
        let from_names = if input.peek(syn::token::Bracket) {
            key_idents(input)?
        } else {
            vec![Ident::parse_any(input)?]
        };
        // The arrow is read one character at a time: `quote!` and rustc
        // split `<->` into `<-` and `>` with different spacings.
        let two_way = input.peek(Token![<]);
        if two_way {
            input.parse::<Token![<]>()?;
        }
        let arrow = || -> syn::Result<()> {
            input.parse::<Token![-]>()?;
            input.parse::<Token![>]>()?;
            Ok(())
        };
        arrow().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `->` (many-to-one: `session -> user`) or `<->` (one-to-one: \
                 `company <-> symbol`)",
            )
        })?;
        let to_name = Ident::parse_any(input)?;
        let mut end = to_name.span();
        let mut injective = two_way;
        if input.peek(syn::token::Brace) {
            let brace_start = input.span();
            let (option, close) = fd_options(input)?;
            if two_way && !option {
                return Err(syn::Error::new(brace_start, CONTRADICTION));
            }
            injective = option || two_way;
            end = close;
        }
        Ok(FdDecl {
            from: key_set(&from_names),
            to: name_of(&to_name),
            injective,
            from_names,
            to_name,
            tokens: SpanRange { start, end },
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

    /// What a declaration reads as, for comparing the two readers.
    fn read_as(decl: &StreamDecl) -> String {
        format!(
            "{} -> {} {:?} {:?} {:?} {:?}",
            decl.from.endpoint(),
            decl.to.endpoint(),
            decl.annotation,
            decl.seal_names,
            decl.seq_names,
            decl.route_names
        )
    }

    #[test]
    fn plain_streams_are_read_from_their_tokens_as_syn_reads_them() {
        let source = quote::quote! {
            events -> Sessionize.events { seal: [session, user,] };
            Sessionize.sessions -> Board.sessions { seq: [epoch], route: [user] };
            Board.view -> screen;
            a -> B.c {};
            B.d -> e { seal: [] }
        };
        let plain = Streams::read_plain(source.clone()).expect("plain streams");
        let full: Streams = syn::parse2(source).expect("parses");
        assert_eq!(plain.0.len(), 5);
        let plain: Vec<String> = plain.0.iter().map(read_as).collect();
        let full: Vec<String> = full.0.iter().map(read_as).collect();
        assert_eq!(plain, full);
    }

    #[test]
    fn anything_but_plain_streams_is_left_to_syn() {
        for source in [
            quote::quote!(a -> B.c { independent }),
            quote::quote!(a -> B.c { rep: true }),
            quote::quote!(a -> B.c { sael: [k] }),
            quote::quote!(a -> B.c;; d -> E.f),
            quote::quote!(a - > B.c),
            quote::quote!(a -> B.),
            quote::quote!(a -> B.c { seal: [k.l] }),
            quote::quote!(a -> B.c d -> E.f),
        ] {
            assert!(Streams::read_plain(source.clone()).is_none(), "{source}");
        }
    }

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

    #[test]
    fn an_arrow_is_many_to_one_and_a_double_arrow_one_to_one() {
        let fds: Fds = syn::parse_quote! {
            session -> user;
            company <-> symbol;
            [a, b] <-> c;
            x -> y { injective: true };
            p -> q { injective };
            s -> t { injective: false };
            u <-> v { injective: true }
        };
        let kinds: Vec<(String, bool)> = fds
            .0
            .iter()
            .map(|fd| (fd.to.clone(), fd.injective))
            .collect();
        let expected = [
            ("user", false),
            ("symbol", true),
            ("c", true),
            ("y", true),
            ("q", true),
            ("t", false),
            ("v", true),
        ];
        let expected: Vec<(String, bool)> =
            expected.iter().map(|(t, i)| (t.to_string(), *i)).collect();
        assert_eq!(kinds, expected);
        assert_eq!(fds.0[2].from_names.len(), 2);
        assert_eq!(fds.0[1].to_name, "symbol");
    }

    #[test]
    fn rejects_contradicting_or_unknown_fd_options_and_other_arrows() {
        let error =
            syn::parse_str::<Fds>("a <-> b { injective: false }").expect_err("contradiction");
        assert!(
            error.to_string().contains("already declares a one-to-one"),
            "{error}"
        );
        let error = syn::parse_str::<Fds>("a -> b { plain }").expect_err("unknown option");
        assert!(
            error.to_string().contains("unknown option `plain`"),
            "{error}"
        );
        let error = syn::parse_str::<Fds>("a => b").expect_err("another arrow");
        assert!(error.to_string().contains("expected `->`"), "{error}");
    }

    #[test]
    fn keeps_the_attribute_names_as_written() {
        let streams: Streams = syn::parse_quote! {
            tweets -> Splitter.tweets { seal: [batch, r#type], seq: [round] }
        };
        let names: Vec<String> = streams.0[0].seal_names.iter().map(name_of).collect();
        assert_eq!(names, ["batch", "type"]);
        assert_eq!(streams.0[0].seq_names[0], "round");
    }
}
