//! A declared output no `#[path]` reaches: one error, at the output; the
//! stream from it is not reported again as an interface the component lacks.

pub mod records {
    #[derive(blazes::Record, Clone, Debug)]
    pub struct Link {
        pub from: i64,
        pub to: i64,
    }

    #[derive(blazes::Record, Clone, Debug)]
    pub struct Step {
        pub what: String,
    }
}

pub mod parts {
    use super::records::{Link, Step};
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Reach;

    #[component(outputs { found: Link, log: Step })]
    impl Reach {
        #[path(from = links, to = found, label = CR)]
        fn links(&mut self, link: Link, out: &mut ReachOut) {
            out.log(Step { what: format!("{} -> {}", link.from, link.to) });
            out.found(link);
        }
    }
}

#[blazes::dataflow]
pub mod graph {
    blazes::components! { crate::parts::Reach }

    streams! {
        links -> Reach.links;
        Reach.found -> found;
        Reach.log -> log;
    }
}

fn main() {
    let _ = graph::analysis();
}
