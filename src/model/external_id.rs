//! External IDs: generated from the operating system's secure random source, or checked when the
//! user brings one.

use crate::model::catalog::ExternalIdRule;
use crate::model::validate::{self, Invalid};
use rand::distr::{Alphanumeric, SampleString};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;

/// Length of a generated external ID: 40 characters of `[A-Za-z0-9]` is about 238 bits.
pub const DEFAULT_LENGTH: usize = 40;

/// A fresh external ID of `length` characters from `[A-Za-z0-9]`, drawn from the OS's secure
/// random source. Never shorter than the functions' minimum of 32.
pub fn generate(length: usize) -> String {
    // UnwrapErr: the OS random source does not fail on supported systems (getrandom(2) blocks
    // until seeded); a failure there is not something the user could act on.
    let mut rng = UnwrapErr(SysRng);
    Alphanumeric.sample_string(&mut rng, length.max(32))
}

/// Checks an ID the user brings against AWS's rule and the integration's minimum length.
pub fn check(value: &str, rule: &ExternalIdRule) -> Result<(), Invalid> {
    validate::external_id(value, rule.min_length)
}

/// Words that make an external ID guessable (a dictionary of the obvious, not a password list).
const WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "segment",
    "external",
    "externalid",
    "letmein",
    "welcome",
    "admin",
    "qwerty",
    "123456",
    "abcdef",
    "changeme",
    "default",
    "example",
    "test",
    "lambda",
    "function",
    "company",
    "dragon",
    "monkey",
    "master",
    "sunshine",
    "football",
    "iloveyou",
];

/// Why an external ID a user brings for a function looks weak, if it does: a dictionary word,
/// one kind of character only, or fewer than about 128 bits by a simple estimate (length times
/// the bits of the character classes it uses). A warning, not a refusal: AWS accepts it.
pub fn weakness(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    if let Some(word) = WORDS.iter().find(|w| lower.contains(*w)) {
        return Some(format!(
            "it contains the word {word:?}, which makes it guessable; Segment asks for random characters"
        ));
    }
    let classes = [
        (id.bytes().any(|b| b.is_ascii_lowercase()), 26.0),
        (id.bytes().any(|b| b.is_ascii_uppercase()), 26.0),
        (id.bytes().any(|b| b.is_ascii_digit()), 10.0),
        (id.bytes().any(|b| !b.is_ascii_alphanumeric()), 10.0),
    ];
    let used: Vec<f64> = classes
        .iter()
        .filter(|(u, _)| *u)
        .map(|(_, n)| *n)
        .collect();
    if used.len() <= 1 {
        return Some(
            "it uses one kind of character only (all letters of one case, or all digits)".into(),
        );
    }
    let alphabet: f64 = used.iter().sum();
    let bits = id.chars().count() as f64 * alphabet.log2();
    (bits < 128.0).then(|| {
        format!(
            "it carries about {} bits of randomness at most; a generated one has about 238 (aim for 128 or more)",
            bits.round() as u64
        )
    })
}

/// Defaults published for the external ID, which anyone may present: Segment's 2019
/// CloudFormation template for the Lambda destination defaults `ExternalId` to `external-id`,
/// and the destination's setting shows the placeholder `#SEGMENT_WORKSPACE_ID`.
const PUBLISHED_DEFAULTS: &[&str] = &[
    "external-id",
    "externalid",
    "external_id",
    "#segment_workspace_id",
    "segment_workspace_id",
];

/// Why an ID a role accepts can be guessed by anyone, if it can: under 32 characters (Segment
/// asks for at least 32 random ones), a published default, or one holding `*` or `?` (what a
/// wildcard looks like, and a value anyone can type).
pub fn guessable(id: &str) -> Option<String> {
    if PUBLISHED_DEFAULTS.contains(&id.to_ascii_lowercase().as_str()) {
        return Some(format!("{id:?} is a published default"));
    }
    if id.contains(['*', '?']) {
        return Some(format!("{id:?} holds * or ?"));
    }
    let count = id.chars().count();
    (count < 32)
        .then(|| format!("it has {count} characters, under the 32 random ones Segment asks for"))
}

/// An ID anyone may know already (a published default, or one holding a wildcard's
/// characters): shown as it is, even in presenter mode, so it can be found and removed.
pub fn is_public(id: &str) -> bool {
    PUBLISHED_DEFAULTS.contains(&id.to_ascii_lowercase().as_str()) || id.contains(['*', '?'])
}

/// What a Segment workspace or source ID looks like (`wXZ2sd8N3mJ`): 8 to 32 letters and digits.
pub fn looks_like_segment_id(id: &str) -> bool {
    (8..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The visible form of a secret in presenter mode: its first 4 characters, then dots.
pub fn masked(value: &str) -> String {
    let head: String = value.chars().take(4).collect();
    format!("{head}••••••••")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::ExternalIdSource;

    #[test]
    fn generated_ids_are_40_alphanumerics_by_default() {
        let id = generate(DEFAULT_LENGTH);
        assert_eq!(id.len(), 40);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    }

    #[test]
    fn generated_ids_are_never_shorter_than_32() {
        assert_eq!(generate(8).len(), 32);
    }

    #[test]
    fn brought_ids_follow_the_rule() {
        let rule = ExternalIdRule {
            source: ExternalIdSource::Generated,
            min_length: 32,
            multiple: false,
            source_ids: false,
            shown_as: None,
        };
        assert!(check(&"x".repeat(32), &rule).is_ok());
        assert!(check("short", &rule).is_err());
    }

    #[test]
    fn weak_ids_are_named_and_generated_ones_are_not() {
        assert!(weakness(&generate(DEFAULT_LENGTH)).is_none());
        assert!(
            weakness("my-segment-external-id-for-prod-2024").is_some_and(|w| w.contains("segment"))
        );
        assert!(weakness(&"a".repeat(40)).is_some_and(|w| w.contains("one kind")));
        assert!(weakness(&"7".repeat(40)).is_some());
        assert!(weakness("Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab3Ab").is_none_or(|w| w.contains("bits")));
        assert!(
            weakness("xK9q2LmZ7rT4vW8yB1nC5").is_some_and(|w| w.contains("bits")),
            "21 characters are too few"
        );
    }

    #[test]
    fn masking_keeps_four_characters() {
        assert_eq!(masked("abcdefgh"), "abcd••••••••");
        assert_eq!(masked("ab"), "ab••••••••");
    }
}
