"""A stand-in for the `keyrings.alt` package (not installed here), for reliability tests."""
