//! The pull-request comment: Markdown for GitHub (and GitLab) comments.
//!
//! It starts with a hidden marker (`<!-- plangate -->`) so a bot can find and update its own
//! comment; then a verdict line (✅ / ❌ from the gate), the counts, a summary table by pack,
//! the failed and unknown findings with their fix, waived findings, passes collapsed in a
//! `<details>`, and the extras the packs filled: the cost estimate, the prerequisites
//! inventory and Mermaid diagrams of the network around peering findings.
//!
//! GitHub refuses comments over 65,536 characters, so the comment stays under a budget
//! (65,000 bytes by default): sections are filled in order of importance (failed, unknown,
//! waived, network, cost, prerequisites, passes) and whatever does not fit is left out, with a
//! closing note saying how many findings and extra lines were dropped.
//!
//! Every value from a plan or a policy (addresses, messages, evidence) is escaped: it cannot
//! break a table (`|`), open HTML (`<`), start code (a backtick) or emphasis. Redacted values
//! are never printed.
//!
//! `budget.rs` fits the sections into the size limit; `extras.rs` renders the extras sections
//! and the Mermaid diagrams.

mod budget;
mod extras;

use extras::extras_sections;
pub use extras::{mermaid, mermaid_label};

use super::{Evidence, Finding, Report, Severity, Status};
use budget::{fit, Kind, Section, NOTE_ROOM};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The hidden first line a bot looks for to update its comment in place.
pub const MARKER: &str = "<!-- plangate -->";

/// GitHub's limit is 65,536 characters; a little room is left for the marker line of tools
/// that wrap the comment.
pub const DEFAULT_MAX_LEN: usize = 65_000;

/// Longest message, fix or waiver reason shown, in characters.
const MAX_TEXT: usize = 2_000;

/// Which findings block the change (`--fail-on`, `--fail-on-unknown`), for the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// Fail on findings at or above this severity; `None` is `--fail-on never`.
    pub fail_on: Option<Severity>,
    /// Unknown findings at or above `fail_on` block too.
    pub fail_on_unknown: bool,
}

impl Default for Gate {
    /// Any failed finding blocks; unknowns do not.
    fn default() -> Self {
        Gate {
            fail_on: Some(Severity::Info),
            fail_on_unknown: false,
        }
    }
}

impl Gate {
    /// True when this finding alone fails the gate: the CLI decides once (`Finding::blocking`,
    /// which also knows each policy's `on_unknown`); a report built without the CLI falls
    /// back to the thresholds.
    pub fn blocks(&self, f: &Finding) -> bool {
        if f.blocking {
            return true;
        }
        let severe = self.fail_on.is_some_and(|t| f.severity.at_least(t));
        match f.status {
            Status::Fail => severe,
            Status::Unknown => severe && self.fail_on_unknown,
            Status::Waived | Status::Pass => false,
        }
    }

    /// True when any finding of the report fails the gate (exit code 1).
    pub fn failed(&self, report: &Report) -> bool {
        report.findings.iter().any(|f| self.blocks(f))
    }

    fn describe(&self) -> String {
        match self.fail_on {
            None => "never fails".to_string(),
            Some(s) => format!(
                "fails on {} and above{}",
                s.as_str(),
                if self.fail_on_unknown {
                    ", unknown included"
                } else {
                    ""
                }
            ),
        }
    }
}

/// How the comment is written.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub gate: Gate,
    /// Upper bound on the comment's length in bytes (so also in characters).
    pub max_len: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            gate: Gate::default(),
            max_len: DEFAULT_MAX_LEN,
        }
    }
}

/// Escape text for Markdown and HTML: safe in a paragraph, a list item and a table cell.
/// Newlines become `<br>`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '\\' | '*' | '_' | '[' | ']' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A value in monospace: `<code>` with the content escaped (a Markdown code span could be
/// broken by a backtick or a pipe inside it).
pub fn code(s: &str) -> String {
    format!("<code>{}</code>", escape(s))
}

/// Cut a string to at most `max` characters, with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn pack(rule: &str) -> &str {
    rule.split('.').next().unwrap_or(rule)
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "🟥",
        Severity::High => "🔴",
        Severity::Medium => "🟠",
        Severity::Low => "🟡",
        Severity::Info => "🔵",
    }
}

/// A JSON value for people: strings without quotes, the rest as JSON; clipped.
pub(crate) fn show_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => clip(s, 120),
        v => clip(&v.to_string(), 120),
    }
}

fn evidence_text(e: &Evidence) -> String {
    let value = if e.redacted {
        "<em>(sensitive)</em>".to_string()
    } else if e.unknown {
        "<em>(known after apply)</em>".to_string()
    } else {
        e.value
            .as_ref()
            .map_or("<em>(absent)</em>".to_string(), |v| {
                code(&show_value(&v.value()))
            })
    };
    format!("{} {} = {value}", code(&e.resource), code(&e.path))
}

/// One failed / unknown finding: what, where, why, the fix.
fn finding_item(f: &Finding, several_plans: bool) -> String {
    let mut s = format!(
        "- {} **{}** {} on {}",
        icon(f.severity),
        f.severity.as_str(),
        code(&f.rule),
        code(&f.resource)
    );
    if several_plans {
        let _ = write!(s, " in {}", code(&f.plan));
    }
    // Clipped so one enormous message cannot push every other finding out of the comment.
    let _ = write!(s, "<br>\n  {}", escape(&clip(&f.message, MAX_TEXT)));
    if let Some(r) = &f.remediation {
        let _ = write!(s, "<br>\n  **Fix:** {}", escape(&clip(r, MAX_TEXT)));
    }
    for e in &f.evidence {
        let _ = write!(s, "<br>\n  Evidence: {}", evidence_text(e));
    }
    if !f.related.is_empty() {
        let mut related: Vec<String> = f.related.iter().take(20).map(|a| code(a)).collect();
        if f.related.len() > 20 {
            related.push(format!("and {} more", f.related.len() - 20));
        }
        let _ = write!(s, "<br>\n  Related: {}", related.join(", "));
    }
    s.push('\n');
    s
}

fn waived_item(f: &Finding) -> String {
    let why = f.waiver.as_ref().map_or(String::new(), |w| {
        let owner = w
            .owner
            .as_ref()
            .map_or(String::new(), |o| format!(", owner {}", escape(o)));
        format!(
            ": {} (until {}{owner})",
            escape(&clip(&w.reason, MAX_TEXT)),
            escape(&w.expires)
        )
    });
    format!(
        "- {} **{}** {} on {}{why}\n",
        icon(f.severity),
        f.severity.as_str(),
        code(&f.rule),
        code(&f.resource)
    )
}

fn header(report: &Report, opts: &Options) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{MARKER}");
    let blocking = report
        .findings
        .iter()
        .filter(|f| opts.gate.blocks(f))
        .count();
    if blocking > 0 {
        let _ = writeln!(
            s,
            "## ❌ plangate: {blocking} finding{} block{} this change",
            if blocking == 1 { "" } else { "s" },
            if blocking == 1 { "s" } else { "" }
        );
    } else {
        let _ = writeln!(s, "## ✅ plangate: no blocking findings");
    }
    let sum = &report.summary;
    let by_sev = sum.by_severity_text();
    let _ = writeln!(
        s,
        "\n**{} failed**{by_sev} · {} unknown · {} waived · {} passed — {} rules over {} resources; the gate {}.\n",
        sum.failed,
        sum.unknown,
        sum.waived,
        sum.passed,
        sum.rules,
        sum.resources,
        opts.gate.describe()
    );
    for p in &report.plans {
        let _ = writeln!(
            s,
            "- {}: Terraform {}, plan format {}, environment **{}** (from {})",
            code(&p.file),
            escape(p.terraform_version.as_deref().unwrap_or("unknown")),
            escape(&p.format_version),
            escape(&p.environment.name),
            escape(&p.environment.source)
        );
        for n in &p.notes {
            let _ = writeln!(s, "  - note: {}", escape(n));
        }
    }
    s.push('\n');
    s.push_str(&pack_table(report));
    s
}

fn pack_table(report: &Report) -> String {
    let mut packs: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for r in &report.rules {
        packs.entry(pack(&r.id)).or_default();
    }
    for f in &report.findings {
        let c = packs.entry(pack(&f.rule)).or_default();
        c[f.status as usize] += 1;
    }
    if packs.is_empty() {
        return "No rules ran.\n".to_string();
    }
    let mut s =
        String::from("| pack | failed | unknown | waived | passed |\n|:--|--:|--:|--:|--:|\n");
    for (p, [fail, unknown, waived, pass]) in packs {
        let _ = writeln!(
            s,
            "| {} | {fail} | {unknown} | {waived} | {pass} |",
            escape(p)
        );
    }
    s
}

fn finding_sections(report: &Report) -> Vec<Section<'_>> {
    let several = report.plans.len() > 1;
    let of = move |st: Status| report.findings.iter().filter(move |f| f.status == st);
    let count = |st: Status| of(st).count();
    let failed = of(Status::Fail).map(move |f| finding_item(f, several));
    let unknown = of(Status::Unknown).map(move |f| finding_item(f, several));
    let waived = of(Status::Waived).map(|f| waived_item(f));
    let passed = of(Status::Pass).map(move |f| {
        if several {
            format!(
                "| {} | {} | {} |\n",
                code(&f.rule),
                code(&f.resource),
                code(&f.plan)
            )
        } else {
            format!("| {} | {} |\n", code(&f.rule), code(&f.resource))
        }
    });
    let (n_failed, n_unknown, n_waived, n_passed) = (
        count(Status::Fail),
        count(Status::Unknown),
        count(Status::Waived),
        count(Status::Pass),
    );
    let mut out = Vec::new();
    if n_failed > 0 {
        let head = format!("\n### ❌ Failed ({n_failed})\n\n");
        out.push(Section::lazy(Kind::Failed, head, n_failed, failed, ""));
    }
    if n_unknown > 0 {
        let head = format!(
            "\n### ❔ Unknown ({n_unknown})\n\nThe policy could not decide from the plan (values known only after apply, references it could not follow).\n\n"
        );
        out.push(Section::lazy(Kind::Unknown, head, n_unknown, unknown, ""));
    }
    if n_waived > 0 {
        let head = format!("\n### 💤 Waived ({n_waived})\n\n");
        out.push(Section::lazy(Kind::Waived, head, n_waived, waived, ""));
    }
    if n_passed > 0 {
        let cols = if several {
            "| rule | resource | plan |\n|:--|:--|:--|\n"
        } else {
            "| rule | resource |\n|:--|:--|\n"
        };
        let head = format!("\n<details><summary>✅ Passed ({n_passed})</summary>\n\n{cols}");
        out.push(Section::lazy(
            Kind::Passed,
            head,
            n_passed,
            passed,
            "\n</details>\n",
        ));
    }
    out
}

/// Write the PR comment.
pub fn render(report: &Report, opts: Options, w: &mut dyn Write) -> io::Result<()> {
    let head = header(report, &opts);
    let mut sections = finding_sections(report);
    sections.extend(extras_sections(report));
    let budget = opts.max_len.saturating_sub(head.len() + NOTE_ROOM);
    let note = fit(&mut sections, budget);
    let mut out = head;
    for sec in &sections {
        sec.write_to(&mut out);
    }
    if let Some(n) = note {
        out.push_str(&n);
    }
    w.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::super::extras::{
        CostEstimate, CostLine, NetworkDiagram, Peering, Prerequisite, Route, RouteState,
        RouteTable, Vpc,
    };
    use super::super::tests::sample;
    use super::*;

    fn md(r: &Report, opts: Options) -> String {
        let mut buf = Vec::new();
        render(r, opts, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    pub(crate) fn diagram() -> NetworkDiagram {
        NetworkDiagram {
            title: "peering aws_vpc_peering_connection.ab".into(),
            plan: "plan.json".into(),
            rule: Some("network.peering-route-missing".into()),
            vpcs: vec![
                Vpc {
                    key: "aws_vpc.a".into(),
                    cidrs: vec!["10.0.0.0/16".into()],
                    external: false,
                },
                Vpc {
                    key: "vpc-0abc".into(),
                    cidrs: vec!["10.1.0.0/16".into()],
                    external: true,
                },
            ],
            peerings: vec![Peering {
                address: "aws_vpc_peering_connection.ab".into(),
                requester: "aws_vpc.a".into(),
                accepter: "vpc-0abc".into(),
            }],
            route_tables: vec![
                RouteTable {
                    address: "aws_route_table.a".into(),
                    vpc: "aws_vpc.a".into(),
                },
                RouteTable {
                    address: "module.b[\"x\"].aws_route_table.b".into(),
                    vpc: "vpc-0abc".into(),
                },
            ],
            routes: vec![
                Route {
                    route_table: "aws_route_table.a".into(),
                    destination: "10.1.0.0/16".into(),
                    peering: "aws_vpc_peering_connection.ab".into(),
                    state: RouteState::Present,
                },
                Route {
                    route_table: "module.b[\"x\"].aws_route_table.b".into(),
                    destination: "10.0.0.0/16".into(),
                    peering: "aws_vpc_peering_connection.ab".into(),
                    state: RouteState::Missing,
                },
            ],
        }
    }

    #[test]
    fn marker_verdict_summary_and_findings() {
        let s = md(&sample(), Options::default());
        assert!(
            s.starts_with("<!-- plangate -->\n## ❌ plangate: 1 finding blocks this change\n"),
            "{s}"
        );
        assert!(s.contains("| cost | 1 | 1 | 0 | 0 |"), "{s}");
        assert!(s.contains("| s3 | 0 | 0 | 0 | 1 |"), "{s}");
        assert!(s.contains("### ❌ Failed (1)"), "{s}");
        assert!(s.contains("**Fix:** use db.t4g.micro"), "{s}");
        assert!(s.contains("### ❔ Unknown (1)"), "{s}");
        assert!(
            s.contains("<details><summary>✅ Passed (1)</summary>"),
            "{s}"
        );
        assert!(s.contains("<em>(sensitive)</em>"), "{s}");
        assert!(!s.contains("Cost estimate"), "no extras, no sections: {s}");
    }

    #[test]
    fn verdict_follows_the_gate() {
        let opts = Options {
            gate: Gate {
                fail_on: Some(Severity::Critical),
                fail_on_unknown: true,
            },
            ..Options::default()
        };
        let s = md(&sample(), opts);
        assert!(s.contains("## ✅ plangate: no blocking findings"), "{s}");
        let never = Gate {
            fail_on: None,
            fail_on_unknown: true,
        };
        assert!(!never.failed(&sample()));
        let unknowns = Gate {
            fail_on: Some(Severity::High),
            fail_on_unknown: true,
        };
        assert_eq!(
            sample()
                .findings
                .iter()
                .filter(|f| unknowns.blocks(f))
                .count(),
            2
        );
    }

    #[test]
    fn escapes_values_that_would_break_markdown() {
        assert_eq!(
            escape("a|b<c>`d`*e*_f_[g](h)\nx"),
            "a&#124;b&lt;c&gt;&#96;d&#96;\\*e\\*\\_f\\_\\[g\\](h)<br>x"
        );
        let mut r = sample();
        r.findings[2].resource = "module.m[\"a|b\"].aws_s3_bucket.x`y`<script>".into();
        let s = md(&r, Options::default());
        let row = s
            .lines()
            .find(|l| l.contains("aws\\_s3\\_bucket.x"))
            .unwrap();
        assert_eq!(row.matches('|').count(), 3, "{row}");
        assert!(!s.contains("<script>"), "{s}");
    }

    #[test]
    fn extras_sections_render() {
        let mut r = sample();
        r.extras.cost_estimate = Some(CostEstimate {
            estimate: true,
            currency: "USD".into(),
            total_monthly_cost: 187.2,
            partial: false,
            price_source: "built-in AWS on-demand table, us-east-1".into(),
            price_date: "2025-01-15".into(),
            lines: vec![CostLine {
                resource: "aws_db_instance.main".into(),
                plan: "plan.json".into(),
                resource_type: "aws_db_instance".into(),
                description: "db.r6g.large, 730 h".into(),
                monthly_cost: Some(187.2),
                note: None,
            }],
            notes: vec!["storage not priced".into()],
        });
        r.extras.prerequisites = vec![Prerequisite {
            address: "data.aws_vpc.shared".into(),
            plan: "plan.json".into(),
            data_type: "aws_vpc".into(),
            classification: "network".into(),
            value: Some(serde_json::json!("vpc-0abc")),
            unknown: false,
            redacted: false,
            dependants: vec!["aws_subnet.a".into()],
            deferred: None,
        }];
        r.extras.network_diagrams = vec![diagram()];
        let s = md(&r, Options::default());
        assert!(s.contains("**Estimate:** 187.20 USD a month"), "{s}");
        assert!(s.contains("| <code>aws\\_db\\_instance.main</code> | <code>aws\\_db\\_instance</code> | db.r6g.large, 730 h | 187.20 |"), "{s}");
        assert!(s.contains("| <code>data.aws\\_vpc.shared</code> |"), "{s}");
        assert!(s.contains("```mermaid\nflowchart LR\n"), "{s}");
        assert!(s.contains("-.->|\"❌ missing 10.0.0.0/16\"|"), "{s}");
        assert!(
            s.contains("t3([\"module.b[#quot;x#quot;].aws_route_table.b\"])"),
            "{s}"
        );
        assert!(s.contains("linkStyle 5 stroke:#d73a49"), "{s}");
    }

    #[test]
    fn long_reports_are_truncated_with_a_note() {
        let r = sample();
        let mut findings = r.findings.clone();
        for i in 0..2000 {
            let mut f = r.findings[0].clone();
            f.resource = format!("aws_db_instance.db{i}").into();
            f.message = format!("aws_db_instance.db{i} uses db.r6g.large; test allows db.t4g.*");
            findings.push(f);
        }
        let r = Report::new(r.plans, r.rules, findings);
        let s = md(&r, Options::default());
        assert!(s.len() <= DEFAULT_MAX_LEN, "{}", s.len());
        assert!(
            s.len() > DEFAULT_MAX_LEN - 2000,
            "the budget is used: {}",
            s.len()
        );
        assert!(s.contains("This comment was shortened"), "{s}");
        // The note's count matches what is missing.
        let failed = s.split("### ❌ Failed").nth(1).unwrap();
        let failed = failed.split("\n---\n").next().unwrap();
        let shown = failed.lines().filter(|l| l.starts_with("- 🔴")).count();
        let note = s.split("findings were left out (").nth(1).unwrap();
        let failed_left: usize = note.split(" fail").next().unwrap().parse().unwrap();
        assert_eq!(shown + failed_left, 2001, "{note}");
        assert!(
            note.contains("1 unknown"),
            "unknowns come after failures: {note}"
        );
    }

    #[test]
    fn one_huge_message_does_not_crowd_out_the_rest() {
        let mut r = sample();
        r.findings[0].message = "x".repeat(200_000);
        let s = md(&r, Options::default());
        assert!(s.len() <= DEFAULT_MAX_LEN);
        assert!(s.contains("xxx…"), "clipped");
        assert!(s.contains("aws\\_db\\_instance.replica"), "{s}");
        assert!(!s.contains("shortened"), "{s}");
    }

    #[test]
    fn tiny_budget_keeps_the_header() {
        let s = md(
            &sample(),
            Options {
                max_len: 10,
                ..Options::default()
            },
        );
        assert!(s.starts_with(MARKER));
        assert!(s.contains("3 findings were left out"), "{s}");
    }
}
