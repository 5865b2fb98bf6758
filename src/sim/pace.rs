//! How fast each source and each link goes in one simulated run (swarm
//! scheduling). Picking uniformly among the enabled actions makes every
//! source about as fast as every other: a source with one record emits it
//! early in nearly every schedule, so a run where it comes late, which a
//! real deployment produces, is almost never tried. Each run therefore
//! draws a pace for every source and link, a weight from 1 down to 1/256,
//! and picks the next action in proportion to the paces of the enabled
//! ones: some schedules starve one producer, others another.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Slowest pace: 2^-`SLOWEST` of the fastest.
const SLOWEST: u32 = 8;

/// The paces of one run, drawn from its seed.
pub(crate) struct Pace {
    /// Draws the paces, apart from the schedule's own choices.
    draw: Option<ChaCha8Rng>,
    sources: Vec<f64>,
    links: Vec<f64>,
}

impl Pace {
    /// Paces drawn from `seed`, or all equal (`uniform`).
    pub(crate) fn new(seed: u64, uniform: bool) -> Pace {
        Pace {
            draw: (!uniform).then(|| ChaCha8Rng::seed_from_u64(seed ^ 0x5ca1_ab1e_d00d_f00d)),
            sources: Vec::new(),
            links: Vec::new(),
        }
    }

    fn weight(draw: &mut Option<ChaCha8Rng>, paces: &mut Vec<f64>, at: usize) -> f64 {
        let Some(draw) = draw.as_mut() else {
            return 1.0;
        };
        while paces.len() <= at {
            let slower = draw.random_range(0..=SLOWEST);
            paces.push(f64::powi(0.5, slower as i32));
        }
        paces[at]
    }

    /// The pace of source `s`.
    pub(crate) fn source(&mut self, s: usize) -> f64 {
        Self::weight(&mut self.draw, &mut self.sources, s)
    }

    /// The pace of link `l`.
    pub(crate) fn link(&mut self, l: usize) -> f64 {
        Self::weight(&mut self.draw, &mut self.links, l)
    }

    /// The index of one of `weights`, drawn with `rng` in proportion to
    /// them (uniformly when they are all equal).
    pub(crate) fn pick(weights: &[f64], rng: &mut impl Rng) -> usize {
        let total: f64 = weights.iter().sum();
        let mut at = rng.random_range(0.0..total);
        for (i, w) in weights.iter().enumerate() {
            if at < *w {
                return i;
            }
            at -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_paces_are_all_equal_and_drawn_ones_differ() {
        let mut uniform = Pace::new(7, true);
        assert!((0..20).all(|s| uniform.source(s) == 1.0));
        let mut drawn = Pace::new(7, false);
        let paces: Vec<f64> = (0..20).map(|s| drawn.source(s)).collect();
        assert!(paces.iter().any(|p| *p < 1.0), "{paces:?}");
        assert!(paces.iter().all(|p| *p > 0.0 && *p <= 1.0), "{paces:?}");
        // The same seed draws the same paces.
        let mut again = Pace::new(7, false);
        assert_eq!(paces, (0..20).map(|s| again.source(s)).collect::<Vec<_>>());
    }

    #[test]
    fn a_pick_follows_the_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let weights = [1.0, 1.0 / 64.0];
        let slow = (0..6400)
            .filter(|_| Pace::pick(&weights, &mut rng) == 1)
            .count();
        assert!(
            (40..200).contains(&slow),
            "{slow} of 6400 picks of a 1/65 share"
        );
    }
}
