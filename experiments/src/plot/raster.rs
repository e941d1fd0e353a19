//! The PNG canvas: plotters' bitmap backend, with text set by this module from the
//! embedded font. Each glyph is placed at its own side bearing and kerning on a common
//! baseline, in any of the four rotations, so labels read evenly; everything else is the
//! bitmap backend's own drawing.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
use std::sync::OnceLock;

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        FontRef::try_from_slice(super::canvas::FONT_BYTES)
            .expect("the embedded DejaVu Sans font is a valid TrueType font")
    })
}

/// A line of text laid out at `size` pixels: each glyph's coverage at pixel offsets from
/// the top-left corner of the line's box, and the box's size.
pub struct Layout {
    pub pixels: Vec<(i32, i32, f32)>,
    pub width: i32,
    pub height: i32,
}

/// Lays out `text` on one baseline, the box as tall as the font's ascent plus descent.
pub fn layout(text: &str, size: f64) -> Layout {
    let font = font().as_scaled(PxScale::from(size as f32));
    let ascent = font.ascent();
    let height = (ascent - font.descent()).ceil() as i32;
    let mut caret = 0.0f32;
    let mut previous = None;
    let mut pixels = Vec::new();
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            caret += font.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(font.scale(), point(caret, ascent));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, coverage| {
                if coverage > 0.0 {
                    pixels.push((x0 + x as i32, y0 + y as i32, coverage));
                }
            });
        }
        caret += font.h_advance(id);
    }
    Layout {
        pixels,
        width: caret.ceil() as i32,
        height,
    }
}

/// The bitmap backend with this module's text.
pub struct Raster<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> Raster<'a> {
    /// A canvas drawing into `buffer`, RGB rows of `size.0` pixels.
    pub fn with_buffer(buffer: &'a mut [u8], size: (u32, u32)) -> Raster<'a> {
        Raster {
            inner: BitMapBackend::with_buffer(buffer, size),
        }
    }
}

type Failure<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Failure<'a>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Failure<'a>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure<'a>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), Failure<'a>> {
        let l = layout(text, style.size());
        Ok((l.width.max(0) as u32, l.height.max(0) as u32))
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), Failure<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let l = layout(text, style.size());
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -l.width,
            HPos::Center => -l.width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -l.height / 2,
            VPos::Bottom => -l.height,
        };
        let transform = style.transform();
        for (x, y, coverage) in l.pixels {
            let (x, y) = transform.transform(x + dx, y + dy);
            self.inner.draw_pixel(
                (pos.0 + x, pos.1 + y),
                BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                },
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_as_wide_as_its_advances_and_ink_stays_in_its_box() {
        let l = layout("faults.crash.mttf.mean", 17.0);
        // DejaVu Sans averages a little over half an em per character.
        assert!((150..=230).contains(&l.width), "{}", l.width);
        assert!((17..=22).contains(&l.height), "{}", l.height);
        assert!(
            l.pixels
                .iter()
                .all(|&(x, y, _)| x >= -1 && x <= l.width + 1 && y >= 0 && y <= l.height)
        );
        assert!(layout("", 17.0).pixels.is_empty());
    }
}
