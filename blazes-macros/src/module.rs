//! Reads the items of a `#[blazes::dataflow]` module: its `#[component]`
//! structs and impl blocks (unexpanded, with the same readers the standalone
//! macros use), plain structs, stray `#[path]`s, and the `streams!`/`fds!`
//! declarations, which it removes.

use syn::{Item, ItemImpl, ItemMacro};

use crate::attrs::{self, is_blazes_attr};
use crate::component::{self, ImplSpec, StructSpec};
use crate::errors::Errors;
use crate::topology::{FdDecl, Fds, StreamDecl, Streams};

/// A `#[component]` impl block, or an impl with `#[path]`s that forgot it.
#[derive(Debug)]
pub struct ImplPart {
    /// What it declares.
    pub spec: ImplSpec,
    /// True when it lacks `#[component]`.
    pub stray: bool,
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
    /// True when a `#[component]` has errors that its own expansion reports.
    pub components_have_errors: bool,
}

/// Reads the module's items; removes `streams!`/`fds!` and stray helpers.
pub fn read(items: &mut Vec<Item>, errors: &mut Errors) -> ModuleParts {
    let mut parts = ModuleParts::default();
    items.retain_mut(|item| match item {
        Item::Macro(mac) if is_topology(mac, "streams") => {
            if let Some(Streams(decls)) = errors.keep(mac.mac.parse_body::<Streams>()) {
                parts.streams.extend(decls);
            }
            false
        }
        Item::Macro(mac) if is_topology(mac, "fds") => {
            if let Some(Fds(decls)) = errors.keep(mac.mac.parse_body::<Fds>()) {
                parts.fds.extend(decls);
            }
            false
        }
        Item::Struct(s) => {
            match s.attrs.iter().find(|a| is_blazes_attr(a, "component")) {
                Some(attr) => {
                    let mut own = Errors::new();
                    let args = own.keep(attrs::parse_component_attr(attr));
                    let spec = component::read_struct(proc_macro2::TokenStream::new(), s, &mut own);
                    parts.components_have_errors |= !own.is_empty();
                    parts.components.push(StructSpec {
                        rep: args.is_some_and(|a| a.rep),
                        ..spec
                    });
                }
                None => parts.plain_structs.push(s.ident.clone()),
            }
            true
        }
        Item::Impl(imp) => {
            read_impl(imp, &mut parts, errors);
            true
        }
        _ => true,
    });
    parts
}

fn is_topology(mac: &ItemMacro, name: &str) -> bool {
    let segments = &mac.mac.path.segments;
    match segments.len() {
        1 => segments[0].ident == name,
        2 => segments[0].ident == "blazes" && segments[1].ident == name,
        _ => false,
    }
}

fn read_impl(imp: &mut ItemImpl, parts: &mut ModuleParts, errors: &mut Errors) {
    if imp.attrs.iter().any(|a| is_blazes_attr(a, "component")) {
        // Read a copy: the `#[component]` expansion strips and reports itself.
        let mut own = Errors::new();
        let spec = component::read_impl(&mut imp.clone(), &mut own);
        parts.components_have_errors |= !own.is_empty();
        parts.impls.push(ImplPart { spec, stray: false });
        return;
    }
    let first_helper = imp.items.iter().find_map(|item| match item {
        syn::ImplItem::Fn(f) => f
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
    fn reads_components_removes_topology_and_strips_stray_paths() {
        let module: syn::ItemMod = parse_quote! {
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
        let Some((_, mut items)) = module.content else {
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
