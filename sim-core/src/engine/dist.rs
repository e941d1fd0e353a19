//! Distributions of durations (service, network delay, think time, time to failure and to
//! repair), built from one config shape: `{ dist = "<name>", <parameters> }`.
//!
//! `constant {value}`, `uniform {min,max}`, `exponential {mean}`, `normal {mean,sd}`
//! (truncated at 0 by rejection, so every draw is a true sample of the truncated law),
//! `lognormal {median,p99}`, `pareto {scale,shape}`, `weibull {scale,shape}`,
//! `empirical {file, column?, unit?}` (draws uniformly among the file's values). A bare
//! duration string is shorthand for `constant`. Parameters are validated when built: a
//! bad one is a [`ConfigError`] naming the key, never a panic at sampling time.

use crate::config::{ConfigError, Section, ValueKind, quoted_list, suggestion};
use crate::engine::math;
use crate::engine::rng::SimRng;
use crate::engine::time::SimDuration;
use rand::RngExt;
use rand_distr::{Distribution, Exp1, StandardNormal};
use std::fmt;
use std::sync::Arc;

/// z such that Φ(z) = 0.99, to turn a lognormal's p99 into its sigma.
const Z99: f64 = 2.326_347_874_040_841;

/// A distribution over non-negative durations. Parameters are held in seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant {
        value: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Exponential {
        mean: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        median: f64,
        p99: f64,
        mu: f64,
        sigma: f64,
    },
    Pareto {
        scale: f64,
        shape: f64,
    },
    Weibull {
        scale: f64,
        shape: f64,
    },
    Empirical {
        file: String,
        samples: Arc<[f64]>,
    },
}

/// Names accepted by `dist = "..."`.
pub const DIST_NAMES: [&str; 8] = [
    "constant",
    "uniform",
    "exponential",
    "normal",
    "lognormal",
    "pareto",
    "weibull",
    "empirical",
];

impl Dist {
    pub fn constant(d: SimDuration) -> Dist {
        Dist::Constant {
            value: d.as_secs_f64(),
        }
    }

    pub fn exponential(mean: SimDuration) -> Dist {
        Dist::Exponential {
            mean: mean.as_secs_f64(),
        }
    }

    /// Draws one duration.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        SimDuration::from_secs_f64(self.sample_secs(rng))
    }

    /// Draws one value in seconds.
    pub fn sample_secs(&self, rng: &mut SimRng) -> f64 {
        match self {
            Dist::Constant { value } => *value,
            Dist::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Dist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            Dist::Normal { mean, sd } => loop {
                let z: f64 = StandardNormal.sample(rng);
                let x = mean + sd * z;
                if x >= 0.0 {
                    break x;
                }
            },
            Dist::LogNormal { mu, sigma, .. } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Pareto { scale, shape } => {
                // Inversion: scale * U^(-1/shape), U in (0, 1].
                let u: f64 = 1.0 - rng.random::<f64>();
                scale * u.powf(-1.0 / shape)
            }
            Dist::Weibull { scale, shape } => {
                let u: f64 = 1.0 - rng.random::<f64>();
                scale * (-u.ln()).powf(1.0 / shape)
            }
            Dist::Empirical { samples, .. } => samples[rng.random_range(0..samples.len())],
        }
    }

    /// The exact mean in seconds, or `None` where it is infinite (Pareto with shape <= 1)
    /// or beyond a float (Weibull with a tiny shape).
    pub fn mean(&self) -> Option<f64> {
        let mean = match self {
            Dist::Constant { value } => Some(*value),
            Dist::Uniform { min, max } => Some(0.5 * (min + max)),
            Dist::Exponential { mean } => Some(*mean),
            Dist::Normal { mean, sd } => {
                // Mean of N(mean, sd) truncated to [0, inf): mean + sd * φ(α) / (1 - Φ(α)).
                let alpha = -mean / sd;
                Some(mean + sd * math::normal_pdf(alpha) / (1.0 - math::normal_cdf(alpha)))
            }
            Dist::LogNormal { mu, sigma, .. } => Some((mu + 0.5 * sigma * sigma).exp()),
            Dist::Pareto { scale, shape } => (*shape > 1.0).then(|| shape * scale / (shape - 1.0)),
            Dist::Weibull { scale, shape } => Some(scale * math::gamma(1.0 + 1.0 / shape)),
            Dist::Empirical { samples, .. } => {
                Some(samples.iter().sum::<f64>() / samples.len() as f64)
            }
        };
        mean.filter(|m| m.is_finite())
    }

    /// The second moment E\[X²\] in seconds², where finite (Pollaczek-Khinchine needs it).
    pub fn second_moment(&self) -> Option<f64> {
        let moment = match self {
            Dist::Constant { value } => Some(value * value),
            Dist::Uniform { min, max } => Some((min * min + min * max + max * max) / 3.0),
            Dist::Exponential { mean } => Some(2.0 * mean * mean),
            Dist::Normal { .. } => None,
            Dist::LogNormal { mu, sigma, .. } => Some((2.0 * mu + 2.0 * sigma * sigma).exp()),
            Dist::Pareto { scale, shape } => {
                (*shape > 2.0).then(|| shape * scale * scale / (shape - 2.0))
            }
            Dist::Weibull { scale, shape } => Some(scale * scale * math::gamma(1.0 + 2.0 / shape)),
            Dist::Empirical { samples, .. } => {
                Some(samples.iter().map(|x| x * x).sum::<f64>() / samples.len() as f64)
            }
        };
        moment.filter(|m| m.is_finite())
    }

    /// True when every draw is the same value (lets the engine skip the random stream).
    pub fn is_constant(&self) -> bool {
        matches!(self, Dist::Constant { .. })
    }

    /// The distribution with every draw multiplied by `factor` (a slow server, say).
    pub fn scaled(&self, factor: f64) -> Dist {
        match self {
            Dist::Constant { value } => Dist::Constant {
                value: value * factor,
            },
            Dist::Uniform { min, max } => Dist::Uniform {
                min: min * factor,
                max: max * factor,
            },
            Dist::Exponential { mean } => Dist::Exponential {
                mean: mean * factor,
            },
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: mean * factor,
                sd: sd * factor,
            },
            Dist::LogNormal {
                median,
                p99,
                mu,
                sigma,
            } => Dist::LogNormal {
                median: median * factor,
                p99: p99 * factor,
                mu: mu + factor.ln(),
                sigma: *sigma,
            },
            Dist::Pareto { scale, shape } => Dist::Pareto {
                scale: scale * factor,
                shape: *shape,
            },
            Dist::Weibull { scale, shape } => Dist::Weibull {
                scale: scale * factor,
                shape: *shape,
            },
            Dist::Empirical { file, samples } => Dist::Empirical {
                file: file.clone(),
                samples: samples.iter().map(|x| x * factor).collect(),
            },
        }
    }

    /// Reads the distribution at key `name` of `sec`; `None` if the key is absent.
    pub fn read(sec: &Section, name: &str) -> Result<Option<Dist>, ConfigError> {
        let Some(value) = sec.get(name) else {
            return Ok(None);
        };
        match &value.kind {
            ValueKind::Str(_) => {
                let d: SimDuration = sec.req(name).map_err(|e| ConfigError {
                    message: format!("{} or a distribution table like {{ dist = \"exponential\", mean = \"10ms\" }}", e.message),
                    ..e
                })?;
                Ok(Some(Dist::constant(d)))
            }
            ValueKind::Table(_) => {
                let t = sec.table(name)?.expect("the key holds a table");
                Dist::from_section(&t).map(Some)
            }
            _ => Err(sec.error(
                name,
                format!(
                    "expected a distribution like {{ dist = \"exponential\", mean = \"10ms\" }} or a duration string, got {} ({})",
                    value.type_name(),
                    value.to_config_text()
                ),
            )),
        }
    }

    /// Reads a required distribution.
    pub fn req(sec: &Section, name: &str) -> Result<Dist, ConfigError> {
        Dist::read(sec, name)?.ok_or_else(|| {
            sec.missing(
                name,
                "a distribution like { dist = \"exponential\", mean = \"10ms\" }",
            )
        })
    }

    /// Builds a distribution from its own table (`dist` plus parameters).
    pub fn from_section(t: &Section) -> Result<Dist, ConfigError> {
        let name: String = match t.opt::<String>("dist")? {
            Some(n) => n,
            None => {
                return Err(t.error_here(format!(
                    "a distribution needs `dist = ...`, one of {}",
                    quoted_list(&DIST_NAMES)
                )));
            }
        };
        let secs = |key: &str| -> Result<f64, ConfigError> {
            Ok(t.req::<SimDuration>(key)?.as_secs_f64())
        };
        let positive_secs = |key: &str| -> Result<f64, ConfigError> {
            Ok(t.positive_duration(key, None)?.as_secs_f64())
        };
        let dist = match name.as_str() {
            "constant" => Dist::Constant {
                value: secs("value")?,
            },
            "uniform" => {
                let (min, max) = (secs("min")?, secs("max")?);
                if max < min {
                    return Err(t.error("max", "expected a duration of at least `min`"));
                }
                Dist::Uniform { min, max }
            }
            "exponential" => Dist::Exponential {
                mean: positive_secs("mean")?,
            },
            "normal" => Dist::Normal {
                mean: positive_secs("mean")?,
                sd: positive_secs("sd")?,
            },
            "lognormal" => {
                let median = positive_secs("median")?;
                let p99 = positive_secs("p99")?;
                if p99 <= median {
                    return Err(t.error("p99", "expected a duration longer than `median`"));
                }
                let mu = median.ln();
                Dist::LogNormal {
                    median,
                    p99,
                    mu,
                    sigma: (p99.ln() - mu) / Z99,
                }
            }
            "pareto" => Dist::Pareto {
                scale: positive_secs("scale")?,
                shape: t.positive_f64("shape", None)?,
            },
            "weibull" => Dist::Weibull {
                scale: positive_secs("scale")?,
                shape: t.positive_f64("shape", None)?,
            },
            "empirical" => {
                let file: String = t.req("file")?;
                let column: Option<String> = t.opt("column")?;
                let unit: Option<String> = t.opt("unit")?;
                let unit_ns = match &unit {
                    None => None,
                    Some(u) => Some(
                        SimDuration::parse(&format!("1{u}"))
                            .map_err(|_| {
                                t.error(
                                    "unit",
                                    format!("expected a unit like \"ms\" or \"s\", got \"{u}\""),
                                )
                            })?
                            .as_secs_f64(),
                    ),
                };
                let path = t.source().resolve(&file);
                let samples = load_empirical(&path, column.as_deref(), unit_ns)
                    .map_err(|why| t.error("file", format!("{}: {why}", path.display())))?;
                Dist::Empirical {
                    file,
                    samples: samples.into(),
                }
            }
            other => {
                let hint = suggestion(other, DIST_NAMES.iter().copied());
                return Err(t.error(
                    "dist",
                    format!(
                        "unknown distribution \"{other}\"; expected one of {}{hint}",
                        quoted_list(&DIST_NAMES)
                    ),
                ));
            }
        };
        let known: &[&str] = match name.as_str() {
            "constant" => &["dist", "value"],
            "uniform" => &["dist", "min", "max"],
            "exponential" => &["dist", "mean"],
            "normal" => &["dist", "mean", "sd"],
            "lognormal" => &["dist", "median", "p99"],
            "pareto" | "weibull" => &["dist", "scale", "shape"],
            _ => &["dist", "file", "column", "unit"],
        };
        t.finish_known(known)?;
        Ok(dist)
    }

    /// The distribution as config text, e.g. `{ dist = "exponential", mean = "10ms" }`.
    pub fn to_config(&self) -> String {
        let d = |secs: f64| format!("\"{}\"", SimDuration::from_secs_f64(secs));
        match self {
            Dist::Constant { value } => format!("{{ dist = \"constant\", value = {} }}", d(*value)),
            Dist::Uniform { min, max } => format!(
                "{{ dist = \"uniform\", min = {}, max = {} }}",
                d(*min),
                d(*max)
            ),
            Dist::Exponential { mean } => {
                format!("{{ dist = \"exponential\", mean = {} }}", d(*mean))
            }
            Dist::Normal { mean, sd } => format!(
                "{{ dist = \"normal\", mean = {}, sd = {} }}",
                d(*mean),
                d(*sd)
            ),
            Dist::LogNormal { median, p99, .. } => {
                format!(
                    "{{ dist = \"lognormal\", median = {}, p99 = {} }}",
                    d(*median),
                    d(*p99)
                )
            }
            Dist::Pareto { scale, shape } => format!(
                "{{ dist = \"pareto\", scale = {}, shape = {shape} }}",
                d(*scale)
            ),
            Dist::Weibull { scale, shape } => format!(
                "{{ dist = \"weibull\", scale = {}, shape = {shape} }}",
                d(*scale)
            ),
            Dist::Empirical { file, .. } => format!("{{ dist = \"empirical\", file = {file:?} }}"),
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_config())
    }
}

/// Reads the values of an empirical distribution: one per line, in the first column or
/// the named one (the file then needs a header). A value is a duration string ("12ms") or
/// a bare number in `unit_secs` seconds. Returns values in seconds.
///
/// Without `column`, the first line is a header only when its first field is a name: it
/// starts with a letter, an underscore or a quote and is not a number (`nan` and `inf` are
/// numbers). Any other first line is a value like every later one, and an invalid one is
/// an error at line 1, never silently skipped as a header.
fn load_empirical(
    path: &std::path::Path,
    column: Option<&str>,
    unit_secs: Option<f64>,
) -> Result<Vec<f64>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read it ({})", crate::config::describe_io(&e)))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .peekable();
    let mut index = 0usize;
    if let Some(&(n, first)) = lines.peek() {
        let fields: Vec<&str> = first.split(',').map(str::trim).collect();
        match column {
            Some(name) => {
                index = fields.iter().position(|f| *f == name).ok_or_else(|| {
                    format!(
                        "line {}: no column named \"{name}\" in the header {first:?}",
                        n + 1
                    )
                })?;
                lines.next();
            }
            None => {
                if is_header_field(fields[0]) {
                    lines.next();
                }
            }
        }
    }
    let mut samples = Vec::new();
    for (n, line) in lines {
        let field = line
            .split(',')
            .nth(index)
            .map(str::trim)
            .ok_or_else(|| format!("line {}: has no column {}", n + 1, index + 1))?;
        let v = parse_sample(field, unit_secs).map_err(|why| format!("line {}: {why}", n + 1))?;
        samples.push(v);
    }
    if samples.is_empty() {
        return Err("it holds no values".to_string());
    }
    Ok(samples)
}

/// Whether the first field of a file's first line names a column rather than holds a
/// value: it starts with a letter, `_` or `"`, and does not read as a number.
fn is_header_field(field: &str) -> bool {
    field
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '"')
        && field.parse::<f64>().is_err()
}

fn parse_sample(field: &str, unit_secs: Option<f64>) -> Result<f64, String> {
    let longest = SimDuration::MAX.as_secs_f64();
    if let Ok(x) = field.parse::<f64>() {
        let unit = unit_secs.ok_or_else(|| {
            format!("value `{field}` has no unit; add `unit = \"ms\"` (or another unit) to the distribution or write `{field}ms`")
        })?;
        if !(x.is_finite() && x >= 0.0) {
            return Err(format!("value `{field}` is not a non-negative number"));
        }
        if x * unit > longest {
            return Err(format!(
                "value `{field}` is longer than the longest duration, {} days (simulated time is a 64-bit count of nanoseconds)",
                (longest / 86_400.0).floor()
            ));
        }
        return Ok(x * unit);
    }
    SimDuration::parse(field)
        .map(|d| d.as_secs_f64())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Source, Table, Value, s, table};
    use crate::engine::rng::{Purpose, RngFactory};

    fn build(entries: &[(&str, Value)]) -> Result<Dist, ConfigError> {
        let mut root = Table::new();
        root.insert("d".into(), table(entries));
        let src = Source::inline();
        let sec = Section::new(&root, "service", None, &src);
        Dist::req(&sec, "d")
    }

    /// Sample mean over n draws and the tolerance: 5 standard errors of the mean, so a
    /// correct sampler fails with probability below 1e-6.
    fn check_mean(d: &Dist, sd: f64) {
        let n = 200_000;
        let mut rng = RngFactory::new(7).stream(Purpose::Arrivals, 0);
        let mean = (0..n).map(|_| d.sample_secs(&mut rng)).sum::<f64>() / n as f64;
        let expected = d.mean().unwrap();
        let tol = 5.0 * sd / (n as f64).sqrt();
        assert!(
            (mean - expected).abs() < tol,
            "{d}: sample mean {mean} vs {expected} (tol {tol})"
        );
    }

    #[test]
    fn every_distribution_has_its_mean() {
        let c = build(&[("dist", s("constant")), ("value", s("5ms"))]).unwrap();
        assert_eq!(c.mean(), Some(0.005));
        check_mean(&c, 0.0 + 1e-12);
        let u = build(&[("dist", s("uniform")), ("min", s("1ms")), ("max", s("3ms"))]).unwrap();
        check_mean(&u, 0.002 / 12f64.sqrt());
        let e = build(&[("dist", s("exponential")), ("mean", s("10ms"))]).unwrap();
        check_mean(&e, 0.010);
        let n = build(&[("dist", s("normal")), ("mean", s("10ms")), ("sd", s("5ms"))]).unwrap();
        // Truncation at 0 (2.3% of the mass) raises the mean above 10 ms.
        assert!(n.mean().unwrap() > 0.0102);
        check_mean(&n, 0.005);
        let l = build(&[
            ("dist", s("lognormal")),
            ("median", s("10ms")),
            ("p99", s("50ms")),
        ])
        .unwrap();
        let Dist::LogNormal { sigma, mu, .. } = l else {
            unreachable!()
        };
        let lsd = ((sigma * sigma).exp_m1() * (2.0 * mu + sigma * sigma).exp()).sqrt();
        check_mean(&l, lsd);
        let p = build(&[
            ("dist", s("pareto")),
            ("scale", s("1ms")),
            ("shape", crate::config::f(3.0)),
        ])
        .unwrap();
        // Variance of Pareto(xm, a) = xm² a / ((a-1)² (a-2)).
        check_mean(&p, (0.001f64.powi(2) * 3.0 / (4.0 * 1.0)).sqrt());
        let w = build(&[
            ("dist", s("weibull")),
            ("scale", s("10ms")),
            ("shape", crate::config::f(1.5)),
        ])
        .unwrap();
        let wsd = (w.second_moment().unwrap() - w.mean().unwrap().powi(2)).sqrt();
        check_mean(&w, wsd);
    }

    #[test]
    fn lognormal_hits_its_median_and_p99() {
        let l = build(&[
            ("dist", s("lognormal")),
            ("median", s("10ms")),
            ("p99", s("50ms")),
        ])
        .unwrap();
        let mut rng = RngFactory::new(3).stream(Purpose::Arrivals, 0);
        let mut xs: Vec<f64> = (0..100_000).map(|_| l.sample_secs(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        // Order-statistic standard error of a quantile: sqrt(p(1-p)/n)/f(x); 3% is > 5 of them.
        assert!(
            (xs[50_000] / 0.010 - 1.0).abs() < 0.03,
            "median {}",
            xs[50_000]
        );
        assert!(
            (xs[99_000] / 0.050 - 1.0).abs() < 0.05,
            "p99 {}",
            xs[99_000]
        );
    }

    #[test]
    fn bad_parameters_are_errors_naming_the_key() {
        let e = build(&[("dist", s("exponential")), ("mean", s("-10ms"))]).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service.d.mean"));
        assert!(e.message.contains("negative"), "{e}");
        let e = build(&[("dist", s("exponential")), ("mean", s("0s"))]).unwrap_err();
        assert!(e.message.contains("longer than 0"), "{e}");
        let e = build(&[("dist", s("expo")), ("mean", s("1s"))]).unwrap_err();
        assert!(e.message.contains("did you mean `exponential`"), "{e}");
        let e = build(&[
            ("dist", s("exponential")),
            ("mean", s("1s")),
            ("sd", s("1s")),
        ])
        .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service.d.sd"));
        let e = build(&[
            ("dist", s("lognormal")),
            ("median", s("10ms")),
            ("p99", s("5ms")),
        ])
        .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("service.d.p99"));
        let e = build(&[("mean", s("1s"))]).unwrap_err();
        assert!(e.message.contains("needs `dist"), "{e}");
    }

    #[test]
    fn a_duration_string_is_a_constant() {
        let mut root = Table::new();
        root.insert("delay".into(), s("1ms"));
        let src = Source::inline();
        let sec = Section::new(&root, "network", None, &src);
        assert_eq!(
            Dist::req(&sec, "delay").unwrap(),
            Dist::Constant { value: 0.001 }
        );
    }

    #[test]
    fn empirical_reads_durations_or_numbers_with_a_unit() {
        let dir = std::env::temp_dir().join(format!("faultline-dist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.csv"), "latency_ms,other\n1,x\n2,y\n\n6,z\n").unwrap();
        std::fs::write(dir.join("b.csv"), "5ms\n15ms\n").unwrap();
        let src = Source::new("cfg.toml", &dir);
        let mut root = Table::new();
        root.insert(
            "a".into(),
            table(&[
                ("dist", s("empirical")),
                ("file", s("a.csv")),
                ("column", s("latency_ms")),
                ("unit", s("ms")),
            ]),
        );
        root.insert(
            "b".into(),
            table(&[("dist", s("empirical")), ("file", s("b.csv"))]),
        );
        root.insert(
            "c".into(),
            table(&[
                ("dist", s("empirical")),
                ("file", s("a.csv")),
                ("column", s("latency_ms")),
            ]),
        );
        let sec = Section::new(&root, "", None, &src);
        let a = Dist::req(&sec, "a").unwrap();
        assert!((a.mean().unwrap() - 0.003).abs() < 1e-12);
        let b = Dist::req(&sec, "b").unwrap();
        assert!((b.mean().unwrap() - 0.010).abs() < 1e-12);
        check_mean(&b, 0.005);
        let e = Dist::req(&sec, "c").unwrap_err();
        assert!(e.message.contains("has no unit"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
