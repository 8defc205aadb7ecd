//! A tour of libclerk: `cargo run --example quickstart`.
//!
//! Without `CLERK_SECRET_KEY` it starts the built-in Clerk emulator on 127.0.0.1 and
//! walks through the library against it: create a user and an organization, add a
//! membership, list with pagination, create a session, mint its session token and
//! verify that token locally against the instance's JWKS.
//! With `CLERK_SECRET_KEY` set it only runs read-only calls against your Clerk instance
//! (`CLERK_API_URL` and `CLERK_API_VERSION` are honoured too).

use std::error::Error;

use clerk_core::Client;
use clerk_core::verify::Verifier;
use serde_json::{Value, json};

type Outcome = Result<(), Box<dyn Error>>;

fn main() -> Outcome {
    if std::env::var_os("CLERK_SECRET_KEY").is_some() {
        println!("CLERK_SECRET_KEY is set: read-only calls against your Clerk instance.\n");
        return read_only_tour(&Client::from_env()?);
    }
    let emulator = clerk_emulator::Emulator::start()?;
    println!(
        "No CLERK_SECRET_KEY: touring the built-in emulator at {} (set CLERK_SECRET_KEY to use your instance).\n",
        emulator.api_url()
    );
    let client = Client::builder()
        .secret_key(emulator.secret_key())
        .api_url(emulator.api_url())
        .build()?;
    emulator_tour(&client, emulator.authorized_party())
}

/// A JSON string field as plain text ("-" when absent).
fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

/// Calls an operation by its `resource.method` name and parses the JSON answer.
fn call(client: &Client, name: &str, params: Value) -> Result<Value, Box<dyn Error>> {
    let response = client.call(name, &params)?;
    Ok(serde_json::from_str(&response.body)?)
}

fn emulator_tour(client: &Client, authorized_party: &str) -> Outcome {
    println!("1. Create users");
    let ada = call(
        client,
        "users.create",
        json!({
            "email_address": ["ada@example.com"],
            "first_name": "Ada",
            "last_name": "Lovelace",
            "password": "analytical-engine-1843",
            "public_metadata": {"role": "founder"},
        }),
    )?;
    let ada_id = ada["id"].as_str().unwrap_or_default().to_string();
    println!(
        "   {} {} <{}>  id={ada_id}",
        text(&ada["first_name"]),
        text(&ada["last_name"]),
        text(&ada["email_addresses"][0]["email_address"])
    );
    for n in 1..=4 {
        call(
            client,
            "users.create",
            json!({"email_address": [format!("engineer{n}@example.com")], "first_name": format!("Engineer {n}")}),
        )?;
    }

    println!("\n2. Errors are values: a duplicate email address");
    match client.call(
        "users.create",
        &json!({"email_address": ["ada@example.com"]}),
    ) {
        Err(clerk_core::Error::Api(api)) => {
            let first = api.errors.first();
            println!(
                "   HTTP {} code={} message={:?}",
                api.status,
                first.map(|e| e.code.as_str()).unwrap_or("-"),
                first.and_then(|e| e.long_message.as_deref()).unwrap_or("-")
            );
        }
        other => println!("   unexpected: {other:?}"),
    }

    println!("\n3. Create an organization (the creator becomes its admin) and add a member");
    let org = call(
        client,
        "organizations.create",
        json!({"name": "Analytical Engines", "created_by": ada_id}),
    )?;
    let org_id = org["id"].as_str().unwrap_or_default().to_string();
    println!(
        "   {} slug={} id={org_id}",
        text(&org["name"]),
        text(&org["slug"])
    );
    let engineers = call(client, "users.list", json!({"query": "engineer1"}))?;
    let engineer_id = engineers[0]["id"].as_str().unwrap_or_default().to_string();
    let membership = call(
        client,
        "organization_memberships.create",
        json!({"organization_id": org_id, "user_id": engineer_id, "role": "org:member"}),
    )?;
    println!(
        "   added {} as {}",
        text(&membership["public_user_data"]["identifier"]),
        text(&membership["role"])
    );

    println!("\n4. List with pagination: users, two per page");
    for (number, page) in client
        .pages("users.list", &json!({"limit": 2, "order_by": "created_at"}))?
        .enumerate()
    {
        let page: Vec<Value> = serde_json::from_str(&page?.body)?;
        let names: Vec<String> = page
            .iter()
            .map(|u| u["first_name"].as_str().unwrap_or("?").to_string())
            .collect();
        println!("   page {}: {}", number + 1, names.join(", "));
    }
    let count = call(client, "users.count", json!({}))?;
    println!("   users.count = {}", count["total_count"]);
    let members = call(
        client,
        "organization_memberships.list",
        json!({"organization_id": org_id}),
    )?;
    println!(
        "   {} has {} members",
        text(&org["name"]),
        members["total_count"]
    );

    println!("\n5. Metadata: a deep merge, where null deletes a key");
    let merged = call(
        client,
        "users.update_metadata",
        json!({"user_id": ada_id, "public_metadata": {"role": null, "languages": ["notes", "tables"]}}),
    )?;
    println!("   public_metadata = {}", merged["public_metadata"]);

    println!("\n6. A session and its session token");
    let session = call(
        client,
        "sessions.create",
        json!({"user_id": ada_id, "active_organization_id": org_id}),
    )?;
    let session_id = session["id"].as_str().unwrap_or_default().to_string();
    println!(
        "   session {session_id} status={}",
        text(&session["status"])
    );
    let token = call(
        client,
        "sessions.create_token",
        json!({"session_id": session_id}),
    )?;
    let jwt = token["jwt"].as_str().unwrap_or_default();
    println!(
        "   token: {}...{} ({} bytes)",
        &jwt[..24.min(jwt.len())],
        &jwt[jwt.len().saturating_sub(8)..],
        jwt.len()
    );

    println!("\n7. Verify the token locally, as a server does on every request");
    // The verifier fetches the JWKS once through the client and caches it: later
    // verifications are one RSA check, with no network.
    let verifier = Verifier::builder()
        .client(client.clone())
        .authorized_parties([authorized_party])
        .build()?;
    let claims = verifier.verify(jwt)?;
    let organization = claims.organization();
    println!(
        "   signed-in: user={} session={} org={} role={}",
        claims.sub,
        claims.sid.as_deref().unwrap_or("-"),
        organization.and_then(|o| o.slug.as_deref()).unwrap_or("-"),
        organization.and_then(|o| o.role.as_deref()).unwrap_or("-")
    );
    if let Some(organization) = organization {
        println!("   permissions: {}", organization.permissions.join(", "));
    }
    let mut forged = jwt.to_string();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    match verifier.verify(&forged) {
        Err(error) => println!("   a tampered token is refused: {}", error.reason.as_str()),
        Ok(_) => println!("   unexpected: a tampered token verified"),
    }

    println!("\n8. Clean up");
    let deleted = call(
        client,
        "organizations.delete",
        json!({"organization_id": org_id}),
    )?;
    println!("   organization deleted: {}", deleted["deleted"]);
    Ok(())
}

fn read_only_tour(client: &Client) -> Outcome {
    println!("API: {}", client.api_url());
    let count = call(client, "users.count", json!({}))?;
    println!("users.count = {}", count["total_count"]);
    let users = call(client, "users.list", json!({"limit": 5}))?;
    for user in users.as_array().into_iter().flatten() {
        let email = user["email_addresses"][0]["email_address"]
            .as_str()
            .unwrap_or("-");
        println!("  user {} {email}", user["id"].as_str().unwrap_or("?"));
    }
    let organizations = call(client, "organizations.list", json!({"limit": 5}))?;
    println!("organizations: {} in total", organizations["total_count"]);
    for org in organizations["data"].as_array().into_iter().flatten() {
        println!(
            "  org {} {}",
            org["id"].as_str().unwrap_or("?"),
            org["name"].as_str().unwrap_or("?")
        );
    }
    let jwks = call(client, "jwks.get_jwks", json!({}))?;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    println!("JWKS key ids: {}", kids.join(", "));
    Ok(())
}
