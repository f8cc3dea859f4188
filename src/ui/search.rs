//! The search window: a box that shows Arabic as it is typed, and the hits,
//! each with its document title and the hit in context, highlighted.
//!
//! The query runs when the text changes, on a [`Reader`] (a second
//! connection on its own thread): a common word takes a few frames on
//! 100,000 documents (see `benches/search.rs`), and typing must not wait
//! for it. One search is out at a time; when the box changes meanwhile, that
//! search is interrupted and the newest text is searched next, so fast
//! typing never queues stale searches. A frame waits at most
//! [`super::browser::WAIT_BUDGET`] for the answer; until it comes the
//! previous hits stay, with a spinner. A search that read its budget of
//! candidates with some left ([`SearchResults::resume`], a rare query
//! whose trigrams are common) goes on from where it stopped, one stretch a
//! frame, adding hits as they come and saying how many documents it has
//! checked. Up/Down in the box mark a hit (the
//! first to begin with); clicking a hit, or Enter in the box for the marked
//! one (of the text typed, once its answer is in), pushes
//! [`Command::RevealRange`] (or [`Command::OpenDocument`] for a title hit);
//! the panel never changes the store or the open document itself.

use std::sync::Arc;
use std::time::Instant;

use egui::{Color32, CornerRadius, Id, Key, Pos2, RichText, Sense, Vec2};

use super::browser::WAIT_BUDGET;
use crate::layout::{ArticleLayout, LayoutParams};
use crate::model::Direction;
use crate::store::search::{MIN_QUERY_CHARS, SearchResume};
use crate::store::{Reader, SearchField, SearchResults, Store};
use crate::text::OffsetIndex;
use crate::ui::Command;
use crate::ui::text_engine::TextEngine;
use crate::ui::text_input::TextInput;

/// Most hits listed.
pub const RESULT_LIMIT: usize = 50;
/// Font size of titles and contexts, in points.
const FONT_SIZE: f32 = 16.0;
const INPUT_ID: &str = "search-query";

/// A search: the text as typed, the most hits wanted, and where an earlier
/// search of the same text stopped (`None`: from the beginning).
pub type Job = (String, usize, Option<SearchResume>);
/// The text searched and how its search ended.
pub type Answer = (String, Outcome);

/// How a search ended.
pub enum Outcome {
    Found(SearchResults),
    /// The error, worded.
    Failed(String),
    /// Stopped because the box changed meanwhile.
    Interrupted,
}

/// Run one search on `store`: what the panel's reader does on its thread.
pub fn run_job(store: &Store, (text, limit, resume): Job) -> Answer {
    let outcome = match store.search_from(&text, limit, resume) {
        Ok(results) => Outcome::Found(results),
        Err(e) if e.is_interrupted() => Outcome::Interrupted,
        Err(e) => Outcome::Failed(format!("{:#}", anyhow::Error::from(e))),
    };
    (text, outcome)
}

/// The search window's state between frames.
#[derive(Default)]
pub struct SearchPanel {
    open: bool,
    focus: bool,
    query: String,
    /// The query the results belong to.
    searched: String,
    reader: Option<Reader<Job, Answer>>,
    /// The text of the search out with the reader.
    in_flight: Option<String>,
    /// The search out goes on from where the current results stopped: its
    /// hits are added to them.
    continuing: bool,
    /// The search out was asked to stop (the box changed since).
    interrupted: bool,
    /// Enter was pressed before the results for the typed text were in:
    /// open the first hit when they are.
    submit_pending: bool,
    /// The hit Enter opens (Up/Down in the box move it).
    selected: usize,
    scroll_to_selected: bool,
    results: SearchResults,
    error: Option<String>,
    /// Shaped contexts of the current results, keyed by hit and width.
    layouts: Vec<Option<(u32, ArticleLayout)>>,
    /// The search box's widget id, once shown.
    input_id: Option<Id>,
    /// When the current results came in.
    searched_at: Option<Instant>,
}

/// While the search index catches up, the same text is searched again this
/// often, so hits from newly indexed documents appear.
pub const REFRESH_WHILE_INDEXING: std::time::Duration = std::time::Duration::from_millis(1000);

impl SearchPanel {
    /// Show the window and put the caret in the search box.
    pub fn open_and_focus(&mut self) {
        self.open = true;
        self.focus = true;
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Search through `reader` from now on (tests give one whose jobs wait
    /// for a signal; the panel makes its own when first shown). A search out
    /// with the old reader is forgotten.
    pub fn use_reader(&mut self, reader: Reader<Job, Answer>) {
        self.reader = Some(reader);
        self.in_flight = None;
        self.interrupted = false;
        self.searched.clear();
    }

    /// Whether a search is out with the reader (for tests).
    pub fn is_searching(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The hit Enter opens, an index into [`SearchPanel::results`].
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The current results (for tests).
    pub fn results(&self) -> &SearchResults {
        &self.results
    }

    /// The widget id of the search box, once it was shown (for tests).
    pub fn input_id(&self) -> Option<Id> {
        self.input_id
    }

    pub fn show(
        &mut self,
        ctx: &egui::Context,
        store: &Store,
        engine: &mut TextEngine,
        commands: &mut Vec<Command>,
    ) {
        if !self.open {
            return;
        }
        let mut open = self.open;
        egui::Window::new("Search")
            .id(Id::unique("search-window"))
            .open(&mut open)
            .default_width(420.0)
            .default_pos(Pos2::new(260.0, 60.0))
            .show(ctx, |ui| self.contents(ui, store, engine, commands));
        self.open = open;
    }

    fn contents(
        &mut self,
        ui: &mut egui::Ui,
        store: &Store,
        engine: &mut TextEngine,
        commands: &mut Vec<Command>,
    ) {
        let input = TextInput::new(INPUT_ID)
            .hint("ابحث في العناوين والنصوص…")
            .font_size(18.0)
            .keep_vertical_arrows();
        let id = input.id(ui);
        self.input_id = Some(id);
        // A window's first frame only measures it; ask until the box has focus.
        if self.focus {
            ui.memory_mut(|m| m.request_focus(id));
        }
        // Up/Down in the box move through the hits (the box is one line, so
        // it has no use for them); Enter opens the one marked.
        if ui.memory(|m| m.has_focus(id)) && !self.results.hits.is_empty() {
            let (up, down) = ui.input_mut(|i| {
                (
                    i.consume_key(egui::Modifiers::NONE, Key::ArrowUp),
                    i.consume_key(egui::Modifiers::NONE, Key::ArrowDown),
                )
            });
            let last = self.results.hits.len() - 1;
            if down {
                self.selected = (self.selected + 1).min(last);
            }
            if up {
                self.selected = self.selected.saturating_sub(1);
            }
            self.scroll_to_selected |= up || down;
        }
        let response = input.show(ui, engine, &mut self.query);
        if response.has_focus() {
            self.focus = false;
        }
        let submit = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        if submit {
            self.submit_pending = true;
        }
        self.sync(ui.ctx(), store);
        // Enter opens the first hit once it is in, even while a long search
        // goes on through more documents.
        let answered =
            self.in_flight.is_none() || (self.continuing && !self.results.hits.is_empty());
        if self.submit_pending && self.searched == self.query && answered {
            self.submit_pending = false;
            if let Some(hit) = self.results.hits.get(self.selected) {
                commands.push(reveal(hit.doc, hit.field, hit.range));
            }
        }
        if self.in_flight.is_some() {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new().size(12.0));
                ui.label(RichText::new("searching…").weak());
            });
            ui.ctx().request_repaint();
        }

        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        } else if self.results.too_short {
            ui.label(format!(
                "Type at least {MIN_QUERY_CHARS} letters (diacritics do not count)."
            ));
        } else if !self.results.normalized_query.is_empty() {
            let n = self.results.hits.len();
            let hits = if n == 1 { "hit" } else { "hits" };
            if self.results.resume.is_some() && n < RESULT_LIMIT {
                ui.label(format!(
                    "{n} {hits} so far; {} documents checked, going on…",
                    self.results.checked
                ));
            } else {
                let more = if self.results.truncated || self.results.resume.is_some() {
                    "+"
                } else {
                    ""
                };
                ui.label(format!("{n}{more} {hits}"));
            }
        }
        if let Some(coverage) = self.results.coverage
            && !coverage.is_complete()
        {
            ui.label(
                RichText::new(format!(
                    "indexing: {} % of documents searchable ({} of {}); the hits come from those",
                    coverage.percent(),
                    coverage.searchable,
                    coverage.documents
                ))
                .color(ui.visuals().warn_fg_color),
            );
            ui.ctx().request_repaint_after(REFRESH_WHILE_INDEXING);
        }
        ui.separator();
        self.hits(ui, engine, commands);
    }

    /// Take in the answer if it is ready, send the typed text if it has
    /// not been searched, and wait up to [`WAIT_BUDGET`] for the answer.
    fn sync(&mut self, ctx: &egui::Context, store: &Store) {
        let reader = self.reader.get_or_insert_with(|| {
            let ctx = ctx.clone();
            Reader::new(store, run_job, move || ctx.request_repaint())
        });
        let deadline = Instant::now() + WAIT_BUDGET;
        loop {
            if self.in_flight.is_some() {
                let left = deadline.saturating_duration_since(Instant::now());
                let Some((text, outcome)) = reader.recv_timeout(left) else {
                    if reader.take_lost() {
                        // It will never answer; say so rather than spin.
                        self.searched = self.in_flight.take().unwrap_or_default();
                        self.interrupted = false;
                        self.results = SearchResults::default();
                        self.layouts.clear();
                        self.error = Some(
                            "the search stopped unexpectedly; change the text to search again"
                                .into(),
                        );
                        return;
                    }
                    if !self.interrupted && self.in_flight.as_ref() != Some(&self.query) {
                        // Typed on: stop the search for the old text, so the
                        // new one starts as soon as it can.
                        reader.interrupt();
                        self.interrupted = true;
                    }
                    return;
                };
                self.in_flight = None;
                self.interrupted = false;
                let continued = std::mem::take(&mut self.continuing);
                let (results, error) = match outcome {
                    // The previous hits stay; the newest text is sent below
                    // (again, if it was the one stopped).
                    Outcome::Interrupted => continue,
                    Outcome::Found(more) if continued && text == self.searched => {
                        // The next stretch of a long search: add its hits.
                        self.searched_at = Some(Instant::now());
                        self.layouts
                            .resize_with(self.results.hits.len() + more.hits.len(), || None);
                        self.results.hits.extend(more.hits);
                        self.results.truncated = more.truncated;
                        self.results.resume = more.resume;
                        self.results.checked = more.checked;
                        self.results.coverage = more.coverage;
                        // One stretch a frame: the next goes out next frame
                        // (an in-memory project runs it inline).
                        ctx.request_repaint();
                        return;
                    }
                    Outcome::Found(results) => (results, None),
                    Outcome::Failed(error) => (SearchResults::default(), Some(error)),
                };
                self.searched = text;
                self.searched_at = Some(Instant::now());
                self.results = results;
                self.error = error;
                self.selected = 0;
                self.layouts.clear();
                self.layouts.resize_with(self.results.hits.len(), || None);
                if self.results.resume.is_some() {
                    ctx.request_repaint();
                    return;
                }
            }
            let indexing = self.results.coverage.is_some_and(|c| !c.is_complete())
                && self
                    .searched_at
                    .is_some_and(|t| t.elapsed() >= REFRESH_WHILE_INDEXING);
            let resume = match self.results.resume {
                Some(resume)
                    if self.query == self.searched
                        && self.error.is_none()
                        && self.results.hits.len() < RESULT_LIMIT =>
                {
                    Some(resume)
                }
                _ => None,
            };
            if self.query == self.searched && !indexing && resume.is_none() {
                return;
            }
            self.in_flight = Some(self.query.clone());
            // While indexing, the search starts over (new documents came in).
            let resume = resume.filter(|_| !indexing);
            self.continuing = resume.is_some();
            let limit = RESULT_LIMIT
                - if self.continuing {
                    self.results.hits.len()
                } else {
                    0
                };
            reader.send(store, (self.query.clone(), limit, resume));
        }
    }

    fn hits(&mut self, ui: &mut egui::Ui, engine: &mut TextEngine, commands: &mut Vec<Command>) {
        let strong = ui.visuals().strong_text_color();
        let color = ui.visuals().text_color();
        let highlight = Color32::from_rgb(0xF5, 0xC2, 0x42).gamma_multiply(0.6);
        let scale = ui.ctx().pixels_per_point();
        egui::ScrollArea::vertical()
            .id_salt("search-hits")
            .max_height(480.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                let width = (ui.available_width() - 8.0).max(40.0).round();
                for (i, hit) in self.results.hits.iter().enumerate() {
                    let row = ui.scope(|ui| {
                        ui.set_max_width(width);
                        engine.label(ui, &hit.title, FONT_SIZE - 2.0, strong, Sense::hover());
                        let slot = &mut self.layouts[i];
                        if slot.as_ref().is_none_or(|(w, _)| *w != width.to_bits()) {
                            let text: Arc<str> = Arc::from(hit.context.as_str());
                            let index = Arc::new(OffsetIndex::new(&text));
                            let params = LayoutParams {
                                width,
                                font_size: FONT_SIZE,
                                line_height: 1.45,
                                scale,
                                direction: Direction::Auto,
                            };
                            *slot = Some((
                                width.to_bits(),
                                ArticleLayout::new(engine.fonts(), text, index, params),
                            ));
                        }
                        let Some((_, layout)) = slot.as_ref() else {
                            return;
                        };
                        let (rect, _) = ui
                            .allocate_exact_size(Vec2::new(width, layout.height()), Sense::hover());
                        if ui.is_rect_visible(rect) {
                            let painter = ui.painter_at(rect);
                            for b in layout.range_boxes(hit.context_range.as_range()) {
                                painter.rect_filled(
                                    egui::Rect::from_min_max(
                                        rect.min + Vec2::new(b.x0, b.y0 + 2.0),
                                        rect.min + Vec2::new(b.x1, b.y1 - 2.0),
                                    ),
                                    CornerRadius::same(3),
                                    highlight,
                                );
                            }
                            engine.glyphs.paint_lines(
                                &painter,
                                layout,
                                layout.lines(),
                                rect.min,
                                color,
                            );
                        }
                    });
                    let response = ui.interact(
                        row.response.rect,
                        ui.scope_id().with(("search-hit", i)),
                        Sense::click(),
                    );
                    let label = format!("{} — {}", hit.title, hit.context);
                    response.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::Button, true, &label)
                    });
                    if i == self.selected {
                        ui.painter().rect_stroke(
                            row.response.rect.expand(2.0),
                            4,
                            ui.visuals().selection.stroke,
                            egui::StrokeKind::Outside,
                        );
                        if self.scroll_to_selected {
                            response.scroll_to_me(None);
                            self.scroll_to_selected = false;
                        }
                    } else if response.hovered() {
                        ui.painter().rect_stroke(
                            row.response.rect.expand(2.0),
                            4,
                            ui.visuals().widgets.hovered.bg_stroke,
                            egui::StrokeKind::Outside,
                        );
                    }
                    if response.clicked() {
                        commands.push(reveal(hit.doc, hit.field, hit.range));
                    }
                    ui.separator();
                }
            });
    }
}

/// The command that opens a hit: the text hit scrolled to and flashed, or the
/// document of a title hit.
fn reveal(doc: crate::model::DocId, field: SearchField, range: crate::model::CharRange) -> Command {
    match field {
        SearchField::Text => Command::RevealRange(doc, range),
        SearchField::Title => Command::OpenDocument(doc),
    }
}
