//! The audit view: Document ▸ History… lists who did what to the open
//! document and when, newest first.
//!
//! It reads [`Store::document_history`] (time already in local time, the
//! annotator's name joined in) and turns each audit event into one readable
//! line ([`describe`]). It never writes anything. Span text, names and notes
//! are Arabic, so every line is drawn by the [`TextEngine`], not egui labels.

use egui::Sense;
use serde_json::Value;

use super::text_engine::TextEngine;
use crate::model::DocId;
use crate::schema::attr_display;
use crate::store::{AuditEvent, HistoryEntry, Store, StoreError};

/// Longest stretch of a note or span text quoted in a line, in characters.
const QUOTE_CHARS: usize = 48;
/// Font size of the lines, in points.
const FONT_SIZE: f32 = 15.0;

/// The history of one document as last read from the store.
#[derive(Debug, Clone)]
pub struct AuditView {
    pub doc: DocId,
    entries: Vec<HistoryEntry>,
}

impl AuditView {
    /// Read the history of `doc`.
    pub fn load(store: &Store, doc: DocId) -> Result<AuditView, StoreError> {
        Ok(AuditView {
            doc,
            entries: store.document_history(doc)?,
        })
    }

    /// Newest first.
    pub fn entries(&self) -> &[HistoryEntry] {
        &self.entries
    }
}

/// Draws the History window; `open` becomes false when the user closes it.
pub fn audit_window(
    ctx: &egui::Context,
    engine: &mut TextEngine,
    view: &AuditView,
    title: &str,
    open: &mut bool,
) {
    egui::Window::new("History")
        .open(open)
        .default_size([520.0, 420.0])
        .show(ctx, |ui| {
            let strong = ui.visuals().strong_text_color();
            let color = ui.visuals().text_color();
            engine.label(ui, title, FONT_SIZE + 1.0, strong, Sense::hover());
            ui.label(format!("{} events, newest first", view.entries.len()));
            ui.separator();
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    egui::Grid::new("history-grid")
                        .num_columns(3)
                        .striped(true)
                        .spacing([12.0, 6.0])
                        .show(ui, |ui| {
                            for entry in &view.entries {
                                ui.label(egui::RichText::new(&entry.local_time).monospace());
                                let who = entry.actor_name.as_deref().unwrap_or("(system)");
                                engine.label(ui, who, FONT_SIZE, strong, Sense::hover());
                                engine.label(
                                    ui,
                                    &describe(&entry.event),
                                    FONT_SIZE,
                                    color,
                                    Sense::hover(),
                                );
                                ui.end_row();
                            }
                        });
                });
        });
}

/// One event as a short sentence, e.g. `tagged «إدلب» PLACE`,
/// `relabelled «إدلب» PLACE → ACTOR`, `set count 19 on «19 مدنياً»`.
pub fn describe(event: &AuditEvent) -> String {
    let (before, after) = (&event.before, &event.after);
    // The span as it is after the event (or before, for what has no after).
    let span = if after.is_object() { after } else { before };
    let quoted = quote(str_of(span, "text"));
    let label = str_of(span, "label");
    match event.action.as_str() {
        "span.add" => format!("tagged {quoted} {label}"),
        "span.delete" => format!("deleted {quoted} {label}"),
        "span.restore" => format!("restored {quoted} {label}"),
        "span.relabel" => format!(
            "relabelled {quoted} {} → {}",
            str_of(before, "label"),
            str_of(after, "label")
        ),
        "span.attrs" => format!("{} on {quoted}", attr_changes(before, after)),
        "span.note" => match str_of(after, "note") {
            "" => format!("removed the note on {quoted}"),
            note => format!("note on {quoted}: {}", quote(note)),
        },
        "document.note" => match str_of(after, "note") {
            "" => "removed the document note".to_owned(),
            note => format!("document note: {}", quote(note)),
        },
        "document.import" => format!("imported {}", quote(str_of(after, "title"))),
        "document.direction" => format!(
            "paragraph direction {} → {}",
            str_of(before, "direction"),
            str_of(after, "direction")
        ),
        other => other.to_owned(),
    }
}

/// `set count 19, cleared kind`: what differs between two attribute maps.
fn attr_changes(before: &Value, after: &Value) -> String {
    let empty = serde_json::Map::new();
    let from = before
        .get("attrs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let to = after
        .get("attrs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut parts: Vec<String> = to
        .iter()
        .filter(|(name, value)| from.get(*name) != Some(*value))
        .map(|(name, value)| format!("set {name} {}", attr_display(value)))
        .collect();
    parts.extend(
        from.keys()
            .filter(|name| !to.contains_key(*name))
            .map(|name| format!("cleared {name}")),
    );
    if parts.is_empty() {
        "attributes unchanged".to_owned()
    } else {
        parts.join(", ")
    }
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `«text»`, cut to [`QUOTE_CHARS`] characters with an ellipsis, on one line.
fn quote(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .take(QUOTE_CHARS)
        .collect();
    let ellipsis = if text.chars().count() > QUOTE_CHARS {
        "…"
    } else {
        ""
    };
    format!("«{one_line}{ellipsis}»")
}
