//! What a run id names (runtime spec, "Restarts": a run id names one run;
//! reusing it for another dataflow or workload is refused).
//!
//! A [`RunIdentity`] is a fingerprint of the dataflow (a CRC-32 of its
//! full description: components, streams, annotations), a summary of the
//! deployment (instances, source producers, routing, coordination, seed)
//! and the workload as the user names it
//! (`ClusterConfig::workload`, feature `dist`). The
//! first process of a run records it on the run's stream
//! ([`RunStream::claim_identity`](super::RunStream::claim_identity)); every
//! later one compares, and a difference is refused naming the part that
//! differs. Sans-IO: this module only builds and compares.

use std::fmt;

use blazes_core::Dataflow;
use serde::{Deserialize, Serialize};

use crate::runtime::Deployment;

/// The fingerprint of one run: what every process of it must agree on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// The dataflow's digest (CRC-32 of its description, in hex, and the
    /// description's length).
    pub dataflow: String,
    /// The deployment, summarised.
    pub deployment: String,
    /// The workload, as the user names it (empty: not named).
    pub workload: String,
}

impl RunIdentity {
    /// The identity of `dataflow` deployed by `deployment` on `workload`.
    pub fn of(dataflow: &Dataflow, deployment: &Deployment, workload: &str) -> RunIdentity {
        let description = format!("{dataflow:?}");
        RunIdentity {
            dataflow: format!(
                "{:08x}/{}",
                crc32fast::hash(description.as_bytes()),
                description.len()
            ),
            deployment: format!(
                "instances {:?}, source producers {:?}, routing {:?}, coordination {:?}, seed {}",
                deployment.instances,
                deployment.producers,
                deployment.routing,
                deployment.coordination,
                deployment.seed
            ),
            workload: workload.to_string(),
        }
    }

    /// As recorded on the run's stream.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        // A struct of three strings always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Read back from the run's stream.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<RunIdentity, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// One part of a run's identity that differs from the recorded one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// `dataflow`, `deployment` or `workload`.
    pub part: &'static str,
    /// What the run recorded.
    pub recorded: String,
    /// What this process has.
    pub here: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} differs (recorded `{}`, this process `{}`)",
            self.part, self.recorded, self.here
        )
    }
}

/// The parts of `here` that differ from `recorded`, in a fixed order.
pub fn differences(recorded: &RunIdentity, here: &RunIdentity) -> Vec<Difference> {
    [
        ("dataflow", &recorded.dataflow, &here.dataflow),
        ("deployment", &recorded.deployment, &here.deployment),
        ("workload", &recorded.workload, &here.workload),
    ]
    .into_iter()
    .filter(|(_, r, h)| r != h)
    .map(|(part, r, h)| Difference {
        part,
        recorded: r.clone(),
        here: h.clone(),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::{Component, Stream};

    fn dataflow(name: &str) -> Dataflow {
        Dataflow::new()
            .component(Component::new(name))
            .component(Component::new("Sink"))
    }

    #[test]
    fn each_part_that_differs_is_named_and_nothing_else() {
        let deployment = Deployment::new().instances("A", 2).seed(7);
        let base = RunIdentity::of(&dataflow("A"), &deployment, "clicks=200");
        assert_eq!(
            base,
            RunIdentity::of(&dataflow("A"), &deployment, "clicks=200")
        );
        assert!(differences(&base, &base).is_empty());
        let workload = RunIdentity::of(&dataflow("A"), &deployment, "clicks=300");
        let d = differences(&base, &workload);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].part, "workload");
        assert!(d[0].to_string().contains("`clicks=200`"), "{}", d[0]);
        let other_flow = RunIdentity::of(&dataflow("B"), &deployment, "clicks=200");
        assert_eq!(differences(&base, &other_flow)[0].part, "dataflow");
        let wider = Deployment::new().instances("A", 3).seed(7);
        let other_deployment = RunIdentity::of(&dataflow("A"), &wider, "clicks=200");
        let d = differences(&base, &other_deployment);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].part, "deployment");
        assert!(d[0].here.contains("\"A\": 3"), "{}", d[0].here);
        let streams = dataflow("A").stream(Stream::between("A.out", "Sink.in"));
        assert_ne!(
            RunIdentity::of(&streams, &deployment, "").dataflow,
            RunIdentity::of(&dataflow("A"), &deployment, "").dataflow
        );
    }

    #[test]
    fn an_identity_survives_its_record() {
        let id = RunIdentity::of(&dataflow("A"), &Deployment::new(), "w");
        assert_eq!(RunIdentity::from_json(&id.to_json()).expect("reads"), id);
        assert!(RunIdentity::from_json(b"not json").is_err());
    }
}
