//! Reading the policy file a user names (`--policy-file`, the wizard's field, plain mode's
//! question): the one piece of I/O on policies, shared by every face; what it holds is checked by
//! the model (`policy::check_custom_policy`).

use crate::model::policy::{INLINE_POLICIES_MAX_CHARS, POLICY_FILE_MAX_BYTES, expand_home};

/// Reads a policy file, refusing one larger than [`POLICY_FILE_MAX_BYTES`] without reading it
/// whole; `~` is the home directory.
pub fn read_policy_file(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let path = &expand_home(path, dirs::home_dir().as_deref());
    let file =
        std::fs::File::open(path).map_err(|e| format!("can't read {}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(POLICY_FILE_MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("can't read {}: {e}", path.display()))?;
    if text.len() as u64 > POLICY_FILE_MAX_BYTES {
        return Err(format!(
            "{} is larger than 1 MiB; a policy document is at most {INLINE_POLICIES_MAX_CHARS} characters",
            path.display()
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_too_large_is_refused_before_it_is_read_whole() {
        let refused = read_policy_file(std::path::Path::new("/dev/zero")).expect_err("too large");
        assert!(refused.contains("larger than 1 MiB"), "{refused}");
        assert!(
            read_policy_file(std::path::Path::new("/no/such/file"))
                .expect_err("missing")
                .contains("can't read")
        );
    }
}
