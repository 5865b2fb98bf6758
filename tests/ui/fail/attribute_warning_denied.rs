//! The attribute warnings are the `deprecated` lint, so `#![deny(deprecated)]`
//! (or `-D warnings`) makes them errors: here a `seq` attribute that is
//! probably a misspelt `session`, in a dataflow that is otherwise accepted.

#![deny(deprecated)]

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
        events -> Profile.events { seal: [session], seq: [sesion] };
        Profile.profiles -> store;
    }

    fds! { session <-> user; }
}

fn main() {}
