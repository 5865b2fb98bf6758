//! A stream sealed on exactly the key its producer punctuates, between
//! components whose records differ: its one check (`SealedStream`, which
//! also stands for the seal key's field checks) reports the mismatch at the
//! declaration.

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Reach {
        pub node: u64,
    }

    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Edge {
        pub from: u64,
        pub to: u64,
    }
}

pub mod parts {
    use super::records::{Edge, Reach};
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Walk;

    #[component(outputs { reached: Reach { punctuates: [node] } })]
    impl Walk {
        #[path(from = roots, to = reached, label = CR)]
        fn roots(&mut self, root: Reach, out: &mut WalkOut) {
            let node = root.node;
            out.reached(root);
            out.punctuate_reached(node);
        }
    }

    #[component]
    #[derive(Default)]
    pub struct Printer;

    #[component(outputs { shown: Edge })]
    impl Printer {
        #[path(from = edges, to = shown, label = CR)]
        fn edges(&mut self, edge: Edge, out: &mut PrinterOut) {
            out.shown(edge);
        }
    }
}

#[blazes::dataflow]
pub mod flow {
    blazes::components! { crate::parts::Walk, crate::parts::Printer }

    streams! {
        roots -> Walk.roots;
        Walk.reached -> Printer.edges { seal: [node] };
        Printer.shown -> out;
    }
}

fn main() {
    let _ = flow::analysis();
}
