//! C library over clerk-core (skeleton).
