//! `#[derive(blazes::Record)]`: a struct with named fields becomes a record
//! type of blazes streams (issue 11): its field list, its conversion to and
//! from `blazes::Tuple`, and the type of each field by name (for the
//! compile-time key checks and the typed punctuation handles).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::attrs::name_of;
use crate::errors::Errors;

/// Expands `#[derive(Record)]` on `item`.
pub fn expand(item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let input = match syn::parse2::<DeriveInput>(item) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let generated = record_impl(&input, &mut errors);
    let errors = errors.to_compile_errors();
    quote!(#generated #errors)
}

fn record_impl(input: &DeriveInput, errors: &mut Errors) -> TokenStream {
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        errors.spanned(
            &input.generics,
            "a blazes record cannot be generic: declare one struct per record type",
        );
        return TokenStream::new();
    }
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named.named.iter().collect::<Vec<_>>(),
            other => {
                errors.spanned(
                    other,
                    "a blazes record has named fields (`struct Event { session: u64, .. }`): \
                     gates, seals and FDs name them",
                );
                return TokenStream::new();
            }
        },
        _ => {
            errors.spanned(
                ident,
                "`#[derive(blazes::Record)]` goes on a struct with named fields",
            );
            return TokenStream::new();
        }
    };
    let name = name_of(ident);
    let idents: Vec<&syn::Ident> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let names: Vec<String> = idents.iter().map(|i| name_of(i)).collect();
    let count = names.len();
    // The fields in name order (as a tuple keeps them): the tuple is built
    // in that order, each field read back from its position in it.
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|a, b| names[*a].cmp(&names[*b]));
    let sorted_names = order.iter().map(|i| &names[*i]);
    let values = order.iter().map(|i| {
        let (ident, ty) = (idents[*i], &fields[*i].ty);
        quote_spanned!(ty.span()=> <#ty as ::blazes::Field>::to_value(&self.#ident))
    });
    let reads = idents.iter().enumerate().map(|(i, ident)| {
        let at = order.iter().position(|o| *o == i).unwrap_or(i);
        quote!(#ident: ::blazes::__private::read_field_at(
            tuple, #at, #name, __BLAZES_NAMES.at(#at),
        )?)
    });
    let field_values = idents
        .iter()
        .zip(&names)
        .zip(&fields)
        .map(|((ident, name), field)| {
            let ty = &field.ty;
            quote_spanned!(ty.span()=> #name => ::core::option::Option::Some(
                <#ty as ::blazes::Field>::to_value(&self.#ident)
            ))
        });
    let leading_equal = idents
        .iter()
        .zip(&names)
        .zip(&fields)
        .map(|((ident, name), field)| {
            let ty = &field.ty;
            quote_spanned!(ty.span()=> #name => ::blazes::__private::leading_equal_by(
                records,
                |r: &Self| <#ty as ::blazes::Field>::equals_value(&r.#ident, value),
            ))
        });
    let duplicates = idents.iter().zip(&fields).map(|(ident, field)| {
        let ty = &field.ty;
        quote_spanned!(ty.span()=> #ident: <#ty as ::blazes::Field>::duplicate(&self.#ident)?)
    });
    let field_types = fields.iter().zip(&names).map(|(field, field_name)| {
        let ty = &field.ty;
        let id = crate::field_id::id_literal(field_name);
        quote! {
            impl ::blazes::__private::FieldOf<#id>
                for #ident
            {
                type Type = #ty;
            }
        }
    });
    quote! {
        const _: () = {
            static __BLAZES_NAMES: ::blazes::__private::SortedNames<#count> =
                ::blazes::__private::SortedNames::new([#(#sorted_names),*]);
            impl ::blazes::Record for #ident {
                const NAME: &'static str = #name;
                const FIELDS: &'static [&'static str] = &[#(#names),*];
                fn to_tuple(&self) -> ::blazes::Tuple {
                    ::blazes::__private::sorted_tuple(&__BLAZES_NAMES, [#(#values),*])
                }
                fn from_tuple(
                    tuple: &::blazes::Tuple,
                ) -> ::core::result::Result<Self, ::blazes::RecordError> {
                    ::core::result::Result::Ok(Self { #(#reads),* })
                }
                fn field_value(
                    &self,
                    name: &str,
                ) -> ::core::option::Option<::blazes::Value> {
                    match name {
                        #(#field_values,)*
                        _ => ::core::option::Option::None,
                    }
                }
                fn duplicate(&self) -> ::core::option::Option<Self> {
                    ::core::option::Option::Some(Self { #(#duplicates),* })
                }
                fn leading_equal(
                    records: &[Self],
                    name: &str,
                    value: &::blazes::Value,
                ) -> usize {
                    match name {
                        #(#leading_equal,)*
                        _ => 0,
                    }
                }
            }
        };
        impl ::blazes::__private::StaticRecord for #ident {}
        #(#field_types)*
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_gets_its_fields_conversions_and_field_types() {
        let out = expand(quote! {
            struct Event { session: u64, user: String }
        })
        .to_string();
        assert!(
            out.contains("const FIELDS : & 'static [& 'static str] = & [\"session\" , \"user\"]"),
            "{out}"
        );
        let user = crate::field_id::id_literal("user");
        assert!(out.contains(&format!("FieldOf < {user} >")), "{out}");
        assert!(out.contains("type Type = String"), "{out}");
        let sorted = expand(quote! {
            struct Out { user: String, at: u64, session: u64 }
        })
        .to_string();
        assert!(
            sorted.contains("SortedNames :: new ([\"at\" , \"session\" , \"user\"])"),
            "the tuple's names in name order: {sorted}"
        );
        assert!(
            sorted.contains(
                "read_field_at (tuple , 2usize , \"Out\" , __BLAZES_NAMES . at (2usize) ,)"
            ),
            "`user` read from its position in name order: {sorted}"
        );
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn tuple_structs_enums_and_generics_are_refused() {
        for item in [
            quote!(
                struct P(u64);
            ),
            quote!(
                enum E {
                    A,
                }
            ),
            quote!(
                struct G<T> {
                    t: T,
                }
            ),
        ] {
            let out = expand(item.clone()).to_string();
            assert!(out.contains("compile_error"), "{item}: {out}");
        }
    }
}
