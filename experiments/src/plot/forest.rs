//! The paired difference to the baseline as a forest plot: a row per (cell, strategy)
//! other than the first strategy, its mean difference with its 95% interval as a
//! horizontal whisker, and the line of no difference at 0. Rows whose interval excludes 0
//! (significant at 5%) are starred. This is the figure that separates strategies when the
//! spread between replications swamps the difference of their means.

use super::axis::{Axis, Scale};
use super::canvas::{
    DrawResult, Figure, LegendEntry, Margins, TICK, fail, font, footnote, frame, legend,
    legend_width, marker, titled,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One row: a (cell, strategy)'s difference to the baseline in the same cell.
#[derive(Clone, Debug)]
pub struct ForestRow {
    /// The cell's sweep values (empty without a sweep) and the strategy.
    pub label: String,
    /// The strategy's index, for its colour and marker.
    pub strategy: usize,
    pub mean: f64,
    pub ci: Option<(f64, f64)>,
}

impl ForestRow {
    /// Whether the interval excludes 0.
    pub fn significant(&self) -> bool {
        super::data::excludes_zero(self.ci)
    }
}

#[derive(Clone, Debug)]
pub struct ForestFigure {
    pub title: String,
    pub subtitle: Option<String>,
    pub x: Axis,
    pub rows: Vec<ForestRow>,
    pub legend: Vec<LegendEntry>,
    pub note: Option<String>,
}

/// Pixels per row, and the most rows one figure draws.
const ROW: u32 = 24;
pub const MAX_ROWS: usize = 40;

impl ForestFigure {
    /// The x axis of the differences: linear, always showing 0.
    pub fn axis(label: &str, rows: &[ForestRow]) -> Axis {
        let (lo, hi) = rows
            .iter()
            .flat_map(|r| {
                let (lo, hi) = r.ci.unwrap_or((r.mean, r.mean));
                [r.mean, lo, hi]
            })
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        Axis::linear(label, lo, hi)
    }

    fn y_axis(&self) -> Axis {
        let n = self.rows.len();
        Axis {
            label: String::new(),
            scale: Scale::Linear,
            lo: -0.5,
            hi: n as f64 - 0.5,
            // The first row at the top.
            ticks: self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let star = if r.significant() { " *" } else { "" };
                    ((n - 1 - i) as f64, format!("{}{star}", r.label))
                })
                .collect(),
        }
    }
}

impl Figure for ForestFigure {
    fn size(&self) -> (u32, u32) {
        (900, (150 + ROW * self.rows.len() as u32).max(320))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = titled(root, &self.title, self.subtitle.as_deref())?;
        let y = self.y_axis();
        let style = font(TICK);
        let mut label_w = 0;
        for (_, text) in &y.ticks {
            let (w, _) = area.estimate_text_size(text, &style).map_err(fail)?;
            label_w = label_w.max(w);
        }
        let legend_w = legend_width(&self.legend);
        let margins = Margins {
            left: (label_w + 24).clamp(60, 420),
            right: 24 + legend_w,
            bottom: 62 + if self.note.is_some() { 18 } else { 0 },
            ..Margins::default()
        };
        let mut chart = frame(&area, &self.x, &y, margins)?;
        chart
            .draw_series([PathElement::new(
                vec![(0.0, y.lo), (0.0, y.hi)],
                BLACK.mix(0.6).stroke_width(1),
            )])
            .map_err(fail)?;
        let n = self.rows.len();
        for (i, r) in self.rows.iter().enumerate() {
            let at = (n - 1 - i) as f64;
            let color = super::canvas::color(r.strategy);
            if let Some((lo, hi)) = r.ci {
                let stroke = color.stroke_width(2);
                chart
                    .draw_series([PathElement::new(vec![(lo, at), (hi, at)], stroke)])
                    .map_err(fail)?;
                for end in [lo, hi] {
                    chart
                        .draw_series([PathElement::new(
                            vec![(end, at - 0.18), (end, at + 0.18)],
                            stroke,
                        )])
                        .map_err(fail)?;
                }
            }
            marker(&mut chart, r.strategy, (r.mean, at), color)?;
        }
        let (w, _) = area.dim_in_pixel();
        legend(&area, &self.legend, (w as i32 - legend_w as i32 - 4, 16))?;
        if let Some(note) = &self.note {
            footnote(root, note)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mean: f64, ci: Option<(f64, f64)>) -> ForestRow {
        ForestRow {
            label: "r".into(),
            strategy: 1,
            mean,
            ci,
        }
    }

    #[test]
    fn a_row_is_significant_only_when_its_interval_excludes_zero() {
        assert!(row(0.5, Some((0.1, 0.9))).significant());
        assert!(row(-0.5, Some((-0.9, -0.1))).significant());
        assert!(!row(0.5, Some((-0.1, 0.9))).significant());
        assert!(!row(0.0, Some((0.0, 0.0))).significant());
        assert!(!row(0.5, None).significant());
    }

    #[test]
    fn the_axis_always_shows_zero() {
        let a = ForestFigure::axis("d", &[row(2.0, Some((1.0, 3.0)))]);
        assert!(a.lo < 0.0 && a.hi > 3.0, "{a:?}");
        let b = ForestFigure::axis("d", &[row(-2.0, Some((-3.0, -1.0)))]);
        assert!(b.lo < -3.0 && b.hi > 0.0, "{b:?}");
    }
}
