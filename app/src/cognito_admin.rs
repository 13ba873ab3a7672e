//! A client for the Cognito admin API (`AWSCognitoIdentityProviderService`
//! JSON over HTTPS, signed with AWS Signature Version 4): the admin console's
//! only way to the user directory, so it works the same against Amazon Cognito
//! (with AWS credentials) and the local pool (with its `[[admin_credentials]]`).
//! A client acts on one pool (the app's own, as configured); `in_pool` gives
//! the same caller's client for another of the server's pools (`list_pools`).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::directory::{DirectoryUser, Group, PoolSummary, UsersPage};
use crate::user_api::Attribute;

/// The console's page size.
const PAGE_SIZE: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum AdminApiError {
    /// Cognito refused: its exception name and message.
    #[error("{kind}: {message}")]
    Refused { kind: String, message: String },
    #[error("the user pool could not be reached: {0}")]
    Transport(String),
    #[error("the request could not be signed: {0}")]
    Signing(String),
}

/// Where the admin API is, who calls it, and the pool its user and group operations act on.
#[derive(Clone)]
pub struct CognitoAdmin {
    /// `https://cognito-idp.{region}.amazonaws.com/`, or the local pool's root.
    endpoint: String,
    region: String,
    /// The `UserPoolId` of every user and group operation.
    pool_id: String,
    identity: Identity,
    http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserType {
    username: String,
    #[serde(default)]
    attributes: Vec<Attribute>,
    user_status: String,
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUsersResponse {
    users: Vec<UserType>,
    pagination_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupType {
    group_name: String,
    description: Option<String>,
}

/// AdminGetUser's answer, for the second factors on.
#[derive(Deserialize)]
struct SecondFactors {
    #[serde(default, rename = "UserMFASettingList")]
    enabled: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsResponse {
    groups: Vec<GroupType>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolDescription {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUserPoolsResponse {
    #[serde(default)]
    user_pools: Vec<PoolDescription>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
struct CognitoError {
    #[serde(rename = "__type")]
    kind: String,
    #[serde(default)]
    message: String,
}

impl CognitoAdmin {
    pub fn new(
        endpoint: &str,
        region: &str,
        pool_id: &str,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<String>,
        http: reqwest::Client,
    ) -> CognitoAdmin {
        let credentials = Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            None,
            "leptos-cognito",
        );
        CognitoAdmin {
            endpoint: endpoint.to_owned(),
            region: region.to_owned(),
            pool_id: pool_id.to_owned(),
            identity: credentials.into(),
            http,
        }
    }

    /// The pool this client's user and group operations act on.
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The same caller's client for the pool `pool_id`.
    pub fn in_pool(&self, pool_id: &str) -> CognitoAdmin {
        CognitoAdmin {
            pool_id: pool_id.to_owned(),
            ..self.clone()
        }
    }

    /// One operation on this client's pool (`UserPoolId` added to `body`).
    async fn call(&self, operation: &str, mut body: Value) -> Result<Value, AdminApiError> {
        if let Value::Object(fields) = &mut body {
            fields.insert("UserPoolId".to_owned(), json!(self.pool_id));
        }
        self.send(operation, body).await
    }

    /// One operation: the signed request, and Cognito's answer or exception.
    async fn send(&self, operation: &str, body: Value) -> Result<Value, AdminApiError> {
        let payload = body.to_string();
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("cognito-idp")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AdminApiError::Signing(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &self.endpoint,
            headers.iter().copied(),
            SignableBody::Bytes(payload.as_bytes()),
        )
        .map_err(|e| AdminApiError::Signing(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| AdminApiError::Signing(e.to_string()))?
            .into_parts();
        let mut request = self.http.post(&self.endpoint).body(payload);
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| AdminApiError::Transport(e.to_string()))?;
        let ok = response.status().is_success();
        let text = response
            .text()
            .await
            .map_err(|e| AdminApiError::Transport(e.to_string()))?;
        if ok {
            serde_json::from_str(&text).map_err(|e| AdminApiError::Transport(e.to_string()))
        } else {
            let error: CognitoError =
                serde_json::from_str(&text).map_err(|_| AdminApiError::Transport(text))?;
            Err(AdminApiError::Refused {
                kind: error.kind.rsplit('#').next().unwrap_or_default().to_owned(),
                message: error.message,
            })
        }
    }

    fn decode<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, AdminApiError> {
        serde_json::from_value(value).map_err(|e| AdminApiError::Transport(e.to_string()))
    }

    /// Every user pool the caller may see (in the account and region, or on the
    /// local server), all pages of ListUserPools.
    pub async fn list_pools(&self) -> Result<Vec<PoolSummary>, AdminApiError> {
        let mut pools = Vec::new();
        let mut next_token = None::<String>;
        loop {
            let mut request = serde_json::Map::new();
            request.insert("MaxResults".to_owned(), json!(60));
            if let Some(token) = next_token.take() {
                request.insert("NextToken".to_owned(), json!(token));
            }
            let page: ListUserPoolsResponse =
                Self::decode(self.send("ListUserPools", Value::Object(request)).await?)?;
            pools.extend(page.user_pools.into_iter().map(|p| PoolSummary {
                id: p.id,
                name: p.name,
            }));
            match page.next_token.filter(|t| !t.is_empty()) {
                Some(token) => next_token = Some(token),
                None => return Ok(pools),
            }
        }
    }

    /// A page of users whose email starts with `email_prefix` (all when empty), with their groups.
    pub async fn list_users(
        &self,
        email_prefix: &str,
        page: Option<&str>,
    ) -> Result<UsersPage, AdminApiError> {
        let mut request = serde_json::Map::new();
        request.insert("Limit".to_owned(), json!(PAGE_SIZE));
        if !email_prefix.is_empty() {
            let escaped = email_prefix.replace('\\', "\\\\").replace('"', "\\\"");
            request.insert(
                "Filter".to_owned(),
                json!(format!("email ^= \"{escaped}\"")),
            );
        }
        if let Some(page) = page {
            request.insert("PaginationToken".to_owned(), json!(page));
        }
        let listed: ListUsersResponse =
            Self::decode(self.call("ListUsers", Value::Object(request)).await?)?;
        let mut users = Vec::with_capacity(listed.users.len());
        for user in listed.users {
            let groups = self.groups_of(&user.username).await?;
            let mfa = self.second_factors_of(&user.username).await?;
            let email = user
                .attributes
                .into_iter()
                .find(|a| a.name == "email")
                .map(|a| a.value)
                .unwrap_or_default();
            users.push(DirectoryUser {
                username: user.username,
                email,
                status: user.user_status,
                enabled: user.enabled,
                groups,
                mfa,
            });
        }
        Ok(UsersPage {
            users,
            next_page: listed.pagination_token,
        })
    }

    /// The groups `username` is in now.
    pub async fn groups_of(&self, username: &str) -> Result<Vec<String>, AdminApiError> {
        let reply = self
            .call(
                "AdminListGroupsForUser",
                json!({ "Username": username, "Limit": 60 }),
            )
            .await?;
        let groups: GroupsResponse = Self::decode(reply)?;
        Ok(groups.groups.into_iter().map(|g| g.group_name).collect())
    }

    /// The second factors `username` has on (ListUsers does not say: AdminGetUser does).
    pub async fn second_factors_of(&self, username: &str) -> Result<Vec<String>, AdminApiError> {
        let reply = self
            .call("AdminGetUser", json!({ "Username": username }))
            .await?;
        let user: SecondFactors = Self::decode(reply)?;
        Ok(user.enabled)
    }

    /// Turns off every second factor of `username` (who then signs in with
    /// the password alone, or sets one up where the pool requires it).
    pub async fn reset_second_factors(&self, username: &str) -> Result<(), AdminApiError> {
        let off = json!({ "Enabled": false, "PreferredMfa": false });
        self.call(
            "AdminSetUserMFAPreference",
            json!({
                "Username": username,
                "SoftwareTokenMfaSettings": off,
                "EmailMfaSettings": off,
            }),
        )
        .await
        .map(drop)
    }

    /// Creates a user with a temporary password, which the pool mails to them;
    /// they choose their own at first sign-in.
    pub async fn create_user(&self, email: &str) -> Result<(), AdminApiError> {
        self.call(
            "AdminCreateUser",
            json!({
                "Username": email,
                "UserAttributes": [
                    { "Name": "email", "Value": email },
                    { "Name": "email_verified", "Value": "true" },
                ],
                "DesiredDeliveryMediums": ["EMAIL"],
            }),
        )
        .await
        .map(drop)
    }

    pub async fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), AdminApiError> {
        let operation = if enabled {
            "AdminEnableUser"
        } else {
            "AdminDisableUser"
        };
        self.call(operation, json!({ "Username": username }))
            .await
            .map(drop)
    }

    pub async fn delete_user(&self, username: &str) -> Result<(), AdminApiError> {
        self.call("AdminDeleteUser", json!({ "Username": username }))
            .await
            .map(drop)
    }

    pub async fn set_membership(
        &self,
        username: &str,
        group: &str,
        member: bool,
    ) -> Result<(), AdminApiError> {
        let operation = if member {
            "AdminAddUserToGroup"
        } else {
            "AdminRemoveUserFromGroup"
        };
        self.call(
            operation,
            json!({ "Username": username, "GroupName": group }),
        )
        .await
        .map(drop)
    }

    pub async fn create_group(&self, name: &str, description: &str) -> Result<(), AdminApiError> {
        let mut request = serde_json::Map::new();
        request.insert("GroupName".to_owned(), json!(name));
        if !description.is_empty() {
            request.insert("Description".to_owned(), json!(description));
        }
        self.call("CreateGroup", Value::Object(request))
            .await
            .map(drop)
    }

    pub async fn list_groups(&self) -> Result<Vec<Group>, AdminApiError> {
        let reply = self.call("ListGroups", json!({ "Limit": 60 })).await?;
        let groups: GroupsResponse = Self::decode(reply)?;
        Ok(groups
            .groups
            .into_iter()
            .map(|g| Group {
                name: g.group_name,
                description: g.description,
            })
            .collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// What the stand-in API was asked: the operation and its body.
    pub(crate) type Asked = Arc<Mutex<Vec<(String, Value)>>>;

    /// A client of the pool `us-east-1_Own` at a stand-in JSON API that answers with `answer`.
    pub(crate) async fn api_answering(
        answer: impl Fn(&str, &Value) -> (u16, Value) + Clone + Send + Sync + 'static,
    ) -> (CognitoAdmin, Asked) {
        let asked = Asked::default();
        let log = asked.clone();
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let (answer, log) = (answer.clone(), log.clone());
                async move {
                    let target = headers["x-amz-target"].to_str().expect("target");
                    let operation = target.trim_start_matches("AWSCognitoIdentityProviderService.");
                    let body: Value = serde_json::from_str(&body).expect("JSON");
                    let (status, reply) = answer(operation, &body);
                    log.lock().expect("log").push((operation.to_owned(), body));
                    (
                        axum::http::StatusCode::from_u16(status).expect("status"),
                        reply.to_string(),
                    )
                }
            }),
        );
        let pool = crate::test_tokens::pool_serving(app).await;
        let admin = CognitoAdmin::new(
            pool.api_endpoint.as_deref().expect("a Cognito pool's API"),
            "us-east-1",
            "us-east-1_Own",
            "AKIDEXAMPLE",
            "secret",
            None,
            reqwest::Client::new(),
        );
        (admin, asked)
    }

    #[tokio::test]
    async fn list_pools_reads_every_page_without_a_pool_id() {
        let (admin, asked) = api_answering(|_, body| match body.get("NextToken") {
            None => (
                200,
                json!({
                    "UserPools": [{ "Id": "us-east-1_Own", "Name": "own" }, { "Id": "us-east-1_A", "Name": "a" }],
                    "NextToken": "page-2",
                }),
            ),
            Some(_) => (200, json!({ "UserPools": [{ "Id": "us-east-1_B", "Name": "b" }] })),
        })
        .await;
        let pools = admin.list_pools().await.expect("pools");
        let ids: Vec<&str> = pools.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["us-east-1_Own", "us-east-1_A", "us-east-1_B"]);
        assert_eq!(
            pools.first().map(PoolSummary::label).as_deref(),
            Some("own (us-east-1_Own)")
        );
        let asked = asked.lock().expect("log").clone();
        assert_eq!(
            asked,
            [
                ("ListUserPools".to_owned(), json!({ "MaxResults": 60 })),
                (
                    "ListUserPools".to_owned(),
                    json!({ "MaxResults": 60, "NextToken": "page-2" })
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_client_in_another_pool_names_that_pool() {
        let (admin, asked) = api_answering(|_, _| (200, json!({ "Groups": [] }))).await;
        admin.list_groups().await.expect("groups");
        let other = admin.in_pool("us-east-1_Other");
        assert_eq!(other.pool_id(), "us-east-1_Other");
        other.list_groups().await.expect("groups");
        let pools: Vec<Value> = asked
            .lock()
            .expect("log")
            .iter()
            .map(|(_, body)| body["UserPoolId"].clone())
            .collect();
        assert_eq!(pools, [json!("us-east-1_Own"), json!("us-east-1_Other")]);
    }
}
