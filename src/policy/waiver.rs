//! Waivers (`[[waiver]]` in `plangate.toml`): accept a failing (rule, resource) in an
//! environment until a date, with a reason. A waived finding keeps its place in every report
//! with status `waived` and the reason. An expired waiver stops waiving and says so; a waiver
//! that matched nothing is reported as stale, so exceptions do not outlive their cause.
//! A policy tagged `not-waivable` cannot be waived.

use super::Policy;
use crate::config::Waiver;
use crate::report::{Finding, Status, WaiverRef};
use globset::Glob;
use std::time::{SystemTime, UNIX_EPOCH};

/// The tag that makes a policy's findings impossible to waive.
pub const NOT_WAIVABLE: &str = "not-waivable";

/// Today as `YYYY-MM-DD` (UTC); `PLANGATE_TODAY` overrides it, for tests and reproducible runs.
pub fn today() -> String {
    if let Ok(t) = std::env::var("PLANGATE_TODAY") {
        return t;
    }
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    civil(days)
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn glob_match(pattern: &str, text: &str) -> bool {
    Glob::new(pattern).is_ok_and(|g| g.compile_matcher().is_match(text))
}

/// Does the waiver's `rule` (an id, a pack, or a glob) name this rule?
fn rule_matches(pattern: &str, rule: &str) -> bool {
    pattern == rule || rule.split('.').next() == Some(pattern) || glob_match(pattern, rule)
}

fn matches(w: &Waiver, f: &Finding, env: &str) -> bool {
    rule_matches(&w.rule, &f.rule)
        && w.resource
            .as_deref()
            .is_none_or(|r| glob_match(r, &f.resource))
        && (w.env.is_empty() || w.env.iter().any(|e| glob_match(e, env)))
}

/// Apply the waivers to one plan's findings; returns, per waiver, whether it matched a
/// failing finding, and notes (expired waivers, waivers refused by a policy).
pub fn apply<F: std::borrow::BorrowMut<Finding>>(
    findings: &mut [F],
    waivers: &[Waiver],
    policies: &[Policy],
    env: &str,
    today: &str,
) -> (Vec<bool>, Vec<String>) {
    let mut used = vec![false; waivers.len()];
    let mut notes = Vec::new();
    for f in findings
        .iter_mut()
        .map(|f| f.borrow_mut())
        .filter(|f| f.status == Status::Fail)
    {
        let Some((i, w)) = waivers.iter().enumerate().find(|(_, w)| matches(w, f, env)) else {
            continue;
        };
        used[i] = true;
        let waivable = policies
            .iter()
            .find(|p| *p.id == *f.rule)
            .is_none_or(|p| !p.tags.iter().any(|t| t == NOT_WAIVABLE));
        if !waivable {
            notes.push(format!(
                "waiver for {} on {} ignored: the rule is marked not-waivable",
                f.rule, f.resource
            ));
            continue;
        }
        // Dates are ISO `YYYY-MM-DD`, so text order is date order; the expiry day is included.
        if w.expires.as_str() < today {
            f.message.push_str(&format!(
                " (a waiver expired on {}: {})",
                w.expires, w.reason
            ));
            notes.push(format!(
                "waiver for {} on {} expired on {}; the finding fails again — renew or remove the waiver",
                f.rule, f.resource, w.expires
            ));
            continue;
        }
        f.status = Status::Waived;
        f.waiver = Some(Box::new(WaiverRef {
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w.expires.clone(),
        }));
    }
    (used, notes)
}

/// Notes for waivers that matched no failing finding in any plan of the run.
pub fn stale(waivers: &[Waiver], used: &[bool]) -> Vec<String> {
    waivers
        .iter()
        .zip(used)
        .filter(|(_, u)| !**u)
        .map(|(w, _)| {
            format!(
                "waiver for rule {}{} matched no failing finding; remove it if the cause is gone",
                w.rule,
                w.resource
                    .as_deref()
                    .map(|r| format!(" on {r}"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;

    fn finding(rule: &str, resource: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::High,
            status: Status::Fail,
            resource: resource.into(),
            plan: "p.json".into(),
            message: "m".into(),
            evidence: vec![],
            related: vec![],
            remediation: None,
            waiver: None,
            blocking: false,
        }
    }

    fn waiver(rule: &str, resource: Option<&str>, expires: &str) -> Waiver {
        Waiver {
            rule: rule.into(),
            resource: resource.map(str::to_string),
            reason: "load test until the migration".into(),
            expires: expires.into(),
            owner: Some("team-data".into()),
            env: vec![],
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_415), "2025-11-23");
        assert_eq!(civil(11_016), "2000-02-29");
    }

    #[test]
    fn a_waiver_waives_until_it_expires_and_stale_ones_are_named() {
        let ws = vec![
            waiver("cost", Some("aws_db_instance.*"), "2026-12-31"),
            waiver("destroy.*", None, "2026-01-01"),
            waiver("peering.missing-route", None, "2030-01-01"),
        ];
        let mut fs = vec![
            finding("cost.oversized-database-class", "aws_db_instance.main"),
            finding("destroy.bucket-force-destroy-in-prod", "aws_s3_bucket.logs"),
            finding(
                "cost.oversized-database-class",
                "aws_rds_cluster_instance.x",
            ),
        ];
        let (used, notes) = apply(&mut fs, &ws, &[], "test", "2026-11-23");
        assert_eq!(fs[0].status, Status::Waived);
        assert_eq!(
            fs[0].waiver.as_ref().unwrap().owner.as_deref(),
            Some("team-data")
        );
        assert_eq!(fs[1].status, Status::Fail, "expired");
        assert!(fs[1].message.contains("expired on 2026-01-01"));
        assert!(notes[0].contains("expired"));
        assert_eq!(fs[2].status, Status::Fail, "resource glob does not match");
        assert_eq!(used, vec![true, true, false]);
        assert_eq!(stale(&ws, &used).len(), 1);
    }
}
