//! A component deployed as several instances (not replicas) splits its
//! input between them. An order-sensitive path computes over groups of its
//! gate (`OW[site, window]`: per site and window), so each group must reach
//! one instance whole, or every instance emits a partial result for it and
//! the sink gets several "answers" for one group, none of them right. The
//! analysis reasons about a component as one logical process; this check
//! is what keeps a deployment faithful to that.
//!
//! A stream into such an input must be routed by a key that every group of
//! the gate determines: a non-empty key within the gate's closure under the
//! dataflow's functional dependencies (with `session -> user`, a gate on
//! `session` is kept whole by routing on `user`). Broadcast (every instance
//! gets everything) splits nothing. Random and paired routing split groups
//! and are refused, as is any partitioning of a path with an empty gate (one
//! group: the whole stream). Confluent paths need no such care: their
//! outputs do not depend on how the input is split; nor do reads (`OR`),
//! each answered on its own, as long as the writes of its group reach its
//! instance (the second check, which holds an `OW` path to the same: it
//! reads the state that the component's other write paths update).

use blazes_core::{AttrSet, Dataflow, Endpoint, Fd, PathKind};

use super::deployment::Routing;
use super::error::{BuildError, ScatteredWrites, SplitGroups};

/// Whether `routing` keeps every group of `gate` on one instance.
fn keeps_groups(routing: &Routing, gate: &AttrSet, fds: &[Fd]) -> bool {
    match routing {
        Routing::Broadcast => true,
        Routing::Random | Routing::Paired => false,
        // Every group of the gate determines the key: the analysis's own
        // predicate (spec §3), a seal key and a routing key alike.
        Routing::ByKey(key) => blazes_core::compatible(fds, gate, key),
    }
}

/// Refuses a stream whose routing splits the groups of an order-sensitive
/// path of a partitioned (several instances, not `rep`) component.
/// `routing_of(stream_index)` is the routing the deployment gives stream
/// `stream_index` of the dataflow; `instances(component)` its instance count;
/// `ordered(component)` whether a sequencer orders some of its inputs.
pub(crate) fn check(
    dataflow: &Dataflow,
    instances: impl Fn(&str) -> usize,
    routing_of: impl Fn(usize) -> Routing,
    ordered: impl Fn(&str) -> bool,
) -> Result<(), BuildError> {
    for (si, stream) in dataflow.streams.iter().enumerate() {
        let Endpoint::Port {
            component,
            interface,
        } = &stream.to
        else {
            continue;
        };
        let Some(info) = dataflow.components.iter().find(|c| &c.name == component) else {
            continue;
        };
        let count = instances(component);
        if info.rep || count < 2 {
            continue;
        }
        let routing = routing_of(si);
        for path in info.paths.iter().filter(|p| &p.from == interface) {
            let annotation = &path.annotation;
            // A read (`OR`) aggregates nothing: each record is answered from
            // the state of its instance, which the writes must reach
            // (`check_reads_meet_writes`), however the reads are split;
            // unless a sequencer orders the instance's inputs: each instance
            // has its own order of the writes, so the reads of one group
            // must meet one order.
            let read_split_freely = annotation.kind == PathKind::OR && !ordered(component);
            if !annotation.kind.is_order_sensitive() || read_split_freely {
                continue;
            }
            let empty = AttrSet::default();
            let gates: Vec<&AttrSet> = if annotation.gates.is_empty() {
                vec![&empty]
            } else {
                annotation.gates.iter().collect()
            };
            let keeps = gates
                .iter()
                .all(|gate| keeps_groups(&routing, gate, &dataflow.fds));
            // Each stream may keep a group whole, and two streams into the
            // one input still split it if they put it on different
            // instances: every stream into it must route the same way.
            let other = streams_into(dataflow, component, interface)
                .filter(|&other| other != si)
                .map(|other| (other, routing_of(other)))
                .find(|(_, other)| *other != routing);
            let (routing_text, fix_text) = match (keeps, &other) {
                (true, None) => continue,
                (true, Some((other, other_routing))) => (
                    format!(
                        "{}, while `{} -> {}` into the same input is routed {}",
                        describe(&routing),
                        dataflow.streams[*other].from,
                        dataflow.streams[*other].to,
                        describe(other_routing)
                    ),
                    format!(
                        "route every stream into `{component}.{interface}` by one and the same \
                         key (a record goes to the instance its key's hash picks, so only the \
                         same key puts a group's records together); {}",
                        fix(component, &gates, &dataflow.fds)
                    ),
                ),
                (false, _) => (describe(&routing), fix(component, &gates, &dataflow.fds)),
            };
            return Err(BuildError::SplitGroups(Box::new(SplitGroups {
                stream: format!("{} -> {}", stream.from, stream.to),
                component: component.clone(),
                instances: count,
                path: format!("{} -> {}", path.from, path.to),
                annotation: annotation.to_string(),
                routing: routing_text,
                consequence: if annotation.kind == PathKind::OR {
                    "whose reads would meet its writes in the order each instance's sequencer \
                     gives them"
                        .to_string()
                } else {
                    "each emitting a partial result for it".to_string()
                },
                fix: fix_text,
            })));
        }
    }
    for info in &dataflow.components {
        let count = instances(&info.name);
        if info.rep || count < 2 {
            continue;
        }
        check_reads_meet_writes(dataflow, info, count, &routing_of)?;
    }
    Ok(())
}

/// The indexes of the streams into `component`'s input `interface`.
fn streams_into<'a>(
    dataflow: &'a Dataflow,
    component: &'a str,
    interface: &'a str,
) -> impl Iterator<Item = usize> + 'a {
    dataflow
        .streams
        .iter()
        .enumerate()
        .filter_map(move |(si, s)| match &s.to {
            Endpoint::Port {
                component: c,
                interface: i,
            } if c == component && i == interface => Some(si),
            _ => None,
        })
}

/// Whether a write routed `write` reaches the instance that a read routed
/// `read` is handled by, for every group.
fn meets(write: &Routing, read: &Routing) -> bool {
    match (write, read) {
        (Routing::Broadcast, _) => true,
        (Routing::ByKey(w), Routing::ByKey(r)) => w == r,
        _ => false,
    }
}

/// Refuses a stream into a write path of partitioned `info` whose records
/// would not reach the instance of every path that observes them: a read
/// (`OR`), or an order-sensitive write (`OW`), whose output depends on the
/// state as the writes of other inputs left it.
fn check_reads_meet_writes(
    dataflow: &Dataflow,
    info: &blazes_core::Component,
    count: usize,
    routing_of: &impl Fn(usize) -> Routing,
) -> Result<(), BuildError> {
    let component = info.name.as_str();
    // The paths whose outputs depend on the state: reads (`OR`) and
    // order-sensitive writes (`OW`), which read what they update. A
    // confluent path's output does not depend on the state it writes.
    for read in info
        .paths
        .iter()
        .filter(|p| p.annotation.kind.is_order_sensitive())
    {
        for write in info
            .paths
            .iter()
            .filter(|p| p.annotation.kind.writes_state())
        {
            for ri in streams_into(dataflow, component, &read.from) {
                let read_routing = routing_of(ri);
                for wi in streams_into(dataflow, component, &write.from) {
                    let write_routing = routing_of(wi);
                    if wi == ri || meets(&write_routing, &read_routing) {
                        continue;
                    }
                    let (w, r) = (&dataflow.streams[wi], &dataflow.streams[ri]);
                    let write_stream = format!("{} -> {}", w.from, w.to);
                    let read_stream = format!("{} -> {}", r.from, r.to);
                    let fix = match &read_routing {
                        Routing::ByKey(key) => format!(
                            "route `{write_stream}` by the key of `{read_stream}`, `{{ route: [{k}] }}` \
                             in `streams!` or `Deployment::route(.., Routing::by_key([{q}]))`, \
                             or broadcast it (`Routing::Broadcast`); or run one instance of \
                             `{component}`",
                            k = join(key),
                            q = key
                                .iter()
                                .map(|a| format!("\"{a}\""))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        _ => format!(
                            "broadcast `{write_stream}` (`Routing::Broadcast`): the reads are \
                             not routed by a key, so every instance must hold every write; or \
                             run one instance of `{component}`"
                        ),
                    };
                    return Err(BuildError::ScatteredWrites(Box::new(ScatteredWrites {
                        stream: write_stream,
                        component: component.to_string(),
                        instances: count,
                        write: format!("{} -> {} ({})", write.from, write.to, write.annotation),
                        routing: describe(&write_routing),
                        read: format!("{} -> {} ({})", read.from, read.to, read.annotation),
                        read_stream,
                        read_routing: describe(&read_routing),
                        fix,
                    })));
                }
            }
        }
    }
    Ok(())
}

fn describe(routing: &Routing) -> String {
    match routing {
        Routing::Broadcast => "broadcast".to_string(),
        Routing::Random => "random (the default into several instances)".to_string(),
        Routing::Paired => "paired".to_string(),
        Routing::ByKey(key) => format!("by key [{}]", join(key)),
    }
}

/// How to route into `component` so that no group of `gates` is split: the
/// single attributes that every gate determines (within it, or reached by an
/// FD: the same predicate as [`keeps_groups`]), each a routing key that works.
fn fix(component: &str, gates: &[&AttrSet], fds: &[Fd]) -> String {
    if gates.iter().any(|gate| gate.is_empty()) {
        return format!(
            "the path has no gate, so its group is the whole stream: run one instance of \
             `{component}`, or mark it replicated (`rep`)"
        );
    }
    let mentioned: std::collections::BTreeSet<&String> = gates
        .iter()
        .flat_map(|gate| gate.iter())
        .chain(fds.iter().flat_map(|fd| fd.from.iter().chain([&fd.to])))
        .collect();
    let keys: Vec<String> = mentioned
        .into_iter()
        .filter(|a| {
            let key = Routing::ByKey(std::iter::once((*a).clone()).collect());
            gates.iter().all(|gate| keeps_groups(&key, gate, fds))
        })
        .map(|a| format!("`{{ route: [{a}] }}`"))
        .collect();
    match keys.split_last() {
        Some((last, rest)) => {
            let keys = if rest.is_empty() {
                last.clone()
            } else {
                format!("{} or {last}", rest.join(", "))
            };
            format!(
                "route the stream by a key its gate determines, e.g. {keys} in `streams!` (or \
                 `Deployment::route(.., Routing::by_key([..]))`); or run one instance of \
                 `{component}`"
            )
        }
        None => format!(
            "route the stream by a key that every gate of the path determines (none is a single \
             attribute here), or broadcast it; or run one instance of `{component}`"
        ),
    }
}

fn join(attrs: &AttrSet) -> String {
    attrs.iter().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use blazes_core::attrs;

    use super::*;

    fn fd(from: &str, to: &str, injective: bool) -> Fd {
        Fd {
            from: attrs([from]),
            to: to.to_string(),
            injective,
        }
    }

    #[test]
    fn a_key_within_the_gate_or_determined_by_it_keeps_groups_whole() {
        let gate = attrs(["site", "window"]);
        assert!(keeps_groups(&Routing::by_key(["site"]), &gate, &[]));
        assert!(keeps_groups(
            &Routing::by_key(["site", "window"]),
            &gate,
            &[]
        ));
        assert!(keeps_groups(&Routing::Broadcast, &gate, &[]));
        assert!(!keeps_groups(&Routing::by_key(["device"]), &gate, &[]));
        assert!(!keeps_groups(&Routing::Random, &gate, &[]));
        assert!(!keeps_groups(&Routing::Paired, &gate, &[]));
        // session -> user (many-to-one): a session's records share a user.
        let fds = [fd("session", "user", false)];
        assert!(keeps_groups(
            &Routing::by_key(["user"]),
            &attrs(["session"]),
            &fds
        ));
        // ..but a user's records span sessions: routing by session splits a user.
        assert!(!keeps_groups(
            &Routing::by_key(["session"]),
            &attrs(["user"]),
            &fds
        ));
        // One-to-one: either determines the other.
        let fds = [fd("company", "symbol", true)];
        assert!(keeps_groups(
            &Routing::by_key(["company"]),
            &attrs(["symbol"]),
            &fds
        ));
    }

    #[test]
    fn the_fix_for_a_split_group_lists_every_key_the_gate_determines() {
        // Totals per store and day; each store is in one region.
        let fds = [fd("store", "region", false), fd("region", "zone", false)];
        let gate = attrs(["day", "store"]);
        let fix = fix("Sum", &[&gate], &fds);
        assert!(
            fix.contains(
                "e.g. `{ route: [day] }`, `{ route: [region] }`, `{ route: [store] }` or \
                 `{ route: [zone] }`"
            ),
            "{fix}"
        );
        // Two gates: only what both determine.
        let other = attrs(["region", "week"]);
        let fix = self::fix("Sum", &[&gate, &other], &fds);
        assert!(
            fix.contains("e.g. `{ route: [region] }` or `{ route: [zone] }`"),
            "{fix}"
        );
        // Nothing single that both determine.
        let fix = self::fix("Sum", &[&attrs(["a"]), &attrs(["b"])], &[]);
        assert!(fix.contains("none is a single attribute here"), "{fix}");
    }

    /// Sum (`OW[day,store]`, 2 instances, `store -> region`) fed on one
    /// input by two streams, routed `big` and `small`.
    fn check_two_streams(big: Routing, small: Routing) -> Result<(), BuildError> {
        use blazes_core::{Annotation, Component, Stream};
        let dataflow = Dataflow::new()
            .component(Component::new("Sum").path(
                "parts",
                "totals",
                Annotation::ow(attrs(["day", "store"])),
            ))
            .stream(Stream::between("big", "Sum.parts"))
            .stream(Stream::between("small", "Sum.parts"))
            .stream(Stream::between("Sum.totals", "totals"))
            .fd(attrs(["store"]), "region");
        check(
            &dataflow,
            |_| 2,
            |si| match si {
                0 => big.clone(),
                1 => small.clone(),
                _ => Routing::Random,
            },
            |_| false,
        )
    }

    #[test]
    fn streams_into_one_input_must_route_a_group_to_one_instance() {
        let store = || Routing::by_key(["store"]);
        assert_eq!(check_two_streams(store(), store()), Ok(()));
        assert_eq!(
            check_two_streams(Routing::Broadcast, Routing::Broadcast),
            Ok(())
        );
        // Each keeps groups whole alone, yet a store's big and small orders
        // land on different instances: each total would be partial.
        for (big, small) in [
            (store(), Routing::by_key(["region"])),
            (Routing::by_key(["day"]), store()),
            (store(), Routing::Broadcast),
        ] {
            let Err(BuildError::SplitGroups(split)) = check_two_streams(big.clone(), small.clone())
            else {
                panic!("{big:?} with {small:?} must be refused");
            };
            assert!(
                split.routing.contains("into the same input is routed"),
                "{split}"
            );
            assert!(
                split
                    .fix
                    .contains("route every stream into `Sum.parts` by one and the same key"),
                "{split}"
            );
        }
    }

    #[test]
    fn an_empty_gate_cannot_be_partitioned() {
        assert!(!keeps_groups(
            &Routing::by_key(["a"]),
            &attrs(Vec::<String>::new()),
            &[]
        ));
        assert!(keeps_groups(
            &Routing::Broadcast,
            &attrs(Vec::<String>::new()),
            &[]
        ));
    }

    /// A store partitioned over 2 instances: `puts -> acks` writes (`CW`),
    /// `gets -> answers` reads it (`OR[key]`); `rep` makes it replicated.
    fn store(rep: bool) -> Dataflow {
        use blazes_core::{Annotation, Component, Stream};
        Dataflow::new()
            .component(
                Component::new("Store")
                    .path("puts", "acks", Annotation::cw())
                    .path("gets", "answers", Annotation::or(attrs(["key"])))
                    .replicated(rep),
            )
            .stream(Stream::between("puts", "Store.puts"))
            .stream(Stream::between("gets", "Store.gets"))
            .stream(Stream::between("Store.acks", "acks"))
            .stream(Stream::between("Store.answers", "answers"))
    }

    /// The check of `store(rep)` on `instances` instances, with the puts
    /// routed `puts` and the gets `gets`.
    fn check_store(
        rep: bool,
        instances: usize,
        puts: Routing,
        gets: Routing,
    ) -> Result<(), BuildError> {
        check_store_ordered(rep, instances, puts, gets, false)
    }

    /// [`check_store`], with a sequencer ordering the store's inputs when
    /// `ordered`.
    fn check_store_ordered(
        rep: bool,
        instances: usize,
        puts: Routing,
        gets: Routing,
        ordered: bool,
    ) -> Result<(), BuildError> {
        let dataflow = store(rep);
        check(
            &dataflow,
            |_| instances,
            |si| match si {
                0 => puts.clone(),
                1 => gets.clone(),
                _ => Routing::Random,
            },
            |_| ordered,
        )
    }

    /// Reserve (2 instances): `orders -> shipped` is `OW[sku]`, and
    /// `restocks -> shipped` (`CW`) writes the stock that path reads.
    fn check_reserve(orders: Routing, restocks: Routing) -> Result<(), BuildError> {
        use blazes_core::{Annotation, Component, Stream};
        let dataflow = Dataflow::new()
            .component(
                Component::new("Reserve")
                    .path("orders", "shipped", Annotation::ow(attrs(["sku"])))
                    .path("restocks", "shipped", Annotation::cw()),
            )
            .stream(Stream::between("orders", "Reserve.orders"))
            .stream(Stream::between("restocks", "Reserve.restocks"))
            .stream(Stream::between("Reserve.shipped", "shipped"))
            .fd(attrs(["sku"]), "warehouse");
        check(
            &dataflow,
            |_| 2,
            |si| match si {
                0 => orders.clone(),
                1 => restocks.clone(),
                _ => Routing::Random,
            },
            |_| false,
        )
    }

    #[test]
    fn writes_must_reach_the_instance_whose_order_sensitive_path_reads_them() {
        let sku = || Routing::by_key(["sku"]);
        assert_eq!(check_reserve(sku(), sku()), Ok(()));
        assert_eq!(check_reserve(sku(), Routing::Broadcast), Ok(()));
        // Each keeps a sku's orders whole (`sku -> warehouse`), yet a sku's
        // restocks land on another instance than its orders.
        for restocks in [Routing::by_key(["warehouse"]), Routing::Random] {
            let Err(BuildError::ScatteredWrites(e)) = check_reserve(sku(), restocks.clone()) else {
                panic!("restocks routed {restocks:?} under orders by sku were accepted");
            };
            assert_eq!(e.stream, "restocks -> Reserve.restocks");
            assert_eq!(e.read, "orders -> shipped (OW[sku])");
            assert!(
                e.fix
                    .contains("by the key of `orders -> Reserve.orders`, `{ route: [sku] }`"),
                "{e}"
            );
        }
    }

    #[test]
    fn writes_must_reach_the_instance_that_reads_their_group() {
        let by_key = || Routing::by_key(["key"]);
        // The same key, or every instance holding every write: a read sees
        // all the writes of its group.
        assert_eq!(check_store(false, 2, by_key(), by_key()), Ok(()));
        assert_eq!(check_store(false, 2, Routing::Broadcast, by_key()), Ok(()));
        assert_eq!(
            check_store(false, 2, Routing::Broadcast, Routing::Broadcast),
            Ok(())
        );
        // Reads split at random: each is answered alone, and every instance
        // holds every write.
        assert_eq!(
            check_store(false, 2, Routing::Broadcast, Routing::Random),
            Ok(())
        );
        // One instance, or replicas: nothing is split.
        assert_eq!(check_store(false, 1, Routing::Random, by_key()), Ok(()));
        assert_eq!(
            check_store(true, 2, Routing::Random, Routing::Broadcast),
            Ok(())
        );
        // Scattered: at random, by another key, by key while reads go
        // everywhere.
        for (puts, gets) in [
            (Routing::Random, by_key()),
            (Routing::Paired, by_key()),
            (Routing::by_key(["region"]), by_key()),
            (by_key(), Routing::Broadcast),
            (by_key(), Routing::Random),
        ] {
            let Err(BuildError::ScatteredWrites(e)) =
                check_store(false, 2, puts.clone(), gets.clone())
            else {
                panic!("{puts:?} writes under {gets:?} reads were accepted");
            };
            assert_eq!(e.stream, "puts -> Store.puts");
            assert_eq!(e.read, "gets -> answers (OR[key])");
            assert_eq!(e.write, "puts -> acks (CW)");
        }
        let Err(e) = check_store(false, 2, Routing::Random, by_key()) else {
            panic!("accepted");
        };
        let text = e.to_string();
        assert!(
            text.contains(
                "route `puts -> Store.puts` by the key of `gets -> Store.gets`, `{ route: [key] }`"
            ),
            "{text}"
        );
        assert!(text.contains("routed random"), "{text}");
    }
}
