//! Availability of repairable servers. A server that fails after exponential times of
//! mean MTTF and is repaired after exponential times of mean MTTR alternates between up
//! and down as a two-state Markov process, up a fraction A = MTTF / (MTTF + MTTR) of the
//! time in the long run. With n such servers failing independently, the fraction of time
//! at least k of them are up is the binomial tail
//!   P(at least k of n up) = Σ_{j=k..n} C(n, j) A^j (1 - A)^(n - j)
//! (Barlow and Proschan, Mathematical Theory of Reliability, 1965, chapter 7; k = n is a
//! series system, k = 1 a parallel one).
//!
//! The single server's up fraction is the `server_availability` column; its tolerance is
//! derived exactly: the time average of the up indicator over T has asymptotic variance
//! 2A(1 - A) / (rT), r = 1/MTTF + 1/MTTR (the integral of its autocovariance
//! A(1 - A)e^(-rt)), and the check allows 4 standard deviations of the pooled mean. The
//! k-out-of-n fractions are integrated from the crash and recover events of each run's
//! trace and checked through the 99.9% Student-t interval of the replications.

use super::{Check, Effort, Scenario, experiment, reports, t_check};
use crate::config::Experiment;
use sim_core::config::ConfigError;
use sim_core::model::trace::TraceFilter;
use sim_core::{SimDuration, SimTime};
use std::io::Write;

pub const SINGLE_SERVER: Scenario = Scenario {
    name: "single repairable server",
    source: "two-state Markov process, A = MTTF / (MTTF + MTTR) (Barlow and Proschan 1965)",
    run: single_server,
};

pub const K_OUT_OF_N: Scenario = Scenario {
    name: "k-out-of-n",
    source: "independent repairable servers, binomial tail of A (Barlow and Proschan 1965, ch. 7)",
    run: k_out_of_n,
};

/// Long-run fraction of time a repairable server is up.
pub fn steady_availability(mttf: f64, mttr: f64) -> f64 {
    mttf / (mttf + mttr)
}

/// Probability that at least `k` of `n` independent servers, each up with probability
/// `a`, are up.
pub fn at_least_k_of_n(k: u32, n: u32, a: f64) -> f64 {
    (k..=n)
        .map(|j| binomial(n, j) * a.powi(j as i32) * (1.0 - a).powi((n - j) as i32))
        .sum()
}

fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |c, i| c * f64::from(n - i) / f64::from(i + 1))
}

/// Servers failing with exponential MTTF and MTTR (seconds), nearly idle.
pub fn crash_config(
    servers: u32,
    mttf: f64,
    mttr: f64,
    replications: u32,
    duration: &str,
) -> String {
    format!(
        r#"
[experiment]
name = "availability"
seed = 11
replications = {replications}
duration = "{duration}"
warmup = "1m"

[cluster]
servers = {servers}
service = {{ dist = "constant", value = "1ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 0.1 }}

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "{mttf}s" }}, mttr = {{ dist = "exponential", mean = "{mttr}s" }} }}

[strategies.quiet]
detector = {{ kind = "fixed-timeout", interval = "10s", timeout = "30s" }}
"#
    )
}

fn single_server(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let (mttf, mttr) = (10.0, 1.0);
    let (reps, hours) = effort.pick((8, 10.0), (8, 40.0));
    let exp = experiment(
        "single-server",
        &crash_config(1, mttf, mttr, reps, &format!("{}m", hours * 60.0 + 1.0)),
    )?;
    let samples: Vec<f64> = reports(&exp, threads)[0]
        .iter()
        .map(|r| r.server_availability)
        .collect();
    let a = steady_availability(mttf, mttr);
    let r = 1.0 / mttf + 1.0 / mttr;
    let total = hours * 3600.0 * f64::from(reps);
    let sd = (2.0 * a * (1.0 - a) / (r * total)).sqrt();
    Ok(vec![Check {
        scenario: "one server MTTF 10s MTTR 1s, up fraction".into(),
        expected: a,
        measured: samples.iter().sum::<f64>() / samples.len() as f64,
        tolerance: 4.0 * sd,
        basis: format!(
            "4 sd of the pooled time average, variance 2A(1-A)/(rT) over {} simulated hours",
            hours * f64::from(reps)
        ),
        samples,
    }])
}

/// For each run of `exp`, the fraction of the measurement window during which at least
/// `k` servers were up, for each `k` of `ks`, from the crash and recover events; runs in
/// order, computed on `threads` threads.
pub fn up_fractions(exp: &Experiment, ks: &[u32], threads: usize) -> Vec<Vec<f64>> {
    use rayon::prelude::*;
    let keys: Vec<_> = exp.runs().collect();
    let measure = |key: &crate::RunKey| {
        let key = *key;
        let cell = exp.cell(key);
        let scenario = &cell.scenario;
        let mut counter = UpCounter::new(
            scenario.cluster.servers,
            SimTime::ZERO + scenario.warmup,
            SimTime::ZERO + scenario.duration,
            ks,
        );
        // Writing to the counter cannot fail.
        let _ = sim_core::simulate_traced(
            scenario,
            exp.strategy(key),
            exp.run_seed(key),
            &mut counter,
            TraceFilter::default(),
        );
        counter.fractions()
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
    {
        Ok(pool) => pool.install(|| keys.par_iter().map(measure).collect()),
        Err(_) => keys.iter().map(measure).collect(),
    }
}

/// Integrates, from trace lines, the time at least k servers are up inside a window.
struct UpCounter {
    up: u32,
    last: SimTime,
    start: SimTime,
    end: SimTime,
    ks: Vec<u32>,
    time_at_least: Vec<u64>,
    partial: Vec<u8>,
}

impl UpCounter {
    fn new(servers: u32, start: SimTime, end: SimTime, ks: &[u32]) -> Self {
        UpCounter {
            up: servers,
            last: SimTime::ZERO,
            start,
            end,
            ks: ks.to_vec(),
            time_at_least: vec![0; ks.len()],
            partial: Vec::new(),
        }
    }

    fn advance(&mut self, now: SimTime) {
        let from = self.last.max(self.start);
        let to = now.min(self.end);
        let span = to.since(from).as_nanos();
        for (k, total) in self.ks.iter().zip(&mut self.time_at_least) {
            if self.up >= *k {
                *total += span;
            }
        }
        self.last = now;
    }

    fn line(&mut self, line: &str) {
        let mut words = line.split(' ');
        let (Some(time), Some(_node), Some(event)) = (words.next(), words.next(), words.next())
        else {
            return;
        };
        let delta: i32 = match event {
            "crash" => -1,
            "recover" => 1,
            _ => return,
        };
        let Ok(at) = SimDuration::parse(time) else {
            return;
        };
        self.advance(SimTime::ZERO + at);
        self.up = self.up.saturating_add_signed(delta);
    }

    fn fractions(mut self) -> Vec<f64> {
        self.advance(self.end);
        let window = self.end.since(self.start).as_nanos() as f64;
        self.time_at_least
            .iter()
            .map(|&t| t as f64 / window)
            .collect()
    }
}

impl Write for UpCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.line(String::from_utf8_lossy(&line[..end]).as_ref());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn k_out_of_n(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let (n, mttf, mttr) = (5, 4.0, 1.0);
    let (reps, duration) = effort.pick((12, "2h"), (12, "8h"));
    let exp = experiment("k-out-of-n", &crash_config(n, mttf, mttr, reps, duration))?;
    let ks = [1, 3, 5];
    let runs = up_fractions(&exp, &ks, threads);
    let a = steady_availability(mttf, mttr);
    Ok(ks
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            t_check(
                format!("at least {k} of {n} up, A=0.8, time fraction"),
                at_least_k_of_n(k, n, a),
                runs.iter().map(|r| r[i]).collect(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tails_of_five_servers() {
        assert!((at_least_k_of_n(5, 5, 0.8) - 0.32768).abs() < 1e-12);
        assert!((at_least_k_of_n(1, 5, 0.8) - (1.0 - 0.2f64.powi(5))).abs() < 1e-12);
        assert!((at_least_k_of_n(3, 5, 0.8) - 0.94208).abs() < 1e-12);
        assert!((at_least_k_of_n(0, 5, 0.3) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_counter_integrates_inside_the_window() {
        let ms = |m: u64| SimTime(m * 1_000_000);
        let mut c = UpCounter::new(2, ms(100), ms(1100), &[1, 2]);
        c.write_all(b"0.050000000s server-0 crash\n0.300000000s server-0 rec")
            .unwrap();
        c.write_all(b"over\n0.600000000s server-1 crash\n0.700000000s server-1 recv request\n")
            .unwrap();
        // Two up: 300..600 ms of the window 100..1100; at least one: all of it.
        assert_eq!(c.fractions(), vec![1.0, 0.3]);
    }
}
