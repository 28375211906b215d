//! Terraform addresses and reference strings, parsed once into typed values.
//!
//! Instance addresses look like `module.net["a"].module.sub[0].aws_route.r["x y"]`; reference
//! strings in `configuration` look like `aws_vpc.main.id`, `module.m[0].out`, `var.m["k"]`,
//! `data.t.n.attr`, `local.x`, `each.key`. Keys are JSON-quoted strings and may contain dots
//! and brackets, so splitting on `.` is not enough.

use serde_json::Value;
use std::fmt;

/// A `count` index or a `for_each` key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Index {
    Num(i64),
    Key(String),
}

impl Index {
    /// The `index` field of a plan resource (number for count, string for for_each).
    pub fn from_json(v: &Value) -> Option<Index> {
        match v {
            Value::Number(n) => n.as_i64().map(Index::Num),
            Value::String(s) => Some(Index::Key(s.clone())),
            _ => None,
        }
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Index::Num(n) => write!(f, "[{n}]"),
            Index::Key(k) => write!(
                f,
                "[{}]",
                serde_json::to_string(k).unwrap_or_else(|_| format!("\"{k}\""))
            ),
        }
    }
}

/// One step of a traversal: `.name` or `[index]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Name(String),
    Index(Index),
    /// An index Terraform could not write down (`[each.key]`, `[*]`): dynamic.
    Dynamic,
}

/// Split an address or reference into steps; `None` when it is not well formed.
pub fn steps(s: &str) -> Option<Vec<Step>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => i += 1,
            b'[' => {
                let (step, next) = bracket(s, i)?;
                out.push(step);
                i = next;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                    i += 1;
                }
                out.push(Step::Name(s[start..i].to_string()));
            }
        }
    }
    Some(out)
}

/// Parse `[...]` starting at `open`; returns the step and the position after `]`.
fn bracket(s: &str, open: usize) -> Option<(Step, usize)> {
    let b = s.as_bytes();
    let i = open + 1;
    if b.get(i) == Some(&b'"') {
        // A JSON string: find its closing quote, honouring escapes.
        let mut j = i + 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                b'"' => break,
                _ => j += 1,
            }
        }
        let key: String = serde_json::from_str(s.get(i..=j)?).ok()?;
        if b.get(j + 1) != Some(&b']') {
            return None;
        }
        return Some((Step::Index(Index::Key(key)), j + 2));
    }
    let close = i + s[i..].find(']')?;
    let inner = &s[i..close];
    let step = match inner.parse::<i64>() {
        Ok(n) => Step::Index(Index::Num(n)),
        Err(_) => Step::Dynamic,
    };
    Some((step, close + 1))
}

/// A module instance step: `module.NAME[INDEX]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleStep {
    pub name: String,
    pub index: Option<Index>,
}

/// A parsed resource instance address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceAddress {
    pub module: Vec<ModuleStep>,
    pub data: bool,
    pub type_: String,
    pub name: String,
    pub index: Option<Index>,
}

impl InstanceAddress {
    pub fn parse(s: &str) -> Option<InstanceAddress> {
        let st = steps(s)?;
        let mut it = st.into_iter().peekable();
        let mut module = Vec::new();
        loop {
            match it.peek() {
                Some(Step::Name(n)) if n == "module" => {
                    it.next();
                    let Some(Step::Name(name)) = it.next() else {
                        return None;
                    };
                    let index = match it.peek() {
                        Some(Step::Index(_)) => match it.next() {
                            Some(Step::Index(i)) => Some(i),
                            _ => None,
                        },
                        _ => None,
                    };
                    module.push(ModuleStep { name, index });
                }
                _ => break,
            }
        }
        let mut data = false;
        let mut first = match it.next()? {
            Step::Name(n) => n,
            _ => return None,
        };
        if first == "data" {
            data = true;
            first = match it.next()? {
                Step::Name(n) => n,
                _ => return None,
            };
        }
        let Some(Step::Name(name)) = it.next() else {
            return None;
        };
        let index = match it.next() {
            Some(Step::Index(i)) => Some(i),
            None => None,
            _ => return None,
        };
        if it.next().is_some() {
            return None;
        }
        Some(InstanceAddress {
            module,
            data,
            type_: first,
            name,
            index,
        })
    }

    /// `module.a["x"].module.b` — the module instance part of the address.
    pub fn module_instance(&self) -> String {
        module_instance_string(&self.module)
    }

    /// `module.a.module.b` — the module part without instance keys.
    pub fn module_config(&self) -> String {
        module_config_string(self.module.iter().map(|m| m.name.as_str()))
    }

    /// `aws_vpc.main` or `data.aws_vpc.main`: the resource within its module, no index.
    pub fn resource_key(&self) -> String {
        resource_key(self.data, &self.type_, &self.name)
    }
}

pub fn resource_key(data: bool, type_: &str, name: &str) -> String {
    if data {
        format!("data.{type_}.{name}")
    } else {
        format!("{type_}.{name}")
    }
}

pub fn module_instance_string(m: &[ModuleStep]) -> String {
    let mut s = String::new();
    for step in m {
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str("module.");
        s.push_str(&step.name);
        if let Some(i) = &step.index {
            // Written in place: a string per step was a third of the cost of this function.
            let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{i}"));
        }
    }
    s
}

pub fn module_config_string<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::new();
    for n in names {
        if !s.is_empty() {
            s.push('.');
        }
        s.push_str("module.");
        s.push_str(n);
    }
    s
}

/// What a reference string in `configuration` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `aws_vpc.main[0].id`, `data.aws_vpc.x.id`
    Resource {
        data: bool,
        type_: String,
        name: String,
        index: Option<IndexRef>,
    },
    /// `module.m["k"].out`; `output` is absent in the object-only form.
    Module {
        name: String,
        index: Option<IndexRef>,
        output: Option<String>,
    },
    /// `var.x`
    Var(String),
    /// `local.x`
    Local(String),
    /// `count.index`, `each.key`, `each.value`
    Repetition,
    /// `path.module`, `terraform.workspace`, `self.x`, and others that name no object.
    Other,
}

/// An index in a reference: literal, or written as an expression Terraform did not evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexRef {
    Known(Index),
    Dynamic,
}

impl Reference {
    pub fn parse(s: &str) -> Option<Reference> {
        let st = steps(s)?;
        let name = |i: usize| match st.get(i) {
            Some(Step::Name(n)) => Some(n.clone()),
            _ => None,
        };
        let index = |i: usize| match st.get(i) {
            Some(Step::Index(ix)) => Some(IndexRef::Known(ix.clone())),
            Some(Step::Dynamic) => Some(IndexRef::Dynamic),
            _ => None,
        };
        let head = name(0)?;
        Some(match head.as_str() {
            "var" => Reference::Var(name(1)?),
            "local" => Reference::Local(name(1)?),
            "count" | "each" => Reference::Repetition,
            "path" | "terraform" | "self" | "tofu" => Reference::Other,
            "module" => {
                let m = name(1)?;
                let idx = index(2);
                let out_at = if idx.is_some() { 3 } else { 2 };
                Reference::Module {
                    name: m,
                    index: idx,
                    output: name(out_at),
                }
            }
            "data" => Reference::Resource {
                data: true,
                type_: name(1)?,
                name: name(2)?,
                index: index(3),
            },
            _ => Reference::Resource {
                data: false,
                type_: head,
                name: name(1)?,
                index: index(2),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_address_with_modules_and_keys() {
        let a = InstanceAddress::parse(r#"module.net["a.b"].module.sub[0].aws_route.r["x[1]"]"#)
            .unwrap();
        assert_eq!(a.module_instance(), r#"module.net["a.b"].module.sub[0]"#);
        assert_eq!(a.module_config(), "module.net.module.sub");
        assert_eq!(a.resource_key(), "aws_route.r");
        assert_eq!(a.index, Some(Index::Key("x[1]".into())));
        let d = InstanceAddress::parse("data.aws_vpc.peer").unwrap();
        assert!(d.data);
        assert_eq!(d.resource_key(), "data.aws_vpc.peer");
    }

    #[test]
    fn references_of_every_form() {
        assert_eq!(
            Reference::parse("aws_s3_bucket.this[0].id"),
            Some(Reference::Resource {
                data: false,
                type_: "aws_s3_bucket".into(),
                name: "this".into(),
                index: Some(IndexRef::Known(Index::Num(0)))
            })
        );
        assert_eq!(
            Reference::parse(r#"module.lz[0].buckets"#),
            Some(Reference::Module {
                name: "lz".into(),
                index: Some(IndexRef::Known(Index::Num(0))),
                output: Some("buckets".into())
            })
        );
        assert_eq!(
            Reference::parse(r#"var.logging["target"]"#),
            Some(Reference::Var("logging".into()))
        );
        assert_eq!(Reference::parse("each.key"), Some(Reference::Repetition));
        assert_eq!(
            Reference::parse("module.vpc"),
            Some(Reference::Module {
                name: "vpc".into(),
                index: None,
                output: None
            })
        );
        assert_eq!(
            Reference::parse("aws_vpc.main[each.key].id"),
            Some(Reference::Resource {
                data: false,
                type_: "aws_vpc".into(),
                name: "main".into(),
                index: Some(IndexRef::Dynamic)
            })
        );
    }
}
