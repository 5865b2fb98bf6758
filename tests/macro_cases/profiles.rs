//! A user has many sessions: `session -> user` is a plain (many-to-one) FD,
//! and a seal on `session` does not complete a group of `user`; declared
//! one-to-one (`session <-> user`), it does. The grey-box twins are in
//! `tests/macro_parity.rs`.

/// Declares the profile store with the FD `$($fd)*`.
macro_rules! profiles {
    ($name:ident, ($($fd:tt)*) $(, $($option:tt)*)?) => {
        #[blazes::dataflow($($($option)*)?)]
        pub mod $name {
            use blazes::{Emit, Tuple, component};

            #[component]
            pub struct Profile;

            #[component]
            impl Profile {
                #[path(from = events, to = profiles, label = OW, gate = [user])]
                fn events(&mut self, event: Tuple, out: &mut Emit) {
                    out.emit("profiles", event);
                }
            }

            streams! {
                events -> Profile.events { seal: [session] };
                Profile.profiles -> store;
            }

            fds! { $($fd)* }
        }
    };
}

profiles!(many_to_one, (session -> user;), enforce = false);
profiles!(one_to_one, (session <-> user;));
profiles!(one_to_one_as_in_yaml, (session -> user { injective: true };));
