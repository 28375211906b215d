//! `check = "no-delete"`: fails when the plan deletes or replaces the instance, naming the
//! attribute changes that force a replacement (`replace_paths`) and Terraform's reason.

use super::{Check, CheckInput};
use crate::graph::Action;
use crate::policy::tri::{Fact, Tri, Verdict};
use serde_json::Value;

pub struct NoDelete;

fn path_text(p: &[Value]) -> String {
    let mut s = String::new();
    for step in p {
        match step {
            Value::String(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Value::Number(n) => s.push_str(&format!("[{n}]")),
            other => s.push_str(&format!("[{other}]")),
        }
    }
    s
}

impl Check for NoDelete {
    fn name(&self) -> &'static str {
        "no-delete"
    }

    fn summary(&self) -> &'static str {
        "fails when the plan deletes or replaces the instance, naming the attributes that force the replacement (replace_paths) and Terraform's reason"
    }

    fn evaluate(&self, input: &CheckInput<'_>) -> Verdict {
        let node = input.graph.node(input.node);
        let verb = match node.action {
            Action::Delete => "delete",
            Action::Replace => "replace",
            _ => {
                return Verdict::fact(
                    Tri::True,
                    Fact::text(format!(
                        "{} is not deleted ({})",
                        node.address,
                        node.action.as_str()
                    )),
                )
            }
        };
        let mut text = format!("this plan would {verb} {}", node.address);
        if !node.replace_paths.is_empty() {
            let paths: Vec<String> = node.replace_paths.iter().map(|p| path_text(p)).collect();
            text.push_str(&format!(
                "; the change of {} forces the replacement",
                paths.join(", ")
            ));
        }
        if let Some(reason) = &node.action_reason {
            match reason_text(reason) {
                Some(why) => text.push_str(&format!(" ({why}; Terraform's reason: {reason})")),
                None => text.push_str(&format!(" (Terraform's reason: {reason})")),
            }
        }
        Verdict::fact(Tri::False, Fact::text(text))
    }
}

/// Terraform's `action_reason` in words (`docs/internals/json-format`, resource changes).
fn reason_text(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "replace_because_cannot_update" => "an attribute that cannot change in place changed",
        "replace_because_tainted" => "the object is tainted",
        "replace_by_request" => "-replace asked for it",
        "replace_by_triggers" => "replace_triggered_by fired",
        "delete_because_no_resource_config" => "the resource is no longer in the configuration",
        "delete_because_no_module" => "its module is no longer in the configuration",
        "delete_because_wrong_repetition" => "count or for_each was added or removed",
        "delete_because_count_index" => "its count index is out of range",
        "delete_because_each_key" => "its for_each key is gone",
        "delete_because_no_move_target" => "a moved block points at nothing",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_reasons_read_as_text() {
        let p = vec![
            Value::from("route"),
            Value::from(0),
            Value::from("cidr_block"),
        ];
        assert_eq!(path_text(&p), "route[0].cidr_block");
        assert_eq!(
            reason_text("delete_because_no_resource_config"),
            Some("the resource is no longer in the configuration")
        );
        assert_eq!(reason_text("something_new"), None);
    }
}
