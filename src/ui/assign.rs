//! Assignments in the app: the Assign dialog for the lead (Review ▸ Assign
//! documents…), "assigned to me" as the annotator's default list and N, and
//! the walk through documents ready for review.
//!
//! The dialog only gathers a plan ([`AssignPlan`]: annotators, how many per
//! document, a seed, optionally the list's filters); [`Command::Assign`]
//! carries it to [`App::run`], which calls [`crate::store::Store::assign`].
//! Annotator names may be Arabic, so they are drawn by the text engine and
//! typed into a [`TextInput`], never into egui widgets.

use std::collections::BTreeSet;

use egui::{RichText, Sense};

use super::text_input::TextInput;
use super::{App, Command, LIST_FONT_SIZE, Status};
use crate::model::AnnotatorId;
use crate::store::{AssignPlan, DocQuery, LayerKind, Store};

/// State of the Assign dialog.
pub(super) struct AssignDialog {
    pub(super) open: bool,
    /// Annotators of the project ticked.
    chosen: BTreeSet<AnnotatorId>,
    /// Names to add to the project with the assignment, ticked.
    new_names: Vec<String>,
    /// The name being typed.
    typed: String,
    per_document: usize,
    seed: u64,
    /// Only the documents the list's filters keep (status, review, label, layer).
    use_filters: bool,
}

impl Default for AssignDialog {
    fn default() -> Self {
        Self {
            open: false,
            chosen: BTreeSet::new(),
            new_names: Vec::new(),
            typed: String::new(),
            per_document: 1,
            seed: 0,
            use_filters: false,
        }
    }
}

impl App {
    /// The Assign dialog, while it is open.
    pub(super) fn assign_window(&mut self, ctx: &egui::Context) {
        if !self.assign.open {
            return;
        }
        let annotators = match self.store.annotators() {
            Ok(annotators) => annotators,
            Err(error) => {
                self.errors
                    .push(format!("{:#}", anyhow::Error::from(error)));
                self.assign.open = false;
                return;
            }
        };
        let mut open = true;
        let mut submit = None;
        let text_color = ctx.global_style().visuals.text_color();
        let weak = ctx.global_style().visuals.weak_text_color();
        egui::Window::new("Assign documents")
            .open(&mut open)
            .collapsible(false)
            .default_width(420.0)
            .show(ctx, |ui| {
                let dialog = &mut self.assign;
                ui.label("Who labels the documents:");
                for annotator in &annotators {
                    ui.horizontal(|ui| {
                        let mut on = dialog.chosen.contains(&annotator.id);
                        let checkbox = ui.add(egui::Checkbox::without_text(&mut on));
                        checkbox.widget_info(|| {
                            egui::WidgetInfo::selected(
                                egui::Role::CheckBox,
                                true,
                                on,
                                format!("assign to {}", annotator.name),
                            )
                        });
                        if checkbox.changed() {
                            if on {
                                dialog.chosen.insert(annotator.id);
                            } else {
                                dialog.chosen.remove(&annotator.id);
                            }
                        }
                        self.engine.label(
                            ui,
                            &annotator.name,
                            LIST_FONT_SIZE,
                            text_color,
                            Sense::hover(),
                        );
                    });
                }
                let mut dropped = None;
                for (i, name) in dialog.new_names.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let mut on = true;
                        let checkbox = ui.add(egui::Checkbox::without_text(&mut on));
                        checkbox.widget_info(|| {
                            egui::WidgetInfo::selected(
                                egui::Role::CheckBox,
                                true,
                                on,
                                format!("assign to {name}"),
                            )
                        });
                        if checkbox.changed() {
                            dropped = Some(i);
                        }
                        self.engine
                            .label(ui, name, LIST_FONT_SIZE, text_color, Sense::hover());
                        ui.label(RichText::new("new").small().color(weak));
                    });
                }
                if let Some(i) = dropped {
                    dialog.new_names.remove(i);
                }
                ui.horizontal(|ui| {
                    let label = ui.label("Add a name");
                    let edit = TextInput::new("assign-new-name")
                        .hint("another annotator")
                        .width(200.0)
                        .show(ui, &mut self.engine, &mut dialog.typed)
                        .labelled_by(label.id);
                    let name = dialog.typed.trim().to_owned();
                    let add = ui.add_enabled(!name.is_empty(), egui::Button::new("Add"));
                    let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (add.clicked() || entered) && !name.is_empty() {
                        match annotators.iter().find(|a| a.name == name) {
                            Some(known) => {
                                dialog.chosen.insert(known.id);
                            }
                            None if !dialog.new_names.contains(&name) => {
                                dialog.new_names.push(name);
                            }
                            None => {}
                        }
                        dialog.typed.clear();
                    }
                });
                ui.separator();
                let count = dialog.chosen.len() + dialog.new_names.len();
                ui.add(
                    egui::DragValue::new(&mut dialog.per_document)
                        .range(1..=count.max(1))
                        .prefix("annotators per document: "),
                );
                ui.add(egui::DragValue::new(&mut dialog.seed).prefix("seed: "))
                    .on_hover_text(
                        "The same documents, annotators and seed give the same assignments on any machine",
                    );
                ui.checkbox(
                    &mut dialog.use_filters,
                    "only the documents the list's filters keep",
                );
                ui.label(
                    RichText::new(
                        "Documents are spread evenly, counting what each annotator already has; \
                         documents that already have enough annotators are left alone.",
                    )
                    .small()
                    .color(weak),
                );
                ui.horizontal(|ui| {
                    let ready = count > 0 && dialog.per_document <= count;
                    if ui.add_enabled(ready, egui::Button::new("Assign")).clicked() {
                        let mut names: Vec<String> = annotators
                            .iter()
                            .filter(|a| dialog.chosen.contains(&a.id))
                            .map(|a| a.name.clone())
                            .collect();
                        names.extend(dialog.new_names.iter().cloned());
                        let filter = if dialog.use_filters {
                            let list = self.browser.query();
                            DocQuery {
                                annotator: list.annotator,
                                status: list.status,
                                label: list.label.clone(),
                                layer: list.layer,
                                review: list.review,
                                ..DocQuery::default()
                            }
                        } else {
                            DocQuery::default()
                        };
                        submit = Some(AssignPlan {
                            annotators: names,
                            per_document: dialog.per_document,
                            seed: dialog.seed,
                            filter,
                        });
                    }
                    if count == 0 {
                        ui.label(RichText::new("tick at least one annotator").small().color(weak));
                    }
                });
            });
        if let Some(plan) = submit {
            self.commands.push(Command::Assign(plan));
            self.assign.new_names.clear();
            open = false;
        }
        self.assign.open = open;
    }

    /// Carry out an assignment plan (see [`Command::Assign`]).
    /// Assign documents by `plan`: on a thread of its own with its own
    /// connection when the project is a file (a plan over 100,000 documents
    /// writes for a second or two, in short transactions, and the window
    /// goes on meanwhile), inline for an in-memory project.
    pub(super) fn run_assign(&mut self, plan: &AssignPlan) -> anyhow::Result<()> {
        if self.assign_job.is_some() {
            anyhow::bail!("documents are being assigned; wait for it to finish");
        }
        let actor = self.annotator.as_ref().map(|(id, _)| *id);
        match self.store.path().map(std::path::Path::to_path_buf) {
            Some(path) => {
                let (send, receive) = std::sync::mpsc::channel();
                let plan = plan.clone();
                std::thread::Builder::new()
                    .name("assign".into())
                    .spawn(move || {
                        let outcome = Store::open(&path)
                            .and_then(|mut store| store.assign(&plan, actor))
                            .map_err(|e| format!("{:#}", anyhow::Error::from(e)));
                        // The app may be gone; then nobody waits for the result.
                        let _ = send.send(outcome);
                    })?;
                self.assign_job = Some(receive);
                self.status = Some(Status {
                    text: "assigning documents…".to_owned(),
                    error: false,
                });
                Ok(())
            }
            None => {
                let report = self.store.assign(plan, actor)?;
                self.finish_assign(&report)
            }
        }
    }

    /// Pick up the result of a running assignment, if it has finished.
    pub(super) fn poll_assign(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.assign_job else {
            return;
        };
        ctx.request_repaint_after(std::time::Duration::from_millis(100));
        let outcome = match job.try_recv() {
            Ok(outcome) => outcome,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Err("assigning stopped unexpectedly".to_owned())
            }
        };
        self.assign_job = None;
        let result = match outcome {
            Ok(report) => self.finish_assign(&report),
            Err(error) => Err(anyhow::anyhow!(error)),
        };
        if let Err(error) = result {
            let text = format!("{error:#}");
            self.status = Some(Status {
                text: text.clone(),
                error: true,
            });
            self.errors.push(text);
        }
        self.browser.changed();
    }

    /// Whether documents are being assigned in the background (for tests).
    pub fn assigning(&self) -> bool {
        self.assign_job.is_some()
    }

    fn finish_assign(&mut self, report: &crate::store::AssignReport) -> anyhow::Result<()> {
        let added: usize = report.per_annotator.iter().map(|a| a.added).sum();
        let each: Vec<String> = report
            .per_annotator
            .iter()
            .map(|a| format!("{} {}", a.name, a.added))
            .collect();
        self.status = Some(Status {
            text: format!(
                "{added} assignments added ({}); {} of {} documents already had enough annotators",
                each.join(", "),
                report.already_assigned,
                report.documents
            ),
            error: false,
        });
        self.refresh_layers();
        // An annotator who now has documents sees their own by default.
        if self.browser.query().assigned.is_none() && !self.browser.query().ready {
            self.show_assigned_by_default()?;
        }
        Ok(())
    }

    /// The list shows the documents assigned to the annotator when they have
    /// any, and every document otherwise.
    pub(super) fn show_assigned_by_default(&mut self) -> anyhow::Result<()> {
        let mine = match &self.annotator {
            Some((id, _)) if self.store.has_assignments_for(*id)? => Some(*id),
            _ => None,
        };
        self.browser.set_assigned(mine);
        Ok(())
    }

    /// The list N walks: the browser's, but only the annotator's own
    /// documents when they have assignments (and never only ready ones).
    pub(super) fn next_query(&self) -> anyhow::Result<DocQuery> {
        let mut query = self.browser.query().clone();
        query.ready = false;
        if let Some((id, _)) = &self.annotator
            && self.store.has_assignments_for(*id)?
        {
            query.assigned = Some(*id);
        }
        Ok(query)
    }

    /// Open the next document ready for review (every assignee marked it
    /// done) that is not adjudicated, in review mode, comparing the layers
    /// of its assignees. The walk starts at the first such document, then
    /// goes on after the open one.
    pub(super) fn open_next_ready(&mut self) -> anyhow::Result<()> {
        let current = self.current_document();
        let walking = self.review.as_ref().is_some_and(|r| r.ready_queue);
        let after = if walking { current } else { None };
        let Some(next) = self.store.next_ready_for_review(after)? else {
            if let Some(review) = &mut self.review {
                review.ready_queue = false;
            }
            self.status = Some(Status {
                text: "no document is ready for review: none has every assignee's done mark, or all such are adjudicated".into(),
                error: false,
            });
            return Ok(());
        };
        if Some(next) != current {
            self.open_document(next)?;
        }
        let assignees = self.store.assignments_of_document(next)?;
        self.refresh_layers();
        self.shown_layers = self
            .layers
            .iter()
            .filter(|l| {
                l.kind == LayerKind::Annotator
                    && l.annotator
                        .is_some_and(|a| assignees.iter().any(|(id, _)| *id == a))
            })
            .map(|l| l.id)
            .collect();
        if self.review.is_none() {
            self.toggle_review()?;
        } else {
            self.reload_spans()?;
        }
        if let Some(review) = &mut self.review {
            review.ready_queue = true;
        }
        self.status = Some(Status {
            text: format!("document {next} is ready for review: every assignee marked it done"),
            error: false,
        });
        Ok(())
    }
}
