//! Text that may reach a terminal: what AWS says (status reasons, error messages, names, tags) and
//! what a policy holds is shown with its control characters escaped, so no escape sequence in it
//! (an OSC 52 that sets the clipboard, one that sets the window title, a cursor move that forges
//! a line) is ever written raw, and no invisible character (a bidirectional override that shows
//! `lin.exe` as `exe.nil`, a zero-width space that makes two names look one, a line separator
//! that starts a row of its own) is shown as if it weren't there. Pure.

use std::borrow::Cow;

/// Every control character (C0, DEL, C1; so every escape sequence) and every invisible one
/// (bidirectional controls, zero-width characters, line and paragraph separators) as `\uXXXX`,
/// keeping new lines and tabs: for whole outputs. The same form is a valid escape inside a JSON
/// string.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\n' && c != '\t')
}

/// Characters that change how text around them reads without showing themselves: the Unicode
/// bidirectional controls (Trojan Source, CVE-2021-42574), zero-width characters and joiners, the
/// byte-order mark, and the line and paragraph separators (which some terminals break lines at).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// As [`escape_controls`], new lines and tabs included: for one field that must stay one line
/// (a reason, a message), so it can't forge lines of its own.
pub fn one_line(text: &str) -> Cow<'_, str> {
    escape(text, |_| true)
}

fn escape(text: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    let hidden = |c: char| (c.is_control() && escaped(c)) || is_invisible(c);
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c) {
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

    /// A name from AWS (an organizational unit's, say) can't reverse the text after it, hide a
    /// character, or start a line of its own.
    #[test]
    fn bidi_zero_width_and_line_separators_are_shown() {
        let forged = "Prod\u{202E}txt.exe\u{202C} a\u{200B}b\u{2028}111111111111  OK\u{FEFF}";
        let shown = one_line(forged);
        assert_eq!(
            shown,
            "Prod\\u202etxt.exe\\u202c a\\u200bb\\u2028111111111111  OK\\ufeff"
        );
        assert_eq!(escape_controls("a\u{2066}b\u{061C}"), "a\\u2066b\\u061c");
        assert_eq!(one_line("row\nforged"), "row\\u000aforged");
        assert!(matches!(escape_controls("naïve café ü"), Cow::Borrowed(_)));
    }
}
