//! The Installation tab of a client: its `keycloak.json` for the configured method (Keycloak's
//! field names and order, placeholders for what the server does not hold), a Spring Security
//! registration and an environment block, each with copy and download.

#[cfg(feature = "ssr")]
use keyward_credentials::operator::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::*;
use crate::error::AppError;
use crate::islands::CopyButton;

/// One snippet with the file name it downloads as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub title: String,
    pub file_name: String,
    pub mime: String,
    pub text: String,
}

/// What the Installation tab shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationView {
    pub client_id: String,
    /// The token endpoint auth method, e.g. `private_key_jwt`.
    pub method: String,
    pub snippets: Vec<Snippet>,
}

#[server(endpoint = "get_installation")]
pub async fn get_installation(realm: String, id: String) -> Result<InstallationView, AppError> {
    use crate::credentials::api::server::keycloak_json;
    use crate::ssr::*;
    use keyward_credentials::snippet::{env_block, spring_yaml, ClientFacts};
    let (ctx, _op) = authorize(Role::Viewer, None).await?;
    let (r, c) = realm_and_client(&ctx, &realm, &id).await?;
    let facts = ClientFacts {
        realm: &r.name,
        public_url: &ctx.settings.public_url,
        client_id: &c.client_id,
        public_client: c.public_client,
        authenticator: &c.authenticator,
        signing_alg: c.signing_alg.as_deref(),
        mtls_url: ctx.settings.mtls_public_url.as_deref(),
    };
    Ok(InstallationView {
        client_id: c.client_id.clone(),
        method: facts.auth_method().into(),
        snippets: vec![
            Snippet {
                title: "Keycloak OIDC JSON (keycloak.json)".into(),
                file_name: "keycloak.json".into(),
                mime: "application/json".into(),
                text: keycloak_json(&ctx, &r.name, &c, None),
            },
            Snippet {
                title: "Spring Security (application.yml)".into(),
                file_name: "application.yml".into(),
                mime: "application/yaml".into(),
                text: spring_yaml(&facts),
            },
            Snippet {
                title: "Environment variables".into(),
                file_name: format!("{}.env", c.client_id.replace(['/', '\\'], "_")),
                mime: "text/plain".into(),
                text: env_block(&facts),
            },
        ],
    })
}

/// A data URL for a download link.
pub fn data_url(mime: &str, bytes: impl AsRef<[u8]>) -> String {
    use base64::Engine;
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[component]
pub fn InstallationTab(#[prop(into)] realm: String, #[prop(into)] id: String) -> impl IntoView {
    view! {
        <Suspense fallback=loading>
            {Suspend::new(async move {
                match get_installation(realm, id).await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(v) => view! {
                        <section class="card">
                            <h2>"Adapter configuration"</h2>
                            <p class="help">
                                {format!("Client {} authenticates with {}. Values Keyward does not hold (a secret shown only once, keystore passwords and file) are marked REPLACE WITH …", v.client_id, v.method)}
                            </p>
                            {v.snippets.into_iter().map(|s| {
                                let test_id = s.file_name.clone();
                                view! {
                                    <h3>{s.title.clone()}</h3>
                                    <pre class="snippet" data-testid=format!("snippet-{test_id}")>{s.text.clone()}</pre>
                                    <div class="form-actions">
                                        <CopyButton text=s.text.clone() label="Copy".to_string()/>
                                        <a class="btn btn-secondary btn-small" download=s.file_name.clone()
                                            href=data_url(&s.mime, &s.text)>{format!("Download {}", s.file_name)}</a>
                                    </div>
                                }
                            }).collect_view()}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
