//! Report: the one value every output format renders. Evaluation builds it; renderers (one
//! file per format) only read it. Findings are data: a violated policy is a finding, never an
//! error.

pub mod extras;
pub mod github;
pub mod graph;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod table;

use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// Text from the plan made safe for a terminal: control characters (an escape sequence in a
/// resource name or a value) are written as escapes, so they cannot drive the terminal.
/// Newlines, which renderers put in on purpose, are kept.
/// Borrowed when nothing needed escaping, which is nearly always.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    // Control characters are U+0000–U+001F and U+007F–U+009F (UTF-8 `C2 80`–`C2 9F`): text
    // without those bytes (nor any `C2`) needs no look at its characters.
    let suspect = |b: u8| (b < 0x20 && b != b'\n') | (b == 0x7f) | (b == 0xc2);
    if !any_byte(s, suspect) {
        return Cow::Borrowed(s);
    }
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() && c != '\n' {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// True when `test` holds for a byte of `s`.
/// Blocks of 16 bytes are tested without a branch per byte, which the compiler turns into
/// vector instructions (see [`find_byte`]).
pub(crate) fn any_byte(s: &str, test: impl Fn(u8) -> bool) -> bool {
    let mut blocks = s.as_bytes().chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |hit, &b| hit | test(b)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| test(b))
}

/// Index of the first byte at or after `from` for which `test` holds. Blocks of 16 bytes are
/// tested without a branch per byte, which the compiler turns into vector instructions:
/// renderers scan every cell and message this way, several times, and the bytes they look
/// for (controls, markup) are rare.
pub(crate) fn find_byte(
    bytes: &[u8],
    from: usize,
    test: impl Fn(u8) -> bool + Copy,
) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let mut blocks = rest.chunks_exact(16);
    for (n, block) in (&mut blocks).enumerate() {
        if block.iter().fold(false, |hit, &b| hit | test(b)) {
            return block
                .iter()
                .position(|&b| test(b))
                .map(|k| from + n * 16 + k);
        }
    }
    let done = rest.len() - blocks.remainder().len();
    blocks
        .remainder()
        .iter()
        .position(|&b| test(b))
        .map(|k| from + done + k)
}

/// Replace any PEM private key block in report text with `(redacted private key)`, whether or
/// not Terraform marked the value sensitive.
pub fn scrub_private_keys(text: &str) -> String {
    if !may_hold_pem(text) {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start..];
        let header_end = after
            .find("-----\n")
            .or_else(|| after[11..].find("-----").map(|i| i + 11));
        let is_private = header_end.is_some_and(|h| after[..h].contains("PRIVATE KEY"));
        if !is_private {
            out.push_str(&rest[..start + 11]);
            rest = &rest[start + 11..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str("(redacted private key)");
        // Through the matching END line, or to the end of the text when it is cut.
        match after.find("PRIVATE KEY-----").and_then(|first| {
            after[first + 16..]
                .find("PRIVATE KEY-----")
                .map(|i| first + 16 + i + 16)
        }) {
            Some(end) => rest = &after[end..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// False when `text` holds no PEM header, so [`scrub_private_keys`] would return it unchanged
/// (it only ever acts from a `-----BEGIN `). A cheap test for the common case.
fn may_hold_pem(text: &str) -> bool {
    text.contains("-----BEGIN ")
}

/// What marks a private key in PEM. An evidence value holds one when its JSON text
/// ([`JsonText`]) does: JSON escapes never produce or split these characters, so a string or
/// key anywhere in the value holds them exactly when the text does.
const PEM_MARKER: &str = "PRIVATE KEY-----";

/// Version of the JSON report contract (`docs/json-report.md`).
pub const SCHEMA_VERSION: &str = "1";

/// Severity of a policy, most severe first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// True when `self` is at least as severe as `threshold`.
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

/// The outcome of one (policy, resource) evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fail,
    Unknown,
    Waived,
    Pass,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Waived => "waived",
            Status::Pass => "pass",
        }
    }
}

/// A value a finding rests on, at a path of the resource. `value` is `None` when the value is
/// unknown until apply or redacted because Terraform marks it sensitive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// JSONPath (or attribute path) of the value, in the resource named by `resource`.
    pub path: String,
    /// The resource the value belongs to (the finding's own, or a related one). Shared with
    /// the graph's node ([`crate::graph::Graph::shared_address`]).
    pub resource: Arc<str>,
    /// The value, as its compact JSON text ([`JsonText`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<JsonText>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
}

/// A JSON value kept as its compact text (what `Value::to_string` writes), for evidence: every
/// report shows evidence values, but little reads into them (a message's `{value}`, the
/// Markdown report's clipped values parse them again). A map of four tags takes ~100
/// bytes as text and ~800 as a `Value` (a B-tree node and a string per key and per value):
/// kept as `Value`s, the evidence values of a ~10 MB plan's findings were ~1.2 MB, at the
/// check's peak. Serialised as the value itself (parsed again), so every report is as before.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonText(Box<str>);

impl JsonText {
    pub fn new(v: &Value) -> JsonText {
        JsonText(v.to_string().into_boxed_str())
    }

    /// The value, parsed again from its text.
    pub fn value(&self) -> Value {
        // The text is serde_json's own writing of a `Value`, which it always reads back; a
        // string of the text is a fallback that cannot be reached, rather than a panic.
        serde_json::from_str(&self.0).unwrap_or_else(|_| Value::String(self.0.to_string()))
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Value> for JsonText {
    fn from(v: Value) -> JsonText {
        JsonText::new(&v)
    }
}

impl std::fmt::Display for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JsonText({})", self.0)
    }
}

impl Serialize for JsonText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl Evidence {
    /// The value as every text format shows it: `(sensitive)`, `(known after apply)`,
    /// `(absent)`, or the JSON value.
    pub fn shown(&self) -> String {
        if self.redacted {
            "(sensitive)".to_string()
        } else if self.unknown {
            "(known after apply)".to_string()
        } else {
            self.value
                .as_ref()
                .map_or("(absent)".to_string(), |v| v.to_string())
        }
    }
}

/// The waiver that turned a fail into `waived`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaiverRef {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub expires: String,
}

/// One (policy, resource) result.
///
/// A large plan gives tens of thousands of findings, all kept until the report is written:
/// the text that is the same for every finding of a policy (its id, its remediation) and of
/// a plan (the file name) is shared, not copied into each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Policy id, `<pack>.<name>`.
    pub rule: Arc<str>,
    pub severity: Severity,
    pub status: Status,
    /// Full instance address (shared with the graph's node where there is one).
    pub resource: Arc<str>,
    /// The plan file the resource is in.
    pub plan: Arc<str>,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// Addresses of related resources (the route tables lacking a route, the dependants).
    pub related: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Arc<str>>,
    /// Boxed: few findings are waived, and the box is a pointer where the struct is three
    /// strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<WaiverRef>>,
    /// This finding fails the gate (`--fail-on`, `--fail-on-unknown`, the policy's
    /// `on_unknown`): set by the CLI once, so every format and the exit code agree.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocking: bool,
}

/// The order of findings in every report: status, severity, rule, plan, resource. The sort
/// is stable, so findings equal in all five keep the order they were produced in.
pub fn report_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    a.status
        .cmp(&b.status)
        .then(a.severity.cmp(&b.severity))
        .then_with(|| shared_order(&a.rule, &b.rule))
        .then_with(|| shared_order(&a.plan, &b.plan))
        .then_with(|| shared_order(&a.resource, &b.resource))
}

/// Two shared strings in order: the same text when they are one (a policy's findings share
/// its id, a plan's its name, an instance's its address), which most compared pairs are,
/// without reading it.
fn shared_order(a: &Arc<str>, b: &Arc<str>) -> std::cmp::Ordering {
    if Arc::ptr_eq(a, b) {
        std::cmp::Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// Sort findings (or boxed findings, as a report holds them) by [`report_order`], stably
/// (findings equal in it keep their order), without the scratch copy a stable sort makes (up
/// to half of the list): their positions are sorted, with the position as the last key, then
/// the findings swapped into place.
pub fn sort_in_report_order<F: std::borrow::Borrow<Finding>>(findings: &mut [F]) {
    let order_of = |a: &F, b: &F| report_order(a.borrow(), b.borrow());
    if findings.windows(2).all(|w| order_of(&w[0], &w[1]).is_le()) {
        return;
    }
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_unstable_by(|&a, &b| order_of(&findings[a], &findings[b]).then(a.cmp(&b)));
    // Position `i` takes the finding at `order[i]`: each cycle of the permutation is walked
    // once, carrying its first finding along by swaps.
    for start in 0..findings.len() {
        let mut at = start;
        while order[at] != start && order[at] != at {
            let from = order[at];
            findings.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

/// Where the environment name came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    /// The environment after aliases (`test`, `prod`, `default`, …).
    pub name: String,
    /// The name as found, before aliases (`pr-123`).
    pub raw: String,
    /// `--env`, `variable environment`, `tag Environment on aws_vpc.main`, `default`.
    pub source: String,
}

/// One plan that was checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanInfo {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_version: Option<String>,
    pub format_version: String,
    pub environment: Environment,
    /// Things that limited the analysis (no configuration section, unresolved references).
    pub notes: Vec<String>,
}

/// A policy that ran, for formats that list rules (SARIF, the table's legend).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

/// Counts shown by every format.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub rules: usize,
    pub resources: usize,
    pub failed: usize,
    pub failed_by_severity: std::collections::BTreeMap<String, usize>,
    pub unknown: usize,
    pub waived: usize,
    pub passed: usize,
}

impl Summary {
    /// ` (1 high, 2 medium)`, most severe first; empty when nothing failed.
    pub fn by_severity_text(&self) -> String {
        let parts: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|sev| {
                self.failed_by_severity
                    .get(sev.as_str())
                    .map(|n| format!("{n} {}", sev.as_str()))
            })
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

/// Everything one run found, over one or more plans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub plans: Vec<PlanInfo>,
    pub rules: Vec<RuleInfo>,
    /// Each finding in a box of its own, as evaluation made it
    /// ([`crate::policy::evaluate_boxed`]): the findings of several policies, and of several
    /// plans, are joined by moving pointers, never by copying the findings into a new list
    /// while the old ones are still held.
    pub findings: Vec<Box<Finding>>,
    pub summary: Summary,
    /// Cost estimate, prerequisites inventory, network diagrams (when their packs ran).
    #[serde(flatten)]
    pub extras: extras::Extras,
}

impl Report {
    /// Build a report, computing the summary from the findings.
    pub fn new(
        plans: Vec<PlanInfo>,
        rules: Vec<RuleInfo>,
        mut findings: Vec<Box<Finding>>,
    ) -> Report {
        // Redaction is enforced here, once, for every format: evidence marked sensitive or
        // unknown carries no value, whatever the producer put there.
        for f in findings.iter_mut() {
            if may_hold_pem(&f.message) {
                f.message = scrub_private_keys(&f.message);
            }
            for e in f.evidence.iter_mut() {
                let pem = e
                    .value
                    .as_ref()
                    .is_some_and(|v| v.as_str().contains(PEM_MARKER));
                if pem {
                    e.redacted = true;
                }
                if e.redacted || e.unknown {
                    e.value = None;
                }
            }
        }
        sort_in_report_order(&mut findings);
        let mut summary = Summary {
            rules: rules.len(),
            ..Summary::default()
        };
        // foldhash: SipHash over ~60,000 (plan, resource) pairs of a ~100 MB plan was a third
        // of this function; the strings are the plan's, not a peer's choosing collisions.
        let mut resources = foldhash::HashSet::default();
        // Failed findings by severity, in `Severity::ALL` order.
        let mut failed = [0usize; Severity::ALL.len()];
        for f in &findings {
            resources.insert((&f.plan, &f.resource));
            match f.status {
                Status::Fail => {
                    summary.failed += 1;
                    failed[f.severity as usize] += 1;
                }
                Status::Unknown => summary.unknown += 1,
                Status::Waived => summary.waived += 1,
                Status::Pass => summary.passed += 1,
            }
        }
        // Only severities that failed appear, as before.
        for (sev, n) in Severity::ALL.iter().zip(failed) {
            if n > 0 {
                summary
                    .failed_by_severity
                    .insert(sev.as_str().to_string(), n);
            }
        }
        summary.resources = resources.len();
        Report {
            schema_version: SCHEMA_VERSION,
            plans,
            rules,
            findings,
            summary,
            extras: extras::Extras::default(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// Evidence values kept as text read back as the same values, show as `Value`'s own
    /// text, and serialise (pretty or compact) exactly as the values did.
    #[test]
    fn json_text_is_its_value() {
        let values = [
            json!(null),
            json!(true),
            json!(-7),
            json!(18446744073709551615u64),
            json!(0.1),
            json!(1e300),
            // Read one bit off without serde_json's `float_roundtrip` (Cargo.toml).
            json!(903.7492642547358),
            json!("tab\t, quote \", newline \n, \u{1b}[31m, ünï ☃"),
            json!({"Name": "hub", "Environment": "test", "z": [1, {"a": null}], "": {}}),
            json!([[], [""], {"k": [0.5, -0.0]}]),
        ];
        for v in values {
            let t = JsonText::new(&v);
            assert_eq!(t.value(), v);
            assert_eq!(t.to_string(), v.to_string());
            assert_eq!(
                serde_json::to_string_pretty(&t).unwrap(),
                serde_json::to_string_pretty(&v).unwrap()
            );
            assert_eq!(serde_json::to_string(&t).unwrap(), v.to_string());
        }
    }

    /// The same order as a stable sort, equal findings in the order they came in, on lists
    /// with many ties, cycles of every length and runs already in order.
    #[test]
    fn findings_sort_as_a_stable_sort_does() {
        let statuses = [Status::Fail, Status::Unknown, Status::Pass];
        let severities = [Severity::Critical, Severity::High, Severity::Low];
        for n in [0, 1, 2, 3, 7, 64, 500] {
            let mut seed = 0x9e37_79b9_u64.wrapping_mul(n as u64 + 1);
            let mut next = |m: u64| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed % m
            };
            let findings: Vec<Finding> = (0..n)
                .map(|i| Finding {
                    rule: format!("pack.rule-{}", next(3)).into(),
                    severity: severities[next(3) as usize],
                    status: statuses[next(3) as usize],
                    resource: format!("aws_vpc.v{}", next(4)).into(),
                    plan: "plan.json".into(),
                    message: format!("#{i}"),
                    evidence: Vec::new(),
                    related: Vec::new(),
                    remediation: None,
                    waiver: None,
                    blocking: false,
                })
                .collect();
            let mut stable = findings.clone();
            stable.sort_by(report_order);
            let mut ours = findings.clone();
            sort_in_report_order(&mut ours);
            let messages = |f: &[Finding]| f.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
            assert_eq!(messages(&ours), messages(&stable), "{n} findings");
            sort_in_report_order(&mut ours);
            assert_eq!(
                messages(&ours),
                messages(&stable),
                "{n} findings, sorted again"
            );
        }
    }

    #[test]
    fn private_keys_are_scrubbed_from_text() {
        let t =
            "key is -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- here";
        assert_eq!(scrub_private_keys(t), "key is (redacted private key) here");
        assert_eq!(
            scrub_private_keys("-----BEGIN CERTIFICATE-----x"),
            "-----BEGIN CERTIFICATE-----x"
        );
        assert_eq!(
            scrub_private_keys("cut -----BEGIN PRIVATE KEY-----\nMII"),
            "cut (redacted private key)"
        );
    }

    /// A private key in a string or a key anywhere in an evidence value is found in its text;
    /// the marker split across values or by a newline is not a key.
    #[test]
    fn private_keys_are_found_in_the_written_value() {
        let values = [
            (json!("-----BEGIN RSA PRIVATE KEY-----\nMII"), true),
            (json!({"a": [1, {"k": "x PRIVATE KEY----- y"}]}), true),
            (json!({"PRIVATE KEY-----": 1}), true),
            (json!({"a": "PRIVATE KEY----", "b": "-"}), false),
            (json!(["PRIVATE\nKEY-----", null, true, 1.5]), false),
        ];
        for (v, holds) in values {
            let text = JsonText::new(&v);
            assert_eq!(text.as_str().contains(PEM_MARKER), holds, "{v}");
        }
    }

    #[test]
    fn any_byte_sees_every_position() {
        for len in 0..40 {
            let mut s = "a".repeat(len);
            assert!(!any_byte(&s, |b| b == b'x'));
            for i in 0..len {
                s.replace_range(i..i + 1, "x");
                assert!(any_byte(&s, |b| b == b'x'), "{len} {i}");
                s.replace_range(i..i + 1, "a");
            }
        }
    }

    #[test]
    fn find_byte_finds_the_first_from_where_asked() {
        let s = "ab\"cdefghijklmnopqrstuvwxyz\"0123456789abcdefghij\"";
        let naive = |from: usize| {
            s.bytes()
                .skip(from)
                .position(|b| b == b'"')
                .map(|k| k + from)
        };
        for from in 0..=s.len() + 1 {
            assert_eq!(
                find_byte(s.as_bytes(), from, |b| b == b'"'),
                naive(from),
                "{from}"
            );
        }
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(
            terminal_safe("aws_s3_bucket.x\u{1b}]0;pwned\u{7}\nnext"),
            "aws_s3_bucket.x\\u{1b}]0;pwned\\u{7}\nnext"
        );
        assert_eq!(terminal_safe("plain"), "plain");
    }

    /// A hand-made report for the renderers' unit tests.
    pub fn sample() -> Report {
        let env = Environment {
            name: "test".into(),
            raw: "test".into(),
            source: "variable environment".into(),
        };
        let finding = |rule: &str, status, resource: &str, evidence| {
            Box::new(Finding {
                rule: rule.into(),
                severity: Severity::High,
                status,
                resource: resource.into(),
                plan: "plan.json".into(),
                message: format!("{resource}: {rule}"),
                evidence,
                related: vec!["aws_db_subnet_group.main".into()],
                remediation: Some("use db.t4g.micro".into()),
                waiver: None,
                blocking: false,
            })
        };
        Report::new(
            vec![PlanInfo {
                file: "plan.json".into(),
                terraform_version: Some("1.9.5".into()),
                format_version: "1.2".into(),
                environment: env,
                notes: vec![],
            }],
            vec![
                RuleInfo {
                    id: "cost.oversized-database-class".into(),
                    title: "Database class too large".into(),
                    severity: Severity::High,
                    remediation: None,
                    docs: None,
                },
                RuleInfo {
                    id: "s3.passing-rule".into(),
                    title: "Passing".into(),
                    severity: Severity::High,
                    remediation: None,
                    docs: None,
                },
            ],
            vec![
                finding(
                    "cost.oversized-database-class",
                    Status::Fail,
                    "aws_db_instance.main",
                    vec![Evidence {
                        path: "$.instance_class".into(),
                        resource: "aws_db_instance.main".into(),
                        value: Some(json!("db.r6g.large").into()),
                        unknown: false,
                        redacted: false,
                    }],
                ),
                finding(
                    "cost.oversized-database-class",
                    Status::Unknown,
                    "aws_db_instance.replica",
                    vec![Evidence {
                        path: "$.password".into(),
                        resource: "aws_db_instance.replica".into(),
                        value: None,
                        unknown: false,
                        redacted: true,
                    }],
                ),
                finding("s3.passing-rule", Status::Pass, "aws_s3_bucket.a", vec![]),
            ],
        )
    }
}
