"""Layer 3: the wire (REST /api, SOAP /sdk, the /sim admin API). Imports `vlcm`, `core` and `model`,
never `server`."""
