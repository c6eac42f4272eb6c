//! Helm's built-in objects.
