//! The DataLoader and the stratified split: invariants over random datasets and settings.

use std::collections::HashSet;

use proptest::prelude::*;
use sentiment_rnn::data::loader::truncate;
use sentiment_rnn::data::{DataLoader, LoaderConfig, LoaderError, Truncation, stratified_split};

const PAD: u32 = 999_999;

fn dataset() -> impl Strategy<Value = Vec<Vec<u32>>> {
    prop::collection::vec(prop::collection::vec(0u32..1000, 1..60), 1..200)
}

fn config() -> impl Strategy<Value = LoaderConfig> {
    (
        1usize..40,
        1usize..50,
        any::<bool>(),
        any::<bool>(),
        0usize..5,
        any::<u64>(),
    )
        .prop_flat_map(
            |(batch_size, max_len, head_tail, shuffle, bucket_batches, seed)| {
                let truncation = if head_tail {
                    (0..=max_len)
                        .prop_map(|head| Truncation::HeadTail { head })
                        .boxed()
                } else {
                    Just(Truncation::Head).boxed()
                };
                truncation.prop_map(move |truncation| LoaderConfig {
                    batch_size,
                    max_len,
                    truncation,
                    pad_id: PAD,
                    shuffle,
                    bucket_batches,
                    seed,
                })
            },
        )
}

proptest! {
    #[test]
    fn every_index_once_per_epoch_with_consistent_shapes(seqs in dataset(), cfg in config(), epoch in 0u64..5) {
        let labels: Vec<usize> = (0..seqs.len()).map(|i| (i * 7 + 3) % 2).collect();
        let loader = DataLoader::new(&seqs, Some(&labels), cfg.clone()).unwrap();
        let batches = loader.epoch(epoch);
        prop_assert_eq!(batches.len(), loader.num_batches());
        let mut seen: Vec<usize> = batches.iter().flat_map(|b| b.indices.clone()).collect();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..seqs.len()).collect::<Vec<_>>());
        for b in &batches {
            prop_assert!(b.batch_size >= 1 && b.batch_size <= cfg.batch_size);
            prop_assert_eq!(b.ids.len(), b.batch_size * b.seq_len);
            prop_assert_eq!(b.mask.len(), b.batch_size * b.seq_len);
            prop_assert_eq!(b.lengths.len(), b.batch_size);
            prop_assert_eq!(b.indices.len(), b.batch_size);
            prop_assert_eq!(b.seq_len, *b.lengths.iter().max().unwrap());
            prop_assert!(b.seq_len <= cfg.max_len);
            for r in 0..b.batch_size {
                let i = b.indices[r];
                let want = truncate(&seqs[i], cfg.max_len, cfg.truncation);
                prop_assert_eq!(b.lengths[r], seqs[i].len().min(cfg.max_len));
                prop_assert!(b.lengths[r] >= 1);
                prop_assert_eq!(b.tokens(r), want.as_slice());
                prop_assert_eq!(b.labels[r], labels[i]);
                for t in 0..b.seq_len {
                    let real = t < b.lengths[r];
                    prop_assert_eq!(b.mask[r * b.seq_len + t], u8::from(real));
                    if !real {
                        prop_assert_eq!(b.ids[r * b.seq_len + t], PAD);
                    }
                }
            }
        }
    }

    #[test]
    fn same_seed_same_batches(seqs in dataset(), cfg in config(), epoch in 0u64..5) {
        let a = DataLoader::new(&seqs, None, cfg.clone()).unwrap().epoch(epoch);
        let b = DataLoader::new(&seqs, None, cfg).unwrap().epoch(epoch);
        prop_assert!(a.iter().all(|b| b.labels.is_empty()));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn truncation_keeps_head_and_tail(seq in prop::collection::vec(any::<u32>(), 1..100), max_len in 1usize..120, head in 0usize..120) {
        let head = head.min(max_len);
        let h = truncate(&seq, max_len, Truncation::Head);
        prop_assert_eq!(h.as_slice(), &seq[..seq.len().min(max_len)]);
        let ht = truncate(&seq, max_len, Truncation::HeadTail { head });
        prop_assert_eq!(ht.len(), seq.len().min(max_len));
        if seq.len() > max_len {
            prop_assert_eq!(&ht[..head], &seq[..head]);
            prop_assert_eq!(&ht[head..], &seq[seq.len() - (max_len - head)..]);
        } else {
            prop_assert_eq!(&ht, &seq);
        }
    }

    #[test]
    fn stratified_split_is_disjoint_covering_and_deterministic(
        labels in prop::collection::vec(0usize..3, 0..300), frac in 0.0f64..1.0, seed in any::<u64>()
    ) {
        let s = stratified_split(&labels, frac, seed);
        prop_assert_eq!(&s, &stratified_split(&labels, frac, seed));
        let train: HashSet<usize> = s.train.iter().copied().collect();
        prop_assert!(s.valid.iter().all(|i| !train.contains(i)));
        let mut all: Vec<usize> = s.train.iter().chain(&s.valid).copied().collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
        for c in 0..3 {
            let n_c = labels.iter().filter(|&&l| l == c).count();
            let v_c = s.valid.iter().filter(|&&i| labels[i] == c).count();
            prop_assert_eq!(v_c, (n_c as f64 * frac).round() as usize);
        }
    }
}

fn lengths_dataset(n: usize) -> Vec<Vec<u32>> {
    (0..n).map(|i| vec![1; 1 + (i * 37) % 97]).collect()
}

#[test]
fn different_epochs_and_seeds_give_different_orders() {
    let seqs = lengths_dataset(500);
    let cfg = LoaderConfig {
        batch_size: 16,
        max_len: 64,
        ..LoaderConfig::default()
    };
    let loader = DataLoader::new(&seqs, None, cfg.clone()).unwrap();
    let order = |e| loader.epoch_order(e);
    assert_ne!(order(0), order(1));
    assert_ne!(order(1), order(2));
    let other = DataLoader::new(&seqs, None, LoaderConfig { seed: 1, ..cfg }).unwrap();
    assert_ne!(order(0), other.epoch_order(0));
}

#[test]
fn no_shuffle_keeps_dataset_order() {
    let seqs = lengths_dataset(50);
    let cfg = LoaderConfig {
        batch_size: 8,
        shuffle: false,
        bucket_batches: 0,
        ..LoaderConfig::default()
    };
    let loader = DataLoader::new(&seqs, None, cfg).unwrap();
    let flat: Vec<usize> = loader.epoch_order(3).concat();
    assert_eq!(flat, (0..50).collect::<Vec<_>>());
    assert_eq!(loader.epoch_order(0), loader.epoch_order(1));
}

#[test]
fn length_buckets_reduce_padding() {
    let seqs = lengths_dataset(2000);
    let padding = |bucket_batches| {
        let cfg = LoaderConfig {
            batch_size: 32,
            max_len: 200,
            bucket_batches,
            ..LoaderConfig::default()
        };
        let loader = DataLoader::new(&seqs, None, cfg).unwrap();
        loader.epoch(0).iter().map(|b| b.padding()).sum::<usize>()
    };
    let (plain, bucketed) = (padding(0), padding(50));
    assert!(bucketed * 5 < plain, "bucketed {bucketed} vs plain {plain}");
}

#[test]
fn bad_inputs_are_errors() {
    let seqs = vec![vec![1, 2], vec![], vec![3]];
    let err = DataLoader::new(&seqs, None, LoaderConfig::default()).unwrap_err();
    assert_eq!(err, LoaderError::EmptySequence { index: 1 });
    assert!(err.to_string().contains("sequence 1 is empty"));
    let seqs = vec![vec![1], vec![2]];
    let err = DataLoader::new(&seqs, Some(&[1]), LoaderConfig::default()).unwrap_err();
    assert_eq!(
        err,
        LoaderError::LabelCount {
            sequences: 2,
            labels: 1
        }
    );
    for cfg in [
        LoaderConfig {
            batch_size: 0,
            ..LoaderConfig::default()
        },
        LoaderConfig {
            max_len: 0,
            ..LoaderConfig::default()
        },
        LoaderConfig {
            max_len: 4,
            truncation: Truncation::HeadTail { head: 5 },
            ..LoaderConfig::default()
        },
    ] {
        assert!(matches!(
            DataLoader::new(&seqs, None, cfg),
            Err(LoaderError::Config(_))
        ));
    }
}
