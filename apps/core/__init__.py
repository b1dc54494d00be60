"""Ground-floor utilities with no models and no imports from other apps (encryption at rest)."""
