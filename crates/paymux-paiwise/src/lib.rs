//! paymux-paiwise (placeholder, filled in by its issue).
