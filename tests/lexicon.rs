//! The VADER lexicon: the real file parses to its documented size and checksum; it is found
//! under the data root or beside it; a missing one is downloaded (in any line-end form of the
//! pinned text) and anything else leaves nothing behind.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use sentiment_rnn::data::download::sha256_file;
use sentiment_rnn::data::lexicon::{
    Lexicon, LexiconError, VADER_ENTRIES, VADER_PATH, VADER_SHA256, VADER_SHA256_LF, VADER_TOKENS,
    ensure_vader_from, find_vader, load_vader,
};
use sentiment_rnn::data::{DataRoot, RootOrigin};

fn root() -> DataRoot {
    DataRoot::resolve(
        None,
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets")),
    )
}

fn real_file() -> PathBuf {
    find_vader(&root()).expect("the VADER lexicon under the data root or beside it")
}

/// Serves `body` for every request on 127.0.0.1 until the test ends; returns its URL.
fn serve(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/vader_lexicon.txt",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// A data root in a fresh temp folder (with no `lexicons/` beside it).
fn empty_root() -> (tempfile::TempDir, DataRoot) {
    let dir = tempfile::tempdir().unwrap();
    let root = DataRoot::new(dir.path().join("data"), RootOrigin::Flag);
    std::fs::create_dir(&root.path).unwrap();
    (dir, root)
}

#[test]
fn the_real_lexicon_has_its_documented_size_and_checksum() {
    let path = real_file();
    assert_eq!(sha256_file(&path).unwrap(), VADER_SHA256);
    let lexicon = load_vader(&root()).unwrap();
    assert_eq!(
        (lexicon.entries(), lexicon.len()),
        (VADER_ENTRIES, VADER_TOKENS)
    );
    assert_eq!(lexicon.valence("good"), Some(1.9));
    // Repeated tokens take their later line's valence, as VADER's loader does.
    assert_eq!(lexicon.valence("lol"), Some(1.8));
    assert_eq!(lexicon.valence("horrible"), Some(-2.5));
    assert!(
        lexicon
            .iter()
            .all(|(token, v)| !token.is_empty() && v.abs() <= 4.0)
    );
}

#[test]
fn the_pinned_lf_checksums_are_the_same_text() {
    let crlf = std::fs::read(real_file()).unwrap();
    let text = String::from_utf8(crlf).unwrap();
    let lf = text.replace("\r\n", "\n");
    let dir = tempfile::tempdir().unwrap();
    for (body, sha) in [
        (lf.clone(), VADER_SHA256_LF[0]),
        (lf + "\n", VADER_SHA256_LF[1]),
    ] {
        let path = dir.path().join("lf.txt");
        std::fs::write(&path, &body).unwrap();
        assert_eq!(sha256_file(&path).unwrap(), sha);
        assert_eq!(Lexicon::load(&path).unwrap().entries(), VADER_ENTRIES);
    }
}

#[test]
fn a_lexicons_folder_beside_the_root_is_used() {
    let (dir, root) = empty_root();
    assert_eq!(find_vader(&root), None);
    let beside = dir.path().join(VADER_PATH);
    std::fs::create_dir_all(beside.parent().unwrap()).unwrap();
    std::fs::write(&beside, "good\t1.9\t0.9\t[2]").unwrap();
    assert_eq!(find_vader(&root), Some(beside.clone()));
    // The root's own copy comes first.
    let inside = root.join(VADER_PATH);
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, "bad\t-2.5\t0.5\t[-2]").unwrap();
    assert_eq!(find_vader(&root), Some(inside));
}

#[test]
fn a_missing_lexicon_is_downloaded_in_either_line_end_form() {
    let crlf = std::fs::read(real_file()).unwrap();
    let lf = String::from_utf8(crlf.clone())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    for body in [crlf, lf] {
        let (_dir, root) = empty_root();
        let path = ensure_vader_from(&root, &serve(body.clone())).unwrap();
        assert_eq!(path, root.join(VADER_PATH));
        assert_eq!(std::fs::read(&path).unwrap(), body);
        assert_eq!(Lexicon::load(&path).unwrap().entries(), VADER_ENTRIES);
    }
}

#[test]
fn a_tampered_download_leaves_nothing() {
    let (_dir, root) = empty_root();
    let err = ensure_vader_from(&root, &serve(b"good\t1.9\t0.9\t[2]".to_vec())).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, LexiconError::DownloadFailed { .. }),
        "{err:?}"
    );
    assert!(message.contains("SHA-256 mismatch"), "{message}");
    assert!(message.contains(VADER_PATH), "{message}");
    assert_eq!(std::fs::read_dir(&root.path).unwrap().count(), 0);
}

#[test]
fn a_missing_root_is_not_filled() {
    let dir = tempfile::tempdir().unwrap();
    let root = DataRoot::new(dir.path().join("typo"), RootOrigin::Flag);
    let err = ensure_vader_from(&root, "http://127.0.0.1:9/none").unwrap_err();
    assert!(err.to_string().contains("data root not found"), "{err}");
    assert!(!root.path.exists());
}

#[test]
fn pieces_of_a_real_tokenizer_inherit_their_words_valence() {
    use sentiment_rnn::data::valence::{NEGATION_SCALAR, PieceWords, ValenceTagger};
    use sentiment_rnn::tokenizer::{Tokenizer, TokenizerTrainConfig};
    use std::sync::Arc;

    let texts: Vec<String> = ["the film was good", "a bad plot", "it is not good at all"]
        .iter()
        .cycle()
        .take(60)
        .map(|t| t.to_string())
        .collect();
    let config = TokenizerTrainConfig {
        vocab_size: 280,
        ..TokenizerTrainConfig::default()
    };
    let tok = Tokenizer::train(&texts, &config, &|_| {}).unwrap();
    let lexicon = Arc::new(load_vader(&root()).unwrap());
    let tagger = ValenceTagger::new(lexicon.clone(), true);
    let pieces = PieceWords::new(&tok);
    // "yummy" and "terrible" never occur in training: they fall into several pieces (or
    // bytes), each carrying the word's valence.
    let ids = tok.encode_ids("yummy food , not terrible").unwrap();
    let valences = pieces.valences(&tagger, &ids);
    let (word_of, words) = pieces.words(&ids);
    let words: Vec<&str> = words.iter().map(|w| w.as_deref().unwrap()).collect();
    assert_eq!(words, ["yummy", "food", ",", "not", "terrible"]);
    assert!(word_of.iter().filter(|&&w| w == 0).count() > 1, "{ids:?}");
    for (piece, &word) in word_of.iter().enumerate() {
        let want = match words[word] {
            "yummy" => lexicon.valence("yummy").unwrap(),
            "terrible" => lexicon.valence("terrible").unwrap() * NEGATION_SCALAR,
            other => lexicon.valence(other).unwrap_or(0.0),
        };
        assert_eq!(valences[piece], want, "piece {piece} of {}", words[word]);
    }
}
