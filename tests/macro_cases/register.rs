//! Cases S11 (`register_rep.yaml`) and S12 (`register_rep_sealed.yaml`): a
//! replicated register whose reads observe the state its writes change.

/// Declares the register; `$($put)*` are the options of the `put` stream and
/// `$($option)*` those of `#[blazes::dataflow]`.
macro_rules! register {
    ($name:ident, { $($put:tt)* } $(, $($option:tt)*)?) => {
        #[blazes::dataflow($($($option)*)?)]
        pub mod $name {
            use blazes::{Emit, Tuple, component};

            #[component(rep)]
            pub struct Register;

            #[component]
            impl Register {
                #[path(from = put, to = ack, label = OW, gate = [key])]
                fn put(&mut self, put: Tuple, out: &mut Emit) {
                    out.emit("ack", put);
                }

                #[path(from = get, to = value, label = OR, gate = [key])]
                fn get(&mut self, get: Tuple, out: &mut Emit) {
                    out.emit("value", get);
                }
            }

            streams! {
                put -> Register.put { $($put)* };
                get -> Register.get;
                Register.ack -> ack;
                Register.value -> value;
            }
        }
    };
}

register!(unsealed, {}, enforce = false);
register!(sealed, { seal: [key] }, enforce = false);
