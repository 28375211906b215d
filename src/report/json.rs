//! JSON report: the versioned contract of `docs/json-report.md` (`schema_version`, top-level
//! `findings`, `summary`, `plans`, `rules`).

use super::Report;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Doc<'a> {
    tool: Tool,
    #[serde(flatten)]
    report: &'a Report,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let doc = Doc {
        tool: Tool {
            name: "plangate",
            version: env!("CARGO_PKG_VERSION"),
        },
        report,
    };
    // serde_json writes token by token: buffered here, those are copies rather than calls
    // through `dyn Write`.
    let mut w = io::BufWriter::with_capacity(64 * 1024, w);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    writeln!(w)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn json_has_the_contract_keys() {
        let mut buf = Vec::new();
        render(&sample(), &mut buf).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["schema_version"], "1");
        assert_eq!(v["findings"][0]["rule"], "cost.oversized-database-class");
        assert_eq!(v["findings"][0]["status"], "fail");
        assert_eq!(v["findings"][0]["resource"], "aws_db_instance.main");
        assert_eq!(v["findings"][1]["evidence"][0]["redacted"], true);
        assert!(v["findings"][1]["evidence"][0].get("value").is_none());
        assert_eq!(v["summary"]["failed"], 1);
    }
}
