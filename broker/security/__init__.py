"""Transport security (listeners, TLS, SASL, SCRAM credentials) and, in acl/, authorization."""
