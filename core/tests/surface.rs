//! The Rust models against the spec, through `testdata/surface.json` (generated from
//! spec/openapi.yaml and spec/sdk.yaml by scripts/gen-surface). When a record, enum or error kind
//! drifts from the spec, this is the test that fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use noorle::models::{
    ApiKeyRecord, CreateApiKey, CreateServiceAccount, CreatedApiKey, CreatedServiceAccount,
    KeyStatus, Owner, OwnerType, Permission, ResourceRef, ResourceType, Role, RotateApiKey,
    RotatedApiKey, Scope, ServiceAccount, UpdateApiKey, UpdateServiceAccount,
};
use noorle::{ApiError, ErrorKind};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";

fn surface() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/surface.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn named<'a>(ir: &'a Value, section: &str, name: &str) -> &'a Value {
    ir[section]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no {section} entry named {name}"))
}

/// Decodes JSON into a Rust type and encodes it back: what a record looks like after a trip
/// through the SDK. An error is the decoding failure.
type Trip = fn(&Value) -> Result<Value, String>;

fn trip<T: DeserializeOwned + Serialize>(v: &Value) -> Result<Value, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(&t).unwrap())
}

// The envelopes hold a key, which never serialises; they come back as the ops dispatcher writes
// them, the key's text beside the records.
fn created_api_key(v: &Value) -> Result<Value, String> {
    let c: CreatedApiKey = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Ok(json!({"api_key": c.api_key, "key": c.key.expose_secret()}))
}

fn rotated_api_key(v: &Value) -> Result<Value, String> {
    let r: RotatedApiKey = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Ok(json!({"api_key": r.api_key, "key": r.key.expose_secret(), "previous": r.previous}))
}

fn created_service_account(v: &Value) -> Result<Value, String> {
    let c: CreatedServiceAccount = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
    Ok(
        json!({"service_account": c.service_account, "api_key": c.api_key,
              "key": c.key.expose_secret()}),
    )
}

fn records() -> BTreeMap<&'static str, Trip> {
    BTreeMap::from([
        ("Owner", trip::<Owner> as Trip),
        ("ResourceRef", trip::<ResourceRef>),
        ("ApiKeyRecord", trip::<ApiKeyRecord>),
        ("ServiceAccount", trip::<ServiceAccount>),
        ("CreatedApiKey", created_api_key),
        ("RotatedApiKey", rotated_api_key),
        ("CreatedServiceAccount", created_service_account),
    ])
}

fn params() -> BTreeMap<&'static str, Trip> {
    BTreeMap::from([
        ("CreateApiKeyParams", trip::<CreateApiKey> as Trip),
        ("UpdateApiKeyParams", trip::<UpdateApiKey>),
        ("RotateApiKeyParams", trip::<RotateApiKey>),
        ("CreateServiceAccountParams", trip::<CreateServiceAccount>),
        ("UpdateServiceAccountParams", trip::<UpdateServiceAccount>),
    ])
}

/// A valid value of an IR type. Unions take their variant with the most fields.
fn sample(ir: &Value, ty: &Value) -> Value {
    if let Some(s) = ty.as_str() {
        return match s {
            "string" => json!("some text"),
            "integer" => json!(42),
            "boolean" => json!(true),
            "json" => json!({"any": [1, "two"]}),
            "timestamp" => json!("2026-03-22T10:30:45Z"),
            "access_id" => json!("a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"),
            "uuid" => json!("0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"),
            "secret_key" => json!(KEY),
            other => panic!("the test does not know the IR type {other}"),
        };
    }
    if let Some(name) = ty["enum"].as_str() {
        return named(ir, "enums", name)["values"][0].clone();
    }
    if let Some(name) = ty["record"].as_str() {
        return object(ir, named(ir, "records", name)["fields"].as_array().unwrap());
    }
    if let Some(name) = ty["union"].as_str() {
        let u = named(ir, "unions", name);
        let v = u["variants"]
            .as_array()
            .unwrap()
            .iter()
            .max_by_key(|v| v["fields"].as_array().unwrap().len())
            .unwrap();
        return variant(ir, u, v);
    }
    if !ty["list"].is_null() {
        return json!([sample(ir, &ty["list"])]);
    }
    panic!("the test does not know the IR type {ty}")
}

fn object(ir: &Value, fields: &[Value]) -> Value {
    fields
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                sample(ir, &f["type"]),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn variant(ir: &Value, union: &Value, v: &Value) -> Value {
    let mut obj = object(ir, v["fields"].as_array().unwrap());
    obj[union["tag"].as_str().unwrap()] = v["tag"].clone();
    obj
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// Every field present round-trips unchanged; dropping a required field fails to decode; nulling
/// a nullable field decodes. `strict` (records, not params): nulling a field that is not nullable
/// fails, and a nullable one stays null.
fn check_shape(what: &str, fields: &[Value], full: Value, trip: Trip, strict: bool) {
    let back = trip(&full).unwrap_or_else(|e| panic!("{what}: {full} does not decode: {e}"));
    assert_eq!(keys(&back), keys(&full), "{what}: field names");
    assert_eq!(back, full, "{what}: round trip");
    for f in fields {
        let name = f["name"].as_str().unwrap();
        let mut v = full.clone();
        v.as_object_mut().unwrap().remove(name);
        if f["required"] == true {
            assert!(trip(&v).is_err(), "{what}: decodes without required {name}");
        }
        v[name] = Value::Null;
        if f["nullable"] == true {
            let back = trip(&v).unwrap_or_else(|e| panic!("{what}: {name}: null: {e}"));
            if strict {
                assert_eq!(back[name], Value::Null, "{what}: {name}");
            }
        } else if strict {
            assert!(trip(&v).is_err(), "{what}: decodes with {name}: null");
        }
    }
}

#[test]
fn records_match_the_spec() {
    let ir = surface();
    let table = records();
    let spec: BTreeSet<&str> = ir["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(spec, table.keys().copied().collect(), "records");
    for r in ir["records"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let fields = r["fields"].as_array().unwrap();
        let full = object(&ir, fields);
        check_shape(name, fields, full, table[name], true);
    }
}

#[test]
fn unions_match_the_spec() {
    let ir = surface();
    let scope = named(&ir, "unions", "Scope");
    let variants = scope["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 2);
    for v in variants {
        let what = format!("Scope {}", v["tag"]);
        let full = variant(&ir, scope, v);
        let fields = v["fields"].as_array().unwrap();
        check_shape(&what, fields, full, trip::<Scope>, true);
    }
}

#[test]
fn params_match_the_spec() {
    let ir = surface();
    let table = params();
    let spec: BTreeSet<&str> = ir["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(spec, table.keys().copied().collect(), "params");
    for p in ir["params"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let fields = p["fields"].as_array().unwrap();
        let full = object(&ir, fields);
        // Params are lenient: a null is read as "not given", and what is not given is not sent.
        check_shape(name, fields, full, table[name], false);
    }
}

fn known<T>(values: &[T], as_str: fn(&T) -> &str) -> BTreeSet<String> {
    values.iter().map(|v| as_str(v).to_owned()).collect()
}

#[test]
fn enums_match_the_spec() {
    let ir = surface();
    let rust: BTreeMap<&str, BTreeSet<String>> = BTreeMap::from([
        ("KeyStatus", known(KeyStatus::KNOWN, KeyStatus::as_str)),
        ("Permission", known(Permission::KNOWN, Permission::as_str)),
        ("Role", known(Role::KNOWN, Role::as_str)),
        ("OwnerType", known(OwnerType::KNOWN, OwnerType::as_str)),
        (
            "ResourceType",
            known(ResourceType::KNOWN, ResourceType::as_str),
        ),
    ]);
    let mut seen = BTreeSet::new();
    for e in ir["enums"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        let values: BTreeSet<String> = e["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        if name == "ErrorCode" {
            check_error_codes(e, &values);
        } else {
            let got = rust
                .get(name)
                .unwrap_or_else(|| panic!("no Rust enum for {name}"));
            assert_eq!(got, &values, "{name}");
        }
        seen.insert(name);
    }
    let want: BTreeSet<&str> = rust.keys().copied().chain(["ErrorCode"]).collect();
    assert_eq!(seen, want, "enums");
}

/// The API's error codes are strings in Rust (`ApiError::code`); the code the SDK fills in for a
/// body without one is the spec's code for that status (the enum's doc pairs them: "`code` (404)").
fn check_error_codes(e: &Value, values: &BTreeSet<String>) {
    let doc = e["doc"].as_str().unwrap();
    let pairs: Vec<(String, u16)> = doc
        .split(", ")
        .map(|part| {
            let part = part.trim_end_matches('.');
            let (code, status) = part.split_once(" (").unwrap_or_else(|| panic!("{part}"));
            (
                code.trim_matches('`').to_owned(),
                status.trim_end_matches(')').parse().unwrap(),
            )
        })
        .collect();
    let documented: BTreeSet<String> = pairs.iter().map(|(c, _)| c.clone()).collect();
    assert_eq!(&documented, values, "ErrorCode's doc names every code");
    for (code, status) in pairs {
        assert_eq!(
            ApiError::from_response(status, b"", None, None).code,
            code,
            "{status}"
        );
    }
}

#[test]
fn error_kinds_match_the_spec() {
    let ir = surface();
    let spec: BTreeSet<&str> = ir["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    let rust: BTreeSet<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(rust.len(), ErrorKind::ALL.len(), "duplicate kinds");
    assert_eq!(rust, spec);
}

#[test]
fn timestamps_are_typed_and_strict() {
    let ir = surface();
    let fields = named(&ir, "records", "ApiKeyRecord")["fields"]
        .as_array()
        .unwrap();
    let mut rec = object(&ir, fields);
    rec["created_at"] = json!("2026-03-22T12:30:45+02:00");
    rec["expires_at"] = json!("2026-03-22T11:00:00Z");
    let r: ApiKeyRecord = serde_json::from_value(rec.clone()).unwrap();
    assert!(r.created_at < *r.expires_at.as_ref().unwrap());
    assert_eq!(r.created_at.unix_seconds(), 1_774_175_445);
    assert_eq!(serde_json::to_value(&r).unwrap(), rec);
    for bad in ["", "soon", "2026-03-22", "2026-03-22T10:30:45"] {
        rec["last_used_at"] = json!(bad);
        assert!(serde_json::from_value::<ApiKeyRecord>(rec.clone()).is_err());
    }
}
