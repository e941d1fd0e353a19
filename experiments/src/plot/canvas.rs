//! Drawing every figure the same way: the embedded font (DejaVu Sans, so that figures
//! render on a machine without system fonts), the colour cycle, a framed chart with
//! labelled axes and ticks, markers, legends, and rendering one figure to both PNG and
//! SVG, each written atomically.

use super::axis::Axis;
use crate::output::write_atomic;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::Once;

/// The font family figures name: SVG viewers use their own sans-serif font; PNGs are set
/// in the embedded DejaVu Sans (see [`super::raster`]), also registered under this name.
pub const FONT: &str = "sans-serif";
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font once per process.
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_err() {
            panic!("the embedded DejaVu Sans font is a valid TrueType font");
        }
    });
}

/// Text sizes in pixels.
pub const TITLE: f64 = 21.0;
pub const LABEL: f64 = 17.0;
pub const TICK: f64 = 15.0;
pub const SMALL: f64 = 13.0;

pub fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// A distinct colour per index (the ten "tab10" colours), cycling.
pub fn color(i: usize) -> RGBColor {
    const TAB10: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = TAB10[i % TAB10.len()];
    RGBColor(r, g, b)
}

pub const GRID: RGBColor = RGBColor(225, 225, 225);

/// Where drawing failed, as text (plotters' errors are generic over the backend).
pub type DrawResult<T = ()> = Result<T, String>;

pub fn fail<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// A figure that can draw itself on any backend.
pub trait Figure {
    fn size(&self) -> (u32, u32) {
        (900, 560)
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// Why a figure could not be rendered or written.
#[derive(Debug)]
pub enum RenderError {
    Draw(String),
    Write(std::path::PathBuf, std::io::Error),
}

/// Draws `figure` to `dir/name.svg` and `dir/name.png`.
pub fn render(dir: &Path, name: &str, figure: &impl Figure) -> Result<(), RenderError> {
    register_font();
    let (w, h) = figure.size();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| RenderError::Draw(fail(e)))?;
        figure.draw(&area).map_err(RenderError::Draw)?;
        area.present().map_err(|e| RenderError::Draw(fail(e)))?;
    }
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let area = super::raster::Raster::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| RenderError::Draw(fail(e)))?;
        figure.draw(&area).map_err(RenderError::Draw)?;
        area.present().map_err(|e| RenderError::Draw(fail(e)))?;
    }
    let png = encode_png(&pixels, w, h).map_err(|e| RenderError::Draw(e.to_string()))?;
    let svg_path = dir.join(format!("{name}.svg"));
    write_atomic(&svg_path, svg.as_bytes()).map_err(|e| RenderError::Write(svg_path, e))?;
    let png_path = dir.join(format!("{name}.png"));
    write_atomic(&png_path, &png).map_err(|e| RenderError::Write(png_path, e))
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(out)
}

pub type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Margins of a framed chart, in pixels.
#[derive(Clone, Copy, Debug)]
pub struct Margins {
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub left: u32,
}

impl Default for Margins {
    fn default() -> Self {
        Margins {
            top: 12,
            right: 24,
            bottom: 62,
            left: 92,
        }
    }
}

/// Builds a chart on `area` with the axes' ranges, draws the frame, light grid lines at
/// the ticks, the tick labels and the axis labels.
pub fn frame<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    margins: Margins,
) -> DrawResult<Chart<'a, DB>> {
    // Room for the widest y tick label beside its tick, and the axis label beyond it.
    let mut widest = 0;
    for (_, text) in &y.ticks {
        let (w, _) = area.estimate_text_size(text, &font(TICK)).map_err(fail)?;
        widest = widest.max(w);
    }
    let label_room = if y.label.is_empty() {
        4
    } else {
        LABEL as u32 + 14
    };
    let margins = Margins {
        left: margins.left.max(widest + 8 + label_room),
        ..margins
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(margins.top)
        .margin_right(margins.right)
        .x_label_area_size(margins.bottom)
        .y_label_area_size(margins.left)
        .build_cartesian_2d(x.lo..x.hi, y.lo..y.hi)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .axis_style(BLACK.stroke_width(1))
        .draw()
        .map_err(fail)?;
    let (bx, by) = area.get_base_pixel();
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let (_, h) = area.dim_in_pixel();
    if !x.label.is_empty() {
        area.draw(&Text::new(
            x.label.clone(),
            (
                (xs.start + xs.end) / 2 - bx,
                (ys.end - by + 8 + TICK as i32 + 8).min(h as i32 - LABEL as i32 - 4),
            ),
            font(LABEL).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(fail)?;
    }
    if !y.label.is_empty() {
        area.draw(&Text::new(
            y.label.clone(),
            (6 + LABEL as i32 / 2, (ys.start + ys.end) / 2 - by),
            font(LABEL)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(fail)?;
    }
    for (t, _) in &x.ticks {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(*t, y.lo), (*t, y.hi)],
                GRID.stroke_width(1),
            )))
            .map_err(fail)?;
    }
    for (t, _) in &y.ticks {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x.lo, *t), (x.hi, *t)],
                GRID.stroke_width(1),
            )))
            .map_err(fail)?;
    }
    for (t, text) in &x.ticks {
        let (px, py) = chart.backend_coord(&(*t, y.lo));
        let (px, py) = (px - bx, py - by);
        area.draw(&PathElement::new(vec![(px, py), (px, py + 5)], BLACK))
            .map_err(fail)?;
        area.draw(&Text::new(
            text.clone(),
            (px, py + 8),
            font(TICK).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(fail)?;
    }
    for (t, text) in &y.ticks {
        let (px, py) = chart.backend_coord(&(x.lo, *t));
        let (px, py) = (px - bx, py - by);
        area.draw(&PathElement::new(vec![(px - 5, py), (px, py)], BLACK))
            .map_err(fail)?;
        area.draw(&Text::new(
            text.clone(),
            (px - 8, py),
            font(TICK).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(fail)?;
    }
    Ok(chart)
}

/// Writes a title (and a smaller line under it) at the top of `area`; returns the area
/// below them.
pub fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<&str>,
) -> DrawResult<DrawingArea<DB, Shift>> {
    let (w, _) = area.dim_in_pixel();
    area.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 10),
        font(TITLE).pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(fail)?;
    let mut used = 10 + TITLE as i32 + 6;
    if let Some(sub) = subtitle {
        area.draw(&Text::new(
            sub.to_string(),
            (w as i32 / 2, used),
            font(SMALL)
                .color(&RGBColor(80, 80, 80))
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(fail)?;
        used += SMALL as i32 + 6;
    }
    Ok(area.margin(used as u32, 0, 0, 0))
}

/// Marker shapes, cycling: circle, triangle, square, diamond, cross.
pub fn marker<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    shape: usize,
    at: (f64, f64),
    color: RGBColor,
) -> DrawResult {
    let style = color.filled();
    let result = match shape % 5 {
        0 => chart.draw_series(std::iter::once(Circle::new(at, 4, style))),
        1 => chart.draw_series(std::iter::once(TriangleMarker::new(at, 6, style))),
        2 => chart.draw_series(std::iter::once(
            EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], style),
        )),
        3 => chart.draw_series(std::iter::once(
            EmptyElement::at(at) + Polygon::new(vec![(0, -6), (6, 0), (0, 6), (-6, 0)], style),
        )),
        _ => chart.draw_series(std::iter::once(Cross::new(at, 5, color.stroke_width(2)))),
    };
    result.map(|_| ()).map_err(fail)
}

/// One legend line.
#[derive(Clone, Debug)]
pub struct LegendEntry {
    pub label: String,
    pub color: RGBColor,
    /// A marker shape, or none.
    pub marker: Option<usize>,
    /// Drawn as a filled block instead of a line.
    pub block: bool,
}

/// The width a legend of these labels needs, in pixels.
pub fn legend_width(entries: &[LegendEntry]) -> u32 {
    let longest = entries
        .iter()
        .map(|e| e.label.chars().count())
        .max()
        .unwrap_or(0);
    (44 + longest as u32 * 9).clamp(90, 300)
}

/// Draws a legend with its top-left corner at `(x, y)` of `area`.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    (x, y): (i32, i32),
) -> DrawResult {
    for (i, e) in entries.iter().enumerate() {
        let cy = y + 10 + i as i32 * 24;
        if e.block {
            area.draw(&Rectangle::new(
                [(x, cy - 7), (x + 26, cy + 7)],
                e.color.filled(),
            ))
            .map_err(fail)?;
        } else {
            area.draw(&PathElement::new(
                vec![(x, cy), (x + 26, cy)],
                e.color.stroke_width(3),
            ))
            .map_err(fail)?;
        }
        if let Some(shape) = e.marker {
            let c = (x + 13, cy);
            let style = e.color.filled();
            match shape % 5 {
                0 => area.draw(&Circle::new(c, 4, style)),
                1 => area.draw(&TriangleMarker::new(c, 6, style)),
                2 => area.draw(&Rectangle::new(
                    [(c.0 - 4, c.1 - 4), (c.0 + 4, c.1 + 4)],
                    style,
                )),
                3 => area.draw(&Polygon::new(
                    vec![
                        (c.0, c.1 - 6),
                        (c.0 + 6, c.1),
                        (c.0, c.1 + 6),
                        (c.0 - 6, c.1),
                    ],
                    style,
                )),
                _ => area.draw(&Cross::new(c, 5, e.color.stroke_width(2))),
            }
            .map_err(fail)?;
        }
        area.draw(&Text::new(
            e.label.clone(),
            (x + 34, cy),
            font(TICK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// A note in small grey type anchored at the bottom-left corner of `area`.
pub fn footnote<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> DrawResult {
    let (_, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        text.to_string(),
        (10, h as i32 - 6),
        font(SMALL)
            .color(&RGBColor(90, 90, 90))
            .pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))
    .map_err(fail)
}
