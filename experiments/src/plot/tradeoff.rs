//! The failure detectors' trade-off: mean detection time against the rate of false
//! suspicions, a point per (strategy, cell) with both 95% intervals as whiskers, each
//! point named by its cell's sweep values when there is a sweep.

use super::axis::Axis;
use super::canvas::{
    DrawResult, Figure, LegendEntry, Margins, SMALL, fail, font, footnote, frame, legend,
    legend_width, marker, titled,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Clone, Debug)]
pub struct TradeoffPoint {
    pub x: f64,
    pub x_ci: Option<(f64, f64)>,
    pub y: f64,
    pub y_ci: Option<(f64, f64)>,
    /// The cell's sweep values, empty without a sweep.
    pub tag: String,
}

#[derive(Clone, Debug)]
pub struct TradeoffSeries {
    pub label: String,
    pub color: RGBColor,
    pub marker: usize,
    pub points: Vec<TradeoffPoint>,
}

#[derive(Clone, Debug)]
pub struct TradeoffFigure {
    pub title: String,
    pub subtitle: Option<String>,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<TradeoffSeries>,
    pub note: Option<String>,
}

/// A position in pixels.
pub type Pixel = (i32, i32);

/// A point's label: where its point is (pixels), the tags it names, its colour.
struct Label<'a> {
    at: (i32, i32),
    tags: Vec<&'a str>,
    color: RGBColor,
}

/// The top-left corners of labels of sizes `(w, h)` next to their points `at` (pixels), in
/// order, so that no two overlap: each takes the first free place of above right, below
/// right, above left and below left of its point (6 pixels off), then of places stacked
/// further above and below on the right, up to four label heights; with none free (a
/// crowd no figure here has), the first.
pub fn place_labels(labels: &[(Pixel, (u32, u32))]) -> Vec<Pixel> {
    const GAP: i32 = 6;
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::with_capacity(labels.len());
    let mut corners = Vec::with_capacity(labels.len());
    for &((px, py), (w, h)) in labels {
        let (w, h) = (w as i32, h as i32);
        let mut candidates = vec![
            (px + GAP, py - GAP - h),
            (px + GAP, py + GAP),
            (px - GAP - w, py - GAP - h),
            (px - GAP - w, py + GAP),
        ];
        for k in 1..=4 {
            candidates.push((px + GAP, py - GAP - h - k * (h + 2)));
            candidates.push((px + GAP, py + GAP + k * (h + 2)));
        }
        let free = |&(x, y): &(i32, i32)| {
            placed
                .iter()
                .all(|&(x0, y0, x1, y1)| x + w < x0 || x > x1 || y + h < y0 || y > y1)
        };
        let corner = candidates
            .iter()
            .copied()
            .find(free)
            .unwrap_or(candidates[0]);
        placed.push((corner.0, corner.1, corner.0 + w, corner.1 + h));
        corners.push(corner);
    }
    corners
}

impl Figure for TradeoffFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = titled(root, &self.title, self.subtitle.as_deref())?;
        let entries: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.label.clone(),
                color: s.color,
                marker: Some(s.marker),
                block: false,
            })
            .collect();
        let legend_w = legend_width(&entries);
        let mut margins = Margins {
            right: 24 + legend_w,
            ..Margins::default()
        };
        if self.note.is_some() {
            margins.bottom += 18;
        }
        let mut chart = frame(&area, &self.x, &self.y, margins)?;
        let (bx, by) = area.get_base_pixel();
        let mut labels: Vec<Label> = Vec::new();
        for s in &self.series {
            let stroke = s.color.mix(0.7).stroke_width(1);
            for p in &s.points {
                if let Some((lo, hi)) = p.x_ci {
                    chart
                        .draw_series([PathElement::new(vec![(lo, p.y), (hi, p.y)], stroke)])
                        .map_err(fail)?;
                }
                if let Some((lo, hi)) = p.y_ci {
                    chart
                        .draw_series([PathElement::new(vec![(p.x, lo), (p.x, hi)], stroke)])
                        .map_err(fail)?;
                }
                marker(&mut chart, s.marker, (p.x, p.y), s.color)?;
            }
            // Points within a few pixels of each other share one label.
            for p in s.points.iter().filter(|p| !p.tag.is_empty()) {
                let at = chart.backend_coord(&(p.x, p.y));
                match labels.iter_mut().find(|l| {
                    l.color == s.color && (l.at.0 - at.0).abs() <= 12 && (l.at.1 - at.1).abs() <= 12
                }) {
                    Some(l) => l.tags.push(&p.tag),
                    None => labels.push(Label {
                        at,
                        tags: vec![&p.tag],
                        color: s.color,
                    }),
                }
            }
        }
        let style = font(SMALL);
        let mut sizes = Vec::with_capacity(labels.len());
        for l in &labels {
            let (w, h) = area
                .estimate_text_size(&l.tags.join(" / "), &style)
                .map_err(fail)?;
            sizes.push((l.at, (w, h)));
        }
        for (l, (x, y)) in labels.iter().zip(place_labels(&sizes)) {
            area.draw(&Text::new(
                l.tags.join(" / "),
                (x - bx, y - by),
                font(SMALL)
                    .color(&l.color)
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            ))
            .map_err(fail)?;
        }
        let (w, _) = area.dim_in_pixel();
        legend(&area, &entries, (w as i32 - legend_w as i32 - 4, 16))?;
        if let Some(note) = &self.note {
            footnote(root, note)?;
        }
        Ok(())
    }
}
