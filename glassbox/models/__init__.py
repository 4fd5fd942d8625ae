"""One module per glass-box family; each wraps the library that fits it best."""
