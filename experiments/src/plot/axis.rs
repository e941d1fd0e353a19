//! Axes of the figures: a scale (linear, base-10 logarithmic, or the latency tail scale
//! -log10(1 - q)), the range in plot coordinates and the ticks with their labels.
//! Figures draw in plot coordinates, so one chart type serves every scale.

/// How a value maps to a plot coordinate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log10,
    /// A quantile q at -log10(1 - q): 0.9, 0.99 and 0.999 one unit apart.
    Tail,
}

/// The largest quantile the tail scale shows.
pub const TAIL_MAX: f64 = 0.99999;

impl Scale {
    pub fn to_plot(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log10 => v.log10(),
            Scale::Tail => -(1.0 - v.min(TAIL_MAX)).log10(),
        }
    }
}

/// An axis: its label, scale, range (plot coordinates) and ticks (plot coordinate, text).
#[derive(Clone, Debug)]
pub struct Axis {
    pub label: String,
    pub scale: Scale,
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<(f64, String)>,
}

/// A step of 1, 2, 2.5 or 5 times a power of ten close to `raw`.
fn nice_step(raw: f64) -> f64 {
    let exp = raw.log10().floor();
    let base = 10f64.powf(exp);
    let m = raw / base;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 2.5 {
        2.5
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * base
}

/// A number in at most `digits` significant digits, without trailing zeros.
pub fn short_number(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            format!("{v}")
        };
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A number's text with its whole part in groups of three digits, "12,500" for "12500",
/// from 10,000 up (four digits stay as they are, "2500"); decimals stay as they are.
pub fn grouped(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if whole.len() < 5 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(fraction);
    out
}

impl Axis {
    /// A linear axis covering `[min, max]` with a 5% margin and about six round ticks.
    pub fn linear(label: &str, min: f64, max: f64) -> Axis {
        let (min, max) = if (max - min).abs() < 1e-12 * max.abs().max(1e-300) {
            let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.05 };
            (min - pad, max + pad)
        } else {
            (min, max)
        };
        let span = max - min;
        let (lo, hi) = (min - 0.05 * span, max + 0.05 * span);
        let step = nice_step(span / 6.0);
        let decimals = {
            let d = -(step.log10().floor()) as i32;
            let d = if (step / 10f64.powi(-d) - 2.5).abs() < 1e-9 {
                d + 1
            } else {
                d
            };
            d.max(0) as usize
        };
        let mut ticks = Vec::new();
        let mut k = (lo / step).ceil();
        while k * step <= hi + step * 1e-9 {
            let v = k * step;
            let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
            ticks.push((v, grouped(&format!("{v:.decimals$}"))));
            k += 1.0;
        }
        Axis {
            label: label.to_string(),
            scale: Scale::Linear,
            lo,
            hi,
            ticks,
        }
    }

    /// A linear axis from 0 to at least `max`.
    pub fn from_zero(label: &str, max: f64) -> Axis {
        let mut axis = Axis::linear(label, 0.0, if max > 0.0 { max } else { 1.0 });
        axis.lo = 0.0;
        axis.ticks.retain(|(v, _)| *v >= 0.0);
        axis
    }

    /// A base-10 logarithmic axis covering `[min, max]` (both positive), with ticks at 1,
    /// 2 and 5 times the powers of ten when it spans few decades, at the powers alone
    /// otherwise.
    pub fn log(label: &str, min: f64, max: f64) -> Axis {
        let (a, b) = (min.log10(), max.log10());
        let (a, b) = if b - a < 0.3 {
            let mid = (a + b) / 2.0;
            (mid - 0.3, mid + 0.3)
        } else {
            (a, b)
        };
        let span = b - a;
        let (lo, hi) = (a - 0.04 * span, b + 0.04 * span);
        let mantissas: &[f64] = if span <= 2.5 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let mut ticks = Vec::new();
        for e in (lo.floor() as i32)..=(hi.ceil() as i32) {
            for &m in mantissas {
                let v = m * 10f64.powi(e);
                let p = v.log10();
                if p >= lo && p <= hi {
                    ticks.push((p, grouped(&short_number(v, 3))));
                }
            }
        }
        Axis {
            label: label.to_string(),
            scale: Scale::Log10,
            lo,
            hi,
            ticks,
        }
    }

    /// A linear axis for values from `min` to `max`, or a logarithmic one when they are
    /// all positive and span more than `decades` decades.
    pub fn auto(label: &str, min: f64, max: f64, decades: f64) -> Axis {
        if min > 0.0 && (max / min).log10() > decades {
            Axis::log(label, min, max)
        } else {
            Axis::linear(label, min, max)
        }
    }

    /// The latency tail scale from the median... to `top` (a quantile below 1).
    pub fn tail(label: &str, top: f64) -> Axis {
        let hi = Scale::Tail.to_plot(top);
        let ticks = [
            (0.5, "50%"),
            (0.9, "90%"),
            (0.99, "99%"),
            (0.999, "99.9%"),
            (0.9999, "99.99%"),
            (0.99999, "99.999%"),
        ]
        .into_iter()
        .map(|(q, text)| (Scale::Tail.to_plot(q), text.to_string()))
        .filter(|(p, _)| *p <= hi + 1e-9)
        .collect();
        Axis {
            label: label.to_string(),
            scale: Scale::Tail,
            lo: 0.0,
            hi: hi * 1.03,
            ticks,
        }
    }

    /// Categories at 0, 1, 2, ...
    pub fn categories(label: &str, names: &[String]) -> Axis {
        Axis {
            label: label.to_string(),
            scale: Scale::Linear,
            lo: -0.5,
            hi: names.len() as f64 - 0.5,
            ticks: thin(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i as f64, n.clone()))
                    .collect(),
            ),
        }
    }

    /// An axis whose ticks are the given values (raw, with their text): as many as fit
    /// at least a twelfth of the axis apart, the smallest and the largest always among
    /// them.
    pub fn at_values(label: &str, scale: Scale, values: &[(f64, String)]) -> Axis {
        let mut plotted: Vec<(f64, String)> = values
            .iter()
            .map(|(v, t)| (scale.to_plot(*v), t.clone()))
            .collect();
        plotted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let min = plotted.first().map_or(0.0, |p| p.0);
        let max = plotted.last().map_or(1.0, |p| p.0);
        let span = if max > min { max - min } else { 1.0 };
        let gap = span / 12.0;
        let mut ticks: Vec<(f64, String)> = Vec::new();
        for (i, tick) in plotted.iter().enumerate() {
            let last = i + 1 == plotted.len();
            match ticks.last() {
                Some(previous) if tick.0 - previous.0 < gap => {
                    if last && ticks.len() > 1 {
                        ticks.pop();
                        ticks.push(tick.clone());
                    }
                }
                _ => ticks.push(tick.clone()),
            }
        }
        Axis {
            label: label.to_string(),
            scale,
            lo: min - 0.06 * span,
            hi: max + 0.06 * span,
            ticks,
        }
    }

    pub fn to_plot(&self, v: f64) -> f64 {
        self.scale.to_plot(v)
    }
}

/// At most twelve ticks, evenly chosen, the first and last kept.
fn thin(ticks: Vec<(f64, String)>) -> Vec<(f64, String)> {
    const MAX: usize = 12;
    if ticks.len() <= MAX {
        return ticks;
    }
    let every = ticks.len().div_ceil(MAX);
    let last = ticks.len() - 1;
    ticks
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i == last)
        .map(|(_, t)| t)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_and_cover_the_data() {
        let a = Axis::linear("a", 0.957, 0.998);
        let values: Vec<&str> = a.ticks.iter().map(|(_, t)| t.as_str()).collect();
        // A span of 0.041 over six steps is 0.0068, rounded up to 0.01; the 5% margins
        // reach from 0.955 to 1.000.
        assert_eq!(values, ["0.96", "0.97", "0.98", "0.99", "1.00"]);
        assert!(a.lo < 0.957 && a.hi > 0.998);
        let b = Axis::linear("b", 0.0, 25.0);
        assert_eq!(
            b.ticks.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
            ["0", "5", "10", "15", "20", "25"]
        );
    }

    #[test]
    fn log_ticks_sit_at_one_two_five() {
        let a = Axis::log("ms", 3.0, 80.0);
        let texts: Vec<&str> = a.ticks.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["5", "10", "20", "50"]);
        assert!((a.ticks[1].0 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_tail_scale_spaces_the_nines_evenly() {
        let s = Scale::Tail;
        assert!((s.to_plot(0.99) - 2.0).abs() < 1e-9);
        assert!((s.to_plot(0.999) - s.to_plot(0.99) - 1.0).abs() < 1e-9);
        assert_eq!(s.to_plot(0.0), 0.0);
        let a = Axis::tail("q", 0.999);
        assert_eq!(a.ticks.last().unwrap().1, "99.9%");
    }

    #[test]
    fn many_values_get_at_most_twelve_labels() {
        let values: Vec<(f64, String)> = (1..=1000).map(|i| (i as f64, i.to_string())).collect();
        let a = Axis::at_values("k", Scale::Linear, &values);
        assert!(a.ticks.len() <= 13);
        assert!(
            a.ticks
                .windows(2)
                .all(|w| w[1].0 - w[0].0 >= 999.0 / 12.0 - 1e-9)
        );
        // On a log axis the crowded top gives way to the spread bottom.
        let a = Axis::at_values("k", Scale::Log10, &values);
        assert_eq!(a.ticks.first().unwrap().1, "1");
        assert_eq!(a.ticks.last().unwrap().1, "1000");
        assert!(
            a.ticks
                .windows(2)
                .all(|w| w[1].0 - w[0].0 >= 3.0 / 12.0 - 1e-9)
        );
        assert_eq!(a.ticks.first().unwrap().1, "1");
        assert_eq!(a.ticks.last().unwrap().1, "1000");
        assert_eq!(short_number(0.020000001, 3), "0.02");
        assert_eq!(short_number(1000.0, 3), "1000");
    }

    #[test]
    fn whole_parts_from_ten_thousand_are_grouped() {
        assert_eq!(grouped("12500"), "12,500");
        assert_eq!(grouped("1234567.25"), "1,234,567.25");
        assert_eq!(grouped("-100000"), "-100,000");
        assert_eq!(grouped("2500"), "2500");
        assert_eq!(grouped("0.00012345"), "0.00012345");
        assert_eq!(grouped("inf"), "inf");
    }
}
