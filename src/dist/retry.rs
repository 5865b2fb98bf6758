//! How long a backend keeps retrying a sequencing request through
//! connection losses and server restarts.
//!
//! Pauses between attempts double up to a cap, and each is drawn at random
//! from the upper half of that step ("equal jitter", issue 15): processes
//! that lost the same server at the same moment do not all come back in
//! lockstep when it restarts, and no pause is shorter than half its step or
//! longer than the cap.

use std::time::Duration;

use rand::Rng;

/// Retry schedule of a distributed sequencer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Give up (and report a [`SequencerError`](crate::runtime::SequencerError))
    /// when one request has not succeeded after this long.
    pub deadline: Duration,
    /// The first backoff step; doubled after each failure. Each pause is
    /// drawn between half of its step and the step (jitter).
    pub first_backoff: Duration,
    /// The largest backoff step: no pause is longer.
    pub max_backoff: Duration,
    /// How long one attempt (one request to the server) may take.
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            deadline: Duration::from_secs(60),
            first_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The same with another deadline per request (builder style).
    pub fn with_deadline(mut self, deadline: Duration) -> RetryPolicy {
        self.deadline = deadline;
        self
    }

    /// The same with backoff steps from `first` doubling up to `max`
    /// (builder style).
    pub fn with_backoff(mut self, first: Duration, max: Duration) -> RetryPolicy {
        self.first_backoff = first;
        self.max_backoff = max;
        self
    }

    /// The same with another bound on one attempt (builder style).
    pub fn with_attempt_timeout(mut self, attempt_timeout: Duration) -> RetryPolicy {
        self.attempt_timeout = attempt_timeout;
        self
    }

    /// The step of the backoff before attempt `attempt + 1` (attempts count
    /// from 0), without jitter: the longest pause [`RetryPolicy::pause`] takes.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The pause before attempt `attempt + 1`: [`RetryPolicy::backoff`]
    /// with jitter from the thread's random generator.
    pub fn pause(&self, attempt: u32) -> Duration {
        self.pause_with(attempt, &mut rand::rng())
    }

    /// The pause before attempt `attempt + 1`, drawn from `rng` (a seeded
    /// generator gives a reproducible schedule).
    pub fn pause_with<R: Rng + ?Sized>(&self, attempt: u32, rng: &mut R) -> Duration {
        jitter(self.backoff(attempt), rng)
    }
}

pub(crate) use crate::runtime::coordination::sequencer::jitter;

/// Any error, sent between tasks: a server client's error, or a description
/// where there is none.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A request to a server (NATS or ZooKeeper) that did not succeed; the
/// source is the client's error (or the server's unexpected answer).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// No connection to the server before the retry policy's deadline.
    #[error("{server}: cannot connect: {source}")]
    Connect {
        /// The server, as configured (`nats://host:port`, `host:port,..`).
        server: String,
        /// Why the last attempt failed.
        #[source]
        source: BoxError,
    },
    /// The server refused the request or answered something unexpected;
    /// retrying would not help.
    #[error("{what}: {source}")]
    Failed {
        /// The request.
        what: String,
        /// The refusal.
        #[source]
        source: BoxError,
    },
    /// The server refused this process's credentials (a wrong or missing
    /// token, user and password, or creds file); retrying would not help.
    #[error(
        "{server}: the server refused the credentials ({source}): check the token, user and \
         password or creds file configured for it"
    )]
    Unauthorized {
        /// The server, as configured.
        server: String,
        /// The client's error.
        #[source]
        source: BoxError,
    },
    /// TLS with the server failed (an untrusted certificate, TLS required
    /// on one side only, a bad client certificate); retrying would not help.
    #[error("{server}: TLS failed ({source}): check the CA file and client certificate")]
    Tls {
        /// The server, as configured.
        server: String,
        /// The client's error.
        #[source]
        source: BoxError,
    },
    /// A configured credentials or TLS file cannot be used.
    #[error(transparent)]
    Security(#[from] super::security::SecurityError),
    /// Attempts kept failing until the retry policy's deadline.
    #[error("{what}: gave up after {elapsed:?}: {source}")]
    GaveUp {
        /// The request.
        what: String,
        /// How long it was tried.
        elapsed: std::time::Duration,
        /// The last attempt's error.
        #[source]
        source: BoxError,
    },
}

/// A client's error and the request it answered.
#[derive(Debug, thiserror::Error)]
#[error("{request}: {source}")]
pub struct ClientError {
    /// The request (`stream NAME`, a znode's path, ..).
    pub request: String,
    /// The client's error.
    #[source]
    pub source: BoxError,
}

/// `error`, said to have answered `request`.
pub(crate) fn client_error(request: impl Into<String>, error: impl Into<BoxError>) -> BoxError {
    Box::new(ClientError {
        request: request.into(),
        source: error.into(),
    })
}

impl From<ServiceError> for crate::runtime::SequencerError {
    fn from(error: ServiceError) -> Self {
        crate::runtime::SequencerError::service(error)
    }
}

/// Why one attempt at a request to a service gave no answer.
pub(crate) enum Stop {
    /// Try again; `ambiguous` when the request may have been applied.
    Retry { ambiguous: bool, reason: BoxError },
    /// Give up.
    Fail(BoxError),
}

impl Stop {
    /// Give up, because of `reason`.
    pub(crate) fn fail(reason: impl Into<BoxError>) -> Stop {
        Stop::Fail(reason.into())
    }
}

/// Runs `attempt` until it answers, fails, or `policy`'s deadline passes,
/// pausing with the policy's backoff between attempts. Each attempt is told
/// whether an earlier one may have been applied (its outcome was unknown),
/// and is bounded by `attempt_limit` when given (a timeout counts as
/// ambiguous).
pub(crate) async fn retrying<T, F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    attempt_limit: Option<std::time::Duration>,
    mut attempt: F,
) -> Result<T, ServiceError>
where
    F: FnMut(bool) -> Fut,
    Fut: std::future::Future<Output = Result<T, Stop>>,
{
    let start = std::time::Instant::now();
    let mut ambiguous = false;
    let mut tries = 0;
    loop {
        let outcome = match attempt_limit {
            Some(limit) => tokio::time::timeout(limit, attempt(ambiguous))
                .await
                .unwrap_or_else(|_| {
                    Err(Stop::Retry {
                        ambiguous: true,
                        reason: "attempt timed out".into(),
                    })
                }),
            None => attempt(ambiguous).await,
        };
        match outcome {
            Ok(answer) => return Ok(answer),
            Err(Stop::Fail(reason)) => {
                return Err(ServiceError::Failed {
                    what: what.to_string(),
                    source: reason,
                });
            }
            Err(Stop::Retry {
                ambiguous: maybe_applied,
                reason,
            }) => {
                ambiguous |= maybe_applied;
                let pause = policy.pause(tries);
                if start.elapsed() + pause > policy.deadline {
                    return Err(ServiceError::GaveUp {
                        what: what.to_string(),
                        elapsed: start.elapsed(),
                        source: reason,
                    });
                }
                tracing::debug!(what, %reason, ambiguous, "retrying");
                crate::runtime::telemetry::count_retry("service");
                tokio::time::sleep(pause).await;
                tries += 1;
            }
        }
    }
}

/// Connects to the NATS server at `url` for a JetStream context, with
/// `security`'s credentials and TLS: the first connection retried until the
/// policy's deadline (a refusal of the credentials or a TLS failure is not
/// retried: it would fail again), reconnections forever with the policy's
/// backoff, each request bounded by its attempt timeout.
#[cfg(feature = "nats")]
pub(crate) async fn connect_jetstream(
    url: &str,
    policy: RetryPolicy,
    security: &super::security::NatsSecurity,
) -> Result<async_nats::jetstream::Context, ServiceError> {
    use async_nats::ConnectErrorKind;

    let first = policy.first_backoff;
    let max = policy.max_backoff;
    let options = security
        .connect_options()
        .await?
        .connection_timeout(policy.attempt_timeout)
        .max_reconnects(None)
        .reconnect_delay_callback(move |attempts| {
            let factor = u32::try_from(attempts).unwrap_or(u32::MAX).min(16);
            jitter(
                first.saturating_mul(factor.max(1)).min(max),
                &mut rand::rng(),
            )
        });
    let start = std::time::Instant::now();
    let mut attempt = 0;
    let client = loop {
        let outcome = tokio::time::timeout(
            policy.attempt_timeout.saturating_mul(2),
            async_nats::connect_with_options(url, options.clone()),
        )
        .await;
        let error: BoxError = match outcome {
            Ok(Ok(client)) => break client,
            Ok(Err(e)) => match e.kind() {
                ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
                    return Err(ServiceError::Unauthorized {
                        server: url.to_string(),
                        source: e.into(),
                    });
                }
                ConnectErrorKind::Tls | ConnectErrorKind::Io if is_tls_refusal(&e) => {
                    return Err(ServiceError::Tls {
                        server: url.to_string(),
                        source: e.into(),
                    });
                }
                _ => e.into(),
            },
            Err(_) => format!("no answer within {:?}", policy.attempt_timeout * 2).into(),
        };
        let pause = policy.pause(attempt);
        if start.elapsed() + pause > policy.deadline {
            return Err(ServiceError::Connect {
                server: url.to_string(),
                source: error,
            });
        }
        tracing::debug!(server = url, %error, "cannot connect yet; retrying");
        tokio::time::sleep(pause).await;
        attempt += 1;
    };
    let mut context = async_nats::jetstream::new(client);
    context.set_timeout(policy.attempt_timeout);
    Ok(context)
}

/// True for a TLS failure: the client says so, or the socket failed with
/// invalid data (how rustls reports an untrusted or bad certificate).
#[cfg(feature = "nats")]
fn is_tls_refusal(e: &async_nats::ConnectError) -> bool {
    if e.kind() == async_nats::ConnectErrorKind::Tls {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_millis(20));
        assert_eq!(p.backoff(1), Duration::from_millis(40));
        assert_eq!(p.backoff(40), Duration::from_millis(500));
    }

    /// Issue 15: retries had no jitter, so processes retried in lockstep.
    #[test]
    fn pauses_are_jittered_within_the_upper_half_of_each_step() {
        use rand::SeedableRng;
        use rand_chacha::ChaCha8Rng;
        let p = RetryPolicy::default();
        let schedule = |seed: u64| -> Vec<Duration> {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..12).map(|a| p.pause_with(a, &mut rng)).collect()
        };
        let (one, other) = (schedule(1), schedule(2));
        assert_ne!(one, other, "two processes do not retry in lockstep");
        assert_eq!(one, schedule(1), "a seed gives one schedule");
        for (attempt, pauses) in (0..).zip(one.iter().zip(&other)) {
            let step = p.backoff(attempt);
            for pause in [*pauses.0, *pauses.1] {
                assert!(
                    pause >= step / 2 && pause <= step && pause <= p.max_backoff,
                    "attempt {attempt}: {pause:?} outside [{:?}, {step:?}]",
                    step / 2
                );
            }
        }
    }

    #[test]
    fn jitter_of_a_zero_step_is_zero() {
        let mut rng = rand::rng();
        assert_eq!(jitter(Duration::ZERO, &mut rng), Duration::ZERO);
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            deadline: Duration::from_millis(200),
            first_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            attempt_timeout: Duration::from_millis(50),
        }
    }

    #[tokio::test]
    async fn retrying_tells_later_attempts_an_earlier_one_may_have_applied() {
        let seen = std::sync::Mutex::new(Vec::new());
        let answer = retrying(&quick(), "test", None, |ambiguous| {
            seen.lock().expect("lock").push(ambiguous);
            let n = seen.lock().expect("lock").len();
            async move {
                match n {
                    1 => Err(Stop::Retry {
                        ambiguous: false,
                        reason: "down".into(),
                    }),
                    2 => Err(Stop::Retry {
                        ambiguous: true,
                        reason: "lost".into(),
                    }),
                    3 => Err(Stop::Retry {
                        ambiguous: false,
                        reason: "down".into(),
                    }),
                    _ => Ok(n),
                }
            }
        })
        .await;
        assert_eq!(answer.ok(), Some(4));
        assert_eq!(*seen.lock().expect("lock"), vec![false, false, true, true]);
    }

    #[tokio::test]
    async fn retrying_stops_at_a_failure_and_at_the_deadline() {
        let failed: Result<(), ServiceError> = retrying(&quick(), "svc", None, |_| async {
            Err(Stop::Fail("no".into()))
        })
        .await;
        assert!(
            matches!(&failed, Err(ServiceError::Failed { what, source }) if what == "svc" && source.to_string() == "no"),
            "{failed:?}"
        );
        let timed_out: Result<(), ServiceError> =
            retrying(&quick(), "svc", Some(Duration::from_millis(5)), |_| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(())
            })
            .await;
        let error = timed_out.expect_err("gives up");
        assert!(
            matches!(&error, ServiceError::GaveUp { what, elapsed, .. } if what == "svc" && *elapsed >= quick().deadline / 2),
            "{error:?}"
        );
        let last = std::error::Error::source(&error).expect("the last attempt's error");
        assert_eq!(last.to_string(), "attempt timed out");
    }
}
