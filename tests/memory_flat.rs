//! Memory stays flat in the number of runs: the summary accumulator holds the same
//! numbers for 10 or 10 000 replications, and the runner never holds more finished
//! results than its window, however many runs there are and however slowly they are
//! written.

use crate::common;

use experiments::runner::{self, max_buffered};
use experiments::summary::SummaryAccumulator;

fn config(replications: u32, duration: &str) -> String {
    format!(
        r#"
[experiment]
name = "flat"
replications = {replications}
duration = "{duration}"
[cluster]
servers = 2
service = {{ dist = "exponential", mean = "10ms" }}
[workload]
arrivals = {{ kind = "poisson", rate = 20.0 }}
[strategies.a]
[strategies.b]
[strategies.c]
[sweep]
"cluster.servers" = [1, 2]
"#
    )
}

#[test]
fn the_summary_accumulator_does_not_grow_with_runs() {
    let metrics = sim_core::RunReport::column_names().len();
    let numeric = metrics - 1; // every column but trace_hash
    let mut sizes = Vec::new();
    for replications in [10, 10_000] {
        let exp = common::experiment(&config(replications, "1s"));
        let mut acc = SummaryAccumulator::new(&exp);
        let start = acc.state_len();
        let mut cells_done = 0;
        for (i, key) in exp.runs().enumerate() {
            // Synthetic values: this is about the accumulator, not the simulation.
            let values: Vec<Option<f64>> = (0..metrics).map(|m| Some((i * m) as f64)).collect();
            if let Some(rows) = acc.add(key, &values) {
                cells_done += 1;
                assert_eq!(rows.len(), 3 * numeric);
                assert!(rows.iter().all(|r| r.stats.n == u64::from(replications)));
            }
            assert_eq!(acc.state_len(), start, "after run {i}");
        }
        assert_eq!(cells_done, 2);
        sizes.push(start);
    }
    // Running moments and paired differences per (strategy, metric), one baseline value
    // per metric: 2 * 3 * numeric + numeric, for any number of replications.
    assert_eq!(sizes, [7 * numeric, 7 * numeric]);
}

#[test]
fn the_runner_holds_at_most_its_window_of_results() {
    for (threads, replications) in [(1, 20), (2, 50), (8, 50)] {
        let exp = common::experiment(&config(replications, "2s"));
        let total = exp.total_runs();
        let mut seen = 0u64;
        let stats = runner::run_range(&exp, 0, total, threads, |key, _| -> Result<(), ()> {
            assert_eq!(key, exp.run_key(seen), "results come in run order");
            seen += 1;
            // A slow writer lets every worker run ahead until the window stops it.
            std::hint::black_box((0..20_000u64).fold(0u64, |a, x| a ^ x.wrapping_mul(a | 1)));
            Ok(())
        })
        .unwrap();
        assert_eq!((stats.runs, seen), (total, total));
        assert!(
            stats.peak_buffered <= max_buffered(threads),
            "{threads} threads: {} results held, bound {}",
            stats.peak_buffered,
            max_buffered(threads)
        );
    }
}
