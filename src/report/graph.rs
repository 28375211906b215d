//! Renderers of the resolved graph for `plangate graph`: DOT, Mermaid, JSON and a summary.

use crate::graph::{Action, Graph};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// DOT: one line per node, then one line per edge, `"FROM" -> "TO" [label="ATTRIBUTE"]`.
pub fn dot(g: &Graph, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "digraph plan {{")?;
    writeln!(w, "  rankdir=LR;")?;
    writeln!(w, "  node [shape=box];")?;
    for n in &g.nodes {
        if n.deposed.is_some() {
            continue;
        }
        writeln!(
            w,
            "  {} [tooltip={}];",
            quote(&n.address),
            quote(n.action.as_str())
        )?;
    }
    for e in g.edges() {
        writeln!(
            w,
            "  {} -> {} [label={}]",
            quote(&g.node(e.from).address),
            quote(&g.node(e.to).address),
            quote(&e.attribute)
        )?;
    }
    writeln!(w, "}}")
}

/// A DOT string literal: quotes and backslashes escaped.
fn quote(s: &str) -> String {
    let s = super::terminal_safe(s);
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Mermaid flowchart; node ids are positional, labels are addresses.
pub fn mermaid(g: &Graph, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "flowchart LR")?;
    for (i, n) in g.nodes.iter().enumerate() {
        if n.deposed.is_some() {
            continue;
        }
        writeln!(w, "  n{i}[\"{}\"]", mermaid_text(&n.address))?;
    }
    for e in g.edges() {
        writeln!(
            w,
            "  n{} -->|\"{}\"| n{}",
            e.from,
            mermaid_text(&e.attribute),
            e.to
        )?;
    }
    Ok(())
}

/// Mermaid labels cannot hold a raw `"`; `#quot;` is its escape.
pub fn mermaid_text(s: &str) -> String {
    super::terminal_safe(s).replace('"', "#quot;")
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    kind: crate::graph::SourceKind,
    format_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    terraform_version: Option<&'a str>,
    errored: bool,
    nodes: Vec<JsonNode<'a>>,
    edges: Vec<JsonEdge<'a>>,
    unresolved: Vec<JsonUnresolved<'a>>,
}

#[derive(Serialize)]
struct JsonNode<'a> {
    address: &'a str,
    mode: &'a str,
    #[serde(rename = "type")]
    type_: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    module: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<serde_json::Value>,
    provider: &'a str,
    action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    deposed: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    from: &'a str,
    to: &'a str,
    attribute: &'a str,
    provenance: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    ambiguous: bool,
    via: &'a [String],
}

#[derive(Serialize)]
struct JsonUnresolved<'a> {
    from: &'a str,
    attribute: &'a str,
    reference: &'a str,
    reason: &'a str,
}

/// JSON: `nodes`, `edges` (`from`, `to`, `attribute`, `provenance`) and `unresolved`.
pub fn json(g: &Graph, w: &mut dyn Write) -> io::Result<()> {
    let addr = |id: usize| g.node(id).address.as_str();
    let doc = JsonGraph {
        kind: g.meta.kind,
        format_version: &g.meta.format_version,
        terraform_version: g.meta.terraform_version.as_deref(),
        errored: g.meta.errored,
        nodes: g
            .nodes
            .iter()
            .map(|n| JsonNode {
                address: &n.address,
                mode: n.mode.as_str(),
                type_: &n.type_,
                name: &n.name,
                module: &n.module,
                index: n.index.as_ref().map(|i| match i {
                    crate::graph::Index::Num(x) => serde_json::Value::from(*x),
                    crate::graph::Index::Key(k) => serde_json::Value::from(k.as_str()),
                }),
                provider: &n.provider,
                action: n.action,
                deposed: n.deposed.as_deref(),
            })
            .collect(),
        edges: g
            .edges()
            .iter()
            .map(|e| JsonEdge {
                from: addr(e.from),
                to: addr(e.to),
                attribute: &e.attribute,
                provenance: e.provenance.as_str(),
                ambiguous: e.ambiguous,
                via: &e.via,
            })
            .collect(),
        unresolved: g
            .unresolved()
            .iter()
            .map(|u| JsonUnresolved {
                from: addr(u.from),
                attribute: &u.attribute,
                reference: &u.reference,
                reason: &u.reason,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// Counts for people: resources by action, edges by provenance, unresolved references.
pub fn summary(file: &str, g: &Graph, w: &mut dyn Write) -> io::Result<()> {
    let kind = match g.meta.kind {
        crate::graph::SourceKind::Plan => "plan",
        crate::graph::SourceKind::State => "state",
    };
    let version = g.meta.terraform_version.as_deref().unwrap_or("unknown");
    writeln!(
        w,
        "{file}: {kind} (format {}, terraform {version})",
        g.meta.format_version
    )?;
    if g.meta.errored {
        writeln!(
            w,
            "  errored: Terraform stopped planning on an error; this plan is incomplete"
        )?;
    }
    for l in g.limitations() {
        writeln!(w, "  limited: {l}")?;
    }
    let mut by_action: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &g.nodes {
        *by_action.entry(n.action.as_str()).or_default() += 1;
    }
    let actions: Vec<String> = by_action.iter().map(|(a, c)| format!("{c} {a}")).collect();
    writeln!(
        w,
        "  resources: {} ({})",
        g.nodes.len(),
        if actions.is_empty() {
            "none".to_string()
        } else {
            actions.join(", ")
        }
    )?;
    let mut by_prov: BTreeMap<&str, usize> = BTreeMap::new();
    for e in g.edges() {
        *by_prov.entry(e.provenance.as_str()).or_default() += 1;
    }
    let provs: Vec<String> = by_prov.iter().map(|(p, c)| format!("{c} {p}")).collect();
    writeln!(
        w,
        "  edges: {}{}",
        g.edges().len(),
        if provs.is_empty() {
            String::new()
        } else {
            format!(" ({})", provs.join(", "))
        }
    )?;
    writeln!(w, "  unresolved references: {}", g.unresolved().len())?;
    for u in g.unresolved() {
        let line = format!(
            "    {} {}: {} ({})",
            g.node(u.from).address,
            u.attribute,
            u.reference,
            u.reason
        );
        writeln!(w, "{}", super::terminal_safe(&line))?;
    }
    Ok(())
}
