//! In-memory adapters for fast unit tests of the handlers. Integration tests use the real engines.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::StoreError;
use crate::event::EventRecord;
use crate::ports::{EventQueue, UserStore};
use crate::users::User;

#[derive(Default)]
pub struct MemoryUsers {
    users: Mutex<HashMap<String, User>>,
}

impl UserStore for MemoryUsers {
    async fn get(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self.users.lock().unwrap().get(username).cloned())
    }

    async fn create(&self, user: &User) -> Result<(), StoreError> {
        let mut users = self.users.lock().unwrap();
        if users.contains_key(user.username.as_str()) {
            return Err(StoreError::Conflict("username".into()));
        }
        if users.values().any(|u| u.email == user.email) {
            return Err(StoreError::Conflict("email".into()));
        }
        users.insert(user.username.as_str().to_owned(), user.clone());
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
