//! Fitting the comment under its size limit: sections are filled in order of importance and
//! whatever does not fit is dropped from the end, with a note that says how much.

use crate::report::Status;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What a section holds, for priorities and for the note on what was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Failed,
    Unknown,
    Waived,
    Network,
    Cost,
    Prerequisites,
    Passed,
}

impl Kind {
    fn finding_status(self) -> Option<Status> {
        match self {
            Kind::Failed => Some(Status::Fail),
            Kind::Unknown => Some(Status::Unknown),
            Kind::Waived => Some(Status::Waived),
            Kind::Passed => Some(Status::Pass),
            _ => None,
        }
    }
}

/// A section: a heading, items that can be dropped one by one from the end, a closing.
///
/// Items are made only when [`fit`] asks for them: a report with tens of thousands of
/// findings fills a 65 KB comment with a few hundred, and the rest need only be counted.
pub(super) struct Section<'a> {
    kind: Kind,
    head: String,
    /// How many items the section has.
    len: usize,
    /// The items, in order, made on demand.
    items: Box<dyn Iterator<Item = String> + 'a>,
    tail: String,
    /// The items that fit the budget (the first ones).
    kept: Vec<String>,
}

impl<'a> Section<'a> {
    pub(super) fn new(kind: Kind, head: String, items: Vec<String>, tail: &str) -> Section<'a> {
        Section::lazy(kind, head, items.len(), items.into_iter(), tail)
    }

    /// A section of `len` items, made by `items` when they are needed.
    pub(super) fn lazy(
        kind: Kind,
        head: String,
        len: usize,
        items: impl Iterator<Item = String> + 'a,
        tail: &str,
    ) -> Section<'a> {
        Section {
            kind,
            head,
            len,
            items: Box::new(items),
            tail: tail.to_string(),
            kept: Vec::new(),
        }
    }

    /// Append what fitted (nothing when the section was dropped whole).
    pub(super) fn write_to(&self, out: &mut String) {
        if self.head.is_empty() {
            return;
        }
        out.push_str(&self.head);
        for item in &self.kept {
            out.push_str(item);
        }
        out.push_str(&self.tail);
    }
}

/// Room kept for the closing note on what was left out.
pub(super) const NOTE_ROOM: usize = 600;

/// Fill sections by priority within `budget`; returns the note when something was left out.
pub(super) fn fit(sections: &mut [Section<'_>], budget: usize) -> Option<String> {
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| sections[i].kind);
    let mut used = 0;
    let mut included = vec![false; sections.len()];
    for &i in &order {
        let sec = &mut sections[i];
        let frame = sec.head.len() + sec.tail.len();
        if used + frame > budget {
            continue;
        }
        let mut size = frame;
        // Items fit from the first until one does not; the rest are never made.
        for item in sec.items.by_ref() {
            if used + size + item.len() > budget {
                break;
            }
            size += item.len();
            sec.kept.push(item);
        }
        // A heading with nothing under it says nothing: drop it, unless the section is empty.
        if !sec.kept.is_empty() || sec.len == 0 {
            used += size;
            included[i] = true;
        }
    }
    let mut findings: BTreeMap<Status, usize> = BTreeMap::new();
    let mut other = 0;
    for (i, sec) in sections.iter_mut().enumerate() {
        if !included[i] {
            sec.kept.clear();
        }
        let dropped = sec.len - sec.kept.len();
        match sec.kind.finding_status() {
            Some(st) if dropped > 0 => *findings.entry(st).or_default() += dropped,
            None => other += dropped,
            _ => {}
        }
        if !included[i] {
            sec.head.clear();
            sec.tail.clear();
        }
    }
    let total: usize = findings.values().sum();
    if total == 0 && other == 0 {
        return None;
    }
    let parts: Vec<String> = findings
        .iter()
        .map(|(st, n)| format!("{n} {}", st.as_str()))
        .collect();
    let mut note = format!(
        "\n---\n⚠️ This comment was shortened to stay under GitHub's comment size limit: {total} finding{} left out",
        if total == 1 { " was" } else { "s were" }
    );
    if !parts.is_empty() {
        let _ = write!(note, " ({})", parts.join(", "));
    }
    if other > 0 {
        let _ = write!(
            note,
            ", and {other} line{} of the cost, prerequisites or network sections",
            if other == 1 { "" } else { "s" }
        );
    }
    note.push_str(". The JSON or SARIF report has everything.\n");
    Some(note)
}
