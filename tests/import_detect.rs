//! `tawsim import` looks at a file before trusting its extension: NewsFANE's
//! token/tag `.txt`, a JSON array named `.jsonl` and JSON lines named `.json`
//! are refused with the `--format` to use (exit 2), and nothing is imported;
//! with that `--format` they import.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tawsim::store::Store;

fn tawsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tawsim"))
        .args(args)
        .env("USER", "cli-tester")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn documents(db: &Path) -> usize {
    Store::open(db).unwrap().documents().unwrap().len()
}

fn newsfane() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/newsfane/NewsFANE_Gold_2014_170K.txt")
}

#[test]
fn newsfane_named_txt_is_refused_with_format_conll_and_imports_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");
    let file = newsfane();
    let out = tawsim(&["import", "--db", s(&db), "--no-index", s(&file)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the file's name says an article (.txt), but its lines are CoNLL tokens with B-/I-/O tags (line 1: \"\\u{200e}فرانكفورت\\tB-Population-Center\")"),
        "{err}"
    );
    assert!(err.contains("import it with --format conll"), "{err}");
    assert!(
        err.trim_end().ends_with(s(&file)),
        "the path goes last: {err}"
    );
    assert_eq!(documents(&db), 0, "not one 2.6 MB document");

    // In a folder of articles too: the whole import is refused, naming it.
    let folder = dir.path().join("articles");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), "قصف على إدلب يوم الخميس.\n").unwrap();
    std::fs::copy(&file, folder.join("tags.txt")).unwrap();
    let out = tawsim(&["import", "--db", s(&db), "--no-index", s(&folder)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("tags.txt"), "{}", stderr(&out));
    assert_eq!(documents(&db), 0);

    // As advised: --format conll, with the NewsFANE label map.
    let map = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maps/newsfane.ron");
    let out = tawsim(&[
        "import",
        "--db",
        s(&db),
        "--no-index",
        "--format",
        "conll",
        "--map",
        s(&map),
        "--sentences-per-doc",
        "100",
        s(&file),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // 4,760 sentences, 100 per document.
    assert_eq!(documents(&db), 48);
}

#[test]
fn json_arrays_in_jsonl_and_json_lines_in_json_are_refused_with_the_format_to_use() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("news.db");

    let array = dir.path().join("tasks.jsonl");
    std::fs::write(
        &array,
        "[\n  {\"id\": 1, \"data\": {\"text\": \"قصف على إدلب\"}, \"annotations\": []}\n]\n",
    )
    .unwrap();
    let out = tawsim(&["import", "--db", s(&db), "--no-index", s(&array)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the file's name says JSON lines (.jsonl), but it is one JSON array, not one JSON object per line (line 1: \"[\")"),
        "{err}"
    );
    assert!(err.contains("--format label-studio"), "{err}");

    let lines = dir.path().join("docs.json");
    std::fs::write(
        &lines,
        "\u{feff}{\"text\": \"قصف على إدلب\", \"label\": [[8, 12, \"PLACE\"]]}\r\n{\"text\": \"سقط 3 قتلى\", \"label\": []}\r\n",
    )
    .unwrap();
    let out = tawsim(&["import", "--db", s(&db), "--no-index", s(&lines)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("its lines are JSON objects, one per line (JSON lines)")
            && err.contains("import it with --format jsonl"),
        "{err}"
    );
    assert_eq!(documents(&db), 0);

    let out = tawsim(&[
        "import",
        "--db",
        s(&db),
        "--no-index",
        "--format",
        "jsonl",
        s(&lines),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(documents(&db), 2);

    // A real article named .txt still imports as one document.
    let article =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/idlib-ceasefire-ar.txt");
    let out = tawsim(&["import", "--db", s(&db), "--no-index", s(&article)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(documents(&db), 3);
}
