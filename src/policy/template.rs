//! Templates: strings with `{placeholders}`, parsed once at load.
//!
//! Messages may name the instance (`{address}`, `{type}`, `{name}`, `{module}`, `{action}`),
//! the run (`{env}`, `{id}`, `{title}`, `{severity}`), the outcome (`{value}`, `{path}`,
//! `{detail}`, `{related}`), parameters (`{params.x}`), the instance's values
//! (`{values.tags.Name}`), its metadata (`{meta.replace_paths}`) and root variables
//! (`{var.x}`). Operand values may use only
//! `{params.x}`, `{var.x}` and `{env}`; JSONPaths only `{params.x}`. `{{` and `}}` write
//! literal braces.

use super::path::JsonPath;

/// One placeholder.
#[derive(Debug, Clone)]
pub enum Placeholder {
    Address,
    Type,
    Name,
    Module,
    Action,
    Env,
    Id,
    Title,
    Severity,
    Value,
    Path,
    Detail,
    Related,
    Param(String),
    Values(Box<JsonPath>),
    Meta(Box<JsonPath>),
    Var(String),
}

/// Where a template is used, which decides the placeholders it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Message,
    Value,
    /// A JSONPath (`path`, `value_path`): only parameters, filled at load for every
    /// environment.
    Path,
}

const MESSAGE_NAMES: &str = "address, type, name, module, action, env, id, title, severity, value, path, detail, related, params.NAME, values.PATH, meta.PATH, var.NAME";
const VALUE_NAMES: &str = "params.NAME, var.NAME, env";

#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Hole(Placeholder),
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parse; the error says which placeholder is wrong and what is allowed.
    pub fn parse(s: &str, ctx: Context) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|x| x.1) == Some('{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().map(|x| x.1) == Some('}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let rest = &s[i + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err(format!(
                            "unclosed `{{` in {s:?}; write `{{{{` for a literal brace"
                        ));
                    };
                    let name = &rest[..end];
                    for _ in 0..name.chars().count() + 1 {
                        chars.next();
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Hole(placeholder(name.trim(), ctx)?));
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` in {s:?}; write `}}}}` for a literal brace"
                    ))
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    /// True when the string has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The placeholder, when the template is exactly one (`"{params.allowed}"`): its value
    /// keeps its type (a list stays a list).
    pub fn single(&self) -> Option<&Placeholder> {
        match self.parts.as_slice() {
            [Part::Hole(p)] => Some(p),
            _ => None,
        }
    }

    /// Every placeholder, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole(h) => Some(h),
            Part::Lit(_) => None,
        })
    }

    /// Fill the placeholders.
    pub fn render(&self, fill: &dyn Fn(&Placeholder) -> String) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Hole(h) => s.push_str(&fill(h)),
            }
        }
        s
    }
}

fn placeholder(name: &str, ctx: Context) -> Result<Placeholder, String> {
    let (head, tail) = match name.split_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (name, None),
    };
    let p = match (head, tail) {
        ("params", Some(t)) if !t.is_empty() => Placeholder::Param(t.to_string()),
        _ if ctx == Context::Path => {
            return Err(format!(
                "unknown placeholder `{{{name}}}` in a path; paths may use params.NAME (write `{{{{` and `}}}}` for literal braces)"
            ))
        }
        ("var", Some(t)) if !t.is_empty() => Placeholder::Var(t.to_string()),
        ("env", None) => Placeholder::Env,
        _ if ctx == Context::Value => {
            return Err(format!(
                "unknown placeholder `{{{name}}}` in a value; values may use {VALUE_NAMES}"
            ))
        }
        ("values" | "meta", Some(t)) if !t.is_empty() => {
            let jp = JsonPath::parse(&format!("$.{t}")).map_err(|e| {
                format!("`{{{name}}}` is not a valid attribute path: {}", e.message)
            })?;
            if head == "meta" {
                Placeholder::Meta(Box::new(jp))
            } else {
                Placeholder::Values(Box::new(jp))
            }
        }
        ("address", None) => Placeholder::Address,
        ("type", None) => Placeholder::Type,
        ("name", None) => Placeholder::Name,
        ("module", None) => Placeholder::Module,
        ("action", None) => Placeholder::Action,
        ("id", None) => Placeholder::Id,
        ("title", None) => Placeholder::Title,
        ("severity", None) => Placeholder::Severity,
        ("value", None) => Placeholder::Value,
        ("path", None) => Placeholder::Path,
        ("detail", None) => Placeholder::Detail,
        ("related", None) => Placeholder::Related,
        _ => {
            let hint = super::suggest::closest(
                head,
                [
                    "address", "type", "name", "module", "action", "env", "id", "title",
                    "severity", "value", "path", "detail", "related", "params", "values", "meta",
                    "var",
                ],
            )
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
            return Err(format!(
                "unknown placeholder `{{{name}}}`{hint}; messages may use {MESSAGE_NAMES}"
            ));
        }
    };
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(p: &Placeholder) -> String {
        match p {
            Placeholder::Address => "aws_db_instance.a".into(),
            Placeholder::Param(n) => format!("<{n}>"),
            _ => "?".into(),
        }
    }

    #[test]
    fn renders_and_escapes() {
        let t = Template::parse(
            "{address} uses {params.allowed} {{literal}}",
            Context::Message,
        )
        .unwrap();
        assert_eq!(
            t.render(&fill),
            "aws_db_instance.a uses <allowed> {literal}"
        );
        assert!(Template::parse("{params.allowed}", Context::Value)
            .unwrap()
            .single()
            .is_some());
        assert!(Template::parse("plain", Context::Value)
            .unwrap()
            .is_literal());
    }

    #[test]
    fn rejects_unknown_names() {
        let e = Template::parse("{adress}", Context::Message).unwrap_err();
        assert!(
            e.starts_with("unknown placeholder `{adress}` (did you mean `address`?)"),
            "{e}"
        );
        let e = Template::parse("{address}", Context::Value).unwrap_err();
        assert!(e.contains("values may use params.NAME"), "{e}");
        let e = Template::parse("$['{var.x}']", Context::Path).unwrap_err();
        assert!(e.contains("paths may use params.NAME"), "{e}");
        assert!(Template::parse("$['{params.x}']", Context::Path).is_ok());
        assert!(Template::parse("{oops", Context::Message)
            .unwrap_err()
            .starts_with("unclosed"));
        assert!(Template::parse("a } b", Context::Message).is_err());
    }
}
