//! Names on the servers. Group names are made safe as a znode name, a
//! JetStream stream name and a subject token: ASCII letters, digits and `-`
//! pass, every other byte is written `_XX` (hex), so distinct groups never
//! share a name. ZooKeeper roots and JetStream stream prefixes, as
//! configured, are checked here, whether or not the client is compiled in.

use std::fmt::Write;

/// The default root path of the ZooKeeper sequencer's znodes.
pub const DEFAULT_ROOT: &str = "/blazes/sequencer";

/// The default prefix of the JetStream sequencer's streams' names.
pub const DEFAULT_STREAM_PREFIX: &str = "BLAZES_SEQ";

/// A stream prefix is a non-empty run of ASCII letters, digits, `-`, `_`
/// (valid in a stream name and as a subject token).
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `root` without a trailing `/`, checked to be an absolute path below `/`.
pub(crate) fn checked_root(root: &str) -> Result<String, String> {
    let root = root.trim_end_matches('/');
    if !root.starts_with('/') || root.len() < 2 || root.contains("//") {
        return Err(format!(
            "zookeeper root `{root}` must be an absolute path below `/`"
        ));
    }
    Ok(root.to_string())
}

/// The escaped form of `group`.
pub fn escape(group: &str) -> String {
    let mut out = String::with_capacity(group.len());
    for b in group.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "_{b:02x}");
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn separators_and_wildcards_are_escaped_and_names_stay_distinct() {
        assert_eq!(escape("Report"), "Report");
        assert_eq!(escape("a.b/c"), "a_2eb_2fc");
        assert_eq!(escape("a_2e"), "a_5f2e");
        assert_ne!(escape("a.b"), escape("a_2eb"));
        assert_eq!(escape(""), "_");
        assert_eq!(escape("*>"), "_2a_3e");
    }
}
