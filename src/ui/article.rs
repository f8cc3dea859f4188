//! The article view: the document laid out right to left by cosmic-text,
//! painted glyph by glyph, with span backgrounds, stacked underlines for
//! overlapping spans, the current selection, and pointer selection.
//!
//! The view keeps the layout and the span boxes cached; a frame with nothing
//! changed does no shaping and no span geometry, only painting of the visible
//! lines. It never writes anything: user intent comes back as [`Command`]s.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{Align, Color32, CornerRadius, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use super::Command;
use super::text_engine::TextEngine;
use crate::layout::{ArticleLayout, Box2, LayoutParams};
use crate::model::{CharRange, Direction, DocId, LayerId, Span, SpanId};
use crate::schema::Schema;
use crate::text::{self, OffsetIndex};

/// Space around the text block, in points.
const MARGIN: f32 = 24.0;
/// How long a span flashes after it is picked in the list, in seconds.
const FLASH_SECONDS: f64 = 1.2;

/// What the view needs to know about the open document each frame.
pub struct ArticleInput<'a> {
    pub doc: DocId,
    pub text: &'a Arc<str>,
    pub index: &'a Arc<OffsetIndex>,
    pub direction: Direction,
    pub spans: &'a [Span],
    /// Bumped by the owner whenever `spans` changes.
    pub spans_revision: u64,
    pub schema: &'a Schema,
    pub selection: Option<CharRange>,
    pub selected_span: Option<SpanId>,
    pub font_size: f32,
    /// The annotator's own layer; spans of other layers are drawn lighter,
    /// with a dashed outline and the layer's name in their tag.
    pub own_layer: Option<LayerId>,
    /// Names of the layers shown, for the tags of other layers' spans.
    pub layer_names: &'a HashMap<LayerId, String>,
    /// A colour per span to ring it with (review mode: agreement category).
    pub emphasis: Option<&'a HashMap<SpanId, Color32>>,
    /// Suggestions shown (see [`super::suggest`]): drawn grey and dashed,
    /// with their label, never filled like a span.
    pub suggestions: &'a [crate::suggest::Suggestion],
    /// Bumped by the owner whenever `suggestions` changes.
    pub suggestions_revision: u64,
    /// Index into `suggestions` of the selected one.
    pub selected_suggestion: Option<usize>,
}

struct SpanGeometry {
    id: SpanId,
    color: Color32,
    /// The span belongs to another layer than the annotator's own.
    foreign: bool,
    /// Underline lane: overlapping spans get different lanes.
    lane: usize,
    boxes: Vec<Box2>,
}

#[derive(Clone, Copy)]
struct Drag {
    anchor: usize,
    head: usize,
}

/// State of the article view between frames.
#[derive(Default)]
pub struct ArticleView {
    layout: Option<(DocId, ArticleLayout)>,
    layout_generation: u64,
    geometry: Vec<SpanGeometry>,
    geometry_key: Option<(DocId, u64, u64)>,
    /// Boxes of each suggestion, cached like `geometry`.
    suggestion_boxes: Vec<Vec<Box2>>,
    suggestion_key: Option<(DocId, u64, u64)>,
    drag: Option<Drag>,
    flash: Option<(SpanId, f64)>,
    pending_flash: Option<SpanId>,
    /// A range (a search hit) flashing, and when it started.
    flash_range: Option<(CharRange, f64)>,
    pending_flash_range: Option<CharRange>,
    scroll_to: Option<CharRange>,
    /// Screen position of the text block's top-left corner in the last frame.
    origin: Option<Pos2>,
}

impl ArticleView {
    /// Ask the view to scroll `range` into the middle of the screen.
    pub fn scroll_to(&mut self, range: CharRange) {
        self.scroll_to = Some(range);
    }

    /// Make span `id` flash briefly, starting with the next frame.
    pub fn flash(&mut self, id: SpanId) {
        self.pending_flash = Some(id);
    }

    /// Make `range` (not a span: a search hit) flash briefly, starting with
    /// the next frame.
    pub fn flash_range(&mut self, range: CharRange) {
        self.pending_flash_range = Some(range);
    }

    /// The range flashing now, if any.
    pub fn flashing_range(&self) -> Option<CharRange> {
        self.flash_range.map(|(r, _)| r)
    }

    /// Forget the layout (another document was opened).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The current layout, for tests and benchmarks.
    pub fn layout(&self) -> Option<&ArticleLayout> {
        self.layout.as_ref().map(|(_, l)| l)
    }

    /// Screen rectangles of the code points `range` as drawn in the last frame.
    pub fn screen_boxes(&self, range: std::ops::Range<usize>) -> Vec<Rect> {
        let (Some(layout), Some(origin)) = (self.layout(), self.origin) else {
            return Vec::new();
        };
        layout
            .range_boxes(range)
            .iter()
            .map(|b| to_screen(origin, b))
            .collect()
    }

    /// The raw range being dragged right now, before snapping.
    pub fn dragging(&self) -> Option<std::ops::Range<usize>> {
        self.drag
            .map(|d| d.anchor.min(d.head)..d.anchor.max(d.head))
    }

    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        engine: &mut TextEngine,
        input: &ArticleInput<'_>,
        commands: &mut Vec<Command>,
    ) {
        let width = (ui.available_width() - 2.0 * MARGIN - 12.0)
            .max(120.0)
            .round();
        let params = LayoutParams {
            width,
            font_size: input.font_size,
            line_height: 2.0,
            scale: ui.ctx().pixels_per_point(),
            direction: input.direction,
        };
        self.ensure_layout(engine, input, params);
        self.ensure_geometry(input);
        self.ensure_suggestion_boxes(input);

        let scroll_to = self.scroll_to.take();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .id_salt(("article", input.doc))
            .show(ui, |ui| {
                self.body(ui, engine, input, commands, scroll_to);
            });
    }

    fn ensure_layout(
        &mut self,
        engine: &mut TextEngine,
        input: &ArticleInput<'_>,
        params: LayoutParams,
    ) {
        match &mut self.layout {
            Some((doc, layout))
                if *doc == input.doc && layout.params().direction == params.direction =>
            {
                if layout.params() != params {
                    layout.relayout(engine.fonts(), params);
                    self.layout_generation += 1;
                }
            }
            _ => {
                // Bound the word-shape cache: keep what the last two
                // documents used (labels share it and are re-cached on use).
                engine.fonts().shape_run_cache.trim(2);
                let layout = ArticleLayout::new(
                    engine.fonts(),
                    Arc::clone(input.text),
                    Arc::clone(input.index),
                    params,
                );
                self.layout = Some((input.doc, layout));
                self.layout_generation += 1;
                self.drag = None;
            }
        }
    }

    fn ensure_geometry(&mut self, input: &ArticleInput<'_>) {
        let key = (input.doc, input.spans_revision, self.layout_generation);
        if self.geometry_key == Some(key) {
            return;
        }
        let Some(layout) = self.layout() else { return };
        let lanes = assign_lanes(input.spans);
        let geometry = input
            .spans
            .iter()
            .zip(lanes)
            .map(|(span, lane)| SpanGeometry {
                id: span.id,
                color: label_color(input.schema, &span.label),
                foreign: input.own_layer.is_some_and(|own| own != span.layer),
                lane,
                boxes: layout.range_boxes(span.range.as_range()),
            })
            .collect();
        self.geometry = geometry;
        self.geometry_key = Some(key);
    }

    fn ensure_suggestion_boxes(&mut self, input: &ArticleInput<'_>) {
        let key = (
            input.doc,
            input.suggestions_revision,
            self.layout_generation,
        );
        if self.suggestion_key == Some(key) {
            return;
        }
        let Some(layout) = self.layout() else { return };
        self.suggestion_boxes = input
            .suggestions
            .iter()
            .map(|s| layout.range_boxes(s.range.as_range()))
            .collect();
        self.suggestion_key = Some(key);
    }

    fn body(
        &mut self,
        ui: &mut egui::Ui,
        engine: &mut TextEngine,
        input: &ArticleInput<'_>,
        commands: &mut Vec<Command>,
        scroll_to: Option<CharRange>,
    ) {
        let Some((_, layout)) = &self.layout else {
            return;
        };
        let size = Vec2::new(ui.available_width(), layout.height() + 2.0 * MARGIN);
        let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        let origin = rect.min + Vec2::splat(MARGIN);
        self.origin = Some(origin);
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Document, true, "Article text"));

        // Pointer → logical offsets, all through `Buffer::hit`.
        let local = |p: Pos2| (p.x - origin.x, p.y - origin.y);
        let alt = ui.input(|i| i.modifiers.alt);
        if response.drag_started() {
            let press = ui.input(|i| i.pointer.press_origin());
            if let Some(anchor) = press.and_then(|p| {
                let (x, y) = local(p);
                layout.hit_boundary(x, y)
            }) {
                self.drag = Some(Drag {
                    anchor,
                    head: anchor,
                });
            }
        }
        if response.dragged()
            && let (Some(drag), Some(pos)) = (&mut self.drag, response.interact_pointer_pos())
        {
            let (x, y) = local(pos);
            if let Some(head) = layout.hit_boundary(x, y) {
                drag.head = head;
            }
        }
        if response.drag_stopped()
            && let Some(drag) = self.drag.take()
        {
            let snapped = if alt {
                text::snap_to_graphemes(input.text, input.index, drag.anchor, drag.head)
            } else {
                text::snap_to_words(input.text, input.index, drag.anchor, drag.head)
            };
            commands.push(Command::SetSelection(snapped));
        }
        if response.double_clicked() {
            if let Some(pos) = response.interact_pointer_pos() {
                let (x, y) = local(pos);
                if let Some(c) = layout.char_at(x, y) {
                    commands.push(Command::SetSelection(text::word_at(
                        input.text,
                        input.index,
                        c,
                    )));
                }
            }
        } else if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
        {
            let (x, y) = local(pos);
            let c = layout.char_at(x, y);
            match c.and_then(|c| span_at(input, c)) {
                Some(id) => commands.push(Command::SelectSpan { id, scroll: false }),
                None => match c.and_then(|c| suggestion_at(input, c)) {
                    Some(s) => {
                        commands.push(Command::Suggest(super::suggest::SuggestCommand::Select {
                            range: s.range,
                            label: s.label.clone(),
                        }))
                    }
                    None => commands.push(Command::SetSelection(None)),
                },
            }
        }

        if let Some(range) = scroll_to
            && let Some(first) = layout.range_boxes(range.as_range()).first()
        {
            ui.scroll_to_rect(to_screen(origin, first).expand(MARGIN), Some(Align::Center));
        }

        let clip = ui.clip_rect();
        if !clip.intersects(rect) {
            return;
        }
        let painter = ui.painter_at(rect);
        let visuals = ui.visuals().clone();
        let (y0, y1) = (clip.min.y - origin.y, clip.max.y - origin.y);
        let visible = |b: &Box2| b.y1 >= y0 && b.y0 <= y1;

        // Span backgrounds: the annotator's own spans filled, other layers'
        // spans lighter with a dashed outline.
        for g in &self.geometry {
            for b in g.boxes.iter().filter(|b| visible(b)) {
                let r = to_screen(origin, b).shrink2(Vec2::new(0.0, b_height(b) * 0.12));
                if g.foreign {
                    painter.rect_filled(r, CornerRadius::same(3), g.color.gamma_multiply(0.12));
                    painter.extend(dashed_outline(r, Stroke::new(1.2, g.color)));
                } else {
                    painter.rect_filled(r, CornerRadius::same(3), g.color.gamma_multiply(0.28));
                }
            }
        }

        // Selection: the live drag, or the snapped selection.
        let selection = self
            .dragging()
            .or_else(|| input.selection.map(|s| s.as_range()));
        if let Some(range) = selection {
            let fill = visuals.selection.bg_fill.gamma_multiply(0.55);
            for b in layout.range_boxes(range).iter().filter(|b| visible(b)) {
                painter.rect_filled(to_screen(origin, b), CornerRadius::same(2), fill);
            }
        }

        let lines = layout.lines_in(y0, y1);
        engine
            .glyphs
            .paint_lines(&painter, layout, lines, origin, visuals.strong_text_color());

        // Underlines, one lane per overlap level, and the selected/flashing outline.
        let now = ui.input(|i| i.time);
        if let Some(id) = self.pending_flash.take() {
            self.flash = Some((id, now));
        }
        let flash = self.flash.filter(|(_, t)| now - t < FLASH_SECONDS);
        if flash.is_some() {
            ui.ctx().request_repaint();
        } else {
            self.flash = None;
        }
        for g in &self.geometry {
            let selected = input.selected_span == Some(g.id);
            let ring = input.emphasis.and_then(|e| e.get(&g.id)).copied();
            let flashing = flash.and_then(|(id, t)| (id == g.id).then_some(now - t));
            for b in g.boxes.iter().filter(|b| visible(b)) {
                let r = to_screen(origin, b).shrink2(Vec2::new(0.0, b_height(b) * 0.12));
                let y = r.max.y - 1.5 - 3.5 * g.lane as f32;
                painter.line_segment(
                    [Pos2::new(r.min.x + 1.0, y), Pos2::new(r.max.x - 1.0, y)],
                    Stroke::new(2.0, g.color),
                );
                if let Some(ring) = ring {
                    painter.rect_stroke(
                        r.expand(2.5),
                        CornerRadius::same(4),
                        Stroke::new(1.5, ring),
                        StrokeKind::Outside,
                    );
                }
                if selected {
                    painter.rect_stroke(
                        r.expand(1.0),
                        CornerRadius::same(3),
                        Stroke::new(2.0, visuals.strong_text_color()),
                        StrokeKind::Outside,
                    );
                }
                if let Some(age) = flashing {
                    let pulse = (1.0 - (age / FLASH_SECONDS) as f32).clamp(0.0, 1.0);
                    painter.rect_filled(
                        r,
                        CornerRadius::same(3),
                        g.color.gamma_multiply(0.5 * pulse),
                    );
                }
            }
        }
        if let Some(range) = self.pending_flash_range.take() {
            self.flash_range = Some((range, now));
        }
        if let Some((range, t)) = self.flash_range {
            let age = now - t;
            if age < FLASH_SECONDS {
                ui.ctx().request_repaint();
                let pulse = (1.0 - (age / FLASH_SECONDS) as f32).clamp(0.0, 1.0);
                let fill = visuals.selection.bg_fill.gamma_multiply(0.8 * pulse);
                for b in layout
                    .range_boxes(range.as_range())
                    .iter()
                    .filter(|b| visible(b))
                {
                    painter.rect_filled(to_screen(origin, b), CornerRadius::same(3), fill);
                }
            } else {
                self.flash_range = None;
            }
        }
        self.paint_markers(&painter, input, origin, &visible);
        self.paint_suggestions(&painter, input, origin, &visible, &visuals);
    }

    /// Suggestions: a dashed grey outline and underline with a grey tag
    /// holding the label (at the span's logical start), a solid outline
    /// for the selected one.
    fn paint_suggestions(
        &self,
        painter: &egui::Painter,
        input: &ArticleInput<'_>,
        origin: Pos2,
        visible: &dyn Fn(&Box2) -> bool,
        visuals: &egui::Visuals,
    ) {
        let grey = super::suggest::SUGGESTION_COLOR;
        let font = egui::FontId::proportional((input.font_size * 0.42).max(8.0));
        for (i, (s, boxes)) in input
            .suggestions
            .iter()
            .zip(&self.suggestion_boxes)
            .enumerate()
        {
            if !boxes.iter().any(visible) {
                continue;
            }
            let selected = input.selected_suggestion == Some(i);
            for b in boxes.iter().filter(|b| visible(b)) {
                let r = to_screen(origin, b).shrink2(Vec2::new(0.0, b_height(b) * 0.08));
                if selected {
                    painter.rect_filled(r, CornerRadius::same(3), grey.gamma_multiply(0.18));
                    painter.rect_stroke(
                        r.expand(1.0),
                        CornerRadius::same(3),
                        Stroke::new(2.0, visuals.strong_text_color()),
                        StrokeKind::Outside,
                    );
                } else {
                    painter.extend(dashed_outline(r, Stroke::new(1.0, grey)));
                }
                let y = r.max.y - 1.0;
                painter.extend(egui::Shape::dashed_line(
                    &[Pos2::new(r.min.x + 1.0, y), Pos2::new(r.max.x - 1.0, y)],
                    Stroke::new(1.5, grey),
                    3.0,
                    2.0,
                ));
            }
            let Some(layout) = self.layout() else {
                continue;
            };
            let start = s.range.start();
            let Some(first) = layout.range_boxes(start..start + 1).into_iter().next() else {
                continue;
            };
            if !visible(&first) {
                continue;
            }
            let r = to_screen(origin, &first);
            let rtl = layout
                .lines()
                .iter()
                .find(|line| line.top <= first.y0 && first.y0 < line.top + line.height)
                .is_none_or(|line| line.rtl);
            let anchor = if rtl {
                r.right_bottom()
            } else {
                r.left_bottom()
            };
            let galley =
                painter.layout_no_wrap(format!("{}?", s.label), font.clone(), Color32::WHITE);
            let pad = Vec2::new(3.0, 0.0);
            let size = galley.size() + 2.0 * pad;
            let min = if rtl {
                Pos2::new(anchor.x - size.x, anchor.y - size.y - 1.0)
            } else {
                Pos2::new(anchor.x, anchor.y - size.y - 1.0)
            };
            let tag = Rect::from_min_size(min, size);
            painter.rect_filled(tag, CornerRadius::same(3), grey.gamma_multiply(0.85));
            painter.galley(tag.min + pad, galley, Color32::WHITE);
        }
    }

    /// A small tag with the label name at the logical start of each span.
    fn paint_markers(
        &self,
        painter: &egui::Painter,
        input: &ArticleInput<'_>,
        origin: Pos2,
        visible: &dyn Fn(&Box2) -> bool,
    ) {
        let font = egui::FontId::proportional((input.font_size * 0.42).max(8.0));
        for (span, g) in input.spans.iter().zip(&self.geometry) {
            // Cheap test first: most spans of a long document are off screen.
            if !g.boxes.iter().any(visible) {
                continue;
            }
            let Some(first) = self.start_box(span, g) else {
                continue;
            };
            if !visible(first) {
                continue;
            }
            let r = to_screen(origin, first);
            let rtl = self.layout().is_none_or(|l| {
                l.lines()
                    .iter()
                    .find(|line| line.top <= first.y0 && first.y0 < line.top + line.height)
                    .is_none_or(|line| line.rtl)
            });
            let anchor = if rtl { r.right_top() } else { r.left_top() };
            let tag_text = match input.layer_names.get(&span.layer) {
                Some(layer) if g.foreign => format!("{} · {layer}", span.label),
                _ => span.label.clone(),
            };
            let galley = painter.layout_no_wrap(tag_text, font.clone(), Color32::WHITE);
            let pad = Vec2::new(3.0, 0.0);
            let size = galley.size() + 2.0 * pad;
            let min = if rtl {
                Pos2::new(anchor.x - size.x, anchor.y + 1.0)
            } else {
                Pos2::new(anchor.x, anchor.y + 1.0)
            };
            let tag = Rect::from_min_size(min, size);
            let fill = if g.foreign {
                g.color.gamma_multiply(0.75)
            } else {
                g.color
            };
            painter.rect_filled(tag, CornerRadius::same(3), fill);
            painter.galley(tag.min + pad, galley, Color32::WHITE);
        }
    }

    /// The box holding the span's first code point.
    fn start_box<'g>(&self, span: &Span, g: &'g SpanGeometry) -> Option<&'g Box2> {
        let layout = self.layout()?;
        let start = span.range.start();
        let first = layout.range_boxes(start..start + 1).into_iter().next()?;
        g.boxes
            .iter()
            .find(|b| b.y0 == first.y0 && b.x0 <= first.x0 + 0.5 && first.x1 <= b.x1 + 0.5)
            .or(g.boxes.first())
    }
}

/// A dashed rectangle outline (other layers' spans).
fn dashed_outline(r: Rect, stroke: Stroke) -> Vec<egui::Shape> {
    let corners = [
        r.left_top(),
        r.right_top(),
        r.right_bottom(),
        r.left_bottom(),
        r.left_top(),
    ];
    egui::Shape::dashed_line(&corners, stroke, 4.0, 3.0)
}

fn b_height(b: &Box2) -> f32 {
    b.y1 - b.y0
}

fn to_screen(origin: Pos2, b: &Box2) -> Rect {
    Rect::from_min_max(
        Pos2::new(origin.x + b.x0, origin.y + b.y0),
        Pos2::new(origin.x + b.x1, origin.y + b.y1),
    )
}

/// The span a click on code point `c` picks: the shortest span covering it,
/// or, when the selected span covers it, the next one covering it (so repeated
/// clicks walk through nested spans).
fn span_at(input: &ArticleInput<'_>, c: usize) -> Option<SpanId> {
    let mut covering: Vec<&Span> = input
        .spans
        .iter()
        .filter(|s| s.range.contains_offset(c))
        .collect();
    covering.sort_by_key(|s| (s.range.len(), s.range.start(), s.id));
    let current = input
        .selected_span
        .and_then(|id| covering.iter().position(|s| s.id == id));
    match current {
        Some(i) => covering.get((i + 1) % covering.len()).map(|s| s.id),
        None => covering.first().map(|s| s.id),
    }
}

/// The suggestion a click on code point `c` picks: the shortest covering it.
fn suggestion_at<'a>(input: &ArticleInput<'a>, c: usize) -> Option<&'a crate::suggest::Suggestion> {
    input
        .suggestions
        .iter()
        .filter(|s| s.range.contains_offset(c))
        .min_by_key(|s| (s.range.len(), s.range.start()))
}

/// Give every span an underline lane so that overlapping spans never share
/// one: greedy interval colouring over spans in text order.
pub fn assign_lanes(spans: &[Span]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| {
        (
            spans[i].range.start(),
            std::cmp::Reverse(spans[i].range.end()),
        )
    });
    let mut lane_end: Vec<usize> = Vec::new();
    let mut lanes = vec![0; spans.len()];
    for i in order {
        let range = spans[i].range;
        let lane = match lane_end.iter().position(|&end| end <= range.start()) {
            Some(lane) => lane,
            None => {
                lane_end.push(0);
                lane_end.len() - 1
            }
        };
        lane_end[lane] = range.end();
        lanes[i] = lane;
    }
    lanes
}

/// The colour of a label, grey for a label the schema does not know.
pub fn label_color(schema: &Schema, label: &str) -> Color32 {
    schema
        .label(label)
        .map(|l| Color32::from_rgb(l.color[0], l.color[1], l.color[2]))
        .unwrap_or(Color32::GRAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn span(id: SpanId, start: usize, end: usize) -> Span {
        Span {
            id,
            doc: 1,
            annotator: 1,
            layer: 1,
            range: CharRange::new(start, end).unwrap(),
            label: "PLACE".into(),
            text: String::new(),
            origin: Origin::Manual,
            attrs: Default::default(),
            note: String::new(),
            score: None,
            model: None,
            schema_version: None,
            source_span: None,
        }
    }

    #[test]
    fn overlapping_spans_get_distinct_lanes_and_touching_ones_share() {
        let spans = [
            span(1, 0, 10),
            span(2, 2, 5),
            span(3, 10, 12),
            span(4, 4, 8),
        ];
        let lanes = assign_lanes(&spans);
        assert_eq!(lanes[0], 0); // outer
        assert_eq!(lanes[1], 1); // nested in 1
        assert_eq!(lanes[2], 0); // touches 1: same lane is fine
        assert_ne!(lanes[3], lanes[0]);
        assert_ne!(lanes[3], lanes[1]); // overlaps both 1 and 2
    }
}
