//! Logging in, bearer tokens and what makes them stop working, failed-login slow-down, and the
//! admin-only users endpoints.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, JWT_SECRET, Method, PASSWORD, Reply, TestApp, UserRole, now_seconds, sign_token, token_claims},
    on_both_backends,
};

on_both_backends!(
    a_password_buys_a_bearer_token_that_opens_writes,
    wrong_passwords_and_unknown_users_are_refused_alike,
    token_requests_with_bad_bodies_are_400_or_422,
    expired_tokens_are_refused,
    tokens_not_signed_with_hs256_and_the_servers_key_are_refused,
    missing_malformed_and_non_bearer_credentials_are_refused,
    a_disabled_user_can_neither_use_a_token_nor_log_in,
    a_deleted_users_token_stops_working,
    a_password_change_kills_old_tokens_and_the_new_password_works,
    repeated_failed_logins_must_wait_and_a_success_resets_the_count,
    users_endpoints_are_for_admins_only,
    users_are_shown_without_any_password,
    user_bodies_are_validated_field_by_field,
);

/// `GET /api/v1/users` with this `Authorization` header: an admin-only read that changes nothing.
async fn users_with_header(app: &TestApp, authorization: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = authorization.map(|value| ("authorization", value)).into_iter().collect();
    app.send(Method::GET, "/api/v1/users", None, None, &headers).await
}

/// `GET /api/v1/users` with this bearer token.
async fn users_with(app: &TestApp, token: &str) -> Reply {
    app.send(Method::GET, "/api/v1/users", Some(token), None, &[]).await
}

/// A write any admin or Yueqing editor may make: the title of Yueqing's leader 何学考.
async fn retitle_a_leader(app: &TestApp, token: &str, title: &str) -> Reply {
    let leaders = app.get_ok("/api/v1/leaders", &[("city", "330382"), ("q", "何学考")]).await;
    let id = leaders["items"][0]["id"].as_str().expect("何学考 is a leader of Yueqing");
    app.send(Method::PATCH, &format!("/api/v1/leaders/{id}"), Some(token), Some(json!({"title": title})), &[]).await
}

async fn a_password_buys_a_bearer_token_that_opens_writes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.create_user("yueqing-editor", UserRole::Editor, Some("330382")).await;

    let reply = app.login("yueqing-editor", PASSWORD).await;
    let body = reply.expect(StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!(expires_in > 0);
    let token = body["access_token"].as_str().expect("access_token");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().expect("a header")).expect("base64url"))
            .expect("JSON");
    assert_eq!(header["alg"], "HS256");
    let claims = token_claims(token);
    let yueqing = app.get_ok("/api/v1/cities/330382", &[]).await;
    assert_eq!(claims["sub"], id.to_string());
    assert_eq!(claims["role"], "editor");
    assert_eq!(claims["city"], yueqing["id"]);
    assert!(claims["pwd"].is_i64(), "{claims}");
    let (iat, exp) = (claims["iat"].as_i64().expect("iat"), claims["exp"].as_i64().expect("exp"));
    assert_eq!(exp - iat, expires_in);
    assert!((iat - now_seconds()).abs() <= 5, "issued now: {claims}");

    // The token opens a write of the editor's city; without it the same write is a 401.
    let reply = retitle_a_leader(&app, token, "市委常委、常务副市长").await;
    assert_eq!(reply.expect(StatusCode::OK)["title"], "市委常委、常务副市长");
    let reply = app
        .send(Method::PATCH, &format!("/api/v1/leaders/{}", reply.body["id"].as_str().expect("id")), None, None, &[])
        .await;
    reply.unauthorized();

    // An admin's token says so, with no city.
    app.create_user("root", UserRole::Admin, None).await;
    let reply = app.login("root", PASSWORD).await;
    let token = reply.expect(StatusCode::OK)["access_token"].as_str().expect("token").to_owned();
    assert_eq!(token_claims(&token)["role"], "admin");
    assert_eq!(token_claims(&token)["city"], Value::Null);
    users_with(&app, &token).await.expect(StatusCode::OK);
}

async fn wrong_passwords_and_unknown_users_are_refused_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("someone", UserRole::Admin, None).await;
    let wrong = app.login("someone", "not the password").await;
    wrong.problem(StatusCode::UNAUTHORIZED);
    assert!(wrong.body.get("access_token").is_none());
    let unknown = app.login("nobody", PASSWORD).await;
    unknown.problem(StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body, "the answer does not tell which usernames exist");
    // Close is not enough: case and surrounding characters matter in passwords.
    app.login("someone", &PASSWORD.to_uppercase()).await.problem(StatusCode::UNAUTHORIZED);
    app.login("someone", &format!("{PASSWORD} ")).await.problem(StatusCode::UNAUTHORIZED);
    app.login("someone", PASSWORD).await.expect(StatusCode::OK);
}

async fn token_requests_with_bad_bodies_are_400_or_422(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for body in [&b"{\"username\": \"someone\""[..], b"not json", b""] {
        let reply = app.send_bytes(Method::POST, "/api/v1/auth/token", None, body.to_vec()).await;
        reply.problem(StatusCode::BAD_REQUEST);
    }
    let cases = [
        (json!({"username": "someone", "password": 12345678}), "password"),
        (json!({"username": ["someone"], "password": PASSWORD}), "username"),
        (json!({"username": "someone", "password": PASSWORD, "remember_me": true}), "remember_me"),
        (json!({"username": "someone", "password": ""}), "password"),
        (json!({"username": "someone"}), "password"),
        (json!({"password": PASSWORD}), "username"),
    ];
    let mut wrong = Vec::new();
    for (body, field) in cases {
        let reply = app.send(Method::POST, "/api/v1/auth/token", None, Some(body.clone()), &[]).await;
        reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
        if reply.error_fields() != [field] {
            wrong.push(format!("{body}: expected the field {field}, got {}", reply.body));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The claims of a fresh admin's real token, and that admin's token.
async fn admin_claims(app: &TestApp) -> (Value, String) {
    let token = app.admin_token().await;
    (token_claims(&token), token)
}

async fn expired_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (claims, _) = admin_claims(&app).await;
    let now = now_seconds();

    // The forging works: the same claims, signed the same way and still valid, are accepted.
    let mut valid = claims.clone();
    valid["exp"] = json!(now + 60);
    users_with(&app, &sign_token(&valid, Algorithm::HS256, JWT_SECRET)).await.expect(StatusCode::OK);

    for expired_at in [now - 60, now - 3600, now - 86_400 * 365] {
        let mut expired = claims.clone();
        expired["iat"] = json!(expired_at - 3600);
        expired["exp"] = json!(expired_at);
        let token = sign_token(&expired, Algorithm::HS256, JWT_SECRET);
        let reply = users_with(&app, &token).await;
        reply.unauthorized();
        retitle_a_leader(&app, &token, "过期").await.unauthorized();
    }
    // A token without an expiry is refused too.
    let mut eternal = claims.clone();
    eternal.as_object_mut().expect("claims").remove("exp");
    users_with(&app, &sign_token(&eternal, Algorithm::HS256, JWT_SECRET)).await.unauthorized();
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn tokens_not_signed_with_hs256_and_the_servers_key_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (claims, token) = admin_claims(&app).await;
    let editor = app.token(UserRole::Editor, Some("331083")).await;
    let parts: Vec<&str> = token.split('.').collect();
    let (header, payload, signature) = (parts[0], parts[1], parts[2]);

    // The signature with one character changed (not the last, whose low bits base64 may ignore).
    let mut tampered: Vec<char> = signature.chars().collect();
    tampered[3] = if tampered[3] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    // An editor's token whose payload now says admin, under the editor's signature.
    let editor_parts: Vec<&str> = editor.split('.').collect();
    let mut promoted = token_claims(&editor);
    promoted["role"] = json!("admin");
    promoted["city"] = Value::Null;
    let hs512_header = b64(&json!({"alg": "HS512", "typ": "JWT"}));
    let none_header = b64(&json!({"alg": "none", "typ": "JWT"}));
    let none_upper_header = b64(&json!({"alg": "None", "typ": "JWT"}));
    let mut unknown_user = claims.clone();
    unknown_user["sub"] = json!(uuid::Uuid::now_v7());

    let forged: Vec<(&str, String)> = vec![
        ("a tampered signature", format!("{header}.{payload}.{tampered}")),
        ("no signature", format!("{header}.{payload}.")),
        ("a promoted payload", format!("{}.{}.{}", editor_parts[0], b64(&promoted), editor_parts[2])),
        ("another key", sign_token(&claims, Algorithm::HS256, "someone-elses-secret-of-32-bytes!!")),
        ("alg none, unsigned", format!("{none_header}.{payload}.")),
        ("alg None, unsigned", format!("{none_upper_header}.{payload}.")),
        ("alg none, with the real signature", format!("{none_header}.{payload}.{signature}")),
        ("HS512 with the server's key", sign_token(&claims, Algorithm::HS512, JWT_SECRET)),
        ("HS384 with the server's key", sign_token(&claims, Algorithm::HS384, JWT_SECRET)),
        ("alg swapped to HS512 in the header", format!("{hs512_header}.{payload}.{signature}")),
        ("a user that does not exist", sign_token(&unknown_user, Algorithm::HS256, JWT_SECRET)),
    ];
    // The control: the real token and a faithful re-signing both work.
    users_with(&app, &token).await.expect(StatusCode::OK);
    users_with(&app, &sign_token(&claims, Algorithm::HS256, JWT_SECRET)).await.expect(StatusCode::OK);
    for (what, forged) in &forged {
        let reply = users_with(&app, forged).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {}", reply.body);
        reply.unauthorized();
        let reply = retitle_a_leader(&app, forged, "伪造").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {}", reply.body);
        reply.unauthorized();
    }
    let leaders = app.get_all("/api/v1/leaders", &[("q", "何学考")]).await;
    assert_eq!(leaders[0]["title"], "常务副市长", "no forged token changed anything");
}

async fn missing_malformed_and_non_bearer_credentials_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}")));
    let refused: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some("Bearer not-a-jwt".to_owned()),
        Some("Bearer a.b.c".to_owned()),
        Some("Bearer ....".to_owned()),
        Some(format!("Bearer {token} trailing")),
        Some(format!("Bearer {token}x")),
        Some(token.clone()),
        Some(format!("Token {token}")),
        Some(format!("Bearer: {token}")),
        Some(basic),
    ];
    let city = app.send(Method::GET, "/api/v1/cities/330382", None, None, &[]).await;
    for authorization in &refused {
        let reply = users_with_header(&app, authorization.as_deref()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{authorization:?}: {}", reply.body);
        reply.unauthorized();
        let headers: Vec<(&str, &str)> =
            authorization.as_deref().map(|value| ("authorization", value)).into_iter().collect();
        let write =
            app.send(Method::PATCH, "/api/v1/cities/330382", None, Some(json!({"name_en": "Changed"})), &headers).await;
        assert_eq!(write.status, StatusCode::UNAUTHORIZED, "{authorization:?}: {}", write.body);
        write.unauthorized();
    }
    let after = app.send(Method::GET, "/api/v1/cities/330382", None, None, &[]).await;
    assert_eq!((&after.body, after.etag()), (&city.body, city.etag()));
    // The scheme is case-insensitive (RFC 9110).
    users_with_header(&app, Some(&format!("bearer {token}"))).await.expect(StatusCode::OK);
    users_with_header(&app, Some(&format!("Bearer {token}"))).await.expect(StatusCode::OK);
}

async fn a_disabled_user_can_neither_use_a_token_nor_log_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let editor = app.session(UserRole::Editor, Some("330382")).await;
    retitle_a_leader(&app, &editor.token, "副市长甲").await.expect(StatusCode::OK);

    let path = format!("/api/v1/users/{}", editor.id);
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"disabled": true})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["disabled"], true);
    retitle_a_leader(&app, &editor.token, "副市长乙").await.unauthorized();
    let login = app.login(&editor.username, PASSWORD).await;
    login.problem(StatusCode::UNAUTHORIZED);
    assert!(login.body.get("access_token").is_none());
    let leaders = app.get_all("/api/v1/leaders", &[("q", "何学考")]).await;
    assert_eq!(leaders[0]["title"], "副市长甲");

    // Enabled again, they log in again.
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"disabled": false})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["disabled"], false);
    let token = app.login(&editor.username, PASSWORD).await.expect(StatusCode::OK)["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    retitle_a_leader(&app, &token, "副市长丙").await.expect(StatusCode::OK);

    // An admin disabled by another admin loses admin rights at once.
    let other = app.session(UserRole::Admin, None).await;
    users_with(&app, &other.token).await.expect(StatusCode::OK);
    let path = format!("/api/v1/users/{}", other.id);
    app.send(Method::PATCH, &path, Some(&admin), Some(json!({"disabled": true})), &[]).await.expect(StatusCode::OK);
    users_with(&app, &other.token).await.unauthorized();
    app.login(&other.username, PASSWORD).await.problem(StatusCode::UNAUTHORIZED);
}

async fn a_deleted_users_token_stops_working(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let other = app.session(UserRole::Admin, None).await;
    users_with(&app, &other.token).await.expect(StatusCode::OK);
    let path = format!("/api/v1/users/{}", other.id);
    app.send(Method::DELETE, &path, Some(&admin), None, &[]).await.expect(StatusCode::NO_CONTENT);
    users_with(&app, &other.token).await.unauthorized();
    retitle_a_leader(&app, &other.token, "已删除").await.unauthorized();
    app.login(&other.username, PASSWORD).await.problem(StatusCode::UNAUTHORIZED);
    app.send(Method::GET, &path, Some(&admin), None, &[]).await.problem(StatusCode::NOT_FOUND);

    // A new user with the same name is someone else: the old token does not come back to life.
    app.create_user(&other.username, UserRole::Admin, None).await;
    users_with(&app, &other.token).await.unauthorized();
}

async fn a_password_change_kills_old_tokens_and_the_new_password_works(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let editor = app.session(UserRole::Editor, Some("330382")).await;
    let path = format!("/api/v1/users/{}", editor.id);

    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"password": "a new pass phrase"})), &[]).await;
    reply.expect(StatusCode::OK);
    assert!(!reply.body.to_string().contains("a new pass phrase"));
    retitle_a_leader(&app, &editor.token, "旧令牌").await.unauthorized();
    app.login(&editor.username, PASSWORD).await.problem(StatusCode::UNAUTHORIZED);
    let token = app.login(&editor.username, "a new pass phrase").await.expect(StatusCode::OK)["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    retitle_a_leader(&app, &token, "新令牌").await.expect(StatusCode::OK);

    // PUT sets the password too.
    let body =
        json!({"username": editor.username, "password": "third pass phrase", "role": "editor", "city": "330382"});
    app.send(Method::PUT, &path, Some(&admin), Some(body), &[]).await.expect(StatusCode::OK);
    retitle_a_leader(&app, &token, "第二个旧令牌").await.unauthorized();
    app.login(&editor.username, "a new pass phrase").await.problem(StatusCode::UNAUTHORIZED);
    app.login(&editor.username, "third pass phrase").await.expect(StatusCode::OK);
}

async fn repeated_failed_logins_must_wait_and_a_success_resets_the_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("target", UserRole::Editor, Some("330382")).await;
    app.create_user("bystander", UserRole::Editor, Some("330382")).await;

    // Four failures, then a success, which resets the count.
    for _ in 0..4 {
        app.login("target", "guess").await.problem(StatusCode::UNAUTHORIZED);
    }
    app.login("target", PASSWORD).await.expect(StatusCode::OK);
    // So five more failures are each a plain 401 ...
    for attempt in 1..=5 {
        let reply = app.login("target", "guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {}", reply.body);
    }
    // ... and only now must the next attempt wait, right password or not.
    for password in ["guess", PASSWORD] {
        let reply = app.login("target", password).await;
        reply.problem(StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = reply
            .header("retry-after")
            .unwrap_or_else(|| panic!("a 429 says when to retry: {:?}", reply.headers))
            .parse()
            .expect("Retry-After in seconds");
        assert!((1..=2).contains(&retry_after), "the first wait is about a second: {retry_after}");
        assert!(reply.body.get("access_token").is_none());
    }
    // Other usernames are not held up, nor are unknown ones counted against them.
    app.login("bystander", PASSWORD).await.expect(StatusCode::OK);

    // Once the wait is over the right password works, and the count starts again.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    app.login("target", PASSWORD).await.expect(StatusCode::OK);
    for _ in 0..5 {
        app.login("target", "guess").await.problem(StatusCode::UNAUTHORIZED);
    }
    app.login("target", "guess").await.problem(StatusCode::TOO_MANY_REQUESTS);

    // Unknown usernames are slowed down the same way, so guessing names costs as much.
    for _ in 0..5 {
        app.login("ghost", "guess").await.problem(StatusCode::UNAUTHORIZED);
    }
    app.login("ghost", "guess").await.problem(StatusCode::TOO_MANY_REQUESTS);
}

async fn users_endpoints_are_for_admins_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let someone = app.session(UserRole::Viewer, None).await;
    let user = format!("/api/v1/users/{}", someone.id);
    let revisions = format!("{user}/revisions");
    let new_user = json!({"username": "newcomer", "password": PASSWORD, "role": "viewer", "city": null});
    let replacement = json!({"username": someone.username, "password": PASSWORD, "role": "admin", "city": null});
    let requests: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/api/v1/users", None),
        (Method::GET, &user, None),
        (Method::GET, &revisions, None),
        (Method::POST, "/api/v1/users", Some(new_user)),
        (Method::PUT, &user, Some(replacement)),
        (Method::PATCH, &user, Some(json!({"role": "admin"}))),
        (Method::DELETE, &user, None),
    ];
    let before = app.send(Method::GET, "/api/v1/users", Some(&admin), None, &[]).await;
    let revisions_before = app.revision_count().await;
    let others = [
        app.token(UserRole::Viewer, None).await,
        app.token(UserRole::Editor, Some("330382")).await,
        app.token(UserRole::Editor, None).await,
        someone.token.clone(),
    ];
    let before_total = before.body["total"].as_u64().expect("total") + others.len() as u64 - 1;
    for (method, path, body) in &requests {
        for token in &others {
            let reply = app.send(method.clone(), path, Some(token), body.clone(), &[]).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}: {}", reply.body);
            reply.problem(StatusCode::FORBIDDEN);
        }
        app.send(method.clone(), path, None, body.clone(), &[]).await.unauthorized();
    }
    let after = app.send(Method::GET, "/api/v1/users", Some(&admin), None, &[]).await;
    assert_eq!(after.body["total"], before_total);
    let reply = app.send(Method::GET, &user, Some(&admin), None, &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["role"], "viewer", "the viewer was not promoted");
    // Only the three users made above left revisions.
    assert_eq!(app.revision_count().await, revisions_before + 3);

    // An admin may do all of it.
    for (method, path, body) in requests {
        let reply = app.send(method.clone(), path, Some(&admin), body, &[]).await;
        assert!(reply.status.is_success(), "{method} {path}: {} {}", reply.status, reply.body);
    }
}

/// The fields a user is shown with, and no others.
const USER_FIELDS: [&str; 9] =
    ["city", "created_at", "disabled", "id", "password_changed_at", "role", "units", "updated_at", "username"];

fn assert_user_shape(user: &Value) {
    let mut keys: Vec<&str> = user.as_object().expect("a user").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, USER_FIELDS, "{user}");
}

fn assert_no_secret(reply: &Reply) {
    let text = reply.body.to_string();
    for secret in ["argon2", "password_hash", "\"password\"", "hash", PASSWORD] {
        assert!(!text.contains(secret), "{secret} shown in {text}");
    }
}

async fn users_are_shown_without_any_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let yueqing = app.get_ok("/api/v1/cities/330382", &[]).await;
    let body = json!({"username": "yq.editor_1", "password": PASSWORD, "role": "editor", "city": "330382"});
    let created = app.send(Method::POST, "/api/v1/users", Some(&admin), Some(body), &[]).await;
    created.expect(StatusCode::CREATED);
    assert_no_secret(&created);
    assert_user_shape(&created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(created.header("location"), Some(format!("/api/v1/users/{id}").as_str()));
    assert_eq!(created.body["username"], "yq.editor_1");
    assert_eq!(created.body["role"], "editor");
    assert_eq!(created.body["disabled"], false);
    assert_eq!(created.body["city"], json!({"id": yueqing["id"], "code": "330382", "name": "乐清市"}));
    assert_eq!(created.body["created_at"], created.body["updated_at"]);

    let read = app.send(Method::GET, &format!("/api/v1/users/{id}"), Some(&admin), None, &[]).await;
    assert_eq!(read.expect(StatusCode::OK), &created.body);
    assert_eq!(read.etag(), created.etag());
    assert_no_secret(&read);

    // A city given by id works as well as by code; null is every city.
    let path = format!("/api/v1/users/{id}");
    let by_id = json!({"city": yueqing["id"]});
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(by_id), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["city"]["code"], "330382");
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"city": null, "role": "viewer"})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["city"], Value::Null);
    assert_eq!(reply.body["role"], "viewer");
    assert_user_shape(&reply.body);
    assert_no_secret(&reply);

    let list = app.send(Method::GET, "/api/v1/users", Some(&admin), None, &[]).await;
    list.expect(StatusCode::OK);
    assert_no_secret(&list);
    let users = list.body["items"].as_array().expect("items");
    assert_eq!(users.len(), 2);
    users.iter().for_each(assert_user_shape);
    let revisions = app.send(Method::GET, &format!("{path}/revisions"), Some(&admin), None, &[]).await;
    revisions.expect(StatusCode::OK);
    assert_no_secret(&revisions);
    let actions: Vec<&str> = revisions.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["create", "update"]);
}

async fn user_bodies_are_validated_field_by_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let someone = app.session(UserRole::Viewer, None).await;
    let valid = json!({"username": "valid-name", "password": PASSWORD, "role": "editor", "city": "330382"});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("username", json!("ab")), "username"),
        (with("username", json!("x".repeat(51))), "username"),
        (with("username", json!("has space")), "username"),
        (with("username", json!("名字")), "username"),
        (with("password", json!("short")), "password"),
        (with("password", json!("p".repeat(201))), "password"),
        (with("role", json!("boss")), "role"),
        (with("city", json!("999999")), "city"),
        (with("city", json!("yueqing")), "city"),
        (with("disabled", json!("no")), "disabled"),
        (with("is_admin", json!(true)), "is_admin"),
    ];
    let revisions = app.revision_count().await;
    for (body, field) in cases {
        let reply = app.send(Method::POST, "/api/v1/users", Some(&admin), Some(body.clone()), &[]).await;
        reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
        let fields = reply.error_fields();
        assert!(!fields.is_empty() && fields.iter().all(|f| f == field), "{body}: {fields:?}");
    }
    // Usernames are unique, and cannot change.
    let taken = with("username", json!(someone.username));
    app.send(Method::POST, "/api/v1/users", Some(&admin), Some(taken), &[]).await.problem(StatusCode::CONFLICT);
    let path = format!("/api/v1/users/{}", someone.id);
    let renamed = with("username", json!("renamed"));
    let reply = app.send(Method::PUT, &path, Some(&admin), Some(renamed), &[]).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["username"]);
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"username": "renamed"})), &[]).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"password": "short"})), &[]).await;
    assert_eq!(reply.error_fields(), ["password"]);
    assert_eq!(app.revision_count().await, revisions, "refused bodies leave no trace");
    app.login(&someone.username, PASSWORD).await.expect(StatusCode::OK);

    let mut missing = valid.clone();
    missing.as_object_mut().expect("object").remove("password");
    let reply = app.send(Method::POST, "/api/v1/users", Some(&admin), Some(missing), &[]).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["password"], "a missing field is named");
}
