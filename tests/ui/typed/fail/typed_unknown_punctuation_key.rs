//! A punctuation key naming no field of the output's record: reported once,
//! at the key's name in `#[component(outputs { .. })]`, with the record's
//! fields.

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Score {
        pub user: String,
        pub value: i64,
    }
}

pub mod parts {
    use super::records::Score;
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Scorer;

    #[component(outputs { scores: Score { punctuates: [usr] } })]
    impl Scorer {
        #[path(from = scores, to = scores, label = CR)]
        fn scores(&mut self, score: Score, out: &mut ScorerOut) {
            out.scores(score);
        }
    }
}

fn main() {}
