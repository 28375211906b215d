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
pub(super) struct Section {
    kind: Kind,
    head: String,
    items: Vec<String>,
    tail: String,
    /// How many items fit the budget.
    kept: usize,
}

impl Section {
    pub(super) fn new(kind: Kind, head: String, items: Vec<String>, tail: &str) -> Section {
        Section {
            kind,
            head,
            items,
            tail: tail.to_string(),
            kept: 0,
        }
    }

    /// Append what fitted (nothing when the section was dropped whole).
    pub(super) fn write_to(&self, out: &mut String) {
        if self.head.is_empty() {
            return;
        }
        out.push_str(&self.head);
        for item in &self.items[..self.kept] {
            out.push_str(item);
        }
        out.push_str(&self.tail);
    }
}

/// Room kept for the closing note on what was left out.
pub(super) const NOTE_ROOM: usize = 600;

/// Fill sections by priority within `budget`; returns the note when something was left out.
pub(super) fn fit(sections: &mut [Section], budget: usize) -> Option<String> {
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
        for item in &sec.items {
            if used + size + item.len() > budget {
                break;
            }
            size += item.len();
            sec.kept += 1;
        }
        // A heading with nothing under it says nothing: drop it, unless the section is empty.
        if sec.kept > 0 || sec.items.is_empty() {
            used += size;
            included[i] = true;
        }
    }
    let mut findings: BTreeMap<Status, usize> = BTreeMap::new();
    let mut other = 0;
    for (i, sec) in sections.iter_mut().enumerate() {
        if !included[i] {
            sec.kept = 0;
        }
        let dropped = sec.items.len() - sec.kept;
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
