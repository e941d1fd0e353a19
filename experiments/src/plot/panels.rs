//! Small multiples: a grid of panels of one kind under one title, one legend for all, so
//! that a sweep of two keys or a CDF per cell reads as one figure instead of a tangle of
//! twenty lines or a folder of twelve files. Panels share their axes: what differs
//! between them is the data, never the scale.

use super::canvas::{DrawResult, Figure, LegendEntry, footnote, legend, legend_width, titled};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The most panels a figure draws.
pub const MAX_PANELS: usize = 16;

#[derive(Clone, Debug)]
pub struct PanelsFigure<F> {
    pub title: String,
    pub subtitle: Option<String>,
    /// In reading order, left to right, then top to bottom.
    pub panels: Vec<F>,
    pub legend: Vec<LegendEntry>,
    pub note: Option<String>,
}

/// The size of one panel, in pixels.
const PANEL: (u32, u32) = (440, 300);

impl<F> PanelsFigure<F> {
    /// Columns of the grid: two, or one for a single panel.
    fn cols(&self) -> usize {
        self.panels.len().clamp(1, 2)
    }

    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.cols()).max(1)
    }
}

impl<F: Figure> Figure for PanelsFigure<F> {
    fn size(&self) -> (u32, u32) {
        let legend_w = legend_width(&self.legend);
        let header = 60;
        let footer = if self.note.is_some() { 24 } else { 6 };
        (
            PANEL.0 * self.cols() as u32 + legend_w + 16,
            header + PANEL.1 * self.rows() as u32 + footer,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let area = titled(root, &self.title, self.subtitle.as_deref())?;
        let legend_w = legend_width(&self.legend) + 16;
        let (w, _) = area.dim_in_pixel();
        let footer = if self.note.is_some() { 24 } else { 6 };
        let (grid, side) = area.split_horizontally(w.saturating_sub(legend_w));
        let grid = grid.margin(0, footer, 0, 0);
        let cells = grid.split_evenly((self.rows(), self.cols()));
        for (panel, cell) in self.panels.iter().zip(&cells) {
            panel.draw(cell)?;
        }
        legend(&side, &self.legend, (4, 16))?;
        if let Some(note) = &self.note {
            footnote(root, note)?;
        }
        Ok(())
    }
}
