//! paymux-twisto (placeholder, filled in by its issue).
