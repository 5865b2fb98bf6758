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
}
