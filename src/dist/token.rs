//! Tokens that tell one [`recover`](crate::runtime::Sequencer::recover)
//! call's write apart from every other: when an attempt's outcome is unknown
//! and the retry finds the message already ordered, the backend reads the
//! token stored with it to tell whether this call ordered it (`replay:
//! false`) or an earlier one did (`replay: true`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static CALLS: AtomicU64 = AtomicU64::new(0);

/// A token unique to this call: the process id, the time this process first
/// asked for one, and a counter (distinct across processes and restarts).
pub(crate) fn call_token() -> String {
    static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    });
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    format!("blazes-recover/{}/{start}/{call}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::call_token;

    #[test]
    fn tokens_are_distinct_and_non_empty() {
        let a = call_token();
        let b = call_token();
        assert_ne!(a, b);
        assert!(!a.is_empty());
    }
}
