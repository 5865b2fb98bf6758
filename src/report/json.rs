//! The machine-readable result (spec §7).

use std::collections::BTreeMap;

use blazes_core::{Analysis, Coordination, Label, OrderKind, Strategy};
use serde_json::{Map, Value, json};

fn labels(map: &BTreeMap<String, Label>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
            .collect(),
    )
}

fn coordination(c: &Coordination) -> Value {
    let mut entry = Map::new();
    entry.insert("component".into(), json!(c.component));
    match &c.strategy {
        Strategy::Seal { key, vote } => {
            entry.insert("strategy".into(), json!("seal"));
            entry.insert("key".into(), json!(key));
            entry.insert("vote".into(), json!(vote.to_string()));
        }
        Strategy::Order { kind } => {
            entry.insert("strategy".into(), json!("order"));
            match kind {
                OrderKind::Dynamic => {
                    entry.insert("kind".into(), json!("dynamic"));
                }
                OrderKind::Static { seq } => {
                    entry.insert("kind".into(), json!("static"));
                    entry.insert("seq".into(), json!(seq));
                }
            }
        }
    }
    entry.insert("inputs".into(), json!(c.inputs));
    entry.insert("output".into(), json!(c.output));
    entry.insert("applied".into(), json!(c.applied));
    Value::Object(entry)
}

/// The JSON object of spec §7, with the derivation-free extras (inputs,
/// streams, violations with their fixes in words).
pub fn render(analysis: &Analysis) -> Value {
    let violations: Vec<Value> = analysis
        .violations
        .iter()
        .map(|v| {
            json!({
                "sink": v.sink,
                "label": v.label.to_string(),
                "causes": v.causes.iter().map(|c| json!({
                    "node": c.node,
                    "label": c.label.to_string(),
                    "why": c.why,
                    "fixes": c.fixes.iter()
                        .map(|f| blazes_core::explain::fix(f, analysis))
                        .collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "name": analysis.name,
        "requires": analysis.requires.to_string(),
        "coordinate": analysis.coordinate.to_string(),
        "outputs": labels(&analysis.outputs),
        "inputs": labels(&analysis.inputs),
        "sources": labels(&analysis.sources),
        "sinks": labels(&analysis.sinks),
        "streams": labels(&analysis.streams),
        "coordination": analysis.coordination.iter().map(coordination).collect::<Vec<_>>(),
        "residual": labels(&analysis.residual),
        "residual_outputs": labels(&analysis.residual_outputs),
        "violations": violations,
        "ok": analysis.ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::{Annotation, Component, Dataflow, Stream, analyze, attrs};

    #[test]
    fn sealed_wordcount_json_has_spec_fields() {
        let d = Dataflow::new()
            .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
            .component(Component::new("Count").path(
                "words",
                "counts",
                Annotation::ow(attrs(["word", "batch"])),
            ))
            .stream(Stream::between("tweets", "Splitter.tweets").sealed(attrs(["batch"])))
            .stream(Stream::between("Splitter.words", "Count.words"))
            .stream(Stream::between("Count.counts", "db"));
        let v = render(&analyze(&d).unwrap());
        assert_eq!(v["outputs"]["Splitter.words"], "Seal[batch]");
        assert_eq!(v["sinks"]["db"], "Async");
        assert_eq!(v["residual"]["db"], "Async");
        assert_eq!(v["ok"], true);
        assert_eq!(v["coordination"][0]["component"], "Count");
        assert_eq!(v["coordination"][0]["strategy"], "seal");
        assert_eq!(v["coordination"][0]["key"], json!(["batch"]));
        assert_eq!(v["coordination"][0]["vote"], "unanimous");
    }
}
