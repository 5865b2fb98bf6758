//! A typed impl block whose struct has no `#[component]`: reported at the
//! impl block's type.

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

    #[derive(Default)]
    pub struct Scorer;

    #[component(outputs { scores: Score })]
    impl Scorer {
        #[path(from = scores, to = scores, label = CR)]
        fn scores(&mut self, score: Score, out: &mut ScorerOut) {
            out.scores(score);
        }
    }
}

fn main() {}
