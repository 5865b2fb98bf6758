//! A light reading of modules and impl blocks: everything the macros need
//! (attributes, struct declarations, impl headers) is parsed, method
//! signatures are read from their tokens, and method bodies stay opaque. Parsing and re-emitting
//! every body with syn is most of a proc macro's cost on a large dataflow.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt};
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, Generics, Ident, ImplItem, Item, ItemMacro, ItemStruct, Path, Token, Type,
    Visibility, braced, token,
};

use crate::signature::MethodHead;

/// A method whose signature and body are kept as tokens.
#[derive(Debug, Clone)]
pub struct LightFn {
    /// Outer attributes.
    pub attrs: Vec<Attribute>,
    /// Visibility and signature.
    pub head: MethodHead,
    /// The body, unparsed.
    pub body: Group,
}

/// An item of an impl block.
#[derive(Debug, Clone)]
pub enum LightImplItem {
    /// A method.
    Fn(Box<LightFn>),
    /// Anything else, fully parsed.
    Other(Box<ImplItem>),
}

/// An impl block whose method bodies are kept as tokens.
#[derive(Debug, Clone)]
pub struct LightImpl {
    /// Outer attributes.
    pub attrs: Vec<Attribute>,
    /// `impl`.
    pub impl_token: Token![impl],
    /// Generic parameters and where clause.
    pub generics: Generics,
    /// `Trait for`, if a trait impl.
    pub trait_: Option<(Path, Token![for])>,
    /// The implementing type.
    pub self_ty: Box<Type>,
    /// The braces.
    pub brace: token::Brace,
    /// Inner attributes.
    pub inner_attrs: Vec<Attribute>,
    /// The items.
    pub items: Vec<LightImplItem>,
}

/// An item of a module: struct, impl block and macro call are what the
/// dataflow reads; anything else is parsed fully and left alone.
#[derive(Debug, Clone)]
pub enum LightItem {
    /// A struct.
    Struct(ItemStruct),
    /// An impl block.
    Impl(LightImpl),
    /// A macro invocation such as `streams! { .. }`.
    Macro(ItemMacro),
    /// Anything else.
    Other(Item),
}

/// An inline module.
#[derive(Debug, Clone)]
pub struct LightMod {
    /// Outer attributes.
    pub attrs: Vec<Attribute>,
    /// Visibility.
    pub vis: Visibility,
    /// `mod`.
    pub mod_token: Token![mod],
    /// The name.
    pub ident: Ident,
    /// The braces and items; `None` for `mod name;`.
    pub content: Option<(token::Brace, Vec<Attribute>, Vec<LightItem>)>,
}

/// A method: attributes, then every token up to the first top-level brace
/// group (its body). Anything else (`const X: T = ..;`, a method whose
/// signature holds braces, such as `-> Foo<{ N }>`) is refused, and read as
/// a full `syn::ImplItem` instead.
fn parse_light_fn(input: ParseStream) -> syn::Result<LightFn> {
    let attrs = input.call(Attribute::parse_outer)?;
    let (head, body) = input.step(|cursor| {
        let mut head = TokenStream::new();
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            match &tree {
                TokenTree::Group(body) if body.delimiter() == Delimiter::Brace => {
                    return Ok(((head, body.clone()), next));
                }
                TokenTree::Punct(p) if p.as_char() == ';' => break,
                _ => head.extend([tree]),
            }
            rest = next;
        }
        Err(cursor.error("expected a method body"))
    })?;
    let follows_an_item = input.is_empty() || input.peek(Token![#]) || input.peek(Ident::peek_any);
    match MethodHead::read(head) {
        Some(head) if follows_an_item => Ok(LightFn { attrs, head, body }),
        _ => Err(input.error("not a plain method")),
    }
}

impl Parse for LightImplItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let fork = input.fork();
        if let Ok(method) = parse_light_fn(&fork) {
            input.advance_to(&fork);
            return Ok(LightImplItem::Fn(Box::new(method)));
        }
        Ok(LightImplItem::Other(Box::new(input.parse()?)))
    }
}

impl Parse for LightImpl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let impl_token: Token![impl] = input.parse()?;
        let mut generics: Generics = if input.peek(Token![<]) {
            input.parse()?
        } else {
            Generics::default()
        };
        let first: Type = input.parse()?;
        let (trait_, self_ty) = if input.peek(Token![for]) {
            let for_token: Token![for] = input.parse()?;
            let Type::Path(path) = first else {
                return Err(syn::Error::new_spanned(first, "expected a trait"));
            };
            (Some((path.path, for_token)), input.parse()?)
        } else {
            (None, first)
        };
        generics.where_clause = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(content.parse()?);
        }
        Ok(LightImpl {
            attrs,
            impl_token,
            generics,
            trait_,
            self_ty: Box::new(self_ty),
            brace,
            inner_attrs,
            items,
        })
    }
}

/// An item's tokens before its final `{ .. }` block, and the block: the
/// split both plain readers start from. `None` when the item does not end
/// in a brace block.
fn header_and_body(item: &TokenStream) -> Option<(Vec<TokenTree>, Group)> {
    let mut trees: Vec<TokenTree> = item.clone().into_iter().collect();
    match trees.pop() {
        Some(TokenTree::Group(block)) if block.delimiter() == Delimiter::Brace => {
            Some((trees, block))
        }
        _ => None,
    }
}

impl LightImpl {
    /// Reads a plain impl block (`impl Name { .. }` of methods only: no
    /// generics, trait, where clause or inner attribute) from its tokens,
    /// without a syntax tree of the whole block: the method bodies are
    /// taken as they are, never walked (a syntax tree's buffer walks every
    /// token of every body, each fetched from the compiler). `None` for
    /// anything else, which the `LightItem` reading handles (and reports).
    pub fn read_plain(item: &TokenStream) -> Option<LightImpl> {
        let (trees, block) = header_and_body(item)?;
        // `impl Name`, the common header, read from its two tokens; any
        // other with syn.
        let (attrs, impl_token, self_ty) = match trees.as_slice() {
            [TokenTree::Ident(impl_word), TokenTree::Ident(name)]
                if impl_word == "impl" && name != "for" && name != "unsafe" =>
            {
                let ty = Type::Path(syn::TypePath {
                    attrs: Vec::new(),
                    qself: None,
                    path: syn::Path::from(name.clone()),
                });
                (Vec::new(), Token![impl](impl_word.span()), ty)
            }
            _ => {
                let header: TokenStream = trees.into_iter().collect();
                let read_header = |input: ParseStream| {
                    let attrs = input.call(Attribute::parse_outer)?;
                    let impl_token: Token![impl] = input.parse()?;
                    let self_ty: Type = input.parse()?;
                    Ok((attrs, impl_token, self_ty))
                };
                syn::parse::Parser::parse2(read_header, header).ok()?
            }
        };
        let mut items = Vec::new();
        let mut trees = block.stream().into_iter();
        while let Some(first) = trees.next() {
            let mut attrs = Vec::new();
            let mut head = TokenStream::new();
            let mut next = Some(first);
            let body = loop {
                match next? {
                    TokenTree::Punct(pound) if pound.as_char() == '#' && head.is_empty() => {
                        match trees.next()? {
                            TokenTree::Group(attr) if attr.delimiter() == Delimiter::Bracket => {
                                attrs.push(outer_attribute(pound, attr)?);
                            }
                            _ => return None,
                        }
                    }
                    TokenTree::Group(body) if body.delimiter() == Delimiter::Brace => break body,
                    TokenTree::Punct(p) if p.as_char() == ';' => return None,
                    other => head.extend([other]),
                }
                next = trees.next();
            };
            let head = MethodHead::read(head)?;
            items.push(LightImplItem::Fn(Box::new(LightFn { attrs, head, body })));
        }
        Some(LightImpl {
            attrs,
            impl_token,
            generics: Generics::default(),
            trait_: None,
            self_ty: Box::new(self_ty),
            brace: token::Brace(block.delim_span()),
            inner_attrs: Vec::new(),
            items,
        })
    }
}

/// The outer attribute `#` `[..]`: `#[name]` and `#[name(..)]` (a helper
/// attribute such as `#[path(..)]`, the common case) are built from their
/// tokens, spans kept; anything else is read with syn. (syn would first
/// build a token buffer of the attribute, each token fetched from the
/// compiler.)
pub fn outer_attribute(pound: proc_macro2::Punct, bracketed: Group) -> Option<Attribute> {
    let mut inner = bracketed.stream().into_iter();
    let name = match inner.next() {
        Some(TokenTree::Ident(name)) if name != "unsafe" => name,
        _ => return syn_attribute(pound, bracketed),
    };
    let meta = match (inner.next(), inner.next()) {
        (None, _) => syn::Meta::Path(Path::from(name)),
        (Some(TokenTree::Group(args)), None) if args.delimiter() == Delimiter::Parenthesis => {
            syn::Meta::List(syn::MetaList {
                path: Path::from(name),
                delimiter: syn::MacroDelimiter::Paren(token::Paren(args.delim_span())),
                tokens: args.stream(),
            })
        }
        _ => return syn_attribute(pound, bracketed),
    };
    Some(Attribute {
        pound_token: Token![#](pound.span()),
        style: syn::AttrStyle::Outer,
        bracket_token: token::Bracket(bracketed.delim_span()),
        meta,
    })
}

/// `#` `[..]` read with syn (see [`outer_attribute`]).
fn syn_attribute(pound: proc_macro2::Punct, bracketed: Group) -> Option<Attribute> {
    let tokens: TokenStream = [TokenTree::Punct(pound), TokenTree::Group(bracketed)]
        .into_iter()
        .collect();
    let mut attrs = syn::parse::Parser::parse2(Attribute::parse_outer, tokens).ok()?;
    match (attrs.pop(), attrs.is_empty()) {
        (Some(attr), true) => Some(attr),
        _ => None,
    }
}

/// What kind of item is ahead, seen past its attributes and visibility.
enum Ahead {
    /// An impl block this reader handles (not `unsafe impl`, `default impl`
    /// or a negative impl).
    PlainImpl,
    /// A struct.
    Struct,
    /// Anything else.
    Other,
}

fn ahead(input: ParseStream) -> Ahead {
    let fork = input.fork();
    if fork.call(Attribute::parse_outer).is_err() || fork.parse::<Visibility>().is_err() {
        return Ahead::Other;
    }
    if fork.peek(Token![struct]) {
        Ahead::Struct
    } else if fork.parse::<Token![impl]>().is_ok() && !fork.peek(Token![!]) {
        Ahead::PlainImpl
    } else {
        Ahead::Other
    }
}

impl Parse for LightItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        match ahead(input) {
            Ahead::PlainImpl => return Ok(LightItem::Impl(input.parse()?)),
            Ahead::Struct => return Ok(LightItem::Struct(input.parse()?)),
            Ahead::Other => {}
        }
        Ok(match input.parse::<Item>()? {
            Item::Struct(item) => LightItem::Struct(item),
            Item::Macro(item) => LightItem::Macro(item),
            other => LightItem::Other(other),
        })
    }
}

impl LightMod {
    /// Reads `#[..] pub mod name { .. }` whose items are all macro calls
    /// (`components! { .. }`, `streams! { .. }`: a dataflow naming its
    /// components by path) from its tokens: each call's body is taken as
    /// it is, never walked (a syntax tree's buffer walks every token,
    /// each fetched from the compiler). `None` for anything else, which
    /// syn reads (and reports).
    pub fn read_plain(item: &TokenStream) -> Option<LightMod> {
        let (trees, block) = header_and_body(item)?;
        let header: TokenStream = trees.into_iter().collect();
        let read_header = |input: ParseStream| {
            let attrs = input.call(Attribute::parse_outer)?;
            let vis: Visibility = input.parse()?;
            let mod_token: Token![mod] = input.parse()?;
            let ident: Ident = input.parse()?;
            Ok((attrs, vis, mod_token, ident))
        };
        let (attrs, vis, mod_token, ident) =
            syn::parse::Parser::parse2(read_header, header).ok()?;
        let mut items = Vec::new();
        let mut trees = block.stream().into_iter().peekable();
        while trees.peek().is_some() {
            let mut path = TokenStream::new();
            let bang = loop {
                match trees.next()? {
                    TokenTree::Punct(p) if p.as_char() == '!' => break p,
                    TokenTree::Punct(p) if p.as_char() == ':' => path.extend([TokenTree::Punct(p)]),
                    TokenTree::Ident(word) => path.extend([TokenTree::Ident(word)]),
                    _ => return None,
                }
            };
            let Some(TokenTree::Group(body)) = trees.next() else {
                return None;
            };
            let delimiter = match body.delimiter() {
                Delimiter::Brace => syn::MacroDelimiter::Brace(token::Brace(body.delim_span())),
                Delimiter::Parenthesis => {
                    syn::MacroDelimiter::Paren(token::Paren(body.delim_span()))
                }
                Delimiter::Bracket => {
                    syn::MacroDelimiter::Bracket(token::Bracket(body.delim_span()))
                }
                Delimiter::None => return None,
            };
            let semi_token = match trees.peek() {
                Some(TokenTree::Punct(p)) if p.as_char() == ';' => {
                    let semi = Token![;](p.span());
                    trees.next();
                    Some(semi)
                }
                _ if matches!(delimiter, syn::MacroDelimiter::Brace(_)) => None,
                _ => return None,
            };
            items.push(LightItem::Macro(syn::ItemMacro {
                attrs: Vec::new(),
                ident: None,
                mac: syn::Macro {
                    path: syn::parse2(path).ok()?,
                    bang_token: Token![!](bang.span()),
                    delimiter,
                    tokens: body.stream(),
                },
                semi_token,
            }));
        }
        Some(LightMod {
            attrs,
            vis,
            mod_token,
            ident,
            content: Some((token::Brace(block.delim_span()), Vec::new(), items)),
        })
    }
}

impl Parse for LightMod {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let mod_token = input.parse()?;
        let ident = input.parse()?;
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            return Ok(LightMod {
                attrs,
                vis,
                mod_token,
                ident,
                content: None,
            });
        }
        let content;
        let brace = braced!(content in input);
        let inner = content.call(Attribute::parse_inner)?;
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(content.parse()?);
        }
        Ok(LightMod {
            attrs,
            vis,
            mod_token,
            ident,
            content: Some((brace, inner, items)),
        })
    }
}

impl ToTokens for LightFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(&self.attrs);
        // As a stream (its trees would be fetched back from the compiler).
        tokens.extend([self.head.tokens.clone()]);
        self.body.to_tokens(tokens);
    }
}

impl ToTokens for LightImplItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            LightImplItem::Fn(method) => method.to_tokens(tokens),
            LightImplItem::Other(item) => item.to_tokens(tokens),
        }
    }
}

impl ToTokens for LightImpl {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(&self.attrs);
        self.impl_token.to_tokens(tokens);
        self.generics.to_tokens(tokens);
        if let Some((path, for_token)) = &self.trait_ {
            path.to_tokens(tokens);
            for_token.to_tokens(tokens);
        }
        self.self_ty.to_tokens(tokens);
        self.generics.where_clause.to_tokens(tokens);
        self.brace.surround(tokens, |inner| {
            inner.append_all(&self.inner_attrs);
            inner.append_all(&self.items);
        });
    }
}

impl ToTokens for LightItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            LightItem::Struct(item) => item.to_tokens(tokens),
            LightItem::Impl(item) => item.to_tokens(tokens),
            LightItem::Macro(item) => item.to_tokens(tokens),
            LightItem::Other(item) => item.to_tokens(tokens),
        }
    }
}

impl ToTokens for LightMod {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(&self.attrs);
        self.vis.to_tokens(tokens);
        self.mod_token.to_tokens(tokens);
        self.ident.to_tokens(tokens);
        match &self.content {
            Some((brace, inner, items)) => brace.surround(tokens, |body| {
                body.append_all(inner);
                body.append_all(items);
            }),
            None => <Token![;]>::default().to_tokens(tokens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn an_impl_block_round_trips_with_bodies_untouched() {
        let source = quote! {
            #[component]
            impl<T: Clone> Count<T> where T: Send {
                const N: usize = 1;
                #[path(from = a, to = b, label = CR)]
                pub fn a(&mut self, t: Tuple, out: &mut Emit) { out.emit("b", t); }
            }
        };
        let parsed: LightImpl = syn::parse2(source.clone()).expect("parses");
        assert!(matches!(parsed.items[0], LightImplItem::Other(_)));
        let LightImplItem::Fn(method) = &parsed.items[1] else {
            panic!("a method");
        };
        assert_eq!(method.head.ident, "a");
        assert_eq!(quote!(#parsed).to_string(), source.to_string());
    }

    #[test]
    fn a_plain_impl_block_is_read_from_its_tokens_as_syn_reads_it() {
        let source = quote! {
            #[doc = "counts"]
            impl Count {
                /// Words.
                #[path(from = a, to = b, label = OW, gate = [w])]
                pub fn a(&mut self, t: Tuple, out: &mut Emit) { out.emit("b", t); }
                #[on_seal(a)]
                fn sealed(&mut self, w: String, out: &mut CountOut) {}
                fn helper(&self) -> u32 { 1 }
            }
        };
        let light = LightImpl::read_plain(&source).expect("a plain impl block");
        let full: LightImpl = syn::parse2(source.clone()).expect("parses");
        assert_eq!(quote!(#light).to_string(), quote!(#full).to_string());
        assert_eq!(quote!(#light).to_string(), source.to_string());
        let names = |i: &LightImpl| {
            i.items
                .iter()
                .map(|item| match item {
                    LightImplItem::Fn(f) => (f.head.ident.to_string(), f.attrs.len()),
                    LightImplItem::Other(_) => (String::new(), 0),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&light), names(&full));
        assert_eq!(names(&light)[0], ("a".to_string(), 2));
        // The common header, `impl Name`, read from its two tokens.
        let bare = quote! {
            impl Count {
                #[path(from = a, to = b, label = CR)]
                fn a(&mut self, t: Tuple, out: &mut Emit) {}
            }
        };
        let light = LightImpl::read_plain(&bare).expect("a plain impl block");
        let full: LightImpl = syn::parse2(bare.clone()).expect("parses");
        assert_eq!(quote!(#light).to_string(), quote!(#full).to_string());
        assert_eq!(quote!(#light).to_string(), bare.to_string());
        let ty = &light.self_ty;
        assert_eq!(quote!(#ty).to_string(), "Count");
    }

    #[test]
    fn a_module_of_macro_calls_is_read_from_its_tokens_as_syn_reads_it() {
        let source = quote! {
            /// The flow.
            pub(crate) mod flow {
                blazes::components! { crate::a::Sessionize, ::b::Board }
                streams! { events -> Sessionize.events { seal: [session] }; }
                fds!(session -> user);
            }
        };
        let light = LightMod::read_plain(&source).expect("a module of macro calls");
        let full: LightMod = syn::parse2(source.clone()).expect("parses");
        assert_eq!(quote!(#light).to_string(), quote!(#full).to_string());
        assert_eq!(quote!(#light).to_string(), source.to_string());
        let Some((_, _, items)) = &light.content else {
            panic!("inline");
        };
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|item| matches!(item, LightItem::Macro(_))));
    }

    #[test]
    fn a_module_with_anything_but_macro_calls_is_left_to_syn() {
        for source in [
            quote!(
                mod flow {
                    struct A;
                    streams! { a -> b; }
                }
            ),
            quote!(
                mod flow {
                    streams! { a -> b; }
                    fn f() {}
                }
            ),
            quote!(
                mod flow {
                    #![allow(dead_code)]
                    streams! { a -> b; }
                }
            ),
            quote!(
                mod flow {
                    #[cfg(test)]
                    streams! { a -> b; }
                }
            ),
            quote!(mod flow { fds!(a -> b) }),
            quote!(
                mod flow;
            ),
        ] {
            assert!(LightMod::read_plain(&source).is_none(), "{source}");
        }
    }

    #[test]
    fn anything_but_a_plain_impl_block_is_left_to_syn() {
        for source in [
            quote!(
                impl<T> Count<T> {
                    fn a(&self) {}
                }
            ),
            quote!(impl Default for Count { fn default() -> Self { Count } }),
            quote!(impl Count where u8: Copy { fn a(&self) {} }),
            quote!(impl Count { const N: usize = 1; fn a(&self) {} }),
            quote!(impl Count { #![allow(dead_code)] fn a(&self) {} }),
            quote!(impl Count { fn a(&self); }),
            quote!(
                unsafe impl Send for Count {}
            ),
            quote!(
                pub struct Count {
                    n: u64,
                }
            ),
        ] {
            assert!(LightImpl::read_plain(&source).is_none(), "{source}");
        }
    }

    #[test]
    fn a_trait_impl_keeps_its_trait() {
        let source = quote!(impl Default for Count { fn default() -> Self { Count } });
        let parsed: LightImpl = syn::parse2(source.clone()).expect("parses");
        assert!(parsed.trait_.is_some());
        assert_eq!(quote!(#parsed).to_string(), source.to_string());
    }

    #[test]
    fn a_module_round_trips() {
        let source = quote! {
            pub mod m {
                #![allow(dead_code)]
                use blazes::Tuple;
                pub struct S;
                unsafe impl Send for S {}
                impl S { fn f(&self) {} }
                streams! { a -> S.b; }
            }
        };
        let parsed: LightMod = syn::parse2(source.clone()).expect("parses");
        let Some((_, _, items)) = &parsed.content else {
            panic!("inline");
        };
        assert!(matches!(items[1], LightItem::Struct(_)));
        assert!(matches!(items[2], LightItem::Other(_)));
        assert!(matches!(items[3], LightItem::Impl(_)));
        assert!(matches!(items[4], LightItem::Macro(_)));
        assert_eq!(quote!(#parsed).to_string(), source.to_string());
    }
}
