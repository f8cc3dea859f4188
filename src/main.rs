//! The `tawsim` binary: parse arguments, open the project, run the window.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

use tawsim::schema::Schema;
use tawsim::settings::{self, Settings};
use tawsim::store::Store;
use tawsim::ui::App;

/// tawsim (توسيم): label Arabic news articles, right to left, with exact offsets.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
#[command(
    after_help = "Example:\n  tawsim                 open the default project\n  tawsim war-2024.db     open (or create) that project"
)]
struct Args {
    /// Project database to open or create. Default: default.tawsim.db in the
    /// platform's data directory, created on first start with the bundled
    /// sample articles.
    project: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tawsim: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let settings_path = Settings::default_path();
    let settings = match &settings_path {
        Some(path) => Settings::load(path).unwrap_or_else(|error| {
            eprintln!("tawsim: {error:#}; using default settings");
            Settings::default()
        }),
        None => Settings::default(),
    };
    let (project, is_default) = match args.project {
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
