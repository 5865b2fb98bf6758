//! A punctuation key on a field whose type (f64) cannot be a key: reported
//! at the key's name in `#[component(outputs { .. })]`.

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Score {
        pub user: String,
        pub value: f64,
    }
}

pub mod parts {
    use super::records::Score;
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Scorer;

    #[component(outputs { scores: Score { punctuates: [value] } })]
    impl Scorer {
        #[path(from = scores, to = scores, label = CR)]
        fn scores(&mut self, score: Score, out: &mut ScorerOut) {
            let value = score.value;
            out.scores(score);
            out.punctuate_scores(value);
        }
    }
}

fn main() {}
