//! The extras sections of the comment: the cost estimate, the prerequisites inventory, and the
//! network diagrams as Mermaid flowcharts (GitHub and GitLab draw ```` ```mermaid ```` blocks).

use super::budget::{Kind, Section};
use super::{code, escape, show_value};
use crate::report::extras::{CostEstimate, NetworkDiagram, Prerequisite, RouteState};
use crate::report::Report;
use std::collections::HashMap;
use std::fmt::Write as _;

fn money(x: f64) -> String {
    format!("{x:.2}")
}

fn cost_section(c: &CostEstimate) -> Section<'_> {
    let mut head = format!(
        "\n### 💰 Cost estimate\n\n**Estimate:** {}{} {} a month. Prices from {} ({}); a price table, not a bill.\n\n",
        if c.partial { "at least " } else { "" },
        money(c.total_monthly_cost),
        escape(&c.currency),
        escape(&c.price_source),
        escape(&c.price_date)
    );
    for n in &c.notes {
        let _ = writeln!(head, "- {}", escape(n));
    }
    if !c.notes.is_empty() {
        head.push('\n');
    }
    let _ = writeln!(
        head,
        "| resource | type | priced | monthly ({}) |\n|:--|:--|:--|--:|",
        escape(&c.currency)
    );
    let items = c
        .lines
        .iter()
        .map(|l| {
            let amount = l.monthly_cost.map_or("—".to_string(), money);
            let what = match &l.note {
                Some(n) => format!("{} ({})", escape(&l.description), escape(n)),
                None => escape(&l.description),
            };
            format!(
                "| {} | {} | {what} | {amount} |\n",
                code(&l.resource),
                code(&l.resource_type)
            )
        })
        .collect();
    Section::new(Kind::Cost, head, items, "")
}

fn prerequisites_section(ps: &[Prerequisite]) -> Section<'_> {
    let head = format!(
        "\n### 📦 Prerequisites ({})\n\nWhat this plan reads but does not create: it must exist before apply.\n\n| data source | type | kind | value | used by |\n|:--|:--|:--|:--|:--|\n",
        ps.len()
    );
    let items = ps
        .iter()
        .map(|p| {
            let mut value = if p.redacted {
                "<em>(sensitive)</em>".to_string()
            } else if p.unknown {
                "<em>(known after apply)</em>".to_string()
            } else {
                p.value
                    .as_ref()
                    .map_or("—".to_string(), |v| code(&show_value(v)))
            };
            if let Some(why) = &p.deferred {
                value.push_str(&format!("<br>read during apply: {}", escape(why)));
            }
            let mut users: Vec<String> = p.dependants.iter().take(10).map(|d| code(d)).collect();
            if p.dependants.len() > 10 {
                users.push(format!("and {} more", p.dependants.len() - 10));
            }
            format!(
                "| {} | {} | {} | {value} | {} |\n",
                code(&p.address),
                code(&p.data_type),
                escape(&p.classification),
                if users.is_empty() {
                    "—".to_string()
                } else {
                    users.join("<br>")
                }
            )
        })
        .collect();
    Section::new(Kind::Prerequisites, head, items, "")
}

/// Text inside a quoted Mermaid label: Mermaid's `#…;` entity codes for what would end the
/// label or be read as markup, and no backtick that could close the Markdown fence.
pub fn mermaid_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '`' => out.push_str("#96;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Mermaid flowchart: VPCs with their CIDRs, peerings between them, route tables in their
/// VPC, routes through the peering (missing ones dashed, red and marked ❌).
pub fn mermaid(d: &NetworkDiagram) -> String {
    let mut s = String::from("flowchart LR\n");
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut node = |s: &mut String, key: &str, prefix: &str, label: String, shape: (&str, &str)| {
        if let Some(id) = ids.get(key) {
            return id.clone();
        }
        let id = format!("{prefix}{}", ids.len());
        let _ = writeln!(s, "  {id}{}\"{label}\"{}", shape.0, shape.1);
        ids.insert(key.to_string(), id.clone());
        id
    };
    for v in &d.vpcs {
        let mut label = mermaid_label(&v.key);
        if v.external {
            label.push_str(" (existing)");
        }
        for c in &v.cidrs {
            label.push_str("<br/>");
            label.push_str(&mermaid_label(c));
        }
        node(&mut s, &v.key, "v", label, ("[", "]"));
    }
    let mut links = 0usize;
    let mut missing = Vec::new();
    for t in &d.route_tables {
        let vpc = node(&mut s, &t.vpc, "v", mermaid_label(&t.vpc), ("[", "]"));
        let id = node(
            &mut s,
            &t.address,
            "t",
            mermaid_label(&t.address),
            ("([", "])"),
        );
        let _ = writeln!(s, "  {vpc} --- {id}");
        links += 1;
    }
    for p in &d.peerings {
        let a = node(
            &mut s,
            &p.requester,
            "v",
            mermaid_label(&p.requester),
            ("[", "]"),
        );
        let b = node(
            &mut s,
            &p.accepter,
            "v",
            mermaid_label(&p.accepter),
            ("[", "]"),
        );
        let id = node(
            &mut s,
            &p.address,
            "p",
            mermaid_label(&p.address),
            ("{{", "}}"),
        );
        let _ = writeln!(s, "  {a} ---|requester| {id}");
        let _ = writeln!(s, "  {id} ---|accepter| {b}");
        links += 2;
    }
    for r in &d.routes {
        let t = node(
            &mut s,
            &r.route_table,
            "t",
            mermaid_label(&r.route_table),
            ("([", "])"),
        );
        let p = node(
            &mut s,
            &r.peering,
            "p",
            mermaid_label(&r.peering),
            ("{{", "}}"),
        );
        let dest = mermaid_label(&r.destination);
        match r.state {
            RouteState::Present => {
                let _ = writeln!(s, "  {t} -->|\"{dest}\"| {p}");
            }
            RouteState::Missing => {
                let _ = writeln!(s, "  {t} -.->|\"❌ missing {dest}\"| {p}");
                missing.push(links.to_string());
            }
        }
        links += 1;
    }
    if !missing.is_empty() {
        let _ = writeln!(
            s,
            "  linkStyle {} stroke:#d73a49,stroke-width:2px,color:#d73a49",
            missing.join(",")
        );
    }
    s
}

fn network_section(ds: &[NetworkDiagram]) -> Section<'_> {
    let head = "\n### 🌐 Network\n\nVPCs, peerings and route tables around the network findings; dashed red arrows are routes the plan is missing.\n".to_string();
    let items = ds
        .iter()
        .map(|d| {
            let mut s = format!("\n#### {}", escape(&d.title));
            if let Some(r) = &d.rule {
                let _ = write!(s, " ({})", code(r));
            }
            let _ = write!(s, "\n\n```mermaid\n{}```\n", mermaid(d));
            let missing: Vec<String> = d
                .routes
                .iter()
                .filter(|r| r.state == RouteState::Missing)
                .map(|r| {
                    format!(
                        "- missing: {} → {} via {}\n",
                        code(&r.route_table),
                        code(&r.destination),
                        code(&r.peering)
                    )
                })
                .collect();
            if !missing.is_empty() {
                s.push('\n');
                s.push_str(&missing.concat());
            }
            s
        })
        .collect();
    Section::new(Kind::Network, head, items, "")
}

pub(super) fn extras_sections(report: &Report) -> Vec<Section<'_>> {
    let x = &report.extras;
    let mut out = Vec::new();
    if let Some(c) = &x.cost_estimate {
        out.push(cost_section(c));
    }
    if !x.prerequisites.is_empty() {
        out.push(prerequisites_section(&x.prerequisites));
    }
    if !x.network_diagrams.is_empty() {
        out.push(network_section(&x.network_diagrams));
    }
    out
}
