//! The one integration-test binary (each extra binary links the AWS SDK again).
// Scenario tests read top to bottom, one story each: they may be long.
#![allow(clippy::too_many_lines)]

mod architecture;
mod audit;
mod aws_cli;
mod cli;
mod cloudformation_yaml;
mod day2;
mod e2e;
mod engine_fake;
mod faults;
mod moto;
mod outcome;
mod pickers;
mod plain;
mod properties;
mod rotation;
mod segment_api;
mod segment_catalog;
mod segment_choices;
mod segment_standin;
mod stack_sets;
mod starter;
mod support;
mod templates;
mod terraform;
mod trust_corpus;
mod wizard;
mod wizard_hands;
