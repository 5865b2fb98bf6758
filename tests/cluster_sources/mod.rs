//! A workload's source scripts sent through a `Cluster`'s source producers,
//! for the tests that run a dataflow across processes.

use blazes::dist::{ClusterError, SourceProducer};
use blazes::runtime::SourceEvent;

/// Sends `events` through `producer`, in order; `skip` leaves out the
/// events it is true of (a producer that stops before one of its seals).
pub async fn play<'a>(
    producer: &mut SourceProducer,
    events: impl IntoIterator<Item = &'a SourceEvent>,
    skip: impl Fn(&SourceEvent) -> bool,
) -> Result<(), ClusterError> {
    for event in events.into_iter().filter(|e| !skip(e)) {
        match event {
            SourceEvent::Record(t) => producer.send(t.clone()).await?,
            SourceEvent::Seal(k) => producer.seal(k.clone()).await?,
        }
    }
    Ok(())
}
