//! Turns the operation rows into OpenAPI path items: one operation per method, parameters in
//! the query for GET and in a urlencoded or multipart body for POST, the security each access
//! kind allows, and the answers of each kind.

use serde_json::{json, Map, Value};

use super::components::TOKEN_SCHEMES;
use super::model::{Access, Answer, In, Method, Op, Param, Tag, Ty};

/// `paths` of the document. Rows sharing a path (one per method) share a path item.
pub fn paths<'a>(ops: impl Iterator<Item = &'a Op>) -> Map<String, Value> {
    let mut paths = Map::new();
    for op in ops {
        let item = paths
            .entry(op.path)
            .or_insert_with(|| Value::Object(Map::new()));
        for &method in op.methods {
            let id = if op.methods.len() == 1 {
                op.id.to_string()
            } else {
                format!("{}{}", op.id, capitalized(method.key()))
            };
            item[method.key()] = operation(op, method, id);
        }
    }
    paths
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn operation(op: &Op, method: Method, id: String) -> Value {
    let params: Vec<&Param> = op.params.iter().flat_map(|group| group.iter()).collect();
    let in_body = method != Method::Get && !matches!(op.answer, Answer::Proxied);
    let mut parameters: Vec<Value> = params
        .iter()
        .filter(|p| !(in_body && p.place == In::Field))
        .map(|p| parameter(p))
        .collect();
    let mut fields: Vec<&Param> = params
        .iter()
        .copied()
        .filter(|p| in_body && p.place == In::Field)
        .collect();
    // The Sharing parameters every resource reads.
    let (f, token) = shared_fields(op);
    if in_body {
        fields.extend(f.iter().chain(token.iter()));
    } else {
        if f.is_some() {
            parameters.push(json!({ "$ref": format!("#/components/parameters/{}", f_ref(op)) }));
        }
        if token.is_some() {
            parameters.push(json!({ "$ref": "#/components/parameters/token" }));
        }
    }
    let mut value = json!({
        "operationId": id,
        "summary": op.summary,
        "tags": [tag_name(op.tag)],
        "security": security(op.access),
        "responses": responses(op.answer),
    });
    if !parameters.is_empty() {
        value["parameters"] = Value::Array(parameters);
    }
    if !fields.is_empty() {
        value["requestBody"] = form_body(&fields);
    } else if matches!(op.answer, Answer::SecretScanning) {
        value["requestBody"] = json!({
            "required": true,
            "description": "GitHub's report, signed: `[{\"token\",\"type\",\"url\",\"source\"}]` (at most 1,000 entries, 1 MiB).",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SecretScanningReport" } } },
        });
    } else if matches!(op.answer, Answer::Proxied) && method != Method::Get {
        value["requestBody"] = json!({
            "required": false,
            "description": "Forwarded to the upstream as sent (streamed).",
            "content": { "*/*": { "schema": {} } },
        });
    }
    value
}

const F: Param = Param {
    name: "f",
    place: In::Field,
    required: false,
    ty: Ty::OneOf(&["json", "pjson"]),
    doc: "Answer format: `pjson` indents the JSON.",
};
const F_OR_CSV: Param = Param {
    ty: Ty::OneOf(&["json", "pjson", "csv"]),
    doc: "Answer format: `json` (default), `pjson` (indented) or `csv`.",
    ..F
};
const TOKEN: Param = Param {
    name: "token",
    place: In::Field,
    required: false,
    ty: Ty::Text,
    doc: "The token or API key (or send it in a header, see the security schemes).",
};

/// `f` on Sharing answers; `token` where a token is read and the row does not name it.
fn shared_fields(op: &Op) -> (Option<Param>, Option<Param>) {
    let f = match op.answer {
        Answer::Sharing(_) => Some(F),
        Answer::SharingOrCsv(_) => Some(F_OR_CSV),
        _ => None,
    };
    let names_token = op
        .params
        .iter()
        .flat_map(|g| g.iter())
        .any(|p| p.name == "token");
    let reads_token = matches!(op.access, Access::OptionalToken | Access::Token);
    (f, (reads_token && !names_token).then_some(TOKEN))
}

fn f_ref(op: &Op) -> &'static str {
    match op.answer {
        Answer::SharingOrCsv(_) => "fOrCsv",
        _ => "f",
    }
}

fn parameter(p: &Param) -> Value {
    let place = match p.place {
        In::Path => "path",
        In::Field => "query",
        In::Header => "header",
    };
    json!({
        "name": p.name,
        "in": place,
        "required": p.required,
        "description": p.doc,
        "schema": schema(p.ty),
    })
}

fn schema(ty: Ty) -> Value {
    match ty {
        Ty::Text => json!({ "type": "string" }),
        Ty::Integer => json!({ "type": "integer" }),
        Ty::Boolean => json!({ "type": "boolean" }),
        Ty::Millis => {
            json!({ "type": "integer", "format": "int64", "description": "Epoch milliseconds." })
        }
        Ty::Json => json!({ "type": "string", "contentMediaType": "application/json" }),
        Ty::List => json!({
            "type": "string",
            "description": "A JSON array or a comma-separated list.",
        }),
        Ty::OneOf(values) => json!({ "type": "string", "enum": values }),
    }
}

/// A POST's fields, as `application/x-www-form-urlencoded` or `multipart/form-data` (file
/// parts are accepted and ignored); the query may carry them too.
fn form_body(fields: &[&Param]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in fields {
        let mut property = schema(p.ty);
        property["description"] = json!(p.doc);
        properties.insert(p.name.to_string(), property);
        if p.required {
            required.push(p.name);
        }
    }
    let mut body_schema = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        body_schema["required"] = json!(required);
    }
    json!({
        "required": !required.is_empty(),
        "content": {
            "application/x-www-form-urlencoded": { "schema": body_schema.clone() },
            "multipart/form-data": { "schema": body_schema },
        },
    })
}

fn security(access: Access) -> Value {
    let schemes: Vec<Value> = TOKEN_SCHEMES.iter().map(|s| json!({ *s: [] })).collect();
    match access {
        Access::Open | Access::Credentials => json!([]),
        // `{}` first: the request may carry no token at all.
        Access::OptionalToken => {
            let mut all = vec![json!({})];
            all.extend(schemes);
            Value::Array(all)
        }
        Access::Token | Access::Key => Value::Array(schemes),
    }
}

fn json_of(schema: &str) -> Value {
    json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } })
}

fn responses(answer: Answer) -> Value {
    let sharing = |text: &str| {
        json!({
            "description": format!("{text} Errors are HTTP 200 too, with the ArcGIS error envelope."),
            "content": { "application/json": { "schema": { "anyOf": [
                { "$ref": "#/components/schemas/SharingAnswer" },
                { "$ref": "#/components/schemas/ErrorEnvelope" },
            ] } } },
        })
    };
    let html = |text: &str| json!({ "description": text, "content": { "text/html": { "schema": { "type": "string" } } } });
    match answer {
        Answer::Sharing(text) => json!({ "200": sharing(text) }),
        Answer::SharingOrCsv(text) => {
            let mut ok = sharing(text);
            ok["content"]["text/csv"] = json!({ "schema": { "type": "string" } });
            json!({ "200": ok })
        }
        Answer::Verdict => {
            let refused =
                |text: &str| json!({ "description": text, "content": json_of("VerifyRefused") });
            json!({
                "200": { "description": "Allowed; `X-Keyportal-Client-Id` and `X-Keyportal-Owner` name the credential.", "content": json_of("VerifyAllowed") },
                "400": refused("Bad input."),
                "401": refused("No key, or an invalid one."),
                "403": refused("A valid key without the service, privilege or item."),
                "429": refused("Over a rate limit or quota; `Retry-After` says when to retry."),
            })
        }
        Answer::Proxied => {
            let error =
                |text: &str| json!({ "description": text, "content": json_of("ProxyError") });
            json!({
                "default": { "description": "The upstream's answer, streamed. The method, the rest of the path, the query (without `token`), the body and the safe headers are forwarded." },
                "401": error("No token or key, or an invalid one."),
                "403": error("Not allowed, or the upstream is not on the allow-list."),
                "404": error("Not proxied."),
                "413": error("The request body is too large."),
                "429": error("Rate-limited (`Retry-After`)."),
                "502": error("The upstream is unreachable."),
                "504": error("The upstream was silent too long."),
            })
        }
        Answer::Probe(text) => json!({
            "200": { "description": text, "content": json_of("Probe") },
            "503": { "description": "Not live or not ready: `{\"status\":\"unavailable\",\"reason\"}`.", "content": json_of("Probe") },
        }),
        Answer::Page(text) => json!({ "200": html(text) }),
        Answer::SigninRedirect => json!({
            "302": { "description": "Signed in: a redirect to the app's `redirect_uri` with the code or token." },
            "200": html("The sign-in page again, with the message (wrong password, locked out)."),
            "400": html("An altered or expired `oauth_state`."),
        }),
        Answer::SecretScanning => {
            let message =
                |text: &str| json!({ "description": text, "content": json_of("Message") });
            json!({
                "200": { "description": "Each token's SHA-256 and type, labelled `true_positive` when it was a live key (now revoked).", "content": json_of("SecretScanningLabels") },
                "400": message("A signed body that is not a report (or over 1,000 tokens)."),
                "401": message("A missing or bad signature: nothing was revoked."),
                "404": message("No `--secret-scanning-keys` file is configured."),
                "413": message("The body is larger than 1 MiB."),
            })
        }
        Answer::Stylesheet => {
            json!({ "200": { "description": "CSS.", "content": { "text/css": { "schema": { "type": "string" } } } } })
        }
        Answer::Document => {
            json!({ "200": { "description": "The OpenAPI 3.1 document.", "content": { "application/json": { "schema": { "type": "object" } } } } })
        }
    }
}

pub fn tag_name(tag: Tag) -> &'static str {
    match tag {
        Tag::Portal => "Portal",
        Tag::Tokens => "Tokens",
        Tag::OAuth => "OAuth sign-in",
        Tag::Members => "Members",
        Tag::Roles => "Roles",
        Tag::Content => "Content",
        Tag::Sharing => "Sharing",
        Tag::Groups => "Groups",
        Tag::Credentials => "Developer credentials",
        Tag::Usage => "Usage and limits",
        Tag::Events => "Events",
        Tag::Proxy => "Service proxy",
        Tag::Operations => "Operations",
    }
}
