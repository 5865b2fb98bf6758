//! What the macros need of a method's signature, read from its tokens: its
//! name, and the shape of a handler (receiver, arity, a trailing `&mut`
//! argument, no return value). A wrong shape is reported on the method with
//! the expected form; the argument types themselves are checked by rustc on
//! the generated call. Reading the tokens directly, rather than parsing the
//! signature with syn, keeps large dataflows cheap to expand.

use proc_macro2::{Delimiter, Group, Ident, Spacing, TokenStream, TokenTree};

use crate::errors::SpanRange;

/// The form of a `#[path]` handler.
pub const HANDLER: &str = "fn(&mut self, tuple: Tuple, out: &mut Emit)";
/// The form of an `#[on_seal]` method.
pub const ON_SEAL: &str = "fn(&mut self, input: &str, partition: &Tuple, out: &mut Emit)";

/// The form of a typed `#[on_seal(input)]` method.
pub const TYPED_ON_SEAL: &str = "fn(&mut self, <key field>: <its type>.., out: &mut <Name>Out)";

/// A method's visibility and signature, kept as written.
#[derive(Debug, Clone)]
pub struct MethodHead {
    /// The tokens, re-emitted unchanged.
    pub tokens: TokenStream,
    /// The method's name.
    pub ident: Ident,
    is_async: bool,
    is_generic: bool,
    /// The parameters, split once (every question about them reads these).
    params: Vec<Vec<TokenTree>>,
    returns_value: bool,
}

fn is_ident(tree: &TokenTree, word: &str) -> bool {
    matches!(tree, TokenTree::Ident(ident) if ident == word)
}

fn is_punct(tree: &TokenTree, ch: char) -> bool {
    matches!(tree, TokenTree::Punct(p) if p.as_char() == ch)
}

impl MethodHead {
    /// Reads `tokens` (everything before the body) as a method head; `None`
    /// when they are not one.
    pub fn read(tokens: TokenStream) -> Option<MethodHead> {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let fn_at = trees.iter().position(|t| is_ident(t, "fn"))?;
        let is_async = trees[..fn_at].iter().any(|t| is_ident(t, "async"));
        let TokenTree::Ident(ident) = trees.get(fn_at + 1)? else {
            return None;
        };
        let is_generic = trees.get(fn_at + 2).is_some_and(|t| is_punct(t, '<'));
        let params_at = fn_at
            + 2
            + trees[fn_at + 2..].iter().position(
                |t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis),
            )?;
        let TokenTree::Group(params) = &trees[params_at] else {
            return None;
        };
        let returns_value = returns_value(&trees[params_at + 1..]);
        Some(MethodHead {
            tokens,
            ident: ident.clone(),
            is_async,
            is_generic,
            params: split_parameters(params),
            returns_value,
        })
    }

    /// The type of parameter `index` (0 is the receiver), as written.
    pub fn parameter_type(&self, index: usize) -> Option<TokenStream> {
        let param = self.params.get(index)?;
        let colon = param.iter().position(|t| is_punct(t, ':'))?;
        Some(param[colon + 1..].iter().cloned().collect())
    }

    /// The number of parameters, the receiver included.
    pub fn parameter_count(&self) -> usize {
        self.params.len()
    }

    /// The name of parameter `index` when it is a plain `name: Type` (or
    /// `mut name: Type`).
    pub fn parameter_name(&self, index: usize) -> Option<Ident> {
        let param = self.params.get(index)?;
        let colon = param.iter().position(|t| is_punct(t, ':'))?;
        match &param[..colon] {
            [TokenTree::Ident(name)] => Some(name.clone()),
            [TokenTree::Ident(m), TokenTree::Ident(name)] if m == "mut" => Some(name.clone()),
            _ => None,
        }
    }
}

/// A reference type read apart: whether it is `mut`, and the tokens of
/// what it refers to (after `&`, a lifetime and `mut`); `None` for a type
/// that is not a reference.
fn reference(ty: &TokenStream) -> Option<(bool, Vec<TokenTree>)> {
    let trees: Vec<TokenTree> = ty.clone().into_iter().collect();
    let rest = match trees.as_slice() {
        [amp, rest @ ..] if is_punct(amp, '&') => rest,
        _ => return None,
    };
    let rest = match rest {
        [tick, TokenTree::Ident(_), rest @ ..] if is_punct(tick, '\'') => rest,
        rest => rest,
    };
    Some(match rest {
        [m, rest @ ..] if is_ident(m, "mut") => (true, rest.to_vec()),
        rest => (false, rest.to_vec()),
    })
}

/// The element of a slice `[T]`, when `referred` is one.
fn element(referred: &[TokenTree]) -> Option<TokenStream> {
    match referred {
        [TokenTree::Group(g)] if g.delimiter() == Delimiter::Bracket => Some(g.stream()),
        _ => None,
    }
}

/// The element type `T` of a shared slice type `&[T]` (or `&'a [T]`), as
/// written: a typed handler taking a slice of its input's records.
pub fn slice_element(ty: &TokenStream) -> Option<TokenStream> {
    match reference(ty)? {
        (false, referred) => element(&referred),
        (true, _) => None,
    }
}

/// What a reference type `&T`, `&mut T`, `&[T]` or `&mut [T]` (with or
/// without a lifetime) refers to, down to `T`: the record a handler
/// taking a reference it must not take means.
pub fn referent(ty: &TokenStream) -> Option<TokenStream> {
    let (_, referred) = reference(ty)?;
    Some(element(&referred).unwrap_or_else(|| referred.into_iter().collect()))
}

/// The parameters in `params`, split at top-level commas (outside `<..>`).
fn split_parameters(params: &Group) -> Vec<Vec<TokenTree>> {
    let mut out: Vec<Vec<TokenTree>> = vec![Vec::new()];
    let mut depth = 0usize;
    let mut after_dash = false;
    for tree in params.stream() {
        if let TokenTree::Punct(p) = &tree {
            match p.as_char() {
                '<' => depth += 1,
                '>' if !after_dash => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    out.push(Vec::new());
                    continue;
                }
                _ => {}
            }
            after_dash = p.as_char() == '-' && p.spacing() == Spacing::Joint;
        } else {
            after_dash = false;
        }
        if let Some(last) = out.last_mut() {
            last.push(tree);
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// True when the tokens after the parameters declare a return type other
/// than `()`.
fn returns_value(rest: &[TokenTree]) -> bool {
    let arrow = rest.len() >= 2
        && matches!(&rest[0], TokenTree::Punct(p) if p.as_char() == '-' && p.spacing() == Spacing::Joint)
        && is_punct(&rest[1], '>');
    if !arrow {
        return false;
    }
    let ty: Vec<&TokenTree> = rest[2..]
        .iter()
        .take_while(|t| !is_ident(t, "where"))
        .collect();
    !matches!(ty.as_slice(), [TokenTree::Group(g)] if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty())
}

/// `&mut self`, `&'a mut self`.
fn is_mut_self(param: &[TokenTree]) -> bool {
    let words: Vec<&TokenTree> = param.iter().filter(|t| !is_punct(t, '\'')).collect();
    match words.as_slice() {
        [amp, rest @ ..] if is_punct(amp, '&') => {
            let rest: Vec<&&TokenTree> = rest.iter().collect();
            let rest = match rest.as_slice() {
                [TokenTree::Ident(lifetime), tail @ ..]
                    if *lifetime != "mut" && *lifetime != "self" =>
                {
                    tail.to_vec()
                }
                all => all.to_vec(),
            };
            matches!(rest.as_slice(), [m, s] if is_ident(m, "mut") && is_ident(s, "self"))
        }
        _ => false,
    }
}

/// `name: &mut T` or `name: &'a mut T`.
fn is_mut_ref(param: &[TokenTree]) -> bool {
    let Some(colon) = param.iter().position(|t| is_punct(t, ':')) else {
        return false;
    };
    let ty: Vec<&TokenTree> = param[colon + 1..]
        .iter()
        .filter(|t| !is_punct(t, '\''))
        .collect();
    match ty.as_slice() {
        [amp, m, ..] if is_punct(amp, '&') && is_ident(m, "mut") => true,
        [amp, TokenTree::Ident(_), m, ..] => is_punct(amp, '&') && is_ident(m, "mut"),
        _ => false,
    }
}

/// Checks receiver, arity, a trailing `&mut` argument and the return type.
pub fn check(head: &MethodHead, arguments: usize, expected: &str, role: &str) -> syn::Result<()> {
    let params = &head.params;
    let problem = if !params.first().is_some_and(|p| is_mut_self(p)) {
        Some("it must take `&mut self`")
    } else if params.len() != arguments + 1 {
        Some("wrong number of arguments")
    } else if !params.last().is_some_and(|p| is_mut_ref(p)) {
        Some("its last argument must be `&mut Emit`")
    } else if head.returns_value {
        Some("it must return nothing")
    } else if head.is_async {
        Some("it cannot be `async`")
    } else if head.is_generic {
        Some("it cannot be generic")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(syn::Error::new_spanned(
            SpanRange::of(&head.tokens),
            format!("{role} has the wrong signature: {problem}; expected `{expected}`"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn head(tokens: TokenStream) -> MethodHead {
        MethodHead::read(tokens).expect("a method head")
    }

    #[test]
    fn reads_the_name_and_accepts_the_handler_forms() {
        for tokens in [
            quote!(fn words(&mut self, t: Tuple, out: &mut Emit)),
            quote!(pub(crate) fn words(&'a mut self, t: Tuple, out: &'b mut Emit,) -> ()),
            quote!(fn words(&mut self, t: HashMap<K, V>, out: &mut Emit)),
        ] {
            let h = head(tokens.clone());
            assert_eq!(h.ident, "words");
            assert!(check(&h, 2, HANDLER, "handler").is_ok(), "{tokens}");
        }
    }

    #[test]
    fn rejects_shared_self_missing_output_a_return_value_and_more() {
        for tokens in [
            quote!(fn words(&self, t: Tuple, out: &mut Emit)),
            quote!(fn words(&mut self, t: Tuple)),
            quote!(fn words(&mut self, t: Tuple, out: &Emit)),
            quote!(fn words(&mut self, t: Tuple, out: &mut Emit) -> bool),
            quote!(fn words(t: Tuple, out: &mut Emit)),
            quote!(async fn words(&mut self, t: Tuple, out: &mut Emit)),
            quote!(fn words<T>(&mut self, t: T, out: &mut Emit)),
            quote!(fn words(&mut self, f: impl Fn(u8) -> u8, t: Tuple, out: &mut Emit)),
        ] {
            let h = head(tokens.clone());
            assert!(check(&h, 2, HANDLER, "handler").is_err(), "{tokens}");
        }
    }

    #[test]
    fn is_not_fooled_by_arrows_inside_parameter_types() {
        let h = head(quote!(fn f(&mut self, g: impl Fn(A) -> B, out: &mut Emit)));
        assert_eq!(h.params.len(), 3);
    }

    #[test]
    fn reads_a_parameter_type() {
        let h = head(quote!(fn f(&mut self, e: crate::Event, out: &mut FOut)));
        assert_eq!(
            h.parameter_type(1).map(|t| t.to_string()).as_deref(),
            Some("crate :: Event")
        );
        assert!(h.parameter_type(3).is_none());
    }

    #[test]
    fn reads_the_element_of_a_slice_type() {
        let element = |ty: TokenStream| slice_element(&ty).map(|t| t.to_string());
        assert_eq!(element(quote!(&[Reading])).as_deref(), Some("Reading"));
        assert_eq!(
            element(quote!(&'a [crate::R])).as_deref(),
            Some("crate :: R")
        );
        assert_eq!(element(quote!(Reading)), None);
        assert_eq!(element(quote!(&mut [Reading])), None);
        assert_eq!(element(quote!(&Reading)), None);
        assert_eq!(element(quote!(Vec<Reading>)), None);
        let referent = |ty: TokenStream| referent(&ty).map(|t| t.to_string());
        assert_eq!(referent(quote!(&mut [Reading])).as_deref(), Some("Reading"));
        assert_eq!(referent(quote!(&'a Reading)).as_deref(), Some("Reading"));
        assert_eq!(referent(quote!(Reading)), None);
    }

    #[test]
    fn refuses_what_is_not_a_method() {
        assert!(MethodHead::read(quote!(const N: usize = 1)).is_none());
        assert!(MethodHead::read(quote!(type T = u8)).is_none());
    }
}
