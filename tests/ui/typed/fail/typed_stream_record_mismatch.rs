//! A stream whose producer emits one record type into an input that takes
//! another: an error on the stream naming both types.

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

    #[component(outputs { reached: Reach })]
    impl Walk {
        #[path(from = roots, to = reached, label = CR)]
        fn roots(&mut self, root: Reach, out: &mut WalkOut) {
            out.reached(root);
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
        Walk.reached -> Printer.edges;
        Printer.shown -> out;
    }
}

fn main() {
    let _ = flow::analysis();
}
