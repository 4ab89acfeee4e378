//! A client of boxoffice's public API, as an outside program sees it: REST with problem+json
//! errors and GraphQL with `extensions.code`. Used by `boxoffice seed`, the benchmarks and the
//! end-to-end tests, so they all drive the system the way a real client would.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{method} {path}: {status} {body}")]
    Status {
        method: Method,
        path: String,
        status: StatusCode,
        body: Value,
    },
    #[error("GraphQL {code}: {message}")]
    GraphQl {
        code: String,
        message: String,
        error: Value,
    },
    #[error("transport: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl ClientError {
    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The GraphQL `extensions.code`, when the server answered with a GraphQL error.
    pub fn graphql_code(&self) -> Option<&str> {
        match self {
            Self::GraphQl { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// What register, login and refresh answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
}

#[derive(Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl ApiClient {
    /// A client of the gateway (or a single service) at `base`, e.g. `http://127.0.0.1:8000`.
    pub fn new(base: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_default();
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            http,
            token: None,
        }
    }

    /// The same client acting as the holder of `access_token`.
    pub fn with_token(&self, access_token: impl Into<String>) -> Self {
        Self {
            token: Some(access_token.into()),
            ..self.clone()
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<Session, ClientError> {
        self.send(
            Method::POST,
            "/api/v1/auth/register",
            Some(json!({"email": email, "password": password, "name": name})),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<Session, ClientError> {
        self.send(
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
    ) -> Result<T, ClientError> {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Any REST call; a non-2xx answer is `ClientError::Status` with the problem body.
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, ClientError> {
        let mut request = self.request(method.clone(), path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            let body = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            return Err(ClientError::Status {
                method,
                path: path.to_owned(),
                status,
                body,
            });
        }
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// A GraphQL operation; returns `data`, or the first error as `ClientError::GraphQl`.
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value, ClientError> {
        let response = self
            .request(Method::POST, "/graphql")
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        if let Some(error) = body["errors"].as_array().and_then(|errors| errors.first()) {
            return Err(ClientError::GraphQl {
                code: error["extensions"]["code"]
                    .as_str()
                    .unwrap_or("UNKNOWN")
                    .to_owned(),
                message: error["message"].as_str().unwrap_or_default().to_owned(),
                error: error.clone(),
            });
        }
        if !status.is_success() {
            return Err(ClientError::Status {
                method: Method::POST,
                path: "/graphql".into(),
                status,
                body,
            });
        }
        Ok(body["data"].clone())
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{}", self.base, path));
        for (name, value) in boxoffice_telemetry::trace_context::outbound() {
            request = request.header(name, value);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }
}
