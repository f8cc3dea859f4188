//! File ▸ Import…: a dialog for the import options, the import itself on a
//! background thread (its own connection to the same project file) with a
//! progress bar and Cancel, then the report.
//!
//! The dialog only pushes [`ImportCommand`]s; [`App::run_import_command`]
//! starts and cancels the job, and [`App::poll_import`] picks up its result
//! each frame. The work is [`crate::io::import_paths`], one transaction: a
//! cancelled or failed import writes nothing. Text that may hold Arabic (paths,
//! the report) is drawn by the text engine, never by egui labels.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use egui::{RichText, Sense};

use super::text_engine::TextEngine;
use super::text_input::TextInput;
use super::{App, Command, Status};
use crate::io::{Format, ImportOptions, ImportReport, LabelMap, Stage, import_paths};
use crate::model::AnnotatorId;
use crate::store::Store;
use crate::store::import::ImportOrigin;

/// Size of the report and path text, in points.
const REPORT_FONT_SIZE: f32 = 14.0;

/// What the import dialog asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportCommand {
    /// Show the dialog, with these files already chosen (none from the menu).
    Open(Vec<PathBuf>),
    /// Choose files (`folder: false`) or a folder with a file dialog.
    Pick { folder: bool },
    /// Choose the label map file.
    PickMap,
    /// Run the import with these choices.
    Start(ImportChoices),
    /// Stop the running import; nothing is written.
    Cancel,
    /// Close the dialog or the report.
    Close,
}

/// The dialog's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportChoices {
    pub paths: Vec<PathBuf>,
    /// `None`: by each file's extension.
    pub format: Option<Format>,
    /// Empty: each file's name.
    pub layer: String,
    /// Spans of tawsim's own JSONL export back into the layers they name
    /// (see [`ImportOptions::layers_from_file`]).
    pub layers_from_file: bool,
    pub sentences_per_doc: usize,
    pub map: Option<PathBuf>,
    pub keep_unknown: bool,
    pub skip_bad: bool,
}

impl Default for ImportChoices {
    fn default() -> Self {
        ImportChoices {
            paths: Vec::new(),
            format: None,
            layer: String::new(),
            layers_from_file: false,
            sentences_per_doc: 1,
            map: None,
            keep_unknown: false,
            skip_bad: false,
        }
    }
}

/// Where the import dialog is.
#[derive(Default)]
pub enum ImportUi {
    #[default]
    Closed,
    Dialog(ImportChoices),
    Running(Job),
    /// The report, or the error with its cause chain.
    Done(Result<ImportReport, String>),
}

/// A running import.
pub struct Job {
    cancel: Arc<AtomicBool>,
    stage: Arc<Mutex<Option<Stage>>>,
    result: Receiver<Result<ImportReport, String>>,
}

impl Job {
    /// How far the import has come, once it has begun.
    pub fn stage(&self) -> Option<Stage> {
        self.stage.lock().map(|s| *s).unwrap_or(None)
    }
}

/// Draw the dialog for the current state.
pub fn import_ui(
    ctx: &egui::Context,
    state: &mut ImportUi,
    engine: &mut TextEngine,
    commands: &mut Vec<Command>,
) {
    let mut push = |c| commands.push(Command::ImportDialog(c));
    match state {
        ImportUi::Closed => {}
        ImportUi::Dialog(choices) => {
            egui::Modal::new(egui::Id::unique("import-dialog")).show(ctx, |ui| {
                ui.set_max_width(520.0);
                ui.heading("Import files");
                ui.horizontal(|ui| {
                    if ui.button("Choose files…").clicked() {
                        push(ImportCommand::Pick { folder: false });
                    }
                    if ui.button("Choose folder…").clicked() {
                        push(ImportCommand::Pick { folder: true });
                    }
                });
                if choices.paths.is_empty() {
                    ui.label(RichText::new("No files chosen").italics());
                }
                let color = ui.visuals().text_color();
                for path in &choices.paths {
                    engine.label(
                        ui,
                        &path.display().to_string(),
                        REPORT_FONT_SIZE,
                        color,
                        Sense::hover(),
                    );
                }
                ui.separator();
                egui::Grid::new("import-options")
                    .num_columns(2)
                    .show(ui, |ui| {
                        let label = ui.label("Format");
                        let shown = choices.format.map_or("by extension", Format::as_str);
                        egui::ComboBox::from_id_salt("import-format")
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut choices.format, None, "by extension");
                                for format in Format::ALL {
                                    ui.selectable_value(
                                        &mut choices.format,
                                        Some(format),
                                        format.as_str(),
                                    );
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        ui.end_row();
                        let label = ui.label("Layer");
                        // Layer names may be Arabic: the cosmic-text input.
                        TextInput::new("import-layer")
                            .hint("the file's name")
                            .width(260.0)
                            .show(ui, engine, &mut choices.layer)
                            .labelled_by(label.id);
                        ui.end_row();
                        let label = ui.label("Sentences per document");
                        ui.add(
                            egui::DragValue::new(&mut choices.sentences_per_doc).range(1..=10_000),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                        ui.label("Label map");
                        ui.horizontal(|ui| {
                            match &choices.map {
                                Some(map) => {
                                    engine.label(
                                        ui,
                                        &map.display().to_string(),
                                        REPORT_FONT_SIZE,
                                        color,
                                        Sense::hover(),
                                    );
                                }
                                None => {
                                    ui.label(RichText::new("none").italics());
                                }
                            }
                            if ui.button("Choose…").clicked() {
                                push(ImportCommand::PickMap);
                            }
                        });
                        ui.end_row();
                    });
                ui.checkbox(
                    &mut choices.layers_from_file,
                    "Layers from the file (tawsim's own JSONL export: each annotator's spans back into their layer)",
                );
                ui.checkbox(
                    &mut choices.keep_unknown,
                    "Keep labels that are not in the schema",
                );
                ui.checkbox(
                    &mut choices.skip_bad,
                    "Skip bad records (otherwise one bad record imports nothing)",
                );
                ui.separator();
                ui.horizontal(|ui| {
                    let start = egui::Button::new("Import");
                    if ui.add_enabled(!choices.paths.is_empty(), start).clicked() {
                        push(ImportCommand::Start(choices.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        push(ImportCommand::Close);
                    }
                });
            });
        }
        ImportUi::Running(job) => {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
            let stage = job.stage.lock().map(|s| *s).unwrap_or(None);
            // Not modal: the import writes in short transactions, so the
            // annotator goes on working while it runs.
            egui::Window::new("Importing…")
                .id(egui::Id::unique("import-running"))
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
                .show(ctx, |ui| {
                    let (text, fraction) = match stage {
                        Some(Stage::Importing {
                            done,
                            total,
                            records,
                        }) => (
                            format!(
                                "{} records, {} of {} MB read",
                                records,
                                done / 1_000_000,
                                total.div_ceil(1_000_000)
                            ),
                            done as f32 / total.max(1) as f32,
                        ),
                        Some(Stage::Undoing) => ("removing what was written…".to_owned(), 1.0),
                        None => ("starting".to_owned(), 0.0),
                    };
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .text(text)
                            .desired_width(360.0),
                    );
                    ui.label("Nothing is visible until the import is complete.");
                    if ui.button("Cancel").clicked() {
                        push(ImportCommand::Cancel);
                    }
                });
        }
        ImportUi::Done(result) => {
            egui::Modal::new(egui::Id::unique("import-done")).show(ctx, |ui| {
                ui.set_max_width(640.0);
                let (heading, text, color) = match result {
                    Ok(report) => (
                        "Import finished",
                        report.to_string(),
                        ui.visuals().text_color(),
                    ),
                    Err(error) => (
                        "Import failed: nothing was written",
                        error.clone(),
                        ui.visuals().error_fg_color,
                    ),
                };
                ui.heading(heading);
                egui::ScrollArea::vertical()
                    .max_height(360.0)
                    .show(ui, |ui| {
                        for line in text.lines() {
                            engine.label(ui, line, REPORT_FONT_SIZE, color, Sense::hover());
                        }
                    });
                if ui.button("OK").clicked() {
                    push(ImportCommand::Close);
                }
            });
        }
    }
}

/// Run one import to the end (on whichever thread calls it).
fn run_job(
    store: &mut Store,
    choices: &ImportChoices,
    actor: AnnotatorId,
    cancel: &AtomicBool,
    stage: &Mutex<Option<Stage>>,
) -> Result<ImportReport, String> {
    let map = match &choices.map {
        Some(path) => {
            Some(LabelMap::load(path).map_err(|e| format!("{:#}", anyhow::Error::from(e)))?)
        }
        None => None,
    };
    let layer = choices.layer.trim();
    let options = ImportOptions {
        format: choices.format,
        layer: (!layer.is_empty()).then(|| layer.to_owned()),
        layers_from_file: choices.layers_from_file,
        map,
        keep_unknown: choices.keep_unknown,
        skip_bad: choices.skip_bad,
        sentences_per_doc: choices.sentences_per_doc.max(1),
        origin: ImportOrigin::App,
    };
    import_paths(store, &choices.paths, &options, actor, &mut |s| {
        if let Ok(mut slot) = stage.lock() {
            *slot = Some(s);
        }
        !cancel.load(Ordering::Relaxed)
    })
    .map_err(|e| format!("{:#}", anyhow::Error::from(e)))
}

impl App {
    /// Carry out a command of the import dialog.
    pub(super) fn run_import_command(&mut self, command: ImportCommand) -> anyhow::Result<()> {
        match command {
            ImportCommand::Open(paths) => {
                self.import = ImportUi::Dialog(ImportChoices {
                    paths,
                    ..ImportChoices::default()
                });
            }
            ImportCommand::Pick { folder } => {
                if let ImportUi::Dialog(choices) = &mut self.import {
                    let dialog = rfd::FileDialog::new().set_title("Import");
                    let picked = if folder {
                        dialog.pick_folder().map(|p| vec![p])
                    } else {
                        dialog
                            .add_filter(
                                "Importable",
                                &["txt", "jsonl", "conll", "bio", "iob", "iob2"],
                            )
                            .add_filter("Any file", &["*"])
                            .pick_files()
                    };
                    if let Some(paths) = picked {
                        choices.paths = paths;
                    }
                }
            }
            ImportCommand::PickMap => {
                if let ImportUi::Dialog(choices) = &mut self.import
                    && let Some(path) = rfd::FileDialog::new()
                        .add_filter("Label map (RON)", &["ron"])
                        .set_title("Label map")
                        .pick_file()
                {
                    choices.map = Some(path);
                }
            }
            ImportCommand::Start(choices) => {
                let Some((actor, _)) = self.annotator.clone() else {
                    self.name_prompt.get_or_insert_with(String::new);
                    anyhow::bail!("set your annotator name before importing");
                };
                let cancel = Arc::new(AtomicBool::new(false));
                let stage = Arc::new(Mutex::new(None));
                match self.store.path().map(std::path::Path::to_path_buf) {
                    Some(path) => {
                        let (send, result) = mpsc::channel();
                        let (c, s) = (cancel.clone(), stage.clone());
                        std::thread::Builder::new()
                            .name("import".into())
                            .spawn(move || {
                                crate::background::yield_to_the_window();
                                let outcome = match Store::open(&path) {
                                    Ok(mut store) => run_job(&mut store, &choices, actor, &c, &s),
                                    Err(e) => Err(format!("{:#}", anyhow::Error::from(e))),
                                };
                                // The app may be gone; then nobody waits for the result.
                                let _ = send.send(outcome);
                            })?;
                        self.import = ImportUi::Running(Job {
                            cancel,
                            stage,
                            result,
                        });
                    }
                    // An in-memory project has no file a second connection could open.
                    None => {
                        let outcome = run_job(&mut self.store, &choices, actor, &cancel, &stage);
                        self.finish_import(outcome);
                    }
                }
            }
            ImportCommand::Cancel => {
                if let ImportUi::Running(job) = &self.import {
                    job.cancel.store(true, Ordering::Relaxed);
                }
            }
            ImportCommand::Close => self.import = ImportUi::Closed,
        }
        Ok(())
    }

    /// Pick up the result of a running import, if it has finished.
    pub(super) fn poll_import(&mut self) {
        let ImportUi::Running(job) = &self.import else {
            return;
        };
        let outcome = match job.result.try_recv() {
            Ok(outcome) => outcome,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                Err("the import stopped unexpectedly; nothing was written".to_owned())
            }
        };
        self.finish_import(outcome);
    }

    fn finish_import(&mut self, outcome: Result<ImportReport, String>) {
        if let Ok(report) = &outcome {
            self.status = Some(Status {
                text: format!(
                    "imported {} documents and {} spans",
                    report.documents_added, report.spans_added
                ),
                error: false,
            });
            self.refresh_documents();
            self.refresh_layers();
            if let Some(indexer) = &self.indexer {
                indexer.nudge();
            }
            if let Err(error) = self.reload_spans() {
                self.errors.push(format!("{error:#}"));
            }
            if self.open.is_none()
                && let Ok(Some(first)) = self.browser.first(&self.store)
            {
                self.run(Command::OpenDocument(first));
            }
        }
        self.import = ImportUi::Done(outcome);
    }

    /// The import dialog's state (for tests).
    pub fn import_state(&self) -> &ImportUi {
        &self.import
    }
}
