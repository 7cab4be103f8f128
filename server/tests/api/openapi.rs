//! `/api/v1/openapi.json` describes every endpoint of the table, and every schema it refers to
//! is in it.

use privacy_shared::api::{Method, TABLE};

use crate::helpers::spawn_app;

fn refs<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| refs(v, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_description_names_every_endpoint_and_resolves_every_schema() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    for (name, method, path) in TABLE {
        let method = match method {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
        };
        let operation = &doc["paths"][path][method];
        assert_eq!(operation["operationId"], *name, "{method} {path}");
        assert!(
            operation["responses"]["default"]["content"]["application/problem+json"].is_object(),
            "{name} describes its errors"
        );
        if method != "get" && operation["requestBody"].is_null() {
            // Only a bodiless command (logout) takes nothing, and it answers nothing.
            assert!(
                operation["responses"]["204"].is_object(),
                "{name} takes no body"
            );
        } else if method != "get" {
            assert!(
                operation["requestBody"]["content"]["application/json"]["schema"].is_object(),
                "{name} describes its body"
            );
        }
        for parameter in path.split('{').skip(1) {
            let parameter = parameter.split('}').next().unwrap();
            let declared = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == parameter && p["in"] == "path");
            assert!(declared, "{name} declares its path parameter {parameter}");
        }
    }
    // Every parameter says what it takes, so a schema-valid request is one the server accepts.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let schema = &parameter["schema"];
                assert!(
                    schema["enum"].is_array() || schema["pattern"].is_string(),
                    "{method} {path}: `{}` has no precise schema",
                    parameter["name"]
                );
            }
        }
    }
    assert_eq!(
        doc["paths"]["/api/v1/consents"]["post"]["responses"]["201"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/ConsentReceipt"
    );
    assert_eq!(
        doc["paths"]["/api/v1/admin/requests"]["get"]["security"][0]["staff_session"],
        serde_json::json!([])
    );

    let schemas = &doc["components"]["schemas"];
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 20, "{found:?}");
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target}"));
        assert!(
            schemas[name].is_object(),
            "{target} is not in the components"
        );
    }
    for generic in ["Vec", "BTreeMap", "Option", "HashMap"] {
        assert!(
            schemas[generic].is_null(),
            "a component named {generic} hides its type"
        );
    }
    // The decision is declared once and flattened into the request and the recorded event.
    for (schema, part) in [
        ("RecordConsent", "ConsentDecision"),
        ("PutMeConsent", "ConsentDecision"),
        ("ConsentEvent", "ConsentDecision"),
        ("ConsentReceipt", "ConsentEvent"),
    ] {
        let parts = schemas[schema]["allOf"].as_array().unwrap();
        assert!(
            parts
                .iter()
                .any(|p| p["$ref"] == format!("#/components/schemas/{part}")),
            "{schema} does not include {part}"
        );
    }
    // The body rules the validators apply are in the schemas, from the same constants.
    let months = &schemas["ExtendRequest"]["properties"]["months"];
    assert_eq!(
        (&months["minimum"], &months["maximum"]),
        (
            &serde_json::json!(1),
            &serde_json::json!(privacy_shared::rights::MAX_EXTENSION_MONTHS)
        )
    );
    for (schema, pattern) in [
        ("FileName", privacy_shared::validate::FILE_NAME_PATTERN),
        ("MediaType", privacy_shared::validate::MEDIA_TYPE_PATTERN),
        ("Base64", privacy_shared::validate::BASE64_PATTERN),
        (
            "BoundedText2000",
            privacy_shared::validate::BOUNDED_TEXT_PATTERN,
        ),
    ] {
        assert_eq!(schemas[schema]["pattern"], pattern, "{schema}");
    }
    let decision = &schemas["ConsentDecision"]["properties"];
    assert_eq!(decision["site"]["$ref"], "#/components/schemas/SiteId");
    assert!(
        schemas["SiteId"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "virtio-nl")
    );
}

/// Every path of the table answers a method it does not serve with a problem+json 405 whose
/// `Allow` names exactly the table's methods for it, and each of those methods is served there.
#[tokio::test]
async fn every_path_serves_the_tables_methods_and_names_them_in_allow() {
    let app = spawn_app().await;
    let name = |method: &Method| match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
    };
    let url = |path: &str| {
        let mut concrete = String::new();
        for (i, part) in path.split(['{', '}']).enumerate() {
            concrete.push_str(if i % 2 == 1 {
                "00000000-0000-4000-8000-000000000000"
            } else {
                part
            });
        }
        format!("{}{concrete}", app.address)
    };
    let mut paths: Vec<&str> = TABLE.iter().map(|(_, _, path)| *path).collect();
    paths.sort_unstable();
    paths.dedup();
    for path in paths {
        let mut expected: Vec<&str> = TABLE
            .iter()
            .filter(|(_, _, p)| *p == path)
            .map(|(_, method, _)| name(method))
            .collect();
        expected.sort_unstable();
        let refused = app.http.delete(url(path)).send().await.unwrap();
        let mut allow: Vec<String> = refused.headers()["allow"]
            .to_str()
            .unwrap()
            .split(", ")
            .map(str::to_owned)
            .collect();
        allow.sort_unstable();
        assert_eq!(allow, expected, "{path}");
        crate::helpers::expect_problem(refused, 405).await;
        for method in &expected {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let served = app
                .http
                .request(method.clone(), url(path))
                .send()
                .await
                .unwrap();
            assert_ne!(served.status(), 405, "{method} {path}");
        }
    }
}
