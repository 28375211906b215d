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
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Escape for XML text and attribute values (quotes and newlines too, so attributes keep
/// them). Borrowed when nothing needs escaping; otherwise the text is copied in runs between
/// the characters that change.
pub fn escape(s: &str) -> Cow<'_, str> {
    // Every character that changes starts with one of these bytes (U+FFFE and U+FFFF with
    // 0xEF, like other characters that stay).
    // (`|`, not `||`: no branch, so blocks of bytes are tested at once.)
    let special = |b: u8| {
        (b < 0x20)
            | (b == b'&')
            | (b == b'<')
            | (b == b'>')
            | (b == b'"')
            | (b == b'\'')
            | (b == 0xef)
    };
    if !super::any_byte(s, special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut copied = 0;
    let mut from = 0;
    while let Some(i) = super::find_byte(s.as_bytes(), from, special) {
        from = i + 1;
        let (with, len) = match s.as_bytes()[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            b'\n' => ("&#10;", 1),
            b'\r' => ("&#13;", 1),
            b'\t' => ("&#9;", 1),
            // Characters XML 1.0 cannot hold.
            0xef if s[i..].starts_with('\u{FFFE}') || s[i..].starts_with('\u{FFFF}') => {
                ("\u{FFFD}", 3)
            }
            0xef => continue,
            _ => ("\u{FFFD}", 1),
        };
        out.push_str(&s[copied..i]);
        out.push_str(with);
        copied = i + len;
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
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

/// The body of a failure or error, escaped: message, fix, evidence, related resources, one
/// a line. Written piece by piece (escaping is character by character, so escaping the
/// pieces is escaping the whole).
fn write_details(f: &Finding, w: &mut impl Write) -> io::Result<()> {
    /// An escaped line break.
    const NL: &str = "&#10;";
    w.write_all(escape(&f.message).as_bytes())?;
    if let Some(r) = &f.remediation {
        write!(w, "{NL}fix: {}", escape(r))?;
    }
    for e in &f.evidence {
        write_evidence(e, w)?;
    }
    if let Some((first, rest)) = f.related.split_first() {
        write!(w, "{NL}related: {}", escape(first))?;
        for a in rest {
            write!(w, ", {}", escape(a))?;
        }
    }
    Ok(())
}

/// `RESOURCE PATH = VALUE` on a new line, escaped.
fn write_evidence(e: &Evidence, w: &mut impl Write) -> io::Result<()> {
    write!(
        w,
        "&#10;{} {} = {}",
        escape(&e.resource),
        escape(&e.path),
        escape(&e.shown())
    )
}

fn testcase(f: &Finding, several_plans: bool, w: &mut impl Write) -> io::Result<()> {
    write!(
        w,
        "    <testcase classname=\"{}\" name=\"{}",
        escape(&f.rule),
        escape(&f.resource)
    )?;
    if several_plans {
        write!(w, " ({})", escape(&f.plan))?;
    }
    w.write_all(b"\"")?;
    match f.status {
        Status::Pass => writeln!(w, "/>"),
        Status::Fail | Status::Unknown => {
            let (tag, kind) = if f.status == Status::Fail {
                ("failure", f.severity.as_str())
            } else {
                ("error", "unknown")
            };
            writeln!(w, ">")?;
            write!(
                w,
                "      <{tag} type=\"{kind}\" message=\"{}\">",
                escape(&f.message)
            )?;
            write_details(f, w)?;
            writeln!(w, "</{tag}>")?;
            writeln!(w, "    </testcase>")
        }
        Status::Waived => {
            let why = f.waiver.as_ref().map_or("waived".to_string(), |x| {
                format!("waived: {} (until {})", x.reason, x.expires)
            });
            writeln!(w, ">")?;
            writeln!(w, "      <skipped message=\"{}\"/>", escape(&why))?;
            writeln!(w, "    </testcase>")
        }
    }
}

pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    // Thousands of small writes: buffered here, they are copies rather than calls through
    // `dyn Write`.
    let mut w = io::BufWriter::with_capacity(64 * 1024, w);
    write_suites(report, &mut w)?;
    w.flush()
}

fn write_suites(report: &Report, w: &mut impl Write) -> io::Result<()> {
    // Suites in the report's rule order, then rules only findings name.
    let mut order: Vec<&str> = report.rules.iter().map(|r| r.id.as_str()).collect();
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if !by_rule.contains_key(&*f.rule) && !order.contains(&&*f.rule) {
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
        r.findings[0].waiver = Some(Box::new(WaiverRef {
            reason: "ok <for now>".into(),
            owner: None,
            expires: "2030-01-01".into(),
        }));
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
