//! Downloading against a loopback HTTP server: verified files appear whole, and every failure
//! (checksum mismatch, 404, broken connection) leaves nothing behind.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sentiment_rnn::data::download::{
    DATA_URL_ENV, DownloadError, Source, course_sources, ensure_course_data, ensure_files,
    sha256_file,
};
use sentiment_rnn::data::{Corpus, DataError, DataRoot, RootOrigin};
use sha2::{Digest, Sha256};

/// What the server answers for a path.
#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    /// Announces this many bytes but sends only the body, then closes.
    Truncated(Vec<u8>, usize),
}

struct Server {
    base: String,
    requests: Arc<AtomicUsize>,
}

/// Serves `files` (path → reply; anything else is a 404) on 127.0.0.1 until the test ends.
fn serve(files: HashMap<String, Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let (status, body, length) = match files.get(path.trim_start_matches('/')) {
                Some(Reply::Body(b)) => ("200 OK", b.clone(), b.len()),
                Some(Reply::Truncated(b, n)) => ("200 OK", b.clone(), *n),
                None => ("404 Not Found", b"not found".to_vec(), 9),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    Server { base, requests }
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `dir`, recursively (to check no temp file is left).
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn downloads_verifies_and_skips_present_files() {
    let a = b"first text\nsecond text".to_vec();
    let b = b"\"quoted \"\"one\"\"\"\n".to_vec();
    let server = serve(HashMap::from([
        ("X/train/positive".to_string(), Reply::Body(a.clone())),
        ("X/other.txt".to_string(), Reply::Body(b.clone())),
    ]));
    let sources = [
        Source::new("X/train/positive", &sha(&a)),
        Source::new("X/other.txt", &sha(&b).to_uppercase()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let written = ensure_files(dir.path(), &server.base, &sources).unwrap();
    assert_eq!(written.len(), 2);
    assert_eq!(
        std::fs::read(dir.path().join("X/train/positive")).unwrap(),
        a
    );
    assert_eq!(std::fs::read(dir.path().join("X/other.txt")).unwrap(), b);
    assert_eq!(
        files_under(dir.path()),
        vec!["X/other.txt", "X/train/positive"]
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
    // Present files are not fetched again.
    let again = ensure_files(dir.path(), &format!("{}/", server.base), &sources).unwrap();
    assert!(again.is_empty());
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
}

#[test]
fn checksum_mismatch_leaves_nothing() {
    let server = serve(HashMap::from([(
        "f".to_string(),
        Reply::Body(b"tampered".to_vec()),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let expected = sha(b"original");
    let err = ensure_files(dir.path(), &server.base, &[Source::new("f", &expected)]).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, DownloadError::Checksum { actual, .. } if *actual == sha(b"tampered")),
        "{err:?}"
    );
    assert!(
        msg.contains("SHA-256 mismatch") && msg.contains(&expected),
        "{msg}"
    );
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
}

#[test]
fn not_found_is_a_clear_error() {
    let server = serve(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let err = ensure_files(
        dir.path(),
        &server.base,
        &[Source::new("IMDb/test/negative", &sha(b""))],
    )
    .unwrap_err();
    assert!(
        matches!(err, DownloadError::Status { status: 404, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("404") && msg.contains("/IMDb/test/negative"),
        "{msg}"
    );
    assert!(files_under(dir.path()).is_empty());
}

#[test]
fn broken_connections_leave_nothing() {
    let body = b"only part of it".to_vec();
    let server = serve(HashMap::from([(
        "cut".to_string(),
        Reply::Truncated(body.clone(), 1000),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let err =
        ensure_files(dir.path(), &server.base, &[Source::new("cut", &sha(&body))]).unwrap_err();
    eprintln!("truncated body: {err}");
    assert!(
        matches!(
            err,
            DownloadError::Transport { .. } | DownloadError::Checksum { .. }
        ),
        "{err:?}"
    );
    assert!(files_under(dir.path()).is_empty());

    // Nobody listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = ensure_files(
        dir.path(),
        &format!("http://127.0.0.1:{port}"),
        &[Source::new("f", &sha(b""))],
    )
    .unwrap_err();
    assert!(matches!(err, DownloadError::Transport { .. }), "{err:?}");
    assert!(files_under(dir.path()).is_empty());
}

#[test]
fn course_data_is_fetched_from_the_base_url_and_matches_the_pinned_checksums() {
    // Serve the real course files (the shared copy) under the course layout.
    let data = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets"));
    let data = DataRoot::resolve(None, data).path;
    let files = course_sources()
        .iter()
        .map(|s| {
            (
                s.path.clone(),
                Reply::Body(std::fs::read(data.join(&s.path)).unwrap()),
            )
        })
        .collect();
    let server = serve(files);
    let dir = tempfile::tempdir().unwrap();
    let root = DataRoot::new(dir.path(), RootOrigin::Flag);
    // SAFETY: the only test in this binary that reads the environment.
    unsafe { std::env::set_var(DATA_URL_ENV, &server.base) };
    let written = ensure_course_data(&root).unwrap();
    assert_eq!(written.len(), 5);
    for source in course_sources() {
        assert_eq!(
            sha256_file(&root.join(&source.path)).unwrap(),
            source.sha256
        );
    }
    // Everything present now: nothing more is fetched, and the loaders read the files.
    assert!(ensure_course_data(&root).unwrap().is_empty());
    assert_eq!(server.requests.load(Ordering::SeqCst), 5);
    let train = root.labeled(Corpus::ImdbTrain).unwrap();
    assert_eq!(train.len(), 4950 + 4838);
    // A loader fetches only its own files.
    std::fs::remove_file(root.join("IMDb/test/negative")).unwrap();
    std::fs::remove_file(root.join("Yelp/reviews.txt")).unwrap();
    assert_eq!(root.labeled(Corpus::ImdbTest).unwrap().len(), 4940 + 4823);
    assert_eq!(server.requests.load(Ordering::SeqCst), 6);
    assert!(!root.join("Yelp/reviews.txt").exists());
    assert_eq!(root.yelp_reviews().unwrap().texts.len(), 4000);
    assert_eq!(server.requests.load(Ordering::SeqCst), 7);
    // Yelp/dev has no pinned download: a clear "not found" with how to get it.
    let err = root.labeled(Corpus::YelpDev).unwrap_err();
    assert!(matches!(err, DataError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("no pinned single-file download"));
}
