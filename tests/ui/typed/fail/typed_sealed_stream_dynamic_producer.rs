//! A stream sealed on exactly the key its producer punctuates, from an
//! output of the dynamic `Tuple` (fields known only at run time) into a
//! typed input whose record lacks the key: the stream's check
//! (`SealedStream`) reports it at the declaration, since the producer's
//! punctuation method could not check the key on a `Tuple`.

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Edge {
        pub from: u64,
        pub to: u64,
    }
}

pub mod parts {
    use super::records::Edge;
    use blazes::{Tuple, component};

    #[component]
    #[derive(Default)]
    pub struct Source;

    #[component(outputs { rows: Tuple { punctuates: [node] } })]
    impl Source {
        #[path(from = raw, to = rows, label = CR)]
        fn raw(&mut self, row: Tuple, out: &mut SourceOut) {
            out.rows(row);
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
    blazes::components! { crate::parts::Source, crate::parts::Printer }

    streams! {
        raw -> Source.raw;
        Source.rows -> Printer.edges { seal: [node] };
        Printer.shown -> out;
    }
}

fn main() {
    let _ = flow::analysis();
}
