"""vcrpy cassettes for SMSC SOAP conversations: configuration, matchers, scrubbers and pytest fixtures."""
