//! paymux-checkout (placeholder, filled in by its issue).
