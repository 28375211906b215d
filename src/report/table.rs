//! Table for terminals and CI logs: findings grouped by pack, then a summary line with the
//! environment and where it came from. Colour only when asked (a terminal without NO_COLOR).

use super::{Finding, Report, Severity, Status};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use tabled::settings::object::Columns;
use tabled::settings::{Modify, Style, Width};
use tabled::{Table, Tabled};

/// Widest message column, in characters.
const MESSAGE_WIDTH: usize = 90;

/// How the table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub color: bool,
    /// Also list passes and each finding's evidence.
    pub verbose: bool,
}

#[derive(Tabled)]
struct Row {
    status: String,
    severity: String,
    rule: String,
    resource: String,
    message: String,
}

/// `s` in the colour of `code` when asked; borrowed as it is otherwise.
fn paint<'a>(s: &'a str, code: &str, color: bool) -> Cow<'a, str> {
    if color {
        Cow::Owned(format!("\x1b[{code}m{s}\x1b[0m"))
    } else {
        Cow::Borrowed(s)
    }
}

fn severity_cell(s: Severity, color: bool) -> Cow<'static, str> {
    let code = match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    paint(s.as_str(), code, color)
}

fn status_cell(s: Status, color: bool) -> Cow<'static, str> {
    let code = match s {
        Status::Fail => "1;31",
        Status::Unknown => "35",
        Status::Waived => "2",
        Status::Pass => "32",
    };
    paint(s.as_str(), code, color)
}

/// The message with the waiver and, when verbose, the evidence; borrowed when there is
/// nothing to add (most findings).
fn message_cell(f: &Finding, verbose: bool) -> Cow<'_, str> {
    let adds = f.waiver.is_some() || (verbose && (!f.evidence.is_empty() || !f.related.is_empty()));
    if !adds {
        return Cow::Borrowed(&f.message);
    }
    let mut m = f.message.clone();
    if let Some(w) = &f.waiver {
        let _ = write!(m, "\nwaived: {} (until {})", w.reason, w.expires);
    }
    if verbose {
        for e in &f.evidence {
            let _ = write!(m, "\n  {} {} = {}", e.resource, e.path, e.shown());
        }
        if !f.related.is_empty() {
            let _ = write!(m, "\n  related: {}", f.related.join(", "));
        }
    }
    Cow::Owned(m)
}

/// [`super::terminal_safe`] of a cell that may already be owned, keeping it when it is safe.
fn safe(cell: Cow<'_, str>) -> Cow<'_, str> {
    match super::terminal_safe(&cell) {
        Cow::Borrowed(_) => cell,
        Cow::Owned(escaped) => Cow::Owned(escaped),
    }
}

/// The five cells of a finding's row: status, severity, rule, resource, message.
fn row(f: &Finding, opts: Options, several_plans: bool) -> [Cow<'_, str>; 5] {
    let resource = if several_plans {
        Cow::Owned(format!("{}: {}", f.plan, f.resource))
    } else {
        Cow::Borrowed(&*f.resource)
    };
    [
        status_cell(f.status, opts.color),
        severity_cell(f.severity, opts.color),
        super::terminal_safe(&f.rule),
        safe(resource),
        safe(message_cell(f, opts.verbose)),
    ]
}

fn tabled_table<S: AsRef<str>>(rows: &[[S; 5]]) -> String {
    let rows = rows.iter().map(|r| {
        let [status, severity, rule, resource, message] =
            r.each_ref().map(|c| c.as_ref().to_string());
        Row {
            status,
            severity,
            rule,
            resource,
            message,
        }
    });
    // Long messages wrap at word boundaries so a CI log stays readable.
    Table::new(rows)
        .with(Style::sharp())
        .with(Modify::new(Columns::new(4..5)).with(Width::wrap(MESSAGE_WIDTH).keep_words(true)))
        .to_string()
}

/// The table of one pack: the grid tabled draws with `Style::sharp()`, padding 1 and the
/// message column wrapped with `Width::wrap(MESSAGE_WIDTH).keep_words(true)`, written
/// directly, row by row, to `w` (no newline after the bottom line). Laying out thousands of
/// rows through tabled's generic grid cost as much as evaluating the policies, and keeping
/// the whole table as text before writing it cost memory; this writes the same characters
/// (the same width function, the same wrapping) from one pass that measures the columns and
/// one that draws. Only for uncoloured tables: colour codes take tabled's path.
/// Rows per task when the table is measured and drawn on every core.
const ROWS_PER_TASK: usize = 1024;

/// Rows drawn before they are written.
const DRAW_BATCH: usize = 8 * ROWS_PER_TASK;

fn plain_table<S: AsRef<str> + Sync>(rows: &[[S; 5]], w: &mut dyn Write) -> io::Result<()> {
    const HEADER: [&str; 5] = ["status", "severity", "rule", "resource", "message"];
    // Messages wider than the column, wrapped (few: most messages fit); on every core.
    let wrapped: Vec<Option<String>> = crate::par::map_ranges(rows.len(), ROWS_PER_TASK, |range| {
        rows[range]
            .iter()
            .map(|r| {
                let m = r[4].as_ref();
                (m.split('\n').any(|l| line_width(l) > MESSAGE_WIDTH))
                    .then(|| wrap_keeping_words(m, MESSAGE_WIDTH))
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let cells = |i: usize| -> [&str; 5] {
        let r = &rows[i];
        [
            r[0].as_ref(),
            r[1].as_ref(),
            r[2].as_ref(),
            r[3].as_ref(),
            wrapped[i].as_deref().unwrap_or(r[4].as_ref()),
        ]
    };
    /// Widest line of a cell.
    fn cell_width(text: &str) -> usize {
        text.split('\n').map(line_width).max().unwrap_or(0)
    }
    let mut widths = HEADER.map(cell_width);
    let chunk_widths = crate::par::map_ranges(rows.len(), ROWS_PER_TASK, |range| {
        let mut widths = [0usize; 5];
        for i in range {
            for (w, c) in widths.iter_mut().zip(cells(i)) {
                *w = (*w).max(cell_width(c));
            }
        }
        widths
    });
    for cw in chunk_widths {
        for (w, c) in widths.iter_mut().zip(cw) {
            *w = (*w).max(c);
        }
    }
    let widest = widths.iter().max().copied().unwrap_or(0) + 2;
    let spaces = " ".repeat(widest);
    let rule = |left: char, mid: char, right: char| -> String {
        let mut out = String::new();
        out.push(left);
        for (i, w) in widths.iter().enumerate() {
            if i > 0 {
                out.push(mid);
            }
            out.push_str(&"─".repeat(w + 2));
        }
        out.push(right);
        out
    };
    // One row's lines, reused from row to row and written at once.
    let mut out = rule('┌', '┬', '┐');
    let draw = |row: [&str; 5], out: &mut String| {
        let height = row.iter().map(|c| c.split('\n').count()).max().unwrap_or(1);
        let mut lines = row.map(|c| c.split('\n'));
        for _ in 0..height {
            out.push_str("\n│");
            for (c, w) in lines.iter_mut().zip(widths) {
                out.push(' ');
                let used = match c.next() {
                    Some(text) => {
                        out.push_str(text);
                        line_width(text)
                    }
                    None => 0,
                };
                out.push_str(&spaces[..w - used + 1]);
                out.push('│');
            }
        }
    };
    draw(HEADER, &mut out);
    out.push('\n');
    out.push_str(&rule('├', '┼', '┤'));
    w.write_all(out.as_bytes())?;
    // The rows drawn on every core, a batch at a time (the text of a batch, not of the whole
    // table, is held before it is written), and written in order.
    for batch in (0..rows.len()).step_by(DRAW_BATCH) {
        let end = (batch + DRAW_BATCH).min(rows.len());
        let drawn = crate::par::map_ranges(end - batch, ROWS_PER_TASK, |range| {
            let mut text = String::new();
            for i in range {
                draw(cells(batch + i), &mut text);
            }
            text
        });
        for text in drawn {
            w.write_all(text.as_bytes())?;
        }
    }
    out.clear();
    out.push('\n');
    out.push_str(&rule('└', '┴', '┘'));
    w.write_all(out.as_bytes())
}

/// True when every byte of `s` is printable ASCII (one column a byte, no newline).
fn printable_ascii(s: &str) -> bool {
    !super::any_byte(s, |b| !(0x20..0x7f).contains(&b))
}

/// The width tabled gives a line (`get_line_width`); printable ASCII is one column a byte.
fn line_width(l: &str) -> usize {
    if printable_ascii(l) {
        l.len()
    } else {
        tabled::grid::util::string::get_line_width(l)
    }
}

/// tabled's `Width::wrap(width).keep_words(true)` on text without colour codes
/// (`wrap_text_keeping_words_noansi` in tabled 0.20, step for step), with the ASCII widths
/// of [`line_width`].
fn wrap_keeping_words(text: &str, width: usize) -> String {
    use tabled::grid::util::string::get_char_width;
    const REPLACEMENT: char = '\u{FFFD}';
    if width == 0 || text.is_empty() {
        return String::new();
    }
    if printable_ascii(text) {
        return wrap_ascii(text, width);
    }
    let mut buf = String::with_capacity(text.len() + text.len() / width + 1);
    let mut line_width = 0;
    for (i, word) in text.split(' ').enumerate() {
        // Restore the space.
        if i > 0 {
            if line_width < width {
                buf.push(' ');
            } else {
                buf.push_str("\n ");
                line_width = 0;
            }
            line_width += 1;
        }
        let word_width = string_width(word);
        if line_width + word_width <= width {
            buf.push_str(word);
            line_width += word_width;
            continue;
        }
        if word_width <= width {
            buf.push('\n');
            buf.push_str(word);
            line_width = word_width;
            continue;
        }
        for c in word.chars() {
            let char_width = get_char_width(c).max(1);
            if line_width + char_width > width {
                if char_width > width {
                    if line_width == width {
                        buf.push('\n');
                        line_width = 0;
                    }
                    buf.extend(std::iter::repeat_n(REPLACEMENT, width - line_width));
                    line_width = width;
                    continue;
                }
                buf.push('\n');
                line_width = 0;
            }
            buf.push(c);
            line_width += char_width;
        }
    }
    buf
}

/// [`wrap_keeping_words`] for printable ASCII text (`width` > 0): the same steps, where a
/// word's width is its length and each character is one column wide (so none is wider than
/// the line). The output is the text with line breaks put in, so it is copied in runs
/// between the breaks rather than word by word.
fn wrap_ascii(text: &str, width: usize) -> String {
    let mut buf = String::with_capacity(text.len() + text.len() / width + 1);
    // `text[..copied]` is in `buf`; `start` is where the current word begins.
    let mut copied = 0;
    let mut start = 0;
    let mut line_width = 0;
    for (i, word) in text.split(' ').enumerate() {
        let at = start;
        start += word.len() + 1;
        if i > 0 {
            // The space before the word stays, or becomes a new line starting with it.
            if line_width >= width {
                buf.push_str(&text[copied..at - 1]);
                buf.push_str("\n ");
                copied = at;
                line_width = 0;
            }
            line_width += 1;
        }
        if line_width + word.len() <= width {
            line_width += word.len();
            continue;
        }
        if word.len() <= width {
            buf.push_str(&text[copied..at]);
            buf.push('\n');
            copied = at;
            line_width = word.len();
            continue;
        }
        for k in 0..word.len() {
            if line_width + 1 > width {
                buf.push_str(&text[copied..at + k]);
                buf.push('\n');
                copied = at + k;
                line_width = 0;
            }
            line_width += 1;
        }
    }
    buf.push_str(&text[copied..]);
    buf
}

/// tabled's `get_string_width` (the whole string, newlines included), ASCII fast.
fn string_width(s: &str) -> usize {
    if printable_ascii(s) {
        s.len()
    } else {
        tabled::grid::util::string::get_string_width(s)
    }
}

pub fn render(report: &Report, opts: Options, w: &mut dyn Write) -> io::Result<()> {
    for p in &report.plans {
        let head = format!(
            "plangate: {} (terraform {}) — environment {} ({})",
            p.file,
            p.terraform_version.as_deref().unwrap_or("unknown"),
            p.environment.name,
            p.environment.source
        );
        writeln!(w, "{}", super::terminal_safe(&head))?;
        for n in &p.notes {
            writeln!(w, "  note: {}", super::terminal_safe(n))?;
        }
    }
    let mut by_pack: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if f.status == Status::Pass && !opts.verbose {
            continue;
        }
        let pack = f.rule.split('.').next().unwrap_or(&f.rule);
        by_pack.entry(pack).or_default().push(f);
    }
    let several_plans = report.plans.len() > 1;
    for (pack, findings) in &by_pack {
        writeln!(w)?;
        writeln!(w, "{}", paint(pack, "1", opts.color))?;
        let rows: Vec<[Cow<'_, str>; 5]> = findings
            .iter()
            .map(|f| row(f, opts, several_plans))
            .collect();
        if opts.color {
            w.write_all(tabled_table(&rows).as_bytes())?;
        } else {
            plain_table(&rows, w)?;
        }
        writeln!(w)?;
    }
    if by_pack.is_empty() {
        writeln!(w)?;
        writeln!(w, "no findings")?;
    }
    writeln!(w)?;
    writeln!(w, "{}", summary_line(report))
}

/// `12 rules, 8 resources: 2 failed (1 high, 1 medium), 1 unknown, 0 waived, 20 passed`
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let by_sev = s.by_severity_text();
    format!(
        "{} rules, {} resources: {} failed{by_sev}, {} unknown, {} waived, {} passed",
        s.rules, s.resources, s.failed, s.unknown, s.waived, s.passed
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn table_groups_by_pack_and_hides_passes() {
        let mut buf = Vec::new();
        render(&sample(), Options::default(), &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(s.contains("environment test (variable environment)"), "{s}");
        assert!(s.contains("\ncost\n"), "{s}");
        assert!(s.contains("aws_db_instance.main"), "{s}");
        assert!(!s.contains("\x1b["), "no colour unless asked: {s}");
        assert!(!s.contains("s3.passing-rule"), "passes hidden: {s}");
        assert!(
            s.ends_with("2 rules, 3 resources: 1 failed (1 high), 1 unknown, 0 waived, 1 passed\n"),
            "{s}"
        );
    }

    #[test]
    fn plain_table_draws_what_tabled_draws() {
        let long = "word ".repeat(40);
        let xs = "x".repeat(200);
        let cases: Vec<[&str; 5]> = vec![
            ["fail", "high", "s3.rule", "aws_s3_bucket.a", ""],
            ["unknown", "low", "x", "module.m[\"k\"].r", &long],
            [
                "pass",
                "info",
                "r",
                "a",
                "line one\n  evidence = 1\nwaived: x (until y)",
            ],
            [
                "fail",
                "medium",
                "r",
                "日本語のリソース",
                "幅の広い文字 ü é 🙂 over several words",
            ],
            ["fail", "high", "r", "a", &xs],
            ["fail", "high", "r", "a", "trailing newline\n"],
        ];
        let long_words = format!("{} {} end", "y".repeat(95), "z".repeat(89));
        let mut rows: Vec<[String; 5]> = cases.iter().map(|c| c.map(str::to_string)).collect();
        rows.push(["fail", "high", "r", "a", long_words.as_str()].map(str::to_string));
        for n in 1..=rows.len() {
            let some = &rows[..n];
            let mut drawn = Vec::new();
            plain_table(some, &mut drawn).unwrap();
            assert_eq!(String::from_utf8(drawn).unwrap(), tabled_table(some));
        }
    }

    #[test]
    fn wrapping_matches_tabled() {
        let texts = [
            String::new(),
            "a".into(),
            "word ".repeat(40),
            " leading and  double  spaces ".repeat(9),
            format!("{} {} end", "y".repeat(95), "z".repeat(89)),
            "幅の広い文字 ü é 🙂 over several words ".repeat(8),
            "🙂".repeat(60),
            "line one\n  evidence = 1 ".repeat(20),
            " ".into(),
            "   ".into(),
            "ab cd ef gh ".repeat(3),
            "x ".repeat(50),
            "abcd  efgh    ijklmnop q".into(),
        ];
        for t in &texts {
            for width in [1, 2, 3, 4, 5, 90] {
                assert_eq!(
                    wrap_keeping_words(t, width),
                    tabled::settings::width::Wrap::wrap(t, width, true),
                    "{t:?} at {width}"
                );
            }
        }
    }

    #[test]
    fn verbose_table_shows_evidence_redacted() {
        let mut buf = Vec::new();
        render(
            &sample(),
            Options {
                color: true,
                verbose: true,
            },
            &mut buf,
        )
        .unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(s.contains("(sensitive)"), "{s}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("\x1b["), "{s}");
    }
}
