//! Writes a `Dataflow` as a constant table (`blazes::__private::DataflowSpec`)
//! of strings and tuples, which the generated `dataflow()` builds with the
//! builder API at run time: exactly what was checked at compile time, in few
//! tokens for rustc to read and check.

use blazes_core::{AttrSet, Component, Dataflow, Permission, Requirement};
use proc_macro2::TokenStream;
use quote::quote;

/// `&["a", "b"]`.
pub fn names<'a>(names: impl IntoIterator<Item = &'a String>) -> TokenStream {
    let names = names.into_iter();
    quote!(&[#(#names),*])
}

/// A component as a `blazes::__private::ComponentSpec` tuple, with `rep`
/// written as given.
fn component_spec(c: &Component, rep: TokenStream) -> TokenStream {
    let name = &c.name;
    let paths = c.paths.iter().map(|p| {
        let (from, to) = (&p.from, &p.to);
        let label = p.annotation.kind.to_string();
        let gate = names(p.annotation.gates.first().into_iter().flatten());
        quote!((#from, #to, #label, #gate))
    });
    quote!((#name, #rep, &[#(#paths),*]))
}

fn key(set: Option<&AttrSet>) -> TokenStream {
    names(set.into_iter().flatten())
}

/// The `blazes::__private::DataflowSpec` of `dataflow`. A component whose
/// struct implements `blazes::Annotated` (`annotated` says which) reads its
/// `rep` from there: the dataflow then names the type, which keeps a component
/// that is declared but never built from being reported as dead code.
pub fn dataflow_spec(
    dataflow: &Dataflow,
    annotated: impl Fn(&str) -> Option<syn::Ident>,
) -> TokenStream {
    let components = dataflow.components.iter().map(|c| {
        let rep = match annotated(&c.name) {
            Some(ident) => quote!(<#ident as ::blazes::Annotated>::REP),
            None => {
                let rep = c.rep;
                quote!(#rep)
            }
        };
        component_spec(c, rep)
    });
    let streams = dataflow.streams.iter().map(|s| {
        let (from, to) = (s.from.to_string(), s.to.to_string());
        let a = &s.annotation;
        let (seal, seq) = (key(a.seal.as_ref()), key(a.seq.as_ref()));
        let (independent, rep) = (a.independent, a.rep);
        quote!((#from, #to, #seal, #seq, #independent, #rep))
    });
    let fds = dataflow.fds.iter().map(|fd| {
        let from = names(&fd.from);
        let to = &fd.to;
        quote!((#from, #to))
    });
    let requires = match dataflow.requires {
        Requirement::Deterministic => quote!(::blazes::Requirement::Deterministic),
        Requirement::Convergent => quote!(::blazes::Requirement::Convergent),
    };
    let coordinate = match dataflow.coordinate {
        Permission::None => quote!(::blazes::Permission::None),
        Permission::Seal => quote!(::blazes::Permission::Seal),
        Permission::Auto => quote!(::blazes::Permission::Auto),
    };
    let name = dataflow.name.clone().unwrap_or_default();
    quote! {
        ::blazes::__private::DataflowSpec {
            name: #name,
            components: &[#(#components),*],
            streams: &[#(#streams),*],
            fds: &[#(#fds),*],
            requires: #requires,
            coordinate: #coordinate,
        }
    }
}
