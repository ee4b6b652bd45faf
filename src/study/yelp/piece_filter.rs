//! The naive-Bayes piece filter: sentence pieces inherit their review's label, but plot
//! summaries and asides rarely carry it; the pieces whose naive-Bayes score least agrees with
//! the inherited label are dropped.

use rayon::prelude::*;

use crate::nn::ngram::NaiveBayes;

/// Each piece's naive-Bayes score, by the scorer of its review's fold: `scorers[k]` scores the
/// pieces of reviews `r` with `r % scorers.len() == k` (one scorer: in-sample).
pub(super) fn piece_scores(scorers: &[NaiveBayes], ids: &[Vec<u32>], review: &[usize]) -> Vec<f64> {
    ids.par_iter()
        .zip(review)
        .map(|(t, &r)| scorers[r % scorers.len()].score(t))
        .collect()
}

/// The two cross-fitting scorers: `[k]` counts the reviews outside fold `k` (index parity).
pub(super) fn cross_fit_scorers(
    reviews: &[Vec<u32>],
    labels: &[usize],
    vocab: usize,
    buckets: usize,
) -> Vec<NaiveBayes> {
    (0..2)
        .map(|k| {
            let other: Vec<usize> = (0..reviews.len()).filter(|r| r % 2 != k).collect();
            let texts: Vec<Vec<u32>> = other.iter().map(|&r| reviews[r].clone()).collect();
            let labels: Vec<usize> = other.iter().map(|&r| labels[r]).collect();
            NaiveBayes::fit(&texts, &labels, vocab, buckets)
        })
        .collect()
}

/// Which pieces to keep: all but the fraction `drop` whose naive-Bayes score least agrees
/// with their label (ties kept in order). Agreement is the score, sign-flipped for label 0.
pub(super) fn agreeing_pieces(scores: &[f64], labels: &[usize], drop: f64) -> Vec<bool> {
    let agree: Vec<f64> = scores
        .iter()
        .zip(labels)
        .map(|(&s, &l)| if l == 1 { s } else { -s })
        .collect();
    let n_drop = ((drop.clamp(0.0, 1.0) * scores.len() as f64) as usize).min(scores.len());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| agree[a].total_cmp(&agree[b]));
    let mut keep = vec![true; scores.len()];
    for &i in &order[..n_drop] {
        keep[i] = false;
    }
    keep
}

/// Keeps `v[i]` where `keep[i]`.
pub(super) fn retain_kept<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| *k.next().unwrap_or(&true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cross_fitting_keeps_a_pieces_own_review_from_voting_on_it() {
        // Token 7 occurs only in review 0 (positive); token 6 occurs nowhere.
        let reviews = vec![vec![1, 7], vec![3, 4], vec![1, 2], vec![5, 3]];
        let labels = [1, 0, 1, 0];
        let in_sample = NaiveBayes::fit(&reviews, &labels, 8, 64);
        let cross = cross_fit_scorers(&reviews, &labels, 8, 64);
        let own = piece_scores(std::slice::from_ref(&in_sample), &[vec![7]], &[0])[0];
        let fitted = piece_scores(&cross, &[vec![7], vec![6]], &[0, 0]);
        assert!(own > fitted[0] + 0.1, "{own} vs {}", fitted[0]);
        // Out of fold, token 7 is as unknown as a token never seen.
        assert!((fitted[0] - fitted[1]).abs() < 1e-12, "{fitted:?}");
        // A piece of review 1 is scored by the scorer that counted reviews 0 and 2.
        let odd = piece_scores(&cross, &[vec![7]], &[1])[0];
        assert!(odd > fitted[0] + 0.1, "{odd}");
    }

    proptest! {
        #[test]
        fn the_filter_drops_exactly_the_least_agreeing_pieces(
            pieces in proptest::collection::vec(
                (proptest::collection::vec(1u32..8, 1..5), 0usize..2), 1..40),
            drop in 0.0f64..1.0,
        ) {
            let texts = vec![vec![1, 2], vec![3, 4, 1], vec![5, 6], vec![7, 5, 6]];
            let nb = NaiveBayes::fit(&texts, &[1, 1, 0, 0], 8, 64);
            let (ids, labels): (Vec<_>, Vec<_>) = pieces.into_iter().unzip();
            let scores = piece_scores(std::slice::from_ref(&nb), &ids, &vec![0; ids.len()]);
            let keep = agreeing_pieces(&scores, &labels, drop);
            let dropped = keep.iter().filter(|k| !**k).count();
            prop_assert_eq!(dropped, (drop * ids.len() as f64) as usize);
            let agree = |i: usize| {
                let s = nb.score(&ids[i]);
                if labels[i] == 1 { s } else { -s }
            };
            let worst_kept = (0..ids.len()).filter(|&i| keep[i]).map(agree).fold(f64::INFINITY, f64::min);
            let best_dropped = (0..ids.len()).filter(|&i| !keep[i]).map(agree).fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(best_dropped <= worst_kept);
            let mut v: Vec<usize> = (0..ids.len()).collect();
            retain_kept(&mut v, &keep);
            prop_assert_eq!(v, (0..ids.len()).filter(|&i| keep[i]).collect::<Vec<_>>());
        }
    }
}
