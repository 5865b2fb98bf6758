//! Group names made safe as a znode name, a JetStream stream name and a
//! subject token: ASCII letters, digits and `-` pass, every other byte is
//! written `_XX` (hex), so distinct groups never share a name.

use std::fmt::Write;

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
