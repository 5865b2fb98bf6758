//! Stream membership in ZooKeeper: producers in separate sessions register,
//! a consumer learns them and which are live (the voters of a unanimous
//! seal); partition masters of an independent stream are claimed once.

mod support_servers;

use std::collections::BTreeSet;
use std::time::Duration;

use blazes::dist::{MembershipError, RetryPolicy, ZooKeeperMembership};
use blazes::runtime::ProducerId;
use support_servers::ZooKeeper;

const ROOT: &str = "/blazes/test/membership";

async fn client(zk: &ZooKeeper) -> ZooKeeperMembership {
    let policy = RetryPolicy::default().with_deadline(Duration::from_secs(30));
    ZooKeeperMembership::connect(&zk.connect_string(), ROOT, policy)
        .await
        .expect("connects")
}

fn set(ids: &[u32]) -> BTreeSet<ProducerId> {
    ids.iter().copied().map(ProducerId).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_learns_the_producers_and_which_of_them_are_live() {
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let consumer = client(&zk).await;
    assert!(consumer.members("clicks").await.expect("lists").is_empty());
    let mut producers = Vec::new();
    for id in [3, 1, 2] {
        let p = client(&zk).await;
        p.register("clicks", ProducerId(id))
            .await
            .expect("registers");
        p.register("clicks", ProducerId(id))
            .await
            .expect("idempotent");
        producers.push(p);
    }
    let members = consumer
        .wait_for_members("clicks", 3, Duration::from_secs(10))
        .await
        .expect("three producers");
    assert_eq!(members, set(&[1, 2, 3]));
    assert_eq!(
        consumer.live("clicks").await.expect("lists"),
        set(&[1, 2, 3])
    );
    assert!(
        consumer
            .members("requests")
            .await
            .expect("lists")
            .is_empty()
    );

    // A producer's session ends: still a member (it must seal), no longer live.
    drop(producers.pop());
    let mut live = consumer.live("clicks").await.expect("lists");
    for _ in 0..100 {
        if live.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        live = consumer.live("clicks").await.expect("lists");
    }
    assert_eq!(live, set(&[3, 1]), "the dropped producer (2) is not live");
    assert_eq!(
        consumer.members("clicks").await.expect("lists"),
        set(&[1, 2, 3])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_more_producers_than_registered_times_out() {
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let c = client(&zk).await;
    c.register("clicks", ProducerId(1))
        .await
        .expect("registers");
    let started = std::time::Instant::now();
    let err = c
        .wait_for_members("clicks", 2, Duration::from_millis(500))
        .await
        .expect_err("only one producer");
    assert!(started.elapsed() < Duration::from_secs(5), "bounded wait");
    assert!(
        matches!(
            &err,
            MembershipError::MembersMissing { stream, expected: 2, registered, .. }
                if stream == "clicks" && *registered == BTreeSet::from([ProducerId(1)])
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("1 of 2"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_partition_of_an_independent_stream_has_one_master() {
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let a = client(&zk).await;
    let b = client(&zk).await;
    assert_eq!(a.master_of("clicks", "campaign=1").await.ok(), Some(None));
    let (ra, rb) = tokio::join!(
        a.claim_partition("clicks", "campaign=1", ProducerId(1)),
        b.claim_partition("clicks", "campaign=1", ProducerId(2)),
    );
    let (ra, rb) = (ra.expect("claims"), rb.expect("claims"));
    assert_eq!(ra, rb, "both learn the same master");
    assert!(ra == ProducerId(1) || ra == ProducerId(2));
    assert_eq!(
        b.master_of("clicks", "campaign=1").await.ok(),
        Some(Some(ra))
    );
    assert_eq!(
        b.claim_partition("clicks", "campaign=2", ProducerId(2))
            .await
            .ok(),
        Some(ProducerId(2))
    );
}

/// Issue 15: a producer registering after a consumer had read the
/// membership silently joined it, and the consumer never counted its vote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_read_closes_the_membership_and_a_restarted_member_resumes() {
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let consumer = client(&zk).await;
    let early = client(&zk).await;
    early
        .register("clicks", ProducerId(1))
        .await
        .expect("registers before the read");
    early
        .register("clicks", ProducerId(2))
        .await
        .expect("registers before the read");
    let members = consumer
        .wait_for_members("clicks", 2, Duration::from_secs(10))
        .await
        .expect("two producers");
    assert_eq!(members, set(&[1, 2]), "registered before the read: counted");

    let late = client(&zk).await;
    let err = late
        .register("clicks", ProducerId(3))
        .await
        .expect_err("joins after the read");
    assert!(
        matches!(&err, MembershipError::Closed { stream, producer }
            if stream == "clicks" && *producer == ProducerId(3)),
        "{err:?}"
    );
    assert!(err.to_string().contains("clicks"), "{err}");
    assert_eq!(
        consumer.members("clicks").await.expect("lists"),
        set(&[1, 2]),
        "the refused producer is no member"
    );

    // Producer 2 restarts in a new session: it resumes, it is not refused.
    drop(early);
    let restarted = client(&zk).await;
    restarted
        .register("clicks", ProducerId(2))
        .await
        .expect("a member resumes after the close");
    assert!(
        restarted
            .live("clicks")
            .await
            .expect("lists")
            .contains(&ProducerId(2)),
        "live again"
    );
    // Another stream is not closed by this one's read.
    late.register("requests", ProducerId(3))
        .await
        .expect("another stream is open");
}
