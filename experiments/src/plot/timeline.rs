//! One run over time, in three panels sharing the time axis: goodput and failures per
//! second, the latency of the successes (mean and p99 per window), and a lane per server
//! showing when it was down and when the detector suspected it, with the scripted faults
//! and the warmup shaded behind.

use super::axis::Axis;
use super::canvas::{
    Chart, DrawResult, Figure, LegendEntry, Margins, color, fail, frame, legend, titled,
};
use super::data::{TimelineData, TimelineRow};
use plotters::coord::Shift;
use plotters::prelude::*;

const DOWN: RGBColor = RGBColor(214, 39, 40);
const SUSPECTED: RGBColor = RGBColor(255, 160, 20);
const UP: RGBColor = RGBColor(200, 228, 200);
const FAULT: RGBColor = RGBColor(120, 160, 230);
const WARMUP: RGBColor = RGBColor(150, 150, 150);

pub struct TimelineFigure {
    pub title: String,
    pub data: TimelineData,
    /// Servers, from the spans and the faults (at least one lane each).
    pub servers: u32,
}

impl TimelineFigure {
    /// The windows as drawn. The run ends where its `run` spans do; a last window cut
    /// short by that end counted its requests over less time than `window_s`, so its
    /// rates are scaled up to its real length and it is drawn only that long, or, when
    /// it covers less than half a window (too few requests for a rate), it is left out.
    pub fn windows(&self) -> Vec<TimelineRow> {
        let end = self
            .data
            .spans
            .iter()
            .filter(|s| s.kind == "run")
            .map(|s| s.until_s)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut rows = Vec::with_capacity(self.data.rows.len());
        for r in &self.data.rows {
            let length = if end.is_finite() {
                (end - r.time_s).min(r.window_s)
            } else {
                r.window_s
            };
            if length >= r.window_s {
                rows.push(r.clone());
            } else if length >= r.window_s / 2.0 {
                let scale = r.window_s / length;
                rows.push(TimelineRow {
                    window_s: length,
                    goodput: r.goodput * scale,
                    failed_per_s: r.failed_per_s * scale,
                    ..r.clone()
                });
            }
        }
        rows
    }

    fn end(&self) -> f64 {
        let windows = self
            .data
            .rows
            .iter()
            .map(|r| r.time_s + r.window_s)
            .fold(0.0, f64::max);
        self.data
            .spans
            .iter()
            .map(|s| s.until_s)
            .fold(windows, f64::max)
    }

    /// Shades the warmup and the scripted faults over the whole height of a chart.
    fn shade<DB: DrawingBackend>(&self, chart: &mut Chart<'_, DB>, y: &Axis) -> DrawResult {
        for s in &self.data.spans {
            let shade = match s.kind.as_str() {
                "warmup" | "drain" => WARMUP.mix(0.16),
                "fault" => FAULT.mix(0.20),
                _ => continue,
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(s.from_s, y.lo), (s.until_s, y.hi)],
                    shade.filled(),
                )))
                .map_err(fail)?;
        }
        Ok(())
    }
}

impl Figure for TimelineFigure {
    fn size(&self) -> (u32, u32) {
        (900, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let faults: Vec<String> = {
            let mut seen: Vec<String> = Vec::new();
            for s in self.data.spans.iter().filter(|s| s.kind == "fault") {
                let text = match s.server {
                    Some(server) => format!("{} on server-{server}", s.detail),
                    None => format!("{} on all servers", s.detail),
                };
                if !seen.contains(&text) {
                    seen.push(text);
                }
            }
            seen
        };
        let subtitle = if faults.is_empty() {
            "grey: warmup, and the drain after requests stop".to_string()
        } else {
            format!(
                "grey: warmup and drain; blue: scripted faults ({})",
                faults.join(", ")
            )
        };
        let area = titled(root, &self.title, Some(&subtitle))?;
        let (w, h) = area.dim_in_pixel();
        let legend_w = 150u32;
        let panels = area.split_by_breakpoints(Vec::<u32>::new(), [h * 34 / 100, h * 62 / 100]);
        let end = self.end().max(1e-9);
        let time = |label: &str| {
            let mut x = Axis::linear(label, 0.0, end);
            x.lo = 0.0;
            x.hi = end;
            x.ticks.retain(|(t, _)| *t >= 0.0 && *t <= end);
            x
        };
        let margins = |bottom: u32| Margins {
            top: 8,
            right: 24 + legend_w,
            bottom,
            left: 92,
        };
        let legend_x = w as i32 - legend_w as i32 - 4;

        // Goodput and failures.
        let rows = &self.windows();
        let top = rows
            .iter()
            .map(|r| r.goodput.max(r.failed_per_s))
            .fold(0.0, f64::max);
        let y = Axis::from_zero("requests/s", top * 1.05);
        let mut chart = frame(&panels[0], &time(""), &y, margins(34))?;
        self.shade(&mut chart, &y)?;
        let steps = |value: &dyn Fn(&super::data::TimelineRow) -> Option<f64>| {
            let mut points = Vec::new();
            for r in rows.iter() {
                if let Some(v) = value(r) {
                    points.push((r.time_s, v));
                    points.push((r.time_s + r.window_s, v));
                }
            }
            points
        };
        chart
            .draw_series(LineSeries::new(
                steps(&|r| Some(r.goodput)),
                color(0).stroke_width(2),
            ))
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new(
                steps(&|r| Some(r.failed_per_s)),
                DOWN.stroke_width(2),
            ))
            .map_err(fail)?;
        legend(
            &panels[0],
            &[
                LegendEntry {
                    label: "ok (goodput)".into(),
                    color: color(0),
                    marker: None,
                    block: false,
                },
                LegendEntry {
                    label: "failed".into(),
                    color: DOWN,
                    marker: None,
                    block: false,
                },
            ],
            (legend_x, 8),
        )?;

        // Latency.
        let values: Vec<f64> = rows
            .iter()
            .flat_map(|r| [r.latency_mean_ms, r.latency_p99_ms])
            .flatten()
            .filter(|v| *v > 0.0)
            .collect();
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let y = if values.is_empty() {
            Axis::linear("latency (ms)", 0.0, 1.0)
        } else {
            Axis::auto("latency (ms)", lo, hi, 1.0)
        };
        let mut chart = frame(&panels[1], &time(""), &y, margins(34))?;
        self.shade(&mut chart, &y)?;
        // Segments break where a window had no success.
        for pick in [true, false] {
            let c = if pick { color(1) } else { color(4) };
            let mut segment: Vec<(f64, f64)> = Vec::new();
            let mut segments = Vec::new();
            for r in rows.iter() {
                let v = if pick {
                    r.latency_p99_ms
                } else {
                    r.latency_mean_ms
                };
                match v.filter(|v| *v > 0.0) {
                    Some(v) => {
                        let p = y.to_plot(v);
                        segment.push((r.time_s, p));
                        segment.push((r.time_s + r.window_s, p));
                    }
                    None => segments.push(std::mem::take(&mut segment)),
                }
            }
            segments.push(segment);
            for s in segments.into_iter().filter(|s| !s.is_empty()) {
                chart
                    .draw_series(LineSeries::new(s, c.stroke_width(2)))
                    .map_err(fail)?;
            }
        }
        legend(
            &panels[1],
            &[
                LegendEntry {
                    label: "p99".into(),
                    color: color(1),
                    marker: None,
                    block: false,
                },
                LegendEntry {
                    label: "mean".into(),
                    color: color(4),
                    marker: None,
                    block: false,
                },
            ],
            (legend_x, 8),
        )?;

        // Server lanes.
        let names: Vec<String> = (0..self.servers).map(|s| format!("server-{s}")).collect();
        let mut y = Axis::categories("", &names);
        // Server 0 at the top.
        y.ticks = y
            .ticks
            .iter()
            .map(|(p, t)| (self.servers as f64 - 1.0 - p, t.clone()))
            .collect();
        let lane = |s: u32| self.servers as f64 - 1.0 - s as f64;
        let mut chart = frame(&panels[2], &time("time (s)"), &y, margins(56))?;
        for s in 0..self.servers {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, lane(s) - 0.32), (end, lane(s) + 0.32)],
                    UP.filled(),
                )))
                .map_err(fail)?;
        }
        for s in &self.data.spans {
            let (shade, half) = match s.kind.as_str() {
                "warmup" | "drain" => (WARMUP.mix(0.16), None),
                "fault" => (FAULT.mix(0.35), s.server.map(|_| 0.46)),
                "down" => (DOWN.mix(1.0), Some(0.32)),
                _ => continue,
            };
            let (lo, hi) = match (s.server, half) {
                (Some(server), Some(half)) => (lane(server) - half, lane(server) + half),
                _ => (y.lo, y.hi),
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(s.from_s, lo), (s.until_s, hi)],
                    shade.filled(),
                )))
                .map_err(fail)?;
        }
        for s in self.data.spans.iter().filter(|s| s.kind == "suspected") {
            if let Some(server) = s.server {
                // At least a pixel or two wide, so that short suspicions show.
                let until = s.until_s.max(s.from_s + end / 600.0);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (s.from_s, lane(server) - 0.13),
                            (until, lane(server) + 0.13),
                        ],
                        SUSPECTED.filled(),
                    )))
                    .map_err(fail)?;
            }
        }
        legend(
            &panels[2],
            &[
                LegendEntry {
                    label: "up".into(),
                    color: UP,
                    marker: None,
                    block: true,
                },
                LegendEntry {
                    label: "down".into(),
                    color: DOWN,
                    marker: None,
                    block: true,
                },
                LegendEntry {
                    label: "suspected".into(),
                    color: SUSPECTED,
                    marker: None,
                    block: true,
                },
            ],
            (legend_x, 8),
        )?;
        Ok(())
    }
}
