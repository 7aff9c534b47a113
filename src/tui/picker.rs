//! The list under a field that can be picked from the account (buckets, functions, streams,
//! delivery streams, KMS keys): the field's text filters it, ↑↓ move, Enter takes a row, and
//! typing a value by hand always works. Used by the Permissions screen.

use super::app::{App, Listing};
use super::screens::{choice, dim, spinner};
use crate::picker::{self, ResourceKind};
use ratatui::prelude::*;

/// Rows of the list shown at once (the screen must still fit 80×24 with the policy below).
pub const ROWS: usize = 4;

/// The picker's rows for the field's text: what matches, or nothing while it loads or failed.
pub fn matches<'a>(
    app: &'a App,
    kind: ResourceKind,
    text: &str,
    list: bool,
) -> Vec<&'a picker::Resource> {
    match app.listing(kind) {
        Some(Listing::Ready(found)) => picker::matching(found, text, list),
        _ => Vec::new(),
    }
}

/// Enter on the field takes the highlighted row, unless what is typed is already whole (a
/// listed value, or a list input with nothing being filtered).
pub fn enter_takes(app: &App, kind: ResourceKind, text: &str, list: bool) -> Option<String> {
    let rows = matches(app, kind, text, list);
    let filter = picker::filter_text(text, list);
    let whole = if list {
        filter.is_empty() && !text.trim().is_empty()
    } else {
        rows.iter().any(|r| r.value == filter)
    };
    if whole {
        return None;
    }
    rows.get(app.pick_row.min(rows.len().saturating_sub(1)))
        .map(|r| r.value.clone())
}

/// Whether ↑↓ move in a list now, and whether another region can be listed.
pub fn offers(app: &App, kind: ResourceKind, text: &str, list: bool) -> (bool, bool) {
    let rows = !matches(app, kind, text, list).is_empty();
    let regions = kind.is_regional() && app.picker_regions(kind).len() > 1;
    (rows, regions)
}

/// The lines under the focused field.
pub fn view<'a>(app: &App, kind: ResourceKind, text: &str, list: bool) -> Vec<Line<'a>> {
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
            let rows = picker::matching(found, text, list);
            if rows.is_empty() {
                lines.push(Line::styled(
                    format!(
                        "  None of the {} {what}{place} match: Enter takes what you typed.",
                        found.len()
                    ),
                    dim(),
                ));
            } else {
                let selected = app.pick_row.min(rows.len() - 1);
                // The page holding the highlighted row.
                let first = selected / ROWS * ROWS;
                for (index, row) in rows.iter().enumerate().skip(first).take(ROWS) {
                    let mut line = choice(index == selected, row.describe());
                    line.spans.insert(0, Span::raw("  "));
                    lines.push(line);
                }
                lines.push(Line::styled(
                    format!(
                        "  {} of {} {what}{place} · type to filter",
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
