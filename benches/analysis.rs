//! How `blazes_core::analyze` scales: synthetic dataflows of 10^3, 10^4 and
//! 10^5 components, and rings whose whole port graph is one strongly
//! connected part of 10^4 and 10^5 ports (solved by fixpoint, spec §4.2),
//! timed single-threaded (median of several runs). Prints one JSON object,
//! with the sweeps each cycle took, and writes it to
//! `bench-results/analysis.json`. The analysis's label maps are built when
//! first read: each size also gives the time of analysing and then reading
//! every label.
//!
//! Run with `cargo bench --bench analysis`.

use std::error::Error;
use std::fs;
use std::path::Path;
use std::time::Instant;

use blazes_core::{
    Analysis, Annotation, Component, Dataflow, Fd, Permission, Stream, analyze, attrs,
};
use serde_json::{Value, json};

/// Components per independent block: a chain with its own source and sink.
const BLOCK: usize = 100;

/// The sizes measured, with how many runs each.
const SIZES: [(usize, usize); 3] = [(1_000, 11), (10_000, 7), (100_000, 5)];

/// Ring sizes in components (four ports each: 10^4 and 10^5 ports in one
/// strongly connected part), with how many runs each.
const RINGS: [(usize, usize); 2] = [(2_500, 7), (25_000, 5)];

fn name(i: usize) -> String {
    format!("C{i}")
}

/// The three paths of component `i`: `in`→`out`, `aux`→`out`, `in`→`side`,
/// cycling through every kind, with gates over `key`, `batch` and `id`.
fn component(i: usize) -> Component {
    let (main, aux, side) = match i % 4 {
        0 => (Annotation::cr(), Annotation::cw(), Annotation::cr()),
        1 => (
            Annotation::or(attrs(["key"])),
            Annotation::cw(),
            Annotation::cr(),
        ),
        2 => (
            Annotation::ow(attrs(["key", "batch"])),
            Annotation::cr(),
            Annotation::cr(),
        ),
        _ => (
            Annotation::cw(),
            Annotation::or(attrs(["batch"])),
            Annotation::ow(attrs(["id"])),
        ),
    };
    Component::new(name(i))
        .replicated(i.is_multiple_of(7))
        .path("in", "out", main)
        .path("aux", "out", aux)
        .path("in", "side", side)
}

fn port(i: usize, iface: &str) -> String {
    format!("{}.{iface}", name(i))
}

fn sealed_every(stream: Stream, i: usize, every: usize, key: &[&str]) -> Stream {
    if i.is_multiple_of(every) {
        stream.sealed(attrs(key.iter().copied()))
    } else {
        stream
    }
}

/// The streams of component `i`, in blocks of [`BLOCK`] components: a chain
/// `out`→`in`, fan-in `side`→`aux` two ahead, a self-feeding `side`→`in` at
/// every 10th component, a three-component cycle in every ten, and a source
/// and sink per block.
fn streams(i: usize, n: usize) -> Vec<Stream> {
    let block = i / BLOCK;
    let last_in_block = ((block + 1) * BLOCK).min(n) - 1;
    let mut out = Vec::new();
    if i.is_multiple_of(BLOCK) {
        let source = format!("s{block}");
        out.push(sealed_every(
            Stream::between(&source, &port(i, "in")),
            block,
            2,
            &["key"],
        ));
        out.push(Stream::between(&source, &port(i, "aux")).sequenced(attrs(["batch"])));
    }
    if i < last_in_block {
        out.push(sealed_every(
            Stream::between(&port(i, "out"), &port(i + 1, "in")),
            i,
            13,
            &["key"],
        ));
    } else {
        out.push(Stream::between(&port(i, "out"), &format!("k{block}")));
    }
    if i + 2 <= last_in_block {
        out.push(sealed_every(
            Stream::between(&port(i, "side"), &port(i + 2, "aux")),
            i,
            5,
            &["batch"],
        ));
    }
    if i % 10 == 5 {
        out.push(Stream::between(&port(i, "side"), &port(i, "in")));
    }
    if i % 10 == 9 && i >= 2 && (i - 2) / BLOCK == block {
        out.push(Stream::between(&port(i, "side"), &port(i - 2, "aux")).replicated());
    }
    if i % 20 == 19 {
        out.push(Stream::between(&port(i, "side"), &format!("side{block}")));
    }
    out
}

/// A dataflow of `n` components.
fn dataflow(n: usize) -> Dataflow {
    let mut d = Dataflow::new().coordinate(Permission::Auto);
    d.components = (0..n).map(component).collect();
    d.streams = (0..n).flat_map(|i| streams(i, n)).collect();
    d.fds = vec![
        Fd {
            from: attrs(["id"]),
            to: "key".to_string(),
            injective: false,
        },
        Fd {
            from: attrs(["key"]),
            to: "region".to_string(),
            injective: true,
        },
    ];
    d
}

fn ports(d: &Dataflow) -> usize {
    let interfaces: usize = d
        .components
        .iter()
        .map(|c| c.inputs().len() + c.outputs().len())
        .sum();
    let mut externals: Vec<String> = d
        .streams
        .iter()
        .flat_map(|s| [&s.from, &s.to])
        .filter(|e| matches!(e, blazes_core::Endpoint::External(_)))
        .map(ToString::to_string)
        .collect();
    externals.sort_unstable();
    externals.dedup();
    interfaces + externals.len()
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// What one analysis found, to show the workload is not trivial.
fn summary(analysis: &Analysis) -> Value {
    let mut labels = [0usize; 5];
    for label in analysis.outputs.values() {
        labels[usize::from(label.severity()) - 1] += 1;
    }
    let cycles = analysis.cycles();
    let largest = cycles.iter().map(|c| c.ports).max().unwrap_or(0);
    let max_sweeps = cycles.iter().map(|c| c.sweeps).max().unwrap_or(0);
    let ports_in_cycles: usize = cycles.iter().map(|c| c.ports).sum();
    let evaluations: usize = cycles.iter().map(|c| c.evaluations).sum();
    json!({
        "output_labels": {
            "Seal": labels[0], "Async": labels[1], "Run": labels[2],
            "Inst": labels[3], "Diverge": labels[4],
        },
        "cycles": cycles.len(),
        "largest_cycle_ports": largest,
        "max_sweeps_per_cycle": max_sweeps,
        "evaluations_per_cycle_port": if ports_in_cycles == 0 {
            0.0
        } else {
            evaluations as f64 / ports_in_cycles as f64
        },
        "coordination_points": analysis.coordination.len(),
        "violating_sinks": analysis.violations.len(),
    })
}

/// A ring of `n` components whose four ports each lie on one strongly
/// connected part: `out`→ next `in`, `side` → `aux` three ahead. Paths cycle
/// through every kind, so labels rise through several sweeps; a sealed
/// source enters at `C0.in`, and eight `side`s, evenly spaced, also feed a
/// sink each (a loop has few exits; every violating sink lists every
/// introducing node upstream of it, so the report grows with exits × ring).
fn ring(n: usize) -> Dataflow {
    let mut d = Dataflow::new().coordinate(Permission::Auto);
    d.components = (0..n).map(component).collect();
    d.streams
        .push(Stream::between("entry", &port(0, "in")).sealed(attrs(["key"])));
    for i in 0..n {
        d.streams
            .push(Stream::between(&port(i, "out"), &port((i + 1) % n, "in")));
        d.streams
            .push(Stream::between(&port(i, "side"), &port((i + 3) % n, "aux")));
        if i % (n / 8) == 0 {
            d.streams
                .push(Stream::between(&port(i, "side"), &format!("k{i}")));
        }
    }
    d
}

/// Times `analyze` on a dataflow of `n` components, `runs` times; the
/// result is dropped outside the timing.
fn measure(n: usize, runs: usize) -> Result<(Value, f64), Box<dyn Error>> {
    measure_dataflow(dataflow(n), n, runs)
}

fn measure_dataflow(d: Dataflow, n: usize, runs: usize) -> Result<(Value, f64), Box<dyn Error>> {
    let mut times = Vec::with_capacity(runs);
    let mut with_names = Vec::with_capacity(runs);
    let mut found = Value::Null;
    for _ in 0..runs {
        let start = Instant::now();
        let analysis = analyze(&d).map_err(|e| format!("invalid benchmark dataflow: {e:?}"))?;
        times.push(start.elapsed().as_secs_f64());
        // The label maps are built when first read: time reading them all.
        let named = read_every_label(&analysis);
        with_names.push(start.elapsed().as_secs_f64());
        if named == 0 {
            return Err("the analysis named no label".into());
        }
        if found.is_null() {
            found = summary(&analysis);
        }
    }
    let seconds = median(times.clone());
    Ok((
        json!({
            "components": n,
            "ports": ports(&d),
            "streams": d.streams.len(),
            "paths": d.components.iter().map(|c| c.paths.len()).sum::<usize>(),
            "runs": runs,
            "median_seconds": seconds,
            "all_seconds": times,
            "median_seconds_reading_every_label": median(with_names),
            "found": found,
        }),
        seconds,
    ))
}

/// Reads every label map of the analysis (each is built on first read),
/// returning how many labels it holds.
fn read_every_label(a: &Analysis) -> usize {
    [
        &a.outputs,
        &a.inputs,
        &a.sinks,
        &a.sources,
        &a.streams,
        &a.residual_outputs,
        &a.residual,
    ]
    .iter()
    .map(|labels| labels.len())
    .sum()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut sizes = Vec::new();
    let mut medians = Vec::new();
    for (n, runs) in SIZES {
        let (entry, seconds) = measure(n, runs)?;
        eprintln!(
            "{n} components: {seconds:.4} s (median of {runs}); {:.4} s reading every label",
            entry["median_seconds_reading_every_label"]
        );
        sizes.push(entry);
        medians.push(seconds);
    }
    let mut rings = Vec::new();
    let mut ring_medians = Vec::new();
    for (n, runs) in RINGS {
        let (entry, seconds) = measure_dataflow(ring(n), n, runs)?;
        eprintln!("ring of {n} components ({} ports): {seconds:.4} s", 4 * n);
        rings.push(entry);
        ring_medians.push(seconds);
    }
    let report = json!({
        "benchmark": "blazes_core::analyze, single-threaded, dataflow built outside the timing; label maps are built on first read, timed apart as median_seconds_reading_every_label",
        "sizes": sizes,
        "ratio_1e4_over_1e3": medians[1] / medians[0],
        "ratio_1e5_over_1e4": medians[2] / medians[1],
        "large_cycles": rings,
        "large_cycle_ratio_1e5_over_1e4_ports": ring_medians[1] / ring_medians[0],
    });
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("analysis.json"), text + "\n")?;
    Ok(())
}
