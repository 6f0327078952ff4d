//! Identifiers: every primary key is a UUIDv7 (time-ordered, so inserts append to the index and
//! ordering by id is ordering by creation).

use uuid::Uuid;

/// A new time-ordered identifier.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
