"""One module per tab; each tab receives its view-model."""
