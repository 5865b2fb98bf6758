//! Writes a `Dataflow` as builder-API code, so the generated
//! `dataflow()` builds at run time exactly what was checked at compile time.

use blazes_core::{AttrSet, Dataflow, Endpoint, PathKind, Permission, Requirement};
use proc_macro2::TokenStream;
use quote::quote;

fn attrs(set: &AttrSet) -> TokenStream {
    let names = set.iter();
    quote!(::blazes::attrs::<[&str; _], &str>([#(#names),*]))
}

fn endpoint(e: &Endpoint) -> TokenStream {
    match e {
        Endpoint::External(name) => {
            quote!(::blazes::Endpoint::External(::std::string::String::from(#name)))
        }
        Endpoint::Port {
            component,
            interface,
        } => quote!(::blazes::Endpoint::port(#component, #interface)),
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
                .map(attrs)
                .unwrap_or_else(|| quote!(::blazes::AttrSet::new()));
            quote!(.path(#from, #to, ::blazes::Annotation::new(#kind, #gate)))
        });
        quote!(.component(::blazes::Component::new(#name).replicated(#rep) #(#paths)*))
    });
    let streams = dataflow.streams.iter().map(|s| {
        let (from, to) = (endpoint(&s.from), endpoint(&s.to));
        let a = &s.annotation;
        let seal = a.seal.as_ref().map(|k| {
            let k = attrs(k);
            quote!(.sealed(#k))
        });
        let seq = a.seq.as_ref().map(|k| {
            let k = attrs(k);
            quote!(.sequenced(#k))
        });
        let independent = a.independent.then(|| quote!(.independent()));
        let rep = a.rep.then(|| quote!(.replicated()));
        quote!(.stream(::blazes::Stream::new(#from, #to) #seal #seq #independent #rep))
    });
    let fds = dataflow.fds.iter().map(|fd| {
        let from = attrs(&fd.from);
        let to = &fd.to;
        quote!(.fd(#from, #to))
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
    let name = match &dataflow.name {
        Some(name) => quote!(::core::option::Option::Some(::std::string::String::from(#name))),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::blazes::Dataflow {
            name: #name,
            ..::blazes::Dataflow::new()
                #(#components)*
                #(#streams)*
                #(#fds)*
                .requires(#requires)
                .coordinate(#coordinate)
        }
    }
}
