//! Make a demo project: the bundled sample articles with a few spans tagged,
//! including nested and overlapping ones. Used by `scripts/screenshot.sh`.
//!
//! Usage: `cargo run --release --example demo_project -- PROJECT.db`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use tawsim::model::{CharRange, Origin};
use tawsim::settings::Settings;
use tawsim::store::Store;

/// (text to find, which occurrence, label)
const TAGS: &[(&str, usize, &str)] = &[
    ("إدلب", 0, "PLACE"),
    ("مدينة إدلب", 0, "PLACE"),
    ("إدلب", 1, "PLACE"),
    ("19 مدنياً", 0, "CASUALTY"),
    ("الخميس", 0, "DATE"),
    ("منسقو الاستجابة", 0, "ACTOR"),
    ("النظام السوري", 0, "ACTOR"),
    ("قوات الأسد", 0, "ACTOR"),
    ("11 كانون الثاني/ يناير", 0, "DATE"),
    ("رجب طيب أردوغان", 0, "ACTOR"),
    ("فلاديمير بوتين", 0, "ACTOR"),
    ("400 ألف سوري", 0, "CASUALTY"),
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo_project: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .context("usage: demo_project PROJECT.db")?;
    if path.exists() {
        bail!("{} exists already; give a new path", path.display());
    }
    let mut store = Store::open(&path)?;
    tawsim::io::import_bundled_samples(&mut store)?;
    let annotator = store.annotator_id("demo")?;
    let doc = store.documents()?.first().context("no sample imported")?.id;
    let text = store.document(doc)?.text;
    let chars: Vec<char> = text.chars().collect();
    // A second annotator, omar, who disagrees on some spans: review mode
    // (scripts/screenshot.sh … review) compares the two layers.
    let omar = store.annotator_id("omar")?;
    for (k, &(needle, nth, label)) in TAGS.iter().enumerate() {
        let n: Vec<char> = needle.chars().collect();
        let start = (0..chars.len())
            .filter(|&i| chars[i..].starts_with(&n))
            .nth(nth)
            .with_context(|| format!("{needle} #{nth} is not in the sample article"))?;
        let range = CharRange::new(start, start + n.len())?;
        store.add_span(doc, annotator, range, label, Origin::Manual)?;
        match k % 4 {
            0 => {}
            1 => {
                let other = if label == "ACTOR" { "PLACE" } else { "ACTOR" };
                store.add_span(doc, omar, range, other, Origin::Manual)?;
            }
            2 if range.len() > 2 => {
                let shorter = CharRange::new(range.start(), range.end() - 2)?;
                store.add_span(doc, omar, shorter, label, Origin::Manual)?;
            }
            _ => {
                store.add_span(doc, omar, range, label, Origin::Manual)?;
            }
        }
    }
    // In a throw-away TAWSIM_HOME (the screenshot script's), also name the
    // annotator so the window opens without asking.
    if std::env::var_os("TAWSIM_HOME").is_some()
        && let Some(settings_path) = Settings::default_path()
        && !settings_path.exists()
    {
        let settings = Settings {
            annotator: Some("demo".into()),
            ..Settings::default()
        };
        settings.save(&settings_path)?;
    }
    println!("{}: {} spans in document {doc}", path.display(), TAGS.len());
    Ok(())
}
