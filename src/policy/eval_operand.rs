//! Operands at evaluation: templates filled with parameters, variables and the environment
//! (once per run), and `value_path` operands read from the graph (per instance).

use super::template::{Context, Placeholder, Template};
use serde_json::Value;

/// Fill every string of `raw` that holds placeholders. A string that is exactly one
/// placeholder takes the placeholder's value with its type (a list stays a list); otherwise
/// values are rendered into the text.
pub fn fill(
    raw: &Value,
    get: &dyn Fn(&Placeholder) -> Result<Value, String>,
) -> Result<Value, String> {
    Ok(match raw {
        Value::String(s) => {
            let t = Template::parse(s, Context::Value)?;
            if let Some(p) = t.single() {
                get(p)?
            } else {
                for p in t.placeholders() {
                    get(p)?;
                }
                let text = t.render(&|p| match get(p) {
                    Ok(Value::String(s)) => s,
                    Ok(Value::Array(a)) => a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Ok(v) => v.to_string(),
                    Err(_) => String::new(),
                });
                Value::String(text)
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, get)).collect::<Result<_, _>>()?),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| fill(x, get).map(|v| (k.clone(), v)))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_placeholders_keep_their_type() {
        let get = |p: &Placeholder| match p {
            Placeholder::Param(n) if n == "allowed" => Ok(json!(["db.t3.*", "db.t4g.*"])),
            Placeholder::Var(n) if n == "suffix" => Ok(json!("dev")),
            Placeholder::Var(n) => Err(format!("variable `{n}` is not in the plan")),
            _ => Ok(Value::Null),
        };
        assert_eq!(
            fill(&json!("{params.allowed}"), &get).unwrap(),
            json!(["db.t3.*", "db.t4g.*"])
        );
        assert_eq!(
            fill(&json!("app-{var.suffix}"), &get).unwrap(),
            json!("app-dev")
        );
        assert_eq!(
            fill(&json!(["{var.suffix}", 1]), &get).unwrap(),
            json!(["dev", 1])
        );
        assert_eq!(
            fill(&json!("{var.nope}"), &get).unwrap_err(),
            "variable `nope` is not in the plan"
        );
    }
}
