//! The token endpoint's in-process cache of what authenticating a client reads (the realm, the
//! client with its secrets, registered keys, federated bindings and client scopes, the realm's
//! identity providers and signing key), each
//! entry valid only while the store's change generation is the one it was read under.
//!
//! Every store write to realms, clients, secrets, keys, client scopes and realm keys moves the
//! generation, in this process at once and in every other replica through PostgreSQL's
//! `LISTEN/NOTIFY`; while a replica's listener is down nothing is cached. A revoked secret, a
//! deleted key or a scope taken from a client is therefore refused by the next request. Entries also expire after [`TTL`], a bound for writes made
//! outside Keyward (by hand in SQL). Secret expiry needs no invalidation: the authenticators
//! compare `expires_at` with the request's time.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyward_credentials::access_token::RealmPrivateKey;
use keyward_credentials::authenticator::{ClientPublicKey, FederatedBinding, StoredSecret};
use keyward_credentials::scope::ClientScopes;
use keyward_store::clients::Client;
use keyward_store::identity_providers::IdentityProvider;
use keyward_store::realms::Realm;
use keyward_store::Db;

/// Longest life of an entry whatever the generation says.
pub const TTL: Duration = Duration::from_secs(5);
/// Entries per map before it is emptied (a bound on memory, not a working-set limit).
const MAX_ENTRIES: usize = 100_000;

/// What the token endpoint needs of one client, read together.
pub struct ClientEntry {
    pub client: Client,
    /// Verifiers (and, for client-secret-jwt only, the unsealed values) of its secrets.
    pub secrets: Vec<StoredSecret>,
    /// Its registered public keys; `None` when the client's keys come from its JWKS URL (read
    /// through the fetcher on every request, which keeps its own freshness rules).
    pub registered_keys: Option<Vec<ClientPublicKey>>,
    /// Its default and optional client scopes, by name (what a token may carry).
    pub scopes: ClientScopes,
    /// For a `federated-jwt` client: its bindings, each with its provider's row id, expressions
    /// compiled.
    pub bindings: Vec<(String, FederatedBinding)>,
}

/// A map of cache entries.
type Map<K, V> = Mutex<HashMap<K, Entry<V>>>;

struct Entry<V> {
    value: V,
    generation: u64,
    at: Instant,
}

/// Generation-checked maps: realms by name, clients by (realm id, client id), signing keys by
/// realm id.
///
/// A client id that names no client is cached as absent too, in a map of its own (so a flood of
/// made-up ids cannot push real clients out): an unknown id costs what a known one does.
#[derive(Default)]
pub struct CredentialCache {
    realms: Map<String, Arc<Realm>>,
    clients: Map<(String, String), Arc<ClientEntry>>,
    absent_clients: Map<(String, String), ()>,
    signing_keys: Map<String, Arc<RealmPrivateKey>>,
    /// A realm's identity providers, by realm id.
    providers: Map<String, Arc<Vec<IdentityProvider>>>,
    /// An identity provider's keys as last fetched, parsed, by provider row id (fetches do not
    /// move the generation: [`TTL`] bounds how long another replica's fetch goes unseen, and an
    /// unknown kid reloads at once).
    provider_keys: Map<String, Arc<Vec<ClientPublicKey>>>,
    /// The client a federated token's exact (provider row id, subject) names.
    federated_clients: Map<(String, String), String>,
    /// How many times a client was read from the store (for tests of the equal-work rule).
    client_loads: std::sync::atomic::AtomicU64,
}

impl CredentialCache {
    /// The realm named `name`, from the cache or `load`.
    pub async fn realm<E>(
        &self,
        db: &Db,
        name: &str,
        load: impl Future<Output = Result<Realm, E>>,
    ) -> Result<Arc<Realm>, E> {
        cached(&self.realms, db, name.to_owned(), async {
            load.await.map(Arc::new)
        })
        .await
    }

    /// A client with its material (`None`: no such client), from the cache or `load`.
    pub async fn client<E>(
        &self,
        db: &Db,
        realm_id: &str,
        client_id: &str,
        load: impl Future<Output = Result<Option<ClientEntry>, E>>,
    ) -> Result<Option<Arc<ClientEntry>>, E> {
        let key = (realm_id.to_owned(), client_id.to_owned());
        let generation = db.generation();
        if let Some(g) = generation {
            if let Some(v) = fresh(&self.clients, &key, g) {
                return Ok(Some(v));
            }
            if fresh(&self.absent_clients, &key, g).is_some() {
                return Ok(None);
            }
        }
        self.client_loads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let value = load.await?.map(Arc::new);
        if let Some(g) = generation {
            match &value {
                Some(v) => insert(&self.clients, key, v.clone(), g),
                None => insert(&self.absent_clients, key, (), g),
            }
        }
        Ok(value)
    }

    /// How many times a client has been read from the store.
    pub fn client_loads(&self) -> u64 {
        self.client_loads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The realm's identity providers, from the cache or `load`.
    pub async fn providers<E>(
        &self,
        db: &Db,
        realm_id: &str,
        load: impl Future<Output = Result<Vec<IdentityProvider>, E>>,
    ) -> Result<Arc<Vec<IdentityProvider>>, E> {
        cached(&self.providers, db, realm_id.to_owned(), async {
            load.await.map(Arc::new)
        })
        .await
    }

    /// A provider's keys, from the cache or `load` (always `load` when `reload`: an unknown
    /// kid).
    pub async fn provider_keys<E>(
        &self,
        db: &Db,
        idp_row_id: &str,
        reload: bool,
        load: impl Future<Output = Result<Vec<ClientPublicKey>, E>>,
    ) -> Result<Arc<Vec<ClientPublicKey>>, E> {
        let generation = db.generation();
        let key = idp_row_id.to_owned();
        if let (Some(g), false) = (generation, reload) {
            if let Some(v) = fresh(&self.provider_keys, &key, g) {
                return Ok(v);
            }
        }
        let value = Arc::new(load.await?);
        if let Some(g) = generation {
            insert(&self.provider_keys, key, value.clone(), g);
        }
        Ok(value)
    }

    /// The client id an exact (provider, subject) binding names, if cached.
    pub fn federated_client(&self, db: &Db, idp_row_id: &str, subject: &str) -> Option<String> {
        let g = db.generation()?;
        fresh(
            &self.federated_clients,
            &(idp_row_id.to_owned(), subject.to_owned()),
            g,
        )
    }

    /// Remembers the client an exact (provider, subject) binding names (bindings are client
    /// writes: the generation moves with them).
    pub fn remember_federated_client(
        &self,
        db: &Db,
        idp_row_id: &str,
        subject: &str,
        client_id: &str,
    ) {
        if let Some(g) = db.generation() {
            insert(
                &self.federated_clients,
                (idp_row_id.to_owned(), subject.to_owned()),
                client_id.to_owned(),
                g,
            );
        }
    }

    /// The realm's signing key, from the cache or `load`.
    pub async fn signing_key<E>(
        &self,
        db: &Db,
        realm_id: &str,
        load: impl Future<Output = Result<Arc<RealmPrivateKey>, E>>,
    ) -> Result<Arc<RealmPrivateKey>, E> {
        cached(&self.signing_keys, db, realm_id.to_owned(), load).await
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn fresh<K: Hash + Eq, V: Clone>(map: &Map<K, V>, key: &K, generation: u64) -> Option<V> {
    lock(map)
        .get(key)
        .filter(|e| e.generation == generation && e.at.elapsed() < TTL)
        .map(|e| e.value.clone())
}

fn insert<K: Hash + Eq, V>(map: &Map<K, V>, key: K, value: V, generation: u64) {
    let mut m = lock(map);
    if m.len() >= MAX_ENTRIES {
        m.clear();
    }
    m.insert(
        key,
        Entry {
            value,
            generation,
            at: Instant::now(),
        },
    );
}

/// The generation is read before the data: a change committed during `load` moves it, so what
/// `load` read is never kept past that change.
async fn cached<K: Hash + Eq, V: Clone, E>(
    map: &Map<K, V>,
    db: &Db,
    key: K,
    load: impl Future<Output = Result<V, E>>,
) -> Result<V, E> {
    let generation = db.generation();
    if let Some(g) = generation {
        if let Some(v) = fresh(map, &key, g) {
            return Ok(v);
        }
    }
    let value = load.await?;
    if let Some(g) = generation {
        insert(map, key, value.clone(), g);
    }
    Ok(value)
}
