//! A text input that shows Arabic correctly while it is typed: the search box
//! and the note fields.
//!
//! egui's `TextEdit` has no bidi: it mirrors the caret on Arabic and reverses
//! digits. This widget keeps the text in a cosmic-text [`Editor`] (UAX #9
//! bidi, shaping, caret motion, selection), laid out with the app's one
//! [`FontSystem`] and painted with the app's glyph atlas
//! ([`TextEngine`]). The base direction of each line is automatic: right to
//! left when its first strong character is Arabic.
//!
//! Keys follow cosmic-text's [`Motion`]s, so the caret moves in logical order
//! and never jumps: in a right-to-left line **Left** moves to the next
//! character (visually leftwards) and **Right** to the previous one;
//! **Ctrl+Left/Right** by words; **Home/End**; **Backspace/Delete**;
//! **Shift** with any of these, or a mouse drag, selects; **Ctrl+A** selects
//! all; copy, cut and paste come through egui's clipboard events. A click
//! focuses the input; **Esc** or **Tab** leaves it; in the single-line input
//! **Enter** leaves it too (check `lost_focus()` and `Enter` to submit).
//!
//! The widget reads and writes the caller's `String`; its editor lives in
//! egui's memory under the widget id. It never writes anywhere else: the
//! caller turns a change into a command.

use std::sync::Arc;

use cosmic_text::{
    Action, Attrs, Buffer, Cursor, Edit, Editor, Family, FontSystem, Metrics, Motion, Selection,
    Shaping, Wrap,
};
use egui::mutex::Mutex;
use egui::{AsIdSalt, Event, Id, IdSalt, Key, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use crate::fonts::ARABIC_FAMILY;
use crate::ui::text_engine::TextEngine;

/// Padding between the frame and the text, in points.
const PADDING: Vec2 = Vec2::new(6.0, 3.0);
/// Line height as a multiple of the font size.
const LINE_HEIGHT: f32 = 1.45;

/// A single- or multi-line text input; see the module documentation.
pub struct TextInput<'a> {
    id_salt: IdSalt,
    hint: &'a str,
    multiline: bool,
    /// Up/Down stay with the input's caller instead of moving egui's focus.
    keep_vertical_arrows: bool,
    rows: usize,
    font_size: f32,
    width: Option<f32>,
}

/// What lives between frames: the editor and the horizontal scroll.
struct InputState {
    editor: Editor<'static>,
    /// The text the editor holds, to notice changes made by the caller.
    text: String,
    /// Metrics and width the buffer was last laid out with.
    key: (u32, u32, u32),
    /// Horizontal scroll of a single-line input, in points.
    scroll_x: f32,
    /// The hint, laid out once.
    hint: Option<(String, Buffer)>,
}

type SharedState = Arc<Mutex<InputState>>;

impl<'a> TextInput<'a> {
    /// A single-line input; `id_salt` must be unique among its siblings.
    pub fn new(id_salt: impl AsIdSalt) -> Self {
        Self {
            id_salt: IdSalt::new(id_salt),
            hint: "",
            multiline: false,
            keep_vertical_arrows: false,
            rows: 1,
            font_size: 16.0,
            width: None,
        }
    }

    /// A multi-line input (notes) showing at least `rows` lines; Enter
    /// inserts a line break.
    pub fn multiline(id_salt: impl AsIdSalt, rows: usize) -> Self {
        Self {
            multiline: true,
            rows: rows.max(1),
            ..Self::new(id_salt)
        }
    }

    /// Keep Up/Down for the caller while a one-line input has the keyboard
    /// (the search box moves through its hits with them); otherwise they
    /// move egui's focus to the widget above or below.
    pub fn keep_vertical_arrows(mut self) -> Self {
        self.keep_vertical_arrows = true;
        self
    }

    /// Text shown, dimmed, while the input is empty.
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = hint;
        self
    }

    /// Font size in points (default 16).
    pub fn font_size(mut self, size: f32) -> Self {
        self.font_size = size.max(4.0);
        self
    }

    /// Width in points (default: all the available width).
    pub fn width(mut self, width: f32) -> Self {
        self.width = Some(width);
        self
    }

    /// The widget id, for `request_focus` from outside (e.g. Ctrl+F).
    pub fn id(&self, ui: &egui::Ui) -> Id {
        ui.make_persistent_id(self.id_salt)
    }

    /// Show the input editing `text`. The response is `changed()` when the
    /// text changed this frame.
    pub fn show(
        self,
        ui: &mut egui::Ui,
        engine: &mut TextEngine,
        text: &mut String,
    ) -> egui::Response {
        let id = self.id(ui);
        let scale = ui.ctx().pixels_per_point();
        let line_height = (self.font_size * LINE_HEIGHT).round();
        let width = self
            .width
            .unwrap_or_else(|| ui.available_width())
            .max(2.0 * PADDING.x + 20.0);
        let inner_width = width - 2.0 * PADDING.x;
        let state = ui.data_mut(|d| {
            d.get_temp_mut_or_insert_with(id, || -> SharedState {
                Arc::new(Mutex::new(InputState::new(self.font_size, line_height)))
            })
            .clone()
        });
        let mut state = state.lock();
        let fonts = engine.fonts();
        state.sync(
            fonts,
            text,
            self.multiline,
            self.font_size,
            line_height,
            inner_width,
        );

        let lines = if self.multiline {
            state
                .editor
                .with_buffer(|b| b.layout_runs().count())
                .max(self.rows)
        } else {
            1
        };
        let size = Vec2::new(width, lines as f32 * line_height + 2.0 * PADDING.y);
        let (_, rect) = ui.allocate_space(size);
        let mut response = ui.interact(rect, id, Sense::click_and_drag());
        let inner = rect.shrink2(PADDING);

        // The pointer: click places the caret, drag selects, double click a word.
        let to_buffer = |p: Pos2, scroll_x: f32| {
            (
                (p.x - inner.min.x + scroll_x).round() as i32,
                (p.y - inner.min.y).round() as i32,
            )
        };
        if response.clicked() || response.drag_started() {
            response.request_focus();
        }
        if let Some(pos) = response.interact_pointer_pos() {
            let (x, y) = to_buffer(pos, state.scroll_x);
            let fonts = engine.fonts();
            if response.double_clicked() {
                state.editor.action(fonts, Action::DoubleClick { x, y });
            } else if response.drag_started() || response.clicked() {
                let press = ui.input(|i| i.pointer.press_origin()).unwrap_or(pos);
                let (px, py) = to_buffer(press, state.scroll_x);
                state.editor.action(fonts, Action::Click { x: px, y: py });
                if response.dragged() {
                    state.editor.action(fonts, Action::Drag { x, y });
                }
            } else if response.dragged() {
                state.editor.action(fonts, Action::Drag { x, y });
            }
        }

        let focused = response.has_focus();
        if focused {
            ui.memory_mut(|m| {
                m.set_focus_lock_filter(
                    id,
                    egui::EventFilter {
                        horizontal_arrows: true,
                        vertical_arrows: self.multiline || self.keep_vertical_arrows,
                        tab: false,
                        escape: false,
                    },
                )
            });
            let events = ui.input(|i| i.events.clone());
            for event in &events {
                match state.handle(engine.fonts(), ui.ctx(), event, self.multiline) {
                    Outcome::Continue => {}
                    Outcome::Leave => response.surrender_focus(),
                }
            }
        }

        let fonts = engine.fonts();
        state.editor.shape_as_needed(fonts, false);
        let new_text = state.editor_text();
        if new_text != *text {
            *text = new_text.clone();
            state.text = new_text;
            response.mark_changed();
        }

        // Keep the caret inside a single-line input.
        let caret = state.caret();
        if !self.multiline {
            let (x0, x1) = state.content_extent();
            let mut scroll = state.scroll_x;
            if x1 - x0 <= inner_width {
                scroll = 0.0;
            } else {
                let cx = caret.map_or(0.0, |c| c.0);
                if cx - scroll > inner_width {
                    scroll = cx - inner_width;
                }
                if cx - scroll < 0.0 {
                    scroll = cx;
                }
                scroll = scroll.clamp(x0.min(0.0), (x1 - inner_width).max(0.0));
            }
            state.scroll_x = scroll;
        }

        if ui.is_rect_visible(rect) {
            let visuals = ui.style().interact_selectable(&response, focused);
            let painter = ui.painter_at(rect);
            painter.rect(
                rect,
                visuals.corner_radius,
                ui.visuals().text_edit_bg_color(),
                if focused {
                    ui.visuals().selection.stroke
                } else {
                    visuals.bg_stroke
                },
                StrokeKind::Inside,
            );
            let origin = Pos2::new(inner.min.x - state.scroll_x, inner.min.y);
            let painter = ui.painter_at(rect.shrink(1.0));
            // Selection, behind the glyphs.
            if let Some((start, end)) = state.editor.selection_bounds() {
                let fill = ui.visuals().selection.bg_fill.gamma_multiply(0.6);
                state.editor.with_buffer(|b| {
                    for run in b.layout_runs() {
                        for (x, w) in run.highlight(start, end) {
                            painter.rect_filled(
                                Rect::from_min_size(
                                    origin + Vec2::new(x, run.line_top),
                                    Vec2::new(w, run.line_height),
                                ),
                                0.0,
                                fill,
                            );
                        }
                    }
                });
            }
            let color = ui.visuals().text_color();
            if text.is_empty() && !self.hint.is_empty() {
                let fonts = engine.fonts();
                let hint =
                    state.hint_buffer(fonts, self.hint, self.font_size, line_height, inner_width);
                let glyphs = physical_glyphs(hint, scale);
                engine.glyphs.paint_glyphs(
                    &painter,
                    glyphs,
                    scale,
                    inner.min,
                    ui.visuals().weak_text_color(),
                );
            } else {
                let glyphs = state.editor.with_buffer(|b| physical_glyphs(b, scale));
                engine
                    .glyphs
                    .paint_glyphs(&painter, glyphs, scale, origin, color);
            }
            if focused && let Some((x, top, height)) = caret {
                let x = origin.x + x;
                let caret_rect = Rect::from_min_max(
                    Pos2::new(x, origin.y + top + 2.0),
                    Pos2::new(x, origin.y + top + height - 2.0),
                );
                let stroke = Stroke::new(
                    ui.visuals().text_cursor.stroke.width.max(1.5),
                    ui.visuals().text_cursor.stroke.color,
                );
                painter.line_segment([caret_rect.min, caret_rect.max], stroke);
                let to_global = ui
                    .ctx()
                    .layer_transform_to_global(ui.layer_id())
                    .unwrap_or_default();
                ui.output_mut(|o| {
                    o.ime = Some(egui::output::IMEOutput {
                        purpose: egui::IMEPurpose::Normal,
                        rect: to_global * rect,
                        cursor_rect: to_global * caret_rect.expand2(Vec2::new(1.0, 0.0)),
                        should_interrupt_composition: false,
                    });
                });
            }
        }

        let enabled = ui.is_enabled();
        let hint = self.hint.to_owned();
        let shown = text.clone();
        response.widget_info(|| egui::WidgetInfo::text_edit(enabled, &shown, &shown, &hint));
        response
    }

    /// The text and caret (code-point offset) of the input with widget id
    /// `id` (see [`TextInput::id`]), as its editor holds them: for tests.
    pub fn caret_of(ctx: &egui::Context, id: Id) -> Option<(String, usize)> {
        let state: SharedState = ctx.data_mut(|d| d.get_temp(id))?;
        let state = state.lock();
        let cursor = state.editor.cursor();
        let text = state.editor_text();
        let chars = state.editor.with_buffer(|b| {
            let before: usize = b.lines[..cursor.line]
                .iter()
                .map(|l| l.text().chars().count() + 1)
                .sum();
            let line = b.lines[cursor.line].text();
            before + line[..cursor.index.min(line.len())].chars().count()
        });
        Some((text, chars))
    }
}

enum Outcome {
    Continue,
    Leave,
}

impl InputState {
    fn new(font_size: f32, line_height: f32) -> Self {
        let buffer = Buffer::new_empty(Metrics::new(font_size, line_height));
        let mut editor = Editor::new(buffer);
        editor.with_buffer_mut(|b| b.set_text("", &attrs(), Shaping::Advanced, None));
        Self {
            editor,
            text: String::new(),
            key: (0, 0, 0),
            scroll_x: 0.0,
            hint: None,
        }
    }

    /// Take over a text changed by the caller, and the current size.
    fn sync(
        &mut self,
        fonts: &mut FontSystem,
        text: &str,
        multiline: bool,
        font_size: f32,
        line_height: f32,
        width: f32,
    ) {
        let key = (font_size.to_bits(), width.to_bits(), u32::from(multiline));
        if key != self.key {
            self.key = key;
            self.editor.with_buffer_mut(|b| {
                b.set_metrics(Metrics::new(font_size, line_height));
                b.set_wrap(if multiline {
                    Wrap::WordOrGlyph
                } else {
                    Wrap::None
                });
                b.set_size(Some(width), None);
            });
            self.hint = None;
        }
        if self.text != text {
            let shown = if multiline {
                text.to_owned()
            } else {
                text.replace(['\n', '\r'], " ")
            };
            self.editor
                .with_buffer_mut(|b| b.set_text(&shown, &attrs(), Shaping::Advanced, None));
            self.editor.set_selection(Selection::None);
            let end = self.editor.with_buffer(|b| {
                let line = b.lines.len().saturating_sub(1);
                Cursor::new(line, b.lines.get(line).map_or(0, |l| l.text().len()))
            });
            self.editor.set_cursor(end);
            self.text = text.to_owned();
        }
        self.editor.shape_as_needed(fonts, false);
    }

    fn editor_text(&self) -> String {
        self.editor.with_buffer(|b| {
            let mut out = String::new();
            for (i, line) in b.lines.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(line.text());
            }
            out
        })
    }

    /// Carry out one input event while focused.
    fn handle(
        &mut self,
        fonts: &mut FontSystem,
        ctx: &egui::Context,
        event: &Event,
        multiline: bool,
    ) -> Outcome {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if !multiline && (c == '\n' || c == '\r') {
                        ' '
                    } else {
                        c
                    }
                })
                .filter(|c| !c.is_control() || (multiline && *c == '\n'))
                .collect()
        };
        match event {
            Event::Text(s) | Event::Paste(s) => {
                let s = clean(s);
                if !s.is_empty() {
                    self.editor.insert_string(&s, None);
                }
            }
            Event::Ime(egui::ImeEvent::Commit(s)) => {
                let s = clean(s);
                if !s.is_empty() {
                    self.editor.insert_string(&s, None);
                }
            }
            Event::Copy => {
                if let Some(s) = self.editor.copy_selection() {
                    ctx.copy_text(s);
                }
            }
            Event::Cut => {
                if let Some(s) = self.editor.copy_selection() {
                    ctx.copy_text(s);
                    self.editor.delete_selection();
                }
            }
            Event::Key {
                key,
                pressed: true,
                modifiers,
                ..
            } => return self.key(fonts, *key, *modifiers, multiline),
            _ => {}
        }
        Outcome::Continue
    }

    fn key(
        &mut self,
        fonts: &mut FontSystem,
        key: Key,
        modifiers: egui::Modifiers,
        multiline: bool,
    ) -> Outcome {
        let word = modifiers.command || modifiers.alt;
        let motion = match key {
            Key::ArrowLeft if word => Some(Motion::LeftWord),
            Key::ArrowRight if word => Some(Motion::RightWord),
            Key::ArrowLeft => Some(Motion::Left),
            Key::ArrowRight => Some(Motion::Right),
            Key::ArrowUp if multiline => Some(Motion::Up),
            Key::ArrowDown if multiline => Some(Motion::Down),
            Key::Home if modifiers.command => Some(Motion::BufferStart),
            Key::End if modifiers.command => Some(Motion::BufferEnd),
            Key::Home => Some(Motion::Home),
            Key::End => Some(Motion::End),
            _ => None,
        };
        if let Some(motion) = motion {
            if modifiers.shift {
                if self.editor.selection() == Selection::None {
                    let cursor = self.editor.cursor();
                    self.editor.set_selection(Selection::Normal(cursor));
                }
            } else {
                self.editor.set_selection(Selection::None);
            }
            self.editor.action(fonts, Action::Motion(motion));
            return Outcome::Continue;
        }
        match key {
            Key::Backspace => self.editor.action(fonts, Action::Backspace),
            Key::Delete => self.editor.action(fonts, Action::Delete),
            Key::A if modifiers.command => {
                let end = self.editor.with_buffer(|b| {
                    let line = b.lines.len().saturating_sub(1);
                    Cursor::new(line, b.lines.get(line).map_or(0, |l| l.text().len()))
                });
                self.editor.set_cursor(end);
                self.editor
                    .set_selection(Selection::Normal(Cursor::new(0, 0)));
            }
            Key::Enter if multiline => self.editor.action(fonts, Action::Enter),
            Key::Enter | Key::Escape => return Outcome::Leave,
            _ => {}
        }
        Outcome::Continue
    }

    /// Caret x, line top and line height, in buffer points.
    fn caret(&self) -> Option<(f32, f32, f32)> {
        let cursor = self.editor.cursor();
        self.editor.with_buffer(|b| {
            b.layout_runs().find_map(|run| {
                run.cursor_position(&cursor)
                    .map(|x| (x, run.line_top, run.line_height))
            })
        })
    }

    /// Leftmost and rightmost glyph edges, in buffer points.
    fn content_extent(&self) -> (f32, f32) {
        self.editor.with_buffer(|b| {
            let mut lo = f32::MAX;
            let mut hi = f32::MIN;
            for run in b.layout_runs() {
                for g in run.glyphs {
                    lo = lo.min(g.x);
                    hi = hi.max(g.x + g.w);
                }
            }
            if lo > hi { (0.0, 0.0) } else { (lo, hi) }
        })
    }

    fn hint_buffer(
        &mut self,
        fonts: &mut FontSystem,
        hint: &str,
        font_size: f32,
        line_height: f32,
        width: f32,
    ) -> &Buffer {
        if self.hint.as_ref().is_some_and(|(h, _)| h != hint) {
            self.hint = None;
        }
        let (_, buffer) = self.hint.get_or_insert_with(|| {
            let mut buffer = Buffer::new_empty(Metrics::new(font_size, line_height));
            buffer.set_wrap(Wrap::None);
            buffer.set_size(Some(width), None);
            buffer.set_text(hint, &attrs(), Shaping::Advanced, None);
            buffer.shape_until_scroll(fonts, false);
            (hint.to_owned(), buffer)
        });
        buffer
    }
}

fn attrs() -> Attrs<'static> {
    Attrs::new().family(Family::Name(ARABIC_FAMILY))
}

/// Every laid-out glyph of `buffer` as (rasteriser key, pen x, pen y) in
/// physical pixels at `scale`.
fn physical_glyphs(buffer: &Buffer, scale: f32) -> Vec<(cosmic_text::CacheKey, i32, i32)> {
    let mut out = Vec::new();
    for run in buffer.layout_runs() {
        let baseline = (run.line_y * scale).round();
        for glyph in run.glyphs {
            let p = glyph.physical((0.0, baseline), scale);
            out.push((p.cache_key, p.x, p.y));
        }
    }
    out
}
