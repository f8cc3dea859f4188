//! File ▸ Merge project files…: choose annotators' project files, merge them
//! one after the other on a background thread (its own connection to the
//! project, short transactions, so the window stays usable), with a progress
//! window and Cancel, then the reports.
//!
//! The window only pushes [`MergeCommand`]s; [`App::run_merge_command`]
//! starts and cancels the job and [`App::poll_merge`] picks up its result
//! each frame. The work is [`Store::merge`] (see [`crate::store::merge`]).
//! Reports name people and files that may be Arabic, so they are drawn by the
//! text engine.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use egui::Sense;

use super::text_engine::TextEngine;
use super::{App, Command, Status};
use crate::model::AnnotatorId;
use crate::store::Store;
use crate::store::import::ImportOrigin;
use crate::store::merge::MergeStage;

/// Size of the report text, in points.
const REPORT_FONT_SIZE: f32 = 14.0;

/// What the merge window asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeCommand {
    /// Choose project files with a file dialog, then merge them.
    Pick,
    /// Merge these files, one after the other.
    Start(Vec<PathBuf>),
    /// Stop before the current file becomes visible (files already merged stay).
    Cancel,
    /// Close the reports.
    Close,
}

/// Where the merge window is.
#[derive(Default)]
pub enum MergeUi {
    #[default]
    Closed,
    Running(MergeJob),
    /// The reports of the merged files, then the error if one failed.
    Done {
        reports: Vec<String>,
        error: Option<String>,
    },
}

/// How far a running merge is.
#[derive(Debug, Clone, Default)]
struct Progress {
    file: usize,
    files: usize,
    stage: Option<MergeStage>,
    reports: Vec<String>,
}

/// A running merge.
pub struct MergeJob {
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<Progress>>,
    result: Receiver<Option<String>>,
}

/// Draw the merge window for the current state.
pub fn merge_ui(
    ctx: &egui::Context,
    state: &mut MergeUi,
    engine: &mut TextEngine,
    commands: &mut Vec<Command>,
) {
    let mut push = |c| commands.push(Command::MergeDialog(c));
    match state {
        MergeUi::Closed => {}
        MergeUi::Running(job) => {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
            let progress = job.progress.lock().map(|p| p.clone()).unwrap_or_default();
            // Not modal: the merge writes in short transactions.
            egui::Window::new("Merging…")
                .id(egui::Id::unique("merge-running"))
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
                .show(ctx, |ui| {
                    let (what, done, total) = match progress.stage {
                        Some(MergeStage::Documents { done, total }) => ("documents", done, total),
                        Some(MergeStage::Spans { done, total }) => ("spans", done, total),
                        Some(MergeStage::History { done, total }) => ("history", done, total),
                        Some(MergeStage::States { done, total }) => ("statuses", done, total),
                        None => ("starting", 0, 0),
                    };
                    ui.label(format!(
                        "file {} of {}",
                        (progress.file + 1).min(progress.files),
                        progress.files
                    ));
                    ui.add(
                        egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                            .text(format!("{what}: {done} of {total}"))
                            .desired_width(360.0),
                    );
                    ui.label("A file's work becomes visible when its merge is complete.");
                    if ui.button("Cancel").clicked() {
                        push(MergeCommand::Cancel);
                    }
                });
        }
        MergeUi::Done { reports, error } => {
            egui::Modal::new(egui::Id::unique("merge-done")).show(ctx, |ui| {
                ui.set_max_width(680.0);
                ui.heading(if error.is_some() {
                    "Merge stopped"
                } else {
                    "Merge finished"
                });
                egui::ScrollArea::vertical()
                    .max_height(420.0)
                    .show(ui, |ui| {
                        let color = ui.visuals().text_color();
                        for line in reports.iter().flat_map(|r| r.lines()) {
                            engine.label(ui, line, REPORT_FONT_SIZE, color, Sense::hover());
                        }
                        if let Some(error) = error {
                            let color = ui.visuals().error_fg_color;
                            for line in error.lines() {
                                engine.label(ui, line, REPORT_FONT_SIZE, color, Sense::hover());
                            }
                        }
                    });
                if ui.button("OK").clicked() {
                    push(MergeCommand::Close);
                }
            });
        }
    }
}

/// Merge `files` into `store` one after the other; the error of the first
/// that fails (the files before it stay merged).
fn run_job(
    store: &mut Store,
    files: &[PathBuf],
    actor: AnnotatorId,
    cancel: &AtomicBool,
    progress: &Mutex<Progress>,
) -> Option<String> {
    for (i, file) in files.iter().enumerate() {
        if let Ok(mut p) = progress.lock() {
            p.file = i;
            p.stage = None;
        }
        let outcome = store.merge(file, actor, ImportOrigin::App, &mut |stage| {
            if let Ok(mut p) = progress.lock() {
                p.stage = Some(stage);
            }
            !cancel.load(Ordering::Relaxed)
        });
        match outcome {
            Ok(report) => {
                if let Ok(mut p) = progress.lock() {
                    p.reports.push(report.to_string());
                }
            }
            Err(e) => return Some(format!("{:#}", anyhow::Error::from(e))),
        }
    }
    None
}

impl App {
    /// Carry out a command of the merge window.
    pub(super) fn run_merge_command(&mut self, command: MergeCommand) -> anyhow::Result<()> {
        match command {
            MergeCommand::Pick => {
                if let Some(files) = rfd::FileDialog::new()
                    .set_title("Merge project files")
                    .add_filter("tawsim projects", &["db", "tawsim"])
                    .add_filter("Any file", &["*"])
                    .pick_files()
                {
                    self.run_merge_command(MergeCommand::Start(files))?;
                }
            }
            MergeCommand::Start(files) => {
                if matches!(self.merge, MergeUi::Running(_)) {
                    anyhow::bail!("a merge is running; wait for it to finish");
                }
                let Some((actor, _)) = self.annotator.clone() else {
                    self.name_prompt.get_or_insert_with(String::new);
                    anyhow::bail!("set your annotator name before merging");
                };
                let cancel = Arc::new(AtomicBool::new(false));
                let progress = Arc::new(Mutex::new(Progress {
                    files: files.len(),
                    ..Progress::default()
                }));
                match self.store.path().map(std::path::Path::to_path_buf) {
                    Some(path) => {
                        let (send, result) = mpsc::channel();
                        let (c, p) = (cancel.clone(), progress.clone());
                        std::thread::Builder::new()
                            .name("merge".into())
                            .spawn(move || {
                                crate::background::yield_to_the_window();
                                let outcome = match Store::open(&path) {
                                    Ok(mut store) => run_job(&mut store, &files, actor, &c, &p),
                                    Err(e) => Some(format!("{:#}", anyhow::Error::from(e))),
                                };
                                // The app may be gone; then nobody waits for the result.
                                let _ = send.send(outcome);
                            })?;
                        self.merge = MergeUi::Running(MergeJob {
                            cancel,
                            progress,
                            result,
                        });
                    }
                    None => {
                        let error = run_job(&mut self.store, &files, actor, &cancel, &progress);
                        let reports = progress
                            .lock()
                            .map(|p| p.reports.clone())
                            .unwrap_or_default();
                        self.finish_merge(reports, error);
                    }
                }
            }
            MergeCommand::Cancel => {
                if let MergeUi::Running(job) = &self.merge {
                    job.cancel.store(true, Ordering::Relaxed);
                }
            }
            MergeCommand::Close => self.merge = MergeUi::Closed,
        }
        Ok(())
    }

    /// Pick up the result of a running merge, if it has finished.
    pub(super) fn poll_merge(&mut self) {
        let MergeUi::Running(job) = &self.merge else {
            return;
        };
        let error = match job.result.try_recv() {
            Ok(error) => error,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Some("the merge stopped unexpectedly".to_owned()),
        };
        let reports = job
            .progress
            .lock()
            .map(|p| p.reports.clone())
            .unwrap_or_default();
        self.finish_merge(reports, error);
    }

    fn finish_merge(&mut self, reports: Vec<String>, error: Option<String>) {
        self.status = Some(Status {
            text: format!(
                "merged {} project file{}",
                reports.len(),
                if reports.len() == 1 { "" } else { "s" }
            ),
            error: error.is_some(),
        });
        self.refresh_documents();
        self.refresh_layers();
        if let Some(indexer) = &self.indexer {
            indexer.nudge();
        }
        if let Err(error) = self.reload_spans() {
            self.errors.push(format!("{error:#}"));
        }
        self.merge = MergeUi::Done { reports, error };
    }

    /// The merge window's state (for tests): `None` while none has ended,
    /// else the reports and the error.
    pub fn merge_result(&self) -> Option<(&[String], Option<&str>)> {
        match &self.merge {
            MergeUi::Done { reports, error } => Some((reports, error.as_deref())),
            _ => None,
        }
    }

    /// Whether a merge is running (for tests).
    pub fn merge_running(&self) -> bool {
        matches!(self.merge, MergeUi::Running(_))
    }
}
