//! Which environment a plan deploys to, and how that was found.
//!
//! In order: `--env`; a configured root variable (`environment`, `env`, `stage`); a configured
//! tag (`Environment`) in a provider's `default_tags`, then on resources' `tags_all` / `tags`
//! (the most common value wins); else `default`. Aliases from `plangate.toml` map the raw name
//! to a canonical one (`pr-123` → `test`, `Production` → `prod`).

use crate::config::EnvironmentConfig;
use crate::graph::{Graph, Projection};
use crate::report::Environment;
use serde_json::Value;

/// Detect the environment of a plan.
pub fn detect(graph: &Graph, cli_env: Option<&str>, cfg: &EnvironmentConfig) -> Environment {
    // Resources' values are read for their tags only: parsed that far, and not kept.
    detect_with(graph, cli_env, cfg, &Projection::keys(TAG_ATTRIBUTES))
}

/// [`detect`], reading resources' values through `p` (whole values, to compare).
pub(crate) fn detect_with(
    graph: &Graph,
    cli_env: Option<&str>,
    cfg: &EnvironmentConfig,
    p: &Projection,
) -> Environment {
    let (raw, source) = find(graph, cli_env, cfg, p).unwrap_or_else(|| {
        // A sensitive source is never read: the name is printed in every report.
        let skipped = sensitive_sources(graph, cfg, p);
        let source = if skipped.is_empty() {
            "default".to_string()
        } else {
            format!(
                "default ({} sensitive, so not used: the environment's name is shown in reports; pass --env)",
                skipped.join(", ")
            )
        };
        ("default".into(), source)
    });
    Environment {
        name: cfg.canonical(&raw),
        raw,
        source,
    }
}

/// Where resources' tags are read, in order of preference.
const TAG_ATTRIBUTES: [&str; 2] = ["tags_all", "tags"];

fn find(
    graph: &Graph,
    cli_env: Option<&str>,
    cfg: &EnvironmentConfig,
    p: &Projection,
) -> Option<(String, String)> {
    if let Some(e) = cli_env.map(str::trim).filter(|e| !e.is_empty()) {
        return Some((e.to_string(), "--env".into()));
    }
    for v in &cfg.variables {
        if graph.sensitive_variables.contains(v) {
            continue;
        }
        if let Some(Value::String(s)) = graph.variables.get(v) {
            if !s.trim().is_empty() {
                return Some((s.clone(), format!("variable `{v}`")));
            }
        }
    }
    for tag in &cfg.tags {
        if let Some(found) = default_tag(graph, tag) {
            return Some(found);
        }
    }
    for tag in &cfg.tags {
        if let Some(found) = resource_tag(graph, tag, p) {
            return Some(found);
        }
    }
    None
}

/// `provider "aws" { default_tags { tags = { Environment = "prod" } } }`, when constant.
fn default_tag(graph: &Graph, tag: &str) -> Option<(String, String)> {
    for (key, exprs) in &graph.provider_expressions {
        let blocks = exprs.get("default_tags").and_then(Value::as_array);
        for b in blocks.into_iter().flatten() {
            let v = b
                .get("tags")
                .and_then(|t| t.get("constant_value"))
                .and_then(|t| t.get(tag));
            if let Some(Value::String(s)) = v {
                if !s.trim().is_empty() {
                    return Some((
                        s.clone(),
                        format!("tag `{tag}` in default_tags of provider `{key}`"),
                    ));
                }
            }
        }
    }
    None
}

/// The most common value of the tag on resources (`tags_all` includes provider default tags).
fn resource_tag(graph: &Graph, tag: &str, p: &Projection) -> Option<(String, String)> {
    let mut counts: Vec<(String, usize, String)> = Vec::new();
    for n in &graph.nodes {
        if TAG_ATTRIBUTES
            .iter()
            .any(|k| tag_is_sensitive(n, k, tag, p))
        {
            continue;
        }
        let v = n.values_in(p);
        let value = TAG_ATTRIBUTES
            .iter()
            .find_map(|k| v.get(k).and_then(|t| t.get(tag)).and_then(Value::as_str));
        let Some(s) = value.filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        match counts.iter_mut().find(|c| c.0 == s) {
            Some(c) => c.1 += 1,
            None => counts.push((s.to_string(), 1, n.address.clone())),
        }
    }
    let best = counts
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))?;
    let others = counts.len() - 1;
    let note = if others > 0 {
        format!(
            " ({} of {} tagged resources; {others} other value(s) seen)",
            best.1,
            counts.iter().map(|c| c.1).sum::<usize>()
        )
    } else {
        String::new()
    };
    Some((best.0.clone(), format!("tag `{tag}` on {}{note}", best.2)))
}

fn tag_is_sensitive(n: &crate::graph::Node, attribute: &str, tag: &str, p: &Projection) -> bool {
    use crate::graph::values::{marked, Seg};
    marked(
        &n.sensitive_in(p),
        &[Seg::Key(attribute.to_string()), Seg::Key(tag.to_string())],
    )
}

/// The configured variables and tags that hold a name but are sensitive.
fn sensitive_sources(graph: &Graph, cfg: &EnvironmentConfig, p: &Projection) -> Vec<String> {
    let mut out: Vec<String> = cfg
        .variables
        .iter()
        .filter(|v| graph.sensitive_variables.contains(*v) && graph.variables.contains_key(*v))
        .map(|v| format!("variable `{v}` is"))
        .collect();
    for tag in &cfg.tags {
        let hidden = graph.nodes.iter().any(|n| {
            TAG_ATTRIBUTES.iter().any(|k| {
                n.values_in(p).get(*k).and_then(|t| t.get(tag)).is_some()
                    && tag_is_sensitive(n, k, tag, p)
            })
        });
        if hidden {
            out.push(format!("tag `{tag}` is"));
        }
    }
    out
}
