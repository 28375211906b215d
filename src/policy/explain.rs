//! Words for findings: why a value is unknown ("`kms_key_id` is known only after apply; it
//! comes from `aws_kms_key.logs.arn`, created in this plan"), what an action means, how a
//! value is shown (redacted when Terraform marks it sensitive).

use super::ops::show;
use crate::graph::values::{render, Seg};
use crate::graph::{Action, Graph, NodeId, Provenance};
use serde_json::Value;

/// How the plan treats an instance, as a phrase: "created in this plan".
pub fn action_phrase(a: Action) -> &'static str {
    match a {
        Action::Create => "created in this plan",
        Action::Update => "updated in this plan",
        Action::Replace => "replaced in this plan",
        Action::Delete => "deleted by this plan",
        Action::Read => "read during apply",
        Action::NoOp => "not changed by this plan",
        Action::Forget => "forgotten by this plan",
    }
}

/// An attribute path as people write it: `route[0].cidr_block` (`the value` for the root).
pub fn attr(segs: &[Seg]) -> String {
    if segs.is_empty() {
        "the value".to_string()
    } else {
        // One string, written in place: a fact names an attribute or two, and findings
        // have many facts.
        let mut s = String::with_capacity(32);
        s.push('`');
        crate::graph::values::render_into(&mut s, segs);
        s.push('`');
        s
    }
}

/// Why the value at `segs` of `node` is unknown, and where it comes from when the graph knows.
pub fn unknown(graph: &Graph, node: NodeId, segs: &[Seg], of: &str) -> String {
    let a = render(segs);
    let mut s = format!("{}{of} is known only after apply", attr(segs));
    // An edge on the attribute itself, on a part of it, or on a block containing it.
    let related = |ea: &str| {
        a.is_empty()
            || ea == a
            || ea.starts_with(&format!("{a}."))
            || ea.starts_with(&format!("{a}["))
            || a.starts_with(&format!("{ea}."))
            || a.starts_with(&format!("{ea}["))
    };
    let sources: Vec<String> = graph
        .outgoing(node)
        .filter(|e| e.provenance != Provenance::DependsOn && related(&e.attribute))
        .take(3)
        .map(|e| {
            let target = graph.node(e.to);
            let reference = e
                .via
                .last()
                .cloned()
                .unwrap_or_else(|| target.address.clone());
            let place = if reference.starts_with(&target.address) {
                String::new()
            } else {
                format!(" (`{}`)", target.address)
            };
            let maybe = if e.ambiguous {
                " (one of several instances)"
            } else {
                ""
            };
            format!(
                "`{reference}`{place}{maybe}, {}",
                action_phrase(target.action)
            )
        })
        .collect();
    if !sources.is_empty() {
        s.push_str("; it comes from ");
        s.push_str(&sources.join(" and "));
        return s;
    }
    let unresolved: Vec<String> = graph
        .unresolved_of(node)
        .filter(|u| related(&u.attribute))
        .take(3)
        .map(|u| {
            if u.reason.contains(&u.reference) {
                u.reason.clone()
            } else {
                format!(
                    "its reference `{}` cannot be followed: {}",
                    u.reference, u.reason
                )
            }
        })
        .collect();
    if !unresolved.is_empty() {
        s.push_str("; ");
        s.push_str(&unresolved.join("; "));
    }
    s
}

/// A value as shown in a message, or `(sensitive)` when Terraform marks it (or anything
/// inside it) sensitive.
pub fn shown(v: &Value, sensitive: &Value, segs: &[Seg]) -> String {
    if crate::graph::values::sensitive_at(sensitive, segs) {
        "(sensitive)".to_string()
    } else {
        show(v)
    }
}
