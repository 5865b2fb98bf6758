//! Procedural macros of blazes. Use them through the `blazes` crate, whose
//! re-exports document them with examples: `#[blazes::component]` annotates a
//! component, `#[blazes::dataflow]` checks a whole dataflow at compile time.
//!
//! Each entry point is a thin wrapper over a `proc_macro2` function that the
//! unit tests drive.

mod attrs;
mod check;
mod component;
mod errors;
mod expand;
mod explain;
mod field_id;
mod light;
mod model;
mod module;
mod outputs;
mod signature;
mod topology;
mod warnings;

use proc_macro::TokenStream;

/// Marks a struct as a blazes component (`#[component(rep)]`: replicated),
/// and, on its impl block, reads the `#[path(..)]` and `#[on_seal]` handler
/// methods, implements `blazes::Handler` and registers the component.
#[proc_macro_attribute]
pub fn component(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::component::expand(args.into(), item.into()).into()
}

/// Derives `blazes::Record` for a struct with named fields: its field list,
/// its conversion to and from `blazes::Tuple`, and each field's type by name.
#[proc_macro_derive(Record)]
pub fn derive_record(item: TokenStream) -> TokenStream {
    expand::record::expand(item.into()).into()
}

/// Checks the dataflow declared by an inline module at compile time.
#[proc_macro_attribute]
pub fn dataflow(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::dataflow::expand(args.into(), item.into()).into()
}

/// A path annotation; only meaningful inside a `#[component]` impl block,
/// which reads and removes it.
#[proc_macro_attribute]
pub fn path(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced::helper_attribute("path", item.into()).into()
}

/// The method called when a seal buffer releases a partition; only
/// meaningful inside a `#[component]` impl block, which reads and removes it.
#[proc_macro_attribute]
pub fn on_seal(_args: TokenStream, item: TokenStream) -> TokenStream {
    expand::misplaced::helper_attribute("on_seal", item.into()).into()
}

/// The streams of a dataflow; only meaningful inside a `#[blazes::dataflow]`
/// module, which reads and removes it.
#[proc_macro]
pub fn streams(_input: TokenStream) -> TokenStream {
    expand::misplaced::topology_macro("streams").into()
}

/// The components of a dataflow, by path; only meaningful inside a
/// `#[blazes::dataflow]` module, which reads and removes it.
#[proc_macro]
pub fn components(_input: TokenStream) -> TokenStream {
    expand::misplaced::topology_macro("components").into()
}

/// The end of the chain through which a dataflow reads the components it
/// names by path (generated code only).
#[doc(hidden)]
#[proc_macro]
pub fn resolve_dataflow(input: TokenStream) -> TokenStream {
    expand::chain::resolve(input.into()).into()
}

/// The functional dependencies of a dataflow (`a -> b` many-to-one,
/// `a <-> b` one-to-one); only meaningful inside a `#[blazes::dataflow]`
/// module, which reads and removes it.
#[proc_macro]
pub fn fds(_input: TokenStream) -> TokenStream {
    expand::misplaced::topology_macro("fds").into()
}
