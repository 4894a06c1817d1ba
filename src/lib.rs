//! paymux
