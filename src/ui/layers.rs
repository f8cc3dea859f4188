//! The layer switcher and the two cross-layer actions: copy another layer's
//! span into my layer (A) and hide it as rejected (R).
//!
//! My own layer is always shown and is the only one edited by tagging,
//! relabelling and deleting. Other layers (other annotators, imported
//! extractions) are shown on request, drawn lighter with a dashed outline and
//! their layer's name in the span tag, so they never look like my own work.

use egui::{Color32, RichText, Sense};

use super::{App, Command, LIST_FONT_SIZE, Status};
use crate::model::Change;
use crate::store::{self, Copied, LayerKind};

impl App {
    /// Re-read the project's layers (after an import, a new annotator).
    pub(super) fn refresh_layers(&mut self) {
        match self.store.layers() {
            Ok(layers) => {
                self.layer_names = layers.iter().map(|l| (l.id, l.name.clone())).collect();
                self.shown_layers
                    .retain(|id| layers.iter().any(|l| l.id == *id));
                self.layers = layers;
            }
            Err(error) => self
                .errors
                .push(format!("{:#}", anyhow::Error::from(error))),
        }
    }

    /// True when blind annotation is on and the annotator has not marked
    /// document `doc` done: other layers stay hidden.
    pub(super) fn blind_for(&self, doc: crate::model::DocId) -> anyhow::Result<bool> {
        if !self.store.blind_annotation()? {
            return Ok(false);
        }
        Ok(match &self.annotator {
            Some((annotator, _)) => self.store.status(doc, *annotator)? != store::Status::Done,
            None => true,
        })
    }

    /// The "Layers" part of the side panel: my layer, then every other layer
    /// with a checkbox.
    pub(super) fn layers_section(&mut self, ui: &mut egui::Ui) {
        ui.heading("Layers");
        let text_color = ui.visuals().text_color();
        let weak = ui.visuals().weak_text_color();
        let mut commands = Vec::new();
        let blind = self.review.is_none()
            && self
                .open
                .as_ref()
                .is_some_and(|o| self.blind_for(o.doc.id).unwrap_or(true));
        if blind {
            ui.label(
                RichText::new(
                    "Blind annotation: other layers appear once you mark this document done.",
                )
                .small()
                .color(weak),
            );
        }
        for layer in &self.layers {
            let own = Some(layer.id) == self.own_layer;
            let kind = match (own, layer.kind) {
                (true, _) => "mine",
                (false, LayerKind::Annotator) => "annotator",
                (false, LayerKind::Imported) => "imported",
                (false, LayerKind::Gold) => "gold",
            };
            ui.horizontal(|ui| {
                let mut shown = own || self.shown_layers.contains(&layer.id);
                let enabled = !own && !blind;
                let checkbox = ui.add_enabled(enabled, egui::Checkbox::without_text(&mut shown));
                checkbox.widget_info(|| {
                    egui::WidgetInfo::selected(
                        egui::Role::CheckBox,
                        enabled,
                        shown,
                        format!("show layer {}", layer.name),
                    )
                });
                let checkbox = checkbox.on_hover_text(if own {
                    "Your own layer is always shown"
                } else {
                    "Show this layer's spans beside yours"
                });
                if checkbox.changed() {
                    commands.push(Command::ShowLayer(layer.id, shown));
                }
                self.engine
                    .label(ui, &layer.name, LIST_FONT_SIZE, text_color, Sense::hover());
                ui.label(RichText::new(kind).small().color(weak));
            });
        }
        if self.layers.len() > 1 {
            ui.label(
                RichText::new(
                    "Other layers' spans: dashed. A copies one into your layer, R hides it.",
                )
                .small()
                .color(weak),
            );
        }
        self.commands.extend(commands);
    }

    /// The Annotator menu: switch to a known annotator or add one.
    pub(super) fn annotator_menu(&mut self, ui: &mut egui::Ui) {
        let current = self.annotator.as_ref().map(|(id, _)| *id);
        match self.store.annotators() {
            Ok(annotators) => {
                for annotator in annotators {
                    let selected = current == Some(annotator.id);
                    if ui.radio(selected, &annotator.name).clicked() && !selected {
                        self.commands.push(Command::SetAnnotator(annotator.name));
                    }
                }
            }
            Err(error) => {
                ui.label(
                    RichText::new(format!("{:#}", anyhow::Error::from(error))).color(Color32::RED),
                );
            }
        }
        ui.separator();
        if ui.button("New annotator…").clicked() {
            self.commands.push(Command::AskAnnotator);
        }
        ui.separator();
        let mut blind = self.store.blind_annotation().unwrap_or(false);
        if ui
            .checkbox(&mut blind, "Blind annotation (project setting)")
            .on_hover_text("Annotators see only their own layer until they mark a document done")
            .changed()
        {
            self.commands.push(Command::SetBlind(blind));
        }
    }

    pub(super) fn copy_selected(&mut self) -> anyhow::Result<()> {
        if self.review.is_some() {
            return self.review_accept();
        }
        let Some((annotator, _)) = self.annotator.clone() else {
            self.name_prompt.get_or_insert_with(String::new);
            anyhow::bail!("set your annotator name before copying a span");
        };
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        let Some(id) = open.selected_span else {
            return Ok(());
        };
        if open
            .spans
            .iter()
            .any(|s| s.id == id && Some(s.layer) == self.own_layer)
        {
            self.status = Some(Status {
                text: "this span is already in your layer".into(),
                error: false,
            });
            return Ok(());
        }
        let copied = self.store.copy_span(id, annotator)?;
        let text = match &copied {
            Copied::New(span) => {
                self.histories
                    .entry(open.doc.id)
                    .or_default()
                    .record(Change::Restore { span: span.id });
                format!("copied {} into your layer", span.label)
            }
            Copied::AlreadyThere(span) => {
                format!("your layer already has this {} span", span.label)
            }
        };
        open.selected_span = Some(copied.span().id);
        self.status = Some(Status { text, error: false });
        self.reload_spans()
    }

    /// R: hide the selected span of another layer as rejected, for me (in
    /// review mode: the reviewer's rejection, then the queue moves on).
    pub(super) fn reject_selected(&mut self) -> anyhow::Result<()> {
        let Some((annotator, _)) = self.annotator.clone() else {
            self.name_prompt.get_or_insert_with(String::new);
            anyhow::bail!("set your annotator name before rejecting a span");
        };
        let editable = self.review.as_ref().map(|r| r.gold).or(self.own_layer);
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        let Some(id) = open.selected_span else {
            return Ok(());
        };
        if open
            .spans
            .iter()
            .any(|s| s.id == id && Some(s.layer) == editable)
        {
            anyhow::bail!(if self.review.is_some() {
                "this is a gold span: press Delete to take it out of gold"
            } else {
                "this span is in your own layer: press Delete to remove it"
            });
        }
        let change = Change::Reject { span: id };
        self.store.apply(&change, annotator)?;
        self.histories
            .entry(open.doc.id)
            .or_default()
            .record(change);
        open.selected_span = None;
        self.status = Some(Status {
            text: "rejected: hidden (Ctrl+Z brings it back)".into(),
            error: false,
        });
        self.reload_spans()?;
        self.queue_advance()
    }
}
