//! The `check` run, as a library function: configuration and policies loaded and validated
//! (while the plans are read, their errors reported first), every plan read, resolved and
//! evaluated (in parallel), waivers applied, the optional report sections built, and the
//! gate decided once. Nothing here prints; `main`
//! renders the [`Report`] and turns the gate into an exit code.

use crate::analysis;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::plan::{self, Document};
use crate::policy::{self, waiver, EvalOptions, OnUnknown, Policy};
use crate::report::{extras, Finding, PlanInfo, Report, Severity, Status};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What decides which policies run and how.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `--env`.
    pub env: Option<String>,
    /// `--policies` (files or directories), added to the config's.
    pub policy_paths: Vec<PathBuf>,
    /// `--config`; `None`: `plangate.toml` in the working directory, if any.
    pub config: Option<PathBuf>,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// `--no-builtin`.
    pub no_builtin: bool,
}

/// The gate threshold: a severity, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

/// Configuration and validated policies, ready for any number of plans.
pub struct Loaded {
    pub config: Config,
    pub policies: Vec<Policy>,
}

/// Load the configuration and every policy. Their problems are reported before any plan's
/// (see [`load_and_check`]).
pub fn load(s: &Settings) -> Result<Loaded> {
    let config = match &s.config {
        Some(p) => Config::load(p)?,
        None => Config::discover(Path::new("."))?.unwrap_or_default(),
    };
    let mut paths = config.policies.paths.clone();
    paths.extend(s.policy_paths.iter().cloned());
    let builtin = config.policies.builtin && !s.no_builtin;
    if !builtin && paths.is_empty() {
        return Err(Error::Usage(
            "no policies: --no-builtin (or `builtin = false` in plangate.toml) leaves nothing to run; pass --policies DIR".into(),
        ));
    }
    let all = policy::load(builtin, &paths)?;
    let mut only = config.policies.only.clone();
    only.extend(s.only.iter().cloned());
    let mut skip = config.policies.skip.clone();
    skip.extend(s.skip.iter().cloned());
    let mut policies = policy::filter_rules(all, &only, &skip)?;
    policy::builtin::accept_prerequisites(&mut policies, &config.external_allow).map_err(
        |message| Error::Config {
            file: config
                .file
                .as_ref()
                .map_or("plangate.toml".into(), |f| f.display().to_string()),
            message,
        },
    )?;
    Ok(Loaded { config, policies })
}

/// One plan's results before they are merged into the report.
struct PlanResult {
    info: PlanInfo,
    #[allow(
        clippy::vec_box,
        reason = "findings are joined by moving boxes (see `policy::evaluate_boxed`)"
    )]
    findings: Vec<Box<Finding>>,
    extras: extras::Extras,
    used_waivers: Vec<bool>,
}

/// Read, resolve and evaluate every plan (in parallel), and build the report.
pub fn check(loaded: &Loaded, plans: &[String], s: &Settings) -> Result<Report> {
    let results = parallel(plans, |p| check_one(loaded, p, s))?;
    Ok(report(loaded, results))
}

/// [`load`], then [`check`], with the loading (the configuration, and every policy parsed
/// and validated: ~8 ms, before the first byte of a plan was read) on a thread of its own
/// while the plans are read. Errors come in the order of the two calls: the configuration's
/// and the policies' first, then those of `between` (what the caller loads after the
/// policies, such as a source map; after its error no plan is read), then the plans'.
pub fn load_and_check<B>(
    s: &Settings,
    plans: &[String],
    between: impl FnOnce() -> Result<B>,
) -> Result<(Loaded, B, Report)> {
    let loading: std::sync::OnceLock<Result<Loaded>> = std::sync::OnceLock::new();
    let (between, results) = std::thread::scope(|scope| {
        let loaded = || loading.get_or_init(|| load(s)).as_ref();
        // The result is read through `loading`, by the plans and after them.
        let loader = scope.spawn(move || {
            let _ = loaded();
        });
        let between = between();
        // Not shown: the loading's own error is returned instead.
        let not_loaded = || Err(Error::Usage("the policies did not load".into()));
        // After an error of `between` no plan is read: its error is the answer (after the
        // policies'), and standard input or a pipe could wait for a writer.
        let results = if between.is_err() {
            Ok(Vec::new())
        } else {
            parallel(plans, |p| {
                // Only a regular file is read before the policies are known to load: standard
                // input or a pipe could wait for a writer, and was never read after an error.
                let regular = plan::regular_file_len(p).is_some();
                if (!regular || matches!(loading.get(), Some(Err(_)))) && loaded().is_err() {
                    return not_loaded();
                }
                let read = read_unlinked(p)?;
                match loaded() {
                    Ok(l) => check_graph(l, p, read, s),
                    Err(_) => not_loaded(),
                }
            })
        };
        if let Err(panic) = loader.join() {
            std::panic::resume_unwind(panic);
        }
        (between, results)
    });
    let loaded = match loading.into_inner() {
        Some(loaded) => loaded?,
        None => load(s)?,
    };
    let between = between?;
    let report = report(&loaded, results?);
    Ok((loaded, between, report))
}

/// The report of the plans' results.
fn report(loaded: &Loaded, results: Vec<PlanResult>) -> Report {
    let mut infos = Vec::new();
    let mut findings = Vec::with_capacity(results.iter().map(|r| r.findings.len()).sum());
    let mut extras = extras::Extras::default();
    let mut used = vec![false; loaded.config.waivers.len()];
    for r in results {
        infos.push(r.info);
        findings.extend(r.findings);
        merge_extras(&mut extras, r.extras);
        for (u, x) in used.iter_mut().zip(r.used_waivers) {
            *u |= x;
        }
    }
    let stale = waiver::stale(&loaded.config.waivers, &used);
    for info in &mut infos {
        info.notes.extend(stale.iter().cloned());
    }
    let rules = loaded.policies.iter().map(policy::rule_info).collect();
    let mut report = Report::new(infos, rules, findings);
    report.extras = extras;
    report
}

/// Run `f` over the plans on up to one thread per core, keeping the order; the first error
/// (in plan order) wins.
fn parallel<T: Send>(plans: &[String], f: impl Fn(&str) -> Result<T> + Sync) -> Result<Vec<T>> {
    crate::par::map_ordered(plans.len(), |i| f(&plans[i]))
        .into_iter()
        .collect()
}

/// Read a plan for `check`: states and errored plans are refused.
pub fn read_plan(path: &str) -> Result<Graph> {
    let (graph, config) = read_unlinked(path)?;
    graph.link(&config);
    Ok(graph)
}

/// [`read_plan`] before the plan's references are resolved: the graph, and the configuration
/// to resolve them with ([`Graph::link`]).
fn read_unlinked(path: &str) -> Result<(Graph, crate::plan::Configuration)> {
    let name = plan::display_name(path);
    let (graph, config) = match plan::read(path)? {
        Document::Plan(p) => Graph::unlinked(*p),
        Document::State(_) => {
            return Err(Error::input(
                name,
                "this is a Terraform state (`terraform show -json` without a plan file), not a plan; run `terraform plan -out plan.out`, then `terraform show -json plan.out > plan.json`, and check plan.json",
            ))
        }
    };
    if graph.meta.errored {
        return Err(Error::input(
            name,
            "Terraform reported errors while planning (`\"errored\": true`), so the plan is incomplete and cannot be gated; fix the errors `terraform plan` printed and plan again",
        ));
    }
    Ok((graph, config))
}

fn check_one(loaded: &Loaded, path: &str, s: &Settings) -> Result<PlanResult> {
    check_graph(loaded, path, read_unlinked(path)?, s)
}

/// Resolve the references of the plan at `path` and evaluate the policies: the policies
/// that do not read the graph's links (edges, unresolved references) are evaluated while
/// they are resolved, on the cores that resolving leaves idle.
fn check_graph(
    loaded: &Loaded,
    path: &str,
    (graph, config): (Graph, crate::plan::Configuration),
    s: &Settings,
) -> Result<PlanResult> {
    let name = plan::display_name(path).to_string();
    let (env, mut findings, extras) = std::thread::scope(|scope| {
        let graph = &graph;
        let file = name.as_str();
        // The environment, found meanwhile, for the report sections; not sent when finding
        // it panicked (the thread then ends without them).
        let (send_env, env_found) = std::sync::mpsc::channel::<String>();
        let early = graph.is_large();
        // The configuration is needed only to resolve: freed as soon as that is done, not
        // held while the policies finish (its parsed expressions, ~0.5 MB at ~10 MB). Then,
        // on a large graph, the report sections that read the linked graph but no finding
        // (the prerequisites, the cost estimate) are built on the same thread, beside the
        // policies still being evaluated, rather than after them (on a small one they would
        // be held beside the policies' values, at the memory's peak).
        let linking = scope.spawn(move || {
            graph.link(&config);
            drop(config);
            if !early {
                return None;
            }
            let env = env_found.recv().ok()?;
            Some(build_extras(loaded, graph, file, &env))
        });
        let env = policy::env::detect(graph, s.env.as_deref(), &loaded.config.environment);
        let _ = send_env.send(env.name.clone());
        let opts = EvalOptions {
            env: &env,
            plan_file: file,
        };
        let findings = policy::evaluate_boxed(&loaded.policies, graph, &opts);
        match linking.join() {
            Ok(extras) => (env, findings, extras),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let (used_waivers, mut notes) = waiver::apply(
        &mut findings,
        &loaded.config.waivers,
        &loaded.policies,
        &env.name,
        &waiver::today(),
    );
    notes.splice(0..0, analysis_notes(&graph));
    let info = PlanInfo {
        file: name,
        terraform_version: graph.meta.terraform_version.clone(),
        format_version: graph.meta.format_version.clone(),
        environment: env,
        notes,
    };
    // The findings are put in report order (`Report::new` then finds them sorted) beside
    // the report sections not built yet (one after the other on one core they were ~11 % of
    // the ~100 MB check): on a large graph the network diagrams, the others being built; on
    // a small one the others, this thread drawing the diagrams after the sort (drawn on the
    // second thread, they cost ~0.4 MB more at ~10 MB in a batch of 120 runs).
    let diagram_subjects = ran(loaded, "peering").then(|| analysis::diagram::subjects(&findings));
    let (file, env_name) = (&info.file, &info.environment.name);
    let diagrams = |subjects: &Option<Vec<(String, String)>>| {
        subjects
            .as_deref()
            .map(|subjects| analysis::diagram::diagrams_for(&graph, file, subjects))
    };
    let built = extras.is_some();
    let extras = std::thread::scope(|scope| {
        let side = scope.spawn(|| match extras {
            Some(mut x) => {
                x.network_diagrams = diagrams(&diagram_subjects).unwrap_or_default();
                x
            }
            None => build_extras(loaded, &graph, file, env_name),
        });
        crate::report::sort_in_report_order(&mut findings);
        let drawn = if built {
            None
        } else {
            diagrams(&diagram_subjects)
        };
        let mut x = match side.join() {
            Ok(x) => x,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let Some(d) = drawn {
            x.network_diagrams = d;
        }
        x
    });
    // A large graph is freed aside; a small one here, before the report is rendered: freed
    // aside, its pages were often not back yet when the rendering took its own, which then
    // set the ~10 MB check's peak (in 17 runs of 40, by up to 1.3 MB; mean peak 22,986 ->
    // 22,526 KB freed here).
    if graph.is_large() {
        drop_aside(graph);
    } else {
        drop(graph);
    }
    Ok(PlanResult {
        info,
        findings,
        extras,
        used_waivers,
    })
}

/// What limited the analysis of this plan, for the report.
fn analysis_notes(g: &Graph) -> Vec<String> {
    let mut notes: Vec<String> = g.limitations().into_iter().map(String::from).collect();
    if !g.unresolved().is_empty() {
        notes.push(format!(
            "{} reference(s) could not be followed (see `plangate graph`); rules that need them answer unknown",
            g.unresolved().len()
        ));
    }
    notes
}

fn ran(loaded: &Loaded, pack: &str) -> bool {
    loaded.policies.iter().any(|p| p.pack == pack)
}

/// The external prerequisites of a plan: every data source that is not self-contained and
/// not fed by this plan, classified like the loaded `check = "external-prerequisite"` policy.
pub fn prerequisites(
    loaded: &Loaded,
    g: &Graph,
    plan: &str,
    env: &str,
) -> Vec<extras::Prerequisite> {
    policy::builtin::prerequisites(&loaded.policies, g, env)
        .iter()
        .map(|p| p.to_report(g, plan))
        .collect()
}

/// The report sections of a plan but the network diagrams (drawn in `check_graph` from
/// `analysis::diagram::subjects` of the findings when the peering pack ran).
fn build_extras(loaded: &Loaded, g: &Graph, plan: &str, env: &str) -> extras::Extras {
    let mut x = extras::Extras::default();
    if ran(loaded, "external") {
        x.prerequisites = prerequisites(loaded, g, plan, env);
    }
    if ran(loaded, "cost") {
        x.cost_estimate = Some(cost_section(loaded, g, plan, env));
    }
    x
}

/// Free a large graph on a thread of its own, which nothing waits for: freeing the ~100 MB
/// plan's graph (tens of thousands of nodes and edges) took ~35 ms, which the report and its
/// rendering, on one core, need not wait for. The memory is given back as fast as before,
/// on the other core; if the process ends first, the system takes it back at once. Should
/// no thread start, the graph is freed here.
fn drop_aside(graph: Graph) {
    let _ = std::thread::Builder::new()
        .name("drop-graph".into())
        .spawn(move || drop(graph));
}

/// The cost section, priced like the budget rule: the built-in table with the `prices`
/// parameter of the loaded `check = "environment-budget"` policy (if any) over it.
fn cost_section(loaded: &Loaded, g: &Graph, plan: &str, env: &str) -> extras::CostEstimate {
    let prices = loaded
        .policies
        .iter()
        .find(|p| {
            p.check
                .as_ref()
                .is_some_and(|c| c.check.name() == "environment-budget")
        })
        .and_then(|p| policy::builtin::budget::prices(&p.params.merged(env)).ok())
        .unwrap_or_else(analysis::cost::Prices::builtin);
    let est = analysis::cost::estimate(g, &prices);
    extras::CostEstimate {
        estimate: true,
        currency: prices.currency.clone(),
        total_monthly_cost: est.total,
        partial: est.partial,
        price_source: prices.source.clone(),
        price_date: prices.date.clone(),
        lines: est
            .lines
            .iter()
            .map(|l| {
                let n = g.node(l.node);
                extras::CostLine {
                    resource: n.address.clone(),
                    plan: plan.to_string(),
                    resource_type: n.type_.clone(),
                    description: l.detail.clone(),
                    monthly_cost: l.monthly,
                    note: l.monthly.is_none().then(|| "not priced".to_string()),
                }
            })
            .collect(),
        notes: vec![format!(
            "an estimate for {} ({}) from on-demand prices; not a bill",
            est.region, est.region_source
        )],
    }
}

fn merge_extras(into: &mut extras::Extras, x: extras::Extras) {
    match (&mut into.cost_estimate, x.cost_estimate) {
        (Some(a), Some(b)) => {
            a.total_monthly_cost =
                ((a.total_monthly_cost + b.total_monthly_cost) * 100.0).round() / 100.0;
            a.partial |= b.partial;
            a.lines.extend(b.lines);
            for n in b.notes {
                if !a.notes.contains(&n) {
                    a.notes.push(n);
                }
            }
        }
        (a @ None, b) => *a = b,
        (Some(_), None) => {}
    }
    into.prerequisites.extend(x.prerequisites);
    into.network_diagrams.extend(x.network_diagrams);
}

/// Decide the gate once: mark every blocking finding; true when any blocks (exit code 1).
pub fn gate(
    report: &mut Report,
    policies: &[Policy],
    fail_on: FailOn,
    fail_on_unknown: bool,
) -> bool {
    let FailOn::Severity(threshold) = fail_on else {
        return false;
    };
    let by_id: HashMap<&str, &Policy> = policies.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut any = false;
    for f in &mut report.findings {
        let severe = f.severity.at_least(threshold);
        let unknown_fails = fail_on_unknown
            || by_id
                .get(&*f.rule)
                .is_some_and(|p| p.on_unknown == OnUnknown::Fail);
        f.blocking = severe
            && match f.status {
                Status::Fail => true,
                Status::Unknown => unknown_fails,
                Status::Waived | Status::Pass => false,
            };
        any |= f.blocking;
    }
    any
}
