//! The `tawsim` binary: parse arguments; run a command (see `tawsim::cli`) or
//! open the project and run the window.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

use tawsim::cli::Cli;
use tawsim::schema::Schema;
use tawsim::settings::{self, Settings};
use tawsim::store::Store;
use tawsim::ui::App;

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    if let Some(command) = cli.command {
        return tawsim::cli::run(command);
    }
    match run(cli.project) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tawsim: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(project: Option<PathBuf>) -> anyhow::Result<()> {
    let settings_path = Settings::default_path();
    let settings = match &settings_path {
        Some(path) => Settings::load(path).unwrap_or_else(|error| {
            eprintln!("tawsim: {error:#}; using default settings");
            Settings::default()
        }),
        None => Settings::default(),
    };
    let (project, is_default) = match project {
        Some(path) => (path, false),
        None => (
            settings::default_project_path()
                .context("no data directory for the default project; name a PROJECT.db")?,
            true,
        ),
    };
    let fresh = !project.exists();
    if let Some(dir) = project.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let mut store = Store::open(&project)?;
    if fresh && is_default {
        tawsim::io::import_bundled_samples(&mut store)
            .with_context(|| format!("importing the sample articles into {}", project.display()))?;
    }
    let schema = Schema::default_schema();
    let app = App::new(store, schema, settings, settings_path);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(format!("tawsim — {}", project.display()))
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native(
        "tawsim",
        options,
        Box::new(move |cc| {
            app.setup_egui(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// Let glibc keep up to 256 MiB of freed memory at the top of the heap
/// instead of returning it to the system at once. SQLite frees and
/// allocates its buffers around every transaction; with glibc's default
/// threshold an import of 100,000 documents made 186,000 `brk` calls and
/// spent more time in the kernel than in SQLite (BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    const TRIM_THRESHOLD: libc::c_int = 256 << 20;
    const TOP_PAD: libc::c_int = 16 << 20;
    // SAFETY: mallopt only changes allocator parameters; it is called first
    // thing in main, before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}
