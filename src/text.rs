//! Text that may reach a terminal: what AWS says (status reasons, error messages, names, tags) and
//! what a policy holds is shown with its control characters escaped, so no escape sequence in it
//! (an OSC 52 that sets the clipboard, one that sets the window title, a cursor move that forges
//! a line) is ever written raw. Pure.

use std::borrow::Cow;

/// Every control character (C0, DEL, C1; so every escape sequence) as `\u00XX`, keeping new lines
/// and tabs: for whole outputs. The same form is a valid escape inside a JSON string.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\n' && c != '\t')
}

/// As [`escape_controls`], new lines and tabs included: for one field that must stay one line
/// (a reason, a message), so it can't forge lines of its own.
pub fn one_line(text: &str) -> Cow<'_, str> {
    escape(text, |_| true)
}

fn escape(text: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && escaped(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && escaped(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        let osc52 = "reason \u{1b}]52;c;ZXZpbA==\u{7} and \u{1b}]0;pwned\u{7} and \u{9b}2J";
        let shown = escape_controls(osc52);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown}");
        assert_eq!(
            shown,
            "reason \\u001b]52;c;ZXZpbA==\\u0007 and \\u001b]0;pwned\\u0007 and \\u009b2J"
        );
        assert_eq!(escape_controls("two\nlines\ttab"), "two\nlines\ttab");
        assert_eq!(one_line("two\nlines"), "two\\u000alines");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        let json = serde_json::json!({"k": "\u{9b}x"}).to_string();
        let escaped = escape_controls(&json);
        let back: serde_json::Value = serde_json::from_str(&escaped).expect("still JSON");
        assert_eq!(back["k"], "\u{9b}x");
    }
}
