//! A plain (many-to-one) FD: a user has several sessions, so `session -> user`
//! does not let a seal on `session` complete a group of `user`. The build
//! fails, and says that `<->` would be accepted only if the FD is one-to-one.

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

    fds! { session -> user; }
}

fn main() {}
