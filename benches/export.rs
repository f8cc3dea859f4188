//! Speed and memory of exports on the generated project of 100,000 real
//! documents with about 1.3 million spans (layers `model` and `layla`, all
//! exported: `--layer all`).
//!
//! Run with `cargo bench --bench export`; figures go in BENCHMARKS.md. Each
//! iteration is one whole export to a fresh path. The jsonl throughput is the
//! size of the file written per second. After the runs the bench prints the
//! process's peak resident memory (VmHWM) after each format: it must stay
//! flat, since exports stream one document at a time.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tawsim::export::{ExportOptions, Format, export};
use tawsim::store::Store;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Remove an export: its folder, or its file and manifest.
fn remove(out: &Path) {
    if out.is_dir() {
        std::fs::remove_dir_all(out).ok();
    } else {
        std::fs::remove_file(out).ok();
        std::fs::remove_file(tawsim::export::manifest_path(out)).ok();
    }
}

fn bench_export(c: &mut Criterion) {
    let path = support::project(100_000);
    let store = Store::open(&path).expect("open the generated project");
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut n = 0;
    let mut fresh = |name: &str| {
        n += 1;
        dir.path().join(format!("{name}-{n}"))
    };

    // One export first: its size sets the jsonl throughput, and its manifest the counts.
    let probe = fresh("probe.jsonl");
    let manifest = export(&store, &ExportOptions::new(Format::Jsonl, &probe)).expect("export");
    let bytes = std::fs::metadata(&probe).expect("size").len();
    remove(&probe);
    eprintln!(
        "project: {} documents, {} spans exported; jsonl {:.1} MB; VmHWM after one jsonl export: {:?} KiB",
        manifest.documents,
        manifest.spans,
        bytes as f64 / 1e6,
        vm_hwm_kib()
    );

    let mut group = c.benchmark_group("export_100k");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    let mut peaks = Vec::new();
    for (format, name) in [
        (Format::Jsonl, "jsonl"),
        (Format::Csv, "csv"),
        (Format::Brat, "brat"),
        (Format::Conll, "conll"),
        (Format::Hf, "hf"),
    ] {
        if format == Format::Jsonl {
            group.throughput(Throughput::Bytes(bytes));
        } else {
            group.throughput(Throughput::Elements(manifest.documents as u64));
        }
        group.bench_function(name, |b| {
            // Only the export is timed: removing 200,000 brat files is the
            // file system's work, not the exporter's.
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let out = fresh(name);
                    let start = Instant::now();
                    let m = export(&store, &ExportOptions::new(format, &out)).expect("export");
                    total += start.elapsed();
                    assert!(m.spans > 0);
                    remove(&out);
                }
                total
            })
        });
        peaks.push((name, vm_hwm_kib()));
    }
    group.finish();
    for (name, kib) in peaks {
        eprintln!("VmHWM after the {name} runs: {kib:?} KiB");
    }
}

criterion_group!(benches, bench_export);
criterion_main!(benches);
