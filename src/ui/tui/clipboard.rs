//! Putting a value on the user's clipboard: arboard where a display exists; OSC 52 through the
//! terminal over SSH or without a display (never waiting out an X11 time-out); inside tmux also
//! `tmux load-buffer -w`, which reaches the outer terminal with tmux's default settings.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Mutex;

pub trait Clipboard: Send + Sync {
    /// Puts the text on the clipboard (a `secret` is kept out of clipboard managers' histories
    /// where the platform allows); returns where it went, as the end of a sentence whose
    /// subject is what was copied ("copied to the clipboard").
    fn copy(&self, text: &str, secret: bool) -> Result<String, String>;
    /// The clipboard is the user's own machine's, reached through the terminal: it can't be read
    /// back or cleared for sure from here.
    fn is_remote(&self) -> bool;
    /// Whether the clipboard still holds `text`; `None` where it can't be read back (OSC 52).
    fn holds(&self, text: &str) -> Option<bool>;
    /// Empties the clipboard; through the terminal (OSC 52) an empty clipboard is sent, which
    /// can't be confirmed.
    fn clear(&self) -> Result<(), String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A local display: the system clipboard through arboard.
    Display,
    /// No display, or over SSH: OSC 52 to the user's own terminal (and tmux's buffer in tmux).
    Terminal { tmux: bool },
}

/// Chooses the route from the environment (a function, so it can be tested).
pub fn route(var: impl Fn(&str) -> Option<String>) -> Route {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    let ssh = set("SSH_TTY") || set("SSH_CONNECTION");
    let display = set("DISPLAY") || set("WAYLAND_DISPLAY");
    if ssh || !display {
        Route::Terminal { tmux: set("TMUX") }
    } else {
        Route::Display
    }
}

pub struct SystemClipboard {
    route: Route,
    // Kept alive while the wizard runs: on Linux the contents go with the process that owns them.
    board: Mutex<Option<arboard::Clipboard>>,
}

impl SystemClipboard {
    pub fn from_environment() -> Self {
        SystemClipboard {
            route: route(|name| std::env::var(name).ok()),
            board: Mutex::new(None),
        }
    }

    fn with_board<T>(
        &self,
        f: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
    ) -> Result<T, String> {
        let mut guard = self
            .board
            .lock()
            .map_err(|_| "clipboard lock poisoned".to_string())?;
        if guard.is_none() {
            *guard = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        let board = guard.as_mut().ok_or("no clipboard")?;
        f(board).map_err(|e| e.to_string())
    }

    /// `keep_buffer`: tmux keeps the value in its buffer (paste it with prefix-]) when it is no
    /// secret; a secret's buffer is deleted at once.
    fn to_terminal(&self, text: &str, tmux: bool, keep_buffer: bool) -> Result<String, String> {
        let mut stdout = std::io::stdout();
        crossterm::execute!(
            stdout,
            crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
        )
        .map_err(|e| e.to_string())?;
        if tmux {
            let loaded = Command::new("tmux")
                .args(["load-buffer", "-w", "-b", "segment-aws-setup", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .and_then(|mut child| {
                    if let Some(mut stdin) = child.stdin.take() {
                        stdin.write_all(text.as_bytes())?;
                    }
                    child.wait()
                });
            if !keep_buffer {
                let _ = Command::new("tmux")
                    .args(["delete-buffer", "-b", "segment-aws-setup"])
                    .status();
            }
            if loaded.is_ok_and(|status| status.success()) {
                return Ok(if keep_buffer {
                    "sent to your terminal's clipboard (OSC 52), and kept in tmux's buffer".into()
                } else {
                    "sent to your terminal's clipboard (OSC 52, through tmux)".into()
                });
            }
        }
        Ok("sent to your terminal's clipboard (OSC 52); it is on screen too".into())
    }
}

impl Clipboard for SystemClipboard {
    fn copy(&self, text: &str, secret: bool) -> Result<String, String> {
        match self.route {
            Route::Display => match self.with_board(|board| {
                let set = board.set();
                #[cfg(target_os = "linux")]
                let set = if secret {
                    arboard::SetExtLinux::exclude_from_history(set)
                } else {
                    set
                };
                #[cfg(target_os = "macos")]
                let set = if secret {
                    arboard::SetExtApple::exclude_from_history(set)
                } else {
                    set
                };
                #[cfg(windows)]
                let set = if secret {
                    arboard::SetExtWindows::exclude_from_history(set)
                } else {
                    set
                };
                let _ = secret;
                set.text(text.to_string())
            }) {
                Ok(()) => Ok("copied to the clipboard".into()),
                // A display that refuses: the terminal may still take it.
                Err(_) => self.to_terminal(text, false, !secret),
            },
            Route::Terminal { tmux } => self.to_terminal(text, tmux, !secret),
        }
    }

    fn is_remote(&self) -> bool {
        matches!(self.route, Route::Terminal { .. })
    }

    fn holds(&self, text: &str) -> Option<bool> {
        match self.route {
            Route::Display => self
                .with_board(|board| board.get_text())
                .ok()
                .map(|current| current == text),
            Route::Terminal { .. } => None,
        }
    }

    fn clear(&self) -> Result<(), String> {
        match self.route {
            Route::Display => self.with_board(|board| board.clear()),
            Route::Terminal { tmux } => self.to_terminal("", tmux, false).map(|_| ()),
        }
    }
}

/// A clipboard that records what it was given, for tests and the demo. `readable: false` plays
/// the OSC 52 route, which can't be read back.
pub struct RecordingClipboard {
    pub contents: Mutex<Option<String>>,
    /// Whether the last copy was kept out of clipboard histories.
    pub excluded_from_history: Mutex<bool>,
    pub readable: bool,
}

impl Default for RecordingClipboard {
    fn default() -> Self {
        RecordingClipboard {
            contents: Mutex::new(None),
            excluded_from_history: Mutex::new(false),
            readable: true,
        }
    }
}

impl Clipboard for RecordingClipboard {
    fn copy(&self, text: &str, secret: bool) -> Result<String, String> {
        *self.contents.lock().map_err(|_| "poisoned")? = Some(text.to_string());
        *self.excluded_from_history.lock().map_err(|_| "poisoned")? = secret;
        Ok(if self.readable {
            "copied to the clipboard".into()
        } else {
            "sent to your terminal's clipboard (OSC 52)".into()
        })
    }

    fn is_remote(&self) -> bool {
        !self.readable
    }

    fn holds(&self, text: &str) -> Option<bool> {
        if !self.readable {
            return None;
        }
        self.contents
            .lock()
            .ok()
            .map(|c| c.as_deref() == Some(text))
    }

    fn clear(&self) -> Result<(), String> {
        *self.contents.lock().map_err(|_| "poisoned")? = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn over_ssh_or_without_a_display_the_terminal_is_used() {
        assert_eq!(route(env(&[("DISPLAY", ":0")])), Route::Display);
        assert_eq!(
            route(env(&[("WAYLAND_DISPLAY", "wayland-0")])),
            Route::Display
        );
        assert_eq!(route(env(&[])), Route::Terminal { tmux: false });
        assert_eq!(
            route(env(&[("DISPLAY", "")])),
            Route::Terminal { tmux: false }
        );
        assert_eq!(
            route(env(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")])),
            Route::Terminal { tmux: false }
        );
        assert_eq!(
            route(env(&[("SSH_CONNECTION", "1 2 3 4"), ("TMUX", "/tmp/tmux")])),
            Route::Terminal { tmux: true }
        );
    }
}
