//! Where a setup lives and who works on it: the caller, the region and the profile. An error's
//! words name the identity, and every command the tool prints for later carries the region and
//! profile, so it works as printed.

use crate::model::aws_types::Caller;

/// Who is calling and where: an error's words name the identity, and the commands it suggests
/// carry the region and profile, so they work as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub caller: Option<Caller>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

impl Context {
    /// ` --profile P --region R`, for a command printed for the user to run: each value quoted
    /// for a shell when it needs it (a profile may be named anything the AWS config files allow).
    pub fn flags(&self) -> String {
        let mut flags = String::new();
        if let Some(profile) = &self.profile {
            flags.push_str(&format!(" --profile {}", shell_word(profile)));
        }
        if let Some(region) = &self.region {
            flags.push_str(&format!(" --region {}", shell_word(region)));
        }
        flags
    }
}

/// A word of a printed command, quoted for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> std::borrow::Cow<'_, str> {
    shlex::try_quote(word).unwrap_or(std::borrow::Cow::Borrowed("''"))
}
