//! In-memory adapters for fast unit tests of the handlers. The same contract tests run against them
//! and the real adapters; integration and end-to-end tests use the real engines.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

use crate::auth::keys::{KeySet, PublicKey};
use crate::auth::Role;
use crate::error::{Conflict, StoreError};
use crate::event::EventRecord;
use crate::ports::{Claim, EventQueue, LoginThrottle, SigningKeys, Strikes, UserStore};
use crate::users::User;

#[derive(Default)]
pub struct MemoryUsers {
    users: Mutex<BTreeMap<String, User>>,
    had_admin: std::sync::atomic::AtomicBool,
}

fn admins(users: &BTreeMap<String, User>) -> usize {
    users.values().filter(|u| u.role == Role::Admin).count()
}

impl UserStore for MemoryUsers {
    async fn get(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self.users.lock().unwrap().get(username).cloned())
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        Ok(self.users.lock().unwrap().values().cloned().collect())
    }

    async fn create(&self, user: &User) -> Result<(), StoreError> {
        let mut users = self.users.lock().unwrap();
        if users.contains_key(user.username.as_str()) {
            return Err(StoreError::Conflict(Conflict::Username));
        }
        if users.values().any(|u| u.email == user.email) {
            return Err(StoreError::Conflict(Conflict::Email));
        }
        if user.role == Role::Admin {
            self.had_admin
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        users.insert(user.username.as_str().to_owned(), user.clone());
        Ok(())
    }

    async fn ever_had_admin(&self) -> Result<bool, StoreError> {
        Ok(self.had_admin.load(std::sync::atomic::Ordering::SeqCst))
    }

    async fn create_first_admin(&self, user: &User) -> Result<bool, StoreError> {
        if self.ever_had_admin().await? {
            return Ok(false);
        }
        self.create(&User {
            role: Role::Admin,
            ..user.clone()
        })
        .await?;
        Ok(true)
    }

    async fn update(&self, current: &User, next: &User) -> Result<(), StoreError> {
        let mut users = self.users.lock().unwrap();
        if users.get(current.username.as_str()) != Some(current) {
            return Err(StoreError::Conflict(Conflict::Changed));
        }
        if users
            .values()
            .any(|u| u.email == next.email && u.username != next.username)
        {
            return Err(StoreError::Conflict(Conflict::Email));
        }
        if current.role == Role::Admin && next.role != Role::Admin && admins(&users) <= 1 {
            return Err(StoreError::Conflict(Conflict::LastAdmin));
        }
        if next.role == Role::Admin {
            self.had_admin
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        users.insert(next.username.as_str().to_owned(), next.clone());
        Ok(())
    }

    async fn delete(&self, user: &User) -> Result<(), StoreError> {
        let mut users = self.users.lock().unwrap();
        let Some(stored) = users.get(user.username.as_str()) else {
            return Err(StoreError::NotFound);
        };
        if stored != user {
            return Err(StoreError::Conflict(Conflict::Changed));
        }
        if stored.role == Role::Admin && admins(&users) <= 1 {
            return Err(StoreError::Conflict(Conflict::LastAdmin));
        }
        users.remove(user.username.as_str());
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryThrottle {
    windows: Mutex<HashMap<String, Strikes>>,
}

impl LoginThrottle for MemoryThrottle {
    async fn claim(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        max: u32,
    ) -> Result<Claim, StoreError> {
        let mut windows = self.windows.lock().unwrap();
        let entry = windows.entry(key.to_owned()).or_insert(Strikes {
            count: 0,
            until: now + window,
        });
        if entry.until <= now {
            *entry = Strikes {
                count: 0,
                until: now + window,
            };
        }
        if entry.count >= max {
            return Ok(Claim::Locked { until: entry.until });
        }
        entry.count += 1;
        Ok(Claim::Granted(*entry))
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        if let Some(entry) = self.windows.lock().unwrap().get_mut(key) {
            entry.count = entry.count.saturating_sub(1);
        }
        Ok(())
    }

    async fn forgive(&self, key: &str) -> Result<(), StoreError> {
        self.windows.lock().unwrap().remove(key);
        Ok(())
    }
}

/// Keeps what was published; `fail` makes every publish fail, to test the error path.
#[derive(Default)]
pub struct MemoryQueue {
    pub published: Mutex<Vec<EventRecord>>,
    pub fail: std::sync::atomic::AtomicBool,
}

impl EventQueue for MemoryQueue {
    async fn publish(&self, events: &[EventRecord]) -> Result<(), StoreError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Backend("queue unavailable".into()));
        }
        self.published.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

/// Salts kept in the process: a fixed pair for tests, or none at all (`fail`) to test the error path.
pub struct MemorySalts {
    pub salts: Mutex<crate::cookieless::DailySalts>,
    pub fail: std::sync::atomic::AtomicBool,
    pub reads: std::sync::atomic::AtomicUsize,
}

impl MemorySalts {
    pub fn new(salts: crate::cookieless::DailySalts) -> Self {
        Self {
            salts: Mutex::new(salts),
            fail: Default::default(),
            reads: Default::default(),
        }
    }
}

impl crate::ports::SaltStore for MemorySalts {
    async fn salts(
        &self,
        _now: time::OffsetDateTime,
    ) -> Result<crate::cookieless::DailySalts, StoreError> {
        use std::sync::atomic::Ordering;
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("salts unavailable".into()));
        }
        Ok(self.salts.lock().unwrap().clone())
    }
}

/// The published token keys in the process. Clones share them (a test keeps one to publish into while
/// a verifier reads another); `loads` counts the reads.
#[derive(Clone, Default)]
pub struct MemorySigningKeys {
    keys: Arc<Mutex<KeySet>>,
    loads: Arc<std::sync::atomic::AtomicUsize>,
}

impl MemorySigningKeys {
    pub fn new(keys: KeySet) -> Self {
        Self {
            keys: Arc::new(Mutex::new(keys)),
            loads: Default::default(),
        }
    }

    /// How many times the keys were read.
    pub fn loads(&self) -> usize {
        self.loads.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl SigningKeys for MemorySigningKeys {
    async fn load(&self) -> Result<KeySet, StoreError> {
        self.loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.keys.lock().unwrap().clone())
    }

    async fn publish(
        &self,
        key: &PublicKey,
        now: OffsetDateTime,
        grace: Duration,
    ) -> Result<KeySet, StoreError> {
        let mut keys = self.keys.lock().unwrap();
        keys.publish(*key, now, grace);
        Ok(keys.clone())
    }
}
