//! The sections an interrupt must not cut apart (CreateRole then PutRolePolicy or its clean-up;
//! UpdateAssumeRolePolicy then PutRolePolicy): a face's Ctrl-C waits for them to finish.

/// How many unbroken sections run: paired IAM calls (CreateRole then PutRolePolicy or its
/// clean-up; UpdateAssumeRolePolicy then PutRolePolicy) that an interrupt must not cut apart.
pub(super) fn unbroken_count() -> &'static tokio::sync::watch::Sender<usize> {
    static COUNT: std::sync::OnceLock<tokio::sync::watch::Sender<usize>> =
        std::sync::OnceLock::new();
    COUNT.get_or_init(|| tokio::sync::watch::Sender::new(0))
}

/// Held across calls an interrupt must not cut apart: while one is held, Ctrl-C (the command
/// line) and quitting (the wizard) wait for it to be dropped ([`unbroken_done`]).
pub struct Unbroken(());

impl Unbroken {
    pub fn enter() -> Unbroken {
        unbroken_count().send_modify(|n| *n += 1);
        Unbroken(())
    }
}

impl Drop for Unbroken {
    fn drop(&mut self) {
        unbroken_count().send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Whether calls that must not be cut apart are running now.
pub fn unbroken_running() -> bool {
    *unbroken_count().borrow() > 0
}

/// Returns once no unbroken section runs.
pub async fn unbroken_done() {
    let mut receiver = unbroken_count().subscribe();
    let _ = receiver.wait_for(|n| *n == 0).await;
}
