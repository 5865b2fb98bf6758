//! Case S1 with `seq: [batch]` and `coordinate = auto`: a static order at
//! Count repairs `db` to Async without a sequencer.

#![deny(warnings)]

#[blazes::dataflow(coordinate = auto)]
mod wordcount {
    use blazes::{Emit, Tuple, component};

    #[component]
    pub struct Splitter;

    #[component]
    impl Splitter {
        #[path(from = tweets, to = words, label = CR)]
        fn tweets(&mut self, tweet: Tuple, out: &mut Emit) {
            out.emit("words", tweet);
        }
    }

    #[component]
    pub struct Count;

    #[component]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&mut self, word: Tuple, out: &mut Emit) {
            out.emit("counts", word);
        }
    }

    streams! {
        tweets -> Splitter.tweets { seq: [batch] };
        Splitter.words -> Count.words;
        Count.counts -> db;
    }
}

fn main() {
    let analysis = wordcount::analysis();
    assert!(analysis.ok());
    assert_eq!(analysis.residual["db"], blazes::Label::Async);
    assert!(matches!(
        analysis.coordination[0].strategy,
        blazes::Strategy::Order { kind: blazes::OrderKind::Static { .. } }
    ));
}
