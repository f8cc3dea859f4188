//! Search speed on a project of 100,000 generated documents (real UD
//! Arabic-PUD sentences, see `support`): the target is under 100 ms per query,
//! so results can follow typing within a frame or two.
//!
//! Queries: a common word («التي», in about a quarter of the documents), a
//! rarer word («إسرائيل»), the same word typed without hamza («اسرائيل»),
//! a year typed in Arabic-Indic digits («٢٠١٧», stored as «2017»), a
//! two-letter query (answered without a lookup), and a word that is in no
//! document. Also: opening the project, which checks the index is complete.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tawsim::store::Store;

// `support` is shared with other benches; its lints are its owner's.
#[allow(clippy::manual_is_multiple_of)]
mod support;

const DOCS: usize = 100_000;

fn search(c: &mut Criterion) {
    let path = support::project(DOCS);
    let store = Store::open(&path).expect("open the bench project");
    assert_eq!(store.indexed_documents().expect("count"), DOCS);
    let mut group = c.benchmark_group("search 100k documents");
    group.sample_size(20);
    for (name, query) in [
        ("common word التي", "التي"),
        ("rarer word إسرائيل", "إسرائيل"),
        ("without hamza اسرائيل", "اسرائيل"),
        ("Indic digits ٢٠١٧", "٢٠١٧"),
        ("two letters في", "في"),
        ("absent word كمبيوترات", "كمبيوترات"),
    ] {
        let results = store.search(query, 50).expect("search");
        eprintln!(
            "{name}: {} hits{}",
            results.hits.len(),
            if results.truncated { " (more)" } else { "" }
        );
        group.bench_function(name, |b| {
            b.iter(|| store.search(black_box(query), 50).expect("search"))
        });
    }
    group.finish();
    c.bench_function("open 100k project (index check)", |b| {
        b.iter(|| Store::open(&path).expect("open"))
    });
}

criterion_group!(benches, search);
criterion_main!(benches);
