//! clerk-emulator (skeleton).
