//! A client for the Cognito admin API (`AWSCognitoIdentityProviderService`
//! JSON over HTTPS, signed with AWS Signature Version 4): the admin console's
//! only way to the user directory, so it works the same against Amazon Cognito
//! (with AWS credentials) and the local pool (with its `[[admin_credentials]]`).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::directory::{DirectoryUser, Group, UsersPage};

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

/// Where the admin API is and who calls it.
pub struct CognitoAdmin {
    /// `https://cognito-idp.{region}.amazonaws.com/`, or the local pool's root.
    endpoint: String,
    region: String,
    pool_id: String,
    identity: Identity,
    http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Attribute {
    name: String,
    value: String,
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

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsResponse {
    groups: Vec<GroupType>,
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

    /// One operation: the signed request, and Cognito's answer or exception.
    async fn call(&self, operation: &str, mut body: Value) -> Result<Value, AdminApiError> {
        if let Value::Object(fields) = &mut body {
            fields.insert("UserPoolId".to_owned(), json!(self.pool_id));
        }
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
