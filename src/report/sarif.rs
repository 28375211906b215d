//! SARIF 2.1.0 for code scanning, by hand with serde structs (only the parts we fill).
//!
//! One SARIF rule per policy (help text from the remediation, `helpUri` from the docs link),
//! one result per fail / unknown / waived finding (passes are not results). `level` comes from
//! the severity: critical/high → `error`, medium → `warning`, low/info → `note`; an unknown is
//! at most a `warning`, since the policy could not decide. A waived finding carries an
//! accepted external `suppression` with the waiver's reason as justification.
//!
//! Every result has a logical location (the resource address, kind `resource`) and a physical
//! one: with a source map, the file and start line of the resource's block, which is what lets
//! GitHub annotate the pull request diff; without one (or when the block is not found), the
//! plan file with no region. GitHub code scanning rejects a whole upload when any result has
//! only a logical location, hence the fallback. `partialFingerprints` hold an FNV-1a
//! hash of rule and address: stable across runs and machines (std's hasher is randomized).

use super::{Finding, Report, RuleInfo, Severity, Status};
use crate::source_map::SourceMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

/// What SARIF needs beyond the report.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// Resource blocks in the `.tf` files (`--source-dir`), for physical locations.
    pub source_map: Option<&'a SourceMap>,
}

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Key of our fingerprint in `partialFingerprints`; bump the suffix if the hash input changes.
const FINGERPRINT_KEY: &str = "plangate/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool<'a>,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    /// GitHub shows this as the rule's severity.
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    status: &'static str,
    severity: &'static str,
    plan: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<EvidenceProp<'a>>,
}

/// Evidence without values that must not be shown.
#[derive(Serialize)]
struct EvidenceProp<'a> {
    path: &'a str,
    resource: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a crate::report::JsonText>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    unknown: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    redacted: bool,
}

/// SARIF level of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Level of a result: an unknown is no louder than a warning.
fn result_level(f: &Finding) -> &'static str {
    match (f.status, level(f.severity)) {
        (Status::Unknown, "error") => "warning",
        (_, l) => l,
    }
}

/// 64-bit FNV-1a: a stable hash (same input, same output, on every machine and run).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The fingerprint of a finding: rule and address, hex.
pub fn fingerprint(rule: &str, address: &str) -> String {
    let mut input = Vec::with_capacity(rule.len() + address.len() + 1);
    input.extend_from_slice(rule.as_bytes());
    input.push(0);
    input.extend_from_slice(address.as_bytes());
    format!("{:016x}", fnv1a64(&input))
}

/// A path as a URI reference: percent-encode what may not appear raw; absolute paths
/// become `file://` URIs.
fn path_uri(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    if path.starts_with('/') {
        s.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                s.push(b as char)
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

fn sarif_rule(r: &RuleInfo) -> Rule<'_> {
    let remediation = r.remediation.as_deref().unwrap_or(&r.title);
    // helpUri must be an absolute URI; a relative docs path goes into the help text instead.
    let uri = r
        .docs
        .as_deref()
        .filter(|d| d.starts_with("https://") || d.starts_with("http://"));
    let mut markdown = format!("**{}**\n\n{remediation}", r.title);
    match (&r.docs, uri) {
        (Some(_), Some(u)) => markdown.push_str(&format!("\n\n[Documentation]({u})")),
        (Some(d), None) => markdown.push_str(&format!("\n\nDocumentation: `{d}`")),
        _ => {}
    }
    let pack = r.id.split('.').next().unwrap_or(&r.id).to_string();
    Rule {
        id: &r.id,
        short_description: Text {
            text: r.title.clone(),
        },
        full_description: Text {
            text: format!("{} ({} severity)", r.title, r.severity.as_str()),
        },
        help: Help {
            text: remediation.to_string(),
            markdown,
        },
        help_uri: uri,
        default_configuration: Configuration {
            level: level(r.severity),
        },
        properties: RuleProperties {
            tags: vec![pack, r.severity.as_str().to_string()],
            problem_severity: match r.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low | Severity::Info => "recommendation",
            },
        },
    }
}

/// A result location: the resource's block when the source map finds it, else the plan file
/// (GitHub rejects a whole SARIF upload if any location lacks a physical one), plus the
/// resource address as a logical location.
fn location(address: &str, plan: &str, id: Option<usize>, map: Option<&SourceMap>) -> Location {
    let physical_location = match map.and_then(|m| m.locate(address)) {
        Some(l) => PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: path_uri(&l.file),
            },
            region: Some(Region {
                start_line: l.line.max(1),
            }),
        },
        None => PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: path_uri(plan),
            },
            region: None,
        },
    };
    let name = crate::graph::address::InstanceAddress::parse(address)
        .map(|a| a.name)
        .unwrap_or_else(|| address.to_string());
    Location {
        id,
        physical_location,
        logical_locations: vec![LogicalLocation {
            name,
            fully_qualified_name: address.to_string(),
            kind: "resource",
        }],
    }
}

fn result<'a>(f: &'a Finding, rule_index: usize, opts: Options<'_>) -> SarifResult<'a> {
    let mut text = match f.status {
        Status::Unknown => format!("could not decide: {}", f.message),
        _ => f.message.clone(),
    };
    if let Some(r) = &f.remediation {
        text.push_str(&format!(" Fix: {r}"));
    }
    let suppressions = f
        .waiver
        .iter()
        .filter(|_| f.status == Status::Waived)
        .map(|w| Suppression {
            kind: "external",
            status: "accepted",
            justification: match &w.owner {
                Some(o) => format!("{} (owner {o}, expires {})", w.reason, w.expires),
                None => format!("{} (expires {})", w.reason, w.expires),
            },
        })
        .collect();
    SarifResult {
        rule_id: &f.rule,
        rule_index,
        level: result_level(f),
        message: Text { text },
        locations: vec![location(&f.resource, &f.plan, None, opts.source_map)],
        related_locations: f
            .related
            .iter()
            .enumerate()
            .map(|(i, a)| location(a, &f.plan, Some(i + 1), opts.source_map))
            .collect(),
        partial_fingerprints: BTreeMap::from([(
            FINGERPRINT_KEY,
            fingerprint(&f.rule, &f.resource),
        )]),
        suppressions,
        properties: ResultProperties {
            status: f.status.as_str(),
            severity: f.severity.as_str(),
            plan: &f.plan,
            evidence: f
                .evidence
                .iter()
                .map(|e| EvidenceProp {
                    path: &e.path,
                    resource: &e.resource,
                    value: if e.redacted || e.unknown {
                        None
                    } else {
                        e.value.as_ref()
                    },
                    unknown: e.unknown,
                    redacted: e.redacted,
                })
                .collect(),
        },
    }
}

/// Write the report as one SARIF 2.1.0 log with one run.
pub fn render(report: &Report, opts: Options<'_>, w: &mut dyn Write) -> io::Result<()> {
    // Rules: the report's, then any rule a finding names that the report did not list.
    let mut rules: Vec<RuleInfo> = report.rules.clone();
    let mut index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    for f in &report.findings {
        if !index.contains_key(&*f.rule) {
            index.insert(&f.rule, rules.len());
            rules.push(RuleInfo {
                id: f.rule.to_string(),
                title: f.rule.to_string(),
                severity: f.severity,
                remediation: f.remediation.as_deref().map(str::to_string),
                docs: None,
            });
        }
    }
    let results = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Pass)
        .map(|f| result(f, index[&*f.rule], opts))
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "plangate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules.iter().map(sarif_rule).collect(),
                },
            },
            results,
        }],
    };
    // serde_json writes token by token: buffered here, those are copies rather than calls
    // through `dyn Write`.
    let mut w = io::BufWriter::with_capacity(64 * 1024, w);
    serde_json::to_writer_pretty(&mut w, &log)?;
    writeln!(w)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::{Status, WaiverRef};
    use super::*;
    use serde_json::Value;

    fn sarif(report: &Report, opts: Options<'_>) -> Value {
        let mut buf = Vec::new();
        render(report, opts, &mut buf).unwrap();
        serde_json::from_slice(&buf).unwrap()
    }

    #[test]
    fn one_rule_per_policy_and_no_results_for_passes() {
        let v = sarif(&sample(), Options::default());
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["id"], "cost.oversized-database-class");
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2, "fail + unknown, no pass");
        assert_eq!(results[0]["level"], "error");
        assert_eq!(results[0]["ruleIndex"], 0);
        assert_eq!(results[1]["level"], "warning", "unknown capped at warning");
        let loc = &results[0]["locations"][0];
        // Without a source map: the plan file, no region.
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "plan.json"
        );
        assert!(loc["physicalLocation"].get("region").is_none());
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            "aws_db_instance.main"
        );
        assert_eq!(loc["logicalLocations"][0]["kind"], "resource");
        assert_eq!(
            results[0]["message"]["text"],
            "aws_db_instance.main: cost.oversized-database-class Fix: use db.t4g.micro"
        );
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        // Known FNV-1a 64 vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fingerprint("r", "aws_vpc.a"), fingerprint("r", "aws_vpc.a"));
        assert_ne!(fingerprint("r", "aws_vpc.a"), fingerprint("r", "aws_vpc.b"));
        assert_ne!(fingerprint("ra", "b"), fingerprint("r", "ab"));
        let v = sarif(&sample(), Options::default());
        let fp = &v["runs"][0]["results"][0]["partialFingerprints"]["plangate/v1"];
        assert_eq!(
            fp.as_str().unwrap(),
            fingerprint("cost.oversized-database-class", "aws_db_instance.main")
        );
    }

    #[test]
    fn waived_findings_are_suppressed_with_justification() {
        let mut r = sample();
        r.findings[0].status = Status::Waived;
        r.findings[0].waiver = Some(Box::new(WaiverRef {
            reason: "legacy database, migrating in Q3".into(),
            owner: Some("dba".into()),
            expires: "2030-01-01".into(),
        }));
        let v = sarif(&r, Options::default());
        let s = &v["runs"][0]["results"][0]["suppressions"][0];
        assert_eq!(s["kind"], "external");
        assert_eq!(s["status"], "accepted");
        assert!(s["justification"]
            .as_str()
            .unwrap()
            .starts_with("legacy database"));
    }

    #[test]
    fn help_uri_only_for_absolute_links() {
        let mut r = sample();
        r.rules[0].docs = Some("https://example.com/rules/x".into());
        r.rules[1].docs = Some("policies/s3/passing-rule.md".into());
        let v = sarif(&r, Options::default());
        let rules = &v["runs"][0]["tool"]["driver"]["rules"];
        assert_eq!(rules[0]["helpUri"], "https://example.com/rules/x");
        assert!(rules[1].get("helpUri").is_none());
        assert!(rules[1]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("policies/s3/passing-rule.md"));
    }

    #[test]
    fn redacted_evidence_has_no_value() {
        let mut r = sample();
        // Even if a producer left a value on redacted evidence, SARIF must not print it.
        r.findings[1].evidence[0].value = Some(Value::from("hunter2").into());
        let mut buf = Vec::new();
        render(&r, Options::default(), &mut buf).unwrap();
        assert!(!String::from_utf8(buf).unwrap().contains("hunter2"));
    }

    #[test]
    fn uris_are_encoded() {
        assert_eq!(path_uri("infra/main.tf"), "infra/main.tf");
        assert_eq!(path_uri("my infra/a#b.tf"), "my%20infra/a%23b.tf");
        assert_eq!(path_uri("/abs/main.tf"), "file:///abs/main.tf");
    }
}
