//! Which top-level attributes of resource values a set of policies may read, so that values
//! are parsed only that far (see [`Projection`]).
//!
//! A policy reads values only through JSONPaths on an instance: `path` and `value_path` of
//! tests (in `where`, asserts, relation filters and asserts, at any depth) and `{values.PATH}`
//! in messages. A path whose first step names attributes (`$.tags_all…`,
//! `$['name', 'name_prefix']`) reads nothing outside them: every later step, filters
//! included, works inside the value found there (a filter's `$` and `@` are the value being
//! filtered, see `path::filter`). Any other path (`$`, `$.*`, `$..x`, `$[0]`, a filter on the
//! root) reads the whole value, and so does the run. `var:` and `meta:` paths read no
//! resource values; built-in checks (`check = …`) read whole values through
//! `Node::values`, which is never projected.

use super::model::{Condition, Operand, Policy, Scope, ScopedPath};
use super::path::JsonPath;
use super::template::{Placeholder, Template};
use crate::graph::Projection;
use std::collections::BTreeSet;

/// The attributes `policies` may read; [`Projection::all`] when one of them may read any.
pub fn needs(policies: &[Policy]) -> Projection {
    let mut keys = Some(BTreeSet::new());
    for p in policies {
        policy(p, &mut keys);
    }
    match keys {
        Some(k) => Projection::keys(k),
        None => Projection::all(),
    }
}

/// Collected keys; `None` once anything may be read.
type Keys = Option<BTreeSet<String>>;

fn policy(p: &Policy, keys: &mut Keys) {
    if let Some(c) = &p.select.filter {
        condition(c, keys);
    }
    for a in &p.assertions {
        condition(&a.condition, keys);
        if let Some(t) = &a.message {
            template(t, keys);
        }
    }
    if let Some(t) = &p.message {
        template(t, keys);
    }
}

fn condition(c: &Condition, keys: &mut Keys) {
    match c {
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| condition(c, keys)),
        Condition::Not(c) => condition(c, keys),
        Condition::Test(t) => {
            scoped(&t.path, keys);
            // `json` selects inside the documents found at `path`: nothing else is read.
            match &t.operand {
                Operand::Path(sp) | Operand::PathJson(sp, _) => scoped(sp, keys),
                Operand::None | Operand::Literal { .. } | Operand::Template { .. } => {}
            }
        }
        Condition::Relation(r) => {
            if let Some(f) = &r.filter {
                condition(f, keys);
            }
            r.assert.iter().for_each(|c| condition(c, keys));
        }
    }
}

fn scoped(sp: &ScopedPath, keys: &mut Keys) {
    match sp.scope {
        Scope::Var | Scope::Meta(_) => {}
        Scope::Subject | Scope::SelfNode | Scope::Named(_) => {
            path(&sp.path, keys);
            sp.by_env.iter().for_each(|(_, p)| path(p, keys));
        }
    }
}

fn template(t: &Template, keys: &mut Keys) {
    for ph in t.placeholders() {
        if let Placeholder::Values(p) = ph {
            path(p, keys);
        }
    }
}

fn path(p: &JsonPath, keys: &mut Keys) {
    match (p.top_keys(), keys.as_mut()) {
        (Some(names), Some(k)) => k.extend(names.into_iter().map(str::to_string)),
        (None, _) => *keys = None,
        (_, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{load_texts, Text};

    /// The keys the policy `top` (top-level keys) + `body` (tables) needs, sorted.
    fn keys_of(top: &str, body: &str) -> Option<Vec<String>> {
        let text = format!(
            "id = \"t.p\"\ntitle = \"t\"\nseverity = \"low\"\n{top}\n[select]\ntypes = [\"aws_*\"]\n{body}"
        );
        let policies = load_texts(vec![Text {
            file: "p.toml".into(),
            text,
            page: None,
            builtin: false,
        }])
        .unwrap_or_else(|e| panic!("does not load:\n{e}"));
        needs(&policies)
            .sorted_keys()
            .map(|k| k.into_iter().map(str::to_string).collect())
    }

    fn list(k: &[&str]) -> Option<Vec<String>> {
        Some(k.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn paths_name_their_first_attributes() {
        let body = r#"where = { path = "$.instance_class", op = "exists" }
[[assert]]
path = "$['name', 'name_prefix']"
op = "exists"
[[assert]]
path = "$.cluster_config[*].instance_type"
op = "equals"
value_path = "$.x[?@.a == $.b].c"
[[assert]]
path = "var:$.region"
op = "exists"
[[assert]]
path = "meta:$.address"
op = "exists"
"#;
        assert_eq!(
            keys_of(r#"message = "{values.tags.Name} at {meta.address}""#, body),
            list(&[
                "cluster_config",
                "instance_class",
                "name",
                "name_prefix",
                "tags",
                "x"
            ])
        );
    }

    #[test]
    fn relations_and_json_paths_count() {
        let body = r#"
[[relation]]
name = "sg"
type = "aws_security_group"
attribute = "vpc_security_group_ids"
direction = "outgoing"
where = { path = "$.vpc_id", op = "exists" }

  [[relation.assert]]
  path = "$.policy"
  json = "$..Statement[*].Effect"
  op = "equals"
  value = "Allow"

  [[relation.assert]]
  path = "self:$.arn"
  op = "equals"
  value_path = "sg:$.owner"
"#;
        assert_eq!(
            keys_of("", body),
            list(&["arn", "owner", "policy", "vpc_id"])
        );
    }

    #[test]
    fn anything_else_reads_everything() {
        for path in [
            "$",
            "$.*",
            "$..cidr_block",
            "$[0]",
            "$[?@.a == 1]",
            "$[*].x",
        ] {
            let body = format!("[[assert]]\npath = \"{path}\"\nop = \"exists\"\n");
            assert_eq!(keys_of("", &body), None, "{path}");
        }
        let body = "[[assert]]\npath = \"$.a\"\nop = \"exists\"\n";
        assert_eq!(keys_of(r#"message = "{values..id}""#, body), None);
        assert_eq!(keys_of(r#"message = "{values.*}""#, body), None);
    }

    /// The built-in policies (and every fixture's own) give the same findings, to the byte,
    /// whether values are projected or read whole, on every plan fixture and in several
    /// environments: the projection misses nothing a policy reads.
    #[test]
    fn projected_runs_find_what_whole_runs_find() {
        use crate::policy::{evaluate, evaluate_whole, EvalOptions};
        let root = env!("CARGO_MANIFEST_DIR");
        let policies = crate::policy::load_builtin().unwrap();
        assert!(
            !needs(&policies).is_all(),
            "the built-in policies name what they read"
        );
        let cfg = crate::config::Config::default().environment;

        let mut plans = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(format!("{root}/testdata"))];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "json") {
                    plans.push(p);
                }
            }
        }
        plans.sort();
        let mut checked = 0;
        for plan in &plans {
            let Ok(doc) = crate::plan::read(&plan.display().to_string()) else {
                continue;
            };
            // A fresh graph for each run, so that nothing parsed by one serves the other.
            let doc2 = crate::plan::read(&plan.display().to_string()).unwrap();
            let (whole, projected) = (
                crate::graph::Graph::from_document(doc),
                crate::graph::Graph::from_document(doc2),
            );
            // Detection first, as `check` runs it, then the evaluations.
            assert_eq!(
                crate::policy::env::detect_with(&whole, None, &cfg, &Projection::all()),
                crate::policy::env::detect(&projected, None, &cfg),
                "{}",
                plan.display()
            );
            for env in ["default", "prod", "dev"] {
                let env = crate::report::Environment {
                    name: env.into(),
                    raw: env.into(),
                    source: "--env".into(),
                };
                let opts = EvalOptions {
                    env: &env,
                    plan_file: "p.json",
                };
                let a = evaluate_whole(&policies, &whole, &opts);
                let b = evaluate(&policies, &projected, &opts);
                assert_eq!(
                    serde_json::to_string(&a).unwrap(),
                    serde_json::to_string(&b).unwrap(),
                    "{}",
                    plan.display()
                );
            }
            checked += 1;
        }
        assert!(checked > 20, "only {checked} plans read");
    }

    #[test]
    fn parameters_in_paths_count_in_every_environment() {
        let top = "[params.default]\ntag = \"Owner\"\n[params.prod]\ntag = \"Team\"\n";
        let body = "[[assert]]\npath = \"$.tags['{params.tag}']\"\nop = \"exists\"\n";
        assert_eq!(keys_of(top, body), list(&["tags"]));
        let body = "[[assert]]\npath = \"$['{params.tag}']\"\nop = \"exists\"\n";
        assert_eq!(keys_of(top, body), list(&["Owner", "Team"]));
    }
}
