//! Issue 11: records are the user's types, with the fields a Rust engineer's
//! own event types have (`Option`s, `Vec`s, floats, bytes, a nested struct).
//! A typed dataflow on the tokio runner carries them exactly: readings sealed
//! and routed on `sensor` are summed per sensor, and the summaries routed on
//! an optional `region` (an `Option` key: `None` is one more region).

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{DataflowRunner, RunReport, Workload};
use blazes::{Field, Record, Tuple, Value};

/// Where a reading was taken: a record used as a field of another.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
    pub floor: Option<i32>,
}

/// One reading of a sensor.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Reading {
    pub region: Option<String>,
    pub celsius: f64,
    pub humidity: Option<f32>,
    pub tags: Vec<String>,
    pub place: Place,
    pub raw: Vec<u8>,
}

/// The seal key of the readings.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct SensorKey {
    pub sensor: u64,
}

/// A sealed sensor's readings, summed.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Summary {
    pub sensor: u64,
    pub region: Option<String>,
    pub count: u32,
    /// The sum of the readings' `celsius`, in the order they were taken
    /// (`seq`), so that it is the same float however they arrive.
    pub total: f64,
    pub coldest: Option<f64>,
    pub humidities: Vec<Option<f32>>,
    pub tags: Vec<String>,
    pub places: Vec<Place>,
    pub raw: Vec<Vec<u8>>,
}

/// What travels: a sensor's reading (a nested record, itself with one)
/// with the position it was taken at, to sum in that order.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Taken {
    pub sensor: u64,
    pub at: u32,
    pub reading: Reading,
}

impl Summary {
    /// The summary of one sensor's readings, taken in the order given.
    fn of(sensor: u64, readings: &[Reading]) -> Summary {
        let mut tags = BTreeSet::new();
        let mut summary = Summary {
            sensor,
            region: readings.first().and_then(|r| r.region.clone()),
            count: 0,
            total: 0.0,
            coldest: None,
            humidities: Vec::new(),
            tags: Vec::new(),
            places: Vec::new(),
            raw: Vec::new(),
        };
        for r in readings {
            summary.count += 1;
            summary.total += r.celsius;
            summary.coldest = Some(summary.coldest.map_or(r.celsius, |c| c.min(r.celsius)));
            summary.humidities.push(r.humidity);
            tags.extend(r.tags.iter().cloned());
            summary.places.push(r.place.clone());
            summary.raw.push(r.raw.clone());
        }
        summary.tags = tags.into_iter().collect();
        summary
    }
}

pub mod parts {
    use std::collections::BTreeMap;

    use blazes::component;

    use super::{Reading, Summary, Taken};

    /// Keeps each sensor's readings until the sensor is sealed.
    #[component]
    #[derive(Default)]
    pub struct Summarize {
        open: BTreeMap<u64, Vec<Taken>>,
    }

    #[component(outputs { summaries: Summary })]
    impl Summarize {
        #[path(from = readings, to = summaries, label = OW, gate = [sensor])]
        fn readings(&mut self, taken: Taken, _out: &mut SummarizeOut) {
            self.open.entry(taken.sensor).or_default().push(taken);
        }

        #[on_seal(readings)]
        fn sealed(&mut self, sensor: u64, out: &mut SummarizeOut) {
            // Every instance hears the seal; the one the sensor's readings
            // were routed to answers.
            let Some(mut taken) = self.open.remove(&sensor) else {
                return;
            };
            taken.sort_by_key(|t| t.at);
            let readings: Vec<Reading> = taken.into_iter().map(|t| t.reading).collect();
            out.summaries(Summary::of(sensor, &readings));
        }
    }

    /// Passes each summary on to the screen.
    #[component]
    #[derive(Default)]
    pub struct Regions;

    #[component(outputs { shown: Summary })]
    impl Regions {
        #[path(from = summaries, to = shown, label = CR)]
        fn summaries(&mut self, summary: Summary, out: &mut RegionsOut) {
            out.shown(summary);
        }
    }
}

/// The dataflow, checked when this file is compiled: `sensor` seals and
/// routes a nested-record stream, `region` (an `Option<String>`) routes.
#[blazes::dataflow]
pub mod sensors {
    blazes::components! { crate::parts::Summarize, crate::parts::Regions }

    streams! {
        readings -> Summarize.readings { seal: [sensor], route: [sensor] };
        Summarize.summaries -> Regions.summaries { route: [region] };
        Regions.shown -> screen;
    }
}

/// `sensors` sensors in `regions` regions (one sensor without a region),
/// each with 1 to 4 readings of awkward values; the workload, and each
/// sensor's readings in the order taken.
fn workload(sensors: u64) -> (Workload, BTreeMap<u64, Vec<Reading>>) {
    let mut workload = Workload::new();
    let mut taken: BTreeMap<u64, Vec<Reading>> = BTreeMap::new();
    let celsius = [
        21.5,
        -0.0,
        0.1,
        -40.25,
        1e-300,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for sensor in 0..sensors {
        let region = match sensor % 3 {
            0 => None,
            1 => Some("north".to_string()),
            _ => Some(format!("zone {}", sensor % 5)),
        };
        for i in 0..(sensor % 4 + 1) {
            let at = (sensor * 3 + i) as usize;
            let reading = Reading {
                region: region.clone(),
                celsius: celsius[at % celsius.len()],
                humidity: (i % 2 == 0).then_some(0.1 + i as f32),
                tags: (0..i).map(|t| format!("t{t}")).collect(),
                place: Place {
                    lat: 0.1 * sensor as f64,
                    lon: -(i as f64),
                    floor: (i > 1).then_some(-(i as i32)),
                },
                raw: (0..i as u8).chain([255]).collect(),
            };
            workload = workload.record(
                "readings",
                0,
                Taken {
                    sensor,
                    at: i as u32,
                    reading: reading.clone(),
                },
            );
            taken.entry(sensor).or_default().push(reading);
        }
        workload = workload.seal("readings", 0, SensorKey { sensor });
    }
    (workload, taken)
}

async fn run(workload: &Workload) -> RunReport {
    let deployment = sensors::deployment()
        .instances("Summarize", 2)
        .instances("Regions", 2);
    let runner = DataflowRunner::new(
        &sensors::dataflow(),
        &sensors::analysis(),
        &deployment,
        sensors::factories(),
    )
    .expect("deployable");
    runner
        .start()
        .expect("started")
        .run_workload(workload)
        .await
        .expect("runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_with_options_lists_floats_and_nested_records_travel_exactly() {
    let (workload, taken) = workload(12);
    let report = run(&workload).await;
    assert!(report.is_success(), "{:#?}", report.failures());
    let shown = report.read_sink::<Summary>("screen").expect("summaries");
    // Compared as tuples: a tuple's floats are equal only with the same
    // bits (`-0.0` is not `0.0`, a NaN is itself).
    let got: BTreeSet<Tuple> = shown.iter().map(|(_, s)| s.to_tuple()).collect();
    let summaries: Vec<Summary> = taken
        .iter()
        .map(|(sensor, readings)| Summary::of(*sensor, readings))
        .collect();
    assert!(
        summaries.iter().any(|s| s.total.is_nan()) && summaries.iter().any(|s| s.region.is_none()),
        "the workload has a NaN total and a sensor without a region"
    );
    let expected: BTreeSet<Tuple> = summaries.iter().map(Summary::to_tuple).collect();
    assert_eq!(shown.len(), taken.len(), "one summary per sensor");
    assert_eq!(got, expected);
    // Each region, `None` included, was routed to one instance of Regions.
    let mut instances: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
    for (instance, summary) in &shown {
        instances
            .entry(summary.region.clone())
            .or_default()
            .insert(instance.clone());
    }
    assert!(instances.contains_key(&None), "{instances:?}");
    assert!(
        instances.values().all(|i| i.len() == 1),
        "a region on two instances: {instances:?}"
    );
}

#[test]
fn nested_records_round_trip_through_their_tuples() {
    let (_, taken) = workload(6);
    for (sensor, readings) in &taken {
        for (at, reading) in readings.iter().enumerate() {
            let t = Taken {
                sensor: *sensor,
                at: at as u32,
                reading: reading.clone(),
            };
            let tuple = t.to_tuple();
            let Some(Value::Record(inner)) = tuple.get("reading") else {
                panic!("the reading is a nested record: {tuple}");
            };
            assert!(
                matches!(inner.get("place"), Some(Value::Record(_))),
                "{inner}"
            );
            assert_eq!(inner.get("celsius"), Some(&reading.celsius.to_value()));
            assert_eq!(Taken::from_tuple(&tuple).map(|t| t.to_tuple()), Ok(tuple));
        }
    }
    // A nested record of the wrong shape names the outer field.
    let wrong = Tuple::new()
        .with("sensor", 1)
        .with("at", 0)
        .with("reading", Tuple::new().with("celsius", 1.0));
    let error = Taken::from_tuple(&wrong).expect_err("not a reading");
    assert_eq!((error.field, error.missing), ("reading", false));
}

#[test]
fn a_derived_tuple_is_the_tuple_set_by_name_and_reads_back_from_any_tuple() {
    // Declared out of name order: built in name order, read by position.
    let taken = Taken {
        sensor: 7,
        at: 3,
        reading: workload(1).1[&0][0].clone(),
    };
    let tuple = taken.to_tuple();
    let by_name = Tuple::new()
        .with("sensor", 7)
        .with("reading", taken.reading.to_tuple())
        .with("at", 3);
    assert_eq!(tuple, by_name);
    assert_eq!(tuple.to_string(), by_name.to_string());
    let names: Vec<&str> = tuple.fields().map(|(n, _)| n).collect();
    assert_eq!(names, ["at", "reading", "sensor"]);
    // Names made at run time (as a decoder makes them), and extra fields
    // that move every field's position: found by name.
    assert_eq!(Taken::from_tuple(&by_name), Ok(taken.clone()));
    let shifted = by_name.with("aa", 0).with("zz", 0);
    assert_eq!(Taken::from_tuple(&shifted), Ok(taken));
}

/// An item of an optional batch: `None` is a batch of its own.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Item {
    pub batch: Option<u32>,
    pub weight: f64,
}

/// The seal key of the items: an `Option` key.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct BatchKey {
    pub batch: Option<u32>,
}

/// A sealed batch's weights, in the order they arrived.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Weighed {
    pub batch: Option<u32>,
    pub weights: Vec<f64>,
}

pub mod weigh {
    use std::collections::BTreeMap;

    use blazes::component;

    use super::{Item, Weighed};

    /// Collects each batch's weights until the batch is sealed.
    #[component]
    #[derive(Default)]
    pub struct Weigh {
        open: BTreeMap<Option<u32>, Vec<f64>>,
    }

    #[component(outputs { batches: Weighed })]
    impl Weigh {
        #[path(from = items, to = batches, label = OW, gate = [batch])]
        fn items(&mut self, item: Item, _out: &mut WeighOut) {
            self.open.entry(item.batch).or_default().push(item.weight);
        }

        #[on_seal(items)]
        fn sealed(&mut self, batch: Option<u32>, out: &mut WeighOut) {
            let weights = self.open.remove(&batch).unwrap_or_default();
            out.batches(Weighed { batch, weights });
        }
    }
}

/// Items sealed on an optional batch.
#[blazes::dataflow]
pub mod batches {
    blazes::components! { crate::weigh::Weigh }

    streams! {
        items -> Weigh.items { seal: [batch] };
        Weigh.batches -> weighed;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_option_key_seals_its_none_partition_like_any_other() {
    let batches = [None, Some(0), Some(7), None, Some(0)];
    let mut workload = Workload::new();
    let mut expected: BTreeMap<Option<u32>, Vec<f64>> = BTreeMap::new();
    for (i, batch) in batches.iter().enumerate() {
        let weight = [-0.0, 0.5, f64::NAN][i % 3];
        workload = workload.record(
            "items",
            0,
            Item {
                batch: *batch,
                weight,
            },
        );
        expected.entry(*batch).or_default().push(weight);
    }
    for batch in expected.keys() {
        workload = workload.seal("items", 0, BatchKey { batch: *batch });
    }
    let runner = DataflowRunner::new(
        &batches::dataflow(),
        &batches::analysis(),
        &batches::deployment(),
        batches::factories(),
    )
    .expect("deployable");
    let report = runner
        .start()
        .expect("started")
        .run_workload(&workload)
        .await
        .expect("runs");
    assert!(report.is_success(), "{:#?}", report.failures());
    let got: BTreeSet<Tuple> = report
        .read_sink::<Weighed>("weighed")
        .expect("batches")
        .into_iter()
        .map(|(_, w)| w.to_tuple())
        .collect();
    let expected: BTreeSet<Tuple> = expected
        .into_iter()
        .map(|(batch, weights)| Weighed { batch, weights }.to_tuple())
        .collect();
    assert_eq!(got.len(), 3, "None, Some(0) and Some(7): {got:?}");
    assert_eq!(got, expected);
}

/// Across processes: a frame of the wire between processes carries the new
/// kinds of values exactly.
#[cfg(feature = "nats")]
#[test]
fn records_with_every_kind_of_field_cross_the_wire_exactly() {
    use blazes::dist::wire::{self, Frame};
    use blazes::runtime::ProducerId;
    use blazes::runtime::sans_io::{Delivery, Envelope, Payload};

    let (_, taken) = workload(6);
    let messages: Vec<Delivery> = taken
        .iter()
        .flat_map(|(sensor, readings)| readings.iter().map(move |r| (*sensor, r)))
        .enumerate()
        .map(|(seq, (sensor, reading))| Delivery::Direct {
            input: 0,
            envelope: Envelope::Record {
                producer: ProducerId(1),
                seq: seq as u64,
                // Typed, as a typed component's output carries it: on the
                // wire its tuple, read back as the tuple.
                payload: Payload::typed(Taken {
                    sensor,
                    at: 0,
                    reading: reading.clone(),
                }),
            },
        })
        .collect();
    let frame = Frame {
        from: ProducerId(1),
        epoch: 1,
        link_seq: 0,
        messages,
    };
    let bytes = wire::encode(&frame).expect("encodes");
    assert_eq!(wire::decode(&bytes), Ok(frame));
}

/// A recursive record: a node holding its parent by `Box`.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Node {
    pub name: String,
    pub parent: Option<Box<Node>>,
}

#[test]
fn a_record_holding_another_by_box_round_trips() {
    let root = Node {
        name: "root".to_string(),
        parent: None,
    };
    let leaf = Node {
        name: "leaf".to_string(),
        parent: Some(Box::new(root.clone())),
    };
    let tuple = leaf.to_tuple();
    assert_eq!(tuple.get("parent"), Some(&Value::Record(root.to_tuple())));
    assert_eq!(Node::from_tuple(&tuple), Ok(leaf));
}

/// A record keyed by a string, an integer and an optional string.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Labelled {
    pub label: String,
    pub n: u64,
    pub region: Option<String>,
    pub weight: f64,
}

#[test]
fn the_leading_run_of_equal_keys_is_counted_as_the_field_values_compare() {
    // The runtime finds where a run changes partition or destination by
    // `Record::leading_equal`; the derive compares eight fields at a time
    // and the field's own type, and must count what comparing each
    // record's value counts, wherever the first difference falls.
    let label = |i: usize, differ: usize| Labelled {
        label: if i == differ { "b".into() } else { "a".into() },
        n: if i == differ { u64::MAX } else { 7 },
        region: (i != differ).then(|| "north".into()),
        weight: if i == differ { 0.5 } else { 1.5 },
    };
    let by_value = |records: &[Labelled], name: &str, value: &Value| {
        records
            .iter()
            .take_while(|r| r.field_value(name).as_ref() == Some(value))
            .count()
    };
    for len in [0, 1, 7, 8, 9, 16, 17, 25] {
        for differ in 0..=len {
            let records: Vec<Labelled> = (0..len).map(|i| label(i, differ)).collect();
            let first = label(0, usize::MAX);
            for name in ["label", "n", "region", "weight"] {
                let Some(value) = first.field_value(name) else {
                    panic!("{name} is a field");
                };
                let counted = Labelled::leading_equal(&records, name, &value);
                assert_eq!(
                    counted,
                    differ.min(len),
                    "{name}: {len} records, first other at {differ}"
                );
                assert_eq!(counted, by_value(&records, name, &value));
            }
            // A value of another kind than the field's, or a name the
            // record lacks, starts no run.
            assert_eq!(Labelled::leading_equal(&records, "n", &Value::from("7")), 0);
            assert_eq!(
                Labelled::leading_equal(&records, "label", &Value::Int(7)),
                0
            );
            assert_eq!(
                Labelled::leading_equal(&records, "absent", &Value::Int(7)),
                0
            );
        }
    }
}
