//! Real servers for the distributed tests: `nats-server -js` and ZooKeeper,
//! each on a free loopback port in its own temporary directory, waited for
//! until it answers (bounded), stopped by pid when dropped, and restartable
//! on the same port and data directory.
//!
//! A server that cannot start (binary missing, not answering in time) is an
//! error: the test using it fails. `scripts/install-servers.sh` installs both.

#![allow(dead_code)]

pub mod backend;
mod process;
pub mod proxy;

#[allow(unused_imports)]
pub use backend::{Kind, Service};
pub use process::ServerProcess;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Where Debian's `zookeeper` package puts its launcher.
const ZK_SERVER_SH: &str = "/usr/share/zookeeper/bin/zkServer.sh";

/// How long a NATS server may take to answer.
const NATS_READY: Duration = Duration::from_secs(15);

/// How long ZooKeeper (a JVM, on a possibly busy machine) may take to serve.
const ZK_READY: Duration = Duration::from_secs(60);

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    listener.local_addr().expect("local address").port()
}

/// A `nats-server` with JetStream.
pub struct Nats {
    /// Its client port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    process: Option<ServerProcess>,
    /// The program and configuration file of a server started with
    /// [`Nats::start_with_config`], which [`Nats::start_again`] reuses.
    config: Option<(String, PathBuf)>,
}

impl Nats {
    /// Starts a server on a free port and waits until it answers.
    pub fn start() -> Result<Nats, String> {
        let dir = tempfile::Builder::new()
            .prefix("blazes-nats-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let mut nats = Nats {
            port: free_port(),
            dir,
            process: None,
            config: None,
        };
        nats.start_again()?;
        Ok(nats)
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The sequencer configuration string for this server.
    pub fn jetstream_config(&self) -> String {
        format!("jetstream://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL, by pid) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    /// Starts the server again on the same port and data directory (and
    /// configuration file, if it was started with one).
    pub fn start_again(&mut self) -> Result<(), String> {
        self.kill();
        let (name, command) = match &self.config {
            Some((program, file)) => {
                let mut command = Command::new(program);
                command.arg("-c").arg(file);
                (program.as_str(), command)
            }
            None => {
                let store = self.dir.path().join("jetstream");
                let mut command = Command::new("nats-server");
                command
                    .args([
                        "-a",
                        "127.0.0.1",
                        "-p",
                        &self.port.to_string(),
                        "-js",
                        "-sd",
                    ])
                    .arg(&store);
                ("nats-server", command)
            }
        };
        let process = ServerProcess::spawn(name, command, &self.dir.path().join("log"))?;
        self.process = Some(process);
        let addr = loopback(self.port);
        let process = self.process.as_mut().ok_or("no process")?;
        wait_until(process, NATS_READY, || nats_answers(addr))
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Nats {
    /// Starts `program` (a `nats-server`) on a free port with a
    /// configuration file instead of the command line: the same listen
    /// address and JetStream store directory as [`Nats::start`], with
    /// `jetstream_settings` added inside the `jetstream { }` block (e.g.
    /// `sync_interval: always`) and `top_level` outside it (e.g. `http:
    /// "127.0.0.1:PORT"`). Waits until it answers. [`Nats::start_again`]
    /// restarts it with the same file.
    pub fn start_with_config(
        program: &str,
        jetstream_settings: &str,
        top_level: &str,
    ) -> Result<Nats, String> {
        let dir = tempfile::Builder::new()
            .prefix("blazes-nats-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port();
        let store = dir.path().join("jetstream");
        let config = format!(
            "listen: \"127.0.0.1:{port}\"\n\
             {top_level}\n\
             jetstream {{\n  store_dir: {store:?}\n  {jetstream_settings}\n}}\n",
            store = store.display().to_string(),
        );
        let file = dir.path().join("nats-server.conf");
        std::fs::write(&file, config).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut command = Command::new(program);
        command.arg("-c").arg(&file);
        let process = ServerProcess::spawn(program, command, &dir.path().join("log"))?;
        let mut nats = Nats {
            port,
            dir,
            process: Some(process),
            config: Some((program.to_string(), file)),
        };
        let process = nats.process.as_mut().ok_or("no process")?;
        wait_until(process, NATS_READY, || nats_answers(loopback(port)))?;
        Ok(nats)
    }
}

/// A standalone ZooKeeper server.
pub struct ZooKeeper {
    /// Its client port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    process: Option<ServerProcess>,
}

impl ZooKeeper {
    /// Starts a server on a free port and waits until it serves requests.
    pub fn start() -> Result<ZooKeeper, String> {
        ZooKeeper::start_with_session_limit(Duration::from_secs(60))
    }

    /// Starts a server whose sessions time out after at most `limit` (its
    /// `maxSessionTimeout`: a client asking for more gets `limit`), so that
    /// a paused client's session expires soon.
    pub fn start_with_session_limit(limit: Duration) -> Result<ZooKeeper, String> {
        let dir = tempfile::Builder::new()
            .prefix("blazes-zk-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port();
        write_zoo_cfg(dir.path(), port, limit)?;
        let mut zk = ZooKeeper {
            port,
            dir,
            process: None,
        };
        zk.start_again()?;
        Ok(zk)
    }

    /// The connect string clients use.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The sequencer configuration string for this server.
    pub fn zookeeper_config(&self) -> String {
        format!("zookeeper://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL, by pid) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    /// Starts the server again on the same port and data directory.
    pub fn start_again(&mut self) -> Result<(), String> {
        self.kill();
        if !Path::new(ZK_SERVER_SH).exists() {
            return Err(format!(
                "{ZK_SERVER_SH} is missing: run scripts/install-servers.sh"
            ));
        }
        let logs = self.dir.path().join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        let mut command = Command::new("bash");
        command
            .arg(ZK_SERVER_SH)
            .arg("start-foreground")
            .arg(self.dir.path().join("zoo.cfg"))
            .env("ZOO_LOG_DIR", &logs)
            .env("JVMFLAGS", "-Xmx256m -XX:+UseSerialGC -Xshare:auto")
            .env("JMXDISABLE", "true");
        let process = ServerProcess::spawn("zookeeper", command, &self.dir.path().join("log"))?;
        self.process = Some(process);
        let addr = loopback(self.port);
        let process = self.process.as_mut().ok_or("no process")?;
        wait_until(process, ZK_READY, || zookeeper_serves(addr))
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        self.kill();
    }
}

fn write_zoo_cfg(dir: &Path, port: u16, session_limit: Duration) -> Result<(), String> {
    let data: PathBuf = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let cfg = format!(
        "tickTime=500\n\
         initLimit=10\n\
         syncLimit=5\n\
         dataDir={}\n\
         clientPort={port}\n\
         clientPortAddress=127.0.0.1\n\
         admin.enableServer=false\n\
         4lw.commands.whitelist=srvr,ruok\n\
         maxSessionTimeout={}\n",
        data.display(),
        session_limit.as_millis()
    );
    std::fs::write(dir.join("zoo.cfg"), cfg).map_err(|e| format!("zoo.cfg: {e}"))
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Polls `ready` every 50 ms until it holds, the process exits, or `limit`.
fn wait_until(
    process: &mut ServerProcess,
    limit: Duration,
    ready: impl Fn() -> bool,
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(status) = process.exited() {
            return Err(format!(
                "{} exited ({status}) before answering:\n{}",
                process.name(),
                process.log_tail()
            ));
        }
        if start.elapsed() > limit {
            return Err(format!(
                "{} did not answer within {limit:?}:\n{}",
                process.name(),
                process.log_tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads what the server says after connecting (and optionally asking).
fn exchange(addr: SocketAddr, ask: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_millis(1000)))
        .ok()?;
    if !ask.is_empty() {
        stream.write_all(ask).ok()?;
    }
    let mut buf = vec![0u8; 4096];
    let mut text = String::new();
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        if ask.is_empty() && text.contains("\r\n") {
            break;
        }
    }
    Some(text)
}

/// NATS greets every client with `INFO {..}`; JetStream must be on.
fn nats_answers(addr: SocketAddr) -> bool {
    exchange(addr, b"")
        .is_some_and(|info| info.starts_with("INFO") && info.contains("\"jetstream\":true"))
}

/// ZooKeeper's `srvr` names the mode once the server serves requests.
fn zookeeper_serves(addr: SocketAddr) -> bool {
    exchange(addr, b"srvr").is_some_and(|s| s.contains("Mode: standalone"))
}

/// The tokio runtime the distributed tests drive their clusters on: two
/// workers, timers and I/O enabled.
pub fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
