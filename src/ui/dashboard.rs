//! The agreement and progress dashboards.
//!
//! Agreement, evaluation and progress read the whole project: each runs on a
//! [`Reader`] (a read-only connection on a thread of its own; inline for a
//! project in memory), one computation at a time, so the window stays
//! responsive and shows a spinner meanwhile. The result is a matrix of pairwise figures
//! (span F1 exact / overlap, Cohen's kappa), Krippendorff's alpha, and bars
//! per label. Progress shows documents done per annotator, spans per label
//! and work per day as plots; when the project has assignments, it begins
//! with the annotator's own assigned documents and each annotator's
//! assigned documents done, in progress and not started.

use std::collections::{BTreeSet, HashMap};

use egui::{Color32, RichText, Sense};
use std::ops::RangeInclusive;

use egui_plot::{Bar, BarChart, GridMark, Legend, Plot};

use super::text_engine::TextEngine;
use super::{App, LIST_FONT_SIZE};
use crate::model::AnnotatorId;
use crate::model::LayerId;
use crate::review::agreement::Agreement;
use crate::review::evaluate::{Evaluation, Matching};
use crate::store::{AssignmentProgress, Progress, Reader, Store};

/// A computation over the whole project on a [`Reader`], one at a time.
struct Background<J, T> {
    reader: Option<Reader<J, Result<T, String>>>,
    pending: bool,
    result: Option<Result<T, String>>,
}

impl<J, T> Default for Background<J, T> {
    fn default() -> Self {
        Self {
            reader: None,
            pending: false,
            result: None,
        }
    }
}

impl<J: Send + 'static, T: Send + 'static> Background<J, T> {
    /// Run `job` with `run` (the same function every time) and forget the
    /// previous result.
    fn start(
        &mut self,
        ctx: &egui::Context,
        store: &Store,
        run: fn(&Store, J) -> Result<T, String>,
        job: J,
    ) {
        let reader = self.reader.get_or_insert_with(|| {
            let ctx = ctx.clone();
            Reader::new(store, run, move || ctx.request_repaint())
        });
        reader.send(store, job);
        self.pending = true;
        self.result = None;
    }

    /// Take the result if it is ready; keep frames coming until it is.
    fn poll(&mut self, ctx: &egui::Context) {
        let Some(reader) = self.reader.as_mut().filter(|_| self.pending) else {
            return;
        };
        if let Some(result) = reader.try_recv() {
            self.result = Some(result);
            self.pending = false;
        } else if reader.take_lost() {
            self.result = Some(Err("the computation stopped unexpectedly".into()));
            self.pending = false;
        } else {
            ctx.request_repaint();
        }
    }
}

fn worded(error: crate::store::StoreError) -> String {
    format!("{:#}", anyhow::Error::from(error))
}

/// State of the agreement window.
#[derive(Default)]
pub(super) struct AgreementWindow {
    pub(super) open: bool,
    layers: BTreeSet<LayerId>,
    job: Background<Vec<LayerId>, Agreement>,
}

/// State of the progress window.
#[derive(Default)]
pub(super) struct ProgressWindow {
    pub(super) open: bool,
    job: Background<(), (Progress, Vec<AssignmentProgress>)>,
}

/// The progress window's computation: the project's figures and the
/// assigned documents per annotator.
fn read_progress(store: &Store, (): ()) -> Result<(Progress, Vec<AssignmentProgress>), String> {
    Ok((
        store.progress(30).map_err(worded)?,
        store.assignment_progress().map_err(worded)?,
    ))
}

fn fmt(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"))
}

impl App {
    fn start_agreement(&mut self, ctx: &egui::Context) {
        let layers: Vec<LayerId> = self.agreement.layers.iter().copied().collect();
        self.agreement.job.start(
            ctx,
            &self.store,
            |store, layers| store.agreement(&layers).map_err(worded),
            layers,
        );
    }

    pub(super) fn agreement_window(&mut self, ctx: &egui::Context) {
        if !self.agreement.open {
            return;
        }
        self.agreement.job.poll(ctx);
        let mut open = true;
        let mut compute = false;
        let text_color = ctx.global_style().visuals.text_color();
        egui::Window::new("Agreement")
            .open(&mut open)
            .default_size([620.0, 560.0])
            .show(ctx, |ui| {
                ui.label("Layers to compare (documents where any of them has a span):");
                ui.horizontal_wrapped(|ui| {
                    for layer in &self.layers {
                        let mut on = self.agreement.layers.contains(&layer.id);
                        let checkbox = ui.add(egui::Checkbox::without_text(&mut on));
                        checkbox.widget_info(|| {
                            egui::WidgetInfo::selected(
                                egui::Role::CheckBox,
                                true,
                                on,
                                format!("compare layer {}", layer.name),
                            )
                        });
                        if checkbox.changed() {
                            if on {
                                self.agreement.layers.insert(layer.id);
                            } else {
                                self.agreement.layers.remove(&layer.id);
                            }
                        }
                        self.engine.label(
                            ui,
                            &layer.name,
                            LIST_FONT_SIZE,
                            text_color,
                            Sense::hover(),
                        );
                        ui.add_space(8.0);
                    }
                });
                let ready = self.agreement.layers.len() >= 2 && !self.agreement.job.pending;
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(ready, egui::Button::new("Compute"))
                        .clicked()
                    {
                        compute = true;
                    }
                    if self.agreement.job.pending {
                        ui.spinner();
                        ui.label("reading the project…");
                    }
                });
                ui.separator();
                match &self.agreement.job.result {
                    None => {}
                    Some(Err(error)) => {
                        let color = ui.visuals().error_fg_color;
                        self.engine.label(ui, error, 14.0, color, Sense::hover());
                    }
                    Some(Ok(result)) => {
                        agreement_result(ui, &mut self.engine, &self.layer_names, result);
                    }
                }
            });
        if compute {
            self.start_agreement(ctx);
        }
        self.agreement.open = open;
    }
}

fn agreement_result(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    layer_names: &HashMap<LayerId, String>,
    result: &Agreement,
) {
    {
        ui.label(format!(
            "{} documents, {} tokens · Krippendorff's alpha (nominal, tokens): {}",
            result.documents,
            result.tokens,
            fmt(result.alpha)
        ));
        let name = |id: LayerId| layer_names.get(&id).cloned().unwrap_or_default();
        let text_color = ui.visuals().text_color();
        egui::Grid::new("agreement-pairs")
            .striped(true)
            .show(ui, |ui| {
                for h in [
                    "layer A",
                    "layer B",
                    "span F1 exact",
                    "span F1 overlap",
                    "Cohen's κ",
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for pair in &result.pairs {
                    // Layer names may be Arabic: shaped by the text engine.
                    engine.label(ui, &name(pair.a), 14.0, text_color, Sense::hover());
                    engine.label(ui, &name(pair.b), 14.0, text_color, Sense::hover());
                    ui.label(fmt(pair.f1(Matching::Exact)));
                    ui.label(fmt(pair.f1(Matching::Overlap)));
                    ui.label(fmt(pair.kappa));
                    ui.end_row();
                }
            });
        ui.separator();
        ui.label("Per label: Krippendorff's alpha, and Cohen's κ of the first pair");
        let labels: Vec<&String> = result.alpha_per_label.keys().collect();
        let alpha: Vec<Bar> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Bar::new(i as f64 - 0.2, result.alpha_per_label[*l].unwrap_or(0.0))
                    .width(0.38)
                    .name(format!("{l} alpha"))
            })
            .collect();
        let kappa: Vec<Bar> = match result.pairs.first() {
            Some(pair) => labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    Bar::new(
                        i as f64 + 0.2,
                        pair.kappa_per_label
                            .get(*l)
                            .copied()
                            .flatten()
                            .unwrap_or(0.0),
                    )
                    .width(0.38)
                    .name(format!("{l} kappa"))
                })
                .collect(),
            None => Vec::new(),
        };
        let names: Vec<String> = labels.iter().map(|l| (*l).clone()).collect();
        Plot::new("agreement-per-label")
            .height(220.0)
            .legend(Legend::default())
            .include_y(0.0)
            .include_y(1.0)
            .allow_zoom(false)
            .allow_drag(false)
            .x_axis_formatter(index_axis(names))
            .show(ui, |plot| {
                plot.bar_chart(
                    BarChart::new("alpha", alpha).color(Color32::from_rgb(0x3b, 0x82, 0xc4)),
                );
                plot.bar_chart(
                    BarChart::new("kappa", kappa).color(Color32::from_rgb(0xd9, 0x9a, 0x1e)),
                );
            });
    }
}

impl App {
    pub(super) fn progress_window(&mut self, ctx: &egui::Context) {
        if !self.progress.open {
            return;
        }
        if self.progress.job.result.is_none() && !self.progress.job.pending {
            self.progress.job.start(ctx, &self.store, read_progress, ());
        }
        self.progress.job.poll(ctx);
        let mut open = true;
        let mut refresh = false;
        egui::Window::new("Progress")
            .open(&mut open)
            .default_size([620.0, 600.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let idle = !self.progress.job.pending;
                    if ui.add_enabled(idle, egui::Button::new("Refresh")).clicked() {
                        refresh = true;
                    }
                    if !idle {
                        ui.spinner();
                        ui.label("reading the project…");
                    }
                });
                match &self.progress.job.result {
                    Some(Ok((p, assigned))) => {
                        let me = self.annotator.as_ref().map(|(id, _)| *id);
                        if !assigned.is_empty() {
                            assignment_plots(ui, &mut self.engine, assigned, me);
                            ui.separator();
                        }
                        progress_plots(ui, &mut self.engine, p);
                    }
                    Some(Err(error)) => {
                        let color = ui.visuals().error_fg_color;
                        self.engine.label(ui, error, 14.0, color, Sense::hover());
                    }
                    None => {}
                }
            });
        if refresh {
            self.progress.job.start(ctx, &self.store, read_progress, ());
        }
        self.progress.open = open;
    }
}

/// The annotator's own assigned documents, then done / in progress / not
/// started of each annotator's assigned documents (names in a legend below,
/// shaped by the text engine).
fn assignment_plots(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    assigned: &[AssignmentProgress],
    me: Option<AnnotatorId>,
) {
    let text_color = ui.visuals().text_color();
    match assigned.iter().find(|a| Some(a.id) == me) {
        Some(mine) => ui.label(
            RichText::new(format!(
                "Your assigned documents: {} of {} done, {} in progress",
                mine.done, mine.assigned, mine.in_progress
            ))
            .strong(),
        ),
        None => ui.label("No documents are assigned to you."),
    };
    ui.label(RichText::new("Assigned documents per annotator").strong());
    let bars = |offset: f64, value: fn(&AssignmentProgress) -> usize| -> Vec<Bar> {
        assigned
            .iter()
            .enumerate()
            .map(|(i, a)| Bar::new(i as f64 + offset, value(a) as f64).width(0.26))
            .collect()
    };
    let done = bars(-0.27, |a| a.done);
    let doing = bars(0.0, |a| a.in_progress);
    let todo = bars(0.27, |a| a.assigned.saturating_sub(a.done + a.in_progress));
    let numbers: Vec<String> = (1..=assigned.len()).map(|i| i.to_string()).collect();
    Plot::new("progress-assigned")
        .height(150.0)
        .x_axis_formatter(index_axis(numbers))
        .legend(Legend::default())
        .include_y(0.0)
        .allow_zoom(false)
        .allow_drag(false)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("done", done).color(Color32::from_rgb(0x2e, 0xa0, 0x43)));
            plot.bar_chart(
                BarChart::new("in progress", doing).color(Color32::from_rgb(0xe0, 0x8a, 0x10)),
            );
            plot.bar_chart(
                BarChart::new("not started", todo).color(Color32::from_rgb(0x80, 0x80, 0x80)),
            );
        });
    ui.horizontal_wrapped(|ui| {
        for (i, a) in assigned.iter().enumerate() {
            ui.label(RichText::new(format!("annotator {}:", i + 1)).small());
            engine.label(ui, &a.name, 14.0, text_color, Sense::hover());
            ui.label(
                RichText::new(format!(
                    "{} of {} assigned done, {} in progress",
                    a.done, a.assigned, a.in_progress
                ))
                .small(),
            );
            ui.add_space(10.0);
        }
    });
}

/// Annotator and layer names go on plot axes as indexes with a legend table
/// below, since plot text is drawn by egui (no bidi).
fn progress_plots(ui: &mut egui::Ui, engine: &mut TextEngine, p: &Progress) {
    let text_color = ui.visuals().text_color();
    ui.label(format!(
        "{} in the project",
        super::browser::documents_text(p.documents)
    ));
    ui.label(RichText::new("Documents done / in progress per annotator").strong());
    let done: Vec<Bar> = p
        .per_annotator
        .iter()
        .enumerate()
        .map(|(i, (_, d, _))| Bar::new(i as f64 - 0.2, *d as f64).width(0.38))
        .collect();
    let doing: Vec<Bar> = p
        .per_annotator
        .iter()
        .enumerate()
        .map(|(i, (_, _, d))| Bar::new(i as f64 + 0.2, *d as f64).width(0.38))
        .collect();
    let numbers: Vec<String> = (1..=p.per_annotator.len()).map(|i| i.to_string()).collect();
    Plot::new("progress-annotators")
        .height(150.0)
        .x_axis_formatter(index_axis(numbers))
        .legend(Legend::default())
        .include_y(0.0)
        .allow_zoom(false)
        .allow_drag(false)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("done", done).color(Color32::from_rgb(0x2e, 0xa0, 0x43)));
            plot.bar_chart(
                BarChart::new("in progress", doing).color(Color32::from_rgb(0xe0, 0x8a, 0x10)),
            );
        });
    ui.horizontal_wrapped(|ui| {
        for (i, (name, done, doing)) in p.per_annotator.iter().enumerate() {
            ui.label(RichText::new(format!("annotator {}:", i + 1)).small());
            engine.label(ui, name, 14.0, text_color, Sense::hover());
            ui.label(RichText::new(format!("{done} done, {doing} in progress")).small());
            ui.add_space(10.0);
        }
    });
    ui.label(RichText::new("Spans per label and layer").strong());
    let mut labels: Vec<&str> = p.spans.iter().map(|(_, l, _)| l.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    let mut layers: Vec<&str> = p.spans.iter().map(|(l, _, _)| l.as_str()).collect();
    layers.dedup();
    let width = 0.8 / layers.len().max(1) as f64;
    let charts: Vec<BarChart> = layers
        .iter()
        .enumerate()
        .map(|(k, layer)| {
            let bars = p
                .spans
                .iter()
                .filter(|(l, _, _)| l == layer)
                .filter_map(|(_, label, n)| {
                    let i = labels.iter().position(|x| x == label)?;
                    Some(
                        Bar::new(i as f64 - 0.4 + width * (k as f64 + 0.5), *n as f64).width(width),
                    )
                })
                .collect();
            BarChart::new(format!("layer {}", k + 1), bars)
        })
        .collect();
    let names: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
    Plot::new("progress-labels")
        .height(170.0)
        .legend(Legend::default())
        .include_y(0.0)
        .allow_zoom(false)
        .allow_drag(false)
        .x_axis_formatter(index_axis(names))
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
        });
    names_legend(ui, engine, text_color, layers.iter().copied(), "layer");
    ui.label(RichText::new("Work per day (edits), last 30 days with work").strong());
    let mut days: Vec<&str> = p.per_day.iter().map(|(d, _, _)| d.as_str()).collect();
    days.dedup();
    let totals: Vec<Bar> = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let n: usize = p
                .per_day
                .iter()
                .filter(|(d, _, _)| d == day)
                .map(|(_, _, n)| n)
                .sum();
            Bar::new(i as f64, n as f64).width(0.7).name(*day)
        })
        .collect();
    let day_names: Vec<String> = days.iter().map(|d| (*d).to_owned()).collect();
    Plot::new("progress-days")
        .height(150.0)
        .include_y(0.0)
        .allow_zoom(false)
        .allow_drag(false)
        .x_axis_formatter(index_axis(day_names))
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("edits", totals).color(Color32::from_rgb(0x3b, 0x82, 0xc4)),
            );
        });
}

/// "annotator 1 = …" lines under a plot: names may be Arabic, so they are
/// shaped here rather than on the plot's axis.
fn names_legend<'a>(
    ui: &mut egui::Ui,
    engine: &mut TextEngine,
    color: Color32,
    names: impl Iterator<Item = &'a str>,
    what: &str,
) {
    ui.horizontal_wrapped(|ui| {
        for (i, name) in names.enumerate() {
            ui.label(RichText::new(format!("{what} {}:", i + 1)).small());
            engine.label(ui, name, 14.0, color, Sense::hover());
            ui.add_space(10.0);
        }
    });
}

/// Axis text for bars at x = 0, 1, 2, …: the name of each bar, nothing between.
fn index_axis(names: Vec<String>) -> impl Fn(GridMark, &RangeInclusive<f64>) -> String {
    move |mark, _| {
        let i = mark.value.round();
        if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
            names.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// State of the evaluation window: a layer against a reference layer.
#[derive(Default)]
pub(super) struct EvaluationWindow {
    pub(super) open: bool,
    layer: Option<LayerId>,
    reference: Option<LayerId>,
    job: Background<(LayerId, LayerId), [Evaluation; 2]>,
}

impl App {
    fn start_evaluation(&mut self, ctx: &egui::Context, layer: LayerId, reference: LayerId) {
        self.evaluation.job.start(
            ctx,
            &self.store,
            |store, (layer, reference)| store.evaluate(layer, reference).map_err(worded),
            (layer, reference),
        );
    }

    /// Review ▸ Evaluate a layer…: precision, recall and F1 per label against
    /// a reference (gold by default), and the misses and false alarms.
    pub(super) fn evaluation_window(&mut self, ctx: &egui::Context) {
        if !self.evaluation.open {
            return;
        }
        self.evaluation.job.poll(ctx);
        if self.evaluation.reference.is_none() {
            self.evaluation.reference = self
                .layers
                .iter()
                .find(|l| l.kind == crate::store::LayerKind::Gold)
                .map(|l| l.id);
        }
        let mut open = true;
        let mut compute = None;
        egui::Window::new("Evaluation")
            .open(&mut open)
            .default_size([640.0, 560.0])
            .show(ctx, |ui| {
                let name = |id: Option<LayerId>| {
                    id.and_then(|id| self.layer_names.get(&id).cloned())
                        .unwrap_or_else(|| "choose…".into())
                };
                ui.horizontal(|ui| {
                    for (which, title) in [(0, "evaluate"), (1, "against")] {
                        let title_label = ui.label(title);
                        let current = if which == 0 {
                            self.evaluation.layer
                        } else {
                            self.evaluation.reference
                        };
                        // Layer names may be Arabic: the closed box shows a
                        // number, the list shapes names with the text engine.
                        let shown = match current {
                            Some(id) if name(Some(id)).is_ascii() => name(Some(id)),
                            Some(id) => format!("layer {id}"),
                            None => "choose…".into(),
                        };
                        let color = ui.visuals().text_color();
                        egui::ComboBox::from_id_salt(("evaluation-layer", which))
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                for layer in &self.layers {
                                    let picked = ui
                                        .horizontal(|ui| {
                                            let r = ui.selectable_label(
                                                current == Some(layer.id),
                                                format!("{}", layer.id),
                                            );
                                            self.engine.label(
                                                ui,
                                                &layer.name,
                                                14.0,
                                                color,
                                                Sense::hover(),
                                            );
                                            r
                                        })
                                        .inner;
                                    if picked.clicked() {
                                        if which == 0 {
                                            self.evaluation.layer = Some(layer.id);
                                        } else {
                                            self.evaluation.reference = Some(layer.id);
                                        }
                                    }
                                }
                            })
                            .response
                            .labelled_by(title_label.id);
                    }
                    let ready = !self.evaluation.job.pending
                        && self.evaluation.layer.is_some()
                        && self.evaluation.reference.is_some()
                        && self.evaluation.layer != self.evaluation.reference;
                    if ui
                        .add_enabled(ready, egui::Button::new("Evaluate"))
                        .clicked()
                    {
                        compute = self.evaluation.layer.zip(self.evaluation.reference);
                    }
                    if self.evaluation.job.pending {
                        ui.spinner();
                    }
                });
                ui.separator();
                match &self.evaluation.job.result {
                    None => {}
                    Some(Err(error)) => {
                        let color = ui.visuals().error_fg_color;
                        self.engine.label(ui, error, 14.0, color, Sense::hover());
                    }
                    Some(Ok(results)) => evaluation_result(ui, &mut self.engine, results),
                }
            });
        if let Some((layer, reference)) = compute {
            self.start_evaluation(ctx, layer, reference);
        }
        self.evaluation.open = open;
    }
}

fn evaluation_result(ui: &mut egui::Ui, engine: &mut TextEngine, results: &[Evaluation; 2]) {
    egui::Grid::new("evaluation-table")
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "matching",
                "label",
                "tp",
                "fp",
                "fn",
                "precision",
                "recall",
                "F1",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for e in results {
                for (label, c) in e.per_label.iter().chain([(&"ALL".to_owned(), &e.overall)]) {
                    ui.label(e.matching.as_str());
                    ui.label(label);
                    ui.label(c.tp.to_string());
                    ui.label(c.fp.to_string());
                    ui.label(c.fn_.to_string());
                    ui.label(fmt(c.precision()));
                    ui.label(fmt(c.recall()));
                    ui.label(fmt(c.f1()));
                    ui.end_row();
                }
            }
        });
    ui.separator();
    let exact = &results[0];
    ui.label(format!(
        "Exact matching: {} misses, {} false alarms (first 200 of each)",
        exact.misses.len(),
        exact.false_alarms.len()
    ));
    let color = ui.visuals().text_color();
    egui::ScrollArea::vertical()
        .id_salt("evaluation-errors")
        .max_height(260.0)
        .show(ui, |ui| {
            for (kind, spans) in [
                ("miss", &exact.misses),
                ("false alarm", &exact.false_alarms),
            ] {
                for span in spans.iter().take(200) {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(kind).small().weak());
                        ui.label(
                            RichText::new(format!(
                                "doc {} {}–{} {}",
                                span.doc,
                                span.range.start(),
                                span.range.end(),
                                span.label
                            ))
                            .small(),
                        );
                        engine.label(ui, &span.text, 14.0, color, Sense::hover());
                    });
                }
            }
        });
}
