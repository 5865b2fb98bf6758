//! Reads the items of a `#[blazes::dataflow]` module: its `#[component]`
//! structs and impl blocks (unexpanded, with the same readers the standalone
//! macros use), plain structs, stray `#[path]`s, and the `streams!`/`fds!`
//! declarations, which it removes.
//!
//! The `#[component]` structs and impl blocks are expanded here, by the
//! dataflow (the same expansion as the standalone macro, with one
//! registration for the whole module): this saves a macro call and a second
//! parse per item.

use syn::ItemMacro;

use crate::attrs::{self, is_blazes_attr};
use crate::component::{self, ImplSpec, StructSpec};
use crate::errors::Errors;
use crate::light::{LightImpl, LightItem};
use crate::topology::{FdDecl, Fds, StreamDecl, Streams};

/// A `#[component]` impl block, or an impl with `#[path]`s that forgot it.
#[derive(Debug)]
pub struct ImplPart {
    /// What it declares.
    pub spec: ImplSpec,
    /// True when it lacks `#[component]`.
    pub stray: bool,
}

impl ImplPart {
    /// True when this module implements `Handler` for it.
    pub fn expands_here(&self) -> bool {
        !self.stray && self.spec.ident.is_some()
    }
}

/// What the module declares.
#[derive(Debug, Default)]
pub struct ModuleParts {
    /// `#[component]` structs.
    pub components: Vec<StructSpec>,
    /// Structs without `#[component]`.
    pub plain_structs: Vec<syn::Ident>,
    /// Impl blocks with handlers.
    pub impls: Vec<ImplPart>,
    /// Every `streams!` declaration, in order.
    pub streams: Vec<StreamDecl>,
    /// Every `fds!` declaration, in order.
    pub fds: Vec<FdDecl>,
    /// The components are named by path in `components! { .. }`.
    pub by_path: bool,
}

/// Reads the module's items; removes `streams!`/`fds!` and stray helpers.
pub fn read(items: &mut Vec<LightItem>, errors: &mut Errors) -> ModuleParts {
    let mut parts = ModuleParts::default();
    let mut kept_paths = Vec::new();
    items.retain_mut(|item| match item {
        LightItem::Macro(mac) if is_topology(mac, "streams") => {
            if let Some(Streams(decls)) = errors.keep(mac.mac.parse_body::<Streams>()) {
                parts.streams.extend(decls);
            }
            false
        }
        LightItem::Macro(mac) if is_topology(mac, "fds") => {
            if let Some(Fds(decls)) = errors.keep(mac.mac.parse_body::<Fds>()) {
                parts.fds.extend(decls);
            }
            false
        }
        LightItem::Struct(s) => {
            match s.attrs.iter().position(|a| is_blazes_attr(a, "component")) {
                Some(index) => {
                    let attr = s.attrs.remove(index);
                    let args = errors.keep(attrs::parse_component_attr(&attr));
                    let spec = component::read_struct(proc_macro2::TokenStream::new(), s, errors);
                    keep_one_use(&attr, &mut s.attrs, index, &mut kept_paths);
                    parts.components.push(StructSpec {
                        rep: args.is_some_and(|a| a.rep),
                        ..spec
                    });
                }
                None => parts.plain_structs.push(s.ident.clone()),
            }
            true
        }
        LightItem::Impl(imp) => {
            read_impl(imp, &mut parts, &mut kept_paths, errors);
            true
        }
        _ => true,
    });
    parts
}

/// Puts back one `#[component(__expanded_by_dataflow)]` for each way the
/// module names the macro (`component`, `blazes::component`), so that its
/// import stays used; that invocation passes its item through unread.
fn keep_one_use(
    attr: &syn::Attribute,
    attrs: &mut Vec<syn::Attribute>,
    index: usize,
    kept_paths: &mut Vec<String>,
) {
    let path = attr.path().clone();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let written = format!(
        "{}{}",
        if path.leading_colon.is_some() {
            "::"
        } else {
            ""
        },
        segments.join("::")
    );
    if !kept_paths.contains(&written) {
        kept_paths.push(written);
        let marker = syn::Ident::new(EXPANDED_HERE, proc_macro2::Span::call_site());
        attrs.insert(index, syn::parse_quote!(#[#path(#marker)]));
    }
}

/// The argument with which `#[blazes::dataflow]` marks an impl block it has
/// already expanded: `#[component]` then passes it through unread.
pub const EXPANDED_HERE: &str = "__expanded_by_dataflow";

/// The error for a typed component declared inside a dataflow module.
pub const TYPED_IN_MODULE: &str = "a typed component (`#[component(outputs { .. })]`) is declared \
     outside the `#[blazes::dataflow]` module, in any module or crate, and named by path in \
     `components! { .. }` inside it";

/// The error for `#[component(..)]` on an impl block.
pub const IMPL_TAKES_NO_ARGUMENTS: &str =
    "`#[component]` on an impl block takes no arguments; put `rep` on the struct";

fn is_topology(mac: &ItemMacro, name: &str) -> bool {
    let segments = &mac.mac.path.segments;
    match segments.len() {
        1 => segments[0].ident == name,
        2 => segments[0].ident == "blazes" && segments[1].ident == name,
        _ => false,
    }
}

fn read_impl(
    imp: &mut LightImpl,
    parts: &mut ModuleParts,
    kept_paths: &mut Vec<String>,
    errors: &mut Errors,
) {
    if let Some(index) = imp
        .attrs
        .iter()
        .position(|a| is_blazes_attr(a, "component"))
    {
        let attr = imp.attrs.remove(index);
        if let syn::Meta::List(list) = &attr.meta {
            let typed = syn::parse2::<crate::outputs::ImplArgs>(list.tokens.clone()).is_ok();
            let message = if typed {
                TYPED_IN_MODULE
            } else {
                IMPL_TAKES_NO_ARGUMENTS
            };
            errors.spanned(&attr, message);
        } else if !matches!(attr.meta, syn::Meta::Path(_)) {
            errors.spanned(&attr, IMPL_TAKES_NO_ARGUMENTS);
        }
        let spec = component::read_impl(imp, errors);
        // Keep one use of each way of naming the macro, so that its import
        // stays used; that invocation only passes the expanded block through.
        let path = attr.path().clone();
        let written = quote::ToTokens::to_token_stream(&path).to_string();
        if !kept_paths.contains(&written) {
            kept_paths.push(written);
            let marker = syn::Ident::new(EXPANDED_HERE, proc_macro2::Span::call_site());
            imp.attrs
                .insert(index, syn::parse_quote!(#[#path(#marker)]));
        }
        parts.impls.push(ImplPart { spec, stray: false });
        return;
    }
    let first_helper = imp.items.iter().find_map(|item| match item {
        crate::light::LightImplItem::Fn(f) => f
            .attrs
            .iter()
            .find(|a| component::is_path_attr(a) || component::is_on_seal_attr(a))
            .cloned(),
        _ => None,
    });
    let Some(helper) = first_helper else {
        return;
    };
    let name = quote::ToTokens::to_token_stream(&imp.self_ty);
    errors.spanned(
        &helper,
        format!(
            "this is a blazes handler annotation, but `impl {name}` has no `#[component]`: \
             add `#[component]` above the impl block (rustc's own `#[path]` is for modules)"
        ),
    );
    // Strip and read the helpers so that streams naming them still resolve.
    let spec = component::read_impl(imp, errors);
    parts.impls.push(ImplPart { spec, stray: true });
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn a_typed_component_inside_a_dataflow_module_is_told_to_move_out() {
        let module: crate::light::LightMod = parse_quote! {
            mod m {
                #[component]
                pub struct Count;
                #[component(outputs { counts: Tally })]
                impl Count {
                    #[path(from = words, to = counts, label = CW)]
                    fn words(&mut self, w: Word, out: &mut CountOut) {}
                }
            }
        };
        let Some((_, _, mut items)) = module.content else {
            panic!("inline module");
        };
        let mut errors = Errors::new();
        read(&mut items, &mut errors);
        assert_eq!(errors.messages(), [TYPED_IN_MODULE]);
    }

    #[test]
    fn reads_components_removes_topology_and_strips_stray_paths() {
        let module: crate::light::LightMod = parse_quote! {
            mod m {
                #[component(rep)]
                pub struct Cache;
                pub struct Plain;
                impl Plain {
                    #[path(from = a, to = b, label = CR)]
                    fn a(&mut self, t: Tuple, out: &mut Emit) {}
                }
                streams! { x -> Cache.a; }
                fds! { company -> symbol; }
            }
        };
        let Some((_, _, mut items)) = module.content else {
            panic!("inline module");
        };
        let mut errors = Errors::new();
        let parts = read(&mut items, &mut errors);
        assert_eq!(parts.components.len(), 1);
        assert!(parts.components[0].rep);
        assert_eq!(parts.plain_structs.len(), 1);
        assert_eq!(parts.streams.len(), 1);
        assert_eq!(parts.fds.len(), 1);
        assert_eq!(items.len(), 3, "streams! and fds! are removed");
        let messages = errors.messages();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("has no `#[component]`"),
            "{messages:?}"
        );
        let leftover = quote::quote!(#(#items)*).to_string();
        assert!(!leftover.contains("# [path"), "{leftover}");
        assert!(parts.impls[0].stray);
    }
}
