//! Checkpoint interval against the theory of Young (1974) and Daly (2006): the time a
//! batch job wastes (its completion time minus its length) is U-shaped in the checkpoint
//! interval, with its minimum near sqrt(2 C M), and the adaptive Young/Daly policy finds
//! that minimum from the failures it observes.
//!
//! The exact expectation (Daly 2006, eq. 20, with whole segments), the config and the
//! constants are `experiments::validate::young_daly`, whose three intervals `faultline
//! validate` checks too; this file checks the whole curve, its optimum and the adaptive
//! policy.

use crate::common;

use crate::common::{assert_checks, mean_ci, validation};
use experiments::validate::young_daly::{
    C, L, M, SERVERS, daly_waste, exact_optimum, expected_waste,
};
use sim_core::RunReport;

const REPLICATIONS: u32 = 60;

fn config(strategies: &str, sweep: &str) -> String {
    experiments::validate::young_daly::config(REPLICATIONS, strategies, sweep)
}

#[test]
fn waste_at_the_optimum_and_at_half_and_twice_young_s_interval_is_daly_s() {
    assert_checks(&validation("Young/Daly checkpoints"));
}

/// Per replication, each strategy's (and cell's) mean job waste, in run order.
fn wastes(text: &str) -> Vec<Vec<f64>> {
    let exp = common::experiment(text);
    let keys: Vec<_> = exp.runs().collect();
    let groups = exp.cells.len() * exp.strategy_names.len();
    let mut out = vec![Vec::new(); groups];
    experiments::runner::run_keys(&exp, &keys, 2, |key, r| -> Result<(), ()> {
        let rep: &RunReport = &r.report;
        assert_eq!(rep.jobs_unfinished, 0, "every job ends within the run");
        assert_eq!(rep.jobs_done, u64::from(SERVERS));
        let g = key.cell as usize * exp.strategy_names.len() + key.strategy as usize;
        out[g].push(rep.job_waste_mean_s.unwrap());
        Ok(())
    })
    .unwrap();
    out
}

fn sd(xs: &[f64]) -> f64 {
    mean_ci(xs, 0.95).1
}

#[test]
fn wasted_time_is_u_shaped_in_the_interval_with_its_minimum_at_daly_s_optimum() {
    // A grid of intervals a factor sqrt(2) apart around Young's sqrt(2 C M) = 657 s,
    // rounded to milliseconds (the formulas use the rounded values).
    let young = (2.0 * C * M).sqrt();
    let grid: Vec<f64> = (-4..=4)
        .map(|k| (young * 2f64.powf(f64::from(k) / 2.0) * 1000.0).round() / 1000.0)
        .collect();
    let values: Vec<String> = grid
        .iter()
        .map(|t| format!("\"{}ms\"", (t * 1000.0).round() as u64))
        .collect();
    let text = config(
        r#"[strategies.p]
detector = { kind = "fixed-timeout", interval = "1h", timeout = "3h" }
checkpoint = { kind = "periodic", interval = "10m", cost = "60s", during = "pause" }"#,
        &format!(
            "[sweep]\n\"strategies.p.checkpoint.interval\" = [{}]",
            values.join(", ")
        ),
    );
    let w = wastes(&text);
    let n = f64::from(REPLICATIONS);
    let means: Vec<f64> = w.iter().map(|x| x.iter().sum::<f64>() / n).collect();
    let exact: Vec<f64> = grid.iter().map(|&t| expected_waste(t)).collect();

    // 1. Each point of the curve: the mean of 60 replications (each the mean of 8
    //    independent jobs) is within 4 standard errors of the exact expectation (CLT;
    //    the standard error from the replications' own spread).
    for j in 0..grid.len() {
        let se = sd(&w[j]) / n.sqrt();
        assert!(
            (means[j] - exact[j]).abs() < 4.0 * se,
            "interval {:.1} s: measured waste {:.0} s, expected {:.0} s, 4 se {:.0} s",
            grid[j],
            means[j],
            exact[j],
            4.0 * se
        );
    }

    // 2. The U: between neighbours the expected waste differs by at least 3.5% (at the
    //    flat bottom), while the paired difference of two neighbours (same seeds) has a
    //    standard error near 0.6%; wherever the expected gap exceeds 4 such errors, the
    //    measured curve must go the same way. The ends waste far more than the bottom
    //    (1.9 and 2.3 times, by the formula).
    for j in 0..grid.len() - 1 {
        let diffs: Vec<f64> = w[j + 1].iter().zip(&w[j]).map(|(a, b)| a - b).collect();
        let se = sd(&diffs) / n.sqrt();
        let gap = exact[j + 1] - exact[j];
        assert!(gap.abs() > 4.0 * se, "grid too fine to resolve at {j}");
        assert_eq!(
            (means[j + 1] - means[j]).signum(),
            gap.signum(),
            "the measured curve turns the wrong way between {:.0} s and {:.0} s: {means:?}",
            grid[j],
            grid[j + 1]
        );
    }
    let best = (0..grid.len())
        .min_by(|&a, &b| means[a].total_cmp(&means[b]))
        .unwrap();
    assert!(means[0] > 1.5 * means[best] && means[grid.len() - 1] > 1.5 * means[best]);
    assert!(
        best > 0 && best < grid.len() - 1,
        "the minimum is inside the grid"
    );

    // 3. The optimum: a parabola in ln(tau) through the lowest point and its neighbours
    //    puts the vertex at x0 + h (y- - y+) / (2 (y- - 2 y0 + y+)), h = ln sqrt(2). Its
    //    standard error follows by the delta method from the replications' paired
    //    numerator and denominator. The same estimator on the exact expectations shows
    //    its own bias (the curve is not a parabola); the measured vertex must lie within
    //    4 standard errors plus that bias of the exact optimum of Daly's model.
    let h = 2f64.sqrt().ln();
    let vertex = |lo: f64, mid: f64, hi: f64| h * (lo - hi) / (2.0 * (lo - 2.0 * mid + hi));
    let num: Vec<f64> = (0..w[0].len())
        .map(|i| w[best - 1][i] - w[best + 1][i])
        .collect();
    let den: Vec<f64> = (0..w[0].len())
        .map(|i| w[best - 1][i] - 2.0 * w[best][i] + w[best + 1][i])
        .collect();
    let (nm, dm) = (num.iter().sum::<f64>() / n, den.iter().sum::<f64>() / n);
    let cov = num
        .iter()
        .zip(&den)
        .map(|(a, b)| (a - nm) * (b - dm))
        .sum::<f64>()
        / (n - 1.0);
    let ratio = nm / dm;
    let var_ratio =
        (sd(&num).powi(2) - 2.0 * ratio * cov + ratio.powi(2) * sd(&den).powi(2)) / (n * dm * dm);
    let se_ln_tau = h / 2.0 * var_ratio.sqrt();
    let measured = grid[best] * vertex(means[best - 1], means[best], means[best + 1]).exp();
    let from_exact = grid[best] * vertex(exact[best - 1], exact[best], exact[best + 1]).exp();
    let optimum = exact_optimum();
    let bias = (from_exact / optimum).ln().abs();
    assert!(
        (measured / optimum).ln().abs() < 4.0 * se_ln_tau + bias,
        "measured optimum {measured:.1} s, exact {optimum:.1} s (4 se {:.3}, bias {bias:.4})",
        4.0 * se_ln_tau
    );
    // Daly's higher-order formula lands on the exact optimum (617.88 s against 617.89 s);
    // Young's first-order sqrt(2 C M) = 657.3 s sits above it by about C/tau -
    // sqrt(C/2M)/3, 6%: the measured optimum is near it within that error.
    let x = C / (2.0 * M);
    let daly = young * (1.0 + x.sqrt() / 3.0 + x / 9.0) - C;
    assert!((daly / optimum - 1.0).abs() < 0.002, "daly {daly:.1}");
    let young_error = (young / optimum).ln().abs();
    assert!(
        (measured / young).ln().abs() < young_error + 4.0 * se_ln_tau,
        "measured optimum {measured:.1} s against Young's {young:.1} s"
    );

    // 4. The waste at the optimum: the lowest grid point matches the exact expectation
    //    (checked in 1); it lies above the minimum of Daly's continuous model only by the
    //    grid's offset from the optimum and the model's rounding of segments, which the
    //    exact formula gives, within 4 standard errors.
    let minimum = daly_waste(optimum);
    let se = sd(&w[best]) / n.sqrt();
    let offset = exact[best] - minimum;
    assert!(
        (means[best] - minimum - offset).abs() < 4.0 * se,
        "waste at the optimum {:.0} s, Daly's minimum {minimum:.0} s + grid offset {offset:.0} s",
        means[best]
    );
}

#[test]
fn young_daly_learns_the_mtbf_and_checkpoints_near_the_optimum() {
    // The adaptive policy starts from an MTBF of 10 min, six times too short, and
    // re-estimates it from each failure. It is compared with the fixed interval at the
    // exact optimum (617.9 s) on the same seeds, and with the fixed interval its wrong
    // prior alone would give (Daly's formula for M = 600 s: 229.8 s).
    let text = config(
        r#"[strategies.optimum]
detector = { kind = "fixed-timeout", interval = "1h", timeout = "3h" }
checkpoint = { kind = "periodic", interval = "617900ms", cost = "60s" }

[strategies.adaptive]
detector = { kind = "fixed-timeout", interval = "1h", timeout = "3h" }
checkpoint = { kind = "young-daly", formula = "daly", initial_mtbf = "10m", cost = "60s" }

[strategies.prior-only]
detector = { kind = "fixed-timeout", interval = "1h", timeout = "3h" }
checkpoint = { kind = "periodic", interval = "229800ms", cost = "60s" }"#,
        "",
    );
    let w = wastes(&text);
    let n = f64::from(REPLICATIONS);
    let extra: Vec<f64> = w[1].iter().zip(&w[0]).map(|(a, b)| a - b).collect();
    let (extra_mean, extra_sd, _) = mean_ci(&extra, 0.95);
    let se = extra_sd / n.sqrt();
    // Bound on the cost of learning (first order): an interval x times the optimum
    // wastes (1/x + x)/2 times the optimal rate sqrt(2C/M), i.e. an extra
    // ((1/x + x)/2 - 1) sqrt(2 C M) per lifetime of mean length M. After k failures the
    // estimate is (M0 + T_k)/(1 + k): its bias is (M0 - M)/(1 + k), its relative variance
    // k/(1 + k)^2, and x = sqrt(estimate/M), so the variance adds about var/8 per
    // lifetime. Summed over the job's lifetimes (about (L + waste)/M = 62):
    let lifetimes = ((L + expected_waste(617.9)) / M).round() as i32;
    let penalty: f64 = (0..lifetimes)
        .map(|k| {
            let k = f64::from(k);
            let x = (1.0 + (600.0 / M - 1.0) / (1.0 + k)).sqrt();
            (1.0 / x + x) / 2.0 - 1.0 + k / (8.0 * (1.0 + k).powi(2))
        })
        .sum();
    let bound = penalty * (2.0 * C * M).sqrt();
    assert!(
        extra_mean > -4.0 * se && extra_mean < bound + 4.0 * se,
        "adaptive wastes {extra_mean:.0} s more than the optimum (bound {bound:.0} s, 4 se {:.0} s)",
        4.0 * se
    );
    // The prior alone would waste half as much again: expected 62.3 ks against 42.7 ks,
    // a gap of 0.46 of the optimal waste where the adaptive policy's bound is 0.014 of it
    // and the standard errors are 0.005 of it.
    let prior_only = w[2].iter().sum::<f64>() / n;
    let adaptive = w[1].iter().sum::<f64>() / n;
    assert!(
        prior_only > adaptive + 0.3 * expected_waste(617.9),
        "prior only {prior_only:.0} s, adaptive {adaptive:.0} s"
    );
}
