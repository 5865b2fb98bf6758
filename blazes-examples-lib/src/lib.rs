//! Records and a component of the sessionizer example (`examples/sessionizer.rs`),
//! declared in a crate of their own: the dataflow in the example names
//! [`PerUserStats`] by path (issue 11: components anywhere).

use std::collections::BTreeMap;

use blazes::component;
use serde::{Deserialize, Serialize};

/// A click of a user, in one of the user's sessions.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Event {
    /// The session (each session belongs to one user).
    pub session: u64,
    /// The user.
    pub user: String,
    /// How many sessions the user has in all (known from the login).
    pub user_sessions: u32,
    /// The page clicked.
    pub page: String,
}

/// What the `events` stream is sealed on: a session. A source seals a
/// session with it once every click of the session is sent.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct SessionKey {
    /// The session.
    pub session: u64,
}

/// A finished session.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Session {
    /// The session.
    pub session: u64,
    /// Its user.
    pub user: String,
    /// Its clicks.
    pub clicks: u32,
}

/// What one user did, over all of their sessions.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserStats {
    /// The user.
    pub user: String,
    /// Sessions.
    pub sessions: u32,
    /// Clicks over all sessions.
    pub clicks: u32,
}

/// Aggregates the finished sessions of each user; emits a user's stats when
/// the user's partition of its input is sealed (`OW[user]`).
#[component]
#[derive(Default)]
pub struct PerUserStats {
    users: BTreeMap<String, (u32, u32)>,
}

#[component(outputs { stats: UserStats })]
impl PerUserStats {
    #[path(from = sessions, to = stats, label = OW, gate = [user])]
    fn sessions(&mut self, session: Session, _out: &mut PerUserStatsOut) {
        let entry = self.users.entry(session.user).or_default();
        entry.0 += 1;
        entry.1 += session.clicks;
    }

    #[on_seal(sessions)]
    fn sealed(&mut self, user: String, out: &mut PerUserStatsOut) {
        if let Some((sessions, clicks)) = self.users.remove(&user) {
            out.stats(UserStats {
                user,
                sessions,
                clicks,
            });
        }
    }
}
