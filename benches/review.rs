//! Speed of review measures over a whole project: agreement between three
//! layers and evaluation of one layer against another, on the generated
//! project of 100,000 real-text documents (see `support`).
//!
//! Run with `cargo bench --bench review`; figures go in BENCHMARKS.md.

mod support;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tawsim::store::Store;

fn review_benches(c: &mut Criterion) {
    let path = support::project_three_layers(100_000);
    let store = Store::open(&path).expect("open the generated project");
    let layers = store.layers().expect("layers");
    let id = |name: &str| {
        layers
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("layer {name}"))
            .id
    };
    let (model, layla, omar) = (id("model"), id("layla"), id("omar"));
    let mut group = c.benchmark_group("review/100k");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("agreement_3_layers", |b| {
        b.iter(|| store.agreement(&[model, layla, omar]).expect("agreement"))
    });
    group.bench_function("evaluate_model_against_omar", |b| {
        b.iter(|| store.evaluate(model, omar).expect("evaluate"))
    });
    group.finish();
}

criterion_group!(benches, review_benches);
criterion_main!(benches);
