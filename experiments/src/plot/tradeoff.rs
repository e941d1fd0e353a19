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
            let mut labels: Vec<((i32, i32), Vec<&str>)> = Vec::new();
            for p in s.points.iter().filter(|p| !p.tag.is_empty()) {
                let at = chart.backend_coord(&(p.x, p.y));
                match labels
                    .iter_mut()
                    .find(|(q, _)| (q.0 - at.0).abs() <= 12 && (q.1 - at.1).abs() <= 12)
                {
                    Some((_, tags)) => tags.push(&p.tag),
                    None => labels.push((at, vec![&p.tag])),
                }
            }
            for ((px, py), tags) in labels {
                area.draw(&Text::new(
                    tags.join(" / "),
                    (px - bx + 7, py - by - 4),
                    font(SMALL)
                        .color(&s.color)
                        .pos(Pos::new(HPos::Left, VPos::Bottom)),
                ))
                .map_err(fail)?;
            }
        }
        let (w, _) = area.dim_in_pixel();
        legend(&area, &entries, (w as i32 - legend_w as i32 - 4, 16))?;
        if let Some(note) = &self.note {
            footnote(root, note)?;
        }
        Ok(())
    }
}
