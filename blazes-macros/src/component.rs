//! Reads `#[component]` structs and impl blocks into specs: the struct's
//! `rep` flag, and each handler method with its `#[path]`s and `#[on_seal]`.
//!
//! Reading an impl block strips the blazes helper attributes from it, so
//! rustc never sees them (its built-in `#[path]` would reject them).

use blazes_core::validate::{ErrorKind, Site, ValidationError};
use proc_macro2::TokenStream;
use syn::{Attribute, ItemStruct, Type};

use crate::attrs::{self, PathSpec, blazes_attr_name, is_blazes_attr, name_of};
use crate::errors::{Errors, SpanRange};
use crate::expand::skeleton::SkeletonMethod;
use crate::light::{LightFn, LightImpl, LightImplItem};
use crate::signature;

/// A `#[component]` struct.
#[derive(Debug, Clone)]
pub struct StructSpec {
    /// The struct's name: the component's name.
    pub ident: syn::Ident,
    /// `#[component(rep)]`.
    pub rep: bool,
    /// The struct's generics (a component may not have any: reported).
    pub generics: syn::Generics,
}

/// Reads a `#[component(args)]` struct.
pub fn read_struct(args: TokenStream, item: &ItemStruct, errors: &mut Errors) -> StructSpec {
    let rep = errors
        .keep(attrs::parse_component_args(args))
        .is_some_and(|a| a.rep);
    if !item.generics.params.is_empty() {
        errors.spanned(&item.generics, "a blazes component cannot be generic");
    }
    StructSpec {
        ident: item.ident.clone(),
        rep,
        generics: item.generics.clone(),
    }
}

/// A method handling one input interface.
#[derive(Debug, Clone)]
pub struct HandlerSpec {
    /// The method.
    pub method: syn::Ident,
    /// The input interface it handles (as first written).
    pub input: syn::Ident,
    /// Its paths, all from that input interface.
    pub paths: Vec<PathSpec>,
    /// False when its signature is wrong (it is then not dispatched to).
    pub callable: bool,
    /// The type of the record it takes, as written (the element type,
    /// when it takes a slice of records).
    pub record: Option<TokenStream>,
    /// True when it takes a slice of its input's records (`&[R]`), handed
    /// whole runs at a time, rather than one record by value.
    pub slice: bool,
}

impl HandlerSpec {
    /// The input interface it handles.
    pub fn input(&self) -> &syn::Ident {
        &self.input
    }
}

/// A `#[component]` impl block.
#[derive(Debug, Clone)]
pub struct ImplSpec {
    /// The type the block implements, as written.
    pub self_ty: Type,
    /// The type's name (the component's name).
    pub ident: Option<syn::Ident>,
    /// The handler methods.
    pub handlers: Vec<HandlerSpec>,
    /// The `#[on_seal]` method, if any, and whether it is callable.
    pub on_seal: Option<(syn::Ident, bool)>,
    /// The typed `#[on_seal(input)]` methods, one per input at most.
    pub typed_seals: Vec<TypedSealSpec>,
}

/// A typed `#[on_seal(input)] fn m(&mut self, key: Type.., out: &mut NameOut)`:
/// its arguments after `&mut self` are fields of the input's record, named
/// as the fields and of their types.
#[derive(Debug, Clone)]
pub struct TypedSealSpec {
    /// The method.
    pub method: syn::Ident,
    /// The input interface whose released partitions it receives.
    pub input: syn::Ident,
    /// The key arguments: field name and type, as written.
    pub keys: Vec<(syn::Ident, TokenStream)>,
    /// False when its signature is wrong (it is then not dispatched to).
    pub callable: bool,
}

impl ImplSpec {
    /// Every path, in declaration order.
    pub fn paths(&self) -> impl Iterator<Item = &PathSpec> {
        self.handlers.iter().flat_map(|h| &h.paths)
    }
}

/// True for `#[path(..)]`/`#[blazes::path(..)]` helpers.
pub fn is_path_attr(attr: &Attribute) -> bool {
    is_blazes_attr(attr, "path")
}

/// True for `#[on_seal]`/`#[blazes::on_seal]` helpers.
pub fn is_on_seal_attr(attr: &Attribute) -> bool {
    is_blazes_attr(attr, "on_seal")
}

/// Reads a `#[component]` impl block and strips its helper attributes.
pub fn read_impl(item: &mut LightImpl, errors: &mut Errors) -> ImplSpec {
    if let Some((trait_path, _)) = &item.trait_ {
        errors.spanned(
            trait_path,
            "`#[component]` goes on the inherent impl block (`impl Name { .. }`), \
             not on a trait impl",
        );
    }
    if !item.generics.params.is_empty() {
        errors.spanned(&item.generics, "a blazes component cannot be generic");
    }
    let ident = type_ident(&item.self_ty);
    if ident.is_none() {
        errors.spanned(&item.self_ty, "expected the component's struct name");
    }
    let mut spec = ImplSpec {
        self_ty: (*item.self_ty).clone(),
        ident,
        handlers: Vec::new(),
        on_seal: None,
        typed_seals: Vec::new(),
    };
    for impl_item in &mut item.items {
        if let LightImplItem::Fn(method) = impl_item {
            read_method(method, &mut spec, errors);
        }
    }
    spec
}

fn type_ident(ty: &Type) -> Option<syn::Ident> {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            last.arguments.is_none().then(|| last.ident.clone())
        }
        _ => None,
    }
}

/// Removes the helper attributes of a method and returns them.
pub fn take_helpers(method: &mut LightFn) -> (Vec<Attribute>, Vec<Attribute>) {
    let (mut paths, mut on_seal, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for attr in method.attrs.drain(..) {
        match blazes_attr_name(&attr).as_deref() {
            Some("path") => paths.push(attr),
            Some("on_seal") => on_seal.push(attr),
            _ => rest.push(attr),
        }
    }
    method.attrs = rest;
    (paths, on_seal)
}

fn read_method(method: &mut LightFn, spec: &mut ImplSpec, errors: &mut Errors) {
    let (path_attrs, on_seal_attrs) = take_helpers(method);
    let name = method.head.ident.clone();
    if !path_attrs.is_empty() && !on_seal_attrs.is_empty() {
        errors.spanned(
            on_seal_attrs.first(),
            "a method is either a `#[path]` handler or the `#[on_seal]` method, not both",
        );
        return;
    }
    if let Some((first, repeated)) = on_seal_attrs.split_first() {
        read_on_seal(method, first, repeated, spec, errors);
        return;
    }
    let Some((paths, first)) = read_paths(&path_attrs, errors) else {
        return;
    };
    let input = name_of(&first);
    let paths = distinct_paths(paths, &input, &name, errors);
    if let Some(other) = spec.handlers.iter().find(|h| name_of(h.input()) == input) {
        errors.spanned(
            &first,
            format!(
                "input interface `{input}` is already handled by method `{}`: one method \
                 handles each input (put several `#[path]`s on it)",
                other.method
            ),
        );
        return;
    }
    let callable = errors
        .keep(signature::check(
            &method.head,
            2,
            signature::HANDLER,
            "a `#[path]` handler",
        ))
        .is_some();
    let written = method.head.parameter_type(1);
    let element = written.as_ref().and_then(signature::slice_element);
    let slice = element.is_some();
    let referent = written
        .as_ref()
        .filter(|_| !slice)
        .and_then(signature::referent);
    let borrowed = referent.is_some();
    if borrowed {
        let ty = written.clone().unwrap_or_default();
        errors.spanned(
            &ty,
            format!(
                "`{name}` takes a reference: a `#[path]` handler takes its record by value \
                 (`record: Reading`) or a shared slice of records (`records: &[Reading]`, \
                 handed a run of records in one call)"
            ),
        );
    }
    spec.handlers.push(HandlerSpec {
        method: name,
        input: first,
        paths,
        callable: callable && !borrowed,
        record: element.or(referent).or(written),
        slice,
    });
}

/// Keeps the paths of one method that start from `input` (its first path's)
/// and are not declared twice; reports the others.
/// Reads one method of a skeleton (`expand::skeleton`, what a dataflow
/// naming the component by path receives): what [`read_impl`] reads of it,
/// from its helper attributes and name; its signature was checked, and any
/// error reported, where the component is declared.
pub fn read_exported_method(method: SkeletonMethod, spec: &mut ImplSpec, errors: &mut Errors) {
    let SkeletonMethod {
        attrs: helpers,
        name,
        keys,
        takes_record,
    } = method;
    let (path_attrs, on_seal_attrs): (Vec<Attribute>, Vec<Attribute>) =
        helpers.into_iter().partition(is_path_attr);
    if let Some(attr) = on_seal_attrs.first() {
        match errors.keep(attrs::check_on_seal(attr)) {
            Some(Some(input)) if path_attrs.is_empty() => spec.typed_seals.push(TypedSealSpec {
                method: name,
                input,
                keys: keys
                    .unwrap_or_default()
                    .into_iter()
                    .map(|key| (key, TokenStream::new()))
                    .collect(),
                callable: true,
            }),
            Some(None) if path_attrs.is_empty() => spec.on_seal = Some((name, true)),
            _ => {}
        }
        return;
    }
    let Some((paths, first)) = read_paths(&path_attrs, errors) else {
        return;
    };
    let input = name_of(&first);
    if spec.handlers.iter().any(|h| name_of(h.input()) == input) {
        return;
    }
    let paths = distinct_paths(paths, &input, &name, errors);
    spec.handlers.push(HandlerSpec {
        method: name,
        input: first,
        paths,
        callable: true,
        record: takes_record.then(TokenStream::new),
        slice: false,
    });
}

/// A method's `#[path]`s and the input of the first, when there is one and
/// every one parses (the others are reported).
fn read_paths(
    path_attrs: &[Attribute],
    errors: &mut Errors,
) -> Option<(Vec<PathSpec>, syn::Ident)> {
    let paths: Vec<PathSpec> = path_attrs
        .iter()
        .filter_map(|attr| errors.keep(attrs::parse_path(attr)))
        .collect();
    let first = paths.first().map(|p| p.from.clone())?;
    (paths.len() == path_attrs.len()).then_some((paths, first))
}

fn distinct_paths(
    paths: Vec<PathSpec>,
    input: &str,
    method: &syn::Ident,
    errors: &mut Errors,
) -> Vec<PathSpec> {
    let input = input.to_string();
    let mut kept: Vec<PathSpec> = Vec::new();
    for path in paths {
        if path.input_name() != input {
            errors.spanned(
                &path.from,
                format!(
                    "method `{method}` handles input `{input}`, but this `#[path]` starts \
                     from `{}`: one method handles one input interface; write a separate \
                     method for `{}`",
                    path.input_name(),
                    path.input_name()
                ),
            );
            continue;
        }
        if let Some(earlier) = kept.iter().find(|p| p.output_name() == path.output_name()) {
            let (first, second) = (earlier.annotation(), path.annotation());
            let kind = if first == second {
                ErrorKind::DuplicatePath {
                    from: input.clone(),
                    to: path.output_name().to_string(),
                }
            } else {
                ErrorKind::ConflictingPath {
                    from: input.clone(),
                    to: path.output_name().to_string(),
                    first: first.to_string(),
                    second: second.to_string(),
                }
            };
            let error = ValidationError {
                site: Site::Dataflow,
                kind,
            };
            errors.spanned(path.attr, error);
            continue;
        }
        kept.push(path);
    }
    kept
}

fn read_on_seal(
    method: &LightFn,
    attr: &Attribute,
    extra: &[Attribute],
    spec: &mut ImplSpec,
    errors: &mut Errors,
) {
    let Some(input) = errors.keep(attrs::check_on_seal(attr)) else {
        return;
    };
    for again in extra {
        errors.spanned(again, "`#[on_seal]` is repeated");
    }
    if let Some(input) = input {
        read_typed_seal(method, attr, input, spec, errors);
        return;
    }
    if let Some(typed) = spec.typed_seals.first() {
        errors.spanned(
            attr,
            format!(
                "this component already has typed `#[on_seal({})]` methods: write this one \
                 as `#[on_seal(input)] fn {}(&mut self, <key field>: <type>.., out: &mut <Name>Out)`",
                typed.input, method.head.ident
            ),
        );
        return;
    }
    if let Some((earlier, _)) = &spec.on_seal {
        errors.spanned(
            attr,
            format!("a component has one `#[on_seal]` method; `{earlier}` is already one"),
        );
        return;
    }
    let callable = errors
        .keep(signature::check(
            &method.head,
            3,
            signature::ON_SEAL,
            "an `#[on_seal]` method",
        ))
        .is_some();
    spec.on_seal = Some((method.head.ident.clone(), callable));
}

/// Reads a typed `#[on_seal(input)]` method.
fn read_typed_seal(
    method: &LightFn,
    attr: &Attribute,
    input: syn::Ident,
    spec: &mut ImplSpec,
    errors: &mut Errors,
) {
    if let Some((earlier, _)) = &spec.on_seal {
        errors.spanned(
            attr,
            format!(
                "`{earlier}` is an untyped `#[on_seal]` method: a component has either one \
                 untyped `#[on_seal]` or typed `#[on_seal(input)]` methods, one per input"
            ),
        );
        return;
    }
    let name = name_of(&input);
    if let Some(earlier) = spec.typed_seals.iter().find(|t| name_of(&t.input) == name) {
        errors.spanned(
            &input,
            format!(
                "input `{name}` already has an `#[on_seal({name})]` method, `{}`: one per input",
                earlier.method
            ),
        );
        return;
    }
    let count = method.head.parameter_count();
    let mut callable = errors
        .keep(signature::check(
            &method.head,
            count.max(2) - 1,
            signature::TYPED_ON_SEAL,
            "an `#[on_seal(input)]` method",
        ))
        .is_some();
    let mut keys = Vec::new();
    for index in 1..count.saturating_sub(1) {
        match (
            method.head.parameter_name(index),
            method.head.parameter_type(index),
        ) {
            (Some(ident), Some(ty)) => keys.push((ident, ty)),
            _ => {
                errors.spanned(
                    SpanRange::of(&method.head.tokens),
                    format!(
                        "argument {index} of this `#[on_seal({name})]` method must be \
                         `<field>: <type>`, a field of the record of input `{name}` by its name"
                    ),
                );
                callable = false;
            }
        }
    }
    spec.typed_seals.push(TypedSealSpec {
        method: method.head.ident.clone(),
        input,
        keys,
        callable,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn reads_handlers_and_strips_helpers() {
        let mut item: LightImpl = parse_quote! {
            impl Cache {
                #[path(from = request, to = response, label = CR)]
                #[path(from = request, to = request, label = CR)]
                fn request(&mut self, t: Tuple, out: &mut Emit) {}
                #[blazes::path(from = response, to = response, label = CW)]
                fn response(&mut self, t: Tuple, out: &mut Emit) {}
                #[on_seal]
                fn sealed(&mut self, input: &str, p: &Tuple, out: &mut Emit) {}
                fn helper(&self) {}
            }
        };
        let mut errors = Errors::new();
        let spec = read_impl(&mut item, &mut errors);
        assert!(errors.is_empty(), "{:?}", errors.messages());
        assert_eq!(
            spec.ident.as_ref().map(|i| i.to_string()).as_deref(),
            Some("Cache")
        );
        assert_eq!(spec.handlers.len(), 2);
        assert_eq!(spec.paths().count(), 3);
        assert_eq!(
            spec.on_seal.as_ref().map(|(m, _)| m.to_string()).as_deref(),
            Some("sealed")
        );
        let leftover = quote::quote!(#item).to_string();
        assert!(!leftover.contains("path"), "{leftover}");
        assert!(!leftover.contains("on_seal"), "{leftover}");
    }

    #[test]
    fn reads_typed_seals_one_per_input_with_their_key_arguments() {
        let mut item: LightImpl = parse_quote! {
            impl Closer {
                #[path(from = clicks, to = closed, label = OW, gate = [user, day])]
                fn clicks(&mut self, c: Click, out: &mut CloserOut) {}
                #[on_seal(clicks)]
                fn a(&mut self, day: i64, mut user: String, out: &mut CloserOut) {}
                #[on_seal(events)]
                fn b(&mut self, out: &mut CloserOut) {}
            }
        };
        let mut errors = Errors::new();
        let spec = read_impl(&mut item, &mut errors);
        assert!(errors.is_empty(), "{:?}", errors.messages());
        let seals: Vec<(String, String, Vec<String>)> = spec
            .typed_seals
            .iter()
            .map(|t| {
                let keys = t.keys.iter().map(|(k, ty)| format!("{k}: {ty}")).collect();
                (t.method.to_string(), t.input.to_string(), keys)
            })
            .collect();
        assert_eq!(
            seals,
            [
                (
                    "a".to_string(),
                    "clicks".to_string(),
                    vec!["day: i64".to_string(), "user: String".to_string()]
                ),
                ("b".to_string(), "events".to_string(), vec![]),
            ]
        );
        assert!(spec.on_seal.is_none());
        assert!(!quote::quote!(#item).to_string().contains("on_seal"));
    }

    #[test]
    fn reports_a_second_typed_seal_of_an_input_mixed_forms_and_bad_arguments() {
        let mut item: LightImpl = parse_quote! {
            impl Closer {
                #[on_seal(clicks)]
                fn a(&mut self, day: i64, out: &mut CloserOut) {}
                #[on_seal(clicks)]
                fn b(&mut self, day: i64, out: &mut CloserOut) {}
                #[on_seal]
                fn c(&mut self, input: &str, p: &Tuple, out: &mut CloserOut) {}
                #[on_seal(events)]
                fn d(&mut self, (a, b): (i64, i64), out: &mut CloserOut) {}
                #[on_seal(x = 1)]
                fn e(&mut self, out: &mut CloserOut) {}
            }
        };
        let mut errors = Errors::new();
        let spec = read_impl(&mut item, &mut errors);
        let messages = errors.messages();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("already has an `#[on_seal(clicks)]` method, `a`"));
        assert!(messages[1].contains("already has typed `#[on_seal(clicks)]` methods"));
        assert!(messages[2].contains("must be `<field>: <type>`"));
        assert!(messages[3].contains("takes no arguments, or one"));
        assert!(
            spec.typed_seals
                .iter()
                .all(|t| t.method != "d" || !t.callable)
        );
    }

    #[test]
    fn reports_two_methods_for_one_input_and_mixed_inputs_on_one_method() {
        let mut item: LightImpl = parse_quote! {
            impl Count {
                #[path(from = words, to = counts, label = CW)]
                fn a(&mut self, t: Tuple, out: &mut Emit) {}
                #[path(from = words, to = totals, label = CW)]
                fn b(&mut self, t: Tuple, out: &mut Emit) {}
                #[path(from = x, to = y, label = CR)]
                #[path(from = z, to = y, label = CR)]
                fn c(&mut self, t: Tuple, out: &mut Emit) {}
            }
        };
        let mut errors = Errors::new();
        read_impl(&mut item, &mut errors);
        let messages = errors.messages();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("already handled by method `a`"));
        assert!(messages[1].contains("one method handles one input interface"));
    }

    #[test]
    fn reports_duplicate_and_conflicting_paths() {
        let mut item: LightImpl = parse_quote! {
            impl Count {
                #[path(from = w, to = c, label = CW)]
                #[path(from = w, to = c, label = CW)]
                #[path(from = w, to = c, label = OW, gate = [k])]
                fn a(&mut self, t: Tuple, out: &mut Emit) {}
            }
        };
        let mut errors = Errors::new();
        read_impl(&mut item, &mut errors);
        let messages = errors.messages();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("declared twice"));
        assert!(messages[1].contains("annotated twice"));
    }
}
