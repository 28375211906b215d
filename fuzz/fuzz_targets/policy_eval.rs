//! Fuzz target: policy evaluation. The input is a policy file and a plan, split at the first
//! NUL byte (TOML and JSON text cannot hold one):
//!
//! - `POLICY \0 PLAN`: the fuzzed policy on the fuzzed plan;
//! - `\0 PLAN` (no policy text): every built-in pack on the fuzzed plan;
//! - `POLICY` (no NUL): the fuzzed policy on each small plan of `testdata/policy-lang/plans/`
//!   (read once).
//!
//! A first line `#env:NAME` (a TOML comment) runs in that environment, like `--env NAME`;
//! otherwise the environment is detected from the plan.
//!
//! A fuzzed plan goes the way `plangate check` takes it (without loading the policies beside
//! the read, as `app::load_and_check` does): `app::check` (read, graph,
//! environment, evaluation, waivers, the cost / prerequisites / diagram sections of the
//! report) and `app::gate`; a fixed plan goes through `policy::evaluate` and `Report::new`.
//! Then every report format is rendered into memory. Must never panic or hang, and a refused
//! policy or plan must come back as an error naming its file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use plangate::app::{self, FailOn, Loaded, Settings};
use plangate::config::Config;
use plangate::error::Error;
use plangate::graph::Graph;
use plangate::policy::{self, load_texts, EvalOptions, Policy, Text};
use plangate::report::{self, PlanInfo, Report, Severity};
use std::sync::OnceLock;

const POLICY_FILE: &str = "fuzz.toml";

/// The plans a fuzzed policy is evaluated on when the input has no plan.
const FIXED_PLANS: [&str; 9] = [
    "constructs.json",
    "db.json",
    "env-default-tags.json",
    "env-none.json",
    "env-resource-tags.json",
    "env-variable.json",
    "peering.json",
    "s3-unresolved.json",
    "s3.json",
];

thread_local! {
    /// The fixed plans' graphs, read once (libFuzzer runs the target on one thread).
    static FIXED: Vec<(String, Graph)> = FIXED_PLANS
        .iter()
        .map(|f| {
            let path = format!("{}/../testdata/policy-lang/plans/{f}", env!("CARGO_MANIFEST_DIR"));
            (f.to_string(), app::read_plan(&path).expect("a fixed plan reads"))
        })
        .collect();
}

/// plangate's configuration when there is no plangate.toml.
fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(Config::default)
}

/// The built-in packs, loaded once, as `plangate check` loads them without a plangate.toml.
fn builtin() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| app::load(&Settings::default()).expect("the built-in packs load"))
}

/// The fuzzed plan is written here: `app::check` reads plans from files, as the CLI does.
fn plan_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir()
            .join(format!(
                "plangate-fuzz-policy-eval-{}.json",
                std::process::id()
            ))
            .display()
            .to_string()
    })
}

/// The gate, then every report format, into memory.
fn render(report: &mut Report, policies: &[Policy]) {
    app::gate(report, policies, FailOn::Severity(Severity::Low), true);
    let mut out = Vec::new();
    let ok = "rendering into memory cannot fail";
    report::json::render(report, &mut out).expect(ok);
    report::sarif::render(
        report,
        report::sarif::Options { source_map: None },
        &mut out,
    )
    .expect(ok);
    let table = report::table::Options {
        color: false,
        verbose: true,
    };
    report::table::render(report, table, &mut out).expect(ok);
    report::junit::render(report, &mut out).expect(ok);
    report::markdown::render(report, report::markdown::Options::default(), &mut out).expect(ok);
    report::github::render(
        report,
        report::github::Options { source_map: None },
        &mut out,
    )
    .expect(ok);
}

/// A fuzzed plan, the way `plangate check` runs it.
fn check_plan(loaded: &Loaded, plan: &[u8], s: &Settings) {
    let path = plan_path();
    std::fs::write(path, plan).expect("write the plan");
    match app::check(loaded, &[path.to_string()], s) {
        Ok(mut report) => render(&mut report, &loaded.policies),
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains(plangate::plan::display_name(path)),
                "a plan was refused without naming it: {message}"
            );
        }
    }
}

/// A fuzzed policy on every fixed plan: environment, evaluation, report.
fn check_fixed(policies: &[Policy], env: Option<&str>) {
    FIXED.with(|plans| {
        for (file, g) in plans {
            let env = policy::env::detect(g, env, &config().environment);
            let opts = EvalOptions {
                env: &env,
                plan_file: file,
            };
            let findings = policy::evaluate_boxed(policies, g, &opts);
            let info = PlanInfo {
                file: file.clone(),
                terraform_version: g.meta.terraform_version.clone(),
                format_version: g.meta.format_version.clone(),
                environment: env,
                notes: Vec::new(),
            };
            let rules = policies.iter().map(policy::rule_info).collect();
            let mut report = Report::new(vec![info], rules, findings);
            render(&mut report, policies);
        }
    });
}

fuzz_target!(|bytes: &[u8]| {
    let (policy, plan) = match bytes.iter().position(|&b| b == 0) {
        Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
        None => (bytes, None),
    };
    // A policy file is UTF-8 text; reading it as a `String` refuses other bytes first.
    let Ok(policy) = std::str::from_utf8(policy) else {
        return;
    };
    let (env, body) = match policy.strip_prefix("#env:") {
        Some(rest) => {
            let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
            let env: String = line.trim().chars().take(32).collect();
            ((!env.is_empty()).then_some(env), body)
        }
        None => (None, policy),
    };

    // No policy text before a plan: the built-in packs.
    if let (true, Some(plan)) = (body.trim().is_empty(), plan) {
        let settings = Settings {
            env,
            ..Settings::default()
        };
        check_plan(builtin(), plan, &settings);
        return;
    }

    let texts = vec![Text {
        file: POLICY_FILE.to_string(),
        text: policy.to_string(),
        page: None,
        builtin: false,
    }];
    let policies = match load_texts(texts) {
        Ok(policies) => policies,
        Err(Error::Policy { problems }) => {
            assert!(!problems.is_empty(), "refused without saying why");
            for p in &problems {
                assert_eq!(p.file, POLICY_FILE, "problem does not name the file: {p}");
            }
            return;
        }
        Err(e) => panic!("a policy text failed with a non-policy error: {e}"),
    };
    assert_eq!(policies.len(), 1);
    match plan {
        Some(plan) => {
            let loaded = Loaded {
                config: config().clone(),
                policies,
            };
            let settings = Settings {
                env,
                ..Settings::default()
            };
            check_plan(&loaded, plan, &settings);
        }
        None => check_fixed(&policies, env.as_deref()),
    }
});
