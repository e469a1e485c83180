"""smsc-soap: a typed, safe client for the SOAP API of the SMSC SMS service."""
