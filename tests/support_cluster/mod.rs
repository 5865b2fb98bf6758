//! The ad network as processes of `examples/ad_cluster.rs`, for
//! `tests/dist_cluster.rs` and `benches/cluster.rs`: the example built once
//! by the cargo that built the caller, processes whose stdout lines arrive
//! on a channel and whose stderr goes to a log file, killed when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

/// The example binary, built once per process with the caller's profile and features (a
/// filtered `cargo test` or a bench does not build examples by itself).
pub fn example() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
            let mut build = Command::new(env!("CARGO"));
            build.args([
                "build",
                "-q",
                "--example",
                "ad_cluster",
                "--manifest-path",
                manifest,
            ]);
            if !cfg!(debug_assertions) {
                build.arg("--release");
            }
            // The caller's features too, `proptest` included (at least
            // `dist`, which the example requires), so the build reuses the
            // caller's artifacts where cargo can.
            let features = [
                ("cli", cfg!(feature = "cli")),
                ("nats", cfg!(feature = "nats")),
                ("zookeeper", cfg!(feature = "zookeeper")),
                ("proptest", cfg!(feature = "proptest")),
                ("dist", true),
            ];
            let on: Vec<&str> = features
                .iter()
                .filter(|(_, on)| *on)
                .map(|(name, _)| *name)
                .collect();
            build.args(["--features", &on.join(",")]);
            let status = build.status().expect("run cargo");
            assert!(status.success(), "building examples/ad_cluster.rs failed");
            let exe = std::env::current_exe().expect("own binary path");
            let dir = exe
                .parent()
                .and_then(|deps| deps.parent())
                .expect("target directory");
            let path = dir.join("examples").join("ad_cluster");
            assert!(path.exists(), "{} is missing", path.display());
            path
        })
        .clone()
}

/// One process of the example.
pub struct Proc {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    log: PathBuf,
    exited: Option<Instant>,
    status: Option<ExitStatus>,
    /// Every stdout line received so far, in order.
    seen: Vec<String>,
}

impl Proc {
    /// Spawns `command` as `name`, its stderr in `logs/{name}.log`.
    pub fn spawn(mut command: Command, name: &str, logs: &Path) -> Proc {
        let log = logs.join(format!("{name}.log"));
        let err = std::fs::File::create(&log).expect("log file");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("start the example");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            name: name.to_string(),
            child,
            lines,
            log,
            exited: None,
            status: None,
            seen: Vec::new(),
        }
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends it `signal` (a name `kill -s` knows: `STOP`, `CONT`, ..);
    /// false when it could not (it has exited and was reaped).
    pub fn signal(&self, signal: &str) -> bool {
        Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Takes the stdout lines that have arrived, without waiting.
    fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }

    /// True once some stdout line so far contains `text` (does not wait).
    pub fn printed(&mut self, text: &str) -> bool {
        self.drain();
        self.seen.iter().any(|line| line.contains(text))
    }

    /// The stdout lines so far.
    pub fn lines(&mut self) -> &[String] {
        self.drain();
        &self.seen
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it wrote on stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (at most `limit`) until a stdout line contains `text`.
    pub fn wait_for(&mut self, text: &str, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < limit {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) if line.contains(text) => {
                    self.seen.push(line);
                    return Ok(());
                }
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        Err(format!(
            "{} never printed `{text}`; its log:\n{}",
            self.name,
            self.log()
        ))
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// True once it has exited (the first time seen, the instant is kept).
    pub fn poll_exit(&mut self) -> bool {
        if self.exited.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exited = Some(Instant::now());
            self.status = Some(status);
        }
        self.exited.is_some()
    }

    /// How it exited, once [`Proc::poll_exit`] saw it exit.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// When [`Proc::poll_exit`] first saw it exited.
    pub fn exited_at(&self) -> Option<Instant> {
        self.exited
    }

    /// Waits for a clean exit (killing it after `deadline`) and returns its
    /// last stdout line, parsed.
    pub fn result(&mut self, deadline: Instant) -> Result<Json, String> {
        self.drain();
        let mut last = self.seen.last().cloned();
        loop {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    last = Some(line.clone());
                    self.seen.push(line);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > deadline => {
                    self.kill();
                    return Err(format!(
                        "{} did not finish in time; its log:\n{}",
                        self.name,
                        self.log()
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        let status = match self.status {
            Some(status) => status,
            None => self.child.wait().map_err(|e| e.to_string())?,
        };
        if !status.success() {
            return Err(format!(
                "{} failed ({status}); its log:\n{}",
                self.name,
                self.log()
            ));
        }
        let line = last.unwrap_or_default();
        serde_json::from_str(&line).map_err(|e| format!("{}: `{line}`: {e}", self.name))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A JSON array of answers as sorted strings, to compare as sets.
pub fn canonical(values: &Json) -> Vec<String> {
    let mut out: Vec<String> = values
        .as_array()
        .map(|a| a.iter().map(Json::to_string).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Tuples as sorted JSON strings, comparable with [`canonical`].
pub fn sorted_json<'a>(tuples: impl IntoIterator<Item = &'a blazes::Tuple>) -> Vec<String> {
    let mut out: Vec<String> = tuples
        .into_iter()
        .map(|t| t.to_json().to_string())
        .collect();
    out.sort();
    out
}
