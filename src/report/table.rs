//! Table for terminals and CI logs: findings grouped by pack, then a summary line with the
//! environment and where it came from. Colour only when asked (a terminal without NO_COLOR).

use super::{Finding, Report, Severity, Status};
use std::collections::BTreeMap;
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

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn severity_cell(s: Severity, color: bool) -> String {
    let code = match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    paint(s.as_str(), code, color)
}

fn status_cell(s: Status, color: bool) -> String {
    let code = match s {
        Status::Fail => "1;31",
        Status::Unknown => "35",
        Status::Waived => "2",
        Status::Pass => "32",
    };
    paint(s.as_str(), code, color)
}

fn message_cell(f: &Finding, verbose: bool) -> String {
    let mut m = f.message.clone();
    if let Some(w) = &f.waiver {
        m.push_str(&format!("\nwaived: {} (until {})", w.reason, w.expires));
    }
    if verbose {
        for e in &f.evidence {
            m.push_str(&format!("\n  {} {} = {}", e.resource, e.path, e.shown()));
        }
        if !f.related.is_empty() {
            m.push_str(&format!("\n  related: {}", f.related.join(", ")));
        }
    }
    m
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
        let rows = findings.iter().map(|f| Row {
            status: status_cell(f.status, opts.color),
            severity: severity_cell(f.severity, opts.color),
            rule: super::terminal_safe(&f.rule),
            resource: super::terminal_safe(&if several_plans {
                format!("{}: {}", f.plan, f.resource)
            } else {
                f.resource.clone()
            }),
            message: super::terminal_safe(&message_cell(f, opts.verbose)),
        });
        // Long messages wrap at word boundaries so a CI log stays readable.
        let table = Table::new(rows)
            .with(Style::sharp())
            .with(Modify::new(Columns::new(4..5)).with(Width::wrap(MESSAGE_WIDTH).keep_words(true)))
            .to_string();
        writeln!(w, "{table}")?;
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
