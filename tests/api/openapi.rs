//! The OpenAPI document: served at `/openapi.json`, valid against the OpenAPI 3.1 schema,
//! the same as `docs/openapi.json` (which `doorward openapi` writes), and describing every
//! native route with its problems and security.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::Value;

both_backends!(the_served_document_is_valid_openapi_3_1);

/// The OpenAPI 3.1 schema (2022-10-07), as the OpenAPI Initiative publishes it.
const OAS_3_1_SCHEMA: &str = include_str!("../data/openapi-3.1-schema.json");

async fn the_served_document_is_valid_openapi_3_1(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();

    let schema: Value = serde_json::from_str(OAS_3_1_SCHEMA).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the OAS schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(document["openapi"], "3.1.0");

    // The checked-in copy is this document: regenerate it with `doorward openapi`.
    let written: Value = serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap();
    assert_eq!(
        written, document,
        "docs/openapi.json is stale: run `doorward openapi`"
    );

    let paths = document["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/login", "post"),
        ("/v1/session", "get"),
        ("/v1/admin/audit", "get"),
        ("/v1/admin/tokens/{token}", "delete"),
        ("/v1/introspect", "post"),
        ("/.well-known/jwks.json", "get"),
        ("/healthz", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
    }
    let login = &paths["/v1/login"]["post"];
    for status in ["200", "400", "401", "403", "423", "429", "503"] {
        assert!(
            login["responses"][status].is_object(),
            "login answers {status}"
        );
    }
    assert_eq!(
        login["responses"]["401"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(
        paths["/v1/admin/users"]["get"]["security"][0]["admin"],
        serde_json::json!([])
    );
    let codes = &document["components"]["schemas"]["ProblemCode"]["enum"];
    assert!(
        codes
            .as_array()
            .unwrap()
            .contains(&Value::from("account_locked"))
    );
    let kinds = &document["components"]["schemas"]["FactorKind"]["enum"];
    assert_eq!(kinds, &serde_json::json!(["sms", "email", "totp", "push"]));

    // A broken document is caught: the check is not vacuous.
    let mut broken = document.clone();
    broken["openapi"] = Value::from("2.0");
    assert!(!validator.is_valid(&broken));
}
