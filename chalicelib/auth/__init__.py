"""Owner authentication: signed JWTs verified against a JWKS, and the principal they carry."""
