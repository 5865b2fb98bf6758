//! The impl block of a typed component reduced to what a dataflow naming
//! the component by path reads (issue 11): each handler method's helper
//! attributes (original spans kept), its name and, for a typed
//! `#[on_seal(input)]`, the names of its key arguments. Signatures and
//! bodies stay out: every token of it is carried through the chain of
//! macros and read again by `resolve_dataflow!`.
//!
//! ```text
//! impl Name {
//!     #[path(..)] fn handler;          // a handler taking a record
//!     #[path(..)] fn broken !;         // its signature names no record
//!     #[on_seal] fn sealed;
//!     #[on_seal(input)] fn closed(key, ..);
//! }
//! ```

use proc_macro2::{Delimiter, Group, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, Token, braced};

use crate::component::{self, ImplSpec};
use crate::errors::Errors;
use crate::light::{LightImpl, LightImplItem};

/// One handler method of a skeleton.
pub struct SkeletonMethod {
    /// Its `#[path]`s or its `#[on_seal]`.
    pub attrs: Vec<Attribute>,
    /// Its name.
    pub name: Ident,
    /// The key argument names of a typed `#[on_seal(input)]` method.
    pub keys: Option<Vec<Ident>>,
    /// Whether its signature names a record (the second parameter).
    pub takes_record: bool,
}

/// A skeleton as read back by `resolve_dataflow!`.
pub struct Skeleton {
    /// The handler methods, in declaration order.
    pub methods: Vec<SkeletonMethod>,
}

/// Writes the skeleton of `item` (before its helper attributes are read
/// and stripped).
pub fn write(item: &LightImpl) -> TokenStream {
    // Written into one stream, token by token (`quote!` would copy each
    // method's stream into the body, each a call to the compiler).
    let mut methods = TokenStream::new();
    for i in &item.items {
        let LightImplItem::Fn(f) = i else {
            continue;
        };
        let helpers: Vec<_> = f
            .attrs
            .iter()
            .filter(|a| component::is_path_attr(a) || component::is_on_seal_attr(a))
            .collect();
        if helpers.is_empty() {
            continue;
        }
        let name = &f.head.ident;
        let typed_seal = helpers
            .iter()
            .any(|a| component::is_on_seal_attr(a) && matches!(a.meta, syn::Meta::List(_)));
        methods.append_all(&helpers);
        methods.append(Ident::new("fn", Span::call_site()));
        name.to_tokens(&mut methods);
        if typed_seal {
            let count = f.head.parameter_count();
            let keys = (1..count.saturating_sub(1)).filter_map(|i| f.head.parameter_name(i));
            methods.append(Group::new(Delimiter::Parenthesis, quote!(#(#keys),*)));
        } else if f.head.parameter_type(1).is_none() {
            methods.append(Punct::new('!', Spacing::Alone));
        }
        methods.append(Punct::new(';', Spacing::Alone));
    }
    let mut skeleton = TokenStream::new();
    skeleton.append(Ident::new("impl", Span::call_site()));
    item.self_ty.to_tokens(&mut skeleton);
    skeleton.append(Group::new(Delimiter::Brace, methods));
    skeleton
}

impl Parse for SkeletonMethod {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        input.parse::<Token![fn]>()?;
        let name: Ident = input.parse()?;
        let mut keys = None;
        if let Some(TokenTree::Group(group)) = input.cursor().token_tree().map(|(t, _)| t)
            && group.delimiter() == Delimiter::Parenthesis
        {
            let _: TokenTree = input.parse()?;
            let names = syn::parse::Parser::parse2(
                syn::punctuated::Punctuated::<Ident, Token![,]>::parse_terminated,
                group.stream(),
            )?;
            keys = Some(names.into_iter().collect());
        }
        let takes_record = !input.peek(Token![!]);
        if !takes_record {
            input.parse::<Token![!]>()?;
        }
        input.parse::<Token![;]>()?;
        Ok(SkeletonMethod {
            attrs,
            name,
            keys,
            takes_record,
        })
    }
}

impl Parse for Skeleton {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<Token![impl]>()?;
        let _: syn::Type = input.parse()?;
        let content;
        braced!(content in input);
        Skeleton::parse_methods(&content)
    }
}

impl Skeleton {
    /// The methods of a skeleton, from the tokens between its braces.
    pub fn parse_methods(content: ParseStream) -> syn::Result<Self> {
        let mut methods = Vec::new();
        while !content.is_empty() {
            methods.push(content.parse()?);
        }
        Ok(Skeleton { methods })
    }

    /// The methods of a skeleton, from the tokens between its braces, read
    /// tree by tree in the form [`write`] gives them; anything else is read
    /// with syn ([`Skeleton::parse_methods`]), which reports it. (syn would
    /// first build a token buffer of the whole skeleton, each token fetched
    /// from the compiler.)
    pub fn read_tokens(content: TokenStream) -> syn::Result<Self> {
        match Skeleton::read_written(content.clone()) {
            Some(skeleton) => Ok(skeleton),
            None => syn::parse::Parser::parse2(Skeleton::parse_methods, content),
        }
    }

    fn read_written(content: TokenStream) -> Option<Self> {
        let mut methods = Vec::new();
        let mut trees = content.into_iter().peekable();
        while trees.peek().is_some() {
            let mut attrs = Vec::new();
            let name = loop {
                match trees.next()? {
                    TokenTree::Punct(pound) if pound.as_char() == '#' => match trees.next()? {
                        TokenTree::Group(attr) if attr.delimiter() == Delimiter::Bracket => {
                            attrs.push(crate::light::outer_attribute(pound, attr)?);
                        }
                        _ => return None,
                    },
                    TokenTree::Ident(word) if word == "fn" => match trees.next()? {
                        TokenTree::Ident(name) => break name,
                        _ => return None,
                    },
                    _ => return None,
                }
            };
            let mut keys = None;
            if let Some(TokenTree::Group(group)) = trees.peek()
                && group.delimiter() == Delimiter::Parenthesis
            {
                keys = Some(crate::attrs::ident_list(group.stream())?);
                trees.next();
            }
            let takes_record =
                !matches!(trees.peek(), Some(TokenTree::Punct(bang)) if bang.as_char() == '!');
            if !takes_record {
                trees.next();
            }
            match trees.next()? {
                TokenTree::Punct(semi) if semi.as_char() == ';' => {}
                _ => return None,
            }
            methods.push(SkeletonMethod {
                attrs,
                name,
                keys,
                takes_record,
            });
        }
        Some(Skeleton { methods })
    }
}

/// The component's spec from its skeleton, named `ident`, of type `self_ty`.
pub fn read(skeleton: Skeleton, self_ty: syn::Type, ident: Ident, errors: &mut Errors) -> ImplSpec {
    let mut spec = ImplSpec {
        self_ty,
        ident: Some(ident),
        handlers: Vec::new(),
        on_seal: None,
        typed_seals: Vec::new(),
    };
    for method in skeleton.methods {
        component::read_exported_method(method, &mut spec, errors);
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    /// What a dataflow reads of a spec: per handler its input, method,
    /// paths and whether it takes a record; the seal methods.
    fn summary(spec: &ImplSpec) -> String {
        let handlers: Vec<String> = spec
            .handlers
            .iter()
            .map(|h| {
                let paths: Vec<String> = h
                    .paths
                    .iter()
                    .map(|p| format!("{}->{} {}", p.input_name(), p.output_name(), p.annotation()))
                    .collect();
                format!(
                    "{} {} {:?} {}",
                    h.input,
                    h.method,
                    paths,
                    h.record.is_some()
                )
            })
            .collect();
        let seals: Vec<String> = spec
            .typed_seals
            .iter()
            .map(|t| {
                let keys: Vec<String> = t.keys.iter().map(|(k, _)| k.to_string()).collect();
                format!("{} {} {keys:?}", t.input, t.method)
            })
            .collect();
        let on_seal = spec.on_seal.as_ref().map(|(m, _)| m.to_string());
        format!("{handlers:?} {seals:?} {on_seal:?}")
    }

    /// Everything a skeleton holds, as text (the attributes as written).
    fn skeleton_text(skeleton: &Skeleton) -> String {
        let methods: Vec<String> = skeleton
            .methods
            .iter()
            .map(|m| {
                let attrs: Vec<String> = m.attrs.iter().map(|a| format!("{:?}", a.meta)).collect();
                let keys = m
                    .keys
                    .as_ref()
                    .map(|k| k.iter().map(ToString::to_string).collect::<Vec<_>>());
                format!("{attrs:?} {} {keys:?} {}", m.name, m.takes_record)
            })
            .collect();
        format!("{methods:?}")
    }

    fn round_trip(item: LightImpl) -> (String, String, String) {
        let written = write(&item);
        let mut item = item;
        // A wrong signature is reported here, where the component is declared.
        let direct = component::read_impl(&mut item, &mut Errors::new());
        let mut errors = Errors::new();
        let skeleton: Skeleton = syn::parse2(written.clone()).expect("reads back");
        let body = match written.clone().into_iter().last() {
            Some(TokenTree::Group(body)) => body.stream(),
            _ => panic!("a skeleton ends with its braces: {written}"),
        };
        let by_tokens = Skeleton::read_written(body).expect("read tree by tree");
        let by_syn = skeleton_text(&skeleton);
        assert_eq!(skeleton_text(&by_tokens), by_syn, "both readers agree");
        let ident: Ident = parse_quote!(Closer);
        let read = read(skeleton, parse_quote!(Closer), ident, &mut errors);
        assert!(errors.is_empty(), "{:?}", errors.messages());
        (written.to_string(), summary(&direct), summary(&read))
    }

    #[test]
    fn keeps_helpers_names_and_seal_keys_not_signatures_or_bodies() {
        let (written, direct, read) = round_trip(parse_quote! {
            impl Closer {
                #[path(from = clicks, to = closed, label = OW, gate = [user, day])]
                #[path(from = clicks, to = stats, label = CR)]
                fn clicks(&mut self, c: Click, out: &mut CloserOut) { out.closed(c); }
                #[path(from = events, to = closed, label = CW)]
                fn events(&mut self, e: Event, out: &mut CloserOut) {}
                #[on_seal(clicks)]
                fn sealed(&mut self, day: i64, mut user: String, out: &mut CloserOut) {}
                fn helper(&self) -> u32 { 1 }
            }
        });
        assert_eq!(read, direct);
        assert!(written.contains("fn clicks ;"), "{written}");
        assert!(written.contains("fn sealed (day , user) ;"), "{written}");
        for absent in ["CloserOut", "Click", "helper", "out . closed"] {
            assert!(!written.contains(absent), "{absent}: {written}");
        }
    }

    #[test]
    fn an_untyped_seal_and_a_handler_naming_no_record_read_back_alike() {
        let (written, direct, read) = round_trip(parse_quote! {
            impl Closer {
                #[path(from = clicks, to = closed, label = CR)]
                fn clicks(&mut self) {}
                #[path(from = events, to = closed, label = CW)]
                fn events(&mut self, e: Event, out: &mut Emit) {}
                #[on_seal]
                fn sealed(&mut self, input: &str, p: &Tuple, out: &mut Emit) {}
            }
        });
        assert_eq!(read, direct);
        assert!(written.contains("fn clicks ! ;"), "{written}");
        assert!(written.contains("# [on_seal] fn sealed ;"), "{written}");
    }
}
