//! Organization B can neither see nor touch anything of organization A, over REST or GraphQL:
//! another organization's record is a 404 (or `null`), never a 403 and never data.

use crm_tests::{PASSWORD, dual};
use serde_json::json;

dual! {
    async fn org_b_cannot_read_list_change_or_delete_org_a(app: &TestApp) {
        let a = app.signup("Org A", "admin@a.test").await;
        let a_agent = app.member(&a, "agent", "agent@a.test").await;
        let (a_key_id, _) = app.api_key(&a, "read", "viewer").await;
        let b = app.signup("Org B", "admin@b.test").await;
        let (_, b_key) = app.api_key(&b, "read_write", "admin").await;

        for token in [&b.token, &b_key] {
            // Read
            app.get(&format!("/api/v1/users/{}", a_agent.user_id), Some(token)).await.problem(404, "not_found");
            // List
            let page = app.get("/api/v1/users", Some(token)).await.ok(200);
            let emails: Vec<_> = page["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect();
            assert_eq!(emails, vec!["admin@b.test"]);
            // Change
            app.patch(&format!("/api/v1/users/{}", a_agent.user_id), Some(token), json!({"name": "pwned"})).await.problem(404, "not_found");
            app.post(&format!("/api/v1/users/{}/deactivate", a_agent.user_id), Some(token), json!({})).await.problem(404, "not_found");
        }
        // API keys of A are invisible and unrevokable to B.
        let keys = app.get("/api/v1/api-keys", Some(&b.token)).await.ok(200);
        assert_eq!(keys["data"].as_array().unwrap().len(), 1);
        app.delete(&format!("/api/v1/api-keys/{a_key_id}"), Some(&b.token)).await.problem(404, "not_found");

        // GraphQL: reads answer null, lists hold only B's records, mutations answer not_found.
        let read = app.gql(Some(&b.token), "query($id: ID!) { user(id: $id) { email } users(first: 10) { edges { node { email } } } }", json!({"id": a_agent.user_id})).await.ok(200);
        assert!(read["data"]["user"].is_null(), "{read}");
        assert_eq!(read["data"]["users"]["edges"].as_array().unwrap().len(), 1);
        let change = app.gql(Some(&b.token), "mutation($id: ID!) { updateUser(id: $id, input: {name: \"pwned\"}) { id } }", json!({"id": a_agent.user_id})).await.ok(200);
        assert_eq!(change["errors"][0]["extensions"]["code"], "not_found");
        let deactivate = app.gql(Some(&b.token), "mutation($id: ID!) { deactivateUser(id: $id) { id } }", json!({"id": a_agent.user_id})).await.ok(200);
        assert_eq!(deactivate["errors"][0]["extensions"]["code"], "not_found");
        let revoke = app.gql(Some(&b.token), "mutation($id: ID!) { revokeApiKey(id: $id) { id } }", json!({"id": a_key_id})).await.ok(200);
        assert_eq!(revoke["errors"][0]["extensions"]["code"], "not_found");

        // A's records are untouched.
        let agent = app.get(&format!("/api/v1/users/{}", a_agent.user_id), Some(&a.token)).await.ok(200);
        assert_eq!(agent["name"], "agent");
        assert_eq!(agent["active"], true);
        let keys = app.get("/api/v1/api-keys", Some(&a.token)).await.ok(200);
        assert!(keys["data"][0]["revoked_at"].is_null());
        app.login("agent@a.test").await;
        let _ = PASSWORD;
    }
}
