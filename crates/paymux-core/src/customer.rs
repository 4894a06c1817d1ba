//! Customer vaults: stored customers and their saved cards.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::payment::CardSummary;

/// A request to store a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewCustomer {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Merchant metadata.
    pub metadata: BTreeMap<String, String>,
}

impl NewCustomer {
    /// A customer with a name and email.
    pub fn new(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        Self {
            first_name: Some(first_name.into()),
            last_name: Some(last_name.into()),
            email: Some(email.into()),
            metadata: BTreeMap::new(),
        }
    }

    /// Adds a metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// A stored customer with their saved cards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredCustomer {
    /// The provider's customer id.
    pub id: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// A page where the customer manages their cards, where the provider has one.
    pub manage_url: Option<String>,
    /// Merchant metadata.
    pub metadata: BTreeMap<String, String>,
    /// Saved cards, usable with `PaymentSource::SavedCard`.
    pub saved_cards: Vec<CardSummary>,
}

impl StoredCustomer {
    /// A customer with an id; the rest empty.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }
}

/// A provider's store of customers and saved cards. Reached through
/// [`PaymentProvider::customers`](crate::PaymentProvider::customers).
///
/// # Errors
/// As [`PaymentProvider`](crate::PaymentProvider); an unknown id is `NotFound`.
#[async_trait]
pub trait CustomerVault: Send + Sync {
    /// Stores a customer.
    async fn create_customer(&self, customer: &NewCustomer) -> Result<StoredCustomer>;
    /// Fetches a customer with their saved cards.
    async fn get_customer(&self, id: &str) -> Result<StoredCustomer>;
    /// Deletes a customer.
    async fn delete_customer(&self, id: &str) -> Result<()>;
}
