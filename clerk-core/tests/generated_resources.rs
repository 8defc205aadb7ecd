//! The generated typed methods against a scripted HTTP server on 127.0.0.1: the request
//! each one sends (method, path, query, body) and the typed value it returns.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

use clerk_core::Client;
use clerk_core::generated::params;
use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    request_line: String,
    body: String,
}

/// Serves one canned `(status, body)` per connection, in order, then stops; reports each
/// request it read. Every response closes its connection so each call is one accept.
fn serve(responses: Vec<(u16, String)>) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for (status, body) in responses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut content_length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        content_length = value.trim().parse().unwrap();
                    }
                }
            }
            let mut request_body = vec![0; content_length];
            reader.read_exact(&mut request_body).unwrap();
            sender
                .send(Seen {
                    request_line: request_line.trim_end().to_string(),
                    body: String::from_utf8(request_body).unwrap(),
                })
                .unwrap();
            let response = format!(
                "HTTP/1.1 {status} Status\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let mut stream = reader.into_inner();
            stream.write_all(response.as_bytes()).unwrap();
        }
    });
    (url, receiver)
}

fn client(url: &str) -> Client {
    Client::builder()
        .secret_key("sk_test_generated")
        .api_url(url)
        .build()
        .unwrap()
}

fn identifier(id: &str) -> Value {
    json!({"object": "allowlist_identifier", "id": id, "identifier": format!("{id}@example.com"),
           "identifier_type": "email_address", "created_at": 1, "updated_at": 2})
}

#[test]
fn list_sends_query_params_and_returns_typed_items() {
    let page = json!([identifier("a"), identifier("b")]).to_string();
    let (url, seen) = serve(vec![(200, page)]);
    let items = client(&url)
        .allowlist_identifiers()
        .list(&params::ListAllowlistIdentifiersParams {
            limit: Some(2),
            offset: Some(4),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].id.as_deref(), Some("b"));
    let request = seen.recv().unwrap();
    assert!(
        request
            .request_line
            .starts_with("GET /v1/allowlist_identifiers?"),
        "{request:?}"
    );
    assert!(request.request_line.contains("limit=2"), "{request:?}");
    assert!(request.request_line.contains("offset=4"), "{request:?}");
}

#[test]
fn list_all_pages_until_a_short_page() {
    let first = json!([identifier("a"), identifier("b")]).to_string();
    let second = json!([identifier("c")]).to_string();
    let (url, seen) = serve(vec![(200, first), (200, second)]);
    let ids: Vec<String> = client(&url)
        .allowlist_identifiers()
        .list_all(&params::ListAllowlistIdentifiersParams {
            limit: Some(2),
            ..Default::default()
        })
        .map(|item| item.unwrap().id.unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
    let first = seen.recv().unwrap();
    let second = seen.recv().unwrap();
    assert!(first.request_line.contains("limit=2"), "{first:?}");
    assert!(second.request_line.contains("offset=2"), "{second:?}");
}

#[test]
fn create_sends_body_fields_and_extra_body() {
    let (url, seen) = serve(vec![(200, identifier("new").to_string())]);
    let mut extra = serde_json::Map::new();
    extra.insert("not_in_spec".into(), json!(7));
    let created = client(&url)
        .allowlist_identifiers()
        .create(&params::CreateAllowlistIdentifierParams {
            identifier: "new@example.com".into(),
            notify: Some(true),
            extra_body: extra,
        })
        .unwrap();
    assert_eq!(created.identifier.as_deref(), Some("new@example.com"));
    let request = seen.recv().unwrap();
    assert!(
        request
            .request_line
            .starts_with("POST /v1/allowlist_identifiers "),
        "{request:?}"
    );
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"identifier": "new@example.com", "notify": true, "not_in_spec": 7})
    );
}

#[test]
fn path_params_fill_the_template_and_no_params_ops_take_none() {
    let deleted = json!({"object": "user", "id": "user_1", "deleted": true}).to_string();
    let (url, seen) = serve(vec![(200, deleted), (200, json!({"keys": []}).to_string())]);
    let client = client(&url);
    let result = client
        .users()
        .delete(&params::DeleteUserParams {
            user_id: "user_1".into(),
        })
        .unwrap();
    assert!(result.deleted);
    assert_eq!(
        seen.recv().unwrap().request_line,
        "DELETE /v1/users/user_1 HTTP/1.1"
    );
    let jwks = client.jwks().get_jwks().unwrap();
    assert_eq!(jwks.keys.as_deref().map(<[_]>::len), Some(0));
    assert_eq!(seen.recv().unwrap().request_line, "GET /v1/jwks HTTP/1.1");
}

#[test]
fn named_inline_responses_are_typed() {
    let list = json!({"data": [], "total_count": 0}).to_string();
    let (url, seen) = serve(vec![(200, list)]);
    let machines: clerk_core::generated::models::MachineListResponse = client(&url)
        .machines()
        .list(&params::ListMachinesParams::default())
        .unwrap();
    assert_eq!(machines.total_count, 0);
    assert!(machines.data.is_empty());
    assert!(
        seen.recv()
            .unwrap()
            .request_line
            .starts_with("GET /v1/machines")
    );
}

#[test]
fn api_errors_come_back_as_errors() {
    let error = json!({"errors": [{"code": "resource_not_found", "message": "not found"}]});
    let (url, _seen) = serve(vec![(404, error.to_string())]);
    let result = client(&url).users().get(&params::GetUserParams {
        user_id: "user_missing".into(),
    });
    match result {
        Err(clerk_core::Error::Api(api)) => {
            assert_eq!(api.status, 404);
            assert_eq!(api.errors[0].code, "resource_not_found");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}
