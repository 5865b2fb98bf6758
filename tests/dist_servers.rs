//! The test harness itself: servers start on free loopback ports, answer,
//! stop when killed, and come back on the same port.

mod support_servers;

use std::net::TcpStream;

use support_servers::{Nats, ZooKeeper};

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn nats_starts_stops_and_restarts_on_its_port() {
    let mut nats = Nats::start().expect("nats-server starts");
    let port = nats.port;
    assert!(listening(port));
    nats.kill();
    assert!(!listening(port), "killed by pid");
    nats.start_again().expect("restarts");
    assert_eq!(nats.port, port);
    assert!(listening(port));
}

#[test]
fn zookeeper_starts_stops_and_restarts_on_its_port() {
    let mut zk = ZooKeeper::start().expect("ZooKeeper starts");
    let port = zk.port;
    assert!(listening(port));
    zk.kill();
    assert!(!listening(port), "killed by pid");
    zk.start_again().expect("restarts");
    assert!(listening(port));
}

#[test]
fn two_servers_get_distinct_ports() {
    let a = Nats::start().expect("first");
    let b = Nats::start().expect("second");
    assert_ne!(a.port, b.port);
}
