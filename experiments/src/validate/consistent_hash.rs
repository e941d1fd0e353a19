//! Keys moved by a membership change. Under consistent hashing (Karger et al., STOC
//! 1997), rendezvous hashing (Thaler and Ravishankar 1998) and jump consistent hashing
//! (Lamping and Veach 2014), removing a server moves exactly the keys it owned and no
//! other, and adding it back moves them back. When each of n servers leaves once and
//! returns, the mean fraction of keys moved over the 2n changes is therefore
//! (2 / 2n) Σ_i share_i = 1/n exactly, whatever the shares, because they sum to 1. Under
//! modulo-n placement a key stays put only if its hash modulo n - 1 picks the same
//! survivor, which for uniform hashes happens with probability 1/n (the pair of residues
//! modulo n and n - 1 is uniform, by the Chinese remainder theorem): it moves (n - 1)/n.
//!
//! Checked with 10 servers, each crashing in turn: the three consistent schemes equal 1/10
//! up to floating-point rounding; modulo lies within 4 binomial standard deviations of
//! 0.9 over the 4096 sampled keys.

use super::{Check, Effort, Scenario, experiment, reports};
use sim_core::config::ConfigError;
use sim_core::model::client::placement::EXACT_KEYS;

/// Keys of the experiment, every one of them measured (at most `EXACT_KEYS`).
const KEYS: u32 = 10_000;

pub const SCENARIO: Scenario = Scenario {
    name: "consistent-hash movement",
    source: "keys moved per membership change: 1/n for consistent schemes, (n-1)/n for modulo (Karger et al. 1997)",
    run: checks,
};

/// The experiment: `servers` servers, each crashing for 5 s in turn, one strategy per
/// routing kind of `kinds`.
pub fn config(servers: u32, kinds: &[&str]) -> String {
    let mut text = format!(
        r#"
[experiment]
name = "churn"
seed = 3
duration = "{}s"
warmup = "5s"

[cluster]
servers = {servers}
service = {{ dist = "exponential", mean = "5ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 50.0 }}
keys = {{ count = {KEYS} }}

[network]
delay = "1ms"
"#,
        10 * servers + 10
    );
    for s in 0..servers {
        text.push_str(&format!(
            "\n[[faults.scripted]]\nat = \"{}s\"\nfor = \"5s\"\nkind = \"crash\"\nserver = {s}\n",
            10 + 10 * s
        ));
    }
    for kind in kinds {
        text.push_str(&format!(
            "\n[strategies.{kind}]\ndetector = {{ kind = \"fixed-timeout\", interval = \"50ms\", timeout = \"150ms\" }}\nrouting = {{ kind = \"{kind}\" }}\n"
        ));
    }
    text
}

fn checks(_effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let n = 10u32;
    let kinds = ["consistent-hash", "rendezvous", "jump-hash", "modulo"];
    let exp = experiment("consistent-hash", &config(n, &kinds))?;
    let runs = reports(&exp, threads);
    Ok(kinds
        .iter()
        .zip(&runs)
        .map(|(kind, runs)| {
            let r = &runs[0];
            let measured = r.keys_remapped_mean.unwrap_or(f64::NAN);
            let changes = r.membership_changes as f64;
            let (expected, tolerance, basis) = if *kind == "modulo" {
                let p = f64::from(n - 1) / f64::from(n);
                let measured = KEYS.min(EXACT_KEYS);
                let sd = (p * (1.0 - p) / f64::from(measured)).sqrt();
                (p, 4.0 * sd, format!("4 binomial sd over {measured} keys"))
            } else {
                (
                    1.0 / f64::from(n),
                    1e-12,
                    "exact: shares sum to 1 (floating-point rounding only)".to_string(),
                )
            };
            Check {
                scenario: format!("{n} servers leave in turn, {kind}: keys moved per change"),
                expected,
                measured,
                tolerance,
                basis: format!("{basis}; {changes} membership changes"),
                samples: vec![measured],
            }
        })
        .collect())
}
