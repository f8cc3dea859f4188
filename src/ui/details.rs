//! The side-panel editor for the selected span (label, text, offsets,
//! attribute values, note) and for the open document's note.
//!
//! It reads the span, the schema and the note each frame and never writes to
//! the store: a finished edit (Enter, leaving the field, a combo-box choice)
//! becomes a [`Command::Edit`] holding a [`Change`] from the shown value to the
//! new one, which the app applies and records for undo. Values are checked as
//! they are typed ([`AttributeDef::parse_input`]); a value that does not fit
//! is shown with the reason and not saved. Arabic (label names, span text,
//! reasons quoting typed text) is drawn by the [`TextEngine`].
//!
//! Text fields go through [`text_field`], one small function, so the app's
//! own right-to-left input widget can replace egui's `TextEdit` in one place.

use egui::{Color32, Id, Key, RichText, Sense};

use super::Command;
use super::text_engine::TextEngine;
use super::text_input::TextInput;
use crate::model::{Attrs, Change, DocId, Span};
use crate::schema::{AttributeDef, AttributeKind, Schema, attr_display};

/// Font size of Arabic text in the panel, in points.
const FONT_SIZE: f32 = 16.0;

/// The field being typed in, with what has been typed so far.
#[derive(Debug, Default)]
pub struct DetailsState {
    editing: Option<(Id, String)>,
    /// The editing field was drawn this frame (else its edit is dropped).
    seen: bool,
    /// Escape was pressed this frame: leaving a field then discards the edit.
    escape: bool,
    /// Why the last value typed into this field was not saved.
    rejected: Option<(Id, String)>,
}

impl DetailsState {
    /// Call at the start of a frame, before anything consumes key presses.
    pub fn begin_frame(&mut self, ctx: &egui::Context) {
        self.seen = false;
        self.escape = ctx.input(|i| i.key_pressed(Key::Escape));
    }

    /// Call after the panel was drawn: forgets an edit whose field is gone
    /// (another span was selected), so it cannot be saved later by mistake.
    fn end_frame(&mut self) {
        if !self.seen {
            self.editing = None;
        }
    }
}

/// What the panel shows.
pub struct DetailsInput<'a> {
    pub doc: DocId,
    pub doc_note: &'a str,
    pub span: Option<&'a Span>,
    pub schema: &'a Schema,
}

/// A one-line (`multiline == false`) or multi-line text field, built on the
/// app's cosmic-text input so Arabic reads right to left while typing.
pub fn text_field(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    id: Id,
    text: &mut String,
    multiline: bool,
) -> egui::Response {
    let input = if multiline {
        TextInput::multiline(id, 2)
    } else {
        TextInput::new(id)
    };
    input.font_size(15.0).show(ui, engine, text)
}

/// Draws the span and document editors, pushing a command per finished edit.
pub fn details_ui(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    state: &mut DetailsState,
    input: &DetailsInput<'_>,
    commands: &mut Vec<Command>,
) {
    if let Some(span) = input.span {
        span_ui(ui, engine, state, input.schema, span, commands);
        ui.separator();
    }
    ui.strong("Document note");
    let id = Id::unique(("document-note", input.doc));
    let label = ui.label("note on this document");
    if let Some(to) = edited_text(ui, engine, state, id, input.doc_note, true, label.id) {
        commands.push(Command::Edit(Change::DocumentNote {
            doc: input.doc,
            from: input.doc_note.to_owned(),
            to,
        }));
    }
    state.end_frame();
}

fn span_ui(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    state: &mut DetailsState,
    schema: &Schema,
    span: &Span,
    commands: &mut Vec<Command>,
) {
    let text_color = ui.visuals().text_color();
    let label = schema.label(&span.label);
    ui.horizontal(|ui| {
        let color = super::article::label_color(schema, &span.label);
        ui.label(
            RichText::new(format!(" {} ", span.label))
                .color(Color32::WHITE)
                .background_color(color),
        );
        if let Some(label) = label {
            engine.label(ui, &label.arabic, FONT_SIZE, text_color, Sense::hover());
        }
    });
    engine.label(ui, &span.text, FONT_SIZE, text_color, Sense::hover());
    ui.label(
        RichText::new(format!(
            "characters {}–{} ({} long)",
            span.range.start(),
            span.range.end(),
            span.range.len()
        ))
        .small()
        .weak(),
    );
    let Some(label) = label else {
        ui.label(
            RichText::new(format!(
                "{} is not in the label schema {}: relabel the span to edit its attributes.",
                span.label, schema.name
            ))
            .color(ui.visuals().warn_fg_color),
        );
        return;
    };
    if !label.attributes.is_empty() {
        egui::Grid::new(("attributes", span.id))
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                for def in &label.attributes {
                    let name = ui.label(&def.name);
                    let to = attribute_ui(ui, engine, state, span, def, name.id);
                    ui.end_row();
                    if let Some(to) = to {
                        commands.push(Command::Edit(Change::SetAttrs {
                            span: span.id,
                            from: span.attrs.clone(),
                            to,
                        }));
                    }
                }
            });
    }
    // Values kept from an earlier label (a relabel keeps them): shown, not edited.
    let kept: Vec<_> = span
        .attrs
        .iter()
        .filter(|(name, _)| label.attribute(name).is_none())
        .collect();
    if !kept.is_empty() {
        ui.label(RichText::new("Kept from an earlier label:").small().weak());
        for (name, value) in kept {
            let line = format!("{name} = {}", attr_display(value));
            engine.label(
                ui,
                &line,
                13.0,
                ui.visuals().weak_text_color(),
                Sense::hover(),
            );
        }
    }
    ui.label("Note");
    let id = Id::unique(("span-note", span.id));
    let note_label = ui.label(RichText::new("note on this span").small().weak());
    if let Some(to) = edited_text(ui, engine, state, id, &span.note, true, note_label.id) {
        commands.push(Command::Edit(Change::SetNote {
            span: span.id,
            from: span.note.clone(),
            to,
        }));
    }
}

/// The editor of one attribute; returns the span's new attribute map when
/// the user finished a valid edit.
fn attribute_ui(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    state: &mut DetailsState,
    span: &Span,
    def: &AttributeDef,
    label_id: Id,
) -> Option<Attrs> {
    let stored = span.attrs.get(&def.name);
    let with = |value: Option<serde_json::Value>| {
        let mut attrs = span.attrs.clone();
        match value {
            Some(value) => attrs.insert(def.name.clone(), value),
            None => attrs.remove(&def.name),
        };
        (attrs != span.attrs).then_some(attrs)
    };
    if let AttributeKind::Choice(choices) = &def.kind {
        let current = stored.map(attr_display);
        let mut picked = None;
        egui::ComboBox::from_id_salt(("choice", span.id, &def.name))
            .selected_text(current.clone().unwrap_or_else(|| "—".into()))
            .show_ui(ui, |ui| {
                if ui.selectable_label(current.is_none(), "—").clicked() {
                    picked = Some(None);
                }
                for choice in choices {
                    let selected = current.as_deref() == Some(choice.as_str());
                    if ui.selectable_label(selected, choice).clicked() {
                        picked = Some(Some(serde_json::Value::String(choice.clone())));
                    }
                }
            })
            .response
            .labelled_by(label_id);
        return picked.and_then(with);
    }
    let id = Id::unique(("attribute", span.id, &def.name));
    let shown = stored.map(attr_display).unwrap_or_default();
    let mut result = None;
    ui.vertical(|ui| {
        let typed = edited_text(ui, engine, state, id, &shown, false, label_id);
        // Check what is in the field now (as typed, or as stored).
        let current = match &state.editing {
            Some((editing, text)) if *editing == id => text.clone(),
            _ => typed.clone().unwrap_or_else(|| shown.clone()),
        };
        let check = def.parse_input(&current);
        if typed.is_some() {
            match &check {
                Ok(value) => result = with(value.clone()),
                Err(error) => state.rejected = Some((id, format!("not saved: {error}"))),
            }
        }
        let color = ui.visuals().error_fg_color;
        if let Err(error) = &check {
            engine.label(ui, &error.to_string(), 13.0, color, Sense::hover());
        } else if let Some((_, reason)) = state.rejected.as_ref().filter(|(r, _)| *r == id) {
            engine.label(ui, reason, 13.0, color, Sense::hover());
        } else if matches!(def.kind, AttributeKind::Date) && current.trim().is_empty() {
            ui.label(RichText::new("YYYY-MM-DD").small().weak());
        }
    });
    result
}

/// A text field editing `stored`; returns the new text when the user
/// finished an edit that changed it (Enter or leaving the field; Escape
/// discards it).
fn edited_text(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    state: &mut DetailsState,
    id: Id,
    stored: &str,
    multiline: bool,
    label_id: Id,
) -> Option<String> {
    let editing = matches!(&state.editing, Some((e, _)) if *e == id);
    let mut text = match &state.editing {
        Some((e, text)) if *e == id => text.clone(),
        _ => stored.to_owned(),
    };
    let response = text_field(ui, engine, id, &mut text, multiline).labelled_by(label_id);
    if response.has_focus() {
        if !editing {
            state.rejected = None;
        }
        state.editing = Some((id, text));
        state.seen = true;
        return None;
    }
    if !editing {
        return None;
    }
    state.editing = None;
    (!state.escape && text != stored).then_some(text)
}
