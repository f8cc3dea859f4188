//! Review mode: compare layers on the open document and adjudicate gold.
//!
//! In review mode the article shows the compared layers (dashed, with their
//! layer names) and the gold layer (filled, the reviewer's "own" layer); each
//! compared span is ringed in the colour of its category — agreed (green),
//! label conflict (red), partial overlap (orange), only in some layers (grey)
//! — and the side panel lists the differences. Keys act on the selected span:
//! **A** accepts it into gold, **R** rejects it (the same rejected mark as
//! outside review, see `layers`), a **label key** corrects its
//! label into gold; after dragging new edges, a label key puts the corrected
//! span into gold with the previously selected span as its source.
//! **Shift+A** accepts every agreed span. Every decision goes through the
//! store (reviewer, time, source span) and the document's undo history.
//!
//! The extraction queue walks an imported layer's undecided spans across
//! documents, lowest score first, moving on after each decision. The ready
//! queue walks the documents ready for review (every assignee marked them
//! done, see `assign`), comparing their assignees' layers, and moves on when
//! a document is marked adjudicated.

use std::collections::HashMap;

use egui::{Color32, RichText, Sense};

use super::{App, Command, LIST_FONT_SIZE, Status, short_title};
use crate::model::{Change, LayerId, SpanId};
use crate::review::{Category, categorize};
use crate::store::{Copied, LayerKind, ReviewStatus};

/// State of review mode.
pub(super) struct Review {
    pub(super) gold: LayerId,
    /// Category of each compared span of the open document.
    pub(super) categories: HashMap<SpanId, Category>,
    /// Ring colour per span, from its category.
    pub(super) emphasis: HashMap<SpanId, Color32>,
    /// The source span a correction drawn next will refer to.
    pub(super) source: Option<SpanId>,
    /// The imported layer being audited as a queue, if any.
    pub(super) queue: Option<LayerId>,
    /// Walking the documents ready for review: marking one adjudicated
    /// opens the next.
    pub(super) ready_queue: bool,
    pub(super) status: ReviewStatus,
}

pub(super) fn category_color(category: Category) -> Color32 {
    match category {
        Category::Agreed => Color32::from_rgb(0x2e, 0xa0, 0x43),
        Category::LabelConflict => Color32::from_rgb(0xd0, 0x30, 0x30),
        Category::PartialOverlap => Color32::from_rgb(0xe0, 0x8a, 0x10),
        Category::OnlyIn { .. } => Color32::from_rgb(0x80, 0x80, 0x80),
    }
}

impl App {
    /// Compared layers: the shown layers other than gold.
    fn compared_layers(&self) -> Vec<LayerId> {
        let gold = self.review.as_ref().map(|r| r.gold);
        self.shown_layers
            .iter()
            .copied()
            .filter(|l| Some(*l) != gold)
            .collect()
    }

    /// Turn review mode on (with the shown layers compared) or off.
    pub(super) fn toggle_review(&mut self) -> anyhow::Result<()> {
        if self.review.take().is_some() {
            self.status = Some(Status {
                text: "review mode off".into(),
                error: false,
            });
            return self.reload_spans();
        }
        let Some((reviewer, _)) = self.annotator.clone() else {
            self.name_prompt.get_or_insert_with(String::new);
            anyhow::bail!("set your name before reviewing");
        };
        let gold = self.store.gold_layer(Some(reviewer))?;
        self.refresh_layers();
        if self.shown_layers.is_empty() {
            // Compare every annotator and imported layer that has spans here.
            if let Some(open) = &self.open {
                let spans = self.store.spans(open.doc.id)?;
                for layer in &self.layers {
                    if layer.kind != LayerKind::Gold && spans.iter().any(|s| s.layer == layer.id) {
                        self.shown_layers.insert(layer.id);
                    }
                }
            }
        }
        self.review = Some(Review {
            gold,
            categories: HashMap::new(),
            emphasis: HashMap::new(),
            source: None,
            queue: None,
            ready_queue: false,
            status: ReviewStatus::Unreviewed,
        });
        self.status = Some(Status {
            text:
                "review mode: A accept, R reject, 1–4 correct the label, Shift+A accept all agreed"
                    .into(),
            error: false,
        });
        self.reload_spans()
    }

    /// Recompute categories after the spans were reloaded (review mode only).
    pub(super) fn refresh_review(&mut self) -> anyhow::Result<()> {
        let compared = self.compared_layers();
        let (Some(review), Some(open)) = (&mut self.review, &self.open) else {
            return Ok(());
        };
        review.categories = categorize(&open.spans, &compared);
        review.emphasis = review
            .categories
            .iter()
            .map(|(id, c)| (*id, category_color(*c)))
            .collect();
        review.status = self.store.review_status(open.doc.id)?;
        Ok(())
    }

    fn reviewer(&mut self) -> anyhow::Result<i64> {
        match &self.annotator {
            Some((id, _)) => Ok(*id),
            None => {
                self.name_prompt.get_or_insert_with(String::new);
                anyhow::bail!("set your name before reviewing")
            }
        }
    }

    /// A label key in review mode: correct into gold, add to gold, or relabel a gold span.
    pub(super) fn review_tag(&mut self, label: &str) -> anyhow::Result<()> {
        let reviewer = self.reviewer()?;
        let (Some(review), Some(open)) = (&mut self.review, &mut self.open) else {
            return Ok(());
        };
        let history = self.histories.entry(open.doc.id).or_default();
        let text;
        if let Some(range) = open.selection {
            let span = match review.source {
                Some(source) => {
                    text = format!("corrected into gold as {label}");
                    self.store
                        .correct_into_gold(source, reviewer, range, label)?
                }
                None => {
                    text = format!("added to gold as {label}");
                    self.store
                        .add_gold_span(open.doc.id, reviewer, range, label)?
                }
            };
            history.record(Change::Restore { span: span.id });
            open.selection = None;
            open.selected_span = Some(span.id);
            review.source = None;
        } else if let Some(id) = open.selected_span {
            let Some(span) = open.spans.iter().find(|s| s.id == id) else {
                return Ok(());
            };
            if span.label == label && span.layer == review.gold {
                return Ok(());
            }
            if span.layer == review.gold {
                let change = Change::Relabel {
                    span: id,
                    from: span.label.clone(),
                    to: label.to_owned(),
                };
                self.store.apply(&change, reviewer)?;
                history.record(change);
                text = format!("gold span relabelled as {label}");
            } else {
                let corrected = self
                    .store
                    .correct_into_gold(id, reviewer, span.range, label)?;
                history.record(Change::Restore { span: corrected.id });
                open.selected_span = Some(corrected.id);
                text = format!("corrected into gold as {label}");
            }
        } else {
            return Ok(());
        }
        self.status = Some(Status { text, error: false });
        self.reload_spans()?;
        self.queue_advance()
    }

    /// A in review mode: accept the selected span into gold.
    pub(super) fn review_accept(&mut self) -> anyhow::Result<()> {
        let reviewer = self.reviewer()?;
        let (Some(review), Some(open)) = (&self.review, &mut self.open) else {
            return Ok(());
        };
        let Some(id) = open.selected_span else {
            return Ok(());
        };
        if open
            .spans
            .iter()
            .any(|s| s.id == id && s.layer == review.gold)
        {
            self.status = Some(Status {
                text: "this span is already gold".into(),
                error: false,
            });
            return Ok(());
        }
        let text = match self.store.accept_into_gold(id, reviewer)? {
            Copied::New(span) => {
                self.histories
                    .entry(open.doc.id)
                    .or_default()
                    .record(Change::Restore { span: span.id });
                open.selected_span = Some(span.id);
                format!(
                    "accepted {} «{}» into gold",
                    span.label,
                    short_title(&span.text, 30)
                )
            }
            Copied::AlreadyThere(_) => "gold already has this span".into(),
        };
        self.status = Some(Status { text, error: false });
        self.reload_spans()?;
        self.queue_advance()
    }

    /// Shift+A: accept every span all compared layers agree on.
    pub(super) fn accept_agreed(&mut self) -> anyhow::Result<()> {
        let reviewer = self.reviewer()?;
        let compared = self.compared_layers();
        let Some(open) = &self.open else {
            return Ok(());
        };
        if compared.len() < 2 {
            anyhow::bail!("show at least two layers to compare before accepting agreed spans");
        }
        let doc = open.doc.id;
        let added = self.store.accept_agreed(doc, &compared, reviewer)?;
        let history = self.histories.entry(doc).or_default();
        for span in &added {
            history.record(Change::Restore { span: span.id });
        }
        self.status = Some(Status {
            text: format!("accepted {} agreed spans into gold", added.len()),
            error: false,
        });
        self.reload_spans()
    }

    pub(super) fn set_review_status(&mut self, status: ReviewStatus) -> anyhow::Result<()> {
        let reviewer = self.reviewer()?;
        if let Some(open) = &self.open {
            self.store
                .set_review_status(open.doc.id, status, reviewer)?;
        }
        self.refresh_review()?;
        if status == ReviewStatus::Adjudicated
            && self.review.as_ref().is_some_and(|r| r.ready_queue)
        {
            return self.open_next_ready();
        }
        Ok(())
    }

    /// Open the queue of `layer`'s undecided spans at its lowest score.
    pub(super) fn open_queue(&mut self, layer: LayerId) -> anyhow::Result<()> {
        if self.review.is_none() {
            self.shown_layers.insert(layer);
            self.toggle_review()?;
        }
        self.shown_layers.insert(layer);
        if let Some(review) = &mut self.review {
            review.queue = Some(layer);
        }
        self.queue_advance()
    }

    /// In queue mode, select the next undecided span (opening its document).
    pub(super) fn queue_advance(&mut self) -> anyhow::Result<()> {
        let Some(layer) = self.review.as_ref().and_then(|r| r.queue) else {
            return Ok(());
        };
        let reviewer = self.reviewer()?;
        let next = self.store.review_queue(layer, reviewer, 1)?;
        let Some((span, _)) = next.into_iter().next() else {
            if let Some(review) = &mut self.review {
                review.queue = None;
            }
            self.status = Some(Status {
                text: "the queue is empty: every span of this layer is decided".into(),
                error: false,
            });
            return Ok(());
        };
        if self.current_document() != Some(span.doc) {
            self.open_document(span.doc)?;
        }
        self.run(Command::SelectSpan {
            id: span.id,
            scroll: true,
        });
        Ok(())
    }

    /// The Review menu.
    pub(super) fn review_menu(&mut self, ui: &mut egui::Ui) {
        let on = self.review.is_some();
        if ui
            .button(if on {
                "Leave review mode"
            } else {
                "Review mode"
            })
            .clicked()
        {
            self.commands.push(Command::ToggleReview);
        }
        ui.add_enabled_ui(on, |ui| {
            if ui.button("Accept all agreed spans  (Shift+A)").clicked() {
                self.commands.push(Command::AcceptAgreed);
            }
            if ui.button("Mark document adjudicated").clicked() {
                self.commands
                    .push(Command::SetReviewStatus(ReviewStatus::Adjudicated));
            }
            if ui.button("Reopen document for review").clicked() {
                self.commands
                    .push(Command::SetReviewStatus(ReviewStatus::InReview));
            }
        });
        ui.separator();
        if ui.button("Next document ready for review").clicked() {
            self.commands.push(Command::NextReady);
        }
        if ui.button("Assign documents…").clicked() {
            self.assign.open = true;
        }
        ui.separator();
        if ui.button("Agreement…").clicked() {
            self.agreement.open = true;
        }
        if ui.button("Evaluate a layer…").clicked() {
            self.evaluation.open = true;
        }
        if ui.button("Progress…").clicked() {
            self.progress.open = true;
        }
        ui.separator();
        ui.label("Audit an extraction layer, lowest score first:");
        let imported: Vec<(LayerId, String)> = self
            .layers
            .iter()
            .filter(|l| l.kind == LayerKind::Imported)
            .map(|l| (l.id, l.name.clone()))
            .collect();
        if imported.is_empty() {
            ui.label(RichText::new("no imported layer in this project").weak());
        }
        for (id, name) in imported {
            if ui.button(format!("Queue: {name}")).clicked() {
                self.commands.push(Command::OpenQueue(id));
            }
        }
    }

    /// The side panel in review mode: status, legend and the differences.
    pub(super) fn review_panel(&mut self, ui: &mut egui::Ui) {
        let (Some(review), Some(open)) = (&self.review, &self.open) else {
            return;
        };
        ui.heading("Review");
        ui.label(format!(
            "document: {}",
            review.status.as_str().replace('_', " ")
        ));
        if let Some(queue) = review.queue {
            let name = self.layer_names.get(&queue).cloned().unwrap_or_default();
            ui.label(format!("queue: {name}, lowest score first"));
        }
        ui.horizontal_wrapped(|ui| {
            for (category, name) in [
                (Category::Agreed, "agreed"),
                (Category::LabelConflict, "label conflict"),
                (Category::PartialOverlap, "partial overlap"),
                (Category::OnlyIn { layers: 1 }, "one layer only"),
            ] {
                ui.label(
                    RichText::new(format!(" {name} "))
                        .small()
                        .color(Color32::WHITE)
                        .background_color(category_color(category)),
                );
            }
        });
        let total = self.compared_layers().len();
        let mut rows: Vec<(Category, &crate::model::Span)> = open
            .spans
            .iter()
            .filter_map(|s| review.categories.get(&s.id).map(|c| (*c, s)))
            .filter(|(c, _)| *c != Category::Agreed)
            .collect();
        rows.sort_by_key(|(c, s)| (*c, s.range, s.id));
        let agreed = review
            .categories
            .values()
            .filter(|c| **c == Category::Agreed)
            .count();
        let gold_count = open.spans.iter().filter(|s| s.layer == review.gold).count();
        ui.label(format!(
            "{agreed} agreed spans · {} differences · {gold_count} in gold",
            rows.len()
        ));
        ui.separator();
        let text_color = ui.visuals().text_color();
        let selected = open.selected_span;
        let mut clicked = None;
        // Only the visible rows are drawn: a document may hold thousands.
        let row_height = LIST_FONT_SIZE * 1.45 + 8.0;
        let weak = ui.visuals().weak_text_color();
        egui::ScrollArea::vertical()
            .id_salt("review-differences")
            .auto_shrink([false, false])
            .show_rows(ui, row_height, rows.len(), |ui, visible| {
                for (category, span) in &rows[visible] {
                    let (category, span) = (*category, *span);
                    let response = ui
                        .allocate_ui(egui::Vec2::new(ui.available_width(), row_height), |ui| {
                            ui.horizontal(|ui| {
                                ui.label(
                                    RichText::new(" ")
                                        .small()
                                        .background_color(category_color(category)),
                                );
                                ui.label(
                                    RichText::new(format!(" {} ", span.label))
                                        .small()
                                        .color(Color32::WHITE)
                                        .background_color(super::label_color(
                                            &self.schema,
                                            &span.label,
                                        )),
                                );
                                // Layer (annotator) names may be Arabic.
                                let layer =
                                    self.layer_names.get(&span.layer).map_or("", String::as_str);
                                self.engine.label(ui, layer, 13.0, weak, Sense::hover());
                                self.engine.label(
                                    ui,
                                    &short_title(&span.text, 36),
                                    LIST_FONT_SIZE,
                                    text_color,
                                    Sense::hover(),
                                );
                            });
                        })
                        .response
                        .interact(Sense::click())
                        .on_hover_text(category.describe(total));
                    if selected == Some(span.id) {
                        ui.painter().rect_stroke(
                            response.rect,
                            3,
                            ui.visuals().selection.stroke,
                            egui::StrokeKind::Inside,
                        );
                    }
                    if response.clicked() {
                        clicked = Some(span.id);
                    }
                }
            });
        if let Some(id) = clicked {
            self.commands.push(Command::SelectSpan { id, scroll: true });
        }
    }
}
