//! `plangate.toml`: environment detection (variables, tag, aliases), policy directories,
//! gate threshold, waivers and the external-prerequisite allow-list. Unknown keys are
//! rejected with the allowed ones; every problem names its line and column.
//!
//! ```toml
//! [environment]
//! variables = ["environment", "env", "stage"]   # plan variables naming the environment
//! tag = "Environment"                            # or tags = ["Environment", "env"]
//! [environment.aliases]
//! test = ["pr-*", "ci", "qa"]
//! prod = ["production"]
//!
//! [policies]
//! paths = ["policies"]          # relative to this file
//! only = ["cost", "destroy.*"]  # rule ids or packs (globs)
//! skip = ["cost.environment-budget"]
//!
//! [gate]
//! fail_on = "high"
//!
//! [[waiver]]
//! rule = "cost.oversized-database-class"
//! resource = "aws_db_instance.reporting"
//! reason = "sized for the quarter-end load test"
//! expires = "2025-07-01"
//! owner = "data-platform"
//!
//! [external.allow]
//! default = ["data.aws_route53_zone.main"]
//! prod = ["data.aws_acm_certificate.*"]
//! ```

use crate::error::{Error, Result};
use crate::report::Severity;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The configuration file name looked for in the working directory.
pub const FILE_NAME: &str = "plangate.toml";

/// A loaded `plangate.toml` (or the defaults).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from; `None` for the defaults.
    pub file: Option<PathBuf>,
    pub environment: EnvironmentConfig,
    pub policies: PoliciesConfig,
    /// `[gate] fail_on`.
    pub fail_on: Option<Severity>,
    pub waivers: Vec<Waiver>,
    /// `[external.allow]`: environment (or `default`) → address globs of accepted prerequisites.
    pub external_allow: BTreeMap<String, Vec<String>>,
}

/// How the environment is detected.
#[derive(Debug, Clone)]
pub struct EnvironmentConfig {
    /// Root variables naming the environment, in order.
    pub variables: Vec<String>,
    /// Tags naming the environment, in order.
    pub tags: Vec<String>,
    /// Canonical name → globs of raw names (matched case-insensitively), in file order.
    pub aliases: Vec<(String, Vec<String>)>,
    compiled: Vec<(String, GlobSet)>,
}

impl Default for EnvironmentConfig {
    fn default() -> Self {
        let aliases = vec![
            (
                "prod".to_string(),
                vec!["production".to_string(), "prd".to_string()],
            ),
            ("dev".to_string(), vec!["development".to_string()]),
            ("test".to_string(), vec!["testing".to_string()]),
        ];
        EnvironmentConfig::new(
            vec!["environment".into(), "env".into(), "stage".into()],
            vec!["Environment".into()],
            aliases,
        )
        .expect("default aliases are valid globs")
    }
}

impl EnvironmentConfig {
    pub fn new(
        variables: Vec<String>,
        tags: Vec<String>,
        aliases: Vec<(String, Vec<String>)>,
    ) -> std::result::Result<Self, String> {
        let mut compiled = Vec::new();
        for (name, pats) in &aliases {
            let mut b = GlobSetBuilder::new();
            for p in pats {
                let g = GlobBuilder::new(p)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .map_err(|e| {
                        format!("alias {p:?} of `{name}` is not a valid glob: {}", e.kind())
                    })?;
                b.add(g);
            }
            compiled.push((name.clone(), b.build().map_err(|e| e.to_string())?));
        }
        Ok(EnvironmentConfig {
            variables,
            tags,
            aliases,
            compiled,
        })
    }

    /// The canonical name of a raw environment name: the first alias that matches, else the
    /// name in lowercase.
    pub fn canonical(&self, raw: &str) -> String {
        let lower = raw.trim().to_lowercase();
        self.compiled
            .iter()
            .find(|(name, g)| *name == lower || g.is_match(&lower))
            .map_or(lower, |(name, _)| name.clone())
    }
}

/// `[policies]`.
#[derive(Debug, Clone)]
pub struct PoliciesConfig {
    /// Directories or files of user policies, resolved against the config file's directory.
    pub paths: Vec<PathBuf>,
    /// Rule ids or packs to run (globs); empty: all.
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// Whether the built-in packs run (default true).
    pub builtin: bool,
}

impl Default for PoliciesConfig {
    /// No user policies, every rule, the built-in packs on.
    fn default() -> Self {
        PoliciesConfig {
            paths: Vec::new(),
            only: Vec::new(),
            skip: Vec::new(),
            builtin: true,
        }
    }
}

/// `[[waiver]]`: accept a failing (rule, resource) until a date, with a reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    /// Rule id, pack or glob.
    pub rule: String,
    /// Address glob; `None`: every resource.
    pub resource: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`, inclusive.
    pub expires: String,
    pub owner: Option<String>,
    /// Environments (globs); empty: all.
    pub env: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    environment: Option<RawEnvironment>,
    #[serde(default)]
    policies: Option<RawPolicies>,
    #[serde(default)]
    gate: Option<RawGate>,
    #[serde(default)]
    waiver: Vec<toml::Spanned<RawWaiver>>,
    #[serde(default)]
    external: Option<RawExternal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    variables: Option<Vec<String>>,
    tag: Option<String>,
    tags: Option<Vec<String>>,
    #[serde(default)]
    aliases: Option<toml::Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicies {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    only: Vec<String>,
    #[serde(default)]
    skip: Vec<String>,
    builtin: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    fail_on: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: String,
    resource: Option<String>,
    reason: String,
    expires: toml::Spanned<toml::Value>,
    owner: Option<String>,
    #[serde(default)]
    env: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExternal {
    #[serde(default)]
    allow: BTreeMap<String, Vec<String>>,
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        let mut c = Config::parse(&path.display().to_string(), &text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in &mut c.policies.paths {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        c.file = Some(path.to_path_buf());
        Ok(c)
    }

    /// `plangate.toml` in `dir`, if there is one.
    pub fn discover(dir: &Path) -> Result<Option<Config>> {
        let p = dir.join(FILE_NAME);
        if p.is_file() {
            Config::load(&p).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Parse config text (`file` names it in messages). Paths stay as written.
    pub fn parse(file: &str, text: &str) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let pos = e.span().map(|s| crate::policy::line_col(text, s.start));
            Error::Config {
                file: file.to_string(),
                message: at(pos, &crate::policy::friendly_toml(e.message())),
            }
        })?;
        let mut problems: Vec<String> = Vec::new();
        let env = raw.environment.map_or_else(
            || Ok(EnvironmentConfig::default()),
            |e| environment(e, text),
        );
        let environment = env.unwrap_or_else(|p| {
            problems.push(p);
            EnvironmentConfig::default()
        });
        let fail_on = raw.gate.and_then(|g| g.fail_on).and_then(|f| match Severity::parse(f.get_ref()) {
            Some(s) => Some(s),
            None => {
                let pos = crate::policy::line_col(text, f.span().start);
                problems.push(at(Some(pos), &format!("unknown severity {:?} in [gate] fail_on; use one of: critical, high, medium, low, info", f.get_ref())));
                None
            }
        });
        let mut waivers = Vec::new();
        for w in raw.waiver {
            let span = w.span();
            let w = w.into_inner();
            let expires = match w.expires.get_ref() {
                toml::Value::Datetime(d) if d.date.is_some() && d.time.is_none() => d.to_string(),
                toml::Value::String(s) if is_date(s) => s.clone(),
                _ => {
                    let pos = crate::policy::line_col(text, w.expires.span().start);
                    problems.push(at(
                        Some(pos),
                        "`expires` must be a date, e.g. expires = 2025-07-01",
                    ));
                    continue;
                }
            };
            if w.reason.trim().is_empty() {
                let pos = crate::policy::line_col(text, span.start);
                problems.push(at(
                    Some(pos),
                    "a waiver needs a `reason`: say why the failure is accepted",
                ));
                continue;
            }
            waivers.push(Waiver {
                rule: w.rule,
                resource: w.resource,
                reason: w.reason,
                expires,
                owner: w.owner,
                env: w.env,
            });
        }
        let policies = raw.policies.map_or(
            PoliciesConfig {
                builtin: true,
                ..Default::default()
            },
            |p| PoliciesConfig {
                paths: p.paths.into_iter().map(PathBuf::from).collect(),
                only: p.only,
                skip: p.skip,
                builtin: p.builtin.unwrap_or(true),
            },
        );
        if !problems.is_empty() {
            return Err(Error::Config {
                file: file.to_string(),
                message: problems.join("\n"),
            });
        }
        Ok(Config {
            file: None,
            environment,
            policies,
            fail_on,
            waivers,
            external_allow: raw.external.map(|e| e.allow).unwrap_or_default(),
        })
    }
}

fn at(pos: Option<(usize, usize)>, msg: &str) -> String {
    match pos {
        Some((l, c)) => format!("line {l}, column {c}: {msg}"),
        None => msg.to_string(),
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

fn environment(e: RawEnvironment, text: &str) -> std::result::Result<EnvironmentConfig, String> {
    let d = EnvironmentConfig::default();
    let tags = match (e.tag, e.tags) {
        (Some(t), None) => vec![t],
        (None, Some(t)) => t,
        (None, None) => d.tags.clone(),
        (Some(_), Some(_)) => {
            return Err("[environment] has both `tag` and `tags`; keep one".into())
        }
    };
    let aliases = match e.aliases {
        None => d.aliases.clone(),
        Some(t) => {
            let pos = crate::policy::line_col(text, t.span().start);
            let mut out = Vec::new();
            for (name, v) in t.get_ref() {
                let pats = match v {
                    toml::Value::String(s) => vec![s.clone()],
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| at(Some(pos), &format!("aliases of `{name}` must be strings, e.g. {name} = [\"pr-*\", \"ci\"]")))?,
                    _ => return Err(at(Some(pos), &format!("aliases of `{name}` must be a list of names, e.g. {name} = [\"pr-*\", \"ci\"]"))),
                };
                out.push((name.to_lowercase(), pats));
            }
            out
        }
    };
    EnvironmentConfig::new(e.variables.unwrap_or(d.variables), tags, aliases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_aliases() {
        let c = Config::parse(
            "plangate.toml",
            "[environment.aliases]\ntest = [\"pr-*\", \"ci\", \"qa\"]\nprod = [\"production\"]\n",
        )
        .unwrap();
        let e = &c.environment;
        assert_eq!(e.variables, ["environment", "env", "stage"]);
        assert_eq!(e.tags, ["Environment"]);
        assert_eq!(e.canonical("PR-123"), "test");
        assert_eq!(e.canonical("Production"), "prod");
        assert_eq!(e.canonical("staging"), "staging");
        assert!(c.policies.builtin);
    }

    #[test]
    fn unknown_keys_are_rejected_with_position() {
        let e = Config::parse("plangate.toml", "[environment]\nvariable = [\"x\"]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "plangate.toml: line 2, column 1: unknown key `variable` (did you mean `variables`?); allowed keys here: variables, tag, tags, aliases"
        );
    }

    #[test]
    fn waivers_and_external() {
        let text = "[[waiver]]\nrule = \"cost.*\"\nreason = \"load test\"\nexpires = 2025-07-01\n[external.allow]\nprod = [\"data.aws_route53_zone.main\"]\n[gate]\nfail_on = \"medium\"\n";
        let c = Config::parse("p", text).unwrap();
        assert_eq!(c.waivers[0].expires, "2025-07-01");
        assert_eq!(c.external_allow["prod"], ["data.aws_route53_zone.main"]);
        assert_eq!(c.fail_on, Some(Severity::Medium));
        let e = Config::parse(
            "p",
            "[[waiver]]\nrule = \"x\"\nreason = \"r\"\nexpires = \"soon\"\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("line 4, column 11: `expires` must be a date"),
            "{e}"
        );
    }
}
