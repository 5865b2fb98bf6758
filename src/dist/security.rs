//! Credentials and TLS for the servers a run talks to (issue 15,
//! "Security"): NATS credentials (a token, a user and password, or a
//! `.creds` file), NATS TLS (a CA file to trust, a client certificate and
//! key to present) and ZooKeeper digest authentication.
//!
//! These types are plain configuration, compiled whatever the features;
//! the clients read them when they connect. Files are checked before the
//! first connection ([`NatsSecurity::check`]) so that a missing or
//! unreadable file is a [`SecurityError`] naming it, not a TLS failure
//! later. Secrets are never printed: `Debug` writes `***` for them.

use std::fmt;
use std::path::{Path, PathBuf};

/// How a process proves who it is to the NATS server.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NatsCredentials {
    /// A token (`authorization { token: .. }` on the server).
    Token(String),
    /// A user and password (`authorization { user: .., password: .. }`).
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// A `.creds` file (a JWT and an NKey seed, decentralised auth).
    CredsFile(PathBuf),
}

impl fmt::Debug for NatsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NatsCredentials::Token(_) => f.write_str("Token(***)"),
            NatsCredentials::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .field("password", &"***")
                .finish(),
            NatsCredentials::CredsFile(path) => f.debug_tuple("CredsFile").field(path).finish(),
        }
    }
}

/// TLS towards the NATS server. Setting either field makes TLS required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatsTls {
    /// A PEM file of the certificate authorities to trust (beside the
    /// system's roots).
    pub ca_file: Option<PathBuf>,
    /// A PEM client certificate and its PEM private key, for servers that
    /// verify clients (`verify: true`).
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl NatsTls {
    /// TLS trusting the authorities in `ca_file`.
    pub fn with_ca(ca_file: impl Into<PathBuf>) -> NatsTls {
        NatsTls {
            ca_file: Some(ca_file.into()),
            client_cert: None,
        }
    }

    /// The same, presenting `cert` (with its key `key`) to the server
    /// (builder style).
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> NatsTls {
        self.client_cert = Some((cert.into(), key.into()));
        self
    }
}

/// Credentials and TLS for NATS. The default is neither.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatsSecurity {
    /// Credentials, if the server requires them.
    pub credentials: Option<NatsCredentials>,
    /// TLS, if the server requires it.
    pub tls: Option<NatsTls>,
}

impl NatsSecurity {
    /// Checks that every configured file can be read and holds what it
    /// should (PEM blocks for TLS, a JWT for a creds file).
    pub fn check(&self) -> Result<(), SecurityError> {
        if let Some(NatsCredentials::CredsFile(path)) = &self.credentials {
            check_file(
                path,
                "NATS credentials file",
                "-----BEGIN NATS USER JWT-----",
            )?;
        }
        if let Some(tls) = &self.tls {
            if let Some(ca) = &tls.ca_file {
                check_file(ca, "NATS TLS CA file", "-----BEGIN CERTIFICATE-----")?;
            }
            if let Some((cert, key)) = &tls.client_cert {
                check_file(
                    cert,
                    "NATS TLS client certificate",
                    "-----BEGIN CERTIFICATE-----",
                )?;
                check_file(key, "NATS TLS client key", "PRIVATE KEY-----")?;
            }
        }
        Ok(())
    }

    /// The client's connect options with these credentials and TLS.
    #[cfg(feature = "nats")]
    pub(crate) async fn connect_options(
        &self,
    ) -> Result<async_nats::ConnectOptions, SecurityError> {
        self.check()?;
        let mut options = async_nats::ConnectOptions::new();
        match &self.credentials {
            None => {}
            Some(NatsCredentials::Token(token)) => options = options.token(token.clone()),
            Some(NatsCredentials::UserPassword { user, password }) => {
                options = options.user_and_password(user.clone(), password.clone());
            }
            Some(NatsCredentials::CredsFile(path)) => {
                options =
                    options
                        .credentials_file(path)
                        .await
                        .map_err(|source| SecurityError::File {
                            what: "NATS credentials file",
                            path: path.clone(),
                            source,
                        })?;
            }
        }
        if let Some(tls) = &self.tls {
            options = options.require_tls(true);
            if let Some(ca) = &tls.ca_file {
                options = options.add_root_certificates(ca.clone());
            }
            if let Some((cert, key)) = &tls.client_cert {
                options = options.add_client_certificate(cert.clone(), key.clone());
            }
        }
        Ok(options)
    }
}

/// ZooKeeper digest authentication (`addauth digest USER:PASSWORD`). With
/// it, the znodes a run creates are readable and writable by that identity
/// only (`creator_all` ACLs), so every process of the run must use it.
#[derive(Clone, PartialEq, Eq)]
pub struct ZooKeeperDigest {
    /// The user.
    pub user: String,
    /// The password.
    pub password: String,
}

impl ZooKeeperDigest {
    /// Parses `USER:PASSWORD` (the user is not empty and has no `:`).
    pub fn parse(text: &str) -> Result<ZooKeeperDigest, SecurityError> {
        match text.split_once(':') {
            Some((user, password)) if !user.is_empty() => Ok(ZooKeeperDigest {
                user: user.to_string(),
                password: password.to_string(),
            }),
            _ => Err(SecurityError::UserPassword {
                what: "ZooKeeper digest",
                user: text.split(':').next().unwrap_or_default().to_string(),
            }),
        }
    }

    /// The bytes the `digest` scheme expects: `USER:PASSWORD`.
    #[cfg(feature = "zookeeper")]
    pub(crate) fn auth_bytes(&self) -> Vec<u8> {
        format!("{}:{}", self.user, self.password).into_bytes()
    }
}

impl fmt::Debug for ZooKeeperDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZooKeeperDigest")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Everything a process needs to be let in: NATS credentials and TLS,
/// ZooKeeper authentication. The default is none of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Security {
    /// Towards the NATS server (the run's streams, the JetStream sequencer).
    pub nats: NatsSecurity,
    /// Towards ZooKeeper (the sequencer and membership), if authenticated.
    pub zookeeper: Option<ZooKeeperDigest>,
}

/// A security setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecurityError {
    /// A configured file that cannot be read.
    #[error("security: {what} `{}`: {source}", path.display())]
    File {
        /// What the file is for.
        what: &'static str,
        /// The file as configured.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// A configured file that does not hold what it should.
    #[error("security: {what} `{}` holds no `{expected}` block", path.display())]
    Content {
        /// What the file is for.
        what: &'static str,
        /// The file as configured.
        path: PathBuf,
        /// The marker looked for.
        expected: &'static str,
    },
    /// `USER:PASSWORD` expected.
    #[error("security: {what} for `{user}`: expected USER:PASSWORD with a non-empty user")]
    UserPassword {
        /// What the setting is for.
        what: &'static str,
        /// The user part as written (never the password).
        user: String,
    },
}

fn check_file(
    path: &Path,
    what: &'static str,
    expected: &'static str,
) -> Result<(), SecurityError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecurityError::File {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    if text.contains(expected) {
        Ok(())
    } else {
        Err(SecurityError::Content {
            what,
            path: path.to_path_buf(),
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_printed() {
        let security = Security {
            nats: NatsSecurity {
                credentials: Some(NatsCredentials::UserPassword {
                    user: "ads".into(),
                    password: "hunter2".into(),
                }),
                tls: None,
            },
            zookeeper: Some(ZooKeeperDigest::parse("zk:s3cret").expect("parses")),
        };
        let shown = format!("{security:?}");
        assert!(shown.contains("ads") && shown.contains("zk"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        let token = format!("{:?}", NatsCredentials::Token("t0ken".into()));
        assert!(!token.contains("t0ken"), "{token}");
    }

    #[test]
    fn a_digest_needs_a_user_and_a_colon() {
        let digest = ZooKeeperDigest::parse("u:p:q").expect("parses");
        assert_eq!(
            (digest.user.as_str(), digest.password.as_str()),
            ("u", "p:q")
        );
        for bad in ["nopassword", ":p", ""] {
            assert!(
                matches!(
                    ZooKeeperDigest::parse(bad),
                    Err(SecurityError::UserPassword { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn missing_and_wrong_files_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("ca.pem");
        let tls = NatsSecurity {
            credentials: None,
            tls: Some(NatsTls::with_ca(&missing)),
        };
        let error = tls.check().expect_err("missing");
        assert!(
            matches!(&error, SecurityError::File { path, .. } if *path == missing),
            "{error:?}"
        );
        assert!(error.to_string().contains("NATS TLS CA file"), "{error}");
        let not_pem = dir.path().join("creds");
        std::fs::write(&not_pem, "hello").expect("written");
        let creds = NatsSecurity {
            credentials: Some(NatsCredentials::CredsFile(not_pem.clone())),
            tls: None,
        };
        let error = creds.check().expect_err("not a creds file");
        assert!(
            matches!(&error, SecurityError::Content { path, .. } if *path == not_pem),
            "{error:?}"
        );
    }
}
