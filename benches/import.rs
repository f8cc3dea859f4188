//! Speed of importing the NewsFANE Gold file (4,760 sentences, 168,080 tokens,
//! 11,423 spans) into a fresh project file, as `tawsim import --format conll`
//! does: read, check, and write in one transaction with `synchronous=FULL`.
//!
//! Run with `cargo bench --bench import`; criterion's "thrpt" is sentences
//! per second (the target is at least 20,000).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tawsim::io::{Format, ImportOptions, LabelMap, import_paths, read_inputs};
use tawsim::schema::Schema;
use tawsim::store::Store;

const SENTENCES: u64 = 4_760;

fn newsfane() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/newsfane/NewsFANE_Gold_2014_170K.txt")
}

fn options(sentences_per_doc: usize) -> ImportOptions {
    ImportOptions {
        format: Some(Format::Conll),
        layer: Some("newsfane-gold".into()),
        map: Some(LabelMap::newsfane()),
        sentences_per_doc,
        ..ImportOptions::default()
    }
}

fn fresh_project() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("a new project");
    let actor = store.annotator_id("bench").expect("an annotator");
    (dir, store, actor)
}

fn bench_import(c: &mut Criterion) {
    let paths = [newsfane()];
    let mut group = c.benchmark_group("newsfane");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SENTENCES));

    let schema = Schema::default_schema();
    let read_options = options(1);
    group.bench_function("read, map and check (no store)", |b| {
        b.iter(|| {
            black_box(
                read_inputs(&paths, &read_options, &schema, &mut |_| true).expect("NewsFANE reads"),
            )
        })
    });

    for per_doc in [1, 20] {
        let opts = options(per_doc);
        group.bench_function(
            format!("import into a fresh file project, {per_doc} sentence(s) per document"),
            |b| {
                b.iter_batched(
                    fresh_project,
                    |(dir, mut store, actor)| {
                        let report = import_paths(&mut store, &paths, &opts, actor, &mut |_| true)
                            .expect("NewsFANE imports");
                        (dir, report)
                    },
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_import);
criterion_main!(benches);
