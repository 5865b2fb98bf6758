//! The arguments of the blazes attributes: `#[path(..)]`, `#[component(..)]`,
//! `#[on_seal]` and `#[blazes::dataflow(..)]`, read with darling.
//!
//! The standalone macros and `#[blazes::dataflow]` (which sees the attributes
//! unexpanded) call the same functions, so both read them identically.

use blazes_core::validate::{ErrorKind, Site, ValidationError};
use blazes_core::{Annotation, AttrSet, PathKind, Permission, Requirement};
use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::util::SpannedValue;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Attribute, Expr, Ident, Meta};

use crate::errors::SpanRange;

/// `name` when `attr` is `#[name]`, `#[blazes::name]` or `#[::blazes::name]`.
pub fn blazes_attr_name(attr: &Attribute) -> Option<String> {
    let segments = &attr.path().segments;
    match segments.len() {
        1 => Some(segments[0].ident.to_string()),
        2 if segments[0].ident == "blazes" => Some(segments[1].ident.to_string()),
        _ => None,
    }
}

/// True when `attr` is `#[name]`, `#[blazes::name]` or `#[::blazes::name]`.
pub fn is_blazes_attr(attr: &Attribute, name: &str) -> bool {
    blazes_attr_name(attr).is_some_and(|n| n == name)
}

/// An identifier's text without any `r#` prefix.
pub fn name_of(ident: &Ident) -> String {
    // One conversion to text (`unraw` would make a second, and a new ident).
    let text = ident.to_string();
    match text.strip_prefix("r#") {
        Some(unraw) => unraw.to_string(),
        None => text,
    }
}

/// Re-spans the errors that darling could not place (such as "missing field")
/// onto the attribute they belong to.
fn on_attribute(error: darling::Error, tokens: &impl ToTokens) -> darling::Error {
    let span = first_span(tokens);
    darling::Error::multiple(error.into_iter().map(|e| e.with_span(&span)).collect())
}

/// Like [`on_attribute`], but an unplaced error spans the whole attribute.
fn over_attribute(error: darling::Error, tokens: &impl ToTokens) -> syn::Error {
    let mut out: Option<syn::Error> = None;
    for child in error.flatten() {
        let spanned = match child.explicit_span() {
            Some(_) => syn::Error::from(child),
            None => syn::Error::new_spanned(tokens, child),
        };
        match &mut out {
            Some(all) => all.combine(spanned),
            None => out = Some(spanned),
        }
    }
    out.unwrap_or_else(|| syn::Error::new_spanned(tokens, "invalid attribute"))
}

fn first_span(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// `label = CR | CW | OR | OW`.
#[derive(Debug, Clone)]
pub struct LabelArg {
    /// The kind named.
    pub kind: PathKind,
}

impl FromMeta for LabelArg {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let ident = Ident::from_expr(expr).map_err(|_| {
            darling::Error::custom("expected a label: one of CR, CW, OR, OW").with_span(expr)
        })?;
        match PathKind::parse(&ident.to_string()) {
            Some(kind) => Ok(LabelArg { kind }),
            None => Err(darling::Error::custom(format!(
                "unknown label `{ident}`: expected one of {} (Confluent or Order-sensitive, \
                 Read-only or Writes state)",
                PathKind::NAMES.join(", ")
            ))
            .with_span(&ident)),
        }
    }
}

/// `gate = [a, b]` or `gate(a, b)`: attribute names.
#[derive(Debug, Clone, Default)]
pub struct GateArg(pub Vec<Ident>);

impl FromMeta for GateArg {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Array(array) => {
                let mut errors = darling::Error::accumulator();
                let names = array
                    .elems
                    .iter()
                    .filter_map(|e| {
                        errors.handle(Ident::from_expr(e).map_err(|_| attr_name_error(e)))
                    })
                    .collect();
                errors.finish_with(GateArg(names))
            }
            Expr::Group(group) => GateArg::from_expr(&group.expr),
            _ => Err(darling::Error::custom(
                "expected a list of attribute names, such as `gate = [word, batch]`",
            )
            .with_span(expr)),
        }
    }

    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        let mut errors = darling::Error::accumulator();
        let names = items
            .iter()
            .filter_map(|item| match item {
                NestedMeta::Meta(Meta::Path(path)) => match path.get_ident() {
                    Some(ident) => Some(ident.clone()),
                    None => errors.handle(Err(attr_name_error(path))),
                },
                other => errors.handle(Err(attr_name_error(other))),
            })
            .collect();
        errors.finish_with(GateArg(names))
    }
}

fn attr_name_error(tokens: &impl ToTokens) -> darling::Error {
    darling::Error::custom("expected an attribute name").with_span(&first_span(tokens))
}

#[derive(Debug, FromMeta)]
struct PathArgs {
    from: Ident,
    to: Ident,
    label: LabelArg,
    gate: Option<SpannedValue<GateArg>>,
}

/// One `#[path(from = .., to = .., label = .., gate = [..])]`, checked.
#[derive(Debug, Clone)]
pub struct PathSpec {
    /// The input interface.
    pub from: Ident,
    /// The label.
    pub label: LabelArg,
    /// The gate's attribute names (empty when absent).
    pub gate: AttrSet,
    /// The gate's attribute names as written, for warning spans.
    pub gate_names: Vec<Ident>,
    /// The whole attribute, for error spans.
    pub attr: SpanRange,
    /// The input interface's name.
    input: String,
    /// The output interface's name.
    output: String,
}

impl PathSpec {
    /// The input interface's name.
    pub fn input_name(&self) -> &str {
        &self.input
    }

    /// The output interface's name.
    pub fn output_name(&self) -> &str {
        &self.output
    }

    /// The annotation in the analysis model.
    pub fn annotation(&self) -> Annotation {
        Annotation::new(self.label.kind, self.gate.clone())
    }
}

const PATH_SHAPE: &str =
    "expected `#[path(from = input, to = output, label = CR|CW|OR|OW, gate = [attr, ..])]`";

/// Reads one `#[path(..)]` attribute of a handler method.
pub fn parse_path(attr: &Attribute) -> syn::Result<PathSpec> {
    if !matches!(attr.meta, Meta::List(_)) {
        return Err(syn::Error::new_spanned(attr, PATH_SHAPE));
    }
    let args = match well_formed_path(attr) {
        Some(args) => args,
        None => PathArgs::from_meta(&attr.meta).map_err(|e| over_attribute(e, attr))?,
    };
    let gate_names = match args.gate {
        Some(gate) if !args.label.kind.is_order_sensitive() => {
            let message = ValidationError {
                site: Site::Dataflow,
                kind: ErrorKind::GateOnConfluentPath(args.label.kind),
            };
            return Err(syn::Error::new(gate.span(), message));
        }
        Some(gate) => gate.into_inner().0,
        None => Vec::new(),
    };
    Ok(PathSpec {
        input: name_of(&args.from),
        output: name_of(&args.to),
        from: args.from,
        label: args.label,
        gate: gate_names.iter().map(name_of).collect(),
        gate_names,
        attr: SpanRange {
            start: attr.pound_token.span,
            end: attr.bracket_token.span.close(),
        },
    })
}

/// Reads the common, well-formed `#[path(..)]` directly: a dataflow has many,
/// and this is several times cheaper than the general reader. Anything else
/// (a missing, repeated or unknown key, an unknown label, another syntax)
/// gives `None`, and darling reads it with its full error reporting.
fn well_formed_path(attr: &Attribute) -> Option<PathArgs> {
    let Meta::List(list) = &attr.meta else {
        return None;
    };
    path_args_directly(list.tokens.clone())
}

/// Reads `from = a, to = b, label = OW, gate = [x, y]` (any order, an
/// optional trailing comma) from the tokens themselves, without a syntax
/// tree: the one reading of every `#[path]`, twice per component when a
/// dataflow names it by path. `None` for anything else.
fn path_args_directly(tokens: TokenStream) -> Option<PathArgs> {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    let (mut from, mut to, mut label, mut gate) = (None, None, None, None);
    let mut trees = tokens.into_iter();
    loop {
        let key = match trees.next() {
            None => break,
            Some(TokenTree::Ident(key)) => key,
            Some(_) => return None,
        };
        match trees.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == '=' && p.spacing() == Spacing::Alone => {}
            _ => return None,
        }
        match (key.to_string().as_str(), trees.next()?) {
            ("from", TokenTree::Ident(value)) if from.is_none() && plain_ident(&value) => {
                from = Some(value);
            }
            ("to", TokenTree::Ident(value)) if to.is_none() && plain_ident(&value) => {
                to = Some(value);
            }
            ("label", TokenTree::Ident(value)) if label.is_none() => {
                let kind = PathKind::parse(&value.to_string())?;
                label = Some(LabelArg { kind });
            }
            ("gate", TokenTree::Group(names))
                if gate.is_none() && names.delimiter() == Delimiter::Bracket =>
            {
                let idents = ident_list(names.stream())?;
                gate = Some(SpannedValue::new(GateArg(idents), names.span()));
            }
            _ => return None,
        }
        match trees.next() {
            None => break,
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {}
            Some(_) => return None,
        }
    }
    Some(PathArgs {
        from: from?,
        to: to?,
        label: label?,
        gate,
    })
}

/// `a, b, c` (an optional trailing comma; empty for none), each an
/// identifier that is not a keyword: the one reader of a list of names
/// from its tokens (gates, stream options, punctuation keys, skeletons).
/// `None` for anything else, which syn reads (and reports).
pub(crate) fn ident_list(tokens: TokenStream) -> Option<Vec<Ident>> {
    use proc_macro2::TokenTree;
    let mut idents = Vec::new();
    let mut trees = tokens.into_iter();
    loop {
        match trees.next() {
            None => return Some(idents),
            Some(TokenTree::Ident(ident)) if plain_ident(&ident) => idents.push(ident),
            Some(_) => return None,
        }
        match trees.next() {
            None => return Some(idents),
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {}
            Some(_) => return None,
        }
    }
}

/// An identifier that syn would read as one: not a keyword (a raw
/// identifier, `r#type`, is one).
pub(crate) fn plain_ident(ident: &Ident) -> bool {
    // Sorted, for a binary search (every `#[path]` asks for two names).
    const KEYWORDS: &[&str] = &[
        "Self", "_", "abstract", "as", "async", "await", "become", "box", "break", "const",
        "continue", "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for",
        "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override",
        "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    KEYWORDS.binary_search(&ident.to_string().as_str()).is_err()
}

/// The arguments of `#[component(..)]`.
#[derive(Debug, Default, FromMeta)]
pub struct ComponentArgs {
    /// `rep`: the component runs as several replicas.
    #[darling(default)]
    pub rep: bool,
}

/// Reads the arguments of `#[component(..)]` given as tokens.
pub fn parse_component_args(args: TokenStream) -> darling::Result<ComponentArgs> {
    // No arguments, or `rep`, without darling's reading (every component
    // struct asks).
    if args.is_empty() {
        return Ok(ComponentArgs::default());
    }
    if is_single_word(&args, "rep") {
        return Ok(ComponentArgs { rep: true });
    }
    let items = NestedMeta::parse_meta_list(args.clone())?;
    ComponentArgs::from_list(&items).map_err(|e| on_attribute(e, &args))
}

/// Reads the arguments of a `#[component]` attribute seen unexpanded.
pub fn parse_component_attr(attr: &Attribute) -> darling::Result<ComponentArgs> {
    match &attr.meta {
        Meta::Path(_) => Ok(ComponentArgs::default()),
        Meta::List(list) if is_single_word(&list.tokens, "rep") => Ok(ComponentArgs { rep: true }),
        Meta::List(list) => parse_component_args(list.tokens.clone()),
        Meta::NameValue(_) => Err(darling::Error::custom(
            "expected `#[component]` or `#[component(rep)]`",
        )
        .with_span(attr)),
    }
}

/// True when `tokens` is exactly the word `word` (the common `rep`, read
/// without the general reader).
fn is_single_word(tokens: &TokenStream, word: &str) -> bool {
    let mut trees = tokens.clone().into_iter();
    matches!(
        (trees.next(), trees.next()),
        (Some(proc_macro2::TokenTree::Ident(ident)), None) if ident == word
    )
}

/// `requires = deterministic | convergent`.
#[derive(Debug, Clone, Copy)]
pub struct RequirementArg(pub Requirement);

impl FromMeta for RequirementArg {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let found = Ident::from_expr(expr)
            .ok()
            .and_then(|ident| Requirement::parse(&ident.to_string()));
        found.map(RequirementArg).ok_or_else(|| {
            darling::Error::custom("expected `deterministic` or `convergent`").with_span(expr)
        })
    }
}

/// `coordinate = none | seal | auto`.
#[derive(Debug, Clone, Copy)]
pub struct PermissionArg(pub Permission);

impl FromMeta for PermissionArg {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let found = Ident::from_expr(expr)
            .ok()
            .and_then(|ident| Permission::parse(&ident.to_string()));
        found.map(PermissionArg).ok_or_else(|| {
            darling::Error::custom("expected `none`, `seal` or `auto`").with_span(expr)
        })
    }
}

/// The arguments of `#[blazes::dataflow(..)]`.
#[derive(Debug, Default, FromMeta)]
pub struct DataflowArgs {
    /// What the sinks must guarantee (default `deterministic`).
    pub requires: Option<RequirementArg>,
    /// What coordination may be synthesised (default `seal`).
    pub coordinate: Option<PermissionArg>,
    /// `enforce = false` reports violations through `analysis()` only,
    /// instead of failing the build.
    pub enforce: Option<bool>,
    /// The dataflow's name (default: the module's name).
    pub name: Option<String>,
}

/// Reads the arguments of `#[blazes::dataflow(..)]`.
pub fn parse_dataflow_args(args: TokenStream) -> darling::Result<DataflowArgs> {
    let items = NestedMeta::parse_meta_list(args.clone())?;
    DataflowArgs::from_list(&items).map_err(|e| on_attribute(e, &args))
}

/// Reads `#[on_seal]` (the untyped form: `None`) or `#[on_seal(input)]`
/// (the typed form: the input interface).
pub fn check_on_seal(attr: &Attribute) -> darling::Result<Option<syn::Ident>> {
    let wrong = || {
        darling::Error::custom(
            "`#[on_seal]` takes no arguments, or one: the input whose partitions it \
             receives, `#[on_seal(events)]`",
        )
        .with_span(attr)
    };
    match &attr.meta {
        Meta::Path(_) => Ok(None),
        Meta::List(list) => list
            .parse_args::<syn::Ident>()
            .map(Some)
            .map_err(|_| wrong()),
        Meta::NameValue(_) => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keywords_are_not_plain_identifiers_and_others_are() {
        let ident = |name: &str| Ident::new(name, proc_macro2::Span::call_site());
        for keyword in [
            "_", "Self", "abstract", "fn", "type", "yield", "self", "match",
        ] {
            assert!(!plain_ident(&ident(keyword)), "{keyword}");
        }
        for name in ["input", "output", "batch", "r#type", "Selfish", "types"] {
            let ident = syn::parse_str::<Ident>(name).unwrap_or_else(|_| ident(name));
            assert!(plain_ident(&ident), "{name}");
        }
    }

    use super::*;
    use syn::parse_quote;

    #[test]
    fn a_name_is_its_identifier_without_the_raw_prefix() {
        let span = proc_macro2::Span::call_site();
        assert_eq!(name_of(&Ident::new_raw("type", span)), "type");
        assert_eq!(name_of(&Ident::new("r_type", span)), "r_type");
    }

    #[test]
    fn reads_a_gated_path_in_both_gate_spellings() {
        for attr in [
            parse_quote!(#[path(from = words, to = counts, label = OW, gate = [word, batch])]),
            parse_quote!(#[blazes::path(from = words, to = counts, label = OW, gate(word, batch))]),
        ] {
            let spec = parse_path(&attr).expect("valid");
            assert_eq!(spec.input_name(), "words");
            assert_eq!(spec.output_name(), "counts");
            assert_eq!(spec.annotation().to_string(), "OW[batch,word]");
        }
    }

    #[test]
    fn the_direct_reader_agrees_with_darling_on_well_formed_paths() {
        for attr in [
            parse_quote!(#[path(from = words, to = counts, label = OW, gate = [word, batch])]),
            parse_quote!(#[path(label = CR, to = b, from = a)]),
            parse_quote!(#[path(from = a, to = b, label = OR, gate = [],)]),
            parse_quote!(#[path(from = r#in, to = b, label = OW, gate = [x, y,])]),
        ] {
            let attr: Attribute = attr;
            let direct = well_formed_path(&attr).expect("well formed");
            let general = PathArgs::from_meta(&attr.meta).expect("valid");
            assert_eq!(direct.from, general.from);
            assert_eq!(direct.to, general.to);
            assert_eq!(direct.label.kind, general.label.kind);
            assert_eq!(
                direct.gate.map(|g| g.into_inner().0),
                general.gate.map(|g| g.into_inner().0)
            );
        }
    }

    #[test]
    fn the_direct_reader_leaves_malformed_paths_to_darling() {
        for attr in [
            parse_quote!(#[path(from = a, to = b)]),
            parse_quote!(#[path(from = a, from = a, to = b, label = CR)]),
            parse_quote!(#[path(from = a, to = b, label = XW)]),
            parse_quote!(#[path(from = a, to = b, label = CR, colour = red)]),
            parse_quote!(#[path(from = "a", to = b, label = CR)]),
            parse_quote!(#[path(from = type, to = b, label = CR)]),
            parse_quote!(#[path(from == a, to = b, label = CR)]),
            parse_quote!(#[path(from = a, to = b, label = OW, gate = [x y])]),
            parse_quote!(#[path(from = a, to = b, label = OW, gate = [x, self])]),
            parse_quote!(#[path(from = a, to = b, label = OW, gate = (x))]),
            parse_quote!(#[path(from = a, to = b, label = CR,, )]),
        ] {
            let attr: Attribute = attr;
            assert!(
                well_formed_path(&attr).is_none(),
                "{}",
                quote::quote!(#attr)
            );
        }
    }

    #[test]
    fn rejects_an_unknown_label_naming_the_choices() {
        let attr: Attribute = parse_quote!(#[path(from = a, to = b, label = XW)]);
        let error = parse_path(&attr).expect_err("unknown label").to_string();
        assert!(error.contains("unknown label `XW`"), "{error}");
        assert!(error.contains("CR, CW, OR, OW"), "{error}");
    }

    #[test]
    fn rejects_a_gate_on_a_confluent_path() {
        let attr: Attribute = parse_quote!(#[path(from = a, to = b, label = CW, gate = [k])]);
        let error = parse_path(&attr).expect_err("gate on CW").to_string();
        assert!(error.contains("confluent"), "{error}");
    }

    #[test]
    fn reports_every_missing_field() {
        let attr: Attribute = parse_quote!(#[path(from = a)]);
        let error = parse_path(&attr).expect_err("missing fields");
        let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`to`")), "{messages:?}");
        assert!(
            messages.iter().any(|m| m.contains("`label`")),
            "{messages:?}"
        );
    }

    #[test]
    fn reads_dataflow_options() {
        let args = parse_dataflow_args(quote::quote!(requires = convergent, coordinate = auto))
            .expect("valid");
        assert_eq!(args.requires.map(|r| r.0), Some(Requirement::Convergent));
        assert_eq!(args.coordinate.map(|p| p.0), Some(Permission::Auto));
        assert!(parse_dataflow_args(quote::quote!(coordinate = sometimes)).is_err());
    }

    #[test]
    fn reads_the_rep_flag() {
        assert!(parse_component_args(quote::quote!(rep)).expect("valid").rep);
        assert!(!parse_component_args(TokenStream::new()).expect("valid").rep);
        assert!(parse_component_args(quote::quote!(replicated)).is_err());
    }
}
