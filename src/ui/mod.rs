//! The egui front end: a thin immediate-mode layer over the core.
//!
//! Each frame the panels read the store's state (documents, spans) and draw
//! it; what the user asks for becomes a [`Command`] that [`App::ui`] runs after
//! the UI pass. Only [`App::run`] writes to the store, one transaction per
//! action. One command table ([`ACTIONS`]) drives menus, keyboard shortcuts and
//! their labels, so a shortcut is defined once and shown where users look.
//! Text that may hold Arabic is drawn by [`text_engine`], never by egui labels.

pub mod article;
mod assign;
pub mod audit;
pub mod browser;
mod dashboard;
pub mod details;
pub mod import;
mod layers;
pub mod merge;
mod review;
pub mod search;
pub mod suggest;
pub mod sync;
pub mod text_engine;
pub mod text_input;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, Key, KeyboardShortcut, Modifiers, RichText, Sense, Vec2};

use crate::io;
use crate::model::{Change, CharRange, Direction, DocId, History, LayerId, Origin, Span, SpanId};
use crate::schema::Schema;
use crate::settings::Settings;
use crate::store::{Document, Layer, ReviewStatus, Store};
use crate::text::OffsetIndex;
use article::{ArticleInput, ArticleView, label_color};
use browser::Browser;
use text_engine::TextEngine;

/// Article font size at zoom 1, in points.
const BASE_FONT_SIZE: f32 = 21.0;
const MIN_ZOOM: f32 = 0.5;
const MAX_ZOOM: f32 = 3.0;
/// Font size of Arabic strings in lists, in points.
const LIST_FONT_SIZE: f32 = 16.0;

/// Something the user asked for. Panels push these; [`App::run`] carries them
/// out after the UI pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Tag the selection with a label, or relabel the selected span.
    Tag(String),
    /// Delete the selected span.
    DeleteSpan,
    Undo,
    Redo,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    /// Ask for text files with a file dialog, then import them.
    OpenFileDialog,
    /// Import these text files.
    Import(Vec<PathBuf>),
    OpenDocument(DocId),
    SelectSpan {
        id: SpanId,
        scroll: bool,
    },
    SetSelection(Option<CharRange>),
    SetDirection(Direction),
    SetDarkMode(bool),
    /// Show the dialog that asks for the annotator's name.
    AskAnnotator,
    SetAnnotator(String),
    /// Open the next new or in-progress document of the list (after the open one).
    NextUnfinished,
    /// Mark the open document done for the annotator, then open the next unfinished one.
    MarkDoneAndNext,
    /// Set the annotator's status of the open document.
    SetStatus(crate::store::Status),
    /// Copy the selected span of another layer into the annotator's own layer.
    CopySpan,
    /// Hide the selected span of another layer as rejected (for this annotator).
    RejectSpan,
    /// Show or hide another layer's spans.
    ShowLayer(LayerId, bool),
    /// Turn blind annotation on or off for the project.
    SetBlind(bool),
    /// Enter or leave review mode.
    ToggleReview,
    /// Accept into gold every span the compared layers agree on.
    AcceptAgreed,
    SetReviewStatus(ReviewStatus),
    /// Review an imported layer's spans across documents, lowest score first.
    OpenQueue(LayerId),
    /// Apply an edit to the open document and record it for undo
    /// (attribute values, notes).
    Edit(Change),
    /// Open the History window of the open document.
    ShowHistory,
    /// Ask for a RON file with a file dialog, then switch the project's label schema to it.
    OpenSchemaDialog,
    /// Switch the project's label schema to this RON file.
    SwitchSchema(PathBuf),
    /// Show the search window and focus its box.
    Find,
    /// Open the document, scroll the range into view and flash it (a search hit).
    RevealRange(DocId, CharRange),
    /// Something for the File ▸ Import… dialog.
    ImportDialog(import::ImportCommand),
    /// Something for the File ▸ Merge project files… window.
    MergeDialog(merge::MergeCommand),
    /// Assign documents to annotators (the Assign dialog).
    Assign(crate::store::AssignPlan),
    /// Open the next document ready for review, in review mode.
    NextReady,
    /// Something for suggestions (see [`suggest`]).
    Suggest(suggest::SuggestCommand),
    /// File ▸ Team server… and the sync (see [`sync`]).
    Team(sync::TeamCommand),
}

/// An entry of the command table: what it is called, its shortcut, what it does.
pub struct Action {
    pub name: &'static str,
    pub shortcut: KeyboardShortcut,
    pub command: fn() -> Command,
}

/// Every fixed keyboard shortcut. Label hotkeys come from the schema.
///
/// egui matches shortcuts "logically" (extra Shift is ignored), so a shortcut
/// with more modifiers must come before the same key with fewer: Redo
/// (Ctrl+Shift+Z) before Undo (Ctrl+Z).
pub const ACTIONS: &[Action] = &[
    Action {
        name: "Redo",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z),
        command: || Command::Redo,
    },
    Action {
        name: "Undo",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::Z),
        command: || Command::Undo,
    },
    Action {
        name: "Redo",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::Y),
        command: || Command::Redo,
    },
    Action {
        name: "Delete span",
        shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::Delete),
        command: || Command::DeleteSpan,
    },
    Action {
        name: "Delete span",
        shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::Backspace),
        command: || Command::DeleteSpan,
    },
    Action {
        name: "Previous suggestion",
        shortcut: KeyboardShortcut::new(Modifiers::SHIFT, Key::S),
        command: || Command::Suggest(suggest::SuggestCommand::Step(false)),
    },
    Action {
        name: "Next suggestion",
        shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::S),
        command: || Command::Suggest(suggest::SuggestCommand::Step(true)),
    },
    Action {
        name: "Accept all agreed spans",
        shortcut: KeyboardShortcut::new(Modifiers::SHIFT, Key::A),
        command: || Command::AcceptAgreed,
    },
    Action {
        name: "Copy span into my layer",
        shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::A),
        command: || Command::CopySpan,
    },
    Action {
        name: "Reject span",
        shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::R),
        command: || Command::RejectSpan,
    },
    Action {
        name: "Clear selection",
        shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::Escape),
        command: || Command::SetSelection(None),
    },
    Action {
        name: "Zoom in",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::Plus),
        command: || Command::ZoomIn,
    },
    Action {
        name: "Zoom in",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::Equals),
        command: || Command::ZoomIn,
    },
    Action {
        name: "Zoom out",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::Minus),
        command: || Command::ZoomOut,
    },
    Action {
        name: "Reset zoom",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::Num0),
        command: || Command::ZoomReset,
    },
    Action {
        name: "Find…",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::F),
        command: || Command::Find,
    },
    Action {
        name: "Open text files…",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::O),
        command: || Command::OpenFileDialog,
    },
    Action {
        name: "Mark done and open next",
        shortcut: KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter),
        command: || Command::MarkDoneAndNext,
    },
    Action {
        name: "Next unfinished document",
        shortcut: KeyboardShortcut::new(Modifiers::NONE, Key::N),
        command: || Command::NextUnfinished,
    },
];

/// The shortcut text of the first action with this name, for menus.
fn shortcut_text(ctx: &egui::Context, name: &str) -> String {
    ACTIONS
        .iter()
        .find(|a| a.name == name)
        .map(|a| ctx.format_shortcut(&a.shortcut))
        .unwrap_or_default()
}

/// The document being annotated.
struct OpenDoc {
    doc: Document,
    text: Arc<str>,
    index: Arc<OffsetIndex>,
    /// The spans shown: the annotator's own layer and the shown layers,
    /// without the spans the annotator rejected.
    spans: Vec<Span>,
    revision: u64,
    selection: Option<CharRange>,
    selected_span: Option<SpanId>,
    view: ArticleView,
    /// The document's note as stored.
    note: String,
}

/// A message in the status bar.
struct Status {
    text: String,
    error: bool,
}

/// The tawsim window.
pub struct App {
    store: Store,
    schema: Schema,
    settings: Settings,
    settings_path: Option<PathBuf>,
    annotator: Option<(i64, String)>,
    browser: Browser,
    /// The annotator's own layer.
    own_layer: Option<LayerId>,
    /// All layers of the project, and which other layers are shown.
    layers: Vec<Layer>,
    layer_names: HashMap<LayerId, String>,
    shown_layers: BTreeSet<LayerId>,
    /// Review mode, when on.
    review: Option<review::Review>,
    agreement: dashboard::AgreementWindow,
    progress: dashboard::ProgressWindow,
    evaluation: dashboard::EvaluationWindow,
    assign: assign::AssignDialog,
    open: Option<OpenDoc>,
    histories: HashMap<DocId, History>,
    engine: TextEngine,
    commands: Vec<Command>,
    status: Option<Status>,
    errors: Vec<String>,
    name_prompt: Option<String>,
    details: details::DetailsState,
    /// The History window, while it is open.
    history_view: Option<audit::AuditView>,
    search: search::SearchPanel,
    import: import::ImportUi,
    merge: merge::MergeUi,
    /// A running Assign (its result), see `assign::run_assign`.
    assign_job: Option<std::sync::mpsc::Receiver<Result<crate::store::AssignReport, String>>>,
    /// Commands not carried out yet because the project file was locked by
    /// another writer (see [`App::run`]), oldest first; later commands wait
    /// behind them, so they run in the order given.
    waiting: VecDeque<Command>,
    /// Since when the oldest waiting command has waited.
    waiting_since: Option<Instant>,
    /// Suggestions of the open document (see [`suggest`]).
    suggest: suggest::SuggestState,
    /// What the status bar says about the waiting commands.
    waiting_note: Option<Status>,
    /// The search index, caught up in the background.
    indexer: Option<crate::store::Indexer>,
    /// The indexer's count of documents when the list was last refreshed
    /// for it, and when.
    indexed_seen: (usize, Option<Instant>),
    /// The team server's sync and its window.
    team: sync::TeamUi,
}

/// After this long waiting for the project file, the user is told what holds it.
pub const WAIT_BEFORE_TELLING: Duration = Duration::from_secs(3);

impl App {
    /// An app over `store`. `settings_path` is where per-machine settings are
    /// saved (None: never saved, as in tests). The first document is opened.
    ///
    /// The app uses the label schema stored in the project (a project always
    /// has one: [`Store::open`] stores the bundled default); `schema` is used
    /// only if the stored one cannot be read, which is reported.
    pub fn new(
        store: Store,
        schema: Schema,
        settings: Settings,
        settings_path: Option<PathBuf>,
    ) -> Self {
        let mut app = Self {
            store,
            schema,
            settings,
            settings_path,
            annotator: None,
            browser: Browser::new(),
            own_layer: None,
            layers: Vec::new(),
            layer_names: HashMap::new(),
            shown_layers: BTreeSet::new(),
            review: None,
            agreement: Default::default(),
            progress: Default::default(),
            evaluation: Default::default(),
            assign: Default::default(),
            open: None,
            histories: HashMap::new(),
            engine: TextEngine::new(),
            commands: Vec::new(),
            status: None,
            errors: Vec::new(),
            name_prompt: None,
            details: details::DetailsState::default(),
            history_view: None,
            search: search::SearchPanel::default(),
            import: import::ImportUi::Closed,
            merge: merge::MergeUi::Closed,
            assign_job: None,
            waiting: VecDeque::new(),
            waiting_since: None,
            suggest: Default::default(),
            waiting_note: None,
            indexer: None,
            indexed_seen: (0, None),
            team: sync::TeamUi::default(),
        };
        // The window's own writes wait only a few milliseconds for the lock
        // (taking it between two transactions of an import); a longer wait
        // leaves the command waiting and the frame goes on (see `run`).
        app.store.wait_briefly_for_lock();
        match app.store.current_schema() {
            Ok(stored) => app.schema = stored,
            Err(error) => app.errors.push(format!(
                "{:#}; using the bundled label schema for now",
                anyhow::Error::from(error)
            )),
        }
        // In a project linked to a team server, the annotator is the
        // linked person; otherwise the name saved on this machine.
        let linked = app.store.linked_annotator().unwrap_or(None);
        match linked
            .map(|(_, name)| name)
            .or(app.settings.annotator.clone())
        {
            Some(name) => app.run(Command::SetAnnotator(name)),
            None => app.name_prompt = Some(String::new()),
        }
        app.refresh_layers();
        match app.browser.first(&app.store) {
            Ok(Some(first)) => app.run(Command::OpenDocument(first)),
            Ok(None) => {}
            Err(error) => app.errors.push(format!("{:#}", anyhow::Error::from(error))),
        }
        app
    }

    /// Register the embedded fonts with egui (for its own widgets) and apply
    /// the saved theme.
    pub fn setup_egui(&self, ctx: &egui::Context) {
        install_egui_fonts(ctx);
        if let Some(dark) = self.settings.dark_mode {
            ctx.set_theme(if dark {
                egui::Theme::Dark
            } else {
                egui::Theme::Light
            });
        }
    }

    /// The store, for setting up benchmarks and tests; the app's own
    /// changes go through [`App::run`].
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The document list's state (query, cached pages).
    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    pub fn browser_mut(&mut self) -> &mut Browser {
        &mut self.browser
    }

    /// The label schema in use: the project's current one.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn current_document(&self) -> Option<DocId> {
        self.open.as_ref().map(|o| o.doc.id)
    }

    pub fn selection(&self) -> Option<CharRange> {
        self.open.as_ref().and_then(|o| o.selection)
    }

    pub fn selected_span(&self) -> Option<SpanId> {
        self.open.as_ref().and_then(|o| o.selected_span)
    }

    /// Live spans of the open document, in text order.
    pub fn spans(&self) -> &[Span] {
        self.open.as_ref().map_or(&[], |o| &o.spans)
    }

    pub fn annotator_name(&self) -> Option<&str> {
        self.annotator.as_ref().map(|(_, n)| n.as_str())
    }

    pub fn zoom(&self) -> f32 {
        self.settings.zoom
    }

    /// Messages of failed actions not yet dismissed.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Screen rectangles of code points `range` of the open document as drawn
    /// in the last frame (for tests and the screenshot script).
    pub fn screen_boxes(&self, range: std::ops::Range<usize>) -> Vec<egui::Rect> {
        self.open
            .as_ref()
            .map(|o| o.view.screen_boxes(range))
            .unwrap_or_default()
    }

    /// The search window's state.
    pub fn search(&self) -> &search::SearchPanel {
        &self.search
    }

    pub fn search_mut(&mut self) -> &mut search::SearchPanel {
        &mut self.search
    }

    /// The search hit flashing in the article now, if any.
    pub fn flashing_range(&self) -> Option<CharRange> {
        self.open.as_ref().and_then(|o| o.view.flashing_range())
    }

    /// The article layout of the open document, if it was drawn.
    pub fn article_layout(&self) -> Option<&crate::layout::ArticleLayout> {
        self.open.as_ref().and_then(|o| o.view.layout())
    }

    /// Draw the whole window, then run what the user asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.engine.begin_frame();
        self.details.begin_frame(ui.ctx());
        self.handle_keys(ui.ctx());
        self.menu_bar(ui);
        self.status_bar(ui);
        self.documents_panel(ui);
        self.poll_suggestions(ui.ctx());
        self.spans_panel(ui);
        self.central(ui);
        self.search
            .show(ui.ctx(), &self.store, &mut self.engine, &mut self.commands);
        self.dialogs(ui.ctx());
        self.poll_import();
        import::import_ui(
            ui.ctx(),
            &mut self.import,
            &mut self.engine,
            &mut self.commands,
        );
        self.poll_merge();
        self.poll_assign(ui.ctx());
        self.poll_sync(ui.ctx());
        self.team_window(ui.ctx());
        merge::merge_ui(
            ui.ctx(),
            &mut self.merge,
            &mut self.engine,
            &mut self.commands,
        );
        for command in std::mem::take(&mut self.commands) {
            self.run(command);
        }
        self.retry_waiting(ui.ctx());
        self.keep_indexing(ui.ctx());
    }

    /// Start the background indexer when first needed, and report its errors.
    fn keep_indexing(&mut self, ctx: &egui::Context) {
        let indexer = self.indexer.get_or_insert_with(|| {
            let ctx = ctx.clone();
            crate::store::Indexer::new(&self.store, move || ctx.request_repaint())
        });
        if !indexer.is_threaded() {
            // A project in memory: a batch per frame while anything is queued.
            if let Err(error) = indexer.run_inline(&mut self.store) {
                self.errors
                    .push(format!("{:#}", anyhow::Error::from(error)));
            }
        }
        if let Some(error) = indexer.take_error() {
            self.errors.push(error);
        }
        // Documents were indexed, so an import committed (perhaps one from
        // the command line): refresh the list and layers, at most every
        // couple of seconds while a large import is being indexed.
        let indexed = indexer.indexed();
        if indexed != self.indexed_seen.0 {
            let due = self
                .indexed_seen
                .1
                .is_none_or(|at| at.elapsed() >= crate::store::indexer::POLL);
            if due {
                self.indexed_seen = (indexed, Some(Instant::now()));
                self.browser.changed();
                self.refresh_layers();
            } else {
                ctx.request_repaint_after(crate::store::indexer::POLL);
            }
        }
    }

    /// Commands waiting for the project file (another program holds it).
    pub fn waiting_commands(&self) -> usize {
        self.waiting.len()
    }

    /// Save the commands still waiting for the project file, waiting up to
    /// [`crate::store::BUSY_TIMEOUT`] for it (the window is closing).
    /// Returns how many could not be saved.
    pub fn flush_waiting(&mut self) -> usize {
        if self.waiting.is_empty() {
            return 0;
        }
        self.store.wait_patiently_for_lock();
        while let Some(command) = self.waiting.pop_front() {
            if let Err(command) = self.run_now(command) {
                self.waiting.push_front(command);
                break;
            }
        }
        self.store.wait_briefly_for_lock();
        self.waiting.len()
    }

    /// Try the waiting commands again, oldest first, and tell the user what
    /// holds the file once they have waited [`WAIT_BEFORE_TELLING`].
    fn retry_waiting(&mut self, ctx: &egui::Context) {
        if self.waiting.is_empty() {
            return;
        }
        while let Some(command) = self.waiting.pop_front() {
            if let Err(command) = self.run_now(command) {
                self.waiting.push_front(command);
                break;
            }
        }
        if self.waiting.is_empty() {
            self.waiting_since = None;
            self.waiting_note = None;
            return;
        }
        ctx.request_repaint_after(Duration::from_millis(16));
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        let n = self.waiting.len();
        let changes = if n == 1 { "change" } else { "changes" };
        let mut text = format!("saving… {n} {changes} waiting for the project file");
        if since.elapsed() >= WAIT_BEFORE_TELLING {
            let holder = match self.store.running_imports() {
                Ok(running) if !running.is_empty() => running
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => "another program".to_owned(),
            };
            text = format!(
                "{n} {changes} not saved yet: {holder} is holding the project file; tawsim keeps trying and saves them as soon as it is free"
            );
        }
        self.waiting_note = Some(Status {
            text,
            error: since.elapsed() >= WAIT_BEFORE_TELLING,
        });
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input()
            || self.name_prompt.is_some()
            || matches!(
                self.import,
                import::ImportUi::Dialog(_) | import::ImportUi::Done(_)
            )
            || matches!(self.merge, merge::MergeUi::Done { .. })
        {
            return;
        }
        let mut commands = Vec::new();
        ctx.input_mut(|input| {
            for action in ACTIONS {
                if input.consume_shortcut(&action.shortcut) {
                    commands.push((action.command)());
                }
            }
            for label in self.schema.labels() {
                let Some(key) = label.hotkey.and_then(|c| Key::from_name(&c.to_string())) else {
                    continue;
                };
                if input.consume_key(Modifiers::NONE, key) {
                    commands.push(Command::Tag(label.name.clone()));
                }
            }
        });
        self.commands.extend(commands);
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| {
                    if ui
                        .add(
                            egui::Button::new("Open text files…")
                                .shortcut_text(shortcut_text(&ctx, "Open text files…")),
                        )
                        .clicked()
                    {
                        self.commands.push(Command::OpenFileDialog);
                    }
                    if ui.button("Import…").clicked() {
                        self.commands
                            .push(Command::ImportDialog(import::ImportCommand::Open(
                                Vec::new(),
                            )));
                    }
                    if ui.button("Merge project files…").clicked() {
                        self.commands
                            .push(Command::MergeDialog(merge::MergeCommand::Pick));
                    }
                    if ui.button("Team server…").clicked() {
                        self.commands.push(Command::Team(sync::TeamCommand::Open));
                    }
                    if ui.button("Label schema…").clicked() {
                        self.commands.push(Command::OpenSchemaDialog);
                    }
                    if ui.button("Quit").clicked() {
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                });
                ui.menu_button("Edit", |ui| {
                    for (name, command) in [
                        ("Undo", Command::Undo),
                        ("Redo", Command::Redo),
                        ("Delete span", Command::DeleteSpan),
                        ("Clear selection", Command::SetSelection(None)),
                        ("Find…", Command::Find),
                    ] {
                        let button =
                            egui::Button::new(name).shortcut_text(shortcut_text(&ctx, name));
                        if ui.add(button).clicked() {
                            self.commands.push(command);
                        }
                    }
                });
                ui.menu_button("Document", |ui| {
                    use crate::store::Status as S;
                    for (name, command) in [
                        ("Next unfinished document", Command::NextUnfinished),
                        ("Mark done and open next", Command::MarkDoneAndNext),
                        ("Mark done", Command::SetStatus(S::Done)),
                        ("Skip", Command::SetStatus(S::Skipped)),
                        ("Reopen", Command::SetStatus(S::InProgress)),
                    ] {
                        let button =
                            egui::Button::new(name).shortcut_text(shortcut_text(&ctx, name));
                        if ui.add(button).clicked() {
                            self.commands.push(command);
                        }
                    }
                    ui.separator();
                    let open = self.open.is_some();
                    if ui
                        .add_enabled(open, egui::Button::new("History…"))
                        .clicked()
                    {
                        self.commands.push(Command::ShowHistory);
                    }
                });
                ui.menu_button("View", |ui| {
                    for (name, command) in [
                        ("Zoom in", Command::ZoomIn),
                        ("Zoom out", Command::ZoomOut),
                        ("Reset zoom", Command::ZoomReset),
                    ] {
                        let button =
                            egui::Button::new(name).shortcut_text(shortcut_text(&ctx, name));
                        if ui.add(button).clicked() {
                            self.commands.push(command);
                        }
                    }
                    ui.separator();
                    let dark = ctx.theme() == egui::Theme::Dark;
                    let label = if dark { "Light theme" } else { "Dark theme" };
                    if ui.button(label).clicked() {
                        self.commands.push(Command::SetDarkMode(!dark));
                    }
                    ui.separator();
                    ui.label("Paragraph direction");
                    let current = self.open.as_ref().map(|o| o.doc.direction);
                    for (dir, name) in [
                        (Direction::Rtl, "Right to left"),
                        (Direction::Ltr, "Left to right"),
                        (Direction::Auto, "Automatic (first strong letter)"),
                    ] {
                        if ui.radio(current == Some(dir), name).clicked() {
                            self.commands.push(Command::SetDirection(dir));
                        }
                    }
                });
                ui.menu_button("Annotator", |ui| self.annotator_menu(ui));
                ui.menu_button("Review", |ui| self.review_menu(ui));
                ui.menu_button("Suggestions", |ui| self.suggestions_menu(ui));
            });
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label("Annotator:");
                match self.annotator.as_ref().map(|(_, n)| n.clone()) {
                    Some(name) => {
                        let color = ui.visuals().strong_text_color();
                        self.engine.label(ui, &name, 14.0, color, Sense::hover());
                    }
                    None => {
                        ui.label(RichText::new("not set").italics());
                    }
                }
                ui.separator();
                ui.label(format!("zoom {:.0}%", self.settings.zoom * 100.0));
                if let Some(open) = &self.open {
                    ui.separator();
                    ui.label(format!(
                        "{} characters · {} spans",
                        open.index.char_len(),
                        open.spans.len()
                    ));
                    if let Some(sel) = open.selection {
                        ui.separator();
                        ui.label(format!("selection {}–{}", sel.start(), sel.end()));
                    }
                }
                self.sync_status_bar(ui);
                // A disk that refused to sync the window's commits outranks
                // every other message: work since may not survive a power cut.
                let disk = self.store.log_sync_error().map(|e| Status {
                    text: format!("{e}; changes since may not survive a power cut"),
                    error: true,
                });
                if let Some(status) = disk
                    .as_ref()
                    .or(self.waiting_note.as_ref())
                    .or(self.status.as_ref())
                {
                    ui.separator();
                    let color = if status.error {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().text_color()
                    };
                    // Messages may quote Arabic (titles, file names): shape them.
                    self.engine
                        .label(ui, &status.text, 14.0, color, Sense::hover());
                }
            });
        });
    }

    fn documents_panel(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("documents")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                ui.heading("Documents");
                let current = self.current_document();
                self.browser.show(
                    ui,
                    &self.store,
                    &mut self.engine,
                    &self.schema,
                    current,
                    &mut self.commands,
                );
            });
    }

    fn spans_panel(&mut self, ui: &mut egui::Ui) {
        egui::Panel::right("spans")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                ui.heading("Labels");
                self.label_buttons(ui);
                ui.separator();
                if let Some(open) = &self.open {
                    let input = details::DetailsInput {
                        doc: open.doc.id,
                        doc_note: &open.note,
                        span: open
                            .selected_span
                            .and_then(|id| open.spans.iter().find(|s| s.id == id)),
                        schema: &self.schema,
                    };
                    details::details_ui(
                        ui,
                        &mut self.engine,
                        &mut self.details,
                        &input,
                        &mut self.commands,
                    );
                    ui.separator();
                }
                self.suggestion_details(ui);
                self.layers_section(ui);
                ui.separator();
                if self.review.is_some() {
                    self.review_panel(ui);
                    return;
                }
                let count = self.open.as_ref().map_or(0, |o| o.spans.len());
                ui.heading(format!("Spans ({count})"));
                self.span_list(ui);
            });
    }

    fn label_buttons(&mut self, ui: &mut egui::Ui) {
        let has_target = self
            .open
            .as_ref()
            .is_some_and(|o| o.selection.is_some() || o.selected_span.is_some());
        let text_color = ui.visuals().text_color();
        for label in self.schema.labels() {
            ui.horizontal(|ui| {
                let color = Color32::from_rgb(label.color[0], label.color[1], label.color[2]);
                let key = label.hotkey.map(|k| format!("{k}  ")).unwrap_or_default();
                let button = egui::Button::new(
                    RichText::new(format!("{key}{}", label.name)).color(Color32::WHITE),
                )
                .fill(color)
                .min_size(Vec2::new(120.0, 0.0));
                let response = ui.add_enabled(has_target, button);
                // The guideline shows also while the button is disabled (nothing selected yet).
                let guideline = |ui: &mut egui::Ui| {
                    ui.set_max_width(320.0);
                    self.engine
                        .label(ui, &label.description, 14.0, text_color, Sense::hover());
                };
                let response = if has_target {
                    response.on_hover_ui(guideline)
                } else {
                    response.on_disabled_hover_ui(guideline)
                };
                if response.clicked() {
                    self.commands.push(Command::Tag(label.name.clone()));
                }
                self.engine.label(
                    ui,
                    &label.arabic,
                    LIST_FONT_SIZE,
                    text_color,
                    Sense::hover(),
                );
            });
        }
        if !has_target {
            ui.label(
                RichText::new(
                    "Drag across words to select (Alt: exact characters), then press a number.",
                )
                .small(),
            );
        }
    }

    fn span_list(&mut self, ui: &mut egui::Ui) {
        let Some(open) = &self.open else {
            ui.label("No document open.");
            return;
        };
        let row_height = LIST_FONT_SIZE * 1.45 + 10.0;
        let text_color = ui.visuals().text_color();
        egui::ScrollArea::vertical()
            .id_salt("span-list")
            .auto_shrink([false, false])
            .show_rows(ui, row_height, open.spans.len(), |ui, rows| {
                for span in &open.spans[rows] {
                    let selected = open.selected_span == Some(span.id);
                    let response = ui
                        .allocate_ui(Vec2::new(ui.available_width(), row_height), |ui| {
                            ui.horizontal(|ui| {
                                let color = label_color(&self.schema, &span.label);
                                ui.label(
                                    RichText::new(format!(" {} ", span.label))
                                        .small()
                                        .color(Color32::WHITE)
                                        .background_color(color),
                                );
                                ui.label(
                                    RichText::new(format!(
                                        "{}–{}",
                                        span.range.start(),
                                        span.range.end()
                                    ))
                                    .small()
                                    .weak(),
                                );
                                self.engine.label(
                                    ui,
                                    &short_title(&span.text, 48),
                                    LIST_FONT_SIZE,
                                    text_color,
                                    Sense::hover(),
                                );
                            });
                        })
                        .response
                        .interact(Sense::click());
                    if selected {
                        ui.painter().rect_stroke(
                            response.rect,
                            4,
                            ui.visuals().selection.stroke,
                            egui::StrokeKind::Inside,
                        );
                    }
                    if response.clicked() {
                        self.commands.push(Command::SelectSpan {
                            id: span.id,
                            scroll: true,
                        });
                    }
                }
            });
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            let Some(open) = &mut self.open else {
                ui.centered_and_justified(|ui| {
                    ui.label("No documents yet: File ▸ Open text files… (Ctrl+O).");
                });
                return;
            };
            let input = ArticleInput {
                doc: open.doc.id,
                text: &open.text,
                index: &open.index,
                direction: open.doc.direction,
                spans: &open.spans,
                spans_revision: open.revision,
                schema: &self.schema,
                selection: open.selection,
                selected_span: open.selected_span,
                font_size: BASE_FONT_SIZE * self.settings.zoom,
                own_layer: self.review.as_ref().map(|r| r.gold).or(self.own_layer),
                layer_names: &self.layer_names,
                emphasis: self.review.as_ref().map(|r| &r.emphasis),
                suggestions: self.suggest.visible(),
                suggestions_revision: self.suggest.revision(),
                selected_suggestion: self.suggest.selected_index(),
            };
            open.view
                .show(ui, &mut self.engine, &input, &mut self.commands);
        });
    }

    fn dialogs(&mut self, ctx: &egui::Context) {
        self.agreement_window(ctx);
        self.progress_window(ctx);
        self.evaluation_window(ctx);
        self.assign_window(ctx);
        if let Some(name) = &mut self.name_prompt {
            let mut submit = None;
            let mut cancel = false;
            egui::Modal::new(egui::Id::unique("annotator-name")).show(ctx, |ui| {
                ui.heading("Who is annotating?");
                ui.label("Your name is saved with every span you make. It is asked once on this machine.");
                // Names may be Arabic: the cosmic-text input shapes them right to left.
                let edit = text_input::TextInput::new("annotator-name")
                    .hint("name")
                    .show(ui, &mut self.engine, name);
                edit.request_focus();
                ui.horizontal(|ui| {
                    let ok = ui.add_enabled(!name.trim().is_empty(), egui::Button::new("OK"));
                    if ok.clicked() || (edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)))
                    {
                        submit = Some(name.trim().to_owned());
                    }
                    if self.annotator.is_some() && ui.button("Cancel").clicked() {
                        cancel = true;
                    }
                });
            });
            if let Some(name) = submit.filter(|n| !n.is_empty()) {
                self.commands.push(Command::SetAnnotator(name));
            } else if cancel {
                self.name_prompt = None;
            }
        }
        if let Some(view) = &self.history_view {
            let mut open = true;
            let title = self
                .open
                .as_ref()
                .filter(|o| o.doc.id == view.doc)
                .map_or_else(String::new, |o| o.doc.title.clone());
            audit::audit_window(ctx, &mut self.engine, view, &title, &mut open);
            if !open {
                self.history_view = None;
            }
        }
        if !self.errors.is_empty() {
            let mut open = true;
            egui::Window::new("Problems")
                .open(&mut open)
                .collapsible(false)
                .show(ctx, |ui| {
                    let color = ui.visuals().error_fg_color;
                    ui.set_max_width(560.0);
                    for error in &self.errors {
                        self.engine.label(ui, error, 14.0, color, Sense::hover());
                    }
                });
            if !open {
                self.errors.clear();
            }
        }
    }

    /// Carry out one command, or, when the project file is locked by
    /// another writer (an import's transaction, another program), keep it
    /// waiting and try again next frame; commands given meanwhile wait
    /// behind it, so none is lost and they run in order. The only place
    /// that changes the store.
    pub fn run(&mut self, command: Command) {
        if !self.waiting.is_empty() {
            self.waiting.push_back(command);
            return;
        }
        if let Err(command) = self.run_now(command) {
            self.waiting_since = Some(Instant::now());
            self.waiting.push_back(command);
            self.waiting_note = Some(Status {
                text: "saving… 1 change waiting for the project file".to_owned(),
                error: false,
            });
        }
    }

    /// Carry out `command`; give it back if the project file was locked.
    fn run_now(&mut self, command: Command) -> Result<(), Command> {
        let retry = command.clone();
        match self.run_once(command) {
            Some(error) if is_locked(&error) => Err(retry),
            _ => Ok(()),
        }
    }

    /// Carry out one command, reporting its error; returns the error too.
    fn run_once(&mut self, command: Command) -> Option<anyhow::Error> {
        // Anything that may change a row of the document list.
        let changes_list = matches!(
            command,
            Command::Tag(_)
                | Command::DeleteSpan
                | Command::Undo
                | Command::Redo
                | Command::SetDirection(_)
                | Command::SetAnnotator(_)
                | Command::MarkDoneAndNext
                | Command::SetStatus(_)
                | Command::CopySpan
                | Command::RejectSpan
                | Command::AcceptAgreed
                | Command::SetReviewStatus(_)
                | Command::Edit(_)
                | Command::Assign(_)
                | Command::Suggest(
                    suggest::SuggestCommand::Accept(_)
                        | suggest::SuggestCommand::Reject
                        | suggest::SuggestCommand::AcceptAbove
                )
        );
        let result = self.try_run(command);
        if changes_list {
            self.browser.changed();
            self.refilter_suggestions();
            if result.is_ok() {
                self.poke_sync();
            }
        }
        let failed = match result {
            Err(error) if is_locked(&error) => Some(error),
            Err(error) => {
                let text = format!("{error:#}");
                self.status = Some(Status {
                    text: text.clone(),
                    error: true,
                });
                self.errors.push(text);
                Some(error)
            }
            Ok(()) => None,
        };
        if let Some(view) = &self.history_view {
            let doc = self.open.as_ref().map_or(view.doc, |o| o.doc.id);
            match audit::AuditView::load(&self.store, doc) {
                Ok(view) => self.history_view = Some(view),
                Err(error) => self
                    .errors
                    .push(format!("{:#}", anyhow::Error::from(error))),
            }
        }
        failed
    }

    fn try_run(&mut self, command: Command) -> anyhow::Result<()> {
        let command = self.route_to_suggestions(command);
        match command {
            Command::Tag(label) => self.tag(&label)?,
            Command::DeleteSpan => self.delete_selected()?,
            Command::Undo => self.undo_redo(true)?,
            Command::Redo => self.undo_redo(false)?,
            Command::ZoomIn => self.set_zoom(self.settings.zoom * 1.1),
            Command::ZoomOut => self.set_zoom(self.settings.zoom / 1.1),
            Command::ZoomReset => self.set_zoom(1.0),
            Command::OpenFileDialog => {
                if let Some(paths) = rfd::FileDialog::new()
                    .add_filter("UTF-8 text", &["txt"])
                    .set_title("Import articles")
                    .pick_files()
                {
                    self.run(Command::Import(paths));
                }
            }
            Command::Import(paths) => self.import(&paths)?,
            Command::OpenDocument(id) => self.open_document(id)?,
            Command::SelectSpan { id, scroll } => {
                if let Some(open) = &mut self.open
                    && let Some(span) = open.spans.iter().find(|s| s.id == id)
                {
                    open.selected_span = Some(id);
                    open.selection = None;
                    if let Some(review) = &mut self.review {
                        review.source = (span.layer != review.gold).then_some(id);
                    }
                    if scroll {
                        open.view.scroll_to(span.range);
                        open.view.flash(id);
                    }
                }
            }
            Command::Find => self.search.open_and_focus(),
            Command::RevealRange(doc, range) => {
                if self.current_document() != Some(doc) {
                    self.open_document(doc)?;
                }
                if let Some(open) = &mut self.open {
                    open.selection = None;
                    open.selected_span = None;
                    open.view.scroll_to(range);
                    open.view.flash_range(range);
                }
            }
            Command::SetSelection(selection) => {
                if let Some(open) = &mut self.open {
                    open.selection = selection;
                    open.selected_span = None;
                }
            }
            Command::SetDirection(direction) => {
                let actor = self.annotator.as_ref().map(|(id, _)| *id);
                if let Some(open) = &mut self.open {
                    self.store.set_direction(open.doc.id, direction, actor)?;
                    open.doc.direction = direction;
                }
            }
            Command::SetDarkMode(dark) => {
                self.settings.dark_mode = Some(dark);
                self.save_settings();
            }
            Command::AskAnnotator => {
                self.name_prompt = Some(self.annotator_name().unwrap_or_default().to_owned());
            }
            Command::ImportDialog(command) => self.run_import_command(command)?,
            Command::MergeDialog(command) => self.run_merge_command(command)?,
            Command::Team(command) => self.run_team_command(command)?,
            Command::SetAnnotator(name) => {
                let id = self.store.annotator_id(&name)?;
                self.annotator = Some((id, name.clone()));
                self.browser.set_annotator(Some(id));
                self.show_assigned_by_default()?;
                self.own_layer = Some(self.store.annotator_layer(id)?);
                self.shown_layers
                    .remove(&self.own_layer.unwrap_or_default());
                self.name_prompt = None;
                self.refresh_layers();
                self.reload_spans()?;
                if self.settings.annotator.as_deref() != Some(name.as_str()) {
                    self.settings.annotator = Some(name);
                    self.save_settings();
                }
            }
            Command::CopySpan => self.copy_selected()?,
            Command::RejectSpan => self.reject_selected()?,
            Command::SetBlind(on) => {
                let actor = self.annotator.as_ref().map(|(id, _)| *id);
                self.store.set_blind_annotation(on, actor)?;
                self.reload_spans()?;
            }
            Command::ToggleReview => self.toggle_review()?,
            Command::AcceptAgreed => self.accept_agreed()?,
            Command::SetReviewStatus(status) => self.set_review_status(status)?,
            Command::OpenQueue(layer) => self.open_queue(layer)?,
            Command::ShowLayer(layer, show) => {
                if show {
                    self.shown_layers.insert(layer);
                } else {
                    self.shown_layers.remove(&layer);
                }
                self.reload_spans()?;
            }
            Command::Edit(change) => self.edit(change)?,
            Command::ShowHistory => {
                if let Some(open) = &self.open {
                    self.history_view = Some(audit::AuditView::load(&self.store, open.doc.id)?);
                }
            }
            Command::OpenSchemaDialog => {
                if let Some(path) = rfd::FileDialog::new()
                    .add_filter("RON label schema", &["ron"])
                    .set_title("Switch the project's label schema")
                    .pick_file()
                {
                    self.run(Command::SwitchSchema(path));
                }
            }
            Command::SwitchSchema(path) => {
                let schema = crate::schema::Schema::load(&path)?;
                let actor = self.annotator.as_ref().map(|(id, _)| *id);
                let version =
                    self.store
                        .switch_schema(&schema, &path.display().to_string(), actor)?;
                self.schema = self.store.current_schema()?;
                if let Some(open) = &mut self.open {
                    open.revision += 1;
                }
                self.status = Some(Status {
                    text: format!(
                        "label schema {} (project version {version})",
                        self.schema.name
                    ),
                    error: false,
                });
            }
            Command::NextUnfinished => self.open_next_unfinished()?,
            Command::MarkDoneAndNext => {
                self.set_status(crate::store::Status::Done)?;
                self.open_next_unfinished()?;
            }
            Command::SetStatus(status) => self.set_status(status)?,
            Command::Assign(plan) => self.run_assign(&plan)?,
            Command::NextReady => self.open_next_ready()?,
            Command::Suggest(command) => self.run_suggest(command)?,
        }
        Ok(())
    }

    fn set_status(&mut self, status: crate::store::Status) -> anyhow::Result<()> {
        let Some((annotator, _)) = self.annotator.clone() else {
            self.name_prompt.get_or_insert_with(String::new);
            anyhow::bail!("set your annotator name before marking documents");
        };
        let Some(doc) = self.current_document() else {
            return Ok(());
        };
        self.store.set_status(doc, annotator, status)?;
        self.status = Some(Status {
            text: format!("document {doc} marked {}", status.label()),
            error: false,
        });
        // Blind annotation lifts (or returns) with the status.
        self.reload_spans()
    }

    fn open_next_unfinished(&mut self) -> anyhow::Result<()> {
        let current = self.current_document();
        let query = self.next_query()?;
        match self.store.next_unfinished(&query, current)? {
            Some(next) if Some(next) != current => self.open_document(next)?,
            Some(_) => {
                self.status = Some(Status {
                    text: "this is the only unfinished document in the list".into(),
                    error: false,
                });
            }
            None => {
                self.status = Some(Status {
                    text: "every document in the list is done or skipped".into(),
                    error: false,
                });
            }
        }
        Ok(())
    }

    /// Apply a change from the side panel and record it for undo.
    fn edit(&mut self, change: Change) -> anyhow::Result<()> {
        let Some((annotator, _)) = self.annotator.clone() else {
            self.name_prompt.get_or_insert_with(String::new);
            anyhow::bail!("set your annotator name before editing");
        };
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        self.store.apply(&change, annotator)?;
        self.histories
            .entry(open.doc.id)
            .or_default()
            .record(change);
        self.status = Some(Status {
            text: "saved".into(),
            error: false,
        });
        self.reload_spans()
    }

    fn tag(&mut self, label: &str) -> anyhow::Result<()> {
        let Some((annotator, _)) = self.annotator.clone() else {
            self.name_prompt.get_or_insert_with(String::new);
            anyhow::bail!("set your annotator name before tagging");
        };
        if self.schema.label(label).is_none() {
            anyhow::bail!("label {label} is not in the schema {}", self.schema.name);
        }
        if self.review.is_some() {
            return self.review_tag(label);
        }
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        let history = self.histories.entry(open.doc.id).or_default();
        if let Some(range) = open.selection {
            if let Some(existing) = open
                .spans
                .iter()
                .find(|s| s.range == range && s.label == label && Some(s.layer) == self.own_layer)
            {
                open.selected_span = Some(existing.id);
                open.selection = None;
                self.status = Some(Status {
                    text: format!("already tagged {label} at {range}"),
                    error: false,
                });
                return Ok(());
            }
            let span = self
                .store
                .add_span(open.doc.id, annotator, range, label, Origin::Manual)?;
            history.record(Change::Restore { span: span.id });
            open.selection = None;
            open.selected_span = Some(span.id);
            self.status = Some(Status {
                text: format!("tagged {label} {range}"),
                error: false,
            });
        } else if let Some(id) = open.selected_span {
            let Some(current) = open.spans.iter().find(|s| s.id == id) else {
                return Ok(());
            };
            if Some(current.layer) != self.own_layer {
                anyhow::bail!(
                    "this span belongs to the layer {}; press A to copy it into your layer, then relabel your copy",
                    self.layer_names
                        .get(&current.layer)
                        .map_or("?", String::as_str)
                );
            }
            if current.label == label {
                return Ok(());
            }
            let change = Change::Relabel {
                span: id,
                from: current.label.clone(),
                to: label.to_owned(),
            };
            self.store.apply(&change, annotator)?;
            history.record(change);
            self.status = Some(Status {
                text: format!("relabelled as {label}"),
                error: false,
            });
        } else {
            return Ok(());
        }
        self.reload_spans()
    }

    fn delete_selected(&mut self) -> anyhow::Result<()> {
        let Some((annotator, _)) = self.annotator.clone() else {
            return Ok(());
        };
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        let Some(id) = open.selected_span else {
            return Ok(());
        };
        let editable = self.review.as_ref().map(|r| r.gold).or(self.own_layer);
        if let Some(span) = open.spans.iter().find(|s| s.id == id)
            && Some(span.layer) != editable
        {
            anyhow::bail!(
                "this span belongs to the layer {}; press R to hide it as rejected (only your own spans can be deleted)",
                self.layer_names
                    .get(&span.layer)
                    .map_or("?", String::as_str)
            );
        }
        let change = Change::Delete { span: id };
        self.store.apply(&change, annotator)?;
        self.histories
            .entry(open.doc.id)
            .or_default()
            .record(change);
        open.selected_span = None;
        self.status = Some(Status {
            text: "span deleted".into(),
            error: false,
        });
        self.reload_spans()
    }

    fn undo_redo(&mut self, undo: bool) -> anyhow::Result<()> {
        let Some((annotator, _)) = self.annotator.clone() else {
            return Ok(());
        };
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        let history = self.histories.entry(open.doc.id).or_default();
        let change = if undo { history.undo() } else { history.redo() };
        let Some(change) = change else {
            return Ok(());
        };
        if let Err(error) = self.store.apply(&change, annotator) {
            if undo {
                history.undo_failed();
            } else {
                history.redo_failed();
            }
            return Err(error.into());
        }
        open.selection = None;
        match change {
            Change::Delete { .. } => open.selected_span = None,
            Change::DocumentNote { .. } => {}
            _ => open.selected_span = change.span(),
        }
        self.status = Some(Status {
            text: if undo {
                "undone".into()
            } else {
                "redone".into()
            },
            error: false,
        });
        self.reload_spans()
    }

    fn set_zoom(&mut self, zoom: f32) {
        self.settings.zoom = zoom.clamp(MIN_ZOOM, MAX_ZOOM);
        self.save_settings();
    }

    /// Import `.txt` articles, each in a short transaction of its own. If
    /// the project file is locked, the whole command waits and runs again
    /// (the files imported before count as already present then).
    fn import(&mut self, paths: &[PathBuf]) -> anyhow::Result<()> {
        let actor = self.annotator.as_ref().map(|(id, _)| *id);
        let results = io::import_txt_files(&mut self.store, paths, actor);
        let mut added = 0;
        let mut present = 0;
        let mut first_new = None;
        for result in results {
            if let Err(io::txt::ImportError::Store { source, .. }) = &result
                && source.is_locked()
            {
                return result.map(|_| ()).map_err(anyhow::Error::from);
            }
            match result {
                Ok(crate::store::Imported::Added(id)) => {
                    added += 1;
                    first_new.get_or_insert(id);
                }
                Ok(crate::store::Imported::AlreadyPresent(id)) => {
                    present += 1;
                    first_new.get_or_insert(id);
                }
                Err(error) => self
                    .errors
                    .push(format!("{:#}", anyhow::Error::from(error))),
            }
        }
        self.refresh_documents();
        self.status = Some(Status {
            text: format!("imported {added} new, {present} already in the project"),
            error: false,
        });
        if let Some(id) = first_new {
            self.run(Command::OpenDocument(id));
        }
        Ok(())
    }

    fn open_document(&mut self, id: DocId) -> anyhow::Result<()> {
        let doc = self.store.document(id)?;
        let text: Arc<str> = Arc::from(doc.text.as_str());
        let index = Arc::new(OffsetIndex::new(&text));
        self.open = Some(OpenDoc {
            doc,
            text,
            index,
            spans: Vec::new(),
            revision: 0,
            selection: None,
            selected_span: None,
            view: ArticleView::default(),
            note: self.store.document_note(id)?,
        });
        self.reload_spans()
    }

    fn reload_spans(&mut self) -> anyhow::Result<()> {
        let blind = match (&self.open, &self.review) {
            (Some(open), None) => self.blind_for(open.doc.id)?,
            _ => false,
        };
        if let Some(open) = &mut self.open {
            let rejected: HashSet<SpanId> = match &self.annotator {
                Some((annotator, _)) => self.store.rejected_spans(open.doc.id, *annotator)?,
                None => HashSet::new(),
            };
            let own = self.own_layer;
            let gold = self.review.as_ref().map(|r| r.gold);
            // Blind annotation: until I mark the document done, I see only my layer.
            let no_layers = BTreeSet::new();
            let shown = if blind {
                &no_layers
            } else {
                &self.shown_layers
            };
            open.spans = self
                .store
                .spans(open.doc.id)?
                .into_iter()
                .filter(|s| {
                    // Review mode shows gold and the compared layers, not my own.
                    match gold {
                        Some(gold) => s.layer == gold || shown.contains(&s.layer),
                        None => Some(s.layer) == own || shown.contains(&s.layer),
                    }
                })
                .filter(|s| !rejected.contains(&s.id))
                .collect();
            open.note = self.store.document_note(open.doc.id)?;
            open.revision += 1;
            if let Some(id) = open.selected_span
                && !open.spans.iter().any(|s| s.id == id)
            {
                open.selected_span = None;
            }
        }
        self.refresh_review()
    }

    fn refresh_documents(&mut self) {
        self.browser.changed();
    }

    fn save_settings(&mut self) {
        let Some(path) = &self.settings_path else {
            return;
        };
        if let Err(error) = self.settings.save(path) {
            self.status = Some(Status {
                text: format!("{:#}", anyhow::Error::from(error)),
                error: true,
            });
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some(dark) = self.settings.dark_mode {
            let theme = if dark {
                egui::Theme::Dark
            } else {
                egui::Theme::Light
            };
            if ui.ctx().theme() != theme {
                ui.ctx().set_theme(theme);
            }
        }
        App::ui(self, ui);
    }

    /// Changes still waiting for the project file are saved before the
    /// window goes (waiting a few seconds for the file if need be).
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        let lost = self.flush_waiting();
        if lost > 0 {
            eprintln!(
                "tawsim: {lost} changes could not be saved: another program kept the project file locked"
            );
        }
    }
}

/// Whether `error` is the project file being locked by another writer (so
/// the command can simply be tried again).
fn is_locked(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<crate::store::StoreError>()
            .is_some_and(crate::store::StoreError::is_locked)
    })
}

/// The first line of `text`, cut to at most `max` characters.
fn short_title(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let mut out: String = line.chars().take(max).collect();
    out.push('…');
    out
}

/// Register Noto Sans and Noto Naskh Arabic with egui for its own widgets.
pub fn install_egui_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    for (name, bytes) in [
        ("NotoSans", crate::fonts::SANS_REGULAR),
        ("NotoNaskhArabic", crate::fonts::NASKH_REGULAR),
    ] {
        fonts.font_data.insert(
            name.to_owned(),
            Arc::new(egui::FontData::from_static(bytes)),
        );
    }
    if let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional) {
        family.insert(0, "NotoSans".to_owned());
        family.insert(1, "NotoNaskhArabic".to_owned());
    }
    ctx.set_fonts(fonts);
}
