//! The list under a field that can be picked from the account (buckets, functions, streams,
//! delivery streams, KMS keys): the field's text filters it, ↑↓ highlight a row and Enter takes
//! it. What the user types is never replaced without their say: Enter takes a row only once one
//! was highlighted with ↑↓, or when the typed text can't be a value itself (a filter such as
//! `logs` in an ARN field); a complete value typed by hand moves on as it is.

use super::screens::{choice, dim, spinner};
use super::state::{App, Listing};
use crate::model::catalog::Input;
use crate::model::picker::{self, ResourceKind};
use ratatui::prelude::*;

/// Rows of the list shown at once (the screen must still fit 80×24 with the policy below).
pub const ROWS: usize = 4;

/// The picker's rows for the field's text: what matches, or nothing while it loads or failed.
pub fn matches<'a>(app: &'a App, which: Input, text: &str) -> Vec<&'a picker::Resource> {
    match ResourceKind::of(which).and_then(|kind| app.listing(kind)) {
        Some(Listing::Ready(found)) => picker::matching(found, text, which.is_list()),
        _ => Vec::new(),
    }
}

/// The highlighted row, if any: the one moved to with ↑↓, else the first match when the typed
/// text is only a filter (not a value this field could take as it is).
pub fn highlighted(app: &App, which: Input, text: &str) -> Option<usize> {
    let rows = matches(app, which, text).len();
    if rows == 0 {
        return None;
    }
    if let Some(row) = app.permissions.pick_row {
        return Some(row.min(rows - 1));
    }
    let filter = picker::filter_text(text, which.is_list());
    (!filter.is_empty() && crate::model::validate::input_value(which, filter).is_err()).then_some(0)
}

/// What Enter takes from the list, if anything (else Enter does what it does without a list).
pub fn enter_takes(app: &App, which: Input, text: &str) -> Option<String> {
    let row = highlighted(app, which, text)?;
    matches(app, which, text).get(row).map(|r| r.value.clone())
}

/// Whether ↑↓ move in a list now, and whether another region can be listed.
pub fn offers(app: &App, which: Input, text: &str) -> (bool, bool) {
    let rows = !matches(app, which, text).is_empty();
    let regions = ResourceKind::of(which)
        .is_some_and(|kind| kind.is_regional() && app.picker_regions(kind).len() > 1);
    (rows, regions)
}

/// The lines under the focused field.
pub fn view<'a>(app: &App, which: Input, text: &str) -> Vec<Line<'a>> {
    let Some(kind) = ResourceKind::of(which) else {
        return Vec::new();
    };
    let region = app.listing_region(kind);
    let place = if kind.is_regional() {
        format!(" in {region}")
    } else {
        String::new()
    };
    let what = kind.plural();
    let mut lines = Vec::new();
    match app.listing(kind) {
        None => {}
        Some(Listing::Loading) => lines.push(Line::styled(
            format!("  {} listing {what}{place}… (type meanwhile)", spinner(app)),
            dim(),
        )),
        Some(Listing::Unavailable(why)) => lines.push(Line::from(format!("  ! {why}"))),
        Some(Listing::Ready(found)) if found.is_empty() => lines.push(Line::styled(
            format!("  No {what}{place} in this account: type it."),
            dim(),
        )),
        Some(Listing::Ready(found)) => {
            let rows = picker::matching(found, text, which.is_list());
            if rows.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "  None of the {} {what}{place} match: Enter takes what you typed.",
                        found.len()
                    ),
                    dim(),
                ));
            } else {
                let selected = highlighted(app, which, text);
                // The page holding the highlighted row.
                let first = selected.unwrap_or(0) / ROWS * ROWS;
                for (index, row) in rows.iter().enumerate().skip(first).take(ROWS) {
                    let mut line = choice(Some(index) == selected, row.describe());
                    line.spans.insert(0, Span::raw("  "));
                    lines.push(line);
                }
                lines.push(Line::styled(
                    format!(
                        "  {} of {} {what}{place} · type to filter, ↓ to pick",
                        rows.len(),
                        found.len()
                    ),
                    dim(),
                ));
            }
        }
    }
    lines
}
