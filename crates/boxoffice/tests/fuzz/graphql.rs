//! GraphQL documents generated from the served schema (read by introspection): mostly valid,
//! with arguments of the right and of the wrong type, aliases and fragments, and broken ones
//! made by cutting and splicing valid ones.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::rng::Rng;

pub const INTROSPECTION: &str = "{ __schema { queryType { name } mutationType { name } types {
  name kind possibleTypes { name }
  fields { name args { name type { ...T } } type { ...T } }
  inputFields { name type { ...T } }
  enumValues { name } } } }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

#[derive(Debug, Clone)]
enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn parse(value: &Value) -> Self {
        match value["kind"].as_str() {
            Some("NON_NULL") => Self::NonNull(Box::new(Self::parse(&value["ofType"]))),
            Some("LIST") => Self::List(Box::new(Self::parse(&value["ofType"]))),
            _ => Self::Named(value["name"].as_str().unwrap_or_default().to_owned()),
        }
    }

    fn named(&self) -> &str {
        match self {
            Self::Named(name) => name,
            Self::List(inner) | Self::NonNull(inner) => inner.named(),
        }
    }

    /// As written in a variable definition.
    fn written(&self) -> String {
        match self {
            Self::Named(name) => name.clone(),
            Self::List(inner) => format!("[{}]", inner.written()),
            Self::NonNull(inner) => format!("{}!", inner.written()),
        }
    }
}

#[derive(Debug)]
struct Input {
    name: String,
    ty: TypeRef,
}

#[derive(Debug)]
struct Field {
    name: String,
    args: Vec<Input>,
    ty: TypeRef,
}

#[derive(Debug)]
struct TypeDef {
    kind: String,
    fields: Vec<Field>,
    inputs: Vec<Input>,
    enum_values: Vec<String>,
    possible: Vec<String>,
}

pub struct Schema {
    query: String,
    mutation: Option<String>,
    types: HashMap<String, TypeDef>,
    /// Ids of real objects, so that some generated requests reach past "not found".
    pub ids: Vec<String>,
}

fn inputs(value: &Value) -> Vec<Input> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|input| Input {
            name: input["name"].as_str().unwrap_or_default().to_owned(),
            ty: TypeRef::parse(&input["type"]),
        })
        .collect()
}

impl Schema {
    pub fn from_introspection(data: &Value, ids: Vec<String>) -> Self {
        let schema = &data["__schema"];
        let types = schema["types"]
            .as_array()
            .expect("introspection types")
            .iter()
            .map(|t| {
                let fields = t["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| Field {
                        name: f["name"].as_str().unwrap_or_default().to_owned(),
                        args: inputs(&f["args"]),
                        ty: TypeRef::parse(&f["type"]),
                    })
                    .collect();
                let names = |key: &str| -> Vec<String> {
                    t[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v["name"].as_str().map(str::to_owned))
                        .collect()
                };
                let def = TypeDef {
                    kind: t["kind"].as_str().unwrap_or_default().to_owned(),
                    fields,
                    inputs: inputs(&t["inputFields"]),
                    enum_values: names("enumValues"),
                    possible: names("possibleTypes"),
                };
                (t["name"].as_str().unwrap_or_default().to_owned(), def)
            })
            .collect();
        Self {
            query: schema["queryType"]["name"]
                .as_str()
                .expect("query type")
                .to_owned(),
            mutation: schema["mutationType"]["name"].as_str().map(str::to_owned),
            types,
            ids,
        }
    }

    /// One request body: a document, its variables, sometimes a broken one.
    pub fn request(&self, rng: &mut Rng) -> Value {
        let root = match &self.mutation {
            Some(mutation) if rng.chance(40) => mutation.clone(),
            _ => self.query.clone(),
        };
        let keyword = if root == self.query {
            "query"
        } else {
            "mutation"
        };
        let mut document = Document::default();
        let selection = self.selection(rng, &root, 0, &mut document);
        let definitions = if document.variables.is_empty() {
            String::new()
        } else {
            format!("({})", document.variables.join(", "))
        };
        let mut text = format!("{keyword} Fuzz{definitions} {selection}");
        for fragment in &document.fragments {
            text.push('\n');
            text.push_str(fragment);
        }
        if rng.chance(25) {
            text = broken(rng, &text);
        }
        let variables = if rng.chance(5) {
            rng.junk_value(2)
        } else {
            Value::Object(document.values)
        };
        let mut body = json!({"query": text, "variables": variables});
        if rng.chance(5) {
            body["operationName"] = Value::String(rng.junk_string());
        }
        if rng.chance(3) {
            body = json!([body.clone(), body]);
        }
        body
    }

    fn selection(
        &self,
        rng: &mut Rng,
        type_name: &str,
        depth: usize,
        doc: &mut Document,
    ) -> String {
        let Some(def) = self.types.get(type_name) else {
            return "{ __typename }".into();
        };
        if def.kind == "UNION" || def.kind == "INTERFACE" {
            let mut parts = vec!["__typename".to_owned()];
            for possible in def.possible.iter().take(2) {
                let inner = self.selection(rng, possible, depth + 1, doc);
                parts.push(format!("... on {possible} {inner}"));
            }
            return format!("{{ {} }}", parts.join(" "));
        }
        let mut parts = vec!["__typename".to_owned()];
        let count = 1 + rng.below(4);
        for _ in 0..count {
            if def.fields.is_empty() {
                break;
            }
            let field = rng.pick(&def.fields);
            let leaf = self.is_leaf(field.ty.named());
            if !leaf && depth >= 4 {
                continue;
            }
            let mut part = String::new();
            if rng.chance(20) {
                part.push_str(&format!("a{}: ", rng.below(1_000)));
            }
            part.push_str(&field.name);
            part.push_str(&self.arguments(rng, &field.args, depth == 0, doc));
            if !leaf {
                part.push(' ');
                part.push_str(&self.selection(rng, field.ty.named(), depth + 1, doc));
            }
            if rng.chance(10) {
                let name = format!("F{}", doc.fragments.len());
                doc.fragments
                    .push(format!("fragment {name} on {type_name} {{ {part} }}"));
                part = format!("...{name}");
            } else if rng.chance(5) {
                part = format!("... on {type_name} {{ {part} }}");
            }
            parts.push(part);
        }
        format!("{{ {} }}", parts.join(" "))
    }

    fn is_leaf(&self, type_name: &str) -> bool {
        self.types
            .get(type_name)
            .is_none_or(|t| t.kind == "SCALAR" || t.kind == "ENUM")
    }

    fn arguments(&self, rng: &mut Rng, args: &[Input], top: bool, doc: &mut Document) -> String {
        let mut written = Vec::new();
        for arg in args {
            let required = matches!(arg.ty, TypeRef::NonNull(_));
            if !required && rng.chance(50) {
                continue;
            }
            if top && rng.chance(30) {
                let name = format!("v{}", doc.variables.len());
                doc.variables.push(format!("${name}: {}", arg.ty.written()));
                let value = if rng.chance(15) {
                    rng.junk_value(2)
                } else {
                    self.json_value(rng, &arg.ty, 0)
                };
                doc.values.insert(name.clone(), value);
                written.push(format!("{}: ${name}", arg.name));
            } else {
                written.push(format!("{}: {}", arg.name, self.literal(rng, &arg.ty, 0)));
            }
        }
        if written.is_empty() {
            String::new()
        } else {
            format!("({})", written.join(", "))
        }
    }

    /// A value for `ty` as JSON (for variables), sometimes of the wrong type.
    fn json_value(&self, rng: &mut Rng, ty: &TypeRef, depth: usize) -> Value {
        if rng.chance(8) || depth > 3 {
            return rng.junk_value(1);
        }
        match ty {
            TypeRef::NonNull(inner) => self.json_value(rng, inner, depth),
            TypeRef::List(inner) => Value::Array(
                (0..rng.below(4))
                    .map(|_| self.json_value(rng, inner, depth + 1))
                    .collect(),
            ),
            TypeRef::Named(name) => match self.types.get(name) {
                Some(def) if def.kind == "ENUM" => {
                    Value::String(rng.pick(&def.enum_values).clone())
                }
                Some(def) if def.kind == "INPUT_OBJECT" => {
                    let mut object = serde_json::Map::new();
                    for input in &def.inputs {
                        if matches!(input.ty, TypeRef::NonNull(_)) || rng.chance(50) {
                            let value = self.json_value(rng, &input.ty, depth + 1);
                            object.insert(input.name.clone(), value);
                        }
                    }
                    Value::Object(object)
                }
                _ => self.scalar(rng, name),
            },
        }
    }

    fn scalar(&self, rng: &mut Rng, name: &str) -> Value {
        match name {
            "Int" => {
                if rng.chance(50) {
                    json!(rng.below(12))
                } else {
                    rng.edge_number()
                }
            }
            "Float" => json!(rng.below(1000) as f64 / 7.0),
            "Boolean" => json!(rng.chance(50)),
            "ID" | "UUID" if !self.ids.is_empty() && rng.chance(60) => {
                Value::String(rng.pick(&self.ids).clone())
            }
            _ => Value::String(seatish_or_junk(rng)),
        }
    }

    /// The same as [`Self::json_value`], written as a GraphQL literal.
    fn literal(&self, rng: &mut Rng, ty: &TypeRef, depth: usize) -> String {
        if let TypeRef::Named(name) = ty
            && self.types.get(name).is_some_and(|d| d.kind == "ENUM")
            && rng.chance(90)
        {
            let def = &self.types[name];
            return rng.pick(&def.enum_values).clone();
        }
        let value = self.json_value(rng, ty, depth);
        to_literal(&value, self.types.get(ty.named()), self)
    }
}

fn seatish_or_junk(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!(
            "{}-{}",
            char::from(b'A' + rng.below(26) as u8),
            rng.below(40)
        ),
        1 => (2020 + rng.below(10)).to_string() + "-12-24T20:00:00Z",
        _ => rng.junk_string(),
    }
}

/// JSON as a GraphQL literal; object keys that are not names are dropped (they would not
/// parse, and broken documents are made on purpose elsewhere).
fn to_literal(value: &Value, def: Option<&TypeDef>, schema: &Schema) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match def {
            Some(d) if d.kind == "ENUM" && d.enum_values.contains(s) => s.clone(),
            _ => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
        },
        Value::Array(items) => {
            let items: Vec<_> = items.iter().map(|i| to_literal(i, def, schema)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let fields: Vec<_> = map
                .iter()
                .filter(|(k, _)| is_name(k))
                .map(|(k, v)| {
                    let inner = def
                        .and_then(|d| d.inputs.iter().find(|i| &i.name == k))
                        .and_then(|i| schema.types.get(i.ty.named()));
                    format!("{k}: {}", to_literal(v, inner, schema))
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Default)]
struct Document {
    variables: Vec<String>,
    values: serde_json::Map<String, Value>,
    fragments: Vec<String>,
}

/// A valid document cut, spliced or salted with punctuation.
fn broken(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(3) {
        if chars.is_empty() {
            break;
        }
        let at = rng.below(chars.len());
        match rng.below(6) {
            0 => chars.truncate(at),
            1 => {
                let end = (at + rng.below(20)).min(chars.len());
                chars.drain(at..end);
            }
            2 => {
                let token = *rng.pick(&[
                    "{",
                    "}",
                    "(",
                    ")",
                    ":",
                    "$",
                    "...",
                    "@skip",
                    "\"",
                    "\\",
                    "#",
                    "\u{0}",
                    "!",
                    "[",
                    "]",
                    "fragment",
                    "on",
                    "__schema",
                    "{{{{{{{{{{",
                ]);
                chars.splice(at..at, token.chars());
            }
            3 => {
                let end = (at + rng.below(40)).min(chars.len());
                let span: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, span.iter().cycle().take(span.len() * 20).copied());
            }
            4 => {
                let other = rng.below(chars.len());
                chars.swap(at, other);
            }
            _ => {
                let nested = "{ a: __typename ".repeat(200) + &"}".repeat(200);
                chars.splice(at..at, nested.chars());
            }
        }
    }
    chars.into_iter().collect()
}
