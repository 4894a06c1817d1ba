//! paymux core
