"""vlcmsim: an embedded vCenter simulator (vLCM REST under /api, SOAP under /sdk)."""

__version__ = "0.1.0"
