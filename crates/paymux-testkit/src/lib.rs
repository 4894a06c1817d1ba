//! paymux-testkit (placeholder, filled in by its issue).
