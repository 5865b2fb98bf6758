//! Shape checks of handler methods, so a wrong signature is reported on the
//! method with the expected form rather than as a type error in generated code.

use syn::{FnArg, ReceiverKind, ReturnType, Signature, Type};

/// The form of a `#[path]` handler.
pub const HANDLER: &str = "fn(&mut self, tuple: Tuple, out: &mut Emit)";
/// The form of an `#[on_seal]` method.
pub const ON_SEAL: &str = "fn(&mut self, input: &str, partition: &Tuple, out: &mut Emit)";

/// Checks receiver, arity, a trailing `&mut` argument and the return type;
/// the argument types themselves are checked by rustc on the generated call.
pub fn check(sig: &Signature, arguments: usize, expected: &str, role: &str) -> syn::Result<()> {
    let problem = if !has_mut_self(sig) {
        Some("it must take `&mut self`")
    } else if sig.inputs.len() != arguments + 1 {
        Some("wrong number of arguments")
    } else if !last_is_mut_ref(sig) {
        Some("its last argument must be `&mut Emit`")
    } else if !returns_unit(sig) {
        Some("it must return nothing")
    } else if sig.asyncness.is_some() {
        Some("it cannot be `async`")
    } else if !sig.generics.params.is_empty() {
        Some("it cannot be generic")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(syn::Error::new_spanned(
            sig,
            format!("{role} has the wrong signature: {problem}; expected `{expected}`"),
        )),
        None => Ok(()),
    }
}

fn has_mut_self(sig: &Signature) -> bool {
    sig.receiver()
        .is_some_and(|r| matches!(r.kind, ReceiverKind::Reference(_, _, Some(_))))
}

fn last_is_mut_ref(sig: &Signature) -> bool {
    match sig.inputs.last() {
        Some(FnArg::Typed(arg)) => {
            matches!(&*arg.ty, Type::Reference(r) if r.mutability.is_some())
        }
        _ => false,
    }
}

fn returns_unit(sig: &Signature) -> bool {
    match &sig.output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::{ItemFn, parse_quote};

    fn sig(item: ItemFn) -> Signature {
        item.sig
    }

    #[test]
    fn accepts_the_handler_form() {
        let s = sig(parse_quote!(
            fn words(&mut self, t: Tuple, out: &mut Emit) {}
        ));
        assert!(check(&s, 2, HANDLER, "handler").is_ok());
    }

    #[test]
    fn rejects_shared_self_missing_output_and_a_return_value() {
        for item in [
            parse_quote!(
                fn words(&self, t: Tuple, out: &mut Emit) {}
            ),
            parse_quote!(
                fn words(&mut self, t: Tuple) {}
            ),
            parse_quote!(
                fn words(&mut self, t: Tuple, out: &Emit) {}
            ),
            parse_quote!(
                fn words(&mut self, t: Tuple, out: &mut Emit) -> bool {
                    true
                }
            ),
            parse_quote!(
                fn words(t: Tuple, out: &mut Emit) {}
            ),
        ] {
            let s = sig(item);
            assert!(
                check(&s, 2, HANDLER, "handler").is_err(),
                "{}",
                quote::quote!(#s)
            );
        }
    }
}
