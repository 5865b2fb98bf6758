//! Memory an instance keeps as partitions go by (issue 15, fix 6): bytes
//! still allocated after 10^4, 10^5 and 10^6 partitions have each been
//! opened by two producers, sealed by both and released, measured with a
//! counting global allocator around the system one.
//!
//! The instance runs a component whose input is sealed on `k` (a seal
//! buffer, for an order-sensitive path) and that forwards the seals of that
//! input on a second, confluent output (the seal forwarder): the two places
//! that remembered every released partition. It is driven directly through
//! [`InstanceCore`], so the figure is the wrappers' memory and nothing else.
//!
//! Two settings: the default late-detection window (the last
//! `DEFAULT_LATE_WINDOW` released partitions remembered) and a window as
//! large as the run (`late_detection(usize::MAX)`: every released
//! partition remembered, as before the fix).
//!
//! `cargo bench --bench memory`: prints JSON and writes
//! `bench-results/memory.json`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use blazes::runtime::DEFAULT_LATE_WINDOW;
use blazes::runtime::sans_io::{Delivery, Envelope, InstanceCore, Time};
use blazes::runtime::{Deployment, Factories, Topology};
use blazes::{Record, Tuple, analyze};
use serde_json::{Value, json};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the same arguments; the
// counter is only arithmetic on the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
            ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// A record of partition `k` from producer `p`.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone)]
pub struct Keyed {
    /// The partition (the seal key).
    pub k: i64,
    /// The producer that sent it.
    pub p: i64,
}

/// How many records a partition had.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone)]
pub struct PartitionCount {
    /// The partition.
    pub k: i64,
    /// Its records.
    pub n: i64,
}

/// The component, typed.
mod parts {
    use blazes::component;

    use super::{Keyed, PartitionCount};

    /// Counts each partition's records and emits the count on its seal;
    /// passes records through on its confluent output.
    #[component]
    #[derive(Default)]
    pub struct Agg(i64);

    #[component(outputs { counts: PartitionCount, copy: Keyed })]
    impl Agg {
        #[path(from = input, to = counts, label = OW, gate = [k])]
        #[path(from = input, to = copy, label = CR)]
        fn input(&mut self, record: Keyed, out: &mut AggOut) {
            self.0 += 1;
            out.copy(record);
        }

        #[on_seal(input)]
        fn sealed(&mut self, k: i64, out: &mut AggOut) {
            out.counts(PartitionCount {
                k,
                n: std::mem::take(&mut self.0),
            });
        }
    }
}

/// src (sealed on `k`) -> Agg -> counts, and Agg's copies -> copies.
#[blazes::dataflow]
mod flow {
    blazes::components! { super::parts::Agg }

    streams! {
        src -> Agg.input { seal: [k] };
        Agg.counts -> counts;
        Agg.copy -> copies;
    }
}

fn topology(window: usize) -> Topology {
    let dataflow = flow::dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let deployment = Deployment::new()
        .source_producers("src", 2)
        .late_detection(window);
    Topology::build(&dataflow, &analysis, &deployment).expect("deployable")
}

fn message(envelope: Envelope) -> Delivery {
    Delivery::Direct { input: 0, envelope }
}

/// Bytes the instance holds after `partitions` partitions went through it.
fn bytes_held(window: usize, partitions: u64) -> Value {
    let topology = topology(window);
    let producers = topology.sources[0].producers.clone();
    let info = &topology.components[0];
    let factories: Factories = flow::factories();
    let handler = factories.make("Agg").expect("factory");
    let mut core = InstanceCore::new(&topology, info, info.instances[0], handler);
    core.start();
    core.take_sends();
    let before = allocated();
    let mut now = 0;
    for k in 0..partitions {
        let k = i64::try_from(k).unwrap_or(i64::MAX);
        let key = Tuple::new().with("k", k);
        for (p, producer) in producers.iter().enumerate() {
            let record = Envelope::Record {
                producer: *producer,
                seq: 2 * k as u64,
                payload: Keyed { k, p: p as i64 }.to_tuple().into(),
            };
            now += 1;
            core.deliver(message(record), Time::from_ticks(now));
        }
        for producer in &producers {
            let seal = Envelope::Seal {
                producer: *producer,
                seq: 2 * k as u64 + 1,
                key: key.clone(),
            };
            now += 1;
            core.deliver(message(seal), Time::from_ticks(now));
        }
        core.take_sends();
    }
    let held = allocated().saturating_sub(before);
    let metrics = core.metrics().clone();
    assert_eq!(
        metrics.released_partitions, partitions,
        "every partition released"
    );
    json!({
        "partitions": partitions,
        "bytes_held": held,
        "bytes_per_partition": held as f64 / partitions as f64,
        "forgotten_partitions": metrics.forgotten_partitions,
    })
}

fn main() {
    let sizes = [10_000_u64, 100_000, 1_000_000];
    let windowed: Vec<Value> = sizes
        .iter()
        .map(|n| bytes_held(DEFAULT_LATE_WINDOW, *n))
        .collect();
    let unbounded: Vec<Value> = sizes.iter().map(|n| bytes_held(usize::MAX, *n)).collect();
    let out = json!({
        "bench": "memory",
        "what": "bytes an instance (seal buffer + seal forwarder) still holds after N partitions were released",
        "default_window": { "late_window": DEFAULT_LATE_WINDOW, "runs": windowed },
        "whole_run_window": { "late_window": "usize::MAX (as before issue 15 fix 6)", "runs": unbounded },
    });
    let text = serde_json::to_string_pretty(&out).unwrap_or_default();
    println!("{text}");
    if let Err(error) = std::fs::create_dir_all("bench-results")
        .and_then(|()| std::fs::write("bench-results/memory.json", format!("{text}\n")))
    {
        eprintln!("could not write bench-results/memory.json: {error}");
    }
}
