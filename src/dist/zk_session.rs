//! One ZooKeeper session shared by a process's distributed services:
//! connected lazily, replaced when it expires, and a retry loop for
//! idempotent requests.

use std::future::Future;
use std::time::{Duration, Instant};

use zookeeper_client as zk;

use super::retry::{RetryPolicy, ServiceError, Stop, retrying};
use super::security::ZooKeeperDigest;

/// The session timeout asked of the server (it may negotiate another).
const SESSION_TIMEOUT: Duration = Duration::from_secs(20);

/// A (re)connecting ZooKeeper client.
pub struct ZkSession {
    connect_string: String,
    policy: RetryPolicy,
    auth: Option<ZooKeeperDigest>,
    client: tokio::sync::Mutex<Option<zk::Client>>,
}

impl std::fmt::Debug for ZkSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZkSession")
            .field("connect_string", &self.connect_string)
            .finish_non_exhaustive()
    }
}

impl ZkSession {
    /// Connects to `connect_string` (`host:port[,host:port..]`), retrying
    /// until the policy's deadline, authenticated with `auth` when given
    /// (then every session, including those replacing an expired one, is).
    pub async fn connect(
        connect_string: &str,
        policy: RetryPolicy,
        auth: Option<&ZooKeeperDigest>,
    ) -> Result<ZkSession, ServiceError> {
        let session = ZkSession {
            connect_string: connect_string.to_string(),
            policy,
            auth: auth.cloned(),
            client: tokio::sync::Mutex::new(None),
        };
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            let pause = policy.pause(attempt);
            match session.client().await {
                Ok(_) => return Ok(session),
                Err(e) if start.elapsed() + pause > policy.deadline => {
                    return Err(ServiceError::Connect {
                        server: format!("zookeeper {connect_string}"),
                        source: e.into(),
                    });
                }
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
            }
        }
    }

    /// The ACLs of the znodes this session creates: its identity's only
    /// when authenticated, anyone's otherwise.
    pub fn acls(&self) -> zk::Acls<'static> {
        if self.auth.is_some() {
            zk::Acls::creator_all()
        } else {
            zk::Acls::anyone_all()
        }
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The connected client, connecting first when there is none.
    pub async fn client(&self) -> Result<zk::Client, zk::Error> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let mut connector = zk::Client::connector()
            .with_session_timeout(SESSION_TIMEOUT)
            .with_connection_timeout(self.policy.attempt_timeout);
        if let Some(auth) = &self.auth {
            connector = connector.with_auth("digest", &auth.auth_bytes());
        }
        let client = connector.connect(&self.connect_string).await?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Forgets `broken` when its session is gone, so that the next request
    /// opens a new session.
    pub async fn forget(&self, broken: &zk::Client) {
        let mut slot = self.client.lock().await;
        if slot
            .as_ref()
            .is_some_and(|c| c.session_id() == broken.session_id())
        {
            *slot = None;
        }
    }

    /// Runs an idempotent request, retrying transient failures (and
    /// replacing an expired session) until the policy's deadline.
    pub async fn run<T, F, Fut>(&self, what: &str, request: F) -> Result<T, ServiceError>
    where
        F: Fn(zk::Client) -> Fut,
        Fut: Future<Output = Result<T, zk::Error>>,
    {
        let request = &request;
        retrying(&self.policy, what, None, |_| async move {
            let client = self.client().await.map_err(stop)?;
            let answer = tokio::time::timeout(self.policy.attempt_timeout, request(client.clone()))
                .await
                .unwrap_or(Err(zk::Error::Timeout));
            if let Err(zk::Error::SessionExpired | zk::Error::ClientClosed) = &answer {
                self.forget(&client).await;
            }
            answer.map_err(stop)
        })
        .await
    }
}

/// For cleaning a run (`cleanup.rs`, which needs both clients).
#[cfg(feature = "nats")]
impl ZkSession {
    /// Deletes `path` and everything under it (children first); a znode
    /// already gone is not an error. Returns the znodes deleted.
    pub async fn delete_tree(&self, path: &str) -> Result<Vec<String>, ServiceError> {
        let mut deleted = Vec::new();
        // Depth-first, children before their parent.
        let mut stack = vec![(path.to_string(), false)];
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                let gone = self
                    .run("delete", |client| {
                        let node = &node;
                        async move {
                            match client.delete(node, None).await {
                                Ok(()) => Ok(true),
                                Err(zk::Error::NoNode) => Ok(false),
                                Err(e) => Err(e),
                            }
                        }
                    })
                    .await?;
                if gone {
                    deleted.push(node);
                }
                continue;
            }
            let children = self.children(&node).await?;
            stack.push((node.clone(), true));
            let parent = node.trim_end_matches('/');
            stack.extend(
                children
                    .into_iter()
                    .map(|child| (format!("{parent}/{child}"), false)),
            );
        }
        Ok(deleted)
    }

    /// The children's names of `path` (none when it does not exist).
    pub async fn children(&self, path: &str) -> Result<Vec<String>, ServiceError> {
        self.run("list", |client| async move {
            match client.list_children(path).await {
                Err(zk::Error::NoNode) => Ok(Vec::new()),
                other => other,
            }
        })
        .await
    }
}

/// A client error as a reason to retry (transient) or to stop.
fn stop(e: zk::Error) -> Stop {
    if matches!(e, zk::Error::NoAuth | zk::Error::AuthFailed) {
        return Stop::fail(NotAuthorized(e));
    }
    if is_transient(&e) {
        Stop::Retry {
            ambiguous: false,
            reason: e.into(),
        }
    } else {
        Stop::fail(e)
    }
}

/// ZooKeeper refused a request for want of rights: the znodes were created
/// by another identity (digest authentication configured differently).
#[derive(Debug, thiserror::Error)]
#[error(
    "{0}: not authorized: configure the same ZooKeeper digest (USER:PASSWORD) as the process \
     that created the run's znodes"
)]
pub struct NotAuthorized(#[source] pub zk::Error);

/// Errors after which the same request may succeed. The client reports
/// socket errors (a connection reset by a dying server) as `Custom`; the
/// others it reports that way (TLS, SASL set-up) fail again until the
/// deadline.
pub fn is_transient(e: &zk::Error) -> bool {
    matches!(
        e,
        zk::Error::ConnectionLoss
            | zk::Error::Timeout
            | zk::Error::NoHosts
            | zk::Error::Throttled
            | zk::Error::SessionMoved
            | zk::Error::SessionExpired
            | zk::Error::ClientClosed
            | zk::Error::Custom(_)
    )
}
