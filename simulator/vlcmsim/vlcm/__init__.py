"""Layer 2: vSphere Lifecycle Manager rules (targets, images, policies, compliance, pre-check, stage,
apply). Imports only `vlcmsim.core` and `vlcmsim.model`."""
