//! Suggestions in the app: scheduling the recognisers ([`crate::suggest`])
//! off the window's thread, showing what they found beside the annotator's
//! spans, and turning the keys into accept, reject and correct.
//!
//! When a document opens, its suggestions are computed on a background
//! thread (never in a frame), with the recognisers the project has turned
//! on; the project's string matcher is learnt there too, through a
//! read-only connection. They are joined by the spans of the project's
//! stored suggestions layer ([`SUGGESTIONS_LAYER`], filled by `tawsim
//! suggest`) for the document. What the annotator rejected in this
//! document, and what their own layer already has (the same range, or an
//! overlapping span of the same label), is not shown.
//!
//! Keys (one command table, [`super::ACTIONS`]): `S` / `Shift+S` select the
//! next / previous suggestion (a click on one selects it too); with a
//! suggestion selected, `A` accepts it into my layer (origin `suggested`,
//! recogniser and score kept), `R` rejects it (never suggested to me in
//! this document again) and a label key accepts it with that label. Outside
//! review mode, `Shift+A` accepts every shown suggestion whose score is at
//! least the project's threshold (in review mode it keeps accepting the
//! agreed spans into gold; suggestions are not shown in review mode, which
//! edits gold). Each accepted span is one undo step, as for
//! accepting agreed spans; a rejection is one too. Everything is written
//! by [`crate::store`] with its audit row.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use egui::{Color32, RichText, Sense};

use super::{App, Command, LIST_FONT_SIZE, Status};
use crate::model::{Change, CharRange, DocId};
use crate::store::Store;
use crate::store::suggest::{DEFAULT_THRESHOLD, SUGGESTIONS_LAYER};
use crate::suggest::project::Matcher;
use crate::suggest::{Recogniser, Suggestion, suggest};

/// Grey of suggestions in the article and the side panel.
pub const SUGGESTION_COLOR: Color32 = Color32::from_rgb(128, 128, 128);

/// Something the user asked of suggestions.
#[derive(Debug, Clone, PartialEq)]
pub enum SuggestCommand {
    /// Select the shown suggestion with this range and label.
    Select { range: CharRange, label: String },
    /// Select the next (`true`) or previous shown suggestion.
    Step(bool),
    /// Accept the selected suggestion, with this label instead of its own
    /// when given (a correction).
    Accept(Option<String>),
    /// Reject the selected suggestion.
    Reject,
    /// Accept every shown suggestion scored at least the threshold.
    AcceptAbove,
    /// Turn a recogniser on or off for the project.
    SetRecogniser(Recogniser, bool),
    /// Set the project's accept-all threshold.
    SetThreshold(f64),
    /// Show or hide suggestions (this window only).
    SetShown(bool),
}

/// What a background computation hands back.
struct Computed {
    doc: DocId,
    found: Vec<Suggestion>,
    matcher: Option<Arc<Matcher>>,
    error: Option<String>,
}

/// The suggestions of the open document and how they are shown.
pub struct SuggestState {
    shown: bool,
    /// The document the suggestions are for (computed or being computed).
    doc: Option<DocId>,
    job: Option<Receiver<Computed>>,
    /// Stored suggestions of the document (the suggestions layer).
    stored: Vec<Suggestion>,
    /// Computed and stored suggestions, before filtering.
    all: Vec<Suggestion>,
    /// What is shown: `all` without rejected ones and those my layer has.
    visible: Vec<Suggestion>,
    revision: u64,
    selected: Option<(CharRange, String)>,
    /// The project's settings, read when the project opens and when changed here.
    enabled: Option<Vec<Recogniser>>,
    threshold: f64,
    /// The project's string matcher, learnt once per window (and again
    /// after accepts and rejects, for the next document).
    matcher: Option<Arc<Matcher>>,
    matcher_stale: bool,
    /// Review mode as last seen: suggestions are hidden in it.
    reviewing: bool,
}

impl Default for SuggestState {
    fn default() -> Self {
        SuggestState {
            shown: true,
            doc: None,
            job: None,
            stored: Vec::new(),
            all: Vec::new(),
            visible: Vec::new(),
            revision: 0,
            selected: None,
            enabled: None,
            threshold: DEFAULT_THRESHOLD,
            matcher: None,
            matcher_stale: true,
            reviewing: false,
        }
    }
}

impl SuggestState {
    /// The suggestions shown in the open document, in text order.
    pub fn visible(&self) -> &[Suggestion] {
        &self.visible
    }

    /// Bumped whenever [`SuggestState::visible`] changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Index into [`SuggestState::visible`] of the selected suggestion.
    pub fn selected_index(&self) -> Option<usize> {
        let (range, label) = self.selected.as_ref()?;
        self.visible
            .iter()
            .position(|s| s.range == *range && s.label == *label)
    }

    pub fn selected(&self) -> Option<&Suggestion> {
        self.selected_index().map(|i| &self.visible[i])
    }

    /// True while suggestions of the open document are being computed.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    pub fn deselect(&mut self) {
        self.selected = None;
    }
}

/// Compute the suggestions of `text` with `enabled`, learning the
/// project's matcher from the project at `path` when it is needed and not
/// given.
fn compute(
    doc: DocId,
    text: &str,
    enabled: &[Recogniser],
    matcher: Option<Arc<Matcher>>,
    path: Option<std::path::PathBuf>,
) -> Computed {
    let mut error = None;
    let matcher = match matcher {
        Some(m) => Some(m),
        None if enabled.contains(&Recogniser::Project) => {
            match path.map(|p| Store::open_reader(&p).and_then(|s| s.project_matcher())) {
                Some(Ok(m)) => Some(Arc::new(m)),
                Some(Err(e)) => {
                    error = Some(format!(
                        "the project recogniser is off for now: {:#}",
                        anyhow::Error::from(e)
                    ));
                    None
                }
                // A project in memory (tests): nothing learnt yet.
                None => Some(Arc::new(Matcher::new())),
            }
        }
        None => None,
    };
    let found = suggest(text, enabled, matcher.as_deref());
    Computed {
        doc,
        found,
        matcher,
        error,
    }
}

impl App {
    /// The suggestions shown in the open document.
    pub fn suggestions(&self) -> &[Suggestion] {
        self.suggest.visible()
    }

    /// The selected suggestion, if any.
    pub fn selected_suggestion(&self) -> Option<&Suggestion> {
        self.suggest.selected()
    }

    /// True while the open document's suggestions are being computed.
    pub fn suggestions_computing(&self) -> bool {
        self.suggest.computing()
    }

    /// Each frame: start computing when another document opened, take a
    /// finished computation in.
    pub(super) fn poll_suggestions(&mut self, ctx: &egui::Context) {
        let open = self.open.as_ref().map(|o| (o.doc.id, Arc::clone(&o.text)));
        let Some((doc, text)) = open else {
            if self.suggest.doc.take().is_some() {
                self.suggest.all.clear();
                self.refilter_suggestions();
            }
            return;
        };
        if self.suggest.doc != Some(doc) {
            self.start_suggestions(ctx, doc, text);
        }
        if self.suggest.reviewing != self.review.is_some() {
            self.suggest.reviewing = self.review.is_some();
            self.refilter_suggestions();
        }
        let Some(job) = &self.suggest.job else {
            return;
        };
        ctx.request_repaint_after(Duration::from_millis(16));
        let computed = match job.try_recv() {
            Ok(computed) => computed,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Computed {
                doc,
                found: Vec::new(),
                matcher: None,
                error: Some("computing suggestions stopped unexpectedly".into()),
            },
        };
        self.suggest.job = None;
        if computed.doc != doc {
            return;
        }
        if let Some(error) = computed.error {
            self.errors.push(error);
        }
        if computed.matcher.is_some() {
            self.suggest.matcher = computed.matcher;
            self.suggest.matcher_stale = false;
        }
        let mut all = computed.found;
        for s in &self.suggest.stored {
            if !all.iter().any(|c| c.range == s.range && c.label == s.label) {
                all.push(s.clone());
            }
        }
        crate::suggest::sort(&mut all);
        self.suggest.all = all;
        self.refilter_suggestions();
    }

    fn start_suggestions(&mut self, ctx: &egui::Context, doc: DocId, text: Arc<str>) {
        self.suggest.doc = Some(doc);
        self.suggest.all.clear();
        self.suggest.stored.clear();
        self.suggest.selected = None;
        let enabled = match self.suggestion_settings() {
            Ok(enabled) => enabled,
            Err(error) => {
                self.errors.push(format!("{error:#}"));
                Vec::new()
            }
        };
        match self.store.stored_suggestions(doc, SUGGESTIONS_LAYER) {
            Ok(stored) => {
                self.suggest.stored = stored
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| enabled.contains(&s.recogniser))
                    .collect();
            }
            Err(error) => self
                .errors
                .push(format!("{:#}", anyhow::Error::from(error))),
        }
        self.refilter_suggestions();
        if enabled.is_empty() {
            self.suggest.job = None;
            return;
        }
        let matcher = if self.suggest.matcher_stale {
            None
        } else {
            self.suggest.matcher.clone()
        };
        let path = self.store.path().map(std::path::Path::to_path_buf);
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("suggestions".into())
            .spawn(move || {
                let computed = compute(doc, &text, &enabled, matcher, path);
                // The window may be gone: nobody to tell then.
                let _ = tx.send(computed);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.suggest.job = Some(rx),
            Err(error) => self
                .errors
                .push(format!("could not start computing suggestions: {error}")),
        }
    }

    /// The project's enabled recognisers and threshold, read once.
    fn suggestion_settings(&mut self) -> anyhow::Result<Vec<Recogniser>> {
        if let Some(enabled) = &self.suggest.enabled {
            return Ok(enabled.clone());
        }
        let enabled = self.store.enabled_recognisers()?;
        self.suggest.threshold = self.store.suggest_threshold()?;
        self.suggest.enabled = Some(enabled.clone());
        Ok(enabled)
    }

    /// Work out what is shown again: after the document's spans, my
    /// rejections or the settings changed.
    pub(super) fn refilter_suggestions(&mut self) {
        let mut visible = Vec::new();
        if let (true, None, Some(open)) = (self.suggest.shown, &self.review, &self.open)
            && self.suggest.doc == Some(open.doc.id)
        {
            let rejected = match &self.annotator {
                Some((annotator, _)) => self
                    .store
                    .suggestion_rejections(open.doc.id, *annotator)
                    .unwrap_or_else(|error| {
                        self.errors
                            .push(format!("{:#}", anyhow::Error::from(error)));
                        HashSet::new()
                    }),
                None => HashSet::new(),
            };
            let own: Vec<_> = open
                .spans
                .iter()
                .filter(|s| Some(s.layer) == self.own_layer)
                .collect();
            visible = self
                .suggest
                .all
                .iter()
                .filter(|s| !rejected.contains(&(s.range, s.label.clone())))
                .filter(|s| {
                    !own.iter().any(|o| {
                        o.range == s.range || (o.label == s.label && o.range.overlaps(s.range))
                    })
                })
                .cloned()
                .collect();
        }
        if visible != self.suggest.visible {
            self.suggest.visible = visible;
            self.suggest.revision += 1;
        }
        if self.suggest.selected_index().is_none() {
            self.suggest.selected = None;
        }
    }

    /// A command given while a suggestion is selected goes to it: `A`,
    /// `R`, a label key; `Shift+A` outside review mode accepts above the
    /// threshold. Selecting anything else deselects the suggestion.
    pub(super) fn route_to_suggestions(&mut self, command: Command) -> Command {
        if self.review.is_some() {
            return command;
        }
        match command {
            Command::SelectSpan { .. } | Command::SetSelection(_) | Command::OpenDocument(_) => {
                self.suggest.deselect();
                command
            }
            Command::CopySpan if self.suggest.selected().is_some() => {
                Command::Suggest(SuggestCommand::Accept(None))
            }
            Command::RejectSpan if self.suggest.selected().is_some() => {
                Command::Suggest(SuggestCommand::Reject)
            }
            Command::Tag(label) if self.suggest.selected().is_some() => {
                Command::Suggest(SuggestCommand::Accept(Some(label)))
            }
            Command::AcceptAgreed => Command::Suggest(SuggestCommand::AcceptAbove),
            other => other,
        }
    }

    pub(super) fn run_suggest(&mut self, command: SuggestCommand) -> anyhow::Result<()> {
        match command {
            SuggestCommand::Select { range, label } => {
                if self
                    .suggest
                    .visible
                    .iter()
                    .any(|s| s.range == range && s.label == label)
                {
                    self.select_suggestion(range, label);
                }
            }
            SuggestCommand::Step(forward) => {
                let n = self.suggest.visible.len();
                if n == 0 {
                    self.status = Some(Status {
                        text: if self.suggest.computing() {
                            "suggestions are still being computed".into()
                        } else {
                            "no suggestions in this document".into()
                        },
                        error: false,
                    });
                    return Ok(());
                }
                let next = match self.suggest.selected_index() {
                    Some(i) if forward => (i + 1) % n,
                    Some(i) => (i + n - 1) % n,
                    None => {
                        // From the selected span or selection, else the start.
                        let from = self.open.as_ref().and_then(|o| {
                            o.selection.map(|r| r.start()).or_else(|| {
                                o.selected_span.and_then(|id| {
                                    o.spans.iter().find(|s| s.id == id).map(|s| s.range.start())
                                })
                            })
                        });
                        let from = from.unwrap_or(0);
                        if forward {
                            self.suggest
                                .visible
                                .iter()
                                .position(|s| s.range.start() >= from)
                                .unwrap_or(0)
                        } else {
                            self.suggest
                                .visible
                                .iter()
                                .rposition(|s| s.range.start() < from.max(1))
                                .unwrap_or(n - 1)
                        }
                    }
                };
                let s = &self.suggest.visible[next];
                let (range, label) = (s.range, s.label.clone());
                self.select_suggestion(range, label);
            }
            SuggestCommand::Accept(label) => self.accept_suggestion(label)?,
            SuggestCommand::Reject => self.reject_suggestion()?,
            SuggestCommand::AcceptAbove => self.accept_suggestions_above()?,
            SuggestCommand::SetRecogniser(recogniser, on) => {
                let mut enabled = self.suggestion_settings()?;
                enabled.retain(|r| *r != recogniser);
                if on {
                    enabled.push(recogniser);
                }
                let actor = self.annotator.as_ref().map(|(id, _)| *id);
                self.store.set_enabled_recognisers(&enabled, actor)?;
                self.suggest.enabled = None;
                // Compute the open document's suggestions again.
                self.suggest.doc = None;
            }
            SuggestCommand::SetThreshold(threshold) => {
                let actor = self.annotator.as_ref().map(|(id, _)| *id);
                self.store.set_suggest_threshold(threshold, actor)?;
                self.suggest.threshold = self.store.suggest_threshold()?;
            }
            SuggestCommand::SetShown(shown) => {
                self.suggest.shown = shown;
                self.refilter_suggestions();
            }
        }
        Ok(())
    }

    fn select_suggestion(&mut self, range: CharRange, label: String) {
        if let Some(open) = &mut self.open {
            open.selection = None;
            open.selected_span = None;
            open.view.scroll_to(range);
        }
        self.suggest.selected = Some((range, label));
    }

    /// After an accept or reject: select the next suggestion after `from`.
    fn select_next_after(&mut self, from: usize) {
        let next = self
            .suggest
            .visible
            .iter()
            .find(|s| s.range.start() >= from)
            .map(|s| (s.range, s.label.clone()));
        self.suggest.selected = None;
        if let Some((range, label)) = next {
            self.select_suggestion(range, label);
        }
    }

    fn annotator_for_suggestions(&mut self, what: &str) -> anyhow::Result<i64> {
        match &self.annotator {
            Some((id, _)) => Ok(*id),
            None => {
                self.name_prompt.get_or_insert_with(String::new);
                anyhow::bail!("set your annotator name before {what}");
            }
        }
    }

    fn accept_suggestion(&mut self, label: Option<String>) -> anyhow::Result<()> {
        let annotator = self.annotator_for_suggestions("accepting a suggestion")?;
        let Some(s) = self.suggest.selected().cloned() else {
            return Ok(());
        };
        let Some(doc) = self.current_document() else {
            return Ok(());
        };
        if let Some(label) = &label
            && self.schema.label(label).is_none()
        {
            anyhow::bail!("label {label} is not in the schema {}", self.schema.name);
        }
        let span = self
            .store
            .accept_suggestion(doc, annotator, &s, label.as_deref())?;
        self.histories
            .entry(doc)
            .or_default()
            .record(Change::Restore { span: span.id });
        self.suggest.matcher_stale = true;
        self.status = Some(Status {
            text: match label {
                Some(label) if label != s.label => {
                    format!("accepted the suggestion as {label} (suggested {})", s.label)
                }
                _ => format!("accepted the {} suggestion {}", s.label, s.range),
            },
            error: false,
        });
        self.reload_spans()?;
        self.refilter_suggestions();
        self.select_next_after(s.range.start());
        Ok(())
    }

    fn reject_suggestion(&mut self) -> anyhow::Result<()> {
        let annotator = self.annotator_for_suggestions("rejecting a suggestion")?;
        let Some(s) = self.suggest.selected().cloned() else {
            return Ok(());
        };
        let Some(doc) = self.current_document() else {
            return Ok(());
        };
        let change = Change::RejectSuggestion {
            doc,
            range: s.range,
            label: s.label.clone(),
        };
        self.store.apply(&change, annotator)?;
        self.histories.entry(doc).or_default().record(change);
        self.suggest.matcher_stale = true;
        self.status = Some(Status {
            text: format!(
                "rejected the {} suggestion: not suggested again here (Ctrl+Z brings it back)",
                s.label
            ),
            error: false,
        });
        self.refilter_suggestions();
        self.select_next_after(s.range.start());
        Ok(())
    }

    fn accept_suggestions_above(&mut self) -> anyhow::Result<()> {
        let annotator = self.annotator_for_suggestions("accepting suggestions")?;
        let Some(doc) = self.current_document() else {
            return Ok(());
        };
        self.suggestion_settings()?;
        let threshold = self.suggest.threshold;
        let chosen: Vec<Suggestion> = self
            .suggest
            .visible
            .iter()
            .filter(|s| s.score >= threshold)
            .cloned()
            .collect();
        if chosen.is_empty() {
            self.status = Some(Status {
                text: format!("no shown suggestion scores {threshold:.2} or more"),
                error: false,
            });
            return Ok(());
        }
        let added = self.store.accept_suggestions(doc, annotator, &chosen)?;
        let history = self.histories.entry(doc).or_default();
        for span in &added {
            history.record(Change::Restore { span: span.id });
        }
        self.suggest.matcher_stale = true;
        self.suggest.selected = None;
        self.status = Some(Status {
            text: format!(
                "accepted {} suggestions scoring {threshold:.2} or more",
                added.len()
            ),
            error: false,
        });
        self.reload_spans()?;
        self.refilter_suggestions();
        Ok(())
    }

    /// The Suggestions menu: show or hide, step, accept above the
    /// threshold, and the project's recognisers and threshold.
    pub(super) fn suggestions_menu(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut shown = self.suggest.shown;
        if ui.checkbox(&mut shown, "Show suggestions").changed() {
            self.commands
                .push(Command::Suggest(SuggestCommand::SetShown(shown)));
        }
        for (name, command) in [
            ("Next suggestion", SuggestCommand::Step(true)),
            ("Previous suggestion", SuggestCommand::Step(false)),
        ] {
            let button = egui::Button::new(name).shortcut_text(super::shortcut_text(&ctx, name));
            if ui.add(button).clicked() {
                self.commands.push(Command::Suggest(command));
            }
        }
        let threshold = self.suggest.threshold;
        let accept_all = format!("Accept all scoring {threshold:.2} or more");
        if ui
            .add_enabled(
                self.review.is_none(),
                egui::Button::new(accept_all).shortcut_text("Shift+A"),
            )
            .clicked()
        {
            self.commands
                .push(Command::Suggest(SuggestCommand::AcceptAbove));
        }
        ui.separator();
        ui.label(RichText::new("Recognisers (project setting)").strong());
        let enabled = self.suggest.enabled.clone().unwrap_or_default();
        for r in Recogniser::ALL {
            let mut on = enabled.contains(&r);
            let text = match r {
                Recogniser::Date => "Dates and times (DATE)",
                Recogniser::Casualty => "Casualty counts (CASUALTY)",
                Recogniser::Place => "Places, from the gazetteer (PLACE)",
                Recogniser::Actor => "Forces, governments, groups (ACTOR)",
                Recogniser::Project => "What this project accepted before",
            };
            if ui.checkbox(&mut on, text).changed() {
                self.commands
                    .push(Command::Suggest(SuggestCommand::SetRecogniser(r, on)));
            }
        }
        ui.separator();
        let mut value = threshold;
        let slider = ui.add(
            egui::Slider::new(&mut value, 0.0..=1.0)
                .step_by(0.05)
                .text("accept-all threshold"),
        );
        if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
            self.commands
                .push(Command::Suggest(SuggestCommand::SetThreshold(value)));
        }
    }

    /// The side panel's part for the selected suggestion: its label, text,
    /// score, recogniser and reason, and the keys.
    pub(super) fn suggestion_details(&mut self, ui: &mut egui::Ui) {
        let Some(s) = self.suggest.selected().cloned() else {
            return;
        };
        let text_color = ui.visuals().text_color();
        ui.heading("Suggestion");
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!(" {} ", s.label))
                    .color(Color32::WHITE)
                    .background_color(SUGGESTION_COLOR),
            );
            ui.label(
                RichText::new(format!("{}–{}", s.range.start(), s.range.end()))
                    .small()
                    .weak(),
            );
        });
        if let Some(open) = &self.open {
            let covered: String = open
                .text
                .chars()
                .skip(s.range.start())
                .take(s.range.len())
                .collect();
            self.engine
                .label(ui, &covered, LIST_FONT_SIZE, text_color, Sense::hover());
        }
        ui.label(format!(
            "score {:.2} · recogniser {}",
            s.score,
            s.recogniser.as_str()
        ));
        if !s.reason.is_empty() {
            // Reasons may quote Arabic words.
            self.engine
                .label(ui, &s.reason, 14.0, text_color, Sense::hover());
        }
        for (name, value) in &s.attrs {
            ui.label(format!("{name}: {}", crate::schema::attr_display(value)));
        }
        ui.label(
            RichText::new("A accept · R reject · label key: accept as that label · S next")
                .small()
                .weak(),
        );
        ui.separator();
    }
}
