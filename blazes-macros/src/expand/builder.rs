//! Writes a `Dataflow` as constant tables (`blazes::__private::DataflowSpec`)
//! that the generated `dataflow()` builds with the builder API at run time:
//! exactly what was checked at compile time, and cheap for rustc to check.

use blazes_core::{AttrSet, Dataflow, Endpoint, PathKind, Permission, Requirement};
use proc_macro2::TokenStream;
use quote::quote;

fn names(set: &AttrSet) -> TokenStream {
    let names = set.iter();
    quote!(&[#(#names),*])
}

fn optional(set: Option<&AttrSet>) -> TokenStream {
    match set {
        Some(set) => {
            let set = names(set);
            quote!(::core::option::Option::Some(#set))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn kind(kind: PathKind) -> TokenStream {
    match kind {
        PathKind::CR => quote!(::blazes::PathKind::CR),
        PathKind::CW => quote!(::blazes::PathKind::CW),
        PathKind::OR => quote!(::blazes::PathKind::OR),
        PathKind::OW => quote!(::blazes::PathKind::OW),
    }
}

/// The expression building `dataflow`.
pub fn dataflow_expr(dataflow: &Dataflow) -> TokenStream {
    let components = dataflow.components.iter().map(|c| {
        let name = &c.name;
        let rep = c.rep;
        let paths = c.paths.iter().map(|p| {
            let (from, to) = (&p.from, &p.to);
            let kind = kind(p.annotation.kind);
            let gate = p
                .annotation
                .gates
                .first()
                .map_or_else(|| quote!(&[]), names);
            quote!((#from, #to, #kind, #gate))
        });
        quote!(::blazes::__private::ComponentSpec { name: #name, rep: #rep, paths: &[#(#paths),*] })
    });
    let streams = dataflow.streams.iter().map(|s| {
        let (from, to) = (endpoint(&s.from), endpoint(&s.to));
        let a = &s.annotation;
        let (seal, seq) = (optional(a.seal.as_ref()), optional(a.seq.as_ref()));
        let (independent, rep) = (a.independent, a.rep);
        quote! {
            ::blazes::__private::StreamSpec {
                from: #from, to: #to, seal: #seal, seq: #seq, independent: #independent, rep: #rep,
            }
        }
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
    quote! {{
        const SPEC: ::blazes::__private::DataflowSpec = ::blazes::__private::DataflowSpec {
            name: #name,
            components: &[#(#components),*],
            streams: &[#(#streams),*],
            fds: &[#(#fds),*],
            requires: #requires,
            coordinate: #coordinate,
        };
        SPEC.build()
    }}
}

fn endpoint(endpoint: &Endpoint) -> String {
    endpoint.to_string()
}
