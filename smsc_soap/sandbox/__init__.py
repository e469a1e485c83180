"""A local SMSC SOAP service with the documented semantics, for demos and offline tests."""
