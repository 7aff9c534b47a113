//! External IDs: generated from the operating system's secure random source, or checked when the
//! user brings one.

use crate::catalog::ExternalIdRule;
use crate::validate::{self, Invalid};
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

/// The visible form of a secret in presenter mode: its first 4 characters, then dots.
pub fn masked(value: &str) -> String {
    let head: String = value.chars().take(4).collect();
    format!("{head}••••••••")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ExternalIdSource;

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
        };
        assert!(check(&"x".repeat(32), &rule).is_ok());
        assert!(check("short", &rule).is_err());
    }

    #[test]
    fn masking_keeps_four_characters() {
        assert_eq!(masked("abcdefgh"), "abcd••••••••");
        assert_eq!(masked("ab"), "ab••••••••");
    }
}
