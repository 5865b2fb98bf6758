//! The distributed sequencers against real servers (ZooKeeper, NATS
//! JetStream), each started by the test on a loopback port: one gapless
//! total order for concurrent clients, replays recognised, and positions
//! that continue without reuse across a server restart; a restarted
//! producer's replays recover their original positions.

mod support_servers;

use std::collections::BTreeSet;
use std::sync::Arc;

use blazes::runtime::{ProducerId, Recovered, Sequencer};
use support_servers::{Kind, Service};

/// Assigns `(producer, 0..n)` in order, returning the positions.
async fn assign_all(s: Arc<dyn Sequencer>, group: &str, producer: u32, n: u64) -> Vec<u64> {
    let mut positions = Vec::new();
    for seq in 0..n {
        let p = s
            .assign(group, ProducerId(producer), seq)
            .await
            .expect("assigned");
        positions.push(p.expect("a new message gets a position"));
    }
    positions
}

async fn two_clients_share_one_gapless_total_order(kind: Kind) {
    let service = Service::start(kind);
    let a = service.client("order").await;
    let b = service.client("order").await;
    let n = 25;
    let tasks = [
        tokio::spawn(assign_all(a.clone(), "Report", 1, n)),
        tokio::spawn(assign_all(a.clone(), "Report", 2, n)),
        tokio::spawn(assign_all(b.clone(), "Report", 3, n)),
        tokio::spawn(assign_all(b.clone(), "Report", 4, n)),
    ];
    let mut all = Vec::new();
    for t in tasks {
        let positions = t.await.expect("task");
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "a producer's messages keep their order: {positions:?}"
        );
        all.extend(positions);
    }
    let distinct: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "no position given twice");
    assert_eq!(distinct, (0..4 * n).collect(), "positions 0.. without gaps");
    // Another group has its own order from 0.
    assert_eq!(a.assign("Cache", ProducerId(1), 0).await, Ok(Some(0)));
}

async fn the_default_namespace_works(kind: Kind) {
    let service = Service::start(kind);
    let s = service.default_client().await;
    assert_eq!(s.assign("a.b/c *>", ProducerId(1), 0).await, Ok(Some(0)));
    assert_eq!(s.assign("a.b/c *>", ProducerId(1), 0).await, Ok(None));
    assert_eq!(
        s.assign("a_2eb", ProducerId(1), 0).await,
        Ok(Some(0)),
        "its own group"
    );
}

async fn replays_are_recognised_by_every_client(kind: Kind) {
    let service = Service::start(kind);
    let a = service.client("replay").await;
    let b = service.client("replay").await;
    assert_eq!(a.assign("g", ProducerId(7), 0).await, Ok(Some(0)));
    assert_eq!(a.assign("g", ProducerId(7), 1).await, Ok(Some(1)));
    assert_eq!(
        a.assign("g", ProducerId(7), 0).await,
        Ok(None),
        "same client"
    );
    assert_eq!(
        b.assign("g", ProducerId(7), 1).await,
        Ok(None),
        "other client"
    );
    let c = service.client("replay").await;
    assert_eq!(
        c.assign("g", ProducerId(7), 1).await,
        Ok(None),
        "new client"
    );
    // A replay consumed no position; the same seq from another producer is new.
    assert_eq!(b.assign("g", ProducerId(8), 1).await, Ok(Some(2)));
    assert_eq!(c.assign("g", ProducerId(7), 2).await, Ok(Some(3)));
    // Namespaces keep runs apart.
    let other = service.client("replay-2").await;
    assert_eq!(other.assign("g", ProducerId(7), 0).await, Ok(Some(0)));
}

async fn positions_continue_across_a_server_restart(kind: Kind) {
    let mut service = Service::start(kind);
    let s = service.client("restart").await;
    for seq in 0..5 {
        assert_eq!(s.assign("g", ProducerId(1), seq).await, Ok(Some(seq)));
    }
    service.kill();
    // Requested while the server is down: answered once it is back.
    let pending = {
        let s = s.clone();
        tokio::spawn(async move { s.assign("g", ProducerId(2), 0).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!pending.is_finished(), "no answer without a server");
    service.start_again();
    assert_eq!(pending.await.expect("task"), Ok(Some(5)));
    assert_eq!(s.assign("g", ProducerId(1), 5).await, Ok(Some(6)));
    assert_eq!(
        s.assign("g", ProducerId(1), 3).await,
        Ok(None),
        "a replay from before the restart"
    );
    let fresh = service.client("restart").await;
    assert_eq!(fresh.assign("g", ProducerId(3), 0).await, Ok(Some(7)));
}

async fn concurrent_clients_keep_one_gapless_order_through_a_restart(kind: Kind) {
    let mut service = Service::start(kind);
    let a = service.client("churn").await;
    let b = service.client("churn").await;
    let n = 40;
    let tasks: Vec<_> = [(a.clone(), 1), (a, 2), (b.clone(), 3), (b, 4)]
        .into_iter()
        .map(|(s, producer)| {
            tokio::spawn(async move {
                let mut positions = Vec::new();
                for seq in 0..n {
                    let p = s.assign("g", ProducerId(producer), seq).await;
                    positions.push(p.expect("assigned").expect("new message"));
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                positions
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    service.kill();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    service.start_again();
    let mut all = Vec::new();
    for t in tasks {
        let positions = t.await.expect("task");
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        all.extend(positions);
    }
    let distinct: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "no position given twice");
    assert_eq!(distinct, (0..4 * n).collect(), "positions 0.. without gaps");
}

/// The server applies a request but its answer is lost: the retry finds
/// the message already ordered and answers its position, not `None`, so
/// the message is not dropped as a replay.
async fn a_lost_answer_is_not_mistaken_for_a_replay(kind: Kind) {
    let (_servers, s, answer) = with_a_lost_answer(kind, "lost", |s| async move {
        s.assign("g", ProducerId(1), 1).await
    })
    .await;
    assert_eq!(answer, Ok(Some(1)), "the original position");
    assert_eq!(s.assign("g", ProducerId(2), 0).await, Ok(Some(2)));
}

/// The server and the proxy in front of it, kept alive by the test.
type Servers = (Service, support_servers::proxy::Proxy);

/// Orders `(1, 0)`, then makes `request` (about `(1, 1)`) through a proxy
/// that loses the answer once the server has applied it (as a direct
/// client sees), restores the link, and returns the client and the
/// request's eventual answer, with the servers to keep running.
async fn with_a_lost_answer<T, F, Fut>(
    kind: Kind,
    namespace: &str,
    request: F,
) -> (Servers, Arc<dyn Sequencer>, T)
where
    F: FnOnce(Arc<dyn Sequencer>) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let service = Service::start(kind);
    let proxy = support_servers::proxy::Proxy::start(service.port()).await;
    let s = service.client_via(proxy.port, namespace).await;
    let direct = service.client(namespace).await;
    assert_eq!(s.assign("g", ProducerId(1), 0).await, Ok(Some(0)));
    proxy.blackhole(true);
    let pending = tokio::spawn(request(s.clone()));
    // The request reaches the server and is applied there.
    let mut applied = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if direct.assign("g", ProducerId(1), 1).await == Ok(None) {
            applied = true;
            break;
        }
    }
    assert!(applied, "the request was applied behind the lost answer");
    assert!(!pending.is_finished(), "its answer was lost");
    proxy.blackhole(false);
    proxy.cut().await;
    let answer = pending.await.expect("task");
    ((service, proxy), s, answer)
}

fn replayed(position: u64) -> Result<Recovered, blazes::runtime::SequencerError> {
    Ok(Recovered {
        position,
        replay: true,
    })
}

fn ordered(position: u64) -> Result<Recovered, blazes::runtime::SequencerError> {
    Ok(Recovered {
        position,
        replay: false,
    })
}

/// Producers 1 and 2 send seqs `0..n` alternately: producer 1's seq `s`
/// gets position `2s`, producer 2's `2s + 1`.
async fn assign_alternately(s: &Arc<dyn Sequencer>, group: &str, n: u64) {
    for seq in 0..n {
        assert_eq!(s.assign(group, ProducerId(1), seq).await, Ok(Some(2 * seq)));
        assert_eq!(
            s.assign(group, ProducerId(2), seq).await,
            Ok(Some(2 * seq + 1))
        );
    }
}

async fn recover_gives_the_original_position_of_an_ordered_message(kind: Kind) {
    let service = Service::start(kind);
    let s = service.client("recover").await;
    assign_alternately(&s, "g", 4).await;
    assert_eq!(s.assign("h", ProducerId(1), 0).await, Ok(Some(0)));
    assert_eq!(s.recover("g", ProducerId(1), 2).await, replayed(4));
    assert_eq!(s.recover("g", ProducerId(2), 0).await, replayed(1));
    assert_eq!(s.recover("g", ProducerId(2), 3).await, replayed(7));
    assert_eq!(s.recover("g", ProducerId(1), 0).await, replayed(0));
    assert_eq!(s.recover("g", ProducerId(1), 2).await, replayed(4), "again");
    assert_eq!(s.recover("h", ProducerId(1), 0).await, replayed(0));
    // A message never ordered gets the next position, once.
    assert_eq!(s.recover("g", ProducerId(1), 4).await, ordered(8));
    assert_eq!(s.recover("g", ProducerId(1), 4).await, replayed(8));
    assert_eq!(s.assign("g", ProducerId(1), 4).await, Ok(None));
    // The order stays gapless.
    assert_eq!(s.assign("g", ProducerId(1), 5).await, Ok(Some(9)));
    assert_eq!(s.assign("g", ProducerId(2), 4).await, Ok(Some(10)));
    // Ordered after producer 2's first recovery on this client.
    assert_eq!(s.recover("g", ProducerId(2), 4).await, replayed(10));
    assert_eq!(s.recover("g", ProducerId(3), 0).await, ordered(11));
    assert_eq!(s.assign("g", ProducerId(3), 1).await, Ok(Some(12)));
}

async fn recover_after_a_client_restart_finds_positions_from_the_service(kind: Kind) {
    let service = Service::start(kind);
    let before = service.client("restarted").await;
    assign_alternately(&before, "g", 4).await;
    // The producers' process dies; its replacement has its own connection.
    drop(before);
    let after = service.client("restarted").await;
    for seq in (0..4).rev() {
        assert_eq!(
            after.recover("g", ProducerId(1), seq).await,
            replayed(2 * seq)
        );
    }
    assert_eq!(after.recover("g", ProducerId(2), 1).await, replayed(3));
    assert_eq!(after.recover("g", ProducerId(1), 4).await, ordered(8));
    assert_eq!(after.assign("g", ProducerId(2), 4).await, Ok(Some(9)));
    // Yet another client sees the same.
    let third = service.client("restarted").await;
    assert_eq!(third.recover("g", ProducerId(1), 4).await, replayed(8));
    assert_eq!(third.recover("g", ProducerId(2), 4).await, replayed(9));
    assert_eq!(third.recover("g", ProducerId(2), 2).await, replayed(5));
    assert_eq!(third.assign("g", ProducerId(1), 5).await, Ok(Some(10)));
}

async fn recover_after_a_server_restart_still_works(kind: Kind) {
    let mut service = Service::start(kind);
    let s = service.client("recover-restart").await;
    assign_alternately(&s, "g", 3).await;
    // This client has listed producer 1's positions before the restart.
    assert_eq!(s.recover("g", ProducerId(1), 1).await, replayed(2));
    service.kill();
    let pending = {
        let s = s.clone();
        tokio::spawn(async move { s.recover("g", ProducerId(2), 1).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!pending.is_finished(), "no answer without a server");
    service.start_again();
    assert_eq!(pending.await.expect("task"), replayed(3));
    assert_eq!(s.recover("g", ProducerId(1), 2).await, replayed(4));
    assert_eq!(s.assign("g", ProducerId(1), 3).await, Ok(Some(6)));
    assert_eq!(s.recover("g", ProducerId(1), 3).await, replayed(6));
    let fresh = service.client("recover-restart").await;
    assert_eq!(fresh.recover("g", ProducerId(1), 0).await, replayed(0));
    assert_eq!(fresh.recover("g", ProducerId(2), 2).await, replayed(5));
    assert_eq!(fresh.recover("g", ProducerId(2), 3).await, ordered(7));
    assert_eq!(s.assign("g", ProducerId(1), 4).await, Ok(Some(8)));
}

/// A recovery whose answer is lost: the retry finds the message ordered by
/// this very call, and says so (`replay: false`) with its position.
async fn a_lost_answer_to_recover_is_not_taken_for_an_earlier_incarnation(kind: Kind) {
    let (_servers, s, answer) = with_a_lost_answer(kind, "lost-recover", |s| async move {
        s.recover("g", ProducerId(1), 1).await
    })
    .await;
    assert_eq!(answer, ordered(1));
    assert_eq!(s.recover("g", ProducerId(1), 1).await, replayed(1));
    assert_eq!(s.assign("g", ProducerId(2), 0).await, Ok(Some(2)));
}

/// What an operator's retirement reads: every `(seq, position)` a
/// producer was given, from the service (a client that ordered none of
/// them too), sorted by position, the retirement's own seq included.
async fn assigned_lists_a_producers_positions_from_the_service(kind: Kind) {
    let service = Service::start(kind);
    let s = service.client("assigned").await;
    assign_alternately(&s, "g", 3).await;
    assert_eq!(s.recover("g", ProducerId(1), u64::MAX).await, ordered(6));
    assert_eq!(s.assign("h", ProducerId(1), 0).await, Ok(Some(0)));
    let other = service.client("assigned").await;
    assert_eq!(
        other.assigned("g", ProducerId(1)).await,
        Ok(vec![(0, 0), (1, 2), (2, 4), (u64::MAX, 6)])
    );
    assert_eq!(
        other.assigned("g", ProducerId(2)).await,
        Ok(vec![(0, 1), (1, 3), (2, 5)])
    );
    assert_eq!(other.assigned("g", ProducerId(3)).await, Ok(vec![]));
    assert_eq!(other.assigned("h", ProducerId(1)).await, Ok(vec![(0, 0)]));
    assert_eq!(other.assigned("none", ProducerId(1)).await, Ok(vec![]));
}

macro_rules! for_each_backend {
    ($($test:ident),* $(,)?) => {
        mod zookeeper {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(Kind::ZooKeeper).await;
                }
            )*
        }
        mod jetstream {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(Kind::JetStream).await;
                }
            )*
        }
    };
}

for_each_backend!(
    two_clients_share_one_gapless_total_order,
    replays_are_recognised_by_every_client,
    positions_continue_across_a_server_restart,
    concurrent_clients_keep_one_gapless_order_through_a_restart,
    the_default_namespace_works,
    a_lost_answer_is_not_mistaken_for_a_replay,
    recover_gives_the_original_position_of_an_ordered_message,
    recover_after_a_client_restart_finds_positions_from_the_service,
    recover_after_a_server_restart_still_works,
    a_lost_answer_to_recover_is_not_taken_for_an_earlier_incarnation,
    assigned_lists_a_producers_positions_from_the_service,
);

/// Issue 15, fix 2: JetStream recognised a replay within its duplicate
/// window only, and past it ordered the same message again. Now a message
/// holds one position for as long as the stream keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_replays_are_recognised_past_the_duplicate_window() {
    let nats = support_servers::Nats::start().expect("nats-server starts");
    let config: blazes::dist::SequencerConfig =
        format!("{}/WINDOW?dedupe=1", nats.jetstream_config())
            .parse()
            .expect("valid");
    let s = config
        .connect(support_servers::backend::policy())
        .await
        .expect("connects");
    assert_eq!(s.assign("g", ProducerId(1), 0).await, Ok(Some(0)));
    assert_eq!(s.assign("g", ProducerId(1), 0).await, Ok(None));
    // Past the one-second window.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(s.assign("g", ProducerId(1), 0).await, Ok(None));
    assert_eq!(
        s.assign("g", ProducerId(1), 1).await,
        Ok(Some(1)),
        "no position consumed by the replay"
    );
}

/// Issue 15, fix 2: a producer killed after the sequencer gave it position
/// 0 and before it published its message, restarted after the duplicate
/// window. Before the fix `recover` gave it a new position (2) and position
/// 0 was never published: every replica waited for it forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_recover_past_the_window_finds_the_original_position() {
    let nats = support_servers::Nats::start().expect("nats-server starts");
    let config: blazes::dist::SequencerConfig =
        format!("{}/RWINDOW?dedupe=1", nats.jetstream_config())
            .parse()
            .expect("valid");
    let first = config
        .connect(support_servers::backend::policy())
        .await
        .expect("connects");
    assert_eq!(first.assign("g", ProducerId(1), 0).await, Ok(Some(0)));
    assert_eq!(first.assign("g", ProducerId(2), 0).await, Ok(Some(1)));
    assert_eq!(first.recover("g", ProducerId(1), 0).await, replayed(0));
    drop(first); // killed before publishing position 0
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let restarted = config
        .connect(support_servers::backend::policy())
        .await
        .expect("connects");
    assert_eq!(restarted.recover("g", ProducerId(1), 0).await, replayed(0));
    assert_eq!(restarted.recover("g", ProducerId(1), 1).await, ordered(2));
    assert_eq!(restarted.recover("g", ProducerId(1), 1).await, replayed(2));
}

/// The same check for ZooKeeper, whose replay markers never expire: the
/// restarted producer's new client gets position 0 back, however late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_recover_by_a_restarted_producer_finds_the_position_it_never_published() {
    let service = Service::start(Kind::ZooKeeper);
    let first = service.client("hole").await;
    assert_eq!(first.assign("g", ProducerId(1), 0).await, Ok(Some(0)));
    assert_eq!(first.assign("g", ProducerId(2), 0).await, Ok(Some(1)));
    drop(first);
    let restarted = service.client("hole").await;
    assert_eq!(restarted.recover("g", ProducerId(1), 0).await, replayed(0));
    assert_eq!(restarted.recover("g", ProducerId(1), 1).await, ordered(2));
}
