//! JUnit XML for CI test tabs: a `<testsuite>` per rule, a `<testcase>` per evaluated
//! resource (`classname` = rule id, `name` = address; with several plans the plan file is
//! added in parentheses so names stay unique).
//!
//! - fail → `<failure type="SEVERITY" message="…">` with the fix and evidence as text;
//! - unknown → `<error type="unknown" message="…">`: the check could not be completed, which
//!   is what JUnit's `error` means; this keeps `failures` equal to plangate's failed count,
//!   while CI systems still show the case as not passed;
//! - waived → `<skipped message="waived: REASON (until DATE)">`;
//! - pass → an empty `<testcase>`.
//!
//! Hand-written rather than `quick-junit`: the format is five elements and two escapes, and
//! one function here is easier to audit than a dependency. Text and attributes are escaped,
//! and characters XML 1.0 cannot hold at all (most C0 controls) become U+FFFD.

use super::{Evidence, Finding, Report, Status};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Escape for XML text and attribute values (quotes and newlines too, so attributes keep
/// them).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, s: Status) {
        self.tests += 1;
        match s {
            Status::Fail => self.failures += 1,
            Status::Unknown => self.errors += 1,
            Status::Waived => self.skipped += 1,
            Status::Pass => {}
        }
    }

    fn attrs(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

fn evidence_line(e: &Evidence) -> String {
    format!("{} {} = {}", e.resource, e.path, e.shown())
}

/// The body of a failure or error: fix, evidence, related resources.
fn details(f: &Finding) -> String {
    let mut lines = vec![f.message.clone()];
    if let Some(r) = &f.remediation {
        lines.push(format!("fix: {r}"));
    }
    lines.extend(f.evidence.iter().map(evidence_line));
    if !f.related.is_empty() {
        lines.push(format!("related: {}", f.related.join(", ")));
    }
    lines.join("\n")
}

fn testcase(f: &Finding, several_plans: bool, w: &mut dyn Write) -> io::Result<()> {
    let name = if several_plans {
        format!("{} ({})", f.resource, f.plan)
    } else {
        f.resource.clone()
    };
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape(&f.rule),
        escape(&name)
    );
    match f.status {
        Status::Pass => writeln!(w, "{open}/>"),
        Status::Fail | Status::Unknown => {
            let (tag, kind) = if f.status == Status::Fail {
                ("failure", f.severity.as_str())
            } else {
                ("error", "unknown")
            };
            writeln!(w, "{open}>")?;
            writeln!(
                w,
                "      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>",
                escape(&f.message),
                escape(&details(f))
            )?;
            writeln!(w, "    </testcase>")
        }
        Status::Waived => {
            let why = f.waiver.as_ref().map_or("waived".to_string(), |x| {
                format!("waived: {} (until {})", x.reason, x.expires)
            });
            writeln!(w, "{open}>")?;
            writeln!(w, "      <skipped message=\"{}\"/>", escape(&why))?;
            writeln!(w, "    </testcase>")
        }
    }
}

pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    // Suites in the report's rule order, then rules only findings name.
    let mut order: Vec<&str> = report.rules.iter().map(|r| r.id.as_str()).collect();
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if !by_rule.contains_key(f.rule.as_str()) && !order.contains(&f.rule.as_str()) {
            order.push(&f.rule);
        }
        by_rule.entry(&f.rule).or_default().push(f);
    }
    let mut total = Counts::default();
    for f in &report.findings {
        total.add(f.status);
    }
    let several_plans = report.plans.len() > 1;
    writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(w, "<testsuites name=\"plangate\" {}>", total.attrs())?;
    for rule in order {
        let findings = by_rule.get(rule).map(Vec::as_slice).unwrap_or(&[]);
        let mut counts = Counts::default();
        for f in findings {
            counts.add(f.status);
        }
        if findings.is_empty() {
            writeln!(
                w,
                "  <testsuite name=\"{}\" {}/>",
                escape(rule),
                counts.attrs()
            )?;
            continue;
        }
        writeln!(
            w,
            "  <testsuite name=\"{}\" {}>",
            escape(rule),
            counts.attrs()
        )?;
        for f in findings {
            testcase(f, several_plans, w)?;
        }
        writeln!(w, "  </testsuite>")?;
    }
    writeln!(w, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::WaiverRef;
    use super::*;

    fn junit(r: &Report) -> String {
        let mut buf = Vec::new();
        render(r, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn suites_per_rule_cases_per_resource() {
        let s = junit(&sample());
        assert!(
            s.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            "{s}"
        );
        assert!(s.contains("<testsuites name=\"plangate\" tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"0\">"), "{s}");
        assert!(s.contains("<testsuite name=\"cost.oversized-database-class\" tests=\"2\" failures=\"1\" errors=\"1\" skipped=\"0\">"), "{s}");
        assert!(s.contains("<testcase classname=\"cost.oversized-database-class\" name=\"aws_db_instance.main\">"), "{s}");
        assert!(s.contains("<failure type=\"high\" message=\"aws_db_instance.main: cost.oversized-database-class\">"), "{s}");
        assert!(s.contains("<error type=\"unknown\""), "{s}");
        assert!(
            s.contains("<testcase classname=\"s3.passing-rule\" name=\"aws_s3_bucket.a\"/>"),
            "{s}"
        );
        assert!(s.contains("fix: use db.t4g.micro"), "{s}");
        assert!(s.contains("(sensitive)"), "{s}");
    }

    #[test]
    fn waived_is_skipped() {
        let mut r = sample();
        r.findings[0].status = Status::Waived;
        r.findings[0].waiver = Some(WaiverRef {
            reason: "ok <for now>".into(),
            owner: None,
            expires: "2030-01-01".into(),
        });
        let s = junit(&r);
        assert!(
            s.contains("<skipped message=\"waived: ok &lt;for now&gt; (until 2030-01-01)\"/>"),
            "{s}"
        );
    }

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("a<b>&\"c\"'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;\u{FFFD}"
        );
        let mut r = sample();
        r.findings[0].resource = "module.m[\"<x>&y\"].aws_s3_bucket.b".into();
        r.findings[0].message = "]]> </failure><evil/>".into();
        let s = junit(&r);
        assert!(!s.contains("<evil/>"), "{s}");
        assert!(
            s.contains("name=\"module.m[&quot;&lt;x&gt;&amp;y&quot;].aws_s3_bucket.b\""),
            "{s}"
        );
    }
}
