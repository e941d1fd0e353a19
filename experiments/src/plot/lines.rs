//! A metric's mean against an x axis, a line per series with its 95% confidence band (or,
//! for a series of one point, the point with its interval as a whisker).

use super::axis::Axis;
use super::canvas::{
    DrawResult, Figure, LegendEntry, Margins, fail, footnote, frame, legend, legend_width, marker,
    titled,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A point in plot coordinates: its mean and, when known, its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub mean: f64,
    pub ci: Option<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub marker: usize,
    /// In increasing x.
    pub points: Vec<Point>,
    /// Each run's value (plot coordinates) where replications are few: drawn as a strip
    /// of small dots just right of its point, so that a bimodal cell shows beside its
    /// mean. Empty for none.
    pub strip: Vec<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub struct LinesFigure {
    pub title: String,
    pub subtitle: Option<String>,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    /// Whether to draw a legend naming the series.
    pub legend: bool,
    /// Whether to mark each point (curves of many points go without).
    pub markers: bool,
    pub note: Option<String>,
}

impl LinesFigure {
    fn legend_entries(&self) -> Vec<LegendEntry> {
        self.series
            .iter()
            .map(|s| LegendEntry {
                label: s.label.clone(),
                color: s.color,
                marker: self.markers.then_some(s.marker),
                block: false,
            })
            .collect()
    }
}

impl Figure for LinesFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = titled(root, &self.title, self.subtitle.as_deref())?;
        let entries = self.legend_entries();
        let legend_w = if self.legend {
            legend_width(&entries)
        } else {
            0
        };
        let mut margins = Margins {
            right: 24 + legend_w,
            ..Margins::default()
        };
        if self.note.is_some() {
            margins.bottom += 18;
        }
        let mut chart = frame(&area, &self.x, &self.y, margins)?;
        for s in &self.series {
            // Bands over each run of consecutive points with an interval.
            for run in s.points.split(|p| p.ci.is_none()) {
                if run.len() < 2 {
                    continue;
                }
                let mut outline: Vec<(f64, f64)> = run
                    .iter()
                    .map(|p| (p.x, p.ci.expect("split on none").1))
                    .collect();
                outline.extend(
                    run.iter()
                        .rev()
                        .map(|p| (p.x, p.ci.expect("split on none").0)),
                );
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        s.color.mix(0.12).filled(),
                    )))
                    .map_err(fail)?;
                // Each band's edges in its colour, so that overlapping bands stay apart
                // where their fills blend.
                for edge in [1, 0] {
                    let pick = |p: &Point| {
                        let (lo, hi) = p.ci.expect("split on none");
                        (p.x, if edge == 1 { hi } else { lo })
                    };
                    chart
                        .draw_series(LineSeries::new(
                            run.iter().map(pick),
                            s.color.mix(0.55).stroke_width(1),
                        ))
                        .map_err(fail)?;
                }
            }
        }
        for s in &self.series {
            if s.points.len() >= 2 {
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().map(|p| (p.x, p.mean)),
                        s.color.stroke_width(2),
                    ))
                    .map_err(fail)?;
            } else if let Some(Point {
                x,
                ci: Some((lo, hi)),
                ..
            }) = s.points.first()
            {
                let stroke = s.color.stroke_width(2);
                chart
                    .draw_series([PathElement::new(vec![(*x, *lo), (*x, *hi)], stroke)])
                    .map_err(fail)?;
                for end in [*lo, *hi] {
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((*x, end))
                                + PathElement::new(vec![(-9, 0), (9, 0)], stroke),
                        ))
                        .map_err(fail)?;
                }
            }
            // The strip: each strategy's a few pixels further right, so strips of the
            // strategies at one x stand side by side.
            let dx = 8 + 6 * (s.marker as i32 % 8);
            for &(x, y) in &s.strip {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((x, y))
                            + Circle::new((dx, 0), 2, s.color.mix(0.55).filled()),
                    ))
                    .map_err(fail)?;
            }
            // Markers only where they stay apart: a few dozen points at most.
            if (self.markers && s.points.len() <= 40) || s.points.len() == 1 {
                for p in &s.points {
                    marker(&mut chart, s.marker, (p.x, p.mean), s.color)?;
                }
            }
        }
        if self.legend {
            let (w, _) = area.dim_in_pixel();
            legend(&area, &entries, (w as i32 - legend_w as i32 - 4, 16))?;
        }
        if let Some(note) = &self.note {
            footnote(root, note)?;
        }
        Ok(())
    }
}
