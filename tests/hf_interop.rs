//! Our `tokenizer.json` in HuggingFace `tokenizers` (Python): a 30,000-piece tokenizer trained
//! on IMDb train gives the same ids on every IMDb test review in both libraries, and
//! HuggingFace decodes them back to the original text.
//!
//! The interpreter is env `SENTIMENT_RNN_PYTHON` (default `python3`) with the `tokenizers`
//! wheel. Without it the test fails, naming what is missing and how to provide it.

mod common;

use std::process::Command;

use common::{missing_input, texts};
use sentiment_rnn::data::Corpus;
use sentiment_rnn::tokenizer::{
    BrHandling, EncodeOptions, Normalizer, Tokenizer, TokenizerTrainConfig,
};

/// How to provide the Python side, for the failure message.
const HOW_TO_GET_PYTHON: &str = "install the wheel (`pip install tokenizers==0.23.3`, as \
    .ci/run does) and set SENTIMENT_RNN_PYTHON to that interpreter";

const SCRIPT: &str = r#"
import json, sys
try:
    from tokenizers import Tokenizer
except ImportError as e:
    print(f"no tokenizers module: {e}", file=sys.stderr)
    sys.exit(3)
tok = Tokenizer.from_file(sys.argv[1])
texts = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
plain = tok.encode_batch(texts, add_special_tokens=False)
special = tok.encode_batch(texts[:50], add_special_tokens=True)
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for e in plain:
        out.write(json.dumps({"ids": e.ids, "decoded": tok.decode(e.ids, skip_special_tokens=True)}) + "\n")
    for e in special:
        out.write(json.dumps({"ids": e.ids}) + "\n")
"#;

#[derive(serde::Deserialize)]
struct HfOut {
    ids: Vec<u32>,
    #[serde(default)]
    decoded: Option<String>,
}

/// The tokenizer under test: 30,000 pieces trained on IMDb train.
fn tokenizer() -> Tokenizer {
    let train = texts(Corpus::ImdbTrain);
    let cfg = TokenizerTrainConfig {
        vocab_size: 30_000,
        ..Default::default()
    };
    let tok = Tokenizer::train(&train, &cfg, &|_| {}).unwrap();
    assert_eq!(tok.vocab_size(), 30_000);
    tok
}

/// Runs `SCRIPT` on `tok` and `texts`; fails, saying how to fix it, without Python or the
/// wheel.
fn hf_encode(tok: &Tokenizer, texts: &[String]) -> Vec<HfOut> {
    let dir = tempfile::tempdir().unwrap();
    let tok_path = dir.path().join("tokenizer.json");
    tok.save(&tok_path).unwrap();
    let texts_path = dir.path().join("texts.jsonl");
    let lines: Vec<String> = texts
        .iter()
        .map(|t| serde_json::to_string(t).unwrap())
        .collect();
    std::fs::write(&texts_path, lines.join("\n") + "\n").unwrap();
    let out_path = dir.path().join("hf.jsonl");

    let python = std::env::var("SENTIMENT_RNN_PYTHON").unwrap_or_else(|_| "python3".into());
    let run = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .args([&tok_path, &texts_path, &out_path])
        .output();
    let test_name = "hf_tokenizers_gives_identical_ids_on_imdb_test";
    let out = match run {
        Err(err) => missing_input(
            &format!("Python interpreter {python} ({err})"),
            HOW_TO_GET_PYTHON,
            test_name,
        ),
        Ok(output) if output.status.code() == Some(3) => missing_input(
            &format!(
                "the `tokenizers` wheel in {python} ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            HOW_TO_GET_PYTHON,
            test_name,
        ),
        Ok(output) => output,
    };
    assert!(
        out.status.success(),
        "{python} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hf: Vec<HfOut> = std::fs::read_to_string(&out_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hf.len(), texts.len() + 50.min(texts.len()));
    hf
}

#[test]
fn hf_tokenizers_gives_identical_ids_on_imdb_test() {
    let texts = texts(Corpus::ImdbTest);
    let tok = tokenizer();
    let hf = hf_encode(&tok, &texts);
    let ours = tok
        .encode_batch_ids(&texts, &EncodeOptions::default())
        .unwrap();
    let mut mismatches = Vec::new();
    for (i, (text, (mine, theirs))) in texts.iter().zip(ours.iter().zip(&hf)).enumerate() {
        if *mine != theirs.ids {
            mismatches.push(i);
        }
        assert_eq!(
            theirs.decoded.as_deref(),
            Some(text.as_str()),
            "HF decode of text {i}"
        );
    }
    eprintln!(
        "hf_interop: {}/{} IMDb test reviews with identical ids",
        texts.len() - mismatches.len(),
        texts.len()
    );
    assert!(mismatches.is_empty(), "ids differ on texts {mismatches:?}");

    let with_specials = EncodeOptions {
        add_special_tokens: true,
        ..Default::default()
    };
    let ours = tok.encode_batch_ids(&texts[..50], &with_specials).unwrap();
    for (i, (mine, theirs)) in ours.iter().zip(&hf[texts.len()..]).enumerate() {
        assert_eq!(*mine, theirs.ids, "with special tokens, text {i}");
    }

    // The lossy `<br />` → space option is HuggingFace's `Replace` normalizer.
    let tok = tok.with_normalizer(Normalizer {
        br: BrHandling::Space,
    });
    let texts = &texts[..1000];
    let hf = hf_encode(&tok, texts);
    let ours = tok
        .encode_batch_ids(texts, &EncodeOptions::default())
        .unwrap();
    for (i, ((text, mine), theirs)) in texts.iter().zip(&ours).zip(&hf).enumerate() {
        assert_eq!(*mine, theirs.ids, "<br /> → space: text {i}");
        // Lossy: `<br />` decodes as a space, and a text that then starts with a space loses it.
        let replaced = text.replace("<br />", " ");
        let want = replaced.strip_prefix(' ').unwrap_or(&replaced);
        assert_eq!(theirs.decoded.as_deref(), Some(want));
        assert_eq!(tok.decode(mine, true).unwrap(), want);
    }
}
