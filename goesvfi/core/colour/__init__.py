"""False colour for IR imagery: the embedded Sanchez-like pipeline and the Sanchez wrapper."""
