//! A one-to-one (injective) FD: with `session <-> user`, a seal on `session`
//! completes the groups of `user`, so a seal buffer suffices. The grey-box
//! file's spelling, `{ injective: true }`, means the same.

#![deny(warnings)]

#[blazes::dataflow]
mod profiles {
    use blazes::{Emit, Tuple, component};

    /// Keeps the latest profile of each user.
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

    fds! { session <-> user; }
}

#[blazes::dataflow]
mod spelled_as_in_yaml {
    use blazes::{Emit, Tuple, component};

    /// Keeps the latest profile of each user.
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

    fds! { session -> user { injective: true }; }
}

fn main() {
    assert!(profiles::analysis().ok());
    assert_eq!(profiles::dataflow(), {
        let mut same = spelled_as_in_yaml::dataflow();
        same.name = Some("profiles".into());
        same
    });
}
