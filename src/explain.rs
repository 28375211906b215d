//! Text output of `rules`, `rules show`, `explain` and `prerequisites`. Values are shown the
//! way every report shows them: sensitive ones as `(sensitive)`, unknown ones as
//! `(known after apply)`.

use crate::Failure;
use plangate::app::{self, Loaded, Settings};
use plangate::graph::Graph;
use plangate::plan;
use plangate::policy::{self, EvalOptions, Policy};
use plangate::report::extras::Prerequisite;
use serde_json::{json, Value};
use std::io::{self, Write};

/// `plangate rules`: id, severity, pack, title.
pub fn rules_list(policies: &[Policy], as_json: bool, w: &mut dyn Write) -> io::Result<()> {
    let mut sorted: Vec<&Policy> = policies.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    if as_json {
        let list: Vec<Value> = sorted
            .iter()
            .map(|p| {
                json!({"id": p.id, "severity": p.severity.as_str(), "pack": p.pack,
                       "title": p.title, "source": p.source.file})
            })
            .collect();
        serde_json::to_writer_pretty(&mut *w, &list)?;
        return writeln!(w);
    }
    let width = sorted.iter().map(|p| p.id.len()).max().unwrap_or(4);
    writeln!(
        w,
        "{:width$}  {:8}  {:10}  title",
        "rule", "severity", "pack"
    )?;
    for p in sorted {
        writeln!(
            w,
            "{:width$}  {:8}  {:10}  {}",
            p.id,
            p.severity.as_str(),
            p.pack,
            p.title
        )?;
    }
    Ok(())
}

/// `plangate rules show ID`: the rule's page, or a page made from the policy file.
pub fn rule_page(p: &Policy, w: &mut dyn Write) -> io::Result<()> {
    if let Some(page) = &p.page {
        return write!(w, "{page}");
    }
    writeln!(
        w,
        "# {}\n\n{} (severity {})\n",
        p.id,
        p.title,
        p.severity.as_str()
    )?;
    if let Some(d) = &p.description {
        writeln!(w, "{d}\n")?;
    }
    if let Some(r) = &p.remediation {
        writeln!(w, "How to fix: {r}\n")?;
    }
    writeln!(w, "Defined in {}", p.source.file)
}

/// `plangate explain PLAN ADDRESS`.
pub fn resource(
    loaded: &Loaded,
    plan_path: &str,
    address: &str,
    s: &Settings,
    w: &mut dyn Write,
) -> Result<u8, Failure> {
    let g: Graph = app::read_plan(plan_path)?;
    let name = plan::display_name(plan_path);
    let Some(id) = g.find(address) else {
        let mut close: Vec<&str> = g
            .nodes
            .iter()
            .map(|n| n.address.as_str())
            .filter(|a| a.contains(address.rsplit('.').next().unwrap_or(address)))
            .take(5)
            .collect();
        close.sort_unstable();
        let hint = if close.is_empty() {
            "`plangate graph PLAN` lists the addresses".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        return Err(plangate::error::Error::Usage(format!(
            "{name}: no resource instance `{address}` in the plan; {hint}"
        ))
        .into());
    };
    let node = g.node(id);
    let env = policy::env::detect(&g, s.env.as_deref(), &loaded.config.environment);
    writeln!(
        w,
        "{} ({}, {} mode, provider {})",
        node.address,
        node.action.as_str(),
        node.mode.as_str(),
        node.provider
    )?;
    writeln!(w, "environment: {} ({})", env.name, env.source)?;
    if let Some(r) = &node.action_reason {
        writeln!(w, "reason: {r}")?;
    }
    writeln!(w, "\nvalues:")?;
    let v = plangate::graph::values::shown(node.values(), node.sensitive(), node.unknown());
    for line in serde_json::to_string_pretty(&v).unwrap_or_default().lines() {
        writeln!(w, "  {line}")?;
    }
    writeln!(w, "\ntakes values from:")?;
    let mut any = false;
    for e in g.outgoing(id) {
        any = true;
        writeln!(
            w,
            "  {} <- {} ({}{})",
            e.attribute,
            g.node(e.to).address,
            e.provenance.as_str(),
            if e.ambiguous { ", ambiguous" } else { "" }
        )?;
    }
    for u in g.unresolved_of(id) {
        any = true;
        writeln!(w, "  {} <- ? {} ({})", u.attribute, u.reference, u.reason)?;
    }
    if !any {
        writeln!(w, "  nothing")?;
    }
    writeln!(w, "\ngives values to:")?;
    let incoming: Vec<_> = g.incoming(id).collect();
    if incoming.is_empty() {
        writeln!(w, "  nothing")?;
    }
    for e in incoming {
        writeln!(
            w,
            "  {}.{} ({})",
            g.node(e.from).address,
            e.attribute,
            e.provenance.as_str()
        )?;
    }
    let opts = EvalOptions {
        env: &env,
        plan_file: name,
    };
    let findings = policy::evaluate(&loaded.policies, &g, &opts);
    writeln!(w, "\npolicies:")?;
    let mine: Vec<_> = findings
        .iter()
        .filter(|f| *f.resource == *node.address)
        .collect();
    if mine.is_empty() {
        writeln!(w, "  no policy selects this resource in {}", env.name)?;
    }
    for f in mine {
        writeln!(
            w,
            "  {:7} {} ({}): {}",
            f.status.as_str(),
            f.rule,
            f.severity.as_str(),
            f.message
        )?;
        for e in &f.evidence {
            writeln!(w, "          {} {} = {}", e.resource, e.path, e.shown())?;
        }
    }
    w.flush()?;
    Ok(0)
}

/// `plangate prerequisites PLAN`.
pub fn prerequisites(list: &[Prerequisite], as_json: bool, w: &mut dyn Write) -> io::Result<()> {
    if as_json {
        serde_json::to_writer_pretty(&mut *w, list)?;
        return writeln!(w);
    }
    if list.is_empty() {
        return writeln!(
            w,
            "no external prerequisites: every data source is self-contained or fed by this plan"
        );
    }
    writeln!(
        w,
        "{} external prerequisite(s): a fresh account needs each before the first plan\n",
        list.len()
    )?;
    for p in list {
        writeln!(w, "{} ({})", p.address, p.classification)?;
        if let Some(v) = &p.value {
            writeln!(w, "  looks up: {v}")?;
        }
        if let Some(d) = &p.deferred {
            writeln!(w, "  read during apply: {d}")?;
        }
        if p.dependants.is_empty() {
            writeln!(w, "  nothing depends on it")?;
        } else {
            writeln!(
                w,
                "  {} dependant(s): {}",
                p.dependants.len(),
                p.dependants.join(", ")
            )?;
        }
    }
    Ok(())
}
