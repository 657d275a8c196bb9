//! Authorization in the generated clients and schemas: the TypeScript and C# proxies say in
//! their doc comments what the hub and each method require, and the JSON Schema carries it
//! as `x-authorize` (the server checks it; clients only describe it).

#![allow(clippy::unwrap_used, clippy::panic)]

use serde_json::json;
use signalr_codegen::Protocol;

const CONTRACT: &str = r#"
/// The vault.
#[signalr::hub_contract]
#[hub(authorize)]
pub trait Vault {
    /// Opens it.
    async fn open(&self) -> String;
    /// Empties it.
    #[hub(authorize(roles = "admin, ops"))]
    async fn purge(&self);
    #[hub(authorize(roles = ["admin"], policy = "adults"))]
    async fn both(&self) -> String;
}
"#;

fn contracts() -> signalr_codegen::Contracts {
    let dir = std::env::temp_dir().join(format!(
        "signalr-codegen-authorize-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("vault.rs");
    std::fs::write(&file, CONTRACT).unwrap();
    let contracts = signalr_codegen::read(&file).unwrap_or_else(|e| panic!("{e:?}"));
    let _ = std::fs::remove_dir_all(&dir);
    contracts
}

#[test]
fn the_model_reads_the_requirements() {
    let c = contracts();
    let hub = &c.hubs[0].contract;
    assert_eq!(
        serde_json::to_value(&hub.authorize).unwrap(),
        json!([{"kind": "authenticated"}])
    );
    assert_eq!(
        serde_json::to_value(&hub.methods[2].authorize).unwrap(),
        json!([{"kind": "anyRole", "roles": ["admin"]}, {"kind": "policy", "name": "adults"}])
    );
}

#[test]
fn typescript_documents_them() {
    let ts = signalr_codegen::ts::generate(
        &contracts(),
        &signalr_codegen::ts::Options {
            protocol: Protocol::Json,
            ..Default::default()
        },
    )
    .unwrap();
    for expected in [
        "/**\n * The vault.\n *\n * Every connection requires an authenticated user.\n */\nexport class VaultProxy {",
        "  /**\n   * Empties it.\n   *\n   * Requires an authenticated user in one of the roles admin, ops.\n   */\n  purge(",
        "   * Requires an authenticated user in the role admin.\n   * Requires an authenticated user the policy `adults` accepts.\n",
    ] {
        assert!(ts.contains(expected), "missing {expected:?} in:\n{ts}");
    }
}

#[test]
fn csharp_documents_them() {
    let cs = signalr_codegen::cs::generate(&contracts(), &Default::default()).unwrap();
    for expected in [
        "/// <summary>The vault.</summary>\n/// <remarks>\n/// <para>Every connection requires an authenticated user.</para>\n/// </remarks>\npublic interface IVault",
        "    /// <summary>Empties it.</summary>\n    /// <remarks>\n    /// <para>Requires an authenticated user in one of the roles admin, ops.</para>\n",
    ] {
        assert!(cs.contains(expected), "missing {expected:?} in:\n{cs}");
    }
}

#[test]
fn the_schema_carries_them() {
    let doc = signalr_codegen::schema::generate(&contracts());
    let hub = &doc["properties"]["Vault"];
    assert_eq!(hub["x-authorize"], json!([{"kind": "authenticated"}]));
    assert_eq!(
        hub["properties"]["Vault|Purge"]["x-authorize"],
        json!([{"kind": "anyRole", "roles": ["admin", "ops"]}])
    );
    assert!(hub["properties"]["Vault|Open"].get("x-authorize").is_none());
}

#[test]
fn the_asyncapi_document_carries_them() {
    let doc = signalr_codegen::asyncapi::generate(&contracts(), &Default::default());
    assert_eq!(
        doc["components"]["tags"]["Vault"]["x-authorize"],
        json!([{"kind": "authenticated"}])
    );
    for part in ["channels", "operations"] {
        assert_eq!(
            doc[part]["Vault_Purge"]["x-authorize"],
            json!([{"kind": "anyRole", "roles": ["admin", "ops"]}]),
            "{part}"
        );
        assert!(
            doc[part]["Vault_Open"].get("x-authorize").is_none(),
            "{part}"
        );
    }
}
