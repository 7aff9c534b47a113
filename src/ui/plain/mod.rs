//! The plain face: the wizard's eight steps as numbered questions and answers, one line at a
//! time. No alternate screen, no box drawing, no cursor movement, no spinner, no escape sequence
//! at all: a screen reader reads it, and a script can drive it with a here-document. Defaults are
//! in brackets and taken with Enter; a wrong answer is explained and asked again.
//!
//! It uses the same plan, validators and engine as the wizard and the commands.
//!
//! A folder by step: this file holds the face itself (its options, its questions and answers) and
//! `run`; `steps` the eight steps in order, `questions` the External ID and permission questions
//! with their pickers, `stack_sets` a StackSet's targets and run, `create` the review, creating
//! and repairing, `change` changing a setup, `resume` an interrupted one, `segment` the settings
//! written into Segment through its Public API.

mod audit;
mod change;
mod create;
mod questions;
mod resume;
mod segment;
mod stack_sets;
mod steps;

use crate::aws::{Connect, Connection};
use crate::engine::saving::{SavedSetup, StateStore};
use crate::engine::{self};
use crate::model::field::Naming;
use crate::ui::words::{Failure, exit};
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

pub struct Options {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub demo: bool,
    /// Unfinished setups found in the state directory (offered only in their own account).
    pub saved: Vec<SavedSetup>,
    /// Finished setups: this account's may be changed.
    pub finished: Vec<SavedSetup>,
    /// State files that couldn't be read, a sentence each with its path.
    pub state_problems: Vec<String>,
}

type Output = Arc<Mutex<Box<dyn Write + Send>>>;

struct Plain {
    input: Box<dyn BufRead + Send>,
    /// Input from a pipe or file: echo each answer so the transcript reads as questions and answers.
    echo: bool,
    output: Output,
    demo: bool,
    connection: Option<Connection>,
    caller: Option<crate::aws::Caller>,
    store: Option<StateStore>,
    connect: Option<Connect>,
    /// The profile this run connected with (a resumed setup may need its own).
    profile: Option<String>,
    /// The step being asked about, for the `?` answer.
    current_step: std::cell::Cell<usize>,
}

/// What a picked question was answered with; a bucket from the list brings its region.
struct Picked {
    values: Vec<String>,
    bucket_region: Option<String>,
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One line of the transcript, its control characters escaped: plain mode writes no escape
/// sequence at all, not even one that came from AWS.
fn write_line(output: &Output, text: &str) {
    if let Ok(mut out) = output.lock() {
        let _ = writeln!(out, "{}", crate::model::text::escape_controls(text));
        let _ = out.flush();
    }
}

/// Runs the eight steps; returns what to print at the end (nothing: the transcript is the output).
pub async fn run(
    connect: Connect,
    store: Option<StateStore>,
    options: Options,
    input: Box<dyn BufRead + Send>,
    output: Box<dyn Write + Send>,
) -> Result<(), Failure> {
    use std::io::IsTerminal;
    let mut plain: Plain = Plain {
        input,
        echo: !std::io::stdin().is_terminal(),
        output: Arc::new(Mutex::new(output)),
        demo: options.demo,
        connection: None,
        caller: None,
        store,
        connect: Some(connect.clone()),
        profile: options.profile.clone(),
        current_step: std::cell::Cell::new(1),
    };
    plain.steps(connect, &options).await
}

impl Plain {
    /// Who and where, for errors and the commands printed.
    fn context(&self) -> engine::Context {
        engine::Context {
            caller: self.caller.clone(),
            region: self.connection.as_ref().map(|c| c.region.clone()),
            profile: self.connection.as_ref().and_then(|c| c.profile.clone()),
        }
    }

    fn say(&self, text: &str) {
        write_line(&self.output, text);
    }

    fn step(&self, number: usize, title: &str) {
        let demo = if self.demo {
            " DEMO (simulated account, nothing leaves this machine)"
        } else {
            ""
        };
        self.say("");
        self.say(&format!("[{number}/8] {title}{demo}"));
        self.current_step.set(number);
    }

    /// Asks until the answer passes `check`; Enter takes the default.
    fn ask<T>(
        &mut self,
        question: &str,
        default: Option<&str>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, Failure> {
        loop {
            let prompt = match default {
                Some(default) if !default.is_empty() => format!("{question} [{default}] "),
                _ => format!("{question} "),
            };
            if let Ok(mut out) = self.output.lock() {
                let _ = write!(out, "{}", crate::model::text::escape_controls(&prompt));
                let _ = out.flush();
            }
            let mut line = String::new();
            let read = self.input.read_line(&mut line).map_err(|e| Failure {
                code: exit::BAD_INPUT,
                message: e.to_string(),
            })?;
            if read == 0 {
                self.say("");
                return Err(Failure {
                    code: exit::BAD_INPUT,
                    message: format!(
                        "no answer to \"{question}\" (the input ended); nothing more was changed"
                    ),
                });
            }
            let answer = line.trim();
            if self.echo {
                self.say(answer);
            }
            // `?` explains the step and asks again.
            if answer == "?" {
                for idea in crate::model::steps::ideas(self.current_step.get()) {
                    self.say(&format!("  {idea}"));
                }
                continue;
            }
            let answer = if answer.is_empty() {
                default.unwrap_or("")
            } else {
                answer
            };
            match check(answer) {
                Ok(value) => return Ok(value),
                Err(reason) => self.say(&format!(
                    "That answer can't be used: {reason}. Please answer again."
                )),
            }
        }
    }

    fn yes_no(&mut self, question: &str, default: bool) -> Result<bool, Failure> {
        let hint = if default { "Y/n" } else { "y/N" };
        self.ask(&format!("{question}?"), Some(hint), |answer| {
            match answer.to_ascii_lowercase().as_str() {
                "y" | "yes" => Ok(true),
                "n" | "no" => Ok(false),
                "y/n" => Ok(default),
                _ => Err("answer y for yes or n for no".into()),
            }
        })
    }

    /// "keep" (the default, false) or the one other word (true).
    fn keep_or(&mut self, question: &str, other: &'static str) -> Result<bool, Failure> {
        self.ask(question, Some("keep"), move |answer| match answer {
            "keep" => Ok(false),
            _ if answer == other => Ok(true),
            _ => Err(format!("answer keep or {other}")),
        })
    }

    /// A numbered choice; the number, the name or a part only one name has is accepted.
    fn choose(
        &mut self,
        question: &str,
        choices: &[(String, String)],
        default: usize,
    ) -> Result<usize, Failure> {
        if choices.len() == 1 {
            self.say(&format!("{question}: {} (the only choice)", choices[0].0));
            return Ok(0);
        }
        for (index, (name, detail)) in choices.iter().enumerate() {
            self.say(&format!("  {}) {name}: {detail}", index + 1));
        }
        let names: Vec<String> = choices.iter().map(|(n, _)| n.clone()).collect();
        self.ask(
            &format!("{question}?"),
            Some(&(default + 1).to_string()),
            move |answer| crate::model::steps::pick(answer, &names),
        )
    }
}

/// The outcome's lines as plain mode says them (a transcript: values as they are).
pub fn outcome_lines(outcome: &crate::model::outcome::Outcome) -> Vec<String> {
    outcome
        .lines(&crate::model::outcome::value_text)
        .into_iter()
        .map(|line| line.text)
        .collect()
}

fn declined() -> Failure {
    Failure {
        code: exit::DECLINED,
        message: "nothing was changed".into(),
    }
}

fn not_connected() -> Failure {
    Failure {
        code: exit::CREDENTIALS,
        message: "not connected to AWS".into(),
    }
}

/// A refused answer as plain mode says it: fields by the names its questions use.
pub(super) fn said(invalid: crate::model::validate::Invalid) -> String {
    invalid.words(Naming::Labels)
}
