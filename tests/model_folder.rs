//! Saved model folders in the library: any corruption (truncation, flipped bytes, edited
//! settings, NaN weights) is an error naming the file, never a panic and never a silently
//! different prediction; an interrupted run resumes only with the same config.

mod model_support;

use std::path::Path;
use std::sync::OnceLock;

use dfdx::prelude::*;
use proptest::prelude::*;
use sentiment_rnn::data::YelpStyleNormalizer;
use sentiment_rnn::nn::classifier::Classifier;
use sentiment_rnn::saved::folder::{MODEL_JSON, TOKENIZER_JSON, WEIGHTS};
use sentiment_rnn::saved::manifest::{Manifest, sha256_hex};
use sentiment_rnn::saved::output::RUN_JSON;
use sentiment_rnn::saved::{
    ModelRecord, OutputError, OutputFolder, Plan, RunConfig, SavedModel, SavedModelError,
    TrainingSummary,
};
use sentiment_rnn::tokenizer::{Tokenizer, TokenizerTrainConfig};
use sentiment_rnn::train::weights::WeightsError;

const TEXTS: [&str; 4] = ["good great film", "bad awful plot", "", "the actors"];

fn config() -> RunConfig {
    RunConfig::parse(&model_support::config_json("", ""), "test").unwrap()
}

/// A tiny saved folder (random weights) and its predictions for [`TEXTS`].
fn original() -> &'static (tempfile::TempDir, Vec<f32>) {
    static FOLDER: OnceLock<(tempfile::TempDir, Vec<f32>)> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let texts: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    "{} movie {i}",
                    ["good", "bad", "great plot", "awful"][i % 4]
                )
            })
            .collect();
        let tokenizer = Tokenizer::train(
            &texts,
            &TokenizerTrainConfig {
                vocab_size: 290,
                ..TokenizerTrainConfig::default()
            },
            &|_| {},
        )
        .unwrap();
        let cfg = config();
        let model =
            Classifier::<f32, Cpu>::new(&cfg.model, tokenizer.vocab_size(), &Cpu::seed_from_u64(1))
                .unwrap();
        let record = ModelRecord {
            config: &cfg,
            normalizer: YelpStyleNormalizer::yelp_style(),
            training: TrainingSummary {
                epochs: 0,
                best_epoch: 0,
                val_accuracy: 0.0,
                test_accuracy: 0.0,
                warnings: Vec::new(),
            },
        };
        SavedModel::write(dir.path(), record, &tokenizer, &model).unwrap();
        let predictions = predict(dir.path()).unwrap();
        (dir, predictions)
    })
}

fn predict(dir: &Path) -> Result<Vec<f32>, SavedModelError> {
    let saved = SavedModel::load(dir)?;
    let texts: Vec<String> = TEXTS.iter().map(|t| t.to_string()).collect();
    let ids = saved.encode(&texts)?;
    let ev = sentiment_rnn::train::evaluate(&saved.model, &saved.batches(&ids, None, 8)?);
    let mut out = vec![0.0; texts.len()];
    for (i, p) in ev.probabilities {
        out[i] = p;
    }
    Ok(out)
}

/// A copy of the original folder.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [MODEL_JSON, TOKENIZER_JSON, WEIGHTS] {
        std::fs::copy(original().0.path().join(name), dir.path().join(name)).unwrap();
    }
    dir
}

/// Rewrites the manifest so it records the current hashes of the other files (as a forger
/// or a careless script would), leaving only the deeper checks.
fn reseal(dir: &Path) {
    let path = dir.join(MODEL_JSON);
    let mut manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest.weights_sha256 = sha256_hex(&std::fs::read(dir.join(WEIGHTS)).unwrap());
    manifest.tokenizer_sha256 = sha256_hex(&std::fs::read(dir.join(TOKENIZER_JSON)).unwrap());
    std::fs::write(&path, manifest.sealed().to_json()).unwrap();
}

/// Byte range of safetensors entry `name`'s data.
fn entry_range(bytes: &[u8], name: &str) -> std::ops::Range<usize> {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    let offsets = &header[name]["data_offsets"];
    let start = 8 + len + offsets[0].as_u64().unwrap() as usize;
    start..8 + len + offsets[1].as_u64().unwrap() as usize
}

/// The entry names of the original weights file: (tensors, settings).
fn entry_names() -> (Vec<String>, Vec<String>) {
    let bytes = std::fs::read(original().0.path().join(WEIGHTS)).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    header
        .into_iter()
        .filter(|(name, _)| name != "__metadata__")
        .map(|(name, entry)| (name, entry["dtype"] == "F64"))
        .fold(
            (Vec::new(), Vec::new()),
            |(mut t, mut s), (name, scalar)| {
                if scalar {
                    s.push(name)
                } else {
                    t.push(name)
                }
                (t, s)
            },
        )
}

/// Loading must fail, or give exactly the original predictions.
fn assert_error_or_same(dir: &Path) {
    match predict(dir) {
        Err(e) => assert!(!e.to_string().is_empty()),
        Ok(predictions) => assert_eq!(&predictions, &original().1, "silently different"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn flipped_or_truncated_files_are_errors_or_harmless(
        file in 0..3usize,
        position in any::<prop::sample::Index>(),
        mask in 1..=255u8,
        truncate in any::<bool>(),
    ) {
        let dir = copy();
        let path = dir.path().join([MODEL_JSON, TOKENIZER_JSON, WEIGHTS][file]);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = position.index(bytes.len());
        if truncate {
            bytes.truncate(at);
        } else {
            bytes[at] ^= mask;
        }
        std::fs::write(&path, &bytes).unwrap();
        assert_error_or_same(dir.path());
    }

    #[test]
    fn edited_settings_and_nan_weights_are_named_even_with_matching_hashes(
        setting in any::<prop::sample::Index>(),
        value in prop_oneof![Just(f64::NAN), Just(-3.0), Just(1e300), Just(0.0), Just(5.0), Just(2.0)],
        tensor in any::<prop::sample::Index>(),
        element in any::<prop::sample::Index>(),
    ) {
        let (tensors, settings) = entry_names();
        let dir = copy();
        let path = dir.path().join(WEIGHTS);
        let original_bytes = std::fs::read(&path).unwrap();

        let name = setting.get(&settings);
        let mut bytes = original_bytes.clone();
        let range = entry_range(&bytes, name);
        let old = f64::from_le_bytes(bytes[range.clone()].try_into().unwrap());
        bytes[range].copy_from_slice(&value.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        reseal(dir.path());
        match predict(dir.path()) {
            Err(SavedModelError::Weights(WeightsError::Setting { tensor, .. })) => {
                prop_assert_eq!(&tensor, name)
            }
            Err(other) => prop_assert!(false, "{name}: {other}"),
            Ok(p) => prop_assert!(old == value && p == original().1, "{name} = {value}"),
        }

        let name = tensor.get(&tensors);
        let mut bytes = original_bytes;
        let range = entry_range(&bytes, name);
        let at = range.start + 4 * element.index(range.len() / 4);
        bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        reseal(dir.path());
        let err = predict(dir.path()).unwrap_err();
        prop_assert!(
            matches!(&err, SavedModelError::Weights(WeightsError::NonFinite { tensor, .. }) if tensor == name),
            "{err}"
        );
        prop_assert!(err.to_string().contains(WEIGHTS), "{err}");
    }
}

#[test]
fn each_kind_of_damage_names_its_file() {
    let check = |edit: &dyn Fn(&Path), expected: &str| {
        let dir = copy();
        edit(dir.path());
        let err = predict(dir.path()).unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    };
    let write = |dir: &Path, name: &str, f: &dyn Fn(Vec<u8>) -> Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, f(std::fs::read(&path).unwrap())).unwrap();
    };
    // An edited value in model.json (here max_len) breaks its checksum.
    check(
        &|d| {
            write(d, MODEL_JSON, &|b| {
                String::from_utf8(b)
                    .unwrap()
                    .replace("\"max_len\": 32", "\"max_len\": 33")
                    .into_bytes()
            })
        },
        "checksum mismatch",
    );
    check(
        &|d| {
            write(d, TOKENIZER_JSON, &|mut b| {
                b.push(b' ');
                b
            })
        },
        "tokenizer.json: SHA-256",
    );
    check(
        &|d| {
            write(d, WEIGHTS, &|mut b| {
                b.truncate(b.len() / 2);
                b
            })
        },
        "model.safetensors: SHA-256",
    );
    check(
        &|d| {
            write(d, WEIGHTS, &|mut b| {
                b.truncate(b.len() / 2);
                b
            });
            reseal(d)
        },
        "model.safetensors: not a valid safetensors file",
    );
    check(
        &|d| std::fs::remove_file(d.join(WEIGHTS)).unwrap(),
        "cannot read",
    );
}

#[test]
fn an_interrupted_run_resumes_only_with_the_same_config_and_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputFolder::new(&dir.path().join("mv")).unwrap();
    let tokenizer = Tokenizer::from_file(original().0.path().join(TOKENIZER_JSON)).unwrap();
    let cfg = config();
    assert_eq!(out.plan(&cfg, None, false).unwrap(), Plan::Fresh);
    out.begin(Plan::Fresh, &cfg, &tokenizer).unwrap();
    assert!(out.partial.join(RUN_JSON).is_file());
    // Interrupted here: the same config resumes, with the partial folder's tokenizer.
    assert_eq!(out.plan(&cfg, None, false).unwrap(), Plan::ResumePartial);
    let resumed = out.continued_tokenizer(Plan::ResumePartial).unwrap();
    assert_eq!(resumed.to_json_string(), tokenizer.to_json_string());
    // Another config or tokenizer does not, and says what differs.
    let mut other = cfg.clone();
    other.data.val_fraction = 0.2;
    let err = out.plan(&other, None, false).unwrap_err();
    assert!(matches!(err, OutputError::Mismatch { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("data.val_fraction: 0.1 in the folder, 0.2 now"),
        "{err}"
    );
    let err = out.plan(&cfg, Some("0123"), false).unwrap_err().to_string();
    assert!(err.contains("tokenizer"), "{err}");
    assert_eq!(out.plan(&other, None, true).unwrap(), Plan::Fresh);
    // A damaged tokenizer in the partial folder is caught before it is used.
    std::fs::write(out.partial.join(TOKENIZER_JSON), "{}").unwrap();
    assert!(out.continued_tokenizer(Plan::ResumePartial).is_err());
}
