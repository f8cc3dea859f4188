//! Laying out an article with cosmic-text: shaping, UAX #9 bidi, line breaking,
//! and the mapping between screen points and logical code-point offsets.
//!
//! An [`ArticleLayout`] owns a cosmic-text [`Buffer`] wrapped at a width, plus a
//! flat table of the laid-out glyphs, each with the stored code points it came
//! from. From it come everything the article view needs: which visual lines are
//! visible, where each glyph sits (in physical pixels, for sharp rasterising),
//! the rectangles that cover a code-point range (selection and span
//! backgrounds), and pointer → offset mapping through [`Buffer::hit`].
//!
//! The stored text is never changed. Each paragraph (split at every bidi class B
//! character by [`crate::text::paragraphs`]) becomes one buffer line; to force a
//! paragraph direction, the *display* copy of the line starts with U+200F (RLM) or
//! U+200E (LRM), and every byte offset coming back from cosmic-text is shifted by
//! that prefix before it is mapped to a code point through the document's
//! [`OffsetIndex`]. Coordinates are in points with the origin at the top left of
//! the text block; this module knows nothing of egui.

use std::ops::Range;
use std::sync::Arc;

use cosmic_text::{
    Affinity, Attrs, AttrsList, Buffer, BufferLine, CacheKey, Family, FontSystem, LineEnding,
    Metrics, Shaping, Wrap,
};
use unicode_segmentation::UnicodeSegmentation;

use crate::fonts::ARABIC_FAMILY;
use crate::model::Direction;
use crate::text::{OffsetIndex, Paragraph, paragraphs};

/// What a layout depends on besides the text. A change of any field means a
/// new layout (width and font size only re-wrap; the shaping is kept).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutParams {
    /// Wrap width in points.
    pub width: f32,
    /// Font size in points.
    pub font_size: f32,
    /// Line height as a multiple of the font size.
    pub line_height: f32,
    /// Physical pixels per point (glyphs are rasterised at this scale).
    pub scale: f32,
    /// Paragraph base direction.
    pub direction: Direction,
}

impl Default for LayoutParams {
    fn default() -> Self {
        Self {
            width: 600.0,
            font_size: 20.0,
            line_height: 2.0,
            scale: 1.0,
            direction: Direction::Rtl,
        }
    }
}

/// An axis-aligned box in points, relative to the layout's top-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Box2 {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Box2 {
    pub fn center(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    pub fn contains(&self, x: f32, y: f32) -> bool {
        self.x0 <= x && x <= self.x1 && self.y0 <= y && y <= self.y1
    }
}

/// One laid-out glyph: where it is and which stored code points it shows.
#[derive(Debug, Clone)]
pub struct GlyphBox {
    /// Left edge of the glyph's hit box, in points.
    pub x: f32,
    /// Width of the hit box, in points.
    pub w: f32,
    /// The stored code points of the glyph's cluster (a ligature such as
    /// lam-alef covers several).
    pub chars: Range<usize>,
    /// Rasteriser key at the layout's scale.
    pub key: CacheKey,
    /// Pen position in physical pixels relative to the layout origin.
    pub px: i32,
    pub py: i32,
    /// True for glyphs inside a right-to-left run.
    pub rtl: bool,
}

/// One visual (wrapped) line.
#[derive(Debug, Clone)]
pub struct VisualLine {
    /// Top of the line box, in points.
    pub top: f32,
    /// Height of the line box, in points.
    pub height: f32,
    /// Baseline, in points.
    pub baseline: f32,
    /// Index of the paragraph this line belongs to.
    pub para: usize,
    /// Index range into [`ArticleLayout::glyphs`], in visual order (left to right).
    pub glyphs: Range<usize>,
    /// Smallest and one past the largest stored code point shown on this line.
    pub chars: Range<usize>,
    /// True when the paragraph runs right to left.
    pub rtl: bool,
}

/// A shaped, wrapped article. See the module docs.
pub struct ArticleLayout {
    text: Arc<str>,
    index: Arc<OffsetIndex>,
    paras: Vec<Paragraph>,
    /// Byte length of the direction mark in front of each display line.
    prefix: usize,
    params: LayoutParams,
    buffer: Buffer,
    lines: Vec<VisualLine>,
    glyphs: Vec<GlyphBox>,
    height: f32,
    max_line_width: f32,
}

impl ArticleLayout {
    /// Shape and wrap `text`. `index` must be the offset index of the same text.
    pub fn new(
        fonts: &mut FontSystem,
        text: Arc<str>,
        index: Arc<OffsetIndex>,
        params: LayoutParams,
    ) -> Self {
        let paras = paragraphs(&text);
        let mark = match params.direction {
            Direction::Rtl => "\u{200F}",
            Direction::Ltr => "\u{200E}",
            Direction::Auto => "",
        };
        let mut buffer = Buffer::new_empty(metrics(&params));
        buffer.set_wrap(Wrap::WordOrGlyph);
        buffer.set_size(Some(params.width.max(1.0)), None);
        let attrs = Attrs::new().family(Family::Name(ARABIC_FAMILY));
        for para in &paras {
            let mut line = String::with_capacity(mark.len() + para.bytes.len());
            line.push_str(mark);
            line.push_str(&text[para.bytes.clone()]);
            buffer.lines.push(BufferLine::new(
                line,
                LineEnding::Lf,
                AttrsList::new(&attrs),
                Shaping::Advanced,
            ));
        }
        let mut layout = Self {
            text,
            index,
            paras,
            prefix: mark.len(),
            params,
            buffer,
            lines: Vec::new(),
            glyphs: Vec::new(),
            height: 0.0,
            max_line_width: 0.0,
        };
        layout.rebuild(fonts);
        layout
    }

    /// Re-wrap for a new width, font size, line height or scale, keeping the
    /// shaping. A new direction needs [`ArticleLayout::new`].
    pub fn relayout(&mut self, fonts: &mut FontSystem, params: LayoutParams) {
        debug_assert_eq!(params.direction, self.params.direction);
        if params == self.params {
            return;
        }
        self.params = params;
        self.buffer.set_metrics(metrics(&params));
        self.buffer.set_size(Some(params.width.max(1.0)), None);
        self.rebuild(fonts);
    }

    fn rebuild(&mut self, fonts: &mut FontSystem) {
        self.buffer.shape_until_scroll(fonts, false);
        self.lines.clear();
        self.glyphs.clear();
        self.glyphs.reserve(self.index.char_len());
        let scale = self.params.scale;
        let mut height: f32 = 0.0;
        let mut max_w: f32 = 0.0;
        // Code point of every byte of the current display line, so mapping a
        // glyph's bytes to stored offsets is a lookup, not a search.
        let mut local: Vec<u32> = Vec::new();
        let mut local_para = usize::MAX;
        let prefix_chars = usize::from(self.prefix > 0);
        for run in self.buffer.layout_runs() {
            let para = &self.paras[run.line_i];
            if local_para != run.line_i {
                local_para = run.line_i;
                local.clear();
                local.resize(run.text.len() + 1, 0);
                let mut n = 0u32;
                for (b, ch) in run.text.char_indices() {
                    local[b..b + ch.len_utf8()].fill(n);
                    n += 1;
                }
                local[run.text.len()] = n;
            }
            let to_char = |b: usize| {
                let c = local.get(b).copied().unwrap_or(0) as usize;
                (para.chars.start + c.saturating_sub(prefix_chars)).min(para.chars.end)
            };
            let first = self.glyphs.len();
            let (mut lo, mut hi) = (usize::MAX, 0);
            let baseline_px = (run.line_y * scale).round();
            for glyph in run.glyphs {
                let start = to_char(glyph.start);
                let end = to_char(glyph.end);
                if start >= end {
                    // The direction mark, or another empty cluster.
                    continue;
                }
                lo = lo.min(start);
                hi = hi.max(end);
                let physical = glyph.physical((0.0, baseline_px), scale);
                self.glyphs.push(GlyphBox {
                    x: glyph.x,
                    w: glyph.w,
                    chars: start..end,
                    key: physical.cache_key,
                    px: physical.x,
                    py: physical.y,
                    rtl: glyph.level.is_rtl(),
                });
            }
            let chars = if lo > hi {
                para.chars.start..para.chars.start
            } else {
                lo..hi
            };
            self.lines.push(VisualLine {
                top: run.line_top,
                height: run.line_height,
                baseline: run.line_y,
                para: run.line_i,
                glyphs: first..self.glyphs.len(),
                chars,
                rtl: run.rtl,
            });
            height = height.max(run.line_top + run.line_height);
            max_w = max_w.max(run.line_w);
        }
        self.height = height;
        self.max_line_width = max_w;
    }

    /// Map a byte offset in display line `line` to a stored code-point offset.
    fn display_to_char(&self, line: usize, display_byte: usize) -> usize {
        let para = &self.paras[line];
        let local = display_byte.saturating_sub(self.prefix);
        let byte = (para.bytes.start + local).min(para.bytes.end);
        self.index.char_containing_byte(byte)
    }

    pub fn params(&self) -> LayoutParams {
        self.params
    }

    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    pub fn index(&self) -> &Arc<OffsetIndex> {
        &self.index
    }

    /// Total height of the laid-out text, in points.
    pub fn height(&self) -> f32 {
        self.height
    }

    /// Width of the widest visual line, in points.
    pub fn max_line_width(&self) -> f32 {
        self.max_line_width
    }

    pub fn lines(&self) -> &[VisualLine] {
        &self.lines
    }

    pub fn glyphs(&self) -> &[GlyphBox] {
        &self.glyphs
    }

    /// The visual lines that intersect the vertical band `y0..y1`.
    pub fn lines_in(&self, y0: f32, y1: f32) -> &[VisualLine] {
        let first = self.lines.partition_point(|l| l.top + l.height <= y0);
        let last = self.lines.partition_point(|l| l.top < y1);
        &self.lines[first..last.max(first)]
    }

    /// The caret position (a code-point boundary) nearest to a point, through
    /// cosmic-text's [`Buffer::hit`].
    pub fn hit_boundary(&self, x: f32, y: f32) -> Option<usize> {
        self.hit(x, y).map(|(offset, _)| offset)
    }

    /// The stored code point under a point, if the point is on a glyph.
    ///
    /// `Buffer::hit` gives a caret position and which side of it was hit; the
    /// character is the one on that side. Within a ligature cluster the width is
    /// shared evenly between its graphemes (the same rule `hit` uses).
    pub fn char_at(&self, x: f32, y: f32) -> Option<usize> {
        let (offset, affinity) = self.hit(x, y)?;
        let c = match affinity {
            Affinity::After => offset,
            Affinity::Before => offset.checked_sub(1)?,
        };
        if c >= self.index.char_len() {
            return None;
        }
        let inside = self.range_boxes(c..c + 1).iter().any(|b| b.contains(x, y));
        inside.then_some(c)
    }

    fn hit(&self, x: f32, y: f32) -> Option<(usize, Affinity)> {
        let cursor = self.buffer.hit(x, y)?;
        if cursor.line >= self.paras.len() {
            return None;
        }
        Some((
            self.display_to_char(cursor.line, cursor.index),
            cursor.affinity,
        ))
    }

    /// Boxes covering the stored code points `range`, one per contiguous visual
    /// stretch on each line (a range crossing a bidi boundary gives several).
    pub fn range_boxes(&self, range: Range<usize>) -> Vec<Box2> {
        let mut out = Vec::new();
        if range.start >= range.end {
            return out;
        }
        let first = self.lines.partition_point(|l| l.chars.end <= range.start);
        for line in &self.lines[first..] {
            if line.chars.start >= range.end {
                break;
            }
            let mut open: Option<(f32, f32)> = None;
            for glyph in &self.glyphs[line.glyphs.clone()] {
                if glyph.chars.end <= range.start || glyph.chars.start >= range.end {
                    if let Some((x0, x1)) = open.take() {
                        out.push(line_box(line, x0, x1));
                    }
                    continue;
                }
                for (gx0, gx1, hit) in self.grapheme_cells(glyph, &range) {
                    if hit {
                        open = Some(match open {
                            Some((x0, x1)) => (x0.min(gx0), x1.max(gx1)),
                            None => (gx0, gx1),
                        });
                    } else if let Some((x0, x1)) = open.take() {
                        out.push(line_box(line, x0, x1));
                    }
                }
            }
            if let Some((x0, x1)) = open.take() {
                out.push(line_box(line, x0, x1));
            }
        }
        out.retain(|b| b.width() > 0.0);
        out
    }

    /// Split a glyph's width evenly between the graphemes of its cluster, in
    /// logical order from the glyph's left edge (cosmic-text's convention, so
    /// boxes and [`Buffer::hit`] agree), marking those inside `range`.
    fn grapheme_cells(&self, glyph: &GlyphBox, range: &Range<usize>) -> Vec<(f32, f32, bool)> {
        if glyph.chars.len() == 1 {
            let hit = range.contains(&glyph.chars.start);
            return vec![(glyph.x, glyph.x + glyph.w, hit)];
        }
        let (Some(b0), Some(b1)) = (
            self.index.byte_of_char(glyph.chars.start),
            self.index.byte_of_char(glyph.chars.end),
        ) else {
            return Vec::new();
        };
        let cluster = &self.text[b0..b1];
        let bounds: Vec<usize> = cluster
            .grapheme_indices(true)
            .map(|(i, g)| {
                let start = self.index.char_containing_byte(b0 + i);
                (start, start + g.chars().count())
            })
            .map(|(s, _)| s)
            .chain(std::iter::once(glyph.chars.end))
            .collect();
        let n = bounds.len() - 1;
        let w = glyph.w / n.max(1) as f32;
        (0..n)
            .map(|i| {
                let (s, e) = (bounds[i], bounds[i + 1]);
                let hit = s < range.end && range.start < e;
                let x0 = glyph.x + w * i as f32;
                (x0, x0 + w, hit)
            })
            .collect()
    }
}

fn line_box(line: &VisualLine, x0: f32, x1: f32) -> Box2 {
    Box2 {
        x0,
        y0: line.top,
        x1,
        y1: line.top + line.height,
    }
}

fn metrics(params: &LayoutParams) -> Metrics {
    Metrics::new(params.font_size, params.font_size * params.line_height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::font_system;

    fn layout(text: &str, params: LayoutParams) -> ArticleLayout {
        let mut fonts = font_system();
        let text: Arc<str> = Arc::from(text);
        let index = Arc::new(OffsetIndex::new(&text));
        ArticleLayout::new(&mut fonts, text, index, params)
    }

    #[test]
    fn arabic_paragraph_runs_right_to_left_even_when_it_starts_with_digits_or_latin() {
        for text in ["إدلب مدينة", "2017 إدلب", "Idlib إدلب"] {
            let l = layout(text, LayoutParams::default());
            assert!(l.lines()[0].rtl, "{text}");
            // The first logical character sits to the right of the last one.
            let first = l.range_boxes(0..1)[0];
            let n = text.chars().count();
            let last = l.range_boxes(n - 1..n)[0];
            assert!(first.x0 > last.x0, "{text}: {first:?} vs {last:?}");
        }
    }

    #[test]
    fn digits_inside_arabic_keep_their_order() {
        // «19» must read 1 then 9, left to right, inside a right-to-left line.
        let text = "قتل 19 مدنياً";
        let l = layout(text, LayoutParams::default());
        let one = text.chars().position(|c| c == '1').unwrap();
        let b1 = l.range_boxes(one..one + 1)[0];
        let b9 = l.range_boxes(one + 1..one + 2)[0];
        assert!(b1.x0 < b9.x0, "1 at {b1:?}, 9 at {b9:?}");
    }

    #[test]
    fn ltr_setting_forces_left_to_right() {
        let params = LayoutParams {
            direction: Direction::Ltr,
            ..LayoutParams::default()
        };
        let l = layout("إدلب مدينة", params);
        assert!(!l.lines()[0].rtl);
    }
}
