//! GitHub Actions workflow commands: one annotation per failed or unknown finding, e.g.
//! `::error file=main.tf,line=12,title=cost.x (high)::aws_db_instance.main: message`.
//!
//! Command per finding: a fail is `error` (critical, high), `warning` (medium) or `notice`
//! (low, info); an unknown is a `warning`. Waived findings and passes get no annotation
//! (GitHub shows only a handful per step, so they go to the findings that matter); a plain
//! summary line closes the output. `file` and `line` come from the source map when given
//! (`--source-dir`), else the annotation has no file and GitHub shows it on the run.
//!
//! Escaping follows the Actions toolkit: in the message `%`, `\r`, `\n` become `%25`, `%0D`,
//! `%0A`; in properties `:` and `,` too (`%3A`, `%2C`). So a message can never end the
//! command early or start another one on a new line.

use super::{Finding, Report, Severity, Status};
use crate::source_map::SourceMap;
use std::io::{self, Write};

/// What annotations need beyond the report.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// Resource blocks in the `.tf` files (`--source-dir`), for `file` and `line`.
    pub source_map: Option<&'a SourceMap>,
}

/// Escape a command's message (the part after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command for a finding, or `None` for passes and waived findings.
fn command(f: &Finding) -> Option<&'static str> {
    match f.status {
        Status::Pass | Status::Waived => None,
        Status::Unknown => Some("warning"),
        Status::Fail => Some(match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "notice",
        }),
    }
}

fn annotation(f: &Finding, cmd: &str, opts: Options<'_>, several_plans: bool) -> String {
    let mut props = Vec::new();
    if let Some(loc) = opts.source_map.and_then(|m| m.locate(&f.resource)) {
        props.push(format!("file={}", escape_property(&loc.file)));
        props.push(format!("line={}", loc.line));
    }
    let status = if f.status == Status::Unknown {
        "unknown, "
    } else {
        ""
    };
    props.push(format!(
        "title={}",
        escape_property(&format!("{} ({status}{})", f.rule, f.severity.as_str()))
    ));
    let resource = if several_plans {
        format!("{}: {}", f.plan, f.resource)
    } else {
        f.resource.to_string()
    };
    // Most messages name their resource already; say it once.
    let text = if f.message.contains(&*f.resource) && !several_plans {
        f.message.clone()
    } else {
        format!("{resource}: {}", f.message)
    };
    let mut message = match f.status {
        Status::Unknown => format!("could not decide: {text}"),
        _ => text,
    };
    if let Some(r) = &f.remediation {
        message.push_str(&format!("\nFix: {r}"));
    }
    format!("::{cmd} {}::{}", props.join(","), escape_data(&message))
}

pub fn render(report: &Report, opts: Options<'_>, w: &mut dyn Write) -> io::Result<()> {
    let several_plans = report.plans.len() > 1;
    for f in &report.findings {
        if let Some(cmd) = command(f) {
            writeln!(w, "{}", annotation(f, cmd, opts, several_plans))?;
        }
    }
    // A plain log line, not a command; escaped so it cannot become one.
    writeln!(
        w,
        "plangate: {}",
        escape_data(&super::table::summary_line(report))
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    fn github(r: &Report, opts: Options<'_>) -> String {
        let mut buf = Vec::new();
        render(r, opts, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn commands_by_severity_and_status() {
        let s = github(&sample(), Options::default());
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert_eq!(
            lines[0],
            "::error title=cost.oversized-database-class (high)::aws_db_instance.main: cost.oversized-database-class%0AFix: use db.t4g.micro"
        );
        assert!(lines[1].starts_with("::warning title=cost.oversized-database-class (unknown%2C high)::could not decide: aws_db_instance.replica:"), "{s}");
        assert!(lines[2].starts_with("plangate: 2 rules"), "{s}");
    }

    #[test]
    fn low_is_notice_medium_is_warning() {
        let mut r = sample();
        r.findings[0].severity = Severity::Low;
        assert!(github(&r, Options::default()).starts_with("::notice "));
        r.findings[0].severity = Severity::Medium;
        assert!(github(&r, Options::default()).starts_with("::warning "));
    }

    #[test]
    fn escapes_per_toolkit_rules() {
        assert_eq!(escape_data("100% a\r\nb:c,d"), "100%25 a%0D%0Ab:c,d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        let mut r = sample();
        r.findings[0].message = "x\n::add-mask::y\r\n::error::z".into();
        r.findings[0].rule = "a:b,c".into();
        let s = github(&r, Options::default());
        let first = s.lines().next().unwrap();
        assert!(first.starts_with("::error title=a%3Ab%2Cc (high)::"), "{s}");
        assert!(first.contains("x%0A::add-mask::y%0D%0A::error::z"), "{s}");
        assert!(!s.lines().any(|l| l.starts_with("::add-mask")), "{s}");
    }
}
