//! The reference scenario R1 (experiments/configs/r1.toml; see BENCHMARKS.md): one run of
//! 600 simulated seconds on one thread, through the same loader and engine as
//! `faultline run`. Throughput is reported in completed requests per second, the figure
//! compared with the SimPy peer.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use experiments::{Experiment, Overrides};
use std::hint::black_box;
use std::path::Path;

fn r1(c: &mut Criterion) {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/r1.toml");
    let exp = Experiment::load(&config, &Overrides::default()).expect("r1.toml loads");
    let key = exp.runs().next().expect("one run");
    let (scenario, strategy, seed) = (
        &exp.cell(key).scenario,
        exp.strategy(key),
        exp.run_seed(key),
    );
    let completed = sim_core::simulate(scenario, strategy, seed).report.ok;
    let mut group = c.benchmark_group("r1");
    group.throughput(Throughput::Elements(completed));
    group.sample_size(20);
    group.bench_function("600s_one_thread", |b| {
        b.iter(|| black_box(sim_core::simulate(scenario, strategy, seed).report.ok))
    });
    group.finish();
}

criterion_group!(benches, r1);
criterion_main!(benches);
