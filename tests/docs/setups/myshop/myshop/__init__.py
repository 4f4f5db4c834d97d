"""Setup `myshop`: a stand-in for the reader's own app, for examples that patch its functions."""
