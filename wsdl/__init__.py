"""The vendored SMSC WSDL, installed inside the package so nothing is fetched at start-up."""
