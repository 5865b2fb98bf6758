//! A component deployed as several instances (not replicas) must receive
//! each group of an order-sensitive path whole: a routing that splits the
//! groups of the gate is refused when the runner is built, with the fix;
//! one that keeps them whole runs and gives the single instance's answer.

use blazes::runtime::{BuildError, DataflowRunner, Deployment, Factories, Routing, Workload};
use blazes::{
    Annotation, Component, Dataflow, Emit, Fd, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};
use std::collections::BTreeMap;

/// The largest reading per site, emitted when a site's window is sealed.
#[derive(Default)]
struct SiteMax(BTreeMap<String, i64>);

impl Handler for SiteMax {
    fn handle(&mut self, _: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        let site = t.str("site").unwrap_or_default().to_string();
        let value = t.int("value").unwrap_or_default();
        let max = self.0.entry(site).or_insert(i64::MIN);
        *max = (*max).max(value);
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let site = partition.str("site").unwrap_or_default().to_string();
        if let Some(max) = self.0.remove(&site) {
            out.emit("maxima", partition.clone().with("max", max));
        }
    }
}

/// readings (sealed on `site`) -> SiteMax `OW[site]` -> board, with the
/// plain FD `device -> site`.
fn dataflow() -> Dataflow {
    let mut dataflow = Dataflow::new()
        .component(Component::new("SiteMax").path(
            "readings",
            "maxima",
            Annotation::ow(attrs(["site"])),
        ))
        .stream(Stream::between("readings", "SiteMax.readings").sealed(attrs(["site"])))
        .stream(Stream::between("SiteMax.maxima", "board"));
    dataflow.fds.push(Fd {
        from: attrs(["device"]),
        to: "site".to_string(),
        injective: false,
    });
    dataflow
}

fn run(deployment: &Deployment) -> Result<Vec<(String, i64)>, Box<dyn std::error::Error>> {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).map_err(|e| format!("{e:?}"))?;
    let factories = Factories::new().with("SiteMax", || Box::<SiteMax>::default());
    let runner = DataflowRunner::new(&dataflow, &analysis, deployment, factories)?;
    let mut workload = Workload::new();
    for (i, (device, site)) in [("d1", "s1"), ("d2", "s1"), ("d3", "s2"), ("d4", "s2")]
        .iter()
        .enumerate()
    {
        for v in 0..20i64 {
            let reading = Tuple::new()
                .with("device", *device)
                .with("site", *site)
                .with("value", v * (i as i64 + 1));
            workload = workload.record("readings", 0, reading);
        }
    }
    for site in ["s1", "s2"] {
        workload = workload.seal("readings", 0, Tuple::new().with("site", site));
    }
    let rt = tokio::runtime::Runtime::new()?;
    let running = rt.block_on(async { runner.start() })?;
    let report = rt.block_on(running.run_workload(&workload))?;
    let mut maxima: Vec<(String, i64)> = report
        .records("board")
        .iter()
        .map(|r| {
            (
                r.payload.str("site").unwrap_or_default().to_string(),
                r.payload.int("max").unwrap_or_default(),
            )
        })
        .collect();
    maxima.sort();
    Ok(maxima)
}

#[test]
fn random_routing_into_several_instances_of_an_order_sensitive_path_is_refused() {
    let deployment = Deployment::new().instances("SiteMax", 2);
    let err = run(&deployment).expect_err("random routing splits each site between instances");
    let build = err.downcast_ref::<BuildError>().expect("a build error");
    assert!(
        matches!(build, BuildError::SplitGroups(split) if split.component == "SiteMax"),
        "{build}"
    );
    let message = build.to_string();
    assert!(
        message.contains("readings -> SiteMax.readings"),
        "{message}"
    );
    assert!(message.contains("route: [site]"), "{message}");
    // Routing on an attribute the gate does not determine splits too.
    let by_device = Deployment::new().instances("SiteMax", 2).route(
        "readings",
        "SiteMax.readings",
        Routing::by_key(["device"]),
    );
    let err = run(&by_device).expect_err("a site's devices reach different instances");
    assert!(err.to_string().contains("by key [device]"), "{err}");
}

#[test]
fn routing_on_the_gate_runs_and_equals_one_instance() {
    let one = run(&Deployment::new()).expect("one instance");
    assert_eq!(one, vec![("s1".to_string(), 38), ("s2".to_string(), 76)]);
    let by_site = Deployment::new().instances("SiteMax", 3).route(
        "readings",
        "SiteMax.readings",
        Routing::by_key(["site"]),
    );
    assert_eq!(run(&by_site).expect("routed by site"), one);
    // Every instance sees every record: nothing split (each answers whole).
    let broadcast = Deployment::new().instances("SiteMax", 2).route(
        "readings",
        "SiteMax.readings",
        Routing::Broadcast,
    );
    let mut twice = one.clone();
    twice.extend(one.clone());
    twice.sort();
    assert_eq!(run(&broadcast).expect("broadcast"), twice);
}
