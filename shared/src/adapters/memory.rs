//! In-memory adapters for fast unit tests of the handlers. The same contract tests run against them
//! and the real adapters; integration and end-to-end tests use the real engines.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

use crate::auth::Role;
use crate::error::{Conflict, StoreError};
use crate::event::EventRecord;
use crate::ports::{EventQueue, LoginThrottle, Strikes, UserStore};
use crate::users::User;

#[derive(Default)]
pub struct MemoryUsers {
    users: Mutex<BTreeMap<String, User>>,
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
        users.insert(user.username.as_str().to_owned(), user.clone());
        Ok(())
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
        users.insert(next.username.as_str().to_owned(), next.clone());
        Ok(())
    }

    async fn delete(&self, user: &User) -> Result<(), StoreError> {
        let mut users = self.users.lock().unwrap();
        let Some(stored) = users.get(user.username.as_str()) else {
            return Err(StoreError::NotFound);
        };
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
    async fn strikes(&self, key: &str, now: OffsetDateTime) -> Result<Option<Strikes>, StoreError> {
        Ok(self
            .windows
            .lock()
            .unwrap()
            .get(key)
            .copied()
            .filter(|s| s.until > now))
    }

    async fn strike(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Strikes, StoreError> {
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
        entry.count += 1;
        Ok(*entry)
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
