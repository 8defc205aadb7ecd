//! A tour of libclerk: `cargo run --example quickstart`.
//!
//! Without `CLERK_SECRET_KEY` it starts the built-in Clerk emulator on 127.0.0.1 and
//! walks through the library against it with the typed API (`client.users().get(id)`):
//! create users and an organization, add a membership, list with pagination, clear a
//! field with `null`, create a session, mint its session token and verify that token
//! locally against the instance's JWKS; then the same calls by name with JSON, the path
//! scripts and other languages take.
//! With `CLERK_SECRET_KEY` set it only runs read-only calls against your Clerk instance
//! (`CLERK_API_URL` and `CLERK_API_VERSION` are honoured too).

use std::error::Error;

use clerk_core::params::{
    OrganizationMembershipsCreateParams, OrganizationsCreateParams, SessionsCreateParams,
    UsersCreateParams, UsersListParams, UsersUpdateMetadataParams, UsersUpdateParams,
};
use clerk_core::verify::Verifier;
use clerk_core::{Client, models};
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

/// An optional text as plain text ("-" when absent).
fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

fn emulator_tour(client: &Client, authorized_party: &str) -> Outcome {
    println!("1. Create users (required fields through `new`, the rest through setters)");
    let mut metadata = serde_json::Map::new();
    metadata.insert("role".into(), json!("founder"));
    let ada: models::User = client.users().create(
        &UsersCreateParams::new()
            .email_address(["ada@example.com"])
            .first_name("Ada")
            .last_name("Lovelace")
            .external_id("crm-1815")
            .password("analytical-engine-1843")
            .public_metadata(metadata),
    )?;
    println!(
        "   {} {} <{}>  id={} external_id={}",
        text(&ada.first_name),
        text(&ada.last_name),
        ada.email_addresses[0].email_address,
        ada.id,
        text(&ada.external_id)
    );
    for n in 1..=4 {
        client.users().create(
            &UsersCreateParams::new()
                .email_address([format!("engineer{n}@example.com")])
                .first_name(format!("Engineer {n}")),
        )?;
    }
    let fetched = client.users().get(&ada.id)?;
    println!("   users().get(id): {}", text(&fetched.first_name));

    println!("\n2. Errors are values: a duplicate email address");
    match client
        .users()
        .create(&UsersCreateParams::new().email_address(["ada@example.com"]))
    {
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
    let org = client
        .organizations()
        .create(&OrganizationsCreateParams::new("Analytical Engines").created_by(&ada.id))?;
    println!("   {} slug={} id={}", org.name, org.slug, org.id);
    let by_slug = client.organizations().get(&org.slug)?;
    println!("   organizations().get(slug) finds {}", by_slug.id);
    let engineers = client
        .users()
        .list(&UsersListParams::new().query("engineer1"))?;
    let membership = client.organization_memberships().create(
        &org.id,
        &OrganizationMembershipsCreateParams::new(&engineers[0].id, "org:member"),
    )?;
    let identifier = membership.public_user_data.and_then(|u| u.identifier);
    println!("   added {} as {}", text(&identifier), membership.role);

    println!("\n4. List with pagination: users, two per page, fetched lazily");
    let names: Vec<String> = client
        .users()
        .list_all(&UsersListParams::new().limit(2).order_by("created_at"))
        .map(|user| user.map(|u| u.first_name.unwrap_or_default()))
        .collect::<Result<_, _>>()?;
    println!("   {}", names.join(", "));
    let everyone = client.users().list(&Default::default())?;
    println!(
        "   users().list(&Default::default()): {} users; count = {}",
        everyone.len(),
        client.users().count(&Default::default())?.total_count
    );
    let members = client
        .organization_memberships()
        .list(&org.id, &Default::default())?;
    println!("   {} has {} members", org.name, members.total_count);

    println!("\n5. Null is a value: clear external_id, leave everything else as it is");
    let updated = client
        .users()
        .update(&ada.id, &UsersUpdateParams::new().clear_external_id())?;
    println!(
        "   external_id = {}, first_name = {}",
        text(&updated.external_id),
        text(&updated.first_name)
    );
    let mut change = serde_json::Map::new();
    change.insert("role".into(), Value::Null);
    change.insert("languages".into(), json!(["notes", "tables"]));
    let merged = client.users().update_metadata(
        &ada.id,
        &UsersUpdateMetadataParams::new().public_metadata(change),
    )?;
    println!(
        "   metadata deep merge, null deletes a key: public_metadata = {}",
        Value::Object(merged.public_metadata)
    );

    println!("\n6. A session and its session token");
    let session = client
        .sessions()
        .create(&SessionsCreateParams::new(&ada.id).active_organization_id(&org.id))?;
    println!("   session {} status={:?}", session.id, session.status);
    let token = client
        .sessions()
        .create_token(&session.id, &Default::default())?;
    let jwt = token.jwt.unwrap_or_default();
    let jwt = jwt.as_str();
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

    println!(
        "\n8. The same API by name, with one flat JSON params object (scripts, C, Python, Go)"
    );
    let users = client.call(
        "users.list",
        &json!({"limit": 2, "email_address": ["ada@example.com"]}),
    )?;
    let users: Vec<Value> = serde_json::from_str(&users.body)?;
    println!(
        "   users.list -> {} user(s), first id {}",
        users.len(),
        users[0]["id"]
    );
    for page in client.pages("users.list", &json!({"limit": 3}))? {
        let page: Vec<Value> = serde_json::from_str(&page?.body)?;
        println!("   a page of {} users", page.len());
    }

    println!("\n9. Clean up");
    let deleted = client.organizations().delete(&org.id)?;
    println!("   organization deleted: {}", deleted.deleted);
    let deleted = client.users().delete(&engineers[0].id)?;
    println!("   user deleted: {}", deleted.deleted);
    Ok(())
}

fn read_only_tour(client: &Client) -> Outcome {
    println!("API: {}", client.api_url());
    println!(
        "users: {} in total",
        client.users().count(&Default::default())?.total_count
    );
    for user in client.users().list(&UsersListParams::new().limit(5))? {
        let email = user
            .email_addresses
            .first()
            .map_or("-", |e| e.email_address.as_str());
        println!("  user {} {email}", user.id);
    }
    let organizations = client
        .organizations()
        .list(&clerk_core::params::OrganizationsListParams::new().limit(5))?;
    println!("organizations: {} in total", organizations.total_count);
    for org in &organizations.data {
        println!("  org {} {}", org.id, org.name);
    }
    let keys = client.jwks().get()?.keys.unwrap_or_default();
    let kids: Vec<&str> = keys
        .iter()
        .filter_map(|key| match key {
            models::JWKSKeysItem::RsaPublicKey(key) => Some(key.kid.as_str()),
            _ => None,
        })
        .collect();
    println!("JWKS RSA key ids: {}", kids.join(", "));
    Ok(())
}
