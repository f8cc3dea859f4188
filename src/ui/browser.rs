//! The document browser in the left panel: filters (status, label, layer),
//! sort, the number of documents, and a virtual list of them.
//!
//! The list never holds the project: it asks the store for the rows on
//! screen, a page of [`PAGE_SIZE`] at a time, and keeps at most
//! [`MAX_PAGES`] pages. Pages and the count are keyed by the query and by a
//! generation that [`Browser::changed`] bumps after anything that may change
//! a row (a span edit, a status, an import, another annotator), so a frame
//! without a change runs no SQL. Titles are drawn by the app's text engine,
//! never by an egui label. This module must not write to the store: what the
//! user asks for becomes a [`Command`].

use std::collections::HashMap;

use egui::{Color32, Key, Modifiers, RichText, Sense, Vec2};

use super::Command;
use super::article::label_color;
use super::text_engine::TextEngine;
use crate::model::{AnnotatorId, DocId, LayerId};
use crate::schema::Schema;
use crate::store::{DocQuery, DocRow, Layer, ReviewStatus, Sort, Status, Store};

/// Rows fetched per query.
pub const PAGE_SIZE: usize = 100;
/// Pages kept; the least recently shown one is dropped first.
pub const MAX_PAGES: usize = 12;
/// Characters of a title shown (about two lines of the panel).
const TITLE_CHARS: usize = 60;
const TITLE_FONT_SIZE: f32 = 16.0;
/// Two lines of title, the chips line, padding.
const ROW_HEIGHT: f32 = TITLE_FONT_SIZE * 1.45 * 2.0 + 28.0;

struct Page {
    rows: Vec<DocRow>,
    last_used: u64,
}

/// The state of the document list: its query and what it has read.
pub struct Browser {
    query: DocQuery,
    generation: u64,
    /// Query and generation the cached values below belong to.
    cached_for: Option<(DocQuery, u64)>,
    count: Option<usize>,
    pages: HashMap<usize, Page>,
    layers: Vec<Layer>,
    frame: u64,
    /// Keyboard position in the list (row index), when the list has focus.
    cursor: Option<usize>,
    has_focus: bool,
    scroll_to_cursor: bool,
    /// A row to bring to the top of the list in the next frame.
    scroll_to_row: Option<usize>,
    /// Scroll offset and height of the list in the last frame.
    last_view: (f32, f32),
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
            cached_for: None,
            count: None,
            pages: HashMap::new(),
            layers: Vec::new(),
            frame: 0,
            cursor: None,
            has_focus: false,
            scroll_to_cursor: false,
            scroll_to_row: None,
            last_view: (0.0, 0.0),
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

    /// Whose status the list shows.
    pub fn set_annotator(&mut self, annotator: Option<AnnotatorId>) {
        self.query.annotator = annotator;
        self.changed();
    }

    /// Something in the store changed: read pages and count again.
    pub fn changed(&mut self) {
        self.generation += 1;
    }

    /// Scroll the list so that row `index` is at the top in the next frame.
    pub fn scroll_to_row(&mut self, index: usize) {
        self.scroll_to_row = Some(index);
    }

    /// Pages currently held (for the memory benchmark and tests).
    pub fn cached_pages(&self) -> usize {
        self.pages.len()
    }

    /// The first document of the list, if any.
    pub fn first(&mut self, store: &Store) -> Result<Option<DocId>, crate::store::StoreError> {
        Ok(store
            .document_page(&self.query, 0, 1)?
            .first()
            .map(|row| row.id))
    }

    /// Drop what was read for an older query or generation.
    fn sync(&mut self, store: &Store) {
        let key = (self.query.clone(), self.generation);
        if self.cached_for.as_ref() == Some(&key) {
            return;
        }
        self.pages.clear();
        self.error = None;
        self.count = match store.document_count(&self.query) {
            Ok(n) => Some(n),
            Err(e) => {
                self.error = Some(format!("{:#}", anyhow::Error::from(e)));
                None
            }
        };
        match store.layers() {
            Ok(layers) => self.layers = layers,
            Err(e) => self.error = Some(format!("{:#}", anyhow::Error::from(e))),
        }
        self.cached_for = Some(key);
    }

    /// Row `index` of the list, reading its page if needed.
    fn row(&mut self, store: &Store, index: usize) -> Option<&DocRow> {
        let page = index / PAGE_SIZE;
        if !self.pages.contains_key(&page) {
            match store.document_page(&self.query, page * PAGE_SIZE, PAGE_SIZE) {
                Ok(rows) => {
                    if self.pages.len() >= MAX_PAGES
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
                            last_used: self.frame,
                        },
                    );
                }
                Err(e) => {
                    self.error = Some(format!("{:#}", anyhow::Error::from(e)));
                    return None;
                }
            }
        }
        let entry = self.pages.get_mut(&page)?;
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
        self.sync(store);
        self.filters_ui(ui, engine, schema);
        self.sync(store);
        let count = self.count.unwrap_or(0);
        ui.horizontal(|ui| {
            ui.label(RichText::new(documents_text(count)).strong());
        });
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
        ui.separator();
        self.keys(ui, count, commands);

        let spacing = ui.spacing().item_spacing.y;
        let mut area = egui::ScrollArea::vertical()
            .id_salt("document-browser")
            .auto_shrink([false, false]);
        if let Some(index) = self.scroll_to_row.take() {
            area = area.vertical_scroll_offset(index as f32 * (ROW_HEIGHT + spacing));
        } else if self.scroll_to_cursor
            && let Some(cursor) = self.cursor
        {
            let top = cursor as f32 * (ROW_HEIGHT + spacing);
            let (offset, view) = self.last_view;
            if top < offset {
                area = area.vertical_scroll_offset(top);
            } else if top + ROW_HEIGHT > offset + view {
                area = area.vertical_scroll_offset(top + ROW_HEIGHT - view);
            }
            self.scroll_to_cursor = false;
        }
        let text_color = ui.visuals().text_color();
        let strong = ui.visuals().strong_text_color();
        let output = area.show_rows(ui, ROW_HEIGHT, count, |ui, rows| {
            for index in rows {
                let Some(row) = self.row(store, index).cloned() else {
                    ui.allocate_exact_size(
                        Vec2::new(ui.available_width(), ROW_HEIGHT),
                        Sense::hover(),
                    );
                    continue;
                };
                let selected = current == Some(row.id);
                let under_cursor = self.has_focus && self.cursor == Some(index);
                let response = ui
                    .allocate_ui(Vec2::new(ui.available_width(), ROW_HEIGHT), |ui| {
                        ui.set_min_height(ROW_HEIGHT);
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
