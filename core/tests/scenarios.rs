//! The shared scenarios of `testdata/scenarios/*.json` (format in its README), run through the
//! client's public API against a real local server: `NOORLE_BASE_URL` / `NOORLE_DEV_ROOT_KEY`
//! when the harness sets them, else one started in-process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::PathBuf;

use noorle::models::*;
use noorle::{ApiKey, Client, ErrorKind, Method, RequestOptions};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

type Outcome = Result<(Value, Vec<String>), noorle::Error>;

/// The kind named in a scenario and the `ErrorKind` an error of that kind must have.
const KINDS: &[(&str, ErrorKind)] = &[
    ("authentication", ErrorKind::Authentication),
    ("permission_denied", ErrorKind::PermissionDenied),
    ("not_found", ErrorKind::NotFound),
    ("conflict", ErrorKind::Conflict),
    ("validation", ErrorKind::Validation),
    ("rate_limited", ErrorKind::RateLimited),
    ("server", ErrorKind::Server),
    ("connection", ErrorKind::Connection),
    ("timeout", ErrorKind::Timeout),
    ("config", ErrorKind::Config),
];

fn params<T: DeserializeOwned>(a: &Value) -> T {
    serde_json::from_value(a.clone()).expect("the step's args fit the op's parameters")
}

fn id(a: &Value) -> String {
    a["id"].as_str().expect("args.id").to_owned()
}

fn shown<T: Debug>(v: &T) -> Vec<String> {
    vec![format!("{v:?}"), format!("{v:#?}")]
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn key_json(k: &ApiKey) -> Value {
    let s = k.expose_secret();
    json!({"value": s, "access_id": &s[3..35], "secret": &s[35..]})
}

fn page_json<T: Serialize>(p: &Page<T>) -> Value {
    json!({"items": to_json(&p.items), "total": p.total, "limit": p.limit, "offset": p.offset})
}

fn created_json(c: &CreatedApiKey) -> (Value, Vec<String>) {
    let mut forms = shown(c);
    forms.push(c.key.to_string());
    (
        json!({"api_key": to_json(&c.api_key), "key": key_json(&c.key)}),
        forms,
    )
}

/// Op name -> the client's public call.
async fn call(c: &Client, op: &str, a: &Value) -> Outcome {
    let keys = c.api_keys();
    let sas = c.service_accounts();
    let rec = |r: ApiKeyRecord| (to_json(&r), shown(&r));
    Ok(match op {
        "whoami" => rec(c.whoami().await?),
        "request" => {
            let method = Method::from_bytes(a["method"].as_str().unwrap().as_bytes()).unwrap();
            let path = a["path"].as_str().unwrap();
            let body = a.get("json");
            let r = c
                .request(method, path, &[], body, RequestOptions::default())
                .await?;
            (json!({"status": r.status, "json": r.json}), shown(&r))
        }
        "api_keys.create" => created_json(&keys.create(&params(a)).await?),
        "api_keys.list" => {
            let p = keys.list(&params(a)).await?;
            (page_json(&p), shown(&p))
        }
        "api_keys.get" => rec(keys.get(&id(a)).await?),
        "api_keys.update" => rec(keys.update(&id(a), &params(a)).await?),
        "api_keys.deactivate" => rec(keys.deactivate(&id(a)).await?),
        "api_keys.activate" => rec(keys.activate(&id(a)).await?),
        "api_keys.revoke" => rec(keys.revoke(&id(a)).await?),
        "api_keys.delete" => {
            keys.delete(&id(a)).await?;
            (Value::Null, vec![])
        }
        "api_keys.rotate" => {
            let r = keys.rotate(&id(a), &params(a)).await?;
            let mut forms = shown(&r);
            forms.push(r.key.to_string());
            let v = json!({"api_key": to_json(&r.api_key), "key": key_json(&r.key),
                           "previous": to_json(&r.previous)});
            (v, forms)
        }
        "service_accounts.create" => {
            let r = sas.create(&params(a)).await?;
            let mut forms = shown(&r);
            forms.push(r.key.to_string());
            let v = json!({"service_account": to_json(&r.service_account),
                           "api_key": to_json(&r.api_key), "key": key_json(&r.key)});
            (v, forms)
        }
        "service_accounts.list" => {
            let p = sas.list(&params(a)).await?;
            (page_json(&p), shown(&p))
        }
        "service_accounts.get" => {
            let s = sas.get(&id(a)).await?;
            (to_json(&s), shown(&s))
        }
        "service_accounts.update" => {
            let s = sas.update(&id(a), &params(a)).await?;
            (to_json(&s), shown(&s))
        }
        "service_accounts.delete" => {
            sas.delete(&id(a)).await?;
            (Value::Null, vec![])
        }
        "service_accounts.create_key" => created_json(&sas.create_key(&id(a), &params(a)).await?),
        "service_accounts.list_keys" => {
            let p = sas.list_keys(&id(a), &params(a)).await?;
            (page_json(&p), shown(&p))
        }
        other => panic!("no such op in the scenario runner: {other}"),
    })
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp (`Z` or `+00:00`).
fn epoch(s: &str) -> Option<f64> {
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, sec) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let mut frac = 0.0;
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        frac = format!("0.{}", &r[..digits]).parse().ok()?;
        rest = &r[digits..];
    }
    if !matches!(rest, "Z" | "+00:00") {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + sec) as f64 + frac)
}

/// Timestamps (fields ending in `_at`) become epoch seconds, whatever their type.
fn norm(v: Value, name: &str) -> Value {
    match v {
        Value::String(s) if name.ends_with("_at") => {
            json!(epoch(&s).unwrap_or_else(|| panic!("{name}: not a timestamp: {s}")))
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| {
                    let x = norm(x, &k);
                    (k, x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| norm(x, "")).collect()),
        other => other,
    }
}

fn lookup(saved: &Map<String, Value>, path: &str) -> Result<Value, String> {
    let mut parts = path.split('.');
    let first = parts.next().unwrap_or_default();
    let mut cur = saved
        .get(first)
        .ok_or_else(|| format!("${{{path}}}: nothing saved as {first}"))?;
    for p in parts {
        cur = match cur {
            Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
            Value::Object(m) => m.get(p),
            _ => None,
        }
        .ok_or_else(|| format!("${{{path}}}: no '{p}'"))?;
    }
    Ok(cur.clone())
}

fn subst(v: &Value, saved: &Map<String, Value>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => {
            if s.starts_with("${") && s.ends_with('}') && s.matches("${").count() == 1 {
                return lookup(saved, &s[2..s.len() - 1]);
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let end = rest[start..].find('}').ok_or("unclosed ${")? + start;
                out.push_str(&rest[..start]);
                match lookup(saved, &rest[start + 2..end])? {
                    Value::String(x) => out.push_str(&x),
                    other => out.push_str(&other.to_string()),
                }
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| subst(x, saved))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), subst(x, saved)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn matches(exp: &Value, act: &Value) -> bool {
    check(exp, act, "").is_ok()
}

fn check(exp: &Value, act: &Value, at: &str) -> Result<(), String> {
    let fail = |why: &str| {
        Err(format!(
            "{}: {why}; expected {exp}, got {act}",
            if at.is_empty() { "result" } else { at }
        ))
    };
    match exp {
        Value::String(s) if s == "$present" => {
            if act.is_null() {
                return fail("missing");
            }
        }
        Value::Object(m) if m.keys().any(|k| k.starts_with('$')) => {
            for (op, arg) in m {
                let pats = match arg {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                match op.as_str() {
                    "$len" => {
                        if act.as_array().map(Vec::len) != arg.as_u64().map(|n| n as usize) {
                            return fail("wrong length");
                        }
                    }
                    "$gt" | "$lt" => {
                        let ok = match (act.as_f64(), arg.as_f64()) {
                            (Some(x), Some(y)) => {
                                if op == "$gt" {
                                    x > y
                                } else {
                                    x < y
                                }
                            }
                            _ => false,
                        };
                        if !ok {
                            return fail(op);
                        }
                    }
                    "$ne" => {
                        if matches(arg, act) {
                            return fail("equal");
                        }
                    }
                    "$contains" | "$excludes" => {
                        for p in &pats {
                            let found = match act {
                                Value::String(s) => p.as_str().is_some_and(|p| s.contains(p)),
                                Value::Array(a) => a.iter().any(|x| matches(p, x)),
                                _ => return fail("neither a string nor a list"),
                            };
                            if found != (op == "$contains") {
                                return fail(&format!("{op} {p}"));
                            }
                        }
                    }
                    "$unordered" => {
                        let mut rest = act.as_array().cloned().unwrap_or_default();
                        if !act.is_array() || rest.len() != pats.len() {
                            return fail("not a list of that length");
                        }
                        for p in &pats {
                            let Some(i) = rest.iter().position(|x| matches(p, x)) else {
                                return fail(&format!("no element matches {p}"));
                            };
                            rest.remove(i);
                        }
                    }
                    other => return fail(&format!("unknown matcher {other}")),
                }
            }
        }
        Value::Object(m) => {
            let Value::Object(a) = act else {
                return fail("not an object");
            };
            for (k, x) in m {
                let at = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                check(x, a.get(k).unwrap_or(&Value::Null), &at)?;
            }
        }
        Value::Array(e) => {
            let Value::Array(a) = act else {
                return fail("not a list");
            };
            if a.len() != e.len() {
                return fail("a list of another length");
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                check(x, y, &format!("{at}[{i}]"))?;
            }
        }
        Value::Number(n) => {
            if act.as_f64() != n.as_f64() {
                return fail("different");
            }
        }
        other => {
            if other != act {
                return fail("different");
            }
        }
    }
    Ok(())
}

fn check_printed(spec: &Value, forms: &[String]) -> Result<(), String> {
    let list = |k: &str| spec[k].as_array().cloned().unwrap_or_default();
    for form in forms {
        for s in list("includes") {
            if !form.contains(s.as_str().unwrap()) {
                return Err(format!("printed form lacks {s}: {form}"));
            }
        }
        for s in list("excludes") {
            if form.contains(s.as_str().unwrap()) {
                return Err("a printed form contains a secret".into());
            }
        }
    }
    Ok(())
}

struct Runner {
    base_url: String,
    root: Client,
    saved: Map<String, Value>,
    clients: HashMap<String, Client>,
}

impl Runner {
    fn key_of(&self, who: &str) -> Result<ApiKey, String> {
        if who == "root" {
            return Ok(ApiKey::clone(&self.root.api_key()));
        }
        let v = lookup(&self.saved, &format!("{who}.key.value"))?;
        ApiKey::parse(v.as_str().unwrap_or_default()).map_err(|e| e.to_string())
    }

    fn client(&mut self, who: &str) -> Result<Client, String> {
        if who == "root" {
            return Ok(self.root.clone());
        }
        if !self.clients.contains_key(who) {
            let c = Client::builder()
                .no_ambient_config()
                .api_key(self.key_of(who)?)
                .base_url(&self.base_url)
                .retry_policy(common::fast_retry())
                .build()
                .map_err(|e| e.to_string())?;
            self.clients.insert(who.to_owned(), c);
        }
        Ok(self.clients[who].clone())
    }

    async fn dev(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Value {
        let r = self
            .root
            .request(method, path, query, body, RequestOptions::default())
            .await
            .unwrap();
        r.json
    }

    async fn step(&mut self, step: &Value) -> Result<(), String> {
        let op = step["op"].as_str().ok_or("a step without op")?;
        let args = subst(step.get("args").unwrap_or(&json!({})), &self.saved)?;
        let who = step["as"].as_str().unwrap_or("root");
        if let Some(f) = step.get("fault") {
            let mut f = subst(f, &self.saved)?;
            f["access_id"] = json!(self.key_of(who)?.access_id());
            self.dev(Method::POST, "/_dev/faults", &[], Some(&f)).await;
        }
        let outcome = if op == "dev.requests" {
            let q: Vec<(String, String)> = args
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let log = self.dev(Method::GET, "/_dev/requests", &q, None).await;
            Ok((json!({"requests": log["requests"]}), vec![]))
        } else {
            let c = self.client(who)?;
            call(&c, op, &args).await
        };
        let printed = step.get("printed");
        match (outcome, step.get("expect_error")) {
            (Err(e), Some(exp)) => {
                let exp = subst(exp, &self.saved)?;
                let got = json!({"kind": e.kind().as_str(), "status": e.status(), "code": e.code(),
                                 "request_id": e.request_id(), "details": e.details(), "message": e.to_string()});
                check(&exp, &got, "error")?;
                if let Some(kind) = exp["kind"].as_str() {
                    let want = KINDS
                        .iter()
                        .find(|(k, _)| *k == kind)
                        .ok_or("unknown kind")?
                        .1;
                    if e.kind() != want {
                        return Err(format!("error kind {:?}, not {want:?}", e.kind()));
                    }
                }
                if let Some(p) = printed {
                    let p = subst(p, &self.saved)?;
                    check_printed(&p, &[e.to_string(), format!("{e:?}"), format!("{e:#?}")])?;
                }
            }
            (Ok((v, _)), Some(_)) => return Err(format!("expected an error, got {v}")),
            (Err(e), None) => return Err(format!("unexpected error: {e}")),
            (Ok((v, forms)), None) => {
                let v = norm(v, "");
                if let Some(name) = step["save"].as_str() {
                    self.saved.insert(name.to_owned(), v.clone());
                }
                if let Some(exp) = step.get("expect") {
                    check(&subst(exp, &self.saved)?, &v, "")?;
                }
                if let Some(p) = printed {
                    let p = subst(p, &self.saved)?;
                    check_printed(&p, &forms)?;
                }
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn scenarios() {
    // The harness's server when there is one, so the request log is the one other suites see.
    let (base_url, root_key, _env) = match (
        std::env::var("NOORLE_BASE_URL"),
        std::env::var("NOORLE_DEV_ROOT_KEY"),
    ) {
        (Ok(u), Ok(k)) if !u.is_empty() && !k.is_empty() => (u, k, None),
        _ => {
            let env = common::start().await;
            let key = env.root.api_key().expose_secret().to_owned();
            (env.server.base_url().to_owned(), key, Some(env))
        }
    };
    let root = Client::builder()
        .no_ambient_config()
        .api_key(ApiKey::parse(&root_key).unwrap())
        .base_url(&base_url)
        .retry_policy(common::fast_retry())
        .build()
        .unwrap();

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "the scenarios in {}", dir.display());

    let mut failures = Vec::new();
    for file in &files {
        let scenario: Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let name = scenario["name"].as_str().unwrap_or_default().to_owned();
        let mut saved = Map::new();
        saved.insert(
            "run".into(),
            json!(uuid::Uuid::new_v4().simple().to_string()[..8]),
        );
        let mut runner = Runner {
            base_url: base_url.clone(),
            root: root.clone(),
            saved,
            clients: HashMap::new(),
        };
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            if let Err(e) = runner.step(step).await {
                failures.push(format!("{name} step {} ({}): {e}", i + 1, step["op"]));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "failing scenarios:\n{}",
        failures.join("\n")
    );
}
