//! The document browser in the left panel: filters (status, label, layer),
//! sort, the number of documents, and a virtual list of them.
//!
//! The list never holds the project: it asks for the rows on screen, a page
//! of [`PAGE_SIZE`] at a time, and keeps at most [`MAX_PAGES`] pages. Pages
//! and the count are keyed by the query and by a generation that
//! [`Browser::changed`] bumps after anything that may change a row (a span
//! edit, a status, an import, another annotator), so a frame without a change
//! runs no SQL.
//!
//! The queries run on a [`Reader`]: a second connection on its own thread,
//! because with a filter on, a count or a deep page of 100,000 documents can
//! take longer than a frame. A frame sends what it lacks (at most
//! [`MAX_IN_FLIGHT`] jobs at once), waits at most [`WAIT_BUDGET`] for the
//! answers, and draws what it has: until a new answer arrives, the count and
//! rows read before (for an older generation, or the previous filter) stay
//! on screen and a row never read shows as an empty placeholder; the reader
//! asks for a repaint when an answer is ready. When the filters change, the
//! list goes back to its top once the new count is in.
//!
//! When the project has assignments, a filter chooses between all
//! documents, those assigned to me (the default for an annotator who has
//! any, set by the app), those assigned to another annotator and those
//! ready for review; each row then also shows the document's assignees and
//! who of them finished it.
//!
//! Titles and names are drawn by the app's text engine, never by an egui
//! label. This module must not write to the store: what the user asks for
//! becomes a [`Command`].

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use egui::{Color32, Key, Modifiers, RichText, Sense, Vec2};

use super::Command;
use super::article::label_color;
use super::text_engine::TextEngine;
use crate::model::{AnnotatorId, DocId, LayerId};
use crate::schema::Schema;
use crate::store::{DocQuery, DocRow, Layer, LayerKind, Reader, ReviewStatus, Sort, Status, Store};

/// Rows fetched per query.
pub const PAGE_SIZE: usize = 100;
/// Pages kept; the least recently shown one is dropped first.
pub const MAX_PAGES: usize = 12;
/// Jobs sent to the reader and not answered yet, at most. While the scroll
/// bar is dragged this keeps the reader on the pages now on screen rather
/// than on a backlog of pages scrolled past.
pub const MAX_IN_FLIGHT: usize = 3;
/// How long a frame waits for answers it lacks before drawing without them:
/// most unfiltered pages arrive within it, so they never flash empty.
pub const WAIT_BUDGET: Duration = Duration::from_millis(6);
/// Characters of a title shown (about two lines of the panel).
const TITLE_CHARS: usize = 60;
const TITLE_FONT_SIZE: f32 = 16.0;
/// Two lines of title, the chips line, padding.
const ROW_HEIGHT: f32 = TITLE_FONT_SIZE * 1.45 * 2.0 + 28.0;
/// The assignees' line under the chips, when the project has assignments.
const ASSIGNEES_HEIGHT: f32 = 20.0;
/// Font size of the assignees' names.
const NAME_FONT_SIZE: f32 = 13.0;

/// A query and the generation of the project it was asked in.
type QueryKey = (DocQuery, u64);

/// What the browser asks its reader.
pub enum Job {
    Count(QueryKey),
    /// Page number (rows `page * PAGE_SIZE ..`).
    Page(QueryKey, usize),
}

/// The reader's answer to a [`Job`].
pub enum Answer {
    Count(QueryKey, Result<usize, Failure>),
    Page(QueryKey, usize, Result<Vec<DocRow>, Failure>),
}

/// Why a job has no answer.
pub enum Failure {
    /// Stopped by [`Reader::interrupt`]: the list no longer wanted it.
    Interrupted,
    /// The error, worded.
    Error(String),
}

/// Run one job on `store`: what the browser's reader does on its thread.
pub fn run_job(store: &Store, job: Job) -> Answer {
    let worded = |e: crate::store::StoreError| {
        if e.is_interrupted() {
            Failure::Interrupted
        } else {
            Failure::Error(format!("{:#}", anyhow::Error::from(e)))
        }
    };
    match job {
        Job::Count(key) => {
            let result = store.document_count(&key.0).map_err(worded);
            Answer::Count(key, result)
        }
        Job::Page(key, page) => {
            let result = store
                .document_page(&key.0, page * PAGE_SIZE, PAGE_SIZE)
                .map_err(worded);
            Answer::Page(key, page, result)
        }
    }
}

struct Page {
    rows: Vec<DocRow>,
    /// The generation the rows were read in.
    generation: u64,
    last_used: u64,
}

/// The state of the document list: its query and what it has read.
pub struct Browser {
    query: DocQuery,
    generation: u64,
    reader: Option<Reader<Job, Answer>>,
    /// The query the held count and pages belong to; until a new query's
    /// count arrives, the previous one's list stays on screen.
    shown: Option<DocQuery>,
    count: Option<usize>,
    /// The generation of the held count.
    count_generation: u64,
    pages: HashMap<usize, Page>,
    /// Jobs sent and not answered, in the order sent: the key and the page
    /// (`None`: the count). The first is the one the reader is running.
    in_flight: Vec<(QueryKey, Option<usize>)>,
    /// Pages the last frame drew as placeholders.
    wanted: BTreeSet<usize>,
    /// A query and generation whose reading failed: not asked again until
    /// either changes (the error is shown instead).
    failed: Option<QueryKey>,
    layers: Vec<Layer>,
    layers_generation: Option<u64>,
    /// Whether the project has live assignments (read with the layers).
    has_assignments: bool,
    frame: u64,
    /// Keyboard position in the list (row index), when the list has focus.
    cursor: Option<usize>,
    has_focus: bool,
    scroll_to_cursor: bool,
    /// A row to bring to the top of the list in the next frame.
    scroll_to_row: Option<usize>,
    /// Scroll offset and height of the list in the last frame.
    last_view: (f32, f32),
    /// Row height plus spacing, in points.
    pitch: f32,
    error: Option<String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        Self {
            query: DocQuery::default(),
            generation: 0,
            reader: None,
            shown: None,
            count: None,
            count_generation: 0,
            pages: HashMap::new(),
            in_flight: Vec::new(),
            wanted: BTreeSet::new(),
            failed: None,
            layers: Vec::new(),
            layers_generation: None,
            has_assignments: false,
            frame: 0,
            cursor: None,
            has_focus: false,
            scroll_to_cursor: false,
            scroll_to_row: None,
            last_view: (0.0, 0.0),
            pitch: ROW_HEIGHT,
            error: None,
        }
    }

    /// The list's query (filters, sort, annotator).
    pub fn query(&self) -> &DocQuery {
        &self.query
    }

    /// Replace the filters and sort; the annotator is kept.
    pub fn set_query(&mut self, query: DocQuery) {
        let annotator = self.query.annotator;
        self.query = DocQuery { annotator, ..query };
        self.cursor = None;
    }

    /// Whose status the list shows. An "assigned to me" filter follows
    /// the annotator.
    pub fn set_annotator(&mut self, annotator: Option<AnnotatorId>) {
        if self.query.assigned.is_some() && self.query.assigned == self.query.annotator {
            self.query.assigned = annotator;
        }
        self.query.annotator = annotator;
        self.changed();
    }

    /// Show only the documents assigned to `annotator` (`None`: any
    /// document), keeping the other filters.
    pub fn set_assigned(&mut self, annotator: Option<AnnotatorId>) {
        if self.query.assigned != annotator {
            self.query.assigned = annotator;
            self.cursor = None;
        }
    }

    /// Something in the store changed: read pages and count again.
    pub fn changed(&mut self) {
        self.generation += 1;
    }

    /// Scroll the list so that row `index` is at the top in the next frame.
    pub fn scroll_to_row(&mut self, index: usize) {
        self.scroll_to_row = Some(index);
    }

    /// Read the list through `reader` from now on (tests give one whose jobs
    /// wait for a signal; the app makes its own in the first frame). Jobs
    /// out with the old reader are forgotten.
    pub fn use_reader(&mut self, reader: Reader<Job, Answer>) {
        self.reader = Some(reader);
        self.in_flight.clear();
    }

    /// Pages currently held (for the memory benchmark and tests).
    pub fn cached_pages(&self) -> usize {
        self.pages.len()
    }

    /// Whether jobs are out with the reader (for benchmarks and tests).
    pub fn is_loading(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Whether the count and every page on screen are read for the current
    /// query and generation: what the user sees is the answer (for
    /// benchmarks and tests; pages read ahead may still be out).
    pub fn is_up_to_date(&self) -> bool {
        !self.lacks_what_is_on_screen() && self.wanted.is_empty()
    }

    /// Pages the last frame lacked and drew as placeholders (for
    /// benchmarks and tests).
    pub fn placeholder_pages(&self) -> usize {
        self.wanted.len()
    }

    /// The count shown, and whether it is the answer for the current query
    /// and generation (for benchmarks and tests).
    pub fn shown_count(&self) -> (Option<usize>, bool) {
        (self.count, self.count_is_fresh())
    }

    /// The first document of the list, if any (read at once, on the app's
    /// connection: one short query when the app starts).
    pub fn first(&mut self, store: &Store) -> Result<Option<DocId>, crate::store::StoreError> {
        Ok(store
            .document_page(&self.query, 0, 1)?
            .first()
            .map(|row| row.id))
    }

    /// Row height without spacing: taller when rows show assignees.
    fn row_height(&self) -> f32 {
        if self.has_assignments {
            ROW_HEIGHT + ASSIGNEES_HEIGHT
        } else {
            ROW_HEIGHT
        }
    }

    fn key(&self) -> QueryKey {
        (self.query.clone(), self.generation)
    }

    fn count_is_fresh(&self) -> bool {
        self.shown.as_ref() == Some(&self.query)
            && self.count.is_some()
            && self.count_generation == self.generation
    }

    fn page_is_fresh(&self, page: usize) -> bool {
        self.shown.as_ref() == Some(&self.query)
            && self
                .pages
                .get(&page)
                .is_some_and(|p| p.generation == self.generation)
    }

    /// Take in one answer from the reader.
    fn receive(&mut self, answer: Answer) {
        let (key, page) = match &answer {
            Answer::Count(key, _) => (key.clone(), None),
            Answer::Page(key, page, _) => (key.clone(), Some(*page)),
        };
        if let Some(i) = self
            .in_flight
            .iter()
            .position(|(k, p)| *k == key && *p == page)
        {
            // In the order sent, which is the order the reader runs them.
            self.in_flight.remove(i);
        }
        if key != self.key() {
            // Asked for an older query or generation: superseded.
            return;
        }
        match answer {
            Answer::Count(key, Ok(count)) => {
                if self.shown.as_ref() != Some(&key.0) {
                    // The first answer for new filters: the old list goes.
                    self.pages.clear();
                    self.wanted.clear();
                    self.scroll_to_row = Some(0);
                    self.shown = Some(key.0);
                }
                self.count = Some(count);
                self.count_generation = key.1;
                self.error = None;
            }
            Answer::Page(key, page, Ok(rows)) => {
                if self.shown.as_ref() != Some(&key.0) {
                    return;
                }
                if !self.pages.contains_key(&page)
                    && self.pages.len() >= MAX_PAGES
                    && let Some(oldest) = self
                        .pages
                        .iter()
                        .min_by_key(|(_, p)| p.last_used)
                        .map(|(k, _)| *k)
                {
                    self.pages.remove(&oldest);
                }
                self.pages.insert(
                    page,
                    Page {
                        rows,
                        generation: key.1,
                        last_used: self.frame,
                    },
                );
                self.wanted.remove(&page);
            }
            // Stopped as superseded, just as it became wanted again (a race
            // with `interrupt`): it is asked for again.
            Answer::Count(_, Err(Failure::Interrupted))
            | Answer::Page(_, _, Err(Failure::Interrupted)) => {}
            Answer::Count(key, Err(Failure::Error(error)))
            | Answer::Page(key, _, Err(Failure::Error(error))) => {
                self.failed = Some(key);
                self.error = Some(error);
            }
        }
    }

    /// The pages the list will draw this frame, nearest the top first.
    fn visible_pages(&self) -> Vec<usize> {
        if self.shown.as_ref() != Some(&self.query) {
            // New filters: the list will start at its top.
            return vec![0];
        }
        let Some(count) = self.count.filter(|&n| n > 0) else {
            return Vec::new();
        };
        let row_height = self.pitch;
        let (offset, view) = match self.scroll_to_row {
            Some(row) => (row as f32 * row_height, self.last_view.1),
            None => self.last_view,
        };
        let first = (offset / row_height).floor().max(0.0) as usize;
        let last = ((offset + view.max(row_height)) / row_height).ceil() as usize;
        let last = last.min(count - 1);
        let mut pages: Vec<usize> = (first.min(count - 1) / PAGE_SIZE..=last / PAGE_SIZE).collect();
        for page in &self.wanted {
            if !pages.contains(page) {
                pages.push(*page);
            }
        }
        pages
    }

    /// Whether the count or a page on screen is not read fresh yet.
    fn lacks_what_is_on_screen(&self) -> bool {
        !self.count_is_fresh()
            || self
                .visible_pages()
                .into_iter()
                .any(|p| !self.page_is_fresh(p))
    }

    /// The pages next to the ones on screen that are not held fresh.
    fn neighbour_pages(&self) -> Vec<usize> {
        let visible = self.visible_pages();
        let (Some(&first), Some(&last)) = (visible.iter().min(), visible.iter().max()) else {
            return Vec::new();
        };
        let pages = self.count.unwrap_or(0).div_ceil(PAGE_SIZE);
        [last + 1, first.wrapping_sub(1)]
            .into_iter()
            .filter(|&p| p < pages && !self.page_is_fresh(p))
            .collect()
    }

    /// Send the jobs this frame lacks, within [`MAX_IN_FLIGHT`].
    fn request(&mut self, store: &Store) {
        let key = self.key();
        if self.reader.is_none() || self.failed.as_ref() == Some(&key) {
            return;
        }
        let mut wants: Vec<Option<usize>> = Vec::new();
        if !self.count_is_fresh() {
            wants.push(None);
        }
        let fresh: Vec<usize> = self
            .visible_pages()
            .into_iter()
            .filter(|&p| !self.page_is_fresh(p))
            .collect();
        if fresh.is_empty() && self.in_flight.is_empty() {
            // All on screen is read: read ahead the page just below (then
            // the one above), one at a time, so scrolling on finds it held
            // and a jump elsewhere waits behind at most one page.
            wants.extend(self.neighbour_pages().into_iter().take(1).map(Some));
        }
        wants.extend(fresh.into_iter().map(Some));
        for want in wants {
            if self.in_flight.len() >= MAX_IN_FLIGHT {
                break;
            }
            if self.in_flight.iter().any(|(k, p)| *k == key && *p == want) {
                continue;
            }
            let job = match want {
                None => Job::Count(key.clone()),
                Some(page) => Job::Page(key.clone(), page),
            };
            self.in_flight.push((key.clone(), want));
            if let Some(reader) = self.reader.as_mut() {
                reader.send(store, job);
            }
        }
    }

    /// Interrupt the running job if its answer is no longer wanted (the
    /// filters or the project changed since it was sent), so the jobs for
    /// what is on screen now start sooner.
    fn stop_superseded(&mut self) {
        let key = self.key();
        if let (Some((running, _)), Some(reader)) = (self.in_flight.first(), &self.reader)
            && *running != key
        {
            reader.interrupt();
        }
    }

    /// Read answers, send what is lacking, and wait up to [`WAIT_BUDGET`]
    /// for the answers still out.
    fn sync(&mut self, ctx: &egui::Context, store: &Store) {
        if self.reader.is_none() {
            let ctx = ctx.clone();
            self.reader = Some(Reader::new(store, run_job, move || ctx.request_repaint()));
        }
        if self.layers_generation != Some(self.generation) {
            match store.layers() {
                Ok(layers) => self.layers = layers,
                Err(e) => self.error = Some(format!("{:#}", anyhow::Error::from(e))),
            }
            match store.has_assignments() {
                Ok(has) => self.has_assignments = has,
                Err(e) => self.error = Some(format!("{:#}", anyhow::Error::from(e))),
            }
            self.layers_generation = Some(self.generation);
        }
        let deadline = Instant::now() + WAIT_BUDGET;
        loop {
            while let Some(answer) = self.reader.as_mut().and_then(Reader::try_recv) {
                self.receive(answer);
            }
            if self.reader.as_mut().is_some_and(Reader::take_lost) {
                // Its jobs will never answer; say so rather than spin.
                self.in_flight.clear();
                self.failed = Some(self.key());
                self.error = Some(
                    "reading the document list stopped unexpectedly; change a filter to read it again"
                        .into(),
                );
            }
            self.stop_superseded();
            self.request(store);
            // Pages read ahead are not waited for.
            if self.in_flight.is_empty() || !self.lacks_what_is_on_screen() {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.reader.as_mut().and_then(|r| r.recv_timeout(left)) {
                Some(answer) => self.receive(answer),
                None => break,
            }
        }
    }

    /// Row `index` of the list if its page is held (maybe from an older
    /// generation); otherwise the page is wanted for the next frame.
    fn row(&mut self, index: usize) -> Option<&DocRow> {
        let page = index / PAGE_SIZE;
        let Some(entry) = self.pages.get_mut(&page) else {
            self.wanted.insert(page);
            return None;
        };
        entry.last_used = self.frame;
        entry.rows.get(index % PAGE_SIZE)
    }

    /// Draw the browser into the left panel.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        store: &Store,
        engine: &mut TextEngine,
        schema: &Schema,
        current: Option<DocId>,
        commands: &mut Vec<Command>,
    ) {
        self.frame += 1;
        self.sync(ui.ctx(), store);
        let row_height = self.row_height();
        self.pitch = row_height + ui.spacing().item_spacing.y;
        let before = self.query.clone();
        self.filters_ui(ui, engine, schema);
        if self.query != before {
            self.sync(ui.ctx(), store);
        }
        self.wanted.clear();
        let count = self.count.unwrap_or(0);
        ui.horizontal(|ui| {
            match self.count {
                Some(n) => ui.label(RichText::new(documents_text(n)).strong()),
                None => ui.label(RichText::new("counting documents…").weak()),
            };
            if !self.count_is_fresh() && self.error.is_none() {
                ui.add(egui::Spinner::new().size(12.0))
                    .on_hover_text("reading the list");
            }
        });
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
        ui.separator();
        self.keys(ui, count, commands);

        let mut area = egui::ScrollArea::vertical()
            .id_salt("document-browser")
            .auto_shrink([false, false]);
        if let Some(index) = self.scroll_to_row.take() {
            area = area.vertical_scroll_offset(index as f32 * self.pitch);
        } else if self.scroll_to_cursor
            && let Some(cursor) = self.cursor
        {
            let top = cursor as f32 * self.pitch;
            let (offset, view) = self.last_view;
            if top < offset {
                area = area.vertical_scroll_offset(top);
            } else if top + row_height > offset + view {
                area = area.vertical_scroll_offset(top + row_height - view);
            }
            self.scroll_to_cursor = false;
        }
        let text_color = ui.visuals().text_color();
        let strong = ui.visuals().strong_text_color();
        let weak = ui.visuals().weak_text_color();
        let show_assignees = self.has_assignments;
        let output = area.show_rows(ui, row_height, count, |ui, rows| {
            for index in rows {
                let Some(row) = self.row(index).cloned() else {
                    placeholder_row(ui, row_height);
                    continue;
                };
                let selected = current == Some(row.id);
                let under_cursor = self.has_focus && self.cursor == Some(index);
                let response = ui
                    .allocate_ui(Vec2::new(ui.available_width(), row_height), |ui| {
                        ui.set_min_height(row_height);
                        ui.set_max_width(ui.available_width() - 8.0);
                        ui.add_space(3.0);
                        let title = short(row.display_title(), TITLE_CHARS);
                        let color = if selected { strong } else { text_color };
                        engine.label(ui, &title, TITLE_FONT_SIZE, color, Sense::hover());
                        ui.horizontal_wrapped(|ui| {
                            ui.spacing_mut().item_spacing.x = 4.0;
                            status_chip(ui, row.status);
                            match row.review {
                                ReviewStatus::Unreviewed => {}
                                ReviewStatus::InReview => chip(
                                    ui,
                                    "in review",
                                    Color32::from_rgb(0x5b, 0x4d, 0xb7),
                                    Color32::WHITE,
                                ),
                                ReviewStatus::Adjudicated => chip(
                                    ui,
                                    "adjudicated",
                                    Color32::from_rgb(0x1b, 0x5e, 0x20),
                                    Color32::WHITE,
                                ),
                            }
                            for (label, n) in &row.counts {
                                chip(
                                    ui,
                                    &format!("{label} {n}"),
                                    label_color(schema, label),
                                    Color32::WHITE,
                                );
                            }
                        });
                        if show_assignees {
                            assignees_line(ui, engine, &row.assignees, text_color, weak);
                        }
                    })
                    .response
                    .interact(Sense::click());
                if selected {
                    ui.painter().rect_filled(
                        response.rect,
                        4,
                        ui.visuals().selection.bg_fill.gamma_multiply(0.25),
                    );
                    ui.painter().rect_stroke(
                        response.rect,
                        4,
                        ui.visuals().selection.stroke,
                        egui::StrokeKind::Inside,
                    );
                }
                if under_cursor {
                    ui.painter().rect_stroke(
                        response.rect.shrink(1.0),
                        4,
                        ui.visuals().widgets.hovered.fg_stroke,
                        egui::StrokeKind::Inside,
                    );
                }
                if response.clicked() {
                    self.has_focus = true;
                    self.cursor = Some(index);
                    commands.push(Command::OpenDocument(row.id));
                }
            }
        });
        self.last_view = (output.state.clamped_offset().y, output.inner_rect.height());
        if self.is_loading() {
            // The reader wakes the window when an answer is ready; asking
            // here as well keeps headless runs (tests) stepping until then.
            ui.ctx().request_repaint();
        }
        // A press anywhere outside the list takes the keyboard away from it.
        let list_rect = output.inner_rect;
        if ui.input(|i| {
            i.pointer.any_pressed()
                && i.pointer
                    .interact_pos()
                    .is_some_and(|p| !list_rect.contains(p))
        }) {
            self.has_focus = false;
        }
    }

    fn filters_ui(&mut self, ui: &mut egui::Ui, engine: &mut TextEngine, schema: &Schema) {
        let mut query = self.query.clone();
        egui::Grid::new("browser-filters")
            .num_columns(1)
            .spacing([6.0, 4.0])
            .show(ui, |ui| {
                if self.has_assignments || query.assigned.is_some() || query.ready {
                    self.assignment_filter(ui, engine, &mut query);
                    ui.end_row();
                }

                egui::ComboBox::new("browser-status", "status")
                    .selected_text(query.status.map_or("any status", Status::label))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut query.status, None, "any status");
                        for status in Status::ALL {
                            ui.selectable_value(&mut query.status, Some(status), status.label());
                        }
                    });
                ui.end_row();

                egui::ComboBox::new("browser-review", "review")
                    .selected_text(query.review.map_or("any review status", review_label))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut query.review, None, "any review status");
                        for review in [
                            ReviewStatus::Unreviewed,
                            ReviewStatus::InReview,
                            ReviewStatus::Adjudicated,
                        ] {
                            ui.selectable_value(
                                &mut query.review,
                                Some(review),
                                review_label(review),
                            );
                        }
                    });
                ui.end_row();

                egui::ComboBox::new("browser-label", "label")
                    .selected_text(query.label.clone().unwrap_or_else(|| "any label".into()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut query.label, None, "any label");
                        for label in schema.labels() {
                            ui.selectable_value(
                                &mut query.label,
                                Some(label.name.clone()),
                                label.name.as_str(),
                            );
                        }
                    });
                ui.end_row();

                // Layer names may be Arabic: egui shows only ASCII ones; the
                // list of choices shapes every name with the text engine.
                let layer_name = |id: Option<LayerId>| match id
                    .and_then(|id| self.layers.iter().find(|l| l.id == id))
                {
                    None => "any layer".to_owned(),
                    Some(l) if l.name.is_ascii() => l.name.clone(),
                    Some(l) => format!("layer {} ({})", l.id, l.kind.as_str()),
                };
                let text_color = ui.visuals().text_color();
                egui::ComboBox::new("browser-layer", "layer")
                    .selected_text(layer_name(query.layer))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut query.layer, None, "any layer");
                        for layer in &self.layers {
                            ui.horizontal(|ui| {
                                ui.selectable_value(
                                    &mut query.layer,
                                    Some(layer.id),
                                    format!("{} {}", layer.id, layer.kind.as_str()),
                                );
                                engine.label(ui, &layer.name, 14.0, text_color, Sense::hover());
                            });
                        }
                    });
                ui.end_row();

                ui.horizontal(|ui| {
                    egui::ComboBox::new("browser-sort", "sort")
                        .selected_text(query.sort.label())
                        .show_ui(ui, |ui| {
                            for sort in Sort::ALL {
                                ui.selectable_value(&mut query.sort, sort, sort.label());
                            }
                        });
                    ui.checkbox(&mut query.descending, "reversed");
                });
                ui.end_row();
            });
        if query != self.query {
            self.set_query(query);
        }
    }

    /// Which documents by assignment: all, assigned to me or to another
    /// annotator, ready for review. Names may be Arabic: the closed box
    /// shows only ASCII ones, the list of choices shapes every name.
    fn assignment_filter(&self, ui: &mut egui::Ui, engine: &mut TextEngine, query: &mut DocQuery) {
        let me = query.annotator;
        let annotators: Vec<(AnnotatorId, &str)> = self
            .layers
            .iter()
            .filter(|l| l.kind == LayerKind::Annotator)
            .filter_map(|l| Some((l.annotator?, l.name.as_str())))
            .filter(|(id, _)| Some(*id) != me)
            .collect();
        let shown = match (query.ready, query.assigned) {
            (true, None) => "ready for review".to_owned(),
            (true, Some(_)) => "ready, assigned".to_owned(),
            (false, None) => "all documents".to_owned(),
            (false, Some(id)) if Some(id) == me => "assigned to me".to_owned(),
            (false, Some(id)) => match annotators.iter().find(|(a, _)| *a == id) {
                Some((_, name)) if name.is_ascii() => format!("assigned to {name}"),
                _ => format!("assigned to annotator {id}"),
            },
        };
        let text_color = ui.visuals().text_color();
        let mut choice: Option<(bool, Option<AnnotatorId>)> = None;
        egui::ComboBox::new("browser-assignment", "documents")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                let current = (query.ready, query.assigned);
                let mut item =
                    |ui: &mut egui::Ui, value: (bool, Option<AnnotatorId>), text: &str| {
                        if ui.selectable_label(current == value, text).clicked() {
                            choice = Some(value);
                        }
                    };
                item(ui, (false, None), "all documents");
                if me.is_some() {
                    item(ui, (false, me), "assigned to me");
                }
                item(ui, (true, None), "ready for review");
                for (id, name) in &annotators {
                    ui.horizontal(|ui| {
                        item(ui, (false, Some(*id)), &format!("assigned to {id}"));
                        engine.label(ui, name, 14.0, text_color, Sense::hover());
                    });
                }
            });
        if let Some((ready, assigned)) = choice {
            query.ready = ready;
            query.assigned = assigned;
        }
    }

    /// Up/Down move the cursor and Enter opens its document, while the list
    /// has the keyboard (after a click in it) and no text field has it.
    fn keys(&mut self, ui: &egui::Ui, count: usize, commands: &mut Vec<Command>) {
        if !self.has_focus || count == 0 || ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (up, down, enter) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::Enter),
            )
        });
        let cursor = self.cursor.unwrap_or(0).min(count - 1);
        let moved = if up {
            cursor.saturating_sub(1)
        } else if down {
            (cursor + 1).min(count - 1)
        } else {
            cursor
        };
        if up || down {
            self.cursor = Some(moved);
            self.scroll_to_cursor = true;
        }
        if enter {
            self.cursor = Some(moved);
        }
        if enter && let Some(id) = self.row_id(moved) {
            commands.push(Command::OpenDocument(id));
        }
    }

    /// The id of row `index` if its page is held.
    fn row_id(&self, index: usize) -> Option<DocId> {
        self.pages
            .get(&(index / PAGE_SIZE))
            .and_then(|p| p.rows.get(index % PAGE_SIZE))
            .map(|r| r.id)
    }
}

/// "1 document", "12,345 documents".
pub fn documents_text(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n == 1 {
        format!("{out} document")
    } else {
        format!("{out} documents")
    }
}

/// The first line of `text`, cut to at most `max` characters with `…`.
fn short(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= max {
        return line.to_owned();
    }
    let mut out: String = line.chars().take(max).collect();
    out.push('…');
    out
}

/// Fill and text colours of a status chip. Solid fills with their own text
/// colour, so a chip reads the same on light and dark panels.
fn status_colors(status: Status) -> (Color32, Color32) {
    match status {
        Status::New => (Color32::from_rgb(0x1e, 0x63, 0xb8), Color32::WHITE),
        Status::InProgress => (Color32::from_rgb(0xf2, 0xb1, 0x34), Color32::BLACK),
        Status::Done => (Color32::from_rgb(0x2e, 0x7d, 0x32), Color32::WHITE),
        Status::Skipped => (Color32::from_rgb(0x75, 0x75, 0x75), Color32::WHITE),
    }
}

fn review_label(review: ReviewStatus) -> &'static str {
    match review {
        ReviewStatus::Unreviewed => "unreviewed",
        ReviewStatus::InReview => "in review",
        ReviewStatus::Adjudicated => "adjudicated",
    }
}

/// "assigned:" and each assignee's name, with "finished" after those who
/// marked the document done (names may be Arabic: shaped by the engine).
fn assignees_line(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    assignees: &[crate::store::Assignee],
    color: Color32,
    weak: Color32,
) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        if assignees.is_empty() {
            ui.label(RichText::new("not assigned").small().color(weak));
            return;
        }
        ui.label(RichText::new("assigned:").small().color(weak));
        for assignee in assignees {
            engine.label(ui, &assignee.name, NAME_FONT_SIZE, color, Sense::hover());
            if assignee.done {
                let (fill, text) = status_colors(Status::Done);
                chip(ui, "finished", fill, text);
            }
        }
        if assignees.iter().all(|a| a.done) {
            chip(
                ui,
                "ready for review",
                Color32::from_rgb(0x5b, 0x4d, 0xb7),
                Color32::WHITE,
            );
        }
    });
}

/// A row not read yet: the shape of a title and a chip, faint.
fn placeholder_row(ui: &mut egui::Ui, height: f32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(ui.available_width(), height), Sense::hover());
    if !ui.is_rect_visible(rect) {
        return;
    }
    let fill = ui.visuals().faint_bg_color;
    let line = |y: f32, width: f32| {
        egui::Rect::from_min_size(
            egui::pos2(rect.max.x - 8.0 - width, rect.min.y + y),
            Vec2::new(width, 10.0),
        )
    };
    let painter = ui.painter();
    let width = rect.width() - 16.0;
    painter.rect_filled(line(8.0, width * 0.9), 3, fill);
    painter.rect_filled(line(8.0 + TITLE_FONT_SIZE * 1.45, width * 0.6), 3, fill);
    painter.rect_filled(
        egui::Rect::from_min_size(
            egui::pos2(rect.min.x, rect.max.y - 22.0),
            Vec2::new(40.0, 14.0),
        ),
        3,
        fill,
    );
}

fn status_chip(ui: &mut egui::Ui, status: Status) {
    let (fill, text) = status_colors(status);
    chip(ui, status.label(), fill, text);
}

fn chip(ui: &mut egui::Ui, text: &str, fill: Color32, color: Color32) {
    egui::Frame::new()
        .fill(fill)
        .corner_radius(3)
        .inner_margin(egui::Margin::symmetric(4, 0))
        .show(ui, |ui| {
            // A chip never wraps inside: the row wraps whole chips instead.
            ui.add(egui::Label::new(RichText::new(text).small().color(color)).extend());
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_counts_read_with_thousands_separators() {
        assert_eq!(documents_text(0), "0 documents");
        assert_eq!(documents_text(1), "1 document");
        assert_eq!(documents_text(999), "999 documents");
        assert_eq!(documents_text(12_345), "12,345 documents");
        assert_eq!(documents_text(100_000), "100,000 documents");
        assert_eq!(documents_text(1_234_567), "1,234,567 documents");
    }

    /// WCAG contrast of each chip's text on its fill is at least 4.5:1, so
    /// the chips read in both themes (their fills do not depend on the theme).
    #[test]
    fn status_chips_are_readable() {
        fn luminance(c: Color32) -> f32 {
            let f = |v: u8| {
                let v = f32::from(v) / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * f(c.r()) + 0.7152 * f(c.g()) + 0.0722 * f(c.b())
        }
        for status in Status::ALL {
            let (fill, text) = status_colors(status);
            let (a, b) = (luminance(fill), luminance(text));
            let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
            assert!(ratio >= 4.5, "{status:?}: {ratio}");
        }
    }
}
