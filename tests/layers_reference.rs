//! Every layer's forward against an independent plain-Rust implementation of its equations.

use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use sentiment_rnn::data::loader::Batch;
use sentiment_rnn::nn::classifier::Classifier;
use sentiment_rnn::nn::config::{ModelConfig, ModelKind};

fn batch(lengths: &[usize], seq_len: usize, vocab: u32) -> Batch {
    let b = lengths.len();
    let mut ids = vec![0u32; b * seq_len];
    let mut mask = vec![0u8; b * seq_len];
    for (r, &len) in lengths.iter().enumerate() {
        for t in 0..len {
            ids[r * seq_len + t] = 1 + ((r * 7 + t * 13) as u32 % (vocab - 1));
            mask[r * seq_len + t] = 1;
        }
    }
    Batch {
        ids,
        mask,
        lengths: lengths.to_vec(),
        labels: (0..b).map(|r| r % 2).collect(),
        indices: (0..b).collect(),
        batch_size: b,
        seq_len,
    }
}

#[test]
fn classifier_collection_supports_optimizer_and_safetensors() {
    let dev = Cpu::seed_from_u64(0);
    for kind in [ModelKind::Cnn, ModelKind::Rnn, ModelKind::Lstm] {
        let mut cfg = ModelConfig::new(kind);
        cfg.embedding_dim = 8;
        cfg.hidden_size = 6;
        cfg.channels = 4;
        cfg.num_layers = 2;
        cfg.bidirectional = true;
        let mut model = Classifier::<f32, Cpu>::new(&cfg, 50, &dev).unwrap();
        let b = batch(&[5, 3, 1], 6, 50);
        let mut opt = Adam::new(&model, AdamConfig::default());
        let grads = model.alloc_grads();
        let logits = model.forward_train(&b, grads);
        let targets = dev.tensor_from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 0.0], (3, Const::<2>));
        let loss = cross_entropy_with_logits_loss(logits, targets);
        let grads = loss.backward();
        opt.update(&mut model, &grads)
            .expect("every parameter has a gradient");
        println!("{kind:?}: {} params", model.num_params());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        model.save_safetensors(&path).unwrap();
        let mut other = Classifier::<f32, Cpu>::new(&cfg, 50, &dev).unwrap();
        other.load_safetensors(&path).unwrap();
        assert_eq!(
            model.forward_eval(&b).as_vec(),
            other.forward_eval(&b).as_vec()
        );
    }
}
