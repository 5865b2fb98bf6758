//! How long a backend keeps retrying a sequencing request through
//! connection losses and server restarts.

use std::time::Duration;

/// Retry schedule of a distributed sequencer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Give up (and report a [`SequencerError`](crate::runtime::SequencerError))
    /// when one request has not succeeded after this long.
    pub deadline: Duration,
    /// The first pause between attempts; doubled after each failure.
    pub first_backoff: Duration,
    /// The longest pause between attempts.
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
    /// The pause before attempt `attempt + 1` (attempts count from 0).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Why one attempt at a request to a service gave no answer.
pub(crate) enum Stop {
    /// Try again; `ambiguous` when the request may have been applied.
    Retry { ambiguous: bool, reason: String },
    /// Give up.
    Fail(String),
}

/// Runs `attempt` until it answers, fails, or `policy`'s deadline passes,
/// pausing with the policy's backoff between attempts. Each attempt is told
/// whether an earlier one may have been applied (its outcome was unknown),
/// and is bounded by `attempt_limit` when given (a timeout counts as
/// ambiguous). Errors read `{what}: {reason}`.
pub(crate) async fn retrying<T, F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    attempt_limit: Option<std::time::Duration>,
    mut attempt: F,
) -> Result<T, String>
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
                        reason: "attempt timed out".to_string(),
                    })
                }),
            None => attempt(ambiguous).await,
        };
        match outcome {
            Ok(answer) => return Ok(answer),
            Err(Stop::Fail(reason)) => return Err(format!("{what}: {reason}")),
            Err(Stop::Retry {
                ambiguous: maybe_applied,
                reason,
            }) => {
                ambiguous |= maybe_applied;
                let pause = policy.backoff(tries);
                if start.elapsed() + pause > policy.deadline {
                    return Err(format!(
                        "{what}: gave up after {:?}: {reason}",
                        start.elapsed()
                    ));
                }
                tracing::debug!(what, %reason, ambiguous, "retrying");
                tokio::time::sleep(pause).await;
                tries += 1;
            }
        }
    }
}

/// Connects to the NATS server at `url` for a JetStream context: the first
/// connection retried until the policy's deadline, reconnections forever
/// with the policy's backoff, each request bounded by its attempt timeout.
pub(crate) async fn connect_jetstream(
    url: &str,
    policy: RetryPolicy,
) -> Result<async_nats::jetstream::Context, String> {
    let first = policy.first_backoff;
    let max = policy.max_backoff;
    let options = async_nats::ConnectOptions::new()
        .connection_timeout(policy.attempt_timeout)
        .max_reconnects(None)
        .reconnect_delay_callback(move |attempts| {
            let factor = u32::try_from(attempts).unwrap_or(u32::MAX).min(16);
            first.saturating_mul(factor.max(1)).min(max)
        })
        .retry_on_initial_connect();
    let client = tokio::time::timeout(
        policy.deadline,
        async_nats::connect_with_options(url, options),
    )
    .await
    .map_err(|_| format!("nats {url}: no connection within {:?}", policy.deadline))?
    .map_err(|e| format!("nats {url}: {e}"))?;
    let mut context = async_nats::jetstream::new(client);
    context.set_timeout(policy.attempt_timeout);
    Ok(context)
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
        assert_eq!(answer, Ok(4));
        assert_eq!(*seen.lock().expect("lock"), vec![false, false, true, true]);
    }

    #[tokio::test]
    async fn retrying_stops_at_a_failure_and_at_the_deadline() {
        let failed: Result<(), String> = retrying(&quick(), "svc", None, |_| async {
            Err(Stop::Fail("no".into()))
        })
        .await;
        assert_eq!(failed, Err("svc: no".to_string()));
        let timed_out: Result<(), String> =
            retrying(&quick(), "svc", Some(Duration::from_millis(5)), |_| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(())
            })
            .await;
        let reason = timed_out.expect_err("gives up");
        assert!(
            reason.starts_with("svc: gave up after") && reason.ends_with("attempt timed out"),
            "{reason}"
        );
    }
}
