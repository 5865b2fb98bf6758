//! Cases S13 (`loop_first_wins.yaml`) and S14 (`loop_min.yaml`): a relaxation
//! loop between Expand and Settle, whose entering stream is sealed on `node`.

/// Declares the loop; `$($settle)*` annotates both of Settle's paths.
macro_rules! relaxation {
    ($name:ident, ($($settle:tt)*) $(, $($option:tt)*)?) => {
        #[blazes::dataflow($($($option)*)?)]
        pub mod $name {
            use blazes::{Emit, Tuple, component};

            #[component]
            pub struct Expand;

            #[component]
            impl Expand {
                #[path(from = edges, to = candidates, label = CW)]
                fn edges(&mut self, edge: Tuple, out: &mut Emit) {
                    out.emit("candidates", edge);
                }

                #[path(from = settled, to = candidates, label = CR)]
                fn settled(&mut self, node: Tuple, out: &mut Emit) {
                    out.emit("candidates", node);
                }
            }

            #[component]
            pub struct Settle;

            #[component]
            impl Settle {
                #[path(from = candidates, to = settled, $($settle)*)]
                #[path(from = candidates, to = tree, $($settle)*)]
                fn candidates(&mut self, candidate: Tuple, out: &mut Emit) {
                    out.emit("settled", candidate.clone());
                    out.emit("tree", candidate);
                }
            }

            streams! {
                edges -> Expand.edges { seal: [node] };
                Expand.candidates -> Settle.candidates;
                Settle.settled -> Expand.settled;
                Settle.tree -> tree;
            }
        }
    };
}

relaxation!(first_wins, (label = OW, gate = [node]), enforce = false);
relaxation!(min, (label = CW), enforce = false);
