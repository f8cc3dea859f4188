//! Drawing cosmic-text layouts with egui: a glyph atlas in an egui texture, and
//! a small cached widget for Arabic strings outside the article.
//!
//! egui 0.37 has no bidi, so any text that may hold Arabic (article, span
//! texts, titles, label names) is laid out by [`crate::layout`] and painted
//! here: each glyph is rasterised once by cosmic-text's `SwashCache` at the
//! physical pixel size, packed into one atlas texture, and the visible lines are
//! drawn as a single textured [`egui::Mesh`] tinted with the wanted colour.
//! Nothing here shapes text per frame: layouts are cached by their callers
//! (the article view) or by [`TextEngine::label`] keyed on text, size and width.

use std::collections::HashMap;
use std::sync::Arc;

use cosmic_text::{CacheKey, FontSystem, SwashCache, SwashContent};
use egui::{Color32, ColorImage, Mesh, Pos2, Rect, Sense, TextureHandle, TextureOptions, Vec2};

use crate::fonts;
use crate::layout::{ArticleLayout, LayoutParams, VisualLine};
use crate::model::Direction;
use crate::text::OffsetIndex;

/// Side of the square atlas texture, in pixels.
const ATLAS_SIDE: usize = 2048;
/// Frames a cached label may go unused before it is dropped.
const LABEL_TTL_FRAMES: u64 = 120;

#[derive(Clone, Copy)]
struct AtlasEntry {
    uv: Rect,
    left: i32,
    top: i32,
    width: u32,
    height: u32,
    /// Colour bitmaps (emoji) are drawn untinted.
    color: bool,
}

/// Rasterised glyphs packed into one egui texture with a shelf packer.
struct GlyphAtlas {
    texture: Option<TextureHandle>,
    entries: HashMap<CacheKey, Option<AtlasEntry>>,
    swash: SwashCache,
    cursor: [usize; 2],
    row_height: usize,
}

impl GlyphAtlas {
    fn new() -> Self {
        Self {
            texture: None,
            entries: HashMap::new(),
            swash: SwashCache::new(),
            cursor: [1, 1],
            row_height: 0,
        }
    }

    fn texture(&mut self, ctx: &egui::Context) -> &mut TextureHandle {
        self.texture.get_or_insert_with(|| {
            ctx.load_texture(
                "tawsim-glyph-atlas",
                ColorImage::filled([ATLAS_SIDE, ATLAS_SIDE], Color32::TRANSPARENT),
                TextureOptions::LINEAR,
            )
        })
    }

    fn clear(&mut self, ctx: &egui::Context) {
        self.entries.clear();
        self.cursor = [1, 1];
        self.row_height = 0;
        if let Some(texture) = &mut self.texture {
            texture.set(
                ColorImage::filled([ATLAS_SIDE, ATLAS_SIDE], Color32::TRANSPARENT),
                TextureOptions::LINEAR,
            );
        }
        ctx.request_repaint();
    }

    /// The atlas entry for a glyph, rasterising and uploading it on first use.
    fn entry(
        &mut self,
        ctx: &egui::Context,
        fonts: &mut FontSystem,
        key: CacheKey,
    ) -> Option<AtlasEntry> {
        if let Some(entry) = self.entries.get(&key) {
            return *entry;
        }
        let entry = self.rasterise(ctx, fonts, key);
        self.entries.insert(key, entry);
        entry
    }

    fn rasterise(
        &mut self,
        ctx: &egui::Context,
        fonts: &mut FontSystem,
        key: CacheKey,
    ) -> Option<AtlasEntry> {
        let image = self.swash.get_image_uncached(fonts, key)?;
        let (w, h) = (
            image.placement.width as usize,
            image.placement.height as usize,
        );
        if w == 0 || h == 0 || w + 2 > ATLAS_SIDE || h + 2 > ATLAS_SIDE {
            return None;
        }
        let (pixels, color) = match image.content {
            SwashContent::Mask => (
                image
                    .data
                    .iter()
                    .map(|&a| Color32::from_rgba_premultiplied(a, a, a, a))
                    .collect::<Vec<_>>(),
                false,
            ),
            SwashContent::Color => (
                image
                    .data
                    .chunks_exact(4)
                    .map(|p| Color32::from_rgba_unmultiplied(p[0], p[1], p[2], p[3]))
                    .collect(),
                true,
            ),
            SwashContent::SubpixelMask => (
                image
                    .data
                    .chunks_exact(4)
                    .map(|p| {
                        let a = ((u16::from(p[0]) + u16::from(p[1]) + u16::from(p[2])) / 3) as u8;
                        Color32::from_rgba_premultiplied(a, a, a, a)
                    })
                    .collect(),
                false,
            ),
        };
        if pixels.len() != w * h {
            return None;
        }
        if self.cursor[0] + w + 1 > ATLAS_SIDE {
            self.cursor = [1, self.cursor[1] + self.row_height + 1];
            self.row_height = 0;
        }
        if self.cursor[1] + h + 1 > ATLAS_SIDE {
            // Full: start again. Glyphs already queued this frame may show
            // wrong for one frame; the repaint fixes them.
            self.clear(ctx);
        }
        let pos = self.cursor;
        self.cursor[0] += w + 1;
        self.row_height = self.row_height.max(h);
        let texture = self.texture(ctx);
        texture.set_partial(pos, ColorImage::new([w, h], pixels), TextureOptions::LINEAR);
        let side = ATLAS_SIDE as f32;
        Some(AtlasEntry {
            uv: Rect::from_min_size(
                Pos2::new(pos[0] as f32 / side, pos[1] as f32 / side),
                Vec2::new(w as f32 / side, h as f32 / side),
            ),
            left: image.placement.left,
            top: image.placement.top,
            width: image.placement.width,
            height: image.placement.height,
            color,
        })
    }
}

#[derive(Hash, PartialEq, Eq)]
struct LabelKey {
    text: String,
    size: u32,
    width: u32,
    scale: u32,
}

struct CachedLabel {
    layout: ArticleLayout,
    last_used: u64,
}

/// The embedded fonts and the glyph atlas: everything needed to paint a layout.
pub struct GlyphPainter {
    pub fonts: FontSystem,
    atlas: GlyphAtlas,
}

impl GlyphPainter {
    /// Paint `lines` of `layout` with its top-left corner at `origin`.
    ///
    /// The origin is snapped to the physical pixel grid, so glyphs rasterised
    /// at the layout's scale land on whole pixels and stay sharp.
    pub fn paint_lines(
        &mut self,
        painter: &egui::Painter,
        layout: &ArticleLayout,
        lines: &[VisualLine],
        origin: Pos2,
        color: Color32,
    ) {
        let glyphs = lines
            .iter()
            .flat_map(|line| &layout.glyphs()[line.glyphs.clone()])
            .map(|g| (g.key, g.px, g.py));
        self.paint_glyphs(painter, glyphs, layout.params().scale, origin, color);
    }

    /// Paint glyphs given as (rasteriser key, pen x, pen y), the pen in
    /// physical pixels at `scale` relative to `origin` (a point position,
    /// snapped to the pixel grid like [`GlyphPainter::paint_lines`]).
    pub fn paint_glyphs(
        &mut self,
        painter: &egui::Painter,
        glyphs: impl IntoIterator<Item = (CacheKey, i32, i32)>,
        scale: f32,
        origin: Pos2,
        color: Color32,
    ) {
        let ctx = painter.ctx();
        let ox = (origin.x * scale).round();
        let oy = (origin.y * scale).round();
        let texture_id = self.atlas.texture(ctx).id();
        let mut mesh = Mesh::with_texture(texture_id);
        for (key, px, py) in glyphs {
            let Some(entry) = self.atlas.entry(ctx, &mut self.fonts, key) else {
                continue;
            };
            let x = ox + (px + entry.left) as f32;
            let y = oy + (py - entry.top) as f32;
            let rect = Rect::from_min_size(
                Pos2::new(x / scale, y / scale),
                Vec2::new(entry.width as f32 / scale, entry.height as f32 / scale),
            );
            let tint = if entry.color { Color32::WHITE } else { color };
            mesh.add_rect_with_uv(rect, entry.uv, tint);
        }
        painter.add(egui::Shape::mesh(mesh));
    }
}

/// The app's one text engine: fonts and atlas, plus the cache of small shaped
/// labels.
pub struct TextEngine {
    pub glyphs: GlyphPainter,
    labels: HashMap<LabelKey, CachedLabel>,
    frame: u64,
}

impl Default for TextEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl TextEngine {
    pub fn new() -> Self {
        Self {
            glyphs: GlyphPainter {
                fonts: fonts::font_system(),
                atlas: GlyphAtlas::new(),
            },
            labels: HashMap::new(),
            frame: 0,
        }
    }

    pub fn fonts(&mut self) -> &mut FontSystem {
        &mut self.glyphs.fonts
    }

    /// Call once per frame: ages the label cache.
    pub fn begin_frame(&mut self) {
        self.frame += 1;
        if self.frame.is_multiple_of(LABEL_TTL_FRAMES) {
            let frame = self.frame;
            self.labels
                .retain(|_, label| frame - label.last_used < LABEL_TTL_FRAMES);
        }
    }

    /// A widget showing `text` shaped, with bidi, in `color`, at most the
    /// available width wide (longer text wraps).
    pub fn label(
        &mut self,
        ui: &mut egui::Ui,
        text: &str,
        size: f32,
        color: Color32,
        sense: Sense,
    ) -> egui::Response {
        let max_width = ui.available_width().max(8.0).round();
        let scale = ui.ctx().pixels_per_point();
        let key = LabelKey {
            text: text.to_owned(),
            size: size.to_bits(),
            width: max_width.to_bits(),
            scale: scale.to_bits(),
        };
        let frame = self.frame;
        let fonts = &mut self.glyphs.fonts;
        let cached = self.labels.entry(key).or_insert_with(|| {
            let text: Arc<str> = Arc::from(text);
            let index = Arc::new(OffsetIndex::new(&text));
            let params = LayoutParams {
                width: max_width,
                font_size: size,
                line_height: 1.45,
                scale,
                direction: Direction::Auto,
            };
            CachedLabel {
                layout: ArticleLayout::new(fonts, text, index, params),
                last_used: frame,
            }
        });
        cached.last_used = frame;
        let layout = &cached.layout;
        let (min_x, max_x) = content_extent(layout);
        let size = Vec2::new((max_x - min_x).max(0.0), layout.height());
        let (rect, response) = ui.allocate_exact_size(size, sense);
        if ui.is_rect_visible(rect) {
            let origin = Pos2::new(rect.min.x - min_x, rect.min.y);
            self.glyphs
                .paint_lines(ui.painter(), layout, layout.lines(), origin, color);
        }
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, ui.is_enabled(), text));
        response
    }
}

/// Leftmost and rightmost glyph edges of a layout.
fn content_extent(layout: &ArticleLayout) -> (f32, f32) {
    let mut min_x = f32::MAX;
    let mut max_x = f32::MIN;
    for glyph in layout.glyphs() {
        min_x = min_x.min(glyph.x);
        max_x = max_x.max(glyph.x + glyph.w);
    }
    if min_x > max_x {
        (0.0, 0.0)
    } else {
        (min_x, max_x)
    }
}
