//! Importing plain-text articles: the stored text is the file's text, exactly,
//! whatever its line ends or BOM, and a bad file says where it is bad.

use std::path::{Path, PathBuf};

use tawsim::io::{ImportError, MAX_TITLE_CHARS, import_txt_files, parse_txt, read_txt};
use tawsim::store::{Imported, Store, sha256_hex};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/samples/idlib-ceasefire-ar.txt"
);

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn the_sample_article_imports_with_its_first_line_as_title_and_exact_length() {
    let bytes = std::fs::read(SAMPLE).unwrap();
    let raw = String::from_utf8(bytes.clone()).unwrap();
    assert!(!raw.contains('\r') && !raw.starts_with('\u{feff}'));
    let expected_text = raw.trim_end_matches('\n');
    let first_line = raw.lines().next().unwrap().trim();
    assert!(
        first_line.chars().count() > MAX_TITLE_CHARS,
        "sample's first line is long"
    );

    let import = read_txt(Path::new(SAMPLE)).unwrap();
    let doc = &import.doc;
    assert_eq!(doc.text, expected_text);
    assert_eq!(doc.source, SAMPLE);

    // The title is a whole-word prefix of the first line plus "…", at most 80 characters.
    assert!(
        doc.title
            .starts_with("أعلن فريق (منسقو الاستجابة) في شمال سورية")
    );
    assert!(
        doc.title.chars().count() <= MAX_TITLE_CHARS,
        "{}",
        doc.title
    );
    let stem = doc.title.strip_suffix('…').unwrap();
    assert!(first_line.starts_with(stem));
    let rest = &first_line[stem.len()..];
    assert!(
        rest.starts_with(' '),
        "cut between words, not inside one: {rest:?}"
    );
    // And no further word would have fitted.
    let next_word = rest.trim_start().split(' ').next().unwrap();
    let longer = stem.chars().count() + 1 + next_word.chars().count() + 1;
    assert!(longer > MAX_TITLE_CHARS, "{longer}");

    assert_eq!(doc.meta["file_name"], "idlib-ceasefire-ar.txt");
    assert_eq!(doc.meta["file_sha256"], sha256_hex(&bytes));
    assert_eq!(doc.meta["title_from"], "first_line");
    assert_eq!(doc.meta["had_bom"], false);
    assert_eq!(doc.meta["crlf"], 0);
    assert_eq!(doc.meta["lone_cr"], 0);

    let mut store = Store::open_in_memory().unwrap();
    let results = import_txt_files(&mut store, &[PathBuf::from(SAMPLE)], None);
    let id = match results.as_slice() {
        [Ok(Imported::Added(id))] => *id,
        other => panic!("expected one added document, got {other:?}"),
    };
    let stored = store.document(id).unwrap();
    assert_eq!(stored.char_len, expected_text.chars().count());
    assert_eq!(stored.text, expected_text);
    assert_eq!(stored.title, doc.title);
}

#[test]
fn bom_and_crlf_give_the_same_text_as_the_clean_file_and_are_recorded() {
    let clean = read_txt(&data("idlib-strikes-ar.txt")).unwrap();
    let windows = read_txt(&data("idlib-strikes-ar-bom-crlf.txt")).unwrap();
    assert_eq!(windows.doc.text, clean.doc.text);
    assert_eq!(windows.doc.title, clean.doc.title);

    // The header line and the blank line after it are not part of the text.
    assert_eq!(clean.doc.title, "غارات على مدينة إدلب رغم وقف إطلاق النار");
    assert!(clean.doc.text.starts_with("واستهدفت نيران"));
    assert!(!clean.doc.text.contains("العنوان"));
    // Inner blank lines stay; the final newline does not.
    assert!(clean.doc.text.contains("أسرة.\n\nوأكد"));
    assert!(clean.doc.text.ends_with("ونساء."));
    assert_eq!(clean.doc.meta["title_from"], "header");

    let raw = std::fs::read(data("idlib-strikes-ar-bom-crlf.txt")).unwrap();
    let crlf_in_file = raw.windows(2).filter(|w| w == b"\r\n").count();
    assert_eq!(crlf_in_file, 6);
    assert!(windows.report.had_bom);
    assert_eq!(windows.report.crlf, crlf_in_file);
    assert_eq!(windows.report.lone_cr, 0);
    assert_eq!(windows.doc.meta["had_bom"], true);
    assert_eq!(windows.doc.meta["crlf"], crlf_in_file);
    assert_eq!(windows.doc.meta["file_sha256"], sha256_hex(&raw));
    assert_ne!(
        windows.doc.meta["file_sha256"],
        clean.doc.meta["file_sha256"]
    );
    assert!(!clean.report.had_bom);
    assert_eq!(clean.report.crlf, 0);

    // Old Mac line ends (lone CR) too.
    let mac = parse_txt("إدلب\rحماة\r".as_bytes(), "mac.txt").unwrap();
    assert_eq!(mac.doc.text, "إدلب\nحماة");
    assert_eq!(mac.report.lone_cr, 2);
    assert_eq!(mac.doc.title, "إدلب");

    // Same text, so the second file is not stored again.
    let mut store = Store::open_in_memory().unwrap();
    let results = import_txt_files(
        &mut store,
        &[
            data("idlib-strikes-ar.txt"),
            data("idlib-strikes-ar-bom-crlf.txt"),
        ],
        None,
    );
    match results.as_slice() {
        [Ok(Imported::Added(a)), Ok(Imported::AlreadyPresent(b))] => assert_eq!(a, b),
        other => panic!("expected Added then AlreadyPresent, got {other:?}"),
    }
}

#[test]
fn invalid_utf8_names_the_file_byte_and_line_and_stores_nothing_from_it() {
    let bad = data("invalid-utf8-ar.txt");
    let bytes = std::fs::read(&bad).unwrap();
    let expected_byte = bytes.iter().position(|&b| b == 0xFF).unwrap();
    let expected_line = 1 + bytes[..expected_byte]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert_eq!(expected_line, 3);

    match read_txt(&bad).unwrap_err() {
        ImportError::InvalidUtf8 { path, byte, line } => {
            assert_eq!(path, bad);
            assert_eq!(byte, expected_byte);
            assert_eq!(line, expected_line);
        }
        other => panic!("expected InvalidUtf8, got {other:?}"),
    }

    let mut store = Store::open_in_memory().unwrap();
    let results = import_txt_files(
        &mut store,
        &[bad.clone(), data("idlib-strikes-ar.txt")],
        None,
    );
    let err = results[0].as_ref().unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!("byte {expected_byte} (line 3)")),
        "{message}"
    );
    assert!(message.contains("save the file as UTF-8"), "{message}");
    assert!(message.ends_with(&bad.display().to_string()), "{message}");
    // The bad file did not stop the good one, and added nothing itself.
    assert!(matches!(results[1], Ok(Imported::Added(_))));
    let docs = store.documents().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].title, "غارات على مدينة إدلب رغم وقف إطلاق النار");

    // UTF-16 is not UTF-8: with a BOM it fails at byte 0, without one on its first NUL.
    let utf16: Vec<u8> = "إدلب".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut with_bom = vec![0xFF, 0xFE];
    with_bom.extend(&utf16);
    assert!(matches!(
        parse_txt(&with_bom, "u16.txt"),
        Err(ImportError::InvalidUtf8 {
            byte: 0,
            line: 1,
            ..
        })
    ));
    let ascii16: Vec<u8> = "Idlib 19"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(matches!(
        parse_txt(&ascii16, "u16.txt"),
        Err(ImportError::NulByte {
            byte: 1,
            line: 1,
            ..
        })
    ));
}

#[test]
fn empty_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8]); 4] = [
        ("empty.txt", b""),
        ("bom-only.txt", b"\xEF\xBB\xBF"),
        ("blank.txt", b" \r\n\t\n\n"),
        ("header-only.txt", "العنوان: إدلب\n\n".as_bytes()),
    ];
    let mut store = Store::open_in_memory().unwrap();
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        match read_txt(&path) {
            Err(ImportError::Empty { path: named }) => assert_eq!(named, path),
            other => panic!("{name}: expected Empty, got {other:?}"),
        }
        let results = import_txt_files(&mut store, std::slice::from_ref(&path), None);
        assert!(
            matches!(results[0], Err(ImportError::Empty { .. })),
            "{name}"
        );
    }
    assert_eq!(store.documents().unwrap(), vec![]);
}

#[test]
fn a_missing_file_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("لا-يوجد.txt");
    let err = read_txt(&missing).unwrap_err();
    let message = err.to_string();
    match err {
        ImportError::Unreadable { path, source } => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Unreadable, got {other:?}"),
    }
    assert!(
        message.ends_with(&missing.display().to_string()),
        "{message}"
    );
}

#[test]
fn importing_the_same_file_again_is_already_present() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p.tawsim");
    let sample = PathBuf::from(SAMPLE);
    let first = {
        let mut store = Store::open(&project).unwrap();
        import_txt_files(&mut store, std::slice::from_ref(&sample), None)
    };
    let Ok(Imported::Added(id)) = first[0] else {
        panic!("first import: {first:?}")
    };
    let mut store = Store::open(&project).unwrap();
    let again = import_txt_files(&mut store, &[sample.clone(), sample], None);
    assert!(matches!(again[0], Ok(Imported::AlreadyPresent(x)) if x == id));
    assert!(matches!(again[1], Ok(Imported::AlreadyPresent(x)) if x == id));
    assert_eq!(store.documents().unwrap().len(), 1);
}

#[test]
fn a_long_header_title_is_shortened_and_text_is_kept_verbatim() {
    let long = "وقف إطلاق النار ".repeat(10);
    let file = format!("title: {long}\n  نص يبدأ بمسافتين\tوفيه جدولة  \n\n");
    let import = parse_txt(file.as_bytes(), "notes/long.txt").unwrap();
    assert!(import.doc.title.ends_with('…'));
    assert!(import.doc.title.chars().count() <= MAX_TITLE_CHARS);
    assert!(long.starts_with(import.doc.title.trim_end_matches('…')));
    // Leading and trailing spaces and the tab are content: only final newlines go.
    assert_eq!(import.doc.text, "  نص يبدأ بمسافتين\tوفيه جدولة  ");
    assert_eq!(import.doc.meta["file_name"], "long.txt");
    assert_eq!(import.doc.source, "notes/long.txt");
}

#[test]
fn bundled_samples_are_the_real_texts() {
    let samples = tawsim::io::bundled_samples();
    let names: Vec<&str> = samples.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        vec!["idlib-ceasefire-ar.txt", "ud-arabic-pud-news.txt"]
    );
    let article = samples[0].1;
    assert_eq!(article.chars().count(), 2263);
    assert!(article.contains("19 مدنياً"));
    let pud = samples[1].1;
    let lines: Vec<&str> = pud.lines().collect();
    assert_eq!(lines[0], "جمل إخبارية من UD Arabic-PUD");
    assert!((5..=8).contains(&(lines.len() - 1)), "5–8 sentences");
    assert!(!article.starts_with('\u{FEFF}') && !pud.contains('\r'));
}
